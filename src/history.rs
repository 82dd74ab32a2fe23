//! The earlier runs as data: what a run keeps in its manifest.json for the next one
//! (the snapshot of its figures, findings and statuses), and the earlier runs read
//! from their manifests — untrusted: a damaged one is passed over (`publish` reads
//! the bytes, bounded and never through a link). It depends on nothing of the
//! assessment, so that the assessment can compare with the runs before it.

use serde::{Deserialize, Serialize};

use crate::finding::{Code, Severity};
use crate::read::{InputFile, ObsKind};

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
    pub code: Code,
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
    /// The status's stable key (`met`, `behind` …; runs before the keys wrote the
    /// Chinese label, which `assess::Status::from_key` reads too).
    pub status: String,
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

/// The earlier runs from their manifests' bytes (`publish::earlier_manifests`: the
/// current outputs' manifest first, then history/), newest first. A manifest that
/// cannot be read is passed over.
pub fn earlier_runs(manifests: impl Iterator<Item = Vec<u8>>) -> Vec<Run> {
    // The manifest in place first: the outputs in place are the latest run's, whatever
    // the ids of two runs in one second say; then history/, newest first.
    let mut found = manifests.filter_map(|bytes| serde_json::from_slice::<Run>(&bytes).ok()).filter(|r| r.snapshot.is_some());
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
