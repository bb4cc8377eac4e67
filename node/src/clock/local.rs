//! The center's local zone (WIB, UTC+7) and times written in it for people.
//! Times are stored and sent as UTC; pages and monthly reports use this zone.

/// The center's local zone for pages: WIB (UTC+7). Indonesia has no daylight time.
pub const LOCAL_OFFSET_HOURS: i8 = 7;
/// Its name on pages.
pub const LOCAL_ZONE_NAME: &str = "WIB";

/// The local zone as an offset from UTC.
pub fn local_offset() -> time::UtcOffset {
    time::UtcOffset::from_hms(LOCAL_OFFSET_HOURS, 0, 0).unwrap_or(time::UtcOffset::UTC)
}

/// `ms` since the epoch as a date and time in the local zone; `None` outside
/// the calendar's range (years 1 to 9999 in both UTC and the local zone).
pub fn local_datetime(ms: i64) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()?
        .checked_to_offset(local_offset())
}

/// A time for people: `23 Nov 2026 08.19 WIB`. The month's name comes from
/// the caller's words (`month_name` gets 1–12); `separator` goes between hours
/// and minutes. Empty for a time outside the calendar's range.
pub fn local_time_with(
    ms: i64,
    month_name: impl Fn(u8) -> &'static str,
    separator: char,
) -> String {
    let Some(local) = local_datetime(ms) else {
        return String::new();
    };
    format!(
        "{} {} {} {:02}{separator}{:02} {LOCAL_ZONE_NAME}",
        local.day(),
        month_name(u8::from(local.month())),
        local.year(),
        local.hour(),
        local.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_wib_and_never_panic() {
        let month = |m: u8| {
            [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ][usize::from(m - 1)]
        };
        assert_eq!(
            local_time_with(1_795_396_775_123, month, '.'),
            "23 Nov 2026 08.19 WIB"
        );
        // The last UTC millisecond the calendar holds is already next year in
        // WIB: no local time, and no panic.
        let last_ms = 253_402_300_799_999;
        assert!(local_datetime(last_ms).is_none());
        assert_eq!(local_time_with(last_ms, month, ':'), "");
        assert_eq!(local_time_with(i64::MAX, month, ':'), "");
        assert_eq!(local_time_with(i64::MIN, month, ':'), "");
    }
}
