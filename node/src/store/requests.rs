//! Buyer requests (schema version 7): what buyers ask for with the "Pesan" form
//! of a product page, kept only on this node, and what the operator made of
//! each (an order to the selling center, a local sale, or a refusal). The
//! buyer's status-page token is stored only as its SHA-256.

use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::{Store, StoreError};

/// What became of a buyer request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Waiting for the operator.
    New,
    /// Turned into an order to the selling center.
    Ordered,
    /// Sold here (this center's own product).
    Sold,
    /// Declined, with a reason.
    Declined,
}

impl RequestStatus {
    /// The stored word.
    pub fn word(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Ordered => "ordered",
            Self::Sold => "sold",
            Self::Declined => "declined",
        }
    }

    /// The status for a stored word.
    pub fn from_word(word: &str) -> Option<Self> {
        [Self::New, Self::Ordered, Self::Sold, Self::Declined]
            .into_iter()
            .find(|s| s.word() == word)
    }
}

/// One buyer request as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRow {
    /// The short readable code (8 Crockford base32 characters).
    pub code: String,
    /// SHA-256 of the status-page token, lowercase hex.
    pub token_sha256: String,
    /// When it was sent (UTC ms).
    pub created_ms: i64,
    /// When it last changed (UTC ms).
    pub updated_ms: i64,
    /// The selling center (`tc1…`).
    pub seller_center: String,
    /// The listing id in the seller's catalog.
    pub listing: String,
    /// Snapshot: title (Indonesian).
    pub title: String,
    /// Snapshot: unit.
    pub unit: String,
    /// Snapshot: producer.
    pub producer: String,
    /// Snapshot: price per unit.
    pub unit_price_idr: i64,
    /// Units asked for.
    pub quantity: i64,
    /// Buyer's name.
    pub buyer_name: String,
    /// Buyer's WhatsApp number, `+62…`.
    pub buyer_phone: String,
    /// Pick-up at this center (else delivery).
    pub pickup: bool,
    /// The delivery note (or a note for pick-up).
    pub delivery_note: String,
    /// What became of it.
    pub status: RequestStatus,
    /// The order it became, if any.
    pub order_id: Option<String>,
    /// Why it was declined ("" otherwise).
    pub reason: String,
}

/// What one action on a request writes, inside the transaction of the step
/// that causes it (an order placement, or the stock edit of a local sale).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestWrite {
    /// The request became the order `order_id`.
    Ordered {
        /// The request code.
        code: String,
        /// The order.
        order_id: String,
    },
    /// The request became a local sale.
    Sold {
        /// The request code.
        code: String,
        /// The sale.
        sale: super::NewSale,
    },
}

const COLUMNS: &str = "code, token_sha256, created_ms, updated_ms, seller_center, listing, title,
    unit, producer, unit_price_idr, quantity, buyer_name, buyer_phone, pickup, delivery_note,
    status, order_id, reason";

fn row_of(row: &Row<'_>) -> rusqlite::Result<(RequestRow, String)> {
    let status: String = row.get(15)?;
    Ok((
        RequestRow {
            code: row.get(0)?,
            token_sha256: row.get(1)?,
            created_ms: row.get(2)?,
            updated_ms: row.get(3)?,
            seller_center: row.get(4)?,
            listing: row.get(5)?,
            title: row.get(6)?,
            unit: row.get(7)?,
            producer: row.get(8)?,
            unit_price_idr: row.get(9)?,
            quantity: row.get(10)?,
            buyer_name: row.get(11)?,
            buyer_phone: row.get(12)?,
            pickup: row.get::<_, i64>(13)? == 1,
            delivery_note: row.get(14)?,
            status: RequestStatus::New,
            order_id: row.get(16)?,
            reason: row.get(17)?,
        },
        status,
    ))
}

fn finish((mut row, status): (RequestRow, String)) -> Result<RequestRow, StoreError> {
    row.status = RequestStatus::from_word(&status)
        .ok_or_else(|| StoreError::Corrupt("buyer_requests: bad status".into()))?;
    Ok(row)
}

impl Store {
    /// Stores a new request unless `open_max` requests are already `new`;
    /// returns whether it was stored.
    pub fn insert_request(&mut self, row: &RequestRow, open_max: u64) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let open: i64 = tx.query_row(
            "SELECT COUNT(*) FROM buyer_requests WHERE status = 'new'",
            [],
            |r| r.get(0),
        )?;
        if u64::try_from(open).unwrap_or(0) >= open_max {
            return Ok(false);
        }
        tx.execute(
            &format!(
                "INSERT INTO buyer_requests ({COLUMNS}) VALUES
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
            ),
            params![
                row.code,
                row.token_sha256,
                row.created_ms,
                row.updated_ms,
                row.seller_center,
                row.listing,
                row.title,
                row.unit,
                row.producer,
                row.unit_price_idr,
                row.quantity,
                row.buyer_name,
                row.buyer_phone,
                i64::from(row.pickup),
                row.delivery_note,
                row.status.word(),
                row.order_id,
                row.reason,
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// One request by its code.
    pub fn buyer_request(&self, code: &str) -> Result<Option<RequestRow>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM buyer_requests WHERE code = ?1"),
                params![code],
                row_of,
            )
            .optional()?
            .map(finish)
            .transpose()
    }

    /// Requests, `new` ones first, then newest first; only `status` if given;
    /// at most `limit`.
    pub fn buyer_requests(
        &self,
        status: Option<RequestStatus>,
        limit: u32,
    ) -> Result<Vec<RequestRow>, StoreError> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM buyer_requests WHERE (?1 IS NULL OR status = ?1)
             ORDER BY status = 'new' DESC, created_ms DESC, code LIMIT ?2"
        ))?;
        let rows = statement
            .query_map(params![status.map(RequestStatus::word), limit], row_of)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(finish).collect()
    }

    /// How many requests wait for the operator.
    pub fn open_requests(&self) -> Result<u64, StoreError> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM buyer_requests WHERE status = 'new'",
            [],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The gross of the local sale a request became, if any.
    #[cfg(test)]
    pub fn local_sale_gross(&self, code: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT gross_idr FROM sales WHERE kind = 'local' AND ref = ?1",
                params![code],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Declines a `new` request; returns whether it was `new`.
    pub fn decline_request(
        &mut self,
        code: &str,
        reason: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let changed = self.conn.execute(
            "UPDATE buyer_requests SET status = 'declined', reason = ?2, updated_ms = ?3
             WHERE code = ?1 AND status = 'new'",
            params![code, reason, now_ms],
        )?;
        Ok(changed == 1)
    }
}

/// Writes `write` inside the caller's transaction. The caller checked, under
/// the writer lock, that the request is `new`; a request that is not is a fault.
pub(super) fn apply(
    tx: &Transaction<'_>,
    write: &RequestWrite,
    now_ms: i64,
) -> Result<(), StoreError> {
    let changed = match write {
        RequestWrite::Ordered { code, order_id } => tx.execute(
            "UPDATE buyer_requests SET status = 'ordered', order_id = ?2, updated_ms = ?3
             WHERE code = ?1 AND status = 'new'",
            params![code, order_id, now_ms],
        )?,
        RequestWrite::Sold { code, sale } => {
            if !super::sales::insert_sale(tx, sale)? {
                return Err(StoreError::Corrupt(
                    "sales: the request was already sold".into(),
                ));
            }
            tx.execute(
                "UPDATE buyer_requests SET status = 'sold', updated_ms = ?2
                 WHERE code = ?1 AND status = 'new'",
                params![code, now_ms],
            )?
        }
    };
    if changed != 1 {
        return Err(StoreError::Corrupt(
            "buyer_requests: the request was not waiting".into(),
        ));
    }
    Ok(())
}
