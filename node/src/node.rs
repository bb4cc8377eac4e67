//! The node: one center's identity, its catalog document, the store and the
//! operations operators and buyers use. HTTP handlers and the CLI both call these.
//!
//! Every write follows the same path: validate the input, make and sign one
//! Automerge change, then commit the signed change together with the index rows
//! it touched in one SQLite transaction. Only after that commit does a caller get
//! an acknowledgement; if the commit fails, the in-memory document is reloaded
//! from the store so memory never runs ahead of disk.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine;
use rand::RngCore;
use telecenter_protocol::catalog::{CatalogDoc, CatalogError, Photo, Touched, is_image_hash};
use telecenter_protocol::envelope::VerifiedChange;
use telecenter_protocol::hop::{HopAuth, HopError};
use telecenter_protocol::sync::{Changes, SYNC_BODY_BYTES_MAX};
use telecenter_protocol::validate::{InvalidInput, ListingPatch, NewListing, ProfileInput};
use telecenter_protocol::{
    CenterId, DocId, Identity, ListingId, Profile, SignedChange, VerifyError,
};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::search::SearchQuery;
use crate::store::{
    Commit, ListingRow, NewChange, PairWrite, PeerRow, SearchPage, Store, StoreError, TrustState,
};

/// The method name signed into answers (never a real HTTP method, so an answer's
/// signature can never pass as a request's).
pub const RESPONSE_METHOD: &str = "RESPONSE";
/// The header carrying a signed answer.
pub const RESPONSE_HEADER: &str = "telecenter-response";

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
    /// The change's catalog is not accepted here (not trusted, not vouched for, or blocked).
    #[error("the catalog of {0} is not accepted by this node")]
    NotAccepted(CenterId),
    /// The change conflicts with one already held.
    #[error("conflicting change: {0}")]
    Conflict(String),
    /// Too many changes are waiting for their predecessors.
    #[error("too many changes are waiting for earlier changes; send the earlier ones first")]
    QueueFull,
    /// A received document does not follow the catalog schema.
    #[error("change rejected: {0}")]
    Schema(String),
    /// `create` was called on a database that already holds documents.
    #[error("{} already holds a center's catalog", .0.display())]
    AlreadyCreated(PathBuf),
    /// An uploaded photo is not usable.
    #[error(transparent)]
    Image(#[from] crate::images::ImageError),
    /// Storage failed (the node's fault, not the caller's).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No such order on this node.
    #[error("no order with id {0} on this node")]
    NoSuchOrder(telecenter_protocol::order::OrderId),
    /// No such settlement on this node.
    #[error("no settlement with id {0} on this node")]
    NoSuchSettlement(telecenter_protocol::order::OrderId),
    /// An order or settlement step cannot be taken now (state, stock, price...).
    #[error("{message}")]
    Order {
        /// A stable code for programs (`out_of_stock`, `price_changed`, ...).
        code: &'static str,
        /// One line in plain words.
        message: String,
    },
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
            e @ CatalogError::MissingDependencies(_) => NodeError::Conflict(e.to_string()),
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
    pending: pending::Pending,
    trust: HashMap<CenterId, TrustState>,
    /// Accepted centers and their trust depth (own center: 0).
    accepted: HashMap<CenterId, u32>,
    vouch_depth: u32,
    rng: Box<dyn RngCore + Send>,
}

mod mail;
mod nonces;
mod orders;
mod pending;
mod reach;
pub mod routes;
pub use mail::{
    LATER_RESEND_FIRST_MS, MAIL_AHEAD_MS_MAX, MAIL_BATCH_BYTES_MAX, MAIL_BATCH_MAX, MAIL_EXPIRY_MS,
    MAIL_PATH, MAIL_WAIT_MS_MAX, MAILBOX_PER_PAIR, MAILBOX_PER_RECIPIENT, MAILBOX_PER_SENDER,
    MAILBOX_TOTAL, NOT_DELIVERED_NOTE, PairExchange, RECEIPTS_MAX, RELAY_PER_SENDER_PER_MINUTE,
    RESEND_FIRST_MS, RESEND_MAX_MS,
};
pub use nonces::{NONCES_NON_PEER_MAX, NONCES_PER_SENDER_MAX};
pub use orders::{MessageResult, OrderDetail, PairUrl, PlaceOrder, balance_with};
pub use pending::{
    PENDING_PER_DOC_BYTES_MAX, PENDING_PER_DOC_MAX, PENDING_TOTAL_BYTES_MAX, PENDING_TOTAL_MAX,
};

/// Makes one signed change of this center's catalog: (doc, identity, rng, now).
type MakeChange<'a> = Box<
    dyn FnOnce(&mut CatalogDoc, &Identity, &mut dyn RngCore, i64) -> Result<SignedChange, NodeError>
        + 'a,
>;

/// A running telecenter node (without its HTTP server).
pub struct Node {
    identity: Identity,
    clock: Arc<dyn Clock>,
    db_path: PathBuf,
    writer: Mutex<Writer>,
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
    pair_rate: orders::PairRate,
    /// How outgoing connections are made (TLS roots, address rules).
    outgoing: Mutex<Arc<crate::net::Outgoing>>,
    /// Sealed mail: routes, relay rates, resend times.
    mail: mail::MailState,
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

/// Runs blocking node work (SQLite, Automerge, image decoding) off the async
/// threads; the one place async code hands work to the blocking pool.
pub async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, NodeError> + Send + 'static,
) -> Result<T, NodeError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| NodeError::Internal(e.to_string()))?
}

/// A machine code for a rejected change.
pub fn reject_code(error: &NodeError) -> &'static str {
    match error {
        NodeError::Rejected(e) => match e {
            VerifyError::TooShort { .. } => "too_short",
            VerifyError::TooLarge { .. } => "too_large",
            VerifyError::UnsupportedVersion { .. } => "unsupported_version",
            VerifyError::UnknownDocKind { .. } => "unknown_document_kind",
            VerifyError::WrongDocument { .. } => "wrong_document",
            VerifyError::Unauthorised { .. } => "unauthorised",
            VerifyError::BadKey { .. } | VerifyError::BadSignature { .. } => "bad_signature",
            VerifyError::MalformedChange { .. } => "malformed_change",
            VerifyError::CompressedChange { .. } => "compressed_change",
            VerifyError::ChangeOverLimit { .. } => "change_over_limit",
            VerifyError::ActorMismatch { .. } => "actor_mismatch",
        },
        NodeError::NotAccepted(_) => "not_accepted",
        NodeError::Conflict(_) => "conflicting_change",
        NodeError::QueueFull => "queue_full",
        NodeError::Schema(_) => "schema_violation",
        _ => "internal",
    }
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

    /// Recomputes which centers are accepted: this center, the directly trusted
    /// ones (depth 1), and the ones vouched for by accepted centers up to the
    /// vouch depth; blocked centers never. Catalogs no longer accepted are
    /// forgotten (store, memory, index). Returns the centers forgotten.
    fn recompute_acceptance(&mut self, own: CenterId) -> Result<Vec<CenterId>, NodeError> {
        let mut accepted = HashMap::from([(own, 0u32)]);
        let blocked = |c: &CenterId| self.trust.get(c) == Some(&TrustState::Blocked);
        let mut frontier: Vec<CenterId> = self
            .trust
            .iter()
            .filter(|(c, s)| **s == TrustState::Trusted && **c != own)
            .map(|(c, _)| *c)
            .collect();
        for depth in 1..=self.vouch_depth {
            let mut next = Vec::new();
            for center in frontier {
                if blocked(&center) || accepted.contains_key(&center) {
                    continue;
                }
                accepted.insert(center, depth);
                if let Some(doc) = self.others.get(&center) {
                    next.extend(doc.vouches());
                }
            }
            frontier = next;
        }
        let forgotten: Vec<CenterId> = self
            .others
            .keys()
            .filter(|c| !accepted.contains_key(c))
            .copied()
            .collect();
        for center in &forgotten {
            self.store.purge_document(&DocId::catalog(*center))?;
            self.others.remove(center);
            tracing::info!(%center, "catalog no longer accepted: forgotten");
        }
        self.pending.retain_docs(|c| accepted.contains_key(c));
        self.accepted = accepted;
        Ok(forgotten)
    }
}

/// Touched parts of several documents during one batch.
#[derive(Default)]
struct BatchTouched {
    docs: BTreeMap<CenterId, Touched>,
}

impl BatchTouched {
    fn add(&mut self, center: CenterId, touched: Touched) {
        let entry = self.docs.entry(center).or_default();
        entry.profile |= touched.profile;
        entry.vouches |= touched.vouches;
        entry.everything |= touched.everything;
        entry.listings.extend(touched.listings);
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
            changes: vec![NewChange {
                doc: doc_id,
                hash: verified.hash().0,
                seq: verified.change.seq(),
                envelope: genesis.to_bytes(),
            }],
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
        let own = own.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "the database holds no catalog for {}",
                identity.center_id()
            ))
        })?;
        let trust = store.trust_list()?.into_iter().collect();
        let reader = Store::open_read_only(db_path)?;
        let mut writer = Writer {
            store,
            own,
            others,
            pending: pending::Pending::default(),
            trust,
            accepted: HashMap::new(),
            vouch_depth: VOUCH_DEPTH_DEFAULT,
            rng,
        };
        writer.recompute_acceptance(identity.center_id())?;
        Ok(Self {
            identity,
            clock,
            db_path: db_path.to_owned(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            nonces: Mutex::default(),
            changed: watch::channel(0).0,
            outbox_changed: watch::channel(0).0,
            images: crate::images::ImageGuards::default(),
            pair_rate: orders::PairRate::default(),
            outgoing: Mutex::default(),
            mail: mail::MailState::default(),
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

    /// A receiver that sees a new value after every change to what this node holds.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn bump(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// Sets how deep vouching reaches (1 = only directly trusted centers) and
    /// re-evaluates which catalogs are accepted.
    pub fn set_vouch_depth(&self, depth: u32) -> Result<(), NodeError> {
        let mut writer = lock(&self.writer);
        writer.vouch_depth = depth.clamp(1, 8);
        writer.recompute_acceptance(self.center_id())?;
        drop(writer);
        self.bump();
        Ok(())
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

    /// Runs one local edit and commits it with the rows it touched.
    fn edit(&self, make: MakeChange<'_>) -> Result<SignedChange, NodeError> {
        let mut guard = lock(&self.writer);
        self.commit_edit(&mut guard, make, PairWrite::default())
    }

    /// Makes one signed change of this center's catalog and commits it, with the
    /// rows it touched and `pair`, in one transaction (the caller holds the writer);
    /// then tells the sync engine. Order writes without a catalog change do not.
    fn commit_edit(
        &self,
        writer: &mut Writer,
        make: MakeChange<'_>,
        pair: PairWrite,
    ) -> Result<SignedChange, NodeError> {
        let now = self.clock.now_ms();
        let signed = make(&mut writer.own, &self.identity, writer.rng.as_mut(), now)?;
        let doc_id = writer.own.doc_id();
        let result = (|| {
            let verified = signed.clone().verify(&doc_id)?;
            let touched = writer.own.touched_by(&verified.change);
            let mut commit = index_commit(&writer.own, &touched)?;
            commit.changes.push(NewChange {
                doc: doc_id,
                hash: verified.hash().0,
                seq: verified.change.seq(),
                envelope: signed.to_bytes(),
            });
            if writer.store.changes_since_snapshot(&doc_id)? + 1 >= SNAPSHOT_EVERY_CHANGES {
                commit.snapshot = Some((doc_id, writer.own.save()));
            }
            commit.pair = pair;
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
        self.bump();
        Ok(signed)
    }

    /// Adds a listing to this center's catalog; returns it as indexed.
    pub fn add_listing(&self, input: &NewListing) -> Result<ListingRow, NodeError> {
        let valid = input.validate()?;
        let mut new_id = None;
        self.edit(Box::new(|doc, identity, rng, now| {
            let (id, signed) = doc.add_listing(identity, rng, &valid, now)?;
            new_id = Some(id);
            Ok(signed)
        }))?;
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
        self.edit(Box::new(|doc, identity, _, now| {
            Ok(doc.update_listing(identity, id, &valid, now)?)
        }))?;
        self.own_listing(id)
    }

    /// Removes a listing of this center for good.
    pub fn remove_listing(&self, id: &ListingId) -> Result<ListingRow, NodeError> {
        self.edit(Box::new(|doc, identity, _, now| {
            Ok(doc.remove_listing(identity, id, now)?)
        }))?;
        self.own_listing(id)
    }

    /// Changes this center's profile.
    pub fn set_profile(&self, input: &ProfileInput) -> Result<Profile, NodeError> {
        let valid = input.validate()?;
        self.edit(Box::new(|doc, identity, _, now| {
            Ok(doc.set_profile(identity, &valid, now)?)
        }))?;
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

    /// Checks and resizes an uploaded photo and stores its two images; the
    /// returned [`Photo`] can then be put on a listing.
    pub fn store_photo(&self, upload: &[u8]) -> Result<Photo, NodeError> {
        // Decoding is the costly part; a burst of uploads is refused, not queued.
        let _slot = self.images.decode_slot()?;
        let processed = crate::images::process(upload)?;
        let now = self.clock.now_ms();
        let mut writer = lock(&self.writer);
        writer
            .store
            .put_image(&processed.photo.thumb, &processed.thumb, now)?;
        writer
            .store
            .put_image(&processed.photo.medium, &processed.medium, now)?;
        Ok(processed.photo)
    }

    /// A stored image by its hash.
    pub fn image(&self, hash: &str) -> Result<Option<Vec<u8>>, NodeError> {
        if !is_image_hash(hash) {
            return Ok(None);
        }
        Ok(lock(&self.reader).image(hash)?)
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

    /// Whether a listing held here names the image `hash` (only such images are
    /// fetched from peers).
    pub fn image_is_named(&self, hash: &str) -> Result<bool, NodeError> {
        if !is_image_hash(hash) {
            return Ok(false);
        }
        Ok(lock(&self.reader).image_is_named(hash)?)
    }

    /// The bounds on this node's image work.
    pub fn images(&self) -> &crate::images::ImageGuards {
        &self.images
    }

    /// Thumbnails named by shown listings that this node does not hold yet.
    pub fn missing_thumbnails(&self, limit: usize) -> Result<Vec<String>, NodeError> {
        Ok(lock(&self.reader).missing_thumbnails(limit)?)
    }

    /// Stores an image fetched from a peer, if its bytes match its name.
    pub fn put_fetched_image(&self, hash: &str, bytes: &[u8]) -> Result<bool, NodeError> {
        if crate::images::image_hash(bytes) != hash || !crate::images::is_stored_image(bytes) {
            tracing::info!(%hash, "fetched image does not match its hash; dropped");
            return Ok(false);
        }
        let now = self.clock.now_ms();
        lock(&self.writer).store.put_image(hash, bytes, now)?;
        Ok(true)
    }

    /// Every center whose catalog is indexed here, by name.
    pub fn centers(&self) -> Result<Vec<Profile>, NodeError> {
        Ok(lock(&self.reader).centers()?)
    }

    /// One indexed center's profile.
    pub fn center(&self, center: &CenterId) -> Result<Option<Profile>, NodeError> {
        Ok(lock(&self.reader).center(center)?)
    }

    /// Searches the index.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchPage, NodeError> {
        Ok(lock(&self.reader).search(query)?)
    }

    /// Receives one signed change of `expected_doc` from elsewhere. See
    /// [`Node::receive`] for the checks.
    pub fn ingest(&self, expected_doc: &DocId, envelope: &[u8]) -> Result<Ingested, NodeError> {
        let signed = SignedChange::from_bytes(envelope)?;
        if signed.doc != *expected_doc {
            return Err(VerifyError::WrongDocument {
                expected: *expected_doc,
                found: signed.doc,
            }
            .into());
        }
        let mut outcomes = self.receive(&[envelope.to_vec()])?;
        outcomes
            .pop()
            .unwrap_or(Err(NodeError::Internal("no outcome".into())))
    }

    /// Receives signed changes from a peer, in one durable transaction.
    ///
    /// Each change is checked before anything else happens: its catalog must be
    /// accepted here (trusted or vouched for, not blocked); its envelope must verify
    /// ([`SignedChange::verify`]); a change with a seq already held must be the same
    /// change (else it is a conflicting fork and refused). A change whose
    /// predecessors are missing waits in a queue bounded in count and bytes.
    /// Rejected changes leave no trace. Returns one outcome per change, in order;
    /// `Err` only if storage failed.
    ///
    /// Verification (signature, the bounded pre-parse and Automerge's decoding) runs
    /// before the writer lock is taken, so a costly or hostile batch never stalls
    /// other requests; acceptance is read under a brief lock first, so the changes
    /// of catalogs not accepted here are never verified at all.
    pub fn receive(
        &self,
        envelopes: &[Vec<u8>],
    ) -> Result<Vec<Result<Ingested, NodeError>>, NodeError> {
        let own = self.center_id();
        let now = self.clock.now_ms();
        // 1. Frame each envelope and note (under a brief lock) whether its catalog
        //    is accepted.
        let framed: Vec<Result<SignedChange, NodeError>> = envelopes
            .iter()
            .map(|envelope| SignedChange::from_bytes(envelope).map_err(NodeError::from))
            .collect();
        let accepted: Vec<bool> = {
            let writer = lock(&self.writer);
            framed
                .iter()
                .map(|f| {
                    f.as_ref()
                        .is_ok_and(|s| writer.accepted.contains_key(&s.doc.owner))
                })
                .collect()
        };
        // 2. Verify without any lock.
        let verified: Vec<Result<VerifiedChange, NodeError>> = framed
            .into_iter()
            .zip(&accepted)
            .map(|(framed, accepted)| {
                let signed = framed?;
                let center = signed.doc.owner;
                if center != own && !accepted {
                    return Err(NodeError::NotAccepted(center));
                }
                Ok(signed.verify(&DocId::catalog(center))?)
            })
            .collect();
        // 3. Sequence, apply and commit under the writer lock.
        let mut guard = lock(&self.writer);
        let writer = &mut *guard;
        let mut outcomes = Vec::with_capacity(envelopes.len());
        let mut touched = BatchTouched::default();
        let mut new_changes = Vec::new();
        for (verified, envelope) in verified.into_iter().zip(envelopes) {
            let outcome = (|| {
                let verified = verified?;
                let center = verified.signed.doc.owner;
                if center == own {
                    // Our own changes come only from ourselves.
                    return if writer.own.has_change(&verified.hash()) {
                        Ok(Ingested::Duplicate)
                    } else {
                        Err(NodeError::Conflict(format!(
                            "a change of this center's own catalog (seq {}) that this node did not make",
                            verified.change.seq()
                        )))
                    };
                }
                // Acceptance may have changed while the batch was verified.
                if !writer.accepted.contains_key(&center) {
                    return Err(NodeError::NotAccepted(center));
                }
                let doc_id = DocId::catalog(center);
                let seq = verified.change.seq();
                let held = writer.doc(&own, &center).map(CatalogDoc::seq).unwrap_or(0);
                if seq <= held {
                    let same = writer
                        .doc(&own, &center)
                        .is_some_and(|d| d.has_change(&verified.hash()));
                    return if same {
                        Ok(Ingested::Duplicate)
                    } else {
                        Err(NodeError::Conflict(format!(
                            "{center} signed two different changes with seq {seq}; keeping the first"
                        )))
                    };
                }
                if seq > held + 1 {
                    return writer.pending.hold(center, seq, verified, envelope);
                }
                // The change must build on exactly the history held here: a change
                // with the next seq but other dependencies is a fork.
                let doc = writer.doc_mut(&own, &center);
                if !doc.missing_deps(&verified).is_empty() {
                    return Err(NodeError::Conflict(format!(
                        "{center} change {seq} builds on a change {} that differs from the one held here",
                        seq - 1
                    )));
                }
                let applied = doc.apply(&verified)?;
                touched.add(center, applied);
                new_changes.push(NewChange {
                    doc: doc_id,
                    hash: verified.hash().0,
                    seq,
                    envelope: envelope.clone(),
                });
                // Then every queued change that now follows, as long as each builds
                // on what is held; a queued fork is dropped.
                let mut held = seq;
                while let Some((queued, queued_envelope)) = writer.pending.take(&center, held + 1) {
                    let doc = writer.doc_mut(&own, &center);
                    if !doc.missing_deps(&queued).is_empty() {
                        tracing::info!(%center, seq = held + 1, "queued change is a fork; dropped");
                        break;
                    }
                    match doc.apply(&queued) {
                        Ok(applied) => {
                            touched.add(center, applied);
                            held += 1;
                            new_changes.push(NewChange {
                                doc: doc_id,
                                hash: queued.hash().0,
                                seq: held,
                                envelope: queued_envelope,
                            });
                        }
                        Err(error) => {
                            tracing::info!(%center, seq = held + 1, %error, "queued change dropped");
                            break;
                        }
                    }
                }
                writer.pending.drop_upto(&center, held);
                Ok(Ingested::Applied)
            })();
            if let Err(error) = &outcome {
                tracing::info!(%error, "received change rejected");
            }
            outcomes.push(outcome);
        }
        if new_changes.is_empty() {
            return Ok(outcomes);
        }
        let result = (|| {
            let mut commit = Commit {
                changes: new_changes,
                ..Commit::default()
            };
            for (center, doc_touched) in &touched.docs {
                let doc = writer.doc_mut(&own, center);
                let part = index_commit(doc, doc_touched)?;
                commit.profiles.extend(part.profiles);
                commit.listings.extend(part.listings);
                commit.unindex.extend(part.unindex);
            }
            // Snapshot a document that has many changes since its last one.
            for center in touched.docs.keys() {
                let doc_id = DocId::catalog(*center);
                let since = writer.store.changes_since_snapshot(&doc_id)?;
                let adding = commit.changes.iter().filter(|c| c.doc == doc_id).count() as u64;
                if since + adding >= SNAPSHOT_EVERY_CHANGES && commit.snapshot.is_none() {
                    commit.snapshot = Some((doc_id, writer.doc_mut(&own, center).save()));
                }
            }
            writer.store.commit(&commit, now)?;
            Ok::<_, NodeError>(())
        })();
        if let Err(error) = result {
            tracing::warn!(%error, "could not store received changes; reloading");
            for center in touched.docs.keys() {
                let doc_id = DocId::catalog(*center);
                match reload(&writer.store, &doc_id) {
                    Ok(doc) if doc.seq() > 0 => {
                        writer.others.insert(*center, doc);
                    }
                    Ok(_) => {
                        writer.others.remove(center);
                    }
                    Err(reload_error) => {
                        tracing::error!(%reload_error, doc = %doc_id, "cannot reload a catalog; restart the node");
                    }
                }
            }
            return Err(error);
        }
        if touched.docs.values().any(|t| t.vouches || t.everything) {
            writer.recompute_acceptance(own)?;
        }
        drop(guard);
        self.bump();
        Ok(outcomes)
    }

    /// Every stored change of `doc`, as envelopes, in commit order.
    pub fn changes_of(&self, doc: &DocId) -> Result<Vec<Vec<u8>>, NodeError> {
        Ok(lock(&self.reader).changes_after(doc, 0)?)
    }

    /// The current heads of a catalog this node holds, as hex hashes.
    pub fn heads_of(&self, center: &CenterId) -> Vec<String> {
        let writer = lock(&self.writer);
        writer
            .doc(&self.center_id(), center)
            .map(|d| d.heads().iter().map(|h| h.to_string()).collect())
            .unwrap_or_default()
    }

    /// Every accepted catalog with the seq held and its heads, sorted by center.
    pub fn catalogs(&self) -> Vec<(CenterId, u64, Vec<String>)> {
        let writer = lock(&self.writer);
        let own = self.center_id();
        let mut out: Vec<_> = writer
            .accepted
            .keys()
            .map(|center| match writer.doc(&own, center) {
                Some(doc) => (
                    *center,
                    doc.seq(),
                    doc.heads().iter().map(|h| h.to_string()).collect(),
                ),
                None => (*center, 0, Vec::new()),
            })
            .collect();
        out.sort_by_key(|(center, _, _)| *center);
        out
    }

    /// What this node offers its peers: for every accepted catalog, the highest
    /// seq held (0 if none yet).
    pub fn have(&self) -> BTreeMap<String, u64> {
        let writer = lock(&self.writer);
        let own = self.center_id();
        writer
            .accepted
            .keys()
            .map(|center| {
                let seq = writer.doc(&own, center).map(CatalogDoc::seq).unwrap_or(0);
                (DocId::catalog(*center).to_string(), seq)
            })
            .collect()
    }

    /// The changes a peer asks for, limited to accepted catalogs and to
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
        for (doc, after) in want {
            let Ok(doc) = doc.parse::<DocId>() else {
                continue;
            };
            if !accepted.contains(&doc.owner) {
                continue;
            }
            let count_left = count_max.saturating_sub(changes.len());
            let bytes_left = bytes_max.saturating_sub(bytes);
            if count_left == 0 || bytes_left == 0 {
                more = true;
                break;
            }
            let (found, doc_more) =
                reader.changes_after_seq(&doc, *after, count_left, bytes_left)?;
            for envelope in found {
                bytes += envelope.len();
                changes.push(base64::engine::general_purpose::STANDARD.encode(envelope));
            }
            if doc_more {
                more = true;
                break;
            }
        }
        Ok(Changes { changes, more })
    }

    /// Trusts a center directly and publishes a vouch for it in this center's catalog.
    pub fn trust(&self, center: &CenterId) -> Result<(), NodeError> {
        self.set_trust(center, Some(TrustState::Trusted))
    }

    /// Blocks a center: its catalog is forgotten, never shown, stored or relayed,
    /// whoever vouches for it; this center withdraws its own vouch.
    pub fn block(&self, center: &CenterId) -> Result<(), NodeError> {
        self.set_trust(center, Some(TrustState::Blocked))
    }

    /// Lifts a block (the center is then accepted only if trusted or vouched for).
    pub fn unblock(&self, center: &CenterId) -> Result<(), NodeError> {
        let blocked = lock(&self.writer).trust.get(center) == Some(&TrustState::Blocked);
        if !blocked {
            return Err(NodeError::Invalid(InvalidInput::new(
                "center",
                "not_blocked",
                format!("{center} is not blocked"),
            )));
        }
        self.set_trust(center, None)
    }

    fn set_trust(&self, center: &CenterId, state: Option<TrustState>) -> Result<(), NodeError> {
        if *center == self.center_id() {
            return Err(NodeError::Invalid(InvalidInput::new(
                "center",
                "own_center",
                "that is this center itself".to_owned(),
            )));
        }
        {
            let mut writer = lock(&self.writer);
            writer.store.set_trust(center, state, self.clock.now_ms())?;
            match state {
                Some(state) => writer.trust.insert(*center, state),
                None => writer.trust.remove(center),
            };
            writer.recompute_acceptance(self.center_id())?;
        }
        // Publish (or withdraw) the vouch: a signed record in our own catalog.
        let vouch = state == Some(TrustState::Trusted);
        match self.edit(Box::new(|doc, identity, _, now| {
            Ok(doc.set_vouch(identity, center, vouch, now)?)
        })) {
            Ok(_) | Err(NodeError::NoChange) => {}
            Err(error) => return Err(error),
        }
        self.bump();
        Ok(())
    }

    /// Local trust decisions and the resulting accepted centers with their depth.
    #[allow(clippy::type_complexity)] // two plain lists; a struct would add nothing
    pub fn trust_state(&self) -> (Vec<(CenterId, TrustState)>, Vec<(CenterId, u32)>) {
        let writer = lock(&self.writer);
        let mut decisions: Vec<_> = writer.trust.iter().map(|(c, s)| (*c, *s)).collect();
        decisions.sort();
        let mut accepted: Vec<_> = writer.accepted.iter().map(|(c, d)| (*c, *d)).collect();
        accepted.sort_by_key(|(c, d)| (*d, *c));
        (decisions, accepted)
    }

    /// Whether this node accepts `center`'s catalog.
    pub fn accepts(&self, center: &CenterId) -> bool {
        lock(&self.writer).accepted.contains_key(center)
    }

    /// Whether this node's operator blocked `center`.
    pub fn blocked(&self, center: &CenterId) -> bool {
        lock(&self.writer).trust.get(center) == Some(&TrustState::Blocked)
    }

    /// Adds (or updates) a peer and trusts its center.
    pub fn add_peer(
        &self,
        center: &CenterId,
        name: &str,
        url: Option<&str>,
    ) -> Result<(), NodeError> {
        if *center == self.center_id() {
            return Err(NodeError::Invalid(InvalidInput::new(
                "url",
                "own_center",
                "that address is this node itself".to_owned(),
            )));
        }
        lock(&self.writer)
            .store
            .upsert_peer(center, name, url, self.clock.now_ms())?;
        if lock(&self.writer).trust.get(center) != Some(&TrustState::Blocked) {
            self.trust(center)?;
        }
        self.bump();
        Ok(())
    }

    /// Removes a peer (trust decisions stay).
    pub fn remove_peer(&self, center: &CenterId) -> Result<(), NodeError> {
        if !lock(&self.writer).store.remove_peer(center)? {
            return Err(NodeError::Invalid(InvalidInput::new(
                "center",
                "not_a_peer",
                format!("{center} is not a peer of this node"),
            )));
        }
        lock(&self.mail.routes).forget(center);
        Ok(())
    }

    /// The configured peers.
    pub fn peers(&self) -> Result<Vec<PeerRow>, NodeError> {
        Ok(lock(&self.writer).store.peers()?)
    }

    /// Records how a sync attempt with a peer went.
    pub fn record_sync(
        &self,
        center: &CenterId,
        outcome: Result<u64, &str>,
    ) -> Result<(), NodeError> {
        let now = self.clock.now_ms();
        Ok(lock(&self.writer).store.record_sync(center, now, outcome)?)
    }

    /// Signs a request to peer `to` (the `Authorization` header value).
    pub fn sign_request(
        &self,
        to: &CenterId,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<String, NodeError> {
        let mut nonce = [0u8; 16];
        lock(&self.writer).rng.fill_bytes(&mut nonce);
        HopAuth::sign(
            &self.identity,
            *to,
            self.clock.now_ms(),
            nonce,
            method,
            path,
            body,
        )
        .map_err(|e| NodeError::Internal(e.to_string()))
    }

    /// Signs the answer to a pair exchange from `to` whose request carried
    /// `nonce`: a hop signature with method `RESPONSE` over the answer's body,
    /// so the caller knows the answer comes from this center and belongs to its
    /// request (the value of the `Telecenter-Response` header).
    pub fn sign_response(
        &self,
        to: &CenterId,
        nonce: [u8; 16],
        path: &str,
        body: &[u8],
    ) -> Result<String, NodeError> {
        HopAuth::sign(
            &self.identity,
            *to,
            self.clock.now_ms(),
            nonce,
            RESPONSE_METHOD,
            path,
            body,
        )
        .map_err(|e| NodeError::Internal(e.to_string()))
    }

    /// Checks the `Telecenter-Response` header of an answer from `from` to this
    /// node's request with `nonce`.
    pub fn check_response(
        &self,
        header: &str,
        from: &CenterId,
        nonce: [u8; 16],
        path: &str,
        body: &[u8],
    ) -> Result<(), HopError> {
        let auth = HopAuth::parse(header)?;
        if auth.from != *from || auth.nonce != nonce {
            return Err(HopError::Malformed(
                "the answer is signed by another center or for another request".into(),
            ));
        }
        auth.verify(
            &self.center_id(),
            self.clock.now_ms(),
            RESPONSE_METHOD,
            path,
            body,
        )
    }

    /// Checks a peer request's `Authorization` header for exactly this request:
    /// form, audience, time window, signature, that the sender is a configured
    /// peer, and that its nonce was not used before. Returns the sender.
    pub fn check_request(
        &self,
        header: &str,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<CenterId, PeerAuthError> {
        self.check_hop(header, method, path, body, false, &|_| true)
            .map(|auth| auth.from)
    }

    /// Checks a request's hop authorization: form, audience, time window,
    /// signature, admission (configured peer; with `admit_accepted` also any
    /// accepted center), then the sender's rate (`allow`), and only then
    /// remembers its nonce, so a sender over its rate cannot fill the nonce memory.
    /// Nonces are kept per sender with a quota, senders that are not configured
    /// peers share one bounded pool, and each nonce is forgotten once its request
    /// can no longer pass the time window (see `node/nonces.rs`).
    pub fn check_hop(
        &self,
        header: &str,
        method: &str,
        path: &str,
        body: &[u8],
        admit_accepted: bool,
        allow: &dyn Fn(&CenterId) -> bool,
    ) -> Result<HopAuth, PeerAuthError> {
        let auth = HopAuth::parse(header)?;
        let now = self.clock.now_ms();
        auth.verify(&self.center_id(), now, method, path, body)?;
        let is_peer = {
            let writer = lock(&self.writer);
            let is_peer = writer
                .store
                .peer(&auth.from)
                .map_err(|e| PeerAuthError::Internal(e.to_string()))?
                .is_some();
            let admitted = is_peer || (admit_accepted && writer.accepted.contains_key(&auth.from));
            if !admitted && admit_accepted {
                return Err(PeerAuthError::NotAccepted(auth.from));
            }
            if !admitted {
                return Err(PeerAuthError::NotAPeer(auth.from));
            }
            if writer.trust.get(&auth.from) == Some(&TrustState::Blocked) {
                return Err(PeerAuthError::Blocked(auth.from));
            }
            is_peer
        };
        // A replay is refused before it is charged to the sender's rate, so a
        // captured request replayed many times cannot throttle its real sender.
        if lock(&self.nonces).seen(&auth.from, &auth.nonce) {
            return Err(PeerAuthError::Replayed);
        }
        if !allow(&auth.from) {
            return Err(PeerAuthError::RateLimited);
        }
        lock(&self.nonces)
            .remember(auth.from, is_peer, auth.nonce, auth.expires_at_ms(), now)
            .map_err(|e| match e {
                nonces::NonceError::Replayed => PeerAuthError::Replayed,
                nonces::NonceError::SenderFull => PeerAuthError::RateLimited,
                nonces::NonceError::PoolFull => PeerAuthError::Busy,
            })?;
        Ok(auth)
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

/// Why a peer request's authentication was refused.
#[derive(Debug, thiserror::Error)]
pub enum PeerAuthError {
    /// The header is wrong (form, audience, time, signature).
    #[error(transparent)]
    Hop(#[from] HopError),
    /// The sender is not a configured peer of this node.
    #[error("{0} is not a peer of this node: its operator must add it with 'telecenter peer add'")]
    NotAPeer(CenterId),
    /// The sender is blocked here.
    #[error("{0} is blocked by this node")]
    Blocked(CenterId),
    /// The sender's catalog is not accepted here (pair exchanges).
    #[error("{0} is not accepted by this node (neither trusted nor vouched for)")]
    NotAccepted(CenterId),
    /// The sender is over its request rate.
    #[error("too many requests from this center; slow down")]
    RateLimited,
    /// The request was seen before.
    #[error("this request was already received (replay)")]
    Replayed,
    /// The memory for requests from centers that are not configured peers is
    /// full; try again later (answered like [`PeerAuthError::RateLimited`]).
    #[error("too many requests from centers that are not peers of this node; try again shortly")]
    Busy,
    /// The node failed.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Most changes a node sends in one fetch answer or push: small batches keep each
/// receiving transaction short (a kill loses at most one batch of work, never data)
/// and Automerge's memory use low.
pub const FETCH_CHANGES_MAX: usize = 200;

/// Most bytes of changes in one fetch answer (the body stays under [`SYNC_BODY_BYTES_MAX`]
/// after base64).
pub const FETCH_BYTES_MAX: usize = SYNC_BODY_BYTES_MAX / 2;

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
