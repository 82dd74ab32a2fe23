//! Typesetting with typst used as a library: a typed document model (report.rs),
//! serialised to JSON and served to the template as a file — data, never markup —
//! compiled and exported as PDF/A-2b.

use std::collections::BTreeSet;

use serde_json::Value;
use typst::foundations::{Datetime, Smart};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use super::world::{Document, ReportWorld};

/// Failure to typeset: a broken template (with file and line) or a PDF export error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RenderError(pub String);

/// Characters of the data that no embedded face covers are replaced by 〓 and reported.
pub struct Coverage<'a> {
    world: &'a ReportWorld,
    pub missing: BTreeSet<char>,
    /// Characters already looked up (a document repeats the same few thousand).
    known: std::collections::HashMap<char, bool>,
}

/// The paragraph separator the data carries between an item's paragraphs
/// (`report::PARAGRAPH`), kept for the templates to split on.
const PARAGRAPH: char = '\u{2029}';

impl<'a> Coverage<'a> {
    pub fn new(world: &'a ReportWorld) -> Coverage<'a> {
        Coverage { world, missing: BTreeSet::new(), known: std::collections::HashMap::new() }
    }

    fn covers(&mut self, c: char) -> bool {
        let world = self.world;
        *self.known.entry(c).or_insert_with(|| world.covers(c))
    }

    /// Replace what no face covers (and control characters) in every string of `v`.
    pub fn clean(&mut self, v: &mut Value) {
        match v {
            Value::String(s) if s.chars().any(|c| c != PARAGRAPH && (c.is_control() || !self.covers(c))) => {
                *s = s
                    .chars()
                    .map(|c| {
                        // The templates split an item's paragraphs on it.
                        if c == PARAGRAPH {
                            c
                        } else if c.is_control() {
                            ' '
                        } else if self.covers(c) {
                            c
                        } else {
                            self.missing.insert(c);
                            '〓'
                        }
                    })
                    .collect();
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.clean(x)),
            Value::Object(o) => o.values_mut().for_each(|x| self.clean(x)),
            _ => {}
        }
    }
}

/// Compile the template `main` with `data` served at `data_path` and export PDF/A-2b.
/// Takes the world by shared reference: several documents may be typeset at once.
pub fn typeset(
    world: &ReportWorld,
    main: &str,
    data_path: &str,
    mut data: Value,
    created: Datetime,
    ident: &str,
) -> Result<Vec<u8>, RenderError> {
    Coverage::new(world).clean(&mut data);
    let doc = Document::new(world, main, data_path, serde_json::to_vec(&data).map_err(|e| RenderError(e.to_string()))?);
    let warned = typst::compile::<PagedDocument>(&doc);
    let paged = warned.output.map_err(|errs| RenderError(format!("报告模板有误：\n{}", doc.describe(&errs))))?;
    crate::clock::mark(&format!("typeset {main}: laid out, {} pages", paged.pages().len()));
    let options = PdfOptions {
        ident: Smart::Custom(ident.to_string()),
        timestamp: Some(Timestamp::new_utc(created)),
        standards: PdfStandards::new(&[PdfStandard::A_2b]).map_err(|e| RenderError(format!("{e:?}")))?,
        ..PdfOptions::default()
    };
    let pdf = typst_pdf::pdf(&paged, &options).map_err(|errs| RenderError(format!("生成 PDF 失败：\n{}", doc.describe(&errs))))?;
    Ok(pdf)
}

/// Pixels per point of a figure's image: 300 dpi, for print.
const FIGURE_PIXELS_PER_POINT: f64 = 300.0 / 72.0;

/// Compile the template `main` (a figure on one page) and render it as a PNG: the Word
/// version's picture of what the PDF draws.
pub fn typeset_png(world: &ReportWorld, main: &str, data_path: &str, mut data: Value) -> Result<Vec<u8>, RenderError> {
    Coverage::new(world).clean(&mut data);
    let doc = Document::new(world, main, data_path, serde_json::to_vec(&data).map_err(|e| RenderError(e.to_string()))?);
    let warned = typst::compile::<PagedDocument>(&doc);
    let paged = warned.output.map_err(|errs| RenderError(format!("图的模板有误：\n{}", doc.describe(&errs))))?;
    let page = paged.pages().first().ok_or_else(|| RenderError("图的模板没有生成任何页面。".to_string()))?;
    let options = typst_render::RenderOptions { pixel_per_pt: typst::utils::Scalar::new(FIGURE_PIXELS_PER_POINT), render_bleed: false };
    let pixmap = typst_render::render(page, &options);
    pixmap.encode_png().map_err(|e| RenderError(format!("生成图片失败（{e}）")))
}

/// A moment as the worker protocol carries it: year, month, day, hour, minute, second.
fn moment(d: Datetime) -> [i32; 6] {
    let part = |v: Option<u8>| v.map(i32::from).unwrap_or(0);
    [d.year().unwrap_or(1970), part(d.month()), part(d.day()), part(d.hour()), part(d.minute()), part(d.second())]
}

fn datetime(m: [i32; 6]) -> Datetime {
    let u = |k: usize| u8::try_from(m[k]).unwrap_or(0);
    Datetime::from_ymd_hms(m[0], u(1), u(2), u(3), u(4), u(5))
        .or_else(|| Datetime::from_ymd(m[0], u(1), u(2)))
        .unwrap_or_else(|| Datetime::from_ymd(1970, 1, 1).expect("a valid date"))
}

/// What a typesetting worker is given once: the templates and the creation time.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct TypesetSetup {
    templates: Vec<super::world::Template>,
    created: [i32; 6],
}

impl TypesetSetup {
    pub fn new(world: &ReportWorld) -> TypesetSetup {
        TypesetSetup { templates: world.templates().to_vec(), created: moment(world.today()) }
    }
}

/// One document: its template, its data (JSON text) and the PDF's ident.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct TypesetJob {
    pub main: String,
    pub data_path: String,
    pub data: String,
    pub ident: String,
    /// A figure rendered as a PNG, not a PDF.
    #[serde(default)]
    pub png: bool,
}

/// A typesetting worker: one world (fonts, templates) for all its documents.
pub struct Typesetter {
    world: ReportWorld,
    created: Datetime,
}

impl crate::worker::Task for Typesetter {
    const KIND: crate::worker::Kind = crate::worker::Kind::Typeset;
    type Setup = TypesetSetup;
    type Job = TypesetJob;
    /// The PDF, or what is wrong with the template.
    type Answer = Result<Vec<u8>, String>;

    fn start(setup: TypesetSetup) -> anyhow::Result<Typesetter> {
        let created = datetime(setup.created);
        Ok(Typesetter { world: ReportWorld::from_templates(setup.templates, created), created })
    }

    fn perform(&self, job: TypesetJob) -> Self::Answer {
        let data: Value = serde_json::from_str(&job.data).map_err(|e| e.to_string())?;
        if job.png {
            return typeset_png(&self.world, &job.main, &job.data_path, data).map_err(|e| e.0);
        }
        typeset(&self.world, &job.main, &job.data_path, data, self.created, &job.ident).map_err(|e| e.0)
    }
}
