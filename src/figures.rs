//! Stage 2 — figures: one figure per indicator and year — chosen once, by one rule, in polars — and the
//! places where returns disagree. The rule: the year's own return before a later
//! return restating the year (its column for the year, or its 上年值) unless the later
//! one is marked as a correction; the lead responsible unit's before the others'; then
//! file, sheet and cell order.

use std::collections::HashMap;

use polars::prelude::*;
use serde::Serialize;

use crate::frames::{self, Rows};
use crate::plan::Plan;
use crate::read::{InputFile, NotUsed, Observation};

/// A figure as used, with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// Index of the observation it is.
    #[serde(skip)]
    pub row: usize,
    pub value: f64,
    pub department: String,
    pub file: String,
    pub sheet: String,
    pub cell: String,
    /// Written as a provisional figure (预计, 暂定).
    pub provisional: bool,
}

impl Figure {
    fn of(obs: &[Observation], row: usize) -> Figure {
        let o = &obs[row];
        Figure {
            row,
            value: o.value.unwrap_or(f64::NAN),
            department: o.department.to_string(),
            file: o.file.to_string(),
            sheet: o.sheet.to_string(),
            cell: o.cell.clone(),
            provisional: o.provisional,
        }
    }
}

/// Different 本年值 for one indicator and year.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    pub indicator_id: String,
    pub year: i32,
    /// The figure used (the rule above).
    pub used: Figure,
    /// Every 本年值 given, in file order.
    pub figures: Vec<Figure>,
    /// How many different values they hold.
    pub distinct: usize,
}

/// The chosen figures and the conflicts.
#[derive(Debug, Default)]
pub struct Figures {
    chosen: HashMap<(String, i32), Figure>,
    pub conflicts: Vec<Conflict>,
    /// For each observation, in order: None when it is the figure used, else why not.
    pub fates: Vec<Option<NotUsed>>,
}

impl Figures {
    pub fn get(&self, indicator_id: &str, year: i32) -> Option<&Figure> {
        self.chosen.get(&(indicator_id.to_string(), year))
    }

    pub fn conflict(&self, indicator_id: &str, year: i32) -> Option<&Conflict> {
        self.conflicts.iter().find(|c| c.indicator_id == indicator_id && c.year == year)
    }
}

/// Choose the figure of every indicator and year that has one, and list the conflicts.
pub fn choose(plan: &Plan, obs: &[Observation], df: &DataFrame) -> PolarsResult<Figures> {
    let ind = frames::indicators(plan)?;
    let valued = df.clone().lazy().filter(col("value").is_not_null().and(col("department").neq(lit("")))).join(
        ind.lazy(),
        [col("indicator_id")],
        [col("indicator_id")],
        JoinArgs::new(JoinType::Inner),
    );
    let chosen = valued
        .clone()
        .with_columns([col("department").neq(col("lead")).alias("lead_rank"), col("cell").str().len_chars().alias("cell_len")])
        .sort(["indicator_id", "year", "source_rank", "lead_rank", "file", "sheet", "cell_len", "cell"], SortMultipleOptions::default())
        .unique_stable_generic(Some(vec![col("indicator_id"), col("year")]), UniqueKeepStrategy::First)
        .select([col("indicator_id"), col("year"), col("row")])
        .collect()?;
    let rows = Rows::new(&chosen);
    let mut figures = Figures::default();
    for i in 0..rows.len() {
        let row = rows.i64("row", i).unwrap_or(0) as usize;
        figures.chosen.insert((rows.str("indicator_id", i), rows.i64("year", i).unwrap_or(0) as i32), Figure::of(obs, row));
    }

    figures.fates = fates(plan, obs, &figures);

    // Units disagreeing about a year, in the year's own returns (a later return restating
    // a figure is a restatement, not a conflict: validate says so).
    let current = valued.filter(col("source_rank").eq(lit(1u32)));
    let groups = current
        .clone()
        .group_by([col("indicator_id"), col("year")])
        .agg([col("value").n_unique().alias("distinct")])
        .filter(col("distinct").gt(lit(1)));
    let disagree = current
        .join(groups, [col("indicator_id"), col("year")], [col("indicator_id"), col("year")], JoinArgs::new(JoinType::Inner))
        .sort(["order", "year", "row"], SortMultipleOptions::default())
        .select([col("indicator_id"), col("year"), col("row"), col("distinct")])
        .collect()?;
    let rows = Rows::new(&disagree);
    for i in 0..rows.len() {
        let (id, year) = (rows.str("indicator_id", i), rows.i64("year", i).unwrap_or(0) as i32);
        let figure = Figure::of(obs, rows.i64("row", i).unwrap_or(0) as usize);
        match figures.conflicts.last_mut().filter(|c| c.indicator_id == id && c.year == year) {
            Some(c) => c.figures.push(figure),
            None => {
                let Some(used) = figures.get(&id, year).cloned() else { continue };
                let distinct = rows.i64("distinct", i).unwrap_or(2) as usize;
                figures.conflicts.push(Conflict { indicator_id: id, year, used, figures: vec![figure], distinct });
            }
        }
    }
    Ok(figures)
}

/// Why each observation is or is not the figure used for its indicator and year.
fn fates(plan: &Plan, obs: &[Observation], figures: &Figures) -> Vec<Option<NotUsed>> {
    let tolerance = plan.rules.status.tolerance;
    obs.iter()
        .enumerate()
        .map(|(i, o)| {
            let Some(value) = o.value else { return Some(o.no_value.unwrap_or(NotUsed::NoFigure)) };
            if o.department.is_empty() {
                return Some(NotUsed::UnitUnknown);
            }
            if o.year < plan.baseline_year || o.year > plan.end {
                return Some(NotUsed::OutOfPeriod);
            }
            match figures.get(&o.indicator_id, o.year) {
                Some(f) if f.row == i => None,
                Some(f) if (f.value - value).abs() <= tolerance * f.value.abs().max(value.abs()).max(1.0) => Some(NotUsed::SameAsUsed),
                Some(_) if o.restated() || o.secondary => Some(NotUsed::Restated),
                Some(f) if obs[f.row].correction => Some(NotUsed::Superseded),
                Some(_) => Some(NotUsed::Conflict),
                None => Some(NotUsed::OutOfPeriod),
            }
        })
        .collect()
}

/// One responsible unit's return for one year of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct ReturnStatus {
    pub unit: String,
    pub year: i32,
    /// The files read for it (one unit may send several, or share a workbook).
    pub files: Vec<String>,
    /// The 填报日期 written in it (the earliest, if several).
    pub filled_date: Option<String>,
    /// Sent by the deadline (None: no date written, a date after the documents' own, or
    /// not received).
    pub on_time: Option<bool>,
    /// Its 填报日期 is after the 成文日期 of the documents: not when it came in (it was
    /// in hand before). Still on time when both the date and the 成文日期 are within the
    /// deadline (whichever is true, it came in by then); otherwise neither on time nor
    /// late is said of it.
    pub misdated: bool,
}

impl ReturnStatus {
    pub fn received(&self) -> bool {
        !self.files.is_empty()
    }

    pub fn late(&self) -> bool {
        self.on_time == Some(false)
    }
}

/// Every responsible unit's return for every year of the plan up to `year`; `written`,
/// the documents' 成文日期 where there are documents.
pub fn returns(plan: &Plan, files: &[InputFile], year: i32, written: Option<time::Date>) -> Vec<ReturnStatus> {
    let deadline = &plan.rules.validate.deadline;
    // Each file under every (unit, year) it holds, in the order of `files`, once.
    let mut holding: HashMap<(&str, i32), Vec<&InputFile>> = HashMap::new();
    for f in files {
        for c in &f.covers {
            let list = holding.entry((c.department.as_str(), c.year)).or_default();
            if !list.last().is_some_and(|last| std::ptr::eq(*last, f)) && f.holds_return(&c.department, c.year) {
                list.push(f);
            }
        }
    }
    let mut out = Vec::new();
    for unit in plan.reporting_units() {
        for y in plan.start..=year.min(plan.end) {
            // Counted from what was read: a workbook with a sheet per unit, or a return
            // spanning several years, holds several returns.
            // The version used first; the date of the first version sent is the date
            // the return came in.
            let mut read: Vec<&InputFile> = holding.get(&(unit.name.as_str(), y)).cloned().unwrap_or_default();
            read.sort_by_key(|f| f.is_replaced(&unit.name, y));
            let filled_date = read.iter().filter_map(|f| f.filled_date.clone()).min();
            let misdated = filled_date.as_deref().is_some_and(|d| crate::clock::after_written(d, written));
            let due = format!("{}-{}", y + 1, deadline);
            let written_in_time = written.is_some_and(|w| crate::clock::parse_date(&due).is_some_and(|due| w <= due));
            let on_time =
                filled_date.as_ref().map(|d| d.as_str() <= due.as_str()).filter(|&in_time| !misdated || (in_time && written_in_time));
            out.push(ReturnStatus {
                unit: unit.name.clone(),
                year: y,
                files: read.iter().map(|f| f.file.clone()).collect(),
                filled_date,
                on_time,
                misdated,
            });
        }
    }
    out
}
