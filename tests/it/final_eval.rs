//! 终期评估: the plan's last year's report is its final evaluation; a year after the plan
//! is one when asked (`--final`); the years before keep the annual report. The figure
//! the PDF draws is in the Word version as a picture made from the same template code.

use std::path::Path;

use crate::common::{self, displayed_sheet, docx_text, pdf_text, without_page_numbers, Workdir};

fn sample() -> Workdir {
    Workdir::with_input(&Path::new(env!("CARGO_MANIFEST_DIR")).join("input"))
}

/// The title of the report of `year`: the final evaluation's file is named as one.
fn report_title(w: &Workdir, year: i32) -> String {
    let annual = w.output().join(format!("仁怀市公共服务发展行动方案实施进展报告（{year}年度）.docx"));
    let fin = w.output().join("仁怀市公共服务发展行动方案实施情况终期评估报告.docx");
    // The newest of the two (a run replaces the output folder's set).
    let docx = if annual.exists() { annual } else { fin };
    // (A long title is set on two lines of one paragraph.)
    docx_text(&docx).paragraphs.into_iter().find(|p| !p.trim().is_empty()).unwrap().replace('\n', "")
}

#[test]
fn the_last_year_is_the_final_evaluation_and_earlier_years_are_annual() {
    let w = sample();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(report_title(&w, 2025), "仁怀市公共服务发展行动方案实施情况终期评估报告");
    // The run's summary counts as the report does, and calls it what it is.
    let summary = common::stdout(&out);
    assert!(summary.contains("主要指标（终期评估）：已完成 25，基本完成 1，未完成 4，无数据 0。"), "{summary}");
    assert!(!summary.contains("序时进度"), "{summary}");
    assert!(summary.contains("终期评估报告：output/仁怀市公共服务发展行动方案实施情况终期评估报告.pdf"), "{summary}");
    assert!(summary.contains("终期评估报告（Word）：output/"), "{summary}");
    let pdf: String = pdf_text(&w.output().join("仁怀市公共服务发展行动方案实施情况终期评估报告.pdf"), false).split_whitespace().collect();
    for part in ["实施情况终期评估报告", "未完成和基本完成的指标及原因", "各领域主要指标完成情况（2023—2025年，项）", "完成率"]
    {
        assert!(pdf.contains(part), "the final report lacks {part}");
    }
    // A small count shows done of due (T09 县级妇幼保健重点专科, 累计2), and the method
    // says so; a larger count a percentage (T08, 累计4).
    assert!(pdf.contains("完成率写作“完成数/目标数”（如“2/2”）"), "{pdf}");
    // 五 lists the 基本完成 ones with the 未完成: not fully met.
    assert!(pdf.contains("部分指标未完全完成方案目标"), "{pdf}");
    assert!(pdf.contains("累计22/2已完成") && pdf.contains("累计4100.0%已完成"), "{pdf}");
    for gone in ["序时进度", "需加快推进"] {
        assert!(!pdf.split("附表1").next().unwrap().contains(gone), "the final report's body speaks of {gone}");
    }
    // The Word version has the same figure, as a picture.
    let docx = w.output().join("仁怀市公共服务发展行动方案实施情况终期评估报告.docx");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&docx).unwrap()).unwrap();
    let media: Vec<String> =
        zip.file_names().filter_map(|n| n.ok()).filter(|n| n.starts_with("word/media/")).map(|n| n.to_string()).collect();
    assert_eq!(media.len(), 2, "图1 and 图2: {media:?}");
    for m in &media {
        let mut png = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name(m).unwrap(), &mut png).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a picture of the figure");
    }
    let paragraphs = docx_text(&docx).paragraphs;
    assert!(paragraphs.iter().any(|p| p == "图1　各领域主要指标完成情况（2023—2025年，项）"));
    assert!(paragraphs.iter().any(|p| p == "图2　未完全完成指标的变化（2022—2025年）"));
    assert!(pdf.contains("图2") && pdf.contains("未完全完成指标的变化（2022—2025年）"), "the PDF has 图2 too");

    let earlier = w.path().join("o2024");
    let out = w.run(&["run", "--year", "2024", "--date", "2026-03-01", "--output", earlier.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let docx = earlier.join("仁怀市公共服务发展行动方案实施进展报告（2024年度）.docx");
    let title = docx_text(&docx).paragraphs.into_iter().find(|p| !p.trim().is_empty()).unwrap();
    assert_eq!(title, "仁怀市公共服务发展行动方案实施进展报告（2024年度）");
    // Its figures come from the 2023 and the 2024 returns, and it says so.
    let mid = common::flat(&pdf_text(&earlier.join("仁怀市公共服务发展行动方案实施进展报告（2024年度）.pdf"), false));
    assert!(mid.contains("本报告依据各责任单位报送的2023—2024年度填报表汇总形成"), "{mid}");
    let book = earlier.join("仁怀市公共服务发展行动方案监测汇总表（2024年度）.xlsx");
    let head = &displayed_sheet(&book, "指标进展")[0];
    assert!(head.contains(&"序时进度".to_string()) && head.contains(&"尚需年均变化".to_string()), "{head:?}");
}

#[test]
fn a_year_after_the_plan_is_a_final_evaluation_when_asked() {
    let w = sample();
    let out = w.run(&["run", "--year", "2026", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(report_title(&w, 2026), "仁怀市公共服务发展行动方案实施进展报告（2026年度）");
    let out = w.run(&["run", "--year", "2026", "--final", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(report_title(&w, 2026), "仁怀市公共服务发展行动方案实施情况终期评估报告");
    // The same from planmon.toml.
    std::fs::write(w.path().join("planmon.toml"), "final = true\n").unwrap();
    let out = w.run(&["run", "--year", "2026", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(report_title(&w, 2026), "仁怀市公共服务发展行动方案实施情况终期评估报告");
}

/// Each 2025 return's 未完成原因及下一步措施, read with calamine: (unit, indicator id) → text.
fn stated_reasons(input: &Path) -> std::collections::HashMap<(String, String), String> {
    use calamine::{open_workbook_auto, Reader};
    let mut out = std::collections::HashMap::new();
    for entry in std::fs::read_dir(input).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(unit) = name.strip_suffix("_2025年度填报表.xlsx") else { continue };
        let mut wb = open_workbook_auto(&path).unwrap();
        let Ok(range) = wb.worksheet_range("指标填报") else { continue };
        let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        let head = rows.iter().position(|r| r.iter().any(|c| c == "指标编号")).unwrap();
        let col = |h: &str| rows[head].iter().position(|c| c == h);
        let (Some(id), Some(reason)) = (col("指标编号"), col("未完成原因及下一步措施")) else { continue };
        for r in &rows[head + 1..] {
            if let (Some(i), Some(t)) = (r.get(id), r.get(reason)) {
                if !t.trim().is_empty() {
                    out.insert((unit.to_string(), i.clone()), t.trim().to_string());
                }
            }
        }
    }
    out
}

#[test]
fn every_unmet_indicator_is_listed_with_its_unit_and_the_units_reason_or_a_placeholder() {
    let w = sample();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let reasons = stated_reasons(&w.input());
    assert!(!reasons.is_empty(), "the sample's 2025 returns state reasons");
    let book = w.output().join("仁怀市公共服务发展行动方案监测汇总表（2025年度）.xlsx");
    let sheet = displayed_sheet(&book, "终期评估");
    let col = |h: &str| sheet[0].iter().position(|c| c == h).unwrap_or_else(|| panic!("终期评估 has no {h}: {:?}", sheet[0]));
    let (id, name, outcome, units) = (col("编号"), col("指标名称"), col("完成情况"), col("责任单位"));
    let pdf = without_page_numbers(
        &pdf_text(&w.output().join("仁怀市公共服务发展行动方案实施情况终期评估报告.pdf"), false).split_whitespace().collect::<String>(),
    );
    let docx = docx_text(&w.output().join("仁怀市公共服务发展行动方案实施情况终期评估报告.docx"));
    let section = pdf.split("的指标及原因").nth(1).expect("the unmet list").split("存在的问题").next().unwrap();
    let unmet_rows: Vec<&Vec<String>> =
        sheet[1..].iter().filter(|row| !matches!(row[outcome].as_str(), "已完成" | "无数据" | "")).collect();
    // 图2 floats to the top of a page, inside the text: its panels (titled by id and name)
    // up to its caption are taken out of the text of the list.
    let caption = "图2未完全完成指标的变化（2022—2025年）";
    let first = &unmet_rows[0];
    let figure_at = section.find(&format!("{}{}", first[id], first[name].split_whitespace().collect::<String>())).expect("图2's panels");
    let figure_end = section.find(caption).expect("图2's caption") + caption.len();
    let figure = &section[figure_at..figure_end];
    let text = format!("{}{}", &section[..figure_at], &section[figure_end..]);
    // The numbered items, each up to the next.
    let numbered = &text[text.find("1.“").expect("numbered items")..];
    let starts: Vec<usize> = unmet_rows
        .iter()
        .map(|row| {
            let title: String = row[name].split_whitespace().collect();
            numbered.find(&format!("“{title}”")).unwrap_or_else(|| panic!("{} is not in the unmet list", row[id]))
        })
        .collect();
    // progress.csv's last-year rows and 部门填报情况 say the same outcomes as the sheet.
    let progress = w.csv("progress.csv");
    for row in &sheet[1..] {
        let p = progress.iter().find(|p| p["indicator_id"] == row[id] && p["year"] == "2025").expect("a 2025 row");
        assert_eq!(p["outcome"], row[outcome], "{}", row[id]);
    }
    assert!(progress.iter().filter(|p| p["year"] != "2025").all(|p| p["outcome"].is_empty()), "outcomes only at the end");
    let units_sheet = displayed_sheet(&book, "部门填报情况");
    let ucol = |h: &str| units_sheet[0].iter().position(|c| c == h).unwrap_or_else(|| panic!("no {h}: {:?}", units_sheet[0]));
    for (label, header) in [("已完成", "已完成（项）"), ("基本完成", "基本完成（项）"), ("未完成", "未完成（项）")]
    {
        let by_units: usize = units_sheet[1..].iter().map(|r| r[ucol(header)].parse::<usize>().unwrap()).sum();
        let by_sheet = sheet[1..].iter().filter(|r| r[outcome] == label).count();
        assert_eq!(by_units, by_sheet, "{label}: 部门填报情况 and 终期评估 disagree");
    }
    assert!(!units_sheet[0].iter().any(|h| h.contains("滞后")), "no annual statuses at the end: {:?}", units_sheet[0]);
    let mut unmet = 0;
    let mut placeholders = 0;
    for (k, row) in unmet_rows.iter().enumerate() {
        unmet += 1;
        let lead = row[units].split('、').next().unwrap().to_string();
        let item = &numbered[starts[k]..starts.get(k + 1).copied().unwrap_or(numbered.len())];
        let said = match reasons.get(&(lead.clone(), row[id].clone())) {
            Some(text) => format!("{lead}说明：{}", text.split_whitespace().collect::<String>()),
            None => {
                placeholders += 1;
                format!("{lead}未")
            }
        };
        assert!(item.contains(&said), "{}: the list does not quote {said}", row[id]);
        // 图2 has its trend line, titled by id and name.
        let panel = format!("{}{}", row[id], row[name].split_whitespace().collect::<String>());
        assert!(figure.contains(&panel), "图2 has no line for {panel}");
        // The Word version says the same.
        assert!(
            docx.paragraphs.iter().any(|p| p.contains(&format!("“{}”", row[name])) && p.contains(&said)),
            "{}: the Word version does not quote {said}",
            row[id]
        );
    }
    assert!(unmet >= 5, "the sample has indicators not met: {unmet}");
    assert!(placeholders >= 1 && placeholders < unmet, "both stated reasons and the placeholder: {placeholders} of {unmet}");
    // The unit that gave no reason is asked for it on its feedback sheet.
    let missing = docx_text(&w.output().join("反馈单").join("市退役军人事务局_2025年度填报数据反馈单.docx"));
    assert!(
        missing.paragraphs.iter().any(|p| p.contains("没有说明原因") && p.contains("退役军人适应性培训参训率")),
        "{:?}",
        missing.paragraphs
    );
}

#[test]
fn a_reason_in_a_units_own_layout_is_read_and_quoted() {
    let w = common::Workdir::empty();
    let path = w.input().join("退役军人事务局2025年指标完成情况.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "填报单位：市退役军人事务局").unwrap();
    for (c, h) in ["指标名称", "单位", "2025年完成值", "未达标原因分析"].iter().enumerate() {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    ws.write_string(2, 0, "退役军人适应性培训参训率").unwrap();
    ws.write_string(2, 1, "%").unwrap();
    ws.write_number(2, 2, 80.0).unwrap();
    ws.write_string(2, 3, "部分退役军人异地就业，集中培训难以组织。").unwrap();
    ws.write_string(4, 0, "填报日期：2026年1月10日").unwrap();
    wb.save(&path).unwrap();
    let out = w.run(&["run", "--date", "2026-03-01"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let obs = w.csv("observations.csv");
    let g27 = obs.iter().find(|o| o["indicator_id"] == "G27" && o["year"] == "2025").expect("G27 read");
    assert_eq!(g27["reason"], "部分退役军人异地就业，集中培训难以组织。");
    let pdf: String = pdf_text(&w.output().join("仁怀市公共服务发展行动方案实施情况终期评估报告.pdf"), false).split_whitespace().collect();
    assert!(pdf.contains("市退役军人事务局说明：部分退役军人异地就业，集中培训难以组织。"), "{pdf}");
}
