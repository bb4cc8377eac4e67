//! A center's signing identity: the ed25519 key pair behind its [`CenterId`].
//!
//! This module sits below everything that signs: it depends only on [`CenterId`].
//! It and the envelope module are the only places that touch key types;
//! everything else names centers by [`CenterId`] and signs and checks through
//! [`Identity::sign`] and [`verify`].

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand::{CryptoRng, RngCore};

use crate::id::CenterId;

/// A center's secret key and the public [`CenterId`] it proves.
pub struct Identity {
    key: SigningKey,
}

/// Why a stored secret key could not be read.
#[derive(Debug, thiserror::Error)]
#[error(
    "the secret key is not valid: expected 64 hexadecimal characters, found {found_chars} characters"
)]
pub struct KeyError {
    found_chars: usize,
}

impl Identity {
    /// Creates a new identity from the caller's cryptographically secure random source.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self {
            key: SigningKey::generate(rng),
        }
    }

    /// Rebuilds an identity from its 32 secret bytes.
    pub fn from_secret_bytes(secret: &[u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(secret),
        }
    }

    /// Reads the hexadecimal secret written by [`Identity::to_secret_hex`].
    pub fn from_secret_hex(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let err = || KeyError {
            found_chars: text.chars().count(),
        };
        let bytes = hex::decode(text).map_err(|_| err())?;
        let secret: [u8; 32] = bytes.try_into().map_err(|_| err())?;
        Ok(Self::from_secret_bytes(&secret))
    }

    /// The secret as 64 hexadecimal characters, for the key file in the data folder.
    pub fn to_secret_hex(&self) -> String {
        hex::encode(self.key.to_bytes())
    }

    /// The public id of this center.
    pub fn center_id(&self) -> CenterId {
        CenterId::from_bytes(self.key.verifying_key().to_bytes())
    }

    /// The X25519 secret that matches the sealed-mail module's `x25519_public` of
    /// this center: the first half of SHA-512 of the ed25519 secret (RFC 8032
    /// §5.1.5), clamped when used. Only the sealed-mail module opens mail with it.
    pub(crate) fn x25519_secret(&self) -> [u8; 32] {
        self.key.to_scalar_bytes()
    }

    /// Signs `message` under the domain tag `domain`; the signed bytes are
    /// `domain || message`, so a signature made for one purpose never verifies for another.
    pub fn sign(&self, domain: &[u8], message: &[&[u8]]) -> [u8; 64] {
        let mut bytes =
            Vec::with_capacity(domain.len() + message.iter().map(|m| m.len()).sum::<usize>());
        bytes.extend_from_slice(domain);
        for part in message {
            bytes.extend_from_slice(part);
        }
        let signature: Signature = self.key.sign(&bytes);
        signature.to_bytes()
    }
}

/// Whether `signature` is `signer`'s signature over `domain || message…` (the
/// counterpart of [`Identity::sign`]; strict verification, no malleability).
pub fn verify(signer: &CenterId, domain: &[u8], message: &[&[u8]], signature: &[u8; 64]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(signer.as_bytes()) else {
        return false;
    };
    let mut bytes =
        Vec::with_capacity(domain.len() + message.iter().map(|m| m.len()).sum::<usize>());
    bytes.extend_from_slice(domain);
    for part in message {
        bytes.extend_from_slice(part);
    }
    key.verify_strict(&bytes, &Signature::from_bytes(signature))
        .is_ok()
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        write!(f, "Identity({})", self.center_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn secret_hex_round_trips_and_bad_keys_are_rejected() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let identity = Identity::generate(&mut rng);
        let again = Identity::from_secret_hex(&identity.to_secret_hex()).unwrap();
        assert_eq!(identity.center_id(), again.center_id());
        assert!(Identity::from_secret_hex("abc").is_err());
        assert!(Identity::from_secret_hex(&"zz".repeat(32)).is_err());
        assert!(!format!("{identity:?}").contains(&identity.to_secret_hex()));
    }
}
