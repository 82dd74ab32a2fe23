//! Return workbooks in the standard layout (rust_xlsxwriter): blank forms for a unit to
//! fill (`planmon templates`) and the synthetic sample returns shipped in input/.

use std::collections::BTreeMap;

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder,
    Workbook, XlsxError,
};

use crate::plan::{Comparison, Plan};
use crate::text::fmt_num;

/// Figures to put in a return: indicator id → (上年值, 本年值); project id → (planned,
/// completed, progress %, status); area → (work done, problems, next steps); key task
/// id → (完成情况, 说明).
#[derive(Debug, Default, Clone)]
pub struct Filled {
    pub values: BTreeMap<String, (Option<f64>, Option<f64>)>,
    pub projects: BTreeMap<String, (f64, f64, f64, String)>,
    pub works: BTreeMap<String, [String; 3]>,
    pub tasks: BTreeMap<String, (String, String)>,
    /// In the plan's last year: indicator id → 未完成原因及下一步措施.
    pub reasons: BTreeMap<String, String>,
    /// Printed in the header row, e.g. "示例数据（合成，非真实统计）".
    pub banner: String,
    pub person: String,
    /// 填报日期 as written, e.g. 2026年1月12日.
    pub date: String,
}

pub const INDICATOR_SHEET: &str = "指标填报";
pub const PROJECT_SHEET: &str = "项目进展";
pub const WORK_SHEET: &str = "工作进展";
pub const TASK_SHEET: &str = "重点任务";

/// The column a return for the plan's last year adds to 指标填报: why a target was not
/// met and what is to be done (read back into the final evaluation).
pub const REASON_HEADER: &str = "未完成原因及下一步措施";

/// The columns of the 工作进展 sheet after 领域.
pub const WORK_HEADERS: [&str; 3] = ["主要工作及成效", "存在问题", "下一步打算"];

/// What a key task's 完成情况 can be (the dropdown of the 重点任务 sheet).
pub const TASK_STATUSES: [&str; 3] = ["已完成", "推进中", "未启动"];

/// A unit's return for `year`, blank (`filled` = None) or filled in.
pub fn return_workbook(plan: &Plan, unit: &str, year: i32, filled: Option<&Filled>, created_unix: i64) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("{unit}{year}年度填报表"))
            .set_author(unit)
            .set_creation_datetime(&ExcelDateTime::from_timestamp(created_unix)?),
    );
    let border = Format::new().set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter);
    let wrap = border.clone().set_text_wrap();
    let head = border.clone().set_bold().set_background_color(Color::RGB(0xDDEBF7)).set_align(FormatAlign::Center).set_text_wrap();
    let title = Format::new().set_bold().set_font_size(16).set_align(FormatAlign::Center);
    let input = border.clone().set_background_color(Color::RGB(0xFFF2CC)).set_unlocked();

    // 填报说明
    let ws = wb.add_worksheet();
    ws.set_name("填报说明")?;
    // One column the text wraps in, each row as high as its lines (LibreOffice and WPS
    // do not fit a row's height themselves).
    const NOTE_WIDTH: f64 = 86.0;
    ws.set_column_width(0, NOTE_WIDTH)?;
    // The office as the documents name it (its full name, as in the 落款).
    let office = plan
        .units
        .iter()
        .find(|u| u.role == crate::plan::Role::Coordinator)
        .map(|u| if u.full.is_empty() { u.name.as_str() } else { u.full.as_str() })
        .unwrap_or("汇总单位");
    let (month, day) = plan.rules.validate.deadline.split_once('-').unwrap_or(("01", "31"));
    let mut notes = vec![
        format!("{}指标填报说明（{}年度）", plan.title, year),
        format!("填报单位：{unit}"),
        "1. 请在“指标填报”表黄色单元格中填写本单位负责指标的本年完成值，数据截至本年12月31日；其他单元格已保护，无需修改。".to_string(),
        format!("2. 百分比直接填数字，如 94.5 表示 94.5%，不要填 0.945；累计指标填 {} 年起的累计数。各指标的计量单位见“计量单位”列，选中单元格时也有提示。", plan.start),
        "3. 无数据请填“/”并在备注中说明原因，不要填 0。请勿修改指标名称、编号和表格结构。".to_string(),
        "4. “项目进展”表填写本单位牵头的附件2项目的投资完成和形象进度，项目状态从下拉列表中选择。".to_string(),
        format!(
            "5. 请于{}年{}月{}日前报送{office}。报送前可运行 planmon check 文件名 自查；如有疑问请联系{office}。",
            year + 1,
            month.trim_start_matches('0'),
            day.trim_start_matches('0')
        ),
    ];
    // The plan's last year: the final evaluation quotes each unit's reason for a target
    // not met.
    let last_year = year >= plan.end;
    if last_year {
        notes.push(format!(
            "6. 本年度是方案实施的最后一年，将开展终期评估。本单位牵头的指标未达到{}年目标的，请在“指标填报”表“{REASON_HEADER}”列逐项写明未完成的原因和下一步措施（两三句话）；终期评估报告将在该指标下引用，并注明单位。已达到目标的指标不填。",
            plan.end
        ));
    }
    notes.push(String::new());
    notes.push("本单位负责的指标：".to_string());
    notes.extend(
        plan.indicators_of(unit)
            .iter()
            .map(|i| format!("  {} {}（{}，{}年目标 {}）", i.id, i.name, i.unit, plan.end, fmt_num(i.target, 4))),
    );
    let note = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for (r, n) in notes.iter().enumerate() {
        ws.write_string_with_format(r as u32, 0, n, &note)?;
        ws.set_row_height(r as u32, crate::text::row_height(&[(n, NOTE_WIDTH)]))?;
    }

    // 指标填报
    let ws = wb.add_worksheet();
    ws.set_name(INDICATOR_SHEET)?;
    let target_head = format!("{}年目标值", plan.end);
    let mut headers = vec!["序号", "指标编号", "领域", "指标名称", "计量单位", &target_head, "上年值", "本年完成值", "数据来源", "备注"];
    let mut widths = vec![6.0, 9.0, 12.0, 40.0, 9.0, 12.0, 11.0, 12.0, 16.0, 20.0];
    if last_year {
        headers.push(REASON_HEADER);
        widths.push(40.0);
    }
    let last_col = headers.len() as u16 - 1;
    ws.merge_range(0, 0, 0, last_col, &format!("{}指标填报表（{}年度）", plan.title, year), &title)?;
    ws.write_string(1, 0, "填报单位：")?;
    ws.write_string(1, 2, unit)?;
    ws.write_string(1, 5, "填报年度：")?;
    ws.write_number(1, 6, year as f64)?;
    if let Some(f) = filled {
        if !f.banner.is_empty() {
            ws.write_string(1, 8, &f.banner)?;
        }
    }
    for (c, (h, w)) in headers.iter().zip(widths).enumerate() {
        ws.write_string_with_format(2, c as u16, *h, &head)?;
        ws.set_column_width(c as u16, w)?;
    }
    let mut r = 3u32;
    for (k, ind) in plan.indicators_of(unit).iter().enumerate() {
        ws.write_number_with_format(r, 0, (k + 1) as f64, &border)?;
        ws.write_string_with_format(r, 1, &ind.id, &border)?;
        ws.write_string_with_format(r, 2, &ind.area, &border)?;
        let name = if ind.comparison == Comparison::Cumulative {
            format!("{}（{}年起累计）", ind.name, plan.start)
        } else {
            ind.name.clone()
        };
        ws.write_string_with_format(r, 3, &name, &wrap)?;
        ws.write_string_with_format(r, 4, &ind.unit, &border)?;
        ws.write_number_with_format(r, 5, ind.target, &border)?;
        let (prev, cur) = filled.and_then(|f| f.values.get(&ind.id).cloned()).unwrap_or((None, None));
        let sample = filled.is_some_and(|f| !f.banner.is_empty());
        for (c, v) in [(6u16, prev), (7u16, cur)] {
            match v {
                Some(v) => ws.write_number_with_format(r, c, v, &input)?,
                None if sample => ws.write_string_with_format(r, c, "/", &input)?,
                None => ws.write_blank(r, c, &input)?,
            };
        }
        ws.write_string_with_format(r, 8, if sample { "部门统计" } else { "" }, &input)?;
        ws.write_blank(r, 9, &input)?;
        if last_year {
            let reason = filled.and_then(|f| f.reasons.get(&ind.id)).map_or("", String::as_str);
            ws.write_string_with_format(r, 10, reason, &input.clone().set_text_wrap())?;
        }
        let validation = number_validation(plan, ind)?;
        ws.add_data_validation(r, 6, r, 7, &validation)?;
        r += 1;
    }
    r += 1;
    for label in ["填报人：", "联系电话：", "审核人：", "填报日期："] {
        ws.write_string(r, 0, label)?;
        r += 1;
    }
    // The 填报人 … 填报日期 answers are to be filled too.
    for k in 0..4 {
        ws.merge_range(r - 4 + k, 2, r - 4 + k, 4, "", &input)?;
    }
    if let Some(f) = filled {
        ws.write_string_with_format(r - 4, 2, &f.person, &input)?;
        ws.write_string_with_format(r - 1, 2, &f.date, &input)?;
    }
    ws.set_freeze_panes(3, 0)?;
    ws.protect();

    // 项目进展
    let projects: Vec<_> = plan.projects.iter().filter(|p| p.responsible.first().map(String::as_str) == Some(unit)).collect();
    if !projects.is_empty() {
        let ws = wb.add_worksheet();
        ws.set_name(PROJECT_SHEET)?;
        let headers = ["项目编号", "项目名称", "计划投资（万元）", "累计完成投资（万元）", "形象进度（%）", "项目状态", "存在问题"];
        let widths = [9.0, 44.0, 14.0, 16.0, 12.0, 10.0, 30.0];
        ws.merge_range(0, 0, 0, 6, &format!("附件2项目进展填报表（{}年度）", year), &title)?;
        for (c, (h, w)) in headers.iter().zip(widths).enumerate() {
            ws.write_string_with_format(1, c as u16, *h, &head)?;
            ws.set_column_width(c as u16, w)?;
        }
        for (k, p) in projects.iter().enumerate() {
            let r = k as u32 + 2;
            ws.write_string_with_format(r, 0, &p.id, &border)?;
            ws.write_string_with_format(r, 1, &p.name, &wrap)?;
            match filled.and_then(|f| f.projects.get(&p.id)) {
                Some((planned, done, progress, status)) => {
                    ws.write_number_with_format(r, 2, *planned, &input)?;
                    ws.write_number_with_format(r, 3, *done, &input)?;
                    ws.write_number_with_format(r, 4, *progress, &input)?;
                    ws.write_string_with_format(r, 5, status, &input)?;
                }
                None => {
                    for c in 2..=5 {
                        ws.write_blank(r, c, &input)?;
                    }
                }
            }
            ws.write_blank(r, 6, &input)?;
        }
        let last = projects.len() as u32 + 1;
        let status = DataValidation::new()
            .allow_list_strings(&PROJECT_STATUSES)?
            .set_input_title("项目状态")?
            .set_input_message("请从下拉列表中选择")?;
        ws.add_data_validation(2, 5, last, 5, &status)?;
        let percent = DataValidation::new()
            .allow_decimal_number(DataValidationRule::Between(0.0, 100.0))
            .set_input_title("形象进度（%）")?
            .set_input_message("填 0 至 100 的数字，如 65 表示 65%")?
            .set_error_style(DataValidationErrorStyle::Warning)
            .set_error_message("形象进度应为 0 至 100 之间的数字")?;
        ws.add_data_validation(2, 4, last, 4, &percent)?;
        let money = DataValidation::new()
            .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
            .set_input_title("投资（万元）")?
            .set_input_message("单位：万元，填数字")?
            .set_error_style(DataValidationErrorStyle::Warning)
            .set_error_message("投资额应为不小于 0 的数字（万元）")?;
        ws.add_data_validation(2, 2, last, 3, &money)?;
        ws.protect();
    }

    // 工作进展: a few sentences per area, quoted in the report.
    let areas = plan.areas_of(unit);
    if !areas.is_empty() {
        let ws = wb.add_worksheet();
        ws.set_name(WORK_SHEET)?;
        ws.merge_range(0, 0, 0, 3, &format!("工作进展（{}年度）", year), &title)?;
        ws.merge_range(
            1,
            0,
            1,
            3,
            &format!(
                "请按领域写明本年主要工作及成效（三至五句话，可写具体数字）、存在问题和下一步打算。{}将按领域引用，并注明单位。",
                if last_year { "终期评估报告" } else { "进展报告" }
            ),
            &Format::new().set_text_wrap(),
        )?;
        ws.set_row_height(1, 32)?;
        for (c, (h, w)) in std::iter::once("领域").chain(WORK_HEADERS).zip([12.0, 60.0, 36.0, 36.0]).enumerate() {
            ws.write_string_with_format(2, c as u16, h, &head)?;
            ws.set_column_width(c as u16, w)?;
        }
        let text = input.clone().set_text_wrap().set_align(FormatAlign::Top);
        for (k, area) in areas.iter().enumerate() {
            let r = k as u32 + 3;
            ws.write_string_with_format(r, 0, area, &border)?;
            let written = filled.and_then(|f| f.works.get(area));
            for c in 0..3 {
                ws.write_string_with_format(r, 1 + c as u16, written.map_or("", |w| w[c].as_str()), &text)?;
            }
            ws.set_row_height(r, 96)?;
        }
        ws.protect();
    }

    // 重点任务: done or not, for the plan's dated tasks the unit leads.
    let tasks: Vec<_> = plan.tasks.iter().filter(|t| t.lead_unit() == unit).collect();
    if !tasks.is_empty() {
        let ws = wb.add_worksheet();
        ws.set_name(TASK_SHEET)?;
        ws.merge_range(0, 0, 0, 4, &format!("重点任务完成情况（{}年度）", year), &title)?;
        for (c, (h, w)) in ["任务编号", "任务", "完成时限", "完成情况", "说明"].iter().zip([9.0, 44.0, 10.0, 12.0, 40.0]).enumerate()
        {
            ws.write_string_with_format(1, c as u16, *h, &head)?;
            ws.set_column_width(c as u16, w)?;
        }
        for (k, t) in tasks.iter().enumerate() {
            let r = k as u32 + 2;
            ws.write_string_with_format(r, 0, &t.id, &border)?;
            ws.write_string_with_format(r, 1, &t.name, &wrap)?;
            ws.write_string_with_format(r, 2, format!("{}年", t.due.unwrap_or(plan.end)), &border)?;
            let (status, note) = filled.and_then(|f| f.tasks.get(&t.id)).cloned().unwrap_or_default();
            ws.write_string_with_format(r, 3, &status, &input)?;
            ws.write_string_with_format(r, 4, &note, &input.clone().set_text_wrap())?;
        }
        let status = DataValidation::new()
            .allow_list_strings(&TASK_STATUSES)?
            .set_input_title("完成情况")?
            .set_input_message("请从下拉列表中选择")?;
        ws.add_data_validation(2, 3, tasks.len() as u32 + 1, 3, &status)?;
        ws.protect();
    }
    // Printed as a unit would print it: A4 landscape, each sheet one page wide.
    for ws in wb.worksheets_mut() {
        ws.set_landscape();
        ws.set_paper_size(9);
        ws.set_print_fit_to_pages(1, 0);
    }
    wb.save_to_buffer()
}

/// Statuses a project can have (the dropdown of the 项目进展 sheet).
pub const PROJECT_STATUSES: [&str; 5] = ["前期工作", "在建", "已完工", "已投入使用", "暂停"];

/// Decimal validation for an indicator's value cells: the plausible range of its unit
/// and an input message saying the unit. A warning (not a stop), so that “/” for “no
/// figure” can still be entered.
fn number_validation(plan: &Plan, ind: &crate::plan::Indicator) -> Result<DataValidation, XlsxError> {
    let (min, max) = plan.range_for(ind).map(|r| (r.min, r.max)).unwrap_or((0.0, 1.0e9));
    let hint = match ind.unit.as_str() {
        "%" => "百分比直接填数字，如 94.5 表示 94.5%".to_string(),
        u => format!("单位：{u}"),
    };
    // Excel holds at most 32 characters in a title and 255 in a message; a plan's ids,
    // units and names may be longer (up to the plan's bounds).
    let fit = |text: String, max: usize| -> String {
        if text.chars().count() <= max {
            text
        } else {
            text.chars().take(max - 1).chain(std::iter::once('…')).collect()
        }
    };
    DataValidation::new()
        .allow_decimal_number(DataValidationRule::Between(min, max))
        .set_input_title(fit(format!("{}（{}）", ind.id, ind.unit), 32))?
        .set_input_message(fit(format!("{hint}；无数据填“/”。{}年目标 {}", plan.end, fmt_num(ind.target, 4)), 255))?
        .set_error_style(DataValidationErrorStyle::Warning)
        .set_error_title("数值超出合理范围")?
        .set_error_message(fit(
            format!("{} 的数值一般在 {} 至 {} 之间，请核实。无数据请填“/”。", ind.name, fmt_num(min, 4), fmt_num(max, 4)),
            255,
        ))
}
