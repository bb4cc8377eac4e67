//! The one binary-to-text encoding on the wire: standard base64 with padding
//! (RFC 4648 §4). Envelopes in sync messages and the key and ciphertext of sealed
//! mail use it; callers bound the text's length before decoding.

use base64::Engine;

pub use base64::DecodeError;

/// `bytes` as standard base64 with padding.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Reads standard base64 with padding; anything else is an error.
pub fn decode(text: impl AsRef<[u8]>) -> Result<Vec<u8>, DecodeError> {
    base64::engine::general_purpose::STANDARD.decode(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_alphabet_with_padding_only() {
        assert_eq!(encode([0xfb, 0xff]), "+/8=");
        assert_eq!(decode("+/8=").unwrap(), vec![0xfb, 0xff]);
        assert!(decode("-_8=").is_err(), "the URL-safe alphabet is refused");
        assert!(decode("+/8").is_err(), "padding is required");
    }
}
