//! history/: the earlier sets of outputs, each whole. A set is a real folder (never a
//! link) holding planmon's manifest and planmon's marker naming the folder (so that a
//! copy of a set under another name, or a folder with a copied manifest, is not one);
//! planmon moves sets in whole, trims the oldest, and deletes only files whose bytes
//! are still those the set's manifest records, so nothing a person put or changed there
//! is lost. Folders with planmon-like names (`.partial-`, `.deleting-`) are touched only
//! when they carry planmon's marker.

use std::path::PathBuf;

use anyhow::Result;

use super::{failpoint, marked, marker, written_set, DELETING_PREFIX, HISTORY, MANIFEST, MARKER, OWNED, PARTIAL_PREFIX};
use crate::folder::{join, Folder, Kind};
use crate::oserror::At;

/// The longest set name planmon makes (a run id is 23 characters).
const NAME_CHARS: usize = 60;

/// history/<id>, or history/<id>-2 … if that name (or its hidden forms) is taken.
pub fn unique_name(f: &Folder, id: &str) -> String {
    let id: String =
        if crate::folder::plain_name(id) && !id.starts_with('.') { id.chars().take(NAME_CHARS).collect() } else { "旧输出".into() };
    let taken = |n: &str| {
        f.exists(&join(HISTORY, n))
            || f.exists(&join(HISTORY, &format!("{PARTIAL_PREFIX}{n}")))
            || f.exists(&join(HISTORY, &format!("{DELETING_PREFIX}{n}")))
    };
    let mut name = id.clone();
    let mut n = 1;
    while taken(&name) && n < 100_000 {
        n += 1;
        name = format!("{id}-{n}");
    }
    name
}

/// The token in a folder's marker, if it has one.
fn token_of(f: &Folder, dir: &str) -> Option<String> {
    let bytes = f.read_state(&join(dir, MARKER), 1024).ok()?;
    String::from_utf8_lossy(&bytes).split_whitespace().nth(3).map(str::to_string)
}

/// Replace the marker in `dir` by a set marker for `name` (same token).
fn mark_set(f: &Folder, dir: &str, name: &str, token: &str) {
    let mark = join(dir, MARKER);
    if f.is_file(&mark) {
        let _ = f.remove_file(&mark);
    }
    let _ = f.write_new(&mark, marker("set", name, token).as_bytes());
}

/// Move a staging folder of this or a killed run (checked to be planmon's by the
/// caller) to history/<run id>-未完成/, with a manifest of the files it holds so that
/// trimming history can remove them later, and a set marker. Returns where it went.
pub fn set_aside(f: &Folder, staging: &str, run_id: &str, token: &str) -> Result<PathBuf> {
    f.remove_empty_folders_below(staging);
    // The ownership record is written at the swap, for the output folder only.
    if f.is_file(&join(staging, OWNED)) {
        let _ = f.remove_file(&join(staging, OWNED));
    }
    if written_set(f, staging).is_err() {
        let at = join(staging, MANIFEST);
        if f.exists(&at) {
            // A staged manifest that could not be read back (a full disk): kept, listed.
            let mut aside = join(staging, "manifest（无法读取）.json");
            let mut n = 1;
            while f.exists(&aside) && n < 1000 {
                n += 1;
                aside = join(staging, &format!("manifest（无法读取）-{n}.json"));
            }
            f.rename_any(&at, &aside).at("移开", &f.path(&at))?;
        }
        let mut outputs = Vec::new();
        for rel in f.files_below(staging) {
            if rel == MARKER {
                continue;
            }
            let file = join(staging, &rel);
            if let (Some(size), Some(sha256)) = (f.size(&file), f.sha256(&file)) {
                outputs.push(super::OutputRecord { file: rel, what: String::new(), size, sha256, key: None });
            }
        }
        let manifest = serde_json::json!({ "tool": "planmon", "run_id": run_id, "status": "未完成", "outputs": outputs });
        f.write_new(&at, &serde_json::to_vec_pretty(&manifest)?).at("写入", &f.path(&at))?;
    }
    f.create_dir_all(HISTORY).at("创建文件夹", &f.path(HISTORY))?;
    let name = unique_name(f, &format!("{run_id}{}", super::UNFINISHED));
    let target = join(HISTORY, &name);
    failpoint::step().at("移动临时文件夹", &f.path(staging))?;
    f.rename_new(staging, &target).at("移动临时文件夹", &f.path(staging))?;
    mark_set(f, &target, &name, token);
    Ok(f.path(&target))
}

/// Delete the files below `dir` that are byte-identical to the file of the same name in
/// the output folder (links or copies of what is in place), then its marker and its
/// empty folders. Whatever else it holds stays. Callers check the folder is planmon's.
pub fn clear_duplicates(f: &Folder, dir: &str) {
    for rel in f.files_below(dir) {
        if rel == MARKER {
            continue;
        }
        let copy = join(dir, &rel);
        if f.same_bytes(&copy, &rel) {
            let _ = f.remove_file(&copy);
        }
    }
    if f.files_below(dir).iter().all(|r| r == MARKER) {
        let _ = f.remove_file(&join(dir, MARKER));
    }
    f.remove_empty_folders_below(dir);
    let _ = f.remove_dir(dir);
}

/// The sets in history/, oldest first: real folders (not hidden) with planmon's set
/// marker naming the folder and planmon's manifest.
fn sets(f: &Folder) -> Vec<String> {
    let mut sets: Vec<String> = f
        .entries(HISTORY)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.kind == Kind::Dir)
        .filter_map(|e| e.name)
        .filter(|n| !n.starts_with('.'))
        .filter(|n| marked(f, &join(HISTORY, n), "set", n, None))
        .collect();
    sets.sort();
    sets
}

/// Keep the `keep` newest sets of history/. An older set is renamed to a hidden name
/// (so no visible set is ever partial), then loses the files whose bytes are still what
/// its manifest records; anything else in it stays, under its name again, and is
/// reported. Trimming is tidying: a failure is reported, never fatal.
pub fn prune(f: &Folder, keep: usize, notes: &mut Vec<String>) {
    let sets: Vec<String> = sets(f).into_iter().filter(|n| written_set(f, &join(HISTORY, n)).is_ok()).collect();
    let excess = sets.len().saturating_sub(keep);
    for name in &sets[..excess] {
        let set = join(HISTORY, name);
        let hidden = join(HISTORY, &format!("{DELETING_PREFIX}{name}"));
        let trimmed = failpoint::step()
            .and_then(|()| f.rename_new(&set, &hidden))
            .at("清理历史记录", &f.path(&set))
            .and_then(|()| empty_set(f, &hidden));
        if let Err(e) = trimmed {
            notes.push(format!("清理历史记录时出错：{e:#}"));
        } else if let Some(note) = finish_deleting(f, &hidden, name) {
            notes.push(note);
        }
    }
}

/// Delete the files of a set that still hold what its manifest records, the manifest
/// last (so that a kill in between leaves a manifest to go on from).
fn empty_set(f: &Folder, dir: &str) -> Result<()> {
    let Ok(written) = written_set(f, dir) else { return Ok(()) };
    for o in &written.outputs {
        let path = join(dir, &o.file);
        if f.holds(&path, o.size, &o.sha256) {
            failpoint::step().at("删除", &f.path(&path))?;
            f.remove_file(&path).at("删除", &f.path(&path))?;
        }
    }
    // The ownership record that was in place with the set.
    let record = join(dir, OWNED);
    if f.read_json(&record, super::RECORD_LIMIT, |o: &super::Owned| o.tool == "planmon").is_ok() {
        failpoint::step().at("删除", &f.path(&record))?;
        f.remove_file(&record).at("删除", &f.path(&record))?;
    }
    f.remove_empty_folders_below(dir);
    let manifest = join(dir, MANIFEST);
    failpoint::step().at("删除", &f.path(&manifest))?;
    f.remove_file(&manifest).at("删除", &f.path(&manifest))
}

/// The hidden folder of a trimmed set: removed when empty but for its marker, else
/// given its name back, without the marker (what stays is a person's, not a set).
fn finish_deleting(f: &Folder, hidden: &str, name: &str) -> Option<String> {
    if marked(f, hidden, "set", name, None) {
        let _ = f.remove_file(&join(hidden, MARKER));
    }
    if f.remove_dir(hidden).is_ok() {
        return None;
    }
    let own = join(HISTORY, name);
    let back = if f.exists(&own) { join(HISTORY, &unique_name(f, name)) } else { own };
    let _ = f.rename_new(hidden, &back);
    Some(format!("{back} 中有被修改过的或不是 planmon 生成的文件，清理历史时保留了这些文件。"))
}

/// Before a run: hidden folders of a swap that never finished hold links or copies of
/// the files in place, and are cleared of those; sets whose trimming was cut short are
/// trimmed to the end. Only folders with planmon's marker are touched.
pub fn recover(f: &Folder, notes: &mut Vec<String>) {
    if f.kind(HISTORY) != Kind::Dir {
        return;
    }
    for e in f.entries(HISTORY).unwrap_or_default() {
        let Some(name) = e.name else { continue };
        let dir = join(HISTORY, &name);
        let (prefix, set) = match (name.strip_prefix(PARTIAL_PREFIX), name.strip_prefix(DELETING_PREFIX)) {
            (Some(set), _) => (PARTIAL_PREFIX, set),
            (_, Some(set)) => (DELETING_PREFIX, set),
            _ => continue,
        };
        if !(e.kind == Kind::Dir && marked(f, &dir, "set", set, None) && token_of(f, &dir).is_some()) {
            notes.push(format!("“{}”名称像 planmon 的临时文件夹，但不是 planmon 建立的，未作改动。", f.shown(&dir)));
            continue;
        }
        if prefix == PARTIAL_PREFIX {
            clear_duplicates(f, &dir);
            if f.exists(&dir) {
                notes.push(format!("“{}”中有未能核对的文件，未删除。", f.shown(&dir)));
            }
        } else {
            if let Err(e) = empty_set(f, &dir) {
                notes.push(format!("清理历史记录时出错：{e:#}"));
            }
            notes.extend(finish_deleting(f, &dir, set));
        }
    }
}

/// The most earlier runs read back, and the most bytes of their manifests in all.
const EARLIER_RUNS: usize = 20;
const EARLIER_BYTES: u64 = 1 << 30;

/// The manifests of the earlier runs in the output folder `out`, as bytes, one at a
/// time: the one in place first, then those of the newest sets in history/ (not the
/// unfinished ones). Each is read bounded, never through a link; at most
/// `EARLIER_RUNS` and `EARLIER_BYTES` in all.
pub fn earlier_manifests(out: &std::path::Path) -> impl Iterator<Item = Vec<u8>> {
    let folder = Folder::open(out).ok();
    let mut names: Vec<String> = folder.as_ref().map(sets).unwrap_or_default();
    names.retain(|n| !n.ends_with(super::UNFINISHED) && !n.contains(&format!("{}-", super::UNFINISHED)));
    names.reverse();
    let paths = std::iter::once(MANIFEST.to_string()).chain(names.into_iter().map(|n| join(&join(HISTORY, &n), MANIFEST)));
    let mut budget = EARLIER_BYTES;
    paths.take(EARLIER_RUNS + 1).filter_map(move |rel| {
        let f = folder.as_ref()?;
        let size = f.size(&rel)?;
        if size > budget {
            return None;
        }
        let bytes = f.read_state(&rel, super::MANIFEST_LIMIT.min(budget)).ok()?;
        budget -= bytes.len() as u64;
        Some(bytes)
    })
}
