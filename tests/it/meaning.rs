//! Read what the unit meant (issue 28): one fixture per class in tests/fixtures/meaning/,
//! named after it, and a test of the same name — number formats in every format, note
//! markers, hidden cells, part-year returns, years and layouts written another way, what
//! is not data, ids that point elsewhere, units by their full names, restatements.

use std::collections::HashMap;

use crate::common::{self, stderr, stdout, Workdir};

/// A work folder holding these fixtures of the `meaning` case, run once.
fn run(files: &[&str], args: &[&str]) -> Workdir {
    let w = Workdir::empty();
    for f in files {
        std::fs::copy(common::fixtures("meaning").join(f), w.input().join(f)).unwrap();
    }
    let mut all = vec!["run"];
    all.extend(args);
    let out = w.run(&all);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    w
}

type Row = HashMap<String, String>;

fn figure<'a>(obs: &'a [Row], file: &str, cell: &str) -> &'a Row {
    obs.iter()
        .find(|o| o["file"] == file && o["cell"] == cell && o["kind"] == "本年值")
        .unwrap_or_else(|| panic!("{file} {cell}: {obs:#?}"))
}

/// The figure used for an indicator and year (progress.csv).
fn used(w: &Workdir, id: &str, year: i32) -> String {
    w.csv("progress.csv")
        .into_iter()
        .find(|p| p["indicator_id"] == id && p["year"] == year.to_string())
        .map(|p| p["value"].clone())
        .unwrap_or_default()
}

fn finding<'a>(findings: &'a [Row], code: &str, file: &str) -> &'a Row {
    findings.iter().find(|f| f["code"] == code && f["file"] == file).unwrap_or_else(|| panic!("no {code} for {file}: {findings:#?}"))
}

#[test]
fn percent_format() {
    for ext in ["xlsx", "xls", "ods", "xlsb"] {
        let file = format!("percent_format.{ext}");
        let w = run(&[&file], &[]);
        let obs = w.csv("observations.csv");
        // 0.635 shown as 63.5%; 96.34567 shown as 96.3 (0.0); 2950 as it is.
        assert_eq!(figure(&obs, &file, "H4")["value"], "63.5", "{ext}");
        assert_eq!(figure(&obs, &file, "H5")["value"], "96.3", "{ext}");
        assert_eq!(figure(&obs, &file, "H7")["value"], "2950", "{ext}");
        assert_eq!(used(&w, "G02", 2025), "63.5", "{ext}");
        let findings = w.csv("findings.csv");
        assert!(!findings.iter().any(|f| f["code"] == "fraction_as_percent"), "{ext}: {findings:#?}");
        assert!(finding(&findings, "percent_format", &file)["message"].contains("63.5%"), "{ext}");
        assert!(finding(&findings, "shown_precision", &file)["message"].contains("96.34567"), "{ext}");
    }
}

#[test]
fn note_markers() {
    let w = run(&["note_markers.xlsx"], &[]);
    let obs = w.csv("observations.csv");
    for (cell, value) in [("H4", "96.3"), ("H5", "58.5"), ("H6", "100"), ("H7", "2950")] {
        assert_eq!(figure(&obs, "note_markers.xlsx", cell)["value"], value, "{cell}");
    }
    let findings = w.csv("findings.csv");
    let notes: Vec<&Row> = findings.iter().filter(|f| f["code"] == "note_marker").collect();
    assert_eq!(notes.len(), 4, "{notes:#?}");
    assert!(notes.iter().any(|f| f["cell"] == "H4" && f["message"].contains("“②”")));
}

#[test]
fn provisional() {
    let w = run(&["provisional.xlsx"], &[]);
    assert_eq!(used(&w, "G02", 2025), "96.3");
    let progress = w.csv("progress.csv");
    let g02 = progress.iter().find(|p| p["indicator_id"] == "G02" && p["year"] == "2025").unwrap();
    assert!(g02["note"].contains("预计"), "{g02:?}");
    let findings = w.csv("findings.csv");
    assert!(findings.iter().any(|f| f["code"] == "approximate" && f["cell"] == "H4" && f["message"].contains("预计")));
}

#[test]
fn hidden_cells() {
    for ext in ["xlsx", "xls", "ods", "xlsb"] {
        let file = format!("hidden_cells.{ext}");
        let w = run(&[&file], &[]);
        // The visible figures are used; the hidden column, row and sheet are not.
        assert_eq!(used(&w, "G02", 2025), "97", "{ext}");
        assert_eq!(used(&w, "G17", 2025), "58.5", "{ext}");
        assert_eq!(used(&w, "G20", 2025), "", "{ext}: the hidden row is not used");
        let obs = w.csv("observations.csv");
        let k4 = figure(&obs, &file, "K4");
        assert_eq!((k4["used"].as_str(), k4["not_used_because"].as_str()), ("否", "hidden"), "{ext}");
        let findings = w.csv("findings.csv");
        let differs: Vec<&Row> = findings.iter().filter(|f| f["code"] == "hidden_differs").collect();
        assert!(differs.iter().any(|f| f["message"].contains("K4") && f["message"].contains("H4")), "{ext}: {differs:#?}");
        assert!(findings.iter().any(|f| f["code"] == "hidden_cells"), "{ext}");
        if ext != "xlsb" {
            // The xlsb fixture (written record by record) has no second sheet.
            assert!(findings.iter().any(|f| f["code"] == "hidden_sheet" && f["sheet"] == "旧表"), "{ext}: {findings:#?}");
        }
        assert!(!findings.iter().any(|f| f["sheet"] == "旧表" && f["code"] != "hidden_sheet"), "{ext}: the hidden sheet's own problems");
    }
    // check lists what was hidden.
    let w = Workdir::empty();
    let out = w.run(&["check", common::fixtures("meaning").join("hidden_cells.xlsx").to_str().unwrap()]);
    assert!(stdout(&out).contains("隐藏的数据（未采用）：K4"), "{}", stdout(&out));
}

#[test]
fn part_year() {
    let files = ["part_year_title.xlsx", "市民政局_2025年前三季度填报表.xlsx", "part_year_column.xlsx"];
    let w = run(&files, &[]);
    let obs = w.csv("observations.csv");
    for (file, cell) in [("part_year_title.xlsx", "H4"), ("市民政局_2025年前三季度填报表.xlsx", "H4"), ("part_year_column.xlsx", "C4")]
    {
        let o = figure(&obs, file, cell);
        assert_eq!((o["used"].as_str(), o["not_used_because"].as_str()), ("否", "part_year"), "{file} {cell}");
    }
    // The whole year's column is the one used; no part of a year stands for the year.
    assert_eq!(used(&w, "G02", 2025), "99");
    assert_eq!(used(&w, "G21", 2025), "2960");
    let findings = w.csv("findings.csv");
    for file in files {
        assert!(finding(&findings, "part_year", file)["message"].contains("不是全年数据"), "{file}");
    }
    // A part-year return alone is not the year's return: 市民政局 2025 still missing.
    let alone = run(&["part_year_title.xlsx"], &[]);
    let findings = alone.csv("findings.csv");
    assert!(
        findings.iter().any(|f| f["code"] == "missing_return" && f["department"] == "市民政局" && f["message"].contains("2025")),
        "{findings:#?}"
    );
    assert_eq!(used(&alone, "G02", 2025), "");
}

#[test]
fn sheet_per_year() {
    let w = run(&["sheet_per_year.xlsx"], &[]);
    assert_eq!(used(&w, "G17", 2024), "52");
    assert_eq!(used(&w, "G17", 2025), "58");
}

#[test]
fn chinese_numeral_year() {
    let w = run(&["chinese_numeral_year.xlsx"], &[]);
    assert_eq!(used(&w, "G17", 2025), "57.5");
}

#[test]
fn side_by_side_tables() {
    let w = run(&["side_by_side_tables.xlsx"], &[]);
    for (id, v) in [("G02", "99"), ("G17", "58"), ("G20", "100"), ("G21", "2960")] {
        assert_eq!(used(&w, id, 2025), v, "{id}");
    }
    assert!(!w.csv("findings.csv").iter().any(|f| f["code"] == "conflict" || f["code"] == "unknown_indicator"));
}

#[test]
fn stacked_tables() {
    let w = run(&["stacked_tables.xlsx"], &[]);
    for (id, v) in [("G02", "99"), ("G17", "58"), ("G21", "2960")] {
        assert_eq!(used(&w, id, 2025), v, "{id}");
    }
}

#[test]
fn full_unit_name() {
    let w = run(&["full_unit_name.xlsx"], &[]);
    let obs = w.csv("observations.csv");
    assert_eq!(figure(&obs, "full_unit_name.xlsx", "H4")["department"], "市残联");
    assert!(!w.csv("findings.csv").iter().any(|f| f["code"] == "unit_not_registered"));
}

#[test]
fn old_template_ids() {
    let w = run(&["old_template_ids.xlsx"], &[]);
    // The names decide: 99 is G02's, 58 is G17's — never swapped by the old ids.
    assert_eq!(used(&w, "G02", 2025), "99");
    assert_eq!(used(&w, "G17", 2025), "58");
    let findings = w.csv("findings.csv");
    let warned: Vec<&Row> = findings.iter().filter(|f| f["code"] == "id_name_disagree").collect();
    assert_eq!(warned.len(), 2, "{warned:#?}");
    assert!(warned.iter().all(|f| f["severity"] == "warning" && f["message"].contains("按名称采用")));
}

#[test]
fn instructions_sheet() {
    let w = run(&["instructions_sheet.xlsx"], &[]);
    assert_eq!(used(&w, "G17", 2025), "58", "the example on 填报说明 is not a figure");
    assert!(!w.csv("observations.csv").iter().any(|o| o["sheet"] == "填报说明"));
}

#[test]
fn totals_rows() {
    let w = run(&["totals_rows.xlsx"], &[]);
    assert_eq!(used(&w, "G21", 2025), "2960");
    let obs = w.csv("observations.csv");
    assert!(!obs.iter().any(|o| o["raw"] == "5920" || o["raw"] == "9999"), "a total was read as a figure");
}

#[test]
fn same_period_column() {
    let w = run(&["same_period_column.xlsx"], &[]);
    assert_eq!(used(&w, "G17", 2025), "58");
    let obs = w.csv("observations.csv");
    let d4 = figure_any(&obs, "same_period_column.xlsx", "D4");
    assert_eq!((d4["year"].as_str(), d4["kind"].as_str()), ("2024", "上年值"));
}

fn figure_any<'a>(obs: &'a [Row], file: &str, cell: &str) -> &'a Row {
    obs.iter().find(|o| o["file"] == file && o["cell"] == cell).unwrap_or_else(|| panic!("{file} {cell}"))
}

#[test]
fn partners_as_columns() {
    let w = run(&["partners_as_columns.xlsx"], &[]);
    let obs = w.csv("observations.csv");
    assert_eq!(figure(&obs, "partners_as_columns.xlsx", "C3")["department"], "市民政局");
    assert_eq!(figure(&obs, "partners_as_columns.xlsx", "D3")["department"], "市残联");
    assert!(!w.csv("findings.csv").iter().any(|f| f["code"] == "not_a_return"));
}

#[test]
fn merged_across_rows() {
    let w = run(&["merged_across_rows.xlsx"], &[]);
    assert_eq!(used(&w, "G02", 2025), "", "a figure merged over two indicators is nobody's");
    assert_eq!(used(&w, "G17", 2025), "");
    assert_eq!(used(&w, "G21", 2025), "2960");
    let findings = w.csv("findings.csv");
    let f = finding(&findings, "merged_across_rows", "merged_across_rows.xlsx");
    assert_eq!(f["severity"], "error");
    assert!(f["message"].contains("H4:H5"), "{f:?}");
    let o = figure(&w.csv("observations.csv"), "merged_across_rows.xlsx", "H4").clone();
    assert_eq!(o["not_used_because"], "ambiguous");
}

#[test]
fn restated_figures() {
    let w = run(&["restated_2024.xlsx", "restating_2025.xlsx"], &[]);
    // The year's own return keeps priority; the restatement stays in the data, marked.
    assert_eq!(used(&w, "G17", 2024), "52");
    assert_eq!(used(&w, "G17", 2025), "58");
    let obs = w.csv("observations.csv");
    let c4 = figure(&obs, "restating_2025.xlsx", "C4");
    assert_eq!((c4["used"].as_str(), c4["not_used_because"].as_str()), ("否", "restated"));
    let own = figure(&obs, "restated_2024.xlsx", "H5");
    assert_eq!(own["used"], "是", "the own figure is not replaced as an older version");
    let findings = w.csv("findings.csv");
    let r = finding(&findings, "restated", "restating_2025.xlsx");
    assert!(r["message"].contains("52") && r["message"].contains("53.5") && r["message"].contains("restated_2024.xlsx"), "{r:?}");
    assert!(!findings.iter().any(|f| f["code"] == "superseded" || f["code"] == "conflict"), "{findings:#?}");
    // Alone, the restatement is the figure there is.
    let alone = run(&["restating_2025.xlsx"], &[]);
    assert_eq!(used(&alone, "G17", 2024), "53.5");
}

#[test]
fn total_column() {
    let file = "住建局2025年度（含城建集团）_total_column.xlsx";
    let w = run(&[file], &[]);
    // The 合计 is the lead unit's figure; the shares beside it are parts of it.
    assert_eq!(used(&w, "G24", 2025), "1894");
    let obs = w.csv("observations.csv");
    assert_eq!(figure(&obs, file, "E3")["department"], "市住房城乡建设局");
    let share = figure(&obs, file, "D3");
    assert_eq!((share["used"].as_str(), share["not_used_because"].as_str()), ("否", "part_of_total"));
}

#[test]
fn partner_column() {
    let (lead, own) = ("民政局2025年度_partner_column.xlsx", "组织部2025年度_own.xlsx");
    let w = run(&[lead, own], &[]);
    // The partner's own return comes first; the lead's file is no version of it.
    assert_eq!(used(&w, "G30", 2025), "30.8");
    let obs = w.csv("observations.csv");
    assert_eq!(figure(&obs, own, "C4")["used"], "是", "{obs:#?}");
    let partner = figure(&obs, lead, "D4");
    assert_eq!((partner["used"].as_str(), partner["not_used_because"].as_str()), ("否", "restated"));
    let findings = w.csv("findings.csv");
    assert!(!findings.iter().any(|f| f["code"] == "superseded"), "{findings:#?}");
    let r = finding(&findings, "restated", lead);
    assert!(r["message"].contains("30.2") && r["message"].contains("30.8"), "{r:?}");
}

#[test]
fn explained_figures() {
    let file = "explained_figures.xlsx";
    let w = run(&[file], &[]);
    assert_eq!(used(&w, "G21", 2025), "2930");
    assert_eq!(used(&w, "G02", 2025), "100");
    // A column of estimates: used, marked as such.
    assert_eq!(used(&w, "G17", 2025), "59");
    let progress = w.csv("progress.csv");
    assert!(progress.iter().any(|p| p["indicator_id"] == "G17" && p["year"] == "2025" && p["note"].contains("预计")));
    let findings = w.csv("findings.csv");
    assert!(findings.iter().any(|f| f["code"] == "note_marker" && f["cell"] == "C4" && f["message"].contains("含在建120张")));
    assert!(!findings.iter().any(|f| f["code"] == "year_unknown" || f["code"] == "not_a_number"), "{findings:#?}");
}
