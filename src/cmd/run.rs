//! `planmon run` (and `planmon` alone): the whole batch from input/ to output/.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::clock::{iso_time, now_unix};

use super::UsageError;
use crate::assess::{self, Assessment, Status};
use crate::cli::RunArgs;
use crate::config::{RunConfig, Settings};
use crate::plan::Plan;
use crate::progress::Bar;
use crate::publish::{self, Counts, Manifest, OutputRecord, Staging};
use crate::read::{Fate, Isolation, Source};
use crate::render::{self, world::ReportWorld};
use crate::text::printable;
use std::sync::OnceLock;

/// What a run produced, for the summary and the exit code.
pub struct RunSummary {
    pub written: Vec<(PathBuf, &'static str)>,
    pub errors: usize,
}

pub fn run(args: &RunArgs, plan: Plan, settings: &Settings, templates: Option<&Path>, out: &mut dyn Write) -> Result<RunSummary> {
    let mut notes = Vec::new();
    let done = run_noting(args, plan, settings, templates, out, &mut notes);
    if done.is_err() {
        // What was found before the run stopped (state files set aside, a swap finished)
        // is said even so.
        for note in &notes {
            eprintln!("注意：{note}");
        }
    }
    done
}

fn run_noting(
    args: &RunArgs,
    plan: Plan,
    settings: &Settings,
    templates: Option<&Path>,
    out: &mut dyn Write,
    notes: &mut Vec<String>,
) -> Result<RunSummary> {
    if !args.input.is_dir() {
        let shown = crate::text::os_display(args.input.as_os_str());
        let why =
            if args.input.exists() { format!("“{shown}”不是文件夹") } else { format!("找不到输入文件夹“{shown}”") };
        return Err(UsageError(format!("{why}。请把各单位的填报表放进输入文件夹，或用 --input 指定文件夹。")).into());
    }
    check_folders(&args.input, &args.output)?;
    // Every setting checked before anything is read or written: a wrong one is the
    // office's to fix, never a finding about the returns.
    let config = RunConfig::new(args, settings, &plan).map_err(UsageError)?;
    // Said at once where no summary will say it (a JSON or quiet run), and in the summary.
    if args.json || args.quiet {
        for note in &config.notes {
            eprintln!("注意：{note}");
        }
    }
    notes.extend(config.notes.iter().cloned());
    let lock = publish::lock(&args.output, &args.input, notes)?;
    publish::recover(&lock, notes)?;
    let started = now_unix();
    let run_id = publish::run_id(started);

    let show = !args.quiet && !args.json;
    let world = ReportWorld::new(templates, assess::typst_time(config.dated.1));
    crate::clock::mark("run: world");
    let reading: OnceLock<Bar> = OnceLock::new();
    let source = Source { input: args.input.clone(), leave_out: Some(args.output.clone()), isolation: Isolation::this_program() };
    let read = crate::read::read_inputs_with(&plan, &source, &|done, total| {
        let bar = reading.get_or_init(|| Bar::new("读取填报表", total, show));
        if done > 0 {
            bar.step();
        }
    });
    crate::clock::mark("run: read");
    // The typesetting workers start now, beside the assessment (the reading has both
    // cores): their fonts and templates are ready when the documents are.
    let isolation = Isolation::this_program();
    let typesetters = world.as_ref().ok().map(|w| render::Typesetters::start(w, &isolation, &plan.rules.limits));
    // The earlier runs in the output folder: the change log and each unit's follow-up
    // of its earlier problems. The fonts: the characters they lack are found before
    // the assessment is frozen.
    let runs = crate::history::earlier_runs(publish::earlier_manifests(&args.output));
    let covers = |c: char| world.as_ref().is_ok_and(|w| w.covers(c));
    let covers: Option<&(dyn Fn(char) -> bool + Sync)> = if world.is_ok() { Some(&covers) } else { None };
    let mut a = assess::assess(plan, read, &config, &runs, covers).context("汇总各单位数据时出错")?;
    crate::clock::mark("run: assess");
    // Each unit's own return back with its problems marked (the inputs only read).
    let (copies, annotated, copy_notes) = crate::annotate::copies(&a, &args.input);
    a.annotated = annotated;
    crate::clock::mark("run: copies");
    for note in copy_notes {
        eprintln!("注意：{note}");
        notes.push(note);
    }
    if config.year.is_none() {
        // The year the returns gave: after the plan, say what that means.
        if let Ok(Some(note)) = crate::config::year_note(&a.plan, a.year, "填报表中最新的年度") {
            eprintln!("注意：{note}");
            notes.push(note);
        }
    }
    // Everything goes to a staging folder first; a run that fails on the way leaves
    // what it made in history/<run id>-未完成 and the previous outputs as they were.
    let mut staging = Staging::new(&lock, &run_id)?;
    // A broken (user-edited) template must not cost the workbook and tables: every
    // document that could be made is written, then the failure reported. The workbook,
    // the CSVs, the Word feedback sheets and the copies are made and staged here while
    // the workers typeset; the Word report as soon as its figures are drawn.
    let rendering = Bar::new("生成报告和反馈单", 1 + a.feedback.len(), show);
    let word = a.documents.word;
    let (figures_to, figures) = std::sync::mpsc::channel::<render::Figures>();
    let (a, rendering, world) = (&a, &rendering, &world);
    // A document the last run made from the same data, templates and build is taken as
    // it is (its bytes are the ones this run would write); the Word report's figures are
    // drawn only when the Word report is made anew.
    let reusable = publish::Reusable::of(&lock);
    let reuse = |rel: &Path, key: &str| reusable.get(rel, key);
    let reuse: render::Reuse = &reuse;
    // The report's data, made once for the PDF, its figures and the Word version.
    let report_data = render::report::report_data(a);
    let report_data = &report_data;
    let report_key = match world {
        Ok(world) if word => Some(render::word_report_key(a, report_data, world)?),
        _ => None,
    };
    let report_reused = report_key.as_deref().and_then(|k| render::word_report_reused(a, k, reuse));
    let draw = report_key.is_some() && report_reused.is_none();
    let (typeset, made) = std::thread::scope(|s| {
        let typesetting = s.spawn(move || {
            let hand = move |f: render::Figures| {
                let _ = figures_to.send(f);
            };
            let hand: &(dyn Fn(render::Figures) + Sync) = &hand;
            match (world, typesetters) {
                (Ok(world), Some(typesetters)) => {
                    render::typeset_all(a, report_data, world, typesetters, (draw.then_some(hand), Some(reuse)), &|| rendering.step())
                }
                (Err(e), _) => Err(anyhow::anyhow!("无法读取报告模板：{e}").into()),
                (Ok(_), None) => unreachable!("typesetters are started whenever the world is made"),
            }
        });
        // In the order they are listed: the Word files, the tables, the copies.
        let made = (|| -> Result<[Vec<render::Rendered>; 4]> {
            let tables = render::tables(a).context("生成汇总表（Excel）和数据表（CSV）时出错")?;
            crate::clock::mark("run: tables");
            let feedback = if word { render::word_feedback(a, Some(reuse)).context("生成 Word 文件时出错")? } else { Vec::new() };
            crate::clock::mark("run: word feedback");
            for r in tables.iter().chain(&feedback).chain(&copies) {
                staging.write_made(r)?;
            }
            // The figures come before the PDFs are done (or the reason they could not).
            let mut report: Vec<render::Rendered> = report_reused.into_iter().collect();
            if let (true, Some(key)) = (draw, report_key) {
                match figures.recv() {
                    Ok(Ok(figures)) => report.push(render::word_report(a, report_data, &figures, key).context("生成 Word 文件时出错")?),
                    Ok(Err(why)) => anyhow::bail!("Word 版报告中的图未能生成：{why}"),
                    Err(_) => anyhow::bail!("Word 版报告中的图未能生成。"),
                }
            }
            if let Some(r) = report.first() {
                staging.write_made(r)?;
                crate::clock::mark("run: word report");
            }
            Ok([report, feedback, tables, copies])
        })();
        (typesetting.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), made)
    });
    crate::clock::mark("run: pdfs");
    // The documents that were typeset are kept with the rest of the run.
    let (pdfs, pdf_error) = match typeset {
        Ok(pdfs) => (pdfs, None),
        Err(failure) => (failure.made, Some(failure.error)),
    };
    let staged = pdfs.iter().try_for_each(|r| staging.write_made(r));
    // In the order they always had: the PDFs, the Word files, the tables, the copies.
    let mut files = pdfs;
    let made_error = match made {
        Ok(groups) => {
            files.extend(groups.into_iter().flatten());
            None
        }
        Err(e) => Some(e),
    };
    staging.arrange(&files.iter().map(|r| r.rel.as_path()).collect::<Vec<_>>());
    let staged = staged.and_then(|()| {
        let manifest = manifest(a, args, &run_id, started, &staging.records);
        let bytes = serde_json::to_vec_pretty(&manifest)?;
        staging.write(Path::new(publish::MANIFEST), &bytes, "运行清单")
    });
    crate::clock::mark("run: staged");
    let failure = match (made_error, staged, pdf_error) {
        (Some(e), _, _) | (None, Err(e), _) => Some(format!("{e:#}")),
        (None, Ok(()), Some(e)) => Some(format!("报告 PDF 未能生成：{e:#}")),
        (None, Ok(()), None) => None,
    };
    if let Some(why) = failure {
        let kept = staging.set_aside()?;
        return Err(UsageError(format!("{why}\n上次的输出未作改动；本次已生成的部分放在“{}”。", kept.display())).into());
    }
    staging.commit(args.keep_history, notes)?;
    crate::clock::mark("run: committed");
    drop(lock);
    let mut written: Vec<(PathBuf, &'static str)> = files.iter().map(|r| (args.output.join(&r.rel), r.what)).collect();
    written.push((args.output.join(publish::MANIFEST), "运行清单"));
    // The outputs are in place: a summary that cannot be shown (the terminal's output
    // closed or full) does not make the run a failure.
    let shown = (|| -> Result<()> {
        if args.json {
            let mut summary = json_summary(a, &written);
            summary["notes"] = serde_json::json!(notes);
            serde_json::to_writer_pretty(&mut *out, &summary)?;
            writeln!(out)?;
        } else if !args.quiet {
            summarize(a, &written, out)?;
            for note in notes.iter() {
                writeln!(out, "注意：{note}")?;
            }
        }
        Ok(())
    })();
    if let Err(e) = shown {
        eprintln!("注意：汇总已完成，结果在输出文件夹中，但无法显示摘要：{}", crate::oserror::chain(&e));
    }
    Ok(RunSummary { written, errors: a.finding_counts.error })
}

/// What changed since the previous run, a line per figure (the workbook's 变更记录
/// has everything).
fn changes_summary(a: &Assessment, out: &mut dyn Write) -> Result<()> {
    let c = &a.changes;
    let Some(previous) = &c.previous else {
        writeln!(out, "变更记录：输出文件夹中没有上次运行的结果，这是第一次运行，没有可比较的内容。")?;
        return Ok(());
    };
    if c.is_empty() {
        writeln!(out, "变更记录：与上次运行（{previous}）相比，数据、问题和进展状态都没有变化。")?;
        return Ok(());
    }
    let n = c.counts();
    writeln!(
        out,
        "变更记录：与上次运行（{previous}）相比，数据变化 {} 处，问题已解决 {} 个、新出现 {} 个，进展状态变化 {} 个。",
        n.figures, n.fixed, n.new, n.statuses
    )?;
    const SHOWN: usize = 20;
    let value = |v: Option<f64>| v.map(|v| crate::text::fmt_num(v, 4)).unwrap_or_else(|| "无".into());
    for f in c.figures.iter().take(SHOWN) {
        writeln!(
            out,
            "  数据{}：{} {} {}年 {} → {} {}（{}·{}）",
            f.kind().label(),
            f.indicator_id,
            printable(&f.department, 40),
            f.year,
            value(f.before),
            value(f.after),
            f.unit,
            printable(&f.file, 200),
            f.cell
        )?;
    }
    for s in c.statuses.iter().take(SHOWN) {
        writeln!(out, "  状态变化：{} {}年 {} → {}", s.indicator_id, s.year, s.before.label(), s.after.label())?;
    }
    if c.figures.len() > SHOWN || c.statuses.len() > SHOWN || !c.fixed.is_empty() || !c.new.is_empty() {
        writeln!(out, "  详见汇总表“变更记录”工作表。")?;
    }
    Ok(())
}

/// The output folder cannot be the input folder (its returns would be among the
/// outputs). Output inside input is left out of the input scan; input inside output is
/// fine, since planmon touches only the files it wrote itself.
fn check_folders(input: &Path, output: &Path) -> Result<()> {
    if crate::paths::real(input) != crate::paths::real(output) {
        return Ok(());
    }
    Err(UsageError(format!(
        "输出文件夹与输入文件夹是同一个文件夹（“{}”）。请为输出另选一个文件夹（默认是工作文件夹中的 output/），例如：planmon run --input input --output output",
        output.display()
    ))
    .into())
}

fn manifest<'a>(a: &'a Assessment, args: &RunArgs, run_id: &'a str, started: i64, outputs: &'a [OutputRecord]) -> Manifest<'a> {
    Manifest {
        tool: "planmon",
        tool_version: env!("CARGO_PKG_VERSION"),
        run_id,
        started: iso_time(started),
        finished: iso_time(now_unix()),
        reporting_year: a.year,
        plan_version: &a.plan.version,
        plan_tables: &a.plan.sources,
        input_folder: args.input.display().to_string(),
        input_fingerprint: &a.fingerprint,
        inputs: &a.files,
        counts: Counts {
            inputs_read: a.inputs.read,
            inputs_rejected: a.inputs.rejected,
            inputs_skipped: a.inputs.skipped,
            inputs_superseded: a.inputs.superseded,
            inputs_out_of_scope: a.inputs.out_of_scope,
            observations: a.inputs.observations,
            figures: a.inputs.figures,
            findings_error: a.finding_counts.error,
            findings_warning: a.finding_counts.warning,
            findings_info: a.finding_counts.info,
        },
        outputs,
        snapshot: &a.snapshot,
    }
}

/// The end-of-run summary for other programs (`--json`).
fn json_summary(a: &Assessment, written: &[(PathBuf, &'static str)]) -> serde_json::Value {
    serde_json::json!({
        "year": a.year,
        "input_fingerprint": a.fingerprint,
        "returns": {
            "read": a.inputs.read,
            "rejected": a.inputs.rejected,
            "skipped": a.inputs.skipped,
            "superseded": a.inputs.superseded,
            "out_of_scope": a.inputs.out_of_scope,
        },
        "rejected": a.files.iter().filter(|f| f.status == Fate::Rejected).map(|f| serde_json::json!({ "file": f.file, "reason": f.reason })).collect::<Vec<_>>(),
        "figures": a.inputs.figures,
        "findings": { "error": a.finding_counts.error, "warning": a.finding_counts.warning, "info": a.finding_counts.info },
        "findings_by_unit": a.units.iter().map(|u| serde_json::json!({ "unit": u.unit, "error": u.errors, "warning": u.warnings })).collect::<Vec<_>>(),
        "indicators_by_status": Status::ALL.iter().map(|s| (s.label().to_string(), serde_json::json!(a.goals.get(*s)))).collect::<serde_json::Map<_, _>>(),
        "outputs": written.iter().map(|(p, what)| serde_json::json!({ "what": what, "path": p.display().to_string() })).collect::<Vec<_>>(),
    })
}

fn summarize(a: &Assessment, written: &[(PathBuf, &'static str)], out: &mut dyn Write) -> Result<()> {
    writeln!(
        out,
        "{}年度汇总完成：读取填报表 {} 份，拒收 {} 份，数据 {} 个。",
        a.year, a.inputs.read, a.inputs.rejected, a.inputs.figures
    )?;
    for f in a.files.iter().filter(|f| !f.replaced.is_empty()) {
        let by: Vec<String> =
            f.replaced.iter().map(|r| format!("{}{}年度由“{}”替代", r.department, r.year, printable(&r.by, 200))).collect();
        writeln!(out, "  旧版本：{}（{}）", printable(&f.file, 200), by.join("；"))?;
    }
    if a.inputs.out_of_scope > 0 {
        let later: Vec<String> =
            a.files.iter().filter(|f| f.status == Fate::OutOfScope).map(|f| format!("“{}”", printable(&f.file, 200))).collect();
        writeln!(out, "  不在本次汇总年度（{}年度）的填报表 {} 份，未纳入：{}", a.year, later.len(), later.join("、"))?;
    }
    writeln!(out, "数据问题：错误 {}，警告 {}，提示 {}。", a.finding_counts.error, a.finding_counts.warning, a.finding_counts.info)?;
    if !a.dated_after.is_empty() {
        let named: Vec<String> = a.dated_after.iter().map(|d| format!("“{}”（{}）", printable(&d.file, 200), d.filled_date)).collect();
        writeln!(
            out,
            "  注意：{}份填报表的填报日期晚于成文日期{}：{}。如填报日期无误，请用 --date 或 planmon.toml 中的 date 更正成文日期后重新运行。",
            named.len(),
            a.documents.date_text,
            named.join("、")
        )?;
    }
    for f in a.files.iter().filter(|f| f.status == Fate::Rejected) {
        writeln!(out, "  拒收：{}（{}）", printable(&f.file, 200), printable(&f.reason, 200))?;
    }
    changes_summary(a, out)?;
    // At the plan's end, as the report counts them: by outcome over the whole period.
    match &a.final_eval {
        Some(e) => {
            let outcomes: Vec<String> =
                crate::assess::final_eval::Outcome::ALL.iter().map(|o| format!("{} {}", o.label(), e.goals.get(*o))).collect();
            writeln!(out, "主要指标（终期评估）：{}。", outcomes.join("，"))?;
        }
        None => {
            let statuses: Vec<String> = Status::ALL.iter().map(|s| format!("{} {}", s.label(), a.goals.get(*s))).collect();
            writeln!(out, "主要指标：{}。", statuses.join("，"))?;
        }
    }
    let by_unit: Vec<String> =
        a.units.iter().filter(|u| u.errors + u.warnings > 0).map(|u| format!("{} 错误{}/警告{}", u.unit, u.errors, u.warnings)).collect();
    if !by_unit.is_empty() {
        writeln!(out, "各单位问题：{}。详见各单位反馈单。", by_unit.join("；"))?;
    }
    writeln!(out, "已生成：")?;
    for (path, what) in written {
        writeln!(out, "  {what}：{}", path.display())?;
    }
    Ok(())
}
