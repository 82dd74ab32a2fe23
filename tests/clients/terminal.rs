//! A real terminal (util-linux's `script` gives the run a pseudo-terminal): the progress
//! bars, and nothing with --quiet. `script` is required: the test fails without it.

use std::process::Command;

use crate::common::{self, stderr, stdout, Workdir};

#[test]
fn officer_progress_bar_on_a_terminal() {
    // `script` runs the command on a pseudo-terminal.
    common::require("script", "util-linux");
    let w = Workdir::new("skeleton");
    let cmd = format!("{} run", env!("CARGO_BIN_EXE_planmon"));
    let out = Command::new("script").args(["-qec", &cmd, "/dev/null"]).current_dir(w.path()).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("读取填报表 [") && text.contains("4/4"), "{text}");
    assert!(text.contains("生成报告和反馈单 ["), "{text}");
    // --quiet: nothing but errors.
    let cmd = format!("{} run --quiet", env!("CARGO_BIN_EXE_planmon"));
    let out = Command::new("script").args(["-qec", &cmd, "/dev/null"]).current_dir(w.path()).output().unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).trim().is_empty(), "{}", stdout(&out));
}
