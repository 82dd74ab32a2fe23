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
    pub(crate) fn color(self) -> &'static str {
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
    /// Comments planmon writes on cells its list does not name (the 填报日期's), to know
    /// them in a copy sent back.
    pub ours: Vec<String>,
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

/// The styles of 问题清单 added to styles.xml.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct ListStyles {
    title: u32,
    note: u32,
    header: u32,
    body: u32,
    link: u32,
}

/// A style index and a mark (None: no fill) → the index of its clone.
type CloneMap = BTreeMap<(u32, Option<MarkKind>), u32>;

/// `xml` with children appended to parents: (parent, child, what to add, how many),
/// each parent's `count` raised by as many.
fn append_children(xml: &str, additions: &[(&str, &str, String, usize)]) -> Result<String, AnnotateError> {
    let mut edits: Vec<(usize, usize, String)> = Vec::new(); // (start, end, replacement)
    for (parent, child, added, n) in additions {
        let Spans { start, end, children } = child_spans(xml, parent, child).ok_or_else(|| err(format!("styles.xml 中没有 {parent}")))?;
        if start == end && children.is_empty() && xml[..start].trim_end().ends_with("/>") {
            return Err(err(format!("styles.xml 的 {parent} 为空元素")));
        }
        let tag_start = xml[..start].rfind('<').unwrap_or(0);
        edits.push((tag_start, start, set_attr(&xml[tag_start..start], "count", &(children.len() + n).to_string())));
        edits.push((end, end, added.clone()));
    }
    edits.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
    let mut out = xml.to_string();
    for (a, b, text) in edits {
        out.replace_range(a..b, &text);
    }
    Ok(out)
}

/// The number of `child` elements of `parent` in `xml`.
fn count_children(xml: &str, parent: &str, child: &str) -> usize {
    child_spans(xml, parent, child).map(|s| s.children.len()).unwrap_or(0)
}

/// styles.xml with one solid fill per kind, for each (style, mark) asked a clone of the
/// cell style with that fill (no mark: with no fill), and the styles of 问题清单: the
/// map to the new style indices.
fn add_styles(styles: &str, wanted: &BTreeSet<(u32, Option<MarkKind>)>) -> Result<(String, CloneMap, ListStyles), AnnotateError> {
    let Spans { children: xfs, .. } = child_spans(styles, "cellXfs", "xf").ok_or_else(|| err("styles.xml 中没有 cellXfs"))?;
    let (n_fonts, n_fills, n_borders) =
        (count_children(styles, "fonts", "font"), count_children(styles, "fills", "fill"), count_children(styles, "borders", "border"));
    let solid =
        |rgb: &str| format!(r#"<fill><patternFill patternType="solid"><fgColor rgb="{rgb}"/><bgColor indexed="64"/></patternFill></fill>"#);
    let kinds = [MarkKind::Error, MarkKind::Warning, MarkKind::Update];
    let mut fills: String = kinds.iter().map(|k| solid(k.color())).collect();
    fills.push_str(&solid(LIST_HEADER_FILL));
    let fill_of = |k: MarkKind| n_fills + kinds.iter().position(|x| *x == k).unwrap_or(0);
    let header_fill = n_fills + kinds.len();
    let font = |inner: &str| format!(r#"<font>{inner}<name val="宋体"/><family val="3"/><charset val="134"/></font>"#);
    let fonts = [
        font(r#"<b/><sz val="14"/>"#),
        font(r#"<b/><sz val="11"/>"#),
        font(r#"<sz val="11"/>"#),
        font(r#"<u/><sz val="11"/><color rgb="FF0563C1"/>"#),
    ];
    let (title_font, header_font, body_font, link_font) = (n_fonts, n_fonts + 1, n_fonts + 2, n_fonts + 3);
    let side = |s: &str| format!(r#"<{s} style="thin"><color auto="1"/></{s}>"#);
    let border = format!("<border>{}{}{}{}<diagonal/></border>", side("left"), side("right"), side("top"), side("bottom"));
    let boxed = n_borders;
    let mut map = BTreeMap::new();
    let mut new_xfs = String::new();
    for (k, (style, mark)) in wanted.iter().enumerate() {
        let raw = xfs.get(*style as usize).or_else(|| xfs.first()).map(|(a, b)| &styles[*a..*b]).unwrap_or("<xf/>");
        let tag = match mark {
            Some(kind) => set_attr(&set_attr(raw, "fillId", &fill_of(*kind).to_string()), "applyFill", "1"),
            None => set_attr(&set_attr(raw, "fillId", "0"), "applyFill", "0"),
        };
        new_xfs.push_str(&tag);
        map.insert((*style, *mark), (xfs.len() + k) as u32);
    }
    let list_xf = |font: usize, fill: usize, border: usize, align: &str| {
        format!(
            r#"<xf numFmtId="0" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1"><alignment {align} wrapText="1"/></xf>"#
        )
    };
    let base = (xfs.len() + wanted.len()) as u32;
    new_xfs.push_str(&list_xf(title_font, 0, 0, r#"vertical="center""#));
    new_xfs.push_str(&list_xf(body_font, 0, 0, r#"vertical="top""#));
    new_xfs.push_str(&list_xf(header_font, header_fill, boxed, r#"horizontal="center" vertical="center""#));
    new_xfs.push_str(&list_xf(body_font, 0, boxed, r#"vertical="top""#));
    new_xfs.push_str(&list_xf(link_font, 0, boxed, r#"vertical="top""#));
    let list = ListStyles { title: base, note: base + 1, header: base + 2, body: base + 3, link: base + 4 };
    let out = append_children(
        styles,
        &[
            ("fonts", "font", fonts.concat(), fonts.len()),
            ("fills", "fill", fills, kinds.len() + 1),
            ("borders", "border", border, 1),
            ("cellXfs", "xf", new_xfs, wanted.len() + 5),
        ],
    )?;
    Ok((out, map, list))
}

/// The fill of 问题清单's header row.
const LIST_HEADER_FILL: &str = "FFD9D9D9";

/// For a copy annotated before (sent back): each cell style that carries one of
/// planmon's mark fills → the style the cell had before it was marked (an identical
/// style but for its fill), or None when there is none (then a clone without fill).
fn unmark_styles(styles: &str) -> BTreeMap<u32, Option<u32>> {
    let (Some(fills), Some(xfs)) = (child_spans(styles, "fills", "fill"), child_spans(styles, "cellXfs", "xf")) else {
        return BTreeMap::new();
    };
    let marks = [MarkKind::Error, MarkKind::Warning, MarkKind::Update];
    let marked_fills: BTreeSet<usize> = fills
        .children
        .iter()
        .enumerate()
        .filter(|(_, (a, b))| {
            let raw = styles[*a..*b].to_ascii_uppercase();
            raw.contains("SOLID") && marks.iter().any(|k| raw.contains(&format!("RGB=\"{}\"", k.color())))
        })
        .map(|(i, _)| i)
        .collect();
    if marked_fills.is_empty() {
        return BTreeMap::new();
    }
    let raw = |i: usize| &styles[xfs.children[i].0..xfs.children[i].1];
    let fill = |i: usize| {
        let r = raw(i);
        let tag = &r[..r.find('>').unwrap_or(r.len())];
        attr_in(tag, "fillId").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0)
    };
    let key = |i: usize| without_attr(&without_attr(raw(i), "fillId"), "applyFill");
    let mut out = BTreeMap::new();
    for i in (0..xfs.children.len()).filter(|i| marked_fills.contains(&fill(*i))) {
        let k = key(i);
        let before = (0..xfs.children.len()).find(|j| !marked_fills.contains(&fill(*j)) && key(*j) == k);
        out.insert(i as u32, before.map(|j| j as u32));
    }
    out
}

/// An attribute's value in a start tag's raw text.
fn attr_in(tag: &str, key: &str) -> Option<String> {
    let pat = format!(" {key}=\"");
    let i = tag.find(&pat)? + pat.len();
    Some(tag[i..i + tag[i..].find('"')?].to_string())
}

/// An element's raw text with attribute `key` taken off its start tag.
fn without_attr(raw: &str, key: &str) -> String {
    let end = raw.find('>').unwrap_or(raw.len());
    let pat = format!(" {key}=\"");
    match raw[..end].find(&pat) {
        Some(i) => {
            let v = i + pat.len();
            let close = raw[v..].find('"').map(|k| v + k + 1).unwrap_or(end);
            format!("{}{}", &raw[..i], &raw[close..])
        }
        None => raw.to_string(),
    }
}

/// The style index of each marked cell as it is now (0 when the cell is not written).
fn cell_styles(sheet: &str, cells: &BTreeSet<(u32, u32)>) -> BTreeMap<(u32, u32), u32> {
    let styled = styled_cells(sheet);
    cells.iter().map(|c| (*c, styled.get(c).copied().unwrap_or(0))).collect()
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

/// The widths of 问题清单's columns (序号, 类别, 工作表, 单元格, 问题及修改意见).
pub const LIST_WIDTHS: [f64; 5] = [6.0, 8.0, 14.0, 10.0, 72.0];

/// The height (points) of a line of text merged across 问题清单's width.
pub fn line_height(text: &str, bold_title: bool) -> f64 {
    // About one CJK character per two width units; 15 points a line (18 for the title).
    let per_line = (LIST_WIDTHS.iter().sum::<f64>() / 2.2).floor().max(1.0) as usize;
    let width: usize = text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum::<usize>().div_ceil(2);
    let lines = width.div_ceil(per_line).max(1);
    lines as f64 * if bold_title { 20.0 } else { 15.0 }
}

/// The 问题清单 sheet: inline strings (no shared-strings change), wrapped, links to the
/// cells, printed landscape to the page's width with the header row on every page.
fn list_sheet(a: &Annotation, st: ListStyles) -> String {
    let mut rows = String::new();
    let mut r = 0u32;
    let ncols = a.list_header.len().max(1) as u32;
    let last_col = column_letters(ncols);
    // A whole number (序号) as a number; everything else as text.
    let cell = |col: u32, row: u32, text: &str, s: u32| match text.parse::<u32>() {
        Ok(n) if col == 1 && !text.starts_with('0') => format!(r#"<c r="{}{row}" s="{s}"><v>{n}</v></c>"#, column_letters(col)),
        _ => format!(
            r#"<c r="{}{row}" s="{s}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
            column_letters(col),
            xml_text(text)
        ),
    };
    let mut merges = Vec::new();
    for (k, line) in a.list_lines.iter().enumerate() {
        r += 1;
        let s = if k == 0 { st.title } else { st.note };
        rows.push_str(&format!(r#"<row r="{r}" ht="{}" customHeight="1">{}</row>"#, line_height(line, k == 0), cell(1, r, line, s)));
        merges.push(format!(r#"<mergeCell ref="A{r}:{last_col}{r}"/>"#));
    }
    r += 2;
    rows.push_str(&format!(r#"<row r="{r}">"#));
    for (k, h) in a.list_header.iter().enumerate() {
        rows.push_str(&cell(k as u32 + 1, r, h, st.header));
    }
    rows.push_str("</row>");
    let mut links = String::new();
    for row in &a.list_rows {
        r += 1;
        rows.push_str(&format!(r#"<row r="{r}">"#));
        for (k, t) in row.cells.iter().enumerate() {
            let s = if k == a.link_column && row.link.is_some() { st.link } else { st.body };
            rows.push_str(&cell(k as u32 + 1, r, t, s));
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
    let cols: String = (0..ncols as usize)
        .map(|k| {
            format!(r#"<col min="{n}" max="{n}" width="{}" customWidth="1"/>"#, LIST_WIDTHS.get(k).copied().unwrap_or(16.0), n = k + 1)
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>{rows}</sheetData><mergeCells count="{}">{}</mergeCells>{}<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/><pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/></worksheet>"#,
        merges.len(),
        merges.concat(),
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

/// What the copy could not do for a marked cell: it already carries a comment of the
/// unit's own (coloured, no comment added; 问题清单 lists the problem).
pub type OwnComments = Vec<(String, String)>;

/// A sheet's comments, as far as merging needs: the authors, and each comment's cell,
/// whether planmon wrote it, and its span in the part.
struct Comments {
    authors: Vec<String>,
    list: Vec<CommentAt>,
}

/// A comment's cell (column, row), whether it is planmon's, its byte span.
type CommentAt = ((u32, u32), bool, (usize, usize));

/// A cell (column, row from 1).
type At = (u32, u32);

/// A shape's byte span in its drawing, and the cell of the comment it shows.
type Shape = (usize, usize, Option<At>);

/// What one sheet of a copy gets: its name and part, the cells to mark, and the cells an
/// earlier copy marked (with their style now).
type SheetPlan = (String, String, BTreeMap<At, Marked>, BTreeMap<At, u32>);

/// What an earlier copy (sent back) shows planmon wrote: the comment each cell its
/// 问题清单 lists had, by sheet and cell (from the list itself, which survives Excel,
/// WPS and LibreOffice saving the copy again, as authors may not).
#[derive(Debug, Default)]
struct Earlier {
    comments: BTreeMap<(String, At), String>,
}

/// Text compared without its spacing and line breaks.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The earlier list of a copy sent back, read as a reader reads it (shared or inline
/// strings, whoever saved it): each row after the header gives a cell and its comment
/// (类别：问题).
fn earlier_list(original: &[u8], a: &Annotation) -> Earlier {
    use calamine::Reader as _;
    let mut out = Earlier::default();
    let Ok(mut book) = calamine::Xlsx::new(Cursor::new(original)) else { return out };
    let Ok(range) = book.worksheet_range(&a.list_name) else { return out };
    let text = |r: &[calamine::Data], k: usize| r.get(k).map(|d| d.to_string()).unwrap_or_default();
    let mut in_table = false;
    let mut by_cell: BTreeMap<(String, At), Vec<String>> = BTreeMap::new();
    for row in range.rows() {
        if !in_table {
            in_table = a.list_header.iter().enumerate().all(|(k, h)| text(row, k) == *h);
            continue;
        }
        let (sheet, cell) = (text(row, 2), text(row, a.link_column));
        let Some(at) = parse_cell(&cell) else { continue };
        let line = format!("{}：{}", text(row, 1), text(row, 4));
        let e = by_cell.entry((sheet, at)).or_default();
        if !e.contains(&line) {
            e.push(line);
        }
    }
    out.comments = by_cell.into_iter().map(|(k, v)| (k, v.join("\n"))).collect();
    out
}

/// Whether the comment on `at` of `sheet` is planmon's own, untouched: the text an
/// earlier copy's list gives for that cell, or one planmon always writes (the
/// 填报日期's). A comment the unit wrote, or answered in, is the unit's.
fn is_ours(a: &Annotation, earlier: &Earlier, sheet: &str, at: At, text: &str) -> bool {
    let t = squeezed(text);
    !t.is_empty()
        && (a.ours.iter().any(|o| squeezed(o) == t) || earlier.comments.get(&(sheet.to_string(), at)).is_some_and(|e| squeezed(e) == t))
}

/// A comments part's authors and comments (which are planmon's, by `ours`: cell, text).
fn parse_comments(xml: &str, ours: &dyn Fn(At, &str) -> bool) -> Comments {
    let plain = |raw: &str| {
        let mut text = String::new();
        let mut in_tag = false;
        for ch in raw.chars() {
            match ch {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        quick_xml::escape::unescape(&text).map(|t| t.into_owned()).unwrap_or(text)
    };
    let inner = |raw: &str| {
        let a = raw.find('>').map(|i| i + 1).unwrap_or(0);
        let b = raw.rfind('<').filter(|b| *b >= a).unwrap_or(a);
        plain(&raw[a..b])
    };
    let authors: Vec<String> =
        child_spans(xml, "authors", "author").map(|s| s.children.iter().map(|(a, b)| inner(&xml[*a..*b])).collect()).unwrap_or_default();
    let list = child_spans(xml, "commentList", "comment")
        .map(|s| {
            s.children
                .iter()
                .filter_map(|(p, q)| {
                    let raw = &xml[*p..*q];
                    let tag = &raw[..raw.find('>').unwrap_or(raw.len())];
                    let at = attr_in(tag, "ref").and_then(|r| parse_cell(&r))?;
                    Some((at, ours(at, &plain(raw)), (*p, *q)))
                })
                .collect()
        })
        .unwrap_or_default();
    Comments { authors, list }
}

/// A comments part: a new one (`xml` None), or the sheet's own with planmon's earlier
/// comments taken out; the new ones (cell, text) by `a.author` added. The part's own
/// root and the comments kept keep their bytes.
fn comments_xml(xml: Option<&str>, author: &str, ours: &dyn Fn(At, &str) -> bool, new: &[(u32, u32, String)]) -> String {
    let fresh = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<comments xmlns="{MAIN_NS}"><authors></authors><commentList></commentList></comments>"#
    );
    let mut xml = xml.unwrap_or(&fresh).to_string();
    let prefix = root_prefix(&xml);
    for tag in ["authors", "commentList"] {
        let empty = format!("<{prefix}{tag}/>");
        xml = xml.replacen(&empty, &format!("<{prefix}{tag}></{prefix}{tag}>"), 1);
    }
    let c = parse_comments(&xml, ours);
    // planmon's earlier comments out.
    let mut out = String::with_capacity(xml.len());
    let mut last = 0;
    for (_, ours, (p, q)) in &c.list {
        if *ours {
            out.push_str(&xml[last..*p]);
            last = *q;
        }
    }
    out.push_str(&xml[last..]);
    xml = out;
    let id = match c.authors.iter().position(|n| n == author) {
        Some(i) => i,
        None => {
            let close = format!("</{prefix}authors>");
            if let Some(i) = xml.find(&close) {
                xml.insert_str(i, &format!("<{prefix}author>{}</{prefix}author>", xml_text(author)));
            }
            c.authors.len()
        }
    };
    let mut add = String::new();
    for (col, row, text) in new {
        add.push_str(&format!(
            r#"<{prefix}comment ref="{}{row}" authorId="{id}"><{prefix}text><{prefix}r><{prefix}rPr><{prefix}sz val="9"/><{prefix}rFont val="宋体"/><{prefix}charset val="134"/></{prefix}rPr><{prefix}t xml:space="preserve">{}</{prefix}t></{prefix}r></{prefix}text></{prefix}comment>"#,
            column_letters(*col),
            xml_text(text)
        ));
    }
    let close = format!("</{prefix}commentList>");
    if let Some(i) = xml.rfind(&close) {
        xml.insert_str(i, &add);
    }
    xml
}

/// Where an element whose name is `local` with any prefix (`<v:shape`, `<ns1:shape`,
/// `<shape`) starts at or after `from`: (start, the full name).
fn find_element<'x>(xml: &'x str, local: &str, from: usize) -> Option<(usize, &'x str)> {
    let mut at = from;
    while let Some(i) = xml[at..].find('<').map(|i| at + i) {
        let name_end = xml[i + 1..].find(|c: char| c.is_whitespace() || c == '>' || c == '/').map(|k| i + 1 + k).unwrap_or(xml.len());
        let name = &xml[i + 1..name_end];
        if name == local || name.rsplit_once(':').is_some_and(|(_, l)| l == local) {
            return Some((i, name));
        }
        at = i + 1;
    }
    None
}

/// The number inside the first element named `local` (any prefix) of `raw`.
fn element_number(raw: &str, local: &str) -> Option<u32> {
    let (i, name) = find_element(raw, local, 0)?;
    let a = i + name.len() + 2;
    raw.get(a..)?.split('<').next()?.trim().parse().ok()
}

/// The byte spans of a VML drawing's shapes (not its shapetypes), whatever prefix the
/// drawing gives the VML namespace, with the cell (column, row from 1) of those that
/// show a comment.
fn vml_shapes(vml: &str) -> Vec<Shape> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some((i, name)) = find_element(vml, "shape", from) {
        let close = format!("</{name}>");
        let Some(end) = vml[i..].find(&close).map(|k| i + k + close.len()) else { break };
        let raw = &vml[i..end];
        let note = raw.contains("ObjectType=\"Note\"");
        let cell = match (note, element_number(raw, "Column"), element_number(raw, "Row")) {
            (true, Some(c), Some(r)) => Some((c + 1, r + 1)),
            _ => None,
        };
        out.push((i, end, cell));
        from = end;
    }
    out
}

/// A VML drawing without the comment shapes of `cells`, and how many shapes are left.
fn vml_without(vml: &str, cells: &BTreeSet<(u32, u32)>) -> (String, usize) {
    let shapes = vml_shapes(vml);
    let mut out = String::with_capacity(vml.len());
    let mut last = 0;
    let mut left = 0;
    for (a, b, cell) in shapes {
        if cell.is_some_and(|c| cells.contains(&c)) {
            out.push_str(&vml[last..a]);
            last = b;
        } else {
            left += 1;
        }
    }
    out.push_str(&vml[last..]);
    (out, left)
}

/// The VML namespaces, declared on each element planmon adds to a drawing (whatever
/// prefixes the drawing itself uses).
const VML_NS: &str = r#"xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel""#;

const NOTE_SHAPETYPE: &str = r##"<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>"##;

/// One comment's shape (`id`: its number, unique in the workbook).
fn note_shape(id: usize, z: usize, col: u32, row: u32) -> String {
    let (c0, r0) = (col - 1, row - 1);
    format!(
        r##"<v:shape {VML_NS} id="_x0000_s{id}" type="#_x0000_t202" style="position:absolute;margin-left:80pt;margin-top:2pt;width:200pt;height:90pt;z-index:{z};visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:Anchor>{}, 15, {}, 2, {}, 15, {}, 4</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>{r0}</x:Row><x:Column>{c0}</x:Column></x:ClientData></v:shape>"##,
        c0 + 1,
        r0,
        c0 + 4,
        r0 + 5
    )
}

/// A new VML drawing that shows the comments of one sheet (`k`: its block of shape ids).
fn vml_xml(k: usize, cells: &[(u32, u32)]) -> String {
    let mut s = format!(
        r##"<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{k}"/></o:shapelayout>{NOTE_SHAPETYPE}"##
    );
    for (n, (col, row)) in cells.iter().enumerate() {
        s.push_str(&note_shape(k * 1024 + n + 1, n + 1, *col, *row));
    }
    s.push_str("</xml>");
    s
}

/// An existing VML drawing with comment shapes added for `cells`, ids after the largest
/// it has.
fn vml_with(vml: &str, cells: &[(u32, u32)], k: usize) -> String {
    // Ids in the block the drawing claims (o:idmap data="n": n×1024 …), after those used.
    let block = find_element(vml, "idmap", 0)
        .and_then(|(i, _)| attr_in(&vml[i..i + vml[i..].find('>').unwrap_or(0)], "data"))
        .and_then(|d| d.split([',', ' ']).next().and_then(|n| n.trim().parse::<usize>().ok()))
        .unwrap_or(k);
    let mut max_id = block * 1024;
    let mut from = 0;
    while let Some(i) = vml[from..].find("_x0000_s").map(|i| from + i + "_x0000_s".len()) {
        let digits: String = vml[i..].chars().take_while(|c| c.is_ascii_digit()).collect();
        if let Ok(n) = digits.parse::<usize>() {
            if n / 1024 == block {
                max_id = max_id.max(n);
            }
        }
        from = i;
    }
    let mut add = String::new();
    if !vml.contains("\"_x0000_t202\"") {
        add.push_str(&NOTE_SHAPETYPE.replacen("<v:shapetype ", &format!("<v:shapetype {VML_NS} "), 1));
    }
    for (n, (col, row)) in cells.iter().enumerate() {
        add.push_str(&note_shape(max_id + n + 1, 100 + n, *col, *row));
    }
    match vml.rfind("</xml>") {
        Some(i) => format!("{}{add}{}", &vml[..i], &vml[i..]),
        None => format!("{vml}{add}"),
    }
}

/// The blocks of 1024 shape ids a drawing claims (its o:idmap) or uses (its shapes).
fn vml_blocks(vml: &str) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    if let Some((i, _)) = find_element(vml, "idmap", 0) {
        let tag = &vml[i..i + vml[i..].find('>').unwrap_or(0)];
        for n in attr_in(tag, "data").unwrap_or_default().split([',', ' ']) {
            if let Ok(n) = n.trim().parse::<usize>() {
                out.insert(n);
            }
        }
    }
    let mut from = 0;
    while let Some(i) = vml[from..].find("_x0000_s").map(|i| from + i + "_x0000_s".len()) {
        let digits: String = vml[i..].chars().take_while(|c| c.is_ascii_digit()).collect();
        if let Ok(n) = digits.parse::<usize>() {
            out.insert(n / 1024);
        }
        from = i;
    }
    out
}

/// The first block of shape ids no drawing uses (taken).
fn free_block(used: &mut BTreeSet<usize>) -> usize {
    let k = (1..).find(|k| !used.contains(k)).unwrap_or(1);
    used.insert(k);
    k
}

/// Whether every row and cell of a sheet says where it is (`r`); a sheet written
/// without them is not marked in place (its cells' places would be guessed).
fn all_addressed(sheet: &str) -> bool {
    let mut r = Reader::from_str(sheet);
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if matches!(e.local_name().as_ref(), "c" | "row") && attr(&e, "r").is_none() => {
                return false;
            }
            Ok(Event::Eof) => return true,
            Err(_) => return false,
            _ => {}
        }
    }
}

/// The part a sheet's relationship of `kind` (…/comments, …/vmlDrawing) points to.
fn related(pkg: &Package, part: &str, kind: &str) -> Option<(String, String)> {
    let rels = relationships(&String::from_utf8_lossy(pkg.get(&rels_of(part))?));
    rels.iter().find(|(_, t, _)| t.ends_with(kind)).map(|(id, _, target)| (id.clone(), resolve(part, target)))
}

/// The r:id of a sheet's `<legacyDrawing>`.
fn legacy_drawing_id(sheet: &str) -> Option<String> {
    let mut r = Reader::from_str(sheet);
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == "legacyDrawing" => return attr(&e, "id"),
            Ok(Event::Eof) | Err(_) => return None,
            _ => {}
        }
    }
}

/// A part's XML without the (first) element named `local` (any prefix), if it is empty.
fn without_empty_element(xml: &str, local: &str) -> String {
    let mut r = Reader::from_str(xml);
    loop {
        let before = r.buffer_position() as usize;
        match r.read_event() {
            Ok(Event::Empty(e)) if e.local_name().as_ref() == local => {
                let after = r.buffer_position() as usize;
                return format!("{}{}", &xml[..before], &xml[after..]);
            }
            Ok(Event::Eof) | Err(_) => return xml.to_string(),
            _ => {}
        }
    }
}

/// A package's relationships part without the relationship `id`.
fn without_relationship(rels: &str, id: &str) -> String {
    let mut r = Reader::from_str(rels);
    loop {
        let before = r.buffer_position() as usize;
        match r.read_event() {
            Ok(Event::Empty(e)) | Ok(Event::Start(e))
                if e.local_name().as_ref() == "Relationship" && attr(&e, "Id").as_deref() == Some(id) =>
            {
                let mut after = r.buffer_position() as usize;
                if rels[before..after].ends_with("\">") || !rels[before..after].ends_with("/>") {
                    after = rels[after..].find("</Relationship>").map(|k| after + k + "</Relationship>".len()).unwrap_or(after);
                }
                return format!("{}{}", &rels[..before], &rels[after..]);
            }
            Ok(Event::Eof) | Err(_) => return rels.to_string(),
            _ => {}
        }
    }
}

/// [Content_Types].xml without the Override of `part`.
fn without_override(types: &str, part: &str) -> String {
    let needle = format!("PartName=\"/{part}\"");
    match types.find(&needle) {
        Some(i) => {
            let a = types[..i].rfind('<').unwrap_or(i);
            let b = types[i..].find("/>").map(|k| i + k + 2).unwrap_or(i);
            format!("{}{}", &types[..a], &types[b..])
        }
        None => types.to_string(),
    }
}

/// The workbook's sheets: (name, part, relationship id), in order.
fn workbook_sheets(workbook: &str, book: &str, book_rels: &[(String, String, String)]) -> Vec<(String, String, String)> {
    let mut sheets = Vec::new();
    let mut r = Reader::from_str(workbook);
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == "sheet" => {
                let (name, id) = (attr(&e, "name").unwrap_or_default(), attr(&e, "id").unwrap_or_default());
                if let Some((_, _, target)) = book_rels.iter().find(|(i, _, _)| *i == id) {
                    sheets.push((name, resolve(book, target), id));
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    sheets
}

/// workbook.xml without the sheet at `index` (planmon's list of an earlier copy): the
/// defined names local to it dropped, those of later sheets shifted down.
fn without_sheet(workbook: &str, index: usize) -> String {
    let mut r = Reader::from_str(workbook);
    let mut k = 0;
    let out;
    loop {
        let before = r.buffer_position() as usize;
        match r.read_event() {
            Ok(ev @ (Event::Empty(_) | Event::Start(_))) if matches!(&ev, Event::Empty(e) | Event::Start(e) if e.local_name().as_ref() == "sheet") =>
            {
                let mut after = r.buffer_position() as usize;
                if let Event::Start(e) = &ev {
                    // <sheet …></sheet>: to its end.
                    let name = e.name().as_ref().to_string();
                    let _ = r.read_to_end(quick_xml::name::QName(&name));
                    after = r.buffer_position() as usize;
                }
                if k == index {
                    out = format!("{}{}", &workbook[..before], &workbook[after..]);
                    break;
                }
                k += 1;
            }
            Ok(Event::Eof) | Err(_) => return workbook.to_string(),
            _ => {}
        }
    }
    // Defined names: drop those of the sheet, shift the later ones.
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.find("<definedName ") {
        let close = rest[i..].find("</definedName>").map(|k| i + k + "</definedName>".len());
        let tag_end = rest[i..].find('>').map(|k| i + k + 1).unwrap_or(rest.len());
        let end = if rest[..tag_end].ends_with("/>") { tag_end } else { close.unwrap_or(tag_end) };
        let tag = &rest[i..tag_end];
        match attr_in(tag, "localSheetId").and_then(|v| v.parse::<usize>().ok()) {
            Some(n) if n == index => {
                result.push_str(&rest[..i]);
            }
            Some(n) if n > index => {
                result.push_str(&rest[..i]);
                result.push_str(&set_attr(tag, "localSheetId", &(n - 1).to_string()));
                result.push_str(&rest[tag_end..end]);
            }
            _ => result.push_str(&rest[..end]),
        }
        rest = &rest[end..];
    }
    result.push_str(rest);
    result.replace("<definedNames></definedNames>", "")
}

/// The annotated copy of an .xlsx (or .xlsm) `original`, and the marked cells that keep
/// a comment of the unit's own (coloured, no comment of planmon's added).
///
/// A copy planmon made earlier and the unit sent back is annotated afresh: its 问题清单,
/// planmon's comments (by `author`) and the marks' fills are taken off first (each
/// marked cell gets back the style it had), so the new copy shows the new findings only.
pub fn annotate(original: &[u8], a: &Annotation) -> Result<(Vec<u8>, OwnComments), AnnotateError> {
    let mut own_comments: OwnComments = Vec::new();
    let mut pkg = Package::open(original)?;
    let root = relationships(&pkg.text("_rels/.rels")?);
    let book = root
        .iter()
        .find(|(_, t, _)| t.ends_with("/officeDocument"))
        .map(|(_, _, target)| resolve("", target))
        .ok_or_else(|| err("xlsx 文件中找不到工作簿部件"))?;
    let book_rels_name = rels_of(&book);
    let mut types = pkg.text("[Content_Types].xml")?;
    let mut workbook = pkg.text(&book)?;
    if workbook.contains("http://purl.oclc.org/ooxml/") {
        return Err(err("这是“严格 Open XML”格式的工作簿，planmon 只能在常用的 xlsx 格式上直接标注"));
    }
    let mut sheets = workbook_sheets(&workbook, &book, &relationships(&pkg.text(&book_rels_name)?));
    // An earlier copy's 问题清单 goes (its sheet, part and relationship); what it listed
    // tells planmon's comments and marks from the unit's.
    let earlier = earlier_list(original, a);
    if let Some(index) = sheets.iter().position(|(n, _, _)| *n == a.list_name) {
        let (_, part, id) = sheets.remove(index);
        workbook = without_sheet(&workbook, index);
        let rels = pkg.text(&book_rels_name)?;
        pkg.set(&book_rels_name, without_relationship(&rels, &id).into_bytes());
        let own_rels = rels_of(&part);
        pkg.parts.retain(|(n, _)| !n.eq_ignore_ascii_case(&part) && !n.eq_ignore_ascii_case(&own_rels));
        types = without_override(&types, &part);
    }
    let book_rels = relationships(&pkg.text(&book_rels_name)?);
    let styles_part = book_rels
        .iter()
        .find(|(_, t, _)| t.ends_with("/styles"))
        .map(|(_, _, target)| resolve(&book, target))
        .ok_or_else(|| err("xlsx 文件中没有样式部件"))?;
    let styles = pkg.text(&styles_part)?;
    let unmark = unmark_styles(&styles);
    // Per sheet: the cells to mark (their style now, the mark, the comments) and the
    // cells an earlier copy marked (their style now).
    let mut wanted: BTreeSet<(u32, Option<MarkKind>)> = BTreeSet::new();
    let mut plans: Vec<SheetPlan> = Vec::new();
    for (name, part, _) in &sheets {
        let xml = pkg.text(part)?;
        let marks: Vec<&Mark> = a.marks.iter().filter(|m| m.sheet == *name && parse_cell(&m.cell).is_some()).collect();
        let cells: BTreeSet<(u32, u32)> = marks.iter().filter_map(|m| parse_cell(&m.cell)).collect();
        let now = cell_styles(&xml, &cells);
        let mut merged: BTreeMap<(u32, u32), Marked> = BTreeMap::new();
        for m in &marks {
            let at = parse_cell(&m.cell).unwrap_or((1, 1));
            let e = merged.entry(at).or_insert((now.get(&at).copied().unwrap_or(0), m.kind, Vec::new()));
            e.1 = e.1.min(m.kind); // an error wins over a warning
            if !e.2.contains(&m.comment) {
                e.2.push(m.comment.clone());
            }
        }
        // The cells an earlier copy marked: those its list names and those that carry a
        // comment of planmon's; only these lose a mark's fill (a unit's own red stays).
        let ours = |at: At, text: &str| is_ours(a, &earlier, name, at, text);
        let mut marked_before: BTreeSet<At> = earlier.comments.keys().filter(|(s, _)| s == name).map(|(_, at)| *at).collect();
        if let Some(c) =
            related(&pkg, part, "/comments").and_then(|(_, p)| pkg.get(&p)).map(|d| parse_comments(&String::from_utf8_lossy(d), &ours))
        {
            marked_before.extend(c.list.iter().filter(|(_, o, _)| *o).map(|(at, _, _)| *at));
        }
        let earlier_cells: BTreeMap<(u32, u32), u32> = if unmark.is_empty() || marked_before.is_empty() {
            BTreeMap::new()
        } else {
            styled_cells(&xml)
                .into_iter()
                .filter(|(at, s)| unmark.contains_key(s) && marked_before.contains(at) && !merged.contains_key(at))
                .collect()
        };
        if (!merged.is_empty() || !earlier_cells.is_empty()) && !all_addressed(&xml) {
            return Err(err(format!("工作表“{name}”的单元格没有写明地址（r 属性），无法在原表上标注")));
        }
        let earlier = earlier_cells;
        for (style, kind, _) in merged.values() {
            wanted.insert((*style, Some(*kind)));
        }
        for s in earlier.values() {
            if let Some(None) = unmark.get(s) {
                wanted.insert((*s, None));
            }
        }
        if !merged.is_empty() || !earlier.is_empty() || xml.contains(" tabSelected=\"1\"") || xml.contains(" tabSelected=\"true\"") {
            plans.push((name.clone(), part.clone(), merged, earlier));
        }
    }
    let (styles, map, list_styles) = add_styles(&styles, &wanted)?;
    pkg.set(&styles_part, styles.into_bytes());
    // The blocks of shape ids the workbook's drawings use; a new drawing takes a free one.
    let mut blocks: BTreeSet<usize> = pkg
        .parts
        .iter()
        .filter(|(p, _)| p.to_ascii_lowercase().ends_with(".vml"))
        .flat_map(|(_, d)| vml_blocks(&String::from_utf8_lossy(d)))
        .collect();
    for (name, part, cells, earlier_cells) in plans.iter() {
        let mut xml = pkg.text(part)?;
        let mut new_styles: BTreeMap<(u32, u32), u32> = cells.iter().map(|(at, (s, kind, _))| (*at, map[&(*s, Some(*kind))])).collect();
        for (at, s) in earlier_cells {
            new_styles.insert(*at, unmark.get(s).copied().flatten().unwrap_or_else(|| map[&(*s, None)]));
        }
        // Comments: the sheet's own kept, planmon's earlier ones dropped, the new added
        // (not on a cell that has one of the unit's own).
        let comments = related(&pkg, part, "/comments");
        let own = comments.as_ref().and_then(|(_, p)| pkg.get(p)).map(|d| String::from_utf8_lossy(d).to_string());
        let ours = |at: At, text: &str| is_ours(a, &earlier, name, at, text);
        let parsed = own.as_deref().map(|x| parse_comments(x, &ours));
        let (kept, dropped): (BTreeSet<At>, BTreeSet<At>) = match &parsed {
            Some(c) => (
                c.list.iter().filter(|(_, ours, _)| !ours).map(|(at, _, _)| *at).collect(),
                c.list.iter().filter(|(_, ours, _)| *ours).map(|(at, _, _)| *at).collect(),
            ),
            None => (BTreeSet::new(), BTreeSet::new()),
        };
        let mut new: Vec<(u32, u32, String)> = Vec::new();
        for ((c, r), (_, _, texts)) in cells {
            if kept.contains(&(*c, *r)) {
                own_comments.push((name.clone(), format!("{}{r}", column_letters(*c))));
            } else {
                new.push((*c, *r, texts.join("\n")));
            }
        }
        let rels_name = rels_of(part);
        let legacy_id = legacy_drawing_id(&xml);
        let vml = related(&pkg, part, "/vmlDrawing").filter(|(id, _)| legacy_id.as_deref() == Some(id.as_str()));
        let mut legacy = None;
        if !dropped.is_empty() || !new.is_empty() {
            let remaining = kept.len() + new.len();
            // The VML: the earlier comments' shapes off, the new ones on.
            let new_cells: Vec<(u32, u32)> = new.iter().map(|(c, r, _)| (*c, *r)).collect();
            match &vml {
                Some((vml_id, vml_part)) => {
                    let (text, left) = vml_without(&String::from_utf8_lossy(pkg.get(vml_part).unwrap_or_default()), &dropped);
                    if left + new_cells.len() == 0 {
                        pkg.parts.retain(|(n, _)| n != vml_part);
                        let rels = pkg.text(&rels_name)?;
                        pkg.set(&rels_name, without_relationship(&rels, vml_id).into_bytes());
                        xml = without_empty_element(&xml, "legacyDrawing");
                    } else {
                        pkg.set(vml_part, vml_with(&text, &new_cells, free_block(&mut blocks)).into_bytes());
                    }
                }
                None if !new_cells.is_empty() => {
                    let vml_part = (1..).map(|j| format!("xl/drawings/planmon_vml{j}.vml")).find(|p| !pkg.has(p)).unwrap_or_default();
                    pkg.set(&vml_part, vml_xml(free_block(&mut blocks), &new_cells).into_bytes());
                    let rels_text = pkg.get(&rels_name).map(|d| String::from_utf8_lossy(d).to_string());
                    let v_id = free_id(&rels_text.as_deref().map(relationships).unwrap_or_default(), "rIdPm");
                    pkg.set(
                        &rels_name,
                        add_relationship(rels_text.as_deref(), &v_id, &format!("{REL_NS}/vmlDrawing"), &relative(part, &vml_part))
                            .into_bytes(),
                    );
                    types = add_content_type(
                        &types,
                        r#"<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>"#,
                        "Extension=\"vml\"",
                    );
                    // In the sheet's own namespace prefix (x:worksheet → x:legacyDrawing).
                    legacy = Some(format!(r#"<{}legacyDrawing xmlns:r="{REL_NS}" r:id="{v_id}"/>"#, root_prefix(&xml)));
                }
                None => {}
            }
            // The comments part.
            match &comments {
                Some((c_id, c_part)) if remaining == 0 => {
                    pkg.parts.retain(|(n, _)| n != c_part);
                    let rels = pkg.text(&rels_name)?;
                    pkg.set(&rels_name, without_relationship(&rels, c_id).into_bytes());
                    types = without_override(&types, c_part);
                }
                Some((_, c_part)) => {
                    pkg.set(c_part, comments_xml(own.as_deref(), &a.author, &ours, &new).into_bytes());
                }
                None => {
                    let c_part = (1..).map(|j| format!("xl/planmon_comments{j}.xml")).find(|p| !pkg.has(p)).unwrap_or_default();
                    pkg.set(&c_part, comments_xml(None, &a.author, &ours, &new).into_bytes());
                    let rels_text = pkg.get(&rels_name).map(|d| String::from_utf8_lossy(d).to_string());
                    let c_id = free_id(&rels_text.as_deref().map(relationships).unwrap_or_default(), "rIdPm");
                    pkg.set(
                        &rels_name,
                        add_relationship(rels_text.as_deref(), &c_id, &format!("{REL_NS}/comments"), &relative(part, &c_part)).into_bytes(),
                    );
                    types = add_content_type(
                        &types,
                        &format!(
                            r#"<Override PartName="/{c_part}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"/>"#
                        ),
                        &format!("/{c_part}\""),
                    );
                }
            }
        }
        pkg.set(part, restyle_sheet(&xml, &new_styles, legacy.as_deref())?.into_bytes());
    }
    // 问题清单, first.
    let list_part = (1..).map(|j| format!("xl/worksheets/planmon_list{j}.xml")).find(|p| !pkg.has(p)).unwrap_or_default();
    let mut list = a.clone();
    if !own_comments.is_empty() {
        let cells: Vec<String> = own_comments.iter().map(|(s, c)| format!("“{s}”{c}")).collect();
        list.list_lines.push(format!("单元格 {} 原有批注，未另加批注，只标色，问题见下表。", cells.join("、")));
    }
    pkg.set(&list_part, list_sheet(&list, list_styles).into_bytes());
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
    let header_row = list.list_lines.len() + 2;
    pkg.set(&book, first_sheet(&workbook, &a.list_name, &list_id, header_row)?.into_bytes());
    Ok((pkg.write()?, own_comments))
}

/// Every written cell of a sheet with a style: (column, row) → its style.
fn styled_cells(sheet: &str) -> BTreeMap<(u32, u32), u32> {
    let mut r = Reader::from_str(sheet);
    let mut out = BTreeMap::new();
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == "c" => {
                if let (Some(at), Some(s)) = (attr(&e, "r").and_then(|a| parse_cell(&a)), attr(&e, "s").and_then(|s| s.parse().ok())) {
                    out.insert(at, s);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
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
fn first_sheet(workbook: &str, name: &str, rel_id: &str, header_row: usize) -> Result<String, AnnotateError> {
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
    // 问题清单's header row printed on every page.
    let titles = format!(
        r#"<definedName name="_xlnm.Print_Titles" localSheetId="0">'{}'!${header_row}:${header_row}</definedName>"#,
        xml_text(&name.replace('\'', "''"))
    );
    out = match out.find("<definedNames>") {
        Some(i) => format!("{}{titles}{}", &out[..i + "<definedNames>".len()], &out[i + "<definedNames>".len()..]),
        None => {
            let after = ["</externalReferences>", "</functionGroups>", "</sheets>"]
                .iter()
                .find_map(|t| out.find(t).map(|i| i + t.len()))
                .ok_or_else(|| err("workbook.xml 中没有 sheets"))?;
            format!("{}<definedNames>{titles}</definedNames>{}", &out[..after], &out[after..])
        }
    };
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
        let styles = r#"<styleSheet><fonts count="1"><font/></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border/></borders><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/><xf numFmtId="4" fontId="1" fillId="0" borderId="1" applyNumberFormat="1"><alignment horizontal="center"/></xf></cellXfs></styleSheet>"#;
        let wanted: BTreeSet<(u32, Option<MarkKind>)> =
            [(1, Some(MarkKind::Error)), (1, Some(MarkKind::Warning)), (0, Some(MarkKind::Error))].into_iter().collect();
        let (out, map, list) = add_styles(styles, &wanted).unwrap();
        // Three mark fills and the header's; three clones and five list styles.
        assert!(out.contains(r#"<fills count="6">"#) && out.contains(r#"<cellXfs count="10">"#), "{out}");
        assert!(out.contains(r#"<fonts count="5">"#) && out.contains(r#"<borders count="2">"#), "{out}");
        assert_eq!(map[&(0, Some(MarkKind::Error))], 2);
        assert_eq!(list.title, 5);
        assert!(out.contains(r#"<xf numFmtId="4" fontId="1" fillId="2" borderId="1" applyNumberFormat="1" applyFill="1"><alignment horizontal="center"/></xf>"#), "{out}");
        assert!(out.contains(r#"<xf numFmtId="4" fontId="1" fillId="3" borderId="1" applyNumberFormat="1" applyFill="1">"#), "{out}");
        // A marked style goes back to the one it was cloned from.
        let back = unmark_styles(&out);
        assert_eq!(back.get(&3), Some(&Some(1)), "{back:?}");
        assert_eq!(back.get(&2), Some(&Some(0)), "{back:?}");
    }
}

#[cfg(test)]
mod again {
    //! A copy annotated twice (sent back, then annotated again) and a sheet with comments
    //! of the unit's own.
    use super::*;
    use rust_xlsxwriter::{Format, Note, Workbook};

    fn workbook() -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("指标填报").unwrap();
        let yellow = Format::new().set_background_color(rust_xlsxwriter::Color::RGB(0xFFF2CC)).set_num_format("0.0");
        ws.write_string(0, 0, "指标").unwrap();
        ws.write_number_with_format(1, 0, 97.1, &yellow).unwrap();
        ws.write_number_with_format(1, 1, 88.0, &yellow).unwrap();
        ws.write_string(2, 2, "备注").unwrap();
        ws.insert_note(2, 2, &Note::new("单位自己的批注").set_author("统计员").add_author_prefix(false)).unwrap();
        wb.save_to_buffer().unwrap()
    }

    fn mark(cell: &str, text: &str) -> Mark {
        Mark { sheet: "指标填报".into(), cell: cell.into(), kind: MarkKind::Error, comment: text.into() }
    }

    /// As planmon's stage makes one: a list row per mark (类别, sheet, cell, message).
    fn annotation(marks: Vec<Mark>) -> Annotation {
        let list_rows = marks
            .iter()
            .enumerate()
            .map(|(k, m)| {
                let (label, message) = m.comment.split_once('：').unwrap();
                ListRow {
                    cells: vec![(k + 1).to_string(), label.into(), m.sheet.clone(), m.cell.clone(), message.into()],
                    link: Some((m.sheet.clone(), m.cell.clone())),
                }
            })
            .collect();
        Annotation {
            marks,
            list_name: "问题清单".into(),
            list_lines: vec!["清单".into()],
            list_header: ["序号", "类别", "工作表", "单元格", "问题"].iter().map(|s| s.to_string()).collect(),
            list_rows,
            link_column: 3,
            author: "发展改革局".into(),
            ours: vec!["请改填报日期".into()],
        }
    }

    fn part(bytes: &[u8], name: &str) -> String {
        Package::open(bytes).unwrap().text(name).unwrap()
    }

    fn sheet_part(bytes: &[u8]) -> String {
        let pkg = Package::open(bytes).unwrap();
        let (_, data) = pkg.parts.iter().find(|(n, _)| n == "xl/worksheets/sheet1.xml").unwrap();
        String::from_utf8(data.clone()).unwrap()
    }

    fn style_of(sheet: &str, cell: &str) -> String {
        let i = sheet.find(&format!("<c r=\"{cell}\"")).unwrap();
        let tag = &sheet[i..i + sheet[i..].find('>').unwrap()];
        attr_in(tag, "s").unwrap_or_else(|| "0".into())
    }

    fn comments(bytes: &[u8]) -> String {
        let pkg = Package::open(bytes).unwrap();
        pkg.parts.iter().filter(|(n, _)| n.contains("comments")).map(|(_, d)| String::from_utf8_lossy(d).to_string()).collect()
    }

    #[test]
    fn the_units_own_comments_are_kept_and_planmons_added_beside_them() {
        let original = workbook();
        let (copy, own) = annotate(&original, &annotation(vec![mark("A2", "错误：甲"), mark("C3", "错误：乙")])).unwrap();
        assert_eq!(own, vec![("指标填报".to_string(), "C3".to_string())], "C3 keeps the unit's comment");
        let c = comments(&copy);
        assert!(c.contains("单位自己的批注") && c.contains("错误：甲") && !c.contains("错误：乙"), "{c}");
        assert!(c.contains("<author>统计员</author>") && c.contains("<author>发展改革局</author>"), "{c}");
        // One VML drawing, with a shape for each comment.
        let pkg = Package::open(&copy).unwrap();
        let vml: Vec<_> = pkg.parts.iter().filter(|(n, _)| n.ends_with(".vml")).collect();
        assert_eq!(vml.len(), 1, "one drawing");
        assert_eq!(vml_shapes(&String::from_utf8_lossy(&vml[0].1)).iter().filter(|s| s.2.is_some()).count(), 2);
        assert_eq!(sheet_part(&copy).matches("legacyDrawing").count(), 1);
    }

    #[test]
    fn a_drawing_with_other_prefixes_loses_planmons_shapes_and_gains_declared_ones() {
        let vml = r##"<xml xmlns:ns0="urn:schemas-microsoft-com:office:office" xmlns:ns1="urn:schemas-microsoft-com:vml" xmlns:ns2="urn:schemas-microsoft-com:office:excel"><ns0:shapelayout ns1:ext="edit"><ns0:idmap ns1:ext="edit" data="1" /></ns0:shapelayout><ns1:shapetype id="_x0000_t202"/><ns1:shape type="#_x0000_t202"><ns2:ClientData ObjectType="Note"><ns2:Row>3</ns2:Row><ns2:Column>7</ns2:Column></ns2:ClientData></ns1:shape><ns1:shape type="#_x0000_t202"><ns2:ClientData ObjectType="Note"><ns2:Row>8</ns2:Row><ns2:Column>2</ns2:Column></ns2:ClientData></ns1:shape></xml>"##;
        assert_eq!(vml_shapes(vml).iter().map(|s| s.2).collect::<Vec<_>>(), vec![Some((8, 4)), Some((3, 9))]);
        let (left, n) = vml_without(vml, &[(8, 4)].into_iter().collect());
        assert_eq!(n, 1);
        let out = vml_with(&left, &[(2, 2)], 5);
        assert!(out.contains(r#"<v:shape xmlns:v="urn:schemas-microsoft-com:vml""#) && out.contains("id=\"_x0000_s1025\""), "{out}");
        assert!(!out.contains("<ns2:Row>3</ns2:Row>") && out.contains("<ns2:Row>8</ns2:Row>"), "{out}");
        // Well-formed XML: every prefix declared.
        let mut r = Reader::from_str(&out);
        loop {
            match r.read_event() {
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{e}: {out}"),
            }
        }
    }

    #[test]
    fn a_units_own_red_stays_and_its_reply_in_a_comment_is_kept() {
        // The unit's own fill in planmon's red (Excel's 差 style) on a cell never marked.
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("指标填报").unwrap();
        let red = Format::new().set_background_color(rust_xlsxwriter::Color::RGB(0xFFC7CE));
        ws.write_number_with_format(1, 0, 1.0, &red).unwrap();
        ws.write_number(1, 1, 2.0).unwrap();
        let original = wb.save_to_buffer().unwrap();
        let first = annotate(&original, &annotation(vec![mark("B2", "错误：甲")])).unwrap().0;
        assert_eq!(style_of(&sheet_part(&first), "A2"), style_of(&sheet_part(&original), "A2"), "the unit's red untouched");
        // The unit answers in planmon's comment and sends the copy back.
        let replied = {
            let mut pkg = Package::open(&first).unwrap();
            let name = pkg.parts.iter().find(|(n, _)| n.contains("comments")).unwrap().0.clone();
            let text = pkg.text(&name).unwrap().replace("错误：甲", "错误：甲\n【单位回复】已核实，数据无误。");
            pkg.set(&name, text.into_bytes());
            pkg.write().unwrap()
        };
        let second = annotate(&replied, &annotation(vec![mark("B2", "错误：甲")])).unwrap();
        assert!(comments(&second.0).contains("【单位回复】已核实"), "the reply is kept");
        assert_eq!(second.1, vec![("指标填报".to_string(), "B2".to_string())], "B2 keeps the unit's comment");
        let third = annotate(&first, &annotation(vec![])).unwrap().0;
        assert_eq!(style_of(&sheet_part(&third), "A2"), style_of(&sheet_part(&original), "A2"), "still the unit's red");
        assert_eq!(style_of(&sheet_part(&third), "B2"), style_of(&sheet_part(&original), "B2"), "B2 unmarked");
    }

    #[test]
    fn a_copy_annotated_again_shows_the_new_marks_only() {
        let original = workbook();
        let first = annotate(&original, &annotation(vec![mark("A2", "错误：甲"), mark("B2", "错误：乙")])).unwrap().0;
        let second = annotate(&first, &annotation(vec![mark("B2", "错误：丙")])).unwrap().0;
        // One 问题清单, first; the earlier one gone with its part.
        let book = part(&second, "xl/workbook.xml");
        assert_eq!(book.matches("name=\"问题清单\"").count(), 1, "{book}");
        assert!(book.find("问题清单").unwrap() < book.find("指标填报").unwrap());
        assert_eq!(Package::open(&second).unwrap().parts.iter().filter(|(n, _)| n.contains("planmon_list")).count(), 1);
        assert_eq!(book.matches("_xlnm.Print_Titles").count(), 1, "{book}");
        // planmon's earlier comments replaced by the new one; the unit's own kept.
        let c = comments(&second);
        assert!(!c.contains("错误：甲") && !c.contains("错误：乙") && c.contains("错误：丙") && c.contains("单位自己的批注"), "{c}");
        // A2 is no longer marked: its style is the one it had in the original.
        let (s0, s2) = (sheet_part(&original), sheet_part(&second));
        assert_eq!(style_of(&s2, "A2"), style_of(&s0, "A2"), "A2 back to its own style");
        assert_ne!(style_of(&s2, "B2"), style_of(&s0, "B2"), "B2 marked");
        // Annotating the second copy again the same way gives the same parts (no growth
        // but the style clones).
        let third = annotate(&second, &annotation(vec![mark("B2", "错误：丙")])).unwrap().0;
        assert_eq!(comments(&third), c);
        assert_eq!(style_of(&sheet_part(&third), "A2"), style_of(&s0, "A2"));
    }
}
