//! Messages of the sync protocol between peer nodes (JSON over HTTP).
//!
//! Catalogs are single-writer: every change of a catalog is made by its owner's
//! key, whose Automerge actor numbers its changes 1, 2, 3, ... (`seq`). A key
//! writes with one actor per writing epoch ([`crate::epoch`]; almost every
//! catalog has only epoch 0), and each actor's changes form one linear chain.
//! So what a node holds of a catalog is fully described by one number per
//! chain, the highest `seq` it holds, and a summary of everything a node offers
//! is a map from chain id ([`ChainId`]: the document id for epoch 0) to that
//! number. See `docs/protocol.md` for the exchange.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::epoch::ChainId;

/// The chains `ahead` holds more of than `behind`, each with the seq `behind`
/// holds (where a fetch for it starts).
///
/// A chain `behind` does not list counts as held up to 0 when `behind` lists
/// its document's epoch-0 key (it follows the catalog but has not seen that
/// epoch yet); chains of documents `behind` does not list at all are left out,
/// as are keys that do not read as chain ids (an unknown key is matched only
/// by itself).
pub fn lacking(
    ahead: &BTreeMap<String, u64>,
    behind: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    ahead
        .iter()
        .filter_map(|(key, seq)| {
            let held = match behind.get(key) {
                Some(held) => *held,
                None => {
                    let chain = key.parse::<ChainId>().ok()?;
                    chain.epoch?;
                    behind.get(&ChainId::base(chain.doc).to_string())?;
                    0
                }
            };
            (*seq > held).then(|| (key.clone(), held))
        })
        .collect()
}

/// Most documents in one summary or want list.
pub const SYNC_DOCS_MAX: usize = 10_000;
/// Most changes in one fetch answer or push.
pub const SYNC_CHANGES_MAX: usize = 1_000;
/// Largest sync request or answer body, in bytes.
pub const SYNC_BODY_BYTES_MAX: usize = 4 * 1024 * 1024;
/// Longest a summary request may ask the server to wait for news, in ms.
pub const SYNC_WAIT_MS_MAX: u32 = 25_000;

/// `POST /api/v1/sync/summary` request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryRequest {
    /// What the caller holds: chain id → highest seq (0 = wants it, holds nothing).
    pub have: BTreeMap<String, u64>,
    /// If > 0, the server may hold the answer up to this long until it has
    /// something the caller lacks (long poll; lets a node behind NAT hear of news promptly).
    #[serde(default)]
    pub wait_ms: u32,
    /// `have` lists only the chains that changed since the caller's last
    /// summary request to this node, which the node merges into the map it
    /// remembers for the caller (protocol §10.3); absent or `false`: `have` is
    /// the whole map.
    #[serde(default, skip_serializing_if = "is_false")]
    pub delta: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// `POST /api/v1/sync/summary` answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryResponse {
    /// The answering center.
    pub center_id: String,
    /// What it offers (the catalogs it accepts): chain id → highest seq it holds.
    /// For a long poll (`wait_ms` > 0) only the documents where it is ahead of the caller.
    pub have: BTreeMap<String, u64>,
    /// For a long poll: the changes the caller lacks, inline (at most
    /// [`SUMMARY_INLINE_BYTES_MAX`] bytes of envelopes), so one answer delivers a
    /// small edit. Base64 envelopes in seq order per document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
}

/// Most envelope bytes a long-poll summary carries inline.
pub const SUMMARY_INLINE_BYTES_MAX: usize = 256 * 1024;

/// `POST /api/v1/sync/fetch` request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchRequest {
    /// Chain id → send the changes of that chain with seq greater than this.
    pub want: BTreeMap<String, u64>,
}

/// `POST /api/v1/sync/fetch` answer and `POST /api/v1/sync/push` request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Changes {
    /// Signed-change envelopes, standard base64 (with padding), in seq order per chain.
    pub changes: Vec<String>,
    /// In a fetch answer: more changes are waiting; fetch again.
    #[serde(default)]
    pub more: bool,
}

/// `POST /api/v1/sync/push` answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Changes verified, stored and applied.
    pub applied: u32,
    /// Changes already held.
    pub duplicates: u32,
    /// Changes held back until the changes before them arrive.
    pub pending: u32,
    /// Changes refused, with the reason.
    pub rejected: Vec<Rejected>,
}

/// One refused change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// Its position in the pushed list.
    pub index: usize,
    /// Machine code (`bad_signature`, `not_accepted`, ...).
    pub code: String,
    /// One line in plain words.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::epoch::EpochId;
    use crate::id::{CenterId, DocId};

    #[test]
    fn a_later_epoch_is_lacking_from_a_node_that_follows_its_catalog() {
        let doc = DocId::catalog(CenterId::from_bytes([5; 32]));
        let other = DocId::catalog(CenterId::from_bytes([6; 32]));
        let later = ChainId {
            doc,
            epoch: Some(EpochId::from_bytes([9; 8])),
        };
        let ahead: BTreeMap<String, u64> = [
            (doc.to_string(), 5),
            (later.to_string(), 2),
            (other.to_string(), 3),
            ("junk".to_owned(), 9),
        ]
        .into();
        let behind: BTreeMap<String, u64> = [(doc.to_string(), 3), ("junk".to_owned(), 1)].into();
        let want = lacking(&ahead, &behind);
        assert_eq!(
            want,
            [
                (doc.to_string(), 3),
                (later.to_string(), 0),
                ("junk".to_owned(), 1)
            ]
            .into()
        );
        assert!(lacking(&behind, &ahead).is_empty());
    }
}
