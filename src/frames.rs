//! The long tables as polars frames: observations and the indicator table, plus small
//! helpers to read typed values back out of a collected frame.

use polars::prelude::*;

use crate::plan::Plan;
use crate::read::{ObsKind, Observation};

/// One row per figure read, in the column order of observations.csv (plus helpers).
pub fn observations(obs: &[Observation]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&Observation) -> &str| obs.iter().map(f).collect::<Vec<&str>>();
    DataFrame::new(
        obs.len(),
        vec![
            Column::new("row".into(), (0..obs.len() as u32).collect::<Vec<u32>>()),
            Column::new("file".into(), s(|o| &o.file)),
            Column::new("sheet".into(), s(|o| &o.sheet)),
            Column::new("cell".into(), s(|o| &o.cell)),
            Column::new("department".into(), s(|o| &o.department)),
            Column::new("year".into(), obs.iter().map(|o| o.year).collect::<Vec<i32>>()),
            Column::new("indicator_id".into(), s(|o| &o.indicator_id)),
            Column::new("value".into(), obs.iter().map(|o| o.value).collect::<Vec<Option<f64>>>()),
            Column::new("current".into(), obs.iter().map(|o| o.kind == ObsKind::Current).collect::<Vec<bool>>()),
            // Which figure of a year comes first: a correction a later return marks, the
            // year's own return, a later return's column for the year, a 上年值.
            Column::new("source_rank".into(), obs.iter().map(source_rank).collect::<Vec<u32>>()),
        ],
    )
}

/// The restatement rule as a rank (lower first): 0 a restated figure marked as a
/// correction, 1 the unit's own return for the year, 2 a later return's figure for the
/// year or another unit's file giving the unit's figure (a lead unit's summary), 3 a
/// 上年值.
pub fn source_rank(o: &Observation) -> u32 {
    match (o.kind, o.restated() || o.secondary, o.correction) {
        (_, true, true) if !o.secondary => 0,
        (ObsKind::Current, false, _) => 1,
        (ObsKind::Current, true, _) => 2,
        (ObsKind::Previous, ..) => 3,
    }
}

/// One row per indicator with what the rules need.
pub fn indicators(plan: &Plan) -> PolarsResult<DataFrame> {
    let ind = &plan.indicators;
    DataFrame::new(
        ind.len(),
        vec![
            Column::new("indicator_id".into(), ind.iter().map(|i| i.id.clone()).collect::<Vec<_>>()),
            Column::new("order".into(), (0..ind.len() as u32).collect::<Vec<u32>>()),
            Column::new("unit".into(), ind.iter().map(|i| i.unit.clone()).collect::<Vec<_>>()),
            Column::new("target".into(), ind.iter().map(|i| i.target).collect::<Vec<f64>>()),
            Column::new("comparison".into(), ind.iter().map(|i| i.comparison.as_str().to_string()).collect::<Vec<_>>()),
            Column::new("lead".into(), ind.iter().map(|i| i.lead_unit().to_string()).collect::<Vec<_>>()),
        ],
    )
}

/// Typed access to a collected frame's rows.
pub struct Rows<'a> {
    df: &'a DataFrame,
}

impl<'a> Rows<'a> {
    pub fn new(df: &'a DataFrame) -> Rows<'a> {
        Rows { df }
    }

    pub fn len(&self) -> usize {
        self.df.height()
    }

    pub fn is_empty(&self) -> bool {
        self.df.height() == 0
    }

    pub fn str(&self, name: &str, i: usize) -> String {
        match self.df.column(name).and_then(|c| c.get(i)) {
            Ok(AnyValue::String(s)) => s.to_string(),
            Ok(AnyValue::StringOwned(s)) => s.to_string(),
            _ => String::new(),
        }
    }

    pub fn f64(&self, name: &str, i: usize) -> Option<f64> {
        match self.df.column(name).and_then(|c| c.get(i)) {
            Ok(AnyValue::Float64(v)) => Some(v),
            Ok(AnyValue::Float32(v)) => Some(v as f64),
            Ok(AnyValue::Int32(v)) => Some(v as f64),
            Ok(AnyValue::Int64(v)) => Some(v as f64),
            Ok(AnyValue::UInt32(v)) => Some(v as f64),
            _ => None,
        }
    }

    /// The observation a row points back to through its index column (`row`,
    /// `prev_row` …, made by `observations`).
    pub fn observation<'o>(&self, index_column: &str, i: usize, obs: &'o [Observation]) -> &'o Observation {
        let k = self.i64(index_column, i).unwrap_or_else(|| panic!("column {index_column} holds observation indices"));
        &obs[k as usize]
    }

    pub fn i64(&self, name: &str, i: usize) -> Option<i64> {
        match self.df.column(name).and_then(|c| c.get(i)) {
            Ok(AnyValue::Int32(v)) => Some(v as i64),
            Ok(AnyValue::Int64(v)) => Some(v),
            Ok(AnyValue::UInt32(v)) => Some(v as i64),
            Ok(AnyValue::UInt64(v)) => Some(v as i64),
            _ => None,
        }
    }
}
