//! Stage 1 — read: find the returns under the input folder and take every figure out of
//! them with calamine. A file that cannot be read becomes a finding; the rest go on.

mod file;
pub mod formats;
pub use file::{bounded_bytes, bounded_sheets, package_within_limits, sheets_for_copy, BoundedSheet, CopySheet};
mod limits;
mod period;
mod projects;
mod sheet;
pub use sheet::{cell_position, column_name};
mod texts;
pub mod value;
pub mod worker;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::finding::{Code, Finding};
use crate::plan::Plan;
use file::read_file;

pub use projects::{says_finished, ProjectCells, ProjectReport, ProjectState};
mod table;
pub use table::read_sheet;
mod columns;
pub use texts::{TaskReport, TaskState, WorkReport};
pub use worker::Isolation;

/// Which column of a return a figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    // The text shared by many figures (file, sheet, unit, indicator) is shared, not
    // copied: a province's batch holds hundreds of thousands of figures.
    #[serde(serialize_with = "shared", deserialize_with = "unshared")]
    pub file: Arc<str>,
    #[serde(serialize_with = "shared", deserialize_with = "unshared")]
    pub sheet: Arc<str>,
    pub cell: String,
    #[serde(serialize_with = "shared", deserialize_with = "unshared")]
    pub department: Arc<str>,
    pub year: i32,
    #[serde(serialize_with = "shared", deserialize_with = "unshared")]
    pub indicator_id: Arc<str>,
    #[serde(serialize_with = "shared", deserialize_with = "unshared")]
    pub indicator_name: Arc<str>,
    /// The cell as written.
    pub raw: String,
    /// The figure in the indicator's unit; None when the cell holds no figure.
    pub value: Option<f64>,
    /// The indicator's unit (values are converted to it where the conversion is certain).
    #[serde(serialize_with = "shared", deserialize_with = "unshared")]
    pub unit: Arc<str>,
    pub kind: ObsKind,
    /// The row's 备注, as written.
    pub remark: String,
    /// The row's 未完成原因及下一步措施 (asked in the plan's last year), as written.
    #[serde(default)]
    pub reason: String,
    /// Where that reason is written on the row (its column of the figure's row), or
    /// empty when the sheet has no such column.
    #[serde(default)]
    pub reason_cell: String,
    /// The year of the return it was read from: the figure's own year, or a later one
    /// when the return restates it (a 上年值, or an earlier year's column).
    pub return_year: i32,
    /// Written as a provisional figure (预计, 暂定): used, and marked as such.
    #[serde(default)]
    pub provisional: bool,
    /// A restated figure marked as a correction (a column “2024年（更正）”, a remark
    /// “更正”): it replaces the year's own figure.
    #[serde(default)]
    pub correction: bool,
    /// Credited to another unit than the one sending the file (a lead unit's summary
    /// of its partners): the unit's own return comes first.
    #[serde(default)]
    pub secondary: bool,
    /// Why the cell gave no figure (`value` is None): blank, not a number, a unit that
    /// cannot be converted, an error value.
    #[serde(default)]
    pub no_value: Option<NotUsed>,
}

impl Observation {
    /// A figure a later year's return gives for this year.
    pub fn restated(&self) -> bool {
        self.return_year > self.year
    }
}

/// Why a figure read is not the one used (observations.csv `not_used_because`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotUsed {
    /// The cell holds no figure (blank, “/”, “—”).
    NoFigure,
    /// Text that is not a number.
    NotANumber,
    /// A unit of measure that cannot be converted to the indicator's.
    UnitMismatch,
    /// An error value (#DIV/0!) or a formula saved without its result.
    FormulaError,
    /// In a hidden sheet, row or column.
    Hidden,
    /// A figure for part of the year (1—6月, 上半年, 前三季度 …).
    PartYear,
    /// From an earlier version of the same return.
    Superseded,
    /// A later year's return restates the year (or another unit's file gives it), and
    /// the unit's own return is used.
    Restated,
    /// A part of a total given beside it (a lead unit's table with its partners' shares
    /// and a 合计): the total is the figure.
    PartOfTotal,
    /// Another unit's (or cell's) different figure is used.
    Conflict,
    /// Another cell with the same figure is used.
    SameAsUsed,
    /// A year outside the plan's period.
    OutOfPeriod,
    /// No reporting unit could be determined.
    UnitUnknown,
    /// In a cell merged across several indicator rows: whose figure it is is unclear.
    Ambiguous,
}

impl NotUsed {
    /// The text in observations.csv.
    pub fn as_str(self) -> &'static str {
        match self {
            NotUsed::NoFigure => "no_figure",
            NotUsed::NotANumber => "not_a_number",
            NotUsed::UnitMismatch => "unit_mismatch",
            NotUsed::FormulaError => "formula_error",
            NotUsed::Hidden => "hidden",
            NotUsed::PartYear => "part_year",
            NotUsed::Superseded => "superseded",
            NotUsed::Restated => "restated",
            NotUsed::PartOfTotal => "part_of_total",
            NotUsed::Conflict => "conflict",
            NotUsed::SameAsUsed => "same_as_used",
            NotUsed::OutOfPeriod => "out_of_period",
            NotUsed::UnitUnknown => "unit_unknown",
            NotUsed::Ambiguous => "ambiguous",
        }
    }

    /// In words, for the workbook and `check`.
    pub fn label(self) -> &'static str {
        match self {
            NotUsed::NoFigure => "未填数",
            NotUsed::NotANumber => "不是数字",
            NotUsed::UnitMismatch => "计量单位不符",
            NotUsed::FormulaError => "公式错误或无结果",
            NotUsed::Hidden => "在隐藏的行、列或工作表中",
            NotUsed::PartYear => "不是全年数据",
            NotUsed::Superseded => "已被新版本替代",
            NotUsed::Restated => "以本单位本年度填报表为准",
            NotUsed::PartOfTotal => "是合计数的一部分",
            NotUsed::Conflict => "与采用的数不一致",
            NotUsed::SameAsUsed => "与采用的数相同",
            NotUsed::OutOfPeriod => "不在规划期内",
            NotUsed::UnitUnknown => "填报单位不明",
            NotUsed::Ambiguous => "合并单元格，归属不明",
        }
    }
}

/// A figure read but set aside before the figures are chosen, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unused {
    pub observation: Observation,
    pub because: NotUsed,
}

/// Shared text is written as plain text.
fn shared<S: serde::Serializer>(text: &Arc<str>, to: S) -> Result<S::Ok, S::Error> {
    to.serialize_str(text)
}

/// Read back as its own copy (the read stage shares it again, see `worker`).
fn unshared<'de, D: serde::Deserializer<'de>>(from: D) -> Result<Arc<str>, D::Error> {
    String::deserialize(from).map(Arc::from)
}

/// What became of an input file (the manifest writes it in Chinese).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Fate {
    #[serde(rename = "已读取")]
    Read,
    #[serde(rename = "已拒收")]
    Rejected,
    #[serde(rename = "已跳过")]
    Skipped,
    /// Read, but every return in it has a newer version in another file (`versions`).
    #[serde(rename = "已被替代")]
    Superseded,
    /// Read, but its returns are of years after the reporting year: not in this report.
    #[serde(rename = "不在本次汇总年度")]
    OutOfScope,
}

impl Fate {
    pub const ALL: [Fate; 5] = [Fate::Read, Fate::Rejected, Fate::Skipped, Fate::Superseded, Fate::OutOfScope];

    pub fn label(self) -> &'static str {
        match self {
            Fate::Read => "已读取",
            Fate::Rejected => "已拒收",
            Fate::Skipped => "已跳过",
            Fate::Superseded => "已被替代",
            Fate::OutOfScope => "不在本次汇总年度",
        }
    }
}

/// A return in a file that a newer version in another file replaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replaced {
    pub department: String,
    pub year: i32,
    /// The file holding the version used.
    pub by: String,
    /// Why that one is the newer (填报日期, 文件名, 修改时间).
    pub basis: String,
}

/// How a table holds its indicators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Orientation {
    /// 竖表: one indicator per row (the distributed template).
    #[default]
    #[serde(rename = "竖表")]
    IndicatorRows,
    /// 横表: one indicator per column, one year or unit per row.
    #[serde(rename = "横表")]
    IndicatorColumns,
}

impl Orientation {
    pub fn label(self) -> &'static str {
        match self {
            Orientation::IndicatorRows => "竖表（每行一个指标）",
            Orientation::IndicatorColumns => "横表（每列一个指标）",
        }
    }
}

/// How one sheet of a return was understood, for `check` and the manifest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SheetLayout {
    pub sheet: String,
    pub orientation: Orientation,
    /// Where the units of measure were taken from (计量单位列, 表头“完成值（%）” …),
    /// in the order first used.
    pub unit_sources: Vec<String>,
    /// The years the sheet gives figures for.
    pub years: Vec<i32>,
    /// The reporting units its figures are credited to.
    pub units: Vec<String>,
    /// Cells with figures in hidden rows or columns (or "整个工作表" for a hidden sheet):
    /// read, not used.
    #[serde(default)]
    pub hidden: Vec<String>,
}

/// One unit's return for one year, found in a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Covered {
    pub department: String,
    pub year: i32,
    /// Not the unit's own return for the year: a later year's return restating it (an
    /// earlier year's column), or another unit's file giving this unit's figures (a lead
    /// unit's summary of its partners). Never a version of the unit's own return.
    #[serde(default)]
    pub secondary: bool,
}

/// What became of one input file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputFile {
    pub file: String,
    pub size: u64,
    pub sha256: String,
    pub status: Fate,
    pub reason: String,
    pub department: String,
    pub year: Option<i32>,
    /// 填报日期 (YYYY-MM-DD) when the return gives one, and where: (sheet, cell).
    pub filled_date: Option<String>,
    #[serde(default)]
    pub filled_at: Option<(String, String)>,
    pub figures: usize,
    /// The returns (unit and year) this file holds: one for a plain return, several for
    /// a workbook with a sheet per unit or a return spanning several years.
    #[serde(default)]
    pub covers: Vec<Covered>,
    /// How each table in it was read.
    #[serde(default)]
    pub layouts: Vec<SheetLayout>,
    /// The file's modification time (nanoseconds since 1970), to order versions of a return.
    #[serde(default)]
    pub modified: Option<i64>,
    /// Its returns that a newer version in another file replaces.
    #[serde(default)]
    pub replaced: Vec<Replaced>,
    /// Where each area's 工作进展 goes in its 工作进展 table, written or not.
    #[serde(default)]
    pub work_cells: Vec<WorkCell>,
    /// It says its figures are sample data (示例数据): the documents say so.
    #[serde(default)]
    pub sample: bool,
}

/// The 主要工作及成效 cell of an area's row in a 工作进展 table (the place a missing
/// text is asked for).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkCell {
    pub area: String,
    pub sheet: String,
    pub cell: String,
}

/// Everything the read stage produces.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ReadOutcome {
    /// The figures the later stages choose from.
    pub observations: Vec<Observation>,
    /// Figures read but set aside (hidden, part of the year, older versions …): kept for
    /// observations.csv and `check`, never chosen.
    #[serde(default)]
    pub unused: Vec<Unused>,
    pub projects: Vec<ProjectReport>,
    #[serde(default)]
    pub works: Vec<WorkReport>,
    #[serde(default)]
    pub tasks: Vec<TaskReport>,
    pub findings: Vec<Finding>,
    pub files: Vec<InputFile>,
}

/// The extensions read as returns. WPS's own `.et`/`.ett` are usually an .xls compound
/// file (or an xlsx package) under another name, and are read by their content.
const EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xls", "xlsb", "ods", "et", "ett"];

/// Read every return under `input`, several files at a time (one per core), in a
/// deterministic order of results. A file still being read after the time limit is
/// given up and reported; the batch goes on.
pub fn read_inputs(plan: &Plan, input: &Path) -> ReadOutcome {
    read_inputs_with(plan, &Source::threads(input), &|_, _| {})
}

/// Which folder to read, and how.
#[derive(Debug, Clone)]
pub struct Source {
    pub input: PathBuf,
    /// A folder inside the input folder that is not read: the output folder, when the
    /// user put it there (its workbook would otherwise be read as a return).
    pub leave_out: Option<PathBuf>,
    pub isolation: Isolation,
}

impl Source {
    /// The input folder read on threads of this process.
    pub fn threads(input: &Path) -> Source {
        Source { input: input.to_path_buf(), leave_out: None, isolation: Isolation::Threads }
    }
}

/// `read_inputs` as `source` says, calling `progress(done, total)` as files finish.
pub fn read_inputs_with(plan: &Plan, source: &Source, progress: &dyn Fn(usize, usize)) -> ReadOutcome {
    let input = source.input.as_path();
    let mut out = ReadOutcome::default();
    let leave_out = source.leave_out.as_deref().map(crate::paths::real);
    // The folder is walked while the reading workers start.
    let outcomes = read_jobs(
        plan,
        || {
            let mut paths = Vec::new();
            collect(input, input, leave_out.as_deref(), &mut paths, &mut out);
            paths.sort();
            paths
                .into_iter()
                .map(|p| {
                    let rel = relative(input, &p);
                    (p, rel)
                })
                .collect()
        },
        &source.isolation,
        progress,
    );
    // One allocation for all the figures (a growing vector would hold up to three times
    // their size while it is copied).
    out.observations.reserve_exact(outcomes.iter().map(|o| o.observations.len()).sum());
    out.projects.reserve_exact(outcomes.iter().map(|o| o.projects.len()).sum());
    for one in outcomes {
        out.absorb(one);
    }
    out.findings.extend(name_twins(&out.files));
    out.findings.extend(control_characters(&out));
    out
}

/// Files whose names look alike but are different names: equal after Unicode
/// normalisation (a name typed on a Mac and one typed on Windows) or equal but for
/// upper and lower case (one file on Windows, two on Linux). Both are read; a warning
/// names both, since a person cannot tell them apart.
fn name_twins(files: &[InputFile]) -> Vec<Finding> {
    use unicode_normalization::UnicodeNormalization;
    let mut seen: std::collections::BTreeMap<String, &str> = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for f in files {
        let key: String = f.file.nfc().flat_map(char::to_lowercase).collect();
        match seen.get(&key) {
            Some(first) if *first != f.file => out.push(
                Finding::warning(
                    Code::NameTwins,
                    format!(
                        "文件名“{}”与“{first}”看起来相同（只是字母大小写或 Unicode 编码形式不同），两个文件都已读取。请核对是否重复报送，并把其中一个改名或删去。",
                        f.file
                    ),
                )
                .in_file(&f.file),
            ),
            Some(_) => {}
            None => {
                seen.insert(key, &f.file);
            }
        }
    }
    out
}

/// Text that the Word files (XML) cannot hold as it is: control characters in a cell
/// (a vertical tab is how Excel stores a line break pasted from Word; ESC and BEL come
/// with text pasted from elsewhere) or in a file name. The Word versions replace them;
/// an info finding names each cell.
pub fn control_characters(out: &ReadOutcome) -> Vec<Finding> {
    use std::collections::BTreeSet;
    let mut seen: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut findings = Vec::new();
    let mut check = |texts: &[&str], file: &str, sheet: &str, cell: &str, unit: &str| {
        let found: BTreeSet<char> = texts.iter().flat_map(|t| t.chars()).filter(|c| crate::text::xml_unsafe(*c)).collect();
        if found.is_empty() || !seen.insert((file.to_string(), sheet.to_string(), cell.to_string())) {
            return;
        }
        let list: Vec<String> = found.iter().map(|c| format!("U+{:04X}", *c as u32)).collect();
        let what = if sheet.is_empty() { "文件名".to_string() } else { "这一格（或同一行的说明、备注）".to_string() };
        let mut f = Finding::info(
            Code::ControlCharacters,
            format!(
                "{what}中有不可见的控制字符（{}）：垂直制表符通常是从 Word 粘贴时带入的换行，其他是从别处粘贴带入的。Word 版报告和反馈单中已把垂直制表符换成换行、其他删去；PDF 和汇总表照原样。如非有意，请删去后重新报送。",
                list.join("、")
            ),
        )
        .in_file(file);
        if !sheet.is_empty() {
            f = f.at(sheet, cell);
        }
        if !unit.is_empty() {
            f = f.for_unit(unit);
        }
        findings.push(f);
    };
    for f in &out.files {
        check(&[&f.file], &f.file, "", "", &f.department);
    }
    for o in &out.observations {
        check(&[&o.raw, &o.remark], &o.file, &o.sheet, &o.cell, &o.department);
    }
    for w in &out.works {
        check(&[&w.area, &w.work, &w.problems, &w.next], &w.file, &w.sheet, &w.cell, &w.department);
    }
    for t in &out.tasks {
        check(&[&t.status_text, &t.note], &t.file, &t.sheet, &t.cell, &t.department);
    }
    for p in &out.projects {
        check(&[&p.status, &p.problems], &p.file, &p.sheet, &p.cell, &p.department);
    }
    findings
}

/// Read the files `jobs` lists (path, name), in the given isolation.
fn read_jobs(
    plan: &Plan,
    jobs: impl FnOnce() -> Vec<(PathBuf, String)>,
    isolation: &Isolation,
    progress: &dyn Fn(usize, usize),
) -> Vec<ReadOutcome> {
    match isolation {
        Isolation::Threads => read_on_threads(plan, jobs(), progress),
        Isolation::Processes(exe) => worker::read_in_processes(plan, exe, jobs, progress),
    }
}

/// Read files on a pool of worker threads (one per core) that take the next file as
/// they finish one. A file still being read after the time limit is given up: its
/// thread is left to finish on its own and a new worker takes its place.
fn read_on_threads(plan: &Plan, jobs: Vec<(PathBuf, String)>, progress: &dyn Fn(usize, usize)) -> Vec<ReadOutcome> {
    enum Msg {
        Started(usize),
        /// The file, what became of it, and how long it took.
        Done(usize, Box<ReadOutcome>, Duration),
    }
    let total = jobs.len();
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(1).min(total.max(1));
    let limit = crate::worker::seconds(plan.rules.limits.seconds_per_file);
    let plan = Arc::new(plan.clone());
    let jobs = Arc::new(jobs);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel::<Msg>();
    let spawn = || {
        let (plan, jobs, next, tx) = (Arc::clone(&plan), Arc::clone(&jobs), Arc::clone(&next), tx.clone());
        std::thread::spawn(move || loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let Some((path, rel)) = jobs.get(i) else { break };
            // The receiver may be gone if this file timed out: nothing to do then.
            if tx.send(Msg::Started(i)).is_err() {
                break;
            }
            let t = Instant::now();
            let outcome = read_file(&plan, path, rel);
            let _ = tx.send(Msg::Done(i, Box::new(outcome), t.elapsed()));
        });
    };
    for _ in 0..workers {
        spawn();
    }
    let mut results: Vec<Option<ReadOutcome>> = (0..total).map(|_| None).collect();
    let mut started: BTreeMap<usize, Instant> = BTreeMap::new();
    let mut done = 0;
    progress(0, total);
    while done < total {
        let wait =
            started.values().min().map(|t| (*t + limit).saturating_duration_since(Instant::now())).unwrap_or(Duration::from_secs(3600));
        match rx.recv_timeout(wait) {
            Ok(Msg::Started(i)) => {
                started.insert(i, Instant::now());
            }
            Ok(Msg::Done(i, outcome, took)) => {
                if started.remove(&i).is_some() && results[i].is_none() {
                    // Finished, but later than allowed: the same as giving up on it, so
                    // that the limit means one thing however fast the machine is.
                    results[i] = Some(if took > limit || limit.is_zero() { timed_out(&jobs[i].1, limit) } else { *outcome });
                    done += 1;
                    progress(done, total);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let late: Vec<usize> = started.iter().filter(|(_, t)| t.elapsed() >= limit).map(|(i, _)| *i).collect();
                for i in late {
                    started.remove(&i);
                    results[i] = Some(timed_out(&jobs[i].1, limit));
                    done += 1;
                    progress(done, total);
                    // The stuck thread keeps its file; another worker goes on with the rest.
                    spawn();
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    results.into_iter().flatten().collect()
}

fn timed_out(rel: &str, limit: Duration) -> ReadOutcome {
    let f = Finding::error(
        Code::ReadTimeout,
        format!(
            "读取此文件超过 {} 秒仍未完成，已放弃。文件可能损坏或过于复杂，请用 Excel 或 WPS 另存为 xlsx 后重新报送。",
            limit.as_secs_f64()
        ),
    )
    .in_file(rel);
    let file = InputFile::rejected(rel, &f.message);
    ReadOutcome { findings: vec![f], files: vec![file], ..Default::default() }
}

impl InputFile {
    /// A file that was not used, with why.
    pub fn rejected(rel: &str, reason: &str) -> InputFile {
        InputFile {
            file: rel.to_string(),
            size: 0,
            sha256: String::new(),
            status: Fate::Rejected,
            reason: reason.to_string(),
            department: String::new(),
            year: None,
            filled_date: None,
            filled_at: None,
            figures: 0,
            covers: Vec::new(),
            layouts: Vec::new(),
            modified: None,
            replaced: Vec::new(),
            work_cells: Vec::new(),
            sample: false,
        }
    }

    /// A file that was passed over on purpose (lock files, hidden files, not a spreadsheet).
    pub fn skipped(rel: &str, reason: &str) -> InputFile {
        InputFile { status: Fate::Skipped, ..InputFile::rejected(rel, reason) }
    }

    /// Whether this file was read and holds `unit`'s return for `year` (in the version
    /// used or in an earlier one).
    pub fn holds_return(&self, unit: &str, year: i32) -> bool {
        matches!(self.status, Fate::Read | Fate::Superseded) && self.covers.iter().any(|c| c.department == unit && c.year == year)
    }

    /// Whether a newer version in another file replaces this file's return of `unit` for `year`.
    pub fn is_replaced(&self, unit: &str, year: i32) -> bool {
        self.replaced.iter().any(|r| r.department == unit && r.year == year)
    }

    /// The units whose returns the file holds, in order, for display (the file's own
    /// unit when it names none).
    pub fn units(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for c in &self.covers {
            if !out.contains(&c.department.as_str()) {
                out.push(&c.department);
            }
        }
        if out.is_empty() && !self.department.is_empty() {
            out.push(&self.department);
        }
        out
    }
}

impl ReadOutcome {
    /// The figures read from each file, in the order read: those taken on, then those
    /// kept aside with why (blank cells left out). Grouped once, for listing file by file.
    pub fn figures_by_file(&self) -> std::collections::HashMap<&str, Vec<(&Observation, Option<NotUsed>)>> {
        let mut out: std::collections::HashMap<&str, Vec<(&Observation, Option<NotUsed>)>> = std::collections::HashMap::new();
        for o in &self.observations {
            out.entry(&*o.file).or_default().push((o, None));
        }
        for u in self.unused.iter().filter(|u| !u.observation.raw.trim().is_empty()) {
            out.entry(&*u.observation.file).or_default().push((&u.observation, Some(u.because)));
        }
        out
    }

    fn absorb(&mut self, other: ReadOutcome) {
        self.observations.extend(other.observations);
        self.unused.extend(other.unused);
        self.projects.extend(other.projects);
        self.works.extend(other.works);
        self.tasks.extend(other.tasks);
        self.findings.extend(other.findings);
        self.files.extend(other.files);
    }
}

/// Read the given files on threads of this process, each named as given.
pub fn read_files(plan: &Plan, files: &[PathBuf]) -> ReadOutcome {
    read_files_with(plan, files, &Isolation::Threads)
}

/// Read the given files (for `check`), each named as given, in the given isolation.
pub fn read_files_with(plan: &Plan, files: &[PathBuf], isolation: &Isolation) -> ReadOutcome {
    let jobs = || files.iter().map(|p| (p.clone(), crate::text::os_display(p.as_os_str()))).collect();
    let mut out = ReadOutcome::default();
    for one in read_jobs(plan, jobs, isolation, &|_, _| {}) {
        out.absorb(one);
    }
    out.findings.extend(control_characters(&out));
    out
}

/// The spreadsheets in a folder and below it, as `run` finds them in its input folder
/// (hidden files, lock files and links left out), in name order: what `check FOLDER`
/// reads.
pub fn spreadsheets_in(dir: &Path) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    collect(dir, dir, None, &mut paths, &mut ReadOutcome::default());
    paths
}

fn relative(base: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    rel.components().map(|c| crate::text::os_display(c.as_os_str())).collect::<Vec<_>>().join("/")
}

/// Walk the input folder. Hidden files and Office/WPS lock files (`~$…`) are skipped
/// quietly; symbolic links are not followed; only regular files are read; the folder
/// `leave_out` (the output folder) is not entered.
fn collect(base: &Path, dir: &Path, leave_out: Option<&Path>, paths: &mut Vec<PathBuf>, out: &mut ReadOutcome) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.findings.push(
                Finding::error(Code::InputUnreadable, format!("无法打开输入文件夹：{}。", crate::oserror::explain(&e)))
                    .in_file(&relative(base, dir)),
            );
            return;
        }
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = crate::text::os_display(&entry.file_name());
        let Ok(kind) = entry.file_type() else { continue };
        let path = entry.path();
        let rel = relative(base, &path);
        if name.starts_with("~$") {
            // Left by Excel/WPS while a file is open: skipped quietly, but accounted for.
            out.files.push(InputFile::skipped(&rel, "Excel/WPS 打开文件时留下的临时锁定文件"));
        } else if name.starts_with('.') {
            if !kind.is_dir() {
                out.files.push(InputFile::skipped(&rel, "隐藏文件"));
            }
        } else if kind.is_symlink() {
            out.findings.push(
                Finding::info(Code::SymlinkSkipped, "这是一个快捷方式（符号链接），未读取。请把填报表本身放入输入文件夹。").in_file(&rel),
            );
            out.files.push(InputFile::skipped(&rel, "符号链接（不跟随）"));
        } else if kind.is_dir() {
            if leave_out.is_some_and(|skip| crate::paths::real(&path) == skip) {
                out.files.push(InputFile::skipped(&rel, "输出文件夹（不作为填报表读取）"));
            } else {
                collect(base, &path, leave_out, paths, out);
            }
        } else if !kind.is_file() {
            out.findings.push(Finding::info(Code::NotAFile, "这不是一个普通文件（可能是管道或设备），未读取。").in_file(&rel));
            out.files.push(InputFile::skipped(&rel, "不是普通文件"));
        } else if has_spreadsheet_extension(&path) {
            paths.push(path);
        } else {
            out.findings.push(
                Finding::info(Code::NotSpreadsheet, "不是表格文件（只读取 xlsx、xlsm、xls、xlsb、ods 和 WPS 的 et），已跳过。")
                    .in_file(&rel),
            );
            out.files.push(InputFile::skipped(&rel, "不是表格文件"));
        }
    }
}

pub fn has_spreadsheet_extension(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}
