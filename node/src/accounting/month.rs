//! A calendar month in the center's local zone (WIB): parsing `2026-11`, the
//! month of an instant, its first and last instants.

use telecenter_protocol::text::InvalidInput;

use crate::clock::{local_datetime, local_offset};

/// A calendar month in the center's local zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u8,
}

impl Month {
    /// Parses `2026-11`.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        let bad = || {
            InvalidInput::new(
                "month",
                "not_a_month",
                format!("expected a month like 2026-11, found {text:?}"),
            )
        };
        let (year, month) = text.trim().split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let month: u8 = month.parse().map_err(|_| bad())?;
        if !(2000..=2999).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Self { year, month })
    }

    /// The month containing `ms` in the local zone.
    pub fn of(ms: i64) -> Self {
        let date = local_datetime(ms).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        Self {
            year: date.year(),
            month: u8::from(date.month()),
        }
    }

    /// The month as the `time` crate names it (January for a month out of range).
    fn calendar_month(self) -> time::Month {
        time::Month::try_from(self.month).unwrap_or(time::Month::January)
    }

    /// The next month.
    pub fn next(self) -> Self {
        let month = self.calendar_month().next();
        let year = if month == time::Month::January {
            self.year + 1
        } else {
            self.year
        };
        Self {
            year,
            month: u8::from(month),
        }
    }

    /// The month before.
    pub fn previous(self) -> Self {
        let month = self.calendar_month().previous();
        let year = if month == time::Month::December {
            self.year - 1
        } else {
            self.year
        };
        Self {
            year,
            month: u8::from(month),
        }
    }

    /// Its first instant (midnight of the 1st in the local zone), UTC ms.
    pub fn start_ms(self) -> i64 {
        let first = time::Date::from_calendar_date(self.year, self.calendar_month(), 1)
            .unwrap_or(time::Date::MIN)
            .midnight()
            .assume_offset(local_offset());
        first.unix_timestamp() * 1_000
    }

    /// The first instant of the next month, UTC ms.
    pub fn end_ms(self) -> i64 {
        self.next().start_ms()
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::rfc3339_utc;

    #[test]
    fn months_run_in_wib_and_parse_strictly() {
        let november = Month::parse("2026-11").unwrap();
        // 1 Nov 2026 00:00 WIB = 31 Oct 2026 17:00 UTC.
        assert_eq!(rfc3339_utc(november.start_ms()), "2026-10-31T17:00:00Z");
        assert_eq!(rfc3339_utc(november.end_ms()), "2026-11-30T17:00:00Z");
        assert_eq!(Month::of(november.start_ms()), november);
        assert_eq!(Month::of(november.start_ms() - 1), november.previous());
        assert_eq!(
            Month::parse("2026-12").unwrap().next().to_string(),
            "2027-01"
        );
        for bad in ["2026-13", "2026-1", "26-11", "november", "2026-00", ""] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }
}
