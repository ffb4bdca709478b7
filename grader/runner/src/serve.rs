//! The runner's side of isolation: serves one [`Request`] in this process and prints its outcome
//! on stdout as a [`Message`] line, which the grader reads (its `isolation` module). The line carries a
//! secret the parent handed over on standard input, so that a line the pool prints cannot pass
//! for it. (The memory ceiling, so that a pool that hoards memory gets a verdict, is the runner's
//! global allocator: [`crate::ceiling`].)

use crate::protocol::{MeasuredFigures, Message, Request};
use pool_checks::strategy::analyse;
use pool_checks::Workshop;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// The secret the parent handed over on standard input, which every message line carries.
static NONCE: OnceLock<String> = OnceLock::new();

/// What every child does before any pool code runs: takes the secret from standard input and
/// reports panics. (Its memory is capped from the start by its global allocator, the runner's
/// [`Ceiling`](crate::ceiling::Ceiling).)
fn prepare() {
    let mut nonce = String::new();
    // No secret (a child started by hand): message lines carry an empty one.
    let _ = std::io::stdin().read_line(&mut nonce);
    let _ = NONCE.set(nonce.trim().to_string());
    install_panic_reporter();
}

/// A runner's `main`: reads the request from the command line (`__run-check ID` or `__measure
/// STRATEGY WORKLOAD`), builds the workshop with `choose` from the arguments after it (a
/// fixture's runner takes `--fixture NAME`), serves the request and prints its outcome. Exit
/// status 2 for a command line it cannot read.
pub fn main<W: Workshop>(choose: impl FnOnce(&[String]) -> Result<W, String>) -> ExitCode {
    let mut args = std::env::args().skip(1);
    let request = match args.next() {
        Some(flag) => Request::parse(&flag, &mut args),
        None => None,
    };
    let request =
        match request {
            Some(Ok(request)) => request,
            Some(Err(error)) => return usage(&format!("{error:#}")),
            None => return usage(
                "a runner serves one request: `__run-check ID` or `__measure STRATEGY WORKLOAD`",
            ),
        };
    let rest: Vec<String> = args.collect();
    match choose(&rest) {
        Ok(workshop) => serve(&workshop, request),
        Err(error) => usage(&error),
    }
}

fn usage(error: &str) -> ExitCode {
    eprintln!(
        "error: {error}\n(a runner is started by the grader: run `cargo run -p grader` instead)"
    );
    ExitCode::from(2)
}

/// Serves `request` on `workshop`'s pools and prints its outcome.
pub fn serve<W: Workshop>(workshop: &W, request: Request) -> ExitCode {
    prepare();
    let message = match request {
        Request::RunCheck { id } => match run_check(workshop, &id) {
            Some(Ok(evidence)) => Message::Passed(evidence),
            Some(Err(failure)) => Message::Failed(failure),
            None => {
                eprintln!("no check called `{id}`");
                return ExitCode::from(2);
            }
        },
        Request::Measure { strategy, workload } => match analyse(workshop, strategy, workload) {
            Ok(figures) => Message::Measured(MeasuredFigures::from(figures)),
            Err(failure) => Message::Failed(failure),
        },
    };
    send(&message);
    ExitCode::SUCCESS
}

/// Runs the check `id` on `workshop`; `None` if there is no such check.
fn run_check<W: Workshop>(workshop: &W, id: &str) -> Option<pool_checks::Outcome> {
    let check = pool_checks::checks::<W>()
        .into_iter()
        .find(|check| check.info.id == id)?;
    Some((check.run)(workshop))
}

/// Reports the first panic of any thread on stdout, then lets the default hook print it as usual.
fn install_panic_reporter() {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !REPORTED.swap(true, Ordering::SeqCst) {
            let message = if let Some(text) = info.payload().downcast_ref::<&str>() {
                (*text).to_string()
            } else if let Some(text) = info.payload().downcast_ref::<String>() {
                text.clone()
            } else {
                "(a panic without a message)".to_string()
            };
            let location = info
                .location()
                .map(|at| format!("{}:{}:{}", at.file(), at.line(), at.column()));
            send(&Message::Panicked { message, location });
        }
        default_hook(info);
    }));
}

fn send(message: &Message) {
    let secret = NONCE.get().map_or("", String::as_str);
    let mut stdout = std::io::stdout().lock();
    // Leading newline: the pool under test may have left a partial line on stdout.
    let _ = writeln!(stdout, "\n{}", message.line(secret));
    let _ = stdout.flush();
}
