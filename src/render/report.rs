//! The documents' content as typed data: [`ReportData`] for the progress report and
//! [`FeedbackData`] for a unit's feedback sheet. Built from the assessment only — every
//! number, count and status is the aggregate stage's; here they are put into words and
//! formatted. The templates (templates/report.typ, feedback.typ) read these fields, by
//! these names, from /data.json and /feedback.json; this file is their documentation.

use serde::Serialize;

use crate::aggregate::{Assessment, IndicatorYear, Status};
use crate::batch::Batch;
use crate::finding::Finding;
use crate::plan::{Comparison, Indicator, Plan};
use crate::text::fmt_num;

/// The progress report (templates/report.typ, `d`).
#[derive(Debug, Clone, Serialize)]
pub struct ReportData {
    pub title: String,
    /// The issuing office, and the date of the report in Chinese.
    pub office: String,
    pub date: String,
    /// The reporting year, and the plan's years assessed (start to the reporting year).
    pub year: i32,
    pub years: Vec<i32>,
    /// Column heading of the targets: "2025年目标" (the plan's last year).
    pub target_heading: String,
    /// Paragraphs of the opening and of 一、总体情况.
    pub intro: Vec<String>,
    pub overview: Vec<String>,
    /// The status classes, as column headings of `area_counts`.
    pub status_labels: Vec<String>,
    pub area_counts: Vec<AreaCountRow>,
    pub unit_rows: Vec<UnitRow>,
    pub areas: Vec<AreaSection>,
    pub projects: Vec<ProjectRow>,
    pub project_sentences: Vec<String>,
    pub problems: Vec<String>,
    pub suggestions: Vec<String>,
    /// 附表: the 附件1 indicators in the reporting year.
    pub appendix: Vec<AppendixRow>,
    /// 附录: where each figure used came from.
    pub sources: Vec<SourceRow>,
    pub file_count: usize,
    pub fingerprint: String,
    pub tool_version: String,
    pub plan_version: String,
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

/// 二、分领域进展: one area.
#[derive(Debug, Clone, Serialize)]
pub struct AreaSection {
    /// 一, 二, …
    pub number: String,
    pub name: String,
    pub sentences: Vec<String>,
    pub rows: Vec<IndicatorRow>,
}

/// One indicator of an area.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorRow {
    pub id: String,
    pub name: String,
    /// The name cut to fit the chart's label column.
    pub short: String,
    pub unit: String,
    pub target_text: String,
    /// The figure used in each of `years`, formatted ("—" for none).
    pub values: Vec<String>,
    pub expected: String,
    pub status: String,
    /// Share of the target reached, 0..1, for the bar chart, and as text.
    pub share: f64,
    pub share_text: String,
}

/// One project of 附件2 in the reporting year.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectRow {
    pub id: String,
    pub name: String,
    pub responsible: String,
    pub progress: String,
    pub status: String,
}

/// One row of the 附表.
#[derive(Debug, Clone, Serialize)]
pub struct AppendixRow {
    pub seq: String,
    pub area: String,
    pub name: String,
    pub unit: String,
    pub target_text: String,
    pub value: String,
    pub status: String,
    pub responsible: String,
}

/// Where a figure used came from.
#[derive(Debug, Clone, Serialize)]
pub struct SourceRow {
    pub id: String,
    pub year: i32,
    pub value: String,
    pub department: String,
    pub file: String,
    pub sheet: String,
    pub cell: String,
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

pub fn target_text(ind: &Indicator) -> String {
    let t = fmt_num(ind.target, 2);
    match ind.comparison {
        Comparison::AtLeast => format!("≥{t}"),
        Comparison::AtMost => format!("≤{t}"),
        Comparison::Hold => format!("保持≥{t}"),
        Comparison::Cumulative => format!("累计{t}"),
        Comparison::AnnualRate => format!("每年≥{t}"),
    }
}

/// How far along an indicator is, 0..1, for the bar chart.
fn share(ind: &Indicator, value: Option<f64>) -> f64 {
    let Some(v) = value else { return 0.0 };
    let s = if ind.comparison.lower_is_better() {
        if v <= 0.0 {
            1.0
        } else {
            ind.target / v
        }
    } else if ind.target == 0.0 {
        1.0
    } else {
        v / ind.target
    };
    s.clamp(0.0, 1.0)
}

fn short_name(name: &str) -> String {
    let n: Vec<char> = name.chars().collect();
    if n.len() <= 12 {
        name.to_string()
    } else {
        format!("{}…", n[..11].iter().collect::<String>())
    }
}

const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// Everything the report template reads.
pub fn report_data(batch: &Batch) -> ReportData {
    let plan = &batch.plan;
    let a = &batch.assessment;
    let (year, end) = (a.year, a.period.end);
    let missing_units: Vec<&str> =
        a.units.iter().filter(|u| !a.returns_of(&u.unit, year).is_some_and(|r| r.received())).map(|u| u.unit.as_str()).collect();
    ReportData {
        title: format!("{}实施进展报告（{}年度）", plan.short_title(), year),
        office: batch.office.clone(),
        date: batch.date_text(),
        year,
        years: a.years(),
        target_heading: format!("{end}年目标"),
        intro: intro(plan, a),
        overview: overview(a, &missing_units),
        status_labels: Status::ALL.iter().map(|s| s.label().to_string()).collect(),
        area_counts: a.areas.iter().map(|x| AreaCountRow { area: x.area.clone(), counts: x.counts.0.to_vec() }).collect(),
        unit_rows: unit_rows(a),
        areas: area_sections(plan, a),
        projects: project_rows(plan, a),
        project_sentences: vec![format!(
            "方案重点任务中点名的{}个项目（附件2），{}个有{}年度进展填报。",
            plan.projects.len(),
            a.projects.iter().filter(|p| p.this_year.is_some()).count(),
            year
        )],
        problems: problems(plan, a, &missing_units),
        suggestions: suggestions(plan, a, &missing_units),
        appendix: appendix_rows(plan, a),
        sources: source_rows(a),
        file_count: a.inputs[0],
        fingerprint: batch.fingerprint.clone(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        plan_version: plan.version.clone(),
    }
}

fn intro(plan: &Plan, a: &Assessment) -> Vec<String> {
    let year = a.year;
    vec![format!(
        "按照《{}》“实施监测评估”的要求，现将{}年度实施进展情况报告如下。{}本报告依据各责任单位报送的{}年度填报表汇总形成，数据截至{}年末。",
        plan.title,
        year,
        if year == a.period.end { "今年是规划期末年，本报告同时作为终期评估的数据依据。" } else { "" },
        year,
        year
    )]
}

fn overview(a: &Assessment, missing_units: &[&str]) -> Vec<String> {
    let year = a.year;
    let status_phrase = Status::ALL.iter().map(|s| format!("{}{}项", s.label(), a.goals.get(*s))).collect::<Vec<_>>().join("，");
    let units = a.units.len();
    let received = units - missing_units.len();
    let [errors, warnings, _] = a.findings;
    vec![
        format!("方案确定的{}项主要发展指标中，{}年{}。", a.goals.total(), year, status_phrase),
        format!(
            "应报送填报表的{}个责任单位中，{}个已报送{}年度填报表，报送率{}%。数据校验发现错误{}处、警告{}处，详见各单位反馈单和汇总表“数据问题清单”。",
            units,
            received,
            year,
            fmt_num(if units == 0 { 0.0 } else { received as f64 * 100.0 / units as f64 }, 1),
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

fn area_sections(plan: &Plan, a: &Assessment) -> Vec<AreaSection> {
    let years = a.years();
    a.areas
        .iter()
        .enumerate()
        .map(|(k, area)| {
            let list: Vec<&Indicator> = plan.indicators.iter().filter(|i| i.area == area.area).collect();
            let rows = list
                .iter()
                .map(|ind| {
                    let p = a.latest(&ind.id);
                    let value = p.and_then(|p| p.value);
                    IndicatorRow {
                        id: ind.id.clone(),
                        name: ind.name.clone(),
                        short: short_name(&ind.name),
                        unit: ind.unit.clone(),
                        target_text: target_text(ind),
                        values: years.iter().map(|y| value_text(a.of(&ind.id, *y).and_then(|p| p.value))).collect(),
                        expected: value_text(p.and_then(|p| p.expected)),
                        status: a.status(&ind.id).label().to_string(),
                        share: share(ind, value),
                        share_text: if value.is_some() {
                            format!("{}%", fmt_num(share(ind, value) * 100.0, 0))
                        } else {
                            "无数据".to_string()
                        },
                    }
                })
                .collect();
            let lagging: Vec<String> = list.iter().filter(|i| a.status(&i.id).is_lagging()).map(|i| format!("“{}”", i.name)).collect();
            let mut sentence = format!("本领域{}项主要指标中{}项已达标或符合序时进度。", area.counts.total(), area.counts.good());
            if !lagging.is_empty() {
                sentence.push_str(&format!("{}进度滞后，需加快推进。", lagging.join("、")));
            }
            AreaSection {
                number: NUMERALS.get(k).copied().unwrap_or("").to_string(),
                name: area.area.clone(),
                sentences: vec![sentence],
                rows,
            }
        })
        .collect()
}

fn project_rows(plan: &Plan, a: &Assessment) -> Vec<ProjectRow> {
    plan.projects
        .iter()
        .map(|p| {
            let rep = a.project(&p.id).and_then(|x| x.this_year.as_ref());
            ProjectRow {
                id: p.id.clone(),
                name: p.name.clone(),
                responsible: p.responsible.join("、"),
                progress: rep.and_then(|r| r.progress).map(|v| format!("{}%", fmt_num(v, 0))).unwrap_or_else(|| "—".into()),
                status: rep.map(|r| r.status.clone()).filter(|s| !s.is_empty()).unwrap_or_else(|| "未报送".into()),
            }
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
    let lag: Vec<String> = latest
        .iter()
        .filter(|(_, p)| p.status.is_lagging())
        .map(|(i, p)| format!("“{}”{}年为{}{}（目标{}），{}", i.name, year, value_text(p.value), i.unit, target_text(i), p.status.label()))
        .collect();
    if !lag.is_empty() {
        problems.push(format!("部分指标进度滞后。{}。", lag.join("；")));
    }
    if !missing_units.is_empty() {
        problems.push(format!("{}未报送{}年度填报表。", missing_units.join("、"), year));
    }
    let nodata: Vec<String> = latest.iter().filter(|(_, p)| p.status == Status::NoData).map(|(i, _)| format!("“{}”", i.name)).collect();
    if !nodata.is_empty() {
        problems.push(format!("{}项指标{}年无数据：{}。", nodata.len(), year, nodata.join("、")));
    }
    let conflicted = a.conflicts.iter().filter(|c| c.year <= year).count();
    if conflicted > 0 {
        problems.push(format!(
            "{}项指标年度数据存在不同单位或不同填报表之间不一致的情况，评估采用牵头责任单位的数据，请相关单位核对统一。",
            conflicted
        ));
    }
    let [errors, warnings, _] = a.findings;
    if errors + warnings > 0 {
        problems.push(format!(
            "填报数据存在错误{}处、警告{}处（单位不符、数值超出合理范围、前后不一致等），已逐条反馈各单位。",
            errors, warnings
        ));
    }
    if problems.is_empty() {
        problems.push("未发现突出问题。".to_string());
    }
    problems
}

fn suggestions(plan: &Plan, a: &Assessment, missing_units: &[&str]) -> Vec<String> {
    let final_year = a.year == a.period.end;
    let mut suggestions: Vec<String> = latest(plan, a)
        .iter()
        .filter(|(_, p)| p.status.is_lagging())
        .map(|(i, p)| match p.required_annual_change {
            Some(c) => format!(
                "{}加快推进“{}”，剩余年份需年均{}{}{}。",
                i.lead_unit(),
                i.name,
                if c >= 0.0 { "提高" } else { "降低" },
                fmt_num(c.abs(), 2),
                if i.unit == "%" { "个百分点" } else { i.unit.as_str() }
            ),
            None if final_year => format!("{}对“{}”未达标情况作出说明，纳入后续规划统筹解决。", i.lead_unit(), i.name),
            None => format!("{}加快推进“{}”。", i.lead_unit(), i.name),
        })
        .collect();
    if !missing_units.is_empty() || a.goals.get(Status::NoData) > 0 {
        suggestions.push("未报送或缺报的单位尽快补报，确保评估数据完整。".to_string());
    }
    if final_year {
        suggestions.push("以本次终期评估结果为基础，做好下一轮公共服务发展规划的指标衔接。".to_string());
    }
    suggestions
}

fn appendix_rows(plan: &Plan, a: &Assessment) -> Vec<AppendixRow> {
    plan.indicators
        .iter()
        .filter(|i| i.seq.is_some())
        .map(|i| AppendixRow {
            seq: i.seq.map(|s| s.to_string()).unwrap_or_default(),
            area: i.area.clone(),
            name: i.name.clone(),
            unit: i.unit.clone(),
            target_text: target_text(i),
            value: value_text(a.latest(&i.id).and_then(|p| p.value)),
            status: a.status(&i.id).label().to_string(),
            responsible: i.responsible_joined(),
        })
        .collect()
}

fn source_rows(a: &Assessment) -> Vec<SourceRow> {
    a.progress
        .iter()
        .filter_map(|p| {
            let s = p.source.as_ref()?;
            Some(SourceRow {
                id: p.indicator_id.clone(),
                year: p.year,
                value: value_text(Some(s.value)),
                department: s.department.clone(),
                file: s.file.clone(),
                sheet: s.sheet.clone(),
                cell: s.cell.clone(),
            })
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
            "你单位报送的{}年度《公共服务发展行动方案》指标填报表已收悉。经汇总校验，现将你单位负责指标的完成情况和填报数据存在的问题反馈如下。",
            year
        )],
        rows,
        findings: fb.findings.iter().map(finding).collect(),
        missing: fb.missing.iter().map(|f| f.message.clone()).collect(),
    }
}
