//! An annotated copy of a return in another format than xlsx (.xls, .xlsb, .ods, WPS's
//! .et holding an xls): a new .xlsx written with rust_xlsxwriter from what the reader
//! reads — every sheet in order with its values (a formula as its result), the number
//! formats that show a figure (percentages, decimals), dates, merged ranges, hidden rows,
//! columns and sheets — marked and commented as an xlsx copy is, with 问题清单 first.
//! What cannot be carried over (fonts, colours, borders, widths, data validation,
//! formulas themselves) is said on 问题清单; the unit's own file stays as it is.

use std::collections::BTreeMap;

use rust_xlsxwriter::{Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Note, Url, Workbook, Worksheet, XlsxError};

use super::xlsx::{line_height, parse_cell, AnnotateError, Annotation, MarkKind, LIST_WIDTHS};
use crate::read::formats::NumberFormat;
use crate::read::CopySheet;
use calamine::Data;

fn xerr(e: XlsxError) -> AnnotateError {
    AnnotateError(format!("写批注副本出错（{e}）"))
}

/// The fill of a mark, as rust_xlsxwriter takes it.
fn fill(kind: MarkKind) -> Color {
    Color::RGB(u32::from_str_radix(&kind.color()[2..], 16).unwrap_or(0xFFFFFF))
}

/// An Excel number format that shows a figure as the original showed it.
fn number_format(n: NumberFormat) -> String {
    let decimals = match n.decimals {
        Some(d) if d > 0 => format!(".{}", "0".repeat(d as usize)),
        _ => String::new(),
    };
    if n.percent {
        format!("0{decimals}%")
    } else if n.decimals.is_some() {
        format!("0{decimals}")
    } else {
        "General".to_string()
    }
}

/// Days from 1970-01-01 of a date in the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An ISO date or date-time as OpenDocument writes it ("2025-12-31", "2025-12-31T08:30:00")
/// as an Excel serial number (1900 system), and whether it has a time of day.
fn iso_serial(text: &str) -> Option<(f64, bool)> {
    let (date, time) = text.split_once('T').unwrap_or((text, ""));
    let mut p = date.splitn(3, '-').map(|x| x.parse::<i64>().ok());
    let (y, m, d) = (p.next()??, p.next()??, p.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || y < 1900 {
        return None;
    }
    let mut secs = 0.0;
    if !time.is_empty() {
        let mut t = time.split(':').map(|x| x.trim_end_matches('Z').parse::<f64>().ok());
        secs = t.next()?? * 3600.0 + t.next().flatten().unwrap_or(0.0) * 60.0 + t.next().flatten().unwrap_or(0.0);
    }
    Some(((days_from_civil(y, m, d) - days_from_civil(1899, 12, 30)) as f64 + secs / 86_400.0, secs != 0.0))
}

/// The annotated copy of `sheets` (read from a return in another format) as a new .xlsx.
pub fn convert(sheets: &[CopySheet], a: &Annotation, created_unix: i64) -> Result<Vec<u8>, AnnotateError> {
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title(a.list_lines.first().map(String::as_str).unwrap_or(""))
            .set_author(&a.author)
            .set_creation_datetime(&ExcelDateTime::from_timestamp(created_unix).map_err(xerr)?),
    );
    list_sheet(wb.add_worksheet(), a)?;
    for sheet in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&sheet.name).map_err(|e| AnnotateError(format!("工作表名“{}”不能用于 xlsx（{e}）", sheet.name)))?;
        copy_sheet(ws, sheet, a)?;
        if sheet.hidden {
            ws.set_hidden(true);
        }
    }
    wb.save_to_buffer().map_err(xerr)
}

/// One sheet: its cells, merges, hidden rows and columns, and the marks on it.
fn copy_sheet(ws: &mut Worksheet, sheet: &CopySheet, a: &Annotation) -> Result<(), AnnotateError> {
    // The marks of this sheet by cell (zero-based row, column): the strongest mark, the
    // comments.
    let mut marks: BTreeMap<(u32, u16), (MarkKind, Vec<String>)> = BTreeMap::new();
    for m in a.marks.iter().filter(|m| m.sheet == sheet.name) {
        let Some((col, row)) = parse_cell(&m.cell) else { continue };
        let e = marks.entry((row - 1, (col - 1) as u16)).or_insert((m.kind, Vec::new()));
        e.0 = e.0.min(m.kind);
        if !e.1.contains(&m.comment) {
            e.1.push(m.comment.clone());
        }
    }
    let p = &sheet.presentation;
    let format_of = |row: u32, col: u16, value: &Data| {
        let mut f = Format::new();
        match value {
            Data::DateTime(d) => {
                f = f.set_num_format(if d.as_f64().fract() == 0.0 { "yyyy-mm-dd" } else { "yyyy-mm-dd hh:mm" });
            }
            Data::DateTimeIso(t) => {
                if let Some((_, timed)) = iso_serial(t) {
                    f = f.set_num_format(if timed { "yyyy-mm-dd hh:mm" } else { "yyyy-mm-dd" });
                }
            }
            Data::Float(_) | Data::Int(_) => {
                if let Some(n) = p.formats.get(&(row, col as u32)) {
                    f = f.set_num_format(number_format(*n));
                }
            }
            _ => {}
        }
        if let Some((kind, _)) = marks.get(&(row, col)) {
            f = f.set_background_color(fill(*kind)).set_pattern(rust_xlsxwriter::FormatPattern::Solid);
        }
        f
    };
    let write = |ws: &mut Worksheet, row: u32, col: u16, value: &Data| -> Result<(), XlsxError> {
        let f = format_of(row, col, value);
        match value {
            Data::Int(i) => ws.write_number_with_format(row, col, *i as f64, &f)?,
            Data::Float(x) => ws.write_number_with_format(row, col, *x, &f)?,
            Data::String(s) => ws.write_string_with_format(row, col, s, &f)?,
            Data::Bool(b) => ws.write_boolean_with_format(row, col, *b, &f)?,
            Data::DateTime(d) => ws.write_number_with_format(row, col, d.as_f64(), &f)?,
            Data::DateTimeIso(s) => match iso_serial(s) {
                Some((serial, _)) => ws.write_number_with_format(row, col, serial, &f)?,
                None => ws.write_string_with_format(row, col, s, &f)?,
            },
            Data::DurationIso(s) => ws.write_string_with_format(row, col, s, &f)?,
            Data::Error(e) => ws.write_string_with_format(row, col, e.to_string(), &f)?,
            Data::Empty => ws.write_blank(row, col, &f)?,
        };
        Ok(())
    };
    let (r0, c0) = sheet.range.start().unwrap_or((0, 0));
    let value_at = |row: u32, col: u32| -> Data {
        if row < r0 || col < c0 {
            return Data::Empty;
        }
        sheet.range.get(((row - r0) as usize, (col - c0) as usize)).cloned().unwrap_or(Data::Empty)
    };
    // Merged ranges first (their first cell is written after).
    for ((fr, fc), (lr, lc)) in &p.merges {
        let f = format_of(*fr, *fc as u16, &value_at(*fr, *fc));
        let _ = ws.merge_range(*fr, *fc as u16, *lr, *lc as u16, "", &f);
    }
    for (r, c, value) in sheet.range.cells() {
        let (row, col) = (r0 + r as u32, (c0 + c as u32) as u16);
        if matches!(value, Data::Empty) && !marks.contains_key(&(row, col)) {
            continue;
        }
        write(ws, row, col, value).map_err(xerr)?;
    }
    // Marked cells outside the values read (an empty cell that should hold a figure).
    for ((row, col), (_, texts)) in &marks {
        if matches!(value_at(*row, *col as u32), Data::Empty) {
            write(ws, *row, *col, &Data::Empty).map_err(xerr)?;
        }
        let note = Note::new(texts.join("\n")).set_author(&a.author).add_author_prefix(false).set_width(300).set_height(120);
        ws.insert_note(*row, *col, &note).map_err(xerr)?;
    }
    for row in &p.hidden_rows {
        ws.set_row_hidden(*row).map_err(xerr)?;
    }
    for col in &p.hidden_cols {
        ws.set_column_hidden(*col as u16).map_err(xerr)?;
    }
    ws.set_autofit_max_width(400);
    ws.autofit();
    Ok(())
}

/// 问题清单, laid out as in an xlsx copy.
fn list_sheet(ws: &mut Worksheet, a: &Annotation) -> Result<(), AnnotateError> {
    ws.set_name(&a.list_name).map_err(xerr)?;
    let ncols = a.list_header.len().max(1) as u16;
    for (k, w) in LIST_WIDTHS.iter().enumerate().take(ncols as usize) {
        ws.set_column_width(k as u16, *w).map_err(xerr)?;
    }
    let base = Format::new().set_font_name("宋体").set_font_size(11).set_text_wrap().set_align(FormatAlign::Top);
    let title = base.clone().set_bold().set_font_size(14).set_align(FormatAlign::VerticalCenter);
    let boxed = base.clone().set_border(FormatBorder::Thin);
    let header = boxed.clone().set_bold().set_background_color(Color::RGB(0xD9D9D9)).set_align(FormatAlign::Center);
    let link = boxed.clone().set_font_color(Color::RGB(0x0563C1)).set_underline(rust_xlsxwriter::FormatUnderline::Single);
    let mut r: u32 = 0;
    for (k, line) in a.list_lines.iter().enumerate() {
        ws.merge_range(r, 0, r, ncols - 1, line, if k == 0 { &title } else { &base }).map_err(xerr)?;
        ws.set_row_height(r, line_height(line, k == 0)).map_err(xerr)?;
        r += 1;
    }
    r += 1;
    let header_row = r;
    for (k, h) in a.list_header.iter().enumerate() {
        ws.write_string_with_format(r, k as u16, h, &header).map_err(xerr)?;
    }
    for row in &a.list_rows {
        r += 1;
        for (k, text) in row.cells.iter().enumerate() {
            let col = k as u16;
            match (&row.link, k == a.link_column) {
                (Some((sheet, cell)), true) => {
                    let url = Url::new(format!("internal:'{}'!{}", sheet.replace('\'', "''"), cell)).set_text(text);
                    ws.write_url_with_format(r, col, url, &link).map_err(xerr)?;
                    continue;
                }
                _ => match text.parse::<u32>() {
                    Ok(n) if k == 0 && !text.starts_with('0') => ws.write_number_with_format(r, col, n, &boxed).map_err(xerr)?,
                    _ => ws.write_string_with_format(r, col, text, &boxed).map_err(xerr)?,
                },
            };
        }
    }
    ws.set_landscape().set_paper_size(9).set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header_row, header_row).map_err(xerr)?;
    ws.set_active(true);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_become_serial_numbers() {
        assert_eq!(iso_serial("2025-12-31"), Some((46022.0, false)));
        assert_eq!(iso_serial("1900-03-01"), Some((61.0, false)));
        assert_eq!(iso_serial("2025-12-31T12:00:00"), Some((46022.5, true)));
        assert_eq!(iso_serial("十二月"), None);
    }

    #[test]
    fn number_formats_show_the_figure_as_the_original() {
        assert_eq!(number_format(NumberFormat { percent: true, decimals: Some(1) }), "0.0%");
        assert_eq!(number_format(NumberFormat { percent: true, decimals: None }), "0%");
        assert_eq!(number_format(NumberFormat { percent: false, decimals: Some(2) }), "0.00");
        assert_eq!(number_format(NumberFormat { percent: false, decimals: Some(0) }), "0");
    }
}
