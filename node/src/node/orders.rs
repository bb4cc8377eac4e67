//! Orders between centers, pair messages, the ledger and settlements: the node
//! side of `telecenter_protocol::order`.
//!
//! Every step is one SQLite transaction holding the signed event, the order's
//! new state, the outgoing message in the outbox, any ledger entries and, on
//! the seller's side, the catalog change that reserves or returns stock. The
//! seller's node sequences each order: its own steps are final at once; the
//! buyer's are *proposed* until the seller's node answers that it took them in.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use telecenter_protocol::catalog::ListingStatus;

use telecenter_protocol::limits::{
    OPEN_ORDERS_PER_CENTER_MAX, PAIR_BATCH_MESSAGES_MAX, PAIR_MESSAGE_AHEAD_MS_MAX,
    PAIR_MESSAGES_PER_CENTER_PER_MINUTE_MAX, PAIR_SENDERS_TRACKED_MAX,
    PLACEMENTS_PER_CENTER_PER_DAY_MAX, REASON_CHARS_MAX, REFUSALS_PER_CENTER_MAX, STOCK_MAX,
    WAITING_SETTLEMENTS_PER_CENTER_MAX,
};
use telecenter_protocol::order::{
    Action, Body, Buyer, Collector, LedgerEntry, OrderEvent, OrderId, OrderState, OrderTerms,
    PayMethod, Payment, Role, SettlementPayment, SettlementReply, SignedMessage, Status,
    TIME_MS_MIN, VerifiedMessage, check_time, order_entries, settlement_entry,
};
use telecenter_protocol::validate::{ListingPatch, text_line};
use telecenter_protocol::{CenterId, ListingId};

use super::{Node, NodeError, Writer, lock};
use crate::store::{
    EntryRow, EventRow, OrderFilter, OrderRow, OutboxRow, PairWrite, SettlementRow,
};

/// What an operator fills in to place an order with another center.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrder {
    /// The selling center.
    pub seller: CenterId,
    /// The listing in its catalog.
    pub listing: ListingId,
    /// Units.
    pub quantity: i64,
    /// The unit price the buyer was shown; refused if the listing's price differs.
    #[serde(default)]
    pub unit_price_idr: Option<i64>,
    /// Buyer's name.
    pub buyer_name: String,
    /// Buyer's phone.
    pub buyer_phone: String,
    /// Who collects the money.
    pub payment_at: Collector,
    /// How the buyer pays.
    pub payment_method: PayMethod,
    /// A note for the seller.
    #[serde(default)]
    pub note: String,
}

/// What happened to one received pair message; sent back to its sender.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MessageResult {
    /// The message's body hash.
    pub hash: String,
    /// `appended` (taken in), `duplicate` (already held), `refused` (will never be
    /// taken: see code and message) or `later` (send again later).
    pub status: String,
    /// Why it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Why, in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl MessageResult {
    fn ok(hash: &str, status: &str) -> Self {
        Self {
            hash: hash.to_owned(),
            status: status.to_owned(),
            code: None,
            message: None,
        }
    }

    fn refused(hash: &str, code: &str, message: String) -> Self {
        Self {
            hash: hash.to_owned(),
            status: "refused".to_owned(),
            code: Some(code.to_owned()),
            message: Some(message),
        }
    }

    /// Not taken in now, for a reason that passes: the sender sends it again.
    fn later(hash: &str, code: &str, message: String) -> Self {
        Self {
            hash: hash.to_owned(),
            status: "later".to_owned(),
            code: Some(code.to_owned()),
            message: Some(message),
        }
    }
}

/// One day, in ms: the window of [`PLACEMENTS_PER_CENTER_PER_DAY_MAX`].
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// One minute, in ms: the window of [`PAIR_MESSAGES_PER_CENTER_PER_MINUTE_MAX`].
const MINUTE_MS: i64 = 60 * 1000;

/// How many pair messages each sender had taken in during the current minute
/// (fixed windows of the node's clock), for at most [`PAIR_SENDERS_TRACKED_MAX`]
/// senders at once.
#[derive(Debug)]
pub(crate) struct PairRate {
    windows: Mutex<HashMap<CenterId, (i64, u32)>>,
    per_minute: u32,
}

impl Default for PairRate {
    fn default() -> Self {
        Self::new(PAIR_MESSAGES_PER_CENTER_PER_MINUTE_MAX)
    }
}

impl PairRate {
    /// A limit of `per_minute` per sender.
    pub(crate) fn new(per_minute: u32) -> Self {
        Self {
            windows: Mutex::default(),
            per_minute,
        }
    }

    /// Counts one message from `from` at `now_ms`; false when `from` is over its
    /// rate (or, with every tracked sender busy this minute, when it is new).
    pub(crate) fn admit(&self, from: &CenterId, now_ms: i64) -> bool {
        let minute = now_ms.div_euclid(MINUTE_MS);
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if !windows.contains_key(from) && windows.len() >= PAIR_SENDERS_TRACKED_MAX {
            windows.retain(|_, (at, _)| *at == minute);
            if windows.len() >= PAIR_SENDERS_TRACKED_MAX {
                return false;
            }
        }
        let window = windows.entry(*from).or_insert((minute, 0));
        if window.0 != minute {
            *window = (minute, 0);
        }
        if window.1 >= self.per_minute {
            return false;
        }
        window.1 += 1;
        true
    }
}

/// The author's time on a pair message body.
fn dated(body: &Body) -> i64 {
    match body {
        Body::OrderEvent(event) => event.at_ms,
        Body::SettlementPayment(payment) => payment.at_ms,
        Body::SettlementReply(reply) => reply.at_ms,
    }
}

/// An order with its history, for display.
#[derive(Clone, Debug)]
pub struct OrderDetail {
    /// The order.
    pub row: OrderRow,
    /// Its events, oldest first (proposed ones last).
    pub events: Vec<(EventRow, OrderEvent)>,
}

fn problem(code: &'static str, message: impl Into<String>) -> NodeError {
    NodeError::Order {
        code,
        message: message.into(),
    }
}

fn event_of(message: &SignedMessage) -> Result<OrderEvent, NodeError> {
    match serde_json::from_str::<Body>(&message.body) {
        Ok(Body::OrderEvent(event)) => Ok(event),
        _ => Err(NodeError::Internal(
            "stored order event is not an order event".into(),
        )),
    }
}

/// Replays an order's stored events (proposed ones only if `with_proposed`).
fn replay(events: &[EventRow], with_proposed: bool) -> Result<Option<OrderState>, NodeError> {
    let mut state: Option<OrderState> = None;
    for row in events.iter().filter(|e| with_proposed || !e.proposed) {
        let event = event_of(&row.message)?;
        state = Some(
            match &state {
                None => OrderState::start(&event, &row.hash),
                Some(s) => s.step(&event, &row.hash),
            }
            .map_err(|e| NodeError::Internal(format!("stored order chain breaks: {e}")))?,
        );
    }
    Ok(state)
}

/// Checks that `listing` can be ordered: active, at the `price` the order
/// names (if given), with at least `quantity` in stock (if given).
fn orderable(
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

/// Text from the other center made fit for a one-line note: control characters
/// replaced, at most the reason limit; `None` if nothing is left.
pub(crate) fn plain_line(text: &str) -> Option<String> {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(REASON_CHARS_MAX)
        .collect();
    let line = line.trim();
    (!line.is_empty()).then(|| line.to_owned())
}

fn rupiah(amount: i64) -> String {
    crate::money::format_rupiah(amount)
}

/// Where to reach another center for pair exchanges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairUrl {
    /// The base address.
    pub url: String,
    /// Whether the center published it (rather than the operator typing it).
    pub published: bool,
}

impl Node {
    /// Now, refusing to date a signed step with a clock that is obviously wrong.
    fn now_for_signing(&self) -> Result<i64, NodeError> {
        let now = self.clock.now_ms();
        if now < TIME_MS_MIN {
            return Err(problem(
                "clock_wrong",
                format!(
                    "this computer's clock says {}; set the right date and time first",
                    crate::clock::rfc3339_utc(now)
                ),
            ));
        }
        Ok(now)
    }

    fn sign_body(&self, body: &Body) -> Result<(SignedMessage, String), NodeError> {
        let signed = SignedMessage::sign(&self.identity, body)
            .map_err(|e| NodeError::Internal(e.to_string()))?;
        let hash = telecenter_protocol::order::body_hash(&signed.body);
        Ok((signed, hash))
    }

    fn commit_pair(&self, writer: &mut Writer, pair: PairWrite) -> Result<(), NodeError> {
        let commit = crate::store::Commit {
            pair,
            ..Default::default()
        };
        writer.store.commit(&commit, self.clock.now_ms())?;
        Ok(())
    }

    fn after_pair_write(&self) {
        self.outbox_changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// A receiver that sees a new value whenever the outbox or an order changes.
    pub fn subscribe_orders(&self) -> tokio::sync::watch::Receiver<u64> {
        self.outbox_changed.subscribe()
    }

    /// Places an order with another center's listing, as this (buyer) center.
    /// The order goes into the outbox at once; it is *placed* for the seller when
    /// the seller's node takes it in.
    pub fn place_order(&self, input: &PlaceOrder) -> Result<OrderRow, NodeError> {
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
        let id = OrderId::random(writer.rng.as_mut());
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
                ..Default::default()
            },
        )?;
        drop(writer);
        self.after_pair_write();
        Ok(order)
    }

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
    fn commit_with_stock(
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

    /// One order with its history.
    pub fn order(&self, id: &OrderId) -> Result<OrderDetail, NodeError> {
        let reader = lock(&self.reader);
        let row = reader
            .order(id)?
            .ok_or_else(|| NodeError::NoSuchOrder(id.clone()))?;
        let mut events = Vec::new();
        for event in reader.order_events(id)? {
            let parsed = event_of(&event.message)?;
            events.push((event, parsed));
        }
        Ok(OrderDetail { row, events })
    }

    /// Orders, newest first.
    pub fn orders(&self, filter: &OrderFilter) -> Result<Vec<OrderRow>, NodeError> {
        Ok(lock(&self.reader).orders(filter)?)
    }

    /// Messages waiting to go to `counterpart`.
    pub fn outbox_for(&self, counterpart: &CenterId) -> Result<Vec<OutboxRow>, NodeError> {
        Ok(lock(&self.reader).outbox_for(counterpart, PAIR_BATCH_MESSAGES_MAX)?)
    }

    /// Counterparts with waiting messages, and how many each.
    pub fn outbox_counterparts(&self) -> Result<Vec<(CenterId, u64)>, NodeError> {
        Ok(lock(&self.reader).outbox_counterparts()?)
    }

    /// Counterparts worth asking for news: open orders or unanswered settlements.
    pub fn open_counterparts(&self) -> Result<Vec<CenterId>, NodeError> {
        Ok(lock(&self.reader).open_counterparts()?)
    }

    /// Records that delivering to `counterpart` failed.
    pub fn outbox_failed(&self, counterpart: &CenterId, error: &str) -> Result<(), NodeError> {
        Ok(lock(&self.writer).store.outbox_failed(counterpart, error)?)
    }

    /// Where to reach `center` for orders: its peer address (the operator's
    /// choice), else the address it published in its profile (contacted only
    /// if it passes the address rules, see [`crate::net`]). A stored published
    /// address that is not a node address counts as none.
    pub fn pair_url(&self, center: &CenterId) -> Result<Option<PairUrl>, NodeError> {
        let reader = lock(&self.reader);
        if let Some(url) = reader.peer(center)?.and_then(|p| p.url) {
            return Ok(Some(PairUrl {
                url,
                published: false,
            }));
        }
        Ok(reader
            .center(center)?
            .and_then(|p| p.address)
            .and_then(|a| telecenter_protocol::address::NodeAddress::parse(&a).ok())
            .map(|a| PairUrl {
                url: a.as_str().to_owned(),
                published: true,
            }))
    }

    /// Whether this node can deliver to `center` itself: it has an address the
    /// operator typed, or a published one that passes the address rules (a
    /// published private address counts as none unless the operator allows
    /// private addresses). Name resolution is checked only when connecting.
    pub fn can_reach(&self, center: &CenterId) -> Result<bool, NodeError> {
        Ok(match self.pair_url(center)? {
            None => false,
            Some(PairUrl {
                published: false, ..
            }) => true,
            Some(PairUrl {
                url,
                published: true,
            }) => self.outgoing().check_published(&url).is_ok(),
        })
    }

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
                        wrote |= result.status == "appended";
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
                        MessageResult::ok(&hash, "later")
                    }
                },
            };
            if result.status == "refused" {
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
            return Ok(MessageResult {
                hash: hash.to_owned(),
                status: "refused".to_owned(),
                code: Some(code),
                message: Some(text),
            });
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
                        MessageResult::ok(hash, "duplicate")
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
                let row = SettlementRow {
                    id: payment.id.clone(),
                    counterpart: *from,
                    payer: payment.payer,
                    payee: payment.payee,
                    amount_idr: payment.amount_idr,
                    reference: payment.reference.clone(),
                    status: "waiting".into(),
                    reason: None,
                    payment_hash: hash.to_owned(),
                    payment: message.signed.clone(),
                    reply: None,
                    at_ms: payment.at_ms,
                    answered_at_ms: None,
                    correction_owed_to: payment.correction_owed_to,
                };
                self.commit_pair(
                    &mut writer,
                    PairWrite {
                        settlement: Some(row),
                        ..Default::default()
                    },
                )?;
                Ok(MessageResult::ok(hash, "appended"))
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
                            MessageResult::ok(hash, "duplicate")
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
                Ok(MessageResult::ok(hash, "appended"))
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
                    MessageResult::ok(hash, "duplicate")
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
                    telecenter_protocol::order::percent_text(fees.referral_bp),
                    rupiah(fees.min_idr),
                    telecenter_protocol::order::percent_text(terms.fee.referral_bp),
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
                events: vec![EventRow {
                    order: event.order.clone(),
                    seq: 0,
                    hash: hash.to_owned(),
                    message: message.signed.clone(),
                    proposed: false,
                }],
                ..Default::default()
            },
        )?;
        Ok(MessageResult::ok(hash, "appended"))
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
                MessageResult::ok(hash, "duplicate")
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
            return Ok(MessageResult::ok(hash, "later"));
        };
        if event.seq > final_state.seq + 1 {
            return Ok(MessageResult::ok(hash, "later"));
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
        pair.events.push(EventRow {
            order: event.order.clone(),
            seq: event.seq,
            hash: hash.to_owned(),
            message: message.signed.clone(),
            proposed: false,
        });
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
        Ok(MessageResult::ok(hash, "appended"))
    }

    /// Applies the other side's answers to messages this node sent `from`.
    pub fn pair_results(
        &self,
        from: &CenterId,
        results: &[MessageResult],
    ) -> Result<(), NodeError> {
        let mut changed = false;
        for result in results.iter().take(PAIR_BATCH_MESSAGES_MAX) {
            changed |= self.apply_result(from, result)?;
        }
        if results
            .iter()
            .any(|r| !matches!(r.status.as_str(), "appended" | "duplicate" | "refused"))
        {
            self.resend_soon(from);
        }
        if changed {
            self.after_pair_write();
        }
        Ok(())
    }

    fn apply_result(&self, from: &CenterId, result: &MessageResult) -> Result<bool, NodeError> {
        // Unknown answers (from a newer node) are treated like `later`. A reason
        // given with `later` (sending too fast, a clock ahead) is kept on the
        // outbox row, so the operator sees why the message waits.
        if !matches!(result.status.as_str(), "appended" | "duplicate" | "refused") {
            if let Some(why) = result.message.as_deref().and_then(plain_line) {
                lock(&self.writer)
                    .store
                    .outbox_waiting(from, &result.hash, &why)?;
            }
            return Ok(false);
        }
        let mut writer = lock(&self.writer);
        let Some(sent) = writer.store.outbox_message(from, &result.hash)? else {
            return Ok(false);
        };
        let mut pair = PairWrite {
            outbox_done: vec![(*from, sent.hash.clone())],
            ..Default::default()
        };
        let taken = matches!(result.status.as_str(), "appended" | "duplicate");
        let refusal = plain_line(result.message.as_deref().unwrap_or(""))
            .unwrap_or_else(|| "refused without a reason".to_owned());
        match serde_json::from_str::<Body>(&sent.message.body) {
            Ok(Body::OrderEvent(event)) => {
                if let Some(mut order) = writer.store.order(&event.order)? {
                    let events = writer.store.order_events(&event.order)?;
                    let proposed = events
                        .iter()
                        .any(|e| e.seq == event.seq && e.proposed && e.hash == sent.hash);
                    if proposed && taken {
                        pair.finalize.push((event.order.clone(), event.seq));
                        let later = events.iter().find(|e| e.proposed && e.seq > event.seq);
                        order.pending = later
                            .and_then(|e| event_of(&e.message).ok())
                            .map(|e| e.action.word().to_owned());
                        if event.action == Action::Complete {
                            complete(&mut order, event.at_ms, &mut pair);
                        }
                        pair.order = Some(order);
                    } else if proposed {
                        // Refused: this step and every proposal after it are void.
                        pair.drop_proposed_from = Some((event.order.clone(), event.seq));
                        for later in events.iter().filter(|e| e.proposed && e.seq > event.seq) {
                            pair.outbox_done.push((*from, later.hash.clone()));
                        }
                        let kept: Vec<EventRow> = events
                            .into_iter()
                            .filter(|e| !(e.proposed && e.seq >= event.seq))
                            .collect();
                        match replay(&kept, true)? {
                            Some(state) => order.state = state,
                            None => order.refused = true,
                        }
                        // An earlier proposal may still wait for its answer.
                        order.pending = kept
                            .iter()
                            .filter(|e| e.proposed)
                            .find_map(|e| event_of(&e.message).ok())
                            .map(|e| e.action.word().to_owned());
                        order.problem = Some(format!("{} refused: {refusal}", event.action.word()));
                        pair.order = Some(order);
                    } else if !taken {
                        tracing::warn!(order = %event.order, %refusal, "the other center refused a step of ours");
                        order.problem = Some(format!(
                            "the other center refused {}: {refusal}",
                            event.action.word()
                        ));
                        pair.order = Some(order);
                    }
                }
            }
            Ok(Body::SettlementPayment(payment)) if !taken => {
                if let Some(mut row) = writer.store.settlement(&payment.id)? {
                    row.status = "declined".into();
                    row.reason = Some(refusal);
                    pair.settlement = Some(row);
                }
            }
            _ => {}
        }
        self.commit_pair(&mut writer, pair)?;
        Ok(true)
    }

    /// Records a settlement payment this center made to `payee` and sends it for
    /// confirmation; the ledger moves only when the payee confirms.
    pub fn record_settlement(
        &self,
        payee: &CenterId,
        amount_idr: i64,
        reference: &str,
    ) -> Result<SettlementRow, NodeError> {
        self.propose_settlement(payee, amount_idr, reference, None)
    }

    /// Proposes a correction with `counterpart`: `amount_idr` more owed to this
    /// center (`owed_to_us`) or to the counterpart, for `reason`. Ledger entries
    /// are never changed; the correction is a new entry, booked on both nodes
    /// when the counterpart confirms it (`answer_settlement`).
    pub fn record_correction(
        &self,
        counterpart: &CenterId,
        owed_to_us: bool,
        amount_idr: i64,
        reason: &str,
    ) -> Result<SettlementRow, NodeError> {
        let owed_to = if owed_to_us {
            self.center_id()
        } else {
            *counterpart
        };
        self.propose_settlement(counterpart, amount_idr, reason, Some(owed_to))
    }

    fn propose_settlement(
        &self,
        payee: &CenterId,
        amount_idr: i64,
        reference: &str,
        correction_owed_to: Option<CenterId>,
    ) -> Result<SettlementRow, NodeError> {
        let own = self.center_id();
        let reference = text_line(
            "reference",
            reference,
            usize::from(correction_owed_to.is_some()),
            telecenter_protocol::limits::REFERENCE_CHARS_MAX,
        )?;
        let mut writer = lock(&self.writer);
        let id = OrderId::random(writer.rng.as_mut());
        if writer.store.settlement(&id)?.is_some() {
            return Err(NodeError::Internal("settlement id drawn twice".into()));
        }
        let payment = SettlementPayment {
            id,
            payer: own,
            payee: *payee,
            amount_idr,
            reference,
            at_ms: self.now_for_signing()?,
            correction_owed_to,
        };
        payment.validate()?;
        if !writer.accepted.contains_key(payee) {
            return Err(problem(
                "unknown_center",
                format!("center {payee} is not known to this node"),
            ));
        }
        let (signed, hash) = self.sign_body(&Body::SettlementPayment(payment.clone()))?;
        let row = SettlementRow {
            id: payment.id.clone(),
            counterpart: *payee,
            payer: own,
            payee: *payee,
            amount_idr,
            reference: payment.reference.clone(),
            status: "waiting".into(),
            reason: None,
            payment_hash: hash.clone(),
            payment: signed.clone(),
            reply: None,
            at_ms: payment.at_ms,
            answered_at_ms: None,
            correction_owed_to: payment.correction_owed_to,
        };
        self.commit_pair(
            &mut writer,
            PairWrite {
                settlement: Some(row.clone()),
                outbox: vec![(*payee, hash, signed)],
                ..Default::default()
            },
        )?;
        drop(writer);
        self.after_pair_write();
        Ok(row)
    }

    /// Confirms (the money arrived) or declines a settlement payment made to this
    /// center. Confirming books the settlement entry.
    pub fn answer_settlement(
        &self,
        id: &OrderId,
        confirmed: bool,
        reason: Option<&str>,
    ) -> Result<SettlementRow, NodeError> {
        let reason = match (confirmed, reason.map(str::trim).filter(|r| !r.is_empty())) {
            (false, None) => {
                return Err(problem(
                    "reason_required",
                    "say why you decline this payment (--reason)",
                ));
            }
            (false, Some(r)) => Some(text_line("reason", r, 1, REASON_CHARS_MAX)?),
            (true, _) => None,
        };
        let mut writer = lock(&self.writer);
        let mut row = writer
            .store
            .settlement(id)?
            .ok_or_else(|| NodeError::NoSuchSettlement(id.clone()))?;
        if row.payee != self.center_id() {
            return Err(problem(
                "not_allowed",
                "only the other center answers: the one paid, or the one asked to agree to a correction",
            ));
        }
        if row.status != "waiting" {
            return Err(problem(
                "already_answered",
                format!("this payment is already {}", row.status),
            ));
        }
        let reply = SettlementReply {
            id: id.clone(),
            payment: row.payment_hash.clone(),
            by: self.center_id(),
            confirmed,
            reason: reason.clone(),
            at_ms: self.now_for_signing()?,
        };
        let (signed, hash) = self.sign_body(&Body::SettlementReply(reply.clone()))?;
        let payment = settlement_of(&row.payment)?;
        let mut pair = PairWrite {
            outbox: vec![(row.counterpart, hash, signed.clone())],
            ..Default::default()
        };
        if confirmed {
            let counterpart = row.counterpart;
            confirm(&mut row, counterpart, &payment, reply.at_ms, &mut pair);
        } else {
            row.status = "declined".into();
            row.reason = reason;
        }
        row.reply = Some(signed);
        row.answered_at_ms = Some(reply.at_ms);
        pair.settlement = Some(row.clone());
        self.commit_pair(&mut writer, pair)?;
        drop(writer);
        self.after_pair_write();
        Ok(row)
    }

    /// Settlements, newest first.
    pub fn settlements(
        &self,
        counterpart: Option<&CenterId>,
    ) -> Result<Vec<SettlementRow>, NodeError> {
        Ok(lock(&self.reader).settlements(counterpart)?)
    }

    /// Ledger entries with `from_ms <= at < to_ms`, oldest first.
    pub fn ledger(
        &self,
        counterpart: Option<&CenterId>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<EntryRow>, NodeError> {
        Ok(lock(&self.reader).ledger(counterpart, from_ms, to_ms)?)
    }
}

fn settlement_of(message: &SignedMessage) -> Result<SettlementPayment, NodeError> {
    match serde_json::from_str::<Body>(&message.body) {
        Ok(Body::SettlementPayment(payment)) => Ok(payment),
        _ => Err(NodeError::Internal(
            "stored settlement is not a payment".into(),
        )),
    }
}

/// Books `entries` with `counterpart` into `pair`: the one place the ledger
/// moves (an order completed, a settlement or correction confirmed); the
/// entries are committed with the rest of `pair` in one transaction.
fn book(pair: &mut PairWrite, counterpart: CenterId, entries: Vec<LedgerEntry>) {
    pair.ledger = entries
        .into_iter()
        .map(|entry| EntryRow { counterpart, entry })
        .collect();
}

/// Marks `order` completed at `at_ms` and books its goods and fee entries.
fn complete(order: &mut OrderRow, at_ms: i64, pair: &mut PairWrite) {
    order.completed_at_ms = Some(at_ms);
    let entries = order_entries(&order.state.id, &order.state.terms, at_ms);
    book(pair, order.counterpart, entries);
}

/// Marks a settlement with `counterpart` confirmed at `at_ms` and books its entry.
fn confirm(
    row: &mut SettlementRow,
    counterpart: CenterId,
    payment: &SettlementPayment,
    at_ms: i64,
    pair: &mut PairWrite,
) {
    row.status = "confirmed".into();
    book(pair, counterpart, vec![settlement_entry(payment, at_ms)]);
}

/// This center's balance with `counterpart` from `entries`: positive when the
/// counterpart owes this center.
pub fn balance_with(own: &CenterId, entries: &[EntryRow]) -> i64 {
    entries
        .iter()
        .map(|row| {
            if row.entry.creditor == *own {
                row.entry.amount_idr
            } else if row.entry.debtor == *own {
                -row.entry.amount_idr
            } else {
                0
            }
        })
        .sum()
}

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
mod model;
