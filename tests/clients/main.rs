//! Checks of planmon's documents through real second clients: LibreOffice opens and
//! converts the workbooks, CSV tables and Word files; poppler reads the PDFs; a real
//! terminal shows the progress. Run with `cargo test --test clients` once LibreOffice,
//! poppler-utils and util-linux are installed (`.ci/run` installs them and always runs
//! this); a test whose program is missing fails, it never skips. `cargo test` alone
//! (tests/it) needs nothing but cargo.

#[path = "../it/common.rs"]
mod common;
#[path = "../it/pdf.rs"]
mod pdf;

mod libreoffice;
mod poppler;
mod terminal;
