//! A report the office can issue as it is: read back from the PDF made from the shipped
//! sample — the appendix names whole, no figure-level provenance or tool name in the
//! text, 主送 and 落款, the date in Beijing time, the sections built from what units
//! wrote, project investment adding up, the key tasks with their state.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{pdf_text, stderr, Workdir};
use calamine::{open_workbook_auto, Data, Reader};
use planmon::plan::Plan;

const REPORT: &str = "仁怀市公共服务发展行动方案实施情况终期评估报告.pdf";
const WORKBOOK: &str = "仁怀市公共服务发展行动方案监测汇总表（2025年度）.xlsx";

fn sample_run(extra: &[&str]) -> Workdir {
    let w = Workdir::with_input(&Path::new(env!("CARGO_MANIFEST_DIR")).join("input"));
    let mut args = vec!["run"];
    args.extend(extra);
    let out = w.run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    w
}

fn flat(text: &str) -> String {
    text.split_whitespace().collect()
}

/// A table cell's text in `pdftotext -layout` output is on at most two lines when one
/// line holds its first half.
fn on_two_lines(layout: &str, name: &str) -> bool {
    let chars: Vec<char> = name.chars().filter(|c| !c.is_whitespace()).collect();
    let half: String = chars[..chars.len().div_ceil(2)].iter().collect();
    layout.lines().any(|l| flat(l).contains(&half))
}

/// The lines from the one holding `start` to the next holding one of `ends` (spaces
/// aside: pdftotext puts them between Chinese and digits).
fn section(text: &str, start: &str, ends: &[&str]) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let a = lines.iter().position(|l| flat(l).contains(start)).unwrap_or_else(|| panic!("no {start}"));
    let b = lines[a + 1..].iter().position(|l| ends.iter().any(|e| flat(l).contains(e))).map_or(lines.len(), |k| a + 1 + k);
    lines[a..b].join("\n")
}

#[test]
fn the_sample_report_reads_as_an_issued_document() {
    let w = sample_run(&[]);
    let pdf = w.output().join(REPORT);
    let text = flat(&pdf_text(&pdf, false));
    let plan = Plan::embedded().unwrap();

    // 主送 at the top, 落款 (office and date) at the end of the body.
    assert!(text.contains("市人民政府："), "no 主送");
    let body_end = text.find("附表1").expect("appendix");
    let body = &text[..body_end];
    let signature = body.rfind("仁怀市发展和改革局").expect("落款 office");
    assert!(body[signature..].starts_with("仁怀市发展和改革局2026年1月1日"), "落款: {}", &body[signature..]);

    // No provenance of single figures, no tool: those are in the workbook, the CSVs and
    // the PDF's metadata.
    for absent in ["planmon", "填报表.xlsx", "输入指纹", "指标填报!", "项目进展!", "工作表“"] {
        assert!(!text.contains(absent), "the report prints {absent}");
    }
    // One sentence says where the provenance is, in the workbook (not in a CSV a
    // leader would not open).
    assert!(text.contains("数据明细") && !text.contains("observations.csv"), "one sentence says where the provenance is");
    assert!(!text.contains("附件1") || text.contains("据方案正文整理"), "reconstructed tables are said to be so");

    // Every indicator name on one or two lines of the appendix (its first half on one
    // line); 30 goals within three pages.
    let layout = pdf_text(&pdf, true);
    let appendix = section(&layout, "附表1", &["附表2"]);
    for ind in plan.indicators.iter().filter(|i| i.seq.is_some()) {
        assert!(on_two_lines(&appendix, &ind.name), "appendix breaks {} over more than two lines", ind.name);
    }
    let pages = layout.matches('\u{c}').count();
    // The final evaluation (2025, the plan's last year) adds its whole-period tables and lists.
    assert!((10..=24).contains(&pages), "{pages} pages");
    let page_of = |needle: &str| layout.split('\u{c}').position(|p| flat(p).contains(needle)).unwrap();
    assert!(page_of("附表2") - page_of("附表1") <= 3, "the 30 goals take more than three pages");

    // Wording by kind: a limit is 控制在…以内, never 序时进度 in words; the final year.
    assert!(text.contains("方案实施期（2023—2025年）已经结束，现将方案实施情况终期评估报告如下"));
    assert!(!text.contains("今年是规划期末年"));
}

#[test]
fn the_date_is_beijing_time_and_can_be_set() {
    // 2026-01-19 17:00 UTC is 2026-01-20 01:00 in Beijing.
    let w = Workdir::with_input(&common::fixtures("skeleton"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_planmon"))
        .args(["run", "--year", "2024"])
        .current_dir(w.path())
        .env("SOURCE_DATE_EPOCH", "1768842000")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = flat(&pdf_text(&w.output().join("仁怀市公共服务发展行动方案实施进展报告（2024年度）.pdf"), false));
    assert!(text.contains("2026年1月20日"), "not the Beijing day");
    // planmon.toml, then the command line, set it.
    std::fs::write(w.path().join("planmon.toml"), "date = \"2026-02-03\"\nrecipient = \"市人民政府办公室\"\n").unwrap();
    assert!(w.run(&["run", "--year", "2024"]).status.success());
    let text = flat(&pdf_text(&w.output().join("仁怀市公共服务发展行动方案实施进展报告（2024年度）.pdf"), false));
    assert!(text.contains("2026年2月3日") && text.contains("市人民政府办公室："));
    assert!(w.run(&["run", "--year", "2024", "--date", "2026-02-05"]).status.success());
    let text = flat(&pdf_text(&w.output().join("仁怀市公共服务发展行动方案实施进展报告（2024年度）.pdf"), false));
    assert!(text.contains("2026年2月5日"));
    assert_eq!(w.run(&["run", "--date", "2026-02-30"]).status.code(), Some(2));
}

/// The sample's workbook 项目进展 sheet: project id → row.
fn workbook_projects(w: &Workdir) -> BTreeMap<String, BTreeMap<String, Data>> {
    let mut wb = open_workbook_auto(w.output().join(WORKBOOK)).unwrap();
    let range = wb.worksheet_range("项目进展").unwrap();
    let mut rows = range.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(|d| d.to_string()).collect();
    rows.map(|r| {
        let row: BTreeMap<String, Data> = header.iter().cloned().zip(r.iter().cloned()).collect();
        (row["编号"].to_string(), row)
    })
    .collect()
}

#[test]
fn each_new_section_is_built_from_the_returns() {
    let w = sample_run(&[]);
    let text = flat(&pdf_text(&w.output().join(REPORT), false));
    let plan = Plan::embedded().unwrap();

    // 主要工作及成效: each unit's text quoted under its name; a silent unit said so.
    let works =
        without_page_numbers(&flat(&section(&pdf_text(&w.output().join(REPORT), false), "二、主要工作及成效", &["三、主要指标完成情况"])));
    let observations_dir = w.input();
    let mut quoted = 0;
    for entry in std::fs::read_dir(&observations_dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.contains("2025年度") {
            continue;
        }
        let mut wb = open_workbook_auto(entry.path()).unwrap();
        let Ok(sheet) = wb.worksheet_range("工作进展") else { continue };
        let unit = name.split('_').next().unwrap().to_string();
        for row in sheet.rows().skip(3) {
            let written = row.get(1).map(|d| d.to_string()).unwrap_or_default();
            if !written.is_empty() {
                assert!(works.contains(&format!("{unit}：{}", flat(&written))), "{unit}'s text is not quoted");
                quoted += 1;
            }
        }
    }
    assert!(quoted > 5, "only {quoted} texts quoted");
    assert!(works.contains("未报送本领域工作进展，待补充"), "no placeholder for a silent unit");

    // Investment: the total row is the sum of the projects' rows (workbook = report).
    let projects = workbook_projects(&w);
    let number = |d: &Data| match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    };
    let sum = |col: &str| -> f64 { projects.values().filter_map(|r| r.get(col).and_then(number)).sum() };
    let (planned, done) = (sum("计划投资（万元）"), sum("累计完成投资（万元）"));
    let fmt = |v: f64| planmon::text::fmt_num(v, 0);
    let layout = pdf_text(&w.output().join(REPORT), true);
    let total: Vec<&str> = layout.lines().find(|l| l.trim_start().starts_with("合计")).expect("total row").split_whitespace().collect();
    assert_eq!(total[1..5], [plan.projects.len().to_string(), projects.len().to_string(), fmt(planned), fmt(done)], "{total:?}");
    assert!(
        text.contains(&format!("计划总投资{}万元，累计完成投资{}万元", fmt(planned), fmt(done))),
        "project totals differ from the workbook"
    );

    // Key tasks: each listed with its state (the Word report's table, cell by cell; the
    // PDF says the same, tests/it/word.rs).
    let word = crate::common::docx_text(&w.output().join(REPORT.replace(".pdf", ".docx")));
    let tasks = word.tables.iter().find(|t| t.first().is_some_and(|h| h.first().is_some_and(|c| c == "任务"))).expect("表4");
    for t in &plan.tasks {
        assert!(tasks.iter().any(|r| r[0] == t.name), "key task {} not listed", t.name);
    }
    let states: Vec<&str> = tasks[1..].iter().map(|r| r[3].as_str()).collect();
    assert!(states.contains(&"已完成") && states.iter().any(|s| s.contains("已到期")), "{states:?}");
}

/// Text with the page numbers (—2—) a page break puts inside a paragraph taken out.
fn without_page_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut k = 0;
    while k < chars.len() {
        if chars[k] == '—' {
            let digits = chars[k + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits > 0 && chars.get(k + 1 + digits) == Some(&'—') {
                k += digits + 2;
                continue;
            }
        }
        out.push(chars[k]);
        k += 1;
    }
    out
}
