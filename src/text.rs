//! Text helpers shared by the stages: width folding, name normalisation, fuzzy matching
//! and making cell text safe to print.

use std::borrow::Cow;

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Unicode compatibility normalisation (NFKC): full-width forms (`９４．５％`) and the
/// ideographic space become ASCII, Kangxi radicals pasted from a PDF (`⼈⼝`, U+2F08
/// U+2F1D) become the ordinary characters (`人口`), `㎡` becomes `m2`. Text already in
/// that form (nearly every cell) is passed through without copying.
pub fn fold_width(s: &str) -> Cow<'_, str> {
    // ASCII and the CJK Unified Ideographs are their own NFKC and never compose with
    // each other: most cells of a return are only these (no table lookups then).
    // With them, the punctuation of Chinese text, which is its own NFKC too, and the
    // full-width forms, whose NFKC is one character: a cell of only these folds without
    // the tables (nothing in it can compose: no combining marks).
    let mut wide_seen = false;
    let fast = s.chars().all(|c| {
        if c.is_ascii() || ('\u{4E00}'..='\u{9FFF}').contains(&c) || is_own_nfkc(c) {
            true
        } else {
            let folds = wide(c).is_some();
            wide_seen |= folds;
            folds
        }
    });
    match (fast, wide_seen) {
        (true, false) => return Cow::Borrowed(s),
        (true, true) => return Cow::Owned(s.chars().map(|c| wide(c).unwrap_or(c)).collect()),
        _ => {}
    }
    match is_nfkc_quick(s.chars()) {
        IsNormalized::Yes => Cow::Borrowed(s),
        _ => Cow::Owned(s.nfkc().collect()),
    }
}

/// Punctuation of Chinese text that NFKC leaves as it is: 、。〃 the brackets 〈〉《》「」
/// 『』【】〔〕〖〗〘〙〚〛〜〝〞〟, the dashes and quotes ‐–—‘’“”, ·, ×, ÷ and ‰.
fn is_own_nfkc(c: char) -> bool {
    matches!(c, '\u{3001}'..='\u{3003}' | '\u{3008}'..='\u{3011}' | '\u{3014}'..='\u{301F}' | '\u{2010}' | '\u{2013}' | '\u{2014}' | '\u{2018}' | '\u{2019}' | '\u{201C}' | '\u{201D}' | '\u{00B7}' | '\u{00D7}' | '\u{00F7}' | '\u{2030}')
}

/// A full-width form's NFKC: U+FF01–U+FF5E are ASCII's ！…～, U+3000 the space.
fn wide(c: char) -> Option<char> {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
        '\u{3000}' => Some(' '),
        _ => None,
    }
}

/// Normalise an indicator or unit name for matching: half-width, no spaces or quotes,
/// one kind of bracket, lower case Latin. (One pass: it runs on every header cell.)
///
/// The bracket, quote and comma folding is the project's own: NFKC leaves `【】`, `〔〕`,
/// `、` and curly quotes alone, and the returns use them interchangeably in names.
pub fn normalize_name(s: &str) -> String {
    let folded = fold_width(s);
    let mut out = String::with_capacity(folded.len());
    for c in folded.chars() {
        match c {
            c if c.is_whitespace() => {}
            '“' | '”' | '"' | '\'' | '‘' | '’' | '「' | '」' | '『' | '』' | '《' | '》' | '\u{200B}'..='\u{200F}' | '\u{FEFF}' =>
                {}
            '（' | '[' | '【' | '〔' => out.push('('),
            '）' | ']' | '】' | '〕' => out.push(')'),
            '、' | '，' => out.push(','),
            c => out.push(c.to_ascii_lowercase()),
        }
    }
    out
}

/// Remove a unit written at the end of a name, such as `(%)` or `（个）`.
pub fn strip_unit_suffix(name: &str) -> String {
    if let Some(open) = name.rfind('(') {
        if name.ends_with(')') {
            let inner = &name[open + 1..name.len() - 1];
            if inner.chars().count() <= 6 && !inner.is_empty() {
                return name[..open].to_string();
            }
        }
    }
    name.to_string()
}

/// How wide a text prints in a spreadsheet column, in widths of “0” (a Chinese
/// character takes two).
pub fn display_width(t: &str) -> f64 {
    t.chars().map(|c| if c.is_ascii() { 1.0 } else { 2.0 }).sum()
}

/// The lines a text takes wrapped in a column `width` wide (in widths of “0”).
pub fn wrapped_lines(t: &str, width: f64) -> f64 {
    t.split('\n').map(|l| (display_width(l) / (width - 1.0).max(1.0)).ceil().max(1.0)).sum()
}

/// The height (points) of a spreadsheet row whose cells hold these texts in columns of
/// these widths: LibreOffice and WPS do not fit the height of a row written with wrapped
/// text themselves.
pub fn row_height(cells: &[(&str, f64)]) -> f64 {
    15.0 * cells.iter().map(|(t, w)| wrapped_lines(t, *w)).fold(1.0, f64::max)
}

/// Dice similarity of character bigrams, 0..=1, for "did you mean" suggestions.
///
/// Hand-written on purpose: edit-distance crates (strsim and the like) weigh every
/// character alike, while in Chinese names the two-character words carry the meaning
/// (`执业医师` vs `注册护士`); shared character pairs match that, are order-tolerant for
/// names written with words swapped, and need a dozen lines.
pub fn similarity(a: &str, b: &str) -> f64 {
    let grams = |s: &str| -> Vec<(char, char)> {
        let cs: Vec<char> = s.chars().collect();
        cs.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (ga, gb) = (grams(a), grams(b));
    if ga.is_empty() || gb.is_empty() {
        return if a == b { 1.0 } else { 0.0 };
    }
    let mut used = vec![false; gb.len()];
    let mut common = 0usize;
    for g in &ga {
        if let Some(pos) = gb.iter().enumerate().position(|(i, h)| !used[i] && h == g) {
            used[pos] = true;
            common += 1;
        }
    }
    2.0 * common as f64 / (ga.len() + gb.len()) as f64
}

/// Make cell text safe to print on a terminal or in a CSV: control characters and
/// bidirectional overrides are shown as `\u{..}`, very long text is cut with a note.
pub fn printable(s: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n >= max_chars {
            out.push_str(&format!("…（共{}字，已截断）", s.chars().count()));
            break;
        }
        if c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}') {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// At most `max_chars` characters, with a note when cut (cells and documents have limits:
/// an xlsx cell holds 32,767 characters).
pub fn clip(s: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max_chars) {
        None => std::borrow::Cow::Borrowed(s),
        Some((i, _)) => std::borrow::Cow::Owned(format!("{}…（共{}字，已截断）", &s[..i], s.chars().count())),
    }
}

/// The name to send a corrected return under: the file's own name without a version
/// marker it already carries (填报表（更正） → 填报表), with （修改版）, of type `ext`
/// (the annotated copy's) or its own: 市残联_2025年度填报表（修改版）.xlsx. A file that is
/// already a corrected version gets the next one (（修改版） → （第3版）, （第3版） → （第4版）),
/// so that the new file neither takes the name of the one it corrects (saved beside it,
/// it would replace it) nor ranks below it (`versions::name_rank`).
pub fn corrected_name(file: &str, ext: Option<&str>) -> String {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let (stem, own) = name.rsplit_once('.').unwrap_or((name, "xlsx"));
    let markers = ["修改", "更正", "修订", "修正", "版", "最终", "定稿"];
    let mut base = stem;
    for (open, close) in [('（', '）'), ('(', ')')] {
        if let Some(body) = stem.strip_suffix(close) {
            if let Some(i) = body.rfind(open) {
                if markers.iter().any(|m| body[i..].contains(m)) {
                    base = &stem[..i];
                }
            }
        }
    }
    let mark = match crate::versions::name_rank(name).0 {
        0 | 1 => "修改版".to_string(),
        r if r < 999 => format!("第{}版", r + 1),
        // 最终/定稿: as final as the one it corrects (then the later file is the newer).
        _ => "最终修改版".to_string(),
    };
    format!("{base}（{mark}）.{}", ext.unwrap_or(own))
}

/// A rate in per cent with one fixed decimal (98.96 → "99.0", 100 → "100.0"), so that a
/// column of rates reads alike and a rounded one does not look whole.
pub fn fmt_rate(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let s = format!("{v:.1}");
    if s == "-0.0" {
        "0.0".to_string()
    } else {
        s
    }
}

/// Format a number the way Chinese statistical tables do: no trailing zeros, at most
/// `max_dp` decimals.
pub fn fmt_num(v: f64, max_dp: usize) -> String {
    if !v.is_finite() {
        return String::new();
    }
    // Whole numbers (most figures, and years) without going through a formatted float.
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return (v as i64).to_string();
    }
    let s = format!("{:.*}", max_dp, v);
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "-0" {
        "0".to_string()
    } else {
        s
    }
}

/// A figure with exactly `dp` decimals (the decimals its indicator is shown with):
/// 96.5 with 1 → 96.5, 96 with 1 → 96.0, 4 with 0 → 4.
pub fn fixed(v: f64, dp: usize) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let s = format!("{:.*}", dp, v);
    if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// A character XML 1.0 cannot hold (and so no Word file): the C0 controls other than
/// tab, line feed and carriage return, and U+FFFE/U+FFFF.
pub fn xml_unsafe(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// A file or folder name as people see it, kept distinct where it is not valid Unicode:
/// each byte that is not part of UTF-8 (Unix) or each lone surrogate (Windows) is shown
/// as `\xFF` / `\u{D800}`, and on Unix a backslash itself as `\\`, so that two names
/// that differ only in such bytes are never shown alike. The same text appears in the
/// manifest, the CSV tables and on the terminal.
pub fn os_display(name: &std::ffi::OsStr) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::new();
        for chunk in name.as_bytes().utf8_chunks() {
            for c in chunk.valid().chars() {
                if c == '\\' {
                    out.push_str("\\\\");
                } else {
                    out.push(c);
                }
            }
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02X}"));
            }
        }
        out
    }
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStrExt;
        char::decode_utf16(name.encode_wide())
            .map(|c| c.map(String::from).unwrap_or_else(|e| format!("\\u{{{:04X}}}", e.unpaired_surrogate())))
            .collect()
    }
    #[cfg(not(any(unix, windows)))]
    {
        name.to_string_lossy().into_owned()
    }
}

/// Lower-case hexadecimal digits of bytes (digests in the manifest).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise() {
        assert_eq!(normalize_name("每千人口拥有执业（助理）医师数"), normalize_name("每千人口拥有执业(助理)医师数"));
        assert_eq!(normalize_name("中等职业教育“双师型”教师比例"), "中等职业教育双师型教师比例");
        assert_eq!(normalize_name(" 学前教育 毛入园率 "), "学前教育毛入园率");
        assert_eq!(strip_unit_suffix(&normalize_name("学前教育毛入园率（%）")), "学前教育毛入园率");
        assert_eq!(fold_width("９４．５％"), "94.5%");
        assert_eq!(fold_width("\u{3000}１２"), " 12");
        assert!(matches!(fold_width("每千人口 94.5%"), Cow::Borrowed(_)), "normal text is not copied");
        // Kangxi radicals, as PDF copy-and-paste often gives them.
        assert_eq!(fold_width("每千⼈⼝拥有"), "每千人口拥有");
        // The fast path's characters are each their own NFKC (checked for every one).
        for c in (0u32..0x80).chain(0x4E00..=0x9FFF).filter_map(char::from_u32) {
            let s = format!("a{c}1{c}");
            assert_eq!(s.nfkc().collect::<String>(), s, "U+{:04X}", c as u32);
        }
        assert_eq!(normalize_name("每千⼈⼝拥有３岁以下婴幼⼉托位数"), normalize_name("每千人口拥有3岁以下婴幼儿托位数"));
        // The second fast path gives NFKC, character by character and in company.
        let second: Vec<char> =
            (0u32..0x3100).chain(0xFF00..0xFF70).filter_map(char::from_u32).filter(|&c| is_own_nfkc(c) || wide(c).is_some()).collect();
        assert!(second.len() > 120, "{}", second.len());
        for &c in &second {
            for s in [format!("{c}"), format!("a{c}1{c}"), format!("每{c}千（{c}）"), format!("{c}e")] {
                assert_eq!(fold_width(&s), s.nfkc().collect::<String>(), "U+{:04X} in {s:?}", c as u32);
            }
        }
        assert_eq!(fold_width("（１２．５％）、“甲”"), "(12.5%)、“甲”");
        // A combining mark leaves the fast paths: NFKC composes it.
        assert_eq!(fold_width("ｅ\u{301}"), "é");
    }

    #[test]
    fn corrected_names_rank_above_the_file_they_correct() {
        let rank = |n: &str| crate::versions::name_rank(n).0;
        for (file, corrected) in [
            ("市残联_2025年度填报表.xlsx", "市残联_2025年度填报表（修改版）.xlsx"),
            ("市残联_2025年度填报表（更正）.xlsx", "市残联_2025年度填报表（第3版）.xlsx"),
            ("市残联_2025年度填报表（修改版）.xlsx", "市残联_2025年度填报表（第3版）.xlsx"),
            ("市残联_2025年度填报表（第3版）.xlsx", "市残联_2025年度填报表（第4版）.xlsx"),
            ("市残联_2025年度填报表_v1.xlsx", "市残联_2025年度填报表_v1（修改版）.xlsx"),
            ("市残联_2025年度填报表（最终）.xlsx", "市残联_2025年度填报表（最终修改版）.xlsx"),
        ] {
            let got = corrected_name(file, None);
            assert_eq!(got, corrected, "{file}");
            assert_ne!(got, file);
            assert!(rank(&got) >= rank(file), "{file}: {} below {}", rank(&got), rank(file));
        }
        assert_eq!(corrected_name("sub/市残联_2025年度填报表.xls", Some("xlsx")), "市残联_2025年度填报表（修改版）.xlsx");
    }

    #[test]
    fn printable_escapes_controls_and_bidi() {
        assert_eq!(printable("a\u{202E}b\n", 100), "a\\u{202E}b\\u{000A}");
        assert!(printable(&"长".repeat(50), 10).contains("已截断"));
    }

    #[test]
    fn numbers_format_without_trailing_zeros() {
        assert_eq!(fmt_num(94.0, 2), "94");
        assert_eq!(fmt_num(2.840, 2), "2.84");
        assert_eq!(fmt_num(-0.0, 2), "0");
        assert_eq!(fmt_num(2025.0, 10), "2025");
        assert_eq!(fmt_num(-3.0, 2), "-3");
        assert_eq!(fmt_num(1e15, 2), "1000000000000000");
        assert_eq!(fmt_num(0.1 + 0.2, 10), "0.3");
        assert_eq!(fmt_num(-0.0001, 2), "0");
    }
}

/// “…“…”…” → “…‘…’…”: quotation marks opened inside a quotation become single ones.
/// Unbalanced marks are left as they are written.
pub fn nest_quotes(s: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '“' => {
                out.push(if depth % 2 == 1 { '‘' } else { '“' });
                depth += 1;
            }
            '”' if depth > 0 => {
                depth -= 1;
                out.push(if depth % 2 == 1 { '’' } else { '”' });
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod quote_tests {
    #[test]
    fn quotes_in_quotes_become_single() {
        assert_eq!(super::nest_quotes("““人社+村居”就业公共服务平台覆盖率”为97.9%"), "“‘人社+村居’就业公共服务平台覆盖率”为97.9%");
        assert_eq!(super::nest_quotes("“a“b“c”d”e”"), "“a‘b“c”d’e”");
        assert_eq!(super::nest_quotes("“A“B”C”与“D”"), "“A‘B’C”与“D”");
        assert_eq!(super::nest_quotes("未闭合”的"), "未闭合”的");
    }
}
