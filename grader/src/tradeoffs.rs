//! Counting the answered questions of a `TRADEOFFS.md`: each question is a numbered `## 1. …`
//! heading, and it counts as answered when its section holds text other than the `TODO`
//! placeholder and the `>` prompts. Other headings end a question's section. Whether the
//! answers are any good is for an instructor to judge, and the report says so.

use std::path::{Path, PathBuf};

/// The trade-offs file of `crate_dir` (`exercises` or `solutions`), in the grader's source tree.
pub fn file_of(crate_dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(crate_dir)
        .join("TRADEOFFS.md")
}

/// (answered, questions) in the file at `path`; `None` if it cannot be read.
pub fn answered(path: &Path) -> Option<(usize, usize)> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(count(&text))
}

/// (answered, questions) in `text`.
pub fn count(text: &str) -> (usize, usize) {
    let mut questions = 0;
    let mut answered = 0;
    let mut has_answer = false;
    let mut in_question = false;
    for line in text.lines() {
        if line.starts_with('#') {
            if in_question && has_answer {
                answered += 1;
            }
            let numbered = line
                .strip_prefix("## ")
                .is_some_and(|title| title.starts_with(|c: char| c.is_ascii_digit()));
            questions += usize::from(numbered);
            in_question = numbered;
            has_answer = false;
        } else if in_question {
            let line = line.trim();
            let is_prompt = line.starts_with('>') || line.starts_with("<!--");
            if !line.is_empty() && !is_prompt && line != "TODO" {
                has_answer = true;
            }
        }
    }
    if in_question && has_answer {
        answered += 1;
    }
    (answered, questions)
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn only_sections_with_real_text_count() {
        let text = "# Title\nintro\n## 1. Q\n> prompt\nTODO\n## 2. Q\n\nMy answer.\n## 3. Q\n\
                    ## Notes\nnot a question\n";
        assert_eq!(count(text), (1, 3));
    }

    #[test]
    fn the_reference_answers_every_question() {
        // The student's template is not read here: once answered, it would fail this test. The
        // untouched template is checked by grader/tests/grading.rs, while the stubs are as
        // shipped.
        let reference = std::fs::read_to_string(super::file_of("solutions")).unwrap();
        let (answered, questions) = count(&reference);
        assert!(questions >= 6, "{questions} questions");
        assert_eq!(answered, questions, "the reference answers all");
    }
}
