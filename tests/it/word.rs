//! The Word version of the report and of the feedback sheets: made from the same data as
//! the PDFs, a valid package LibreOffice opens and converts, the 公文 page and fonts,
//! header rows repeated, the same bytes from the same inputs, and a switch to turn it off.
//! LibreOffice reads them too, in tests/clients.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{docx_text, flat, part, pdf_text, sample_run, Workdir};
use planmon::plan::Plan;

const DOCX: &str = "仁怀市公共服务发展行动方案实施情况终期评估报告.docx";
const PDF: &str = "仁怀市公共服务发展行动方案实施情况终期评估报告.pdf";

#[test]
fn the_word_report_says_what_the_pdf_says() {
    let w = sample_run(&[]);
    let docx = w.output().join(DOCX);
    assert!(docx.is_file(), "no Word report beside the PDF");
    let text = docx_text(&docx);
    let word = text.paragraphs.join("\n");
    let pdf = pdf_text(&w.output().join(PDF), false);
    let (word_flat, pdf_flat) = (flat(&word), flat(&pdf));
    for must in [
        // 2025 is the plan's last year: the report is its final evaluation.
        "仁怀市公共服务发展行动方案实施情况终期评估报告",
        "市人民政府：",
        "一、总体情况",
        "二、主要工作及成效",
        "三、主要指标完成情况",
        "（一）幼有所育",
        "（九）文体服务保障",
        "四、重点项目和重点任务推进情况",
        "五、存在的问题",
        "六、下一步工作建议",
        "附表1",
        "附表2",
        "附表3",
        "仁怀市发展和改革局",
        "2026年1月1日",
    ] {
        assert!(word_flat.contains(must), "the Word report lacks {must}");
        assert!(pdf_flat.contains(must), "the PDF lacks {must}");
    }
    // Every paragraph of the body is in both (the overview's counts among them).
    for sentence in ["方案确定的30项主要发展指标中", "已逐条反馈各单位"] {
        assert!(word_flat.contains(sentence) && pdf_flat.contains(sentence), "{sentence}");
    }
    // Every indicator's outcome at the plan's end, equal (a row of the Word table: id,
    // name, base, three years, target, 完成率, outcome; the PDF's row ends with the
    // outcome). Each figure against the assessment: tests/it/consistency.rs.
    let plan = Plan::embedded().unwrap();
    let ids: Vec<String> = plan.indicators.iter().map(|i| i.id.clone()).collect();
    let mut in_word = BTreeMap::new();
    for row in text.tables.iter().flatten() {
        if row.len() > 8 && ids.iter().any(|id| *id == row[0].trim()) && !in_word.contains_key(row[0].trim()) {
            in_word.insert(row[0].trim().to_string(), row[8].trim().to_string());
        }
    }
    let mut in_pdf = BTreeMap::new();
    for line in pdf_text(&w.output().join(PDF), true).lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() >= 5 && ids.iter().any(|id| id == f[0]) && !in_pdf.contains_key(f[0]) {
            in_pdf.insert(f[0].to_string(), f[f.len() - 1].to_string());
        }
    }
    assert_eq!(in_word.len(), ids.len(), "{in_word:#?}");
    assert_eq!(in_word, in_pdf);
    assert!(in_word.values().all(|o| ["已完成", "基本完成", "未完成", "无数据"].contains(&o.as_str())), "{in_word:?}");
}

#[test]
fn the_word_report_is_a_valid_package_with_the_office_page() {
    let w = sample_run(&[]);
    let docx = w.output().join(DOCX);
    let types = part(&docx, "[Content_Types].xml");
    assert!(types.contains("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"));
    assert!(part(&docx, "_rels/.rels").contains("word/document.xml"));
    let rels = part(&docx, "word/_rels/document.xml.rels");
    for target in ["styles.xml", "fontTable.xml", "footer"] {
        assert!(rels.contains(target), "no relationship to {target}");
    }
    let styles = part(&docx, "word/styles.xml");
    for style in [
        "w:styleId=\"Body\"",
        "w:styleId=\"Heading1\"",
        "w:styleId=\"Heading2\"",
        "w:styleId=\"DocTitle\"",
        "仿宋_GB2312",
        "黑体",
        "楷体_GB2312",
        "方正小标宋简体",
    ] {
        assert!(styles.contains(style), "styles lack {style}");
    }
    let document = part(&docx, "word/document.xml");
    assert!(document.contains("<w:pgSz w:w=\"11906\" w:h=\"16838\""), "not A4");
    for margin in ["w:top=\"2098\"", "w:bottom=\"1984\"", "w:left=\"1587\"", "w:right=\"1474\""] {
        assert!(document.contains(margin), "margin {margin}");
    }
    // No row splits across pages; a long table (the appendices) repeats only its first row.
    let rows = document.matches("<w:tr>").count() + document.matches("<w:tr ").count();
    assert_eq!(document.matches("<w:cantSplit />").count(), rows, "a row that may split across pages");
    // Which rows keep with the next: the header with the first two rows, the last row with
    // the one before, a table of up to four rows whole; the paragraph before every table
    // (its caption or lead-in) with the table. Only a table of more than 15 rows repeats
    // its header (LibreOffice would move a shorter one whole to the next page).
    let mut longer = 0;
    let mut repeated = 0;
    let mut groups = 0;
    for (k, table) in document.split("<w:tbl>").enumerate().skip(1) {
        let table = table.split("</w:tbl>").next().unwrap();
        let rows: Vec<&str> = table.split("<w:tr>").skip(1).collect();
        let keeps: Vec<bool> = rows.iter().map(|row| row.contains("<w:keepNext />")).collect();
        // A group's heading row (an area in the appendices): one cell of more than two
        // with text; it goes with the group's first row.
        let with_text = |row: &str| row.split("<w:tc>").skip(1).filter(|c| !c.contains("<w:t xml:space=\"preserve\"></w:t>")).count();
        let group: Vec<bool> = rows.iter().map(|row| row.matches("<w:tc>").count() > 2 && with_text(row) == 1).collect();
        groups += group.iter().filter(|g| **g).count();
        let body = keeps.len() - 1;
        let expected: Vec<bool> =
            (0..keeps.len()).map(|r| r == 0 || (r < body && (body <= 4 || r == 1 || r + 1 == body || group[r]))).collect();
        assert_eq!(keeps, expected, "table {k}");
        let before = document.split("<w:tbl>").nth(k - 1).unwrap();
        let before = &before[before.rfind("<w:p ").unwrap()..];
        assert!(before.contains("<w:keepNext />"), "table {k}: the paragraph before is not kept with it");
        assert_eq!(table.matches("<w:tblHeader />").count(), usize::from(body > 15), "table {k} of {body} rows");
        longer += usize::from(body > 4);
        repeated += usize::from(body > 15);
    }
    assert!(longer >= 5 && repeated >= 2, "{longer} {repeated}");
    // The appendices' area rows were among them.
    assert!(groups >= 9, "{groups} group rows");
    let core = part(&docx, "docProps/core.xml");
    assert!(core.contains("<dc:title>仁怀市公共服务发展行动方案") && !core.contains("unknown"), "{core}");
    assert!(part(&docx, "word/fontTable.xml").contains("<w:altName w:val=\"仿宋\"/>"), "no fallback for 仿宋_GB2312");
    let footer = (1..=3).find_map(|k| {
        zip::ZipArchive::new(std::fs::File::open(&docx).unwrap()).unwrap().by_name(&format!("word/footer{k}.xml")).ok().map(|_| k)
    });
    let footer = part(&docx, &format!("word/footer{}.xml", footer.expect("a footer")));
    assert!(footer.contains("PAGE") && footer.contains("— "), "no “— 1 —” page number");
    // The number in the size of its dashes (四号, 28 half-points).
    let field = footer.split("<w:fldChar").next().unwrap().rsplit("<w:r>").next().unwrap();
    assert!(field.contains("<w:sz w:val=\"28\" />"), "the page number's size differs from its dashes: {field}");
}

#[test]
fn word_feedback_sheets_come_too_and_a_switch_turns_them_off() {
    let w = sample_run(&[]);
    let plan = Plan::embedded().unwrap();
    for unit in plan.reporting_units() {
        let docx = w.output().join("反馈单").join(format!("{}_2025年度填报数据反馈单.docx", unit.name));
        assert!(docx.is_file(), "{}", docx.display());
    }
    let health = w.output().join("反馈单/市卫生健康局_2025年度填报数据反馈单.docx");
    let sheet = docx_text(&health);
    let text = flat(&(sheet.paragraphs.join("\n") + &sheet.tables.concat().concat().join("\n")));
    for must in ["2025年度填报数据反馈单", "市卫生健康局：", "一、你单位指标完成情况", "G01", "三、缺报内容"]
    {
        assert!(text.contains(must), "the Word feedback sheet lacks {must}");
    }
    // Same inputs, same bytes.
    let first = std::fs::read(w.output().join(DOCX)).unwrap();
    assert!(w.run(&["run"]).status.success());
    assert!(first == std::fs::read(w.output().join(DOCX)).unwrap(), "the .docx differs between two runs");
    // Off by the command line, and by planmon.toml.
    let off = sample_run(&["--no-word"]);
    assert!(!off.output().join(DOCX).exists());
    let off = Workdir::with_input(&Path::new(env!("CARGO_MANIFEST_DIR")).join("input"));
    std::fs::write(off.path().join("planmon.toml"), "word = false\n").unwrap();
    assert!(off.run(&["run"]).status.success());
    assert!(!off.output().join(DOCX).exists());
    assert!(std::fs::read_dir(off.output().join("反馈单")).unwrap().flatten().all(|e| !e.file_name().to_string_lossy().ends_with(".docx")));
}
