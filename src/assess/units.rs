//! The responsible units: what each owes and sent (returns by year, on time or late),
//! and everything its feedback sheet says — each indicator with the figure *this unit*
//! reported beside the one used (and whose it is), its problems, what it did not send,
//! its earlier problems followed up, and whether it must send its return again.

use std::collections::HashMap;

use serde::Serialize;

use super::changes::FollowUp;
use super::final_eval::{FinalEvaluation, OutcomeCounts};
use super::indicators::{IndicatorYear, StatusCounts};
use super::judge::Status;
use super::works::AreaWork;
use crate::figures::ReturnStatus;
use crate::finding::{Code, Finding, Severity};
use crate::plan::{Indicator, Plan};
use crate::read::{ObsKind, Observation};

/// One responsible unit: what it owes and what it sent.
#[derive(Debug, Clone, Serialize)]
pub struct UnitSummary {
    pub unit: String,
    /// Indicators it leads, and of those with a figure in the reporting year.
    pub indicators: usize,
    pub reported: usize,
    /// Of those it leads, by status in the reporting year.
    pub counts: StatusCounts,
    /// At the plan's end: of those it leads, by outcome over the period.
    pub outcomes: Option<OutcomeCounts>,
    pub returns_expected: usize,
    pub returns_received: usize,
    pub on_time: usize,
    pub late: usize,
    /// Returns without a 填报日期.
    pub undated: usize,
    /// Returns whose 填报日期 is after the 成文日期 and that cannot be said on time or
    /// late (see `ReturnStatus::misdated`).
    pub misdated: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl UnitSummary {
    /// Share of owed figures that were reported, in percent.
    /// None for a unit that leads no indicator (a rate of nothing is not 100 %).
    pub fn reporting_rate(&self) -> Option<f64> {
        (self.indicators > 0).then(|| self.reported as f64 * 100.0 / self.indicators as f64)
    }
}

/// One row of a unit's feedback sheet: an indicator it is responsible for.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackRow {
    pub indicator_id: String,
    /// The unit leads this indicator.
    pub lead: bool,
    /// What this unit reported for the reporting year in its own return (None: it
    /// reported no figure — “/” for an indicator it only supports, or nothing).
    pub own_value: Option<f64>,
    /// The figure used in the assessment, and whose it is.
    pub value: Option<f64>,
    pub used_by: String,
    pub expected: Option<f64>,
    pub status: Status,
    /// The unit's remark on the row, as written.
    pub remark: String,
}

impl FeedbackRow {
    /// Whether the figure used is to be shown beside the unit's own: it is another
    /// unit's, or another figure than the unit reported.
    pub fn shows_used(&self, unit: &str) -> bool {
        self.value.is_some() && (self.used_by != unit || self.own_value != self.value)
    }
}

/// Everything a unit's feedback sheet says.
#[derive(Debug, Clone, Serialize)]
pub struct UnitFeedback {
    pub unit: String,
    pub received: bool,
    /// The reporting year's return came after the deadline: its 填报日期.
    pub late: Option<String>,
    pub rows: Vec<FeedbackRow>,
    /// Problems in what the unit sent, to correct.
    pub findings: Vec<Finding>,
    /// What the unit did not send: returns, figures, projects (findings), and the areas
    /// it wrote no 工作进展 for.
    pub missing: Vec<Finding>,
    pub missing_works: Vec<String>,
    /// At the plan's end: the indicators it leads that were not met and for which it
    /// gave no 未完成原因及下一步措施.
    pub missing_reasons: Vec<String>,
    /// The problems of its previous (different) return, fixed or not.
    pub followup: Option<FollowUp>,
    /// It must send its return again (not received, something missing, or a problem
    /// to correct), and why not when it need not.
    pub resend: bool,
    /// Whether what is to be sent again must change (an error, something missing), or
    /// only warnings are to be checked (resend only if the check changes a figure).
    pub must_correct: bool,
}

/// Every responsible unit's summary, from the returns, the progress and the findings.
pub fn summaries(
    plan: &Plan,
    progress: &HashMap<String, &IndicatorYear>,
    returns: &[ReturnStatus],
    findings: &[Finding],
    final_eval: Option<&FinalEvaluation>,
) -> Vec<UnitSummary> {
    let status_of = |id: &str| progress.get(id).map_or(Status::NoData, |p| p.status);
    let led = plan.indicators_by_lead();
    let returns_of = by_unit(returns.iter().map(|r| (r.unit.as_str(), r)));
    let mut problems: HashMap<&str, (usize, usize)> = HashMap::new();
    for f in findings {
        let counts = problems.entry(f.department.as_str()).or_default();
        match f.severity {
            Severity::Error => counts.0 += 1,
            Severity::Warning => counts.1 += 1,
            Severity::Info => {}
        }
    }
    plan.reporting_units()
        .into_iter()
        .map(|u| {
            let leads: &[&Indicator] = led.get(u.name.as_str()).map(Vec::as_slice).unwrap_or_default();
            let mut counts = StatusCounts::default();
            for i in leads {
                counts.add(status_of(&i.id));
            }
            let outcomes = final_eval.map(|e| {
                let mut c = OutcomeCounts::default();
                for f in leads.iter().filter_map(|i| e.of(&i.id)) {
                    c.add(f.outcome);
                }
                c
            });
            let own: &[&ReturnStatus] = returns_of.get(u.name.as_str()).map(Vec::as_slice).unwrap_or_default();
            let (errors, warnings) = problems.get(u.name.as_str()).copied().unwrap_or_default();
            UnitSummary {
                unit: u.name.clone(),
                indicators: leads.len(),
                reported: leads.iter().filter(|i| progress.get(&i.id).is_some_and(|p| p.value.is_some())).count(),
                counts,
                outcomes,
                returns_expected: own.len(),
                returns_received: own.iter().filter(|r| r.received()).count(),
                on_time: own.iter().filter(|r| r.on_time == Some(true)).count(),
                late: own.iter().filter(|r| r.late()).count(),
                undated: own.iter().filter(|r| r.received() && r.filled_date.is_none()).count(),
                misdated: own.iter().filter(|r| r.received() && r.misdated && r.on_time.is_none()).count(),
                errors,
                warnings,
            }
        })
        .collect()
}

/// Every responsible unit's feedback sheet. A unit's own figure is what it reported in
/// its own return for the year (not a later return's restatement, not another unit's
/// file); the figure used may be another unit's, and the row says whose.
#[allow(clippy::too_many_arguments)]
pub fn feedback(
    plan: &Plan,
    year: i32,
    progress: &HashMap<String, &IndicatorYear>,
    observations: &[Observation],
    returns: &[ReturnStatus],
    works: &[AreaWork],
    findings: &[Finding],
    followups: &HashMap<String, FollowUp>,
    final_eval: Option<&FinalEvaluation>,
) -> Vec<UnitFeedback> {
    // The unit's own figures of the year, looked up once.
    let mut own: HashMap<(&str, &str), &Observation> = HashMap::new();
    let mut remarks: HashMap<(&str, &str), &str> = HashMap::new();
    for o in observations.iter().filter(|o| o.year == year && o.kind == ObsKind::Current && !o.restated() && !o.secondary) {
        if o.value.is_some() {
            own.entry((&o.department, &o.indicator_id)).or_insert(o);
        }
        if !o.remark.is_empty() {
            remarks.entry((&o.department, &o.indicator_id)).or_insert(&o.remark);
        }
    }
    let mut responsible: HashMap<&str, Vec<&Indicator>> = HashMap::new();
    for i in &plan.indicators {
        for unit in &i.responsible {
            let list = responsible.entry(unit.as_str()).or_default();
            if !list.last().is_some_and(|last| std::ptr::eq(*last, i)) {
                list.push(i);
            }
        }
    }
    let findings_of = by_unit(findings.iter().map(|f| (f.department.as_str(), f)));
    let return_of: HashMap<&str, &ReturnStatus> = returns.iter().rev().filter(|r| r.year == year).map(|r| (r.unit.as_str(), r)).collect();
    let owed = Owed::new(plan, works, final_eval);
    plan.reporting_units()
        .into_iter()
        .map(|u| {
            let rows = responsible
                .get(u.name.as_str())
                .into_iter()
                .flatten()
                .map(|i| {
                    let p = progress.get(&i.id);
                    FeedbackRow {
                        indicator_id: i.id.clone(),
                        lead: i.lead_unit() == u.name,
                        own_value: own.get(&(u.name.as_str(), i.id.as_str())).and_then(|o| o.value),
                        value: p.and_then(|p| p.value),
                        used_by: p.and_then(|p| p.source.as_ref()).map(|s| s.department.clone()).unwrap_or_default(),
                        expected: p.and_then(|p| p.expected),
                        status: p.map_or(Status::NoData, |p| p.status),
                        remark: remarks.get(&(u.name.as_str(), i.id.as_str())).map(|r| r.to_string()).unwrap_or_default(),
                    }
                })
                .collect();
            // (The texts owed are findings too, listed below as missing_works and
            // missing_reasons, not a second time among the others.)
            let (missing, problems): (Vec<Finding>, Vec<Finding>) = findings_of
                .get(u.name.as_str())
                .into_iter()
                .flatten()
                .filter(|f| !f.code.is_missing_text())
                .map(|f| (*f).clone())
                .partition(|f| f.code.is_missing());
            let this_year = return_of.get(u.name.as_str()).copied();
            let received = this_year.is_some_and(|r| r.received());
            let (missing_works, missing_reasons) = if received { owed.of(&u.name) } else { (Vec::new(), Vec::new()) };
            let owes = !missing.is_empty() || !missing_works.is_empty() || !missing_reasons.is_empty();
            let errors = problems.iter().any(|f| f.severity == Severity::Error);
            let to_verify = problems.iter().any(|f| f.severity == Severity::Warning);
            UnitFeedback {
                unit: u.name.clone(),
                received,
                late: this_year.filter(|r| r.late()).and_then(|r| r.filled_date.clone()),
                rows,
                must_correct: !received || owes || errors,
                resend: !received || owes || errors || to_verify,
                findings: problems,
                missing,
                missing_works,
                missing_reasons,
                followup: followups.get(&u.name).cloned(),
            }
        })
        .collect()
}

/// What a unit whose return came did not write: the areas it works in with no 工作进展,
/// and at the plan's end the unmet indicators it leads with no 未完成原因 of its own.
/// The one owner of both lists (the feedback sheet's and the findings').
struct Owed<'a> {
    /// The areas each unit works in and wrote no 工作进展 for, in the plan's order.
    works: HashMap<&'a str, Vec<&'a str>>,
    /// The unmet indicators each unit leads with no reason of its own, in plan order.
    reasons: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> Owed<'a> {
    fn new(plan: &'a Plan, works: &'a [AreaWork], final_eval: Option<&'a FinalEvaluation>) -> Owed<'a> {
        let mut silent: HashMap<&str, Vec<&str>> = HashMap::new();
        for w in works {
            for unit in &w.silent {
                let areas = silent.entry(unit.as_str()).or_default();
                if areas.last() != Some(&w.area.as_str()) {
                    areas.push(&w.area);
                }
            }
        }
        let mut reasons: HashMap<&str, Vec<&str>> = HashMap::new();
        if let Some(e) = final_eval {
            for id in &e.not_met {
                let Some(lead) = plan.indicator(id).map(Indicator::lead_unit) else { continue };
                if e.of(id).is_some_and(|f| !f.reasons.iter().any(|r| r.stated() && r.unit == lead)) {
                    reasons.entry(lead).or_default().push(id);
                }
            }
        }
        Owed { works: silent, reasons }
    }

    fn of(&self, unit: &str) -> (Vec<String>, Vec<String>) {
        let list = |m: &HashMap<&str, Vec<&str>>| m.get(unit).into_iter().flatten().map(|s| s.to_string()).collect();
        (list(&self.works), list(&self.reasons))
    }
}

/// Items grouped by their unit, each unit's in their order.
fn by_unit<'a, T>(items: impl Iterator<Item = (&'a str, T)>) -> HashMap<&'a str, Vec<T>> {
    let mut out: HashMap<&str, Vec<T>> = HashMap::new();
    for (unit, item) in items {
        out.entry(unit).or_default().push(item);
    }
    out
}

/// The texts owed as findings (warnings, on the unit's return of the year; a missing
/// reason on its cell of the figure's row), so that findings.csv and
/// the workbook list everything a feedback sheet asks for.
pub fn owed_findings(
    plan: &Plan,
    year: i32,
    returns: &[ReturnStatus],
    works: &[AreaWork],
    final_eval: Option<&FinalEvaluation>,
    observations: &[Observation],
    files: &[crate::read::InputFile],
) -> Vec<Finding> {
    let mut out = Vec::new();
    let owed = Owed::new(plan, works, final_eval);
    let position: HashMap<&str, usize> = files.iter().enumerate().rev().map(|(k, f)| (f.file.as_str(), k)).collect();
    let mut figures: HashMap<(&str, &str), Vec<&Observation>> = HashMap::new();
    for o in observations.iter().filter(|o| o.year == year && o.value.is_some()) {
        figures.entry((&o.indicator_id, &o.department)).or_default().push(o);
    }
    for r in returns.iter().filter(|r| r.year == year && r.received()) {
        let file = r.files.first().map(String::as_str).unwrap_or_default();
        let (areas, reasons) = owed.of(&r.unit);
        // The return's files, in the order they were read.
        let mut read: Vec<usize> = r.files.iter().filter_map(|f| position.get(f.as_str()).copied()).collect();
        read.sort_unstable();
        read.dedup();
        for area in areas {
            // The area's row of the unit's 工作进展 table, where the reader found one.
            let at = read.iter().map(|&k| &files[k]).flat_map(|f| f.work_cells.iter().map(move |w| (f, w))).find(|(_, w)| w.area == area);
            let (sheet, cell) = at.map(|(_, w)| (w.sheet.as_str(), w.cell.as_str())).unwrap_or_default();
            let ask = if at.is_some() { "表该领域一行填写" } else { "表中补报" };
            out.push(
                Finding::warning(Code::WorkMissing, format!("没有“{area}”领域的工作进展，请在“{}”{ask}。", crate::forms::WORK_SHEET))
                    .in_file(at.map_or(file, |(f, _)| f.file.as_str()))
                    .at(sheet, cell)
                    .for_unit(&r.unit)
                    .in_year(year),
            );
        }
        for id in reasons {
            let Some(i) = plan.indicator(&id) else { continue };
            // On the row of the unit's figure, where the reason belongs.
            let figure = figures
                .get(&(id.as_str(), r.unit.as_str()))
                .into_iter()
                .flatten()
                .find(|o| r.files.iter().any(|f| **f == *o.file))
                .copied();
            let (sheet, cell) = figure
                .map(|o| (&*o.sheet, if o.reason_cell.is_empty() { o.cell.as_str() } else { o.reason_cell.as_str() }))
                .unwrap_or_default();
            out.push(
                Finding::warning(
                    Code::ReasonMissing,
                    format!(
                        "“{}”未完成{}年目标，没有说明原因和下一步措施，请在该指标{}的“{}”列填写。",
                        i.name,
                        plan.end,
                        cell.trim_start_matches(|c: char| c.is_ascii_alphabetic())
                            .parse::<u32>()
                            .map_or("一行".to_string(), |r| format!("第 {r} 行")),
                        crate::forms::REASON_HEADER
                    ),
                )
                .in_file(figure.map_or(file, |o| &*o.file))
                .at(sheet, cell)
                .for_unit(&r.unit)
                .for_indicator(&id)
                .in_year(year),
            );
        }
    }
    out
}
