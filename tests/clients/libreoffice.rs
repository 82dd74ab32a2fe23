//! LibreOffice as a second client of what planmon writes: the annotated copies (with
//! their comments, and saved again by LibreOffice then annotated afresh), the CSV tables,
//! the returns saved again in other formats, the summary workbook and the Word files.
//! LibreOffice is required (`apt-get install libreoffice-calc-nogui
//! libreoffice-writer-nogui`): a test fails when it is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{open_workbook_auto, Data, Reader};

use crate::common::{self, *};

const DOCX: &str = "仁怀市公共服务发展行动方案实施情况终期评估报告.docx";

#[test]
fn libreoffice_opens_a_copy_with_its_comments() {
    let w = sample();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let copy = w.path().join("copy.xlsx");
    std::fs::copy(w.output().join("反馈单/市残联_2025年度填报表（批注）.xlsx"), &copy).unwrap();
    let content = parts(&soffice(&w, &copy, "ods")).remove("content.xml").expect("content.xml");
    assert!(content.contains("<office:annotation"), "LibreOffice sees no comment");
    assert!(content.contains("有不一致的填报") && content.contains("请把填报日期改为修改当天"), "the comments' text");
    assert!(content.contains("table:name=\"问题清单\""), "问题清单");
    // A copy converted from .xls opens too, with its comments.
    let x = Workdir::empty();
    let name = "市卫生健康局_2024年度填报表.xls";
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats").join(name), x.input().join(name)).unwrap();
    let out = x.run(&["run", "--date", "2025-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let copy = x.path().join("converted.xlsx");
    std::fs::copy(x.output().join("反馈单/市卫生健康局_2024年度填报表（批注）.xlsx"), &copy).unwrap();
    let content = parts(&soffice(&x, &copy, "ods")).remove("content.xml").expect("content.xml");
    assert!(content.contains("<office:annotation") && content.contains("缺报"), "LibreOffice sees no comment in the converted copy");
    assert!(content.contains("table:name=\"问题清单\"") && content.contains("table:name=\"指标填报\""), "sheets");
}

#[test]
fn a_copy_saved_again_by_libreoffice_and_sent_back_is_annotated_afresh() {
    let w = sample();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    // The unit opens the copy in LibreOffice and saves it (every part rewritten, the
    // comments' authors and prefixes its own), changes the date and sends it back.
    let copy = w.path().join("back.xlsx");
    std::fs::copy(w.output().join("反馈单/市残联_2025年度填报表（批注）.xlsx"), &copy).unwrap();
    let saved = soffice(&w, &copy, "xlsx:Calc MS Excel 2007 XML");
    let original = calamine_date(&w.input().join("市残联_2025年度填报表.xlsx"));
    let back = w.input().join("市残联_2025年度填报表（修改版）.xlsx");
    fix_copy(&saved, &back, "97.1", "97.1", &original, "2026年3月5日");
    let out = w.run(&["run", "--date", "2026-03-10"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let again = w.output().join("反馈单/市残联_2025年度填报表（批注）.xlsx");
    let wb = open_workbook_auto(&again).unwrap();
    assert_eq!(wb.sheet_names().iter().filter(|n| *n == "问题清单").count(), 1, "{:?}", wb.sheet_names());
    let package = parts(&again);
    let comments: String = package.iter().filter(|(n, _)| n.contains("comments")).map(|(_, t)| t.as_str()).collect();
    assert_eq!(comments.matches("有不一致的填报").count(), 1, "{comments}");
    assert_eq!(comments.matches("请把填报日期改为修改当天").count(), 1, "{comments}");
    // Every part is well-formed XML (the drawings' prefixes declared).
    for (name, text) in package.iter().filter(|(n, _)| n.ends_with(".xml") || n.ends_with(".vml") || n.ends_with(".rels")) {
        let mut r = quick_xml::Reader::from_str(text);
        loop {
            match r.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{name}: {e}"),
            }
        }
    }
    assert_eq!(values(&back), values(&again), "the values sent back");
}

#[test]
fn tables_open_in_libreoffice_with_the_chinese_intact() {
    let w = run_hostile();
    let conv = w.path().join("converted");
    for name in TABLES {
        // Comma-separated, double quotes, UTF-8 (76), from the first line, no special
        // number detection, formulas not evaluated (token 13): text read as text. (With
        // evaluation on, `=SUM(A1:A3)` from a return would become a formula: why the README
        // sends people to the workbook rather than to the CSV in a spreadsheet program.)
        let out = std::process::Command::new("soffice")
            .args(["--headless", "--norestore", "--infilter=CSV:44,34,76,1,,,false,false,,,,,false", "--convert-to", "xlsx", "--outdir"])
            .arg(&conv)
            .arg(w.output().join(name))
            .env("HOME", w.path())
            .output()
            .expect("LibreOffice (soffice) is required for this test: apt-get install libreoffice-calc-nogui");
        assert!(out.status.success(), "soffice: {}", String::from_utf8_lossy(&out.stderr));
        let xlsx = conv.join(name.replace(".csv", ".xlsx"));
        let mut wb = open_workbook_auto(&xlsx).unwrap();
        let sheet = wb.sheet_names()[0].clone();
        let range = wb.worksheet_range(&sheet).unwrap();
        let read: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        let bytes = w.read_output(name);
        let mut expected = csv::Reader::from_reader(bytes.as_slice());
        let header: Vec<String> = expected.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(read[0], header, "{name}: the header, without the BOM");
        for (i, record) in expected.records().enumerate() {
            let record = record.unwrap();
            for (j, field) in record.iter().enumerate() {
                let got = read[i + 1].get(j).cloned().unwrap_or_default();
                // Numbers come back as numbers; text must be identical.
                if field.parse::<f64>().is_ok() {
                    assert_eq!(got.parse::<f64>().ok(), field.parse::<f64>().ok(), "{name} row {} col {j}", i + 2);
                } else {
                    assert_eq!(got, field, "{name} row {} col {j}", i + 2);
                }
            }
        }
    }
}

/// A return saved again by LibreOffice (as xlsx, ods, xls) reads back the same figures.
#[test]
fn libreoffice_saving_a_return_again_keeps_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled_return(dir.path());
    let got = figures(&path);
    for ext in ["xlsx", "ods", "xls"] {
        let out_dir = dir.path().join(format!("lo-{ext}"));
        let status = std::process::Command::new("soffice")
            .args(["--headless", "--norestore", "--convert-to", ext, "--outdir"])
            .arg(&out_dir)
            .arg(&path)
            .env("HOME", dir.path())
            .output()
            .expect("LibreOffice (soffice) is required for this test: apt-get install libreoffice-calc-nogui");
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
        let converted = out_dir.join(format!("市卫生健康局_2025年度填报表.{ext}"));
        assert_eq!(figures(&converted), got, "after LibreOffice saved it as {ext}");
    }
}

/// Word files made from returns full of control characters open in LibreOffice.
#[test]
fn libreoffice_opens_word_files_made_from_control_characters() {
    let w = Workdir::empty();
    return_with_control_characters(&w.input().join("市卫生健康局_2025年度填报表.xlsx"));
    let out = w.run(&["run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut docx: Vec<PathBuf> = vec![];
    for dir in [w.output(), w.output().join("反馈单")] {
        docx.extend(std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "docx")));
    }
    assert!(docx.len() >= 2, "{docx:?}");
    // LibreOffice opens every one.
    require("soffice", "libreoffice-writer-nogui");
    let lo = w.path().join("lo");
    let status = Command::new("soffice")
        .args(["--headless", "--norestore", "--convert-to", "txt:Text", "--outdir"])
        .arg(&lo)
        .args(&docx)
        .env("HOME", w.path())
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    for file in &docx {
        let txt = lo.join(file.with_extension("txt").file_name().unwrap());
        assert!(txt.is_file(), "LibreOffice could not open {}", file.display());
    }
}

#[test]
fn workbook_converts_with_libreoffice_to_the_same_values() {
    require("soffice", "libreoffice-calc-nogui");
    let w = run_case("skeleton");
    let conv = w.path().join("converted");
    let out = std::process::Command::new("soffice")
        .args(["--headless", "--norestore", "--convert-to", "xlsx", "--outdir"])
        .arg(&conv)
        .arg(w.output().join(WORKBOOK_2024))
        .env("HOME", w.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "soffice failed: {}", String::from_utf8_lossy(&out.stderr));
    let converted = conv.join(WORKBOOK_2024);
    assert!(converted.is_file(), "LibreOffice wrote nothing: {}", String::from_utf8_lossy(&out.stdout));
    for name in ["指标进展", "任务指标", "部门填报情况", "数据明细"] {
        let a = sheet_range(&w.output().join(WORKBOOK_2024), name);
        let b = sheet_range(&converted, name);
        let (ra, rb): (Vec<_>, Vec<_>) = (a.rows().collect(), b.rows().collect());
        assert_eq!(ra.len(), rb.len(), "{name}: row count");
        for (x, y) in ra.iter().zip(rb.iter()) {
            for (c, (u, v)) in x.iter().zip(y.iter()).enumerate() {
                let same = match (u, v) {
                    (Data::Float(p), Data::Float(q)) => (p - q).abs() < 1e-9,
                    (Data::Float(p), Data::Int(q)) | (Data::Int(q), Data::Float(p)) => (p - *q as f64).abs() < 1e-9,
                    _ => u.to_string() == v.to_string(),
                };
                assert!(same, "{name} column {c}: {u:?} became {v:?}");
            }
        }
    }
}

/// LibreOffice opens every Word file planmon writes and reads the text planmon wrote:
/// each paragraph and table cell of the package is in LibreOffice's text.
#[test]
fn libreoffice_reads_the_word_files_as_planmon_wrote_them() {
    let w = sample_run(&[]);
    let report = w.output().join(DOCX);
    let health = w.output().join("反馈单/市卫生健康局_2025年度填报数据反馈单.docx");
    for docx in [&report, &health] {
        let lo = flat(&std::fs::read_to_string(soffice(&w, docx, "txt:Text (encoded):UTF8")).unwrap());
        let text = docx_text(docx);
        let cells = text.tables.iter().flatten().flatten().cloned();
        for p in text.paragraphs.iter().cloned().chain(cells).map(|p| flat(&p)).filter(|p| !p.is_empty()) {
            assert!(lo.contains(&p), "{}: LibreOffice does not read “{p}”", docx.display());
        }
    }
}

/// LibreOffice lays the Word report out on A4 with the 公文 margins.
#[test]
fn libreoffice_lays_the_word_report_out_on_a4_with_the_margins() {
    let w = sample_run(&[]);
    let docx = w.output().join(DOCX);
    // LibreOffice opens it and lays it out on A4 with the margins (28 mm left, 26 mm
    // right, 37 mm top; the body above the 35 mm bottom margin).
    let pdf = soffice(&w, &docx, "pdf");
    let info = Command::new("pdfinfo").arg(&pdf).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("(A4)"), "{info}");
    // Pages 2 to 5: one of them begins with text (another may begin with a picture).
    let bbox = Command::new("pdftotext").args(["-bbox", "-f", "2", "-l", "5"]).arg(&pdf).arg("-").output().unwrap();
    // A line may end in a full-width comma or stop hanging in the right margin, as Word
    // and LibreOffice allow by default (允许标点溢出边界) when the face is installed: the
    // text's edge is before it (one 三号 character, 16 pt).
    let words: Vec<[f64; 4]> = String::from_utf8_lossy(&bbox.stdout)
        .lines()
        .filter(|l| l.contains("<word"))
        .map(|l| {
            let v = |k: &str| l.split(&format!("{k}=\"")).nth(1).unwrap().split('"').next().unwrap().parse::<f64>().unwrap();
            let word = l.split('>').nth(1).unwrap_or("").split('<').next().unwrap_or("");
            let hangs = word.ends_with(['，', '。', '；', '、', '：', '！', '？', '）', '”', '’']);
            [v("xMin"), v("yMin"), v("xMax") - if hangs { 16.5 } else { 0.0 }, v("yMax")]
        })
        .collect();
    let pt = |mm: f64| mm * 72.0 / 25.4;
    let min = |k: usize| words.iter().map(|b| b[k]).fold(f64::MAX, f64::min);
    let max = |k: usize| words.iter().map(|b| b[k]).fold(0.0, f64::max);
    assert!((min(0) - pt(28.0)).abs() < 2.0, "left margin {}", min(0));
    assert!((595.3 - max(2) - pt(26.0)).abs() < 3.0, "right margin {}", max(2));
    assert!(min(1) >= pt(37.0) - 1.0 && min(1) < pt(37.0) + 12.0, "top margin {}", min(1));
    let body_bottom = words.iter().map(|b| b[3]).filter(|y| *y < 842.0 - pt(30.0)).fold(0.0, f64::max);
    assert!(body_bottom <= 842.0 - pt(35.0) + 2.0, "body below the bottom margin: {body_bottom}");
}
