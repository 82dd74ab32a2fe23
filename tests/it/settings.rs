//! Settings and plan tables are input too (issue 31): a name that becomes a path is a
//! safe file name or refused where it is written; output names never collide; every
//! setting is checked at start against its stated range; `plan import` is bounded like
//! the reader; a runaway template costs a message; the officer reads Chinese. Each case
//! runs the real binary and checks that nothing is written outside the output folder
//! (or the `--into` folder), and that a refusal says, in Chinese, where and what.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::{stderr, stdout, Workdir};

/// Every path under `dir` (to see that a refused command wrote nothing).
fn tree(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        out.insert(e.path());
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(tree(&e.path()));
        }
    }
    out
}

/// A templates folder `name` beside the input, holding the shipped tables with edits
/// (file, from, to).
fn tables(w: &Workdir, name: &str, edits: &[(&str, &str, &str)]) -> String {
    let dir = w.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for file in ["indicators.toml", "units.toml", "projects.toml", "rules.toml"] {
        let mut text = std::fs::read_to_string(shipped.join(file)).unwrap();
        for (f, from, to) in edits.iter().filter(|(f, _, _)| *f == file) {
            assert!(text.contains(from), "{f}: {from}");
            text = text.replace(from, to);
        }
        std::fs::write(dir.join(file), text).unwrap();
    }
    name.to_string()
}

/// Run `args` in `w`, expect a refusal at start (exit code 2) that writes nothing, and
/// return what it said.
fn refused(w: &Workdir, args: &[&str]) -> String {
    let before = tree(w.path());
    let out = w.run(args);
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: expected a refusal\n{}\n{text}", stdout(&out));
    assert_eq!(tree(w.path()), before, "{args:?}: something was written\n{text}");
    assert!(text.starts_with("错误："), "{args:?}: {text}");
    assert!(!text.contains("panicked") && !text.contains("memory allocation"), "{args:?}: {text}");
    text
}

const BAD_UNIT_NAMES: &[(&str, &str)] = &[
    ("../../../X", "“/”"),
    ("..\\\\..\\\\X", "“\\”"),
    ("/tmp/planmon-escape", "“/”"),
    ("市教育/体育局", "“/”"),
    ("C:\\\\Windows\\\\x", "“:”"),
    ("CON", "保留设备名"),
    ("nul.txt", "保留设备名"),
    ("市民政局.", "以“.”结尾"),
    ("市民政局 ", "空格"),
    ("..", "“..”"),
    (".hidden", "以“.”开头"),
    ("市民\\t政局", "控制字符"),
    ("市民政局?", "“?”"),
];

#[test]
fn settings_unit_names_that_cannot_be_file_names_are_refused_when_the_plan_is_loaded() {
    let w = Workdir::new("skeleton");
    for (bad, why) in BAD_UNIT_NAMES {
        // The unit renamed everywhere: in units.toml, and in the tables naming it.
        let quoted = format!("\"{bad}\"");
        let dir = tables(
            &w,
            "坏单位",
            &[
                ("units.toml", "name = \"市民政局\"", &format!("name = {quoted}")),
                ("indicators.toml", "responsible = [\"市民政局\"]", &format!("responsible = [{quoted}]")),
            ],
        );
        for args in [vec!["run", "--templates", &dir], vec!["templates", "--templates", &dir, "--output", "空白表"]] {
            let text = refused(&w, &args);
            assert!(text.contains("units.toml") && text.contains("不能用作单位名称") && text.contains(why), "{bad}: {text}");
        }
    }
    // Named only in indicators.toml, as a responsible unit: refused there, with the id.
    let dir = tables(&w, "坏责任单位", &[("indicators.toml", "responsible = [\"市民政局\"]", "responsible = [\"市教育/体育局\"]")]);
    let text = refused(&w, &["run", "--templates", &dir]);
    assert!(text.contains("indicators.toml") && text.contains("责任单位“市教育/体育局”不能用作单位名称"), "{text}");
    // Two units one file name apart on Windows: refused.
    let dir = tables(
        &w,
        "大小写",
        &[("units.toml", "name = \"市残联\"", "name = \"市ABC局\""), ("units.toml", "name = \"市民政局\"", "name = \"市abc局\"")],
    );
    let text = refused(&w, &["indicators", "--templates", &dir]);
    assert!(text.contains("只差字母大小写"), "{text}");
}

/// A 附件1 in the shape the office sends, with `responsible` as the 责任单位 of row 3.
fn attachment_xlsx(path: &Path, responsible: &str) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("附件1").unwrap();
    ws.write_string(0, 0, "仁怀市公共服务发展行动方案(2023—2025年)主要发展指标表").unwrap();
    for (c, h) in ["序号", "领域", "指标名称", "单位", "2022年（基期值）", "2025年（目标值）", "责任单位"].iter().enumerate()
    {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    let rows = [
        ("幼有所育", "每千人口拥有3岁以下婴幼儿托位数", "个", "2.5", "4.5", "市卫生健康局"),
        ("学有所教", "学前教育毛入园率", "%", "90", "93", responsible),
    ];
    for (k, (area, name, unit, base, target, unit_name)) in rows.iter().enumerate() {
        let r = k as u32 + 2;
        ws.write_number(r, 0, (k + 1) as f64).unwrap();
        for (c, v) in [area, name, unit, base, target, unit_name].iter().enumerate() {
            ws.write_string(r, c as u16 + 1, **v).unwrap();
        }
    }
    wb.save(path).unwrap();
}

fn work_folder() -> Workdir {
    let w = Workdir::empty();
    let out = w.run(&["init", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    w
}

#[test]
fn settings_unit_names_in_an_imported_attachment_are_refused_with_their_row() {
    let w = work_folder();
    for (bad, why) in [
        ("..\\..\\..\\X", "“\\”"),
        ("../../../X", "“..”"),
        ("市教育\\体育局", "“\\”"),
        ("CON", "保留设备名"),
        ("市统计局.", "以“.”结尾"),
        ("C:\\Windows", "“:”"),
        ("市统计局|x", "“|”"),
    ] {
        let file = w.path().join("附件1.xlsx");
        attachment_xlsx(&file, bad);
        let text = refused(&w, &["plan", "import", "--write", "附件1.xlsx", "--into", "导入"]);
        assert!(text.contains("附件1.xlsx，附件1，第4行") && text.contains("不能用作单位名称") && text.contains(why), "{bad}: {text}");
        std::fs::remove_file(&file).unwrap();
    }
    // A plausible new unit is taken in (and its name is a safe one), written only
    // into the --into folder.
    attachment_xlsx(&w.path().join("附件1.xlsx"), "市统计局");
    let before = tree(w.path());
    let out = w.run(&["plan", "import", "--write", "附件1.xlsx", "--into", "导入"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let new: Vec<PathBuf> = tree(w.path()).difference(&before).cloned().collect();
    assert!(new.iter().all(|p| p.starts_with(w.path().join("导入"))), "{new:?}");
    assert!(std::fs::read_to_string(w.path().join("导入/units.toml")).unwrap().contains("name = \"市统计局\""));
}

#[test]
fn settings_output_names_that_collide_or_windows_cannot_hold_are_refused() {
    let w = Workdir::new("skeleton");
    for (settings, key, why) in [
        ("report_name = \"manifest.json\"", "report_name", "manifest.json"),
        ("report_name = \"history\"", "report_name", "history"),
        ("report_name = \"反馈单\"", "report_name", "反馈单"),
        ("report_name = \".planmon-journal.json\"", "report_name", "以“.”开头"),
        ("workbook_name = \"Findings.CSV\"", "workbook_name", "findings.csv"),
        ("workbook_name = \"MANIFEST.JSON\"", "workbook_name", "manifest.json"),
        ("workbook_name = \"报告.pdf\"", "workbook_name", ".xlsx 结尾"),
        ("report_name = \"CON.pdf\"", "report_name", "保留设备名"),
        ("report_name = \"lpt1.pdf\"", "report_name", "保留设备名"),
        ("report_name = \"报告.pdf \"", "report_name", "空格"),
        ("report_name = \"报告?.pdf\"", "report_name", "“?”"),
        ("report_name = \"报告:2025.pdf\"", "report_name", "“:”"),
        ("report_name = \"<报告>.pdf\"", "report_name", "“<”"),
        ("report_name = \"../报告.pdf\"", "report_name", "“/”"),
        ("report_name = \"子文件夹\\\\报告.pdf\"", "report_name", "“\\”"),
        ("report_name = \"报告{yaer}.pdf\"", "report_name", "{year}"),
    ] {
        std::fs::write(w.path().join("planmon.toml"), format!("{settings}\n")).unwrap();
        let text = refused(&w, &["run"]);
        assert!(text.contains("planmon.toml") && text.contains(key) && text.contains(why), "{settings}: {text}");
    }
    // A name taken by a plan whose title would make the default names unusable.
    std::fs::remove_file(w.path().join("planmon.toml")).unwrap();
    let dir = tables(
        &w,
        "坏标题",
        &[("indicators.toml", "plan = \"仁怀市公共服务发展行动方案(2023—2025年)\"", "plan = \"仁怀市/公共服务方案(2023—2025年)\"")],
    );
    let text = refused(&w, &["run", "--templates", &dir]);
    assert!(text.contains("indicators.toml") && text.contains("方案名称"), "{text}");
}

#[test]
fn settings_out_of_range_are_the_offices_error_at_start() {
    let w = Workdir::new("skeleton");
    for (edit, key) in [
        (("[status]", "serious_lag_ratio = 0.5", "serious_lag_ratio = nan"), "serious_lag_ratio = NaN"),
        (("[status]", "on_track_tolerance = 0.05", "on_track_tolerance = inf"), "on_track_tolerance = inf"),
        (("[status]", "serious_lag_ratio = 0.5", "serious_lag_ratio = 0.99"), "serious_lag_ratio = 0.99"),
        (("[limits]", "seconds_per_file = 60 ", "seconds_per_file = 0 "), "seconds_per_file = 0"),
        (("[limits]", "seconds_per_file = 60 ", "seconds_per_file = 1e300 "), "seconds_per_file = 1e300"),
        (("[limits]", "max_rows = 5000 ", "max_rows = 0 "), "max_rows = 0"),
        (("[limits]", "max_columns = 200 ", "max_columns = 4294967295 "), "max_columns"),
        (("[limits]", "memory_mb_per_file = 1024 ", "memory_mb_per_file = 0 "), "memory_mb_per_file = 0"),
        (("[limits]", "max_file_mb = 50 ", "max_file_mb = -1 "), "max_file_mb = -1"),
        (("[limits]", "max_sheets = 100 ", "max_sheets = 0 "), "max_sheets = 0"),
        (("[limits]", "seconds_per_document = 30 ", "seconds_per_document = 0 "), "seconds_per_document = 0"),
        (("[validate]", "jump_share = 0.5", "jump_share = nan"), "jump_share = NaN"),
        (("[validate]", "deadline = \"01-31\"", "deadline = \"02-30\""), "deadline = \"02-30\""),
        (("[[ranges]]", "min = 40\nmax = 100", "min = 400\nmax = 100"), "min = 400 大于 max = 100"),
        (("[[ranges]]", "min = 40\nmax = 100", "min = nan\nmax = 100"), "min = NaN"),
    ] {
        let ((_, from, to), shown) = (edit, key);
        let dir = tables(&w, "规则", &[("rules.toml", from, to)]);
        let text = refused(&w, &["run", "--templates", &dir]);
        assert!(text.contains("rules.toml") && text.contains(shown) && text.contains("应"), "{to}: {text}");
    }
    // A misspelt limit would silently not apply: refused too.
    let dir = tables(&w, "拼错", &[("rules.toml", "seconds_per_file = 60 ", "seconds_per_fle = 60 ")]);
    let text = refused(&w, &["run", "--templates", &dir]);
    assert!(text.contains("rules.toml") && text.contains("没有名为“seconds_per_fle”的设置项"), "{text}");
    // Small positive limits stay legitimate (the reader's tests use them).
    let dir = tables(
        &w,
        "小上限",
        &[("rules.toml", "seconds_per_file = 60 ", "seconds_per_file = 2 "), ("rules.toml", "max_sheets = 100 ", "max_sheets = 2 ")],
    );
    let out = w.run(&["run", "--templates", &dir]);
    assert!(out.status.success(), "{}", stderr(&out));

    let w = Workdir::new("skeleton");
    for (settings, shown) in [
        ("deadline = \"+1-31\"", "deadline = \"+1-31\""),
        ("deadline = \"02-30\"", "deadline = \"02-30\""),
        ("deadline = \"02-29\"", "2月29日不是每年都有"),
        ("deadline = \"1-31\"", "deadline = \"1-31\""),
        ("date = \"2026-02-30\"", "date = \"2026-02-30\""),
        ("date = \"1969-12-31\"", "1969年12月31日"),
        ("date = \"2022-12-31\"", "2022年12月31日"),
        ("date = \"2199-01-01\"", "2199年1月1日"),
        ("year = 2031", "year = 2031"),
        ("year = 2022", "year = 2022"),
        ("year = -5", "year = -5"),
        ("office = \"仁怀市发展和改革局仁怀市发展和改革局仁怀市发展和改革局仁怀市发展和改革局仁怀市发展和改革局\"", "最多 40 个字"),
        ("office = \"仁怀市\\n发展和改革局\"", "控制字符"),
        ("recipient = \"市人民政府\\u0007\"", "控制字符"),
        ("word = \"yes\"", "值的类型不对"),
        ("offfice = \"规划科\"", "没有名为“offfice”的设置项"),
        ("office = { a = 1 }", "值的类型不对：写的是一组设置"),
    ] {
        std::fs::write(w.path().join("planmon.toml"), format!("{settings}\n")).unwrap();
        let text = refused(&w, &["run"]);
        assert!(text.contains("planmon.toml") && text.contains(shown), "{settings}: {text}");
    }
    std::fs::remove_file(w.path().join("planmon.toml")).unwrap();
    for (args, shown) in [
        (vec!["templates", "--year", "1990", "--output", "空白表"], "命令行 --year 1990"),
        (vec!["run", "--date", "1969-12-31"], "命令行 --date 1969-12-31"),
        (vec!["run", "--year", "2040"], "命令行 --year 2040"),
        (vec!["run", "--date", "2026-02-30"], "2026-02-30"),
    ] {
        let text = refused(&w, &args);
        assert!(text.contains(shown), "{args:?}: {text}");
    }
    // A 50 MB office string: refused by the file's size, at once, without reading it all.
    let mut f = std::fs::File::create(w.path().join("planmon.toml")).unwrap();
    f.write_all(b"office = \"").unwrap();
    let chunk = "局".repeat(1 << 16);
    for _ in 0..(50 << 20) / chunk.len() {
        f.write_all(chunk.as_bytes()).unwrap();
    }
    f.write_all(b"\"\n").unwrap();
    drop(f);
    let t = Instant::now();
    let text = refused(&w, &["run"]);
    assert!(text.contains("planmon.toml") && text.contains("超过") && text.contains("上限"), "{text}");
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    // Not UTF-8 (saved as GBK by Notepad): say so, and how to save it.
    std::fs::write(w.path().join("planmon.toml"), b"office = \"\xb9\xe6\xbb\xae\xbf\xc6\"\n").unwrap();
    let text = refused(&w, &["run"]);
    assert!(text.contains("planmon.toml") && text.contains("UTF-8"), "{text}");
    std::fs::remove_file(w.path().join("planmon.toml")).unwrap();
    let dir = tables(&w, "编码", &[]);
    std::fs::write(w.path().join(&dir).join("units.toml"), b"[[unit]]\nname = \"\xca\xd0\xc3\xf1\xd5\xfe\xbe\xd6\"\n").unwrap();
    let text = refused(&w, &["run", "--templates", &dir]);
    assert!(text.contains("units.toml") && text.contains("UTF-8"), "{text}");
}

#[test]
fn settings_a_year_after_the_plan_runs_with_a_message() {
    let w = Workdir::new("skeleton");
    std::fs::write(w.path().join("planmon.toml"), "year = 2026\n").unwrap();
    let out = w.run(&["run", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("报告年度 2026 年在规划期（2023—2025年）之后"), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(summary["notes"].to_string().contains("期末评估"), "{summary}");
}

/// The shipped indicators.toml with `n` more indicators (copies of G01 under new ids).
fn many_indicators(w: &Workdir, n: usize, own_areas: bool) -> String {
    let dir = tables(w, "大计划", &[]);
    let path = w.path().join(&dir).join("indicators.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    for k in 0..n {
        let area = if own_areas { format!("领域{k}") } else { "幼有所育".to_string() };
        text.push_str(&format!(
            "\n[[indicator]]\nid = \"X{k:05}\"\nkind = \"task\"\narea = \"{area}\"\nname = \"增加的指标{k}\"\nunit = \"个\"\ntarget = 10\ncomparison = \"at_least\"\nresponsible = [\"市卫生健康局\"]\nsource = \"测试\"\n"
        ));
    }
    std::fs::write(path, text).unwrap();
    dir
}

#[test]
fn settings_the_plan_size_is_bounded_and_checked_quickly() {
    let w = Workdir::new("skeleton");
    let dir = many_indicators(&w, 10_000, false);
    let t = Instant::now();
    let text = refused(&w, &["indicators", "--templates", &dir]);
    assert!(text.contains("indicators.toml") && text.contains("应为 1 至 2000 项"), "{text}");
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    // At the limit the plan loads, and a run over it stays bounded.
    let shipped = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/indicators.toml")).unwrap();
    let dir = many_indicators(&w, 100, true);
    let text = refused(&w, &["indicators", "--templates", &dir]);
    assert!(text.contains("个领域（area），最多 100 个"), "{text}");
    let dir = many_indicators(&w, 2_000 - shipped.matches("[[indicator]]").count(), false);
    let t = Instant::now();
    let out = w.run(&["run", "--templates", &dir, "--no-word"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(t.elapsed() < Duration::from_secs(240), "{:?}", t.elapsed());
}

/// A docx of our own making: the parts docx-rs reads, with `document` as its body.
fn docx(path: &Path, document: &[u8]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let deflated = zip::write::SimpleFileOptions::default();
    zip.start_file("[Content_Types].xml", deflated).unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).unwrap();
    zip.start_file("_rels/.rels", deflated).unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#).unwrap();
    zip.start_file("word/document.xml", deflated).unwrap();
    zip.write_all(document).unwrap();
    zip.finish().unwrap();
}

const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

fn cell(text: &str, property: &str) -> String {
    format!("<w:tc><w:tcPr>{property}</w:tcPr><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>")
}

fn header_row() -> String {
    let cells: String = ["指标名称", "单位", "2025年（目标值）", "责任单位"].iter().map(|h| cell(h, "")).collect();
    format!("<w:tr>{cells}</w:tr>")
}

/// A 附件1 table in Word whose second row holds `rows` copies of `row`.
fn word_table(row: &str, rows: usize) -> Vec<u8> {
    let mut body = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document {W}><w:body><w:tbl>{}", header_row());
    for _ in 0..rows {
        body.push_str(row);
    }
    body.push_str("</w:tbl></w:body></w:document>");
    body.into_bytes()
}

/// An ods whose one row is repeated a million times across 16,384 columns: a few
/// hundred bytes that calamine would expand to billions of cells.
fn repeated_ods(path: &Path) {
    let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="附件1"><table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>指标名称</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    zip.start_file("content.xml", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.finish().unwrap();
}

#[test]
fn settings_crafted_plan_import_files_are_refused_in_bounded_time() {
    let w = work_folder();
    let dir = w.path();
    // An xlsx of a few KB with a far cell: a dense grid would be 17 billion cells.
    let far = dir.join("远处单元格.xlsx");
    {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "指标名称").unwrap();
        ws.write_string(0, 1, "2025年（目标值）").unwrap();
        ws.write_string(1, 0, "学前教育毛入园率").unwrap();
        ws.write_string(1, 1, "93").unwrap();
        ws.write_string(1_048_575, 16_383, "远").unwrap();
        wb.save(&far).unwrap();
    }
    assert!(std::fs::metadata(&far).unwrap().len() < 20_000);
    // 100,000 table rows (written a row at a time: the test itself stays small).
    let long = dir.join("十万行.xlsx");
    {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet_with_constant_memory().unwrap();
        ws.write_string(0, 0, "指标名称").unwrap();
        ws.write_string(0, 1, "2025年（目标值）").unwrap();
        ws.write_string(0, 2, "责任单位").unwrap();
        for r in 1..=100_000u32 {
            ws.write_string(r, 0, format!("指标{r}")).unwrap();
            ws.write_number(r, 1, 90.0).unwrap();
            ws.write_string(r, 2, "市卫生健康局").unwrap();
        }
        wb.save(&long).unwrap();
    }
    repeated_ods(&dir.join("重复行.ods"));
    assert!(std::fs::metadata(dir.join("重复行.ods")).unwrap().len() < 2_000);
    // A Word table with an absurd span, and one of 100,000 rows.
    let row = format!("<w:tr>{}{}</w:tr>", cell("学前教育毛入园率", "<w:gridSpan w:val=\"4294967295\"/>"), cell("93", ""));
    docx(&dir.join("横跨.docx"), &word_table(&row, 1));
    let row = format!("<w:tr>{}{}{}{}</w:tr>", cell("学前教育毛入园率", ""), cell("%", ""), cell("93", ""), cell("市教育体育局", ""));
    docx(&dir.join("十万行.docx"), &word_table(&row, 100_000));
    // A docx that unpacks to 2 GB: written compressed (a few MB), never inflated.
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(dir.join("压缩炸弹.docx")).unwrap());
        let options = zip::write::SimpleFileOptions::default().large_file(true);
        zip.start_file("word/document.xml", options).unwrap();
        zip.write_all(format!("<?xml version=\"1.0\"?><w:document {W}><w:body><w:p><w:r><w:t>").as_bytes()).unwrap();
        let spaces = vec![b' '; 1 << 20];
        for _ in 0..2048 {
            zip.write_all(&spaces).unwrap();
        }
        zip.finish().unwrap();
    }
    assert!(std::fs::metadata(dir.join("压缩炸弹.docx")).unwrap().len() < 10 << 20);
    for (file, why) in [
        ("远处单元格.xlsx", "以外还有内容"),
        ("十万行.xlsx", "以外还有内容"),
        ("重复行.ods", "展开后有"),
        ("横跨.docx", "横跨"),
        ("十万行.docx", "超过 5000 行"),
        ("压缩炸弹.docx", "压缩炸弹"),
    ] {
        let t = Instant::now();
        let text = refused(&w, &["plan", "import", "--write", file, "--into", "导入"]);
        assert!(text.contains(file) && text.contains(why), "{file}: {text}");
        assert!(t.elapsed() < Duration::from_secs(60), "{file}: {:?}", t.elapsed());
    }
    // The same files, in a table too long for the plan: refused, not cut short.
    assert!(!dir.join("导入").exists());
}

/// A templates folder whose report.typ runs away, with `limits` set in its rules.toml.
fn runaway(w: &Workdir, report: &str, limits: &[(&str, &str)]) -> String {
    let edits: Vec<(&str, &str, &str)> = limits.iter().map(|(from, to)| ("rules.toml", *from, *to)).collect();
    let dir = tables(w, "失控模板", &edits);
    std::fs::write(w.path().join(&dir).join("report.typ"), report).unwrap();
    dir
}

#[test]
fn settings_a_runaway_template_ends_with_a_message_in_bounded_time() {
    let w = Workdir::new("skeleton");
    let loops = "#let n = 0\n#for i in range(100000) { for j in range(100000) { n += 1 } }\n#n\n";
    let dir = runaway(&w, loops, &[("seconds_per_document = 30 ", "seconds_per_document = 2 ")]);
    let before = tree(w.path());
    let t = Instant::now();
    let out = w.run(&["run", "--templates", &dir]);
    let new: Vec<PathBuf> = tree(w.path()).difference(&before).cloned().collect();
    assert!(new.iter().all(|p| p.starts_with(w.output())), "written outside the output folder: {new:?}");
    let text = stderr(&out);
    assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("超过 2 秒仍未完成") && text.contains("失控模板/report.typ") && text.contains("进展报告“"), "{text}");
    // The rest of the run went on: the workbook and the tables are kept, the outputs in
    // place are untouched (there were none), nothing is outside the output folder.
    let kept: Vec<PathBuf> = std::fs::read_dir(w.output().join("history")).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].join("findings.csv").is_file() && kept[0].join("仁怀市公共服务发展行动方案监测汇总表（2024年度）.xlsx").is_file());
    // The feedback sheets, made with the shipped template, were typeset.
    assert!(std::fs::read_dir(kept[0].join("反馈单")).unwrap().count() > 0);
}

#[cfg(target_os = "linux")]
#[test]
fn settings_a_template_that_takes_too_much_memory_ends_with_a_message() {
    let w = Workdir::new("skeleton");
    let pages = "#for i in range(10000000) [第 #i 页 #lorem(200) #pagebreak()]\n";
    let dir = runaway(&w, pages, &[("memory_mb_per_document = 2048", "memory_mb_per_document = 512")]);
    let t = Instant::now();
    let out = w.run(&["run", "--templates", &dir]);
    let text = stderr(&out);
    assert!(t.elapsed() < Duration::from_secs(120), "{:?}", t.elapsed());
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("需要超过 512 MB 的内存") || text.contains("超过 30 秒仍未完成"), "{text}");
    assert!(text.contains("失控模板/report.typ"), "{text}");
}

#[test]
fn settings_messages_reach_the_officer_in_chinese() {
    let w = Workdir::new("skeleton");
    // clap: a Chinese explanation first, clap's words after.
    for (args, said) in [
        (vec!["--no-such-option"], "不认识的选项或参数“--no-such-option”"),
        (vec!["run", "--year", "二〇二五"], "--year"),
        (vec!["plan", "import"], "缺少必须给出的参数"),
        (vec!["runn"], "没有“runn”这个子命令"),
        (vec!["indicators", "--format", "pdf"], "可选：table、csv、json、xlsx、docx"),
    ] {
        let out = w.run(&args);
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text.starts_with("错误：") && text.contains(said), "{args:?}: {text}");
        let chinese = text.find("错误：").unwrap();
        assert!(text.find("error:").is_none_or(|english| english > chinese), "{args:?}: {text}");
    }
    // Help: no English headings.
    for args in [vec!["--help"], vec!["run", "--help"], vec!["plan", "import", "--help"]] {
        let text = stdout(&w.run(&args));
        for english in ["Usage:", "Options:", "Commands:", "Arguments:", "Print help", "[default:"] {
            assert!(!text.contains(english), "{args:?}: {english}\n{text}");
        }
    }
    // typst: a template reading outside its folder.
    let dir = tables(&w, "越界模板", &[]);
    std::fs::write(w.path().join(&dir).join("report.typ"), "#read(\"../../../etc/passwd\")\n").unwrap();
    let text = stderr(&w.run(&["run", "--templates", &dir]));
    assert!(text.contains("越界模板/report.typ 第1行") && text.contains("模板只能读取模板文件夹中的文件"), "{text}");
    let chinese = text.find("模板只能读取").unwrap();
    assert!(text.find("project root").is_none_or(|english| english > chinese), "{text}");
}

/// Text at the plan's stated limits (a 200-character name, 20-character id and unit, a
/// 40-character office) goes through every output: the blank returns' input messages
/// (Excel allows 255 characters), the workbook, the report.
#[test]
fn settings_text_at_its_limits_goes_through_every_output() {
    let w = Workdir::new("skeleton");
    let long_name = "每千人口拥有三岁以下婴幼儿托位数".repeat(13);
    let long_name: String = long_name.chars().take(200).collect();
    let dir = tables(
        &w,
        "长文字",
        &[
            ("indicators.toml", "name = \"每千人口拥有3岁以下婴幼儿托位数\"", &format!("name = \"{long_name}\"")),
            ("indicators.toml", "id = \"G01\"", "id = \"G01-ABCDEFGHIJKLMNO\""),
            ("indicators.toml", "unit = \"个\"\ntarget = 4.8", "unit = \"个个个个个个个个个个个个个个个个个个个个\"\ntarget = 4.8"),
        ],
    );
    std::fs::write(
        w.path().join("planmon.toml"),
        format!("office = \"{}\"\n", "仁怀市发展和改革局".repeat(5).chars().take(40).collect::<String>()),
    )
    .unwrap();
    let out = w.run(&["templates", "--templates", &dir, "--output", "空白表", "--input", "无"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = w.run(&["run", "--templates", &dir]);
    assert!(out.status.success(), "{}", stderr(&out));
}
