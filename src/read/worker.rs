//! Reading returns in worker processes (`crate::worker`): calamine runs in child
//! processes of this program under the memory limit `memory_mb_per_file`, so that a
//! file that makes it abort or exhaust memory costs that file only: the worker dies,
//! the file becomes a finding, a new worker takes the rest. A file still being read
//! after `seconds_per_file` has its worker ended.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{file::read_file, InputFile, Observation, ReadOutcome};
use crate::finding::{Code, Finding};
use crate::plan::{Plan, PlanTables};
use crate::worker::{self, Bounds, Lost, Task};

/// Where returns are parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Isolation {
    /// On threads of this process (tests, and the library used on its own).
    Threads,
    /// In worker processes of this program (given by its path), as `planmon run` and
    /// `planmon check` do.
    Processes(PathBuf),
}

impl Isolation {
    /// Worker processes of the running program.
    pub fn this_program() -> Isolation {
        std::env::current_exe().map(Isolation::Processes).unwrap_or(Isolation::Threads)
    }
}

#[derive(Serialize, Deserialize)]
pub struct Job {
    path: String,
    rel: String,
}

/// A reading worker: the plan, to know the indicators and units.
pub struct Reader {
    plan: Plan,
}

impl Task for Reader {
    const KIND: worker::Kind = worker::Kind::Read;
    type Setup = PlanTables;
    type Job = Job;
    type Answer = Wire;

    fn start(tables: PlanTables) -> anyhow::Result<Reader> {
        Ok(Reader { plan: Plan::from_tables(tables, Vec::new())? })
    }

    fn perform(&self, job: Job) -> Wire {
        Wire::pack(read_file(&self.plan, &worker::path_from_wire(&job.path), &job.rel))
    }
}

/// A read outcome on the wire: the text many figures share (file, sheet, unit,
/// indicator) sent once per file and referred to by number, so that the parent makes
/// no copy of it per figure.
#[derive(Serialize, Deserialize)]
pub struct Wire {
    strings: Vec<String>,
    observations: Vec<WireObservation>,
    rest: ReadOutcome,
}

#[derive(Serialize, Deserialize)]
struct WireObservation {
    /// file, sheet, department, indicator_id, indicator_name, unit: into `strings`.
    shared: [u32; 6],
    cell: String,
    year: i32,
    raw: String,
    value: Option<f64>,
    kind: super::ObsKind,
    remark: String,
    reason: String,
    reason_cell: String,
    return_year: i32,
    provisional: bool,
    correction: bool,
    secondary: bool,
    no_value: Option<super::NotUsed>,
}

impl Wire {
    fn pack(mut outcome: ReadOutcome) -> Wire {
        let mut strings: Vec<String> = Vec::new();
        let mut index: std::collections::HashMap<*const u8, u32> = std::collections::HashMap::new();
        let mut number = |text: &Arc<str>| -> u32 {
            *index.entry(text.as_ptr()).or_insert_with(|| {
                strings.push(text.to_string());
                (strings.len() - 1) as u32
            })
        };
        let observations = std::mem::take(&mut outcome.observations)
            .into_iter()
            .map(|o| WireObservation {
                shared: [
                    number(&o.file),
                    number(&o.sheet),
                    number(&o.department),
                    number(&o.indicator_id),
                    number(&o.indicator_name),
                    number(&o.unit),
                ],
                cell: o.cell,
                year: o.year,
                raw: o.raw,
                value: o.value,
                kind: o.kind,
                remark: o.remark,
                reason: o.reason,
                reason_cell: o.reason_cell,
                return_year: o.return_year,
                provisional: o.provisional,
                correction: o.correction,
                secondary: o.secondary,
                no_value: o.no_value,
            })
            .collect();
        Wire { strings, observations, rest: outcome }
    }

    /// Back to an outcome, the shared text taken from (or added to) `pool`.
    fn unpack(self, pool: &mut HashSet<Arc<str>>) -> ReadOutcome {
        let shared: Vec<Arc<str>> = self
            .strings
            .into_iter()
            .map(|s| match pool.get(s.as_str()) {
                Some(a) => a.clone(),
                None => {
                    let a: Arc<str> = Arc::from(s);
                    pool.insert(a.clone());
                    a
                }
            })
            .collect();
        let text = |k: u32| shared.get(k as usize).cloned().unwrap_or_else(|| Arc::from(""));
        let mut outcome = self.rest;
        outcome.observations = self
            .observations
            .into_iter()
            .map(|o| Observation {
                file: text(o.shared[0]),
                sheet: text(o.shared[1]),
                cell: o.cell,
                department: text(o.shared[2]),
                year: o.year,
                indicator_id: text(o.shared[3]),
                indicator_name: text(o.shared[4]),
                raw: o.raw,
                value: o.value,
                unit: text(o.shared[5]),
                kind: o.kind,
                remark: o.remark,
                reason: o.reason,
                reason_cell: o.reason_cell,
                return_year: o.return_year,
                provisional: o.provisional,
                correction: o.correction,
                secondary: o.secondary,
                no_value: o.no_value,
            })
            .collect();
        outcome
    }
}

/// Jobs given to a worker ahead of time: it never waits for the parent between files,
/// and its results come back in batches.
const IN_FLIGHT: usize = 16;

/// Read the files `jobs` lists in worker processes of `exe`, one per core; the list is
/// made while the workers start. Results come back in the order of the list. Files no
/// worker could take (none could be started) are read on threads.
pub(super) fn read_in_processes(
    plan: &Plan,
    exe: &Path,
    jobs: impl FnOnce() -> Vec<(PathBuf, String)>,
    progress: &dyn Fn(usize, usize),
) -> Vec<ReadOutcome> {
    let limits = &plan.rules.limits;
    let bounds = Bounds { seconds: limits.seconds_per_file, memory_mb: limits.memory_mb_per_file, ahead: IN_FLIGHT };
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(1);
    let total = std::cell::Cell::new(0);
    let done = std::cell::Cell::new(0);
    let make = || {
        let jobs: Vec<Job> = jobs().into_iter().map(|(path, rel)| Job { path: worker::path_to_wire(&path), rel }).collect();
        total.set(jobs.len());
        progress(0, jobs.len());
        jobs
    };
    let (jobs, answers) = worker::run::<Reader>(exe, &plan.tables(), bounds, workers, make, &|_| false, &mut |_, _| {
        done.set(done.get() + 1);
        progress(done.get(), total.get());
    });
    let limit = crate::worker::seconds(limits.seconds_per_file);
    let mut pool: HashSet<Arc<str>> =
        plan.indicators.iter().flat_map(|i| [i.shared.id.clone(), i.shared.name.clone(), i.shared.unit.clone()]).collect();
    let mut results: Vec<Option<ReadOutcome>> = Vec::with_capacity(jobs.len());
    let mut rest = Vec::new();
    for (i, (job, answer)) in jobs.iter().zip(answers).enumerate() {
        results.push(match answer {
            Ok(wire) => Some(wire.unpack(&mut pool)),
            Err(Lost::TimedOut) => Some(super::timed_out(&job.rel, limit)),
            Err(Lost::Died { out_of_memory }) => Some(died(&job.rel, out_of_memory, limits.memory_mb_per_file)),
            Err(Lost::Skipped | Lost::NoWorker) => {
                rest.push(i);
                None
            }
        });
    }
    if !rest.is_empty() {
        // No worker could be started: the rest on threads.
        let files = rest.iter().map(|&i| (worker::path_from_wire(&jobs[i].path), jobs[i].rel.clone())).collect();
        let read = super::read_on_threads(plan, files, &|_, _| {});
        for (i, outcome) in rest.into_iter().zip(read) {
            results[i] = Some(outcome);
            done.set(done.get() + 1);
            progress(done.get(), total.get());
        }
    }
    results.into_iter().flatten().collect()
}

/// What a worker that died while reading a file leaves: one finding for that file.
fn died(rel: &str, out_of_memory: bool, memory_mb: f64) -> ReadOutcome {
    let f = if out_of_memory {
        Finding::error(
            Code::ReadOutOfMemory,
            format!(
                "读取此文件需要超过 {} MB 的内存，已放弃（文件可能损坏或被恶意构造，例如在极远处写了内容）。请用 Excel 或 WPS 打开后删除多余的行列，另存为 xlsx 再报送。",
                crate::text::fmt_num(memory_mb, 0)
            ),
        )
    } else {
        Finding::error(
            Code::ReadCrashed,
            "读取此文件时读取程序意外退出，文件未被采用（文件可能损坏）。请用 Excel 或 WPS 打开后另存为 xlsx 再报送，并把原文件发给工具维护人员。",
        )
    }
    .in_file(rel);
    let file = InputFile::rejected(rel, &f.message);
    ReadOutcome { findings: vec![f], files: vec![file], ..Default::default() }
}
