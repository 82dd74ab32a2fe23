//! `planmon plan import` (issue 19): the plan's 附件1 and 附件2 from the office's files
//! in xlsx, xls, ods and docx (two header rows, merged 领域 cells, a unit in brackets,
//! full-width digits); export → import exact; a plan of another period end to end.
//! Fixtures: tests/fixtures/attachments (make_fixtures.py `attachments`).

use std::path::Path;

use planmon::attachments::{export, import};
use planmon::plan::{Indicator, Plan, Project};
use planmon::text::fmt_num;

use crate::common;

/// Every field of an imported indicator but where it came from.
fn fields(i: &Indicator) -> String {
    let milestones: Vec<String> = i.milestones.iter().map(|(y, v)| format!("{y}:{}", fmt_num(*v, 6))).collect();
    format!(
        "{} {:?} {} | {} | {} | {} {} | {} | {} | {} | {}",
        i.id,
        i.seq,
        i.area,
        i.name,
        i.unit,
        i.comparison.as_str(),
        fmt_num(i.target, 6),
        i.baseline.map(|v| fmt_num(v, 6)).unwrap_or_else(|| "-".into()),
        milestones.join(","),
        i.attribute,
        i.responsible.join("、")
    )
}

fn project_fields(p: &Project) -> String {
    format!(
        "{} {} | {} | {} | {} | {:?} {} | {}",
        p.id,
        p.area,
        p.name,
        p.goal,
        p.investment.map(|v| fmt_num(v, 6)).unwrap_or_else(|| "-".into()),
        p.due,
        p.period,
        p.responsible.join("、")
    )
}

#[test]
fn attachments_import_from_xlsx_xls_ods_and_docx() {
    let plan = Plan::embedded().unwrap();
    for ext in ["xlsx", "xls", "ods", "docx"] {
        let file = common::fixtures("attachments").join(format!("方案附件.{ext}"));
        let imported = import::import(&plan, std::slice::from_ref(&file)).unwrap_or_else(|e| panic!("{ext}: {e}"));
        let t = imported.indicators.as_ref().unwrap_or_else(|| panic!("{ext}: no 附件1"));
        assert_eq!((t.start, t.end, t.baseline_year), (2023, 2025, 2022), "{ext}");
        assert_eq!(t.title, "仁怀市公共服务发展行动方案(2023—2025年)", "{ext}");
        let merged = import::merge(&plan, &imported);
        let goals: Vec<String> = merged.indicators.iter().filter(|i| i.kind == planmon::plan::IndicatorKind::Goal).map(fields).collect();
        assert_eq!(
            goals,
            [
                "G01 Some(1) 幼有所育 | 每千人口拥有3岁以下婴幼儿托位数 | 个 | at_least 4.5 | 2.5 | 2024:3.8 | 预期性 | 市卫生健康局",
                "G03 Some(2) 学有所教 | 学前教育毛入园率 | % | at_least 93 | 90 |  | 约束性 | 市教育体育局",
                "G04 Some(3) 学有所教 | 普惠性幼儿园覆盖率 | % | at_least 90 | 85 |  | 预期性 | 市教育体育局",
                "T11 Some(4) 病有所医 | 婴儿死亡率 | ‰ | at_most 5 | 4.2 |  | 约束性 | 市卫生健康局",
                "G11 Some(5) 劳有所得 | 累计开展职业技能培训 | 人次 | cumulative 9000 | - | 2024:6000 | 预期性 | 市人力资源和社会保障局",
                "G12 Some(6) 劳有所得 | 城镇常住居民人均可支配收入年增长率 | % | annual_rate 7 | 7.5 |  | 预期性 | 市人力资源和社会保障局、市统计局",
            ],
            "{ext}"
        );
        assert_eq!(imported.new_units, ["市统计局"], "{ext}");
        let g11 = merged.indicators.iter().find(|i| i.id == "G11").unwrap();
        assert_eq!(g11.note, "2023年起累计", "{ext}");
        // The row in the sheet (two title rows above the table) or in the Word table.
        let place = if ext == "docx" { "表1，第7行" } else { "附件1，第9行" };
        assert_eq!(g11.origin, format!("方案附件.{ext}，{place}"), "{ext}");
        assert!(!g11.aliases.is_empty(), "{ext}: the current row's aliases are kept");
        let p09 = merged.projects.iter().find(|p| p.id == "P09").unwrap();
        assert!(p09.origin.starts_with(&format!("方案附件.{ext}，")), "{ext}: {}", p09.origin);
        let projects: Vec<String> = merged.projects.iter().map(project_fields).collect();
        assert_eq!(
            projects,
            [
                "P01 幼有所育 | 市妇幼保健院托育中心项目 | 新建托位200个 | 3000 | Some(2024) 2023—2024 | 市卫生健康局",
                "P27 幼有所育 | 市第二托育综合服务中心 | 新建托位150个 | 2500 | Some(2025)  | 市卫生健康局",
                "P09 学有所教 | 仁怀五中迁建项目 | 新建校舍4.2万平方米 | 18000 | Some(2025) 2023—2025 | 市教育体育局",
            ],
            "{ext}"
        );
    }
}

/// export → import gives the same tables, for the workbook and the Word document;
/// importing the current tables changes nothing.
#[test]
fn attachments_export_then_import_is_exact() {
    let plan = Plan::embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [("附件.xlsx", export::xlsx(&plan).unwrap()), ("附件.docx", export::docx(&plan).unwrap())] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let imported = import::import(&plan, &[path]).unwrap();
        let merged = import::merge(&plan, &imported);
        assert_eq!(import::changes(&plan, &merged), Vec::<String>::new(), "{name}");
        assert_eq!(
            merged.indicators.iter().map(fields).collect::<Vec<_>>(),
            plan.indicators.iter().map(fields).collect::<Vec<_>>(),
            "{name}"
        );
        assert_eq!(
            merged.projects.iter().map(project_fields).collect::<Vec<_>>(),
            plan.projects.iter().map(project_fields).collect::<Vec<_>>(),
            "{name}"
        );
        assert_eq!(
            (merged.start, merged.end, merged.baseline_year, merged.title.as_str()),
            (plan.start, plan.end, plan.baseline_year, plan.title.as_str())
        );
    }
}

fn work_with_templates() -> common::Workdir {
    let w = common::Workdir::empty();
    let out = w.run(&["init", "."]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    w
}

/// The command: shows what changes, writes only with --write (keeping the old tables),
/// and the run then uses the imported table: 指标属性 and where the table came from in
/// the report and the workbook, the base value as the baseline, a unit's 上年值 that
/// differs from it a finding naming the cell.
#[test]
fn attachments_import_command_writes_and_the_run_uses_the_table() {
    let w = work_with_templates();
    let file = common::fixtures("attachments").join("方案附件.xlsx");
    let before = std::fs::read(w.path().join("templates/indicators.toml")).unwrap();
    let out = w.run(&["plan", "import", &file.display().to_string()]);
    let text = common::stdout(&out);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(text.contains("修改指标 G03 学前教育毛入园率：目标 94 %（保持水平） → 93 %（达到或超过）"), "{text}");
    assert!(text.contains("删除指标 G02") && text.contains("新增责任单位 市统计局") && text.contains("未写入"), "{text}");
    assert_eq!(std::fs::read(w.path().join("templates/indicators.toml")).unwrap(), before, "nothing written without --write");

    let out = w.run(&["plan", "import", "--write", &file.display().to_string()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let backups: Vec<_> = std::fs::read_dir(w.path().join("templates"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("indicators.toml.") && e.file_name().to_string_lossy().ends_with(".bak"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(std::fs::read(backups[0].path()).unwrap(), before, "the old table kept");
    let again = w.run(&["plan", "import", &file.display().to_string()]);
    assert!(common::stdout(&again).contains("没有变化"), "{}", common::stdout(&again));

    // A 2023 return whose 上年值 (2022) of G01 differs from the base value 2.5.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["指标名称", "计量单位", "上年值", "本年完成值"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "每千人口拥有3岁以下婴幼儿托位数").unwrap();
    ws.write_string(1, 1, "个").unwrap();
    ws.write_number(1, 2, 2.7).unwrap();
    ws.write_number(1, 3, 3.1).unwrap();
    wb.save(w.input().join("市卫生健康局_2023年度填报表.xlsx")).unwrap();
    let out = w.run(&["run", "--year", "2023"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let findings = w.csv("findings.csv");
    let f = findings.iter().find(|f| f["code"] == "baseline_differs").unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!((f["file"].as_str(), f["cell"].as_str(), f["indicator_id"].as_str()), ("市卫生健康局_2023年度填报表.xlsx", "C2", "G01"));
    assert!(f["message"].contains("2.7") && f["message"].contains("2.5"), "{}", f["message"]);
    let p = w.csv("progress.csv").into_iter().find(|r| r["indicator_id"] == "G01" && r["year"] == "2023").unwrap();
    assert_eq!(p["baseline"], "2.5", "the base value of 附件1 is the baseline");
    let report = common::pdf_text(&w.output().join("仁怀市公共服务发展行动方案实施进展报告（2023年度）.pdf"), false);
    let flat: String = report.split_whitespace().collect();
    assert!(flat.contains("导入自方案附件.xlsx"), "{report}");
    assert!(flat.contains("学前教育毛入园率（约束性）"), "{report}");
}

/// A plan of another period and size: 2026—2030, 40 indicators in 7 areas, made here as
/// the office would export it; imported, then templates for the units, a return read,
/// the report written for it.
#[test]
fn attachments_another_plan_runs_end_to_end() {
    let w = work_with_templates();
    let areas = ["幼有所育", "学有所教", "劳有所得", "病有所医", "老有所养", "住有所居", "弱有所扶"];
    let units = ["市卫生健康局", "市教育体育局", "市人力资源和社会保障局", "市卫生健康局", "市民政局", "市住房城乡建设局", "市残联"];
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "仁怀市公共服务发展规划(2026—2030年)主要发展指标表").unwrap();
    for (c, h) in ["序号", "领域", "指标名称", "单位", "2025年（基期值）", "2030年（目标值）", "指标属性", "责任单位"].iter().enumerate()
    {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    for k in 0..40u32 {
        let r = k + 2;
        let a = (k as usize) % 7;
        ws.write_number(r, 0, (k + 1) as f64).unwrap();
        ws.write_string(r, 1, areas[a]).unwrap();
        ws.write_string(r, 2, format!("{}新指标{:02}", areas[a], k + 1)).unwrap();
        ws.write_string(r, 3, "%").unwrap();
        ws.write_number(r, 4, 80.0).unwrap();
        ws.write_string(r, 5, "≥90").unwrap();
        ws.write_string(r, 6, if k % 3 == 0 { "约束性" } else { "预期性" }).unwrap();
        ws.write_string(r, 7, units[a]).unwrap();
    }
    let file = w.path().join("2026-2030附件1.xlsx");
    wb.save(&file).unwrap();
    let out = w.run(&["plan", "import", "--write", "2026-2030附件1.xlsx"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(common::stdout(&out).contains("40 项指标，2026—2030年，基期2025年"), "{}", common::stdout(&out));

    let plan = Plan::load(Some(&w.path().join("templates"))).unwrap();
    assert_eq!((plan.start, plan.end, plan.baseline_year, plan.indicators.len()), (2026, 2030, 2025, 40));
    assert_eq!(plan.areas().len(), 7);
    assert!(plan.tasks.is_empty() && plan.projects.is_empty(), "the old plan's tasks and projects are not this plan's");
    assert!(
        plan.rules.ranges.iter().all(|r| r.ids.is_empty()),
        "a range rule of the old plan's G01… does not follow the id to another indicator"
    );

    let out = w.run(&["templates", "--year", "2026", "--output", "填报表"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(w.path().join("填报表").read_dir().unwrap().count() >= 5);

    // 市民政局's return for 2026, in the shape of its template.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["指标名称", "计量单位", "本年完成值"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let mine: Vec<&Indicator> = plan.indicators.iter().filter(|i| i.lead_unit() == "市民政局").collect();
    for (k, i) in mine.iter().enumerate() {
        ws.write_string(k as u32 + 1, 0, &i.name).unwrap();
        ws.write_string(k as u32 + 1, 1, "%").unwrap();
        ws.write_number(k as u32 + 1, 2, 84.0).unwrap();
    }
    wb.save(w.input().join("市民政局_2026年度填报表.xlsx")).unwrap();
    let out = w.run(&["run", "--year", "2026"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let progress = w.csv("progress.csv");
    assert_eq!(progress.len(), 40);
    for i in &mine {
        let p = progress.iter().find(|p| p["indicator_id"] == i.id).unwrap();
        assert_eq!((p["value"].as_str(), p["baseline"].as_str()), ("84", "80"), "{}", i.id);
    }
    let report = std::fs::read_dir(w.output())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("实施进展报告（2026年度）.pdf"))
        .expect("the report");
    let report = common::pdf_text(&report, false);
    let flat: String = report.split_whitespace().collect();
    assert!(flat.contains("2026—2030"), "{report}");
    assert!(Path::new(&w.output()).join("反馈单").is_dir());
}

/// Another common shape: areas as heading rows across the table, bare year columns
/// (2022年 | 2025年: base and target), a 年均增长 column giving the target of a growth
/// indicator, 序号 written “1.”.
#[test]
fn attachments_area_rows_and_bare_year_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let rows: [[&str; 7]; 6] = [
        ["序号", "指标名称", "单位", "2022年", "2025年", "年均增长（%）", "责任单位"],
        ["一、幼有所育", "", "", "", "", "", ""],
        ["1.", "每千人口拥有3岁以下婴幼儿托位数", "个", "2.5", "4.5", "", "市卫生健康局"],
        ["二、劳有所得", "", "", "", "", "", ""],
        ["2.", "城镇常住居民人均可支配收入年增长率", "%", "", "", "7", "市人社局"],
        ["3.", "累计开展职业技能培训", "人次", "", "9000", "", "市人社局"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
    }
    let path = dir.path().join("附件1.xlsx");
    wb.save(&path).unwrap();
    let plan = Plan::embedded().unwrap();
    let imported = import::import(&plan, &[path]).unwrap();
    let t = imported.indicators.as_ref().unwrap();
    assert_eq!((t.start, t.end, t.baseline_year), (2023, 2025, 2022));
    let merged = import::merge(&plan, &imported);
    let goals: Vec<String> = merged.indicators.iter().filter(|i| i.kind == planmon::plan::IndicatorKind::Goal).map(fields).collect();
    assert_eq!(
        goals,
        [
            "G01 Some(1) 幼有所育 | 每千人口拥有3岁以下婴幼儿托位数 | 个 | at_least 4.5 | 2.5 |  |  | 市卫生健康局",
            "G12 Some(2) 劳有所得 | 城镇常住居民人均可支配收入年增长率 | % | annual_rate 7 | - |  |  | 市人力资源和社会保障局",
            "G11 Some(3) 劳有所得 | 累计开展职业技能培训 | 人次 | cumulative 9000 | - |  |  | 市人力资源和社会保障局",
        ]
    );
}

/// A Word 附件1 with its title in the table's first row, a spaced-out header (指 标),
/// no 领域 column (rows keep their areas), “<5”, and a target in words (not imported,
/// said so).
#[test]
fn attachments_word_table_with_title_row_and_no_area_column() {
    use docx_rs::{Docx, Paragraph, Run, Table, TableCell, TableRow};
    let cell = |t: &str| TableCell::new().add_paragraph(Paragraph::new().add_run(Run::new().add_text(t)));
    let row = |cells: &[&str]| TableRow::new(cells.iter().map(|t| cell(t)).collect());
    let rows = vec![
        TableRow::new(vec![cell("附件1　仁怀市公共服务发展行动方案(2023—2025年)主要发展指标").grid_span(6)]),
        row(&["序号", "指 标", "单位", "基期值", "目标值", "责任单位"]),
        row(&["1", "学前教育毛入园率", "%", "90", "≥95", "市教体局"]),
        row(&["2", "婴儿死亡率", "‰", "4.5", "<5", "卫健局"]),
        row(&["3", "逐步提高服务水平", "—", "—", "逐步提高", "市民政局"]),
    ];
    let mut bytes = std::io::Cursor::new(Vec::new());
    Docx::new().add_table(Table::new(rows)).build().pack(&mut bytes).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("附件1.docx");
    std::fs::write(&path, bytes.into_inner()).unwrap();
    let plan = Plan::embedded().unwrap();
    let imported = import::import(&plan, &[path]).unwrap();
    assert_eq!(imported.skipped, ["附件1.docx，表1，第5行：“逐步提高服务水平”的目标值“逐步提高”不是数字，未导入。"]);
    let merged = import::merge(&plan, &imported);
    let goals: Vec<String> = merged.indicators.iter().filter(|i| i.kind == planmon::plan::IndicatorKind::Goal).map(fields).collect();
    assert_eq!(
        goals,
        [
            "G03 Some(1) 学有所教 | 学前教育毛入园率 | % | at_least 95 | 90 |  |  | 市教育体育局",
            "T11 Some(2) 病有所医 | 婴儿死亡率 | ‰ | at_most 5 | 4.5 |  |  | 市卫生健康局",
        ]
    );
}
