//! Grading: whose pools ([`subject`]), building their runner ([`build`]), running each check in
//! a process of its own ([`isolation`], [`idle`], [`timing_lock`], [`status`]), Task 3's
//! [`analysis`] and the exercise's [`success_criteria`] (with [`tradeoffs`]), the reference's
//! figures ([`reference`]), one grading run as data ([`run`]) and what it leaves for the next
//! ([`last_run`]); the tasks' files as shipped ([`task_files`]) and UTC dates ([`dates`]).
//! Nothing here imports from `rendering` or `commands`.

pub mod analysis;
pub mod build;
pub mod dates;
pub mod idle;
pub mod isolation;
pub mod last_run;
pub mod reference;
pub mod report_schema;
pub mod run;
pub mod status;
pub mod subject;
pub mod success_criteria;
pub mod task_files;
pub mod timing_lock;
pub mod tradeoffs;
