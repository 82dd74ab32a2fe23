//! The documents' content as typed data: [`ReportData`] for the progress report and
//! [`FeedbackData`] for a unit's feedback sheet. Built from the assessment only — every
//! number, count and status is the aggregate stage's; here they are put into words and
//! formatted. The PDF templates (templates/report.typ, feedback.typ) and the Word
//! writer read these fields, by these names; this file is their documentation.

use serde::Serialize;

use crate::aggregate::{Assessment, IndicatorYear, Status};
use crate::batch::Batch;
use crate::finding::Finding;
use crate::plan::{Comparison, Indicator, IndicatorKind, Plan};
use crate::read::TaskState;
use crate::text::fmt_num;

/// The progress report (templates/report.typ, `d`).
#[derive(Debug, Clone, Serialize)]
pub struct ReportData {
    /// Title, 主送机关 (with its colon), and the 落款: office and 成文日期.
    pub title: String,
    pub recipient: String,
    pub office: String,
    pub date: String,
    /// The reporting year and the year before (the two columns of figures).
    pub year: i32,
    pub previous_year: i32,
    /// Column heading of the targets: "2025年目标" (the plan's last year).
    pub target_heading: String,
    /// For the PDF's metadata only (keywords): tool, version, plan table, inputs.
    pub metadata: Vec<String>,
    /// The opening paragraphs.
    pub intro: Vec<String>,
    /// 一、总体情况: paragraphs, the table of statuses by area, the units' returns.
    pub overview: Vec<String>,
    pub status_labels: Vec<String>,
    pub area_counts: Vec<AreaCountRow>,
    pub unit_rows: Vec<UnitRow>,
    /// 二、主要工作及成效: per area, what the units wrote.
    pub works: Vec<WorkSection>,
    /// 三、主要指标完成情况: per area, a sentence and the indicators.
    pub areas: Vec<AreaSection>,
    /// 四、重点项目和重点任务推进情况.
    pub project_sentences: Vec<String>,
    pub investment: Vec<InvestmentRow>,
    pub investment_total: InvestmentRow,
    pub task_sentences: Vec<String>,
    pub key_tasks: Vec<KeyTaskRow>,
    /// 五、存在的问题 and 六、下一步工作建议.
    pub problems: Vec<String>,
    pub suggestions: Vec<String>,
    /// The appendix tables: 附件1 indicators, the key tasks' targets, the projects.
    pub appendix_goals: AppendixTable,
    pub appendix_targets: AppendixTable,
    pub appendix_projects: ProjectTable,
    /// Where the figures come from (one sentence), and how the tables were made.
    pub data_note: String,
}

/// One area's 附件1 indicators by status, in the order of `status_labels`.
#[derive(Debug, Clone, Serialize)]
pub struct AreaCountRow {
    pub area: String,
    pub counts: Vec<usize>,
}

/// One responsible unit's returns and figures.
#[derive(Debug, Clone, Serialize)]
pub struct UnitRow {
    pub unit: String,
    /// "received/expected" returns, returns on time, indicators led, reported this
    /// year, reporting rate, "errors/warnings".
    pub returns: String,
    pub on_time: String,
    pub indicators: usize,
    pub reported: usize,
    pub rate: String,
    pub problems: String,
}

/// 二、主要工作及成效 of one area.
#[derive(Debug, Clone, Serialize)]
pub struct WorkSection {
    /// 一, 二, …
    pub number: String,
    pub name: String,
    /// Each unit's text, quoted with its name.
    pub entries: Vec<Quote>,
    /// Units that sent nothing for the area: one sentence saying so (empty when all did).
    pub placeholder: String,
}

/// A unit's own words.
#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    pub unit: String,
    pub text: String,
}

/// 三、主要指标完成情况 of one area.
#[derive(Debug, Clone, Serialize)]
pub struct AreaSection {
    pub number: String,
    pub name: String,
    pub sentences: Vec<String>,
    pub rows: Vec<IndicatorRow>,
}

/// One indicator in the report's tables.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorRow {
    /// 附件1 序号 (goals), or the indicator id (task targets).
    pub seq: String,
    pub id: String,
    pub name: String,
    pub unit: String,
    pub target_text: String,
    /// The figure used last year and this year, formatted ("—" for none).
    pub last: String,
    pub this: String,
    pub expected: String,
    pub status: String,
    pub responsible: String,
}

/// Investment in an area's projects (万元), or the total.
#[derive(Debug, Clone, Serialize)]
pub struct InvestmentRow {
    pub area: String,
    pub projects: usize,
    pub reported: usize,
    pub planned: String,
    pub completed: String,
    pub rate: String,
}

/// One of the plan's dated key tasks.
#[derive(Debug, Clone, Serialize)]
pub struct KeyTaskRow {
    pub name: String,
    pub responsible: String,
    /// "2025年"
    pub due: String,
    /// 已完成 / 推进中 / 未启动 / 未报送, with 逾期 when its year has come.
    pub state: String,
    pub note: String,
}

/// An appendix table of indicators, grouped by area.
#[derive(Debug, Clone, Serialize)]
pub struct AppendixTable {
    pub title: String,
    pub groups: Vec<AppendixGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppendixGroup {
    pub area: String,
    pub rows: Vec<IndicatorRow>,
}

/// The appendix table of the projects.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectTable {
    pub title: String,
    pub rows: Vec<ProjectRow>,
}

/// One project of 附件2 in the reporting year.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectRow {
    pub id: String,
    pub area: String,
    pub name: String,
    pub responsible: String,
    pub planned: String,
    pub completed: String,
    pub rate: String,
    /// 形象进度, last year and this year.
    pub progress_last: String,
    pub progress: String,
    pub status: String,
}

/// A unit's feedback sheet (templates/feedback.typ, `d`).
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackData {
    pub title: String,
    pub unit: String,
    pub office: String,
    pub date: String,
    pub year: i32,
    pub target_heading: String,
    pub intro: Vec<String>,
    pub rows: Vec<FeedbackRowData>,
    pub findings: Vec<FeedbackFinding>,
    /// What the unit did not send, one sentence each.
    pub missing: Vec<String>,
    /// The problems fed back on the unit's previous return, still open first, then
    /// those fixed; empty when there was no earlier different return.
    pub followup: Vec<FollowUpData>,
    /// Which earlier run they come from (a date).
    pub followup_from: String,
    /// How to send the corrected return.
    pub resend: String,
}

/// One problem fed back earlier: 已更正 or 仍未更正.
#[derive(Debug, Clone, Serialize)]
pub struct FollowUpData {
    pub state: String,
    pub fixed: bool,
    pub file: String,
    pub cell: String,
    pub message: String,
}

/// One indicator the unit is responsible for.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackRowData {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub target_text: String,
    pub value: String,
    pub expected: String,
    pub status: String,
    pub remark: String,
}

/// One problem in what the unit sent, with where it is.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackFinding {
    pub file: String,
    pub sheet: String,
    pub cell: String,
    pub severity: String,
    pub message: String,
}

pub fn value_text(v: Option<f64>) -> String {
    v.map(|v| fmt_num(v, 2)).unwrap_or_else(|| "—".to_string())
}

fn money(v: f64) -> String {
    fmt_num(v, 0)
}

fn percent(v: Option<f64>) -> String {
    v.map(|v| format!("{}%", fmt_num(v, 1))).unwrap_or_else(|| "—".to_string())
}

pub fn target_text(ind: &Indicator) -> String {
    let t = fmt_num(ind.target, 2);
    match ind.comparison {
        Comparison::AtLeast => format!("≥{t}"),
        Comparison::AtMost => format!("≤{t}"),
        Comparison::Hold => format!("保持{t}"),
        Comparison::Cumulative => format!("累计{t}"),
        Comparison::AnnualRate => format!("每年≥{t}"),
    }
}

/// A figure with its unit: 96.5%, 3.7‰, 1894套.
fn with_unit(v: f64, ind: &Indicator) -> String {
    format!("{}{}", fmt_num(v, 2), ind.unit)
}

/// A difference of figures: 6.4个百分点 for percentages, else with the unit.
fn difference(v: f64, ind: &Indicator) -> String {
    if ind.unit == "%" {
        format!("{}个百分点", fmt_num(v, 2))
    } else {
        with_unit(v, ind)
    }
}

/// What an indicator's figure means, in the words its kind calls for: 达到 for levels to
/// reach, 控制在…以内 for limits, 保持 for levels to hold, 累计完成 for totals, 增长 for
/// yearly rates.
pub fn describe(ind: &Indicator, p: &IndicatorYear) -> String {
    let name = &ind.name;
    let Some(v) = p.value else { return format!("“{name}”无数据") };
    let (value, target) = (with_unit(v, ind), with_unit(ind.target, ind));
    let met = p.status == Status::Met;
    match ind.comparison {
        Comparison::AtLeast if met => format!("“{name}”为{value}，达到{target}的目标"),
        Comparison::AtLeast => format!("“{name}”为{value}，距{target}的目标尚差{}", difference(ind.target - v, ind)),
        Comparison::AtMost if met => format!("“{name}”为{value}，控制在{target}以内"),
        Comparison::AtMost => format!("“{name}”为{value}，未控制在{target}以内"),
        Comparison::Hold if met => format!("“{name}”为{value}，保持在{target}"),
        Comparison::Hold => format!("“{name}”为{value}，未保持在{target}"),
        Comparison::Cumulative if met => format!("“{name}”累计完成{value}，完成{target}的目标"),
        Comparison::Cumulative => format!("“{name}”累计完成{value}，完成{target}目标的{}%", fmt_num(v * 100.0 / ind.target.max(1e-9), 1)),
        Comparison::AnnualRate if met => format!("“{name}”为{value}，达到每年{target}的目标"),
        Comparison::AnnualRate => format!("“{name}”为{value}，低于每年{target}的目标"),
    }
}

/// What is still needed each year, in the words of the indicator's kind.
fn still_needed(ind: &Indicator, change: f64) -> String {
    let unit = if ind.unit == "%" { "个百分点" } else { ind.unit.as_str() };
    let amount = format!("{}{}", fmt_num(change.abs(), 2), unit);
    match ind.comparison {
        Comparison::Cumulative => format!("剩余年份需每年新增{amount}"),
        Comparison::AtMost => format!("剩余年份需每年降低{amount}"),
        _ if change < 0.0 => format!("剩余年份需每年降低{amount}"),
        _ => format!("剩余年份需每年提高{amount}"),
    }
}

const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

fn numeral(k: usize) -> String {
    NUMERALS.get(k).copied().unwrap_or("").to_string()
}

/// Everything the report reads.
pub fn report_data(batch: &Batch) -> ReportData {
    let plan = &batch.plan;
    let a = &batch.assessment;
    let (year, end) = (a.year, a.period.end);
    let missing_units: Vec<&str> =
        a.units.iter().filter(|u| !a.returns_of(&u.unit, year).is_some_and(|r| r.received())).map(|u| u.unit.as_str()).collect();
    // Where each table's rows came from: the imported attachment (its file), or the text.
    let origins = |list: Vec<&str>, name: &str| -> String {
        let files: Vec<&str> = list.iter().map(|o| o.split('，').next().unwrap_or(o)).collect();
        if !files.is_empty() && files.iter().all(|f| *f != crate::plan::FROM_TEXT) {
            let mut unique = files.clone();
            unique.dedup();
            format!("（方案{name}，导入自{}）", unique.join("、"))
        } else {
            format!("（{}）", crate::plan::FROM_TEXT)
        }
    };
    let of_kind = |kind: IndicatorKind| plan.indicators.iter().filter(|i| i.kind == kind).map(|i| i.origin_text()).collect::<Vec<_>>();
    let projects_origin = origins(plan.projects.iter().map(|p| p.origin_text()).collect(), "附件2");
    let label = |official: bool, name: &str| match (official, name) {
        (true, "附件1") => origins(of_kind(IndicatorKind::Goal), name),
        (true, _) => projects_origin.clone(),
        _ => format!("（{}）", crate::plan::FROM_TEXT),
    };
    ReportData {
        title: format!("{}实施进展报告（{}年度）", plan.short_title(), year),
        recipient: format!("{}：", batch.recipient),
        office: batch.office.clone(),
        date: batch.date_text(),
        year,
        previous_year: year - 1,
        target_heading: format!("{end}年目标"),
        metadata: vec![
            format!("planmon {}", env!("CARGO_PKG_VERSION")),
            format!("指标表 {}", plan.version),
            format!("输入指纹 {}", batch.fingerprint),
        ],
        intro: intro(plan, a),
        overview: overview(a, &missing_units),
        status_labels: Status::ALL.iter().map(|s| s.label().to_string()).collect(),
        area_counts: a.areas.iter().map(|x| AreaCountRow { area: x.area.clone(), counts: x.counts.0.to_vec() }).collect(),
        unit_rows: unit_rows(a),
        works: work_sections(a),
        areas: area_sections(plan, a),
        project_sentences: project_sentences(plan, a),
        investment: a.investment.iter().map(|x| investment_row(&x.area, x.projects, x.reported, x.planned, x.completed)).collect(),
        investment_total: investment_row(
            "合计",
            a.investment.iter().map(|x| x.projects).sum(),
            a.investment.iter().map(|x| x.reported).sum(),
            a.investment.iter().map(|x| x.planned).sum(),
            a.investment.iter().map(|x| x.completed).sum(),
        ),
        task_sentences: task_sentences(plan, a),
        key_tasks: key_task_rows(plan, a),
        problems: problems(plan, a, &missing_units),
        suggestions: suggestions(plan, a, &missing_units),
        appendix_goals: appendix(plan, a, IndicatorKind::Goal, &format!("附表1　主要发展指标完成情况{}", label(plan.official.indicators, "附件1"))),
        appendix_targets: appendix(plan, a, IndicatorKind::Task, &format!("附表2　重点任务量化指标完成情况{}", origins(of_kind(IndicatorKind::Task), "附件1"))),
        appendix_projects: ProjectTable {
            title: format!("附表3　重点项目进展情况{}", label(plan.official.projects, "附件2")),
            rows: project_rows(plan, a),
        },
        data_note: format!(
            "注：各项数据均取自各责任单位报送的{}年度填报表；每个数据的来源（填报单位、文件、工作表、单元格）见同期汇总表“数据明细”工作表和 observations.csv。{}",
            year,
            if plan.official.indicators && plan.official.projects {
                ""
            } else {
                "方案附件未随正文公开的，指标表和项目表据方案正文整理。"
            }
        ),
    }
}

fn intro(plan: &Plan, a: &Assessment) -> Vec<String> {
    let (year, start, end) = (a.year, a.period.start, a.period.end);
    let stage = if year >= end {
        format!("{end}年是方案实施期末年，本报告同时作为方案实施情况终期评估的依据。")
    } else {
        format!("{year}年是方案实施的第{}年。", numeral((year - start).max(0) as usize))
    };
    vec![format!(
        "按照《{}》“实施监测评估”的要求，现将{}年度实施进展情况报告如下。{}本报告依据各责任单位报送的{}年度填报表汇总形成，数据截至{}年末。",
        plan.title, year, stage, year, year
    )]
}

fn overview(a: &Assessment, missing_units: &[&str]) -> Vec<String> {
    let year = a.year;
    let status_phrase = Status::ALL.iter().map(|s| format!("{}{}项", s.label(), a.goals.get(*s))).collect::<Vec<_>>().join("，");
    let units = a.units.len();
    let received = units - missing_units.len();
    let late: usize = a.returns.iter().filter(|r| r.year == year && r.late()).count();
    let [errors, warnings, _] = a.findings;
    vec![
        format!("方案确定的{}项主要发展指标中，{}年{}。", a.goals.total(), year, status_phrase),
        format!(
            "应报送填报表的{}个责任单位中，{}个已报送{}年度填报表，报送率{}%{}。数据校验发现错误{}处、警告{}处，已逐条反馈各单位。",
            units,
            received,
            year,
            fmt_num(if units == 0 { 0.0 } else { received as f64 * 100.0 / units as f64 }, 1),
            if late > 0 { format!("，其中{late}份逾期报送") } else { String::new() },
            errors,
            warnings
        ),
    ]
}

fn unit_rows(a: &Assessment) -> Vec<UnitRow> {
    a.units
        .iter()
        .map(|u| UnitRow {
            unit: u.unit.clone(),
            returns: format!("{}/{}", u.returns_received, u.returns_expected),
            on_time: if u.returns_received == 0 { "—".to_string() } else { format!("{}/{}", u.on_time, u.returns_received) },
            indicators: u.indicators,
            reported: u.reported,
            rate: format!("{}%", fmt_num(u.reporting_rate(), 0)),
            problems: format!("{}/{}", u.errors, u.warnings),
        })
        .collect()
}

fn work_sections(a: &Assessment) -> Vec<WorkSection> {
    a.works
        .iter()
        .enumerate()
        .map(|(k, w)| WorkSection {
            number: numeral(k),
            name: w.area.clone(),
            entries: w
                .entries
                .iter()
                .filter(|e| !e.work.is_empty())
                .map(|e| Quote { unit: e.department.clone(), text: e.work.clone() })
                .collect(),
            placeholder: if w.silent.is_empty() {
                String::new()
            } else {
                format!("（{}未报送本领域工作进展，待补充。）", w.silent.join("、"))
            },
        })
        .collect()
}

fn indicator_row(plan: &Plan, a: &Assessment, ind: &Indicator) -> IndicatorRow {
    let p = a.latest(&ind.id);
    let _ = plan;
    IndicatorRow {
        seq: ind.seq.map(|s| s.to_string()).unwrap_or_else(|| ind.id.clone()),
        id: ind.id.clone(),
        // 指标属性 (预期性/约束性) of an imported 附件1 goes with the name.
        name: if ind.attribute.is_empty() { ind.name.clone() } else { format!("{}（{}）", ind.name, ind.attribute) },
        unit: ind.unit.clone(),
        target_text: target_text(ind),
        last: value_text(a.of(&ind.id, a.year - 1).and_then(|p| p.value)),
        this: value_text(p.and_then(|p| p.value)),
        expected: value_text(p.and_then(|p| p.expected)),
        status: a.status(&ind.id).label().to_string(),
        responsible: ind.responsible_joined(),
    }
}

fn area_sections(plan: &Plan, a: &Assessment) -> Vec<AreaSection> {
    a.areas
        .iter()
        .enumerate()
        .map(|(k, area)| {
            let list: Vec<&Indicator> = plan.indicators.iter().filter(|i| i.area == area.area).collect();
            let mut sentence = format!("本领域{}项主要指标中{}项已达标或符合序时进度", area.counts.total(), area.counts.good());
            let lagging: Vec<String> =
                list.iter().filter_map(|i| a.latest(&i.id).filter(|p| p.status.is_lagging()).map(|p| describe(i, p))).collect();
            if lagging.is_empty() {
                sentence.push('。');
            } else {
                sentence.push_str(&format!("；{}，需加快推进。", lagging.join("；")));
            }
            AreaSection {
                number: numeral(k),
                name: area.area.clone(),
                sentences: vec![sentence],
                rows: list.iter().map(|i| indicator_row(plan, a, i)).collect(),
            }
        })
        .collect()
}

fn investment_row(area: &str, projects: usize, reported: usize, planned: f64, completed: f64) -> InvestmentRow {
    InvestmentRow {
        area: area.to_string(),
        projects,
        reported,
        planned: money(planned),
        completed: money(completed),
        rate: percent((planned > 0.0).then(|| completed * 100.0 / planned)),
    }
}

fn project_sentences(plan: &Plan, a: &Assessment) -> Vec<String> {
    let year = a.year;
    let reported: Vec<_> = a.projects.iter().filter_map(|p| p.this_year.as_ref()).collect();
    let finished = reported.iter().filter(|r| r.progress.is_some_and(|p| p >= 100.0)).count();
    let planned: f64 = a.investment.iter().map(|x| x.planned).sum();
    let completed: f64 = a.investment.iter().map(|x| x.completed).sum();
    vec![format!(
        "方案重点任务中点名的{}个建设项目，{}个报送了{}年度进展，其中{}个已完工。已报送项目计划总投资{}万元，累计完成投资{}万元，完成率{}。",
        plan.projects.len(),
        reported.len(),
        year,
        finished,
        money(planned),
        money(completed),
        percent((planned > 0.0).then(|| completed * 100.0 / planned))
    )]
}

fn task_state(a: &Assessment, t: &crate::aggregate::TaskProgress) -> String {
    let state = t.state.map_or("未报送", TaskState::label);
    if t.overdue(a.year) {
        format!("{state}（已到期）")
    } else {
        state.to_string()
    }
}

fn task_sentences(plan: &Plan, a: &Assessment) -> Vec<String> {
    if plan.tasks.is_empty() {
        return Vec::new();
    }
    let done = a.key_tasks.iter().filter(|t| t.state == Some(TaskState::Done)).count();
    let overdue = a.key_tasks.iter().filter(|t| t.overdue(a.year)).count();
    let mut s = format!("方案提出的{}项有完成时限的重点任务中，已完成{}项", plan.tasks.len(), done);
    if overdue > 0 {
        s.push_str(&format!("，{}项已到完成时限仍未完成", overdue));
    }
    s.push('。');
    vec![s]
}

fn key_task_rows(plan: &Plan, a: &Assessment) -> Vec<KeyTaskRow> {
    plan.tasks
        .iter()
        .filter_map(|t| {
            let p = a.key_tasks.iter().find(|x| x.task_id == t.id)?;
            Some(KeyTaskRow {
                name: t.name.clone(),
                responsible: t.responsible.join("、"),
                due: format!("{}年", p.due),
                state: task_state(a, p),
                note: p.report.as_ref().map(|r| r.note.clone()).unwrap_or_default(),
            })
        })
        .collect()
}

/// The indicators of the plan with their reporting-year assessment.
fn latest<'a>(plan: &'a Plan, a: &'a Assessment) -> Vec<(&'a Indicator, &'a IndicatorYear)> {
    plan.indicators.iter().filter_map(|i| a.latest(&i.id).map(|p| (i, p))).collect()
}

fn problems(plan: &Plan, a: &Assessment, missing_units: &[&str]) -> Vec<String> {
    let year = a.year;
    let latest = latest(plan, a);
    let mut problems = Vec::new();
    let lag: Vec<String> =
        latest.iter().filter(|(_, p)| p.status.is_lagging()).map(|(i, p)| format!("{}（{}）", describe(i, p), p.status.label())).collect();
    if !lag.is_empty() {
        problems.push(format!("部分指标进度滞后。{}。", lag.join("；")));
    }
    let overdue: Vec<String> = plan
        .tasks
        .iter()
        .filter(|t| a.key_tasks.iter().any(|x| x.task_id == t.id && x.overdue(year)))
        .map(|t| format!("“{}”", t.name))
        .collect();
    if !overdue.is_empty() {
        problems.push(format!("部分重点任务未按期完成：{}。", overdue.join("、")));
    }
    let reported = by_unit(a, |e| &e.problems);
    if !reported.is_empty() {
        problems.push(format!("各单位反映的主要问题：{}", reported.join("；")));
    }
    if !missing_units.is_empty() {
        problems.push(format!("{}未报送{}年度填报表。", missing_units.join("、"), year));
    }
    let nodata: Vec<String> = latest.iter().filter(|(_, p)| p.status == Status::NoData).map(|(i, _)| format!("“{}”", i.name)).collect();
    if !nodata.is_empty() {
        problems.push(format!("{}项指标{}年无数据：{}。", nodata.len(), year, nodata.join("、")));
    }
    let conflicted = a.conflicts.iter().filter(|c| c.year == year).count();
    if conflicted > 0 {
        problems
            .push(format!("{}项指标{}年的数据在不同单位之间不一致，评估采用牵头责任单位的数据，请相关单位核对统一。", conflicted, year));
    }
    if problems.is_empty() {
        problems.push("未发现突出问题。".to_string());
    }
    problems
}

/// What each unit wrote in one column (problems, next steps) over its areas, each text
/// once: "市卫生健康局：……".
fn by_unit(a: &Assessment, column: impl Fn(&crate::read::WorkReport) -> &String) -> Vec<String> {
    let mut units: Vec<(String, Vec<String>)> = Vec::new();
    for e in a.works.iter().flat_map(|w| &w.entries) {
        let text = column(e).trim().trim_end_matches(['。', '；', ';']).to_string();
        if text.is_empty() {
            continue;
        }
        match units.iter_mut().find(|(u, _)| *u == e.department) {
            Some((_, texts)) if texts.contains(&text) => {}
            Some((_, texts)) => texts.push(text),
            None => units.push((e.department.clone(), vec![text])),
        }
    }
    units.into_iter().map(|(u, texts)| format!("{u}：{}", texts.join("；"))).collect()
}

fn suggestions(plan: &Plan, a: &Assessment, missing_units: &[&str]) -> Vec<String> {
    let ended = a.year >= a.period.end;
    let mut suggestions: Vec<String> = latest(plan, a)
        .iter()
        .filter(|(_, p)| p.status.is_lagging())
        .map(|(i, p)| match p.required_annual_change {
            Some(c) if !ended => format!("{}加快推进“{}”，{}。", i.lead_unit(), i.name, still_needed(i, c)),
            _ if ended => format!("{}对“{}”未达到目标的原因作出说明，纳入下一轮规划统筹解决。", i.lead_unit(), i.name),
            _ => format!("{}加快推进“{}”。", i.lead_unit(), i.name),
        })
        .collect();
    let next = by_unit(a, |e| &e.next);
    if !next.is_empty() {
        suggestions.push(format!("各单位下一步打算：{}", next.join("；")));
    }
    if !missing_units.is_empty() || a.goals.get(Status::NoData) > 0 {
        suggestions.push("未报送或缺报的单位尽快补报，确保评估数据完整。".to_string());
    }
    if ended {
        suggestions.push("以本次终期评估结果为基础，做好下一轮公共服务发展规划的指标衔接。".to_string());
    }
    suggestions
}

fn appendix(plan: &Plan, a: &Assessment, kind: IndicatorKind, title: &str) -> AppendixTable {
    let groups = plan
        .areas()
        .into_iter()
        .filter_map(|area| {
            let rows: Vec<IndicatorRow> =
                plan.indicators.iter().filter(|i| i.area == area && i.kind == kind).map(|i| indicator_row(plan, a, i)).collect();
            (!rows.is_empty()).then_some(AppendixGroup { area, rows })
        })
        .collect();
    AppendixTable { title: title.to_string(), groups }
}

fn project_rows(plan: &Plan, a: &Assessment) -> Vec<ProjectRow> {
    plan.projects
        .iter()
        .map(|p| {
            let progress = a.project(&p.id);
            let rep = progress.and_then(|x| x.this_year.as_ref());
            let last = progress.and_then(|x| x.last_year.as_ref());
            ProjectRow {
                id: p.id.clone(),
                area: p.area.clone(),
                name: p.name.clone(),
                responsible: p.responsible.join("、"),
                planned: rep.and_then(|r| r.planned_investment).map(money).unwrap_or_else(|| "—".into()),
                completed: rep.and_then(|r| r.completed_investment).map(money).unwrap_or_else(|| "—".into()),
                rate: percent(progress.and_then(|x| x.completion_rate())),
                progress_last: last.and_then(|r| r.progress).map(|v| format!("{}%", fmt_num(v, 0))).unwrap_or_else(|| "—".into()),
                progress: rep.and_then(|r| r.progress).map(|v| format!("{}%", fmt_num(v, 0))).unwrap_or_else(|| "—".into()),
                status: rep.map(|r| r.status.clone()).filter(|s| !s.is_empty()).unwrap_or_else(|| "未报送".into()),
            }
        })
        .collect()
}

/// Everything a unit's feedback sheet reads.
pub fn feedback_data(batch: &Batch, unit: &str) -> FeedbackData {
    let plan = &batch.plan;
    let a = &batch.assessment;
    let year = a.year;
    let empty = crate::aggregate::UnitFeedback {
        unit: unit.to_string(),
        received: false,
        rows: Vec::new(),
        findings: Vec::new(),
        missing: Vec::new(),
        followup: None,
    };
    let fb = a.feedback_of(unit).unwrap_or(&empty);
    let rows = fb
        .rows
        .iter()
        .filter_map(|r| {
            let i = plan.indicator(&r.indicator_id)?;
            Some(FeedbackRowData {
                id: i.id.clone(),
                name: i.name.clone(),
                unit: i.unit.clone(),
                target_text: target_text(i),
                value: value_text(r.value),
                expected: value_text(r.expected),
                status: r.status.label().to_string(),
                remark: crate::text::clip(&r.remark, 300).into_owned(),
            })
        })
        .collect();
    let finding = |f: &Finding| FeedbackFinding {
        file: f.file.clone(),
        sheet: f.sheet.clone(),
        cell: f.cell.clone(),
        severity: f.severity.label().to_string(),
        message: f.message.clone(),
    };
    FeedbackData {
        title: format!("{}年度填报数据反馈单", year),
        unit: unit.to_string(),
        office: batch.office.clone(),
        date: batch.date_text(),
        year,
        target_heading: format!("{}年目标", a.period.end),
        intro: vec![format!(
            "你单位报送的{}年度《{}》填报表已收悉。经汇总校验，现将你单位负责指标的完成情况和填报数据存在的问题反馈如下。",
            year, plan.title
        )],
        rows,
        findings: fb.findings.iter().map(finding).collect(),
        missing: fb.missing.iter().map(|f| f.message.clone()).collect(),
        followup: fb
            .followup
            .iter()
            .flat_map(|up| {
                // Still open first.
                let (open, fixed): (Vec<_>, Vec<_>) = up.items.iter().partition(|i| !i.fixed);
                open.into_iter().chain(fixed).map(|i| FollowUpData {
                    state: i.state().to_string(),
                    fixed: i.fixed,
                    file: i.file.clone(),
                    cell: if i.sheet.is_empty() { i.cell.clone() } else { format!("{}!{}", i.sheet, i.cell) },
                    message: i.message.clone(),
                })
            })
            .collect(),
        followup_from: fb.followup.as_ref().map(|up| run_date(&up.previous)).unwrap_or_default(),
        resend: resend_text(a, unit, year),
    }
}

/// A file name without the version marker a corrected return already carries
/// (填报表（更正） → 填报表), to show how to name the next one.
fn without_version_marker(stem: &str) -> &str {
    let markers = ["修改", "更正", "修订", "修正", "版", "最终", "定稿"];
    for (open, close) in [('（', '）'), ('(', ')')] {
        if let Some(body) = stem.strip_suffix(close) {
            if let Some(i) = body.rfind(open) {
                if markers.iter().any(|m| body[i..].contains(m)) {
                    return &stem[..i];
                }
            }
        }
    }
    stem
}

/// The date of a run from its id (20260120T093000Z-123 → 2026年1月20日).
fn run_date(run_id: &str) -> String {
    let digits: String = run_id.chars().take(8).collect();
    match (digits.get(0..4), digits.get(4..6), digits.get(6..8)) {
        (Some(y), Some(m), Some(d)) if digits.chars().all(|c| c.is_ascii_digit()) => {
            format!("{}年{}月{}日", y, m.trim_start_matches('0'), d.trim_start_matches('0'))
        }
        _ => run_id.to_string(),
    }
}

/// How a unit sends its corrected return so that it replaces the first one.
fn resend_text(a: &crate::aggregate::Assessment, unit: &str, year: i32) -> String {
    let file = a.returns_of(unit, year).and_then(|r| r.files.first()).map(|f| f.rsplit('/').next().unwrap_or(f).to_string());
    let example = match file.as_deref().and_then(|f| f.rsplit_once('.')) {
        Some((stem, ext)) => format!("（如“{}（修改版）.{ext}”）", without_version_marker(stem)),
        None => String::new(),
    };
    let fb = a.feedback_of(unit);
    if fb.is_some_and(|f| f.received && f.missing.is_empty() && f.findings.iter().all(|x| x.severity == crate::finding::Severity::Info)) {
        return "本次未发现需要修改的问题，无需重新报送。".to_string();
    }
    format!(
        "请于收到本反馈单后核实修改，重新报送填报表：在原填报表上修改，把“填报日期”改为修改当天，文件名末尾加“（修改版）”{example}后报送；也可重新填写统一下发的填报表。汇总时以填报日期最晚的一份为准，原来的一份不再采用。"
    )
}
