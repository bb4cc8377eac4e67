//! Product codes (`kode`) of this center's listings, as an operator's spreadsheet
//! names them, so importing the same file again updates instead of adding.

use rusqlite::{Transaction, params};

use super::{Store, StoreError};

impl Store {
    /// Every recorded (kode, listing id) pair.
    pub fn listing_keys(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, listing FROM listing_keys ORDER BY key")?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Records codes inside a commit; a code or listing already recorded is moved
/// to its new partner.
pub(super) fn record(tx: &Transaction<'_>, keys: &[(String, String)]) -> Result<(), StoreError> {
    for (key, listing) in keys {
        tx.prepare_cached("DELETE FROM listing_keys WHERE key = ?1 OR listing = ?2")?
            .execute(params![key, listing])?;
        tx.prepare_cached("INSERT INTO listing_keys (key, listing) VALUES (?1, ?2)")?
            .execute(params![key, listing])?;
    }
    Ok(())
}
