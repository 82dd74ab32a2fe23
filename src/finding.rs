//! Findings: a problem in one return (or in the batch) with where it is and what to do.
//! A finding never stops the batch; the run collects them and writes findings.csv.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
            Severity::Info => "提示",
        }
    }
}

/// Declares the closed set of finding codes with the name each has in findings.csv.
macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// What kind of problem a finding is. findings.csv and the JSON outputs carry
        /// its name (`out_of_range`, `conflict`, …).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            /// The name written to findings.csv.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }
        }
    };
}

codes! {
    // Reading a file
    InputUnreadable = "input_unreadable",
    FileUnreadable = "file_unreadable",
    NotAFile = "not_a_file",
    NotSpreadsheet = "not_spreadsheet",
    SymlinkSkipped = "symlink_skipped",
    FileTooLarge = "file_too_large",
    ZipBomb = "zip_bomb",
    SheetTooLarge = "sheet_too_large",
    Encrypted = "encrypted",
    Corrupt = "corrupt",
    Unreadable = "unreadable",
    NotASpreadsheet = "not_a_spreadsheet",
    WpsFormat = "wps_format",
    NotAReturn = "not_a_return",
    EmptyWorkbook = "empty_workbook",
    ReadCrashed = "read_crashed",
    ReadOutOfMemory = "read_out_of_memory",
    ReadTimeout = "read_timeout",
    TooManySheets = "too_many_sheets",
    CellsBeyondLimit = "cells_beyond_limit",
    SheetUnreadable = "sheet_unreadable",
    HiddenSheet = "hidden_sheet",
    /// Figures in hidden rows or columns: read, not used.
    HiddenCells = "hidden_cells",
    /// A hidden figure differs from the visible one of the same indicator and year.
    HiddenDiffers = "hidden_differs",
    /// The sheet's cell formats could not be read (figures read as stored).
    FormatsUnreadable = "formats_unreadable",
    /// Two input files whose names differ only by case or Unicode normalisation.
    NameTwins = "name_twins",
    /// Control characters in a cell or a file name (replaced in the Word files).
    ControlCharacters = "control_characters",
    // Versions of one return
    /// An earlier version of a return, replaced by a newer file.
    Superseded = "superseded",
    /// The 填报日期 chose another version than the file name or time suggest.
    VersionDateOrder = "version_date_order",
    // Reading a table
    UnknownIndicator = "unknown_indicator",
    /// A row's indicator id and name point to different indicators.
    IdNameDisagree = "id_name_disagree",
    /// A row of a 横表 whose label says neither a year nor a reporting unit.
    RowLabelUnknown = "row_label_unknown",
    UnitUnknown = "unit_unknown",
    UnitNotRegistered = "unit_not_registered",
    UnitNameMismatch = "unit_name_mismatch",
    YearUnknown = "year_unknown",
    YearOutsidePlan = "year_outside_plan",
    ReturnOutsidePlan = "return_outside_plan",
    NotANumber = "not_a_number",
    FormulaError = "formula_error",
    FormulaWithoutValue = "formula_without_value",
    PercentFormat = "percent_format",
    /// A number shown with fewer decimals than it holds: read as shown.
    ShownPrecision = "shown_precision",
    /// A figure in a cell merged down across several indicators' rows.
    MergedAcrossRows = "merged_across_rows",
    UnitConverted = "unit_converted",
    UnitMismatch = "unit_mismatch",
    Approximate = "approximate",
    /// A footnote or note marker written with a figure (96.3②): read without it.
    NoteMarker = "note_marker",
    /// A sheet, column or row of figures for part of a year: kept, not used.
    PartYear = "part_year",
    ProjectNotANumber = "project_not_a_number",
    ProjectProgressRange = "project_progress_range",
    ProjectFalls = "project_falls",
    ProjectOverspent = "project_overspent",
    ProjectStatusMismatch = "project_status_mismatch",
    ProjectMissing = "project_missing",
    TaskStateUnknown = "task_state_unknown",
    // Rules on the figures
    OutOfRange = "out_of_range",
    FractionAsPercent = "fraction_as_percent",
    NotResponsible = "not_responsible",
    Conflict = "conflict",
    CumulativeFalls = "cumulative_falls",
    Outlier = "outlier",
    PreviousDiffers = "previous_differs",
    /// A later return restates a year with another figure than the year's own return.
    Restated = "restated",
    /// A base-year figure differs from the base value of the imported 附件1.
    BaselineDiffers = "baseline_differs",
    /// A key task and the project (or an indicator and the project) tied to it in the
    /// plan data disagree: one says done, the other unfinished.
    TaskProjectMismatch = "task_project_mismatch",
    MissingReturn = "missing_return",
    MissingValue = "missing_value",
    /// A unit whose return came wrote no 工作进展 for an area it works in.
    WorkMissing = "work_missing",
    /// At the plan's end, an unmet indicator whose lead unit gave no 未完成原因.
    ReasonMissing = "reason_missing",
    // The batch and its documents
    NoYear = "no_year",
    /// The 成文日期 is earlier than the latest 填报日期 read.
    DateBeforeReturns = "date_before_returns",
    GlyphMissing = "glyph_missing",
}

impl Code {
    /// The unit did not send something (a return, a figure, a project's progress), as
    /// opposed to a problem in what it sent.
    pub fn is_missing(self) -> bool {
        matches!(self, Code::MissingReturn | Code::MissingValue | Code::ProjectMissing)
    }

    /// A text the unit's return lacks (an area's 工作进展, a 未完成原因): asked for on the
    /// feedback sheet as 缺报, grouped, not as a problem in what was sent.
    pub fn is_missing_text(self) -> bool {
        matches!(self, Code::WorkMissing | Code::ReasonMissing)
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, to: S) -> Result<S::Ok, S::Error> {
        to.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(from: D) -> Result<Code, D::Error> {
        let name = String::deserialize(from)?;
        Code::ALL.iter().copied().find(|c| c.as_str() == name).ok_or_else(|| serde::de::Error::custom(format!("未知的问题代码“{name}”")))
    }
}

/// One finding. Location fields are empty strings when they do not apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: Code,
    pub file: String,
    pub sheet: String,
    pub cell: String,
    pub department: String,
    pub indicator_id: String,
    pub message: String,
    /// The year of the return it is about (None: about a file or the batch as a whole);
    /// a report for one year states the findings of that year only.
    /// (Always written: the reading workers' answers are bincode, which has no
    /// optional fields.)
    #[serde(default)]
    pub year: Option<i32>,
}

impl Finding {
    pub fn new(severity: Severity, code: Code, message: impl Into<String>) -> Finding {
        Finding {
            severity,
            code,
            file: String::new(),
            sheet: String::new(),
            cell: String::new(),
            department: String::new(),
            indicator_id: String::new(),
            message: message.into(),
            year: None,
        }
    }

    pub fn error(code: Code, message: impl Into<String>) -> Finding {
        Finding::new(Severity::Error, code, message)
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Finding {
        Finding::new(Severity::Warning, code, message)
    }

    pub fn info(code: Code, message: impl Into<String>) -> Finding {
        Finding::new(Severity::Info, code, message)
    }

    pub fn in_file(mut self, file: &str) -> Finding {
        self.file = file.to_string();
        self
    }

    pub fn at(mut self, sheet: &str, cell: &str) -> Finding {
        self.sheet = sheet.to_string();
        self.cell = cell.to_string();
        self
    }

    pub fn for_unit(mut self, department: &str) -> Finding {
        self.department = department.to_string();
        self
    }

    pub fn for_indicator(mut self, id: &str) -> Finding {
        self.indicator_id = id.to_string();
        self
    }

    /// About the return of this year.
    pub fn in_year(mut self, year: i32) -> Finding {
        self.year = Some(year);
        self
    }

    /// Where the finding is, as a clerk would say it: 文件 / 工作表 / 单元格.
    pub fn location(&self) -> String {
        let mut parts = Vec::new();
        if !self.file.is_empty() {
            parts.push(format!("文件“{}”", self.file));
        }
        if !self.sheet.is_empty() {
            parts.push(format!("工作表“{}”", self.sheet));
        }
        if !self.cell.is_empty() {
            parts.push(format!("单元格 {}", self.cell));
        }
        parts.join("，")
    }
}

/// Sort findings for output: by unit, then severity, then file and cell.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.department.is_empty(), &a.department, a.severity, &a.file, &a.sheet, cell_key(&a.cell), &a.indicator_id, a.code.as_str()).cmp(&(
            b.department.is_empty(),
            &b.department,
            b.severity,
            &b.file,
            &b.sheet,
            cell_key(&b.cell),
            &b.indicator_id,
            b.code.as_str(),
        ))
    });
}

/// Cells sort by row then column (E7 before E10).
fn cell_key(cell: &str) -> (u32, String) {
    let col: String = cell.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let row: u32 = cell[col.len()..].parse().unwrap_or(0);
    (row, col)
}
