//! `planmon indicators`: print the indicator table.

use std::io::Write;

use anyhow::Result;

use crate::cli::{Format, IndicatorArgs};
use crate::plan::Plan;
use crate::text::fmt_num;

pub fn run(args: &IndicatorArgs, plan: &Plan, out: &mut dyn Write) -> Result<()> {
    match args.format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["id", "seq", "kind", "area", "name", "unit", "target", "comparison", "milestones", "responsible", "source"])?;
            for i in &plan.indicators {
                let milestones = i.milestones.iter().map(|(y, v)| format!("{y}:{}", fmt_num(*v, 4))).collect::<Vec<_>>().join(";");
                w.write_record([
                    i.id.as_str(),
                    &i.seq.map(|s| s.to_string()).unwrap_or_default(),
                    if i.seq.is_some() { "goal" } else { "task" },
                    &i.area,
                    &i.name,
                    &i.unit,
                    &fmt_num(i.target, 4),
                    i.comparison.as_str(),
                    &milestones,
                    &i.responsible.join("、"),
                    &i.source,
                ])?;
            }
            out.write_all(&w.into_inner()?)?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &plan.indicators)?;
            writeln!(out)?;
        }
        Format::Xlsx | Format::Docx => {
            let xlsx = matches!(args.format, Format::Xlsx);
            let path = args.output.clone().unwrap_or_else(|| format!("方案附件1附件2.{}", if xlsx { "xlsx" } else { "docx" }).into());
            let bytes = if xlsx { crate::attachments::export::xlsx(plan)? } else { crate::attachments::export::docx(plan)? };
            crate::userdir::write_new(&path, &bytes).map_err(|e| match e {
                crate::userdir::WriteError::Exists(_) => super::UsageError(format!("{e}。请用 --output 另选文件名。")),
                e => super::UsageError(format!("{e}。")),
            })?;
            writeln!(out, "已写入：{}", crate::text::os_display(path.as_os_str()))?;
        }
        Format::Table => {
            writeln!(out, "{}　指标表（版本 {}）", plan.title, plan.version)?;
            let mut area = "";
            for i in &plan.indicators {
                if i.area != area {
                    area = &i.area;
                    writeln!(out, "\n【{area}】")?;
                }
                writeln!(
                    out,
                    "  {:<4} {}　目标 {} {}（{}）　责任单位：{}",
                    i.id,
                    i.name,
                    fmt_num(i.target, 4),
                    i.unit,
                    i.comparison.label(),
                    i.responsible.join("、")
                )?;
            }
        }
    }
    Ok(())
}
