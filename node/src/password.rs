//! The operator password: its length rules and its argon2id hash (made when it
//! is set, checked when the operator logs in).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

/// Shortest operator password, in characters.
pub const PASSWORD_CHARS_MIN: usize = 8;
/// Longest operator password, in characters.
pub const PASSWORD_CHARS_MAX: usize = 200;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Shorter than [`PASSWORD_CHARS_MIN`] or longer than [`PASSWORD_CHARS_MAX`].
    #[error(
        "the password must have {PASSWORD_CHARS_MIN} to {PASSWORD_CHARS_MAX} characters, found {0}"
    )]
    Length(usize),
    /// argon2 refused (it does not for lengths within the limits).
    #[error("{0}")]
    Hash(String),
}

/// Hashes a new operator password (argon2id, a 16-byte salt drawn from `random`).
pub fn hash_password(password: &str, random: &mut dyn RngCore) -> Result<String, PasswordError> {
    let chars = password.chars().count();
    if !(PASSWORD_CHARS_MIN..=PASSWORD_CHARS_MAX).contains(&chars) {
        return Err(PasswordError::Length(chars));
    }
    let mut bytes = [0u8; 16];
    random.fill_bytes(&mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches `stored`, a hash made by [`hash_password`]
/// (surrounding whitespace ignored). A damaged hash matches nothing.
pub fn verify_password(stored: &str, password: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored.trim()) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_ok()
}
