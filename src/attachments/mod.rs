//! The plan's own attachments as tables: 附件1 主要发展指标表 and 附件2 项目汇总表.
//! `import` reads them from the office's files (xlsx/xls/ods through calamine, docx
//! through docx-rs) into the plan tables (templates/indicators.toml, projects.toml);
//! `export` writes the current tables in the same shape. Both use one `layout`, so that
//! export → import gives the same tables.

pub mod export;
pub mod grid;
pub mod import;
pub mod layout;
