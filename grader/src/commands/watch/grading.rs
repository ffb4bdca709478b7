//! The watcher's grading children: each started with every process below it in one group that
//! is killed as a whole (`process-wrap`: a process group on Unix, a job object on Windows), so
//! that the grader it runs and every check process below it end together, and nothing outlives
//! the watcher.

use process_wrap::std::{ChildWrapper, CommandWrap};
use std::process::Command;

/// A grading child, with every process it starts.
pub type GradingChild = Box<dyn ChildWrapper>;

/// Reads a child's pipe to the end on a thread of its own.
pub fn read_all(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// Starts `command` as the leader of a process group of its own (Unix) or in a job object of
/// its own (Windows), so that the grader it runs and every check process below it can be
/// killed together.
pub fn spawn_in_own_group(command: Command) -> std::io::Result<GradingChild> {
    let mut wrapped = CommandWrap::from(command);
    #[cfg(unix)]
    wrapped.wrap(process_wrap::std::ProcessGroup::leader());
    #[cfg(windows)]
    wrapped.wrap(process_wrap::std::JobObject);
    wrapped.spawn()
}

/// Kills `child` and everything in its group (or job), and reaps it.
pub fn kill_group(child: &mut GradingChild) {
    // The group may be gone already (the child ended meanwhile): whatever the kill says, wait.
    let _ = child.start_kill();
    let _ = child.wait();
}
