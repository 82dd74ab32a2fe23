//! A long property test standing in for a fuzzer: damaged copies of real returns (bytes
//! flipped, cut short, zeroed) are read; the reader must refuse or read them. A panic in
//! calamine is contained as a finding; one in planmon's own code fails the test.
//! PLANMON_FUZZ_CASES sets the number of cases (default 150 per format).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use planmon::plan::Plan;
use planmon::read;

fn cases() -> u32 {
    std::env::var("PLANMON_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(150)
}

fn fuzz(seed_file: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(seed_file);
    let original = std::fs::read(&path).unwrap();
    let ext = path.extension().unwrap().to_string_lossy().into_owned();
    let plan = Plan::embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let len = original.len();
    let edits = prop::collection::vec((0..len, any::<u8>(), 0u8..3), 1..6);
    let mut runner = TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    runner
        // Mostly whole files with damaged bytes, sometimes cut short.
        .run(&(edits, prop_oneof![3 => Just(len), 1 => 0..=len]), |(edits, cut)| {
            let mut bytes = original.clone();
            for (at, byte, how) in edits {
                match how {
                    0 => bytes[at] = byte,
                    1 => bytes[at] ^= 1 << (byte % 8),
                    _ => bytes[at] = 0,
                }
            }
            bytes.truncate(cut.max(1));
            let file = dir.path().join(format!("damaged.{ext}"));
            std::fs::write(&file, &bytes).unwrap();
            let out = read::read_files(&plan, &[file]);
            // A panic inside calamine on a damaged file is contained and reported (the
            // finding names where it happened); our own code must not panic at all.
            for f in out.findings.iter().filter(|f| f.code == "read_crashed") {
                prop_assert!(f.message.contains("calamine-"), "planmon itself panicked: {}", f.message);
            }
            prop_assert_eq!(out.files.len(), 1);
            Ok(())
        })
        .unwrap();
}

#[test]
fn fuzz_damaged_xlsx_never_panics() {
    fuzz("skeleton/市卫生健康局_2024年度填报表.xlsx");
}

#[test]
fn fuzz_damaged_xls_never_panics() {
    fuzz("formats/市卫生健康局_2024年度填报表.xls");
}

#[test]
fn fuzz_damaged_ods_never_panics() {
    fuzz("formats/市卫生健康局_2024年度填报表.ods");
}
