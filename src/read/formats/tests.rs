//! The same two sheets in every format (tests/fixtures/formats_presentation, made by
//! make_fixtures.py from its PRESENTATION table): presentation.xlsx from openpyxl, .xls and
//! .ods converted by LibreOffice, .xlsb written record by record; each of the last three
//! also read back by LibreOffice and saved as xlsx, so that our reading of a format can be
//! held against LibreOffice's. Then the bounds.

use std::collections::BTreeSet;
use std::path::Path;

use super::{presentation, sheet_names, Kind, NumberFormat, Presentation};

const FIRST: &str = "指标填报";
const SECOND: &str = "第二表";

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats_presentation").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read(name: &str, kind: Kind, sheet: &str) -> Presentation {
    presentation(&fixture(name), kind, sheet, 5000, 200).unwrap_or_else(|e| panic!("{name} {sheet}: {e}"))
}

fn fmt(percent: bool, decimals: u8) -> NumberFormat {
    NumberFormat { percent, decimals: Some(decimals) }
}

/// PRESENTATION's first sheet. openpyxl saves a formula without its result, so C2
/// (`=B2*2`, `0.000`) holds no number in presentation.xlsx; every other file has one.
fn first_sheet(formula_result: bool) -> Presentation {
    let mut formats = vec![
        ((0, 1), fmt(true, 1)),  // B1 0.635, 0.0%
        ((0, 4), fmt(false, 1)), // E1 0.5, 0.0\%: an escaped percent sign is text
        ((1, 1), fmt(false, 0)), // B2 10.8, #,##0
        ((1, 3), fmt(false, 2)), // D2 2.25 in the hidden column, 0.00
        ((2, 1), fmt(false, 2)), // B3 3.14159, 0.00
        // B4 42: General, not listed.
        ((4, 1), fmt(false, 1)), // B5 12.5, 0.0"%": a quoted percent sign is text
        ((5, 1), fmt(true, 2)),  // B6 0.5, 0.00%;[Red]-0.00%
        // B7 5: text format (@), not listed.
        ((7, 1), fmt(false, 1)), // B8 1.5 in the hidden row, 0.0
    ];
    if formula_result {
        formats.push(((1, 2), fmt(false, 3)));
    }
    Presentation {
        formats: formats.into_iter().collect(),
        hidden_rows: BTreeSet::from([7]),
        hidden_cols: BTreeSet::from([3]),
        merges: vec![((4, 0), (5, 0))],
    }
}

fn second_sheet() -> Presentation {
    Presentation {
        formats: [((1, 1), fmt(true, 0))].into_iter().collect(), // B2 0.25, 0%
        hidden_rows: BTreeSet::from([0]),
        hidden_cols: BTreeSet::new(),
        merges: vec![((2, 1), (3, 2))],
    }
}

fn check(name: &str, kind: Kind, formula_result: bool) {
    assert_eq!(sheet_names(&fixture(name), kind).unwrap(), [FIRST, SECOND], "{name}");
    assert_eq!(read(name, kind, FIRST), first_sheet(formula_result), "{name} {FIRST}");
    assert_eq!(read(name, kind, SECOND), second_sheet(), "{name} {SECOND}");
}

#[test]
fn formats_presentation_xlsx() {
    check("presentation.xlsx", Kind::Xlsx, false);
}

#[test]
fn formats_presentation_xls() {
    check("presentation.xls", Kind::Xls, true);
}

#[test]
fn formats_presentation_ods() {
    check("presentation.ods", Kind::Ods, true);
}

#[test]
fn formats_presentation_xlsb() {
    check("presentation.xlsb", Kind::Xlsb, true);
}

#[test]
fn formats_presentation_keeps_to_the_bounds() {
    for (name, kind) in [
        ("presentation.xlsx", Kind::Xlsx),
        ("presentation.xls", Kind::Xls),
        ("presentation.ods", Kind::Ods),
        ("presentation.xlsb", Kind::Xlsb),
    ] {
        let got = presentation(&fixture(name), kind, FIRST, 5, 2).unwrap();
        let mut at: Vec<_> = got.formats.keys().copied().collect();
        at.sort_unstable();
        assert_eq!(at, [(0, 1), (1, 1), (2, 1), (4, 1)], "{name}");
        assert!(got.hidden_rows.is_empty() && got.hidden_cols.is_empty(), "{name}");
        // A5:A6 begins within the bounds: clipped to them.
        assert_eq!(got.merges, [((4, 0), (4, 0))], "{name}");
        let none = presentation(&fixture(name), kind, FIRST, 0, 0).unwrap();
        assert_eq!(none, Presentation::default(), "{name}");
    }
}

#[test]
fn formats_presentation_of_a_missing_sheet_is_an_error() {
    for (name, kind) in [
        ("presentation.xlsx", Kind::Xlsx),
        ("presentation.xls", Kind::Xls),
        ("presentation.ods", Kind::Ods),
        ("presentation.xlsb", Kind::Xlsb),
    ] {
        assert!(presentation(&fixture(name), kind, "Sheet1", 5000, 200).is_err(), "{name}");
    }
}
