//! `watch`: re-grades on every save, the task being edited first, with one progress line, and
//! keys for a hint (h), the next failing check (n), all tasks (a) and quit (q), as rustlings
//! does. On a terminal the keys act at once; without one (`--plain`, or output not a terminal)
//! they are read as lines from standard input, and every progress line is printed anew.
//!
//! Each grading is a child process (by default `cargo run -q -p grader -- --task N --json`, so
//! that the student's latest code is built first) in a process group of its own, which the
//! watcher kills, whole, before it quits, on `q` or Ctrl-C alike: no child outlives it.

mod grading;
mod happening;
mod keys;
mod state;

use crate::grading::task_files::STUBS;
use anyhow::{Context, Result};
use grading::{kill_group, read_all, spawn_in_own_group};
use happening::Happening;
use keys::{read_lines, RawKeys};
use notify::{RecursiveMode, Watcher};
use state::{state_from_last, state_of, TaskState};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::Duration;

/// How long the watcher waits after a change for more (an editor's save is several events).
const DEBOUNCE: Duration = Duration::from_millis(300);

/// What `watch` was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchOptions {
    /// The workshop's folder: its `exercises/` is watched, and grading runs there.
    pub root: PathBuf,
    /// Lines instead of a rewritten line and single keys.
    pub plain: bool,
    /// Grade with this grader binary instead of `cargo run -p grader` (for the grader's tests:
    /// no build).
    pub grader: Option<PathBuf>,
}

/// Whether both standard output and standard input are a terminal (otherwise `watch` prints
/// lines and reads keys as lines).
pub fn on_a_terminal() -> bool {
    std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

/// Watches and re-grades until `q` or Ctrl-C.
pub fn watch(options: &WatchOptions) -> Result<ExitCode> {
    let (send, happenings) = channel();
    let exercises = options.root.join("exercises");
    let changes = send.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, notify::EventKind::Access(_)) {
            return;
        }
        for path in event.paths.into_iter().filter(|path| worth_grading(path)) {
            let _ = changes.send(Happening::Changed(path));
        }
    })
    .context("Failed to watch for file changes")?;
    watcher
        .watch(&exercises, RecursiveMode::Recursive)
        .with_context(|| format!("Failed to watch {}", exercises.display()))?;
    let quit = send.clone();
    // A second Ctrl-C handler cannot be installed; the first watch of the process has it.
    let _ = ctrlc::set_handler(move || {
        let _ = quit.send(Happening::Quit);
    });
    let _raw = if options.plain {
        read_lines(send);
        None
    } else {
        Some(RawKeys::start(send)?)
    };
    let mut watch = Watch {
        options,
        // Where the student stood after the last runs, until this run's grading replaces it.
        tasks: {
            let last = crate::grading::last_run::load();
            pool_checks::TASKS
                .iter()
                .map(|task| state_from_last(task.number, &last))
                .collect()
        },
        happenings,
        pending: Vec::new(),
    };
    watch.say(&format!(
        "Watching {} for changes. Keys: h hint, n next failing check, a all tasks, q quit{}.",
        shown(&exercises, &options.root),
        if options.plain {
            " (each followed by Enter)"
        } else {
            ""
        }
    ));
    if watch.tasks.iter().any(|state| state.graded) {
        watch.say("As of your last run:");
        watch.show_progress();
    }
    let all: Vec<u8> = pool_checks::TASKS.iter().map(|task| task.number).collect();
    if watch.grade(&all).is_break() {
        return Ok(watch.quit());
    }
    loop {
        let happening = match watch.next_happening(None) {
            Some(happening) => happening,
            None => return Ok(watch.quit()),
        };
        let keep_going = match happening {
            Happening::Quit | Happening::Key('q') => return Ok(watch.quit()),
            Happening::Key('a') => watch.grade(&all),
            Happening::Key('h') => {
                watch.hint();
                std::ops::ControlFlow::Continue(())
            }
            Happening::Key('n') => {
                watch.next_failing();
                std::ops::ControlFlow::Continue(())
            }
            Happening::Key(_) => std::ops::ControlFlow::Continue(()),
            Happening::Changed(path) => {
                let mut changed = vec![path];
                changed.extend(watch.settle());
                let first = tasks_of(&changed, &options.root);
                let names: Vec<String> = changed.iter().map(|p| shown(p, &options.root)).collect();
                let mut order = first.clone();
                order.extend(all.iter().filter(|task| !first.contains(task)));
                watch.say(&format!(
                    "changed: {}; grading task {} first",
                    dedup(names).join(", "),
                    first
                        .iter()
                        .map(u8::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                watch.grade(&order)
            }
        };
        if keep_going.is_break() {
            return Ok(watch.quit());
        }
    }
}

struct Watch<'a> {
    options: &'a WatchOptions,
    tasks: Vec<TaskState>,
    happenings: Receiver<Happening>,
    /// Happenings seen while grading, to handle after it.
    pending: Vec<Happening>,
}

impl Watch<'_> {
    fn next_happening(&mut self, timeout: Option<Duration>) -> Option<Happening> {
        if !self.pending.is_empty() {
            return Some(self.pending.remove(0));
        }
        match timeout {
            None => self.happenings.recv().ok(),
            Some(timeout) => self.happenings.recv_timeout(timeout).ok(),
        }
    }

    /// Every further change within [`DEBOUNCE`] of the last one.
    fn settle(&mut self) -> Vec<PathBuf> {
        let mut more = Vec::new();
        let mut keep = Vec::new();
        loop {
            match self.happenings.recv_timeout(DEBOUNCE) {
                Ok(Happening::Changed(path)) => more.push(path),
                Ok(other) => keep.push(other),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        self.pending.extend(keep);
        more
    }

    /// Grades `order`'s tasks one after another; breaks if asked to quit meanwhile.
    fn grade(&mut self, order: &[u8]) -> std::ops::ControlFlow<()> {
        for &task in order {
            match self.grade_task(task) {
                Graded::Done(state) => {
                    if let Some(slot) = self.slot(task) {
                        self.tasks[slot] = state;
                    }
                    self.show_progress();
                }
                Graded::Quit => return std::ops::ControlFlow::Break(()),
                Graded::Interrupted => return std::ops::ControlFlow::Continue(()),
            }
        }
        std::ops::ControlFlow::Continue(())
    }

    fn slot(&self, task: u8) -> Option<usize> {
        pool_checks::TASKS.iter().position(|t| t.number == task)
    }

    /// Runs one task's grading child; a quit or a change meanwhile stops it.
    fn grade_task(&mut self, task: u8) -> Graded {
        let mut command = match &self.options.grader {
            Some(grader) => Command::new(grader),
            None => {
                let mut cargo = Command::new("cargo");
                cargo.args(["run", "-q", "-p", "grader", "--"]);
                cargo
            }
        };
        command
            .args(["--task", &task.to_string(), "--json"])
            .current_dir(&self.options.root)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = match spawn_in_own_group(command) {
            Ok(child) => child,
            Err(error) => {
                return Graded::Done(TaskState {
                    graded: true,
                    trouble: Some(format!("could not start the grader: {error}")),
                    ..TaskState::default()
                })
            }
        };
        let stdout = child.stdout().take().map(read_all);
        let stderr = child.stderr().take().map(read_all);
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            match self.happenings.recv_timeout(Duration::from_millis(50)) {
                Ok(Happening::Quit | Happening::Key('q')) => {
                    kill_group(&mut child);
                    return Graded::Quit;
                }
                Ok(Happening::Changed(path)) => {
                    // Newer code to grade: this run is stale.
                    kill_group(&mut child);
                    self.pending.push(Happening::Changed(path));
                    return Graded::Interrupted;
                }
                // Explanations need no grading: answered at once.
                Ok(Happening::Key('h')) => self.hint(),
                Ok(Happening::Key('n')) => self.next_failing(),
                Ok(other) => self.pending.push(other),
                Err(_) => {}
            }
        }
        let stdout = stdout.and_then(|h| h.join().ok()).unwrap_or_default();
        let stderr = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
        Graded::Done(state_of(task, &stdout, &stderr))
    }

    fn show_progress(&self) {
        let line = pool_checks::TASKS
            .iter()
            .zip(&self.tasks)
            .map(|(task, state)| match &state.trouble {
                Some(_) => format!("Task {} [does not build]", task.number),
                None if !state.graded => format!("Task {} [{}] -/-", task.number, " ".repeat(10)),
                None => format!(
                    "Task {} [{}] {}/{}",
                    task.number,
                    crate::rendering::report::bar(state.passed, state.total, 10),
                    state.passed,
                    state.total
                ),
            })
            .collect::<Vec<_>>()
            .join("  ");
        if self.options.plain {
            println!("progress: {line}");
        } else {
            print!("\r\x1b[2K{line}");
            let _ = std::io::stdout().flush();
        }
        if let Some(trouble) = self.tasks.iter().find_map(|state| state.trouble.as_ref()) {
            self.say(trouble);
        }
    }

    /// The first failing check of the first task that has one.
    fn first_failing(&self) -> Option<&(String, String, String)> {
        self.tasks.iter().find_map(|state| state.failing.first())
    }

    fn next_failing(&self) {
        match self.first_failing() {
            Some((id, status, seen)) => self.say(&format!("next: {id} ({status}): {seen}")),
            None => self.say("every graded check passes"),
        }
    }

    fn hint(&self) {
        let Some((id, ..)) = self.first_failing() else {
            self.say("every graded check passes: no hint needed");
            return;
        };
        match pool_checks::CATALOGUE.iter().find(|info| info.id == id) {
            Some(info) => self.say(
                crate::rendering::report::render_hint(
                    crate::grading::subject::Subject::Exercises,
                    info,
                )
                .trim_end(),
            ),
            None => self.say(&format!("no check called {id}")),
        }
    }

    /// A message on its own line(s), after the progress line on a terminal.
    fn say(&self, text: &str) {
        if self.options.plain {
            println!("{text}");
        } else {
            print!("\r\x1b[2K{}\r\n", text.replace('\n', "\r\n"));
            let _ = std::io::stdout().flush();
        }
    }

    fn quit(&self) -> ExitCode {
        self.say("\nstopped watching");
        ExitCode::SUCCESS
    }
}

enum Graded {
    Done(TaskState),
    Quit,
    Interrupted,
}

/// The tasks whose files are among `changed` (every task for a file no task owns).
fn tasks_of(changed: &[PathBuf], root: &Path) -> Vec<u8> {
    let mut tasks = Vec::new();
    for path in changed {
        let relative = shown(path, root);
        match STUBS.iter().find(|stub| stub.path == relative) {
            Some(stub) if !tasks.contains(&stub.task) => tasks.push(stub.task),
            Some(_) => {}
            None => {
                for task in pool_checks::TASKS {
                    if !tasks.contains(&task.number) {
                        tasks.push(task.number);
                    }
                }
            }
        }
    }
    tasks
}

/// Whether a change to `path` calls for grading: not an editor's swap or backup file, nor
/// anything in a hidden folder (such as reset's `.backup`).
fn worth_grading(path: &Path) -> bool {
    let hidden = path.components().any(|part| {
        part.as_os_str()
            .to_str()
            .is_some_and(|name| name.starts_with('.') && name.len() > 2)
    });
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    !hidden && !name.ends_with('~') && !name.ends_with(".swp") && !name.ends_with(".tmp")
}

fn dedup(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names.dedup();
    names
}

fn shown(path: &Path, root: &Path) -> String {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    path.strip_prefix(&root)
        .unwrap_or(&path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_files_are_worth_grading() {
        assert!(worth_grading(Path::new(
            "/w/exercises/task1/src/task1_sync_pool.rs"
        )));
        assert!(worth_grading(Path::new("../exercises/TRADEOFFS.md")));
        assert!(!worth_grading(Path::new(
            "/w/exercises/task1/src/.task1_sync_pool.rs.swp"
        )));
        assert!(!worth_grading(Path::new(
            "/w/exercises/.backup/x/exercises/src/a.rs"
        )));
        assert!(!worth_grading(Path::new(
            "/w/exercises/task1/src/task1_sync_pool.rs~"
        )));
    }

    #[test]
    fn a_file_calls_its_own_task_and_others_call_every_task() {
        let root = Path::new("/nowhere");
        let task2 = vec![root.join("exercises/task2/src/task2_fixed_pool.rs")];
        assert_eq!(tasks_of(&task2, root), vec![2]);
        let unknown = vec![root.join("exercises/src/lib.rs")];
        assert_eq!(tasks_of(&unknown, root), vec![1, 2, 3, 4]);
    }
}
