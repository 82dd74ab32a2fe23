//! The tests' own PDF reader (lopdf for the objects): the text of each page by where
//! its glyphs are, the fonts and whether they are embedded, the pages and their size —
//! what the tests used poppler for, so that `cargo test` needs nothing but cargo.
//! poppler stays as a second client in tests/clients.
//!
//! Text: every glyph shown by Tj/TJ/'/" is placed with the text and current matrices,
//! decoded through its font's ToUnicode map and advanced by the font's widths; glyphs
//! are grouped into lines by baseline (top to bottom) and ordered by x. Without layout a
//! gap wider than a third of the font size becomes one space; with layout (like
//! `pdftotext -layout`) the text is placed at columns proportional to x, so the cells of
//! one table row stay on one line apart from each other.

#![allow(dead_code)] // shared with tests/clients, which uses part of it

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object};

/// A glyph placed on a page: baseline y (page space, upwards), x, font size, width, text.
#[derive(Debug, Clone)]
struct Glyph {
    x: f64,
    y: f64,
    size: f64,
    width: f64,
    text: String,
}

/// A font as the text needs it: code → text, code → width (1/1000 em), two-byte codes.
#[derive(Debug, Default)]
struct FontMap {
    unicode: HashMap<u32, String>,
    widths: HashMap<u32, f64>,
    default_width: f64,
    two_bytes: bool,
}

type Matrix = [f64; 6];

fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn num(o: &Object) -> f64 {
    match o {
        Object::Integer(i) => *i as f64,
        Object::Real(r) => *r as f64,
        _ => 0.0,
    }
}

fn deref<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
    doc.dereference(o).map(|(_, o)| o).unwrap_or(o)
}

/// Hex digits of a CMap token (`<0041>`) as a number.
fn hex_code(token: &str) -> Option<u32> {
    u32::from_str_radix(token.trim_matches(|c| c == '<' || c == '>'), 16).ok()
}

/// UTF-16BE hex (`<4E2D6587>`) as text.
fn hex_text(token: &str) -> String {
    let hex = token.trim_matches(|c| c == '<' || c == '>');
    let units: Vec<u16> = (0..hex.len() / 4).filter_map(|i| u16::from_str_radix(&hex[i * 4..i * 4 + 4], 16).ok()).collect();
    String::from_utf16_lossy(&units)
}

/// A ToUnicode CMap's bfchar and bfrange entries.
fn parse_cmap(text: &str, out: &mut HashMap<u32, String>) {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i] {
            "beginbfchar" => {
                i += 1;
                while i + 1 < tokens.len() && tokens[i] != "endbfchar" {
                    if let Some(code) = hex_code(tokens[i]) {
                        out.insert(code, hex_text(tokens[i + 1]));
                    }
                    i += 2;
                }
            }
            "beginbfrange" => {
                i += 1;
                while i + 2 < tokens.len() && tokens[i] != "endbfrange" {
                    let (lo, hi) = (hex_code(tokens[i]), hex_code(tokens[i + 1]));
                    if tokens[i + 2].starts_with('[') {
                        // An array of destinations.
                        let mut k = i + 2;
                        let mut code = lo.unwrap_or(0);
                        loop {
                            let t = tokens[k].trim_matches(|c| c == '[' || c == ']');
                            if !t.is_empty() {
                                out.insert(code, hex_text(t));
                                code += 1;
                            }
                            if tokens[k].ends_with(']') || k + 1 >= tokens.len() {
                                break;
                            }
                            k += 1;
                        }
                        i = k + 1;
                    } else {
                        if let (Some(lo), Some(hi)) = (lo, hi) {
                            let start: Vec<char> = hex_text(tokens[i + 2]).chars().collect();
                            if let Some(last) = start.last() {
                                for (n, code) in (lo..=hi.min(lo + 65_535)).enumerate() {
                                    let mut s: String = start[..start.len() - 1].iter().collect();
                                    s.push(char::from_u32(*last as u32 + n as u32).unwrap_or('\u{fffd}'));
                                    out.insert(code, s);
                                }
                            }
                        }
                        i += 3;
                    }
                }
            }
            _ => i += 1,
        }
    }
}

/// A composite (Type0) font's descendant CIDFont.
fn descendant<'a>(doc: &'a Document, font: &'a Dictionary) -> Option<&'a Dictionary> {
    let list = font.get(b"DescendantFonts").map(|o| deref(doc, o)).and_then(Object::as_array).ok()?;
    deref(doc, list.first()?).as_dict().ok()
}

fn font_map(doc: &Document, font: &Dictionary) -> FontMap {
    let mut map = FontMap { default_width: 1000.0, ..FontMap::default() };
    let subtype = font.get(b"Subtype").ok().and_then(|o| o.as_name().ok()).unwrap_or(b"");
    map.two_bytes = subtype == b"Type0";
    if let Ok(stream) = font.get(b"ToUnicode").map(|o| deref(doc, o)).and_then(Object::as_stream) {
        if let Ok(data) = stream.decompressed_content().or_else(|_| Ok::<_, lopdf::Error>(stream.content.clone())) {
            parse_cmap(&String::from_utf8_lossy(&data), &mut map.unicode);
        }
    }
    if map.two_bytes {
        if let Some(d) = descendant(doc, font) {
            map.default_width = d.get(b"DW").map(num).unwrap_or(1000.0);
            if let Ok(w) = d.get(b"W").map(|o| deref(doc, o)).and_then(Object::as_array) {
                let mut i = 0;
                while i < w.len() {
                    let first = num(&w[i]) as u32;
                    match w.get(i + 1).map(|o| deref(doc, o)) {
                        Some(Object::Array(list)) => {
                            for (k, v) in list.iter().enumerate() {
                                map.widths.insert(first + k as u32, num(v));
                            }
                            i += 2;
                        }
                        Some(last) => {
                            let width = w.get(i + 2).map(num).unwrap_or(0.0);
                            for code in first..=(num(last) as u32).min(first + 65_535) {
                                map.widths.insert(code, width);
                            }
                            i += 3;
                        }
                        None => break,
                    }
                }
            }
        }
    } else {
        let first = font.get(b"FirstChar").map(num).unwrap_or(0.0) as u32;
        if let Ok(w) = font.get(b"Widths").map(|o| deref(doc, o)).and_then(Object::as_array) {
            for (k, v) in w.iter().enumerate() {
                map.widths.insert(first + k as u32, num(deref(doc, v)));
            }
        }
        map.default_width = 500.0;
    }
    map
}

/// The state of text while a page's content is read.
struct TextState {
    ctm: Matrix,
    stack: Vec<Matrix>,
    tm: Matrix,
    line: Matrix,
    font: Vec<u8>,
    size: f64,
    leading: f64,
    char_spacing: f64,
    word_spacing: f64,
    scale: f64,
}

fn show(state: &mut TextState, fonts: &HashMap<Vec<u8>, FontMap>, bytes: &[u8], out: &mut Vec<Glyph>) {
    let Some(font) = fonts.get(&state.font) else { return };
    let codes: Vec<u32> = if font.two_bytes {
        bytes.chunks(2).map(|c| ((c[0] as u32) << 8) | c.get(1).copied().unwrap_or(0) as u32).collect()
    } else {
        bytes.iter().map(|b| *b as u32).collect()
    };
    for code in codes {
        let m = mul(&[state.size * state.scale, 0.0, 0.0, state.size, 0.0, 0.0], &mul(&state.tm, &state.ctm));
        let w = font.widths.get(&code).copied().unwrap_or(font.default_width) / 1000.0;
        let text =
            font.unicode
                .get(&code)
                .cloned()
                .unwrap_or_else(|| if font.two_bytes { String::new() } else { (code as u8 as char).to_string() });
        let advance =
            (w * state.size + state.char_spacing + if code == 32 && !font.two_bytes { state.word_spacing } else { 0.0 }) * state.scale;
        let size = (m[2] * m[2] + m[3] * m[3]).sqrt();
        let width = advance * (state.tm[0] * state.ctm[0]).abs().max(1e-9);
        out.push(Glyph { x: m[4], y: m[5], size, width, text });
        state.tm = mul(&[1.0, 0.0, 0.0, 1.0, advance, 0.0], &state.tm);
    }
}

fn page_glyphs(doc: &Document, page: lopdf::ObjectId) -> Vec<Glyph> {
    let mut fonts = HashMap::new();
    for (name, dict) in doc.get_page_fonts(page).unwrap_or_default() {
        fonts.insert(name, font_map(doc, dict));
    }
    let content = Content::decode(&doc.get_page_content(page)).expect("the page's content decodes");
    let mut st = TextState {
        ctm: IDENTITY,
        stack: Vec::new(),
        tm: IDENTITY,
        line: IDENTITY,
        font: Vec::new(),
        size: 0.0,
        leading: 0.0,
        char_spacing: 0.0,
        word_spacing: 0.0,
        scale: 1.0,
    };
    let mut out = Vec::new();
    for op in content.operations {
        let o = &op.operands;
        let n = |i: usize| o.get(i).map(num).unwrap_or(0.0);
        match op.operator.as_str() {
            "q" => st.stack.push(st.ctm),
            "Q" => st.ctm = st.stack.pop().unwrap_or(IDENTITY),
            "cm" => st.ctm = mul(&[n(0), n(1), n(2), n(3), n(4), n(5)], &st.ctm),
            "BT" => {
                st.tm = IDENTITY;
                st.line = IDENTITY;
            }
            "Tf" => {
                st.font = o.first().and_then(|f| f.as_name().ok()).map(|f| f.to_vec()).unwrap_or_default();
                st.size = n(1);
            }
            "Tc" => st.char_spacing = n(0),
            "Tw" => st.word_spacing = n(0),
            "Tz" => st.scale = n(0) / 100.0,
            "TL" => st.leading = n(0),
            "Tm" => {
                st.tm = [n(0), n(1), n(2), n(3), n(4), n(5)];
                st.line = st.tm;
            }
            "Td" | "TD" => {
                if op.operator == "TD" {
                    st.leading = -n(1);
                }
                st.line = mul(&[1.0, 0.0, 0.0, 1.0, n(0), n(1)], &st.line);
                st.tm = st.line;
            }
            "T*" => {
                st.line = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -st.leading], &st.line);
                st.tm = st.line;
            }
            "Tj" | "'" | "\"" => {
                if op.operator != "Tj" {
                    st.line = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -st.leading], &st.line);
                    st.tm = st.line;
                }
                if let Some(Object::String(bytes, _)) = o.last() {
                    show(&mut st, &fonts, bytes, &mut out);
                }
            }
            "TJ" => {
                if let Some(Object::Array(items)) = o.first() {
                    for item in items {
                        match item {
                            Object::String(bytes, _) => show(&mut st, &fonts, bytes, &mut out),
                            other => {
                                let adj = -num(other) / 1000.0 * st.size * st.scale;
                                st.tm = mul(&[1.0, 0.0, 0.0, 1.0, adj, 0.0], &st.tm);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The glyphs of a page in the order the page draws them (typst draws a paragraph, a
/// table cell, a caption each as a whole, in reading order), a new line where a glyph
/// is not beside the one before it, a space where it is apart from it.
fn stream_lines(glyphs: &[Glyph]) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut last: Option<&Glyph> = None;
    for g in glyphs.iter().filter(|g| !g.text.is_empty()) {
        if let Some(p) = last {
            let same_line = (p.y - g.y).abs() <= p.size.max(g.size) / 3.0 && g.x >= p.x + p.width - p.size;
            if !same_line {
                out.push(String::new());
            } else if g.x - (p.x + p.width) > g.size / 3.0 {
                out.last_mut().unwrap().push(' ');
            }
        }
        out.last_mut().unwrap().push_str(&g.text);
        last = Some(g);
    }
    out.into_iter().filter(|l| !l.is_empty()).collect()
}

/// The glyphs of a page as lines of text, top to bottom (layout: by where they are).
fn lines(mut glyphs: Vec<Glyph>, layout: bool) -> Vec<String> {
    if !layout {
        return stream_lines(&glyphs);
    }
    glyphs.retain(|g| !g.text.is_empty());
    glyphs.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    // Lines: glyphs whose baselines are within a third of the font size.
    let mut rows: Vec<Vec<Glyph>> = Vec::new();
    for g in glyphs {
        match rows.last_mut() {
            Some(row) if (row[0].y - g.y).abs() <= row[0].size.max(g.size) / 3.0 => row.push(g),
            _ => rows.push(vec![g]),
        }
    }
    // The width of one column of layout text: half the body size (a CJK character takes
    // two columns, as pdftotext -layout counts them).
    let column = 5.0;
    rows.into_iter()
        .map(|mut row| {
            // By the glyph's middle: CJK punctuation is drawn pulled back into the space of
            // the glyph before it (“ after 2 starts left of 2's end).
            row.sort_by(|a, b| (a.x + a.width / 2.0).total_cmp(&(b.x + b.width / 2.0)));
            let mut s = String::new();
            let mut end: Option<f64> = None;
            let mut col = 0usize;
            for g in &row {
                if layout {
                    let want = (g.x / column).round().max(0.0) as usize;
                    let gap = end.map(|e| g.x - e).unwrap_or(f64::MAX);
                    if want > col && (end.is_none() || gap > g.size / 3.0) {
                        s.push_str(&" ".repeat(want - col));
                        col = want;
                    } else if end.is_some_and(|e| g.x - e > g.size / 3.0) {
                        s.push(' ');
                        col += 1;
                    }
                    col += g.text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum::<usize>();
                } else if let Some(e) = end {
                    if g.x - e > g.size / 3.0 {
                        s.push(' ');
                    }
                }
                s.push_str(&g.text);
                end = Some(g.x + g.width);
            }
            s.trim_end().to_string()
        })
        .collect()
}

/// The text of a PDF, page by page (pages separated by a form feed, as pdftotext does).
pub fn text(pdf: &Path, layout: bool) -> String {
    let doc = Document::load(pdf).unwrap_or_else(|e| panic!("{}: not a PDF lopdf reads: {e}", pdf.display()));
    let mut out = String::new();
    for (_, page) in doc.get_pages() {
        for line in lines(page_glyphs(&doc, page), layout) {
            out.push_str(&line);
            out.push('\n');
        }
        out.push('\u{c}');
    }
    out
}

/// A font of a PDF: its name (without the subset tag), type, whether its program is
/// embedded, and whether it is a subset.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfFont {
    pub name: String,
    pub subtype: String,
    pub embedded: bool,
    pub subset: bool,
}

/// Every font of every page.
pub fn fonts(pdf: &Path) -> Vec<PdfFont> {
    let doc = Document::load(pdf).unwrap_or_else(|e| panic!("{}: {e}", pdf.display()));
    let mut seen = BTreeMap::new();
    for (_, page) in doc.get_pages() {
        for (_, font) in doc.get_page_fonts(page).unwrap_or_default() {
            let base = font
                .get(b"BaseFont")
                .ok()
                .and_then(|o| o.as_name().ok())
                .map(|n| String::from_utf8_lossy(n).to_string())
                .unwrap_or_default();
            let subtype = font
                .get(b"Subtype")
                .ok()
                .and_then(|o| o.as_name().ok())
                .map(|n| String::from_utf8_lossy(n).to_string())
                .unwrap_or_default();
            // The descriptor: the font's own, or its descendant's.
            let descriptor =
                descendant(&doc, font).unwrap_or(font).get(b"FontDescriptor").map(|o| deref(&doc, o)).and_then(|o| o.as_dict()).ok();
            let embedded = descriptor.is_some_and(|d| d.has(b"FontFile") || d.has(b"FontFile2") || d.has(b"FontFile3"));
            let subset = base.len() > 7 && base.as_bytes()[6] == b'+' && base[..6].chars().all(|c| c.is_ascii_uppercase());
            let name = if subset { base[7..].to_string() } else { base.clone() };
            seen.entry(base.clone()).or_insert(PdfFont { name, subtype, embedded, subset });
        }
    }
    seen.into_values().collect()
}

/// The pages' sizes (points, width × height) from their MediaBox.
pub fn pages(pdf: &Path) -> Vec<(f64, f64)> {
    let doc = Document::load(pdf).unwrap_or_else(|e| panic!("{}: {e}", pdf.display()));
    doc.get_pages()
        .values()
        .map(|id| {
            let mut dict = doc.get_dictionary(*id).ok();
            // MediaBox may be inherited from the page tree.
            while let Some(d) = dict {
                if let Ok(Object::Array(b)) = d.get(b"MediaBox").map(|o| deref(&doc, o)) {
                    let v: Vec<f64> = b.iter().map(|o| num(deref(&doc, o))).collect();
                    return (v[2] - v[0], v[3] - v[1]);
                }
                dict = d.get(b"Parent").ok().and_then(|p| p.as_reference().ok()).and_then(|r| doc.get_dictionary(r).ok());
            }
            (0.0, 0.0)
        })
        .collect()
}

/// The document's metadata as text: the Info dictionary's strings and the XMP packet.
pub fn metadata(pdf: &Path) -> String {
    let doc = Document::load(pdf).unwrap_or_else(|e| panic!("{}: {e}", pdf.display()));
    let mut out = String::new();
    let text = |bytes: &[u8]| match bytes.strip_prefix(&[0xFE, 0xFF]) {
        Some(utf16) => {
            String::from_utf16_lossy(&utf16.chunks(2).map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])).collect::<Vec<_>>())
        }
        None => String::from_utf8_lossy(bytes).into_owned(),
    };
    if let Ok(info) = doc.trailer.get(b"Info").map(|o| deref(&doc, o)).and_then(Object::as_dict) {
        for (key, value) in info.iter() {
            if let Object::String(bytes, _) = deref(&doc, value) {
                out.push_str(&format!("{}: {}\n", String::from_utf8_lossy(key), text(bytes)));
            }
        }
    }
    if let Ok(root) = doc.trailer.get(b"Root").map(|o| deref(&doc, o)).and_then(Object::as_dict) {
        if let Ok(stream) = root.get(b"Metadata").map(|o| deref(&doc, o)).and_then(Object::as_stream) {
            let data = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
            out.push_str(&String::from_utf8_lossy(&data));
        }
    }
    out
}
