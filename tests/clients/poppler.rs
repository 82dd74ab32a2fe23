//! poppler as a second client of the PDFs: every font embedded, the pages and their
//! size, and the same text as the tests' own reader finds (tests/it/pdf.rs), for the
//! report and every feedback sheet of a final and an annual year. poppler-utils is
//! required: the test fails without it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::*;

/// The characters of a text but its spacing, counted.
fn characters(text: &str) -> BTreeMap<char, usize> {
    let mut out = BTreeMap::new();
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        *out.entry(c).or_insert(0) += 1;
    }
    out
}

fn pdfs(w: &Workdir) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in [w.output(), w.output().join("反馈单")] {
        v.extend(std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "pdf")));
    }
    v.sort();
    v
}

fn check(pdf: &Path) {
    let path = pdf.to_str().unwrap();
    // Fonts: each embedded, the same faces the tests' reader lists.
    let listed = poppler("pdffonts", &[path]);
    let mut names = Vec::new();
    for line in listed.lines().skip(2) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[cols.len() - 5], "yes", "{path}: font not embedded: {line}");
        names.push(cols[0].split_once('+').map(|(_, n)| n).unwrap_or(cols[0]).to_string());
    }
    let mut ours: Vec<String> = crate::pdf::fonts(pdf).into_iter().map(|f| f.name).collect();
    names.sort();
    names.dedup();
    ours.sort();
    assert_eq!(names, ours, "{path}: the fonts");
    // Pages: as many, each A4.
    let info = poppler("pdfinfo", &[path]);
    let pages: usize = info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap();
    assert_eq!(pages, crate::pdf::pages(pdf).len(), "{path}: pages");
    assert!(info.contains("595.276 x 841.89") && info.contains("(A4)"), "{path}: {info}");
    // Text: the same characters, as many times.
    let text = poppler("pdftotext", &[path, "-"]);
    assert_eq!(characters(&text), characters(&pdf_text(pdf, false)), "{path}: poppler and the tests' reader read different text");
}

#[test]
fn poppler_reads_every_pdf_as_the_tests_reader_does() {
    for args in [&[][..], &["--year", "2024"][..]] {
        let w = sample_run(args);
        let all = pdfs(&w);
        assert!(all.len() >= 12, "{all:?}");
        for pdf in &all {
            check(pdf);
        }
    }
}
