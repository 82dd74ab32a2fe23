//! Where folders really are, for telling whether two of them are the same or one lies
//! inside the other (through links, `..` and folders not made yet).

use std::path::{Component, Path, PathBuf};

/// A path's real location: links resolved as far as it exists, `.` and `..` removed.
pub fn real(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut lexical = PathBuf::new();
    for c in absolute.components() {
        match c {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            c => lexical.push(c),
        }
    }
    let mut rest = Vec::new();
    let mut existing = lexical.as_path();
    loop {
        if let Ok(found) = existing.canonicalize() {
            return rest.iter().rev().fold(found, |p, name| p.join(name));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return lexical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_folder_however_written() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("input");
        std::fs::create_dir_all(&input).unwrap();
        assert_eq!(real(&input), real(&dir.path().join("x/../input/.")));
        assert_eq!(real(&input.join("new/out")), real(&input).join("new").join("out"));
        assert!(real(&input.join("new")).starts_with(real(dir.path())));
    }
}
