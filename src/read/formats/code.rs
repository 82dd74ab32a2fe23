//! Excel number format codes (xlsx, xlsb, xls): what one shows a positive number as.

use super::NumberFormat;

/// How the code `code` shows a positive number: its first section, read past quoted
/// text, escaped characters (`\x`, `!x`), spacing and fill (`_x`, `*x`) and bracketed
/// colours, locales and conditions. None when it does not show a decimal number: text
/// (`@`), dates and times, fractions.
///
/// Thousands scaling (`#,##0,` shows 1234567 as 1235) is not told apart: such a cell
/// reads as the decimals it shows, not the figure.
pub(super) fn parse(code: &str) -> Option<NumberFormat> {
    let mut percent = false;
    let mut point = false;
    let mut exponent = false;
    let mut digits = false;
    let mut decimals: u8 = 0;
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ';' => break,
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                }
            }
            '\\' | '!' | '_' | '*' => {
                chars.next();
            }
            '[' => {
                let mut inner = String::new();
                for b in chars.by_ref() {
                    if b == ']' {
                        break;
                    }
                    inner.push(b);
                }
                // [h]:mm, [mm]:ss: elapsed time. The rest ([Red], [$-804], [>=100],
                // [DBNum1]) does not change the digits shown.
                if !inner.is_empty() && inner.chars().all(|x| matches!(x.to_ascii_lowercase(), 'h' | 'm' | 's')) {
                    return None;
                }
            }
            '@' => return None,
            '%' => percent = true,
            '.' if !point && !exponent => point = true,
            '0' | '#' | '?' => {
                digits = true;
                if point && !exponent {
                    decimals = decimals.saturating_add(1);
                }
            }
            'E' | 'e' if matches!(chars.peek(), Some('+' | '-')) => exponent = true,
            '/' if digits => return None,
            'G' | 'g' if starts_general(c, &chars) => {
                // "General": a section showing the number as stored.
                for _ in 0..6 {
                    chars.next();
                }
            }
            'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' | 'e' | 'E' | 'g' | 'G' => return None,
            _ => {}
        }
    }
    Some(NumberFormat { percent, decimals: digits.then_some(decimals) })
}

fn starts_general(first: char, rest: &std::iter::Peekable<std::str::Chars>) -> bool {
    let word: String = std::iter::once(first).chain(rest.clone().take(6)).collect();
    word.eq_ignore_ascii_case("general")
}

/// The codes of Excel's built-in number formats that show decimal numbers (first
/// section only: that is all `parse` reads). Ids 5–8 and 41–44 depend on the locale for
/// the currency, never for the digits; the rest are dates, times or locale specific.
pub(super) fn builtin(id: u32) -> Option<&'static str> {
    Some(match id {
        0 => "General",
        1 => "0",
        2 => "0.00",
        3 | 5 | 6 | 37 | 38 | 41 | 42 => "#,##0",
        4 | 7 | 8 | 39 | 40 | 43 | 44 => "#,##0.00",
        9 => "0%",
        10 => "0.00%",
        11 => "0.00E+00",
        12 => "# ?/?",
        13 => "# ??/??",
        48 => "##0.0E+0",
        49 => "@",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How a code shows a number: with `d` decimals, as a percentage with `d`, as stored.
    fn number(d: u8) -> Option<NumberFormat> {
        Some(NumberFormat { percent: false, decimals: Some(d) })
    }

    fn percent(d: u8) -> Option<NumberFormat> {
        Some(NumberFormat { percent: true, decimals: Some(d) })
    }

    const GENERAL: Option<NumberFormat> = Some(NumberFormat { percent: false, decimals: None });

    #[test]
    fn formats_codes_percent_and_decimals_of_the_first_section() {
        let cases: &[(&str, Option<NumberFormat>)] = &[
            ("General", GENERAL),
            ("general", GENERAL),
            ("0", number(0)),
            ("0.0", number(1)),
            ("#,##0", number(0)),
            ("#,##0.00", number(2)),
            ("0.0#", number(2)),
            (".00", number(2)),
            ("0%", percent(0)),
            ("0.00%", percent(2)),
            ("0.0%", percent(1)),
            ("0.00%;[Red]-0.00%", percent(2)),
            ("0.00;[Red]-0.00%", number(2)),
            ("[Red]0.0%", percent(1)),
            ("[$-804]0.0", number(1)),
            ("[>=100]0.0;0.00", number(1)),
            ("[DBNum1][$-804]General", GENERAL),
            ("0.00E+00", number(2)),
            ("##0.0E+0", number(1)),
            ("\"$\"#,##0.00_);(\"$\"#,##0.00)", number(2)),
            ("_(* #,##0.00_);_(* (#,##0.00);_(* \"-\"??_);_(@_)", number(2)),
            ("#,##0.00 \"元\"", number(2)),
            ("0.0\"%\"", number(1)),
            ("0.0\\%", number(1)),
            ("0.0!%", number(1)),
            ("0.0_%", number(1)),
            ("0!.0000", number(0)),
            ("\"合计\"", GENERAL),
            (";;;", GENERAL),
            ("@", None),
            ("# ?/?", None),
            ("yyyy-mm-dd", None),
            ("yyyy\"年\"m\"月\"d\"日\"", None),
            ("h:mm AM/PM", None),
            ("[h]:mm:ss", None),
            ("mm:ss.0", None),
            ("e\"年\"", None),
        ];
        for (code, want) in cases {
            assert_eq!(parse(code), *want, "{code}");
        }
    }

    #[test]
    fn formats_builtin_percentages_are_ids_9_and_10() {
        let percent: Vec<u32> = (0..200).filter(|&id| builtin(id).and_then(parse).is_some_and(|f| f.percent)).collect();
        assert_eq!(percent, [9, 10]);
        assert_eq!(builtin(14), None, "a date");
    }
}
