//! Files a service creates (SQLite databases): their directory must already exist, so a typo
//! in a path fails at start instead of creating a fresh, empty database somewhere else.

use std::path::Path;

/// `Ok` when `file`'s directory exists (a bare file name is in the working directory).
pub fn check_parent_dir(file: &Path) -> Result<(), String> {
    let Some(dir) = file.parent().filter(|dir| !dir.as_os_str().is_empty()) else {
        return Ok(());
    };
    if dir.is_dir() {
        return Ok(());
    }
    let problem = if dir.exists() {
        "is not a directory"
    } else {
        "does not exist"
    };
    Err(format!(
        "'{}': the directory {} {problem}; create it first or give a path in an existing directory",
        file.display(),
        dir.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_in_an_existing_directory_or_the_working_one_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(check_parent_dir(&dir.path().join("hw.db")), Ok(()));
        assert_eq!(check_parent_dir(Path::new("hw.db")), Ok(()));
    }

    #[test]
    fn a_missing_directory_is_named_and_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nonexistent/dir");
        let err = check_parent_dir(&missing.join("hw.db")).unwrap_err();
        assert!(
            err.contains(&format!(
                "the directory {} does not exist",
                missing.display()
            )),
            "{err}"
        );
        assert!(!missing.exists());
        let file = dir.path().join("plain");
        std::fs::write(&file, "").unwrap();
        let err = check_parent_dir(&file.join("hw.db")).unwrap_err();
        assert!(err.contains("is not a directory"), "{err}");
    }
}
