//! What the watcher's loop waits for: a changed file, a key, or the end.

use std::path::PathBuf;

/// What happened, for the watcher's loop.
pub enum Happening {
    /// A file under `exercises/` changed.
    Changed(PathBuf),
    /// A key (or, in plain mode, the first letter of a line).
    Key(char),
    /// Ctrl-C, or the terminal closed.
    Quit,
}
