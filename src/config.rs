//! planmon.toml: the settings of one working folder (reporting year, deadline for
//! returns, issuing office, output file names), as written by `planmon init` and edited
//! by the planning office, and the checked configuration a run uses ([`RunConfig`]):
//! the command line over the file, every value inside its stated range. A setting out
//! of range is the office's mistake and stops the command at start with a message
//! naming the file, the key, the value and what is allowed; it never reaches the
//! returns as findings.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::cli::RunArgs;
use crate::names::SafeName;
use crate::plan::Plan;
use crate::text::printable;

pub const FILE: &str = "planmon.toml";

/// The largest planmon.toml read (a few hundred bytes as written by `init`).
pub const MAX_SETTINGS_BYTES: u64 = 1 << 20;

/// The longest 落款单位 and 主送机关, in characters (a 公文 names one office).
pub const MAX_OFFICE_CHARS: usize = 40;

/// How many years after the plan's end a report may be made for (a final evaluation).
pub const YEARS_AFTER_PLAN: i32 = 5;

/// The settings as written in planmon.toml; every field may be left out.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// 报告年度；不写则取填报表中最新的年度。
    pub year: Option<i32>,
    /// 填报表报送截止日（次年的 月-日），如 "01-31"。
    pub deadline: Option<String>,
    /// 报告落款单位。
    pub office: Option<String>,
    /// 报告主送机关，如 "市人民政府"。
    pub recipient: Option<String>,
    /// 报告成文日期（北京时间），如 "2026-01-20"；不写则为运行当天。
    pub date: Option<String>,
    /// 是否同时生成 Word 版（.docx）报告和反馈单，默认是。
    pub word: Option<bool>,
    /// 是否为有问题的填报表生成批注副本（反馈单文件夹中），默认是。
    pub annotate: Option<bool>,
    /// 进展报告文件名，{year} 换成报告年度。
    pub report_name: Option<String>,
    /// 汇总表文件名，{year} 换成报告年度。
    pub workbook_name: Option<String>,
    /// 批注副本的文件名（反馈单文件夹中），{unit} 换成单位、{year} 换成报告年度。
    pub annotated_name: Option<String>,
    /// 规划期结束以后的年度也按终期评估报告生成（规划期末年默认即是）。
    #[serde(rename = "final")]
    pub final_eval: Option<bool>,
}

/// The template written by `planmon init`.
pub const TEMPLATE: &str = r#"# planmon 工作文件夹设置（修改后直接运行 planmon 即生效）
# 本文件须保存为 UTF-8 编码。各项的取值范围见 README“设置的取值范围”。

# 报告年度：规划期内的年份。不写（或注释掉）则取填报表中最新的年度。
# year = 2025

# 填报表报送截止日：次年的 月-日（两位数字，日历上有的日子，不能写 02-29）。
# 用于统计“按时报送”和写入空白填报表的填报说明。
deadline = "01-31"

# 报告落款单位和主送机关（各不超过 40 个字）。
office = "仁怀市发展和改革局"
recipient = "市人民政府"

# 报告成文日期（北京时间，规划起始年 1 月 1 日之后）。不写则为运行当天；命令行 --date 优先。
# date = "2026-01-20"

# 是否同时生成 Word 版（.docx）报告和反馈单，供修改后印发。命令行 --no-word 不生成。
word = true

# 是否为有问题的填报表生成批注副本（反馈单/<单位>_<年度>年度填报表（批注）.xlsx：问题单元格标色并加批注，
# 第一张表为问题清单）。命令行 --no-annotate 不生成。
annotate = true
# 批注副本的文件名：{unit} 换成单位，{year} 换成报告年度，以 .xlsx 结尾（.xlsm 填报表的副本仍为 .xlsm）。
# annotated_name = "{unit}_{year}年度填报表（批注）.xlsx"

# 规划期末年的报告是方案实施情况终期评估报告；规划期结束以后的年度要按终期评估生成时写 final = true（或命令行 --final）。
# final = false

# 输出文件名，{year} 会换成报告年度。报告以 .pdf 结尾，汇总表以 .xlsx 结尾；
# 不能与其他输出文件（Word 版、CSV、manifest.json、history、反馈单等）同名（不分大小写）。
# 不写 report_name 时，年度报告为“…实施进展报告（{year}年度）.pdf”，终期评估报告为“…实施情况终期评估报告.pdf”。
# report_name = "仁怀市公共服务发展行动方案实施进展报告（{year}年度）.pdf"
workbook_name = "仁怀市公共服务发展行动方案监测汇总表（{year}年度）.xlsx"
"#;

/// The text of a settings or plan file: a regular file of at most `limit` bytes, in
/// UTF-8 (a byte-order mark, as Windows' Notepad writes, is dropped). Anything else is
/// refused with what to do, in Chinese.
pub fn read_text(path: &Path, limit: u64) -> Result<String, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| crate::oserror::describe("读取", path, &e))?;
    if !meta.is_file() {
        return Err(format!("“{shown}”不是普通文件（可能是文件夹、管道或设备），无法读取。"));
    }
    if meta.len() > limit {
        return Err(format!(
            "“{shown}”有 {} 字节，超过 {} 字节的上限，未读取。设置文件和计划表只有文字，通常不足 1 MB；请检查是否误放了别的文件。",
            meta.len(),
            limit
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|e| crate::oserror::describe("读取", path, &e))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => {
            let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            Err(format!(
                "“{shown}”不是 UTF-8 编码的文字（第 {line} 行起无法识别，可能保存成了 GBK/ANSI 编码）。请用记事本或 WPS 打开，“另存为”时编码选“UTF-8”后保存，再重新运行。"
            ))
        }
    }
}

/// A toml error in Chinese, with the line and column, and toml's own words after it.
pub fn toml_problem(file: &str, text: &str, e: &toml::de::Error) -> String {
    let place = e
        .span()
        .map(|span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
            format!("第{line}行第{column}列")
        })
        .unwrap_or_default();
    let message = e.message();
    format!("{file} {place}格式有误：{}。\n（toml 的原始说明：{}）", explain_toml(message), printable(message, 300))
}

/// What serde and toml's messages mean, for an officer who edits a settings file.
fn explain_toml(message: &str) -> String {
    let quoted = |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(str::to_string).collect() };
    let kind = |s: &str| -> &'static str {
        let s = s.trim();
        match s {
            _ if s.starts_with("map") || s.contains("table") => "一组设置（表，[...]）",
            _ if s.starts_with("string") || s == "a string" || s == "char" => "文字（两边加英文双引号）",
            _ if s.starts_with("integer") || s.starts_with('i') || s.starts_with('u') => "整数",
            _ if s.starts_with("float") || s.starts_with('f') => "数字",
            _ if s.starts_with("boolean") || s == "a boolean" => "true 或 false",
            _ if s.starts_with("sequence") || s.contains("sequence") || s.contains("array") => "列表（[...]）",
            _ if s.contains("datetime") || s.contains("date") => "日期",
            _ => "其他",
        }
    };
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!("值的类型不对：写的是{}，这里应为{}", kind(found), kind(expected));
    }
    if message.starts_with("unknown field") {
        let names = quoted(message);
        let (name, known) = names.split_first().map(|(n, k)| (n.clone(), k.join("、"))).unwrap_or_default();
        return format!("没有名为“{name}”的设置项（可用的有：{known}）；请检查拼写，或删去这一行");
    }
    if message.starts_with("missing field") {
        return format!("缺少必须写的“{}”", quoted(message).first().cloned().unwrap_or_default());
    }
    if message.starts_with("unknown variant") {
        let names = quoted(message);
        let (name, known) = names.split_first().map(|(n, k)| (n.clone(), k.join("、"))).unwrap_or_default();
        return format!("“{name}”不是可选的值（可选：{known}）");
    }
    if message.starts_with("invalid value") {
        return format!("数值不在这一项允许的范围内（应为{}）", kind(message.rsplit(", expected ").next().unwrap_or("")));
    }
    if message.contains("duplicate key") || message.contains("duplicate") {
        return "同一个名称写了两次，请删去其中一个".into();
    }
    "不是有效的 TOML 写法（每行写“名称 = 值”，文字两边加英文双引号 \"，数字和 true/false 不加，[...] 是一组设置的标题）".into()
}

/// `key = value` as shown in a message: the value as toml writes it, cut when long.
fn shown(key: &str, value: &str) -> String {
    format!("{key} = \"{}\"", printable(value, 60))
}

fn refuse(file: &str, setting: &str, allowed: &str) -> String {
    format!("{file} 中的设置 {setting} 有误：{allowed}。")
}

/// A deadline written as `MM-DD` (two digits each), a day every year has.
pub fn parse_deadline(text: &str) -> Option<(u8, u8)> {
    let b = text.as_bytes();
    if b.len() != 5 || b[2] != b'-' || !b.iter().enumerate().all(|(i, c)| i == 2 || c.is_ascii_digit()) {
        return None;
    }
    let (m, d) = (text[..2].parse::<u8>().ok()?, text[3..].parse::<u8>().ok()?);
    // 2001 is not a leap year: 02-29 is not a day every year has.
    crate::clock::ymd(2001, m, d).map(|_| (m, d))
}

/// Why a deadline cannot be used (None: it can), for planmon.toml and rules.toml alike.
pub fn deadline_problem(text: &str) -> Option<String> {
    if parse_deadline(text).is_some() {
        return None;
    }
    Some(if text.trim() == "02-29" {
        "2月29日不是每年都有，请写 \"02-28\" 或 \"03-01\"".to_string()
    } else {
        "截止日应写成“月-日”，两位数字，是日历上有的日子，如 \"01-31\"（报告年度次年的1月31日）".to_string()
    })
}

/// An office's name, a recipient: one line of at most `max` characters.
fn text_problem(value: &str, max: usize) -> Option<String> {
    let n = value.chars().count();
    if let Some(c) = value.chars().find(|c| crate::names::invisible(*c)) {
        return Some(format!("含有不可见的控制字符 U+{:04X}，请只写一行文字", c as u32));
    }
    (n > max).then(|| format!("有 {n} 个字，最多 {max} 个字"))
}

impl Settings {
    /// Read `planmon.toml` from `dir` if there is one, and check each setting that can
    /// be checked on its own.
    pub fn load(dir: &Path) -> Result<Settings, String> {
        let path = dir.join(FILE);
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(Settings::default());
        }
        let text = read_text(&path, MAX_SETTINGS_BYTES)?;
        let file = if dir == Path::new(".") { FILE.to_string() } else { path.display().to_string() };
        let s: Settings = toml::from_str(&text).map_err(|e| toml_problem(&file, &text, &e))?;
        s.check(&file)?;
        Ok(s)
    }

    /// The ranges of the settings that do not depend on the plan.
    fn check(&self, file: &str) -> Result<(), String> {
        if let Some(d) = &self.deadline {
            if let Some(why) = deadline_problem(d) {
                return Err(refuse(file, &shown("deadline", d), &why));
            }
        }
        if let Some(d) = &self.date {
            if crate::clock::parse_date(d).is_none() {
                return Err(refuse(
                    file,
                    &shown("date", d),
                    "成文日期应写成“年-月-日”，是日历上有的日子，如 \"2026-01-20\"（不写则为运行当天）",
                ));
            }
        }
        for (key, value) in [("office", &self.office), ("recipient", &self.recipient)] {
            if let Some(why) = value.as_deref().and_then(|v| text_problem(v, MAX_OFFICE_CHARS)) {
                return Err(refuse(file, &shown(key, value.as_deref().unwrap_or("")), &why));
            }
        }
        for (key, value, ext) in [("report_name", &self.report_name, "pdf"), ("workbook_name", &self.workbook_name, "xlsx")] {
            if let Some(why) = value.as_deref().and_then(|v| pattern_problem(v, ext)) {
                return Err(refuse(file, &shown(key, value.as_deref().unwrap_or("")), &why));
            }
        }
        if let Some(why) = self.annotated_name.as_deref().and_then(annotated_problem) {
            return Err(refuse(file, &shown("annotated_name", self.annotated_name.as_deref().unwrap_or("")), &why));
        }
        Ok(())
    }

    /// Put the settings into the plan and batch knobs they change.
    pub fn apply_to_plan(&self, plan: &mut crate::plan::Plan) {
        if let Some(d) = &self.deadline {
            plan.rules.validate.deadline = d.clone();
        }
    }
}

/// `{year}` in a file name pattern.
pub fn file_name(pattern: &str, year: i32) -> String {
    pattern.replace("{year}", &year.to_string())
}

/// Why an output name pattern cannot be used (None: it can), before it meets a year.
fn pattern_problem(pattern: &str, ext: &str) -> Option<String> {
    let name = file_name(pattern, 2025);
    if name.contains(['{', '}']) {
        return Some("文件名中只能用 {year}（换成报告年度），不能有其他 { }".into());
    }
    let safe = match SafeName::new(&name) {
        Ok(safe) => safe,
        Err(why) => return Some(format!("不能用作文件名：{why}")),
    };
    if let Some(own) = fixed_output_names().into_iter().find(|n| crate::names::key(n) == safe.key()) {
        return Some(format!("与 planmon 自己的“{own}”同名（不分大小写），会互相覆盖；请另取一个名字"));
    }
    if !name.to_lowercase().ends_with(&format!(".{ext}")) || name.len() == ext.len() + 1 {
        return Some(format!("文件名应以 .{ext} 结尾，如 \"…（{{year}}年度）.{ext}\""));
    }
    None
}

/// The default name of an annotated copy ({unit}, {year}).
pub const ANNOTATED_NAME: &str = "{unit}_{year}年度填报表（批注）.xlsx";

/// An annotated copy's file name: the pattern with the unit and the year, ending as
/// the copy's format does (`ext`: xlsx, or xlsm for a workbook with macros).
pub fn annotated_name(pattern: &str, unit: &str, year: i32, ext: &str) -> Result<SafeName, String> {
    let name = file_name(pattern, year).replace("{unit}", unit);
    let stem = name.strip_suffix(".xlsx").or_else(|| name.strip_suffix(".XLSX")).unwrap_or(&name);
    SafeName::new(&format!("{stem}.{ext}")).map_err(|e| e.to_string())
}

/// Why a pattern for annotated copies cannot be used (None: it can).
fn annotated_problem(pattern: &str) -> Option<String> {
    if !pattern.contains("{unit}") {
        return Some("文件名中要有 {unit}（换成单位名称），否则各单位的副本会同名".into());
    }
    if pattern.replace("{unit}", "").replace("{year}", "").contains(['{', '}']) {
        return Some("文件名中只能用 {unit} 和 {year}，不能有其他 { }".into());
    }
    if !pattern.to_lowercase().ends_with(".xlsx") {
        return Some("文件名应以 .xlsx 结尾，如 \"{unit}_{year}年度填报表（批注）.xlsx\"".into());
    }
    annotated_name(pattern, "市民政局", 2025, "xlsx").err().map(|why| format!("不能用作文件名：{why}"))
}

/// The names of planmon's own files and folders in the output folder, and of the
/// outputs whose names are fixed: no report or workbook may take one of them.
pub fn fixed_output_names() -> Vec<&'static str> {
    let mut names = vec![
        crate::publish::MANIFEST,
        crate::publish::JOURNAL,
        crate::publish::LOCK,
        crate::publish::OWNED,
        crate::publish::HISTORY,
        crate::render::FEEDBACK_DIR,
    ];
    names.extend(crate::render::CSV_FILES);
    names
}

/// The report (PDF and Word) and the workbook of one year, as file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputNames {
    pub report: SafeName,
    pub report_word: SafeName,
    pub workbook: SafeName,
}

/// The names a plan gives its outputs when planmon.toml does not.
pub fn default_patterns(plan: &Plan) -> (String, String) {
    let short = plan.short_title();
    (format!("{short}实施进展报告（{{year}}年度）.pdf"), format!("{short}监测汇总表（{{year}}年度）.xlsx"))
}

/// The default name of a final evaluation (终期评估) report.
pub fn final_report_pattern(short: &str) -> String {
    format!("{short}实施情况终期评估报告.pdf")
}

/// The output names of `year` from the two patterns: safe file names that collide
/// neither with each other nor with planmon's own names, compared as Windows compares
/// them (without regard to case, after normalisation). The error says which key.
pub fn output_names(report: &str, workbook: &str, year: i32) -> Result<OutputNames, (&'static str, String)> {
    let name =
        |key: &'static str, pattern: &str| SafeName::new(&file_name(pattern, year)).map_err(|why| (key, format!("不能用作文件名：{why}")));
    let report_pdf = name("report_name", report)?;
    let report_word = report_pdf.with_extension("docx").map_err(|why| ("report_name", format!("Word 版的文件名不能用：{why}")))?;
    let workbook = name("workbook_name", workbook)?;
    let mut taken: Vec<(String, String)> =
        fixed_output_names().into_iter().map(|n| (crate::names::key(n), format!("planmon 的“{n}”"))).collect();
    for (key, what, n) in [
        ("report_name", "进展报告", &report_pdf),
        ("report_name", "进展报告的 Word 版", &report_word),
        ("workbook_name", "汇总表", &workbook),
    ] {
        if let Some((_, other)) = taken.iter().find(|(k, _)| *k == n.key()) {
            return Err((key, format!("{what}的文件名“{n}”与{other}相同（不分大小写），会互相覆盖；请另取一个名字")));
        }
        taken.push((n.key(), format!("{what}的文件名“{n}”")));
    }
    Ok(OutputNames { report: report_pdf, report_word, workbook })
}

/// What a run uses, checked once at start: the command line over planmon.toml, every
/// value within its range for this plan (ripgrep's LowArgs → HiArgs).
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The reporting year set by `--year` or planmon.toml (None: the latest found).
    pub year: Option<i32>,
    /// The 成文日期 set by `--date` or planmon.toml (None: today, or SOURCE_DATE_EPOCH).
    pub date: Option<time::Date>,
    pub office: Option<String>,
    pub recipient: Option<String>,
    pub word: bool,
    /// Annotated copies of the returns with problems (反馈单/…（批注）.xlsx), and the
    /// pattern of their names ({unit}, {year}).
    pub annotate: bool,
    pub annotated_name: String,
    /// The report of a year after the plan is its final evaluation too (the plan's last
    /// year's always is).
    pub final_eval: bool,
    /// Output name patterns ({year} for the year), already checked for every year a
    /// report can be made for.
    pub report_name: String,
    pub workbook_name: String,
    /// planmon.toml names the report (else the plan's default names it, and a final
    /// evaluation is named as one).
    pub report_name_set: bool,
    /// What to tell the office at start (a year after the plan).
    pub notes: Vec<String>,
    /// The 成文日期 and the documents' creation time (seconds since 1970), fixed once
    /// when the settings are checked: every document of a run, and the world its PDFs
    /// are typeset in, carry the same date even when the run crosses midnight.
    pub dated: (time::Date, i64),
}

/// The 成文日期 and the creation time of a run's documents: `--date` or planmon.toml,
/// else SOURCE_DATE_EPOCH, else today in Beijing; the time is SOURCE_DATE_EPOCH, else
/// Beijing midnight of that date (the same inputs give the same bytes all day).
fn dated(date: Option<time::Date>) -> (time::Date, i64) {
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<i64>().ok());
    let date = date.unwrap_or_else(|| crate::clock::beijing_date(epoch.unwrap_or_else(crate::clock::now_unix)));
    (date, epoch.unwrap_or_else(|| crate::clock::beijing_midnight(date)))
}

impl RunConfig {
    /// Check the settings of a run against the plan. The error names where the value
    /// was set (the command line or planmon.toml), the value and what is allowed.
    pub fn new(args: &RunArgs, settings: &Settings, plan: &Plan) -> Result<RunConfig, String> {
        let file = FILE;
        let mut notes = Vec::new();
        let year = match (args.year, settings.year) {
            (Some(y), _) => Some((y, format!("命令行 --year {y}"))),
            (None, Some(y)) => Some((y, format!("{file} 中的设置 year = {y}"))),
            _ => None,
        };
        if let Some((y, source)) = &year {
            notes.extend(year_note(plan, *y, source)?);
        }
        let date = match (&args.date, &settings.date) {
            (Some(d), _) => Some((d.clone(), format!("命令行 --date {}", printable(d, 40)))),
            (None, Some(d)) => Some((d.clone(), format!("{file} 中的设置 {}", shown("date", d)))),
            _ => None,
        };
        let date = match date {
            Some((text, source)) => {
                let d = crate::clock::parse_date(&text)
                    .ok_or_else(|| format!("{source} 有误：成文日期应写成“年-月-日”，是日历上有的日子，如 2026-01-20。"))?;
                check_date(plan, d).map_err(|why| format!("{source} 有误：{why}。"))?;
                Some(d)
            }
            None => {
                if let Some(d) = epoch_date()? {
                    check_date(plan, d).map_err(|why| {
                        format!(
                            "环境变量 SOURCE_DATE_EPOCH 给出的成文日期 {} 有误：{why}。请改正该变量，或用 --date 指定成文日期。",
                            crate::clock::chinese_date(d)
                        )
                    })?;
                }
                None
            }
        };
        let (default_report, default_workbook) = default_patterns(plan);
        let report_name = settings.report_name.clone().unwrap_or(default_report);
        let workbook_name = settings.workbook_name.clone().unwrap_or(default_workbook);
        // The names of every year a report can be made for.
        for y in plan.start..=plan.end + YEARS_AFTER_PLAN {
            // A final evaluation's default name too, from the plan's last year.
            if settings.report_name.is_none() && y >= plan.end {
                output_names(&final_report_pattern(&plan.short_title()), &workbook_name, y).map_err(|(key, why)| {
                    format!("按方案名称“{}”得到的默认文件名有误：{why}。请在 {file} 中用 {key} 另设文件名。", plan.short_title())
                })?;
            }
            output_names(&report_name, &workbook_name, y).map_err(|(key, why)| {
                let pattern = if key == "report_name" { &report_name } else { &workbook_name };
                let set = if key == "report_name" { settings.report_name.is_some() } else { settings.workbook_name.is_some() };
                if set {
                    refuse(file, &shown(key, pattern), &format!("{y}年度的{why}"))
                } else {
                    format!("按方案名称“{}”得到的默认文件名有误：{why}。请在 {file} 中用 {key} 另设文件名。", plan.short_title())
                }
            })?;
        }
        let clean = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        Ok(RunConfig {
            year: year.map(|(y, _)| y),
            date,
            office: clean(&settings.office),
            recipient: clean(&settings.recipient).map(|r| r.trim_end_matches(['：', ':']).to_string()),
            word: settings.word.unwrap_or(true) && !args.no_word,
            annotate: settings.annotate.unwrap_or(true) && !args.no_annotate,
            annotated_name: settings.annotated_name.clone().unwrap_or_else(|| ANNOTATED_NAME.to_string()),
            final_eval: settings.final_eval.unwrap_or(false) || args.final_eval,
            report_name,
            workbook_name,
            report_name_set: settings.report_name.is_some(),
            notes,
            dated: dated(date),
        })
    }

    /// The settings of a run with neither command-line options nor planmon.toml (the
    /// bench, and tools that assess returns as `planmon run` would by default).
    pub fn defaults(plan: &Plan) -> RunConfig {
        let (report_name, workbook_name) = default_patterns(plan);
        RunConfig {
            year: None,
            date: None,
            office: None,
            recipient: None,
            word: true,
            annotate: true,
            annotated_name: ANNOTATED_NAME.to_string(),
            final_eval: false,
            report_name,
            workbook_name,
            report_name_set: false,
            notes: Vec::new(),
            dated: dated(None),
        }
    }

    /// The output names of the reporting year (checked in `new`). A final evaluation
    /// (`final_title`: the plan's short title) is named 实施情况终期评估报告 unless
    /// planmon.toml names the report.
    pub fn names(&self, year: i32, final_title: Option<&str>) -> anyhow::Result<OutputNames> {
        let report = match final_title {
            Some(short) if !self.report_name_set => final_report_pattern(short),
            _ => self.report_name.clone(),
        };
        output_names(&report, &self.workbook_name, year).map_err(|(key, why)| anyhow::anyhow!("{FILE} 中的 {key}：{why}"))
    }
}

/// A reporting year must lie in the plan; after its end (a final evaluation) it is run
/// with a note. Before the plan, or long after it, is refused.
pub fn year_note(plan: &Plan, year: i32, source: &str) -> Result<Option<String>, String> {
    let period = format!("{}—{}年", plan.start, plan.end);
    if year < plan.start || year > plan.end + YEARS_AFTER_PLAN {
        return Err(format!("{source} 有误：报告年度应在规划期（{period}）内，规划期后至多 {YEARS_AFTER_PLAN} 年（期末评估）。"));
    }
    Ok((year > plan.end).then(|| {
        format!(
            "报告年度 {year} 年在规划期（{period}）之后，只作期末评估：各指标按规划末年（{}年）的目标判定，没有 {year} 年填报数据的指标为“无数据”。如要报告规划期最后一年，请用 --year {}。",
            plan.end, plan.end
        )
    }))
}

/// A 成文日期 no earlier than the plan's first day, and no later than the last year a
/// report can be made for.
fn check_date(plan: &Plan, d: time::Date) -> Result<(), String> {
    let last = plan.end + YEARS_AFTER_PLAN + 1;
    if d.year() < plan.start || d.year() > last {
        return Err(format!(
            "成文日期{}不在 {}年1月1日 至 {last}年12月31日 之间（规划期 {}—{}年）",
            crate::clock::chinese_date(d),
            plan.start,
            plan.start,
            plan.end
        ));
    }
    Ok(())
}

/// The day SOURCE_DATE_EPOCH names, if it is set (an unusable value is refused).
fn epoch_date() -> Result<Option<time::Date>, String> {
    let Ok(text) = std::env::var("SOURCE_DATE_EPOCH") else { return Ok(None) };
    match text.trim().parse::<i64>() {
        Ok(secs) if (0..=253_402_300_799).contains(&secs) => Ok(Some(crate::clock::beijing_date(secs))),
        _ => Err(format!(
            "环境变量 SOURCE_DATE_EPOCH 的值“{}”有误：应为 1970 年以来的秒数（非负整数）。请改正或删去该变量。",
            printable(&text, 40)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_are_days_of_every_year() {
        assert_eq!(parse_deadline("01-31"), Some((1, 31)));
        assert_eq!(parse_deadline("12-31"), Some((12, 31)));
        for bad in ["+1-31", "1-31", "02-30", "02-29", "13-01", "00-10", "01-00", "1月31日", "01-31 ", "0１-31"] {
            assert_eq!(parse_deadline(bad), None, "{bad}");
            assert!(deadline_problem(bad).is_some());
        }
    }

    #[test]
    fn output_names_never_collide() {
        let ok = output_names("报告（{year}年度）.pdf", "汇总表（{year}年度）.xlsx", 2025).unwrap();
        assert_eq!(ok.report_word.as_str(), "报告（2025年度）.docx");
        for (report, workbook) in [
            ("manifest.json", "b.xlsx"),
            ("a.pdf", "A.PDF"),
            ("a.pdf", "a.docx"),
            ("a.pdf", "Findings.csv"),
            ("history", "b.xlsx"),
            ("a.pdf", "反馈单"),
            ("CON.pdf", "b.xlsx"),
            ("a?.pdf", "b.xlsx"),
        ] {
            assert!(output_names(report, workbook, 2025).is_err(), "{report} {workbook}");
        }
    }

    #[test]
    fn toml_errors_are_explained_in_chinese_first() {
        let text = "office = { a = 1 }\n";
        let e = toml::from_str::<Settings>(text).unwrap_err();
        let m = toml_problem("planmon.toml", text, &e);
        assert!(m.starts_with("planmon.toml 第1行第10列格式有误：值的类型不对：写的是一组设置"), "{m}");
        assert!(m.contains("invalid type"), "{m}");
        let text = "ofice = \"x\"\n";
        let m = toml_problem("planmon.toml", text, &toml::from_str::<Settings>(text).unwrap_err());
        assert!(m.contains("没有名为“ofice”的设置项"), "{m}");
        let text = "office = 仁怀\n";
        let m = toml_problem("planmon.toml", text, &toml::from_str::<Settings>(text).unwrap_err());
        assert!(m.contains("不是有效的 TOML 写法"), "{m}");
    }
}
