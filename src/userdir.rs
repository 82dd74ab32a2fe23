//! Writing into folders the user owns (input/, templates/, a working folder, a folder
//! for blank returns): a file that is already there is never replaced silently, and
//! nothing is written through a link. Where a command replaces a file by design (plan
//! import), the old one is first kept under a backup name that is never reused.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("“{}”已经存在，planmon 不会覆盖它", crate::text::os_display(.0.as_os_str()))]
    Exists(PathBuf),
    #[error("“{}”是一个链接（快捷方式），planmon 不会通过链接写入文件；请把它换成文件本身", crate::text::os_display(.0.as_os_str()))]
    Link(PathBuf),
    #[error("“{}”不是普通文件（可能是文件夹、管道或设备）", crate::text::os_display(.0.as_os_str()))]
    NotFile(PathBuf),
    #[error("{0}")]
    Io(String),
}

fn io_error(doing: &str, path: &Path, e: &io::Error) -> WriteError {
    WriteError::Io(crate::oserror::describe(doing, path, e).trim_end_matches('。').to_string())
}

/// A temporary name beside `path` that nothing else uses.
fn temporary(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = path.file_name().map(crate::text::os_display).unwrap_or_default();
    let n = N.fetch_add(1, Ordering::SeqCst);
    path.with_file_name(format!(".{name}.planmon-{}-{n}.tmp", std::process::id()))
}

/// Write `bytes` as a new file at `path` (its folder created if missing). Whatever is
/// at `path` already — a file, a link, a folder — stays as it is and the call fails
/// with `Exists`. The file appears whole or not at all where the disk allows links.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(WriteError::Exists(path.to_path_buf()));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io_error("创建文件夹", dir, &e))?;
    }
    let tmp = temporary(path);
    let written = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp).and_then(|mut f| f.write_all(bytes));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_error("写入", path, &e));
    }
    // A hard link never replaces what is at `path`; where the disk has no links (FAT),
    // the file is created anew, which also fails if something is there.
    let placed = match std::fs::hard_link(&tmp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(WriteError::Exists(path.to_path_buf())),
        Err(_) => match std::fs::OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(mut f) => f.write_all(bytes).map_err(|e| io_error("写入", path, &e)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(WriteError::Exists(path.to_path_buf())),
            Err(e) => Err(io_error("写入", path, &e)),
        },
    };
    let _ = std::fs::remove_file(&tmp);
    placed
}

/// Replace the file at `path` with `bytes`, keeping the old one as
/// `<name>.<stamp>.bak` (or `.<stamp>-2.bak` … when that name is taken: a backup is
/// never written over another). Refused when `path` is a link or not a regular file.
/// Returns the backup's name, if there was a file to keep.
pub fn replace_with_backup(path: &Path, bytes: &[u8], stamp: &str) -> Result<Option<PathBuf>, WriteError> {
    let backup = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_error("读取", path, &e)),
        Ok(m) if m.file_type().is_symlink() => return Err(WriteError::Link(path.to_path_buf())),
        Ok(m) if !m.is_file() => return Err(WriteError::NotFile(path.to_path_buf())),
        Ok(_) => {
            let old = std::fs::read(path).map_err(|e| io_error("读取", path, &e))?;
            let name = path.file_name().map(crate::text::os_display).unwrap_or_default();
            let mut n = 1;
            loop {
                let suffix = if n == 1 { String::new() } else { format!("-{n}") };
                let candidate = path.with_file_name(format!("{name}.{stamp}{suffix}.bak"));
                match write_new(&candidate, &old) {
                    Ok(()) => break Some(candidate),
                    Err(WriteError::Exists(_)) if n < 1000 => n += 1,
                    Err(e) => return Err(e),
                }
            }
        }
    };
    let tmp = temporary(path);
    write_new(&tmp, bytes)?;
    // A rename replaces the name itself: nothing is written through whatever was there.
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_error("写入", path, &e));
    }
    Ok(backup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_file_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.xlsx");
        std::fs::write(&path, b"received").unwrap();
        assert!(matches!(write_new(&path, b"blank"), Err(WriteError::Exists(_))));
        assert_eq!(std::fs::read(&path).unwrap(), b"received");
        write_new(&dir.path().join("sub/b.xlsx"), b"new").unwrap();
        assert_eq!(std::fs::read(dir.path().join("sub/b.xlsx")).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary file left");
    }

    #[test]
    fn backups_are_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("indicators.toml");
        std::fs::write(&path, b"one").unwrap();
        let first = replace_with_backup(&path, b"two", "20261201T000000Z").unwrap().unwrap();
        let second = replace_with_backup(&path, b"three", "20261201T000000Z").unwrap().unwrap();
        assert_ne!(first, second);
        assert_eq!(std::fs::read(first).unwrap(), b"one");
        assert_eq!(std::fs::read(second).unwrap(), b"two");
        assert_eq!(std::fs::read(&path).unwrap(), b"three");
    }

    #[cfg(unix)]
    #[test]
    fn nothing_is_written_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere.toml");
        std::fs::write(&elsewhere, b"theirs").unwrap();
        let link = dir.path().join("indicators.toml");
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        assert!(matches!(replace_with_backup(&link, b"x", "s"), Err(WriteError::Link(_))));
        assert!(matches!(write_new(&link, b"x"), Err(WriteError::Exists(_))));
        let dangling = dir.path().join("dangling.xlsx");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(matches!(write_new(&dangling, b"x"), Err(WriteError::Exists(_))));
        assert!(!dir.path().join("nowhere").exists());
        assert_eq!(std::fs::read(&elsewhere).unwrap(), b"theirs");
    }
}
