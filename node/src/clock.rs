//! The one place the node reads the time. Everything else asks an injected
//! [`Clock`], so tests and simulations control time. The center's local zone
//! and times written in it for people live in [`local`].

mod local;

pub use local::{
    LOCAL_OFFSET_HOURS, LOCAL_ZONE_NAME, local_datetime, local_offset, local_time_with,
};

use std::sync::atomic::{AtomicI64, Ordering};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch, UTC.
    fn now_ms(&self) -> i64;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        // The single sanctioned read of the OS clock (see clippy.toml).
        #[allow(clippy::disallowed_methods)]
        let now = std::time::SystemTime::now();
        now.duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to; for tests and simulations.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock standing at `now_ms`.
    pub fn new(now_ms: i64) -> Self {
        Self(AtomicI64::new(now_ms))
    }

    /// Moves the clock forward by `ms`.
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Formats milliseconds since the epoch as an RFC 3339 UTC time
/// (`2026-11-23T01:19:35Z`), the form used on the wire.
pub fn rfc3339_utc(ms: i64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.replace_nanosecond(0).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// Parses an RFC 3339 time back into milliseconds since the epoch.
pub fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    let time =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(time.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_as_utc() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_795_396_775_123), "2026-11-23T01:19:35Z");
        assert_eq!(
            parse_rfc3339_ms("2026-11-23T01:19:35Z"),
            Some(1_795_396_775_000)
        );
        assert_eq!(parse_rfc3339_ms("yesterday"), None);
        let clock = ManualClock::new(5);
        clock.advance(10);
        assert_eq!(clock.now_ms(), 15);
    }
}
