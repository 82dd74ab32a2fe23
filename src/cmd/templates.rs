//! `planmon templates`: blank returns, one per responsible unit; and the hidden
//! `planmon sample`: the synthetic sample returns shipped in input/.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use super::UsageError;
use crate::cli::{Layout, SampleArgs, TemplateArgs};
use crate::forms;
use crate::plan::Plan;
use crate::read;
use crate::sample;

/// A unit's return, `<folder>/<unit>_<year>年度填报表.xlsx`: a file in `folder` whatever
/// the unit is called (the plan refuses a unit whose name is not a safe file name).
pub fn return_path(folder: &Path, unit: &str, year: i32) -> Result<std::path::PathBuf> {
    let name = crate::names::SafeName::new(&format!("{unit}_{year}年度填报表.xlsx"))
        .map_err(|why| UsageError(format!("单位“{}”的填报表文件名不能用：{why}。", crate::text::printable(unit, 60))))?;
    Ok(folder.join(name))
}

pub fn templates(args: &TemplateArgs, plan: &Plan, out: &mut dyn Write) -> Result<()> {
    blank_forms_folder(&args.output, &args.input)?;
    let today = crate::clock::beijing_date(crate::clock::now_unix());
    let this_year = today.year();
    if let Some(y) = args.year {
        // The year is part of every file name and of the forms' text: one of the plan's.
        crate::config::year_note(plan, y, &format!("命令行 --year {y}")).map_err(UsageError)?;
    }
    let year = args.year.unwrap_or(this_year.clamp(plan.start, plan.end));
    let created = crate::clock::ymd(year, 12, 1).map(crate::clock::utc_midnight).unwrap_or_default();
    // Last year's figures where the returns are at hand: the figure the assessment of
    // that year uses (the same resolution: versions, the year's scope, the one rule; a
    // 填报日期 after today cannot decide between versions).
    let figures = if args.input.is_dir() {
        let mut outcome = read::read_inputs(plan, &args.input);
        crate::assess::resolved_figures(plan, &mut outcome, year - 1, Some(today))?.1
    } else {
        crate::figures::Figures::default()
    };
    let mut forms = Vec::new();
    for unit in plan.reporting_units() {
        let mut known = forms::Filled::default();
        for ind in plan.indicators_of(&unit.name) {
            if let Some(f) = figures.get(&ind.id, year - 1) {
                known.values.insert(ind.id.clone(), (Some(f.value), None));
            }
        }
        let bytes = forms::return_workbook(plan, &unit.name, year, Some(&known), created)?;
        forms.push((return_path(&args.output, &unit.name, year)?, bytes));
    }
    // All or nothing: a name already taken stops the command before anything is written.
    let taken: Vec<String> = forms
        .iter()
        .filter(|(p, _)| std::fs::symlink_metadata(p).is_ok())
        .map(|(p, _)| format!("“{}”", crate::text::os_display(p.as_os_str())))
        .collect();
    if !taken.is_empty() {
        return Err(UsageError(format!(
            "已有同名的文件：{}。planmon 不会覆盖已有的文件。请用 --output 另选一个文件夹。",
            taken.join("、")
        ))
        .into());
    }
    for (path, bytes) in &forms {
        crate::userdir::write_new(path, bytes).map_err(|e| UsageError(format!("{e}。")))?;
        writeln!(out, "已生成：{}", crate::text::os_display(path.as_os_str()))?;
    }
    Ok(())
}

/// Blank forms never go where returns are: not into the input folder (or a folder in
/// it: the next run would read them as returns), and not into a folder that already
/// holds spreadsheets, which may be returns received.
fn blank_forms_folder(output: &Path, input: &Path) -> Result<()> {
    let (o, i) = (crate::paths::real(output), crate::paths::real(input));
    if o == i || o.starts_with(&i) {
        return Err(UsageError(format!(
            "空白填报表不能放进输入文件夹“{}”：那里是各单位报来的填报表，空白表会被当作填报表读取，同名的文件也可能被覆盖。请用 --output 另选一个文件夹，例如 --output 空白填报表。",
            crate::text::os_display(input.as_os_str())
        ))
        .into());
    }
    without_returns(output, "空白填报表")
}

/// A folder planmon writes returns into (blank forms, the synthetic sample) must hold
/// no spreadsheets — they may be returns received, which the new files would join or
/// replace as newer versions — and must not be a link to a folder elsewhere.
pub fn without_returns(dir: &Path, what: &str) -> Result<()> {
    let shown = crate::text::os_display(dir.as_os_str());
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(
            UsageError(format!("“{shown}”是一个链接（快捷方式），planmon 不通过链接写入{what}。请用 --output 另选一个文件夹。")).into()
        );
    }
    let mut sheets = Vec::new();
    spreadsheets_in(dir, 0, &mut sheets);
    if !sheets.is_empty() {
        let n = sheets.len();
        sheets.truncate(5);
        return Err(UsageError(format!(
            "文件夹“{shown}”中已有 {n} 个表格文件（{}{}），可能是各单位报来的填报表。为免混淆和覆盖，{what}只写入没有表格文件的文件夹。请另选一个文件夹。",
            sheets.join("、"),
            if n > 5 { " 等" } else { "" }
        ))
        .into());
    }
    Ok(())
}

/// Spreadsheet files (by extension) in `dir` and its folders, not through links.
fn spreadsheets_in(dir: &Path, depth: usize, found: &mut Vec<String>) {
    if depth > 8 || found.len() > 1000 {
        return;
    }
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        match e.file_type() {
            Ok(t) if t.is_dir() => spreadsheets_in(&e.path(), depth + 1, found),
            Ok(t) if !t.is_symlink() && read::has_spreadsheet_extension(&e.path()) => {
                found.push(format!("“{}”", crate::text::os_display(&e.file_name())))
            }
            _ => {}
        }
    }
}

pub fn sample(args: &SampleArgs, plan: &Plan, out: &mut dyn Write) -> Result<()> {
    // Synthetic returns beside real ones would be read as their newer versions.
    without_returns(&args.output, "示例填报表")?;
    for (path, written) in write_samples(args, plan)? {
        let shown = crate::text::os_display(path.as_os_str());
        if written {
            writeln!(out, "已生成：{shown}")?;
        } else {
            writeln!(out, "已存在，未覆盖：{shown}")?;
        }
    }
    Ok(())
}

/// Write the synthetic returns: every unit, every year, `copies` times (copies in
/// 副本001/ … folders), in the standard layout, the messy one, or alternating. A file
/// already there is kept as it is (`false` beside its name), never replaced.
pub fn write_samples(args: &SampleArgs, plan: &Plan) -> Result<Vec<(std::path::PathBuf, bool)>> {
    let units: Vec<String> = plan.reporting_units().iter().map(|u| u.name.clone()).collect();
    write_samples_as(args, plan, &units, &|_, unit| unit.to_string())
}

/// The same for `units`, each copy's returns sent by `sender(copy, unit)` (the unit
/// itself, or another unit of `plan` with the same tasks: the bench's synthetic units).
pub fn write_samples_as(
    args: &SampleArgs,
    plan: &Plan,
    units: &[String],
    sender: &dyn Fn(usize, &str) -> String,
) -> Result<Vec<(std::path::PathBuf, bool)>> {
    let last_year = args.last_year.unwrap_or(plan.end);
    let series = sample::synthetic_series(plan, args.seed, last_year);
    let mut written = Vec::new();
    let mut k = 0usize;
    for copy in 0..args.copies.max(1) {
        let dir = if args.copies > 1 { args.output.join(format!("副本{:03}", copy + 1)) } else { args.output.clone() };
        for year in plan.start..=last_year {
            let created = crate::clock::ymd(year + 1, 1, 10).map(crate::clock::utc_midnight).unwrap_or_default();
            for unit in units {
                let filled = sample::sample_filled(plan, unit, year, &series, args.seed);
                let unit = sender(copy, unit);
                let messy = match args.layout {
                    Layout::Standard => false,
                    Layout::Messy => true,
                    Layout::Mixed => k % 2 == 1,
                };
                k += 1;
                let path = return_path(&dir, &unit, year)?;
                if std::fs::symlink_metadata(&path).is_ok() {
                    written.push((path, false));
                    continue;
                }
                let bytes = if messy {
                    sample::messy_workbook(plan, &unit, year, &filled, created)?
                } else {
                    forms::return_workbook(plan, &unit, year, Some(&filled), created)?
                };
                match crate::userdir::write_new(&path, &bytes) {
                    Ok(()) => written.push((path, true)),
                    Err(crate::userdir::WriteError::Exists(_)) => written.push((path, false)),
                    Err(e) => return Err(UsageError(format!("{e}。")).into()),
                }
            }
        }
    }
    Ok(written)
}
