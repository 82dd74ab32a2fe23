//! What this run says differently from the runs before it. Every run keeps a snapshot
//! in its manifest.json (`history`: the figures as reported, the figures used and which
//! version of which file each came from, the findings, the statuses); the next run
//! compares with it, before the assessment is frozen:
//! - the change log (变更记录): figures changed, added or withdrawn, findings fixed
//!   and new, statuses that moved, against the previous run;
//! - each unit's follow-up: the problems of its last different return, 已更正 or
//!   仍未更正 now (the feedback sheets). A rerun on the same files changes nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    let names = FileNames::of(&prev.inputs, files);
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

/// Every input file name of two runs, to take out of messages: a finding names the
/// version of the file it is in, and a corrected return has another name. One pass over
/// a message whatever the number of files (the longest name where names overlap).
struct FileNames(Option<aho_corasick::AhoCorasick>);

impl FileNames {
    fn of(a: &[InputFile], b: &[InputFile]) -> FileNames {
        let names: BTreeSet<&str> = a.iter().chain(b).map(|f| f.file.as_str()).filter(|n| !n.is_empty()).collect();
        let automaton = aho_corasick::AhoCorasick::builder().match_kind(aho_corasick::MatchKind::LeftmostLongest).build(names).ok();
        FileNames(automaton)
    }

    fn strip(&self, message: &str) -> String {
        match &self.0 {
            Some(names) => {
                let mut out = String::with_capacity(message.len());
                names.replace_all_with(message, &mut out, |_, _, out| {
                    out.push('…');
                    true
                });
                out
            }
            None => message.to_string(),
        }
    }
}

/// A finding's identity across runs: what and where, not in which version of the file
/// (a corrected return has another name).
type FindingKey = (Severity, crate::finding::Code, String, String, String, String, String);

fn finding_key(f: &SnapFinding, names: &FileNames) -> FindingKey {
    (f.severity, f.code, f.department.clone(), f.indicator_id.clone(), f.sheet.clone(), f.cell.clone(), names.strip(&f.message))
}

/// The returns of each unit a run read, by content (a file naming no unit counts for
/// its own).
fn unit_inputs(files: &[InputFile]) -> HashMap<&str, Vec<&str>> {
    let mut out: HashMap<&str, Vec<&str>> = HashMap::new();
    for f in files.iter().filter(|f| matches!(f.status, Fate::Read | Fate::Superseded)) {
        let units: BTreeSet<&str> = if f.covers.is_empty() {
            BTreeSet::from([f.department.as_str()])
        } else {
            f.covers.iter().map(|c| c.department.as_str()).collect()
        };
        for unit in units {
            out.entry(unit).or_default().push(&f.sha256);
        }
    }
    for list in out.values_mut() {
        list.sort_unstable();
    }
    out
}

/// Each unit's problems (errors and warnings) among these findings, as keys across runs.
fn problems<'a>(findings: impl Iterator<Item = &'a SnapFinding>, names: &FileNames) -> HashMap<&'a str, BTreeSet<FindingKey>> {
    let mut out: HashMap<&str, BTreeSet<FindingKey>> = HashMap::new();
    for f in findings.filter(|f| f.severity != Severity::Info) {
        out.entry(f.department.as_str()).or_default().insert(finding_key(f, names));
    }
    out
}

/// For each unit: the problems (errors and warnings) of the last earlier run in which
/// its returns or its problems were different (its own correction, or another unit's
/// that settled a conflict), each 已更正 or 仍未更正 now. No entry when no earlier run
/// differs: a rerun on the same files follows up exactly as the run before it did.
/// Each earlier run is indexed once, not once per unit.
pub fn follow_ups(runs: &[Run], files: &[InputFile], findings: &[Finding], units: &[&str]) -> HashMap<String, FollowUp> {
    let inputs = unit_inputs(files);
    let now: Vec<SnapFinding> = findings.iter().map(snap_finding).collect();
    struct Earlier<'a> {
        run: &'a Run,
        snap: &'a Snapshot,
        names: FileNames,
        inputs: HashMap<&'a str, Vec<&'a str>>,
        problems: HashMap<&'a str, BTreeSet<FindingKey>>,
        problems_now: HashMap<&'a str, BTreeSet<FindingKey>>,
    }
    let earlier: Vec<Earlier> = runs
        .iter()
        .filter_map(|run| {
            let snap = run.snapshot.as_ref()?;
            let names = FileNames::of(&run.inputs, files);
            let before = problems(snap.findings.iter(), &names);
            let problems_now = problems(now.iter(), &names);
            Some(Earlier { run, snap, inputs: unit_inputs(&run.inputs), problems: before, problems_now, names })
        })
        .collect();
    let none = BTreeSet::new();
    let mut out = HashMap::new();
    for unit in units {
        let own = inputs.get(unit).map(Vec::as_slice).unwrap_or_default();
        let Some(base) = earlier.iter().find(|e| {
            e.inputs.get(unit).map(Vec::as_slice).unwrap_or_default() != own
                || e.problems.get(unit).unwrap_or(&none) != e.problems_now.get(unit).unwrap_or(&none)
        }) else {
            continue;
        };
        let current = base.problems_now.get(unit).unwrap_or(&none);
        let items: Vec<FollowItem> = base
            .snap
            .findings
            .iter()
            .filter(|f| f.department == *unit && f.severity != Severity::Info)
            .map(|f| FollowItem {
                fixed: !current.contains(&finding_key(f, &base.names)),
                file: f.file.clone(),
                sheet: f.sheet.clone(),
                cell: f.cell.clone(),
                indicator_id: f.indicator_id.clone(),
                message: f.message.clone(),
            })
            .collect();
        out.insert(unit.to_string(), FollowUp { previous: base.run.run_id.clone(), items });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_out_of_messages_longest_first() {
        let a = [InputFile::rejected("卫健局.xlsx", ""), InputFile::rejected("卫健局.xlsx.bak/卫健局.xlsx", "")];
        let b = [InputFile::rejected("教育局（修正）.xlsx", ""), InputFile::rejected("", "")];
        let names = FileNames::of(&a, &b);
        assert_eq!(names.strip("“卫健局.xlsx.bak/卫健局.xlsx”第 3 行与“教育局（修正）.xlsx”不一致"), "“…”第 3 行与“…”不一致");
        assert_eq!(names.strip("见卫健局.xlsx和卫健局.xlsx"), "见…和…");
        assert_eq!(names.strip("没有文件名"), "没有文件名");
        assert_eq!(FileNames::of(&[], &[]).strip("卫健局.xlsx"), "卫健局.xlsx");
    }
}
