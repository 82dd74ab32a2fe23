//! The plan's projects (附件2) and dated key tasks in the reporting year, the investment
//! in them, what the units wrote about each area — and the two kinds of returns checked
//! against each other: a key task tied to projects (in the plan data, `projects` of a
//! task or an indicator) cannot be done while its project is unfinished, nor the other
//! way round without a finding; the documents show one reconciled state with its reason.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::indicators::IndicatorYear;
use super::judge::Status;
use crate::finding::{Code, Finding};
use crate::plan::Plan;
use crate::read::{ProjectReport, ProjectState, TaskReport, TaskState, WorkReport};
use crate::text::fmt_num;

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
    /// Its state in the reporting year (None: not reported).
    pub state: Option<ProjectState>,
    /// Why its state is to be checked against a task or an indicator tied to it (empty
    /// when they agree).
    pub check: String,
}

impl ProjectProgress {
    /// Completed ÷ planned investment in percent, for the reporting year.
    pub fn completion_rate(&self) -> Option<f64> {
        self.this_year.as_ref().and_then(|r| match (r.planned_investment, r.completed_investment) {
            (Some(p), Some(c)) if p > 0.0 => Some(c * 100.0 / p),
            _ => None,
        })
    }

    pub fn finished(&self) -> bool {
        self.state == Some(ProjectState::Finished)
    }

    /// Its state in words, as every document shows it: the state (one definition,
    /// `ProjectState`), with the unit's own words where they say more; 未报送 without a
    /// report; finished in an earlier year when only that year's report says so.
    pub fn state_text(&self) -> String {
        match (&self.this_year, self.state) {
            (Some(r), Some(state)) => {
                let written = r.status.trim();
                if written.is_empty() || written == state.label() {
                    state.label().to_string()
                } else {
                    format!("{}（{}）", state.label(), written)
                }
            }
            (None, Some(state)) => {
                let year = self.history.iter().rev().find(|r| r.state() == state).map(|r| r.year);
                match year {
                    Some(y) => format!("{}（据{y}年度填报）", state.label()),
                    None => state.label().to_string(),
                }
            }
            _ => "未报送".to_string(),
        }
    }
}

/// Investment in one area's 附件2 projects, reporting year (万元), or in all of them.
#[derive(Debug, Clone, Default, Serialize)]
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

/// The projects by where they stand in the reporting year.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProjectCounts {
    pub total: usize,
    pub reported: usize,
    pub finished: usize,
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
    /// Its state: as reported for the reporting year (done in an earlier year stays
    /// done), reconciled with the projects tied to it.
    pub state: Option<TaskState>,
    /// As the unit reported it, when the reconciliation changed it.
    pub reported: Option<TaskState>,
    /// Why the state is not what was reported, or what to check (empty otherwise).
    pub reason: String,
    pub report: Option<TaskReport>,
}

impl TaskProgress {
    /// Not done although its year has come.
    pub fn overdue(&self, year: i32) -> bool {
        year >= self.due && self.state != Some(TaskState::Done)
    }
}

/// The key tasks by where they stand in the reporting year.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TaskCounts {
    pub total: usize,
    pub done: usize,
    pub overdue: usize,
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
            let this_year = of(year);
            // Finished in an earlier year stays finished when the year brings no report.
            let state = this_year
                .as_ref()
                .map(ProjectReport::state)
                .or_else(|| history.iter().any(|r| r.state() == ProjectState::Finished).then_some(ProjectState::Finished));
            ProjectProgress { project_id: p.id.clone(), state, this_year, last_year: of(year - 1), history, check: String::new() }
        })
        .collect()
}

/// Investment per area from the projects' reports for the reporting year, and the total.
pub fn investment(plan: &Plan, projects: &[ProjectProgress]) -> (Vec<AreaInvestment>, AreaInvestment) {
    let areas: Vec<AreaInvestment> = plan
        .areas()
        .into_iter()
        .filter(|a| plan.projects.iter().any(|p| &p.area == a))
        .map(|area| {
            let mut sum = AreaInvestment { area: area.clone(), ..Default::default() };
            for p in plan.projects.iter().filter(|p| p.area == area) {
                sum.projects += 1;
                let Some(r) = projects.iter().find(|x| x.project_id == p.id).and_then(|x| x.this_year.as_ref()) else { continue };
                sum.reported += 1;
                sum.planned += r.planned_investment.unwrap_or(0.0);
                sum.completed += r.completed_investment.unwrap_or(0.0);
            }
            sum
        })
        .collect();
    let total = AreaInvestment {
        area: "合计".into(),
        projects: areas.iter().map(|a| a.projects).sum(),
        reported: areas.iter().map(|a| a.reported).sum(),
        planned: areas.iter().map(|a| a.planned).sum(),
        completed: areas.iter().map(|a| a.completed).sum(),
    };
    (areas, total)
}

pub fn project_counts(projects: &[ProjectProgress]) -> ProjectCounts {
    ProjectCounts {
        total: projects.len(),
        reported: projects.iter().filter(|p| p.this_year.is_some()).count(),
        finished: projects.iter().filter(|p| p.finished()).count(),
    }
}

/// Per area, what each responsible unit wrote in the reporting year, and who did not.
pub fn area_works(plan: &Plan, works: &[WorkReport], year: i32) -> Vec<AreaWork> {
    // Looked up once, not per area: a plan may have hundreds of units.
    let by_unit = plan.areas_by_unit();
    let none = std::collections::HashSet::new();
    let units: Vec<(&str, &std::collections::HashSet<&str>)> =
        plan.reporting_units().into_iter().map(|u| (u.name.as_str(), by_unit.get(u.name.as_str()).unwrap_or(&none))).collect();
    let mut written: HashMap<(&str, &str), &WorkReport> = HashMap::new();
    for w in works.iter().filter(|w| w.year == year) {
        written.entry((w.department.as_str(), w.area.as_str())).or_insert(w);
    }
    plan.areas()
        .into_iter()
        .map(|area| {
            let mut entries = Vec::new();
            let mut silent = Vec::new();
            for (unit, _) in units.iter().filter(|(_, areas)| areas.contains(area.as_str())) {
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
pub fn task_progress(plan: &Plan, tasks: &[TaskReport], year: i32) -> Vec<TaskProgress> {
    plan.tasks
        .iter()
        .map(|t| {
            let of =
                |y: i32| tasks.iter().filter(|r| r.task_id == t.id && r.year == y).min_by_key(|r| r.department != t.lead_unit()).cloned();
            let earlier_done =
                tasks.iter().filter(|r| r.task_id == t.id && r.year < year && r.state == TaskState::Done).min_by_key(|r| r.year).cloned();
            let report = of(year).or(earlier_done);
            TaskProgress {
                task_id: t.id.clone(),
                due: t.due.unwrap_or(plan.end),
                state: report.as_ref().map(|r| r.state),
                reported: None,
                reason: String::new(),
                report,
            }
        })
        .collect()
}

pub fn task_counts(tasks: &[TaskProgress], year: i32) -> TaskCounts {
    TaskCounts {
        total: tasks.len(),
        done: tasks.iter().filter(|t| t.state == Some(TaskState::Done)).count(),
        overdue: tasks.iter().filter(|t| t.overdue(year)).count(),
    }
}

/// A project as the reconciliation names it: “市博物馆项目”（在建，形象进度95%）.
fn project_said(plan: &Plan, p: &ProjectProgress) -> String {
    let name = plan.projects.iter().find(|x| x.id == p.project_id).map(|x| x.name.as_str()).unwrap_or(&p.project_id);
    let state = p.state.map_or("未报送", ProjectState::label);
    match p.this_year.as_ref().and_then(|r| r.progress) {
        Some(pr) => format!("“{name}”（{state}，形象进度{}%）", fmt_num(pr, 1)),
        None => format!("“{name}”（{state}）"),
    }
}

/// Check the tasks and the indicators tied to projects against those projects' reports:
/// a task reported done with a project unfinished is in progress (the project's figures
/// say so), with the reason; a project finished with its task not done, and an indicator
/// met with its project unfinished (or the other way round), are findings to check.
pub fn reconcile(
    plan: &Plan,
    year: i32,
    tasks: &mut [TaskProgress],
    projects: &mut [ProjectProgress],
    progress: &[IndicatorYear],
) -> (Vec<Finding>, Vec<String>) {
    let mut findings = Vec::new();
    // What each disagreement is, for the report's 存在的问题 (the findings add the advice).
    let mut statements: Vec<String> = Vec::new();
    let project = |id: &str, projects: &[ProjectProgress]| projects.iter().position(|p| p.project_id == id);
    for t in tasks.iter_mut() {
        let Some(def) = plan.tasks.iter().find(|k| k.id == t.task_id) else { continue };
        // The tied projects with a report: one not reported says nothing either way.
        let reported = |ids: &[String]| -> Vec<usize> {
            ids.iter().filter_map(|id| project(id, projects)).filter(|&k| projects[k].state.is_some()).collect()
        };
        let (to_finish, to_start) = (reported(&def.projects), reported(&def.starts));
        if to_finish.is_empty() && to_start.is_empty() {
            continue;
        }
        let behind: Vec<usize> = to_finish
            .iter()
            .copied()
            .filter(|&k| !projects[k].finished())
            .chain(to_start.iter().copied().filter(|&k| projects[k].state == Some(ProjectState::NotStarted)))
            .collect();
        let all_reported = to_finish.len() == def.projects.len() && to_start.len() == def.starts.len();
        let said = |ks: &[usize], projects: &[ProjectProgress]| {
            ks.iter().map(|&k| project_said(plan, &projects[k])).collect::<Vec<_>>().join("、")
        };
        let cell = t.report.as_ref().map(|r| (r.file.clone(), r.sheet.clone(), r.cell.clone())).unwrap_or_default();
        if t.state == Some(TaskState::Done) && !behind.is_empty() {
            let projects_text = said(&behind, projects);
            let why = if behind.iter().all(|k| to_start.contains(k)) { "尚未开工" } else { "尚未完工" };
            t.reported = t.state;
            t.state = Some(TaskState::InProgress);
            t.reason = format!("报为已完成，但项目{projects_text}{why}，按推进中列出");
            for &k in &behind {
                projects[k].check = format!("重点任务“{}”报为已完成", def.name);
            }
            let statement = format!("重点任务“{}”报为已完成，但项目{projects_text}{why}", def.name);
            statements.push(format!("{statement}（按推进中列出）"));
            findings.push(
                Finding::warning(
                    Code::TaskProjectMismatch,
                    format!("{year}年{statement}。报告中按“推进中”列出；请核实任务和项目进展后统一填报。"),
                )
                .in_file(&cell.0)
                .at(&cell.1, &cell.2)
                .for_unit(def.lead_unit())
                .in_year(year),
            );
        } else if behind.is_empty() && all_reported && t.state != Some(TaskState::Done) {
            let linked: Vec<usize> = to_finish.iter().chain(&to_start).copied().collect();
            let projects_text = said(&linked, projects);
            let state = t.state.map_or("未报送", TaskState::label);
            t.reason = format!("所涉项目{projects_text}已达到任务要求，任务报为{state}，待核实");
            for &k in &linked {
                projects[k].check = format!("重点任务“{}”报为{state}", def.name);
            }
            let statement = format!("重点任务“{}”报为{state}，但所涉项目{projects_text}已达到任务要求", def.name);
            statements.push(statement.clone());
            findings.push(
                Finding::warning(
                    Code::TaskProjectMismatch,
                    format!("{year}年{statement}。请核实：任务如已完成，请在“重点任务”表中改为“已完成”。"),
                )
                .in_file(&cell.0)
                .at(&cell.1, &cell.2)
                .for_unit(def.lead_unit())
                .in_year(year),
            );
        }
    }
    for ind in plan.indicators.iter().filter(|i| !i.projects.is_empty()) {
        let Some(p) = progress.iter().find(|p| p.indicator_id == ind.id && p.year == year) else { continue };
        let linked: Vec<usize> =
            ind.projects.iter().filter_map(|id| project(id, projects)).filter(|&k| projects[k].state.is_some()).collect();
        if linked.is_empty() || p.status == Status::NoData {
            continue;
        }
        let met = p.status == Status::Met;
        let finished = linked.iter().all(|&k| projects[k].finished());
        if met == finished {
            continue;
        }
        // Met while projects are unfinished: those are named (the finished ones agree).
        let named: Vec<usize> = linked.iter().copied().filter(|&k| !met || !projects[k].finished()).collect();
        let projects_text = named.iter().map(|&k| project_said(plan, &projects[k])).collect::<Vec<_>>().join("、");
        let (ind_says, proj_says) = if met { ("已达到目标", "尚未完工") } else { ("尚未达到目标", "已完工") };
        for &k in &named {
            projects[k].check = format!("指标“{}”{ind_says}", ind.name);
        }
        let at = p.source.as_ref().map(|s| (s.file.clone(), s.sheet.clone(), s.cell.clone())).unwrap_or_default();
        let statement = format!("指标“{}”{ind_says}，但对应的项目{projects_text}{proj_says}", ind.name);
        statements.push(statement.clone());
        findings.push(
            Finding::warning(Code::TaskProjectMismatch, format!("{year}年{statement}。请核实指标数值和项目进展后统一填报。"))
                .in_file(&at.0)
                .at(&at.1, &at.2)
                .for_unit(ind.lead_unit())
                .for_indicator(&ind.id)
                .in_year(year),
        );
    }
    (findings, statements)
}
