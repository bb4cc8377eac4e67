//! Photos: image bytes stored by the SHA-256 of their bytes, and which of them
//! the listings held here name.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

impl Store {
    /// Stores image bytes under their hash (nothing if already held).
    pub fn put_image(&mut self, hash: &str, bytes: &[u8], now_ms: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO images (hash, bytes, stored_at_ms) VALUES (?1, ?2, ?3)",
            params![hash, bytes, now_ms],
        )?;
        Ok(())
    }

    /// The bytes of a stored image.
    pub fn image(&self, hash: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT bytes FROM images WHERE hash = ?1",
                params![hash],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Thumbnails named by shown listings but not held here (at most `limit`).
    pub fn missing_thumbnails(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT json_extract(p.value, '$.thumb') AS thumb
             FROM listings l, json_each(l.photos) p
             WHERE l.status = 'active'
               AND json_extract(p.value, '$.thumb') NOT IN (SELECT hash FROM images)
             LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
            row.get(0)
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether an image is named by some listing held here (only those are served to peers).
    pub fn image_is_named(&self, hash: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = self
            .conn
            .query_row(
                "SELECT 1 FROM listing_photos WHERE hash = ?1 LIMIT 1",
                params![hash],
                |row| row.get(0),
            )
            .optional()?;
        Ok(found.is_some())
    }
}
