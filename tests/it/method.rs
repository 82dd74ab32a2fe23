//! The method (README 判定方法), table-driven: every kind of indicator at and beside
//! each boundary, in both directions; then the README's worked examples on the plan's
//! own indicators, through the whole aggregate stage.

use std::collections::BTreeMap;

use planmon::assess::judge::{judge, Facts, Period, Status};
use planmon::plan::{Comparison, Indicator, IndicatorKind, Plan};
use planmon::read::{ObsKind, Observation};
use planmon::{assess, figures};

use crate::common;

const PERIOD: Period = Period { base_year: 2022, start: 2023, end: 2025 };

fn indicator(comparison: Comparison, unit: &str, target: f64, milestones: &[(i32, f64)]) -> Indicator {
    Indicator {
        shared: Default::default(),
        id: "X01".into(),
        seq: Some(1),
        kind: IndicatorKind::Goal,
        area: "测试".into(),
        name: "测试指标".into(),
        unit: unit.into(),
        target,
        comparison,
        milestones: milestones.iter().map(|(y, v)| (y.to_string(), *v)).collect::<BTreeMap<_, _>>(),
        responsible: vec!["市民政局".into()],
        source: String::new(),
        responsibility_source: String::new(),
        note: String::new(),
        conflicts: Vec::new(),
        aliases: Vec::new(),
        attribute: String::new(),
        baseline: None,
        origin: String::new(),
        projects: Vec::new(),
    }
}

/// (what, indicator, baseline, earliest figure, year, figure, expected status)
type Case = (&'static str, Indicator, Option<f64>, Option<(i32, f64)>, i32, Option<f64>, Status);

fn check(cases: Vec<Case>) {
    let rules = Plan::embedded().unwrap().rules.status;
    let mut wrong = Vec::new();
    for (what, ind, baseline, earliest, year, value, expected) in cases {
        let v = judge(&ind, &rules, &PERIOD, &Facts { year, value, baseline, earliest });
        if v.status != expected {
            wrong.push(format!("{what}: expected {expected:?}, got {:?} ({v:?})", v.status));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

use Status::*;

#[test]
fn at_least_along_the_line() {
    // Base 40 → target 70: the line asks 50, 60, 70 in 2023–2025.
    let i = || indicator(Comparison::AtLeast, "%", 70.0, &[]);
    check(vec![
        ("on the line", i(), Some(40.0), None, 2024, Some(60.0), OnTrack),
        ("ratio exactly 1.05 is not ahead", i(), Some(40.0), None, 2024, Some(61.0), OnTrack),
        ("ratio 1.06", i(), Some(40.0), None, 2024, Some(61.2), Ahead),
        ("ratio exactly 0.95", i(), Some(40.0), None, 2024, Some(59.0), OnTrack),
        ("ratio 0.94", i(), Some(40.0), None, 2024, Some(58.8), Behind),
        ("ratio exactly 0.5", i(), Some(40.0), None, 2024, Some(50.0), Behind),
        ("ratio 0.49", i(), Some(40.0), None, 2024, Some(49.8), SeriouslyBehind),
        ("worse than the base", i(), Some(40.0), None, 2024, Some(38.0), SeriouslyBehind),
        ("at the target", i(), Some(40.0), None, 2024, Some(70.0), Met),
        ("a hair under the target", i(), Some(40.0), None, 2024, Some(69.999_99), Met),
        ("last year, within tolerance of the line but short", i(), Some(40.0), None, 2025, Some(69.0), Behind),
        ("last year, far short", i(), Some(40.0), None, 2025, Some(50.0), SeriouslyBehind),
        ("no figure", i(), Some(40.0), None, 2024, None, NoData),
    ]);
}

#[test]
fn at_most_along_the_line() {
    // Lower is better: base 10‰ → limit 4‰, the line asks 8, 6, 4.
    let i = || indicator(Comparison::AtMost, "‰", 4.0, &[]);
    check(vec![
        ("on the line", i(), Some(10.0), None, 2024, Some(6.0), OnTrack),
        ("a little better", i(), Some(10.0), None, 2024, Some(5.9), OnTrack),
        ("ratio 1.075", i(), Some(10.0), None, 2024, Some(5.7), Ahead),
        ("at the limit", i(), Some(10.0), None, 2024, Some(4.0), Met),
        ("under the limit", i(), Some(10.0), None, 2024, Some(3.5), Met),
        ("ratio exactly 0.5", i(), Some(10.0), None, 2024, Some(8.0), Behind),
        ("ratio 0.475", i(), Some(10.0), None, 2024, Some(8.1), SeriouslyBehind),
        ("worse than the base", i(), Some(10.0), None, 2024, Some(11.0), SeriouslyBehind),
        ("last year above the limit", i(), Some(10.0), None, 2025, Some(4.2), Behind),
    ]);
}

#[test]
fn baseline_already_past_the_target_is_judged_on_the_level() {
    let up = || indicator(Comparison::AtLeast, "%", 70.0, &[]);
    let down = || indicator(Comparison::AtMost, "‰", 4.0, &[]);
    check(vec![
        ("stays above", up(), Some(75.0), None, 2024, Some(72.0), Met),
        ("falls below the target: never ahead", up(), Some(75.0), None, 2024, Some(69.0), Behind),
        ("gap exactly 5 % of the target", up(), Some(75.0), None, 2024, Some(66.5), Behind),
        ("gap over 5 %", up(), Some(75.0), None, 2024, Some(66.0), SeriouslyBehind),
        ("base equal to the target, short by a little", up(), Some(70.0), None, 2024, Some(69.0), Behind),
        ("base equal to the target, kept", up(), Some(70.0), None, 2024, Some(70.0), Met),
        ("a limit kept", down(), Some(3.0), None, 2024, Some(3.8), Met),
        ("rises above the limit from under it: never ahead", down(), Some(3.0), None, 2024, Some(4.1), Behind),
        ("far above the limit", down(), Some(3.0), None, 2024, Some(4.5), SeriouslyBehind),
    ]);
}

#[test]
fn baseline_already_past_a_milestone() {
    // Base 85 above the 2024 milestone 80 (target 100 in 2025).
    let i = || indicator(Comparison::AtLeast, "%", 100.0, &[(2024, 80.0), (2025, 100.0)]);
    check(vec![
        ("above the milestone, short of the target: the year's requirement is met", i(), Some(85.0), None, 2024, Some(90.0), OnTrack),
        ("at the milestone exactly", i(), Some(85.0), None, 2024, Some(80.0), OnTrack),
        ("just under the milestone: behind", i(), Some(85.0), None, 2024, Some(79.5), Behind),
        ("gap to the milestone exactly 5 %", i(), Some(85.0), None, 2024, Some(76.0), Behind),
        ("gap to the milestone over 5 %", i(), Some(85.0), None, 2024, Some(75.0), SeriouslyBehind),
        ("at the target", i(), Some(85.0), None, 2024, Some(100.0), Met),
        ("last year the line is above the base again", i(), Some(85.0), None, 2025, Some(95.0), Behind),
    ]);
}

#[test]
fn milestones_count_without_a_baseline() {
    let i = || indicator(Comparison::AtLeast, "%", 100.0, &[(2024, 80.0)]);
    check(vec![
        ("at the milestone", i(), None, None, 2024, Some(80.0), OnTrack),
        ("a little under it", i(), None, None, 2024, Some(79.0), Behind),
        ("far under it", i(), None, None, 2024, Some(70.0), SeriouslyBehind),
        ("first figure, no milestone that year: not judgeable", i(), None, None, 2023, Some(50.0), Unassessable),
        ("a later year starts from the first figure", i(), None, Some((2023, 50.0)), 2024, Some(80.0), OnTrack),
    ]);
}

#[test]
fn without_a_baseline_the_line_starts_from_the_first_figure() {
    let i = || indicator(Comparison::AtLeast, "%", 70.0, &[]);
    check(vec![
        ("first year: not judgeable, whatever the figure", i(), None, Some((2023, 50.0)), 2023, Some(50.0), Unassessable),
        ("from 50 in 2023 the line asks 60 in 2024", i(), None, Some((2023, 50.0)), 2024, Some(60.0), OnTrack),
        ("the same verdict with a base that draws the same line", i(), Some(40.0), Some((2023, 50.0)), 2024, Some(60.0), OnTrack),
        ("behind that line", i(), None, Some((2023, 50.0)), 2024, Some(54.0), SeriouslyBehind),
        ("the last year is judged against the target", i(), None, None, 2025, Some(69.0), Behind),
        ("met needs no line", i(), None, None, 2023, Some(71.0), Met),
    ]);
}

#[test]
fn cumulative_counts_from_zero_with_milestones() {
    // 城镇老旧小区改造: 1699 by 2023, 1894 by 2024 (= the target).
    let i = || indicator(Comparison::Cumulative, "套", 1894.0, &[(2023, 1699.0), (2024, 1894.0)]);
    let plain = || indicator(Comparison::Cumulative, "人次", 9000.0, &[]);
    check(vec![
        ("at the milestone", i(), None, None, 2023, Some(1699.0), OnTrack),
        ("the baseline does not matter", i(), Some(500.0), None, 2023, Some(1699.0), OnTrack),
        ("under it", i(), None, None, 2023, Some(1500.0), Behind),
        ("less than half", i(), None, None, 2023, Some(800.0), SeriouslyBehind),
        ("done", i(), None, None, 2024, Some(1894.0), Met),
        ("without milestones, a third of 9000 in 2023", plain(), None, None, 2023, Some(3000.0), OnTrack),
        ("without milestones, half of that", plain(), None, None, 2023, Some(1500.0), Behind),
    ]);
}

#[test]
fn levels_to_hold_and_yearly_rates() {
    let hold = || indicator(Comparison::Hold, "%", 100.0, &[]);
    let rate = || indicator(Comparison::AnnualRate, "%", 8.0, &[]);
    check(vec![
        ("held", hold(), None, None, 2023, Some(100.0), Met),
        ("gap exactly 5 % of the level", hold(), None, None, 2024, Some(95.0), Behind),
        ("gap over 5 %", hold(), None, None, 2024, Some(94.9), SeriouslyBehind),
        ("the baseline does not matter", hold(), Some(80.0), None, 2024, Some(99.0), Behind),
        ("rate met", rate(), None, None, 2024, Some(8.0), Met),
        ("rate 2 percentage points short, exactly", rate(), None, None, 2024, Some(6.0), Behind),
        ("rate more than 2 points short", rate(), None, None, 2024, Some(5.9), SeriouslyBehind),
        ("negative growth", rate(), None, None, 2024, Some(-1.0), SeriouslyBehind),
        ("rate met again in the last year", rate(), None, None, 2025, Some(8.5), Met),
    ]);
}

#[test]
fn small_counts_are_judged_by_their_year() {
    let one = || indicator(Comparison::Cumulative, "个", 1.0, &[]);
    let two = || indicator(Comparison::AtLeast, "个", 2.0, &[]);
    let due_2024 = || indicator(Comparison::Cumulative, "个", 2.0, &[(2024, 2.0)]);
    let rate_not_count = || indicator(Comparison::AtLeast, "%", 2.0, &[]);
    check(vec![
        ("none yet, not due", one(), None, None, 2023, Some(0.0), OnTrack),
        ("done early", one(), None, None, 2023, Some(1.0), Met),
        ("none in the last year", one(), None, None, 2025, Some(0.0), SeriouslyBehind),
        ("one of two in the last year", two(), Some(0.0), None, 2025, Some(1.0), Behind),
        ("one of two before it is due", two(), Some(0.0), None, 2024, Some(1.0), OnTrack),
        ("due by a milestone year", due_2024(), None, None, 2024, Some(1.0), Behind),
        ("a percentage of 2 is not a count", rate_not_count(), Some(0.0), None, 2023, Some(0.0), SeriouslyBehind),
    ]);
}

fn obs(id: &str, department: &str, year: i32, value: f64, kind: ObsKind) -> Observation {
    Observation {
        file: format!("{department}_{}年度填报表.xlsx", if kind == ObsKind::Previous { year + 1 } else { year }).into(),
        sheet: "指标填报".into(),
        cell: "H4".into(),
        department: department.into(),
        year,
        indicator_id: id.into(),
        indicator_name: "".into(),
        raw: value.to_string(),
        value: Some(value),
        unit: "".into(),
        kind,
        remark: String::new(),
        reason: String::new(),
        reason_cell: String::new(),
        return_year: if kind == ObsKind::Previous { year + 1 } else { year },
        provisional: false,
        correction: false,
        secondary: false,
        no_value: None,
    }
}

/// Through the aggregate stage: figures chosen, every year judged.
fn assess(plan: &Plan, list: &[Observation], year: i32) -> Vec<assess::IndicatorYear> {
    let df = planmon::frames::observations(list).unwrap();
    let figures = figures::choose(plan, list, &df).unwrap();
    assess::indicators::progress(plan, &figures, year)
}

/// A figure series for one indicator of the plan: (year, value); 2022 is the baseline.
fn series(plan: &Plan, id: &str, points: &[(i32, f64)]) -> Vec<Observation> {
    let lead = plan.indicator(id).unwrap().lead_unit().to_string();
    points.iter().map(|&(y, v)| obs(id, &lead, y, v, if y == 2022 { ObsKind::Previous } else { ObsKind::Current })).collect()
}

/// The README's worked examples, one per kind, on the plan's own indicators.
#[test]
fn readme_examples() {
    let plan = Plan::embedded().unwrap();
    // (indicator, figures, year, expected 序时进度, expected status)
    type Example = (&'static str, &'static [(i32, f64)], i32, Option<f64>, Status);
    let examples: &[Example] = &[
        // 至少：养老机构护理型床位占比 41% → 60%，2024年序时进度 53.67%，填报 52.5%，进度比 0.91
        ("G17", &[(2022, 41.0), (2024, 52.5)], 2024, Some(53.666_666_666_666_664), Behind),
        // 至多：婴儿死亡率 5.0‰ → 3.5‰，2024年序时进度 4.0‰，填报 4.3‰，进度比 0.7
        ("T11", &[(2022, 5.0), (2024, 4.3)], 2024, Some(4.0), Behind),
        // 保持：孤儿保障率稳定在100%，填报 96%，差距 4% 未超过 5%
        ("G02", &[(2024, 96.0)], 2024, Some(100.0), Behind),
        // 累计（有年度节点）：城镇老旧小区改造 2023年节点 1699 套，填报 1550 套，进度比 0.91
        ("G24", &[(2023, 1550.0)], 2023, Some(1699.0), Behind),
        // 年增长率：城镇居民收入年增长 8%，填报 6.5%，差 1.5 个百分点
        ("G12", &[(2024, 6.5)], 2024, Some(8.0), Behind),
        // 年增长率每年都须达到：2023年 7.8% 未达到，2024年 8.4% 达到 → 仍滞后于序时进度；两年都达到为已达标
        ("G12", &[(2023, 7.8), (2024, 8.4)], 2024, Some(8.0), Behind),
        ("G12", &[(2023, 8.1), (2024, 8.4)], 2024, Some(8.0), Met),
        // 基期已超过年度节点：“人社+村居”覆盖率 2022年 85%，2024年节点 80%，填报 82%：按水平判定，
        // 达到本年节点为符合序时进度（不因 82 < 85 判为滞后），低于节点为滞后
        ("T03", &[(2022, 85.0), (2024, 82.0)], 2024, Some(80.0), OnTrack),
        ("T03", &[(2022, 85.0), (2024, 78.0)], 2024, Some(80.0), Behind),
    ];
    for (id, points, year, expected, status) in examples {
        let progress = assess(&plan, &series(&plan, id, points), *year);
        let p = progress.iter().find(|p| p.indicator_id == *id && p.year == *year).unwrap();
        assert_eq!(p.status, *status, "{id}: {p:?}");
        match (p.expected, expected) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{id}: 序时进度 {a} ≠ {b}"),
            (a, b) => assert_eq!(a, *b, "{id}"),
        }
    }
}

#[test]
fn a_yearly_rate_met_after_a_missed_year_says_which_year_missed() {
    let plan = Plan::embedded().unwrap();
    let p = assess(&plan, &series(&plan, "G12", &[(2022, 7.9), (2023, 7.8), (2024, 8.4), (2025, 8.5)]), 2025);
    let year = |y: i32| p.iter().find(|p| p.indicator_id == "G12" && p.year == y).unwrap();
    assert_eq!((year(2023).status, year(2023).missed_before.as_slice()), (Behind, &[][..]), "the year itself missed");
    for y in [2024, 2025] {
        assert_eq!(year(y).status, Behind, "{:?}", year(y));
        assert_eq!(year(y).missed_before, vec![(2023, 7.8)]);
        assert!(year(y).note.contains("2023年7.8%未达到"), "{}", year(y).note);
    }
    // The report says it reached the rate and which year did not (the sample's G12 is
    // 7.8 % in 2023 and 8.4 % in 2024).
    let w = common::sample();
    let out = w.run(&["run", "--year", "2024", "--date", "2025-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let pdf = w.output().join("仁怀市公共服务发展行动方案实施进展报告（2024年度）.pdf");
    let text = common::without_page_numbers(&common::flat(&common::pdf_text(&pdf, false)));
    assert!(
        text.contains("“城镇常住居民人均可支配收入年增长率”为8.4%，达到每年8%的目标，但2023年为7.8%，未达到（方案要求每年达到）"),
        "{text}"
    );
    assert!(!text.contains("为8.4%，低于每年8%的目标"), "{text}");
}

#[test]
fn projections_stay_within_what_the_indicator_can_be() {
    let plan = Plan::embedded().unwrap();
    // A share rising 5 points a year from 90 %: the straight line passes 100 % in 2025.
    let p = assess(&plan, &series(&plan, "G17", &[(2022, 90.0), (2023, 95.0), (2024, 99.9)]), 2024);
    let g17 = p.iter().find(|p| p.indicator_id == "G17" && p.year == 2024).unwrap();
    assert_eq!(g17.projected_end, Some(100.0), "{g17:?}");
    // A count falling fast: never below zero.
    let p = assess(&plan, &series(&plan, "G08", &[(2022, 3000.0), (2023, 1500.0), (2024, 100.0)]), 2024);
    assert_eq!(p.iter().find(|p| p.indicator_id == "G08" && p.year == 2024).unwrap().projected_end, Some(0.0));
    // A cumulative series starts from 0 in the base year: one year of 3000 projects 9000.
    let p = assess(&plan, &series(&plan, "G11", &[(2023, 3000.0)]), 2023);
    let g11 = p.iter().find(|p| p.indicator_id == "G11" && p.year == 2023).unwrap();
    assert!((g11.projected_end.unwrap() - 9000.0).abs() < 1e-9, "{g11:?}");
}

#[test]
fn the_lead_units_figure_is_used_once_and_the_conflict_noted() {
    let plan = Plan::embedded().unwrap();
    // G25: 市民政局 leads, 市残联 co-responsible.
    let list = vec![obs("G25", "市残联", 2024, 97.0, ObsKind::Current), obs("G25", "市民政局", 2024, 100.0, ObsKind::Current)];
    let df = planmon::frames::observations(&list).unwrap();
    let figures = figures::choose(&plan, &list, &df).unwrap();
    assert_eq!(figures.conflicts.len(), 1);
    assert_eq!((figures.conflicts[0].used.value, figures.conflicts[0].used.department.as_str()), (100.0, "市民政局"));
    let p = assess::indicators::progress(&plan, &figures, 2024);
    let g25 = p.iter().find(|p| p.indicator_id == "G25" && p.year == 2024).unwrap();
    assert_eq!(g25.value, Some(100.0));
    assert!(g25.note.contains("牵头单位市民政局"), "{}", g25.note);
    // 本年值 beats the next year's 上年值 for the same year.
    let list = vec![obs("G17", "市民政局", 2023, 50.0, ObsKind::Previous), obs("G17", "市民政局", 2023, 49.0, ObsKind::Current)];
    assert_eq!(assess(&plan, &list, 2023).iter().find(|p| p.indicator_id == "G17" && p.year == 2023).unwrap().value, Some(49.0));
}
