//! `planmon plan import`: 附件1 and 附件2 from the office's files into the plan tables.
//! The columns are found by their header words (one or two header rows, merged cells,
//! a unit in brackets, full-width text); ids are kept where a name matches the current
//! table; what changes is shown before anything is written.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use super::grid::{read_tables, ImportJob, Importer, Table};
use super::layout::{self, IndCol, ProjCol};
use crate::plan::{Indicator, IndicatorKind, Plan, Project, Unit, MAX_INDICATORS, MAX_NAME_CHARS, MAX_PROJECTS};
use crate::read::Isolation;
use crate::text::{fmt_num, normalize_name, strip_unit_suffix};
use crate::worker::{Bounds, Lost};

/// What was found in the files.
#[derive(Debug, Default)]
pub struct Imported {
    pub indicators: Option<IndicatorTable>,
    pub projects: Option<Vec<Project>>,
    /// Responsible units the tables name that units.toml does not know.
    pub new_units: Vec<String>,
    /// Rows passed over, and why (file, table, row).
    pub skipped: Vec<String>,
}

/// 附件1 as imported.
#[derive(Debug, Clone)]
pub struct IndicatorTable {
    pub title: String,
    pub start: i32,
    pub end: i32,
    pub baseline_year: i32,
    pub indicators: Vec<Indicator>,
}

/// Read every 附件1 and 附件2 table in the files, on threads of this process.
pub fn import(plan: &Plan, files: &[PathBuf]) -> Result<Imported, String> {
    import_with(plan, files, &Isolation::Threads)
}

/// Read every 附件1 and 附件2 table in the files, the files parsed in the given
/// isolation (`plan import` uses worker processes: a file that makes a parser abort or
/// run out of memory costs a message, not the command).
pub fn import_with(plan: &Plan, files: &[PathBuf], isolation: &Isolation) -> Result<Imported, String> {
    let mut out = Imported::default();
    let mut units: Vec<String> = Vec::new();
    let mut refused: Vec<String> = Vec::new();
    for (path, tables) in files.iter().zip(file_tables(plan, files, isolation)) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tables = tables.map_err(|e| format!("{name}：{e}"))?;
        for t in &tables {
            let title = table_title(t);
            if let Some(found) = indicator_table(plan, t, &name, &title, &mut out.skipped, &mut refused) {
                if out.indicators.is_some() {
                    return Err(format!("{name}：找到了不止一张指标表（附件1）。请一次只导入一张。"));
                }
                units.extend(found.indicators.iter().flat_map(|i| i.responsible.clone()));
                out.indicators = Some(found);
            } else if let Some(found) = project_table(plan, t, &name, &mut out.skipped, &mut refused) {
                if out.projects.is_some() {
                    return Err(format!("{name}：找到了不止一张项目表（附件2）。请一次只导入一张。"));
                }
                units.extend(found.iter().flat_map(|p| p.responsible.clone()));
                out.projects = Some(found);
            }
        }
    }
    if !refused.is_empty() {
        let n = refused.len();
        refused.truncate(20);
        let more = if n > 20 { format!("\n……共 {n} 处") } else { String::new() };
        return Err(format!("表中有不能导入的内容，未导入：\n{}{more}", refused.join("\n")));
    }
    if out.indicators.is_none() && out.projects.is_none() {
        return Err("文件中没有找到指标表（表头含“指标名称”和“目标值”）或项目表（表头含“项目名称”）。".into());
    }
    if let Some(t) = out.indicators.as_ref().filter(|t| t.indicators.len() > MAX_INDICATORS) {
        return Err(format!("指标表有 {} 项指标，超过 {MAX_INDICATORS} 项的上限，未导入。", t.indicators.len()));
    }
    if let Some(p) = out.projects.as_ref().filter(|p| p.len() > MAX_PROJECTS) {
        return Err(format!("项目表有 {} 个项目，超过 {MAX_PROJECTS} 个的上限，未导入。", p.len()));
    }
    let mut seen = std::collections::HashSet::new();
    for u in units {
        if plan.resolve_unit(&u).is_none() && seen.insert(u.clone()) {
            out.new_units.push(u);
        }
    }
    Ok(out)
}

/// The tables of each file, read in the given isolation.
fn file_tables(plan: &Plan, files: &[PathBuf], isolation: &Isolation) -> Vec<Result<Vec<Table>, String>> {
    let limits = &plan.rules.limits;
    let Isolation::Processes(exe) = isolation else {
        return files.iter().map(|p| read_tables(p, limits)).collect();
    };
    let bounds = Bounds { seconds: limits.seconds_per_file, memory_mb: limits.memory_mb_per_file, ahead: 1 };
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, files.len().max(1));
    let jobs = || files.iter().map(|p| ImportJob { path: crate::worker::path_to_wire(p) }).collect();
    let (_, answers) = crate::worker::run::<Importer>(exe, limits, bounds, workers, jobs, &|_| false, &mut |_, _| {});
    files
        .iter()
        .zip(answers)
        .map(|(path, answer)| match answer {
            Ok(tables) => tables,
            Err(Lost::TimedOut) => Err(format!(
                "读取超过 {} 秒仍未完成，已放弃（文件可能损坏、被改动过或过于庞大）。请用 Excel、Word 或 WPS 打开后另存一份再试。",
                fmt_num(limits.seconds_per_file, 1)
            )),
            Err(Lost::Died { out_of_memory: true }) => Err(format!(
                "读取需要超过 {} MB 的内存，已放弃（文件可能损坏或被恶意构造，例如在极远处写了内容）。请用 Excel、Word 或 WPS 打开后另存一份再试。",
                fmt_num(limits.memory_mb_per_file, 0)
            )),
            Err(Lost::Died { out_of_memory: false }) => {
                Err("读取时读取程序意外退出（文件可能损坏）。请用 Excel、Word 或 WPS 打开后另存一份再试。".to_string())
            }
            Err(Lost::Skipped | Lost::NoWorker) => read_tables(path, limits),
        })
        .collect()
}

/// The units a 责任单位 cell names: the plan's own name where it knows the unit, else
/// the name as written — which becomes a file name, so it must be a safe one.
fn responsible_units(plan: &Plan, cell: &str, at: &str, refused: &mut Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    for u in layout::split_units(cell) {
        if let Some(known) = plan.resolve_unit(&u) {
            out.push(known.name.clone());
            continue;
        }
        let u: String = unicode_normalization::UnicodeNormalization::nfc(u.as_str()).collect();
        match crate::names::unit_name(&u) {
            Ok(_) => out.push(u),
            Err(why) => refused.push(format!(
                "{at}：责任单位“{}”不能用作单位名称：{why}。{}。",
                crate::text::printable(&u, 60),
                crate::names::unit_advice()
            )),
        }
    }
    out
}

/// A name too long for the plan is refused with its row (and never normalised: that
/// is quadratic in its length).
fn name_fits(name: &str, at: &str, refused: &mut Vec<String>) -> bool {
    let n = name.chars().count();
    if n > MAX_NAME_CHARS {
        refused.push(format!("{at}：名称有 {n} 个字，超过 {MAX_NAME_CHARS} 个字的上限。"));
        return false;
    }
    true
}

/// The title above a table (the first long text in its first rows), if any.
fn table_title(t: &Table) -> String {
    t.rows
        .iter()
        .take(3)
        .flat_map(|r| r.iter())
        .find(|c| c.chars().count() > 8 && (c.contains('表') || c.contains("方案")))
        .cloned()
        .unwrap_or_default()
}

/// The header of a table: its last row, and each column's combined header text (a top
/// cell carried to the right over the cells under it).
fn header<R: PartialEq + Clone>(
    t: &Table,
    classify: impl Fn(&str) -> R,
    other: R,
    complete: impl Fn(&[R]) -> bool,
) -> Option<(usize, Vec<R>)> {
    for r in 0..t.rows.len().min(15) {
        let single: Vec<R> = (0..t.width()).map(|c| classify(t.cell(r, c))).collect();
        let mut carried = String::new();
        let combined: Vec<R> = (0..t.width())
            .map(|c| {
                let (top, bottom) = (t.cell(r, c), t.cell(r + 1, c));
                if !top.is_empty() {
                    carried = top.to_string();
                }
                // A Word cell merged down repeats the text above.
                if bottom.is_empty() || bottom == top {
                    classify(top)
                } else {
                    classify(&format!("{}{bottom}", if top.is_empty() { carried.as_str() } else { top }))
                }
            })
            .collect();
        // Two header rows when the row below holds short words and no figure.
        let below_is_header = r + 1 < t.rows.len()
            && (0..t.width()).any(|c| !t.cell(r + 1, c).is_empty())
            && (0..t.width()).all(|c| {
                let s = t.cell(r + 1, c);
                s.is_empty() || (s.chars().count() <= 16 && layout::first_number(s).is_none_or(|_| !layout::years(s).is_empty()))
            });
        // The second row is part of the header only if it makes more columns known (an
        // area heading under a one-row header does not).
        let known = |cols: &[R]| cols.iter().filter(|c| **c != other).count();
        if below_is_header && complete(&combined) && !(complete(&single) && known(&single) >= known(&combined)) {
            return Some((r + 1, combined));
        }
        if complete(&single) {
            return Some((r, single));
        }
    }
    None
}

fn indicator_table(
    plan: &Plan,
    t: &Table,
    file: &str,
    title: &str,
    skipped: &mut Vec<String>,
    refused: &mut Vec<String>,
) -> Option<IndicatorTable> {
    // A target column, or year columns (2022年 | 2025年: the last is the target).
    let complete =
        |cols: &[IndCol]| cols.contains(&IndCol::Name) && cols.iter().any(|c| matches!(c, IndCol::Target(_) | IndCol::Milestone(_)));
    let (last, mut cols) = header(t, layout::indicator_col, IndCol::Other, complete)?;
    if !cols.iter().any(|c| matches!(c, IndCol::Target(_))) {
        let years: Vec<(usize, i32)> =
            cols.iter().enumerate().filter_map(|(i, c)| if let IndCol::Milestone(y) = c { Some((i, *y)) } else { None }).collect();
        let (ti, ty) = *years.iter().max_by_key(|(_, y)| *y)?;
        cols[ti] = IndCol::Target(Some(ty));
        // The earliest of several years is the base, unless a base column is named.
        if years.len() >= 2 && !cols.iter().any(|c| matches!(c, IndCol::Base(_))) {
            let (bi, by) = *years.iter().min_by_key(|(_, y)| *y)?;
            cols[bi] = IndCol::Base(Some(by));
        }
    }
    let col = |want: &IndCol| cols.iter().position(|c| c == want);
    let (name_col, target_col) = (col(&IndCol::Name)?, cols.iter().position(|c| matches!(c, IndCol::Target(_)))?);
    let end = match cols[target_col] {
        IndCol::Target(Some(y)) => y,
        _ => layout::years(title).into_iter().max().unwrap_or(plan.end),
    };
    let base = cols.iter().enumerate().find_map(|(i, c)| if let IndCol::Base(y) = c { Some((i, *y)) } else { None });
    let baseline_year = base.and_then(|(_, y)| y).unwrap_or(end - (plan.end - plan.baseline_year));
    let milestones: Vec<(usize, i32)> =
        cols.iter().enumerate().filter_map(|(i, c)| if let IndCol::Milestone(y) = c { Some((i, *y)) } else { None }).collect();
    let (area_col, unit_col, attr_col, resp_col, note_col, seq_col) =
        (col(&IndCol::Area), col(&IndCol::Unit), col(&IndCol::Attribute), col(&IndCol::Responsible), col(&IndCol::Note), col(&IndCol::Seq));
    let mut area = String::new();
    let mut rows = Vec::new();
    for r in last + 1..t.rows.len() {
        let written_name = t.cell(r, name_col);
        if let Some(c) = area_col {
            if !t.cell(r, c).is_empty() {
                area = clean_area(t.cell(r, c));
            }
        }
        let target_text = t.cell(r, target_col);
        // A row holding one text across the table (一、幼有所育): the area's heading.
        let texts: Vec<&str> = (0..t.width()).map(|c| t.cell(r, c)).filter(|s| !s.is_empty()).collect();
        if !texts.is_empty() && texts.iter().all(|s| *s == texts[0]) && layout::first_number(texts[0]).is_none() && target_text.is_empty() {
            area = clean_area(texts[0]);
            continue;
        }
        if written_name.is_empty() {
            continue;
        }
        let at = format!("{file}，{}，第{}行", t.name, r + 1);
        if !name_fits(written_name, &at, refused) {
            continue;
        }
        let n = normalize_name(written_name);
        // No target but a 年均增长: the growth rate is the target, each year.
        let growth = col(&IndCol::Growth).and_then(|c| layout::first_number(t.cell(r, c)));
        let decoded = layout::decode_target(target_text, &n).or_else(|| growth.map(|g| (g, crate::plan::Comparison::AnnualRate)));
        let Some((target, comparison)) = decoded else {
            skipped.push(format!("{at}：“{written_name}”的目标值“{target_text}”不是数字，未导入。"));
            continue;
        };
        // The unit: its column, else brackets closing the name.
        let stripped = strip_unit_suffix(&n);
        let bracket = (stripped != n).then(|| n[stripped.len() + 1..n.len() - 1].to_string());
        let column_unit = unit_col.map(|c| t.cell(r, c).to_string()).filter(|u| !u.is_empty());
        // Brackets closing the name hold its unit when there is no unit cell, or the same
        // unit as the cell; other brackets (执业（助理）医师) are part of the name.
        let bracket_is_unit = bracket.as_ref().is_some_and(|b| match &column_unit {
            None => crate::read::value::normalize_unit(b).chars().count() <= 4,
            Some(u) => crate::read::value::normalize_unit(b) == crate::read::value::normalize_unit(u),
        });
        let unit = column_unit.or_else(|| bracket.clone().filter(|_| bracket_is_unit)).unwrap_or_default();
        let name = if bracket_is_unit { original_prefix(written_name, &stripped) } else { written_name.trim().to_string() };
        let responsible = resp_col.map(|c| responsible_units(plan, t.cell(r, c), &at, refused)).unwrap_or_default();
        rows.push(Indicator {
            shared: Default::default(),
            id: String::new(),
            seq: seq_col.and_then(|c| layout::first_number(t.cell(r, c))).filter(|n| n.fract() == 0.0 && *n > 0.0).map(|n| n as u32),
            kind: IndicatorKind::Goal,
            area: area.clone(),
            name,
            unit: crate::read::value::normalize_unit(&unit),
            target,
            comparison,
            milestones: milestones
                .iter()
                .filter_map(|&(c, y)| layout::first_number(t.cell(r, c)).map(|v| (y.to_string(), v)))
                .collect::<BTreeMap<_, _>>(),
            responsible,
            source: format!("附件1：{}，{}年目标{}", written_name.trim(), end, target_text.trim()),
            responsibility_source: String::new(),
            note: note_col.map(|c| t.cell(r, c).to_string()).unwrap_or_default(),
            conflicts: Vec::new(),
            aliases: Vec::new(),
            projects: Vec::new(),
            attribute: attr_col.map(|c| layout::attribute(t.cell(r, c))).unwrap_or_default(),
            baseline: base.and_then(|(c, _)| layout::number(t.cell(r, c))),
            origin: at,
        });
    }
    if rows.is_empty() {
        return None;
    }
    let start = baseline_year + 1;
    Some(IndicatorTable { title: plan_title(plan, title, start, end), start, end, baseline_year, indicators: rows })
}

fn project_table(plan: &Plan, t: &Table, file: &str, skipped: &mut Vec<String>, refused: &mut Vec<String>) -> Option<Vec<Project>> {
    let complete =
        |cols: &[ProjCol]| cols.contains(&ProjCol::Name) && (cols.contains(&ProjCol::Content) || cols.contains(&ProjCol::Responsible));
    let (last, cols) = header(t, layout::project_col, ProjCol::Other, complete)?;
    let col = |want: &ProjCol| cols.iter().position(|c| c == want);
    let name_col = col(&ProjCol::Name)?;
    let invest = cols.iter().enumerate().find_map(|(i, c)| if let ProjCol::Investment(f) = c { Some((i, *f)) } else { None });
    let mut area = String::new();
    let mut out = Vec::new();
    for r in last + 1..t.rows.len() {
        if let Some(c) = col(&ProjCol::Area) {
            if !t.cell(r, c).is_empty() {
                area = clean_area(t.cell(r, c));
            }
        }
        let name = t.cell(r, name_col).trim();
        if name.is_empty() || name.starts_with("合计") {
            continue;
        }
        let at = format!("{file}，{}，第{}行", t.name, r + 1);
        let written = col(&ProjCol::Period).map(|c| t.cell(r, c).trim().to_string()).unwrap_or_default();
        let due = layout::years(&written).into_iter().max();
        // A single year (2025年) is the year due; a span (2023—2025) is kept as written.
        let single = due.is_some_and(|y| written.trim_end_matches('年') == y.to_string());
        let period = if single { String::new() } else { written.clone() };
        if !name_fits(name, &at, refused) {
            continue;
        }
        let responsible = col(&ProjCol::Responsible).map(|c| responsible_units(plan, t.cell(r, c), &at, refused)).unwrap_or_default();
        if responsible.is_empty() {
            skipped.push(format!("{at}：项目“{name}”没有写责任单位，已导入，请补填。"));
        }
        out.push(Project {
            id: String::new(),
            area: area.clone(),
            name: name.to_string(),
            responsible,
            goal: col(&ProjCol::Content).map(|c| t.cell(r, c).trim().to_string()).unwrap_or_default(),
            due,
            source: format!("附件2：{name}"),
            investment: invest.and_then(|(c, f)| layout::number(t.cell(r, c)).map(|v| v * f)),
            period,
            origin: at,
        });
    }
    (!out.is_empty()).then_some(out)
}

/// 一、幼有所育 → 幼有所育.
fn clean_area(text: &str) -> String {
    let t = text.trim();
    let t = t.trim_start_matches(|c: char| "一二三四五六七八九十0123456789（）()、.． ".contains(c));
    t.trim().to_string()
}

/// The name as written, up to where its normalised form ends (drops a unit in brackets).
fn original_prefix(written: &str, normalised_prefix: &str) -> String {
    let mut out = String::new();
    for ch in written.trim().chars() {
        if normalize_name(&out) == normalised_prefix {
            break;
        }
        out.push(ch);
    }
    out.trim().to_string()
}

/// The plan's title: from the table's title (…方案(2026—2030年)主要发展指标表 → the
/// part before 主要发展指标), else the current title for the same period, else the
/// current title with the years replaced.
fn plan_title(plan: &Plan, title: &str, start: i32, end: i32) -> String {
    let t = title.trim().trim_start_matches("附件1").trim_start_matches(['：', ':', ' ']).trim();
    for cut in ["主要发展指标", "主要指标", "发展指标", "指标表"] {
        if let Some(i) = t.find(cut) {
            if t[..i].contains("方案") || t[..i].contains("规划") {
                return t[..i].trim().to_string();
            }
        }
    }
    if plan.start == start && plan.end == end {
        return plan.title.clone();
    }
    plan.title.replace(&plan.start.to_string(), &start.to_string()).replace(&plan.end.to_string(), &end.to_string())
}

/// The tables after an import: what would be written.
#[derive(Debug, Clone)]
pub struct Merged {
    pub title: String,
    pub start: i32,
    pub end: i32,
    pub baseline_year: i32,
    pub indicators: Vec<Indicator>,
    pub projects: Vec<Project>,
    pub tasks: Vec<crate::plan::KeyTask>,
    pub units: Vec<Unit>,
    pub official_indicators: bool,
    pub official_projects: bool,
}

/// The current tables with the imported ones put in: ids kept where names match, the
/// current rows' aliases and notes kept; the text-compiled task targets and key tasks
/// kept when the period is the same (they belong to this plan), dropped otherwise.
pub fn merge(plan: &Plan, imported: &Imported) -> Merged {
    let same_period = imported.indicators.as_ref().is_none_or(|t| t.start == plan.start && t.end == plan.end);
    let mut m = Merged {
        title: plan.title.clone(),
        start: plan.start,
        end: plan.end,
        baseline_year: plan.baseline_year,
        indicators: plan.indicators.clone(),
        projects: plan.projects.clone(),
        tasks: plan.tasks.clone(),
        units: plan.units.clone(),
        official_indicators: plan.official.indicators,
        official_projects: plan.official.projects,
    };
    if let Some(t) = &imported.indicators {
        m.title = t.title.clone();
        m.start = t.start;
        m.end = t.end;
        m.baseline_year = t.baseline_year;
        m.official_indicators = true;
        let mut goals: Vec<Indicator> = Vec::new();
        // Sets, not lists: a table of a few thousand rows stays quick.
        let mut used: HashSet<String> = HashSet::new();
        // A task target the attachment lists as an indicator becomes that indicator.
        let mut promoted: Vec<String> = Vec::new();
        for row in &t.indicators {
            let mut ind = row.clone();
            if let Some(cur) = plan.match_indicator("", "", &row.name).filter(|c| !used.contains(&c.id)) {
                if cur.kind == IndicatorKind::Task {
                    promoted.push(cur.id.clone());
                }
                ind.id = cur.id.clone();
                ind.aliases = cur.aliases.clone();
                // A table without a 领域 column keeps the row's area.
                if ind.area.is_empty() {
                    ind.area = cur.area.clone();
                }
                ind.conflicts = if same_period { cur.conflicts.clone() } else { Vec::new() };
                if same_period {
                    ind.responsibility_source = cur.responsibility_source.clone();
                    if ind.note.is_empty() {
                        ind.note = cur.note.clone();
                    }
                }
            }
            if !ind.id.is_empty() {
                used.insert(ind.id.clone());
            }
            goals.push(ind);
        }
        for ind in goals.iter_mut().filter(|i| i.area.is_empty()) {
            ind.area = "其他".to_string();
        }
        let tasks: Vec<Indicator> = if same_period {
            plan.indicators.iter().filter(|i| i.kind == IndicatorKind::Task && !promoted.contains(&i.id)).cloned().collect()
        } else {
            Vec::new()
        };
        used.extend(tasks.iter().map(|i| i.id.clone()));
        // A new row of the same plan never takes the id of a row it does not match.
        if same_period {
            used.extend(plan.indicators.iter().map(|i| i.id.clone()));
        }
        let mut next = 1;
        for ind in goals.iter_mut().filter(|i| i.id.is_empty()) {
            let preferred = ind.seq.map(|s| format!("G{s:02}")).filter(|id| !used.contains(id));
            let id = preferred.unwrap_or_else(|| fresh_id("G", &mut next, &used));
            used.insert(id.clone());
            ind.id = id;
        }
        m.indicators = goals.into_iter().chain(tasks).collect();
        if !same_period {
            m.tasks.clear();
            if imported.projects.is_none() {
                m.projects.clear();
            }
        }
    }
    if let Some(projects) = &imported.projects {
        m.official_projects = true;
        let mut used: HashSet<String> = HashSet::new();
        let mut out: Vec<Project> = Vec::new();
        // The current projects by name, each taken once, in the table's order.
        let mut by_name: HashMap<String, VecDeque<&Project>> = HashMap::new();
        for c in &plan.projects {
            by_name.entry(normalize_name(&c.name)).or_default().push_back(c);
        }
        for p in projects {
            let mut p = p.clone();
            let candidates = by_name.get_mut(&normalize_name(&p.name));
            if let Some(cur) = candidates.and_then(|q| q.pop_front()) {
                p.id = cur.id.clone();
                used.insert(p.id.clone());
            }
            out.push(p);
        }
        if same_period {
            used.extend(plan.projects.iter().map(|p| p.id.clone()));
        }
        let mut next = 1;
        for p in out.iter_mut().filter(|p| p.id.is_empty()) {
            let id = fresh_id("P", &mut next, &used);
            used.insert(id.clone());
            p.id = id;
        }
        m.projects = out;
    }
    for u in &imported.new_units {
        m.units.push(Unit { name: u.clone(), full: u.clone(), aliases: Vec::new(), role: crate::plan::Role::Returns });
    }
    // A tie of an indicator or a task to a project that the imported project table no
    // longer has goes with it (the tie is the plan's data, kept only where both are).
    let ids: HashSet<String> = m.projects.iter().map(|p| p.id.clone()).collect();
    for i in &mut m.indicators {
        i.projects.retain(|p| ids.contains(p));
    }
    for t in &mut m.tasks {
        t.projects.retain(|p| ids.contains(p));
        t.starts.retain(|p| ids.contains(p));
    }
    m
}

/// The tables after an import checked as a run will load them (sizes, units usable as
/// file names, years, numbers): an import never writes tables that would not load.
pub fn check(plan: &Plan, m: &Merged) -> Result<(), String> {
    let tables = crate::plan::PlanTables {
        version: plan.version.clone(),
        title: m.title.clone(),
        start: m.start,
        end: m.end,
        baseline_year: m.baseline_year,
        indicators: m.indicators.clone(),
        units: m.units.clone(),
        projects: m.projects.clone(),
        tasks: m.tasks.clone(),
        rules: plan.rules.clone(),
        official: crate::plan::Official { indicators: m.official_indicators, projects: m.official_projects },
    };
    let sources = ["导入后的 indicators.toml", "导入后的 units.toml", "导入后的 projects.toml", "rules.toml"];
    Plan::from_tables(tables, sources.map(String::from).to_vec())
        .map(|_| ())
        .map_err(|e| format!("{e}未写入。请改正方案附件中的这一处后重新导入。"))
}

/// The first id `<prefix>NN` from `next` on that is not used (and `next` moved past it).
fn fresh_id(prefix: &str, next: &mut usize, used: &HashSet<String>) -> String {
    loop {
        let id = format!("{prefix}{:02}", *next);
        *next += 1;
        if !used.contains(&id) {
            return id;
        }
    }
}

/// What an import changes, line by line (empty: nothing).
pub fn changes(plan: &Plan, m: &Merged) -> Vec<String> {
    let mut out = Vec::new();
    if m.title != plan.title || m.start != plan.start || m.end != plan.end || m.baseline_year != plan.baseline_year {
        out.push(format!(
            "方案：{}（{}—{}年，基期{}年）→ {}（{}—{}年，基期{}年）",
            plan.title, plan.start, plan.end, plan.baseline_year, m.title, m.start, m.end, m.baseline_year
        ));
    }
    let show = |i: &Indicator| format!("{} {}（{}）", fmt_num(i.target, 6), i.unit, i.comparison.label());
    for new in &m.indicators {
        match plan.indicators.iter().find(|c| c.id == new.id) {
            None => out.push(format!("新增指标 {} {}：目标 {}，责任单位 {}", new.id, new.name, show(new), new.responsible_joined())),
            Some(cur) => {
                let mut what = Vec::new();
                if cur.name != new.name {
                    what.push(format!("名称“{}”→“{}”", cur.name, new.name));
                }
                if cur.area != new.area {
                    what.push(format!("领域 {} → {}", cur.area, new.area));
                }
                if cur.target != new.target || cur.unit != new.unit || cur.comparison != new.comparison {
                    what.push(format!("目标 {} → {}", show(cur), show(new)));
                }
                if cur.responsible != new.responsible {
                    what.push(format!("责任单位 {} → {}", cur.responsible_joined(), new.responsible_joined()));
                }
                if cur.attribute != new.attribute {
                    what.push(format!("指标属性 {} → {}", or_none(&cur.attribute), or_none(&new.attribute)));
                }
                if cur.baseline != new.baseline {
                    let b = |v: Option<f64>| v.map(|v| fmt_num(v, 6)).unwrap_or_else(|| "无".into());
                    what.push(format!("基期值 {} → {}", b(cur.baseline), b(new.baseline)));
                }
                if cur.milestones != new.milestones {
                    what.push("阶段目标有变化".to_string());
                }
                if !what.is_empty() {
                    out.push(format!("修改指标 {} {}：{}", new.id, new.name, what.join("；")));
                }
            }
        }
    }
    for cur in plan.indicators.iter().filter(|c| !m.indicators.iter().any(|n| n.id == c.id)) {
        out.push(format!("删除指标 {} {}", cur.id, cur.name));
    }
    for new in &m.projects {
        match plan.projects.iter().find(|c| c.id == new.id) {
            None => out.push(format!("新增项目 {} {}（{}）", new.id, new.name, new.responsible.join("、"))),
            Some(cur) => {
                if cur.name != new.name
                    || cur.goal != new.goal
                    || cur.responsible != new.responsible
                    || cur.due != new.due
                    || cur.investment != new.investment
                    || cur.area != new.area
                {
                    out.push(format!("修改项目 {} {}", new.id, new.name));
                }
            }
        }
    }
    for cur in plan.projects.iter().filter(|c| !m.projects.iter().any(|n| n.id == c.id)) {
        out.push(format!("删除项目 {} {}", cur.id, cur.name));
    }
    if m.tasks.len() < plan.tasks.len() {
        out.push(format!("删除据方案正文整理的重点任务 {} 项（属于原规划期）", plan.tasks.len() - m.tasks.len()));
    }
    for u in m.units.iter().skip(plan.units.len()) {
        out.push(format!("新增责任单位 {}（请在 units.toml 中补全全称和简称）", u.name));
    }
    out
}

fn or_none(s: &str) -> &str {
    if s.is_empty() {
        "未写"
    } else {
        s
    }
}

/// Write the merged tables into `dir` (the working folder's templates/). A table file
/// already there is kept beside as `<name>.<time>.bak`, never overwritten unseen.
pub fn write(dir: &Path, plan: &Plan, m: &Merged, stamp: &str, imported: &Imported) -> Result<Vec<(PathBuf, Option<PathBuf>)>, String> {
    use crate::plan::{IndicatorFile, ProjectFile, UnitFile};
    std::fs::create_dir_all(dir).map_err(|e| format!("无法创建文件夹 {}：{}", dir.display(), crate::oserror::explain(&e)))?;
    // The tables to write, each checked before any is written: an import never stops
    // half-way because one of them is a link.
    let mut tables: Vec<(&str, String)> = Vec::new();
    let mut put = |name: &'static str, head: &str, body: String| -> Result<(), String> {
        tables.push((name, format!("{head}\n{body}")));
        Ok(())
    };
    let head = format!(
        "# 由 planmon plan import 生成（{stamp}）。每行的 origin 写明它来自哪个文件、哪张表、第几行；没有 origin 的行据方案正文整理。\n"
    );
    let indicators = IndicatorFile {
        version: format!("{}-{}.{}", m.start, m.end, if m.official_indicators { "附件1" } else { "正文" }),
        official: m.official_indicators,
        plan: m.title.clone(),
        plan_start: m.start,
        plan_end: m.end,
        baseline_year: m.baseline_year,
        indicator: m.indicators.clone(),
    };
    let period_changed = m.start != plan.start || m.end != plan.end;
    // The indicators' ties to projects follow the project table: a new one rewrites
    // them too.
    let ties_changed = m.indicators.iter().zip(&plan.indicators).any(|(n, c)| n.id == c.id && n.projects != c.projects);
    if imported.indicators.is_some() || ties_changed {
        put("indicators.toml", &head, toml::to_string(&indicators).map_err(|e| e.to_string())?)?;
    }
    if imported.projects.is_some() || period_changed {
        let projects =
            ProjectFile { version: String::new(), official: m.official_projects, project: m.projects.clone(), task: m.tasks.clone() };
        put("projects.toml", &head, toml::to_string(&projects).map_err(|e| e.to_string())?)?;
    }
    if m.units.len() != plan.units.len() {
        put("units.toml", &head, toml::to_string(&UnitFile { version: String::new(), unit: m.units.clone() }).map_err(|e| e.to_string())?)?;
    }
    // A range rule written for particular indicators stays only with those indicators:
    // an id that now names another indicator (a new plan) leaves the rule.
    let mut rules = plan.rules.clone();
    let same = |id: &String| {
        let now = m.indicators.iter().find(|i| &i.id == id).map(|i| normalize_name(&i.name));
        let before = plan.indicator(id).map(|i| normalize_name(&i.name));
        now.is_some() && now == before
    };
    let before = rules.ranges.len();
    for r in &mut rules.ranges {
        r.ids.retain(same);
    }
    rules.ranges.retain(|r| !r.ids.is_empty() || !r.unit.is_empty() || r.comparison.is_some());
    let changed = rules.ranges.len() != before || rules.ranges.iter().zip(&plan.rules.ranges).any(|(a, b)| a.ids != b.ids);
    if changed {
        put("rules.toml", &head, toml::to_string(&rules).map_err(|e| e.to_string())?)?;
    }
    for (name, _) in &tables {
        let path = dir.join(name);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => return Err(format!("{}。", crate::userdir::WriteError::Link(path))),
            Ok(m) if !m.is_file() => return Err(format!("{}。", crate::userdir::WriteError::NotFile(path))),
            _ => {}
        }
    }
    let mut written = Vec::new();
    for (name, text) in tables {
        let path = dir.join(name);
        let backup = crate::userdir::replace_with_backup(&path, text.as_bytes(), stamp).map_err(|e| format!("{e}。"))?;
        written.push((path, backup));
    }
    Ok(written)
}
