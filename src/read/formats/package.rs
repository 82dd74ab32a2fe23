//! The zip packages (xlsx, xlsb, ods): parts found as Office finds them, read as streams
//! of bounded length; the relationships that lead from the workbook to a sheet and to the
//! styles; and the XML helpers the XML formats share.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};

use quick_xml::events::{BytesStart, Event};

use super::{NumberFormat, Recorder, Result};

/// No part is read beyond this, whatever its zip entry declares (`limits` has already
/// refused packages declaring more than `max_part_mb`).
const MAX_PART_BYTES: u64 = 256 << 20;

/// A part being read.
pub(super) type Part<'p, 'a> = BufReader<std::io::Take<zip::read::ZipFile<'p, std::io::Cursor<&'a [u8]>>>>;

pub(super) struct Package<'a> {
    zip: zip::ZipArchive<std::io::Cursor<&'a [u8]>>,
}

impl<'a> Package<'a> {
    pub(super) fn open(bytes: &'a [u8]) -> Result<Package<'a>> {
        let zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| format!("not a zip package: {e}"))?;
        Ok(Package { zip })
    }

    /// The part named `name`, compared without regard to case as Office does, and with
    /// `\` for `/` as some writers store the names; None when there is none.
    pub(super) fn part(&mut self, name: &str) -> Result<Option<Part<'_, 'a>>> {
        let index = self
            .zip
            .index_for_name(name)
            .or_else(|| self.zip.file_names().position(|n| n.is_ok_and(|n| n.replace('\\', "/").eq_ignore_ascii_case(name))));
        let Some(index) = index else { return Ok(None) };
        let file = self.zip.by_index(index).map_err(|e| format!("{name}: {e}"))?;
        Ok(Some(BufReader::new(file.take(MAX_PART_BYTES))))
    }

    /// A part that must be there.
    pub(super) fn required(&mut self, name: &str) -> Result<Part<'_, 'a>> {
        self.part(name)?.ok_or_else(|| format!("no part {name}"))
    }

    /// The relationships of `part`, targets resolved to part names.
    fn relationships(&mut self, part: &str, out: &mut Recorder) -> Result<Vec<Relationship>> {
        let (dir, file) = part.rsplit_once('/').unwrap_or(("", part));
        let rels = if dir.is_empty() { format!("_rels/{file}.rels") } else { format!("{dir}/_rels/{file}.rels") };
        let mut found = Vec::new();
        let Some(reader) = self.part(&rels)? else { return Ok(found) };
        Xml::new(reader, &rels).walk(out, |tag, _| {
            let Tag::Open(e, _) = tag else { return Ok(true) };
            if e.local_name().as_ref() != "Relationship" || attr(e, "TargetMode").as_deref() == Some("External") {
                return Ok(true);
            }
            if let (Some(id), Some(kind), Some(target)) = (attr(e, "Id"), attr(e, "Type"), attr(e, "Target")) {
                // As many as there may be styles is far more than any workbook has.
                if found.len() >= super::MAX_STYLES {
                    return Err(format!("{rels}: too many relationships"));
                }
                let kind = kind.rsplit('/').next().unwrap_or_default().to_string();
                found.push(Relationship { id: id.into_owned(), kind, target: resolve(dir, &target) });
            }
            Ok(true)
        })?;
        Ok(found)
    }

    /// The workbook part, as the package relationships name it (`default` when they do not).
    fn workbook(&mut self, default: &str, out: &mut Recorder) -> Result<String> {
        let main = self.relationships("", out)?.into_iter().find(|r| r.kind == "officeDocument");
        Ok(main.map(|r| r.target).unwrap_or_else(|| default.to_string()))
    }
}

/// The two Office Open XML workbooks, XML (xlsx) or binary (xlsb): the same package, the
/// same relationships, parts of their own.
pub(super) trait Parts {
    /// Where the workbook part is when the package relationships do not say.
    const WORKBOOK: &'static str;
    /// Hand each sheet's name and relationship id to `each`, until it returns true.
    fn sheets(book: &mut dyn BufRead, out: &mut Recorder, each: &mut dyn FnMut(&str, &str) -> bool) -> Result<()>;
    /// The number format of each cell format, by index.
    fn cell_formats(styles: &mut dyn BufRead, part: &str, out: &mut Recorder) -> Result<Vec<Option<NumberFormat>>>;
    fn read_sheet(sheet: &mut dyn BufRead, part: &str, formats: &[Option<NumberFormat>], out: &mut Recorder) -> Result<()>;
}

/// An Office Open XML workbook's parts as far as every sheet needs them, found once: the
/// package, each sheet's part by name, the cell formats.
pub(super) struct Book<'a> {
    package: Package<'a>,
    /// The workbook part's name.
    book: String,
    /// (sheet name, its relationship id, its part), in the workbook's order; the part is
    /// None when no relationship has the id (an error when that sheet is asked for).
    parts: Vec<(String, String, Option<String>)>,
    formats: Vec<Option<NumberFormat>>,
}

impl<'a> Book<'a> {
    pub(super) fn open<P: Parts>(bytes: &'a [u8], out: &mut Recorder) -> Result<Book<'a>> {
        let mut package = Package::open(bytes)?;
        let book = package.workbook(P::WORKBOOK, out)?;
        let mut ids: Vec<(String, String)> = Vec::new();
        P::sheets(&mut package.required(&book)?, out, &mut |sheet, rel| {
            ids.push((sheet.to_string(), rel.to_string()));
            false
        })?;
        let rels = package.relationships(&book, out)?;
        let parts = ids
            .into_iter()
            .map(|(sheet, id)| {
                let part = rels.iter().find(|r| r.id == id).map(|r| r.target.clone());
                (sheet, id, part)
            })
            .collect();
        let formats = match rels.iter().find(|r| r.kind == "styles") {
            Some(styles) => match package.part(&styles.target)? {
                Some(mut reader) => P::cell_formats(&mut reader, &styles.target, out)?,
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        Ok(Book { package, book, parts, formats })
    }

    /// The presentation of sheet `name` (the first of that name, as the workbook lists them).
    pub(super) fn read<P: Parts>(&mut self, name: &str, out: &mut Recorder) -> Result<()> {
        let (_, id, part) = self.parts.iter().find(|(sheet, _, _)| sheet == name).ok_or("no sheet of this name")?;
        let part = part.clone().ok_or_else(|| format!("{}: no relationship {id}", self.book))?;
        let mut reader = self.package.required(&part)?;
        P::read_sheet(&mut reader, &part, &self.formats, out)
    }
}

/// The sheet names of an Office Open XML workbook, in order.
pub(super) fn sheet_names<P: Parts>(bytes: &[u8], out: &mut Recorder) -> Result<Vec<String>> {
    let mut package = Package::open(bytes)?;
    let book = package.workbook(P::WORKBOOK, out)?;
    let mut names = Vec::new();
    P::sheets(&mut package.required(&book)?, out, &mut |sheet, _| {
        names.push(sheet.to_string());
        false
    })?;
    Ok(names)
}

pub(super) struct Relationship {
    id: String,
    /// The last segment of its type (`worksheet`, `styles`, `officeDocument`).
    kind: String,
    target: String,
}

/// A relationship's target as a part name: relative to the folder of the part it belongs
/// to, or absolute from the package root.
fn resolve(dir: &str, target: &str) -> String {
    let target = target.replace('\\', "/");
    let (mut parts, rest): (Vec<&str>, &str) = match target.strip_prefix('/') {
        Some(absolute) => (Vec::new(), absolute),
        None => (dir.split('/').filter(|p| !p.is_empty()).collect(), &target),
    };
    for p in rest.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// An XML part read event by event, each one a step of the budget.
pub(super) struct Xml<R: BufRead> {
    reader: quick_xml::Reader<R>,
    name: String,
}

/// An XML event that matters to the readers.
pub(super) enum Tag<'a> {
    /// An element opening, and whether it is empty (`<a/>`: no end follows).
    Open(&'a BytesStart<'a>, bool),
    /// The local name of the element closed.
    Close(&'a str),
    /// Text, and whether there is more to it than white space.
    Text(bool),
}

impl<R: BufRead> Xml<R> {
    pub(super) fn new(reader: R, name: impl Into<String>) -> Xml<R> {
        Xml { reader: quick_xml::Reader::from_reader(reader), name: name.into() }
    }

    /// Hand each event to `visit` until the end of the part or until it returns false.
    pub(super) fn walk(&mut self, out: &mut Recorder, mut visit: impl FnMut(Tag<'_>, &mut Recorder) -> Result<bool>) -> Result<()> {
        let mut buf = Vec::new();
        loop {
            out.step()?;
            buf.clear();
            let event = self.reader.read_event_into(&mut buf).map_err(|e| format!("{}: {e}", self.name))?;
            let go_on = match &event {
                Event::Start(e) => visit(Tag::Open(e, false), out)?,
                Event::Empty(e) => visit(Tag::Open(e, true), out)?,
                Event::End(e) => visit(Tag::Close(e.local_name().as_ref()), out)?,
                Event::Text(t) => visit(Tag::Text(!t.as_ref().trim().is_empty()), out)?,
                Event::CData(t) => visit(Tag::Text(!t.is_empty()), out)?,
                Event::GeneralRef(_) => visit(Tag::Text(true), out)?,
                Event::Eof => return Ok(()),
                _ => true,
            };
            if !go_on {
                return Ok(());
            }
        }
    }
}

/// The value of attribute `name`: a qualified name (`table:name`) compared as it is, a
/// name without prefix compared with the local names (OOXML files use various prefixes).
pub(super) fn attr<'a>(e: &'a BytesStart<'_>, name: &str) -> Option<Cow<'a, str>> {
    let qualified = name.contains(':');
    let wanted = |a: &quick_xml::events::attributes::Attribute| {
        if qualified {
            a.key.as_ref() == name
        } else {
            a.key.local_name().as_ref() == name
        }
    };
    // A value with a reference quick-xml cannot resolve is taken as written.
    e.attributes().flatten().find(wanted).map(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).unwrap_or(a.value))
}

/// The values of the attributes `names` (names without prefix, compared with the local
/// names), in one pass over the element's attributes: `attr` for each, without going
/// through them again for every name (a sheet has a `<c>` per cell).
pub(super) fn attrs<'a, const N: usize>(e: &'a BytesStart<'_>, names: [&str; N]) -> [Option<Cow<'a, str>>; N] {
    let mut found: [Option<Cow<'a, str>>; N] = std::array::from_fn(|_| None);
    for a in e.attributes().flatten() {
        let key = a.key.local_name();
        if let Some(k) = names.iter().position(|n| *n == key.as_ref()) {
            if found[k].is_none() {
                found[k] = Some(a.normalized_value(quick_xml::XmlVersion::Implicit1_0).unwrap_or(a.value));
            }
        }
    }
    found
}

/// An XML boolean (`1`, `true`).
pub(super) fn truthy(value: Option<Cow<'_, str>>) -> bool {
    value.is_some_and(|v| matches!(v.trim(), "1" | "true"))
}

/// A count or index attribute; None when absent or not a number.
pub(super) fn number<T: std::str::FromStr>(value: Option<Cow<'_, str>>) -> Option<T> {
    value.and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn formats_relationship_targets_resolve_to_part_names() {
        assert_eq!(resolve("xl", "worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve("xl", "/xl/worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve("xl", "../xl/./styles.xml"), "xl/styles.xml");
        assert_eq!(resolve("", "xl/workbook.xml"), "xl/workbook.xml");
        assert_eq!(resolve("xl", "worksheets\\sheet2.xml"), "xl/worksheets/sheet2.xml");
        assert_eq!(resolve("xl", "../../../x"), "x");
    }
}
