//! Versions of one return and the loop the feedback sheets start (issue 20): a unit's
//! corrected file beside its first one is the newer version, not a second unit
//! disagreeing; each rerun says what changed; the feedback sheets follow up.
//! Fixtures: tests/fixtures/versions (make_fixtures.py `versions`), one folder per rule.

use std::path::Path;
use std::time::{Duration, SystemTime};

use calamine::{open_workbook_auto, Data, Reader};

use crate::common;

const WORKBOOK: &str = "仁怀市公共服务发展行动方案监测汇总表（2025年度）.xlsx";
const REPORT: &str = "仁怀市公共服务发展行动方案实施情况终期评估报告.pdf";

fn set_modified(path: &Path, days_ago: u64) {
    let t = SystemTime::now() - Duration::from_secs(days_ago * 86_400);
    std::fs::File::options().write(true).open(path).unwrap().set_modified(t).unwrap();
}

/// The figure used for G16 2025 and the file it came from.
fn g16(w: &common::Workdir) -> (String, String) {
    let p = w.csv("progress.csv").into_iter().find(|r| r["indicator_id"] == "G16" && r["year"] == "2025").expect("G16 2025");
    (p["value"].clone(), p["file"].clone())
}

fn codes(w: &common::Workdir) -> Vec<(String, String, String)> {
    w.csv("findings.csv").into_iter().map(|f| (f["severity"].clone(), f["code"].clone(), f["file"].clone())).collect()
}

/// Dated after the fixtures' 填报日期 (a date after the 成文日期 would not count).
fn run(w: &common::Workdir) {
    let out = w.run(&["run", "--year", "2025", "--no-word", "--date", "2026-01-31"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
}

#[test]
fn versions_date_decides() {
    let w = common::Workdir::new("versions/date");
    // The modification times say the other way: the 填报日期 comes first.
    set_modified(&w.input().join("市医保局_2025年度填报表_0120.xlsx"), 3);
    run(&w);
    assert_eq!(g16(&w), ("95.6".to_string(), "市医保局_2025年度填报表_0120.xlsx".to_string()));
    let codes = codes(&w);
    assert!(!codes.iter().any(|c| c.1 == "conflict"), "versions are no conflict: {codes:?}");
    let f = w.csv("findings.csv").into_iter().find(|f| f["code"] == "superseded").expect("superseded noted");
    assert_eq!((f["severity"].as_str(), f["file"].as_str()), ("info", "市医保局_2025年度填报表.xlsx"));
    assert!(f["message"].contains("市医保局_2025年度填报表_0120.xlsx") && f["message"].contains("填报日期 2026-01-20 晚于 2026-01-10"));
    assert!(f["message"].contains("G16 95.1 % → 95.6 %"), "{}", f["message"]);
    let m: serde_json::Value = serde_json::from_slice(&w.read_output("manifest.json")).unwrap();
    let old = m["inputs"].as_array().unwrap().iter().find(|i| i["file"] == "市医保局_2025年度填报表.xlsx").unwrap();
    assert_eq!(old["status"], "已被替代");
    assert_eq!(old["replaced"][0]["by"], "市医保局_2025年度填报表_0120.xlsx");
}

#[test]
fn versions_name_marker_decides() {
    let w = common::Workdir::new("versions/name");
    // No 填报日期 in either; the 修改版 is even the older file on disk.
    set_modified(&w.input().join("市医保局_2025年度填报表（修改版）.xlsx"), 3);
    run(&w);
    assert_eq!(g16(&w).0, "95.6");
    let f = w.csv("findings.csv").into_iter().find(|f| f["code"] == "superseded").unwrap();
    assert!(f["message"].contains("文件名标有“修改”"), "{}", f["message"]);
}

#[test]
fn versions_modification_time_decides() {
    for (newer, expected) in [("市医保局_2025年度填报表.xlsx", "95.1"), ("医保局2025年度填报表.xlsx", "95.6")] {
        let w = common::Workdir::new("versions/modified");
        for name in ["市医保局_2025年度填报表.xlsx", "医保局2025年度填报表.xlsx"] {
            set_modified(&w.input().join(name), if name == newer { 1 } else { 5 });
        }
        run(&w);
        assert_eq!(g16(&w), (expected.to_string(), newer.to_string()));
        let f = w.csv("findings.csv").into_iter().find(|f| f["code"] == "superseded").unwrap();
        assert!(f["message"].contains("文件修改时间较晚"), "{}", f["message"]);
    }
}

#[test]
fn versions_date_wins_over_name_with_a_warning() {
    let w = common::Workdir::new("versions/date_wins");
    run(&w);
    assert_eq!(g16(&w), ("95.1".to_string(), "市医保局_2025年度填报表.xlsx".to_string()));
    let warn = w.csv("findings.csv").into_iter().find(|f| f["code"] == "version_date_order").expect("a warning");
    assert_eq!(warn["severity"], "warning");
    assert!(
        warn["message"].contains("市医保局_2025年度填报表（修改版）.xlsx") && warn["message"].contains("文件名显示"),
        "{}",
        warn["message"]
    );
}

/// A 填报日期 after the 成文日期 is a slip (the file cannot have come in after the
/// documents are dated): it does not beat a correction with a real date, and the
/// finding says why the other rule decided.
#[test]
fn versions_a_date_after_the_documents_does_not_decide() {
    let w = common::Workdir::new("versions/late_date");
    let out = w.run(&["run", "--year", "2025", "--no-word", "--date", "2026-01-25"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(g16(&w), ("95.6".to_string(), "市医保局_2025年度填报表（修改版）.xlsx".to_string()));
    let findings = w.csv("findings.csv");
    let f = findings.iter().find(|f| f["code"] == "superseded").expect("superseded noted");
    assert_eq!(f["file"], "市医保局_2025年度填报表.xlsx");
    assert!(
        f["message"].contains("填报日期 2027-01-12 晚于成文日期，应是填写有误，未用来比较先后")
            && f["message"].contains("文件名标有“修改”"),
        "{}",
        f["message"]
    );
    assert!(!findings.iter().any(|f| f["code"] == "version_date_order"), "{findings:?}");
    // Dated on the day after the slip, the same files are decided by the dates.
    let w = common::Workdir::new("versions/late_date");
    let out = w.run(&["run", "--year", "2025", "--no-word", "--date", "2027-01-13"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(g16(&w).0, "95.1");
}

fn sheet_rows(path: &Path, name: &str) -> Vec<Vec<String>> {
    let mut wb = open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    range.rows().map(|r| r.iter().map(|d| if matches!(d, Data::Empty) { String::new() } else { d.to_string() }).collect()).collect()
}

/// The loop end to end: the sample, run; two units send corrected returns (later
/// 填报日期) beside their first ones; rerun.
#[test]
fn corrected_returns_close_the_loop() {
    let w = common::Workdir::with_input(&Path::new(env!("CARGO_MANIFEST_DIR")).join("input"));
    run(&w);
    let first = w.csv("findings.csv");
    assert!(first.iter().any(|f| f["code"] == "conflict" && f["department"] == "市残联"), "the sample has 市残联's conflict");
    common::copy_dir(&common::fixtures("versions/corrected"), &w.input());
    let out = w.run(&["run", "--year", "2025"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let summary = common::stdout(&out);
    assert!(summary.contains("数据修改：G01 市卫生健康局 2025年 4.93 → 5.02 个"), "{summary}");

    // The corrected figure is used: progress.csv, the report, the workbook.
    let p = w.csv("progress.csv").into_iter().find(|r| r["indicator_id"] == "G01" && r["year"] == "2025").unwrap();
    assert_eq!((p["value"].as_str(), p["file"].as_str()), ("5.02", "市卫生健康局_2025年度填报表（修改版）.xlsx"));
    assert!(common::pdf_text(&w.output().join(REPORT), false).contains("5.02"));
    let goals = sheet_rows(&w.output().join(WORKBOOK), "指标进展");
    assert!(goals.iter().any(|r| r.contains(&"G01".to_string()) && r.contains(&"5.02".to_string())), "{goals:?}");

    // No conflict between versions (and 市残联's conflict with 市民政局 is settled);
    // each old file noted as replaced.
    let findings = w.csv("findings.csv");
    assert!(!findings.iter().any(|f| f["code"] == "conflict"), "{findings:?}");
    let superseded: Vec<&str> = findings.iter().filter(|f| f["code"] == "superseded").map(|f| f["file"].as_str()).collect();
    assert_eq!(superseded, ["市卫生健康局_2025年度填报表.xlsx", "市残联_2025年度填报表.xlsx"]);

    // 变更记录 lists exactly the changed figures.
    let changes = sheet_rows(&w.output().join(WORKBOOK), "变更记录");
    let figures: Vec<String> = changes
        .iter()
        .filter(|r| r[0].starts_with("数据"))
        .map(|r| format!("{} {} {} {} {} → {}", r[0], r[1], r[3], r[4], r[5], r[6]))
        .collect();
    assert_eq!(figures, ["数据修改 G01 市卫生健康局 2025 4.93 → 5.02", "数据修改 G25 市残联 2025 97.1 → 98.6"]);
    assert!(changes.iter().any(|r| r[0] == "问题已解决" && r[1] == "G25"), "{changes:?}");

    // 市残联's feedback sheet: the conflict it was told about is 已更正.
    let sheet = common::pdf_text(&w.output().join("反馈单/市残联_2025年度填报数据反馈单.pdf"), false);
    assert!(sheet.contains("上次反馈问题的更正情况") && sheet.contains("已更正"), "{sheet}");
    assert!(!sheet.contains("仍未更正"), "{sheet}");
    // 市民政局 sent nothing new, but its side of the conflict is settled by 市残联's
    // correction: its sheet follows up too.
    let lead = common::pdf_text(&w.output().join("反馈单/市民政局_2025年度填报数据反馈单.pdf"), false);
    assert!(lead.contains("上次反馈问题的更正情况") && lead.contains("已更正"), "{lead}");

    // The trail: which version of which file each figure used came from.
    let m: serde_json::Value = serde_json::from_slice(&w.read_output("manifest.json")).unwrap();
    let used = m["snapshot"]["used"].as_array().unwrap().iter().find(|u| u["indicator_id"] == "G01" && u["year"] == 2025).unwrap().clone();
    assert_eq!(used["file"], "市卫生健康局_2025年度填报表（修改版）.xlsx");
    assert_eq!(used["replaces"][0], "市卫生健康局_2025年度填报表.xlsx");
    assert_eq!(used["sha256"].as_str().unwrap().len(), 64);
    let old = m["inputs"].as_array().unwrap().iter().find(|i| i["file"] == "市残联_2025年度填报表.xlsx").unwrap();
    assert_eq!(old["status"], "已被替代");
}

/// Same inputs twice: the second run's 变更记录 is empty and its outputs are the
/// first run's, byte for byte (only manifest.json, which records the run, differs).
#[test]
fn same_inputs_twice_change_nothing() {
    let w = common::Workdir::new("versions/date");
    // With the Word versions too.
    assert!(w.run(&["run", "--year", "2025"]).status.success());
    let out = w.run(&["run", "--year", "2025"]);
    assert!(common::stdout(&out).contains("都没有变化"), "{}", common::stdout(&out));
    let changes = sheet_rows(&w.output().join(WORKBOOK), "变更记录");
    assert!(changes.iter().skip(1).all(|r| r.iter().all(|c| c.is_empty())), "{changes:?}");
    let history: Vec<_> = std::fs::read_dir(w.output().join("history")).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(history.len(), 1);
    let mut compared = 0;
    for entry in common::files_below(&w.output()) {
        let rel = entry.strip_prefix(w.output()).unwrap();
        let hidden = rel.components().any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
        if rel.starts_with("history") || rel == Path::new("manifest.json") || hidden {
            continue;
        }
        assert_eq!(std::fs::read(&entry).unwrap(), std::fs::read(history[0].join(rel)).unwrap(), "{}", rel.display());
        compared += 1;
    }
    assert!(compared >= 5, "{compared}");
}

/// `planmon check --against output/` shows what a corrected file would change, and
/// writes nothing.
#[test]
fn check_against_shows_what_a_correction_would_change() {
    let w = common::Workdir::new("versions/date");
    std::fs::remove_file(w.input().join("市医保局_2025年度填报表_0120.xlsx")).unwrap();
    run(&w);
    let before = std::fs::read(w.output().join("manifest.json")).unwrap();
    let corrected = common::fixtures("versions/date/市医保局_2025年度填报表_0120.xlsx");
    let out = w.run(&["check", "--against", "output", &corrected.display().to_string()]);
    let text = common::stdout(&out);
    assert!(text.contains("市医保局2025年度：重新汇总将改变 1 个数据"), "{text}");
    assert!(text.contains("修改：G16 基本医疗保险参保率 95.1 → 95.6 %"), "{text}");
    assert_eq!(std::fs::read(w.output().join("manifest.json")).unwrap(), before, "check writes nothing");
}

/// A resend holding only the corrected row replaces that row; the first file's other
/// rows are still used, and the first file stays 已读取.
#[test]
fn versions_partial_resend_keeps_the_other_rows() {
    let w = common::Workdir::new("versions/partial");
    run(&w);
    let progress = w.csv("progress.csv");
    let of = |id: &str| {
        progress.iter().find(|r| r["indicator_id"] == id && r["year"] == "2025").map(|r| (r["value"].clone(), r["file"].clone()))
    };
    assert_eq!(of("G01"), Some(("5".to_string(), "市卫生健康局_2025年度填报表（更正）.xlsx".to_string())));
    assert_eq!(of("G15"), Some(("3.5".to_string(), "市卫生健康局_2025年度填报表.xlsx".to_string())));
    let m: serde_json::Value = serde_json::from_slice(&w.read_output("manifest.json")).unwrap();
    let first = m["inputs"].as_array().unwrap().iter().find(|i| i["file"] == "市卫生健康局_2025年度填报表.xlsx").unwrap().clone();
    assert_eq!(first["status"], "已读取");
    assert_eq!(first["replaced"][0]["by"], "市卫生健康局_2025年度填报表（更正）.xlsx");
    let f = w.csv("findings.csv").into_iter().find(|f| f["code"] == "superseded").unwrap();
    assert!(f["message"].contains("G01 4.9 个 → 5 个") && !f["message"].contains("G15"), "{}", f["message"]);
}
