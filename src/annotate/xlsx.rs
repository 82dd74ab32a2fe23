//! An annotated copy of a unit's own .xlsx: the package is copied part by part, and only
//! what the annotation needs is changed — two fills and a cloned cell style per marked
//! style in styles.xml, the `s` of each marked cell, a comments part and its VML drawing
//! per sheet, and a first sheet 问题清单 with links to the cells. Every other part keeps
//! its bytes, so values, formulas with their cached results, number formats, merged
//! cells, widths, data validation, protection and hidden state stay as the unit made
//! them. (A crate that reads the workbook into its own model and writes it again loses
//! what it does not model; see the README's 批注副本 section.)
//!
//! The copy is reproducible: parts in the original's order, new parts after them, every
//! entry dated 1980-01-01.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Write};

use quick_xml::escape::escape;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// How a cell is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkKind {
    Error,
    Warning,
    /// A cell to update when the return is sent again (填报日期).
    Update,
}

impl MarkKind {
    /// The fill (ARGB).
    fn color(self) -> &'static str {
        match self {
            MarkKind::Error => "FFFFC7CE",
            MarkKind::Warning => "FFFFB050",
            MarkKind::Update => "FFBDD7EE",
        }
    }
}

/// One cell to mark, with the comment it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub sheet: String,
    /// A1-style address.
    pub cell: String,
    pub kind: MarkKind,
    pub comment: String,
}

/// One row of 问题清单: its cells' texts, and the cell it links to (sheet, address).
#[derive(Debug, Clone, PartialEq)]
pub struct ListRow {
    pub cells: Vec<String>,
    pub link: Option<(String, String)>,
}

/// What to add to a workbook.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Annotation {
    pub marks: Vec<Mark>,
    /// 问题清单: lines above the table (title, legend, notes), the header, the rows;
    /// `link_column` is the column (0-based) whose cell carries each row's link.
    pub list_name: String,
    pub list_lines: Vec<String>,
    pub list_header: Vec<String>,
    pub list_rows: Vec<ListRow>,
    pub link_column: usize,
    pub author: String,
}

/// Why a copy could not be made (the original is then left without one).
#[derive(Debug)]
pub struct AnnotateError(pub String);

impl std::fmt::Display for AnnotateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err(what: impl Into<String>) -> AnnotateError {
    AnnotateError(what.into())
}

const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PKG_REL_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

/// The package's parts, in order.
struct Package {
    parts: Vec<(String, Vec<u8>)>,
}

impl Package {
    fn open(bytes: &[u8]) -> Result<Package, AnnotateError> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| err(format!("不是有效的 xlsx 文件（{e}）")))?;
        let mut parts = Vec::new();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).map_err(|e| err(format!("xlsx 文件中的部件读不出（{e}）")))?;
            if f.is_dir() {
                continue;
            }
            let name = f.name().map_err(|e| err(format!("xlsx 文件中的部件名有误（{e}）")))?.to_string();
            let mut data = Vec::new();
            f.read_to_end(&mut data).map_err(|e| err(format!("xlsx 文件中的部件“{name}”读不出（{e}）")))?;
            parts.push((name, data));
        }
        Ok(Package { parts })
    }

    fn get(&self, name: &str) -> Option<&[u8]> {
        self.parts.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, d)| d.as_slice())
    }

    fn text(&self, name: &str) -> Result<String, AnnotateError> {
        let data = self.get(name).ok_or_else(|| err(format!("xlsx 文件中缺少“{name}”")))?;
        String::from_utf8(data.to_vec()).map_err(|_| err(format!("“{name}”不是 UTF-8 文本")))
    }

    fn set(&mut self, name: &str, data: Vec<u8>) {
        match self.parts.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some((_, d)) => *d = data,
            None => self.parts.push((name.to_string(), data)),
        }
    }

    fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn write(&self) -> Result<Vec<u8>, AnnotateError> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644);
        for (name, data) in &self.parts {
            out.start_file(name.as_str(), options).map_err(|e| err(format!("写批注副本出错（{e}）")))?;
            out.write_all(data).map_err(|e| err(format!("写批注副本出错（{e}）")))?;
        }
        Ok(out.finish().map_err(|e| err(format!("写批注副本出错（{e}）")))?.into_inner())
    }
}

/// An attribute's value by local name (any prefix).
fn attr(e: &BytesStart, local: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .map(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map(|v| v.to_string()).unwrap_or_else(|_| a.value.to_string()))
}

/// A relationship: (Id, Type, Target).
fn relationships(xml: &str) -> Vec<(String, String, String)> {
    let mut r = Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == "Relationship" => {
                out.push((
                    attr(&e, "Id").unwrap_or_default(),
                    attr(&e, "Type").unwrap_or_default(),
                    attr(&e, "Target").unwrap_or_default(),
                ));
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

/// A target relative to the part at `base` ("xl/workbook.xml" + "worksheets/sheet1.xml").
fn resolve(base: &str, target: &str) -> String {
    if let Some(abs) = target.strip_prefix('/') {
        return abs.to_string();
    }
    let mut dir: Vec<&str> = base.split('/').collect();
    dir.pop();
    for seg in target.split('/') {
        match seg {
            ".." => {
                dir.pop();
            }
            "." | "" => {}
            s => dir.push(s),
        }
    }
    dir.join("/")
}

/// The rels part of a part: xl/worksheets/sheet1.xml → xl/worksheets/_rels/sheet1.xml.rels.
fn rels_of(part: &str) -> String {
    match part.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{part}.rels"),
    }
}

/// (column, row), both from 1, of an A1 address ($ signs allowed), within a sheet's
/// bounds (the reader's `cell_position`).
pub fn parse_cell(a1: &str) -> Option<(u32, u32)> {
    let (row, col) = crate::read::cell_position(&a1.trim().replace('$', ""))?;
    (row < 1_048_576 && col < 16_384).then_some((col + 1, row + 1))
}

/// Column letters of a column number from 1 (27 → AA): the reader's `column_name`.
pub fn column_letters(col: u32) -> String {
    crate::read::column_name(col.saturating_sub(1))
}

/// Byte spans: (start, end) of a parent's content, and of each child element.
struct Spans {
    start: usize,
    end: usize,
    children: Vec<(usize, usize)>,
}

/// A style index and a kind of mark → the index of the style that marks it.
type StyleMap = BTreeMap<(u32, MarkKind), u32>;

/// A marked cell: its style now, its mark, its comments.
type Marked = (u32, MarkKind, Vec<String>);

/// The byte span of each top-level element named `name` inside `parent` (the first
/// such parent): (start, end) offsets in `xml`.
fn child_spans(xml: &str, parent: &str, name: &str) -> Option<Spans> {
    let mut r = Reader::from_str(xml);
    let mut depth_in: Option<usize> = None;
    let mut depth = 0usize;
    let mut spans = Vec::new();
    let mut open: Option<usize> = None;
    let (mut p_start, mut p_end) = (0usize, 0usize);
    loop {
        let before = r.buffer_position() as usize;
        let ev = r.read_event().ok()?;
        let after = r.buffer_position() as usize;
        match ev {
            Event::Start(e) => {
                depth += 1;
                if depth_in.is_none() && e.local_name().as_ref() == parent {
                    depth_in = Some(depth);
                    p_start = after;
                } else if depth_in == Some(depth - 1) && e.local_name().as_ref() == name {
                    open = Some(before);
                }
            }
            Event::Empty(e) => {
                if depth_in.is_none() && e.local_name().as_ref() == parent {
                    return Some(Spans { start: after, end: after, children: Vec::new() });
                }
                if depth_in == Some(depth) && e.local_name().as_ref() == name {
                    spans.push((before, after));
                }
            }
            Event::End(e) => {
                if depth_in == Some(depth) && e.local_name().as_ref() == parent {
                    p_end = before;
                    return Some(Spans { start: p_start, end: p_end, children: spans });
                }
                if depth_in == Some(depth - 1) && e.local_name().as_ref() == name {
                    if let Some(s) = open.take() {
                        spans.push((s, after));
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let _ = p_end;
    None
}

/// The start tag of an element's raw text with attribute `key` set to `value`.
fn set_attr(tag: &str, key: &str, value: &str) -> String {
    let end = tag.find('>').unwrap_or(tag.len());
    let (head, rest) = tag.split_at(end);
    let self_closing = head.ends_with('/');
    let head = head.trim_end_matches('/');
    let pat = format!(" {key}=\"");
    let new_head = match head.find(&pat) {
        Some(i) => {
            let vstart = i + pat.len();
            let vend = head[vstart..].find('"').map(|k| vstart + k).unwrap_or(head.len());
            format!("{}{}{}", &head[..vstart], value, &head[vend..])
        }
        None => format!("{head}{pat}{value}\""),
    };
    format!("{new_head}{}{rest}", if self_closing { "/" } else { "" })
}

/// styles.xml with one solid fill per kind and, for each (style, kind) asked, a clone
/// of the cell style with that fill: the map to the new style indices.
fn add_styles(styles: &str, wanted: &BTreeSet<(u32, MarkKind)>) -> Result<(String, StyleMap), AnnotateError> {
    let Spans { start: f_start, end: f_end, children: fills } =
        child_spans(styles, "fills", "fill").ok_or_else(|| err("styles.xml 中没有 fills"))?;
    let Spans { start: x_start, end: x_end, children: xfs } =
        child_spans(styles, "cellXfs", "xf").ok_or_else(|| err("styles.xml 中没有 cellXfs"))?;
    if f_start == f_end && fills.is_empty() {
        return Err(err("styles.xml 的 fills 为空元素"));
    }
    let kinds: BTreeSet<MarkKind> = wanted.iter().map(|(_, k)| *k).collect();
    let mut fill_id: BTreeMap<MarkKind, usize> = BTreeMap::new();
    let mut new_fills = String::new();
    for (k, kind) in kinds.iter().enumerate() {
        fill_id.insert(*kind, fills.len() + k);
        new_fills.push_str(&format!(
            r#"<fill><patternFill patternType="solid"><fgColor rgb="{}"/><bgColor indexed="64"/></patternFill></fill>"#,
            kind.color()
        ));
    }
    let mut map = BTreeMap::new();
    let mut new_xfs = String::new();
    for (k, (style, kind)) in wanted.iter().enumerate() {
        let raw = xfs.get(*style as usize).or_else(|| xfs.first()).map(|(a, b)| &styles[*a..*b]).unwrap_or("<xf/>");
        let tag = set_attr(raw, "fillId", &fill_id[kind].to_string());
        new_xfs.push_str(&set_attr(&tag, "applyFill", "1"));
        map.insert((*style, *kind), (xfs.len() + k) as u32);
    }
    // Rebuild: fills' count and content, then cellXfs'.
    let fills_count = fills.len() + kinds.len();
    let xfs_count = xfs.len() + wanted.len();
    let mut out = String::with_capacity(styles.len() + new_fills.len() + new_xfs.len());
    // The start tags sit just before the content starts.
    let f_tag_start = styles[..f_start].rfind('<').unwrap_or(0);
    let x_tag_start = styles[..x_start].rfind('<').unwrap_or(0);
    out.push_str(&styles[..f_tag_start]);
    out.push_str(&set_attr(&styles[f_tag_start..f_start], "count", &fills_count.to_string()));
    out.push_str(&styles[f_start..f_end]);
    out.push_str(&new_fills);
    out.push_str(&styles[f_end..x_tag_start]);
    out.push_str(&set_attr(&styles[x_tag_start..x_start], "count", &xfs_count.to_string()));
    out.push_str(&styles[x_start..x_end]);
    out.push_str(&new_xfs);
    out.push_str(&styles[x_end..]);
    Ok((out, map))
}

/// The style index of each marked cell as it is now (0 when the cell is not written).
fn cell_styles(sheet: &str, cells: &BTreeSet<(u32, u32)>) -> BTreeMap<(u32, u32), u32> {
    let mut r = Reader::from_str(sheet);
    let mut out = BTreeMap::new();
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == "c" => {
                if let Some(at) = attr(&e, "r").and_then(|a| parse_cell(&a)) {
                    if cells.contains(&at) {
                        out.insert(at, attr(&e, "s").and_then(|s| s.parse().ok()).unwrap_or(0));
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    for c in cells {
        out.entry(*c).or_insert(0);
    }
    out
}

/// The sheet with each marked cell given its new style (cells not written are added,
/// in row and column order), `legacy` (a `<legacyDrawing r:id=…/>`) put where the
/// schema wants it, and tabSelected taken off.
fn restyle_sheet(sheet: &str, styles: &BTreeMap<(u32, u32), u32>, legacy: Option<&str>) -> Result<String, AnnotateError> {
    // Missing cells by row.
    let mut present: BTreeSet<(u32, u32)> = BTreeSet::new();
    {
        let mut r = Reader::from_str(sheet);
        loop {
            match r.read_event() {
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == "c" => {
                    if let Some(at) = attr(&e, "r").and_then(|a| parse_cell(&a)) {
                        present.insert(at);
                    }
                }
                Ok(Event::Eof) => break,
                Err(e) => return Err(err(format!("工作表的 XML 有误（{e}）"))),
                _ => {}
            }
        }
    }
    let mut missing: BTreeMap<u32, Vec<(u32, u32)>> = BTreeMap::new(); // row → (col, style)
    for ((col, row), s) in styles {
        if !present.contains(&(*col, *row)) {
            missing.entry(*row).or_default().push((*col, *s));
        }
    }
    let cell_tag = |col: u32, row: u32, s: u32| format!(r#"<c r="{}{row}" s="{s}"/>"#, column_letters(col));
    let mut out = String::with_capacity(sheet.len() + 4096);
    let mut r = Reader::from_str(sheet);
    let mut last = 0usize;
    let mut row_now: Option<u32> = None;
    let mut pending_in_row: Vec<(u32, u32)> = Vec::new();
    let mut legacy_done = legacy.is_none();
    let mut depth = 0usize;
    let emit_rows_before = |out: &mut String, missing: &mut BTreeMap<u32, Vec<(u32, u32)>>, limit: Option<u32>| {
        let rows: Vec<u32> = missing.keys().copied().filter(|r| limit.is_none_or(|l| *r < l)).collect();
        for row in rows {
            let cells = missing.remove(&row).unwrap_or_default();
            out.push_str(&format!(r#"<row r="{row}">"#));
            for (col, s) in cells {
                out.push_str(&cell_tag(col, row, s));
            }
            out.push_str("</row>");
        }
    };
    loop {
        let before = r.buffer_position() as usize;
        let ev = r.read_event().map_err(|e| err(format!("工作表的 XML 有误（{e}）")))?;
        let after = r.buffer_position() as usize;
        let raw = &sheet[before..after];
        match ev {
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(ev, Event::Empty(_));
                let name = e.local_name();
                let name = name.as_ref();
                if depth == 1
                    && !legacy_done
                    && matches!(
                        name,
                        "legacyDrawingHF" | "picture" | "oleObjects" | "controls" | "webPublishItems" | "tableParts" | "extLst"
                    )
                {
                    out.push_str(&sheet[last..before]);
                    out.push_str(legacy.unwrap_or_default());
                    last = before;
                    legacy_done = true;
                }
                match name {
                    "sheetData" if is_empty => {
                        out.push_str(&sheet[last..before]);
                        out.push_str(&raw.replace("/>", ">").replacen("<sheetData >", "<sheetData>", 1));
                        emit_rows_before(&mut out, &mut missing, None);
                        out.push_str("</sheetData>");
                        last = after;
                    }
                    "row" => {
                        let row: u32 = attr(e, "r").and_then(|v| v.parse().ok()).unwrap_or(0);
                        out.push_str(&sheet[last..before]);
                        emit_rows_before(&mut out, &mut missing, Some(row));
                        pending_in_row = missing.remove(&row).unwrap_or_default();
                        if is_empty && !pending_in_row.is_empty() {
                            out.push_str(&raw.replacen("/>", ">", 1));
                            for (col, s) in pending_in_row.drain(..) {
                                out.push_str(&cell_tag(col, row, s));
                            }
                            out.push_str("</row>");
                        } else {
                            out.push_str(raw);
                        }
                        last = after;
                        row_now = (!is_empty).then_some(row);
                    }
                    "c" => {
                        let at = attr(e, "r").and_then(|a| parse_cell(&a));
                        out.push_str(&sheet[last..before]);
                        if let (Some((col, row)), Some(_)) = (at, row_now) {
                            // Cells not written that come before this one.
                            pending_in_row.sort();
                            while pending_in_row.first().is_some_and(|(c, _)| *c < col) {
                                let (c, s) = pending_in_row.remove(0);
                                out.push_str(&cell_tag(c, row, s));
                            }
                        }
                        match at.and_then(|at| styles.get(&at)) {
                            Some(s) => out.push_str(&set_attr(raw, "s", &s.to_string())),
                            None => out.push_str(raw),
                        }
                        last = after;
                    }
                    "sheetView" => {
                        out.push_str(&sheet[last..before]);
                        out.push_str(&raw.replace(" tabSelected=\"1\"", "").replace(" tabSelected=\"true\"", ""));
                        last = after;
                    }
                    _ => {}
                }
                if !is_empty {
                    depth += 1;
                }
            }
            Event::End(ref e) => {
                let name = e.local_name();
                match name.as_ref() {
                    "row" => {
                        if let Some(row) = row_now.take() {
                            out.push_str(&sheet[last..before]);
                            pending_in_row.sort();
                            for (col, s) in pending_in_row.drain(..) {
                                out.push_str(&cell_tag(col, row, s));
                            }
                            last = before;
                        }
                    }
                    "sheetData" => {
                        out.push_str(&sheet[last..before]);
                        emit_rows_before(&mut out, &mut missing, None);
                        last = before;
                    }
                    "worksheet" if !legacy_done => {
                        out.push_str(&sheet[last..before]);
                        out.push_str(legacy.unwrap_or_default());
                        last = before;
                        legacy_done = true;
                    }
                    _ => {}
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    out.push_str(&sheet[last..]);
    Ok(out)
}

fn xml_text(s: &str) -> String {
    let clean: String = s.chars().filter(|c| !crate::text::xml_unsafe(*c)).collect();
    escape(clean.as_str()).into_owned()
}

/// commentsN.xml for the marks of one sheet.
fn comments_xml(author: &str, marks: &[(u32, u32, String)]) -> String {
    let mut s = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<comments xmlns="{MAIN_NS}"><authors><author>{}</author></authors><commentList>"#,
        xml_text(author)
    );
    for (col, row, text) in marks {
        s.push_str(&format!(
            r#"<comment ref="{}{row}" authorId="0"><text><r><rPr><sz val="9"/><rFont val="宋体"/><charset val="134"/></rPr><t xml:space="preserve">{}</t></r></text></comment>"#,
            column_letters(*col),
            xml_text(text)
        ));
    }
    s.push_str("</commentList></comments>");
    s
}

/// The VML drawing that shows the comments of one sheet (`k`: the sheet's number among
/// those annotated, for unique shape ids).
fn vml_xml(k: usize, marks: &[(u32, u32, String)]) -> String {
    let mut s = format!(
        r##"<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{k}"/></o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>"##
    );
    for (n, (col, row, _)) in marks.iter().enumerate() {
        let (c0, r0) = (col - 1, row - 1);
        s.push_str(&format!(
            r##"<v:shape id="_x0000_s{}" type="#_x0000_t202" style="position:absolute;margin-left:80pt;margin-top:2pt;width:200pt;height:90pt;z-index:{};visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:Anchor>{}, 15, {}, 2, {}, 15, {}, 4</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>{r0}</x:Row><x:Column>{c0}</x:Column></x:ClientData></v:shape>"##,
            k * 1024 + n + 1,
            n + 1,
            c0 + 1,
            r0,
            c0 + 4,
            r0 + 5
        ));
    }
    s.push_str("</xml>");
    s
}

/// The 问题清单 sheet: inline strings (no shared-strings change), links to the cells.
fn list_sheet(a: &Annotation) -> String {
    let mut rows = String::new();
    let mut r = 0u32;
    // A whole number (序号) as a number; everything else as text.
    let cell = |col: u32, row: u32, text: &str| match text.parse::<u32>() {
        Ok(n) if col == 1 && !text.starts_with('0') => format!(r#"<c r="{}{row}"><v>{n}</v></c>"#, column_letters(col)),
        _ => format!(r#"<c r="{}{row}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#, column_letters(col), xml_text(text)),
    };
    for line in &a.list_lines {
        r += 1;
        rows.push_str(&format!(r#"<row r="{r}">{}</row>"#, cell(1, r, line)));
    }
    r += 1;
    let header_row = r + 1;
    r += 1;
    rows.push_str(&format!(r#"<row r="{r}">"#));
    for (k, h) in a.list_header.iter().enumerate() {
        rows.push_str(&cell(k as u32 + 1, r, h));
    }
    rows.push_str("</row>");
    let mut links = String::new();
    for row in &a.list_rows {
        r += 1;
        rows.push_str(&format!(r#"<row r="{r}">"#));
        for (k, t) in row.cells.iter().enumerate() {
            rows.push_str(&cell(k as u32 + 1, r, t));
        }
        rows.push_str("</row>");
        if let Some((sheet, at)) = &row.link {
            let target = format!("'{}'!{}", sheet.replace('\'', "''"), at);
            links.push_str(&format!(
                r#"<hyperlink ref="{}{r}" location="{}" display="{}"/>"#,
                column_letters(a.link_column as u32 + 1),
                xml_text(&target),
                xml_text(row.cells.get(a.link_column).map(String::as_str).unwrap_or(""))
            ));
        }
    }
    let widths = [6.0, 14.0, 16.0, 12.0, 70.0, 36.0];
    let cols: String = (0..a.list_header.len().max(1))
        .map(|k| format!(r#"<col min="{n}" max="{n}" width="{}" customWidth="1"/>"#, widths.get(k).copied().unwrap_or(16.0), n = k + 1))
        .collect();
    let _ = header_row;
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>{rows}</sheetData>{}</worksheet>"#,
        if links.is_empty() { String::new() } else { format!("<hyperlinks>{links}</hyperlinks>") }
    )
}

/// The namespace prefix of a part's root element, with its colon ("x:"), or "".
fn root_prefix(xml: &str) -> String {
    let mut r = Reader::from_str(xml);
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let name = String::from_utf8_lossy(e.name().as_ref().as_bytes()).to_string();
                return name.split_once(':').map(|(p, _)| format!("{p}:")).unwrap_or_default();
            }
            Ok(Event::Eof) | Err(_) => return String::new(),
            _ => {}
        }
    }
}

/// A relationship Id not yet used in `rels`.
fn free_id(rels: &[(String, String, String)], stem: &str) -> String {
    (1..).map(|k| format!("{stem}{k}")).find(|id| !rels.iter().any(|(i, _, _)| i == id)).unwrap_or_default()
}

/// `rels` (a .rels part's text, or none) with a relationship added.
fn add_relationship(rels: Option<&str>, id: &str, kind: &str, target: &str) -> String {
    let rel = format!(r#"<Relationship Id="{id}" Type="{kind}" Target="{}"/>"#, xml_text(target));
    match rels.and_then(|r| r.rfind("</Relationships>").map(|i| (r, i))) {
        Some((r, i)) => format!("{}{rel}{}", &r[..i], &r[i..]),
        None => format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PKG_REL_NS}">{rel}</Relationships>"#
        ),
    }
}

/// A content type added to [Content_Types].xml (a Default by extension, or an Override).
fn add_content_type(types: &str, entry: &str, needle: &str) -> String {
    if types.contains(needle) {
        return types.to_string();
    }
    match types.rfind("</Types>") {
        Some(i) => format!("{}{entry}{}", &types[..i], &types[i..]),
        None => types.to_string(),
    }
}

/// The annotated copy of an .xlsx (or .xlsm) `original`, and the sheets whose marked
/// cells were coloured but given no comment (the sheet has comments of its own, which
/// are not merged with planmon's).
pub fn annotate(original: &[u8], a: &Annotation) -> Result<(Vec<u8>, Vec<String>), AnnotateError> {
    let mut uncommented: Vec<String> = Vec::new();
    let mut pkg = Package::open(original)?;
    let root = relationships(&pkg.text("_rels/.rels")?);
    let book = root
        .iter()
        .find(|(_, t, _)| t.ends_with("/officeDocument"))
        .map(|(_, _, target)| resolve("", target))
        .ok_or_else(|| err("xlsx 文件中找不到工作簿部件"))?;
    let book_rels_name = rels_of(&book);
    let book_rels = relationships(&pkg.text(&book_rels_name)?);
    let workbook = pkg.text(&book)?;
    // Sheets: name → part.
    let mut sheets: Vec<(String, String)> = Vec::new();
    {
        let mut r = Reader::from_str(&workbook);
        loop {
            match r.read_event() {
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == "sheet" => {
                    let (name, id) = (attr(&e, "name").unwrap_or_default(), attr(&e, "id").unwrap_or_default());
                    if let Some((_, _, target)) = book_rels.iter().find(|(i, _, _)| *i == id) {
                        sheets.push((name, resolve(&book, target)));
                    }
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
    }
    if sheets.iter().any(|(n, _)| *n == a.list_name) {
        return Err(err(format!("工作簿中已有名为“{}”的工作表", a.list_name)));
    }
    // Marks by sheet part.
    let mut by_sheet: BTreeMap<String, Vec<&Mark>> = BTreeMap::new();
    for m in &a.marks {
        if let Some((_, part)) = sheets.iter().find(|(n, _)| *n == m.sheet) {
            if parse_cell(&m.cell).is_some() {
                by_sheet.entry(part.clone()).or_default().push(m);
            }
        }
    }
    // Styles: a clone of each marked cell's style with the fill of its mark.
    let styles_part = book_rels
        .iter()
        .find(|(_, t, _)| t.ends_with("/styles"))
        .map(|(_, _, target)| resolve(&book, target))
        .ok_or_else(|| err("xlsx 文件中没有样式部件"))?;
    let mut wanted: BTreeSet<(u32, MarkKind)> = BTreeSet::new();
    let mut per_sheet_cells: BTreeMap<String, BTreeMap<(u32, u32), Marked>> = BTreeMap::new();
    for (part, marks) in &by_sheet {
        let xml = pkg.text(part)?;
        let cells: BTreeSet<(u32, u32)> = marks.iter().filter_map(|m| parse_cell(&m.cell)).collect();
        let now = cell_styles(&xml, &cells);
        let mut merged: BTreeMap<(u32, u32), Marked> = BTreeMap::new();
        for m in marks {
            let at = parse_cell(&m.cell).unwrap_or((1, 1));
            let e = merged.entry(at).or_insert((now.get(&at).copied().unwrap_or(0), m.kind, Vec::new()));
            e.1 = e.1.min(m.kind); // an error wins over a warning
            if !e.2.contains(&m.comment) {
                e.2.push(m.comment.clone());
            }
        }
        for (style, kind, _) in merged.values() {
            wanted.insert((*style, *kind));
        }
        per_sheet_cells.insert(part.clone(), merged);
    }
    let mut types = pkg.text("[Content_Types].xml")?;
    if !wanted.is_empty() {
        let (styles, map) = add_styles(&pkg.text(&styles_part)?, &wanted)?;
        pkg.set(&styles_part, styles.into_bytes());
        for (k, (part, cells)) in per_sheet_cells.iter().enumerate() {
            let xml = pkg.text(part)?;
            let new_styles: BTreeMap<(u32, u32), u32> = cells.iter().map(|(at, (s, kind, _))| (*at, map[&(*s, *kind)])).collect();
            let rels_name = rels_of(part);
            let rels_text = pkg.get(&rels_name).map(|d| String::from_utf8_lossy(d).to_string());
            let rels = rels_text.as_deref().map(relationships).unwrap_or_default();
            // Comments only where the sheet has none of its own (merging with a unit's
            // own comments is not done: 问题清单 still lists every problem).
            let has_comments =
                rels.iter().any(|(_, t, _)| t.ends_with("/comments") || t.ends_with("/vmlDrawing")) || xml.contains("<legacyDrawing");
            let legacy = if has_comments {
                if let Some((name, _)) = sheets.iter().find(|(_, p)| p == part) {
                    uncommented.push(name.clone());
                }
                None
            } else {
                // Shape ids unique across the workbook: after the drawings it has.
                let n = k + 1 + pkg.parts.iter().filter(|(p, _)| p.ends_with(".vml")).count();
                let comments_part = (1..).map(|j| format!("xl/planmon_comments{j}.xml")).find(|p| !pkg.has(p)).unwrap_or_default();
                let vml_part = (1..).map(|j| format!("xl/drawings/planmon_vml{j}.vml")).find(|p| !pkg.has(p)).unwrap_or_default();
                let texts: Vec<(u32, u32, String)> = cells.iter().map(|((c, r), (_, _, t))| (*c, *r, t.join("\n"))).collect();
                pkg.set(&comments_part, comments_xml(&a.author, &texts).into_bytes());
                pkg.set(&vml_part, vml_xml(n, &texts).into_bytes());
                let c_id = free_id(&rels, "rIdPm");
                let mut with =
                    add_relationship(rels_text.as_deref(), &c_id, &format!("{REL_NS}/comments"), &relative(part, &comments_part));
                let v_id = free_id(&relationships(&with), "rIdPm");
                with = add_relationship(Some(&with), &v_id, &format!("{REL_NS}/vmlDrawing"), &relative(part, &vml_part));
                pkg.set(&rels_name, with.into_bytes());
                types = add_content_type(
                    &types,
                    &format!(
                        r#"<Override PartName="/{comments_part}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"/>"#
                    ),
                    &format!("/{comments_part}\""),
                );
                types = add_content_type(
                    &types,
                    r#"<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>"#,
                    "Extension=\"vml\"",
                );
                // In the sheet's own namespace prefix (x:worksheet → x:legacyDrawing).
                let prefix = root_prefix(&xml);
                Some(format!(r#"<{prefix}legacyDrawing xmlns:r="{REL_NS}" r:id="{v_id}"/>"#))
            };
            pkg.set(part, restyle_sheet(&xml, &new_styles, legacy.as_deref())?.into_bytes());
        }
    }
    // Sheets not marked lose tabSelected too: 问题清单 is the one shown.
    for (_, part) in &sheets {
        if per_sheet_cells.contains_key(part) {
            continue;
        }
        let xml = pkg.text(part)?;
        if xml.contains(" tabSelected=\"1\"") {
            pkg.set(part, xml.replace(" tabSelected=\"1\"", "").into_bytes());
        }
    }
    // 问题清单, first.
    let list_part = (1..).map(|j| format!("xl/worksheets/planmon_list{j}.xml")).find(|p| !pkg.has(p)).unwrap_or_default();
    let mut list = a.clone();
    if !uncommented.is_empty() {
        list.list_lines.push(format!("工作表“{}”中原有批注，这些表中的问题单元格只标色、未加批注，问题见下表。", uncommented.join("”“")));
    }
    pkg.set(&list_part, list_sheet(&list).into_bytes());
    types = add_content_type(
        &types,
        &format!(
            r#"<Override PartName="/{list_part}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        ),
        &format!("/{list_part}\""),
    );
    pkg.set("[Content_Types].xml", types.into_bytes());
    let list_id = free_id(&book_rels, "rIdPmList");
    let rels_text = pkg.text(&book_rels_name)?;
    pkg.set(
        &book_rels_name,
        add_relationship(Some(&rels_text), &list_id, &format!("{REL_NS}/worksheet"), &relative(&book, &list_part)).into_bytes(),
    );
    pkg.set(&book, first_sheet(&workbook, &a.list_name, &list_id)?.into_bytes());
    Ok((pkg.write()?, uncommented))
}

/// `target` relative to the folder of `from` (both package paths).
fn relative(from: &str, target: &str) -> String {
    let from_dir: Vec<&str> = from.split('/').collect::<Vec<_>>().split_last().map(|(_, d)| d.to_vec()).unwrap_or_default();
    let to: Vec<&str> = target.split('/').collect();
    let common = from_dir.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), from_dir.len() - common).collect();
    parts.extend(to[common..].iter().map(|s| s.to_string()));
    parts.join("/")
}

/// workbook.xml with 问题清单 as the first sheet and the one shown: sheet-local defined
/// names and the active tab shifted by one.
fn first_sheet(workbook: &str, name: &str, rel_id: &str) -> Result<String, AnnotateError> {
    let mut max_id = 0u32;
    {
        let mut r = Reader::from_str(workbook);
        loop {
            match r.read_event() {
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == "sheet" => {
                    max_id = max_id.max(attr(&e, "sheetId").and_then(|v| v.parse().ok()).unwrap_or(0));
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
    }
    let open = workbook.find("<sheets>").map(|i| i + "<sheets>".len()).ok_or_else(|| err("workbook.xml 中没有 sheets"))?;
    let sheet = format!(r#"<sheet xmlns:r="{REL_NS}" name="{}" sheetId="{}" r:id="{rel_id}"/>"#, xml_text(name), max_id + 1);
    let mut out = format!("{}{sheet}{}", &workbook[..open], &workbook[open..]);
    // localSheetId="k" → k+1.
    let mut shifted = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.find("localSheetId=\"") {
        let v = i + "localSheetId=\"".len();
        let end = rest[v..].find('"').map(|k| v + k).unwrap_or(v);
        let n: u32 = rest[v..end].parse().unwrap_or(0);
        shifted.push_str(&rest[..v]);
        shifted.push_str(&(n + 1).to_string());
        rest = &rest[end..];
    }
    shifted.push_str(rest);
    out = shifted;
    // The first tab shown and active.
    if let Some(i) = out.find("<workbookView") {
        let end = out[i..].find('>').map(|k| i + k + 1).unwrap_or(out.len());
        let tag = set_attr(&out[i..end], "activeTab", "0");
        let tag = set_attr(&tag, "firstSheet", "0");
        out = format!("{}{tag}{}", &out[..i], &out[end..]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefixed_sheet_keeps_its_prefix() {
        assert_eq!(root_prefix(r#"<?xml version="1.0"?><x:worksheet xmlns:x="m"><x:sheetData/></x:worksheet>"#), "x:");
        assert_eq!(root_prefix(r#"<worksheet xmlns="m"/>"#), "");
    }

    #[test]
    fn cells_and_columns() {
        assert_eq!(parse_cell("H4"), Some((8, 4)));
        assert_eq!(parse_cell("$AA$10"), Some((27, 10)));
        assert_eq!(parse_cell("4H"), None);
        assert_eq!(column_letters(27), "AA");
        assert_eq!(column_letters(8), "H");
        assert_eq!(relative("xl/worksheets/sheet1.xml", "xl/planmon_comments1.xml"), "../planmon_comments1.xml");
        assert_eq!(relative("xl/workbook.xml", "xl/worksheets/planmon_list1.xml"), "worksheets/planmon_list1.xml");
        assert_eq!(resolve("xl/workbook.xml", "worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve("xl/worksheets/sheet1.xml", "../comments1.xml"), "xl/comments1.xml");
    }

    #[test]
    fn a_cell_gets_its_style_and_missing_cells_are_added_in_order() {
        let sheet = r#"<worksheet><sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews><sheetData><row r="2"><c r="A2" s="3"><v>1</v></c><c r="C2"><v>2</v></c></row><row r="5"><c r="B5"/></row></sheetData><pageMargins/></worksheet>"#;
        let styles: BTreeMap<(u32, u32), u32> = [((3, 2), 10), ((2, 2), 11), ((1, 4), 12), ((4, 9), 13)].into_iter().collect();
        let out = restyle_sheet(sheet, &styles, Some("<legacyDrawing r:id=\"x\"/>")).unwrap();
        assert!(out.contains(r#"<c r="A2" s="3"><v>1</v></c><c r="B2" s="11"/><c r="C2" s="10"><v>2</v></c>"#), "{out}");
        assert!(out.contains(r#"<row r="4"><c r="A4" s="12"/></row><row r="5">"#), "{out}");
        assert!(out.contains(r#"<row r="9"><c r="D9" s="13"/></row></sheetData>"#), "{out}");
        assert!(out.contains("<pageMargins/><legacyDrawing r:id=\"x\"/></worksheet>"), "{out}");
        assert!(!out.contains("tabSelected"), "{out}");
    }

    #[test]
    fn styles_gain_fills_and_clones() {
        let styles = r#"<styleSheet><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/><xf numFmtId="4" fontId="1" fillId="0" borderId="1" applyNumberFormat="1"><alignment horizontal="center"/></xf></cellXfs></styleSheet>"#;
        let wanted: BTreeSet<(u32, MarkKind)> = [(1, MarkKind::Error), (1, MarkKind::Warning), (0, MarkKind::Error)].into_iter().collect();
        let (out, map) = add_styles(styles, &wanted).unwrap();
        assert!(out.contains(r#"<fills count="4">"#) && out.contains(r#"<cellXfs count="5">"#), "{out}");
        assert_eq!(map[&(0, MarkKind::Error)], 2);
        assert!(out.contains(r#"<xf numFmtId="4" fontId="1" fillId="2" borderId="1" applyNumberFormat="1" applyFill="1"><alignment horizontal="center"/></xf>"#), "{out}");
        assert!(out.contains(r#"<xf numFmtId="4" fontId="1" fillId="3" borderId="1" applyNumberFormat="1" applyFill="1">"#), "{out}");
    }
}
