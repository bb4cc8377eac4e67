//! The producers this center sells for (name, village, contact, bank account,
//! WhatsApp, commission: only name and village ever leave this node), which
//! listing is whose, the payouts made to them, and the reads of the `sales`
//! table that producer statements and the monthly sales report are made of.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// A producer as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerRow {
    /// Local number (never published).
    pub id: i64,
    /// Name (public).
    pub name: String,
    /// Village (public).
    pub village: String,
    /// How to reach them (this node only).
    pub contact: String,
    /// Bank account for payouts (this node only).
    pub bank_account: String,
    /// WhatsApp as `+62…`, or empty (this node only).
    pub whatsapp: String,
    /// The center's commission on their sales, basis points (0–10 000).
    pub commission_bp: u32,
    /// When it was added, UTC ms.
    pub created_ms: i64,
}

/// The checked fields of a producer, for adding or replacing one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerFields {
    /// Name.
    pub name: String,
    /// Village.
    pub village: String,
    /// Contact.
    pub contact: String,
    /// Bank account.
    pub bank_account: String,
    /// WhatsApp (`+62…`) or empty.
    pub whatsapp: String,
    /// Commission, basis points.
    pub commission_bp: u32,
}

/// A payout to a producer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutRow {
    /// Local number.
    pub id: i64,
    /// The producer paid.
    pub producer: i64,
    /// When it was paid, UTC ms.
    pub at_ms: i64,
    /// Amount, whole rupiah (> 0).
    pub amount_idr: i64,
    /// `cash` or `transfer`.
    pub method: String,
    /// A note (may be empty).
    pub note: String,
}

/// One producer's (or the unowned listings') sales in a period, added up by SQL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SalesTotalRow {
    /// The producer, or `None` for sales of listings with no producer.
    pub producer: Option<i64>,
    /// Sale lines.
    pub lines: i64,
    /// Value of the goods, whole rupiah.
    pub gross_idr: i64,
    /// The center's commission (each line rounded by the one rule); 0 without a producer.
    pub commission_idr: i64,
}

fn producer_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ProducerRow> {
    Ok(ProducerRow {
        id: row.get(0)?,
        name: row.get(1)?,
        village: row.get(2)?,
        contact: row.get(3)?,
        bank_account: row.get(4)?,
        whatsapp: row.get(5)?,
        commission_bp: row.get(6)?,
        created_ms: row.get(7)?,
    })
}

const PRODUCER_COLUMNS: &str =
    "id, name, village, contact, bank_account, whatsapp, commission_bp, created_ms";

fn payout_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PayoutRow> {
    Ok(PayoutRow {
        id: row.get(0)?,
        producer: row.get(1)?,
        at_ms: row.get(2)?,
        amount_idr: row.get(3)?,
        method: row.get(4)?,
        note: row.get(5)?,
    })
}

impl Store {
    /// A center's active listings that name a producer (any producer text), at
    /// most `limit`, newest first: the public producer page picks its
    /// producer's among them.
    pub fn listings_with_producer(
        &self,
        center: &telecenter_protocol::CenterId,
        limit: usize,
    ) -> Result<Vec<super::ListingRow>, StoreError> {
        let sql = format!(
            "{} WHERE l.center_id = ?1 AND l.status = 'active' AND l.producer != ''
             ORDER BY l.updated_at_ms DESC LIMIT ?2",
            super::listings::SELECT_LISTING
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let rows = statement.query_map(
            params![center.to_string(), i64::try_from(limit).unwrap_or(i64::MAX)],
            super::listings::read_listing_row,
        )?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row??);
        }
        Ok(out)
    }

    /// The producers named by the newest shown (active) listings of every
    /// center: center, name, village and the time of their latest listing
    /// change, newest first, at most `limit`. The sitemap lists their pages.
    pub fn shown_producers(
        &self,
        limit: usize,
    ) -> Result<Vec<(telecenter_protocol::CenterId, String, String, i64)>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT center_id, producer, producer_village, MAX(updated_at_ms) AS at_ms
             FROM listings WHERE status = 'active' AND producer != ''
             GROUP BY center_id, producer, producer_village
             ORDER BY at_ms DESC, center_id, producer, producer_village LIMIT ?1",
        )?;
        let rows =
            statement.query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })?;
        let mut out = Vec::new();
        for row in rows {
            let (center, name, village, at_ms) = row?;
            let Ok(center) = center.parse() else {
                return Err(StoreError::Corrupt("center id in listings".into()));
            };
            out.push((center, name, village, at_ms));
        }
        Ok(out)
    }

    /// All producers, by name then village.
    pub fn producers(&self) -> Result<Vec<ProducerRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PRODUCER_COLUMNS} FROM producers ORDER BY name, village, id"
        ))?;
        let rows = stmt.query_map([], producer_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One producer.
    pub fn producer(&self, id: i64) -> Result<Option<ProducerRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PRODUCER_COLUMNS} FROM producers WHERE id = ?1"
        ))?;
        Ok(stmt.query_row(params![id], producer_row).optional()?)
    }

    /// The producer with this name and village, other than `except`.
    pub fn producer_named(
        &self,
        name: &str,
        village: &str,
        except: Option<i64>,
    ) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM producers WHERE name = ?1 AND village = ?2 AND id IS NOT ?3",
                params![name, village, except],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// How many producers there are.
    pub fn producer_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM producers", [], |row| row.get(0))?;
        Ok(count.unsigned_abs())
    }

    /// Adds a producer; returns its number.
    pub fn insert_producer(
        &mut self,
        fields: &ProducerFields,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO producers (name, village, contact, bank_account, whatsapp,
               commission_bp, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                fields.name,
                fields.village,
                fields.contact,
                fields.bank_account,
                fields.whatsapp,
                fields.commission_bp,
                now_ms
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Replaces a producer's fields (sales already made keep the commission
    /// they were made with).
    pub fn update_producer(&mut self, id: i64, fields: &ProducerFields) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE producers SET name = ?2, village = ?3, contact = ?4, bank_account = ?5,
               whatsapp = ?6, commission_bp = ?7 WHERE id = ?1",
            params![
                id,
                fields.name,
                fields.village,
                fields.contact,
                fields.bank_account,
                fields.whatsapp,
                fields.commission_bp
            ],
        )?;
        Ok(())
    }

    /// Makes `listing` the producer's (`None`: nobody's).
    pub fn link_listing(&mut self, listing: &str, producer: Option<i64>) -> Result<(), StoreError> {
        match producer {
            Some(producer) => self.conn.execute(
                "INSERT INTO listing_producers (listing, producer) VALUES (?1, ?2)
                 ON CONFLICT (listing) DO UPDATE SET producer = excluded.producer",
                params![listing, producer],
            )?,
            None => self.conn.execute(
                "DELETE FROM listing_producers WHERE listing = ?1",
                params![listing],
            )?,
        };
        Ok(())
    }

    /// The producer of `listing`, if any.
    pub fn listing_producer(&self, listing: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT producer FROM listing_producers WHERE listing = ?1",
                params![listing],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// The listings linked to a producer.
    pub fn producer_listings(&self, producer: i64) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT listing FROM listing_producers WHERE producer = ?1 ORDER BY listing",
        )?;
        let rows = stmt.query_map(params![producer], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a payout; returns its number.
    pub fn insert_payout(
        &mut self,
        producer: i64,
        at_ms: i64,
        amount_idr: i64,
        method: &str,
        note: &str,
    ) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO producer_payouts (producer, at_ms, amount_idr, method, note)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![producer, at_ms, amount_idr, method, note],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Payouts to a producer with `from_ms <= at_ms < to_ms`, oldest first.
    pub fn payouts(
        &self,
        producer: i64,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<PayoutRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, producer, at_ms, amount_idr, method, note FROM producer_payouts
             WHERE producer = ?1 AND at_ms >= ?2 AND at_ms < ?3 ORDER BY at_ms, id",
        )?;
        let rows = stmt.query_map(params![producer, from_ms, to_ms], payout_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many payouts to a producer were recorded at or after `since_ms`.
    pub fn payouts_since(&self, producer: i64, since_ms: i64) -> Result<u64, StoreError> {
        let count: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM producer_payouts WHERE producer = ?1 AND at_ms >= ?2",
            params![producer, since_ms],
            |row| row.get(0),
        )?;
        Ok(count.unsigned_abs())
    }

    /// Everything paid to a producer before `before_ms` (saturating).
    pub fn paid_before(&self, producer: i64, before_ms: i64) -> Result<i64, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT amount_idr FROM producer_payouts WHERE producer = ?1 AND at_ms < ?2",
        )?;
        let mut rows = stmt.query(params![producer, before_ms])?;
        let mut total = 0_i64;
        while let Some(row) = rows.next()? {
            total = total.saturating_add(row.get::<_, i64>(0)?);
        }
        Ok(total)
    }

    /// The sales of a period added up per producer by SQL alone (exact integer sums: an overflow is an error, never a
    /// wrong figure; commission
    /// per line: `(gross × bp + 5 000) / 10 000`, the one rounding rule for
    /// amounts that are never negative), ordered with no producer last.
    pub fn sales_totals(&self, from_ms: i64, to_ms: i64) -> Result<Vec<SalesTotalRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT producer, COUNT(*), SUM(gross_idr),
                    SUM(CASE WHEN producer IS NULL THEN 0
                          ELSE (gross_idr * COALESCE(commission_bp, 0) + 5000) / 10000 END)
             FROM sales WHERE at_ms >= ?1 AND at_ms < ?2
             GROUP BY producer ORDER BY producer IS NULL, producer",
        )?;
        let rows = stmt.query_map(params![from_ms, to_ms], |row| {
            Ok(SalesTotalRow {
                producer: row.get(0)?,
                lines: row.get(1)?,
                gross_idr: row.get(2)?,
                commission_idr: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
