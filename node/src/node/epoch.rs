//! Writing epochs of this center's own catalog: beginning a new one after the
//! database was restored from a backup, so that the node never writes a seq its
//! peers already hold from before the restore.

use std::collections::BTreeSet;

use telecenter_protocol::EpochId;
use telecenter_protocol::limits::EPOCHS_PER_CATALOG_MAX;

use super::{Node, NodeError, lock};

impl Node {
    /// The writing epoch of this center's own catalog (`None`: epoch 0, the
    /// actor made of the center's key alone).
    pub fn writing_epoch(&self) -> Option<EpochId> {
        lock(&self.writer).own.writing_epoch()
    }

    /// Begins a new writing epoch of this center's own catalog and returns it.
    ///
    /// Call it once after restoring the database from a backup, before any edit.
    /// A backup holds the catalog only up to some seq, and peers may already
    /// hold the changes this center made after the backup was taken: the next
    /// edit with the old actor would reuse one of those seqs, peers would refuse
    /// it as a fork, and this node would refuse its own later changes from them.
    /// A new epoch writes with a new Automerge actor (the center's key followed
    /// by an 8-byte id drawn from the node's random source, never counted up, so
    /// two restores of one backup never pick the same one), whose changes are a
    /// chain of their own. The changes of the earlier epochs that this node
    /// lacks are then taken in from peers like any other center's, and the
    /// catalog converges with everything written before and after the restore.
    ///
    /// The epoch is committed to the database in one transaction before this
    /// returns; every later local edit uses it, across restarts. Refused when
    /// the catalog already has [`EPOCHS_PER_CATALOG_MAX`] epochs (peers would
    /// refuse the changes of one more).
    pub fn begin_epoch(&self) -> Result<EpochId, NodeError> {
        let mut writer = lock(&self.writer);
        // Epoch 0, every epoch held, and the one written in (it may have no
        // change yet).
        let mut epochs = BTreeSet::from([None, writer.own.writing_epoch()]);
        epochs.extend(writer.own.epochs());
        if epochs.len() >= EPOCHS_PER_CATALOG_MAX {
            return Err(NodeError::TooManyEpochs {
                center: self.center_id(),
                max: EPOCHS_PER_CATALOG_MAX,
            });
        }
        let epoch = loop {
            let candidate = EpochId::random(lock(&self.random).as_mut());
            if !epochs.contains(&Some(candidate)) {
                break candidate;
            }
        };
        writer.store.begin_epoch(epoch, self.clock.now_ms())?;
        writer.own.set_writing_epoch(Some(epoch));
        tracing::info!(%epoch, "began a new writing epoch of this center's catalog");
        Ok(epoch)
    }
}
