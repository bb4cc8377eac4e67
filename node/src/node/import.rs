//! Spreadsheet import and export of this center's listings: the plan (which
//! rows create, update or leave a listing, by the `kode` key column) and its
//! apply, every change and every new key in ONE transaction.

use std::collections::HashMap;

use telecenter_protocol::ListingId;
use telecenter_protocol::catalog::input::{ListingPatch, NewListing, ValidPatch};
use telecenter_protocol::catalog::{Lang, Listing, ListingStatus, Touched};
use telecenter_protocol::limits::LISTINGS_PER_CATALOG_MAX;

use crate::sheet::{
    Format, HeldPlan, ImportOutcome, ImportPlan, PlannedCreate, PlannedUpdate, RowError,
    SheetError, SheetRow, parse_rows, read_cells,
};
use crate::store::NewChange;

use super::held::reload;
use super::{Node, NodeError, SNAPSHOT_EVERY_CHANGES, Writer, index_commit, lock};

impl Node {
    /// Reads a spreadsheet and says what importing it would do; writes nothing.
    pub fn import_plan(&self, format: Format, bytes: &[u8]) -> Result<ImportPlan, NodeError> {
        let raw = read_cells(format, bytes)?;
        let (rows, mut errors) = parse_rows(&raw)?;
        let writer = lock(&self.writer);
        let keys: HashMap<String, String> = writer.store.listing_keys()?.into_iter().collect();
        let mut plan = ImportPlan::default();
        let mut kode_lines: HashMap<String, usize> = HashMap::new();
        let mut listing_lines: HashMap<ListingId, usize> = HashMap::new();
        for row in rows {
            if let Some(first) = kode_lines.get(&row.kode) {
                errors.push(RowError {
                    line: row.line,
                    message: format!("kode '{}' sudah dipakai di baris {first}", row.kode),
                });
                continue;
            }
            kode_lines.insert(row.kode.clone(), row.line);
            match existing(&writer, &keys, &row.kode) {
                Some(listing) => {
                    if let Some(first) = listing_lines.get(&listing.id) {
                        errors.push(RowError {
                            line: row.line,
                            message: format!("produk ini sudah ada di baris {first}"),
                        });
                        continue;
                    }
                    listing_lines.insert(listing.id.clone(), row.line);
                    match patch_for(&row, &listing) {
                        Ok(None) => plan.unchanged += 1,
                        Ok(Some(patch)) => plan.update.push(PlannedUpdate {
                            line: row.line,
                            key: row.kode.clone(),
                            id: listing.id.clone(),
                            patch,
                        }),
                        Err(message) => errors.push(RowError {
                            line: row.line,
                            message,
                        }),
                    }
                }
                None => match new_listing(&row) {
                    Ok(listing) => plan.create.push(PlannedCreate {
                        line: row.line,
                        key: row.kode.clone(),
                        listing,
                        hidden: row.hidden == Some(true),
                    }),
                    Err(message) => errors.push(RowError {
                        line: row.line,
                        message,
                    }),
                },
            }
        }
        room(&writer, plan.create.len())?;
        errors.sort_by_key(|e| e.line);
        plan.errors = errors;
        Ok(plan)
    }

    /// Applies a plan's creates and updates (its error rows were left out
    /// already) as signed changes of this center's catalog, with the new keys,
    /// in one transaction: all of it is written or none.
    pub fn import_listings(&self, plan: &ImportPlan) -> Result<ImportOutcome, NodeError> {
        // Check everything before the catalog is touched.
        let mut creates = Vec::with_capacity(plan.create.len());
        for create in &plan.create {
            creates.push((
                create.listing.validate()?,
                create.hidden,
                create.key.as_str(),
            ));
        }
        let mut updates = Vec::with_capacity(plan.update.len());
        for update in &plan.update {
            updates.push((&update.id, update.patch.validate()?));
        }
        if creates.is_empty() && updates.is_empty() {
            return Ok(ImportOutcome::default());
        }
        let hide = ValidPatch {
            status: Some(ListingStatus::Hidden),
            ..ValidPatch::default()
        };
        let now = self.clock.now_ms();
        let mut guard = lock(&self.writer);
        let writer: &mut Writer = &mut guard;
        room(writer, creates.len())?;
        let doc_id = writer.own.doc_id();
        let result = (|| {
            let mut signed = Vec::new();
            let mut keys = Vec::new();
            {
                let mut rng = lock(&self.random);
                for (valid, hidden, key) in &creates {
                    let (id, change) =
                        writer
                            .own
                            .add_listing(&self.identity, rng.as_mut(), valid, now)?;
                    signed.push(change);
                    if *hidden {
                        signed.push(writer.own.update_listing(&self.identity, &id, &hide, now)?);
                    }
                    keys.push(((*key).to_owned(), id.to_string()));
                }
            }
            for (id, patch) in &updates {
                signed.push(writer.own.update_listing(&self.identity, id, patch, now)?);
            }
            let mut touched = Touched::default();
            let mut changes = Vec::with_capacity(signed.len());
            for change in &signed {
                let verified = change.clone().verify(&doc_id)?;
                let one = writer.own.touched_by(&verified.change);
                touched.profile |= one.profile;
                touched.vouches |= one.vouches;
                touched.everything |= one.everything;
                touched.listings.extend(one.listings);
                changes.push(NewChange::of(&verified, change.to_bytes()));
            }
            let mut commit = index_commit(&writer.own, &touched)?;
            let count = u64::try_from(changes.len()).unwrap_or(u64::MAX);
            commit.changes = changes;
            if writer
                .store
                .changes_since_snapshot(&doc_id)?
                .saturating_add(count)
                >= SNAPSHOT_EVERY_CHANGES
            {
                commit.snapshot = Some((doc_id, writer.own.save()));
            }
            commit.listing_keys = keys;
            writer.store.commit(&commit, now)?;
            Ok::<_, NodeError>(())
        })();
        if let Err(error) = result {
            // Memory ran ahead of disk: reload the catalog from what is durable.
            tracing::error!(%error, "import failed; reloading the catalog from the database");
            if let Ok(reloaded) = reload(&writer.store, &doc_id) {
                let writing = writer.own.writing_epoch();
                writer.own = reloaded;
                writer.own.set_writing_epoch(writing);
            }
            return Err(error);
        }
        drop(guard);
        self.bump();
        Ok(ImportOutcome {
            created: creates.len(),
            updated: updates.len(),
        })
    }

    /// Plans an uploaded spreadsheet and holds its bytes for the operator's
    /// confirmation ([`Node::apply_held_sheet`]); writes nothing. A file that
    /// cannot be read at all, or that would change nothing, is not held (its
    /// id is empty).
    pub fn hold_sheet(&self, format: Format, bytes: Vec<u8>) -> Result<HeldPlan, NodeError> {
        let plan = self.import_plan(format, &bytes)?;
        if plan.create.is_empty() && plan.update.is_empty() {
            // Nothing to confirm: hold nothing.
            return Ok(HeldPlan {
                id: String::new(),
                plan,
            });
        }
        let mut raw = [0u8; 16];
        self.fill_random(&mut raw);
        let id: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        lock(&self.held_sheets).hold(id.clone(), format, bytes, self.clock.now_ms());
        Ok(HeldPlan { id, plan })
    }

    /// Applies a held upload: plans it again from its bytes (the catalog may
    /// have changed since the preview) and applies that plan in one
    /// transaction. `Ok(None)`: nothing is held under `id` (expired, dropped
    /// or applied already).
    pub fn apply_held_sheet(&self, id: &str) -> Result<Option<ImportOutcome>, NodeError> {
        let Some((format, bytes)) = lock(&self.held_sheets).take(id, self.clock.now_ms()) else {
            return Ok(None);
        };
        let plan = self.import_plan(format, &bytes)?;
        self.import_listings(&plan).map(Some)
    }

    /// This center's listings that are not removed, each with its key (its
    /// `kode`, or its id when it has none), ordered by key.
    pub fn export_listings(&self) -> Result<Vec<(String, Listing)>, NodeError> {
        let writer = lock(&self.writer);
        let by_listing: HashMap<String, String> = writer
            .store
            .listing_keys()?
            .into_iter()
            .map(|(key, listing)| (listing, key))
            .collect();
        let mut rows = Vec::new();
        for id in writer
            .own
            .listing_keys()
            .map_err(|e| NodeError::Schema(e.to_string()))?
        {
            let Ok(parsed) = id.parse::<ListingId>() else {
                continue;
            };
            let Ok(Some(listing)) = writer.own.listing(&parsed) else {
                continue;
            };
            if listing.status == ListingStatus::Removed {
                continue;
            }
            let key = by_listing.get(&id).cloned().unwrap_or(id);
            rows.push((key, listing));
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(rows)
    }
}

/// Refuses `creating` new listings when they would take the catalog past
/// [`LISTINGS_PER_CATALOG_MAX`] (removed listings count: they stay as
/// tombstones), as one error for the whole file, before anything is written.
fn room(writer: &Writer, creating: usize) -> Result<(), NodeError> {
    let listings = writer
        .own
        .listing_keys()
        .map_err(|e| NodeError::Schema(e.to_string()))?
        .len();
    if creating > 0 && listings.saturating_add(creating) > LISTINGS_PER_CATALOG_MAX {
        return Err(SheetError::CatalogFull {
            listings,
            creating,
            max: LISTINGS_PER_CATALOG_MAX,
        }
        .into());
    }
    Ok(())
}

/// The own listing a kode names: through a recorded key, or the kode is the
/// listing's id. Removed listings do not count.
fn existing(writer: &Writer, keys: &HashMap<String, String>, kode: &str) -> Option<Listing> {
    [keys.get(kode).map(String::as_str), Some(kode)]
        .into_iter()
        .flatten()
        .filter_map(|id| id.parse::<ListingId>().ok())
        .filter_map(|id| writer.own.listing(&id).ok().flatten())
        .find(|listing| listing.status != ListingStatus::Removed)
}

/// Turns protocol validation's words into a row message.
fn invalid(e: &telecenter_protocol::text::InvalidInput) -> String {
    format!("{}: {}", e.field, e.message)
}

fn new_listing(row: &SheetRow) -> Result<NewListing, String> {
    let Some(category) = row.category else {
        return Err("kolom kategori diperlukan untuk produk baru".to_owned());
    };
    let listing = NewListing {
        title: row.title.clone(),
        description: row.description.clone().unwrap_or_default(),
        lang: None,
        category: category.slug().to_owned(),
        price_idr: row.price_idr,
        stock: row.stock.unwrap_or(0),
        unit: row.unit.clone().filter(|u| !u.is_empty()),
        producer: row.producer.clone(),
        // The village comes with a producer link, not from a spreadsheet.
        producer_village: None,
        photos: Vec::new(),
    };
    listing.validate().map_err(|e| invalid(&e))?;
    Ok(listing)
}

/// The fields of `row` that differ from `listing` (in normal form), or `None`.
fn patch_for(row: &SheetRow, listing: &Listing) -> Result<Option<ListingPatch>, String> {
    // Validate as a new listing to get every text in the catalog's normal form.
    let wanted = NewListing {
        title: row.title.clone(),
        description: row
            .description
            .clone()
            .unwrap_or_else(|| listing.description.get(Lang::Id).to_owned()),
        lang: None,
        category: row.category.unwrap_or(listing.category).slug().to_owned(),
        price_idr: row.price_idr,
        stock: row.stock.unwrap_or(listing.stock),
        unit: Some(match &row.unit {
            Some(u) if u.is_empty() => telecenter_protocol::catalog::input::DEFAULT_UNIT.to_owned(),
            Some(u) => u.clone(),
            None => listing.unit.clone(),
        }),
        producer: Some(
            row.producer
                .clone()
                .unwrap_or_else(|| listing.producer.clone()),
        ),
        producer_village: None,
        photos: Vec::new(),
    }
    .validate()
    .map_err(|e| invalid(&e))?;
    let differs = |a: &str, b: &str| (a != b).then(|| a.to_owned());
    let status = row.hidden.map(|hidden| {
        if hidden {
            ListingStatus::Hidden
        } else {
            ListingStatus::Active
        }
    });
    let patch = ListingPatch {
        lang: None,
        title: differs(&wanted.title, &listing.title.id),
        description: differs(&wanted.description, &listing.description.id),
        category: (wanted.category != listing.category).then(|| wanted.category.slug().to_owned()),
        price_idr: (wanted.price_idr != listing.price_idr).then_some(wanted.price_idr),
        stock: (wanted.stock != listing.stock).then_some(wanted.stock),
        unit: differs(&wanted.unit, &listing.unit),
        producer: differs(&wanted.producer, &listing.producer),
        producer_village: None,
        status: status
            .filter(|s| *s != listing.status)
            .map(|s| s.word().to_owned()),
        photos: None,
    };
    let empty = patch.validate().map_err(|e| invalid(&e))?.is_empty();
    Ok((!empty).then_some(patch))
}

#[cfg(test)]
mod tests;
