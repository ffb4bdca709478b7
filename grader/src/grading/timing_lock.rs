//! One grader times things on a machine at a time: the checks that measure throughput, and
//! Task 3's table, run under a lock that every grader on the machine shares (a lock file in the
//! temporary directory, held with the operating system's advisory file lock, which is released
//! when the process ends, however it ends). Two graders started at once, as the grader's own
//! tests do, then never time against each other; a grader that has to wait says so.
//!
//! Other work on the machine is not held off, nor need it be: the timing method is built to be
//! fair under load (`pool_checks::measure::ratio`).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

/// Held while timing; dropping it lets the next grader time.
#[derive(Debug)]
pub struct TimingLock {
    // Closing the file releases the lock.
    _file: Option<File>,
}

/// Where the lock lives: one file per machine (per temporary directory).
pub fn path() -> PathBuf {
    std::env::temp_dir().join("buffer-pooling-workshop-timing.lock")
}

/// Takes the machine's timing lock, waiting for another grader to finish timing if need be. A
/// lock that cannot be taken at all (an unwritable temporary directory) is reported on stderr
/// and timing goes on without it: a verdict is better than no verdict.
pub fn acquire() -> TimingLock {
    let opened = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path())
        .or_else(|_| File::open(path()));
    let file = match opened {
        Ok(file) => file,
        Err(error) => return unlocked(&error),
    };
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            eprintln!(
                "note: another grader on this machine is timing its checks; waiting for it, so \
                 that neither slows the other's measurements"
            );
            if let Err(error) = file.lock() {
                return unlocked(&error);
            }
        }
        Err(TryLockError::Error(error)) => return unlocked(&error),
    }
    TimingLock { _file: Some(file) }
}

fn unlocked(error: &std::io::Error) -> TimingLock {
    eprintln!(
        "note: could not take the timing lock {} ({error}); timing without it",
        path().display()
    );
    TimingLock { _file: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_for_the_first() {
        let first = acquire();
        let other = File::open(path()).expect("the lock file exists while held");
        assert!(
            matches!(other.try_lock(), Err(TryLockError::WouldBlock)),
            "a second lock must wait while the first is held"
        );
        drop(first);
        // Another test may take the lock in between: wait for it rather than try once.
        other.lock().expect("free once the first holder is gone");
    }
}
