//! Sealed mail: pair messages encrypted to the other center and signed by the
//! sender, so that any node may carry them and only the recipient can read them.
//!
//! A sealed mail is JSON:
//!
//! ```text
//! {"v": 1, "from": "tc1…", "to": "tc1…", "at": <ms>, "enc": "<base64, 32 bytes>",
//!  "ct": "<base64>", "sig": "<128 hex>"}
//! ```
//!
//! - `ct` is HPKE (RFC 9180) in base mode with the suite DHKEM(X25519, HKDF-SHA256),
//!   HKDF-SHA256, ChaCha20-Poly1305 to the recipient's X25519 key, with
//!   `info = "telecenter v1 sealed-mail"` and `aad = from (32) || to (32) || at (i64
//!   big-endian)`; `enc` is HPKE's encapsulated key.
//! - The X25519 keys are the center's ed25519 keys in Montgomery form: the public key
//!   is the birational map of the center id (RFC 7748 §4.1), the secret is the
//!   clamped first half of SHA-512(ed25519 secret) (RFC 8032 §5.1.5). So anyone can
//!   seal to any center knowing only its id, and a center has one secret to keep.
//! - `sig` is the sender's ed25519 signature over `"telecenter v1 sealed-mail\0" ||
//!   from || to || at (i64 big-endian) || enc || len(ct) (u32 big-endian) || ct`, so a
//!   relay can check who sent a mail (and refuse forgeries) without reading it, and
//!   nobody can re-address, re-date or alter it without the signature failing.
//! - The mail's **id** is the lower-case hex SHA-256 of those signed bytes.
//!
//! A relay sees only `from`, `to`, `at` and the size.

use ed25519_dalek::VerifyingKey;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as KemTrait, OpModeR, OpModeS, Serializable};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::id::CenterId;
use crate::identity::{Identity, verify};

/// The only version.
pub const SEALED_VERSION: u8 = 1;
/// Domain-separation tag of the sender's signature.
pub const SEALED_DOMAIN: &[u8] = b"telecenter v1 sealed-mail\0";
/// HPKE `info`.
pub const SEALED_INFO: &[u8] = b"telecenter v1 sealed-mail";
/// Largest plaintext one mail may carry, in bytes.
pub const SEALED_PLAINTEXT_MAX: usize = 131_072;
/// Largest ciphertext: the plaintext plus the 16-byte AEAD tag.
pub const SEALED_CIPHERTEXT_MAX: usize = SEALED_PLAINTEXT_MAX + 16;
/// Length of HPKE's encapsulated key for X25519.
pub const ENC_BYTES: usize = 32;

type Kem = X25519HkdfSha256;

/// A sealed mail as it travels (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedMail {
    /// Format version, 1.
    pub v: u8,
    /// The sender (signer).
    pub from: CenterId,
    /// The recipient, the only center that can open it.
    pub to: CenterId,
    /// The sender's clock when sealing, ms since the epoch.
    pub at: i64,
    /// HPKE's encapsulated key, standard base64.
    pub enc: String,
    /// The ciphertext, standard base64.
    pub ct: String,
    /// ed25519 signature, 128 hex characters.
    pub sig: String,
}

/// Why a sealed mail cannot be made, trusted or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not version 1.
    #[error("sealed mail version {0} is not supported (only 1)")]
    UnsupportedVersion(u8),
    /// A field is not in its form.
    #[error("malformed sealed mail: {0}")]
    Malformed(&'static str),
    /// Over the size limit.
    #[error("sealed mail too large: {0} bytes, at most {SEALED_CIPHERTEXT_MAX}")]
    TooLarge(usize),
    /// The signature does not verify for `from`.
    #[error("the sealed mail's signature does not verify for its sender {0}")]
    BadSignature(CenterId),
    /// The mail is for another center.
    #[error("the sealed mail is for {0}, not for this center")]
    NotForMe(CenterId),
    /// A center id that is not a usable key.
    #[error("{0} is not a usable center key")]
    BadKey(CenterId),
    /// Decryption failed (altered or not for this key).
    #[error("the sealed mail cannot be opened: it was altered or sealed for another key")]
    CannotOpen,
}

impl SealError {
    /// Stable code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedVersion(_) => "unsupported_version",
            Self::Malformed(_) | Self::BadKey(_) => "malformed",
            Self::TooLarge(_) => "too_large",
            Self::BadSignature(_) => "bad_signature",
            Self::NotForMe(_) => "not_for_this_center",
            Self::CannotOpen => "cannot_open",
        }
    }
}

/// A center's X25519 public key: its ed25519 key in Montgomery form.
pub fn x25519_public(center: &CenterId) -> Result<[u8; 32], SealError> {
    let key =
        VerifyingKey::from_bytes(center.as_bytes()).map_err(|_| SealError::BadKey(*center))?;
    if key.is_weak() {
        return Err(SealError::BadKey(*center));
    }
    Ok(key.to_montgomery().to_bytes())
}

fn aad(from: &CenterId, to: &CenterId, at: i64) -> [u8; 72] {
    let mut out = [0u8; 72];
    out[..32].copy_from_slice(from.as_bytes());
    out[32..64].copy_from_slice(to.as_bytes());
    out[64..].copy_from_slice(&at.to_be_bytes());
    out
}

fn signed_bytes(from: &CenterId, to: &CenterId, at: i64, enc: &[u8], ct: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(72 + enc.len() + 4 + ct.len());
    bytes.extend_from_slice(&aad(from, to, at));
    bytes.extend_from_slice(enc);
    // The ciphertext is bounded far below u32::MAX before this is called.
    bytes.extend_from_slice(&u32::try_from(ct.len()).unwrap_or(u32::MAX).to_be_bytes());
    bytes.extend_from_slice(ct);
    bytes
}

/// The decoded, size-checked parts of a mail.
struct Parts {
    enc: Vec<u8>,
    ct: Vec<u8>,
    sig: [u8; 64],
}

impl SealedMail {
    /// Seals `plaintext` from `identity` to `to`, dated `at_ms`.
    pub fn seal<R: CryptoRng + RngCore>(
        identity: &Identity,
        to: &CenterId,
        at_ms: i64,
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<Self, SealError> {
        if plaintext.len() > SEALED_PLAINTEXT_MAX {
            return Err(SealError::TooLarge(plaintext.len() + 16));
        }
        let from = identity.center_id();
        let public = <Kem as KemTrait>::PublicKey::from_bytes(&x25519_public(to)?)
            .map_err(|_| SealError::BadKey(*to))?;
        let (enc, ct) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem, _>(
            &OpModeS::Base,
            &public,
            SEALED_INFO,
            plaintext,
            &aad(&from, to, at_ms),
            rng,
        )
        .map_err(|_| SealError::BadKey(*to))?;
        let enc = enc.to_bytes().to_vec();
        let signature = identity.sign(SEALED_DOMAIN, &[&signed_bytes(&from, to, at_ms, &enc, &ct)]);
        Ok(Self {
            v: SEALED_VERSION,
            from,
            to: *to,
            at: at_ms,
            enc: crate::b64::encode(&enc),
            ct: crate::b64::encode(&ct),
            sig: hex::encode(signature),
        })
    }

    fn parts(&self) -> Result<Parts, SealError> {
        if self.v != SEALED_VERSION {
            return Err(SealError::UnsupportedVersion(self.v));
        }
        // base64 of the largest ciphertext, checked before decoding anything.
        if self.ct.len() > SEALED_CIPHERTEXT_MAX.div_ceil(3) * 4 {
            return Err(SealError::TooLarge(self.ct.len() / 4 * 3));
        }
        if self.enc.len() > 64 || self.sig.len() != 128 {
            return Err(SealError::Malformed("enc or sig has the wrong length"));
        }
        let enc =
            crate::b64::decode(&self.enc).map_err(|_| SealError::Malformed("enc is not base64"))?;
        if enc.len() != ENC_BYTES {
            return Err(SealError::Malformed("enc is not 32 bytes"));
        }
        let ct =
            crate::b64::decode(&self.ct).map_err(|_| SealError::Malformed("ct is not base64"))?;
        if ct.len() > SEALED_CIPHERTEXT_MAX {
            return Err(SealError::TooLarge(ct.len()));
        }
        if ct.len() < 16 {
            return Err(SealError::Malformed("ct is shorter than its tag"));
        }
        let mut sig = [0u8; 64];
        hex::decode_to_slice(&self.sig, &mut sig)
            .map_err(|_| SealError::Malformed("sig is not hexadecimal"))?;
        Ok(Parts { enc, ct, sig })
    }

    /// Checks the form, the size and the sender's signature; returns the mail's id.
    /// This is all a relay can (and must) check.
    pub fn verify(&self) -> Result<String, SealError> {
        let parts = self.parts()?;
        let bytes = signed_bytes(&self.from, &self.to, self.at, &parts.enc, &parts.ct);
        if !verify(&self.from, SEALED_DOMAIN, &[&bytes], &parts.sig) {
            return Err(SealError::BadSignature(self.from));
        }
        Ok(hex::encode(Sha256::digest(&bytes)))
    }

    /// The mail's id as computed from its fields, whether or not its signature
    /// verifies (for answering about a mail that is refused); a mail whose
    /// fields do not decode gets the hash of its `ct` text instead.
    pub fn id_lossy(&self) -> String {
        match self.parts() {
            Ok(parts) => hex::encode(Sha256::digest(signed_bytes(
                &self.from, &self.to, self.at, &parts.enc, &parts.ct,
            ))),
            Err(_) => hex::encode(Sha256::digest(self.ct.as_bytes())),
        }
    }

    /// Verifies the mail and opens it with the recipient's identity.
    pub fn open(&self, identity: &Identity) -> Result<Vec<u8>, SealError> {
        if self.to != identity.center_id() {
            return Err(SealError::NotForMe(self.to));
        }
        self.verify()?;
        let parts = self.parts()?;
        let secret = <Kem as KemTrait>::PrivateKey::from_bytes(&identity.x25519_secret())
            .map_err(|_| SealError::CannotOpen)?;
        let enc = <Kem as KemTrait>::EncappedKey::from_bytes(&parts.enc)
            .map_err(|_| SealError::CannotOpen)?;
        hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeR::Base,
            &secret,
            &enc,
            SEALED_INFO,
            &parts.ct,
            &aad(&self.from, &self.to, self.at),
        )
        .map_err(|_| SealError::CannotOpen)
    }

    /// Bytes the mail takes (encapsulated key plus ciphertext, decoded), as
    /// counted against mailbox quotas.
    pub fn size(&self) -> usize {
        self.enc.len() / 4 * 3 + self.ct.len() / 4 * 3
    }
}

/// The body of `POST /api/v1/mail/exchange`, in both directions: mail handed
/// over, receipts for mail handed over before, and the sender's routes.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailExchange {
    /// Sealed mail for the receiver to take.
    pub mail: Vec<SealedMail>,
    /// Answers to mail: in a request, to the mail of the previous answer; in an
    /// answer, to the request's mail.
    pub receipts: Vec<Receipt>,
    /// The sender's routes (center → hops), when they changed since the
    /// receiver last had them.
    pub routes: Option<std::collections::BTreeMap<CenterId, u8>>,
    /// Digest of the receiver's routes the sender holds.
    pub have_routes: Option<String>,
    /// Request only: hold the answer up to this many ms until there is mail for
    /// the caller.
    pub wait_ms: Option<u32>,
}

/// The status word of a [`Receipt`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptStatus {
    /// `taken`: now held or read by the receiver, or known already.
    Taken,
    /// `refused`: the receiver will never take it (see the receipt's `code`).
    Refused,
    /// `later`: not now; hand it again later.
    Later,
    /// A word this version does not know (from a newer node): treated as `later`.
    #[serde(other)]
    Unknown,
}

impl ReceiptStatus {
    /// The word on the wire.
    pub fn word(self) -> &'static str {
        match self {
            Self::Taken => "taken",
            Self::Refused => "refused",
            Self::Later => "later",
            Self::Unknown => "unknown",
        }
    }
}

/// Compares with the word on the wire (`status == "taken"`).
impl PartialEq<&str> for ReceiptStatus {
    fn eq(&self, other: &&str) -> bool {
        self.word() == *other
    }
}

/// What a node did with one mail handed to it.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The mail's id.
    pub id: String,
    /// What became of it.
    pub status: ReceiptStatus,
    /// Stable code of a refusal or delay.
    pub code: Option<String>,
    /// One line for people.
    pub message: Option<String>,
}

impl Receipt {
    /// The mail is taken.
    pub fn taken(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            status: ReceiptStatus::Taken,
            code: None,
            message: None,
        }
    }

    /// The mail will never be taken by this node.
    pub fn refused(id: &str, code: &str, message: String) -> Self {
        Self {
            id: id.to_owned(),
            status: ReceiptStatus::Refused,
            code: Some(code.to_owned()),
            message: Some(message),
        }
    }

    /// Not now; hand it again later.
    pub fn later(id: &str, code: &str, message: String) -> Self {
        Self {
            id: id.to_owned(),
            status: ReceiptStatus::Later,
            code: Some(code.to_owned()),
            message: Some(message),
        }
    }
}

#[cfg(test)]
mod tests;
