//! planmon: monitoring of 仁怀市公共服务发展行动方案(2023—2025年).
//!
//! The batch is a pipeline whose stages are modules:
//! `read` (returns → observations) → `versions` (the newest version of each return)
//! → `validate` (findings) → `aggregate` (progress)
//! → `render` (workbook, PDFs, CSV). `plan` holds the plan as data, `batch` runs the
//! stages, `cmd` has one module per subcommand. `config` checks the settings once at
//! start, `names` makes every name that becomes part of a path a safe file name, and
//! `worker` runs what an input can make run away (parsing, importing, typesetting) in
//! child processes with time and memory limits.

pub mod aggregate;
pub mod attachments;
pub mod batch;
pub mod changes;
pub mod cli;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod finding;
pub mod folder;
pub mod forms;
pub mod frames;
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
