//! Stage 4b — annotate: each unit's own return back, with every problem marked on its
//! cell. For every return the year's findings point into, an annotated copy beside the
//! unit's feedback sheet (`反馈单/<单位>_<年度>年度填报表（批注）.xlsx`): the unit's
//! workbook with each finding's cell coloured (errors and warnings apart, a legend) and
//! carrying a comment with the message, the 填报日期 marked to be updated, and a first
//! sheet 问题清单 listing every problem with a link to its cell and what is missing.
//!
//! The input file is only read (and only if its bytes are still those the run read:
//! its SHA-256 is checked); the copy is new bytes in the output set. What the copy holds
//! comes from the frozen assessment (the unit's feedback: its findings and what it did
//! not send).

pub mod convert;
pub mod xlsx;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::assess::{Assessment, UnitFeedback};
use crate::finding::{Code, Finding, Severity};
use crate::read::InputFile;
use crate::render::{Rendered, FEEDBACK_DIR};
use xlsx::{Annotation, ListRow, Mark, MarkKind};

/// The comment on the 填报日期.
const UPDATE_COMMENT: &str = "修改后重新报送时，请把填报日期改为修改当天。";

/// The name of the first sheet of a copy; the reader never takes it for data.
pub const LIST_SHEET: &str = "问题清单";

/// An annotated copy that was made: for whom, of which input file, where it is, and
/// from what format it was converted (None: the unit's own xlsx, marked in place).
#[derive(Debug, Clone, Serialize)]
pub struct AnnotatedCopy {
    pub unit: String,
    pub file: String,
    pub rel: PathBuf,
    pub converted_from: Option<String>,
}

/// The formats an annotated copy is made of by converting to xlsx (the reader's own
/// names for them).
fn converted_format(ext: &str) -> Option<&'static str> {
    match ext {
        "xls" | "xla" => Some("Excel 97-2003 工作簿（.xls）"),
        "xlsb" => Some("Excel 二进制工作簿（.xlsb）"),
        "ods" => Some("OpenDocument 电子表格（.ods）"),
        "et" | "ett" => Some("WPS 表格文件（.et）"),
        _ => None,
    }
}

/// The annotated copies of the reporting year's returns with problems, and notes on the
/// returns that could not be copied (why).
pub fn copies(a: &Assessment, input: &Path) -> (Vec<Rendered>, Vec<AnnotatedCopy>, Vec<String>) {
    let mut made = Vec::new();
    let mut copies = Vec::new();
    let mut notes = Vec::new();
    if !a.documents.annotate {
        return (made, copies, notes);
    }
    for fb in &a.feedback {
        if !fb.received || (fb.findings.is_empty() && fb.missing.is_empty() && fb.missing_works.is_empty() && fb.missing_reasons.is_empty())
        {
            continue;
        }
        // The unit's own return of the year (the version used), the one its findings
        // point into.
        let Some(ret) = a.returns_of(&fb.unit, a.year) else { continue };
        let Some(file) = ret.files.first() else { continue };
        let Some(input_file) = a.file(file) else { continue };
        let ext = Path::new(file).extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        // WPS's .et holding an xlsx package is marked in place as an xlsx.
        let bytes = match std::fs::read(input.join(file)) {
            Ok(b) => b,
            Err(e) => {
                notes.push(format!("未能为{}生成批注副本：{}", fb.unit, crate::oserror::describe("读取", &input.join(file), &e)));
                continue;
            }
        };
        if crate::text::hex(&Sha256::digest(&bytes)) != input_file.sha256 {
            notes.push(format!("未能为{}生成批注副本：“{file}”在汇总后被改动过。", fb.unit));
            continue;
        }
        let package = bytes.starts_with(b"PK");
        let converted = match ext.as_str() {
            "xlsx" | "xlsm" => None,
            "et" | "ett" if package => None,
            other => match converted_format(other) {
                Some(what) => Some(what),
                None => continue,
            },
        };
        // The package within the limits its reading kept to (a zip bomb is not unpacked
        // for a copy either).
        if package {
            if let Err(why) = crate::read::package_within_limits(&bytes, &a.plan.rules.limits, file) {
                notes.push(format!("未为{}生成批注副本：{why}", fb.unit));
                continue;
            }
        }
        let annotation = annotation(a, fb, file, input_file);
        // The unit's own workbook marked in place where it can be; else (another format,
        // or a package planmon cannot mark in place) a converted copy, saying why.
        let convert = |why: String| {
            let mut annotation = annotation.clone();
            annotation.list_lines.insert(2, why);
            crate::read::sheets_for_copy(&input.join(file), &bytes, &a.plan.rules.limits)
                .map_err(xlsx::AnnotateError)
                .and_then(|sheets| convert::convert(&sheets, &annotation, a.documents.created_unix))
        };
        let result = match converted {
            None => match xlsx::annotate(&bytes, &annotation) {
                Ok((copy, own)) => {
                    if !own.is_empty() {
                        notes.push(format!(
                            "{}的批注副本中，单元格 {} 原有批注，只标色、未另加批注（问题清单中列全）。",
                            fb.unit,
                            own.iter().map(|(s, c)| format!("“{s}”{c}")).collect::<Vec<_>>().join("、")
                        ));
                    }
                    Ok((copy, None))
                }
                Err(e) => {
                    let why = format!("原文件不能直接在原表上标注（{e}）");
                    notes.push(format!("{}的批注副本：{why}，已转换为新的 xlsx 工作簿。", fb.unit));
                    convert(conversion_line(&why)).map(|copy| (copy, Some(why)))
                }
            },
            Some(what) => {
                let why = format!("原文件是{what}");
                convert(conversion_line(&why)).map(|copy| (copy, Some(what.to_string())))
            }
        };
        match result {
            Ok((copy, converted_from)) => {
                // An .xlsm marked in place stays an .xlsm (its macros kept).
                let copy_ext = if converted_from.is_none() && ext == "xlsm" { "xlsm" } else { "xlsx" };
                let rel = match crate::config::annotated_name(&a.documents.annotated_name, &fb.unit, a.year, copy_ext) {
                    Ok(name) => Path::new(FEEDBACK_DIR).join(name),
                    Err(why) => {
                        notes.push(format!("未能为{}生成批注副本：文件名不能用（{why}）。", fb.unit));
                        continue;
                    }
                };
                copies.push(AnnotatedCopy { unit: fb.unit.clone(), file: file.clone(), rel: rel.clone(), converted_from });
                made.push(Rendered { rel, bytes: copy, what: "批注副本", key: None });
            }
            Err(e) => notes.push(format!("未能为{}生成批注副本（“{file}”）：{e}。反馈单中仍列出全部问题。", fb.unit)),
        }
    }
    (made, copies, notes)
}

/// The line of 问题清单 that says a copy was converted, why, and what it keeps.
fn conversion_line(why: &str) -> String {
    format!(
        "{why}，本副本已转换为新的 xlsx 工作簿：保留了各工作表的数值和文字、百分比和小数位、日期、合并单元格和隐藏的行、列、工作表；公式只保留计算结果，字体、颜色、边框、列宽、千位分隔符等其他数字格式、数据有效性和原有的批注未保留。修改时可在本副本上改，也可在原文件上改后报送。"
    )
}

/// Where rows of a table in `file` end: per sheet, the last row read and the column
/// most of its cells are in (from cells given as (sheet, A1)).
fn table_ends<'c>(cells: impl Iterator<Item = (&'c str, &'c str)>) -> BTreeMap<String, (u32, u32)> {
    let mut rows: BTreeMap<String, (u32, BTreeMap<u32, usize>)> = BTreeMap::new();
    for (sheet, cell) in cells {
        let Some((col, row)) = xlsx::parse_cell(cell) else { continue };
        let e = rows.entry(sheet.to_string()).or_default();
        e.0 = e.0.max(row);
        *e.1.entry(col).or_default() += 1;
    }
    rows.into_iter()
        .map(|(sheet, (row, cols))| {
            let col = cols.iter().max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c))).map(|(c, _)| *c).unwrap_or(1);
            (sheet, (row, col))
        })
        .collect()
}

/// The place of a missing item: the first free row under a table (sheet, last row,
/// column), the `n`-th one asked for.
fn after_table(end: Option<(&String, &(u32, u32))>, n: &mut u32) -> Option<(String, String)> {
    let (sheet, (row, col)) = end?;
    *n += 1;
    Some((sheet.clone(), format!("{}{}", xlsx::column_letters(*col), row + *n)))
}

/// Something the unit owes: marked (as a warning) on the cell where it belongs, and
/// listed as 缺报 with a link there (else under `sheet`, unlinked).
fn owed(marks: &mut Vec<Mark>, rows: &mut Vec<ListRow>, k: &mut usize, place: Option<(String, String)>, sheet: &str, message: String) {
    *k += 1;
    if let Some((at, cell)) = &place {
        marks.push(Mark { sheet: at.clone(), cell: cell.clone(), kind: MarkKind::Warning, comment: format!("缺报：{message}") });
    }
    rows.push(ListRow {
        cells: vec![
            k.to_string(),
            "缺报".to_string(),
            place.as_ref().map(|p| p.0.clone()).unwrap_or_else(|| sheet.to_string()),
            place.as_ref().map(|p| p.1.clone()).unwrap_or_default(),
            message,
        ],
        link: place,
    });
}

/// How to send the copy back: the feedback sheet's instruction (render::report's
/// resend_text), the name the same: 市残联_2025年度填报表（修改版）.xlsx, of the copy's type.
fn resend(a: &Assessment, fb: &UnitFeedback, file: &str) -> String {
    let ext = if file.to_lowercase().ends_with(".xlsm") { "xlsm" } else { "xlsx" };
    let name = crate::text::corrected_name(file, Some(ext));
    let how = format!("把“填报日期”改为修改当天，另存为“{name}”报送（可直接在本工作簿上修改，本表和批注、标色不作为数据读取）");
    if fb.must_correct {
        format!("改好后请{how}。")
    } else {
        format!("请逐条核实：需要修改的，改好后{how}；核实无误的，请告知{}，无需重新报送。", a.documents.office)
    }
}

/// What the copy of `file` marks and lists for a unit: its findings in that file on
/// their cells, and what it did not send, each with the place where it belongs.
fn annotation(a: &Assessment, fb: &UnitFeedback, file: &str, input_file: &InputFile) -> Annotation {
    let mut marks = Vec::new();
    let mut rows = Vec::new();
    let mut k = 0;
    let mark = |marks: &mut Vec<Mark>, f: &Finding, kind: MarkKind, label: &str| -> bool {
        let linked = !f.sheet.is_empty() && xlsx::parse_cell(&f.cell).is_some();
        if linked {
            marks.push(Mark { sheet: f.sheet.clone(), cell: f.cell.clone(), kind, comment: format!("{label}：{}", f.message) });
        }
        linked
    };
    for f in fb.findings.iter().filter(|f| f.file == file) {
        let kind = match f.severity {
            Severity::Error => MarkKind::Error,
            _ => MarkKind::Warning,
        };
        k += 1;
        let linked = mark(&mut marks, f, kind, f.severity.label());
        rows.push(ListRow {
            cells: vec![k.to_string(), f.severity.label().to_string(), f.sheet.clone(), f.cell.clone(), f.message.clone()],
            link: linked.then(|| (f.sheet.clone(), f.cell.clone())),
        });
    }
    // The tables of the file: indicators, projects, 工作进展.
    let obs: Vec<&crate::read::Observation> = a.observations_in(file).collect();
    // (The figures of the return's own year: the column where a missing one goes.)
    let indicator_end = table_ends(obs.iter().filter(|o| o.year == o.return_year).map(|o| (&*o.sheet, o.cell.as_str())));
    let indicator_end = indicator_end.iter().max_by_key(|(s, (r, _))| (s.as_str() == crate::forms::INDICATOR_SHEET, *r));
    let project_end = table_ends(a.project_reports.iter().filter(|p| p.file == file).map(|p| (p.sheet.as_str(), p.cell.as_str())));
    let project_end = project_end.iter().max_by_key(|(_, (r, _))| *r);
    let work_end = table_ends(
        a.works
            .iter()
            .flat_map(|w| &w.entries)
            .filter(|w| w.file == file)
            .map(|w| (w.sheet.as_str(), w.cell.as_str()))
            .chain(input_file.work_cells.iter().map(|w| (w.sheet.as_str(), w.cell.as_str()))),
    );
    let work_end = work_end.iter().max_by_key(|(_, (r, _))| *r);
    let (mut n_ind, mut n_proj, mut n_work) = (0, 0, 0);
    for m in &fb.missing {
        let place = if !m.sheet.is_empty() && xlsx::parse_cell(&m.cell).is_some() {
            Some((m.sheet.clone(), m.cell.clone()))
        } else {
            match m.code {
                crate::finding::Code::ProjectMissing => after_table(project_end, &mut n_proj),
                _ if m.file == file => after_table(indicator_end, &mut n_ind),
                _ => None,
            }
        };
        // A row the table lacks: where to add it.
        let hint = match &place {
            Some((_, c)) if *c != m.cell => format!(
                "（表中没有这一行，可在第 {} 行补填；工作表受保护的，先在“审阅”中撤销工作表保护。）",
                xlsx::parse_cell(c).map(|p| p.1).unwrap_or(0)
            ),
            _ => String::new(),
        };
        owed(&mut marks, &mut rows, &mut k, place, &m.sheet, format!("{}{hint}", m.message));
    }
    // The texts owed (工作进展 of an area, a 未完成原因), found by the assessment with
    // their cells where the reader found the rows; one without a row goes under the
    // 工作进展 table.
    for f in a.findings_of(&fb.unit).filter(|f| f.file == file && f.code.is_missing_text()) {
        let (place, hint) = match (f.cell.is_empty(), f.code) {
            (false, _) => (Some((f.sheet.clone(), f.cell.clone())), String::new()),
            (true, Code::WorkMissing) => {
                let place = after_table(work_end, &mut n_work);
                let hint = place.as_ref().and_then(|(_, c)| xlsx::parse_cell(c)).map(|p| format!("可在第 {} 行补填。", p.1));
                (place, hint.unwrap_or_default())
            }
            _ => (None, String::new()),
        };
        let sheet = if f.code == Code::WorkMissing { crate::forms::WORK_SHEET } else { crate::forms::INDICATOR_SHEET };
        owed(&mut marks, &mut rows, &mut k, place, sheet, format!("{}{hint}", f.message));
    }
    // The 填报日期, to update when the return is sent again (where the reader found it).
    if let Some((sheet, cell)) = &input_file.filled_at {
        marks.push(Mark { sheet: sheet.clone(), cell: cell.clone(), kind: MarkKind::Update, comment: UPDATE_COMMENT.to_string() });
    }
    Annotation {
        marks,
        list_name: LIST_SHEET.to_string(),
        list_lines: vec![
            format!("{}{}年度填报表问题清单", fb.unit, a.year),
            format!(
                "本工作簿是你单位报送的“{file}”的副本，由{}汇总时生成，原文件未作改动。{}",
                a.documents.office,
                if input_file.sample { "该填报表标明为“示例数据”，是合成的演示数据，不是真实统计。" } else { "" }
            ),
            "单元格标色说明：红色为错误（须核对修改），橙色为警告或缺报（请核实、补填），蓝色为填报日期（修改后请改为修改当天）；问题单元格上有批注，写明问题和修改意见。".to_string(),
            format!("点击“单元格”一列可跳到该单元格。{}", resend(a, fb, file)),
        ],
        list_header: ["序号", "类别", "工作表", "单元格", "问题及修改意见"].iter().map(|s| s.to_string()).collect(),
        list_rows: rows,
        link_column: 3,
        author: a.documents.office.clone(),
        ours: vec![UPDATE_COMMENT.to_string()],
    }
}
