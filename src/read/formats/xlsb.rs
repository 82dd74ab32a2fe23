//! xlsb ([MS-XLSB], BIFF12): the package of xlsx with binary parts. workbook.bin lists the
//! sheets (BrtBundleSh), styles.bin the number formats (BrtFmt) and cell formats (BrtXF
//! between BrtBeginCellXFs and BrtEndCellXFs); a sheet part has BrtWsFmtInfo,
//! BrtColInfo, then rows (BrtRowHdr) and cells between BrtBeginSheetData and
//! BrtEndSheetData, then BrtMergeCell.

use std::io::{BufRead, Read};

use super::package::Parts;
use super::{CellFormats, NumberFormat, Recorder, Result};

pub(super) struct Xlsb;

impl Parts for Xlsb {
    const WORKBOOK: &'static str = "xl/workbook.bin";

    /// BrtBundleSh: state, tab id, relationship id, name; up to BrtEndBundleShs.
    fn sheets(book: &mut dyn BufRead, out: &mut Recorder, each: &mut dyn FnMut(&str, &str) -> bool) -> Result<()> {
        let mut records = Records::new(book, "workbook.bin");
        while let Some((typ, body)) = records.next(out)? {
            match typ {
                // A null relationship id (0xFFFFFFFF): a sheet with no part.
                0x009C if u32_at(body, 8) != Some(u32::MAX) => {
                    let bad = || malformed("workbook.bin", "BrtBundleSh");
                    let (id, end) = wide_string(body, 8).ok_or_else(bad)?;
                    let (name, _) = wide_string(body, end).ok_or_else(bad)?;
                    if each(&name, &id) {
                        break;
                    }
                }
                0x0090 => break,
                _ => {}
            }
        }
        Ok(())
    }

    /// BrtFmt (id, code) and the BrtXF (parent, format id, …) between BrtBeginCellXFs and
    /// BrtEndCellXFs: the others are cell style formats.
    fn cell_formats(styles: &mut dyn BufRead, part: &str, out: &mut Recorder) -> Result<Vec<Option<NumberFormat>>> {
        let mut records = Records::new(styles, part);
        let mut formats = CellFormats::default();
        let mut in_cell_xfs = false;
        while let Some((typ, body)) = records.next(out)? {
            match typ {
                0x002C => {
                    let id = u16_at(body, 0).ok_or_else(|| malformed(part, "BrtFmt"))?;
                    // A code too long to keep is none Excel wrote: read as General.
                    let code = wide_string(body, 2).map(|(code, _)| code);
                    formats.define(u32::from(id), code.as_deref()).map_err(|e| format!("{part}: {e}"))?;
                }
                0x0269 => in_cell_xfs = true,
                0x026A => in_cell_xfs = false,
                0x002F if in_cell_xfs => {
                    let id = u16_at(body, 2).ok_or_else(|| malformed(part, "BrtXF"))?;
                    formats.push(u32::from(id)).map_err(|e| format!("{part}: {e}"))?;
                }
                // BrtEndStyleSheet
                0x0117 => break,
                _ => {}
            }
        }
        Ok(formats.finish())
    }

    fn read_sheet(reader: &mut dyn BufRead, name: &str, formats: &[Option<NumberFormat>], out: &mut Recorder) -> Result<()> {
        let mut records = Records::new(reader, name);
        let mut in_data = false;
        let mut row: u32 = 0;
        // The short cell records (BrtShort…) leave out the column: the one after the previous cell.
        let mut next_col: u32 = 0;
        while let Some((typ, body)) = records.next(out)? {
            let bad = |what| malformed(name, what);
            match typ {
                // BrtWsFmtInfo: …, flags (fUnsynced, fDyZero: rows hidden unless listed).
                0x01E5 => out.rows_hidden_by_default = u16_at(body, 8).ok_or_else(|| bad("BrtWsFmtInfo"))? & 0x0002 != 0,
                // BrtColInfo: first, last, width, format, flags (fHidden).
                0x003C => {
                    let (Some(first), Some(last), Some(width), Some(flags)) =
                        (u32_at(body, 0), u32_at(body, 4), u32_at(body, 8), u16_at(body, 16))
                    else {
                        return Err(bad("BrtColInfo"));
                    };
                    if flags & 0x0001 != 0 || width == 0 {
                        out.hide_cols(first, last);
                    }
                }
                // BrtBeginSheetData, BrtEndSheetData
                0x0091 => in_data = true,
                0x0092 => in_data = false,
                // BrtRowHdr: row, format, height, flags (fDyZero in the second byte).
                0x0000 if in_data => {
                    let (Some(r), Some(&flags)) = (u32_at(body, 0), body.get(11)) else { return Err(bad("BrtRowHdr")) };
                    row = r;
                    next_col = 0;
                    out.rows(row, row, flags & 0x10 != 0);
                }
                // Cells: column, style (24 bits) and flags, value. Numbers: BrtCellRk,
                // BrtCellReal, BrtFmlaNum.
                0x0001..=0x000B | 0x003E if in_data => {
                    let (Some(col), Some(style)) = (u32_at(body, 0), u32_at(body, 4)) else { return Err(bad("cell record")) };
                    next_col = col.saturating_add(1);
                    if matches!(typ, 0x0002 | 0x0005 | 0x0009) {
                        out.number((row, col), formats.get((style & 0x00FF_FFFF) as usize).copied().flatten());
                    }
                }
                // The same without the column: BrtShortRk and BrtShortReal hold numbers.
                0x000C..=0x0012 if in_data => {
                    let style = u32_at(body, 0).ok_or_else(|| bad("cell record"))?;
                    let col = next_col;
                    next_col = col.saturating_add(1);
                    if matches!(typ, 0x000D | 0x0010) {
                        out.number((row, col), formats.get((style & 0x00FF_FFFF) as usize).copied().flatten());
                    }
                }
                // BrtMergeCell: first row, last row, first column, last column.
                0x00B0 => {
                    let (Some(r0), Some(r1), Some(c0), Some(c1)) = (u32_at(body, 0), u32_at(body, 4), u32_at(body, 8), u32_at(body, 12))
                    else {
                        return Err(bad("BrtMergeCell"));
                    };
                    out.merge((r0, c0), (r1, c1))?;
                }
                // BrtEndSheet
                0x0082 => break,
                _ => {}
            }
        }
        Ok(())
    }
}

/// BIFF12 records, each body cut to what the records read here need (the longest is a
/// format code of 255 characters): a size read from the file never sizes a buffer.
struct Records<R: Read> {
    reader: R,
    body: [u8; BODY],
    name: String,
}

const BODY: usize = 1024;

impl<R: Read> Records<R> {
    fn new(reader: R, name: &str) -> Records<R> {
        Records { reader, body: [0; BODY], name: name.to_string() }
    }

    /// The next record's type and (cut) body; None at the end of the part.
    fn next(&mut self, out: &mut Recorder) -> Result<Option<(u16, &[u8])>> {
        out.step()?;
        let Some(first) = self.byte()? else { return Ok(None) };
        // Type: one or two bytes of 7 bits; size: up to four.
        let typ = if first & 0x80 == 0 { u16::from(first) } else { u16::from(first & 0x7F) | u16::from(self.needed()? & 0x7F) << 7 };
        let mut size: u64 = 0;
        for i in 0..4 {
            let b = self.needed()?;
            size |= u64::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                break;
            }
        }
        let kept = (size as usize).min(BODY);
        self.reader.read_exact(&mut self.body[..kept]).map_err(|e| self.truncated(e))?;
        let rest = size - kept as u64;
        if rest > 0 {
            let skipped = std::io::copy(&mut (&mut self.reader).take(rest), &mut std::io::sink()).map_err(|e| self.truncated(e))?;
            if skipped < rest {
                return Err(format!("{}: a record is cut short", self.name));
            }
        }
        Ok(Some((typ, &self.body[..kept])))
    }

    fn byte(&mut self) -> Result<Option<u8>> {
        let mut b = [0u8];
        match self.reader.read(&mut b) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(b[0])),
            Err(e) => Err(self.truncated(e)),
        }
    }

    fn needed(&mut self) -> Result<u8> {
        self.byte()?.ok_or_else(|| format!("{}: a record is cut short", self.name))
    }

    fn truncated(&self, e: std::io::Error) -> String {
        format!("{}: {e}", self.name)
    }
}

fn u16_at(body: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(body.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(body: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(body.get(at..at + 4)?.try_into().ok()?))
}

/// An XLWideString (count of UTF-16 units, then the units) at `at`, and where it ends.
/// An XLNullableWideString's null (0xFFFFFFFF) is None.
fn wide_string(body: &[u8], at: usize) -> Option<(String, usize)> {
    let len = u32_at(body, at)? as usize;
    let end = (at + 4).checked_add(len.checked_mul(2)?)?;
    let units: Vec<u16> = body.get(at + 4..end)?.chunks_exact(2).map(|u| u16::from_le_bytes([u[0], u[1]])).collect();
    Some((String::from_utf16_lossy(&units), end))
}

fn malformed(name: &str, what: &str) -> String {
    format!("{name}: malformed {what}")
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// One BIFF12 record.
    pub(in super::super) fn record(typ: u16, body: &[u8]) -> Vec<u8> {
        let mut out = if typ < 0x80 { vec![typ as u8] } else { vec![(typ & 0x7F) as u8 | 0x80, (typ >> 7) as u8] };
        let mut n = body.len();
        loop {
            let more = n > 0x7F;
            out.push((n & 0x7F) as u8 | if more { 0x80 } else { 0 });
            n >>= 7;
            if !more {
                break;
            }
        }
        out.extend_from_slice(body);
        out
    }

    fn cell(col: Option<u32>, style: u32, value: &[u8]) -> Vec<u8> {
        let mut body: Vec<u8> = col.map(u32::to_le_bytes).into_iter().flatten().collect();
        body.extend(style.to_le_bytes());
        body.extend(value);
        body
    }

    fn sheet(records: &[Vec<u8>]) -> super::super::Presentation {
        let mut out = Recorder::new(100, 10);
        let formats = [None, Some(NumberFormat { percent: true, decimals: Some(1) })];
        Xlsb::read_sheet(&mut records.concat().as_slice(), "sheet", &formats, &mut out).unwrap();
        out.finish()
    }

    #[test]
    fn formats_xlsb_short_cells_take_the_column_after_the_previous_cell() {
        let row = |r: u32| record(0x0000, &[r.to_le_bytes().as_slice(), &[0; 4], &300u16.to_le_bytes(), &[0, 0, 0], &[0; 4]].concat());
        let got = sheet(&[
            record(0x0091, &[]),
            row(2),
            record(0x0005, &cell(Some(3), 1, &1.5f64.to_le_bytes())),
            record(0x0010, &cell(None, 1, &2.5f64.to_le_bytes())),
            record(0x000C, &cell(None, 1, &[])),
            record(0x000D, &cell(None, 1, &[0, 0, 0, 0])),
            row(3),
            record(0x0010, &cell(None, 1, &2.5f64.to_le_bytes())),
            record(0x0092, &[]),
        ]);
        let mut at: Vec<_> = got.formats.keys().copied().collect();
        at.sort_unstable();
        assert_eq!(at, [(2, 3), (2, 4), (2, 6), (3, 0)]);
    }

    #[test]
    fn formats_xlsb_long_records_are_cut_not_buffered() {
        // A record declaring 100 KB of body and holding it, then a merge: read past, not kept.
        let big = record(0x0100, &vec![7u8; 100_000]);
        let merge = record(0x00B0, &[1u32, 2, 0, 1].map(u32::to_le_bytes).concat());
        let got = sheet(&[big, merge]);
        assert_eq!(got.merges, [((1, 0), (2, 1))]);
        // Cut short: an error, not a panic.
        let mut out = Recorder::new(100, 10);
        let mut cut = &record(0x00B0, &[0u8; 16])[..10];
        assert!(Xlsb::read_sheet(&mut cut, "sheet", &[], &mut out).is_err());
    }
}
