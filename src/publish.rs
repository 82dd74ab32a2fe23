//! Writing a run's outputs so that nothing already produced is lost: one run at a time
//! per output folder (a lock file), everything written into a staging folder first, the
//! previous run's outputs moved to `history/<run id>/` (a bounded number kept), then the
//! new ones moved into place, with `manifest.json` saying what came from what.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::batch::civil_from_days;
use crate::cmd::UsageError;

pub const LOCK: &str = ".planmon.lock";
pub const HISTORY: &str = "history";
pub const MANIFEST: &str = "manifest.json";
const STAGING_PREFIX: &str = ".staging-";

/// Held while a run owns the output folder; removed when dropped.
pub struct Lock {
    path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Take the output folder for this process, or say who has it.
pub fn lock(out: &Path) -> Result<Lock> {
    let path = out.join(LOCK);
    for _ in 0..2 {
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                use std::io::Write;
                writeln!(f, "{} {}", std::process::id(), now_text())?;
                return Ok(Lock { path });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let held = std::fs::read_to_string(&path).unwrap_or_default();
                let pid: Option<u32> = held.split_whitespace().next().and_then(|p| p.parse().ok());
                if pid.is_some_and(alive) {
                    return Err(UsageError(format!(
                        "输出文件夹“{}”正被另一个 planmon 使用（进程 {}，开始于 {}）。请等它完成后再运行。如确认没有其他 planmon 在运行，可删除文件 {} 后重试。",
                        out.display(),
                        pid.unwrap_or(0),
                        held.split_whitespace().nth(1).unwrap_or("?"),
                        path.display()
                    ))
                    .into());
                }
                // Left by a run that was killed: take it over.
                std::fs::remove_file(&path).with_context(|| format!("无法删除过期的锁文件 {}", path.display()))?;
            }
            Err(e) => return Err(e).with_context(|| format!("无法在输出文件夹“{}”中创建锁文件", out.display())),
        }
    }
    Err(UsageError(format!("无法锁定输出文件夹“{}”。", out.display())).into())
}

/// Whether a process with this id is running (Linux: /proc; elsewhere assume it is).
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// Seconds since 1970 now (wall clock: used for run ids and the manifest only, never
/// inside the documents, which stay reproducible).
pub fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

pub fn iso_time(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    let s = unix.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

fn now_text() -> String {
    iso_time(now_unix())
}

/// A run id that sorts by time: 20261128T162300Z-12345.
pub fn run_id(unix: i64) -> String {
    format!("{}-{}", iso_time(unix).replace(['-', ':'], ""), std::process::id())
}

/// One output file as recorded in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct OutputRecord {
    pub file: String,
    pub what: String,
    pub size: u64,
    pub sha256: String,
}

/// The staging folder of one run.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    pub records: Vec<OutputRecord>,
}

impl Staging {
    /// A fresh staging folder (and old ones left by killed runs removed).
    pub fn new(out: &Path, run_id: &str, _lock: &Lock) -> Result<Staging> {
        if let Ok(entries) = std::fs::read_dir(out) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(STAGING_PREFIX) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = out.join(format!("{STAGING_PREFIX}{run_id}"));
        std::fs::create_dir_all(&dir).with_context(|| format!("无法创建临时文件夹 {}", dir.display()))?;
        Ok(Staging { out: out.to_path_buf(), dir, records: Vec::new() })
    }

    pub fn write(&mut self, rel: &Path, bytes: &[u8], what: &str) -> Result<()> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("无法写入 {}", path.display()))?;
        self.records.push(OutputRecord {
            file: rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/"),
            what: what.to_string(),
            size: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
        });
        Ok(())
    }

    /// Keep what a failed run made in history/<name>/ and leave the current outputs alone.
    pub fn set_aside(self, name: &str, _lock: &Lock) -> Result<PathBuf> {
        let target = self.out.join(HISTORY).join(name);
        std::fs::create_dir_all(self.out.join(HISTORY))?;
        std::fs::rename(&self.dir, &target).with_context(|| format!("无法把 {} 移到 {}", self.dir.display(), target.display()))?;
        Ok(target)
    }

    /// Move the previous outputs to history/<their run id>/, the staged ones into place,
    /// and keep at most `keep` runs in history. Returns where the outputs now are.
    pub fn commit(self, keep: usize, _lock: &Lock) -> Result<Vec<PathBuf>> {
        let previous: Vec<PathBuf> = std::fs::read_dir(&self.out)?
            .flatten()
            .filter(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                !n.starts_with('.') && n != HISTORY
            })
            .map(|e| e.path())
            .collect();
        if !previous.is_empty() {
            let id = previous_run_id(&self.out);
            let target = self.out.join(HISTORY).join(&id);
            std::fs::create_dir_all(&target).with_context(|| format!("无法创建 {}", target.display()))?;
            for p in previous {
                let name = p.file_name().map(|n| n.to_os_string()).unwrap_or_default();
                std::fs::rename(&p, target.join(name)).with_context(|| format!("无法把 {} 移入 {}", p.display(), target.display()))?;
            }
        }
        let mut placed = Vec::new();
        for e in std::fs::read_dir(&self.dir)?.flatten() {
            let dest = self.out.join(e.file_name());
            std::fs::rename(e.path(), &dest).with_context(|| format!("无法把 {} 移到 {}", e.path().display(), dest.display()))?;
            placed.push(dest);
        }
        std::fs::remove_dir_all(&self.dir).ok();
        prune_history(&self.out.join(HISTORY), keep);
        placed.sort();
        Ok(placed)
    }
}

/// The run id in the previous manifest, or one made from its files' time.
fn previous_run_id(out: &Path) -> String {
    #[derive(serde::Deserialize)]
    struct Prev {
        run_id: String,
    }
    let from_manifest = std::fs::read_to_string(out.join(MANIFEST))
        .ok()
        .and_then(|t| serde_json::from_str::<Prev>(&t).ok())
        .map(|p| p.run_id)
        .filter(|id| !id.is_empty() && !id.contains(['/', '\\', '.']));
    let id = from_manifest.unwrap_or_else(|| {
        let t = std::fs::metadata(out).and_then(|m| m.modified()).ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok());
        format!("{}-旧输出", iso_time(t.map_or(0, |d| d.as_secs() as i64)).replace(['-', ':'], ""))
    });
    // Never overwrite an earlier history folder of the same name.
    let mut unique = id.clone();
    let mut n = 1;
    while out.join(HISTORY).join(&unique).exists() {
        n += 1;
        unique = format!("{id}-{n}");
    }
    unique
}

fn prune_history(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut runs: Vec<PathBuf> = entries.flatten().filter(|e| e.path().is_dir()).map(|e| e.path()).collect();
    runs.sort();
    let excess = runs.len().saturating_sub(keep);
    for old in &runs[..excess] {
        let _ = std::fs::remove_dir_all(old);
    }
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// manifest.json: what a run read, what became of each input, and what it wrote.
#[derive(Debug, Serialize)]
pub struct Manifest<'a> {
    pub tool: &'static str,
    pub tool_version: &'static str,
    pub run_id: &'a str,
    pub started: String,
    pub finished: String,
    pub reporting_year: i32,
    pub plan_version: &'a str,
    pub plan_tables: &'a [String],
    pub input_folder: String,
    pub input_fingerprint: &'a str,
    pub inputs: &'a [crate::read::InputFile],
    pub counts: Counts,
    pub outputs: &'a [OutputRecord],
}

#[derive(Debug, Serialize)]
pub struct Counts {
    pub inputs_read: usize,
    pub inputs_rejected: usize,
    pub inputs_skipped: usize,
    pub observations: usize,
    pub figures: usize,
    pub findings_error: usize,
    pub findings_warning: usize,
    pub findings_info: usize,
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_digits() {
        assert_eq!(super::hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(super::hex(&[]), "");
    }
}
