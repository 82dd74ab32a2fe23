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
use typst::text::{Font, FontBook, FontInfo};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_kit::fonts::FontStore;

/// The report's faces, cut from Debian's fonts-noto-cjk and fonts-lxgw-wenkai
/// (SIL Open Font License 1.1, see templates/fonts/).
const FONTS: &[&[u8]] = &[
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
];

pub struct ReportWorld {
    library: LazyHash<Library>,
    fonts: FontStore,
    /// Unicode coverage of the CJK faces, to replace characters no face has.
    coverage: Vec<FontInfo>,
    sources: HashMap<FileId, Source>,
    /// Where each template came from, for error messages.
    origins: HashMap<FileId, PathBuf>,
    today: Datetime,
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

    /// Describe typst errors with the template file, line and column.
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
                let hints: String = d.hints.iter().map(|h| format!("（提示：{}）", h.v)).collect();
                format!("{place}{}{hints}", d.message)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

pub fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).unwrap_or_else(|_| VirtualPath::new("/invalid").expect("static path"));
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

impl ReportWorld {
    /// Fonts and templates; `template_dir` holds edited copies of the `.typ` files.
    pub fn new(template_dir: Option<&Path>, today: Datetime) -> std::io::Result<ReportWorld> {
        let mut fonts = FontStore::new();
        let mut coverage = Vec::new();
        for data in FONTS {
            for font in Font::iter(Bytes::new(*data)) {
                let info = font.info().clone();
                coverage.push(info.clone());
                fonts.push((font, info));
            }
        }
        fonts.extend(typst_kit::fonts::embedded());
        let mut world = ReportWorld {
            library: LazyHash::new(Library::builder().build()),
            fonts,
            coverage,
            sources: HashMap::new(),
            origins: HashMap::new(),
            today,
        };
        for (name, text) in TEMPLATES {
            let user = template_dir.map(|d| d.join(name)).filter(|p| p.is_file());
            let (text, origin) = match user {
                Some(path) => (std::fs::read_to_string(&path)?, path),
                None => (text.to_string(), PathBuf::from(format!("templates/{name}（内置）"))),
            };
            let id = file_id(&format!("/{name}"));
            world.origins.insert(id, origin);
            world.sources.insert(id, Source::new(id, text));
        }
        Ok(world)
    }

    /// Whether some embedded CJK face has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        c.is_ascii() || self.coverage.iter().any(|info| info.coverage.contains(c as u32))
    }
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
