//! How a sheet presents its cells, which calamine does not say for every format: the
//! number format of each numeric cell (a percentage? how many decimals?), the hidden rows
//! and columns, and the merged ranges, read from the file itself for xlsx/xlsm, xls, xlsb
//! and ods, so that the reader treats the four alike.
//!
//! The files are untrusted (they have passed the checks of `limits`, nothing more). Nothing
//! here allocates by a count or an index read from the file: a row number of 1,048,576 or a
//! repeat count of 10⁹ costs nothing, only positions within `max_rows` × `max_cols` are
//! recorded, merges and the records or elements read are capped, and a malformed file is
//! an `Err`, never a panic.

use std::collections::{BTreeSet, HashMap};

mod code;
mod ods;
mod package;
mod xls;
mod xlsb;
mod xlsx;

/// The file formats, by content: WPS's .et is an xls or an xlsx inside, and the caller
/// passes what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// xlsx, xlsm (and an .et holding one).
    Xlsx,
    /// BIFF8 (Excel 97–2003), and BIFF5 as well as it goes (see `xls`).
    Xls,
    Xlsb,
    Ods,
}

impl Kind {
    /// The largest sheet the format holds (rows, columns): the bounds never exceed it, so
    /// that what a bound costs is known whatever the caller asks.
    fn largest(self) -> (u32, u32) {
        match self {
            Kind::Xls => (65_536, 256),
            Kind::Xlsx | Kind::Xlsb | Kind::Ods => (1_048_576, 16_384),
        }
    }
}

/// How a number is shown, as far as reading it back needs: whether as a percentage, and
/// how many decimals at most (`0.0#` shows up to 2). `decimals: None` is "as stored"
/// (General).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NumberFormat {
    pub percent: bool,
    pub decimals: Option<u8>,
}

impl NumberFormat {
    /// Whether it says anything General does not.
    fn is_general(self) -> bool {
        !self.percent && self.decimals.is_none()
    }
}

/// What one sheet shows, beyond its values. Positions are zero-based (row, column) as in
/// calamine, all within the bounds asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Presentation {
    /// Numeric cells (numbers and formulas with a number for result) whose format is not
    /// General. Dates, times, fractions and text formats (`@`) are left out: they do not
    /// show a decimal number.
    pub formats: HashMap<(u32, u32), NumberFormat>,
    pub hidden_rows: BTreeSet<u32>,
    pub hidden_cols: BTreeSet<u32>,
    /// Merged ranges as inclusive corners, the last clipped to the bounds; only those whose
    /// first cell is within them.
    pub merges: Vec<((u32, u32), (u32, u32))>,
}

/// The presentation of the sheet named `sheet` (as calamine names it) in `bytes`, a file
/// of `kind`, within `max_rows` × `max_cols`.
pub fn presentation(bytes: &[u8], kind: Kind, sheet: &str, max_rows: u32, max_cols: u32) -> Result<Presentation, String> {
    Workbook::new(bytes, kind).presentation(sheet, max_rows, max_cols)
}

/// A workbook whose sheets' presentations are read one by one, the parts every sheet
/// needs (an xlsx's or xlsb's package, workbook, relationships and styles) read once, at
/// the first sheet asked for.
pub struct Workbook<'a> {
    bytes: &'a [u8],
    kind: Kind,
    book: Option<Result<package::Book<'a>, String>>,
}

impl<'a> Workbook<'a> {
    pub fn new(bytes: &'a [u8], kind: Kind) -> Workbook<'a> {
        Workbook { bytes, kind, book: None }
    }

    /// `presentation` of the sheet named `sheet`. (The parts read once have a budget of
    /// steps of their own, as large as a sheet's.)
    pub fn presentation(&mut self, sheet: &str, max_rows: u32, max_cols: u32) -> Result<Presentation, String> {
        let (rows, cols) = self.kind.largest();
        let mut out = Recorder::new(max_rows.min(rows), max_cols.min(cols));
        let bytes = self.bytes;
        match self.kind {
            Kind::Xlsx => self.book(package::Book::open::<xlsx::Xlsx>)?.read::<xlsx::Xlsx>(sheet, &mut out),
            Kind::Xlsb => self.book(package::Book::open::<xlsb::Xlsb>)?.read::<xlsb::Xlsb>(sheet, &mut out),
            Kind::Xls => xls::read(bytes, sheet, &mut out),
            Kind::Ods => ods::read(bytes, sheet, &mut out),
        }?;
        Ok(out.finish())
    }

    /// The package's shared parts, read at the first call (an error then is every sheet's).
    fn book(&mut self, open: fn(&'a [u8], &mut Recorder) -> Result<package::Book<'a>>) -> Result<&mut package::Book<'a>> {
        let bytes = self.bytes;
        self.book.get_or_insert_with(|| open(bytes, &mut Recorder::new(0, 0))).as_mut().map_err(|e| e.clone())
    }
}

/// The sheet names of the workbook, in order, as `presentation` knows them.
pub fn sheet_names(bytes: &[u8], kind: Kind) -> Result<Vec<String>, String> {
    let mut out = Recorder::new(0, 0);
    match kind {
        Kind::Xlsx => package::sheet_names::<xlsx::Xlsx>(bytes, &mut out),
        Kind::Xlsb => package::sheet_names::<xlsb::Xlsb>(bytes, &mut out),
        Kind::Xls => xls::sheet_names(bytes, &mut out),
        Kind::Ods => ods::sheet_names(bytes, &mut out),
    }
}

type Result<T, E = String> = std::result::Result<T, E>;

/// More merges than this in one sheet is not a return (Excel itself slows to a crawl).
const MAX_MERGES: usize = 100_000;
/// Records (binary formats) or XML events (the others) read for one sheet, styles and
/// workbook parts included: far above any real return, far below a minute of work.
const MAX_STEPS: u64 = 50_000_000;
/// Number formats or cell styles defined in a workbook (Excel allows about 64,000).
const MAX_STYLES: usize = 1 << 17;

/// What the format readers find, kept within the bounds and the budget.
struct Recorder {
    out: Presentation,
    rows: u32,
    cols: u32,
    steps: u64,
    /// Rows not listed are hidden (Excel's "hide the rest of the sheet": zeroHeight); the
    /// listed ones that are not hidden are remembered to tell them apart. Every format
    /// declares this before its rows.
    rows_hidden_by_default: bool,
    shown_rows: BTreeSet<u32>,
}

impl Recorder {
    fn new(rows: u32, cols: u32) -> Recorder {
        Recorder { out: Presentation::default(), rows, cols, steps: MAX_STEPS, rows_hidden_by_default: false, shown_rows: BTreeSet::new() }
    }

    /// One more record or element read.
    fn step(&mut self) -> Result<()> {
        self.steps = self.steps.checked_sub(1).ok_or_else(|| format!("more than {MAX_STEPS} records"))?;
        Ok(())
    }

    fn number(&mut self, (row, col): (u32, u32), format: Option<NumberFormat>) {
        if let Some(format) = format.filter(|f| !f.is_general()) {
            if row < self.rows && col < self.cols {
                self.out.formats.insert((row, col), format);
            }
        }
    }

    /// Rows `first..=last`, hidden or not.
    fn rows(&mut self, first: u32, last: u32, hidden: bool) {
        if first >= self.rows {
            return;
        }
        let within = first..=last.min(self.rows - 1);
        if hidden {
            self.out.hidden_rows.extend(within);
        } else if self.rows_hidden_by_default {
            self.shown_rows.extend(within);
        }
    }

    fn hide_cols(&mut self, first: u32, last: u32) {
        if first < self.cols {
            self.out.hidden_cols.extend(first..=last.min(self.cols - 1));
        }
    }

    /// A merged range given by two opposite corners; a single cell is no merge.
    fn merge(&mut self, (r0, c0): (u32, u32), (r1, c1): (u32, u32)) -> Result<()> {
        let (first, last) = ((r0.min(r1), c0.min(c1)), (r0.max(r1), c0.max(c1)));
        if first == last || first.0 >= self.rows || first.1 >= self.cols {
            return Ok(());
        }
        if self.out.merges.len() >= MAX_MERGES {
            return Err(format!("more than {MAX_MERGES} merged ranges"));
        }
        self.out.merges.push((first, (last.0.min(self.rows - 1), last.1.min(self.cols - 1))));
        Ok(())
    }

    fn finish(mut self) -> Presentation {
        if self.rows_hidden_by_default {
            let shown = &self.shown_rows;
            self.out.hidden_rows.extend((0..self.rows).filter(|r| !shown.contains(r)));
        }
        self.out
    }
}

/// An Excel workbook's number formats (id → code) and cell formats (XFs, each naming a
/// number format by id), as xlsx, xlsb and xls list them.
#[derive(Default)]
struct CellFormats {
    defined: HashMap<u32, Option<NumberFormat>>,
    xf_format_ids: Vec<u32>,
}

impl CellFormats {
    /// Number format `id` has code `code` (None: one that could not be read, taken as General).
    fn define(&mut self, id: u32, code: Option<&str>) -> Result<()> {
        if self.defined.len() >= MAX_STYLES {
            return Err("too many number formats".into());
        }
        self.defined.insert(id, code.and_then(code::parse));
        Ok(())
    }

    /// The next cell format uses number format `id`.
    fn push(&mut self, id: u32) -> Result<()> {
        if self.xf_format_ids.len() >= MAX_STYLES {
            return Err("too many cell formats".into());
        }
        self.xf_format_ids.push(id);
        Ok(())
    }

    /// The number format of each cell format, by index: the code the workbook defines for
    /// its id, else the built-in one.
    fn finish(self) -> Vec<Option<NumberFormat>> {
        let defined = self.defined;
        self.xf_format_ids.iter().map(|id| defined.get(id).copied().unwrap_or_else(|| code::builtin(*id).and_then(code::parse))).collect()
    }
}

#[cfg(test)]
mod tests;
