//! What buyers searched for: per month (the center's local month, `YYYY-MM`),
//! each searched word or phrase with how often it was searched and how often it
//! found nothing. No identity, address or time of day is stored.

use rusqlite::params;

use super::{Store, StoreError};

/// One searched word in one month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemandRow {
    /// The word or phrase, folded (lowercase, no accents).
    pub word: String,
    /// Searches that contained it.
    pub searches: u64,
    /// Of those, searches in which it matched no listing.
    pub missed: u64,
}

impl Store {
    /// Adds counts to `month`. A word not yet counted that month is added only
    /// while the month holds fewer than `words_max` words; months before
    /// `oldest_month` are deleted.
    pub fn add_demand(
        &mut self,
        month: &str,
        counts: &[(String, u64, u64)],
        words_max: usize,
        oldest_month: &str,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut held: i64 = tx.query_row(
                "SELECT COUNT(*) FROM search_demand WHERE month = ?1",
                params![month],
                |row| row.get(0),
            )?;
            let limit = i64::try_from(words_max).unwrap_or(i64::MAX);
            let mut update = tx.prepare_cached(
                "UPDATE search_demand SET searches = searches + ?3, missed = missed + ?4
                 WHERE month = ?1 AND word = ?2",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO search_demand (month, word, searches, missed) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (word, searches, missed) in counts {
                let searches = i64::try_from(*searches).unwrap_or(i64::MAX);
                let missed = i64::try_from(*missed).unwrap_or(i64::MAX);
                if update.execute(params![month, word, searches, missed])? == 0 && held < limit {
                    insert.execute(params![month, word, searches, missed])?;
                    held += 1;
                }
            }
        }
        tx.execute(
            "DELETE FROM search_demand WHERE month < ?1",
            params![oldest_month],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The words searched in `month`, the most missed first, then the most
    /// searched, then alphabetically; at most `limit`.
    pub fn demand(&self, month: &str, limit: usize) -> Result<Vec<DemandRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT word, searches, missed FROM search_demand WHERE month = ?1
             ORDER BY missed DESC, searches DESC, word LIMIT ?2",
        )?;
        let rows = stmt.query_map(
            params![month, i64::try_from(limit).unwrap_or(i64::MAX)],
            |row| {
                Ok(DemandRow {
                    word: row.get(0)?,
                    searches: row.get::<_, i64>(1)?.unsigned_abs(),
                    missed: row.get::<_, i64>(2)?.unsigned_abs(),
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The months that have counts, newest first.
    pub fn demand_months(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT month FROM search_demand ORDER BY month DESC")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
