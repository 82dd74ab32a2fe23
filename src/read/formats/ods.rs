//! ods (OpenDocument): data styles (`number:number-style`, `number:percentage-style`, …)
//! and the cell styles naming them (`style:data-style-name`), from the common styles of
//! styles.xml and the automatic styles of content.xml; then the table in content.xml:
//! columns and rows with their repeats and visibility, cells with their value type,
//! repeats and spans.
//!
//! Names are compared qualified (`table:table-cell`), as calamine does: ODF files keep
//! the usual prefixes, and a file that did not would give calamine no cells either.

use std::collections::HashMap;
use std::io::BufRead;

use super::package::{attr, number, Package, Tag, Xml};
use super::{NumberFormat, Recorder, Result, MAX_STYLES};

pub(super) fn read(bytes: &[u8], sheet: &str, out: &mut Recorder) -> Result<()> {
    let mut package = Package::open(bytes)?;
    let mut styles = Styles::default();
    if let Some(reader) = package.part("styles.xml")? {
        styles.read(reader, "styles.xml", "office:styles", out)?;
    }
    let content = package.required("content.xml")?;
    read_content(content, sheet, &mut styles, out)
}

pub(super) fn sheet_names(bytes: &[u8], out: &mut Recorder) -> Result<Vec<String>> {
    let mut package = Package::open(bytes)?;
    let mut names = Vec::new();
    // Tables inside cells are no sheets.
    let mut depth = 0u32;
    Xml::new(package.required("content.xml")?, "content.xml").walk(out, |tag, _| {
        match tag {
            Tag::Open(e, empty) if e.name().as_ref() == "table:table" => {
                if depth == 0 {
                    names.push(attr(e, "table:name").unwrap_or_default().into_owned());
                }
                depth += u32::from(!empty);
            }
            Tag::Close("table") => depth = depth.saturating_sub(1),
            _ => {}
        }
        Ok(true)
    })?;
    Ok(names)
}

/// A data style: the format it gives, and the style it applies to positive numbers when
/// it has sections (`style:map` with `value()>=0`).
struct DataStyle {
    format: Option<NumberFormat>,
    positive: Option<String>,
}

/// A cell style: its data style, or its parent's.
struct CellStyle {
    data: Option<String>,
    parent: Option<String>,
}

#[derive(Default)]
struct Styles {
    data: HashMap<String, DataStyle>,
    cells: HashMap<String, CellStyle>,
}

/// The data style being read.
struct Reading {
    name: String,
    /// Its element's local name, to find its end.
    element: String,
    numeric: bool,
    percent: bool,
    decimals: Option<u8>,
    fraction: bool,
    positive: Option<String>,
}

/// One section of styles being read.
struct Section<'a> {
    part: &'a str,
    /// Its element, qualified and local.
    name: &'a str,
    local: &'a str,
    inside: bool,
    reading: Option<Reading>,
}

impl<'a> Section<'a> {
    fn new(part: &'a str, name: &'a str) -> Section<'a> {
        let local = name.split_once(':').map_or(name, |(_, local)| local);
        Section { part, name, local, inside: false, reading: None }
    }

    fn step(&mut self, tag: Tag<'_>, styles: &mut Styles) -> Result<()> {
        match tag {
            Tag::Open(e, empty) => {
                let name = e.name();
                let name = name.as_ref();
                if name == self.name {
                    self.inside = !empty;
                    return Ok(());
                }
                if !self.inside {
                    return Ok(());
                }
                if styles.data.len() + styles.cells.len() >= MAX_STYLES {
                    return Err(format!("{}: too many styles", self.part));
                }
                match name {
                    "number:number-style"
                    | "number:percentage-style"
                    | "number:currency-style"
                    | "number:date-style"
                    | "number:time-style"
                    | "number:boolean-style"
                    | "number:text-style" => {
                        let Some(style) = attr(e, "style:name") else { return Ok(()) };
                        let r = Reading {
                            name: style.into_owned(),
                            element: e.local_name().as_ref().to_string(),
                            numeric: matches!(name, "number:number-style" | "number:percentage-style" | "number:currency-style"),
                            percent: name == "number:percentage-style",
                            decimals: None,
                            fraction: false,
                            positive: None,
                        };
                        if empty {
                            styles.add(r);
                        } else {
                            self.reading = Some(r);
                        }
                    }
                    "number:number" | "number:scientific-number" => {
                        if let Some(r) = self.reading.as_mut() {
                            r.decimals = number::<u32>(attr(e, "number:decimal-places")).map(|d| d.min(255) as u8);
                        }
                    }
                    "number:fraction" => {
                        if let Some(r) = self.reading.as_mut() {
                            r.fraction = true;
                        }
                    }
                    "style:map" => {
                        if let Some(r) = self.reading.as_mut().filter(|r| r.positive.is_none()) {
                            let condition: String = attr(e, "style:condition").unwrap_or_default().split_whitespace().collect();
                            if condition.starts_with("value()>") {
                                r.positive = attr(e, "style:apply-style-name").map(|s| s.into_owned());
                            }
                        }
                    }
                    "style:style" if attr(e, "style:family").as_deref() == Some("table-cell") => {
                        if let Some(style) = attr(e, "style:name") {
                            let data = attr(e, "style:data-style-name").map(|s| s.into_owned());
                            let parent = attr(e, "style:parent-style-name").map(|s| s.into_owned());
                            styles.cells.insert(style.into_owned(), CellStyle { data, parent });
                        }
                    }
                    _ => {}
                }
            }
            Tag::Close(local) => {
                if let Some(r) = self.reading.take_if(|r| r.element == local) {
                    styles.add(r);
                } else if local == self.local {
                    self.inside = false;
                }
            }
            Tag::Text(_) => {}
        }
        Ok(())
    }
}

impl Styles {
    /// The styles in the `section` element of a part (styles.xml has the common ones in
    /// office:styles; its automatic ones serve its page styles only).
    fn read(&mut self, reader: impl BufRead, part: &str, section: &str, out: &mut Recorder) -> Result<()> {
        let mut section = Section::new(part, section);
        Xml::new(reader, part).walk(out, |tag, _| section.step(tag, self).map(|()| true))
    }

    fn add(&mut self, r: Reading) {
        let format = (r.numeric && !r.fraction).then_some(NumberFormat { percent: r.percent, decimals: r.decimals });
        self.data.insert(r.name, DataStyle { format, positive: r.positive });
    }

    /// The format a cell style gives a positive number.
    fn format(&self, cell_style: &str) -> Option<NumberFormat> {
        let mut name = cell_style;
        // A parent chain longer than this is a loop.
        for _ in 0..16 {
            let style = self.cells.get(name)?;
            if let Some(data) = &style.data {
                let data = self.data.get(data)?;
                let positive = data.positive.as_deref().and_then(|p| self.data.get(p));
                return positive.unwrap_or(data).format;
            }
            name = style.parent.as_deref()?;
        }
        None
    }
}

/// The row being read, kept until its end to be repeated.
#[derive(Default)]
struct Row {
    first: u32,
    repeats: u32,
    hidden: bool,
    default_style: Option<String>,
    col: u32,
    /// Formatted numeric cells within the bounds, by column.
    cells: Vec<(u32, NumberFormat)>,
    /// Spanning cells within the bounds: column, rows spanned, columns spanned.
    merges: Vec<(u32, u32, u32)>,
}

/// The table being read.
#[derive(Default)]
struct Table {
    /// Open `table:table` elements: 1 inside the sheet, more inside a table in a cell.
    depth: u32,
    found: bool,
    next_col: u32,
    /// Column runs within the bounds: first, last, default cell style.
    columns: Vec<(u32, u32, Option<String>)>,
    next_row: u32,
    row: Option<Row>,
}

fn read_content(reader: impl BufRead, sheet: &str, styles: &mut Styles, out: &mut Recorder) -> Result<()> {
    let mut table = Table::default();
    let mut automatic = Section::new("content.xml", "office:automatic-styles");
    Xml::new(reader, "content.xml").walk(out, |tag, out| {
        if let Tag::Open(e, empty) = &tag {
            if e.name().as_ref() == "table:table" {
                if table.depth == 0 && !table.found && attr(e, "table:name").as_deref() == Some(sheet) {
                    table.found = true;
                    if *empty {
                        return Ok(false);
                    }
                    table.depth = 1;
                } else if table.depth > 0 && !*empty {
                    table.depth += 1;
                }
                return Ok(true);
            }
        }
        if let Tag::Close("table") = tag {
            if table.depth > 0 {
                table.depth -= 1;
                return Ok(table.depth > 0);
            }
        }
        if table.depth == 0 {
            return automatic.step(tag, styles).map(|()| true);
        }
        if table.depth > 1 {
            return Ok(true);
        }
        table.step(tag, styles, out)
    })?;
    if !table.found {
        return Err("no sheet of this name".into());
    }
    Ok(())
}

/// The default cell style of column `col`, from the runs of `table:table-column`.
fn column_style(columns: &[(u32, u32, Option<String>)], col: u32) -> Option<&str> {
    let i = columns.partition_point(|(first, _, _)| *first <= col).checked_sub(1)?;
    let (_, last, style) = &columns[i];
    (col <= *last).then_some(style.as_deref()).flatten()
}

/// A repeat or span count: at least one.
fn count(value: Option<std::borrow::Cow<'_, str>>) -> u32 {
    number::<u64>(value).unwrap_or(1).clamp(1, u64::from(u32::MAX)) as u32
}

fn hidden(e: &quick_xml::events::BytesStart<'_>) -> bool {
    matches!(attr(e, "table:visibility").as_deref(), Some("collapse" | "filter"))
}

impl Table {
    /// One event inside the sheet's table; `Ok(false)` once past the rows within bounds.
    fn step(&mut self, tag: Tag<'_>, styles: &Styles, out: &mut Recorder) -> Result<bool> {
        match tag {
            Tag::Open(e, empty) => match e.name().as_ref() {
                "table:table-column" => {
                    let (first, repeats) = (self.next_col, count(attr(e, "table:number-columns-repeated")));
                    let last = first.saturating_add(repeats - 1);
                    self.next_col = last.saturating_add(1);
                    if hidden(e) {
                        out.hide_cols(first, last);
                    }
                    if first < out.cols {
                        let style = attr(e, "table:default-cell-style-name").map(|s| s.into_owned());
                        self.columns.push((first, last, style));
                    }
                }
                "table:table-row" => {
                    self.row = Some(Row {
                        first: self.next_row,
                        repeats: count(attr(e, "table:number-rows-repeated")),
                        hidden: hidden(e),
                        default_style: attr(e, "table:default-cell-style-name").map(|s| s.into_owned()),
                        ..Row::default()
                    });
                    if empty {
                        return self.end_row(out);
                    }
                }
                "table:table-cell" | "table:covered-table-cell" => {
                    let Some(row) = self.row.as_mut() else { return Ok(true) };
                    let first = row.col;
                    let repeats = count(attr(e, "table:number-columns-repeated"));
                    row.col = first.saturating_add(repeats);
                    if e.name().as_ref() == "table:covered-table-cell" || first >= out.cols {
                        return Ok(true);
                    }
                    let value_type = attr(e, "office:value-type");
                    if matches!(value_type.as_deref(), Some("float" | "percentage" | "currency")) {
                        let own = attr(e, "table:style-name");
                        for col in first..row.col.min(out.cols) {
                            let style = own.as_deref().or(row.default_style.as_deref()).or_else(|| column_style(&self.columns, col));
                            let mut format = styles.format(style.unwrap_or("Default"));
                            if value_type.as_deref() == Some("percentage") {
                                format = Some(NumberFormat { percent: true, decimals: format.and_then(|f| f.decimals) });
                            }
                            if let Some(f) = format.filter(|f| !f.is_general()) {
                                row.cells.push((col, f));
                            }
                        }
                    }
                    let (rows, cols) = (count(attr(e, "table:number-rows-spanned")), count(attr(e, "table:number-columns-spanned")));
                    if rows > 1 || cols > 1 {
                        row.merges.push((first, rows, cols));
                    }
                }
                _ => {}
            },
            Tag::Close("table-row") => return self.end_row(out),
            _ => {}
        }
        Ok(true)
    }

    /// The row ends: its cells and merges for each of its repeats within the bounds.
    fn end_row(&mut self, out: &mut Recorder) -> Result<bool> {
        let Some(row) = self.row.take() else { return Ok(true) };
        let last = row.first.saturating_add(row.repeats - 1);
        out.rows(row.first, last, row.hidden);
        let bound = out.rows;
        for r in (row.first..=last).take_while(|&r| r < bound) {
            for &(col, format) in &row.cells {
                out.number((r, col), Some(format));
            }
            for &(col, rows, cols) in &row.merges {
                out.merge((r, col), (r.saturating_add(rows - 1), col.saturating_add(cols - 1)))?;
            }
        }
        self.next_row = last.saturating_add(1);
        Ok(self.next_row < out.rows)
    }
}
