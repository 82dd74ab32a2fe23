//! Reading in worker processes. calamine runs in child processes of this program
//! (`planmon read-worker`, one per core) under a memory limit, so that a file that makes
//! it abort or exhaust memory — which no `catch_unwind` can contain — costs that file
//! only: the worker dies, the file becomes a finding, a new worker takes the rest. A
//! file still being read after the time limit has its worker killed.
//!
//! The protocol: the parent sends JSON lines — the plan tables and the memory limit,
//! then one job per line (index, path, name), two ahead so that a worker never waits;
//! the worker answers each job with one binary frame (length, then bincode) holding
//! what `read_file` made of it.

use std::collections::{HashSet, VecDeque};
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

/// What a worker says about one file.
#[derive(Serialize, Deserialize)]
struct Done {
    index: usize,
    /// What the file gave; None when it was given up after the time limit.
    outcome: Option<Wire>,
}

/// A read outcome on the wire: the text many figures share (file, sheet, unit,
/// indicator) sent once per file and referred to by number, so that the parent makes
/// no copy of it per figure.
#[derive(Serialize, Deserialize)]
struct Wire {
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
    return_year: i32,
    provisional: bool,
    correction: bool,
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
                return_year: o.return_year,
                provisional: o.provisional,
                correction: o.correction,
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
                return_year: o.return_year,
                provisional: o.provisional,
                correction: o.correction,
                no_value: o.no_value,
            })
            .collect();
        outcome
    }
}

/// `planmon read-worker`: read the jobs from standard input until it closes.
///
/// Results are written to a buffer and sent when no further job is waiting, so that a
/// batch of files costs one wake-up of the parent, not one per file. A watchdog thread
/// enforces the time limit: a file still being read after it is reported as given up
/// (after the results before it) and the worker exits; the parent starts another.
pub fn serve() -> anyhow::Result<()> {
    let mut first = String::new();
    if std::io::stdin().read_line(&mut first)? == 0 {
        return Ok(());
    }
    let setup: Setup = serde_json::from_str(&first)?;
    limit_memory(setup.memory_mb);
    let plan = Plan::from_tables(setup.plan, Vec::new())?;
    let limit = Duration::from_secs_f64(plan.rules.limits.seconds_per_file.max(0.0));
    let (tx, jobs) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        // Stdin's buffer is shared: the lines after the first continue here.
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let out = Arc::new(std::sync::Mutex::new(std::io::BufWriter::with_capacity(1 << 20, std::io::stdout())));
    let current: Arc<std::sync::Mutex<Option<(usize, Instant)>>> = Arc::default();
    {
        let (out, current) = (Arc::clone(&out), Arc::clone(&current));
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(50).min(limit / 4 + Duration::from_millis(1)));
            let late = current.lock().ok().and_then(|c| *c).filter(|(_, t)| t.elapsed() >= limit);
            if let Some((index, _)) = late {
                if let Ok(mut out) = out.lock() {
                    let _ = write_frame(&mut *out, &Done { index, outcome: None }).and_then(|()| Ok(out.flush()?));
                }
                std::process::exit(GAVE_UP);
            }
        });
    }
    let mut waiting = jobs.try_recv();
    loop {
        let line = match waiting {
            Ok(line) => line,
            Err(mpsc::TryRecvError::Empty) => {
                // Nothing more queued: send what is done, then wait.
                out.lock().map_err(|_| anyhow::anyhow!("output lock"))?.flush()?;
                match jobs.recv() {
                    Ok(line) => line,
                    Err(_) => break,
                }
            }
            Err(mpsc::TryRecvError::Disconnected) => break,
        };
        let job: Job = serde_json::from_str(&line)?;
        let started = Instant::now();
        *current.lock().map_err(|_| anyhow::anyhow!("lock"))? = Some((job.index, started));
        let outcome = read_file(&plan, &path_from_wire(&job.path), &job.rel);
        let mut out = out.lock().map_err(|_| anyhow::anyhow!("output lock"))?;
        *current.lock().map_err(|_| anyhow::anyhow!("lock"))? = None;
        // Finished, but later than allowed: the same as giving up on it, so that the
        // limit means one thing however fast the machine is.
        let outcome = (started.elapsed() < limit).then(|| Wire::pack(outcome));
        write_frame(&mut *out, &Done { index: job.index, outcome })?;
        drop(out);
        waiting = jobs.try_recv();
    }
    out.lock().map_err(|_| anyhow::anyhow!("output lock"))?.flush()?;
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

/// Windows names are UTF-16 and may hold lone surrogates: sent as hex of the units.
#[cfg(windows)]
fn path_to_wire(path: &Path) -> String {
    use std::os::windows::ffi::OsStrExt;
    path.as_os_str().encode_wide().map(|u| format!("{u:04x}")).collect()
}

#[cfg(windows)]
fn path_from_wire(wire: &str) -> PathBuf {
    use std::os::windows::ffi::OsStringExt;
    let units: Vec<u16> = (0..wire.len() / 4).filter_map(|i| u16::from_str_radix(wire.get(4 * i..4 * i + 4)?, 16).ok()).collect();
    PathBuf::from(std::ffi::OsString::from_wide(&units))
}

#[cfg(not(any(unix, windows)))]
fn path_to_wire(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(not(any(unix, windows)))]
fn path_from_wire(wire: &str) -> PathBuf {
    PathBuf::from(wire)
}

/// Files still to give out: (index, suspect).
type Pending = VecDeque<(usize, bool)>;

/// The exit status of a worker whose watchdog gave up on a file (after reporting it).
const GAVE_UP: i32 = 3;

/// Jobs given to a worker ahead of time: it never waits for the parent between files,
/// and its results come back in batches.
const IN_FLIGHT: usize = 16;

/// One worker process and the files it has been given, the first being read.
struct Slot {
    id: u64,
    child: Child,
    stdin: Option<ChildStdin>,
    /// Files given and not yet answered; `alone` when a single suspect was given.
    queue: VecDeque<usize>,
    alone: bool,
    /// When the worker last showed progress (a result, or work given to an idle one).
    /// The worker enforces the time limit itself; the parent kills one that shows no
    /// progress for much longer (stuck beyond what its own watchdog can end).
    started: Option<Instant>,
}

enum Msg {
    Done(u64, Box<Done>),
    /// The worker's standard output closed: it ended. With what it wrote to stderr.
    Ended(u64, String),
}

/// One result frame: its length (u32, little-endian), then bincode.
fn write_frame(out: &mut impl Write, done: &Done) -> anyhow::Result<()> {
    let bytes = bincode::serialize(done)?;
    out.write_all(&u32::try_from(bytes.len())?.to_le_bytes())?;
    out.write_all(&bytes)?;
    Ok(())
}

fn read_frame(input: &mut impl Read) -> Option<Done> {
    let mut len = [0u8; 4];
    input.read_exact(&mut len).ok()?;
    let mut bytes = vec![0u8; u32::from_le_bytes(len) as usize];
    input.read_exact(&mut bytes).ok()?;
    bincode::deserialize(&bytes).ok()
}

/// Read the files `jobs` lists in worker processes of `exe`, one per core; the list is
/// made while the workers start. Results come back in the order of the list. If no
/// worker can be started, the files are read on threads.
pub(super) fn read_in_processes(
    plan: &Plan,
    exe: &Path,
    jobs: impl FnOnce() -> Vec<(PathBuf, String)>,
    progress: &dyn Fn(usize, usize),
) -> Vec<ReadOutcome> {
    let limits = &plan.rules.limits;
    let limit = Duration::from_secs_f64(limits.seconds_per_file.max(0.0));
    // The parent's backstop: well past the worker's own limit.
    let backstop = limit * 2 + Duration::from_secs(5);
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(1);
    let setup = match serde_json::to_string(&Setup { plan: plan.tables(), memory_mb: limits.memory_mb_per_file }) {
        Ok(s) => s,
        Err(_) => return super::read_on_threads(plan, jobs(), progress),
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
                let mut frames = BufReader::new(stdout);
                while let Some(done) = read_frame(&mut frames) {
                    if tx.send(Msg::Done(id, Box::new(done))).is_err() {
                        return;
                    }
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
        Ok(Slot { id, child, stdin, queue: VecDeque::new(), alone: false, started: None })
    };
    let mut slots: Vec<Slot> = Vec::new();
    for _ in 0..workers {
        match spawn() {
            Ok(slot) => slots.push(slot),
            Err(_) => break,
        }
    }
    let jobs = jobs();
    let total = jobs.len();
    if slots.is_empty() {
        return super::read_on_threads(plan, jobs, progress);
    }
    let mut results: Vec<Option<ReadOutcome>> = (0..total).map(|_| None).collect();
    // Files to give out; `true` marks a suspect: a file that was with a worker when it
    // died (its answers for earlier files may have died with it, unsent). A suspect is
    // given to a worker alone, so that if it dies again, that file is the one.
    let mut pending: Pending = (0..total).map(|i| (i, false)).collect();
    let mut done = 0usize;
    let mut pool: HashSet<Arc<str>> =
        plan.indicators.iter().flat_map(|i| [i.shared.id.clone(), i.shared.name.clone(), i.shared.unit.clone()]).collect();
    // Fill a worker's queue from the pending files; close its input when there is nothing
    // left for it to do.
    let give = |slot: &mut Slot, pending: &mut Pending| {
        while slot.queue.len() < IN_FLIGHT && !slot.alone {
            let Some(&(i, suspect)) = pending.front() else { break };
            if suspect && !slot.queue.is_empty() {
                break;
            }
            pending.pop_front();
            slot.alone = suspect;
            let (path, rel) = &jobs[i];
            let line = serde_json::to_string(&Job { index: i, path: path_to_wire(path), rel: rel.clone() }).unwrap_or_default();
            if slot.queue.is_empty() {
                slot.started = Some(Instant::now());
            }
            slot.queue.push_back(i);
            // A worker that cannot take it has died: its end is reported and handled.
            if let Some(stdin) = slot.stdin.as_mut() {
                let _ = writeln!(stdin, "{line}").and_then(|_| stdin.flush());
            }
        }
        if slot.queue.is_empty() && pending.is_empty() {
            slot.stdin = None;
        }
    };
    for slot in &mut slots {
        give(slot, &mut pending);
    }
    progress(0, total);
    while done < total {
        let wait = slots
            .iter()
            .filter_map(|s| s.started.map(|t| (t + backstop).saturating_duration_since(Instant::now())))
            .min()
            .unwrap_or(Duration::from_secs(3600));
        match rx.recv_timeout(wait) {
            Ok(Msg::Done(id, d)) => {
                let Some(slot) = slots.iter_mut().find(|s| s.id == id) else { continue };
                if slot.queue.front() != Some(&d.index) {
                    continue;
                }
                slot.queue.pop_front();
                slot.alone = false;
                slot.started = (!slot.queue.is_empty()).then(Instant::now);
                results[d.index] = Some(match d.outcome {
                    Some(wire) if !limit.is_zero() => wire.unpack(&mut pool),
                    _ => super::timed_out(&jobs[d.index].1, limit),
                });
                done += 1;
                progress(done, total);
                give(slot, &mut pending);
            }
            Ok(Msg::Ended(id, stderr)) => {
                let Some(at) = slots.iter().position(|s| s.id == id) else { continue };
                let mut slot = slots.swap_remove(at);
                let status = slot.child.wait().ok();
                if status.and_then(|s| s.code()) == Some(GAVE_UP) {
                    // Its watchdog ended it after reporting the file given up: the rest
                    // go to the next worker as they were.
                    for i in slot.queue.into_iter().rev() {
                        pending.push_front((i, false));
                    }
                } else if slot.alone {
                    // A suspect, alone: this file ends the reader.
                    if let Some(i) = slot.queue.pop_front() {
                        results[i] = Some(died(&jobs[i].1, &stderr, limits.memory_mb_per_file));
                        done += 1;
                        progress(done, total);
                    }
                } else {
                    // Which of its files did it? Each goes again, alone.
                    for i in slot.queue.into_iter().rev() {
                        pending.push_front((i, true));
                    }
                }
                if !pending.is_empty() {
                    replace(&mut slots, spawn(), &give, &mut pending);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let late: Vec<usize> = (0..slots.len()).filter(|&k| slots[k].started.is_some_and(|t| t.elapsed() >= backstop)).collect();
                for k in late.into_iter().rev() {
                    let mut slot = slots.swap_remove(k);
                    let _ = slot.child.kill();
                    let _ = slot.child.wait();
                    if let Some(i) = slot.queue.pop_front() {
                        results[i] = Some(super::timed_out(&jobs[i].1, limit));
                        done += 1;
                        progress(done, total);
                    }
                    for i in slot.queue.into_iter().rev() {
                        pending.push_front((i, false));
                    }
                    if !pending.is_empty() {
                        replace(&mut slots, spawn(), &give, &mut pending);
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if slots.is_empty() && done < total {
            // No worker could be started again: the rest on threads.
            let rest: Vec<usize> = (0..total).filter(|&i| results[i].is_none()).collect();
            let read = super::read_on_threads(plan, rest.iter().map(|&i| jobs[i].clone()).collect(), &|_, _| {});
            for (i, outcome) in rest.into_iter().zip(read) {
                results[i] = Some(outcome);
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

/// Start a worker in place of one that ended, and give it files.
fn replace(slots: &mut Vec<Slot>, spawned: std::io::Result<Slot>, give: &dyn Fn(&mut Slot, &mut Pending), pending: &mut Pending) {
    if let Ok(mut slot) = spawned {
        give(&mut slot, pending);
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
