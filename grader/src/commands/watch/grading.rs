//! The watcher's grading children: each in a process group of its own, so that the grader it
//! runs and every check process below it are killed together, and nothing outlives the watcher.

use std::process::{Child, Command};

/// Reads a child's pipe to the end on a thread of its own.
pub fn read_all(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// The child leads a process group of its own, so that the grader it runs and every check
/// process below it can be killed together.
pub fn own_process_group(command: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    #[cfg(not(unix))]
    let _ = command;
}

/// Kills `child` and everything in its process group, and reaps it.
pub fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    if let Ok(group) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid sends a signal to that process group; it touches
        // no memory of ours. The group is the child's own (see `own_process_group`), so only
        // the grading processes receive it, never the watcher.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}
