//! No glyph missing: every character of the plan text, the plan tables and the report
//! templates is covered by the embedded fonts.

use planmon::render::world::ReportWorld;
use typst::foundations::Datetime;

fn texts() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["seeds", "templates"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            let p = entry.path();
            if matches!(p.extension().and_then(|e| e.to_str()), Some("txt" | "toml" | "typ")) {
                out.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out
}

#[test]
fn fonts_cover_every_character_of_the_plan_and_templates() {
    let world = ReportWorld::new(None, Datetime::from_ymd(2026, 1, 1).unwrap()).unwrap();
    let mut missing = Vec::new();
    for (file, text) in texts() {
        for c in text.chars().filter(|c| !c.is_control()) {
            if !world.covers(c) {
                missing.push(format!("{c} U+{:04X} in {file}", c as u32));
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "characters without a glyph:\n{}", missing.join("\n"));
}

#[test]
fn fonts_cover_every_character_of_the_sample_returns() {
    use calamine::{open_workbook_auto, Data, Reader};
    let world = ReportWorld::new(None, Datetime::from_ymd(2026, 1, 1).unwrap()).unwrap();
    let input = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("input");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(input).unwrap().flatten() {
        let mut wb = open_workbook_auto(entry.path()).unwrap();
        for name in wb.sheet_names() {
            let range = wb.worksheet_range(&name).unwrap();
            for (_, _, cell) in range.used_cells() {
                if let Data::String(s) = cell {
                    missing.extend(
                        s.chars().filter(|c| !c.is_control() && !world.covers(*c)).map(|c| format!("{c} in {}", entry.path().display())),
                    );
                }
            }
        }
    }
    missing.dedup();
    assert!(missing.is_empty(), "{missing:?}");
}

#[test]
fn fonts_do_not_cover_everything() {
    // The check itself can fail: a rare character outside GB 2312 is not covered.
    let world = ReportWorld::new(None, Datetime::from_ymd(2026, 1, 1).unwrap()).unwrap();
    assert!(!world.covers('𠀀'));
    assert!(world.covers('仁') && world.covers('怀'));
}
