//! Telling a deadlocked check's process from a slow one: a process that uses no CPU time, with
//! none of its threads runnable, is blocked for good (Linux: read from `/proc`; elsewhere it is
//! never reported idle, and only the time limit stops a deadlock).

use std::time::{Duration, Instant};

/// Watches a process's CPU time (Linux: `/proc/PID/stat`; elsewhere it never reports idleness,
/// and only the time limit stops a deadlock).
pub struct CpuWatch {
    pid: u32,
    /// The last CPU time read, and when it last changed.
    last: Option<(u64, Instant)>,
    next_read: Instant,
}

impl CpuWatch {
    /// Watches process `pid`.
    pub fn new(pid: u32) -> Self {
        let now = Instant::now();
        CpuWatch {
            pid,
            last: None,
            next_read: now,
        }
    }

    /// How long the process has used no CPU time with none of its threads runnable, as of
    /// `now` (read every 100 ms). A thread that waits for a processor on a crowded machine is
    /// runnable, and so is one that waits for the disk: starved is not deadlocked.
    pub fn idle_for(&mut self, now: Instant) -> Duration {
        if now >= self.next_read {
            self.next_read = now + Duration::from_millis(100);
            if let Some(ticks) = cpu_ticks(self.pid) {
                match self.last {
                    Some((last, _)) if last == ticks && !any_thread_runnable(self.pid) => {}
                    _ => self.last = Some((ticks, now)),
                }
            }
        }
        self.last
            .map_or(Duration::ZERO, |(_, since)| now.duration_since(since))
    }
}

/// The fields of a `/proc/.../stat` line after the command name (which is in parentheses and
/// may hold spaces): the state is the first, utime the 12th and stime the 13th.
fn stat_fields(path: &str) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(path).ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    Some(after_name.split_whitespace().map(str::to_string).collect())
}

/// The CPU time (user and system, in clock ticks) of process `pid` and all its threads.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let fields = stat_fields(&format!("/proc/{pid}/stat"))?;
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

/// Whether any thread of process `pid` is running or waiting for a processor (state `R`), or
/// for the disk (`D`: reading a large debug binary to symbolise a backtrace, say, on a busy
/// machine; a deadlocked thread waits on a lock, state `S`). When that cannot be read, the
/// answer is yes: never stop a process on a guess.
fn any_thread_runnable(pid: u32) -> bool {
    let Ok(threads) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return true;
    };
    threads.filter_map(Result::ok).any(|thread| {
        let path = thread.path().join("stat");
        stat_fields(&path.to_string_lossy()).is_none_or(|fields| {
            fields
                .first()
                .is_none_or(|state| state == "R" || state == "D")
        })
    })
}
