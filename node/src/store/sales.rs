//! The sales this center made on a producer's behalf (`sales`): written once per
//! sale (`UNIQUE (kind, ref)`: a completion that arrives twice is one sale), and
//! stamped with the listing's producer and commission by the trigger
//! `sales_take_producer` at that moment.

use rusqlite::{Transaction, params};

use super::{Store, StoreError};

/// A sale to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSale {
    /// `order` (a completed order where this center sold) or `local`.
    pub kind: &'static str,
    /// The order id or the request code.
    pub reference: String,
    /// When it was made, UTC ms.
    pub at_ms: i64,
    /// The listing sold (this center's).
    pub listing: String,
    /// Its title at the sale.
    pub title: String,
    /// Its unit.
    pub unit: String,
    /// Units sold (> 0).
    pub quantity: i64,
    /// Price of one unit, whole rupiah.
    pub unit_price_idr: i64,
}

/// A recorded sale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleRow {
    /// `order` or `local`.
    pub kind: String,
    /// The order id or request code.
    pub reference: String,
    /// When, UTC ms.
    pub at_ms: i64,
    /// The listing.
    pub listing: String,
    /// Its title at the sale.
    pub title: String,
    /// Its unit.
    pub unit: String,
    /// Units.
    pub quantity: i64,
    /// Price of one unit.
    pub unit_price_idr: i64,
    /// Quantity × unit price (saturating).
    pub gross_idr: i64,
    /// The producer at the sale, if the listing had one.
    pub producer: Option<i64>,
    /// Their commission at the sale, basis points.
    pub commission_bp: Option<u32>,
}

/// Records `sale` inside the caller's transaction; a sale already recorded
/// (same kind and reference) is left as it is. Returns whether it was new.
pub(super) fn insert_sale(tx: &Transaction<'_>, sale: &NewSale) -> Result<bool, StoreError> {
    let inserted = tx.execute(
        "INSERT OR IGNORE INTO sales (kind, ref, at_ms, listing, title, unit, quantity,
           unit_price_idr, gross_idr) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            sale.kind,
            sale.reference,
            sale.at_ms,
            sale.listing,
            sale.title,
            sale.unit,
            sale.quantity,
            sale.unit_price_idr,
            sale.unit_price_idr.saturating_mul(sale.quantity),
        ],
    )?;
    Ok(inserted > 0)
}

fn sale_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SaleRow> {
    Ok(SaleRow {
        kind: row.get(0)?,
        reference: row.get(1)?,
        at_ms: row.get(2)?,
        listing: row.get(3)?,
        title: row.get(4)?,
        unit: row.get(5)?,
        quantity: row.get(6)?,
        unit_price_idr: row.get(7)?,
        gross_idr: row.get(8)?,
        producer: row.get(9)?,
        commission_bp: row.get(10)?,
    })
}

impl Store {
    /// Records one sale in its own transaction (a local sale); returns whether
    /// it was new.
    pub fn record_sale(&mut self, sale: &NewSale) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let new = insert_sale(&tx, sale)?;
        tx.commit()?;
        Ok(new)
    }

    /// A producer's sales with `from_ms <= at_ms < to_ms` (`None`: the sales of
    /// listings with no producer), oldest first.
    pub fn producer_sales(
        &self,
        producer: Option<i64>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<SaleRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, ref, at_ms, listing, title, unit, quantity, unit_price_idr, gross_idr,
                    producer, commission_bp
             FROM sales WHERE producer IS ?1 AND at_ms >= ?2 AND at_ms < ?3
             ORDER BY at_ms, id",
        )?;
        let rows = stmt.query_map(params![producer, from_ms, to_ms], sale_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Folds `f` over a producer's sales before `before_ms` without holding
    /// them all in memory (the opening balance of a statement).
    pub fn fold_producer_sales<T>(
        &self,
        producer: i64,
        before_ms: i64,
        init: T,
        mut f: impl FnMut(T, &SaleRow) -> T,
    ) -> Result<T, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, ref, at_ms, listing, title, unit, quantity, unit_price_idr, gross_idr,
                    producer, commission_bp
             FROM sales WHERE producer = ?1 AND at_ms < ?2",
        )?;
        let mut rows = stmt.query(params![producer, before_ms])?;
        let mut acc = init;
        while let Some(row) = rows.next()? {
            acc = f(acc, &sale_row(row)?);
        }
        Ok(acc)
    }

    /// The recorded sale of `kind` and `reference`, if any.
    pub fn sale(&self, kind: &str, reference: &str) -> Result<Option<SaleRow>, StoreError> {
        use rusqlite::OptionalExtension;
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, ref, at_ms, listing, title, unit, quantity, unit_price_idr, gross_idr,
                    producer, commission_bp
             FROM sales WHERE kind = ?1 AND ref = ?2",
        )?;
        Ok(stmt
            .query_row(params![kind, reference], sale_row)
            .optional()?)
    }

    /// How many sales are recorded (tests and checks).
    pub fn sale_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM sales", [], |row| row.get(0))?;
        Ok(count.unsigned_abs())
    }
}
