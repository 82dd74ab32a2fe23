//! planmon — the command line. Parses arguments and dispatches; the work is in the library.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use planmon::cli::{templates_dir, Cli, Command, RunArgs};
use planmon::cmd::{self, UsageError};
use planmon::config::Settings;
use planmon::plan::Plan;

fn main() -> ExitCode {
    planmon::clock::mark("main");
    let subcommands: Vec<String> = Cli::command().get_subcommands().map(|c| c.get_name().to_string()).collect();
    let start = planmon::launch::detect(std::env::args_os().collect(), &subcommands);
    if start.from_desktop && start.args.len() == 1 {
        planmon::launch::enter_work_folder(&mut std::io::stdout());
    }
    let code = command_line(start.args);
    if start.from_desktop {
        planmon::launch::wait_for_enter(&mut std::io::stdout(), &mut std::io::stdin().lock());
    }
    code
}

fn command_line(args: Vec<std::ffi::OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        // Help and version on standard output, clap's fixed words in Chinese; an
        // argument error explained in Chinese first, clap's words after.
        Err(e) if !e.use_stderr() => {
            print!("{}", planmon::cli::chinese_help(&e.render().to_string()));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{}", planmon::cli::explain_error(&e));
            return ExitCode::from(2);
        }
    };
    match dispatch(cli) {
        Ok(code) => code,
        // Output piped into a program that stopped reading (`planmon indicators | head`).
        Err(e) if e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)) => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("错误：{}", planmon::oserror::chain(&e));
            ExitCode::from(2)
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(Command::Worker(args)) = &cli.command {
        use planmon::worker::{serve, Kind};
        match args.kind {
            Kind::Read => serve::<planmon::read::worker::Reader>()?,
            Kind::Import => serve::<planmon::attachments::grid::Importer>()?,
            Kind::Typeset => serve::<planmon::render::typeset::Typesetter>()?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(Command::Init(args)) = &cli.command {
        cmd::init::run(args, &mut std::io::stdout().lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    let templates = templates_dir(cli.templates).map_err(UsageError)?;
    let settings = Settings::load(std::path::Path::new(".")).map_err(UsageError)?;
    let mut plan = Plan::load(templates.as_deref()).map_err(|e| UsageError(e.to_string()))?;
    settings.apply_to_plan(&mut plan);
    planmon::clock::mark("plan loaded");
    let mut stdout = std::io::stdout().lock();
    match cli.command {
        Some(Command::Indicators(args)) => cmd::indicators::run(&args, &plan, &mut stdout)?,
        Some(Command::Plan(args)) => cmd::plan::run(&args.command, &plan, &mut stdout)?,
        Some(Command::Check(args)) => return Ok(ExitCode::from(cmd::check::run(&args, &plan, &mut stdout)?.exit_code())),
        Some(Command::Templates(args)) => cmd::templates::templates(&args, &plan, &mut stdout)?,
        Some(Command::Sample(args)) => cmd::templates::sample(&args, &plan, &mut stdout)?,
        Some(Command::Bench(args)) => cmd::bench::run(&args, &plan, &mut stdout)?,
        Some(Command::Init(_) | Command::Worker(_)) => unreachable!("handled above"),
        Some(Command::Run(args)) => return run(&args, plan, &settings, templates.as_deref(), &mut stdout),
        None => return run(&RunArgs::default(), plan, &settings, templates.as_deref(), &mut stdout),
    }
    Ok(ExitCode::SUCCESS)
}

fn run(
    args: &RunArgs,
    plan: Plan,
    settings: &Settings,
    templates: Option<&std::path::Path>,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<ExitCode> {
    let summary = cmd::run::run(args, plan, settings, templates, out)?;
    Ok(if args.strict && summary.errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
