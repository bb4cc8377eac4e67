//! Authenticating a batch of changes by their hash chain: one signature checked
//! per chain instead of one per change.
//!
//! An Automerge change names the changes it builds on by hash: the SHA-256 of
//! their chunks. A catalog is written only by its owner's key, and the owner's
//! node builds only on changes it holds, each of which it made or verified. So
//! a change whose signature verifies is the owner's word for every change
//! below it: a chunk whose hash is a dependency of an authenticated change of
//! the same catalog is exactly the chunk the owner built on, whoever relayed
//! it. (This is how a signed Git commit vouches for its history.)
//!
//! [`plan`] walks a batch from its end: a change whose chunk hash is named by a
//! later change of the same document in the batch, itself checked or covered,
//! is [`Check::Covered`]; any other change must have its own signature checked
//! ([`Check::Signature`]). A catch-up sent in order (as every node sends one)
//! then needs one signature per chain and batch. The plan trusts the
//! dependencies a change names only because that change's signature will be
//! checked: the caller checks every [`Check::Signature`] first and, if any
//! fails, plans again with the failed ones refused, so a change is only ever
//! covered by changes that are themselves authenticated.
//!
//! A covered change is authenticated, decoded and applied like a signed one,
//! but its own signature bytes are not read: a relay that damaged them passes
//! them on, and a node that later receives that change alone, outside a batch
//! with a change above it, refuses it as a bad signature (safe: it then takes
//! the change with the next catch-up of its chain).

use std::collections::{HashMap, HashSet};

use automerge::ChangeHash;
use sha2::{Digest, Sha256};

use super::SignedChange;
use super::bounds;
use crate::id::DocId;

/// Bytes of an Automerge chunk before the hashed part: magic and checksum.
const CHUNK_PREFIX_BYTES: usize = 8;
/// The magic bytes that open every Automerge chunk.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// What [`plan`] needs to know of one change of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The document the envelope names.
    pub doc: DocId,
    /// The hash of the chunk exactly as received (`None`: not a well-formed
    /// chunk, so it can only be checked by its own signature, which then fails).
    pub hash: Option<ChangeHash>,
    /// The dependencies the chunk names (empty if its header does not parse).
    pub deps: Vec<ChangeHash>,
}

impl Link {
    /// Reads the link of a framed envelope: hashes its chunk and reads the
    /// dependencies in the chunk's header, decoding nothing else.
    pub fn of(signed: &SignedChange) -> Self {
        Self {
            doc: signed.doc,
            hash: chunk_hash(&signed.change),
            deps: bounds::dependencies(&signed.change).unwrap_or_default(),
        }
    }
}

/// How one change of a batch is to be authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// By its own signature ([`SignedChange::verify_with`]).
    Signature,
    /// By its hash, named by a later authenticated change of its document in
    /// the batch ([`SignedChange::verify_covered`] with this hash).
    Covered(ChangeHash),
}

/// Plans how each change of a batch (in the order received; `None` for an
/// envelope that is refused anyway) is authenticated. `refused[i]`: change `i`
/// failed its own signature check, so it names no dependencies that count.
/// Work and memory are linear in the batch's bytes.
pub fn plan(links: &[Option<Link>], refused: &[bool]) -> Vec<Check> {
    let mut vouched: HashMap<DocId, HashSet<ChangeHash>> = HashMap::new();
    let mut checks = vec![Check::Signature; links.len()];
    for (index, link) in links.iter().enumerate().rev() {
        let Some(link) = link else { continue };
        if refused.get(index).copied().unwrap_or(false) {
            continue;
        }
        let named = vouched.entry(link.doc).or_default();
        if let Some(hash) = link.hash.filter(|hash| named.contains(hash)) {
            checks[index] = Check::Covered(hash);
        }
        named.extend(link.deps.iter().copied());
    }
    checks
}

/// The Automerge hash of a change chunk exactly as received: the SHA-256 of
/// everything after the magic bytes and checksum, provided the chunk's
/// checksum (the hash's first four bytes) matches. Automerge hashes the chunk
/// type, the length in its shortest encoding and the data; a chunk that
/// encodes its length otherwise gets another hash here and is never covered.
pub fn chunk_hash(chunk: &[u8]) -> Option<ChangeHash> {
    if chunk.len() <= CHUNK_PREFIX_BYTES || chunk[..4] != MAGIC {
        return None;
    }
    let hash: [u8; 32] = Sha256::digest(&chunk[CHUNK_PREFIX_BYTES..]).into();
    (hash[..4] == chunk[4..CHUNK_PREFIX_BYTES]).then_some(ChangeHash(hash))
}

#[cfg(test)]
mod tests;
