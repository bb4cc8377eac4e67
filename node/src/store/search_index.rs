//! Keeps the in-memory search index ([`crate::search::Index`]) equal to the
//! store. The index is built from the committed listing and center rows the
//! first time a search needs it; after that, every transaction that writes
//! listings or centers names the rows it touched, and right after the
//! transaction ends (committed or rolled back) those rows are read back from
//! the database and put into the index, or removed from it. The index is
//! therefore always a function of what is committed: after a crash it is
//! rebuilt from the file, and a failed transaction leaves it as it was.

use std::sync::{Arc, RwLock, RwLockReadGuard};

use rusqlite::{Connection, OptionalExtension, params};
use telecenter_protocol::CenterId;
use telecenter_protocol::catalog::ListingStatus;

use super::{Store, StoreError};
use crate::search::{Index, IndexedListing, Words};

/// The index shared by the node's writing and reading connections.
#[derive(Debug)]
pub struct SearchIndex {
    words: Arc<Words>,
    index: RwLock<Option<Index>>,
}

/// Rows and centers one transaction touched.
#[derive(Debug, Default)]
pub(super) struct Touched {
    pub(super) rowids: Vec<i64>,
    pub(super) centers: Vec<CenterId>,
}

impl Touched {
    pub(super) fn is_empty(&self) -> bool {
        self.rowids.is_empty() && self.centers.is_empty()
    }
}

const LISTING_COLUMNS: &str = "rowid, center_id, title_id,
    COALESCE(title_en, '') || ' ' || COALESCE(title_jv, ''), producer || ' ' || producer_village,
    description_id || ' ' || COALESCE(description_en, '') || ' ' ||
    COALESCE(description_jv, '') || ' ' || unit,
    category, status, price_idr, stock, updated_at_ms";

fn indexed_listing(row: &rusqlite::Row<'_>) -> rusqlite::Result<Option<IndexedListing>> {
    let center: String = row.get(1)?;
    let category: String = row.get(6)?;
    let status: String = row.get(7)?;
    let (Ok(center), Ok(category), Ok(status)) = (
        center.parse::<CenterId>(),
        category.parse(),
        status.parse::<ListingStatus>(),
    ) else {
        // A row that does not read back is left out of the index, never a
        // reason for search to fail (`Store::listing` reports it).
        return Ok(None);
    };
    Ok(Some(IndexedListing {
        rowid: row.get(0)?,
        center,
        title: row.get(2)?,
        other_titles: row.get(3)?,
        producer: row.get(4)?,
        body: row.get(5)?,
        category,
        status,
        price_idr: row.get(8)?,
        stock: row.get(9)?,
        updated_at_ms: row.get(10)?,
    }))
}

fn put_center(conn: &Connection, index: &mut Index, center: &CenterId) -> Result<(), StoreError> {
    let found: Option<(String, String)> = conn
        .prepare_cached("SELECT name, region FROM centers WHERE center_id = ?1")?
        .query_row(params![center.to_string()], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    match found {
        Some((name, region)) => index.put_center(*center, &name, &region),
        None => index.remove_center(center),
    }
    Ok(())
}

/// Builds a complete index from the database.
fn build(conn: &Connection, words: Arc<Words>) -> Result<Index, StoreError> {
    let mut index = Index::new(words);
    let mut stmt = conn.prepare("SELECT center_id, name, region FROM centers")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let center: String = row.get(0)?;
        if let Ok(center) = center.parse::<CenterId>() {
            index.put_center(center, &row.get::<_, String>(1)?, &row.get::<_, String>(2)?);
        }
    }
    let mut stmt = conn.prepare(&format!("SELECT {LISTING_COLUMNS} FROM listings"))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        if let Some(listing) = indexed_listing(row)? {
            index.put(&listing);
        }
    }
    Ok(index)
}

impl SearchIndex {
    /// A search index, not built yet, with the word table `words`.
    pub fn new(words: Arc<Words>) -> Arc<Self> {
        Arc::new(Self {
            words,
            index: RwLock::new(None),
        })
    }

    /// The index for reading, built from `conn` first if it is not yet.
    pub(super) fn read(
        &self,
        conn: &Connection,
    ) -> Result<RwLockReadGuard<'_, Option<Index>>, StoreError> {
        {
            let guard = self.index.read().unwrap_or_else(|p| p.into_inner());
            if guard.is_some() {
                return Ok(guard);
            }
        }
        {
            // Built under the write lock: a writer that commits meanwhile waits
            // for the lock and then applies its rows to the built index.
            let mut guard = self.index.write().unwrap_or_else(|p| p.into_inner());
            if guard.is_none() {
                *guard = Some(build(conn, self.words.clone())?);
            }
        }
        Ok(self.index.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Brings the index up to date with the committed state of `touched`.
    pub(super) fn refresh(&self, conn: &Connection, touched: &Touched) -> Result<(), StoreError> {
        let mut guard = self.index.write().unwrap_or_else(|p| p.into_inner());
        let Some(index) = guard.as_mut() else {
            // Not built yet: the build will read these rows.
            return Ok(());
        };
        for center in &touched.centers {
            put_center(conn, index, center)?;
        }
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {LISTING_COLUMNS} FROM listings WHERE rowid = ?1"
        ))?;
        for &rowid in &touched.rowids {
            let listing = stmt
                .query_row(params![rowid], indexed_listing)
                .optional()?
                .flatten();
            match listing {
                Some(listing) => index.put(&listing),
                None => index.remove(rowid),
            }
        }
        Ok(())
    }

    /// Drops the index so that the next search rebuilds it (after a failure
    /// that left it unsure).
    fn forget(&self) {
        *self.index.write().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

impl Store {
    /// Uses `index` for searches and keeps it up to date with this connection's
    /// writes. The node gives its writing and reading connections the same index.
    pub fn use_search_index(&mut self, index: Arc<SearchIndex>) {
        self.search = Some(index);
    }

    /// After a transaction that touched listings or centers: brings the index
    /// up to date (whether the transaction committed or not).
    pub(super) fn after_write(&self, touched: &Touched) {
        if touched.is_empty() {
            return;
        }
        if let Some(search) = &self.search
            && let Err(error) = search.refresh(&self.conn, touched)
        {
            tracing::warn!(%error, "search index not updated; it is rebuilt at the next search");
            search.forget();
        }
    }

    /// Builds the shared search index if it is not built yet.
    pub fn warm_search(&self) -> Result<(), StoreError> {
        self.with_index(|_| ())
    }

    /// The search index, built if needed; a store used without a node's shared
    /// index builds a fresh one for each search.
    pub(super) fn with_index<T>(&self, f: impl FnOnce(&Index) -> T) -> Result<T, StoreError> {
        match &self.search {
            Some(search) => {
                let guard = search.read(&self.conn)?;
                match guard.as_ref() {
                    Some(index) => Ok(f(index)),
                    None => Err(StoreError::Corrupt("search index".into())),
                }
            }
            None => Ok(f(&build(&self.conn, Arc::new(Words::builtin()))?)),
        }
    }
}
