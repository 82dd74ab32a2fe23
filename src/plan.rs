//! The plan as data: indicator table (附件1), responsible units and projects (附件2),
//! read from `templates/` at run time with the copies embedded at build time as defaults.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::text::normalize_name;

const EMBEDDED_INDICATORS: &str = include_str!("../templates/indicators.toml");
const EMBEDDED_UNITS: &str = include_str!("../templates/units.toml");
const EMBEDDED_PROJECTS: &str = include_str!("../templates/projects.toml");
const EMBEDDED_RULES: &str = include_str!("../templates/rules.toml");

/// The plan tables as embedded in the binary (file name, text), for `planmon init`.
pub const EMBEDDED_FILES: [(&str, &str); 4] = [
    ("indicators.toml", EMBEDDED_INDICATORS),
    ("units.toml", EMBEDDED_UNITS),
    ("projects.toml", EMBEDDED_PROJECTS),
    ("rules.toml", EMBEDDED_RULES),
];

/// How an indicator's value is judged against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// 达到或超过目标。
    AtLeast,
    /// 控制在目标以下（越低越好）。
    AtMost,
    /// 稳定/巩固/保持在某一水平，逐年按水平判定。
    Hold,
    /// 2023—2025 年累计值，按里程碑和累计完成判定。
    Cumulative,
    /// 年增长率，每年都须达到。
    AnnualRate,
}

impl Comparison {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::AtLeast => "at_least",
            Comparison::AtMost => "at_most",
            Comparison::Hold => "hold",
            Comparison::Cumulative => "cumulative",
            Comparison::AnnualRate => "annual_rate",
        }
    }

    /// The wording used in Chinese tables.
    pub fn label(self) -> &'static str {
        match self {
            Comparison::AtLeast => "达到或超过",
            Comparison::AtMost => "不高于",
            Comparison::Hold => "保持水平",
            Comparison::Cumulative => "累计完成",
            Comparison::AnnualRate => "每年达到",
        }
    }

    pub fn lower_is_better(self) -> bool {
        self == Comparison::AtMost
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// 二、工作目标 中的指标（附件1）。
    Goal,
    /// 三、重点任务 中的量化任务目标。
    Task,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conflict {
    pub topic: String,
    pub goal_text: String,
    pub task_text: String,
    pub used: String,
}

/// An indicator's id, name and unit as shared text, made once when the plan is loaded:
/// every figure read carries them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SharedText {
    pub id: std::sync::Arc<str>,
    pub name: std::sync::Arc<str>,
    pub unit: std::sync::Arc<str>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    #[serde(skip)]
    pub shared: SharedText,
    pub id: String,
    #[serde(default)]
    pub seq: Option<u32>,
    pub kind: IndicatorKind,
    pub area: String,
    pub name: String,
    pub unit: String,
    pub target: f64,
    pub comparison: Comparison,
    #[serde(default)]
    pub milestones: BTreeMap<String, f64>,
    pub responsible: Vec<String>,
    pub source: String,
    #[serde(default)]
    pub responsibility_source: String,
    #[serde(default)]
    pub note: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// 指标属性 in 附件1: 预期性 or 约束性 (empty when the table does not say).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub attribute: String,
    /// The base year's value as 附件1 gives it (None: taken from the units' 上年值).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    /// Where the row came from: the imported file, table and row; empty for the rows
    /// compiled from the plan's text (据方案正文整理).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub origin: String,
    /// The 附件2 projects whose completion this indicator measures (the renovation
    /// count and its renovation project): met and finished must agree.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<String>,
}

/// Said of a table row compiled from the plan's text rather than imported.
pub const FROM_TEXT: &str = "据方案正文整理";

impl Indicator {
    /// A 附件1 main indicator (二、工作目标), as opposed to a key task's target: the one
    /// test every count, table and sentence uses (`kind`; 序号 is only a label).
    pub fn is_goal(&self) -> bool {
        self.kind == IndicatorKind::Goal
    }

    /// Where the row came from, for people.
    pub fn origin_text(&self) -> &str {
        if self.origin.is_empty() {
            FROM_TEXT
        } else {
            &self.origin
        }
    }

    /// The unit that leads on this indicator (first listed in 责任单位).
    pub fn lead_unit(&self) -> &str {
        self.responsible.first().map(String::as_str).unwrap_or("")
    }

    /// Milestone for a year, if the plan gives one.
    pub fn milestone(&self, year: i32) -> Option<f64> {
        self.milestones.get(&year.to_string()).copied()
    }

    pub fn responsible_joined(&self) -> String {
        self.responsible.join("、")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub name: String,
    pub full: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub role: Role,
}

/// What a unit does in the plan's monitoring (units.toml `role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sends returns for the indicators, projects and tasks it is responsible for.
    Returns,
    /// Coordinates the monitoring and issues the report; sends no returns.
    Coordinator,
}

impl Unit {
    pub fn sends_returns(&self) -> bool {
        self.role == Role::Returns
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    pub id: String,
    pub area: String,
    pub name: String,
    pub responsible: Vec<String>,
    pub goal: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<i32>,
    pub source: String,
    /// 总投资 (万元) in 附件2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub investment: Option<f64>,
    /// 建设年限 as 附件2 writes it (2023—2025).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub period: String,
    /// Where the row came from (see `Indicator::origin`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub origin: String,
}

impl Project {
    pub fn origin_text(&self) -> &str {
        if self.origin.is_empty() {
            FROM_TEXT
        } else {
            &self.origin
        }
    }
}

/// A key task of the plan that is done or not by a year, not measured by a figure
/// (projects.toml `[[task]]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyTask {
    pub id: String,
    pub area: String,
    pub name: String,
    pub responsible: Vec<String>,
    /// The year the plan sets (None: by the plan's end).
    #[serde(default)]
    pub due: Option<i32>,
    pub source: String,
    /// The 附件2 projects the task is to complete: it is done when they are finished.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<String>,
    /// The 附件2 projects the task is to start (启动): done needs them under way.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub starts: Vec<String>,
}

impl KeyTask {
    pub fn lead_unit(&self) -> &str {
        self.responsible.first().map(String::as_str).unwrap_or("")
    }
}

/// Thresholds for validation and progress assessment (templates/rules.toml).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    pub status: StatusRules,
    pub validate: ValidateRules,
    pub limits: Limits,
    #[serde(default)]
    pub ranges: Vec<RangeRule>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRules {
    /// Progress within this share of the expected progress counts as 符合序时进度.
    pub on_track_tolerance: f64,
    /// Progress below this share of the expected progress is 严重滞后.
    pub serious_lag_ratio: f64,
    /// For levels: a shortfall of more than this share of the level is 严重滞后.
    pub hold_serious_gap: f64,
    /// For yearly rates: a shortfall of more than this many percentage points is 严重滞后.
    #[serde(default = "default_rate_gap")]
    pub rate_serious_gap_points: f64,
    /// Targets of at most this many items, in one of `count_units`, are judged by
    /// whether they are done by the year the plan sets.
    #[serde(default = "default_small_count")]
    pub small_count_max: f64,
    #[serde(default = "default_count_units")]
    pub count_units: Vec<String>,
    /// Boundaries are compared with this tolerance, relative to the numbers compared.
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
    /// At the plan's end (终期评估): a completion rate of at least this share is 基本完成.
    #[serde(default = "default_nearly_completed")]
    pub nearly_completed: f64,
}

fn default_nearly_completed() -> f64 {
    0.9
}

fn default_rate_gap() -> f64 {
    2.0
}

fn default_small_count() -> f64 {
    2.0
}

fn default_count_units() -> Vec<String> {
    ["个", "所", "家", "项", "座", "处", "条", "套"].map(String::from).to_vec()
}

fn default_tolerance() -> f64 {
    1e-6
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateRules {
    /// A level that changes by more than this share of last year's figure is an outlier.
    pub jump_share: f64,
    /// Returns are due by this day of the following year (MM-DD), for “on time”.
    pub deadline: String,
}

/// What one input file may cost before it is refused (templates/rules.toml [limits]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Size of the file on disk.
    pub max_file_mb: f64,
    /// Uncompressed size of one part of an xlsx/xlsm/xlsb/ods package, and of all parts.
    pub max_part_mb: f64,
    pub max_unpacked_mb: f64,
    pub max_sheets: usize,
    /// Cells beyond these rows and columns are not read (a return is a small table).
    pub max_rows: u32,
    pub max_columns: u32,
    /// A file still being read after this long is given up (and reported).
    pub seconds_per_file: f64,
    /// Memory one file may take while it is read, beyond what the reading process
    /// needs before it starts (enforced on Linux: the worker process is capped).
    #[serde(default = "default_memory_mb")]
    pub memory_mb_per_file: f64,
    /// Typesetting one document (the report, one feedback sheet) is given up after this
    /// long, or when it needs more memory than this (a runaway template).
    #[serde(default = "default_document_seconds")]
    pub seconds_per_document: f64,
    #[serde(default = "default_document_memory_mb")]
    pub memory_mb_per_document: f64,
}

fn default_memory_mb() -> f64 {
    1024.0
}

fn default_document_seconds() -> f64 {
    30.0
}

fn default_document_memory_mb() -> f64 {
    2048.0
}

/// A number of rules.toml and the range it must lie in.
struct Bound {
    key: &'static str,
    value: f64,
    min: f64,
    /// Whether `min` itself is allowed.
    min_in: bool,
    max: f64,
    meaning: &'static str,
}

impl Bound {
    fn check(&self) -> Result<(), String> {
        let v = self.value;
        let low = if self.min_in { v >= self.min } else { v > self.min };
        if v.is_finite() && low && v <= self.max {
            return Ok(());
        }
        let from = if self.min_in {
            format!("不小于 {}", crate::text::fmt_num(self.min, 6))
        } else {
            format!("大于 {}", crate::text::fmt_num(self.min, 6))
        };
        let value = if v.is_finite() && v.abs() < 1e9 { crate::text::fmt_num(v, 6) } else { format!("{v:e}") };
        Err(format!("{} = {value}：应为{from}、不超过 {} 的数（{}）", self.key, crate::text::fmt_num(self.max, 6), self.meaning))
    }
}

impl Rules {
    /// Every threshold and limit within its stated range (README“设置的取值范围”): a
    /// value outside would misjudge every indicator or refuse every return, and the
    /// units would be told to resend although the rule is wrong.
    pub fn check(&self) -> Result<(), String> {
        let (s, v, l) = (&self.status, &self.validate, &self.limits);
        let b = |key, value, min, min_in, max, meaning| Bound { key, value, min, min_in, max, meaning };
        let bounds = [
            b("[status] on_track_tolerance", s.on_track_tolerance, 0.0, true, 0.5, "进度比与 1 相差不超过它为符合序时进度"),
            b("[status] serious_lag_ratio", s.serious_lag_ratio, 0.0, false, 1.0, "进度比低于它为严重滞后"),
            b("[status] hold_serious_gap", s.hold_serious_gap, 0.0, false, 1.0, "按水平判定时差距超过该比例为严重滞后"),
            b("[status] rate_serious_gap_points", s.rate_serious_gap_points, 0.0, false, 100.0, "年增长率差距的百分点"),
            b("[status] small_count_max", s.small_count_max, 0.0, true, 100.0, "按完成年份判定的小数量目标的上限"),
            b("[status] tolerance", s.tolerance, 0.0, true, 0.01, "比较边界时的相对容差"),
            b("[status] nearly_completed", s.nearly_completed, 0.0, false, 1.0, "终期评估中完成率达到该比例为基本完成"),
            b("[validate] jump_share", v.jump_share, 0.0, false, 100.0, "比上年变化超过该比例为异常波动"),
            b("[limits] max_file_mb", l.max_file_mb, 0.0, false, 1024.0, "单个文件的大小上限，MB"),
            b("[limits] max_part_mb", l.max_part_mb, 0.0, false, 4096.0, "压缩包中单个部件解压后的大小上限，MB"),
            b("[limits] max_unpacked_mb", l.max_unpacked_mb, 0.0, false, 16384.0, "全部部件解压后的大小上限，MB"),
            b("[limits] max_sheets", l.max_sheets as f64, 1.0, true, 1000.0, "读取的工作表个数"),
            b("[limits] max_rows", l.max_rows as f64, 100.0, true, 1_048_576.0, "每个工作表读取的行数；填报表通常有几十行"),
            b("[limits] max_columns", l.max_columns as f64, 10.0, true, 16_384.0, "每个工作表读取的列数"),
            b(
                "[limits] seconds_per_file",
                l.seconds_per_file,
                1.0,
                true,
                3600.0,
                "读取单个文件的时间上限，秒；正常的填报表不到 1 秒即可读完",
            ),
            b(
                "[limits] memory_mb_per_file",
                l.memory_mb_per_file,
                64.0,
                true,
                65536.0,
                "读取单个文件可用的内存，MB；正常的填报表约需 20 MB",
            ),
            b("[limits] seconds_per_document", l.seconds_per_document, 1.0, true, 3600.0, "排版一份报告或反馈单的时间上限，秒"),
            b(
                "[limits] memory_mb_per_document",
                l.memory_mb_per_document,
                512.0,
                true,
                65536.0,
                "排版一份报告或反馈单可用的内存，MB；指标最多的计划约需 500 MB",
            ),
        ];
        for bound in &bounds {
            bound.check()?;
        }
        if s.serious_lag_ratio > 1.0 - s.on_track_tolerance {
            return Err(format!(
                "[status] serious_lag_ratio = {} 大于 1 − on_track_tolerance（{}）：严重滞后的界限应低于符合序时进度的界限",
                crate::text::fmt_num(s.serious_lag_ratio, 6),
                crate::text::fmt_num(1.0 - s.on_track_tolerance, 6)
            ));
        }
        if let Some(why) = crate::config::deadline_problem(&v.deadline) {
            return Err(format!("[validate] deadline = \"{}\"：{why}", crate::text::printable(&v.deadline, 40)));
        }
        if s.count_units.len() > MAX_LIST || s.count_units.iter().any(|u| u.trim().is_empty() || u.chars().count() > 10) {
            return Err(format!("[status] count_units：应为至多 {MAX_LIST} 个计量单位，每个 1 至 10 个字"));
        }
        if self.ranges.len() > 1000 {
            return Err(format!("有 {} 条 [[ranges]]，最多 1000 条", self.ranges.len()));
        }
        for (k, r) in self.ranges.iter().enumerate() {
            let at = format!("第{}条 [[ranges]]（unit = \"{}\"）", k + 1, crate::text::printable(&r.unit, 20));
            if !r.min.is_finite() || !r.max.is_finite() {
                return Err(format!("{at} 的 min = {}、max = {}：应为数字（不能是 nan 或 inf）", r.min, r.max));
            }
            if r.min > r.max {
                return Err(format!(
                    "{at} 的 min = {} 大于 max = {}：合理范围的下限应不大于上限",
                    crate::text::fmt_num(r.min, 6),
                    crate::text::fmt_num(r.max, 6)
                ));
            }
            if r.message.trim().is_empty() || r.message.chars().count() > 500 || r.unit.chars().count() > 20 || r.ids.len() > MAX_INDICATORS
            {
                return Err(format!("{at}：message 应为 1 至 500 个字的说明，unit 最多 20 个字"));
            }
        }
        Ok(())
    }
}

/// Plausible bounds for a unit of measure; a value outside is an error finding.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeRule {
    #[serde(default)]
    pub ids: Vec<String>,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub comparison: Option<Comparison>,
    pub min: f64,
    pub max: f64,
    pub message: String,
}

/// templates/indicators.toml.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorFile {
    pub version: String,
    #[serde(default)]
    pub official: bool,
    pub plan: String,
    pub plan_start: i32,
    pub plan_end: i32,
    pub baseline_year: i32,
    pub indicator: Vec<Indicator>,
}

/// templates/units.toml.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitFile {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    pub unit: Vec<Unit>,
}

/// templates/projects.toml.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    #[serde(default)]
    pub official: bool,
    #[serde(default)]
    pub project: Vec<Project>,
    #[serde(default)]
    pub task: Vec<KeyTask>,
}

/// The plan's tables as data (what `Plan` is built from).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanTables {
    pub version: String,
    pub title: String,
    pub start: i32,
    pub end: i32,
    pub baseline_year: i32,
    pub indicators: Vec<Indicator>,
    pub units: Vec<Unit>,
    pub projects: Vec<Project>,
    #[serde(default)]
    pub tasks: Vec<KeyTask>,
    pub rules: Rules,
    /// The indicator table and the project list are the plan's own attachments
    /// (imported), not compiled from its text.
    #[serde(default)]
    pub official: Official,
}

/// Which tables are the plan's own attachments.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Official {
    pub indicators: bool,
    pub projects: bool,
}

/// Everything the tool knows about the plan.
#[derive(Debug, Clone)]
pub struct Plan {
    pub version: String,
    pub title: String,
    pub start: i32,
    pub end: i32,
    pub baseline_year: i32,
    pub indicators: Vec<Indicator>,
    pub units: Vec<Unit>,
    pub projects: Vec<Project>,
    pub tasks: Vec<KeyTask>,
    pub rules: Rules,
    pub official: Official,
    /// Where each table came from (a path, or "内置" for the embedded default).
    pub sources: Vec<String>,
    /// Normalised names and aliases → position in `indicators` (names win over
    /// aliases), built once: every row of every return is looked up here.
    names: std::collections::HashMap<String, usize>,
    /// Every spelling of every unit, normalised, longest first → position in `units`.
    unit_keys: Vec<(String, usize)>,
    /// The same spellings as one automaton (leftmost, then longest; among equals the
    /// first in `unit_keys`): a unit named in a text is found in one pass over the text,
    /// however many units the plan has.
    unit_finder: Option<aho_corasick::AhoCorasick>,
    /// The place the plan is for, as its title begins (仁怀市), and the level it is
    /// written as in unit names (市): 仁怀市卫生健康局 is 市卫生健康局.
    place: (String, String),
    /// The same spellings → position (the first unit in `unit_keys`' order): exact lookups.
    unit_index: std::collections::HashMap<String, usize>,
    /// Indicator id → position in `indicators` (the first of a repeated id; `check`
    /// refuses repeats).
    ids: std::collections::HashMap<String, usize>,
}

fn unit_keys(units: &[Unit], place: &(String, String)) -> Vec<(String, usize)> {
    let mut keys: Vec<(String, usize)> = units
        .iter()
        .enumerate()
        .flat_map(|(i, u)| {
            std::iter::once(&u.name).chain(std::iter::once(&u.full)).chain(u.aliases.iter()).map(move |s| (unit_key(s, place), i))
        })
        .filter(|(k, _)| !k.is_empty())
        .collect();
    // The full name without the level in front (残疾人联合会 for 市残疾人联合会): how a
    // unit is written under a heading that already names the place.
    let bare: Vec<(String, usize)> = keys
        .iter()
        .filter_map(|(k, i)| k.strip_prefix(place.1.as_str()).filter(|b| b.chars().count() >= 4).map(|b| (b.to_string(), *i)))
        .collect();
    let known: std::collections::HashSet<String> = keys.iter().map(|(k, _)| k.clone()).collect();
    let mut added = std::collections::HashSet::new();
    for (b, i) in bare {
        if !known.contains(&b) && added.insert(b.clone()) {
            keys.push((b, i));
        }
    }
    // Longest first; among equals, the order of units.toml.
    keys.sort_by(|a, b| b.0.chars().count().cmp(&a.0.chars().count()).then(a.1.cmp(&b.1)));
    keys
}

/// Normalised indicator names and aliases → position, names first.
fn name_index(indicators: &[Indicator]) -> std::collections::HashMap<String, usize> {
    let mut index = std::collections::HashMap::new();
    for (i, ind) in indicators.iter().enumerate() {
        index.entry(normalize_name(&ind.name)).or_insert(i);
    }
    for (i, ind) in indicators.iter().enumerate() {
        for a in &ind.aliases {
            index.entry(normalize_name(a)).or_insert(i);
        }
    }
    index
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The file could not be read as text (missing rights, too large, not UTF-8).
    #[error("无法读取计划表文件：{0}")]
    Read(String),
    #[error("计划表文件 {0}")]
    Parse(String),
    #[error("计划表 {origin} 内容有误：{message}。")]
    Invalid { origin: String, message: String },
}

/// The largest plan table read (the tables of a county's plan are a few hundred KB; a
/// plan at the size limits below is about 10 MB).
pub const MAX_TABLE_BYTES: u64 = 32 << 20;

/// The most a plan may hold. The monitoring is made for a county's plan (30 indicators,
/// a dozen units); these bounds keep every stage's time and memory bounded whatever the
/// tables say.
pub const MAX_INDICATORS: usize = 2_000;
/// Units: a county has a few dozen; the bench registers thousands of synthetic ones
/// (its batch of 12,000 returns of different units).
pub const MAX_UNITS: usize = 5_000;
pub const MAX_PROJECTS: usize = 2_000;
pub const MAX_TASKS: usize = 2_000;
/// Areas (领域) of the indicators: the report has a chapter for each.
pub const MAX_AREAS: usize = 100;
/// Aliases of one indicator or unit, conflicts of one indicator, items of one row.
pub const MAX_LIST: usize = 50;
/// The longest plan title (its part before the period in brackets becomes part of the
/// output file names), area and name, in characters.
pub const MAX_TITLE_CHARS: usize = 100;
pub const MAX_SHORT_TITLE_CHARS: usize = 60;
pub const MAX_NAME_CHARS: usize = 200;
/// The longest free text of a row (source, note, a project's content).
pub const MAX_TEXT_CHARS: usize = 5_000;

fn load_text(dir: Option<&Path>, file: &str, embedded: &'static str) -> Result<(String, String), PlanError> {
    if let Some(dir) = dir {
        let path = dir.join(file);
        if std::fs::symlink_metadata(&path).is_ok() {
            let text = crate::config::read_text(&path, MAX_TABLE_BYTES).map_err(PlanError::Read)?;
            return Ok((text, path.display().to_string()));
        }
    }
    Ok((embedded.to_string(), format!("内置 templates/{file}")))
}

fn parse<T: serde::de::DeserializeOwned>(text: &str, origin: &str) -> Result<T, PlanError> {
    toml::from_str(text).map_err(|e| PlanError::Parse(crate::config::toml_problem(origin, text, &e)))
}

impl Plan {
    /// The plan as embedded in the binary.
    pub fn embedded() -> Result<Plan, PlanError> {
        Plan::load(None)
    }

    /// Load the plan tables from `dir` where a file exists there, else the embedded copy.
    pub fn load(dir: Option<&Path>) -> Result<Plan, PlanError> {
        let (text, ind_origin) = load_text(dir, "indicators.toml", EMBEDDED_INDICATORS)?;
        let indicators: IndicatorFile = parse(&text, &ind_origin)?;
        let (text, unit_origin) = load_text(dir, "units.toml", EMBEDDED_UNITS)?;
        let units: UnitFile = parse(&text, &unit_origin)?;
        let (text, proj_origin) = load_text(dir, "projects.toml", EMBEDDED_PROJECTS)?;
        let projects: ProjectFile = parse(&text, &proj_origin)?;
        let (text, rules_origin) = load_text(dir, "rules.toml", EMBEDDED_RULES)?;
        let rules: Rules = parse(&text, &rules_origin)?;
        let tables = PlanTables {
            version: indicators.version,
            title: indicators.plan,
            start: indicators.plan_start,
            end: indicators.plan_end,
            baseline_year: indicators.baseline_year,
            indicators: indicators.indicator,
            units: units.unit,
            projects: projects.project,
            tasks: projects.task,
            rules,
            official: Official { indicators: indicators.official, projects: projects.official },
        };
        Plan::from_tables(tables, vec![ind_origin, unit_origin, proj_origin, rules_origin])
    }

    /// The tables as they are, for a reading worker process.
    pub fn tables(&self) -> PlanTables {
        PlanTables {
            version: self.version.clone(),
            title: self.title.clone(),
            start: self.start,
            end: self.end,
            baseline_year: self.baseline_year,
            indicators: self.indicators.clone(),
            units: self.units.clone(),
            projects: self.projects.clone(),
            tasks: self.tasks.clone(),
            rules: self.rules.clone(),
            official: self.official,
        }
    }

    /// The plan from its tables: the lookups built and the tables checked.
    pub fn from_tables(t: PlanTables, sources: Vec<String>) -> Result<Plan, PlanError> {
        let sources = if sources.is_empty() { vec!["内置".to_string()] } else { sources };
        let mut plan = Plan {
            version: t.version,
            title: t.title,
            start: t.start,
            end: t.end,
            baseline_year: t.baseline_year,
            indicators: t.indicators,
            units: t.units,
            projects: t.projects,
            tasks: t.tasks,
            rules: t.rules,
            official: t.official,
            sources,
            names: std::collections::HashMap::new(),
            unit_keys: Vec::new(),
            unit_finder: None,
            place: (String::new(), String::new()),
            ids: std::collections::HashMap::new(),
            unit_index: std::collections::HashMap::new(),
        };
        plan.place = place_of(&plan.title);
        for i in &mut plan.indicators {
            i.shared = SharedText { id: i.id.as_str().into(), name: i.name.as_str().into(), unit: i.unit.as_str().into() };
        }
        plan.names = name_index(&plan.indicators);
        for (k, i) in plan.indicators.iter().enumerate() {
            plan.ids.entry(i.id.clone()).or_insert(k);
        }
        plan.unit_keys = unit_keys(&plan.units, &plan.place);
        plan.unit_finder = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(plan.unit_keys.iter().map(|(k, _)| k))
            .ok();
        for (k, i) in &plan.unit_keys {
            plan.unit_index.entry(k.clone()).or_insert(*i);
        }
        plan.check()?;
        Ok(plan)
    }

    /// The tables' origins: indicators, units, projects, rules (as `load` lists them).
    fn origin(&self, table: usize) -> String {
        self.sources.get(table).or(self.sources.first()).cloned().unwrap_or_default()
    }

    /// Every table within its stated bounds and consistent with the others: sizes,
    /// years, ids unique, units known and usable as file names, numbers finite, rules
    /// in range. One pass over each table (hash lookups), so that a large table is
    /// refused or accepted quickly.
    fn check(&self) -> Result<(), PlanError> {
        let (ind, units, projects, rules) = (self.origin(0), self.origin(1), self.origin(2), self.origin(3));
        let invalid = |origin: &str, message: String| PlanError::Invalid { origin: origin.to_string(), message };
        // units.toml first: the other tables refer to it.
        if self.units.is_empty() || self.units.len() > MAX_UNITS {
            return Err(invalid(&units, format!("有 {} 个单位，应为 1 至 {MAX_UNITS} 个", self.units.len())));
        }
        let mut known: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
        for (k, u) in self.units.iter().enumerate() {
            let at = format!("第{}个单位 name = \"{}\"", k + 1, crate::text::printable(&u.name, 60));
            crate::names::unit_name(&u.name)
                .map_err(|why| invalid(&units, format!("{at} 不能用作单位名称：{why}。{}", crate::names::unit_advice())))?;
            if let Some(other) = known.insert(crate::names::key(&u.name), &u.name) {
                return Err(invalid(
                    &units,
                    format!("{at} 与单位“{other}”只差字母大小写或 Unicode 编码形式，在 Windows 上是同一个文件名；请合并或改名"),
                ));
            }
            text_bound(&units, &format!("单位 {} 的 full", u.name), &u.full, MAX_NAME_CHARS, false)?;
            list_bound(&units, &format!("单位 {} 的 aliases", u.name), &u.aliases)?;
        }
        let registered: std::collections::HashSet<&str> = self.units.iter().map(|u| u.name.as_str()).collect();
        // A responsible unit: a usable name, and registered.
        let responsible = |origin: &str, what: &str, list: &[String]| -> Result<(), PlanError> {
            // Any of the plan's units may share a row.
            if list.len() > MAX_UNITS {
                return Err(invalid(origin, format!("{what}有 {} 个责任单位，最多 {MAX_UNITS} 个", list.len())));
            }
            for unit in list {
                if let Err(why) = crate::names::unit_name(unit) {
                    return Err(invalid(
                        origin,
                        format!(
                            "{what}的责任单位“{}”不能用作单位名称：{why}。{}",
                            crate::text::printable(unit, 60),
                            crate::names::unit_advice()
                        ),
                    ));
                }
                if !registered.contains(unit.as_str()) {
                    return Err(invalid(origin, format!("{what}的责任单位“{unit}”未在 units.toml 中登记")));
                }
            }
            Ok(())
        };
        // indicators.toml: the plan itself.
        text_bound(&ind, "plan（方案名称）", &self.title, MAX_TITLE_CHARS, true)?;
        let short = self.short_title();
        if short.chars().count() > MAX_SHORT_TITLE_CHARS {
            return Err(invalid(
                &ind,
                format!(
                    "方案名称“{short}”有 {} 个字，括号前最多 {MAX_SHORT_TITLE_CHARS} 个字（它是报告和汇总表文件名的开头）",
                    short.chars().count()
                ),
            ));
        }
        if let Err(why) = crate::names::SafeName::new(&short) {
            return Err(invalid(&ind, format!("方案名称“{}”不能用作报告和汇总表文件名的开头：{why}", crate::text::printable(&short, 60))));
        }
        if !(2000..=2100).contains(&self.baseline_year)
            || self.baseline_year >= self.start
            || self.start > self.end
            || self.end > 2100
            || self.end - self.start > 20
        {
            return Err(invalid(
                &ind,
                format!(
                    "规划起止年份或基期年份有误（baseline_year = {}，plan_start = {}，plan_end = {}）：应为 2000—2100 年间，基期年早于起始年，起始年不晚于末年，规划期不超过 20 年",
                    self.baseline_year, self.start, self.end
                ),
            ));
        }
        if self.indicators.is_empty() || self.indicators.len() > MAX_INDICATORS {
            return Err(invalid(&ind, format!("有 {} 项指标，应为 1 至 {MAX_INDICATORS} 项", self.indicators.len())));
        }
        let mut seen = std::collections::HashSet::new();
        for i in &self.indicators {
            id_bound(&ind, "指标", &i.id)?;
            if !seen.insert(i.id.as_str()) {
                return Err(invalid(&ind, format!("指标编号 {} 重复", i.id)));
            }
            let what = row_name("指标", &i.id, &i.origin);
            text_bound(&ind, &format!("{what}的 name"), &i.name, MAX_NAME_CHARS, true)?;
            text_bound(&ind, &format!("{what}的 area"), &i.area, MAX_NAME_CHARS, true)?;
            text_bound(&ind, &format!("{what}的 unit"), &i.unit, 20, false)?;
            for (key, text) in
                [("source", &i.source), ("note", &i.note), ("responsibility_source", &i.responsibility_source), ("origin", &i.origin)]
            {
                text_bound(&ind, &format!("{what}的 {key}"), text, MAX_TEXT_CHARS, false)?;
            }
            list_bound(&ind, &format!("{what}的 aliases"), &i.aliases)?;
            if i.conflicts.len() > MAX_LIST {
                return Err(invalid(&ind, format!("{what}的 conflicts 有 {} 条，最多 {MAX_LIST} 条", i.conflicts.len())));
            }
            for c in &i.conflicts {
                for text in [&c.topic, &c.goal_text, &c.task_text, &c.used] {
                    text_bound(&ind, &format!("{what}的 conflicts"), text, MAX_TEXT_CHARS, false)?;
                }
            }
            if i.responsible.is_empty() {
                return Err(invalid(&ind, format!("指标 {} 没有责任单位", i.id)));
            }
            responsible(&ind, &what, &i.responsible)?;
            for (year, v) in &i.milestones {
                match year.parse::<i32>() {
                    Ok(y) if (self.start..=self.end).contains(&y) => {}
                    _ => return Err(invalid(&ind, format!("指标 {} 的年度节点“{}”不在规划期内", i.id, year))),
                }
                number_bound(&ind, &format!("{what}{year}年的节点"), *v)?;
            }
            number_bound(&ind, &format!("{what}的目标值"), i.target)?;
            if i.seq.is_some() && !i.is_goal() {
                return Err(invalid(
                    &ind,
                    format!("{what}是重点任务的量化目标（kind = \"task\"），却有附件1序号 seq = {}：序号只属于主要指标，请删去 seq 或把 kind 改为 \"goal\"", i.seq.unwrap_or(0)),
                ));
            }
            if let Some(b) = i.baseline {
                number_bound(&ind, &format!("{what}的基期值"), b)?;
            }
        }
        let areas = self.areas().len();
        if areas > MAX_AREAS {
            return Err(invalid(&ind, format!("指标分属 {areas} 个领域（area），最多 {MAX_AREAS} 个")));
        }
        // projects.toml
        if self.projects.len() > MAX_PROJECTS || self.tasks.len() > MAX_TASKS {
            return Err(invalid(
                &projects,
                format!("有 {} 个项目、{} 项重点任务，各最多 {MAX_PROJECTS} 个", self.projects.len(), self.tasks.len()),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let years = self.baseline_year..=self.end + crate::config::YEARS_AFTER_PLAN;
        for p in &self.projects {
            id_bound(&projects, "项目", &p.id)?;
            if !seen.insert(p.id.as_str()) {
                return Err(invalid(&projects, format!("项目编号 {} 重复", p.id)));
            }
            let what = row_name("项目", &p.id, &p.origin);
            text_bound(&projects, &format!("{what}的 name"), &p.name, MAX_NAME_CHARS, true)?;
            for (key, text) in [("goal", &p.goal), ("source", &p.source), ("period", &p.period), ("origin", &p.origin)] {
                text_bound(&projects, &format!("{what}的 {key}"), text, MAX_TEXT_CHARS, false)?;
            }
            responsible(&projects, &what, &p.responsible)?;
            if let Some(v) = p.investment {
                if !v.is_finite() || !(0.0..=1e12).contains(&v) {
                    return Err(invalid(&projects, format!("{what}的 investment = {v}：总投资应为 0 至 1万亿 之间的数（万元）")));
                }
            }
            if let Some(y) = p.due.filter(|y| !years.contains(y)) {
                return Err(invalid(&projects, format!("{what}的完成年份 due = {y} 不在 {}—{} 年之间", years.start(), years.end())));
            }
        }
        // The projects a task or an indicator is tied to are projects of the plan.
        let project_ids: std::collections::HashSet<&str> = self.projects.iter().map(|p| p.id.as_str()).collect();
        let tied = |origin: &str, what: &str, key: &str, list: &[String]| -> Result<(), PlanError> {
            if list.len() > MAX_LIST {
                return Err(invalid(origin, format!("{what}的 {key} 有 {} 个项目，最多 {MAX_LIST} 个", list.len())));
            }
            match list.iter().find(|id| !project_ids.contains(id.as_str())) {
                Some(id) => Err(invalid(
                    origin,
                    format!("{what}的 {key} 中的项目编号“{}”不在项目表（projects.toml）中", crate::text::printable(id, 40)),
                )),
                None => Ok(()),
            }
        };
        for i in &self.indicators {
            tied(&ind, &row_name("指标", &i.id, &i.origin), "projects", &i.projects)?;
        }
        let mut seen = std::collections::HashSet::new();
        for t in &self.tasks {
            id_bound(&projects, "重点任务", &t.id)?;
            if !seen.insert(t.id.as_str()) {
                return Err(invalid(&projects, format!("重点任务编号 {} 重复", t.id)));
            }
            let what = format!("重点任务 {} ", t.id);
            text_bound(&projects, &format!("{what}的 name"), &t.name, MAX_NAME_CHARS, true)?;
            text_bound(&projects, &format!("{what}的 source"), &t.source, MAX_TEXT_CHARS, false)?;
            if t.responsible.is_empty() {
                return Err(invalid(&projects, format!("重点任务 {} 没有责任单位", t.id)));
            }
            responsible(&projects, &what, &t.responsible)?;
            tied(&projects, &what, "projects", &t.projects)?;
            tied(&projects, &what, "starts", &t.starts)?;
            if let Some(y) = t.due.filter(|y| !years.contains(y)) {
                return Err(invalid(&projects, format!("{what}的完成年份 due = {y} 不在 {}—{} 年之间", years.start(), years.end())));
            }
        }
        self.rules.check().map_err(|message| invalid(&rules, message))?;
        Ok(())
    }

    /// The plan's title without its period in brackets: 仁怀市公共服务发展行动方案.
    pub fn short_title(&self) -> String {
        match self.title.find(['(', '（']) {
            Some(i) => self.title[..i].to_string(),
            None => self.title.clone(),
        }
    }

    /// The plausible-range rule that applies to an indicator (ids, then unit+comparison, then unit).
    pub fn range_for(&self, ind: &Indicator) -> Option<&RangeRule> {
        let r = &self.rules.ranges;
        r.iter()
            .find(|r| r.ids.iter().any(|id| id == &ind.id))
            .or_else(|| r.iter().find(|r| r.ids.is_empty() && r.unit == ind.unit && r.comparison == Some(ind.comparison)))
            .or_else(|| r.iter().find(|r| r.ids.is_empty() && r.unit == ind.unit && r.comparison.is_none()))
    }

    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.ids.get(id).map(|&k| &self.indicators[k])
    }

    pub fn unit(&self, name: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.name == name)
    }

    /// Position of an indicator in 附件1 order (goals first, then task targets).
    pub fn order(&self, id: &str) -> usize {
        self.ids.get(id).copied().unwrap_or(usize::MAX)
    }

    /// Areas in the plan's order.
    pub fn areas(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.indicators.iter().filter(|i| seen.insert(i.area.as_str())).map(|i| i.area.clone()).collect()
    }

    /// Units that are expected to send returns, in the order of units.toml.
    pub fn reporting_units(&self) -> Vec<&Unit> {
        let named: std::collections::HashSet<&str> = self
            .indicators
            .iter()
            .flat_map(|i| &i.responsible)
            .chain(self.projects.iter().flat_map(|p| &p.responsible))
            .chain(self.tasks.iter().flat_map(|t| &t.responsible))
            .map(String::as_str)
            .collect();
        self.units.iter().filter(|u| u.sends_returns() && named.contains(u.name.as_str())).collect()
    }

    /// The areas a unit has indicators, projects or key tasks in, in the plan's order.
    pub fn areas_of(&self, unit: &str) -> Vec<String> {
        let mine = |resp: &[String]| resp.iter().any(|r| r == unit);
        let theirs: std::collections::HashSet<&str> = self
            .indicators
            .iter()
            .filter(|i| mine(&i.responsible))
            .map(|i| i.area.as_str())
            .chain(self.projects.iter().filter(|p| mine(&p.responsible)).map(|p| p.area.as_str()))
            .chain(self.tasks.iter().filter(|t| mine(&t.responsible)).map(|t| t.area.as_str()))
            .collect();
        self.areas().into_iter().filter(|a| theirs.contains(a.as_str())).collect()
    }

    /// The areas of every unit with indicators, projects or key tasks, in one pass (the
    /// same sets as `areas_of`).
    pub fn areas_by_unit(&self) -> HashMap<&str, HashSet<&str>> {
        let mut out: HashMap<&str, HashSet<&str>> = HashMap::new();
        let responsible = self
            .indicators
            .iter()
            .map(|i| (&i.responsible, i.area.as_str()))
            .chain(self.projects.iter().map(|p| (&p.responsible, p.area.as_str())))
            .chain(self.tasks.iter().map(|t| (&t.responsible, t.area.as_str())));
        for (units, area) in responsible {
            for unit in units {
                out.entry(unit.as_str()).or_default().insert(area);
            }
        }
        out
    }

    /// The indicators each unit leads (its first responsible unit), in plan order.
    pub fn indicators_by_lead(&self) -> HashMap<&str, Vec<&Indicator>> {
        let mut out: HashMap<&str, Vec<&Indicator>> = HashMap::new();
        for i in &self.indicators {
            out.entry(i.lead_unit()).or_default().push(i);
        }
        out
    }

    /// Indicators a unit is responsible for (lead or co-responsible).
    pub fn indicators_of(&self, unit: &str) -> Vec<&Indicator> {
        self.indicators.iter().filter(|i| i.responsible.iter().any(|r| r == unit)).collect()
    }

    /// Find a unit from how people write it: full name, short name, alias, with or
    /// without 仁怀市 and spaces. Returns the unit's canonical name.
    pub fn resolve_unit(&self, written: &str) -> Option<&Unit> {
        let key = unit_key(written, &self.place);
        if key.is_empty() {
            return None;
        }
        self.unit_index.get(&key).map(|&i| &self.units[i])
    }

    /// Find a unit named somewhere inside a longer text (a file name, a title): the one
    /// named first (住建局2025年度（含城建集团） is 住建局's), and at one place the longest
    /// spelling, so that 市住房城乡建设局 beats 住建局.
    pub fn find_unit_in(&self, text: &str) -> Option<&Unit> {
        let hay = unit_key(text, &self.place);
        let found = self.unit_finder.as_ref()?.find(hay.as_str())?;
        self.unit_keys.get(found.pattern().as_usize()).map(|(_, i)| &self.units[*i])
    }

    /// Match an indicator by id (G01), by its 附件1 序号, or by its name or an alias
    /// after normalising full/half-width, brackets, spaces, quotes and a trailing unit.
    pub fn match_indicator(&self, id_cell: &str, seq_cell: &str, name_cell: &str) -> Option<&Indicator> {
        let id = normalize_name(id_cell).to_uppercase();
        if !id.is_empty() {
            if let Some(ind) = self.indicator(&id) {
                return Some(ind);
            }
        }
        let name = normalize_name(name_cell);
        if !name.is_empty() {
            return self.by_name(&name);
        }
        // Only a 序号 and no name: the 附件1 order.
        let seq: Option<u32> = normalize_name(seq_cell).parse().ok();
        seq.and_then(|s| self.indicators.iter().find(|i| i.seq == Some(s)))
    }

    /// The indicator a (normalised) name names: the name or an alias as it is, without a
    /// unit in brackets at its end (`托位数(个)`), or without a note in brackets at its
    /// end (`城镇老旧小区改造完成(2023年起累计)`, as the template itself writes some).
    fn by_name(&self, name: &str) -> Option<&Indicator> {
        let mut name = name.to_string();
        for _ in 0..3 {
            if let Some(&i) = self.names.get(&name).or_else(|| self.names.get(&crate::text::strip_unit_suffix(&name))) {
                return Some(&self.indicators[i]);
            }
            let open = name.strip_suffix(')').and_then(|b| b.rfind('('))?;
            if open == 0 || name.len() - open > 90 {
                return None;
            }
            name.truncate(open);
        }
        None
    }

    /// The indicator of a row that gives an id and a name: where they point to different
    /// indicators the name decides when it names one indicator exactly (a return made
    /// from an older template whose ids now belong to other indicators), and the row
    /// is unclear when the name is plainly another indicator's but not exactly.
    pub fn match_row(&self, id_cell: &str, seq_cell: &str, name_cell: &str) -> RowMatch<'_> {
        let id = normalize_name(id_cell).to_uppercase();
        let by_id = (!id.is_empty()).then(|| self.indicators.iter().find(|i| i.id == id)).flatten();
        let name = normalize_name(name_cell);
        let by_name = (!name.is_empty()).then(|| self.by_name(&name)).flatten();
        match (by_id, by_name) {
            (Some(a), Some(b)) if a.id != b.id => RowMatch::ByName { by_name: b, by_id: a },
            (_, Some(b)) => RowMatch::One(b),
            (Some(a), None) if !name.is_empty() => {
                let own = crate::text::similarity(&name, &normalize_name(&a.name));
                match self.nearest_indicator(name_cell) {
                    Some(other)
                        if other.id != a.id && own < 0.5 && crate::text::similarity(&name, &normalize_name(&other.name)) >= 0.75 =>
                    {
                        RowMatch::Unclear { by_id: a, by_name: other }
                    }
                    _ => RowMatch::One(a),
                }
            }
            (Some(a), None) => RowMatch::One(a),
            (None, None) => match self.match_indicator("", seq_cell, name_cell) {
                Some(i) => RowMatch::One(i),
                None => RowMatch::None,
            },
        }
    }

    /// The indicator whose name is closest to a name that matched nothing (for the finding).
    pub fn nearest_indicator(&self, name: &str) -> Option<&Indicator> {
        let name = normalize_name(name);
        self.indicators
            .iter()
            .map(|i| (i, crate::text::similarity(&name, &normalize_name(&i.name))))
            .filter(|(_, s)| *s > 0.3)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    }
}

/// What a row's id and name cells say it is.
#[derive(Debug)]
pub enum RowMatch<'a> {
    One(&'a Indicator),
    /// The id names one indicator, the name (exactly) another: the name's is used.
    ByName {
        by_name: &'a Indicator,
        by_id: &'a Indicator,
    },
    /// The id names one indicator and the name is plainly another's, not exactly.
    Unclear {
        by_id: &'a Indicator,
        by_name: &'a Indicator,
    },
    None,
}

/// The place a plan is for and its level, from the title: 仁怀市公共服务发展行动方案 →
/// (仁怀市, 市); 某县公共服务发展规划 → (某县, 县). Empty when the title names none.
fn place_of(title: &str) -> (String, String) {
    let head: String = title.chars().take(12).collect();
    match head.char_indices().find(|(i, c)| *i > 0 && matches!(c, '市' | '县' | '区' | '旗' | '州')) {
        Some((i, c)) => (normalize_name(&head[..i + c.len_utf8()]), c.to_string()),
        None => (String::new(), String::new()),
    }
}

/// A row of a table as messages name it: its id, and where it was imported from.
fn row_name(kind: &str, id: &str, origin: &str) -> String {
    if origin.is_empty() {
        format!("{kind} {id} ")
    } else {
        format!("{kind} {id}（{}）", crate::text::printable(origin, 100))
    }
}

fn text_problem(text: &str, max: usize, required: bool) -> Option<String> {
    let n = text.chars().count();
    if required && text.trim().is_empty() {
        Some("不能为空".into())
    } else if let Some(c) = text.chars().find(|c| c.is_control() && !matches!(c, '\n' | '\t') || crate::text::xml_unsafe(*c)) {
        Some(format!("含有不可见的控制字符 U+{:04X}", c as u32))
    } else if n > max {
        Some(format!("有 {n} 个字，最多 {max} 个字"))
    } else {
        None
    }
}

fn text_bound(origin: &str, what: &str, text: &str, max: usize, required: bool) -> Result<(), PlanError> {
    match text_problem(text, max, required) {
        Some(why) => Err(PlanError::Invalid {
            origin: origin.to_string(),
            message: format!("{what}“{}”{why}", crate::text::printable(text, 40)),
        }),
        None => Ok(()),
    }
}

fn list_bound(origin: &str, what: &str, list: &[String]) -> Result<(), PlanError> {
    if list.len() > MAX_LIST {
        return Err(PlanError::Invalid {
            origin: origin.to_string(), message: format!("{what}有 {} 项，最多 {MAX_LIST} 项", list.len())
        });
    }
    list.iter().try_for_each(|a| text_bound(origin, what, a, MAX_NAME_CHARS, true))
}

/// An id (G01, P03, K1): 1 to 20 letters, digits, `-` or `_`.
fn id_bound(origin: &str, what: &str, id: &str) -> Result<(), PlanError> {
    if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(PlanError::Invalid {
            origin: origin.to_string(),
            message: format!("{what}编号“{}”有误：应为 1 至 20 个英文字母、数字、- 或 _，如 G01", crate::text::printable(id, 40)),
        });
    }
    Ok(())
}

/// A figure of the plan (a target, a milestone): a finite number of sane size.
fn number_bound(origin: &str, what: &str, v: f64) -> Result<(), PlanError> {
    if !v.is_finite() || v.abs() > 1e15 {
        return Err(PlanError::Invalid { origin: origin.to_string(), message: format!("{what}不是可用的数字（{v}）") });
    }
    Ok(())
}

/// A unit's name as compared: normalised, without 中共 in front, the plan's place
/// written as its level (仁怀市卫生健康局 → 市卫生健康局), and the long forms of the
/// party and government organs shortened (委员会 → 委, 人民政府 → 政府).
fn unit_key(s: &str, place: &(String, String)) -> String {
    let n = normalize_name(s);
    let n = n.strip_prefix("中共").unwrap_or(&n).to_string();
    let n = match (place.0.is_empty(), n.strip_prefix(place.0.as_str())) {
        (false, Some(r)) => format!("{}{r}", place.1),
        _ => n,
    };
    n.replace("委员会", "委").replace("人民政府", "政府")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_plan_loads_and_is_consistent() {
        let plan = Plan::embedded().unwrap();
        assert_eq!(plan.indicators.iter().filter(|i| i.kind == IndicatorKind::Goal).count(), 30);
        assert_eq!(plan.areas().len(), 9);
    }

    #[test]
    fn units_resolve_from_short_names() {
        let plan = Plan::embedded().unwrap();
        for (written, expected) in [
            ("市卫健局", "市卫生健康局"),
            ("仁怀市卫生健康局", "市卫生健康局"),
            ("人社局", "市人力资源和社会保障局"),
            ("住建局", "市住房城乡建设局"),
            ("仁怀市住房和城乡建设局", "市住房城乡建设局"),
            ("中共仁怀市委组织部", "市委组织部"),
            (" 市 医保局 ", "市医保局"),
        ] {
            assert_eq!(plan.resolve_unit(written).map(|u| u.name.as_str()), Some(expected), "{written}");
        }
        assert!(plan.resolve_unit("市气象局").is_none());
        assert_eq!(plan.find_unit_in("2024年 住建局 填报表（修改稿）").map(|u| u.name.as_str()), Some("市住房城乡建设局"));
    }
}
