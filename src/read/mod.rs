//! Stage 1 — read: find the returns under the input folder and take every figure out of
//! them with calamine. A file that cannot be read becomes a finding; the rest go on.

mod projects;
mod sheet;
pub mod value;

use std::path::{Path, PathBuf};

use calamine::{open_workbook_auto, Data, Reader, SheetVisible};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::finding::Finding;
use crate::plan::Plan;

pub use projects::ProjectReport;
pub use sheet::read_sheet;

/// Which column of a return a figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ObsKind {
    /// 本年完成值 (or a year column of a wide table).
    Current,
    /// 上年值: the figure for the year before, given for reference / as the baseline.
    Previous,
}

impl ObsKind {
    pub fn label(self) -> &'static str {
        match self {
            ObsKind::Current => "本年值",
            ObsKind::Previous => "上年值",
        }
    }
}

/// One figure read from one cell of one return.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observation {
    pub file: String,
    pub sheet: String,
    pub cell: String,
    pub department: String,
    pub year: i32,
    pub indicator_id: String,
    pub indicator_name: String,
    /// The cell as written.
    pub raw: String,
    /// The figure in the indicator's unit; None when the cell holds no figure.
    pub value: Option<f64>,
    /// The indicator's unit (values are converted to it where the conversion is certain).
    pub unit: String,
    pub kind: ObsKind,
    /// The row's 备注, as written.
    pub remark: String,
}

/// What became of one input file.
#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    pub file: String,
    pub size: u64,
    pub sha256: String,
    /// 已读取 / 已拒收 / 已跳过
    pub status: String,
    pub reason: String,
    pub department: String,
    pub year: Option<i32>,
    /// 填报日期 (YYYY-MM-DD) when the return gives one.
    pub filled_date: Option<String>,
    pub figures: usize,
}

/// Everything the read stage produces.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    pub observations: Vec<Observation>,
    pub projects: Vec<ProjectReport>,
    pub findings: Vec<Finding>,
    pub files: Vec<InputFile>,
}

const EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xls", "xlsb", "ods"];

/// Read every return under `input`.
pub fn read_inputs(plan: &Plan, input: &Path) -> ReadOutcome {
    let mut out = ReadOutcome::default();
    let mut paths = Vec::new();
    collect(input, input, &mut paths, &mut out);
    paths.sort();
    for path in paths {
        let rel = relative(input, &path);
        let one = read_file(plan, &path, &rel);
        out.absorb(one);
    }
    out
}

impl ReadOutcome {
    fn absorb(&mut self, other: ReadOutcome) {
        self.observations.extend(other.observations);
        self.projects.extend(other.projects);
        self.findings.extend(other.findings);
        self.files.extend(other.files);
    }
}

/// Read the given files (for `check`), each named as given.
pub fn read_files(plan: &Plan, files: &[PathBuf]) -> ReadOutcome {
    let mut out = ReadOutcome::default();
    for path in files {
        out.absorb(read_file(plan, path, &path.display().to_string()));
    }
    out
}

fn relative(base: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

/// Walk the input folder. Hidden files and Office/WPS lock files (`~$…`) are skipped
/// quietly; symbolic links are not followed.
fn collect(base: &Path, dir: &Path, paths: &mut Vec<PathBuf>, out: &mut ReadOutcome) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.findings.push(
                Finding::error("input_unreadable", format!("无法打开输入文件夹：{e}。请检查文件夹是否存在、是否有读取权限。"))
                    .in_file(&relative(base, dir)),
            );
            return;
        }
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.starts_with("~$") {
            continue;
        }
        let Ok(kind) = entry.file_type() else { continue };
        let path = entry.path();
        if kind.is_symlink() {
            out.findings.push(
                Finding::info("symlink_skipped", "这是一个快捷方式（符号链接），未读取。请把填报表本身放入输入文件夹。")
                    .in_file(&relative(base, &path)),
            );
        } else if kind.is_dir() {
            collect(base, &path, paths, out);
        } else if has_spreadsheet_extension(&path) {
            paths.push(path);
        } else {
            out.findings.push(
                Finding::info("not_spreadsheet", "不是表格文件（只读取 xlsx、xlsm、xls、xlsb、ods），已跳过。")
                    .in_file(&relative(base, &path)),
            );
        }
    }
}

fn has_spreadsheet_extension(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Read one workbook; a panic inside calamine or our code becomes a finding.
fn read_file(plan: &Plan, path: &Path, rel: &str) -> ReadOutcome {
    let mut file = InputFile {
        file: rel.to_string(),
        size: 0,
        sha256: String::new(),
        status: "已拒收".into(),
        reason: String::new(),
        department: String::new(),
        year: None,
        filled_date: None,
        figures: 0,
    };
    let sniffed = match fingerprint(path) {
        Ok((size, sha256, sniffed)) => {
            file.size = size;
            file.sha256 = sha256;
            sniffed
        }
        Err(e) => {
            let f = Finding::error("file_unreadable", format!("无法读取文件：{e}。请检查文件是否被占用或没有读取权限。")).in_file(rel);
            file.reason = f.message.clone();
            return ReadOutcome { findings: vec![f], files: vec![file], ..Default::default() };
        }
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        check_content(path, sniffed, rel)?;
        read_workbook(plan, path, rel)
    }));
    let mut w = match result {
        Ok(Ok(w)) => {
            file.status = "已读取".into();
            w
        }
        Ok(Err(reason)) => {
            file.reason = reason.message.clone();
            WorkbookRead { findings: vec![*reason], ..Default::default() }
        }
        Err(panic) => {
            let what =
                panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_default();
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
enum Sniffed {
    Zip,
    /// An OLE compound file: a real .xls, or an encrypted xlsx/xlsm/xlsb.
    Compound {
        encrypted_ooxml: bool,
    },
    Other,
}

fn fingerprint(path: &Path) -> std::io::Result<(u64, String, Sniffed)> {
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
    Ok((bytes.len() as u64, digest.iter().map(|b| format!("{b:02x}")).collect(), sniffed))
}

/// Refuse, before calamine sees it, a file whose content contradicts its extension.
fn check_content(path: &Path, sniffed: Sniffed, rel: &str) -> Result<(), Box<Finding>> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let zip_format = matches!(ext.as_str(), "xlsx" | "xlsm" | "xlsb" | "ods");
    match sniffed {
        Sniffed::Compound { encrypted_ooxml: true } => Err(Box::new(
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

fn read_workbook(plan: &Plan, path: &Path, rel: &str) -> Result<WorkbookRead, Box<Finding>> {
    let mut workbook = open_workbook_auto(path).map_err(|e| Box::new(open_error(e, rel)))?;
    let hidden: Vec<String> =
        workbook.sheets_metadata().iter().filter(|s| s.visible != SheetVisible::Visible).map(|s| s.name.clone()).collect();
    let names = workbook.sheet_names();
    let mut w = WorkbookRead::default();
    let mut tables = 0;
    let mut any_content = false;
    let mut others = Vec::new();
    for name in &names {
        let range = match workbook.worksheet_range(name) {
            Ok(r) => r,
            Err(e) => {
                w.findings.push(Finding::warning("sheet_unreadable", format!("工作表无法读取（{e}），已跳过。")).in_file(rel).at(name, ""));
                continue;
            }
        };
        if range.used_cells().any(|(_, _, d)| !matches!(d, Data::Empty)) {
            any_content = true;
        }
        // Number formats (xlsx only): a 0.945 shown as 94.5% is read as 94.5.
        let styles = workbook.worksheet_style(name).ok().filter(|s| !s.is_empty());
        let Some(sheet) = read_sheet(plan, rel, name, &range, styles.as_ref()) else {
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
