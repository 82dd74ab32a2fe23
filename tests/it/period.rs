//! The plan period is data: a small synthetic plan for 2026—2030 (base year 2025),
//! given as a templates folder only, runs end to end — blank forms, sample returns,
//! the batch — and every year, heading and column follows its period.

use crate::common;

use crate::common::{pdf_text, stderr, Workdir};
use calamine::{open_workbook_auto, Reader};

fn ok(out: &std::process::Output) {
    assert!(out.status.success(), "{}\n{}", common::stdout(out), stderr(out));
}

#[test]
fn a_plan_of_another_period_runs_end_to_end() {
    let w = Workdir::empty();
    let templates = common::fixtures("plan_2026_2030");
    let t = templates.to_str().unwrap();
    // Blank forms for 2027 carry the new target year.
    ok(&w.run(&["templates", "--templates", t, "--year", "2027", "--output", "填报表"]));
    let form = w.path().join("填报表/县卫生健康局_2027年度填报表.xlsx");
    let mut wb = open_workbook_auto(&form).unwrap();
    let sheet = wb.worksheet_range("指标填报").unwrap();
    let text: String = sheet.used_cells().map(|(_, _, d)| d.to_string()).collect::<Vec<_>>().join(" ");
    assert!(text.contains("2030年目标值") && !text.contains("2025年目标"), "{text}");

    // Sample returns for 2026 and 2027, then the batch.
    ok(&w.run(&["sample", "--templates", t, "--output", "input", "--last-year", "2027"]));
    ok(&w.run(&["run", "--templates", t]));

    let progress = w.csv("progress.csv");
    assert!(progress[0].contains_key("projected_2030"), "{:?}", progress[0].keys());
    let years: std::collections::BTreeSet<&str> = progress.iter().map(|p| p["year"].as_str()).collect();
    assert_eq!(years.into_iter().collect::<Vec<_>>(), ["2026", "2027"]);
    assert!(progress.iter().filter(|p| p["year"] == "2027").all(|p| p["status"] != "无数据"), "{progress:#?}");
    // The 2027 milestone of A03 is the line in 2027.
    let a03 = progress.iter().find(|p| p["indicator_id"] == "A03" && p["year"] == "2027").unwrap();
    assert_eq!(a03["expected"], "1200");

    let workbook = w.output().join("某县公共服务发展规划监测汇总表（2027年度）.xlsx");
    let mut wb = open_workbook_auto(&workbook).unwrap();
    let head: Vec<String> = wb.worksheet_range("指标进展").unwrap().rows().next().unwrap().iter().map(|d| d.to_string()).collect();
    for h in ["2030年目标", "基期值（2025年）", "2026年", "2027年", "预计2030年"] {
        assert!(head.iter().any(|x| x == h), "workbook header lacks {h}: {head:?}");
    }
    assert!(!head.iter().any(|x| x.contains("2025年目标") || x.contains("2028年")), "{head:?}");

    let report = pdf_text(&w.output().join("某县公共服务发展规划实施进展报告（2027年度）.pdf"), false);
    let flat: String = report.split_whitespace().collect();
    assert!(flat.contains("2030年目标") && !flat.contains("2025年目标"), "report headings follow the period");
    assert!(flat.contains("某县公共服务发展规划"), "the report is about the plan in the tables");
    for unit in ["县卫生健康局", "县住房城乡建设局"] {
        assert!(w.output().join("反馈单").join(format!("{unit}_2027年度填报数据反馈单.pdf")).is_file(), "{unit}");
    }
}
