//! `planmon init [DIR]`: a working folder a planning office can use with the binary
//! alone: input/, output/, editable plan tables and report templates, planmon.toml.

use std::io::Write;

use anyhow::Result;

use crate::cli::{InitArgs, SampleArgs};
use crate::plan::{Plan, EMBEDDED_FILES};
use crate::render::world::TEMPLATES;

pub fn run(args: &InitArgs, out: &mut dyn Write) -> Result<()> {
    let dir = &args.dir;
    // A working folder's parts are written into as folders of their own, never through a
    // link to a folder elsewhere.
    for sub in ["input", "output", "templates"] {
        let path = dir.join(sub);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(super::UsageError(format!(
                "“{}”是一个链接（快捷方式），planmon init 不通过链接写入文件。请换一个工作文件夹。",
                crate::text::os_display(path.as_os_str())
            ))
            .into());
        }
    }
    if args.sample {
        super::templates::without_returns(&dir.join("input"), "示例填报表")?;
    }
    for sub in ["input", "output", "templates"] {
        let sub = dir.join(sub);
        std::fs::create_dir_all(&sub).map_err(|e| crate::oserror::error("创建文件夹", &sub, &e))?;
    }
    let mut files: Vec<(std::path::PathBuf, &str)> = vec![(dir.join(crate::config::FILE), crate::config::TEMPLATE)];
    files.extend(EMBEDDED_FILES.iter().map(|(name, text)| (dir.join("templates").join(name), *text)));
    files.extend(TEMPLATES.iter().map(|(name, text)| (dir.join("templates").join(name), *text)));
    for (path, text) in files {
        match crate::userdir::write_new(&path, text.as_bytes()) {
            Ok(()) => writeln!(out, "已生成：{}", crate::text::os_display(path.as_os_str()))?,
            Err(crate::userdir::WriteError::Exists(_)) => writeln!(out, "已存在，未覆盖：{}", crate::text::os_display(path.as_os_str()))?,
            Err(e) => return Err(super::UsageError(format!("{e}。")).into()),
        }
    }
    if args.sample {
        let plan = Plan::embedded()?;
        let sample = SampleArgs {
            output: dir.join("input"),
            seed: 2023,
            last_year: Some(plan.end),
            copies: 1,
            layout: crate::cli::Layout::Standard,
        };
        super::templates::sample(&sample, &plan, out)?;
    }
    writeln!(out, "\n工作文件夹已准备好：把各单位的填报表放进 {}，然后在该文件夹中运行 planmon。", dir.join("input").display())?;
    writeln!(
        out,
        "指标表、责任单位、判定阈值和报告模板在 {} 中，可直接修改；设置在 {} 中。",
        dir.join("templates").display(),
        dir.join(crate::config::FILE).display()
    )?;
    Ok(())
}
