//! The SQLite store: signed changes exactly as received, document snapshots, and
//! the materialised listing index with full-text search.
//!
//! One SQLite file in WAL mode with `synchronous = FULL`, so a transaction that
//! has returned from `COMMIT` survives a kill or a power cut. Everything one
//! edit writes (its signed change, the listing rows it touched and sometimes a
//! fresh snapshot) is written in one transaction: after a crash the index never
//! disagrees with the changes. Schema versions are numbered from 1 in
//! [`MIGRATIONS`] and tracked in `PRAGMA user_version`.
//!
//! Storage rows (`*Row`) are this module's own types; the HTTP layer converts
//! them at its boundary.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use telecenter_protocol::catalog::{Lang, Listing, Profile};
use telecenter_protocol::{CenterId, DocId, ListingId};

use crate::search::{self, SearchQuery, Sort};

mod mail;
mod orders;
pub use mail::{MailKind, MailRow, MailUse, PairRoute};
pub use orders::{
    EntryRow, EventRow, ORDER_STATUS_WORDS, OrderFilter, OrderRow, OutboxRow, PairWrite,
    SettlementRow,
};

/// Schema migrations, applied in order; index + 1 is the schema version.
/// Never edit a released migration: add a new one.
pub const MIGRATIONS: &[&str] = &[
    // Version 1: changes, documents, centers, listings and their full-text index.
    r#"
    CREATE TABLE documents (
        doc_id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        snapshot BLOB,
        snapshot_upto INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE changes (
        seq_no INTEGER PRIMARY KEY AUTOINCREMENT,
        hash BLOB NOT NULL UNIQUE,
        doc_id TEXT NOT NULL REFERENCES documents(doc_id),
        change_seq INTEGER NOT NULL,
        envelope BLOB NOT NULL,
        received_at_ms INTEGER NOT NULL,
        UNIQUE (doc_id, change_seq)
    ) STRICT;
    CREATE INDEX changes_by_doc ON changes(doc_id, seq_no);
    CREATE TABLE peers (
        center_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        url TEXT,
        added_at_ms INTEGER NOT NULL,
        last_ok_ms INTEGER,
        last_error TEXT,
        last_error_ms INTEGER,
        behind INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE trust (
        center_id TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('trusted', 'blocked')),
        at_ms INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE centers (
        center_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        region TEXT NOT NULL,
        contact TEXT NOT NULL,
        updated_at_ms INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE listings (
        rowid INTEGER PRIMARY KEY,
        center_id TEXT NOT NULL,
        listing_id TEXT NOT NULL,
        title_id TEXT NOT NULL,
        title_en TEXT,
        title_jv TEXT,
        description_id TEXT NOT NULL,
        description_en TEXT,
        description_jv TEXT,
        category TEXT NOT NULL,
        price_idr INTEGER NOT NULL,
        unit TEXT NOT NULL,
        stock INTEGER NOT NULL,
        producer TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        UNIQUE (center_id, listing_id)
    ) STRICT;
    CREATE INDEX listings_by_status_time ON listings(status, updated_at_ms);
    CREATE INDEX listings_by_center ON listings(center_id, status);
    CREATE VIRTUAL TABLE listings_fts USING fts5(
        title, body, tokenize = 'unicode61 remove_diacritics 2'
    );
    "#,
    // Version 2: photos. Listings name their photos (JSON list of {thumb, medium}
    // image hashes); images are stored by the SHA-256 of their bytes.
    r#"
    ALTER TABLE listings ADD COLUMN photos TEXT NOT NULL DEFAULT '[]';
    CREATE TABLE images (
        hash TEXT PRIMARY KEY,
        bytes BLOB NOT NULL,
        stored_at_ms INTEGER NOT NULL
    ) STRICT;
    "#,
    // Version 3: orders between centers, their pair messages, the outbox, the
    // ledger and settlements; fee terms and node address in profiles.
    r#"
    ALTER TABLE centers ADD COLUMN fee_bp INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE centers ADD COLUMN fee_min_idr INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE centers ADD COLUMN address TEXT;
    CREATE TABLE orders (
        order_id TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('buyer', 'seller')),
        counterpart TEXT NOT NULL,
        status TEXT NOT NULL,
        seq INTEGER NOT NULL,
        head TEXT NOT NULL,
        terms TEXT NOT NULL,
        gross_idr INTEGER NOT NULL,
        fee_idr INTEGER NOT NULL,
        placed_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        completed_at_ms INTEGER,
        pending TEXT,
        problem TEXT
    ) STRICT;
    CREATE INDEX orders_by_time ON orders(updated_at_ms);
    CREATE INDEX orders_by_counterpart ON orders(counterpart, status);
    CREATE INDEX orders_by_completion ON orders(completed_at_ms);
    CREATE TABLE order_events (
        order_id TEXT NOT NULL REFERENCES orders(order_id),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,
        message TEXT NOT NULL,
        proposed INTEGER NOT NULL DEFAULT 0,
        stored_at_ms INTEGER NOT NULL,
        PRIMARY KEY (order_id, seq)
    ) STRICT;
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        counterpart TEXT NOT NULL,
        hash TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        UNIQUE (counterpart, hash)
    ) STRICT;
    CREATE TABLE ledger (
        entry_id TEXT PRIMARY KEY,
        counterpart TEXT NOT NULL,
        kind TEXT NOT NULL,
        creditor TEXT NOT NULL,
        debtor TEXT NOT NULL,
        amount_idr INTEGER NOT NULL CHECK (amount_idr > 0),
        order_id TEXT,
        settlement_id TEXT,
        at_ms INTEGER NOT NULL,
        booked_at_ms INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX ledger_by_counterpart ON ledger(counterpart, at_ms);
    CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
        BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
    CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
        BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
    CREATE TABLE pair_refusals (
        hash TEXT PRIMARY KEY,
        counterpart TEXT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        at_ms INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX pair_refusals_by_counterpart ON pair_refusals(counterpart);
    CREATE TABLE settlements (
        settlement_id TEXT PRIMARY KEY,
        counterpart TEXT NOT NULL,
        payer TEXT NOT NULL,
        payee TEXT NOT NULL,
        amount_idr INTEGER NOT NULL,
        reference TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('waiting', 'confirmed', 'declined')),
        reason TEXT,
        payment_hash TEXT NOT NULL,
        payment TEXT NOT NULL,
        reply TEXT,
        at_ms INTEGER NOT NULL,
        answered_at_ms INTEGER
    ) STRICT;
    "#,
    // Version 4: placements by the time they were stored, to count those taken in
    // from one center in the last day; and the image names of every listing, kept
    // by triggers, so that asking whether a listing names an image (anyone may ask,
    // through `/foto/{hash}`) is one index look-up, not a scan of every listing.
    r#"
    CREATE INDEX order_placements_by_time ON order_events(stored_at_ms) WHERE seq = 0;
    CREATE TABLE listing_photos (
        hash TEXT NOT NULL,
        listing INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX listing_photos_by_hash ON listing_photos(hash);
    CREATE INDEX listing_photos_by_listing ON listing_photos(listing);
    INSERT INTO listing_photos (hash, listing)
        SELECT n.value, l.rowid FROM listings l, json_each(l.photos) p,
            json_each(json_array(json_extract(p.value, '$.thumb'),
                                 json_extract(p.value, '$.medium'))) n
        WHERE n.value IS NOT NULL;
    CREATE TRIGGER listing_photos_insert AFTER INSERT ON listings BEGIN
        INSERT INTO listing_photos (hash, listing)
            SELECT n.value, NEW.rowid FROM json_each(NEW.photos) p,
                json_each(json_array(json_extract(p.value, '$.thumb'),
                                     json_extract(p.value, '$.medium'))) n
            WHERE n.value IS NOT NULL;
    END;
    CREATE TRIGGER listing_photos_update AFTER UPDATE OF photos ON listings BEGIN
        DELETE FROM listing_photos WHERE listing = OLD.rowid;
        INSERT INTO listing_photos (hash, listing)
            SELECT n.value, NEW.rowid FROM json_each(NEW.photos) p,
                json_each(json_array(json_extract(p.value, '$.thumb'),
                                     json_extract(p.value, '$.medium'))) n
            WHERE n.value IS NOT NULL;
    END;
    CREATE TRIGGER listing_photos_delete AFTER DELETE ON listings BEGIN
        DELETE FROM listing_photos WHERE listing = OLD.rowid;
    END;
    "#,
    // Version 5: sealed mail this node holds (its own, and others' it relays),
    // and ids of mail already handed on, remembered until they expire; and how
    // the last pair message travelled to and from each counterpart.
    r#"
    CREATE TABLE mail (
        id TEXT PRIMARY KEY,
        sender TEXT NOT NULL,
        recipient TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        size INTEGER NOT NULL,
        body TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('outbox', 'reply', 'relay', 'gone')),
        came_from TEXT,
        received_ms INTEGER NOT NULL,
        handed_to TEXT,
        handed_ms INTEGER
    ) STRICT;
    CREATE INDEX mail_held_by_recipient ON mail(recipient, received_ms) WHERE kind <> 'gone';
    CREATE INDEX mail_held_by_sender ON mail(sender) WHERE kind <> 'gone';
    CREATE INDEX mail_by_date ON mail(at_ms);
    CREATE TABLE pair_routes (
        counterpart TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        via TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        PRIMARY KEY (counterpart, direction)
    ) STRICT;
    "#,
];

/// Why a store operation failed. These are the node's own faults (disk, corrupt
/// file), never the caller's: the HTTP layer turns them into a 500 without details.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer telecenter.
    #[error(
        "the database has schema version {found}, newer than this program's {supported}: upgrade telecenter"
    )]
    TooNew {
        /// The version found in the file.
        found: usize,
        /// The newest version this program knows.
        supported: usize,
    },
    /// A stored value could not be read back.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// The database file could not be created or made private.
    #[error("database file {path}: {source}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// Makes the database and its `-wal` and `-shm` files readable and writable by
/// their owner only (on Unix): they hold buyers' names and phone numbers. A new
/// database file is created with mode 0600 before SQLite opens it, and SQLite
/// gives the `-wal` and `-shm` files it creates the mode of the database file;
/// files of an older node are changed to 0600.
fn make_private(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file_error = |path: &Path| {
            let path = path.to_owned();
            move |source| StoreError::File { path, source }
        };
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(file_error(path))?;
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = std::path::PathBuf::from(name);
            match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(file_error(&file)(e));
                }
                _ => {}
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// One listing as stored in the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingRow {
    /// The selling center.
    pub center_id: CenterId,
    /// Its name, from the centers table.
    pub center_name: String,
    /// Its region, from the centers table.
    pub center_region: String,
    /// The listing.
    pub listing: Listing,
}

/// A stored document: its newest snapshot and which changes it already contains.
#[derive(Clone, Debug)]
pub struct DocumentRow {
    /// The document.
    pub doc_id: DocId,
    /// Automerge `save()` bytes, if a snapshot was taken.
    pub snapshot: Option<Vec<u8>>,
    /// Every change with `seq_no` ≤ this is inside the snapshot.
    pub snapshot_upto: i64,
}

/// Everything one edit writes, committed in one transaction.
#[derive(Default)]
pub struct Commit {
    /// New signed changes.
    pub changes: Vec<NewChange>,
    /// Profiles to upsert.
    pub profiles: Vec<Profile>,
    /// Listings to upsert into the index: (center, listing).
    pub listings: Vec<(CenterId, Listing)>,
    /// Listings to drop from the index (e.g. they no longer pass the schema).
    pub unindex: Vec<(CenterId, String)>,
    /// A new snapshot of a document, covering every change committed so far.
    pub snapshot: Option<(DocId, Vec<u8>)>,
    /// Order, outbox, ledger and settlement rows written with the change.
    pub pair: PairWrite,
}

/// One signed change to store.
#[derive(Clone, Debug)]
pub struct NewChange {
    /// Its document.
    pub doc: DocId,
    /// Its Automerge hash.
    pub hash: [u8; 32],
    /// Its sequence number in the document (the owner's actor seq).
    pub seq: u64,
    /// The envelope exactly as signed.
    pub envelope: Vec<u8>,
}

/// A configured peer and how syncing with it went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerRow {
    /// The peer center.
    pub center_id: CenterId,
    /// Its name when added.
    pub name: String,
    /// Where to reach it; `None` for a peer that only connects to us (behind NAT).
    pub url: Option<String>,
    /// When it was added.
    pub added_at_ms: i64,
    /// Last successful sync.
    pub last_ok_ms: Option<i64>,
    /// Last error, if the last attempt failed.
    pub last_error: Option<String>,
    /// When that error happened.
    pub last_error_ms: Option<i64>,
    /// Changes the peer had that this node lacked at the last summary.
    pub behind: u64,
}

/// A local trust decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TrustState {
    /// Accept this center's catalog.
    Trusted,
    /// Never accept, store, show or relay it.
    Blocked,
}

/// One page of search results.
#[derive(Clone, Debug)]
pub struct SearchPage {
    /// How many listings match in all.
    pub total: u64,
    /// This page.
    pub items: Vec<ListingRow>,
}

/// A connection to the node's database.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path` for reading and writing,
    /// and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        make_private(path)?;
        let conn = Connection::open(path)?;
        Self::configure(&conn)?;
        let mut store = Self { conn };
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing database for reading only.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let store = Self { conn };
        store.check_version()?;
        Ok(store)
    }

    fn configure(conn: &Connection) -> Result<(), StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL lets readers work while a write is under way; FULL makes each commit
        // durable against power loss, not only against a process kill.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(())
    }

    fn schema_version(&self) -> Result<usize, StoreError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?;
        usize::try_from(version).map_err(|_| StoreError::Corrupt("negative schema version".into()))
    }

    fn check_version(&self) -> Result<usize, StoreError> {
        let found = self.schema_version()?;
        if found > MIGRATIONS.len() {
            return Err(StoreError::TooNew {
                found,
                supported: MIGRATIONS.len(),
            });
        }
        Ok(found)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let current = self.check_version()?;
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(
                None,
                "user_version",
                i64::try_from(index + 1).unwrap_or(i64::MAX),
            )?;
            tx.commit()?;
            tracing::info!(version = index + 1, "database schema migrated");
        }
        Ok(())
    }

    /// Runs `PRAGMA quick_check` and returns its verdict (`"ok"` when healthy).
    pub fn quick_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA quick_check", [], |row| row.get(0))?)
    }

    /// Every stored document.
    pub fn documents(&self) -> Result<Vec<DocumentRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT doc_id, snapshot, snapshot_upto FROM documents ORDER BY doc_id")?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<Vec<u8>>>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })?;
        let mut documents = Vec::new();
        for row in rows {
            let (doc_id, snapshot, snapshot_upto) = row?;
            let doc_id = doc_id
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("document id: {e}")))?;
            documents.push(DocumentRow {
                doc_id,
                snapshot,
                snapshot_upto,
            });
        }
        Ok(documents)
    }

    /// The envelopes of a document's changes committed after `seq_no`, in commit order.
    pub fn changes_after(&self, doc: &DocId, seq_no: i64) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT envelope FROM changes WHERE doc_id = ?1 AND seq_no > ?2 ORDER BY seq_no",
        )?;
        let rows = stmt.query_map(params![doc.to_string(), seq_no], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many changes of `doc` are not yet folded into its snapshot.
    pub fn changes_since_snapshot(&self, doc: &DocId) -> Result<u64, StoreError> {
        let count: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM changes c JOIN documents d ON c.doc_id = d.doc_id
             WHERE c.doc_id = ?1 AND c.seq_no > d.snapshot_upto",
            params![doc.to_string()],
            |row| row.get(0),
        )?;
        Ok(count.unsigned_abs())
    }

    /// Counts stored changes (all documents).
    pub fn change_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM changes", [], |row| row.get(0))?;
        Ok(count.unsigned_abs())
    }

    /// Writes everything in `commit` in one transaction; when this returns `Ok`
    /// the data is durable.
    pub fn commit(&mut self, commit: &Commit, now_ms: i64) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let mut docs_seen = Vec::new();
        for change in &commit.changes {
            if !docs_seen.contains(&change.doc) {
                tx.prepare_cached(
                    "INSERT INTO documents (doc_id, owner) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                )?
                .execute(params![
                    change.doc.to_string(),
                    change.doc.owner.to_string()
                ])?;
                docs_seen.push(change.doc);
            }
            // A change already held (same hash, or same seq: the node refuses
            // conflicting changes before they get here) is left as it is.
            tx.prepare_cached(
                "INSERT OR IGNORE INTO changes (hash, doc_id, change_seq, envelope, received_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                change.hash.as_slice(),
                change.doc.to_string(),
                i64::try_from(change.seq).unwrap_or(i64::MAX),
                change.envelope,
                now_ms
            ])?;
        }
        for profile in &commit.profiles {
            let before: Option<(String, String)> = tx
                .query_row(
                    "SELECT name, region FROM centers WHERE center_id = ?1",
                    params![profile.center.to_string()],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            tx.execute(
                "INSERT INTO centers (center_id, name, region, contact, updated_at_ms,
                   fee_bp, fee_min_idr, address)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (center_id) DO UPDATE SET name = excluded.name,
                   region = excluded.region, contact = excluded.contact,
                   updated_at_ms = excluded.updated_at_ms, fee_bp = excluded.fee_bp,
                   fee_min_idr = excluded.fee_min_idr, address = excluded.address",
                params![
                    profile.center.to_string(),
                    profile.name,
                    profile.region,
                    profile.contact,
                    profile.updated_at_ms,
                    i64::from(profile.fees.referral_bp),
                    profile.fees.min_idr,
                    profile.address
                ],
            )?;
            // The center's name and region are part of every one of its listings'
            // search text; other profile changes (contact, fees, address) leave it.
            let searched = (profile.name.clone(), profile.region.clone());
            if before.as_ref() == Some(&searched) {
                continue;
            }
            let mut stmt = tx.prepare_cached("SELECT rowid FROM listings WHERE center_id = ?1")?;
            let rowids: Vec<i64> = stmt
                .query_map(params![profile.center.to_string()], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            drop(stmt);
            for rowid in rowids {
                reindex_text(&tx, rowid)?;
            }
        }
        for (center, listing) in &commit.listings {
            upsert_listing(&tx, center, listing)?;
        }
        for (center, listing_id) in &commit.unindex {
            let rowid: Option<i64> = tx
                .query_row(
                    "SELECT rowid FROM listings WHERE center_id = ?1 AND listing_id = ?2",
                    params![center.to_string(), listing_id],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(rowid) = rowid {
                tx.execute("DELETE FROM listings_fts WHERE rowid = ?1", params![rowid])?;
                tx.execute("DELETE FROM listings WHERE rowid = ?1", params![rowid])?;
            }
        }
        if let Some((doc, snapshot)) = &commit.snapshot {
            tx.execute(
                "UPDATE documents SET snapshot = ?2,
                   snapshot_upto = (SELECT COALESCE(MAX(seq_no), 0) FROM changes WHERE doc_id = ?1)
                 WHERE doc_id = ?1",
                params![doc.to_string(), snapshot],
            )?;
        }
        orders::apply(&tx, &commit.pair, now_ms)?;
        tx.commit()?;
        Ok(())
    }

    /// Envelopes of `doc` with seq > `after_seq`, in seq order, at most `count_max`
    /// of them and about `bytes_max` bytes (at least one if any); the flag says
    /// whether more remain.
    pub fn changes_after_seq(
        &self,
        doc: &DocId,
        after_seq: u64,
        count_max: usize,
        bytes_max: usize,
    ) -> Result<(Vec<Vec<u8>>, bool), StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT envelope FROM changes WHERE doc_id = ?1 AND change_seq > ?2
             ORDER BY change_seq LIMIT ?3",
        )?;
        let limit = i64::try_from(count_max.saturating_add(1)).unwrap_or(i64::MAX);
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        let mut rows = stmt.query(params![doc.to_string(), after, limit])?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        while let Some(row) = rows.next()? {
            let envelope: Vec<u8> = row.get(0)?;
            if out.len() == count_max || (!out.is_empty() && bytes + envelope.len() > bytes_max) {
                return Ok((out, true));
            }
            bytes += envelope.len();
            out.push(envelope);
        }
        Ok((out, false))
    }

    /// Forgets a document entirely: its changes, snapshot, listings and profile
    /// (used when its center is blocked or no longer accepted).
    pub fn purge_document(&mut self, doc: &DocId) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let center = doc.owner.to_string();
        tx.execute(
            "DELETE FROM listings_fts WHERE rowid IN (SELECT rowid FROM listings WHERE center_id = ?1)",
            params![center],
        )?;
        tx.execute("DELETE FROM listings WHERE center_id = ?1", params![center])?;
        tx.execute("DELETE FROM centers WHERE center_id = ?1", params![center])?;
        tx.execute(
            "DELETE FROM changes WHERE doc_id = ?1",
            params![doc.to_string()],
        )?;
        tx.execute(
            "DELETE FROM documents WHERE doc_id = ?1",
            params![doc.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Stores image bytes under their hash (nothing if already held).
    pub fn put_image(&mut self, hash: &str, bytes: &[u8], now_ms: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO images (hash, bytes, stored_at_ms) VALUES (?1, ?2, ?3)",
            params![hash, bytes, now_ms],
        )?;
        Ok(())
    }

    /// The bytes of a stored image.
    pub fn image(&self, hash: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT bytes FROM images WHERE hash = ?1",
                params![hash],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Thumbnails named by shown listings but not held here (at most `limit`).
    pub fn missing_thumbnails(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT json_extract(p.value, '$.thumb') AS thumb
             FROM listings l, json_each(l.photos) p
             WHERE l.status = 'active'
               AND json_extract(p.value, '$.thumb') NOT IN (SELECT hash FROM images)
             LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
            row.get(0)
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether an image is named by some listing held here (only those are served to peers).
    pub fn image_is_named(&self, hash: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = self
            .conn
            .query_row(
                "SELECT 1 FROM listing_photos WHERE hash = ?1 LIMIT 1",
                params![hash],
                |row| row.get(0),
            )
            .optional()?;
        Ok(found.is_some())
    }

    /// Every local trust decision.
    pub fn trust_list(&self) -> Result<Vec<(CenterId, TrustState)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT center_id, state FROM trust ORDER BY center_id")?;
        let rows = stmt.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (center, state) = row?;
            let center = center
                .parse()
                .map_err(|_| StoreError::Corrupt("center id in trust".into()))?;
            let state = match state.as_str() {
                "trusted" => TrustState::Trusted,
                _ => TrustState::Blocked,
            };
            out.push((center, state));
        }
        Ok(out)
    }

    /// Records a trust decision (`None` forgets it).
    pub fn set_trust(
        &mut self,
        center: &CenterId,
        state: Option<TrustState>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        match state {
            None => {
                self.conn.execute(
                    "DELETE FROM trust WHERE center_id = ?1",
                    params![center.to_string()],
                )?;
            }
            Some(state) => {
                let word = match state {
                    TrustState::Trusted => "trusted",
                    TrustState::Blocked => "blocked",
                };
                self.conn.execute(
                    "INSERT INTO trust (center_id, state, at_ms) VALUES (?1, ?2, ?3)
                     ON CONFLICT (center_id) DO UPDATE SET state = excluded.state, at_ms = excluded.at_ms",
                    params![center.to_string(), word, now_ms],
                )?;
            }
        }
        Ok(())
    }

    /// Every configured peer.
    pub fn peers(&self) -> Result<Vec<PeerRow>, StoreError> {
        self.peers_where("", "")
    }

    /// One configured peer, if `center` is one.
    pub fn peer(&self, center: &CenterId) -> Result<Option<PeerRow>, StoreError> {
        Ok(self
            .peers_where("WHERE center_id = ?1", &center.to_string())?
            .into_iter()
            .next())
    }

    fn peers_where(&self, condition: &str, value: &str) -> Result<Vec<PeerRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT center_id, name, url, added_at_ms, last_ok_ms, last_error, last_error_ms, behind
             FROM peers {condition} ORDER BY added_at_ms, center_id"
        ))?;
        let params: &[&dyn rusqlite::ToSql] = if condition.is_empty() { &[] } else { &[&value] };
        let rows = stmt.query_map(params, |row| {
            Ok((
                row.get::<_, String>(0)?,
                PeerRow {
                    center_id: CenterId::from_bytes([0; 32]),
                    name: row.get(1)?,
                    url: row.get(2)?,
                    added_at_ms: row.get(3)?,
                    last_ok_ms: row.get(4)?,
                    last_error: row.get(5)?,
                    last_error_ms: row.get(6)?,
                    behind: row.get::<_, i64>(7)?.unsigned_abs(),
                },
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (center, mut peer) = row?;
            peer.center_id = center
                .parse()
                .map_err(|_| StoreError::Corrupt("center id in peers".into()))?;
            out.push(peer);
        }
        Ok(out)
    }

    /// Adds or updates a peer (keeps its sync history).
    pub fn upsert_peer(
        &mut self,
        center: &CenterId,
        name: &str,
        url: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO peers (center_id, name, url, added_at_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (center_id) DO UPDATE SET name = excluded.name, url = excluded.url",
            params![center.to_string(), name, url, now_ms],
        )?;
        Ok(())
    }

    /// Removes a peer; returns whether it existed.
    pub fn remove_peer(&mut self, center: &CenterId) -> Result<bool, StoreError> {
        let removed = self.conn.execute(
            "DELETE FROM peers WHERE center_id = ?1",
            params![center.to_string()],
        )?;
        Ok(removed > 0)
    }

    /// Records the outcome of a sync attempt with a peer.
    pub fn record_sync(
        &mut self,
        center: &CenterId,
        now_ms: i64,
        outcome: Result<u64, &str>,
    ) -> Result<(), StoreError> {
        match outcome {
            Ok(behind) => self.conn.execute(
                "UPDATE peers SET last_ok_ms = ?2, last_error = NULL, last_error_ms = NULL, behind = ?3
                 WHERE center_id = ?1",
                params![center.to_string(), now_ms, i64::try_from(behind).unwrap_or(i64::MAX)],
            )?,
            Err(error) => self.conn.execute(
                "UPDATE peers SET last_error = ?2, last_error_ms = ?3 WHERE center_id = ?1",
                params![center.to_string(), error, now_ms],
            )?,
        };
        Ok(())
    }

    /// One listing by center and id, whatever its status.
    pub fn listing(
        &self,
        center: &CenterId,
        id: &ListingId,
    ) -> Result<Option<ListingRow>, StoreError> {
        let sql = format!("{SELECT_LISTING} WHERE l.center_id = ?1 AND l.listing_id = ?2");
        self.conn
            .query_row(
                &sql,
                params![center.to_string(), id.as_str()],
                read_listing_row,
            )
            .optional()?
            .transpose()
    }

    /// Every indexed center's profile, by name.
    pub fn centers(&self) -> Result<Vec<Profile>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {PROFILE_COLUMNS} FROM centers ORDER BY name, center_id"
        ))?;
        let rows = stmt.query_map([], profile_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row??);
        }
        Ok(out)
    }

    /// A center's profile as indexed.
    pub fn center(&self, center: &CenterId) -> Result<Option<Profile>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {PROFILE_COLUMNS} FROM centers WHERE center_id = ?1"),
                params![center.to_string()],
                profile_row,
            )
            .optional()?
            .transpose()
    }

    /// Searches the index; see [`SearchQuery`] for what each field does.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchPage, StoreError> {
        let mut conditions = Vec::new();
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        let mut push = |condition: &str, value: rusqlite::types::Value| {
            values.push(value);
            conditions.push(condition.replace('?', &format!("?{}", values.len())));
        };
        let match_expr = query.text.as_deref().and_then(search::fts_match_expression);
        if query.text.is_some() && match_expr.is_none() {
            // The query had no searchable words at all: nothing matches.
            return Ok(SearchPage {
                total: 0,
                items: Vec::new(),
            });
        }
        if let Some(expr) = &match_expr {
            push("listings_fts MATCH ?", expr.clone().into());
        }
        if let Some(category) = query.category {
            push("l.category = ?", category.slug().to_owned().into());
        }
        if let Some(center) = query.center {
            push("l.center_id = ?", center.to_string().into());
        }
        if let Some(min) = query.min_price_idr {
            push("l.price_idr >= ?", min.into());
        }
        if let Some(max) = query.max_price_idr {
            push("l.price_idr <= ?", max.into());
        }
        // Statuses are fixed words from an enum, never user text.
        let status_list = query
            .statuses
            .iter()
            .map(|s| format!("'{}'", s.word()))
            .collect::<Vec<_>>()
            .join(", ");
        conditions.push(format!("l.status IN ({status_list})"));
        let from = if match_expr.is_some() {
            "FROM listings_fts JOIN listings l ON l.rowid = listings_fts.rowid
             LEFT JOIN centers c ON c.center_id = l.center_id"
        } else {
            "FROM listings l LEFT JOIN centers c ON c.center_id = l.center_id"
        };
        let where_clause = format!("WHERE {}", conditions.join(" AND "));
        let total: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) {from} {where_clause}"),
            rusqlite::params_from_iter(values.iter()),
            |row| row.get(0),
        )?;
        let order = match (query.sort, match_expr.is_some()) {
            (Sort::Relevance, true) => {
                "bm25(listings_fts, 10.0, 1.0), l.updated_at_ms DESC, l.rowid"
            }
            (Sort::Relevance, false) | (Sort::Newest, _) => "l.updated_at_ms DESC, l.rowid",
            (Sort::PriceAsc, _) => "l.price_idr ASC, l.updated_at_ms DESC, l.rowid",
            (Sort::PriceDesc, _) => "l.price_idr DESC, l.updated_at_ms DESC, l.rowid",
        };
        values.push(i64::from(query.limit).into());
        values.push(i64::from(query.offset).into());
        let sql = format!(
            "{} {from} {where_clause} ORDER BY {order} LIMIT ?{} OFFSET ?{}",
            SELECT_LISTING_COLUMNS,
            values.len() - 1,
            values.len()
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(values.iter()), read_listing_row)?;
        let mut items = Vec::new();
        for row in rows {
            items.push(row??);
        }
        Ok(SearchPage {
            total: total.unsigned_abs(),
            items,
        })
    }
}

const PROFILE_COLUMNS: &str =
    "center_id, name, region, contact, updated_at_ms, fee_bp, fee_min_idr, address";

#[allow(clippy::type_complexity)] // rusqlite row closures return nested results
fn profile_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Profile, StoreError>> {
    let center: String = row.get(0)?;
    let fee_bp: i64 = row.get(5)?;
    let Ok(center) = center.parse() else {
        return Ok(Err(StoreError::Corrupt("center id in centers".into())));
    };
    Ok(Ok(Profile {
        center,
        name: row.get(1)?,
        region: row.get(2)?,
        contact: row.get(3)?,
        updated_at_ms: row.get(4)?,
        fees: telecenter_protocol::order::FeeTerms {
            referral_bp: u32::try_from(fee_bp).unwrap_or(0),
            min_idr: row.get(6)?,
        },
        address: row.get(7)?,
    }))
}

const SELECT_LISTING_COLUMNS: &str =
    "SELECT l.center_id, COALESCE(c.name, ''), COALESCE(c.region, ''),
    l.listing_id, l.title_id, l.title_en, l.title_jv, l.description_id, l.description_en,
    l.description_jv, l.category, l.price_idr, l.unit, l.stock, l.producer, l.status,
    l.created_at_ms, l.updated_at_ms, l.photos";

const SELECT_LISTING: &str = "SELECT l.center_id, COALESCE(c.name, ''), COALESCE(c.region, ''),
    l.listing_id, l.title_id, l.title_en, l.title_jv, l.description_id, l.description_en,
    l.description_jv, l.category, l.price_idr, l.unit, l.stock, l.producer, l.status,
    l.created_at_ms, l.updated_at_ms, l.photos
    FROM listings l LEFT JOIN centers c ON c.center_id = l.center_id";

fn read_listing_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<ListingRow, StoreError>> {
    use telecenter_protocol::LocalizedText;
    let corrupt = |what: &str| StoreError::Corrupt(what.to_owned());
    let center: String = row.get(0)?;
    let listing_id: String = row.get(3)?;
    let category: String = row.get(10)?;
    let status: String = row.get(15)?;
    let photos: String = row.get(18)?;
    let built = (|| {
        Ok(ListingRow {
            center_id: center.parse().map_err(|_| corrupt("center id"))?,
            center_name: row.get(1)?,
            center_region: row.get(2)?,
            listing: Listing {
                id: listing_id.parse().map_err(|_| corrupt("listing id"))?,
                title: LocalizedText {
                    id: row.get(4)?,
                    en: row.get(5)?,
                    jv: row.get(6)?,
                },
                description: LocalizedText {
                    id: row.get(7)?,
                    en: row.get(8)?,
                    jv: row.get(9)?,
                },
                category: category.parse().map_err(|_| corrupt("category"))?,
                price_idr: row.get(11)?,
                unit: row.get(12)?,
                stock: row.get(13)?,
                producer: row.get(14)?,
                photos: serde_json::from_str(&photos).map_err(|_| corrupt("photos"))?,
                status: status.parse().map_err(|_| corrupt("status"))?,
                created_at_ms: row.get(16)?,
                updated_at_ms: row.get(17)?,
            },
        })
    })();
    match built {
        Ok(row) => Ok(Ok(row)),
        Err(StoreError::Sqlite(e)) => Err(e),
        Err(other) => Ok(Err(other)),
    }
}

fn upsert_listing(
    tx: &rusqlite::Transaction<'_>,
    center: &CenterId,
    listing: &Listing,
) -> Result<(), StoreError> {
    let rowid: i64 = tx
        .prepare_cached(
            "INSERT INTO listings (center_id, listing_id, title_id, title_en, title_jv,
            description_id, description_en, description_jv, category, price_idr, unit, stock,
            producer, status, created_at_ms, updated_at_ms, photos)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
         ON CONFLICT (center_id, listing_id) DO UPDATE SET
            title_id = excluded.title_id, title_en = excluded.title_en,
            title_jv = excluded.title_jv, description_id = excluded.description_id,
            description_en = excluded.description_en, description_jv = excluded.description_jv,
            category = excluded.category, price_idr = excluded.price_idr, unit = excluded.unit,
            stock = excluded.stock, producer = excluded.producer, status = excluded.status,
            created_at_ms = excluded.created_at_ms, updated_at_ms = excluded.updated_at_ms,
            photos = excluded.photos
         RETURNING rowid",
        )?
        .query_row(
            params![
                center.to_string(),
                listing.id.as_str(),
                listing.title.id,
                listing.title.en,
                listing.title.jv,
                listing.description.id,
                listing.description.en,
                listing.description.jv,
                listing.category.slug(),
                listing.price_idr,
                listing.unit,
                listing.stock,
                listing.producer,
                listing.status.word(),
                listing.created_at_ms,
                listing.updated_at_ms,
                serde_json::to_string(&listing.photos).unwrap_or_else(|_| "[]".to_owned()),
            ],
            |row| row.get(0),
        )?;
    reindex_text(tx, rowid)
}

/// Rewrites the full-text row of one listing from the listing and center tables.
fn reindex_text(tx: &rusqlite::Transaction<'_>, rowid: i64) -> Result<(), StoreError> {
    let (titles, body, category): (String, String, String) = tx.prepare_cached(
        "SELECT l.title_id || ' ' || COALESCE(l.title_en, '') || ' ' || COALESCE(l.title_jv, ''),
                l.description_id || ' ' || COALESCE(l.description_en, '') || ' ' ||
                COALESCE(l.description_jv, '') || ' ' || l.producer || ' ' || l.unit || ' ' ||
                COALESCE(c.name, '') || ' ' || COALESCE(c.region, ''),
                l.category
         FROM listings l LEFT JOIN centers c ON c.center_id = l.center_id WHERE l.rowid = ?1",
    )?.query_row(
        params![rowid],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    let category_words = category
        .parse::<telecenter_protocol::Category>()
        .map(|c| format!("{} {}", c.label(Lang::Id), c.label(Lang::En)))
        .unwrap_or_default();
    tx.prepare_cached("DELETE FROM listings_fts WHERE rowid = ?1")?
        .execute(params![rowid])?;
    tx.prepare_cached("INSERT INTO listings_fts (rowid, title, body) VALUES (?1, ?2, ?3)")?
        .execute(params![
            rowid,
            search::index_text(&titles),
            search::index_text(&format!("{body} {category_words}"))
        ])?;
    Ok(())
}

#[cfg(test)]
mod tests;
