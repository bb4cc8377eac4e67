//! Signed pair messages: the bodies two centers send each other (order steps,
//! settlement payments and replies), their signing and their checks.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{OrderEvent, OrderId, PAIR_DOMAIN, PAIR_VERSION};
use crate::id::CenterId;
use crate::identity::Identity;
use crate::limits::*;
use crate::text::{InvalidInput, in_range, text_line};

/// A settlement payment as recorded by the payer, or a correction proposed by
/// one center of a pair; either moves the balance only once the other center
/// confirms it.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementPayment {
    /// The settlement's id (drawn by the payer).
    pub id: OrderId,
    /// Who paid (the signer); for a correction, the center proposing it.
    pub payer: CenterId,
    /// Who received the money; for a correction, the other center.
    pub payee: CenterId,
    /// How much, whole rupiah.
    pub amount_idr: i64,
    /// Bank reference or a note, e.g. "BRI 2026-11-30 ref 8812"; for a
    /// correction, why (required).
    pub reference: String,
    /// When it was recorded, UTC ms.
    pub at_ms: i64,
    /// Present only on a correction: the center that is owed `amount_idr` more
    /// (one of the two). Ledger entries are never changed; a mistake is put right
    /// by such a new entry, agreed by both centers.
    pub correction_owed_to: Option<CenterId>,
}

/// The payee's answer to a [`SettlementPayment`].
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementReply {
    /// The settlement answered.
    pub id: OrderId,
    /// Hex SHA-256 of the payment message's body.
    pub payment: String,
    /// The payee (the signer).
    pub by: CenterId,
    /// Confirmed (the money arrived) or declined.
    pub confirmed: bool,
    /// Why it was declined.
    pub reason: Option<String>,
    /// When, UTC ms.
    pub at_ms: i64,
}

/// What a pair message says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
// Bodies are parsed one at a time and short-lived; boxing the terms would only
// complicate every match.
#[allow(clippy::large_enum_variant)]
pub enum Body {
    /// A step of an order.
    OrderEvent(OrderEvent),
    /// A settlement payment.
    SettlementPayment(SettlementPayment),
    /// The answer to one.
    SettlementReply(SettlementReply),
}

impl Body {
    /// The center that must have signed this body.
    pub fn author(&self) -> CenterId {
        match self {
            Self::OrderEvent(e) => e.by,
            Self::SettlementPayment(p) => p.payer,
            Self::SettlementReply(r) => r.by,
        }
    }
}

/// A signed pair message as it travels: the exact body bytes (a JSON text) and
/// the signer's signature over `PAIR_DOMAIN || body`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedMessage {
    /// Format version ([`PAIR_VERSION`]).
    pub v: u32,
    /// The signing center.
    pub signer: CenterId,
    /// The body: a JSON text, kept byte for byte as signed.
    pub body: String,
    /// The ed25519 signature, 128 hex characters.
    pub sig: String,
}

/// A pair message whose signature and body were checked.
#[derive(Clone, Debug)]
pub struct VerifiedMessage {
    /// The message as received (forwarded and stored exactly like this).
    pub signed: SignedMessage,
    /// The parsed body.
    pub body: Body,
    /// Hex SHA-256 of the body bytes: the message's id.
    pub hash: String,
}

/// Why a pair message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// Unknown version.
    #[error("unsupported pair message version {0} (this node speaks 1)")]
    Version(u32),
    /// Over the size limit.
    #[error("pair message body is {found} bytes; the limit is {max}")]
    TooLarge {
        /// Bytes found.
        found: usize,
        /// The limit.
        max: usize,
    },
    /// The signature does not verify.
    #[error("signature of {0} does not verify")]
    BadSignature(CenterId),
    /// The body is not a valid message.
    #[error("malformed pair message body: {0}")]
    Malformed(String),
    /// Signed by someone else than the body's author.
    #[error("message of {author} was signed by {signer}")]
    WrongSigner {
        /// Who the body says made it.
        author: CenterId,
        /// Who signed.
        signer: CenterId,
    },
}

impl MessageError {
    /// A stable code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Version(_) => "unsupported_version",
            Self::TooLarge { .. } => "too_large",
            Self::BadSignature(_) => "bad_signature",
            Self::Malformed(_) => "malformed",
            Self::WrongSigner { .. } => "wrong_signer",
        }
    }
}

/// Hex SHA-256 of a message body.
pub fn body_hash(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))
}

impl SignedMessage {
    /// Serialises `body` and signs it as `identity`.
    pub fn sign(identity: &Identity, body: &Body) -> Result<Self, MessageError> {
        if body.author() != identity.center_id() {
            return Err(MessageError::WrongSigner {
                author: body.author(),
                signer: identity.center_id(),
            });
        }
        let text =
            serde_json::to_string(body).map_err(|e| MessageError::Malformed(e.to_string()))?;
        if text.len() > PAIR_MESSAGE_BYTES_MAX {
            return Err(MessageError::TooLarge {
                found: text.len(),
                max: PAIR_MESSAGE_BYTES_MAX,
            });
        }
        let sig = identity.sign(PAIR_DOMAIN, &[text.as_bytes()]);
        Ok(Self {
            v: PAIR_VERSION,
            signer: identity.center_id(),
            body: text,
            sig: hex::encode(sig),
        })
    }

    /// Checks version, size and signature (over the exact body bytes) before
    /// parsing the body, then that the body's author is the signer.
    pub fn verify(self) -> Result<VerifiedMessage, MessageError> {
        if self.v != PAIR_VERSION {
            return Err(MessageError::Version(self.v));
        }
        if self.body.len() > PAIR_MESSAGE_BYTES_MAX {
            return Err(MessageError::TooLarge {
                found: self.body.len(),
                max: PAIR_MESSAGE_BYTES_MAX,
            });
        }
        let bad = || MessageError::BadSignature(self.signer);
        let sig: [u8; 64] = hex::decode(&self.sig)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)?;
        if !crate::identity::verify(&self.signer, PAIR_DOMAIN, &[self.body.as_bytes()], &sig) {
            return Err(bad());
        }
        let body: Body =
            serde_json::from_str(&self.body).map_err(|e| MessageError::Malformed(e.to_string()))?;
        if body.author() != self.signer {
            return Err(MessageError::WrongSigner {
                author: body.author(),
                signer: self.signer,
            });
        }
        let hash = body_hash(&self.body);
        Ok(VerifiedMessage {
            signed: self,
            body,
            hash,
        })
    }
}

impl SettlementPayment {
    /// Checks the amount, the reference text and that payer and payee differ.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        if self.payer == self.payee {
            return Err(InvalidInput::new(
                "payee",
                "same_center",
                "a center cannot pay itself".into(),
            ));
        }
        in_range(
            "amount_idr",
            "a settlement",
            self.amount_idr,
            1..=SETTLEMENT_IDR_MAX,
            " rupiah",
        )?;
        let correction = self.correction_owed_to.is_some();
        if let Some(owed_to) = self.correction_owed_to
            && owed_to != self.payer
            && owed_to != self.payee
        {
            return Err(InvalidInput::new(
                "correction_owed_to",
                "not_a_party",
                "a correction can only credit one of the two centers".into(),
            ));
        }
        let min_chars = usize::from(correction);
        let reference = text_line("reference", &self.reference, min_chars, REFERENCE_CHARS_MAX)?;
        if reference != self.reference {
            return Err(InvalidInput::new(
                "reference",
                "not_normalised",
                "the reference text is not in normal form".into(),
            ));
        }
        Ok(())
    }
}
