//! The watcher's keys: single keys on a terminal (raw mode, restored when dropped), or lines on
//! standard input in plain mode.

use super::happening::Happening;
use anyhow::{Context, Result};
use std::io::BufRead;
use std::sync::mpsc::Sender;

/// In plain mode, each line on standard input is a key (its first letter).
pub fn read_lines(send: Sender<Happening>) {
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if let Some(key) = line.trim().chars().next() {
                if send.send(Happening::Key(key.to_ascii_lowercase())).is_err() {
                    break;
                }
            }
        }
    });
}

/// Single keys on a terminal (raw mode), restored when dropped.
pub struct RawKeys;

impl RawKeys {
    /// Raw mode on, and a thread that sends each key.
    pub fn start(send: Sender<Happening>) -> Result<RawKeys> {
        crossterm::terminal::enable_raw_mode().context("Failed to read single keys")?;
        std::thread::spawn(move || {
            use crossterm::event::{read, Event, KeyCode, KeyEventKind, KeyModifiers};
            while let Ok(event) = read() {
                let Event::Key(key) = event else { continue };
                if key.kind != KeyEventKind::Press {
                    continue;
                }
                let happening = match key.code {
                    KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                        Happening::Quit
                    }
                    KeyCode::Char(c) => Happening::Key(c.to_ascii_lowercase()),
                    KeyCode::Esc => Happening::Quit,
                    _ => continue,
                };
                if send.send(happening).is_err() {
                    break;
                }
            }
        });
        Ok(RawKeys)
    }
}

impl Drop for RawKeys {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}
