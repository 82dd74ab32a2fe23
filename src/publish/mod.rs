//! Stage 5 — publish: put a run's outputs in place so that nothing already produced is
//! lost and nothing planmon did not write is touched, whatever state the output folder
//! is in.
//!
//! - Every operation goes through a handle of the output folder (`folder`): plain
//!   relative names, no link followed, planmon's own state files read bounded.
//! - One run at a time per output folder: `.planmon.lock`, held with the operating
//!   system's file lock (released by the OS when the process ends, however it ends).
//! - Everything is written into a staging folder first (`.staging-<run id>`, marked as
//!   planmon's by a small token file). A run that fails leaves it in
//!   `history/<run id>-未完成/`; the current outputs stay as they were.
//! - The files planmon owns in the output folder are those its ownership record
//!   (`.planmon-owned.json`, with each file's SHA-256) lists, or for a folder written by
//!   an older planmon, its `manifest.json`. Only they are archived to
//!   `history/<run id>/`, replaced or removed; any other file is left alone (and
//!   reported).
//! - The swap follows a journal (`journal`), verified before it is acted on; history/
//!   keeps a bounded number of whole sets (`history`).
//! - A state file that is not what planmon wrote (a link, a pipe, cut short, too large)
//!   is never followed or deleted: it is renamed aside and reported.

mod history;
mod journal;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::{iso_time, now_unix};
use crate::cmd::UsageError;
use crate::folder::{plain_name, Folder, Kind, StateError};
use crate::oserror::{self, At};
use crate::text::hex;

pub use history::earlier_manifests;

pub const LOCK: &str = ".planmon.lock";
pub const HISTORY: &str = "history";
pub const MANIFEST: &str = "manifest.json";
pub const JOURNAL: &str = ".planmon-journal.json";
/// The ownership record: which files the set in place is, with their SHA-256.
pub const OWNED: &str = ".planmon-owned.json";
pub const UNFINISHED: &str = "-未完成";
/// The token file that marks a folder as planmon's (staging, partial, deleting).
const MARKER: &str = ".planmon-marker";
const STAGING_PREFIX: &str = ".staging-";
const PARTIAL_PREFIX: &str = ".partial-";
const DELETING_PREFIX: &str = ".deleting-";
/// Suffix of a state file planmon could not use, renamed aside.
const ASIDE: &str = ".已移开-";

/// The largest manifest planmon reads back (a run of 12,000 returns writes about
/// 40 MB); anything larger is not planmon's.
pub const MANIFEST_LIMIT: u64 = 256 << 20;
/// The largest journal or ownership record (a few KB for a county).
const RECORD_LIMIT: u64 = 16 << 20;
/// No output planmon writes is larger (the workbook of 12,000 returns is about 20 MB).
const OUTPUT_LIMIT: u64 = 1 << 30;

/// Held while a run owns the output folder; every step of the run in that folder goes
/// through it. The OS releases the lock when the file is closed or the process ends;
/// the file itself stays (removing it would let a third run lock a new file while a
/// second still waits on the old one).
pub struct Lock {
    _file: std::fs::File,
    folder: Folder,
    /// The input folder, as a path inside the output folder, when it lies there
    /// (`planmon run --output .`): nothing in it is ever planmon's.
    input: Option<String>,
}

impl Lock {
    pub fn folder(&self) -> &Folder {
        &self.folder
    }
}

/// Take the output folder `out` (created if missing) for this process, or say who has
/// it. A `.planmon.lock` that is not a regular file of its own (a link, a folder, a hard
/// link to a file elsewhere) is renamed aside first: a lock is never taken through a
/// link, and nothing is written into a file that also lives elsewhere.
pub fn lock(out: &Path, input: &Path, notes: &mut Vec<String>) -> Result<Lock> {
    let folder = Folder::create(out).at("创建输出文件夹", out)?;
    let id = run_id(now_unix());
    if !matches!(folder.kind(LOCK), Kind::Missing | Kind::File) {
        let why = describe_kind(folder.kind(LOCK));
        set_aside_state(&folder, LOCK, &why, &id, notes)?;
    }
    let mut file = match folder.open_lock(LOCK) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            set_aside_state(&folder, LOCK, "与别处的文件是同一个文件（硬链接）", &id, notes)?;
            folder.open_lock(LOCK).at("创建锁文件", &folder.path(LOCK))?
        }
        Err(e) => return Err(oserror::error("创建锁文件", &folder.path(LOCK), &e)),
    };
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut held = String::new();
            let _ = std::io::Read::read_to_string(&mut std::io::Read::take(&file, 200), &mut held);
            let mut words = held.split_whitespace();
            let who = match (words.next(), words.next()) {
                (Some(pid), Some(since)) => {
                    format!("（进程 {}，开始于 {}）", crate::text::printable(pid, 20), crate::text::printable(since, 40))
                }
                _ => String::new(),
            };
            return Err(UsageError(format!(
                "输出文件夹“{}”正被另一个 planmon 使用{who}。请等它完成后再运行。",
                crate::text::os_display(out.as_os_str())
            ))
            .into());
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(oserror::error("锁定输出文件夹", out, &e)),
    }
    // Who holds it, for the message a second run shows (advisory text only).
    let _ = file
        .set_len(0)
        .and_then(|_| std::io::Write::write_all(&mut file, format!("{} {}\n", std::process::id(), iso_time(now_unix())).as_bytes()));
    failpoint::hold();
    let (real_out, real_in) = (crate::paths::real(out), crate::paths::real(input));
    let input = real_in.strip_prefix(&real_out).ok().and_then(|rel| {
        let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
        parts.filter(|p| !p.is_empty()).map(|p| p.join("/"))
    });
    Ok(Lock { _file: file, folder, input })
}

/// A run id that sorts by time: 20261128T162300Z-12345.
pub fn run_id(unix: i64) -> String {
    format!("{}-{}", iso_time(unix).replace(['-', ':'], ""), std::process::id())
}

/// Whether `id` has the shape of a run id (so that it can name folders).
fn is_run_id(id: &str) -> bool {
    let Some((time, pid)) = id.split_once('-') else { return false };
    let b = time.as_bytes();
    b.len() == 16
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'Z'
        && !pid.is_empty()
        && pid.len() <= 10
        && pid.bytes().all(|c| c.is_ascii_digit())
}

/// A token no folder of the user's has by chance: 128 random bits.
fn token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = Vec::with_capacity(16);
    for salt in [1u64, 2] {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(salt ^ now_unix() as u64);
        h.write_u32(std::process::id());
        bytes.extend(h.finish().to_le_bytes());
    }
    hex(&bytes)
}

/// The marker planmon writes into a folder it made, and checks before it moves or
/// deletes anything in it: `staging` for a run's staging folder (named by the run id),
/// `set` for a set of outputs in history/ (named by its folder's name there, so that a
/// copy of the folder under another name is not planmon's).
fn marker(kind: &str, name: &str, token: &str) -> String {
    format!("planmon {kind} {name} {token}\n")
}

/// Whether the folder `dir` carries planmon's marker of `kind` for `name` (and, when
/// given, `token`).
fn marked(f: &Folder, dir: &str, kind: &str, name: &str, token: Option<&str>) -> bool {
    let Ok(bytes) = f.read_state(&crate::folder::join(dir, MARKER), 1024) else { return false };
    let text = String::from_utf8_lossy(&bytes);
    let mut words = text.split_whitespace();
    words.next() == Some("planmon")
        && words.next() == Some(kind)
        && words.next() == Some(name)
        && words.next().is_some_and(|t| token.is_none_or(|want| t == want))
}

/// Describe what a name holds when it is not a regular file.
fn describe_kind(kind: Kind) -> String {
    match kind {
        Kind::Link => "是一个链接（快捷方式）".into(),
        Kind::Dir => "是一个文件夹".into(),
        Kind::Other => "不是普通文件（可能是管道或设备，或路径中有一部分是文件）".into(),
        Kind::Missing => "不存在".into(),
        Kind::File => "是一个文件".into(),
    }
}

/// Rename one of planmon's state names that holds something planmon cannot use (a
/// link, a pipe, a damaged file) to `<name>.已移开-<id>`: never followed, never
/// deleted, and out of the way of the next step. Reported in `notes`.
fn set_aside_state(f: &Folder, rel: &str, why: &str, id: &str, notes: &mut Vec<String>) -> Result<String> {
    let mut aside = format!("{rel}{ASIDE}{id}");
    let mut n = 1;
    while f.exists(&aside) {
        n += 1;
        aside = format!("{rel}{ASIDE}{id}-{n}");
    }
    // A plain rename of the name itself: a link is moved as a link, its target untouched.
    f.rename_any(rel, &aside).at("移开", &f.path(rel))?;
    notes.push(format!("“{}”{why}。它已改名为“{}”留作核查，planmon 没有跟随或删除它。", f.shown(rel), f.shown(&aside)));
    Ok(aside)
}

/// planmon's own names (manifest, ownership record, history/) that hold something
/// planmon cannot use are moved out of the way, before anything else is done.
fn set_aside_damaged_state(f: &Folder, id: &str, notes: &mut Vec<String>) -> Result<()> {
    for state in [MANIFEST, OWNED, HISTORY] {
        let kind = f.kind(state);
        let wanted = if state == HISTORY { Kind::Dir } else { Kind::File };
        if kind != Kind::Missing && kind != wanted {
            set_aside_state(f, state, &describe_kind(kind), id, notes)?;
        }
    }
    // An ownership record planmon cannot read would be replaced unseen: kept aside.
    if let Err(e) = f.read_json(OWNED, RECORD_LIMIT, |o: &Owned| o.tool == "planmon") {
        if !matches!(e, StateError::Missing) {
            set_aside_state(f, OWNED, &format!("（planmon 的所有权记录）{}", e.explain()), id, notes)?;
        }
    }
    // A manifest far larger than any planmon writes is not one (reading it would cost
    // the run; archiving it would copy it).
    if let Err(e @ StateError::TooLarge { .. }) = f.read_state(MANIFEST, MANIFEST_LIMIT) {
        set_aside_state(f, MANIFEST, &e.explain(), id, notes)?;
    }
    Ok(())
}

/// The manifest of the set in place in `out`, read bounded and never through a link.
pub fn manifest_in(out: &Path) -> Result<Vec<u8>, StateError> {
    let f = Folder::open(out).map_err(StateError::Io)?;
    f.read_state(MANIFEST, MANIFEST_LIMIT)
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
    /// For a document: the key of what it was made from (`render::key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
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

/// The ownership record of the set in place: each file with its SHA-256, and the
/// manifest's.
#[derive(Debug, Serialize, Deserialize)]
struct Owned {
    tool: String,
    run_id: String,
    outputs: Vec<OutputRecord>,
    manifest_size: u64,
    manifest_sha256: String,
}

/// The feedback sheets' folder in the output folder (and in each set).
const FEEDBACK_DIR: &str = crate::render::FEEDBACK_DIR;

/// A path a set may own: one planmon could have written — a document, table or the
/// manifest at the top of the output folder, or a document in 反馈单/ — a plain name,
/// not hidden, not in history/. Whatever a record says, nothing else is ever taken
/// for planmon's.
fn output_rel(rel: &str) -> bool {
    if !crate::folder::plain_rel(rel) || rel.split('/').any(|p| p.starts_with('.')) {
        return false;
    }
    let ext = rel.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match rel.split_once('/') {
        None => rel == MANIFEST || matches!(ext.as_str(), "pdf" | "docx" | "xlsx" | "csv"),
        Some((dir, name)) => dir == FEEDBACK_DIR && !name.contains('/') && matches!(ext.as_str(), "pdf" | "docx" | "xlsx"),
    }
}

fn valid_sha(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The set a manifest in `dir` ("" for the output folder) describes.
fn written_set(f: &Folder, dir: &str) -> Result<WrittenSet, StateError> {
    let mut set: WrittenSet = f.read_json(&crate::folder::join(dir, MANIFEST), MANIFEST_LIMIT, |s: &WrittenSet| s.tool == "planmon")?;
    set.outputs.retain(|o| output_rel(&o.file) && o.file != MANIFEST && valid_sha(&o.sha256));
    Ok(set)
}

/// The previous run's files in the output folder: which names planmon owns there.
struct Previous {
    run_id: String,
    /// Owned files with the size and SHA-256 planmon wrote (None: an older planmon's
    /// manifest, which does not record its own).
    files: Vec<(String, Option<(u64, String)>)>,
    /// Whether ownership could be established at all (false: nothing is owned).
    known: bool,
}

/// Who owns what in the output folder: the ownership record when it is sound, else
/// (a folder written by an older planmon) the manifest. Problems are noted; what
/// cannot be proven planmon's is owned by nobody and left alone, and nothing in the
/// input folder is ever owned.
fn previous_set(f: &Folder, input: Option<&str>, notes: &mut Vec<String>) -> Previous {
    let record = f.read_json(OWNED, RECORD_LIMIT, |o: &Owned| o.tool == "planmon");
    let manifest = written_set(f, "");
    let mut previous = match record {
        Ok(o) => {
            let mut files: Vec<(String, Option<(u64, String)>)> = o
                .outputs
                .into_iter()
                .filter(|r| output_rel(&r.file) && r.file != MANIFEST && valid_sha(&r.sha256))
                .map(|r| (r.file, Some((r.size, r.sha256))))
                .collect();
            if valid_sha(&o.manifest_sha256) {
                files.push((MANIFEST.to_string(), Some((o.manifest_size, o.manifest_sha256))));
            }
            if let Err(e) = &manifest {
                if !matches!(e, StateError::Missing) {
                    notes.push(format!(
                        "上次的运行清单“{}”{}；按 planmon 的所有权记录（{OWNED}）确定哪些文件是上次生成的，照常处理。",
                        f.shown(MANIFEST),
                        e.explain()
                    ));
                }
            }
            let run_id = if is_run_id(&o.run_id) { o.run_id } else { String::new() };
            Previous { run_id, files, known: true }
        }
        Err(record_error) => match manifest {
            Ok(set) => Previous {
                run_id: if is_run_id(&set.run_id) { set.run_id } else { String::new() },
                files: set.outputs.into_iter().map(|o| (o.file, Some((o.size, o.sha256)))).chain([(MANIFEST.to_string(), None)]).collect(),
                known: true,
            },
            Err(StateError::Missing) if matches!(record_error, StateError::Missing) => {
                Previous { run_id: String::new(), files: Vec::new(), known: true }
            }
            Err(e) => {
                let what = if matches!(e, StateError::Missing) { record_error.explain() } else { e.explain() };
                notes.push(format!(
                    "上次的运行清单“{}”{what}，无法确定输出文件夹中哪些文件是 planmon 生成的：这些文件都不会被移动、替换或删除。",
                    f.shown(MANIFEST)
                ));
                Previous { run_id: String::new(), files: Vec::new(), known: false }
            }
        },
    };
    if let Some(input) = input {
        previous.files.retain(|(p, _)| !(p == input || p.starts_with(&format!("{input}/"))));
    }
    let mut seen = BTreeSet::new();
    previous.files.retain(|(p, _)| seen.insert(p.clone()));
    previous
}

/// The documents of the set in place that the next run may reuse: those planmon's own
/// record of the set (not the manifest, which is the user's to read) lists with the key
/// of what each was made from. A document is reused only when its key is the one this
/// run would make it from and the file is, byte for byte, the one recorded (its size
/// and SHA-256): a file replaced or edited since is typeset again.
pub struct Reusable<'a> {
    folder: &'a Folder,
    records: std::collections::HashMap<String, OutputRecord>,
}

impl<'a> Reusable<'a> {
    pub fn of(lock: &'a Lock) -> Reusable<'a> {
        let f = &lock.folder;
        let records = f
            .read_json(OWNED, RECORD_LIMIT, |o: &Owned| o.tool == "planmon")
            .map(|o| {
                o.outputs
                    .into_iter()
                    .filter(|r| output_rel(&r.file) && r.file != MANIFEST && valid_sha(&r.sha256) && r.key.is_some())
                    .filter(|r| lock.input.as_deref().is_none_or(|input| !(r.file == input || r.file.starts_with(&format!("{input}/")))))
                    .map(|r| (r.file.clone(), r))
                    .collect()
            })
            .unwrap_or_default();
        Reusable { folder: f, records }
    }

    /// The bytes of the document at `rel`, if it was made from what `key` says.
    pub fn get(&self, rel: &Path, key: &str) -> Option<Vec<u8>> {
        let rel = rel_string(rel).ok()?;
        let record = self.records.get(&rel).filter(|r| r.key.as_deref() == Some(key))?;
        let bytes = self.folder.read_state(&rel, record.size.min(OUTPUT_LIMIT)).ok()?;
        (bytes.len() as u64 == record.size && hex(&Sha256::digest(&bytes)) == record.sha256).then_some(bytes)
    }
}

/// A relative path given as a `Path` (from the renderers) as planmon's `/` form.
fn rel_string(rel: &Path) -> Result<String> {
    let parts: Option<Vec<&str>> = rel
        .components()
        .map(|c| match c {
            std::path::Component::Normal(n) => n.to_str().filter(|n| plain_name(n)),
            _ => None,
        })
        .collect();
    match parts {
        Some(parts) if !parts.is_empty() => Ok(parts.join("/")),
        _ => Err(UsageError(format!("输出文件名“{}”不是一个普通的文件名，无法写入输出文件夹。", crate::text::os_display(rel.as_os_str())))
            .into()),
    }
}

/// The staging folder of one run.
pub struct Staging<'a> {
    lock: &'a Lock,
    name: String,
    run_id: String,
    token: String,
    pub records: Vec<OutputRecord>,
}

impl<'a> Staging<'a> {
    pub fn new(lock: &'a Lock, run_id: &str) -> Result<Staging<'a>> {
        let f = &lock.folder;
        let name = format!("{STAGING_PREFIX}{run_id}");
        if f.exists(&name) {
            return Err(UsageError(format!("输出文件夹中已有“{name}”，无法建立本次运行的临时文件夹。请稍后重新运行。")).into());
        }
        let token = token();
        f.create_dir_all(&name).at("创建临时文件夹", &f.path(&name))?;
        let mark = crate::folder::join(&name, MARKER);
        f.write_new(&mark, marker("staging", run_id, &token).as_bytes()).at("写入", &f.path(&mark))?;
        Ok(Staging { lock, name, run_id: run_id.to_string(), token, records: Vec::new() })
    }

    pub fn write(&mut self, rel: &Path, bytes: &[u8], what: &str) -> Result<()> {
        let rel = rel_string(rel)?;
        let f = &self.lock.folder;
        let at = crate::folder::join(&self.name, &rel);
        failpoint::step().at("写入", &f.path(&at))?;
        f.write_new(&at, bytes).at("写入", &f.path(&at))?;
        self.records.push(OutputRecord {
            file: rel,
            what: what.to_string(),
            size: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
            key: None,
        });
        Ok(())
    }

    /// Write a document made by the renderers, with its key.
    pub fn write_made(&mut self, made: &crate::render::Rendered) -> Result<()> {
        self.write(&made.rel, &made.bytes, made.what)?;
        if let Some(record) = self.records.last_mut() {
            record.key.clone_from(&made.key);
        }
        Ok(())
    }

    /// List the records in the order of `order` (files staged as they were made, listed
    /// in the order the outputs always have); files not in it keep their place after.
    pub fn arrange(&mut self, order: &[&Path]) {
        let place: std::collections::HashMap<String, usize> =
            order.iter().filter_map(|p| rel_string(p).ok()).enumerate().map(|(k, p)| (p, k)).collect();
        self.records.sort_by_key(|r| place.get(&r.file).copied().unwrap_or(usize::MAX));
    }

    /// Keep what a failed run made in history/<run id>-未完成/ and leave the current
    /// outputs alone. Returns where it went.
    pub fn set_aside(self) -> Result<PathBuf> {
        history::set_aside(&self.lock.folder, &self.name, &self.run_id, &self.token)
    }

    /// Put the staged outputs in place of the previous ones (see the module comment).
    /// On failure the previous outputs are in place and the new ones in history/.
    pub fn commit(mut self, keep: usize, notes: &mut Vec<String>) -> Result<()> {
        let f = &self.lock.folder;
        set_aside_damaged_state(f, &self.run_id, notes)?;
        let mut previous = previous_set(f, self.lock.input.as_deref(), notes);
        // A file at one of the previous set's names that is far larger than anything
        // planmon writes was put there since: not planmon's (and not read to be hashed).
        previous.files.retain(|(p, _)| {
            let huge = f.size(p).is_some_and(|s| s > OUTPUT_LIMIT);
            if huge {
                notes.push(format!(
                    "“{p}”有 {} MB，远大于 planmon 生成的文件，不是 planmon 生成的，未作改动。",
                    f.size(p).unwrap_or(0) >> 20
                ));
            }
            !huge
        });
        let owned: BTreeSet<&str> = previous.files.iter().map(|(p, _)| p.as_str()).collect();

        // The ownership record of the new set, put in place just before the manifest.
        let manifest = self.records.iter().find(|r| r.file == MANIFEST);
        let record = Owned {
            tool: "planmon".into(),
            run_id: self.run_id.clone(),
            outputs: self.records.iter().filter(|r| r.file != MANIFEST).cloned().collect(),
            manifest_size: manifest.map(|m| m.size).unwrap_or_default(),
            manifest_sha256: manifest.map(|m| m.sha256.clone()).unwrap_or_default(),
        };
        let bytes = serde_json::to_vec_pretty(&record)?;
        let at = crate::folder::join(&self.name, OWNED);
        f.write_new(&at, &bytes).at("写入", &f.path(&at))?;
        let owned_sha = hex(&Sha256::digest(&bytes));

        // The new set: the workbook first (the file most likely to be open in another
        // program), the ownership record and the manifest last (it says which set the
        // folder holds).
        let mut new: Vec<journal::Placed> = self
            .records
            .iter()
            .filter(|r| r.file != MANIFEST)
            .map(|r| journal::Placed { file: r.file.clone(), size: r.size, sha256: r.sha256.clone() })
            .collect();
        new.sort_by_key(|p| (!p.file.ends_with(".xlsx"), p.file.contains('/'), p.file.clone()));
        new.push(journal::Placed { file: OWNED.into(), size: bytes.len() as u64, sha256: owned_sha });
        if let Some(m) = self.records.iter().find(|r| r.file == MANIFEST) {
            new.push(journal::Placed { file: MANIFEST.into(), size: m.size, sha256: m.sha256.clone() });
        }

        // Nothing of the user's is ever replaced: a name the new set needs that holds
        // something planmon did not write stops the swap before it starts.
        let clashes = clashes(f, new.iter().map(|p| p.file.as_str()), &owned, previous.known);
        if !clashes.is_empty() {
            let kept = history::set_aside(f, &self.name, &self.run_id, &self.token)?;
            return Err(UsageError(format!(
                "输出文件夹“{}”中{}。为免覆盖，本次结果没有放入输出文件夹，而是放在“{}”。请把这些文件移走或改名后重新运行。",
                crate::text::os_display(f.root().as_os_str()),
                clashes,
                crate::text::os_display(kept.as_os_str())
            ))
            .into());
        }

        let mut journal = journal::Journal::new(&self.run_id, &self.token, &self.name, new);
        // The previous set's files as they are now (a file changed since goes to history
        // as it is, and is recorded with the bytes it holds).
        let mut in_place: Vec<journal::Placed> = Vec::new();
        for (p, written) in &previous.files {
            let (Some(size), Some(sha256)) = (f.size(p), f.sha256(p)) else { continue };
            if written.as_ref().is_some_and(|(s, h)| *s != size || *h != sha256) {
                notes.push(format!("上次生成的“{p}”在生成后被修改过：已随上次的输出保存在 history/ 中，以后清理历史时也不会删除它。"));
            }
            in_place.push(journal::Placed { file: p.clone(), size, sha256 });
        }
        if !in_place.is_empty() {
            // The ownership record goes with its set, so that undoing the swap restores it.
            if let (Some(size), Some(sha256), true) =
                (f.size(OWNED), f.sha256(OWNED), f.read_json(OWNED, RECORD_LIMIT, |o: &Owned| o.tool == "planmon").is_ok())
            {
                in_place.push(journal::Placed { file: OWNED.to_string(), size, sha256 });
            }
            journal.previous = in_place;
            journal.archive = Some(history::unique_name(f, if previous.run_id.is_empty() { "旧输出" } else { &previous.run_id }));
        }
        let new_files: Vec<String> = journal.new.iter().map(|p| p.file.clone()).collect();
        let foreign = foreign_entries(f, &owned, &new_files);
        if !foreign.is_empty() {
            notes.push(format!(
                "输出文件夹中另有 {} 项不是 planmon 生成的，未作改动：{}。",
                foreign.len(),
                foreign.iter().take(10).map(|n| format!("“{n}”")).collect::<Vec<_>>().join("、")
                    + if foreign.len() > 10 { " 等" } else { "" }
            ));
        }
        // Every file the swap moves or replaces must be free to move now: on Windows a
        // file open in Excel or WPS is not, and is named before anything is touched.
        let busy: Vec<String> = journal
            .previous
            .iter()
            .map(|p| p.file.as_str())
            .chain(journal.new.iter().map(|p| p.file.as_str()))
            .filter_map(|p| f.can_replace(p).err().map(|e| format!("“{}”（{}）", f.shown(p), crate::oserror::explain(&e))))
            .collect();
        if !busy.is_empty() {
            let kept = history::set_aside(f, &self.name, &self.run_id, &self.token)?;
            return Err(UsageError(format!(
                "输出文件夹中的{}现在不能替换。请在 Excel、WPS 等程序中关闭这些文件后重新运行。输出文件夹中仍是上次的结果，未作改动；本次结果放在“{}”。",
                busy.join("、"),
                crate::text::os_display(kept.as_os_str())
            ))
            .into());
        }
        if let Err(e) = journal.write(f) {
            let kept = history::set_aside(f, &self.name, &self.run_id, &self.token)?;
            return Err(UsageError(format!(
                "{e:#}\n输出文件夹中仍是上次的结果，未作改动；本次结果放在“{}”。",
                crate::text::os_display(kept.as_os_str())
            ))
            .into());
        }
        if let Err(e) = journal.apply(f) {
            if journal.all_placed(f) {
                // Only tidying was left: the new set is whole in place, the previous one
                // whole in history/. The next run tidies up from the journal.
                notes.push(format!("新的结果已全部放好，但最后整理时出错：{e:#} 下次运行时会先整理好。"));
                history::prune(f, keep, notes);
                return Ok(());
            }
            let kept = journal
                .roll_back(f, notes)
                .and_then(|kept| f.remove_file(JOURNAL).at("删除", &f.path(JOURNAL)).map(|()| kept))
                .map_err(|again| anyhow::anyhow!("{e:#}\n撤回时又出错：{again:#}。下次运行 planmon 时会先完成这次替换。"))?;
            return Err(UsageError(format!(
                "{e:#}\n输出文件夹中仍是上次的结果，未作改动；本次结果放在“{}”。",
                crate::text::os_display(kept.as_os_str())
            ))
            .into());
        }
        self.records.clear();
        history::prune(f, keep, notes);
        Ok(())
    }
}

/// What stops the new files from going in: names that hold something planmon does not
/// own, or folders on the way that are not folders — each said once, a long list cut.
fn clashes<'n>(f: &Folder, new: impl Iterator<Item = &'n str>, owned: &BTreeSet<&str>, known: bool) -> String {
    let mut blocked_dirs: BTreeSet<String> = BTreeSet::new();
    let mut said: Vec<String> = Vec::new();
    let mut foreign: Vec<String> = Vec::new();
    for rel in new {
        let parts: Vec<&str> = rel.split('/').collect();
        let mut blocked = false;
        for i in 1..parts.len() {
            let dir = parts[..i].join("/");
            let kind = f.kind(&dir);
            if !matches!(kind, Kind::Missing | Kind::Dir) {
                if blocked_dirs.insert(dir.clone()) {
                    said.push(format!("“{dir}”{}，新的反馈单等文件放不进去", describe_kind(kind)));
                }
                blocked = true;
                break;
            }
        }
        if blocked {
            continue;
        }
        match f.kind(rel) {
            Kind::Missing => {}
            Kind::File if owned.contains(rel) || rel == OWNED => {}
            Kind::File => foreign.push(format!("“{rel}”")),
            kind => said.push(format!("“{rel}”{}，planmon 不会替换或移动它", describe_kind(kind))),
        }
    }
    if !foreign.is_empty() {
        let n = foreign.len();
        let list = foreign.into_iter().take(5).collect::<Vec<_>>().join("、") + if n > 5 { " 等" } else { "" };
        said.insert(
            0,
            if known {
                format!("已有{list}（共 {n} 个），不是 planmon 上次生成的文件（上次的记录中没有）")
            } else {
                format!("已有{list}（共 {n} 个）；上次的运行清单无法使用，无法证明它们是 planmon 生成的")
            },
        );
    }
    said.join("；")
}

/// Names in the output folder that planmon neither wrote nor keeps (for the summary).
fn foreign_entries(f: &Folder, owned: &BTreeSet<&str>, new: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let ours = |rel: &str| owned.contains(rel) || new.iter().any(|n| n == rel);
    let mut stack = vec![String::new()];
    while let Some(dir) = stack.pop() {
        for e in f.entries(&dir).unwrap_or_default() {
            let Some(name) = e.name.clone() else {
                found.push(crate::folder::join(&dir, &e.shown));
                continue;
            };
            if dir.is_empty() && (name.starts_with('.') || name == HISTORY) {
                continue;
            }
            let rel = crate::folder::join(&dir, &name);
            let holds_ours = owned.iter().copied().chain(new.iter().map(String::as_str)).any(|o| o.starts_with(&format!("{rel}/")));
            if e.kind == Kind::Dir && holds_ours {
                stack.push(rel);
            } else if !ours(&rel) {
                found.push(rel);
            }
        }
    }
    found.sort();
    found
}

/// Before a run: put planmon's damaged state names aside; finish (or undo) a swap that
/// a killed run left, once its journal is verified, and set aside one that cannot be;
/// move the staging folders of runs that died before their swap to
/// history/<id>-未完成/; finish trimming history.
pub fn recover(lock: &Lock, notes: &mut Vec<String>) -> Result<()> {
    let f = &lock.folder;
    let now = run_id(now_unix());
    set_aside_damaged_state(f, &now, notes)?;
    let journaled = journal::recover(f, &now, notes)?;
    for e in f.entries("").at("打开输出文件夹", f.root())? {
        let Some(name) = e.name else { continue };
        let Some(id) = name.strip_prefix(STAGING_PREFIX) else { continue };
        if journaled.as_deref() == Some(name.as_str()) {
            continue;
        }
        let token = f.read_state(&crate::folder::join(&name, MARKER), 1024).ok().and_then(|b| {
            let text = String::from_utf8_lossy(&b).into_owned();
            text.split_whitespace().nth(3).map(str::to_string)
        });
        match token {
            Some(token) if e.kind == Kind::Dir && is_run_id(id) && marked(f, &name, "staging", id, Some(&token)) => {
                let kept = history::set_aside(f, &name, id, &token)?;
                notes.push(format!("上次运行（{id}）中途停止，未完成的结果已放在“{}”。", crate::text::os_display(kept.as_os_str())));
            }
            _ => notes.push(format!("输出文件夹中的“{name}”名称像 planmon 的临时文件夹，但不是 planmon 建立的，未作改动。")),
        }
    }
    history::recover(f, notes);
    Ok(())
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
    pub snapshot: &'a crate::history::Snapshot,
}

#[derive(Debug, Serialize)]
pub struct Counts {
    pub inputs_read: usize,
    pub inputs_rejected: usize,
    pub inputs_skipped: usize,
    pub inputs_superseded: usize,
    pub inputs_out_of_scope: usize,
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
    fn only_plain_output_paths_are_owned() {
        for ok in ["a.pdf", "反馈单/市卫生健康局.pdf", "observations.csv"] {
            assert!(output_rel(ok), "{ok}");
        }
        for bad in [
            "",
            "../a",
            "a/../../b",
            "/etc/passwd",
            "history/x",
            ".planmon.lock",
            "a//b",
            "C:/x",
            "a\\..\\b",
            "input/../x",
            "反馈单/.x",
            "我的笔记.txt",
            "input/a.xlsx",
            "反馈单/子/a.pdf",
        ] {
            assert!(!output_rel(bad), "{bad}");
        }
    }

    #[test]
    fn run_ids_have_one_shape() {
        assert!(is_run_id("20261128T162300Z-12345"));
        for bad in ["", "x", "20261128T162300Z-", "20261128T162300Z-1/..", "../20261128T162300Z-1", "20261128162300Z-1"] {
            assert!(!is_run_id(bad), "{bad}");
        }
    }
}
