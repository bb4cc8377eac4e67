//! What a change's operations write, read from the change alone (no
//! document): decoded once, when a received change is verified.

use std::collections::HashMap;
use std::sync::Arc;

use automerge::legacy::{Key, ObjectId, OpId, OpType};

pub mod fresh;

use fresh::FreshObjects;

/// Objects a change makes: their parent and key.
pub(crate) type Made = HashMap<ObjectId, (ObjectId, Key)>;

/// Where a change's operations go, read from the change alone: each op's
/// object and key, and the objects the change makes with their parent and key.
/// Decoding it is most of the cost of working out what a change touched in a
/// catalog, so a received change is decoded once when it is verified (no lock
/// held), and the writer only places it in the document (`touched_by_ops` of
/// the catalog). Bounded by the change: one entry per op, at most
/// [`CHANGE_OPS_MAX`](crate::limits::CHANGE_OPS_MAX).
#[derive(Clone, Debug, Default)]
pub struct ChangeOps {
    /// Each op's object and key, in order; an op on the same object and key
    /// as the one before it is left out.
    pub(crate) ops: Vec<(ObjectId, Key)>,
    /// The objects the change makes: their parent and key.
    pub(crate) made: Made,
    /// What the change writes into the objects it makes (shared: a change is
    /// cloned into the queues that hold it).
    pub(crate) fresh: Arc<FreshObjects>,
}

impl ChangeOps {
    /// Decodes `change`'s operations.
    pub fn of(change: &automerge::Change) -> Self {
        let decoded = change.decode();
        let start = decoded.start_op.get();
        // Op ids that would pass u64::MAX saturate and may repeat: the objects
        // such a change makes are never read from the change itself.
        let ids_unique = start.checked_add(decoded.operations.len() as u64).is_some();
        let mut made = Made::new();
        let mut fresh = FreshObjects::default();
        let mut ops: Vec<(ObjectId, Key)> = Vec::with_capacity(decoded.operations.len());
        for (i, op) in decoded.operations.into_iter().enumerate() {
            let id = || OpId(start.saturating_add(i as u64), decoded.actor_id.clone());
            if ids_unique {
                fresh.note(id, &op);
            }
            if matches!(op.action, OpType::Make(_)) {
                made.insert(ObjectId::Id(id()), (op.obj.clone(), op.key.clone()));
            }
            if ops
                .last()
                .is_some_and(|(obj, key)| *obj == op.obj && *key == op.key)
            {
                continue;
            }
            ops.push((op.obj, op.key));
        }
        Self {
            ops,
            made,
            fresh: Arc::new(fresh),
        }
    }

    /// About how many bytes this holds (for bounding queues that keep it).
    pub fn held_bytes(&self) -> usize {
        let key = |key: &Key| match key {
            Key::Map(text) if text.is_heap_allocated() => text.len(),
            _ => 0,
        };
        let ops: usize = self.ops.iter().map(|(_, k)| key(k)).sum();
        let made: usize = self.made.values().map(|(_, k)| key(k)).sum();
        ops + made
            + self.fresh.bytes
            + self.fresh.objects.len() * std::mem::size_of::<(ObjectId, fresh::FreshObject)>()
            + self.ops.len() * 2 * std::mem::size_of::<(Option<String>, fresh::FreshValue)>()
            + self.ops.len() * std::mem::size_of::<(ObjectId, Key)>()
            + self.made.len() * 2 * std::mem::size_of::<(ObjectId, Key)>()
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU64;

    use automerge::transaction::Transactable;
    use automerge::{ExpandedChange, ObjType, ROOT};

    use super::*;

    /// A change whose ops would be numbered past `u64::MAX` (its start op is
    /// the signer's to choose) gives ids that stop at the top, not ones that
    /// wrap around to 0 or a panic.
    #[test]
    fn a_start_op_near_u64_max_saturates_op_ids() {
        let mut doc = automerge::AutoCommit::new();
        doc.put(ROOT, "a", 1).unwrap();
        doc.put(ROOT, "b", 2).unwrap();
        let listing = doc.put_object(ROOT, "listing", ObjType::Map).unwrap();
        doc.put(&listing, "price", 3).unwrap();
        let change = doc.get_changes(&[]).pop().unwrap().clone();
        let mut expanded = ExpandedChange::from(&change);
        expanded.start_op = NonZeroU64::new(u64::MAX - 1).unwrap();
        let hostile = automerge::Change::from(expanded);
        let ops = ChangeOps::of(&hostile);
        let made: Vec<&ObjectId> = ops.made.keys().collect();
        assert_eq!(made.len(), 1, "{made:?}");
        let ObjectId::Id(OpId(counter, _)) = made[0] else {
            panic!("{made:?}");
        };
        assert_eq!(*counter, u64::MAX);
        assert_eq!(ops.ops.len(), 4);
    }

    /// Finding (session 8 reread): each key written into an object a change
    /// makes was checked against every key before it and kept, so a change
    /// writing thousands of keys into one made map cost time quadratic in its
    /// ops and memory for all of them. Past `FRESH_ENTRIES_MAX` entries the
    /// object is left to the document and nothing more of it is kept.
    #[test]
    fn a_made_map_written_with_thousands_of_keys_is_kept_bounded_and_left_to_the_document() {
        let mut doc = automerge::AutoCommit::new();
        let listing = doc.put_object(ROOT, "listing", ObjType::Map).unwrap();
        for n in 0..3_000 {
            doc.put(&listing, format!("key number {n}"), n).unwrap();
        }
        let small = doc.put_object(ROOT, "small", ObjType::Map).unwrap();
        doc.put(&small, "a", 1).unwrap();
        let change = doc.get_changes(&[]).pop().unwrap().clone();
        let ops = ChangeOps::of(&change);
        let objects = &ops.fresh.objects;
        let (big, small): (Vec<_>, Vec<_>) = objects.values().partition(|o| !o.clean);
        assert_eq!(big.len(), 1, "{}", objects.len());
        assert!(big[0].entries.is_empty());
        assert_eq!(small.len(), 1);
        assert_eq!(small[0].entries.len(), 1);
        assert!(ops.fresh.bytes < 64 * 64, "{}", ops.fresh.bytes);
        let big_id = objects.iter().find(|(_, o)| !o.clean).map(|(id, _)| id);
        assert!(!ops.fresh.clean_under(big_id.unwrap()));
    }
}
