//! One module per subcommand, each with one entry function.

pub mod bench;
pub mod check;
pub mod indicators;
pub mod init;
pub mod plan;
pub mod run;
pub mod templates;

/// A problem that stops a command before it starts: unusable arguments or a broken
/// installation (exit code 2). Problems in returns are findings, never this.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
