//! The summary workbook: reopened with calamine sheet by sheet, converted by LibreOffice
//! where installed, byte-identical across runs, and cell text never turned into formulas.

use crate::common;

use calamine::{open_workbook_auto, Data, Range, Reader};

/// Rows of a sheet whose header is in `header_row`, as column-name → cell.
fn records(range: &Range<Data>, header_row: usize) -> Vec<std::collections::HashMap<String, Data>> {
    let rows: Vec<&[Data]> = range.rows().collect();
    let header: Vec<String> = rows[header_row].iter().map(|d| d.to_string()).collect();
    rows[header_row + 1..].iter().map(|r| header.iter().cloned().zip(r.iter().cloned()).collect()).collect()
}

fn s(text: &str) -> Data {
    Data::String(text.to_string())
}

#[test]
fn workbook_sheets_hold_the_numbers_and_statuses() {
    let w = common::run_case("skeleton");
    let path = w.output().join(common::WORKBOOK_2024);
    let names = open_workbook_auto(&path).unwrap().sheet_names();
    assert_eq!(names, ["总览", "指标进展", "任务指标", "部门填报情况", "项目进展", "数据问题清单", "变更记录", "数据明细"]);

    let goals = records(&common::sheet_range(&path, "指标进展"), 0);
    assert_eq!(goals.len(), 30);
    let g = |id: &str| goals.iter().find(|r| r["编号"] == s(id)).unwrap_or_else(|| panic!("{id}"));
    assert_eq!((g("G01")["2024年"].clone(), g("G01")["状态"].clone()), (Data::Float(3.9), s("滞后于序时进度")));
    assert_eq!((g("G14")["2024年"].clone(), g("G14")["状态"].clone()), (Data::Float(2.95), s("已达标")));
    assert_eq!(g("G17")["2023年"], Data::Float(41.0), "上年值 of the 2024 return stands for 2023");
    assert_eq!(g("G05")["状态"], s("无数据"));
    assert_eq!(g("G05")["2024年"], s("—"));
    assert_eq!(g("G01")["数据来源"], s("指标填报!H4（市卫生健康局_2024年度填报表.xlsx）"));

    let tasks = records(&common::sheet_range(&path, "任务指标"), 0);
    let t11 = tasks.iter().find(|r| r["编号"] == s("T11")).unwrap();
    assert_eq!((t11["2024年"].clone(), t11["状态"].clone(), t11["判定方式"].clone()), (Data::Float(3.2), s("已达标"), s("不高于")));

    let units = records(&common::sheet_range(&path, "部门填报情况"), 0);
    let health = units.iter().find(|r| r["责任单位"] == s("市卫生健康局")).unwrap();
    assert_eq!(health["已报送（份）"], Data::Float(1.0));
    assert_eq!(health["应报送填报表（份）"], Data::Float(2.0)); // 2023 and 2024
    assert_eq!(health["本年已报（项）"], Data::Float(4.0)); // G01, G14, G15, T11 of the 14 it leads
    let projects = records(&common::sheet_range(&path, "项目进展"), 0);
    assert_eq!(projects.len(), 26);

    let findings = records(&common::sheet_range(&path, "数据问题清单"), 0);
    let corrupt = findings.iter().find(|r| r["文件"] == s("损坏的文件.xlsx")).unwrap();
    assert_eq!(corrupt["严重程度"], s("错误"));
    // Sorted by unit, then severity.
    let units_in_order: Vec<String> = findings.iter().map(|r| r["填报单位"].to_string()).collect();
    let mut sorted = units_in_order.clone();
    sorted.dedup();
    let mut again = sorted.clone();
    again.sort_by_key(|u| units_in_order.iter().position(|x| x == u));
    assert_eq!(sorted, again, "each unit's findings stand together");

    let detail_range = common::sheet_range(&path, "数据明细");
    let header: Vec<String> = detail_range.rows().next().unwrap().iter().map(|d| d.to_string()).collect();
    assert_eq!(
        header,
        [
            "文件",
            "工作表",
            "单元格",
            "填报单位",
            "年度",
            "类别",
            "指标编号",
            "指标名称",
            "原始填写",
            "数值",
            "单位",
            "备注",
            "是否采用",
            "未采用原因"
        ]
    );
    let detail = records(&detail_range, 0);
    let g21 = detail.iter().find(|r| r["指标编号"] == s("G21") && r["类别"] == s("本年值")).unwrap();
    assert_eq!((g21["原始填写"].clone(), g21["数值"].clone(), g21["单元格"].clone()), (s("2,750"), Data::Float(2750.0), s("H6")));

    let overview = common::sheet_range(&path, "总览");
    let rows: Vec<&[Data]> = overview.rows().collect();
    let head = rows.iter().find(|r| r[0] == s("领域")).expect("header row");
    let total_col = head.iter().position(|d| *d == s("合计")).expect("total column");
    let total = rows.iter().find(|r| r[0] == s("合计")).expect("total row");
    assert_eq!(total[total_col], Data::Float(30.0), "30 goal indicators counted");
    let text: String = rows.iter().flat_map(|r| r.iter().map(|d| d.to_string())).collect();
    assert!(text.contains("输入指纹"), "overview shows the input fingerprint");
    // The date shown is the documents' 成文日期 (the workbook is reproducible: no clock).
    assert!(text.contains("成文日期：") && !text.contains("生成日期"), "{text}");
}

#[test]
fn workbook_is_byte_identical_across_runs() {
    let w = common::run_case("skeleton");
    let first = std::fs::read(w.output().join(common::WORKBOOK_2024)).unwrap();
    let again = w.run(&["run"]);
    assert!(again.status.success());
    assert!(first == std::fs::read(w.output().join(common::WORKBOOK_2024)).unwrap(), "workbook bytes differ between two runs");
}

#[test]
fn workbook_writes_formula_like_text_as_text() {
    let w = common::run_case("hostile_text");
    let path = w.output().join(common::WORKBOOK_2024);
    let mut wb = open_workbook_auto(&path).unwrap();
    for name in wb.sheet_names() {
        let formulas = wb.worksheet_formula(&name).unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "sheet {name} has formulas");
    }
    let detail = records(&common::sheet_range(&path, "数据明细"), 0);
    assert!(detail.iter().any(|r| r["原始填写"] == s("=SUM(A1:A3)")), "raw text kept literally");
    let findings = records(&common::sheet_range(&path, "数据问题清单"), 0);
    assert!(findings.iter().any(|r| r["问题及处理意见"].to_string().contains("#panic() ] *粗体* $x$ @import")));
}

/// A short header ending in its unit (已报送（份）) is on one line: its column is wide
/// enough (wrapped, Excel and LibreOffice broke it inside the bracket).
#[test]
fn workbook_headers_with_a_unit_are_not_broken_inside_it() {
    let w = common::run_case("skeleton");
    let book = w.output().join(common::WORKBOOK_2024);
    let parts = common::parts(&book);
    let names = calamine::open_workbook_auto(&book).unwrap().sheet_names();
    let mut checked = 0;
    for (k, name) in names.iter().enumerate() {
        let xml = &parts[&format!("xl/worksheets/sheet{}.xml", k + 1)];
        // <col min="3" max="3" width="11.7109375" ...>
        let width = |col: usize| -> f64 {
            xml.split("<col ")
                .skip(1)
                .find_map(|c| {
                    let attr = |a: &str| c.split(&format!("{a}=\"")).nth(1)?.split('"').next().map(str::to_string);
                    let (min, max): (usize, usize) = (attr("min")?.parse().ok()?, attr("max")?.parse().ok()?);
                    (min..=max).contains(&(col + 1)).then(|| attr("width")?.parse().ok()).flatten()
                })
                .unwrap_or(8.43)
        };
        let range = common::sheet_range(&book, name);
        let Some(header) = range.rows().next() else { continue };
        for (c, cell) in header.iter().enumerate() {
            let text = cell.to_string();
            let one_line: f64 = text.chars().map(|ch| if ch.is_ascii() { 1.0 } else { 2.0 }).sum::<f64>() + 1.0;
            if (text.ends_with('）') || text.ends_with(')')) && one_line <= 24.0 {
                assert!(width(c) >= one_line - 0.01, "{name}: “{text}” in a column {} wide", width(c));
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "{checked} headers checked");
}
