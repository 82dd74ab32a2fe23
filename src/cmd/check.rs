//! `planmon check FILE...`: read the given returns and print every figure and finding.
//! Writes nothing; this is what a unit runs before sending its return.

use std::io::Write;

use anyhow::Result;

use crate::cli::CheckArgs;
use crate::plan::Plan;
use crate::read;
use crate::text::{fmt_num, printable};

pub fn run(args: &CheckArgs, plan: &Plan, out: &mut dyn Write) -> Result<()> {
    let outcome = read::read_files(plan, &args.files);
    if args.json {
        let mut findings = outcome.findings.clone();
        findings.extend(crate::validate::validate_values(plan, &outcome.observations)?);
        crate::finding::sort(&mut findings);
        let value = serde_json::json!({ "files": outcome.files, "observations": outcome.observations, "findings": findings });
        serde_json::to_writer_pretty(&mut *out, &value)?;
        writeln!(out)?;
        return Ok(());
    }
    for f in &outcome.files {
        writeln!(
            out,
            "文件：{}（{}{}）",
            printable(&f.file, 200),
            f.status,
            if f.reason.is_empty() { String::new() } else { format!("：{}", f.reason) }
        )?;
        if !f.department.is_empty() {
            writeln!(out, "  填报单位：{}　年度：{}", f.department, f.year.map(|y| y.to_string()).unwrap_or_else(|| "未识别".into()))?;
        }
        for o in outcome.observations.iter().filter(|o| *o.file == *f.file) {
            writeln!(
                out,
                "  {}!{}　{}年{}　{} {}　{}",
                printable(&o.sheet, 40),
                o.cell,
                o.year,
                o.kind.label(),
                o.indicator_id,
                o.indicator_name,
                match o.value {
                    // Say what was read when the cell said it differently (２,750 → 2750).
                    Some(v) if o.raw.trim() != fmt_num(v, 6) => format!("{} {}（原文“{}”）", fmt_num(v, 6), o.unit, printable(&o.raw, 40)),
                    Some(v) => format!("{} {}", fmt_num(v, 6), o.unit),
                    None => format!("无数值（“{}”）", printable(&o.raw, 40)),
                }
            )?;
        }
    }
    let mut findings = outcome.findings;
    findings.extend(crate::validate::validate_values(plan, &outcome.observations)?);
    crate::finding::sort(&mut findings);
    if findings.is_empty() {
        writeln!(out, "\n未发现问题。")?;
    } else {
        writeln!(out, "\n发现 {} 个问题：", findings.len())?;
        for f in &findings {
            writeln!(out, "  [{}] {}：{}", f.severity.label(), printable(&f.location(), 200), printable(&f.message, 400))?;
        }
    }
    Ok(())
}
