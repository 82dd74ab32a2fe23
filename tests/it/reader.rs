//! Reading returns as people really send them: one fixture per layout or value rule
//! (tests/fixtures/layouts, formats, unreadable), each with a test of the same name
//! asserting the exact observations and findings.

use crate::common;

use planmon::plan::Plan;
use planmon::read::{self, ObsKind};
use planmon::text::fmt_num;
use planmon::validate;

/// (observations as "ID YEAR CELL VALUE", findings as "severity code CELL"), for one file.
fn read_case(dir: &str, name: &str) -> (Vec<String>, Vec<String>, String) {
    let plan = Plan::embedded().unwrap();
    let path = common::fixtures(dir).join(name);
    assert!(path.is_file(), "fixture {name} missing");
    let out = read::read_files(&plan, &[path]);
    let obs = out
        .observations
        .iter()
        .filter(|o| o.kind == ObsKind::Current)
        .map(|o| format!("{} {} {} {}", o.indicator_id, o.year, o.cell, o.value.map(|v| fmt_num(v, 6)).unwrap_or_else(|| "-".into())))
        .collect();
    let mut findings = out.findings.clone();
    findings.extend(validate::validate_values(&plan, &out.observations, &out.projects).unwrap());
    let codes = findings.iter().map(|f| format!("{} {} {}", f.severity.as_str(), f.code.as_str(), f.cell).trim_end().to_string()).collect();
    let unit = out.files.first().map(|f| format!("{} {:?}", f.department, f.year)).unwrap_or_default();
    (obs, codes, unit)
}

fn layout(name: &str) -> (Vec<String>, Vec<String>, String) {
    read_case("layouts", name)
}

#[test]
fn title_rows_above() {
    // Title rows, 填报单位 in a cell (full name with 仁怀市), columns in any order, extra columns.
    let (obs, findings, unit) = layout("title_rows_above.xlsx");
    assert_eq!(obs, ["G15 2024 C6 3.3", "T11 2024 C7 3.1"]);
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(unit, "市卫生健康局 Some(2024)");
}

#[test]
fn two_row_merged_header() {
    // A merged 2024年 over 目标 / 实际完成: the 实际完成 column of each year, unit from the file name.
    let (obs, findings, unit) = layout("市民政局_two_row_merged_header.xlsx");
    assert_eq!(obs, ["G17 2024 E4 52.5", "G17 2025 G4 58", "G21 2024 E5 2750", "G21 2025 G5 2910"]);
    assert!(findings.is_empty(), "{findings:?}");
    assert!(unit.starts_with("市民政局"));
}

#[test]
fn header_word_variants() {
    // 编号 / 指标项目 / 计量单位 / 实际值, the unit as a short name (教体局), year from the title.
    let (obs, findings, unit) = layout("header_word_variants.xlsx");
    assert_eq!(obs, ["G03 2024 D4 95.2", "G08 2024 D5 2880"]);
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(unit, "市教育体育局 Some(2024)");
}

#[test]
fn wide_years() {
    // One column per year: one observation per year.
    let (obs, findings, _) = layout("市人社局_wide_years.xlsx");
    assert_eq!(
        obs,
        ["G11 2023 C2 3100", "G11 2024 D2 6200", "G11 2025 E2 9400", "T04 2023 C3 78.5", "T04 2024 D3 79.6", "T04 2025 E3 81.2"]
    );
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn match_by_seq_only() {
    // No names, only the 附件1 序号.
    let (obs, findings, _) = layout("市民政局_2024_match_by_seq_only.xlsx");
    assert_eq!(obs, ["G17 2024 C2 51.5", "G21 2024 C3 2760"]);
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn name_normalisation() {
    // A unit written inside the name: 基本医疗保险参保率（%）.
    let (obs, findings, _) = layout("市医保局_2024年度_name_normalisation.xlsx");
    assert_eq!(obs, ["G16 2024 B2 96.1"]);
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn name_variants() {
    // Full-width brackets, stray spaces, an alias (千人口托位数), a unit suffix.
    let (obs, findings, _) = layout("市卫生健康局_2024年度_name_variants.xlsx");
    assert_eq!(obs, ["G14 2024 B2 2.9", "G15 2024 B3 3.4", "G01 2024 B4 4.1", "T14 2024 B5 78.5"]);
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn unknown_indicator() {
    // A name that matches nothing: a finding naming it and the nearest indicator; the
    // 填报人 line at the foot is not an indicator.
    let plan = Plan::embedded().unwrap();
    let out = read::read_files(&plan, &[common::fixtures("layouts").join("市卫生健康局_2024年度_unknown_indicator.xlsx")]);
    assert!(out.observations.is_empty());
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!((f.code.as_str(), f.cell.as_str()), ("unknown_indicator", "A2"));
    assert!(f.message.contains("每千人口拥有执业医生数") && f.message.contains("G14"), "{}", f.message);
}

#[test]
fn unit_from_sheet_name() {
    let (obs, findings, unit) = layout("2024年填报_unit_from_sheet_name.xlsx");
    assert_eq!(obs, ["T04 2024 B2 80.5"]);
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(unit, "市人力资源和社会保障局 Some(2024)");
}

#[test]
fn no_unit_no_year() {
    // Neither the unit nor the year can be found: findings, not guesses.
    let (obs, findings, _) = layout("no_unit_no_year.xlsx");
    assert!(obs.is_empty(), "{obs:?}");
    assert_eq!(findings, ["error year_unknown", "error unit_unknown"]);
}

#[test]
fn value_spellings() {
    let (obs, findings, _) = layout("市教育体育局_2024年度_value_spellings.xlsx");
    assert_eq!(
        obs,
        [
            "G03 2024 C2 94.5",  // ９４．５％
            "G04 2024 C3 91.2",  // 91.2%以上
            "G05 2024 C4 95",    // 约95
            "G06 2024 C5 -",     // /
            "G07 2024 C6 -",     // 暂无
            "G08 2024 C7 2880",  // 2,880
            "G09 2024 C8 -",     // —
            "G10 2024 C9 -",     // blank: no figure, never zero
            "G29 2024 C10 2.31"  // 2.31平方米
        ]
    );
    assert_eq!(findings, ["warning approximate C3", "warning approximate C4"]);
    let (obs, findings, _) = layout("市文化旅游局_2024年度_value_spellings.xlsx");
    assert_eq!(obs, ["G28 2024 C2 3.6"]); // 3.6万次 in a 万次 indicator
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn unit_mismatch() {
    // 户 for 套: kept with a warning; 个 for %: cannot be converted, refused.
    let (obs, findings, _) = layout("市住房城乡建设局_2024年度_unit_mismatch.xlsx");
    assert_eq!(obs, ["G24 2024 C2 1894", "G23 2024 C3 -"]);
    assert_eq!(findings, ["warning unit_mismatch C2", "error unit_mismatch C3"]);
}

#[test]
fn percent_as_fraction() {
    // 0.945 typed in a percentage indicator is flagged; 0.92 shown as 92% (cell format) is 92.
    let (obs, findings, _) = layout("市教育体育局_2024年度_percent_as_fraction.xlsx");
    assert_eq!(obs, ["G03 2024 C2 0.945", "G04 2024 C3 92"]);
    assert_eq!(findings, ["info percent_format C3", "error fraction_as_percent C2"]);
}

#[test]
fn formula_cached() {
    // A formula saved with its result (by LibreOffice): the result is read.
    let (obs, findings, _) = layout("市医保局_2024年度_formula_cached.xlsx");
    assert_eq!(obs, ["G16 2024 B2 95.5"]);
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn formula_without_value() {
    // A formula saved without a result: a finding, not a zero.
    let (obs, findings, _) = layout("市医保局_2024年度_formula_without_value.xlsx");
    assert_eq!(obs, ["G16 2024 B2 -"]);
    assert_eq!(findings, ["error formula_without_value B2"]);
}

#[test]
fn empty_workbook() {
    let (obs, findings, _) = layout("empty_workbook.xlsx");
    assert!(obs.is_empty());
    assert_eq!(findings, ["error empty_workbook"]);
}

#[test]
fn formats_xls_ods_xlsm_read_the_same() {
    // The same return saved by LibreOffice as xls, ods and xlsm reads exactly as the xlsx.
    let (expected, _, _) = read_case("formats", "市卫生健康局_2024年度填报表.xlsx");
    assert_eq!(expected.len(), 4);
    for ext in ["xls", "ods", "xlsm"] {
        let (obs, findings, unit) = read_case("formats", &format!("市卫生健康局_2024年度填报表.{ext}"));
        assert_eq!(obs, expected, "{ext}");
        assert!(findings.is_empty(), "{ext}: {findings:?}");
        assert_eq!(unit, "市卫生健康局 Some(2024)", "{ext}");
    }
}

#[test]
fn unreadable_files_say_why() {
    let cases = [
        ("加密的填报表.xlsx", "encrypted", "加密"),
        ("截断的填报表.xlsx", "corrupt", "文件损坏"),
        ("其实是文本.xlsx", "not_a_spreadsheet", "内容不是表格文件"),
        ("空表.xlsx", "empty_workbook", "空表"),
    ];
    for (name, code, words) in cases {
        let plan = Plan::embedded().unwrap();
        let out = read::read_files(&plan, &[common::fixtures("unreadable").join(name)]);
        assert_eq!(out.findings.len(), 1, "{name}: {:?}", out.findings);
        let f = &out.findings[0];
        assert_eq!((f.code.as_str(), f.severity.as_str()), (code, "error"), "{name}");
        assert!(f.message.contains(words) && f.file.ends_with(name), "{name}: {}", f.message);
        assert_eq!(out.files[0].status, planmon::read::Fate::Rejected);
    }
}

#[test]
fn unreadable_files_do_not_stop_the_batch() {
    let w = common::Workdir::new("unreadable");
    let out = w.run(&["run"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let obs = w.csv("observations.csv");
    assert!(obs.iter().any(|o| o["file"] == "市卫生健康局_2024年度填报表.xlsx" && o["indicator_id"] == "G01"));
    let findings = w.csv("findings.csv");
    for name in ["加密的填报表.xlsx", "截断的填报表.xlsx", "其实是文本.xlsx", "空表.xlsx"] {
        assert!(findings.iter().any(|f| f["file"] == name && f["severity"] == "error"), "{name}");
    }
}

/// WPS's .et/.ett: read by content (a compound file as .xls, a package as .xlsx), the same
/// figures as the .xlsx; a WPS-only file is a warning asking for .xlsx, and the batch goes on.
#[test]
fn wps_et_files_are_read_or_sent_back_for_xlsx() {
    let w = common::Workdir::empty();
    let formats = common::fixtures("formats");
    std::fs::copy(formats.join("市卫生健康局_2024年度填报表.xls"), w.input().join("市卫生健康局_2024年度填报表.et")).unwrap();
    std::fs::copy(formats.join("市卫生健康局_2024年度填报表.xlsx"), w.input().join("市卫生健康局_2023年度填报表.ETT")).unwrap();
    // A compound file with no workbook stream: what WPS writes in its own format.
    let mut own = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    std::io::Write::write_all(&mut own.create_stream("/WpsContent").unwrap(), b"WPS").unwrap();
    std::fs::write(w.input().join("市民政局_2024年度填报表.et"), own.into_inner().into_inner()).unwrap();
    std::fs::write(w.input().join("市残联_2024年度填报表.et"), "不是表格").unwrap();

    let plan = Plan::embedded().unwrap();
    let (expected, _, _) = read_case("formats", "市卫生健康局_2024年度填报表.xlsx");
    let et = read::read_files(&plan, &[w.input().join("市卫生健康局_2024年度填报表.et")]);
    let got: Vec<String> = et
        .observations
        .iter()
        .filter(|o| o.kind == ObsKind::Current)
        .map(|o| format!("{} {} {} {}", o.indicator_id, o.year, o.cell, o.value.map(|v| fmt_num(v, 6)).unwrap_or_else(|| "-".into())))
        .collect();
    assert_eq!(got, expected, "an .et that is an .xls inside reads like the .xlsx");
    assert!(et.findings.is_empty(), "{:?}", et.findings);

    let out = w.run(&["run"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    // Both hold 市卫生健康局's 2024 return (the .ETT is a copy of the .xlsx): both are
    // read, and one is the other's version.
    let m: serde_json::Value = serde_json::from_slice(&w.read_output("manifest.json")).unwrap();
    let input = |name: &str| m["inputs"].as_array().unwrap().iter().find(|i| i["file"] == name).unwrap().clone();
    for file in ["市卫生健康局_2024年度填报表.et", "市卫生健康局_2023年度填报表.ETT"] {
        let i = input(file);
        assert!(i["figures"].as_u64().unwrap() > 5 && (i["status"] == "已读取" || i["status"] == "已被替代"), "{file} read: {i}");
    }
    let obs = w.csv("observations.csv");
    assert!(obs.iter().any(|o| o["file"].ends_with(".et") || o["file"].ends_with(".ETT")));
    let findings = w.csv("findings.csv");
    for file in ["市民政局_2024年度填报表.et", "市残联_2024年度填报表.et"] {
        let f = findings.iter().find(|f| f["file"] == file).unwrap_or_else(|| panic!("{file}: no finding"));
        assert_eq!((f["severity"].as_str(), f["code"].as_str()), ("warning", "wps_format"), "{file}");
        assert!(f["message"].contains("另存为") && f["message"].contains("xlsx"), "{}", f["message"]);
    }
    let m: serde_json::Value = serde_json::from_slice(&w.read_output("manifest.json")).unwrap();
    let status = |name: &str| m["inputs"].as_array().unwrap().iter().find(|i| i["file"] == name).unwrap()["status"].clone();
    assert_eq!(status("市民政局_2024年度填报表.et"), "已拒收");
    assert_eq!(status("市卫生健康局_2023年度填报表.ETT"), "已读取", "the newer copy");
}

// More shapes (issue 18): each fixture in tests/fixtures/layouts is made by
// make_fixtures.py `shapes`, and its test has the fixture's name.

/// What the read stage says of one file: its returns and how each sheet was read.
fn file_info(name: &str) -> read::InputFile {
    let plan = Plan::embedded().unwrap();
    let out = read::read_files(&plan, &[common::fixtures("layouts").join(name)]);
    out.files.into_iter().next().expect("one file")
}

fn covers(f: &read::InputFile) -> Vec<String> {
    f.covers.iter().map(|c| format!("{} {}", c.department, c.year)).collect()
}

/// Observations with their unit: "ID YEAR CELL VALUE UNIT".
fn by_unit(name: &str) -> Vec<String> {
    let plan = Plan::embedded().unwrap();
    let out = read::read_files(&plan, &[common::fixtures("layouts").join(name)]);
    out.observations
        .iter()
        .map(|o| {
            format!(
                "{} {} {} {} {}",
                o.indicator_id,
                o.year,
                o.cell,
                o.value.map(|v| fmt_num(v, 6)).unwrap_or_else(|| "-".into()),
                o.department
            )
        })
        .collect()
}

#[test]
fn indicators_as_columns_years() {
    // A 横表: indicator names across, 2024年 / 2025年 down, the unit in brackets after
    // each name; the 2025年目标值 row is not a year's figures.
    let name = "市卫生健康局_indicators_as_columns_years.xlsx";
    let (obs, findings, unit) = layout(name);
    assert_eq!(obs, ["G01 2024 B4 3.6", "T11 2024 C4 3.2", "T14 2024 D4 78.1", "G01 2025 B5 4.2", "T11 2025 C5 3", "T14 2025 D5 78.6"]);
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(unit, "市卫生健康局 Some(2025)");
    let f = file_info(name);
    assert_eq!(covers(&f), ["市卫生健康局 2024", "市卫生健康局 2025"]);
    let l = &f.layouts[0];
    assert_eq!(l.orientation, read::Orientation::IndicatorColumns);
    assert_eq!(l.years, [2024, 2025]);
    assert_eq!(l.unit_sources, ["表头“每千人口拥有3岁以下婴幼儿托位数（个）”", "表头“婴儿死亡率（‰）”", "表头“人均预期寿命（岁）”"]);
}

#[test]
fn indicators_as_columns_units() {
    // A 横表 with one reporting unit per row (a 填报单位 column): each row's figures are
    // that unit's, the year from the title; “/” is no figure.
    let name = "2025年度_indicators_as_columns_units.xlsx";
    assert_eq!(by_unit(name), ["G17 2025 B3 58 市民政局", "G25 2025 C3 99.5 市民政局", "G17 2025 B4 - 市残联", "G25 2025 C4 99.5 市残联"]);
    let (_, findings, _) = layout(name);
    assert!(findings.is_empty(), "{findings:?}");
    let f = file_info(name);
    assert_eq!(covers(&f), ["市民政局 2025", "市残联 2025"]);
    assert_eq!(f.layouts[0].units, ["市民政局", "市残联"]);
    assert_eq!(f.layouts[0].unit_sources, ["未写（按指标表的计量单位）"]);
}

#[test]
fn indicators_as_columns_unit_row() {
    // Units of measure on a row under the names; years typed as numbers.
    let name = "市教育体育局_indicators_as_columns_unit_row.xlsx";
    let (obs, findings, _) = layout(name);
    assert_eq!(
        obs,
        ["G03 2024 B3 94.8", "G08 2024 C3 2880", "G29 2024 D3 2.3", "G03 2025 B4 95.6", "G08 2025 C4 2950", "G29 2025 D4 2.45"]
    );
    assert!(findings.is_empty(), "{findings:?}");
    let f = file_info(name);
    assert_eq!(covers(&f), ["市教育体育局 2024", "市教育体育局 2025"]);
    assert_eq!(f.layouts[0].unit_sources, ["表头下一行“%”", "表头下一行“人”", "表头下一行“平方米”"]);
}

#[test]
fn indicators_as_columns_ambiguous() {
    // Rows labelled 城区 / 农村, and one with no label among several: nothing is guessed.
    let (obs, findings, _) = layout("市卫生健康局_2025年度_indicators_as_columns_ambiguous.xlsx");
    assert!(obs.is_empty(), "{obs:?}");
    assert_eq!(findings, ["error row_label_unknown A2", "error row_label_unknown A3", "error row_label_unknown A4"]);
    let plan = Plan::embedded().unwrap();
    let out = read::read_files(&plan, &[common::fixtures("layouts").join("市卫生健康局_2025年度_indicators_as_columns_ambiguous.xlsx")]);
    assert!(out.findings[0].message.contains("横表") && out.findings[0].message.contains("“城区”"), "{}", out.findings[0].message);
    assert!(out.findings.iter().all(|f| f.message.contains("年份")), "the finding says which shape was expected");
    assert!(out.files[0].covers.is_empty());
}

#[test]
fn unit_in_value_header() {
    // No unit column: 本年完成（万人次） converts 1.05 to 10500 人次.
    let name = "市人力资源和社会保障局_2025年度_unit_in_value_header.xlsx";
    let (obs, findings, _) = layout(name);
    assert_eq!(obs, ["G11 2025 B2 10500"]);
    assert_eq!(findings, ["info unit_converted B2"]);
    assert_eq!(file_info(name).layouts[0].unit_sources, ["表头“本年完成（万人次）”"]);
}

#[test]
fn unit_line_above() {
    // 单位：个 above the table applies to every row; where it cannot be the indicator's
    // unit (婴儿死亡率 is ‰) the figure is refused, not taken as ‰.
    let name = "市卫生健康局_2025年度_unit_line_above.xlsx";
    let (obs, findings, unit) = layout(name);
    assert_eq!(obs, ["T08 2025 B4 2", "T09 2025 B5 3", "T11 2025 B6 -"]);
    assert_eq!(findings, ["error unit_mismatch B6"]);
    assert_eq!(unit, "市卫生健康局 Some(2025)", "单位：个 is not taken for the reporting unit");
    assert_eq!(file_info(name).layouts[0].unit_sources, ["表格上方“单位：个”"]);
}

#[test]
fn unit_in_name_brackets() {
    // （套） after a name is its unit; （户） is kept with a warning (the plan mixes 套 and
    // 户); the brackets of 县级妇幼保健重点(特色)专科 elsewhere are part of names.
    let name = "市住房城乡建设局_2025年度_unit_in_name_brackets.xlsx";
    let (obs, findings, _) = layout(name);
    assert_eq!(obs, ["G24 2025 B2 2100", "T17 2025 B3 1500", "G23 2025 B4 100"]);
    assert_eq!(findings, ["warning unit_mismatch B3"]);
    assert_eq!(file_info(name).layouts[0].unit_sources, ["指标名称后的括号"]);
}

#[test]
fn sheet_per_unit() {
    // A lead unit's workbook: a sheet named 市民政局, one named 残联, one with a 填报单位
    // line. Each sheet's figures are its unit's and each unit has sent its 2025 return.
    let name = "市民政局_2025年度_sheet_per_unit.xlsx";
    assert_eq!(
        by_unit(name),
        ["G17 2025 D2 58 市民政局", "G21 2025 D3 2950 市民政局", "G25 2025 D2 99.5 市残联", "T18 2025 D3 12 市委组织部"]
    );
    let (_, findings, _) = layout(name);
    assert!(findings.is_empty(), "no warning that a sheet names another unit than the file: {findings:?}");
    let f = file_info(name);
    assert_eq!(covers(&f), ["市民政局 2025", "市残联 2025", "市委组织部 2025"]);
    assert_eq!(f.layouts.iter().map(|l| l.sheet.as_str()).collect::<Vec<_>>(), ["市民政局", "残联", "Sheet3"]);
}

#[test]
fn multi_year_with_target() {
    // 2023年 / 2024年 / 2025年 columns beside a target column: each year's figure with its
    // year; the empty 2025 column does not count as a 2025 return.
    let name = "市医保局_multi_year_with_target.xlsx";
    let (obs, findings, _) = layout(name);
    assert_eq!(obs, ["G16 2023 D2 95.2", "G16 2024 E2 95.6", "G16 2025 F2 -"]);
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(covers(&file_info(name)), ["市医保局 2023", "市医保局 2024"]);
}

#[test]
fn combined_qualifiers() {
    // 0.35万人次, 约95%以上, a figure between non-breaking spaces.
    let (obs, findings, _) = layout("市人力资源和社会保障局_2025年度_combined_qualifiers.xlsx");
    assert_eq!(obs, ["G11 2025 B2 3500", "T04 2025 B3 95", "G12 2025 B4 6.5"]);
    assert_eq!(findings, ["info unit_converted B2", "warning approximate B3"]);
}

#[test]
fn per_mille_per_100k() {
    // 3.2‰, 11.5/10万 and a figure between a narrow and a normal non-breaking space.
    let (obs, findings, _) = layout("市卫生健康局_2025年度_per_mille_per_100k.xlsx");
    assert_eq!(obs, ["T11 2025 B2 3.2", "T10 2025 B3 11.5", "G15 2025 B4 3.4"]);
    assert!(findings.is_empty(), "{findings:?}");
}

/// Completeness is counted per unit and year from what was read: a workbook with a
/// sheet per unit is three units' returns, a return with 2023–2025 columns three years'.
#[test]
fn completeness_counts_returns_per_unit_and_year() {
    let w = common::Workdir::empty();
    for name in ["市民政局_2025年度_sheet_per_unit.xlsx", "市人社局_wide_years.xlsx", "市医保局_multi_year_with_target.xlsx"]
    {
        std::fs::copy(common::fixtures("layouts").join(name), w.input().join(name)).unwrap();
    }
    let out = w.run(&["run", "--year", "2025"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let missing: Vec<String> =
        w.csv("findings.csv").into_iter().filter(|f| f["code"] == "missing_return").map(|f| f["message"].clone()).collect();
    for unit_year in [
        "市残联2025",
        "市委组织部2025",
        "市民政局2025",
        "市人力资源和社会保障局2023",
        "市人力资源和社会保障局2024",
        "市人力资源和社会保障局2025",
        "市医保局2023",
        "市医保局2024",
    ] {
        assert!(!missing.iter().any(|m| m.contains(unit_year)), "{unit_year} counted as received: {missing:?}");
    }
    for unit_year in ["市医保局2025", "市卫生健康局2025"] {
        assert!(missing.iter().any(|m| m.contains(unit_year)), "{unit_year} not received: {missing:?}");
    }
    // A return missing for 2024 is a problem of the 2024 report, not of 2025's.
    assert!(!missing.iter().any(|m| m.contains("2024年度")), "{missing:?}");
    let earlier = w.run(&["run", "--year", "2024", "--output", w.path().join("o2024").to_str().unwrap()]);
    assert!(earlier.status.success(), "{}", common::stderr(&earlier));
    let findings = std::fs::read(w.path().join("o2024/findings.csv")).unwrap();
    let missing_2024: Vec<String> =
        common::parse_csv(&findings).into_iter().filter(|f| f["code"] == "missing_return").map(|f| f["message"].clone()).collect();
    for unit_year in ["市残联2024", "市民政局2024"] {
        assert!(missing_2024.iter().any(|m| m.contains(unit_year)), "{unit_year} not received: {missing_2024:?}");
    }
    // The partners' feedback sheets do not say that they did not report.
    let sheet = common::pdf_text(&w.output().join("反馈单/市残联_2025年度填报数据反馈单.pdf"), false);
    assert!(sheet.contains("市残联"), "{sheet}");
    assert!(!sheet.contains("未收到市残联2025"), "{sheet}");
    let m: serde_json::Value = serde_json::from_slice(&w.read_output("manifest.json")).unwrap();
    let file = m["inputs"].as_array().unwrap().iter().find(|i| i["file"] == "市民政局_2025年度_sheet_per_unit.xlsx").unwrap().clone();
    assert_eq!(file["covers"].as_array().unwrap().len(), 3, "{file}");
}

/// `planmon check` says how a file was understood: 横表/竖表, where the units of measure
/// came from, the years and units.
#[test]
fn check_shows_recognised_layout() {
    let w = common::Workdir::empty();
    let name = "市卫生健康局_indicators_as_columns_years.xlsx";
    std::fs::copy(common::fixtures("layouts").join(name), w.input().join(name)).unwrap();
    let out = w.run(&["check", &format!("input/{name}")]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    assert!(text.contains("横表（每列一个指标）"), "{text}");
    assert!(text.contains("计量单位取自：表头“每千人口拥有3岁以下婴幼儿托位数（个）”"), "{text}");
    assert!(text.contains("年度：2024、2025"), "{text}");
    assert!(text.contains("本文件含 2 份填报：市卫生健康局2024年度、市卫生健康局2025年度"), "{text}");
    let vertical = w.run(&["check", &common::fixtures("layouts").join("市医保局_multi_year_with_target.xlsx").display().to_string()]);
    let text = common::stdout(&vertical);
    assert!(text.contains("竖表（每行一个指标）；计量单位取自：计量单位列；年度：2023、2024"), "{text}");
}

#[test]
fn indicators_as_columns_unit_names_and_total() {
    // 单位名称 heads a column of unit names (仁怀市民政局), not the sheet's unit; the units
    // of measure in brackets on the row below; the 合计 row is no unit's figures.
    let name = "2025年度_indicators_as_columns_unit_names_and_total.xlsx";
    assert_eq!(by_unit(name), ["G17 2025 B4 58.2 市民政局", "G19 2025 C4 12 市民政局"]);
    let (_, findings, _) = layout(name);
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(file_info(name).layouts[0].unit_sources, ["表头下一行“（%）”", "表头下一行“（人）”"]);
}
