//! The documents' content as typed data: [`ReportData`] for the progress report and
//! [`FeedbackData`] for a unit's feedback sheet. Built from the frozen assessment only —
//! every number, count, list and status is the assessment's; here they are put into
//! words and formatted (each figure with its indicator's decimals: display never
//! changes a number). A sentence that counts a set lists the same set, and a count
//! of none is said in words (均未, 尚无), never as 0项. The PDF templates (templates/report.typ, feedback.typ) and the Word
//! writer read these fields, by these names; this file is their documentation.

use serde::Serialize;

use crate::assess::{Assessment, IndicatorYear, Status, TaskProgress, UnitFeedback};
use crate::finding::Finding;
use crate::plan::{Comparison, Indicator, IndicatorKind, Plan};
use crate::read::TaskState;
use crate::render::workbook::FINDINGS;
use crate::text::fmt_num;

/// The progress report (templates/report.typ, `d`).
#[derive(Debug, Clone, Serialize)]
pub struct ReportData {
    /// Title, 主送机关 (with its colon), and the 落款: office and 成文日期.
    pub title: String,
    /// The title as typeset, a line each (a long one breaks between the plan's name and
    /// what the document is, never inside a word).
    pub title_lines: Vec<String>,
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
    /// Above the 主送: that the figures are sample data (示例数据), or empty.
    pub notice: String,
    /// The opening paragraphs.
    pub intro: Vec<String>,
    /// 一、总体情况: paragraphs, the table of statuses by area, the units' returns.
    pub overview: Vec<String>,
    pub status_labels: Vec<String>,
    pub area_counts: Vec<AreaCountRow>,
    /// 图1 (drawn from `status_labels` and `area_counts`): its caption; and 表1's.
    pub figure_title: String,
    pub table1_title: String,
    /// 表3's caption (the year, or at the plan's end the period's close).
    pub table3_title: String,
    /// The returns columns' heading: the years they count (2023—2025年).
    pub returns_years: String,
    pub unit_rows: Vec<UnitRow>,
    /// Under 表2: the returns neither on time nor late, and why (empty: none).
    pub unit_note: String,
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
    /// The 附件说明 under the body (GB/T 9704 7.3.4): the appended tables' names, in
    /// order, without their 附表N.
    pub attachments: Vec<String>,
    /// At the plan's end, the final evaluation's lists and reasons (None before).
    pub final_eval: Option<super::final_report::FinalReport>,
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
    /// At the plan's end: the whole-period table instead (empty before).
    pub final_rows: Vec<super::final_report::FinalRow>,
    /// Before the plan's end: how the table's 序时进度 and status of some rows were
    /// reached (a milestone of the plan, a judgement on the level), one per indicator.
    pub notes: Vec<String>,
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
    /// 已完成 / 推进中 / 未启动 / 未报送, with 已到期 when its year has come.
    pub state: String,
    /// Why the state is not what was reported (a project tied to it), then the unit's note.
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
    /// What to check against a task or an indicator tied to the project (empty when
    /// they agree).
    pub note: String,
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
    /// The column beside the figures: 序时进度 in a year of the plan, 完成率 at its end.
    pub expected_heading: String,
    /// Above the unit's name: that its return is sample data (示例数据), or empty.
    pub notice: String,
    pub intro: Vec<String>,
    pub rows: Vec<FeedbackRowData>,
    pub findings: Vec<FeedbackFinding>,
    /// The reporting year's return came late: one sentence (empty when on time).
    pub late: String,
    /// What the unit did not send, one sentence each.
    pub missing: Vec<String>,
    /// Part 二 when there is no problem in what was sent (what was not sent is part 三's).
    pub no_problems: String,
    /// The problems fed back on the unit's previous return, still open first, then
    /// those fixed; empty when there was no earlier different return.
    pub followup: Vec<FollowUpData>,
    /// Which earlier run they come from (a date).
    pub followup_from: String,
    /// How to send the corrected return.
    pub resend: String,
    /// The annotated copy of the unit's return sent with the sheet (empty: none).
    pub annotated: String,
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
    /// What this unit reported in its own return (未填报 when nothing).
    pub own: String,
    /// The figure the assessment uses where it is not the unit's own figure, with whose
    /// it is: 98.6（市民政局）; 同左 when it is the same.
    pub used: String,
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

/// A figure of an indicator as every document shows it, or — for none.
pub fn value_text(a: &Assessment, ind: &Indicator, v: Option<f64>) -> String {
    v.filter(|v| v.is_finite()).map(|v| a.shown(&ind.id, v)).unwrap_or_else(|| "—".to_string())
}

/// Quotation marks inside quotation marks become single ones, as Chinese writes them:
/// “‘人社+村居’就业公共服务平台…”, never ““人社+村居”…”.
pub fn nested_quotes(sentences: Vec<String>) -> Vec<String> {
    sentences.into_iter().map(|s| crate::text::nest_quotes(&s)).collect()
}

/// A number planmon worked out (序时进度): see `Assessment::shown_derived`.
pub fn derived_text(a: &Assessment, ind: &Indicator, v: Option<f64>) -> String {
    v.filter(|v| v.is_finite()).map(|v| a.shown_derived(&ind.id, v)).unwrap_or_else(|| "—".to_string())
}

/// An amount as reported (万元, 形象进度): every digit it was written with.
pub(crate) fn amount(v: f64) -> String {
    fmt_num(v, 6)
}

fn percent(v: Option<f64>) -> String {
    v.map(|v| format!("{}%", crate::text::fmt_rate(v))).unwrap_or_else(|| "—".to_string())
}

/// The target as the plan writes it.
pub fn target_text(ind: &Indicator) -> String {
    let t = fmt_num(ind.target, 6);
    match ind.comparison {
        Comparison::AtLeast => format!("≥{t}"),
        Comparison::AtMost => format!("≤{t}"),
        Comparison::Hold => format!("保持{t}"),
        Comparison::Cumulative => format!("累计{t}"),
        Comparison::AnnualRate => format!("每年≥{t}"),
    }
}

/// A figure with its unit: 96.5%, 3.7‰, 1894套.
pub(crate) fn with_unit(a: &Assessment, v: f64, ind: &Indicator) -> String {
    format!("{}{}", a.shown(&ind.id, v), ind.unit)
}

/// The target with its unit, as the plan writes it.
fn target_with_unit(ind: &Indicator) -> String {
    format!("{}{}", fmt_num(ind.target, 6), ind.unit)
}

/// A difference of figures: 6.4个百分点 for percentages, else with the unit.
fn difference(a: &Assessment, v: f64, ind: &Indicator) -> String {
    if ind.unit == "%" {
        format!("{}个百分点", a.shown(&ind.id, v))
    } else {
        with_unit(a, v, ind)
    }
}

/// What an indicator's figure means, in the words its kind calls for: 达到 for levels to
/// reach, 控制在…以内 for limits, 保持 for levels to hold, 累计完成 for totals, 增长 for
/// yearly rates.
pub fn describe(a: &Assessment, ind: &Indicator, p: &IndicatorYear) -> String {
    let name = &ind.name;
    let Some(v) = p.value else { return format!("“{name}”无数据") };
    let (value, target) = (with_unit(a, v, ind), target_with_unit(ind));
    let met = p.status == Status::Met;
    let reached = crate::assess::judge::reaches(ind.comparison, v, ind.target, &a.plan.rules.status);
    match ind.comparison {
        Comparison::AtLeast if met => format!("“{name}”为{value}，达到{target}的目标"),
        Comparison::AtLeast => format!("“{name}”为{value}，距{target}的目标尚差{}", difference(a, ind.target - v, ind)),
        Comparison::AtMost if met => format!("“{name}”为{value}，控制在{target}以内"),
        Comparison::AtMost => format!("“{name}”为{value}，未控制在{target}以内"),
        Comparison::Hold if met => format!("“{name}”为{value}，保持在{target}"),
        Comparison::Hold => format!("“{name}”为{value}，未保持在{target}"),
        Comparison::Cumulative if met => format!("“{name}”累计完成{value}，完成{target}的目标"),
        Comparison::Cumulative => format!("“{name}”累计完成{value}，完成{target}目标的{}%", fmt_num(v * 100.0 / ind.target.max(1e-9), 1)),
        Comparison::AnnualRate if reached && !p.missed_before.is_empty() => {
            let before: Vec<String> = p.missed_before.iter().map(|(y, x)| format!("{y}年为{}", with_unit(a, *x, ind))).collect();
            format!("“{name}”为{value}，达到每年{target}的目标，但{}，未达到（方案要求每年达到）", before.join("、"))
        }
        Comparison::AnnualRate if reached => format!("“{name}”为{value}，达到每年{target}的目标"),
        Comparison::AnnualRate => format!("“{name}”为{value}，低于每年{target}的目标"),
    }
}

/// What is still needed each year, in the words of the indicator's kind.
fn still_needed(a: &Assessment, ind: &Indicator, change: f64) -> String {
    let unit = if ind.unit == "%" { "个百分点" } else { ind.unit.as_str() };
    let amount = format!("{}{}", a.shown_derived(&ind.id, change.abs()), unit);
    match ind.comparison {
        Comparison::Cumulative => format!("剩余年份需每年新增{amount}"),
        Comparison::AtMost => format!("剩余年份需每年降低{amount}"),
        _ if change < 0.0 => format!("剩余年份需每年降低{amount}"),
        _ => format!("剩余年份需每年提高{amount}"),
    }
}

/// The Chinese numeral of `k` counted from 0 (一 for 0), for headings.
pub fn numeral_pub(k: usize) -> String {
    numeral(k)
}

const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

fn numeral(k: usize) -> String {
    NUMERALS.get(k).copied().unwrap_or("").to_string()
}

/// The plan's indicators by id (the assessment's lists hold ids).
fn indicators<'a>(a: &'a Assessment, ids: &'a [String]) -> impl Iterator<Item = &'a Indicator> + 'a {
    ids.iter().filter_map(|id| a.plan.indicator(id))
}

/// The indicators of `ids` with their reporting-year assessment.
fn judged<'a>(a: &'a Assessment, ids: &'a [String]) -> Vec<(&'a Indicator, &'a IndicatorYear)> {
    indicators(a, ids).filter_map(|i| a.latest(&i.id).map(|p| (i, p))).collect()
}

/// Everything the report reads.
pub fn report_data(a: &Assessment) -> ReportData {
    let plan = &a.plan;
    let (year, end) = (a.year, a.period.end);
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
    let of_kind = |kind: IndicatorKind| a.indicators_of_kind(kind).map(|i| i.origin_text()).collect::<Vec<_>>();
    let projects_origin = origins(plan.projects.iter().map(|p| p.origin_text()).collect(), "附件2");
    let label = |official: bool, name: &str| match (official, name) {
        (true, "附件1") => origins(of_kind(IndicatorKind::Goal), name),
        (true, _) => projects_origin.clone(),
        _ => format!("（{}）", crate::plan::FROM_TEXT),
    };
    let total = &a.investment_total;
    let fe = a.final_eval.as_ref();
    let mut overview_text = overview(a);
    if let (Some(e), Some(first)) = (fe, overview_text.first_mut()) {
        *first = super::final_report::overview(a, e);
    }
    let (status_labels, area_counts) = match fe {
        Some(e) => (
            crate::assess::final_eval::Outcome::ALL.iter().map(|o| o.label().to_string()).collect(),
            e.areas
                .iter()
                .map(|(area, c)| AreaCountRow {
                    area: area.clone(),
                    counts: crate::assess::final_eval::Outcome::ALL.iter().map(|o| c.get(*o)).collect(),
                })
                .collect(),
        ),
        None => (
            Status::ALL.iter().map(|s| s.label().to_string()).collect(),
            a.areas
                .iter()
                .map(|x| AreaCountRow { area: x.area.clone(), counts: Status::ALL.iter().map(|s| x.goals.get(*s)).collect() })
                .collect(),
        ),
    };
    let (problems_text, suggestions_text) = match fe {
        Some(e) => {
            let mut p = super::final_report::problems(a, e);
            p.extend(return_problems(a));
            if p.is_empty() {
                p.push("未发现突出问题。".to_string());
            }
            (p, super::final_report::suggestions(a, e))
        }
        None => (problems(a), suggestions(a)),
    };
    let title_lines = match fe {
        Some(_) => vec![plan.short_title(), "实施情况终期评估报告".to_string()],
        None => vec![format!("{}实施进展报告（{}年度）", plan.short_title(), year)],
    };
    let project_rows = project_rows(a);
    let projects_to_check = project_rows.iter().any(|p| !p.note.is_empty());
    let mut d = ReportData {
        title_lines,
        title: match fe {
            Some(_) => format!("{}实施情况终期评估报告", plan.short_title()),
            None => format!("{}实施进展报告（{}年度）", plan.short_title(), year),
        },
        recipient: format!("{}：", a.documents.recipient),
        office: a.documents.office.clone(),
        date: a.documents.date_text.clone(),
        year,
        previous_year: year - 1,
        target_heading: format!("{end}年目标"),
        metadata: vec![
            format!("planmon {}", env!("CARGO_PKG_VERSION")),
            format!("指标表 {}", plan.version),
            format!("输入指纹 {}", a.fingerprint),
        ],
        notice: sample_notice(a).unwrap_or_default(),
        intro: if fe.is_some() { super::final_report::intro(a) } else { intro(plan, a) },
        overview: nested_quotes(overview_text),
        table3_title: match fe {
            Some(_) => format!("表3　重点项目投资完成情况（截至{}年末，万元）", a.period.end),
            None => format!("表3　重点项目投资完成情况（{year}年，万元）"),
        },
        table1_title: match fe {
            Some(_) => format!("表1　主要发展指标完成情况（按领域，{}—{}年）", a.period.start, a.period.end),
            None => format!("表1　主要发展指标完成情况（按领域，{year}年）"),
        },
        figure_title: match fe {
            Some(_) => format!("图1　各领域主要指标完成情况（{}—{}年，项）", a.period.start, a.period.end),
            None => format!("图1　各领域主要指标进展状态（{year}年，项）"),
        },
        status_labels,
        area_counts,
        returns_years: years_text(a),
        unit_rows: unit_rows(a),
        unit_note: unit_note(a),
        works: work_sections(a),
        areas: area_sections(a),
        project_sentences: nested_quotes(project_sentences(a)),
        investment: a.investment.iter().map(|x| investment_row(&x.area, x.projects, x.reported, x.planned, x.completed, x.rate())).collect(),
        investment_total: investment_row(&total.area, total.projects, total.reported, total.planned, total.completed, total.rate()),
        task_sentences: nested_quotes(task_sentences(a)),
        key_tasks: key_task_rows(a),
        problems: nested_quotes(problems_text),
        suggestions: nested_quotes(suggestions_text),
        appendix_goals: appendix(a, IndicatorKind::Goal, &format!("附表1　主要发展指标完成情况{}", label(plan.official.indicators, "附件1"))),
        appendix_targets: appendix(a, IndicatorKind::Task, &format!("附表2　重点任务量化指标完成情况{}", origins(of_kind(IndicatorKind::Task), "附件1"))),
        appendix_projects: ProjectTable {
            title: format!("附表3　重点项目进展情况{}", label(plan.official.projects, "附件2")),
            rows: project_rows,
        },
        attachments: Vec::new(),
        data_note: format!(
            "注：各项数据均取自各责任单位报送的{}度填报表（每年的数据取自该年度的填报表）；每个数据的来源（填报单位、文件、工作表、单元格）见同期汇总表“数据明细”工作表。{}{}",
            years_text(a),
            if projects_to_check {
                "附表3中状态注“待核实”的项目，报送的数据与相关数据不一致，见正文“存在的问题”。"
            } else {
                ""
            },
            if plan.official.indicators && plan.official.projects {
                ""
            } else {
                "方案附件未随正文公开的，指标表和项目表据方案正文整理。"
            }
        ),
        final_eval: fe.map(|e| {
            let mut r = super::final_report::report(a, e);
            r.lists = nested_quotes(r.lists);
            r
        }),
    };
    d.attachments = [&d.appendix_goals.title, &d.appendix_targets.title, &d.appendix_projects.title]
        .iter()
        .enumerate()
        .map(|(k, t)| format!("{}. {}", k + 1, t.split_once('　').map_or(t.as_str(), |(_, name)| name)))
        .collect();
    d
}

/// The years the returns columns count: 2023—2025年, or 2023年.
fn years_text(a: &Assessment) -> String {
    let last = a.year.min(a.period.end);
    if last > a.period.start {
        format!("{}—{}年", a.period.start, last)
    } else {
        format!("{}年", a.period.start)
    }
}

/// When returns read say their figures are sample data (示例数据): that the document's
/// figures and words are not real, first thing.
pub fn sample_notice(a: &Assessment) -> Option<String> {
    let n = a.inputs.sample;
    (n > 0).then(|| {
        if n == a.inputs.read {
            format!("（说明：本文所依据的{n}份填报表均标明为“示例数据”，是合成的演示数据，不是真实统计，文中的数字和文字不反映实际情况。）")
        } else {
            format!(
                "（说明：本文所依据的{}份填报表中有{n}份标明为“示例数据”，是合成的演示数据，不是真实统计，相关的数字和文字不反映实际情况。）",
                a.inputs.read
            )
        }
    })
}

/// The same for a unit's feedback sheet, when its own return says so.
fn own_sample_notice(a: &Assessment, unit: &str) -> Option<String> {
    let files = &a.returns_of(unit, a.year)?.files;
    files.iter().any(|f| a.is_sample(f)).then(|| {
        "（说明：你单位的填报表标明为“示例数据”，是合成的演示数据，不是真实统计，本反馈单中的数字和文字不反映实际情况。）".to_string()
    })
}

fn intro(plan: &Plan, a: &Assessment) -> Vec<String> {
    let (year, start, end) = (a.year, a.period.start, a.period.end);
    let stage = if year >= end {
        format!("{end}年是方案实施期末年，本报告同时作为方案实施情况终期评估的依据。")
    } else {
        format!("{year}年是方案实施的第{}年。", numeral((year - start).max(0) as usize))
    };
    // Each year's figures come from that year's returns: all of them from the first year on.
    let returns = if year > start { format!("{start}—{year}") } else { year.to_string() };
    vec![format!(
        "按照《{}》“实施监测评估”的要求，现将{}年度实施进展情况报告如下。{}本报告依据各责任单位报送的{}年度填报表汇总形成，数据截至{}年末。",
        plan.title, year, stage, returns, year
    )]
}

/// A date written YYYY-MM-DD, in Chinese.
fn date_words(iso: &str) -> String {
    crate::clock::parse_date(iso).map(crate::clock::chinese_date).unwrap_or_else(|| iso.to_string())
}

fn overview(a: &Assessment) -> Vec<String> {
    let year = a.year;
    let status_phrase = Status::ALL
        .iter()
        .filter(|s| a.goals.get(**s) > 0)
        .map(|s| format!("{}{}项", s.label(), a.goals.get(*s)))
        .collect::<Vec<_>>()
        .join("，");
    let goals = if a.goals.total() == 0 {
        "方案未确定主要发展指标。".to_string()
    } else {
        format!("方案确定的{}项主要发展指标中，{}年{}。", a.goals.total(), year, status_phrase)
    };
    let units = a.units.len();
    let received = units - a.missing_units.len();
    let sent = if received == units {
        format!("应报送填报表的{units}个责任单位均已报送{year}年度填报表")
    } else if received == 0 {
        format!("应报送填报表的{units}个责任单位均未报送{year}年度填报表")
    } else {
        format!(
            "应报送填报表的{units}个责任单位中，{received}个已报送{year}年度填报表，报送率{}%，{}未报送",
            fmt_num(received as f64 * 100.0 / units as f64, 1),
            a.missing_units.join("、")
        )
    };
    let late = if a.late.is_empty() {
        String::new()
    } else {
        let named: Vec<String> = a.late.iter().map(|l| format!("{}（{}报送）", l.unit, date_words(&l.filled_date))).collect();
        format!("；逾期报送{}份：{}", a.late.len(), named.join("、"))
    };
    let (all, fed) = (a.finding_counts, a.fed_back);
    let rest = (all.error - fed.error, all.warning - fed.warning);
    let (total, fed) = ((all.error, all.warning), (fed.error, fed.warning));
    let mut checked = if total == (0, 0) {
        "数据校验未发现错误和警告。".to_string()
    } else if fed == (0, 0) {
        format!("数据校验发现{}，涉及未能确定报送单位的文件或本次汇总本身，列于汇总表“{FINDINGS}”。", counted(rest))
    } else if rest == (0, 0) {
        format!("数据校验发现{}，已逐条反馈各单位。", counted(total))
    } else {
        format!(
            "数据校验发现{}，其中{}已逐条反馈各单位，{}涉及未能确定报送单位的文件或本次汇总本身，列于汇总表“{FINDINGS}”。",
            counted(total),
            counted(fed),
            counted(rest)
        )
    };
    if !a.dated_after.is_empty() {
        checked.push_str(&format!("{}份填报表所填的填报日期晚于本报告的成文日期，已请报送单位核对。", a.dated_after.len()));
    }
    vec![goals, format!("{sent}{late}。{checked}")]
}

/// Errors and warnings counted, as the report says them ("错误1处、警告6处").
fn counted((errors, warnings): (usize, usize)) -> String {
    match (errors, warnings) {
        (e, 0) => format!("错误{e}处"),
        (0, w) => format!("警告{w}处"),
        (e, w) => format!("错误{e}处、警告{w}处"),
    }
}

/// 表2's note: the returns counted neither on time nor late, and why (no 填报日期, or
/// one after the 成文日期, which cannot be when it came in); empty when there are none.
fn unit_note(a: &Assessment) -> String {
    let named = |count: fn(&crate::assess::units::UnitSummary) -> usize| -> Vec<String> {
        a.units.iter().filter(|u| count(u) > 0).map(|u| format!("{}{}份", u.unit, count(u))).collect()
    };
    // A return left undetermined for its date is dated after the deadline too (one within
    // it, like the 成文日期 it follows, would be on time whichever is true).
    let parts: Vec<String> = [
        ("未写填报日期".to_string(), named(|u| u.undated), ""),
        (
            format!("所填填报日期晚于本报告的成文日期（{}）", a.documents.date_text),
            named(|u| u.misdated),
            "（所填日期也晚于报送时限，如无误即为逾期）",
        ),
    ]
    .into_iter()
    .filter(|(_, units, _)| !units.is_empty())
    .map(|(what, units, then)| format!("{what}的：{}{then}", units.join("、")))
    .collect();
    if parts.is_empty() {
        return String::new();
    }
    format!("注：“按时报送”不含无法判定是否按时的填报表，其中{}，已请报送单位核对。", parts.join("；"))
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
            rate: u.reporting_rate().map_or_else(|| "—".to_string(), |r| format!("{}%", fmt_num(r, 0))),
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

fn indicator_row(a: &Assessment, ind: &Indicator) -> IndicatorRow {
    let p = a.latest(&ind.id);
    IndicatorRow {
        seq: ind.seq.map(|s| s.to_string()).unwrap_or_else(|| ind.id.clone()),
        id: ind.id.clone(),
        // 指标属性 (预期性/约束性) of an imported 附件1 goes with the name.
        name: if ind.attribute.is_empty() { ind.name.clone() } else { format!("{}（{}）", ind.name, ind.attribute) },
        unit: ind.unit.clone(),
        target_text: target_text(ind),
        last: value_text(a, ind, a.of(&ind.id, a.year - 1).and_then(|p| p.value)),
        this: value_text(a, ind, p.and_then(|p| p.value)),
        expected: derived_text(a, ind, p.and_then(|p| p.expected)),
        status: match a.final_eval.as_ref().and_then(|e| e.of(&ind.id)) {
            Some(f) => f.outcome.label().to_string(),
            None => a.status(&ind.id).label().to_string(),
        },
        responsible: ind.responsible_joined(),
    }
}

/// How a row's 序时进度 and status were reached, when the table alone does not say:
/// "T03：序时进度为方案规定的2024年节点80%；2022年基期值已达到本年进度要求，按水平判定".
fn row_note(a: &Assessment, ind: &Indicator) -> Option<String> {
    let p = a.latest(&ind.id)?;
    let mut parts = Vec::new();
    if let (Some(m), Some(e)) = (ind.milestone(a.year), p.expected) {
        if (m - e).abs() <= 1e-9 * m.abs().max(1.0) && a.year < a.period.end {
            parts.push(format!("序时进度为方案规定的{}年节点{}", a.year, with_unit(a, m, ind)));
        }
    }
    if !p.note.is_empty() {
        parts.push(p.note.clone());
    }
    (!parts.is_empty()).then(|| format!("{}：{}", ind.id, parts.join("；")))
}

/// One set of an area's indicators in a sentence: how many there are, how many are
/// met or on track, and the lagging ones named — the same set counted and listed.
fn set_sentence(a: &Assessment, what: &str, counts: &crate::assess::StatusCounts, lagging: &[String]) -> Option<String> {
    let total = counts.total();
    if total == 0 {
        return None;
    }
    let good = counts.good();
    let mut s = match good {
        g if g == total && total == 1 => format!("本领域{total}项{what}已达标或符合序时进度"),
        g if g == total => format!("本领域{total}项{what}均已达标或符合序时进度"),
        0 if total == 1 => format!("本领域{total}项{what}尚未达标"),
        0 => format!("本领域{total}项{what}均未达标或符合序时进度"),
        g => format!("本领域{total}项{what}中{g}项已达标或符合序时进度"),
    };
    let no_data = counts.get(Status::NoData);
    if no_data > 0 && no_data < total {
        s.push_str(&format!("，{no_data}项无数据"));
    }
    let described: Vec<String> = judged(a, lagging).into_iter().map(|(i, p)| describe(a, i, p)).collect();
    if described.is_empty() {
        s.push('。');
    } else {
        s.push_str(&format!("；{}，需加快推进。", described.join("；")));
    }
    Some(s)
}

fn area_sections(a: &Assessment) -> Vec<AreaSection> {
    a.areas
        .iter()
        .enumerate()
        .map(|(k, area)| {
            let sentences = match &a.final_eval {
                Some(e) => [
                    super::final_report::area_sentence(a, e, &area.area, IndicatorKind::Goal, "主要指标"),
                    super::final_report::area_sentence(a, e, &area.area, IndicatorKind::Task, "重点任务量化指标"),
                ],
                None => [
                    set_sentence(a, "主要指标", &area.goals, &area.goals_lagging),
                    set_sentence(a, "重点任务量化指标", &area.targets, &area.targets_lagging),
                ],
            };
            let inds: Vec<&Indicator> = a.plan.indicators.iter().filter(|i| i.area == area.area).collect();
            AreaSection {
                number: numeral(k),
                name: area.area.clone(),
                sentences: nested_quotes(sentences.into_iter().flatten().collect()),
                rows: inds.iter().map(|i| indicator_row(a, i)).collect(),
                final_rows: a.final_eval.as_ref().map(|e| super::final_report::rows(a, e, &inds)).unwrap_or_default(),
                notes: if a.final_eval.is_some() { Vec::new() } else { inds.iter().filter_map(|i| row_note(a, i)).collect() },
            }
        })
        .collect()
}

fn investment_row(area: &str, projects: usize, reported: usize, planned: f64, completed: f64, rate: Option<f64>) -> InvestmentRow {
    InvestmentRow {
        area: area.to_string(),
        projects,
        reported,
        planned: if reported == 0 { "—".into() } else { amount(planned) },
        completed: if reported == 0 { "—".into() } else { amount(completed) },
        rate: percent(rate),
    }
}

fn project_sentences(a: &Assessment) -> Vec<String> {
    let (year, n, total) = (a.year, &a.project_counts, &a.investment_total);
    if n.total == 0 {
        return Vec::new();
    }
    let reported = match n.reported {
        0 => format!("方案重点任务中点名的{}个建设项目均未报送{year}年度进展。", n.total),
        r if r == n.total => format!("方案重点任务中点名的{}个建设项目均报送了{year}年度进展", n.total),
        r => format!("方案重点任务中点名的{}个建设项目，{r}个报送了{year}年度进展", n.total),
    };
    if n.reported == 0 {
        return vec![reported];
    }
    let finished = match n.finished {
        0 => "，尚无已完工的项目".to_string(),
        f if f == n.total => "，均已完工".to_string(),
        f => format!("，其中{f}个已完工"),
    };
    vec![format!(
        "{reported}{finished}。已报送项目计划总投资{}万元，累计完成投资{}万元，投资完成率{}。",
        amount(total.planned),
        amount(total.completed),
        percent(total.rate())
    )]
}

fn task_state(a: &Assessment, t: &TaskProgress) -> String {
    let state = t.state.map_or("未报送", TaskState::label);
    if t.overdue(a.year) {
        format!("{state}（已到期）")
    } else {
        state.to_string()
    }
}

fn task_sentences(a: &Assessment) -> Vec<String> {
    let n = &a.task_counts;
    if n.total == 0 {
        return Vec::new();
    }
    let mut s = match n.done {
        0 => format!("方案提出的{}项有完成时限的重点任务尚无已完成的", n.total),
        d if d == n.total => format!("方案提出的{}项有完成时限的重点任务均已完成", n.total),
        d => format!("方案提出的{}项有完成时限的重点任务中，已完成{d}项", n.total),
    };
    if n.overdue > 0 {
        let names: Vec<String> =
            a.overdue_tasks.iter().filter_map(|id| a.plan.tasks.iter().find(|t| &t.id == id)).map(|t| format!("“{}”", t.name)).collect();
        s.push_str(&format!("，{}项已到完成时限仍未完成：{}", n.overdue, names.join("、")));
    }
    s.push('。');
    let changed: Vec<String> = a
        .key_tasks
        .iter()
        .filter(|t| t.reported.is_some())
        .filter_map(|t| a.plan.tasks.iter().find(|k| k.id == t.task_id).map(|k| format!("“{}”{}", k.name, t.reason)))
        .collect();
    if !changed.is_empty() {
        s.push_str(&format!("其中{}。", changed.join("；")));
    }
    vec![s]
}

fn key_task_rows(a: &Assessment) -> Vec<KeyTaskRow> {
    a.plan
        .tasks
        .iter()
        .filter_map(|t| {
            let p = a.task(&t.id)?;
            let unit_note = p.report.as_ref().map(|r| r.note.trim().to_string()).unwrap_or_default();
            let note = match (p.reason.is_empty(), unit_note.is_empty()) {
                (true, _) => unit_note,
                (false, true) => format!("{}。", p.reason),
                (false, false) => format!("{}。单位说明：{unit_note}", p.reason),
            };
            Some(KeyTaskRow {
                name: t.name.clone(),
                responsible: t.responsible.join("、"),
                due: format!("{}年", p.due),
                state: task_state(a, p),
                note,
            })
        })
        .collect()
}

/// A conflict of the reporting year in words: the indicator, every figure and whose.
fn conflict_text(a: &Assessment, c: &crate::assess::Conflict) -> String {
    let Some(ind) = a.plan.indicator(&c.indicator_id) else { return String::new() };
    let mut given: Vec<(String, Vec<String>)> = Vec::new();
    for f in &c.figures {
        let v = with_unit(a, f.value, ind);
        match given.iter_mut().find(|(x, _)| *x == v) {
            Some((_, units)) if units.contains(&f.department) => {}
            Some((_, units)) => units.push(f.department.clone()),
            None => given.push((v, vec![f.department.clone()])),
        }
    }
    let listed: Vec<String> = given.iter().map(|(v, units)| format!("{}报{v}", units.join("、"))).collect();
    format!("“{}”{}，采用{}的{}", ind.name, listed.join("、"), c.used.department, with_unit(a, c.used.value, ind))
}

/// 五、存在的问题 of a year of the plan: what lags, then the returns' own problems.
fn problems(a: &Assessment) -> Vec<String> {
    let mut problems = Vec::new();
    let lag: Vec<String> =
        judged(a, &a.lagging).into_iter().map(|(i, p)| format!("{}（{}）", describe(a, i, p), p.status.label())).collect();
    if !lag.is_empty() {
        problems.push(format!("部分指标进度滞后。{}。", lag.join("；")));
    }
    let overdue: Vec<String> =
        a.overdue_tasks.iter().filter_map(|id| a.plan.tasks.iter().find(|t| &t.id == id)).map(|t| format!("“{}”", t.name)).collect();
    if !overdue.is_empty() {
        problems.push(format!("部分重点任务未按期完成：{}。", overdue.join("、")));
    }
    problems.extend(return_problems(a));
    if problems.is_empty() {
        problems.push("未发现突出问题。".to_string());
    }
    problems
}

/// The problems of the returns themselves (the units' own words, missing and late
/// returns, no data, conflicts, contradictions): in every report, annual or final.
/// Separates the paragraphs of one numbered item of 存在的问题 or 下一步 (each unit's
/// words in a paragraph of its own): both renderers split on it.
pub const PARAGRAPH: &str = "\u{2029}";

fn return_problems(a: &Assessment) -> Vec<String> {
    let year = a.year;
    let mut problems = Vec::new();
    let reported = by_unit(a, |e| &e.problems);
    if !reported.is_empty() {
        // One paragraph per unit (PARAGRAPH separates them within the item).
        problems.push(format!("各单位反映的主要问题如下。{PARAGRAPH}{}", reported.join(PARAGRAPH)));
    }
    if !a.missing_units.is_empty() {
        problems.push(format!("{}未报送{}年度填报表。", a.missing_units.join("、"), year));
    }
    if !a.late.is_empty() {
        let named: Vec<String> = a
            .late
            .iter()
            .map(|l| format!("{}（{}报送，报送时限为{}）", l.unit, date_words(&l.filled_date), date_words(&l.deadline)))
            .collect();
        problems.push(format!("{}逾期报送{}年度填报表。", named.join("、"), year));
    }
    let nodata: Vec<String> = indicators(a, &a.no_data).map(|i| format!("“{}”", i.name)).collect();
    if !nodata.is_empty() {
        problems.push(format!("{}项指标{}年无数据：{}。", nodata.len(), year, nodata.join("、")));
    }
    if !a.conflicts_this_year.is_empty() {
        let named: Vec<String> = a.conflicts_this_year.iter().map(|c| conflict_text(a, c)).collect();
        problems.push(format!(
            "{}项指标{}年的数据在不同单位之间不一致：{}。评估采用牵头责任单位的数据，请相关单位核对统一。",
            a.conflicts_this_year.len(),
            year,
            named.join("；")
        ));
    }
    if !a.mismatches.is_empty() {
        problems.push(format!("部分单位报送的任务、指标和项目进展互相矛盾：{}。请相关单位核实后统一填报。", a.mismatches.join("；")));
    }
    problems
}

/// What each unit wrote in one column (problems, next steps) over its areas, each text
/// once and as a sentence of its own: "市卫生健康局：……。……。".
fn by_unit(a: &Assessment, column: impl Fn(&crate::read::WorkReport) -> &String) -> Vec<String> {
    // Each unit's texts with the area each is about, in the plan's order.
    let mut units: Vec<(String, Vec<(&str, String)>)> = Vec::new();
    for w in &a.works {
        for e in &w.entries {
            let mut text = column(e).trim().trim_end_matches(['；', ';', '，', ',']).to_string();
            if text.is_empty() {
                continue;
            }
            // A text that ends without a full stop (or a closing note after one) gets one.
            if !text.ends_with(['。', '！', '？', '）', ')', '”', '.', '!', '?']) {
                text.push('。');
            }
            match units.iter_mut().find(|(u, _)| *u == e.department) {
                Some((_, texts)) if texts.iter().any(|(_, t)| *t == text) => {}
                Some((_, texts)) => texts.push((&w.area, text)),
                None => units.push((e.department.clone(), vec![(&w.area, text)])),
            }
        }
    }
    // Several texts of one unit: each says which area it is about, so that two quotes
    // never run together as one.
    units
        .into_iter()
        .map(|(u, texts)| match texts.as_slice() {
            [(_, one)] => format!("{u}：{one}"),
            _ => format!("{u}：{}", texts.iter().map(|(area, t)| format!("{area}方面，{t}")).collect::<String>()),
        })
        .collect()
}

fn suggestions(a: &Assessment) -> Vec<String> {
    let ended = a.year >= a.period.end;
    let mut suggestions: Vec<String> = judged(a, &a.lagging)
        .into_iter()
        .map(|(i, p)| match p.required_annual_change {
            Some(c) if !ended => format!("{}加快推进“{}”，{}。", i.lead_unit(), i.name, still_needed(a, i, c)),
            _ if ended => format!("{}对“{}”未达到目标的原因作出说明，纳入下一轮规划统筹解决。", i.lead_unit(), i.name),
            _ => format!("{}加快推进“{}”。", i.lead_unit(), i.name),
        })
        .collect();
    let next = by_unit(a, |e| &e.next);
    if !next.is_empty() {
        suggestions.push(format!("各单位下一步打算如下。{PARAGRAPH}{}", next.join(PARAGRAPH)));
    }
    if !a.missing_units.is_empty() || !a.no_data.is_empty() {
        suggestions.push("未报送或缺报的单位尽快补报，确保评估数据完整。".to_string());
    }
    if ended {
        suggestions.push("以本次终期评估结果为基础，做好下一轮公共服务发展规划的指标衔接。".to_string());
    }
    suggestions
}

fn appendix(a: &Assessment, kind: IndicatorKind, title: &str) -> AppendixTable {
    let groups = a
        .plan
        .areas()
        .into_iter()
        .filter_map(|area| {
            let rows: Vec<IndicatorRow> = a.indicators_of_kind(kind).filter(|i| i.area == area).map(|i| indicator_row(a, i)).collect();
            (!rows.is_empty()).then_some(AppendixGroup { area, rows })
        })
        .collect();
    AppendixTable { title: title.to_string(), groups }
}

fn project_rows(a: &Assessment) -> Vec<ProjectRow> {
    a.plan
        .projects
        .iter()
        .map(|p| {
            let progress = a.project(&p.id);
            let rep = progress.and_then(|x| x.this_year.as_ref());
            let last = progress.and_then(|x| x.last_year.as_ref());
            let dash = || "—".to_string();
            ProjectRow {
                id: p.id.clone(),
                area: p.area.clone(),
                name: p.name.clone(),
                responsible: p.responsible.join("、"),
                planned: rep.and_then(|r| r.planned_investment).map(amount).unwrap_or_else(dash),
                completed: rep.and_then(|r| r.completed_investment).map(amount).unwrap_or_else(dash),
                rate: percent(progress.and_then(|x| x.completion_rate())),
                progress_last: last.and_then(|r| r.progress).map(|v| format!("{}%", amount(v))).unwrap_or_else(dash),
                progress: rep.and_then(|r| r.progress).map(|v| format!("{}%", amount(v))).unwrap_or_else(dash),
                status: {
                    let state = progress.map(|x| x.state_text()).unwrap_or_else(|| "未报送".into());
                    // A project whose figures disagree with another's: 附表3 says so briefly,
                    // the note under the table says where (存在的问题).
                    if progress.is_some_and(|x| !x.check.is_empty()) {
                        format!("{state}（待核实）")
                    } else {
                        state
                    }
                },
                note: progress.map(|x| x.check.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

/// Everything a unit's feedback sheet reads.
pub fn feedback_data(a: &Assessment, fb: &UnitFeedback) -> FeedbackData {
    let plan = &a.plan;
    let year = a.year;
    let unit = fb.unit.as_str();
    let rows = fb
        .rows
        .iter()
        .filter_map(|r| {
            let i = plan.indicator(&r.indicator_id)?;
            let used = match r.value {
                _ if !r.shows_used(unit) => {
                    if r.value.is_some() {
                        "同左".to_string()
                    } else {
                        "—".to_string()
                    }
                }
                Some(v) => format!("{}（{}）", a.shown(&i.id, v), r.used_by),
                None => "—".to_string(),
            };
            Some(FeedbackRowData {
                id: i.id.clone(),
                name: i.name.clone(),
                unit: i.unit.clone(),
                target_text: target_text(i),
                // A unit that shares an indicator leaves its figure to the lead unit: no
                // figure of its own is not a gap (—).
                own: r.own_value.map(|v| a.shown(&i.id, v)).unwrap_or_else(|| if r.lead { "未填报" } else { "—" }.to_string()),
                used,
                expected: match a.final_eval.as_ref().and_then(|e| e.of(&i.id)) {
                    Some(f) => super::final_report::rate_text(f),
                    None => derived_text(a, i, r.expected),
                },
                status: match a.final_eval.as_ref().and_then(|e| e.of(&i.id)) {
                    Some(f) => f.outcome.label().to_string(),
                    None => r.status.label().to_string(),
                },
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
    let mut missing: Vec<String> = fb.missing.iter().map(|f| f.message.clone()).collect();
    if !fb.missing_works.is_empty() {
        missing.push(format!(
            "{}年度填报表中没有“{}”领域的工作进展（主要工作及成效、存在问题、下一步打算）。请在“工作进展”表中补报。",
            year,
            fb.missing_works.join("”“")
        ));
    }
    if !fb.missing_reasons.is_empty() {
        let names: Vec<String> = fb.missing_reasons.iter().filter_map(|id| plan.indicator(id)).map(|i| format!("“{}”", i.name)).collect();
        missing.push(format!(
            "你单位牵头的{}项指标未完成{}年目标，填报表中没有说明原因：{}。请在“指标填报”表“{}”列逐项写明未完成的原因和下一步措施，终期评估报告将予引用。",
            names.len(),
            a.period.end,
            names.join("、"),
            crate::forms::REASON_HEADER
        ));
    }
    let received = if fb.received {
        format!("你单位报送的{}年度《{}》填报表已收悉。", year, plan.title)
    } else {
        format!("截至汇总时，未收到你单位{}年度《{}》填报表。", year, plan.title)
    };
    FeedbackData {
        title: format!("{}年度填报数据反馈单", year),
        unit: unit.to_string(),
        office: a.documents.office.clone(),
        date: a.documents.date_text.clone(),
        year,
        target_heading: format!("{}年目标", a.period.end),
        expected_heading: if a.final_eval.is_some() { "完成率".to_string() } else { "序时进度".to_string() },
        notice: own_sample_notice(a, &fb.unit).unwrap_or_default(),
        intro: vec![format!("{received}经汇总校验，现将你单位负责指标的完成情况和填报数据存在的问题反馈如下。")],
        rows,
        findings: fb.findings.iter().map(finding).collect(),
        late: fb
            .late
            .as_ref()
            .map(|d| {
                format!(
                    "你单位{}年度填报表的填报日期为{}，晚于报送时限{}。{}",
                    year,
                    date_words(d),
                    date_words(&format!("{}-{}", year + 1, plan.rules.validate.deadline)),
                    // After the plan's last year there is no next return to ask for.
                    if year >= a.period.end { "" } else { "请按时报送下一年度的填报表。" }
                )
            })
            .unwrap_or_default(),
        no_problems: if missing.is_empty() {
            "你单位填报表未发现数据问题。".to_string()
        } else {
            "你单位填报表未发现数据问题；缺报的内容见第三部分（汇总中计为警告），请补报。".to_string()
        },
        missing,
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
        resend: resend_text(a, fb),
        annotated: a
            .annotated
            .iter()
            .find(|c| c.unit == fb.unit)
            .map(|c| {
                // What the copy marks: problem cells when there are findings, else only
                // what is to be sent (and the 填报日期).
                let what = if fb.findings.is_empty() {
                    "第一张工作表“问题清单”列出需要补报的内容"
                } else {
                    "有问题的单元格已标色并加批注，第一张工作表“问题清单”列出全部问题（可点击跳到单元格）"
                };
                format!(
                    "你单位填报表“{}”的批注副本“{}”与本反馈单一同发送：{what}。",
                    c.file.rsplit('/').next().unwrap_or(&c.file),
                    c.rel.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default()
                )
            })
            .unwrap_or_default(),
    }
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

/// What the unit is to do now: nothing, or send its return (again), and how so that
/// the new one replaces the first — as the assessment decided (`UnitFeedback::resend`).
fn resend_text(a: &Assessment, fb: &UnitFeedback) -> String {
    if !fb.resend {
        return "本次未发现需要修改的问题，无需重新报送。".to_string();
    }
    if !fb.received {
        return format!("请尽快报送{}年度填报表（可使用统一下发的填报表），并写明填报日期。", a.year);
    }
    let file = a.returns_of(&fb.unit, a.year).and_then(|r| r.files.first()).map(|f| f.rsplit('/').next().unwrap_or(f).to_string());
    // The same instruction as the annotated copy's own 问题清单 (annotate): edit the copy
    // (or the original) and save it under the name the example gives, the copy's type.
    let copy = a.annotated.iter().find(|c| c.unit == fb.unit);
    let ext = copy.and_then(|c| c.rel.extension()).map(|e| e.to_string_lossy().to_string());
    let name = file.as_deref().map(|f| crate::text::corrected_name(f, ext.as_deref()));
    let on = if copy.is_some() { "在批注副本或原填报表上" } else { "在原填报表上" };
    let save = match name {
        Some(n) => format!("另存为“{n}”"),
        None => "文件名末尾加“（修改版）”".to_string(),
    };
    let how = format!(
        "{on}修改，把“填报日期”改为修改当天，{save}后报送；也可重新填写统一下发的填报表。新旧几份都在时，汇总以填报日期最晚的一份为准（填报日期晚于重新汇总时成文日期的，不据以比较先后），原来的一份不再采用。"
    );
    if fb.must_correct {
        let owes = !fb.missing.is_empty() || !fb.missing_works.is_empty() || !fb.missing_reasons.is_empty();
        let errors = fb.findings.iter().any(|f| f.severity == crate::finding::Severity::Error);
        let what = match (errors, owes) {
            (true, true) => "核实修改、补报缺项",
            (false, true) => "补报缺项",
            _ => "核实修改",
        };
        format!("请于收到本反馈单后{what}，重新报送填报表：{how}")
    } else {
        format!("以上问题请核实。核实后需要修改的，请重新报送填报表：{how}核实无误的，请告知{}，无需重新报送。", a.documents.office)
    }
}

/// The data of a figure typeset on its own for the Word version (templates/figure.typ):
/// 图1 (`kind` "areas": labels, rows) or, at the plan's end, 图2 ("trends").
#[derive(Debug, Clone, Serialize)]
pub struct FigureData {
    pub kind: &'static str,
    pub labels: Vec<String>,
    pub rows: Vec<AreaCountRow>,
    pub trends: Vec<super::final_report::Trend>,
    pub title: String,
}

/// The report's figures, in the order they appear: 图1, then 图2 when there is one.
pub fn figure_data(d: &ReportData) -> Vec<FigureData> {
    let mut out = vec![FigureData {
        kind: "areas",
        labels: d.status_labels.clone(),
        rows: d.area_counts.clone(),
        trends: Vec::new(),
        title: d.figure_title.clone(),
    }];
    if let Some(f) = d.final_eval.as_ref().filter(|f| !f.trends.is_empty()) {
        out.push(FigureData {
            kind: "trends",
            labels: Vec::new(),
            rows: Vec::new(),
            trends: f.trends.clone(),
            title: f.trend_title.clone(),
        });
    }
    out
}
