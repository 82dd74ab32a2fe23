//! Each indicator in each year judged by the method (`judge`): the figure used, its
//! line (序时进度), its status, its outlook; and the counts of statuses.

use serde::Serialize;

use super::judge::{self, Basis, Period, Status};
use crate::figures::{Figure, Figures};
use crate::plan::{Comparison, Indicator, Plan};

/// One indicator in one year: the figure used, the line, the verdict, the outlook.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorYear {
    pub indicator_id: String,
    pub year: i32,
    pub value: Option<f64>,
    /// The base-year value.
    pub baseline: Option<f64>,
    pub target: f64,
    /// 序时进度: the value the plan's line asks for in this year.
    pub expected: Option<f64>,
    pub status: Status,
    pub basis: Basis,
    pub ratio: Option<f64>,
    /// Straight-line trend to the plan's last year, within what the indicator can be.
    pub projected_end: Option<f64>,
    /// (target − latest figure) ÷ years left, when the target is not met yet.
    pub required_annual_change: Option<f64>,
    /// Where the figure used came from.
    pub source: Option<Figure>,
    /// How the status was reached, and where returns disagreed.
    pub note: String,
    /// An annual rate (to be reached every year): the plan's earlier years that missed
    /// it, with their figures. A year that reaches it after one of them is behind.
    pub missed_before: Vec<(i32, f64)>,
}

/// Indicators by status, in the order of `Status::ALL`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts(pub [usize; 7]);

impl StatusCounts {
    fn index(s: Status) -> usize {
        Status::ALL.iter().position(|x| *x == s).unwrap_or(0)
    }

    pub fn add(&mut self, s: Status) {
        self.0[Self::index(s)] += 1;
    }

    pub fn get(&self, s: Status) -> usize {
        self.0[Self::index(s)]
    }

    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }

    /// Met, ahead or on track.
    pub fn good(&self) -> usize {
        Status::ALL.iter().filter(|s| s.is_good()).map(|s| self.get(*s)).sum()
    }

    pub fn lagging(&self) -> usize {
        Status::ALL.iter().filter(|s| s.is_lagging()).map(|s| self.get(*s)).sum()
    }
}

/// One area in the reporting year: its 附件1 main indicators and its key tasks'
/// targets, each set counted by status and its lagging members named — a sentence
/// counts one set and lists the same set.
#[derive(Debug, Clone, Serialize)]
pub struct AreaSummary {
    pub area: String,
    pub goals: StatusCounts,
    /// Main indicators behind or seriously behind, in the table's order.
    pub goals_lagging: Vec<String>,
    pub targets: StatusCounts,
    pub targets_lagging: Vec<String>,
}

pub fn period(plan: &Plan) -> Period {
    Period { base_year: plan.baseline_year, start: plan.start, end: plan.end }
}

/// Judge every indicator in every year of the plan up to `year`.
pub fn progress(plan: &Plan, figures: &Figures, year: i32) -> Vec<IndicatorYear> {
    let period = period(plan);
    let years: Vec<i32> = (plan.start..=year.min(plan.end)).collect();
    let mut out = Vec::with_capacity(plan.indicators.len() * years.len());
    for ind in &plan.indicators {
        // The base value of the plan's own 附件1 when imported, else the units' figure.
        let baseline = ind.baseline.or_else(|| figures.get(&ind.id, plan.baseline_year).map(|f| f.value));
        let earliest = years.iter().find_map(|y| figures.get(&ind.id, *y).map(|f| (*y, f.value)));
        let first = out.len();
        // An annual rate is to be reached every year: the plan's years so far that missed.
        let mut missed: Vec<(i32, f64)> = Vec::new();
        for &y in &years {
            let source = figures.get(&ind.id, y).cloned();
            let facts = judge::Facts { year: y, value: source.as_ref().map(|f| f.value), baseline, earliest };
            let mut v = judge::judge(ind, &plan.rules.status, &period, &facts);
            let missed_before = missed.clone();
            if ind.comparison == Comparison::AnnualRate {
                if v.status == Status::Met && !missed.is_empty() {
                    let years: Vec<String> = missed.iter().map(|(y, x)| format!("{y}年{x}{}", ind.unit)).collect();
                    v.status = Status::Behind;
                    v.note = format!("本年达到目标，但{}未达到（方案要求每年达到）", years.join("、"));
                }
                if let Some(x) = facts.value.filter(|x| !judge::reaches(ind.comparison, *x, ind.target, &plan.rules.status)) {
                    missed.push((y, x));
                }
            }
            let mut note = v.note;
            if source.as_ref().is_some_and(|f| f.provisional) {
                add_note(&mut note, "填报的是预计数");
            }
            if let Some(c) = figures.conflict(&ind.id, y) {
                let whose = if c.used.department == ind.lead_unit() {
                    format!("牵头单位{}", c.used.department)
                } else {
                    c.used.department.clone()
                };
                add_note(&mut note, &format!("有{}个不一致的填报值，采用{whose}的数据", c.distinct));
            }
            out.push(IndicatorYear {
                indicator_id: ind.id.clone(),
                year: y,
                value: facts.value,
                baseline,
                target: ind.target,
                expected: v.expected,
                status: v.status,
                basis: v.basis,
                ratio: v.ratio,
                projected_end: None,
                required_annual_change: None,
                source,
                note,
                missed_before,
            });
        }
        outlook(plan, ind, &mut out[first..]);
    }
    out
}

fn add_note(note: &mut String, text: &str) {
    if !note.is_empty() {
        note.push('；');
    }
    note.push_str(text);
}

/// With two or more years of data (the baseline counts; a cumulative series starts
/// from 0 in the base year): a straight-line trend to the plan's end, kept within what
/// the indicator can be (its plausible range in rules.toml: no negative counts, no
/// share over 100 %); and the yearly change still needed from the latest figure.
fn outlook(plan: &Plan, ind: &Indicator, years: &mut [IndicatorYear]) {
    // Levels have no trend to extend; small counts are done or not by their year.
    if matches!(ind.comparison, Comparison::Hold | Comparison::AnnualRate) || judge::is_small_count(ind, &plan.rules.status) {
        return;
    }
    let end = plan.end;
    let range = plan.range_for(ind).map(|r| (r.min, r.max));
    for k in 0..years.len() {
        let year = years[k].year;
        let mut points: Vec<(f64, f64)> = Vec::new();
        match (ind.comparison, years[k].baseline) {
            (Comparison::Cumulative, _) => points.push((plan.baseline_year as f64, 0.0)),
            (_, Some(b)) => points.push((plan.baseline_year as f64, b)),
            _ => {}
        }
        points.extend(years[..=k].iter().filter_map(|p| p.value.map(|v| (p.year as f64, v))));
        let Some(&(last_year, last)) = points.last() else { continue };
        if points.len() >= 2 {
            let n = points.len() as f64;
            let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
            let my = points.iter().map(|p| p.1).sum::<f64>() / n;
            let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
            let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
            if sxx > 0.0 {
                let slope = sxy / sxx;
                let mut projected = if last_year as i32 == end { last } else { last + slope * (end as f64 - last_year) };
                if ind.comparison == Comparison::Cumulative {
                    // A total to date never falls.
                    projected = projected.max(last);
                }
                if let Some((lo, hi)) = range {
                    projected = projected.clamp(lo, hi);
                }
                years[k].projected_end = Some(projected);
            }
        }
        if years[k].projected_end.is_none() && years[k].value.is_some() && year < end {
            add_note(&mut years[k].note, "数据不足两年，未作趋势推算");
        }
        let remaining = (end - year) as f64;
        let met = if ind.comparison.lower_is_better() { last <= ind.target } else { last >= ind.target };
        if remaining > 0.0 && !met && last_year as i32 == year {
            years[k].required_annual_change = Some((ind.target - last) / remaining);
        }
    }
}
