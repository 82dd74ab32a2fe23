//! One worksheet → observations: find the header row(s), the columns, the unit sending
//! the return and the year, then read each indicator row.

use std::sync::Arc;

use calamine::{Data, Range};

use super::value::{self, CellValue};
use super::{ObsKind, Observation};
use crate::finding::{Code, Finding};
use crate::plan::{Indicator, Plan};
use crate::text::{fmt_num, fold_width, normalize_name};

/// What one sheet gave.
#[derive(Debug, Default)]
pub struct SheetRead {
    pub department: String,
    pub year: Option<i32>,
    /// 填报日期 as YYYY-MM-DD, when the return gives one.
    pub filled_date: Option<String>,
    /// Value cells that were empty: (absolute row, absolute column, index into
    /// `observations`), to check for formulas saved without a cached value.
    pub empty_cells: Vec<(u32, u32, usize)>,
    /// Figures between 0 and 1.5 in percentage indicators: (absolute row, column, index
    /// into `observations`). Shown as 94.5% by a cell format they mean 94.5; the caller
    /// looks at the number formats only when there are such cells.
    pub percent_candidates: Vec<(u32, u32, usize)>,
    pub observations: Vec<Observation>,
    pub findings: Vec<Finding>,
}

/// The role of a column, from its header text.
#[derive(Debug, Clone, PartialEq)]
enum Role {
    Seq,
    Id,
    Name,
    Unit,
    Target,
    /// 上年值: the year before the return's year.
    Previous,
    /// A value column; `Some(year)` when the header names the year.
    Value(Option<i32>),
    /// 备注 / 说明: kept with the figures of the row.
    Remark,
    Other,
}

const HEADER_SCAN_ROWS: usize = 30;

/// Read a sheet if it holds an indicator table; `None` if it does not look like one
/// (an instructions sheet, a projects sheet, an empty sheet).
pub fn read_sheet(plan: &Plan, file: &str, sheet: &str, range: &Range<Data>) -> Option<SheetRead> {
    let grid = Grid::new(range);
    let header = find_header(&grid)?;
    let mut out = SheetRead::default();

    let (department, dep_cell) = find_department(plan, &grid, file, sheet, &mut out.findings);
    out.department = department.clone();
    let year = find_year(&grid, file, header.first_row);
    out.year = year;
    out.filled_date = find_filled_date(&grid);

    // Shared by every figure of the sheet.
    let (file_text, sheet_text, department_text): (Arc<str>, Arc<str>, Arc<str>) = (file.into(), sheet.into(), department.as_str().into());
    let name_col = header.col(&Role::Name)?;
    let id_col = header.col(&Role::Id);
    let seq_col = header.col(&Role::Seq);
    let unit_col = header.col(&Role::Unit);
    let value_cols: Vec<(usize, Option<i32>)> =
        header.roles.iter().enumerate().filter_map(|(c, r)| if let Role::Value(y) = r { Some((c, *y)) } else { None }).collect();
    let previous_col = header.col(&Role::Previous);
    let remark_col = header.col(&Role::Remark);

    if value_cols.iter().any(|(_, y)| y.is_none()) && year.is_none() {
        out.findings.push(
            Finding::error(
                Code::YearUnknown,
                "无法确定填报年度：表头、标题和文件名中都没有写年份。请在标题中写明“××××年度”，或在文件名中写明年份。",
            )
            .at(sheet, "")
            .for_unit(&department),
        );
    }
    if department.is_empty() {
        out.findings.push(
            Finding::error(
                Code::UnitUnknown,
                "无法确定填报单位：表中没有“填报单位”，文件名和工作表名中也没有可识别的单位名称。请在表头填写“填报单位：××局”。",
            )
            .at(sheet, &dep_cell)
            .for_unit(""),
        );
    }

    for r in header.last_row + 1..grid.height() {
        let name_text = grid.text_ref(r, name_col);
        let id_text = id_col.map(|c| grid.text_ref(r, c)).unwrap_or_default();
        let seq_text = seq_col.map(|c| grid.text_ref(r, c)).unwrap_or_default();
        if name_text.trim().is_empty() && id_text.trim().is_empty() && seq_text.trim().is_empty() {
            continue;
        }
        let Some(ind) = plan.match_indicator(&id_text, &seq_text, &name_text) else {
            // Only a row with a figure in it is worth a finding (not a note or a footer).
            let has_value = value_cols.iter().any(|(c, _)| !matches!(value::parse(&grid.text(r, *c)), CellValue::NoFigure));
            if has_value && !is_footer(&name_text) {
                let hint = plan.nearest_indicator(&name_text).map(|i| format!("最接近的指标是 {}“{}”，", i.id, i.name)).unwrap_or_default();
                out.findings.push(
                    Finding::warning(
                        Code::UnknownIndicator,
                        format!(
                            "指标“{}”不在指标表中，该行数据未采用。{}请按指标表的名称或编号填写。",
                            crate::text::printable(name_text.trim(), 60),
                            hint
                        ),
                    )
                    .at(sheet, &grid.addr(r, name_col))
                    .for_unit(&department),
                );
            }
            continue;
        };
        let written_unit = unit_col.map(|c| grid.text(r, c)).unwrap_or_default();
        let remark = remark_col.map(|c| grid.text(r, c).trim().to_string()).unwrap_or_default();
        let origin = Origin { file: &file_text, sheet: &sheet_text, department: &department_text };
        // The columns this row's figures came from, to look at their cells again.
        let mut taken: Vec<(usize, usize)> = Vec::new();
        for &(c, col_year) in &value_cols {
            let Some(y) = col_year.or(year) else { continue };
            if let Some(o) = observe(&grid, r, c, ind, &written_unit, y, ObsKind::Current, &origin, &mut out.findings) {
                if matches!(grid.get(r, c), Data::Empty) {
                    out.empty_cells.push((grid.row0 + r as u32, grid.col0 + c as u32, out.observations.len()));
                }
                taken.push((out.observations.len(), c));
                out.observations.push(o);
            }
        }
        if let (Some(c), Some(y)) = (previous_col, year) {
            if let Some(o) = observe(&grid, r, c, ind, &written_unit, y - 1, ObsKind::Previous, &origin, &mut out.findings) {
                taken.push((out.observations.len(), c));
                out.observations.push(o);
            }
        }
        for (i, c) in taken {
            let o = &mut out.observations[i];
            o.remark.clone_from(&remark);
            if let Some(v) = o.value {
                if ind.unit == "%" && v > 0.0 && v <= 1.5 && matches!(grid.get(r, c), Data::Float(_)) {
                    out.percent_candidates.push((grid.row0 + r as u32, grid.col0 + c as u32, i));
                }
            }
        }
    }
    Some(out)
}

/// Rows at the foot of a return that are not indicators (填报人, 说明, 合计 …).
fn is_footer(name: &str) -> bool {
    let n = normalize_name(name);
    ["填报人", "审核人", "联系电话", "填报日期", "说明", "备注", "合计", "注:", "注："].iter().any(|k| n.starts_with(k))
}

/// Where the figures of a sheet come from.
struct Origin<'a> {
    file: &'a Arc<str>,
    sheet: &'a Arc<str>,
    department: &'a Arc<str>,
}

#[allow(clippy::too_many_arguments)]
fn observe(
    grid: &Grid,
    r: usize,
    c: usize,
    ind: &Indicator,
    written_unit: &str,
    year: i32,
    kind: ObsKind,
    origin: &Origin,
    findings: &mut Vec<Finding>,
) -> Option<Observation> {
    let (sheet, department) = (&**origin.sheet, &**origin.department);
    let cell = grid.addr(r, c);
    let data = grid.get(r, c);
    let finding = |f: Finding| f.at(sheet, &cell).for_unit(department).for_indicator(&ind.id);
    let raw = grid.text(r, c);
    let parsed = match data {
        Data::Float(f) => CellValue::Number { value: *f, unit: String::new(), qualifier: String::new() },
        Data::Int(i) => CellValue::Number { value: *i as f64, unit: String::new(), qualifier: String::new() },
        Data::Error(e) => {
            findings.push(finding(Finding::error(
                Code::FormulaError,
                format!("单元格是错误值（{e}），没有可用的数字。请检查公式或直接填写数值。"),
            )));
            return None;
        }
        Data::Empty => CellValue::NoFigure,
        Data::Bool(_) | Data::DateTime(_) | Data::DateTimeIso(_) | Data::DurationIso(_) => CellValue::NotNumber,
        Data::String(s) => value::parse(s),
    };
    let mut obs = Observation {
        file: Arc::clone(origin.file),
        sheet: Arc::clone(origin.sheet),
        cell: cell.clone(),
        department: Arc::clone(origin.department),
        year,
        indicator_id: Arc::clone(&ind.shared.id),
        indicator_name: Arc::clone(&ind.shared.name),
        raw,
        value: None,
        unit: Arc::clone(&ind.shared.unit),
        kind,
        remark: String::new(),
    };
    match parsed {
        CellValue::NoFigure => {
            if kind == ObsKind::Current {
                return Some(obs);
            }
            None
        }
        CellValue::NotNumber => {
            findings.push(finding(Finding::error(
                Code::NotANumber,
                format!("“{}”不是数字，未采用。请填写数值（如 94.5），无数据请填“/”。", crate::text::printable(obs.raw.trim(), 40)),
            )));
            Some(obs)
        }
        CellValue::Number { value, unit, qualifier } => {
            let from = if unit.is_empty() { written_unit.to_string() } else { unit };
            let v = match value::convert(value, &from, &ind.unit) {
                Some((v, true)) => {
                    if !from.is_empty() && from != ind.unit && value::normalize_unit(&from) != value::normalize_unit(&ind.unit) {
                        findings.push(finding(Finding::info(
                            Code::UnitConverted,
                            format!("填报单位为“{}”，已按指标单位换算为 {} {}。", from, fmt_num(v, 4), ind.unit),
                        )));
                    }
                    v
                }
                Some((v, false)) => {
                    findings.push(finding(Finding::warning(
                        Code::UnitMismatch,
                        format!(
                            "计量单位写为“{}”，指标单位为“{}”，数值按 {} {} 采用，请核实口径。",
                            from,
                            ind.unit,
                            fmt_num(v, 4),
                            ind.unit
                        ),
                    )));
                    v
                }
                None => {
                    findings.push(finding(Finding::error(
                        Code::UnitMismatch,
                        format!("计量单位写为“{}”，与指标单位“{}”不符，无法换算，未采用。请按“{}”填报。", from, ind.unit, ind.unit),
                    )));
                    return Some(obs);
                }
            };
            if !qualifier.is_empty() {
                findings.push(finding(Finding::warning(
                    Code::Approximate,
                    format!("“{}”带有“{}”，按 {} 读取。请填写确切数值。", obs.raw.trim(), qualifier, fmt_num(v, 4)),
                )));
            }
            obs.value = Some(v);
            Some(obs)
        }
    }
}

/// A dense view of the sheet with absolute cell addresses.
struct Grid<'a> {
    range: &'a Range<Data>,
    row0: u32,
    col0: u32,
}

impl<'a> Grid<'a> {
    fn new(range: &'a Range<Data>) -> Grid<'a> {
        let (row0, col0) = range.start().unwrap_or((0, 0));
        Grid { range, row0, col0 }
    }

    /// Whether the cell is text containing `needle` (a cheap test before normalising).
    fn string_contains(&self, r: usize, c: usize, needle: &str) -> bool {
        matches!(self.get(r, c), Data::String(s) if s.contains(needle))
    }

    fn height(&self) -> usize {
        self.range.height()
    }

    fn width(&self) -> usize {
        self.range.width()
    }

    fn get(&self, r: usize, c: usize) -> &Data {
        self.range.get((r, c)).unwrap_or(&Data::Empty)
    }

    fn text(&self, r: usize, c: usize) -> String {
        match self.get(r, c) {
            Data::String(s) => s.clone(),
            Data::Float(f) => fmt_num(*f, 10),
            Data::Int(i) => i.to_string(),
            Data::Bool(b) => b.to_string(),
            Data::Empty => String::new(),
            Data::Error(e) => e.to_string(),
            other => other.to_string(),
        }
    }

    /// `text`, borrowed when the cell already holds text (most name cells).
    fn text_ref(&self, r: usize, c: usize) -> std::borrow::Cow<'a, str> {
        match self.range.get((r, c)) {
            Some(Data::String(s)) => std::borrow::Cow::Borrowed(s.as_str()),
            _ => std::borrow::Cow::Owned(self.text(r, c)),
        }
    }

    /// `E7` style address of a cell, absolute in the sheet.
    fn addr(&self, r: usize, c: usize) -> String {
        format!("{}{}", column_name(self.col0 + c as u32), self.row0 + r as u32 + 1)
    }
}

pub fn column_name(mut col: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

struct Header {
    first_row: usize,
    last_row: usize,
    roles: Vec<Role>,
}

impl Header {
    fn col(&self, role: &Role) -> Option<usize> {
        self.roles.iter().position(|r| r == role)
    }
}

/// Find the header: one row, or two rows where a merged year sits over 目标 / 实际完成.
fn find_header(grid: &Grid) -> Option<Header> {
    let rows = grid.height().min(HEADER_SCAN_ROWS);
    for r in 0..rows {
        // Every name column's header (指标, 指标名称 …) has 指 and 标 in it: a row without
        // them is no header, and is not looked at further (most rows are figures).
        if !(0..grid.width()).any(|c| matches!(grid.get(r, c), Data::String(s) if s.contains('指') && s.contains('标'))) {
            continue;
        }
        // Header words are text: numbers and empty cells are not looked at.
        let roles: Vec<Role> = (0..grid.width())
            .map(|c| match grid.get(r, c) {
                Data::String(s) => classify(s),
                // A year typed as a number over a column of a wide table.
                Data::Float(_) | Data::Int(_) => match number_year(grid.get(r, c)) {
                    Some(y) => classify(&y.to_string()),
                    None => Role::Other,
                },
                _ => Role::Other,
            })
            .collect();
        // Sub-headers below (目标 / 实际完成 under a merged 2024年) make it a two-row header.
        if is_header(&roles) && !(r + 1 < grid.height() && is_sub_header_row(grid, r + 1)) {
            return Some(Header { first_row: r, last_row: r, roles });
        }
        if r + 1 < grid.height() && roles.contains(&Role::Name) {
            // Two-row header: carry a merged top cell to the right over its sub-headers.
            let mut carried = String::new();
            let combined: Vec<Role> = (0..grid.width())
                .map(|c| {
                    let top = grid.text(r, c);
                    let bottom = grid.text(r + 1, c);
                    if !top.trim().is_empty() {
                        carried = top.clone();
                    }
                    if bottom.trim().is_empty() {
                        classify(&top)
                    } else {
                        let above = if top.trim().is_empty() { carried.clone() } else { top };
                        classify(&format!("{above}{bottom}"))
                    }
                })
                .collect();
            if is_header(&combined) {
                return Some(Header { first_row: r, last_row: r + 1, roles: combined });
            }
        }
    }
    None
}

/// A row of short header words (目标 / 实际完成 / 上年值) with no figures in it.
fn is_sub_header_row(grid: &Grid, r: usize) -> bool {
    let cells: Vec<&Data> = (0..grid.width()).map(|c| grid.get(r, c)).filter(|d| !matches!(d, Data::Empty)).collect();
    let short_text = cells.iter().all(|d| matches!(d, Data::String(s) if s.trim().chars().count() <= 8));
    short_text && (0..grid.width()).any(|c| matches!(classify(&grid.text(r, c)), Role::Target | Role::Value(_) | Role::Previous))
}

fn is_header(roles: &[Role]) -> bool {
    roles.contains(&Role::Name) && roles.iter().any(|r| matches!(r, Role::Value(_)))
}

/// Classify a header cell by its words.
fn classify(text: &str) -> Role {
    // Header cells are short; titles and instructions are not headers.
    if text.is_empty() || text.len() > 60 {
        return Role::Other;
    }
    let t = normalize_name(text);
    let t = t.as_str();
    if t.is_empty() {
        return Role::Other;
    }
    let years = years_in(t);
    let year = years.first().copied();
    let bare = strip_years(t, &years);
    let bare = bare.as_str();
    match bare {
        "序号" | "序" => return Role::Seq,
        "指标编号" | "编号" | "指标代码" | "代码" | "指标id" | "id" => return Role::Id,
        "指标" | "指标名称" | "指标项目" | "指标名" | "主要指标" | "具体指标" | "指标内容" => return Role::Name,
        "单位" | "计量单位" | "指标单位" => return Role::Unit,
        "备注" | "说明" | "备注说明" | "情况说明" => return Role::Remark,
        _ => {}
    }
    if bare.contains("目标") || bare.contains("规划值") {
        return Role::Target;
    }
    if bare.starts_with("上年") || bare.contains("基期") {
        return Role::Previous;
    }
    const VALUE_WORDS: &[&str] =
        &["完成值", "实际值", "完成情况", "本年完成", "实际完成", "本年值", "完成数", "实绩", "完成", "实际", "数值", "填报值"];
    if VALUE_WORDS.iter().any(|w| bare == *w || bare.ends_with(w)) {
        return Role::Value(year);
    }
    if year.is_some() && (bare.is_empty() || bare == "年度") {
        return Role::Value(year);
    }
    Role::Other
}

/// The 填报日期 of the return: a date cell, or text like 2026年1月10日 / 2026-01-10.
fn find_filled_date(grid: &Grid) -> Option<String> {
    for r in 0..grid.height().min(300) {
        for c in 0..grid.width().min(30) {
            if !grid.string_contains(r, c, "日期") {
                continue;
            }
            let t = normalize_name(&grid.text(r, c));
            let Some(rest) = t.strip_prefix("填报日期").or_else(|| t.strip_prefix("报送日期")) else {
                continue;
            };
            let rest = rest.trim_start_matches([':', '：']);
            if let Some(d) = parse_date_text(rest) {
                return Some(d);
            }
            for cc in c + 1..grid.width().min(c + 6) {
                match grid.get(r, cc) {
                    Data::DateTime(dt) if dt.is_datetime() => {
                        let (y, m, d, ..) = dt.to_ymd_hms_milli();
                        return Some(format!("{y:04}-{m:02}-{d:02}"));
                    }
                    Data::DateTimeIso(s) => return parse_date_text(s),
                    Data::Empty => continue,
                    _ => {
                        if let Some(d) = parse_date_text(&grid.text(r, cc)) {
                            return Some(d);
                        }
                    }
                }
            }
        }
    }
    None
}

/// 2026年1月10日, 2026-01-10, 2026/1/10, 2026.1.10 → 2026-01-10.
pub fn parse_date_text(text: &str) -> Option<String> {
    let t = fold_width(text);
    let nums: Vec<u32> = t.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).take(3).filter_map(|s| s.parse().ok()).collect();
    match nums[..] {
        [y, m, d] if (2000..2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d) => Some(format!("{y:04}-{m:02}-{d:02}")),
        _ => None,
    }
}

/// A number cell holding a year (2025, not 2025.5): a year column's header in a wide table.
fn number_year(d: &Data) -> Option<i32> {
    let v = match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        _ => return None,
    };
    (v.fract() == 0.0 && (2000.0..2100.0).contains(&v)).then_some(v as i32)
}

/// Four-digit years 2000–2099 followed by 年 (or nothing, or punctuation) in a text.
fn years_in(text: &str) -> Vec<i32> {
    if !text.chars().any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c)) {
        return Vec::new();
    }
    let t = fold_width(text);
    let chars: Vec<char> = t.chars().collect();
    let mut out = Vec::new();
    for i in 0..chars.len().saturating_sub(3) {
        let w = &chars[i..i + 4];
        let before_ok = i == 0 || !chars[i - 1].is_ascii_digit();
        let after = chars.get(i + 4).copied();
        if before_ok && w.iter().all(|c| c.is_ascii_digit()) && after.is_none_or(|c| !c.is_ascii_digit()) {
            let y = w.iter().fold(0i32, |y, c| y * 10 + (*c as i32 - '0' as i32));
            if (2000..2100).contains(&y)
                && matches!(after, Some('年') | None | Some('_') | Some('-') | Some('.') | Some(' ') | Some(')') | Some('（') | Some('('))
            {
                out.push(y);
            }
        }
    }
    out
}

fn strip_years(t: &str, years: &[i32]) -> String {
    let mut s = t.to_string();
    for y in years {
        s = s.replace(&format!("{y}年度"), "").replace(&format!("{y}年"), "").replace(&y.to_string(), "");
    }
    s.trim_matches(|c: char| c == '(' || c == ')').to_string()
}

/// The unit sending the return: a 填报单位 cell, else the file name, else the sheet name.
/// Returns the unit and the cell it was found in (empty if not from a cell).
fn find_department(plan: &Plan, grid: &Grid, file: &str, sheet: &str, findings: &mut Vec<Finding>) -> (String, String) {
    let file_unit = plan.find_unit_in(file.rsplit('/').next().unwrap_or(file)).map(|u| u.name.clone());
    for r in 0..grid.height().min(200) {
        for c in 0..grid.width().min(30) {
            if !grid.string_contains(r, c, "单位") {
                continue;
            }
            let text = grid.text(r, c);
            let t = fold_width(text.trim());
            let Some(rest) = t.strip_prefix("填报单位").or_else(|| t.strip_prefix("报送单位")).or_else(|| t.strip_prefix("单位名称"))
            else {
                continue;
            };
            let rest = rest.trim_start_matches([':', '：', ' ']).trim();
            let (written, cell) = if rest.is_empty() {
                // The name sits in the next non-empty cell to the right.
                match (c + 1..grid.width()).map(|cc| (cc, grid.text(r, cc))).find(|(_, s)| !s.trim().is_empty()) {
                    Some((cc, s)) => (s, grid.addr(r, cc)),
                    None => continue,
                }
            } else {
                (rest.to_string(), grid.addr(r, c))
            };
            // A stamp-like cell "（盖章）" after the name is not part of it.
            let written = written.replace("（盖章）", "").replace("(盖章)", "");
            match plan.resolve_unit(&written).or_else(|| plan.find_unit_in(&written)) {
                Some(u) => {
                    if let Some(fu) = &file_unit {
                        if fu != &u.name {
                            findings.push(
                                Finding::warning(
                                    Code::UnitNameMismatch,
                                    format!("表内填报单位为“{}”，文件名中的单位为“{}”，按表内“{}”处理。请核实。", u.name, fu, u.name),
                                )
                                .at(sheet, &cell)
                                .for_unit(&u.name),
                            );
                        }
                    }
                    return (u.name.clone(), cell);
                }
                None => {
                    findings.push(
                        Finding::error(
                            Code::UnitNotRegistered,
                            format!(
                                "填报单位“{}”不在责任单位名单中。请填写规范的单位名称（如“市卫生健康局”）。",
                                crate::text::printable(written.trim(), 40)
                            ),
                        )
                        .at(sheet, &cell),
                    );
                    return (String::new(), cell);
                }
            }
        }
    }
    if let Some(u) = file_unit {
        return (u, String::new());
    }
    if let Some(u) = plan.find_unit_in(sheet) {
        return (u.name.clone(), String::new());
    }
    (String::new(), String::new())
}

/// The reporting year: a 填报年度 cell above the header, else a title with “××××年度”,
/// else a year in the file name (“××××年度” first, then a lone four-digit year).
fn find_year(grid: &Grid, file: &str, header_row: usize) -> Option<i32> {
    let rows = header_row.min(HEADER_SCAN_ROWS);
    let cols = grid.width().min(30);
    for r in 0..rows {
        for c in 0..cols {
            if !grid.string_contains(r, c, "年度") {
                continue;
            }
            let t = normalize_name(&grid.text(r, c));
            let Some(rest) = t.strip_prefix("填报年度").or_else(|| t.strip_prefix("报告年度")) else {
                continue;
            };
            let rest = rest.trim_start_matches([':', '：']);
            let here = leading_year(rest);
            let next =
                || (c + 1..grid.width()).map(|cc| normalize_name(&grid.text(r, cc))).find(|s| !s.is_empty()).and_then(|s| leading_year(&s));
            if let Some(y) = here.or_else(next) {
                return Some(y);
            }
        }
    }
    for r in 0..rows {
        for c in 0..cols {
            if !grid.string_contains(r, c, "年度") {
                continue;
            }
            if let Some(y) = year_before(&grid.text(r, c), "年度") {
                return Some(y);
            }
        }
    }
    let name = file.rsplit('/').next().unwrap_or(file);
    year_before(name, "年度").or_else(|| {
        // 2024_卫健局.xlsx, 卫健局-2024.xlsx: a lone four-digit year.
        let digits: Vec<char> = name.chars().collect();
        (0..digits.len().saturating_sub(3)).find_map(|i| {
            let w: String = digits[i..i + 4].iter().collect();
            let ok = (i == 0 || !digits[i - 1].is_ascii_digit()) && digits.get(i + 4).is_none_or(|c| !c.is_ascii_digit());
            w.parse::<i32>().ok().filter(|y| ok && (2000..2100).contains(y))
        })
    })
}

/// A year at the start of a text: “2024”, “2024年”, “2024年度”.
fn leading_year(text: &str) -> Option<i32> {
    let t = fold_width(text);
    let head: String = t.chars().take(4).collect();
    let next = t.chars().nth(4);
    head.parse::<i32>().ok().filter(|y| (2000..2100).contains(y) && next.is_none_or(|c| !c.is_ascii_digit()))
}

/// The four-digit year written right before `suffix` (e.g. “（2024年度）”).
fn year_before(text: &str, suffix: &str) -> Option<i32> {
    let t = fold_width(text);
    let mut from = 0;
    while let Some(pos) = t[from..].find(suffix) {
        let at = from + pos;
        let before: Vec<char> = t[..at].chars().collect();
        if before.len() >= 4 {
            let w: String = before[before.len() - 4..].iter().collect();
            let clean = before.len() == 4 || !before[before.len() - 5].is_ascii_digit();
            if let Ok(y) = w.parse::<i32>() {
                if clean && (2000..2100).contains(&y) {
                    return Some(y);
                }
            }
        }
        from = at + suffix.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_words() {
        assert_eq!(classify("指标名称"), Role::Name);
        assert_eq!(classify("指标项目"), Role::Name);
        assert_eq!(classify("计量单位"), Role::Unit);
        assert_eq!(classify("2025年目标值"), Role::Target);
        assert_eq!(classify("上年值"), Role::Previous);
        assert_eq!(classify("2024年完成值"), Role::Value(Some(2024)));
        assert_eq!(classify("2024年"), Role::Value(Some(2024)));
        assert_eq!(classify("本年完成"), Role::Value(None));
        assert_eq!(classify("完成情况"), Role::Value(None));
        assert_eq!(classify("实际值"), Role::Value(None));
        assert_eq!(classify("备注"), Role::Remark);
        assert_eq!(classify("数据来源"), Role::Other);
    }

    /// The header search skips rows without 指 and 标 and reads numbers as years only
    /// when they are whole: a spaced-out 指 标 名 称 and a wide table with 2024, 2025
    /// typed as numbers are still found.
    #[test]
    fn header_rows_found() {
        let cell = |r: u32, c: u32, d: Data| calamine::Cell::new((r, c), d);
        let range = Range::from_sparse(vec![
            cell(0, 0, Data::String("仁怀市 2025 年度填报表".into())),
            cell(1, 0, Data::String("1".into())),
            cell(1, 1, Data::Float(2024.5)),
            cell(2, 0, Data::String("序号".into())),
            cell(2, 1, Data::String("指 标 名 称".into())),
            cell(2, 2, Data::Float(2024.0)),
            cell(2, 3, Data::Int(2025)),
            cell(2, 4, Data::Float(2025.5)),
            cell(3, 1, Data::String("学前教育毛入园率".into())),
            cell(3, 2, Data::Float(93.0)),
        ]);
        let header = find_header(&Grid::new(&range)).expect("header found");
        assert_eq!(header.first_row, 2);
        assert_eq!(header.roles, vec![Role::Seq, Role::Name, Role::Value(Some(2024)), Role::Value(Some(2025)), Role::Other]);
        assert_eq!(number_year(&Data::Float(2025.0)), Some(2025));
        assert_eq!(number_year(&Data::Float(2025.5)), None);
        assert_eq!(number_year(&Data::Int(1999)), None);
    }

    #[test]
    fn column_names() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
    }

    #[test]
    fn years_in_text() {
        assert_eq!(years_in("市卫健局_2024年度填报表.xlsx"), vec![2024]);
        assert_eq!(years_in("（2023年度）"), vec![2023]);
        assert_eq!(years_in("12345年"), Vec::<i32>::new());
        assert_eq!(year_before("仁怀市公共服务发展行动方案(2023—2025年)指标填报表（2023年度）", "年度"), Some(2023));
        assert_eq!(year_before("市卫健局_2024年度填报表.xlsx", "年度"), Some(2024));
        assert_eq!(leading_year("2024年"), Some(2024));
        assert_eq!(leading_year("20245"), None);
    }
}
