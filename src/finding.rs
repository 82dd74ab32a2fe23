//! Findings: a problem in one return (or in the batch) with where it is and what to do.
//! A finding never stops the batch; the run collects them and writes findings.csv.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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

/// One finding. Location fields are empty strings when they do not apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    pub file: String,
    pub sheet: String,
    pub cell: String,
    pub department: String,
    pub indicator_id: String,
    pub message: String,
}

impl Finding {
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Finding {
        Finding {
            severity,
            code,
            file: String::new(),
            sheet: String::new(),
            cell: String::new(),
            department: String::new(),
            indicator_id: String::new(),
            message: message.into(),
        }
    }

    pub fn error(code: &'static str, message: impl Into<String>) -> Finding {
        Finding::new(Severity::Error, code, message)
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Finding {
        Finding::new(Severity::Warning, code, message)
    }

    pub fn info(code: &'static str, message: impl Into<String>) -> Finding {
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
        (a.department.is_empty(), &a.department, a.severity, &a.file, &a.sheet, cell_key(&a.cell), &a.indicator_id, a.code).cmp(&(
            b.department.is_empty(),
            &b.department,
            b.severity,
            &b.file,
            &b.sheet,
            cell_key(&b.cell),
            &b.indicator_id,
            b.code,
        ))
    });
}

/// Cells sort by row then column (E7 before E10).
fn cell_key(cell: &str) -> (u32, String) {
    let col: String = cell.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let row: u32 = cell[col.len()..].parse().unwrap_or(0);
    (row, col)
}
