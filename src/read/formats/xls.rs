//! xls ([MS-XLS], BIFF8; BIFF5 as far as the same records go): the compound file's
//! workbook stream. Its globals hold the number formats (FORMAT), the cell formats (XF)
//! and the sheets with the offset of each one's records (BOUNDSHEET); a sheet's records
//! hold DEFAULTROWHEIGHT, COLINFO, ROW, the cells (NUMBER, RK, MULRK, FORMULA with a
//! number for result) and MERGEDCELLS.
//!
//! CONTINUE records are records of their own: walking record by record never reads one
//! as something else, and none of the records read here is long enough to need one.
//! BIFF5 has no MERGEDCELLS; its names are read in the workbook's code page.

use std::io::Read;

use super::{CellFormats, NumberFormat, Recorder, Result};

pub(super) fn read(bytes: &[u8], sheet: &str, out: &mut Recorder) -> Result<()> {
    let stream = workbook_stream(bytes)?;
    let mut at = None;
    let formats = globals(&stream, out, &mut |name, offset| {
        if name == sheet && at.is_none() {
            at = Some(offset);
        }
    })?;
    let at = at.ok_or("no sheet of this name")?;
    read_sheet(&stream, at, &formats, out)
}

pub(super) fn sheet_names(bytes: &[u8], out: &mut Recorder) -> Result<Vec<String>> {
    let stream = workbook_stream(bytes)?;
    let mut names = Vec::new();
    globals(&stream, out, &mut |name, _| names.push(name.to_string()))?;
    Ok(names)
}

/// The workbook stream: "Workbook" (BIFF8) or "Book" (BIFF5); the compound file crate
/// compares names without regard to case.
fn workbook_stream(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut file = cfb::CompoundFile::open(std::io::Cursor::new(bytes)).map_err(|e| format!("not a compound file: {e}"))?;
    let name = ["/Workbook", "/Book"].into_iter().find(|n| file.is_stream(n)).ok_or("no workbook stream")?;
    let mut stream = Vec::new();
    file.open_stream(name).and_then(|mut s| s.read_to_end(&mut stream)).map_err(|e| format!("workbook stream: {e}"))?;
    Ok(stream)
}

/// BIFF records from `at`: type, length, data. A record cut short ends the walk with an
/// error.
struct Records<'a> {
    stream: &'a [u8],
    at: usize,
}

impl<'a> Records<'a> {
    fn next(&mut self, out: &mut Recorder) -> Result<Option<(u16, &'a [u8])>> {
        if self.at >= self.stream.len() {
            return Ok(None);
        }
        out.step()?;
        let (Some(typ), Some(len)) = (u16_at(self.stream, self.at), u16_at(self.stream, self.at + 2)) else {
            return Err("a record is cut short".into());
        };
        let start = self.at + 4;
        let data = self.stream.get(start..start + usize::from(len)).ok_or("a record is cut short")?;
        self.at = start + usize::from(len);
        Ok(Some((typ, data)))
    }
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// The globals: the number format of each cell format (XF), by index; each sheet's name
/// and the offset of its BOF to `each`.
fn globals(stream: &[u8], out: &mut Recorder, each: &mut dyn FnMut(&str, usize)) -> Result<Vec<Option<NumberFormat>>> {
    let mut records = Records { stream, at: 0 };
    let mut biff8 = true;
    let mut seen_bof = false;
    // BIFF8 strings say whether they are UTF-16 or Latin-1; BIFF5 ones are in the code page.
    let mut codepage = encoding_rs::WINDOWS_1252;
    let mut formats = CellFormats::default();
    while let Some((typ, data)) = records.next(out)? {
        let bad = |what: &str| format!("malformed {what} record");
        match typ {
            // BOF: the BIFF version (calamine's reading: 0 with a BIFF5 type is BIFF5).
            0x0809 if !seen_bof => {
                seen_bof = true;
                let (version, kind) = (u16_at(data, 0).ok_or_else(|| bad("BOF"))?, u16_at(data, 2).unwrap_or(0));
                biff8 = match version {
                    0x0600 => true,
                    0x0500 => false,
                    0 => kind != 0x1000,
                    0x0200..=0x0400 | 0x0002 | 0x0007 => return Err("BIFF2–4 file".into()),
                    _ => true,
                };
            }
            // FILEPASS: the rest is encrypted.
            0x002F => return Err("encrypted workbook".into()),
            0x0042 => {
                let page = u16_at(data, 0).ok_or_else(|| bad("CODEPAGE"))?;
                codepage = codepage::to_encoding(page).unwrap_or(encoding_rs::WINDOWS_1252);
            }
            // FORMAT: id, code (an XLUnicodeString in BIFF8, a byte string in BIFF5).
            0x041E => {
                let id = u16_at(data, 0).ok_or_else(|| bad("FORMAT"))?;
                let code = if biff8 {
                    u16_at(data, 2).and_then(|cch| unicode_string(data.get(4..)?, usize::from(cch)))
                } else {
                    data.get(2).and_then(|&cch| data.get(3..3 + usize::from(cch))).map(|b| codepage.decode(b).0.into_owned())
                };
                formats.define(u32::from(id), code.as_deref())?;
            }
            // XF: font, format id, …; cells index all of them, style XFs included.
            0x00E0 => formats.push(u32::from(u16_at(data, 2).ok_or_else(|| bad("XF"))?))?,
            // BOUNDSHEET: offset of the sheet's BOF, state, type, name.
            0x0085 => {
                let at = u32_at(data, 0).ok_or_else(|| bad("BOUNDSHEET"))? as usize;
                let cch = usize::from(*data.get(6).ok_or_else(|| bad("BOUNDSHEET"))?);
                let text = if biff8 {
                    data.get(7..).and_then(|s| unicode_string(s, cch))
                } else {
                    data.get(7..7 + cch).map(|b| codepage.decode(b).0.into_owned())
                };
                // As calamine names sheets.
                let mut text = text.ok_or_else(|| bad("BOUNDSHEET"))?;
                text.retain(|c| c != '\0');
                each(&text, at);
            }
            // EOF of the globals.
            0x000A => break,
            _ => {}
        }
    }
    Ok(formats.finish())
}

/// BIFF8 string characters after the count: a flags byte (fHighByte: UTF-16LE, else one
/// byte a character), then the characters. None when cut short.
fn unicode_string(data: &[u8], cch: usize) -> Option<String> {
    let (&flags, chars) = data.split_first()?;
    if flags & 0x01 != 0 {
        let units: Vec<u16> = chars.get(..cch * 2)?.chunks_exact(2).map(|u| u16::from_le_bytes([u[0], u[1]])).collect();
        Some(String::from_utf16_lossy(&units))
    } else {
        Some(chars.get(..cch)?.iter().map(|&b| char::from(b)).collect())
    }
}

fn read_sheet(stream: &[u8], at: usize, formats: &[Option<NumberFormat>], out: &mut Recorder) -> Result<()> {
    if at >= stream.len() {
        return Err("the sheet's offset lies beyond the workbook stream".into());
    }
    let mut records = Records { stream, at };
    let format = |ixfe: u16| formats.get(usize::from(ixfe)).copied().flatten();
    // Charts embedded in the sheet come as substreams of their own (BOF … EOF) inside it.
    let mut depth = 0u32;
    while let Some((typ, data)) = records.next(out)? {
        let bad = |what: &str| format!("malformed {what} record");
        match typ {
            0x0809 => {
                depth += 1;
                continue;
            }
            0x000A => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
                continue;
            }
            _ if depth != 1 => {
                if depth == 0 {
                    return Err("the sheet's records do not begin with BOF".into());
                }
                continue;
            }
            _ => {}
        }
        let cell = |data: &[u8]| -> Result<(u32, u32, u16)> {
            match (u16_at(data, 0), u16_at(data, 2), u16_at(data, 4)) {
                (Some(r), Some(c), Some(x)) => Ok((u32::from(r), u32::from(c), x)),
                _ => Err(bad("cell")),
            }
        };
        match typ {
            // DEFAULTROWHEIGHT: flags (fUnsynced, fDyZero: rows hidden unless listed), height.
            0x0225 => out.rows_hidden_by_default = u16_at(data, 0).ok_or_else(|| bad("DEFAULTROWHEIGHT"))? & 0x0002 != 0,
            // COLINFO: first, last, width, format, flags (fHidden). Excel writes 256 as
            // the last column of the last range.
            0x007D => {
                let (Some(first), Some(last), Some(flags)) = (u16_at(data, 0), u16_at(data, 2), u16_at(data, 8)) else {
                    return Err(bad("COLINFO"));
                };
                if flags & 0x0001 != 0 || u16_at(data, 4) == Some(0) {
                    out.hide_cols(u32::from(first), u32::from(last));
                }
            }
            // ROW: row, first and last column, height, …, flags (fDyZero at 0x20).
            0x0208 => {
                let (Some(row), Some(flags)) = (u16_at(data, 0), u16_at(data, 12)) else { return Err(bad("ROW")) };
                out.rows(u32::from(row), u32::from(row), flags & 0x0020 != 0);
            }
            // NUMBER, RK: row, column, XF, number.
            0x0203 | 0x027E => {
                let (r, c, ixfe) = cell(data)?;
                out.number((r, c), format(ixfe));
            }
            // FORMULA: row, column, XF, result; a result ending in 0xFFFF is a string,
            // boolean, error or blank, not a number.
            0x0006 => {
                let (r, c, ixfe) = cell(data)?;
                if u16_at(data, 12).ok_or_else(|| bad("FORMULA"))? != 0xFFFF {
                    out.number((r, c), format(ixfe));
                }
            }
            // MULRK: row, first column, (XF, RK) for each column, last column.
            0x00BD => {
                let (r, first) = match (u16_at(data, 0), u16_at(data, 2)) {
                    (Some(r), Some(c)) if data.len() >= 6 => (u32::from(r), u32::from(c)),
                    _ => return Err(bad("MULRK")),
                };
                for (i, rk) in data[4..data.len() - 2].chunks_exact(6).enumerate() {
                    out.number((r, first + i as u32), format(u16::from_le_bytes([rk[0], rk[1]])));
                }
            }
            // MERGEDCELLS: count, then (first row, last row, first column, last column).
            0x00E5 => {
                let count = usize::from(u16_at(data, 0).ok_or_else(|| bad("MERGEDCELLS"))?);
                for range in data[2..].chunks_exact(8).take(count) {
                    let v = |i: usize| u32::from(u16::from_le_bytes([range[i], range[i + 1]]));
                    out.merge((v(0), v(4)), (v(2), v(6)))?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}
