//! The node: one center's identity, its catalog document, the store and the
//! operations operators and buyers use. HTTP handlers and the CLI both call these.
//!
//! Every write follows the same path: validate the input, make and sign one
//! Automerge change, then commit the signed change together with the index rows
//! it touched in one SQLite transaction. Only after that commit does a caller get
//! an acknowledgement; if the commit fails, the in-memory document is reloaded
//! from the store so memory never runs ahead of disk.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rand::RngCore;
use telecenter_protocol::catalog::{CatalogDoc, CatalogError, Touched};
use telecenter_protocol::validate::{InvalidInput, ListingPatch, NewListing, ProfileInput};
use telecenter_protocol::{
    CenterId, DocId, Identity, ListingId, Profile, SignedChange, VerifyError,
};

use crate::clock::Clock;
use crate::search::SearchQuery;
use crate::store::{Commit, ListingRow, SearchPage, Store, StoreError};

/// A snapshot of a document is saved after this many changes since the last one,
/// so a restart replays at most this many changes per document.
pub const SNAPSHOT_EVERY_CHANGES: u64 = 256;

/// Why a node operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The caller's input is invalid.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// No such listing in this center's catalog.
    #[error("no listing with id {0} in this center's catalog")]
    NoSuchListing(ListingId),
    /// No such listing anywhere in the index.
    #[error("listing {listing} of center {center} is not known here")]
    UnknownListing {
        /// The center.
        center: CenterId,
        /// The listing.
        listing: ListingId,
    },
    /// The listing was removed; removal cannot be undone.
    #[error("listing {0} was removed and cannot be changed")]
    Removed(ListingId),
    /// The catalog is full.
    #[error("{0}")]
    Full(String),
    /// The request changes nothing.
    #[error("nothing to change: give at least one field to update")]
    NoChange,
    /// A signed change was rejected.
    #[error("change rejected: {0}")]
    Rejected(#[from] VerifyError),
    /// A change arrived before changes it depends on.
    #[error("change depends on {missing} change(s) this node does not have yet")]
    MissingDependencies {
        /// How many dependencies are missing.
        missing: usize,
    },
    /// A received document does not follow the catalog schema.
    #[error("change rejected: {0}")]
    Schema(String),
    /// `create` was called on a database that already holds documents.
    #[error("{} already holds a center's catalog", .0.display())]
    AlreadyCreated(PathBuf),
    /// Storage failed (the node's fault, not the caller's).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something inside the node went wrong.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<CatalogError> for NodeError {
    fn from(error: CatalogError) -> Self {
        match error {
            CatalogError::NoSuchListing(id) => NodeError::NoSuchListing(id),
            CatalogError::Removed(id) => NodeError::Removed(id),
            CatalogError::Full => NodeError::Full(error.to_string()),
            CatalogError::NoChange => NodeError::NoChange,
            CatalogError::Schema(e) => NodeError::Schema(e.to_string()),
            other => NodeError::Internal(other.to_string()),
        }
    }
}

/// What happened to a received change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingested {
    /// Verified, stored, applied and indexed.
    Applied,
    /// Already held; nothing to do.
    Duplicate,
}

struct Writer {
    store: Store,
    own: CatalogDoc,
    others: HashMap<CenterId, CatalogDoc>,
    rng: Box<dyn RngCore + Send>,
}

/// A running telecenter node (without its HTTP server).
pub struct Node {
    identity: Identity,
    clock: Arc<dyn Clock>,
    db_path: PathBuf,
    writer: Mutex<Writer>,
    reader: Mutex<Store>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Node({})", self.identity.center_id())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave SQLite half-written (transactions
    // roll back), so a poisoned lock is safe to keep using.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Loads a document from its snapshot and the changes stored after it,
/// re-verifying each change.
fn load_catalog(
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

impl Node {
    /// Creates a new center: a fresh database at `db_path` holding the genesis
    /// change of its catalog with `profile`.
    pub fn create(
        db_path: &Path,
        identity: Identity,
        profile: &ProfileInput,
        clock: Arc<dyn Clock>,
        rng: Box<dyn RngCore + Send>,
    ) -> Result<Self, NodeError> {
        let profile = profile.validate_new()?;
        let mut store = Store::open(db_path)?;
        if !store.documents()?.is_empty() {
            return Err(NodeError::AlreadyCreated(db_path.to_owned()));
        }
        let (own, genesis) = CatalogDoc::create(&identity, &profile, clock.now_ms())?;
        let doc_id = own.doc_id();
        let commit = Commit {
            changes: vec![(doc_id, genesis_hash(&genesis)?, genesis.to_bytes())],
            profiles: vec![
                own.profile()
                    .map_err(|e| NodeError::Schema(e.to_string()))?,
            ],
            snapshot: Some((doc_id, own.save())),
            ..Commit::default()
        };
        store.commit(&commit, clock.now_ms())?;
        Self::open(db_path, identity, clock, rng)
    }

    /// Opens an existing node database.
    pub fn open(
        db_path: &Path,
        identity: Identity,
        clock: Arc<dyn Clock>,
        rng: Box<dyn RngCore + Send>,
    ) -> Result<Self, NodeError> {
        let store = Store::open(db_path)?;
        let own_id = DocId::catalog(identity.center_id());
        let mut own = None;
        let mut others = HashMap::new();
        for row in store.documents()? {
            let doc = load_catalog(
                &store,
                &row.doc_id,
                row.snapshot.as_deref(),
                row.snapshot_upto,
            )?;
            if row.doc_id == own_id {
                own = Some(doc);
            } else {
                others.insert(row.doc_id.owner, doc);
            }
        }
        let own = own.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "the database holds no catalog for {}",
                identity.center_id()
            ))
        })?;
        let reader = Store::open_read_only(db_path)?;
        Ok(Self {
            identity,
            clock,
            db_path: db_path.to_owned(),
            writer: Mutex::new(Writer {
                store,
                own,
                others,
                rng,
            }),
            reader: Mutex::new(reader),
        })
    }

    /// This center's id.
    pub fn center_id(&self) -> CenterId {
        self.identity.center_id()
    }

    /// This center's profile as it stands in its catalog.
    pub fn profile(&self) -> Result<Profile, NodeError> {
        lock(&self.writer)
            .own
            .profile()
            .map_err(|e| NodeError::Schema(e.to_string()))
    }

    /// The injected clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Runs one local edit and commits it with the rows it touched.
    fn edit(
        &self,
        make: impl FnOnce(
            &mut CatalogDoc,
            &Identity,
            &mut dyn RngCore,
            i64,
        ) -> Result<SignedChange, NodeError>,
    ) -> Result<SignedChange, NodeError> {
        let mut guard = lock(&self.writer);
        let writer = &mut *guard;
        let now = self.clock.now_ms();
        let before = writer.own.heads();
        let signed = make(&mut writer.own, &self.identity, writer.rng.as_mut(), now)?;
        let doc_id = writer.own.doc_id();
        let result = (|| {
            let verified = signed.clone().verify(&doc_id)?;
            let touched = touched_since(&writer.own, &before);
            let mut commit = index_commit(&writer.own, &touched)?;
            commit
                .changes
                .push((doc_id, verified.hash().0, signed.to_bytes()));
            if writer.store.changes_since_snapshot(&doc_id)? + 1 >= SNAPSHOT_EVERY_CHANGES {
                commit.snapshot = Some((doc_id, writer.own.save()));
            }
            writer.store.commit(&commit, now)?;
            Ok::<_, NodeError>(())
        })();
        if let Err(error) = result {
            // Memory ran ahead of disk: reload the catalog from what is durable.
            tracing::error!(%error, "commit failed; reloading the catalog from the database");
            if let Ok(reloaded) = reload(&writer.store, &doc_id) {
                writer.own = reloaded;
            }
            return Err(error);
        }
        Ok(signed)
    }

    /// Adds a listing to this center's catalog; returns it as indexed.
    pub fn add_listing(&self, input: &NewListing) -> Result<ListingRow, NodeError> {
        let valid = input.validate()?;
        let mut new_id = None;
        self.edit(|doc, identity, rng, now| {
            let (id, signed) = doc.add_listing(identity, rng, &valid, now)?;
            new_id = Some(id);
            Ok(signed)
        })?;
        let id = new_id.ok_or_else(|| NodeError::Internal("no listing id".into()))?;
        self.own_listing(&id)
    }

    /// Changes a listing of this center; returns it as indexed.
    pub fn update_listing(
        &self,
        id: &ListingId,
        patch: &ListingPatch,
    ) -> Result<ListingRow, NodeError> {
        let valid = patch.validate()?;
        self.edit(|doc, identity, _, now| Ok(doc.update_listing(identity, id, &valid, now)?))?;
        self.own_listing(id)
    }

    /// Removes a listing of this center for good.
    pub fn remove_listing(&self, id: &ListingId) -> Result<ListingRow, NodeError> {
        self.edit(|doc, identity, _, now| Ok(doc.remove_listing(identity, id, now)?))?;
        self.own_listing(id)
    }

    /// Changes this center's profile.
    pub fn set_profile(&self, input: &ProfileInput) -> Result<Profile, NodeError> {
        let valid = input.validate()?;
        self.edit(|doc, identity, _, now| Ok(doc.set_profile(identity, &valid, now)?))?;
        self.profile()
    }

    /// One of this center's listings, whatever its status.
    pub fn own_listing(&self, id: &ListingId) -> Result<ListingRow, NodeError> {
        lock(&self.reader)
            .listing(&self.center_id(), id)?
            .ok_or_else(|| NodeError::NoSuchListing(id.clone()))
    }

    /// Any indexed listing, whatever its status.
    pub fn listing(&self, center: &CenterId, id: &ListingId) -> Result<ListingRow, NodeError> {
        lock(&self.reader)
            .listing(center, id)?
            .ok_or_else(|| NodeError::UnknownListing {
                center: *center,
                listing: id.clone(),
            })
    }

    /// Searches the index.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchPage, NodeError> {
        Ok(lock(&self.reader).search(query)?)
    }

    /// Receives one signed change of `expected_doc` from elsewhere: verifies it
    /// before anything else, then stores, applies and indexes it in one
    /// transaction. A rejected change leaves no trace.
    pub fn ingest(&self, expected_doc: &DocId, envelope: &[u8]) -> Result<Ingested, NodeError> {
        let verified = SignedChange::from_bytes(envelope).and_then(|s| s.verify(expected_doc))?;
        let mut guard = lock(&self.writer);
        let writer = &mut *guard;
        let owner = expected_doc.owner;
        let now = self.clock.now_ms();
        // A catalog not held yet is only kept once its first change is committed,
        // so rejected or waiting changes from unknown keys leave nothing in memory.
        let mut fresh = None;
        let doc = if owner == self.center_id() {
            &mut writer.own
        } else if let Some(doc) = writer.others.get_mut(&owner) {
            doc
        } else {
            fresh.insert(CatalogDoc::empty(owner))
        };
        if doc.has_change(&verified.hash()) {
            return Ok(Ingested::Duplicate);
        }
        let missing = doc.missing_deps(&verified);
        if !missing.is_empty() {
            return Err(NodeError::MissingDependencies {
                missing: missing.len(),
            });
        }
        let result = (|| {
            let touched = doc.apply(&verified)?;
            let mut commit = index_commit(doc, &touched)?;
            commit
                .changes
                .push((*expected_doc, verified.hash().0, envelope.to_vec()));
            if writer.store.changes_since_snapshot(expected_doc)? + 1 >= SNAPSHOT_EVERY_CHANGES {
                commit.snapshot = Some((*expected_doc, doc.save()));
            }
            writer.store.commit(&commit, now)?;
            Ok::<_, NodeError>(())
        })();
        if let Err(error) = result {
            tracing::warn!(%error, doc = %expected_doc, "could not store a received change");
            match reload(&writer.store, expected_doc) {
                Ok(reloaded) => *doc = reloaded,
                // The database cannot be read back: keep nothing of a fresh catalog;
                // for a held one, its in-memory state may now be ahead of disk, so
                // the error says the node must be restarted.
                Err(reload_error) => {
                    tracing::error!(%reload_error, doc = %expected_doc, "cannot reload the catalog; restart the node");
                }
            }
            return Err(error);
        }
        if let Some(doc) = fresh {
            writer.others.insert(owner, doc);
        }
        Ok(Ingested::Applied)
    }

    /// Every stored change of `doc`, as envelopes, in commit order.
    pub fn changes_of(&self, doc: &DocId) -> Result<Vec<Vec<u8>>, NodeError> {
        Ok(lock(&self.reader).changes_after(doc, 0)?)
    }

    /// The current heads of a catalog this node holds, as hex hashes.
    pub fn heads_of(&self, center: &CenterId) -> Vec<String> {
        let writer = lock(&self.writer);
        let doc = if *center == self.center_id() {
            Some(&writer.own)
        } else {
            writer.others.get(center)
        };
        doc.map(|d| d.heads().iter().map(|h| h.to_string()).collect())
            .unwrap_or_default()
    }

    /// Runs SQLite's `quick_check`; `"ok"` when the file is healthy.
    pub fn quick_check(&self) -> Result<String, NodeError> {
        Ok(lock(&self.reader).quick_check()?)
    }

    /// Where the database lives.
    pub fn db_path(&self) -> &Path {
        &self.db_path
    }
}

fn genesis_hash(genesis: &SignedChange) -> Result<[u8; 32], NodeError> {
    let verified = genesis.clone().verify(&genesis.doc)?;
    Ok(verified.hash().0)
}

fn reload(store: &Store, doc_id: &DocId) -> Result<CatalogDoc, NodeError> {
    let row = store
        .documents()?
        .into_iter()
        .find(|row| row.doc_id == *doc_id);
    match row {
        Some(row) => load_catalog(store, doc_id, row.snapshot.as_deref(), row.snapshot_upto),
        None => Ok(CatalogDoc::empty(doc_id.owner)),
    }
}

/// What a local edit touched: compare the heads before it with now.
fn touched_since(doc: &CatalogDoc, before: &[automerge::ChangeHash]) -> Touched {
    doc.touched_since(before)
}

/// The index rows to write for what a change touched. Listings that do not pass
/// the schema are dropped from the index with a logged reason, never shown half-read.
fn index_commit(doc: &CatalogDoc, touched: &Touched) -> Result<Commit, NodeError> {
    let owner = doc.owner();
    let mut commit = Commit::default();
    let profile_touched = touched.profile || touched.everything;
    if profile_touched {
        match doc.profile() {
            Ok(profile) => commit.profiles.push(profile),
            Err(error) => tracing::warn!(center = %owner, %error, "profile not indexed"),
        }
    }
    let keys: Vec<String> = if touched.everything {
        doc.listing_keys()
            .map_err(|e| NodeError::Schema(e.to_string()))?
    } else {
        touched.listings.iter().cloned().collect()
    };
    for key in keys {
        let read = key
            .parse::<ListingId>()
            .map_err(|e| e.to_string())
            .and_then(|id| doc.listing(&id).map_err(|e| e.to_string()));
        match read {
            Ok(Some(listing)) => commit.listings.push((owner, listing)),
            Ok(None) => commit.unindex.push((owner, key)),
            Err(reason) => {
                tracing::warn!(center = %owner, listing = %key, %reason, "listing not indexed");
                commit.unindex.push((owner, key));
            }
        }
    }
    Ok(commit)
}

#[cfg(test)]
mod tests;
