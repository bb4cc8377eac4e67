//! Storage of orders, their signed events, the pair outbox, the ledger and
//! settlements (schema version 3). Rows here are storage types; the wire types
//! live in `telecenter_protocol::order`.
//!
//! Ledger rows are immutable: SQLite triggers abort any UPDATE or DELETE, and
//! entries are inserted with `INSERT OR IGNORE` on their deterministic id, so
//! booking the same entry twice is a no-op.

use rusqlite::{OptionalExtension, Transaction, params};
use telecenter_protocol::CenterId;
use telecenter_protocol::order::{
    EntryKind, LedgerEntry, OrderId, OrderState, OrderTerms, Role, SignedMessage, Status,
};

use super::{Store, StoreError};

/// Every status word an order can have here, in the order people follow them:
/// the protocol's statuses and `refused` (a placement refused on arrival).
pub const ORDER_STATUS_WORDS: [&str; 7] = [
    "placed",
    "accepted",
    "shipped",
    "completed",
    "rejected",
    "cancelled",
    "refused",
];

/// An order as this node holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRow {
    /// The order as its (final and proposed) events define it.
    pub state: OrderState,
    /// This node's side.
    pub role: Role,
    /// The other center.
    pub counterpart: CenterId,
    /// `true` when the seller refused the placement itself: the order never
    /// existed on the seller's node.
    pub refused: bool,
    /// When it completed (completing event's time).
    pub completed_at_ms: Option<i64>,
    /// This node's steps the other side has not taken in yet (buyer only), e.g. `cancel`.
    pub pending: Option<String>,
    /// The last refusal or conflict, in plain words.
    pub problem: Option<String>,
}

impl OrderRow {
    /// The status word shown to people and programs: the protocol status, or
    /// `refused` for a placement the seller turned down.
    pub fn status_word(&self) -> &'static str {
        if self.refused {
            "refused"
        } else {
            self.state.status.word()
        }
    }
}

/// One stored order event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    /// The order.
    pub order: OrderId,
    /// Position in the chain.
    pub seq: u32,
    /// Hex SHA-256 of the body.
    pub hash: String,
    /// The signed message exactly as made or received.
    pub message: SignedMessage,
    /// A buyer's step the seller has not yet taken in.
    pub proposed: bool,
}

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

/// A settlement payment and its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettlementRow {
    /// Its id.
    pub id: OrderId,
    /// The other center.
    pub counterpart: CenterId,
    /// Who paid.
    pub payer: CenterId,
    /// Who received.
    pub payee: CenterId,
    /// Amount, whole rupiah.
    pub amount_idr: i64,
    /// Bank reference or note.
    pub reference: String,
    /// `waiting`, `confirmed` or `declined`.
    pub status: String,
    /// Why it was declined.
    pub reason: Option<String>,
    /// Hash of the payment message.
    pub payment_hash: String,
    /// The payer's signed payment.
    pub payment: SignedMessage,
    /// The payee's signed answer.
    pub reply: Option<SignedMessage>,
    /// When the payment was recorded.
    pub at_ms: i64,
    /// When it was answered.
    pub answered_at_ms: Option<i64>,
    /// For a correction (not a payment): the center owed the amount.
    pub correction_owed_to: Option<CenterId>,
}

/// A ledger entry with the counterpart from this node's point of view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryRow {
    /// The other center of the pair.
    pub counterpart: CenterId,
    /// The entry, identical on both nodes.
    pub entry: LedgerEntry,
}

/// Everything one order or settlement step writes, inside the same transaction
/// as any catalog change it causes (e.g. stock reserved on accept).
#[derive(Clone, Debug, Default)]
pub struct PairWrite {
    /// Order to insert or update.
    pub order: Option<OrderRow>,
    /// Proposed events to drop first: (order, from seq).
    pub drop_proposed_from: Option<(OrderId, u32)>,
    /// Events to insert (an existing one at the same position is replaced only
    /// if it was proposed).
    pub events: Vec<EventRow>,
    /// Proposed events now taken in by the seller: (order, seq).
    pub finalize: Vec<(OrderId, u32)>,
    /// Messages to queue: (to, hash, message).
    pub outbox: Vec<(CenterId, String, SignedMessage)>,
    /// Answered messages to drop from the outbox: (to, hash).
    pub outbox_done: Vec<(CenterId, String)>,
    /// Ledger entries to book.
    pub ledger: Vec<EntryRow>,
    /// Settlement to insert or update.
    pub settlement: Option<SettlementRow>,
    /// A refusal to remember, so the same message always gets the same answer:
    /// (from, hash, code, message).
    pub refusal: Option<(CenterId, String, String, String)>,
}

impl PairWrite {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.order.is_none()
            && self.drop_proposed_from.is_none()
            && self.events.is_empty()
            && self.finalize.is_empty()
            && self.outbox.is_empty()
            && self.outbox_done.is_empty()
            && self.ledger.is_empty()
            && self.settlement.is_none()
            && self.refusal.is_none()
    }
}

fn role_word(role: Role) -> &'static str {
    match role {
        Role::Buyer => "buyer",
        Role::Seller => "seller",
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("orders: bad {what}"))
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn parse_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|_| corrupt(what))
}

fn parse<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, StoreError> {
    text.parse().map_err(|_| corrupt(what))
}

/// Writes `write` inside the caller's transaction.
pub(super) fn apply(
    tx: &Transaction<'_>,
    write: &PairWrite,
    now_ms: i64,
) -> Result<(), StoreError> {
    if let Some(order) = &write.order {
        let s = &order.state;
        tx.execute(
            "INSERT INTO orders (order_id, role, counterpart, status, seq, head, terms, gross_idr,
               fee_idr, placed_at_ms, updated_at_ms, completed_at_ms, pending, problem)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, seq = excluded.seq,
               head = excluded.head, updated_at_ms = excluded.updated_at_ms,
               completed_at_ms = excluded.completed_at_ms, pending = excluded.pending,
               problem = excluded.problem",
            params![
                s.id.as_str(),
                role_word(order.role),
                order.counterpart.to_string(),
                order.status_word(),
                s.seq,
                s.head,
                json(&s.terms)?,
                s.terms.gross_idr(),
                s.terms.fee_idr(),
                s.placed_at_ms,
                s.updated_at_ms,
                order.completed_at_ms,
                order.pending,
                order.problem,
            ],
        )?;
    }
    if let Some((order, seq)) = &write.drop_proposed_from {
        tx.execute(
            "DELETE FROM order_events WHERE order_id = ?1 AND seq >= ?2 AND proposed = 1",
            params![order.as_str(), seq],
        )?;
    }
    for event in &write.events {
        tx.execute(
            "DELETE FROM order_events WHERE order_id = ?1 AND seq = ?2 AND proposed = 1",
            params![event.order.as_str(), event.seq],
        )?;
        tx.execute(
            "INSERT INTO order_events (order_id, seq, hash, message, proposed, stored_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                event.order.as_str(),
                event.seq,
                event.hash,
                json(&event.message)?,
                event.proposed,
                now_ms
            ],
        )?;
    }
    for (order, seq) in &write.finalize {
        tx.execute(
            "UPDATE order_events SET proposed = 0 WHERE order_id = ?1 AND seq = ?2",
            params![order.as_str(), seq],
        )?;
    }
    for (to, hash, message) in &write.outbox {
        tx.execute(
            "INSERT OR IGNORE INTO outbox (counterpart, hash, message, created_at_ms)
             VALUES (?1, ?2, ?3, ?4)",
            params![to.to_string(), hash, json(message)?, now_ms],
        )?;
    }
    for (to, hash) in &write.outbox_done {
        tx.execute(
            "DELETE FROM outbox WHERE counterpart = ?1 AND hash = ?2",
            params![to.to_string(), hash],
        )?;
    }
    for row in &write.ledger {
        let e = &row.entry;
        tx.execute(
            "INSERT OR IGNORE INTO ledger (entry_id, counterpart, kind, creditor, debtor,
               amount_idr, order_id, settlement_id, at_ms, booked_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                e.id,
                row.counterpart.to_string(),
                e.kind.word(),
                e.creditor.to_string(),
                e.debtor.to_string(),
                e.amount_idr,
                e.order.as_ref().map(OrderId::as_str),
                e.settlement.as_ref().map(OrderId::as_str),
                e.at_ms,
                now_ms
            ],
        )?;
    }
    if let Some((from, hash, code, message)) = &write.refusal {
        tx.execute(
            "INSERT OR IGNORE INTO pair_refusals (hash, counterpart, code, message, at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![hash, from.to_string(), code, message, now_ms],
        )?;
    }
    if let Some(s) = &write.settlement {
        tx.execute(
            "INSERT INTO settlements (settlement_id, counterpart, payer, payee, amount_idr,
               reference, status, reason, payment_hash, payment, reply, at_ms, answered_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (settlement_id) DO UPDATE SET status = excluded.status,
               reason = excluded.reason, reply = excluded.reply,
               answered_at_ms = excluded.answered_at_ms",
            params![
                s.id.as_str(),
                s.counterpart.to_string(),
                s.payer.to_string(),
                s.payee.to_string(),
                s.amount_idr,
                s.reference,
                s.status,
                s.reason,
                s.payment_hash,
                json(&s.payment)?,
                s.reply.as_ref().map(json).transpose()?,
                s.at_ms,
                s.answered_at_ms,
            ],
        )?;
    }
    Ok(())
}

const ORDER_COLUMNS: &str = "order_id, role, counterpart, status, seq, head, terms, placed_at_ms,
    updated_at_ms, completed_at_ms, pending, problem";

type RawOrder = (
    String,
    String,
    String,
    String,
    u32,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
);

fn raw_order(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawOrder> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
        row.get(10)?,
        row.get(11)?,
    ))
}

fn order_row(raw: RawOrder) -> Result<OrderRow, StoreError> {
    let (
        id,
        role,
        counterpart,
        status,
        seq,
        head,
        terms,
        placed,
        updated,
        completed,
        pending,
        problem,
    ) = raw;
    let refused = status == "refused";
    let status: Status = if refused {
        Status::Placed
    } else {
        parse(&status, "status")?
    };
    let terms: OrderTerms = parse_json(&terms, "terms")?;
    Ok(OrderRow {
        state: OrderState {
            id: parse(&id, "order id")?,
            terms,
            status,
            seq,
            head,
            placed_at_ms: placed,
            updated_at_ms: updated,
        },
        role: match role.as_str() {
            "buyer" => Role::Buyer,
            "seller" => Role::Seller,
            _ => return Err(corrupt("role")),
        },
        counterpart: parse(&counterpart, "counterpart")?,
        refused,
        completed_at_ms: completed,
        pending,
        problem,
    })
}

/// The center a settlement message names as owed, when it is a correction.
fn correction_of(message: &SignedMessage) -> Option<CenterId> {
    match serde_json::from_str(&message.body) {
        Ok(telecenter_protocol::order::Body::SettlementPayment(p)) => p.correction_owed_to,
        _ => None,
    }
}

/// Which orders to list.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    /// Only orders with this counterpart.
    pub counterpart: Option<CenterId>,
    /// Only orders in these statuses (status words, `refused` included).
    pub statuses: Vec<String>,
    /// Only orders where this node has this role.
    pub role: Option<Role>,
    /// At most this many, newest first (0: all).
    pub limit: u32,
    /// Only orders completed at or after the first and before the second time (UTC ms).
    pub completed_between: Option<(i64, i64)>,
}

impl Store {
    /// One order.
    pub fn order(&self, id: &OrderId) -> Result<Option<OrderRow>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = ?1"),
                params![id.as_str()],
                raw_order,
            )
            .optional()?
            .map(order_row)
            .transpose()
    }

    /// Orders, newest first.
    pub fn orders(&self, filter: &OrderFilter) -> Result<Vec<OrderRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders
             WHERE (?1 IS NULL OR counterpart = ?1)
               AND (?2 IS NULL OR completed_at_ms >= ?2) AND (?3 IS NULL OR completed_at_ms < ?3)
               AND (?4 IS NULL OR status IN (SELECT value FROM json_each(?4)))
               AND (?5 IS NULL OR role = ?5)
             ORDER BY placed_at_ms DESC, order_id LIMIT ?6"
        ))?;
        let (from, to) = filter.completed_between.unzip();
        let counterpart = filter.counterpart.map(|c| c.to_string());
        let statuses = (!filter.statuses.is_empty())
            .then(|| json(&filter.statuses))
            .transpose()?;
        let role = filter.role.map(role_word);
        let limit = if filter.limit == 0 {
            -1
        } else {
            i64::from(filter.limit)
        };
        let mut out = Vec::new();
        let params = params![counterpart, from, to, statuses, role, limit];
        for raw in stmt.query_map(params, raw_order)? {
            out.push(order_row(raw?)?);
        }
        Ok(out)
    }

    /// The events of an order in chain order.
    pub fn order_events(&self, id: &OrderId) -> Result<Vec<EventRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, hash, message, proposed FROM order_events WHERE order_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![id.as_str()], |row| {
            Ok((
                row.get::<_, u32>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, bool>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, hash, message, proposed) = row?;
            out.push(EventRow {
                order: id.clone(),
                seq,
                hash,
                message: parse_json(&message, "event message")?,
                proposed,
            });
        }
        Ok(out)
    }

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

    /// How many placements from `counterpart` (orders it placed with this center)
    /// were stored at or after `since_ms`.
    pub fn placements_since(
        &self,
        counterpart: &CenterId,
        since_ms: i64,
    ) -> Result<u64, StoreError> {
        let count: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM order_events e JOIN orders o ON o.order_id = e.order_id
              WHERE e.seq = 0 AND e.stored_at_ms >= ?2
                AND o.counterpart = ?1 AND o.role = 'seller'",
            params![counterpart.to_string(), since_ms],
            |row| row.get(0),
        )?;
        Ok(count.unsigned_abs())
    }

    /// Orders with `counterpart` that are not final, and its unanswered settlements.
    pub fn open_with(&self, counterpart: &CenterId) -> Result<(u64, u64), StoreError> {
        let orders: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM orders WHERE counterpart = ?1
               AND status NOT IN ('completed', 'rejected', 'cancelled', 'refused')",
            params![counterpart.to_string()],
            |row| row.get(0),
        )?;
        let settlements: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM settlements WHERE counterpart = ?1 AND status = 'waiting'",
            params![counterpart.to_string()],
            |row| row.get(0),
        )?;
        Ok((orders.unsigned_abs(), settlements.unsigned_abs()))
    }

    /// Counterparts of orders that are not final or of settlements not answered.
    pub fn open_counterparts(&self) -> Result<Vec<CenterId>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT counterpart FROM orders WHERE status NOT IN ('completed', 'rejected', 'cancelled', 'refused')
             UNION SELECT counterpart FROM settlements WHERE status = 'waiting'",
        )?;
        let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(parse(&row?, "counterpart")?);
        }
        Ok(out)
    }

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

    /// One settlement.
    pub fn settlement(&self, id: &OrderId) -> Result<Option<SettlementRow>, StoreError> {
        Ok(self
            .settlements_where("settlement_id = ?1", id.as_str())?
            .into_iter()
            .next())
    }

    /// Settlements, newest first; with `counterpart` only those.
    pub fn settlements(
        &self,
        counterpart: Option<&CenterId>,
    ) -> Result<Vec<SettlementRow>, StoreError> {
        match counterpart {
            Some(c) => self.settlements_where("counterpart = ?1", &c.to_string()),
            None => self.settlements_where("?1 = ?1", ""),
        }
    }

    fn settlements_where(
        &self,
        condition: &str,
        value: &str,
    ) -> Result<Vec<SettlementRow>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT settlement_id, counterpart, payer, payee, amount_idr, reference, status, reason,
               payment_hash, payment, reply, at_ms, answered_at_ms
             FROM settlements WHERE {condition} ORDER BY at_ms DESC, settlement_id"
        ))?;
        let rows = stmt.query_map(params![value], |row| {
            Ok((
                (
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, String>(6)?,
                ),
                (
                    row.get::<_, Option<String>>(7)?,
                    row.get::<_, String>(8)?,
                    row.get::<_, String>(9)?,
                    row.get::<_, Option<String>>(10)?,
                    row.get::<_, i64>(11)?,
                    row.get::<_, Option<i64>>(12)?,
                ),
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let ((id, counterpart, payer, payee, amount_idr, reference, status), rest) = row?;
            let (reason, payment_hash, payment, reply, at_ms, answered_at_ms) = rest;
            out.push(SettlementRow {
                id: parse(&id, "settlement id")?,
                counterpart: parse(&counterpart, "settlement counterpart")?,
                payer: parse(&payer, "payer")?,
                payee: parse(&payee, "payee")?,
                amount_idr,
                reference,
                status,
                reason,
                payment_hash,
                payment: parse_json(&payment, "payment")?,
                reply: reply.map(|r| parse_json(&r, "reply")).transpose()?,
                at_ms,
                answered_at_ms,
                correction_owed_to: None,
            });
            let last = out.len() - 1;
            out[last].correction_owed_to = correction_of(&out[last].payment);
        }
        Ok(out)
    }
}
