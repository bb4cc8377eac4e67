//! The queue of verified changes waiting for their predecessors, bounded per
//! catalog and in all, in count and in bytes.
//!
//! A change with a seq beyond the next one of its epoch's chain, or whose
//! dependencies on other epochs' changes are missing, is held in memory until
//! the changes before it arrive. What a held change costs is counted as its envelope plus the
//! change chunk twice (the verified envelope and Automerge's decoded change each
//! keep a copy); compressed chunks are refused before decoding, so the decoded
//! change holds no more than its chunk.

use std::collections::{BTreeMap, HashMap};

use telecenter_protocol::envelope::VerifiedChange;
use telecenter_protocol::{CenterId, EpochId};

use super::{Ingested, NodeError};

/// Most changes waiting for their predecessors, per catalog.
pub const PENDING_PER_DOC_MAX: usize = 1_000;
/// Most changes waiting for their predecessors, in all.
pub const PENDING_TOTAL_MAX: usize = 10_000;
/// Most bytes held for changes waiting for their predecessors, per catalog.
pub const PENDING_PER_DOC_BYTES_MAX: usize = 4 * 1024 * 1024;
/// Most bytes held for changes waiting for their predecessors, in all.
pub const PENDING_TOTAL_BYTES_MAX: usize = 32 * 1024 * 1024;

/// The changes held for one catalog: (epoch, seq) → (verified change, envelope).
#[derive(Default)]
struct Queue {
    changes: BTreeMap<(Option<EpochId>, u64), (VerifiedChange, Vec<u8>)>,
    bytes: usize,
}

/// What holding one change costs, in bytes.
fn cost(verified: &VerifiedChange, envelope: &[u8]) -> usize {
    envelope
        .len()
        .saturating_add(verified.signed.change.len())
        .saturating_add(verified.change.raw_bytes().len())
        .saturating_add(verified.ops.held_bytes())
}

/// Every catalog's queue, with the totals over all of them.
#[derive(Default)]
pub(super) struct PendingQueue {
    queues: HashMap<CenterId, Queue>,
    count: usize,
    bytes: usize,
}

impl PendingQueue {
    /// Holds `verified` (seq `seq` of epoch `epoch` of `center`'s catalog) until
    /// its predecessors arrive; refuses with [`NodeError::QueueFull`] a change
    /// over any bound.
    pub(super) fn hold(
        &mut self,
        center: CenterId,
        epoch: Option<EpochId>,
        seq: u64,
        verified: VerifiedChange,
        envelope: &[u8],
    ) -> Result<Ingested, NodeError> {
        let cost = cost(&verified, envelope);
        let queue = self.queues.entry(center).or_default();
        if queue.changes.contains_key(&(epoch, seq)) {
            return Ok(Ingested::Pending);
        }
        let full = queue.changes.len() >= PENDING_PER_DOC_MAX
            || self.count >= PENDING_TOTAL_MAX
            || queue.bytes.saturating_add(cost) > PENDING_PER_DOC_BYTES_MAX
            || self.bytes.saturating_add(cost) > PENDING_TOTAL_BYTES_MAX;
        if full {
            if queue.changes.is_empty() {
                self.queues.remove(&center);
            }
            return Err(NodeError::QueueFull);
        }
        queue
            .changes
            .insert((epoch, seq), (verified, envelope.to_vec()));
        queue.bytes += cost;
        self.count += 1;
        self.bytes += cost;
        Ok(Ingested::Pending)
    }

    /// Takes the held change with `seq` of epoch `epoch` of `center`'s catalog, if any.
    pub(super) fn take(
        &mut self,
        center: &CenterId,
        epoch: Option<EpochId>,
        seq: u64,
    ) -> Option<(VerifiedChange, Vec<u8>)> {
        let queue = self.queues.get_mut(center)?;
        let (verified, envelope) = queue.changes.remove(&(epoch, seq))?;
        let cost = cost(&verified, &envelope);
        queue.bytes = queue.bytes.saturating_sub(cost);
        self.count = self.count.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(cost);
        if queue.changes.is_empty() {
            self.queues.remove(center);
        }
        Some((verified, envelope))
    }

    /// Drops every held change of epoch `epoch` of `center`'s catalog with a
    /// seq up to `held`.
    pub(super) fn drop_upto(&mut self, center: &CenterId, epoch: Option<EpochId>, held: u64) {
        let Some(queue) = self.queues.get_mut(center) else {
            return;
        };
        let stale: Vec<_> = queue
            .changes
            .range((epoch, 0)..=(epoch, held))
            .map(|(key, _)| *key)
            .collect();
        let dropped: Vec<_> = stale
            .iter()
            .filter_map(|key| queue.changes.remove(key))
            .collect();
        for (verified, envelope) in &dropped {
            let cost = cost(verified, envelope);
            queue.bytes = queue.bytes.saturating_sub(cost);
            self.count = self.count.saturating_sub(1);
            self.bytes = self.bytes.saturating_sub(cost);
        }
        if queue.changes.is_empty() {
            self.queues.remove(center);
        }
    }

    /// The epochs of `center`'s catalog that changes are held for.
    pub(super) fn epochs(&self, center: &CenterId) -> Vec<Option<EpochId>> {
        let mut epochs: Vec<_> = self
            .queues
            .get(center)
            .map(|q| q.changes.keys().map(|(epoch, _)| *epoch).collect())
            .unwrap_or_default();
        epochs.dedup();
        epochs
    }

    /// Keeps only the queues of catalogs for which `keep` holds.
    pub(super) fn retain_docs(&mut self, keep: impl Fn(&CenterId) -> bool) {
        self.queues.retain(|center, _| keep(center));
        self.count = self.queues.values().map(|q| q.changes.len()).sum();
        self.bytes = self.queues.values().map(|q| q.bytes).sum();
    }

    /// Changes and bytes held, in all.
    pub(crate) fn held(&self) -> (usize, usize) {
        (self.count, self.bytes)
    }
}
