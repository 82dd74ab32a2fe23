//! The synthetic sample returns shipped in input/ (`planmon sample`): one plausible
//! county. Every figure follows a path from its base year that a county could show,
//! projects progress year by year and their totals never fall, units write a few lines
//! of work done per area, and a few honest problems are built in so that the first run
//! shows every part of the report: a late return, a conflict between two units, a
//! couple of indicators behind (one level to hold that slips in the last year), a
//! key task not done by its year, a unit that sends no text. Marked 示例数据 throughout.

use std::collections::BTreeMap;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, XlsxError};

use crate::forms::Filled;
use crate::plan::{Comparison, Indicator, Plan};
use crate::text::fmt_num;

/// A small deterministic generator (xorshift64*), so that sample data never change.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// A seed from a text (FNV-1a), so that each unit, project or indicator draws its own
/// numbers whatever the length of its name.
fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// Counts are whole numbers; rates keep one or two decimals.
fn round_for(ind: &Indicator, v: f64) -> f64 {
    let dp = match ind.unit.as_str() {
        "个" | "人" | "张" | "套" | "人次" if ind.target.fract() == 0.0 => 0,
        "%" | "‰" | "年" | "岁" | "/10万" => 1,
        _ => 2,
    };
    fmt_num(v, dp).parse().unwrap_or(v)
}

/// How far below its target an indicator plausibly starts, as a share of the target:
/// a county's life expectancy moves by a year or so, not by twelve.
fn start_gap(ind: &Indicator) -> (f64, f64) {
    match ind.unit.as_str() {
        "岁" => (0.01, 0.025),
        "年" => (0.03, 0.07),
        "%" if ind.target >= 90.0 => (0.02, 0.08),
        _ => (0.05, 0.14),
    }
}

/// Which indicators lag in the sample: two (by the seed) of those to reach a level.
fn laggards(plan: &Plan, seed: u64) -> Vec<String> {
    let mut candidates: Vec<&Indicator> =
        plan.indicators.iter().filter(|i| i.seq.is_some() && i.comparison == Comparison::AtLeast && i.unit == "%").collect();
    candidates.sort_by_key(|i| hash(&i.id) ^ seed);
    candidates.iter().take(2).map(|i| i.id.clone()).collect()
}

/// The level to hold that slips in the plan's last year.
fn slipping(plan: &Plan, seed: u64) -> Option<String> {
    plan.indicators
        .iter()
        .filter(|i| i.comparison == Comparison::Hold && i.target >= 100.0)
        .min_by_key(|i| hash(&i.id) ^ seed)
        .map(|i| i.id.clone())
}

/// Synthetic figures for every indicator, base year to `last_year`: a path from a
/// plausible base to around the target, a couple behind.
pub fn synthetic_series(plan: &Plan, seed: u64, last_year: i32) -> BTreeMap<String, BTreeMap<i32, f64>> {
    let span = (plan.end - plan.baseline_year).max(1) as f64;
    let lagging = laggards(plan, seed);
    let slip = slipping(plan, seed);
    let mut out = BTreeMap::new();
    for ind in &plan.indicators {
        let mut rng = Rng::new(seed ^ hash(&ind.id));
        let t = ind.target;
        // How far along by the end of the plan: a little short … a little over; the
        // laggards well short.
        let reach = if lagging.contains(&ind.id) { rng.range(0.9, 0.94) } else { rng.range(0.995, 1.04) };
        let (lo, hi) = start_gap(ind);
        let gap = rng.range(lo, hi);
        let mut series = BTreeMap::new();
        let mut last = 0.0f64;
        for y in plan.baseline_year..=last_year {
            let frac = ((y - plan.baseline_year) as f64 / span).min(1.2);
            let v = match ind.comparison {
                Comparison::Hold if t >= 100.0 => {
                    if slip.as_deref() == Some(ind.id.as_str()) && y == plan.end {
                        98.6
                    } else {
                        100.0
                    }
                }
                Comparison::Hold => t + rng.range(-0.3, 1.2),
                Comparison::AnnualRate => t * rng.range(0.96, 1.08),
                Comparison::Cumulative => {
                    if y == plan.baseline_year {
                        continue;
                    }
                    // A running total never falls.
                    let v = match ind.milestone(y) {
                        Some(m) => m,
                        None => t * reach.min(1.0) * frac.powf(rng.range(0.95, 1.05)),
                    };
                    last = v.max(last);
                    last
                }
                Comparison::AtMost => {
                    let base = t * (1.0 + gap * 2.0);
                    base + (t * (2.0 - reach) - base) * frac
                }
                Comparison::AtLeast => {
                    let base = t * (1.0 - gap);
                    let end = t * reach;
                    let v = base + (end - base) * frac;
                    if ind.unit == "%" {
                        v.min(100.0)
                    } else {
                        v
                    }
                }
            };
            series.insert(y, round_for(ind, v));
        }
        out.insert(ind.id.clone(), series);
    }
    out
}

/// The year a key task of the sample is done (None: not by the plan's end).
fn task_done(plan: &Plan, task: &crate::plan::KeyTask, seed: u64) -> Option<i32> {
    // A task tied to projects is done in the first year its projects to finish are
    // finished and those it starts are under way: the sample's returns agree.
    if !task.projects.is_empty() || !task.starts.is_empty() {
        let project = |id: &String| plan.projects.iter().find(|p| &p.id == id);
        return (plan.start..=plan.end).find(|&y| {
            task.projects.iter().filter_map(project).all(|p| project_path(plan, p, y, seed).2 >= 100.0)
                && task.starts.iter().filter_map(project).all(|p| project_path(plan, p, y, seed).2 > 0.0)
        });
    }
    let mut rng = Rng::new(seed ^ hash(&task.id));
    let draw = rng.unit();
    if draw < 0.2 {
        None
    } else {
        Some(plan.start + (draw * (plan.end - plan.start + 1) as f64) as i32 % (plan.end - plan.start + 1))
    }
}

/// One path per project over the years: the same total, the share done growing.
/// Returns (planned, completed investment, progress %, status word) for `year`.
fn project_path(plan: &Plan, p: &crate::plan::Project, year: i32, seed: u64) -> (f64, f64, f64, &'static str) {
    let span = (plan.end - plan.baseline_year).max(1) as f64;
    let mut prng = Rng::new(seed ^ hash(&p.id));
    let planned = (prng.range(800.0, 30000.0) / 10.0).round() * 10.0;
    let speed = prng.range(0.8, 1.3);
    let frac = ((year - plan.baseline_year) as f64 / span * speed).min(1.0);
    let progress = (frac * 100.0).round();
    let status = if progress >= 100.0 {
        "已完工"
    } else if progress > 0.0 {
        "在建"
    } else {
        "前期工作"
    };
    (planned, (planned * frac).round(), progress, status)
}

/// The sample return of `unit` for `year`, filled from a synthetic series.
pub fn sample_filled(plan: &Plan, unit: &str, year: i32, series: &BTreeMap<String, BTreeMap<i32, f64>>, seed: u64) -> Filled {
    let mut f = Filled {
        banner: "示例数据（合成，非真实统计）".to_string(), person: "示例填报人".to_string(), ..Default::default()
    };
    for ind in plan.indicators_of(unit) {
        let s = series.get(&ind.id);
        // Co-responsible units leave the lead's figures to the lead, except that in
        // the plan's last year one of them reports its own, different count: the
        // sample then shows what a conflict between two units looks like.
        if ind.lead_unit() != unit {
            if year == plan.end && ind.comparison == Comparison::Hold && ind.target >= 100.0 {
                let own = s.and_then(|s| s.get(&year)).map(|v| v - 1.5);
                f.values.insert(ind.id.clone(), (None, own));
            }
            continue;
        }
        let prev = s.and_then(|s| s.get(&(year - 1)).copied());
        let cur = s.and_then(|s| s.get(&year).copied());
        f.values.insert(ind.id.clone(), (prev, cur));
    }
    // In the plan's last year the unit says why each target it leads was not met; one
    // unit (by the seed) leaves the column empty, and the report shows the gap.
    let reticent =
        plan.reporting_units().iter().map(|u| hash(&u.name) ^ seed.rotate_left(13)).min() == Some(hash(unit) ^ seed.rotate_left(13));
    if year == plan.end && !reticent {
        for ind in plan.indicators_of(unit).into_iter().filter(|i| i.lead_unit() == unit) {
            if let Some(reason) = reason_text(plan, ind, series) {
                f.reasons.insert(ind.id.clone(), reason);
            }
        }
    }
    let mut rng = Rng::new(seed ^ hash(unit) ^ year as u64);
    // Most returns arrive in January; one unit's, one year, in February (late).
    let late = plan.reporting_units().iter().map(|u| hash(&u.name) ^ seed).min() == Some(hash(unit) ^ seed) && year == plan.end;
    f.date = if late {
        format!("{}年2月{}日", year + 1, 3 + (rng.unit() * 20.0) as u32)
    } else {
        format!("{}年1月{}日", year + 1, 5 + (rng.unit() * 20.0) as u32)
    };
    for p in plan.projects.iter().filter(|p| p.responsible.first().map(String::as_str) == Some(unit)) {
        let (planned, done, progress, status) = project_path(plan, p, year, seed);
        f.projects.insert(p.id.clone(), (planned, done, progress, status.to_string()));
    }
    for t in plan.tasks.iter().filter(|t| t.lead_unit() == unit) {
        let (status, note) = match task_done(plan, t, seed) {
            Some(done) if year >= done => ("已完成", format!("已于{done}年完成（示例）")),
            _ if year == plan.start => ("未启动", "正在开展前期工作（示例）".to_string()),
            _ if year >= t.due.unwrap_or(plan.end) => ("推进中", "未能按期完成，正在加紧推进（示例）".to_string()),
            _ => ("推进中", "按计划推进（示例）".to_string()),
        };
        f.tasks.insert(t.id.clone(), (status.to_string(), note));
    }
    // One unit, in the reporting years, sends no text: the report shows the gap.
    let silent = plan.reporting_units().iter().map(|u| hash(&u.name) ^ seed.rotate_left(7)).min() == Some(hash(unit) ^ seed.rotate_left(7));
    if !silent {
        for area in plan.areas_of(unit) {
            f.works.insert(area.clone(), work_text(plan, unit, &area, year, series, &f));
        }
    }
    f
}

/// A few plausible sentences of work done, problems and next steps for one area, from
/// the unit's own figures and projects (marked as sample text).
fn work_text(plan: &Plan, unit: &str, area: &str, year: i32, series: &BTreeMap<String, BTreeMap<i32, f64>>, f: &Filled) -> [String; 3] {
    let figures: Vec<String> = plan
        .indicators
        .iter()
        .filter(|i| i.area == area && i.lead_unit() == unit)
        .filter_map(|i| {
            // A unit writes of what it achieved, not of a count still at nothing.
            let v = series.get(&i.id)?.get(&year).filter(|v| **v > 0.0)?;
            Some(format!("“{}”达到{}{}", i.name, fmt_num(*v, 2), i.unit))
        })
        .take(3)
        .collect();
    let projects: Vec<&crate::plan::Project> =
        plan.projects.iter().filter(|p| p.area == area && p.responsible.first().map(String::as_str) == Some(unit)).collect();
    let done = projects.iter().filter(|p| f.projects.get(&p.id).is_some_and(|x| x.2 >= 100.0)).count();
    let mut work = format!("{year}年，围绕“{area}”目标任务，");
    if figures.is_empty() {
        work.push_str("配合牵头单位推进相关工作");
    } else {
        work.push_str(&figures.join("，"));
    }
    match (projects.len(), done) {
        (0, _) => {}
        (1, 0) => work.push_str("；推进1个重点项目建设，尚未完工"),
        (1, 1) => work.push_str("；1个重点项目已完工"),
        (n, 0) => work.push_str(&format!("；推进{n}个重点项目建设，均尚未完工")),
        (n, d) if d == n => work.push_str(&format!("；{n}个重点项目均已完工")),
        (n, d) => work.push_str(&format!("；推进{n}个重点项目建设，其中{d}个已完工")),
    }
    work.push_str("。（示例文字）");
    let problems = if projects.len() > done {
        "部分项目建设资金筹措压力较大，进度慢于计划。（示例文字）"
    } else {
        "专业人才不足，基层服务能力仍需提升。（示例文字）"
    };
    let next = format!("下一步将对照{}年目标查漏补缺，加快推进未完成事项。（示例文字）", plan.end);
    [work, problems.to_string(), next]
}

/// Why an indicator the sample leaves short of its target was not met, and what is to be
/// done (marked as sample text); None when the series meets the target.
fn reason_text(plan: &Plan, ind: &Indicator, series: &BTreeMap<String, BTreeMap<i32, f64>>) -> Option<String> {
    let s = series.get(&ind.id)?;
    let values: Vec<(i32, Option<f64>)> = (plan.start..=plan.end).map(|y| (y, s.get(&y).copied())).collect();
    let base = ind.baseline.or_else(|| s.get(&plan.baseline_year).copied());
    let f = crate::assess::final_eval::complete(ind, &plan.rules.status, base, &values);
    if f.outcome.met() || f.outcome == crate::assess::final_eval::Outcome::NoData {
        return None;
    }
    let why = match ind.comparison {
        Comparison::AnnualRate => "受宏观经济形势和市场需求影响，部分年份增速低于预期",
        Comparison::Hold => "部分对象因户籍迁移、身份认定等原因未能及时纳入",
        Comparison::Cumulative => "部分项目用地、资金落实较晚，建设进度慢于计划",
        _ => "相关设施建设和专业人员配备进度慢于预期，部分服务覆盖不到位",
    };
    Some(format!("主要原因是{why}。下一步将查清缺口，明确责任和时限，纳入{}—{}年规划继续推进。（示例文字）", plan.end + 1, plan.end + 5))
}

/// A return in a layout the unit made itself (what the reader must also accept): a
/// title, the unit in a 填报单位 cell, a two-row header with the year merged over
/// 目标 / 实际完成, columns in another order, names with full-width brackets and a
/// unit suffix, figures as text with their unit, thousands separators.
pub fn messy_workbook(plan: &Plan, unit: &str, year: i32, filled: &Filled, created_unix: i64) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(&DocProperties::new().set_creation_datetime(&ExcelDateTime::from_timestamp(created_unix)?));
    let ws = wb.add_worksheet();
    ws.set_name("Sheet1")?;
    let merge = Format::new().set_align(FormatAlign::Center);
    ws.write_string(0, 0, format!("{unit}关于{year}年度公共服务发展指标完成情况的报告"))?;
    ws.write_string(1, 0, format!("填报单位：{}", unit.replacen('市', "仁怀市", 1)))?;
    ws.write_string(2, 0, "指标项目")?;
    ws.write_string(2, 1, "计量单位")?;
    ws.merge_range(2, 2, 2, 3, &format!("{year}年"), &merge)?;
    ws.write_string(2, 4, "备注")?;
    ws.write_string(3, 2, "目标")?;
    ws.write_string(3, 3, "实际完成")?;
    let mut r = 4u32;
    for ind in plan.indicators_of(unit) {
        let Some((_, Some(v))) = filled.values.get(&ind.id) else { continue };
        let name = format!("{}（{}）", ind.name.replace('(', "（").replace(')', "）"), ind.unit);
        ws.write_string(r, 0, &name)?;
        ws.write_string(r, 1, &ind.unit)?;
        ws.write_number(r, 2, ind.target)?;
        let text = if *v >= 1000.0 && v.fract() == 0.0 {
            let s = format!("{}", *v as i64);
            let (head, tail) = s.split_at(s.len() - 3);
            format!("{head},{tail}")
        } else {
            format!("{}{}", fmt_num(*v, 4), if ind.unit == "%" { "%" } else { "" })
        };
        ws.write_string(r, 3, &text)?;
        r += 1;
    }
    wb.save_to_buffer()
}
