//! Blank return workbooks per unit (`planmon templates`), and a filled return that reads
//! back exactly, also after LibreOffice has opened and saved it.

use crate::common;

use std::io::Read;

use calamine::{open_workbook_auto, Data, Reader};
use planmon::plan::Plan;

fn sheet_xml(path: &std::path::Path, part: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    zip.by_name(part).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn templates_one_protected_form_per_unit() {
    let w = common::Workdir::new("skeleton");
    let out = w.run(&["templates", "--year", "2025", "--output", "forms"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let plan = Plan::embedded().unwrap();
    for unit in plan.reporting_units() {
        let path = w.path().join("forms").join(format!("{}_2025年度填报表.xlsx", unit.name));
        assert!(path.is_file(), "{}", path.display());
        let mut wb = open_workbook_auto(&path).unwrap();
        let leads_projects = plan.projects.iter().any(|p| p.responsible[0] == unit.name);
        let leads_tasks = plan.tasks.iter().any(|t| t.lead_unit() == unit.name);
        let mut expected = vec!["填报说明", "指标填报"];
        if leads_projects {
            expected.push("项目进展");
        }
        // Every unit writes its work per area; the leads of key tasks say how far they are.
        expected.push("工作进展");
        if leads_tasks {
            expected.push("重点任务");
        }
        assert_eq!(wb.sheet_names(), expected, "{}", unit.name);
        let areas: Vec<String> = wb.worksheet_range("工作进展").unwrap().rows().skip(3).map(|r| r[0].to_string()).collect();
        assert_eq!(areas, plan.areas_of(&unit.name), "{}: one row per area", unit.name);
        let notes: String = wb.worksheet_range("填报说明").unwrap().rows().map(|r| r[0].to_string()).collect();
        assert!(notes.contains("2026年1月31日前报送仁怀市发展和改革局"), "deadline and whom to send to: {notes}");
        let range = wb.worksheet_range("指标填报").unwrap();
        let ids: Vec<String> =
            range.rows().skip(3).map(|r| r[1].to_string()).filter(|s| s.starts_with('G') || s.starts_with('T')).collect();
        let owned: Vec<String> = plan.indicators_of(&unit.name).iter().map(|i| i.id.clone()).collect();
        assert_eq!(ids, owned, "{}", unit.name);
        assert_eq!(range.get_value((1, 2)), Some(&Data::String(unit.name.clone())), "填报单位 filled in");
    }
    // Protection, unlocked input cells, validation with the unit in the input message.
    let health = w.path().join("forms/市卫生健康局_2025年度填报表.xlsx");
    let xml = sheet_xml(&health, "xl/worksheets/sheet2.xml");
    assert!(xml.contains("<sheetProtection"), "indicator sheet not protected");
    assert!(xml.contains("<dataValidation type=\"decimal\""), "no decimal validation");
    assert!(xml.contains("promptTitle=\"G01（个）\""), "no input title with the unit");
    assert!(xml.contains("百分比直接填数字，如 94.5 表示 94.5%") || xml.contains("单位：个"), "no input message");
    assert!(sheet_xml(&health, "xl/styles.xml").contains("locked=\"0\""), "no unlocked cells");
    let projects = sheet_xml(&health, "xl/worksheets/sheet3.xml");
    assert!(projects.contains("type=\"list\"") && projects.contains("前期工作,在建,已完工,已投入使用,暂停"), "status dropdown");
}

#[test]
fn the_instructions_wrap_within_their_column_and_every_line_shows() {
    let w = common::Workdir::new("skeleton");
    let out = w.run(&["templates", "--year", "2025", "--output", "forms"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let path = w.path().join("forms/市卫生健康局_2025年度填报表.xlsx");
    let xml = sheet_xml(&path, "xl/worksheets/sheet1.xml");
    let width: f64 =
        xml.split("<col ").nth(1).and_then(|c| c.split("width=\"").nth(1)).and_then(|v| v.split('"').next()).unwrap().parse().unwrap();
    assert!(width <= 90.0, "the column fits an A4 page: {width}");
    // Each row's height against the lines its text takes wrapped at that width.
    let heights: std::collections::HashMap<u32, f64> = xml
        .split("<row ")
        .skip(1)
        .filter_map(|r| {
            let r = format!(" {}", r.split('>').next()?);
            let attr = |name: &str| r.split(&format!(" {name}=\"")).nth(1)?.split('"').next().map(str::to_string);
            Some((attr("r")?.parse().ok()?, attr("ht")?.parse().ok()?))
        })
        .collect();
    let range = open_workbook_auto(&path).unwrap().worksheet_range("填报说明").unwrap();
    let mut long = 0;
    for (r, row) in range.rows().enumerate() {
        let text = row[0].to_string();
        let lines = planmon::text::wrapped_lines(&text, width);
        if lines > 1.0 {
            long += 1;
        }
        let ht = heights.get(&(r as u32 + 1)).copied().unwrap_or(15.0);
        assert!(ht >= 15.0 * lines - 0.01, "row {}: {lines} lines in {ht} pt: {text}", r + 1);
        assert!(xml.contains("wrapText=\"1\"") || sheet_xml(&path, "xl/styles.xml").contains("wrapText=\"1\""), "wrapped");
    }
    assert!(long >= 2, "the long instructions take several lines");
}

#[test]
fn templates_prefill_last_years_values() {
    let w = common::Workdir::new("skeleton");
    assert!(w.run(&["templates", "--year", "2025", "--output", "forms"]).status.success());
    let mut wb = open_workbook_auto(w.path().join("forms/市卫生健康局_2025年度填报表.xlsx")).unwrap();
    let range = wb.worksheet_range("指标填报").unwrap();
    let g01 = range.rows().find(|r| r[1] == Data::String("G01".into())).unwrap();
    assert_eq!(g01[6], Data::Float(3.9), "2024 figure of the fixture as 上年值");
    assert_eq!(g01[7], Data::Empty, "this year's value left to fill");
}

#[test]
fn templates_filled_return_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::filled_return(dir.path());
    let got = common::figures(&path);
    assert!(got.contains(&"市卫生健康局 G01 2025 H4 Some(4.75)".to_string()), "{got:?}");
    assert!(got.contains(&"市卫生健康局 G01 2024 G4 Some(4.2)".to_string()), "{got:?}");
    assert!(got.contains(&"P13 Some(9000.0) Some(80.0) 在建".to_string()), "{got:?}");
    assert!(got.contains(&"Some(\"2026-01-12\")".to_string()), "{got:?}");
    assert!(got.contains(&"市卫生健康局 病有所医 新建县域医疗次中心2个。|人才不足。|加快建设。".to_string()), "{got:?}");
    assert!(got.contains(&"K01 Done 2025年12月通过评审".to_string()), "{got:?}");
    assert!(got.contains(&"K02 InProgress ".to_string()), "{got:?}");
    assert_eq!(got.iter().filter(|s| s.starts_with("市卫生健康局") && s.contains(" Some(")).count(), 8);
}
