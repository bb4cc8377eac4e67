//! The center's identity key inside a backup file, sealed with the operator's
//! passphrase: argon2id (RFC 9106) derives a 32-byte key from the passphrase and
//! a random salt, and XChaCha20-Poly1305 encrypts the key's secret hex under it
//! with a random 24-byte nonce. The associated data binds the ciphertext to the
//! backup format and to the center id, so a key cannot be moved into another
//! center's backup, and any flipped byte (salt, nonce, ciphertext, parameters,
//! center) makes opening fail.
//!
//! No cryptography is written here: both primitives are RustCrypto crates.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use telecenter_protocol::{CenterId, Identity};

/// Shortest backup passphrase, in characters.
pub const PASSPHRASE_CHARS_MIN: usize = 8;
/// Longest backup passphrase, in characters.
pub const PASSPHRASE_CHARS_MAX: usize = 200;
/// Bytes of the argon2id salt.
pub const SALT_BYTES: usize = 16;
/// Bytes of the XChaCha20-Poly1305 nonce.
pub const NONCE_BYTES: usize = 24;
/// The argon2id memory a new backup uses, in KiB (19 MiB, the argon2 crate's
/// default and OWASP's minimum for argon2id).
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
/// argon2id passes of a new backup.
pub const ARGON2_PASSES: u32 = 2;
/// argon2id lanes of a new backup.
pub const ARGON2_LANES: u32 = 1;
/// Most argon2id memory a backup file may ask for, in KiB (a file is read
/// before its passphrase is known: it must not make restore use unbounded memory).
pub const ARGON2_MEMORY_KIB_MAX: u32 = 1024 * 1024;
/// Most argon2id passes a backup file may ask for.
pub const ARGON2_PASSES_MAX: u32 = 16;
/// Most argon2id lanes a backup file may ask for.
pub const ARGON2_LANES_MAX: u32 = 8;
/// Most bytes of the sealed key (the 64-character hex secret and its 16-byte tag).
pub const CIPHERTEXT_BYTES_MAX: usize = 256;

/// The domain tag at the start of the associated data.
const DOMAIN: &[u8] = b"telecenter v1 backup-key";

/// The identity key as a backup file holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedKey {
    /// argon2id memory in KiB.
    pub memory_kib: u32,
    /// argon2id passes.
    pub passes: u32,
    /// argon2id lanes.
    pub lanes: u32,
    /// The argon2id salt ([`SALT_BYTES`]).
    pub salt: Vec<u8>,
    /// The XChaCha20-Poly1305 nonce ([`NONCE_BYTES`]).
    pub nonce: Vec<u8>,
    /// The encrypted secret hex with its tag.
    pub ciphertext: Vec<u8>,
}

/// Why a key could not be sealed or opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// The passphrase breaks the length rule.
    #[error(
        "the passphrase must have {PASSPHRASE_CHARS_MIN} to {PASSPHRASE_CHARS_MAX} characters, found {0}"
    )]
    PassphraseLength(usize),
    /// Wrong passphrase, or the sealed key (or its center id) was altered.
    #[error("the passphrase is wrong, or the backup's key was altered")]
    WrongPassphrase,
    /// The stored parameters are outside the bounds this program accepts.
    #[error("the backup's key parameters are not usable: {0}")]
    BadParameters(String),
    /// The key opened but is not a key of the backup's center.
    #[error("the backup's key belongs to {found}, not to the backup's center {expected}")]
    WrongCenter {
        /// The center the backup names.
        expected: CenterId,
        /// The center of the key inside.
        found: CenterId,
    },
}

fn check_passphrase(passphrase: &str) -> Result<(), KeyError> {
    let chars = passphrase.chars().count();
    if !(PASSPHRASE_CHARS_MIN..=PASSPHRASE_CHARS_MAX).contains(&chars) {
        return Err(KeyError::PassphraseLength(chars));
    }
    Ok(())
}

fn associated_data(center: &CenterId, sealed: &SealedKey) -> Vec<u8> {
    let mut aad = DOMAIN.to_vec();
    aad.push(0);
    aad.extend_from_slice(center.to_string().as_bytes());
    for number in [sealed.memory_kib, sealed.passes, sealed.lanes] {
        aad.extend_from_slice(&number.to_be_bytes());
    }
    aad
}

/// The 32-byte encryption key from the passphrase, within the parameter bounds.
fn derive(passphrase: &str, sealed: &SealedKey) -> Result<XChaCha20Poly1305, KeyError> {
    let bad = |what: String| KeyError::BadParameters(what);
    if sealed.memory_kib > ARGON2_MEMORY_KIB_MAX
        || sealed.passes > ARGON2_PASSES_MAX
        || sealed.lanes > ARGON2_LANES_MAX
    {
        return Err(bad(format!(
            "argon2id m={} KiB t={} p={} is above m={ARGON2_MEMORY_KIB_MAX} t={ARGON2_PASSES_MAX} p={ARGON2_LANES_MAX}",
            sealed.memory_kib, sealed.passes, sealed.lanes
        )));
    }
    if sealed.salt.len() != SALT_BYTES || sealed.nonce.len() != NONCE_BYTES {
        return Err(bad(format!(
            "expected a {SALT_BYTES}-byte salt and a {NONCE_BYTES}-byte nonce, found {} and {}",
            sealed.salt.len(),
            sealed.nonce.len()
        )));
    }
    if sealed.ciphertext.len() > CIPHERTEXT_BYTES_MAX {
        return Err(bad(format!(
            "the sealed key has {} bytes, at most {CIPHERTEXT_BYTES_MAX} expected",
            sealed.ciphertext.len()
        )));
    }
    let params = Params::new(sealed.memory_kib, sealed.passes, sealed.lanes, Some(32))
        .map_err(|e| bad(e.to_string()))?;
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), &sealed.salt, &mut key)
        .map_err(|e| bad(e.to_string()))?;
    Ok(XChaCha20Poly1305::new(&key.into()))
}

/// Seals `identity` with `passphrase`; salt and nonce are drawn from `random`.
pub fn seal(
    identity: &Identity,
    passphrase: &str,
    random: &mut dyn RngCore,
) -> Result<SealedKey, KeyError> {
    check_passphrase(passphrase)?;
    let mut salt = vec![0u8; SALT_BYTES];
    random.fill_bytes(&mut salt);
    let mut nonce = vec![0u8; NONCE_BYTES];
    random.fill_bytes(&mut nonce);
    let mut sealed = SealedKey {
        memory_kib: ARGON2_MEMORY_KIB,
        passes: ARGON2_PASSES,
        lanes: ARGON2_LANES,
        salt,
        nonce,
        ciphertext: Vec::new(),
    };
    let cipher = derive(passphrase, &sealed)?;
    let aad = associated_data(&identity.center_id(), &sealed);
    let secret = identity.to_secret_hex();
    sealed.ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&sealed.nonce),
            Payload {
                msg: secret.as_bytes(),
                aad: &aad,
            },
        )
        .map_err(|_| KeyError::BadParameters("encryption failed".into()))?;
    Ok(sealed)
}

/// Opens a key sealed for `center` with `passphrase`: a wrong passphrase or
/// any altered byte is [`KeyError::WrongPassphrase`]; a key of another center
/// is [`KeyError::WrongCenter`].
pub fn open(sealed: &SealedKey, center: &CenterId, passphrase: &str) -> Result<Identity, KeyError> {
    let cipher = derive(passphrase, sealed)?;
    let aad = associated_data(center, sealed);
    let secret = cipher
        .decrypt(
            XNonce::from_slice(&sealed.nonce),
            Payload {
                msg: &sealed.ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| KeyError::WrongPassphrase)?;
    let identity = std::str::from_utf8(&secret)
        .ok()
        .and_then(|text| Identity::from_secret_hex(text).ok())
        .ok_or(KeyError::WrongPassphrase)?;
    if identity.center_id() != *center {
        return Err(KeyError::WrongCenter {
            expected: *center,
            found: identity.center_id(),
        });
    }
    Ok(identity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn identity() -> Identity {
        Identity::generate(&mut rand::rngs::StdRng::seed_from_u64(7))
    }

    #[test]
    fn a_sealed_key_opens_with_its_passphrase_only() {
        let identity = identity();
        let mut random = rand::rngs::StdRng::seed_from_u64(1);
        let sealed = seal(&identity, "kunci cadangan malang", &mut random).expect("seal");
        let center = identity.center_id();
        let opened = open(&sealed, &center, "kunci cadangan malang").expect("open");
        assert_eq!(opened.center_id(), center);
        assert_eq!(opened.to_secret_hex(), identity.to_secret_hex());
        assert!(!sealed.ciphertext.is_empty());
        // The secret is not readable in the sealed form.
        let secret = identity.to_secret_hex();
        assert!(!hex::encode(&sealed.ciphertext).contains(&secret));
        assert_eq!(
            open(&sealed, &center, "kunci cadangan salah").err(),
            Some(KeyError::WrongPassphrase)
        );
    }

    #[test]
    fn every_altered_part_of_a_sealed_key_is_refused() {
        let identity = identity();
        let mut random = rand::rngs::StdRng::seed_from_u64(2);
        let sealed = seal(&identity, "kunci cadangan", &mut random).expect("seal");
        let center = identity.center_id();
        let other = Identity::generate(&mut random).center_id();
        let pass = "kunci cadangan";
        let mut flipped = sealed.clone();
        flipped.ciphertext[10] ^= 1;
        assert_eq!(
            open(&flipped, &center, pass).err(),
            Some(KeyError::WrongPassphrase)
        );
        let mut flipped = sealed.clone();
        flipped.nonce[0] ^= 1;
        assert_eq!(
            open(&flipped, &center, pass).err(),
            Some(KeyError::WrongPassphrase)
        );
        let mut flipped = sealed.clone();
        flipped.salt[0] ^= 1;
        assert_eq!(
            open(&flipped, &center, pass).err(),
            Some(KeyError::WrongPassphrase)
        );
        let mut flipped = sealed.clone();
        flipped.passes += 1;
        assert_eq!(
            open(&flipped, &center, pass).err(),
            Some(KeyError::WrongPassphrase)
        );
        // The key cannot be claimed for another center.
        assert_eq!(
            open(&sealed, &other, pass).err(),
            Some(KeyError::WrongPassphrase)
        );
    }

    #[test]
    fn hostile_parameters_are_refused_before_any_work() {
        let identity = identity();
        let mut random = rand::rngs::StdRng::seed_from_u64(3);
        let sealed = seal(&identity, "kunci cadangan", &mut random).expect("seal");
        let center = identity.center_id();
        for change in [
            |s: &mut SealedKey| s.memory_kib = u32::MAX,
            |s: &mut SealedKey| s.passes = 1_000,
            |s: &mut SealedKey| s.lanes = 64,
            |s: &mut SealedKey| s.salt.truncate(4),
            |s: &mut SealedKey| s.ciphertext = vec![0; 100_000],
        ] {
            let mut bad = sealed.clone();
            change(&mut bad);
            assert!(matches!(
                open(&bad, &center, "kunci cadangan"),
                Err(KeyError::BadParameters(_))
            ));
        }
        assert_eq!(
            seal(&identity, "pendek", &mut random).err(),
            Some(KeyError::PassphraseLength(6))
        );
    }
}
