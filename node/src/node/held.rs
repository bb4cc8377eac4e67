//! Other centers' catalogs held here, without holding every one in memory.
//!
//! What the node needs of a catalog to answer peers, place received changes
//! and compute acceptance ([`CatalogState`]: each writing epoch's seq and last
//! hash, the heads, the vouches) is kept in memory for every held catalog, and
//! in the `documents` table, written in the same transaction as the changes.
//! The Automerge documents themselves are kept only for the
//! [`DOCS_IN_MEMORY_MAX`] most recently used catalogs: a document is loaded
//! from its snapshot and the changes stored after it when a change must be
//! applied to it, and the least recently used are dropped after each commit.
//! A node holding thousands of catalogs so keeps its memory and its start-up
//! time bounded by what it uses, not by what it holds.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use automerge::ChangeHash;
use serde::{Deserialize, Serialize};
use telecenter_protocol::catalog::CatalogDoc;
use telecenter_protocol::{CenterId, DocId, EpochId, SignedChange};

use crate::store::{Store, StoreError};

use super::NodeError;

/// The most catalog documents of other centers kept loaded at once. A
/// province's center accepts about 40; a hub more, and loads the others when
/// their changes arrive.
pub const DOCS_IN_MEMORY_MAX: usize = 64;

/// What is kept of a held catalog whether or not its document is loaded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct CatalogState {
    /// Per writing epoch (`None`: epoch 0): the highest seq held and its hash.
    chains: BTreeMap<Option<EpochId>, (u64, ChangeHash)>,
    /// The document's heads.
    pub(super) heads: Vec<ChangeHash>,
    /// The centers the catalog's owner vouches for.
    pub(super) vouches: Vec<CenterId>,
}

impl CatalogState {
    /// The state of a loaded document.
    pub(super) fn of(doc: &CatalogDoc) -> Self {
        let mut state = Self::default();
        state.note_chains(doc);
        state.heads = doc.heads();
        state.vouches = doc.vouches();
        state
    }

    fn note_chains(&mut self, doc: &CatalogDoc) {
        self.chains = doc
            .epochs()
            .filter_map(|epoch| Some((epoch, (doc.seq_of(epoch), doc.last_of(epoch)?))))
            .collect();
    }

    /// The highest seq held of `epoch`'s chain (0 if none).
    pub(super) fn seq_of(&self, epoch: Option<EpochId>) -> u64 {
        self.chains.get(&epoch).map_or(0, |(seq, _)| *seq)
    }

    /// The writing epochs of which changes are held, epoch 0 first.
    pub(super) fn epochs(&self) -> impl Iterator<Item = Option<EpochId>> + '_ {
        self.chains.keys().copied()
    }

    /// How many changes are held (the sum over every epoch).
    pub(super) fn seq(&self) -> u64 {
        self.chains.values().map(|(seq, _)| *seq).sum()
    }

    fn to_text(&self) -> String {
        let stored = StoredState {
            chains: self
                .chains
                .iter()
                .map(|(epoch, (seq, last))| StoredChain {
                    epoch: epoch.map(|e| e.to_string()).unwrap_or_default(),
                    seq: *seq,
                    last: last.to_string(),
                })
                .collect(),
            heads: self.heads.iter().map(ToString::to_string).collect(),
            vouches: self.vouches.iter().map(ToString::to_string).collect(),
        };
        serde_json::to_string(&stored).unwrap_or_default()
    }

    fn from_text(text: &str) -> Result<Self, String> {
        let stored: StoredState = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let hash = |text: &str| text.parse::<ChangeHash>().map_err(|e| e.to_string());
        let mut chains = BTreeMap::new();
        for chain in stored.chains {
            let epoch = if chain.epoch.is_empty() {
                None
            } else {
                Some(chain.epoch.parse::<EpochId>().map_err(|e| e.to_string())?)
            };
            chains.insert(epoch, (chain.seq, hash(&chain.last)?));
        }
        Ok(Self {
            chains,
            heads: stored
                .heads
                .iter()
                .map(|h| hash(h))
                .collect::<Result<_, _>>()?,
            vouches: stored
                .vouches
                .iter()
                .map(|c| c.parse::<CenterId>().map_err(|e| e.to_string()))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// [`CatalogState`] as stored: JSON with hex hashes and ids.
#[derive(Serialize, Deserialize)]
struct StoredState {
    chains: Vec<StoredChain>,
    heads: Vec<String>,
    vouches: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredChain {
    /// '' for epoch 0.
    epoch: String,
    seq: u64,
    last: String,
}

/// A loaded document and when it was last used.
struct Loaded {
    doc: CatalogDoc,
    used: u64,
}

/// Other centers' catalogs: the state of every one, the documents of the most
/// recently used.
#[derive(Default)]
pub(super) struct Held {
    states: HashMap<CenterId, CatalogState>,
    docs: HashMap<CenterId, Loaded>,
    /// Counts uses, to find the least recently used document.
    tick: u64,
}

/// Loads a document from its snapshot and the changes stored after it,
/// re-verifying each change.
pub(super) fn load_catalog(
    store: &Store,
    doc_id: &DocId,
    snapshot: Option<&[u8]>,
    upto: i64,
) -> Result<CatalogDoc, NodeError> {
    let mut doc = match snapshot {
        Some(bytes) => CatalogDoc::load(doc_id.owner, bytes)?,
        None => CatalogDoc::empty(doc_id.owner),
    };
    // One change at a time: large batches are slow and memory-hungry in Automerge.
    for envelope in store.changes_after(doc_id, upto)? {
        let verified = SignedChange::from_bytes(&envelope)
            .and_then(|s| s.verify(doc_id))
            .map_err(|e| StoreError::Corrupt(format!("stored change of {doc_id}: {e}")))?;
        doc.apply(&verified)?;
    }
    Ok(doc)
}

/// Loads `doc_id` as stored (an empty catalog if it is not).
pub(super) fn reload(store: &Store, doc_id: &DocId) -> Result<CatalogDoc, NodeError> {
    match store.document(doc_id)? {
        Some(row) => load_catalog(store, doc_id, row.snapshot.as_deref(), row.snapshot_upto),
        None => Ok(CatalogDoc::empty(doc_id.owner)),
    }
}

impl Held {
    /// Reads the state of every stored catalog but `own`'s, without loading
    /// their documents. A state not written yet (a database from before it was
    /// kept) is computed from its document once and written; a catalog that
    /// does not load then is forgotten, and will be fetched again from peers.
    pub(super) fn open(store: &mut Store, own: &CenterId) -> Result<Self, NodeError> {
        let mut held = Self::default();
        for (doc_id, text) in store.document_states()? {
            let center = doc_id.owner;
            if center == *own {
                continue;
            }
            let stored = match text.as_deref().map(CatalogState::from_text) {
                Some(Ok(state)) => Some(state),
                Some(Err(error)) => {
                    tracing::warn!(doc = %doc_id, %error, "stored catalog state unreadable; computed again");
                    None
                }
                None => None,
            };
            let state = match stored {
                Some(state) => state,
                None => match held.compute_state(store, &doc_id)? {
                    Some(state) => state,
                    None => continue,
                },
            };
            held.states.insert(center, state);
        }
        Ok(held)
    }

    /// Loads a stored catalog to compute and write its state; `None` if it
    /// does not load (it is then forgotten).
    fn compute_state(
        &mut self,
        store: &mut Store,
        doc_id: &DocId,
    ) -> Result<Option<CatalogState>, NodeError> {
        match reload(store, doc_id) {
            Ok(doc) => {
                let state = CatalogState::of(&doc);
                store.set_document_state(doc_id, &state.to_text())?;
                Ok(Some(state))
            }
            Err(error) => {
                // Another center's catalog that no longer verifies (e.g. a
                // compressed change stored before such changes were refused)
                // is forgotten and fetched again from peers, never a reason
                // not to start.
                tracing::warn!(doc = %doc_id, %error, "stored catalog does not load; forgotten, it will be fetched again");
                store.purge_document(doc_id)?;
                Ok(None)
            }
        }
    }

    /// What is held of `center`'s catalog (`None`: nothing).
    pub(super) fn state(&self, center: &CenterId) -> Option<&CatalogState> {
        self.states.get(center)
    }

    /// Every center of which something is held.
    pub(super) fn centers(&self) -> impl Iterator<Item = &CenterId> {
        self.states.keys()
    }

    /// `center`'s document if it is loaded.
    pub(super) fn loaded(&self, center: &CenterId) -> Option<&CatalogDoc> {
        self.docs.get(center).map(|loaded| &loaded.doc)
    }

    /// `center`'s document, loaded from the store if it is not in memory (an
    /// empty one if nothing is held). A stored catalog that does not load is
    /// forgotten and begins again empty.
    pub(super) fn doc_mut(
        &mut self,
        store: &mut Store,
        center: CenterId,
    ) -> Result<&mut CatalogDoc, NodeError> {
        self.tick += 1;
        let loaded = match self.docs.entry(center) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let doc_id = DocId::catalog(center);
                let doc = match reload(store, &doc_id) {
                    Ok(doc) => doc,
                    // The database failing is no reason to forget anything.
                    Err(NodeError::Store(StoreError::Sqlite(error))) => {
                        return Err(StoreError::Sqlite(error).into());
                    }
                    Err(error) => {
                        tracing::warn!(doc = %doc_id, %error, "stored catalog does not load; forgotten, it will be fetched again");
                        store.purge_document(&doc_id)?;
                        // Its vouches stay until it is fetched again, so the
                        // centers it vouches for are not forgotten meanwhile.
                        let vouches = self
                            .states
                            .remove(&center)
                            .map(|state| state.vouches)
                            .unwrap_or_default();
                        if !vouches.is_empty() {
                            let state = CatalogState {
                                vouches,
                                ..CatalogState::default()
                            };
                            self.states.insert(center, state);
                        }
                        CatalogDoc::empty(center)
                    }
                };
                entry.insert(Loaded { doc, used: 0 })
            }
        };
        loaded.used = self.tick;
        Ok(&mut loaded.doc)
    }

    /// Notes the chains of `center`'s loaded document after changes were
    /// applied to it (heads and vouches follow in [`Held::settle`]).
    pub(super) fn applied(&mut self, center: CenterId) {
        if let Some(loaded) = self.docs.get(&center) {
            self.states
                .entry(center)
                .or_default()
                .note_chains(&loaded.doc);
        }
    }

    /// Brings `center`'s whole state up to its loaded document before a
    /// commit (its vouches read again only if `vouches_touched`); returns the
    /// state to store with the commit.
    pub(super) fn settle(&mut self, center: CenterId, vouches_touched: bool) -> Option<String> {
        let loaded = self.docs.get(&center)?;
        let state = self.states.entry(center).or_default();
        state.note_chains(&loaded.doc);
        state.heads = loaded.doc.heads();
        if vouches_touched {
            state.vouches = loaded.doc.vouches();
        }
        Some(state.to_text())
    }

    /// Forgets everything of `center`'s catalog (memory only).
    pub(super) fn forget(&mut self, center: &CenterId) {
        self.states.remove(center);
        self.docs.remove(center);
    }

    /// Reads `center`'s catalog again from the store (after a failed commit,
    /// so that memory never runs ahead of disk).
    pub(super) fn reload(&mut self, store: &Store, center: CenterId) -> Result<(), NodeError> {
        self.forget(&center);
        let doc_id = DocId::catalog(center);
        let doc = match reload(store, &doc_id) {
            Ok(doc) => doc,
            Err(error) => {
                // Not loadable now: what the last commit stored stands, so
                // the catalog is neither offered beyond the disk nor lost.
                let stored = store.document_state(&doc_id).ok().flatten();
                if let Some(state) = stored.and_then(|t| CatalogState::from_text(&t).ok()) {
                    self.states.insert(center, state);
                }
                return Err(error);
            }
        };
        if doc.seq() > 0 {
            self.states.insert(center, CatalogState::of(&doc));
            self.docs.insert(
                center,
                Loaded {
                    doc,
                    used: self.tick,
                },
            );
        }
        Ok(())
    }

    /// Drops the least recently used documents beyond [`DOCS_IN_MEMORY_MAX`].
    /// Called only between commits: a document changed by a batch not yet
    /// committed is never dropped.
    pub(super) fn trim(&mut self) {
        while self.docs.len() > DOCS_IN_MEMORY_MAX {
            let Some(oldest) = self
                .docs
                .iter()
                .min_by_key(|(_, loaded)| loaded.used)
                .map(|(center, _)| *center)
            else {
                break;
            };
            self.docs.remove(&oldest);
        }
    }

    /// How many documents are loaded.
    #[cfg(test)]
    pub(super) fn loaded_count(&self) -> usize {
        self.docs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_catalog_state_reads_back_as_it_was_stored() {
        let epoch: EpochId = "0123456789abcdef".parse().unwrap();
        let hash = |b: u8| ChangeHash([b; 32]);
        let state = CatalogState {
            chains: BTreeMap::from([(None, (7, hash(1))), (Some(epoch), (2, hash(2)))]),
            heads: vec![hash(2)],
            vouches: vec![CenterId::from_bytes([9; 32])],
        };
        let back = CatalogState::from_text(&state.to_text()).unwrap();
        assert_eq!(back, state);
        assert_eq!(back.seq(), 9);
        assert_eq!(back.seq_of(Some(epoch)), 2);
        assert!(CatalogState::from_text("{\"chains\":[{\"epoch\":\"x\"}]}").is_err());
    }
}
