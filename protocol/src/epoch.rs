//! Writing epochs: the Automerge actors one key may write its catalog with, and
//! the chains (one per actor) that sync counts changes along.
//!
//! Epoch 0 of a catalog is the actor made of the owner's 32 key bytes, the one
//! every catalog starts with. A node restored from an old backup holds its own
//! catalog only up to some seq its peers are already past; writing the next seq
//! again would fork the chain. So it begins a new epoch first: an actor of the
//! 32 key bytes followed by an 8-byte [`EpochId`] drawn at random (never
//! counted up, so two restores of one backup never pick the same actor). Each
//! actor's changes form their own linear chain, numbered 1, 2, 3 ... by
//! Automerge; a [`ChainId`] names one chain of one document.

use std::fmt;
use std::str::FromStr;

use automerge::ActorId;
use rand::RngCore;

use crate::id::{CenterId, DocId};

/// Bytes of an [`EpochId`].
pub const EPOCH_ID_BYTES: usize = 8;

/// Names one later writing epoch of a catalog; printed as 16 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EpochId([u8; EPOCH_ID_BYTES]);

impl EpochId {
    /// The epoch with these bytes.
    pub const fn from_bytes(bytes: [u8; EPOCH_ID_BYTES]) -> Self {
        Self(bytes)
    }

    /// A fresh epoch id drawn from `rng`.
    pub fn random(rng: &mut dyn RngCore) -> Self {
        let mut bytes = [0u8; EPOCH_ID_BYTES];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The 8 bytes.
    pub const fn as_bytes(&self) -> &[u8; EPOCH_ID_BYTES] {
        &self.0
    }
}

impl fmt::Display for EpochId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for EpochId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EpochId({self})")
    }
}

/// Why a printed epoch or chain id does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a chain id: expected a document id, optionally followed by a dot and 16 lowercase hex digits, but found {found:?}"
)]
pub struct ChainIdError {
    /// The text found (shortened).
    pub found: String,
}

impl FromStr for EpochId {
    type Err = ChainIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || ChainIdError {
            found: text.chars().take(80).collect(),
        };
        let lowercase = text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if text.len() != 2 * EPOCH_ID_BYTES || !lowercase {
            return Err(err());
        }
        let mut bytes = [0u8; EPOCH_ID_BYTES];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| err())?;
        Ok(Self(bytes))
    }
}

/// The Automerge actor `center`'s key writes with in `epoch` (`None`: epoch 0,
/// the 32 key bytes alone; else the key bytes followed by the epoch id).
pub fn actor_for_epoch(center: &CenterId, epoch: Option<EpochId>) -> ActorId {
    match epoch {
        None => ActorId::from(center.as_bytes().as_slice()),
        Some(epoch) => {
            let mut bytes = Vec::with_capacity(32 + EPOCH_ID_BYTES);
            bytes.extend_from_slice(center.as_bytes());
            bytes.extend_from_slice(epoch.as_bytes());
            ActorId::from(bytes)
        }
    }
}

/// Which writing epoch of `center` `actor` is: `Some(None)` for epoch 0,
/// `Some(Some(epoch))` for a later one, `None` when the actor is not one of
/// `center`'s (another key, or a length other than 32 or 40 bytes).
pub fn epoch_of_actor(center: &CenterId, actor: &ActorId) -> Option<Option<EpochId>> {
    let bytes = actor.to_bytes();
    let (key, rest) = bytes.split_at_checked(32)?;
    if key != center.as_bytes() {
        return None;
    }
    match rest.len() {
        0 => Some(None),
        EPOCH_ID_BYTES => {
            let mut epoch = [0u8; EPOCH_ID_BYTES];
            epoch.copy_from_slice(rest);
            Some(Some(EpochId(epoch)))
        }
        _ => None,
    }
}

/// One actor's chain of changes in one document: the unit sync counts seqs in.
///
/// Printed as the document id for epoch 0 (`catalog:tc1…`, as before epochs
/// existed) and as the document id, a dot and the epoch id for a later epoch
/// (`catalog:tc1….0123456789abcdef`); summaries and want lists use this form as
/// their keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainId {
    /// The document.
    pub doc: DocId,
    /// The writing epoch (`None`: epoch 0).
    pub epoch: Option<EpochId>,
}

impl ChainId {
    /// Epoch 0 of `doc`.
    pub const fn base(doc: DocId) -> Self {
        Self { doc, epoch: None }
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.epoch {
            None => write!(f, "{}", self.doc),
            Some(epoch) => write!(f, "{}.{epoch}", self.doc),
        }
    }
}

impl FromStr for ChainId {
    type Err = ChainIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || ChainIdError {
            found: text.chars().take(80).collect(),
        };
        let (doc, epoch) = match text.split_once('.') {
            Some((doc, epoch)) => (doc, Some(epoch.parse()?)),
            None => (text, None),
        };
        if doc.trim() != doc {
            return Err(err());
        }
        let doc = doc.parse().map_err(|_| err())?;
        Ok(Self { doc, epoch })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn center(byte: u8) -> CenterId {
        CenterId::from_bytes([byte; 32])
    }

    #[test]
    fn epoch_zero_is_the_bare_key_and_later_epochs_append_their_id() {
        let epoch = EpochId::from_bytes([1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(actor_for_epoch(&center(7), None).to_bytes(), [7u8; 32]);
        let later = actor_for_epoch(&center(7), Some(epoch));
        assert_eq!(later.to_bytes().len(), 40);
        assert_eq!(epoch_of_actor(&center(7), &later), Some(Some(epoch)));
        assert_eq!(
            epoch_of_actor(&center(7), &actor_for_epoch(&center(7), None)),
            Some(None)
        );
        // Another key, or a wrong length, is no epoch of this center.
        assert_eq!(epoch_of_actor(&center(8), &later), None);
        let mut long = later.to_bytes().to_vec();
        long.push(0);
        assert_eq!(epoch_of_actor(&center(7), &ActorId::from(long)), None);
        assert_eq!(
            epoch_of_actor(&center(7), &ActorId::from(&[7u8; 36][..])),
            None
        );
        assert_eq!(
            epoch_of_actor(&center(7), &ActorId::from(&[7u8; 31][..])),
            None
        );
    }

    #[test]
    fn chain_ids_print_as_the_document_id_for_epoch_zero_and_round_trip() {
        let doc = DocId::catalog(center(3));
        let base = ChainId::base(doc);
        assert_eq!(base.to_string(), doc.to_string());
        assert_eq!(base.to_string().parse::<ChainId>(), Ok(base));
        let later = ChainId {
            doc,
            epoch: Some(EpochId::from_bytes([0xab; 8])),
        };
        assert_eq!(later.to_string(), format!("{doc}.abababababababab"));
        assert_eq!(later.to_string().parse::<ChainId>(), Ok(later));
        for bad in [
            format!("{doc}."),
            format!("{doc}.ABABABABABABABAB"),
            format!("{doc}.abab"),
            format!("{doc}.abababababababab.00"),
            format!(" {doc}"),
            "catalog".to_owned(),
        ] {
            assert!(bad.parse::<ChainId>().is_err(), "{bad}");
        }
    }
}
