//! Stage 3 — aggregate: the one owner of every fact the documents state. From the
//! figures (chosen once, `figures`), the findings and the files it builds one typed
//! [`Assessment`]: each indicator in each year judged by the method (`judge`), the
//! counts by area, unit and status, the conflicts and the figure used, the returns
//! expected and received per unit and year, the projects' progress in the reporting
//! year, and the rows of each unit's feedback sheet. The workbook, the report, the
//! feedback sheets, the CSVs and the terminal summary only format it.

pub mod figures;
pub mod judge;

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::finding::{Finding, Severity};
use crate::plan::{Comparison, Indicator, Plan};
use crate::read::{Fate, InputFile, Observation, ProjectReport, TaskReport, TaskState, WorkReport};
pub use figures::{Conflict, Figure, Figures};
pub use judge::{Basis, Period, Status};

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

/// The 附件1 indicators of one area by status (reporting year).
#[derive(Debug, Clone, Serialize)]
pub struct AreaSummary {
    pub area: String,
    pub counts: StatusCounts,
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
    /// Sent by the deadline (None: no date written, or not received).
    pub on_time: Option<bool>,
}

impl ReturnStatus {
    pub fn received(&self) -> bool {
        !self.files.is_empty()
    }

    pub fn late(&self) -> bool {
        self.on_time == Some(false)
    }
}

/// One responsible unit: what it owes and what it sent.
#[derive(Debug, Clone, Serialize)]
pub struct UnitSummary {
    pub unit: String,
    /// Indicators it leads, and of those with a figure in the reporting year.
    pub indicators: usize,
    pub reported: usize,
    /// Of those it leads, by status in the reporting year.
    pub counts: StatusCounts,
    pub returns_expected: usize,
    pub returns_received: usize,
    pub on_time: usize,
    pub late: usize,
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

/// One project of 附件2: its report for the reporting year and the years before.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectProgress {
    pub project_id: String,
    /// The report for the reporting year (the lead unit's when several units report).
    pub this_year: Option<ProjectReport>,
    /// The report for the year before.
    pub last_year: Option<ProjectReport>,
    /// One report per year up to the reporting year, oldest first.
    pub history: Vec<ProjectReport>,
}

impl ProjectProgress {
    /// Completed ÷ planned investment in percent, for the reporting year.
    pub fn completion_rate(&self) -> Option<f64> {
        self.this_year.as_ref().and_then(|r| match (r.planned_investment, r.completed_investment) {
            (Some(p), Some(c)) if p > 0.0 => Some(c * 100.0 / p),
            _ => None,
        })
    }
}

/// Investment in one area's 附件2 projects, reporting year (万元).
#[derive(Debug, Clone, Serialize)]
pub struct AreaInvestment {
    pub area: String,
    pub projects: usize,
    /// Projects with a report for the reporting year.
    pub reported: usize,
    /// Sums over the reported projects that give the figure.
    pub planned: f64,
    pub completed: f64,
}

impl AreaInvestment {
    /// Completed ÷ planned, in percent.
    pub fn rate(&self) -> Option<f64> {
        (self.planned > 0.0).then(|| self.completed * 100.0 / self.planned)
    }
}

/// What the units wrote about one area in the reporting year.
#[derive(Debug, Clone, Serialize)]
pub struct AreaWork {
    pub area: String,
    /// One per unit that wrote, in the order of units.toml.
    pub entries: Vec<WorkReport>,
    /// Units responsible in the area that wrote nothing.
    pub silent: Vec<String>,
}

/// One of the plan's dated key tasks in the reporting year.
#[derive(Debug, Clone, Serialize)]
pub struct TaskProgress {
    pub task_id: String,
    /// The year the plan sets (its end when it sets none).
    pub due: i32,
    /// As reported for the reporting year (done in an earlier year stays done).
    pub state: Option<TaskState>,
    pub report: Option<TaskReport>,
}

impl TaskProgress {
    /// Not done although its year has come.
    pub fn overdue(&self, year: i32) -> bool {
        year >= self.due && self.state != Some(TaskState::Done)
    }
}

/// One row of a unit's feedback sheet: an indicator it is responsible for.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackRow {
    pub indicator_id: String,
    /// The unit leads this indicator (its figure is the one used).
    pub lead: bool,
    /// The unit's own figure for the reporting year.
    pub own_value: Option<f64>,
    /// The figure used in the assessment (possibly another unit's).
    pub value: Option<f64>,
    pub expected: Option<f64>,
    pub status: Status,
    /// The unit's remark on the row, as written.
    pub remark: String,
}

/// Everything a unit's feedback sheet says.
#[derive(Debug, Clone, Serialize)]
pub struct UnitFeedback {
    pub unit: String,
    pub received: bool,
    pub rows: Vec<FeedbackRow>,
    /// Problems in what the unit sent, to correct.
    pub findings: Vec<Finding>,
    /// What the unit did not send.
    pub missing: Vec<Finding>,
    /// The problems of its previous (different) return, fixed or not: set by the
    /// `changes` stage from the earlier runs in the output folder.
    pub followup: Option<crate::changes::FollowUp>,
}

/// Everything one run knows about the plan's progress.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    /// The reporting year.
    pub year: i32,
    pub period: Period,
    /// Every indicator in every year from the plan's start to the reporting year, in
    /// the indicator table's order.
    pub progress: Vec<IndicatorYear>,
    pub conflicts: Vec<Conflict>,
    /// 附件1 indicators (goals) and the key tasks' targets by status, reporting year.
    pub goals: StatusCounts,
    pub targets: StatusCounts,
    pub areas: Vec<AreaSummary>,
    pub units: Vec<UnitSummary>,
    pub returns: Vec<ReturnStatus>,
    pub projects: Vec<ProjectProgress>,
    /// Project investment by area (areas with projects, in the plan's order).
    pub investment: Vec<AreaInvestment>,
    pub works: Vec<AreaWork>,
    pub key_tasks: Vec<TaskProgress>,
    pub feedback: Vec<UnitFeedback>,
    /// Findings by severity: error, warning, info.
    pub findings: [usize; 3],
    /// Input files by fate: read, rejected, skipped, superseded; and the figures read.
    pub inputs: [usize; 4],
    pub figures: usize,
    #[serde(skip)]
    index: HashMap<(String, i32), usize>,
}

impl Assessment {
    /// An indicator in a year.
    pub fn of(&self, indicator_id: &str, year: i32) -> Option<&IndicatorYear> {
        self.index.get(&(indicator_id.to_string(), year)).map(|&i| &self.progress[i])
    }

    /// An indicator in the reporting year.
    pub fn latest(&self, indicator_id: &str) -> Option<&IndicatorYear> {
        self.of(indicator_id, self.year)
    }

    /// The status of an indicator in the reporting year.
    pub fn status(&self, indicator_id: &str) -> Status {
        self.latest(indicator_id).map_or(Status::NoData, |p| p.status)
    }

    /// The years of the plan assessed: its start to the reporting year.
    pub fn years(&self) -> Vec<i32> {
        (self.period.start..=self.year.min(self.period.end)).collect()
    }

    pub fn returns_of(&self, unit: &str, year: i32) -> Option<&ReturnStatus> {
        self.returns.iter().find(|r| r.unit == unit && r.year == year)
    }

    pub fn feedback_of(&self, unit: &str) -> Option<&UnitFeedback> {
        self.feedback.iter().find(|f| f.unit == unit)
    }

    pub fn project(&self, project_id: &str) -> Option<&ProjectProgress> {
        self.projects.iter().find(|p| p.project_id == project_id)
    }
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
        for &y in &years {
            let source = figures.get(&ind.id, y).cloned();
            let facts = judge::Facts { year: y, value: source.as_ref().map(|f| f.value), baseline, earliest };
            let v = judge::judge(ind, &plan.rules.status, &period, &facts);
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

/// Every responsible unit's return for every year of the plan up to `year`.
pub fn returns(plan: &Plan, files: &[InputFile], year: i32) -> Vec<ReturnStatus> {
    let deadline = &plan.rules.validate.deadline;
    let mut out = Vec::new();
    for unit in plan.reporting_units() {
        for y in plan.start..=year.min(plan.end) {
            // Counted from what was read: a workbook with a sheet per unit, or a return
            // spanning several years, holds several returns.
            // The version used first; the date of the first version sent is the date
            // the return came in.
            let mut read: Vec<&InputFile> = files.iter().filter(|f| f.holds_return(&unit.name, y)).collect();
            read.sort_by_key(|f| f.is_replaced(&unit.name, y));
            let filled_date = read.iter().filter_map(|f| f.filled_date.clone()).min();
            let on_time = filled_date.as_ref().map(|d| d.as_str() <= format!("{}-{}", y + 1, deadline).as_str());
            out.push(ReturnStatus {
                unit: unit.name.clone(),
                year: y,
                files: read.iter().map(|f| f.file.clone()).collect(),
                filled_date,
                on_time,
            });
        }
    }
    out
}

/// Each project's reports, one per year up to `year` (the lead unit's first).
pub fn projects(plan: &Plan, reports: &[ProjectReport], year: i32) -> Vec<ProjectProgress> {
    plan.projects
        .iter()
        .map(|p| {
            let lead = p.responsible.first().map(String::as_str).unwrap_or("");
            let mut history: Vec<ProjectReport> = Vec::new();
            let years: BTreeSet<i32> = reports.iter().filter(|r| r.project_id == p.id && r.year <= year).map(|r| r.year).collect();
            for y in years {
                let of_year = reports.iter().filter(|r| r.project_id == p.id && r.year == y);
                if let Some(r) = of_year.min_by_key(|r| (r.department != lead, r.file.clone(), r.cell.len(), r.cell.clone())) {
                    history.push(r.clone());
                }
            }
            let of = |y: i32| history.iter().find(|r| r.year == y).cloned();
            ProjectProgress { project_id: p.id.clone(), this_year: of(year), last_year: of(year - 1), history }
        })
        .collect()
}

/// Investment per area from the projects' reports for the reporting year.
fn investment(plan: &Plan, projects: &[ProjectProgress]) -> Vec<AreaInvestment> {
    plan.areas()
        .into_iter()
        .filter(|a| plan.projects.iter().any(|p| &p.area == a))
        .map(|area| {
            let mut sum = AreaInvestment { area: area.clone(), projects: 0, reported: 0, planned: 0.0, completed: 0.0 };
            for p in plan.projects.iter().filter(|p| p.area == area) {
                sum.projects += 1;
                let Some(r) = projects.iter().find(|x| x.project_id == p.id).and_then(|x| x.this_year.as_ref()) else { continue };
                sum.reported += 1;
                sum.planned += r.planned_investment.unwrap_or(0.0);
                sum.completed += r.completed_investment.unwrap_or(0.0);
            }
            sum
        })
        .collect()
}

/// Per area, what each responsible unit wrote in the reporting year, and who did not.
fn area_works(plan: &Plan, works: &[WorkReport], year: i32) -> Vec<AreaWork> {
    // Looked up once, not per area: a plan may have hundreds of units.
    let units: Vec<(&str, std::collections::HashSet<String>)> =
        plan.reporting_units().into_iter().map(|u| (u.name.as_str(), plan.areas_of(&u.name).into_iter().collect())).collect();
    let mut written: HashMap<(&str, &str), &WorkReport> = HashMap::new();
    for w in works.iter().filter(|w| w.year == year) {
        written.entry((w.department.as_str(), w.area.as_str())).or_insert(w);
    }
    plan.areas()
        .into_iter()
        .map(|area| {
            let mut entries = Vec::new();
            let mut silent = Vec::new();
            for (unit, _) in units.iter().filter(|(_, areas)| areas.contains(&area)) {
                match written.get(&(*unit, area.as_str())) {
                    Some(w) => entries.push((*w).clone()),
                    None => silent.push(unit.to_string()),
                }
            }
            AreaWork { area, entries, silent }
        })
        .collect()
}

/// Each key task's state in the reporting year (the lead unit's report; done in an
/// earlier year stays done).
fn task_progress(plan: &Plan, tasks: &[TaskReport], year: i32) -> Vec<TaskProgress> {
    plan.tasks
        .iter()
        .map(|t| {
            let of =
                |y: i32| tasks.iter().filter(|r| r.task_id == t.id && r.year == y).min_by_key(|r| r.department != t.lead_unit()).cloned();
            let earlier_done =
                tasks.iter().filter(|r| r.task_id == t.id && r.year < year && r.state == TaskState::Done).min_by_key(|r| r.year).cloned();
            let report = of(year).or(earlier_done);
            TaskProgress { task_id: t.id.clone(), due: t.due.unwrap_or(plan.end), state: report.as_ref().map(|r| r.state), report }
        })
        .collect()
}

/// What the read and validate stages give the assessment.
pub struct Sources<'a> {
    pub figures: &'a Figures,
    pub reports: &'a [ProjectReport],
    pub works: &'a [WorkReport],
    pub tasks: &'a [TaskReport],
    pub observations: &'a [Observation],
    pub files: &'a [InputFile],
    pub findings: &'a [Finding],
}

/// The whole assessment, once the findings are known.
pub fn assess(plan: &Plan, year: i32, progress: Vec<IndicatorYear>, returns: Vec<ReturnStatus>, src: &Sources) -> Assessment {
    let Sources { figures, reports, works, tasks, observations, files, findings } = *src;
    let projects = projects(plan, reports, year);
    let index: HashMap<(String, i32), usize> = progress.iter().enumerate().map(|(i, p)| ((p.indicator_id.clone(), p.year), i)).collect();
    let status_of = |id: &str| index.get(&(id.to_string(), year)).map_or(Status::NoData, |&i| progress[i].status);
    let mut goals = StatusCounts::default();
    let mut targets = StatusCounts::default();
    for ind in &plan.indicators {
        if ind.seq.is_some() { &mut goals } else { &mut targets }.add(status_of(&ind.id));
    }
    let areas = plan
        .areas()
        .into_iter()
        .map(|area| {
            let mut counts = StatusCounts::default();
            for ind in plan.indicators.iter().filter(|i| i.area == area && i.seq.is_some()) {
                counts.add(status_of(&ind.id));
            }
            AreaSummary { area, counts }
        })
        .collect();
    let severity = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let units = plan
        .reporting_units()
        .into_iter()
        .map(|u| {
            let leads: Vec<&Indicator> = plan.indicators.iter().filter(|i| i.lead_unit() == u.name).collect();
            let mut counts = StatusCounts::default();
            for i in &leads {
                counts.add(status_of(&i.id));
            }
            let own: Vec<&ReturnStatus> = returns.iter().filter(|r| r.unit == u.name).collect();
            let unit_findings = |s: Severity| findings.iter().filter(|f| f.department == u.name && f.severity == s).count();
            UnitSummary {
                unit: u.name.clone(),
                indicators: leads.len(),
                reported: leads.iter().filter(|i| index.get(&(i.id.clone(), year)).is_some_and(|&k| progress[k].value.is_some())).count(),
                counts,
                returns_expected: own.len(),
                returns_received: own.iter().filter(|r| r.received()).count(),
                on_time: own.iter().filter(|r| r.on_time == Some(true)).count(),
                late: own.iter().filter(|r| r.late()).count(),
                undated: own.iter().filter(|r| r.received() && r.filled_date.is_none()).count(),
                errors: unit_findings(Severity::Error),
                warnings: unit_findings(Severity::Warning),
            }
        })
        .collect();
    let feedback = plan
        .reporting_units()
        .into_iter()
        .map(|u| {
            let rows = plan
                .indicators_of(&u.name)
                .into_iter()
                .map(|i| {
                    let p = index.get(&(i.id.clone(), year)).map(|&k| &progress[k]);
                    let own = observations.iter().filter(|o| *o.department == *u.name && *o.indicator_id == *i.id && o.year == year);
                    let own_current = own.clone().find(|o| o.kind == crate::read::ObsKind::Current && o.value.is_some());
                    FeedbackRow {
                        indicator_id: i.id.clone(),
                        lead: i.lead_unit() == u.name,
                        own_value: own_current.and_then(|o| o.value),
                        value: p.and_then(|p| p.value),
                        expected: p.and_then(|p| p.expected),
                        status: p.map_or(Status::NoData, |p| p.status),
                        remark: own.clone().find(|o| !o.remark.is_empty()).map(|o| o.remark.clone()).unwrap_or_default(),
                    }
                })
                .collect();
            let (missing, problems): (Vec<Finding>, Vec<Finding>) =
                findings.iter().filter(|f| f.department == u.name).cloned().partition(|f| f.code.is_missing());
            UnitFeedback {
                received: returns.iter().any(|r| r.unit == u.name && r.year == year && r.received()),
                unit: u.name.clone(),
                rows,
                findings: problems,
                missing,
                followup: None,
            }
        })
        .collect();
    Assessment {
        year,
        period: period(plan),
        conflicts: figures.conflicts.clone(),
        goals,
        targets,
        areas,
        units,
        investment: investment(plan, &projects),
        works: area_works(plan, works, year),
        key_tasks: task_progress(plan, tasks, year),
        projects,
        returns,
        feedback,
        findings: [severity(Severity::Error), severity(Severity::Warning), severity(Severity::Info)],
        inputs: Fate::ALL.map(|fate| files.iter().filter(|f| f.status == fate).count()),
        figures: observations.iter().filter(|o| o.value.is_some()).count(),
        progress,
        index,
    }
}
