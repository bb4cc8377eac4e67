//! The materialised listing index: listing and center rows, and search over
//! them (text through the in-memory search index, browsing through SQL).

use rusqlite::{OptionalExtension, params};
use telecenter_protocol::catalog::{Listing, Profile};
use telecenter_protocol::{CenterId, ListingId};

use super::{Store, StoreError};
use crate::search::{SearchHints, SearchQuery, Sort};

/// One listing as stored in the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingRow {
    /// The selling center.
    pub center_id: CenterId,
    /// Its name, from the centers table.
    pub center_name: String,
    /// Its region, from the centers table.
    pub center_region: String,
    /// The listing.
    pub listing: Listing,
}

/// One page of search results.
#[derive(Clone, Debug, Default)]
pub struct SearchPage {
    /// How many listings match in all.
    pub total: u64,
    /// This page.
    pub items: Vec<ListingRow>,
    /// What the search says besides its results (typo correction, suggestions,
    /// the words counted as demand).
    pub hints: SearchHints,
}

impl Store {
    /// One listing by center and id, whatever its status.
    pub fn listing(
        &self,
        center: &CenterId,
        id: &ListingId,
    ) -> Result<Option<ListingRow>, StoreError> {
        let sql = format!("{SELECT_LISTING} WHERE l.center_id = ?1 AND l.listing_id = ?2");
        self.conn
            .query_row(
                &sql,
                params![center.to_string(), id.as_str()],
                read_listing_row,
            )
            .optional()?
            .transpose()
    }

    /// Every indexed center's profile, by name.
    pub fn centers(&self) -> Result<Vec<Profile>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {PROFILE_COLUMNS} FROM centers ORDER BY name, center_id"
        ))?;
        let rows = stmt.query_map([], profile_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row??);
        }
        Ok(out)
    }

    /// A center's profile as indexed.
    pub fn center(&self, center: &CenterId) -> Result<Option<Profile>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {PROFILE_COLUMNS} FROM centers WHERE center_id = ?1"),
                params![center.to_string()],
                profile_row,
            )
            .optional()?
            .transpose()
    }

    /// The newest `limit` active listings (those buyers are shown), newest
    /// first: center, id and time of the last change. The sitemap lists them.
    pub fn shown_listings(
        &self,
        limit: usize,
    ) -> Result<Vec<(CenterId, ListingId, i64)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT center_id, listing_id, updated_at_ms FROM listings
             WHERE status = 'active' ORDER BY updated_at_ms DESC, rowid LIMIT ?1",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![limit], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (center, id, updated_at_ms) = row?;
            let (Ok(center), Ok(id)) = (center.parse(), id.parse()) else {
                return Err(StoreError::Corrupt("listing key in listings".into()));
            };
            out.push((center, id, updated_at_ms));
        }
        Ok(out)
    }

    /// Searches the index; see [`SearchQuery`] for what each field does. A
    /// query with text goes through the search engine (`crate::search`); one
    /// without lists listings by the chosen order.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchPage, StoreError> {
        if query.text.is_some() {
            return self.search_text(query);
        }
        let mut conditions = Vec::new();
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        let mut push = |condition: &str, value: rusqlite::types::Value| {
            values.push(value);
            conditions.push(condition.replace('?', &format!("?{}", values.len())));
        };
        if let Some(category) = query.category {
            push("l.category = ?", category.slug().to_owned().into());
        }
        if let Some(center) = query.center {
            push("l.center_id = ?", center.to_string().into());
        }
        if let Some(min) = query.min_price_idr {
            push("l.price_idr >= ?", min.into());
        }
        if let Some(max) = query.max_price_idr {
            push("l.price_idr <= ?", max.into());
        }
        // Statuses are fixed words from an enum, never user text.
        let status_list = query
            .statuses
            .iter()
            .map(|s| format!("'{}'", s.word()))
            .collect::<Vec<_>>()
            .join(", ");
        conditions.push(format!("l.status IN ({status_list})"));
        let from = "FROM listings l LEFT JOIN centers c ON c.center_id = l.center_id";
        let where_clause = format!("WHERE {}", conditions.join(" AND "));
        let total: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) {from} {where_clause}"),
            rusqlite::params_from_iter(values.iter()),
            |row| row.get(0),
        )?;
        let order = match query.sort {
            Sort::Relevance | Sort::Newest => "l.updated_at_ms DESC, l.rowid",
            Sort::PriceAsc => "l.price_idr ASC, l.updated_at_ms DESC, l.rowid",
            Sort::PriceDesc => "l.price_idr DESC, l.updated_at_ms DESC, l.rowid",
        };
        values.push(i64::from(query.limit).into());
        values.push(i64::from(query.offset).into());
        let sql = format!(
            "{} {from} {where_clause} ORDER BY {order} LIMIT ?{} OFFSET ?{}",
            SELECT_LISTING_COLUMNS,
            values.len() - 1,
            values.len()
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(values.iter()), read_listing_row)?;
        let mut items = Vec::new();
        for row in rows {
            items.push(row??);
        }
        Ok(SearchPage {
            total: total.unsigned_abs(),
            items,
            ..SearchPage::default()
        })
    }

    fn search_text(&self, query: &SearchQuery) -> Result<SearchPage, StoreError> {
        let hits = self.with_index(|index| index.search(query))?;
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_LISTING} WHERE l.rowid = ?1"))?;
        let mut items = Vec::with_capacity(hits.rowids.len());
        for rowid in &hits.rowids {
            // A row removed since the index was read is left out of the page.
            if let Some(row) = stmt
                .query_row(params![rowid], read_listing_row)
                .optional()?
            {
                items.push(row?);
            }
        }
        Ok(SearchPage {
            total: hits.total,
            items,
            hints: hits.hints,
        })
    }
}

const PROFILE_COLUMNS: &str =
    "center_id, name, region, contact, updated_at_ms, fee_bp, fee_min_idr, address, whatsapp";

#[allow(clippy::type_complexity)] // rusqlite row closures return nested results
fn profile_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Profile, StoreError>> {
    let center: String = row.get(0)?;
    let fee_bp: i64 = row.get(5)?;
    let Ok(center) = center.parse() else {
        return Ok(Err(StoreError::Corrupt("center id in centers".into())));
    };
    Ok(Ok(Profile {
        center,
        name: row.get(1)?,
        region: row.get(2)?,
        contact: row.get(3)?,
        updated_at_ms: row.get(4)?,
        fees: telecenter_protocol::fee::FeeTerms {
            referral_bp: u32::try_from(fee_bp).unwrap_or(0),
            min_idr: row.get(6)?,
        },
        address: row.get(7)?,
        whatsapp: row.get(8)?,
    }))
}

const SELECT_LISTING_COLUMNS: &str =
    "SELECT l.center_id, COALESCE(c.name, ''), COALESCE(c.region, ''),
    l.listing_id, l.title_id, l.title_en, l.title_jv, l.description_id, l.description_en,
    l.description_jv, l.category, l.price_idr, l.unit, l.stock, l.producer, l.status,
    l.created_at_ms, l.updated_at_ms, l.photos, l.producer_village";

pub(super) const SELECT_LISTING: &str =
    "SELECT l.center_id, COALESCE(c.name, ''), COALESCE(c.region, ''),
    l.listing_id, l.title_id, l.title_en, l.title_jv, l.description_id, l.description_en,
    l.description_jv, l.category, l.price_idr, l.unit, l.stock, l.producer, l.status,
    l.created_at_ms, l.updated_at_ms, l.photos, l.producer_village
    FROM listings l LEFT JOIN centers c ON c.center_id = l.center_id";

pub(super) fn read_listing_row(
    row: &rusqlite::Row<'_>,
) -> rusqlite::Result<Result<ListingRow, StoreError>> {
    use telecenter_protocol::LocalizedText;
    let corrupt = |what: &str| StoreError::Corrupt(what.to_owned());
    let center: String = row.get(0)?;
    let listing_id: String = row.get(3)?;
    let category: String = row.get(10)?;
    let status: String = row.get(15)?;
    let photos: String = row.get(18)?;
    let built = (|| {
        Ok(ListingRow {
            center_id: center.parse().map_err(|_| corrupt("center id"))?,
            center_name: row.get(1)?,
            center_region: row.get(2)?,
            listing: Listing {
                id: listing_id.parse().map_err(|_| corrupt("listing id"))?,
                title: LocalizedText {
                    id: row.get(4)?,
                    en: row.get(5)?,
                    jv: row.get(6)?,
                },
                description: LocalizedText {
                    id: row.get(7)?,
                    en: row.get(8)?,
                    jv: row.get(9)?,
                },
                category: category.parse().map_err(|_| corrupt("category"))?,
                price_idr: row.get(11)?,
                unit: row.get(12)?,
                stock: row.get(13)?,
                producer: row.get(14)?,
                producer_village: row.get(19)?,
                photos: serde_json::from_str(&photos).map_err(|_| corrupt("photos"))?,
                status: status.parse().map_err(|_| corrupt("status"))?,
                created_at_ms: row.get(16)?,
                updated_at_ms: row.get(17)?,
            },
        })
    })();
    match built {
        Ok(row) => Ok(Ok(row)),
        Err(StoreError::Sqlite(e)) => Err(e),
        Err(other) => Ok(Err(other)),
    }
}

pub(super) fn upsert_listing(
    tx: &rusqlite::Transaction<'_>,
    center: &CenterId,
    listing: &Listing,
) -> Result<i64, StoreError> {
    let rowid: i64 = tx
        .prepare_cached(
            "INSERT INTO listings (center_id, listing_id, title_id, title_en, title_jv,
            description_id, description_en, description_jv, category, price_idr, unit, stock,
            producer, status, created_at_ms, updated_at_ms, photos, producer_village)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
         ON CONFLICT (center_id, listing_id) DO UPDATE SET
            title_id = excluded.title_id, title_en = excluded.title_en,
            title_jv = excluded.title_jv, description_id = excluded.description_id,
            description_en = excluded.description_en, description_jv = excluded.description_jv,
            category = excluded.category, price_idr = excluded.price_idr, unit = excluded.unit,
            stock = excluded.stock, producer = excluded.producer, status = excluded.status,
            created_at_ms = excluded.created_at_ms, updated_at_ms = excluded.updated_at_ms,
            photos = excluded.photos, producer_village = excluded.producer_village
         RETURNING rowid",
        )?
        .query_row(
            params![
                center.to_string(),
                listing.id.as_str(),
                listing.title.id,
                listing.title.en,
                listing.title.jv,
                listing.description.id,
                listing.description.en,
                listing.description.jv,
                listing.category.slug(),
                listing.price_idr,
                listing.unit,
                listing.stock,
                listing.producer,
                listing.status.word(),
                listing.created_at_ms,
                listing.updated_at_ms,
                serde_json::to_string(&listing.photos).unwrap_or_else(|_| "[]".to_owned()),
                listing.producer_village,
            ],
            |row| row.get(0),
        )?;
    Ok(rowid)
}
