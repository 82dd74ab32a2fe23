//! Stage 5 — render: the report and feedback PDFs (typst), the Word files, the summary
//! workbook (rust_xlsxwriter) and the CSV tables, as bytes in memory, from the frozen
//! assessment alone (taken by shared reference: rendering changes nothing and finds
//! nothing; `publish` puts the bytes into the output folder).

mod docx;
pub mod final_report;
pub mod report;
mod tables;
pub mod typeset;
mod workbook;
pub mod world;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::assess::Assessment;
use crate::read::Isolation;
use world::ReportWorld;

/// One output made in memory: where it goes under the output folder, and what it is.
pub struct Rendered {
    pub rel: PathBuf,
    pub bytes: Vec<u8>,
    pub what: &'static str,
    /// For a document: the key of everything it was made from ([`key`]), recorded in the
    /// manifest, by which the next run may reuse these bytes.
    pub key: Option<String>,
}

fn rendered(rel: impl Into<PathBuf>, bytes: Vec<u8>, what: &'static str) -> Rendered {
    Rendered { rel: rel.into(), bytes, what, key: None }
}

/// A document the last run wrote that may stand for this run's: given where it goes
/// and the key of what this run would make it from, the last run's bytes when they
/// were made from the same (`publish::Reusable`).
pub type Reuse<'a> = &'a (dyn Fn(&Path, &str) -> Option<Vec<u8>> + Sync);

/// What a document is made from, as one SHA-256: the build (planmon's code, the
/// templates and fonts it embeds, its dependencies, compiler and profile: see
/// src/build.rs), what kind of document it is, and each of its inputs. Outputs are
/// reproducible — the same inputs give the same bytes — so a document with the key of
/// one already written is those bytes.
pub fn key(kind: &str, parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [env!("PLANMON_BUILD").as_bytes(), kind.as_bytes()].into_iter().chain(parts.iter().copied()) {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    crate::text::hex(&h.finalize())
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

/// PDFs that could not all be typeset: the ones that were, and what went wrong with
/// the others (each named with its template).
pub struct TypesetFailure {
    pub made: Vec<Rendered>,
    pub error: anyhow::Error,
}

impl std::fmt::Debug for TypesetFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl std::fmt::Display for TypesetFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl std::error::Error for TypesetFailure {}

impl From<anyhow::Error> for TypesetFailure {
    fn from(error: anyhow::Error) -> TypesetFailure {
        TypesetFailure { made: Vec::new(), error }
    }
}

/// One document to typeset.
struct Doc {
    /// The template (/report.typ) and where its data is served (/data.json).
    main: &'static str,
    data_path: &'static str,
    data: serde_json::Value,
    /// The PDF's ident (fixed: the same inputs give the same bytes).
    ident: String,
    /// Where it goes under the output folder, and what it is.
    rel: PathBuf,
    what: &'static str,
    /// A figure, rendered as a PNG (for the Word version), not a PDF.
    png: bool,
}

/// The typesetting workers of a run: started before the assessment is done, so that
/// their fonts and templates are ready when the documents come (`Processes`, as
/// `planmon run` does), or threads of this process (tests, the bench).
pub enum Typesetters<'a> {
    Processes(Box<crate::worker::Started<'a, typeset::Typesetter>>, crate::plan::Limits),
    Threads,
}

impl<'a> Typesetters<'a> {
    /// One worker per core, each within the time and memory of `[limits]`
    /// (`seconds_per_document`, `memory_mb_per_document`), when `isolation` says so.
    pub fn start(world: &ReportWorld, isolation: &'a Isolation, limits: &crate::plan::Limits) -> Typesetters<'a> {
        let Isolation::Processes(exe) = isolation else { return Typesetters::Threads };
        let bounds = crate::worker::Bounds { seconds: limits.seconds_per_document, memory_mb: limits.memory_mb_per_document, ahead: 1 };
        let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).max(1);
        let setup = typeset::TypesetSetup::new(world);
        Typesetters::Processes(Box::new(crate::worker::start::<typeset::Typesetter>(exe, &setup, bounds, workers)), limits.clone())
    }
}

/// The report's figures as PNG images for the Word version, or why they could not be
/// made.
pub type Figures = std::result::Result<Vec<Vec<u8>>, String>;

/// Typeset the report, one feedback sheet per responsible unit and (when `figures` is
/// given) the report's figures as PNGs for the Word version, side by side on the
/// available cores (independent documents over one shared world; the report, the
/// longest, first). The figures, drawn by templates/figure.typ from the same template
/// code as the PDF's, are handed to `figures` as soon as the last is made, while the
/// PDFs are still being typeset. Characters no embedded face covers (found by the
/// assessment, which says so in a finding) are 〓 in the PDFs.
pub fn typeset_all(
    a: &Assessment,
    report: &report::ReportData,
    world: &ReportWorld,
    typesetters: Typesetters,
    (figures, reuse): (Option<&(dyn Fn(Figures) + Sync)>, Option<Reuse>),
    progress: &(dyn Fn() + Sync),
) -> std::result::Result<Vec<Rendered>, TypesetFailure> {
    let mut docs = vec![Doc {
        main: "/report.typ",
        data_path: "/data.json",
        data: serde_json::to_value(report).map_err(anyhow::Error::from)?,
        ident: format!("planmon-report-{}-{}", a.year, a.fingerprint),
        rel: PathBuf::from(&a.documents.report_name),
        what: report_what(a),
        png: false,
    }];
    if figures.is_some() {
        for (k, data) in report::figure_data(report).into_iter().enumerate() {
            docs.push(Doc {
                main: "/figure.typ",
                data_path: "/figure.json",
                data: serde_json::to_value(data).map_err(anyhow::Error::from)?,
                ident: format!("planmon-figure{}-{}-{}", k + 1, a.year, a.fingerprint),
                rel: PathBuf::from(format!("图{}.png", k + 1)),
                what: "报告中的图",
                png: true,
            });
        }
    }
    for fb in &a.feedback {
        docs.push(Doc {
            main: "/feedback.typ",
            data_path: "/feedback.json",
            data: serde_json::to_value(report::feedback_data(a, fb)).map_err(anyhow::Error::from)?,
            ident: format!("planmon-feedback-{}-{}-{}", fb.unit, a.year, a.fingerprint),
            rel: feedback_path(&fb.unit, a.year, "pdf")?,
            what: "反馈单",
            png: false,
        });
    }
    // A PDF the last run made from the same is taken as it is; the rest are typeset.
    let keys: Vec<String> = docs.iter().map(|d| d.key(world, &a.plan.rules.limits)).collect();
    let reused: Vec<Option<Vec<u8>>> =
        docs.iter().zip(&keys).map(|(d, k)| if d.png { None } else { reuse.and_then(|r| r(&d.rel, k)) }).collect();
    let todo: Vec<&Doc> = docs.iter().zip(&reused).filter(|(_, r)| r.is_none()).map(|(d, _)| d).collect();
    let place: Vec<usize> = (0..docs.len()).filter(|&k| reused[k].is_none()).collect();
    reused.iter().filter(|r| r.is_some()).for_each(|_| progress());
    // The figures as they come, handed on when the last is in (or the first fails).
    let pictures: Vec<usize> = (0..todo.len()).filter(|&k| todo[k].png).collect();
    let drawn: std::sync::Mutex<Vec<Option<Vec<u8>>>> = std::sync::Mutex::new(vec![None; todo.len()]);
    let told = std::sync::atomic::AtomicBool::new(false);
    let tell = |result: Figures| {
        if let Some(hand) = figures {
            if !told.swap(true, std::sync::atomic::Ordering::SeqCst) {
                hand(result);
            }
        }
    };
    if pictures.is_empty() {
        tell(Ok(Vec::new()));
    }
    let step = |k: usize, made: Option<&[u8]>| {
        if !todo[k].png {
            progress();
            return;
        }
        let (Some(png), Ok(mut drawn)) = (made, drawn.lock()) else { return };
        drawn[k] = Some(png.to_vec());
        if pictures.iter().all(|&p| drawn[p].is_some()) {
            tell(Ok(pictures.iter().filter_map(|&p| drawn[p].take()).collect()));
        }
    };
    let typeset = match typesetters {
        Typesetters::Processes(workers, limits) => typeset_in_processes(world, *workers, &limits, &todo, &step),
        Typesetters::Threads => typeset_on_threads(world, &todo, &step),
    };
    // A figure that could not be made: why, said once all is done.
    let failed = pictures.iter().find_map(|&p| typeset[p].as_ref().err().cloned());
    tell(Err(failed.unwrap_or_else(|| "报告中的图未能生成。".to_string())));
    let mut made: Vec<std::result::Result<Vec<u8>, String>> = reused.into_iter().map(|r| r.ok_or_else(String::new)).collect();
    for (k, result) in place.into_iter().zip(typeset) {
        made[k] = result;
    }
    // Each failure once: the same words for several documents of a template are said
    // for the first, with the number of the others.
    let mut failures: Vec<(String, usize)> = Vec::new();
    let mut out = Vec::new();
    for ((made, doc), key) in made.into_iter().zip(docs).zip(keys) {
        match made {
            _ if doc.png => {}
            Ok(pdf) => out.push(Rendered { rel: doc.rel, bytes: pdf, what: doc.what, key: Some(key) }),
            Err(why) => match failures.iter_mut().find(|(w, _)| *w == why) {
                Some((_, n)) => *n += 1,
                None => failures.push((why, 0)),
            },
        }
    }
    if failures.is_empty() {
        return Ok(out);
    }
    let text: Vec<String> = failures
        .into_iter()
        .map(|(why, n)| if n == 0 { why } else { format!("{why}\n（另有 {n} 份文件因同样的原因未能排版。）") })
        .collect();
    Err(TypesetFailure { made: out, error: anyhow::anyhow!("{}", text.join("\n")) })
}

/// The limits a document is typeset within, as part of its key.
fn document_limits(limits: &crate::plan::Limits) -> String {
    format!("{}s {}MB", limits.seconds_per_document, limits.memory_mb_per_document)
}

impl Doc {
    /// Everything the document's bytes depend on ([`key`]): the templates of the world,
    /// its creation time, the template and data it is typeset from, its ident.
    fn key(&self, world: &ReportWorld, limits: &crate::plan::Limits) -> String {
        let templates: Vec<&[u8]> = world.templates().iter().flat_map(|t| [t.name.as_bytes(), t.text.as_bytes()]).collect();
        let today = format!("{:?}", world.today());
        let data = self.data.to_string();
        // The limits it was typeset within: under tighter ones a run might not make it.
        let limits = document_limits(limits);
        let mut parts = templates;
        parts.extend([today.as_bytes(), self.main.as_bytes(), self.data_path.as_bytes(), data.as_bytes(), self.ident.as_bytes()]);
        parts.push(limits.as_bytes());
        key(if self.png { "png" } else { "pdf" }, &parts)
    }

    /// Typeset in this process.
    fn typeset_here(&self, world: &ReportWorld) -> std::result::Result<Vec<u8>, typeset::RenderError> {
        if self.png {
            typeset::typeset_png(world, self.main, self.data_path, self.data.clone())
        } else {
            typeset::typeset(world, self.main, self.data_path, self.data.clone(), world.today(), &self.ident)
        }
    }

    /// How a failure names this document: what it is, its file, its template.
    fn named(&self, world: &ReportWorld) -> String {
        format!("{}“{}”（模板 {}）", self.what, crate::text::os_display(self.rel.as_os_str()), world.origin(self.main))
    }
}

/// Typeset on threads of this process, one per core, over the one world (tests, the
/// bench): no time or memory limit.
fn typeset_on_threads(
    world: &ReportWorld,
    docs: &[&Doc],
    progress: &(dyn Fn(usize, Option<&[u8]>) + Sync),
) -> Vec<std::result::Result<Vec<u8>, String>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, docs.len().max(1));
    let mut made: Vec<(usize, std::result::Result<Vec<u8>, String>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let Some(d) = docs.get(k) else { break };
                        let pdf = d.typeset_here(world);
                        let pdf = pdf.map_err(|e| format!("{}：{e}", d.named(world)));
                        progress(k, pdf.as_deref().ok());
                        out.push((k, pdf));
                    }
                    out
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    made.sort_by_key(|(k, _)| *k);
    made.into_iter().map(|(_, pdf)| pdf).collect()
}

/// Typeset in worker processes, one per core, each document within the time and memory
/// of `[limits]` (`seconds_per_document`, `memory_mb_per_document`). A document that
/// fails — a template error, or a template that runs past the limits — is named with
/// its template; the other documents of a template that ran away are not started (they
/// would run away alike).
fn typeset_in_processes(
    world: &ReportWorld,
    workers: crate::worker::Started<typeset::Typesetter>,
    limits: &crate::plan::Limits,
    docs: &[&Doc],
    progress: &(dyn Fn(usize, Option<&[u8]>) + Sync),
) -> Vec<std::result::Result<Vec<u8>, String>> {
    use crate::worker::Lost;
    let jobs: Vec<typeset::TypesetJob> = docs
        .iter()
        .map(|d| typeset::TypesetJob {
            main: d.main.to_string(),
            data_path: d.data_path.to_string(),
            data: d.data.to_string(),
            ident: d.ident.clone(),
            png: d.png,
        })
        .collect();
    // Templates that ran away (past the time or memory limit).
    let stopped: std::cell::RefCell<Vec<&str>> = std::cell::RefCell::new(Vec::new());
    let skip = |i: usize| stopped.borrow().contains(&docs[i].main);
    let mut answered = |i: usize, answer: &crate::worker::Outcome<std::result::Result<Vec<u8>, String>>| {
        if matches!(answer, Err(Lost::TimedOut | Lost::Died { .. })) {
            stopped.borrow_mut().push(docs[i].main);
        }
        progress(
            i,
            match answer {
                Ok(Ok(made)) => Some(made),
                _ => None,
            },
        );
    };
    let answers = workers.run(&jobs, &skip, &mut answered);
    // A shipped template runs away only on a very large plan; an edited one may loop.
    let why = |d: &Doc, key: &str| {
        if world.shipped(d.main) {
            format!("这份文件的内容过多。可在 templates/rules.toml 中调大 {key} 后重新运行。")
        } else {
            format!("模板中可能有不会结束的循环，或生成的页数过多。请改正模板（或删去它，改用内置的模板）；如模板无误，可在 templates/rules.toml 中调大 {key}。")
        }
    };
    docs.iter()
        .zip(answers)
        .enumerate()
        .map(|(i, (d, answer))| match answer {
            Ok(Ok(pdf)) => Ok(pdf),
            Ok(Err(why)) => Err(format!("{}：{why}", d.named(world))),
            Err(Lost::TimedOut) => Err(format!(
                "排版{}超过 {} 秒仍未完成，已停止：{}",
                d.named(world),
                crate::text::fmt_num(limits.seconds_per_document, 1),
                why(d, "seconds_per_document")
            )),
            Err(Lost::Died { out_of_memory: true }) => Err(format!(
                "排版{}需要超过 {} MB 的内存，已停止：{}",
                d.named(world),
                crate::text::fmt_num(limits.memory_mb_per_document, 0),
                why(d, "memory_mb_per_document")
            )),
            Err(Lost::Died { out_of_memory: false }) => {
                Err(format!("排版{}时排版程序意外退出。请改正模板，或删去它改用内置的模板。", d.named(world)))
            }
            Err(Lost::Skipped) => Err(format!("{}：同一模板排版的上一份文件已超出上限，这一份未排版。", world.origin(d.main))),
            // No worker could be started: here, without limits.
            Err(Lost::NoWorker) => {
                let made = d.typeset_here(world).map_err(|e| format!("{}：{e}", d.named(world)));
                progress(i, made.as_deref().ok());
                made
            }
        })
        .collect()
}

/// The key of the Word report ([`key`]): its data, its creation time and what its
/// figures are drawn from (the templates and the figures' data).
pub fn word_report_key(a: &Assessment, report: &report::ReportData, world: &ReportWorld) -> Result<String> {
    let created = crate::clock::iso_time(a.documents.created_unix);
    let data = serde_json::to_string(report)?;
    let figures: Vec<String> = report::figure_data(report).iter().map(serde_json::to_string).collect::<serde_json::Result<_>>()?;
    let mut parts: Vec<&[u8]> = world.templates().iter().flat_map(|t| [t.name.as_bytes(), t.text.as_bytes()]).collect();
    let limits = document_limits(&a.plan.rules.limits);
    parts.extend([created.as_bytes(), data.as_bytes(), limits.as_bytes()]);
    parts.extend(figures.iter().map(|f| f.as_bytes()));
    Ok(key("docx-report", &parts))
}

/// What the report is called in the run's summary: the 终期评估报告 at the plan's end.
fn report_what(a: &Assessment) -> &'static str {
    if a.final_eval.is_some() {
        "终期评估报告"
    } else {
        "进展报告"
    }
}

fn report_word_what(a: &Assessment) -> &'static str {
    if a.final_eval.is_some() {
        "终期评估报告（Word）"
    } else {
        "进展报告（Word）"
    }
}

/// The report as a Word document, from the same data as the PDF; `figures` are its
/// figures as images (`typeset_all`); `key` is [`word_report_key`]; `report` is
/// [`report::report_data`] of `a`.
pub fn word_report(a: &Assessment, report: &report::ReportData, figures: &[Vec<u8>], key: String) -> Result<Rendered> {
    let created = crate::clock::iso_time(a.documents.created_unix);
    let bytes = docx::report(report, &created, figures).context("生成 Word 版报告失败")?;
    Ok(Rendered { rel: PathBuf::from(&a.documents.report_word_name), bytes, what: report_word_what(a), key: Some(key) })
}

/// The Word report the last run made from the same, if `reuse` has it.
pub fn word_report_reused(a: &Assessment, key: &str, reuse: Reuse) -> Option<Rendered> {
    let rel = PathBuf::from(&a.documents.report_word_name);
    let bytes = reuse(&rel, key)?;
    Some(Rendered { rel, bytes, what: report_word_what(a), key: Some(key.to_string()) })
}

/// The feedback sheets as Word documents, from the same data as the PDFs (each taken
/// from the last run where it was made from the same).
pub fn word_feedback(a: &Assessment, reuse: Option<Reuse>) -> Result<Vec<Rendered>> {
    let created = crate::clock::iso_time(a.documents.created_unix);
    let mut out = Vec::new();
    for fb in &a.feedback {
        let data = report::feedback_data(a, fb);
        let rel = feedback_path(&fb.unit, a.year, "docx")?;
        let key = key("docx-feedback", &[created.as_bytes(), serde_json::to_string(&data)?.as_bytes()]);
        let bytes = match reuse.and_then(|r| r(&rel, &key)) {
            Some(bytes) => bytes,
            None => docx::feedback(&data, &created).context("生成 Word 版反馈单失败")?,
        };
        out.push(Rendered { rel, bytes, what: "反馈单（Word）", key: Some(key) });
    }
    Ok(out)
}

/// Everything else: workbook and CSV tables.
pub fn tables(a: &Assessment) -> Result<Vec<Rendered>> {
    Ok(vec![
        rendered(&a.documents.workbook_name, workbook::workbook(a).context("生成汇总表失败")?, "汇总表"),
        rendered(CSV_FILES[0], tables::observations(a)?, "数据明细表"),
        rendered(CSV_FILES[1], tables::findings(a)?, "数据问题表"),
        rendered(CSV_FILES[2], tables::progress(a)?, "指标进展表"),
    ])
}
