//! Every finding code is raised by a case and its message checked: the returns in
//! tests/fixtures/codes (made by tests/fixtures/make_codes.py from the sample, each
//! breaking one rule), special files made here, and — for each code — a guard that some
//! test names it.

use std::collections::HashMap;
use std::path::Path;

use crate::common::{self, Workdir};

/// (code, file, cell, parts of the message)
const CASES: &[(&str, &str, &str, &[&str])] = &[
    ("outlier", "市卫生健康局_2025年度填报表.xlsx", "H4", &["2025年为 48 个，2024年为 4.7 个", "变化超过50%", "请核实"]),
    ("out_of_range", "市卫生健康局_2025年度填报表.xlsx", "H4", &["数值 48 个 超出合理范围"]),
    ("previous_differs", "市卫生健康局_2025年度填报表.xlsx", "G5", &["上年值 2.5 人 与本单位2024年度填报的 2.79 人", "不一致"]),
    ("cumulative_falls", "市卫生健康局_2025年度填报表.xlsx", "H7", &["累计指标2025年为 600 个，低于2024年为 675 个", "累计数不应减少"]),
    ("formula_error", "市卫生健康局_2025年度填报表.xlsx", "H8", &["单元格是错误值（#DIV/0!）", "请检查公式或直接填写数值"]),
    (
        "not_responsible",
        "市卫生健康局_2025年度填报表.xlsx",
        "H23",
        &["本单位不是指标“学前教育毛入园率”的责任单位（责任单位：市教育体育局）"],
    ),
    ("project_not_a_number", "市卫生健康局_2025年度填报表.xlsx", "C3", &["“待定”不是数字，未采用"]),
    ("project_progress_range", "市卫生健康局_2025年度填报表.xlsx", "E4", &["形象进度 120% 超出 0—100%"]),
    ("project_status_mismatch", "市卫生健康局_2025年度填报表.xlsx", "F5", &["状态为“已完工”，但形象进度为 60%"]),
    ("project_falls", "市卫生健康局_2025年度填报表.xlsx", "D6", &["累计完成投资2025年为 100 万元，低于2024年的 4339 万元", "不应减少"]),
    ("project_overspent", "市卫生健康局_2025年度填报表.xlsx", "D7", &["累计完成投资 5000 万元超过计划总投资 1940 万元"]),
    ("project_missing", "市卫生健康局_2025年度填报表.xlsx", "", &["没有项目“中枢街道托育中心项目”（P04）的进展", "请在“项目进展”表中补报"]),
    ("task_state_unknown", "市卫生健康局_2025年度填报表.xlsx", "D3", &["完成情况“不清楚”无法识别", "请填“已完成”“推进中”或“未启动”"]),
    ("missing_value", "市卫生健康局_2025年度填报表.xlsx", "", &["缺少指标 T02“社会力量举办托育服务机构新增托位”的数值", "请补报"]),
    ("unit_name_mismatch", "市医保局_2025年度填报表.xlsx", "C2", &["表内填报单位为“市民政局”，文件名中的单位为“市医保局”"]),
    ("return_outside_plan", "市退役军人事务局_2021年度填报表.xlsx", "", &["这是2021年度的填报表，不在规划期（2023—2025年）内"]),
    ("year_outside_plan", "市退役军人事务局_2021年度填报表.xlsx", "H4", &["2021年不在规划期（基期2022年，2023—2025年）内"]),
    ("sheet_unreadable", "市文化旅游局_2025年度填报表.xlsx", "", &["工作表无法读取：内容不完整或已损坏", "其余工作表照常读取"]),
    ("formats_unreadable", "市城建集团_2025年度填报表.xlsx", "", &["无法读出这个工作表的单元格格式", "按单元格中存的数值读取"]),
    ("not_spreadsheet", "说明.txt", "", &["不是表格文件", "已跳过"]),
];

#[test]
fn each_broken_rule_gives_its_finding_on_its_cell() {
    let w = Workdir::new("codes");
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let findings = w.csv("findings.csv");
    for (code, file, cell, parts) in CASES {
        let found: Vec<&HashMap<String, String>> =
            findings.iter().filter(|f| f["code"] == *code && f["file"] == *file && f["cell"] == *cell).collect();
        assert!(!found.is_empty(), "no {code} at {file} {cell}: {findings:#?}");
        for part in *parts {
            assert!(found.iter().any(|f| f["message"].contains(part)), "{code}: no message with {part:?}: {found:#?}");
        }
    }
    // The return for a year before the plan is told in the plan's report too.
    assert!(findings.iter().any(|f| f["code"] == "return_outside_plan"));
    // The rest of a return with a broken sheet is read.
    let obs = w.csv("observations.csv");
    assert!(obs.iter().any(|o| o["file"] == "市文化旅游局_2025年度填报表.xlsx"), "the readable sheets are read");
    assert!(obs.iter().any(|o| o["file"] == "市城建集团_2025年度填报表.xlsx"), "read as stored");
}

#[test]
fn a_missing_input_folder_and_a_missing_file_are_told() {
    let plan = planmon::plan::Plan::embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let read = planmon::read::read_inputs(&plan, &dir.path().join("没有这个文件夹"));
    let f = read.findings.iter().find(|f| f.code.as_str() == "input_unreadable").expect("input_unreadable");
    assert!(f.message.starts_with("无法打开输入文件夹："), "{}", f.message);
    let gone = dir.path().join("市民政局_2025年度填报表.xlsx");
    let read = planmon::read::read_files_with(&plan, &[gone], &planmon::read::Isolation::Threads);
    let f = read.findings.iter().find(|f| f.code.as_str() == "file_unreadable").expect("file_unreadable");
    assert!(f.message.starts_with("无法读取文件："), "{}", f.message);
}

#[cfg(unix)]
#[test]
fn links_and_pipes_in_the_input_folder_are_skipped_with_a_finding() {
    let w = Workdir::new("skeleton");
    let outside = tempfile::tempdir().unwrap();
    std::fs::copy(
        w.input().join(std::fs::read_dir(w.input()).unwrap().flatten().next().unwrap().file_name()),
        outside.path().join("a.xlsx"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path().join("a.xlsx"), w.input().join("链接.xlsx")).unwrap();
    let fifo = w.input().join("管道.xlsx");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let findings = w.csv("findings.csv");
    let link = findings.iter().find(|f| f["code"] == "symlink_skipped").unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(link["file"], "链接.xlsx");
    assert!(link["message"].contains("链接"), "{}", link["message"]);
    let pipe = findings.iter().find(|f| f["code"] == "not_a_file").unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(pipe["file"], "管道.xlsx");
    assert!(pipe["message"].contains("不是一个普通文件") || pipe["message"].contains("这不是一个普通文件"), "{}", pipe["message"]);
}

#[test]
fn a_folder_without_figures_is_reported_for_the_plans_last_year() {
    let w = Workdir::empty();
    std::fs::create_dir_all(w.input()).unwrap();
    std::fs::write(w.input().join("说明.txt"), "不是填报表").unwrap();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let findings = w.csv("findings.csv");
    let f = findings.iter().find(|f| f["code"] == "no_year").unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(f["message"], "没有从填报表中读到任何年度的数据，按规划末年2025年生成报告。");
}

/// Every code planmon can raise (src/finding.rs) is named in some test, where its
/// message is checked.
#[test]
fn every_finding_code_is_named_in_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("src/finding.rs")).unwrap();
    let block = &source[source.find("codes! {").unwrap()..];
    let block = &block[..block.find("\n}").unwrap()];
    let names: Vec<&str> = block.lines().filter_map(|l| l.split(" = \"").nth(1)).map(|n| n.trim_end_matches("\",")).collect();
    assert!(names.len() > 60, "{names:?}");
    let mut tests = String::new();
    fn gather(dir: &Path, out: &mut String) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                gather(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push_str(&std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    gather(&root.join("tests"), &mut tests);
    // A name as a word of its own (not a part of a longer name).
    let named = |n: &str| {
        tests.match_indices(n).any(|(k, _)| {
            let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c == '_');
            !word(tests[..k].chars().next_back()) && !word(tests[k + n.len()..].chars().next())
        })
    };
    let unnamed: Vec<&&str> = names.iter().filter(|n| !named(n)).collect();
    assert!(unnamed.is_empty(), "finding codes no test names: {unnamed:?}");
}
