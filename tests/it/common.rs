//! Helpers for the end-to-end tests: a temp work folder with fixture returns copied in,
//! the real binary run there, and the outputs read back.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use calamine::{open_workbook_auto, Data, Range, Reader};
use planmon::forms::{self, Filled};
use planmon::plan::Plan;
use planmon::read;

pub fn fixtures(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(case)
}

/// A temp folder with `input/` holding a copy of the fixture case.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new(case: &str) -> Workdir {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("input");
        std::fs::create_dir_all(&input).unwrap();
        copy_dir(&fixtures(case), &input);
        Workdir { dir }
    }

    /// A temp folder with an empty `input/`.
    pub fn empty() -> Workdir {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(tmp.path().join("input")).unwrap();
        Workdir { dir: tmp }
    }

    /// A temp folder with `input/` holding a copy of `dir` (e.g. the shipped sample).
    pub fn with_input(dir: &Path) -> Workdir {
        let tmp = tempfile::tempdir().expect("tempdir");
        let input = tmp.path().join("input");
        std::fs::create_dir_all(&input).unwrap();
        copy_dir(dir, &input);
        Workdir { dir: tmp }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn input(&self) -> PathBuf {
        self.dir.path().join("input")
    }

    pub fn output(&self) -> PathBuf {
        self.dir.path().join("output")
    }

    /// Run planmon with `args` in this folder.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_planmon"))
            .args(args)
            .current_dir(self.path())
            .env("SOURCE_DATE_EPOCH", "1767225600")
            .output()
            .expect("run planmon")
    }

    pub fn read_output(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.output().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    pub fn csv(&self, name: &str) -> Vec<HashMap<String, String>> {
        parse_csv(&self.read_output(name))
    }
}

/// Every file below `dir`, at any depth.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_below(&p));
        } else {
            out.push(p);
        }
    }
    out
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub fn parse_csv(bytes: &[u8]) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(bytes);
    let headers = r.headers().unwrap().clone();
    r.records().map(|rec| headers.iter().zip(rec.unwrap().iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()).collect()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A program the test reads outputs back with (pdftotext, LibreOffice, `script`). It is
/// required, in CI and on a developer's machine alike: a test that skipped when its tool
/// is missing would pass without checking anything (cargo hides what a passing test
/// prints). `.ci/run` installs every tool listed in the README's 测试需要.
pub fn require(tool: &str, package: &str) {
    if let Err(e) = Command::new(tool).arg("--version").output() {
        panic!("this test needs `{tool}` (apt-get install {package}): {e}");
    }
}

/// Run a poppler tool. The tool is required (CI installs poppler-utils): a test that
/// skipped when it is missing would check nothing.
pub fn poppler(tool: &str, args: &[&str]) -> String {
    match Command::new(tool).args(args).output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => panic!("{tool} failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => panic!("{tool} is required for this test (apt-get install poppler-utils): {e}"),
    }
}

/// The text of a PDF, read by the tests' own reader (`-layout`-like when `layout`: the
/// cells of a table row on one line, apart). poppler reads the same PDFs in
/// tests/clients.
pub fn pdf_text(pdf: &Path, layout: bool) -> String {
    crate::pdf::text(pdf, layout)
}

/// A worksheet of an .xlsx as a reader sees it: each cell's text as displayed, its
/// number formatted by the cell's own number format (read from the package, not
/// guessed). Formats planmon does not write make the test fail, so that a new one is
/// added here on purpose.
pub fn displayed_sheet(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    use quick_xml::events::Event;
    let file = std::fs::File::open(path).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut part = |name: &str| -> String {
        let mut s = String::new();
        if let Ok(mut f) = zip.by_name(name) {
            std::io::Read::read_to_string(&mut f, &mut s).unwrap();
        }
        s
    };
    let (workbook, rels, styles, strings) =
        (part("xl/workbook.xml"), part("xl/_rels/workbook.xml.rels"), part("xl/styles.xml"), part("xl/sharedStrings.xml"));
    fn element(e: &quick_xml::events::BytesStart) -> (String, HashMap<String, String>, String) {
        let name = e.local_name().as_ref().to_string();
        let attrs = e
            .attributes()
            .flatten()
            .map(|a| {
                let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map(|v| v.into_owned()).unwrap_or_default();
                (a.key.local_name().as_ref().to_string(), value)
            })
            .collect();
        (name, attrs, String::new())
    }
    // Every element with its attributes, in order, with the text inside it.
    fn elements(xml: &str) -> Vec<(String, HashMap<String, String>, String)> {
        let mut r = quick_xml::Reader::from_str(xml);
        let mut out: Vec<(String, HashMap<String, String>, String)> = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        loop {
            match r.read_event().unwrap() {
                Event::Start(e) => {
                    out.push(element(&e));
                    open.push(out.len() - 1);
                }
                Event::Empty(e) => out.push(element(&e)),
                Event::End(_) => {
                    open.pop();
                }
                Event::Text(t) => {
                    if let Some(&k) = open.last() {
                        out[k].2.push_str(&t.xml10_content());
                    }
                }
                Event::GeneralRef(g) => {
                    if let Some(&k) = open.last() {
                        out[k].2.push_str(&entity(&g));
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        out
    }
    let rid = elements(&workbook).into_iter().find(|(n, a, _)| n == "sheet" && a["name"] == sheet).map(|(_, a, _)| a["id"].clone());
    let rid = rid.unwrap_or_else(|| panic!("{}: no sheet {sheet}", path.display()));
    let target = elements(&rels).into_iter().find(|(n, a, _)| n == "Relationship" && a["Id"] == rid).unwrap().1["Target"].clone();
    let sheet_xml = part(&format!("xl/{}", target.trim_start_matches("/xl/")));
    let mut codes: HashMap<String, String> =
        [("0", "General"), ("1", "0"), ("2", "0.00"), ("3", "#,##0"), ("4", "#,##0.00"), ("9", "0%"), ("10", "0.00%"), ("49", "@")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let style_elements = elements(&styles);
    for (n, a, _) in &style_elements {
        if n == "numFmt" {
            codes.insert(a["numFmtId"].clone(), a["formatCode"].clone());
        }
    }
    // The cell formats are the xf elements inside cellXfs (after cellStyleXfs).
    let mut xfs = Vec::new();
    let mut in_cell_xfs = false;
    for (n, a, _) in &style_elements {
        match n.as_str() {
            "cellXfs" => in_cell_xfs = true,
            "cellStyles" | "dxfs" => in_cell_xfs = false,
            "xf" if in_cell_xfs => xfs.push(codes.get(a.get("numFmtId").map_or("0", String::as_str)).cloned().unwrap_or_default()),
            _ => {}
        }
    }
    let mut shared = Vec::new();
    for (n, _, text) in elements(&strings) {
        match n.as_str() {
            "si" => shared.push(String::new()),
            "t" => shared.last_mut().unwrap().push_str(&text),
            _ => {}
        }
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut cell: Option<(usize, usize, String, String)> = None; // row, col, type, style
    let finish = |cell: &mut Option<(usize, usize, String, String)>, text: Option<String>, rows: &mut Vec<Vec<String>>| {
        let Some((r, c, t, s)) = cell.take() else { return };
        let Some(text) = text else { return };
        let shown = match t.as_str() {
            "s" => shared[text.parse::<usize>().unwrap()].clone(),
            "str" | "inlineStr" | "b" | "e" => text,
            _ => {
                let v: f64 = text.parse().unwrap();
                let code = s.parse::<usize>().ok().and_then(|k| xfs.get(k)).map_or("General", String::as_str);
                shown_number(v, code)
            }
        };
        while rows.len() <= r {
            rows.push(Vec::new());
        }
        while rows[r].len() <= c {
            rows[r].push(String::new());
        }
        rows[r][c] = shown;
    };
    let mut value: Option<String> = None;
    for (n, a, text) in elements(&sheet_xml) {
        match n.as_str() {
            "c" => {
                finish(&mut cell, value.take(), &mut rows);
                let (r, c) = cell_ref(&a["r"]);
                cell = Some((r, c, a.get("t").cloned().unwrap_or_default(), a.get("s").cloned().unwrap_or_default()));
            }
            "v" => value = Some(text),
            "t" if cell.is_some() => value.get_or_insert_with(String::new).push_str(&text),
            _ => {}
        }
    }
    finish(&mut cell, value.take(), &mut rows);
    rows
}

/// "B12" → (11, 1).
fn cell_ref(r: &str) -> (usize, usize) {
    let letters: String = r.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let col = letters.bytes().fold(0usize, |n, b| n * 26 + (b - b'A' + 1) as usize) - 1;
    (r[letters.len()..].parse::<usize>().unwrap() - 1, col)
}

/// A number as Excel shows it in the number formats planmon writes.
pub fn shown_number(v: f64, code: &str) -> String {
    match code {
        "General" | "" => {
            // Excel's General: up to 11 significant characters, no trailing zeros.
            let s = format!("{:.10}", v);
            let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
            if s == "-0" {
                "0".into()
            } else {
                s
            }
        }
        c if c.chars().all(|ch| ch == '0' || ch == '.') && c.starts_with('0') => {
            let dp = c.split('.').nth(1).map_or(0, str::len);
            format!("{v:.dp$}")
        }
        other => panic!("number format {other:?} is not one planmon writes: add it to shown_number"),
    }
}

/// The paragraphs of a .docx (document.xml), in order, each as its text; and its
/// tables as rows of cell texts. Read from the package: no outside program.
pub struct DocxText {
    pub paragraphs: Vec<String>,
    pub tables: Vec<Vec<Vec<String>>>,
}

pub fn docx_text(path: &Path) -> DocxText {
    use quick_xml::events::Event;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
    let mut r = quick_xml::Reader::from_str(&xml);
    let mut out = DocxText { paragraphs: Vec::new(), tables: Vec::new() };
    let (mut para, mut cell, mut in_text) = (String::new(), String::new(), false);
    let mut depth = 0usize; // table nesting
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) => match e.local_name().as_ref() {
                "tbl" => {
                    depth += 1;
                    if depth == 1 {
                        out.tables.push(Vec::new());
                    }
                }
                "tr" if depth == 1 => out.tables.last_mut().unwrap().push(Vec::new()),
                "tc" if depth == 1 => cell.clear(),
                "t" => in_text = true,
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "tab" => para.push('\t'),
                "br" => para.push('\n'),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => {
                    if depth >= 1 {
                        if !cell.is_empty() {
                            cell.push('\n');
                        }
                        cell.push_str(&para);
                    }
                    out.paragraphs.push(std::mem::take(&mut para));
                }
                "tc" if depth == 1 => {
                    out.tables.last_mut().unwrap().last_mut().unwrap().push(std::mem::take(&mut cell));
                }
                "tbl" => depth -= 1,
                _ => {}
            },
            Event::Text(t) if in_text => para.push_str(&t.xml10_content()),
            Event::GeneralRef(g) if in_text => para.push_str(&entity(&g)),
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// The text an entity reference in a package part stands for (&amp;, &#20013;, …):
/// quick-xml's own resolution of character and predefined references.
fn entity(g: &quick_xml::events::BytesRef) -> String {
    match g.resolve_char_ref().unwrap() {
        Some(c) => c.to_string(),
        None => {
            let name = g.xml10_content();
            quick_xml::escape::resolve_predefined_entity(&name).unwrap_or_else(|| panic!("unknown entity &{name};")).to_string()
        }
    }
}

/// The text without the page numbers (—10—) a page break puts inside a paragraph.
pub fn without_page_numbers(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('—') {
        let after = &rest[i + '—'.len_utf8()..];
        let digits = after.chars().take_while(|c| c.is_ascii_digit()).count();
        out.push_str(&rest[..i]);
        if digits > 0 && after[digits..].starts_with('—') {
            rest = &after[digits + '—'.len_utf8()..];
        } else {
            out.push('—');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

// Fixtures and readers that both test targets use (tests/it, and the second clients'
// checks in tests/clients).

pub fn sample() -> Workdir {
    Workdir::with_input(&Path::new(env!("CARGO_MANIFEST_DIR")).join("input"))
}

pub fn parts(path: &Path) -> HashMap<String, String> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut s = String::new();
            let _ = f.read_to_string(&mut s);
            (f.name().unwrap().to_string(), s)
        })
        .collect()
}

/// A copy with one cell's number and the 填报日期 changed, as a unit would fix it (the
/// sheet's XML and shared strings edited in place).
pub fn fix_copy(copy: &Path, to: &Path, old_value: &str, new_value: &str, old_date: &str, new_date: &str) {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(copy).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        let text = String::from_utf8_lossy(&data).to_string();
        let data = if name.starts_with("xl/worksheets/sheet") {
            text.replacen(&format!("<v>{old_value}</v>"), &format!("<v>{new_value}</v>"), 1).into_bytes()
        } else if name == "xl/sharedStrings.xml" {
            text.replace(old_date, new_date).into_bytes()
        } else {
            data
        };
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap();
}

/// The 填报日期 text of a return (as the sample writes it: 2026年1月…日).
pub fn calamine_date(path: &Path) -> String {
    let mut wb = open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range("指标填报").unwrap();
    for row in range.rows() {
        for c in row {
            if let Data::String(s) = c {
                if s.starts_with("2026年") && s.ends_with('日') {
                    return s.clone();
                }
            }
        }
    }
    panic!("no 填报日期 in {}", path.display());
}

/// Every non-empty cell of every sheet (but 问题清单), by absolute position, as calamine
/// reads it; numbers compared as numbers.
pub fn values(path: &Path) -> HashMap<String, HashMap<(u32, u32), String>> {
    let mut wb = open_workbook_auto(path).unwrap();
    let names: Vec<String> = wb.sheet_names().into_iter().filter(|n| n != "问题清单").collect();
    names
        .into_iter()
        .map(|n| {
            let range = wb.worksheet_range(&n).unwrap();
            let (r0, c0) = range.start().unwrap_or((0, 0));
            let cells = range
                .cells()
                .filter(|(_, _, v)| !matches!(v, Data::Empty))
                .map(|(r, c, v)| {
                    let text = match v {
                        Data::Float(x) => format!("{x}"),
                        Data::Int(i) => format!("{}", *i as f64),
                        Data::DateTime(d) => format!("date {}", civil(d.as_f64() as i64)),
                        Data::DateTimeIso(t) => format!("date {}", &t[..t.len().min(10)]),
                        other => other.to_string(),
                    };
                    ((r0 + r as u32, c0 + c as u32), text)
                })
                .collect();
            (n, cells)
        })
        .collect()
}

/// An Excel serial day (1900 system) as YYYY-MM-DD.
pub fn civil(serial: i64) -> String {
    let z = serial - 25_569 + 719_468; // days from 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{y:04}-{m:02}-{d:02}")
}

pub const TABLES: [&str; 3] = ["observations.csv", "findings.csv", "progress.csv"];

pub fn run_hostile() -> Workdir {
    let w = Workdir::new("hostile_text");
    let out = w.run(&["run", "--year", "2024"]);
    assert!(out.status.success(), "{}", stderr(&out));
    w
}

pub fn filled_return(dir: &std::path::Path) -> std::path::PathBuf {
    let plan = Plan::embedded().unwrap();
    let mut filled = Filled { person: "张三".into(), date: "2026年1月12日".into(), ..Default::default() };
    for (id, prev, cur) in [("G01", 4.2, 4.75), ("G14", 2.7, 2.86), ("T10", 13.0, 11.5), ("T08", 3.0, 4.0)] {
        filled.values.insert(id.into(), (Some(prev), Some(cur)));
    }
    filled.projects.insert("P13".into(), (12000.0, 9000.0, 80.0, "在建".into()));
    filled.works.insert("病有所医".into(), ["新建县域医疗次中心2个。".into(), "人才不足。".into(), "加快建设。".into()]);
    filled.tasks.insert("K01".into(), ("已完成".into(), "2025年12月通过评审".into()));
    filled.tasks.insert("K02".into(), ("推进中".into(), String::new()));
    let bytes = forms::return_workbook(&plan, "市卫生健康局", 2025, Some(&filled), 1_767_225_600).unwrap();
    let path = dir.join("市卫生健康局_2025年度填报表.xlsx");
    std::fs::write(&path, bytes).unwrap();
    path
}

pub fn figures(path: &std::path::Path) -> Vec<String> {
    let plan = Plan::embedded().unwrap();
    let out = read::read_files(&plan, &[path.to_path_buf()]);
    assert!(out.findings.is_empty(), "{}: {:?}", path.display(), out.findings);
    let mut v: Vec<String> = out
        .observations
        .iter()
        .filter(|o| o.value.is_some())
        .map(|o| format!("{} {} {} {} {:?}", o.department, o.indicator_id, o.year, o.cell, o.value))
        .collect();
    v.extend(out.projects.iter().map(|p| format!("{} {:?} {:?} {}", p.project_id, p.completed_investment, p.progress, p.status)));
    v.extend(out.works.iter().map(|w| format!("{} {} {}|{}|{}", w.department, w.area, w.work, w.problems, w.next)));
    v.extend(out.tasks.iter().map(|t| format!("{} {:?} {}", t.task_id, t.state, t.note)));
    let dates: Vec<String> = out.files.iter().map(|f| format!("{:?}", f.filled_date)).collect();
    v.extend(dates);
    v
}

/// A standard return whose texts carry control characters: a vertical tab (Excel's
/// line break pasted from Word), ESC, BEL, a form feed.
pub fn return_with_control_characters(path: &Path) {
    let plan = planmon::plan::Plan::embedded().unwrap();
    let unit = "市卫生健康局";
    let mut filled = planmon::forms::Filled::default();
    for ind in plan.indicators_of(unit) {
        filled.values.insert(ind.id.clone(), (Some(ind.target), None));
    }
    for area in plan.indicators_of(unit).iter().map(|i| i.area.clone()) {
        filled.works.insert(area, ["完成\u{b}第二行".into(), "问题\u{1b}[31m红字".into(), "下一步\u{7}\u{c}".into()]);
    }
    for p in plan.projects.iter().filter(|p| p.responsible.iter().any(|r| r == unit)) {
        filled.projects.insert(p.id.clone(), (100.0, 50.0, 50.0, "在建\u{b}说明\u{1b}".into()));
    }
    for t in plan.tasks.iter().filter(|t| t.responsible.iter().any(|r| r == unit)) {
        filled.tasks.insert(t.id.clone(), ("推进中".into(), "说明\u{7}\u{b}另起一行".into()));
    }
    filled.person = "张\u{1b}三".into();
    filled.date = "2026年1月10日".into();
    std::fs::write(path, planmon::forms::return_workbook(&plan, unit, 2025, Some(&filled), 1767225600).unwrap()).unwrap();
}

pub const WORKBOOK_2024: &str = "仁怀市公共服务发展行动方案监测汇总表（2024年度）.xlsx";

pub fn run_case(case: &str) -> Workdir {
    let w = Workdir::new(case);
    let out = w.run(&["run"]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    // Nothing from the libraries reaches the officer's terminal (rust_xlsxwriter says
    // so on stderr when a row-by-row sheet is written out of order).
    assert!(!stderr(&out).contains("Ignoring"), "{}", stderr(&out));
    w
}

pub fn sheet_range(path: &std::path::Path, name: &str) -> Range<Data> {
    let mut wb = open_workbook_auto(path).unwrap();
    wb.worksheet_range(name).unwrap_or_else(|e| panic!("sheet {name}: {e}"))
}

pub fn sample_run(extra: &[&str]) -> Workdir {
    let w = Workdir::with_input(&Path::new(env!("CARGO_MANIFEST_DIR")).join("input"));
    let mut args = vec!["run"];
    args.extend(extra);
    let out = w.run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    w
}

pub fn part(docx: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(docx).unwrap()).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap_or_else(|_| panic!("{} has no {name}", docx.display())).read_to_string(&mut s).unwrap();
    s
}

pub fn flat(text: &str) -> String {
    text.split_whitespace().collect()
}

/// Convert with LibreOffice (headless) into `to` (a filter such as "pdf").
pub fn soffice(w: &Workdir, file: &Path, to: &str) -> PathBuf {
    let dir = w.path().join(format!("lo-{}", to.split(':').next().unwrap()));
    let out = Command::new("soffice")
        .args(["--headless", "--norestore", "--convert-to", to, "--outdir"])
        .arg(&dir)
        .arg(file)
        .env("HOME", w.path())
        .output()
        .expect("LibreOffice (soffice) is required for this test: apt-get install libreoffice-writer-nogui");
    assert!(out.status.success(), "soffice: {}", String::from_utf8_lossy(&out.stderr));
    let ext = to.split(':').next().unwrap_or(to);
    let converted = dir.join(file.with_extension(ext).file_name().unwrap());
    assert!(converted.is_file(), "LibreOffice did not convert {}: {}", file.display(), String::from_utf8_lossy(&out.stdout));
    converted
}
