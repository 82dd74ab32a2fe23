//! The summary workbook a planning office circulates (rust_xlsxwriter): 总览 with a native
//! chart, progress per indicator and per task target, per-unit completeness, projects,
//! findings, and every observation with its source. Cell text is always written as
//! text (never a formula); each indicator's figures are shown with the decimals the
//! assessment gives it (as many as any figure was reported with: display never
//! changes a number), counts without decimals, reported amounts as written (General);
//! every sheet prints on A4 landscape with a header and page numbers.

use rust_xlsxwriter::{
    Chart, ChartType, Color, ConditionalFormatText, ConditionalFormatTextRule, DocProperties, ExcelDateTime, Format, FormatAlign,
    FormatBorder, Table, TableColumn, TableStyle, Workbook, Worksheet, XlsxError,
};

use crate::assess::{Assessment, Status};
use crate::plan::{Indicator, IndicatorKind};
use crate::text::clip;

/// Longest text put in one cell (Excel's limit is 32,767 characters).
const CELL_CHARS: usize = 32_000;

pub const OVERVIEW: &str = "总览";
pub const GOALS: &str = "指标进展";
pub const TASKS: &str = "任务指标";
pub const UNITS: &str = "部门填报情况";
pub const PROJECTS: &str = "项目进展";
pub const FINDINGS: &str = "数据问题清单";
pub const DETAIL: &str = "数据明细";
pub const FINAL: &str = "终期评估";

fn status_fill(s: Status) -> Color {
    Color::RGB(match s {
        Status::Met => 0xC6EFCE,
        Status::Ahead => 0xE2EFDA,
        Status::OnTrack => 0xDDEBF7,
        Status::Behind => 0xFFEB9C,
        Status::SeriouslyBehind => 0xFFC7CE,
        Status::Unassessable => 0xF2F2F2,
        Status::NoData => 0xEDEDED,
    })
}

/// The report's status colours, for the chart.
fn status_strong(s: Status) -> Color {
    Color::RGB(match s {
        Status::Met => 0x1B7837,
        Status::Ahead => 0x5AAE61,
        Status::OnTrack => 0x2166AC,
        Status::Behind => 0xE08214,
        Status::SeriouslyBehind => 0xB2182B,
        Status::Unassessable => 0xBABABA,
        Status::NoData => 0x878787,
    })
}

/// Formats shared by the sheets.
struct Styles {
    title: Format,
    head: Format,
    text: Format,
    wrap: Format,
    /// Counts (of indicators, returns, findings): no decimals.
    int: Format,
    /// Rates planmon works out (reporting rate, investment completion): one decimal.
    pct: Format,
    /// A figure reported with no indicator to give it decimals (project amounts and
    /// progress): General, which shows it as written.
    general: Format,
    /// An indicator's figures with 0, 1, … 6 decimals.
    fixed: Vec<Format>,
}

impl Styles {
    fn new() -> Styles {
        let cell = Format::new().set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter);
        Styles {
            title: Format::new().set_bold().set_font_size(16).set_align(FormatAlign::Center),
            head: cell.clone().set_bold().set_background_color(Color::RGB(0xDDEBF7)).set_align(FormatAlign::Center).set_text_wrap(),
            text: cell.clone(),
            wrap: cell.clone().set_text_wrap(),
            int: cell.clone().set_num_format("0"),
            pct: cell.clone().set_num_format("0.0"),
            general: cell.clone(),
            fixed: (0..=6)
                .map(|dp| cell.clone().set_num_format(if dp == 0 { "0".to_string() } else { format!("0.{}", "0".repeat(dp)) }))
                .collect(),
        }
    }

    /// The format of an indicator's figures: its decimals in the assessment.
    fn number(&self, a: &Assessment, ind: &Indicator) -> &Format {
        &self.fixed[a.decimals_of(&ind.id).min(self.fixed.len() - 1)]
    }

    /// The format of a number worked out for an indicator (`Assessment::derived_decimals`).
    fn derived(&self, a: &Assessment, ind: &Indicator, v: f64) -> &Format {
        &self.fixed[a.derived_decimals(&ind.id, v).min(self.fixed.len() - 1)]
    }
}

fn headers(ws: &mut Worksheet, row: u32, cols: &[(&str, f64)], st: &Styles) -> Result<(), XlsxError> {
    for (c, (name, _)) in cols.iter().enumerate() {
        ws.write_string_with_format(row, c as u16, *name, &st.head)?;
    }
    column_widths(ws, row, cols)
}

/// The column widths of `cols`, and a header row tall enough for two lines.
///
/// A short header ending in its unit (已报送（份）, 指标报送率(%)) gets a column wide
/// enough for it on one line: wrapped, Excel and LibreOffice break it inside the bracket
/// (“已报送（份” over “）”).
fn column_widths(ws: &mut Worksheet, header_row: u32, cols: &[(&str, f64)]) -> Result<(), XlsxError> {
    for (c, (name, width)) in cols.iter().enumerate() {
        let one_line = crate::text::display_width(name) + 1.0;
        let unit_last = name.ends_with('）') || name.ends_with(')');
        let width = if unit_last && one_line <= 24.0 { width.max(one_line) } else { *width };
        ws.set_column_width(c as u16, width)?;
    }
    ws.set_row_height(header_row, 32)?;
    Ok(())
}

/// Make a row as high as its wrapped text (see `text::row_height`).
fn fit_row(ws: &mut Worksheet, r: u32, cells: &[&str], cols: &[(&str, f64)]) -> Result<(), XlsxError> {
    let pairs: Vec<(&str, f64)> = cells.iter().copied().zip(cols.iter().map(|(_, w)| *w)).collect();
    let height = crate::text::row_height(&pairs);
    if height > 15.0 {
        ws.set_row_height(r, height)?;
    }
    Ok(())
}

fn opt_number(ws: &mut Worksheet, r: u32, c: u16, v: Option<f64>, fmt: &Format) -> Result<(), XlsxError> {
    match v {
        Some(v) if v.is_finite() => ws.write_number_with_format(r, c, v, fmt).map(|_| ()),
        _ => ws.write_string_with_format(r, c, "—", fmt).map(|_| ()),
    }
}

fn print_setup(ws: &mut Worksheet, title: &str, header_row: u32) -> Result<(), XlsxError> {
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, header_row)?;
    ws.set_header(format!("&C&\"-,Bold\"{}", title.replace('&', "&&")));
    ws.set_footer("&C第 &P 页，共 &N 页");
    Ok(())
}

/// An Excel table over `rows` data rows below a header at `top` (at least one row). The
/// table writes its header cells itself, in `head` (without it they would lose the
/// header style: bold, shaded, wrapped on two lines).
fn table(ws: &mut Worksheet, top: u32, rows: usize, cols: &[(&str, f64)], name: &str, head: &Format) -> Result<(), XlsxError> {
    let column = |h: &str| TableColumn::new().set_header(h).set_header_format(head);
    let columns: Vec<TableColumn> = cols.iter().map(|(h, _)| column(h)).collect();
    let t = Table::new().set_name(name).set_style(TableStyle::Light1).set_columns(&columns);
    ws.add_table(top, 0, top + rows.max(1) as u32, (cols.len() - 1) as u16, &t)?;
    Ok(())
}

/// Colour status cells by their text (conditional formatting, so a re-typed status recolours).
fn status_colours(ws: &mut Worksheet, first: u32, last: u32, col: u16) -> Result<(), XlsxError> {
    let prefixes = [
        (Status::Met, "已达标"),
        (Status::Ahead, "快于"),
        (Status::OnTrack, "符合"),
        (Status::Behind, "滞后"),
        (Status::SeriouslyBehind, "严重"),
        (Status::Unassessable, "无法"),
        (Status::NoData, "无数据"),
    ];
    for (s, prefix) in prefixes {
        let cf = ConditionalFormatText::new()
            .set_rule(ConditionalFormatTextRule::BeginsWith(prefix.to_string()))
            .set_format(Format::new().set_background_color(status_fill(s)));
        ws.add_conditional_format(first, col, last.max(first), col, &cf)?;
    }
    Ok(())
}

/// Build the workbook in memory.
pub fn workbook(a: &Assessment) -> Result<Vec<u8>, XlsxError> {
    let plan = &a.plan;
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("{}监测汇总表（{}年度）", plan.title, a.year))
            .set_subject("公共服务发展行动方案实施监测")
            .set_author(&a.documents.office)
            .set_company(&a.documents.office)
            .set_comment(format!("planmon {}；指标表 {}；输入指纹 {}", env!("CARGO_PKG_VERSION"), plan.version, a.fingerprint))
            .set_creation_datetime(&ExcelDateTime::from_timestamp(a.documents.created_unix)?),
    );
    let st = Styles::new();
    overview(&mut wb, a, &st)?;
    progress_sheet(&mut wb, a, &st, GOALS, IndicatorKind::Goal)?;
    progress_sheet(&mut wb, a, &st, TASKS, IndicatorKind::Task)?;
    if a.final_eval.is_some() {
        final_sheet(&mut wb, a, &st)?;
    }
    units_sheet(&mut wb, a, &st)?;
    projects_sheet(&mut wb, a, &st)?;
    findings_sheet(&mut wb, a, &st)?;
    changes_sheet(&mut wb, a, &st)?;
    detail_sheet(&mut wb, a, &st)?;
    wb.save_to_buffer()
}

fn overview(wb: &mut Workbook, a: &Assessment, st: &Styles) -> Result<(), XlsxError> {
    let plan = &a.plan;
    let ws = wb.add_worksheet();
    ws.set_name(OVERVIEW)?;
    ws.merge_range(0, 0, 0, 7, &format!("{}监测汇总表（{}年度）", plan.title, a.year), &st.title)?;
    let mut later =
        if a.inputs.out_of_scope > 0 { format!("，{}份不在本次汇总年度", a.inputs.out_of_scope) } else { String::new() };
    if a.inputs.sample > 0 {
        later.push_str(&format!("（其中{}份标明为示例数据，非真实统计）", a.inputs.sample));
    }
    ws.write_string(
        1,
        0,
        format!(
            "成文日期：{}　　输入指纹：{}　　填报表：读取 {} 份，拒收 {} 份{later}　　planmon {}，指标表 {}",
            a.documents.date_text,
            a.fingerprint,
            a.inputs.read,
            a.inputs.rejected,
            env!("CARGO_PKG_VERSION"),
            plan.version
        ),
    )?;

    // Indicators by status per area (at the plan's end, by outcome: 已完成 / 基本完成 /
    // 未完成), with a total row, and a stacked bar chart of it.
    use crate::assess::final_eval::Outcome;
    let outcome_colour = |o: Outcome| {
        status_strong(match o {
            Outcome::Completed => Status::Met,
            Outcome::NearlyCompleted => Status::Behind,
            Outcome::NotCompleted => Status::SeriouslyBehind,
            Outcome::NoData => Status::NoData,
        })
    };
    type Counts = (Vec<&'static str>, Vec<Color>, Vec<(String, Vec<usize>)>, Vec<usize>);
    let (labels, colours, rows, totals): Counts = match &a.final_eval {
        Some(e) => (
            Outcome::ALL.iter().map(|o| o.label()).collect(),
            Outcome::ALL.iter().map(|o| outcome_colour(*o)).collect(),
            e.areas.iter().map(|(area, c)| (area.clone(), Outcome::ALL.iter().map(|o| c.get(*o)).collect())).collect(),
            Outcome::ALL.iter().map(|o| e.goals.get(*o)).collect(),
        ),
        None => (
            Status::ALL.iter().map(|s| s.label()).collect(),
            Status::ALL.iter().map(|s| status_strong(*s)).collect(),
            a.areas.iter().map(|x| (x.area.clone(), Status::ALL.iter().map(|s| x.goals.get(*s)).collect())).collect(),
            Status::ALL.iter().map(|s| a.goals.get(*s)).collect(),
        ),
    };
    let mut cols: Vec<(&str, f64)> = vec![("领域", 16.0)];
    cols.extend(labels.iter().map(|l| (*l, 11.0)));
    cols.push(("合计", 8.0));
    let top = 3u32;
    headers(ws, top, &cols, st)?;
    let total_col = 1 + labels.len() as u16;
    for (i, (area, counts)) in rows.iter().enumerate() {
        let r = top + 1 + i as u32;
        ws.write_string_with_format(r, 0, area, &st.text)?;
        for (k, n) in counts.iter().enumerate() {
            ws.write_number_with_format(r, 1 + k as u16, *n as f64, &st.int)?;
        }
        ws.write_number_with_format(r, total_col, counts.iter().sum::<usize>() as f64, &st.int)?;
    }
    let total_row = top + 1 + rows.len() as u32;
    let bold = st.int.clone().set_bold();
    ws.write_string_with_format(total_row, 0, "合计", &st.text.clone().set_bold())?;
    for (k, n) in totals.iter().enumerate() {
        ws.write_number_with_format(total_row, 1 + k as u16, *n as f64, &bold)?;
    }
    ws.write_number_with_format(total_row, total_col, totals.iter().sum::<usize>() as f64, &bold)?;
    let mut chart = Chart::new(ChartType::BarStacked);
    chart.title().set_name(&match &a.final_eval {
        Some(_) => format!("{}—{}年各领域主要指标完成情况", a.period.start, a.period.end),
        None => format!("{}年各领域主要指标进展", a.year),
    });
    for (k, colour) in colours.iter().enumerate() {
        let c = 1 + k as u16;
        chart
            .add_series()
            .set_name((OVERVIEW, top, c))
            .set_categories((OVERVIEW, top + 1, 0, total_row - 1, 0))
            .set_values((OVERVIEW, top + 1, c, total_row - 1, c))
            .set_format(rust_xlsxwriter::ChartFormat::new().set_solid_fill(rust_xlsxwriter::ChartSolidFill::new().set_color(*colour)));
    }
    // In a bar chart the categories run up the vertical axis: reverse it so the areas
    // read top to bottom in the plan's order.
    chart.y_axis().set_reverse();
    chart.set_width(640).set_height(360);
    ws.insert_chart(top, 9, &chart)?;

    // Findings by severity.
    let r0 = total_row + 2;
    headers(ws, r0, &[("数据问题", 16.0), ("错误", 11.0), ("警告", 11.0), ("提示", 11.0)], st)?;
    ws.write_string_with_format(r0 + 1, 0, "条数", &st.text)?;
    let n = a.finding_counts;
    for (k, count) in [n.error, n.warning, n.info].into_iter().enumerate() {
        ws.write_number_with_format(r0 + 1, 1 + k as u16, count as f64, &st.int)?;
    }

    // Units' completeness at a glance (details on 部门填报情况).
    let r1 = r0 + 3;
    headers(ws, r1, &[("责任单位", 16.0), ("已报送/应报送", 11.0), ("牵头指标", 11.0), ("本年已报", 11.0), ("报送率(%)", 11.0)], st)?;
    for (i, u) in a.units.iter().enumerate() {
        let r = r1 + 1 + i as u32;
        ws.write_string_with_format(r, 0, &u.unit, &st.text)?;
        ws.write_string_with_format(r, 1, format!("{}/{}", u.returns_received, u.returns_expected), &st.text)?;
        ws.write_number_with_format(r, 2, u.indicators as f64, &st.int)?;
        ws.write_number_with_format(r, 3, u.reported as f64, &st.int)?;
        opt_number(ws, r, 4, u.reporting_rate(), &st.pct)?;
    }
    print_setup(ws, &format!("总览（{}年度）", a.year), 0)?;
    Ok(())
}

fn progress_sheet(wb: &mut Workbook, a: &Assessment, st: &Styles, name: &str, kind: IndicatorKind) -> Result<(), XlsxError> {
    let years = a.years();
    let ws = wb.add_worksheet();
    ws.set_name(name)?;
    let year_heads: Vec<String> = years.iter().map(|y| format!("{y}年")).collect();
    let (target_head, base_head, projected_head) =
        (format!("{}年目标", a.period.end), format!("基期值（{}年）", a.period.base_year), format!("预计{}年", a.period.end));
    let mut cols: Vec<(&str, f64)> = vec![
        ("序号", 6.0),
        ("领域", 12.0),
        ("编号", 7.0),
        ("指标名称", 34.0),
        ("单位", 8.0),
        (&target_head, 11.0),
        ("判定方式", 10.0),
        (&base_head, 11.0),
    ];
    cols.extend(year_heads.iter().map(|h| (h.as_str(), 10.0)));
    // At the plan's end, what means nothing then (序时进度, the projection, the change
    // still needed) is left out; the status is the outcome (终期评估 sheet).
    let ended = a.final_eval.is_some();
    if ended {
        cols.extend([("完成率", 10.0), ("完成情况", 12.0)]);
    } else {
        cols.extend([("序时进度", 10.0), ("状态", 14.0), (&projected_head, 11.0), ("尚需年均变化", 12.0)]);
    }
    cols.extend([("责任单位", 22.0), ("数据来源", 30.0), ("说明", 30.0), ("指标属性", 10.0), ("指标出处", 30.0)]);
    headers(ws, 0, &cols, st)?;
    let list: Vec<&Indicator> = a.indicators_of_kind(kind).collect();
    for (k, ind) in list.iter().enumerate() {
        let r = k as u32 + 1;
        let num = st.number(a, ind);
        let latest = a.latest(&ind.id);
        // 附件1's number; the tasks' indicators, which 附件1 does not number, by their row.
        ws.write_number_with_format(r, 0, ind.seq.map_or(k as f64 + 1.0, |s| s as f64), &st.int)?;
        ws.write_string_with_format(r, 1, &ind.area, &st.text)?;
        ws.write_string_with_format(r, 2, &ind.id, &st.text)?;
        ws.write_string_with_format(r, 3, &ind.name, &st.wrap)?;
        ws.write_string_with_format(r, 4, &ind.unit, &st.text)?;
        ws.write_number_with_format(r, 5, ind.target, num)?;
        ws.write_string_with_format(r, 6, ind.comparison.label(), &st.text)?;
        opt_number(ws, r, 7, latest.and_then(|p| p.baseline), num)?;
        let mut c = 8u16;
        for y in &years {
            opt_number(ws, r, c, a.of(&ind.id, *y).and_then(|p| p.value), num)?;
            c += 1;
        }
        let derived = |v: Option<f64>| v.map_or(num, |v| st.derived(a, ind, v));
        if let Some(f) = a.final_eval.as_ref().and_then(|e| e.of(&ind.id)) {
            ws.write_string_with_format(r, c, crate::render::final_report::rate_text(f), &st.text)?;
            ws.write_string_with_format(r, c + 1, f.outcome.label(), &st.text)?;
            c -= 2;
        } else {
            let expected = latest.and_then(|p| p.expected);
            opt_number(ws, r, c, expected, derived(expected))?;
            ws.write_string_with_format(r, c + 1, latest.map(|p| p.status).unwrap_or(Status::NoData).label(), &st.text)?;
            let (projected, needed) = (latest.and_then(|p| p.projected_end), latest.and_then(|p| p.required_annual_change));
            opt_number(ws, r, c + 2, projected, derived(projected))?;
            opt_number(ws, r, c + 3, needed, derived(needed))?;
        }
        ws.write_string_with_format(r, c + 4, ind.responsible_joined(), &st.wrap)?;
        let source = latest.and_then(|p| p.source.as_ref()).map(|s| format!("{}!{}（{}）", s.sheet, s.cell, s.file)).unwrap_or_default();
        ws.write_string_with_format(r, c + 5, source, &st.wrap)?;
        ws.write_string_with_format(r, c + 6, latest.map(|p| p.note.as_str()).unwrap_or(""), &st.wrap)?;
        ws.write_string_with_format(r, c + 7, &ind.attribute, &st.text)?;
        ws.write_string_with_format(r, c + 8, ind.origin_text(), &st.wrap)?;
    }
    let status_col = 8 + years.len() as u16 + 1;
    table(ws, 0, list.len(), &cols, &format!("表_{name}"), &st.head)?;
    if !ended {
        status_colours(ws, 1, list.len() as u32, status_col)?;
    }
    ws.set_freeze_panes(1, 4)?;
    print_setup(ws, &format!("{}（{}年度）", name, a.year), 0)?;
    Ok(())
}

/// 终期评估: every indicator over the whole period — base, each year, the target, the
/// completion rate and the outcome, with the lists' marks.
fn final_sheet(wb: &mut Workbook, a: &Assessment, st: &Styles) -> Result<(), XlsxError> {
    let Some(e) = &a.final_eval else { return Ok(()) };
    let ws = wb.add_worksheet();
    ws.set_name(FINAL)?;
    let years: Vec<i32> = (a.period.start..=a.period.end).collect();
    let year_heads: Vec<String> = years.iter().map(|y| format!("{y}年")).collect();
    let base_head = format!("基期值（{}年）", a.period.base_year);
    let mut cols: Vec<(&str, f64)> =
        vec![("类别", 10.0), ("领域", 12.0), ("编号", 7.0), ("指标名称", 34.0), ("单位", 8.0), (&base_head, 11.0)];
    cols.extend(year_heads.iter().map(|h| (h.as_str(), 10.0)));
    cols.extend([
        ("目标", 12.0),
        ("完成率", 10.0),
        ("年均", 9.0),
        ("完成情况", 11.0),
        ("期末低于基期", 12.0),
        ("责任单位", 22.0),
        ("未完成原因（单位说明）", 40.0),
    ]);
    headers(ws, 0, &cols, st)?;
    for (k, f) in e.indicators.iter().enumerate() {
        let Some(ind) = a.plan.indicator(&f.indicator_id) else { continue };
        let r = k as u32 + 1;
        let num = st.number(a, ind);
        ws.write_string_with_format(r, 0, if ind.is_goal() { "主要指标" } else { "重点任务量化指标" }, &st.text)?;
        ws.write_string_with_format(r, 1, &ind.area, &st.text)?;
        ws.write_string_with_format(r, 2, &ind.id, &st.text)?;
        ws.write_string_with_format(r, 3, &ind.name, &st.wrap)?;
        ws.write_string_with_format(r, 4, &ind.unit, &st.text)?;
        opt_number(ws, r, 5, if ind.comparison == crate::plan::Comparison::Cumulative { None } else { f.base }, num)?;
        let mut c = 6u16;
        for (_, v) in &f.values {
            opt_number(ws, r, c, *v, num)?;
            c += 1;
        }
        ws.write_string_with_format(r, c, crate::render::report::target_text(ind), &st.text)?;
        ws.write_string_with_format(r, c + 1, crate::render::final_report::rate_text(f), &st.text)?;
        match f.average {
            Some(v) => ws.write_number_with_format(r, c + 2, v, st.derived(a, ind, v)).map(|_| ())?,
            None => ws.write_string_with_format(r, c + 2, "—", &st.text).map(|_| ())?,
        }
        ws.write_string_with_format(r, c + 3, f.outcome.label(), &st.text)?;
        ws.write_string_with_format(r, c + 4, if f.below_base { "是" } else { "" }, &st.text)?;
        ws.write_string_with_format(r, c + 5, ind.responsible_joined(), &st.wrap)?;
        let reason = if f.outcome.met() || f.outcome == crate::assess::final_eval::Outcome::NoData {
            String::new()
        } else {
            crate::render::final_report::reason_text(ind, f)
        };
        ws.write_string_with_format(r, c + 6, clip(&reason, CELL_CHARS), &st.wrap)?;
    }
    table(ws, 0, e.indicators.len(), &cols, "表_终期评估", &st.head)?;
    ws.set_freeze_panes(1, 4)?;
    print_setup(ws, &format!("终期评估（{}—{}年）", a.period.start, a.period.end), 0)?;
    Ok(())
}

fn units_sheet(wb: &mut Workbook, a: &Assessment, st: &Styles) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(UNITS)?;
    let mut cols: Vec<(&str, f64)> = vec![
        ("责任单位", 22.0),
        ("应报送填报表（份）", 11.0),
        ("已报送（份）", 10.0),
        ("按时报送（份）", 10.0),
        ("逾期报送（份）", 10.0),
        ("未写填报日期（份）", 11.0),
        ("日期晚于成文日期未判定（份）", 16.0),
        ("牵头指标（项）", 10.0),
        ("本年已报（项）", 10.0),
        ("指标报送率(%)", 10.0),
    ];
    // At the plan's end the unit's indicators by outcome; in its years, by status.
    let at_end = a.final_eval.is_some();
    if at_end {
        cols.extend([("已完成（项）", 10.0), ("基本完成（项）", 10.0), ("未完成（项）", 10.0), ("无数据（项）", 10.0)]);
    } else {
        cols.extend([("达标或符合进度（项）", 12.0), ("滞后（项）", 9.0)]);
    }
    cols.push(("错误/警告（条）", 11.0));
    headers(ws, 0, &cols, st)?;
    let units = &a.units;
    for (i, u) in units.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string_with_format(r, 0, &u.unit, &st.text)?;
        let numbers = [u.returns_expected, u.returns_received, u.on_time, u.late, u.undated, u.misdated, u.indicators, u.reported];
        for (c, v) in numbers.iter().enumerate() {
            ws.write_number_with_format(r, 1 + c as u16, *v as f64, &st.int)?;
        }
        opt_number(ws, r, 1 + numbers.len() as u16, u.reporting_rate(), &st.pct)?;
        let counts: Vec<usize> = match (&u.outcomes, at_end) {
            (Some(o), true) => crate::assess::final_eval::Outcome::ALL.iter().map(|x| o.get(*x)).collect(),
            _ => vec![u.counts.good(), u.counts.lagging()],
        };
        for (k, n) in counts.iter().enumerate() {
            ws.write_number_with_format(r, 2 + numbers.len() as u16 + k as u16, *n as f64, &st.int)?;
        }
        ws.write_string_with_format(r, cols.len() as u16 - 1, format!("{}/{}", u.errors, u.warnings), &st.text)?;
    }
    table(ws, 0, units.len(), &cols, "表_部门填报情况", &st.head)?;
    ws.set_freeze_panes(1, 1)?;
    print_setup(ws, &format!("部门填报情况（{}年度）", a.year), 0)?;
    Ok(())
}

fn projects_sheet(wb: &mut Workbook, a: &Assessment, st: &Styles) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(PROJECTS)?;
    let cols: [(&str, f64); 12] = [
        ("编号", 7.0),
        ("领域", 12.0),
        ("项目名称", 36.0),
        ("责任单位", 20.0),
        ("方案要求", 36.0),
        ("计划投资（万元）", 12.0),
        ("累计完成投资（万元）", 12.0),
        ("投资完成率(%)", 11.0),
        ("形象进度(%)", 10.0),
        ("项目状态", 10.0),
        ("存在问题", 24.0),
        ("数据来源", 30.0),
    ];
    headers(ws, 0, &cols, st)?;
    for (i, p) in a.plan.projects.iter().enumerate() {
        let r = i as u32 + 1;
        // The project's report for the reporting year (as in the report).
        let progress = a.project(&p.id);
        let rep = progress.and_then(|x| x.this_year.as_ref());
        ws.write_string_with_format(r, 0, &p.id, &st.text)?;
        ws.write_string_with_format(r, 1, &p.area, &st.text)?;
        ws.write_string_with_format(r, 2, &p.name, &st.wrap)?;
        ws.write_string_with_format(r, 3, p.responsible.join("、"), &st.wrap)?;
        ws.write_string_with_format(r, 4, &p.goal, &st.wrap)?;
        opt_number(ws, r, 5, rep.and_then(|x| x.planned_investment), &st.general)?;
        opt_number(ws, r, 6, rep.and_then(|x| x.completed_investment), &st.general)?;
        opt_number(ws, r, 7, progress.and_then(|x| x.completion_rate()), &st.pct)?;
        opt_number(ws, r, 8, rep.and_then(|x| x.progress), &st.general)?;
        ws.write_string_with_format(r, 9, clip(&progress.map(|x| x.state_text()).unwrap_or_else(|| "未报送".into()), 200), &st.text)?;
        ws.write_string_with_format(r, 10, clip(rep.map(|x| x.problems.as_str()).unwrap_or(""), CELL_CHARS), &st.wrap)?;
        let source = rep.map(|x| format!("{}年 {}!{}（{}）", x.year, x.sheet, x.cell, x.file)).unwrap_or_default();
        ws.write_string_with_format(r, 11, source, &st.wrap)?;
    }
    table(ws, 0, a.plan.projects.len(), &cols, "表_项目进展", &st.head)?;
    ws.set_freeze_panes(1, 3)?;
    print_setup(ws, &format!("附件2 项目进展（{}年度）", a.year), 0)?;
    Ok(())
}

fn findings_sheet(wb: &mut Workbook, a: &Assessment, st: &Styles) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(FINDINGS)?;
    let cols: [(&str, f64); 8] = [
        ("填报单位", 20.0),
        ("严重程度", 9.0),
        ("文件", 34.0),
        ("工作表", 12.0),
        ("单元格", 8.0),
        ("指标编号", 9.0),
        ("问题及处理意见", 80.0),
        ("代码", 18.0),
    ];
    headers(ws, 0, &cols, st)?;
    // Already sorted by unit, then severity (finding::sort).
    for (i, f) in a.findings.iter().enumerate() {
        let r = i as u32 + 1;
        let unit = if f.department.is_empty() { "（未识别单位）" } else { &f.department };
        let cells = [unit, f.severity.label(), &f.file, &f.sheet, &f.cell, &f.indicator_id, &f.message, f.code.as_str()];
        for (c, v) in cells.iter().enumerate() {
            ws.write_string_with_format(r, c as u16, clip(v, CELL_CHARS), if c == 6 || c == 2 { &st.wrap } else { &st.text })?;
        }
        fit_row(ws, r, &cells, &cols)?;
    }
    table(ws, 0, a.findings.len(), &cols, "表_数据问题清单", &st.head)?;
    let red = Format::new().set_font_color(Color::RGB(0x9C0006));
    let cf = ConditionalFormatText::new().set_rule(ConditionalFormatTextRule::BeginsWith("错误".into())).set_format(red);
    ws.add_conditional_format(1, 1, a.findings.len().max(1) as u32, 1, &cf)?;
    ws.set_freeze_panes(1, 0)?;
    print_setup(ws, &format!("数据问题清单（{}年度）", a.year), 0)?;
    Ok(())
}

/// 变更记录: what differs from the previous run (empty on the first run and when
/// nothing changed, so that a rerun on the same files writes the same workbook).
fn changes_sheet(wb: &mut Workbook, a: &Assessment, st: &Styles) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name("变更记录")?;
    let cols: [(&str, f64); 11] = [
        ("类别", 12.0),
        ("指标编号", 9.0),
        ("指标名称", 30.0),
        ("填报单位", 18.0),
        ("年度", 7.0),
        ("原值", 12.0),
        ("新值", 12.0),
        ("单位", 8.0),
        ("文件", 34.0),
        ("单元格", 8.0),
        ("说明", 60.0),
    ];
    headers(ws, 0, &cols, st)?;
    let c = &a.changes;
    let name = |id: &str| a.plan.indicator(id).map(|i| i.name.clone()).unwrap_or_default();
    // One row each: the texts of the eleven columns, and the year and values as numbers.
    struct Row {
        text: [String; 11],
        year: Option<i32>,
        values: [Option<f64>; 2],
    }
    let mut rows: Vec<Row> = Vec::new();
    for f in &c.figures {
        rows.push(Row {
            text: [
                format!("数据{}", f.kind().label()),
                f.indicator_id.clone(),
                name(&f.indicator_id),
                f.department.clone(),
                String::new(),
                String::new(),
                String::new(),
                f.unit.clone(),
                f.file.clone(),
                f.cell.clone(),
                String::new(),
            ],
            year: Some(f.year),
            values: [f.before, f.after],
        });
    }
    for s in &c.statuses {
        let mut text: [String; 11] = Default::default();
        text[0] = "状态变化".into();
        text[1] = s.indicator_id.clone();
        text[2] = name(&s.indicator_id);
        text[10] = format!("{} → {}", s.before.label(), s.after.label());
        rows.push(Row { text, year: Some(s.year), values: [None, None] });
    }
    for (label, list) in [("问题已解决", &c.fixed), ("新出现问题", &c.new)] {
        for f in list {
            let mut text: [String; 11] = Default::default();
            text[0] = label.into();
            text[1] = f.indicator_id.clone();
            text[2] = name(&f.indicator_id);
            text[3] = f.department.clone();
            text[8] = f.file.clone();
            text[9] = f.cell.clone();
            text[10] = format!("[{}] {}", f.severity.label(), f.message);
            rows.push(Row { text, year: None, values: [None, None] });
        }
    }
    for (i, row) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        for (col, t) in row.text.iter().enumerate() {
            let format = if matches!(col, 2 | 8 | 10) { &st.wrap } else { &st.text };
            ws.write_string_with_format(r, col as u16, clip(t, CELL_CHARS), format)?;
        }
        if let Some(y) = row.year {
            ws.write_number_with_format(r, 4, y as f64, &st.text)?;
        }
        if row.values.iter().any(Option::is_some) {
            // Shown as the indicator's figures are shown elsewhere in the workbook.
            let num = a.plan.indicator(&row.text[1]).map(|i| st.number(a, i)).unwrap_or(&st.general);
            opt_number(ws, r, 5, row.values[0], num)?;
            opt_number(ws, r, 6, row.values[1], num)?;
        }
        let cells: Vec<&str> = row.text.iter().map(String::as_str).collect();
        fit_row(ws, r, &cells, &cols)?;
    }
    let r = rows.len() as u32 + 1;
    table(ws, 0, (r - 1) as usize, &cols, "表_变更记录", &st.head)?;
    ws.set_freeze_panes(1, 0)?;
    print_setup(ws, &format!("变更记录（{}年度）", a.year), 0)?;
    Ok(())
}

fn detail_sheet(wb: &mut Workbook, a: &Assessment, st: &Styles) -> Result<(), XlsxError> {
    // One row per figure: written row by row to a temporary file rather than held in
    // memory (a province's batch has hundreds of thousands of figures).
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name(DETAIL)?;
    let cols: [(&str, f64); 14] = [
        ("文件", 34.0),
        ("工作表", 12.0),
        ("单元格", 8.0),
        ("填报单位", 20.0),
        ("年度", 7.0),
        ("类别", 8.0),
        ("指标编号", 9.0),
        ("指标名称", 34.0),
        ("原始填写", 14.0),
        ("数值", 12.0),
        ("单位", 8.0),
        ("备注", 24.0),
        ("是否采用", 9.0),
        ("未采用原因", 22.0),
    ];
    let rows = a.figures_read();
    // Rows are written in order here, so the table (and its header row) comes first.
    column_widths(ws, 0, &cols)?;
    table(ws, 0, rows.len(), &cols, "表_数据明细", &st.head)?;
    let plain = Format::new();
    for (i, (o, fate)) in rows.into_iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, clip(&o.file, CELL_CHARS))?;
        ws.write_string(r, 1, clip(&o.sheet, CELL_CHARS))?;
        ws.write_string(r, 2, clip(&o.cell, CELL_CHARS))?;
        ws.write_string(r, 3, clip(&o.department, CELL_CHARS))?;
        ws.write_number(r, 4, o.year as f64)?;
        ws.write_string(r, 5, o.kind.label())?;
        ws.write_string(r, 6, clip(&o.indicator_id, CELL_CHARS))?;
        ws.write_string(r, 7, clip(&o.indicator_name, CELL_CHARS))?;
        ws.write_string(r, 8, clip(&o.raw, CELL_CHARS))?;
        match o.value {
            Some(v) => ws.write_number(r, 9, v)?,
            None => ws.write_string_with_format(r, 9, "", &plain)?,
        };
        ws.write_string(r, 10, clip(&o.unit, CELL_CHARS))?;
        ws.write_string(r, 11, clip(&o.remark, CELL_CHARS))?;
        ws.write_string(r, 12, if fate.is_none() { "是" } else { "否" })?;
        ws.write_string(r, 13, fate.map(|f| f.label()).unwrap_or_default())?;
    }
    ws.set_freeze_panes(1, 0)?;
    // The figures of every year up to the reporting year: the sheet says so.
    print_setup(ws, &format!("数据明细（截至{}年度，含此前各年度报送的全部数据）", a.year), 0)?;
    Ok(())
}
