//! The tables in an office file, as rows of text: every sheet of a workbook (xlsx, xls,
//! ods through calamine), every table of a Word document (docx through docx-rs). Merged
//! cells of a Word table are filled in (a vertical merge repeats the text above, a
//! horizontal span repeats it to the right); in a workbook a merged cell keeps its text
//! in the first cell only and the reader carries it on.

use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader};

use crate::text::fmt_num;

/// One table: where it is, and its rows.
#[derive(Debug, Clone)]
pub struct Table {
    /// The sheet's name, or 表N for the N-th table of a document.
    pub name: String,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn cell(&self, r: usize, c: usize) -> &str {
        self.rows.get(r).and_then(|row| row.get(c)).map(String::as_str).unwrap_or("")
    }

    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }
}

/// The tables of a file, or why it cannot be read (in Chinese).
pub fn read_tables(path: &Path) -> Result<Vec<Table>, String> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if ext == "docx" {
        let bytes = std::fs::read(path).map_err(|e| format!("无法读取文件：{}。", crate::oserror::explain(&e)))?;
        return docx_tables(&bytes);
    }
    if !matches!(ext.as_str(), "xlsx" | "xlsm" | "xls" | "xlsb" | "ods") {
        return Err("只能读取 xlsx、xls、ods 表格或 docx 文档中的表格。doc 格式请先用 Word 或 WPS 另存为 docx。".into());
    }
    let mut wb = open_workbook_auto(path).map_err(|e| format!("无法打开表格文件（{}）。请用 Excel 或 WPS 打开后另存为 xlsx 再试。", e))?;
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let Ok(range) = wb.worksheet_range(&name) else { continue };
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let (h, w) = (range.height() + r0 as usize, range.width() + c0 as usize);
        let mut rows = vec![vec![String::new(); w]; h];
        for (r, c, d) in range.used_cells() {
            rows[r + r0 as usize][c + c0 as usize] = text(d);
        }
        out.push(Table { name, rows });
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

/// Every table of a Word document, merged cells filled in.
fn docx_tables(bytes: &[u8]) -> Result<Vec<Table>, String> {
    use docx_rs::{DocumentChild, TableCellContent, TableChild, TableRowChild};
    let doc = docx_rs::read_docx(bytes).map_err(|e| format!("无法打开 Word 文档（{e}）。请用 Word 或 WPS 打开后另存为 docx 再试。"))?;
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
                for _ in 0..span {
                    cells.push(text.clone());
                }
            }
            rows.push(cells);
        }
        out.push(Table { name: format!("表{}", out.len() + 1), rows });
    }
    Ok(out)
}
