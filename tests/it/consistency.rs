//! One assessment, shown alike everywhere: on the shipped sample, the report, the
//! workbook, every feedback sheet, progress.csv and the terminal summary give the same
//! status for every indicator, the same counts and the same project figures for the
//! reporting year.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{pdf_text, stdout, Workdir};
use calamine::{open_workbook_auto, Data, Reader};
use planmon::aggregate::Status;
use planmon::plan::Plan;

const YEAR: &str = "2025";
const REPORT: &str = "仁怀市公共服务发展行动方案实施进展报告（2025年度）.pdf";
const WORKBOOK: &str = "仁怀市公共服务发展行动方案监测汇总表（2025年度）.xlsx";

fn labels() -> Vec<&'static str> {
    Status::ALL.iter().map(|s| s.label()).collect()
}

/// The first row of a table in `pdftotext -layout` text that starts with each of `ids`:
/// id → the fields of the line.
fn table_rows(text: &str, ids: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let Some(first) = fields.first() else { continue };
        if ids.iter().any(|id| id == first) && fields.len() >= 2 {
            out.entry(first.to_string()).or_insert_with(|| fields.iter().map(|f| f.to_string()).collect());
        }
    }
    out
}

fn sheet(path: &Path, name: &str) -> Vec<BTreeMap<String, String>> {
    let mut wb = open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range(name).unwrap();
    let mut rows = range.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(|d| d.to_string()).collect();
    rows.map(|r| header.iter().cloned().zip(r.iter().map(cell_text)).collect()).collect()
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Float(f) => planmon::text::fmt_num(*f, 4),
        Data::Int(i) => i.to_string(),
        other => other.to_string(),
    }
}

#[test]
fn every_document_shows_the_same_assessment() {
    let w = Workdir::with_input(&Path::new(env!("CARGO_MANIFEST_DIR")).join("input"));
    let out = w.run(&["run"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let summary = stdout(&out);
    let plan = Plan::embedded().unwrap();
    let ids: Vec<String> = plan.indicators.iter().map(|i| i.id.clone()).collect();
    let goal_ids: Vec<String> = plan.indicators.iter().filter(|i| i.seq.is_some()).map(|i| i.id.clone()).collect();

    // progress.csv: the reference.
    let status: BTreeMap<String, String> =
        w.csv("progress.csv").into_iter().filter(|r| r["year"] == YEAR).map(|r| (r["indicator_id"].clone(), r["status"].clone())).collect();
    assert_eq!(status.len(), ids.len());
    let mut counts: BTreeMap<&str, usize> = labels().into_iter().map(|l| (l, 0)).collect();
    for id in &goal_ids {
        *counts.get_mut(status[id].as_str()).unwrap() += 1;
    }

    // Terminal summary: 主要指标：已达标 N，…
    let line = summary.lines().find(|l| l.starts_with("主要指标：")).expect("summary line");
    for (label, n) in &counts {
        assert!(line.contains(&format!("{label} {n}")), "summary {line:?} lacks {label} {n}");
    }

    // Workbook: each indicator's status, the 总览 totals, the projects.
    let path = w.output().join(WORKBOOK);
    for name in ["指标进展", "任务指标"] {
        for row in sheet(&path, name) {
            assert_eq!(row["状态"], status[&row["编号"]], "workbook {name} {}", row["编号"]);
        }
    }
    let mut wb = open_workbook_auto(&path).unwrap();
    let overview = wb.worksheet_range("总览").unwrap();
    let rows: Vec<Vec<String>> = overview.rows().map(|r| r.iter().map(cell_text).collect()).collect();
    let head = rows.iter().find(|r| r[0] == "领域").unwrap();
    let total = rows.iter().find(|r| r[0] == "合计").unwrap();
    for (label, n) in &counts {
        let col = head.iter().position(|h| h == label).unwrap_or_else(|| panic!("总览 lacks {label}"));
        assert_eq!(total[col], n.to_string(), "总览 {label}");
    }
    let projects: BTreeMap<String, BTreeMap<String, String>> =
        sheet(&path, "项目进展").into_iter().map(|r| (r["编号"].clone(), r)).collect();

    // Report: the overview sentence, every indicator's row, every project's row.
    let report = w.output().join(REPORT);
    let flat: String = pdf_text(&report, false).split_whitespace().collect();
    let sentence: String = labels().iter().map(|l| format!("{l}{}项", counts[l])).collect::<Vec<_>>().join("，");
    assert!(flat.contains(&format!("{YEAR}年{sentence}")), "report overview lacks {sentence}");
    let layout = pdf_text(&report, true);
    let rows = table_rows(&layout, &ids);
    for id in &ids {
        let row = rows.get(id).unwrap_or_else(|| panic!("report has no row for {id}"));
        assert_eq!(row.last().unwrap(), &status[id], "report row {id}: {row:?}");
    }
    let pids: Vec<String> = plan.projects.iter().map(|p| p.id.clone()).collect();
    let prow = table_rows(&layout, &pids);
    for id in &pids {
        let row = prow.get(id).unwrap_or_else(|| panic!("report has no row for {id}"));
        let book = &projects[id];
        let progress = if book["形象进度(%)"] == "—" { "—".to_string() } else { format!("{}%", book["形象进度(%)"]) };
        let n = row.len();
        assert_eq!((&row[n - 2], &row[n - 1]), (&progress, &book["项目状态"]), "project {id}: report {row:?} vs workbook {book:?}");
    }

    // Feedback sheets: each unit's indicators, with the same statuses.
    for unit in plan.reporting_units() {
        let pdf = w.output().join("反馈单").join(format!("{}_{YEAR}年度填报数据反馈单.pdf", unit.name));
        let rows = table_rows(&pdf_text(&pdf, true), &ids);
        for ind in plan.indicators_of(&unit.name) {
            let row = rows.get(&ind.id).unwrap_or_else(|| panic!("{}: no row for {}", unit.name, ind.id));
            assert_eq!(row.last().unwrap(), &status[&ind.id], "{} feedback row {}", unit.name, ind.id);
        }
    }
}
