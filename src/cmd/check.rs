//! `planmon check FILE...`: read the given returns and print every figure and finding.
//! Writes nothing; this is what a unit runs before sending its return. Files are read
//! as `run` reads them (worker processes with the same time and memory limits).
//!
//! Exit status: 0 every file readable and no finding of error severity; 1 some finding
//! of error severity (a file refused, a figure wrong); 2 a file not found, or nothing
//! could be checked.

use std::io::Write;

use anyhow::Result;

use crate::cli::CheckArgs;
use crate::plan::Plan;
use crate::read::{self, Isolation};
use crate::text::{fmt_num, printable};

/// What the checked files would change against the last run in `dir`: for each unit
/// and year they hold, every figure changed, added or withdrawn.
fn against(dir: &std::path::Path, plan: &Plan, outcome: &read::ReadOutcome, out: &mut dyn Write) -> Result<()> {
    use crate::folder::StateError;
    let shown = printable(&crate::text::os_display(dir.as_os_str()), 200);
    if !dir.is_dir() {
        let why = if dir.exists() { "不是文件夹" } else { "不存在" };
        writeln!(out, "\n无法对比：“{shown}”{why}。请用 --against 指定上次运行的输出文件夹（如 output）。")?;
        return Ok(());
    }
    let run = crate::publish::manifest_in(dir)
        .and_then(|b| serde_json::from_slice::<crate::history::Run>(&b).map_err(|_| StateError::Damaged))
        .and_then(|r| if r.snapshot.is_some() { Ok(r) } else { Err(StateError::Foreign) });
    let run = match run {
        Ok(run) => run,
        Err(e) => {
            let why = match e {
                StateError::Missing => "没有运行清单（manifest.json）。请先运行一次汇总，或检查文件夹是否正确".to_string(),
                e => format!("的运行清单（manifest.json）{}", e.explain()),
            };
            writeln!(out, "\n无法对比：“{shown}”中{why}。")?;
            return Ok(());
        }
    };
    let snapshot = run.snapshot.as_ref().expect("checked above");
    let run_id = run.run_id.as_str();
    writeln!(out, "\n与“{}”中上次运行（{run_id}）的结果对比：", printable(&dir.display().to_string(), 200))?;
    let returns: std::collections::BTreeSet<(String, i32)> =
        outcome.files.iter().flat_map(|f| f.covers.iter().map(|c| (c.department.clone(), c.year))).collect();
    let now = crate::history::snap_figures(&outcome.observations);
    let of = |list: &[crate::history::SnapFigure], unit: &str, year: i32| -> Vec<crate::history::SnapFigure> {
        list.iter().filter(|f| f.department == unit && f.year == year).cloned().collect()
    };
    let value = |v: Option<f64>| v.map(|v| fmt_num(v, 6)).unwrap_or_default();
    for (unit, year) in &returns {
        let changes = crate::assess::changes::figure_changes(&of(&snapshot.figures, unit, *year), &of(&now, unit, *year));
        let lines: Vec<String> = changes
            .iter()
            .map(|c| {
                let name = plan.indicator(&c.indicator_id).map(|i| printable(&i.name, 40)).unwrap_or_default();
                let at = format!("{}·{}", printable(&c.file, 200), c.cell);
                match c.kind() {
                    crate::assess::ChangeKind::Added => format!("  新增：{} {name} {} {}（{at}）", c.indicator_id, value(c.after), c.unit),
                    crate::assess::ChangeKind::Withdrawn => {
                        format!("  撤回：{} {name} 原 {} {}（{at}）", c.indicator_id, value(c.before), c.unit)
                    }
                    _ => format!("  修改：{} {name} {} → {} {}（{at}）", c.indicator_id, value(c.before), value(c.after), c.unit),
                }
            })
            .collect();
        if lines.is_empty() {
            writeln!(out, "{}{}年度：与上次运行的数据相同，重新汇总不会改变数据。", printable(unit, 40), year)?;
        } else {
            writeln!(
                out,
                "{}{}年度：重新汇总将改变 {} 个数据（这份填报表将替代上次使用的版本）：",
                printable(unit, 40),
                year,
                lines.len()
            )?;
            for l in lines {
                writeln!(out, "{l}")?;
            }
        }
    }
    Ok(())
}

/// What `check` found, for its exit status.
pub struct Checked {
    pub errors: usize,
    pub missing: usize,
}

impl Checked {
    pub fn exit_code(&self) -> u8 {
        if self.missing > 0 {
            2
        } else if self.errors > 0 {
            1
        } else {
            0
        }
    }
}

pub fn run(args: &CheckArgs, plan: &Plan, out: &mut dyn Write) -> Result<Checked> {
    let (present, missing): (Vec<_>, Vec<_>) = args.files.iter().cloned().partition(|p| std::fs::symlink_metadata(p).is_ok());
    // A folder given (or dropped on the program) stands for the spreadsheets in it.
    let present: Vec<std::path::PathBuf> = present
        .into_iter()
        .flat_map(|p| match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => read::spreadsheets_in(&p),
            _ => vec![p],
        })
        .collect();
    let outcome = read::read_files_with(plan, &present, &Isolation::this_program());
    let mut findings = outcome.findings.clone();
    findings.extend(crate::validate::validate_values(plan, &outcome.observations, &outcome.projects)?);
    crate::finding::sort(&mut findings);
    let checked = Checked { errors: crate::assess::FindingCounts::of(&findings).error, missing: missing.len() };
    if args.json {
        let missing: Vec<String> = missing.iter().map(|p| p.display().to_string()).collect();
        let value = serde_json::json!({ "files": outcome.files, "missing": missing, "observations": outcome.observations, "unused": outcome.unused, "findings": findings });
        serde_json::to_writer_pretty(&mut *out, &value)?;
        writeln!(out)?;
        return Ok(checked);
    }
    for p in &missing {
        writeln!(out, "找不到文件：{}。请检查文件名和所在文件夹。", printable(&p.display().to_string(), 200))?;
    }
    let figures = outcome.figures_by_file();
    for f in &outcome.files {
        writeln!(
            out,
            "文件：{}（{}{}）",
            printable(&f.file, 200),
            f.status.label(),
            if f.reason.is_empty() { String::new() } else { format!("：{}", printable(&f.reason, 400)) }
        )?;
        let units = f.units();
        if !units.is_empty() {
            writeln!(
                out,
                "  填报单位：{}　年度：{}",
                printable(&units.join("、"), 200),
                f.year.map(|y| y.to_string()).unwrap_or_else(|| "未识别".into())
            )?;
        }
        // How each table was understood, so that a unit sees how its file was read.
        for l in &f.layouts {
            let or_none = |v: Vec<String>| if v.is_empty() { "未识别".to_string() } else { v.join("、") };
            writeln!(
                out,
                "  工作表“{}”：{}；计量单位取自：{}；年度：{}；填报单位：{}",
                printable(&l.sheet, 40),
                l.orientation.label(),
                or_none(l.unit_sources.iter().map(|s| printable(s, 60)).collect()),
                or_none(l.years.iter().map(|y| y.to_string()).collect()),
                or_none(l.units.iter().map(|u| printable(u, 40)).collect()),
            )?;
            if !l.hidden.is_empty() {
                let shown: Vec<String> = l.hidden.iter().take(20).map(|c| printable(c, 20)).collect();
                let more = if l.hidden.len() > 20 { format!(" 等 {} 格", l.hidden.len()) } else { String::new() };
                writeln!(out, "    其中隐藏的数据（未采用）：{}{more}", shown.join("、"))?;
            }
        }
        let own: Vec<&read::Covered> = f.covers.iter().filter(|c| !c.secondary).collect();
        if own.len() > 1 {
            let returns: Vec<String> = own.iter().map(|c| format!("{}{}年度", printable(&c.department, 40), c.year)).collect();
            writeln!(out, "  本文件含 {} 份填报：{}", own.len(), returns.join("、"))?;
        }
        for (o, because) in figures.get(f.file.as_str()).into_iter().flatten().copied() {
            let not_used = because.map(|b| format!("（未采用：{}）", b.label())).unwrap_or_default();
            writeln!(
                out,
                "  {}!{}　{}年{}　{} {}　{}{not_used}",
                printable(&o.sheet, 40),
                o.cell,
                o.year,
                o.kind.label(),
                o.indicator_id,
                printable(&o.indicator_name, 60),
                match o.value {
                    // Say what was read when the cell said it differently (２,750 → 2750).
                    Some(v) if o.raw.trim() != fmt_num(v, 6) => format!("{} {}（原文“{}”）", fmt_num(v, 6), o.unit, printable(&o.raw, 40)),
                    Some(v) => format!("{} {}", fmt_num(v, 6), o.unit),
                    None => format!("无数值（“{}”）", printable(&o.raw, 40)),
                }
            )?;
        }
    }
    if let Some(dir) = &args.against {
        against(dir, plan, &outcome, out)?;
    }
    if findings.is_empty() {
        writeln!(out, "\n未发现问题。")?;
    } else {
        writeln!(out, "\n发现 {} 个问题：", findings.len())?;
        for f in &findings {
            writeln!(out, "  [{}] {}：{}", f.severity.label(), printable(&f.location(), 200), printable(&f.message, 400))?;
        }
    }
    Ok(checked)
}
