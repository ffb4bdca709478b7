//! Rendering what grading found: the student's text [`report`], the machine-readable [`json`]
//! report, and many students' reports read back as a [`class`] (text, CSV and
//! [`class_html`]). Imports from `grading` only.

pub mod class;
pub mod class_html;
pub mod json;
pub mod report;
