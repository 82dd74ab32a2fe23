//! Validation and assessment end to end: conflicting returns, the figure used, and the
//! report saying so.

use crate::common::{pdf_text, stdout, Workdir};

#[test]
fn conflicting_returns_give_a_conflict_finding_and_the_leads_figure() {
    let w = Workdir::new("conflict");
    let out = w.run(&["run"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let findings = w.csv("findings.csv");
    let conflicts: Vec<_> = findings.iter().filter(|f| f["code"] == "conflict").collect();
    assert_eq!(conflicts.len(), 2, "one finding on each of the two cells: {findings:#?}");
    // The unit whose figure differs from the one used is to correct it (an error); the
    // one whose figure is used is to check it against the other (a warning).
    let of = |unit: &str| conflicts.iter().find(|f| f["department"] == unit).unwrap_or_else(|| panic!("{unit}: {conflicts:#?}"));
    assert_eq!(of("市残联")["severity"], "error");
    assert!(of("市残联")["message"].contains("本处的97.5%未采用。请核对后改为一致"), "{}", of("市残联")["message"]);
    assert_eq!(of("市民政局")["severity"], "warning");
    assert!(of("市民政局")["message"].contains("即本处的数值。请与市残联核对"), "{}", of("市民政局")["message"]);
    for f in &conflicts {
        assert_eq!(f["indicator_id"], "G25");
        // Both figures are listed with where they came from, and the one used is named.
        for part in
            ["100%（市民政局·市民政局_2024年度填报表.xlsx·H4）", "97.5%（市残联·市残联_2024年度填报表.xlsx·H4）", "采用100%（市民政局）"]
        {
            assert!(f["message"].contains(part), "{} lacks {part}", f["message"]);
        }
    }
    let progress = w.csv("progress.csv");
    let g25 = progress.iter().find(|p| p["indicator_id"] == "G25" && p["year"] == "2024").unwrap();
    assert_eq!((g25["value"].as_str(), g25["department"].as_str(), g25["status"].as_str()), ("100", "市民政局", "已达标"));
    assert!(g25["note"].contains("采用牵头单位市民政局的数据"), "{}", g25["note"]);
    let report = w.output().join("仁怀市公共服务发展行动方案实施进展报告（2024年度）.pdf");
    {
        let text = pdf_text(&report, false);
        let flat: String = text.split_whitespace().collect();
        assert!(flat.contains("评估采用牵头责任单位的数据"), "report does not say which figure was used:\n{text}");
    }
}

/// Returns marked 示例数据 (as `planmon sample` makes them) make documents that say, above
/// the addressee, that their figures are not real; real returns make none.
#[test]
fn documents_made_from_sample_returns_say_so_and_others_do_not() {
    let w = crate::common::sample();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let report = w.output().join("仁怀市公共服务发展行动方案实施情况终期评估报告");
    let word = crate::common::docx_text(&report.with_extension("docx"));
    let notice = "本文所依据的33份填报表均标明为“示例数据”，是合成的演示数据，不是真实统计";
    let at = word.paragraphs.iter().position(|p| p.contains(notice)).unwrap_or_else(|| panic!("{:?}", word.paragraphs));
    assert!(word.paragraphs[at + 1].starts_with("市人民政府"), "the notice is above the addressee: {:?}", &word.paragraphs[..at + 2]);
    let flat: String = pdf_text(&report.with_extension("pdf"), false).split_whitespace().collect();
    assert!(flat.contains(notice), "{flat}");
    let sheet = crate::common::docx_text(&w.output().join("反馈单/市残联_2025年度填报数据反馈单.docx"));
    assert!(sheet.paragraphs.iter().any(|p| p.contains("你单位的填报表标明为“示例数据”")), "{:?}", sheet.paragraphs);
    let list = crate::common::sheet_range(&w.output().join("反馈单/市残联_2025年度填报表（批注）.xlsx"), "问题清单");
    assert!(list.get_value((1, 0)).is_some_and(|v| v.to_string().contains("该填报表标明为“示例数据”")), "{:?}", list.get_value((1, 0)));
    let overview = crate::common::sheet_range(&w.output().join("仁怀市公共服务发展行动方案监测汇总表（2025年度）.xlsx"), "总览");
    assert!(
        overview.get_value((1, 0)).is_some_and(|v| v.to_string().contains("其中33份标明为示例数据")),
        "{:?}",
        overview.get_value((1, 0))
    );

    let w = Workdir::new("conflict");
    let out = w.run(&["run"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let word = crate::common::docx_text(&w.output().join("仁怀市公共服务发展行动方案实施进展报告（2024年度）.docx"));
    assert!(!word.paragraphs.iter().any(|p| p.contains("示例数据")), "{:?}", word.paragraphs);
}
