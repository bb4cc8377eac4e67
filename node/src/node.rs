//! The node: one center's identity, its catalog document, the store and the
//! operations operators and buyers use. HTTP handlers and the CLI both call these.
//!
//! Every write follows the same path: validate the input, make and sign one
//! Automerge change, then commit the signed change together with the index rows
//! it touched in one SQLite transaction. Only after that commit does a caller get
//! an acknowledgement; if the commit fails, the in-memory document is reloaded
//! from the store so memory never runs ahead of disk.
//!
//! This file owns the [`Node`] struct, opening and creating a node, and the
//! wiring its parts share; each job lives in its own child: `edit` (the edit
//! path), `epoch` (beginning a new writing epoch after a restore), `ingest`
//! (received changes, with `pending`'s queue), `acceptance`
//! (trust, vouches, peers), `serve` (what peers fetch), `hop` (peer
//! authentication), `rate` (messages per sender per minute), `read`, `error`,
//! `orders`, `mail`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rand::RngCore;
use telecenter_protocol::catalog::input::ProfileInput;
use telecenter_protocol::catalog::{CatalogDoc, Touched};
use telecenter_protocol::{CenterId, DocId, Identity, ListingId, Profile, SignedChange};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::store::{Commit, NewChange, Store, StoreError, TrustState};

/// A snapshot of a document is saved after this many changes since the last one,
/// so a restart replays at most this many changes per document.
pub const SNAPSHOT_EVERY_CHANGES: u64 = 256;

/// What happened to a received change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingested {
    /// Verified, stored, applied and indexed.
    Applied,
    /// Already held; nothing to do.
    Duplicate,
    /// Verified, but the changes before it have not arrived: held in memory (in a
    /// bounded queue) and applied when they do.
    Pending,
}

/// Default depth of vouching: directly trusted centers are depth 1, centers
/// they vouch for depth 2.
pub const VOUCH_DEPTH_DEFAULT: u32 = 2;

struct Writer {
    store: Store,
    own: CatalogDoc,
    others: HashMap<CenterId, CatalogDoc>,
    /// Verified changes waiting for their predecessors, bounded in count and bytes.
    pending: pending::PendingQueue,
    trust: HashMap<CenterId, TrustState>,
    /// Accepted centers and their trust depth (own center: 0).
    accepted: HashMap<CenterId, u32>,
    vouch_depth: u32,
}

mod acceptance;
mod demand;
mod edit;
mod epoch;
mod error;
mod hop;
mod import;
mod ingest;
mod mail;
mod names;
mod nonces;
mod orders;
mod pending;
mod producers;
mod rate;
mod reach;
mod read;
pub mod requests;
pub mod routes;
mod serve;

pub use demand::{
    DEMAND_BUFFER_WORDS_MAX, DEMAND_FLUSH_MS, DEMAND_MONTHS_KEPT, DEMAND_WORDS_PER_MONTH_MAX,
    local_month,
};
pub use error::{NodeError, reject_code};
pub use hop::{PeerAuthError, RESPONSE_HEADER, RESPONSE_METHOD};
pub use mail::{
    LATER_RESEND_FIRST_MS, MAIL_AHEAD_MS_MAX, MAIL_BATCH_BYTES_MAX, MAIL_BATCH_MAX, MAIL_EXPIRY_MS,
    MAIL_PATH, MAIL_WAIT_MS_MAX, MAILBOX_PER_PAIR, MAILBOX_PER_RECIPIENT, MAILBOX_PER_SENDER,
    MAILBOX_TOTAL, NOT_DELIVERED_NOTE, PairExchange, RECEIPTS_MAX, RELAY_PER_SENDER_PER_MINUTE,
    RESEND_FIRST_MS, RESEND_MAX_MS,
};
pub use names::CenterNames;
pub use nonces::{NONCES_NON_PEER_MAX, NONCES_PER_SENDER_MAX};
pub use orders::{MessageResult, OrderDetail, PairUrl, PlaceOrder, balance_with};
pub use pending::{
    PENDING_PER_DOC_BYTES_MAX, PENDING_PER_DOC_MAX, PENDING_TOTAL_BYTES_MAX, PENDING_TOTAL_MAX,
};
pub use producers::{PAYOUT_FUTURE_MS_MAX, PAYOUT_PAST_MS_MAX, PayoutInput, ProducerInput};
pub use serve::{FETCH_BYTES_MAX, FETCH_CHANGES_MAX};

/// A running telecenter node (without its HTTP server).
pub struct Node {
    identity: Identity,
    clock: Arc<dyn Clock>,
    db_path: PathBuf,
    writer: Mutex<Writer>,
    /// The injected random source (its own lock, taken only briefly): nonces,
    /// listing ids, ephemeral keys, session tokens.
    random: Mutex<Box<dyn RngCore + Send>>,
    reader: Mutex<Store>,
    /// Nonces of hop requests seen recently (their own lock: never the writer's).
    nonces: Mutex<nonces::Nonces>,
    /// Bumped after every commit that changes what this node holds or accepts.
    changed: watch::Sender<u64>,
    /// Bumped after every order, outbox or settlement write.
    outbox_changed: watch::Sender<u64>,
    /// Bounds on photo decodes and image fetches.
    images: crate::images::ImageGuards,
    /// Pair messages taken in per sender in the current minute.
    pair_rate: rate::PairRate,
    /// How outgoing connections are made (TLS roots, address rules).
    outgoing: Mutex<Arc<crate::net::Outgoing>>,
    /// Sealed mail: routes, relay rates, resend times.
    mail: mail::MailState,
    /// Search counts not yet written (their own lock, never held with another).
    demand: Mutex<demand::DemandBuffer>,
    /// The search index the writing and reading connections share.
    search: Arc<crate::store::SearchIndex>,
    /// Uploaded spreadsheets waiting for the operator's confirmation.
    held_sheets: Mutex<crate::sheet::held::HeldSheets>,
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

/// The word table for search: the built-in one and the operator's
/// `kata-pencarian.txt` beside the database, whose bad lines are logged.
fn search_words(db_path: &Path) -> crate::search::Words {
    let path = db_path.with_file_name(crate::search::OPERATOR_FILE);
    let (words, warnings) = crate::search::Words::load(&path);
    for warning in warnings {
        tracing::warn!(file = %path.display(), "search word table: {warning}; the line is skipped");
    }
    words
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

/// Runs blocking node work (SQLite, Automerge, image decoding) off the async
/// threads; the one place async code hands work to the blocking pool.
pub async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, NodeError> + Send + 'static,
) -> Result<T, NodeError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| NodeError::Internal(e.to_string()))?
}

impl Writer {
    fn doc(&self, own: &CenterId, center: &CenterId) -> Option<&CatalogDoc> {
        if center == own {
            Some(&self.own)
        } else {
            self.others.get(center)
        }
    }

    fn doc_mut(&mut self, own: &CenterId, center: &CenterId) -> &mut CatalogDoc {
        if center == own {
            &mut self.own
        } else {
            self.others
                .entry(*center)
                .or_insert_with(|| CatalogDoc::empty(*center))
        }
    }
}

impl Node {
    /// Creates a new center: a fresh database at `db_path` holding the genesis
    /// change of its catalog with `profile`. `rng` must be cryptographically
    /// secure: it draws ids, hop nonces and the ephemeral keys of sealed mail.
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
        let verified = genesis.clone().verify(&doc_id)?;
        let commit = Commit {
            changes: vec![NewChange::of(&verified, genesis.to_bytes())],
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

    /// Opens an existing node database (`rng` as for [`Node::create`]).
    pub fn open(
        db_path: &Path,
        identity: Identity,
        clock: Arc<dyn Clock>,
        rng: Box<dyn RngCore + Send>,
    ) -> Result<Self, NodeError> {
        let mut store = Store::open(db_path)?;
        let own_id = DocId::catalog(identity.center_id());
        let mut own = None;
        let mut others = HashMap::new();
        for row in store.documents()? {
            let loaded = load_catalog(
                &store,
                &row.doc_id,
                row.snapshot.as_deref(),
                row.snapshot_upto,
            );
            match loaded {
                Ok(doc) if row.doc_id == own_id => own = Some(doc),
                Ok(doc) => {
                    others.insert(row.doc_id.owner, doc);
                }
                Err(error) if row.doc_id == own_id => return Err(error),
                Err(error) => {
                    // Another center's catalog that no longer verifies (e.g. a
                    // compressed change stored before such changes were refused)
                    // is forgotten and fetched again from peers, never a reason
                    // not to start.
                    tracing::warn!(doc = %row.doc_id, %error, "stored catalog does not load; forgotten, it will be fetched again");
                    store.purge_document(&row.doc_id)?;
                }
            }
        }
        let mut own = own.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "the database holds no catalog for {}",
                identity.center_id()
            ))
        })?;
        own.set_writing_epoch(store.writing_epoch()?);
        let trust = store.trust_list()?.into_iter().collect();
        let mut reader = Store::open_read_only(db_path)?;
        let search = crate::store::SearchIndex::new(Arc::new(search_words(db_path)));
        store.use_search_index(search.clone());
        reader.use_search_index(search.clone());
        let mut writer = Writer {
            store,
            own,
            others,
            pending: pending::PendingQueue::default(),
            trust,
            accepted: HashMap::new(),
            vouch_depth: VOUCH_DEPTH_DEFAULT,
        };
        writer.recompute_acceptance(identity.center_id())?;
        Ok(Self {
            identity,
            clock,
            db_path: db_path.to_owned(),
            writer: Mutex::new(writer),
            random: Mutex::new(rng),
            reader: Mutex::new(reader),
            nonces: Mutex::default(),
            changed: watch::channel(0).0,
            outbox_changed: watch::channel(0).0,
            images: crate::images::ImageGuards::default(),
            pair_rate: rate::PairRate::default(),
            outgoing: Mutex::default(),
            mail: mail::MailState::default(),
            demand: Mutex::default(),
            held_sheets: Mutex::default(),
            search,
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

    /// Received changes waiting for their predecessors, and their bytes, in all
    /// (bounded by `PENDING_TOTAL_MAX` and `PENDING_TOTAL_BYTES_MAX`).
    pub fn pending_held(&self) -> (usize, usize) {
        lock(&self.writer).pending.held()
    }

    /// Arms a simulated power cut at the `rows`-th row this node writes from now
    /// on; the database files of that instant go to the folder `image`
    /// (feature `fault-injection`, for the deterministic simulation).
    #[cfg(feature = "fault-injection")]
    pub fn arm_power_cut(
        &self,
        rows: u64,
        image: &Path,
    ) -> Result<Arc<crate::store::PowerCut>, NodeError> {
        let db = self.db_path.clone();
        Ok(lock(&self.writer).store.arm_power_cut(&db, rows, image)?)
    }

    /// Fills `bytes` from the node's injected random source (the operating
    /// system's generator in a running node, a seeded one in tests).
    pub fn fill_random(&self, bytes: &mut [u8]) {
        lock(&self.random).fill_bytes(bytes);
    }

    /// A receiver that sees a new value after every change to what this node holds.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn bump(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// How this node makes outgoing connections (set from `config.toml`).
    pub fn outgoing(&self) -> Arc<crate::net::Outgoing> {
        lock(&self.outgoing).clone()
    }

    /// Sets how this node makes outgoing connections; sync engines made
    /// afterwards use it.
    pub fn set_outgoing(&self, outgoing: crate::net::Outgoing) {
        *lock(&self.outgoing) = Arc::new(outgoing);
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

/// Loads a document again from what the store holds (after a failed commit).
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
mod convergence;
#[cfg(test)]
mod tests;
