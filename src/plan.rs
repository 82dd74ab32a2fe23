//! The plan as data: indicator table (附件1), responsible units and projects (附件2),
//! read from `templates/` at run time with the copies embedded at build time as defaults.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// 二、工作目标 中的指标（附件1）。
    Goal,
    /// 三、重点任务 中的量化任务目标。
    Task,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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
}

/// Said of a table row compiled from the plan's text rather than imported.
pub const FROM_TEXT: &str = "据方案正文整理";

impl Indicator {
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
pub struct Unit {
    pub name: String,
    pub full: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub role: String,
}

impl Unit {
    pub fn sends_returns(&self) -> bool {
        self.role == "returns"
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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
pub struct KeyTask {
    pub id: String,
    pub area: String,
    pub name: String,
    pub responsible: Vec<String>,
    /// The year the plan sets (None: by the plan's end).
    #[serde(default)]
    pub due: Option<i32>,
    pub source: String,
}

impl KeyTask {
    pub fn lead_unit(&self) -> &str {
        self.responsible.first().map(String::as_str).unwrap_or("")
    }
}

/// Thresholds for validation and progress assessment (templates/rules.toml).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rules {
    pub status: StatusRules,
    pub validate: ValidateRules,
    pub limits: Limits,
    #[serde(default)]
    pub ranges: Vec<RangeRule>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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
pub struct ValidateRules {
    /// A level that changes by more than this share of last year's figure is an outlier.
    pub jump_share: f64,
    /// Returns are due by this day of the following year (MM-DD), for “on time”.
    pub deadline: String,
}

/// What one input file may cost before it is refused (templates/rules.toml [limits]).
#[derive(Debug, Clone, Serialize, Deserialize)]
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
}

fn default_memory_mb() -> f64 {
    1024.0
}

/// Plausible bounds for a unit of measure; a value outside is an error finding.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
pub struct UnitFile {
    pub unit: Vec<Unit>,
}

/// templates/projects.toml.
#[derive(Debug, Serialize, Deserialize)]
pub struct ProjectFile {
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
    /// The place the plan is for, as its title begins (仁怀市), and the level it is
    /// written as in unit names (市): 仁怀市卫生健康局 is 市卫生健康局.
    place: (String, String),
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
    for (b, i) in bare {
        if !keys.iter().any(|(k, _)| *k == b) {
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
    #[error("无法读取计划表文件 {}：{}。", path.display(), crate::oserror::explain(source))]
    Io { path: PathBuf, source: std::io::Error },
    #[error("计划表文件 {origin} 格式有误：{message}")]
    Parse { origin: String, message: String },
    #[error("计划表 {origin} 内容有误：{message}")]
    Invalid { origin: String, message: String },
}

fn load_text(dir: Option<&Path>, file: &str, embedded: &'static str) -> Result<(String, String), PlanError> {
    if let Some(dir) = dir {
        let path = dir.join(file);
        if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|source| PlanError::Io { path: path.clone(), source })?;
            return Ok((text, path.display().to_string()));
        }
    }
    Ok((embedded.to_string(), format!("内置 templates/{file}")))
}

fn parse<T: serde::de::DeserializeOwned>(text: &str, origin: &str) -> Result<T, PlanError> {
    toml::from_str(text).map_err(|e| PlanError::Parse { origin: origin.to_string(), message: e.to_string() })
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
            place: (String::new(), String::new()),
        };
        plan.place = place_of(&plan.title);
        for i in &mut plan.indicators {
            i.shared = SharedText { id: i.id.as_str().into(), name: i.name.as_str().into(), unit: i.unit.as_str().into() };
        }
        plan.names = name_index(&plan.indicators);
        plan.unit_keys = unit_keys(&plan.units, &plan.place);
        plan.check()?;
        Ok(plan)
    }

    /// Consistency of the tables among themselves: ids unique, units known, years sane.
    fn check(&self) -> Result<(), PlanError> {
        let origin = self.sources[0].clone();
        let invalid = |message: String| PlanError::Invalid { origin: origin.clone(), message };
        let mut seen = std::collections::HashSet::new();
        for ind in &self.indicators {
            if !seen.insert(ind.id.as_str()) {
                return Err(invalid(format!("指标编号 {} 重复", ind.id)));
            }
            if ind.responsible.is_empty() {
                return Err(invalid(format!("指标 {} 没有责任单位", ind.id)));
            }
            for unit in &ind.responsible {
                if self.unit(unit).is_none() {
                    return Err(invalid(format!("指标 {} 的责任单位“{}”未在 units.toml 中登记", ind.id, unit)));
                }
            }
            for year in ind.milestones.keys() {
                match year.parse::<i32>() {
                    Ok(y) if (self.start..=self.end).contains(&y) => {}
                    _ => return Err(invalid(format!("指标 {} 的年度节点“{}”不在规划期内", ind.id, year))),
                }
            }
            if !ind.target.is_finite() {
                return Err(invalid(format!("指标 {} 的目标值不是数字", ind.id)));
            }
        }
        for p in &self.projects {
            for unit in &p.responsible {
                if self.unit(unit).is_none() {
                    return Err(invalid(format!("项目 {} 的责任单位“{}”未在 units.toml 中登记", p.id, unit)));
                }
            }
        }
        for t in &self.tasks {
            if t.responsible.is_empty() || t.responsible.iter().any(|u| self.unit(u).is_none()) {
                return Err(invalid(format!("重点任务 {} 的责任单位“{}”未在 units.toml 中登记", t.id, t.responsible.join("、"))));
            }
        }
        if self.start > self.end || self.baseline_year >= self.start {
            return Err(invalid("规划起止年份或基期年份有误".to_string()));
        }
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
        self.indicators.iter().find(|i| i.id == id)
    }

    pub fn unit(&self, name: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.name == name)
    }

    /// Position of an indicator in 附件1 order (goals first, then task targets).
    pub fn order(&self, id: &str) -> usize {
        self.indicators.iter().position(|i| i.id == id).unwrap_or(usize::MAX)
    }

    /// Areas in the plan's order.
    pub fn areas(&self) -> Vec<String> {
        let mut areas: Vec<String> = Vec::new();
        for ind in &self.indicators {
            if !areas.contains(&ind.area) {
                areas.push(ind.area.clone());
            }
        }
        areas
    }

    /// Units that are expected to send returns, in the order of units.toml.
    pub fn reporting_units(&self) -> Vec<&Unit> {
        self.units
            .iter()
            .filter(|u| {
                u.sends_returns()
                    && (self.indicators.iter().any(|i| i.responsible.contains(&u.name))
                        || self.projects.iter().any(|p| p.responsible.contains(&u.name))
                        || self.tasks.iter().any(|t| t.responsible.contains(&u.name)))
            })
            .collect()
    }

    /// The areas a unit has indicators, projects or key tasks in, in the plan's order.
    pub fn areas_of(&self, unit: &str) -> Vec<String> {
        let mine = |resp: &[String]| resp.iter().any(|r| r == unit);
        self.areas()
            .into_iter()
            .filter(|a| {
                self.indicators.iter().any(|i| &i.area == a && mine(&i.responsible))
                    || self.projects.iter().any(|p| &p.area == a && mine(&p.responsible))
                    || self.tasks.iter().any(|t| &t.area == a && mine(&t.responsible))
            })
            .collect()
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
        self.unit_keys.iter().find(|(k, _)| *k == key).map(|(_, i)| &self.units[*i])
    }

    /// Find a unit named somewhere inside a longer text (a file name, a title).
    /// The longest matching spelling wins so that 市住房城乡建设局 beats 住建局.
    pub fn find_unit_in(&self, text: &str) -> Option<&Unit> {
        let hay = unit_key(text, &self.place);
        // unit_keys is sorted longest first: the first spelling found is the longest.
        self.unit_keys.iter().find(|(k, _)| hay.contains(k.as_str())).map(|(_, i)| &self.units[*i])
    }

    /// Match an indicator by id (G01), by its 附件1 序号, or by its name or an alias
    /// after normalising full/half-width, brackets, spaces, quotes and a trailing unit.
    pub fn match_indicator(&self, id_cell: &str, seq_cell: &str, name_cell: &str) -> Option<&Indicator> {
        let id = normalize_name(id_cell).to_uppercase();
        if !id.is_empty() {
            if let Some(ind) = self.indicators.iter().find(|i| i.id == id) {
                return Some(ind);
            }
        }
        let name = normalize_name(name_cell);
        if !name.is_empty() {
            let stripped = crate::text::strip_unit_suffix(&name);
            let found = self.names.get(&name).or_else(|| self.names.get(&stripped));
            return found.map(|&i| &self.indicators[i]);
        }
        // Only a 序号 and no name: the 附件1 order.
        let seq: Option<u32> = normalize_name(seq_cell).parse().ok();
        seq.and_then(|s| self.indicators.iter().find(|i| i.seq == Some(s)))
    }

    /// The indicator of a row that gives an id and a name: where they point to different
    /// indicators the name decides when it names one indicator exactly (a return made
    /// from an older template whose ids now belong to other indicators), and the row
    /// is unclear when the name is plainly another indicator's but not exactly.
    pub fn match_row(&self, id_cell: &str, seq_cell: &str, name_cell: &str) -> RowMatch<'_> {
        let id = normalize_name(id_cell).to_uppercase();
        let by_id = (!id.is_empty()).then(|| self.indicators.iter().find(|i| i.id == id)).flatten();
        let name = normalize_name(name_cell);
        let by_name = (!name.is_empty())
            .then(|| self.names.get(&name).or_else(|| self.names.get(&crate::text::strip_unit_suffix(&name))).map(|&i| &self.indicators[i]))
            .flatten();
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
