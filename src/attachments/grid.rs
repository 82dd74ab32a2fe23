//! The tables in an office file, as rows of text: every sheet of a workbook (xlsx, xls,
//! ods through calamine), every table of a Word document (docx through docx-rs). Merged
//! cells of a Word table are filled in (a vertical merge repeats the text above, a
//! horizontal span repeats it to the right); in a workbook a merged cell keeps its text
//! in the first cell only and the reader carries it on.
//!
//! The office's files are input like the returns, read with the same protections
//! (`templates/rules.toml` `[limits]`): the size on disk and the sizes a package declares
//! are checked before anything is inflated; a workbook goes through the reader's checks
//! and is streamed within the row and column limits; a Word document's tables are
//! counted (rows, cells, spans) before docx-rs builds them, and the text they expand to
//! is bounded. What is over a limit is refused, never cut short. `plan import` runs
//! this in a worker process ([`Importer`]), so that a file that still makes a parser
//! abort costs only a message.

use std::io::Read;
use std::path::Path;

use calamine::Data;
use quick_xml::events::Event;
use serde::{Deserialize, Serialize};

use crate::plan::Limits;
use crate::text::fmt_num;

/// One table: where it is, and its rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Table {
    /// The sheet's name, or 表N for the N-th table of a document.
    pub name: String,
    pub rows: Vec<Vec<String>>,
    /// The longest row (kept: the import asks for it on every row).
    width: usize,
}

impl Table {
    pub fn new(name: String, rows: Vec<Vec<String>>) -> Table {
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        Table { name, rows, width }
    }

    pub fn cell(&self, r: usize, c: usize) -> &str {
        self.rows.get(r).and_then(|row| row.get(c)).map(String::as_str).unwrap_or("")
    }

    pub fn width(&self) -> usize {
        self.width
    }
}

/// The tables of a file, or why it cannot be read (in Chinese).
pub fn read_tables(path: &Path, limits: &Limits) -> Result<Vec<Table>, String> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let rel = crate::text::os_display(path.file_name().unwrap_or(path.as_os_str()));
    if ext == "docx" {
        let bytes = crate::read::bounded_bytes(path, limits, &rel)?;
        return docx_tables(&bytes, limits, &rel);
    }
    if !matches!(ext.as_str(), "xlsx" | "xlsm" | "xls" | "xlsb" | "ods") {
        return Err("只能读取 xlsx、xls、ods 表格或 docx 文档中的表格。doc 格式请先用 Word 或 WPS 另存为 docx。".into());
    }
    let sheets = crate::read::bounded_sheets(path, limits, &rel)?;
    let mut out = Vec::new();
    for sheet in sheets {
        // Within the row and column limits (checked by the reader): a dense grid of at
        // most max_rows × max_columns cells.
        let (h, w) = sheet.range.end().map(|(r, c)| (r as usize + 1, c as usize + 1)).unwrap_or((0, 0));
        let mut rows = vec![vec![String::new(); w]; h];
        let (r0, c0) = sheet.range.start().unwrap_or((0, 0));
        for (r, c, d) in sheet.range.used_cells() {
            rows[r + r0 as usize][c + c0 as usize] = text(d);
        }
        out.push(Table::new(sheet.name, rows));
    }
    Ok(out)
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) => fmt_num(*f, 10),
        Data::Int(i) => i.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// The most text the tables of one document may expand to (merged cells repeat their
/// text), in bytes: the limit of one unpacked part.
fn text_budget(limits: &Limits) -> u64 {
    (limits.max_part_mb * 1_048_576.0) as u64
}

/// The tables of word/document.xml counted as they stream by, before docx-rs builds
/// them: tables (up to `max_sheets`), rows per table (`max_rows`), cells of a row with
/// their spans (`max_columns`). A gridSpan of four billion or a table of a million rows
/// is refused here.
fn check_docx(bytes: &[u8], limits: &Limits) -> Result<(), String> {
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else { return Ok(()) };
    let Ok(part) = zip.by_name("word/document.xml") else { return Ok(()) };
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(part.take(text_budget(limits))));
    let mut buf = Vec::new();
    let (mut tables, mut depth) = (0usize, 0usize);
    // Rows of the table being read, and cells of its row (outer tables only).
    let (mut rows, mut width) = (0u64, 0u64);
    loop {
        buf.clear();
        let (e, empty) = match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => (e, false),
            Ok(Event::Empty(e)) => (e, true),
            Ok(Event::End(e)) => {
                if e.name().as_ref() == "w:tbl" {
                    depth = depth.saturating_sub(1);
                }
                continue;
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => continue,
        };
        match e.name().as_ref() {
            "w:tbl" if !empty => {
                depth += 1;
                if depth == 1 {
                    tables += 1;
                    rows = 0;
                    if tables > limits.max_sheets {
                        return Err(format!("文档中有超过 {} 张表格，超过读取的上限（templates/rules.toml 的 max_sheets）。请只保留附件1、附件2的表格后再试。", limits.max_sheets));
                    }
                }
            }
            "w:tr" if depth == 1 => {
                rows += 1;
                width = 0;
                if rows > limits.max_rows as u64 {
                    return Err(format!(
                        "表{tables}有超过 {} 行，超过读取的上限（templates/rules.toml 的 max_rows）。方案附件的表格通常只有几十至几百行，请检查文件后再试。",
                        limits.max_rows
                    ));
                }
            }
            "w:tc" if depth == 1 => width += 1,
            "w:gridSpan" if depth == 1 => {
                let span = e.try_get_attribute("w:val").ok().flatten().and_then(|a| a.value.trim().parse::<u64>().ok()).unwrap_or(1);
                width = width.saturating_add(span.saturating_sub(1));
            }
            _ => {}
        }
        if width > limits.max_columns as u64 {
            return Err(format!(
                "表{tables}第{rows}行的单元格横跨 {width} 列以上，超过读取的上限（{} 列，templates/rules.toml 的 max_columns）；文件可能已损坏或被改动过。请用 Word 或 WPS 打开后另存为 docx 再试。",
                limits.max_columns
            ));
        }
    }
    Ok(())
}

/// Every table of a Word document, merged cells filled in, within `[limits]`.
fn docx_tables(bytes: &[u8], limits: &Limits, rel: &str) -> Result<Vec<Table>, String> {
    use docx_rs::{DocumentChild, TableCellContent, TableChild, TableRowChild};
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(
            "Word 文档设置了打开密码（加密），或是旧的 .doc 格式改了扩展名，无法读取。请取消密码，或用 Word、WPS 另存为 docx 后再试。"
                .into(),
        );
    }
    if !bytes.starts_with(b"PK") {
        return Err(
            "文件扩展名是 .docx，但内容不是 Word 文档（可能是改了扩展名的其他文件）。请用 Word 或 WPS 打开后另存为 docx 再试。".into()
        );
    }
    crate::read::package_within_limits(bytes, limits, rel)?;
    check_docx(bytes, limits)?;
    let doc = docx_rs::read_docx(bytes).map_err(|e| {
        format!("无法打开 Word 文档（{}）。请用 Word 或 WPS 打开后另存为 docx 再试。", crate::text::printable(&e.to_string(), 200))
    })?;
    let budget = text_budget(limits);
    let mut used: u64 = 0;
    let mut out = Vec::new();
    for child in &doc.document.children {
        let DocumentChild::Table(table) = child else { continue };
        let mut rows: Vec<Vec<String>> = Vec::new();
        for TableChild::TableRow(row) in &table.rows {
            let mut cells: Vec<String> = Vec::new();
            for TableRowChild::TableCell(cell) in &row.cells {
                let text: Vec<String> = cell
                    .children
                    .iter()
                    .filter_map(|c| match c {
                        TableCellContent::Paragraph(p) => Some(p.raw_text()),
                        _ => None,
                    })
                    .collect();
                let text = text.join("").trim().to_string();
                // The merge marks are private fields of docx-rs; its serialised form shows them.
                let property = serde_json::to_value(&cell.property).unwrap_or_default();
                let span = property.get("gridSpan").and_then(|v| v.as_u64()).unwrap_or(1).max(1) as usize;
                let continued = property.get("verticalMerge").and_then(|v| v.as_str()) == Some("continue");
                let col = cells.len();
                let text = if continued { rows.last().and_then(|above| above.get(col)).cloned().unwrap_or_default() } else { text };
                if cells.len() + span > limits.max_columns as usize {
                    return Err(format!("表{}第{}行超过 {} 列，超过读取的上限。", out.len() + 1, rows.len() + 1, limits.max_columns));
                }
                used = used.saturating_add(text.len() as u64 * span as u64);
                if used > budget {
                    return Err(format!(
                        "文档的表格展开合并单元格后文字超过 {} MB，超过读取的上限（templates/rules.toml 的 max_part_mb）；文件可能被改动过。请检查后再试。",
                        fmt_num(limits.max_part_mb, 1)
                    ));
                }
                for _ in 0..span {
                    cells.push(text.clone());
                }
            }
            rows.push(cells);
        }
        out.push(Table::new(format!("表{}", out.len() + 1), rows));
    }
    Ok(out)
}

/// The worker of `plan import`: reads one file's tables within the limits.
pub struct Importer {
    limits: Limits,
}

/// One file to read (its path as `crate::worker::path_to_wire` writes it).
#[derive(Debug, Serialize, Deserialize)]
pub struct ImportJob {
    pub path: String,
}

impl crate::worker::Task for Importer {
    const KIND: crate::worker::Kind = crate::worker::Kind::Import;
    type Setup = Limits;
    type Job = ImportJob;
    type Answer = Result<Vec<Table>, String>;

    fn start(limits: Limits) -> anyhow::Result<Importer> {
        Ok(Importer { limits })
    }

    fn perform(&self, job: ImportJob) -> Self::Answer {
        read_tables(&crate::worker::path_from_wire(&job.path), &self.limits)
    }
}
