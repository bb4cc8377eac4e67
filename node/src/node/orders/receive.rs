//! Taking in pair messages from another center: rate, signature, date and sender
//! checks, then placements, order steps and settlement messages.

use telecenter_protocol::CenterId;
use telecenter_protocol::catalog::ListingStatus;
use telecenter_protocol::limits::{
    OPEN_ORDERS_PER_CENTER_MAX, PAIR_BATCH_MESSAGES_MAX, PAIR_MESSAGE_AHEAD_MS_MAX,
    PAIR_MESSAGES_PER_CENTER_PER_MINUTE_MAX, PLACEMENTS_PER_CENTER_PER_DAY_MAX, REASON_CHARS_MAX,
    REFUSALS_PER_CENTER_MAX, WAITING_SETTLEMENTS_PER_CENTER_MAX,
};
use telecenter_protocol::order::{
    Action, Body, OrderEvent, OrderState, Role, SignedMessage, Status, TIME_MS_MIN,
    VerifiedMessage, check_time,
};
use telecenter_protocol::pair::MessageStatus;
use telecenter_protocol::text::text_line;

use crate::node::{Node, NodeError, Writer, lock};
use crate::store::{EventRow, OrderRow, PairWrite, SettlementRow};

use super::ledger::{complete, confirm};
use super::place::orderable;
use super::settlements::settlement_of;
use super::{MessageResult, event_of, problem, replay, rupiah};

/// The author's time on a pair message body.
fn dated(body: &Body) -> i64 {
    match body {
        Body::OrderEvent(event) => event.at_ms,
        Body::SettlementPayment(payment) => payment.at_ms,
        Body::SettlementReply(reply) => reply.at_ms,
    }
}

/// One day, in ms: the window of [`PLACEMENTS_PER_CENTER_PER_DAY_MAX`].
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Node {
    /// Takes in pair messages that `from` sent directly; returns one result per
    /// message. Nothing is trusted before its signature verifies, and a message
    /// must be signed by the center that sent it.
    pub fn pair_receive(
        &self,
        from: &CenterId,
        messages: Vec<SignedMessage>,
    ) -> Vec<MessageResult> {
        let mut results = Vec::with_capacity(messages.len().min(PAIR_BATCH_MESSAGES_MAX));
        let mut wrote = false;
        let now = self.clock.now_ms();
        for signed in messages.into_iter().take(PAIR_BATCH_MESSAGES_MAX) {
            let hash = telecenter_protocol::order::body_hash(&signed.body);
            if !self.pair_rate.admit(from, now) {
                results.push(MessageResult::later(
                    &hash,
                    "too_fast",
                    format!(
                        "at most {PAIR_MESSAGES_PER_CENTER_PER_MINUTE_MAX} messages a minute are taken in from your center; the rest wait for the next exchange"
                    ),
                ));
                continue;
            }
            let result = match signed.verify() {
                Err(e) => MessageResult::refused(&hash, e.code(), e.to_string()),
                // Kept out until the receiver's clock reaches it (a far future date
                // would keep its ledger entries out of every monthly report).
                Ok(verified)
                    if dated(&verified.body) > now.saturating_add(PAIR_MESSAGE_AHEAD_MS_MAX) =>
                {
                    MessageResult::later(
                        &hash,
                        "from_the_future",
                        format!(
                            "the message is dated {}, more than 5 minutes after this center's clock ({}); check the clocks",
                            crate::clock::rfc3339_utc(dated(&verified.body)),
                            crate::clock::rfc3339_utc(now)
                        ),
                    )
                }
                Ok(verified) if verified.signed.signer != *from => MessageResult::refused(
                    &hash,
                    "not_sender",
                    format!(
                        "a pair message must be signed by the center that sealed it; this one was signed by {}, not by {from}",
                        verified.signed.signer
                    ),
                ),
                Ok(verified) => match self.receive_one(from, &verified) {
                    Ok(result) => {
                        wrote |= result.status == MessageStatus::Appended;
                        result
                    }
                    Err(NodeError::Order { code, message }) => {
                        self.remember_refusal(from, &verified, code, &message);
                        MessageResult::refused(&hash, code, message)
                    }
                    Err(NodeError::Invalid(e)) => {
                        self.remember_refusal(from, &verified, e.code, &e.message);
                        MessageResult::refused(&hash, e.code, e.message)
                    }
                    Err(error) => {
                        tracing::error!(%error, "pair message could not be stored");
                        MessageResult::ok(&hash, MessageStatus::Later)
                    }
                },
            };
            if result.status == MessageStatus::Refused {
                tracing::info!(%from, code = ?result.code, message = ?result.message, "pair message refused");
            }
            results.push(result);
        }
        if wrote {
            self.after_pair_write();
        }
        results
    }

    /// Remembers the refusal of a placement or a payment, so that the same
    /// message, if it comes again (e.g. in a crossing exchange), gets the same
    /// answer even when stock, price or trust changed meanwhile: the sender has
    /// already dropped it.
    fn remember_refusal(&self, from: &CenterId, message: &VerifiedMessage, code: &str, text: &str) {
        let sticky = matches!(
            &message.body,
            Body::OrderEvent(OrderEvent { seq: 0, .. }) | Body::SettlementPayment(_)
        );
        if !sticky {
            return;
        }
        let mut writer = lock(&self.writer);
        let full = writer
            .store
            .refusal_count(from)
            .map_or(true, |n| n >= REFUSALS_PER_CENTER_MAX);
        if full {
            return;
        }
        let write = PairWrite {
            refusal: Some((
                *from,
                message.hash.clone(),
                code.to_owned(),
                text.to_owned(),
            )),
            ..Default::default()
        };
        if let Err(error) = self.commit_pair(&mut writer, write) {
            tracing::error!(%error, "a refusal could not be remembered");
        }
    }

    fn receive_one(
        &self,
        from: &CenterId,
        message: &VerifiedMessage,
    ) -> Result<MessageResult, NodeError> {
        let mut writer = lock(&self.writer);
        let hash = message.hash.as_str();
        if let Some((code, text)) = writer.store.refusal(hash)? {
            return Ok(MessageResult::with_reason(
                hash,
                MessageStatus::Refused,
                code,
                text,
            ));
        }
        match &message.body {
            Body::OrderEvent(event) if event.seq == 0 => {
                self.receive_placement(&mut writer, from, message, event)
            }
            Body::OrderEvent(event) => self.receive_step(&mut writer, from, message, event),
            Body::SettlementPayment(payment) => {
                if payment.payee != self.center_id() {
                    return Err(problem(
                        "not_for_this_center",
                        "this settlement is for another center",
                    ));
                }
                payment.validate()?;
                check_time(payment.at_ms, TIME_MS_MIN).map_err(|m| problem("bad_field", m))?;
                if let Some(existing) = writer.store.settlement(&payment.id)? {
                    return Ok(if existing.payment_hash == hash {
                        MessageResult::ok(hash, MessageStatus::Duplicate)
                    } else {
                        MessageResult::refused(
                            hash,
                            "id_in_use",
                            "settlement id already used".into(),
                        )
                    });
                }
                if writer.store.open_with(from)?.1 >= WAITING_SETTLEMENTS_PER_CENTER_MAX {
                    return Err(problem(
                        "too_many_waiting",
                        format!(
                            "{WAITING_SETTLEMENTS_PER_CENTER_MAX} payments from your center already wait for an answer here"
                        ),
                    ));
                }
                let row = SettlementRow::waiting(payment, *from, hash, message.signed.clone());
                self.commit_pair(
                    &mut writer,
                    PairWrite {
                        settlement: Some(row),
                        ..Default::default()
                    },
                )?;
                Ok(MessageResult::ok(hash, MessageStatus::Appended))
            }
            Body::SettlementReply(reply) => {
                let Some(mut row) = writer.store.settlement(&reply.id)? else {
                    return Err(problem(
                        "unknown_settlement",
                        format!("no settlement {} here", reply.id),
                    ));
                };
                if row.payer != self.center_id()
                    || row.payee != *from
                    || reply.payment != row.payment_hash
                {
                    return Err(problem(
                        "not_a_party",
                        "this answer does not match a payment this center recorded for the sender",
                    ));
                }
                if let Some(existing) = &row.reply {
                    return Ok(
                        if telecenter_protocol::order::body_hash(&existing.body) == hash {
                            MessageResult::ok(hash, MessageStatus::Duplicate)
                        } else {
                            MessageResult::refused(
                                hash,
                                "already_answered",
                                "this payment was answered already".into(),
                            )
                        },
                    );
                }
                let payment = settlement_of(&row.payment)?;
                check_time(reply.at_ms, payment.at_ms).map_err(|m| problem("bad_field", m))?;
                let reason = match (&reply.reason, reply.confirmed) {
                    (Some(r), _) => Some(text_line("reason", r, 1, REASON_CHARS_MAX)?),
                    (None, false) => {
                        return Err(problem("bad_field", "a declined payment needs a reason"));
                    }
                    (None, true) => None,
                };
                if reason.is_some() != reply.reason.is_some() || reason != reply.reason {
                    return Err(problem("bad_field", "the reason is not in normal form"));
                }
                let mut pair = PairWrite::default();
                if reply.confirmed {
                    confirm(&mut row, *from, &payment, reply.at_ms, &mut pair);
                } else {
                    row.status = "declined".into();
                    row.reason = reply.reason.clone();
                }
                row.reply = Some(message.signed.clone());
                row.answered_at_ms = Some(reply.at_ms);
                pair.settlement = Some(row);
                self.commit_pair(&mut writer, pair)?;
                Ok(MessageResult::ok(hash, MessageStatus::Appended))
            }
        }
    }

    fn receive_placement(
        &self,
        writer: &mut Writer,
        from: &CenterId,
        message: &VerifiedMessage,
        event: &OrderEvent,
    ) -> Result<MessageResult, NodeError> {
        let hash = message.hash.as_str();
        if let Some(existing) = writer.store.order(&event.order)? {
            let first = writer.store.order_events(&event.order)?;
            return Ok(match first.first() {
                Some(e) if e.hash == hash && existing.counterpart == *from => {
                    MessageResult::ok(hash, MessageStatus::Duplicate)
                }
                _ => MessageResult::refused(
                    hash,
                    "id_in_use",
                    "this order id is already in use here".into(),
                ),
            });
        }
        let state = OrderState::start(event, hash).map_err(|e| problem(e.code(), e.to_string()))?;
        let terms = &state.terms;
        let own = self.center_id();
        if terms.seller_center != own {
            return Err(problem(
                "not_for_this_center",
                format!(
                    "the order is for {}, not for this center",
                    terms.seller_center
                ),
            ));
        }
        if writer.trust.get(from) == Some(&crate::store::TrustState::Blocked)
            || !writer.accepted.contains_key(from)
        {
            return Err(problem(
                "not_accepted",
                "this center does not accept orders from your center (not trusted here)",
            ));
        }
        let listing = writer
            .own
            .listing(&terms.listing)
            .map_err(|e| NodeError::Schema(e.to_string()))?
            .filter(|l| l.status != ListingStatus::Removed)
            .ok_or_else(|| {
                problem(
                    "unknown_listing",
                    format!("listing {} is not in this center's catalog", terms.listing),
                )
            })?;
        orderable(&listing, Some(terms.unit_price_idr), None)?;
        if listing.title.id != terms.title
            || listing.unit != terms.unit
            || listing.producer != terms.producer
        {
            return Err(problem(
                "listing_changed",
                format!(
                    "the listing now reads \"{}\", {}, by {}; order again with the current details",
                    listing.title.id, listing.unit, listing.producer
                ),
            ));
        }
        if writer.store.open_with(from)?.0 >= OPEN_ORDERS_PER_CENTER_MAX {
            return Err(problem(
                "too_many_open_orders",
                format!(
                    "{OPEN_ORDERS_PER_CENTER_MAX} orders from your center are still open here; finish some first"
                ),
            ));
        }
        let day_ago = self.clock.now_ms().saturating_sub(DAY_MS);
        if writer.store.placements_since(from, day_ago)? >= PLACEMENTS_PER_CENTER_PER_DAY_MAX {
            return Err(problem(
                "too_many_orders",
                format!(
                    "{PLACEMENTS_PER_CENTER_PER_DAY_MAX} orders from your center were taken in here in the last 24 hours; order again tomorrow"
                ),
            ));
        }
        let fees = writer
            .own
            .profile()
            .map_err(|e| NodeError::Schema(e.to_string()))?
            .fees;
        if fees != terms.fee {
            return Err(problem(
                "fee_terms_changed",
                format!(
                    "this center's referral fee is now {} % (minimum {}), the order says {} % (minimum {})",
                    telecenter_protocol::fee::percent_text(fees.referral_bp),
                    rupiah(fees.min_idr),
                    telecenter_protocol::fee::percent_text(terms.fee.referral_bp),
                    rupiah(terms.fee.min_idr)
                ),
            ));
        }
        orderable(&listing, None, Some(terms.quantity))?;
        let order = OrderRow {
            state,
            role: Role::Seller,
            counterpart: *from,
            refused: false,
            completed_at_ms: None,
            pending: None,
            problem: None,
        };
        self.commit_pair(
            writer,
            PairWrite {
                order: Some(order),
                events: vec![received(event, message)],
                ..Default::default()
            },
        )?;
        Ok(MessageResult::ok(hash, MessageStatus::Appended))
    }

    fn receive_step(
        &self,
        writer: &mut Writer,
        from: &CenterId,
        message: &VerifiedMessage,
        event: &OrderEvent,
    ) -> Result<MessageResult, NodeError> {
        let hash = message.hash.as_str();
        let Some(mut order) = writer.store.order(&event.order)? else {
            return Err(problem(
                "unknown_order",
                format!("no order {} here", event.order),
            ));
        };
        if order.counterpart != *from || event.by != *from {
            return Err(problem(
                "not_a_party",
                format!(
                    "center {from} is not the other party of order {}",
                    event.order
                ),
            ));
        }
        let events = writer.store.order_events(&event.order)?;
        if let Some(held) = events.iter().find(|e| e.seq == event.seq && !e.proposed) {
            return Ok(if held.hash == hash {
                MessageResult::ok(hash, MessageStatus::Duplicate)
            } else {
                MessageResult::refused(
                    hash,
                    "order_moved_on",
                    format!(
                        "order {} had already moved on: it is {}",
                        event.order,
                        order.status_word()
                    ),
                )
            });
        }
        let Some(final_state) = replay(&events, false)? else {
            // The buyer still waits for the seller to take in the placement.
            return Ok(MessageResult::ok(hash, MessageStatus::Later));
        };
        if event.seq > final_state.seq + 1 {
            return Ok(MessageResult::ok(hash, MessageStatus::Later));
        }
        let next = final_state
            .step(event, hash)
            .map_err(|e| problem(e.code(), e.to_string()))?;
        let mut pair = PairWrite::default();
        let dropped: Vec<&EventRow> = events
            .iter()
            .filter(|e| e.proposed && e.seq >= event.seq)
            .collect();
        if order.role == Role::Buyer && !dropped.is_empty() {
            // The seller sequences the order: its step wins over this node's
            // proposals made on the same state, which it will refuse.
            let actions: Vec<String> = dropped
                .iter()
                .filter_map(|e| event_of(&e.message).ok())
                .map(|e| e.action.word().to_owned())
                .collect();
            pair.drop_proposed_from = Some((event.order.clone(), event.seq));
            pair.outbox_done = dropped.iter().map(|e| (*from, e.hash.clone())).collect();
            order.problem = Some(format!(
                "your step ({}) was not taken: the other center had already chosen to {}",
                actions.join(", "),
                event.action.word()
            ));
            order.pending = None;
        }
        let previous = final_state.status;
        order.state = next;
        if event.action == Action::Complete {
            complete(&mut order, event.at_ms, &mut pair);
        }
        pair.events.push(received(event, message));
        pair.order = Some(order.clone());
        let return_stock = order.role == Role::Seller
            && previous == Status::Accepted
            && event.action == Action::Cancel;
        if return_stock {
            // Only the seller cancels an accepted order, so this does not happen
            // from a buyer's message; kept for safety.
            self.commit_with_stock(
                writer,
                &order.state.terms.listing,
                order.state.terms.quantity,
                pair,
            )?;
        } else {
            self.commit_pair(writer, pair)?;
        }
        Ok(MessageResult::ok(hash, MessageStatus::Appended))
    }
}

/// The stored row of an order event received from the other center.
fn received(event: &OrderEvent, message: &VerifiedMessage) -> EventRow {
    EventRow {
        order: event.order.clone(),
        seq: event.seq,
        hash: message.hash.clone(),
        message: message.signed.clone(),
        proposed: false,
    }
}
