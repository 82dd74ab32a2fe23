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
/// completed, progress %, status).
#[derive(Debug, Default, Clone)]
pub struct Filled {
    pub values: BTreeMap<String, (Option<f64>, Option<f64>)>,
    pub projects: BTreeMap<String, (f64, f64, f64, String)>,
    /// Printed in the header row, e.g. "示例数据（合成，非真实统计）".
    pub banner: String,
    pub person: String,
    /// 填报日期 as written, e.g. 2026年1月12日.
    pub date: String,
}

pub const INDICATOR_SHEET: &str = "指标填报";
pub const PROJECT_SHEET: &str = "项目进展";

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
    ws.set_column_width(0, 100)?;
    let office = plan.units.iter().find(|u| u.role == "coordinator").map(|u| u.name.as_str()).unwrap_or("市发展改革局");
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
        String::new(),
        "本单位负责的指标：".to_string(),
    ];
    notes.extend(
        plan.indicators_of(unit)
            .iter()
            .map(|i| format!("  {} {}（{}，{}年目标 {}）", i.id, i.name, i.unit, plan.end, fmt_num(i.target, 4))),
    );
    for (r, n) in notes.iter().enumerate() {
        ws.write_string(r as u32, 0, n)?;
    }

    // 指标填报
    let ws = wb.add_worksheet();
    ws.set_name(INDICATOR_SHEET)?;
    let target_head = format!("{}年目标值", plan.end);
    let headers = ["序号", "指标编号", "领域", "指标名称", "计量单位", &target_head, "上年值", "本年完成值", "数据来源", "备注"];
    let widths = [6.0, 9.0, 12.0, 40.0, 9.0, 12.0, 11.0, 12.0, 16.0, 20.0];
    ws.merge_range(0, 0, 0, 9, &format!("{}指标填报表（{}年度）", plan.title, year), &title)?;
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
    DataValidation::new()
        .allow_decimal_number(DataValidationRule::Between(min, max))
        .set_input_title(format!("{}（{}）", ind.id, ind.unit))?
        .set_input_message(format!("{hint}；无数据填“/”。{}年目标 {}", plan.end, fmt_num(ind.target, 4)))?
        .set_error_style(DataValidationErrorStyle::Warning)
        .set_error_title("数值超出合理范围")?
        .set_error_message(format!("{} 的数值一般在 {} 至 {} 之间，请核实。无数据请填“/”。", ind.name, fmt_num(min, 4), fmt_num(max, 4)))
}

/// A small deterministic generator (xorshift64*), so that sample data never change.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// Counts are whole numbers; rates keep one or two decimals.
fn round_for(ind: &crate::plan::Indicator, v: f64) -> f64 {
    let dp = match ind.unit.as_str() {
        "个" | "人" | "张" | "套" | "人次" if ind.target.fract() == 0.0 => 0,
        "%" | "‰" | "年" | "岁" | "/10万" => 1,
        _ => 2,
    };
    fmt_num(v, dp).parse().unwrap_or(v)
}

/// Synthetic figures for every indicator, 2022 (baseline) to `last_year`: a path from a
/// baseline to somewhere around the target, some indicators ahead, some behind.
pub fn synthetic_series(plan: &Plan, seed: u64, last_year: i32) -> BTreeMap<String, BTreeMap<i32, f64>> {
    let mut rng = Rng::new(seed);
    let mut out = BTreeMap::new();
    let span = (plan.end - plan.baseline_year) as f64;
    for ind in &plan.indicators {
        let t = ind.target;
        // How far along by the end of the plan: 0.7 (well behind) … 1.08 (over).
        let reach = rng.range(0.9, 1.07);
        let mut series = BTreeMap::new();
        let mut last = 0.0f64;
        for y in plan.baseline_year..=last_year {
            let frac = (y - plan.baseline_year) as f64 / span;
            let v = match ind.comparison {
                Comparison::Hold => {
                    if t >= 100.0 {
                        if reach < 0.75 && y == last_year {
                            98.6
                        } else {
                            100.0
                        }
                    } else {
                        t + rng.range(-0.6, 1.2)
                    }
                }
                Comparison::AnnualRate => t * rng.range(0.85, 1.1),
                Comparison::Cumulative => {
                    if y == plan.baseline_year {
                        continue;
                    }
                    // A running total never falls.
                    let v = match ind.milestone(y) {
                        Some(m) if reach > 0.8 => m,
                        _ => t * reach * frac.powf(rng.range(0.9, 1.1)),
                    };
                    last = v.max(last);
                    last
                }
                Comparison::AtMost => {
                    let base = t * 1.25;
                    base + (t * (2.0 - reach) - base) * frac
                }
                Comparison::AtLeast => {
                    let base = t * rng.range(0.86, 0.96);
                    base + (t * reach - base) * frac
                }
            };
            series.insert(y, round_for(ind, v));
        }
        out.insert(ind.id.clone(), series);
    }
    out
}

/// The sample return of `unit` for `year`, filled from a synthetic series.
pub fn sample_filled(plan: &Plan, unit: &str, year: i32, series: &BTreeMap<String, BTreeMap<i32, f64>>, seed: u64) -> Filled {
    let mut f = Filled {
        banner: "示例数据（合成，非真实统计）".to_string(), person: "示例填报人".to_string(), ..Default::default()
    };
    for ind in plan.indicators_of(unit) {
        let s = series.get(&ind.id);
        // Co-responsible units leave the lead's figures to the lead, except that in
        // the plan's last year one of them reports its own, different count: the
        // sample then shows what a conflict between two units looks like.
        if ind.lead_unit() != unit {
            if year == plan.end && ind.comparison == Comparison::Hold && ind.target >= 100.0 {
                let own = s.and_then(|s| s.get(&year)).map(|v| v - 1.5);
                f.values.insert(ind.id.clone(), (None, own));
            }
            continue;
        }
        let prev = s.and_then(|s| s.get(&(year - 1)).copied());
        let cur = s.and_then(|s| s.get(&year).copied());
        f.values.insert(ind.id.clone(), (prev, cur));
    }
    let mut rng = Rng::new(seed ^ year as u64 ^ unit.len() as u64);
    // Most returns arrive in January; the odd one in February (late).
    f.date = if (unit.chars().count() as i32 + year) % 9 == 0 {
        format!("{}年2月{}日", year + 1, 3 + (rng.unit() * 20.0) as u32)
    } else {
        format!("{}年1月{}日", year + 1, 5 + (rng.unit() * 20.0) as u32)
    };
    for p in plan.projects.iter().filter(|p| p.responsible.first().map(String::as_str) == Some(unit)) {
        // One path per project over the years: the same total, the share done growing.
        let mut prng = Rng::new(seed ^ p.id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3)));
        let planned = (prng.range(800.0, 30000.0) / 10.0).round() * 10.0;
        let speed = prng.range(0.7, 1.2);
        let span = (plan.end - plan.baseline_year).max(1) as f64;
        let frac = ((year - plan.baseline_year) as f64 / span * speed).min(1.0);
        let progress = (frac * 100.0).round();
        let status = if progress >= 100.0 {
            "已完工"
        } else if progress > 0.0 {
            "在建"
        } else {
            "前期工作"
        };
        f.projects.insert(p.id.clone(), ((planned), (planned * frac).round(), progress, status.to_string()));
    }
    f
}

/// A return in a layout the unit made itself (what the reader must also accept): a
/// title, the unit in a 填报单位 cell, a two-row header with the year merged over
/// 目标 / 实际完成, columns in another order, names with full-width brackets and a
/// unit suffix, figures as text with their unit, thousands separators.
pub fn messy_workbook(plan: &Plan, unit: &str, year: i32, filled: &Filled, created_unix: i64) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(&DocProperties::new().set_creation_datetime(&ExcelDateTime::from_timestamp(created_unix)?));
    let ws = wb.add_worksheet();
    ws.set_name("Sheet1")?;
    let merge = Format::new().set_align(FormatAlign::Center);
    ws.write_string(0, 0, format!("{unit}关于{year}年度公共服务发展指标完成情况的报告"))?;
    ws.write_string(1, 0, format!("填报单位：{}", unit.replacen('市', "仁怀市", 1)))?;
    ws.write_string(2, 0, "指标项目")?;
    ws.write_string(2, 1, "计量单位")?;
    ws.merge_range(2, 2, 2, 3, &format!("{year}年"), &merge)?;
    ws.write_string(2, 4, "备注")?;
    ws.write_string(3, 2, "目标")?;
    ws.write_string(3, 3, "实际完成")?;
    let mut r = 4u32;
    for ind in plan.indicators_of(unit) {
        let Some((_, Some(v))) = filled.values.get(&ind.id) else { continue };
        let name = format!("{}（{}）", ind.name.replace('(', "（").replace(')', "）"), ind.unit);
        ws.write_string(r, 0, &name)?;
        ws.write_string(r, 1, &ind.unit)?;
        ws.write_number(r, 2, ind.target)?;
        let text = if *v >= 1000.0 && v.fract() == 0.0 {
            let s = format!("{}", *v as i64);
            let (head, tail) = s.split_at(s.len() - 3);
            format!("{head},{tail}")
        } else {
            format!("{}{}", fmt_num(*v, 4), if ind.unit == "%" { "%" } else { "" })
        };
        ws.write_string(r, 3, &text)?;
        r += 1;
    }
    wb.save_to_buffer()
}
