//! Money as people read and type it: whole rupiah formatted `Rp 15.000` and
//! parsed back from the everyday forms.

use telecenter_protocol::limits::PRICE_IDR_MAX;
use telecenter_protocol::text::{InvalidInput, parse_whole};

/// Formats whole rupiah the Indonesian way: `Rp 15.000`, `Rp 1.250.000`.
pub fn format_rupiah(amount: i64) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    format!("{sign}Rp {}", format_whole(amount.unsigned_abs()))
}

/// Formats a whole number grouped in thousands with dots: `1.000.000`.
pub fn format_whole(amount: impl Into<i128>) -> String {
    let amount: i128 = amount.into();
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let sign = if amount < 0 { "-" } else { "" };
    format!("{sign}{grouped}")
}

/// The first 40 characters of `text`, with `…` when it was longer (for error messages).
pub(crate) fn short(text: &str) -> String {
    let mut s: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        s.push('…');
    }
    s
}

/// Reads a rupiah amount of at most [`PRICE_IDR_MAX`]: see [`parse_rupiah_max`].
pub fn parse_rupiah(field: &'static str, text: &str) -> Result<i64, InvalidInput> {
    parse_rupiah_max(field, text, PRICE_IDR_MAX)
}

/// Reads a rupiah amount of at most `max`: an optional `Rp` prefix, then a whole
/// number by the one rule of [`parse_whole`] ("15000", "15.000", "15 000",
/// "Rp 15.000"). Fractions are refused (`not_rupiah`): money is whole rupiah;
/// above `max`, `too_large` stating the limit.
pub fn parse_rupiah_max(field: &'static str, text: &str, max: i64) -> Result<i64, InvalidInput> {
    let trimmed = text.trim();
    let body = trimmed
        .strip_prefix("Rp")
        .or_else(|| trimmed.strip_prefix("rp"))
        .or_else(|| trimmed.strip_prefix("RP"))
        .unwrap_or(trimmed)
        .trim_start_matches('.')
        .trim();
    parse_whole(field, body, max).map_err(|error| match error.code {
        "not_a_number" | "empty" => InvalidInput::new(
            field,
            "not_rupiah",
            format!(
                "{field} must be whole rupiah written with digits, like 15000 or 15.000; found '{}'",
                short(trimmed)
            ),
        ),
        "negative" => InvalidInput::new(
            field,
            "negative",
            format!(
                "{field} must be zero or more whole rupiah, found '{}'",
                short(trimmed)
            ),
        ),
        "too_large" => InvalidInput::new(
            field,
            "too_large",
            format!("{field} may be at most {max} rupiah, found '{}'", short(trimmed)),
        )
        .with_limit(max),
        _ => error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_is_grouped_with_dots() {
        assert_eq!(format_rupiah(0), "Rp 0");
        assert_eq!(format_rupiah(500), "Rp 500");
        assert_eq!(format_rupiah(15_000), "Rp 15.000");
        assert_eq!(format_rupiah(1_250_000), "Rp 1.250.000");
        assert_eq!(format_rupiah(-2_000), "-Rp 2.000");
    }

    #[test]
    fn rupiah_amounts_in_everyday_forms() {
        for (text, value) in [
            ("15000", 15_000),
            ("15.000", 15_000),
            ("Rp 15.000", 15_000),
            ("Rp15.000", 15_000),
            ("1.250.000", 1_250_000),
            ("0", 0),
            ("15 000", 15_000),
        ] {
            assert_eq!(parse_rupiah("price", text), Ok(value), "{text}");
        }
        for bad in [
            "",
            "abc",
            "15,5",
            "15.00",
            "1.2345",
            "-5",
            "15.000,50",
            "Rp",
            "99999999999999999999",
            "2000000000",
        ] {
            assert!(parse_rupiah("price", bad).is_err(), "{bad}");
        }
    }
}
