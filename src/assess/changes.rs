//! What this run says differently from the runs before it. Every run keeps a snapshot
//! in its manifest.json (`history`: the figures as reported, the figures used and which
//! version of which file each came from, the findings, the statuses); the next run
//! compares with it, before the assessment is frozen:
//! - the change log (变更记录): figures changed, added or withdrawn, findings fixed
//!   and new, statuses that moved, against the previous run;
//! - each unit's follow-up: the problems of its last different return, 已更正 or
//!   仍未更正 now (the feedback sheets). A rerun on the same files changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::indicators::IndicatorYear;
use super::judge::Status;
use crate::finding::{Finding, Severity};
use crate::history::{snap_figures, Run, SnapFigure, SnapFinding, SnapStatus, Snapshot, UsedFigure};
use crate::read::{Fate, InputFile, Observation};

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

/// How a figure changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Withdrawn,
    Changed,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Added => "新增",
            ChangeKind::Withdrawn => "撤回",
            ChangeKind::Changed => "修改",
        }
    }
}

impl FigureChange {
    pub fn kind(&self) -> ChangeKind {
        match (self.before, self.after) {
            (None, _) => ChangeKind::Added,
            (_, None) => ChangeKind::Withdrawn,
            _ => ChangeKind::Changed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusChange {
    pub indicator_id: String,
    pub year: i32,
    pub before: Status,
    pub after: Status,
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

/// The change log's size, for the summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChangeCounts {
    pub figures: usize,
    pub fixed: usize,
    pub new: usize,
    pub statuses: usize,
}

impl ChangeLog {
    pub fn counts(&self) -> ChangeCounts {
        ChangeCounts { figures: self.figures.len(), fixed: self.fixed.len(), new: self.new.len(), statuses: self.statuses.len() }
    }
}

/// The snapshot of this run: its figures as reported, the figures used (with the
/// version of the file each came from), its findings and its statuses.
pub fn snapshot(observations: &[Observation], progress: &[IndicatorYear], files: &[InputFile], findings: &[Finding]) -> Snapshot {
    let by_name: std::collections::HashMap<&str, &InputFile> = files.iter().map(|f| (f.file.as_str(), f)).collect();
    let used = progress
        .iter()
        .filter_map(|p| {
            let s = p.source.as_ref()?;
            Some(UsedFigure {
                indicator_id: p.indicator_id.clone(),
                year: p.year,
                value: s.value,
                department: s.department.clone(),
                file: s.file.clone(),
                sha256: by_name.get(s.file.as_str()).map(|f| f.sha256.clone()).unwrap_or_default(),
                sheet: s.sheet.clone(),
                cell: s.cell.clone(),
                replaces: files
                    .iter()
                    .filter(|f| f.replaced.iter().any(|r| r.by == s.file && r.department == s.department && r.year == p.year))
                    .map(|f| f.file.clone())
                    .collect(),
            })
        })
        .collect();
    Snapshot {
        figures: snap_figures(observations),
        used,
        findings: findings.iter().map(snap_finding).collect(),
        statuses: progress
            .iter()
            .map(|p| SnapStatus { indicator_id: p.indicator_id.clone(), year: p.year, status: p.status.key().to_string() })
            .collect(),
    }
}

fn snap_finding(f: &Finding) -> SnapFinding {
    SnapFinding {
        severity: f.severity,
        code: f.code,
        department: f.department.clone(),
        indicator_id: f.indicator_id.clone(),
        file: f.file.clone(),
        sheet: f.sheet.clone(),
        cell: f.cell.clone(),
        message: f.message.clone(),
    }
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
    // By the status, not its words: a label reworded in a later version is no change.
    let statuses: BTreeMap<_, _> =
        before.statuses.iter().filter_map(|s| Some(((s.indicator_id.clone(), s.year), Status::from_key(&s.status)?))).collect();
    for s in &now.statuses {
        let Some(after) = Status::from_key(&s.status) else { continue };
        if let Some(&before) = statuses.get(&(s.indicator_id.clone(), s.year)).filter(|b| **b != after) {
            log.statuses.push(StatusChange { indicator_id: s.indicator_id.clone(), year: s.year, before, after });
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
type FindingKey = (Severity, crate::finding::Code, String, String, String, String, String);

fn finding_key(f: &SnapFinding, names: &[String]) -> FindingKey {
    let mut message = f.message.clone();
    for n in names {
        if message.contains(n.as_str()) {
            message = message.replace(n.as_str(), "…");
        }
    }
    (f.severity, f.code, f.department.clone(), f.indicator_id.clone(), f.sheet.clone(), f.cell.clone(), message)
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
pub fn follow_up(runs: &[Run], files: &[InputFile], findings: &[Finding], unit: &str) -> Option<FollowUp> {
    let inputs = unit_inputs(files, unit);
    let now: Vec<SnapFinding> = findings.iter().filter(|f| f.department == unit).map(snap_finding).collect();
    let (base, names) = runs.iter().find_map(|r| {
        let names = file_names(&r.inputs, files);
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
