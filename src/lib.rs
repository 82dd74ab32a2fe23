//! planmon: monitoring of 仁怀市公共服务发展行动方案(2023—2025年).
//!
//! The batch is a pipeline whose stages are modules, each depending only on those
//! before it: `read` (returns → observations) → `versions` (the newest version of each
//! return) → `figures` (the figure used per indicator and year) → `validate`
//! (findings) → `history` (the earlier runs as data) → `assess` (one frozen
//! assessment: every fact a document states) → `render` (workbook, PDFs, Word, CSV:
//! formatting only) → `publish` (into the output folder, never losing a file). `plan`
//! holds the plan as data, `cmd` has one module per subcommand and runs the stages.
//! `config` checks the settings once at start, `names` makes every name that becomes
//! part of a path a safe file name, and `worker` runs what an input can make run away
//! (parsing, importing, typesetting) in child processes with time and memory limits.

pub mod annotate;
pub mod assess;
pub mod attachments;
pub mod cli;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod figures;
pub mod finding;
pub mod folder;
pub mod forms;
pub mod frames;
pub mod history;
pub mod launch;
pub mod names;
pub mod oserror;
pub mod paths;
pub mod plan;
pub mod progress;
pub mod publish;
pub mod read;
pub mod render;
pub mod sample;
pub mod text;
pub mod userdir;
pub mod validate;
pub mod versions;
pub mod worker;
