//! An operator's step on an order (accept, reject, complete, cancel...), with the
//! seller's stock moved in the same transaction.

use telecenter_protocol::ListingId;
use telecenter_protocol::catalog::ListingStatus;
use telecenter_protocol::catalog::input::ListingPatch;
use telecenter_protocol::limits::{REASON_CHARS_MAX, STOCK_MAX};
use telecenter_protocol::order::{Action, Body, OrderEvent, OrderId, Role, Status};
use telecenter_protocol::text::text_line;

use crate::node::{Node, NodeError, Writer, lock};
use crate::store::{EventRow, OrderRow, PairWrite};

use super::ledger::complete;
use super::problem;

impl Node {
    /// Takes the next step of an order as this center: `accept`, `reject`, `ship`,
    /// `complete` or `cancel` (reject and cancel need a reason).
    pub fn order_step(
        &self,
        id: &OrderId,
        action: Action,
        reason: Option<&str>,
    ) -> Result<OrderRow, NodeError> {
        let reason = match (action, reason.map(str::trim).filter(|r| !r.is_empty())) {
            (Action::Reject | Action::Cancel, None) => {
                return Err(problem(
                    "reason_required",
                    format!("say why you {} this order (--reason)", action.word()),
                ));
            }
            (Action::Reject | Action::Cancel, Some(r)) => {
                Some(text_line("reason", r, 1, REASON_CHARS_MAX)?)
            }
            (_, _) => None,
        };
        if action == Action::Place {
            return Err(problem("not_allowed", "an order is placed only once"));
        }
        let mut writer = lock(&self.writer);
        let mut order = writer
            .store
            .order(id)?
            .ok_or_else(|| NodeError::NoSuchOrder(id.clone()))?;
        if order.refused {
            return Err(problem(
                "not_allowed",
                "the seller refused this order when it arrived; place a new one",
            ));
        }
        let own = self.center_id();
        let event = OrderEvent {
            order: id.clone(),
            seq: order.state.seq + 1,
            prev: Some(order.state.head.clone()),
            by: own,
            at_ms: self.now_for_signing()?,
            action,
            reason,
            terms: None,
        };
        let (signed, hash) = self.sign_body(&Body::OrderEvent(event.clone()))?;
        let next = order.state.step(&event, &hash).map_err(|e| match e {
            telecenter_protocol::order::StepError::NotAllowed { .. } => problem(
                "not_allowed",
                format!(
                    "this order is {}; as the {} center you cannot {} it now",
                    order.status_word(),
                    match order.role {
                        Role::Buyer => "buying",
                        Role::Seller => "selling",
                    },
                    action.word()
                ),
            ),
            other => problem(other.code(), other.to_string()),
        })?;
        let previous = order.state.status;
        order.state = next;
        order.problem = None;
        let mut pair = PairWrite {
            events: vec![EventRow {
                order: id.clone(),
                seq: event.seq,
                hash: hash.clone(),
                message: signed.clone(),
                proposed: order.role == Role::Buyer,
            }],
            outbox: vec![(order.counterpart, hash, signed)],
            ..Default::default()
        };
        match order.role {
            Role::Buyer => {
                order.pending = Some(action.word().to_owned());
                pair.order = Some(order.clone());
                self.commit_pair(&mut writer, pair)?;
            }
            Role::Seller => {
                if action == Action::Complete {
                    complete(&mut order, event.at_ms, &mut pair);
                }
                pair.order = Some(order.clone());
                let terms = &order.state.terms;
                let stock_change = match (previous, action) {
                    (Status::Placed, Action::Accept) => Some(-terms.quantity),
                    (Status::Accepted, Action::Cancel) => Some(terms.quantity),
                    _ => None,
                };
                match stock_change {
                    Some(delta) => {
                        self.commit_with_stock(&mut writer, &terms.listing, delta, pair)?
                    }
                    None => self.commit_pair(&mut writer, pair)?,
                }
            }
        }
        drop(writer);
        self.after_pair_write();
        Ok(order)
    }

    /// Commits `pair` together with a catalog change moving the listing's stock by
    /// `delta` (negative: reserve). Reserving more than is in stock is refused;
    /// returning stock to a listing removed since is skipped.
    pub(in crate::node) fn commit_with_stock(
        &self,
        writer: &mut Writer,
        listing: &ListingId,
        delta: i64,
        pair: PairWrite,
    ) -> Result<(), NodeError> {
        let current = writer
            .own
            .listing(listing)
            .map_err(|e| NodeError::Schema(e.to_string()))?;
        let current = match current {
            Some(l) if l.status != ListingStatus::Removed => l,
            _ if delta > 0 => return self.commit_pair(writer, pair),
            _ => {
                return Err(problem(
                    "listing_removed",
                    format!("listing {listing} was removed from your catalog; reject the order"),
                ));
            }
        };
        let stock = current.stock + delta;
        if stock < 0 {
            return Err(problem(
                "out_of_stock",
                format!(
                    "only {} {} in stock, the order needs {}; reject it or add stock first",
                    current.stock, current.unit, -delta
                ),
            ));
        }
        let patch = ListingPatch {
            stock: Some(stock.min(STOCK_MAX)),
            ..Default::default()
        }
        .validate()?;
        let id = listing.clone();
        self.commit_edit(
            writer,
            Box::new(move |doc, identity, _, now| {
                Ok(doc.update_listing(identity, &id, &patch, now)?)
            }),
            pair,
        )?;
        Ok(())
    }
}
