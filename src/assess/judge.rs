//! The method: the status of one indicator in one year, from its figure, the line the
//! plan draws for that year (序时进度) and the thresholds of templates/rules.toml.
//! Pure functions on numbers; the README's 判定方法 describes exactly this.
//!
//! - **Line.** Trajectory indicators (at least, at most, cumulative) run from an origin
//!   to the target at the plan's end, through the plan's yearly milestones: piecewise
//!   straight. The origin is the base-year value (cumulative: 0 in the base year); with
//!   no base-year value, the earliest reported figure of an earlier year. A milestone
//!   counts with or without an origin.
//! - **Met.** At or beyond the target (at most: at or below it).
//! - **Trajectory.** Progress ratio = (value − origin) ÷ (line − origin): above
//!   1 + on_track_tolerance ahead, from 1 − on_track_tolerance on track, from
//!   serious_lag_ratio behind, else seriously behind. In the plan's last year a figure
//!   short of the target is behind or seriously behind, never on track.
//! - **Level.** Levels to hold, yearly rates, a target equal to its origin, and an
//!   origin that already meets the target or the year's line: judged on the level —
//!   met at or beyond the target; short of it behind, seriously behind when the gap to
//!   the year's line is larger than hold_serious_gap of that line (yearly rates: larger
//!   than rate_serious_gap_points percentage points). Never on track or ahead: the
//!   schedule has nothing to measure there.
//! - **Small counts** (a target of small_count_max items or fewer, in a count unit):
//!   done or not by the year the plan sets; before that year, on track.
//! - **No basis.** A trajectory indicator without origin or milestone in a year before
//!   the last, whose figure is the first one reported: 无法判定 (from the next year on,
//!   that figure is the origin).
//!
//! Boundaries are compared with a tolerance (rules.toml `tolerance`, relative to the
//! size of the numbers compared): exactly on a threshold counts as reaching it.

use serde::Serialize;

use crate::plan::{Comparison, Indicator, StatusRules};

/// Status classes used in Chinese plan reviews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Status {
    Met,
    Ahead,
    OnTrack,
    Behind,
    SeriouslyBehind,
    /// A figure, but nothing to judge it against yet (no origin, no milestone).
    Unassessable,
    NoData,
}

impl Status {
    pub const ALL: [Status; 7] =
        [Status::Met, Status::Ahead, Status::OnTrack, Status::Behind, Status::SeriouslyBehind, Status::Unassessable, Status::NoData];

    pub fn label(self) -> &'static str {
        match self {
            Status::Met => "已达标",
            Status::Ahead => "快于序时进度",
            Status::OnTrack => "符合序时进度",
            Status::Behind => "滞后于序时进度",
            Status::SeriouslyBehind => "严重滞后",
            Status::Unassessable => "无法判定",
            Status::NoData => "无数据",
        }
    }

    /// The stable key a run keeps for the next one to compare with: never reworded.
    pub fn key(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Ahead => "ahead",
            Status::OnTrack => "on_track",
            Status::Behind => "behind",
            Status::SeriouslyBehind => "seriously_behind",
            Status::Unassessable => "unassessable",
            Status::NoData => "no_data",
        }
    }

    /// A status from its key, or from the label an earlier version kept.
    pub fn from_key(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.key() == text || s.label() == text)
    }

    /// Met, ahead or on track.
    pub fn is_good(self) -> bool {
        matches!(self, Status::Met | Status::Ahead | Status::OnTrack)
    }

    /// Behind or seriously behind.
    pub fn is_lagging(self) -> bool {
        matches!(self, Status::Behind | Status::SeriouslyBehind)
    }
}

/// How a status was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Basis {
    /// Progress along the line from the origin.
    Trajectory,
    /// The level against the target or the year's line.
    Level,
    /// A small count: done by the year the plan sets, or not.
    Due,
    /// No figure, or nothing to judge it against.
    None,
}

/// The plan's years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub base_year: i32,
    pub start: i32,
    pub end: i32,
}

/// What is known of one indicator for one year.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts {
    pub year: i32,
    pub value: Option<f64>,
    /// The base-year value.
    pub baseline: Option<f64>,
    /// The earliest reported figure of the plan's years, with its year.
    pub earliest: Option<(i32, f64)>,
}

/// The verdict for one indicator in one year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub status: Status,
    pub basis: Basis,
    /// 序时进度: the value the line asks for in this year.
    pub expected: Option<f64>,
    /// The origin the line starts from (year, value).
    pub origin: Option<(i32, f64)>,
    /// Progress ratio (trajectory only).
    pub ratio: Option<f64>,
    /// How the status was reached, when it needs saying.
    pub note: String,
}

impl Verdict {
    fn new(status: Status, basis: Basis) -> Verdict {
        Verdict { status, basis, expected: None, origin: None, ratio: None, note: String::new() }
    }

    fn with_note(mut self, note: impl Into<String>) -> Verdict {
        self.note = note.into();
        self
    }
}

/// Whether `a` is at least `b`, allowing for the rules' tolerance.
fn ge(a: f64, b: f64, rules: &StatusRules) -> bool {
    a >= b - rules.tolerance * a.abs().max(b.abs()).max(1.0)
}

/// Whether `a` is more than `b` by more than the tolerance.
fn gt(a: f64, b: f64, rules: &StatusRules) -> bool {
    !ge(b, a, rules)
}

/// +1 where higher is better, −1 where lower is.
fn sign(c: Comparison) -> f64 {
    if c.lower_is_better() {
        -1.0
    } else {
        1.0
    }
}

/// `value` is at or beyond `line` in the indicator's direction.
pub fn reaches(c: Comparison, value: f64, line: f64, rules: &StatusRules) -> bool {
    ge(sign(c) * value, sign(c) * line, rules)
}

/// Whether the indicator is a small count judged by its due year.
pub fn is_small_count(ind: &Indicator, rules: &StatusRules) -> bool {
    matches!(ind.comparison, Comparison::AtLeast | Comparison::Cumulative)
        && ind.target > 0.0
        && ind.target <= rules.small_count_max
        && ind.target.fract() == 0.0
        && rules.count_units.contains(&ind.unit)
}

/// The year by which a small count is to be done: the first milestone that reaches the
/// target, else the plan's end.
pub fn due_year(ind: &Indicator, period: &Period) -> i32 {
    ind.milestones
        .iter()
        .filter_map(|(y, v)| Some((y.parse::<i32>().ok()?, *v)))
        .filter(|(_, v)| *v >= ind.target)
        .map(|(y, _)| y)
        .min()
        .unwrap_or(period.end)
}

/// The line through `knots` (sorted by year) at `year`; None before the first knot.
fn line_at(knots: &[(i32, f64)], year: i32) -> Option<f64> {
    let after = knots.iter().position(|(y, _)| *y >= year)?;
    let (y1, v1) = knots[after];
    if y1 == year {
        return Some(v1);
    }
    let (y0, v0) = *knots.get(after.checked_sub(1)?)?;
    Some(v0 + (v1 - v0) * (year - y0) as f64 / (y1 - y0) as f64)
}

/// Level judgement against `line`: met at or beyond the target, else behind, or
/// seriously behind when the gap to `line` is over the threshold.
fn level(ind: &Indicator, rules: &StatusRules, value: f64, line: f64) -> Verdict {
    if reaches(ind.comparison, value, ind.target, rules) {
        return Verdict { expected: Some(line), ..Verdict::new(Status::Met, Basis::Level) };
    }
    let gap = sign(ind.comparison) * (line - value);
    let allowed =
        if ind.comparison == Comparison::AnnualRate { rules.rate_serious_gap_points } else { rules.hold_serious_gap * line.abs() };
    let status = if gt(gap, allowed, rules) { Status::SeriouslyBehind } else { Status::Behind };
    Verdict { expected: Some(line), ..Verdict::new(status, Basis::Level) }
}

/// The status of `ind` in `facts.year`.
pub fn judge(ind: &Indicator, rules: &StatusRules, period: &Period, facts: &Facts) -> Verdict {
    let year = facts.year;
    let Some(value) = facts.value else { return Verdict::new(Status::NoData, Basis::None) };
    let target = ind.target;
    match ind.comparison {
        Comparison::Hold | Comparison::AnnualRate => return level(ind, rules, value, target),
        Comparison::AtLeast | Comparison::AtMost | Comparison::Cumulative => {}
    }
    if is_small_count(ind, rules) {
        let due = due_year(ind, period);
        let v = Verdict { expected: (year >= due).then_some(target), ..Verdict::new(Status::Met, Basis::Due) };
        return if reaches(ind.comparison, value, target, rules) {
            v
        } else if year < due {
            Verdict { status: Status::OnTrack, ..v }.with_note(format!(
                "目标{}{}，{}年完成即可",
                crate::text::fmt_num(target, 0),
                ind.unit,
                due
            ))
        } else {
            let status = if value <= 0.0 { Status::SeriouslyBehind } else { Status::Behind };
            Verdict { status, ..v }.with_note(format!("应于{}年完成", due))
        };
    }
    if reaches(ind.comparison, value, target, rules) {
        let mut v = Verdict::new(Status::Met, Basis::Level);
        v.expected = milestone_line(ind, period, facts);
        return v;
    }
    let origin = match ind.comparison {
        Comparison::Cumulative => Some((period.base_year, 0.0)),
        _ => facts.baseline.map(|b| (period.base_year, b)).or(facts.earliest.filter(|(y, _)| *y < year)),
    };
    let Some((y0, o)) = origin else {
        // Nothing to start a line from: a milestone of this year, or the target in the
        // last year, is still a line.
        if let Some(m) = ind.milestone(year) {
            let mut v = level(ind, rules, value, m);
            if reaches(ind.comparison, value, m, rules) {
                v.status = Status::OnTrack;
            }
            return v.with_note(format!("缺少{}年基期值，按本年节点判定", period.base_year));
        }
        if year >= period.end {
            return level(ind, rules, value, target).with_note(format!("缺少{}年基期值，按目标值判定", period.base_year));
        }
        return Verdict::new(Status::Unassessable, Basis::None)
            .with_note(format!("缺少{}年基期值，本年是最早的一年数据，无法判定；以后各年以本年数据为起点", period.base_year));
    };
    let knots = knots(ind, period, (y0, o));
    let expected = line_at(&knots, year).unwrap_or(target);
    let with_origin = |mut v: Verdict| {
        v.origin = Some((y0, o));
        v.expected = Some(expected);
        v
    };
    let from = if y0 == period.base_year { format!("{}年基期值", y0) } else { format!("{}年数据（缺少基期值）", y0) };
    if reaches(ind.comparison, o, target, rules) {
        return with_origin(level(ind, rules, value, target)).with_note(format!("{from}已达到目标，按水平判定"));
    }
    if reaches(ind.comparison, o, expected, rules) {
        // No progress to measure from a start already past the year's line: a figure
        // that still reaches the line meets the year's requirement (符合序时进度),
        // one short of it is behind — never ahead.
        let mut v = with_origin(level(ind, rules, value, expected));
        if v.status != Status::Met && reaches(ind.comparison, value, expected, rules) {
            v.status = Status::OnTrack;
        }
        return v.with_note(format!("{from}已达到本年进度要求，按水平判定"));
    }
    let ratio = (value - o) / (expected - o);
    let r = rules;
    let status = if year >= period.end {
        if ge(ratio, r.serious_lag_ratio, r) {
            Status::Behind
        } else {
            Status::SeriouslyBehind
        }
    } else if gt(ratio, 1.0 + r.on_track_tolerance, r) {
        Status::Ahead
    } else if ge(ratio, 1.0 - r.on_track_tolerance, r) {
        Status::OnTrack
    } else if ge(ratio, r.serious_lag_ratio, r) {
        Status::Behind
    } else {
        Status::SeriouslyBehind
    };
    let mut v = with_origin(Verdict::new(status, Basis::Trajectory));
    v.ratio = Some(ratio);
    if y0 != period.base_year {
        v.note = format!("缺少{}年基期值，以{}年数据为起点", period.base_year, y0);
    }
    v
}

/// The line's knots: the origin, the milestones after it, the target at the end.
fn knots(ind: &Indicator, period: &Period, origin: (i32, f64)) -> Vec<(i32, f64)> {
    let mut knots = vec![origin];
    let mut milestones: Vec<(i32, f64)> =
        ind.milestones.iter().filter_map(|(y, v)| Some((y.parse::<i32>().ok()?, *v))).filter(|(y, _)| *y > origin.0).collect();
    milestones.sort_by_key(|(y, _)| *y);
    knots.extend(milestones.into_iter().filter(|(y, _)| *y < period.end));
    knots.push((period.end, ind.target));
    knots
}

/// The year's line for a figure that met the target (for the tables): the milestone
/// line when there is an origin to draw it from.
fn milestone_line(ind: &Indicator, period: &Period, facts: &Facts) -> Option<f64> {
    if let Some(m) = ind.milestone(facts.year) {
        return Some(m);
    }
    let origin = match ind.comparison {
        Comparison::Cumulative => Some((period.base_year, 0.0)),
        _ => facts.baseline.map(|b| (period.base_year, b)).or(facts.earliest.filter(|(y, _)| *y < facts.year)),
    }?;
    line_at(&knots(ind, period, origin), facts.year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_through_knots() {
        let k = [(2022, 40.0), (2024, 80.0), (2025, 100.0)];
        assert_eq!(line_at(&k, 2023), Some(60.0));
        assert_eq!(line_at(&k, 2024), Some(80.0));
        assert_eq!(line_at(&k, 2025), Some(100.0));
        assert_eq!(line_at(&k, 2021), None);
    }
}
