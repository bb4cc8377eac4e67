//! Serving peers: what this node offers (heads, seqs) and the changes and images
//! it hands out, limited to accepted catalogs and bounded per answer.

use std::collections::BTreeMap;

use telecenter_protocol::catalog::is_image_hash;
use telecenter_protocol::sync::{Changes, SYNC_BODY_BYTES_MAX};
use telecenter_protocol::{CenterId, ChainId, DocId};

use super::{Node, NodeError, lock};

/// Most changes a node sends in one fetch answer or push: small batches keep each
/// receiving transaction short (a kill loses at most one batch of work, never data)
/// and Automerge's memory use low.
pub const FETCH_CHANGES_MAX: usize = 200;

/// Most bytes of changes in one fetch answer (the body stays under [`SYNC_BODY_BYTES_MAX`]
/// after base64).
pub const FETCH_BYTES_MAX: usize = SYNC_BODY_BYTES_MAX / 2;

impl Node {
    /// Every stored change of `doc`, as envelopes, in commit order.
    pub fn changes_of(&self, doc: &DocId) -> Result<Vec<Vec<u8>>, NodeError> {
        Ok(lock(&self.reader).changes_after(doc, 0)?)
    }

    /// The current heads of a catalog this node holds, as hex hashes.
    pub fn heads_of(&self, center: &CenterId) -> Vec<String> {
        let writer = lock(&self.writer);
        let (_, heads) = writer.seq_and_heads(&self.center_id(), center);
        heads.iter().map(|h| h.to_string()).collect()
    }

    /// Every accepted catalog with the seq held and its heads, sorted by center.
    pub fn catalogs(&self) -> Vec<(CenterId, u64, Vec<String>)> {
        let writer = lock(&self.writer);
        let own = self.center_id();
        let mut out: Vec<_> = writer
            .accepted
            .keys()
            .map(|center| {
                let (seq, heads) = writer.seq_and_heads(&own, center);
                (*center, seq, heads.iter().map(|h| h.to_string()).collect())
            })
            .collect();
        out.sort_by_key(|(center, _, _)| *center);
        out
    }

    /// What this node offers its peers: for every accepted catalog, the highest
    /// seq held of each writing epoch's chain, keyed by [`ChainId`] (epoch 0,
    /// keyed by the document id, is always listed: 0 if nothing is held yet).
    pub fn have(&self) -> BTreeMap<String, u64> {
        let writer = lock(&self.writer);
        let own = self.center_id();
        let mut have = BTreeMap::new();
        for center in writer.accepted.keys() {
            let doc = DocId::catalog(*center);
            have.insert(ChainId::base(doc).to_string(), 0);
            for epoch in writer.epochs_of(&own, center) {
                have.insert(
                    ChainId { doc, epoch }.to_string(),
                    writer.seq_of(&own, center, epoch),
                );
            }
        }
        have
    }

    /// The changes a peer asks for (chain id → the seq it holds), limited to
    /// accepted catalogs and to
    /// [`FETCH_CHANGES_MAX`] changes / about [`FETCH_BYTES_MAX`] bytes.
    pub fn fetch(&self, want: &BTreeMap<String, u64>) -> Result<Changes, NodeError> {
        self.fetch_limited(want, FETCH_CHANGES_MAX, FETCH_BYTES_MAX)
    }

    /// Like [`Node::fetch`] with explicit limits (at least one change is returned
    /// if any is wanted).
    pub fn fetch_limited(
        &self,
        want: &BTreeMap<String, u64>,
        count_max: usize,
        bytes_max: usize,
    ) -> Result<Changes, NodeError> {
        let accepted: Vec<CenterId> = lock(&self.writer).accepted.keys().copied().collect();
        let reader = lock(&self.reader);
        let mut changes = Vec::new();
        let mut bytes = 0usize;
        let mut more = false;
        for (chain, after) in want {
            let Ok(chain) = chain.parse::<ChainId>() else {
                continue;
            };
            if !accepted.contains(&chain.doc.owner) {
                continue;
            }
            let count_left = count_max.saturating_sub(changes.len());
            let bytes_left = bytes_max.saturating_sub(bytes);
            if count_left == 0 || bytes_left == 0 {
                more = true;
                break;
            }
            let (found, doc_more) =
                reader.changes_after_seq(&chain, *after, count_left, bytes_left)?;
            for envelope in found {
                bytes += envelope.len();
                changes.push(telecenter_protocol::b64::encode(envelope));
            }
            if doc_more {
                more = true;
                break;
            }
        }
        Ok(Changes { changes, more })
    }

    /// A stored image for a peer: only images that listings held here name.
    pub fn image_for_peer(&self, hash: &str) -> Result<Option<Vec<u8>>, NodeError> {
        if !is_image_hash(hash) {
            return Ok(None);
        }
        let reader = lock(&self.reader);
        // The cheap look-up first: most unknown hashes end here, before the scan
        // of every listing's photos.
        let Some(bytes) = reader.image(hash)? else {
            return Ok(None);
        };
        Ok(reader.image_is_named(hash)?.then_some(bytes))
    }
}
