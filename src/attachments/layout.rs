//! The shape of 附件1 and 附件2: what their header words mean, how a target is written
//! (≥95, 控制在5以下, 稳定在95, 累计1000, 年均增长7), and how units are listed. Import
//! reads with it and export writes with it, so that export → import is exact.

use crate::plan::Comparison;
use crate::read::value::{self, CellValue};
use crate::text::{fmt_num, fold_width, normalize_name};

/// A column of 附件1.
#[derive(Debug, Clone, PartialEq)]
pub enum IndCol {
    Seq,
    Area,
    Name,
    Unit,
    /// 基期值, with its year when the header gives one.
    Base(Option<i32>),
    /// 目标值, with its year.
    Target(Option<i32>),
    /// A year between the base and the target (阶段目标).
    Milestone(i32),
    /// 年均增长: the target of a row whose target cell is empty.
    Growth,
    Attribute,
    Responsible,
    Note,
    Other,
}

/// A column of 附件2.
#[derive(Debug, Clone, PartialEq)]
pub enum ProjCol {
    Seq,
    Area,
    Name,
    Content,
    /// 总投资, and the factor to 万元 (亿元 → 10000).
    Investment(f64),
    Period,
    Responsible,
    Note,
    Other,
}

/// Four-digit years 2000–2099 in a text.
pub fn years(text: &str) -> Vec<i32> {
    let t = fold_width(text);
    let cs: Vec<char> = t.chars().collect();
    let mut out = Vec::new();
    for i in 0..cs.len().saturating_sub(3) {
        let w: String = cs[i..i + 4].iter().collect();
        let clean = (i == 0 || !cs[i - 1].is_ascii_digit()) && cs.get(i + 4).is_none_or(|c| !c.is_ascii_digit());
        if let Ok(y) = w.parse::<i32>() {
            if clean && (2000..2100).contains(&y) {
                out.push(y);
            }
        }
    }
    out
}

pub fn indicator_col(text: &str) -> IndCol {
    let n = normalize_name(text);
    if n.is_empty() || n.chars().count() > 30 {
        return IndCol::Other;
    }
    let year = years(&n).first().copied();
    let has = |w: &[&str]| w.iter().any(|x| n.contains(x));
    if n == "序号" || n == "序" || n == "编号" {
        IndCol::Seq
    } else if has(&["属性", "性质"]) {
        IndCol::Attribute
    } else if has(&["责任单位", "牵头单位", "责任部门", "牵头部门", "责任主体"]) {
        IndCol::Responsible
    } else if has(&["备注", "说明"]) {
        IndCol::Note
    } else if has(&["领域", "类别", "分类", "类型", "方面"]) {
        IndCol::Area
    } else if has(&["指标名称", "指标内容", "主要指标", "具体指标"]) || n == "指标" {
        IndCol::Name
    } else if n == "单位" || n == "计量单位" || n == "指标单位" {
        IndCol::Unit
    } else if has(&["年均增长", "年均增速"]) {
        IndCol::Growth
    } else if has(&["基期", "基数", "现状", "基准"]) {
        IndCol::Base(year)
    } else if has(&["目标"]) {
        IndCol::Target(year)
    } else if let Some(y) = year {
        // 2023年, 2024年（阶段目标）: a year of its own.
        IndCol::Milestone(y)
    } else {
        IndCol::Other
    }
}

pub fn project_col(text: &str) -> ProjCol {
    let n = normalize_name(text);
    if n.is_empty() || n.chars().count() > 30 {
        return ProjCol::Other;
    }
    let has = |w: &[&str]| w.iter().any(|x| n.contains(x));
    if n == "序号" || n == "序" || n == "编号" {
        ProjCol::Seq
    } else if has(&["责任单位", "牵头单位", "实施单位", "业主单位", "责任部门"]) {
        ProjCol::Responsible
    } else if has(&["项目名称"]) || n == "项目" {
        ProjCol::Name
    } else if has(&["建设内容", "建设规模", "主要内容"]) {
        ProjCol::Content
    } else if has(&["投资"]) {
        ProjCol::Investment(if n.contains("亿元") { 10_000.0 } else { 1.0 })
    } else if has(&["年限", "期限", "起止", "建设周期", "建设年度"]) {
        ProjCol::Period
    } else if has(&["领域", "类别", "分类", "类型"]) {
        ProjCol::Area
    } else if has(&["备注", "说明"]) {
        ProjCol::Note
    } else {
        ProjCol::Other
    }
}

/// A target as written in 附件1: the number and how it is judged. The explicit marks
/// come first (≥, ≤, 稳定在, 累计, 年均增长); then words (以上, 以下, 控制在…); then the
/// indicator's name (累计…, …增长率, …死亡率).
pub fn decode_target(text: &str, name: &str) -> Option<(f64, Comparison)> {
    let t: String = fold_width(text).chars().filter(|c| !c.is_whitespace()).collect();
    let number = first_number(&t)?;
    let has = |w: &[&str]| w.iter().any(|x| t.contains(x));
    let name_has = |w: &[&str]| w.iter().any(|x| name.contains(x));
    let comparison = if t.starts_with('≥') || t.starts_with(">=") {
        Comparison::AtLeast
    } else if t.starts_with('≤') || t.starts_with("<=") || t.starts_with('<') {
        Comparison::AtMost
    } else if has(&["稳定在", "保持在", "巩固在", "保持", "稳定"]) {
        Comparison::Hold
    } else if has(&["累计"]) {
        Comparison::Cumulative
    } else if has(&["年均增长", "年增长", "年均增速"]) {
        Comparison::AnnualRate
    } else if has(&["以下", "以内", "控制在", "不高于", "不超过", "低于"]) {
        Comparison::AtMost
    } else if has(&["以上", "达到", "不低于", "超过", "力争"]) || t.starts_with('>') {
        Comparison::AtLeast
    } else if name_has(&["累计"]) {
        Comparison::Cumulative
    } else if name_has(&["增长率", "增速"]) {
        Comparison::AnnualRate
    } else if name_has(&["死亡率", "发生率", "患病率", "流失率"]) {
        Comparison::AtMost
    } else {
        Comparison::AtLeast
    };
    Some((number, comparison))
}

/// The target as export writes it: a mark that `decode_target` reads back exactly.
pub fn encode_target(value: f64, comparison: Comparison) -> String {
    let v = fmt_num(value, 6);
    match comparison {
        Comparison::AtLeast => format!("≥{v}"),
        Comparison::AtMost => format!("≤{v}"),
        Comparison::Hold => format!("稳定在{v}"),
        Comparison::Cumulative => format!("累计{v}"),
        Comparison::AnnualRate => format!("年均增长{v}"),
    }
}

/// The first number in a text (95 in “≥95%”, 5 in “控制在5‰以下”).
pub fn first_number(text: &str) -> Option<f64> {
    let t = fold_width(text);
    let cs: Vec<char> = t.chars().collect();
    let start = cs.iter().position(|c| c.is_ascii_digit())?;
    let neg = start > 0 && matches!(cs[start - 1], '-' | '−');
    let s: String = cs[start..].iter().take_while(|c| c.is_ascii_digit() || **c == '.' || **c == ',').filter(|c| **c != ',').collect();
    let v: f64 = s.trim_end_matches('.').parse().ok()?;
    Some(if neg { -v } else { v })
}

/// A plain number cell (基期值, 总投资): a figure, or None for “/”, “—”, blank.
pub fn number(text: &str) -> Option<f64> {
    match value::parse(text) {
        CellValue::Number { value, .. } => Some(value),
        _ => first_number(text),
    }
}

/// 责任单位 as written: “市卫健局、市医保局”, “市民政局（牵头），市残联”.
pub fn split_units(text: &str) -> Vec<String> {
    let t = fold_width(text).replace("(牵头)", "").replace("（牵头）", "").replace("牵头", "");
    t.split(['、', ',', '，', ';', '；', '/', '\n', ' ', '　'])
        .map(|s| s.trim().trim_matches(['(', ')', '（', '）']).to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// 预期性 / 约束性, as written with or without 性.
pub fn attribute(text: &str) -> String {
    let n = normalize_name(text);
    if n.starts_with("约束") {
        "约束性".into()
    } else if n.starts_with("预期") {
        "预期性".into()
    } else {
        text.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_back() {
        for c in [Comparison::AtLeast, Comparison::AtMost, Comparison::Hold, Comparison::Cumulative, Comparison::AnnualRate] {
            for v in [95.0, 4.5, 1894.0, 0.35] {
                assert_eq!(decode_target(&encode_target(v, c), "任意指标"), Some((v, c)), "{v} {c:?}");
            }
        }
        assert_eq!(decode_target("95%以上", "毛入园率"), Some((95.0, Comparison::AtLeast)));
        assert_eq!(decode_target("控制在5‰以下", "婴儿死亡率"), Some((5.0, Comparison::AtMost)));
        assert_eq!(decode_target("5", "婴儿死亡率"), Some((5.0, Comparison::AtMost)));
        assert_eq!(decode_target("稳定在 96%", "参保率"), Some((96.0, Comparison::Hold)));
        assert_eq!(decode_target("7", "城镇常住居民人均可支配收入年增长率"), Some((7.0, Comparison::AnnualRate)));
        assert_eq!(decode_target("6000", "累计开展职业技能培训"), Some((6000.0, Comparison::Cumulative)));
        assert_eq!(decode_target("/", "x"), None);
    }

    #[test]
    fn header_words() {
        assert_eq!(indicator_col("2022年（基期值）"), IndCol::Base(Some(2022)));
        assert_eq!(indicator_col("2025年目标值"), IndCol::Target(Some(2025)));
        assert_eq!(indicator_col("指标值2025年目标"), IndCol::Target(Some(2025)));
        assert_eq!(indicator_col("2024年"), IndCol::Milestone(2024));
        assert_eq!(indicator_col("指标属性"), IndCol::Attribute);
        assert_eq!(indicator_col("年均增长（%）"), IndCol::Growth);
        assert_eq!(indicator_col("牵头单位"), IndCol::Responsible);
        assert_eq!(indicator_col("计量单位"), IndCol::Unit);
        assert_eq!(indicator_col("领 域"), IndCol::Area);
        assert_eq!(project_col("总投资（亿元）"), ProjCol::Investment(10_000.0));
        assert_eq!(project_col("建设年限"), ProjCol::Period);
        assert_eq!(split_units("市民政局（牵头）、市残联"), ["市民政局", "市残联"]);
    }
}
