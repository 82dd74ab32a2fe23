//! The PDF progress report and the per-unit feedback sheets, typeset with typst used as a
//! library. The numbers reach the templates as JSON, never as markup.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use typst::foundations::{Datetime, Smart};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use super::world::ReportWorld;
use crate::aggregate::{Progress, Status};
use crate::batch::Batch;
use crate::finding::{Code, Finding};
use crate::plan::{Comparison, Indicator};
use crate::read::Fate;
use crate::text::fmt_num;

/// Failure to typeset: a broken template (with file and line) or a PDF export error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RenderError(pub String);

/// Characters of the data that no embedded face covers are replaced by 〓 and reported.
pub struct Coverage<'a> {
    world: &'a ReportWorld,
    pub missing: BTreeSet<char>,
}

impl<'a> Coverage<'a> {
    pub fn new(world: &'a ReportWorld) -> Coverage<'a> {
        Coverage { world, missing: BTreeSet::new() }
    }

    fn clean(&mut self, v: &mut Value) {
        match v {
            Value::String(s) if s.chars().any(|c| !self.world.covers(c) || c.is_control()) => {
                *s = s
                    .chars()
                    .map(|c| {
                        if c.is_control() {
                            ' '
                        } else if self.world.covers(c) {
                            c
                        } else {
                            self.missing.insert(c);
                            '〓'
                        }
                    })
                    .collect();
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.clean(x)),
            Value::Object(o) => o.values_mut().for_each(|x| self.clean(x)),
            _ => {}
        }
    }
}

/// Compile the world's main file with `data` served at `data_path` and export PDF/A-2b.
pub fn typeset(
    world: &mut ReportWorld,
    main: &str,
    data_path: &str,
    mut data: Value,
    created: Datetime,
    ident: &str,
) -> Result<(Vec<u8>, BTreeSet<char>), RenderError> {
    let missing = {
        let mut cov = Coverage::new(world);
        cov.clean(&mut data);
        cov.missing
    };
    world.set_file(data_path, serde_json::to_vec(&data).map_err(|e| RenderError(e.to_string()))?);
    world.set_main(main);
    let warned = typst::compile::<PagedDocument>(world);
    let doc = warned.output.map_err(|errs| RenderError(format!("报告模板有误：\n{}", world.describe(&errs))))?;
    let options = PdfOptions {
        ident: Smart::Custom(ident.to_string()),
        timestamp: Some(Timestamp::new_utc(created)),
        standards: PdfStandards::new(&[PdfStandard::A_2b]).map_err(|e| RenderError(format!("{e:?}")))?,
        ..PdfOptions::default()
    };
    let pdf = typst_pdf::pdf(&doc, &options).map_err(|errs| RenderError(format!("生成 PDF 失败：\n{}", world.describe(&errs))))?;
    Ok((pdf, missing))
}

fn value_text(v: Option<f64>) -> String {
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
pub fn report_data(batch: &Batch) -> Value {
    let plan = &batch.plan;
    let year = batch.year;
    let years: Vec<i32> = (plan.start..=year.min(plan.end)).collect();
    let latest: Vec<&Progress> = batch.progress.iter().filter(|p| p.year == year).collect();
    let progress_of = |id: &str, y: i32| batch.progress.iter().find(|p| p.indicator_id == id && p.year == y);
    let goals: Vec<&Indicator> = plan.indicators.iter().filter(|i| i.seq.is_some()).collect();
    let count = |s: Status, list: &[&Indicator]| list.iter().filter(|i| progress_of(&i.id, year).map(|p| p.status) == Some(s)).count();

    let n = goals.len();
    let met = count(Status::Met, &goals);
    let ahead = count(Status::Ahead, &goals);
    let on_track = count(Status::OnTrack, &goals);
    let behind = count(Status::Behind, &goals);
    let serious = count(Status::SeriouslyBehind, &goals);
    let no_data = count(Status::NoData, &goals);
    let units = plan.reporting_units();
    let received: BTreeSet<&str> =
        batch.files.iter().filter(|f| f.status == Fate::Read && f.year == Some(year)).map(|f| f.department.as_str()).collect();
    let received_n = units.iter().filter(|u| received.contains(u.name.as_str())).count();
    let errors = batch.findings.iter().filter(|f| f.severity == crate::finding::Severity::Error).count();
    let warnings = batch.findings.iter().filter(|f| f.severity == crate::finding::Severity::Warning).count();
    let final_year = year == plan.end;

    let intro = vec![format!(
        "按照《{}》“实施监测评估”的要求，现将{}年度实施进展情况报告如下。{}本报告依据各责任单位报送的{}年度填报表汇总形成，数据截至{}年末。",
        plan.title,
        year,
        if final_year { "今年是规划期末年，本报告同时作为终期评估的数据依据。" } else { "" },
        year,
        year
    )];
    let overview = vec![
        format!(
            "方案确定的{}项主要发展指标中，{}年已达标{}项，快于序时进度{}项，符合序时进度{}项，滞后于序时进度{}项，严重滞后{}项，无数据{}项。",
            n, year, met, ahead, on_track, behind, serious, no_data
        ),
        format!(
            "应报送填报表的{}个责任单位中，{}个已报送{}年度填报表，报送率{}%。数据校验发现错误{}处、警告{}处，详见各单位反馈单和汇总表“数据问题清单”。",
            units.len(),
            received_n,
            year,
            fmt_num(if units.is_empty() { 0.0 } else { received_n as f64 * 100.0 / units.len() as f64 }, 1),
            errors,
            warnings
        ),
    ];

    let areas_list = plan.areas();
    let status_counts: Vec<Value> = Status::ALL.iter().map(|s| json!({ "status": s.label() })).collect();
    let area_counts: Vec<Value> = batch.summaries.areas.iter().map(|a| json!({ "area": a.area, "counts": a.counts })).collect();
    let unit_rows: Vec<Value> = batch
        .summaries
        .units
        .iter()
        .map(|u| {
            json!({
                "unit": u.unit,
                "returns": format!("{}/{}", u.returns_received, u.returns_expected),
                "on_time": if u.returns_received == 0 { "—".to_string() } else { format!("{}/{}", u.on_time, u.returns_received) },
                "indicators": u.indicators,
                "reported": u.reported,
                "rate": format!("{}%", fmt_num(u.reporting_rate(), 0)),
                "problems": format!("{}/{}", u.errors, u.warnings),
            })
        })
        .collect();

    let areas: Vec<Value> = areas_list
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let list: Vec<&Indicator> = plan.indicators.iter().filter(|i| &i.area == a).collect();
            let rows: Vec<Value> = list
                .iter()
                .map(|ind| {
                    let p = progress_of(&ind.id, year);
                    let status = p.map(|p| p.status).unwrap_or(Status::NoData);
                    let value = p.and_then(|p| p.value);
                    json!({
                        "id": ind.id,
                        "name": ind.name,
                        "short": short_name(&ind.name),
                        "unit": ind.unit,
                        "target_text": target_text(ind),
                        "values": years.iter().map(|y| value_text(progress_of(&ind.id, *y).and_then(|p| p.value))).collect::<Vec<_>>(),
                        "expected": value_text(p.and_then(|p| p.expected)),
                        "status": status.label(),
                        "share": share(ind, value),
                        "share_text": if value.is_some() { format!("{}%", fmt_num(share(ind, value) * 100.0, 0)) } else { "无数据".to_string() },
                    })
                })
                .collect();
            let goals_here: Vec<&Indicator> = list.iter().copied().filter(|i| i.seq.is_some()).collect();
            let good = goals_here.iter().filter(|i| progress_of(&i.id, year).is_some_and(|p| p.status.is_good())).count();
            let lagging: Vec<String> = list
                .iter()
                .filter(|i| progress_of(&i.id, year).is_some_and(|p| matches!(p.status, Status::Behind | Status::SeriouslyBehind)))
                .map(|i| format!("“{}”", i.name))
                .collect();
            let mut sentence = format!("本领域{}项主要指标中{}项已达标或符合序时进度。", goals_here.len(), good);
            if !lagging.is_empty() {
                sentence.push_str(&format!("{}进度滞后，需加快推进。", lagging.join("、")));
            }
            json!({ "number": NUMERALS.get(k).copied().unwrap_or(""), "name": a, "rows": rows, "sentences": [sentence] })
        })
        .collect();

    let projects: Vec<Value> = plan
        .projects
        .iter()
        .map(|p| {
            let rep = batch.project_reports.iter().find(|r| r.project_id == p.id);
            json!({
                "id": p.id,
                "name": p.name,
                "responsible": p.responsible.join("、"),
                "progress": rep.and_then(|r| r.progress).map(|v| format!("{}%", fmt_num(v, 0))).unwrap_or_else(|| "—".into()),
                "status": rep.map(|r| r.status.clone()).filter(|s| !s.is_empty()).unwrap_or_else(|| "未报送".into()),
            })
        })
        .collect();
    let reported_projects = plan.projects.iter().filter(|p| batch.project_reports.iter().any(|r| r.project_id == p.id)).count();
    let project_sentences =
        vec![format!("方案重点任务中点名的{}个项目（附件2），{}个有{}年度进展填报。", plan.projects.len(), reported_projects, year)];

    let mut problems = Vec::new();
    let lag: Vec<&&Progress> = latest.iter().filter(|p| matches!(p.status, Status::Behind | Status::SeriouslyBehind)).collect();
    if !lag.is_empty() {
        problems.push(format!(
            "部分指标进度滞后。{}",
            lag.iter()
                .filter_map(|p| plan.indicator(&p.indicator_id).map(|i| format!(
                    "“{}”{}年为{}{}（目标{}），{}",
                    i.name,
                    year,
                    value_text(p.value),
                    i.unit,
                    target_text(i),
                    p.status.label()
                )))
                .collect::<Vec<_>>()
                .join("；")
                + "。"
        ));
    }
    let missing_units: Vec<&str> = units.iter().filter(|u| !received.contains(u.name.as_str())).map(|u| u.name.as_str()).collect();
    if !missing_units.is_empty() {
        problems.push(format!("{}未报送{}年度填报表。", missing_units.join("、"), year));
    }
    let nodata: Vec<String> = latest
        .iter()
        .filter(|p| p.status == Status::NoData)
        .filter_map(|p| plan.indicator(&p.indicator_id).map(|i| format!("“{}”", i.name)))
        .collect();
    if !nodata.is_empty() {
        problems.push(format!("{}项指标{}年无数据：{}。", nodata.len(), year, nodata.join("、")));
    }
    let conflicted: BTreeSet<(&str, i32)> = batch
        .findings
        .iter()
        .filter(|f| f.code == Code::Conflict)
        .filter_map(|f| {
            batch
                .observations
                .iter()
                .find(|o| *o.file == *f.file && o.cell == f.cell && *o.sheet == *f.sheet)
                .map(|o| (&*o.indicator_id, o.year))
        })
        .collect();
    if !conflicted.is_empty() {
        problems.push(format!(
            "{}项指标年度数据存在不同单位或不同填报表之间不一致的情况，评估采用牵头责任单位的数据，请相关单位核对统一。",
            conflicted.len()
        ));
    }
    if errors + warnings > 0 {
        problems.push(format!(
            "填报数据存在错误{}处、警告{}处（单位不符、数值超出合理范围、前后不一致等），已逐条反馈各单位。",
            errors, warnings
        ));
    }
    if problems.is_empty() {
        problems.push("未发现突出问题。".to_string());
    }

    let mut suggestions: Vec<String> = latest
        .iter()
        .filter(|p| matches!(p.status, Status::Behind | Status::SeriouslyBehind))
        .filter_map(|p| {
            let i = plan.indicator(&p.indicator_id)?;
            Some(match p.required_annual_change {
                Some(c) => format!(
                    "{}加快推进“{}”，剩余年份需年均{}{}{}。",
                    i.lead_unit(),
                    i.name,
                    if c >= 0.0 { "提高" } else { "降低" },
                    fmt_num(c.abs(), 2),
                    if i.unit == "%" { "个百分点" } else { i.unit.as_str() }
                ),
                None if final_year => format!("{}对“{}”未达标情况作出说明，纳入后续规划（2026—2030年）统筹解决。", i.lead_unit(), i.name),
                None => format!("{}加快推进“{}”。", i.lead_unit(), i.name),
            })
        })
        .collect();
    if !missing_units.is_empty() || no_data > 0 {
        suggestions.push("未报送或缺报的单位尽快补报，确保评估数据完整。".to_string());
    }
    if final_year {
        suggestions.push("以本次终期评估结果为基础，做好下一轮公共服务发展规划（2026—2030年）指标衔接。".to_string());
    }

    let appendix: Vec<Value> = goals
        .iter()
        .map(|i| {
            let p = progress_of(&i.id, year);
            json!({
                "seq": i.seq.map(|s| s.to_string()).unwrap_or_default(),
                "area": i.area,
                "name": i.name,
                "unit": i.unit,
                "target_text": target_text(i),
                "value": value_text(p.and_then(|p| p.value)),
                "status": p.map(|p| p.status).unwrap_or(Status::NoData).label(),
                "responsible": i.responsible_joined(),
            })
        })
        .collect();
    let sources: Vec<Value> = batch
        .progress
        .iter()
        .filter(|p| p.value.is_some())
        .map(|p| json!({ "id": p.indicator_id, "year": p.year, "value": value_text(p.value), "department": p.department, "file": p.file, "sheet": p.sheet, "cell": p.cell }))
        .collect();

    json!({
        "title": format!("{}实施进展报告（{}年度）", plan.title.replace("(2023—2025年)", ""), year),
        "office": batch.office,
        "date": batch.date_text(),
        "year": year,
        "years": years,
        "intro": intro,
        "overview": overview,
        "status_counts": status_counts,
        "area_counts": area_counts,
        "unit_rows": unit_rows,
        "areas": areas,
        "projects": projects,
        "project_sentences": project_sentences,
        "problems": problems,
        "suggestions": suggestions,
        "appendix": appendix,
        "sources": sources,
        "file_count": batch.files.iter().filter(|f| f.status == Fate::Read).count(),
        "fingerprint": batch.fingerprint,
        "tool_version": env!("CARGO_PKG_VERSION"),
        "plan_version": plan.version,
    })
}

/// Everything a unit's feedback sheet reads.
pub fn feedback_data(batch: &Batch, unit: &str) -> Value {
    let plan = &batch.plan;
    let year = batch.year;
    let inds = plan.indicators_of(unit);
    let rows: Vec<Value> = inds
        .iter()
        .map(|i| {
            let p = batch.progress.iter().find(|p| p.indicator_id == i.id && p.year == year);
            let remark = batch
                .observations
                .iter()
                .find(|o| &*o.department == unit && *o.indicator_id == *i.id && o.year == year && !o.remark.is_empty())
                .map(|o| crate::text::clip(&o.remark, 300).into_owned())
                .unwrap_or_default();
            json!({
                "id": i.id, "name": i.name, "unit": i.unit, "target_text": target_text(i), "remark": remark,
                "value": value_text(p.and_then(|p| p.value)),
                "expected": value_text(p.and_then(|p| p.expected)),
                "status": p.map(|p| p.status).unwrap_or(Status::NoData).label(),
            })
        })
        .collect();
    let findings: Vec<&Finding> = batch.findings.iter().filter(|f| f.department == unit && f.code != Code::MissingValue).collect();
    let missing: Vec<String> = batch
        .findings
        .iter()
        .filter(|f| f.department == unit && (f.code == Code::MissingValue || f.code == Code::MissingReturn))
        .map(|f| f.message.clone())
        .collect();
    json!({
        "title": format!("{}年度填报数据反馈单", year),
        "unit": unit,
        "office": batch.office,
        "date": batch.date_text(),
        "year": year,
        "intro": [format!("你单位报送的{}年度《公共服务发展行动方案》指标填报表已收悉。经汇总校验，现将你单位负责指标的完成情况和填报数据存在的问题反馈如下。", year)],
        "rows": rows,
        "findings": findings.iter().map(|f| json!({ "file": f.file, "sheet": f.sheet, "cell": f.cell, "severity": f.severity.label(), "message": f.message })).collect::<Vec<_>>(),
        "missing": missing,
    })
}
