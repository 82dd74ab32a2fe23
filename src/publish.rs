//! Writing a run's outputs so that nothing already produced is lost and nothing planmon
//! did not write is touched.
//!
//! - One run at a time per output folder: `.planmon.lock`, held with the operating
//!   system's file lock (released by the OS when the process ends, however it ends).
//! - Everything is written into a staging folder first. A run that fails leaves it in
//!   `history/<run id>-未完成/`; the current outputs stay as they were.
//! - The files planmon owns in the output folder are exactly those the previous
//!   `manifest.json` lists. Only they are archived to `history/<run id>/`, replaced or
//!   removed; any other file there is left alone (and reported).
//! - The swap follows a journal (`.planmon-journal.json`): the previous set is first
//!   linked (or copied) into a hidden folder of history/ and renamed into place in one
//!   step, so every set in history/ is whole; then the new files are renamed over the
//!   old ones, manifest last. If a file cannot be replaced (a workbook open in Excel on
//!   Windows), every step already taken is undone and the previous set stays. If the
//!   process dies in between, the next run finishes the swap from the journal before
//!   it does anything else.
//! - history/ keeps a bounded number of runs; trimming deletes only files whose bytes
//!   are still those the set's manifest records.

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::{iso_time, now_unix};
use crate::cmd::UsageError;
use crate::oserror::{self, At};
use crate::text::hex;

pub const LOCK: &str = ".planmon.lock";
pub const HISTORY: &str = "history";
pub const MANIFEST: &str = "manifest.json";
pub const JOURNAL: &str = ".planmon-journal.json";
pub const UNFINISHED: &str = "-未完成";
const STAGING_PREFIX: &str = ".staging-";
const PARTIAL_PREFIX: &str = ".partial-";
const DELETING_PREFIX: &str = ".deleting-";

/// Held while a run owns the output folder. The OS releases the lock when the file is
/// closed or the process ends; the file itself stays (removing it would let a third
/// run lock a new file while a second still waits on the old one).
pub struct Lock {
    _file: std::fs::File,
}

/// Take the output folder for this process, or say who has it.
pub fn lock(out: &Path) -> Result<Lock> {
    let path = out.join(LOCK);
    let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).at("创建锁文件", &path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let held = std::fs::read_to_string(&path).unwrap_or_default();
            let mut words = held.split_whitespace();
            let (pid, since) = (words.next().unwrap_or("?"), words.next().unwrap_or("?"));
            return Err(UsageError(format!(
                "输出文件夹“{}”正被另一个 planmon 使用（进程 {pid}，开始于 {since}）。请等它完成后再运行。",
                out.display()
            ))
            .into());
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(oserror::error("锁定输出文件夹", out, &e)),
    }
    // Who holds it, for the message a second run shows (advisory text only).
    let _ = file.set_len(0).and_then(|_| writeln!(file, "{} {}", std::process::id(), iso_time(now_unix())));
    failpoint::hold();
    Ok(Lock { _file: file })
}

/// A run id that sorts by time: 20261128T162300Z-12345.
pub fn run_id(unix: i64) -> String {
    format!("{}-{}", iso_time(unix).replace(['-', ':'], ""), std::process::id())
}

/// One output file as recorded in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutputRecord {
    pub file: String,
    #[serde(default)]
    pub what: String,
    #[serde(default)]
    pub size: u64,
    pub sha256: String,
}

/// What a manifest says planmon wrote into the folder it lies in.
#[derive(Debug, Deserialize)]
struct WrittenSet {
    #[serde(default)]
    tool: String,
    #[serde(default)]
    run_id: String,
    #[serde(default)]
    outputs: Vec<OutputRecord>,
}

/// The set planmon wrote in `dir`, from its manifest.json (None if there is none, or it
/// is not planmon's). Paths that could point outside the folder are dropped.
fn written_set(dir: &Path) -> Option<WrittenSet> {
    let text = std::fs::read(dir.join(MANIFEST)).ok()?;
    let mut set: WrittenSet = serde_json::from_slice(&text).ok()?;
    if set.tool != "planmon" {
        return None;
    }
    set.outputs.retain(|o| safe_relative(&o.file) && o.file != MANIFEST);
    Some(set)
}

/// A path inside the output folder: relative, plain names, not history/ or hidden.
fn safe_relative(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    !rel.is_empty()
        && parts.iter().all(|p| !p.is_empty() && *p != "." && *p != ".." && !p.contains(['\\', ':']) && !p.starts_with('.'))
        && parts[0] != HISTORY
}

fn sha256_file(path: &Path) -> Option<String> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match std::io::Read::read(&mut f, &mut buf).ok()? {
            0 => return Some(hex(&h.finalize())),
            n => h.update(&buf[..n]),
        }
    }
}

fn is_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

fn join(dir: &Path, rel: &str) -> PathBuf {
    rel.split('/').fold(dir.to_path_buf(), |p, part| p.join(part))
}

/// The staging folder of one run.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    run_id: String,
    pub records: Vec<OutputRecord>,
}

impl Staging {
    pub fn new(out: &Path, run_id: &str, _lock: &Lock) -> Result<Staging> {
        let dir = out.join(format!("{STAGING_PREFIX}{run_id}"));
        std::fs::create_dir_all(&dir).at("创建临时文件夹", &dir)?;
        Ok(Staging { out: out.to_path_buf(), dir, run_id: run_id.to_string(), records: Vec::new() })
    }

    pub fn write(&mut self, rel: &Path, bytes: &[u8], what: &str) -> Result<()> {
        let path = self.dir.join(rel);
        failpoint::step().at("写入", &path)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).at("创建文件夹", parent)?;
        }
        std::fs::write(&path, bytes).at("写入", &path)?;
        self.records.push(OutputRecord {
            file: rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/"),
            what: what.to_string(),
            size: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
        });
        Ok(())
    }

    /// Keep what a failed run made in history/<run id>-未完成/ and leave the current
    /// outputs alone. Returns where it went.
    pub fn set_aside(self, _lock: &Lock) -> Result<PathBuf> {
        set_aside(&self.out, &self.dir, &self.run_id)
    }

    /// Put the staged outputs in place of the previous ones (see the module comment).
    /// On failure the previous outputs are in place and the new ones in history/.
    pub fn commit(self, keep: usize, _lock: &Lock, notes: &mut Vec<String>) -> Result<()> {
        let out = &self.out;
        let previous = written_set(out);
        let owned: BTreeSet<String> = previous
            .iter()
            .flat_map(|p| p.outputs.iter().map(|o| o.file.clone()))
            .chain(previous.as_ref().map(|_| MANIFEST.to_string()))
            .collect();
        // The new set, manifest last (it says which set the folder holds); the workbook
        // first, the file most likely to be open in another program.
        let mut new: Vec<String> = self.records.iter().map(|r| r.file.clone()).filter(|f| f != MANIFEST).collect();
        new.sort_by_key(|f| (!f.ends_with(".xlsx"), f.contains('/'), f.clone()));
        new.push(MANIFEST.to_string());

        // A file of the user's where a new output would go is never replaced.
        let clashes: Vec<&String> = new.iter().filter(|n| clash(out, n, &owned)).collect();
        if !clashes.is_empty() {
            let list = clashes.iter().map(|c| format!("“{c}”")).collect::<Vec<_>>().join("、");
            let kept = set_aside(out, &self.dir, &self.run_id)?;
            return Err(UsageError(format!(
                "输出文件夹“{}”中已有{list}，不是 planmon 上次生成的文件（上次的 manifest.json 中没有），为免覆盖，本次结果没有放入。请把这些文件移走或改名后重新运行。本次结果在“{}”。",
                out.display(),
                kept.display()
            ))
            .into());
        }

        let mut journal = Journal {
            run_id: self.run_id.clone(),
            staging: self.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            archive: None,
            previous: Vec::new(),
            new,
        };
        if let Some(prev) = &previous {
            journal.previous = owned.iter().filter(|f| is_file(&join(out, f))).cloned().collect();
            if !journal.previous.is_empty() {
                journal.archive = Some(unique_history_name(out, &prev.run_id));
            }
            for o in &prev.outputs {
                let path = join(out, &o.file);
                if is_file(&path) && sha256_file(&path).as_deref() != Some(o.sha256.as_str()) {
                    notes.push(format!(
                        "上次生成的“{}”在生成后被修改过：已随上次的输出保存在 history/{}/ 中，以后清理历史时也不会删除它。",
                        o.file,
                        journal.archive.as_deref().unwrap_or("")
                    ));
                }
            }
        }
        let foreign = foreign_entries(out, &owned, &journal.new);
        if !foreign.is_empty() {
            notes.push(format!(
                "输出文件夹中另有 {} 项不是 planmon 生成的，未作改动：{}。",
                foreign.len(),
                foreign.iter().take(10).map(|f| format!("“{f}”")).collect::<Vec<_>>().join("、")
                    + if foreign.len() > 10 { " 等" } else { "" }
            ));
        }
        if let Err(e) = journal.write(out) {
            let kept = set_aside(out, &self.dir, &self.run_id)?;
            return Err(UsageError(format!("{e:#}\n输出文件夹中仍是上次的结果，未作改动；本次结果放在“{}”。", kept.display())).into());
        }
        if let Err(e) = journal.apply(out) {
            let kept = journal
                .roll_back(out)
                .map_err(|again| anyhow::anyhow!("{e:#}\n撤回时又出错：{again:#}。下次运行 planmon 时会先完成这次替换。"))?;
            return Err(UsageError(format!("{e:#}\n输出文件夹中仍是上次的结果，未作改动；本次结果放在“{}”。", kept.display())).into());
        }
        prune(&out.join(HISTORY), keep, notes);
        Ok(())
    }
}

/// Whether a new output at `rel` would land on something planmon does not own.
fn clash(out: &Path, rel: &str, owned: &BTreeSet<String>) -> bool {
    let target = join(out, rel);
    if exists(&target) && (!owned.contains(rel) || !is_file(&target)) {
        return true;
    }
    // A file where one of its folders should be.
    let parts: Vec<&str> = rel.split('/').collect();
    (1..parts.len()).any(|i| {
        let p = join(out, &parts[..i].join("/"));
        exists(&p) && !std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir())
    })
}

/// Names in the output folder that planmon neither wrote nor keeps (for the summary).
fn foreign_entries(out: &Path, owned: &BTreeSet<String>, new: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let ours = |rel: &str| owned.contains(rel) || new.iter().any(|n| n == rel);
    let mut stack = vec![(out.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
            if prefix.is_empty() && (name.starts_with('.') || name == HISTORY) {
                continue;
            }
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            let holds_ours = owned.iter().chain(new).any(|o| o.starts_with(&format!("{rel}/")));
            if is_dir && holds_ours {
                stack.push((e.path(), rel));
            } else if !ours(&rel) {
                found.push(rel);
            }
        }
    }
    found.sort();
    found
}

/// history/<id>, or history/<id>-2 … if that name is taken.
fn unique_history_name(out: &Path, id: &str) -> String {
    let id: String = if id.is_empty() || !safe_relative(id) || id.contains('/') { "旧输出".to_string() } else { id.to_string() };
    let history = out.join(HISTORY);
    let mut name = id.clone();
    let mut n = 1;
    while exists(&history.join(&name)) || exists(&history.join(format!("{PARTIAL_PREFIX}{name}"))) {
        n += 1;
        name = format!("{id}-{n}");
    }
    name
}

/// Move a staging folder (of a failed or killed run) to history/<run id>-未完成/, with
/// a manifest of the files it holds so that trimming history can remove them later.
fn set_aside(out: &Path, dir: &Path, run_id: &str) -> Result<PathBuf> {
    remove_empty_subfolders(dir);
    if written_set(dir).is_none() {
        let mut outputs = Vec::new();
        let mut stack = vec![(dir.to_path_buf(), String::new())];
        while let Some((d, prefix)) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let rel = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push((e.path(), rel));
                } else if let Some(sha256) = sha256_file(&e.path()) {
                    let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                    outputs.push(OutputRecord { file: rel, what: String::new(), size, sha256 });
                }
            }
        }
        outputs.sort_by(|a, b| a.file.cmp(&b.file));
        let manifest = serde_json::json!({ "tool": "planmon", "run_id": run_id, "status": "未完成", "outputs": outputs });
        let path = dir.join(MANIFEST);
        std::fs::write(&path, serde_json::to_vec_pretty(&manifest)?).at("写入", &path)?;
    }
    let history = out.join(HISTORY);
    std::fs::create_dir_all(&history).at("创建文件夹", &history)?;
    let target = history.join(unique_history_name(out, &format!("{run_id}{UNFINISHED}")));
    failpoint::step().at("移动临时文件夹", dir)?;
    std::fs::rename(dir, &target).at("移动临时文件夹", dir)?;
    Ok(target)
}

/// The swap in progress, written before it starts; every step can be taken again.
#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    run_id: String,
    /// The staging folder's name in the output folder.
    staging: String,
    /// history/<archive>: where the previous set goes (None: there was none).
    archive: Option<String>,
    /// The previous set's files present in the output folder (manifest.json included).
    previous: Vec<String>,
    /// The new set's files, in the order they are put in place (manifest.json last).
    new: Vec<String>,
}

impl Journal {
    fn write(&self, out: &Path) -> Result<()> {
        let tmp = out.join(format!("{JOURNAL}.tmp"));
        let written = std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)
            .and_then(|()| failpoint::step())
            .and_then(|()| std::fs::rename(&tmp, out.join(JOURNAL)))
            .at("写入", &out.join(JOURNAL));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }

    fn staging(&self, out: &Path) -> PathBuf {
        out.join(&self.staging)
    }

    fn archive(&self, out: &Path) -> Option<PathBuf> {
        self.archive.as_ref().map(|a| out.join(HISTORY).join(a))
    }

    /// Archive the previous set, put the new one in place, retire what is left of the
    /// previous one, and tidy up. Steps already taken are skipped, so this also
    /// finishes a swap that a killed run began.
    fn apply(&self, out: &Path) -> Result<()> {
        let staging = self.staging(out);
        if let Some(archive) = self.archive(out) {
            if !exists(&archive) {
                let partial = out.join(HISTORY).join(format!("{PARTIAL_PREFIX}{}", self.archive.as_deref().unwrap_or("")));
                if exists(&partial) {
                    // Only links or copies of the files still in place: made again.
                    std::fs::remove_dir_all(&partial).at("清理临时文件夹", &partial)?;
                }
                for rel in &self.previous {
                    let from = join(out, rel);
                    if is_file(&from) {
                        failpoint::step().at("保存上次的输出", &from)?;
                        link_or_copy(&from, &join(&partial, rel))?;
                    }
                }
                std::fs::create_dir_all(&partial).at("创建文件夹", &partial)?;
                failpoint::step().at("保存上次的输出到", &archive)?;
                std::fs::rename(&partial, &archive).at("保存上次的输出到", &archive)?;
            }
        }
        for rel in &self.new {
            let from = join(&staging, rel);
            if is_file(&from) {
                let to = join(out, rel);
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent).at("创建文件夹", parent)?;
                }
                failpoint::step().at("替换", &to)?;
                std::fs::rename(&from, &to).at("替换", &to)?;
            }
        }
        if let Some(archive) = self.archive(out) {
            for rel in self.previous.iter().filter(|p| !self.new.contains(p)) {
                let path = join(out, rel);
                if is_file(&path) && is_file(&join(&archive, rel)) {
                    failpoint::step().at("移走上次的文件", &path)?;
                    std::fs::remove_file(&path).at("移走上次的文件", &path)?;
                }
            }
        }
        remove_empty_dirs(out, self.previous.iter().chain(&self.new));
        remove_empty_dirs(&staging, self.new.iter());
        let _ = std::fs::remove_dir(&staging);
        failpoint::step().at("删除", &out.join(JOURNAL))?;
        std::fs::remove_file(out.join(JOURNAL)).at("删除", &out.join(JOURNAL))?;
        Ok(())
    }

    /// Undo a swap that could not be finished: the new files back to staging, the
    /// previous ones back in place, then the staging folder to history/<id>-未完成.
    fn roll_back(&self, out: &Path) -> Result<PathBuf> {
        let staging = self.staging(out);
        let archive = self.archive(out);
        for rel in self.new.iter().rev() {
            let (placed, back) = (join(out, rel), join(&staging, rel));
            if !is_file(&back) && is_file(&placed) {
                if let Some(parent) = back.parent() {
                    std::fs::create_dir_all(parent).at("创建文件夹", parent)?;
                }
                std::fs::rename(&placed, &back).at("撤回", &placed)?;
            }
        }
        if let Some(archive) = &archive {
            for rel in &self.previous {
                let (kept, place) = (join(archive, rel), join(out, rel));
                if is_file(&kept) && !exists(&place) {
                    let tmp = join(out, &format!("{rel}.planmon-tmp"));
                    link_or_copy(&kept, &tmp)?;
                    std::fs::rename(&tmp, &place).at("恢复", &place)?;
                }
            }
            // The previous set is in place again; its copy in history/ goes.
            if exists(archive) {
                std::fs::remove_dir_all(archive).at("清理", archive)?;
            }
        }
        remove_empty_dirs(out, self.new.iter());
        let kept = set_aside(out, &staging, &self.run_id)?;
        std::fs::remove_file(out.join(JOURNAL)).at("删除", &out.join(JOURNAL))?;
        Ok(kept)
    }
}

/// A hard link (instant, no space), or a copy where links are not possible.
fn link_or_copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).at("创建文件夹", parent)?;
    }
    if std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to).map(|_| ()).at("复制", from)
}

/// Remove every empty folder below `dir` (deepest first); files are never touched.
fn remove_empty_subfolders(dir: &Path) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            remove_empty_subfolders(&e.path());
            let _ = std::fs::remove_dir(e.path());
        }
    }
}

/// Remove the folders of these files (deepest first) where they are now empty.
fn remove_empty_dirs<'a>(base: &Path, files: impl Iterator<Item = &'a String>) {
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    for f in files {
        let parts: Vec<&str> = f.split('/').collect();
        for i in 1..parts.len() {
            dirs.insert(parts[..i].join("/"));
        }
    }
    let mut dirs: Vec<String> = dirs.into_iter().collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.matches('/').count()));
    for d in dirs {
        let _ = std::fs::remove_dir(join(base, &d));
    }
}

/// Before a run: finish (or undo) a swap that a killed run left, and move the staging
/// folders of runs that died before their swap to history/<id>-未完成/.
pub fn recover(out: &Path, _lock: &Lock, notes: &mut Vec<String>) -> Result<()> {
    let journal_path = out.join(JOURNAL);
    let mut journaled = None;
    if is_file(&journal_path) {
        match std::fs::read(&journal_path).ok().and_then(|b| serde_json::from_slice::<Journal>(&b).ok()) {
            Some(journal) => {
                journaled = Some(journal.staging.clone());
                match journal.apply(out) {
                    Ok(()) => notes.push(format!(
                        "上次运行（{}）在替换输出文件时中断，已先完成那次替换；其结果随后作为上次的输出保存到 history/ 中。",
                        journal.run_id
                    )),
                    Err(e) => {
                        let kept = journal.roll_back(out)?;
                        notes.push(format!(
                            "上次运行（{}）在替换输出文件时中断，且无法完成（{e:#}），已恢复到那次之前的输出；那次的结果放在“{}”。",
                            journal.run_id,
                            kept.display()
                        ));
                    }
                }
            }
            None => {
                // Written atomically, so this is not planmon's: left alone, renamed aside.
                let aside = out.join(format!("{JOURNAL}.无法读取"));
                std::fs::rename(&journal_path, &aside).at("移开", &journal_path)?;
            }
        }
    }
    for e in std::fs::read_dir(out).at("打开输出文件夹", out)?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(id) = name.strip_prefix(STAGING_PREFIX) {
            if e.file_type().is_ok_and(|t| t.is_dir()) && journaled.as_deref() != Some(name.as_str()) {
                let kept = set_aside(out, &e.path(), id)?;
                notes.push(format!("上次运行（{id}）中途停止，未完成的结果已放在“{}”。", kept.display()));
            }
        }
    }
    // Hidden archive folders of a swap that never began hold links or copies only;
    // sets whose trimming was cut short are trimmed to the end.
    for e in std::fs::read_dir(out.join(HISTORY)).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(PARTIAL_PREFIX) {
            let _ = std::fs::remove_dir_all(e.path());
        } else if let Some(set) = name.strip_prefix(DELETING_PREFIX) {
            empty_set(&e.path())?;
            notes.extend(finish_deleting(&e.path(), set));
        }
    }
    let tmp = out.join(format!("{JOURNAL}.tmp"));
    if is_file(&tmp) {
        let _ = std::fs::remove_file(tmp);
    }
    Ok(())
}

/// Keep the `keep` newest sets of history/ (sets are folders with planmon's manifest).
/// An older set is first renamed to a hidden name (so no visible set is ever partial),
/// then loses the files whose bytes are still what its manifest records; anything else
/// in it stays, under its name again, and is reported. Trimming is tidying: a failure
/// is reported, never fatal.
fn prune(history: &Path, keep: usize, notes: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(history) else { return };
    let mut sets: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()) && !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| written_set(p).is_some())
        .collect();
    sets.sort();
    let excess = sets.len().saturating_sub(keep);
    for set in &sets[..excess] {
        let name = set.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let hidden = history.join(format!("{DELETING_PREFIX}{name}"));
        let trimmed =
            failpoint::step().and_then(|()| std::fs::rename(set, &hidden)).at("清理历史记录", set).and_then(|()| empty_set(&hidden));
        if let Err(e) = trimmed {
            notes.push(format!("清理历史记录时出错：{e:#}"));
        } else if let Some(note) = finish_deleting(&hidden, &name) {
            notes.push(note);
        }
    }
}

/// Delete the files of a set that still hold what its manifest records, the manifest
/// last (so that a kill in between leaves a manifest to go on from).
fn empty_set(dir: &Path) -> Result<()> {
    let Some(written) = written_set(dir) else { return Ok(()) };
    for o in &written.outputs {
        let path = join(dir, &o.file);
        if is_file(&path) && sha256_file(&path).as_deref() == Some(o.sha256.as_str()) {
            failpoint::step().at("删除", &path)?;
            std::fs::remove_file(&path).at("删除", &path)?;
        }
    }
    remove_empty_subfolders(dir);
    let manifest = dir.join(MANIFEST);
    failpoint::step().at("删除", &manifest)?;
    std::fs::remove_file(&manifest).at("删除", &manifest)
}

/// The hidden folder of a trimmed set: removed when empty, else given its name back
/// (it holds files planmon did not write, or that were changed).
fn finish_deleting(hidden: &Path, name: &str) -> Option<String> {
    if std::fs::remove_dir(hidden).is_ok() {
        return None;
    }
    let back = hidden.with_file_name(name);
    let _ = std::fs::rename(hidden, &back);
    Some(format!("history/{name} 中有被修改过的或不是 planmon 生成的文件，清理历史时保留了这些文件。"))
}

/// Test builds only: stop or fail at a chosen step of writing and swapping outputs.
/// `PLANMON_FAILPOINT_SWAP=N` ends the process at step N as a kill would (no clean-up);
/// `PLANMON_FAILPOINT_SWAP_FAIL=N` makes step N fail as a file held open by another
/// program does; `PLANMON_FAILPOINT_HOLD_MS=N` keeps the lock N ms before going on.
mod failpoint {
    #[cfg(debug_assertions)]
    pub fn step() -> std::io::Result<()> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static STEP: AtomicUsize = AtomicUsize::new(0);
        let n = STEP.fetch_add(1, Ordering::SeqCst) + 1;
        let at = |var: &str| std::env::var(var).ok().and_then(|v| v.parse::<usize>().ok()) == Some(n);
        if at("PLANMON_FAILPOINT_SWAP") {
            std::process::abort();
        }
        if at("PLANMON_FAILPOINT_SWAP_FAIL") {
            return Err(std::io::Error::from(std::io::ErrorKind::ResourceBusy));
        }
        Ok(())
    }

    #[cfg(not(debug_assertions))]
    pub fn step() -> std::io::Result<()> {
        Ok(())
    }

    pub fn hold() {
        #[cfg(debug_assertions)]
        if let Some(ms) = std::env::var("PLANMON_FAILPOINT_HOLD_MS").ok().and_then(|v| v.parse::<u64>().ok()) {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }
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
    /// What the next run compares with (changes).
    pub snapshot: &'a crate::changes::Snapshot,
}

#[derive(Debug, Serialize)]
pub struct Counts {
    pub inputs_read: usize,
    pub inputs_rejected: usize,
    pub inputs_skipped: usize,
    pub inputs_superseded: usize,
    pub observations: usize,
    pub figures: usize,
    pub findings_error: usize,
    pub findings_warning: usize,
    pub findings_info: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_owned() {
        for ok in ["a.pdf", "反馈单/市卫生健康局.pdf", "observations.csv"] {
            assert!(safe_relative(ok), "{ok}");
        }
        for bad in ["", "../a", "a/../../b", "/etc/passwd", "history/x", ".planmon.lock", "a//b", "C:/x", "a\\..\\b", "input/../x"] {
            assert!(!safe_relative(bad), "{bad}");
        }
    }
}
