//! The pair outbox (messages waiting for the other center's answer) and the
//! refusals remembered so the same message always gets the same answer.

use rusqlite::{OptionalExtension, params};
use telecenter_protocol::CenterId;
use telecenter_protocol::order::SignedMessage;

use super::columns::{parse, parse_json};
use super::{Store, StoreError};

/// One outgoing pair message waiting for the other center's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    /// To whom.
    pub counterpart: CenterId,
    /// The message's body hash.
    pub hash: String,
    /// The message.
    pub message: SignedMessage,
    /// When it was queued.
    pub created_at_ms: i64,
    /// Failed delivery attempts so far.
    pub attempts: u32,
    /// The last delivery error.
    pub last_error: Option<String>,
}

impl Store {
    /// Messages waiting for `counterpart`, oldest first.
    pub fn outbox_for(
        &self,
        counterpart: &CenterId,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        self.outbox_where(
            counterpart,
            "ORDER BY id LIMIT ?2",
            i64::try_from(limit).unwrap_or(i64::MAX),
        )
    }

    /// The waiting message for `counterpart` with this hash, if any.
    pub fn outbox_message(
        &self,
        counterpart: &CenterId,
        hash: &str,
    ) -> Result<Option<OutboxRow>, StoreError> {
        Ok(self
            .outbox_where(counterpart, "AND hash = ?2", hash)?
            .into_iter()
            .next())
    }

    fn outbox_where(
        &self,
        counterpart: &CenterId,
        condition: &str,
        value: impl rusqlite::ToSql,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT hash, message, created_at_ms, attempts, last_error FROM outbox
             WHERE counterpart = ?1 {condition}"
        ))?;
        let rows = stmt.query_map(params![counterpart.to_string(), value], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, u32>(3)?,
                row.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (hash, message, created_at_ms, attempts, last_error) = row?;
            out.push(OutboxRow {
                counterpart: *counterpart,
                hash,
                message: parse_json(&message, "outbox message")?,
                created_at_ms,
                attempts,
                last_error,
            });
        }
        Ok(out)
    }

    /// Every counterpart with messages waiting, and how many.
    pub fn outbox_counterparts(&self) -> Result<Vec<(CenterId, u64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT counterpart, COUNT(*) FROM outbox GROUP BY counterpart")?;
        let rows = stmt.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (center, count) = row?;
            out.push((parse(&center, "outbox counterpart")?, count.unsigned_abs()));
        }
        Ok(out)
    }

    /// Records a failed delivery attempt to `counterpart`.
    pub fn outbox_failed(&mut self, counterpart: &CenterId, error: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE counterpart = ?1",
            params![counterpart.to_string(), error],
        )?;
        Ok(())
    }

    /// Notes why `counterpart` asked for one message to be sent again later.
    pub fn outbox_waiting(
        &mut self,
        counterpart: &CenterId,
        hash: &str,
        why: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE outbox SET last_error = ?3 WHERE counterpart = ?1 AND hash = ?2",
            params![counterpart.to_string(), hash, why],
        )?;
        Ok(())
    }

    /// The remembered refusal of a message, if any: (code, message).
    pub fn refusal(&self, hash: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT code, message FROM pair_refusals WHERE hash = ?1",
                params![hash],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?)
    }

    /// How many refusals are remembered for `counterpart`.
    pub fn refusal_count(&self, counterpart: &CenterId) -> Result<u64, StoreError> {
        let count: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM pair_refusals WHERE counterpart = ?1",
            params![counterpart.to_string()],
            |row| row.get(0),
        )?;
        Ok(count.unsigned_abs())
    }
}
