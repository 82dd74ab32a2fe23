//! Nothing lost, nothing trusted blindly: inputs only read, previous outputs kept,
//! one run at a time, limits on hostile files, panics contained, exit codes.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{stderr, stdout, Workdir};
use sha2::{Digest, Sha256};

fn hashes(dir: &Path) -> BTreeMap<PathBuf, (String, std::time::SystemTime)> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(hashes(&p));
        } else {
            let bytes = std::fs::read(&p).unwrap();
            out.insert(p.clone(), (planmon::text::hex(&Sha256::digest(&bytes)), e.metadata().unwrap().modified().unwrap()));
        }
    }
    out
}

fn manifest(w: &Workdir) -> serde_json::Value {
    serde_json::from_slice(&w.read_output("manifest.json")).unwrap()
}

fn ok(w: &Workdir, args: &[&str]) {
    let out = w.run(args);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
}

#[test]
fn safety_inputs_are_only_read() {
    let w = Workdir::new("unreadable");
    common::copy_dir(&common::fixtures("safety"), &w.input());
    let before = hashes(&w.input());
    ok(&w, &["run"]);
    assert_eq!(before, hashes(&w.input()), "an input file changed");
}

#[test]
fn safety_previous_outputs_go_to_history_and_history_is_bounded() {
    let w = Workdir::new("skeleton");
    ok(&w, &["run"]);
    let first = manifest(&w);
    let first_id = first["run_id"].as_str().unwrap().to_string();
    ok(&w, &["run", "--keep-history", "2"]);
    // The first run's outputs, byte for byte, under its run id.
    let kept = w.output().join("history").join(&first_id);
    for out in first["outputs"].as_array().unwrap() {
        let bytes = std::fs::read(kept.join(out["file"].as_str().unwrap())).unwrap();
        assert_eq!(planmon::text::hex(&Sha256::digest(&bytes)), out["sha256"].as_str().unwrap());
    }
    ok(&w, &["run", "--keep-history", "2"]);
    ok(&w, &["run", "--keep-history", "2"]);
    let runs = std::fs::read_dir(w.output().join("history")).unwrap().count();
    assert_eq!(runs, 2, "history keeps the two most recent runs");
    assert!(!w.output().join("history").join(&first_id).exists(), "the oldest run was dropped");
}

/// A link to a file (on Windows this needs developer mode or administrator rights).
fn symlink(target: &Path, link: &Path) {
    #[cfg(unix)]
    std::os::unix::fs::symlink(target, link).unwrap();
    #[cfg(windows)]
    std::os::windows::fs::symlink_file(target, link).unwrap();
}

#[test]
fn safety_manifest_accounts_for_every_input_and_output() {
    let w = Workdir::new("unreadable");
    std::fs::write(w.input().join("~$市卫生健康局_2024年度填报表.xlsx"), b"lock").unwrap();
    std::fs::write(w.input().join(".隐藏文件.xlsx"), b"hidden").unwrap();
    std::fs::write(w.input().join("说明.txt"), "请查收").unwrap();
    // A link pointing out of the input folder is not followed.
    let outside = w.path().join("外部文件.xlsx");
    std::fs::copy(common::fixtures("skeleton").join("市民政局_2024年度填报表.xlsx"), &outside).unwrap();
    symlink(&outside, &w.input().join("链接.xlsx"));
    ok(&w, &["run"]);
    let m = manifest(&w);
    assert_eq!(m["tool"], "planmon");
    assert_eq!(m["plan_version"], "2023-2025.1");
    assert!(m["started"].as_str().unwrap() <= m["finished"].as_str().unwrap());
    let inputs = m["inputs"].as_array().unwrap();
    let status = |name: &str| inputs.iter().find(|i| i["file"] == name).map(|i| i["status"].as_str().unwrap().to_string());
    assert_eq!(status("市卫生健康局_2024年度填报表.xlsx").as_deref(), Some("已读取"));
    assert_eq!(status("加密的填报表.xlsx").as_deref(), Some("已拒收"));
    assert_eq!(status("~$市卫生健康局_2024年度填报表.xlsx").as_deref(), Some("已跳过"));
    assert_eq!(status(".隐藏文件.xlsx").as_deref(), Some("已跳过"));
    assert_eq!(status("说明.txt").as_deref(), Some("已跳过"));
    assert_eq!(status("链接.xlsx").as_deref(), Some("已跳过"));
    assert!(!w.csv("observations.csv").iter().any(|o| o["department"] == "市民政局"), "the link was followed");
    let read = inputs.iter().find(|i| i["file"] == "市卫生健康局_2024年度填报表.xlsx").unwrap();
    assert_eq!(read["figures"], 8);
    assert_eq!(read["sha256"].as_str().unwrap().len(), 64);
    // Lock files and hidden files are skipped quietly: no finding for them.
    let findings = w.csv("findings.csv");
    assert!(!findings.iter().any(|f| f["file"].starts_with("~$") || f["file"].starts_with('.')));
    // Every output with its hash.
    for out in m["outputs"].as_array().unwrap() {
        let bytes = w.read_output(out["file"].as_str().unwrap());
        assert_eq!(planmon::text::hex(&Sha256::digest(&bytes)), out["sha256"].as_str().unwrap(), "{}", out["file"]);
    }
    assert_eq!(m["counts"]["inputs_rejected"], 4);
    // The short input fingerprint is in the report's metadata (not its text).
    let fp = m["input_fingerprint"].as_str().unwrap();
    assert_eq!(fp.len(), 12);
    let report = w.output().join("仁怀市公共服务发展行动方案实施进展报告（2024年度）.pdf");
    assert!(crate::pdf::metadata(&report).contains(fp), "report metadata lacks the fingerprint {fp}");
    assert!(!common::pdf_text(&report, false).contains(fp), "the fingerprint is printed in the report");
}

#[test]
fn safety_zip_bomb_and_far_cells_are_limited() {
    let w = Workdir::new("safety");
    ok(&w, &["run"]);
    let findings = w.csv("findings.csv");
    let bomb = findings.iter().find(|f| f["file"] == "压缩炸弹.xlsx").expect("zip bomb finding");
    assert_eq!((bomb["severity"].as_str(), bomb["code"].as_str()), ("error", "zip_bomb"));
    assert!(bomb["message"].contains("压缩炸弹"));
    let dims = findings.iter().find(|f| f["file"] == "维度记录损坏.xls").expect("damaged xls finding");
    assert_eq!((dims["severity"].as_str(), dims["code"].as_str()), ("error", "sheet_too_large"));
    let far = findings.iter().find(|f| f["code"] == "cells_beyond_limit").expect("far cell finding");
    assert_eq!(far["file"], "市民政局_2024年度_far_cell.xlsx");
    // The table itself was still read.
    let obs = w.csv("observations.csv");
    assert!(obs.iter().any(|o| o["file"] == "市民政局_2024年度_far_cell.xlsx" && o["indicator_id"] == "G17" && o["value"] == "52.5"));
}

/// A templates folder whose rules.toml has other limits.
fn with_limits(w: &Workdir, edit: &[(&str, &str)]) -> String {
    let dir = w.path().join("limits");
    std::fs::create_dir_all(&dir).unwrap();
    let mut rules = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/rules.toml")).unwrap();
    for (from, to) in edit {
        assert!(rules.contains(from), "{from}");
        rules = rules.replace(from, to);
    }
    std::fs::write(dir.join("rules.toml"), rules).unwrap();
    "limits".to_string()
}

#[test]
fn safety_file_size_sheet_count_and_time_limits_are_findings() {
    let w = Workdir::new("skeleton");
    let dir = with_limits(&w, &[("max_file_mb = 50 ", "max_file_mb = 0.005 ")]);
    ok(&w, &["run", "--templates", &dir]);
    let findings = w.csv("findings.csv");
    assert!(findings.iter().any(|f| f["code"] == "file_too_large" && f["file"] == "市卫生健康局_2024年度填报表.xlsx"), "{findings:#?}");

    // The standard form has three sheets (填报说明, 指标填报, 项目进展).
    let w = Workdir::new("safety");
    let form = Path::new(env!("CARGO_MANIFEST_DIR")).join("input/市卫生健康局_2025年度填报表.xlsx");
    std::fs::copy(form, w.input().join("市卫生健康局_2025年度填报表.xlsx")).unwrap();
    let dir = with_limits(&w, &[("max_sheets = 100 ", "max_sheets = 2 ")]);
    ok(&w, &["run", "--templates", &dir]);
    let findings = w.csv("findings.csv");
    assert!(findings.iter().any(|f| f["code"] == "too_many_sheets" && f["file"] == "市卫生健康局_2025年度填报表.xlsx"), "{findings:#?}");
    assert!(w.csv("observations.csv").iter().any(|o| o["file"] == "市卫生健康局_2025年度填报表.xlsx"), "the first sheets were read");

    // A limit no file can keep is the office's mistake, refused at start: it would
    // otherwise tell every unit its return timed out.
    let w = Workdir::new("skeleton");
    let dir = with_limits(&w, &[("seconds_per_file = 60 ", "seconds_per_file = 0 ")]);
    let out = w.run(&["run", "--templates", &dir]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let text = stderr(&out);
    assert!(text.contains("rules.toml") && text.contains("seconds_per_file = 0") && text.contains("不小于 1"), "{text}");
    assert!(!w.output().exists(), "nothing is read or written");
}

#[test]
fn safety_a_panic_costs_one_file_not_the_batch() {
    let w = Workdir::new("skeleton");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_planmon"))
        .arg("run")
        .current_dir(w.path())
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env("PLANMON_FAILPOINT_PANIC", "市民政局_2024年度填报表.xlsx")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let findings = w.csv("findings.csv");
    let crash = findings.iter().find(|f| f["code"] == "read_crashed").expect("crash finding");
    assert_eq!(crash["file"], "市民政局_2024年度填报表.xlsx");
    assert!(w.csv("observations.csv").iter().any(|o| o["department"] == "市卫生健康局"));
}

#[test]
fn safety_hostile_text_is_printed_literally_and_safely() {
    let w = Workdir::new("safety");
    ok(&w, &["run"]);
    // CSV: the exact text, quoted so that rows stay rows.
    let obs = w.csv("observations.csv");
    let g01 = obs.iter().find(|o| o["indicator_id"] == "G01" && o["kind"] == "本年值").unwrap();
    assert_eq!(g01["remark"], "含\u{202e}倒序\u{202c}标记");
    let g14 = obs.iter().find(|o| o["indicator_id"] == "G14" && o["kind"] == "本年值").unwrap();
    // openpyxl (like Excel) stores at most 32,767 characters in a cell.
    assert_eq!(g14["remark"].chars().count(), 32_767);
    let g15 = obs.iter().find(|o| o["indicator_id"] == "G15" && o["kind"] == "本年值").unwrap();
    assert_eq!((g15["raw"].as_str(), g15["value"].as_str()), ("3.2\u{7}", "3.2"));
    assert_eq!(g15["remark"], "=HYPERLINK(\"http://x\",\"点我\")");
    // Workbook: a 40,000-character remark fits the cell limit, formulas stay text.
    use calamine::{open_workbook_auto, Reader};
    let mut wb = open_workbook_auto(w.output().join("仁怀市公共服务发展行动方案监测汇总表（2024年度）.xlsx")).unwrap();
    let detail = wb.worksheet_range("数据明细").unwrap();
    let longest = detail.used_cells().map(|(_, _, d)| d.to_string()).max_by_key(|s| s.chars().count()).unwrap();
    assert!(longest.chars().count() <= 32_767 && longest.ends_with("已截断）"), "{}", longest.chars().count());
    assert!(wb.worksheet_formula("数据明细").unwrap().used_cells().all(|(_, _, f)| f.is_empty()));
    // Terminal: control characters and direction marks are shown escaped.
    let out = w.run(&["check", "input/市卫生健康局_2024年度填报表.xlsx"]);
    let text = stdout(&out);
    assert!(text.contains("3.2\\u{0007}"), "{text}");
    assert!(!text.contains('\u{7}') && !text.contains('\u{202e}'));
}

#[test]
fn safety_exit_codes() {
    let w = Workdir::new("skeleton");
    // 0: the batch ran, findings or not.
    assert_eq!(w.run(&["run"]).status.code(), Some(0));
    // 1: --strict with error findings (the corrupt file in the fixture).
    assert_eq!(w.run(&["run", "--strict"]).status.code(), Some(1));
    // 2: unusable arguments.
    assert_eq!(w.run(&["run", "--input", "no-such-folder"]).status.code(), Some(2));
    assert_eq!(w.run(&["run", "--year", "1990"]).status.code(), Some(2));
    assert_eq!(w.run(&["--no-such-option"]).status.code(), Some(2));
    let clean = Workdir::new("conflict");
    std::fs::remove_file(clean.input().join("市残联_2024年度填报表.xlsx")).unwrap();
    let out = clean.run(&["run", "--strict"]);
    assert_eq!(out.status.code(), Some(0), "no error findings: {}", stdout(&out));
}

/// A return in the standard form with the value of 指标 G17 left empty (so that its
/// formula is looked up) and a formula in the sheet's far corner, XFD1048576: calamine's
/// whole-sheet formula range would ask for hundreds of gigabytes.
fn far_formula_xlsx(path: &Path) {
    use rust_xlsxwriter::{Formula, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("指标填报").unwrap();
    ws.write(0, 0, "填报单位：市民政局").unwrap();
    ws.write(1, 0, "填报年度：2024").unwrap();
    for (c, h) in ["指标编号", "指标名称", "单位", "本年完成值"].iter().enumerate() {
        ws.write(3, c as u16, *h).unwrap();
    }
    ws.write(4, 0, "G17").unwrap();
    ws.write(4, 1, "养老机构护理型床位占比").unwrap();
    ws.write(4, 2, "%").unwrap();
    ws.write(5, 0, "G25").unwrap();
    ws.write(5, 1, "特殊困难老年人月探访率").unwrap();
    ws.write(5, 2, "%").unwrap();
    ws.write(5, 3, 100).unwrap();
    ws.write_formula(1_048_575, 16_383, Formula::new("=1+1")).unwrap();
    wb.save(path).unwrap();
}

/// An ods whose one cell is repeated across every column of thousands of rows: a few
/// hundred bytes that calamine would expand to tens of millions of cells.
fn repeated_cells_ods(path: &Path, rows: u32) {
    use std::io::Write;
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="指标填报"><table:table-row table:number-rows-repeated="{rows}"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    zip.start_file("content.xml", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.start_file("META-INF/manifest.xml", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
    zip.finish().unwrap();
}

#[test]
fn safety_small_files_that_would_explode_in_memory_cost_only_themselves() {
    let w = Workdir::new("skeleton");
    far_formula_xlsx(&w.input().join("市民政局_2024年度_远处公式.xlsx"));
    repeated_cells_ods(&w.input().join("重复单元格一.ods"), 5000);
    repeated_cells_ods(&w.input().join("重复单元格二.ods"), 60_000);
    assert!(std::fs::metadata(w.input().join("重复单元格一.ods")).unwrap().len() < 2000);
    ok(&w, &["run"]);
    let findings = w.csv("findings.csv");
    for name in ["重复单元格一.ods", "重复单元格二.ods"] {
        let f = findings.iter().find(|f| f["file"] == name).unwrap_or_else(|| panic!("{name}: {findings:#?}"));
        assert_eq!((f["severity"].as_str(), f["code"].as_str()), ("error", "sheet_too_large"), "{name}");
    }
    // The far formula is outside the limits (reported), the table itself was read.
    assert!(findings.iter().any(|f| f["file"] == "市民政局_2024年度_远处公式.xlsx" && f["code"] == "cells_beyond_limit"));
    let obs = w.csv("observations.csv");
    assert!(obs.iter().any(|o| o["file"] == "市民政局_2024年度_远处公式.xlsx" && o["indicator_id"] == "G25" && o["value"] == "100"));
    // The other returns were read as always.
    assert!(obs.iter().any(|o| o["department"] == "市卫生健康局"));
}

/// Read in the test process itself (no worker to contain an abort): the checks refuse
/// these files before calamine allocates, or the whole test binary would abort.
#[test]
fn safety_crafted_files_are_refused_before_anything_is_allocated() {
    let dir = tempfile::tempdir().unwrap();
    let far = dir.path().join("市民政局_2024年度_远处公式.xlsx");
    far_formula_xlsx(&far);
    let ods = dir.path().join("重复单元格.ods");
    repeated_cells_ods(&ods, 60_000);
    let plan = planmon::plan::Plan::embedded().unwrap();
    let out = planmon::read::read_files(&plan, &[far, ods]);
    assert_eq!(out.files.len(), 2);
    assert!(out.findings.iter().any(|f| f.code == planmon::finding::Code::SheetTooLarge));
    assert!(out.observations.iter().any(|o| &*o.indicator_id == "G25"));
}

#[test]
fn safety_a_reader_that_aborts_or_runs_out_of_memory_costs_one_file() {
    for (var, code) in [("PLANMON_FAILPOINT_ABORT", "read_crashed"), ("PLANMON_FAILPOINT_ALLOC", "read_out_of_memory")] {
        let w = Workdir::new("skeleton");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_planmon"))
            .arg("run")
            .current_dir(w.path())
            .env("SOURCE_DATE_EPOCH", "1767225600")
            .env(var, "市民政局_2024年度填报表.xlsx")
            .output()
            .unwrap();
        assert!(out.status.success(), "{var}: {}", stderr(&out));
        let findings = w.csv("findings.csv");
        let f = findings.iter().find(|f| f["file"] == "市民政局_2024年度填报表.xlsx").unwrap_or_else(|| panic!("{var}: {findings:#?}"));
        assert_eq!(f["code"], code, "{var}");
        assert!(w.csv("observations.csv").iter().any(|o| o["department"] == "市卫生健康局"), "{var}: the rest was read");
        assert!(!stderr(&out).contains("memory allocation"), "{var}: the worker's dying words reach the officer: {}", stderr(&out));
    }
}

#[test]
fn safety_a_slow_file_is_given_up_and_only_it() {
    let w = Workdir::new("skeleton");
    let dir = with_limits(&w, &[("seconds_per_file = 60 ", "seconds_per_file = 2 ")]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_planmon"))
        .args(["run", "--templates", &dir])
        .current_dir(w.path())
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env("PLANMON_FAILPOINT_SLOW", "市民政局_2024年度填报表.xlsx")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let findings = w.csv("findings.csv");
    let late: Vec<_> = findings.iter().filter(|f| f["code"] == "read_timeout").collect();
    assert_eq!(late.len(), 1, "{late:#?}");
    assert_eq!(late[0]["file"], "市民政局_2024年度填报表.xlsx");
    assert!(w.csv("observations.csv").iter().any(|o| o["department"] == "市卫生健康局"), "the rest was read");
}

#[cfg(unix)]
#[test]
fn safety_a_pipe_named_like_a_return_never_hangs() {
    let w = Workdir::new("skeleton");
    let fifo = w.input().join("管道.xlsx");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo (coreutils) is needed for this test");
    assert!(made.success());
    ok(&w, &["run"]);
    let m: serde_json::Value = serde_json::from_slice(&w.read_output("manifest.json")).unwrap();
    let entry = m["inputs"].as_array().unwrap().iter().find(|i| i["file"] == "管道.xlsx").expect("the pipe is accounted for");
    assert_eq!(entry["status"], "已跳过");
    let out = w.run(&["check", "input/管道.xlsx"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("不是一个普通文件"), "{}", stdout(&out));
}

#[test]
fn safety_check_exit_codes_and_escaped_errors() {
    let w = Workdir::new("unreadable");
    let good = common::fixtures("skeleton").join("市卫生健康局_2024年度填报表.xlsx");
    let good = good.to_str().unwrap();
    let out = w.run(&["check", good]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = w.run(&["check", "input/加密的填报表.xlsx"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let out = w.run(&["check", "input/不存在的文件.xlsx", good]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("找不到文件"), "{}", stdout(&out));
    // Error text from a crafted file is shown escaped, never as terminal control codes.
    let name = w.input().join("坏\u{1b}[31m文件.xlsx");
    std::fs::write(&name, b"PK\x03\x04\x1b[2J garbage").unwrap();
    let out = w.run(&["check", name.to_str().unwrap()]);
    assert!(!stdout(&out).contains('\u{1b}'), "{}", stdout(&out));
}

#[test]
fn safety_a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_planmon"))
        .arg("indicators")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    // The reader has gone (as `head -1` does); planmon's further writes fail.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}
