//! Stage 4 — render: the report and feedback PDFs (typst), the summary workbook
//! (rust_xlsxwriter) and the CSV tables, each written to a temporary name and moved
//! into place so that a failed run never leaves half a file.

mod docx;
pub mod report;
mod tables;
pub mod typeset;
mod workbook;
pub mod world;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::batch::Batch;
use crate::finding::{Code, Finding};
use world::ReportWorld;

/// One output made in memory: where it goes under the output folder, and what it is.
pub struct Rendered {
    pub rel: PathBuf,
    pub bytes: Vec<u8>,
    pub what: &'static str,
}

fn rendered(rel: impl Into<PathBuf>, bytes: Vec<u8>, what: &'static str) -> Rendered {
    Rendered { rel: rel.into(), bytes, what }
}

pub const FEEDBACK_DIR: &str = "反馈单";

/// The CSV tables beside the workbook.
pub const CSV_FILES: [&str; 3] = ["observations.csv", "findings.csv", "progress.csv"];

/// A unit's feedback sheet, `反馈单/<unit>_<year>年度填报数据反馈单.<ext>`: a path
/// inside the output folder whatever the unit is called (a name that is not a safe file
/// name is refused, and the plan refuses such units when it is loaded).
pub fn feedback_path(unit: &str, year: i32, ext: &str) -> Result<PathBuf> {
    let name = crate::names::SafeName::new(&format!("{unit}_{year}年度填报数据反馈单.{ext}"))
        .map_err(|why| anyhow::anyhow!("单位“{}”的反馈单文件名不能用：{why}", crate::text::printable(unit, 60)))?;
    Ok(Path::new(FEEDBACK_DIR).join(name))
}

/// Typeset the report and one feedback sheet per responsible unit, side by side on
/// the available cores (they are independent documents over one shared world).
/// Characters no embedded face covers are found first, across all the documents: they
/// become one finding (counted in every document alike) and 〓 in the PDFs.
pub fn pdfs(batch: &mut Batch, world: &ReportWorld, progress: &(dyn Fn() + Sync)) -> Result<Vec<Rendered>> {
    let units: Vec<String> = batch.plan.reporting_units().iter().map(|u| u.name.clone()).collect();
    let mut missing: BTreeSet<char> = BTreeSet::new();
    {
        let mut coverage = typeset::Coverage::new(world);
        let mut probe = |mut data: serde_json::Value| coverage.clean(&mut data);
        probe(serde_json::to_value(report::report_data(batch))?);
        for unit in &units {
            probe(serde_json::to_value(report::feedback_data(batch, unit))?);
        }
        missing.extend(coverage.missing);
    }
    if !missing.is_empty() {
        let list: String = missing.iter().map(|c| format!("“{c}”(U+{:04X})", *c as u32)).collect::<Vec<_>>().join("、");
        batch.add_findings(vec![Finding::warning(
            Code::GlyphMissing,
            format!("报告字体中没有这些字：{list}，PDF 中以“〓”代替。请核对原表中的写法。"),
        )]);
    }
    // The documents to make: (template, data file, data, PDF ident, where it goes, what).
    let batch = &*batch;
    let mut jobs = vec![(
        "/report.typ",
        "/data.json",
        serde_json::to_value(report::report_data(batch))?,
        format!("planmon-report-{}-{}", batch.year, batch.fingerprint),
        PathBuf::from(&batch.report_name),
        "进展报告",
    )];
    for unit in &units {
        jobs.push((
            "/feedback.typ",
            "/feedback.json",
            serde_json::to_value(report::feedback_data(batch, unit))?,
            format!("planmon-feedback-{}-{}-{}", unit, batch.year, batch.fingerprint),
            feedback_path(unit, batch.year, "pdf")?,
            "反馈单",
        ));
    }
    let created = batch.created_datetime();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, jobs.len());
    let mut made: Vec<(usize, Result<Vec<u8>, typeset::RenderError>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let Some((main, path, data, ident, _, _)) = jobs.get(k) else { break };
                        out.push((k, typeset::typeset(world, main, path, data.clone(), created, ident)));
                        progress();
                    }
                    out
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    made.sort_by_key(|(k, _)| *k);
    let mut out = Vec::new();
    for ((k, pdf), (_, _, _, _, rel, what)) in made.into_iter().zip(jobs) {
        debug_assert_eq!(out.len(), k);
        out.push(rendered(rel, pdf?, what));
    }
    Ok(out)
}

/// The report and the feedback sheets as Word documents, from the same data as the PDFs.
pub fn word(batch: &Batch) -> Result<Vec<Rendered>> {
    let created = crate::clock::iso_time(batch.created_unix);
    let mut out = vec![rendered(
        PathBuf::from(&batch.report_word_name),
        docx::report(&report::report_data(batch), &created).context("生成 Word 版报告失败")?,
        "进展报告（Word）",
    )];
    for unit in batch.plan.reporting_units() {
        let data = report::feedback_data(batch, &unit.name);
        let rel = feedback_path(&unit.name, batch.year, "docx")?;
        out.push(rendered(rel, docx::feedback(&data, &created).context("生成 Word 版反馈单失败")?, "反馈单（Word）"));
    }
    Ok(out)
}

/// Everything else: workbook and CSV tables (after all findings are known).
pub fn tables(batch: &Batch) -> Result<Vec<Rendered>> {
    Ok(vec![
        rendered(&batch.workbook_name, workbook::workbook(batch).context("生成汇总表失败")?, "汇总表"),
        rendered(CSV_FILES[0], tables::observations(batch)?, "数据明细表"),
        rendered(CSV_FILES[1], tables::findings(batch)?, "数据问题表"),
        rendered(CSV_FILES[2], tables::progress(batch)?, "指标进展表"),
    ])
}
