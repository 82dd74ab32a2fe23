//! One worksheet → observations: find the header row(s), the columns, the unit sending
//! the return and the year, then read each indicator row.

use std::sync::Arc;

use calamine::{Data, Range};

use super::value::{self, CellValue};
use super::{Covered, NotUsed, ObsKind, Observation, Orientation, SheetLayout};
use crate::finding::{Code, Finding};
use crate::plan::{Indicator, Plan};
use crate::text::{fmt_num, fold_width, normalize_name};

/// What one sheet gave.
#[derive(Debug, Default)]
pub struct SheetRead {
    pub department: String,
    pub year: Option<i32>,
    /// 填报日期 as YYYY-MM-DD, when the return gives one, and the cell it is in.
    pub filled_date: Option<String>,
    pub filled_cell: Option<String>,
    /// Above the table the sheet says its figures are sample data (示例数据).
    pub sample: bool,
    /// Value cells that were empty: (absolute row, absolute column, index into
    /// `observations`), to check for formulas saved without a cached value.
    pub empty_cells: Vec<(u32, u32, usize)>,
    /// Figures read from number cells: (absolute row, column, index into
    /// `observations`). How the cell shows its number (a percent format, fewer decimals
    /// than stored) is applied to them (`apply_view`).
    pub numeric_cells: Vec<(u32, u32, usize)>,
    /// The return the template declares in its title, for the returns counted.
    declared: Option<Covered>,
    pub observations: Vec<Observation>,
    /// Figures read but not to be used (part of the year …).
    pub unused: Vec<super::Unused>,
    pub findings: Vec<Finding>,
    /// How the sheet was understood (orientation, where units came from, years, units).
    pub layout: SheetLayout,
    /// The returns (unit, year) the sheet holds.
    pub covers: Vec<Covered>,
}

/// The role of a column, from its header text.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Role {
    Seq,
    Id,
    Name,
    Unit,
    Target,
    /// 上年值: the year before the return's year.
    Previous,
    /// A value column; `Some(year)` when the header names the year.
    Value(Option<i32>),
    /// A value column for part of a year (`2025年1-6月`, `上半年完成`): read, not used.
    PartValue(Option<i32>),
    /// A column headed by a reporting unit's name: that unit's figures (a lead unit's
    /// table of its partners).
    UnitValue(String),
    /// 合计 / 全市: the whole of what the columns beside it divide (units, districts).
    Total,
    /// 备注 / 说明: kept with the figures of the row.
    Remark,
    /// 未完成原因及下一步措施: why a target was not met, kept with the row's figures.
    Reason,
    Other,
}

pub(super) const HEADER_SCAN_ROWS: usize = 30;

/// What the lines around a table say: who sends it, for which year, when, and (on a
/// line like `单位：%`) in what unit of measure.
pub(super) struct Context {
    pub department: String,
    /// The cell the unit was read from (empty when from the file or sheet name).
    pub dep_cell: String,
    pub year: Option<i32>,
    pub filled_date: Option<String>,
    /// The cell of the 填报日期.
    pub filled_cell: Option<String>,
    /// Above the table the sheet says its figures are sample data (示例数据).
    pub sample: bool,
    /// `单位：%` above the table: the unit, and the line as written.
    pub unit_line: Option<(String, String)>,
    /// The sheet covers part of a year (its title, its name or the file's name says
    /// so): the part as written, and where it was said.
    pub part: Option<(String, String)>,
}

impl Context {
    pub fn find(plan: &Plan, grid: &Grid, file: &str, sheet: &str, header_row: usize, findings: &mut Vec<Finding>) -> Context {
        let (department, dep_cell) = find_department(plan, grid, file, sheet, findings);
        Context {
            department,
            dep_cell,
            year: find_year(grid, file, sheet, header_row),
            filled_date: find_filled_date(grid).map(|(d, _)| d),
            filled_cell: find_filled_date(grid).map(|(_, c)| c),
            sample: says_sample(grid, header_row),
            unit_line: find_unit_line(plan, grid, header_row),
            part: find_part_of_year(grid, file, sheet, header_row),
        }
    }

    /// The finding for a sheet, column or row covering part of `year` (the sheet's year
    /// when the part does not name its own).
    pub fn part_year(&self, part: &str, year: Option<i32>, what: &str, sheet: &str, cell: &str) -> Finding {
        let year = year.or(self.year).map(|y| format!("{y}年度")).unwrap_or_else(|| "全年".into());
        Finding::warning(
            Code::PartYear,
            format!(
                "{what}是部分月份（{}）的数据，不是全年数据，未作为{year}的数据采用（数据保留在数据明细中）。年度数据请填报全年（1—12月）的数值，用年度填报表报送。",
                crate::text::printable(part, 30)
            ),
        )
        .at(sheet, cell)
        .for_unit(&self.department)
    }

    /// A sheet read this way, with nothing in it yet.
    pub fn start(&self, sheet: &str, orientation: Orientation) -> SheetRead {
        SheetRead {
            department: self.department.clone(),
            year: self.year,
            filled_date: self.filled_date.clone(),
            filled_cell: self.filled_cell.clone(),
            sample: self.sample,
            layout: SheetLayout { sheet: sheet.to_string(), orientation, ..Default::default() },
            ..Default::default()
        }
    }

    pub fn year_unknown(&self, sheet: &str) -> Finding {
        Finding::error(
            Code::YearUnknown,
            "无法确定填报年度：表头、标题和文件名中都没有写年份。请在标题中写明“××××年度”，或在文件名中写明年份。",
        )
        .at(sheet, "")
        .for_unit(&self.department)
    }

    pub fn unit_unknown(&self, sheet: &str) -> Finding {
        Finding::error(
            Code::UnitUnknown,
            "无法确定填报单位：表中没有“填报单位”，文件名和工作表名中也没有可识别的单位名称。请在表头填写“填报单位：××局”。",
        )
        .at(sheet, &self.dep_cell)
        .for_unit("")
    }
}

/// The unit of measure a figure is written in, and where that was said.
#[derive(Debug, Clone, Default)]
pub(super) struct WrittenUnit {
    pub text: String,
    /// Where the unit was read (for `check`); empty when no unit was written.
    pub source: String,
}

impl WrittenUnit {
    pub fn new(text: &str, source: String) -> WrittenUnit {
        WrittenUnit { text: text.trim().to_string(), source }
    }
}

/// Read a 竖表: one indicator per row.
pub(super) fn read_rows(plan: &Plan, file: &str, sheet: &str, grid: &Grid, header: &Header) -> SheetRead {
    let mut findings = Vec::new();
    let cx = Context::find(plan, grid, file, sheet, header.first_row, &mut findings);
    let mut out = cx.start(sheet, Orientation::IndicatorRows);
    out.findings = findings;
    let (department, year) = (cx.department.clone(), cx.year);

    // Shared by every figure of the sheet.
    let (file_text, sheet_text, department_text): (Arc<str>, Arc<str>, Arc<str>) = (file.into(), sheet.into(), department.as_str().into());
    let name_col = header.col(&Role::Name).unwrap_or(0);
    let id_col = header.col(&Role::Id);
    let seq_col = header.col(&Role::Seq);
    let unit_col = header.col(&Role::Unit);
    // The value columns: 本年完成 …, or a 合计 / 全市 column (the whole, beside its parts).
    let mut value_cols: Vec<(usize, Option<i32>)> =
        header.roles.iter().enumerate().filter_map(|(c, r)| if let Role::Value(y) = r { Some((c, *y)) } else { None }).collect();
    let totals: Vec<usize> = header.roles.iter().enumerate().filter(|(_, r)| **r == Role::Total).map(|(c, _)| c).collect();
    if value_cols.is_empty() {
        value_cols.extend(totals.iter().map(|&c| (c, None)));
    }
    let part_cols: Vec<(usize, Option<i32>)> =
        header.roles.iter().enumerate().filter_map(|(c, r)| if let Role::PartValue(y) = r { Some((c, *y)) } else { None }).collect();
    for &(c, _) in &part_cols {
        let head = grid.text(header.last_row, c);
        let head = if head.trim().is_empty() { grid.text(header.first_row, c) } else { head };
        let part = super::period::part_of_year(&head).unwrap_or_default();
        let year = part_cols.iter().find(|(pc, _)| *pc == c).and_then(|(_, y)| *y);
        out.findings.push(cx.part_year(
            &part,
            year,
            &format!("“{}”这一列", crate::text::printable(head.trim(), 30)),
            sheet,
            &grid.addr(header.first_row, c),
        ));
    }
    for &(c, _) in &value_cols {
        let head = header_text(grid, header, c);
        if value::is_provisional(&head) {
            out.findings.push(
                Finding::warning(
                    Code::Approximate,
                    format!(
                        "“{}”这一列是预计数，按预计数读取并在报告中注明。年度数据请填报实际完成数。",
                        crate::text::printable(head.trim(), 30)
                    ),
                )
                .at(sheet, &grid.addr(header.first_row, c))
                .for_unit(&cx.department),
            );
        }
    }
    let previous_col = header.col(&Role::Previous);
    let remark_col = header.col(&Role::Remark);
    let reason_col = header.col(&Role::Reason);
    // Columns headed by reporting units: each unit's figures, for the sheet's year.
    let unit_cols: Vec<(usize, Arc<str>)> = header
        .roles
        .iter()
        .enumerate()
        .filter_map(|(c, r)| if let Role::UnitValue(u) = r { Some((c, Arc::from(u.as_str()))) } else { None })
        .collect();
    // A unit in a column's header: 完成值（%）.
    let column_unit = |c: usize| -> Option<WrittenUnit> {
        let (text, unit) = header.units.get(c)?.as_ref()?;
        unit_like(plan, unit).then(|| WrittenUnit::new(unit, format!("表头“{}”", crate::text::printable(text.trim(), 30))))
    };
    let declared_year_used = value_cols.iter().any(|(_, y)| y.is_none());

    if (declared_year_used || !unit_cols.is_empty()) && year.is_none() {
        out.findings.push(cx.year_unknown(sheet));
    }
    if department.is_empty() && (!value_cols.is_empty() || unit_cols.is_empty()) {
        out.findings.push(cx.unit_unknown(sheet));
    }

    for r in header.last_row + 1..header.end_row {
        let name_text = grid.text_ref(r, name_col);
        let id_text = id_col.map(|c| grid.text_ref(r, c)).unwrap_or_default();
        let seq_text = seq_col.map(|c| grid.text_ref(r, c)).unwrap_or_default();
        if name_text.trim().is_empty() && id_text.trim().is_empty() && seq_text.trim().is_empty() {
            continue;
        }
        // A template's example row (序号 “示例”, 名称 “（示例）…”) and 小计/合计 rows are no
        // indicators' figures — unless the name is an indicator's own.
        if [&seq_text, &id_text, &name_text].iter().any(|t| is_example(t))
            || is_total(&name_text) && plan.match_indicator("", "", &name_text).is_none()
        {
            continue;
        }
        let ind = match plan.match_row(&id_text, &seq_text, &name_text) {
            crate::plan::RowMatch::One(ind) => Some(ind),
            crate::plan::RowMatch::ByName { by_name, by_id } => {
                let cell = grid.addr(r, id_col.unwrap_or(name_col));
                out.findings.push(
                    Finding::warning(
                        Code::IdNameDisagree,
                        format!(
                            "这一行的指标编号“{}”是“{}”，但指标名称“{}”是 {}“{}”：按名称采用为 {}。可能用了旧版填报表，请按新的指标表核对编号。",
                            crate::text::printable(id_text.trim(), 20),
                            by_id.name,
                            crate::text::printable(name_text.trim(), 60),
                            by_name.id,
                            by_name.name,
                            by_name.id
                        ),
                    )
                    .at(sheet, &cell)
                    .for_unit(&department)
                    .for_indicator(&by_name.id),
                );
                Some(by_name)
            }
            crate::plan::RowMatch::Unclear { by_id, by_name } => {
                out.findings.push(
                    Finding::error(
                        Code::IdNameDisagree,
                        format!(
                            "这一行的指标编号“{}”是“{}”，而指标名称“{}”更像 {}“{}”，无法确定是哪个指标，该行数据未采用。请按指标表核对编号和名称后重新报送。",
                            crate::text::printable(id_text.trim(), 20),
                            by_id.name,
                            crate::text::printable(name_text.trim(), 60),
                            by_name.id,
                            by_name.name
                        ),
                    )
                    .at(sheet, &grid.addr(r, name_col))
                    .for_unit(&department),
                );
                continue;
            }
            crate::plan::RowMatch::None => None,
        };
        let Some(ind) = ind else {
            // Only a row with a figure in it is worth a finding (not a note or a footer).
            let has_value = value_cols
                .iter()
                .chain(&part_cols)
                .map(|(c, _)| *c)
                .chain(unit_cols.iter().map(|(c, _)| *c))
                .any(|c| !matches!(value::parse(&grid.text(r, c)), CellValue::NoFigure));
            if has_value && !is_footer(&name_text) {
                out.findings.push(
                    unknown_indicator(plan, &name_text, Orientation::IndicatorRows)
                        .at(sheet, &grid.addr(r, name_col))
                        .for_unit(&department),
                );
            }
            continue;
        };
        // The unit of the row: its 计量单位 cell, else a unit in brackets after the name,
        // else the value column's header, else a 单位：line above the table.
        let row_unit = unit_col
            .map(|c| grid.text(r, c))
            .filter(|u| !u.trim().is_empty())
            .map(|u| WrittenUnit::new(&u, "计量单位列".into()))
            .or_else(|| name_unit(plan, ind, &name_text).map(|u| WrittenUnit::new(&u, "指标名称后的括号".into())));
        let unit_for = |c: usize| row_unit.clone().or_else(|| column_unit(c)).or_else(|| cx.line_unit()).unwrap_or_default();
        let remark = remark_col.map(|c| grid.text(r, c).trim().to_string()).unwrap_or_default();
        let reason = reason_col.map(|c| grid.text(r, c).trim().to_string()).unwrap_or_default();
        let origin = Origin { file: &file_text, sheet: &sheet_text, department: &department_text, return_year: year };
        // This row's figures, to add the remark to.
        // (observation, column) of this row's figures.
        let mut taken: Vec<(usize, usize)> = Vec::new();
        for &(c, col_year) in &value_cols {
            let Some(y) = col_year.or(year) else { continue };
            if let Some(o) = observe(grid, r, c, ind, &unit_for(c), y, ObsKind::Current, &origin, &mut out) {
                taken.push((out.push(grid, r, c, o), c));
            }
        }
        if let (Some(c), Some(y)) = (previous_col, year) {
            if let Some(o) = observe(grid, r, c, ind, &unit_for(c), y - 1, ObsKind::Previous, &origin, &mut out) {
                taken.push((out.push(grid, r, c, o), c));
            }
        }
        for (i, c) in taken {
            let o = &mut out.observations[i];
            o.remark.clone_from(&remark);
            o.reason.clone_from(&reason);
            if let Some(c) = reason_col {
                o.reason_cell = grid.addr(r, c);
            }
            // A column headed as an estimate (2024年全年（预计）): its figures are provisional.
            if !o.provisional && o.value.is_some() && value::is_provisional(&header_text(grid, header, c)) {
                o.provisional = true;
            }
            // A restated figure the unit marks as a correction (in its column's header or
            // the row's remark) replaces the year's own figure.
            o.correction = o.restated() && (says_correction(&remark) || says_correction(&header_text(grid, header, c)));
        }
        if let Some(y) = year {
            for (c, unit) in &unit_cols {
                let origin = Origin { file: &file_text, sheet: &sheet_text, department: unit, return_year: year };
                if let Some(mut o) = observe(grid, r, *c, ind, &unit_for(*c), y, ObsKind::Current, &origin, &mut out) {
                    o.remark.clone_from(&remark);
                    // Beside a 合计, a unit's column is its share of the total, not its figure.
                    if totals.is_empty() {
                        out.push(grid, r, *c, o);
                    } else {
                        out.unused.push(super::Unused { observation: o, because: NotUsed::PartOfTotal });
                    }
                }
            }
        }
        for &(c, col_year) in &part_cols {
            let Some(y) = col_year.or(year) else { continue };
            if let Some(mut o) = observe(grid, r, c, ind, &unit_for(c), y, ObsKind::Current, &origin, &mut out) {
                o.remark.clone_from(&remark);
                out.unused.push(super::Unused { observation: o, because: NotUsed::PartYear });
            }
        }
    }
    // A template sent back for the year in its title is a return even if left blank.
    let declared = match (declared_year_used, year) {
        (true, Some(y)) if !department.is_empty() && cx.part.is_none() => Some(Covered { department, year: y, secondary: false }),
        _ => None,
    };
    out.set_part_year(&cx, sheet);
    out.finish(declared);
    out
}

impl Context {
    /// The unit on a `单位：` line above the table, as a written unit.
    pub fn line_unit(&self) -> Option<WrittenUnit> {
        self.unit_line.as_ref().map(|(unit, line)| WrittenUnit::new(unit, format!("表格上方“{}”", crate::text::printable(line.trim(), 30))))
    }
}

impl SheetRead {
    /// Keep a figure read from cell (r, c), noting an empty cell (a formula saved without
    /// its value?) and a fraction in a percentage indicator (shown as 94.5%?) to look at
    /// again. Returns its index.
    pub(super) fn push(&mut self, grid: &Grid, r: usize, c: usize, o: Observation) -> usize {
        let i = self.observations.len();
        let at = (grid.row0 + r as u32, grid.col0 + c as u32);
        if o.kind == ObsKind::Current && matches!(grid.get(r, c), Data::Empty) {
            self.empty_cells.push((at.0, at.1, i));
        }
        if o.value.is_some() && matches!(grid.get(r, c), Data::Float(_) | Data::Int(_)) {
            self.numeric_cells.push((at.0, at.1, i));
        }
        self.observations.push(o);
        i
    }

    /// Another table of the same sheet, after this one.
    pub(super) fn absorb(&mut self, more: SheetRead) {
        let offset = self.observations.len();
        self.empty_cells.extend(more.empty_cells.into_iter().map(|(r, c, i)| (r, c, i + offset)));
        self.numeric_cells.extend(more.numeric_cells.into_iter().map(|(r, c, i)| (r, c, i + offset)));
        self.observations.extend(more.observations);
        self.unused.extend(more.unused);
        // The sheet's own lines (填报单位, 年度) are read again per table: said once.
        for f in more.findings {
            if !self.findings.iter().any(|x| x.code == f.code && x.cell == f.cell && x.message == f.message) {
                self.findings.push(f);
            }
        }
        for c in more.covers {
            match self.covers.iter_mut().find(|x| x.department == c.department && x.year == c.year) {
                Some(x) => x.secondary &= c.secondary,
                None => self.covers.push(c),
            }
        }
        for u in more.layout.unit_sources {
            if !self.layout.unit_sources.contains(&u) {
                self.layout.unit_sources.push(u);
            }
        }
        for y in more.layout.years {
            if !self.layout.years.contains(&y) {
                self.layout.years.push(y);
            }
        }
        self.layout.years.sort_unstable();
        for u in more.layout.units {
            if !self.layout.units.contains(&u) {
                self.layout.units.push(u);
            }
        }
        if self.department.is_empty() {
            self.department = more.department;
        }
        self.year = self.year.or(more.year);
        if self.filled_date.is_none() {
            self.filled_date = more.filled_date;
            self.filled_cell = more.filled_cell;
        }
        self.sample |= more.sample;
    }

    /// What the sheet's presentation says about its figures (`shown`: None when it could
    /// not be read; `hidden_sheet`: the whole sheet is hidden):
    /// - a figure in a hidden sheet, row or column is set aside (never used);
    /// - a figure in a cell merged down across other indicators' rows is ambiguous and
    ///   refused;
    /// - a number shown as a percentage (0.635 shown as 63.5%) is read as shown for a
    ///   percentage indicator, and a number shown with fewer decimals than it holds is
    ///   read as shown (96.34567 shown as 96.3), each with a finding.
    pub(super) fn apply_view(&mut self, shown: Option<&super::formats::Presentation>, hidden_sheet: bool) {
        let sheet = self.layout.sheet.clone();
        let finding = |o: &Observation, f: Finding| f.at(&sheet, &o.cell).for_unit(&o.department).for_indicator(&o.indicator_id);
        // Numbers as the cells show them.
        for &(r, c, i) in &self.numeric_cells {
            let Some(format) = shown.and_then(|s| s.formats.get(&(r, c))) else { continue };
            let o = &mut self.observations[i];
            let (Some(value), Ok(stored)) = (o.value, o.raw.trim().parse::<f64>()) else { continue };
            let percent = format.percent && &*o.unit == "%";
            let display = if percent { stored * 100.0 } else { stored };
            let rounded = match format.decimals {
                Some(d) if d < 12 => {
                    let scale = 10f64.powi(i32::from(d));
                    (display * scale).round() / scale
                }
                _ => display,
            };
            let changed = (rounded - display).abs() > 1e-9 * display.abs().max(1.0);
            if percent {
                o.value = Some(rounded);
                let text = fmt_num(rounded, 6);
                self.findings.push(finding(
                    o,
                    Finding::info(Code::PercentFormat, format!("单元格设置为百分比格式（显示为 {text}%），按 {text} 读取。")),
                ));
            } else if changed && display != 0.0 {
                o.value = Some(value * rounded / display);
                self.findings.push(finding(
                    o,
                    Finding::info(
                        Code::ShownPrecision,
                        format!(
                            "单元格中存的是 {}，按单元格格式显示为 {}，按显示的数值读取。如应以存的数值为准，请把单元格格式改为显示全部小数位。",
                            fmt_num(stored, 10),
                            fmt_num(rounded, 6)
                        ),
                    ),
                ));
            }
        }
        // Hidden sheets, rows and columns: read, not used.
        let hidden = |o: &Observation| {
            hidden_sheet
                || cell_position(&o.cell)
                    .is_some_and(|(r, c)| shown.is_some_and(|s| s.hidden_rows.contains(&r) || s.hidden_cols.contains(&c)))
        };
        // A figure in a cell merged down over the rows of other indicators.
        let mut ambiguous: Vec<(String, String)> = Vec::new();
        for &((r0, c0), (r1, c1)) in shown.map(|s| s.merges.as_slice()).unwrap_or_default() {
            if r1 <= r0 {
                continue;
            }
            let inside = |o: &Observation| cell_position(&o.cell).is_some_and(|(r, c)| (r0..=r1).contains(&r) && (c0..=c1).contains(&c));
            let top = |o: &Observation| cell_position(&o.cell) == Some((r0, c0));
            let others: Vec<&str> = self.observations.iter().filter(|o| inside(o) && !top(o)).map(|o| &*o.indicator_name).collect();
            if let Some(o) = self.observations.iter().find(|o| top(o) && o.value.is_some()) {
                if others.iter().any(|n| *n != &*o.indicator_name) {
                    let range = format!("{}{}:{}{}", column_name(c0), r0 + 1, column_name(c1), r1 + 1);
                    let mut names: Vec<&str> = std::iter::once(&*o.indicator_name).chain(others.iter().copied()).collect();
                    names.dedup();
                    self.findings.push(finding(
                        o,
                        Finding::error(
                            Code::MergedAcrossRows,
                            format!(
                                "单元格 {range} 是合并单元格，跨了“{}”等 {} 个指标的行，无法确定“{}”属于哪个指标，未采用。请拆分单元格，每个指标填在自己的一格中。",
                                names.join("”“"),
                                names.len(),
                                crate::text::printable(o.raw.trim(), 30)
                            ),
                        ),
                    ));
                    ambiguous.push((o.cell.clone(), o.indicator_id.to_string()));
                }
            }
        }
        let mut hidden_cells = Vec::new();
        for o in std::mem::take(&mut self.observations) {
            let because = if hidden(&o) {
                if o.value.is_some() || !o.raw.trim().is_empty() {
                    hidden_cells.push(o.cell.clone());
                }
                Some(NotUsed::Hidden)
            } else if ambiguous.iter().any(|(cell, id)| *cell == o.cell && **id == *o.indicator_id) {
                Some(NotUsed::Ambiguous)
            } else {
                None
            };
            match because {
                Some(because) => self.unused.push(super::Unused { observation: o, because }),
                None => self.observations.push(o),
            }
        }
        if hidden_sheet {
            // What a hidden sheet says about itself (its year, its unit) is no problem of
            // the return: it is not used.
            self.findings.retain(|f| f.code == Code::HiddenSheet);
            self.layout.hidden = vec!["整个工作表".to_string()];
        }
        if !hidden_cells.is_empty() || hidden_sheet {
            let (what, listed) = if hidden_sheet {
                ("此工作表是隐藏的".to_string(), vec!["整个工作表".to_string()])
            } else {
                let shown_cells: Vec<&str> = hidden_cells.iter().take(8).map(String::as_str).collect();
                let more = if hidden_cells.len() > 8 { format!(" 等 {} 格", hidden_cells.len()) } else { String::new() };
                (format!("隐藏的行或列中有数据（{}{more}）", shown_cells.join("、")), hidden_cells.clone())
            };
            self.findings.push(
                Finding::warning(
                    if hidden_sheet { Code::HiddenSheet } else { Code::HiddenCells },
                    format!("{what}，这些数据未采用（列在数据明细中）。如应报送，请取消隐藏后重新报送；旧的草稿请删除。"),
                )
                .at(&sheet, "")
                .for_unit(&self.department),
            );
            self.layout.hidden = listed;
        }
        self.empty_cells.clear();
        self.numeric_cells.clear();
        let declared = self.declared.take();
        self.finish(declared);
    }

    /// A sheet for part of a year: every figure is set aside (not the year's return).
    pub(super) fn set_part_year(&mut self, cx: &Context, sheet: &str) {
        let Some((part, said)) = &cx.part else { return };
        if self.observations.iter().any(|o| o.value.is_some()) {
            self.findings.push(cx.part_year(part, None, &format!("这个工作表（{said}）"), sheet, ""));
        }
        self.unused.extend(self.observations.drain(..).map(|o| super::Unused { observation: o, because: NotUsed::PartYear }));
        self.empty_cells.clear();
        self.numeric_cells.clear();
    }

    /// The returns the sheet holds and its layout's years and units, from what was read:
    /// every (unit, year) with something written in a figure cell, and `declared`.
    pub(super) fn finish(&mut self, declared: Option<Covered>) {
        self.declared.clone_from(&declared);
        // In the order the sheet names them.
        let mut covers: Vec<Covered> = declared.into_iter().collect();
        for o in self.observations.iter().filter(|o| o.kind == ObsKind::Current && !o.raw.trim().is_empty() && !o.department.is_empty()) {
            match covers.iter_mut().find(|c| c.year == o.year && *c.department == *o.department) {
                Some(c) => c.secondary &= o.restated(),
                None => covers.push(Covered { department: o.department.to_string(), year: o.year, secondary: o.restated() }),
            }
        }
        let mut years: Vec<i32> = covers.iter().map(|c| c.year).collect();
        years.sort_unstable();
        years.dedup();
        let mut units: Vec<String> = Vec::new();
        for c in &covers {
            if !units.contains(&c.department) {
                units.push(c.department.clone());
            }
        }
        if self.layout.unit_sources.is_empty() && self.observations.iter().any(|o| o.value.is_some()) {
            self.layout.unit_sources.push(NO_UNIT_WRITTEN.into());
        }
        self.layout.years = years;
        self.layout.units = units;
        self.covers = covers;
        // The sheet's own unit and year when the 填报单位 line or the title gave none.
        if self.department.is_empty() && self.layout.units.len() == 1 {
            self.department = self.layout.units[0].clone();
        }
        if self.year.is_none() {
            self.year = self.layout.years.last().copied();
        }
    }
}

/// Said in a layout when the figures came without any unit of measure.
const NO_UNIT_WRITTEN: &str = "未写（按指标表的计量单位）";

/// The finding for a row (竖表) or column (横表) naming no indicator of the table.
pub(super) fn unknown_indicator(plan: &Plan, name: &str, orientation: Orientation) -> Finding {
    let hint = plan.nearest_indicator(name).map(|i| format!("最接近的指标是 {}“{}”，", i.id, i.name)).unwrap_or_default();
    let what = match orientation {
        Orientation::IndicatorRows => "行",
        Orientation::IndicatorColumns => "列",
    };
    Finding::warning(
        Code::UnknownIndicator,
        format!("指标“{}”不在指标表中，该{what}数据未采用。{}请按指标表的名称或编号填写。", crate::text::printable(name.trim(), 60), hint),
    )
}

/// A unit of measure in brackets after an indicator's name (`托位数（个）`), when the
/// brackets are not part of the name itself (`执业（助理）医师数`).
pub(super) fn name_unit(plan: &Plan, ind: &Indicator, written: &str) -> Option<String> {
    let n = normalize_name(written);
    if !n.ends_with(')') || std::iter::once(&ind.name).chain(&ind.aliases).any(|a| normalize_name(a) == n) {
        return None;
    }
    let inner = bracket_tail(&n)?;
    unit_like(plan, inner).then(|| inner.to_string())
}

/// The text inside a bracket closing a (normalised) text: `完成值(%)` → `%`,
/// `托位数(单位:个)` → `个`.
pub(super) fn bracket_tail(n: &str) -> Option<&str> {
    let body = n.strip_suffix(')')?;
    let open = body.rfind('(')?;
    let inner = &body[open + 1..];
    Some(["计量单位:", "单位:"].iter().find_map(|p| inner.strip_prefix(p)).unwrap_or(inner))
}

/// Whether a text is a unit of measure: a common one, or an indicator's (or 万 of it).
pub(super) fn unit_like(plan: &Plan, text: &str) -> bool {
    const COMMON: &[&str] = &[
        "%",
        "‰",
        "/10万",
        "个",
        "人",
        "人次",
        "万人次",
        "次",
        "万次",
        "元",
        "万元",
        "亿元",
        "张",
        "床",
        "所",
        "家",
        "套",
        "户",
        "岁",
        "年",
        "平方米",
        "万平方米",
        "公里",
        "名",
        "座",
        "处",
        "项",
        "间",
        "台",
        "辆",
        "小时",
        "天",
        "份",
        "册",
        "件",
        "场",
        "条",
        "亩",
    ];
    let u = value::normalize_unit(text);
    if u.is_empty() || u.chars().count() > 6 {
        return false;
    }
    COMMON.contains(&u.as_str())
        || plan.indicators.iter().any(|i| {
            let iu = value::normalize_unit(&i.unit);
            iu == u || u.strip_prefix('万') == Some(iu.as_str())
        })
}

/// Whether the sheet is a return for part of a year: a line above the table (the
/// title), the sheet's name or the file's name says 1—6月, 上半年, 前三季度 … Dates
/// (填报日期) are not looked at.
fn find_part_of_year(grid: &Grid, file: &str, sheet: &str, header_row: usize) -> Option<(String, String)> {
    for r in 0..header_row.min(HEADER_SCAN_ROWS) {
        for c in 0..grid.width().min(30) {
            let Data::String(text) = grid.get(r, c) else { continue };
            if text.contains("日期") || text.contains("截止日") {
                continue;
            }
            if let Some(part) = super::period::part_of_year(text) {
                return Some((part, format!("标题“{}”", crate::text::printable(text.trim(), 40))));
            }
        }
    }
    if let Some(part) = super::period::part_of_year(sheet) {
        return Some((part, format!("工作表名“{}”", crate::text::printable(sheet, 30))));
    }
    let name = file.rsplit('/').next().unwrap_or(file);
    super::period::part_of_year(name).map(|part| (part, format!("文件名“{}”", crate::text::printable(name, 60))))
}

/// Whether a line above the table says the figures are sample data (示例数据, 演示数据,
/// as `planmon sample` and other demonstration returns mark them).
fn says_sample(grid: &Grid, header_row: usize) -> bool {
    (0..header_row.min(HEADER_SCAN_ROWS))
        .any(|r| (0..grid.width().min(30)).any(|c| ["示例数据", "演示数据"].iter().any(|w| grid.string_contains(r, c, w))))
}

/// A line above the table giving the unit of measure of its figures: `单位：%`,
/// `计量单位：万元` (in one cell, or the unit in the next cell). A 单位： naming a
/// reporting unit is not one.
fn find_unit_line(plan: &Plan, grid: &Grid, header_row: usize) -> Option<(String, String)> {
    for r in 0..header_row.min(HEADER_SCAN_ROWS) {
        for c in 0..grid.width().min(30) {
            if !grid.string_contains(r, c, "单位") {
                continue;
            }
            let text = grid.text(r, c);
            // The line may share its cell with others: 填报单位：市卫健局　　单位：个.
            for part in text.split_whitespace() {
                let folded = fold_width(part);
                let Some(rest) = ["计量单位", "数据单位", "单位"].iter().find_map(|p| folded.strip_prefix(p)) else { continue };
                let Some(rest) = rest.strip_prefix([':', '：']) else { continue };
                let (unit, line) = if rest.is_empty() {
                    match (c + 1..grid.width().min(c + 4)).map(|cc| grid.text(r, cc)).find(|s| !s.trim().is_empty()) {
                        Some(s) => (normalize_name(&s), format!("{part}{}", s.trim())),
                        None => continue,
                    }
                } else {
                    (normalize_name(rest), part.to_string())
                };
                if unit_like(plan, &unit) {
                    return Some((unit, line));
                }
            }
        }
    }
    None
}

/// Words marking a figure as a correction of an earlier one.
fn says_correction(text: &str) -> bool {
    ["更正", "修正", "修订", "调整后", "更新后", "核定"].iter().any(|w| text.contains(w))
}

/// The header text over column `c` (both rows of a two-row header).
fn header_text(grid: &Grid, header: &Header, c: usize) -> String {
    (header.first_row..=header.last_row).map(|r| grid.text(r, c)).collect::<Vec<_>>().concat()
}

/// A template's example row: 示例, 例, 样例, （示例）, 例：….
pub(super) fn is_example(text: &str) -> bool {
    let n = normalize_name(text);
    let n = n.trim_start_matches(['(', '[']);
    ["示例", "样例", "范例", "举例", "例:", "例)"].iter().any(|w| n.starts_with(w)) || n == "例"
}

/// 小计, 合计, 总计 rows (and 合计 written with spaces).
pub(super) fn is_total(text: &str) -> bool {
    let n = normalize_name(text);
    ["小计", "合计", "总计", "累计合计", "总合计"].iter().any(|w| n.starts_with(w))
}

/// Sheets that explain how to fill the return, or show an example: never read as figures.
pub fn is_instructions(sheet: &str) -> bool {
    let n = normalize_name(sheet);
    ["填报说明", "填表说明", "使用说明", "示例", "样表", "范例", "例表", "填报要求", "指标解释"].iter().any(|w| n.contains(w))
        || n.starts_with("说明")
}

/// Rows at the foot of a return that are not indicators (填报人, 说明, 合计 …).
pub(super) fn is_footer(name: &str) -> bool {
    let n = normalize_name(name);
    ["填报人", "审核人", "联系电话", "填报日期", "说明", "备注", "合计", "注:", "注："].iter().any(|k| n.starts_with(k))
}

/// Where the figures of a sheet come from.
pub(super) struct Origin<'a> {
    pub file: &'a Arc<str>,
    pub sheet: &'a Arc<str>,
    pub department: &'a Arc<str>,
    /// The year of the return the sheet is (its title, 填报年度 or file name), when known.
    pub return_year: Option<i32>,
}

/// The figure in one cell, converted to the indicator's unit, with a finding for
/// anything doubtful (recorded in `out`, with where the unit came from).
#[allow(clippy::too_many_arguments)]
pub(super) fn observe(
    grid: &Grid,
    r: usize,
    c: usize,
    ind: &Indicator,
    written: &WrittenUnit,
    year: i32,
    kind: ObsKind,
    origin: &Origin,
    out: &mut SheetRead,
) -> Option<Observation> {
    let findings = &mut out.findings;
    let (sheet, department) = (&**origin.sheet, &**origin.department);
    let cell = grid.addr(r, c);
    let data = grid.get(r, c);
    let finding = |f: Finding| f.at(sheet, &cell).for_unit(department).for_indicator(&ind.id);
    let raw = grid.text(r, c);
    let parsed = match data {
        Data::Float(f) => CellValue::Number { value: *f, unit: String::new(), qualifier: String::new(), marker: String::new() },
        Data::Int(i) => CellValue::Number { value: *i as f64, unit: String::new(), qualifier: String::new(), marker: String::new() },
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
        reason: String::new(),
        reason_cell: String::new(),
        return_year: if kind == ObsKind::Previous { year + 1 } else { origin.return_year.unwrap_or(year).max(year) },
        provisional: false,
        correction: false,
        secondary: false,
        no_value: None,
    };
    match parsed {
        CellValue::NoFigure => {
            if kind == ObsKind::Current {
                obs.no_value = Some(NotUsed::NoFigure);
                return Some(obs);
            }
            None
        }
        CellValue::NotNumber => {
            findings.push(finding(Finding::error(
                Code::NotANumber,
                format!("“{}”不是数字，未采用。请填写数值（如 94.5），无数据请填“/”。", crate::text::printable(obs.raw.trim(), 40)),
            )));
            obs.no_value = Some(NotUsed::NotANumber);
            Some(obs)
        }
        CellValue::Number { value, unit, qualifier, marker } => {
            if !marker.is_empty() {
                findings.push(finding(Finding::info(
                    Code::NoteMarker,
                    format!(
                        "“{}”中的“{}”是注释或说明，不是数字的一部分，按 {} 读取。注释和说明请写在备注栏中，数值单元格中只填数字。",
                        crate::text::printable(obs.raw.trim(), 40),
                        crate::text::printable(&marker, 20),
                        fmt_num(value, 6)
                    ),
                )));
            }
            let (from, source) =
                if unit.is_empty() { (written.text.clone(), written.source.as_str()) } else { (unit, "数值单元格内") };
            if !source.is_empty() && !out.layout.unit_sources.iter().any(|s| s == source) {
                out.layout.unit_sources.push(source.to_string());
            }
            let v = match value::convert(value, &from, &ind.unit) {
                Some((v, true)) => {
                    if !from.is_empty() && from != ind.unit && value::normalize_unit(&from) != value::normalize_unit(&ind.unit) {
                        findings.push(finding(Finding::info(
                            Code::UnitConverted,
                            format!("计量单位写为“{}”，已按指标单位换算为 {} {}。", from, fmt_num(v, 4), ind.unit),
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
                    obs.no_value = Some(NotUsed::UnitMismatch);
                    return Some(obs);
                }
            };
            if !qualifier.is_empty() {
                obs.provisional = value::is_provisional(&qualifier);
                let what = if obs.provisional { "，在报告中注明为预计数" } else { "" };
                findings.push(finding(Finding::warning(
                    Code::Approximate,
                    format!(
                        "“{}”带有“{}”，按 {} 读取{what}。请填写确切数值。",
                        crate::text::printable(obs.raw.trim(), 40),
                        qualifier,
                        fmt_num(v, 4)
                    ),
                )));
            }
            obs.value = Some(v);
            Some(obs)
        }
    }
}

/// A dense view of the sheet with absolute cell addresses.
pub(super) struct Grid<'a> {
    range: &'a Range<Data>,
    pub row0: u32,
    pub col0: u32,
}

impl<'a> Grid<'a> {
    pub fn new(range: &'a Range<Data>) -> Grid<'a> {
        let (row0, col0) = range.start().unwrap_or((0, 0));
        Grid { range, row0, col0 }
    }

    /// Whether the cell is text containing `needle` (a cheap test before normalising).
    pub fn string_contains(&self, r: usize, c: usize, needle: &str) -> bool {
        matches!(self.get(r, c), Data::String(s) if s.contains(needle))
    }

    pub fn height(&self) -> usize {
        self.range.height()
    }

    pub fn width(&self) -> usize {
        self.range.width()
    }

    pub fn get(&self, r: usize, c: usize) -> &Data {
        self.range.get((r, c)).unwrap_or(&Data::Empty)
    }

    pub fn text(&self, r: usize, c: usize) -> String {
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
    pub fn text_ref(&self, r: usize, c: usize) -> std::borrow::Cow<'a, str> {
        match self.range.get((r, c)) {
            Some(Data::String(s)) => std::borrow::Cow::Borrowed(s.as_str()),
            _ => std::borrow::Cow::Owned(self.text(r, c)),
        }
    }

    /// `E7` style address of a cell, absolute in the sheet.
    pub fn addr(&self, r: usize, c: usize) -> String {
        format!("{}{}", column_name(self.col0 + c as u32), self.row0 + r as u32 + 1)
    }
}

/// The (zero-based row, column) of an `E7` style address.
pub fn cell_position(addr: &str) -> Option<(u32, u32)> {
    let letters = addr.bytes().take_while(u8::is_ascii_uppercase).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let col = addr[..letters].bytes().fold(0u32, |n, b| n * 26 + u32::from(b - b'A') + 1) - 1;
    let row: u32 = addr[letters..].parse().ok()?;
    Some((row.checked_sub(1)?, col))
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

pub(super) struct Header {
    first_row: usize,
    last_row: usize,
    roles: Vec<Role>,
    /// Each column's header text and the text in brackets closing it (`完成值（%）`).
    units: Vec<Option<(String, String)>>,
    /// The columns of this table (two tables may stand side by side under one header row).
    columns: std::ops::Range<usize>,
    /// The row after the table's last: the next table's header below, or the sheet's end.
    end_row: usize,
}

impl Header {
    fn col(&self, role: &Role) -> Option<usize> {
        self.roles.iter().position(|r| r == role)
    }

    /// Split a header holding several tables side by side, each starting with its own
    /// 指标名称 column (and the 序号/编号 columns just before it).
    fn split(self) -> Vec<Header> {
        let names: Vec<usize> = self.roles.iter().enumerate().filter(|(_, r)| **r == Role::Name).map(|(c, _)| c).collect();
        if names.len() < 2 {
            return vec![self];
        }
        let mut starts: Vec<usize> = Vec::new();
        for (k, &n) in names.iter().enumerate() {
            let floor = if k == 0 { 0 } else { names[k - 1] + 1 };
            let mut s = n;
            while s > floor && matches!(self.roles[s - 1], Role::Seq | Role::Id) {
                s -= 1;
            }
            starts.push(if k == 0 { 0 } else { s });
        }
        let width = self.roles.len();
        starts
            .iter()
            .enumerate()
            .map(|(k, &start)| {
                let end = starts.get(k + 1).copied().unwrap_or(width);
                let keep = |c: usize| (start..end).contains(&c);
                Header {
                    first_row: self.first_row,
                    last_row: self.last_row,
                    roles: self.roles.iter().enumerate().map(|(c, r)| if keep(c) { r.clone() } else { Role::Other }).collect(),
                    units: self.units.iter().enumerate().map(|(c, u)| if keep(c) { u.clone() } else { None }).collect(),
                    columns: start..end,
                    end_row: self.end_row,
                }
            })
            .filter(|h| is_header(&h.roles))
            .collect()
    }
}

/// Every indicator table of a sheet: each header row (one row, or two where a merged
/// year sits over 目标 / 实际完成), split where a header holds two tables side by side
/// (a second 指标名称 column), each table reaching down to the next header below it.
pub(super) fn find_headers(plan: &Plan, grid: &Grid) -> Vec<Header> {
    let mut found: Vec<Header> = Vec::new();
    let mut r = 0;
    while r < grid.height() {
        match header_at(plan, grid, r) {
            Some(h) => {
                r = h.last_row + 1;
                found.extend(h.split());
            }
            None => r += 1,
        }
    }
    // Each table ends where the next one (below it, in the same columns) begins.
    let starts: Vec<(usize, std::ops::Range<usize>)> = found.iter().map(|h| (h.first_row, h.columns.clone())).collect();
    for h in &mut found {
        h.end_row = starts
            .iter()
            .filter(|(row, cols)| *row > h.last_row && cols.start < h.columns.end && h.columns.start < cols.end)
            .map(|(row, _)| *row)
            .min()
            .unwrap_or(grid.height());
    }
    found
}

/// The role of one header cell: its words, a year typed as a number, or the name of a
/// reporting unit (a lead unit's table with its partners as columns).
fn role_of(plan: &Plan, grid: &Grid, r: usize, c: usize, text: Option<&str>) -> Role {
    let text = match text {
        Some(t) => std::borrow::Cow::Borrowed(t),
        None => match grid.get(r, c) {
            Data::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
            // A year typed as a number over a column of a wide table.
            Data::Float(_) | Data::Int(_) => match number_year(grid.get(r, c)) {
                Some(y) => std::borrow::Cow::Owned(y.to_string()),
                None => return Role::Other,
            },
            _ => return Role::Other,
        },
    };
    match classify(&text) {
        Role::Other if text.chars().count() <= 30 => match plan.resolve_unit(&text) {
            Some(u) => Role::UnitValue(u.name.clone()),
            None => Role::Other,
        },
        role => role,
    }
}

/// The header starting at row `r`, if there is one.
fn header_at(plan: &Plan, grid: &Grid, r: usize) -> Option<Header> {
    // Every name column's header (指标, 指标名称 …) has 指 and 标 in it: a row without
    // them is no header, and is not looked at further (most rows are figures).
    if !(0..grid.width()).any(|c| matches!(grid.get(r, c), Data::String(s) if s.contains('指') && s.contains('标'))) {
        return None;
    }
    let roles: Vec<Role> = (0..grid.width()).map(|c| role_of(plan, grid, r, c, None)).collect();
    let all = 0..grid.width();
    // Sub-headers below (目标 / 实际完成 under a merged 2024年) make it a two-row header.
    if is_header(&roles) && !(r + 1 < grid.height() && is_sub_header_row(grid, r + 1)) {
        let units = (0..grid.width()).map(|c| header_unit(&grid.text(r, c))).collect();
        return Some(Header { first_row: r, last_row: r, roles, units, columns: all, end_row: grid.height() });
    }
    if r + 1 < grid.height() && roles.contains(&Role::Name) {
        // Two-row header: carry a merged top cell to the right over its sub-headers.
        let mut carried = String::new();
        let texts: Vec<String> = (0..grid.width())
            .map(|c| {
                let top = grid.text(r, c);
                let bottom = grid.text(r + 1, c);
                if !top.trim().is_empty() {
                    carried = top.clone();
                }
                if bottom.trim().is_empty() {
                    top
                } else {
                    let above = if top.trim().is_empty() { carried.clone() } else { top };
                    format!("{above}{bottom}")
                }
            })
            .collect();
        let combined: Vec<Role> = texts.iter().enumerate().map(|(c, t)| role_of(plan, grid, r, c, Some(t))).collect();
        if is_header(&combined) {
            let units = texts.iter().map(|t| header_unit(t)).collect();
            return Some(Header { first_row: r, last_row: r + 1, roles: combined, units, columns: all, end_row: grid.height() });
        }
    }
    None
}

/// A header text closing with a bracket (`完成值（%）`): the text and what is in the
/// bracket, to be taken as the column's unit if it is one.
fn header_unit(text: &str) -> Option<(String, String)> {
    if text.len() > 60 {
        return None;
    }
    let n = normalize_name(text);
    let inner = bracket_tail(&n)?;
    (!inner.is_empty()).then(|| (text.to_string(), inner.to_string()))
}

/// A row of short header words (目标 / 实际完成 / 上年值) with no figures in it.
fn is_sub_header_row(grid: &Grid, r: usize) -> bool {
    let cells: Vec<&Data> = (0..grid.width()).map(|c| grid.get(r, c)).filter(|d| !matches!(d, Data::Empty)).collect();
    let short_text = cells.iter().all(|d| matches!(d, Data::String(s) if s.trim().chars().count() <= 8));
    short_text
        && (0..grid.width())
            .any(|c| matches!(classify(&grid.text(r, c)), Role::Target | Role::Value(_) | Role::PartValue(_) | Role::Previous))
}

fn is_header(roles: &[Role]) -> bool {
    roles.contains(&Role::Name) && roles.iter().any(|r| matches!(r, Role::Value(_) | Role::PartValue(_) | Role::UnitValue(_) | Role::Total))
}

/// Classify a header cell by its words.
pub(super) fn classify(text: &str) -> Role {
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
    // A unit in brackets at the end (完成值（%）) is not part of the header word.
    let bare = match bare.strip_suffix(')').and_then(|b| b.rfind('(').map(|i| (b, i))) {
        Some((b, i)) if b[i + 1..].chars().count() <= 8 => b[..i].to_string(),
        _ => bare,
    };
    let bare = bare.trim_matches(|c: char| c == '(' || c == ')');
    match bare {
        "合计" | "总计" | "全市" | "全县" | "全区" | "全市合计" | "全县合计" | "合计数" | "全市数" | "汇总" => {
            return Role::Total
        }
        "序号" | "序" => return Role::Seq,
        "指标编号" | "编号" | "指标代码" | "代码" | "指标id" | "id" => return Role::Id,
        "指标" | "指标名称" | "指标项目" | "指标名" | "主要指标" | "具体指标" | "指标内容" => return Role::Name,
        "单位" | "计量单位" | "指标单位" => return Role::Unit,
        "备注" | "说明" | "备注说明" | "情况说明" => return Role::Remark,
        _ => {}
    }
    // 未完成原因及下一步措施, 未达标原因, 原因分析: before the value words (完成) and 目标.
    if bare.contains("原因") || bare.ends_with("措施") {
        return Role::Reason;
    }
    if bare.contains("目标") || bare.contains("规划值") {
        return Role::Target;
    }
    if bare.starts_with("上年") || bare.starts_with("去年") || bare.contains("基期") || bare == "同期" {
        return Role::Previous;
    }
    if super::period::part_of_year(text).is_some() {
        return Role::PartValue(year);
    }
    const VALUE_WORDS: &[&str] = &[
        "完成值",
        "实际值",
        "完成情况",
        "本年完成",
        "实际完成",
        "本年值",
        "完成数",
        "实绩",
        "完成",
        "实际",
        "数值",
        "填报值",
        "本年",
        "本期",
        "当年",
        "本年累计",
        "本年实际",
    ];
    if VALUE_WORDS.iter().any(|w| bare == *w || bare.ends_with(w)) {
        return Role::Value(year);
    }
    // 2025年, 2025年度, 2025年末, 2025年1-12月 / 全年: the whole year's figure (a part of
    // the year, 2025年1-11月, is not).
    const WHOLE_YEAR: &[&str] = &["", "年度", "末", "年末", "1-12月", "1—12月", "1~12月", "1至12月", "全年"];
    if year.is_some() && WHOLE_YEAR.contains(&bare) {
        return Role::Value(year);
    }
    Role::Other
}

/// The 填报日期 of the return (a date cell, or text like 2026年1月10日 / 2026-01-10) and
/// the cell it is written in.
fn find_filled_date(grid: &Grid) -> Option<(String, String)> {
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
                return Some((d, grid.addr(r, c)));
            }
            for cc in c + 1..grid.width().min(c + 6) {
                let found = match grid.get(r, cc) {
                    Data::DateTime(dt) if dt.is_datetime() => {
                        let (y, m, d, ..) = dt.to_ymd_hms_milli();
                        Some(format!("{y:04}-{m:02}-{d:02}"))
                    }
                    Data::DateTimeIso(s) => parse_date_text(s),
                    Data::Empty => continue,
                    _ => parse_date_text(&grid.text(r, cc)),
                };
                if let Some(d) = found {
                    return Some((d, grid.addr(r, cc)));
                }
                if matches!(grid.get(r, cc), Data::DateTimeIso(_)) {
                    return None;
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
pub(super) fn number_year(d: &Data) -> Option<i32> {
    let v = match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        _ => return None,
    };
    (v.fract() == 0.0 && (2000.0..2100.0).contains(&v)).then_some(v as i32)
}

/// Four-digit years 2000–2099 followed by 年 (or nothing, or punctuation) in a text.
pub(super) fn years_in(text: &str) -> Vec<i32> {
    let text = super::period::digit_years(text);
    if !text.chars().any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c)) {
        return Vec::new();
    }
    let t = fold_width(&text);
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
    s
}

/// The unit sending the return: a 填报单位 cell, else the sheet name, else the file name.
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
            // A bare 单位： may also give the unit of measure (单位：%): it names the
            // reporting unit only when what follows is one.
            let bare = t.strip_prefix("单位").filter(|r| r.starts_with([':', '：']));
            let Some(rest) =
                t.strip_prefix("填报单位").or_else(|| t.strip_prefix("报送单位")).or_else(|| t.strip_prefix("单位名称")).or(bare)
            else {
                continue;
            };
            let rest = rest.trim_start_matches([':', '：', ' ']).trim();
            // 填报单位 heading a column of unit names (a 横表 with a unit per row) names
            // no one unit for the sheet.
            let heads_column = (r + 1..grid.height().min(r + 4)).any(|rr| plan.resolve_unit(&grid.text(rr, c)).is_some());
            let next_is_indicator = (c + 1..grid.width())
                .map(|cc| grid.text(r, cc))
                .find(|s| !s.trim().is_empty())
                .is_some_and(|s| plan.match_indicator("", "", &s).is_some());
            if rest.is_empty() && (heads_column || next_is_indicator) {
                continue;
            }
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
            if bare.is_some() && plan.resolve_unit(&written).or_else(|| plan.find_unit_in(&written)).is_none() {
                continue;
            }
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
    // A sheet named after a unit is that unit's (a lead unit's workbook with a sheet per
    // partner), before the file's name.
    if let Some(u) = plan.find_unit_in(sheet) {
        return (u.name.clone(), String::new());
    }
    if let Some(u) = file_unit {
        return (u, String::new());
    }
    (String::new(), String::new())
}

/// The reporting year, in this order: a 填报年度 cell above the header; a title with
/// “××××年度”; the sheet's name when it is a year (“2025”, “2025年”, “2025年度”,
/// “二〇二五年”: a workbook with a sheet per year); the file name (“××××年度” first,
/// then a lone four-digit year). Years in Chinese numerals count everywhere.
fn find_year(grid: &Grid, file: &str, sheet: &str, header_row: usize) -> Option<i32> {
    let rows = header_row.min(HEADER_SCAN_ROWS);
    let cols = grid.width().min(30);
    for r in 0..rows {
        for c in 0..cols {
            if !grid.string_contains(r, c, "年度") {
                continue;
            }
            let t = normalize_name(&grid.text(r, c));
            let Some(rest) =
                ["填报年度", "报告年度", "统计年度", "报表年度", "数据年度", "所属年度"].iter().find_map(|p| t.strip_prefix(p))
            else {
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
    if let Some(y) = sheet_year(sheet) {
        return Some(y);
    }
    let name = file.rsplit('/').next().unwrap_or(file);
    let part_year = || {
        // A title for part of a year says the year with it: 2025年1-6月, 2025年上半年.
        (0..rows).flat_map(|r| (0..cols).map(move |c| (r, c))).find_map(|(r, c)| match grid.get(r, c) {
            Data::String(t) if super::period::part_of_year(t).is_some() && !t.contains("日期") => years_in(t).first().copied(),
            _ => None,
        })
    };
    year_before(name, "年度").or_else(part_year).or_else(|| {
        // 2024_卫健局.xlsx, 卫健局-2024.xlsx: a lone four-digit year.
        let digits: Vec<char> = name.chars().collect();
        (0..digits.len().saturating_sub(3)).find_map(|i| {
            let w: String = digits[i..i + 4].iter().collect();
            let ok = (i == 0 || !digits[i - 1].is_ascii_digit()) && digits.get(i + 4).is_none_or(|c| !c.is_ascii_digit());
            w.parse::<i32>().ok().filter(|y| ok && (2000..2100).contains(y))
        })
    })
}

/// A sheet named as a year: “2025”, “2025年”, “2025年度”, “二〇二五年度”, “2025年报表”.
fn sheet_year(sheet: &str) -> Option<i32> {
    let n = normalize_name(&super::period::digit_years(sheet));
    let y = leading_year(&n)?;
    let rest = n[4..].trim_start_matches(['年', '度']);
    (rest.is_empty() || ["报表", "填报表", "数据", "指标", "填报"].contains(&rest)).then_some(y)
}

/// A year at the start of a text: “2024”, “2024年”, “2024年度”, “二〇二四年”.
fn leading_year(text: &str) -> Option<i32> {
    let t = fold_width(&super::period::digit_years(text)).into_owned();
    let head: String = t.chars().take(4).collect();
    let next = t.chars().nth(4);
    head.parse::<i32>().ok().filter(|y| (2000..2100).contains(y) && next.is_none_or(|c| !c.is_ascii_digit()))
}

/// The four-digit year written right before `suffix` (e.g. “（2024年度）”, or in
/// Chinese numerals “二〇二四年度”).
fn year_before(text: &str, suffix: &str) -> Option<i32> {
    let t = fold_width(&super::period::digit_years(text)).into_owned();
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
        for reason in ["未完成原因及下一步措施", "未达到目标原因", "原因分析", "未完成原因（2025年）", "整改措施"]
        {
            assert_eq!(classify(reason), Role::Reason, "{reason}");
        }
        assert_eq!(classify("数据来源"), Role::Other);
        // A unit in brackets closing the header word is not part of it.
        assert_eq!(classify("完成值（%）"), Role::Value(None));
        assert_eq!(classify("本年完成（万人次）"), Role::Value(None));
        assert_eq!(classify("2025年（%）"), Role::Value(Some(2025)));
        assert_eq!(classify("上年值（2024年）"), Role::Previous);
        assert_eq!(classify("2025年目标值（%）"), Role::Target);
        // Whole years, not parts of one.
        assert_eq!(classify("2025年1-12月"), Role::Value(Some(2025)));
        assert_eq!(classify("2025年末"), Role::Value(Some(2025)));
        assert_eq!(classify("2025年1-11月"), Role::PartValue(Some(2025)));
    }

    #[test]
    fn units_in_brackets() {
        let unit = |t: &str| header_unit(t).map(|(_, u)| u);
        assert_eq!(unit("完成值（%）").as_deref(), Some("%"));
        assert_eq!(unit("托位数（单位：个）").as_deref(), Some("个"));
        assert_eq!(unit("本年完成（万人次）").as_deref(), Some("万人次"));
        assert_eq!(unit("完成值"), None);
        let plan = Plan::embedded().unwrap();
        assert!(unit_like(&plan, "%") && unit_like(&plan, "万人次") && unit_like(&plan, "/10万") && unit_like(&plan, "个"));
        assert!(!unit_like(&plan, "社区") && !unit_like(&plan, "助理") && !unit_like(&plan, "2024年") && !unit_like(&plan, "预计"));
        let g14 = plan.indicators.iter().find(|i| i.id == "G14").unwrap();
        assert_eq!(name_unit(&plan, g14, "每千人口拥有执业（助理）医师数"), None, "brackets of the name");
        assert_eq!(name_unit(&plan, g14, "每千人口拥有执业（助理）医师数（人）").as_deref(), Some("人"));
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
        let plan = Plan::embedded().unwrap();
        let header = find_headers(&plan, &Grid::new(&range)).into_iter().next().expect("header found");
        assert_eq!(header.first_row, 2);
        assert_eq!(header.roles, vec![Role::Seq, Role::Name, Role::Value(Some(2024)), Role::Value(Some(2025)), Role::Other]);
        assert_eq!(number_year(&Data::Float(2025.0)), Some(2025));
        assert_eq!(number_year(&Data::Float(2025.5)), None);
        assert_eq!(number_year(&Data::Int(1999)), None);
    }

    #[test]
    fn column_names() {
        for (c, name) in [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")] {
            assert_eq!(cell_position(&format!("{name}7")), Some((6, c)));
        }
        assert_eq!(cell_position("7"), None);
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
