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
}

impl InvalidInput {
    /// An error about `field` with a stable `code` and a plain `message`.
    pub fn new(field: &'static str, code: &'static str, message: String) -> Self {
        Self {
            field,
            code,
            message,
        }
    }
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
