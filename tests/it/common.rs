//! Helpers for the end-to-end tests: a temp work folder with fixture returns copied in,
//! the real binary run there, and the outputs read back.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn fixtures(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(case)
}

/// A temp folder with `input/` holding a copy of the fixture case.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new(case: &str) -> Workdir {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("input");
        std::fs::create_dir_all(&input).unwrap();
        copy_dir(&fixtures(case), &input);
        Workdir { dir }
    }

    /// A temp folder with an empty `input/`.
    pub fn empty() -> Workdir {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(tmp.path().join("input")).unwrap();
        Workdir { dir: tmp }
    }

    /// A temp folder with `input/` holding a copy of `dir` (e.g. the shipped sample).
    pub fn with_input(dir: &Path) -> Workdir {
        let tmp = tempfile::tempdir().expect("tempdir");
        let input = tmp.path().join("input");
        std::fs::create_dir_all(&input).unwrap();
        copy_dir(dir, &input);
        Workdir { dir: tmp }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn input(&self) -> PathBuf {
        self.dir.path().join("input")
    }

    pub fn output(&self) -> PathBuf {
        self.dir.path().join("output")
    }

    /// Run planmon with `args` in this folder.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_planmon"))
            .args(args)
            .current_dir(self.path())
            .env("SOURCE_DATE_EPOCH", "1767225600")
            .output()
            .expect("run planmon")
    }

    pub fn read_output(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.output().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    pub fn csv(&self, name: &str) -> Vec<HashMap<String, String>> {
        parse_csv(&self.read_output(name))
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub fn parse_csv(bytes: &[u8]) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(bytes);
    let headers = r.headers().unwrap().clone();
    r.records().map(|rec| headers.iter().zip(rec.unwrap().iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()).collect()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A program the test reads outputs back with (pdftotext, LibreOffice, `script`). It is
/// required, in CI and on a developer's machine alike: a test that skipped when its tool
/// is missing would pass without checking anything (cargo hides what a passing test
/// prints). `.ci/run` installs every tool listed in the README's 测试需要.
pub fn require(tool: &str, package: &str) {
    if let Err(e) = Command::new(tool).arg("--version").output() {
        panic!("this test needs `{tool}` (apt-get install {package}): {e}");
    }
}

/// Run a poppler tool. The tool is required (CI installs poppler-utils): a test that
/// skipped when it is missing would check nothing.
pub fn poppler(tool: &str, args: &[&str]) -> String {
    match Command::new(tool).args(args).output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => panic!("{tool} failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => panic!("{tool} is required for this test (apt-get install poppler-utils): {e}"),
    }
}

/// The text of a PDF by pdftotext (`-layout` keeps table rows on one line). The tool is
/// required: CI installs poppler-utils, and a test that skipped would check nothing.
pub fn pdf_text(pdf: &Path, layout: bool) -> String {
    let mut cmd = Command::new("pdftotext");
    if layout {
        cmd.arg("-layout");
    }
    let out = cmd.arg(pdf).arg("-").output().expect("pdftotext is required for this test (apt-get install poppler-utils)");
    assert!(out.status.success(), "pdftotext {}: {}", pdf.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
