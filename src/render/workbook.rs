//! The summary workbook (rust_xlsxwriter): progress per indicator, findings and every
//! observation with its source. Cell text is always written as text, never a formula.

use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Table, TableColumn, Workbook, Worksheet, XlsxError,
};

use crate::aggregate::Status;
use crate::batch::Batch;
use crate::plan::IndicatorKind;

fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
}

fn status_format(s: Status) -> Format {
    let color = match s {
        Status::Met => 0xC6EFCE,
        Status::Ahead => 0xE2EFDA,
        Status::OnTrack => 0xDDEBF7,
        Status::Behind => 0xFFEB9C,
        Status::SeriouslyBehind => 0xFFC7CE,
        Status::NoData => 0xEDEDED,
    };
    Format::new().set_background_color(Color::RGB(color)).set_border(FormatBorder::Thin)
}

/// Number format that fits the unit: 0.0 for %, integers for counts, 0.00 for rates.
fn number_format(unit: &str) -> Format {
    let f = Format::new().set_border(FormatBorder::Thin);
    match unit {
        "%" | "‰" | "/10万" | "年" | "岁" | "万次" => f.set_num_format("0.0#"),
        "个" | "人" | "张" | "套" | "人次" => f.set_num_format("#,##0.##"),
        _ => f.set_num_format("0.00"),
    }
}

fn text_format() -> Format {
    Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter)
}

fn write_headers(ws: &mut Worksheet, headers: &[(&str, f64)]) -> Result<(), XlsxError> {
    let h = header_format();
    for (c, (name, width)) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *name, &h)?;
        ws.set_column_width(c as u16, *width)?;
    }
    ws.set_row_height(0, 30)?;
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

fn opt_number(ws: &mut Worksheet, r: u32, c: u16, v: Option<f64>, fmt: &Format) -> Result<(), XlsxError> {
    match v {
        Some(v) if v.is_finite() => ws.write_number_with_format(r, c, v, fmt).map(|_| ()),
        _ => ws.write_string_with_format(r, c, "—", fmt).map(|_| ()),
    }
}

fn print_setup(ws: &mut Worksheet, title: &str) -> Result<(), XlsxError> {
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0)?;
    ws.set_header(format!("&C&\"-,Bold\"{}", title.replace('&', "&&")));
    ws.set_footer("&C第 &P 页，共 &N 页");
    Ok(())
}

/// Build the workbook in memory.
pub fn workbook(batch: &Batch) -> Result<Vec<u8>, XlsxError> {
    let plan = &batch.plan;
    let year = batch.year;
    let years: Vec<i32> = (plan.start..=year.min(plan.end)).collect();
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_timestamp(batch.created_unix)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("{}监测汇总表（{}年度）", plan.title, year))
            .set_author(&batch.office)
            .set_company(&batch.office)
            .set_comment(format!("planmon {}；输入指纹 {}", env!("CARGO_PKG_VERSION"), batch.fingerprint))
            .set_creation_datetime(&created),
    );
    let text = text_format();

    for (sheet_name, kind) in [("指标进展", IndicatorKind::Goal), ("任务指标", IndicatorKind::Task)] {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name)?;
        let mut headers: Vec<(String, f64)> = vec![
            ("序号".into(), 6.0),
            ("领域".into(), 12.0),
            ("编号".into(), 7.0),
            ("指标名称".into(), 36.0),
            ("单位".into(), 8.0),
            ("2025年目标".into(), 11.0),
            ("判定方式".into(), 11.0),
            ("基期值（2022年）".into(), 11.0),
        ];
        headers.extend(years.iter().map(|y| (format!("{y}年"), 10.0)));
        headers.extend([
            ("序时进度".to_string(), 10.0),
            ("状态".to_string(), 14.0),
            ("预计2025年".to_string(), 11.0),
            ("尚需年均变化".to_string(), 12.0),
            ("责任单位".to_string(), 24.0),
            ("说明".to_string(), 30.0),
        ]);
        let refs: Vec<(&str, f64)> = headers.iter().map(|(h, w)| (h.as_str(), *w)).collect();
        write_headers(ws, &refs)?;
        let mut r = 1u32;
        for ind in plan.indicators.iter().filter(|i| i.kind == kind) {
            let num = number_format(&ind.unit);
            let latest = batch.progress.iter().find(|p| p.indicator_id == ind.id && p.year == year);
            ws.write_string_with_format(r, 0, ind.seq.map(|s| s.to_string()).unwrap_or_default(), &text)?;
            ws.write_string_with_format(r, 1, &ind.area, &text)?;
            ws.write_string_with_format(r, 2, &ind.id, &text)?;
            ws.write_string_with_format(r, 3, &ind.name, &text)?;
            ws.write_string_with_format(r, 4, &ind.unit, &text)?;
            ws.write_number_with_format(r, 5, ind.target, &num)?;
            ws.write_string_with_format(r, 6, ind.comparison.label(), &text)?;
            opt_number(ws, r, 7, latest.and_then(|p| p.baseline), &num)?;
            let mut c = 8u16;
            for y in &years {
                let v = batch
                    .progress
                    .iter()
                    .find(|p| p.indicator_id == ind.id && p.year == *y)
                    .and_then(|p| p.value);
                opt_number(ws, r, c, v, &num)?;
                c += 1;
            }
            let status = latest.map(|p| p.status).unwrap_or(Status::NoData);
            opt_number(ws, r, c, latest.and_then(|p| p.expected), &num)?;
            ws.write_string_with_format(r, c + 1, status.label(), &status_format(status))?;
            opt_number(ws, r, c + 2, latest.and_then(|p| p.projected_end), &num)?;
            opt_number(ws, r, c + 3, latest.and_then(|p| p.required_annual_change), &num)?;
            ws.write_string_with_format(r, c + 4, ind.responsible_joined(), &text)?;
            ws.write_string_with_format(r, c + 5, latest.map(|p| p.note.as_str()).unwrap_or(""), &text)?;
            r += 1;
        }
        if r > 1 {
            ws.autofilter(0, 0, r - 1, (headers.len() - 1) as u16)?;
        }
        print_setup(ws, &format!("{}（{}年度）", sheet_name, year))?;
    }

    // 数据问题清单
    let ws = wb.add_worksheet();
    ws.set_name("数据问题清单")?;
    write_headers(
        ws,
        &[
            ("严重程度", 9.0),
            ("代码", 18.0),
            ("填报单位", 22.0),
            ("文件", 36.0),
            ("工作表", 14.0),
            ("单元格", 8.0),
            ("指标编号", 9.0),
            ("问题及处理意见", 80.0),
        ],
    )?;
    for (i, f) in batch.findings.iter().enumerate() {
        let r = i as u32 + 1;
        for (c, v) in [
            f.severity.label(),
            f.code,
            &f.department,
            &f.file,
            &f.sheet,
            &f.cell,
            &f.indicator_id,
            &f.message,
        ]
        .iter()
        .enumerate()
        {
            ws.write_string_with_format(r, c as u16, *v, &text)?;
        }
    }
    print_setup(ws, "数据问题清单")?;

    // 数据明细: the long table with provenance, as an Excel table.
    let ws = wb.add_worksheet();
    ws.set_name("数据明细")?;
    let cols = [
        ("文件", 36.0),
        ("工作表", 14.0),
        ("单元格", 8.0),
        ("填报单位", 22.0),
        ("年度", 7.0),
        ("类别", 8.0),
        ("指标编号", 9.0),
        ("指标名称", 36.0),
        ("原始填写", 14.0),
        ("数值", 12.0),
        ("单位", 8.0),
    ];
    for (c, (_, w)) in cols.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let plain = Format::new();
    for (i, o) in batch.observations.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, &o.file)?;
        ws.write_string(r, 1, &o.sheet)?;
        ws.write_string(r, 2, &o.cell)?;
        ws.write_string(r, 3, &o.department)?;
        ws.write_number(r, 4, o.year as f64)?;
        ws.write_string(r, 5, o.kind.label())?;
        ws.write_string(r, 6, &o.indicator_id)?;
        ws.write_string(r, 7, &o.indicator_name)?;
        ws.write_string(r, 8, &o.raw)?;
        match o.value {
            Some(v) => ws.write_number(r, 9, v)?,
            None => ws.write_string_with_format(r, 9, "", &plain)?,
        };
        ws.write_string(r, 10, &o.unit)?;
    }
    let last = batch.observations.len().max(1) as u32;
    let table = Table::new()
        .set_name("数据明细表")
        .set_columns(&cols.iter().map(|(h, _)| TableColumn::new().set_header(*h)).collect::<Vec<_>>());
    ws.add_table(0, 0, last, (cols.len() - 1) as u16, &table)?;
    ws.set_freeze_panes(1, 0)?;

    wb.save_to_buffer()
}
