//! The database schema: its numbered migrations and the runner that brings a
//! file up to date (tracked in `PRAGMA user_version`) or refuses one written by a
//! newer program.
//!
//! The runner is our own (one transaction per migration, about twenty lines):
//! the `rusqlite_migration` crate keeps the same `user_version` bookkeeping, but
//! its newest release (2.6) is built on rusqlite 0.40, and two rusqlite versions
//! cannot link SQLite into one program. Revisit when it follows rusqlite 0.41.

use super::{Store, StoreError};

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
    // Version 6: search moved to an in-memory index built from the listing rows
    // (the FTS5 table goes); the words buyers searched for, counted per month
    // (the center's local month, `YYYY-MM`) with no identity of who searched.
    r#"
    DROP TABLE IF EXISTS listings_fts;
    CREATE TABLE search_demand (
        month TEXT NOT NULL,
        word TEXT NOT NULL,
        searches INTEGER NOT NULL,
        missed INTEGER NOT NULL,
        PRIMARY KEY (month, word)
    ) STRICT, WITHOUT ROWID;
    "#,
    // Version 7: requests buyers send from the product pages (kept only on this
    // node; the status token is stored as its SHA-256), and every sale this center
    // made on a producer's behalf: a completed order where it sold, or a local sale
    // (`ref` is the order id or the request code). `producer` and `commission_bp`
    // are the producer and commission at the time of the sale (filled by version 8).
    r#"
    CREATE TABLE buyer_requests (
        code TEXT PRIMARY KEY,
        token_sha256 TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        seller_center TEXT NOT NULL,
        listing TEXT NOT NULL,
        title TEXT NOT NULL,
        unit TEXT NOT NULL,
        producer TEXT NOT NULL,
        unit_price_idr INTEGER NOT NULL CHECK (unit_price_idr >= 0),
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        buyer_name TEXT NOT NULL,
        buyer_phone TEXT NOT NULL,
        pickup INTEGER NOT NULL CHECK (pickup IN (0, 1)),
        delivery_note TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('new', 'ordered', 'sold', 'declined')),
        order_id TEXT,
        reason TEXT NOT NULL DEFAULT ''
    ) STRICT;
    CREATE INDEX buyer_requests_by_status ON buyer_requests(status, created_ms);
    CREATE INDEX buyer_requests_by_order ON buyer_requests(order_id) WHERE order_id IS NOT NULL;
    CREATE TABLE sales (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('order', 'local')),
        ref TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        listing TEXT NOT NULL,
        title TEXT NOT NULL,
        unit TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        unit_price_idr INTEGER NOT NULL CHECK (unit_price_idr >= 0),
        gross_idr INTEGER NOT NULL CHECK (gross_idr >= 0),
        producer INTEGER,
        commission_bp INTEGER CHECK (commission_bp BETWEEN 0 AND 10000),
        UNIQUE (kind, ref)
    ) STRICT;
    CREATE INDEX sales_by_time ON sales(at_ms);
    CREATE INDEX sales_by_producer ON sales(producer, at_ms);
    "#,
    // Version 8: the producers this center sells for (contact and bank account
    // never leave this node), which listing is whose, and payouts to them.
    r#"
    CREATE TABLE producers (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        village TEXT NOT NULL,
        contact TEXT NOT NULL,
        bank_account TEXT NOT NULL,
        whatsapp TEXT NOT NULL,
        commission_bp INTEGER NOT NULL CHECK (commission_bp BETWEEN 0 AND 10000),
        created_ms INTEGER NOT NULL,
        UNIQUE (name, village)
    ) STRICT;
    CREATE TABLE listing_producers (
        listing TEXT PRIMARY KEY,
        producer INTEGER NOT NULL REFERENCES producers(id)
    ) STRICT;
    CREATE INDEX listing_producers_by_producer ON listing_producers(producer);
    CREATE TABLE producer_payouts (
        id INTEGER PRIMARY KEY,
        producer INTEGER NOT NULL REFERENCES producers(id),
        at_ms INTEGER NOT NULL,
        amount_idr INTEGER NOT NULL CHECK (amount_idr > 0),
        method TEXT NOT NULL CHECK (method IN ('cash', 'transfer')),
        note TEXT NOT NULL
    ) STRICT;
    CREATE INDEX producer_payouts_by_producer ON producer_payouts(producer, at_ms);
    -- A sale takes the producer and commission of its listing at that moment.
    CREATE TRIGGER sales_take_producer AFTER INSERT ON sales WHEN NEW.producer IS NULL BEGIN
        UPDATE sales SET
            producer = (SELECT producer FROM listing_producers WHERE listing = NEW.listing),
            commission_bp = (SELECT p.commission_bp FROM listing_producers lp
                             JOIN producers p ON p.id = lp.producer
                             WHERE lp.listing = NEW.listing)
        WHERE id = NEW.id;
    END;
    "#,
    // Version 9: the operator's own product codes (the key column of a
    // spreadsheet), so importing the same file again updates instead of adding.
    r#"
    CREATE TABLE listing_keys (
        key TEXT PRIMARY KEY,
        listing TEXT NOT NULL UNIQUE
    ) STRICT;
    "#,
    // Version 10: the WhatsApp number a center publishes in its profile (`+62…`).
    // A profile indexed before reads as having none until its next profile
    // change (no catalog written before this version carries one).
    r#"
    ALTER TABLE centers ADD COLUMN whatsapp TEXT;
    "#,
    // Version 11: the village of a listing's producer, as its catalog publishes
    // it ('' for none). A listing indexed before reads as having none until its
    // next change (no catalog written before this version carries one).
    r#"
    ALTER TABLE listings ADD COLUMN producer_village TEXT NOT NULL DEFAULT '';
    "#,
    // Version 12: writing epochs. A catalog may have several writer actors of
    // its owner's key (epoch 0: the key alone, '' here; a later epoch: the key
    // and an 8-byte id, its 16 hex digits here), each numbering its changes
    // from 1, so a change's seq is unique per (document, epoch). SQLite cannot
    // change a table's UNIQUE constraint, so `changes` is rebuilt with every
    // row (and its `seq_no`, the commit order) kept. `writing_epoch` holds the
    // epoch this node writes its own catalog in (no row: epoch 0).
    r#"
    CREATE TABLE changes_v12 (
        seq_no INTEGER PRIMARY KEY AUTOINCREMENT,
        hash BLOB NOT NULL UNIQUE,
        doc_id TEXT NOT NULL REFERENCES documents(doc_id),
        epoch TEXT NOT NULL DEFAULT '',
        change_seq INTEGER NOT NULL,
        envelope BLOB NOT NULL,
        received_at_ms INTEGER NOT NULL,
        UNIQUE (doc_id, epoch, change_seq)
    ) STRICT;
    INSERT INTO changes_v12 (seq_no, hash, doc_id, epoch, change_seq, envelope, received_at_ms)
        SELECT seq_no, hash, doc_id, '', change_seq, envelope, received_at_ms FROM changes;
    DROP TABLE changes;
    ALTER TABLE changes_v12 RENAME TO changes;
    CREATE INDEX changes_by_doc ON changes(doc_id, seq_no);
    CREATE TABLE writing_epoch (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        epoch TEXT NOT NULL CHECK (length(epoch) = 16),
        began_at_ms INTEGER NOT NULL
    ) STRICT;
    "#,
    // Version 13: what a node keeps in memory of each held catalog whose
    // document it does not load (chains held, heads, vouches), as JSON, written
    // with every commit that changes it. NULL: not written yet (a database from
    // before this version); the node computes it from the document once.
    r#"
    ALTER TABLE documents ADD COLUMN state TEXT;
    "#,
];

impl Store {
    /// The schema version of the file (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<usize, StoreError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?;
        usize::try_from(version).map_err(|_| StoreError::Corrupt("negative schema version".into()))
    }

    pub(super) fn check_version(&self) -> Result<usize, StoreError> {
        let found = self.schema_version()?;
        if found > MIGRATIONS.len() {
            return Err(StoreError::TooNew {
                found,
                supported: MIGRATIONS.len(),
            });
        }
        Ok(found)
    }

    pub(super) fn migrate(&mut self) -> Result<(), StoreError> {
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
}
