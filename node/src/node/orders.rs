//! Orders between centers, pair messages, the ledger and settlements: the node
//! side of `telecenter_protocol::order`.
//!
//! Every step is one SQLite transaction holding the signed event, the order's
//! new state, the outgoing message in the outbox, any ledger entries and, on
//! the seller's side, the catalog change that reserves or returns stock. The
//! seller's node sequences each order: its own steps are final at once; the
//! buyer's are *proposed* until the seller's node answers that it took them in.
//!
//! This file owns the shared types, the helpers every step uses and the reads
//! (orders, outbox, pair addresses); each step lives in a child: `place`, `step`,
//! `receive` (messages from the other center), `answers` (their answers to ours),
//! `settlements`, and `ledger` (the one function that books entries).

use telecenter_protocol::limits::{PAIR_BATCH_MESSAGES_MAX, REASON_CHARS_MAX};
use telecenter_protocol::order::{
    Body, Collector, OrderEvent, OrderId, OrderState, PayMethod, SignedMessage, TIME_MS_MIN,
};
use telecenter_protocol::{CenterId, ListingId};

use super::{Node, NodeError, Writer, lock};
use crate::store::{EventRow, OrderFilter, OrderRow, OutboxRow, PairWrite};

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

// The wire types of the pair exchange live in protocol.
pub use telecenter_protocol::pair::MessageResult;

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
}

mod answers;
mod ledger;
mod place;
mod receive;
mod settlements;
mod step;

pub use ledger::balance_with;

#[cfg(test)]
pub(crate) mod tests;
