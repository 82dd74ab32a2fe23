//! `planmon bench` (hidden; run with --release): how long each stage takes for 12,
//! 1,200 and 12,000 returns, returns per second, peak memory, and calamine alone on the
//! same files. Each size runs in its own process so that peak memory is its own.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use calamine::{open_workbook_auto, Reader};
use serde::{Deserialize, Serialize};

use crate::assess::{self, Assessment};
use crate::cli::{BenchArgs, Layout, SampleArgs};
use crate::plan::Plan;
use crate::read;
use crate::render::{self, world::ReportWorld};

#[derive(Debug, Serialize, Deserialize)]
struct Measure {
    returns: usize,
    cores: usize,
    calamine_s: f64,
    read_s: f64,
    assess_s: f64,
    /// Processor time (all threads, user + system) of calamine alone and of read +
    /// validate + assess: steadier than wall time on a shared machine.
    calamine_cpu_s: Option<f64>,
    pipeline_cpu_s: Option<f64>,
    tables_s: f64,
    fonts_s: f64,
    /// The report alone, and the report with every feedback sheet (in parallel).
    report_s: f64,
    #[serde(default)]
    documents_s: f64,
    feedback_sheets: usize,
    total_s: f64,
    peak_mb: Option<f64>,
    /// The largest reading worker process.
    #[serde(default)]
    worker_peak_mb: Option<f64>,
    observations: usize,
}

pub fn run(args: &BenchArgs, plan: &Plan, out: &mut dyn Write) -> Result<()> {
    if let Some(n) = args.one {
        let m = measure(n, args.rounds, &data_dir(args, plan, n)?, plan)?;
        writeln!(out, "{}", serde_json::to_string(&m)?)?;
        return Ok(());
    }
    if cfg!(debug_assertions) {
        writeln!(out, "注意：这是调试版本，数字没有参考意义。请用 cargo run --release -- bench 运行。")?;
    }
    let exe = std::env::current_exe()?;
    let mut rows = Vec::new();
    for &n in &args.returns {
        let data = data_dir(args, plan, n)?;
        let mut child = std::process::Command::new(&exe);
        child.args(["bench", "--one", &n.to_string(), "--seed", &args.seed.to_string(), "--dir"]).arg(&args.dir);
        if let Some(rounds) = args.rounds {
            child.args(["--rounds", &rounds.to_string()]);
        }
        let output = child.output().context("无法启动测试进程")?;
        anyhow::ensure!(output.status.success(), "{} 份的测试失败：{}", n, String::from_utf8_lossy(&output.stderr));
        let m: Measure = serde_json::from_slice(output.stdout.trim_ascii()).context("测试进程输出有误")?;
        let _ = data;
        rows.push(m);
    }
    writeln!(out, "机器：{} 核；{}", rows.first().map_or(0, |m| m.cores), machine())?;
    writeln!(
        out,
        "| 填报表 | calamine 单独解析 | 读取 | 校验+汇总 | 读+校验+汇总 ÷ calamine | 同左（CPU 时间） | 汇总表+CSV | 字体 | 进展报告（单独） | 报告+全部反馈单（并行） | 合计 | 份/秒（读+校验+汇总） | 内存峰值 | 读取进程内存峰值 |"
    )?;
    writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    for m in &rows {
        let pipeline = m.read_s + m.assess_s;
        writeln!(
            out,
            "| {} | {:.3} s | {:.3} s | {:.3} s | {:.2}× | {} | {:.3} s | {:.3} s | {:.3} s | {:.3} s（{} 份） | {:.2} s | {:.0} | {} | {} |",
            m.returns,
            m.calamine_s,
            m.read_s,
            m.assess_s,
            pipeline / m.calamine_s.max(1e-9),
            shown(m.pipeline_cpu_s.zip(m.calamine_cpu_s).map(|(p, c)| p / c.max(1e-9)), 2, "×"),
            m.tables_s,
            m.fonts_s,
            m.report_s,
            m.documents_s,
            m.feedback_sheets,
            m.total_s,
            m.returns as f64 / pipeline.max(1e-9),
            shown(m.peak_mb, 0, " MB"),
            shown(m.worker_peak_mb, 0, " MB")
        )?;
    }
    Ok(())
}

fn machine() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| t.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_default()
}

/// Synthetic returns for `n`, made once and reused: copies of every unit and year,
/// standard and messy layouts alternating, the latest year first.
fn data_dir(args: &BenchArgs, plan: &Plan, n: usize) -> Result<PathBuf> {
    let dir = args.dir.join(format!("{n}"));
    let done = dir.join(".complete");
    if done.is_file() {
        return Ok(dir);
    }
    // Data of an earlier bench that did not finish is made again; a folder that is not
    // the bench's own is never removed.
    let mark = dir.join(".planmon-bench");
    if std::fs::symlink_metadata(&dir).is_ok() {
        if !mark.is_file() {
            return Err(super::UsageError(format!(
                "“{}”已存在，但不是 planmon bench 生成的数据文件夹，不会删除或改动它。请用 --dir 另选一个文件夹。",
                dir.display()
            ))
            .into());
        }
        std::fs::remove_dir_all(&dir).map_err(|e| crate::oserror::error("删除", &dir, &e))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| crate::oserror::error("创建文件夹", &dir, &e))?;
    std::fs::write(&mark, b"").map_err(|e| crate::oserror::error("写入", &mark, &e))?;
    let per_copy = plan.reporting_units().len() * (plan.end - plan.start + 1) as usize;
    let sample =
        SampleArgs { output: dir.clone(), seed: args.seed, last_year: Some(plan.end), copies: n.div_ceil(per_copy), layout: Layout::Mixed };
    let mut files: Vec<PathBuf> = super::templates::write_samples(&sample, plan)?.into_iter().map(|(p, _)| p).collect();
    // Keep exactly n: the newest years of the first copies.
    files.sort_by_key(|p| (p.parent().map(Path::to_path_buf), std::cmp::Reverse(p.file_name().map(|f| f.to_os_string()))));
    for extra in files.iter().skip(n) {
        std::fs::remove_file(extra)?;
    }
    std::fs::write(done, b"")?;
    Ok(dir)
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else if p.extension().is_some_and(|x| x == "xlsx") {
            out.push(p);
        }
    }
}

fn measure(n: usize, rounds: Option<usize>, dir: &Path, plan: &Plan) -> Result<Measure> {
    let cores = std::thread::available_parallelism().map(|c| c.get()).unwrap_or(1);
    let mut files = Vec::new();
    files_under(dir, &mut files);
    files.sort();

    // The first round runs the whole pipeline once, as `planmon run` would: its stage
    // times, and the peak memory of a real run (taken before any further rounds).
    let (mut calamine_s, mut calamine_cpu_s) = calamine_alone(&files, cores);
    let total = Instant::now();
    let first = read_and_assess(plan, dir)?;
    let (mut read_s, mut assess_s, mut pipeline_cpu_s) = (first.read_s, first.assess_s, first.cpu_s);
    let (a, observations) = (first.assessment, first.observations);
    let t = Instant::now();
    let tables = render::tables(&a)?;
    let tables_s = t.elapsed().as_secs_f64();
    drop(tables);
    let t = Instant::now();
    let world = ReportWorld::new(None, a.documents.created_datetime())?;
    let fonts_s = t.elapsed().as_secs_f64();
    // The report and the feedback sheets, side by side as `planmon run` makes them.
    let t = Instant::now();
    let pdfs = render::pdfs(&a, &world, &isolation(), &|| {})?;
    let documents_s = t.elapsed().as_secs_f64();
    let feedback_sheets = pdfs.len() - 1;
    let total_s = total.elapsed().as_secs_f64();
    // The report alone (in a fresh world, typst's caches emptied: nothing is reused
    // from the run above).
    let world = ReportWorld::new(None, a.documents.created_datetime())?;
    typst::comemo::evict(0);
    let t = Instant::now();
    let data = serde_json::to_value(render::report::report_data(&a))?;
    render::typeset::typeset(&world, "/report.typ", "/data.json", data, a.documents.created_datetime(), "bench")?;
    let report_s = t.elapsed().as_secs_f64();
    let peak_mb = peak_mb();
    let worker_peak_mb = worker_peak_mb();
    drop((a, world));

    // Further rounds of calamine alone and our read + validate + assess, alternately:
    // wall times on a shared machine vary, and the fastest round of each is the one
    // least disturbed by other work.
    let rounds = rounds.unwrap_or(if n > 1200 { 3 } else { 5 }).max(1);
    for _ in 1..rounds {
        let (wall, cpu) = calamine_alone(&files, cores);
        (calamine_s, calamine_cpu_s) = (calamine_s.min(wall), least(calamine_cpu_s, cpu));
        let round = read_and_assess(plan, dir)?;
        pipeline_cpu_s = least(pipeline_cpu_s, round.cpu_s);
        if round.read_s + round.assess_s < read_s + assess_s {
            (read_s, assess_s) = (round.read_s, round.assess_s);
        }
    }
    Ok(Measure {
        returns: files.len().min(n),
        cores,
        calamine_s,
        read_s,
        assess_s,
        calamine_cpu_s,
        pipeline_cpu_s,
        tables_s,
        fonts_s,
        report_s,
        documents_s,
        feedback_sheets,
        total_s,
        peak_mb,
        worker_peak_mb,
        observations,
    })
}

/// One round of read + validate + assess: its assessment, wall times and processor time.
struct Round {
    assessment: Assessment,
    observations: usize,
    read_s: f64,
    assess_s: f64,
    cpu_s: Option<f64>,
}

fn read_and_assess(plan: &Plan, dir: &Path) -> Result<Round> {
    let c = cpu_s();
    let t = Instant::now();
    // As `planmon run` reads: in worker processes of this program.
    let source = read::Source { input: dir.to_path_buf(), leave_out: None, isolation: isolation() };
    let read = read::read_inputs_with(plan, &source, &|_, _| {});
    let read_s = t.elapsed().as_secs_f64();
    let observations = read.observations.len();
    let t = Instant::now();
    let assessment = assess::assess(plan.clone(), read, &crate::config::RunConfig::defaults(plan), &[], None)?;
    let assess_s = t.elapsed().as_secs_f64();
    Ok(Round { assessment, observations, read_s, assess_s, cpu_s: elapsed(c, cpu_s()) })
}

/// calamine alone: open every file and read every sheet, as many threads as cores.
/// Wall time and processor time, in seconds.
fn calamine_alone(files: &[PathBuf], cores: usize) -> (f64, Option<f64>) {
    let c = cpu_s();
    let t = Instant::now();
    std::thread::scope(|s| {
        for chunk in files.chunks(files.len().div_ceil(cores).max(1)) {
            s.spawn(move || {
                for f in chunk {
                    if let Ok(mut wb) = open_workbook_auto(f) {
                        for name in wb.sheet_names() {
                            let _ = wb.worksheet_range(&name);
                        }
                    }
                }
            });
        }
    });
    (t.elapsed().as_secs_f64(), elapsed(c, cpu_s()))
}

/// Processor time between two readings, where measured.
fn elapsed(from: Option<f64>, to: Option<f64>) -> Option<f64> {
    Some(to? - from?)
}

/// The smaller of two measurements, where measured.
fn least(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a?.min(b?))
}

/// A measured number, or "—" where this platform does not measure it.
fn shown(value: Option<f64>, digits: usize, unit: &str) -> String {
    value.map(|v| format!("{v:.digits$}{unit}")).unwrap_or_else(|| "—".to_string())
}

/// Processor time and peak memory from `getrusage`, which only Unix has. On other
/// systems there are no numbers and the table shows "—": wall times are still measured.
#[cfg(unix)]
mod usage {
    /// Resource usage so far of this process (all threads), or of its finished children.
    fn usage(who: libc::c_int) -> libc::rusage {
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: getrusage only writes into the struct we own.
        unsafe { libc::getrusage(who, &mut usage) };
        usage
    }

    /// Processor time used so far by this process and its finished reading workers (all
    /// threads, user + system), in seconds.
    pub fn cpu_s() -> Option<f64> {
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        [libc::RUSAGE_SELF, libc::RUSAGE_CHILDREN]
            .iter()
            .map(|&who| usage(who))
            .map(|u| secs(u.ru_utime) + secs(u.ru_stime))
            .sum::<f64>()
            .into()
    }

    /// Peak resident memory of this process so far, in MB (Linux reports kB).
    pub fn peak_mb() -> Option<f64> {
        Some(usage(libc::RUSAGE_SELF).ru_maxrss as f64 / 1024.0)
    }

    /// Peak resident memory of the largest finished reading worker, in MB.
    pub fn worker_peak_mb() -> Option<f64> {
        Some(usage(libc::RUSAGE_CHILDREN).ru_maxrss as f64 / 1024.0)
    }
}

#[cfg(not(unix))]
mod usage {
    pub fn cpu_s() -> Option<f64> {
        None
    }

    pub fn peak_mb() -> Option<f64> {
        None
    }

    pub fn worker_peak_mb() -> Option<f64> {
        None
    }
}

use usage::{cpu_s, peak_mb, worker_peak_mb};

/// Worker processes, as `planmon run` uses them (threads with PLANMON_BENCH_THREADS).
fn isolation() -> read::Isolation {
    if std::env::var("PLANMON_BENCH_THREADS").is_ok() {
        read::Isolation::Threads
    } else {
        read::Isolation::this_program()
    }
}
