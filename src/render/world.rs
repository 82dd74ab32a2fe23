//! The typst `World` for the run: embedded fonts, the report templates and the data as
//! in-memory files, no file system and no network. [`ReportWorld`] is built once per
//! run (fonts, library, templates) and never changes; each document is a [`Document`]
//! over it — its main template and its data file — so that documents can be typeset
//! side by side on several threads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use typst::diag::{FileError, FileResult, PackageError, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_kit::fonts::FontStore;

/// The report's faces, cut from Debian's fonts-noto-cjk and fonts-lxgw-wenkai, and
/// the Latin face of its body text, Libertinus Serif as typst ships it (SIL Open Font
/// License 1.1, see templates/fonts/). Only these are built in: typst's own set of
/// fonts (9.6 MB, math and monospace included) is not, since no template uses them.
const FONTS: &[&[u8]] = &[
    include_bytes!("../../templates/fonts/LibertinusSerif-Regular.otf"),
    include_bytes!("../../templates/fonts/LibertinusSerif-Bold.otf"),
    include_bytes!("../../templates/fonts/NotoSerifCJKsc-Regular.otf"),
    include_bytes!("../../templates/fonts/NotoSerifCJKsc-Bold.otf"),
    include_bytes!("../../templates/fonts/NotoSansCJKsc-Bold.otf"),
    include_bytes!("../../templates/fonts/PlanmonKai-Regular.ttf"),
];

/// Report templates embedded as defaults; a folder given by the user overrides them.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("report.typ", include_str!("../../templates/report.typ")),
    ("feedback.typ", include_str!("../../templates/feedback.typ")),
    ("common.typ", include_str!("../../templates/common.typ")),
    ("figure.typ", include_str!("../../templates/figure.typ")),
];

pub struct ReportWorld {
    library: LazyHash<Library>,
    fonts: FontStore,
    /// The characters some face has, as sorted ranges (start, end inclusive), to
    /// replace characters no face has: looked up for every character of every document
    /// (typst's own coverage test walks a font's runs one by one).
    covered: Vec<(u32, u32)>,
    sources: HashMap<FileId, Source>,
    /// Where each template came from, for error messages.
    origins: HashMap<FileId, PathBuf>,
    today: Datetime,
    templates: Vec<Template>,
}

/// One document to typeset: a template of the world, with its data served as a file.
pub struct Document<'a> {
    world: &'a ReportWorld,
    main: FileId,
    data: (FileId, Bytes),
}

impl<'a> Document<'a> {
    /// `main` (e.g. /report.typ) reading `bytes` at `data_path` (e.g. /data.json).
    pub fn new(world: &'a ReportWorld, main: &str, data_path: &str, bytes: Vec<u8>) -> Document<'a> {
        Document { world, main: file_id(main), data: (file_id(data_path), Bytes::new(bytes)) }
    }

    /// Describe typst errors with the template file, line and column: what it means
    /// in Chinese first, typst's own words after.
    pub fn describe(&self, diags: &[SourceDiagnostic]) -> String {
        diags
            .iter()
            .map(|d| {
                let place = d
                    .span
                    .id()
                    .and_then(|id| {
                        let source = self.world.sources.get(&id)?;
                        let range = self.range(d.span)?;
                        let lines = source.lines();
                        let line = lines.byte_to_line(range.start)? + 1;
                        let column = lines.byte_to_column(range.start)? + 1;
                        let origin = self.world.origins.get(&id).map(|p| p.display().to_string()).unwrap_or_else(|| format!("{id:?}"));
                        Some(format!("{origin} 第{line}行第{column}列："))
                    })
                    .unwrap_or_default();
                let hints: String = d.hints.iter().map(|h| format!("；提示：{}", h.v)).collect();
                format!("{place}{}。（typst 的原始说明：{}{hints}）", explain_typst(&d.message), d.message)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// What typst's messages mean for an officer who edited a template.
fn explain_typst(message: &str) -> &'static str {
    let has = |w: &str| message.contains(w);
    if has("escape the project root") || has("escapes project root") || has("outside of project root") {
        "路径超出了模板文件夹：planmon 的模板只能读取模板文件夹中的文件（根目录就是模板文件夹，不能更改）"
    } else if has("file not found") {
        "找不到文件：模板只能读取模板文件夹中的 report.typ、feedback.typ、common.typ 和 planmon 提供的数据文件"
    } else if has("package") {
        "不能使用 typst 的扩展包（@preview/…）：planmon 不联网，只能用 typst 内置的功能"
    } else if has("failed to load") || has("access denied") {
        "无法读取文件"
    } else if has("unknown variable") || has("unknown field") {
        "用了未定义的名称（变量或字段），请检查拼写"
    } else if has("unclosed") {
        "括号或引号没有配对"
    } else if has("expected") || has("unexpected") {
        "模板的写法有误（语法错误）"
    } else if has("infinite") || has("always true") {
        "循环不会结束（条件总成立）"
    } else if has("depth exceeded") || has("maximum") {
        "调用层数过多（可能是无限递归）"
    } else if has("panicked") {
        "模板中主动报错（panic）"
    } else if has("font") || has("glyph") {
        "字体中没有某些字"
    } else {
        "模板代码有误"
    }
}

pub fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).unwrap_or_else(|_| VirtualPath::new("/invalid").expect("static path"));
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

/// One report template: its name (report.typ), its text and where it came from.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Template {
    pub name: String,
    pub text: String,
    pub origin: String,
    /// The copy built into planmon (not an edited one).
    pub shipped: bool,
}

/// The largest template read (the shipped ones are a few dozen KB).
const MAX_TEMPLATE_BYTES: u64 = 4 << 20;

/// The templates of `template_dir` where it has them, else the embedded ones.
pub fn templates(template_dir: Option<&Path>) -> anyhow::Result<Vec<Template>> {
    let mut out = Vec::new();
    for (name, text) in TEMPLATES {
        let user = template_dir.map(|d| d.join(name)).filter(|p| p.is_file());
        out.push(match user {
            Some(path) => Template {
                name: name.to_string(),
                text: crate::config::read_text(&path, MAX_TEMPLATE_BYTES).map_err(anyhow::Error::msg)?,
                origin: path.display().to_string(),
                shipped: false,
            },
            None => {
                Template { name: name.to_string(), text: text.to_string(), origin: format!("templates/{name}（内置）"), shipped: true }
            }
        });
    }
    Ok(out)
}

impl ReportWorld {
    /// Fonts and templates; `template_dir` holds edited copies of the `.typ` files.
    pub fn new(template_dir: Option<&Path>, today: Datetime) -> anyhow::Result<ReportWorld> {
        Ok(ReportWorld::from_templates(templates(template_dir)?, today))
    }

    /// Fonts and the given templates.
    pub fn from_templates(templates: Vec<Template>, today: Datetime) -> ReportWorld {
        let mut fonts = FontStore::new();
        let mut codepoints = Vec::new();
        for data in FONTS {
            for font in Font::iter(Bytes::new(*data)) {
                let info = font.info().clone();
                codepoints.extend(info.coverage.iter());
                fonts.push((font, info));
            }
        }
        let mut world = ReportWorld {
            library: LazyHash::new(Library::builder().build()),
            fonts,
            covered: ranges(codepoints),
            sources: HashMap::new(),
            origins: HashMap::new(),
            today,
            templates: templates.clone(),
        };
        for t in templates {
            let id = file_id(&format!("/{}", t.name));
            world.origins.insert(id, PathBuf::from(&t.origin));
            world.sources.insert(id, Source::new(id, t.text));
        }
        world
    }

    /// The templates the world was made from (for a typesetting worker).
    pub fn templates(&self) -> &[Template] {
        &self.templates
    }

    /// Where the template `main` (/report.typ) came from, for messages.
    pub fn origin(&self, main: &str) -> String {
        self.origins.get(&file_id(main)).map(|p| p.display().to_string()).unwrap_or_else(|| main.trim_start_matches('/').to_string())
    }

    /// Whether the template `main` is the copy built into planmon.
    pub fn shipped(&self, main: &str) -> bool {
        self.templates.iter().any(|t| t.shipped && format!("/{}", t.name) == main)
    }

    pub fn today(&self) -> Datetime {
        self.today
    }

    /// Whether some embedded CJK face has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        let c = c as u32;
        c < 0x80
            || self
                .covered
                .binary_search_by(|&(start, end)| {
                    if end < c {
                        std::cmp::Ordering::Less
                    } else if start > c {
                        std::cmp::Ordering::Greater
                    } else {
                        std::cmp::Ordering::Equal
                    }
                })
                .is_ok()
    }
}

/// Code points as sorted, merged ranges (start, end inclusive).
fn ranges(mut codepoints: Vec<u32>) -> Vec<(u32, u32)> {
    codepoints.sort_unstable();
    codepoints.dedup();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for c in codepoints {
        match out.last_mut() {
            Some((_, end)) if *end + 1 == c => *end = c,
            _ => out.push((c, c)),
        }
    }
    out
}

/// Packages (`@preview/…`) cannot be fetched: there is no network.
fn no_packages(id: FileId) -> FileResult<()> {
    match id.get().root() {
        VirtualRoot::Package(spec) => Err(FileError::Package(PackageError::NotFound(spec.clone()))),
        VirtualRoot::Project => Ok(()),
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(PathBuf::from(id.get().vpath().get_with_slash()))
}

impl World for Document<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.world.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.world.fonts.book()
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        no_packages(id)?;
        self.world.sources.get(&id).cloned().ok_or_else(|| not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        no_packages(id)?;
        if id == self.data.0 {
            return Ok(self.data.1.clone());
        }
        if let Some(source) = self.world.sources.get(&id) {
            return Ok(Bytes::from_string(source.clone()));
        }
        Err(not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.world.fonts.font(index)
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.world.today)
    }
}
