//! The edit path: validate the input, make and sign one change of this center's
//! catalog, commit it with the index rows it touched in one transaction.

use rand::RngCore;
use telecenter_protocol::catalog::input::{ListingPatch, NewListing, ProfileInput};
use telecenter_protocol::catalog::{CatalogDoc, Photo};
use telecenter_protocol::{Identity, ListingId, Profile, SignedChange};

use crate::store::{ListingRow, NewChange, PairWrite};

use super::held::reload;
use super::{Node, NodeError, SNAPSHOT_EVERY_CHANGES, Writer, index_commit, lock};

/// Makes one signed change of this center's catalog: (doc, identity, rng, now).
type MakeChange<'a> = Box<
    dyn FnOnce(&mut CatalogDoc, &Identity, &mut dyn RngCore, i64) -> Result<SignedChange, NodeError>
        + 'a,
>;

impl Node {
    /// Runs one local edit and commits it with the rows it touched.
    pub(super) fn edit(&self, make: MakeChange<'_>) -> Result<SignedChange, NodeError> {
        let mut guard = lock(&self.writer);
        self.commit_edit(&mut guard, make, PairWrite::default())
    }

    /// Makes one signed change of this center's catalog and commits it, with the
    /// rows it touched and `pair`, in one transaction (the caller holds the writer);
    /// then tells the sync engine. Order writes without a catalog change do not.
    pub(super) fn commit_edit(
        &self,
        writer: &mut Writer,
        make: MakeChange<'_>,
        pair: PairWrite,
    ) -> Result<SignedChange, NodeError> {
        let now = self.clock.now_ms();
        let signed = make(
            &mut writer.own,
            &self.identity,
            lock(&self.random).as_mut(),
            now,
        )?;
        let doc_id = writer.own.doc_id();
        let result = (|| {
            let verified = signed.clone().verify(&doc_id)?;
            let touched = writer.own.touched_by(&verified.change);
            let mut commit = index_commit(&writer.own, &touched)?;
            commit
                .changes
                .push(NewChange::of(&verified, signed.to_bytes()));
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
                let writing = writer.own.writing_epoch();
                writer.own = reloaded;
                writer.own.set_writing_epoch(writing);
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
}
