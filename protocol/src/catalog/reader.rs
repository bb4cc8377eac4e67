//! Typed, checked reads of a catalog document that may come from anyone: every
//! value is type-checked and bounded before it is used.

use std::borrow::Cow;

use automerge::legacy::ObjectId;
use automerge::{Automerge, ObjId, ObjType, ReadDoc, ScalarValue, Value};

use super::*;
use crate::change_ops::fresh::{FreshObjects, FreshValue};

/// Where a [`Reader`] reads maps and lists from: the document, or the
/// objects one change made ([`FreshObjects`]).
pub(super) trait Source {
    /// How an object is named.
    type Obj: Clone + PartialEq;
    /// Every entry of the map `obj`: key, value and (for an object) its name.
    fn map_entries(&self, obj: &Self::Obj) -> Vec<(String, Value<'static>, Self::Obj)>;
    /// The value at `key` of the map `obj`.
    fn map_get(
        &self,
        obj: &Self::Obj,
        key: &str,
    ) -> Result<Option<(Value<'static>, Self::Obj)>, String>;
    /// How many elements the list `obj` has.
    fn list_length(&self, obj: &Self::Obj) -> usize;
    /// The element at `index` of the list `obj`.
    fn list_at(&self, obj: &Self::Obj, index: usize) -> Option<(Value<'static>, Self::Obj)>;
}

impl Source for Automerge {
    type Obj = ObjId;

    fn map_entries(&self, obj: &ObjId) -> Vec<(String, Value<'static>, ObjId)> {
        self.map_range(obj, ..)
            .map(|item| {
                let id = item.id();
                (item.key.into_owned(), item.value.into_value(), id)
            })
            .collect()
    }

    fn map_get(&self, obj: &ObjId, key: &str) -> Result<Option<(Value<'static>, ObjId)>, String> {
        ReadDoc::get(self, obj, key)
            .map(|found| found.map(|(value, id)| (value.into_owned(), id)))
            .map_err(|e| e.to_string())
    }

    fn list_length(&self, obj: &ObjId) -> usize {
        ReadDoc::length(self, obj)
    }

    fn list_at(&self, obj: &ObjId, index: usize) -> Option<(Value<'static>, ObjId)> {
        ReadDoc::get(self, obj, index)
            .ok()
            .flatten()
            .map(|(value, id)| (value.into_owned(), id))
    }
}

impl FreshObjects {
    fn value(&self, value: &FreshValue) -> (Value<'static>, ObjectId) {
        match value {
            FreshValue::Scalar(scalar) => {
                (Value::Scalar(Cow::Owned(scalar.clone())), ObjectId::Root)
            }
            FreshValue::Object(id) => {
                let list = self.objects.get(id).is_some_and(|o| o.list);
                let kind = if list { ObjType::List } else { ObjType::Map };
                (Value::Object(kind), id.clone())
            }
        }
    }
}

impl Source for FreshObjects {
    type Obj = ObjectId;

    fn map_entries(&self, obj: &ObjectId) -> Vec<(String, Value<'static>, ObjectId)> {
        let Some(object) = self.objects.get(obj).filter(|o| !o.list) else {
            return Vec::new();
        };
        object
            .entries
            .iter()
            .filter_map(|(key, value)| {
                let (value, id) = self.value(value);
                Some((key.clone()?, value, id))
            })
            .collect()
    }

    fn map_get(
        &self,
        obj: &ObjectId,
        key: &str,
    ) -> Result<Option<(Value<'static>, ObjectId)>, String> {
        let Some(object) = self.objects.get(obj).filter(|o| !o.list) else {
            return Err("not a map".into());
        };
        Ok(object
            .entries
            .iter()
            .find(|(k, _)| k.as_deref() == Some(key))
            .map(|(_, value)| self.value(value)))
    }

    fn list_length(&self, obj: &ObjectId) -> usize {
        self.objects
            .get(obj)
            .filter(|o| o.list)
            .map_or(0, |o| o.entries.len())
    }

    fn list_at(&self, obj: &ObjectId, index: usize) -> Option<(Value<'static>, ObjectId)> {
        let object = self.objects.get(obj).filter(|o| o.list)?;
        object
            .entries
            .get(index)
            .map(|(_, value)| self.value(value))
    }
}

/// Typed, checked reads of one map in a document that may come from anyone.
///
/// The map's entries are read in one pass when the reader is made: a look-up
/// by key in Automerge's columnar op set costs about as much as reading the
/// whole small map, and a listing is read key by key (about 20 keys).
pub(super) struct Reader<'a, S: Source> {
    pub(super) source: &'a S,
    pub(super) obj: &'a S::Obj,
    pub(super) path: String,
    entries: Vec<(String, Value<'static>, S::Obj)>,
}

impl<'a, S: Source> Reader<'a, S> {
    /// A reader of the map `obj` (at `path`, for messages) of `source`.
    pub(super) fn new(source: &'a S, obj: &'a S::Obj, path: String) -> Self {
        Self {
            entries: source.map_entries(obj),
            source,
            obj,
            path,
        }
    }

    /// The value at `key` of `obj`: from the entries read at the start when
    /// `obj` is this reader's map.
    fn get(&self, obj: &S::Obj, key: &str) -> Result<Option<(Value<'static>, S::Obj)>, String> {
        if obj == self.obj {
            return Ok(self
                .entries
                .iter()
                .find(|(k, _, _)| k == key)
                .map(|(_, value, id)| (value.clone(), id.clone())));
        }
        self.source.map_get(obj, key)
    }

    pub(super) fn bad(&self, key: &str, reason: &str) -> SchemaError {
        SchemaError {
            path: format!("{}/{}", self.path, key),
            reason: reason.to_owned(),
        }
    }

    pub(super) fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _, _)| k == key)
    }

    pub(super) fn scalar(
        &self,
        obj: &S::Obj,
        key: &str,
    ) -> Result<Option<ScalarValue>, SchemaError> {
        match self.get(obj, key) {
            Ok(Some((Value::Scalar(value), _))) => Ok(Some(value.into_owned())),
            Ok(None) => Ok(None),
            Ok(Some(_)) => Err(self.bad(key, "expected a value, found an object")),
            Err(e) => Err(self.bad(key, &e)),
        }
    }

    pub(super) fn string(&self, key: &str) -> Result<String, SchemaError> {
        match self.scalar(self.obj, key)? {
            Some(ScalarValue::Str(s)) => Ok(s.to_string()),
            Some(_) => Err(self.bad(key, "expected text")),
            None => Err(self.bad(key, "missing")),
        }
    }

    pub(super) fn line(&self, key: &str, min: usize, max: usize) -> Result<String, SchemaError> {
        let value = self.string(key)?;
        check_stored_text(&value, min, max, false).map_err(|reason| self.bad(key, &reason))?;
        Ok(value)
    }

    pub(super) fn int(&self, key: &str) -> Result<i64, SchemaError> {
        match self.scalar(self.obj, key)? {
            Some(ScalarValue::Int(i)) => Ok(i),
            Some(ScalarValue::Uint(u)) => i64::try_from(u).map_err(|_| self.bad(key, "too large")),
            Some(_) => Err(self.bad(key, "expected an integer")),
            None => Err(self.bad(key, "missing")),
        }
    }

    pub(super) fn time(&self, key: &str) -> Result<i64, SchemaError> {
        match self.scalar(self.obj, key)? {
            Some(ScalarValue::Timestamp(ms)) | Some(ScalarValue::Int(ms)) => Ok(ms),
            Some(_) => Err(self.bad(key, "expected a timestamp")),
            None => Err(self.bad(key, "missing")),
        }
    }

    pub(super) fn photos(&self) -> Result<Vec<Photo>, SchemaError> {
        let list = match self.get(self.obj, "photos") {
            Ok(None) => return Ok(Vec::new()),
            Ok(Some((Value::Object(ObjType::List), list))) => list,
            _ => return Err(self.bad("photos", "expected a list")),
        };
        let count = self.source.list_length(&list);
        if count > PHOTOS_PER_LISTING_MAX {
            return Err(self.bad(
                "photos",
                &format!("at most {PHOTOS_PER_LISTING_MAX} photos, found {count}"),
            ));
        }
        let mut photos = Vec::with_capacity(count);
        for index in 0..count {
            let map = match self.source.list_at(&list, index) {
                Some((Value::Object(ObjType::Map), map)) => map,
                _ => return Err(self.bad("photos", "expected a map per photo")),
            };
            let hash = |key: &str| match self.scalar(&map, key) {
                Ok(Some(ScalarValue::Str(s))) if is_image_hash(&s) => Ok(s.to_string()),
                _ => Err(self.bad("photos", &format!("{key} is not an image hash"))),
            };
            photos.push(Photo {
                thumb: hash("thumb")?,
                medium: hash("medium")?,
            });
        }
        Ok(photos)
    }

    pub(super) fn localized(
        &self,
        key: &str,
        id_min: usize,
        max: usize,
    ) -> Result<LocalizedText, SchemaError> {
        let obj = match self.get(self.obj, key) {
            Ok(Some((Value::Object(ObjType::Map), obj))) => obj,
            _ => return Err(self.bad(key, "missing or not a map")),
        };
        let texts = Reader::new(self.source, &obj, format!("{}/{key}", self.path));
        let read = |lang: Lang| -> Result<Option<String>, SchemaError> {
            match texts
                .scalar(&obj, lang.code())
                .map_err(|e| self.bad(key, &e.reason))?
            {
                Some(ScalarValue::Str(s)) => {
                    let multi_line = key == "description";
                    check_stored_text(&s, 0, max, multi_line)
                        .map_err(|reason| self.bad(key, &reason))?;
                    Ok(Some(s.to_string()))
                }
                Some(_) => Err(self.bad(key, "expected text")),
                None => Ok(None),
            }
        };
        let id = read(Lang::Id)?.unwrap_or_default();
        if id.chars().count() < id_min {
            return Err(self.bad(key, "the Indonesian text is missing"));
        }
        Ok(LocalizedText {
            id,
            en: read(Lang::En)?,
            jv: read(Lang::Jv)?,
        })
    }
}

/// The limits of [`super::input`] applied to text already in a document.
fn check_stored_text(value: &str, min: usize, max: usize, multi_line: bool) -> Result<(), String> {
    let chars = value.chars().count();
    if chars < min {
        return Err("empty".into());
    }
    if chars > max {
        return Err(format!("at most {max} characters allowed, found {chars}"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !(multi_line && (c == '\n' || c == '\t')))
    {
        return Err("contains a control character".into());
    }
    Ok(())
}
