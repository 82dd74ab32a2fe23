//! Every spreadsheet of calamine's own test suite (tests/fixtures/corpus/calamine, some
//! built to crash readers) through `planmon check`: no panic, no hang, a finding or a
//! clean read. The corpus is committed, so these tests always run.

use crate::common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn corpus() -> PathBuf {
    crate::common::fixtures("corpus/calamine")
}

/// A hang guard, not a speed target: a file that takes this long is stuck.
const STUCK: Duration = Duration::from_secs(120);

#[test]
fn corpus_every_file_is_read_or_refused_with_a_finding() {
    let dir = corpus();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    files.sort();
    assert!(files.len() > 50);
    let mut problems = Vec::new();
    for file in &files {
        let mut child = Command::new(env!("CARGO_BIN_EXE_planmon"))
            .arg("check")
            .arg(file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > STUCK {
                child.kill().unwrap();
                problems.push(format!("{}: stuck", file.display()));
                break child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        // 0: read without errors; 1: findings of error severity (a refused file among them).
        if !matches!(status.code(), Some(0 | 1)) || stderr.contains("panicked") {
            problems.push(format!("{}: exit {:?}\n{stderr}", file.display(), status.code()));
            continue;
        }
        // Either the file was read, or it was refused with a reason.
        let read = stdout.contains("（已读取）");
        let refused = stdout.contains("（已拒收：") && stdout.contains("[错误]");
        if !(read || refused) {
            problems.push(format!("{}: neither read nor refused:\n{stdout}", file.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Peak resident memory of the largest finished child process, in MB (Linux reports kB).
#[cfg(unix)]
fn children_peak_mb() -> Option<f64> {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    Some(usage.ru_maxrss as f64 / 1024.0)
}

/// Not measured where there is no getrusage (the CI runs on Linux).
#[cfg(not(unix))]
fn children_peak_mb() -> Option<f64> {
    None
}

#[test]
fn corpus_whole_batch_accounts_for_every_file_in_bounded_time_and_memory() {
    let dir = corpus();
    let w = common::Workdir::new("skeleton");
    common::copy_dir(&dir, &w.input());
    let files = std::fs::read_dir(w.input()).unwrap().count();
    let mut child = Command::new(env!("CARGO_BIN_EXE_planmon"))
        .args(["run", "--year", "2024"])
        .current_dir(w.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > STUCK * 3 {
            child.kill().unwrap();
            panic!("the batch over the corpus is stuck");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A guard against runaway memory (a dense range from one far cell would take GBs).
    if let Some(peak) = children_peak_mb() {
        assert!(peak < 1500.0, "peak memory {peak:.0} MB");
    }
    let manifest: serde_json::Value = serde_json::from_slice(&w.read_output("manifest.json")).unwrap();
    let inputs = manifest["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), files, "every input file is in the manifest");
    for i in inputs {
        let status = i["status"].as_str().unwrap();
        assert!(["已读取", "已拒收", "已跳过"].contains(&status), "{i}");
        if status == "已拒收" {
            assert!(!i["reason"].as_str().unwrap().is_empty(), "{i}");
        }
    }
    // The fixture's own returns were still read among the hostile ones.
    let obs = w.csv("observations.csv");
    assert!(obs.iter().any(|o| o["file"] == "市卫生健康局_2024年度填报表.xlsx" && o["indicator_id"] == "G01"));
}
