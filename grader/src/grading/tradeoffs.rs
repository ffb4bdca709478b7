//! Counting the answered questions of a `TRADEOFFS.md`: each question is a numbered `## 1. …`
//! heading, and its answer is the text of its section, without the `>` prompts and the HTML
//! comments. Other headings end a question's section.
//!
//! An answer counts only when it says something. Left out, and named in the report with the
//! reason: no text or only the `TODO` left in place, a placeholder (`TODO: later`, `TBD`, `x`,
//! `...`), lorem ipsum, "I don't know", and answers of fewer than [`MIN_WORDS`] words. Whether a
//! counted answer is any good is for an instructor to judge, and the report says so.

use std::fmt;
use std::path::{Path, PathBuf};

/// The fewest words an answer needs to count: the questions ask for a few sentences, and one or
/// two words ("SyncPool.", "it depends") answer none of them.
pub const MIN_WORDS: usize = 3;

/// The trade-offs file of `crate_dir` (`exercises` or `solutions`), in the grader's source tree.
pub fn file_of(crate_dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(crate_dir)
        .join("TRADEOFFS.md")
}

/// Why a question's answer was not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotCounted {
    /// No text, or only the template's `TODO`.
    Unanswered,
    /// A placeholder: it begins with `TODO`, `TBD` or `FIXME`, or has no word at all (`...`).
    Placeholder,
    /// Lorem ipsum filler.
    Filler,
    /// "I don't know", "no idea" and the like, with next to nothing besides.
    DoesNotKnow,
    /// Fewer than [`MIN_WORDS`] words.
    TooShort,
}

impl fmt::Display for NotCounted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotCounted::Unanswered => f.write_str("still TODO"),
            NotCounted::Placeholder => f.write_str("a placeholder"),
            NotCounted::Filler => f.write_str("lorem ipsum"),
            NotCounted::DoesNotKnow => f.write_str("\"I don't know\""),
            NotCounted::TooShort => write!(f, "fewer than {MIN_WORDS} words"),
        }
    }
}

/// The questions of a trade-offs file, and which were answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Numbered questions.
    pub questions: usize,
    /// Those whose answer says something.
    pub answered: usize,
    /// The others: each question's number (as its heading gives it, else its position) and why.
    pub not_counted: Vec<(usize, NotCounted)>,
}

impl Tally {
    /// "4 of 6 questions answered in FILE (not counted: 2 a placeholder; 5 fewer than 3 words)":
    /// the questions left out, grouped by reason.
    pub fn summary(&self, file: &str) -> String {
        let mut text = format!(
            "{} of {} questions answered in {file}",
            self.answered, self.questions
        );
        if self.not_counted.is_empty() {
            return text;
        }
        let mut groups: Vec<(NotCounted, Vec<String>)> = Vec::new();
        for &(question, reason) in &self.not_counted {
            match groups.iter_mut().find(|(seen, _)| *seen == reason) {
                Some((_, numbers)) => numbers.push(question.to_string()),
                None => groups.push((reason, vec![question.to_string()])),
            }
        }
        let groups: Vec<String> = groups
            .iter()
            .map(|(reason, numbers)| format!("{} {reason}", numbers.join(", ")))
            .collect();
        text.push_str(&format!(" (not counted: {})", groups.join("; ")));
        text
    }
}

/// The tally of the file at `path`; `None` if it cannot be read.
pub fn answered(path: &Path) -> Option<Tally> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(count(&text))
}

/// The tally of `text`.
pub fn count(text: &str) -> Tally {
    let mut tally = Tally {
        questions: 0,
        answered: 0,
        not_counted: Vec::new(),
    };
    // The current question's number and its answer so far.
    let mut question: Option<(usize, String)> = None;
    let finish = |question: Option<(usize, String)>, tally: &mut Tally| {
        if let Some((number, answer)) = question {
            match judge(&answer) {
                None => tally.answered += 1,
                Some(reason) => tally.not_counted.push((number, reason)),
            }
        }
    };
    for line in text.lines() {
        if line.starts_with('#') {
            finish(question.take(), &mut tally);
            let title = line.strip_prefix("## ").unwrap_or_default();
            if title.starts_with(|c: char| c.is_ascii_digit()) {
                tally.questions += 1;
                let digits: String = title.chars().take_while(char::is_ascii_digit).collect();
                let number = digits.parse().unwrap_or(tally.questions);
                question = Some((number, String::new()));
            }
        } else if let Some((_, answer)) = question.as_mut() {
            let line = line.trim();
            if !line.starts_with('>') && !line.starts_with("<!--") {
                answer.push_str(line);
                answer.push('\n');
            }
        }
    }
    finish(question, &mut tally);
    tally
}

/// Phrases that say the writer does not know, lowercase, apostrophes straight.
const DOES_NOT_KNOW: [&str; 7] = [
    "i don't know",
    "i do not know",
    "don't know",
    "dunno",
    "no idea",
    "not sure",
    "idk",
];

/// Why `answer` (a question's text, prompts removed) does not count; `None` if it does.
fn judge(answer: &str) -> Option<NotCounted> {
    let text = answer.trim();
    if text.is_empty() || text == "TODO" {
        return Some(NotCounted::Unanswered);
    }
    let lower = text.to_lowercase().replace('\u{2019}', "'");
    if lower.contains("lorem ipsum") {
        return Some(NotCounted::Filler);
    }
    let first = lower
        .split(|c: char| !c.is_alphanumeric())
        .find(|word| !word.is_empty());
    if matches!(first, None | Some("todo" | "tbd" | "fixme")) {
        return Some(NotCounted::Placeholder);
    }
    // What remains once every "I don't know" is taken out must still say something.
    let mut rest = lower.clone();
    for phrase in DOES_NOT_KNOW {
        rest = rest.replace(phrase, " ");
    }
    let words = |text: &str| {
        text.split_whitespace()
            .filter(|word| word.chars().any(char::is_alphanumeric))
            .count()
    };
    if words(&rest) < MIN_WORDS {
        return Some(if rest == lower {
            NotCounted::TooShort
        } else {
            NotCounted::DoesNotKnow
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{count, judge, NotCounted, Tally};

    #[test]
    fn only_sections_with_real_text_count() {
        let text = "# Title\nintro\n## 1. Q\n> prompt\nTODO\n## 2. Q\n\nMy own answer here.\n\
                    ## 3. Q\n## Notes\nnot a question\n";
        assert_eq!(
            count(text),
            Tally {
                questions: 3,
                answered: 1,
                not_counted: vec![(1, NotCounted::Unanswered), (3, NotCounted::Unanswered)],
            }
        );
    }

    #[test]
    fn placeholders_filler_and_shrugs_are_not_answers() {
        let text = "## 1. Q\nx\n## 2. Q\nTODO: later\n## 3. Q\nI don't know.\n## 4. Q\n\
                    Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n## 5. Q\nSyncPool\n\
                    ## 6. Q\n...\n";
        let tally = count(text);
        assert_eq!((tally.answered, tally.questions), (0, 6), "{tally:?}");
        assert_eq!(
            tally.not_counted,
            vec![
                (1, NotCounted::TooShort),
                (2, NotCounted::Placeholder),
                (3, NotCounted::DoesNotKnow),
                (4, NotCounted::Filler),
                (5, NotCounted::TooShort),
                (6, NotCounted::Placeholder),
            ]
        );
        assert_eq!(
            tally.summary("exercises/TRADEOFFS.md"),
            "0 of 6 questions answered in exercises/TRADEOFFS.md (not counted: 1, 5 fewer than \
             3 words; 2, 6 a placeholder; 3 \"I don't know\"; 4 lorem ipsum)"
        );
    }

    #[test]
    fn a_short_answer_that_says_something_counts() {
        assert_eq!(judge("The fixed pool: one size, no waste."), None);
        assert_eq!(
            judge("I don't know the 2-thread figure, but SyncPool kept 11x on one thread."),
            None
        );
        assert_eq!(judge("TODO"), Some(NotCounted::Unanswered));
        assert_eq!(judge("Not sure, sorry"), Some(NotCounted::DoesNotKnow));
        assert_eq!(judge("It depends"), Some(NotCounted::TooShort));
    }

    #[test]
    fn a_fully_answered_file_says_nothing_more() {
        let tally = count("## 1. Q\nPooling pays for large zeroed buffers.\n");
        assert_eq!(tally.summary("f.md"), "1 of 1 questions answered in f.md");
    }

    #[test]
    fn the_template_answers_none() {
        let template = include_str!("../../stubs/TRADEOFFS.md");
        let tally = count(template);
        assert_eq!((tally.answered, tally.questions), (0, 7), "{tally:?}");
        assert!(tally
            .not_counted
            .iter()
            .all(|(_, reason)| *reason == NotCounted::Unanswered));
    }
}
