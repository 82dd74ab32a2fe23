//! Worker processes: where planmon does what an input can make run away. Returns are
//! parsed (calamine), the plan's attachments imported (calamine, docx-rs) and the
//! documents typeset (typst) in child processes of this program (`planmon worker
//! <kind>`, one per core) under a memory limit and a time limit, so that a file or a
//! template that makes the parser abort, exhaust memory or never finish — which no
//! `catch_unwind` can contain — costs that one job: the worker dies or is ended, the
//! job is answered as lost, and a new worker takes the rest.
//!
//! The protocol: the parent sends JSON lines — a [`Hello`] with the limits and what the
//! jobs share, then one job per line (a few ahead, so that a worker never waits); the
//! worker answers each job with one binary frame (length, then bincode).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The hidden subcommand a worker is started with (followed by its kind).
pub const WORKER_COMMAND: &str = "worker";

/// The kinds of work done in workers (the argument after `planmon worker`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Parse returns (`read`).
    Read,
    /// Read the tables of the plan's attachments (`plan import`).
    Import,
    /// Typeset the report and the feedback sheets.
    Typeset,
}

impl Kind {
    fn arg(self) -> &'static str {
        match self {
            Kind::Read => "read",
            Kind::Import => "import",
            Kind::Typeset => "typeset",
        }
    }
}

/// One kind of work: what its workers share, its jobs and their answers.
pub trait Task: Sized {
    const KIND: Kind;
    type Setup: Serialize + DeserializeOwned;
    type Job: Serialize + DeserializeOwned;
    type Answer: Serialize + DeserializeOwned + Send + 'static;
    /// In the worker: what every job needs, made once from the setup.
    fn start(setup: Self::Setup) -> anyhow::Result<Self>;
    /// In the worker: one job.
    fn perform(&self, job: Self::Job) -> Self::Answer;
}

/// What a worker may take for one job, and how many jobs it is given ahead.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub seconds: f64,
    pub memory_mb: f64,
    /// Jobs given to a worker ahead of time (16 for small jobs, so that results come
    /// back in batches; 1 for long ones, so that they spread over the workers).
    pub ahead: usize,
}

/// Why a job has no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lost {
    /// Still running after the time limit: its worker was ended.
    TimedOut,
    /// Its worker died while on it: out of memory (`out_of_memory`), or an abort.
    Died { out_of_memory: bool },
    /// Not given out: the caller said to skip it.
    Skipped,
    /// No worker could be started (the caller does it otherwise).
    NoWorker,
}

/// A job's answer, or why it has none.
pub type Outcome<A> = Result<A, Lost>;

/// Told each outcome as it comes (job index, outcome).
pub type Answered<'a, A> = dyn FnMut(usize, &Outcome<A>) + 'a;

/// The first line a worker reads.
#[derive(Serialize, Deserialize)]
struct Hello<S> {
    /// The parent's build (src/build.rs): a worker of another build (the program file
    /// replaced while planmon runs, by an update) does no job, so that every output of
    /// a run is made by the build its manifest and keys name.
    #[serde(default)]
    build: String,
    seconds: f64,
    memory_mb: f64,
    setup: S,
}

/// This program's build (src/build.rs), as a worker sees it: test builds take
/// `PLANMON_FAILPOINT_BUILD` when it is set, so that a test can have its workers be
/// "another build" than their parent.
fn worker_build() -> String {
    #[cfg(debug_assertions)]
    if let Ok(other) = std::env::var("PLANMON_FAILPOINT_BUILD") {
        return other;
    }
    env!("PLANMON_BUILD").to_string()
}

#[derive(Serialize)]
struct Outgoing<'a, J> {
    index: usize,
    job: &'a J,
}

#[derive(Deserialize)]
struct Incoming<J> {
    index: usize,
    job: J,
}

/// What a worker says about one job.
#[derive(Serialize, Deserialize)]
struct Done<A> {
    index: usize,
    /// The answer; None when the job was given up after the time limit.
    outcome: Option<A>,
}

/// A time limit in seconds as a duration; a value `Rules::check` refuses (NaN, huge)
/// never panics here.
pub fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.clamp(0.0, 1e6)).unwrap_or(Duration::from_secs(60))
}

/// The exit status of a worker whose watchdog gave up on a job (after reporting it).
const GAVE_UP: i32 = 3;

/// The exit status of a worker of another build than its parent's (it did no job).
const OTHER_BUILD: i32 = 4;

/// `planmon worker <kind>`: do the jobs read from standard input until it closes.
///
/// Answers are written to a buffer and sent when no further job is waiting, so that a
/// batch of small jobs costs one wake-up of the parent, not one per job. A watchdog
/// thread enforces the time limit: a job still running after it is reported as given
/// up (after the answers before it) and the worker exits; the parent starts another.
pub fn serve<T: Task>() -> anyhow::Result<()> {
    let mut first = String::new();
    if std::io::stdin().read_line(&mut first)? == 0 {
        return Ok(());
    }
    let hello: Hello<T::Setup> = serde_json::from_str(&first)?;
    if hello.build != worker_build() {
        crate::clock::mark(&format!("worker {}: another build", T::KIND.arg()));
        std::process::exit(OTHER_BUILD);
    }
    limit_memory(hello.memory_mb);
    let task = T::start(hello.setup)?;
    crate::clock::mark(&format!("worker {}: ready", T::KIND.arg()));
    let limit = seconds(hello.seconds);
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
                    let _ = write_frame(&mut *out, &Done::<T::Answer> { index, outcome: None }).and_then(|()| Ok(out.flush()?));
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
        let job: Incoming<T::Job> = serde_json::from_str(&line)?;
        let started = Instant::now();
        if job.index == 0 {
            crate::clock::mark(&format!("worker {}: first job", T::KIND.arg()));
        }
        *current.lock().map_err(|_| anyhow::anyhow!("lock"))? = Some((job.index, started));
        let answer = task.perform(job.job);
        crate::clock::mark(&format!("worker {}: job {}", T::KIND.arg(), job.index));
        let mut out = out.lock().map_err(|_| anyhow::anyhow!("output lock"))?;
        *current.lock().map_err(|_| anyhow::anyhow!("lock"))? = None;
        // Finished, but later than allowed: the same as giving up on it, so that the
        // limit means one thing however fast the machine is.
        let outcome = (started.elapsed() < limit).then_some(answer);
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
        let limit = now.saturating_add((mb.clamp(16.0, 1e7) * 1_048_576.0) as u64);
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

/// A path as text that survives JSON whatever bytes (Unix) or units (Windows) it holds.
#[cfg(unix)]
pub fn path_to_wire(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    crate::text::hex(path.as_os_str().as_bytes())
}

#[cfg(unix)]
pub fn path_from_wire(wire: &str) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let bytes: Vec<u8> = (0..wire.len() / 2).filter_map(|i| u8::from_str_radix(wire.get(2 * i..2 * i + 2)?, 16).ok()).collect();
    PathBuf::from(std::ffi::OsStr::from_bytes(&bytes))
}

/// Windows names are UTF-16 and may hold lone surrogates: sent as hex of the units.
#[cfg(windows)]
pub fn path_to_wire(path: &Path) -> String {
    use std::os::windows::ffi::OsStrExt;
    path.as_os_str().encode_wide().map(|u| format!("{u:04x}")).collect()
}

#[cfg(windows)]
pub fn path_from_wire(wire: &str) -> PathBuf {
    use std::os::windows::ffi::OsStringExt;
    let units: Vec<u16> = (0..wire.len() / 4).filter_map(|i| u16::from_str_radix(wire.get(4 * i..4 * i + 4)?, 16).ok()).collect();
    PathBuf::from(std::ffi::OsString::from_wide(&units))
}

#[cfg(not(any(unix, windows)))]
pub fn path_to_wire(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(not(any(unix, windows)))]
pub fn path_from_wire(wire: &str) -> PathBuf {
    PathBuf::from(wire)
}

/// One result frame: its length (u32, little-endian), then bincode.
fn write_frame<A: Serialize>(out: &mut impl Write, done: &Done<A>) -> anyhow::Result<()> {
    let bytes = bincode::serialize(done)?;
    out.write_all(&u32::try_from(bytes.len())?.to_le_bytes())?;
    out.write_all(&bytes)?;
    Ok(())
}

/// The next answer: Ok(None) when the worker's output ended, Err when what came is not
/// an answer (cut short, or of another shape).
fn read_frame<A: DeserializeOwned>(input: &mut impl Read) -> Result<Option<Done<A>>, ()> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(_) => return Err(()),
    }
    let mut bytes = Vec::new();
    input.take(u64::from(u32::from_le_bytes(len))).read_to_end(&mut bytes).map_err(|_| ())?;
    if bytes.len() != u32::from_le_bytes(len) as usize {
        return Err(());
    }
    bincode::deserialize(&bytes).map(Some).map_err(|_| ())
}

/// One worker process and the jobs it has been given, the first being worked on.
struct Slot {
    id: u64,
    child: Child,
    stdin: Option<ChildStdin>,
    /// Jobs given and not yet answered; `alone` when a single suspect was given.
    queue: VecDeque<usize>,
    alone: bool,
    /// When the worker last showed progress (an answer, or work given to an idle one).
    /// The worker enforces the time limit itself; the parent kills one that shows no
    /// progress for much longer (stuck beyond what its own watchdog can end).
    started: Option<Instant>,
}

enum Msg<A> {
    Done(u64, Box<Done<A>>),
    /// The worker's standard output closed: it ended. With what it wrote to stderr.
    Ended(u64, String),
    /// The worker wrote something that is not an answer: it is ended (and then its
    /// jobs go again, as for a worker that died), never waited for.
    Garbled(u64),
}

/// Jobs still to give out: (index, suspect). A suspect is a job that was with a worker
/// when it died (its answers for earlier jobs may have died with it, unsent); it is
/// given to a worker alone, so that if it dies again, that job is the one.
type Pending = VecDeque<(usize, bool)>;

/// The parent's side: workers of one kind, the jobs, and their answers so far.
struct Pool<'a, T: Task> {
    exe: &'a Path,
    hello: String,
    ahead: usize,
    tx: mpsc::Sender<Msg<T::Answer>>,
    next_id: u64,
    slots: Vec<Slot>,
    lines: Vec<String>,
    pending: Pending,
    results: Vec<Option<Outcome<T::Answer>>>,
    done: usize,
    /// A worker said it is of another build: no more are started (the program file has
    /// been replaced), and the jobs left are the caller's (`Lost::NoWorker`).
    other_build: bool,
}

impl<T: Task> Pool<'_, T> {
    fn spawn(&mut self) -> std::io::Result<()> {
        self.next_id += 1;
        let id = self.next_id;
        let mut child = Command::new(self.exe)
            .args([WORKER_COMMAND, T::KIND.arg()])
            // glibc reserves 64 MB of address space per thread's arena; under the
            // address-space limit that reservation, not the memory used, would count.
            .env("MALLOC_ARENA_MAX", "2")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            if let Some(stdout) = stdout {
                let mut frames = BufReader::new(stdout);
                loop {
                    match read_frame::<T::Answer>(&mut frames) {
                        Ok(Some(done)) => {
                            if tx.send(Msg::Done(id, Box::new(done))).is_err() {
                                return;
                            }
                        }
                        Ok(None) => break,
                        Err(()) => {
                            // The parent ends the worker; its output then closes.
                            let _ = tx.send(Msg::Garbled(id));
                            break;
                        }
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
            writeln!(s, "{}", self.hello)?;
        }
        self.slots.push(Slot { id, child, stdin, queue: VecDeque::new(), alone: false, started: None });
        Ok(())
    }

    fn answer(&mut self, i: usize, result: Outcome<T::Answer>, answered: &mut Answered<T::Answer>) {
        if self.results[i].is_none() {
            answered(i, &result);
            self.results[i] = Some(result);
            self.done += 1;
        }
    }

    /// Fill slot `k`'s queue from the pending jobs (the ones to skip answered at once);
    /// close its input when there is nothing left for it to do.
    fn give(&mut self, k: usize, skip: &dyn Fn(usize) -> bool, answered: &mut Answered<T::Answer>) {
        while self.slots[k].queue.len() < self.ahead && !self.slots[k].alone {
            let Some(&(i, suspect)) = self.pending.front() else { break };
            if suspect && !self.slots[k].queue.is_empty() {
                break;
            }
            self.pending.pop_front();
            if skip(i) {
                self.answer(i, Err(Lost::Skipped), answered);
                continue;
            }
            let slot = &mut self.slots[k];
            slot.alone = suspect;
            if slot.queue.is_empty() {
                slot.started = Some(Instant::now());
            }
            slot.queue.push_back(i);
            // A worker that cannot take it has died: its end is reported and handled.
            if let Some(stdin) = slot.stdin.as_mut() {
                let _ = writeln!(stdin, "{}", self.lines[i]).and_then(|_| stdin.flush());
            }
        }
        if self.slots[k].queue.is_empty() && self.pending.is_empty() {
            self.slots[k].stdin = None;
        }
    }

    /// Start a worker in place of one that ended, and give it jobs.
    fn replace(&mut self, skip: &dyn Fn(usize) -> bool, answered: &mut Answered<T::Answer>) {
        if !self.pending.is_empty() && !self.other_build && self.spawn().is_ok() {
            let k = self.slots.len() - 1;
            self.give(k, skip, answered);
        }
    }
}

/// Workers of one kind, started and waiting for their jobs: started ahead (while the
/// caller does the work whose results become the jobs), they have their setup done —
/// fonts loaded, templates parsed — when the jobs come. Dropped unused, they are told
/// there is nothing to do.
pub struct Started<'a, T: Task> {
    pool: Pool<'a, T>,
    rx: mpsc::Receiver<Msg<T::Answer>>,
    backstop: Duration,
}

impl<T: Task> Drop for Started<'_, T> {
    fn drop(&mut self) {
        for slot in std::mem::take(&mut self.pool.slots) {
            finish(slot);
        }
    }
}

/// A worker with nothing more to do: its input is closed, and it ends by itself. It is
/// reaped on a thread of its own (nobody waits for it to free its memory); where no
/// thread can be started, when planmon ends.
fn finish(mut slot: Slot) {
    slot.stdin = None;
    let mut child = slot.child;
    let _ = std::thread::Builder::new().spawn(move || {
        let _ = child.wait();
    });
}

/// Start `workers` workers of `exe` (of the kind `T`) with `setup`.
pub fn start<'a, T: Task>(exe: &'a Path, setup: &T::Setup, bounds: Bounds, workers: usize) -> Started<'a, T> {
    let limit = seconds(bounds.seconds);
    // The parent's backstop: well past the worker's own limit.
    let backstop = limit * 2 + Duration::from_secs(5);
    let hello = serde_json::to_string(&Hello {
        build: env!("PLANMON_BUILD").to_string(),
        seconds: bounds.seconds,
        memory_mb: bounds.memory_mb,
        setup,
    });
    let (tx, rx) = mpsc::channel::<Msg<T::Answer>>();
    let mut pool = Pool::<T> {
        exe,
        hello: hello.unwrap_or_default(),
        ahead: bounds.ahead.max(1),
        tx,
        next_id: 0,
        slots: Vec::new(),
        lines: Vec::new(),
        pending: VecDeque::new(),
        results: Vec::new(),
        done: 0,
        other_build: false,
    };
    if !pool.hello.is_empty() {
        for _ in 0..workers.max(1) {
            if pool.spawn().is_err() {
                break;
            }
        }
    }
    Started { pool, rx, backstop }
}

/// Do the jobs `jobs` lists in workers of `exe` (of the kind `T`), `workers` at a time;
/// the list is made while the workers start. Returns the jobs and their answers, in the
/// order of the list. `skip(i)` is asked before job `i` is given out (a job to skip is
/// answered `Lost::Skipped`); `answered(i, …)` is told each answer as it comes.
pub fn run<T: Task>(
    exe: &Path,
    setup: &T::Setup,
    bounds: Bounds,
    workers: usize,
    jobs: impl FnOnce() -> Vec<T::Job>,
    skip: &dyn Fn(usize) -> bool,
    answered: &mut Answered<T::Answer>,
) -> (Vec<T::Job>, Vec<Outcome<T::Answer>>) {
    let started = start::<T>(exe, setup, bounds, workers);
    let jobs = jobs();
    let answers = started.run(&jobs, skip, answered);
    (jobs, answers)
}

impl<T: Task> Started<'_, T> {
    /// Give the workers `jobs` and collect the answers, in the order of the list.
    pub fn run(mut self, jobs: &[T::Job], skip: &dyn Fn(usize) -> bool, answered: &mut Answered<T::Answer>) -> Vec<Outcome<T::Answer>> {
        let (pool, rx, backstop) = (&mut self.pool, &self.rx, self.backstop);
        let total = jobs.len();
        pool.results = (0..total).map(|_| None).collect();
        if pool.slots.is_empty() {
            return (0..total).map(|_| Err(Lost::NoWorker)).collect();
        }
        pool.lines =
            jobs.iter().enumerate().map(|(index, job)| serde_json::to_string(&Outgoing { index, job }).unwrap_or_default()).collect();
        pool.pending = (0..total).map(|i| (i, false)).collect();
        for k in 0..pool.slots.len() {
            pool.give(k, skip, answered);
        }
        while pool.done < total {
            let wait = pool
                .slots
                .iter()
                .filter_map(|s| s.started.map(|t| (t + backstop).saturating_duration_since(Instant::now())))
                .min()
                .unwrap_or(Duration::from_secs(3600));
            match rx.recv_timeout(wait) {
                Ok(Msg::Done(id, d)) => {
                    let Some(k) = pool.slots.iter().position(|s| s.id == id) else { continue };
                    let slot = &mut pool.slots[k];
                    if slot.queue.front() != Some(&d.index) {
                        continue;
                    }
                    slot.queue.pop_front();
                    slot.alone = false;
                    slot.started = (!slot.queue.is_empty()).then(Instant::now);
                    pool.answer(d.index, d.outcome.ok_or(Lost::TimedOut), answered);
                    pool.give(k, skip, answered);
                }
                Ok(Msg::Garbled(id)) => {
                    if let Some(slot) = pool.slots.iter_mut().find(|s| s.id == id) {
                        let _ = slot.child.kill();
                    }
                }
                Ok(Msg::Ended(id, stderr)) => {
                    let Some(at) = pool.slots.iter().position(|s| s.id == id) else { continue };
                    let mut slot = pool.slots.swap_remove(at);
                    let status = slot.child.wait().ok();
                    if status.and_then(|s| s.code()) == Some(OTHER_BUILD) {
                        // It did none of its jobs; neither will any worker started now.
                        pool.other_build = true;
                        for i in slot.queue.into_iter().rev() {
                            pool.pending.push_front((i, false));
                        }
                    } else if status.and_then(|s| s.code()) == Some(GAVE_UP) {
                        // Its watchdog ended it after reporting the job given up: the rest
                        // go to the next worker as they were.
                        for i in slot.queue.into_iter().rev() {
                            pool.pending.push_front((i, false));
                        }
                    } else if slot.alone {
                        // A suspect, alone: this job ends the worker.
                        if let Some(i) = slot.queue.pop_front() {
                            pool.answer(i, Err(Lost::Died { out_of_memory: stderr.contains("memory allocation of") }), answered);
                        }
                    } else {
                        // Which of its jobs did it? Each goes again, alone.
                        for i in slot.queue.into_iter().rev() {
                            pool.pending.push_front((i, true));
                        }
                    }
                    pool.replace(skip, answered);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let late: Vec<usize> =
                        (0..pool.slots.len()).filter(|&k| pool.slots[k].started.is_some_and(|t| t.elapsed() >= backstop)).collect();
                    for k in late.into_iter().rev() {
                        let mut slot = pool.slots.swap_remove(k);
                        let _ = slot.child.kill();
                        let _ = slot.child.wait();
                        if let Some(i) = slot.queue.pop_front() {
                            pool.answer(i, Err(Lost::TimedOut), answered);
                        }
                        for i in slot.queue.into_iter().rev() {
                            pool.pending.push_front((i, false));
                        }
                        pool.replace(skip, answered);
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if pool.slots.is_empty() && pool.done < total {
                // No worker could be started again: the rest are the caller's.
                break;
            }
        }
        for slot in std::mem::take(&mut pool.slots) {
            finish(slot);
        }
        std::mem::take(&mut pool.results).into_iter().map(|r| r.unwrap_or(Err(Lost::NoWorker))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_that_is_not_one_is_told_apart_from_the_end() {
        let mut bytes = Vec::new();
        write_frame(&mut bytes, &Done { index: 3, outcome: Some(crate::finding::Finding::info(crate::finding::Code::Superseded, "x")) })
            .unwrap();
        let back = read_frame::<crate::finding::Finding>(&mut bytes.as_slice()).unwrap().unwrap();
        assert_eq!((back.index, back.outcome.unwrap().message), (3, "x".to_string()));
        // The end of the output, a frame cut short, a frame of another shape.
        assert!(matches!(read_frame::<crate::finding::Finding>(&mut [].as_slice()), Ok(None)));
        assert!(read_frame::<crate::finding::Finding>(&mut &bytes[..bytes.len() - 1]).is_err());
        let mut other = Vec::new();
        write_frame(&mut other, &Done { index: 1, outcome: Some(7u8) }).unwrap();
        assert!(read_frame::<crate::finding::Finding>(&mut other.as_slice()).is_err());
    }

    #[test]
    fn a_finding_with_and_without_a_year_crosses_to_the_parent() {
        for f in [
            crate::finding::Finding::info(crate::finding::Code::Superseded, "x"),
            crate::finding::Finding::info(crate::finding::Code::Superseded, "y").in_year(2024),
        ] {
            let mut bytes = Vec::new();
            write_frame(&mut bytes, &Done { index: 0, outcome: Some(f.clone()) }).unwrap();
            let back = read_frame::<crate::finding::Finding>(&mut bytes.as_slice()).unwrap().unwrap().outcome.unwrap();
            assert_eq!((back.year, back.message), (f.year, f.message));
        }
    }
}
