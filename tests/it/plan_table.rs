//! The indicator table (附件1, rebuilt) against the plan text in seeds/, target by target.

use crate::common;

use planmon::plan::{Comparison, IndicatorKind, Plan};
use planmon::text::fmt_num;

fn plan_text() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let file =
        std::fs::read_dir(&dir).unwrap().flatten().find(|e| e.path().extension().is_some_and(|x| x == "txt")).expect("plan text in seeds/");
    std::fs::read_to_string(file.path()).unwrap()
}

/// The paragraphs of 二、工作目标, keyed by area.
fn goal_paragraphs() -> Vec<(String, String)> {
    let text = plan_text();
    let start = text.find("二、工作目标").unwrap();
    let end = text.find("三、重点任务").unwrap();
    text[start..end]
        .lines()
        .filter_map(|l| l.strip_prefix("——"))
        .map(|l| {
            let (area, rest) = l.split_once('。').unwrap();
            (area.to_string(), rest.to_string())
        })
        .collect()
}

/// Every number written in a text, as written.
fn numbers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() || (c == '.' && !cur.is_empty()) {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(cur.trim_end_matches('.').to_string());
            cur.clear();
        }
    }
    out
}

#[test]
fn nine_areas_in_the_plans_order() {
    let plan = Plan::embedded().unwrap();
    let areas: Vec<String> = goal_paragraphs().into_iter().map(|(a, _)| a).collect();
    assert_eq!(areas.len(), 9);
    assert_eq!(plan.areas(), areas);
}

#[test]
fn every_goal_indicator_is_quoted_from_its_area_paragraph() {
    let plan = Plan::embedded().unwrap();
    let paragraphs = goal_paragraphs();
    let goals: Vec<_> = plan.indicators.iter().filter(|i| i.kind == IndicatorKind::Goal).collect();
    assert_eq!(goals.len(), 30);
    for (k, ind) in goals.iter().enumerate() {
        assert_eq!(ind.seq, Some(k as u32 + 1), "{} out of order", ind.id);
        let (_, para) =
            paragraphs.iter().find(|(a, _)| *a == ind.area).unwrap_or_else(|| panic!("{}: area {} not in plan", ind.id, ind.area));
        let quote = ind.source.split_once('：').map(|(_, q)| q).unwrap_or_else(|| panic!("{}: source has no quote", ind.id));
        assert!(para.contains(quote), "{}: “{}” is not in the plan's paragraph “{}”", ind.id, quote, para);
        let target = fmt_num(ind.target, 4);
        assert!(numbers(quote).contains(&target), "{}: target {} not in “{}”", ind.id, target, quote);
        assert!(quote.contains(&ind.unit) || (ind.unit == "%" && quote.contains('%')), "{}: unit {} not in “{}”", ind.id, ind.unit, quote);
        assert!(quote.contains(&ind.name) || para.contains(&ind.name), "{}: name not as the plan words it", ind.id);
    }
}

#[test]
fn every_number_in_the_goals_is_in_the_table() {
    let plan = Plan::embedded().unwrap();
    for (area, para) in goal_paragraphs() {
        for n in numbers(&para) {
            if ["2023", "2024", "2025", "3", "15"].contains(&n.as_str()) {
                // Years, and the 3 of “3岁以下” / the 15 of “15岁及以上” (part of names).
                continue;
            }
            let v: f64 = n.parse().unwrap();
            let covered = plan.indicators.iter().filter(|i| i.kind == IndicatorKind::Goal && i.area == area).any(|i| {
                (i.target - v).abs() < 1e-9
                    || i.milestones.values().any(|m| (m - v).abs() < 1e-9)
                    || (i.source.contains(&n) && !i.milestones.is_empty())
            });
            assert!(covered, "number {n} in 二、工作目标 ——{area} has no indicator");
        }
    }
}

#[test]
fn judgement_kinds_follow_the_wording() {
    let plan = Plan::embedded().unwrap();
    for ind in plan.indicators.iter().filter(|i| i.kind == IndicatorKind::Goal) {
        let q = &ind.source;
        let expected = if q.contains("累计") || q.contains("其中:2023年") {
            Comparison::Cumulative
        } else if q.contains("年增长率") {
            Comparison::AnnualRate
        } else if q.contains("稳定在") || q.contains("巩固在") {
            Comparison::Hold
        } else {
            Comparison::AtLeast
        };
        assert_eq!(ind.comparison, expected, "{} {}", ind.id, q);
    }
    let old_housing = plan.indicator("G24").unwrap();
    assert_eq!(old_housing.milestone(2023), Some(1699.0));
    assert_eq!(old_housing.milestone(2024), Some(1699.0 + 195.0));
    assert!(!old_housing.conflicts.is_empty(), "套 vs 户 must be recorded");
    assert!(!plan.indicator("G28").unwrap().conflicts.is_empty(), "万次 vs 万人次 must be recorded");
}

#[test]
fn task_targets_are_quoted_from_the_tasks() {
    let plan = Plan::embedded().unwrap();
    let text = plan_text();
    let tasks = &text[text.find("三、重点任务").unwrap()..text.find("四、保障措施").unwrap()];
    let list: Vec<_> = plan.indicators.iter().filter(|i| i.kind == IndicatorKind::Task).collect();
    assert!(list.len() >= 15);
    for ind in list {
        let quote = ind.source.split_once('：').map(|(_, q)| q).unwrap();
        for part in quote.split("……") {
            assert!(tasks.contains(part), "{}: “{}” not in 三、重点任务", ind.id, part);
        }
        assert!(numbers(quote).contains(&fmt_num(ind.target, 4)) || quote.contains("全覆盖"), "{}: target not in quote", ind.id);
    }
    for (id, cmp) in [("T10", Comparison::AtMost), ("T11", Comparison::AtMost), ("T12", Comparison::AtMost)] {
        assert_eq!(plan.indicator(id).unwrap().comparison, cmp);
    }
}

#[test]
fn responsible_units_come_from_the_tasks() {
    let plan = Plan::embedded().unwrap();
    let text = plan_text();
    for ind in &plan.indicators {
        for unit in &ind.responsible {
            assert!(text.contains(unit.as_str()), "{}: unit {} not named in the plan", ind.id, unit);
        }
    }
}

#[test]
fn indicators_command_prints_csv_with_the_documented_columns() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_planmon")).args(["indicators", "--format", "csv"]).output().unwrap();
    assert!(out.status.success());
    let rows = common::parse_csv(&out.stdout);
    assert_eq!(rows.len(), Plan::embedded().unwrap().indicators.len());
    for col in ["id", "area", "name", "unit", "target", "comparison", "responsible"] {
        assert!(rows[0].contains_key(col), "missing column {col}");
    }
    let g24 = rows.iter().find(|r| r["id"] == "G24").unwrap();
    assert_eq!((g24["target"].as_str(), g24["comparison"].as_str(), g24["unit"].as_str()), ("1894", "cumulative", "套"));
    assert_eq!(g24["responsible"], "市住房城乡建设局、市城建集团");
}
