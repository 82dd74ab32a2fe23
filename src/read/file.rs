//! One input file: fingerprint, what its bytes really are, the limits it must keep
//! (size, zip parts, sheets, cells), then the workbook itself through calamine.

use std::io::{Read, Seek};
use std::path::Path;

use calamine::{Cell, Data, Range, Reader, SheetVisible, Sheets};
use sha2::{Digest, Sha256};

use super::limits::{check_ods, check_size, check_xls, check_zip};
use super::{projects, read_sheet, InputFile, Observation, ProjectReport, ReadOutcome};
use crate::finding::{Code, Finding};
use crate::plan::{Limits, Plan};

/// Read one workbook; a panic inside calamine or our code becomes a finding.
pub fn read_file(plan: &Plan, path: &Path, rel: &str) -> ReadOutcome {
    // Rejected until read.
    let mut file = InputFile::rejected(rel, "");
    let limits = &plan.rules.limits;
    // Only regular files: a pipe or device named .xlsx would never end.
    let meta = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m,
        Ok(_) => {
            let f = Finding::error(Code::NotAFile, "这不是一个普通文件（可能是管道、设备或文件夹），未读取。").in_file(rel);
            file.reason = f.message.clone();
            return ReadOutcome { findings: vec![f], files: vec![file], ..Default::default() };
        }
        Err(e) => {
            let f = Finding::error(Code::FileUnreadable, format!("无法读取文件：{}。", crate::oserror::explain(&e))).in_file(rel);
            file.reason = f.message.clone();
            return ReadOutcome { findings: vec![f], files: vec![file], ..Default::default() };
        }
    };
    file.modified = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_nanos() as i64);
    // Too large: hashed for the manifest without being held in memory, then refused.
    let size = meta.len();
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
            let f = Finding::error(Code::FileUnreadable, format!("无法读取文件：{}。", crate::oserror::explain(&e))).in_file(rel);
            file.reason = f.message.clone();
            return ReadOutcome { findings: vec![f], files: vec![file], ..Default::default() };
        }
    };
    let result = contained(|| {
        failpoint(rel);
        check_content(path, sniffed, rel)?;
        match sniffed {
            Sniffed::Zip => {
                check_zip(&bytes, limits, rel)?;
                if extension(path) == "ods" {
                    check_ods(&bytes, limits, rel)?;
                }
            }
            // A compound file that is not an .xls inside: WPS's own format.
            Sniffed::Compound { .. } => check_xls(&bytes, limits, rel).map_err(|f| {
                if is_wps(&extension(path)) && f.code == Code::Corrupt {
                    Box::new(wps_unreadable(rel))
                } else {
                    f
                }
            })?,
            Sniffed::Other => {}
        }
        read_workbook(plan, path, bytes, rel)
    });
    let mut w = match result {
        Ok(Ok(w)) => {
            file.status = super::Fate::Read;
            w
        }
        Ok(Err(reason)) => {
            file.reason = reason.message.clone();
            WorkbookRead { findings: vec![*reason], ..Default::default() }
        }
        Err(what) => {
            let f = Finding::error(
                Code::ReadCrashed,
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
    file.filled_at = w.filled_at;
    file.work_cells = w.work_cells;
    file.sample = w.sample;
    file.covers = w.covers;
    file.layouts = w.layouts;
    ReadOutcome {
        observations: w.observations,
        unused: w.unused,
        projects: w.projects,
        works: w.works,
        tasks: w.tasks,
        findings: w.findings,
        files: vec![file],
    }
}

/// A sheet read within `[limits]`: its name and its cells.
pub struct BoundedSheet {
    pub name: String,
    pub range: Range<Data>,
}

/// The sheets of a workbook that is not a return (the plan's attachments), read with
/// a return's protections: a regular file within the size limit, content that matches
/// its extension, the zip parts, ods repeats and xls area checked before calamine
/// allocates anything, then each sheet streamed within the row and column limits. A
/// sheet with content beyond them, more sheets than the limit, or a panic in calamine
/// is refused (a plan table is never cut short silently). The error is in Chinese.
pub fn bounded_sheets(path: &Path, limits: &Limits, rel: &str) -> Result<Vec<BoundedSheet>, String> {
    let bytes = bounded_bytes(path, limits, rel)?;
    let sniffed = sniff(&bytes);
    let read = contained(|| -> Result<Vec<BoundedSheet>, Box<Finding>> {
        check_content(path, sniffed, rel)?;
        match sniffed {
            Sniffed::Zip => {
                check_zip(&bytes, limits, rel)?;
                if extension(path) == "ods" {
                    check_ods(&bytes, limits, rel)?;
                }
            }
            Sniffed::Compound { .. } => check_xls(&bytes, limits, rel)?,
            Sniffed::Other => {}
        }
        let mut workbook = open(path, &bytes).map_err(|e| Box::new(open_error(e, rel)))?;
        let names = workbook.sheet_names();
        if names.len() > limits.max_sheets {
            return Err(Box::new(Finding::error(
                Code::TooManySheets,
                format!(
                    "文件有 {} 个工作表，超过 {} 个的上限（templates/rules.toml 的 max_sheets），未读取。请删除无关的工作表后再试。",
                    names.len(),
                    limits.max_sheets
                ),
            )));
        }
        let mut out = Vec::new();
        for name in names {
            let cells = bounded_range(&mut workbook, &name, limits).map_err(|e| {
                Box::new(Finding::error(
                    Code::SheetUnreadable,
                    format!(
                        "工作表“{name}”无法读取：内容不完整或已损坏（程序库的原始说明：{}）。请用 Excel 或 WPS 打开后另存为 xlsx 再试。",
                        crate::text::printable(&e.to_string(), 200)
                    ),
                ))
            })?;
            if cells.clipped {
                return Err(Box::new(Finding::error(
                    Code::CellsBeyondLimit,
                    format!(
                        "工作表“{name}”在第 {} 行或第 {} 列以外还有内容，超过读取的上限（templates/rules.toml 的 max_rows、max_columns），未读取。方案附件的表格通常只有几十至几百行；请删除表格以外的内容（可能是远处的一个单元格）后再试。",
                        limits.max_rows, limits.max_columns
                    ),
                )));
            }
            out.push(BoundedSheet { name, range: cells.range });
        }
        Ok(out)
    });
    match read {
        Ok(Ok(sheets)) => Ok(sheets),
        Ok(Err(f)) => Err(f.message),
        Err(what) => Err(format!("读取此文件时程序出错（{what}）。请用 Excel 或 WPS 打开后另存为 xlsx 再试。")),
    }
}

/// A sheet of a return as an annotated copy in another format carries it over: its
/// cells within `[limits]`, whether it is hidden, and how it shows them.
pub struct CopySheet {
    pub name: String,
    pub range: Range<Data>,
    pub hidden: bool,
    pub presentation: super::formats::Presentation,
}

/// The sheets of a return (any format the reader takes) for an annotated copy: read as
/// the return was, within the limits, planmon's own 问题清单 left out. A sheet with
/// content beyond the limits, or a panic in calamine, is refused (the error in Chinese).
pub fn sheets_for_copy(path: &Path, bytes: &[u8], limits: &Limits) -> Result<Vec<CopySheet>, String> {
    let kind = format_kind(path, bytes);
    let read = contained(|| -> Result<Vec<CopySheet>, String> {
        let mut workbook = open(path, bytes).map_err(|e| crate::text::printable(&e.to_string(), 200))?;
        let sheets: Vec<(String, bool)> = workbook
            .sheets_metadata()
            .iter()
            .filter(|s| s.name != crate::annotate::LIST_SHEET)
            .map(|s| (s.name.clone(), s.visible != SheetVisible::Visible))
            .take(limits.max_sheets)
            .collect();
        let mut out = Vec::new();
        let mut shown_by = super::formats::Workbook::new(bytes, kind);
        for (name, hidden) in sheets {
            let cells = bounded_range(&mut workbook, &name, limits)
                .map_err(|e| format!("工作表“{name}”读不出（{}）", crate::text::printable(&e.to_string(), 200)))?;
            if cells.clipped {
                return Err(format!("工作表“{name}”在第 {} 行或第 {} 列以外还有内容", limits.max_rows, limits.max_columns));
            }
            let presentation = presentation_of(&mut shown_by, &name, limits).unwrap_or_default();
            out.push(CopySheet { name, range: cells.range, hidden, presentation });
        }
        Ok(out)
    });
    read.unwrap_or_else(|what| Err(format!("读取时程序出错（{what}）")))
}

/// A file's bytes, if it is a regular file within the size limit.
pub fn bounded_bytes(path: &Path, limits: &Limits, rel: &str) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("无法读取文件：{}。", crate::oserror::explain(&e)))?;
    if !meta.is_file() {
        return Err("这不是一个普通文件（可能是管道、设备或文件夹），未读取。".into());
    }
    check_size(meta.len(), limits, rel).map_err(|f| f.message.clone())?;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take((limits.max_file_mb * 1_048_576.0) as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("无法读取文件：{}。", crate::oserror::explain(&e)))?;
    Ok(bytes)
}

/// The sizes a zip package (an xlsx, a docx) declares for its parts, within `[limits]`:
/// a zip bomb is refused before anything is inflated.
pub fn package_within_limits(bytes: &[u8], limits: &Limits, rel: &str) -> Result<(), String> {
    check_zip(bytes, limits, rel).map_err(|f| f.message.clone())
}

/// The first bytes of an OLE compound file (.xls, .et, encrypted OOXML).
const CFB: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

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
    Ok(crate::text::hex(&h.finalize()))
}

/// The file's bytes (read once: hashed, sniffed, then parsed from memory).
fn fingerprint(path: &Path) -> std::io::Result<(Vec<u8>, String, Sniffed)> {
    let bytes = std::fs::read(path)?;
    let digest = Sha256::digest(&bytes);
    let sniffed = sniff(&bytes);
    let sha = crate::text::hex(&digest);
    Ok((bytes, sha, sniffed))
}

fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(b"PK") {
        Sniffed::Zip
    } else if bytes.starts_with(&CFB) {
        // Office encryption stores the workbook in a compound file with an
        // "EncryptionInfo" stream (its directory name is UTF-16).
        let name: Vec<u8> = "EncryptionInfo".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        Sniffed::Compound { encrypted_ooxml: bytes.windows(name.len()).any(|w| w == name.as_slice()) }
    } else {
        Sniffed::Other
    }
}

/// Refuse, before calamine sees it, a file whose content contradicts its extension.
fn check_content(path: &Path, sniffed: Sniffed, rel: &str) -> Result<(), Box<Finding>> {
    let ext = extension(path);
    let zip_format = matches!(ext.as_str(), "xlsx" | "xlsm" | "xlsb" | "ods");
    match sniffed {
        Sniffed::Compound { encrypted_ooxml: true, .. } => Err(Box::new(
            Finding::error(Code::Encrypted, "文件设置了打开密码（加密/密码保护），无法读取。请取消密码后重新报送。").in_file(rel),
        )),
        Sniffed::Zip | Sniffed::Compound { .. } => Ok(()),
        Sniffed::Other if is_wps(&ext) => Err(Box::new(wps_unreadable(rel))),
        Sniffed::Other if zip_format || ext == "xls" => Err(Box::new(
            Finding::error(
                Code::NotASpreadsheet,
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
    unused: Vec<super::Unused>,
    projects: Vec<ProjectReport>,
    works: Vec<super::WorkReport>,
    tasks: Vec<super::TaskReport>,
    findings: Vec<Finding>,
    department: String,
    year: Option<i32>,
    filled_date: Option<String>,
    /// The sheet and cell of the 填报日期.
    filled_at: Option<(String, String)>,
    work_cells: Vec<super::WorkCell>,
    sample: bool,
    covers: Vec<super::Covered>,
    layouts: Vec<super::SheetLayout>,
}

fn read_workbook(plan: &Plan, path: &Path, bytes: Vec<u8>, rel: &str) -> Result<WorkbookRead, Box<Finding>> {
    let limits = &plan.rules.limits;
    let wps = is_wps(&extension(path));
    let kind = format_kind(path, &bytes);
    let mut workbook =
        open(path, &bytes).map_err(|e| Box::new(if wps && !is_password(&e) { wps_unreadable(rel) } else { open_error(e, rel) }))?;
    let hidden: Vec<String> =
        workbook.sheets_metadata().iter().filter(|s| s.visible != SheetVisible::Visible).map(|s| s.name.clone()).collect();
    // The 问题清单 planmon puts first in an annotated copy is its own list, not data: a
    // copy sent back is read as the return it is a copy of.
    let mut names: Vec<String> = workbook.sheet_names().into_iter().filter(|n| n != crate::annotate::LIST_SHEET).collect();
    let mut w = WorkbookRead::default();
    if names.len() > limits.max_sheets {
        w.findings.push(
            Finding::warning(
                Code::TooManySheets,
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
    // How the sheets show their cells, read from the file (the parts they share once).
    let mut shown_by = super::formats::Workbook::new(&bytes, kind);
    let mut tables = 0;
    let mut any_content = false;
    let mut others = Vec::new();
    for name in &names {
        // How to fill the return, examples: never figures (an example beats no real one).
        if super::sheet::is_instructions(name) {
            continue;
        }
        let SheetCells { range, clipped } = match bounded_range(&mut workbook, name, limits) {
            Ok(cells) => cells,
            Err(e) => {
                w.findings.push(
                    Finding::warning(
                        Code::SheetUnreadable,
                        format!(
                            "工作表无法读取：内容不完整或已损坏（程序库的原始说明：{}），已跳过，其余工作表照常读取。请用 Excel 或 WPS 打开后另存再报送。",
                            crate::text::printable(&e.to_string(), 200)
                        ),
                    )
                    .in_file(rel)
                    .at(name, ""),
                );
                continue;
            }
        };
        if clipped {
            w.findings.push(
                Finding::warning(
                    Code::CellsBeyondLimit,
                    format!(
                        "工作表中第 {} 行或第 {} 列以外还有内容，这些单元格未读取。请删除表格以外的内容。",
                        limits.max_rows, limits.max_columns
                    ),
                )
                .in_file(rel)
                .at(name, ""),
            );
        }
        if range.used_cells().any(|(_, _, d)| !matches!(d, Data::Empty)) {
            any_content = true;
        }
        let Some(mut sheet) = read_sheet(plan, rel, name, &range) else {
            others.push((name.clone(), range));
            continue;
        };
        tables += 1;
        // How the sheet shows its cells (percent formats, shown decimals, hidden rows and
        // columns, merged cells): read from the file for every format alike.
        let shown = presentation_of(&mut shown_by, name, limits);
        if shown.is_err() {
            w.findings.push(
                Finding::info(
                    Code::FormatsUnreadable,
                    "无法读出这个工作表的单元格格式（百分比、小数位、隐藏的行列），按单元格中存的数值读取。",
                )
                .in_file(rel)
                .at(name, ""),
            );
        }
        if w.department.is_empty() {
            w.department = sheet.department.clone();
        }
        if w.year.is_none() {
            w.year = sheet.year;
        }
        w.sample |= sheet.sample;
        if w.filled_date.is_none() {
            w.filled_date = sheet.filled_date.clone();
            w.filled_at = sheet.filled_cell.clone().map(|c| (name.clone(), c));
        }
        if !sheet.empty_cells.is_empty() {
            // An empty value cell may be a formula saved without its result.
            let wanted: std::collections::HashSet<(u32, u32)> = sheet.empty_cells.iter().map(|&(r, c, _)| (r, c)).collect();
            let formulas = formulas_at(&mut workbook, name, &wanted);
            for &(r, c, i) in &sheet.empty_cells {
                if let Some(f) = formulas.get(&(r, c)).filter(|f| !f.is_empty()) {
                    sheet.observations[i].no_value = Some(super::NotUsed::FormulaError);
                    let o = &sheet.observations[i];
                    w.findings.push(
                        Finding::error(
                            Code::FormulaWithoutValue,
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
        sheet.apply_view(shown.as_ref().ok(), hidden.contains(name));
        w.observations.extend(sheet.observations);
        w.unused.extend(sheet.unused);
        w.findings.extend(sheet.findings);
        for c in sheet.covers {
            match w.covers.iter_mut().find(|x| x.department == c.department && x.year == c.year) {
                Some(x) => x.secondary &= c.secondary,
                None => w.covers.push(c),
            }
        }
        w.layouts.push(sheet.layout);
    }
    w.findings.extend(hidden_differs(&w.observations, &w.unused, rel));
    // The unit sending the file (its name, else its first table's 填报单位): figures the
    // file credits to other units (a lead unit's summary of its partners) come after
    // those units' own returns, and the file is no version of their returns.
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let sender = plan.find_unit_in(name).map(|u| u.name.clone()).unwrap_or_else(|| w.department.clone());
    if !sender.is_empty() {
        for o in w.observations.iter_mut().filter(|o| !o.department.is_empty() && *o.department != *sender) {
            o.secondary = true;
        }
        for c in w.covers.iter_mut().filter(|c| c.department != sender) {
            c.secondary = true;
        }
    }
    // A lead unit's workbook with a sheet per unit: a sheet naming another unit than
    // the file name is what it is meant to be, not a mistake to warn about.
    let mut units: Vec<&str> = w.covers.iter().map(|c| c.department.as_str()).collect();
    units.sort_unstable();
    units.dedup();
    if units.len() > 1 {
        w.findings.retain(|f| f.code != Code::UnitNameMismatch);
    }
    if tables == 0 {
        let (code, why) = if any_content {
            (Code::NotAReturn, "不是填报表：没有找到含“指标名称”和“完成值”表头的工作表。请使用统一下发的填报表模板。")
        } else {
            (Code::EmptyWorkbook, "空表：文件中没有任何数据。")
        };
        return Err(Box::new(Finding::error(code, why).in_file(rel)));
    }
    // The other sheets: project progress, work done per area, key tasks.
    for (name, range) in others {
        let found = projects::read_projects(plan, rel, &name, &range, &w.department, w.year, &mut w.findings);
        if !found.is_empty() {
            w.projects.extend(found);
            continue;
        }
        let (works, cells) = super::texts::read_works(plan, rel, &name, &range, &w.department, w.year);
        if !works.is_empty() || !cells.is_empty() {
            w.works.extend(works);
            w.work_cells.extend(cells);
            continue;
        }
        let tasks = super::texts::read_tasks(plan, rel, &name, &range, &w.department, w.year, &mut w.findings);
        w.tasks.extend(tasks);
    }
    Ok(w)
}

/// A hidden figure that differs from the visible one of the same indicator, year and
/// unit in the same file (an older draft left in a hidden column): a warning naming
/// both cells. The visible one is the one used.
fn hidden_differs(visible: &[Observation], unused: &[super::Unused], rel: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for u in unused.iter().filter(|u| u.because == super::NotUsed::Hidden) {
        let h = &u.observation;
        let Some(hv) = h.value else { continue };
        let same =
            |o: &&Observation| o.indicator_id == h.indicator_id && o.year == h.year && o.department == h.department && o.kind == h.kind;
        if let Some(v) = visible.iter().filter(same).find(|o| o.value.is_some_and(|v| (v - hv).abs() > 1e-9 * v.abs().max(1.0))) {
            out.push(
                Finding::warning(
                    Code::HiddenDiffers,
                    format!(
                        "隐藏的单元格 {}·{} 中的 {} 与显示的 {}·{} 中的 {} 不同。采用显示的 {}；隐藏的可能是旧的草稿，请删除。",
                        h.sheet,
                        h.cell,
                        crate::text::fmt_num(hv, 6),
                        v.sheet,
                        v.cell,
                        crate::text::fmt_num(v.value.unwrap_or_default(), 6),
                        crate::text::fmt_num(v.value.unwrap_or_default(), 6)
                    ),
                )
                .in_file(rel)
                .at(&v.sheet, &v.cell)
                .for_unit(&v.department)
                .for_indicator(&v.indicator_id),
            );
        }
    }
    out
}

/// A sheet's cells within the row and column limits.
struct SheetCells {
    range: Range<Data>,
    /// Some cell outside the limits has content.
    clipped: bool,
}

/// Which of the formats of `formats` the file is, by its content (WPS's .et holds an
/// xls or an xlsx).
fn format_kind(path: &Path, bytes: &[u8]) -> super::formats::Kind {
    use super::formats::Kind;
    match extension(path).as_str() {
        "xlsb" => Kind::Xlsb,
        "ods" => Kind::Ods,
        _ if bytes.starts_with(&CFB) => Kind::Xls,
        _ => Kind::Xlsx,
    }
}

/// How the sheet shows its cells; a panic in the reading is a failure to read them, not
/// of the file.
fn presentation_of(book: &mut super::formats::Workbook, sheet: &str, limits: &Limits) -> Result<super::formats::Presentation, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| book.presentation(sheet, limits.max_rows, limits.max_columns)))
        .unwrap_or_else(|_| Err("internal error".into()))
}

/// xlsx and xlsb are streamed cell by cell, so that a stray cell in a far corner never
/// makes calamine allocate the whole rectangle; xls and ods are read whole at open by
/// calamine (after the checks of `limits`).
fn bounded_range<RS: Read + Seek>(workbook: &mut Sheets<RS>, name: &str, limits: &Limits) -> Result<SheetCells, calamine::Error> {
    let inside = |(r, c): (u32, u32)| r < limits.max_rows && c < limits.max_columns;
    let mut clipped = false;
    let mut cells: Vec<Cell<Data>> = Vec::new();
    let mut keep = |pos: (u32, u32), value: Data| {
        if inside(pos) {
            cells.push(Cell::new(pos, value));
            true
        } else {
            clipped |= !matches!(value, Data::Empty);
            false
        }
    };
    match workbook {
        Sheets::Xlsx(x) => {
            let mut reader = x.worksheet_cells_reader(name)?;
            while let Some(cell) = reader.next_cell()? {
                keep(cell.get_position(), Data::from(cell.get_value().clone()));
            }
        }
        Sheets::Xlsb(x) => {
            let mut reader = x.worksheet_cells_reader(name)?;
            while let Some(cell) = reader.next_cell()? {
                keep(cell.get_position(), Data::from(cell.get_value().clone()));
            }
        }
        _ => {
            let range = workbook.worksheet_range(name)?;
            let start = range.start().unwrap_or((0, 0));
            for (r, c, d) in range.used_cells() {
                keep((r as u32 + start.0, c as u32 + start.1), d.clone());
            }
        }
    }
    Ok(SheetCells { range: Range::from_sparse(cells), clipped })
}

/// The formulas of these cells, streamed for xlsx and xlsb (calamine's whole-sheet
/// formula range is dense: one formula in a far corner would ask for gigabytes).
/// Shared formulas are not expanded (that too allocates by an index in the file): a
/// cell of a shared group shows the group's formula.
fn formulas_at<RS: Read + Seek>(
    workbook: &mut Sheets<RS>,
    name: &str,
    wanted: &std::collections::HashSet<(u32, u32)>,
) -> std::collections::HashMap<(u32, u32), String> {
    use calamine::XlsxFormulaMetadata as F;
    let mut found = std::collections::HashMap::new();
    match workbook {
        Sheets::Xlsx(x) => {
            let Ok(mut reader) = x.worksheet_cells_reader(name) else { return found };
            let mut shared: std::collections::HashMap<usize, String> = std::collections::HashMap::new();
            let mut derived: Vec<((u32, u32), usize)> = Vec::new();
            while let Ok(Some(cell)) = reader.next_cell_with_formula_metadata() {
                match cell.formula {
                    Some(F::Shared { shared_index, formula, .. }) => {
                        if wanted.contains(&cell.pos) {
                            found.insert(cell.pos, formula.clone());
                        }
                        if shared.len() < 10_000 {
                            shared.insert(shared_index, formula);
                        }
                    }
                    Some(F::SharedDerived { shared_index }) if wanted.contains(&cell.pos) => derived.push((cell.pos, shared_index)),
                    Some(F::Normal { formula }) if wanted.contains(&cell.pos) => {
                        found.insert(cell.pos, formula);
                    }
                    _ => {}
                }
            }
            for (pos, index) in derived {
                found.insert(pos, shared.get(&index).cloned().unwrap_or_else(|| "…".into()));
            }
        }
        Sheets::Xlsb(x) => {
            let Ok(mut reader) = x.worksheet_cells_reader(name) else { return found };
            while let Ok(Some(cell)) = reader.next_formula() {
                if wanted.contains(&cell.get_position()) {
                    found.insert(cell.get_position(), cell.get_value().clone());
                }
            }
        }
        _ => {
            if let Ok(formulas) = workbook.worksheet_formula(name) {
                for &(r, c) in wanted {
                    if let Some(f) = formulas.get_value((r, c)) {
                        found.insert((r, c), f.clone());
                    }
                }
            }
        }
    }
    found
}

/// Test builds only: reading the file named by `PLANMON_FAILPOINT_PANIC` panics, by
/// `PLANMON_FAILPOINT_ABORT` aborts the process, by `PLANMON_FAILPOINT_ALLOC` asks for
/// a terabyte, by `PLANMON_FAILPOINT_SLOW` takes 30 seconds, so that the tests can show
/// each costs one file, not the batch.
#[cfg(debug_assertions)]
fn failpoint(rel: &str) {
    let hit = |var: &str| std::env::var(var).is_ok_and(|name| !name.is_empty() && rel.ends_with(&name));
    if hit("PLANMON_FAILPOINT_PANIC") {
        panic!("failpoint for {rel}");
    }
    if hit("PLANMON_FAILPOINT_ABORT") {
        std::process::abort();
    }
    if hit("PLANMON_FAILPOINT_SLOW") {
        std::thread::sleep(std::time::Duration::from_secs(30));
    }
    if hit("PLANMON_FAILPOINT_ALLOC") {
        let huge: Vec<u8> = Vec::with_capacity(1 << 40);
        std::hint::black_box(huge);
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

/// WPS Spreadsheets' own formats: `.et` (a workbook) and `.ett` (a template).
fn is_wps(ext: &str) -> bool {
    matches!(ext, "et" | "ett")
}

/// An .et file calamine cannot read (WPS's own format, not an .xls inside): not an error
/// of the figures, a request to send the return again in a common format.
fn wps_unreadable(rel: &str) -> Finding {
    Finding::warning(
        Code::WpsFormat,
        "这是 WPS 表格专用格式（.et）的文件，无法读取，文件未被采用。请在 WPS 中打开，点“文件→另存为”，文件类型选“Excel 工作簿（*.xlsx）”，保存后重新报送。",
    )
    .in_file(rel)
}

fn is_password(e: &calamine::Error) -> bool {
    use calamine::Error as E;
    matches!(e, E::Xlsx(calamine::XlsxError::Password) | E::Xls(calamine::XlsError::Password) | E::Ods(calamine::OdsError::Password))
}

/// Open the workbook from its bytes, choosing the format by the extension as
/// `calamine::open_workbook_auto` does (other extensions: each format in turn). WPS's
/// .et/.ett are opened by their content: a compound file as .xls, a package as .xlsx.
fn open<'b>(path: &Path, bytes: &'b [u8]) -> Result<Sheets<std::io::Cursor<&'b [u8]>>, calamine::Error> {
    use calamine::{Ods, Xls, Xlsb, Xlsx};
    let ext = extension(path);
    let ext = match ext.as_str() {
        "et" | "ett" if bytes.starts_with(&CFB) => "xls",
        "et" | "ett" if bytes.starts_with(b"PK") => "xlsx",
        other => other,
    };
    let rs = std::io::Cursor::new(bytes);
    Ok(match ext {
        "xls" | "xla" => Sheets::Xls(Xls::new(rs)?),
        "xlsx" | "xlsm" | "xlam" => Sheets::Xlsx(Xlsx::new(rs)?),
        "xlsb" => Sheets::Xlsb(Xlsb::new(rs)?),
        "ods" => Sheets::Ods(Ods::new(rs)?),
        _ => calamine::open_workbook_auto_from_rs(rs)?,
    })
}

/// Turn calamine's open error into a reason a clerk understands.
fn open_error(e: calamine::Error, rel: &str) -> Finding {
    let text = e.to_string();
    let password = is_password(&e);
    let (code, message) = if password {
        (Code::Encrypted, "文件设置了打开密码（加密/密码保护），无法读取。请取消密码后重新报送。".to_string())
    } else if text.contains("Zip") || text.contains("Cfb") || text.contains("Invalid") || text.contains("invalid") || text.contains("EOF") {
        (Code::Corrupt, format!("文件损坏或不是真正的表格文件（{text}）。请用 Excel 或 WPS 打开确认后另存为 xlsx 再报送。"))
    } else {
        (Code::Unreadable, format!("文件无法读取（{text}）。请用 Excel 或 WPS 打开确认后另存为 xlsx 再报送。"))
    };
    Finding::error(code, message).in_file(rel)
}

fn extension(path: &Path) -> String {
    path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
}
