//! Stage 3b — changes: what this run says differently from the runs before it. Every
//! run keeps a snapshot in its manifest.json (the figures as reported, the figures used
//! and which version of which file each came from, the findings, the statuses); the
//! next run compares with it:
//! - the change log (变更记录): figures changed, added or withdrawn, findings fixed
//!   and new, statuses that moved, against the previous run;
//! - each unit's follow-up: the problems of its last different return, 已更正 or
//!   仍未更正 now (the feedback sheets). A rerun on the same files changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::batch::Batch;
use crate::finding::{Finding, Severity};
use crate::read::{Fate, InputFile, ObsKind};

/// What a run keeps for the next one to compare with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Snapshot {
    /// Every 本年值 with a figure, after choosing the versions.
    pub figures: Vec<SnapFigure>,
    /// The figure used for each indicator and year, with the version of the file.
    pub used: Vec<UsedFigure>,
    pub findings: Vec<SnapFinding>,
    pub statuses: Vec<SnapStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapFigure {
    pub indicator_id: String,
    pub department: String,
    pub year: i32,
    pub value: f64,
    pub unit: String,
    pub file: String,
    pub sheet: String,
    pub cell: String,
}

/// A figure used in the report: the file (and its SHA-256) of the version it came
/// from, and the earlier versions that one replaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsedFigure {
    pub indicator_id: String,
    pub year: i32,
    pub value: f64,
    pub department: String,
    pub file: String,
    pub sha256: String,
    pub sheet: String,
    pub cell: String,
    pub replaces: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapFinding {
    pub severity: Severity,
    pub code: String,
    pub department: String,
    pub indicator_id: String,
    pub file: String,
    pub sheet: String,
    pub cell: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapStatus {
    pub indicator_id: String,
    pub year: i32,
    pub status: String,
}

/// One figure that differs from the previous run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureChange {
    pub indicator_id: String,
    pub department: String,
    pub year: i32,
    pub before: Option<f64>,
    pub after: Option<f64>,
    pub unit: String,
    /// Where the new figure is (for a withdrawn one: where the old one was).
    pub file: String,
    pub sheet: String,
    pub cell: String,
}

impl FigureChange {
    pub fn kind(&self) -> &'static str {
        match (self.before, self.after) {
            (None, _) => "新增",
            (_, None) => "撤回",
            _ => "修改",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusChange {
    pub indicator_id: String,
    pub year: i32,
    pub before: String,
    pub after: String,
}

/// This run against the previous one.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChangeLog {
    /// The previous run's id; None on the first run (nothing to compare).
    pub previous: Option<String>,
    pub figures: Vec<FigureChange>,
    pub fixed: Vec<SnapFinding>,
    pub new: Vec<SnapFinding>,
    pub statuses: Vec<StatusChange>,
}

impl ChangeLog {
    pub fn is_empty(&self) -> bool {
        self.figures.is_empty() && self.fixed.is_empty() && self.new.is_empty() && self.statuses.is_empty()
    }
}

/// A unit's problems of its previous different return, now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowUp {
    /// The run the earlier feedback came from.
    pub previous: String,
    pub items: Vec<FollowItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowItem {
    pub fixed: bool,
    pub file: String,
    pub sheet: String,
    pub cell: String,
    pub indicator_id: String,
    pub message: String,
}

impl FollowItem {
    pub fn state(&self) -> &'static str {
        if self.fixed {
            "已更正"
        } else {
            "仍未更正"
        }
    }
}

/// An earlier run, as its manifest.json tells.
#[derive(Debug, Deserialize)]
pub struct Run {
    pub run_id: String,
    #[serde(default)]
    pub inputs: Vec<InputFile>,
    #[serde(default)]
    pub snapshot: Option<Snapshot>,
}

/// Every 本年值 with a figure among these observations, as a snapshot keeps it.
pub fn snap_figures(observations: &[crate::read::Observation]) -> Vec<SnapFigure> {
    observations
        .iter()
        .filter(|o| o.kind == ObsKind::Current && !o.department.is_empty())
        .filter_map(|o| {
            Some(SnapFigure {
                indicator_id: o.indicator_id.to_string(),
                department: o.department.to_string(),
                year: o.year,
                value: o.value?,
                unit: o.unit.to_string(),
                file: o.file.to_string(),
                sheet: o.sheet.to_string(),
                cell: o.cell.clone(),
            })
        })
        .collect()
}

/// The snapshot of this run.
pub fn snapshot(batch: &Batch) -> Snapshot {
    let figures = snap_figures(&batch.observations);
    let used = batch
        .assessment
        .progress
        .iter()
        .filter_map(|p| {
            let s = p.source.as_ref()?;
            let file = batch.files.iter().find(|f| f.file == s.file);
            Some(UsedFigure {
                indicator_id: p.indicator_id.clone(),
                year: p.year,
                value: s.value,
                department: s.department.clone(),
                file: s.file.clone(),
                sha256: file.map(|f| f.sha256.clone()).unwrap_or_default(),
                sheet: s.sheet.clone(),
                cell: s.cell.clone(),
                replaces: batch
                    .files
                    .iter()
                    .filter(|f| f.replaced.iter().any(|r| r.by == s.file && r.department == s.department && r.year == p.year))
                    .map(|f| f.file.clone())
                    .collect(),
            })
        })
        .collect();
    let findings = batch.findings.iter().map(snap_finding).collect();
    let statuses = batch
        .assessment
        .progress
        .iter()
        .map(|p| SnapStatus { indicator_id: p.indicator_id.clone(), year: p.year, status: p.status.label().to_string() })
        .collect();
    Snapshot { figures, used, findings, statuses }
}

fn snap_finding(f: &Finding) -> SnapFinding {
    SnapFinding {
        severity: f.severity,
        code: f.code.as_str().to_string(),
        department: f.department.clone(),
        indicator_id: f.indicator_id.clone(),
        file: f.file.clone(),
        sheet: f.sheet.clone(),
        cell: f.cell.clone(),
        message: f.message.clone(),
    }
}

/// The earlier runs kept in the output folder, newest first: the current outputs'
/// manifest, then history/. A manifest that cannot be read is passed over.
pub fn earlier_runs(output: &Path) -> Vec<Run> {
    // The manifest in place first: the outputs in place are the latest run's, whatever
    // the ids of two runs in one second say; then history/, newest first.
    let mut found = crate::publish::earlier_manifests(output)
        .filter_map(|bytes| serde_json::from_slice::<Run>(&bytes).ok())
        .filter(|r| r.snapshot.is_some());
    let mut runs: Vec<Run> = Vec::new();
    let current = found.next();
    let mut history: Vec<Run> = found.collect();
    history.sort_by(|a, b| b.run_id.cmp(&a.run_id));
    for r in current.into_iter().chain(history) {
        if !runs.iter().any(|x| x.run_id == r.run_id) {
            runs.push(r);
        }
    }
    runs
}

/// This run (`now`) against the previous one.
pub fn compare(previous: Option<&Run>, now: &Snapshot, files: &[InputFile]) -> ChangeLog {
    let Some(prev) = previous else { return ChangeLog::default() };
    let before = prev.snapshot.clone().unwrap_or_default();
    let mut log =
        ChangeLog { previous: Some(prev.run_id.clone()), figures: figure_changes(&before.figures, &now.figures), ..Default::default() };
    let names = file_names(&prev.inputs, files);
    let old_keys: BTreeSet<_> = before.findings.iter().map(|f| finding_key(f, &names)).collect();
    let new_keys: BTreeSet<_> = now.findings.iter().map(|f| finding_key(f, &names)).collect();
    log.fixed = before.findings.iter().filter(|f| !new_keys.contains(&finding_key(f, &names))).cloned().collect();
    log.new = now.findings.iter().filter(|f| !old_keys.contains(&finding_key(f, &names))).cloned().collect();
    let statuses: BTreeMap<_, _> = before.statuses.iter().map(|s| ((s.indicator_id.clone(), s.year), s.status.clone())).collect();
    for s in &now.statuses {
        if let Some(b) = statuses.get(&(s.indicator_id.clone(), s.year)).filter(|b| **b != s.status) {
            log.statuses.push(StatusChange {
                indicator_id: s.indicator_id.clone(),
                year: s.year,
                before: b.clone(),
                after: s.status.clone(),
            });
        }
    }
    log
}

/// The figures (indicator, unit, year) changed, added or withdrawn between two lists.
pub fn figure_changes(before: &[SnapFigure], now: &[SnapFigure]) -> Vec<FigureChange> {
    let key = |f: &SnapFigure| (f.indicator_id.clone(), f.year, f.department.clone());
    let mut old: BTreeMap<_, &SnapFigure> = BTreeMap::new();
    for f in before {
        old.entry(key(f)).or_insert(f);
    }
    let mut new: BTreeMap<_, &SnapFigure> = BTreeMap::new();
    for f in now {
        new.entry(key(f)).or_insert(f);
    }
    let mut out = Vec::new();
    for k in old.keys().chain(new.keys()).collect::<BTreeSet<_>>() {
        let (b, a) = (old.get(k), new.get(k));
        if b.map(|f| f.value) == a.map(|f| f.value) {
            continue;
        }
        let at = a.or(b).expect("one of them");
        out.push(FigureChange {
            indicator_id: k.0.clone(),
            department: k.2.clone(),
            year: k.1,
            before: b.map(|f| f.value),
            after: a.map(|f| f.value),
            unit: at.unit.clone(),
            file: at.file.clone(),
            sheet: at.sheet.clone(),
            cell: at.cell.clone(),
        });
    }
    out
}

/// Every input file name of two runs, longest first (to take them out of messages).
fn file_names(a: &[InputFile], b: &[InputFile]) -> Vec<String> {
    let mut names: Vec<String> = a.iter().chain(b).map(|f| f.file.clone()).filter(|n| !n.is_empty()).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names.dedup();
    names
}

/// A finding's identity across runs: what and where, not in which version of the file
/// (a corrected return has another name).
type FindingKey = (Severity, String, String, String, String, String, String);

fn finding_key(f: &SnapFinding, names: &[String]) -> FindingKey {
    let mut message = f.message.clone();
    for n in names {
        if message.contains(n.as_str()) {
            message = message.replace(n.as_str(), "…");
        }
    }
    (f.severity, f.code.clone(), f.department.clone(), f.indicator_id.clone(), f.sheet.clone(), f.cell.clone(), message)
}

/// The returns of `unit` a run read, by content.
fn unit_inputs(files: &[InputFile], unit: &str) -> Vec<String> {
    let mut out: Vec<String> = files
        .iter()
        .filter(|f| matches!(f.status, Fate::Read | Fate::Superseded))
        .filter(|f| if f.covers.is_empty() { f.department == unit } else { f.covers.iter().any(|c| c.department == unit) })
        .map(|f| f.sha256.clone())
        .collect();
    out.sort();
    out
}

/// A unit's problems (errors and warnings) in a snapshot, as keys across runs.
fn problems<'a>(findings: impl Iterator<Item = &'a SnapFinding>, unit: &str, names: &[String]) -> BTreeSet<FindingKey> {
    findings.filter(|f| f.department == unit && f.severity != Severity::Info).map(|f| finding_key(f, names)).collect()
}

/// For each unit: the problems (errors and warnings) of the last earlier run in which
/// its returns or its problems were different (its own correction, or another unit's
/// that settled a conflict), each 已更正 or 仍未更正 now. None when no earlier run
/// differs: a rerun on the same files follows up exactly as the run before it did.
pub fn follow_up(runs: &[Run], batch: &Batch, unit: &str) -> Option<FollowUp> {
    let inputs = unit_inputs(&batch.files, unit);
    let now: Vec<SnapFinding> = batch.findings.iter().filter(|f| f.department == unit).map(snap_finding).collect();
    let (base, names) = runs.iter().find_map(|r| {
        let names = file_names(&r.inputs, &batch.files);
        let snap = r.snapshot.as_ref()?;
        let differs =
            unit_inputs(&r.inputs, unit) != inputs || problems(snap.findings.iter(), unit, &names) != problems(now.iter(), unit, &names);
        differs.then_some((r, names))
    })?;
    let snap = base.snapshot.as_ref()?;
    let current: BTreeSet<_> = now.iter().map(|f| finding_key(f, &names)).collect();
    let items: Vec<FollowItem> = snap
        .findings
        .iter()
        .filter(|f| f.department == unit && f.severity != Severity::Info)
        .map(|f| FollowItem {
            fixed: !current.contains(&finding_key(f, &names)),
            file: f.file.clone(),
            sheet: f.sheet.clone(),
            cell: f.cell.clone(),
            indicator_id: f.indicator_id.clone(),
            message: f.message.clone(),
        })
        .collect();
    Some(FollowUp { previous: base.run_id.clone(), items })
}
