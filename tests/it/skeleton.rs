//! The walking skeleton end to end: fixture returns in, every output out, read back.

use std::path::Path;

use crate::common;

use crate::common::{stdout, Workdir};
use calamine::{open_workbook_auto, Data, Reader};

const REPORT: &str = "仁怀市公共服务发展行动方案实施进展报告（2024年度）.pdf";
const WORKBOOK: &str = "仁怀市公共服务发展行动方案监测汇总表（2024年度）.xlsx";

fn run_skeleton() -> Workdir {
    let w = Workdir::new("skeleton");
    let out = w.run(&["run"]);
    assert!(out.status.success(), "stdout:\n{}\nstderr:\n{}", stdout(&out), common::stderr(&out));
    w
}

#[test]
fn skeleton_writes_every_output() {
    let w = run_skeleton();
    for name in [REPORT, WORKBOOK, "observations.csv", "findings.csv", "progress.csv", "反馈单/市卫生健康局_2024年度填报数据反馈单.pdf"]
    {
        assert!(w.output().join(name).is_file(), "missing output {name}");
    }
}

#[test]
fn skeleton_observations_have_indicator_year_unit_and_cell() {
    let w = run_skeleton();
    let rows = w.csv("observations.csv");
    let find = |id: &str, year: &str, kind: &str| {
        rows.iter()
            .find(|r| r["indicator_id"] == id && r["year"] == year && r["kind"] == kind)
            .unwrap_or_else(|| panic!("no observation {id} {year} {kind} in {rows:#?}"))
    };
    let g01 = find("G01", "2024", "本年值");
    assert_eq!(g01["file"], "市卫生健康局_2024年度填报表.xlsx");
    assert_eq!(g01["sheet"], "指标填报");
    assert_eq!(g01["cell"], "H4");
    assert_eq!(g01["department"], "市卫生健康局");
    assert_eq!(g01["value"], "3.9");
    assert_eq!(g01["unit"], "个");
    assert_eq!(g01["indicator_name"], "每千人口拥有3岁以下婴幼儿托位数");
    let prev = find("G01", "2023", "上年值");
    assert_eq!((prev["cell"].as_str(), prev["value"].as_str()), ("G4", "3.1"));
    // A number stored as text, and one with a thousands separator.
    assert_eq!(find("G15", "2024", "本年值")["value"], "3.2");
    let g21 = find("G21", "2024", "本年值");
    assert_eq!((g21["raw"].as_str(), g21["value"].as_str(), g21["cell"].as_str()), ("2,750", "2750", "H6"));
    assert_eq!(find("G17", "2024", "本年值")["department"], "市民政局");
}

#[test]
fn skeleton_corrupt_workbook_is_a_finding_and_the_rest_goes_on() {
    let w = run_skeleton();
    let findings = w.csv("findings.csv");
    let corrupt: Vec<_> = findings.iter().filter(|f| f["file"] == "损坏的文件.xlsx").collect();
    assert_eq!(corrupt.len(), 1, "{findings:#?}");
    assert_eq!(corrupt[0]["severity"], "error");
    assert!(corrupt[0]["message"].contains("不是表格文件"), "{}", corrupt[0]["message"]);
    let other: Vec<_> = findings.iter().filter(|f| f["file"] == "会议通知.xlsx").collect();
    assert_eq!(other.len(), 1, "{findings:#?}");
    assert_eq!((other[0]["severity"].as_str(), other[0]["code"].as_str()), ("error", "not_a_return"));
    assert!(other[0]["message"].contains("不是填报表"), "{}", other[0]["message"]);
    // The two good returns were still read.
    let obs = w.csv("observations.csv");
    assert!(obs.iter().any(|o| o["department"] == "市卫生健康局"));
    assert!(obs.iter().any(|o| o["department"] == "市民政局"));
}

#[test]
fn skeleton_progress_statuses() {
    let w = run_skeleton();
    let rows = w.csv("progress.csv");
    let status = |id: &str| rows.iter().find(|r| r["indicator_id"] == id && r["year"] == "2024").map(|r| r["status"].clone()).unwrap();
    assert_eq!(status("G02"), "已达标"); // hold at 100%
    assert_eq!(status("G14"), "已达标"); // 2.95 ≥ 2.84
    assert_eq!(status("T11"), "已达标"); // 3.2‰ ≤ 3.5‰, lower is better
    assert_eq!(status("G01"), "滞后于序时进度"); // 3.9 of 4.8, no baseline
    assert_eq!(status("G05"), "无数据");
}

#[test]
fn skeleton_workbook_holds_the_numbers() {
    let w = run_skeleton();
    let mut wb = open_workbook_auto(w.output().join(WORKBOOK)).unwrap();
    let range = wb.worksheet_range("指标进展").unwrap();
    let header: Vec<String> = range.rows().next().unwrap().iter().map(|d| d.to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    let row = range.rows().find(|r| r[col("编号")] == Data::String("G01".into())).unwrap();
    assert_eq!(row[col("2025年目标")], Data::Float(4.8));
    assert_eq!(row[col("2024年")], Data::Float(3.9));
    assert_eq!(row[col("状态")], Data::String("滞后于序时进度".into()));
    let row = range.rows().find(|r| r[col("编号")] == Data::String("G21".into())).unwrap();
    assert_eq!(row[col("2024年")], Data::Float(2750.0));
}

#[test]
fn skeleton_pdf_embeds_fonts_and_holds_chinese_text() {
    let w = run_skeleton();
    let pdf = w.read_output(REPORT);
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    let path = w.output().join(REPORT);
    let path = path.to_str().unwrap();
    {
        // A4 pages.
        let pages = crate::pdf::pages(Path::new(path));
        assert!(!pages.is_empty() && pages.iter().all(|(w, h)| (w - 595.28).abs() < 0.5 && (h - 841.89).abs() < 0.5), "{pages:?}");
        let fonts = crate::pdf::fonts(Path::new(path));
        assert!(!fonts.is_empty(), "no fonts");
        for f in &fonts {
            assert!(f.embedded, "font not embedded: {f:?}");
        }
    }
    {
        let text = crate::common::pdf_text(Path::new(path), true);
        for expected in ["一、总体情况", "三、主要指标完成情况", "幼有所育", "已达标", "仁怀市公共服务发展行动方案实施进展报告"]
        {
            assert!(text.contains(expected), "PDF text lacks {expected}:\n{text}");
        }
    }
}
