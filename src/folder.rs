//! The output folder as a capability. Every open, write, rename and delete planmon does
//! in its output folder goes through one handle of that folder (cap-std): names are
//! checked to be plain relative names, so nothing can reach outside it; no step follows
//! a link, neither in the last name nor in any folder on the way; and planmon's own
//! state files (manifest, journal, ownership record) are read only when they are
//! regular files, and only up to a stated size. A link, pipe or device where planmon
//! expects a file of its own is reported as what it is and left alone.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsSyncExt};
use cap_std::fs::{Dir, OpenOptions};
use sha2::{Digest, Sha256};

use crate::text::hex;

/// What a name in the folder holds, seen without following links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Missing,
    File,
    Dir,
    /// A symbolic link (or, on Windows, a junction or other name-surrogate reparse
    /// point), in the last name or in a folder on the way.
    Link,
    /// A pipe, socket or device, or a file where a folder should be.
    Other,
}

/// One plain name: not empty, not `.` or `..`, no separator of either system.
pub fn plain_name(c: &str) -> bool {
    !c.is_empty() && c != "." && c != ".." && !c.contains(['/', '\\', ':', '\0']) && c.len() <= 255
}

/// A relative name inside the folder: plain names joined by `/`, a few levels deep at
/// most (planmon's own paths are one or two levels; a name a thousand levels deep
/// would make walking its folders slow).
pub fn plain_rel(rel: &str) -> bool {
    !rel.is_empty() && rel.len() <= 1024 && rel.split('/').count() <= 8 && rel.split('/').all(plain_name)
}

fn invalid(rel: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("“{rel}”不是输出文件夹中的普通名称"))
}

/// Why one of planmon's own state files could not be used.
#[derive(Debug)]
pub enum StateError {
    Missing,
    Link,
    NotFile,
    TooLarge {
        size: u64,
        limit: u64,
    },
    Io(io::Error),
    /// Not complete JSON of the expected shape (cut short, or damaged).
    Damaged,
    /// Well-formed, but not written by planmon.
    Foreign,
}

impl StateError {
    /// What is wrong, in words an officer understands (after the file's name).
    pub fn explain(&self) -> String {
        match self {
            StateError::Missing => "不存在".into(),
            StateError::Link => "是一个链接（快捷方式），planmon 不会跟随它读写".into(),
            StateError::NotFile => "不是普通文件（可能是文件夹、管道或设备）".into(),
            StateError::TooLarge { size, limit } => {
                format!("有 {} MB，超过 planmon 状态文件的上限（{} MB），不是 planmon 写的", size.div_ceil(1 << 20), limit >> 20)
            }
            StateError::Io(e) => crate::oserror::explain(e),
            StateError::Damaged => "内容不完整或已损坏（可能是写入时断电、磁盘出错或被同步软件截断）".into(),
            StateError::Foreign => "不是 planmon 写的（其中没有 planmon 的标记）".into(),
        }
    }
}

impl From<io::Error> for StateError {
    fn from(e: io::Error) -> StateError {
        StateError::Io(e)
    }
}

/// One entry of a folder listing.
pub struct Entry {
    /// The name, when it is valid Unicode (planmon writes no other names).
    pub name: Option<String>,
    /// The name as shown to people (escaped where it is not valid Unicode).
    pub shown: String,
    pub kind: Kind,
}

/// A handle of one folder; every operation names things beneath it.
pub struct Folder {
    dir: Dir,
    path: PathBuf,
}

impl Folder {
    /// The folder at `path` (created if missing). `path` itself is the user's choice
    /// and may go through links; nothing beneath it does.
    pub fn create(path: &Path) -> io::Result<Folder> {
        std::fs::create_dir_all(path)?;
        Folder::open(path)
    }

    /// The existing folder at `path`.
    pub fn open(path: &Path) -> io::Result<Folder> {
        let dir = Dir::open_ambient_dir(path, cap_std::ambient_authority())?;
        Ok(Folder { dir, path: path.to_path_buf() })
    }

    /// Where `rel` is, for messages.
    pub fn path(&self, rel: &str) -> PathBuf {
        rel.split('/').fold(self.path.clone(), |p, part| p.join(part))
    }

    /// Where `rel` is, as shown to people (names that are not valid Unicode escaped).
    pub fn shown(&self, rel: &str) -> String {
        crate::text::os_display(self.path(rel).as_os_str())
    }

    pub fn root(&self) -> &Path {
        &self.path
    }

    /// The folder holding `rel`, every folder on the way opened without following a
    /// link, and the last name.
    fn parent<'a>(&self, rel: &'a str) -> io::Result<(Dir, &'a str)> {
        if !plain_rel(rel) {
            return Err(invalid(rel));
        }
        let (dirs, name) = match rel.rsplit_once('/') {
            Some((d, n)) => (Some(d), n),
            None => (None, rel),
        };
        let mut dir = self.dir.try_clone()?;
        for c in dirs.into_iter().flat_map(|d| d.split('/')) {
            dir = dir.open_dir_nofollow(c)?;
        }
        Ok((dir, name))
    }

    /// What `rel` holds, without following a link anywhere on the way.
    pub fn kind(&self, rel: &str) -> Kind {
        if !plain_rel(rel) {
            return Kind::Other;
        }
        let mut dir = match self.dir.try_clone() {
            Ok(d) => d,
            Err(_) => return Kind::Missing,
        };
        let parts: Vec<&str> = rel.split('/').collect();
        for (i, part) in parts.iter().enumerate() {
            let kind = match dir.symlink_metadata(part) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => Kind::Missing,
                Err(_) => Kind::Other,
                Ok(m) if m.file_type().is_symlink() => Kind::Link,
                Ok(m) if m.is_dir() => Kind::Dir,
                Ok(m) if m.is_file() => Kind::File,
                Ok(_) => Kind::Other,
            };
            if i + 1 == parts.len() {
                return kind;
            }
            match kind {
                Kind::Dir => match dir.open_dir_nofollow(part) {
                    Ok(d) => dir = d,
                    Err(_) => return Kind::Other,
                },
                Kind::File => return Kind::Other,
                other => return other,
            }
        }
        Kind::Missing
    }

    pub fn is_file(&self, rel: &str) -> bool {
        self.kind(rel) == Kind::File
    }

    pub fn is_dir(&self, rel: &str) -> bool {
        self.kind(rel) == Kind::Dir
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.kind(rel) != Kind::Missing
    }

    /// Open a regular file for reading, never a link, and never waiting on a pipe.
    fn open_file(&self, rel: &str) -> Result<cap_std::fs::File, StateError> {
        match self.kind(rel) {
            Kind::File => {}
            Kind::Missing => return Err(StateError::Missing),
            Kind::Link => return Err(StateError::Link),
            Kind::Dir | Kind::Other => return Err(StateError::NotFile),
        }
        let (dir, name) = self.parent(rel)?;
        let file = dir.open_with(name, OpenOptions::new().read(true).follow(FollowSymlinks::No).nonblock(true))?;
        // What was opened, not what the name held a moment before.
        if !file.metadata()?.is_file() {
            return Err(StateError::NotFile);
        }
        Ok(file)
    }

    /// The bytes of one of planmon's own files: a regular file of at most `limit` bytes.
    pub fn read_state(&self, rel: &str, limit: u64) -> Result<Vec<u8>, StateError> {
        let file = self.open_file(rel)?;
        let size = file.metadata()?.len();
        if size > limit {
            return Err(StateError::TooLarge { size, limit });
        }
        let mut bytes = Vec::with_capacity(size as usize);
        file.take(limit + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            return Err(StateError::TooLarge { size: bytes.len() as u64, limit });
        }
        Ok(bytes)
    }

    /// One of planmon's own JSON files, checked to be planmon's by `ours`.
    pub fn read_json<T: serde::de::DeserializeOwned>(&self, rel: &str, limit: u64, ours: impl Fn(&T) -> bool) -> Result<T, StateError> {
        let bytes = self.read_state(rel, limit)?;
        let value: T = serde_json::from_slice(&bytes).map_err(|_| StateError::Damaged)?;
        if ours(&value) {
            Ok(value)
        } else {
            Err(StateError::Foreign)
        }
    }

    /// SHA-256 of a regular file (None for anything else).
    pub fn sha256(&self, rel: &str) -> Option<String> {
        let mut file = self.open_file(rel).ok()?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match file.read(&mut buf).ok()? {
                0 => return Some(hex(&h.finalize())),
                n => h.update(&buf[..n]),
            }
        }
    }

    /// The size of a regular file (None for anything else).
    pub fn size(&self, rel: &str) -> Option<u64> {
        if self.kind(rel) != Kind::File {
            return None;
        }
        let (dir, name) = self.parent(rel).ok()?;
        dir.symlink_metadata(name).ok().filter(|m| m.is_file()).map(|m| m.len())
    }

    /// Whether `rel` is a regular file of this size and SHA-256 (the size is compared
    /// first, so a file of another size is never read).
    pub fn holds(&self, rel: &str, size: u64, sha256: &str) -> bool {
        self.size(rel) == Some(size) && self.sha256(rel).as_deref() == Some(sha256)
    }

    /// The file's identity on its disk (device and inode), where the system says it:
    /// two names of one hard-linked file hold the same bytes without reading them.
    #[cfg(unix)]
    fn identity(&self, rel: &str) -> Option<(u64, u64)> {
        use cap_fs_ext::MetadataExt;
        let (dir, name) = self.parent(rel).ok()?;
        let m = dir.symlink_metadata(name).ok()?;
        Some((m.dev(), m.ino()))
    }

    #[cfg(not(unix))]
    fn identity(&self, _rel: &str) -> Option<(u64, u64)> {
        None
    }

    /// Whether two regular files hold the same bytes.
    pub fn same_bytes(&self, a: &str, b: &str) -> bool {
        if self.is_file(a) && self.identity(a).is_some_and(|i| self.identity(b) == Some(i)) {
            return true;
        }
        match (self.size(a), self.size(b)) {
            (Some(x), Some(y)) if x == y => self.sha256(a).is_some_and(|h| self.sha256(b).as_deref() == Some(h.as_str())),
            _ => false,
        }
    }

    /// Make the folder `rel` and the folders on the way; each must be a real folder.
    pub fn create_dir_all(&self, rel: &str) -> io::Result<()> {
        if !plain_rel(rel) {
            return Err(invalid(rel));
        }
        let mut dir = self.dir.try_clone()?;
        for part in rel.split('/') {
            match dir.create_dir(part) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
            dir = dir.open_dir_nofollow(part)?;
        }
        Ok(())
    }

    /// Write a new file; never replaces anything (an existing name is an error).
    pub fn write_new(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        if let Some((parent, _)) = rel.rsplit_once('/') {
            self.create_dir_all(parent)?;
        }
        let (dir, name) = self.parent(rel)?;
        let mut file = dir.open_with(name, OpenOptions::new().write(true).create_new(true).follow(FollowSymlinks::No))?;
        file.write_all(bytes)
    }

    /// Move `from` (a file or folder, not a link) to `to`, where nothing is.
    pub fn rename_new(&self, from: &str, to: &str) -> io::Result<()> {
        if self.exists(to) {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        self.rename(from, to)
    }

    /// Move the file `from` over `to` (nothing there, or a regular file it replaces).
    pub fn replace(&self, from: &str, to: &str) -> io::Result<()> {
        match self.kind(to) {
            Kind::Missing | Kind::File => self.rename(from, to),
            _ => Err(io::Error::new(io::ErrorKind::AlreadyExists, "not a regular file")),
        }
    }

    /// Rename the entry `from` itself, whatever it holds (a link is moved as a link, its
    /// target untouched), to `to`, where nothing is.
    pub fn rename_any(&self, from: &str, to: &str) -> io::Result<()> {
        if self.exists(to) {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        let (from_dir, from_name) = self.parent(from)?;
        let (to_dir, to_name) = self.parent(to)?;
        from_dir.rename(from_name, &to_dir, to_name)
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        if !matches!(self.kind(from), Kind::File | Kind::Dir) {
            return Err(io::Error::from(io::ErrorKind::NotFound));
        }
        if let Some((parent, _)) = to.rsplit_once('/') {
            self.create_dir_all(parent)?;
        }
        let (from_dir, from_name) = self.parent(from)?;
        let (to_dir, to_name) = self.parent(to)?;
        from_dir.rename(from_name, &to_dir, to_name)
    }

    /// Whether the file `rel` can be moved or replaced now. On Windows a file another
    /// program holds open without sharing (Excel and WPS hold an open workbook so) can
    /// be neither; asking to open it for deletion, sharing everything, gets that
    /// program's sharing violation before anything is touched. Elsewhere files are not
    /// locked so: always.
    pub fn can_replace(&self, rel: &str) -> io::Result<()> {
        if self.kind(rel) != Kind::File {
            return Ok(());
        }
        #[cfg(windows)]
        {
            use cap_std::fs::OpenOptionsExt;
            const DELETE: u32 = 0x0001_0000;
            const SHARE_READ_WRITE_DELETE: u32 = 0x7;
            let (dir, name) = self.parent(rel)?;
            dir.open_with(
                name,
                OpenOptions::new().read(true).access_mode(DELETE).share_mode(SHARE_READ_WRITE_DELETE).follow(FollowSymlinks::No),
            )
            .map(|_| ())
        }
        #[cfg(not(windows))]
        Ok(())
    }

    /// A hard link of the file `from` at `to` (instant, no space), or a copy where the
    /// disk has no links.
    pub fn link_or_copy(&self, from: &str, to: &str) -> io::Result<()> {
        if self.kind(from) != Kind::File {
            return Err(io::Error::from(io::ErrorKind::NotFound));
        }
        if let Some((parent, _)) = to.rsplit_once('/') {
            self.create_dir_all(parent)?;
        }
        let (from_dir, from_name) = self.parent(from)?;
        let (to_dir, to_name) = self.parent(to)?;
        if from_dir.hard_link(from_name, &to_dir, to_name).is_ok() {
            return Ok(());
        }
        let mut source = from_dir.open_with(from_name, OpenOptions::new().read(true).follow(FollowSymlinks::No))?;
        let mut target = to_dir.open_with(to_name, OpenOptions::new().write(true).create_new(true).follow(FollowSymlinks::No))?;
        io::copy(&mut source, &mut target).map(|_| ())
    }

    /// Delete a regular file (a link, folder or anything else is refused).
    pub fn remove_file(&self, rel: &str) -> io::Result<()> {
        if self.kind(rel) != Kind::File {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
        }
        let (dir, name) = self.parent(rel)?;
        dir.remove_file(name)
    }

    /// Remove an empty folder (never its contents).
    pub fn remove_dir(&self, rel: &str) -> io::Result<()> {
        if self.kind(rel) != Kind::Dir {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a folder"));
        }
        let (dir, name) = self.parent(rel)?;
        dir.remove_dir(name)
    }

    /// The entries of the folder `rel` ("" for the folder itself), sorted by name.
    pub fn entries(&self, rel: &str) -> io::Result<Vec<Entry>> {
        let dir = if rel.is_empty() {
            self.dir.try_clone()?
        } else {
            let (parent, name) = self.parent(rel)?;
            parent.open_dir_nofollow(name)?
        };
        let mut out = Vec::new();
        for e in dir.entries()? {
            let e = e?;
            let os = e.file_name();
            let kind = match e.file_type() {
                Ok(t) if t.is_symlink() => Kind::Link,
                Ok(t) if t.is_dir() => Kind::Dir,
                Ok(t) if t.is_file() => Kind::File,
                _ => Kind::Other,
            };
            out.push(Entry { name: os.to_str().map(str::to_string), shown: crate::text::os_display(&os), kind });
        }
        out.sort_by(|a, b| a.shown.cmp(&b.shown));
        Ok(out)
    }

    /// Every regular file below the folder `rel`, as names relative to it (links and
    /// names that are not valid Unicode are left out: planmon writes neither).
    pub fn files_below(&self, rel: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut stack = vec![String::new()];
        while let Some(sub) = stack.pop() {
            let at = join(rel, &sub);
            for e in self.entries(&at).unwrap_or_default() {
                let Some(name) = e.name else { continue };
                let below = join(&sub, &name);
                match e.kind {
                    Kind::Dir => stack.push(below),
                    Kind::File => found.push(below),
                    _ => {}
                }
            }
        }
        found.sort();
        found
    }

    /// Remove the empty folders below `rel` (deepest first); files are never touched.
    pub fn remove_empty_folders_below(&self, rel: &str) {
        for e in self.entries(rel).unwrap_or_default() {
            if let (Some(name), Kind::Dir) = (e.name, e.kind) {
                let sub = join(rel, &name);
                self.remove_empty_folders_below(&sub);
                let _ = self.remove_dir(&sub);
            }
        }
    }

    /// Open (creating it) a file to hold a lock on: a regular file, never a link.
    pub fn open_lock(&self, rel: &str) -> io::Result<std::fs::File> {
        let (dir, name) = self.parent(rel)?;
        let file = dir.open_with(
            name,
            OpenOptions::new().read(true).write(true).create(true).truncate(false).follow(FollowSymlinks::No).nonblock(true),
        )?;
        let file = file.into_std();
        if !file.metadata()?.is_file() || links(&file) > 1 {
            // A hard link to a file elsewhere would have that file written into.
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file of its own"));
        }
        Ok(file)
    }
}

/// How many names a file has (hard links), where the system says it.
#[cfg(unix)]
fn links(file: &std::fs::File) -> u64 {
    use std::os::unix::fs::MetadataExt;
    file.metadata().map(|m| m.nlink()).unwrap_or(1)
}

#[cfg(not(unix))]
fn links(_file: &std::fs::File) -> u64 {
    1
}

/// `a/b` from `a` and `b`, either of which may be empty.
pub fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_and_relative() {
        for ok in ["a.pdf", "反馈单/市卫生健康局.pdf", ".staging-1", "history/20261201T000000Z-1/manifest.json"] {
            assert!(plain_rel(ok), "{ok}");
        }
        for bad in ["", "../a", "a/../../b", "/etc/passwd", "a//b", "C:/x", "a\\..\\b", "./a", "a/."] {
            assert!(!plain_rel(bad), "{bad}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn nothing_goes_through_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("keep.txt"), b"mine").unwrap();
        let out = tmp.path().join("out");
        let f = Folder::create(&out).unwrap();
        std::os::unix::fs::symlink(&outside, out.join("history")).unwrap();
        std::os::unix::fs::symlink(outside.join("keep.txt"), out.join("manifest.json")).unwrap();
        assert_eq!(f.kind("history"), Kind::Link);
        assert_eq!(f.kind("history/keep.txt"), Kind::Link);
        assert!(f.write_new("history/new.txt", b"x").is_err());
        assert!(f.remove_file("history/keep.txt").is_err());
        assert!(f.remove_file("manifest.json").is_err());
        assert!(matches!(f.read_state("manifest.json", 100), Err(StateError::Link)));
        assert!(f.write_new("manifest.json", b"x").is_err());
        assert!(f.open_lock("manifest.json").is_err());
        assert_eq!(std::fs::read(outside.join("keep.txt")).unwrap(), b"mine");
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1);
    }

    #[test]
    fn state_files_are_bounded() {
        let tmp = tempfile::tempdir().unwrap();
        let f = Folder::create(tmp.path()).unwrap();
        f.write_new("a.json", &[b' '; 100]).unwrap();
        assert!(matches!(f.read_state("a.json", 99), Err(StateError::TooLarge { size: 100, limit: 99 })));
        assert_eq!(f.read_state("a.json", 100).unwrap().len(), 100);
        assert!(matches!(f.read_state("b.json", 100), Err(StateError::Missing)));
        f.create_dir_all("d/e").unwrap();
        assert!(matches!(f.read_state("d", 100), Err(StateError::NotFile)));
    }
}
