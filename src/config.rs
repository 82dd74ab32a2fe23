//! planmon.toml: the settings of one working folder (reporting year, deadline for
//! returns, issuing office, output file names), as written by `planmon init` and edited
//! by the planning office. Command-line options win over the file.

use std::path::Path;

use serde::{Deserialize, Serialize};

pub const FILE: &str = "planmon.toml";

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
    /// 进展报告文件名，{year} 换成报告年度。
    pub report_name: Option<String>,
    /// 汇总表文件名，{year} 换成报告年度。
    pub workbook_name: Option<String>,
}

/// The template written by `planmon init`.
pub const TEMPLATE: &str = r#"# planmon 工作文件夹设置（修改后直接运行 planmon 即生效）

# 报告年度。不写（或注释掉）则取填报表中最新的年度。
# year = 2025

# 填报表报送截止日：次年的 月-日。用于统计“按时报送”和写入空白填报表的填报说明。
deadline = "01-31"

# 报告落款单位和主送机关。
office = "仁怀市发展和改革局"
recipient = "市人民政府"

# 报告成文日期（北京时间）。不写则为运行当天；命令行 --date 优先。
# date = "2026-01-20"

# 是否同时生成 Word 版（.docx）报告和反馈单，供修改后印发。命令行 --no-word 不生成。
word = true

# 输出文件名，{year} 会换成报告年度。
report_name = "仁怀市公共服务发展行动方案实施进展报告（{year}年度）.pdf"
workbook_name = "仁怀市公共服务发展行动方案监测汇总表（{year}年度）.xlsx"
"#;

impl Settings {
    /// Read `planmon.toml` from `dir` if there is one.
    pub fn load(dir: &Path) -> Result<Settings, String> {
        let path = dir.join(FILE);
        if !path.is_file() {
            return Ok(Settings::default());
        }
        let text = std::fs::read_to_string(&path).map_err(|e| crate::oserror::describe("读取", &path, &e))?;
        let s: Settings = toml::from_str(&text).map_err(|e| format!("{} 格式有误：{e}", path.display()))?;
        if let Some(d) = &s.deadline {
            let ok = d.split_once('-').is_some_and(|(m, day)| {
                m.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m)) && day.parse::<u32>().is_ok_and(|d| (1..=31).contains(&d))
            });
            if !ok || d.len() != 5 {
                return Err(format!("{} 中的截止日“{d}”应写成“月-日”，如 \"01-31\"。", path.display()));
            }
        }
        if let Some(d) = &s.date {
            if crate::clock::parse_date(d).is_none() {
                return Err(format!("{} 中的成文日期“{d}”应写成“年-月-日”，如 \"2026-01-20\"。", path.display()));
            }
        }
        for name in [&s.report_name, &s.workbook_name].into_iter().flatten() {
            if name.contains(['/', '\\']) || name.trim().is_empty() {
                return Err(format!("{} 中的文件名“{name}”不能含有 / 或 \\，也不能为空。", path.display()));
            }
        }
        Ok(s)
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
