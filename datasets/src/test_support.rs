//! Helpers shared by the unit tests.

use std::fs;
use std::path::PathBuf;

/// An empty folder for one test, under the system's temporary folder.
pub(crate) fn scratch_dir(test_name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("fireside-datasets-tests-{}", std::process::id())).join(test_name);
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap();
    }
    fs::create_dir_all(&dir).unwrap();
    dir
}
