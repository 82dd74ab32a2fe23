//! Stage 4 — assess: the one owner of every fact the documents state. From the plan,
//! what was read, the checked settings and the earlier runs it builds one
//! [`Assessment`], once, and freezes it: the renderers (workbook, report, feedback
//! sheets, Word files, CSVs, terminal and JSON summaries) take it by shared reference
//! and only format it.
//!
//! The pipeline, in this order: the versions of each return (`versions`); the
//! reporting year (set, or the latest in the returns); the year's scope — returns of
//! later years are set aside as 不在本次汇总年度, and the findings kept are those of the
//! reporting year; the figure used per indicator and year (`figures`); the rules
//! (`validate`); each indicator judged in each year (`indicators`, `judge`); the
//! projects, key tasks and the units' texts, with tasks and projects checked against
//! each other (`works`); the units' summaries and feedback sheets (`units`); the
//! comparison with the earlier runs (`changes`); and last the characters no embedded
//! font has, so that nothing after the freeze adds a finding.

pub mod changes;
pub mod final_eval;
pub mod indicators;
pub mod judge;
pub mod units;
pub mod works;

use std::collections::{BTreeSet, HashMap, HashSet};

use anyhow::Result;
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use crate::figures::{Conflict, Figure, Figures, ReturnStatus};
pub use changes::{ChangeKind, ChangeLog, FollowItem, FollowUp};
pub use indicators::{AreaSummary, IndicatorYear, StatusCounts};
pub use judge::{Basis, Period, Status};
pub use units::{FeedbackRow, UnitFeedback, UnitSummary};
pub use works::{AreaInvestment, AreaWork, ProjectCounts, ProjectProgress, TaskCounts, TaskProgress};

use crate::config::RunConfig;
use crate::finding::{self, Code, Finding, Severity};
use crate::history::{Run, Snapshot};
use crate::names::SafeName;
use crate::plan::{IndicatorKind, Plan};
use crate::read::{Fate, InputFile, NotUsed, ObsKind, Observation, ProjectReport, ReadOutcome, Unused};

/// What the documents say about themselves: who issues them, to whom, when, and the
/// names of the files.
#[derive(Debug, Clone)]
pub struct Documents {
    /// Issuing office (the coordinating unit in units.toml, or planmon.toml).
    pub office: String,
    /// The report's 主送机关 (without the colon).
    pub recipient: String,
    /// The 成文日期 (北京时间), and the time stamped into every output (seconds since
    /// 1970): SOURCE_DATE_EPOCH when set, else the start of that day in Beijing, so that
    /// runs of one day with the same inputs give the same bytes.
    pub date: time::Date,
    pub date_text: String,
    pub created_unix: i64,
    pub report_name: SafeName,
    pub report_word_name: SafeName,
    pub workbook_name: SafeName,
    /// Word files are made too.
    pub word: bool,
    /// Annotated copies of the returns with problems are made (`annotate`), named by
    /// this pattern ({unit}, {year}).
    pub annotate: bool,
    pub annotated_name: String,
}

/// A time (seconds since 1970) as typst takes it.
pub fn typst_time(unix: i64) -> typst::foundations::Datetime {
    let date = crate::clock::utc_date(unix);
    let secs = unix - crate::clock::utc_midnight(date);
    let (y, m, d) = (date.year(), u8::from(date.month()), date.day());
    typst::foundations::Datetime::from_ymd_hms(y, m, d, (secs / 3600) as u8, (secs / 60 % 60) as u8, (secs % 60) as u8)
        .unwrap_or_else(|| typst::foundations::Datetime::from_ymd(y, m, d).expect("valid date"))
}

/// The report of `year` is the plan's final evaluation: its last year, or a year after
/// it when asked (`--final`, `final = true`).
pub fn is_final_year(plan: &Plan, config: &RunConfig, year: i32) -> bool {
    year == plan.end || (year > plan.end && config.final_eval)
}

impl Documents {
    fn new(plan: &Plan, config: &RunConfig, year: i32) -> Result<Documents> {
        let (date, created_unix) = config.dated;
        let short = plan.short_title();
        let names = config.names(year, is_final_year(plan, config, year).then_some(short.as_str()))?;
        Ok(Documents {
            office: config.office.clone().unwrap_or_else(|| {
                plan.units.iter().find(|u| u.role == crate::plan::Role::Coordinator).map(|u| u.full.clone()).unwrap_or_default()
            }),
            recipient: config.recipient.clone().unwrap_or_else(|| "市人民政府".to_string()),
            date,
            date_text: crate::clock::chinese_date(date),
            created_unix,
            report_name: names.report,
            report_word_name: names.report_word,
            workbook_name: names.workbook,
            word: config.word,
            annotate: config.annotate,
            annotated_name: config.annotated_name.clone(),
        })
    }

    /// The creation time as typst takes it.
    pub fn created_datetime(&self) -> typst::foundations::Datetime {
        typst_time(self.created_unix)
    }
}

/// The findings of the reporting year by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FindingCounts {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

impl FindingCounts {
    pub fn of(findings: &[Finding]) -> FindingCounts {
        FindingCounts::of_iter(findings.iter())
    }

    pub fn of_iter<'a>(findings: impl Iterator<Item = &'a Finding>) -> FindingCounts {
        let mut n = FindingCounts::default();
        for f in findings {
            *match f.severity {
                Severity::Error => &mut n.error,
                Severity::Warning => &mut n.warning,
                Severity::Info => &mut n.info,
            } += 1;
        }
        n
    }
}

/// The input files by fate, and the figures read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct InputCounts {
    pub read: usize,
    pub rejected: usize,
    pub skipped: usize,
    pub superseded: usize,
    /// Returns of later years than the reporting year (不在本次汇总年度).
    pub out_of_scope: usize,
    /// Cells read (with or without a figure) and figures among them.
    pub observations: usize,
    pub figures: usize,
    /// Of the returns read, those that say their figures are sample data (示例数据).
    #[serde(default)]
    pub sample: usize,
}

impl InputCounts {
    pub fn of(&self, fate: Fate) -> usize {
        match fate {
            Fate::Read => self.read,
            Fate::Rejected => self.rejected,
            Fate::Skipped => self.skipped,
            Fate::Superseded => self.superseded,
            Fate::OutOfScope => self.out_of_scope,
        }
    }
}

/// A return of the reporting year sent after the deadline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LateReturn {
    pub unit: String,
    /// Its 填报日期, and the deadline (YYYY-MM-DD).
    pub filled_date: String,
    pub deadline: String,
}

/// A return read whose 填报日期 is after the 成文日期: the documents, dated earlier,
/// acknowledge it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatedAfter {
    pub unit: String,
    pub file: String,
    /// Its 填报日期 (YYYY-MM-DD).
    pub filled_date: String,
}

/// Everything one run states, computed once. Built by [`assess`]; nothing changes it
/// afterwards.
#[derive(Debug, Serialize)]
pub struct Assessment {
    #[serde(skip)]
    pub plan: Plan,
    /// The reporting year, and the plan's years.
    pub year: i32,
    pub period: Period,
    #[serde(skip)]
    pub documents: Documents,
    /// Short fingerprint of the inputs (names and contents).
    pub fingerprint: String,
    /// Every input file and what became of it.
    pub files: Vec<InputFile>,
    /// Every cell read of the returns in scope (years up to the reporting year), and for
    /// each: None when it is the figure used, else why not.
    #[serde(skip)]
    pub observations: Vec<Observation>,
    #[serde(skip)]
    pub fates: Vec<Option<NotUsed>>,
    /// Figures read but set aside before the choice (hidden, part-year, older versions).
    #[serde(skip)]
    pub unused: Vec<Unused>,
    #[serde(skip)]
    pub project_reports: Vec<ProjectReport>,
    /// The findings of the reporting year (and those about the batch as a whole),
    /// sorted by unit, severity, file and cell; and their counts.
    pub findings: Vec<Finding>,
    pub finding_counts: FindingCounts,
    /// Of them, those about a responsible unit's return: on its feedback sheet. The
    /// rest are about files no unit could be told of, or about the run itself.
    pub fed_back: FindingCounts,
    /// Returns read whose 填报日期 is later than the documents' 成文日期.
    pub dated_after: Vec<DatedAfter>,
    pub inputs: InputCounts,
    /// Every indicator in every year from the plan's start to the reporting year, in
    /// the indicator table's order.
    pub progress: Vec<IndicatorYear>,
    /// Decimals to show each indicator's figures with: as many as any figure of it was
    /// reported with (or its target has), so that display never changes a number.
    pub decimals: HashMap<String, usize>,
    /// Different figures for one indicator and year, in every year assessed; and the
    /// reporting year's alone.
    pub conflicts: Vec<Conflict>,
    pub conflicts_this_year: Vec<Conflict>,
    /// 附件1 main indicators and the key tasks' targets by status, reporting year.
    pub goals: StatusCounts,
    pub targets: StatusCounts,
    pub areas: Vec<AreaSummary>,
    /// Indicators (of both kinds, in the table's order) behind in the reporting year,
    /// and without a figure.
    pub lagging: Vec<String>,
    pub no_data: Vec<String>,
    pub units: Vec<UnitSummary>,
    pub returns: Vec<ReturnStatus>,
    /// Units without a return for the reporting year; returns of the year that came
    /// late; the dated returns' latest 填报日期.
    pub missing_units: Vec<String>,
    pub late: Vec<LateReturn>,
    pub latest_filled: Option<String>,
    pub projects: Vec<ProjectProgress>,
    pub project_counts: ProjectCounts,
    /// Investment by area (areas with projects, in the plan's order), and in all.
    pub investment: Vec<AreaInvestment>,
    pub investment_total: AreaInvestment,
    pub works: Vec<AreaWork>,
    pub key_tasks: Vec<TaskProgress>,
    pub task_counts: TaskCounts,
    /// Key tasks whose year has come, not done.
    pub overdue_tasks: Vec<String>,
    /// Returns that contradict each other (a task and its project, an indicator and its
    /// project), each as the report states it.
    pub mismatches: Vec<String>,
    /// The plan's final evaluation (终期评估): for its last year, and for a year after it
    /// when asked (`final`); None in the years before.
    pub final_eval: Option<final_eval::FinalEvaluation>,
    pub feedback: Vec<UnitFeedback>,
    /// The annotated copies made of the returns with problems (set by the annotate
    /// stage, before rendering: the feedback sheets say which exist).
    pub annotated: Vec<crate::annotate::AnnotatedCopy>,
    /// Against the previous run in the output folder.
    pub changes: ChangeLog,
    /// What the next run compares with (kept in the manifest).
    #[serde(skip)]
    pub snapshot: Snapshot,
    /// Characters of the documents' text that no embedded font has (shown as 〓; the
    /// finding says which).
    pub glyphs_missing: BTreeSet<char>,
    #[serde(skip)]
    index: HashMap<(String, i32), usize>,
    /// Where each unit's return and feedback sheet are, and which files are 示例数据:
    /// looked up once per unit by the documents, so not searched.
    #[serde(skip)]
    lookup: Lookup,
}

#[derive(Debug, Default)]
struct Lookup {
    returns: HashMap<(String, i32), usize>,
    feedback: HashMap<String, usize>,
    sample_files: HashSet<String>,
    files: HashMap<String, usize>,
    observations_in: HashMap<String, Vec<usize>>,
    findings_of: HashMap<String, Vec<usize>>,
}

impl Lookup {
    fn of(a: &Assessment) -> Lookup {
        let mut returns = HashMap::new();
        for (k, r) in a.returns.iter().enumerate() {
            returns.entry((r.unit.clone(), r.year)).or_insert(k);
        }
        let mut feedback = HashMap::new();
        for (k, f) in a.feedback.iter().enumerate() {
            feedback.entry(f.unit.clone()).or_insert(k);
        }
        let mut files = HashMap::new();
        for (k, f) in a.files.iter().enumerate() {
            files.entry(f.file.clone()).or_insert(k);
        }
        let mut observations_in: HashMap<String, Vec<usize>> = HashMap::new();
        for (k, o) in a.observations.iter().enumerate() {
            observations_in.entry(o.file.to_string()).or_default().push(k);
        }
        let mut findings_of: HashMap<String, Vec<usize>> = HashMap::new();
        for (k, f) in a.findings.iter().enumerate() {
            findings_of.entry(f.department.clone()).or_default().push(k);
        }
        Lookup {
            returns,
            feedback,
            sample_files: a.files.iter().filter(|f| f.sample).map(|f| f.file.clone()).collect(),
            files,
            observations_in,
            findings_of,
        }
    }
}

impl Assessment {
    /// An indicator in a year.
    pub fn of(&self, indicator_id: &str, year: i32) -> Option<&IndicatorYear> {
        self.index.get(&(indicator_id.to_string(), year)).map(|&i| &self.progress[i])
    }

    /// An indicator in the reporting year.
    pub fn latest(&self, indicator_id: &str) -> Option<&IndicatorYear> {
        self.of(indicator_id, self.year)
    }

    /// The status of an indicator in the reporting year.
    pub fn status(&self, indicator_id: &str) -> Status {
        self.latest(indicator_id).map_or(Status::NoData, |p| p.status)
    }

    /// The years of the plan assessed: its start to the reporting year.
    pub fn years(&self) -> Vec<i32> {
        (self.period.start..=self.year.min(self.period.end)).collect()
    }

    pub fn returns_of(&self, unit: &str, year: i32) -> Option<&ReturnStatus> {
        self.lookup.returns.get(&(unit.to_string(), year)).map(|&k| &self.returns[k])
    }

    pub fn feedback_of(&self, unit: &str) -> Option<&UnitFeedback> {
        self.lookup.feedback.get(unit).map(|&k| &self.feedback[k])
    }

    /// An input file by its name (relative to the input folder).
    pub fn file(&self, name: &str) -> Option<&InputFile> {
        self.lookup.files.get(name).map(|&k| &self.files[k])
    }

    /// The cells read from one file, in the order read.
    pub fn observations_in<'a>(&'a self, file: &str) -> impl Iterator<Item = &'a Observation> + 'a {
        self.lookup.observations_in.get(file).into_iter().flatten().map(|&k| &self.observations[k])
    }

    /// One unit's findings, in the findings' order.
    pub fn findings_of<'a>(&'a self, unit: &str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.lookup.findings_of.get(unit).into_iter().flatten().map(|&k| &self.findings[k])
    }

    /// Whether a file read is marked 示例数据.
    pub fn is_sample(&self, file: &str) -> bool {
        self.lookup.sample_files.contains(file)
    }

    pub fn project(&self, project_id: &str) -> Option<&ProjectProgress> {
        self.projects.iter().find(|p| p.project_id == project_id)
    }

    pub fn task(&self, task_id: &str) -> Option<&TaskProgress> {
        self.key_tasks.iter().find(|t| t.task_id == task_id)
    }

    /// The decimals an indicator's figures are shown with.
    pub fn decimals_of(&self, indicator_id: &str) -> usize {
        self.decimals.get(indicator_id).copied().unwrap_or(0)
    }

    /// A figure of an indicator as every document shows it.
    pub fn shown(&self, indicator_id: &str, value: f64) -> String {
        crate::text::fixed(value, self.decimals_of(indicator_id))
    }

    /// The decimals of a number planmon works out for an indicator (序时进度, the
    /// projection, the change still needed): the indicator's own, or up to two more
    /// where fewer would make it look equal to a reported figure it is not (10.77
    /// shown as 10.8 beside a reported 10.8).
    pub fn derived_decimals(&self, indicator_id: &str, value: f64) -> usize {
        let own = self.decimals_of(indicator_id);
        let most = own.clamp(2, 6);
        (own..=most).find(|&d| (crate::text::fixed(value, d).parse::<f64>().unwrap_or(f64::NAN) - value).abs() < 1e-9).unwrap_or(most)
    }

    /// A worked-out number of an indicator as every document shows it.
    pub fn shown_derived(&self, indicator_id: &str, value: f64) -> String {
        crate::text::fixed(value, self.derived_decimals(indicator_id, value))
    }

    /// Every figure read, in the order of the tables: the ones the figures were chosen
    /// from (each with None when it is the one used, else why not), then those set
    /// aside before the choice.
    pub fn figures_read(&self) -> Vec<(&Observation, Option<NotUsed>)> {
        let chosen = self.observations.iter().enumerate().map(|(i, o)| (o, self.fates.get(i).copied().flatten()));
        chosen.chain(self.unused.iter().map(|u| (&u.observation, Some(u.because)))).collect()
    }

    /// The plan's indicators of one kind.
    pub fn indicators_of_kind(&self, kind: IndicatorKind) -> impl Iterator<Item = &crate::plan::Indicator> {
        self.plan.indicators.iter().filter(move |i| i.kind == kind)
    }
}

/// The reporting year: the one set, else the latest with figures in the returns (a
/// finding when there is none: the plan's last year).
fn reporting_year(plan: &Plan, read: &mut ReadOutcome, set: Option<i32>) -> i32 {
    let found = read.observations.iter().filter(|o| o.kind == ObsKind::Current && o.year <= plan.end + 5).map(|o| o.year).max();
    match (set, found) {
        (Some(y), _) | (None, Some(y)) => y,
        (None, None) => {
            read.findings
                .push(Finding::info(Code::NoYear, format!("没有从填报表中读到任何年度的数据，按规划末年{}年生成报告。", plan.end)));
            plan.end
        }
    }
}

/// The years a file's returns are of: its own returns (not what it restates for other
/// years or units), else every return it holds, else the year it states.
fn return_years(f: &InputFile) -> Vec<i32> {
    let own: Vec<i32> = f.covers.iter().filter(|c| !c.secondary).map(|c| c.year).collect();
    if !own.is_empty() {
        return own;
    }
    let any: Vec<i32> = f.covers.iter().map(|c| c.year).collect();
    if !any.is_empty() {
        return any;
    }
    f.year.into_iter().collect()
}

/// A report for year Y uses the returns up to Y: a file whose returns are all of later
/// years is set aside (不在本次汇总年度, in the manifest), and so is every figure, project
/// report, text and finding from a later year's return.
fn scope(read: &mut ReadOutcome, year: i32) {
    let mut later: HashSet<String> = HashSet::new();
    for f in read.files.iter_mut().filter(|f| f.status == Fate::Read) {
        let years = return_years(f);
        if !years.is_empty() && years.iter().all(|y| *y > year) {
            f.status = Fate::OutOfScope;
            let shown: BTreeSet<i32> = years.into_iter().collect();
            let shown: Vec<String> = shown.iter().map(|y| format!("{y}年度")).collect();
            f.reason = format!("这是{}的填报表，不在本次汇总年度（{year}年度）内，未纳入本次汇总", shown.join("、"));
            later.insert(f.file.clone());
        }
    }
    read.observations.retain(|o| o.return_year <= year);
    read.unused.retain(|u| u.observation.return_year <= year);
    read.projects.retain(|r| r.year <= year);
    read.works.retain(|w| w.year <= year);
    read.tasks.retain(|t| t.year <= year);
    read.findings.retain(|f| !later.contains(&f.file) && f.year.is_none_or(|y| y <= year));
}

/// The figures of the reporting year's scope, chosen by the one rule: the versions of
/// each return resolved, later years' returns set aside, then one figure per indicator
/// and year. The assessment and `templates` (prefilling next year's 上年值) both take
/// their figures from here.
pub fn resolved_figures(
    plan: &Plan,
    read: &mut ReadOutcome,
    year: i32,
    written: Option<time::Date>,
) -> Result<(polars::prelude::DataFrame, Figures)> {
    scope(read, year);
    crate::versions::resolve(plan, read, written);
    let frame = crate::frames::observations(&read.observations).map_err(|e| anyhow::anyhow!("整理填报数据时出错：{e}"))?;
    let figures =
        crate::figures::choose(plan, &read.observations, &frame).map_err(|e| anyhow::anyhow!("选取各指标采用的数据时出错：{e}"))?;
    Ok((frame, figures))
}

/// Which year a finding is about: the one it names, else that of the cell it points
/// at, else that of its file's returns (None: the batch as a whole, or a file of no
/// known year).
fn finding_year(f: &Finding, cells: &HashMap<(&str, &str, &str), i32>, files: &HashMap<&str, Vec<i32>>, year: i32) -> Option<i32> {
    if f.year.is_some() {
        return f.year;
    }
    if !f.cell.is_empty() {
        if let Some(y) = cells.get(&(f.file.as_str(), f.sheet.as_str(), f.cell.as_str())) {
            return Some(*y);
        }
    }
    let years = files.get(f.file.as_str())?;
    // A file with a return of the reporting year is of that year.
    if years.contains(&year) {
        Some(year)
    } else {
        years.iter().max().copied()
    }
}

/// The findings a report for `year` states: those of its year and those of no year.
/// A year before the plan has no report of its own: its findings (a return for 2021)
/// are told in every report.
fn of_year(findings: Vec<Finding>, read: &ReadOutcome, year: i32, plan_start: i32) -> Vec<Finding> {
    let mut cells: HashMap<(&str, &str, &str), i32> = HashMap::new();
    for o in read.observations.iter().chain(read.unused.iter().map(|u| &u.observation)) {
        cells.entry((&o.file, &o.sheet, o.cell.as_str())).or_insert(o.return_year);
    }
    let files: HashMap<&str, Vec<i32>> = read.files.iter().map(|f| (f.file.as_str(), return_years(f))).collect();
    findings.into_iter().filter(|f| finding_year(f, &cells, &files, year).is_none_or(|y| y == year || y < plan_start)).collect()
}

/// Decimals written in a figure (its shortest exact form), at most 6.
fn decimals(v: f64) -> usize {
    if !v.is_finite() || v.fract() == 0.0 {
        return 0;
    }
    let s = format!("{}", v.abs());
    match s.split_once('.') {
        Some((_, frac)) if !s.contains('e') => frac.len().min(6),
        _ => 6,
    }
}

/// Per indicator: as many decimals as any figure read for it, its target, baseline or
/// milestones has.
fn decimals_by_indicator(plan: &Plan, observations: &[Observation]) -> HashMap<String, usize> {
    let mut out: HashMap<String, usize> = plan
        .indicators
        .iter()
        .map(|i| {
            let own = std::iter::once(i.target).chain(i.baseline).chain(i.milestones.values().copied()).map(decimals).max().unwrap_or(0);
            (i.id.clone(), own)
        })
        .collect();
    for o in observations {
        if let (Some(v), Some(d)) = (o.value, out.get_mut(&*o.indicator_id)) {
            *d = (*d).max(decimals(v));
        }
    }
    out
}

/// SHA-256 over the sorted list of input names and their SHA-256, first 12 hex digits.
fn fingerprint(files: &[InputFile]) -> String {
    let mut list: Vec<(&str, &str)> = files.iter().map(|f| (f.file.as_str(), f.sha256.as_str())).collect();
    list.sort();
    let mut h = Sha256::new();
    for (name, sha) in list {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(sha.as_bytes());
        h.update([b'\n']);
    }
    h.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// The returns read whose 填报日期 is later than the 成文日期 (the documents would be
/// dated before a return they acknowledge), each with the unit it is told to, and one
/// warning for each: on the unit's feedback sheet, at the 填报日期's cell.
///
/// The warning says how 表2 counted the unit's return (`returns`, whose `on_time` owns
/// that): still on time, or neither on time nor late, then late if the date is right
/// (the deadline, `deadline`, MM-DD of the next year).
fn dated_after(
    documents: &Documents,
    files: &[InputFile],
    returns: &[crate::figures::ReturnStatus],
    year: i32,
    deadline: &str,
) -> (Vec<DatedAfter>, Vec<Finding>) {
    let due = crate::clock::parse_date(&format!("{}-{deadline}", year + 1)).map(crate::clock::chinese_date).unwrap_or_default();
    let mut list = Vec::new();
    let mut findings = Vec::new();
    for f in files.iter().filter(|f| f.status == Fate::Read) {
        let Some((iso, date)) = f.filled_date.as_ref().and_then(|d| crate::clock::parse_date(d).map(|p| (d, p))) else { continue };
        if date <= documents.date {
            continue;
        }
        // The units whose return of the year the file is (one for a plain return).
        let mut units: Vec<&str> = f.covers.iter().filter(|c| c.year == year && !c.secondary).map(|c| c.department.as_str()).collect();
        // How 表2 counted it, when it is a return of the year.
        let of_year = !units.is_empty();
        if units.is_empty() && !f.department.is_empty() {
            units.push(&f.department);
        }
        units.dedup();
        for unit in units {
            let counted = match returns.iter().find(|r| r.unit == unit && r.year == year).map(|r| r.on_time) {
                _ if !of_year => String::new(),
                Some(Some(true)) => format!("所填日期和成文日期都在报送时限（{due}）以内，本次汇总仍计为按时报送。"),
                // Late by an earlier version's date: 表2 says so, nothing to add here.
                Some(Some(false)) => String::new(),
                _ => format!("本次汇总未把这份填报表计为按时报送，也未计为逾期；如填报日期无误，即晚于报送时限（{due}）。"),
            };
            let mut w = Finding::warning(
                Code::DateBeforeReturns,
                format!(
                    "填报日期{}晚于本次汇总报告和反馈单的成文日期{}。{counted}请核对填报日期。如填报日期无误，汇总部门将更正成文日期后重新汇总。",
                    crate::clock::chinese_date(date),
                    documents.date_text,
                ),
            )
            .in_file(&f.file)
            .for_unit(unit)
            .in_year(year);
            if let Some((sheet, cell)) = &f.filled_at {
                w = w.at(sheet, cell);
            }
            findings.push(w);
            list.push(DatedAfter { unit: unit.to_string(), file: f.file.clone(), filled_date: iso.clone() });
        }
    }
    (list, findings)
}

/// Every text of the documents that comes from the plan, the returns or the findings,
/// for the font check.
fn document_texts(a: &Assessment) -> Vec<String> {
    let mut texts: Vec<String> = vec![a.plan.title.clone(), a.documents.office.clone(), a.documents.recipient.clone()];
    let value = serde_json::json!([
        &a.plan.indicators,
        &a.plan.projects,
        &a.plan.tasks,
        &a.plan.units,
        &a.findings,
        &a.works,
        &a.key_tasks,
        &a.projects,
        &a.feedback,
        &a.returns,
    ]);
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(&value, &mut texts);
    texts
}

/// Assess what was read: the whole pipeline from the versions to the frozen value.
/// `runs` are the earlier runs in the output folder (newest first); `covers` tells
/// whether the embedded fonts have a character (None: not checked).
pub fn assess(
    plan: Plan,
    mut read: ReadOutcome,
    config: &RunConfig,
    runs: &[Run],
    covers: Option<&(dyn Fn(char) -> bool + Sync)>,
) -> Result<Assessment> {
    crate::clock::mark("assess: start");
    let year = reporting_year(&plan, &mut read, config.year);
    let documents = Documents::new(&plan, config, year)?;
    let (frame, figures) = resolved_figures(&plan, &mut read, year, Some(documents.date))?;
    crate::clock::mark("assess: resolved");
    let returns = crate::figures::returns(&plan, &read.files, year, Some(documents.date));
    crate::clock::mark("assess: returns");
    // The rules and the judgement side by side on the two cores.
    let cx = crate::validate::Context { figures: &figures, returns: &returns, projects: &read.projects, files: &read.files, year };
    let (checked, progress) = std::thread::scope(|s| {
        let checked = s.spawn(|| crate::validate::validate_frame(&plan, &read.observations, &frame, &cx));
        let progress = indicators::progress(&plan, &figures, year);
        (checked.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), progress)
    });
    drop(frame);
    crate::clock::mark("assess: validated");
    let mut findings = std::mem::take(&mut read.findings);
    findings.extend(checked.map_err(|e| anyhow::anyhow!("校验填报数据时出错：{e}"))?);

    let index: HashMap<(String, i32), usize> = progress.iter().enumerate().map(|(i, p)| ((p.indicator_id.clone(), p.year), i)).collect();
    let this_year: HashMap<String, &IndicatorYear> =
        progress.iter().filter(|p| p.year == year).map(|p| (p.indicator_id.clone(), p)).collect();
    let status_of = |id: &str| this_year.get(id).map_or(Status::NoData, |p| p.status);

    // Projects and key tasks, checked against each other.
    let mut projects = works::projects(&plan, &read.projects, year);
    let mut key_tasks = works::task_progress(&plan, &read.tasks, year);
    let (mismatch_findings, mismatches) = works::reconcile(&plan, year, &mut key_tasks, &mut projects, &progress);
    findings.extend(mismatch_findings);
    crate::clock::mark("assess: works");
    let area_works = works::area_works(&plan, &read.works, year);
    crate::clock::mark("assess: area works");
    let final_eval = (year == plan.end || (year > plan.end && config.final_eval))
        .then(|| final_eval::evaluate(&plan, &progress, &index, &projects, &read.observations, &read.works));
    crate::clock::mark("assess: final evaluation");
    findings.extend(units::owed_findings(&plan, year, &returns, &area_works, final_eval.as_ref(), &read.observations, &read.files));
    crate::clock::mark("assess: owed");
    let (dated_after, date_findings) = dated_after(&documents, &read.files, &returns, year, &plan.rules.validate.deadline);
    findings.extend(date_findings);
    let mut findings = of_year(findings, &read, year, plan.start);
    crate::clock::mark("assess: findings");
    finding::sort(&mut findings);

    // Counts by kind and area: one test of main indicator vs task target (`kind`).
    let mut goals = StatusCounts::default();
    let mut targets = StatusCounts::default();
    for ind in &plan.indicators {
        if ind.is_goal() { &mut goals } else { &mut targets }.add(status_of(&ind.id));
    }
    let areas = plan
        .areas()
        .into_iter()
        .map(|area| {
            let mut s = AreaSummary {
                area: area.clone(),
                goals: StatusCounts::default(),
                goals_lagging: Vec::new(),
                targets: StatusCounts::default(),
                targets_lagging: Vec::new(),
            };
            for ind in plan.indicators.iter().filter(|i| i.area == area) {
                let status = status_of(&ind.id);
                let (counts, lagging) =
                    if ind.is_goal() { (&mut s.goals, &mut s.goals_lagging) } else { (&mut s.targets, &mut s.targets_lagging) };
                counts.add(status);
                if status.is_lagging() {
                    lagging.push(ind.id.clone());
                }
            }
            s
        })
        .collect();
    let lagging = plan.indicators.iter().filter(|i| status_of(&i.id).is_lagging()).map(|i| i.id.clone()).collect();
    let no_data = plan.indicators.iter().filter(|i| status_of(&i.id) == Status::NoData).map(|i| i.id.clone()).collect();

    // The units.
    let deadline = plan.rules.validate.deadline.clone();
    let missing_units: Vec<String> = returns.iter().filter(|r| r.year == year && !r.received()).map(|r| r.unit.clone()).collect();
    let late: Vec<LateReturn> = returns
        .iter()
        .filter(|r| r.year == year && r.late())
        .map(|r| LateReturn {
            unit: r.unit.clone(),
            filled_date: r.filled_date.clone().unwrap_or_default(),
            deadline: format!("{}-{deadline}", r.year + 1),
        })
        .collect();
    let latest_filled = returns.iter().filter(|r| r.year == year).filter_map(|r| r.filled_date.clone()).max();
    let reporting: Vec<&str> = plan.reporting_units().into_iter().map(|u| u.name.as_str()).collect();
    let followups: HashMap<String, FollowUp> = changes::follow_ups(runs, &read.files, &findings, &reporting);
    crate::clock::mark("assess: follow-ups");

    let (investment, investment_total) = works::investment(&plan, &projects);
    let project_counts = works::project_counts(&projects);
    let task_counts = works::task_counts(&key_tasks, year);
    let overdue_tasks = key_tasks.iter().filter(|t| t.overdue(year)).map(|t| t.task_id.clone()).collect();
    let conflicts_this_year = figures.conflicts.iter().filter(|c| c.year == year).cloned().collect();
    let decimals = decimals_by_indicator(&plan, &read.observations);
    crate::clock::mark("assess: decimals");

    let mut a = Assessment {
        year,
        period: indicators::period(&plan),
        documents,
        fingerprint: fingerprint(&read.files),
        inputs: InputCounts {
            read: read.files.iter().filter(|f| f.status == Fate::Read).count(),
            rejected: read.files.iter().filter(|f| f.status == Fate::Rejected).count(),
            skipped: read.files.iter().filter(|f| f.status == Fate::Skipped).count(),
            superseded: read.files.iter().filter(|f| f.status == Fate::Superseded).count(),
            out_of_scope: read.files.iter().filter(|f| f.status == Fate::OutOfScope).count(),
            observations: read.observations.len(),
            figures: read.observations.iter().filter(|o| o.value.is_some()).count(),
            sample: read.files.iter().filter(|f| f.status == Fate::Read && f.sample).count(),
        },
        finding_counts: FindingCounts::default(),
        fed_back: FindingCounts::default(),
        dated_after,
        conflicts: figures.conflicts.clone(),
        conflicts_this_year,
        goals,
        targets,
        areas,
        lagging,
        no_data,
        units: Vec::new(),
        missing_units,
        late,
        latest_filled,
        project_counts,
        investment,
        investment_total,
        works: area_works,
        task_counts,
        overdue_tasks,
        mismatches,
        final_eval,
        key_tasks,
        projects,
        feedback: Vec::new(),
        annotated: Vec::new(),
        changes: ChangeLog::default(),
        snapshot: Snapshot::default(),
        glyphs_missing: BTreeSet::new(),
        decimals,
        index,
        lookup: Lookup::default(),
        returns,
        findings: Vec::new(),
        fates: figures.fates,
        files: read.files,
        observations: read.observations,
        unused: read.unused,
        project_reports: read.projects,
        progress,
        plan,
    };
    // The characters no embedded font has: one finding, before anything is counted.
    crate::clock::mark("assess: built");
    if let Some(covers) = covers {
        a.findings = findings.clone();
        let missing: BTreeSet<char> =
            document_texts(&a).iter().flat_map(|t| t.chars()).filter(|c| !c.is_control() && !covers(*c)).collect();
        if !missing.is_empty() {
            let list: String = missing.iter().map(|c| format!("“{c}”(U+{:04X})", *c as u32)).collect::<Vec<_>>().join("、");
            findings.push(Finding::warning(
                Code::GlyphMissing,
                format!("报告字体中没有这些字：{list}，PDF 中以“〓”代替。请核对原表中的写法。"),
            ));
            finding::sort(&mut findings);
        }
        a.glyphs_missing = missing;
    }
    a.finding_counts = FindingCounts::of(&findings);
    let reporting: HashSet<&str> = a.plan.reporting_units().into_iter().map(|u| u.name.as_str()).collect();
    a.fed_back = FindingCounts::of_iter(findings.iter().filter(|f| reporting.contains(f.department.as_str())));
    crate::clock::mark("assess: glyphs");
    let this_year: HashMap<String, &IndicatorYear> =
        a.progress.iter().filter(|p| p.year == year).map(|p| (p.indicator_id.clone(), p)).collect();
    a.units = units::summaries(&a.plan, &this_year, &a.returns, &findings, a.final_eval.as_ref());
    crate::clock::mark("assess: summaries");
    a.feedback =
        units::feedback(&a.plan, year, &this_year, &a.observations, &a.returns, &a.works, &findings, &followups, a.final_eval.as_ref());
    a.snapshot = changes::snapshot(&a.observations, &a.progress, &a.files, &findings);
    crate::clock::mark("assess: feedback");
    a.changes = changes::compare(runs.first(), &a.snapshot, &a.files);
    a.findings = findings;
    a.lookup = Lookup::of(&a);
    Ok(a)
}
