//! `planmon indicators --format xlsx|docx`: 附件1 (the indicator table's goals) and
//! 附件2 (the projects) in the shape the office issues them: a title, a two-row header
//! (指标值 over 基期值 / 阶段目标 / 目标值), 领域 merged down its rows. `import` reads
//! this shape back to the same tables.

use docx_rs::{Docx, PageMargin, Paragraph, Run, Table as DocTable, TableCell, TableLayoutType, TableRow, VMergeType, WidthType};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use super::layout::encode_target;
use crate::plan::{IndicatorKind, Plan};
use crate::text::{fmt_num, row_height};

/// The cells of the two tables, laid out once for both formats.
struct Sheet {
    title: String,
    /// Header cells: (text, columns spanned); a cell spanning one column with
    /// `sub` empty spans both header rows.
    top: Vec<(String, usize)>,
    sub: Vec<String>,
    /// Data rows; `merge_col` is merged down runs of equal text.
    rows: Vec<Vec<String>>,
    merge_col: Option<usize>,
}

fn sheets(plan: &Plan) -> [Sheet; 2] {
    let goals: Vec<_> = plan.indicators.iter().filter(|i| i.kind == IndicatorKind::Goal).collect();
    let years: Vec<i32> = (plan.start..plan.end).filter(|y| goals.iter().any(|i| i.milestone(*y).is_some())).collect();
    let values = 2 + years.len();
    let mut top: Vec<(String, usize)> = ["序号", "领域", "指标名称", "单位"].iter().map(|h| (h.to_string(), 1)).collect();
    top.push(("指标值".into(), values));
    top.extend(["指标属性", "责任单位", "备注"].iter().map(|h| (h.to_string(), 1)));
    let mut sub = vec![String::new(); 4];
    sub.push(format!("{}年（基期值）", plan.baseline_year));
    sub.extend(years.iter().map(|y| format!("{y}年")));
    sub.push(format!("{}年（目标值）", plan.end));
    sub.extend([String::new(), String::new(), String::new()]);
    let rows = goals
        .iter()
        .map(|i| {
            let mut r = vec![i.seq.map(|s| s.to_string()).unwrap_or_default(), i.area.clone(), i.name.clone(), i.unit.clone()];
            r.push(i.baseline.map(|v| fmt_num(v, 6)).unwrap_or_default());
            r.extend(years.iter().map(|y| i.milestone(*y).map(|v| fmt_num(v, 6)).unwrap_or_default()));
            r.push(encode_target(i.target, i.comparison));
            r.extend([i.attribute.clone(), i.responsible.join("、"), i.note.clone()]);
            r
        })
        .collect();
    let indicators = Sheet { title: format!("附件1　{}主要发展指标表", plan.title), top, sub, rows, merge_col: Some(1) };
    let head = ["序号", "领域", "项目名称", "建设内容及规模", "总投资（万元）", "建设年限", "责任单位", "备注"];
    let rows = plan
        .projects
        .iter()
        .enumerate()
        .map(|(n, p)| {
            let period = if p.period.is_empty() { p.due.map(|d| format!("{d}年")).unwrap_or_default() } else { p.period.clone() };
            vec![
                (n + 1).to_string(),
                p.area.clone(),
                p.name.clone(),
                p.goal.clone(),
                p.investment.map(|v| fmt_num(v, 6)).unwrap_or_default(),
                period,
                p.responsible.join("、"),
                String::new(),
            ]
        })
        .collect();
    let projects = Sheet {
        title: format!("附件2　{}项目汇总表", plan.title),
        top: head.iter().map(|h| (h.to_string(), 1)).collect(),
        sub: Vec::new(),
        rows,
        merge_col: Some(1),
    };
    [indicators, projects]
}

/// A column's width (in widths of “0”) by its header.
fn column_width(s: &Sheet, c: usize) -> f64 {
    let head = s.sub.get(c).filter(|t| !t.is_empty()).cloned().unwrap_or_else(|| header_text(&s.top, c));
    match head.as_str() {
        "序号" => 6.0,
        "领域" => 12.0,
        "指标名称" | "项目名称" => 32.0,
        "建设内容及规模" | "备注" => 40.0,
        "责任单位" => 22.0,
        "单位" => 8.0,
        _ => 12.0,
    }
}

/// The top header text over column `c`.
fn header_text(top: &[(String, usize)], c: usize) -> String {
    let mut at = 0;
    for (t, n) in top {
        if c < at + n {
            return t.clone();
        }
        at += n;
    }
    String::new()
}

/// Runs of equal text in a column: (first row, last row).
fn runs(rows: &[Vec<String>], col: usize) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match out.last_mut() {
            Some((first, last)) if rows[*first][col] == r[col] => *last = i,
            _ => out.push((i, i)),
        }
    }
    out
}

pub fn xlsx(plan: &Plan) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let cell = Format::new().set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter).set_text_wrap();
    let head = cell.clone().set_bold().set_align(FormatAlign::Center);
    let title = Format::new().set_bold().set_font_size(14);
    for (name, s) in ["附件1", "附件2"].into_iter().zip(sheets(plan)) {
        let ws = wb.add_worksheet();
        ws.set_name(name)?;
        let width: usize = s.top.iter().map(|(_, n)| n).sum();
        ws.write_string_with_format(0, 0, &s.title, &title)?;
        let two = !s.sub.is_empty();
        let mut c = 0u16;
        for (text, span) in &s.top {
            let last = c + *span as u16 - 1;
            if *span > 1 {
                ws.merge_range(1, c, 1, last, text, &head)?;
            } else if two && s.sub[c as usize].is_empty() {
                ws.merge_range(1, c, 2, c, text, &head)?;
            } else {
                ws.write_string_with_format(1, c, text, &head)?;
            }
            c = last + 1;
        }
        if two {
            for (i, t) in s.sub.iter().enumerate().filter(|(_, t)| !t.is_empty()) {
                ws.write_string_with_format(2, i as u16, t, &head)?;
            }
        }
        let first = if two { 3 } else { 2 };
        for (r, row) in s.rows.iter().enumerate() {
            for (col, t) in row.iter().enumerate() {
                ws.write_string_with_format(first + r as u32, col as u16, t, &cell)?;
            }
        }
        if let Some(mc) = s.merge_col {
            for (a, b) in runs(&s.rows, mc).into_iter().filter(|(a, b)| b > a) {
                ws.merge_range(first + a as u32, mc as u16, first + b as u32, mc as u16, &s.rows[a][mc], &cell)?;
            }
        }
        // Widths by what a column holds; rows as high as their wrapped text (LibreOffice
        // and WPS do not fit the height of a row written with text wrap).
        let widths: Vec<f64> = (0..width).map(|c| column_width(&s, c)).collect();
        for (col, w) in widths.iter().enumerate() {
            ws.set_column_width(col as u16, *w)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            let cells: Vec<(&str, f64)> = row.iter().map(String::as_str).zip(widths.iter().copied()).collect();
            ws.set_row_height(first + r as u32, row_height(&cells))?;
        }
        for r in 1..first {
            ws.set_row_height(r, 30.0)?;
        }
        ws.set_landscape();
        ws.set_paper_size(9);
        ws.set_print_fit_to_pages(1, 0);
        ws.set_repeat_rows(1, first - 1)?;
    }
    wb.save_to_buffer()
}

pub fn docx(plan: &Plan) -> std::io::Result<Vec<u8>> {
    let text = |t: &str| Paragraph::new().add_run(Run::new().add_text(t).size(20));
    // A4 landscape, 2 cm margins: 25 cm of table (in twentieths of a point).
    let mut doc = Docx::new()
        .page_size(16838, 11906)
        .page_orient(docx_rs::PageOrientationType::Landscape)
        .page_margin(PageMargin::new().top(1134).bottom(1134).left(1134).right(1134));
    for s in sheets(plan) {
        let width: usize = s.top.iter().map(|(_, n)| n).sum();
        // Column widths by what they hold: names and contents wide, numbers narrow.
        let grid: Vec<usize> = (0..width)
            .map(|c| {
                let head = s.sub.get(c).filter(|t| !t.is_empty()).cloned().unwrap_or_else(|| header_text(&s.top, c));
                match head.as_str() {
                    "序号" => 600,
                    "领域" => 1100,
                    "指标名称" | "项目名称" => 2800,
                    "建设内容及规模" | "备注" => 3200,
                    "责任单位" => 1600,
                    _ => 1000,
                }
            })
            .collect();
        let span_width = |c: usize, n: usize| grid[c..c + n].iter().sum::<usize>();
        doc = doc.add_paragraph(text(&s.title));
        let two = !s.sub.is_empty();
        let mut rows = Vec::new();
        let mut top = Vec::new();
        let mut c = 0usize;
        for (t, span) in &s.top {
            let mut cell = TableCell::new().add_paragraph(text(t)).width(span_width(c, *span), WidthType::Dxa);
            if *span > 1 {
                cell = cell.grid_span(*span);
            } else if two && s.sub[c].is_empty() {
                cell = cell.vertical_merge(VMergeType::Restart);
            }
            top.push(cell);
            c += span;
        }
        rows.push(TableRow::new(top));
        if two {
            let sub = s
                .sub
                .iter()
                .enumerate()
                .map(|(c, t)| {
                    let cell = TableCell::new().width(grid[c], WidthType::Dxa);
                    if t.is_empty() {
                        cell.vertical_merge(VMergeType::Continue)
                    } else {
                        cell.add_paragraph(text(t))
                    }
                })
                .collect();
            rows.push(TableRow::new(sub));
        }
        let merged = s.merge_col.map(|mc| runs(&s.rows, mc)).unwrap_or_default();
        for (r, row) in s.rows.iter().enumerate() {
            let cells = row
                .iter()
                .enumerate()
                .map(|(col, t)| {
                    let cell = TableCell::new().width(grid[col], WidthType::Dxa);
                    match (s.merge_col, merged.iter().find(|(a, b)| (*a..=*b).contains(&r))) {
                        (Some(mc), Some((a, b))) if mc == col && b > a => {
                            if r == *a {
                                cell.add_paragraph(text(t)).vertical_merge(VMergeType::Restart)
                            } else {
                                cell.vertical_merge(VMergeType::Continue)
                            }
                        }
                        _ => cell.add_paragraph(text(t)),
                    }
                })
                .collect();
            rows.push(TableRow::new(cells));
        }
        let total = grid.iter().sum();
        doc = doc
            .add_table(DocTable::new(rows).set_grid(grid).layout(TableLayoutType::Fixed).width(total, WidthType::Dxa))
            .add_paragraph(text(""));
    }
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(std::io::Error::other)?;
    Ok(out.into_inner())
}
