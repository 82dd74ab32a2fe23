//! The frozen assessment's rules, each on the case that breaks it: renderers and
//! commands only format (no filtering of the figures or findings of their own), a task
//! and its project checked against each other, a 成文日期 before the returns, a display
//! that never changes a number, the blank returns prefilled from the figures the
//! assessment uses, a plan table without 序号.

use std::path::Path;

use crate::common::{self, displayed_sheet, docx_text, stdout, Workdir};
use planmon::forms;
use planmon::plan::Plan;
use planmon::sample;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// A `.filter(` over observations or findings in a line of code.
fn filters_figures(line: &str) -> bool {
    let code = line.split("//").next().unwrap_or("");
    let lower = code.to_lowercase();
    code.contains(".filter(") && (lower.contains("observation") || lower.contains("finding"))
}

#[test]
fn renderers_and_commands_only_format_the_assessment() {
    assert!(filters_figures("    let n = a.findings.iter().filter(|f| f.year == y).count();"));
    assert!(!filters_figures("    // findings.iter().filter(...) is what we do not do"));
    assert!(!filters_figures("    let own = f.covers.iter().filter(|c| !c.secondary);"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for dir in ["render", "cmd"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() >= 8, "{files:?}");
    let mut found = Vec::new();
    for f in &files {
        for (k, line) in std::fs::read_to_string(f).unwrap().lines().enumerate() {
            if filters_figures(line) {
                found.push(format!("{}:{}: {}", f.display(), k + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "filters over the figures or findings outside the assessment:\n{}", found.join("\n"));
}

/// The sample's input in a work folder, with the return of `unit` for `year` written
/// again from its sample figures changed by `change`.
fn sample_with(unit: &str, year: i32, change: impl FnOnce(&mut forms::Filled)) -> Workdir {
    let w = Workdir::with_input(&Path::new(env!("CARGO_MANIFEST_DIR")).join("input"));
    let plan = Plan::embedded().unwrap();
    let series = sample::synthetic_series(&plan, 2023, plan.end);
    let mut filled = sample::sample_filled(&plan, unit, year, &series, 2023);
    change(&mut filled);
    let bytes = forms::return_workbook(&plan, unit, year, Some(&filled), 1_767_000_000).unwrap();
    std::fs::write(w.input().join(format!("{unit}_{year}年度填报表.xlsx")), bytes).unwrap();
    w
}

#[test]
fn a_task_reported_done_while_its_project_is_unfinished_is_found_and_shown_in_progress() {
    let w = sample_with("市卫生健康局", 2025, |f| {
        f.tasks.insert("K05".into(), ("已完成".into(), "已按期完成".into()));
        f.projects.insert("P13".into(), (12000.0, 11000.0, 95.0, "在建".into()));
    });
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let findings = w.csv("findings.csv");
    let mismatch: Vec<_> = findings
        .iter()
        .filter(|f| f["code"] == "task_project_mismatch" && f["department"] == "市卫生健康局" && f["message"].contains("重点任务"))
        .collect();
    assert_eq!(mismatch.len(), 1, "{findings:#?}");
    let m = &mismatch[0]["message"];
    for part in [
        "重点任务“完成仁怀市精神病医院(心理干预咨询中心)项目建设”报为已完成",
        "仁怀市精神病医院(心理干预咨询中心)项目",
        "95%",
        "尚未完工",
        "推进中",
    ] {
        assert!(m.contains(part), "{m} lacks {part}");
    }
    assert_eq!(mismatch[0]["sheet"], "重点任务", "the task's own cell: {:?}", mismatch[0]);
    // The report shows one state, with the reason, in PDF and Word alike.
    let word = docx_text(&w.output().join("仁怀市公共服务发展行动方案实施情况终期评估报告.docx"));
    let row = word
        .tables
        .iter()
        .flat_map(|t| t.iter())
        .find(|r| r.first().is_some_and(|c| c == "完成仁怀市精神病医院(心理干预咨询中心)项目建设"))
        .expect("the task's row");
    let shown = row.join("|");
    assert_eq!(row[3], "推进中（已到期）", "the task is shown in progress: {shown}");
    assert!(row[4].starts_with("报为已完成，但项目“仁怀市精神病医院(心理干预咨询中心)项目”（在建，形象进度95%）尚未完工"), "{shown}");
    let text: String =
        common::pdf_text(&w.output().join("仁怀市公共服务发展行动方案实施情况终期评估报告.pdf"), false).split_whitespace().collect();
    assert!(text.contains("报为已完成，但项目"), "the PDF gives the reason");
    // The unit's feedback sheet lists it.
    let fb = docx_text(&w.output().join("反馈单/市卫生健康局_2025年度填报数据反馈单.docx"));
    assert!(fb.paragraphs.iter().chain(fb.tables.iter().flatten().flatten()).any(|p| p.contains("报为已完成，但项目")));
}

#[test]
fn a_task_still_open_while_its_projects_are_finished_is_found() {
    let w = sample_with("市卫生健康局", 2025, |f| {
        f.tasks.insert("K05".into(), ("推进中".into(), "".into()));
        f.projects.insert("P13".into(), (12000.0, 12000.0, 100.0, "已完工".into()));
    });
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let findings = w.csv("findings.csv");
    let m = findings
        .iter()
        .find(|f| f["code"] == "task_project_mismatch" && f["department"] == "市卫生健康局" && f["message"].contains("重点任务"))
        .expect("a finding");
    assert!(m["message"].contains("报为推进中，但所涉项目") && m["message"].contains("已达到任务要求"), "{}", m["message"]);
}

#[test]
fn every_return_dated_after_the_documents_is_told_to_its_unit() {
    let w = Workdir::with_input(&Path::new(env!("CARGO_MANIFEST_DIR")).join("input"));
    let out = w.run(&["run", "--date", "2026-01-06"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    // The returns of the year whose 填报日期 is after 2026-01-06, from the manifest.
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(w.output().join("manifest.json")).unwrap()).unwrap();
    let later: Vec<&serde_json::Value> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["year"] == 2025 && f["filled_date"].as_str().is_some_and(|d| d > "2026-01-06"))
        .collect();
    assert!(later.len() > 1, "the sample has several returns dated after the 6th: {}", later.len());
    let findings = w.csv("findings.csv");
    let dated: Vec<_> = findings.iter().filter(|f| f["code"] == "date_before_returns").collect();
    assert_eq!(dated.len(), later.len(), "one warning per later return, not only the latest: {dated:#?}");
    for f in &later {
        let file = f["file"].as_str().unwrap();
        let unit = f["department"].as_str().unwrap();
        let w_ = dated.iter().find(|d| d["file"] == file).unwrap_or_else(|| panic!("no warning for {file}"));
        assert_eq!(w_["severity"], "warning");
        assert_eq!(w_["department"], unit, "told to the unit");
        assert_eq!(
            (w_["sheet"].as_str(), w_["cell"].as_str()),
            (f["filled_at"][0].as_str().unwrap(), f["filled_at"][1].as_str().unwrap()),
            "at its cell"
        );
        assert!(w_["message"].contains("晚于本次汇总报告和反馈单的成文日期2026年1月6日"), "{}", w_["message"]);
        // On that unit's feedback sheet.
        let fb = docx_text(&w.output().join(format!("反馈单/{unit}_2025年度填报数据反馈单.docx")));
        assert!(fb.tables.iter().flatten().flatten().any(|c| c.contains("晚于本次汇总报告和反馈单的成文日期")), "{unit}'s sheet");
    }
    // The report says so, and that every finding counted reached a unit.
    let text: String = common::without_page_numbers(&common::flat(&common::pdf_text(
        &w.output().join("仁怀市公共服务发展行动方案实施情况终期评估报告.pdf"),
        false,
    )));
    assert!(text.contains(&format!("{}份填报表所填的填报日期晚于本报告的成文日期，已请报送单位核对", later.len())), "{text}");
    assert!(text.contains("已逐条反馈各单位"), "{text}");
    assert!(stdout(&out).contains(&format!("{}份填报表的填报日期晚于成文日期2026年1月6日", later.len())), "{}", stdout(&out));
    // And a date after them says nothing.
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success());
    assert!(!w.csv("findings.csv").iter().any(|f| f["code"] == "date_before_returns"));
    let text: String = common::without_page_numbers(&common::flat(&common::pdf_text(
        &w.output().join("仁怀市公共服务发展行动方案实施情况终期评估报告.pdf"),
        false,
    )));
    assert!(!text.contains("晚于本报告的成文日期"), "{text}");
}

#[test]
fn a_return_dated_after_the_documents_is_neither_on_time_nor_late() {
    // The sample's returns of 2025 dated after the deadline (2026-01-31): late when the
    // documents are dated after them, neither on time nor late when dated before (the
    // file was in hand; its 填报日期 cannot be when it came in).
    let w = Workdir::with_input(&Path::new(env!("CARGO_MANIFEST_DIR")).join("input"));
    let manifest =
        |w: &Workdir| -> serde_json::Value { serde_json::from_slice(&std::fs::read(w.output().join("manifest.json")).unwrap()).unwrap() };
    let book = w.output().join("仁怀市公共服务发展行动方案监测汇总表（2025年度）.xlsx");
    let pdf = w.output().join("仁怀市公共服务发展行动方案实施情况终期评估报告.pdf");
    let report = || common::without_page_numbers(&common::flat(&common::pdf_text(&pdf, false)));
    let unit_row = |unit: &str| -> std::collections::HashMap<String, String> {
        let rows = displayed_sheet(&book, "部门填报情况");
        let row = rows.iter().find(|r| r[0] == unit).unwrap_or_else(|| panic!("no row for {unit}"));
        rows[0].iter().cloned().zip(row.iter().cloned()).collect()
    };
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let late: Vec<(String, String)> = manifest(&w)["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["year"] == 2025 && f["filled_date"].as_str().is_some_and(|d| d > "2026-01-31"))
        .map(|f| (f["department"].as_str().unwrap().to_string(), f["filled_date"].as_str().unwrap().to_string()))
        .collect();
    assert!(!late.is_empty(), "the sample has a return of 2025 dated after the deadline");
    let text = report();
    assert!(text.contains(&format!("逾期报送{}份", late.len())), "{text}");
    for (unit, _) in &late {
        assert_eq!(unit_row(unit)["逾期报送（份）"], "1", "{unit}");
        assert_eq!(unit_row(unit)["日期晚于成文日期未判定（份）"], "0", "{unit}");
        let fb = common::flat(&common::pdf_text(&w.output().join(format!("反馈单/{unit}_2025年度填报数据反馈单.pdf")), false));
        assert!(fb.contains("晚于报送时限"), "{unit}: {fb}");
    }
    // Dated before those returns' dates, and before the deadline.
    let out = w.run(&["run", "--date", "2026-01-20"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = report();
    // Only said to be late if its date is right.
    assert!(text.contains("“按时报送”不含无法判定是否按时的填报表"), "{text}");
    assert!(text.contains("（所填日期也晚于报送时限，如无误即为逾期）"), "{text}");
    assert!(!text.replace("如无误即为逾期", "").contains("逾期"), "nothing is said late: {text}");
    for (unit, _) in &late {
        let row = unit_row(unit);
        assert_eq!((row["逾期报送（份）"].as_str(), row["日期晚于成文日期未判定（份）"].as_str()), ("0", "1"), "{unit}: {row:?}");
        assert!(text.contains(&format!("{unit}1份")), "{unit} named under 表2: {text}");
        let fb = common::flat(&common::pdf_text(&w.output().join(format!("反馈单/{unit}_2025年度填报数据反馈单.pdf")), false));
        // Late only if its date is right.
        assert!(!fb.replace("如填报日期无误，即晚于报送时限", "").contains("晚于报送时限"), "{unit}: {fb}");
        assert!(fb.contains("晚于本次汇总报告和反馈单的成文日期"), "{unit}: {fb}");
        assert!(
            fb.contains("本次汇总未把这份填报表计为按时报送，也未计为逾期；如填报日期无误，即晚于报送时限（2026年1月31日）"),
            "{unit}: {fb}"
        );
    }
    // A year whose returns are dated after the documents but within the deadline, as is
    // the 成文日期: on time whichever date is true.
    let out = w.run(&["run", "--year", "2024", "--date", "2025-01-20"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let dated_after: Vec<String> = manifest(&w)["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["year"] == 2024 && f["filled_date"].as_str().is_some_and(|d| ("2025-01-21"..="2025-01-31").contains(&d)))
        .map(|f| f["department"].as_str().unwrap().to_string())
        .collect();
    assert!(!dated_after.is_empty(), "the sample has 2024 returns dated after 2025-01-20, within the deadline");
    let book = w.output().join("仁怀市公共服务发展行动方案监测汇总表（2024年度）.xlsx");
    let rows = displayed_sheet(&book, "部门填报情况");
    for unit in &dated_after {
        let row: std::collections::HashMap<String, String> =
            rows[0].iter().cloned().zip(rows.iter().find(|r| &r[0] == unit).unwrap().iter().cloned()).collect();
        assert_eq!(row["按时报送（份）"], row["已报送（份）"], "{unit}: {row:?}");
        assert_eq!(row["日期晚于成文日期未判定（份）"], "0", "{unit}: {row:?}");
        let fb = common::flat(&common::pdf_text(&w.output().join(format!("反馈单/{unit}_2024年度填报数据反馈单.pdf")), false));
        assert!(fb.contains("所填日期和成文日期都在报送时限（2025年1月31日）以内，本次汇总仍计为按时报送"), "{unit}: {fb}");
    }
}

#[test]
fn the_report_counts_as_fed_back_only_what_a_unit_was_told() {
    // A file that is no return (no unit to tell) and the rest of the sample.
    let w = Workdir::with_input(&Path::new(env!("CARGO_MANIFEST_DIR")).join("input"));
    std::fs::write(w.input().join("说明.xlsx"), "不是表格").unwrap();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let findings = w.csv("findings.csv");
    let count = |sev: &str, unit: bool| findings.iter().filter(|f| f["severity"] == sev && f["department"].is_empty() != unit).count();
    let (e_units, w_units, e_none, w_none) = (count("error", true), count("warning", true), count("error", false), count("warning", false));
    assert!(e_none + w_none > 0 && e_units + w_units > 0, "{findings:#?}");
    let text: String = common::without_page_numbers(&common::flat(&common::pdf_text(
        &w.output().join("仁怀市公共服务发展行动方案实施情况终期评估报告.pdf"),
        false,
    )));
    let said = |e: usize, w: usize| match (e, w) {
        (e, 0) => format!("错误{e}处"),
        (0, w) => format!("警告{w}处"),
        (e, w) => format!("错误{e}处、警告{w}处"),
    };
    let expected =
        format!("其中{}已逐条反馈各单位，{}涉及未能确定报送单位的文件或本次汇总本身", said(e_units, w_units), said(e_none, w_none));
    assert!(text.contains(&expected), "{expected} not in {text}");
}

#[test]
fn the_display_never_changes_a_number() {
    // 10.8 years stays 10.8 where the target is 11; 7 decimals are shown as reported
    // up to the indicator's stated precision; counts are whole.
    let w = sample_with("市教育体育局", 2025, |f| {
        f.values.insert("G09".into(), (Some(10.8), Some(10.85)));
        f.values.insert("G08".into(), (Some(2896.0), Some(3012.5)));
    });
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let book = w.output().join("仁怀市公共服务发展行动方案监测汇总表（2025年度）.xlsx");
    let rows = displayed_sheet(&book, "指标进展");
    let head = &rows[0];
    let col = |n: &str| head.iter().position(|h| h == n).unwrap();
    let g09 = rows.iter().find(|r| r[col("编号")] == "G09").unwrap();
    assert_eq!((g09[col("2024年")].as_str(), g09[col("2025年")].as_str()), ("10.80", "10.85"), "{g09:?}");
    // 2025 is the plan's last year: the outcome, not a status of the year.
    assert_eq!(g09[col("完成情况")], "基本完成", "10.85 years is short of 11: {g09:?}");
    let g08 = rows.iter().find(|r| r[col("编号")] == "G08").unwrap();
    assert_eq!(g08[col("2025年")], "3012.5", "{g08:?}");
    let report = docx_text(&w.output().join("仁怀市公共服务发展行动方案实施情况终期评估报告.docx"));
    let row = report.tables.iter().flatten().find(|r| r.first().is_some_and(|c| c == "G09")).unwrap();
    assert!(row.contains(&"10.85".to_string()) && row.contains(&"10.80".to_string()), "{row:?}");
}

#[test]
fn blank_returns_prefill_the_figure_of_the_corrected_return() {
    let w = Workdir::with_input(&Path::new(env!("CARGO_MANIFEST_DIR")).join("input"));
    let plan = Plan::embedded().unwrap();
    let series = sample::synthetic_series(&plan, 2023, plan.end);
    // A corrected 2025 return of 市教育体育局 (修改版, dated later) with another G03.
    let mut filled = sample::sample_filled(&plan, "市教育体育局", 2025, &series, 2023);
    let old = filled.values["G03"].1.unwrap();
    filled.values.insert("G03".into(), (filled.values["G03"].0, Some(96.4)));
    filled.date = "2026年2月20日".into();
    let bytes = forms::return_workbook(&plan, "市教育体育局", 2025, Some(&filled), 1_771_000_000).unwrap();
    std::fs::write(w.input().join("市教育体育局_2025年度填报表（修改版）.xlsx"), bytes).unwrap();
    assert_ne!(old, 96.4);
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let used = w.csv("progress.csv").into_iter().find(|r| r["indicator_id"] == "G03" && r["year"] == "2025").unwrap();
    assert_eq!(used["value"], "96.4");
    let forms_dir = w.path().join("blank");
    let out = w.run(&["templates", "--year", "2026", "--output", forms_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let form = forms_dir.join("市教育体育局_2026年度填报表.xlsx");
    let rows = displayed_sheet(&form, forms::INDICATOR_SHEET);
    let row = rows.iter().find(|r| r.iter().any(|c| c == "G03")).unwrap_or_else(|| panic!("{rows:?}"));
    assert!(row.iter().any(|c| c == "96.4"), "上年值 is the corrected figure: {row:?}");
    assert!(!row.iter().any(|c| *c == planmon::text::fmt_num(old, 4)), "the replaced figure {old} is prefilled: {row:?}");
}

#[test]
fn a_plan_table_without_seq_numbers_gives_the_same_main_and_task_split() {
    // The split is the plan's `kind`, enforced when the plan is loaded: numbering the
    // goals or not changes nothing in any document.
    let dir = tempfile::tempdir().unwrap();
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    common::copy_dir(&templates, dir.path());
    let table = std::fs::read_to_string(dir.path().join("indicators.toml")).unwrap();
    let without: String = table.lines().filter(|l| !l.trim_start().starts_with("seq =")).map(|l| format!("{l}\n")).collect();
    assert!(without.len() < table.len(), "the table has 序号 to take away");
    std::fs::write(dir.path().join("indicators.toml"), without).unwrap();
    let runs: Vec<Workdir> = [None, Some(dir.path())]
        .into_iter()
        .map(|t| {
            let w = Workdir::with_input(&Path::new(env!("CARGO_MANIFEST_DIR")).join("input"));
            let mut args = vec!["run", "--date", "2026-03-01"];
            if let Some(t) = t {
                args.extend(["--templates", t.to_str().unwrap()]);
            }
            let out = w.run(&args);
            assert!(out.status.success(), "{}", common::stderr(&out));
            w
        })
        .collect();
    let summary = |w: &Workdir| -> Vec<(String, usize)> {
        let book = w.output().join("仁怀市公共服务发展行动方案监测汇总表（2025年度）.xlsx");
        ["指标进展", "任务指标"].iter().map(|s| (s.to_string(), displayed_sheet(&book, s).len())).collect()
    };
    assert_eq!(summary(&runs[0]), summary(&runs[1]));
    let overview = |w: &Workdir| -> String {
        let doc = docx_text(&w.output().join("仁怀市公共服务发展行动方案实施情况终期评估报告.docx"));
        doc.paragraphs.into_iter().find(|p| p.contains("项主要发展指标中")).unwrap()
    };
    assert_eq!(overview(&runs[0]), overview(&runs[1]));
}
