//! The written parts of a return: the 工作进展 sheet (work done, problems and next steps
//! per area, quoted in the report) and the 重点任务 sheet (whether each of the plan's
//! dated key tasks is done). Columns are found by their header words, as for figures.

use calamine::{Data, Range};
use serde::{Deserialize, Serialize};

use super::sheet::column_name;
use crate::finding::{Code, Finding};
use crate::plan::Plan;
use crate::text::{fmt_num, normalize_name, printable};

/// What a unit wrote about one area in one year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkReport {
    pub department: String,
    pub year: i32,
    pub area: String,
    /// 主要工作及成效, 存在问题, 下一步打算 — as written (trimmed).
    pub work: String,
    pub problems: String,
    pub next: String,
    pub file: String,
    pub sheet: String,
    /// The row's 领域 cell.
    pub cell: String,
}

/// How far a key task is, as a unit reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskState {
    Done,
    InProgress,
    NotStarted,
}

impl TaskState {
    pub fn label(self) -> &'static str {
        match self {
            TaskState::Done => "已完成",
            TaskState::InProgress => "推进中",
            TaskState::NotStarted => "未启动",
        }
    }

    /// From what a unit writes: 已完成 / 完成 / 已建成 …, 推进中 / 进行中 …, 未启动 ….
    pub fn parse(text: &str) -> Option<TaskState> {
        let t = normalize_name(text);
        if t.is_empty() {
            return None;
        }
        if ["未启动", "未开展", "未开始", "尚未启动"].iter().any(|w| t.contains(w)) {
            Some(TaskState::NotStarted)
        } else if t.contains('未') || ["推进中", "进行中", "在建", "正在", "推进"].iter().any(|w| t.contains(w)) {
            Some(TaskState::InProgress)
        } else if ["已完成", "完成", "已建成", "建成", "通过", "已创建", "达标"].iter().any(|w| t.contains(w)) {
            Some(TaskState::Done)
        } else {
            None
        }
    }
}

/// A key task's state as reported in one year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskReport {
    pub task_id: String,
    pub department: String,
    pub year: i32,
    pub state: TaskState,
    /// The 完成情况 cell as written, and the 说明.
    pub status_text: String,
    pub note: String,
    pub file: String,
    pub sheet: String,
    pub cell: String,
}

fn text(range: &Range<Data>, r: usize, c: usize) -> String {
    match range.get((r, c)) {
        Some(Data::String(s)) => s.trim().to_string(),
        Some(Data::Float(f)) => fmt_num(*f, 10),
        Some(Data::Int(i)) => i.to_string(),
        _ => String::new(),
    }
}

/// The first row (of the first 20) whose cells give all of `needed` columns, by a
/// classifier of header text: (row, column of each class).
fn header<K: Copy + PartialEq>(range: &Range<Data>, classify: impl Fn(&str) -> Option<K>, needed: &[K]) -> Option<(usize, Vec<Option<K>>)> {
    (0..range.height().min(20)).find_map(|r| {
        let cols: Vec<Option<K>> = (0..range.width()).map(|c| classify(&normalize_name(&text(range, r, c)))).collect();
        needed.iter().all(|k| cols.contains(&Some(*k))).then_some((r, cols))
    })
}

#[derive(Clone, Copy, PartialEq)]
enum WorkCol {
    Area,
    Work,
    Problems,
    Next,
}

/// The header of a 工作进展 table: its row and the class of each column.
fn work_header(range: &Range<Data>) -> Option<(usize, Vec<Option<WorkCol>>)> {
    let classify = |t: &str| -> Option<WorkCol> {
        Some(match t {
            "领域" | "所属领域" => WorkCol::Area,
            _ if t.contains("主要工作") || t.contains("成效") || t.contains("工作进展") => WorkCol::Work,
            _ if t.contains("问题") || t.contains("困难") => WorkCol::Problems,
            _ if t.contains("下一步") || t.contains("打算") || t.contains("计划") => WorkCol::Next,
            _ => return None,
        })
    };
    header(range, classify, &[WorkCol::Area, WorkCol::Work])
}

/// The 工作进展 sheet, if this is one: what the unit wrote per area, and where each
/// area's text goes — the 主要工作及成效 cell of every row whose 领域 is an area, written
/// or not (the place a missing text is asked for).
pub fn read_works(
    plan: &Plan,
    file: &str,
    sheet: &str,
    range: &Range<Data>,
    department: &str,
    year: Option<i32>,
) -> (Vec<WorkReport>, Vec<super::WorkCell>) {
    let Some((hr, cols)) = work_header(range) else { return (Vec::new(), Vec::new()) };
    let at = |k: WorkCol| cols.iter().position(|c| *c == Some(k));
    let (Some(area_col), Some(work_col)) = (at(WorkCol::Area), at(WorkCol::Work)) else { return (Vec::new(), Vec::new()) };
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let addr = |r: usize, c: usize| format!("{}{}", column_name(col0 + c as u32), row0 + r as u32 + 1);
    let areas = plan.areas();
    let (mut out, mut cells) = (Vec::new(), Vec::new());
    for r in hr + 1..range.height() {
        let written = normalize_name(&text(range, r, area_col));
        let Some(area) = areas.iter().find(|a| normalize_name(a) == written) else { continue };
        cells.push(super::WorkCell { area: area.clone(), sheet: sheet.to_string(), cell: addr(r, work_col) });
        let Some(year) = year else { continue };
        let get = |k: WorkCol| at(k).map(|c| text(range, r, c)).unwrap_or_default();
        let (work, problems, next) = (get(WorkCol::Work), get(WorkCol::Problems), get(WorkCol::Next));
        if work.is_empty() && problems.is_empty() && next.is_empty() {
            continue;
        }
        out.push(WorkReport {
            department: department.to_string(),
            year,
            area: area.clone(),
            work,
            problems,
            next,
            file: file.to_string(),
            sheet: sheet.to_string(),
            cell: addr(r, area_col),
        });
    }
    (out, cells)
}

#[derive(Clone, Copy, PartialEq)]
enum TaskCol {
    Id,
    Name,
    State,
    Note,
}

/// The 重点任务 sheet, if this is one. A 完成情况 that says nothing recognisable is a
/// finding at its cell.
pub fn read_tasks(
    plan: &Plan,
    file: &str,
    sheet: &str,
    range: &Range<Data>,
    department: &str,
    year: Option<i32>,
    findings: &mut Vec<Finding>,
) -> Vec<TaskReport> {
    let classify = |t: &str| -> Option<TaskCol> {
        Some(match t {
            "任务编号" | "编号" => TaskCol::Id,
            "任务" | "任务内容" | "重点任务" | "任务名称" => TaskCol::Name,
            _ if t.contains("完成情况") || t.contains("进展情况") || t == "状态" => TaskCol::State,
            "说明" | "备注" | "情况说明" => TaskCol::Note,
            _ => return None,
        })
    };
    let Some((hr, cols)) = header(range, classify, &[TaskCol::Name, TaskCol::State]) else { return Vec::new() };
    let Some(year) = year else { return Vec::new() };
    let at = |k: TaskCol| cols.iter().position(|c| *c == Some(k));
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let addr = |r: usize, c: usize| format!("{}{}", column_name(col0 + c as u32), row0 + r as u32 + 1);
    let mut out = Vec::new();
    for r in hr + 1..range.height() {
        let get = |k: TaskCol| at(k).map(|c| text(range, r, c)).unwrap_or_default();
        let (id, name) = (normalize_name(&get(TaskCol::Id)).to_uppercase(), normalize_name(&get(TaskCol::Name)));
        let Some(task) = plan.tasks.iter().find(|t| t.id == id || (!name.is_empty() && normalize_name(&t.name) == name)) else { continue };
        let status_text = get(TaskCol::State);
        if status_text.is_empty() {
            continue;
        }
        let cell = addr(r, at(TaskCol::State).unwrap_or(0));
        let Some(state) = TaskState::parse(&status_text) else {
            findings.push(
                Finding::warning(
                    Code::TaskStateUnknown,
                    format!(
                        "重点任务“{}”的完成情况“{}”无法识别，未采用。请填“已完成”“推进中”或“未启动”。",
                        task.name,
                        printable(&status_text, 40)
                    ),
                )
                .in_file(file)
                .at(sheet, &cell)
                .for_unit(department),
            );
            continue;
        };
        out.push(TaskReport {
            task_id: task.id.clone(),
            department: department.to_string(),
            year,
            state,
            status_text,
            note: get(TaskCol::Note),
            file: file.to_string(),
            sheet: sheet.to_string(),
            cell,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_states_as_units_write_them() {
        for (text, state) in [
            ("已完成", Some(TaskState::Done)),
            ("已通过验收", Some(TaskState::Done)),
            ("推进中", Some(TaskState::InProgress)),
            ("未完成，正在推进", Some(TaskState::InProgress)),
            ("未启动", Some(TaskState::NotStarted)),
            ("", None),
            ("见附件", None),
        ] {
            assert_eq!(TaskState::parse(text), state, "{text}");
        }
    }
}
