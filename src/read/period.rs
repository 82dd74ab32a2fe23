//! Which part of a year a text says it covers, and years written the way people write
//! them. A return for 1—6月, 上半年, 前三季度 or 截至9月底 is not the year's return:
//! its figures are kept (observations.csv) with a warning and never used as the
//! annual figure. Years may be written in Chinese numerals (二〇二五年度).

use std::borrow::Cow;

use crate::text::fold_width;

/// Chinese numerals for the digits of a year.
fn digit(c: char) -> Option<char> {
    Some(match c {
        '〇' | '零' | 'Ｏ' | '○' => '0',
        '一' => '1',
        '二' => '2',
        '三' => '3',
        '四' => '4',
        '五' => '5',
        '六' => '6',
        '七' => '7',
        '八' => '8',
        '九' => '9',
        _ => return None,
    })
}

/// A text with years written in Chinese numerals (二〇二五年, 二零二五年度) given in
/// digits (2025年): four numerals starting 二〇/二零 and followed by 年. Text without
/// such a year is returned as it is.
pub fn digit_years(text: &str) -> Cow<'_, str> {
    if !text.contains('年') || !text.contains('二') {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut changed = false;
    while i < chars.len() {
        let year = (i + 4 < chars.len() && chars[i] == '二' && matches!(chars[i + 1], '〇' | '零' | 'Ｏ' | '○') && chars[i + 4] == '年')
            .then(|| chars[i..i + 4].iter().map(|c| digit(*c)).collect::<Option<String>>())
            .flatten();
        match year {
            Some(digits) => {
                out.push_str(&digits);
                i += 4;
                changed = true;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// A month number written in digits or Chinese numerals (1–12).
fn month(text: &str) -> Option<u32> {
    let t = text.trim();
    if let Ok(m) = t.parse::<u32>() {
        return (1..=12).contains(&m).then_some(m);
    }
    let n = match t {
        "一" => 1,
        "二" => 2,
        "三" => 3,
        "四" => 4,
        "五" => 5,
        "六" => 6,
        "七" => 7,
        "八" => 8,
        "九" => 9,
        "十" => 10,
        "十一" => 11,
        "十二" => 12,
        _ => return None,
    };
    Some(n)
}

/// The part of a year a text names, as written (`1-6月`, `上半年`, `前三季度`,
/// `截至9月底`, `第二季度`), or None when it names none — or the whole year
/// (`1-12月`, `全年`, `年度`, `年末`).
pub fn part_of_year(text: &str) -> Option<String> {
    if text.len() > 300 {
        return None;
    }
    let t = fold_width(text);
    let t: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    for word in ["上半年", "下半年", "前三季度", "前两季度", "前二季度", "半年度", "半年报"] {
        if t.contains(word) {
            return Some(word.to_string());
        }
    }
    for (k, q) in ["一", "二", "三", "四", "1", "2", "3", "4"].iter().enumerate() {
        for form in [format!("第{q}季度"), format!("{q}季度")] {
            if t.contains(&form) {
                return Some(form);
            }
        }
        if k < 4 && t.contains(&format!("Q{}", k + 1)) {
            return Some(format!("Q{}", k + 1));
        }
    }
    // 截至9月底 / 截止6月末 / 截至2025年9月: up to a month before December.
    for lead in ["截至", "截止", "至"] {
        let mut from = 0;
        while let Some(pos) = t[from..].find(lead) {
            let at = from + pos + lead.len();
            let rest = &t[at..];
            let rest = rest.split_once('年').map_or(rest, |(y, r)| if y.chars().all(|c| c.is_ascii_digit()) { r } else { rest });
            if let Some((m, _)) = rest.split_once('月') {
                if month(m).is_some_and(|m| m < 12) && lead != "至" {
                    return Some(format!("{lead}{m}月"));
                }
            }
            from = at;
        }
    }
    // 1-6月, 1—9月份, 1至11月, 一至六月, 1月-6月: a range of months ending before December.
    let mut from = 0;
    while let Some(pos) = t[from..].find('月') {
        let at = from + pos;
        let before = &t[..at];
        let end: String = before.chars().rev().take_while(|c| c.is_ascii_digit() || digit(*c).is_some() || *c == '十').collect();
        let end: String = end.chars().rev().collect();
        if let Some(last) = month(&end) {
            let head = &before[..before.len() - end.len()];
            let sep = head.chars().next_back();
            if matches!(sep, Some('-' | '—' | '–' | '~' | '～' | '至' | '到' | '－')) {
                let head = &head[..head.len() - sep.map_or(0, char::len_utf8)];
                let head = head.strip_suffix('月').unwrap_or(head);
                let start: String = head.chars().rev().take_while(|c| c.is_ascii_digit() || digit(*c).is_some() || *c == '十').collect();
                let start: String = start.chars().rev().collect();
                if let Some(first) = month(&start) {
                    if first <= last && !(first == 1 && last == 12) {
                        return Some(format!("{start}{}{end}月", sep.unwrap_or('-')));
                    }
                }
            } else if last < 12 {
                // One month of a year: 2025年6月 (not a date with 日 after it).
                let after = t[at + '月'.len_utf8()..].chars().next();
                let year_before = head.ends_with('年');
                if year_before && !matches!(after, Some('日' | '号')) && !after.is_some_and(|c| c.is_ascii_digit()) {
                    return Some(format!("{end}月"));
                }
            }
        }
        from = at + '月'.len_utf8();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_a_year() {
        for (text, part) in [
            ("仁怀市卫生健康局2025年1-6月指标填报表", "1-6月"),
            ("2025年1—9月", "1—9月"),
            ("2025年1至11月份", "1至11月"),
            ("二〇二五年一至六月", "一至六月"),
            ("2025年上半年", "上半年"),
            ("前三季度完成情况", "前三季度"),
            ("截至9月底", "截至9月"),
            ("截止2025年6月末", "截止6月"),
            ("2025年第二季度", "第二季度"),
            ("2025Q3", "Q3"),
            ("2025年6月", "6月"),
            ("1月-6月", "1-6月"),
        ] {
            assert_eq!(part_of_year(text).as_deref(), Some(part), "{text}");
        }
        for whole in [
            "2025年度",
            "2025年1-12月",
            "2025年全年",
            "2025年末",
            "仁怀市公共服务发展行动方案(2023—2025年)指标填报表（2025年度）",
            "填报日期：2026年1月10日",
            "2026年1月10日",
            "完成值",
            "",
        ] {
            assert_eq!(part_of_year(whole), None, "{whole}");
        }
    }

    #[test]
    fn years_in_chinese_numerals() {
        assert_eq!(digit_years("二〇二五年度"), "2025年度");
        assert_eq!(digit_years("二零二四年工作"), "2024年工作");
        assert_eq!(digit_years("二十年"), "二十年");
        assert_eq!(digit_years("2025年"), "2025年");
    }
}
