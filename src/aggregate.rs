//! Stage 3 — aggregate: one figure per indicator and year (the lead unit's where returns
//! disagree), the baseline, 序时进度, the status class, the projection to the plan's
//! end and the yearly change still needed. All table work in polars; the thresholds
//! come from templates/rules.toml.

use serde::Serialize;

use polars::prelude::*;

use crate::frames::{self, Rows};
use crate::plan::{Comparison, Plan};
use crate::read::{ObsKind, Observation};

/// Status classes used in Chinese plan reviews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Status {
    Met,
    Ahead,
    OnTrack,
    Behind,
    SeriouslyBehind,
    NoData,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Met,
        Status::Ahead,
        Status::OnTrack,
        Status::Behind,
        Status::SeriouslyBehind,
        Status::NoData,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Status::Met => "已达标",
            Status::Ahead => "快于序时进度",
            Status::OnTrack => "符合序时进度",
            Status::Behind => "滞后于序时进度",
            Status::SeriouslyBehind => "严重滞后",
            Status::NoData => "无数据",
        }
    }

    fn code(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Ahead => "ahead",
            Status::OnTrack => "on_track",
            Status::Behind => "behind",
            Status::SeriouslyBehind => "seriously_behind",
            Status::NoData => "no_data",
        }
    }

    fn from_code(code: &str) -> Status {
        Status::ALL.into_iter().find(|s| s.code() == code).unwrap_or(Status::NoData)
    }

    /// Met, ahead or on track.
    pub fn is_good(self) -> bool {
        matches!(self, Status::Met | Status::Ahead | Status::OnTrack)
    }
}

/// Progress of one indicator in one year.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub indicator_id: String,
    pub year: i32,
    pub value: Option<f64>,
    pub baseline: Option<f64>,
    pub target: f64,
    /// 序时进度: the value expected in this year.
    pub expected: Option<f64>,
    pub status: Status,
    pub projected_end: Option<f64>,
    pub required_annual_change: Option<f64>,
    /// Where the figure used came from.
    pub department: String,
    pub file: String,
    pub sheet: String,
    pub cell: String,
    /// How the status was reached, in Chinese, when it needs saying.
    pub note: String,
}

/// Pick the figure to use among several for the same indicator and year: 本年值 before
/// 上年值, the lead responsible unit before others, then file and cell order.
pub fn choose<'a>(plan: &Plan, list: &[&'a Observation]) -> &'a Observation {
    let lead = |o: &Observation| {
        plan.indicator(&o.indicator_id)
            .map(|i| i.lead_unit() == o.department)
            .unwrap_or(false)
    };
    list.iter()
        .copied()
        .min_by(|a, b| {
            (a.kind, !lead(a), &a.file, &a.sheet, a.cell.len(), &a.cell).cmp(&(b.kind, !lead(b), &b.file, &b.sheet, b.cell.len(), &b.cell))
        })
        .expect("choose needs at least one observation")
}

/// Assess every indicator in every year from the plan's start to `year`.
pub fn assess(plan: &Plan, obs: &[Observation], year: i32) -> PolarsResult<Vec<Progress>> {
    let df = frames::observations(obs)?;
    let ind = frames::indicators(plan)?;
    let end = plan.end;
    let span = (end - plan.baseline_year) as f64;

    // One figure per indicator and year (same order as `choose`).
    let chosen = df
        .lazy()
        .filter(col("value").is_not_null().and(col("department").neq(lit(""))))
        .join(
            ind.clone().lazy(),
            [col("indicator_id")],
            [col("indicator_id")],
            JoinArgs::new(JoinType::Inner),
        )
        .with_columns([
            col("current").not().alias("kind_rank"),
            col("department").neq(col("lead")).alias("lead_rank"),
            col("cell").str().len_chars().alias("cell_len"),
        ])
        .sort(
            [
                "indicator_id",
                "year",
                "kind_rank",
                "lead_rank",
                "file",
                "sheet",
                "cell_len",
                "cell",
            ],
            SortMultipleOptions::default(),
        )
        .unique_stable_generic(Some(vec![col("indicator_id"), col("year")]), UniqueKeepStrategy::First)
        .select([col("indicator_id"), col("year"), col("value"), col("row")]);

    let baseline = chosen
        .clone()
        .filter(col("year").eq(lit(plan.baseline_year)))
        .select([col("indicator_id"), col("value").alias("baseline")]);

    // Every indicator × every year of the plan up to the reporting year.
    let years: Vec<i32> = (plan.start..=year.min(end)).collect();
    let n = plan.indicators.len() * years.len();
    let grid = DataFrame::new(
        n,
        vec![
            Column::new(
                "indicator_id".into(),
                plan.indicators
                    .iter()
                    .flat_map(|i| years.iter().map(move |_| i.id.clone()))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "year".into(),
                plan.indicators.iter().flat_map(|_| years.iter().copied()).collect::<Vec<i32>>(),
            ),
            Column::new(
                "milestone".into(),
                plan.indicators
                    .iter()
                    .flat_map(|i| years.iter().map(move |y| i.milestone(*y)))
                    .collect::<Vec<Option<f64>>>(),
            ),
        ],
    )?;

    let r = &plan.rules.status;
    let cmp = |c: Comparison| col("comparison").eq(lit(c.as_str()));
    let level = cmp(Comparison::Hold).or(cmp(Comparison::AnnualRate));
    let lower = cmp(Comparison::AtMost);
    let frac = (col("year").cast(DataType::Float64) - lit(plan.baseline_year as f64)) / lit(span);
    let eps = lit(1e-9);

    let expected = when(col("milestone").is_not_null())
        .then(col("milestone"))
        .when(level.clone())
        .then(col("target"))
        .when(cmp(Comparison::Cumulative))
        .then(col("target") * frac.clone())
        .when(col("baseline").is_not_null())
        .then(col("baseline") + (col("target") - col("baseline")) * frac)
        .otherwise(lit(NULL).cast(DataType::Float64));
    // Cumulative indicators count from zero at the start of the plan.
    let origin = when(cmp(Comparison::Cumulative)).then(lit(0.0)).otherwise(col("baseline"));
    let met = when(lower.clone())
        .then(col("value").lt_eq(col("target") + eps.clone()))
        .otherwise(col("value").gt_eq(col("target") - eps.clone()));
    // Progress ratio: actual progress over expected progress, or the level over the
    // target where there is no trajectory (levels to hold, no baseline).
    let toward = |from: Expr| {
        when(lower.clone())
            .then((from.clone() - col("value")) / (from.clone() - col("expected")))
            .otherwise((col("value") - from.clone()) / (col("expected") - from))
    };
    let level_ratio = when(lower.clone())
        .then(col("target") / col("value"))
        .otherwise(col("value") / col("target"));
    let gap = col("expected") - col("origin");
    let degenerate = gap.clone().lt(eps.clone()).and(gap.gt(lit(-1e-9)));
    let ratio = when(level.clone().or(col("origin").is_null()).or(col("expected").is_null()))
        .then(level_ratio)
        .when(degenerate)
        .then(when(met.clone()).then(lit(1.0)).otherwise(lit(0.0)))
        .otherwise(toward(col("origin")));
    let status_code = |s: Status| lit(s.code());
    let final_year = col("year").eq(lit(end));
    let status = when(col("value").is_null())
        .then(status_code(Status::NoData))
        .when(met)
        .then(status_code(Status::Met))
        .when(level.clone().and((lit(1.0) - col("ratio")).lt_eq(lit(r.hold_serious_gap))))
        .then(status_code(Status::Behind))
        .when(level)
        .then(status_code(Status::SeriouslyBehind))
        .when(col("ratio").gt(lit(1.0 + r.on_track_tolerance)).and(final_year.clone().not()))
        .then(status_code(Status::Ahead))
        .when(col("ratio").gt_eq(lit(1.0 - r.on_track_tolerance)).and(final_year))
        .then(status_code(Status::Behind))
        .when(col("ratio").gt_eq(lit(1.0 - r.on_track_tolerance)))
        .then(status_code(Status::OnTrack))
        .when(col("ratio").gt_eq(lit(r.serious_lag_ratio)))
        .then(status_code(Status::Behind))
        .otherwise(status_code(Status::SeriouslyBehind));

    let table = grid
        .lazy()
        .join(
            chosen,
            [col("indicator_id"), col("year")],
            [col("indicator_id"), col("year")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            baseline,
            [col("indicator_id")],
            [col("indicator_id")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            ind.lazy(),
            [col("indicator_id")],
            [col("indicator_id")],
            JoinArgs::new(JoinType::Inner),
        )
        .with_column(expected.alias("expected"))
        .with_column(origin.alias("origin"))
        .with_column(ratio.alias("ratio"))
        .with_column(status.alias("status"))
        .sort(["order", "year"], SortMultipleOptions::default())
        .collect()?;

    let rows = Rows::new(&table);
    let mut out: Vec<Progress> = (0..rows.len())
        .map(|i| {
            let src = rows.i64("row", i).map(|r| &obs[r as usize]);
            let id = rows.str("indicator_id", i);
            let baseline = rows.f64("baseline", i);
            let ind = plan.indicator(&id);
            let mut note = String::new();
            let status = Status::from_code(&rows.str("status", i));
            if let Some(ind) = ind {
                if baseline.is_none()
                    && matches!(ind.comparison, Comparison::AtLeast | Comparison::AtMost)
                    && ind.milestones.is_empty()
                    && status != Status::NoData
                    && status != Status::Met
                {
                    note = format!("缺少{}年基期值，按与目标值的差距判定", plan.baseline_year);
                }
            }
            Progress {
                indicator_id: id,
                year: rows.i64("year", i).unwrap_or(0) as i32,
                value: rows.f64("value", i),
                baseline,
                target: rows.f64("target", i).unwrap_or(f64::NAN),
                expected: rows.f64("expected", i),
                status,
                projected_end: None,
                required_annual_change: None,
                department: src.map(|o| o.department.clone()).unwrap_or_default(),
                file: src.map(|o| o.file.clone()).unwrap_or_default(),
                sheet: src.map(|o| o.sheet.clone()).unwrap_or_default(),
                cell: src.map(|o| o.cell.clone()).unwrap_or_default(),
                note,
            }
        })
        .collect();
    project(plan, &mut out);
    Ok(out)
}

/// With two or more years of data (the baseline counts): a straight-line trend to the
/// plan's end, and the yearly change still needed from the latest figure.
fn project(plan: &Plan, progress: &mut [Progress]) {
    let end = plan.end;
    let mut i = 0;
    while i < progress.len() {
        let id = progress[i].indicator_id.clone();
        let j = progress[i..]
            .iter()
            .position(|p| p.indicator_id != id)
            .map(|k| i + k)
            .unwrap_or(progress.len());
        let Some(ind) = plan.indicator(&id) else {
            i = j;
            continue;
        };
        let level = matches!(ind.comparison, Comparison::Hold | Comparison::AnnualRate);
        for k in i..j {
            let year = progress[k].year;
            let mut points: Vec<(f64, f64)> = Vec::new();
            if ind.comparison != Comparison::Cumulative {
                if let Some(b) = progress[k].baseline {
                    points.push((plan.baseline_year as f64, b));
                }
            }
            points.extend(progress[i..=k].iter().filter_map(|p| p.value.map(|v| (p.year as f64, v))));
            let Some(&(last_year, last)) = points.last() else { continue };
            if level {
                continue;
            }
            if points.len() >= 2 {
                let n = points.len() as f64;
                let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
                let my = points.iter().map(|p| p.1).sum::<f64>() / n;
                let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
                let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
                if sxx > 0.0 {
                    let slope = sxy / sxx;
                    progress[k].projected_end = Some(if last_year as i32 == end {
                        last
                    } else {
                        last + slope * (end as f64 - last_year)
                    });
                }
            }
            let remaining = (end - year) as f64;
            let met = if ind.comparison.lower_is_better() {
                last <= ind.target
            } else {
                last >= ind.target
            };
            if remaining > 0.0 && !met && last_year as i32 == year {
                progress[k].required_annual_change = Some((ind.target - last) / remaining);
            }
        }
        i = j;
    }
}

/// The latest assessed year for each indicator (the reporting year).
pub fn latest(progress: &[Progress], year: i32) -> Vec<&Progress> {
    progress.iter().filter(|p| p.year == year).collect()
}

/// Observations that are 上年值 for the baseline year, so the report can say where the
/// baseline came from.
pub fn baseline_sources<'a>(obs: &'a [Observation], plan: &Plan) -> Vec<&'a Observation> {
    obs.iter()
        .filter(|o| o.year == plan.baseline_year && o.kind == ObsKind::Previous && o.value.is_some())
        .collect()
}
