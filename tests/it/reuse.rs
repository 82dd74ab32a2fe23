//! A rerun takes a document of the last run as it is only when it would write the same
//! bytes: same build, templates, data and date, and the file in the output folder is
//! the one recorded. Each case compares the rerun's documents with a run from nothing
//! in a folder of its own.

use std::path::Path;

use crate::common::{self, pdf_text, stderr, Workdir};

const REPORT: &str = "仁怀市公共服务发展行动方案实施进展报告（2024年度）.pdf";
const REPORT_WORD: &str = "仁怀市公共服务发展行动方案实施进展报告（2024年度）.docx";
const SHEET: &str = "反馈单/市卫生健康局_2024年度填报数据反馈单.pdf";
const SHEET_WORD: &str = "反馈单/市卫生健康局_2024年度填报数据反馈单.docx";
const DOCUMENTS: [&str; 4] = [REPORT, REPORT_WORD, SHEET, SHEET_WORD];

fn run(w: &Workdir, args: &[&str]) {
    let out = w.run(args);
    assert!(out.status.success(), "{}\n{}", common::stdout(&out), stderr(&out));
}

/// The documents of a run from nothing of `case` with `args`.
fn from_nothing(case: &str, args: &[&str], templates: Option<&Path>) -> Vec<Vec<u8>> {
    let w = Workdir::new(case);
    if let Some(t) = templates {
        std::fs::create_dir_all(w.path().join("my-templates")).unwrap();
        common::copy_dir(t, &w.path().join("my-templates"));
    }
    run(&w, args);
    DOCUMENTS.iter().map(|d| w.read_output(d)).collect()
}

fn documents(w: &Workdir) -> Vec<Vec<u8>> {
    DOCUMENTS.iter().map(|d| w.read_output(d)).collect()
}

/// The key the manifest records for each output.
fn keys(w: &Workdir) -> std::collections::HashMap<String, Option<String>> {
    let manifest: serde_json::Value = serde_json::from_slice(&w.read_output("manifest.json")).unwrap();
    manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["file"].as_str().unwrap().to_string(), o["key"].as_str().map(str::to_string)))
        .collect()
}

#[test]
fn a_rerun_of_the_same_writes_the_bytes_a_run_from_nothing_writes() {
    let w = Workdir::new("skeleton");
    run(&w, &["run"]);
    let first_keys = keys(&w);
    // Documents have keys; the tables, which are always made anew, do not.
    for d in DOCUMENTS {
        assert!(first_keys[d].as_ref().is_some_and(|k| k.len() == 64), "{d}: {:?}", first_keys[d]);
    }
    assert_eq!(first_keys["findings.csv"], None);
    run(&w, &["run"]);
    assert_eq!(keys(&w), first_keys);
    assert!(documents(&w) == from_nothing("skeleton", &["run"], None), "a rerun's documents differ from a run's from nothing");
}

#[test]
fn a_document_changed_in_the_output_folder_is_made_again() {
    let w = Workdir::new("skeleton");
    run(&w, &["run"]);
    // The officer annotates a feedback sheet and the Word report in place.
    let mut sheet = w.read_output(SHEET);
    sheet.extend_from_slice(b"\n% annotated\n");
    std::fs::write(w.output().join(SHEET), &sheet).unwrap();
    std::fs::write(w.output().join(REPORT_WORD), b"not the report").unwrap();
    run(&w, &["run"]);
    assert!(documents(&w) == from_nothing("skeleton", &["run"], None), "a changed document was taken as it was");
    // What the officer changed is kept, not lost.
    let history = w.output().join("history");
    let kept: Vec<Vec<u8>> = common::files_below(&history).into_iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(kept.contains(&sheet), "the annotated sheet is not kept in history/");
}

#[test]
fn a_new_date_template_or_return_makes_the_documents_again() {
    let w = Workdir::new("skeleton");
    run(&w, &["run"]);
    let before = documents(&w);
    // Another date: every document is dated anew.
    run(&w, &["run", "--date", "2025-03-05"]);
    let dated = documents(&w);
    assert!(dated == from_nothing("skeleton", &["run", "--date", "2025-03-05"], None));
    for (k, d) in DOCUMENTS.iter().enumerate() {
        assert!(before[k] != dated[k], "{d} was not dated anew");
    }
    // An edited template: the feedback sheets are typeset with it.
    let templates = w.path().join("my-templates");
    std::fs::create_dir_all(&templates).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/feedback.typ");
    let text = std::fs::read_to_string(shipped).unwrap();
    let edited = text.replacen("#let d = json(", "[（新模板）]\n#let d = json(", 1);
    assert_ne!(edited, text, "the template's data line moved");
    std::fs::write(templates.join("feedback.typ"), edited).unwrap();
    run(&w, &["run", "--date", "2025-03-05", "--templates", "my-templates"]);
    assert!(pdf_text(&w.output().join(SHEET), false).contains("（新模板）"), "the edited template was not used");
    assert!(documents(&w) == from_nothing("skeleton", &["run", "--date", "2025-03-05", "--templates", "my-templates"], Some(&templates)));
    // A return withdrawn: the inputs are not those of the last run, and no PDF is
    // taken from it (each carries the inputs' fingerprint).
    let edited = documents(&w);
    std::fs::remove_file(w.input().join("市民政局_2024年度填报表.xlsx")).unwrap();
    run(&w, &["run", "--date", "2025-03-05", "--templates", "my-templates"]);
    let after = documents(&w);
    for k in [0, 2] {
        assert!(after[k] != edited[k], "{} was taken from the last run", DOCUMENTS[k]);
    }
}

#[test]
fn workers_of_another_build_do_nothing_and_the_run_makes_the_same_documents() {
    // The program file replaced while planmon runs (an update): the workers started
    // from it are another build than the run's, and refuse; the run does their work
    // itself, and every output is what this build makes.
    let w = Workdir::new("skeleton");
    let trace = w.path().join("trace.txt");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_planmon"))
        .arg("run")
        .current_dir(w.path())
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env("PLANMON_FAILPOINT_BUILD", "another build")
        .env("PLANMON_TRACE", &trace)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", common::stdout(&out), stderr(&out));
    let marks = std::fs::read_to_string(&trace).unwrap();
    assert!(marks.contains("worker typeset: another build"), "{marks}");
    assert!(marks.contains("worker read: another build"), "{marks}");
    assert!(!marks.contains("worker typeset: job"), "a worker of another build typeset a document:\n{marks}");
    assert!(documents(&w) == from_nothing("skeleton", &["run"], None), "the documents differ from a run's with its own workers");
    let plain = Workdir::new("skeleton");
    run(&plain, &["run"]);
    for csv in ["observations.csv", "findings.csv", "progress.csv"] {
        assert_eq!(w.read_output(csv), plain.read_output(csv), "{csv}");
    }
}
