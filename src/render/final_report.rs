//! The 终期评估 parts of the report: what the plan's last year's report says instead of
//! an annual report's words. Formatting only: every fact is the assessment's
//! (`Assessment::final_eval`).

use serde::Serialize;

use super::report::{amount, with_unit};
use crate::assess::final_eval::{FinalEvaluation, FinalIndicator, Outcome, ReasonSource};
use crate::assess::Assessment;
use crate::plan::{Comparison, Indicator, IndicatorKind};
use crate::text::fmt_num;

/// The whole-period table and the named lists of the final evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct FinalReport {
    /// The heading of the subsection with the lists: （十）未完成的指标及原因.
    pub heading: String,
    /// The plan's years, the columns of figures.
    pub years: Vec<i32>,
    pub base_year: i32,
    /// Not met in full: each with its unit and the unit's reason (or a placeholder
    /// that names the unit).
    pub not_met: Vec<NotMet>,
    /// One sentence each, for the named lists in 三.
    pub lists: Vec<String>,
    /// 图2: each unmet indicator's path from the base year to the last, against its
    /// target (empty when every indicator was met).
    pub trends: Vec<Trend>,
    pub trend_title: String,
}

/// One small trend line: an unmet indicator from the base year to the plan's last.
#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    pub id: String,
    pub name: String,
    pub unit: String,
    /// The level the line is drawn against (the target, or an annual rate's yearly
    /// target) and how the report writes it.
    pub target: f64,
    pub target_text: String,
    pub rate: String,
    pub outcome: String,
    /// One per year, base year first (`None`: no figure that year).
    pub points: Vec<TrendPoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrendPoint {
    pub year: i32,
    pub value: Option<f64>,
    /// The figure as the report writes it.
    pub text: String,
}

/// One row of the whole-period table.
#[derive(Debug, Clone, Serialize)]
pub struct FinalRow {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub base: String,
    /// One per plan year ("—" for none).
    pub values: Vec<String>,
    pub target_text: String,
    pub rate: String,
    pub outcome: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotMet {
    pub title: String,
    pub unit: String,
    pub reason: String,
}

/// How an indicator that ended worse than its base compares with it: higher for one to
/// keep low (至多, as the death rates), lower for the rest.
fn versus_base(i: &Indicator) -> &'static str {
    if i.comparison == crate::plan::Comparison::AtMost {
        "高于"
    } else {
        "低于"
    }
}

/// The same for several: 低于 or 高于 when they all go one way, else 差于.
fn worse_than(a: &Assessment, ids: &[&String]) -> &'static str {
    let words: std::collections::BTreeSet<&str> = ids.iter().filter_map(|id| a.plan.indicator(id)).map(versus_base).collect();
    match words.len() {
        1 => words.into_iter().next().unwrap_or("差于"),
        _ => "差于",
    }
}

pub fn is_final(a: &Assessment) -> bool {
    a.final_eval.is_some()
}

/// 完成率 as the documents show it: a percentage with one decimal; an annual rate as
/// years met of years.
pub fn rate_text(f: &FinalIndicator) -> String {
    if let (true, Some(v), Some(r)) = (f.small, f.final_value, f.rate) {
        // Done or not done: how many of how many.
        let target = if r > 0.0 { v / r } else { 0.0 };
        return format!("{}/{}", fmt_num(v, 0), fmt_num(target, 0));
    }
    match (f.years_met, f.rate) {
        (Some((met, n)), _) => format!("{met}/{n}年达标"),
        (None, Some(r)) => format!("{}%", crate::text::fmt_rate(r * 100.0)),
        (None, None) => "—".to_string(),
    }
}

pub fn rows(a: &Assessment, e: &FinalEvaluation, inds: &[&Indicator]) -> Vec<FinalRow> {
    inds.iter()
        .filter_map(|i| {
            let f = e.of(&i.id)?;
            let shown = |v: Option<f64>| v.map(|v| a.shown(&i.id, v)).unwrap_or_else(|| "—".to_string());
            Some(FinalRow {
                id: i.id.clone(),
                name: i.name.clone(),
                unit: i.unit.clone(),
                base: if i.comparison == Comparison::Cumulative { "—".to_string() } else { shown(f.base) },
                values: f.values.iter().map(|(_, v)| shown(*v)).collect(),
                target_text: super::report::target_text(i),
                rate: rate_text(f),
                outcome: f.outcome.label().to_string(),
            })
        })
        .collect()
}

/// The counts of one set, in words: 已完成a项、基本完成b项、未完成c项 (nothing of none).
pub fn counts_phrase(c: &crate::assess::final_eval::OutcomeCounts) -> String {
    Outcome::ALL.iter().filter(|o| c.get(**o) > 0).map(|o| format!("{}{}项", o.label(), c.get(*o))).collect::<Vec<_>>().join("、")
}

/// The opening paragraph of the final evaluation.
pub fn intro(a: &Assessment) -> Vec<String> {
    let (start, end) = (a.period.start, a.period.end);
    vec![format!(
        "按照《{}》“实施监测评估”的要求，方案实施期（{start}—{end}年）已经结束，现将方案实施情况终期评估报告如下。本报告依据各责任单位报送的{start}—{end}年度填报表汇总形成，数据截至{end}年末；各项指标以{end}年数据对照方案目标评估完成情况。",
        a.plan.title
    )]
}

/// 一、总体情况: the conclusion.
pub fn overview(a: &Assessment, e: &FinalEvaluation) -> String {
    let mut s = String::new();
    if e.goals.total() > 0 {
        s.push_str(&format!("方案确定的{}项主要发展指标中，{}", e.goals.total(), counts_phrase(&e.goals)));
        if e.goals.get(Outcome::Completed) == e.goals.total() {
            s = format!("方案确定的{}项主要发展指标均已完成", e.goals.total());
        }
        // The main indicators that ended below their base, said with them.
        let below = e.below_base.iter().filter(|id| a.plan.indicator(id).is_some_and(|i| i.is_goal())).count();
        if below > 0 {
            let goals: Vec<&String> = e.below_base.iter().filter(|id| a.plan.indicator(id).is_some_and(|i| i.is_goal())).collect();
            s.push_str(&format!("，其中{below}项期末{}{}年基期水平", worse_than(a, &goals), a.period.base_year));
        }
    }
    if e.targets.total() > 0 {
        if !s.is_empty() {
            s.push('；');
        }
        if e.targets.get(Outcome::Completed) == e.targets.total() {
            s.push_str(&format!("重点任务中{}项量化指标均已完成", e.targets.total()));
        } else {
            s.push_str(&format!("重点任务中{}项量化指标{}", e.targets.total(), counts_phrase(&e.targets)));
        }
    }
    let n = &a.project_counts;
    if n.total > 0 && n.reported > 0 {
        let unfinished = n.reported.saturating_sub(n.finished);
        s.push_str(&match (n.finished, unfinished) {
            (_, 0) if n.reported == n.total => format!("；{}个重点项目均已完工", n.total),
            (0, _) => format!("；{}个重点项目截至期末均未完工", n.total),
            (f, u) => format!("；{}个重点项目中已完工{f}个，{u}个截至期末尚未完工", n.total),
        });
    }
    s.push('。');
    let threshold = fmt_num(a.plan.rules.status.nearly_completed * 100.0, 1);
    s.push_str(&format!(
        "完成率为期末值与目标之比（须控制在目标以内的指标未超出目标为100%，累计指标为累计完成数与目标之比，年增长率指标为达到目标的年数与评估年数之比，写作“1/3年达标”），达到100%为已完成，达到{threshold}%为基本完成；期末值比基期值离目标更远的不作基本完成。"
    ));
    // Small counts show 完成数/目标数 (rate_text): say so where the plan has any.
    let rules = &a.plan.rules.status;
    if a.plan.indicators.iter().any(|i| crate::assess::judge::is_small_count(i, rules)) {
        s.push_str(&format!(
            "目标为{}个（项）及以下的计数指标只分已完成和未完成，完成率写作“完成数/目标数”（如“2/2”）。",
            fmt_num(rules.small_count_max, 0)
        ));
    }
    s
}

/// An area's sentence: what its indicators of one kind came to.
pub fn area_sentence(a: &Assessment, e: &FinalEvaluation, area: &str, kind: IndicatorKind, what: &str) -> Option<String> {
    let inds: Vec<&Indicator> = a.indicators_of_kind(kind).filter(|i| i.area == area).collect();
    if inds.is_empty() {
        return None;
    }
    let mut c = crate::assess::final_eval::OutcomeCounts::default();
    for i in &inds {
        if let Some(f) = e.of(&i.id) {
            c.add(f.outcome);
        }
    }
    let total = inds.len();
    let mut s = if c.get(Outcome::Completed) == total {
        if total == 1 {
            format!("本领域{total}项{what}已完成")
        } else {
            format!("本领域{total}项{what}均已完成")
        }
    } else {
        format!("本领域{total}项{what}中{}", counts_phrase(&c))
    };
    let short: Vec<String> = inds
        .iter()
        .filter_map(|i| e.of(&i.id).filter(|f| !f.outcome.met() && f.outcome != Outcome::NoData).map(|f| describe_final(a, i, f)))
        .collect();
    if short.is_empty() {
        s.push('。');
    } else {
        s.push_str(&format!("；{}。", short.join("；")));
    }
    Some(s)
}

/// What the indicators not fully met are: by outcome, and by kind where there are both.
fn not_met_breakdown(a: &Assessment, e: &FinalEvaluation) -> String {
    let count = |keep: &dyn Fn(&Indicator, &FinalIndicator) -> bool| {
        e.not_met.iter().filter(|id| a.plan.indicator(id).zip(e.of(id)).is_some_and(|(i, f)| keep(i, f))).count()
    };
    let outcomes: Vec<String> = [Outcome::NotCompleted, Outcome::NearlyCompleted]
        .iter()
        .map(|o| (o.label(), count(&|_, f| f.outcome == *o)))
        .filter(|(_, n)| *n > 0)
        .map(|(label, n)| format!("{label}{n}项"))
        .collect();
    let (goals, tasks) = (count(&|i, _| i.is_goal()), count(&|i, _| !i.is_goal()));
    let mut text = outcomes.join("、");
    if goals > 0 && tasks > 0 {
        text.push_str(&format!("；其中主要发展指标{goals}项、重点任务量化指标{tasks}项"));
    }
    text
}

/// The heading of the list: what it holds.
fn not_met_heading(a: &Assessment, e: &FinalEvaluation) -> String {
    let nearly = e.not_met.iter().any(|id| e.of(id).is_some_and(|f| f.outcome == Outcome::NearlyCompleted));
    let what = if nearly { "未完成和基本完成" } else { "未完成" };
    format!("（{}）{what}的指标及原因", super::report::numeral_pub(a.areas.len()))
}

/// The named lists and each unmet indicator's reason.
pub fn report(a: &Assessment, e: &FinalEvaluation) -> FinalReport {
    let name = |id: &str| a.plan.indicator(id).map(|i| format!("“{}”（{}）", i.name, i.responsible_joined())).unwrap_or_default();
    let mut lists = Vec::new();
    if !e.not_met.is_empty() {
        lists.push(format!(
            "未完全完成的指标{}项（{}）：{}。",
            e.not_met.len(),
            not_met_breakdown(a, e),
            e.not_met.iter().map(|id| name(id)).collect::<Vec<_>>().join("、")
        ));
    }
    if !e.below_base.is_empty() {
        let items: Vec<String> = e
            .below_base
            .iter()
            .filter_map(|id| {
                let (i, f) = (a.plan.indicator(id)?, e.of(id)?);
                Some(format!(
                    "“{}”{}年为{}，{}{}年基期值{}",
                    i.name,
                    a.period.end,
                    f.final_value.map(|v| a.shown(id, v)).unwrap_or_default() + &i.unit,
                    versus_base(i),
                    a.period.base_year,
                    f.base.map(|v| a.shown(id, v)).unwrap_or_default() + &i.unit
                ))
            })
            .collect();
        let ids: Vec<&String> = e.below_base.iter().collect();
        lists.push(format!("期末{}基期水平的指标{}项：{}。", worse_than(a, &ids), items.len(), items.join("；")));
    }
    if !e.rates_missed.is_empty() {
        let items: Vec<String> = e
            .rates_missed
            .iter()
            .filter_map(|id| {
                let (i, f) = (a.plan.indicator(id)?, e.of(id)?);
                let (met, n) = f.years_met?;
                let missed: Vec<String> = f
                    .values
                    .iter()
                    .filter(|(y, _)| f.years_missed.contains(y))
                    .map(|(y, v)| format!("{y}年{}%", v.map(|v| a.shown(id, v)).unwrap_or_default()))
                    .collect();
                Some(format!("“{}”{n}年中{met}年达到每年{}%的目标（未达到的：{}）", i.name, fmt_num(i.target, 4), missed.join("、")))
            })
            .collect();
        lists.push(format!("年度目标未达到的年份多于达到的指标{}项：{}。", items.len(), items.join("；")));
    }
    if !e.no_data.is_empty() {
        lists.push(format!(
            "{}年无数据、无法评估的指标{}项：{}。",
            a.period.end,
            e.no_data.len(),
            e.no_data.iter().map(|id| name(id)).collect::<Vec<_>>().join("、")
        ));
    }
    let not_met = e
        .not_met
        .iter()
        .enumerate()
        .filter_map(|(k, id)| {
            let (i, f) = (a.plan.indicator(id)?, e.of(id)?);
            Some(NotMet {
                title: format!("{}. {}", k + 1, describe_final(a, i, f)),
                unit: i.lead_unit().to_string(),
                reason: reason_text(i, f),
            })
        })
        .collect();
    let heading = not_met_heading(a, e);
    let trends: Vec<Trend> = e.not_met.iter().filter_map(|id| trend(a, a.plan.indicator(id)?, e.of(id)?)).collect();
    FinalReport {
        heading,
        years: (a.period.start..=a.period.end).collect(),
        base_year: a.period.base_year,
        not_met,
        lists,
        trend_title: format!("图2　未完全完成指标的变化（{}—{}年）", a.period.base_year, a.period.end),
        trends,
    }
}

/// The trend line of an unmet indicator: its base and each year's figure.
fn trend(a: &Assessment, i: &Indicator, f: &FinalIndicator) -> Option<Trend> {
    let base = f.base;
    let points: Vec<TrendPoint> = std::iter::once((a.period.base_year, base))
        .chain(f.values.iter().copied())
        .map(|(year, value)| TrendPoint { year, value, text: value.map(|v| a.shown(&i.id, v)).unwrap_or_default() })
        .collect();
    // A line needs two figures.
    (points.iter().filter(|p| p.value.is_some()).count() >= 2).then(|| Trend {
        id: i.id.clone(),
        name: i.name.clone(),
        unit: i.unit.clone(),
        target: i.target,
        target_text: format!("{}{}", super::report::target_text(i), i.unit),
        rate: rate_text(f),
        outcome: f.outcome.label().to_string(),
        points,
    })
}

/// What the units wrote of why `i` was not met, as the report and the workbook quote it:
/// each unit's stated reason with its name; else the lead unit's 存在问题 for the area,
/// said to be that; else a placeholder naming the lead unit.
pub fn reason_text(i: &Indicator, f: &FinalIndicator) -> String {
    if f.reasons.is_empty() {
        return format!("（{}未说明未完成的原因，待补充。）", i.lead_unit());
    }
    let said: Vec<String> = f
        .reasons
        .iter()
        .map(|r| match &r.source {
            ReasonSource::Stated { .. } => format!("{}说明：{}", r.unit, r.text),
            ReasonSource::AreaProblems { area, year, .. } => {
                format!("{}未针对本指标说明原因；其{year}年度“{area}”工作进展中反映的问题：{}", r.unit, r.text)
            }
        })
        .collect();
    said.join("")
}

/// 五、存在的问题 at the end of the plan.
pub fn problems(a: &Assessment, e: &FinalEvaluation) -> Vec<String> {
    let mut out = Vec::new();
    let items: Vec<String> = e.not_met.iter().filter_map(|id| Some(describe_final(a, a.plan.indicator(id)?, e.of(id)?))).collect();
    if !items.is_empty() {
        // 基本完成 ones are listed too: not fully met.
        let nearly = e.not_met.iter().any(|id| e.of(id).is_some_and(|f| f.outcome == Outcome::NearlyCompleted));
        let what = if nearly { "未完全完成" } else { "未完成" };
        out.push(format!("部分指标{what}方案目标。{}。", items.join("；")));
    }
    let unfinished: Vec<String> = e
        .unfinished_projects
        .iter()
        .filter_map(|id| a.projects.iter().find(|p| &p.project_id == id))
        .filter_map(|p| {
            let def = a.plan.projects.iter().find(|d| d.id == p.project_id)?;
            let rep = p.this_year.as_ref();
            let progress = rep.and_then(|r| r.progress).map(|v| format!("形象进度{}%", amount(v))).unwrap_or_default();
            let money = match (rep.and_then(|r| r.planned_investment), rep.and_then(|r| r.completed_investment)) {
                (Some(pl), Some(done)) => format!(
                    "，计划总投资{}万元、累计完成{}万元{}",
                    amount(pl),
                    amount(done),
                    p.completion_rate().map(|r| format!("（{}%）", crate::text::fmt_rate(r))).unwrap_or_default()
                ),
                _ => String::new(),
            };
            let sep = if progress.is_empty() { "" } else { "，" };
            Some(format!("“{}”（{}{sep}{progress}{money}）", def.name, def.responsible.join("、")))
        })
        .collect();
    if !unfinished.is_empty() {
        out.push(format!("{}个重点项目截至期末尚未完工：{}。", unfinished.len(), unfinished.join("；")));
    }
    let overdue: Vec<String> = a
        .overdue_tasks
        .iter()
        .filter_map(|id| a.plan.tasks.iter().find(|t| &t.id == id))
        .map(|t| format!("“{}”（{}）", t.name, t.lead_unit()))
        .collect();
    if !overdue.is_empty() {
        out.push(format!("{}项重点任务截至期末未完成：{}。", overdue.len(), overdue.join("、")));
    }
    out
}

/// 六、下一步: each unit's unfinished items, to the successor plan.
pub fn suggestions(a: &Assessment, e: &FinalEvaluation) -> Vec<String> {
    let next = format!("{}—{}年", a.period.end + 1, a.period.end + 5);
    // Each lead unit's items, with the units that share them.
    let mut by_unit: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
    let mut add = |units: &[String], item: String| {
        let Some((lead, others)) = units.split_first() else { return };
        let at = match by_unit.iter().position(|(u, _, _)| u == lead) {
            Some(k) => k,
            None => {
                by_unit.push((lead.clone(), Vec::new(), Vec::new()));
                by_unit.len() - 1
            }
        };
        let (_, items, with) = &mut by_unit[at];
        if !items.contains(&item) {
            items.push(item);
        }
        for o in others {
            if !with.contains(o) {
                with.push(o.clone());
            }
        }
    };
    for id in &e.not_met {
        if let Some(i) = a.plan.indicator(id) {
            add(&i.responsible, format!("“{}”", i.name));
        }
    }
    for id in &e.unfinished_projects {
        if let Some(def) = a.plan.projects.iter().find(|d| &d.id == id) {
            add(&def.responsible, format!("“{}”", def.name));
        }
    }
    for id in &a.overdue_tasks {
        if let Some(t) = a.plan.tasks.iter().find(|t| &t.id == id) {
            add(&t.responsible, format!("“{}”", t.name));
        }
    }
    let mut out: Vec<String> = by_unit
        .into_iter()
        .map(|(unit, items, with)| {
            let with = if with.is_empty() { String::new() } else { format!("会同{}", with.join("、")) };
            format!("{unit}{with}对{}总结未完成的原因，提出接续措施，纳入{next}公共服务发展规划继续推进。", items.join("、"))
        })
        .collect();
    out.push(format!("以本次终期评估结果为基础，做好{next}公共服务发展规划的指标衔接：已完成的指标巩固提升，未完成的指标、项目和任务列入新规划统筹解决。"));
    out
}

/// One unmet indicator in words: “高中阶段教育毛入学率”2025年为87.6%，目标94%，完成率93.2%（基本完成）.
pub fn describe_final(a: &Assessment, i: &Indicator, f: &FinalIndicator) -> String {
    let end = a.period.end;
    let target = super::report::target_text(i);
    match (f.years_met, f.final_value) {
        (Some((met, n)), _) => format!(
            "“{}”{n}年中{met}年达到每年{}{}的目标，年均{}（{}；年增长率目标须每年达到，按达到的年数计）",
            i.name,
            fmt_num(i.target, 4),
            i.unit,
            f.average.map(|v| format!("{}{}", a.shown_derived(&i.id, v), i.unit)).unwrap_or_default(),
            f.outcome.label()
        ),
        (None, Some(v)) => format!(
            "“{}”{end}年为{}，目标{}{}，完成率{}（{}{}）",
            i.name,
            with_unit(a, v, i),
            target,
            i.unit,
            rate_text(f),
            f.outcome.label(),
            // The rate alone would say 基本完成: say why it is not.
            if f.below_base && f.outcome == Outcome::NotCompleted && f.rate.is_some_and(|r| r >= a.plan.rules.status.nearly_completed) {
                format!("，{}{}年基期值", versus_base(i), a.period.base_year)
            } else {
                String::new()
            }
        ),
        (None, None) => format!("“{}”{end}年无数据", i.name),
    }
}
