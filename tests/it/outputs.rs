//! The output folder: planmon moves, replaces or deletes only files it wrote itself; a
//! run killed or failing at any step of writing and swapping its outputs leaves a
//! complete set in place and complete sets in history/; one run at a time.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{stderr, stdout, Workdir};
use sha2::{Digest, Sha256};

fn sha(path: &Path) -> String {
    planmon::text::hex(&Sha256::digest(std::fs::read(path).unwrap()))
}

/// Every file under `dir` with its digest (the lock file aside).
fn tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(tree(&p));
        } else if e.file_name() != ".planmon.lock" {
            out.insert(p.clone(), sha(&p));
        }
    }
    out
}

/// The files a folder's manifest.json lists are all there with their recorded bytes.
fn complete(dir: &Path) -> Result<usize, String> {
    let text = std::fs::read(dir.join("manifest.json")).map_err(|e| format!("{}: no manifest ({e})", dir.display()))?;
    let m: serde_json::Value = serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", dir.display()))?;
    let outputs = m["outputs"].as_array().ok_or("no outputs")?;
    for o in outputs {
        let file = dir.join(o["file"].as_str().unwrap());
        if !file.is_file() {
            return Err(format!("{}: {} missing", dir.display(), o["file"]));
        }
        if sha(&file) != o["sha256"].as_str().unwrap() {
            return Err(format!("{}: {} differs from its manifest", dir.display(), o["file"]));
        }
    }
    Ok(outputs.len())
}

/// Every set in history/ is complete.
fn history_complete(out: &Path) -> Result<(), String> {
    for e in std::fs::read_dir(out.join("history")).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            complete(&e.path())?;
        }
    }
    Ok(())
}

fn run_env(w: &Workdir, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_planmon"));
    cmd.args(args).current_dir(w.path()).env("SOURCE_DATE_EPOCH", "1767225600");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn ok(out: &Output) {
    assert!(out.status.success(), "{}\n{}", stdout(out), stderr(out));
}

#[test]
fn output_equal_to_input_is_refused_before_anything_is_read() {
    let w = Workdir::new("skeleton");
    let before = tree(&w.input());
    let out = w.run(&["run", "--output", "input"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("同一个文件夹"), "{}", stderr(&out));
    assert_eq!(before, tree(&w.input()));
    assert!(!w.input().join(".planmon.lock").exists(), "nothing written in the input folder");
}

#[test]
fn output_as_parent_of_input_touches_no_other_file_in_any_run() {
    let w = Workdir::new("skeleton");
    std::fs::write(w.path().join("工作笔记.docx"), "笔记").unwrap();
    std::fs::create_dir_all(w.path().join("资料")).unwrap();
    std::fs::write(w.path().join("资料/方案.pdf"), "方案").unwrap();
    let before = tree(w.path());
    // Three runs, the last keeping no history: every file of the user's stays.
    for keep in ["10", "10", "0"] {
        let out = w.run(&["run", "--output", ".", "--keep-history", keep]);
        ok(&out);
        assert!(stdout(&out).contains("不是 planmon 生成的，未作改动"), "{}", stdout(&out));
        for (path, digest) in &before {
            assert_eq!(path.is_file().then(|| sha(path)).as_ref(), Some(digest), "{} was touched", path.display());
        }
    }
    complete(w.path()).unwrap();
    assert!(w.path().join("仁怀市公共服务发展行动方案监测汇总表（2024年度）.xlsx").is_file());
}

#[test]
fn output_inside_input_is_not_read_back() {
    let w = Workdir::new("skeleton");
    let mut observations = Vec::new();
    for _ in 0..3 {
        ok(&w.run(&["run", "--output", "input/结果"]));
        observations.push(std::fs::read(w.input().join("结果/observations.csv")).unwrap());
    }
    assert!(observations.windows(2).all(|p| p[0] == p[1]), "the outputs were read as returns");
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(w.input().join("结果/manifest.json")).unwrap()).unwrap();
    let skipped = m["inputs"].as_array().unwrap().iter().find(|i| i["file"] == "结果").expect("the output folder is accounted for");
    assert_eq!(skipped["status"], "已跳过");
}

#[test]
fn files_of_the_user_in_the_output_folder_are_left_alone() {
    let w = Workdir::new("skeleton");
    ok(&w.run(&["run"]));
    std::fs::write(w.output().join("给领导的说明.docx"), "说明").unwrap();
    std::fs::write(w.output().join("反馈单/已发出.txt"), "3月1日发出").unwrap();
    std::fs::create_dir_all(w.output().join("history/我的备份")).unwrap();
    std::fs::write(w.output().join("history/我的备份/a.xlsx"), "备份").unwrap();
    let mine: Vec<PathBuf> =
        ["给领导的说明.docx", "反馈单/已发出.txt", "history/我的备份/a.xlsx"].iter().map(|f| w.output().join(f)).collect();
    let digests: Vec<String> = mine.iter().map(|p| sha(p)).collect();
    for _ in 0..3 {
        ok(&w.run(&["run", "--keep-history", "0"]));
    }
    assert_eq!(digests, mine.iter().map(|p| sha(p)).collect::<Vec<_>>());
    complete(&w.output()).unwrap();
}

#[test]
fn an_output_edited_by_the_user_is_kept_in_history_and_never_deleted() {
    let w = Workdir::new("skeleton");
    ok(&w.run(&["run"]));
    let workbook = w.output().join("仁怀市公共服务发展行动方案监测汇总表（2024年度）.xlsx");
    std::fs::write(&workbook, "领导批注过的版本").unwrap();
    let out = w.run(&["run", "--keep-history", "0"]);
    ok(&out);
    assert!(stdout(&out).contains("被修改过"), "{}", stdout(&out));
    let kept: Vec<PathBuf> =
        walk(&w.output().join("history")).into_iter().filter(|p| std::fs::read(p).unwrap() == "领导批注过的版本".as_bytes()).collect();
    assert_eq!(kept.len(), 1, "the edited workbook is kept once in history/");
    ok(&w.run(&["run", "--keep-history", "0"]));
    assert!(kept[0].is_file(), "trimming history never deletes an edited file");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    tree(dir).into_keys().collect()
}

#[test]
fn a_file_of_the_user_with_the_name_of_an_output_is_not_replaced() {
    let w = Workdir::new("skeleton");
    std::fs::create_dir_all(w.output()).unwrap();
    std::fs::write(w.output().join("observations.csv"), "别人的数据").unwrap();
    let out = w.run(&["run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("observations.csv") && stderr(&out).contains("不是 planmon 上次生成的文件"), "{}", stderr(&out));
    assert_eq!(std::fs::read(w.output().join("observations.csv")).unwrap(), "别人的数据".as_bytes());
    // What the run made is not lost either.
    let unfinished: Vec<_> = std::fs::read_dir(w.output().join("history")).unwrap().flatten().collect();
    assert_eq!(unfinished.len(), 1);
    assert!(unfinished[0].file_name().to_string_lossy().ends_with("-未完成"));
    complete(&unfinished[0].path()).unwrap();
}

/// A small plan (two units, four indicators, one project) with sample returns for
/// 2026 and 2027: quick runs for the tests that run planmon once per step.
fn small(w: &Workdir) -> Vec<String> {
    let t = common::fixtures("plan_2026_2030").to_str().unwrap().to_string();
    ok(&w.run(&["sample", "--templates", &t, "--output", "input", "--last-year", "2027"]));
    vec!["--templates".to_string(), t]
}

fn args<'a>(base: &'a [&'a str], extra: &'a [String]) -> Vec<&'a str> {
    base.iter().copied().chain(extra.iter().map(String::as_str)).collect()
}

/// The next run's outputs differ from the previous run's (different inputs).
fn change_inputs(w: &Workdir) {
    let first = std::fs::read_dir(w.input()).unwrap().flatten().map(|e| e.path()).min().unwrap();
    std::fs::remove_file(first).unwrap();
}

#[test]
fn a_kill_at_any_step_of_the_swap_leaves_complete_sets() {
    let w = Workdir::empty();
    let t = small(&w);
    let run = args(&["run", "--keep-history", "2"], &t);
    ok(&w.run(&run));
    ok(&w.run(&run));
    std::fs::write(w.output().join("我的文件.txt"), "留着").unwrap();
    change_inputs(&w);
    let mut steps = 0;
    for k in 1.. {
        let out = run_env(&w, &run, &[("PLANMON_FAILPOINT_SWAP", &k.to_string())]);
        if out.status.success() {
            break;
        }
        steps += 1;
        assert!(k < 200, "the swap never ended");
        // Killed: no set in history/ is partial, and the output folder holds a complete
        // set unless the journal says a swap is to be finished.
        history_complete(&w.output()).unwrap_or_else(|e| panic!("killed at step {k}: {e}"));
        if !w.output().join(".planmon-journal.json").exists() {
            complete(&w.output()).unwrap_or_else(|e| panic!("killed at step {k}: {e}"));
        }
        // The next run finishes (or undoes) the swap first, then runs.
        ok(&w.run(&run));
        complete(&w.output()).unwrap_or_else(|e| panic!("after a kill at step {k}: {e}"));
        history_complete(&w.output()).unwrap_or_else(|e| panic!("after a kill at step {k}: {e}"));
        assert!(!w.output().join(".planmon-journal.json").exists());
        assert_eq!(std::fs::read(w.output().join("我的文件.txt")).unwrap(), "留着".as_bytes());
        assert!(std::fs::read_dir(w.output()).unwrap().flatten().all(|e| !e.file_name().to_string_lossy().starts_with(".staging")));
    }
    assert!(steps > 10, "only {steps} steps were tried");
}

#[test]
fn a_file_that_cannot_be_replaced_leaves_the_previous_set_whole() {
    let w = Workdir::empty();
    let t = small(&w);
    let run = args(&["run", "--keep-history", "1"], &t);
    ok(&w.run(&run));
    ok(&w.run(&run));
    let previous = tree(&w.output());
    change_inputs(&w);
    let mut failed = 0;
    for k in 1.. {
        let out = run_env(&w, &run, &[("PLANMON_FAILPOINT_SWAP_FAIL", &k.to_string())]);
        if out.status.success() {
            break;
        }
        failed += 1;
        assert!(k < 200);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("正被占用"), "step {k}: {}", stderr(&out));
        assert!(!stderr(&out).contains("os error"), "English OS text: {}", stderr(&out));
        // The previous outputs, byte for byte; this run's in history/<id>-未完成.
        let now: BTreeMap<PathBuf, String> =
            tree(&w.output()).into_iter().filter(|(p, _)| !p.starts_with(w.output().join("history"))).collect();
        assert_eq!(
            now,
            previous.iter().filter(|(p, _)| !p.starts_with(w.output().join("history"))).map(|(p, d)| (p.clone(), d.clone())).collect()
        );
        history_complete(&w.output()).unwrap();
        assert!(std::fs::read_dir(w.output().join("history"))
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with("-未完成")));
    }
    assert!(failed > 10, "only {failed} steps were tried");
    complete(&w.output()).unwrap();
    history_complete(&w.output()).unwrap();
}

#[test]
fn a_second_run_on_a_locked_output_folder_stops_with_a_clear_message() {
    let w = Workdir::new("skeleton");
    ok(&w.run(&["run"]));
    let before = tree(&w.output());
    let lock = std::fs::OpenOptions::new().read(true).write(true).open(w.output().join(".planmon.lock")).unwrap();
    lock.try_lock().unwrap();
    let out = w.run(&["run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("正被另一个 planmon 使用"), "{}", stderr(&out));
    assert_eq!(before, tree(&w.output()), "outputs touched while locked");
    drop(lock);
    ok(&w.run(&["run"]));
}

#[test]
fn runs_racing_for_a_stale_lock_never_run_together() {
    let w = Workdir::new("skeleton");
    std::fs::create_dir_all(w.output()).unwrap();
    // Left by a run that was killed: a process id that is not running.
    std::fs::write(w.output().join(".planmon.lock"), "999999999 2026-01-01T00:00:00Z\n").unwrap();
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_planmon"))
                .args(["run", "--quiet"])
                .current_dir(w.path())
                .env("SOURCE_DATE_EPOCH", "1767225600")
                .env("PLANMON_FAILPOINT_HOLD_MS", "3000")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let ran = outs.iter().filter(|o| o.status.success()).count();
    let refused = outs.iter().filter(|o| o.status.code() == Some(2) && stderr(o).contains("正被另一个 planmon 使用")).count();
    assert_eq!((ran, refused), (1, 3), "{:?}", outs.iter().map(stderr).collect::<Vec<_>>());
    complete(&w.output()).unwrap();
}

#[test]
fn a_run_killed_while_writing_leaves_its_part_in_history_and_the_next_run_goes_on() {
    let w = Workdir::new("skeleton");
    ok(&w.run(&["run"]));
    let before = complete(&w.output()).unwrap();
    // Killed at the first file written to the staging folder.
    let out = run_env(&w, &["run"], &[("PLANMON_FAILPOINT_SWAP", "1")]);
    assert!(!out.status.success());
    assert_eq!(complete(&w.output()).unwrap(), before);
    let out = w.run(&["run"]);
    ok(&out);
    assert!(stdout(&out).contains("中途停止"), "{}", stdout(&out));
    let unfinished: Vec<_> = std::fs::read_dir(w.output().join("history"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with("-未完成"))
        .collect();
    assert_eq!(unfinished.len(), 1);
    history_complete(&w.output()).unwrap();
}
