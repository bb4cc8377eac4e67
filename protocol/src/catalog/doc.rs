//! [`CatalogDoc`]: one center's catalog as an Automerge document: create, edit,
//! sign, apply received changes, and read the profile and listings back.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    Automerge, AutomergeError, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value,
};
use rand::RngCore;

use super::input::{self, ValidNewListing, ValidPatch, ValidProfile};
use super::reader::{Reader, Source};
use super::*;
use std::collections::BTreeMap;

use crate::envelope::{SignedChange, VerifiedChange, actor_for};
use crate::epoch::{EpochId, actor_for_epoch, epoch_of_actor};
use crate::id::{CenterId, DocId, ListingId};
use crate::identity::Identity;
use crate::phone::normalize_phone;

/// One center's catalog document.
pub struct CatalogDoc {
    owner: CenterId,
    pub(super) doc: Automerge,
    /// Per writing epoch of the owner's key (`None`: epoch 0): the highest seq
    /// held and the hash of that change (see [`CatalogDoc::seq_of`]).
    chains: BTreeMap<Option<EpochId>, (u64, ChangeHash)>,
    /// The epoch local edits are written in (see [`CatalogDoc::set_writing_epoch`]).
    writing: Option<EpochId>,
}

/// Milliseconds since the epoch as an Automerge timestamp value.
fn timestamp(ms: i64) -> ScalarValue {
    ScalarValue::Timestamp(ms)
}

impl CatalogDoc {
    /// An empty catalog of `owner`, ready to receive that center's changes.
    pub fn empty(owner: CenterId) -> Self {
        Self {
            owner,
            // The owner's key is the only author of a catalog (see `seq_of`).
            doc: Automerge::new().with_actor(actor_for(&owner)),
            chains: BTreeMap::new(),
            writing: None,
        }
    }

    /// Creates a new catalog with its profile; returns the signed genesis change.
    pub fn create(
        identity: &Identity,
        profile: &ValidProfile,
        now_ms: i64,
    ) -> Result<(Self, SignedChange), CatalogError> {
        let owner = identity.center_id();
        let mut catalog = Self::empty(owner);
        let signed = catalog.write(identity, now_ms, |tx| {
            tx.put(ROOT, "schema", ScalarValue::Uint(CATALOG_SCHEMA))?;
            let center = tx.put_object(ROOT, "center", ObjType::Map)?;
            tx.put(&center, "id", owner.to_string())?;
            tx.put(&center, "name", profile.name.clone().unwrap_or_default())?;
            tx.put(
                &center,
                "region",
                profile.region.clone().unwrap_or_default(),
            )?;
            tx.put(
                &center,
                "contact",
                profile.contact.clone().unwrap_or_default(),
            )?;
            // Only when given, so that a genesis without one stays as it was.
            if let Some(whatsapp) = profile.whatsapp.as_deref().filter(|w| !w.is_empty()) {
                tx.put(&center, "whatsapp", whatsapp)?;
            }
            tx.put(&center, "updated_at", timestamp(now_ms))?;
            tx.put_object(ROOT, "listings", ObjType::Map)?;
            tx.put_object(ROOT, "vouches", ObjType::Map)?;
            Ok(())
        })?;
        Ok((catalog, signed))
    }

    /// Loads a catalog saved with [`CatalogDoc::save`].
    pub fn load(owner: CenterId, bytes: &[u8]) -> Result<Self, CatalogError> {
        let doc = Automerge::load(bytes)?.with_actor(actor_for(&owner));
        // The last change of an epoch's chain need not be a head (a later
        // epoch builds on it), so every change's metadata is read once. A saved
        // catalog holds only verified changes, so every actor is the owner's;
        // any other is not counted as one of its chains.
        let mut chains = BTreeMap::new();
        for meta in doc.get_changes_meta(&[]) {
            let Some(epoch) = epoch_of_actor(&owner, &meta.actor) else {
                continue;
            };
            let entry = chains.entry(epoch).or_insert((0, meta.hash));
            if meta.seq >= entry.0 {
                *entry = (meta.seq, meta.hash);
            }
        }
        Ok(Self {
            owner,
            doc,
            chains,
            writing: None,
        })
    }

    /// The compact snapshot of the whole document.
    pub fn save(&self) -> Vec<u8> {
        self.doc.save()
    }

    /// The center whose catalog this is.
    pub fn owner(&self) -> CenterId {
        self.owner
    }

    /// The document id.
    pub fn doc_id(&self) -> DocId {
        DocId::catalog(self.owner)
    }

    /// The current heads (hashes of the changes nothing else depends on yet).
    pub fn heads(&self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Whether the document already holds the change with this hash.
    pub fn has_change(&self, hash: &ChangeHash) -> bool {
        // A look-up in the change graph; `get_change_by_hash` would rebuild the change.
        self.doc.get_missing_deps(&[*hash]).is_empty()
    }

    /// The dependencies of `change` this document does not hold yet.
    pub fn missing_deps(&self, change: &VerifiedChange) -> Vec<ChangeHash> {
        self.doc.get_missing_deps(change.change.deps())
    }

    /// Applies a verified change of this catalog and reports what it touched.
    ///
    /// The caller must have verified the change for [`CatalogDoc::doc_id`] and
    /// checked that its dependencies are present.
    pub fn apply(&mut self, change: &VerifiedChange) -> Result<Touched, CatalogError> {
        if change.signed.doc != self.doc_id() {
            return Err(CatalogError::NotOwner(change.signed.signer));
        }
        if self.has_change(&change.hash()) {
            return Ok(Touched::default());
        }
        // Automerge would queue a change with missing dependencies silently; a
        // catalog only ever takes complete history.
        let missing = self.missing_deps(change).len();
        if missing > 0 {
            return Err(CatalogError::MissingDependencies(missing));
        }
        let epoch = epoch_of_actor(&self.owner, change.change.actor_id())
            .ok_or(CatalogError::NotOwner(change.signed.signer))?;
        self.doc.apply_changes([change.change.clone()])?;
        self.note(epoch, change.change.seq(), change.hash());
        Ok(self.touched_by_ops(&change.ops))
    }

    /// Applies a run of verified changes of one writing epoch of this catalog
    /// with consecutive seqs, each building only on changes held or earlier in
    /// the run, in one Automerge batch (several times faster than one by one
    /// for a catch-up). `Ok(None)` if the run is not such a run: nothing was
    /// applied, and the caller applies the changes one by one.
    pub fn apply_run(
        &mut self,
        changes: &[&VerifiedChange],
    ) -> Result<Option<Vec<Touched>>, CatalogError> {
        let Some(first) = changes.first() else {
            return Ok(Some(Vec::new()));
        };
        let Some(epoch) = epoch_of_actor(&self.owner, first.change.actor_id()) else {
            return Ok(None);
        };
        let held = self.seq_of(epoch);
        let mut in_run = std::collections::HashSet::new();
        for (i, change) in changes.iter().enumerate() {
            let follows = change.signed.doc == self.doc_id()
                && epoch_of_actor(&self.owner, change.change.actor_id()) == Some(epoch)
                && change.change.seq() == held + 1 + i as u64
                && !self.has_change(&change.hash());
            if !follows {
                return Ok(None);
            }
            let outside: Vec<ChangeHash> = change
                .change
                .deps()
                .iter()
                .filter(|dep| !in_run.contains(*dep))
                .copied()
                .collect();
            if !self.doc.get_missing_deps(&outside).is_empty() {
                return Ok(None);
            }
            in_run.insert(change.hash());
        }
        self.doc
            .apply_changes(changes.iter().map(|c| c.change.clone()))?;
        Ok(Some(
            changes
                .iter()
                .map(|change| {
                    self.note(epoch, change.change.seq(), change.hash());
                    self.touched_by_ops(&change.ops)
                })
                .collect(),
        ))
    }

    /// Runs one local edit as one Automerge change and signs it.
    fn write(
        &mut self,
        identity: &Identity,
        now_ms: i64,
        edit: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<(), AutomergeError>,
    ) -> Result<SignedChange, CatalogError> {
        if identity.center_id() != self.owner {
            return Err(CatalogError::NotOwner(identity.center_id()));
        }
        self.doc
            .set_actor(actor_for_epoch(&self.owner, self.writing));
        let result = self
            .doc
            .transact_with(|_| CommitOptions::default().with_time(now_ms), edit)
            .map_err(|failure| failure.error)?;
        let hash = result.hash.ok_or(CatalogError::NoChange)?;
        let change = self
            .doc
            .get_change_by_hash(&hash)
            .ok_or(CatalogError::NoChange)?;
        self.note(self.writing, change.seq(), hash);
        Ok(SignedChange::sign(
            identity,
            self.doc_id(),
            change.raw_bytes().to_vec(),
        ))
    }

    fn listings_obj(&self) -> Result<ObjId, SchemaError> {
        match self.doc.get(ROOT, "listings") {
            Ok(Some((Value::Object(ObjType::Map), id))) => Ok(id),
            _ => Err(SchemaError {
                path: "listings".into(),
                reason: "missing or not a map".into(),
            }),
        }
    }

    fn center_obj(&self) -> Result<ObjId, SchemaError> {
        match self.doc.get(ROOT, "center") {
            Ok(Some((Value::Object(ObjType::Map), id))) => Ok(id),
            _ => Err(SchemaError {
                path: "center".into(),
                reason: "missing or not a map".into(),
            }),
        }
    }

    fn listing_obj(&self, id: &ListingId) -> Result<Option<ObjId>, SchemaError> {
        let listings = self.listings_obj()?;
        match self.doc.get(&listings, id.as_str()) {
            Ok(Some((Value::Object(ObjType::Map), obj))) => Ok(Some(obj)),
            Ok(None) => Ok(None),
            _ => Err(SchemaError {
                path: format!("listings/{id}"),
                reason: "not a map".into(),
            }),
        }
    }

    /// Adds a listing with a fresh random id; returns the id and the signed change.
    pub fn add_listing(
        &mut self,
        identity: &Identity,
        rng: &mut dyn RngCore,
        listing: &ValidNewListing,
        now_ms: i64,
    ) -> Result<(ListingId, SignedChange), CatalogError> {
        let listings = self.listings_obj()?;
        if self.doc.length(&listings) >= LISTINGS_PER_CATALOG_MAX {
            return Err(CatalogError::Full);
        }
        let id = loop {
            let candidate = ListingId::random(rng);
            if self.listing_obj(&candidate)?.is_none() {
                break candidate;
            }
        };
        let signed = self.write(identity, now_ms, |tx| {
            let obj = tx.put_object(&listings, id.as_str(), ObjType::Map)?;
            let title = tx.put_object(&obj, "title", ObjType::Map)?;
            tx.put(&title, "id", listing.title.as_str())?;
            let description = tx.put_object(&obj, "description", ObjType::Map)?;
            tx.put(&description, "id", listing.description.as_str())?;
            tx.put(&obj, "category", listing.category.slug())?;
            tx.put(&obj, "price_idr", ScalarValue::Int(listing.price_idr))?;
            tx.put(&obj, "unit", listing.unit.as_str())?;
            tx.put(&obj, "stock", ScalarValue::Int(listing.stock))?;
            tx.put(&obj, "producer", listing.producer.as_str())?;
            // Only when given, so that a listing without one stays as it was.
            if !listing.producer_village.is_empty() {
                tx.put(&obj, "producer_village", listing.producer_village.as_str())?;
            }
            tx.put(&obj, "status", "active")?;
            if !listing.photos.is_empty() {
                write_photos(tx, &obj, &listing.photos)?;
            }
            tx.put(&obj, "created_at", timestamp(now_ms))?;
            tx.put(&obj, "updated_at", timestamp(now_ms))?;
            Ok(())
        })?;
        Ok((id, signed))
    }

    /// Applies a checked patch to a listing; a `removed` status removes it.
    pub fn update_listing(
        &mut self,
        identity: &Identity,
        id: &ListingId,
        patch: &ValidPatch,
        now_ms: i64,
    ) -> Result<SignedChange, CatalogError> {
        let current = self
            .listing(id)?
            .ok_or_else(|| CatalogError::NoSuchListing(id.clone()))?;
        if current.status == ListingStatus::Removed {
            return Err(CatalogError::Removed(id.clone()));
        }
        if patch.is_empty() {
            return Err(CatalogError::NoChange);
        }
        let obj = self
            .listing_obj(id)?
            .ok_or_else(|| CatalogError::NoSuchListing(id.clone()))?;
        let title_obj = self.text_obj(&obj, "title")?;
        let description_obj = self.text_obj(&obj, "description")?;
        let lang = patch.lang.code();
        self.write(identity, now_ms, |tx| {
            for (text_obj, value) in [
                (&title_obj, &patch.title),
                (&description_obj, &patch.description),
            ] {
                match value.as_deref() {
                    Some("") if patch.lang != Lang::Id => tx.delete(text_obj, lang)?,
                    Some(text) => tx.put(text_obj, lang, text)?,
                    None => {}
                }
            }
            if let Some(category) = patch.category {
                tx.put(&obj, "category", category.slug())?;
            }
            if let Some(price) = patch.price_idr {
                tx.put(&obj, "price_idr", ScalarValue::Int(price))?;
            }
            if let Some(stock) = patch.stock {
                tx.put(&obj, "stock", ScalarValue::Int(stock))?;
            }
            if let Some(unit) = &patch.unit {
                tx.put(&obj, "unit", unit.as_str())?;
            }
            if let Some(producer) = &patch.producer {
                tx.put(&obj, "producer", producer.as_str())?;
            }
            if let Some(village) = &patch.producer_village {
                tx.put(&obj, "producer_village", village.as_str())?;
            }
            if let Some(photos) = &patch.photos {
                write_photos(tx, &obj, photos)?;
            }
            match patch.status {
                Some(ListingStatus::Removed) => tx.put(&obj, "removed_at", timestamp(now_ms))?,
                Some(status) => tx.put(&obj, "status", status.word())?,
                None => {}
            }
            tx.put(&obj, "updated_at", timestamp(now_ms))?;
            Ok(())
        })
    }

    /// Removes a listing for good: writes its tombstone.
    pub fn remove_listing(
        &mut self,
        identity: &Identity,
        id: &ListingId,
        now_ms: i64,
    ) -> Result<SignedChange, CatalogError> {
        let patch = ValidPatch {
            status: Some(ListingStatus::Removed),
            ..ValidPatch::default()
        };
        self.update_listing(identity, id, &patch, now_ms)
    }

    /// Changes the center's profile.
    pub fn set_profile(
        &mut self,
        identity: &Identity,
        profile: &ValidProfile,
        now_ms: i64,
    ) -> Result<SignedChange, CatalogError> {
        if profile.is_empty() {
            return Err(CatalogError::NoChange);
        }
        let center = self.center_obj()?;
        self.write(identity, now_ms, |tx| {
            for (key, value) in [
                ("name", &profile.name),
                ("region", &profile.region),
                ("contact", &profile.contact),
            ] {
                if let Some(value) = value {
                    tx.put(&center, key, value.as_str())?;
                }
            }
            if let Some(bp) = profile.referral_fee_bp {
                tx.put(&center, "referral_bp", ScalarValue::Int(i64::from(bp)))?;
            }
            if let Some(min) = profile.referral_fee_min_idr {
                tx.put(&center, "fee_min_idr", ScalarValue::Int(min))?;
            }
            if let Some(address) = &profile.address {
                tx.put(&center, "address", address.as_str())?;
            }
            if let Some(whatsapp) = &profile.whatsapp {
                tx.put(&center, "whatsapp", whatsapp.as_str())?;
            }
            tx.put(&center, "updated_at", timestamp(now_ms))?;
            Ok(())
        })
    }

    /// Publishes (`active`) or withdraws this center's vouch for `center`: a signed
    /// statement that other nodes may accept `center`'s catalog on this center's word.
    pub fn set_vouch(
        &mut self,
        identity: &Identity,
        center: &CenterId,
        active: bool,
        now_ms: i64,
    ) -> Result<SignedChange, CatalogError> {
        let vouches = match self.doc.get(ROOT, "vouches") {
            Ok(Some((Value::Object(ObjType::Map), id))) => Some(id),
            _ => None,
        };
        let existing = match &vouches {
            Some(map) => match self.doc.get(map, center.to_string()) {
                Ok(Some((Value::Object(ObjType::Map), id))) => Some(id),
                _ => None,
            },
            None => None,
        };
        if existing.is_none() && !active {
            return Err(CatalogError::NoChange);
        }
        if existing.is_some() && self.vouches().contains(center) == active {
            return Err(CatalogError::NoChange);
        }
        let key = center.to_string();
        self.write(identity, now_ms, |tx| {
            let map = match vouches {
                Some(map) => map,
                None => tx.put_object(ROOT, "vouches", ObjType::Map)?,
            };
            let entry = match existing {
                Some(entry) => entry,
                None => tx.put_object(&map, key.as_str(), ObjType::Map)?,
            };
            tx.put(&entry, "active", active)?;
            tx.put(&entry, "at", timestamp(now_ms))?;
            Ok(())
        })
    }

    /// The centers this catalog's owner vouches for (malformed entries are skipped).
    pub fn vouches(&self) -> Vec<CenterId> {
        let Ok(Some((Value::Object(ObjType::Map), map))) = self.doc.get(ROOT, "vouches") else {
            return Vec::new();
        };
        self.doc
            .keys(&map)
            .filter_map(|key| {
                let center = key.parse::<CenterId>().ok()?;
                let Ok(Some((Value::Object(ObjType::Map), entry))) =
                    self.doc.get(&map, key.as_str())
                else {
                    return None;
                };
                match self.doc.get(&entry, "active") {
                    Ok(Some((Value::Scalar(v), _)))
                        if matches!(v.as_ref(), ScalarValue::Boolean(true)) =>
                    {
                        Some(center)
                    }
                    _ => None,
                }
            })
            .collect()
    }

    /// How many of the owner's changes are held (0 if none): the sum of
    /// [`CatalogDoc::seq_of`] over every epoch. A catalog with one writing epoch
    /// (every catalog never restored from a backup) is one chain, so this is the
    /// seq of its latest change.
    pub fn seq(&self) -> u64 {
        self.chains.values().map(|(seq, _)| *seq).sum()
    }

    /// The highest seq held of writing epoch `epoch` (0 if none). Each epoch's
    /// actor writes a linear chain, so this number says exactly which of its
    /// changes are held.
    pub fn seq_of(&self, epoch: Option<EpochId>) -> u64 {
        self.chains.get(&epoch).map_or(0, |(seq, _)| *seq)
    }

    /// The hash of the latest change held of writing epoch `epoch`.
    pub fn last_of(&self, epoch: Option<EpochId>) -> Option<ChangeHash> {
        self.chains.get(&epoch).map(|(_, hash)| *hash)
    }

    /// The writing epochs of which changes are held, epoch 0 first.
    pub fn epochs(&self) -> impl Iterator<Item = Option<EpochId>> + '_ {
        self.chains.keys().copied()
    }

    /// The epoch local edits are written in.
    pub fn writing_epoch(&self) -> Option<EpochId> {
        self.writing
    }

    /// Makes every later local edit use writing epoch `epoch`'s actor (the
    /// owner's key followed by the epoch id; `None`: the key alone).
    pub fn set_writing_epoch(&mut self, epoch: Option<EpochId>) {
        self.writing = epoch;
    }

    fn note(&mut self, epoch: Option<EpochId>, seq: u64, hash: ChangeHash) {
        let entry = self.chains.entry(epoch).or_insert((0, hash));
        if seq >= entry.0 {
            *entry = (seq, hash);
        }
    }

    fn text_obj(&self, listing: &ObjId, key: &str) -> Result<ObjId, SchemaError> {
        match self.doc.get(listing, key) {
            Ok(Some((Value::Object(ObjType::Map), obj))) => Ok(obj),
            _ => Err(SchemaError {
                path: key.into(),
                reason: "missing or not a map".into(),
            }),
        }
    }

    /// The profile, checked against the schema and its limits.
    pub fn profile(&self) -> Result<Profile, SchemaError> {
        let center = self.center_obj()?;
        let reader = Reader::new(&self.doc, &center, "center".into());
        let id: CenterId = reader
            .string("id")?
            .parse()
            .map_err(|_| reader.bad("id", "not a center id"))?;
        if id != self.owner {
            return Err(reader.bad("id", "names another center than the catalog's owner"));
        }
        Ok(Profile {
            center: id,
            name: reader.line("name", 1, CENTER_NAME_CHARS_MAX)?,
            region: reader.line("region", 1, REGION_CHARS_MAX)?,
            contact: reader.line("contact", 0, CONTACT_CHARS_MAX)?,
            updated_at_ms: reader.time("updated_at")?,
            fees: {
                let optional = |key: &str| -> Result<i64, SchemaError> {
                    if reader.has(key) {
                        reader.int(key)
                    } else {
                        Ok(0)
                    }
                };
                let fees = FeeTerms {
                    referral_bp: u32::try_from(optional("referral_bp")?)
                        .map_err(|_| reader.bad("referral_bp", "out of range"))?,
                    min_idr: optional("fee_min_idr")?,
                };
                fees.validate()
                    .map_err(|e| reader.bad("referral_bp", &e.message))?;
                fees
            },
            // A published address that breaks the address rules is ignored (as if
            // absent): the rest of the profile stays usable, and a node never
            // contacts an address the rules refuse.
            address: if reader.has("address") {
                reader
                    .line("address", 0, ADDRESS_CHARS_MAX)
                    .ok()
                    .and_then(|text| input::address(&text).ok())
                    .filter(|valid| !valid.is_empty())
            } else {
                None
            },
            // Likewise a WhatsApp number that is not a valid Indonesian number
            // reads as absent (nodes before it was added ignore the key).
            whatsapp: if reader.has("whatsapp") {
                reader
                    .line("whatsapp", 0, PHONE_CHARS_MAX)
                    .ok()
                    .filter(|text| !text.is_empty())
                    .and_then(|text| normalize_phone("whatsapp", &text).ok())
            } else {
                None
            },
        })
    }

    /// The ids of every listing in the document, as found (they may be malformed in
    /// a peer's catalog; [`CatalogDoc::listing`] checks each).
    pub fn listing_keys(&self) -> Result<Vec<String>, SchemaError> {
        let listings = self.listings_obj()?;
        Ok(self.doc.keys(&listings).collect())
    }

    /// Reads one listing, checked against the schema and every limit;
    /// `Ok(None)` if there is no such listing.
    pub fn listing(&self, id: &ListingId) -> Result<Option<Listing>, SchemaError> {
        let Some(obj) = self.listing_obj(id)? else {
            return Ok(None);
        };
        read_listing(&self.doc, &obj, id).map(Some)
    }

    /// The listing `fresh` (made by a change applied here, see
    /// [`Touched::fresh`]) read from that change's own operations, with the
    /// same checks and the same answer as [`CatalogDoc::listing`] — without
    /// reading it back out of the document. `None` unless the document's one
    /// value under `id` is that very map and the change wrote it plainly (see
    /// [`crate::change_ops::fresh`]); then the caller reads the document. The
    /// caller must not use it once a later change touched the listing.
    pub fn fresh_listing(
        &self,
        id: &ListingId,
        fresh: &FreshListing,
    ) -> Option<Result<Listing, SchemaError>> {
        let listings = self.listings_obj().ok()?;
        let values = self.doc.get_all(&listings, id.as_str()).ok()?;
        let [(Value::Object(ObjType::Map), held)] = values.as_slice() else {
            return None;
        };
        let made = self.doc.import_obj(&fresh.obj.to_string()).ok()?;
        if made != *held || !fresh.objects.clean_under(&fresh.obj) {
            return None;
        }
        Some(read_listing(fresh.objects.as_ref(), &fresh.obj, id))
    }
}

/// Reads the listing `id` from its map `obj` in `source`, checked against the
/// schema and every limit.
fn read_listing<S: Source>(
    source: &S,
    obj: &S::Obj,
    id: &ListingId,
) -> Result<Listing, SchemaError> {
    let reader = Reader::new(source, obj, format!("listings/{id}"));
    let title = reader.localized("title", 1, TITLE_CHARS_MAX)?;
    let description = reader.localized("description", 0, DESCRIPTION_CHARS_MAX)?;
    let category = reader
        .string("category")?
        .parse::<Category>()
        .map_err(|_| reader.bad("category", "unknown category"))?;
    let price_idr = input::price_idr(reader.int("price_idr")?)
        .map_err(|e| reader.bad("price_idr", &e.message))?;
    let stock = input::stock(reader.int("stock")?).map_err(|e| reader.bad("stock", &e.message))?;
    let removed = reader.has("removed_at");
    let status = match reader.string("status")?.as_str() {
        _ if removed => ListingStatus::Removed,
        "active" => ListingStatus::Active,
        "hidden" => ListingStatus::Hidden,
        _ => return Err(reader.bad("status", "expected active or hidden")),
    };
    Ok(Listing {
        id: id.clone(),
        title,
        description,
        category,
        price_idr,
        unit: reader.line("unit", 1, UNIT_CHARS_MAX)?,
        stock,
        producer: reader.line("producer", 0, PRODUCER_CHARS_MAX)?,
        // Added after the first release: absent in older listings, and a
        // value that breaks the rules reads as absent (the listing stays).
        producer_village: if reader.has("producer_village") {
            reader
                .line("producer_village", 0, PRODUCER_VILLAGE_CHARS_MAX)
                .unwrap_or_default()
        } else {
            String::new()
        },
        photos: reader.photos()?,
        status,
        created_at_ms: reader.time("created_at")?,
        updated_at_ms: reader.time("updated_at")?,
    })
}

/// Replaces a listing's photo list.
fn write_photos(
    tx: &mut automerge::transaction::Transaction<'_>,
    listing: &ObjId,
    photos: &[Photo],
) -> Result<(), AutomergeError> {
    let list = tx.put_object(listing, "photos", ObjType::List)?;
    for (index, photo) in photos.iter().enumerate() {
        let map = tx.insert_object(&list, index, ObjType::Map)?;
        tx.put(&map, "thumb", photo.thumb.as_str())?;
        tx.put(&map, "medium", photo.medium.as_str())?;
    }
    Ok(())
}
