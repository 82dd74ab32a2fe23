//! Dates and times the stages share: run ids, the manifest, the 成文日期 and the
//! creation time stamped into documents. Calendar arithmetic and time zones are the
//! `time` crate's; this module only says which zone (北京时间) and which formats.

use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, UtcOffset};

/// Seconds since 1970 now (wall clock: used for run ids and the manifest only, never
/// inside the documents, which stay reproducible).
pub fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// 北京时间 is UTC+8 all year (China has had no daylight saving time since 1991), so a
/// fixed offset is exact for every date the tool handles; it does not depend on the
/// time zone the office computer is set to.
pub const BEIJING: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("UTC+8 is a valid offset"),
};

/// A moment (seconds since 1970), clamped to what the calendar can hold.
fn moment(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(if unix < 0 { OffsetDateTime::UNIX_EPOCH } else { max_moment() })
}

fn max_moment() -> OffsetDateTime {
    Date::MAX.midnight().assume_utc()
}

/// The calendar day in Beijing at a moment (seconds since 1970).
pub fn beijing_date(unix: i64) -> Date {
    moment(unix).to_offset(BEIJING).date()
}

/// The start of a Beijing day, in seconds since 1970.
pub fn beijing_midnight(date: Date) -> i64 {
    date.midnight().assume_offset(BEIJING).unix_timestamp()
}

/// The day (UTC) of a moment.
pub fn utc_date(unix: i64) -> Date {
    moment(unix).date()
}

/// Midnight UTC at the start of a day, in seconds since 1970.
pub fn utc_midnight(date: Date) -> i64 {
    date.midnight().assume_utc().unix_timestamp()
}

/// A date from year, month and day, if it exists (2025-02-29 does not).
pub fn ymd(year: i32, month: u8, day: u8) -> Option<Date> {
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// Whether the date written as `text` is after `written` (the documents' 成文日期): a
/// 填报日期 that cannot be when the return came in. False when either is missing.
pub fn after_written(text: &str, written: Option<Date>) -> bool {
    written.zip(parse_date(text)).is_some_and(|(w, d)| d > w)
}

/// 2026-01-20, 2026/1/20, 2026.1.20 or 2026年1月20日 (also in full-width digits) → a real
/// date between 1900 and 2199. Hand-written on purpose: the offices write dates in all
/// these ways, and a format string per way would still miss some.
pub fn parse_date(text: &str) -> Option<Date> {
    let nums: Vec<i64> = crate::text::fold_width(text)
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect::<Option<Vec<i64>>>()?;
    let [y, m, d] = nums[..] else { return None };
    let y = i32::try_from(y).ok().filter(|y| (1900..2200).contains(y))?;
    ymd(y, u8::try_from(m).ok()?, u8::try_from(d).ok()?)
}

/// `2026年1月20日`.
pub fn chinese_date(date: Date) -> String {
    format!("{}年{}月{}日", date.year(), u8::from(date.month()), date.day())
}

/// `2026-11-28T16:23:00Z` (RFC 3339, UTC).
pub fn iso_time(unix: i64) -> String {
    moment(unix).format(&Rfc3339).unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// Stage times for profiling: with `PLANMON_TRACE=<file>` set, every process of a run
/// (this one and its workers, which inherit the variable) appends one line per mark to
/// that file — process id, wall time in microseconds since 1970, what was reached. The
/// bench reads it back; without the variable a mark costs one lookup.
pub fn mark(what: &str) {
    use std::io::Write;
    static TRACE: std::sync::OnceLock<Option<std::sync::Mutex<std::fs::File>>> = std::sync::OnceLock::new();
    let file = TRACE.get_or_init(|| {
        let path = std::env::var_os("PLANMON_TRACE")?;
        std::fs::OpenOptions::new().create(true).append(true).open(path).ok().map(std::sync::Mutex::new)
    });
    if let Some(file) = file {
        let micros = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros()).unwrap_or(0);
        if let Ok(mut f) = file.lock() {
            // One write per line: the processes' lines never interleave.
            let _ = f.write_all(format!("{}\t{micros}\t{what}\n", std::process::id()).as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times_in_utc() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_time(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(utc_date(utc_midnight(ymd(2024, 2, 29).unwrap())), ymd(2024, 2, 29).unwrap());
    }

    #[test]
    fn beijing_days() {
        let day = |y, m, d| ymd(y, m, d).unwrap();
        // 2026-01-19 23:30 UTC is already the 20th in Beijing; 2026-01-20 15:59:59 UTC still is.
        let t = utc_midnight(day(2026, 1, 19)) + 23 * 3600 + 1800;
        assert_eq!(beijing_date(t), day(2026, 1, 20));
        assert_eq!(beijing_date(utc_midnight(day(2026, 1, 20)) + 15 * 3600 + 3599), day(2026, 1, 20));
        assert_eq!(beijing_date(utc_midnight(day(2026, 1, 20)) + 16 * 3600), day(2026, 1, 21));
        assert_eq!(beijing_midnight(day(2026, 1, 20)), utc_midnight(day(2026, 1, 19)) + 16 * 3600);
        assert_eq!(beijing_date(beijing_midnight(day(2026, 1, 20))), day(2026, 1, 20));
    }

    #[test]
    fn dates_as_the_offices_write_them() {
        let day = |y, m, d| ymd(y, m, d);
        assert_eq!(parse_date("2026年1月20日"), day(2026, 1, 20));
        assert_eq!(parse_date("２０２６．１．２０"), day(2026, 1, 20));
        assert_eq!(parse_date("2026/01/20"), day(2026, 1, 20));
        assert_eq!(parse_date("2024-02-29"), day(2024, 2, 29));
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("2026-1"), None);
        assert_eq!(parse_date("1850-1-1"), None);
        assert_eq!(chinese_date(day(2026, 1, 5).unwrap()), "2026年1月5日");
    }
}
