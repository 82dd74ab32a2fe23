//! The report and the feedback sheets as editable Word documents (docx-rs), from the same
//! typed data as the PDFs (`report.rs`: [`ReportData`], [`FeedbackData`]) so that the two
//! can never disagree. The look follows what a Word document can carry of GB/T 9704:
//! A4, margins 37/35/28/26 mm, body 仿宋_GB2312 三号 at a fixed 28.95 pt line (22 lines a
//! page), title 方正小标宋简体 二号, 一级标题 黑体, 二级标题 楷体_GB2312, page numbers
//! "— 1 —" at the foot. Fonts are referenced by name with the east-Asian slot set (what
//! Word and WPS read), and the font table names fallbacks for machines without them.
//!
//! Two things docx-rs cannot express are added to its XML: `w:tblHeader` (a long table's
//! first row repeated on every page) and the font table's fallbacks; and the package is zipped
//! again with fixed timestamps, so that the same inputs give the same bytes.

use std::io::{Read, Write};

use docx_rs::{
    AlignmentType, BreakType, Docx, Footer, LineSpacing, LineSpacingType, PageMargin, PageNum, Paragraph, Pic, Run, RunFonts, Shading,
    SpecialIndentType, Style, StyleType, Table, TableCell, TableRow, VAlignType, WidthType,
};

use super::report::{FeedbackData, IndicatorRow, ReportData};

/// Fonts by name, as the office's machines have them.
const FANGSONG: &str = "仿宋_GB2312";
const XIAOBIAOSONG: &str = "方正小标宋简体";
const HEITI: &str = "黑体";
const KAITI: &str = "楷体_GB2312";
const SONGTI: &str = "宋体";
const LATIN: &str = "Times New Roman";

/// Sizes in half-points: 二号 22 pt, 三号 16 pt, 四号 14 pt, 五号 10.5 pt.
const ERHAO: usize = 44;
const SANHAO: usize = 32;
const SIHAO: usize = 28;
const WUHAO: usize = 21;

/// Twips (1/20 pt) per millimetre.
fn mm(v: f64) -> i32 {
    (v * 1440.0 / 25.4).round() as i32
}

/// The fixed line of the body: 22 lines in the 225 mm of an A4 page between the margins.
const LINE: i32 = 579;

/// The width of the text: 210 − 28 − 26 = 156 mm.
const TEXT_WIDTH_MM: f64 = 156.0;

fn fonts(east_asia: &str) -> RunFonts {
    RunFonts::new().east_asia(east_asia).ascii(LATIN).hi_ansi(LATIN).cs(LATIN).hint("eastAsia")
}

fn body_spacing() -> LineSpacing {
    LineSpacing::new().line(LINE).line_rule(LineSpacingType::Exact).before(0).after(0)
}

/// A run of text. Every text of the Word files passes here: characters XML cannot hold
/// are replaced (a vertical tab, Excel's line break, becomes a line break; the other
/// controls go; the read stage reports each cell that had them).
fn text_run(text: &str) -> Run {
    if !text.chars().any(crate::text::xml_unsafe) {
        return Run::new().add_text(text);
    }
    let mut run = Run::new();
    for (k, line) in text.split('\u{b}').enumerate() {
        if k > 0 {
            run = run.add_break(BreakType::TextWrapping);
        }
        let clean: String = line.chars().filter(|c| !crate::text::xml_unsafe(*c)).collect();
        run = run.add_text(clean);
    }
    run
}

/// A paragraph indented two characters on its first line (as characters for Word and
/// WPS, and as a length, 2 × 16 pt, for programs that read only that).
fn indented(style: &str) -> Paragraph {
    Paragraph::new().style(style).indent(None, Some(SpecialIndentType::FirstLine(640)), None, None).first_line_chars(200)
}

/// A body paragraph: 仿宋 三号, first line indented two characters.
fn para(text: &str) -> Paragraph {
    indented("Body").add_run(text_run(text))
}

/// A paragraph without the first-line indent (主送, the unit addressed).
fn flush(text: &str) -> Paragraph {
    Paragraph::new().style("Body").add_run(text_run(text))
}

// Headings never end a page: each goes with the paragraph after it.
fn heading1(text: &str) -> Paragraph {
    indented("Heading1").keep_next(true).add_run(text_run(text))
}

fn heading2(text: &str) -> Paragraph {
    indented("Heading2").keep_next(true).add_run(text_run(text))
}

/// The paragraph styles the documents use, so that the office edits them as styles.
fn styles(docx: Docx) -> Docx {
    let paragraph = |id: &str, name: &str, font: &str, size: usize| {
        Style::new(id, StyleType::Paragraph).name(name).fonts(fonts(font)).size(size).line_spacing(body_spacing()).q_format(true)
    };
    docx.add_style(paragraph("Body", "公文正文", FANGSONG, SANHAO).align(AlignmentType::Both))
        .add_style(paragraph("DocTitle", "公文标题", XIAOBIAOSONG, ERHAO).align(AlignmentType::Center).outline_lvl(0))
        .add_style(paragraph("Heading1", "heading 1", HEITI, SANHAO).align(AlignmentType::Both).outline_lvl(0).based_on("Body"))
        .add_style(paragraph("Heading2", "heading 2", KAITI, SANHAO).align(AlignmentType::Both).outline_lvl(1).based_on("Body"))
        .add_style(
            Style::new("TableText", StyleType::Paragraph)
                .name("表格文字")
                .fonts(fonts(FANGSONG))
                .size(WUHAO)
                .line_spacing(LineSpacing::new().line(240).line_rule(LineSpacingType::Auto).before(0).after(0)),
        )
        .add_style(
            Style::new("Caption", StyleType::Paragraph)
                .name("caption")
                .fonts(fonts(HEITI))
                .size(24)
                .align(AlignmentType::Center)
                .line_spacing(LineSpacing::new().line(360).line_rule(LineSpacingType::Auto).before(120).after(60)),
        )
}

/// A new document with the page, the default fonts and the page number at the foot.
fn document(created: &str) -> Docx {
    let margins = PageMargin::new().top(mm(37.0)).bottom(mm(35.0)).left(mm(28.0)).right(mm(26.0)).header(mm(15.0)).footer(mm(25.0));
    let footer = Footer::new().add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(Run::new().add_text("— ").fonts(fonts(SONGTI)).size(SIHAO))
            .add_page_num(PageNum::new())
            .add_run(Run::new().add_text(" —").fonts(fonts(SONGTI)).size(SIHAO))
            .fonts(fonts(SONGTI))
            .size(SIHAO),
    );
    styles(
        Docx::new()
            .page_size(11906, 16838)
            .page_margin(margins)
            .default_fonts(fonts(FANGSONG))
            .default_size(SANHAO)
            .footer(footer)
            .created_at(created)
            .updated_at(created),
    )
}

/// A cell of a table: its text in 五号, centred or not; `keep` keeps its row on the page
/// of the next row.
fn cell(text: &str, width: i32, center: bool, header: bool, keep: bool) -> TableCell {
    let mut p = Paragraph::new().style("TableText").keep_next(keep).add_run(if header {
        text_run(text).fonts(fonts(HEITI))
    } else {
        text_run(text)
    });
    if center {
        p = p.align(AlignmentType::Center);
    }
    let mut c = TableCell::new().add_paragraph(p).width(width as usize, WidthType::Dxa).vertical_align(VAlignType::Center);
    if header {
        c = c.shading(Shading::new().fill("F2F2F2"));
    }
    c
}

/// A table of up to this many rows (under its header) is kept on one page.
const SHORT_TABLE: usize = 4;

/// A table with fixed column widths (mm, adding up to the text width), a header row
/// (repeated on every page when the table is long), and the rows. `centred[k]` centres
/// column k.
fn table(weights: &[f64], centred: &[bool], header: &[String], rows: Vec<Vec<String>>) -> Table {
    let widths: Vec<i32> = column_widths(weights, header, &rows).into_iter().map(mm).collect();
    // The header row goes with the first two rows and the last row with the one before
    // it (never a row alone on a page); a short table stays whole. A longer one runs on
    // from where it starts: kept whole, an area's table of ten rows would leave half a
    // page empty before it.
    let last = rows.len();
    let row = |texts: &[String], head: bool, k: usize| {
        // A group's heading row (one cell of text: an area in the appendices) goes with
        // the group's first row.
        let group = texts.len() > 2 && texts.iter().filter(|t| !t.is_empty()).count() == 1;
        let keep = head || (k + 1 < last && (last <= SHORT_TABLE || k < 1 || k + 2 >= last || group));
        let cells = texts
            .iter()
            .enumerate()
            .map(|(c, t)| cell(t, widths[c], head || centred.get(c).copied().unwrap_or(false), head, keep))
            .collect();
        // No row is split across pages; a long table's header row is repeated on every
        // page (w:tblHeader, added to the XML after docx-rs, which cannot say it; see
        // `mark_header_rows`).
        TableRow::new(cells).cant_split()
    };
    let mut all = vec![row(header, true, 0)];
    all.extend(rows.iter().enumerate().map(|(k, r)| row(r, false, k)));
    Table::new(all).set_grid(widths.iter().map(|w| *w as usize).collect()).width(mm(TEXT_WIDTH_MM) as usize, WidthType::Dxa)
}

/// How wide (mm) a text sets in 五号 (10.5 pt, 3.7 mm to the em) on one line, a little
/// generously: a Chinese character 1 em, a digit or lower-case letter half, capitals and
/// signs like % about four fifths.
fn set_width(text: &str) -> f64 {
    text.chars()
        .map(|c| match c {
            '0'..='9' | 'a'..='z' | '.' | ',' | ' ' | '-' | '/' | '(' | ')' => 1.9,
            c if c.is_ascii() => 3.0,
            _ => 3.75,
        })
        .sum()
}

/// Left and right cell margins (Word's and LibreOffice's 0.19 cm each) and the rules.
const CELL_PADDING: f64 = 4.4;

/// The runs of a text that a line never breaks: Latin letters and digits with the signs
/// that cling to them ("≥2900", "100.0%", "2024" of "2024年").
fn unbreakable(text: &str) -> impl Iterator<Item = &str> {
    let clings = |c: char| c.is_ascii() && c != ' ' || matches!(c, '≥' | '≤' | '±' | '‰' | '～' | '×' | '℃' | '㎡');
    text.split(move |c: char| !clings(c) || c == '\u{b}').filter(|r| !r.is_empty())
}

/// What an unbreakable run needs (mm): its digits as a wider Latin face than Times New
/// Roman sets them (LibreOffice without it uses DejaVu Serif: 0.64 em, not 0.5), the
/// rest as `set_width` (already generous), so that a number never breaks inside,
/// whatever font the reader has.
fn unbreakable_width(run: &str) -> f64 {
    run.chars().map(|c| if c.is_ascii_digit() { 2.4 } else { set_width(c.encode_utf8(&mut [0; 4])) }).sum::<f64>() + CELL_PADDING
}

/// The columns' widths (mm, adding up to the text width) for these texts. Each column
/// first gets what it cannot do without: its header (up to three characters on one
/// line, four on two, a longer one on three at most), and in header and cells its
/// longest unbreakable run (`unbreakable`). The rest goes, a step at a time, where it saves the most
/// lines (each row as high as its tallest cell, and every cell's lines a little); what
/// no longer saves a line goes by the `weights`.
fn column_widths(weights: &[f64], header: &[String], rows: &[Vec<String>]) -> Vec<f64> {
    let n = weights.len();
    // Each row's cells as the set widths of their lines.
    let table: Vec<Vec<Vec<f64>>> = std::iter::once(header)
        .chain(rows.iter().map(Vec::as_slice))
        .map(|row: &[String]| (0..n).map(|k| row.get(k).map_or_else(Vec::new, |t| t.split('\u{b}').map(set_width).collect())).collect())
        .collect();
    let mut widths = vec![0.0_f64; n];
    for (k, h) in header.iter().enumerate().take(n) {
        for line in h.split('\u{b}') {
            let chars = line.chars().count();
            // Up to three characters on one line, four on two, more on three at most.
            let per_line = match chars {
                0..=3 => chars,
                4 => 2,
                _ => chars.div_ceil(3).max(2),
            };
            let on = line
                .chars()
                .collect::<Vec<_>>()
                .chunks(per_line.max(1))
                .map(|c| set_width(&c.iter().collect::<String>()))
                .fold(0.0, f64::max);
            widths[k] = widths[k].max(on + CELL_PADDING);
        }
    }
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        for (k, t) in row.iter().enumerate().take(n) {
            widths[k] = unbreakable(t).map(unbreakable_width).fold(widths[k], f64::max);
            // A word of up to three characters (已完成, 在建) on one line.
            if t.chars().count() <= 3 {
                widths[k] = widths[k].max(set_width(t) + CELL_PADDING);
            }
        }
    }
    let floor: f64 = widths.iter().sum();
    if floor >= TEXT_WIDTH_MM {
        // Not even that fits: the minimums, scaled down.
        return widths.iter().map(|w| w * TEXT_WIDTH_MM / floor).collect();
    }
    let lines = |cell: &[f64], w: f64| cell.iter().map(|l| (l / (w - CELL_PADDING).max(1.0) - 1e-9).ceil().max(1.0)).sum::<f64>();
    // The rows' heights in lines, and (so that a cell in a row another cell holds as
    // high still counts) the cells' lines.
    let height = |widths: &[f64]| -> f64 {
        table
            .iter()
            .map(|row| {
                let cells: Vec<f64> = row.iter().zip(widths).map(|(cell, w)| lines(cell, *w)).collect();
                cells.iter().copied().fold(1.0, f64::max) + cells.iter().sum::<f64>() / (n as f64 + 1.0)
            })
            .sum()
    };
    let mut left = TEXT_WIDTH_MM - floor;
    let mut now = height(&widths);
    // Greedy: the column and the widening (whole mm) that save the most lines per mm.
    while left >= 1.0 {
        let mut best: Option<(f64, usize, f64, f64)> = None;
        let mut trial = widths.clone();
        for k in 0..n {
            for d in 1..=(left as usize) {
                trial[k] = widths[k] + d as f64;
                let h = height(&trial);
                let gain = (now - h) / d as f64;
                if gain > 1e-9 && best.is_none_or(|(g, ..)| gain > g + 1e-9) {
                    best = Some((gain, k, d as f64, h));
                }
            }
            trial[k] = widths[k];
        }
        let Some((_, k, d, h)) = best else { break };
        widths[k] += d;
        left -= d;
        now = h;
    }
    let weight: f64 = weights.iter().sum();
    for (w, wt) in widths.iter_mut().zip(weights) {
        *w += left * wt / weight;
    }
    widths
}

fn caption(text: &str) -> Paragraph {
    // A table's caption goes with the table it names, below the caption (keep with next).
    Paragraph::new().style("Caption").keep_next(true).add_run(text_run(text))
}

/// A figure's caption, below the picture (which is kept with it): not kept with what
/// follows, or the picture would go with the next table's first rows too.
fn figure_caption(text: &str) -> Paragraph {
    Paragraph::new().style("Caption").add_run(text_run(text))
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn indicator_rows(rows: &[IndicatorRow], seq: bool, responsible: bool) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            let mut v = vec![
                if seq { r.seq.clone() } else { r.id.clone() },
                if seq { r.name.clone() } else { format!("{}（{}）", r.name, r.unit) },
            ];
            if seq {
                v.push(r.unit.clone());
            }
            v.extend([r.target_text.clone(), r.last.clone(), r.this.clone()]);
            if !seq {
                v.push(r.expected.clone());
            }
            v.push(r.status.clone());
            if responsible {
                v.push(r.responsible.clone());
            }
            v
        })
        .collect()
}

/// The 落款: office over the date, the date four characters from the right margin.
fn signature(docx: Docx, office: &str, date: &str) -> Docx {
    let right = |text: &str| {
        Paragraph::new().style("Body").align(AlignmentType::Right).indent(None, None, Some(4 * 320), None).add_run(text_run(text))
    };
    // Never the office on one page and the date on the next, nor the 落款 alone: the
    // lines before it go with it.
    docx.add_paragraph(flush("").keep_next(true))
        .add_paragraph(flush("").keep_next(true))
        .add_paragraph(right(office).keep_next(true))
        .add_paragraph(right(date))
}

/// The progress report as a .docx.
/// A PNG's size in pixels (from its IHDR header).
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    let word = |k: usize| png.get(k..k + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    (png.starts_with(b"\x89PNG")).then_some(())?;
    Some((word(16)?, word(20)?))
}

/// A figure as a picture the width of the text, centred, with its caption below.
fn picture(png: &[u8], width_mm: f64) -> Option<Paragraph> {
    let (w, h) = png_size(png)?;
    let emu = |mm: f64| (mm * 36_000.0).round() as u32;
    let height_mm = width_mm * f64::from(h) / f64::from(w.max(1));
    let pic = Pic::new_with_dimensions(png.to_vec(), w, h).size(emu(width_mm), emu(height_mm));
    Some(Paragraph::new().align(AlignmentType::Center).keep_next(true).add_run(Run::new().add_image(pic)))
}

pub fn report(d: &ReportData, created: &str, figures: &[Vec<u8>]) -> std::io::Result<Vec<u8>> {
    let mut docx = document(created)
        .add_paragraph(Paragraph::new().style("DocTitle").add_run(text_run(&d.title_lines.join("\u{b}"))))
        .add_paragraph(flush(&d.notice))
        .add_paragraph(flush(&d.recipient));
    for p in &d.intro {
        docx = docx.add_paragraph(para(p));
    }
    docx = docx.add_paragraph(heading1("一、总体情况"));
    for p in &d.overview {
        docx = docx.add_paragraph(para(p));
    }
    let mut head = vec!["领域".to_string()];
    head.extend(d.status_labels.iter().cloned());
    let rows =
        d.area_counts.iter().map(|a| std::iter::once(a.area.clone()).chain(a.counts.iter().map(|c| c.to_string())).collect()).collect();
    let widths: Vec<f64> = std::iter::once(24.0).chain(std::iter::repeat_n(19.0, d.status_labels.len())).collect();
    docx = docx.add_paragraph(caption(&d.table1_title)).add_table(table(
        &widths,
        &[false, true, true, true, true, true, true, true],
        &head,
        rows,
    ));
    // 图1: the picture the PDF draws (typeset from the same template code).
    if let Some(p) = figures.first().and_then(|png| picture(png, 150.0)) {
        docx = docx.add_paragraph(p).add_paragraph(figure_caption(&d.figure_title));
    }
    let head = strings(&[
        "责任单位",
        &format!("{}报送填报表（份）", d.returns_years),
        "按时报送",
        "牵头指标（项）",
        &format!("{}年已报（项）", d.year),
        "报送率",
        "错误/警告",
    ]);
    let rows = d
        .unit_rows
        .iter()
        .map(|u| {
            vec![
                u.unit.clone(),
                u.returns.clone(),
                u.on_time.clone(),
                u.indicators.to_string(),
                u.reported.to_string(),
                u.rate.clone(),
                u.problems.clone(),
            ]
        })
        .collect();
    docx = docx.add_paragraph(caption("表2　各责任单位填报情况")).add_table(table(
        &[44.0, 18.0, 18.0, 18.0, 18.0, 18.0, 22.0],
        &[false, true, true, true, true, true, true],
        &head,
        rows,
    ));
    if !d.unit_note.is_empty() {
        docx = docx.add_paragraph(Paragraph::new().style("TableText").add_run(text_run(&d.unit_note)));
    }

    docx = docx.add_paragraph(heading1("二、主要工作及成效"));
    for w in &d.works {
        docx = docx.add_paragraph(heading2(&format!("（{}）{}", w.number, w.name)));
        for q in &w.entries {
            docx = docx
                .add_paragraph(indented("Body").add_run(text_run(&format!("{}：", q.unit)).fonts(fonts(HEITI))).add_run(text_run(&q.text)));
        }
        if !w.placeholder.is_empty() {
            docx = docx.add_paragraph(para(&w.placeholder));
        }
    }

    docx = docx.add_paragraph(heading1("三、主要指标完成情况"));
    let head =
        strings(&["编号", "指标", &d.target_heading, &format!("{}年", d.previous_year), &format!("{}年", d.year), "序时进度", "状态"]);
    for a in &d.areas {
        docx = docx.add_paragraph(heading2(&format!("（{}）{}", a.number, a.name)));
        // The sentences go with the start of the area's table.
        for p in &a.sentences {
            docx = docx.add_paragraph(para(p).keep_next(true));
        }
        docx = match &d.final_eval {
            // At the plan's end: the whole period, 完成率 and the outcome.
            Some(f) => {
                let mut head = vec!["编号".to_string(), "指标".to_string(), format!("基期 {}年", f.base_year)];
                head.extend(f.years.iter().map(|y| format!("{y}年")));
                head.extend(["目标", "完成率", "完成情况"].map(String::from));
                let rows = a
                    .final_rows
                    .iter()
                    .map(|r| {
                        let mut row = vec![r.id.clone(), format!("{}（{}）", r.name, r.unit), r.base.clone()];
                        row.extend(r.values.iter().cloned());
                        row.extend([r.target_text.clone(), r.rate.clone(), r.outcome.clone()]);
                        row
                    })
                    .collect();
                let mut widths = vec![10.0, 33.0, 14.0];
                widths.extend(f.years.iter().map(|_| 13.0));
                widths.extend([17.0, 19.0, 16.0]);
                let mut centered = vec![true, false];
                centered.extend(std::iter::repeat_n(true, widths.len() - 2));
                docx.add_table(table(&widths, &centered, &head, rows))
            }
            None => docx.add_table(table(
                &[11.0, 47.0, 22.0, 15.0, 15.0, 17.0, 29.0],
                &[true, false, true, true, true, true, true],
                &head,
                indicator_rows(&a.rows, false, false),
            )),
        };
        if !a.notes.is_empty() {
            docx = docx.add_paragraph(Paragraph::new().style("TableText").add_run(text_run(&format!("注：{}。", a.notes.join("；")))));
        }
    }
    if let Some(f) = &d.final_eval {
        docx = docx.add_paragraph(heading2(&f.heading));
        for p in &f.lists {
            docx = docx.add_paragraph(para(p));
        }
        for n in &f.not_met {
            docx = docx.add_paragraph(para(&format!("{}。{}", n.title, n.reason)));
        }
        // 图2: the picture the PDF draws.
        if let Some(p) = figures.get(1).filter(|_| !f.trends.is_empty()).and_then(|png| picture(png, 156.0)) {
            docx = docx.add_paragraph(p).add_paragraph(figure_caption(&f.trend_title));
        }
    }

    docx = docx.add_paragraph(heading1("四、重点项目和重点任务推进情况"));
    for p in &d.project_sentences {
        docx = docx.add_paragraph(para(p));
    }
    let head = strings(&["领域", "项目（个）", "已报送（个）", "计划总投资", "累计完成投资", "投资完成率"]);
    let mut rows: Vec<Vec<String>> = d
        .investment
        .iter()
        .map(|r| {
            vec![r.area.clone(), r.projects.to_string(), r.reported.to_string(), r.planned.clone(), r.completed.clone(), r.rate.clone()]
        })
        .collect();
    let t = &d.investment_total;
    rows.push(vec![t.area.clone(), t.projects.to_string(), t.reported.to_string(), t.planned.clone(), t.completed.clone(), t.rate.clone()]);
    docx = docx.add_paragraph(caption(&d.table3_title)).add_table(table(
        &[32.0, 18.0, 18.0, 30.0, 30.0, 28.0],
        &[false, true, true, true, true, true],
        &head,
        rows,
    ));
    for p in &d.task_sentences {
        docx = docx.add_paragraph(para(p));
    }
    if !d.key_tasks.is_empty() {
        let head = strings(&["任务", "责任单位", "完成时限", "完成情况", "说明"]);
        let rows = d
            .key_tasks
            .iter()
            .map(|k| vec![k.name.clone(), k.responsible.clone(), k.due.clone(), k.state.clone(), k.note.clone()])
            .collect();
        docx = docx.add_paragraph(caption("表4　有完成时限的重点任务完成情况")).add_table(table(
            &[58.0, 28.0, 16.0, 32.0, 22.0],
            &[false, false, true, true, false],
            &head,
            rows,
        ));
    }

    docx = docx.add_paragraph(heading1("五、存在的问题"));
    // An item's paragraphs (each unit's words) each a paragraph, the first numbered.
    // (`keep`: the item's last paragraph goes with what follows.)
    let numbered = |mut docx: Docx, number: String, item: &str, keep: bool| {
        let parts: Vec<&str> = item.split(super::report::PARAGRAPH).collect();
        for (k, part) in parts.iter().enumerate() {
            let p = para(&if k == 0 { format!("{number}{part}") } else { part.to_string() });
            docx = docx.add_paragraph(p.keep_next(keep && k + 1 == parts.len()));
        }
        docx
    };
    for (i, p) in d.problems.iter().enumerate() {
        docx = numbered(docx, format!("（{}）", i + 1), p, false);
    }
    docx = docx.add_paragraph(heading1("六、下一步工作建议"));
    // The last suggestion goes with the 附件说明 and the 落款: never a 落款 page alone.
    for (i, p) in d.suggestions.iter().enumerate() {
        docx = numbered(docx, format!("{}. ", i + 1), p, i + 1 == d.suggestions.len());
    }
    // 附件说明 (GB/T 9704 7.3.4): two characters in, the names aligned after 附表：.
    docx = docx.add_paragraph(flush("").keep_next(true));
    for (k, t) in d.attachments.iter().enumerate() {
        let p = if k == 0 {
            Paragraph::new()
                .style("Body")
                .indent(Some(2 * 320), Some(SpecialIndentType::FirstLine(0)), None, None)
                .add_run(text_run(&format!("附表：{t}")))
        } else {
            Paragraph::new().style("Body").indent(Some(5 * 320), Some(SpecialIndentType::FirstLine(0)), None, None).add_run(text_run(t))
        };
        docx = docx.add_paragraph(p.keep_next(true));
    }
    docx = signature(docx, &d.office, &d.date);

    // The appendices, from a new page.
    let appendix = |docx: Docx, title: &str, head: Vec<String>, widths: &[f64], centred: &[bool], rows: Vec<Vec<String>>| {
        docx.add_paragraph(
            Paragraph::new().style("Heading1").keep_next(true).page_break_before(title.starts_with("附表1")).add_run(text_run(title)),
        )
        .add_table(table(widths, centred, &head, rows))
    };
    let ind_head = strings(&[
        "序号",
        "指标",
        "单位",
        &d.target_heading,
        &format!("{}年", d.previous_year),
        &format!("{}年", d.year),
        "状态",
        "责任单位",
    ]);
    // Wide enough for “T14” and “P07” on one line.
    let ind_widths = [11.0, 41.0, 12.0, 19.0, 13.0, 13.0, 24.0, 23.0];
    let ind_centred = [true, false, true, true, true, true, true, false];
    for t in [&d.appendix_goals, &d.appendix_targets] {
        let rows: Vec<Vec<String>> = t
            .groups
            .iter()
            .flat_map(|g| {
                let mut heading = vec![String::new(); 8];
                heading[1] = g.area.clone();
                std::iter::once(heading).chain(indicator_rows(&g.rows, true, true))
            })
            .collect();
        docx = appendix(docx, &t.title, ind_head.clone(), &ind_widths, &ind_centred, rows);
    }
    let head = strings(&[
        "编号",
        "项目",
        "责任单位",
        "计划总投资（万元）",
        "累计完成投资（万元）",
        "完成率",
        &format!("{}年形象进度", d.previous_year),
        &format!("{}年形象进度", d.year),
        "状态",
    ]);
    let rows = d
        .appendix_projects
        .rows
        .iter()
        .map(|p| {
            vec![
                p.id.clone(),
                p.name.clone(),
                p.responsible.clone(),
                p.planned.clone(),
                p.completed.clone(),
                p.rate.clone(),
                p.progress_last.clone(),
                p.progress.clone(),
                p.status.clone(),
            ]
        })
        .collect();
    docx = appendix(
        docx,
        &d.appendix_projects.title,
        head,
        // Ids and rates (100.0%, 82.9%) on one line.
        &[11.0, 34.0, 22.0, 16.0, 16.0, 16.0, 13.0, 13.0, 15.0],
        &[true, false, false, true, true, true, true, true, true],
        rows,
    );
    docx = docx.add_paragraph(flush("")).add_paragraph(Paragraph::new().style("TableText").add_run(text_run(&d.data_note)));
    package(docx, &d.title, &d.office, created)
}

/// A unit's feedback sheet as a .docx.
pub fn feedback(d: &FeedbackData, created: &str) -> std::io::Result<Vec<u8>> {
    let mut docx = document(created)
        .add_paragraph(Paragraph::new().style("DocTitle").add_run(text_run(&d.title)))
        .add_paragraph(flush(&d.notice))
        .add_paragraph(flush(&format!("{}：", d.unit)));
    for p in &d.intro {
        docx = docx.add_paragraph(para(p));
    }
    docx = docx.add_paragraph(heading1("一、你单位指标完成情况"));
    let status_heading = if d.expected_heading == "完成率" { "完成情况" } else { "状态" };
    let head = strings(&["编号", "指标", &d.target_heading, "你单位填报值", "评估采用值", &d.expected_heading, status_heading, "备注"]);
    let rows = d
        .rows
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                format!("{}（{}）", r.name, r.unit),
                r.target_text.clone(),
                r.own.clone(),
                r.used.clone(),
                r.expected.clone(),
                r.status.clone(),
                r.remark.clone(),
            ]
        })
        .collect();
    docx = docx.add_table(table(
        &[11.0, 40.0, 17.0, 16.0, 22.0, 15.0, 25.0, 18.0],
        &[true, false, true, true, true, true, true, false],
        &head,
        rows,
    ));
    if !d.late.is_empty() {
        docx = docx.add_paragraph(para(&d.late));
    }
    docx = docx.add_paragraph(heading1("二、填报数据问题及修改意见"));
    if !d.annotated.is_empty() {
        docx = docx.add_paragraph(para(&d.annotated));
    }
    if d.findings.is_empty() {
        docx = docx.add_paragraph(para(&d.no_problems));
    } else {
        let head = strings(&["序号", "文件", "工作表", "单元格", "问题及修改意见"]);
        let rows = d
            .findings
            .iter()
            .enumerate()
            .map(|(i, f)| {
                vec![(i + 1).to_string(), f.file.clone(), f.sheet.clone(), f.cell.clone(), format!("{}：{}", f.severity, f.message)]
            })
            .collect();
        docx = docx.add_table(table(&[10.0, 40.0, 18.0, 14.0, 74.0], &[true, false, false, true, false], &head, rows));
    }
    docx = docx.add_paragraph(heading1("三、缺报内容"));
    if d.missing.is_empty() {
        docx = docx.add_paragraph(para("无。"));
    }
    for m in &d.missing {
        docx = docx.add_paragraph(para(&format!("· {m}")));
    }
    if !d.followup.is_empty() {
        docx = docx.add_paragraph(heading1("四、上次反馈问题的更正情况"));
        docx = docx.add_paragraph(para(&format!("对照{}反馈的问题逐条核对本次收到的填报表（尚未更正的排在前面）：", d.followup_from)));
        let head = strings(&["序号", "核对结果", "文件", "位置", "原反馈的问题"]);
        let rows = d
            .followup
            .iter()
            .enumerate()
            .map(|(i, f)| vec![(i + 1).to_string(), f.state.clone(), f.file.clone(), f.cell.clone(), f.message.clone()])
            .collect();
        docx = docx.add_table(table(&[10.0, 18.0, 36.0, 18.0, 74.0], &[true, true, false, true, false], &head, rows));
    }
    docx = docx.add_paragraph(flush("")).add_paragraph(flush(&d.resend).keep_next(true));
    // The signatures as the PDF sets them: two columns (the unit's, the office's) in
    // 四号, no borders, kept on the page of what precedes them.
    let half = mm(TEXT_WIDTH_MM / 2.0);
    let sign = |text: &str, keep: bool| {
        TableCell::new()
            .add_paragraph(Paragraph::new().style("TableText").keep_next(keep).add_run(text_run(text).size(28)))
            .width(half as usize, WidthType::Dxa)
            .clear_all_border()
    };
    let lines = [
        ("填报单位（盖章）：".to_string(), format!("{}（盖章）", d.office)),
        ("负责人签字：＿＿＿＿＿＿".to_string(), "经办人：＿＿＿＿＿＿".to_string()),
        ("日期：＿＿＿＿年＿＿月＿＿日".to_string(), format!("日期：{}", d.date)),
    ];
    let rows: Vec<TableRow> = lines
        .iter()
        .enumerate()
        .map(|(k, (left, right))| {
            let keep = k + 1 < lines.len();
            TableRow::new(vec![sign(left, keep), sign(right, keep)]).cant_split().row_height(mm(9.0) as f32)
        })
        .collect();
    docx = docx.add_paragraph(flush("").keep_next(true)).add_table(
        Table::new(rows).set_grid(vec![half as usize, half as usize]).width(mm(TEXT_WIDTH_MM) as usize, WidthType::Dxa).clear_all_border(),
    );
    package(docx, &format!("{}（{}）", d.title, d.unit), &d.office, created)
}

/// The font table: each face the documents name, with the fallbacks Word and WPS use
/// on a machine that lacks it (w:altName), and the GB 2312 character set.
const FONT_TABLE: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:font w:name="Times New Roman"><w:charset w:val="00"/><w:family w:val="roman"/><w:pitch w:val="variable"/></w:font><w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/><w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font><w:font w:name="仿宋"><w:altName w:val="FangSong"/><w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font><w:font w:name="方正小标宋简体"><w:altName w:val="宋体"/><w:charset w:val="86"/><w:family w:val="script"/><w:pitch w:val="default"/></w:font><w:font w:name="黑体"><w:altName w:val="SimHei"/><w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font><w:font w:name="楷体_GB2312"><w:altName w:val="楷体"/><w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font><w:font w:name="楷体"><w:altName w:val="KaiTi"/><w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font><w:font w:name="宋体"><w:altName w:val="SimSun"/><w:charset w:val="86"/><w:family w:val="auto"/><w:pitch w:val="variable"/></w:font></w:fonts>"#;

/// Build the package: docx-rs's parts, the header rows marked, our font table, zipped
/// with fixed times.
/// The package's bytes; its core properties name the document and the office that
/// made it (docx-rs writes “unknown” and cannot say a title).
fn package(docx: Docx, title: &str, author: &str, created: &str) -> std::io::Result<Vec<u8>> {
    let mut xml = docx.build();
    xml.doc_props.core = core_properties(title, author, created);
    // The page number in the size and face of its dashes (docx-rs gives the field's run
    // no properties, so it would be in the body's 三号).
    for footer in &mut xml.footers {
        let text = String::from_utf8_lossy(footer).replace(
            "<w:r><w:rPr /><w:fldChar",
            r#"<w:r><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:cs="Times New Roman" w:eastAsia="宋体" w:hint="eastAsia" /><w:sz w:val="28" /><w:szCs w:val="28" /></w:rPr><w:fldChar"#,
        );
        *footer = text.into_bytes();
    }
    xml.document = mark_header_rows(&xml.document);
    xml.font_table = FONT_TABLE.as_bytes().to_vec();
    let mut packed = std::io::Cursor::new(Vec::new());
    xml.pack(&mut packed).map_err(std::io::Error::other)?;
    rezip(&packed.into_inner())
}

fn core_properties(title: &str, author: &str, created: &str) -> Vec<u8> {
    use quick_xml::escape::escape;
    let clean = |t: &str| -> String { escape(t.chars().filter(|c| !crate::text::xml_unsafe(*c)).collect::<String>()).into_owned() };
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
            r#"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" "#,
            r#"xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" "#,
            r#"xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
            r#"<dc:title>{title}</dc:title><dc:creator>{author}</dc:creator><cp:lastModifiedBy>{author}</cp:lastModifiedBy>"#,
            r#"<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>"#,
            r#"<dcterms:modified xsi:type="dcterms:W3CDTF">{created}</dcterms:modified><cp:revision>1</cp:revision></cp:coreProperties>"#
        ),
        title = clean(title),
        author = clean(author),
        created = clean(created),
    )
    .into_bytes()
}

/// A table longer than this many rows (under its header) repeats its header row on every
/// page; a shorter one fits on a page and is only ever split once, where the rows let it.
const LONG_TABLE: usize = 15;

/// A long table's first row is its header: repeat it on every page. (Every row is marked
/// `w:cantSplit`; the first mark after a `<w:tbl>` is its first row's.)
///
/// Only long tables: LibreOffice keeps a paragraph marked keep-with-next (a caption, an
/// area's lead-in sentence) with the whole of a following table whose header repeats, so a
/// table of a dozen rows that did not fit below its caption went to the next page with
/// the caption and left half a page empty; without the repeated header it keeps the
/// caption with the header and the first rows only, as Word does.
fn mark_header_rows(document: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(document);
    let mark = "<w:cantSplit />";
    let mut out = String::with_capacity(text.len() + 1024);
    let mut rest: &str = &text;
    while let Some(t) = rest.find("<w:tbl>") {
        let rows = rest[t..].find("</w:tbl>").map_or(0, |end| rest[t..t + end].matches("<w:tr>").count());
        let after = t + "<w:tbl>".len();
        out.push_str(&rest[..after]);
        rest = &rest[after..];
        if rows > LONG_TABLE + 1 {
            if let Some(m) = rest.find(mark) {
                let end = m + mark.len();
                out.push_str(&rest[..end]);
                out.push_str("<w:tblHeader />");
                rest = &rest[end..];
            }
        }
    }
    out.push_str(rest);
    out.into_bytes()
}

/// The same parts, in the same order, deflated, each dated 1980-01-01 (the zip epoch).
fn rezip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut input = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(std::io::Error::other)?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for i in 0..input.len() {
        let mut part = input.by_index(i).map_err(std::io::Error::other)?;
        let name = part.name().map_err(std::io::Error::other)?.to_string();
        if part.is_dir() {
            continue;
        }
        let mut data = Vec::new();
        part.read_to_end(&mut data)?;
        out.start_file(name, options).map_err(std::io::Error::other)?;
        out.write_all(&data)?;
    }
    Ok(out.finish().map_err(std::io::Error::other)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn columns_keep_headers_and_numbers_whole_and_share_the_rest() {
        let head = s(&["编号", "任务", "完成率", "说明"]);
        let rows = vec![s(&["G01", "完成仁怀市精神病医院(心理干预咨询中心)项目建设，并投入使用", "100.0%", "未能按期完成，正在加紧推进"])];
        let w = column_widths(&[2.0, 60.0, 2.0, 10.0], &head, &rows);
        assert!((w.iter().sum::<f64>() - TEXT_WIDTH_MM).abs() < 1e-6, "{w:?}");
        // 编号 and 完成率 on one line, "100.0%" unbroken, whatever their small weights.
        assert!(w[0] >= set_width("编号") + CELL_PADDING && w[2] >= set_width("100.0%").max(set_width("完成率")) + CELL_PADDING, "{w:?}");
        // The row takes as few lines as the width allows: 任务 (29 characters) and 说明 (13)
        // on two lines or fewer each, whatever the weights say.
        let lines = |t: &str, w: f64| (set_width(t) / (w - CELL_PADDING)).ceil();
        assert!(lines(&rows[0][1], w[1]) <= 2.0 && lines(&rows[0][3], w[3]) <= 2.0, "{w:?}");
        // A number with its sign, and the year of a header, never broken.
        let head = s(&["序号", "2024年", "指标"]);
        let w = column_widths(&[1.0, 1.0, 30.0], &head, &[s(&["1", "≥2900", "每千人口拥有3岁以下婴幼儿托位数"])]);
        assert!(w[1] >= 3.75 + 4.0 * 2.4 + CELL_PADDING, "{w:?}");
        assert_eq!(unbreakable("≥2900个，较2022年").collect::<Vec<_>>(), ["≥2900", "2022"]);
        // A status of three characters on one line, under a header of four.
        let w = column_widths(&[30.0, 1.0], &s(&["指标", "完成情况"]), &[s(&["每千人口拥有3岁以下婴幼儿托位数", "已完成"])]);
        assert!(w[1] >= set_width("已完成") + CELL_PADDING, "{w:?}");
        // Texts that all fit leave the rest to the weights.
        let w = column_widths(&[1.0, 1.0], &s(&["甲", "乙"]), &[s(&["1", "2"])]);
        assert!((w[0] - w[1]).abs() < 1e-6 && (w[0] + w[1] - TEXT_WIDTH_MM).abs() < 1e-6, "{w:?}");
    }
}
