//! Signed changes exactly as received and document snapshots, and the one
//! transaction that writes everything an edit produces ([`Commit`]).

use rusqlite::{OptionalExtension, params};
use telecenter_protocol::catalog::{Listing, Profile};
use telecenter_protocol::envelope::VerifiedChange;
use telecenter_protocol::{CenterId, ChainId, DocId, EpochId};

use super::listings::upsert_listing;
use super::search_index::Touched;
use super::{PairWrite, Store, StoreError, pair_write};

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
    /// Product codes to record: (kode, own listing id), see [`Store::listing_keys`].
    pub listing_keys: Vec<(String, String)>,
    /// The state kept of a document (see [`Store::document_states`]), for
    /// documents this commit changes.
    pub states: Vec<(DocId, String)>,
}

/// One signed change to store.
#[derive(Clone, Debug)]
pub struct NewChange {
    /// Its document.
    pub doc: DocId,
    /// The writing epoch it was made in (`None`: epoch 0).
    pub epoch: Option<EpochId>,
    /// Its Automerge hash.
    pub hash: [u8; 32],
    /// Its sequence number in its epoch's chain (the actor's seq).
    pub seq: u64,
    /// The envelope exactly as signed.
    pub envelope: Vec<u8>,
}

impl NewChange {
    /// The row of a verified change whose envelope is `envelope`.
    pub fn of(verified: &VerifiedChange, envelope: Vec<u8>) -> Self {
        Self {
            doc: verified.signed.doc,
            epoch: verified.epoch(),
            hash: verified.hash().0,
            seq: verified.change.seq(),
            envelope,
        }
    }
}

/// How an epoch is stored: '' for epoch 0, else its 16 hex digits.
fn epoch_text(epoch: Option<EpochId>) -> String {
    epoch.map(|e| e.to_string()).unwrap_or_default()
}

impl Store {
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

    /// One stored document (its snapshot), if it is held.
    pub fn document(&self, doc: &DocId) -> Result<Option<DocumentRow>, StoreError> {
        let row = self
            .conn
            .prepare_cached("SELECT snapshot, snapshot_upto FROM documents WHERE doc_id = ?1")?
            .query_row(params![doc.to_string()], |row| {
                Ok((row.get::<_, Option<Vec<u8>>>(0)?, row.get::<_, i64>(1)?))
            })
            .optional()?;
        Ok(row.map(|(snapshot, snapshot_upto)| DocumentRow {
            doc_id: *doc,
            snapshot,
            snapshot_upto,
        }))
    }

    /// Every stored document with the state kept of it (`None`: not written
    /// yet), without loading any snapshot.
    pub fn document_states(&self) -> Result<Vec<(DocId, Option<String>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT doc_id, state FROM documents ORDER BY doc_id")?;
        let rows = stmt.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (doc_id, state) = row?;
            let doc_id = doc_id
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("document id: {e}")))?;
            out.push((doc_id, state));
        }
        Ok(out)
    }

    /// The state kept of one stored document (see [`Store::document_states`]).
    pub fn document_state(&self, doc: &DocId) -> Result<Option<String>, StoreError> {
        let state = self
            .conn
            .prepare_cached("SELECT state FROM documents WHERE doc_id = ?1")?
            .query_row(params![doc.to_string()], |row| {
                row.get::<_, Option<String>>(0)
            })
            .optional()?;
        Ok(state.flatten())
    }

    /// Writes the state kept of a stored document (see [`Store::document_states`]).
    pub fn set_document_state(&mut self, doc: &DocId, state: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE documents SET state = ?2 WHERE doc_id = ?1",
            params![doc.to_string(), state],
        )?;
        Ok(())
    }

    /// Whether a change with this Automerge hash is stored.
    pub fn has_change(&self, hash: &[u8; 32]) -> Result<bool, StoreError> {
        let found = self
            .conn
            .prepare_cached("SELECT 1 FROM changes WHERE hash = ?1")?
            .query_row(params![hash.as_slice()], |_| Ok(()))
            .optional()?;
        Ok(found.is_some())
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
        let mut touched = Touched::default();
        let result = self.commit_tx(commit, now_ms, &mut touched);
        self.after_write(&touched);
        result
    }

    fn commit_tx(
        &mut self,
        commit: &Commit,
        now_ms: i64,
        touched: &mut Touched,
    ) -> Result<(), StoreError> {
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
                "INSERT OR IGNORE INTO changes (hash, doc_id, epoch, change_seq, envelope, received_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                change.hash.as_slice(),
                change.doc.to_string(),
                epoch_text(change.epoch),
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
                   fee_bp, fee_min_idr, address, whatsapp)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (center_id) DO UPDATE SET name = excluded.name,
                   region = excluded.region, contact = excluded.contact,
                   updated_at_ms = excluded.updated_at_ms, fee_bp = excluded.fee_bp,
                   fee_min_idr = excluded.fee_min_idr, address = excluded.address,
                   whatsapp = excluded.whatsapp",
                params![
                    profile.center.to_string(),
                    profile.name,
                    profile.region,
                    profile.contact,
                    profile.updated_at_ms,
                    i64::from(profile.fees.referral_bp),
                    profile.fees.min_idr,
                    profile.address,
                    profile.whatsapp
                ],
            )?;
            // The center's name and region are its place words in search; other
            // profile changes (contact, fees, address, WhatsApp) leave them.
            if before.as_ref() != Some(&(profile.name.clone(), profile.region.clone())) {
                touched.centers.push(profile.center);
            }
        }
        for (center, listing) in &commit.listings {
            touched.rowids.push(upsert_listing(&tx, center, listing)?);
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
                tx.execute("DELETE FROM listings WHERE rowid = ?1", params![rowid])?;
                touched.rowids.push(rowid);
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
        for (doc, state) in &commit.states {
            tx.prepare_cached("UPDATE documents SET state = ?2 WHERE doc_id = ?1")?
                .execute(params![doc.to_string(), state])?;
        }
        pair_write::apply(&tx, &commit.pair, now_ms)?;
        super::listing_keys::record(&tx, &commit.listing_keys)?;
        tx.commit()?;
        Ok(())
    }

    /// Envelopes of `chain` (one epoch of a document) with seq > `after_seq`, in
    /// seq order, at most `count_max` of them and about `bytes_max` bytes (at
    /// least one if any); the flag says whether more remain.
    pub fn changes_after_seq(
        &self,
        chain: &ChainId,
        after_seq: u64,
        count_max: usize,
        bytes_max: usize,
    ) -> Result<(Vec<Vec<u8>>, bool), StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT envelope FROM changes WHERE doc_id = ?1 AND epoch = ?2 AND change_seq > ?3
             ORDER BY change_seq LIMIT ?4",
        )?;
        let limit = i64::try_from(count_max.saturating_add(1)).unwrap_or(i64::MAX);
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        let mut rows = stmt.query(params![
            chain.doc.to_string(),
            epoch_text(chain.epoch),
            after,
            limit
        ])?;
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

    /// The epoch this node writes its own catalog in (`None`: epoch 0).
    pub fn writing_epoch(&self) -> Result<Option<EpochId>, StoreError> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT epoch FROM writing_epoch WHERE id = 1", [], |row| {
                row.get(0)
            })
            .optional()?;
        text.map(|text| {
            text.parse()
                .map_err(|e| StoreError::Corrupt(format!("writing epoch: {e}")))
        })
        .transpose()
    }

    /// Records `epoch` as the one this node writes its own catalog in from now
    /// on (one transaction).
    pub fn begin_epoch(&mut self, epoch: EpochId, now_ms: i64) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO writing_epoch (id, epoch, began_at_ms) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, began_at_ms = excluded.began_at_ms",
            params![epoch.to_string(), now_ms],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Forgets a document entirely: its changes, snapshot, listings and profile
    /// (used when its center is blocked or no longer accepted).
    pub fn purge_document(&mut self, doc: &DocId) -> Result<(), StoreError> {
        let mut touched = Touched::default();
        let result = self.purge_tx(doc, &mut touched);
        self.after_write(&touched);
        result
    }

    fn purge_tx(&mut self, doc: &DocId, touched: &mut Touched) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let center = doc.owner.to_string();
        {
            let mut stmt = tx.prepare_cached("SELECT rowid FROM listings WHERE center_id = ?1")?;
            let rowids = stmt.query_map(params![center], |row| row.get::<_, i64>(0))?;
            for rowid in rowids {
                touched.rowids.push(rowid?);
            }
        }
        touched.centers.push(doc.owner);
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
}
