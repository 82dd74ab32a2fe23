//! A long property test standing in for a fuzzer. Two kinds of damage:
//! - bytes: copies of real returns with bytes flipped, zeroed or cut short;
//! - structure: an ods whose rows and cells get repeat counts (`number-rows-repeated`,
//!   `number-columns-repeated`) of every size, and an xlsx whose values turn into
//!   formulas without results (normal, shared with any index, array) with formulas and
//!   a declared dimension in far corners — the shapes that made calamine ask for
//!   gigabytes.
//!
//! Every case is read in this process, under an address-space cap (Linux): a file that
//! made the reader allocate without bound would abort the whole test binary. The reader
//! must refuse or read each case; a panic in calamine is contained as a finding, one in
//! planmon's own code fails the test. PLANMON_FUZZ_CASES sets the number of cases per
//! test (default 150).

use std::io::{Read, Write};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use planmon::finding::Code;
use planmon::plan::Plan;
use planmon::read;

fn cases() -> u32 {
    std::env::var("PLANMON_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(150)
}

/// Cap this test process's address space (4 GiB more than it uses now): an unbounded
/// allocation aborts instead of succeeding slowly on a machine with much memory.
fn cap_address_space() {
    #[cfg(target_os = "linux")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let pages: u64 = std::fs::read_to_string("/proc/self/statm").unwrap().split_whitespace().next().unwrap().parse().unwrap();
            let limit = pages * 4096 + (4u64 << 30);
            let rl = libc::rlimit { rlim_cur: limit, rlim_max: limit };
            // SAFETY: setrlimit reads the struct and changes only this process's limit.
            assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &rl) }, 0);
        });
    }
}

fn fixture(rel: &str) -> (Vec<u8>, String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel);
    (std::fs::read(&path).unwrap(), path.extension().unwrap().to_string_lossy().into_owned())
}

/// Read one damaged file and check what the reader made of it.
fn read_case(plan: &Plan, dir: &std::path::Path, ext: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let file = dir.join(format!("damaged.{ext}"));
    std::fs::write(&file, bytes).unwrap();
    let out = read::read_files(plan, &[file]);
    // A panic inside calamine on a damaged file is contained and reported (the finding
    // names where it happened); our own code must not panic at all.
    for f in out.findings.iter().filter(|f| f.code == Code::ReadCrashed) {
        prop_assert!(f.message.contains("calamine-"), "planmon itself panicked: {}", f.message);
    }
    prop_assert_eq!(out.files.len(), 1);
    Ok(())
}

fn fuzz_bytes(seed_file: &str) {
    cap_address_space();
    let (original, ext) = fixture(seed_file);
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
            read_case(&plan, dir.path(), &ext, &bytes)
        })
        .unwrap();
}

/// A copy of a zip package with one part's text edited.
fn repack(package: &[u8], part: &str, edit: &dyn Fn(&str) -> String) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(package)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        if entry.is_dir() {
            continue;
        }
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name == part {
            data = edit(&String::from_utf8(data).unwrap()).into_bytes();
        }
        let options = zip::write::SimpleFileOptions::default().compression_method(if name == "mimetype" {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        });
        out.start_file(name, options).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Repeat counts that probe the bounds: nothing, one, the sheet's edges and past them,
/// and numbers that overflow 32 and 64 bits or are not numbers at all.
const COUNTS: &[&str] = &[
    "0",
    "1",
    "2",
    "255",
    "1000",
    "16383",
    "16384",
    "16385",
    "65536",
    "1048576",
    "1048577",
    "4294967297",
    "18446744073709551615",
    "-1",
    "x",
];

/// Insert `attr` into the `n`-th (modulo their number) start tag `tag` of `xml`.
fn add_attribute(xml: &str, tag: &str, n: usize, attr: &str) -> String {
    let at: Vec<usize> = xml.match_indices(tag).map(|(i, _)| i + tag.len()).filter(|&i| xml[i..].starts_with([' ', '>', '/'])).collect();
    if at.is_empty() {
        return xml.to_string();
    }
    let i = at[n % at.len()];
    format!("{} {attr}{}", &xml[..i], &xml[i..])
}

fn fuzz_ods_repeats(seed_file: &str) {
    cap_address_space();
    let (original, ext) = fixture(seed_file);
    let plan = Plan::embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let edit = (any::<bool>(), any::<usize>(), 0..COUNTS.len(), any::<bool>());
    let mut runner = TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    runner
        .run(&prop::collection::vec(edit, 1..5), |edits| {
            let bytes = repack(&original, "content.xml", &|xml| {
                let mut xml = xml.to_string();
                for (row, n, count, valued) in &edits {
                    xml = if *row {
                        add_attribute(&xml, "<table:table-row", *n, &format!("table:number-rows-repeated=\"{}\"", COUNTS[*count]))
                    } else {
                        let value = if *valued { " office:value-type=\"float\" office:value=\"7\"" } else { "" };
                        add_attribute(
                            &xml,
                            "<table:table-cell",
                            *n,
                            &format!("table:number-columns-repeated=\"{}\"{value}", COUNTS[*count]),
                        )
                    };
                }
                xml
            });
            read_case(&plan, dir.path(), &ext, &bytes)
        })
        .unwrap();
}

/// Column letters of a 0-based column index.
fn column(mut c: u32) -> String {
    let mut s = String::new();
    loop {
        s.insert(0, (b'A' + (c % 26) as u8) as char);
        if c < 26 {
            return s;
        }
        c = c / 26 - 1;
    }
}

fn fuzz_xlsx_formulas(seed_file: &str) {
    cap_address_space();
    let (original, ext) = fixture(seed_file);
    let plan = Plan::embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // (a value to turn into a formula, kind of formula, shared index, a far cell)
    let edit = (
        any::<usize>(),
        0u8..4,
        prop_oneof![0u64..4, Just(1u64 << 20), Just(4_000_000_000u64), Just(u64::MAX)],
        0u32..1_048_576,
        0u32..16_384,
    );
    let mut runner = TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    runner
        .run(&(prop::collection::vec(edit, 1..5), any::<bool>()), |(edits, far_dimension)| {
            let bytes = repack(&original, "xl/worksheets/sheet1.xml", &|xml| {
                let mut xml = xml.to_string();
                let mut far_rows = String::new();
                for (n, kind, si, row, col) in &edits {
                    let far = format!("{}{}", column(*col), row + 1);
                    let formula = match kind {
                        0 => "<f>1+1</f>".to_string(),
                        1 => format!("<f t=\"shared\" si=\"{si}\" ref=\"A1:XFD1048576\">A1*2</f>"),
                        2 => format!("<f t=\"shared\" si=\"{si}\"/>"),
                        _ => format!("<f t=\"array\" ref=\"A1:{far}\">SUM(A1:{far})</f>"),
                    };
                    // A value cell loses its result and becomes this formula.
                    let values: Vec<(usize, usize)> =
                        xml.match_indices("<v>").filter_map(|(i, _)| xml[i..].find("</v>").map(|j| (i, i + j + 4))).collect();
                    if !values.is_empty() {
                        let (a, b) = values[n % values.len()];
                        xml = format!("{}{formula}{}", &xml[..a], &xml[b..]);
                    }
                    far_rows.push_str(&format!("<row r=\"{}\"><c r=\"{far}\">{formula}<v>0</v></c></row>", row + 1));
                }
                if far_dimension {
                    xml = xml.replacen("<dimension ref=\"", "<dimension ref=\"A1:XFD1048576\" x=\"", 1);
                }
                xml.replacen("</sheetData>", &format!("{far_rows}</sheetData>"), 1)
            });
            read_case(&plan, dir.path(), &ext, &bytes)
        })
        .unwrap();
}

#[test]
fn fuzz_damaged_xlsx_never_panics() {
    fuzz_bytes("skeleton/市卫生健康局_2024年度填报表.xlsx");
}

#[test]
fn fuzz_damaged_xls_never_panics() {
    fuzz_bytes("formats/市卫生健康局_2024年度填报表.xls");
}

#[test]
fn fuzz_damaged_ods_never_panics() {
    fuzz_bytes("formats/市卫生健康局_2024年度填报表.ods");
}

#[test]
fn fuzz_ods_repeated_rows_and_cells_stay_bounded() {
    fuzz_ods_repeats("formats/市卫生健康局_2024年度填报表.ods");
}

#[test]
fn fuzz_xlsx_formulas_and_far_cells_stay_bounded() {
    fuzz_xlsx_formulas("skeleton/市卫生健康局_2024年度填报表.xlsx");
}
