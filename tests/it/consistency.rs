//! One frozen assessment, shown alike everywhere, for every year of the plan.
//!
//! The shipped sample holds every year's returns. For each year Y of the plan the test
//! runs the real binary with `--year Y`, and computes the assessment of the same input
//! through the library; then it reads every document back — the report (PDF and Word),
//! each unit's feedback sheet (PDF and Word), the workbook (cells as displayed), the
//! CSVs and the manifest — and checks that each number shown is the assessment's, that
//! each count in a sentence is the length of the list it introduces, that a unit's
//! feedback sheet shows what *that unit* reported, and that nothing of a later year
//! appears.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::{displayed_sheet, docx_text, pdf_text, Workdir};
use planmon::assess::final_eval::Outcome;
use planmon::assess::{Assessment, Status};
use planmon::config::RunConfig;
use planmon::plan::{IndicatorKind, Plan};
use planmon::read::ObsKind;

const DATE: &str = "2026-03-01";

fn flat(s: &str) -> String {
    s.split_whitespace().collect()
}

/// The assessment the run for `year` must show, computed through the library.
fn assessment(input: &Path, year: i32) -> Assessment {
    let plan = Plan::embedded().unwrap();
    let read = planmon::read::read_inputs(&plan, input);
    let mut config = RunConfig::defaults(&plan);
    config.year = Some(year);
    config.date = Some(time::Date::from_calendar_date(2026, time::Month::March, 1).unwrap());
    planmon::assess::assess(plan, read, &config, &[], None).unwrap()
}

/// The status a document shows for an indicator: at the plan's end its outcome
/// (已完成 / 基本完成 / 未完成), before it the year's status.
fn status_shown(a: &Assessment, id: &str) -> String {
    match a.final_eval.as_ref().and_then(|e| e.of(id)) {
        Some(f) => f.outcome.label().to_string(),
        None => a.status(id).label().to_string(),
    }
}

/// A figure as the documents must show it, or "—" for none.
fn shown(a: &Assessment, id: &str, v: Option<f64>) -> String {
    v.map(|v| a.shown(id, v)).unwrap_or_else(|| "—".into())
}

/// The part of `text` from `start` to the first `end` after it.
fn between<'t>(text: &'t str, start: &str, end: &str) -> &'t str {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start:?} in the text"));
    let rest = &text[from..];
    &rest[..rest[start.len()..].find(end).map_or(rest.len(), |k| k + start.len())]
}

/// A count of nothing stated as a number ("0项", "0个", …): the documents say 均未/尚无.
fn zero_counts(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    for k in 0..chars.len().saturating_sub(1) {
        let before_digit = k > 0 && (chars[k - 1].is_ascii_digit() || chars[k - 1] == '.');
        if chars[k] == '0' && !before_digit && "项个份处条家".contains(chars[k + 1]) {
            out.push(chars[k.saturating_sub(12)..(k + 2).min(chars.len())].iter().collect());
        }
    }
    out
}

#[test]
fn every_document_of_every_year_shows_the_one_assessment() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("input");
    let plan = Plan::embedded().unwrap();
    for year in plan.start..=plan.end {
        let w = Workdir::with_input(&sample);
        let out = w.run(&["run", "--year", &year.to_string(), "--date", DATE]);
        assert!(out.status.success(), "{year}: {}", common::stderr(&out));
        let a = assessment(&w.input(), year);
        assert_eq!(a.year, year);
        check_tables(&w, &a);
        check_workbook(&w, &a);
        check_report(&w, &a);
        check_feedback(&w, &a);
    }
}

/// findings.csv, progress.csv, observations.csv and the manifest: the year's own.
fn check_tables(w: &Workdir, a: &Assessment) {
    let y = a.year.to_string();
    let findings = w.csv("findings.csv");
    assert_eq!(findings.len(), a.findings.len(), "{y}: findings.csv rows");
    for f in &findings {
        assert!(f["year"] == y || f["year"].is_empty(), "{y}: a finding of another year: {f:?}");
    }
    let csv_messages: BTreeSet<&str> = findings.iter().map(|f| f["message"].as_str()).collect();
    for f in &a.findings {
        assert!(csv_messages.contains(f.message.as_str()), "{y}: findings.csv lacks {}", f.message);
        assert!(f.year.is_none_or(|fy| fy == a.year), "{y}: assessment holds a finding of {:?}", f.year);
    }
    for r in w.csv("observations.csv") {
        assert!(r["year"].parse::<i32>().unwrap() <= a.year, "{y}: observations.csv has a later figure: {r:?}");
    }
    for r in w.csv("progress.csv") {
        assert!(r["year"].parse::<i32>().unwrap() <= a.year, "{y}: progress.csv has a later year: {r:?}");
        if r["year"] == y {
            assert_eq!(r["status"], a.status(&r["indicator_id"]).label(), "{y}: progress.csv {}", r["indicator_id"]);
        }
    }
    let manifest: serde_json::Value = serde_json::from_slice(&w.read_output("manifest.json")).unwrap();
    let later: Vec<&serde_json::Value> =
        manifest["inputs"].as_array().unwrap().iter().filter(|i| i["year"].as_i64().is_some_and(|fy| fy > a.year as i64)).collect();
    assert_eq!(later.len(), a.inputs.out_of_scope, "{y}: later returns");
    assert_eq!(manifest["counts"]["inputs_out_of_scope"].as_u64(), Some(a.inputs.out_of_scope as u64));
    for i in later {
        assert_eq!(i["status"], "不在本次汇总年度", "{y}: {i}");
    }
    if a.year < a.plan.end {
        assert!(a.inputs.out_of_scope > 0, "{y}: the sample has later returns");
    }
}

/// The workbook, read back as displayed: every figure, status and count.
fn check_workbook(w: &Workdir, a: &Assessment) {
    let y = a.year;
    let path = w.output().join(a.documents.workbook_name.as_str());
    for sheet in ["指标进展", "任务指标"] {
        let rows = displayed_sheet(&path, sheet);
        let head = &rows[0];
        let col = |name: &str| head.iter().position(|h| h == name).unwrap_or_else(|| panic!("{sheet} has no column {name}"));
        let (id, status) = (col("编号"), col(if a.final_eval.is_some() { "完成情况" } else { "状态" }));
        if a.final_eval.is_some() {
            for gone in ["序时进度", "尚需年均变化"] {
                assert!(!head.iter().any(|h| h == gone), "{y}: {sheet} keeps {gone} at the plan's end");
            }
        }
        let years: Vec<(i32, usize)> = (a.plan.start..=y).map(|yy| (yy, col(&format!("{yy}年")))).collect();
        assert!(!head.contains(&format!("{}年", y + 1)) || y == a.plan.end, "{y}: {sheet} shows a later year");
        let mut seen = 0;
        for r in &rows[1..] {
            let Some(ind) = a.plan.indicator(&r[id]) else { continue };
            seen += 1;
            assert_eq!(r[status], status_shown(a, &ind.id), "{y}: {sheet} {}", ind.id);
            for &(yy, c) in &years {
                let v = a.of(&ind.id, yy).and_then(|p| p.value);
                assert_eq!(r[c], shown(a, &ind.id, v), "{y}: {sheet} {} {yy}年 shows another number", ind.id);
            }
        }
        let kind = if sheet == "指标进展" { IndicatorKind::Goal } else { IndicatorKind::Task };
        assert_eq!(seen, a.indicators_of_kind(kind).count(), "{y}: {sheet} rows");
    }
    // At the plan's end, the 终期评估 sheet: every indicator with its outcome; none before.
    let names = calamine::open_workbook_auto(&path).map(|wb| calamine::Reader::sheet_names(&wb)).unwrap();
    match &a.final_eval {
        Some(e) => {
            let rows = displayed_sheet(&path, "终期评估");
            let head = &rows[0];
            let (id, outcome) = (head.iter().position(|h| h == "编号").unwrap(), head.iter().position(|h| h == "完成情况").unwrap());
            assert_eq!(rows.len() - 1, a.plan.indicators.len(), "{y}: 终期评估 rows");
            for r in &rows[1..] {
                assert_eq!(r[outcome], e.of(&r[id]).unwrap().outcome.label(), "{y}: 终期评估 {}", r[id]);
            }
        }
        None => assert!(!names.iter().any(|n| n == "终期评估"), "{y}: a 终期评估 sheet before the plan's end"),
    }
    // 总览: the counts by status, as whole numbers.
    let rows = displayed_sheet(&path, "总览");
    let head = rows.iter().find(|r| r.first().is_some_and(|c| c == "领域")).unwrap();
    let total = rows.iter().find(|r| r.first().is_some_and(|c| c == "合计")).unwrap();
    match &a.final_eval {
        Some(e) => {
            for o in Outcome::ALL {
                let c = head.iter().position(|h| h == o.label()).unwrap();
                assert_eq!(total[c], e.goals.get(o).to_string(), "{y}: 总览 {}", o.label());
            }
        }
        None => {
            for s in Status::ALL {
                let c = head.iter().position(|h| h == s.label()).unwrap();
                assert_eq!(total[c], a.goals.get(s).to_string(), "{y}: 总览 {}", s.label());
            }
        }
    }
    // Each unit's counts, shown without decimals.
    let rows = displayed_sheet(&path, "部门填报情况");
    for r in &rows[1..] {
        for cell in &r[1..8] {
            assert!(cell.chars().all(|c| c.is_ascii_digit()), "{y}: 部门填报情况 shows a count as {cell:?}: {r:?}");
        }
    }
    // The findings of the year, and only those.
    let rows = displayed_sheet(&path, "数据问题清单");
    let listed = rows.iter().filter(|r| r.len() > 6 && r[0] != "填报单位" && !r[6].is_empty()).count();
    assert_eq!(listed, a.findings.len(), "{y}: 数据问题清单");
    // Every figure read up to the year (the sheet says it shows the earlier years too).
    let rows = displayed_sheet(&path, "数据明细");
    let year_col = rows[0].iter().position(|h| h == "年度").unwrap();
    for r in &rows[1..] {
        assert!(r[year_col].parse::<i32>().unwrap() <= y, "{y}: 数据明细 has a later figure: {r:?}");
    }
}

/// The report, PDF and Word: the overview, each area's sentences, each indicator's row,
/// the projects and tasks, the problems.
fn check_report(w: &Workdir, a: &Assessment) {
    let y = a.year;
    let pdf = w.output().join(a.documents.report_name.as_str());
    let text = crate::common::without_page_numbers(&flat(&pdf_text(&pdf, false)));
    let word = docx_text(&w.output().join(a.documents.report_word_name.as_str()));
    let word_flat = flat(&word.paragraphs.join(""));
    for (what, text) in [("PDF", &text), ("Word", &word_flat)] {
        assert!(zero_counts(text).is_empty(), "{y} {what}: counts of nothing: {:?}", zero_counts(text));
        // The overview: the total, then each status with its count.
        let goals = a.indicators_of_kind(IndicatorKind::Goal).count();
        assert_eq!(goals, a.goals.total());
        let overview = match &a.final_eval {
            Some(e) => {
                let stated: Vec<String> =
                    Outcome::ALL.iter().filter(|o| e.goals.get(**o) > 0).map(|o| format!("{}{}项", o.label(), e.goals.get(*o))).collect();
                assert_eq!(e.goals.total(), goals);
                // The main indicators below their base are counted with the main ones.
                let below = e.below_base.iter().filter(|id| a.plan.indicator(id).unwrap().is_goal()).count();
                let below =
                    if below > 0 { format!("，其中{below}项期末低于{}年基期水平", a.period.base_year) } else { String::new() };
                format!("方案确定的{goals}项主要发展指标中，{}{below}", stated.join("、"))
            }
            None => {
                let stated: Vec<String> =
                    Status::ALL.iter().filter(|s| a.goals.get(**s) > 0).map(|s| format!("{}{}项", s.label(), a.goals.get(*s))).collect();
                format!("方案确定的{goals}项主要发展指标中，{y}年{}", stated.join("，"))
            }
        };
        assert!(text.contains(&overview), "{y} {what}: no overview {overview:?}");
        if a.lagging.is_empty() || a.final_eval.is_some() {
            assert!(!text.contains("需加快推进"), "{y} {what}: 需加快推进 with nothing behind, or at the plan's end");
        }
        // Each area: what its sentences count and whom they name.
        let section = between(text, "三、主要指标完成情况", "四、");
        for area in &a.areas {
            // Up to its table (whose header starts 编号; how a PDF reader orders the cells varies).
            let part = between(section, &area.area, "编号");
            for (kind, what_kind, counts, lagging) in [
                (IndicatorKind::Goal, "主要指标", &area.goals, &area.goals_lagging),
                (IndicatorKind::Task, "重点任务量化指标", &area.targets, &area.targets_lagging),
            ] {
                let n = counts.total();
                let of_kind: Vec<_> = a.indicators_of_kind(kind).filter(|i| i.area == area.area).collect();
                assert_eq!(n, of_kind.len(), "{y}: {} {what_kind}", area.area);
                if n == 0 {
                    assert!(!part.contains(&format!("项{what_kind}")), "{y} {what}: {} speaks of {what_kind}", area.area);
                    continue;
                }
                assert!(part.contains(&format!("本领域{n}项{what_kind}")), "{y} {what}: {} counts {what_kind}: {part}", area.area);
                for i in &of_kind {
                    let named = part.contains(&planmon::text::nest_quotes(&format!("“{}”", flat(&i.name))));
                    // Named: the lagging ones in a year of the plan, the ones not met at its end.
                    let expected = match &a.final_eval {
                        Some(e) => e.not_met.contains(&i.id),
                        None => lagging.contains(&i.id),
                    };
                    assert_eq!(named, expected, "{y} {what}: {} in {}'s sentence: {part}", i.id, area.area);
                }
            }
            let behind = [&area.goals_lagging, &area.targets_lagging].iter().filter(|l| !l.is_empty()).count();
            let behind = if a.final_eval.is_some() { 0 } else { behind };
            assert_eq!(part.matches("需加快推进").count(), behind, "{y} {what}: {}: {part}", area.area);
        }
        // At the plan's end: every indicator not met is named with its unit and the
        // unit's reason, or a placeholder naming the unit.
        if let Some(e) = &a.final_eval {
            let listed = between(text, "的指标及原因", "四、");
            for id in &e.not_met {
                let (i, f) = (a.plan.indicator(id).unwrap(), e.of(id).unwrap());
                assert!(listed.contains(&planmon::text::nest_quotes(&format!("“{}”", flat(&i.name)))), "{y} {what}: {id} not listed");
                let said: Vec<String> = if f.reasons.is_empty() {
                    vec![format!("（{}未说明未完成的原因，待补充。）", i.lead_unit())]
                } else {
                    f.reasons.iter().map(|r| format!("{}{}：{}", r.unit, if r.stated() { "说明" } else { "" }, flat(&r.text))).collect()
                };
                assert!(listed.contains(i.lead_unit()), "{y} {what}: {id} without its unit");
                for reason in said {
                    let reason = reason.replace(&format!("{}：", i.lead_unit()), "");
                    assert!(listed.contains(&reason), "{y} {what}: {id} without its reason {reason:?}");
                }
            }
            assert!(text.contains("终期评估报告"), "{y} {what}: the title");
        } else {
            assert!(!text.contains("的指标及原因"), "{y} {what}: a final list in a year of the plan");
        }
        // Late returns, by name; conflicts of the year with indicator, figures and units.
        for late in &a.late {
            assert!(text.contains(&format!("{}（", late.unit)) && text.contains("逾期"), "{y} {what}: late {} not named", late.unit);
        }
        let problems = between(text, "存在的问题", "六、");
        for c in &a.conflicts_this_year {
            let ind = a.plan.indicator(&c.indicator_id).unwrap();
            assert!(problems.contains(&flat(&ind.name)), "{y} {what}: conflict on {} not named", ind.id);
            for f in &c.figures {
                assert!(problems.contains(f.department.as_str()), "{y} {what}: conflict without {}", f.department);
                assert!(problems.contains(&a.shown(&ind.id, f.value)), "{y} {what}: conflict without {}", f.value);
            }
        }
        // Tasks: the count of overdue ones and each by name.
        if !a.overdue_tasks.is_empty() {
            assert!(text.contains(&format!("{}项已到完成时限仍未完成", a.overdue_tasks.len())), "{y} {what}: overdue count");
            for id in &a.overdue_tasks {
                let t = a.plan.tasks.iter().find(|t| &t.id == id).unwrap();
                assert!(text.contains(&flat(&t.name)), "{y} {what}: overdue {} not named", t.name);
            }
        }
        // Projects: the count finished.
        let n = &a.project_counts;
        if n.finished > 0 && n.finished < n.reported {
            assert!(text.contains(&format!("其中{}个已完工", n.finished)), "{y} {what}: projects finished");
        }
    }
    // Each indicator's row: the year's figure and status, in the PDF's tables.
    let layout = pdf_text(&pdf, true);
    let ids: Vec<&str> = a.plan.indicators.iter().map(|i| i.id.as_str()).collect();
    let mut seen = BTreeSet::new();
    for line in layout.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 5 || !ids.contains(&f[0]) || !seen.insert(f[0]) {
            continue;
        }
        let n = f.len();
        let p = a.of(f[0], y);
        assert_eq!(f[n - 1], status_shown(a, f[0]), "{y}: report row {}", f[0]);
        if a.final_eval.is_none() {
            assert_eq!(f[n - 3], shown(a, f[0], p.and_then(|p| p.value)), "{y}: report row {} figure: {line}", f[0]);
        }
    }
    assert_eq!(seen.len(), ids.len(), "{y}: report rows");
    // The Word report's indicator tables: the same cells.
    for table in &word.tables {
        let Some(head) = table.first() else { continue };
        let Some(col) = head.iter().position(|h| h == &format!("{y}年")) else { continue };
        let Some(status) = head.iter().position(|h| h == "状态" || h == "完成情况") else { continue };
        let rate = head.iter().position(|h| h == "完成率");
        for r in &table[1..] {
            let Some(ind) = a.plan.indicator(&r[0]) else { continue };
            assert_eq!(r[col], shown(a, &ind.id, a.of(&ind.id, y).and_then(|p| p.value)), "{y}: Word row {}", ind.id);
            assert_eq!(r[status], status_shown(a, &ind.id), "{y}: Word row {}", ind.id);
            if let (Some(c), Some(f)) = (rate, a.final_eval.as_ref().and_then(|e| e.of(&ind.id))) {
                let expected = match (f.small, f.years_met, f.rate, f.final_value) {
                    (true, _, Some(_), Some(v)) => format!("{}/{}", planmon::text::fmt_num(v, 0), planmon::text::fmt_num(ind.target, 0)),
                    (_, Some((m, n)), _, _) => format!("{m}/{n}年达标"),
                    (_, None, Some(x), _) => format!("{}%", planmon::text::fmt_rate(x * 100.0)),
                    _ => "—".to_string(),
                };
                assert_eq!(r[c], expected, "{y}: Word row {} 完成率", ind.id);
            }
        }
    }
}

/// Each unit's feedback sheet: the unit's own figures, the used one beside where it
/// differs, its late return, its problems of the year only.
fn check_feedback(w: &Workdir, a: &Assessment) {
    let y = a.year;
    let own_figures: BTreeMap<(String, String), f64> = a
        .observations
        .iter()
        .filter(|o| o.year == y && o.kind == ObsKind::Current)
        .filter_map(|o| Some(((o.department.to_string(), o.indicator_id.to_string()), o.value?)))
        .collect();
    for fb in &a.feedback {
        let unit = fb.unit.as_str();
        let docx = w.output().join("反馈单").join(format!("{unit}_{y}年度填报数据反馈单.docx"));
        let doc = docx_text(&docx);
        let rows = &doc.tables[0];
        assert_eq!(rows[0][3], "你单位填报值");
        assert_eq!(rows[0][4], "评估采用值");
        let mut seen = 0;
        for r in &rows[1..] {
            let ind = a.plan.indicator(&r[0]).unwrap_or_else(|| panic!("{unit}: row {:?}", r[0]));
            seen += 1;
            let own = own_figures.get(&(unit.to_string(), ind.id.clone())).copied();
            // A unit sharing the indicator leaves it to the lead unit.
            let owed = if ind.lead_unit() == unit { "未填报" } else { "—" };
            let expected_own = own.map(|v| a.shown(&ind.id, v)).unwrap_or_else(|| owed.into());
            assert_eq!(r[3], expected_own, "{y} {unit} {}: 你单位填报值 is not what the unit reported", ind.id);
            let used = a.of(&ind.id, y).and_then(|p| p.value);
            let used_by = a.of(&ind.id, y).and_then(|p| p.source.as_ref()).map(|s| s.department.to_string());
            match (own, used) {
                (Some(o), Some(u)) if a.shown(&ind.id, o) == a.shown(&ind.id, u) && used_by.as_deref() == Some(unit) => {
                    assert_eq!(r[4], "同左", "{y} {unit} {}", ind.id)
                }
                (_, Some(u)) => {
                    let by = used_by.clone().unwrap();
                    assert!(r[4].starts_with(&a.shown(&ind.id, u)), "{y} {unit} {}: 评估采用值 {:?}", ind.id, r[4]);
                    if by != unit {
                        assert!(r[4].contains(&by), "{y} {unit} {}: 评估采用值 without whose: {:?}", ind.id, r[4]);
                    }
                }
                (_, None) => assert_eq!(r[4], "—", "{y} {unit} {}", ind.id),
            }
            assert_eq!(r[6], status_shown(a, &ind.id), "{y} {unit} {}", ind.id);
        }
        assert_eq!(seen, a.plan.indicators_of(unit).len(), "{y} {unit}: rows");
        let text = flat(&doc.paragraphs.join(""));
        assert!(zero_counts(&text).is_empty(), "{y} {unit}: {:?}", zero_counts(&text));
        let late = a.late.iter().any(|l| l.unit == unit);
        assert_eq!(text.contains("晚于报送时限"), late, "{y} {unit}: the late return on the sheet");
        // Problems: those of the year, for this unit.
        // (What it did not send or write is listed under 缺报, not as a problem.)
        let mine: Vec<_> =
            a.findings.iter().filter(|f| f.department == unit && !f.code.is_missing() && !f.code.is_missing_text()).collect();
        if mine.is_empty() {
            assert!(text.contains("你单位填报表未发现数据问题"), "{y} {unit}");
        } else {
            let problems = doc.tables.iter().find(|t| t[0].last().is_some_and(|h| h == "问题及修改意见")).unwrap();
            assert_eq!(problems.len() - 1, mine.len(), "{y} {unit}: problems listed");
        }
        // And the PDF says the same own figures.
        let pdf = w.output().join("反馈单").join(format!("{unit}_{y}年度填报数据反馈单.pdf"));
        let layout = pdf_text(&pdf, true);
        for r in &rows[1..] {
            let line = layout.lines().find(|l| l.split_whitespace().next() == Some(r[0].as_str()));
            let line = line.unwrap_or_else(|| panic!("{y} {unit}: PDF has no row {}", r[0]));
            let cells: Vec<&str> = line.split_whitespace().collect();
            assert!(cells.contains(&r[3].as_str()), "{y} {unit} {}: PDF row {line:?} lacks own {}", r[0], r[3]);
        }
    }
}
