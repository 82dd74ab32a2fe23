//! Dates and times: the calendar arithmetic the stages share (run ids, the manifest,
//! the creation time stamped into documents), without a date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since 1970 now (wall clock: used for run ids and the manifest only, never
/// inside the documents, which stay reproducible).
pub fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// 北京时间 is UTC+8 all year.
pub const BEIJING_OFFSET: i64 = 8 * 3600;

/// The calendar day in Beijing at a moment (seconds since 1970).
pub fn beijing_date(unix: i64) -> (i32, u32, u32) {
    civil_from_days((unix + BEIJING_OFFSET).div_euclid(86_400))
}

/// The start of a Beijing day, in seconds since 1970.
pub fn beijing_midnight((y, m, d): (i32, u32, u32)) -> i64 {
    days_from_civil(y, m, d) * 86_400 - BEIJING_OFFSET
}

/// 2026-01-20, 2026/1/20, 2026.1.20 or 2026年1月20日 → (2026, 1, 20), a real date.
pub fn parse_date(text: &str) -> Option<(i32, u32, u32)> {
    let nums: Vec<i64> = crate::text::fold_width(text)
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect::<Option<Vec<i64>>>()?;
    let [y, m, d] = nums[..] else { return None };
    let (y, m, d) = (i32::try_from(y).ok()?, u32::try_from(m).ok()?, u32::try_from(d).ok()?);
    ((1900..2200).contains(&y) && civil_from_days(days_from_civil(y, m, d)) == (y, m, d)).then_some((y, m, d))
}

/// `2026年1月20日`.
pub fn chinese_date((y, m, d): (i32, u32, u32)) -> String {
    format!("{y}年{m}月{d}日")
}

/// `2026-11-28T16:23:00Z`.
pub fn iso_time(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    let s = unix.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

/// (year, month, day) → days since 1970-01-01.
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y } as i64;
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(days_from_civil(2025, 12, 31)), (2025, 12, 31));
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(iso_time(1_767_225_600), "2026-01-01T00:00:00Z");
    }

    #[test]
    fn beijing_days() {
        // 2026-01-19 23:30 UTC is already the 20th in Beijing; 2026-01-20 15:59 UTC still is.
        let t = days_from_civil(2026, 1, 19) * 86_400 + 23 * 3600 + 1800;
        assert_eq!(beijing_date(t), (2026, 1, 20));
        assert_eq!(beijing_date(days_from_civil(2026, 1, 20) * 86_400 + 15 * 3600 + 3599), (2026, 1, 20));
        assert_eq!(beijing_date(beijing_midnight((2026, 1, 20))), (2026, 1, 20));
        assert_eq!(parse_date("2026年1月20日"), Some((2026, 1, 20)));
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("2026-1"), None);
        assert_eq!(chinese_date((2026, 1, 5)), "2026年1月5日");
    }
}
