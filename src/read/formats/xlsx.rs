//! xlsx and xlsm (Office Open XML): the workbook's `<sheet>` list, the styles' `numFmts`
//! and `cellXfs`, then the sheet: `<sheetFormatPr zeroHeight>`, `<col>`, `<row>`, `<c>`,
//! `<mergeCell>`.

use std::io::BufRead;

use super::package::{attr, attrs, number, truthy, Parts, Tag, Xml};
use super::{CellFormats, NumberFormat, Recorder, Result};

pub(super) struct Xlsx;

impl Parts for Xlsx {
    const WORKBOOK: &'static str = "xl/workbook.xml";

    fn sheets(book: &mut dyn BufRead, out: &mut Recorder, each: &mut dyn FnMut(&str, &str) -> bool) -> Result<()> {
        Xml::new(book, "workbook").walk(out, |tag, _| {
            if let Tag::Open(e, _) = tag {
                // r:id, whatever the prefix of the relationships namespace.
                if let (true, Some(name), Some(id)) = (e.local_name().as_ref() == "sheet", attr(e, "name"), attr(e, "id")) {
                    return Ok(!each(&name, &id));
                }
            }
            Ok(true)
        })
    }

    fn cell_formats(styles: &mut dyn BufRead, part: &str, out: &mut Recorder) -> Result<Vec<Option<NumberFormat>>> {
        let mut formats = CellFormats::default();
        // `<xf>` also lists cell styles (cellStyleXfs); cells index only the cellXfs.
        let mut in_cell_xfs = false;
        Xml::new(styles, part).walk(out, |tag, _| {
            match tag {
                Tag::Open(e, empty) => match e.local_name().as_ref() {
                    "numFmt" => {
                        if let (Some(id), Some(code)) = (number(attr(e, "numFmtId")), attr(e, "formatCode")) {
                            formats.define(id, Some(&code)).map_err(|e| format!("{part}: {e}"))?;
                        }
                    }
                    "cellXfs" => in_cell_xfs = !empty,
                    "xf" if in_cell_xfs => formats.push(number(attr(e, "numFmtId")).unwrap_or(0)).map_err(|e| format!("{part}: {e}"))?,
                    _ => {}
                },
                Tag::Close("cellXfs") => in_cell_xfs = false,
                _ => {}
            }
            Ok(true)
        })?;
        Ok(formats.finish())
    }

    fn read_sheet(reader: &mut dyn BufRead, name: &str, formats: &[Option<NumberFormat>], out: &mut Recorder) -> Result<()> {
        // Rows and cells may leave out their `r`: the next row, the next column.
        let mut next_row: u32 = 0;
        let mut row: u32 = 0;
        let mut next_col: u32 = 0;
        let mut cell: Option<Cell> = None;
        Xml::new(reader, name).walk(out, |tag, out| {
            match tag {
                Tag::Open(e, empty) => match e.local_name().as_ref() {
                    "sheetFormatPr" => out.rows_hidden_by_default = truthy(attr(e, "zeroHeight")),
                    "col" => {
                        let (Some(min), Some(max)) = (number::<u32>(attr(e, "min")), number::<u32>(attr(e, "max"))) else {
                            return Err(format!("{name}: a <col> without min and max"));
                        };
                        let zero_width = number::<f64>(attr(e, "width")) == Some(0.0);
                        if min >= 1 && (truthy(attr(e, "hidden")) || zero_width) {
                            out.hide_cols(min - 1, max.saturating_sub(1));
                        }
                    }
                    "row" => {
                        let [r, ht, hidden] = attrs(e, ["r", "ht", "hidden"]);
                        row = match r {
                            Some(r) => r
                                .trim()
                                .parse::<u32>()
                                .ok()
                                .and_then(|r| r.checked_sub(1))
                                .ok_or_else(|| format!("{name}: row r=\"{r}\""))?,
                            None => next_row,
                        };
                        next_row = row.saturating_add(1);
                        next_col = 0;
                        let zero_height = number::<f64>(ht) == Some(0.0);
                        out.rows(row, row, truthy(hidden) || zero_height);
                    }
                    "c" => {
                        let [r, s, t] = attrs(e, ["r", "s", "t"]);
                        let pos = match r {
                            Some(r) => cell_ref(&r).ok_or_else(|| format!("{name}: cell r=\"{r}\""))?,
                            None => (row, next_col),
                        };
                        next_col = pos.1.saturating_add(1);
                        let style: usize = number(s).unwrap_or(0);
                        let numeric = matches!(t.as_deref(), None | Some("n"));
                        if !empty {
                            let format = formats.get(style).copied().flatten();
                            cell = Some(Cell { pos, format, numeric, in_value: false, has_value: false });
                        }
                    }
                    "v" if !empty => {
                        if let Some(c) = cell.as_mut() {
                            c.in_value = true;
                        }
                    }
                    "mergeCell" => {
                        if let Some(range) = attr(e, "ref") {
                            if let Some((first, last)) = range.split_once(':') {
                                match (cell_ref(first), cell_ref(last)) {
                                    (Some(first), Some(last)) => out.merge(first, last)?,
                                    _ => return Err(format!("{name}: merged range \"{range}\"")),
                                }
                            }
                        }
                    }
                    _ => {}
                },
                Tag::Text(true) => {
                    if let Some(c) = cell.as_mut().filter(|c| c.in_value) {
                        c.has_value = true;
                    }
                }
                Tag::Close("v") => {
                    if let Some(c) = cell.as_mut() {
                        c.in_value = false;
                    }
                }
                Tag::Close("c") => {
                    if let Some(c) = cell.take().filter(|c| c.numeric && c.has_value) {
                        out.number(c.pos, c.format);
                    }
                }
                _ => {}
            }
            Ok(true)
        })
    }
}

/// The cell being read: where, its format, whether it holds a number.
struct Cell {
    pos: (u32, u32),
    format: Option<NumberFormat>,
    numeric: bool,
    in_value: bool,
    has_value: bool,
}

/// A cell reference (`B12`, `$B$12`) as zero-based (row, column); None when it is not one
/// or lies beyond the largest sheet.
fn cell_ref(text: &str) -> Option<(u32, u32)> {
    let text = text.trim().trim_start_matches('$');
    let letters = text.bytes().take_while(u8::is_ascii_alphabetic).count();
    let (col, row) = text.split_at(letters);
    let row = row.strip_prefix('$').unwrap_or(row);
    if !(1..=3).contains(&letters) || row.is_empty() || row.len() > 7 || !row.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let col = col.bytes().fold(0u32, |n, b| n * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1));
    let row: u32 = row.parse().ok()?;
    if col > 16_384 || row == 0 || row > 1_048_576 {
        return None;
    }
    Some((row - 1, col - 1))
}

#[cfg(test)]
mod tests {
    use super::cell_ref;

    #[test]
    fn formats_cell_references() {
        assert_eq!(cell_ref("A1"), Some((0, 0)));
        assert_eq!(cell_ref("B12"), Some((11, 1)));
        assert_eq!(cell_ref("$AB$3"), Some((2, 27)));
        assert_eq!(cell_ref("xfd1048576"), Some((1_048_575, 16_383)));
        for bad in ["", "A", "1", "A0", "XFE1", "A1048577", "AAAA1", "A1B", "A-1", "A99999999999"] {
            assert_eq!(cell_ref(bad), None, "{bad}");
        }
    }
}
