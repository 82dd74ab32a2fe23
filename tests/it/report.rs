//! The PDF report and feedback sheets: read back as text, one feedback sheet per unit,
//! hostile cell text printed literally, byte-identical runs, edited and broken templates.

use crate::common;

use crate::common::{pdf_text, stdout, Workdir};

const REPORT: &str = "仁怀市公共服务发展行动方案实施进展报告（2024年度）.pdf";

fn run(case: &str) -> Workdir {
    let w = Workdir::new(case);
    let out = w.run(&["run"]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), common::stderr(&out));
    w
}

/// PDF text with all white space removed (table cells wrap lines anywhere).
fn flat_text(path: &std::path::Path) -> String {
    pdf_text(path, false).split_whitespace().collect()
}

#[test]
fn report_has_the_headings_numbers_and_statuses() {
    let w = run("skeleton");
    let pdf = w.read_output(REPORT);
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.windows(b"pdfaid:part".len()).any(|x| x == b"pdfaid:part"), "PDF/A identification missing");
    let text = flat_text(&w.output().join(REPORT));
    for heading in [
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
    ] {
        assert!(text.contains(heading), "report lacks heading {heading}");
    }
    // The figures and statuses of the fixture, and the sentence made from them.
    for expected in ["3.9", "2.95", "2750", "已达标", "滞后于序时进度", "无数据", "市卫生健康局", "— 1 —"] {
        assert!(text.contains(&expected.split_whitespace().collect::<String>()), "report lacks {expected}");
    }
    // Where each figure came from is in the workbook, not the report.
    assert!(!text.contains("H4") && !text.contains("填报表.xlsx"), "the report lists cells");
    assert!(text.contains("方案确定的30项主要发展指标中，2024年已达标"), "overview sentence missing");
}

#[test]
fn report_has_one_feedback_sheet_per_unit() {
    let w = run("skeleton");
    let dir = w.output().join("反馈单");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pdf"))
        .collect();
    names.sort();
    let plan = planmon::plan::Plan::embedded().unwrap();
    let mut expected: Vec<String> = plan.reporting_units().iter().map(|u| format!("{}_2024年度填报数据反馈单.pdf", u.name)).collect();
    expected.sort();
    assert_eq!(names, expected);
    let health = flat_text(&dir.join("市卫生健康局_2024年度填报数据反馈单.pdf"));
    for expected in ["2024年度填报数据反馈单", "市卫生健康局：", "G01", "3.9", "滞后于序时进度", "三、缺报内容", "负责人签字"]
    {
        assert!(health.contains(expected), "feedback lacks {expected}");
    }
    // A unit that sent nothing is told so.
    let culture = flat_text(&dir.join("市文化旅游局_2024年度填报数据反馈单.pdf"));
    assert!(culture.contains("未收到市文化旅游局2024年度填报表"), "{culture}");
}

#[test]
fn report_prints_hostile_cell_text_literally() {
    let w = run("hostile_text");
    let feedback = w.output().join("反馈单/市卫生健康局_2024年度填报数据反馈单.pdf");
    let text = flat_text(&feedback);
    for literal in ["#panic()]*粗体*$x$@import〓", "=SUM(A1:A3)", "+cmd|'/Ccalc'!A0"] {
        assert!(text.contains(literal), "feedback does not print {literal} literally:\n{text}");
    }
}

#[test]
fn report_replaces_a_character_no_font_has_and_says_so() {
    // 䶮 (U+4DAE) is outside GB 2312: the PDF shows 〓 and a finding names the character.
    let w = run("hostile_text");
    let findings = w.csv("findings.csv");
    let glyph: Vec<_> = findings.iter().filter(|f| f["code"] == "glyph_missing").collect();
    assert_eq!(glyph.len(), 1, "{findings:#?}");
    assert!(glyph[0]["message"].contains("U+4DAE"), "{}", glyph[0]["message"]);
    assert!(w.output().join(REPORT).is_file());
}

#[test]
fn report_pdfs_are_byte_identical_across_runs() {
    // Two folders, each typesetting from nothing (a rerun in one folder reuses its PDFs:
    // see reuse.rs).
    let (w, fresh) = (run("skeleton"), run("skeleton"));
    for f in [REPORT, "反馈单/市卫生健康局_2024年度填报数据反馈单.pdf"] {
        assert!(w.read_output(f) == fresh.read_output(f), "{f} differs between two runs");
    }
}

fn copy_templates(w: &Workdir) -> std::path::PathBuf {
    let dir = w.path().join("my-templates");
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["report.typ", "feedback.typ", "common.typ"] {
        std::fs::copy(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates").join(name), dir.join(name)).unwrap();
    }
    dir
}

#[test]
fn report_uses_an_edited_template_without_recompiling() {
    let w = Workdir::new("skeleton");
    let dir = copy_templates(&w);
    let report = std::fs::read_to_string(dir.join("report.typ")).unwrap();
    std::fs::write(dir.join("report.typ"), report.replace("= 一、总体情况", "= 一、总体情况（修改后的模板）")).unwrap();
    let out = w.run(&["run", "--templates", "my-templates"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = flat_text(&w.output().join(REPORT));
    assert!(text.contains("一、总体情况（修改后的模板）"));
}

#[test]
fn a_broken_figure_template_fails_the_run_with_the_word_report_named() {
    // The Word report's figures are typeset beside the PDFs: a figure that cannot be
    // drawn is a failure of the run, never a run without its Word report.
    let w = Workdir::new("skeleton");
    let dir = copy_templates(&w);
    std::fs::copy(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/figure.typ"), dir.join("figure.typ")).unwrap();
    let mut figure = std::fs::read_to_string(dir.join("figure.typ")).unwrap();
    figure.push_str("\n#let broken = (\n");
    std::fs::write(dir.join("figure.typ"), figure).unwrap();
    let out = w.run(&["run", "--templates", "my-templates"]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(err.contains("Word 版报告中的图未能生成") && err.contains("my-templates/figure.typ"), "{err}");
    assert!(!w.output().join("findings.csv").exists());
    let aside: Vec<_> = std::fs::read_dir(w.output().join("history")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(aside.len(), 1);
    assert!(aside[0].join(REPORT).is_file(), "the PDFs that were made are kept aside");
}

#[test]
fn report_template_errors_name_the_file_and_line() {
    let w = Workdir::new("skeleton");
    let dir = copy_templates(&w);
    let mut report = std::fs::read_to_string(dir.join("report.typ")).unwrap();
    report.push_str("\n#let broken = (\n");
    let line = report.lines().count();
    std::fs::write(dir.join("report.typ"), report).unwrap();
    let out = w.run(&["run", "--templates", "my-templates"]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(err.contains("my-templates/report.typ"), "{err}");
    assert!(err.contains(&format!("第{line}行")), "{err}");
    // Nothing was put in place, but what could be made is kept aside in history/.
    assert!(!w.output().join("findings.csv").exists());
    let aside: Vec<_> = std::fs::read_dir(w.output().join("history")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(aside.len(), 1);
    assert!(aside[0].to_string_lossy().ends_with("-未完成"));
    assert!(aside[0].join("仁怀市公共服务发展行动方案监测汇总表（2024年度）.xlsx").is_file());
    assert!(err.contains(&aside[0].file_name().unwrap().to_string_lossy().to_string()), "{err}");
}

#[test]
fn a_units_texts_about_several_areas_each_say_which_area() {
    // The sample's 市教育体育局 writes 存在问题 for 学有所教 and for 文体服务保障.
    let w = common::sample();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = common::without_page_numbers(&flat_text(&w.output().join("仁怀市公共服务发展行动方案实施情况终期评估报告.pdf")));
    let from = text.find("各单位反映的主要问题如下").expect("the units' problems");
    let part = &text[from..];
    let edu = &part[part.find("市教育体育局：").expect("市教育体育局")..];
    let edu = &edu[..edu.find("市人力资源和社会保障局：").unwrap_or(edu.len())];
    assert!(edu.starts_with("市教育体育局：学有所教方面，") && edu.contains("文体服务保障方面，"), "{edu}");
    // A unit with one text is quoted as it is.
    assert!(part.contains("市民政局：专业人才不足"), "{part}");
}
