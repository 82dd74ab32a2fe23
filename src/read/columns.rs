//! A 横表: one indicator per column (`托位数（个）`, `学前教育毛入园率（%）`) and one year
//! or one reporting unit per row (`2024年` / `市民政局` at the row's start, or 年度 and
//! 填报单位 columns). What the row labels do not make certain is refused with a finding.

use std::collections::HashMap;
use std::sync::Arc;

use calamine::Data;

use super::sheet::{
    self, bracket_tail, classify, is_footer, name_unit, number_year, observe, unit_like, years_in, Context, Grid, Origin, Role, SheetRead,
    WrittenUnit, HEADER_SCAN_ROWS,
};
use super::value::{self, CellValue};
use super::{ObsKind, Orientation};
use crate::finding::{Code, Finding};
use crate::plan::Plan;
use crate::text::{normalize_name, printable};

/// The header of a 横表.
pub(super) struct ColumnHeader {
    row: usize,
    /// The last header row: `row + 1` when a row of units sits under the names.
    last_row: usize,
    /// (column, index of the indicator in the plan, the unit its header gives).
    indicators: Vec<(usize, usize, Option<WrittenUnit>)>,
    /// The columns left of the first indicator: the row labels (年度, 填报单位).
    labels: Vec<usize>,
    /// Headed columns among the indicators that name no indicator of the table.
    others: Vec<usize>,
}

/// Words heading a row-label column (年度, 填报单位 …).
fn is_label_header(text: &str) -> bool {
    let n = normalize_name(text);
    n.chars().count() <= 12
        && ["年度", "年份", "年", "单位", "填报单位", "单位名称", "责任单位", "报送单位", "项目"].iter().any(|w| n.contains(w))
}

/// Find the row naming indicators across its columns: two or more indicator names, or
/// one beside a row-label header (年度 | 托位数（个）).
pub(super) fn find_header(plan: &Plan, grid: &Grid) -> Option<ColumnHeader> {
    let rows = grid.height().min(HEADER_SCAN_ROWS);
    for r in 0..rows {
        let mut found: Vec<(usize, usize)> = Vec::new();
        let mut labelled = false;
        for c in 0..grid.width() {
            let Data::String(s) = grid.get(r, c) else { continue };
            if s.trim().is_empty() || s.len() > 150 {
                continue;
            }
            if let Some(ind) = plan.match_indicator("", "", s) {
                if let Some(i) = plan.indicators.iter().position(|x| x.id == ind.id) {
                    found.push((c, i));
                }
            } else if is_label_header(s) {
                labelled = true;
            }
        }
        if found.len() < 2 && !(found.len() == 1 && labelled) {
            continue;
        }
        let first = found[0].0;
        // A row of units under the names (个 | % | 人次), with no figure in it.
        let unit_row = r + 1 < grid.height()
            && found.iter().any(|(c, _)| !grid.text(r + 1, *c).trim().is_empty())
            && found.iter().all(|(c, _)| {
                let t = grid.text(r + 1, *c);
                let n = normalize_name(&t);
                let n = bracket_tail(&n).unwrap_or(&n).to_string();
                t.trim().is_empty() || (matches!(grid.get(r + 1, *c), Data::String(_)) && unit_like(plan, &n))
            });
        let indicators = found
            .iter()
            .map(|&(c, i)| {
                let ind = &plan.indicators[i];
                let head = grid.text(r, c);
                let under = if unit_row { grid.text(r + 1, c) } else { String::new() };
                let unit = if !under.trim().is_empty() {
                    let n = normalize_name(&under);
                    let u = bracket_tail(&n).unwrap_or(&n).to_string();
                    Some(WrittenUnit::new(&u, format!("表头下一行“{}”", printable(under.trim(), 20))))
                } else {
                    name_unit(plan, ind, &head).map(|u| WrittenUnit::new(&u, format!("表头“{}”", printable(head.trim(), 30))))
                };
                (c, i, unit)
            })
            .collect();
        let others = (first..grid.width())
            .filter(|c| !found.iter().any(|(fc, _)| fc == c) && !grid.text(r, *c).trim().is_empty())
            .filter(|c| !matches!(classify(&grid.text(r, *c)), Role::Remark | Role::Seq))
            .collect();
        return Some(ColumnHeader { row: r, last_row: if unit_row { r + 1 } else { r }, indicators, labels: (0..first).collect(), others });
    }
    None
}

/// What a row's labels say it holds.
#[derive(Default)]
struct RowLabel {
    year: Option<i32>,
    unit: Option<String>,
    kind: Option<ObsKind>,
    /// 目标值 rows: not figures of a year.
    target: bool,
    /// A row for part of a year (2025年1-11月): read, not used.
    part: Option<String>,
    footer: bool,
    /// Label text that is neither a year, a unit, nor a known word: (column, text).
    unknown: Option<(usize, String)>,
    /// Something was written in a label cell.
    any: bool,
}

fn row_label(plan: &Plan, grid: &Grid, r: usize, labels: &[usize]) -> RowLabel {
    let mut out = RowLabel::default();
    for &c in labels {
        if let Some(y) = number_year(grid.get(r, c)) {
            out.year = Some(y);
            out.any = true;
            continue;
        }
        let t = grid.text(r, c);
        if t.trim().is_empty() {
            continue;
        }
        out.any = true;
        let n = normalize_name(&t);
        // A 序号 beside the label.
        if n.chars().all(|ch| ch.is_ascii_digit()) && n.len() < 4 {
            continue;
        }
        if is_footer(&t) {
            out.footer = true;
            continue;
        }
        if let Some(u) = plan.resolve_unit(&t).or_else(|| plan.find_unit_in(&t)) {
            out.unit = Some(u.name.clone());
            // 市民政局2025年: the year too.
            if let Some(y) = years_in(&n).first() {
                out.year = Some(*y);
            }
            continue;
        }
        match classify(&t) {
            Role::Target => out.target = true,
            Role::PartValue(y) => {
                out.part = super::period::part_of_year(&t);
                out.year = y.or(out.year);
            }
            Role::Previous => {
                out.kind = Some(ObsKind::Previous);
                out.year = years_in(&n).first().copied().or(out.year);
            }
            Role::Value(y) => {
                out.kind = Some(ObsKind::Current);
                out.year = y.or(out.year);
            }
            _ => out.unknown = Some((c, t)),
        }
    }
    out
}

/// Read a 横表.
pub(super) fn read_columns(plan: &Plan, file: &str, sheet: &str, grid: &Grid, header: &ColumnHeader) -> SheetRead {
    let mut findings = Vec::new();
    let cx = Context::find(plan, grid, file, sheet, header.row, &mut findings);
    let mut out = cx.start(sheet, Orientation::IndicatorColumns);
    out.findings = findings;
    let (file_text, sheet_text): (Arc<str>, Arc<str>) = (file.into(), sheet.into());
    let mut departments: HashMap<String, Arc<str>> = HashMap::new();
    let has_figure = |r: usize, c: usize| !matches!(value::parse(&grid.text(r, c)), CellValue::NoFigure);
    // The rows with anything written under an indicator (a figure, or “/” for none).
    let rows: Vec<usize> = (header.last_row + 1..grid.height())
        .filter(|&r| header.indicators.iter().any(|(c, _, _)| !grid.text(r, *c).trim().is_empty()))
        .collect();
    let (mut year_unknown, mut unit_unknown) = (false, false);
    for &r in &rows {
        let label = row_label(plan, grid, r, &header.labels);
        if label.target || (label.footer && label.year.is_none() && label.unit.is_none()) {
            continue;
        }
        let first_cell = grid.addr(r, header.labels.first().copied().unwrap_or(header.indicators[0].0));
        if let (Some((c, text)), None, None) = (&label.unknown, label.year, &label.unit) {
            out.findings.push(
                Finding::error(
                    Code::RowLabelUnknown,
                    format!(
                        "这是横表（每列一个指标），但这一行的行标题“{}”既不是全年的年份（如“2025年”）也不是填报单位名称，无法判断数据属于哪一年、哪个单位，该行数据未采用。请在行首写明年份或填报单位。",
                        printable(text.trim(), 40)
                    ),
                )
                .at(sheet, &grid.addr(r, *c))
                .for_unit(&cx.department),
            );
            continue;
        }
        if !label.any && rows.len() > 1 {
            out.findings.push(
                Finding::error(
                    Code::RowLabelUnknown,
                    "这是横表（每列一个指标），有多行数据，但这一行行首没有写年份或填报单位，无法判断属于哪一年、哪个单位，该行数据未采用。请在行首写明年份（如“2025年”）或填报单位。",
                )
                .at(sheet, &first_cell)
                .for_unit(&cx.department),
            );
            continue;
        }
        if let Some(part) = &label.part {
            out.findings.push(cx.part_year(part, label.year, "这一行", sheet, &first_cell));
        }
        let kind = label.kind.unwrap_or(ObsKind::Current);
        let year = match kind {
            ObsKind::Current => label.year.or(cx.year),
            ObsKind::Previous => label.year.or(cx.year.map(|y| y - 1)),
        };
        let Some(year) = year else {
            year_unknown = true;
            continue;
        };
        let department = label.unit.unwrap_or_else(|| cx.department.clone());
        unit_unknown |= department.is_empty();
        let department = departments.entry(department.clone()).or_insert_with(|| department.as_str().into()).clone();
        let origin = Origin { file: &file_text, sheet: &sheet_text, department: &department, return_year: cx.year };
        for (c, i, unit) in &header.indicators {
            let ind = &plan.indicators[*i];
            let written = unit.clone().or_else(|| cx.line_unit()).unwrap_or_default();
            if let Some(o) = observe(grid, r, *c, ind, &written, year, kind, &origin, &mut out) {
                if label.part.is_some() {
                    out.unused.push(super::Unused { observation: o, because: super::NotUsed::PartYear });
                } else {
                    out.push(grid, r, *c, o);
                }
            }
        }
    }
    for &c in &header.others {
        if rows.iter().any(|&r| has_figure(r, c)) {
            out.findings.push(
                sheet::unknown_indicator(plan, &grid.text(header.row, c), Orientation::IndicatorColumns)
                    .at(sheet, &grid.addr(header.row, c))
                    .for_unit(&cx.department),
            );
        }
    }
    if year_unknown {
        out.findings.push(cx.year_unknown(sheet));
    }
    if unit_unknown {
        out.findings.push(cx.unit_unknown(sheet));
    }
    out.set_part_year(&cx, sheet);
    out.finish(None);
    out
}
