//! Generic rules for text typed by people or read off the wire: trimmed, in
//! Unicode NFC form, within a character count, free of control characters; and
//! [`InvalidInput`], the one error every input check returns. Depends on nothing.

use unicode_normalization::UnicodeNormalization;

/// One rejected input field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidInput {
    /// The field that was wrong (`title`, `price_idr`, ...).
    pub field: &'static str,
    /// A stable code for programs (`too_long`, `negative`, ...).
    pub code: &'static str,
    /// One line in plain words: what was expected and what was found.
    pub message: String,
    /// The largest value the field takes, when it is a number field refused as
    /// `too_large` (so a page can state the limit in its own words).
    pub limit: Option<i64>,
}

impl InvalidInput {
    /// An error about `field` with a stable `code` and a plain `message`.
    pub fn new(field: &'static str, code: &'static str, message: String) -> Self {
        Self {
            field,
            code,
            message,
            limit: None,
        }
    }

    /// The same error, stating the largest value `field` takes.
    pub fn with_limit(mut self, limit: i64) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// Characters people put between thousands: a dot (Indonesian), a space, a
/// no-break or narrow no-break space (what spreadsheets and phones paste).
const THOUSANDS_SEPARATORS: [char; 4] = ['.', ' ', '\u{a0}', '\u{202f}'];

/// Reads a whole number as people type it, the one rule of every number field
/// (price, stock, quantity, fee minimum, payout): digits, optionally grouped in
/// thousands by dots or spaces ("1000", "1.000", "1 000", "1.250.000").
/// Errors on `field`: `empty`; `negative` ("-5"); `not_a_number` (letters,
/// fractions like "1,5" or "1.5", groups not of three digits); `too_large`
/// above `max`, carrying `max` as its [`InvalidInput::limit`].
pub fn parse_whole(field: &'static str, text: &str, max: i64) -> Result<i64, InvalidInput> {
    let trimmed = text.trim_matches(|c: char| c.is_whitespace());
    if trimmed.is_empty() {
        return Err(InvalidInput::new(
            field,
            "empty",
            format!("{field} must not be empty"),
        ));
    }
    let shown: String = trimmed.chars().take(40).collect();
    let not_a_number = || {
        InvalidInput::new(
            field,
            "not_a_number",
            format!(
                "{field} must be a whole number written with digits, like 1000 or 1.000; found '{shown}'"
            ),
        )
    };
    let (negative, body) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, trimmed),
    };
    let mut groups = body.split(THOUSANDS_SEPARATORS);
    let first = groups.next().unwrap_or_default();
    let grouped_ok = !first.is_empty()
        && first.chars().all(|c| c.is_ascii_digit())
        && groups.all(|g| g.len() == 3 && g.chars().all(|c| c.is_ascii_digit()));
    let separated = body.contains(THOUSANDS_SEPARATORS);
    if !grouped_ok || (separated && first.len() > 3) {
        return Err(not_a_number());
    }
    let digits: String = body.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0');
    if negative && !significant.is_empty() {
        return Err(InvalidInput::new(
            field,
            "negative",
            format!("{field} must be zero or more, found '{shown}'"),
        ));
    }
    let too_large = || {
        InvalidInput::new(
            field,
            "too_large",
            format!("{field} may be at most {max}, found '{shown}'"),
        )
        .with_limit(max)
    };
    // More digits than any i64 has: too large, without parsing.
    if significant.len() > 18 {
        return Err(too_large());
    }
    let value = if significant.is_empty() {
        0
    } else {
        significant.parse::<i64>().map_err(|_| too_large())?
    };
    if value > max {
        return Err(too_large());
    }
    Ok(value)
}

/// Checks that a whole number lies in `range`. Otherwise an `out_of_range` error
/// on `field`: "{what} must be between {start} and {end}{unit}, found {value}"
/// (`unit` is "" or, with its leading space, " rupiah").
pub fn in_range(
    field: &'static str,
    what: &str,
    value: i64,
    range: std::ops::RangeInclusive<i64>,
    unit: &str,
) -> Result<i64, InvalidInput> {
    if range.contains(&value) {
        return Ok(value);
    }
    Err(InvalidInput::new(
        field,
        "out_of_range",
        format!(
            "{what} must be between {} and {}{unit}, found {value}",
            range.start(),
            range.end()
        ),
    ))
}

/// Trims, NFC-normalises and checks one line of text: no control characters,
/// between `min_chars` and `max_chars` characters.
pub fn text_line(
    field: &'static str,
    raw: &str,
    min_chars: usize,
    max_chars: usize,
) -> Result<String, InvalidInput> {
    text(field, raw, min_chars, max_chars, false)
}

/// Like [`text_line`] but allows line breaks (for descriptions).
pub fn text_block(
    field: &'static str,
    raw: &str,
    max_chars: usize,
) -> Result<String, InvalidInput> {
    text(field, raw, 0, max_chars, true)
}

fn text(
    field: &'static str,
    raw: &str,
    min_chars: usize,
    max_chars: usize,
    multi_line: bool,
) -> Result<String, InvalidInput> {
    let value: String = raw.trim().replace("\r\n", "\n").nfc().collect();
    let chars = value.chars().count();
    if chars < min_chars {
        return Err(InvalidInput::new(
            field,
            "empty",
            format!("{field} must not be empty"),
        ));
    }
    if chars > max_chars {
        return Err(InvalidInput::new(
            field,
            "too_long",
            format!("{field} is too long: at most {max_chars} characters, found {chars}"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !(multi_line && (c == '\n' || c == '\t')))
    {
        return Err(InvalidInput::new(
            field,
            "control_character",
            format!("{field} contains a control character"),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_accepts_thousands_separators() {
        for (text, value) in [
            ("1000", 1000),
            ("1.000", 1000),
            ("1 000", 1000),
            ("1\u{a0}000", 1000),
            (" 1.250.000 ", 1_250_000),
            ("0", 0),
            ("007", 7),
            ("-0", 0),
        ] {
            assert_eq!(parse_whole("stock", text, 10_000_000), Ok(value), "{text}");
        }
        for (text, code) in [
            ("", "empty"),
            ("  ", "empty"),
            ("1,5", "not_a_number"),
            ("1.5", "not_a_number"),
            ("1.0000", "not_a_number"),
            ("1000.000", "not_a_number"),
            ("1..000", "not_a_number"),
            (".000", "not_a_number"),
            ("1.000.", "not_a_number"),
            ("lima", "not_a_number"),
            ("5 buah", "not_a_number"),
            ("+5", "not_a_number"),
            ("-5", "negative"),
            ("١٢", "not_a_number"),
        ] {
            let error = parse_whole("stock", text, 10_000_000).unwrap_err();
            assert_eq!(error.code, code, "{text}");
            assert_eq!(error.field, "stock");
        }
    }

    #[test]
    fn number_limit_is_stated() {
        for text in [
            "1000001",
            "1.000.001",
            "9999999999999",
            "99999999999999999999999999999999",
        ] {
            let error = parse_whole("stock", text, 1_000_000).unwrap_err();
            assert_eq!(error.code, "too_large", "{text}");
            assert_eq!(error.limit, Some(1_000_000), "{text}");
            assert!(error.message.contains("1000000"), "{}", error.message);
        }
        assert_eq!(parse_whole("stock", "1.000.000", 1_000_000), Ok(1_000_000));
    }
}
