//! The CSV tables (observations, findings, progress): UTF-8 with a byte-order mark so a
//! double-click opens them right in Excel and WPS, RFC 4180, text exactly as read, and
//! readable by the csv crate and by LibreOffice with the Chinese intact.

use std::collections::HashMap;

use calamine::{open_workbook_auto, Data, Reader};

use crate::common::{self, *};

/// Every cell of every sheet of a workbook, by sheet and A1 address.
fn cells(path: &std::path::Path) -> HashMap<(String, String), Data> {
    let mut wb = open_workbook_auto(path).unwrap();
    let mut all = HashMap::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        let (r0, c0) = range.start().unwrap_or((0, 0));
        for (r, c, v) in range.cells() {
            all.insert((name.clone(), calamine_address(r0 as usize + r, c0 as usize + c)), v.clone());
        }
    }
    all
}

fn calamine_address(row: usize, col: usize) -> String {
    let mut name = String::new();
    let mut c = col + 1;
    while c > 0 {
        name.insert(0, (b'A' + ((c - 1) % 26) as u8) as char);
        c = (c - 1) / 26;
    }
    format!("{name}{}", row + 1)
}

#[test]
fn tables_start_with_a_bom_and_follow_rfc_4180() {
    let w = run_hostile();
    for name in TABLES {
        let bytes = w.read_output(name);
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{name} starts with the UTF-8 BOM");
        assert!(!bytes[3..].starts_with(b"\xEF\xBB\xBF"), "{name}: one BOM only");
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.ends_with("\r\n"), "{name}: CRLF after the last record");
        // Every record ends in CRLF; a bare LF only occurs inside a quoted field.
        let mut quoted = false;
        let mut prev = '\0';
        for ch in text.chars() {
            if ch == '"' {
                quoted = !quoted;
            }
            if ch == '\n' && !quoted {
                assert_eq!(prev, '\r', "{name}: a record ends in a bare LF");
            }
            prev = ch;
        }
        // The csv crate skips the BOM: the first header is the plain name.
        let rows = common::parse_csv(&bytes);
        let mut r = csv::Reader::from_reader(bytes.as_slice());
        let first = r.headers().unwrap().get(0).unwrap().to_string();
        assert!(["file", "severity", "indicator_id"].contains(&first.as_str()), "{name}: first header {first:?}");
        assert!(!rows.is_empty(), "{name} has rows");
    }
}

#[test]
fn tables_keep_the_text_exactly_as_read() {
    let w = run_hostile();
    let source = cells(&w.input().join("市卫生健康局_2024年度填报表.xlsx"));
    let obs = w.csv("observations.csv");
    let mut strings = 0;
    for o in &obs {
        match &source[&(o["sheet"].clone(), o["cell"].clone())] {
            Data::String(s) => {
                assert_eq!(&o["raw"], s, "{}!{}: the text as written, byte for byte", o["sheet"], o["cell"]);
                strings += 1;
            }
            Data::Float(f) => assert_eq!(o["raw"].parse::<f64>().unwrap(), *f),
            other => panic!("unexpected cell {other:?}"),
        }
    }
    assert!(strings > 0, "the fixture has text cells");
    // Formula-like text stays text: a program reading the table gets it literally.
    assert!(obs.iter().any(|o| o["raw"] == "=SUM(A1:A3)"));
    let remarks: Vec<&String> = obs.iter().map(|o| &o["remark"]).filter(|r| !r.is_empty()).collect();
    assert!(remarks.iter().all(|r| source.values().any(|v| matches!(v, Data::String(s) if s == *r))), "{remarks:?}");
    assert!(remarks.iter().any(|r| r.starts_with('+')), "{remarks:?}");
}
