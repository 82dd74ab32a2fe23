//! `planmon templates`: blank returns, one per responsible unit; and the hidden
//! `planmon sample`: the synthetic sample returns shipped in input/.

use std::io::Write;

use anyhow::Result;

use crate::aggregate;
use crate::cli::{Layout, SampleArgs, TemplateArgs};
use crate::forms;
use crate::plan::Plan;
use crate::read;
use crate::render::write_atomic;
use crate::sample;

pub fn return_file_name(unit: &str, year: i32) -> String {
    format!("{unit}_{year}年度填报表.xlsx")
}

pub fn templates(args: &TemplateArgs, plan: &Plan, out: &mut dyn Write) -> Result<()> {
    let this_year = crate::clock::beijing_date(crate::clock::now_unix()).year();
    let year = args.year.unwrap_or(this_year.min(plan.end));
    let created = crate::clock::ymd(year, 12, 1).map(crate::clock::utc_midnight).unwrap_or_default();
    // Last year's figures where the returns are at hand: the figure the assessment uses.
    let figures = if args.input.is_dir() {
        let observations = read::read_inputs(plan, &args.input).observations;
        aggregate::figures::choose(plan, &observations, &crate::frames::observations(&observations)?)?
    } else {
        aggregate::Figures::default()
    };
    for unit in plan.reporting_units() {
        let mut known = forms::Filled::default();
        for ind in plan.indicators_of(&unit.name) {
            if let Some(f) = figures.get(&ind.id, year - 1) {
                known.values.insert(ind.id.clone(), (Some(f.value), None));
            }
        }
        let bytes = forms::return_workbook(plan, &unit.name, year, Some(&known), created)?;
        let path = args.output.join(return_file_name(&unit.name, year));
        write_atomic(&path, &bytes)?;
        writeln!(out, "已生成：{}", path.display())?;
    }
    Ok(())
}

pub fn sample(args: &SampleArgs, plan: &Plan, out: &mut dyn Write) -> Result<()> {
    let written = write_samples(args, plan)?;
    for path in &written {
        writeln!(out, "已生成：{}", path.display())?;
    }
    Ok(())
}

/// Write the synthetic returns: every unit, every year, `copies` times (copies in
/// 副本001/ … folders), in the standard layout, the messy one, or alternating.
pub fn write_samples(args: &SampleArgs, plan: &Plan) -> Result<Vec<std::path::PathBuf>> {
    let last_year = args.last_year.unwrap_or(plan.end);
    let series = sample::synthetic_series(plan, args.seed, last_year);
    let mut written = Vec::new();
    let mut k = 0usize;
    for copy in 0..args.copies.max(1) {
        let dir = if args.copies > 1 { args.output.join(format!("副本{:03}", copy + 1)) } else { args.output.clone() };
        for year in plan.start..=last_year {
            let created = crate::clock::ymd(year + 1, 1, 10).map(crate::clock::utc_midnight).unwrap_or_default();
            for unit in plan.reporting_units() {
                let filled = sample::sample_filled(plan, &unit.name, year, &series, args.seed);
                let messy = match args.layout {
                    Layout::Standard => false,
                    Layout::Messy => true,
                    Layout::Mixed => k % 2 == 1,
                };
                k += 1;
                let bytes = if messy {
                    sample::messy_workbook(plan, &unit.name, year, &filled, created)?
                } else {
                    forms::return_workbook(plan, &unit.name, year, Some(&filled), created)?
                };
                let path = dir.join(return_file_name(&unit.name, year));
                write_atomic(&path, &bytes)?;
                written.push(path);
            }
        }
    }
    Ok(written)
}
