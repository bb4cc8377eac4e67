//! Indonesian phone and WhatsApp numbers as people type them (`0812-3456-7890`,
//! `+62 812 3456 7890`, `62812…`, `(0341) 551234`) brought to one form,
//! `+62` followed by the national number without its leading 0.

use crate::limits::PHONE_CHARS_MAX;
use crate::text::InvalidInput;

/// Fewest digits of a national number after `+62` (a short landline with its
/// area code, e.g. `0341 55123` → `34155123`, has 7 or more).
pub const NATIONAL_DIGITS_MIN: usize = 7;
/// Most digits of a national number after `+62` (mobile numbers have up to 12).
pub const NATIONAL_DIGITS_MAX: usize = 13;

/// Brings an Indonesian number to `+62…`. Accepts digits with spaces, dots,
/// dashes and parentheses, written with `+62`, `62`, `0` or the bare national
/// number starting with `8` (a mobile number typed without its 0). Anything else
/// (letters, another country's code, too few or too many digits) is refused with
/// field `field`; the error never repeats the number (it may be logged).
pub fn normalize_phone(field: &'static str, raw: &str) -> Result<String, InvalidInput> {
    let raw = raw.trim();
    if raw.chars().count() > PHONE_CHARS_MAX {
        return Err(InvalidInput::new(
            field,
            "too_long",
            format!("a phone number has at most {PHONE_CHARS_MAX} characters"),
        ));
    }
    if raw.is_empty() {
        return Err(InvalidInput::new(
            field,
            "empty",
            "a phone number is required".to_owned(),
        ));
    }
    let mut digits = String::with_capacity(raw.len());
    for (at, c) in raw.char_indices() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if at == 0 => {}
            ' ' | '.' | '-' | '(' | ')' => {}
            _ => {
                return Err(InvalidInput::new(
                    field,
                    "not_a_phone_number",
                    "a phone number has only digits, spaces, +, -, . and ( )".to_owned(),
                ));
            }
        }
    }
    let international = raw.starts_with('+');
    let national = if international {
        let rest = digits.strip_prefix("62").ok_or_else(|| {
            InvalidInput::new(
                field,
                "not_indonesian",
                "only Indonesian numbers (+62…) are accepted".to_owned(),
            )
        })?;
        // `+62 (0)812…`: the trunk 0 some people keep after the country code.
        rest.strip_prefix('0').unwrap_or(rest)
    } else if let Some(rest) = digits.strip_prefix("62") {
        rest.strip_prefix('0').unwrap_or(rest)
    } else if let Some(rest) = digits.strip_prefix('0') {
        rest
    } else if digits.starts_with('8') {
        digits.as_str()
    } else {
        return Err(InvalidInput::new(
            field,
            "not_a_phone_number",
            "an Indonesian number starts with 0, 62 or +62".to_owned(),
        ));
    };
    if national.starts_with('0')
        || !(NATIONAL_DIGITS_MIN..=NATIONAL_DIGITS_MAX).contains(&national.len())
    {
        return Err(InvalidInput::new(
            field,
            "not_a_phone_number",
            format!(
                "an Indonesian number has {NATIONAL_DIGITS_MIN} to {NATIONAL_DIGITS_MAX} digits after 0 or +62"
            ),
        ));
    }
    Ok(format!("+62{national}"))
}

/// The digits `https://wa.me/` takes for a number already normalised by
/// [`normalize_phone`] (`+62812…` → `62812…`).
pub fn wa_me_digits(normalized: &str) -> &str {
    normalized.strip_prefix('+').unwrap_or(normalized)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_forms_become_plus_62() {
        for typed in [
            "0812-3456-7890",
            "0812 3456 7890",
            "+62 812 3456 7890",
            "+62 (0)812-3456-7890",
            "6281234567890",
            "81234567890",
            "  0812.3456.7890 ",
        ] {
            let found = normalize_phone("phone", typed);
            assert_eq!(found.as_deref(), Ok("+6281234567890"), "{typed}");
        }
        assert_eq!(
            normalize_phone("phone", "(0341) 551234").as_deref(),
            Ok("+62341551234")
        );
        assert_eq!(wa_me_digits("+6281234567890"), "6281234567890");
    }

    #[test]
    fn other_text_is_refused_without_repeating_it() {
        for (typed, code) in [
            ("abc", "not_a_phone_number"),
            ("", "empty"),
            ("   ", "empty"),
            ("0812-abc", "not_a_phone_number"),
            ("+1 415 555 0100", "not_indonesian"),
            ("1234567", "not_a_phone_number"),
            ("0812", "not_a_phone_number"),
            ("08123456789012345", "not_a_phone_number"),
            ("081234567890123456789012345", "too_long"),
            ("0812+3456789", "not_a_phone_number"),
            ("00812345678", "not_a_phone_number"),
        ] {
            let error = normalize_phone("phone", typed).expect_err(typed);
            assert_eq!(error.code, code, "{typed}");
            assert_eq!(error.field, "phone");
            if typed.len() > 3 {
                assert!(!error.message.contains(typed.trim()), "{typed}");
            }
        }
    }
}
