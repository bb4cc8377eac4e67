//! Everything one order or settlement step writes (orders, events, outbox,
//! ledger, settlement, refusal), applied inside the caller's transaction.

use rusqlite::{Transaction, params};
use telecenter_protocol::CenterId;
use telecenter_protocol::order::{OrderId, SignedMessage};

use super::columns::json;
use super::orders::role_word;
use super::{EntryRow, EventRow, OrderRow, SettlementRow, StoreError};

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
    /// A buyer request this step answers (an order placed for it, a local sale).
    pub request: Option<super::requests::RequestWrite>,
    /// A sale this center made (an order it sold completed), recorded once.
    pub sale: Option<super::NewSale>,
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
            && self.request.is_none()
            && self.sale.is_none()
    }
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
    if let Some(request) = &write.request {
        super::requests::apply(tx, request, now_ms)?;
    }
    if let Some((from, hash, code, message)) = &write.refusal {
        tx.execute(
            "INSERT OR IGNORE INTO pair_refusals (hash, counterpart, code, message, at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![hash, from.to_string(), code, message, now_ms],
        )?;
    }
    if let Some(sale) = &write.sale {
        super::sales::insert_sale(tx, sale)?;
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
