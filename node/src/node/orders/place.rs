//! Placing an order as the buyer: checks against the seller's listing as held
//! here, then the signed placement into the outbox.

use telecenter_protocol::catalog::ListingStatus;
use telecenter_protocol::order::{
    Action, Body, Buyer, OrderEvent, OrderId, OrderState, OrderTerms, Payment, Role,
};

use crate::node::{Node, NodeError, lock};
use crate::store::{EventRow, OrderRow, PairWrite};

use super::{PlaceOrder, problem, rupiah};

impl Node {
    /// Places an order with another center's listing, as this (buyer) center.
    /// The order goes into the outbox at once; it is *placed* for the seller when
    /// the seller's node takes it in.
    pub fn place_order(&self, input: &PlaceOrder) -> Result<OrderRow, NodeError> {
        self.place_order_for(input, None)
    }

    /// [`Node::place_order`], answering buyer request `request` (which must
    /// still wait) in the same transaction.
    pub(in crate::node) fn place_order_for(
        &self,
        input: &PlaceOrder,
        request: Option<&str>,
    ) -> Result<OrderRow, NodeError> {
        let own = self.center_id();
        if input.seller == own {
            return Err(problem(
                "own_listing",
                "this listing is in your own catalog; sell it directly, no order between centers is needed",
            ));
        }
        let row = lock(&self.reader)
            .listing(&input.seller, &input.listing)?
            .ok_or(NodeError::UnknownListing {
                center: input.seller,
                listing: input.listing.clone(),
            })?;
        let listing = row.listing;
        orderable(&listing, input.unit_price_idr, None)?;
        let profile = self
            .center(&input.seller)?
            .ok_or(NodeError::UnknownListing {
                center: input.seller,
                listing: input.listing.clone(),
            })?;
        let terms = OrderTerms {
            buyer_center: own,
            seller_center: input.seller,
            listing: listing.id.clone(),
            title: listing.title.id.clone(),
            unit: listing.unit.clone(),
            producer: listing.producer.clone(),
            unit_price_idr: listing.price_idr,
            quantity: input.quantity,
            fee: profile.fees,
            payment: Payment {
                collected_by: input.payment_at,
                method: input.payment_method,
            },
            buyer: Buyer {
                name: input.buyer_name.clone(),
                phone: input.buyer_phone.clone(),
            },
            note: input.note.clone(),
        }
        .validate()?;
        orderable(&listing, None, Some(terms.quantity))?;
        let mut writer = lock(&self.writer);
        if let Some(code) = request {
            self.request_waits(&writer.store, code)?;
        }
        let id = OrderId::random(lock(&self.random).as_mut());
        if writer.store.order(&id)?.is_some() {
            return Err(NodeError::Internal("order id drawn twice".into()));
        }
        let event = OrderEvent {
            order: id.clone(),
            seq: 0,
            prev: None,
            by: own,
            at_ms: self.now_for_signing()?,
            action: Action::Place,
            reason: None,
            terms: Some(terms),
        };
        let (signed, hash) = self.sign_body(&Body::OrderEvent(event.clone()))?;
        let state =
            OrderState::start(&event, &hash).map_err(|e| NodeError::Internal(e.to_string()))?;
        let order = OrderRow {
            state,
            role: Role::Buyer,
            counterpart: input.seller,
            refused: false,
            completed_at_ms: None,
            pending: Some(Action::Place.word().to_owned()),
            problem: None,
        };
        let link = request.map(|code| crate::store::RequestWrite::Ordered {
            code: code.to_owned(),
            order_id: id.to_string(),
        });
        self.commit_pair(
            &mut writer,
            PairWrite {
                order: Some(order.clone()),
                events: vec![EventRow {
                    order: id,
                    seq: 0,
                    hash: hash.clone(),
                    message: signed.clone(),
                    proposed: true,
                }],
                outbox: vec![(input.seller, hash, signed)],
                request: link,
                ..Default::default()
            },
        )?;
        drop(writer);
        self.after_pair_write();
        Ok(order)
    }
}

/// Checks that `listing` can be ordered: active, at the `price` the order
/// names (if given), with at least `quantity` in stock (if given).
pub(super) fn orderable(
    listing: &telecenter_protocol::Listing,
    price: Option<i64>,
    quantity: Option<i64>,
) -> Result<(), NodeError> {
    if listing.status != ListingStatus::Active {
        return Err(problem(
            "not_for_sale",
            format!(
                "listing {} is {} and cannot be ordered",
                listing.id,
                listing.status.word()
            ),
        ));
    }
    if let Some(price) = price
        && price != listing.price_idr
    {
        return Err(problem(
            "price_changed",
            format!(
                "the price is now {} per {}, not {}; check it with the buyer and order again",
                rupiah(listing.price_idr),
                listing.unit,
                rupiah(price)
            ),
        ));
    }
    if let Some(quantity) = quantity
        && quantity > listing.stock
    {
        return Err(problem(
            "out_of_stock",
            format!(
                "only {} {} left in stock, {} ordered",
                listing.stock, listing.unit, quantity
            ),
        ));
    }
    Ok(())
}
