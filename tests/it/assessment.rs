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
    for f in &conflicts {
        assert_eq!(f["indicator_id"], "G25");
        assert_eq!(f["severity"], "error");
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
