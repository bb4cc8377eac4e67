//! The signed-change envelope: one Automerge change, the document it belongs to,
//! the key that made it and an ed25519 signature over exactly those bytes.
//!
//! Encoding (version 1, all fields fixed-length except the change, which is last):
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 1 | version, `1` |
//! | 1 | 33 | document id ([`DocId::to_bytes`]) |
//! | 34 | 32 | signer's public key |
//! | 66 | 64 | ed25519 signature |
//! | 130 | n | the Automerge change chunk, exactly as produced (n ≤ [`CHANGE_BYTES_MAX`]) |
//!
//! The signature covers `"telecenter v1 catalog-change\0" || doc || signer || change`.
//! A verifier checks the signature over the received bytes *before* it decodes the
//! change, and then checks that the change's Automerge actor is the signer's key
//! (alone for writing epoch 0, or followed by an 8-byte epoch id for a later
//! epoch, see [`crate::epoch`]), so the author recorded inside the CRDT is the
//! author who signed. Between the two,
//! [`bounds`] measures the chunk without decoding it: only uncompressed change
//! chunks within the limits of [`crate::limits`] reach Automerge's decoder.

use automerge::{ActorId, Change, ChangeHash};
use ed25519_dalek::VerifyingKey;

use crate::change_ops::ChangeOps;
use crate::epoch::{ChainId, EpochId, actor_for_epoch, epoch_of_actor};
use crate::id::{CenterId, DOC_ID_BYTES, DocId, DocKind};
use crate::identity::Identity;
use crate::limits::CHANGE_BYTES_MAX;

pub mod batch;
pub mod bounds;

/// The envelope format version this crate writes and reads.
pub const ENVELOPE_VERSION: u8 = 1;
/// Domain-separation tag of catalog change signatures.
pub const CATALOG_CHANGE_DOMAIN: &[u8] = b"telecenter v1 catalog-change\0";
/// Bytes before the change in an encoded envelope.
pub const ENVELOPE_HEADER_BYTES: usize = 1 + DOC_ID_BYTES + 32 + 64;

/// A change with its signature, as stored and sent. Not yet trusted: call
/// [`SignedChange::verify`] before using it.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedChange {
    /// The document this change claims to belong to.
    pub doc: DocId,
    /// The key that claims to have made the change.
    pub signer: CenterId,
    /// The ed25519 signature.
    pub signature: [u8; 64],
    /// The Automerge change chunk.
    pub change: Vec<u8>,
}

/// Why a signed change was rejected. Each variant says what was expected and what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The envelope is shorter than its fixed header.
    #[error(
        "signed change too short: expected at least {ENVELOPE_HEADER_BYTES} bytes but found {found_bytes}"
    )]
    TooShort {
        /// Bytes received.
        found_bytes: usize,
    },
    /// The change is over the size limit.
    #[error(
        "signed change too large: the change may be at most {CHANGE_BYTES_MAX} bytes but is {found_bytes}"
    )]
    TooLarge {
        /// Bytes of the change.
        found_bytes: usize,
    },
    /// The envelope version is not one this node reads.
    #[error("unsupported signed change version: expected {ENVELOPE_VERSION} but found {found}")]
    UnsupportedVersion {
        /// The version byte received.
        found: u8,
    },
    /// The document kind byte is unknown.
    #[error("unknown document kind {found}")]
    UnknownDocKind {
        /// The kind byte received.
        found: u8,
    },
    /// The change names another document than the one it was sent for.
    #[error("change belongs to another document: expected {expected} but found {found}")]
    WrongDocument {
        /// The document the change was sent for.
        expected: DocId,
        /// The document the change names.
        found: DocId,
    },
    /// The signer may not write this document.
    #[error("{signer} is not allowed to write {doc}")]
    Unauthorised {
        /// The key that signed.
        signer: CenterId,
        /// The document it tried to change.
        doc: DocId,
    },
    /// The signer bytes are not a usable ed25519 public key.
    #[error("signer {signer} is not a valid ed25519 public key")]
    BadKey {
        /// The key that claims to have signed.
        signer: CenterId,
    },
    /// The signature does not match the bytes.
    #[error("signature does not verify: the change was altered or not signed by {signer}")]
    BadSignature {
        /// The key that claims to have signed.
        signer: CenterId,
    },
    /// The signed bytes are not a valid Automerge change.
    #[error("signed bytes are not a valid automerge change: {reason}")]
    MalformedChange {
        /// What the decoder said.
        reason: String,
    },
    /// The change chunk is compressed (chunk type 2, or a deflated column): such a
    /// chunk is refused before it is inflated.
    #[error("compressed change refused: {reason}")]
    CompressedChange {
        /// What was compressed.
        reason: String,
    },
    /// The change claims more operations, predecessors or expanded string bytes
    /// than [`crate::limits`] allows (checked before it is decoded).
    #[error("change too complex: it has more than {limit} {what}")]
    ChangeOverLimit {
        /// What was counted.
        what: &'static str,
        /// The limit crossed.
        limit: u64,
    },
    /// The Automerge actor inside the change is not the signer's key (alone, or
    /// followed by an 8-byte epoch id).
    #[error(
        "change actor does not match its signer: expected actor {expected} (optionally followed by an 8-byte epoch id) but found {found}"
    )]
    ActorMismatch {
        /// The signer's key in hex, which the actor must be or begin with.
        expected: String,
        /// The actor found in the change, in hex.
        found: String,
    },
}

/// A change whose signature, signer, document and actor binding have all been checked.
#[derive(Clone, Debug)]
pub struct VerifiedChange {
    /// The envelope as received, for storing and relaying unchanged.
    pub signed: SignedChange,
    /// The decoded Automerge change.
    pub change: Change,
    /// Where its operations go (decoded here, off any lock).
    pub ops: ChangeOps,
}

impl VerifiedChange {
    /// The Automerge hash of the change (SHA-256 of its chunk).
    pub fn hash(&self) -> ChangeHash {
        self.change.hash()
    }

    /// The writing epoch the change was made in (`None`: epoch 0). Verification
    /// checked that the actor is one of the signer's, so this is always known.
    pub fn epoch(&self) -> Option<EpochId> {
        epoch_of_actor(&self.signed.signer, self.change.actor_id()).flatten()
    }

    /// The chain (document and epoch) the change extends.
    pub fn chain(&self) -> ChainId {
        ChainId {
            doc: self.signed.doc,
            epoch: self.epoch(),
        }
    }
}

/// The Automerge actor id of a key's writing epoch 0: exactly its 32
/// public-key bytes (see [`actor_for_epoch`] for later epochs).
pub fn actor_for(center: &CenterId) -> ActorId {
    actor_for_epoch(center, None)
}

/// Whether `signer` may write `doc`. Version 1: a catalog is written only by its owner's key.
pub fn is_authorised(doc: &DocId, signer: &CenterId) -> bool {
    match doc.kind {
        DocKind::Catalog => doc.owner == *signer,
    }
}

fn domain_for(kind: DocKind) -> &'static [u8] {
    match kind {
        DocKind::Catalog => CATALOG_CHANGE_DOMAIN,
    }
}

impl SignedChange {
    /// Signs `change` (the exact chunk bytes from Automerge) for `doc`.
    pub fn sign(identity: &Identity, doc: DocId, change: Vec<u8>) -> Self {
        let signer = identity.center_id();
        let signature = identity.sign(
            domain_for(doc.kind),
            &[&doc.to_bytes(), signer.as_bytes(), &change],
        );
        Self {
            doc,
            signer,
            signature,
            change,
        }
    }

    /// The envelope in its wire and storage encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(ENVELOPE_HEADER_BYTES + self.change.len());
        bytes.push(ENVELOPE_VERSION);
        bytes.extend_from_slice(&self.doc.to_bytes());
        bytes.extend_from_slice(self.signer.as_bytes());
        bytes.extend_from_slice(&self.signature);
        bytes.extend_from_slice(&self.change);
        bytes
    }

    /// Splits an encoded envelope into its fields. Checks only the framing; the
    /// result is not trusted until [`SignedChange::verify`] succeeds.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        if bytes.len() < ENVELOPE_HEADER_BYTES {
            return Err(VerifyError::TooShort {
                found_bytes: bytes.len(),
            });
        }
        let change_bytes = bytes.len() - ENVELOPE_HEADER_BYTES;
        if change_bytes > CHANGE_BYTES_MAX {
            return Err(VerifyError::TooLarge {
                found_bytes: change_bytes,
            });
        }
        if bytes[0] != ENVELOPE_VERSION {
            return Err(VerifyError::UnsupportedVersion { found: bytes[0] });
        }
        let (doc_bytes, rest) = bytes[1..].split_at(DOC_ID_BYTES);
        let doc_bytes: [u8; DOC_ID_BYTES] =
            doc_bytes.try_into().map_err(|_| VerifyError::TooShort {
                found_bytes: bytes.len(),
            })?;
        let doc = DocId::from_bytes(&doc_bytes).ok_or(VerifyError::UnknownDocKind {
            found: doc_bytes[0],
        })?;
        let (signer, rest) = rest.split_at(32);
        let (signature, change) = rest.split_at(64);
        let signer: [u8; 32] = signer.try_into().map_err(|_| VerifyError::TooShort {
            found_bytes: bytes.len(),
        })?;
        let signature: [u8; 64] = signature.try_into().map_err(|_| VerifyError::TooShort {
            found_bytes: bytes.len(),
        })?;
        Ok(Self {
            doc,
            signer: CenterId::from_bytes(signer),
            signature,
            change: change.to_vec(),
        })
    }

    /// Checks everything that makes a change trustworthy, in this order:
    /// size limit; the change is for `expected_doc`; the signer may write that
    /// document and its key is a point not of small order; the signature
    /// verifies (under ZIP 215's rules, see [`batch`]) over the exact received
    /// bytes; the chunk is an uncompressed change within the operation,
    /// predecessor and expanded-size limits ([`bounds::measure`], which reads it
    /// without decoding); only then the bytes are decoded as an Automerge
    /// change; and the change's actor is the signer's key, alone (epoch 0) or
    /// followed by an 8-byte epoch id (a later writing epoch); any other actor
    /// is refused.
    pub fn verify(self, expected_doc: &DocId) -> Result<VerifiedChange, VerifyError> {
        self.verify_with(expected_doc, &mut SignerKeys::default())
    }

    /// [`SignedChange::verify`], reusing the signers' public keys decoded for
    /// earlier changes in `keys` (decoding a key costs about a third of a
    /// verification, and a batch from a peer has few signers).
    /// [`batch::verify_batch`] checks many changes' signatures at once.
    pub fn verify_with(
        self,
        expected_doc: &DocId,
        keys: &mut SignerKeys,
    ) -> Result<VerifiedChange, VerifyError> {
        let key = self.check_header(expected_doc, keys)?;
        self.check_signature(&key)?;
        self.decode_signed()
    }

    /// The signature alone, under ZIP 215's rules, with the signer's `key`.
    fn check_signature(&self, key: &ed25519_zebra::VerificationKey) -> Result<(), VerifyError> {
        let signature = ed25519_zebra::Signature::from_bytes(&self.signature);
        key.verify(&signature, &self.signed_bytes())
            .map_err(|_| VerifyError::BadSignature {
                signer: self.signer,
            })
    }

    /// The checks before the signature: size, document, authorisation and the
    /// signer's key (returned).
    fn check_header(
        &self,
        expected_doc: &DocId,
        keys: &mut SignerKeys,
    ) -> Result<ed25519_zebra::VerificationKey, VerifyError> {
        if self.change.len() > CHANGE_BYTES_MAX {
            return Err(VerifyError::TooLarge {
                found_bytes: self.change.len(),
            });
        }
        if self.doc != *expected_doc {
            return Err(VerifyError::WrongDocument {
                expected: *expected_doc,
                found: self.doc,
            });
        }
        if !is_authorised(&self.doc, &self.signer) {
            return Err(VerifyError::Unauthorised {
                signer: self.signer,
                doc: self.doc,
            });
        }
        keys.get(&self.signer)
    }

    /// The bytes the signature covers: domain tag, document, signer, change.
    fn signed_bytes(&self) -> Vec<u8> {
        let mut message =
            Vec::with_capacity(CATALOG_CHANGE_DOMAIN.len() + DOC_ID_BYTES + 32 + self.change.len());
        message.extend_from_slice(domain_for(self.doc.kind));
        message.extend_from_slice(&self.doc.to_bytes());
        message.extend_from_slice(self.signer.as_bytes());
        message.extend_from_slice(&self.change);
        message
    }

    /// The checks after the signature: the chunk is measured before Automerge
    /// decodes (and possibly inflates) it, then decoded, then its actor checked.
    fn decode_signed(self) -> Result<VerifiedChange, VerifyError> {
        bounds::measure(&self.change).map_err(|e| match e {
            bounds::BoundsError::Compressed(reason) => VerifyError::CompressedChange { reason },
            bounds::BoundsError::OverLimit { what, limit } => {
                VerifyError::ChangeOverLimit { what, limit }
            }
            bounds::BoundsError::Malformed(reason) => VerifyError::MalformedChange { reason },
        })?;
        let change =
            Change::try_from(self.change.as_slice()).map_err(|e| VerifyError::MalformedChange {
                reason: e.to_string(),
            })?;
        if epoch_of_actor(&self.signer, change.actor_id()).is_none() {
            return Err(VerifyError::ActorMismatch {
                expected: actor_for(&self.signer).to_hex_string(),
                found: change.actor_id().to_hex_string(),
            });
        }
        let ops = ChangeOps::of(&change);
        Ok(VerifiedChange {
            signed: self,
            change,
            ops,
        })
    }
}

/// Signers' public keys, checked and decoded once (see
/// [`SignedChange::verify_with`]).
#[derive(Default)]
pub struct SignerKeys {
    keys: std::collections::HashMap<CenterId, ed25519_zebra::VerificationKey>,
}

impl SignerKeys {
    /// At most this many keys are kept; then the cache starts again.
    const MAX: usize = 1_024;

    /// The key of `signer`: 32 bytes that decode to a point (else `BadKey`),
    /// which must not be of small order (else `BadSignature`: with such a key
    /// anybody could sign, so no signature by it counts).
    fn get(&mut self, signer: &CenterId) -> Result<ed25519_zebra::VerificationKey, VerifyError> {
        if let Some(key) = self.keys.get(signer) {
            return Ok(*key);
        }
        let bad = || VerifyError::BadKey { signer: *signer };
        let point = VerifyingKey::from_bytes(signer.as_bytes()).map_err(|_| bad())?;
        if point.is_weak() {
            return Err(VerifyError::BadSignature { signer: *signer });
        }
        let key =
            ed25519_zebra::VerificationKey::try_from(*signer.as_bytes()).map_err(|_| bad())?;
        if self.keys.len() >= Self::MAX {
            self.keys.clear();
        }
        self.keys.insert(*signer, key);
        Ok(key)
    }
}

impl std::fmt::Debug for SignedChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedChange")
            .field("doc", &self.doc)
            .field("signer", &self.signer)
            .field("change_bytes", &self.change.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
