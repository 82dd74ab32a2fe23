//! Reading a figure as people write it: `94.5`, `９４．５％`, `1,699`, `3.8万`, `95%以上`,
//! `约95`, `1894套`; and the many ways of writing "no figure" (`/`, `—`, `无`, `暂无`).
//!
//! Hand-written on purpose: number-parsing crates read one locale's notation, while a
//! return mixes Chinese magnitude words (万, 亿), qualifiers before and after the number
//! (约, 以上), units glued to it and full-width digits; each must be recognised to keep
//! the figure and say what was written around it.

use crate::text::fold_width;

/// What a cell's text says.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    /// A number, with what was written around it.
    Number {
        value: f64,
        /// Unit written after the number (`%`, `‰`, `套`, `万人次` …), empty if none.
        unit: String,
        /// A qualifier that makes the number approximate (`以上`, `约`, `左右`, `≥`,
        /// `预计`, `暂定`).
        qualifier: String,
        /// Footnote or note markers written with the number (`②`, `*`, `（注2）`),
        /// as written; never part of its digits.
        marker: String,
    },
    /// Deliberately no figure: blank, `/`, `—`, `无`, `暂无`, `不适用`.
    NoFigure,
    /// Text that is not a number.
    NotNumber,
}

const NO_FIGURE: &[&str] =
    &["", "/", "／", "\\", "-", "--", "—", "——", "–", "无", "暂无", "无数据", "不适用", "未统计", "待统计", "n/a", "na", "#n/a", "空"];
const PREFIX_QUALIFIERS: &[&str] = &["大于等于", "不低于", "不少于", "约", "近", "超过", "大于", "≥", ">=", ">", "≈", "~"];
const SUFFIX_QUALIFIERS: &[&str] = &["以上", "左右", "余", "多", "以下", "以内"];

/// Qualifiers that make a figure provisional (预计/暂定 …): read, and marked as such.
pub const PROVISIONAL: &[&str] = &["预计", "暂定", "预估", "估计", "初步统计", "初步", "快报"];

/// Whether a qualifier makes the figure provisional rather than only approximate.
pub fn is_provisional(qualifier: &str) -> bool {
    PROVISIONAL.iter().any(|p| qualifier.contains(p))
}

/// Parse the text of a cell. Footnote and note markers are recognised first, on the text
/// as written: folding (NFKC) would turn `②` into `2` and `96.3②` into 96.32.
pub fn parse(raw: &str) -> CellValue {
    let (core, marker) = strip_markers(raw);
    if !marker.is_empty() && core.is_empty() {
        // Only a marker (①, ※): a note, not the figure 1.
        return CellValue::NotNumber;
    }
    if !marker.is_empty() {
        if let CellValue::Number { value, unit, qualifier, .. } = parse_folded(core) {
            return CellValue::Number { value, unit, qualifier, marker };
        }
    }
    parse_folded(raw)
}

/// Marker characters that never belong to a figure: enclosed and parenthesised
/// numerals (①…⑳, ⑴…⒇, ⒈…⒛, ㈠…㈩, ㊀…㊉, ❶…❿), superscript digits, and the signs
/// people put on a figure to point at a note.
fn is_marker_char(c: char) -> bool {
    matches!(c,
        '\u{2460}'..='\u{249B}' | '\u{24EA}'..='\u{24FF}' | '\u{2776}'..='\u{2793}' | '\u{3220}'..='\u{3229}' | '\u{3280}'..='\u{3289}'
        | '\u{2070}' | '\u{00B9}' | '\u{00B2}' | '\u{00B3}' | '\u{2074}'..='\u{2079}'
        | '*' | '＊' | '※' | '#' | '＃' | '△' | '▲' | '☆' | '★' | '†' | '‡')
}

/// Words that open a note explaining a figure: `4（其中1个达二级医院标准）`,
/// `2930（含在建120张）`, `1894套，其中本年195套`.
const NOTE_WORDS: &[&str] = &["其中", "含", "包括", "包含", "不含", "已", "注", "说明", "另有", "其余", "为", "系"];

/// Whether a text is a note explaining the figure before it (see `NOTE_WORDS`).
fn is_explanation(text: &str) -> bool {
    let t = fold_width(text);
    let t = t.trim_start_matches([':', '：', ' ']);
    NOTE_WORDS.iter().any(|w| t.starts_with(w)) && t.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
}

/// Whether a bracketed text is a note reference: `注`, `注2`, `2`, `注：2`.
fn is_note_reference(inner: &str) -> bool {
    let t = fold_width(inner);
    let t = t.trim();
    let digits = t.strip_prefix('注').map(|r| r.trim_start_matches([':', '：', ' '])).unwrap_or(t);
    (t.starts_with('注') || !digits.is_empty()) && digits.len() <= 3 && digits.chars().all(|c| c.is_ascii_digit())
}

/// Split off the markers around a figure (`96.3②`, `※96.3`, `96.3（注2）`, `96.3[1]`,
/// `96.3注1`), on the text as written. Returns the rest and the markers (empty if none).
fn strip_markers(raw: &str) -> (&str, String) {
    let mut core = raw.trim();
    let mut found: Vec<String> = Vec::new();
    // 1894套，其中本年195套: a clause after the figure that explains it.
    for sep in ['，', ',', '；', ';'] {
        if let Some(i) = core.find(sep) {
            if i > 0 && is_explanation(&core[i + sep.len_utf8()..]) {
                found.push(core[i..].to_string());
                core = core[..i].trim_end();
                break;
            }
        }
    }
    loop {
        let before = core;
        if let Some(c) = core.chars().next_back().filter(|c| is_marker_char(*c)) {
            core = core[..core.len() - c.len_utf8()].trim_end();
            found.insert(0, c.to_string());
        } else if let Some(close) = core.chars().next_back().filter(|c| matches!(c, ')' | '）' | ']' | '］' | '】' | '〕')) {
            let open = match close {
                ')' | '）' => &['(', '（'][..],
                ']' | '］' => &['[', '［'][..],
                '】' => &['【'][..],
                _ => &['〔'][..],
            };
            let body = &core[..core.len() - close.len_utf8()];
            if let Some(i) = body.rfind(open) {
                let start = i + body[i..].chars().next().map_or(1, char::len_utf8);
                if is_note_reference(&body[start..]) || is_explanation(&body[start..]) {
                    found.insert(0, core[i..].to_string());
                    core = core[..i].trim_end();
                }
            }
        } else if let Some(i) = core.rfind('注') {
            // 96.3注1: a note number written without brackets.
            let tail = &core[i + '注'.len_utf8()..];
            if i > 0 && fold_width(tail).chars().all(|c| c.is_ascii_digit()) && tail.chars().count() <= 3 {
                found.insert(0, core[i..].to_string());
                core = core[..i].trim_end();
            }
        }
        if core == before {
            break;
        }
    }
    // ※96.3 / *96.3: a sign in front.
    while let Some(c) = core.chars().next().filter(|c| is_marker_char(*c) && !matches!(c, '#' | '＃')) {
        core = core[c.len_utf8()..].trim_start();
        found.push(c.to_string());
    }
    (core, found.concat())
}

/// `parse` of text without markers.
fn parse_folded(raw: &str) -> CellValue {
    // Invisible control characters (a stray bell or tab pasted in) are not part of a figure.
    // Zero-width spaces and byte-order marks copied from web pages or PDFs neither.
    let folded: String = fold_width(raw).chars().filter(|c| !c.is_control() && !is_invisible(*c)).collect();
    let mut s: String = folded.trim().to_string();
    if NO_FIGURE.iter().any(|n| s.eq_ignore_ascii_case(n)) {
        return CellValue::NoFigure;
    }
    let mut qualifier = String::new();
    // 累计1894: a cumulative figure said as such (what the indicator counts anyway).
    if let Some(rest) = s.strip_prefix("累计") {
        s = rest.trim_start().to_string();
    }
    // 96.3（预计）, 预计96.3: a provisional figure, read and marked.
    for p in PROVISIONAL {
        let bracketed = [format!("({p})"), format!("({p}数)"), format!("({p}值)")];
        if let Some(rest) = bracketed.iter().find_map(|b| s.strip_suffix(b.as_str())) {
            qualifier.push_str(p);
            s = rest.trim_end().to_string();
            break;
        }
        if let Some(rest) = s.strip_prefix(p).or_else(|| s.strip_suffix(p)) {
            qualifier.push_str(p);
            s = rest.trim().to_string();
            break;
        }
    }
    for q in PREFIX_QUALIFIERS {
        if let Some(rest) = s.strip_prefix(q) {
            if !qualifier.is_empty() {
                qualifier.push(' ');
            }
            qualifier.push_str(q);
            s = rest.trim_start().to_string();
            break;
        }
    }
    // The number: optional sign, digits with thousands separators, optional decimals.
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut number = String::new();
    if i < chars.len() && matches!(chars[i], '+' | '-' | '−') {
        if chars[i] != '+' {
            number.push('-');
        }
        i += 1;
    }
    let digits_start = i;
    let mut seen_dot = false;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            number.push(c);
        } else if c == '.' && !seen_dot {
            seen_dot = true;
            number.push('.');
        } else if c == ',' && !seen_dot && i > digits_start && is_thousands_group(&chars[i + 1..]) {
            // 1,699 — a thousands separator only when three digits follow.
        } else {
            break;
        }
        i += 1;
    }
    let Ok(mut value) = number.parse::<f64>() else {
        return CellValue::NotNumber;
    };
    if !number.chars().any(|c| c.is_ascii_digit()) {
        return CellValue::NotNumber;
    }
    let mut rest: String = chars[i..].iter().collect::<String>().trim().to_string();
    for q in SUFFIX_QUALIFIERS {
        if let Some(r) = rest.strip_suffix(q) {
            if !qualifier.is_empty() {
                qualifier.push(' ');
            }
            qualifier.push_str(q);
            rest = r.trim_end().to_string();
            break;
        }
    }
    // A unit is letters or CJK, `%`, `‰`, `/10万`; anything with more digits is not a figure.
    if rest.chars().any(|c| c.is_ascii_digit()) && !rest.starts_with("/10万") {
        return CellValue::NotNumber;
    }
    if rest.chars().count() > 8 {
        return CellValue::NotNumber;
    }
    if let Some(unit) = rest.strip_prefix('万') {
        // 3.8万 (no unit) or 3.8万人次: the 万 multiplies only when what follows is a
        // plain unit; 万次/万人次 as a unit is handled by unit conversion later.
        if unit.is_empty() {
            value *= 10_000.0;
            rest = String::new();
        }
    }
    CellValue::Number { value, unit: rest, qualifier, marker: String::new() }
}

/// Format characters that take no room: zero-width space/joiners, direction marks, BOM.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}')
}

fn is_thousands_group(after: &[char]) -> bool {
    after.len() >= 3 && after[..3].iter().all(|c| c.is_ascii_digit()) && after.get(3).is_none_or(|c| !c.is_ascii_digit())
}

/// Convert a value written in `from` into the indicator's unit `to`.
/// Returns the converted value and whether the conversion is certain.
pub fn convert(value: f64, from: &str, to: &str) -> Option<(f64, bool)> {
    // Most figures come with no unit or the indicator's own unit written the same way.
    if from.is_empty() || from == to {
        return Some((value, true));
    }
    let from = normalize_unit(from);
    if from.is_empty() {
        return Some((value, true));
    }
    let to = normalize_unit(to);
    if from == to {
        return Some((value, true));
    }
    // 万X ⇄ X: certain scale.
    if let Some(base) = to.strip_prefix('万') {
        if from == base {
            return Some((value / 10_000.0, true));
        }
        if from.strip_prefix('万').is_some_and(|b| same_count_unit(b, base)) {
            return Some((value, false));
        }
        if same_count_unit(&from, base) {
            return Some((value / 10_000.0, false));
        }
    }
    if let Some(base) = from.strip_prefix('万') {
        if to == base {
            return Some((value * 10_000.0, true));
        }
    }
    if same_count_unit(&from, &to) {
        return Some((value, false));
    }
    None
}

/// Units that count the same thing under two names the plan itself mixes
/// (套/户, 次/人次): the figure is kept but the unit must be checked.
fn same_count_unit(a: &str, b: &str) -> bool {
    let pair = |x: &str, y: &str| (a == x && b == y) || (a == y && b == x);
    pair("套", "户") || pair("次", "人次") || pair("人", "名") || pair("个", "所")
}

pub fn normalize_unit(u: &str) -> String {
    let u = fold_width(u);
    let u: String = u.chars().filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '（' | '）')).collect();
    match u.as_str() {
        "百分比" | "百分点" | "％" => "%".to_string(),
        "千分比" | "千分率" => "‰".to_string(),
        "m2" | "m²" | "㎡" | "平米" => "平方米".to_string(),
        "1/10万" | "/十万" | "1/十万" => "/10万".to_string(),
        _ => u,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(value: f64, unit: &str, qualifier: &str) -> CellValue {
        CellValue::Number { value, unit: unit.to_string(), qualifier: qualifier.to_string(), marker: String::new() }
    }

    fn marked(value: f64, unit: &str, marker: &str) -> CellValue {
        CellValue::Number { value, unit: unit.to_string(), qualifier: String::new(), marker: marker.to_string() }
    }

    #[test]
    fn note_markers_never_become_digits() {
        let cases: &[(&str, CellValue)] = &[
            ("96.3②", marked(96.3, "", "②")),
            ("96.3 ②", marked(96.3, "", "②")),
            ("96.3%①", marked(96.3, "%", "①")),
            ("1,699⑶", marked(1699.0, "", "⑶")),
            ("12㈡", marked(12.0, "", "㈡")),
            ("96.3²", marked(96.3, "", "²")),
            ("96.3*", marked(96.3, "", "*")),
            ("96.3＊", marked(96.3, "", "＊")),
            ("※96.3", marked(96.3, "", "※")),
            ("96.3#", marked(96.3, "", "#")),
            ("96.3△", marked(96.3, "", "△")),
            ("96.3注1", marked(96.3, "", "注1")),
            ("96.3（注2）", marked(96.3, "", "（注2）")),
            ("96.3(注)", marked(96.3, "", "(注)")),
            ("96.3[1]", marked(96.3, "", "[1]")),
            ("96.3［１］", marked(96.3, "", "［１］")),
            ("96.3【3】", marked(96.3, "", "【3】")),
            ("96.3%（注2）①", marked(96.3, "%", "（注2）①")),
        ];
        for (raw, expected) in cases {
            assert_eq!(&parse(raw), expected, "{raw}");
        }
        // Notes explaining the figure after it, in brackets or after a comma.
        for (raw, value, unit, note) in [
            ("4（其中1个达二级医院标准）", 4.0, "", "（其中1个达二级医院标准）"),
            ("2930（含在建120张）", 2930.0, "", "（含在建120张）"),
            ("100%（已全覆盖）", 100.0, "%", "（已全覆盖）"),
            ("累计1894套，其中本年195套", 1894.0, "套", "，其中本年195套"),
        ] {
            assert_eq!(parse(raw), CellValue::Number { value, unit: unit.into(), qualifier: String::new(), marker: note.into() }, "{raw}");
        }
        // Not markers: a unit in brackets, #N/A, a bare note.
        assert_eq!(parse("96.3（%）"), num(96.3, "(%)", ""));
        assert_eq!(parse("#N/A"), CellValue::NoFigure);
        assert_eq!(parse("注1"), CellValue::NotNumber);
        assert_eq!(parse("①"), CellValue::NotNumber);
    }

    #[test]
    fn provisional_figures_are_read_and_marked() {
        assert_eq!(parse("96.3（预计）"), num(96.3, "", "预计"));
        assert_eq!(parse("预计96.3%"), num(96.3, "%", "预计"));
        assert_eq!(parse("96.3(暂定)"), num(96.3, "", "暂定"));
        assert_eq!(parse("约96.3（预计数）"), num(96.3, "", "预计 约"));
        assert!(is_provisional("预计 约") && !is_provisional("约"));
    }

    #[test]
    fn spellings_of_numbers() {
        let cases: &[(&str, CellValue)] = &[
            ("94.5", num(94.5, "", "")),
            ("９４．５％", num(94.5, "%", "")),
            (" 1,699 ", num(1699.0, "", "")),
            ("1,234,567.5", num(1_234_567.5, "", "")),
            ("3.8万", num(38_000.0, "", "")),
            ("3.8万次", num(3.8, "万次", "")),
            ("95%以上", num(95.0, "%", "以上")),
            ("约95", num(95.0, "", "约")),
            ("1894套", num(1894.0, "套", "")),
            ("3.5‰", num(3.5, "‰", "")),
            ("-2.5", num(-2.5, "", "")),
            ("−2.5%", num(-2.5, "%", "")),
            ("12/10万", num(12.0, "/10万", "")),
            ("70%左右", num(70.0, "%", "左右")),
            // Qualifiers and units together, and the spaces a copy from a web page brings.
            ("约95%以上", num(95.0, "%", "约 以上")),
            ("约 95 % 以上", num(95.0, "%", "约 以上")),
            ("0.35万人次", num(0.35, "万人次", "")),
            ("3.2‰", num(3.2, "‰", "")),
            ("11.5/10万", num(11.5, "/10万", "")),
            ("11.5 /10万", num(11.5, "/10万", "")),
            ("\u{a0}94.5\u{a0}", num(94.5, "", "")),
            ("\u{202f}94.5\u{2009}%", num(94.5, "%", "")),
            ("\u{200b}94.5\u{feff}", num(94.5, "", "")),
            ("≥95%", num(95.0, "%", "≥")),
            ("不低于 3.2 ‰", num(3.2, "‰", "不低于")),
        ];
        for (raw, expected) in cases {
            assert_eq!(&parse(raw), expected, "{raw}");
        }
    }

    #[test]
    fn no_figure_is_never_zero() {
        for raw in ["", "  ", "/", "—", "——", "-", "无", "暂无", "不适用", "／"] {
            assert_eq!(parse(raw), CellValue::NoFigure, "{raw:?}");
        }
    }

    #[test]
    fn text_is_not_a_number() {
        for raw in ["见附件", "已完成", "2023年12月", "1,2", "94.5.1", "abc", "第3季度"] {
            assert_eq!(parse(raw), CellValue::NotNumber, "{raw:?}");
        }
    }

    #[test]
    fn unit_conversion() {
        assert_eq!(convert(38_000.0, "次", "万次"), Some((3.8, true)));
        assert_eq!(convert(3.8, "万人次", "万次"), Some((3.8, false)));
        assert_eq!(convert(1894.0, "户", "套"), Some((1894.0, false)));
        assert_eq!(convert(1.0, "万人次", "人次"), Some((10_000.0, true)));
        assert_eq!(convert(94.5, "％", "%"), Some((94.5, true)));
        assert_eq!(convert(2.0, "张", "%"), None);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Write `v` (two decimals at most) the ways people do: thousands separators,
    /// full-width digits, a unit or % after it, spaces around it.
    fn spell(v: f64, thousands: bool, full_width: bool, suffix: &str, pad: bool) -> String {
        let mut s = fmt_num_plain(v);
        if thousands {
            let (int, frac) = s.split_once('.').map(|(a, b)| (a.to_string(), format!(".{b}"))).unwrap_or((s.clone(), String::new()));
            let neg = int.starts_with('-');
            let digits: Vec<char> = int.trim_start_matches('-').chars().collect();
            let mut grouped = String::new();
            for (i, c) in digits.iter().enumerate() {
                if i > 0 && (digits.len() - i).is_multiple_of(3) {
                    grouped.push(',');
                }
                grouped.push(*c);
            }
            s = format!("{}{grouped}{frac}", if neg { "-" } else { "" });
        }
        s.push_str(suffix);
        if full_width {
            s = s.chars().map(|c| if ('!'..='~').contains(&c) { char::from_u32(c as u32 + 0xFEE0).unwrap() } else { c }).collect();
        }
        if pad {
            s = format!("  {s} ");
        }
        s
    }

    fn fmt_num_plain(v: f64) -> String {
        crate::text::fmt_num(v, 2)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn spelled_numbers_read_back_exactly(
            cents in -10_000_000_000i64..10_000_000_000i64,
            thousands: bool,
            full_width: bool,
            pad: bool,
            suffix in prop::sample::select(vec!["", "%", "‰", "个", "人次", "平方米", "套"]),
        ) {
            let v = cents as f64 / 100.0;
            let raw = spell(v, thousands, full_width, suffix, pad);
            match parse(&raw) {
                CellValue::Number { value, unit, qualifier, marker } => {
                    prop_assert!((value - v).abs() < 1e-9, "{raw:?} read as {value}");
                    prop_assert_eq!(unit, suffix);
                    prop_assert_eq!(qualifier, "");
                    prop_assert_eq!(marker, "");
                }
                other => prop_assert!(false, "{raw:?} read as {other:?}"),
            }
        }

        /// For any number and any note marker, the figure read is the number: the
        /// marker's digits never join it.
        #[test]
        fn markers_never_change_the_digits(
            cents in -10_000_000_000i64..10_000_000_000i64,
            thousands: bool,
            full_width: bool,
            pad: bool,
            suffix in prop::sample::select(vec!["", "%", "‰", "个", "人次"]),
            marker in prop::sample::select(vec![
                "①", "②", "⑨", "⑩", "⑳", "⑴", "⒇", "⒈", "㈠", "㈩", "㊀", "❶", "¹", "²", "³", "⁴", "⁹", "*", "＊", "※", "#", "△",
                "注1", "注12", "（注2）", "(注3)", "（注）", "[1]", "［2］", "【3】", "(4)", "①②", "*①",
            ]),
            before: bool,
        ) {
            let v = cents as f64 / 100.0;
            let number = spell(v, thousands, full_width, suffix, false);
            let lead = before && ["*", "※", "△"].contains(&marker);
            let raw = if lead { format!("{marker}{number}") } else { format!("{number}{marker}") };
            let raw = if pad { format!(" {raw} ") } else { raw };
            match parse(&raw) {
                CellValue::Number { value, marker: found, .. } => {
                    prop_assert!((value - v).abs() < 1e-9, "{raw:?} read as {value}");
                    prop_assert_eq!(found, marker);
                }
                other => prop_assert!(false, "{raw:?} read as {other:?}"),
            }
        }

        #[test]
        fn parse_never_panics(raw in ".{0,40}") {
            let _ = parse(&raw);
        }
    }
}
