//! 终期评估: at the plan's end, whether each target was met over the whole period.
//!
//! An indicator is 已完成, 基本完成 or 未完成 by its completion rate (完成率), defined
//! per kind of indicator (README, 判定方法 › 终期评估):
//! - at least, hold, cumulative: final value ÷ target (shown as is, above 100 % too);
//! - at most: a limit kept is 100 %; above it, target ÷ value (how far it is over);
//! - annual rate: years the rate was met ÷ years reported, with the average over them;
//! - small counts (a target of a few items): done or not done — no 基本完成;
//! - a base already past the target: met when the final value still is;
//! - a final value worse than the base is never 基本完成 (it moved away from the target):
//!   short of the target it is 未完成, whatever its rate.
//!
//! 100 % or more (within the rules' tolerance) is 已完成; at least `nearly_completed`
//! (rules.toml) is 基本完成; less is 未完成; no figure for the last year is 无数据.

use serde::Serialize;

use super::judge::{is_small_count, reaches};
use super::{IndicatorYear, ProjectProgress};
use crate::plan::{Comparison, Indicator, IndicatorKind, Plan, StatusRules};
use crate::read::{Observation, WorkReport};

/// An indicator's outcome over the plan period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Outcome {
    Completed,
    NearlyCompleted,
    NotCompleted,
    NoData,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [Outcome::Completed, Outcome::NearlyCompleted, Outcome::NotCompleted, Outcome::NoData];

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Completed => "已完成",
            Outcome::NearlyCompleted => "基本完成",
            Outcome::NotCompleted => "未完成",
            Outcome::NoData => "无数据",
        }
    }

    /// Met in full.
    pub fn met(self) -> bool {
        self == Outcome::Completed
    }
}

/// Counts by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OutcomeCounts(pub [usize; 4]);

impl OutcomeCounts {
    pub fn add(&mut self, o: Outcome) {
        self.0[o as usize] += 1;
    }
    pub fn get(&self, o: Outcome) -> usize {
        self.0[o as usize]
    }
    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }
}

/// One indicator over the whole period.
#[derive(Debug, Clone, Serialize)]
pub struct FinalIndicator {
    pub indicator_id: String,
    /// The base value (基期值) and each plan year's figure, first to last.
    pub base: Option<f64>,
    pub values: Vec<(i32, Option<f64>)>,
    /// The figure of the plan's last year.
    pub final_value: Option<f64>,
    /// 完成率, as a share (1.0 = 100 %); for an annual rate the share of years met.
    pub rate: Option<f64>,
    pub outcome: Outcome,
    /// An annual rate: (years met, years with a figure), the years it was missed, and
    /// the average rate.
    pub years_met: Option<(usize, usize)>,
    pub years_missed: Vec<i32>,
    pub average: Option<f64>,
    /// The final value is worse than the base value.
    pub below_base: bool,
    /// A small count target, done or not done.
    pub small: bool,
    /// Not met: what the units wrote of why, lead unit first; empty when none wrote
    /// anything (the report then names the lead unit as owing it).
    pub reasons: Vec<Reason>,
}

/// A unit's words on why a target was not met.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub unit: String,
    pub text: String,
    pub source: ReasonSource,
}

/// Where a reason was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ReasonSource {
    /// The indicator's own 未完成原因及下一步措施, on the row of the figure at `cell`.
    Stated { file: String, sheet: String, cell: String },
    /// No reason for the indicator: the 存在问题 the unit wrote for its area in the last
    /// year's 工作进展 (quoted as that, not as a reason for this indicator).
    AreaProblems { area: String, year: i32, file: String, sheet: String, cell: String },
}

impl Reason {
    pub fn stated(&self) -> bool {
        matches!(self.source, ReasonSource::Stated { .. })
    }
}

/// The plan's final evaluation: every indicator, and the lists the report names.
#[derive(Debug, Clone, Serialize)]
pub struct FinalEvaluation {
    pub indicators: Vec<FinalIndicator>,
    /// Main indicators (主要指标) by outcome: overall and per area (areas in plan order).
    pub goals: OutcomeCounts,
    pub targets: OutcomeCounts,
    pub areas: Vec<(String, OutcomeCounts)>,
    /// Indicators not met in full (基本完成, 未完成), in plan order.
    pub not_met: Vec<String>,
    /// Indicators whose final value is worse than their base.
    pub below_base: Vec<String>,
    /// Annual-rate targets missed in more years than met.
    pub rates_missed: Vec<String>,
    /// Indicators with no figure for the last year.
    pub no_data: Vec<String>,
    /// Projects reported but not finished at the plan's end, in plan order.
    pub unfinished_projects: Vec<String>,
}

impl FinalEvaluation {
    pub fn of(&self, indicator_id: &str) -> Option<&FinalIndicator> {
        self.indicators.iter().find(|f| f.indicator_id == indicator_id)
    }
}

/// The outcome of one completion rate.
fn outcome_of(rate: f64, rules: &StatusRules, done_or_not: bool) -> Outcome {
    if rate >= 1.0 - rules.tolerance {
        Outcome::Completed
    } else if !done_or_not && rate >= rules.nearly_completed - rules.tolerance {
        Outcome::NearlyCompleted
    } else {
        Outcome::NotCompleted
    }
}

/// 完成率 and outcome of `ind` from its figures over the period (`values`, plan years)
/// and its base.
pub fn complete(ind: &Indicator, rules: &StatusRules, base: Option<f64>, values: &[(i32, Option<f64>)]) -> FinalIndicator {
    let final_value = values.last().and_then(|(_, v)| *v);
    let mut out = FinalIndicator {
        indicator_id: ind.id.clone(),
        base,
        values: values.to_vec(),
        final_value,
        rate: None,
        outcome: Outcome::NoData,
        years_met: None,
        years_missed: Vec::new(),
        average: None,
        below_base: false,
        small: is_small_count(ind, rules),
        reasons: Vec::new(),
    };
    if ind.comparison == Comparison::AnnualRate {
        let reported: Vec<f64> = values.iter().filter_map(|(_, v)| *v).collect();
        if final_value.is_none() || reported.is_empty() {
            return out;
        }
        let met = reported.iter().filter(|v| reaches(ind.comparison, **v, ind.target, rules)).count();
        let rate = met as f64 / reported.len() as f64;
        out.years_met = Some((met, reported.len()));
        out.years_missed =
            values.iter().filter(|(_, v)| v.is_some_and(|v| !reaches(ind.comparison, v, ind.target, rules))).map(|(y, _)| *y).collect();
        out.average = Some(reported.iter().sum::<f64>() / reported.len() as f64);
        out.rate = Some(rate);
        out.outcome = outcome_of(rate, rules, false);
        return out;
    }
    let Some(v) = final_value else { return out };
    let rate = match ind.comparison {
        Comparison::AtMost if reaches(ind.comparison, v, ind.target, rules) => 1.0,
        Comparison::AtMost if v > 0.0 => ind.target / v,
        Comparison::AtMost => 1.0,
        _ if reaches(ind.comparison, v, ind.target, rules) => (v / ind.target).max(1.0),
        _ if ind.target.abs() > 0.0 => v / ind.target,
        _ => 0.0,
    };
    out.rate = Some(rate);
    out.outcome = outcome_of(rate, rules, is_small_count(ind, rules));
    out.below_base = ind.comparison != Comparison::Cumulative && base.is_some_and(|b| !reaches(ind.comparison, v, b, rules));
    // An indicator that ended worse than it began did not nearly reach its target: it
    // moved away from it (a base already past the target is met while the final value
    // still is, and stays 已完成).
    if out.below_base && out.outcome == Outcome::NearlyCompleted {
        out.outcome = Outcome::NotCompleted;
    }
    out
}

/// Why `ind` was not met, in the units' words: each unit's 未完成原因及下一步措施 for it
/// in the last year's return (lead unit first); else the lead unit's 存在问题 for the
/// indicator's area that year.
fn reasons(plan: &Plan, ind: &Indicator, observations: &[Observation], works: &[WorkReport]) -> Vec<Reason> {
    let lead = ind.lead_unit();
    let mut stated: Vec<Reason> = Vec::new();
    for o in observations
        .iter()
        .filter(|o| *o.indicator_id == *ind.id && o.year == plan.end && o.return_year == plan.end && !o.reason.trim().is_empty())
    {
        if stated.iter().any(|r| r.unit == *o.department) {
            continue;
        }
        stated.push(Reason {
            unit: o.department.to_string(),
            text: o.reason.trim().to_string(),
            source: ReasonSource::Stated { file: o.file.to_string(), sheet: o.sheet.to_string(), cell: o.cell.clone() },
        });
    }
    stated.sort_by_key(|r| r.unit != lead);
    if !stated.is_empty() {
        return stated;
    }
    works
        .iter()
        .filter(|w| w.department == lead && w.area == ind.area && w.year == plan.end && !w.problems.trim().is_empty())
        .take(1)
        .map(|w| Reason {
            unit: lead.to_string(),
            text: w.problems.trim().to_string(),
            source: ReasonSource::AreaProblems {
                area: w.area.clone(),
                year: w.year,
                file: w.file.clone(),
                sheet: w.sheet.clone(),
                cell: w.cell.clone(),
            },
        })
        .collect()
}

/// The final evaluation of the plan from the years judged (`progress`), the figures read
/// (`observations`, for the reasons written beside them) and the units' 工作进展 of the
/// last year (`works`, for a reason where none is written beside the figure). `index`
/// is the assessment's position of each (indicator, year) in `progress`.
pub fn evaluate(
    plan: &Plan,
    progress: &[IndicatorYear],
    index: &std::collections::HashMap<(String, i32), usize>,
    projects: &[ProjectProgress],
    observations: &[Observation],
    works: &[WorkReport],
) -> FinalEvaluation {
    let rules = &plan.rules.status;
    let mut eval = FinalEvaluation {
        indicators: Vec::new(),
        goals: OutcomeCounts::default(),
        targets: OutcomeCounts::default(),
        areas: Vec::new(),
        not_met: Vec::new(),
        below_base: Vec::new(),
        rates_missed: Vec::new(),
        no_data: Vec::new(),
        unfinished_projects: projects.iter().filter(|p| p.state.is_some() && !p.finished()).map(|p| p.project_id.clone()).collect(),
    };
    for area in plan.areas() {
        eval.areas.push((area.clone(), OutcomeCounts::default()));
    }
    for ind in &plan.indicators {
        let year_of = |y: i32| index.get(&(ind.id.clone(), y)).map(|&k| &progress[k]);
        let values: Vec<(i32, Option<f64>)> = (plan.start..=plan.end).map(|y| (y, year_of(y).and_then(|p| p.value))).collect();
        let base = ind.baseline.or_else(|| year_of(plan.end).and_then(|p| p.baseline));
        let mut f = complete(ind, rules, base, &values);
        if !f.outcome.met() && f.outcome != Outcome::NoData {
            f.reasons = reasons(plan, ind, observations, works);
            eval.not_met.push(ind.id.clone());
        }
        if f.outcome == Outcome::NoData {
            eval.no_data.push(ind.id.clone());
        }
        if f.below_base {
            eval.below_base.push(ind.id.clone());
        }
        if f.years_met.is_some_and(|(met, n)| met * 2 < n) {
            eval.rates_missed.push(ind.id.clone());
        }
        match ind.kind {
            IndicatorKind::Goal => {
                eval.goals.add(f.outcome);
                if let Some((_, c)) = eval.areas.iter_mut().find(|(a, _)| *a == ind.area) {
                    c.add(f.outcome);
                }
            }
            IndicatorKind::Task => eval.targets.add(f.outcome),
        }
        eval.indicators.push(f);
    }
    eval
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indicator(comparison: Comparison, unit: &str, target: f64) -> Indicator {
        let plan = Plan::embedded().unwrap();
        let mut i = plan.indicators[0].clone();
        i.comparison = comparison;
        i.unit = unit.into();
        i.target = target;
        i
    }

    fn years(v: &[Option<f64>]) -> Vec<(i32, Option<f64>)> {
        v.iter().enumerate().map(|(k, v)| (2023 + k as i32, *v)).collect()
    }

    fn rules() -> StatusRules {
        Plan::embedded().unwrap().rules.status
    }

    #[test]
    fn at_least_is_value_over_target_shown_as_is() {
        let i = indicator(Comparison::AtLeast, "%", 94.0);
        let f = complete(&i, &rules(), Some(86.0), &years(&[Some(89.0), Some(90.0), Some(87.6)]));
        assert!((f.rate.unwrap() - 87.6 / 94.0).abs() < 1e-12);
        assert_eq!(f.outcome, Outcome::NearlyCompleted, "87.6 ÷ 94 = 93.2 %, at least 90 %");
        let f = complete(&i, &rules(), Some(88.0), &years(&[Some(89.0), Some(90.0), Some(84.0)]));
        assert_eq!(f.outcome, Outcome::NotCompleted, "84 ÷ 94 = 89.4 %");
    }

    #[test]
    fn ending_below_the_base_is_not_completed_whatever_the_rate() {
        let i = indicator(Comparison::AtLeast, "%", 95.0);
        let f = complete(&i, &rules(), Some(91.1), &years(&[Some(89.8), Some(88.4), Some(87.1)]));
        assert!((f.rate.unwrap() - 87.1 / 95.0).abs() < 1e-12, "91.7 % shown as is");
        assert!(f.below_base);
        assert_eq!(f.outcome, Outcome::NotCompleted, "fell every year: not 基本完成");
        let i = indicator(Comparison::AtMost, "‰", 3.5);
        let f = complete(&i, &rules(), Some(3.6), &years(&[Some(3.7), Some(3.8), Some(3.7)]));
        assert_eq!(f.outcome, Outcome::NotCompleted, "a limit exceeded by more than at the start");
    }

    #[test]
    fn at_least_over_the_target_is_completed_and_shown_above_100() {
        let i = indicator(Comparison::AtLeast, "%", 80.0);
        let f = complete(&i, &rules(), Some(70.0), &years(&[Some(75.0), Some(78.0), Some(88.0)]));
        assert!((f.rate.unwrap() - 1.1).abs() < 1e-12);
        assert_eq!(f.outcome, Outcome::Completed);
        let f = complete(&i, &rules(), Some(70.0), &years(&[Some(75.0), Some(78.0), Some(72.5)]));
        assert_eq!(f.outcome, Outcome::NearlyCompleted, "72.5 ÷ 80 = 90.6 %");
    }

    #[test]
    fn at_most_kept_is_100_and_over_it_says_how_far() {
        let i = indicator(Comparison::AtMost, "‰", 3.5);
        let f = complete(&i, &rules(), Some(5.0), &years(&[Some(4.2), Some(3.7), Some(3.4)]));
        assert_eq!((f.rate, f.outcome), (Some(1.0), Outcome::Completed));
        let f = complete(&i, &rules(), Some(5.0), &years(&[Some(4.2), Some(3.9), Some(3.7)]));
        assert!((f.rate.unwrap() - 3.5 / 3.7).abs() < 1e-12, "94.6 %");
        assert_eq!(f.outcome, Outcome::NearlyCompleted);
    }

    #[test]
    fn hold_is_value_over_the_level() {
        let i = indicator(Comparison::Hold, "%", 100.0);
        let f = complete(&i, &rules(), Some(99.0), &years(&[Some(99.0), Some(99.5), Some(99.2)]));
        assert!((f.rate.unwrap() - 0.992).abs() < 1e-12);
        assert_eq!(f.outcome, Outcome::NearlyCompleted);
        // Slipping below the level it started from is not holding it.
        let f = complete(&i, &rules(), Some(100.0), &years(&[Some(100.0), Some(100.0), Some(98.6)]));
        assert!((f.rate.unwrap() - 0.986).abs() < 1e-12);
        assert!(f.below_base, "ended below its base of 100");
        assert_eq!(f.outcome, Outcome::NotCompleted);
    }

    #[test]
    fn cumulative_is_done_over_planned_and_never_below_base() {
        let i = indicator(Comparison::Cumulative, "套", 4353.0);
        let f = complete(&i, &rules(), Some(5000.0), &years(&[Some(1500.0), Some(2948.0), Some(4341.0)]));
        assert!((f.rate.unwrap() - 4341.0 / 4353.0).abs() < 1e-12);
        assert_eq!(f.outcome, Outcome::NearlyCompleted);
        assert!(!f.below_base, "a cumulative count has no base to fall below");
    }

    #[test]
    fn annual_rate_counts_the_years_met_and_gives_the_average() {
        let i = indicator(Comparison::AnnualRate, "%", 8.0);
        let f = complete(&i, &rules(), None, &years(&[Some(7.8), Some(8.4), Some(7.9)]));
        assert_eq!(f.years_met, Some((1, 3)));
        assert_eq!(f.years_missed, [2023, 2025]);
        assert!((f.average.unwrap() - (7.8 + 8.4 + 7.9) / 3.0).abs() < 1e-12);
        assert!((f.rate.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(f.outcome, Outcome::NotCompleted);
        let f = complete(&i, &rules(), None, &years(&[Some(8.1), Some(8.4), Some(8.0)]));
        assert_eq!((f.years_met, f.outcome), (Some((3, 3)), Outcome::Completed));
    }

    #[test]
    fn small_counts_are_done_or_not_done() {
        let i = indicator(Comparison::Cumulative, "个", 2.0);
        let f = complete(&i, &rules(), None, &years(&[Some(0.0), Some(1.0), Some(1.0)]));
        assert_eq!((f.rate, f.outcome), (Some(0.5), Outcome::NotCompleted));
        let i = indicator(Comparison::AtLeast, "个", 10.0);
        let f = complete(&i, &rules(), None, &years(&[None, None, Some(9.5)]));
        assert_eq!(f.outcome, Outcome::NearlyCompleted, "not a small count: 95 %");
    }

    #[test]
    fn a_base_past_the_target_is_met_while_the_final_value_still_is() {
        let i = indicator(Comparison::AtLeast, "%", 80.0);
        let f = complete(&i, &rules(), Some(85.0), &years(&[Some(84.0), Some(83.0), Some(82.0)]));
        assert_eq!(f.outcome, Outcome::Completed);
        assert!(f.below_base, "but it ended below its base, which the report says");
    }

    #[test]
    fn no_figure_in_the_last_year_is_no_data() {
        let i = indicator(Comparison::AtLeast, "%", 80.0);
        let f = complete(&i, &rules(), Some(70.0), &years(&[Some(75.0), Some(79.0), None]));
        assert_eq!((f.rate, f.outcome), (None, Outcome::NoData));
    }

    fn stated(unit: &str, id: &str, reason: &str) -> Observation {
        Observation {
            file: format!("{unit}_2025年度填报表.xlsx").into(),
            sheet: "指标填报".into(),
            cell: "H5".into(),
            department: unit.into(),
            year: 2025,
            indicator_id: id.into(),
            indicator_name: id.into(),
            raw: "80".into(),
            value: Some(80.0),
            unit: "%".into(),
            kind: crate::read::ObsKind::Current,
            remark: String::new(),
            reason: reason.into(),
            reason_cell: String::new(),
            return_year: 2025,
            provisional: false,
            correction: false,
            secondary: false,
            no_value: None,
        }
    }

    #[test]
    fn reasons_are_the_units_own_words_lead_first_else_its_area_problems_else_none() {
        let plan = Plan::embedded().unwrap();
        let ind = plan.indicators.iter().find(|i| i.responsible.len() > 1).unwrap().clone();
        let (lead, other) = (ind.responsible[0].clone(), ind.responsible[1].clone());
        let obs =
            vec![stated(&other, &ind.id, "配合单位的说明"), stated(&lead, &ind.id, " 牵头单位的说明 "), stated(&lead, "X99", "别的指标")];
        let work = WorkReport {
            department: lead.clone(),
            year: 2025,
            area: ind.area.clone(),
            work: "做了工作".into(),
            problems: "资金不足".into(),
            next: String::new(),
            file: "f.xlsx".into(),
            sheet: "工作进展".into(),
            cell: "A4".into(),
        };
        let r = reasons(&plan, &ind, &obs, std::slice::from_ref(&work));
        assert_eq!(
            r.iter().map(|r| (r.unit.as_str(), r.text.as_str())).collect::<Vec<_>>(),
            [(lead.as_str(), "牵头单位的说明"), (other.as_str(), "配合单位的说明")]
        );
        assert!(r.iter().all(Reason::stated));
        // No reason beside the figures: the lead unit's 存在问题 for the area, said to be that.
        let r = reasons(&plan, &ind, &obs[2..], std::slice::from_ref(&work));
        assert_eq!(r.len(), 1);
        assert!(matches!(&r[0].source, ReasonSource::AreaProblems { area, year: 2025, .. } if *area == ind.area));
        assert_eq!(r[0].text, "资金不足");
        // An earlier year's return or problems of another year are not the reason.
        let mut old = stated(&lead, &ind.id, "旧的说明");
        old.year = 2024;
        old.return_year = 2024;
        let earlier = WorkReport { year: 2024, ..work };
        assert!(reasons(&plan, &ind, &[old], &[earlier]).is_empty());
    }
}
