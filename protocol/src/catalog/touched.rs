//! What a change touched — the profile, the vouches, which listings, or
//! everything — read from the change's own operations (never by diffing the
//! document), so that the cost grows with the change, not the catalog.

use automerge::{Prop, ReadDoc};

use super::{CatalogDoc, Touched};

impl CatalogDoc {
    /// Which parts of the catalog `change` (already applied) touched, read from the
    /// change's own operations: the cost grows with the change, not the catalog.
    pub fn touched_by(&self, change: &automerge::Change) -> Touched {
        let mut touched = Touched::default();
        let decoded = change.decode();
        // The objects this change makes, with where each was made: their place
        // follows from their parent's without asking the document.
        let mut made = Made::new();
        for (i, op) in decoded.operations.iter().enumerate() {
            if matches!(op.action, automerge::legacy::OpType::Make(_)) {
                let id = automerge::legacy::OpId(
                    decoded.start_op.get() + i as u64,
                    decoded.actor_id.clone(),
                );
                made.insert(id.to_string(), (op.obj.to_string(), map_key(&op.key)));
            }
        }
        // A change touches few objects but has many ops: place each object once.
        let mut places = Places::new();
        for op in &decoded.operations {
            let key = map_key(&op.key);
            let obj = op.obj.to_string();
            if obj == "_root" {
                match key.as_deref() {
                    Some("center") => touched.profile = true,
                    Some("vouches") => touched.vouches = true,
                    Some("listings") => touched.everything = true,
                    _ => {}
                }
                continue;
            }
            match self.place_of(&obj, &made, &mut places) {
                None => touched.everything = true,
                Some((top, listing)) if top == "listings" => match (listing, key) {
                    (Some(id), _) => {
                        touched.listings.insert(id);
                    }
                    // The op is on the listings map itself: its key is the listing id.
                    (None, Some(key)) => {
                        touched.listings.insert(key);
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
    fn place_of(&self, obj: &str, made: &Made, places: &mut Places) -> Place {
        // Made objects from `obj` upwards, with their key under their parent.
        let mut chain: Vec<(String, Option<String>)> = Vec::new();
        let mut current = obj.to_owned();
        let mut place = loop {
            if let Some(place) = places.get(&current) {
                break place.clone();
            }
            match made.get(&current) {
                // (The walk is bounded: ids only grow, and never more steps
                // than objects made.)
                Some((parent, key)) if chain.len() <= made.len() => {
                    if parent == "_root" {
                        let place = key.clone().map(|key| (key, None));
                        places.insert(current, place.clone());
                        break place;
                    }
                    chain.push((current, key.clone()));
                    current = parent.clone();
                }
                _ => {
                    let place = self.place_in_document(&current);
                    places.insert(current, place.clone());
                    break place;
                }
            }
        };
        // Down again: a made object's place follows from its parent's.
        while let Some((child, key)) = chain.pop() {
            place = match place {
                Some((top, None)) => Some((top, key)),
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
type Places = std::collections::HashMap<String, Place>;
/// Objects a change makes: their parent and key.
type Made = std::collections::HashMap<String, (String, Option<String>)>;

/// The key of a map op (`None` for a list position).
fn map_key(key: &automerge::legacy::Key) -> Option<String> {
    match key {
        automerge::legacy::Key::Map(key) => Some(key.to_string()),
        automerge::legacy::Key::Seq(_) => None,
    }
}
