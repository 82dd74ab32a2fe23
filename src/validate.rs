//! Stage 2 — validate: rules over the long table of observations (polars), each broken
//! rule a finding with file, sheet and cell. Thresholds come from templates/rules.toml.

use std::collections::{BTreeMap, HashMap, HashSet};

use polars::prelude::*;

use crate::figures::{Figures, ReturnStatus};
use crate::finding::{Code, Finding};
use crate::frames::{self, Rows};
use crate::plan::Plan;
use crate::read::{InputFile, Observation, ProjectReport};
use crate::text::fmt_num;

/// What the rules need besides the figures: the figures chosen and the conflicts
/// (figures::choose), the returns expected and received (figures::returns) and
/// the projects' reports.
pub struct Context<'a> {
    pub figures: &'a Figures,
    pub returns: &'a [ReturnStatus],
    pub projects: &'a [ProjectReport],
    pub files: &'a [InputFile],
    /// The reporting year.
    pub year: i32,
}

/// Every rule, with the figures and returns worked out here (for tests and tools that
/// have only the observations).
pub fn validate(plan: &Plan, obs: &[Observation], files: &[InputFile], year: i32) -> PolarsResult<Vec<Finding>> {
    let df = frames::observations(obs)?;
    let figures = crate::figures::choose(plan, obs, &df)?;
    let returns = crate::figures::returns(plan, files, year, None);
    validate_frame(plan, obs, &df, &Context { figures: &figures, returns: &returns, projects: &[], files, year })
}

/// Run every rule.
pub fn validate_frame(plan: &Plan, obs: &[Observation], df: &DataFrame, cx: &Context) -> PolarsResult<Vec<Finding>> {
    let mut findings = value_rules(plan, obs, df, cx.figures)?;
    findings.extend(project_rules(plan, cx.projects));
    findings.extend(completeness(plan, obs, cx, df)?);
    findings.extend(returns_outside_plan(plan, cx.files));
    Ok(findings)
}

/// The rules about the figures themselves, without what is missing from the batch:
/// what `planmon check` applies to the returns it is given.
pub fn validate_values(plan: &Plan, obs: &[Observation], projects: &[ProjectReport]) -> PolarsResult<Vec<Finding>> {
    let df = frames::observations(obs)?;
    let figures = crate::figures::choose(plan, obs, &df)?;
    let mut findings = value_rules(plan, obs, &df, &figures)?;
    findings.extend(project_rules(plan, projects));
    Ok(findings)
}

fn value_rules(plan: &Plan, obs: &[Observation], df: &DataFrame, figures: &Figures) -> PolarsResult<Vec<Finding>> {
    let ind = frames::indicators(plan)?;
    let mut findings = Vec::new();
    findings.extend(out_of_range(plan, obs, df)?);
    findings.extend(fraction_in_percent(obs, df, &ind)?);
    findings.extend(not_responsible(plan, obs, df)?);
    findings.extend(conflicts(plan, obs, figures));
    findings.extend(outside_plan(plan, obs));
    findings.extend(baseline_differs(plan, obs));
    findings.extend(year_to_year(plan, obs, df, &ind)?);
    findings.extend(previous_differs(obs, df)?);
    Ok(findings)
}

fn obs_finding(o: &Observation, f: Finding) -> Finding {
    f.in_file(&o.file).at(&o.sheet, &o.cell).for_unit(&o.department).for_indicator(&o.indicator_id).in_year(o.return_year)
}

/// Values outside the plausible range for their unit.
fn out_of_range(plan: &Plan, obs: &[Observation], df: &DataFrame) -> PolarsResult<Vec<Finding>> {
    let with_rule: Vec<_> = plan.indicators.iter().filter_map(|i| plan.range_for(i).map(|r| (i, r))).collect();
    let ranges = DataFrame::new(
        with_rule.len(),
        vec![
            Column::new("indicator_id".into(), with_rule.iter().map(|(i, _)| i.id.clone()).collect::<Vec<_>>()),
            Column::new("min".into(), with_rule.iter().map(|(_, r)| r.min).collect::<Vec<f64>>()),
            Column::new("max".into(), with_rule.iter().map(|(_, r)| r.max).collect::<Vec<f64>>()),
            Column::new("message".into(), with_rule.iter().map(|(_, r)| r.message.clone()).collect::<Vec<_>>()),
        ],
    )?;
    let bad = df
        .clone()
        .lazy()
        .inner_join(ranges.lazy(), col("indicator_id"), col("indicator_id"))
        .filter(col("value").lt(col("min")).or(col("value").gt(col("max"))))
        .select([col("row"), col("message")])
        .collect()?;
    let rows = Rows::new(&bad);
    Ok((0..rows.len())
        .map(|i| {
            let o = rows.observation("row", i, obs);
            let v = o.value.map(|v| fmt_num(v, 4)).unwrap_or_default();
            obs_finding(o, Finding::error(Code::OutOfRange, format!("数值 {} {} 超出合理范围：{}。", v, o.unit, rows.str("message", i))))
        })
        .collect())
}

/// A share written as a fraction (0.945) where the indicator wants a percentage (94.5).
fn fraction_in_percent(obs: &[Observation], df: &DataFrame, ind: &DataFrame) -> PolarsResult<Vec<Finding>> {
    let bad = df
        .clone()
        .lazy()
        .inner_join(ind.clone().lazy(), col("indicator_id"), col("indicator_id"))
        .filter(
            col("unit")
                .eq(lit("%"))
                .and(col("comparison").neq(lit("annual_rate")))
                .and(col("target").gt_eq(lit(10.0)))
                .and(col("value").gt(lit(0.0)))
                .and(col("value").lt_eq(lit(1.0))),
        )
        .select([col("row")])
        .collect()?;
    let rows = Rows::new(&bad);
    Ok((0..rows.len())
        .map(|i| {
            let o = rows.observation("row", i, obs);
            let v = o.value.unwrap_or(0.0);
            obs_finding(
                o,
                Finding::error(
                    Code::FractionAsPercent,
                    format!(
                        "数值 {} 疑似把百分比填成了小数（应为 {}%？）。百分比请直接填数字，如 94.5。",
                        fmt_num(v, 4),
                        fmt_num(v * 100.0, 2)
                    ),
                ),
            )
        })
        .collect())
}

/// Figures from a unit that is not responsible for the indicator: kept, flagged.
fn not_responsible(plan: &Plan, obs: &[Observation], df: &DataFrame) -> PolarsResult<Vec<Finding>> {
    let pairs: Vec<(String, String)> =
        plan.indicators.iter().flat_map(|i| i.responsible.iter().map(move |u| (i.id.clone(), u.clone()))).collect();
    let resp = DataFrame::new(
        pairs.len(),
        vec![
            Column::new("indicator_id".into(), pairs.iter().map(|p| p.0.clone()).collect::<Vec<_>>()),
            Column::new("department".into(), pairs.iter().map(|p| p.1.clone()).collect::<Vec<_>>()),
            Column::new("responsible".into(), vec![true; pairs.len()]),
        ],
    )?;
    let bad = df
        .clone()
        .lazy()
        .join(
            resp.lazy(),
            [col("indicator_id"), col("department")],
            [col("indicator_id"), col("department")],
            JoinArgs::new(JoinType::Left),
        )
        .filter(col("responsible").is_null().and(col("department").neq(lit(""))).and(col("value").is_not_null()))
        .select([col("row")])
        .collect()?;
    let rows = Rows::new(&bad);
    Ok((0..rows.len())
        .map(|i| {
            let o = rows.observation("row", i, obs);
            let owner = plan.indicator(&o.indicator_id).map(|i| i.responsible_joined()).unwrap_or_default();
            obs_finding(
                o,
                Finding::warning(
                    Code::NotResponsible,
                    format!("本单位不是指标“{}”的责任单位（责任单位：{}）。数据已保留，以责任单位填报的为准。", o.indicator_name, owner),
                ),
            )
        })
        .collect())
}

/// The same indicator and year reported with different values: a finding on every
/// cell, naming all the figures and the one used (chosen once, figures::choose).
fn conflicts(plan: &Plan, obs: &[Observation], figures: &Figures) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in &figures.conflicts {
        let Some(ind) = plan.indicator(&c.indicator_id) else { continue };
        // Each different value once, with its first source and how many cells give it
        // (a batch of copies must not make every message list every copy).
        let mut values: Vec<(f64, &crate::figures::Figure, usize)> = Vec::new();
        for f in &c.figures {
            match values.iter_mut().find(|(v, _, _)| *v == f.value) {
                Some((_, _, n)) => *n += 1,
                None => values.push((f.value, f, 1)),
            }
        }
        let shown = 5;
        let mut listing = values
            .iter()
            .take(shown)
            .map(|(v, f, n)| {
                let more = if *n > 1 { format!("等{n}处") } else { String::new() };
                format!("{}{}（{}·{}·{}{more}）", fmt_num(*v, 4), ind.unit, f.department, f.file, f.cell)
            })
            .collect::<Vec<_>>()
            .join("；");
        if values.len() > shown {
            listing.push_str(&format!("；另有{}个不同数值", values.len() - shown));
        }
        // Each cell is told what it must do: one that gives the figure used is to check
        // it against the others (a warning); one that differs is to be corrected or its
        // basis stated (an error), so a unit knows whether the change is its own.
        let used = format!("{}{}（{}）", fmt_num(c.used.value, 4), ind.unit, c.used.department);
        let said = format!("{}年“{}”有不一致的填报：{listing}。采用{used}", c.year, ind.name);
        // The units whose figures differ from the one used, each once.
        let mut differing: Vec<&str> = Vec::new();
        for g in c.figures.iter().filter(|g| g.value != c.used.value) {
            if !differing.contains(&g.department.as_str()) {
                differing.push(&g.department);
            }
        }
        for f in &c.figures {
            let finding = if f.value == c.used.value {
                let others =
                    if differing.iter().all(|d| *d == f.department) { "本单位其他填报".to_string() } else { differing.join("、") };
                Finding::warning(Code::Conflict, format!("{said}，即本处的数值。请与{others}核对，本处有误的请修改。"))
            } else {
                Finding::error(
                    Code::Conflict,
                    format!(
                        "{said}，本处的{}{}未采用。请核对后改为一致；确认本处无误的，请在备注中说明依据。",
                        fmt_num(f.value, 4),
                        ind.unit
                    ),
                )
            };
            out.push(obs_finding(&obs[f.row], finding));
        }
    }
    out
}

/// Figures for a year before the baseline or after the plan's end.
fn outside_plan(plan: &Plan, obs: &[Observation]) -> Vec<Finding> {
    obs.iter()
        .filter(|o| o.value.is_some() && (o.year < plan.baseline_year || o.year > plan.end))
        .map(|o| {
            obs_finding(
                o,
                Finding::warning(
                    Code::YearOutsidePlan,
                    format!("{}年不在规划期（基期{}年，{}—{}年）内，该数据未纳入评估。", o.year, plan.baseline_year, plan.start, plan.end),
                ),
            )
        })
        .collect()
}

/// A base-year figure (上年值 or a base-year column) that differs from the base value
/// the imported 附件1 gives: the table's value is the baseline; the cell is named.
fn baseline_differs(plan: &Plan, obs: &[Observation]) -> Vec<Finding> {
    let tolerance = plan.rules.status.tolerance;
    obs.iter()
        .filter(|o| o.year == plan.baseline_year)
        .filter_map(|o| {
            let v = o.value?;
            let ind = plan.indicator(&o.indicator_id)?;
            let base = ind.baseline?;
            ((v - base).abs() > tolerance * base.abs().max(1.0)).then(|| {
                obs_finding(
                    o,
                    Finding::warning(
                        Code::BaselineDiffers,
                        format!(
                            "{}年数值 {} {} 与方案附件1中的基期值 {} {} 不一致。评估以附件1的基期值为准；如附件1有误或统计口径调整，请在备注中说明。",
                            o.year,
                            fmt_num(v, 4),
                            ind.unit,
                            fmt_num(base, 4),
                            ind.unit
                        ),
                    ),
                )
            })
        })
        .collect()
}

/// Year on year, per unit: a cumulative total that falls, or a level that jumps by more
/// than `rules.validate.jump_share` of the previous year's figure.
fn year_to_year(plan: &Plan, obs: &[Observation], df: &DataFrame, ind: &DataFrame) -> PolarsResult<Vec<Finding>> {
    let share = plan.rules.validate.jump_share;
    // One figure per unit, indicator and year: 本年值 before 上年值.
    let series = df
        .clone()
        .lazy()
        .filter(col("value").is_not_null())
        .sort(
            ["indicator_id", "department", "year", "current"],
            SortMultipleOptions::default().with_order_descending_multi([false, false, false, true]),
        )
        .unique_stable_generic(Some(vec![col("indicator_id"), col("department"), col("year")]), UniqueKeepStrategy::First);
    let previous = series.clone().select([
        col("indicator_id"),
        col("department"),
        (col("year") + lit(1)).alias("year"),
        col("value").alias("prev_value"),
        col("row").alias("prev_row"),
    ]);
    let change = (col("value") - col("prev_value")) / col("prev_value");
    let bad = series
        .filter(col("current"))
        .join(
            previous,
            [col("indicator_id"), col("department"), col("year")],
            [col("indicator_id"), col("department"), col("year")],
            JoinArgs::new(JoinType::Inner),
        )
        .join(ind.clone().lazy(), [col("indicator_id")], [col("indicator_id")], JoinArgs::new(JoinType::Inner))
        .with_column(
            when(col("comparison").eq(lit("cumulative")))
                .then(when(col("value").lt(col("prev_value"))).then(lit("falls")).otherwise(lit("")))
                .when(col("comparison").eq(lit("annual_rate")))
                .then(lit(""))
                .when(col("prev_value").neq(lit(0.0)).and(change.clone().gt(lit(share)).or(change.lt(lit(-share)))))
                .then(lit("jump"))
                .otherwise(lit(""))
                .alias("problem"),
        )
        .filter(col("problem").neq(lit("")))
        .select([col("row"), col("prev_row"), col("problem")])
        .collect()?;
    let rows = Rows::new(&bad);
    Ok((0..rows.len())
        .map(|i| {
            let o = rows.observation("row", i, obs);
            let p = rows.observation("prev_row", i, obs);
            let (v, pv) = (o.value.unwrap_or(f64::NAN), p.value.unwrap_or(f64::NAN));
            let whence = format!("{}年为 {} {}（{}·{}）", p.year, fmt_num(pv, 4), o.unit, p.file, p.cell);
            let f = if rows.str("problem", i) == "falls" {
                Finding::error(
                    Code::CumulativeFalls,
                    format!(
                        "累计指标{}年为 {} {}，低于{}。累计数不应减少，请核实是否填成了当年新增数。",
                        o.year,
                        fmt_num(v, 4),
                        o.unit,
                        whence
                    ),
                )
            } else {
                Finding::warning(
                    Code::Outlier,
                    format!(
                        "{}年为 {} {}，{}，变化超过{}%。请核实数据是否有误；如属实请在备注中说明原因。",
                        o.year,
                        fmt_num(v, 4),
                        o.unit,
                        whence,
                        fmt_num(share * 100.0, 0)
                    ),
                )
            };
            obs_finding(o, f)
        })
        .collect())
}

/// A 上年值 that differs from what the same unit reported for that year.
fn previous_differs(obs: &[Observation], df: &DataFrame) -> PolarsResult<Vec<Finding>> {
    // One reported figure per unit, indicator and year (the first in file order; several
    // different ones are a conflict of their own), so that the join stays linear when
    // many returns repeat the same unit.
    let current = df
        .clone()
        .lazy()
        .filter(col("source_rank").eq(lit(1u32)).and(col("value").is_not_null()))
        .unique_stable_generic(Some(vec![col("indicator_id"), col("department"), col("year")]), UniqueKeepStrategy::First)
        .select([col("indicator_id"), col("department"), col("year"), col("value").alias("reported"), col("row").alias("reported_row")]);
    let bad = df
        .clone()
        .lazy()
        .filter(col("source_rank").neq(lit(1u32)).and(col("value").is_not_null()))
        .join(
            current,
            [col("indicator_id"), col("department"), col("year")],
            [col("indicator_id"), col("department"), col("year")],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(col("value").neq(col("reported")))
        .unique_stable_generic(Some(vec![col("row")]), UniqueKeepStrategy::First)
        .select([col("row"), col("reported_row")])
        .collect()?;
    let rows = Rows::new(&bad);
    Ok((0..rows.len())
        .map(|i| {
            let o = rows.observation("row", i, obs);
            let r = rows.observation("reported_row", i, obs);
            let (v, own) = (fmt_num(o.value.unwrap_or(f64::NAN), 4), fmt_num(r.value.unwrap_or(f64::NAN), 4));
            let (year, unit) = (r.year, &o.unit);
            let finding = if o.correction {
                Finding::warning(
                    Code::Restated,
                    format!(
                        "{}年度填报表中标明为更正的{year}年数值 {v} {unit} 与本单位{year}年度填报的 {own} {unit}（{}·{}）不同。评估采用更正后的 {v} {unit}。",
                        o.return_year, r.file, r.cell
                    ),
                )
            } else if o.secondary && !o.restated() {
                Finding::warning(
                    Code::Restated,
                    format!(
                        "“{}”中{}的{year}年数值 {v} {unit} 与{}自己填报的 {own} {}（{}·{}）不一致。评估采用{}自己的填报表的数值；请牵头单位和配合单位核对后统一。",
                        o.file, o.department, o.department, r.unit, r.file, r.cell, o.department
                    ),
                )
            } else if o.kind == crate::read::ObsKind::Previous {
                Finding::warning(
                    Code::PreviousDiffers,
                    format!(
                        "上年值 {v} {unit} 与本单位{year}年度填报的 {own} {}（{}·{}）不一致。评估采用{year}年度填报的数值（同一年度以该年度的填报表为准）；如上年数据已修正，请在备注中写明“更正”。",
                        r.unit, r.file, r.cell
                    ),
                )
            } else {
                Finding::warning(
                    Code::Restated,
                    format!(
                        "{}年度填报表中{year}年的数值 {v} {unit} 与本单位{year}年度填报的 {own} {}（{}·{}）不一致。评估采用{year}年度填报表的数值（同一年度以该年度的填报表为准）；如{year}年数据已修正，请在列名或备注中注明“更正”，或重新报送{year}年度填报表。",
                        o.return_year, r.unit, r.file, r.cell
                    ),
                )
            };
            obs_finding(o, finding)
        })
        .collect())
}

/// A whole return for a year outside the plan period.
fn returns_outside_plan(plan: &Plan, files: &[InputFile]) -> Vec<Finding> {
    files
        .iter()
        .filter(|f| f.year.is_some_and(|y| y < plan.start || y > plan.end))
        .map(|f| {
            Finding::warning(
                Code::ReturnOutsidePlan,
                format!(
                    "这是{}年度的填报表，不在规划期（{}—{}年）内，其中数据未纳入本规划的评估。",
                    f.year.unwrap_or(0),
                    plan.start,
                    plan.end
                ),
            )
            .in_file(&f.file)
            .for_unit(&f.department)
            .in_year(f.year.unwrap_or(0))
        })
        .collect()
}

/// Returns expected vs received (figures::returns), and indicators expected vs
/// reported, per unit and year.
fn completeness(plan: &Plan, obs: &[Observation], cx: &Context, df: &DataFrame) -> PolarsResult<Vec<Finding>> {
    let mut out = Vec::new();
    // Which (unit, year, indicator) should have a figure: the lead unit of every
    // indicator, in every year whose return it sent (a missing return is one finding).
    let mut exp_unit = Vec::new();
    let mut exp_year = Vec::new();
    let mut exp_id = Vec::new();
    // Looked up once per return, not searched: a county has a few dozen units, a
    // province thousands.
    let leads = plan.indicators_by_lead();
    let mut led: HashMap<&str, Vec<&crate::plan::Project>> = HashMap::new();
    for p in &plan.projects {
        if let Some(unit) = p.responsible.first() {
            led.entry(unit.as_str()).or_default().push(p);
        }
    }
    let reports: HashSet<(&str, i32)> = cx.projects.iter().map(|x| (x.project_id.as_str(), x.year)).collect();
    for r in cx.returns {
        if !r.received() {
            out.push(
                Finding::warning(Code::MissingReturn, format!("未收到{}{}年度填报表。请督促报送。", r.unit, r.year))
                    .for_unit(&r.unit)
                    .in_year(r.year),
            );
            continue;
        }
        for ind in leads.get(r.unit.as_str()).into_iter().flatten() {
            exp_unit.push(r.unit.clone());
            exp_year.push(r.year);
            exp_id.push(ind.id.clone());
        }
        // Every project the unit leads has a report in that year's return.
        for p in led.get(r.unit.as_str()).into_iter().flatten() {
            if !reports.contains(&(p.id.as_str(), r.year)) {
                let mut f = Finding::warning(
                    Code::ProjectMissing,
                    format!(
                        "{}年度填报表中没有项目“{}”（{}）的进展。请在“项目进展”表中补报计划投资、累计完成投资、形象进度和项目状态。",
                        r.year, p.name, p.id
                    ),
                )
                .for_unit(&r.unit)
                .in_year(r.year);
                if let Some(file) = r.files.first() {
                    f = f.in_file(file);
                }
                out.push(f);
            }
        }
    }
    let expected = DataFrame::new(
        exp_id.len(),
        vec![Column::new("department".into(), exp_unit), Column::new("year".into(), exp_year), Column::new("indicator_id".into(), exp_id)],
    )?;
    let reported = df
        .clone()
        .lazy()
        .filter(col("current").and(col("value").is_not_null()))
        .select([col("department"), col("year"), col("indicator_id")])
        .unique_stable_generic(None, UniqueKeepStrategy::First)
        .with_column(lit(true).alias("reported"));
    let missing = expected
        .lazy()
        .join(
            reported,
            [col("department"), col("year"), col("indicator_id")],
            [col("department"), col("year"), col("indicator_id")],
            JoinArgs::new(JoinType::Left),
        )
        .filter(col("reported").is_null())
        .collect()?;
    let rows = Rows::new(&missing);
    let mut first_place: HashMap<(&str, i32, &str), &Observation> = HashMap::new();
    for o in obs {
        first_place.entry((&*o.department, o.year, &*o.indicator_id)).or_insert(o);
    }
    let return_of: HashMap<(&str, i32), &ReturnStatus> = cx.returns.iter().map(|r| ((r.unit.as_str(), r.year), r)).collect();
    for i in 0..rows.len() {
        let unit = rows.str("department", i);
        let y = rows.i64("year", i).unwrap_or(0) as i32;
        let id = rows.str("indicator_id", i);
        let Some(ind) = plan.indicator(&id) else { continue };
        // Where the unit's return for that year is, to point at it.
        let place = first_place.get(&(unit.as_str(), y, id.as_str()));
        let mut f = Finding::warning(
            Code::MissingValue,
            format!("{}年度填报表缺少指标 {}“{}”的数值。请补报；确无数据请说明原因。", y, ind.id, ind.name),
        )
        .for_unit(&unit)
        .for_indicator(&id)
        .in_year(y);
        if let Some(o) = place {
            f = f.in_file(&o.file).at(&o.sheet, &o.cell);
        } else if let Some(file) = return_of.get(&(unit.as_str(), y)).and_then(|r| r.files.first()) {
            f = f.in_file(file);
        }
        out.push(f);
    }
    Ok(out)
}

/// Whether a project status written by a unit says the project is finished.
/// The projects' reports: totals that fall from one year to the next, more completed
/// than planned, a status that contradicts the physical progress.
fn project_rules(plan: &Plan, reports: &[ProjectReport]) -> Vec<Finding> {
    let mut out = Vec::new();
    let name = |id: &str| plan.projects.iter().find(|p| p.id == id).map_or(id.to_string(), |p| p.name.clone());
    let at = |r: &ProjectReport, cell: &str, f: Finding| {
        f.in_file(&r.file).at(&r.sheet, if cell.is_empty() { &r.cell } else { cell }).for_unit(&r.department).in_year(r.year)
    };
    for r in reports {
        let n = name(&r.project_id);
        if let (Some(planned), Some(done)) = (r.planned_investment, r.completed_investment) {
            if planned > 0.0 && done > planned * (1.0 + 1e-9) {
                out.push(at(r, &r.cells.completed, Finding::warning(
                    Code::ProjectOverspent,
                    format!(
                        "项目“{n}”累计完成投资 {} 万元超过计划总投资 {} 万元。请核实；如总投资已调整，请按调整后的总投资填报并在“存在问题”中说明。",
                        fmt_num(done, 2),
                        fmt_num(planned, 2)
                    ),
                )));
            }
        }
        let finished = crate::read::says_finished(&r.status);
        match r.progress {
            Some(p) if finished && p < 100.0 => out.push(at(
                r,
                &r.cells.status,
                Finding::warning(
                    Code::ProjectStatusMismatch,
                    format!(
                        "项目“{n}”状态为“{}”，但形象进度为 {}%。已完工的项目形象进度应为 100%，请核实其中之一。",
                        r.status,
                        fmt_num(p, 2)
                    ),
                ),
            )),
            Some(p) if !finished && p >= 100.0 && !r.status.trim().is_empty() => out.push(at(
                r,
                &r.cells.progress,
                Finding::warning(
                    Code::ProjectStatusMismatch,
                    format!("项目“{n}”形象进度为 100%，但状态为“{}”。如已完工，请把状态改为“已完工”；否则请核实形象进度。", r.status),
                ),
            )),
            _ => {}
        }
    }
    // Year on year for the same project and unit: cumulative totals never fall.
    let mut series: BTreeMap<(&str, &str), Vec<&ProjectReport>> = BTreeMap::new();
    for r in reports {
        series.entry((r.project_id.as_str(), r.department.as_str())).or_default().push(r);
    }
    for list in series.values_mut() {
        list.sort_by_key(|r| r.year);
        for pair in list.windows(2) {
            let (before, now) = (pair[0], pair[1]);
            if now.year != before.year + 1 {
                continue;
            }
            let n = name(&now.project_id);
            let checks = [
                ("累计完成投资", "万元", before.completed_investment, now.completed_investment, &now.cells.completed),
                ("形象进度", "%", before.progress, now.progress, &now.cells.progress),
            ];
            for (what, unit, was, is, cell) in checks {
                if let (Some(was), Some(is)) = (was, is) {
                    if is < was {
                        out.push(at(now, cell, Finding::error(
                            Code::ProjectFalls,
                            format!(
                                "项目“{n}”{what}{}年为 {} {unit}，低于{}年的 {} {unit}（{}·{}）。{what}是累计数，不应减少，请核实是否填成了当年数。",
                                now.year,
                                fmt_num(is, 2),
                                before.year,
                                fmt_num(was, 2),
                                before.file,
                                before.cell
                            ),
                        )));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{Fate, ObsKind};

    fn obs(id: &str, department: &str, year: i32, value: Option<f64>, kind: ObsKind, cell: &str) -> Observation {
        Observation {
            file: format!("{department}_{year}年度填报表.xlsx").into(),
            sheet: "指标填报".into(),
            cell: cell.into(),
            department: department.into(),
            year,
            indicator_id: id.into(),
            indicator_name: id.into(),
            raw: value.map(|v| v.to_string()).unwrap_or_default(),
            value,
            unit: "".into(),
            kind,
            remark: String::new(),
            reason: String::new(),
            reason_cell: String::new(),
            return_year: if kind == ObsKind::Previous { year + 1 } else { year },
            provisional: false,
            correction: false,
            secondary: false,
            no_value: if value.is_none() { Some(crate::read::NotUsed::NoFigure) } else { None },
        }
    }

    fn cur(id: &str, department: &str, year: i32, value: f64) -> Observation {
        obs(id, department, year, Some(value), ObsKind::Current, "H4")
    }

    fn file(department: &str, year: i32) -> InputFile {
        InputFile {
            file: format!("{department}_{year}年度填报表.xlsx"),
            size: 1,
            sha256: String::new(),
            status: Fate::Read,
            reason: String::new(),
            department: department.into(),
            year: Some(year),
            filled_date: None,
            filled_at: None,
            work_cells: Vec::new(),
            sample: false,
            figures: 1,
            covers: vec![crate::read::Covered { department: department.into(), year, secondary: false }],
            layouts: Vec::new(),
            modified: None,
            replaced: Vec::new(),
        }
    }

    fn codes(obs: &[Observation], files: &[InputFile], year: i32) -> Vec<(&'static str, String)> {
        let plan = Plan::embedded().unwrap();
        validate(&plan, obs, files, year).unwrap().into_iter().map(|f| (f.code.as_str(), f.indicator_id)).collect()
    }

    /// (case, observations, the finding expected or None for none of the rule's codes)
    type RuleCase = (&'static str, Vec<Observation>, Option<(&'static str, &'static str)>);

    #[test]
    fn rules() {
        let rule_codes = [
            "out_of_range",
            "fraction_as_percent",
            "not_responsible",
            "conflict",
            "cumulative_falls",
            "outlier",
            "previous_differs",
            "year_outside_plan",
        ];
        let cases: Vec<RuleCase> = vec![
            ("percentage above 100", vec![cur("G03", "市教育体育局", 2024, 120.0)], Some(("out_of_range", "G03"))),
            ("negative count", vec![cur("G08", "市教育体育局", 2024, -5.0)], Some(("out_of_range", "G08"))),
            ("negative growth rate is fine", vec![cur("G12", "市人力资源和社会保障局", 2024, -3.0)], None),
            ("absurd growth rate", vec![cur("G12", "市人力资源和社会保障局", 2024, -45.0)], Some(("out_of_range", "G12"))),
            ("per 1,000 rate far off", vec![cur("G14", "市卫生健康局", 2024, 284.0)], Some(("out_of_range", "G14"))),
            ("fraction in a percentage", vec![cur("G03", "市教育体育局", 2024, 0.945)], Some(("fraction_as_percent", "G03"))),
            ("not the responsible unit", vec![cur("G03", "市民政局", 2024, 95.0)], Some(("not_responsible", "G03"))),
            ("co-responsible unit is responsible", vec![cur("G25", "市残联", 2024, 100.0)], None),
            ("two units disagree", vec![cur("G25", "市残联", 2024, 97.0), cur("G25", "市民政局", 2024, 100.0)], Some(("conflict", "G25"))),
            ("two units agree", vec![cur("G25", "市残联", 2024, 100.0), cur("G25", "市民政局", 2024, 100.0)], None),
            (
                "cumulative falls",
                vec![cur("G11", "市人力资源和社会保障局", 2023, 3000.0), cur("G11", "市人力资源和社会保障局", 2024, 2800.0)],
                Some(("cumulative_falls", "G11")),
            ),
            (
                "cumulative grows",
                vec![cur("G11", "市人力资源和社会保障局", 2023, 3000.0), cur("G11", "市人力资源和社会保障局", 2024, 6000.0)],
                None,
            ),
            ("level jumps", vec![cur("G21", "市民政局", 2023, 2500.0), cur("G21", "市民政局", 2024, 4000.0)], Some(("outlier", "G21"))),
            ("level moves a little", vec![cur("G21", "市民政局", 2023, 2500.0), cur("G21", "市民政局", 2024, 2700.0)], None),
            (
                "上年值 differs from last year's figure",
                vec![cur("G21", "市民政局", 2023, 2500.0), obs("G21", "市民政局", 2023, Some(2450.0), ObsKind::Previous, "G4")],
                Some(("previous_differs", "G21")),
            ),
            ("year after the plan", vec![cur("G21", "市民政局", 2027, 2500.0)], Some(("year_outside_plan", "G21"))),
        ];
        for (case, list, expected) in cases {
            let files: Vec<InputFile> = list.iter().map(|o| file(&o.department, o.year)).collect();
            let found: Vec<(&str, String)> = codes(&list, &files, 2024).into_iter().filter(|(c, _)| rule_codes.contains(c)).collect();
            match expected {
                Some((code, id)) => {
                    assert!(found.iter().any(|(c, i)| *c == code && i == id), "{case}: expected {code} for {id}, got {found:?}")
                }
                None => assert!(found.is_empty(), "{case}: expected nothing, got {found:?}"),
            }
        }
    }

    #[test]
    fn completeness_names_missing_returns_and_figures() {
        let plan = Plan::embedded().unwrap();
        // 市医保局 leads one indicator (G16): a 2024 return without it, no 2023 return.
        let list = vec![obs("G16", "市医保局", 2024, None, ObsKind::Current, "H4")];
        let findings = validate(&plan, &list, &[file("市医保局", 2024)], 2024).unwrap();
        let missing_return: Vec<_> = findings.iter().filter(|f| f.code == Code::MissingReturn && f.department == "市医保局").collect();
        assert_eq!(missing_return.len(), 1);
        assert!(missing_return[0].message.contains("2023"), "{}", missing_return[0].message);
        let missing_value: Vec<_> = findings.iter().filter(|f| f.code == Code::MissingValue && f.department == "市医保局").collect();
        assert_eq!(missing_value.len(), 1, "{findings:#?}");
        assert_eq!((missing_value[0].indicator_id.as_str(), missing_value[0].cell.as_str()), ("G16", "H4"));
        // Every other unit sent nothing at all.
        assert!(findings.iter().any(|f| f.code == Code::MissingReturn && f.department == "市卫生健康局"));
    }

    fn project(id: &str, year: i32, planned: Option<f64>, done: Option<f64>, progress: Option<f64>, status: &str) -> ProjectReport {
        ProjectReport {
            project_id: id.into(),
            department: "市卫生健康局".into(),
            year,
            planned_investment: planned,
            completed_investment: done,
            progress,
            status: status.into(),
            problems: String::new(),
            file: format!("市卫生健康局_{year}年度填报表.xlsx"),
            sheet: "项目进展".into(),
            cell: "B5".into(),
            cells: crate::read::ProjectCells { planned: "C5".into(), completed: "D5".into(), progress: "E5".into(), status: "F5".into() },
        }
    }

    #[test]
    fn rules_on_project_returns() {
        let plan = Plan::embedded().unwrap();
        // (case, reports, the finding expected as (code, cell) or None)
        type ProjectCase = (&'static str, Vec<ProjectReport>, Option<(Code, &'static str)>);
        let cases: Vec<ProjectCase> = vec![
            (
                "completed falls",
                vec![
                    project("P01", 2023, Some(1000.0), Some(600.0), Some(60.0), "在建"),
                    project("P01", 2024, Some(1000.0), Some(500.0), Some(70.0), "在建"),
                ],
                Some((Code::ProjectFalls, "D5")),
            ),
            (
                "progress falls",
                vec![
                    project("P01", 2023, Some(1000.0), Some(600.0), Some(60.0), "在建"),
                    project("P01", 2024, Some(1000.0), Some(700.0), Some(50.0), "在建"),
                ],
                Some((Code::ProjectFalls, "E5")),
            ),
            (
                "both grow",
                vec![
                    project("P01", 2023, Some(1000.0), Some(600.0), Some(60.0), "在建"),
                    project("P01", 2024, Some(1000.0), Some(700.0), Some(70.0), "在建"),
                ],
                None,
            ),
            (
                "a year apart only",
                vec![
                    project("P01", 2023, Some(1000.0), Some(600.0), Some(60.0), "在建"),
                    project("P01", 2025, Some(1000.0), Some(500.0), Some(70.0), "在建"),
                ],
                None,
            ),
            (
                "more done than planned",
                vec![project("P01", 2024, Some(1000.0), Some(1000.5), Some(100.0), "已完工")],
                Some((Code::ProjectOverspent, "D5")),
            ),
            ("exactly the plan", vec![project("P01", 2024, Some(1000.0), Some(1000.0), Some(100.0), "已完工")], None),
            (
                "finished below 100 %",
                vec![project("P01", 2024, None, None, Some(95.0), "已完工")],
                Some((Code::ProjectStatusMismatch, "F5")),
            ),
            (
                "100 % but under construction",
                vec![project("P01", 2024, None, None, Some(100.0), "在建")],
                Some((Code::ProjectStatusMismatch, "E5")),
            ),
            ("未完工 is not finished", vec![project("P01", 2024, None, None, Some(80.0), "未完工")], None),
            ("竣工 at 100 %", vec![project("P01", 2024, None, None, Some(100.0), "已竣工验收")], None),
        ];
        for (case, reports, expected) in cases {
            let found: Vec<(Code, String)> = project_rules(&plan, &reports).into_iter().map(|f| (f.code, f.cell)).collect();
            match expected {
                Some((code, cell)) => {
                    assert!(found.iter().any(|(c, x)| *c == code && x == cell), "{case}: expected {code:?} at {cell}, got {found:?}")
                }
                None => assert!(found.is_empty(), "{case}: expected nothing, got {found:?}"),
            }
        }
        // A project the unit leads with no report in a return it sent.
        let files = vec![file("市卫生健康局", 2024)];
        let returns = crate::figures::returns(&plan, &files, 2024, None);
        let df = frames::observations(&[]).unwrap();
        let figures = Figures::default();
        let cx = Context {
            figures: &figures,
            returns: &returns,
            projects: &[project("P01", 2024, None, None, Some(50.0), "在建")],
            files: &files,
            year: 2024,
        };
        let findings = completeness(&plan, &[], &cx, &df).unwrap();
        let missing: Vec<&Finding> = findings.iter().filter(|f| f.code == Code::ProjectMissing).collect();
        assert!(
            !missing.is_empty() && missing.iter().all(|f| f.department == "市卫生健康局" && !f.message.contains("P01")),
            "{missing:#?}"
        );
        assert!(missing.iter().any(|f| f.message.contains("P02") && f.file == "市卫生健康局_2024年度填报表.xlsx"));
    }
}
