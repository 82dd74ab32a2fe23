//! The batch: input/ → read → validate → aggregate → (render) → output/.
//! `Batch::assemble` runs the first three stages and holds everything the outputs need.

use std::path::Path;

use anyhow::Result;
use sha2::{Digest, Sha256};
use typst::foundations::Datetime;

use crate::aggregate::{self, Assessment};
use crate::finding::{self, Code, Finding};
use crate::names::SafeName;
use crate::plan::Plan;
use crate::read::{self, InputFile, ObsKind, Observation, ProjectReport};
use crate::validate;

impl Batch {
    /// What the checked configuration (planmon.toml and the command line) says about
    /// the documents.
    pub fn apply(&mut self, config: &crate::config::RunConfig) -> Result<()> {
        if let Some(office) = &config.office {
            self.office = office.clone();
        }
        if let Some(recipient) = &config.recipient {
            self.recipient = recipient.clone();
        }
        if let Some(date) = config.date {
            self.set_date(date);
        }
        let names = config.names(self.year)?;
        self.report_name = names.report;
        self.report_word_name = names.report_word;
        self.workbook_name = names.workbook;
        Ok(())
    }
}

/// Everything one run knows, after reading, validating and aggregating.
pub struct Batch {
    pub plan: Plan,
    /// The reporting year.
    pub year: i32,
    pub files: Vec<InputFile>,
    pub observations: Vec<Observation>,
    /// For each observation: None when it is the figure used, else why not.
    pub fates: Vec<Option<crate::read::NotUsed>>,
    /// Figures read but set aside before the choice (hidden, part-year, older versions).
    pub unused: Vec<crate::read::Unused>,
    pub project_reports: Vec<ProjectReport>,
    pub findings: Vec<Finding>,
    /// Every derived fact the outputs state (aggregate).
    pub assessment: Assessment,
    /// Short fingerprint of the inputs (names and contents).
    pub fingerprint: String,
    /// Issuing office for the report (the coordinating unit in units.toml).
    pub office: String,
    /// The report's 主送机关 (without the colon).
    pub recipient: String,
    /// The 成文日期 (北京时间), and the time stamped into every output (seconds since
    /// 1970): SOURCE_DATE_EPOCH when set, else the start of that day in Beijing, so that
    /// runs of one day with the same inputs give the same bytes.
    pub date: time::Date,
    pub created_unix: i64,
    /// What differs from the previous run (set by `run`, which knows the output folder).
    pub changes: crate::changes::ChangeLog,
    /// File names of the report (PDF and Word) and the workbook (planmon.toml may set
    /// them): safe names, so that each is a file in the output folder.
    pub report_name: SafeName,
    pub report_word_name: SafeName,
    pub workbook_name: SafeName,
}

impl Batch {
    /// Read every return under `input` and assess it. `year` overrides the reporting
    /// year (default: the latest year found in the returns).
    pub fn assemble(plan: Plan, input: &Path, year: Option<i32>) -> Result<Batch> {
        Batch::assemble_with(plan, &read::Source::threads(input), year, &|_, _| {})
    }

    /// `assemble` from `source`, calling `progress(done, total)` as returns are read.
    pub fn assemble_with(plan: Plan, source: &read::Source, year: Option<i32>, progress: &dyn Fn(usize, usize)) -> Result<Batch> {
        let read = read::read_inputs_with(&plan, source, progress);
        Batch::from_read(plan, read, year)
    }

    pub fn from_read(plan: Plan, mut read: read::ReadOutcome, year: Option<i32>) -> Result<Batch> {
        // Versions of one return: only the newest goes on.
        crate::versions::resolve(&plan, &mut read);
        let mut findings = read.findings;
        let found_year = read.observations.iter().filter(|o| o.kind == ObsKind::Current && o.year <= plan.end + 5).map(|o| o.year).max();
        let year = match (year, found_year) {
            (Some(y), _) => y,
            (None, Some(y)) => y,
            (None, None) => {
                findings.push(Finding::info(Code::NoYear, format!("没有从填报表中读到任何年度的数据，按规划末年{}年生成报告。", plan.end)));
                plan.end
            }
        };
        // One frame of the figures; one choice of the figure used per indicator and
        // year; then the rules and the judgement side by side on the two cores.
        let frame = crate::frames::observations(&read.observations)?;
        let figures = aggregate::figures::choose(&plan, &read.observations, &frame)?;
        let returns = aggregate::returns(&plan, &read.files, year);
        let cx = validate::Context { figures: &figures, returns: &returns, projects: &read.projects, files: &read.files, year };
        let (checked, progress) = std::thread::scope(|s| {
            let checked = s.spawn(|| validate::validate_frame(&plan, &read.observations, &frame, &cx));
            let progress = aggregate::progress(&plan, &figures, year);
            (checked.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), progress)
        });
        findings.extend(checked?);
        drop(frame);
        finding::sort(&mut findings);
        let sources = aggregate::Sources {
            figures: &figures,
            reports: &read.projects,
            works: &read.works,
            tasks: &read.tasks,
            observations: &read.observations,
            files: &read.files,
            findings: &findings,
        };
        let assessment = aggregate::assess(&plan, year, progress, returns, &sources);
        let fingerprint = fingerprint(&read.files);
        let fates = figures.fates.clone();
        let office = plan.units.iter().find(|u| u.role == crate::plan::Role::Coordinator).map(|u| u.full.clone()).unwrap_or_default();
        let (date, created_unix) = dating(None);
        let (report, workbook) = crate::config::default_patterns(&plan);
        let names = crate::config::output_names(&report, &workbook, year)
            .map_err(|(_, why)| crate::cmd::UsageError(format!("按方案名称“{}”得到的文件名有误：{why}。", plan.short_title())))?;
        Ok(Batch {
            plan,
            year,
            files: read.files,
            observations: read.observations,
            fates,
            unused: read.unused,
            project_reports: read.projects,
            findings,
            assessment,
            fingerprint,
            report_name: names.report,
            report_word_name: names.report_word,
            workbook_name: names.workbook,
            office,
            recipient: "市人民政府".to_string(),
            date,
            created_unix,
            changes: crate::changes::ChangeLog::default(),
        })
    }

    /// Findings found after the assessment (typesetting): added, and counted.
    pub fn add_findings(&mut self, more: Vec<Finding>) {
        if more.is_empty() {
            return;
        }
        self.findings.extend(more);
        finding::sort(&mut self.findings);
        let count = |s: finding::Severity| self.findings.iter().filter(|f| f.severity == s).count();
        self.assessment.findings = [count(finding::Severity::Error), count(finding::Severity::Warning), count(finding::Severity::Info)];
    }

    /// Set the 成文日期 (and the time stamped into the outputs with it).
    pub fn set_date(&mut self, date: time::Date) {
        (self.date, self.created_unix) = dating(Some(date));
    }

    pub fn created_datetime(&self) -> Datetime {
        let date = crate::clock::utc_date(self.created_unix);
        let secs = self.created_unix - crate::clock::utc_midnight(date);
        let (y, m, d) = (date.year(), u8::from(date.month()), date.day());
        Datetime::from_ymd_hms(y, m, d, (secs / 3600) as u8, (secs / 60 % 60) as u8, (secs % 60) as u8)
            .unwrap_or_else(|| Datetime::from_ymd(y, m, d).expect("valid date"))
    }

    /// The 成文日期 in Chinese: 2026年1月15日.
    pub fn date_text(&self) -> String {
        crate::clock::chinese_date(self.date)
    }
}

/// The 成文日期 and the creation time of the outputs: the date given, else the Beijing
/// day of SOURCE_DATE_EPOCH, else today in Beijing.
fn dating(date: Option<time::Date>) -> (time::Date, i64) {
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<i64>().ok());
    let date = date.unwrap_or_else(|| crate::clock::beijing_date(epoch.unwrap_or_else(crate::clock::now_unix)));
    (date, epoch.unwrap_or_else(|| crate::clock::beijing_midnight(date)))
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
