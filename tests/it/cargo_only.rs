//! `cargo test` needs nothing but cargo: no test of this target starts an outside
//! program (LibreOffice, poppler, a terminal through `script`); those checks are in
//! tests/clients, run by `cargo test --test clients`. This reads the target's sources (but this file and the shared helpers).

#[test]
fn no_test_here_runs_an_outside_program() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let programs = ["soffice", "libreoffice", "pdftotext", "pdffonts", "pdfinfo", "pdftoppm", "script"];
    let calls: Vec<String> = programs
        .iter()
        .map(|p| format!("Command::new(\"{p}\""))
        .chain(["poppler(\"", "require(\""].iter().map(|c| c.to_string()))
        .collect();
    let mut found = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let path = e.path();
        if path.extension().is_none_or(|x| x != "rs") || path.file_name().is_some_and(|n| n == "common.rs" || n == "cargo_only.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for c in &calls {
            if text.contains(c.as_str()) {
                found.push(format!("{}: {c}", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "tests in tests/it that need an outside program (move them to tests/clients): {found:#?}");
}
