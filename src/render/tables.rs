//! The machine-readable tables: observations.csv, findings.csv, progress.csv.
//!
//! RFC 4180 (comma-separated, CRLF line ends, fields quoted only where needed), one
//! header row, numbers with a dot and no thousands separator, text exactly as read.
//! The files start with a UTF-8 byte-order mark: without it Excel and WPS open a CSV
//! by double-click in the system code page (GBK on Chinese Windows) and the Chinese
//! turns to mojibake; the csv crate, pandas (`utf-8-sig`) and R skip the mark.

use crate::assess::Assessment;
use crate::text::fmt_num;

fn num(v: Option<f64>) -> String {
    v.map(|v| fmt_num(v, 6)).unwrap_or_default()
}

/// The UTF-8 byte-order mark every table starts with.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

fn to_bytes(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> csv::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(BOM.to_vec());
    w.write_record(header)?;
    for row in rows {
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

pub fn observations(a: &Assessment) -> csv::Result<Vec<u8>> {
    to_bytes(
        &[
            "file",
            "sheet",
            "cell",
            "department",
            "year",
            "indicator_id",
            "indicator_name",
            "raw",
            "value",
            "unit",
            "kind",
            "remark",
            "reason",
            "used",
            "not_used_because",
        ],
        a.figures_read().into_iter().map(|(o, fate)| {
            vec![
                o.file.to_string(),
                o.sheet.to_string(),
                o.cell.clone(),
                o.department.to_string(),
                o.year.to_string(),
                o.indicator_id.to_string(),
                o.indicator_name.to_string(),
                o.raw.clone(),
                num(o.value),
                o.unit.to_string(),
                o.kind.label().to_string(),
                o.remark.clone(),
                o.reason.clone(),
                if fate.is_none() { "是" } else { "否" }.to_string(),
                fate.map(|f| f.as_str()).unwrap_or_default().to_string(),
            ]
        }),
    )
}

pub fn findings(a: &Assessment) -> csv::Result<Vec<u8>> {
    to_bytes(
        &["severity", "code", "file", "sheet", "cell", "department", "indicator_id", "message", "year"],
        a.findings.iter().map(|f| {
            vec![
                f.severity.as_str().to_string(),
                f.code.as_str().to_string(),
                f.file.clone(),
                f.sheet.clone(),
                f.cell.clone(),
                f.department.clone(),
                f.indicator_id.clone(),
                f.message.clone(),
                f.year.map(|y| y.to_string()).unwrap_or_default(),
            ]
        }),
    )
}

pub fn progress(a: &Assessment) -> csv::Result<Vec<u8>> {
    let projected = format!("projected_{}", a.period.end);
    to_bytes(
        &[
            "indicator_id",
            "year",
            "value",
            "baseline",
            "target",
            "expected",
            "status",
            &projected,
            "required_annual_change",
            "department",
            "file",
            "sheet",
            "cell",
            "note",
            "ratio",
            "completion_rate",
            "outcome",
        ],
        a.progress.iter().map(|p| {
            // At the plan's end, its last year's row carries the outcome over the period.
            let fin = a.final_eval.as_ref().filter(|_| p.year == a.period.end).and_then(|e| e.of(&p.indicator_id));
            let source = |f: fn(&crate::assess::Figure) -> &str| p.source.as_ref().map(|s| f(s).to_string()).unwrap_or_default();
            vec![
                p.indicator_id.clone(),
                p.year.to_string(),
                num(p.value),
                num(p.baseline),
                fmt_num(p.target, 6),
                num(p.expected),
                p.status.label().to_string(),
                num(p.projected_end),
                num(p.required_annual_change),
                source(|s| &s.department),
                source(|s| &s.file),
                source(|s| &s.sheet),
                source(|s| &s.cell),
                p.note.clone(),
                num(p.ratio),
                num(fin.and_then(|f| f.rate)),
                fin.map(|f| f.outcome.label().to_string()).unwrap_or_default(),
            ]
        }),
    )
}
