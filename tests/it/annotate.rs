//! Each unit's own return back with every problem marked on its cell: an annotated copy
//! beside the feedback sheet, equal to the original cell for cell, each finding's cell
//! coloured and commented, a first sheet 问题清单 whose links resolve; reproducible; off
//! with a switch; and a corrected copy sent back closes the loop.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use calamine::{open_workbook_auto, Data, Reader};

use crate::common::{self, *};

fn copies(w: &Workdir) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(w.output().join("反馈单"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("（批注）.xlsx"))
        .collect();
    v.sort();
    v
}

/// A sheet's values and formulas, row by row.
type SheetCells = (Vec<Vec<Data>>, Vec<Vec<String>>);

/// Every sheet's cells (values and formulas) as calamine reads them.
fn cells(path: &Path) -> HashMap<String, SheetCells> {
    let mut wb = open_workbook_auto(path).unwrap();
    let names = wb.sheet_names();
    names
        .into_iter()
        .map(|n| {
            let values: Vec<Vec<Data>> = wb.worksheet_range(&n).unwrap().rows().map(|r| r.to_vec()).collect();
            let formulas: Vec<Vec<String>> = wb.worksheet_formula(&n).unwrap().rows().map(|r| r.to_vec()).collect();
            (n, (values, formulas))
        })
        .collect()
}

#[test]
fn every_return_with_problems_comes_back_annotated_and_otherwise_equal() {
    let w = sample();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let findings = w.csv("findings.csv");
    let made = copies(&w);
    assert!(made.len() >= 4, "{made:?}");
    for copy in &made {
        let name = copy.file_name().unwrap().to_string_lossy().to_string();
        let unit = name.split('_').next().unwrap().to_string();
        let original = w.input().join(format!("{unit}_2025年度填报表.xlsx"));
        // The input is untouched, and the copy equals it cell for cell (but 问题清单).
        let (a, b) = (cells(&original), cells(copy));
        assert_eq!(b.keys().filter(|k| *k != "问题清单").count(), a.len(), "{name}: sheets");
        for (sheet, content) in &a {
            assert_eq!(Some(content), b.get(sheet), "{name}: sheet {sheet} differs");
        }
        let mut wb = open_workbook_auto(copy).unwrap();
        assert_eq!(wb.sheet_names()[0], "问题清单", "{name}: 问题清单 first");
        // Each finding of the unit's file: a comment on its cell with its message, a
        // row of 问题清单 that links to the cell.
        let package = parts(copy);
        let comments: String = package.iter().filter(|(n, _)| n.contains("comments")).map(|(_, t)| t.as_str()).collect();
        let list = package.iter().find(|(n, _)| n.contains("planmon_list")).map(|(_, t)| t.clone()).expect("问题清单 part");
        let file = original.file_name().unwrap().to_string_lossy().to_string();
        let own: Vec<_> = findings.iter().filter(|f| f["file"] == file && !f["cell"].is_empty() && f["year"] == "2025").collect();
        assert!(!own.is_empty() || unit == "市退役军人事务局", "{name}: no findings of its own");
        for f in own {
            assert!(comments.contains(&format!("ref=\"{}\"", f["cell"])), "{name}: no comment on {}", f["cell"]);
            let head: String = f["message"].chars().take(20).collect();
            assert!(comments.contains(&head), "{name}: the comment lacks {head}");
            assert!(
                list.contains(&format!("location=\"&apos;{}&apos;!{}\"", f["sheet"], f["cell"]))
                    || list.contains(&format!("location=\"'{}'!{}\"", f["sheet"], f["cell"])),
                "{name}: no link to {}",
                f["cell"]
            );
        }
        // Every link names a sheet of the workbook and a cell.
        let sheets = wb.sheet_names();
        for loc in list.split("location=\"").skip(1).map(|s| s.split('"').next().unwrap().replace("&apos;", "'")) {
            let (sheet, cell) = loc.rsplit_once('!').unwrap();
            assert!(sheets.contains(&sheet.trim_matches('\'').to_string()), "{name}: link to {loc}");
            assert!(cell.chars().next().unwrap().is_ascii_uppercase(), "{name}: link to {loc}");
        }
        let _ = wb.worksheet_range("问题清单").unwrap();
    }
    // The feedback sheet says the copy is sent with it.
    let sheet = common::docx_text(&w.output().join("反馈单/市残联_2025年度填报数据反馈单.docx"));
    assert!(
        sheet.paragraphs.iter().any(|p| p.contains("批注副本") && p.contains("市残联_2025年度填报表（批注）.xlsx")),
        "{:?}",
        sheet.paragraphs
    );
    // The copy's 问题清单 and the feedback sheet say one thing about sending it back:
    // the same name to save it under; a unit with only warnings need not resend.
    let line = |unit: &str| -> String {
        let copy = w.output().join(format!("反馈单/{unit}_2025年度填报表（批注）.xlsx"));
        open_workbook_auto(&copy).unwrap().worksheet_range("问题清单").unwrap().get_value((3, 0)).unwrap().to_string()
    };
    let name = "另存为“市残联_2025年度填报表（修改版）.xlsx”";
    assert!(line("市残联").contains(name), "{}", line("市残联"));
    assert!(sheet.paragraphs.iter().any(|p| p.contains(name)), "{:?}", sheet.paragraphs);
    assert!(!sheet.paragraphs.iter().any(|p| p.contains("文件名末尾")), "{:?}", sheet.paragraphs);
    let warned = common::docx_text(&w.output().join("反馈单/市民政局_2025年度填报数据反馈单.docx"));
    assert!(warned.paragraphs.iter().any(|p| p.contains("核实无误的") && p.contains("无需重新报送")), "{:?}", warned.paragraphs);
    assert!(line("市民政局").contains("核实无误的") && line("市民政局").contains("无需重新报送"), "{}", line("市民政局"));
    // A unit without problems gets none.
    assert!(!w.output().join("反馈单/市医保局_2025年度填报表（批注）.xlsx").exists());
    // The same inputs give the same copies.
    let first: Vec<Vec<u8>> = made.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let again: Vec<Vec<u8>> = copies(&w).iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(first == again, "the copies are not reproducible");
}

#[test]
fn a_switch_turns_the_copies_off() {
    let w = sample();
    let out = w.run(&["run", "--no-annotate", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(copies(&w).is_empty());
    std::fs::write(w.path().join("planmon.toml"), "annotate = false\n").unwrap();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(copies(&w).is_empty());
    let sheet = common::docx_text(&w.output().join("反馈单/市残联_2025年度填报数据反馈单.docx"));
    assert!(!sheet.paragraphs.iter().any(|p| p.contains("批注副本")), "no copy, no word of one");
}

/// What a unit did not write — an area's 工作进展, the reason an indicator it leads was
/// not met — is a finding on the cell where it belongs (as the reader found the row),
/// marked in the copy there; the copy's 问题清单 lists exactly the unit's findings.
#[test]
fn what_a_unit_did_not_write_is_a_finding_on_its_cell_and_in_its_copy() {
    let w = sample();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let findings = w.csv("findings.csv");
    let unit = "市退役军人事务局";
    let of = |code: &str| {
        findings.iter().find(|f| f["code"] == code && f["department"] == unit).unwrap_or_else(|| panic!("no {code}: {findings:#?}"))
    };
    let work = of("work_missing");
    assert_eq!((work["sheet"].as_str(), work["cell"].as_str(), work["severity"].as_str()), ("工作进展", "B4", "warning"));
    assert!(work["message"].contains("没有“优军服务保障”领域的工作进展，请在“工作进展”表该领域一行填写"), "{}", work["message"]);
    let reason = of("reason_missing");
    assert_eq!((reason["sheet"].as_str(), reason["cell"].as_str(), reason["indicator_id"].as_str()), ("指标填报", "K5", "G27"));
    assert!(reason["message"].contains("请在该指标第 5 行的“未完成原因及下一步措施”列填写"), "{}", reason["message"]);
    // The blank form's own cells: the area's row under 主要工作及成效, the reason column.
    let original = w.input().join(format!("{unit}_2025年度填报表.xlsx"));
    let mut wb = open_workbook_auto(&original).unwrap();
    let works = wb.worksheet_range("工作进展").unwrap();
    assert_eq!(works.get_value((3, 0)).map(|v| v.to_string()), Some("优军服务保障".to_string()));
    assert_eq!(works.get_value((2, 1)).map(|v| v.to_string()), Some("主要工作及成效".to_string()));
    let copy = w.output().join(format!("反馈单/{unit}_2025年度填报表（批注）.xlsx"));
    let package = parts(&copy);
    let comments: String = package.iter().filter(|(n, _)| n.contains("comments")).map(|(_, t)| t.as_str()).collect();
    for cell in ["B4", "K5"] {
        assert!(comments.contains(&format!("ref=\"{cell}\"")), "no comment on {cell}: {comments}");
    }
    // 问题清单: one row per finding of the unit's return, no more, no fewer.
    let list = open_workbook_auto(&copy).unwrap().worksheet_range("问题清单").unwrap();
    let rows: Vec<String> = list.rows().skip_while(|r| r[0] != "序号").skip(1).map(|r| r[4].to_string()).collect();
    let own: Vec<&String> = findings.iter().filter(|f| f["department"] == unit && f["year"] == "2025").map(|f| &f["message"]).collect();
    assert_eq!(rows.len(), own.len(), "{rows:#?}\n{own:#?}");
    for m in own {
        assert!(rows.iter().any(|r| r.starts_with(m.as_str())), "{m} not in 问题清单: {rows:#?}");
    }
}

#[test]
fn a_corrected_copy_sent_back_is_the_newer_return_and_its_problem_is_corrected() {
    let w = sample();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let copy = w.output().join("反馈单/市残联_2025年度填报表（批注）.xlsx");
    assert!(copy.exists());
    // 市残联 fixes its G25 figure (97.1 → 98.6) and the date, in the copy, and sends it.
    let original = calamine_date(&w.input().join("市残联_2025年度填报表.xlsx"));
    let back = w.input().join("市残联_2025年度填报表（批注）.xlsx");
    fix_copy(&copy, &back, "97.1", "98.6", &original, "2026年3月5日");
    let out = w.run(&["run", "--date", "2026-03-10"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let findings = w.csv("findings.csv");
    assert!(!findings.iter().any(|f| f["code"] == "conflict"), "the conflict is settled: {findings:?}");
    assert!(
        findings.iter().any(|f| f["code"] == "superseded" && f["file"] == "市残联_2025年度填报表.xlsx"),
        "the first return is replaced by the copy: {findings:?}"
    );
    assert!(!findings.iter().any(|f| f["sheet"] == "问题清单"), "问题清单 is not read as data: {findings:?}");
    let obs = w.csv("observations.csv");
    assert!(!obs.iter().any(|o| o["sheet"] == "问题清单"), "问题清单 is not read as data");
    let g25 = obs
        .iter()
        .find(|o| o["file"] == "市残联_2025年度填报表（批注）.xlsx" && o["indicator_id"] == "G25" && o["year"] == "2025")
        .unwrap();
    assert_eq!(g25["value"], "98.6");
    let sheet = common::pdf_text(&w.output().join("反馈单/市残联_2025年度填报数据反馈单.pdf"), false);
    assert!(sheet.contains("上次反馈问题的更正情况") && sheet.contains("已更正") && !sheet.contains("仍未更正"), "{sheet}");
}

#[test]
fn returns_in_other_formats_come_back_as_xlsx_copies_with_their_values() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats");
    for ext in ["xls", "ods"] {
        let w = Workdir::empty();
        let name = format!("市卫生健康局_2024年度填报表.{ext}");
        std::fs::copy(fixtures.join(&name), w.input().join(&name)).unwrap();
        let out = w.run(&["run", "--date", "2025-03-01"]);
        assert!(out.status.success(), "{}", common::stderr(&out));
        let copy = w.output().join("反馈单/市卫生健康局_2024年度填报表（批注）.xlsx");
        assert!(copy.exists(), "{ext}: no copy; {}", common::stdout(&out));
        // The values of the original, cell for cell, and nothing more.
        assert_eq!(values(&w.input().join(&name)), values(&copy), "{ext}: the values differ");
        // 问题清单 first, saying from what it was converted; each finding with a cell has
        // its comment.
        let mut wb = open_workbook_auto(&copy).unwrap();
        assert_eq!(wb.sheet_names()[0], "问题清单");
        let list: Vec<String> = wb.worksheet_range("问题清单").unwrap().rows().map(|r| r[0].to_string()).collect();
        let what = if ext == "xls" { "Excel 97-2003 工作簿（.xls）" } else { "OpenDocument 电子表格（.ods）" };
        assert!(list.iter().any(|l| l.contains(&format!("原文件是{what}")) && l.contains("已转换为新的 xlsx 工作簿")), "{ext}: {list:?}");
        let package = parts(&copy);
        let comments: String = package.iter().filter(|(n, _)| n.contains("comments")).map(|(_, t)| t.as_str()).collect();
        let findings = w.csv("findings.csv");
        for f in findings.iter().filter(|f| f["file"] == name && !f["cell"].is_empty()) {
            assert!(comments.contains(&format!("ref=\"{}\"", f["cell"])), "{ext}: no comment on {}", f["cell"]);
        }
        // A missing figure without a row: linked to the cell where it belongs, under the
        // table in the column of the year's figures, marked with a comment.
        let list_xml = package.iter().find(|(n, _)| n.starts_with("xl/worksheets/sheet1")).map(|(_, t)| t.clone()).unwrap();
        let links: Vec<String> =
            list_xml.split("location=\"").skip(1).map(|s| s.split('"').next().unwrap().replace("&apos;", "'")).collect();
        assert!(!links.is_empty(), "{ext}: no links");
        for l in &links {
            let cell = l.rsplit('!').next().unwrap();
            assert!(comments.contains(&format!("ref=\"{cell}\"")), "{ext}: no comment at {l}");
        }
        assert!(links.iter().any(|l| l == "'指标填报'!H8"), "{ext}: {links:?}");
    }
}

#[test]
fn a_copy_sent_back_unchanged_is_annotated_afresh_not_twice() {
    let w = sample();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let copy = w.output().join("反馈单/市残联_2025年度填报表（批注）.xlsx");
    // 市残联 sends the copy back with only the date changed: the conflict stays.
    let original = calamine_date(&w.input().join("市残联_2025年度填报表.xlsx"));
    let back = w.input().join("市残联_2025年度填报表（修改版）.xlsx");
    fix_copy(&copy, &back, "97.1", "97.1", &original, "2026年3月5日");
    let out = w.run(&["run", "--date", "2026-03-10"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let again = w.output().join("反馈单/市残联_2025年度填报表（批注）.xlsx");
    let wb = open_workbook_auto(&again).unwrap();
    assert_eq!(wb.sheet_names().iter().filter(|n| *n == "问题清单").count(), 1, "{:?}", wb.sheet_names());
    assert_eq!(wb.sheet_names()[0], "问题清单");
    let package = parts(&again);
    let comments: String = package.iter().filter(|(n, _)| n.contains("comments")).map(|(_, t)| t.as_str()).collect();
    assert_eq!(comments.matches("ref=\"H4\"").count(), 1, "one comment on H4: {comments}");
    assert_eq!(comments.matches("有不一致的填报").count(), 1, "{comments}");
    let list: Vec<String> =
        open_workbook_auto(&again).unwrap().worksheet_range("问题清单").unwrap().rows().map(|r| r[1].to_string()).collect();
    assert_eq!(list.iter().filter(|c| *c == "错误").count(), 1, "{list:?}");
    // The copy is of the return sent back.
    let first: Vec<String> =
        open_workbook_auto(&again).unwrap().worksheet_range("问题清单").unwrap().rows().map(|r| r[0].to_string()).collect();
    assert!(first.iter().any(|l| l.contains("市残联_2025年度填报表（修改版）.xlsx")), "{first:?}");
    // Values equal to what was sent back.
    assert_eq!(values(&back), values(&again));
}

#[test]
fn the_copies_name_is_set_in_planmon_toml() {
    let w = sample();
    std::fs::write(w.path().join("planmon.toml"), "annotated_name = \"{unit}（{year}年度问题标注）.xlsx\"\n").unwrap();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(w.output().join("反馈单/市残联（2025年度问题标注）.xlsx").exists());
    let sheet = common::docx_text(&w.output().join("反馈单/市残联_2025年度填报数据反馈单.docx"));
    assert!(sheet.paragraphs.iter().any(|p| p.contains("市残联（2025年度问题标注）.xlsx")), "{:?}", sheet.paragraphs);
    // A name without the unit would give every unit's copy one name: refused, saying why.
    std::fs::write(w.path().join("planmon.toml"), "annotated_name = \"批注副本{year}.xlsx\"\n").unwrap();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    assert!(common::stderr(&out).contains("annotated_name") && common::stderr(&out).contains("{unit}"), "{}", common::stderr(&out));
}

#[test]
fn a_workbook_that_cannot_be_marked_in_place_comes_back_converted_saying_why() {
    let w = sample();
    // A writer that leaves out the cells' addresses (allowed by the format): row 4 of
    // 市残联's 指标填报 written without them.
    let path = w.input().join("市残联_2025年度填报表.xlsx");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if name.starts_with("xl/worksheets/sheet") {
            let text = String::from_utf8(data.clone()).unwrap();
            if text.contains("<c r=\"H4\"") {
                let mut t = text;
                for col in 'A'..='K' {
                    t = t.replace(&format!("<c r=\"{col}4\""), "<c");
                }
                data = t.into_bytes();
            }
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(&data).unwrap();
    }
    std::fs::write(&path, out.finish().unwrap().into_inner()).unwrap();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let copy = w.output().join("反馈单/市残联_2025年度填报表（批注）.xlsx");
    assert!(copy.exists(), "{}", common::stdout(&out));
    let mut wb = open_workbook_auto(&copy).unwrap();
    let list: Vec<String> = wb.worksheet_range("问题清单").unwrap().rows().map(|r| r[0].to_string()).collect();
    assert!(list.iter().any(|l| l.contains("原文件不能直接在原表上标注") && l.contains("已转换为新的 xlsx 工作簿")), "{list:?}");
    assert_eq!(values(&path), values(&copy), "the values");
    let comments: String = parts(&copy).iter().filter(|(n, _)| n.contains("comments")).map(|(_, t)| t.clone()).collect();
    assert!(comments.contains("ref=\"H4\"") && comments.contains("有不一致的填报"), "{comments}");
}
