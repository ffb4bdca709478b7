//! Telling a deadlocked check's process from a slow one: a process that uses no CPU time, with
//! none of its threads runnable, is blocked for good.
//!
//! Both are read through `sysinfo`, which serves each system from its own source. What it can
//! tell decides what counts as blocked; never is a process stopped on a guess:
//!
//! - Linux (`/proc`, tried here): the CPU time of the whole process, and the state of every one
//!   of its threads. Idle when the CPU time stands still and every thread sleeps (waits on a
//!   lock or an event); a thread that runs, waits for a processor or for the disk, or whose
//!   state cannot be read, is not idle.
//! - macOS (libproc and Mach, untried): the CPU time of the whole process, and the state of one
//!   thread only (`sysinfo` reads the first). Idle when the CPU time stands still and that
//!   thread waits. A thread of the same process that could run but gets no processor at all
//!   for the whole idle limit would be taken for blocked: on a busy machine a starved thread
//!   gets a slice within that time, and any slice moves the CPU time.
//! - Windows (untried): the CPU time, and no state at all (`sysinfo` reports every process as
//!   runnable there). So a process is never idle: only its time limit stops a deadlock.

use std::time::{Duration, Instant};
use sysinfo::{Pid, ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, System};

/// How often a process is read: one refresh of that process (and, on Linux, of its threads),
/// never of the whole system.
const READ_EVERY: Duration = Duration::from_millis(100);

/// Watches a process's CPU time and its threads' states (see the module's comment for what each
/// system allows).
pub struct CpuWatch {
    pid: Pid,
    /// What `sysinfo` knows of the process and its threads, refreshed for them alone.
    system: System,
    /// The threads seen at the last read, so that those that ended are dropped at the next.
    threads: Vec<Pid>,
    /// The last CPU time read (in milliseconds), and when it last changed.
    last: Option<(u64, Instant)>,
    next_read: Instant,
}

/// One reading of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// Its CPU time, all threads together, in milliseconds.
    pub cpu_ms: u64,
    /// Whether any thread may be making progress: running, waiting for a processor or the
    /// disk, or in a state that cannot be read or told.
    pub may_progress: bool,
}

impl CpuWatch {
    /// Watches process `pid`.
    pub fn new(pid: u32) -> Self {
        CpuWatch {
            pid: Pid::from_u32(pid),
            system: System::new(),
            threads: Vec::new(),
            last: None,
            next_read: Instant::now(),
        }
    }

    /// How long the process has used no CPU time with none of its threads runnable, as of
    /// `now` (read every 100 ms). A thread that waits for a processor on a crowded machine is
    /// runnable, and so is one that waits for the disk: starved is not deadlocked.
    pub fn idle_for(&mut self, now: Instant) -> Duration {
        if now >= self.next_read {
            self.next_read = now + READ_EVERY;
            if let Some(reading) = self.read() {
                self.last = next_last(self.last, reading, now);
            }
        }
        self.last
            .map_or(Duration::ZERO, |(_, since)| now.duration_since(since))
    }

    /// Reads the process's CPU time and whether any thread may progress; `None` when the process
    /// cannot be read (it has ended, or the system does not say).
    pub fn read(&mut self) -> Option<Reading> {
        self.system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[self.pid]),
            true,
            ProcessRefreshKind::nothing().with_cpu().with_tasks(),
        );
        let process = self.system.process(self.pid)?;
        let cpu_ms = process.accumulated_cpu_time();
        // The process's own state: on Linux its main thread's; on macOS the one thread read;
        // on Windows always `Run`.
        let main_may_progress = may_progress(process.status());
        let Some(tasks) = process.tasks() else {
            // macOS, Windows: that is all there is.
            return Some(Reading {
                cpu_ms,
                may_progress: main_may_progress,
            });
        };
        // Linux: every other thread's own state too. The threads of the last read that are gone
        // are refreshed as well, so that `sysinfo` forgets them instead of keeping them.
        let threads: Vec<Pid> = tasks.iter().copied().collect();
        let mut refresh = threads.clone();
        refresh.extend(self.threads.iter().filter(|tid| !threads.contains(tid)));
        if !refresh.is_empty() {
            self.system.refresh_processes_specifics(
                ProcessesToUpdate::Some(&refresh),
                true,
                ProcessRefreshKind::nothing(),
            );
        }
        let may_progress = main_may_progress
            || threads.iter().any(|tid| {
                self.system
                    .process(*tid)
                    .is_none_or(|thread| may_progress(thread.status()))
            });
        self.threads = threads;
        Some(Reading {
            cpu_ms,
            may_progress,
        })
    }
}

/// The CPU time last read and since when it has stood still, after `reading` at `now`: the
/// clock restarts whenever the CPU time moved or a thread may progress.
fn next_last(
    last: Option<(u64, Instant)>,
    reading: Reading,
    now: Instant,
) -> Option<(u64, Instant)> {
    match last {
        Some((cpu_ms, since)) if cpu_ms == reading.cpu_ms && !reading.may_progress => {
            Some((cpu_ms, since))
        }
        _ => Some((reading.cpu_ms, now)),
    }
}

/// Whether a thread in `status` may be making progress. Only a sleeping thread (waiting on a
/// lock, a condition or an event) is blocked; running, waiting for a processor, waiting for the
/// disk (reading a large binary on a busy machine, say), stopped by a debugger, or any state the
/// system does not tell (`Unknown`, and Windows's constant `Run`) may progress.
fn may_progress(status: ProcessStatus) -> bool {
    status != ProcessStatus::Sleep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_sleeping_thread_is_blocked() {
        assert!(!may_progress(ProcessStatus::Sleep));
        for status in [
            ProcessStatus::Run,
            ProcessStatus::UninterruptibleDiskSleep,
            ProcessStatus::Stop,
            ProcessStatus::Unknown(0),
        ] {
            assert!(may_progress(status), "{status:?}");
        }
    }

    #[test]
    fn the_idle_clock_restarts_on_cpu_time_or_a_runnable_thread() {
        let start = Instant::now();
        let later = start + Duration::from_secs(1);
        let blocked = |cpu_ms| Reading {
            cpu_ms,
            may_progress: false,
        };
        // First reading: the clock starts.
        assert_eq!(next_last(None, blocked(5), start), Some((5, start)));
        // Still 5 ms and every thread asleep: idle since the start.
        assert_eq!(
            next_last(Some((5, start)), blocked(5), later),
            Some((5, start))
        );
        // CPU time moved: the clock restarts.
        assert_eq!(
            next_last(Some((5, start)), blocked(6), later),
            Some((6, later))
        );
        // No CPU time used, but a thread may run (starved, or waiting for the disk): restarts.
        let runnable = Reading {
            cpu_ms: 5,
            may_progress: true,
        };
        assert_eq!(
            next_last(Some((5, start)), runnable, later),
            Some((5, later))
        );
    }

    /// The real reading, through `sysinfo`, of a child that sleeps: its CPU time is read, and
    /// it is not taken for runnable (on Linux, where thread states are read).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_sleeping_child_reads_as_blocked() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("Failed to start sleep");
        std::thread::sleep(Duration::from_millis(300));
        let mut watch = CpuWatch::new(child.id());
        let reading = watch.read();
        let _ = child.kill();
        let _ = child.wait();
        let reading = reading.expect("a live child can be read");
        assert!(!reading.may_progress, "{reading:?}");
    }

    /// And a child that spins is runnable, and its CPU time moves.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_spinning_child_reads_as_busy() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .expect("Failed to start sh");
        let mut watch = CpuWatch::new(child.id());
        let first = watch.read().expect("a live child can be read");
        std::thread::sleep(Duration::from_millis(500));
        let second = watch.read().expect("a live child can be read");
        let _ = child.kill();
        let _ = child.wait();
        assert!(second.cpu_ms > first.cpu_ms, "{first:?} then {second:?}");
        assert!(second.may_progress, "{second:?}");
    }

    /// A process whose main thread waits while another runs is not blocked: this test's own
    /// process, whose main thread (the test harness's) waits for this test, which runs on a
    /// thread of its own while it reads.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_running_thread_beside_a_waiting_main_thread_reads_as_runnable() {
        assert_ne!(std::thread::current().name(), Some("main"));
        let mut watch = CpuWatch::new(std::process::id());
        let reading = watch.read().expect("this process can be read");
        assert!(reading.may_progress, "{reading:?}");
        assert!(!watch.threads.is_empty(), "the other threads are read");
    }
}
