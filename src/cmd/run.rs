//! `planmon run` (and `planmon` alone): the whole batch from input/ to output/.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::UsageError;
use crate::aggregate::Status;
use crate::batch::Batch;
use crate::cli::RunArgs;
use crate::config::Settings;
use crate::finding::Severity;
use crate::plan::Plan;
use crate::progress::Progress;
use crate::publish::{self, Counts, Manifest, OutputRecord, Staging};
use crate::render::{self, world::ReportWorld};
use crate::text::printable;
use std::sync::OnceLock;

/// What a run produced, for the summary and the exit code.
pub struct RunSummary {
    pub written: Vec<(PathBuf, &'static str)>,
    pub errors: usize,
}

pub fn run(args: &RunArgs, plan: Plan, settings: &Settings, templates: Option<&Path>, out: &mut dyn Write) -> Result<RunSummary> {
    if !args.input.is_dir() {
        return Err(UsageError(format!(
            "找不到输入文件夹“{}”。请把各单位的填报表放进该文件夹，或用 --input 指定文件夹。",
            args.input.display()
        ))
        .into());
    }
    let year = args.year.or(settings.year);
    if let Some(y) = year {
        if !(plan.start..=plan.end + 5).contains(&y) {
            return Err(UsageError(format!("报告年度 {y} 不在规划期（{}—{}年）内。", plan.start, plan.end)).into());
        }
    }
    std::fs::create_dir_all(&args.output).with_context(|| format!("无法创建输出文件夹“{}”", args.output.display()))?;
    let lock = publish::lock(&args.output)?;
    let started = publish::now_unix();
    let run_id = publish::run_id(started);

    let show = !args.quiet && !args.json;
    let reading: OnceLock<Progress> = OnceLock::new();
    let mut batch = Batch::assemble_with(plan, &args.input, year, &|done, total| {
        let bar = reading.get_or_init(|| Progress::new("读取填报表", total, show));
        if done > 0 {
            bar.step();
        }
    })?;
    batch.apply(settings);
    // A broken (user-edited) template must not cost the workbook and tables: render
    // the PDFs first, write everything that could be made, then report the failure.
    let rendering = Progress::new("生成报告和反馈单", 1 + batch.plan.reporting_units().len(), show);
    let pdfs = ReportWorld::new(templates, batch.created_datetime())
        .context("无法读取报告模板")
        .and_then(|mut world| render::pdfs(&batch, &mut world, &|| rendering.step()));
    let mut files = Vec::new();
    let mut pdf_error = None;
    match pdfs {
        Ok((pdfs, glyph_findings)) => {
            batch.findings.extend(glyph_findings);
            crate::finding::sort(&mut batch.findings);
            files = pdfs;
        }
        Err(e) => pdf_error = Some(e),
    }
    files.extend(render::tables(&batch)?);

    // Everything goes to a staging folder first; the previous outputs move to history/.
    let mut staging = Staging::new(&args.output, &run_id, &lock)?;
    for r in &files {
        staging.write(&r.rel, &r.bytes, r.what)?;
    }
    let manifest = manifest(&batch, args, &run_id, started, &staging.records);
    staging.write(Path::new(publish::MANIFEST), &serde_json::to_vec_pretty(&manifest)?, "运行清单")?;
    if let Some(e) = pdf_error {
        // A failed run leaves the previous outputs where they are; what it could make
        // is kept aside in history/ for inspection.
        let kept = staging.set_aside(&format!("{run_id}-未完成"), &lock)?;
        return Err(UsageError(format!(
            "报告 PDF 未能生成：{e:#}\n上次的输出未作改动；本次已生成的汇总表和数据表放在“{}”。",
            kept.display()
        ))
        .into());
    }
    staging.commit(args.keep_history, &lock)?;
    drop(lock);
    let mut written: Vec<(PathBuf, &'static str)> = files.iter().map(|r| (args.output.join(&r.rel), r.what)).collect();
    written.push((args.output.join(publish::MANIFEST), "运行清单"));
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &json_summary(&batch, &written))?;
        writeln!(out)?;
    } else if !args.quiet {
        summarize(&batch, &written, out)?;
    }
    let errors = batch.findings.iter().filter(|f| f.severity == Severity::Error).count();
    Ok(RunSummary { written, errors })
}

fn manifest<'a>(batch: &'a Batch, args: &RunArgs, run_id: &'a str, started: i64, outputs: &'a [OutputRecord]) -> Manifest<'a> {
    let status = |s: &str| batch.files.iter().filter(|f| f.status == s).count();
    let severity = |s: Severity| batch.findings.iter().filter(|f| f.severity == s).count();
    Manifest {
        tool: "planmon",
        tool_version: env!("CARGO_PKG_VERSION"),
        run_id,
        started: publish::iso_time(started),
        finished: publish::iso_time(publish::now_unix()),
        reporting_year: batch.year,
        plan_version: &batch.plan.version,
        plan_tables: &batch.plan.sources,
        input_folder: args.input.display().to_string(),
        input_fingerprint: &batch.fingerprint,
        inputs: &batch.files,
        counts: Counts {
            inputs_read: status("已读取"),
            inputs_rejected: status("已拒收"),
            inputs_skipped: status("已跳过"),
            observations: batch.observations.len(),
            figures: batch.observations.iter().filter(|o| o.value.is_some()).count(),
            findings_error: severity(Severity::Error),
            findings_warning: severity(Severity::Warning),
            findings_info: severity(Severity::Info),
        },
        outputs,
    }
}

/// The end-of-run summary for other programs (`--json`).
fn json_summary(batch: &Batch, written: &[(PathBuf, &'static str)]) -> serde_json::Value {
    let count = |s: Severity| batch.findings.iter().filter(|f| f.severity == s).count();
    let status = |s: &str| batch.files.iter().filter(|f| f.status == s).count();
    let goals: Vec<_> = batch
        .progress
        .iter()
        .filter(|p| p.year == batch.year && batch.plan.indicator(&p.indicator_id).is_some_and(|i| i.seq.is_some()))
        .collect();
    serde_json::json!({
        "year": batch.year,
        "input_fingerprint": batch.fingerprint,
        "returns": { "read": status("已读取"), "rejected": status("已拒收"), "skipped": status("已跳过") },
        "rejected": batch.files.iter().filter(|f| f.status == "已拒收").map(|f| serde_json::json!({ "file": f.file, "reason": f.reason })).collect::<Vec<_>>(),
        "figures": batch.observations.iter().filter(|o| o.value.is_some()).count(),
        "findings": { "error": count(Severity::Error), "warning": count(Severity::Warning), "info": count(Severity::Info) },
        "findings_by_unit": batch.summaries.units.iter().map(|u| serde_json::json!({ "unit": u.unit, "error": u.errors, "warning": u.warnings })).collect::<Vec<_>>(),
        "indicators_by_status": Status::ALL.iter().map(|s| (s.label().to_string(), serde_json::json!(goals.iter().filter(|p| p.status == *s).count()))).collect::<serde_json::Map<_, _>>(),
        "outputs": written.iter().map(|(p, what)| serde_json::json!({ "what": what, "path": p.display().to_string() })).collect::<Vec<_>>(),
    })
}

fn summarize(batch: &Batch, written: &[(PathBuf, &'static str)], out: &mut dyn Write) -> Result<()> {
    let read = batch.files.iter().filter(|f| f.status == "已读取").count();
    let rejected = batch.files.iter().filter(|f| f.status == "已拒收").count();
    let figures = batch.observations.iter().filter(|o| o.value.is_some()).count();
    writeln!(out, "{}年度汇总完成：读取填报表 {} 份，拒收 {} 份，数据 {} 个。", batch.year, read, rejected, figures)?;
    let count = |s: Severity| batch.findings.iter().filter(|f| f.severity == s).count();
    writeln!(out, "数据问题：错误 {}，警告 {}，提示 {}。", count(Severity::Error), count(Severity::Warning), count(Severity::Info))?;
    for f in batch.files.iter().filter(|f| f.status == "已拒收") {
        writeln!(out, "  拒收：{}（{}）", printable(&f.file, 200), printable(&f.reason, 200))?;
    }
    let statuses: Vec<String> = Status::ALL
        .iter()
        .map(|s| {
            let n = batch
                .progress
                .iter()
                .filter(|p| {
                    p.year == batch.year && p.status == *s && batch.plan.indicator(&p.indicator_id).is_some_and(|i| i.seq.is_some())
                })
                .count();
            format!("{} {}", s.label(), n)
        })
        .collect();
    writeln!(out, "主要指标：{}。", statuses.join("，"))?;
    let by_unit: Vec<String> = batch
        .summaries
        .units
        .iter()
        .filter(|u| u.errors + u.warnings > 0)
        .map(|u| format!("{} 错误{}/警告{}", u.unit, u.errors, u.warnings))
        .collect();
    if !by_unit.is_empty() {
        writeln!(out, "各单位问题：{}。详见各单位反馈单。", by_unit.join("；"))?;
    }
    writeln!(out, "已生成：")?;
    for (path, what) in written {
        writeln!(out, "  {what}：{}", path.display())?;
    }
    Ok(())
}
