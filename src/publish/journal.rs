//! The swap of one set of outputs for the next, written down before it starts
//! (`.planmon-journal.json`): archive the previous set to history/, put the new files
//! in place, retire what is left of the previous set, tidy up. Every step can be taken
//! again, so a killed run's swap is finished by the next run — but only after the
//! journal is verified: every name in it is one planmon could have written, its staging
//! or archive folder carries the run's token, and every file it names is where it
//! should be with the size and SHA-256 it records. A journal that cannot be verified is
//! renamed aside and reported, never replayed; one proven planmon's is at most undone,
//! step by step, where each file still holds what the journal records.

use std::path::PathBuf;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{failpoint, history, is_run_id, marked, marker, output_rel, set_aside_state, valid_sha};
use super::{HISTORY, JOURNAL, MANIFEST, MARKER, OWNED, PARTIAL_PREFIX, RECORD_LIMIT, STAGING_PREFIX};
use crate::folder::{join, plain_name, Folder, Kind};
use crate::oserror::At;

/// At most this many files in a journal (a county writes a few dozen).
const MAX_FILES: usize = 100_000;

/// A file with the size and SHA-256 it holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Placed {
    pub file: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Journal {
    tool: String,
    run_id: String,
    /// The token in this run's staging folder and in the set it archives.
    token: String,
    /// The staging folder's name in the output folder.
    staging: String,
    /// history/<archive>: where the previous set goes (None: there was none).
    pub archive: Option<String>,
    /// The previous set's files in the output folder, with what they held when the
    /// swap began.
    pub previous: Vec<Placed>,
    /// The new set's files, in the order they are put in place (manifest.json last).
    pub new: Vec<Placed>,
}

/// How far a journaled swap got, as found on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The new files may not all be in place yet.
    Begun,
    /// Every new file is in place; only retiring and tidying may be left.
    Placed,
}

impl Journal {
    pub fn new(run_id: &str, token: &str, staging: &str, new: Vec<Placed>) -> Journal {
        Journal {
            tool: "planmon".into(),
            run_id: run_id.into(),
            token: token.into(),
            staging: staging.into(),
            archive: None,
            previous: Vec::new(),
            new,
        }
    }

    fn archive_rel(&self) -> Option<String> {
        self.archive.as_ref().map(|a| join(HISTORY, a))
    }

    fn partial_rel(&self) -> Option<String> {
        self.archive.as_ref().map(|a| join(HISTORY, &format!("{PARTIAL_PREFIX}{a}")))
    }

    /// Whether `dir` is this run's staging folder.
    fn staging_ours(&self, f: &Folder) -> bool {
        f.is_dir(&self.staging) && marked(f, &self.staging, "staging", &self.run_id, Some(&self.token))
    }

    /// Whether `dir` (the archive or its hidden form) is the set this run archives.
    fn set_ours(&self, f: &Folder, dir: &str) -> bool {
        let name = self.archive.as_deref().unwrap_or_default();
        f.is_dir(dir) && marked(f, dir, "set", name, Some(&self.token))
    }

    /// Written through a temporary file of this run's own, moved into place in one step.
    pub fn write(&self, f: &Folder) -> Result<()> {
        let tmp = format!(".planmon-journal-{}.tmp", self.run_id);
        let bytes = serde_json::to_vec_pretty(self)?;
        let created = f.write_new(&tmp, &bytes);
        let ours = created.is_ok();
        let written = created.and_then(|()| failpoint::step()).and_then(|()| f.rename_new(&tmp, JOURNAL)).at("写入", &f.path(JOURNAL));
        if written.is_err() && ours {
            let _ = f.remove_file(&tmp);
        }
        written
    }

    /// Whether the folder holds proof that this journal is planmon's own: its staging
    /// folder or the set it archives carries its token.
    fn proven(&self, f: &Folder) -> bool {
        self.structure().is_ok()
            && (self.staging_ours(f)
                || self.archive_rel().is_some_and(|a| self.set_ours(f, &a))
                || self.partial_rel().is_some_and(|p| self.set_ours(f, &p)))
    }

    /// Every name in the journal is one planmon could have written, once.
    fn structure(&self) -> Result<(), String> {
        if !is_run_id(&self.run_id) || self.staging != format!("{STAGING_PREFIX}{}", self.run_id) {
            return Err(format!(
                "其中的运行编号“{}”或临时文件夹“{}”不是 planmon 的写法",
                crate::text::printable(&self.run_id, 40),
                crate::text::printable(&self.staging, 60)
            ));
        }
        if self.token.len() != 32 || !self.token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("其中没有 planmon 的标记".into());
        }
        if let Some(a) = &self.archive {
            if !plain_name(a) || a.starts_with('.') || a.len() > 200 {
                return Err(format!("其中保存上次输出的位置“{}”不在 history/ 之内", crate::text::printable(a, 60)));
            }
        }
        if self.previous.len() + self.new.len() > MAX_FILES {
            return Err(format!("其中列了 {} 个文件，远多于 planmon 一次生成的", self.previous.len() + self.new.len()));
        }
        for list in [&self.previous, &self.new] {
            let mut seen = std::collections::BTreeSet::new();
            for p in list {
                if !(output_rel(&p.file) || p.file == OWNED) || !valid_sha(&p.sha256) {
                    return Err(format!("其中的“{}”不是 planmon 会生成的输出文件", crate::text::printable(&p.file, 80)));
                }
                if !seen.insert(p.file.as_str()) {
                    return Err(format!("其中的“{}”出现了不止一次", crate::text::printable(&p.file, 80)));
                }
            }
        }
        if self.new.last().map(|n| n.file.as_str()) != Some(MANIFEST) {
            return Err("其中没有运行清单".into());
        }
        Ok(())
    }

    /// Whether every file of the new set is in place with the bytes this run wrote.
    pub fn all_placed(&self, f: &Folder) -> bool {
        self.new.iter().all(|n| f.holds(&n.file, n.size, &n.sha256))
    }

    /// Check the journal against the folder before acting on it. Err says why not.
    fn verify(&self, f: &Folder) -> Result<Stage, String> {
        self.structure()?;
        if !self.proven(f) {
            let staging = match f.kind(&self.staging) {
                Kind::Link => "是一个链接",
                Kind::Missing => "不在",
                _ => "不是那次运行建立的",
            };
            return Err(format!("它所指的临时文件夹“{}”{staging}，保存上次输出的文件夹也没有那次运行的标记", self.staging));
        }
        if self.all_placed(f) {
            return Ok(Stage::Placed);
        }
        if !self.staging_ours(f) {
            return Err(format!("它所指的临时文件夹“{}”不在，或不是那次运行建立的", self.staging));
        }
        for n in &self.new {
            let staged = f.holds(&join(&self.staging, &n.file), n.size, &n.sha256);
            if !staged && !f.holds(&n.file, n.size, &n.sha256) {
                return Err(format!("其中的“{}”既不在临时文件夹中，也不在输出文件夹中（或内容已改变）", n.file));
            }
        }
        if let (Some(archive), Some(partial)) = (self.archive_rel(), self.partial_rel()) {
            if f.exists(&archive) {
                if !self.set_ours(f, &archive) {
                    return Err(format!("“{archive}”不是那次运行保存上次输出的文件夹"));
                }
                if let Some(p) = self.previous.iter().find(|p| !f.holds(&join(&archive, &p.file), p.size, &p.sha256)) {
                    return Err(format!("上次的“{}”不在“{archive}”中（或内容已改变）", p.file));
                }
            } else {
                if f.exists(&partial) && !self.set_ours(f, &partial) {
                    return Err(format!("“{partial}”不是那次运行建立的"));
                }
                if let Some(p) = self.previous.iter().find(|p| !f.holds(&p.file, p.size, &p.sha256)) {
                    return Err(format!("上次的“{}”已不在输出文件夹中（或内容已改变）", p.file));
                }
            }
        }
        Ok(Stage::Begun)
    }

    /// Archive the previous set, put the new one in place, retire what is left of the
    /// previous one, and tidy up. Steps already taken are skipped, so this also
    /// finishes a swap that a killed run began.
    pub fn apply(&self, f: &Folder) -> Result<()> {
        self.apply_from(f, Stage::Begun)
    }

    fn apply_from(&self, f: &Folder, stage: Stage) -> Result<()> {
        let archive = self.archive_rel();
        if let (Stage::Begun, Some(archive), Some(partial), Some(name)) = (stage, &archive, self.partial_rel(), self.archive.as_deref()) {
            if !f.exists(archive) {
                if f.exists(&partial) {
                    // Only links or copies of the files still in place: made again.
                    if self.set_ours(f, &partial) {
                        history::clear_duplicates(f, &partial);
                    }
                    if f.exists(&partial) {
                        anyhow::bail!("“{}”中有无法核对的文件，无法保存上次的输出。", f.shown(&partial));
                    }
                }
                f.create_dir_all(&partial).at("创建文件夹", &f.path(&partial))?;
                let mark = join(&partial, MARKER);
                f.write_new(&mark, marker("set", name, &self.token).as_bytes()).at("写入", &f.path(&mark))?;
                for p in &self.previous {
                    if f.holds(&p.file, p.size, &p.sha256) {
                        failpoint::step().at("保存上次的输出", &f.path(&p.file))?;
                        f.link_or_copy(&p.file, &join(&partial, &p.file)).at("保存上次的输出", &f.path(&p.file))?;
                    }
                }
                failpoint::step().at("保存上次的输出到", &f.path(archive))?;
                f.rename_new(&partial, archive).at("保存上次的输出到", &f.path(archive))?;
            }
        }
        for n in &self.new {
            let from = join(&self.staging, &n.file);
            if !f.holds(&from, n.size, &n.sha256) {
                continue;
            }
            // What is at the name now may be replaced only when it is the previous set's
            // file, whole in the archive: a file put there since is not planmon's.
            let free = match f.kind(&n.file) {
                Kind::Missing => true,
                Kind::File => archive.as_deref().is_some_and(|a| f.same_bytes(&n.file, &join(a, &n.file))),
                _ => false,
            };
            if !free {
                anyhow::bail!("“{}”不是 planmon 上次生成的文件（可能是替换中断后放进去的），为免覆盖没有替换它。", f.shown(&n.file));
            }
            failpoint::step().at("替换", &f.path(&n.file))?;
            f.replace(&from, &n.file).at("替换", &f.path(&n.file))?;
        }
        if let Some(archive) = archive.as_deref().filter(|a| self.set_ours(f, a)) {
            for p in self.previous.iter().filter(|p| !self.new.iter().any(|n| n.file == p.file)) {
                let kept = join(archive, &p.file);
                if f.holds(&p.file, p.size, &p.sha256) && f.same_bytes(&p.file, &kept) {
                    failpoint::step().at("移走上次的文件", &f.path(&p.file))?;
                    f.remove_file(&p.file).at("移走上次的文件", &f.path(&p.file))?;
                }
            }
            remove_empty_dirs(f, "", self.previous.iter().map(|p| p.file.as_str()));
        }
        if self.staging_ours(f) {
            f.remove_file(&join(&self.staging, MARKER)).at("删除", &f.path(&self.staging))?;
            f.remove_empty_folders_below(&self.staging);
            let _ = f.remove_dir(&self.staging);
        }
        failpoint::step().at("删除", &f.path(JOURNAL))?;
        f.remove_file(JOURNAL).at("删除", &f.path(JOURNAL))?;
        Ok(())
    }

    /// Undo a swap that could not be finished: the new files back to staging (only
    /// those still holding what this run wrote), the previous ones back in place from
    /// the archive, then the staging folder to history/<id>-未完成.
    ///
    /// Every step is guarded by the size and SHA-256 the journal records, so it is safe
    /// also for a journal that could not be fully verified but is proven planmon's. The
    /// journal itself is left for the caller.
    pub fn roll_back(&self, f: &Folder, notes: &mut Vec<String>) -> Result<PathBuf> {
        if f.exists(&self.staging) && !self.staging_ours(f) {
            anyhow::bail!("临时文件夹“{}”不是那次运行建立的，无法撤回", f.shown(&self.staging));
        }
        for n in self.new.iter().rev() {
            let back = join(&self.staging, &n.file);
            if !f.exists(&back) && f.holds(&n.file, n.size, &n.sha256) {
                f.rename_new(&n.file, &back).at("撤回", &f.path(&n.file))?;
            }
        }
        if let Some(archive) = self.archive_rel().filter(|a| self.set_ours(f, a)) {
            for p in &self.previous {
                let kept = join(&archive, &p.file);
                if !f.exists(&p.file) && f.holds(&kept, p.size, &p.sha256) {
                    let tmp = format!("{}.planmon-{}", p.file, self.run_id);
                    f.link_or_copy(&kept, &tmp).at("恢复", &f.path(&p.file))?;
                    f.rename_new(&tmp, &p.file).at("恢复", &f.path(&p.file))?;
                }
            }
            // The previous set is in place again; its copies in history/ go.
            history::clear_duplicates(f, &archive);
            if f.exists(&archive) {
                notes.push(format!("“{}”中保留了撤回时无法核对的文件。", f.shown(&archive)));
            }
        }
        if let Some(partial) = self.partial_rel().filter(|p| self.set_ours(f, p)) {
            history::clear_duplicates(f, &partial);
        }
        remove_empty_dirs(f, "", self.new.iter().map(|n| n.file.as_str()));
        if !f.exists(&self.staging) {
            f.create_dir_all(&self.staging).at("创建临时文件夹", &f.path(&self.staging))?;
        }
        history::set_aside(f, &self.staging, &self.run_id, &self.token)
    }
}

/// Remove the folders of these files (deepest first) below `base` where they are now empty.
fn remove_empty_dirs<'a>(f: &Folder, base: &str, files: impl Iterator<Item = &'a str>) {
    let mut dirs = std::collections::BTreeSet::new();
    for file in files {
        let parts: Vec<&str> = file.split('/').collect();
        for i in 1..parts.len() {
            dirs.insert(parts[..i].join("/"));
        }
    }
    let mut dirs: Vec<String> = dirs.into_iter().collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.matches('/').count()));
    for d in dirs {
        let _ = f.remove_dir(&join(base, &d));
    }
}

/// Before a run: a journal left by a killed run is verified, then its swap finished
/// (or undone when it cannot be finished); a journal that cannot be verified, or that
/// is not a regular file, is renamed aside. Returns the staging folder of a journal
/// acted on (already dealt with). Temporary journals of runs killed while writing one
/// are removed.
pub fn recover(f: &Folder, now: &str, notes: &mut Vec<String>) -> Result<Option<String>> {
    let mut acted = None;
    match f.kind(JOURNAL) {
        Kind::Missing => {}
        Kind::File => match f.read_json(JOURNAL, RECORD_LIMIT, |j: &Journal| j.tool == "planmon") {
            Ok(journal) => match journal.verify(f) {
                Ok(stage) => {
                    acted = Some(journal.staging.clone());
                    match journal.apply_from(f, stage) {
                        Ok(()) => notes.push(format!(
                            "上次运行（{}）在替换输出文件时中断，已先完成那次替换；其结果随后作为上次的输出保存到 history/ 中。",
                            journal.run_id
                        )),
                        Err(e) if stage == Stage::Begun => {
                            let kept = journal.roll_back(f, notes)?;
                            f.remove_file(JOURNAL).at("删除", &f.path(JOURNAL))?;
                            notes.push(format!(
                                "上次运行（{}）在替换输出文件时中断，且无法完成（{e:#}），已恢复到那次之前的输出；那次的结果放在“{}”。",
                                journal.run_id,
                                crate::text::os_display(kept.as_os_str())
                            ));
                        }
                        Err(e) => return Err(e),
                    }
                }
                Err(why) if journal.proven(f) => {
                    // planmon's own, but not whole: undone step by step where each file
                    // still holds what the journal records; never replayed.
                    acted = Some(journal.staging.clone());
                    let undone = journal.roll_back(f, notes);
                    let what = match &undone {
                        Ok(kept) => format!("已按它撤回能核对的步骤，那次的结果放在“{}”", crate::text::os_display(kept.as_os_str())),
                        Err(e) => format!("也无法撤回（{e:#}），没有按它做任何改动"),
                    };
                    set_aside_state(
                        f,
                        JOURNAL,
                        &format!("是上次运行（{}）留下的替换日志，但无法核实（{why}）；{what}", journal.run_id),
                        now,
                        notes,
                    )?;
                }
                Err(why) => {
                    set_aside_state(f, JOURNAL, &format!("是一份替换日志，但无法核实（{why}），没有按它做任何改动"), now, notes)?;
                }
            },
            Err(e) => {
                set_aside_state(f, JOURNAL, &e.explain(), now, notes)?;
            }
        },
        kind => {
            set_aside_state(f, JOURNAL, &super::describe_kind(kind), now, notes)?;
        }
    }
    for e in f.entries("").unwrap_or_default() {
        let Some(name) = e.name else { continue };
        let Some(id) = name.strip_prefix(".planmon-journal-").and_then(|n| n.strip_suffix(".tmp")) else { continue };
        let ours = e.kind == Kind::File
            && is_run_id(id)
            && f.read_json(&name, RECORD_LIMIT, |j: &Journal| j.tool == "planmon" && j.run_id == id).is_ok();
        if ours {
            let _ = f.remove_file(&name);
        }
    }
    Ok(acted)
}
