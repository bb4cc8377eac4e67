//! Read-only questions `telecenter doctor` asks the database: SQLite's own
//! checks, and how long things have waited (outbox, mail, the clock seen in
//! peers' mail). None of them writes.

use rusqlite::{OptionalExtension, params};
use telecenter_protocol::{CenterId, DocId};

use super::{Store, StoreError};

/// The oldest pair message waiting in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxAge {
    /// Messages waiting in all.
    pub waiting: u64,
    /// When the oldest was written (UTC ms).
    pub oldest_ms: i64,
    /// The center it is for.
    pub counterpart: String,
    /// That center's name, if known.
    pub name: Option<String>,
}

impl Store {
    /// `PRAGMA integrity_check`, at most `max_lines` lines of findings
    /// (`["ok"]` when healthy), then `PRAGMA foreign_key_check` (its rows said
    /// as lines).
    pub fn integrity_problems(&self, max_lines: u32) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!("PRAGMA integrity_check({max_lines})"))?;
        let mut lines = stmt
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        if lines == ["ok"] {
            lines.clear();
        }
        let mut stmt = self.conn.prepare("PRAGMA foreign_key_check")?;
        let rows = stmt.query_map([], |row| {
            Ok(format!(
                "{} row {} refers to a missing row of {}",
                row.get::<_, String>(0)?,
                row.get::<_, Option<i64>>(1)?.unwrap_or_default(),
                row.get::<_, String>(2)?
            ))
        })?;
        for row in rows.take(usize::try_from(max_lines).unwrap_or(usize::MAX)) {
            lines.push(row?);
        }
        Ok(lines)
    }

    /// Whether the database holds `center`'s catalog.
    pub fn holds_catalog(&self, center: &CenterId) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM documents WHERE doc_id = ?1",
                [DocId::catalog(*center).to_string()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// The oldest outbox message, if any waits.
    pub fn outbox_age(&self) -> Result<Option<OutboxAge>, StoreError> {
        let waiting: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM outbox", [], |row| row.get(0))?;
        Ok(self
            .conn
            .query_row(
                "SELECT o.created_at_ms, o.counterpart, c.name FROM outbox o
                 LEFT JOIN centers c ON c.center_id = o.counterpart
                 ORDER BY o.created_at_ms, o.id LIMIT 1",
                [],
                |row| {
                    Ok(OutboxAge {
                        waiting: waiting.unsigned_abs(),
                        oldest_ms: row.get(0)?,
                        counterpart: row.get(1)?,
                        name: row.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Mail this node holds to send or to carry on (`outbox`, `relay`) that
    /// it received or sealed before `before_ms`: how many, and the oldest time.
    pub fn mail_waiting_before(&self, before_ms: i64) -> Result<(u64, Option<i64>), StoreError> {
        let (count, oldest) = self.conn.query_row(
            "SELECT COUNT(*), MIN(received_ms) FROM mail
             WHERE kind IN ('outbox', 'relay') AND received_ms < ?1",
            params![before_ms],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Option<i64>>(1)?)),
        )?;
        Ok((count.unsigned_abs(), oldest))
    }

    /// How far ahead of this node's clock other centers' clocks were: the
    /// largest (date of a mail − when this node received it) over mail from
    /// other centers received since `since_ms`. `None` without such mail.
    pub fn peer_clock_lead_ms(
        &self,
        own: &CenterId,
        since_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        Ok(self.conn.query_row(
            "SELECT MAX(at_ms - received_ms) FROM mail WHERE sender <> ?1 AND received_ms >= ?2",
            params![own.to_string(), since_ms],
            |row| row.get(0),
        )?)
    }

    /// The latest local time this node wrote with a stored change or mail (a
    /// clock set back since shows as a time in its future).
    pub fn latest_local_time_ms(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.conn.query_row(
            "SELECT MAX(t) FROM (SELECT MAX(received_at_ms) AS t FROM changes
                                 UNION ALL SELECT MAX(received_ms) FROM mail)",
            [],
            |row| row.get(0),
        )?)
    }
}
