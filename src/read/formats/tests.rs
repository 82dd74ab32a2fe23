//! The same two sheets in every format (tests/fixtures/formats_presentation, made by
//! make_fixtures.py from its PRESENTATION table): presentation.xlsx from openpyxl, .xls and
//! .ods converted by LibreOffice, .xlsb written record by record; each of the last three
//! also read back by LibreOffice and saved as xlsx, so that our reading of a format can be
//! held against LibreOffice's. Then bounds, damage and hostile counts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{presentation, sheet_names, Kind, NumberFormat, Presentation, Workbook};

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
    // One workbook asked for its sheets in turn (the shared parts read once), either
    // order, a sheet twice, and one it lacks: the same as each on its own.
    let bytes = fixture(name);
    let mut book = Workbook::new(&bytes, kind);
    for sheet in [SECOND, FIRST, SECOND] {
        let expected = if sheet == FIRST { first_sheet(formula_result) } else { second_sheet() };
        assert_eq!(book.presentation(sheet, 5000, 200).unwrap(), expected, "{name} {sheet}, one workbook");
    }
    assert!(book.presentation("没有这个表", 5000, 200).is_err(), "{name}");
    assert_eq!(book.presentation(FIRST, 5000, 200).unwrap(), first_sheet(formula_result), "{name}: after an error");
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

/// LibreOffice read each of our xls, ods and xlsb files and saved what it understood as
/// xlsx: our reading of the file and of LibreOffice's xlsx must agree.
#[test]
fn formats_presentation_agrees_with_libreoffice() {
    for (ext, kind) in [("xls", Kind::Xls), ("ods", Kind::Ods), ("xlsb", Kind::Xlsb)] {
        for sheet in [FIRST, SECOND] {
            let ours = read(&format!("presentation.{ext}"), kind, sheet);
            let theirs = read(&format!("presentation_{ext}_by_libreoffice.xlsx"), Kind::Xlsx, sheet);
            assert_eq!(ours, theirs, "{ext} {sheet}");
        }
    }
}

/// Two of calamine's xls files as LibreOffice reads them (corpus_*_by_libreoffice.xlsx):
/// a BIFF5 one with number formats, and one with 126 merges and a hidden column.
#[test]
fn formats_presentation_of_calamine_files_agrees_with_libreoffice() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/calamine");
    let in_order = |mut p: Presentation| {
        p.merges.sort_unstable();
        p
    };
    for (name, sheets) in [("biff5-rich-text-string", 1), ("issue_271", 2)] {
        let ours = std::fs::read(corpus.join(format!("{name}.xls"))).unwrap();
        let theirs = fixture(&format!("corpus_{name}_by_libreoffice.xlsx"));
        let names = sheet_names(&ours, Kind::Xls).unwrap();
        assert_eq!(names, sheet_names(&theirs, Kind::Xlsx).unwrap(), "{name}");
        assert_eq!(names.len(), sheets, "{name}");
        for sheet in &names {
            let ours = in_order(presentation(&ours, Kind::Xls, sheet, 5000, 200).unwrap());
            assert!(!ours.formats.is_empty() || !ours.merges.is_empty(), "{name} {sheet}: nothing to compare");
            assert_eq!(ours, in_order(presentation(&theirs, Kind::Xlsx, sheet, 5000, 200).unwrap()), "{name} {sheet}");
        }
    }
}

/// LibreOffice's text of each cell (shown_by_libreoffice_*.csv): a number we list shows
/// exactly the decimals we say, scaled by 100 exactly when we say percent; a number we
/// leave out shows as stored. The values are calamine's.
#[test]
fn formats_presentation_as_libreoffice_shows_it() {
    use calamine::{DataType, Reader};
    for (ext, kind) in [("xlsx", Kind::Xlsx), ("xls", Kind::Xls), ("ods", Kind::Ods), ("xlsb", Kind::Xlsb)] {
        let name = format!("presentation.{ext}");
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(fixture(&name))).unwrap();
        let mut checked = 0;
        for sheet in [FIRST, SECOND] {
            let csv = fixture(&format!("shown_by_libreoffice_{ext}_{sheet}.csv"));
            let shown: Vec<Vec<String>> = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(csv.as_slice())
                .records()
                .map(|r| r.unwrap().iter().map(str::to_string).collect())
                .collect();
            let values = book.worksheet_range(sheet).unwrap();
            let ours = read(&name, kind, sheet);
            for (r, c, value) in values.used_cells() {
                let (Some(value), Some(start)) = (value.as_f64().filter(|_| value.is_float() || value.is_int()), values.start()) else {
                    continue;
                };
                let (r, c) = (r as u32 + start.0, c as u32 + start.1);
                let text = &shown[r as usize][c as usize];
                let digits = text.trim_end_matches('%').replace(',', "");
                let decimals = digits.split_once('.').map_or(0, |(_, d)| d.len());
                let (scaled, decimals) = match ours.formats.get(&(r, c)) {
                    Some(f) => {
                        assert_eq!(f.decimals, Some(decimals as u8), "{name} {sheet} ({r}, {c}) shown as {text}");
                        (if f.percent { value * 100.0 } else { value }, decimals)
                    }
                    None => (value, decimals),
                };
                assert_eq!(format!("{scaled:.decimals$}"), digits, "{name} {sheet} ({r}, {c}) shown as {text}");
                checked += 1;
            }
        }
        // Every number of PRESENTATION (the formula's only where saved with its result).
        assert_eq!(checked, if ext == "xlsx" { 11 } else { 12 }, "{name}");
    }
}

/// The caller passes the names calamine gives: ours are the same, in BIFF5's code page,
/// BIFF8's two encodings, UTF-16 (xlsb) and XML.
#[test]
fn formats_sheet_names_agree_with_calamine() {
    use calamine::Reader;
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/calamine");
    let files = [
        ("biff5_write.xls", Kind::Xls),
        ("misc_biff5_parsing.xls", Kind::Xls),
        ("issue_643_biff5_formula.xls", Kind::Xls),
        ("issue219.xls", Kind::Xls),
        ("issue343.xls", Kind::Xls),
        ("any_sheets.xls", Kind::Xls),
        ("any_sheets.xlsx", Kind::Xlsx),
        ("any_sheets.xlsb", Kind::Xlsb),
        ("any_sheets.ods", Kind::Ods),
        ("picture.ods", Kind::Ods),
        ("issues.xlsb", Kind::Xlsb),
        ("nonstandard-xml-ns-prefix.xlsx", Kind::Xlsx),
        ("strict_iso_paths.xlsx", Kind::Xlsx),
        ("issue_530.xlsx", Kind::Xlsx),
    ];
    for (name, kind) in files {
        let bytes = std::fs::read(corpus.join(name)).unwrap();
        let theirs = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.clone())).unwrap().sheet_names();
        assert_eq!(sheet_names(&bytes, kind).unwrap(), theirs, "{name}");
        for sheet in &theirs {
            presentation(&bytes, kind, sheet, 5000, 200).unwrap_or_else(|e| panic!("{name} {sheet}: {e}"));
        }
    }
}

/// calamine reads merged ranges of xlsx and xls: on its own test files with merges, ours
/// are the same.
#[test]
fn formats_presentation_merges_agree_with_calamine() {
    use calamine::Reader;
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/calamine");
    let sorted = |mut v: Vec<((u32, u32), (u32, u32))>| {
        v.sort_unstable();
        v
    };
    let mut compared = 0;
    for name in ["merge_cells.xlsx", "merged_range.xlsx", "merge_cells.xls", "merged_range.xls"] {
        let bytes = std::fs::read(corpus.join(name)).unwrap();
        let cursor = || std::io::Cursor::new(bytes.clone());
        let kind = if name.ends_with("xls") { Kind::Xls } else { Kind::Xlsx };
        for sheet in sheet_names(&bytes, kind).unwrap() {
            let theirs: Vec<calamine::Dimensions> = match kind {
                Kind::Xls => calamine::Xls::new(cursor()).unwrap().merge_cells_by_sheet_name(&sheet).unwrap(),
                _ => calamine::Xlsx::new(cursor()).unwrap().merge_cells_by_sheet_name(&sheet).unwrap(),
            };
            let theirs = sorted(theirs.iter().map(|d| (d.start, d.end)).collect());
            let ours = presentation(&bytes, kind, &sheet, 1_048_576, 16_384).unwrap();
            assert_eq!(sorted(ours.merges), theirs, "{name} {sheet}");
            compared += theirs.len();
        }
    }
    assert!(compared > 10, "{compared}");
}

/// A zip package of the given parts, stored.
fn package(parts: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in parts {
        zip.start_file(*name, zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored)).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

const RELS: &str = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

fn xlsx(sheet: &str) -> Vec<u8> {
    package(&[
        ("xl/workbook.xml", r#"<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
        ("xl/_rels/workbook.xml.rels", RELS),
        ("xl/worksheets/sheet1.xml", sheet),
    ])
}

/// Row numbers, column ranges and repeat counts as large as the formats allow, or
/// larger: within the bounds they cost nothing; beyond them they are not recorded.
#[test]
fn formats_presentation_huge_indices_and_counts_cost_nothing() {
    let sheet = r#"<worksheet><cols><col min="1" max="16384" hidden="1"/><col min="4000000000" max="4294967295" hidden="1"/></cols><sheetData>
        <row r="1048576" hidden="1"><c r="XFD1048576"><v>1</v></c></row></sheetData>
        <mergeCells><mergeCell ref="A1:XFD1048576"/><mergeCell ref="XFD1048576:XFD1048576"/></mergeCells></worksheet>"#;
    let got = presentation(&xlsx(sheet), Kind::Xlsx, "S", 100, 10).unwrap();
    assert_eq!(got.hidden_cols, (0..10).collect());
    assert!(got.hidden_rows.is_empty() && got.formats.is_empty());
    assert_eq!(got.merges, [((0, 0), (99, 9))]);

    // Every row hidden but the ones listed (Excel's zeroHeight).
    let sheet = r#"<worksheet><sheetFormatPr zeroHeight="1"/><sheetData><row r="2"/></sheetData></worksheet>"#;
    let got = presentation(&xlsx(sheet), Kind::Xlsx, "S", 5, 5).unwrap();
    assert_eq!(got.hidden_rows, BTreeSet::from([0, 2, 3, 4]));

    let content = r#"<office:document-content><office:automatic-styles>
        <number:percentage-style style:name="P"><number:number number:decimal-places="1"/></number:percentage-style>
        <style:style style:name="ce1" style:family="table-cell" style:data-style-name="P"/></office:automatic-styles>
        <office:body><office:spreadsheet><table:table table:name="S">
        <table:table-column table:number-columns-repeated="1000000000" table:visibility="collapse"/>
        <table:table-row table:number-rows-repeated="1000000000" table:visibility="filter">
          <table:table-cell table:style-name="ce1" office:value-type="float" office:value="0.5" table:number-columns-repeated="1000000000" table:number-rows-spanned="4000000000"/>
        </table:table-row>
        <table:table-row table:number-rows-repeated="4294967295"><table:table-cell office:value-type="float" office:value="1"/></table:table-row>
        </table:table></office:spreadsheet></office:body></office:document-content>"#;
    let ods = package(&[("content.xml", content)]);
    let started = std::time::Instant::now();
    let got = presentation(&ods, Kind::Ods, "S", 100, 10).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(got.hidden_cols, (0..10).collect());
    assert_eq!(got.hidden_rows, (0..100).collect());
    assert_eq!(got.formats.len(), 100 * 10);
    assert_eq!(got.formats[&(99, 9)], fmt(true, 1));
    // The first cell of each of the repeated rows spans all the rows below, clipped.
    assert_eq!(got.merges.len(), 100);
    assert_eq!((got.merges[0], got.merges[99]), (((0, 0), (99, 0)), ((99, 0), (99, 0))));
}

/// Merges beyond the cap make the sheet an error, not a growing list.
#[test]
fn formats_presentation_caps_the_merges() {
    let merges: String = (0..100_001u32).map(|i| format!(r#"<mergeCell ref="A{}:B{}"/>"#, i + 1, i + 1)).collect();
    let sheet = format!("<worksheet><sheetData/><mergeCells>{merges}</mergeCells></worksheet>");
    let got = presentation(&xlsx(&sheet), Kind::Xlsx, "S", 1_048_576, 16_384);
    assert!(got.unwrap_err().contains("merged ranges"));
}

/// Every spreadsheet of calamine's test suite (some built to break readers) and every
/// fixture, as each of the four kinds, whole, cut short and with bytes overwritten: an
/// answer or an error, never a panic.
#[test]
fn formats_presentation_never_panics_on_damaged_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The shared corpus beside the repository, when there is one, for what the committed
    // copy may lack.
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [
        root.join("tests/fixtures/corpus/calamine"),
        root.join("tests/fixtures/formats_presentation"),
        PathBuf::from("/work/shared/corpus/calamine"),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for path in entries.flatten().map(|e| e.path()).filter(|p| p.is_file()) {
            if !files.iter().any(|f| f.file_name() == path.file_name()) {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() > 50);
    let kinds = [Kind::Xlsx, Kind::Xls, Kind::Xlsb, Kind::Ods];
    let mut read_whole = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let mut variants: Vec<Vec<u8>> = vec![bytes.clone()];
        for cut in [0, 1, 8, bytes.len() / 3, bytes.len() / 2, bytes.len().saturating_sub(1)] {
            variants.push(bytes[..cut.min(bytes.len())].to_vec());
        }
        // Overwrite a run of bytes at a few places (a cheap, repeatable damage).
        for k in 1..=4 {
            let mut damaged = bytes.clone();
            let at = bytes.len() * k / 5;
            for b in damaged.iter_mut().skip(at).take(16) {
                *b = b.wrapping_mul(31).wrapping_add(7);
            }
            variants.push(damaged);
        }
        for (i, variant) in variants.iter().enumerate() {
            for kind in kinds {
                let names = sheet_names(variant, kind).unwrap_or_default();
                for name in names.iter().take(3).map(String::as_str).chain(["Sheet1"]) {
                    let result = std::panic::catch_unwind(|| presentation(variant, kind, name, 5000, 200));
                    assert!(result.is_ok(), "{} (variant {i}) as {kind:?}, sheet {name}: panicked", path.display());
                    read_whole += usize::from(i == 0 && matches!(result, Ok(Ok(_))));
                }
            }
        }
    }
    // The undamaged files are mostly read.
    assert!(read_whole > 100, "{read_whole}");
}
