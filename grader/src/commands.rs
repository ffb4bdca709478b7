//! The commands around grading: the command line ([`cli`]), re-grading on every save
//! ([`watch`]), putting a task's files back ([`reset`]) and writing the student edition
//! ([`export`]). They use `grading` and `rendering`; nothing imports them but the crate's root.

pub mod cli;
pub mod export;
pub mod reset;
pub mod watch;
