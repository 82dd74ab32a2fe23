//! Stage 2 — validate: rules over the long table of observations (polars), each broken
//! rule a finding with file, sheet and cell. Thresholds come from templates/rules.toml.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use crate::finding::Finding;
use crate::frames::{self, Rows};
use crate::plan::Plan;
use crate::read::{InputFile, Observation};
use crate::text::fmt_num;

/// Run every rule. `year` is the reporting year; `files` says which returns arrived.
pub fn validate(plan: &Plan, obs: &[Observation], files: &[InputFile], year: i32) -> PolarsResult<Vec<Finding>> {
    let df = frames::observations(obs)?;
    let ind = frames::indicators(plan)?;
    let mut findings = Vec::new();
    findings.extend(out_of_range(plan, obs, &df)?);
    findings.extend(fraction_in_percent(obs, &df, &ind)?);
    findings.extend(not_responsible(plan, obs, &df)?);
    findings.extend(conflicts(plan, obs, &df)?);
    findings.extend(outside_plan(plan, obs));
    findings.extend(completeness(plan, obs, files, year, &df)?);
    Ok(findings)
}

fn obs_finding(o: &Observation, f: Finding) -> Finding {
    f.in_file(&o.file)
        .at(&o.sheet, &o.cell)
        .for_unit(&o.department)
        .for_indicator(&o.indicator_id)
}

/// Values outside the plausible range for their unit.
fn out_of_range(plan: &Plan, obs: &[Observation], df: &DataFrame) -> PolarsResult<Vec<Finding>> {
    let with_rule: Vec<_> = plan.indicators.iter().filter_map(|i| plan.range_for(i).map(|r| (i, r))).collect();
    let ranges = DataFrame::new(
        with_rule.len(),
        vec![
            Column::new(
                "indicator_id".into(),
                with_rule.iter().map(|(i, _)| i.id.clone()).collect::<Vec<_>>(),
            ),
            Column::new("min".into(), with_rule.iter().map(|(_, r)| r.min).collect::<Vec<f64>>()),
            Column::new("max".into(), with_rule.iter().map(|(_, r)| r.max).collect::<Vec<f64>>()),
            Column::new(
                "message".into(),
                with_rule.iter().map(|(_, r)| r.message.clone()).collect::<Vec<_>>(),
            ),
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
            let o = &obs[rows.i64("row", i).unwrap_or(0) as usize];
            let v = o.value.map(|v| fmt_num(v, 4)).unwrap_or_default();
            obs_finding(
                o,
                Finding::error(
                    "out_of_range",
                    format!("数值 {} {} 超出合理范围：{}。", v, o.unit, rows.str("message", i)),
                ),
            )
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
            let o = &obs[rows.i64("row", i).unwrap_or(0) as usize];
            let v = o.value.unwrap_or(0.0);
            obs_finding(
                o,
                Finding::error(
                    "fraction_as_percent",
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
    let pairs: Vec<(String, String)> = plan
        .indicators
        .iter()
        .flat_map(|i| i.responsible.iter().map(move |u| (i.id.clone(), u.clone())))
        .collect();
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
        .filter(
            col("responsible")
                .is_null()
                .and(col("department").neq(lit("")))
                .and(col("value").is_not_null()),
        )
        .select([col("row")])
        .collect()?;
    let rows = Rows::new(&bad);
    Ok((0..rows.len())
        .map(|i| {
            let o = &obs[rows.i64("row", i).unwrap_or(0) as usize];
            let owner = plan.indicator(&o.indicator_id).map(|i| i.responsible_joined()).unwrap_or_default();
            obs_finding(
                o,
                Finding::warning(
                    "not_responsible",
                    format!(
                        "本单位不是指标“{}”的责任单位（责任单位：{}）。数据已保留，以责任单位填报的为准。",
                        o.indicator_name, owner
                    ),
                ),
            )
        })
        .collect())
}

/// The same indicator and year reported with different values.
fn conflicts(plan: &Plan, obs: &[Observation], df: &DataFrame) -> PolarsResult<Vec<Finding>> {
    let current = df.clone().lazy().filter(col("current").and(col("value").is_not_null()));
    let groups = current
        .clone()
        .group_by([col("indicator_id"), col("year")])
        .agg([col("value").n_unique().alias("distinct")])
        .filter(col("distinct").gt(lit(1)));
    let rows_df = current
        .join(
            groups,
            [col("indicator_id"), col("year")],
            [col("indicator_id"), col("year")],
            JoinArgs::new(JoinType::Inner),
        )
        .sort(["indicator_id", "year", "row"], SortMultipleOptions::default())
        .select([col("row")])
        .collect()?;
    let rows = Rows::new(&rows_df);
    let mut by_key: BTreeMap<(String, i32), Vec<&Observation>> = BTreeMap::new();
    for i in 0..rows.len() {
        let o = &obs[rows.i64("row", i).unwrap_or(0) as usize];
        by_key.entry((o.indicator_id.clone(), o.year)).or_default().push(o);
    }
    let mut out = Vec::new();
    for ((id, year), list) in by_key {
        let Some(ind) = plan.indicator(&id) else { continue };
        let chosen = crate::aggregate::choose(plan, &list);
        let listing = list
            .iter()
            .map(|o| {
                format!(
                    "{} {}（{}·{}·{}）",
                    fmt_num(o.value.unwrap_or(f64::NAN), 4),
                    ind.unit,
                    o.department,
                    o.file,
                    o.cell
                )
            })
            .collect::<Vec<_>>()
            .join("；");
        for o in &list {
            out.push(obs_finding(
                o,
                Finding::error(
                    "conflict",
                    format!(
                        "{}年“{}”有不一致的填报：{}。采用 {} {}（{}），请相关单位核对后统一。",
                        year,
                        ind.name,
                        listing,
                        fmt_num(chosen.value.unwrap_or(f64::NAN), 4),
                        ind.unit,
                        chosen.department
                    ),
                ),
            ));
        }
    }
    Ok(out)
}

/// Figures for a year before the baseline or after the plan's end.
fn outside_plan(plan: &Plan, obs: &[Observation]) -> Vec<Finding> {
    obs.iter()
        .filter(|o| o.value.is_some() && (o.year < plan.baseline_year || o.year > plan.end))
        .map(|o| {
            obs_finding(
                o,
                Finding::warning(
                    "year_outside_plan",
                    format!(
                        "{}年不在规划期（基期{}年，{}—{}年）内，该数据未纳入评估。",
                        o.year, plan.baseline_year, plan.start, plan.end
                    ),
                ),
            )
        })
        .collect()
}

/// Returns expected vs received, and indicators expected vs reported, per unit and year.
fn completeness(plan: &Plan, obs: &[Observation], files: &[InputFile], year: i32, df: &DataFrame) -> PolarsResult<Vec<Finding>> {
    let mut out = Vec::new();
    let received: BTreeSet<(String, i32)> = files
        .iter()
        .filter(|f| f.status == "已读取" && !f.department.is_empty())
        .filter_map(|f| f.year.map(|y| (f.department.clone(), y)))
        .collect();
    // Which (unit, year, indicator) should have a figure: every responsible unit for
    // every indicator, in every year of the plan up to the reporting year.
    let mut exp_unit = Vec::new();
    let mut exp_year = Vec::new();
    let mut exp_id = Vec::new();
    for unit in plan.reporting_units() {
        for y in plan.start..=year.min(plan.end) {
            if !received.contains(&(unit.name.clone(), y)) {
                out.push(
                    Finding::warning("missing_return", format!("未收到{}{}年度填报表。请督促报送。", unit.name, y)).for_unit(&unit.name),
                );
                continue;
            }
            // Only the lead unit owes the figure; co-responsible units may report it.
            for ind in plan.indicators_of(&unit.name).into_iter().filter(|i| i.lead_unit() == unit.name) {
                exp_unit.push(unit.name.clone());
                exp_year.push(y);
                exp_id.push(ind.id.clone());
            }
        }
    }
    let expected = DataFrame::new(
        exp_id.len(),
        vec![
            Column::new("department".into(), exp_unit),
            Column::new("year".into(), exp_year),
            Column::new("indicator_id".into(), exp_id),
        ],
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
    for i in 0..rows.len() {
        let unit = rows.str("department", i);
        let y = rows.i64("year", i).unwrap_or(0) as i32;
        let id = rows.str("indicator_id", i);
        let Some(ind) = plan.indicator(&id) else { continue };
        // Where the unit's return for that year is, to point at it.
        let place = obs.iter().find(|o| o.department == unit && o.year == y && o.indicator_id == id);
        let mut f = Finding::warning(
            "missing_value",
            format!(
                "{}年度填报表缺少指标 {}“{}”的数值。请补报；确无数据请说明原因。",
                y, ind.id, ind.name
            ),
        )
        .for_unit(&unit)
        .for_indicator(&id);
        if let Some(o) = place {
            f = f.in_file(&o.file).at(&o.sheet, &o.cell);
        } else if let Some(file) = files.iter().find(|f| f.department == unit && f.year == Some(y)) {
            f = f.in_file(&file.file);
        }
        out.push(f);
    }
    Ok(out)
}
