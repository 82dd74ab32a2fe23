//! One input file: fingerprint, what its bytes really are, the limits it must keep
//! (size, zip parts, sheets, cells), then the workbook itself through calamine.

use std::io::{Read, Seek};
use std::path::Path;

use calamine::{Cell, Data, Range, Reader, SheetVisible, Sheets};
use sha2::{Digest, Sha256};

use super::{projects, read_sheet, InputFile, Observation, ProjectReport, ReadOutcome};
use crate::finding::Finding;
use crate::plan::{Limits, Plan};

/// Read one workbook; a panic inside calamine or our code becomes a finding.
pub fn read_file(plan: &Plan, path: &Path, rel: &str) -> ReadOutcome {
    // Rejected until read.
    let mut file = InputFile::rejected(rel, "");
    let limits = &plan.rules.limits;
    // Too large: hashed for the manifest without being held in memory, then refused.
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size as f64 / 1_048_576.0 > limits.max_file_mb {
        file.size = size;
        file.sha256 = sha256_streamed(path).unwrap_or_default();
        let f = *check_size(size, limits, rel).expect_err("over the limit");
        file.reason = f.message.clone();
        return ReadOutcome { findings: vec![f], files: vec![file], ..Default::default() };
    }
    let (bytes, sniffed) = match fingerprint(path) {
        Ok((bytes, sha256, sniffed)) => {
            file.size = bytes.len() as u64;
            file.sha256 = sha256;
            (bytes, sniffed)
        }
        Err(e) => {
            let f = Finding::error("file_unreadable", format!("无法读取文件：{e}。请检查文件是否被占用或没有读取权限。")).in_file(rel);
            file.reason = f.message.clone();
            return ReadOutcome { findings: vec![f], files: vec![file], ..Default::default() };
        }
    };
    let result = contained(|| {
        failpoint(rel);
        check_content(path, sniffed, rel)?;
        match sniffed {
            Sniffed::Zip => check_zip(&bytes, limits, rel)?,
            Sniffed::Compound { .. } => check_xls(&bytes, limits, rel)?,
            Sniffed::Other => {}
        }
        read_workbook(plan, path, bytes, rel)
    });
    let mut w = match result {
        Ok(Ok(w)) => {
            file.status = "已读取".into();
            w
        }
        Ok(Err(reason)) => {
            file.reason = reason.message.clone();
            WorkbookRead { findings: vec![*reason], ..Default::default() }
        }
        Err(what) => {
            let f = Finding::error(
                "read_crashed",
                format!("读取此文件时程序出错（{what}），文件未被采用。请用 Excel 或 WPS 打开后另存为 xlsx 再报送，并把原文件发给工具维护人员。"),
            )
            .in_file(rel);
            file.reason = f.message.clone();
            WorkbookRead { findings: vec![f], ..Default::default() }
        }
    };
    for f in &mut w.findings {
        if f.file.is_empty() {
            f.file = rel.to_string();
        }
    }
    file.figures = w.observations.iter().filter(|o| o.value.is_some()).count();
    file.department = w.department;
    file.year = w.year;
    file.filled_date = w.filled_date;
    ReadOutcome { observations: w.observations, projects: w.projects, findings: w.findings, files: vec![file] }
}

/// What the first bytes say a file is, whatever its extension.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Sniffed {
    Zip,
    /// An OLE compound file: a real .xls, or an encrypted xlsx/xlsm/xlsb.
    Compound {
        encrypted_ooxml: bool,
    },
    Other,
}

fn sha256_streamed(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(crate::publish::hex(&h.finalize()))
}

/// The file's bytes (read once: hashed, sniffed, then parsed from memory).
fn fingerprint(path: &Path) -> std::io::Result<(Vec<u8>, String, Sniffed)> {
    let bytes = std::fs::read(path)?;
    let digest = Sha256::digest(&bytes);
    const CFB: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    let sniffed = if bytes.starts_with(b"PK") {
        Sniffed::Zip
    } else if bytes.starts_with(&CFB) {
        // Office encryption stores the workbook in a compound file with an
        // "EncryptionInfo" stream (its directory name is UTF-16).
        let name: Vec<u8> = "EncryptionInfo".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        Sniffed::Compound { encrypted_ooxml: bytes.windows(name.len()).any(|w| w == name.as_slice()) }
    } else {
        Sniffed::Other
    };
    let sha = crate::publish::hex(&digest);
    Ok((bytes, sha, sniffed))
}

/// 65,536 rows × 256 columns: the largest sheet an xls (BIFF8) file can hold.
const XLS_MAX_CELLS: u64 = 65_536 * 256;

/// An xls is checked before calamine parses it, because two kinds of damage make
/// calamine 0.38 exhaust memory (which aborts the process, it cannot be caught): a
/// sector chain that loops in the compound file, and a DIMENSIONS record declaring a
/// huge sheet (calamine reserves memory for the whole area at open). The `cfb` crate
/// validates the compound file (every sector pointed to once, so no loops); the
/// workbook stream it returns is then searched for DIMENSIONS records.
fn check_xls(bytes: &[u8], limits: &Limits, rel: &str) -> Result<(), Box<Finding>> {
    let damaged = |why: String| {
        Box::new(
            Finding::error("corrupt", format!("文件损坏（{why}），未读取。请用 Excel 或 WPS 打开确认后另存为 xlsx 再报送。")).in_file(rel),
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
                "sheet_too_large",
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

/// Refuse, before calamine sees it, a file whose content contradicts its extension.
fn check_content(path: &Path, sniffed: Sniffed, rel: &str) -> Result<(), Box<Finding>> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let zip_format = matches!(ext.as_str(), "xlsx" | "xlsm" | "xlsb" | "ods");
    match sniffed {
        Sniffed::Compound { encrypted_ooxml: true, .. } => Err(Box::new(
            Finding::error("encrypted", "文件设置了打开密码（加密/密码保护），无法读取。请取消密码后重新报送。").in_file(rel),
        )),
        Sniffed::Zip | Sniffed::Compound { .. } => Ok(()),
        Sniffed::Other if zip_format || ext == "xls" => Err(Box::new(
            Finding::error(
                "not_a_spreadsheet",
                format!("文件扩展名是 .{ext}，但内容不是表格文件（可能是改了扩展名的文本或其他文件）。请用 Excel 或 WPS 打开确认后另存为 xlsx 再报送。"),
            )
            .in_file(rel),
        )),
        Sniffed::Other => Ok(()),
    }
}

#[derive(Default)]
struct WorkbookRead {
    observations: Vec<Observation>,
    projects: Vec<ProjectReport>,
    findings: Vec<Finding>,
    department: String,
    year: Option<i32>,
    filled_date: Option<String>,
}

fn read_workbook(plan: &Plan, path: &Path, bytes: Vec<u8>, rel: &str) -> Result<WorkbookRead, Box<Finding>> {
    let limits = &plan.rules.limits;
    let mut workbook = open(path, bytes).map_err(|e| Box::new(open_error(e, rel)))?;
    let hidden: Vec<String> =
        workbook.sheets_metadata().iter().filter(|s| s.visible != SheetVisible::Visible).map(|s| s.name.clone()).collect();
    let mut names = workbook.sheet_names();
    let mut w = WorkbookRead::default();
    if names.len() > limits.max_sheets {
        w.findings.push(
            Finding::warning(
                "too_many_sheets",
                format!(
                    "文件有 {} 个工作表，只读取了前 {} 个。填报表通常只有一两个工作表，请删除无关的工作表。",
                    names.len(),
                    limits.max_sheets
                ),
            )
            .in_file(rel),
        );
        names.truncate(limits.max_sheets);
    }
    let mut tables = 0;
    let mut any_content = false;
    let mut others = Vec::new();
    for name in &names {
        let range = match bounded_range(&mut workbook, name, limits) {
            Ok((r, clipped)) => {
                if clipped {
                    w.findings.push(
                        Finding::warning(
                            "cells_beyond_limit",
                            format!(
                                "工作表中第 {} 行或第 {} 列以外还有内容，这些单元格未读取。请删除表格以外的内容。",
                                limits.max_rows, limits.max_columns
                            ),
                        )
                        .in_file(rel)
                        .at(name, ""),
                    );
                }
                r
            }
            Err(e) => {
                w.findings.push(Finding::warning("sheet_unreadable", format!("工作表无法读取（{e}），已跳过。")).in_file(rel).at(name, ""));
                continue;
            }
        };
        if range.used_cells().any(|(_, _, d)| !matches!(d, Data::Empty)) {
            any_content = true;
        }
        let Some(mut sheet) = read_sheet(plan, rel, name, &range) else {
            others.push((name.clone(), range));
            continue;
        };
        tables += 1;
        if hidden.contains(name) {
            w.findings.push(
                Finding::warning("hidden_sheet", "此工作表是隐藏的，其中的数据已读取；请确认是否应当报送。").in_file(rel).at(name, ""),
            );
        }
        if w.department.is_empty() {
            w.department = sheet.department.clone();
        }
        if w.year.is_none() {
            w.year = sheet.year;
        }
        if w.filled_date.is_none() {
            w.filled_date = sheet.filled_date.clone();
        }
        if !sheet.percent_candidates.is_empty() {
            // Number formats (xlsx only), looked up only when needed: a 0.945 shown as
            // 94.5% is read as 94.5.
            if let Ok(styles) = workbook.worksheet_style(name) {
                for &(r, c, i) in &sheet.percent_candidates {
                    let percent = styles
                        .get((r, c))
                        .and_then(|st| st.number_format.as_ref())
                        .is_some_and(|nf| nf.format_code.contains('%') || matches!(nf.format_id, Some(9 | 10)));
                    let o = &mut sheet.observations[i];
                    if let (true, Some(v)) = (percent, o.value) {
                        let shown = crate::text::fmt_num(v * 100.0, 4);
                        o.value = Some(v * 100.0);
                        w.findings.push(
                            Finding::info("percent_format", format!("单元格设置为百分比格式（显示为 {shown}%），按 {shown} 读取。"))
                                .in_file(rel)
                                .at(name, &o.cell)
                                .for_unit(&o.department)
                                .for_indicator(&o.indicator_id),
                        );
                    }
                }
            }
        }
        if !sheet.empty_cells.is_empty() {
            // An empty value cell may be a formula saved without its result.
            if let Ok(formulas) = workbook.worksheet_formula(name) {
                for &(r, c, i) in &sheet.empty_cells {
                    if let Some(f) = formulas.get_value((r, c)).filter(|f| !f.is_empty()) {
                        let o = &sheet.observations[i];
                        w.findings.push(
                            Finding::error(
                                "formula_without_value",
                                format!(
                                    "单元格是公式（={}），但文件中没有保存计算结果，无法读取。请用 Excel 或 WPS 打开后保存一次，或直接填写数值。",
                                    crate::text::printable(f, 60)
                                ),
                            )
                            .in_file(rel)
                            .at(name, &o.cell)
                            .for_unit(&o.department)
                            .for_indicator(&o.indicator_id),
                        );
                    }
                }
            }
        }
        w.observations.extend(sheet.observations);
        w.findings.extend(sheet.findings);
    }
    if tables == 0 {
        let (code, why) = if any_content {
            ("not_a_return", "不是填报表：没有找到含“指标名称”和“完成值”表头的工作表。请使用统一下发的填报表模板。")
        } else {
            ("empty_workbook", "空表：文件中没有任何数据。")
        };
        return Err(Box::new(Finding::error(code, why).in_file(rel)));
    }
    for (name, range) in others {
        let found = projects::read_projects(plan, rel, &name, &range, &w.department, w.year, &mut w.findings);
        w.projects.extend(found);
    }
    Ok(w)
}

/// A sheet's cells within the row and column limits. xlsx and xlsb are streamed cell by
/// cell, so that a stray cell in a far corner never makes calamine allocate the whole
/// rectangle; xls and ods are read whole at open by calamine anyway.
fn bounded_range<RS: Read + Seek>(workbook: &mut Sheets<RS>, name: &str, limits: &Limits) -> Result<(Range<Data>, bool), calamine::Error> {
    let inside = |(r, c): (u32, u32)| r < limits.max_rows && c < limits.max_columns;
    let mut clipped = false;
    let mut cells: Vec<Cell<Data>> = Vec::new();
    macro_rules! stream {
        ($reader:expr) => {{
            let mut reader = $reader;
            while let Some(cell) = reader.next_cell()? {
                if inside(cell.get_position()) {
                    cells.push(Cell::new(cell.get_position(), Data::from(cell.get_value().clone())));
                } else if !matches!(cell.get_value(), calamine::DataRef::Empty) {
                    clipped = true;
                }
            }
        }};
    }
    match workbook {
        Sheets::Xlsx(x) => stream!(x.worksheet_cells_reader(name)?),
        Sheets::Xlsb(x) => stream!(x.worksheet_cells_reader(name)?),
        _ => {
            let range = workbook.worksheet_range(name)?;
            for (r, c, d) in range.used_cells() {
                let (r, c) = (r as u32 + range.start().map_or(0, |s| s.0), c as u32 + range.start().map_or(0, |s| s.1));
                if inside((r, c)) {
                    cells.push(Cell::new((r, c), d.clone()));
                } else {
                    clipped = true;
                }
            }
        }
    }
    Ok((Range::from_sparse(cells), clipped))
}

/// Test builds only: `PLANMON_FAILPOINT_PANIC=<file name>` makes reading that file panic,
/// so that the tests can show a panic costs one file, not the batch.
#[cfg(debug_assertions)]
fn failpoint(rel: &str) {
    if std::env::var("PLANMON_FAILPOINT_PANIC").is_ok_and(|name| !name.is_empty() && rel.ends_with(&name)) {
        panic!("failpoint for {rel}");
    }
}

#[cfg(not(debug_assertions))]
fn failpoint(_rel: &str) {}

thread_local! {
    /// Set while this thread reads a file: a panic then is recorded here, not printed.
    static PANIC: std::cell::RefCell<Option<Option<String>>> = const { std::cell::RefCell::new(None) };
}

/// Run `f`, turning a panic (in calamine or in our code) into a description with the
/// place it happened, instead of a crash and a scary message on the terminal.
fn contained<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let recorded = PANIC.with(|p| {
                let mut p = p.borrow_mut();
                if let Some(slot) = p.as_mut() {
                    let what = info
                        .payload()
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| info.payload().downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    let place = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
                    *slot = Some(format!("{} @ {place}", what.lines().next().unwrap_or("")));
                    true
                } else {
                    false
                }
            });
            if !recorded {
                previous(info);
            }
        }));
    });
    PANIC.with(|p| *p.borrow_mut() = Some(None));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let recorded = PANIC.with(|p| p.borrow_mut().take()).flatten();
    result.map_err(|_| recorded.unwrap_or_else(|| "未知错误".to_string()))
}

fn check_size(size: u64, limits: &Limits, rel: &str) -> Result<(), Box<Finding>> {
    let mb = size as f64 / 1_048_576.0;
    if mb > limits.max_file_mb {
        return Err(Box::new(
            Finding::error(
                "file_too_large",
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
fn check_zip(bytes: &[u8], limits: &Limits, rel: &str) -> Result<(), Box<Finding>> {
    let refuse = |why: String| {
        Box::new(
            Finding::error(
                "zip_bomb",
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

/// Open the workbook from its bytes, choosing the format by the extension as
/// `calamine::open_workbook_auto` does (other extensions: each format in turn).
fn open(path: &Path, bytes: Vec<u8>) -> Result<Sheets<std::io::Cursor<Vec<u8>>>, calamine::Error> {
    use calamine::{Ods, Xls, Xlsb, Xlsx};
    let rs = std::io::Cursor::new(bytes);
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    Ok(match ext.as_str() {
        "xls" | "xla" => Sheets::Xls(Xls::new(rs)?),
        "xlsx" | "xlsm" | "xlam" => Sheets::Xlsx(Xlsx::new(rs)?),
        "xlsb" => Sheets::Xlsb(Xlsb::new(rs)?),
        "ods" => Sheets::Ods(Ods::new(rs)?),
        _ => calamine::open_workbook_auto_from_rs(rs)?,
    })
}

/// Turn calamine's open error into a reason a clerk understands.
fn open_error(e: calamine::Error, rel: &str) -> Finding {
    use calamine::Error as E;
    let text = e.to_string();
    let password =
        matches!(&e, E::Xlsx(calamine::XlsxError::Password) | E::Xls(calamine::XlsError::Password) | E::Ods(calamine::OdsError::Password));
    let (code, message) = if password {
        ("encrypted", "文件设置了打开密码（加密/密码保护），无法读取。请取消密码后重新报送。".to_string())
    } else if text.contains("Zip") || text.contains("Cfb") || text.contains("Invalid") || text.contains("invalid") || text.contains("EOF") {
        ("corrupt", format!("文件损坏或不是真正的表格文件（{text}）。请用 Excel 或 WPS 打开确认后另存为 xlsx 再报送。"))
    } else {
        ("unreadable", format!("文件无法读取（{text}）。请用 Excel 或 WPS 打开确认后另存为 xlsx 再报送。"))
    };
    Finding::error(code, message).in_file(rel)
}
