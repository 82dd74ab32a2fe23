//! Started as Explorer starts it: double-clicked (no terminal on its input, no shell
//! above it), planmon runs the batch on input/ beside it, shows the summary and waits
//! for Enter; files dropped on it are checked. Typed commands and scripts see no change.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{fixtures, stdout, Workdir};

const WAIT: &str = "按回车键关闭窗口";

/// Start planmon as a double-click would: input and output are pipes, not a terminal,
/// and the parent is not a shell.
fn double_click(program: &Path, folder: &Path, args: &[&Path]) -> Child {
    Command::new(program)
        .args(args)
        .current_dir(folder)
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start planmon")
}

/// Read the program's output until the wait prompt shows; then it must still be
/// running (waiting), and Enter ends it. Returns the output and the exit code.
fn until_enter(mut child: Child) -> (String, Option<i32>) {
    let mut out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut text = Vec::new();
    let start = Instant::now();
    while !String::from_utf8_lossy(&text).contains(WAIT) {
        assert!(start.elapsed() < Duration::from_secs(300), "no wait prompt:\n{}", String::from_utf8_lossy(&text));
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(100)) {
            text.extend(chunk);
        }
    }
    // It waits: still running a moment after the prompt.
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "the window closed without waiting for Enter");
    child.stdin.as_mut().unwrap().write_all(b"\n").unwrap();
    let status = child.wait().unwrap();
    while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
        text.extend(chunk);
    }
    (String::from_utf8_lossy(&text).into_owned(), status.code())
}

/// The program placed in a folder of its own, as an office installs it (a hard link
/// where the file system allows, else a copy).
fn install(folder: &Path) -> PathBuf {
    let program = folder.join(Path::new(env!("CARGO_BIN_EXE_planmon")).file_name().unwrap());
    if std::fs::hard_link(env!("CARGO_BIN_EXE_planmon"), &program).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_planmon"), &program).unwrap();
    }
    program
}

#[test]
fn desktop_double_click_runs_the_batch_beside_the_program_and_waits() {
    let w = Workdir::new("skeleton");
    let program = install(w.path());
    // Started from another folder (a shortcut's "start in"): input/ beside the program is used.
    let elsewhere = tempfile::tempdir().unwrap();
    let (text, code) = until_enter(double_click(&program, elsewhere.path(), &[]));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("工作文件夹："), "{text}");
    assert!(text.contains("2024年度汇总完成：读取填报表 2 份"), "the summary is shown:\n{text}");
    assert!(text.contains("进展报告：output/"), "{text}");
    assert!(w.output().join("manifest.json").is_file(), "the outputs are beside the program");
    assert!(!elsewhere.path().join("output").exists(), "nothing written where it was started from");
}

#[test]
fn desktop_double_click_in_its_own_folder() {
    let w = Workdir::new("skeleton");
    let (text, code) = until_enter(double_click(Path::new(env!("CARGO_BIN_EXE_planmon")), w.path(), &[]));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("2024年度汇总完成"), "{text}");
    assert!(w.output().join("manifest.json").is_file());
}

#[test]
fn desktop_no_input_folder_says_what_to_do_and_waits() {
    let dir = tempfile::tempdir().unwrap();
    let program = install(dir.path());
    let (text, code) = until_enter(double_click(&program, dir.path(), &[]));
    assert!(text.contains("新建 input 文件夹"), "{text}");
    assert_ne!(code, Some(0), "{text}");
}

#[test]
fn desktop_files_dropped_on_the_program_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("收到的 报表");
    std::fs::create_dir(&folder).unwrap();
    let good = folder.join("市卫生健康局_2024年度填报表.xlsx");
    std::fs::copy(fixtures("formats").join("市卫生健康局_2024年度填报表.xlsx"), &good).unwrap();
    let text_file = folder.join("说明.txt");
    std::fs::write(&text_file, "请查收").unwrap();
    let before = std::fs::read(&good).unwrap();
    let (text, code) = until_enter(double_click(Path::new(env!("CARGO_BIN_EXE_planmon")), dir.path(), &[&good, &text_file]));
    assert!(text.contains("市卫生健康局_2024年度填报表.xlsx（已读取）"), "{text}");
    assert!(text.contains("填报单位：市卫生健康局"), "{text}");
    assert!(text.contains("说明.txt"), "{text}");
    assert!(code.is_some(), "{text}");
    assert!(!dir.path().join("output").exists(), "checking writes nothing");
    assert_eq!(std::fs::read(&good).unwrap(), before);
    // A dropped folder stands for the files in it.
    let (text, _) = until_enter(double_click(Path::new(env!("CARGO_BIN_EXE_planmon")), dir.path(), &[&folder]));
    assert!(text.contains("市卫生健康局_2024年度填报表.xlsx（已读取）"), "{text}");
}

#[test]
fn desktop_typed_commands_and_scripts_do_not_wait() {
    let w = Workdir::new("skeleton");
    // A subcommand is typed use: no prompt, even with no terminal.
    let out = w.run(&["run"]);
    assert!(out.status.success());
    assert!(!stdout(&out).contains(WAIT), "{}", stdout(&out));
    // Under a shell (a script, cron), no subcommand still means no prompt. (The `true`
    // after it keeps the shell from replacing itself with planmon.)
    let script = format!("'{}'; true", env!("CARGO_BIN_EXE_planmon"));
    let out = Command::new("sh").args(["-c", &script]).current_dir(w.path()).stdin(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout(&out).contains("汇总完成"), "{}", stdout(&out));
    assert!(!stdout(&out).contains(WAIT), "{}", stdout(&out));
}
