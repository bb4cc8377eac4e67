//! The fee ledger as stored: entries read back by counterpart and time. Rows
//! are immutable: SQLite triggers abort any UPDATE or DELETE, and entries are
//! inserted with `INSERT OR IGNORE` on their deterministic id, so booking the
//! same entry twice is a no-op.

use rusqlite::params;
use telecenter_protocol::CenterId;
use telecenter_protocol::order::{EntryKind, LedgerEntry};

use super::columns::parse;
use super::{Store, StoreError};

/// A ledger entry with the counterpart from this node's point of view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryRow {
    /// The other center of the pair.
    pub counterpart: CenterId,
    /// The entry, identical on both nodes.
    pub entry: LedgerEntry,
}

impl Store {
    /// Ledger entries, oldest first; only those with `counterpart` if given, and
    /// with `from_ms <= at_ms < to_ms`.
    pub fn ledger(
        &self,
        counterpart: Option<&CenterId>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<EntryRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT entry_id, counterpart, kind, creditor, debtor, amount_idr, order_id,
               settlement_id, at_ms FROM ledger
             WHERE (?1 IS NULL OR counterpart = ?1) AND at_ms >= ?2 AND at_ms < ?3
             ORDER BY at_ms, entry_id",
        )?;
        let rows = stmt.query_map(
            params![counterpart.map(ToString::to_string), from_ms, to_ms],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, i64>(5)?,
                    row.get::<_, Option<String>>(6)?,
                    row.get::<_, Option<String>>(7)?,
                    row.get::<_, i64>(8)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (id, counterpart, kind, creditor, debtor, amount_idr, order, settlement, at_ms) =
                row?;
            let kind: EntryKind = parse(&kind, "entry kind")?;
            out.push(EntryRow {
                counterpart: parse(&counterpart, "entry counterpart")?,
                entry: LedgerEntry {
                    id,
                    kind,
                    creditor: parse(&creditor, "creditor")?,
                    debtor: parse(&debtor, "debtor")?,
                    amount_idr,
                    order: order.map(|o| parse(&o, "entry order")).transpose()?,
                    settlement: settlement
                        .map(|s| parse(&s, "entry settlement"))
                        .transpose()?,
                    at_ms,
                },
            });
        }
        Ok(out)
    }
}
