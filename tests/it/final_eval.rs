//! 终期评估: the plan's last year's report is its final evaluation; a year after the plan
//! is one when asked (`--final`); the years before keep the annual report. The figure
//! the PDF draws is in the Word version as a picture made from the same template code.

use std::path::Path;

use crate::common::{self, displayed_sheet, docx_text, pdf_text, Workdir};

fn sample() -> Workdir {
    Workdir::with_input(&Path::new(env!("CARGO_MANIFEST_DIR")).join("input"))
}

fn report_title(w: &Workdir, year: i32) -> String {
    let docx = w.output().join(format!("仁怀市公共服务发展行动方案实施进展报告（{year}年度）.docx"));
    docx_text(&docx).paragraphs.into_iter().find(|p| !p.trim().is_empty()).unwrap()
}

#[test]
fn the_last_year_is_the_final_evaluation_and_earlier_years_are_annual() {
    let w = sample();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(report_title(&w, 2025), "仁怀市公共服务发展行动方案实施情况终期评估报告");
    let pdf: String =
        pdf_text(&w.output().join("仁怀市公共服务发展行动方案实施进展报告（2025年度）.pdf"), false).split_whitespace().collect();
    for part in ["实施情况终期评估报告", "未完成的指标及原因", "各领域主要指标完成情况（2023—2025年，项）", "完成率"]
    {
        assert!(pdf.contains(part), "the final report lacks {part}");
    }
    for gone in ["序时进度", "需加快推进"] {
        assert!(!pdf.split("附表1").next().unwrap().contains(gone), "the final report's body speaks of {gone}");
    }
    // The Word version has the same figure, as a picture.
    let docx = w.output().join("仁怀市公共服务发展行动方案实施进展报告（2025年度）.docx");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&docx).unwrap()).unwrap();
    let media: Vec<String> =
        zip.file_names().filter_map(|n| n.ok()).filter(|n| n.starts_with("word/media/")).map(|n| n.to_string()).collect();
    assert_eq!(media.len(), 1, "{media:?}");
    let mut png = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_name(&media[0]).unwrap(), &mut png).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a picture of the figure");
    assert!(docx_text(&docx).paragraphs.iter().any(|p| p == "图1　各领域主要指标完成情况（2023—2025年，项）"));

    let earlier = w.path().join("o2024");
    let out = w.run(&["run", "--year", "2024", "--date", "2026-03-01", "--output", earlier.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let docx = earlier.join("仁怀市公共服务发展行动方案实施进展报告（2024年度）.docx");
    let title = docx_text(&docx).paragraphs.into_iter().find(|p| !p.trim().is_empty()).unwrap();
    assert_eq!(title, "仁怀市公共服务发展行动方案实施进展报告（2024年度）");
    let book = earlier.join("仁怀市公共服务发展行动方案监测汇总表（2024年度）.xlsx");
    let head = &displayed_sheet(&book, "指标进展")[0];
    assert!(head.contains(&"序时进度".to_string()) && head.contains(&"尚需年均变化".to_string()), "{head:?}");
}

#[test]
fn a_year_after_the_plan_is_a_final_evaluation_when_asked() {
    let w = sample();
    let out = w.run(&["run", "--year", "2026", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(report_title(&w, 2026), "仁怀市公共服务发展行动方案实施进展报告（2026年度）");
    let out = w.run(&["run", "--year", "2026", "--final", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(report_title(&w, 2026), "仁怀市公共服务发展行动方案实施情况终期评估报告");
    // The same from planmon.toml.
    std::fs::write(w.path().join("planmon.toml"), "final = true\n").unwrap();
    let out = w.run(&["run", "--year", "2026", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(report_title(&w, 2026), "仁怀市公共服务发展行动方案实施情况终期评估报告");
}
