//! Stage 1b — versions: files holding the same unit's return for the same year are
//! versions of one return (a unit corrected its return and sent it again, and the office
//! put the new file beside the old one). The newest is used; the others stay in the
//! manifest as 已被替代, with a finding naming both files and the figures that changed.
//! Different units giving different figures remain a conflict (validate).
//!
//! Which version is the newest, rule by rule until one decides:
//! 1. the 填报日期 written in the return, when both give one and they differ;
//! 2. a marker in the file name: 最终/终版/定稿, above 第N版/vN/（N）, above
//!    修改/更正/修订/修正, above none;
//! 3. the file's modification time;
//! 4. the file name (so that the choice never depends on the order of reading).
//!
//! When the 填报日期 decides against what the name or the modification time say, the
//! date wins and a warning asks the office to check.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::finding::{Code, Finding};
use crate::plan::Plan;
use crate::read::{Fate, InputFile, ObsKind, ReadOutcome, Replaced};
use crate::text::{fmt_num, fold_width};

/// Resolve the versions of every return in `read`: mark the replaced returns in the
/// files, take their figures, project reports, texts and findings out of what the later
/// stages see, and add the findings that say so.
///
/// A figure is replaced only by a newer version that gives the same indicator: a resent
/// return with only the corrected rows keeps the other rows of the first one, and two
/// files that complement each other (indicators in one, projects in the other) are both
/// used.
pub fn resolve(plan: &Plan, read: &mut ReadOutcome) {
    let keys: BTreeSet<(String, i32)> = read
        .files
        .iter()
        .filter(|f| f.status == Fate::Read)
        .flat_map(|f| f.covers.iter().map(|c| (c.department.clone(), c.year)))
        .collect();
    let mut added = Vec::new();
    // (file, sheet, cell) of the figures taken out, to take their findings out too.
    let mut removed_cells: HashSet<(String, String, String)> = HashSet::new();
    for (unit, year) in keys {
        let mut left: Vec<usize> = (0..read.files.len())
            .filter(|&i| read.files[i].status == Fate::Read && read.files[i].covers.iter().any(|c| c.department == unit && c.year == year))
            .collect();
        if left.len() < 2 {
            continue;
        }
        left.sort_by(|&a, &b| read.files[a].file.cmp(&read.files[b].file));
        // Newest first, each picked by a walk (the rules need not make a total order;
        // a walk never fails).
        let mut ordered = Vec::new();
        while !left.is_empty() {
            let pick = (1..left.len()).fold(0, |best, i| if newer(&read.files[left[i]], &read.files[left[best]]).0 { i } else { best });
            ordered.push(left.remove(pick));
        }
        let parts: Vec<Parts> = ordered.iter().map(|&i| Parts::of(read, &read.files[i].file, &unit, year)).collect();
        for (k, &old) in ordered.iter().enumerate().skip(1) {
            // What a newer version gives again, and which version that is (the newest).
            let newer_parts = &parts[..k];
            let overridden = parts[k].overridden_by(newer_parts);
            if overridden.is_empty() {
                continue;
            }
            let by = ordered[newer_parts.iter().position(|p| !parts[k].overridden_by(std::slice::from_ref(p)).is_empty()).unwrap_or(0)];
            let (_, basis) = newer(&read.files[by], &read.files[old]);
            let (new_file, old_file) = (read.files[by].file.clone(), read.files[old].file.clone());
            if basis.rule == Rule::Date {
                if let Some(against) = contradicts(&read.files[by], &read.files[old]) {
                    added.push(
                        Finding::warning(
                            Code::VersionDateOrder,
                            format!(
                                "“{}”和“{}”都是{unit}{year}年度的填报表。按填报日期（{}）采用“{}”，但{against}“{}”是较新的版本。请核实哪一份是最新的，把旧的一份移出输入文件夹。",
                                new_file,
                                old_file,
                                basis.text,
                                new_file,
                                old_file
                            ),
                        )
                        .in_file(&new_file)
                        .for_unit(&unit),
                    );
                }
            }
            let changes = changes(plan, read, &old_file, &new_file, &unit, year, &overridden);
            added.push(
                Finding::info(
                    Code::Superseded,
                    format!(
                        "这是{unit}{year}年度填报表的较早版本，已由“{new_file}”替代（{}），本文件中新版本也填写了的内容不再采用。{changes}",
                        basis.text
                    ),
                )
                .in_file(&old_file)
                .for_unit(&unit),
            );
            read.files[old].replaced.push(Replaced { department: unit.clone(), year, by: new_file, basis: basis.text });
            let gone = |department: &str, file: &str, y: i32, key: &str| {
                file == old_file && department == unit && y == year && overridden.contains(key)
            };
            read.observations.retain(|o| {
                let return_year = if o.kind == ObsKind::Previous { o.year + 1 } else { o.year };
                let keep = !gone(&o.department, &o.file, return_year, &format!("指标{}", o.indicator_id));
                if !keep {
                    removed_cells.insert((o.file.to_string(), o.sheet.to_string(), o.cell.clone()));
                }
                keep
            });
            read.projects.retain(|p| !gone(&p.department, &p.file, p.year, &format!("项目{}", p.project_id)));
            read.works.retain(|w| !gone(&w.department, &w.file, w.year, &format!("工作{}", w.area)));
            read.tasks.retain(|t| !gone(&t.department, &t.file, t.year, &format!("任务{}", t.task_id)));
        }
    }
    // A file none of whose content is used any more is 已被替代 as a whole.
    let whole: HashSet<String> = read
        .files
        .iter()
        .filter(|f| !f.replaced.is_empty())
        .filter(|f| {
            let file = f.file.as_str();
            !read.observations.iter().any(|o| &*o.file == file && !o.raw.trim().is_empty())
                && !read.projects.iter().any(|p| p.file == file)
                && !read.works.iter().any(|w| w.file == file)
                && !read.tasks.iter().any(|t| t.file == file)
        })
        .map(|f| f.file.clone())
        .collect();
    for f in read.files.iter_mut().filter(|f| whole.contains(&f.file)) {
        f.status = Fate::Superseded;
    }
    // What an old version said about itself is no longer a problem of the return.
    read.observations.retain(|o| !whole.contains(&*o.file));
    read.findings.retain(|f| !whole.contains(&f.file) && !removed_cells.contains(&(f.file.clone(), f.sheet.clone(), f.cell.clone())));
    read.findings.extend(added);
}

/// What one version of a return gives: its indicators (with something written in the
/// cell), projects, areas of work and key tasks, as keys (指标G01, 项目P03 …).
struct Parts(BTreeSet<String>);

impl Parts {
    fn of(read: &ReadOutcome, file: &str, unit: &str, year: i32) -> Parts {
        let mut keys = BTreeSet::new();
        for o in
            read.observations.iter().filter(|o| &*o.file == file && &*o.department == unit && o.year == year && o.kind == ObsKind::Current)
        {
            if !o.raw.trim().is_empty() {
                keys.insert(format!("指标{}", o.indicator_id));
            }
        }
        keys.extend(
            read.projects
                .iter()
                .filter(|p| p.file == file && p.department == unit && p.year == year)
                .map(|p| format!("项目{}", p.project_id)),
        );
        keys.extend(
            read.works.iter().filter(|w| w.file == file && w.department == unit && w.year == year).map(|w| format!("工作{}", w.area)),
        );
        keys.extend(
            read.tasks.iter().filter(|t| t.file == file && t.department == unit && t.year == year).map(|t| format!("任务{}", t.task_id)),
        );
        Parts(keys)
    }

    /// The keys of this version that one of `newer` gives too.
    fn overridden_by(&self, newer: &[Parts]) -> BTreeSet<String> {
        self.0.iter().filter(|k| newer.iter().any(|n| n.0.contains(*k))).cloned().collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Rule {
    Date,
    Name,
    Modified,
    FileName,
}

struct Basis {
    rule: Rule,
    text: String,
}

/// Whether `a` is a newer version than `b`, and by which rule.
fn newer(a: &InputFile, b: &InputFile) -> (bool, Basis) {
    if let (Some(da), Some(db)) = (&a.filled_date, &b.filled_date) {
        if da != db {
            let (late, early) = if da > db { (da, db) } else { (db, da) };
            return (da > db, Basis { rule: Rule::Date, text: format!("填报日期 {late} 晚于 {early}") });
        }
    }
    let (ra, rb) = (name_rank(&a.file), name_rank(&b.file));
    if ra.0 != rb.0 {
        let marker = if ra.0 > rb.0 { ra.1 } else { rb.1 };
        return (ra.0 > rb.0, Basis { rule: Rule::Name, text: format!("文件名标有“{marker}”") });
    }
    if let (Some(ma), Some(mb)) = (a.modified, b.modified) {
        if ma != mb {
            return (ma > mb, Basis { rule: Rule::Modified, text: "文件修改时间较晚".to_string() });
        }
    }
    (
        a.file > b.file,
        Basis {
            rule: Rule::FileName, text: "两份的填报日期、文件名标记和修改时间都相同，按文件名排序取后一份".to_string()
        },
    )
}

/// When the 填报日期 made `used` the newer of the two: what else says `old` is newer.
fn contradicts(used: &InputFile, old: &InputFile) -> Option<&'static str> {
    let (ru, ro) = (name_rank(&used.file).0, name_rank(&old.file).0);
    if ro > ru {
        return Some("文件名显示");
    }
    if ro == ru && old.modified.zip(used.modified).is_some_and(|(o, u)| o > u) {
        return Some("文件修改时间显示");
    }
    None
}

/// The version a file name says it is: (rank, the marker as written). 最终/终版/定稿
/// 1000; 第N版, vN and a trailing (N) N; 修改/更正/修订/修正 2; none 0.
pub fn name_rank(file: &str) -> (u32, String) {
    let name = file.rsplit('/').next().unwrap_or(file);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let t = fold_width(stem).to_lowercase();
    let mut best = (0u32, String::new());
    let mut consider = |rank: u32, marker: &str| {
        if rank > best.0 {
            best = (rank, marker.to_string());
        }
    };
    for w in ["最终", "终版", "定稿"] {
        if t.contains(w) {
            consider(1000, w);
        }
    }
    for w in ["修改", "更正", "修订", "修正"] {
        if t.contains(w) {
            consider(2, w);
        }
    }
    let chars: Vec<char> = t.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        // 第N版 / 第二版
        if c == '第' {
            let digits: String = chars[i + 1..].iter().take_while(|c| !matches!(c, '版' | '稿')).collect();
            if chars.get(i + 1 + digits.chars().count()).is_some_and(|c| matches!(c, '版' | '稿')) {
                if let Some(n) = number(&digits) {
                    consider(n, &format!("第{digits}版"));
                }
            }
        }
        // v2, V3 (not inside a word)
        if c == 'v' && (i == 0 || !chars[i - 1].is_ascii_alphabetic()) {
            let digits: String = chars[i + 1..].iter().take_while(|c| c.is_ascii_digit()).collect();
            if let Ok(n) = digits.parse::<u32>() {
                consider(n.min(999), &format!("v{digits}"));
            }
        }
    }
    // 填报表 (2).xlsx: the second copy a download or a copy gives.
    if let Some(inner) = t.trim_end().strip_suffix(')').and_then(|s| s.rsplit_once('(')).map(|(_, n)| n) {
        if let Ok(n) = inner.trim().parse::<u32>() {
            consider(n.min(999), &format!("({inner})"));
        }
    }
    best
}

/// 2, 二, 十二 → the number (up to 99).
fn number(text: &str) -> Option<u32> {
    if let Ok(n) = text.parse::<u32>() {
        return Some(n.min(999));
    }
    let digit = |c: char| "零一二三四五六七八九".chars().position(|d| d == c).map(|p| p as u32);
    let cs: Vec<char> = text.chars().collect();
    match cs[..] {
        ['十'] => Some(10),
        [a] => digit(a),
        ['十', b] => digit(b).map(|b| 10 + b),
        [a, '十'] => digit(a).map(|a| a * 10),
        [a, '十', b] => digit(a).zip(digit(b)).map(|(a, b)| a * 10 + b),
        _ => None,
    }
}

/// The figures of `unit`'s `year` return that differ between the old and the new file
/// (among those the new one gives again).
fn changes(plan: &Plan, read: &ReadOutcome, old: &str, new: &str, unit: &str, year: i32, overridden: &BTreeSet<String>) -> String {
    let figures = |file: &str| -> BTreeMap<String, (Option<f64>, String)> {
        read.observations
            .iter()
            .filter(|o| &*o.file == file && &*o.department == unit && o.year == year && o.kind == ObsKind::Current)
            .filter(|o| overridden.contains(&format!("指标{}", o.indicator_id)))
            .map(|o| (o.indicator_id.to_string(), (o.value, o.cell.clone())))
            .collect()
    };
    let (before, after) = (figures(old), figures(new));
    let ids: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let unit_of = |id: &str| plan.indicators.iter().find(|i| i.id == id).map(|i| i.unit.as_str()).unwrap_or("");
    let show = |v: Option<f64>, id: &str| v.map(|v| format!("{} {}", fmt_num(v, 4), unit_of(id))).unwrap_or_else(|| "无数值".into());
    let mut out = Vec::new();
    for id in ids {
        let (b, a) = (before.get(id.as_str()), after.get(id.as_str()));
        match (b, a) {
            (Some((vb, cb)), Some((va, ca))) if vb != va => {
                let at = if cb == ca { cb.clone() } else { format!("{cb} → {ca}") };
                out.push(format!("{id} {} → {}（{at}）", show(*vb, id), show(*va, id)))
            }
            (None, Some((va, ca))) if va.is_some() => out.push(format!("{id} 新增 {}（{ca}）", show(*va, id))),
            (Some((vb, cb)), None) if vb.is_some() => out.push(format!("{id} 撤回 {}（原 {cb}）", show(*vb, id))),
            _ => {}
        }
    }
    if out.is_empty() {
        "新版本中的数据与本文件相同。".to_string()
    } else {
        format!("变化的数据：{}。", out.join("；"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, date: Option<&str>, modified: Option<i64>) -> InputFile {
        InputFile { filled_date: date.map(String::from), modified, status: Fate::Read, ..InputFile::rejected(name, "") }
    }

    #[test]
    fn rules_in_order() {
        // 1. The date, whatever the name and time say.
        let (a, b) = (file("表.xlsx", Some("2026-01-20"), Some(1)), file("表（修改版）.xlsx", Some("2026-01-10"), Some(9)));
        assert!(newer(&a, &b).0 && newer(&a, &b).1.rule == Rule::Date);
        assert_eq!(contradicts(&a, &b), Some("文件名显示"));
        // 2. Without two dates, the name.
        let (a, b) = (file("表（修改版）.xlsx", None, Some(1)), file("表.xlsx", Some("2026-01-20"), Some(9)));
        assert!(newer(&a, &b).0 && newer(&a, &b).1.rule == Rule::Name);
        // 3. The modification time.
        let (a, b) = (file("甲表.xlsx", None, Some(9)), file("乙表.xlsx", None, Some(1)));
        assert!(newer(&a, &b).0 && newer(&a, &b).1.rule == Rule::Modified);
        // 4. The name, so that the order of reading never decides.
        let (a, b) = (file("乙表.xlsx", None, Some(5)), file("甲表.xlsx", None, Some(5)));
        assert_eq!((newer(&a, &b).0, newer(&b, &a).0), (a.file > b.file, b.file > a.file));
        assert_eq!(newer(&a, &b).1.rule, Rule::FileName);
    }

    #[test]
    fn markers_in_names() {
        assert_eq!(name_rank("市卫生健康局_2025年度填报表.xlsx").0, 0);
        assert_eq!(name_rank("市卫生健康局_2025年度填报表（修改版）.xlsx").0, 2);
        assert_eq!(name_rank("市卫生健康局_2025年度填报表（更正）.xlsx").0, 2);
        assert_eq!(name_rank("市卫生健康局_2025年度填报表（第三版）.xlsx").0, 3);
        assert_eq!(name_rank("市卫生健康局_2025年度填报表_第2版.xlsx").0, 2);
        assert_eq!(name_rank("市卫生健康局_2025年度填报表_v4.xlsx").0, 4);
        assert_eq!(name_rank("市卫生健康局_2025年度填报表（最终）.xlsx").0, 1000);
        assert_eq!(name_rank("市卫生健康局_2025年度填报表 (2).xlsx").0, 2);
        assert_eq!(name_rank("input/sub/市卫生健康局_2025年度填报表（修订）.xls").1, "修订");
        assert_eq!(name_rank("市卫生健康局_2025年度填报表_final_ver.xlsx").0, 0, "v inside a word is not a version");
    }
}
