//! Helpers for the end-to-end tests: a temp work folder with fixture returns copied in,
//! the real binary run there, and the outputs read back.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// The text of a PDF by pdftotext (`-layout` keeps table rows on one line). The tool is
/// required: CI installs poppler-utils, and a test that skipped would check nothing.
pub fn pdf_text(pdf: &Path, layout: bool) -> String {
    let mut cmd = Command::new("pdftotext");
    if layout {
        cmd.arg("-layout");
    }
    let out = cmd.arg(pdf).arg("-").output().expect("pdftotext is required for this test (apt-get install poppler-utils)");
    assert!(out.status.success(), "pdftotext {}: {}", pdf.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
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
