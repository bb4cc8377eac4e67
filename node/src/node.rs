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

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use automerge::ChangeHash;
use rand::RngCore;
use telecenter_protocol::catalog::input::ProfileInput;
use telecenter_protocol::catalog::{CatalogDoc, Touched};
use telecenter_protocol::{CenterId, DocId, EpochId, Identity, ListingId, Profile};
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
    /// Other centers' catalogs (states of all, documents of the most recently used).
    held: held::Held,
    /// Verified changes waiting for their predecessors, bounded in count and bytes.
    pending: pending::PendingQueue,
    trust: HashMap<CenterId, TrustState>,
    /// Accepted centers and their trust depth (own center: 0).
    accepted: HashMap<CenterId, u32>,
    /// The same centers, readable without the writer lock (see [`Node::accepted_now`]).
    accepted_now: Arc<Mutex<HashSet<CenterId>>>,
    vouch_depth: u32,
}

mod acceptance;
mod demand;
mod edit;
mod epoch;
mod error;
mod held;
mod hop;
mod import;
mod ingest;
mod mail;
mod names;
mod nonces;
mod open_polls;
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
pub use held::DOCS_IN_MEMORY_MAX;
pub use hop::{PeerAuthError, RESPONSE_HEADER, RESPONSE_METHOD};
pub use mail::{
    LATER_RESEND_FIRST_MS, MAIL_AHEAD_MS_MAX, MAIL_BATCH_BYTES_MAX, MAIL_BATCH_MAX, MAIL_EXPIRY_MS,
    MAIL_PATH, MAIL_WAIT_MS_MAX, MAILBOX_PER_PAIR, MAILBOX_PER_RECIPIENT, MAILBOX_PER_SENDER,
    MAILBOX_TOTAL, NOT_DELIVERED_NOTE, PairExchange, RECEIPTS_MAX, RELAY_PER_SENDER_PER_MINUTE,
    RESEND_FIRST_MS, RESEND_MAX_MS,
};
pub use names::CenterNames;
pub use nonces::{NONCES_NON_PEER_MAX, NONCES_PER_SENDER_MAX};
pub use open_polls::{OpenPoll, POLL_GRACE_MS};
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
    /// Peers whose long poll is open here (they get news in its answer, not pushed).
    open_polls: open_polls::OpenPolls,
    /// How outgoing connections are made (TLS roots, address rules).
    outgoing: Mutex<Arc<crate::net::Outgoing>>,
    /// Sealed mail: routes, relay rates, resend times.
    mail: mail::MailState,
    /// Search counts not yet written (their own lock, never held with another).
    demand: Mutex<demand::DemandBuffer>,
    /// The search index the writing and reading connections share.
    search: Arc<crate::store::SearchIndex>,
    /// Which centers are accepted, as the writer last computed it: read before
    /// verifying a batch without waiting for the writer lock (its own lock,
    /// taken only briefly and never held with another).
    accepted_now: Arc<Mutex<HashSet<CenterId>>>,
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
    /// `center`'s catalog document, loaded if need be (this center's own is
    /// always loaded).
    fn doc_mut(&mut self, own: &CenterId, center: &CenterId) -> Result<&mut CatalogDoc, NodeError> {
        if center == own {
            Ok(&mut self.own)
        } else {
            self.held.doc_mut(&mut self.store, *center)
        }
    }

    /// The highest seq held of `center`'s chain of `epoch` (0 if none).
    fn seq_of(&self, own: &CenterId, center: &CenterId, epoch: Option<EpochId>) -> u64 {
        if center == own {
            self.own.seq_of(epoch)
        } else {
            self.held.state(center).map_or(0, |s| s.seq_of(epoch))
        }
    }

    /// The writing epochs of `center`'s catalog of which changes are held.
    fn epochs_of(&self, own: &CenterId, center: &CenterId) -> Vec<Option<EpochId>> {
        if center == own {
            self.own.epochs().collect()
        } else {
            self.held
                .state(center)
                .map(|s| s.epochs().collect())
                .unwrap_or_default()
        }
    }

    /// How many changes of `center`'s catalog are held, and its heads.
    fn seq_and_heads(&self, own: &CenterId, center: &CenterId) -> (u64, Vec<ChangeHash>) {
        if center == own {
            (self.own.seq(), self.own.heads())
        } else {
            self.held
                .state(center)
                .map(|s| (s.seq(), s.heads.clone()))
                .unwrap_or_default()
        }
    }

    /// Whether the change with `hash` of `center`'s catalog is held: asked of
    /// the document when it is loaded (it may hold changes of a batch not yet
    /// committed), else of the store.
    fn holds_change(
        &self,
        own: &CenterId,
        center: &CenterId,
        hash: &ChangeHash,
    ) -> Result<bool, NodeError> {
        if center == own {
            return Ok(self.own.has_change(hash));
        }
        match self.held.loaded(center) {
            Some(doc) => Ok(doc.has_change(hash)),
            None => Ok(self.store.has_change(&hash.0)?),
        }
    }

    /// Notes that changes were applied to `center`'s document.
    fn note_applied(&mut self, own: &CenterId, center: &CenterId) {
        if center != own {
            self.held.applied(*center);
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
        if !store.document_states()?.is_empty() {
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
        // Only this center's own document is loaded; of the others, what
        // `held` keeps (their documents are loaded when changes arrive).
        let Some(own_row) = store.document(&own_id)? else {
            return Err(StoreError::Corrupt(format!(
                "the database holds no catalog for {}",
                identity.center_id()
            ))
            .into());
        };
        let mut own = held::load_catalog(
            &store,
            &own_id,
            own_row.snapshot.as_deref(),
            own_row.snapshot_upto,
        )?;
        let held = held::Held::open(&mut store, &identity.center_id())?;
        own.set_writing_epoch(store.writing_epoch()?);
        let trust = store.trust_list()?.into_iter().collect();
        let mut reader = Store::open_read_only(db_path)?;
        let search = crate::store::SearchIndex::new(Arc::new(search_words(db_path)));
        store.use_search_index(search.clone());
        reader.use_search_index(search.clone());
        let mut writer = Writer {
            store,
            own,
            held,
            pending: pending::PendingQueue::default(),
            trust,
            accepted: HashMap::new(),
            accepted_now: Arc::default(),
            vouch_depth: VOUCH_DEPTH_DEFAULT,
        };
        let accepted_now = writer.accepted_now.clone();
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
            open_polls: open_polls::OpenPolls::default(),
            outgoing: Mutex::default(),
            mail: mail::MailState::default(),
            demand: Mutex::default(),
            held_sheets: Mutex::default(),
            search,
            accepted_now,
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
    // A listing a change of the batch made is read from that change's
    // operations when it can be (see `CatalogDoc::fresh_listing`); the others
    // from the document.
    let mut read = Vec::with_capacity(keys.len());
    let mut from_doc = Vec::new();
    for key in keys {
        let fresh = touched.fresh.get(&key).and_then(|made| {
            let id = key.parse::<ListingId>().ok()?;
            doc.fresh_listing(&id, made)
        });
        match fresh {
            Some(listing) => read.push((key, listing.map(Some).map_err(|e| e.to_string()))),
            None => from_doc.push(key),
        }
    }
    read.extend(read_listings(doc, from_doc));
    for (key, read) in read {
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

/// Touched listings of one batch are read on several threads from this many on.
pub(crate) const READ_PARALLEL_MIN: usize = 64;
/// The most threads that read one batch's listings.
const READ_THREADS_MAX: usize = 2;

/// Reads the listings under `keys` from `doc`, in order; many of them on
/// several threads (the document is only read), since reading a listing back
/// is a fifth of what the writer does with a received batch.
fn read_listings(
    doc: &CatalogDoc,
    keys: Vec<String>,
) -> Vec<(String, Result<Option<telecenter_protocol::Listing>, String>)> {
    let read = |keys: Vec<String>| -> Vec<_> {
        keys.into_iter()
            .map(|key| {
                let read = key
                    .parse::<ListingId>()
                    .map_err(|e| e.to_string())
                    .and_then(|id| doc.listing(&id).map_err(|e| e.to_string()));
                (key, read)
            })
            .collect()
    };
    let threads = if keys.len() < READ_PARALLEL_MIN {
        1
    } else {
        READ_THREADS_MAX
    };
    in_parts(keys, threads, read)
}

/// `work` over `items` cut into at most `threads` parts (no more than the
/// machine's cores), each part on a thread of its own but the first, which
/// runs on the caller's; the results in the order of `items`.
pub(crate) fn in_parts<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    work: impl Fn(Vec<T>) -> Vec<R> + Sync,
) -> Vec<R> {
    let threads =
        threads.min(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get));
    if threads < 2 || items.len() < 2 {
        return work(items);
    }
    let share = items.len().div_ceil(threads);
    let mut parts: Vec<Vec<T>> = Vec::new();
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        parts.push(items.by_ref().take(share).collect());
    }
    let work = &work;
    std::thread::scope(|scope| {
        let mut parts = parts.into_iter();
        let first = parts.next().unwrap_or_default();
        let others: Vec<_> = parts.map(|part| scope.spawn(move || work(part))).collect();
        let mut all = work(first);
        for other in others {
            all.extend(
                other
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        all
    })
}

#[cfg(test)]
mod convergence;
#[cfg(test)]
mod tests;
