//! Stage 1b — versions: files holding the same unit's return for the same year are
//! versions of one return (a unit corrected its return and sent it again, and the office
//! put the new file beside the old one). The newest is used; the others stay in the
//! manifest as 已被替代, with a finding naming both files and the figures that changed.
//! Different units giving different figures remain a conflict (validate).
//!
//! Which version is the newest, rule by rule until one decides:
//! 1. the 填报日期 written in the return, when both give one and they differ (a date
//!    after the 成文日期 of the documents cannot be when the file came in: it is a
//!    slip, and does not count here, so that it cannot beat a real correction);
//! 2. a marker in the file name: 最终/终版/定稿, above 第N版/vN/（N）, above
//!    修改/更正/修订/修正, above none;
//! 3. the file's modification time;
//! 4. the file name (so that the choice never depends on the order of reading).
//!
//! When the 填报日期 decides against what the name or the modification time say, the
//! date wins and a warning asks the office to check.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::finding::{Code, Finding};
use crate::plan::Plan;
use crate::read::{Fate, InputFile, ObsKind, ReadOutcome, Replaced};
use crate::text::{fmt_num, fold_width};

/// Resolve the versions of every return in `read`: mark the replaced returns in the
/// files, take their figures, project reports, texts and findings out of what the later
/// stages see, and add the findings that say so.
///
/// Each figure (and project report, work text, key task) comes from the newest version
/// that gives it: a resent return with only the corrected rows keeps the other rows of
/// the first one, and two files that complement each other are both used.
///
/// `written` is the 成文日期 of the documents (None: no date is too late to count).
pub fn resolve(plan: &Plan, read: &mut ReadOutcome, written: Option<time::Date>) {
    // The files holding each return; most returns are in one file and cost nothing here.
    let mut holders: BTreeMap<(String, i32), Vec<usize>> = BTreeMap::new();
    for (i, f) in read.files.iter().enumerate().filter(|(_, f)| f.status == Fate::Read) {
        // A later year's return restating the year is not a version of the year's own
        // return (the restatement rule in figures decides between them).
        for c in f.covers.iter().filter(|c| !c.secondary) {
            holders.entry((c.department.clone(), c.year)).or_default().push(i);
        }
    }
    holders.retain(|_, files| files.len() > 1);
    if holders.is_empty() {
        return;
    }
    // What each file gave, found once (a batch may hold thousands of returns).
    let index = Index::new(read);
    let keys: Vec<Key> = read.files.iter().map(|f| Key::of(f, written)).collect();
    let newer_of = |a: usize, b: usize| newer_ranked(&read.files[a], &keys[a], &read.files[b], &keys[b]);
    let mut gone = Gone::new(read);
    let mut added = Vec::new();
    let mut replaced: Vec<(usize, Replaced)> = Vec::new();
    for ((unit, year), versions) in &holders {
        let parts: Vec<BTreeSet<String>> = versions.iter().map(|&v| index.parts(read, &read.files[v].file, unit, *year)).collect();
        // For every part, the newest version giving it; the others lose it to that one.
        let mut lost: BTreeMap<(usize, usize), BTreeSet<String>> = BTreeMap::new();
        for key in parts.iter().flatten().collect::<BTreeSet<_>>() {
            let givers: Vec<usize> = versions.iter().zip(&parts).filter(|(_, p)| p.contains(key)).map(|(v, _)| *v).collect();
            let winner = givers.iter().copied().reduce(|best, v| if newer_of(v, best).0 { v } else { best }).unwrap_or(givers[0]);
            for &loser in givers.iter().filter(|&&v| v != winner) {
                lost.entry((loser, winner)).or_default().insert(key.clone());
            }
        }
        for ((old, by), keys) in lost {
            let (_, basis) = newer_of(by, old);
            let (new_file, old_file) = (&read.files[by].file, &read.files[old].file);
            if basis.rule == Rule::Date {
                if let Some(against) = contradicts(&read.files[by], &read.files[old]) {
                    added.push(
                        Finding::warning(
                            Code::VersionDateOrder,
                            format!(
                                "“{new_file}”和“{old_file}”都是{unit}{year}年度的填报表。按填报日期（{}）采用“{new_file}”，但{against}“{old_file}”是较新的版本。请核实哪一份是最新的，把旧的一份移出输入文件夹。",
                                basis.text
                            ),
                        )
                        .in_file(new_file)
                        .for_unit(unit)
                        .in_year(*year),
                    );
                }
            }
            let changes = changes(plan, read, &index, old_file, new_file, unit, *year, &keys);
            added.push(
                Finding::info(
                    Code::Superseded,
                    format!(
                        "这是{unit}{year}年度填报表的较早版本，已由“{new_file}”替代（{}），本文件中新版本也填写了的内容不再采用。{changes}",
                        basis.text
                    ),
                )
                .in_file(old_file)
                .for_unit(unit)
                .in_year(*year),
            );
            gone.mark(read, &index, old_file, unit, *year, &keys);
            replaced.push((old, Replaced { department: unit.clone(), year: *year, by: new_file.clone(), basis: basis.text }));
        }
    }
    for (i, r) in replaced {
        read.files[i].replaced.push(r);
    }
    // A file none of whose content is used any more is 已被替代 as a whole, and what it
    // said about itself is no longer a problem of the return.
    let whole: HashSet<String> = read
        .files
        .iter()
        .filter(|f| !f.replaced.is_empty() && !gone.keeps_any(read, index.files.get(&f.file)))
        .map(|f| f.file.clone())
        .collect();
    for f in read.files.iter_mut().filter(|f| whole.contains(&f.file)) {
        f.status = Fate::Superseded;
    }
    gone.apply(read, &whole);
    read.findings.extend(added);
}

/// Positions of what each file gave in `ReadOutcome`'s lists.
#[derive(Default)]
struct Items {
    observations: Vec<usize>,
    projects: Vec<usize>,
    works: Vec<usize>,
    tasks: Vec<usize>,
}

struct Index {
    files: HashMap<String, Items>,
}

impl Index {
    fn new(read: &ReadOutcome) -> Index {
        fn at<'m>(files: &'m mut HashMap<String, Items>, file: &str) -> &'m mut Items {
            if !files.contains_key(file) {
                files.insert(file.to_string(), Items::default());
            }
            files.get_mut(file).expect("just inserted")
        }
        let mut files: HashMap<String, Items> = HashMap::new();
        for (i, o) in read.observations.iter().enumerate() {
            at(&mut files, &o.file).observations.push(i);
        }
        for (i, p) in read.projects.iter().enumerate() {
            at(&mut files, &p.file).projects.push(i);
        }
        for (i, w) in read.works.iter().enumerate() {
            at(&mut files, &w.file).works.push(i);
        }
        for (i, t) in read.tasks.iter().enumerate() {
            at(&mut files, &t.file).tasks.push(i);
        }
        Index { files }
    }

    /// What one version of a return gives: its indicators (with something written in
    /// the cell), projects, areas of work and key tasks, as keys (指标G01, 项目P03 …).
    fn parts(&self, read: &ReadOutcome, file: &str, unit: &str, year: i32) -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        let Some(items) = self.files.get(file) else { return keys };
        for o in items.observations.iter().map(|&i| &read.observations[i]) {
            if &*o.department == unit && o.year == year && o.kind == ObsKind::Current && !o.raw.trim().is_empty() {
                keys.insert(format!("指标{}", o.indicator_id));
            }
        }
        for p in items.projects.iter().map(|&i| &read.projects[i]).filter(|p| p.department == unit && p.year == year) {
            keys.insert(format!("项目{}", p.project_id));
        }
        for w in items.works.iter().map(|&i| &read.works[i]).filter(|w| w.department == unit && w.year == year) {
            keys.insert(format!("工作{}", w.area));
        }
        for t in items.tasks.iter().map(|&i| &read.tasks[i]).filter(|t| t.department == unit && t.year == year) {
            keys.insert(format!("任务{}", t.task_id));
        }
        keys
    }
}

/// What is taken out: a mark per item of `ReadOutcome`'s lists, applied once at the end.
struct Gone {
    observations: Vec<bool>,
    projects: Vec<bool>,
    works: Vec<bool>,
    tasks: Vec<bool>,
    /// (file, sheet, cell) of the figures taken out, to take their findings out too.
    cells: HashSet<(String, String, String)>,
}

impl Gone {
    fn new(read: &ReadOutcome) -> Gone {
        Gone {
            observations: vec![false; read.observations.len()],
            projects: vec![false; read.projects.len()],
            works: vec![false; read.works.len()],
            tasks: vec![false; read.tasks.len()],
            cells: HashSet::new(),
        }
    }

    /// Take out what `file` gave for `unit`'s `year` return under these keys (its 上年值
    /// go with the return's figures).
    fn mark(&mut self, read: &ReadOutcome, index: &Index, file: &str, unit: &str, year: i32, keys: &BTreeSet<String>) {
        let Some(items) = index.files.get(file) else { return };
        for &i in &items.observations {
            let o = &read.observations[i];
            let return_year = if o.kind == ObsKind::Previous { o.year + 1 } else { o.year };
            if &*o.department == unit && return_year == year && keys.contains(&format!("指标{}", o.indicator_id)) {
                self.observations[i] = true;
                self.cells.insert((o.file.to_string(), o.sheet.to_string(), o.cell.clone()));
            }
        }
        let mine = |department: &str, y: i32| department == unit && y == year;
        for &i in &items.projects {
            let p = &read.projects[i];
            self.projects[i] |= mine(&p.department, p.year) && keys.contains(&format!("项目{}", p.project_id));
        }
        for &i in &items.works {
            let w = &read.works[i];
            self.works[i] |= mine(&w.department, w.year) && keys.contains(&format!("工作{}", w.area));
        }
        for &i in &items.tasks {
            let t = &read.tasks[i];
            self.tasks[i] |= mine(&t.department, t.year) && keys.contains(&format!("任务{}", t.task_id));
        }
    }

    /// Whether anything a file gave is still used (a figure written, or any report).
    fn keeps_any(&self, read: &ReadOutcome, items: Option<&Items>) -> bool {
        let Some(items) = items else { return false };
        items.projects.iter().any(|&i| !self.projects[i])
            || items.works.iter().any(|&i| !self.works[i])
            || items.tasks.iter().any(|&i| !self.tasks[i])
            || items.observations.iter().any(|&i| !self.observations[i] && !read.observations[i].raw.trim().is_empty())
    }

    /// Take the marked items out, with everything from the files replaced as a whole
    /// and the findings on the cells taken out.
    fn apply(self, read: &mut ReadOutcome, whole: &HashSet<String>) {
        fn keep<T>(list: &mut Vec<T>, gone: &[bool], also: impl Fn(&T) -> bool) {
            let mut i = 0;
            list.retain(|x| {
                let k = !gone[i] && !also(x);
                i += 1;
                k
            });
        }
        // The figures of older versions stay in observations.csv, marked as replaced.
        let mut kept = Vec::with_capacity(read.observations.len());
        for (o, gone) in std::mem::take(&mut read.observations).into_iter().zip(&self.observations) {
            if *gone || whole.contains(&*o.file) {
                read.unused.push(crate::read::Unused { observation: o, because: crate::read::NotUsed::Superseded });
            } else {
                kept.push(o);
            }
        }
        read.observations = kept;
        keep(&mut read.projects, &self.projects, |_| false);
        keep(&mut read.works, &self.works, |_| false);
        keep(&mut read.tasks, &self.tasks, |_| false);
        // A finding about the file's name (a look-alike of another) stays: it is about
        // the batch, not about what the replaced version says.
        read.findings.retain(|f| {
            f.code == crate::finding::Code::NameTwins
                || !whole.contains(&f.file) && !self.cells.contains(&(f.file.clone(), f.sheet.clone(), f.cell.clone()))
        });
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

/// What decides between versions of a file, worked out once: its name's rank, and its
/// 填报日期 when it can count (`late`: the one written, after the 成文日期).
struct Key {
    rank: (u32, String),
    date: Option<String>,
    late: Option<String>,
}

impl Key {
    fn of(f: &InputFile, written: Option<time::Date>) -> Key {
        let (late, date) = match &f.filled_date {
            Some(d) if crate::clock::after_written(d, written) => (Some(d.clone()), None),
            d => (None, d.clone()),
        };
        Key { rank: name_rank(&f.file), date, late }
    }
}

/// Whether `a` is a newer version than `b`, and by which rule.
#[cfg(test)]
fn newer(a: &InputFile, b: &InputFile, written: Option<time::Date>) -> (bool, Basis) {
    newer_ranked(a, &Key::of(a, written), b, &Key::of(b, written))
}

/// `newer`, with the files' keys worked out beforehand.
fn newer_ranked(a: &InputFile, ka: &Key, b: &InputFile, kb: &Key) -> (bool, Basis) {
    if let (Some(da), Some(db)) = (&ka.date, &kb.date) {
        if da != db {
            let (late, early) = if da > db { (da, db) } else { (db, da) };
            return (da > db, Basis { rule: Rule::Date, text: format!("填报日期 {late} 晚于 {early}") });
        }
    }
    // A date that did not count, said before the rule that decided instead.
    let slipped: Vec<String> = [(a, ka), (b, kb)]
        .iter()
        .filter_map(|(f, k)| k.late.as_ref().map(|d| format!("“{}”所填的填报日期 {d} 晚于成文日期，应是填写有误，未用来比较先后", f.file)))
        .collect();
    let with = |text: String| if slipped.is_empty() { text } else { format!("{}；{text}", slipped.join("；")) };
    let (ra, rb) = (&ka.rank, &kb.rank);
    if ra.0 != rb.0 {
        let marker = if ra.0 > rb.0 { &ra.1 } else { &rb.1 };
        return (ra.0 > rb.0, Basis { rule: Rule::Name, text: with(format!("文件名标有“{marker}”")) });
    }
    if let (Some(ma), Some(mb)) = (a.modified, b.modified) {
        if ma != mb {
            return (ma > mb, Basis { rule: Rule::Modified, text: with("文件修改时间较晚".to_string()) });
        }
    }
    let what = if slipped.is_empty() {
        "两份的填报日期、文件名标记和修改时间都相同"
    } else {
        "两份的文件名标记和修改时间都相同"
    };
    (a.file > b.file, Basis { rule: Rule::FileName, text: with(format!("{what}，按文件名排序取后一份")) })
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
#[allow(clippy::too_many_arguments)]
fn changes(
    plan: &Plan,
    read: &ReadOutcome,
    index: &Index,
    old: &str,
    new: &str,
    unit: &str,
    year: i32,
    overridden: &BTreeSet<String>,
) -> String {
    let figures = |file: &str| -> BTreeMap<String, (Option<f64>, String)> {
        index
            .files
            .get(file)
            .map(|items| items.observations.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|&i| &read.observations[i])
            .filter(|o| &*o.department == unit && o.year == year && o.kind == ObsKind::Current)
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
        assert!(newer(&a, &b, None).0 && newer(&a, &b, None).1.rule == Rule::Date);
        assert_eq!(contradicts(&a, &b), Some("文件名显示"));
        // 2. Without two dates, the name.
        let (a, b) = (file("表（修改版）.xlsx", None, Some(1)), file("表.xlsx", Some("2026-01-20"), Some(9)));
        assert!(newer(&a, &b, None).0 && newer(&a, &b, None).1.rule == Rule::Name);
        // 3. The modification time.
        let (a, b) = (file("甲表.xlsx", None, Some(9)), file("乙表.xlsx", None, Some(1)));
        assert!(newer(&a, &b, None).0 && newer(&a, &b, None).1.rule == Rule::Modified);
        // 4. The name, so that the order of reading never decides.
        let (a, b) = (file("乙表.xlsx", None, Some(5)), file("甲表.xlsx", None, Some(5)));
        assert_eq!((newer(&a, &b, None).0, newer(&b, &a, None).0), (a.file > b.file, b.file > a.file));
        assert_eq!(newer(&a, &b, None).1.rule, Rule::FileName);
    }

    #[test]
    fn a_date_after_the_documents_does_not_count() {
        let written = crate::clock::parse_date("2026-01-25");
        let (a, b) = (file("表.xlsx", Some("2027-01-12"), Some(9)), file("表（修改版）.xlsx", Some("2026-01-15"), Some(1)));
        let (b_newer, basis) = newer(&b, &a, written);
        assert!(b_newer && basis.rule == Rule::Name, "{}", basis.text);
        assert!(basis.text.starts_with("“表.xlsx”所填的填报日期 2027-01-12 晚于成文日期，应是填写有误"), "{}", basis.text);
        // Without a 成文日期, or with one after both, the dates decide.
        assert_eq!(newer(&a, &b, None).1.rule, Rule::Date);
        assert!(newer(&a, &b, crate::clock::parse_date("2027-02-01")).0);
        // Neither date counts, no markers: the modification time.
        let (c, d) = (file("甲.xlsx", Some("2027-03-01"), Some(9)), file("乙.xlsx", Some("2027-02-01"), Some(1)));
        assert_eq!(newer(&c, &d, written).1.rule, Rule::Modified);
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
