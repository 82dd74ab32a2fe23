//! `planmon plan import FILE…`: take the plan's 附件1 / 附件2 in from the office's files.
//! Shows what would change against the current tables; writes only with `--write` (or
//! when the officer says so at the terminal), into the working folder's templates/.

use std::io::{IsTerminal, Write};

use anyhow::Result;

use super::UsageError;
use crate::attachments::import;
use crate::cli::{PlanCommand, PlanImportArgs};
use crate::plan::Plan;
use crate::text::printable;

pub fn run(command: &PlanCommand, plan: &Plan, out: &mut dyn Write) -> Result<()> {
    match command {
        PlanCommand::Import(args) => import_files(args, plan, out),
    }
}

fn import_files(args: &PlanImportArgs, plan: &Plan, out: &mut dyn Write) -> Result<()> {
    for f in &args.files {
        if !f.is_file() {
            return Err(UsageError(format!("找不到文件：{}。请检查文件名和所在文件夹。", f.display())).into());
        }
    }
    let imported = import::import_with(plan, &args.files, &crate::read::Isolation::this_program()).map_err(UsageError)?;
    let merged = import::merge(plan, &imported);
    import::check(plan, &merged).map_err(UsageError)?;
    if let Some(t) = &imported.indicators {
        writeln!(out, "指标表（附件1）：{} 项指标，{}—{}年，基期{}年。", t.indicators.len(), t.start, t.end, t.baseline_year)?;
    }
    if let Some(p) = &imported.projects {
        writeln!(out, "项目表（附件2）：{} 个项目。", p.len())?;
    }
    for s in &imported.skipped {
        writeln!(out, "  注意：{}", printable(s, 300))?;
    }
    let changes = import::changes(plan, &merged);
    if changes.is_empty() {
        writeln!(out, "与当前的指标表和项目表相比没有变化，无需写入。")?;
        return Ok(());
    }
    writeln!(out, "与当前的表相比：")?;
    for c in &changes {
        writeln!(out, "  {}", printable(c, 400))?;
    }
    let write = args.write || (!args.no && std::io::stdin().is_terminal() && ask(out)?);
    if !write {
        writeln!(out, "未写入。确认无误后加 --write 再运行一次即写入 {}。", args.into.display())?;
        return Ok(());
    }
    if is_source_checkout(&args.into) {
        return Err(UsageError(format!(
            "“{}”是 planmon 源代码中的内置计划表，不能被导入覆盖。请在工作文件夹中运行（planmon init 新建），或用 --into 指定其他文件夹。",
            args.into.display()
        ))
        .into());
    }
    let stamp = crate::clock::iso_time(crate::clock::now_unix()).replace([':', '-'], "");
    let written = import::write(&args.into, plan, &merged, &stamp, &imported).map_err(UsageError)?;
    for (path, backup) in &written {
        writeln!(out, "已写入：{}", crate::text::os_display(path.as_os_str()))?;
        if let Some(b) = backup {
            writeln!(out, "  原有的表已保存为：{}", crate::text::os_display(b.as_os_str()))?;
        }
    }
    writeln!(out, "以后运行 planmon 时使用新表。")?;
    Ok(())
}

fn ask(out: &mut dyn Write) -> Result<bool> {
    write!(out, "是否写入？输入 y 后按回车写入，直接按回车不写入：")?;
    out.flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "是"))
}

/// The templates/ of planmon's own source (beside its Cargo.toml): the embedded
/// defaults, never written by an import.
fn is_source_checkout(dir: &std::path::Path) -> bool {
    let parent = crate::paths::real(dir).parent().map(|p| p.to_path_buf()).unwrap_or_default();
    std::fs::read_to_string(parent.join("Cargo.toml")).is_ok_and(|t| t.contains("name = \"planmon\""))
}
