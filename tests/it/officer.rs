//! The officer's experience: the summary at the end, a progress bar only on a terminal,
//! --quiet and --json, `planmon init` giving a working folder, help text with examples.

use crate::common;

use std::process::Command;

use crate::common::{stderr, stdout, Workdir};

#[test]
fn officer_summary_without_a_terminal_has_no_progress_bar() {
    let w = Workdir::new("skeleton");
    let out = w.run(&["run"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for expected in [
        "2024年度汇总完成：读取填报表 2 份，拒收 2 份",
        "数据问题：错误",
        "拒收：会议通知.xlsx",
        "主要指标：已达标",
        "已生成：",
        "进展报告：output/仁怀市公共服务发展行动方案实施进展报告（2024年度）.pdf",
        "反馈单：output/反馈单/市卫生健康局_2024年度填报数据反馈单.pdf",
        "运行清单：output/manifest.json",
    ] {
        assert!(text.contains(expected), "summary lacks {expected}:\n{text}");
    }
    assert!(!stderr(&out).contains("读取填报表 ["), "progress bar drawn without a terminal");
}

#[test]
fn officer_json_summary_of_run_and_check() {
    let w = Workdir::new("skeleton");
    let out = w.run(&["run", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("run --json prints JSON only");
    assert_eq!(v["year"], 2024);
    assert_eq!(v["returns"]["read"], 2);
    assert_eq!(v["returns"]["rejected"], 2);
    let total: u64 = v["indicators_by_status"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(total, 30);
    assert!(v["findings"]["error"].as_u64().unwrap() >= 2);
    assert!(v["outputs"].as_array().unwrap().iter().any(|o| o["what"] == "汇总表"));

    let out = w.run(&["check", "--json", "input/市卫生健康局_2024年度填报表.xlsx"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("check --json prints JSON only");
    let obs = v["observations"].as_array().unwrap();
    assert!(obs.iter().any(|o| o["indicator_id"] == "G01" && o["value"] == 3.9 && o["cell"] == "H4"));
    assert_eq!(v["files"][0]["department"], "市卫生健康局");
}

#[test]
fn officer_init_makes_a_working_folder_the_binary_alone_can_use() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_planmon")).args(["init", "监测", "--sample"]).current_dir(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let work = dir.path().join("监测");
    for f in [
        "planmon.toml",
        "templates/indicators.toml",
        "templates/units.toml",
        "templates/rules.toml",
        "templates/report.typ",
        "input",
        "output",
    ] {
        assert!(work.join(f).exists(), "init did not make {f}");
    }
    // Edit the copies: a new issuing office and file name, a changed target.
    let toml = std::fs::read_to_string(work.join("planmon.toml")).unwrap();
    std::fs::write(
        work.join("planmon.toml"),
        toml.replace("office = \"仁怀市发展和改革局\"", "office = \"仁怀市发展和改革局（规划科）\"").replace(
            "# report_name = \"仁怀市公共服务发展行动方案实施进展报告（{year}年度）.pdf\"",
            "report_name = \"仁怀市公共服务发展行动方案终期评估数据报告（{year}年度）.pdf\"",
        ),
    )
    .unwrap();
    let ind = std::fs::read_to_string(work.join("templates/indicators.toml")).unwrap();
    std::fs::write(work.join("templates/indicators.toml"), ind.replacen("target = 4.8\n", "target = 5.0\n", 1)).unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_planmon")).current_dir(&work).env("SOURCE_DATE_EPOCH", "1767225600").output().unwrap();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let report = work.join("output/仁怀市公共服务发展行动方案终期评估数据报告（2025年度）.pdf");
    assert!(report.is_file(), "{}", stdout(&out));
    assert!(work.join("output/反馈单/市卫生健康局_2025年度填报数据反馈单.pdf").is_file());
    let progress = common::parse_csv(&std::fs::read(work.join("output/progress.csv")).unwrap());
    assert_eq!(progress.iter().find(|p| p["indicator_id"] == "G01").unwrap()["target"], "5", "the edited plan table is used");
    {
        let text = common::pdf_text(&report, false);
        assert!(text.contains("规划科"), "the issuing office from planmon.toml");
    }
    // Running init again keeps the edits.
    let again = Command::new(env!("CARGO_BIN_EXE_planmon")).args(["init", "监测"]).current_dir(dir.path()).output().unwrap();
    assert!(stdout(&again).contains("已存在，未覆盖"));
    assert!(std::fs::read_to_string(work.join("planmon.toml")).unwrap().contains("规划科"));
}

#[test]
fn officer_a_broken_planmon_toml_is_a_clear_message() {
    let w = Workdir::new("skeleton");
    std::fs::write(w.path().join("planmon.toml"), "deadline = \"1月31日\"\n").unwrap();
    let out = w.run(&["run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("应写成“月-日”"), "{}", stderr(&out));
}

#[test]
fn officer_help_is_in_chinese_with_examples() {
    for args in [vec!["--help"], vec!["run", "--help"], vec!["check", "--help"], vec!["templates", "--help"], vec!["init", "--help"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_planmon")).args(&args).output().unwrap();
        assert!(out.status.success());
        let text = stdout(&out);
        assert!(text.contains("例："), "{args:?} help has no example:\n{text}");
        // Every option line of a subcommand's help carries an example.
        if args.len() == 2 {
            for block in text.split("\n  -").skip(1).filter(|b| !b.starts_with("h, --help")) {
                assert!(block.contains("例："), "{args:?}: option without an example:\n  -{block}");
            }
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_planmon")).arg("--help").output().unwrap();
    assert!(stdout(&out).contains("运行汇总"));
}

#[test]
fn check_on_a_folder_reads_the_returns_in_it() {
    let w = Workdir::new("skeleton");
    let out = w.run(&["check", "input"]);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{}", stderr(&out));
    let text = stdout(&out);
    let names: Vec<String> =
        std::fs::read_dir(w.input()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert!(!names.is_empty());
    for n in &names {
        assert!(text.contains(n.as_str()), "check of the folder does not name {n}:\n{text}");
    }
    assert!(!text.contains("不是一个普通文件"), "{text}");
}
