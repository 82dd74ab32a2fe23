//! The 项目进展 sheet of a return: progress of the 附件2 projects the unit is responsible for.

use calamine::{Data, Range};
use serde::{Deserialize, Serialize};

use super::sheet::column_name;
use super::value::{self, CellValue};
use crate::finding::{Code, Finding};
use crate::plan::Plan;
use crate::text::{fmt_num, normalize_name};

/// One project's progress as reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProjectReport {
    pub project_id: String,
    pub department: String,
    pub year: i32,
    /// 万元
    pub planned_investment: Option<f64>,
    /// 万元
    pub completed_investment: Option<f64>,
    /// 形象进度 %
    pub progress: Option<f64>,
    pub status: String,
    pub problems: String,
    pub file: String,
    pub sheet: String,
    /// The row's project-name cell.
    pub cell: String,
    /// The cells of the figures, for findings that point at them.
    #[serde(default)]
    pub cells: ProjectCells,
}

/// How far a project is, as one year's report says: one definition for every
/// document, table and rule. The 形象进度 decides where it is given (100 % is finished,
/// less is not, whatever the status text says — the two disagreeing is a finding of
/// its own); without it, the status words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectState {
    Finished,
    InProgress,
    NotStarted,
    Paused,
}

impl ProjectState {
    pub fn label(self) -> &'static str {
        match self {
            ProjectState::Finished => "已完工",
            ProjectState::InProgress => "在建",
            ProjectState::NotStarted => "未开工",
            ProjectState::Paused => "暂停",
        }
    }
}

/// Whether a status text says the project is finished (已完工, 竣工, 建成, 投入使用).
pub fn says_finished(status: &str) -> bool {
    let s = status.trim();
    !s.contains('未') && ["完工", "竣工", "建成", "投用", "投入使用", "已完成"].iter().any(|w| s.contains(w))
}

impl ProjectReport {
    /// The project's state in this report (see [`ProjectState`]).
    pub fn state(&self) -> ProjectState {
        let s = self.status.trim();
        let paused = s.contains("暂停") || s.contains("停工") || s.contains("中止");
        let not_started = ["前期", "未开工", "未启动", "未动工", "筹备"].iter().any(|w| s.contains(w));
        match self.progress {
            Some(p) if p >= 100.0 => ProjectState::Finished,
            _ if paused => ProjectState::Paused,
            Some(p) if p <= 0.0 || not_started => ProjectState::NotStarted,
            Some(_) => ProjectState::InProgress,
            None if says_finished(s) => ProjectState::Finished,
            None if not_started => ProjectState::NotStarted,
            None => ProjectState::InProgress,
        }
    }
}

/// Where each figure of a project row is (empty where the sheet has no such column).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProjectCells {
    pub planned: String,
    pub completed: String,
    pub progress: String,
    pub status: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Col {
    Id,
    Name,
    Planned,
    Completed,
    Progress,
    Status,
    Problems,
}

fn classify(text: &str) -> Option<Col> {
    if text.is_empty() || text.len() > 60 {
        return None;
    }
    let t = normalize_name(text);
    if t.is_empty() {
        return None;
    }
    Some(match t.as_str() {
        "项目编号" | "编号" => Col::Id,
        "项目名称" | "项目" => Col::Name,
        _ if t.contains("计划投资") || t.contains("总投资") => Col::Planned,
        _ if t.contains("完成投资") => Col::Completed,
        _ if t.contains("形象进度") || t.contains("进度(%)") || t == "进度" => Col::Progress,
        _ if t.contains("状态") || t == "进展情况" => Col::Status,
        _ if t.contains("问题") => Col::Problems,
        _ => return None,
    })
}

/// Read a projects sheet if the sheet has one.
pub fn read_projects(
    plan: &Plan,
    file: &str,
    sheet: &str,
    range: &Range<Data>,
    department: &str,
    year: Option<i32>,
    findings: &mut Vec<Finding>,
) -> Vec<ProjectReport> {
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let text = |r: usize, c: usize| -> String {
        match range.get((r, c)) {
            Some(Data::String(s)) => s.clone(),
            Some(Data::Float(f)) => fmt_num(*f, 10),
            Some(Data::Int(i)) => i.to_string(),
            _ => String::new(),
        }
    };
    let mut header = None;
    for r in 0..range.height().min(30) {
        let cols: Vec<Option<Col>> = (0..range.width()).map(|c| classify(&text(r, c))).collect();
        if cols.contains(&Some(Col::Name)) && cols.iter().any(|c| matches!(c, Some(Col::Progress | Col::Status | Col::Completed))) {
            header = Some((r, cols));
            break;
        }
    }
    let Some((hr, cols)) = header else { return Vec::new() };
    let Some(year) = year else { return Vec::new() };
    let at = |k: Col| cols.iter().position(|c| *c == Some(k));
    let addr = |r: usize, c: usize| format!("{}{}", column_name(col0 + c as u32), row0 + r as u32 + 1);
    let number = |r: usize, c: Option<usize>, findings: &mut Vec<Finding>| -> Option<f64> {
        let c = c?;
        match range.get((r, c)) {
            Some(Data::Float(f)) => Some(*f),
            Some(Data::Int(i)) => Some(*i as f64),
            Some(Data::String(s)) => match value::parse(s) {
                CellValue::Number { value, .. } => Some(value),
                CellValue::NoFigure => None,
                CellValue::NotNumber => {
                    findings.push(
                        Finding::warning(Code::ProjectNotANumber, format!("“{}”不是数字，未采用。", crate::text::printable(s, 40)))
                            .in_file(file)
                            .at(sheet, &addr(r, c))
                            .for_unit(department),
                    );
                    None
                }
            },
            _ => None,
        }
    };
    let mut out = Vec::new();
    let project_keys: Vec<String> = plan.projects.iter().map(|p| normalize_name(&p.name)).collect();
    for r in hr + 1..range.height() {
        let name = at(Col::Name).map(|c| text(r, c)).unwrap_or_default();
        let id = at(Col::Id).map(|c| text(r, c)).unwrap_or_default();
        if name.trim().is_empty() && id.trim().is_empty() {
            continue;
        }
        let (key, id_key) = (normalize_name(&name), normalize_name(&id).to_uppercase());
        let Some(project) = plan.projects.iter().zip(&project_keys).find(|(p, name)| p.id == id_key || **name == key).map(|(p, _)| p)
        else {
            continue;
        };
        let progress = number(r, at(Col::Progress), findings);
        if let Some(p) = progress {
            if !(0.0..=100.0).contains(&p) {
                findings.push(
                    Finding::error(
                        Code::ProjectProgressRange,
                        format!("项目“{}”形象进度 {}% 超出 0—100%，请核实。", project.name, fmt_num(p, 2)),
                    )
                    .in_file(file)
                    .at(sheet, &addr(r, at(Col::Progress).unwrap_or(0)))
                    .for_unit(department),
                );
            }
        }
        out.push(ProjectReport {
            project_id: project.id.clone(),
            department: department.to_string(),
            year,
            planned_investment: number(r, at(Col::Planned), findings),
            completed_investment: number(r, at(Col::Completed), findings),
            progress,
            status: at(Col::Status).map(|c| text(r, c)).unwrap_or_default().trim().to_string(),
            problems: at(Col::Problems).map(|c| text(r, c)).unwrap_or_default().trim().to_string(),
            file: file.to_string(),
            sheet: sheet.to_string(),
            cell: addr(r, at(Col::Name).unwrap_or(0)),
            cells: ProjectCells {
                planned: at(Col::Planned).map(|c| addr(r, c)).unwrap_or_default(),
                completed: at(Col::Completed).map(|c| addr(r, c)).unwrap_or_default(),
                progress: at(Col::Progress).map(|c| addr(r, c)).unwrap_or_default(),
                status: at(Col::Status).map(|c| addr(r, c)).unwrap_or_default(),
            },
        });
    }
    out
}
