//! What a change touched — the profile, the vouches, which listings, or
//! everything — read from the change's own operations (never by diffing the
//! document), so that the cost grows with the change, not the catalog.

use std::collections::HashMap;

use automerge::legacy::{Key, ObjectId, OpId, OpType};
use automerge::{Prop, ReadDoc};

use super::{CatalogDoc, Touched};

/// Where a change's operations go, read from the change alone: each op's
/// object and key, and the objects the change makes with their parent and key.
/// Decoding it is most of the cost of [`CatalogDoc::touched_by`], so a received
/// change is decoded once when it is verified (no lock held), and only placed
/// in the document under the writer lock ([`CatalogDoc::touched_by_ops`]).
/// Bounded by the change: one entry per op, at most
/// [`CHANGE_OPS_MAX`](crate::limits::CHANGE_OPS_MAX).
#[derive(Clone, Debug, Default)]
pub struct ChangeOps {
    /// Each op's object and key, in order; an op on the same object and key
    /// as the one before it is left out.
    ops: Vec<(ObjectId, Key)>,
    /// The objects the change makes: their parent and key.
    made: Made,
}

impl ChangeOps {
    /// Decodes `change`'s operations.
    pub fn of(change: &automerge::Change) -> Self {
        let decoded = change.decode();
        let start = decoded.start_op.get();
        let mut made = Made::new();
        let mut ops: Vec<(ObjectId, Key)> = Vec::with_capacity(decoded.operations.len());
        for (i, op) in decoded.operations.into_iter().enumerate() {
            if matches!(op.action, OpType::Make(_)) {
                let id = OpId(start + i as u64, decoded.actor_id.clone());
                made.insert(ObjectId::Id(id), (op.obj.clone(), op.key.clone()));
            }
            if ops
                .last()
                .is_some_and(|(obj, key)| *obj == op.obj && *key == op.key)
            {
                continue;
            }
            ops.push((op.obj, op.key));
        }
        Self { ops, made }
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
            + self.ops.len() * std::mem::size_of::<(ObjectId, Key)>()
            + self.made.len() * 2 * std::mem::size_of::<(ObjectId, Key)>()
    }
}

impl CatalogDoc {
    /// Which parts of the catalog `change` (already applied) touched, read from the
    /// change's own operations: the cost grows with the change, not the catalog.
    pub fn touched_by(&self, change: &automerge::Change) -> Touched {
        self.touched_by_ops(&ChangeOps::of(change))
    }

    /// [`CatalogDoc::touched_by`] for a change whose operations were decoded
    /// already.
    pub fn touched_by_ops(&self, change: &ChangeOps) -> Touched {
        let mut touched = Touched::default();
        // A change touches few objects but has many ops: place each object once.
        let mut places = Places::new();
        for (obj, key) in &change.ops {
            let key = map_key(key);
            if *obj == ObjectId::Root {
                match key {
                    Some("center") => touched.profile = true,
                    Some("vouches") => touched.vouches = true,
                    Some("listings") => touched.everything = true,
                    _ => {}
                }
                continue;
            }
            match self.place_of(obj, &change.made, &mut places) {
                None => touched.everything = true,
                Some((top, listing)) if top == "listings" => match (listing, key) {
                    (Some(id), _) => {
                        touched.listings.insert(id);
                    }
                    // The op is on the listings map itself: its key is the listing id.
                    (None, Some(key)) => {
                        touched.listings.insert(key.to_owned());
                    }
                    (None, None) => touched.everything = true,
                },
                Some((top, _)) if top == "center" => touched.profile = true,
                Some((top, _)) if top == "vouches" => touched.vouches = true,
                Some(_) => {}
            }
        }
        touched
    }

    /// Where `obj` sits (see [`Place`]): objects `made` by the change being read
    /// are placed from their parent's place, walking up to an object that was
    /// there before (placed by asking the document) or to the root.
    fn place_of<'c>(&self, obj: &'c ObjectId, made: &'c Made, places: &mut Places<'c>) -> Place {
        // Made objects from `obj` upwards, with their key under their parent.
        let mut chain: Vec<(&'c ObjectId, Option<&'c str>)> = Vec::new();
        let mut current = obj;
        let mut place = loop {
            if let Some(place) = places.get(current) {
                break place.clone();
            }
            match made.get(current) {
                // (The walk is bounded: ids only grow, and never more steps
                // than objects made.)
                Some((parent, key)) if chain.len() <= made.len() => {
                    if *parent == ObjectId::Root {
                        let place = map_key(key).map(|key| (key.to_owned(), None));
                        places.insert(current, place.clone());
                        break place;
                    }
                    chain.push((current, map_key(key)));
                    current = parent;
                }
                _ => {
                    let place = self.place_in_document(&current.to_string());
                    places.insert(current, place.clone());
                    break place;
                }
            }
        };
        // Down again: a made object's place follows from its parent's.
        while let Some((child, key)) = chain.pop() {
            place = match place {
                Some((top, None)) => Some((top, key.map(str::to_owned))),
                other => other,
            };
            places.insert(child, place.clone());
        }
        place
    }

    /// Where an object that the document holds sits, from its path.
    fn place_in_document(&self, obj: &str) -> Place {
        let path = self
            .doc
            .import_obj(obj)
            .and_then(|id| self.doc.parents(&id).map(|p| p.path()))
            .ok()?;
        let top = match path.first() {
            Some((_, Prop::Map(top))) => top.clone(),
            _ => return None,
        };
        let listing = match path.get(1) {
            Some((_, Prop::Map(id))) => Some(id.clone()),
            _ => None,
        };
        Some((top, listing))
    }
}

/// Where an object sits: under which top-level key, and which listing
/// (`None`: somewhere a catalog has nothing).
type Place = Option<(String, Option<String>)>;
/// Objects placed so far.
type Places<'c> = HashMap<&'c ObjectId, Place>;
/// Objects a change makes: their parent and key.
type Made = HashMap<ObjectId, (ObjectId, Key)>;

/// The key of a map op (`None` for a list position).
fn map_key(key: &Key) -> Option<&str> {
    match key {
        Key::Map(key) => Some(key.as_str()),
        Key::Seq(_) => None,
    }
}
