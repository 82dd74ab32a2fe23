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
    pub const ALL: [Status; 6] = [Status::Met, Status::Ahead, Status::OnTrack, Status::Behind, Status::SeriouslyBehind, Status::NoData];

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
    let lead = |o: &Observation| plan.indicator(&o.indicator_id).map(|i| i.lead_unit() == &*o.department).unwrap_or(false);
    list.iter()
        .copied()
        .min_by(|a, b| {
            (a.kind, !lead(a), &a.file, &a.sheet, a.cell.len(), &a.cell).cmp(&(b.kind, !lead(b), &b.file, &b.sheet, b.cell.len(), &b.cell))
        })
        .expect("choose needs at least one observation")
}

/// Assess every indicator in every year from the plan's start to `year`.
pub fn assess(plan: &Plan, obs: &[Observation], year: i32) -> PolarsResult<Vec<Progress>> {
    assess_frame(plan, obs, &frames::observations(obs)?, year)
}

/// `assess` with the observations already as a frame (`frames::observations`).
pub fn assess_frame(plan: &Plan, obs: &[Observation], df: &DataFrame, year: i32) -> PolarsResult<Vec<Progress>> {
    let ind = frames::indicators(plan)?;
    let end = plan.end;
    let span = (end - plan.baseline_year) as f64;

    // One figure per indicator and year (same order as `choose`).
    let chosen = df
        .clone()
        .lazy()
        .filter(col("value").is_not_null().and(col("department").neq(lit(""))))
        .join(ind.clone().lazy(), [col("indicator_id")], [col("indicator_id")], JoinArgs::new(JoinType::Inner))
        .with_columns([
            col("current").not().alias("kind_rank"),
            col("department").neq(col("lead")).alias("lead_rank"),
            col("cell").str().len_chars().alias("cell_len"),
        ])
        .sort(["indicator_id", "year", "kind_rank", "lead_rank", "file", "sheet", "cell_len", "cell"], SortMultipleOptions::default())
        .unique_stable_generic(Some(vec![col("indicator_id"), col("year")]), UniqueKeepStrategy::First)
        .select([col("indicator_id"), col("year"), col("value"), col("row")]);

    let baseline =
        chosen.clone().filter(col("year").eq(lit(plan.baseline_year))).select([col("indicator_id"), col("value").alias("baseline")]);

    // Every indicator × every year of the plan up to the reporting year.
    let years: Vec<i32> = (plan.start..=year.min(end)).collect();
    let n = plan.indicators.len() * years.len();
    let grid = DataFrame::new(
        n,
        vec![
            Column::new(
                "indicator_id".into(),
                plan.indicators.iter().flat_map(|i| years.iter().map(move |_| i.id.clone())).collect::<Vec<_>>(),
            ),
            Column::new("year".into(), plan.indicators.iter().flat_map(|_| years.iter().copied()).collect::<Vec<i32>>()),
            Column::new(
                "milestone".into(),
                plan.indicators.iter().flat_map(|i| years.iter().map(move |y| i.milestone(*y))).collect::<Vec<Option<f64>>>(),
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
    let level_ratio = when(lower.clone()).then(col("target") / col("value")).otherwise(col("value") / col("target"));
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
        .join(chosen, [col("indicator_id"), col("year")], [col("indicator_id"), col("year")], JoinArgs::new(JoinType::Left))
        .join(baseline, [col("indicator_id")], [col("indicator_id")], JoinArgs::new(JoinType::Left))
        .join(ind.lazy(), [col("indicator_id")], [col("indicator_id")], JoinArgs::new(JoinType::Inner))
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
                department: src.map(|o| o.department.to_string()).unwrap_or_default(),
                file: src.map(|o| o.file.to_string()).unwrap_or_default(),
                sheet: src.map(|o| o.sheet.to_string()).unwrap_or_default(),
                cell: src.map(|o| o.cell.clone()).unwrap_or_default(),
                note,
            }
        })
        .collect();
    note_conflicts(plan, obs, &mut out);
    project(plan, &mut out);
    Ok(out)
}

fn add_note(note: &mut String, text: &str) {
    if !note.is_empty() {
        note.push('；');
    }
    note.push_str(text);
}

/// Say where returns disagreed and whose figure was used.
fn note_conflicts(plan: &Plan, obs: &[Observation], progress: &mut [Progress]) {
    // Distinct 本年值 per indicator and year, in one pass over the observations.
    let mut values: std::collections::HashMap<(&str, i32), Vec<f64>> = std::collections::HashMap::new();
    for o in obs.iter().filter(|o| o.kind == ObsKind::Current) {
        if let Some(v) = o.value {
            let list = values.entry((&*o.indicator_id, o.year)).or_default();
            if !list.contains(&v) {
                list.push(v);
            }
        }
    }
    for p in progress.iter_mut().filter(|p| p.value.is_some()) {
        let n = values.get(&(p.indicator_id.as_str(), p.year)).map_or(0, Vec::len);
        if n > 1 {
            let lead = plan.indicator(&p.indicator_id).map(|i| i.lead_unit()).unwrap_or("");
            let whose = if p.department == lead { format!("牵头单位{lead}") } else { p.department.clone() };
            add_note(&mut p.note, &format!("有{n}个不一致的填报值，采用{whose}的数据"));
        }
    }
}

/// With two or more years of data (the baseline counts): a straight-line trend to the
/// plan's end, and the yearly change still needed from the latest figure.
fn project(plan: &Plan, progress: &mut [Progress]) {
    let end = plan.end;
    let mut i = 0;
    while i < progress.len() {
        let id = progress[i].indicator_id.clone();
        let j = progress[i..].iter().position(|p| p.indicator_id != id).map(|k| i + k).unwrap_or(progress.len());
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
                    progress[k].projected_end = Some(if last_year as i32 == end { last } else { last + slope * (end as f64 - last_year) });
                }
            }
            if progress[k].projected_end.is_none() && progress[k].value.is_some() && year < end {
                add_note(&mut progress[k].note, "数据不足两年，未作趋势推算");
            }
            let remaining = (end - year) as f64;
            let met = if ind.comparison.lower_is_better() { last <= ind.target } else { last >= ind.target };
            if remaining > 0.0 && !met && last_year as i32 == year {
                progress[k].required_annual_change = Some((ind.target - last) / remaining);
            }
        }
        i = j;
    }
}

/// Indicators by status in one area (reporting year).
#[derive(Debug, Clone, Serialize)]
pub struct AreaSummary {
    pub area: String,
    /// Counts in the order of `Status::ALL`.
    pub counts: Vec<usize>,
}

/// One responsible unit: what it owes and what it sent.
#[derive(Debug, Clone, Serialize)]
pub struct UnitSummary {
    pub unit: String,
    /// Indicators it leads.
    pub indicators: usize,
    /// Of those, with a figure in the reporting year.
    pub reported: usize,
    /// Met, ahead or on track.
    pub on_track: usize,
    /// Behind or seriously behind.
    pub behind: usize,
    pub returns_expected: usize,
    pub returns_received: usize,
    /// Returns whose 填报日期 is on or before the deadline (the following year's MM-DD).
    pub on_time: usize,
    /// Returns without a 填报日期.
    pub undated: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl UnitSummary {
    /// Share of owed figures that were reported, in percent.
    pub fn reporting_rate(&self) -> f64 {
        if self.indicators == 0 {
            100.0
        } else {
            self.reported as f64 * 100.0 / self.indicators as f64
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summaries {
    /// Goal indicators (附件1) by area.
    pub areas: Vec<AreaSummary>,
    pub units: Vec<UnitSummary>,
}

/// Per area and per unit summaries for the reporting year.
pub fn summarize(
    plan: &Plan,
    progress: &[Progress],
    files: &[crate::read::InputFile],
    findings: &[crate::finding::Finding],
    year: i32,
) -> PolarsResult<Summaries> {
    let latest: Vec<&Progress> = progress.iter().filter(|p| p.year == year).collect();
    let info = |p: &Progress| plan.indicator(&p.indicator_id);
    let df = DataFrame::new(
        latest.len(),
        vec![
            Column::new("area".into(), latest.iter().map(|p| info(p).map(|i| i.area.clone()).unwrap_or_default()).collect::<Vec<_>>()),
            Column::new("goal".into(), latest.iter().map(|p| info(p).is_some_and(|i| i.seq.is_some())).collect::<Vec<_>>()),
            Column::new(
                "lead".into(),
                latest.iter().map(|p| info(p).map(|i| i.lead_unit().to_string()).unwrap_or_default()).collect::<Vec<_>>(),
            ),
            Column::new("status".into(), latest.iter().map(|p| p.status.code().to_string()).collect::<Vec<_>>()),
            Column::new("has_value".into(), latest.iter().map(|p| p.value.is_some()).collect::<Vec<_>>()),
        ],
    )?;
    let by_area = df.clone().lazy().filter(col("goal")).group_by([col("area"), col("status")]).agg([len().alias("n")]).collect()?;
    let rows = Rows::new(&by_area);
    let areas = plan
        .areas()
        .into_iter()
        .map(|area| {
            let counts = Status::ALL
                .iter()
                .map(|s| {
                    (0..rows.len())
                        .find(|&i| rows.str("area", i) == area && rows.str("status", i) == s.code())
                        .and_then(|i| rows.i64("n", i))
                        .unwrap_or(0) as usize
                })
                .collect();
            AreaSummary { area, counts }
        })
        .collect();

    let good = col("status")
        .eq(lit(Status::Met.code()))
        .or(col("status").eq(lit(Status::Ahead.code())))
        .or(col("status").eq(lit(Status::OnTrack.code())));
    let bad = col("status").eq(lit(Status::Behind.code())).or(col("status").eq(lit(Status::SeriouslyBehind.code())));
    let by_unit = df
        .lazy()
        .group_by([col("lead")])
        .agg([len().alias("indicators"), col("has_value").sum().alias("reported"), good.sum().alias("on_track"), bad.sum().alias("behind")])
        .collect()?;
    let rows = Rows::new(&by_unit);
    let deadline = &plan.rules.validate.deadline;
    let units = plan
        .reporting_units()
        .into_iter()
        .map(|u| {
            let i = (0..rows.len()).find(|&i| rows.str("lead", i) == u.name);
            let get = |name: &str| i.and_then(|i| rows.i64(name, i)).unwrap_or(0) as usize;
            let received: Vec<&crate::read::InputFile> = files
                .iter()
                .filter(|f| {
                    f.status == crate::read::Fate::Read
                        && f.department == u.name
                        && f.year.is_some_and(|y| (plan.start..=year).contains(&y))
                })
                .collect();
            let years: std::collections::BTreeSet<i32> = received.iter().filter_map(|f| f.year).collect();
            let on_time = received
                .iter()
                .filter(|f| match (&f.filled_date, f.year) {
                    (Some(d), Some(y)) => d.as_str() <= format!("{}-{}", y + 1, deadline).as_str(),
                    _ => false,
                })
                .count();
            let sev = |s: crate::finding::Severity| findings.iter().filter(|f| f.department == u.name && f.severity == s).count();
            UnitSummary {
                unit: u.name.clone(),
                indicators: get("indicators"),
                reported: get("reported"),
                on_track: get("on_track"),
                behind: get("behind"),
                returns_expected: (plan.start..=year.min(plan.end)).count(),
                returns_received: years.len(),
                on_time,
                undated: received.iter().filter(|f| f.filled_date.is_none()).count(),
                errors: sev(crate::finding::Severity::Error),
                warnings: sev(crate::finding::Severity::Warning),
            }
        })
        .collect();
    Ok(Summaries { areas, units })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::ObsKind;

    fn obs(id: &str, department: &str, year: i32, value: f64, kind: ObsKind) -> Observation {
        Observation {
            file: format!("{department}_{year}.xlsx").into(),
            sheet: "指标填报".into(),
            cell: "H4".into(),
            department: department.into(),
            year,
            indicator_id: id.into(),
            indicator_name: "".into(),
            raw: value.to_string(),
            value: Some(value),
            unit: "".into(),
            kind,
            remark: String::new(),
        }
    }

    fn lead(plan: &Plan, id: &str) -> String {
        plan.indicator(id).unwrap().lead_unit().to_string()
    }

    /// (indicator, baseline 2022 or NaN for none, figures by year, year assessed, expected status)
    type StatusCase = (&'static str, f64, &'static [(i32, f64)], i32, Status);

    #[test]
    fn status_classes() {
        let plan = Plan::embedded().unwrap();
        let cases: &[StatusCase] = &[
            // reach or exceed: exactly on target is met
            ("G04", 85.0, &[(2024, 92.0)], 2024, Status::Met),
            // exactly on 序时进度: 42 + (60 − 42) × 2/3 = 54
            ("G17", 42.0, &[(2024, 54.0)], 2024, Status::OnTrack),
            ("G17", 42.0, &[(2024, 53.5)], 2024, Status::OnTrack), // ratio 0.958 ≥ 0.95
            ("G17", 42.0, &[(2024, 55.0)], 2024, Status::Ahead),   // ratio 1.083 > 1.05
            ("G17", 42.0, &[(2024, 48.0)], 2024, Status::Behind),  // ratio 0.5 exactly
            ("G17", 42.0, &[(2024, 47.9)], 2024, Status::SeriouslyBehind),
            // final year: within tolerance but not met is behind, not on track
            ("G17", 42.0, &[(2025, 59.5)], 2025, Status::Behind),
            // lower is better: 5.0 → 3.5, 2024 expected 4.0
            ("T11", 5.0, &[(2024, 4.0)], 2024, Status::OnTrack),
            ("T11", 5.0, &[(2024, 3.5)], 2024, Status::Met),
            ("T11", 5.0, &[(2024, 4.3)], 2024, Status::Behind),
            ("T11", 5.0, &[(2024, 4.9)], 2024, Status::SeriouslyBehind),
            // hold at 100%: judged on the level, not the trajectory
            ("G02", 100.0, &[(2024, 100.0)], 2024, Status::Met),
            ("G02", 100.0, &[(2024, 99.0)], 2024, Status::Behind),
            ("G02", 100.0, &[(2024, 90.0)], 2024, Status::SeriouslyBehind),
            // cumulative with milestones: 1699 by 2023, 1894 by 2024
            ("G24", f64::NAN, &[(2023, 1699.0)], 2023, Status::OnTrack),
            ("G24", f64::NAN, &[(2023, 1500.0)], 2023, Status::Behind),
            ("G24", f64::NAN, &[(2023, 1699.0), (2024, 1894.0)], 2024, Status::Met),
            // cumulative without milestones: 9000 × 1/3 = 3000 expected in 2023
            ("G11", f64::NAN, &[(2023, 3000.0)], 2023, Status::OnTrack),
            // yearly rate must hold each year
            ("G12", f64::NAN, &[(2024, 8.0)], 2024, Status::Met),
            ("G12", f64::NAN, &[(2024, 7.8)], 2024, Status::Behind),
            ("G12", f64::NAN, &[(2024, 7.0)], 2024, Status::SeriouslyBehind),
            // no baseline: level against the target
            ("G01", f64::NAN, &[(2024, 4.7)], 2024, Status::OnTrack),
            ("G01", f64::NAN, &[(2024, 3.9)], 2024, Status::Behind),
            // no figure
            ("G05", 90.0, &[], 2024, Status::NoData),
        ];
        for (id, base, figures, year, expected) in cases {
            let unit = lead(&plan, id);
            let mut list: Vec<Observation> = figures.iter().map(|(y, v)| obs(id, &unit, *y, *v, ObsKind::Current)).collect();
            if !base.is_nan() {
                list.push(obs(id, &unit, 2022, *base, ObsKind::Previous));
            }
            let progress = assess(&plan, &list, *year).unwrap();
            let p = progress.iter().find(|p| p.indicator_id == *id && p.year == *year).unwrap();
            assert_eq!(p.status, *expected, "{id} base {base} {figures:?} in {year}: {p:?}");
        }
    }

    #[test]
    fn projection_needs_two_years_and_says_what_is_still_needed() {
        let plan = Plan::embedded().unwrap();
        let unit = lead(&plan, "G17");
        // One figure only (no baseline): no trend, but the yearly change still needed.
        let one = assess(&plan, &[obs("G17", &unit, 2023, 45.0, ObsKind::Current)], 2023).unwrap();
        let p = one.iter().find(|p| p.indicator_id == "G17" && p.year == 2023).unwrap();
        assert_eq!(p.projected_end, None);
        assert!(p.note.contains("数据不足两年"), "{}", p.note);
        assert_eq!(p.required_annual_change, Some(7.5)); // (60 − 45) ÷ 2
                                                         // Baseline 42, 2023 48, 2024 54: +6 a year → 60 in 2025.
        let list = vec![
            obs("G17", &unit, 2022, 42.0, ObsKind::Previous),
            obs("G17", &unit, 2023, 48.0, ObsKind::Current),
            obs("G17", &unit, 2024, 54.0, ObsKind::Current),
        ];
        let two = assess(&plan, &list, 2024).unwrap();
        let p = two.iter().find(|p| p.indicator_id == "G17" && p.year == 2024).unwrap();
        assert!((p.projected_end.unwrap() - 60.0).abs() < 1e-9, "{p:?}");
        assert!((p.required_annual_change.unwrap() - 6.0).abs() < 1e-9);
        // Met: nothing more needed.
        let met = assess(&plan, &[obs("G17", &unit, 2024, 61.0, ObsKind::Current)], 2024).unwrap();
        assert_eq!(met.iter().find(|p| p.indicator_id == "G17" && p.year == 2024).unwrap().required_annual_change, None);
    }

    #[test]
    fn lead_units_figure_is_used_when_returns_disagree() {
        let plan = Plan::embedded().unwrap();
        // G25: 市民政局 leads, 市残联 co-responsible.
        let list = vec![obs("G25", "市残联", 2024, 97.0, ObsKind::Current), obs("G25", "市民政局", 2024, 100.0, ObsKind::Current)];
        let progress = assess(&plan, &list, 2024).unwrap();
        let p = progress.iter().find(|p| p.indicator_id == "G25" && p.year == 2024).unwrap();
        assert_eq!((p.value, p.department.as_str()), (Some(100.0), "市民政局"));
        assert!(p.note.contains("牵头单位市民政局"), "{}", p.note);
        // 本年值 beats the next year's 上年值 for the same year.
        let list = vec![obs("G17", "市民政局", 2023, 50.0, ObsKind::Previous), obs("G17", "市民政局", 2023, 49.0, ObsKind::Current)];
        let progress = assess(&plan, &list, 2023).unwrap();
        assert_eq!(progress.iter().find(|p| p.indicator_id == "G17" && p.year == 2023).unwrap().value, Some(49.0));
    }
}
