//! The tasks' files as the workshop ships them, carried in the grader (`grader/stubs/`, built
//! into the binary: no git needed): what `reset` puts back, what `watch` maps a changed file to,
//! and where a report tells a student to look.

/// One file a student edits, as shipped.
pub struct Stub {
    /// The task it belongs to.
    pub task: u8,
    /// Its path under the workshop's folder.
    pub path: &'static str,
    /// Its shipped contents.
    pub contents: &'static [u8],
}

/// Every file of the tasks' crates as shipped: the files a student edits, and each crate's
/// `lib.rs` that wires them up.
pub const STUBS: [Stub; 13] = [
    stub(
        1,
        "exercises/task1/src/lib.rs",
        include_bytes!("../../stubs/task1/src/lib.rs"),
    ),
    stub(
        1,
        "exercises/task1/src/task1_sync_pool.rs",
        include_bytes!("../../stubs/task1/src/task1_sync_pool.rs"),
    ),
    stub(
        2,
        "exercises/task2/src/lib.rs",
        include_bytes!("../../stubs/task2/src/lib.rs"),
    ),
    stub(
        2,
        "exercises/task2/src/task2_fixed_pool.rs",
        include_bytes!("../../stubs/task2/src/task2_fixed_pool.rs"),
    ),
    stub(
        2,
        "exercises/task2/src/task2_size_class_pool.rs",
        include_bytes!("../../stubs/task2/src/task2_size_class_pool.rs"),
    ),
    stub(
        2,
        "exercises/task2/src/task2_adaptive_pool.rs",
        include_bytes!("../../stubs/task2/src/task2_adaptive_pool.rs"),
    ),
    stub(
        3,
        "exercises/task3/src/lib.rs",
        include_bytes!("../../stubs/task3/src/lib.rs"),
    ),
    stub(
        3,
        "exercises/task3/src/task3_measure.rs",
        include_bytes!("../../stubs/task3/src/task3_measure.rs"),
    ),
    stub(
        3,
        "exercises/benches/pools.rs",
        include_bytes!("../../stubs/benches/pools.rs"),
    ),
    stub(
        3,
        "exercises/TRADEOFFS.md",
        include_bytes!("../../stubs/TRADEOFFS.md"),
    ),
    stub(
        4,
        "exercises/task4/src/lib.rs",
        include_bytes!("../../stubs/task4/src/lib.rs"),
    ),
    stub(
        4,
        "exercises/task4/src/task4_config.rs",
        include_bytes!("../../stubs/task4/src/task4_config.rs"),
    ),
    stub(
        4,
        "exercises/task4/src/task4_production_pool.rs",
        include_bytes!("../../stubs/task4/src/task4_production_pool.rs"),
    ),
];

/// The path under the workshop's folder of the exercise file called `file` (a catalogue entry's
/// `file`, such as `task1_sync_pool.rs`), if a task owns one by that name.
pub fn exercise_path(file: &str) -> Option<&'static str> {
    STUBS
        .iter()
        .map(|stub| stub.path)
        .find(|path| path.rsplit('/').next() == Some(file))
}

const fn stub(task: u8, path: &'static str, contents: &'static [u8]) -> Stub {
    Stub {
        task,
        path,
        contents,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_has_its_files_and_every_stub_is_a_task_file() {
        for task in pool_checks::TASKS {
            assert!(
                STUBS.iter().any(|stub| stub.task == task.number),
                "task {}",
                task.number
            );
        }
        // Every file a check points at is one reset restores (a criteria check of Task 3
        // points at another task's pool, which resetting Task 3 leaves alone).
        for info in pool_checks::CATALOGUE {
            assert!(
                exercise_path(info.file).is_some(),
                "{}: {} is not carried",
                info.id,
                info.file
            );
        }
    }
}
