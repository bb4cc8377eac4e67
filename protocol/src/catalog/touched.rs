//! What a change touched — the profile, the vouches, which listings, or
//! everything — read from the change's own operations (never by diffing the
//! document), so that the cost grows with the change, not the catalog.

use std::collections::HashMap;

use automerge::legacy::{Key, ObjectId};
use automerge::{Prop, ReadDoc};

use super::{CatalogDoc, FreshListing, Touched};
use crate::change_ops::{ChangeOps, Made};

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
        // The ops of one object come together: its place is looked up once.
        let mut last: Option<(&ObjectId, Place)> = None;
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
            let place = match last.take() {
                Some((last_obj, place)) if last_obj == obj => place,
                _ => self.place_of(obj, &change.made, &mut places),
            };
            let place = &last.insert((obj, place)).1;
            match place {
                None => touched.everything = true,
                Some((top, listing)) if top == "listings" => match (listing, key) {
                    (Some(id), _) => {
                        if !touched.listings.contains(id) {
                            touched.listings.insert(id.clone());
                        }
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
        // The listings the change made: a map made under the listings map.
        if !touched.everything {
            for (obj, (parent, key)) in &change.made {
                let Some(id) = map_key(key).filter(|id| touched.listings.contains(*id)) else {
                    continue;
                };
                if self.place_of(parent, &change.made, &mut places)
                    == Some(("listings".into(), None))
                {
                    touched.fresh.insert(
                        id.to_owned(),
                        FreshListing {
                            objects: change.fresh.clone(),
                            obj: obj.clone(),
                        },
                    );
                }
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

/// The key of a map op (`None` for a list position).
fn map_key(key: &Key) -> Option<&str> {
    match key {
        Key::Map(key) => Some(key.as_str()),
        Key::Seq(_) => None,
    }
}
