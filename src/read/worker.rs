//! Reading in worker processes. calamine runs in child processes of this program
//! (`planmon read-worker`, one per core) under a memory limit, so that a file that makes
//! it abort or exhaust memory — which no `catch_unwind` can contain — costs that file
//! only: the worker dies, the file becomes a finding, a new worker takes the rest. A
//! file still being read after the time limit has its worker killed.
//!
//! The protocol is JSON lines: the parent sends the plan tables and the memory limit,
//! then one job per line (index, path, name); the worker answers each job with one
//! line holding what `read_file` made of it.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{file::read_file, InputFile, Observation, ReadOutcome};
use crate::finding::{Code, Finding};
use crate::plan::{Plan, PlanTables};

/// The hidden subcommand a worker is started with.
pub const WORKER_COMMAND: &str = "read-worker";

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
struct Setup {
    plan: PlanTables,
    memory_mb: f64,
}

#[derive(Serialize, Deserialize)]
struct Job {
    index: usize,
    path: String,
    rel: String,
}

#[derive(Serialize, Deserialize)]
struct Done {
    index: usize,
    outcome: ReadOutcome,
}

/// `planmon read-worker`: read the jobs from standard input until it closes.
pub fn serve() -> anyhow::Result<()> {
    let mut lines = std::io::stdin().lock().lines();
    let Some(first) = lines.next() else { return Ok(()) };
    let setup: Setup = serde_json::from_str(&first?)?;
    limit_memory(setup.memory_mb);
    let plan = Plan::from_tables(setup.plan, Vec::new())?;
    let mut out = std::io::stdout().lock();
    for line in lines {
        let job: Job = serde_json::from_str(&line?)?;
        let outcome = read_file(&plan, &path_from_wire(&job.path), &job.rel);
        serde_json::to_writer(&mut out, &Done { index: job.index, outcome })?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(())
}

/// Cap this process's address space at its size now plus `mb` (Linux; elsewhere the
/// worker still contains crashes, without a memory cap).
fn limit_memory(mb: f64) {
    #[cfg(target_os = "linux")]
    {
        let now = current_address_space();
        let limit = now.saturating_add((mb.max(16.0) * 1_048_576.0) as u64);
        let rl = libc::rlimit { rlim_cur: limit as libc::rlim_t, rlim_max: limit as libc::rlim_t };
        // SAFETY: setrlimit reads the struct we pass and changes only this process.
        unsafe { libc::setrlimit(libc::RLIMIT_AS, &rl) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = mb;
}

/// The address space this process takes now, in bytes.
#[cfg(target_os = "linux")]
fn current_address_space() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        // SAFETY: sysconf has no preconditions.
        .map(|pages| pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64)
        .unwrap_or(0)
}

#[cfg(unix)]
fn path_to_wire(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    crate::text::hex(path.as_os_str().as_bytes())
}

#[cfg(unix)]
fn path_from_wire(wire: &str) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let bytes: Vec<u8> = (0..wire.len() / 2).filter_map(|i| u8::from_str_radix(wire.get(2 * i..2 * i + 2)?, 16).ok()).collect();
    PathBuf::from(std::ffi::OsStr::from_bytes(&bytes))
}

#[cfg(not(unix))]
fn path_to_wire(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(not(unix))]
fn path_from_wire(wire: &str) -> PathBuf {
    PathBuf::from(wire)
}

/// One worker process and the file it is reading.
struct Slot {
    id: u64,
    child: Child,
    stdin: Option<ChildStdin>,
    busy: Option<(usize, Instant)>,
}

enum Msg {
    Done(u64, Box<Done>),
    /// The worker's standard output closed: it ended. With what it wrote to stderr.
    Ended(u64, String),
}

/// Read the jobs in worker processes of `exe`, one per core. Results come back in the
/// order of `jobs`. If no worker can be started, the files are read on threads.
pub(super) fn read_in_processes(
    plan: &Plan,
    exe: &Path,
    jobs: Vec<(PathBuf, String)>,
    progress: &dyn Fn(usize, usize),
) -> Vec<ReadOutcome> {
    let total = jobs.len();
    let limits = &plan.rules.limits;
    let limit = Duration::from_secs_f64(limits.seconds_per_file.max(0.0));
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(1, total.max(1));
    let setup = match serde_json::to_string(&Setup { plan: plan.tables(), memory_mb: limits.memory_mb_per_file }) {
        Ok(s) => s,
        Err(_) => return super::read_on_threads(plan, jobs, progress),
    };
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut next_id = 0u64;
    let mut spawn = || -> std::io::Result<Slot> {
        next_id += 1;
        let id = next_id;
        let mut child =
            Command::new(exe).arg(WORKER_COMMAND).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let tx = tx.clone();
        std::thread::spawn(move || {
            if let Some(stdout) = stdout {
                let mut lines = BufReader::new(stdout);
                let mut line = String::new();
                while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
                    match serde_json::from_str::<Done>(&line) {
                        Ok(done) => {
                            if tx.send(Msg::Done(id, Box::new(done))).is_err() {
                                return;
                            }
                        }
                        Err(_) => break,
                    }
                    line.clear();
                }
            }
            let mut tail = Vec::new();
            if let Some(stderr) = stderr {
                let _ = stderr.take(64 * 1024).read_to_end(&mut tail);
            }
            let _ = tx.send(Msg::Ended(id, String::from_utf8_lossy(&tail).into_owned()));
        });
        let mut stdin = child.stdin.take();
        if let Some(s) = stdin.as_mut() {
            writeln!(s, "{setup}")?;
        }
        Ok(Slot { id, child, stdin, busy: None })
    };
    let mut slots: Vec<Slot> = Vec::new();
    for _ in 0..workers {
        match spawn() {
            Ok(slot) => slots.push(slot),
            Err(_) => break,
        }
    }
    if slots.is_empty() {
        return super::read_on_threads(plan, jobs, progress);
    }
    let mut results: Vec<Option<ReadOutcome>> = (0..total).map(|_| None).collect();
    let mut next = 0usize;
    let mut done = 0usize;
    let mut pool: HashSet<Arc<str>> =
        plan.indicators.iter().flat_map(|i| [i.shared.id.clone(), i.shared.name.clone(), i.shared.unit.clone()]).collect();
    let give = |slot: &mut Slot, next: &mut usize| {
        if *next >= total {
            slot.stdin = None;
            return;
        }
        let (path, rel) = &jobs[*next];
        let line = serde_json::to_string(&Job { index: *next, path: path_to_wire(path), rel: rel.clone() }).unwrap_or_default();
        slot.busy = Some((*next, Instant::now()));
        *next += 1;
        // A worker that cannot take it has died: its end is reported and handled.
        if let Some(stdin) = slot.stdin.as_mut() {
            let _ = writeln!(stdin, "{line}").and_then(|_| stdin.flush());
        }
    };
    for slot in &mut slots {
        give(slot, &mut next);
    }
    progress(0, total);
    while done < total {
        let wait = slots
            .iter()
            .filter_map(|s| s.busy.map(|(_, t)| (t + limit).saturating_duration_since(Instant::now())))
            .min()
            .unwrap_or(Duration::from_secs(3600));
        match rx.recv_timeout(wait) {
            Ok(Msg::Done(id, d)) => {
                let Some(slot) = slots.iter_mut().find(|s| s.id == id) else { continue };
                let Some((i, t)) = slot.busy.filter(|(i, _)| *i == d.index) else { continue };
                let mut outcome = d.outcome;
                results[i] = Some(if t.elapsed() > limit || limit.is_zero() {
                    super::timed_out(&jobs[i].1, limit)
                } else {
                    share(&mut outcome.observations, &mut pool);
                    outcome
                });
                done += 1;
                progress(done, total);
                slot.busy = None;
                give(slot, &mut next);
            }
            Ok(Msg::Ended(id, stderr)) => {
                let Some(at) = slots.iter().position(|s| s.id == id) else { continue };
                let mut slot = slots.swap_remove(at);
                let _ = slot.child.wait();
                if let Some((i, _)) = slot.busy {
                    results[i] = Some(died(&jobs[i].1, &stderr, limits.memory_mb_per_file));
                    done += 1;
                    progress(done, total);
                }
                if next < total {
                    replace(&mut slots, spawn(), &give, &mut next);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let late: Vec<usize> = (0..slots.len()).filter(|&k| slots[k].busy.is_some_and(|(_, t)| t.elapsed() >= limit)).collect();
                for k in late.into_iter().rev() {
                    let mut slot = slots.swap_remove(k);
                    let _ = slot.child.kill();
                    let _ = slot.child.wait();
                    if let Some((i, _)) = slot.busy {
                        results[i] = Some(super::timed_out(&jobs[i].1, limit));
                        done += 1;
                        progress(done, total);
                    }
                    if next < total {
                        replace(&mut slots, spawn(), &give, &mut next);
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if slots.is_empty() && done < total {
            // No worker could be started again: the rest on threads.
            let rest: Vec<(usize, (PathBuf, String))> =
                (0..total).filter(|&i| results[i].is_none()).map(|i| (i, jobs[i].clone())).collect();
            let read = super::read_on_threads(plan, rest.iter().map(|(_, j)| j.clone()).collect(), &|_, _| {});
            for ((i, _), outcome) in rest.iter().zip(read) {
                results[*i] = Some(outcome);
                done += 1;
                progress(done, total);
            }
        }
    }
    for mut slot in slots {
        slot.stdin = None;
        let _ = slot.child.wait();
    }
    results.into_iter().flatten().collect()
}

/// Start a worker in place of one that ended, and give it the next file.
fn replace(slots: &mut Vec<Slot>, spawned: std::io::Result<Slot>, give: &dyn Fn(&mut Slot, &mut usize), next: &mut usize) {
    if let Ok(mut slot) = spawned {
        give(&mut slot, next);
        slots.push(slot);
    }
}

/// What a worker that died while reading a file leaves: one finding for that file.
fn died(rel: &str, stderr: &str, memory_mb: f64) -> ReadOutcome {
    let f = if stderr.contains("memory allocation of") {
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

/// Figures from a worker arrive with their own copies of shared text: share it again.
fn share(observations: &mut [Observation], pool: &mut HashSet<Arc<str>>) {
    let mut one = |text: &mut Arc<str>| match pool.get(&**text) {
        Some(shared) => *text = shared.clone(),
        None => {
            pool.insert(text.clone());
        }
    };
    for o in observations {
        one(&mut o.file);
        one(&mut o.sheet);
        one(&mut o.department);
        one(&mut o.indicator_id);
        one(&mut o.indicator_name);
        one(&mut o.unit);
    }
}
