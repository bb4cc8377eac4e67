//! What a change writes into the objects it makes, read from the change alone.
//!
//! An object a change makes exists nowhere before that change, so while no
//! later change touches it, its contents are exactly what this change wrote
//! into it — if the change wrote it plainly: each map key once, with no
//! predecessor (no overwrite within the change), list elements each inserted
//! after the one before (the first at the head), and nothing deleted,
//! incremented or marked. Such an object is *clean*; anything else marks it
//! unclean and a reader goes to the document instead. A receiver uses this to
//! index a listing a change creates without reading it back out of the
//! document (`CatalogDoc::fresh_listing`).

use std::collections::HashMap;

use automerge::ScalarValue;
use automerge::legacy::{ElementId, Key, ObjectId, Op, OpId, OpType};

/// The most entries an object is read with from its change (a listing's map
/// has about 16 keys, its photo list at most a few); an object written with
/// more is left to the document. This bounds the memory a change's objects
/// take and keeps checking each key against the ones before it cheap.
pub(crate) const FRESH_ENTRIES_MAX: usize = 64;

/// A value a change wrote into an object it made.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum FreshValue {
    Scalar(ScalarValue),
    /// An object made by the same change.
    Object(ObjectId),
}

/// One object a change made, with what the change wrote into it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FreshObject {
    /// A list (its entries in order, without keys), else a map.
    pub(crate) list: bool,
    /// Map entries by key, or list elements in order (key `None`).
    pub(crate) entries: Vec<(Option<String>, FreshValue)>,
    /// Written plainly (see the module's text).
    pub(crate) clean: bool,
    /// The last element inserted into a list: the next must follow it.
    last: Option<OpId>,
}

/// The objects one change made (bounded by the change: one entry per op).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FreshObjects {
    pub(crate) objects: HashMap<ObjectId, FreshObject>,
    /// Bytes of keys and text values held (for bounding queues).
    pub(crate) bytes: usize,
}

impl FreshObject {
    /// Notes what `op` writes into this clean object; it stays clean only if
    /// the op writes plainly. Returns the bytes it keeps.
    fn write(&mut self, id: &impl Fn() -> OpId, op: &Op) -> usize {
        let mut added = 0;
        let value = match &op.action {
            OpType::Put(value) => Some(FreshValue::Scalar(value.clone())),
            OpType::Make(_) => Some(FreshValue::Object(ObjectId::Id(id()))),
            _ => None,
        };
        let plain = op.pred.is_empty();
        match (value, &op.key, self.list) {
            (Some(value), Key::Map(key), false) if plain && !op.insert => {
                if self
                    .entries
                    .iter()
                    .any(|(k, _)| k.as_deref() == Some(key.as_str()))
                {
                    self.clean = false;
                } else {
                    added = key.len() + text_bytes(&value);
                    self.entries.push((Some(key.to_string()), value));
                }
            }
            (Some(value), Key::Seq(after), true) if plain && op.insert => {
                let follows = match (after, &self.last) {
                    (ElementId::Head, None) => true,
                    (ElementId::Id(after), Some(last)) => after == last,
                    _ => false,
                };
                if follows {
                    added = text_bytes(&value);
                    self.entries.push((None, value));
                    self.last = Some(id());
                } else {
                    self.clean = false;
                }
            }
            _ => self.clean = false,
        }
        added
    }
}

impl FreshObjects {
    /// Notes an op (`id` gives its id): an object it makes, and what it
    /// writes into an object made earlier in the change.
    pub(crate) fn note(&mut self, id: impl Fn() -> OpId, op: &Op) {
        // One lookup per op: this runs for every op of every change verified.
        if let Some(object) = self.objects.get_mut(&op.obj) {
            if object.clean && object.entries.len() >= FRESH_ENTRIES_MAX {
                // Past the bound the object is left to the document, and
                // nothing more of it is kept.
                object.clean = false;
                object.entries = Vec::new();
            } else if object.clean {
                self.bytes += object.write(&id, op);
            }
        }
        if let OpType::Make(kind) = &op.action {
            use automerge::ObjType;
            self.objects.insert(
                ObjectId::Id(id()),
                FreshObject {
                    list: *kind == ObjType::List,
                    entries: Vec::new(),
                    clean: matches!(kind, ObjType::Map | ObjType::List),
                    last: None,
                },
            );
        }
    }

    /// Whether `root` and every object under it are clean (a walk bounded by
    /// the objects held, so a hostile change cannot make it loop or recurse).
    pub(crate) fn clean_under(&self, root: &ObjectId) -> bool {
        let mut todo = vec![root];
        let mut seen = 0usize;
        while let Some(id) = todo.pop() {
            seen += 1;
            let Some(object) = self.objects.get(id) else {
                return false;
            };
            if !object.clean || seen > self.objects.len() {
                return false;
            }
            for (_, value) in &object.entries {
                if let FreshValue::Object(child) = value {
                    todo.push(child);
                }
            }
        }
        true
    }
}

fn text_bytes(value: &FreshValue) -> usize {
    match value {
        FreshValue::Scalar(ScalarValue::Str(text)) => text.len(),
        FreshValue::Scalar(ScalarValue::Bytes(bytes)) => bytes.len(),
        _ => 0,
    }
}
