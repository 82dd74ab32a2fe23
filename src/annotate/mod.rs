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

pub mod xlsx;

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::assess::Assessment;
use crate::finding::Severity;
use crate::render::{Rendered, FEEDBACK_DIR};
use xlsx::{Annotation, ListRow, Mark, MarkKind};

/// The name of the first sheet of a copy; the reader never takes it for data.
pub const LIST_SHEET: &str = "问题清单";

/// An annotated copy that was made: for whom, of which input file, where it is.
#[derive(Debug, Clone, Serialize)]
pub struct AnnotatedCopy {
    pub unit: String,
    pub file: String,
    pub rel: PathBuf,
}

/// The copy's path in the output folder.
pub fn copy_path(unit: &str, year: i32) -> Option<PathBuf> {
    let name = crate::names::SafeName::new(&format!("{unit}_{year}年度填报表（批注）.xlsx")).ok()?;
    Some(Path::new(FEEDBACK_DIR).join(name))
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
        let Some(input_file) = a.files.iter().find(|f| &f.file == file) else { continue };
        let ext = Path::new(file).extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        if !matches!(ext.as_str(), "xlsx" | "xlsm") {
            // Other formats are not copied yet; the feedback sheet lists every problem.
            continue;
        }
        let Some(rel) = copy_path(&fb.unit, a.year) else { continue };
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
        // The package within the limits its reading kept to (a zip bomb is not unpacked
        // for a copy either).
        if let Err(why) = crate::read::package_within_limits(&bytes, &a.plan.rules.limits, file) {
            notes.push(format!("未为{}生成批注副本：{why}", fb.unit));
            continue;
        }
        let mut marks = Vec::new();
        let mut rows = Vec::new();
        let mut k = 0;
        for f in fb.findings.iter().filter(|f| &f.file == file) {
            let kind = match f.severity {
                Severity::Error => MarkKind::Error,
                _ => MarkKind::Warning,
            };
            k += 1;
            let linked = !f.sheet.is_empty() && xlsx::parse_cell(&f.cell).is_some();
            if linked {
                marks.push(Mark {
                    sheet: f.sheet.clone(),
                    cell: f.cell.clone(),
                    kind,
                    comment: format!("{}：{}", f.severity.label(), f.message),
                });
            }
            rows.push(ListRow {
                cells: vec![k.to_string(), f.severity.label().to_string(), f.sheet.clone(), f.cell.clone(), f.message.clone()],
                link: linked.then(|| (f.sheet.clone(), f.cell.clone())),
            });
        }
        for m in &fb.missing {
            k += 1;
            rows.push(ListRow {
                cells: vec![k.to_string(), "缺报".to_string(), m.sheet.clone(), m.cell.clone(), m.message.clone()],
                link: None,
            });
        }
        for area in &fb.missing_works {
            k += 1;
            rows.push(ListRow {
                cells: vec![
                    k.to_string(),
                    "缺报".to_string(),
                    crate::forms::WORK_SHEET.to_string(),
                    String::new(),
                    format!("没有“{area}”领域的工作进展，请补报。"),
                ],
                link: None,
            });
        }
        for id in &fb.missing_reasons {
            let Some(i) = a.plan.indicator(id) else { continue };
            k += 1;
            rows.push(ListRow {
                cells: vec![
                    k.to_string(),
                    "缺报".to_string(),
                    crate::forms::INDICATOR_SHEET.to_string(),
                    String::new(),
                    format!("“{}”未完成{}年目标，请在“{}”列说明原因和下一步措施。", i.name, a.period.end, crate::forms::REASON_HEADER),
                ],
                link: None,
            });
        }
        // The 填报日期, to update when the return is sent again (where the reader found it).
        if let Some((sheet, cell)) = &input_file.filled_at {
            marks.push(Mark {
                sheet: sheet.clone(),
                cell: cell.clone(),
                kind: MarkKind::Update,
                comment: "修改后重新报送时，请把填报日期改为修改当天。".to_string(),
            });
        }
        let annotation = Annotation {
            marks,
            list_name: LIST_SHEET.to_string(),
            list_lines: vec![
                format!("{}{}年度填报表问题清单", fb.unit, a.year),
                format!("本工作簿是你单位报送的“{file}”的副本，由{}汇总时生成，原文件未作改动。", a.documents.office),
                "单元格标色说明：红色为错误（须修改），橙色为警告（请核实），蓝色为填报日期（修改后请改为修改当天）；问题单元格上有批注，写明问题和修改意见。".to_string(),
                "点击“单元格”一列可跳到该单元格。改好后可直接报送本工作簿（本表和批注、标色不作为数据读取），文件名末尾可加“（修改版）”。".to_string(),
            ],
            list_header: ["序号", "类别", "工作表", "单元格", "问题及修改意见"].iter().map(|s| s.to_string()).collect(),
            list_rows: rows,
            link_column: 3,
            author: a.documents.office.clone(),
        };
        match xlsx::annotate(&bytes, &annotation) {
            Ok((copy, uncommented)) => {
                if !uncommented.is_empty() {
                    notes.push(format!(
                        "{}的批注副本中，工作表“{}”原有批注，问题单元格只标色、未加批注（问题清单中列全）。",
                        fb.unit,
                        uncommented.join("”“")
                    ));
                }
                copies.push(AnnotatedCopy { unit: fb.unit.clone(), file: file.clone(), rel: rel.clone() });
                made.push(Rendered { rel, bytes: copy, what: "批注副本" });
            }
            Err(e) => notes.push(format!("未能为{}生成批注副本（“{file}”）：{e}。反馈单中仍列出全部问题。", fb.unit)),
        }
    }
    (made, copies, notes)
}
