//! planmon's integration tests, in one test binary: each module used to be its own
//! binary, and every one of them linked typst and polars (a minute of linking apiece on a
//! clean build). `tests/fuzz.rs` stays separate because it caps the address space of its
//! whole process.

mod common;
mod pdf;

mod annotate;
mod assessment;
mod cargo_only;
mod codes;
mod consistency;
mod corpus;
mod desktop;
mod final_eval;
mod fonts;
mod frozen;
mod issuable;
mod meaning;
mod method;
mod officer;
mod outputs;
mod period;
mod plan_import;
mod plan_table;
mod platform;
mod reader;
mod report;
mod reuse;
mod safety;
mod settings;
mod skeleton;
mod state;
mod tables;
mod templates;
mod versions;
mod word;
mod workbook;
