//! What one input file may cost, checked before calamine allocates anything for it:
//! size on disk, the sizes a zip package declares (zip bombs), the cells an ods sheet
//! expands to (repeated rows, columns and cells), and the area an xls declares. calamine
//! builds dense sheets and aborts the process when memory runs out, which cannot be
//! caught; these checks keep every allocation it makes bounded by `[limits]`.

use std::io::{BufReader, Read};

use quick_xml::events::{BytesStart, Event};

use crate::finding::{Code, Finding};
use crate::plan::Limits;

pub(super) fn check_size(size: u64, limits: &Limits, rel: &str) -> Result<(), Box<Finding>> {
    let mb = size as f64 / 1_048_576.0;
    if mb > limits.max_file_mb {
        return Err(Box::new(
            Finding::error(
                Code::FileTooLarge,
                format!(
                    "文件有 {:.1} MB，超过 {} MB 的上限，未读取。填报表通常不足 1 MB，请删除图片和无关的工作表后重新报送。",
                    mb, limits.max_file_mb
                ),
            )
            .in_file(rel),
        ));
    }
    Ok(())
}

/// Look at the sizes a zip package declares for its parts, without inflating anything:
/// a “zip bomb” (a few KB that inflate to gigabytes) is refused here.
pub(super) fn check_zip(bytes: &[u8], limits: &Limits, rel: &str) -> Result<(), Box<Finding>> {
    let refuse = |why: String| {
        Box::new(
            Finding::error(
                Code::ZipBomb,
                format!("{why}，可能是损坏或恶意构造的文件（压缩炸弹），未读取。请用 Excel 或 WPS 重新另存后报送。"),
            )
            .in_file(rel),
        )
    };
    // A broken package is left to calamine, which says why.
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else { return Ok(()) };
    if zip.len() > 10_000 {
        return Err(refuse(format!("压缩包中有 {} 个部件", zip.len())));
    }
    let (part_limit, total_limit) = ((limits.max_part_mb * 1_048_576.0) as u64, (limits.max_unpacked_mb * 1_048_576.0) as u64);
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index_raw(i) else { continue };
        let size = entry.size();
        if size > part_limit {
            return Err(refuse(format!(
                "部件“{}”解压后有 {} MB，超过 {} MB 的上限",
                entry.name().unwrap_or_default(),
                size / 1_048_576,
                limits.max_part_mb
            )));
        }
        total = total.saturating_add(size);
    }
    if total > total_limit {
        return Err(refuse(format!("解压后共 {} MB，超过 {} MB 的上限", total / 1_048_576, limits.max_unpacked_mb)));
    }
    Ok(())
}

/// The most cells the reader takes from a sheet (and so the most calamine may build for
/// one): the rows × columns of `[limits]`.
fn cell_limit(limits: &Limits) -> u64 {
    limits.max_rows as u64 * limits.max_columns as u64
}

/// An ods is parsed whole when it is opened, and calamine expands repeated cells
/// (`number-columns-repeated`, up to 16,384 per row) as it reads each row and repeated
/// rows (`number-rows-repeated`) when it builds each sheet. content.xml is scanned
/// first, counting what calamine 0.38 would build; a file over the cell limit is refused.
pub(super) fn check_ods(bytes: &[u8], limits: &Limits, rel: &str) -> Result<(), Box<Finding>> {
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else { return Ok(()) };
    let Ok(content) = zip.by_name("content.xml") else { return Ok(()) };
    let cap = (limits.max_part_mb * 1_048_576.0) as u64;
    let cells = ods_cells(BufReader::new(content.take(cap)));
    let limit = cell_limit(limits);
    if cells > limit {
        return Err(Box::new(
            Finding::error(
                Code::SheetTooLarge,
                format!(
                    "表格展开后有 {cells} 个单元格（重复的行或列），超过 {} 行 × {} 列的上限（ods 文件会整表读入，无法只读一部分；文件可能已损坏），未读取。请用 WPS 或 LibreOffice 打开后删除多余的行列，另存为 xlsx 再报送。",
                    limits.max_rows, limits.max_columns
                ),
            )
            .in_file(rel),
        ));
    }
    Ok(())
}

/// What calamine would hold for all the sheets of an ods (it reads them all at open):
/// per sheet, the larger of the cells it keeps while reading rows and the dense range
/// it builds from them. An XML error ends the count (calamine stops there too).
fn ods_cells(content: impl std::io::BufRead) -> u64 {
    const MAX_ROWS: u64 = 1_048_576;
    const MAX_COLUMNS: u64 = 16_384;
    /// One sheet, counted as it streams by (no per-row memory).
    #[derive(Default)]
    struct Sheet {
        rows: u64,
        /// Cells calamine pushes while reading the rows.
        held: u64,
        /// Widest row, and the rows from the first non-empty one to the last one.
        width: u64,
        height: u64,
        since_first: Option<u64>,
    }
    impl Sheet {
        fn cells(&self) -> u64 {
            self.held.max(self.height.saturating_mul(self.width))
        }
    }
    let number = |e: &BytesStart, name: &str| -> u64 {
        e.try_get_attribute(name).ok().flatten().and_then(|a| a.value.trim().parse::<u64>().ok()).unwrap_or(1)
    };
    let mut xml = quick_xml::Reader::from_reader(content);
    let mut buf = Vec::new();
    let mut total: u64 = 0;
    let mut sheet = Sheet::default();
    // The row being read: its repeats, cells pushed, empty cells waiting for a value.
    let mut row: Option<(u64, u64, u64)> = None;
    let end_row = |sheet: &mut Sheet, repeats: u64, pushed: u64| {
        if let Some(since) = sheet.since_first.as_mut() {
            *since = since.saturating_add(repeats);
        }
        if pushed > 0 {
            let since = *sheet.since_first.get_or_insert(repeats);
            sheet.height = since;
            sheet.width = sheet.width.max(pushed);
        }
    };
    loop {
        buf.clear();
        let (event, closed) = match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => (e, false),
            Ok(Event::Empty(e)) => (e, true),
            Ok(Event::End(e)) => {
                match e.name().as_ref() {
                    "table:table-row" => {
                        if let Some((repeats, pushed, _)) = row.take() {
                            end_row(&mut sheet, repeats, pushed);
                        }
                    }
                    "table:table" => total = total.saturating_add(std::mem::take(&mut sheet).cells()),
                    _ => {}
                }
                continue;
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => continue,
        };
        match event.name().as_ref() {
            "table:table-row" => {
                let repeats = number(&event, "table:number-rows-repeated").min(MAX_ROWS.saturating_sub(sheet.rows));
                sheet.rows += repeats;
                if closed {
                    end_row(&mut sheet, repeats, 0);
                } else {
                    row = Some((repeats, 0, 0));
                }
            }
            "table:table-cell" | "table:covered-table-cell" => {
                let Some((_, pushed, waiting)) = row.as_mut() else { continue };
                let repeats = number(&event, "table:number-columns-repeated");
                // A value when calamine might find one: an office: value attribute, a
                // formula, or any content.
                let valued = !closed
                    || event.attributes().flatten().any(|a| a.key.as_ref().starts_with("office:") || a.key.as_ref() == "table:formula");
                if valued {
                    let before = (*waiting).min(MAX_COLUMNS.saturating_sub(*pushed));
                    let these = repeats.min(MAX_COLUMNS.saturating_sub(*pushed + before));
                    *pushed += before + these;
                    sheet.held = sheet.held.saturating_add(before + these);
                    *waiting = 0;
                } else {
                    *waiting = repeats.min(MAX_COLUMNS.saturating_sub(*pushed));
                }
            }
            _ => {}
        }
    }
    total.saturating_add(sheet.cells())
}

/// 65,536 rows × 256 columns: the largest sheet an xls (BIFF8) file can hold.
const XLS_MAX_CELLS: u64 = 65_536 * 256;

/// An xls is checked before calamine parses it, because two kinds of damage make
/// calamine 0.38 exhaust memory (which aborts the process, it cannot be caught): a
/// sector chain that loops in the compound file, and a DIMENSIONS record declaring a
/// huge sheet (calamine reserves memory for the whole area at open). The `cfb` crate
/// validates the compound file (every sector pointed to once, so no loops); the
/// workbook stream it returns is then searched for DIMENSIONS records.
pub(super) fn check_xls(bytes: &[u8], limits: &Limits, rel: &str) -> Result<(), Box<Finding>> {
    let damaged = |why: String| {
        Box::new(
            Finding::error(Code::Corrupt, format!("文件损坏（{why}），未读取。请用 Excel 或 WPS 打开确认后另存为 xlsx 再报送。"))
                .in_file(rel),
        )
    };
    let mut file = cfb::CompoundFile::open(std::io::Cursor::new(bytes)).map_err(|e| damaged(format!("复合文件结构有误：{e}")))?;
    let name = ["/Workbook", "/Book", "/WORKBOOK", "/BOOK"].into_iter().find(|n| file.is_stream(n));
    let Some(name) = name else { return Err(damaged("找不到工作簿数据流".into())) };
    let mut stream = Vec::new();
    file.open_stream(name).and_then(|mut s| s.read_to_end(&mut stream)).map_err(|e| damaged(format!("工作簿数据流有误：{e}")))?;
    let cells = xls_declared_cells(&stream);
    if cells > XLS_MAX_CELLS.min(limits.max_rows as u64 * limits.max_columns as u64) {
        return Err(Box::new(
            Finding::error(
                Code::SheetTooLarge,
                format!(
                    "表格范围有 {cells} 个单元格，超过 {} 行 × {} 列的上限（xls 文件会整表读入，无法只读一部分；文件可能已损坏），未读取。请用 Excel 或 WPS 打开后删除多余的行列，另存为 xlsx 再报送。",
                    limits.max_rows, limits.max_columns
                ),
            )
            .in_file(rel),
        ));
    }
    Ok(())
}

/// The largest rows × columns declared by BIFF DIMENSIONS records (type 0x0200) in the
/// workbook stream, computed the way calamine 0.38 does (including its wrap-around).
/// No real xls sheet is larger than 65,536 rows × 256 columns; the bytes are scanned,
/// so a figure that merely looks like such a record could be taken for one, which is
/// harmless within that bound.
fn xls_declared_cells(stream: &[u8]) -> u64 {
    let u16_at = |i: usize| u16::from_le_bytes([stream[i], stream[i + 1]]) as u32;
    let u32_at = |i: usize| u32::from_le_bytes([stream[i], stream[i + 1], stream[i + 2], stream[i + 3]]);
    // The area of one DIMENSIONS record's data, the way calamine reads it.
    let area = |d: usize, len: usize| -> u64 {
        let (rf, rl, mut cf, cl) = match len {
            10 => (u16_at(d), u16_at(d + 2), u16_at(d + 4), u16_at(d + 6)),
            14 | 16 => (u32_at(d), u32_at(d + 4), u16_at(d + 8), u16_at(d + 10)),
            _ => return 0,
        };
        if 0xFF < cf || cl < cf {
            cf = 0;
        }
        if rl >= 1 && cl >= 1 {
            let rows = (rl - 1).wrapping_sub(rf).wrapping_add(1) as u64;
            let cols = (cl - 1).wrapping_sub(cf).wrapping_add(1) as u64;
            rows.saturating_mul(cols)
        } else {
            0
        }
    };
    // Walk the records from `start` as calamine does; returns BOUNDSHEET offsets seen.
    // calamine also builds each sheet as a dense rectangle around its cells, so the
    // bounding box of the cell records (row and column are their first two u16) counts.
    let walk = |start: usize, largest: &mut u64| -> Vec<usize> {
        let mut sheets = Vec::new();
        let mut bbox: Option<(u32, u32, u32, u32)> = None;
        let mut i = start;
        while i + 4 <= stream.len() {
            let (typ, len) = (u16_at(i), u16_at(i + 2) as usize);
            let d = i + 4;
            if d + len > stream.len() {
                break;
            }
            let cell = match typ {
                0x0200 => {
                    *largest = (*largest).max(area(d, len));
                    None
                }
                0x0085 if len >= 4 => {
                    sheets.push(u32_at(d) as usize);
                    None
                }
                // NUMBER, LABEL, LABELSST, RK, BOOLERR, FORMULA, RSTRING, BLANK
                0x0203 | 0x0204 | 0x00FD | 0x027E | 0x0205 | 0x0006 | 0x00D6 | 0x0201 if len >= 4 => {
                    Some((u16_at(d), u16_at(d + 2), u16_at(d + 2)))
                }
                // MULRK, MULBLANK: a run of columns ending with the last column's index.
                0x00BD | 0x00BE if len >= 6 => Some((u16_at(d), u16_at(d + 2), u16_at(d + len - 2))),
                _ => None,
            };
            if let Some((r, c0, c1)) = cell {
                let (lo, hi) = (c0.min(c1), c0.max(c1));
                bbox = Some(match bbox {
                    None => (r, r, lo, hi),
                    Some((r0, r1, a, b)) => (r0.min(r), r1.max(r), a.min(lo), b.max(hi)),
                });
            }
            i = d + len;
        }
        if let Some((r0, r1, c0, c1)) = bbox {
            *largest = (*largest).max((r1 - r0 + 1) as u64 * (c1 - c0 + 1) as u64);
        }
        sheets
    };
    let mut largest = 0u64;
    // The globals from the start, then each sheet from where BOUNDSHEET says it is.
    for offset in walk(0, &mut largest) {
        if offset < stream.len() {
            walk(offset, &mut largest);
        }
    }
    largest
}
