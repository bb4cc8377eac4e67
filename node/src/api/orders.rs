//! JSON views and inputs of orders and settlements (admin API and CLI).

use serde::{Deserialize, Serialize};
use telecenter_protocol::CenterId;
use telecenter_protocol::fee::FeeTerms;
use telecenter_protocol::order::{Collector, PayMethod, Role};

use super::CenterNames;
use crate::clock::rfc3339_utc;
use crate::node::{Node, NodeError, OrderDetail, PlaceOrder};
use crate::store::{ORDER_STATUS_WORDS, OrderFilter};
use crate::store::{OrderRow, SettlementRow};
use telecenter_protocol::order::{Action, OrderId};

/// One step of an order's history.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    /// Position in the chain.
    pub seq: u32,
    /// `place`, `accept`, ...
    pub action: String,
    /// The center that made it.
    pub by: CenterId,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Why (reject, cancel).
    pub reason: Option<String>,
    /// SHA-256 of the signed body.
    pub hash: String,
    /// True while the seller's node has not yet taken this (buyer's) step in.
    pub proposed: bool,
}

/// An order.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    /// Its id.
    pub id: String,
    /// `buyer` (this center placed it) or `seller` (this center sells).
    pub role: String,
    /// `placed`, `accepted`, `rejected`, `shipped`, `completed`, `cancelled`, or
    /// `refused` (the seller turned the placement down on arrival).
    pub status: String,
    /// The other center.
    pub counterpart: CenterId,
    /// Its name.
    pub counterpart_name: String,
    /// The listing in the seller's catalog.
    pub listing: String,
    /// Title at placement.
    pub title: String,
    /// Unit at placement.
    pub unit: String,
    /// Producer at placement.
    pub producer: String,
    /// Unit price at placement.
    pub unit_price_idr: i64,
    /// Units.
    pub quantity: i64,
    /// Price × quantity.
    pub gross_idr: i64,
    /// Referral fee the seller owes the buyer center on completion.
    pub fee_idr: i64,
    /// The seller's fee terms at placement.
    pub fee_terms: FeeTerms,
    /// Who collects the money.
    pub payment_at: Collector,
    /// How the buyer pays.
    pub payment_method: PayMethod,
    /// Buyer's name (private to the two centers).
    pub buyer_name: String,
    /// Buyer's phone (private to the two centers).
    pub buyer_phone: String,
    /// Note for the seller.
    pub note: String,
    /// When it was placed (RFC 3339, UTC).
    pub placed_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// When it completed.
    pub completed_at: Option<String>,
    /// This center's step waiting for the other side, e.g. `cancel`.
    pub pending: Option<String>,
    /// The last refusal or conflict, in plain words.
    pub problem: Option<String>,
    /// The history (only when one order is asked for).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventView>,
    /// How messages travel with the other center (only when one order is asked for).
    pub delivery: Option<DeliveryView>,
}

/// How pair messages travel between this center and a counterpart, and why
/// this center accepts it.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// The last message that came from the counterpart.
    pub last_in: Option<HopView>,
    /// The last message this center sent it (who took it on).
    pub last_out: Option<HopView>,
    /// From a center the operator trusts to the counterpart, each vouching for
    /// the next (one element: trusted directly; empty: not accepted).
    pub trust_path: Vec<NamedCenter>,
    /// Whether this center has a way to send it messages now (its own address
    /// or a peer that carries mail for it).
    pub can_deliver: bool,
}

/// A center with its name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedCenter {
    /// Its id.
    pub center_id: CenterId,
    /// Its name.
    pub name: String,
}

/// One hop of a message's travel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HopView {
    /// The center that handed it over or took it: the counterpart itself when
    /// it travelled directly.
    pub via: CenterId,
    /// Its name.
    pub via_name: String,
    /// `true` when it travelled directly between the two centers.
    pub direct: bool,
    /// When (RFC 3339, UTC).
    pub at: String,
}

impl DeliveryView {
    /// What `node` knows about travel to and from `counterpart`.
    pub fn load(
        node: &Node,
        names: &CenterNames,
        counterpart: &CenterId,
    ) -> Result<Self, NodeError> {
        let hop = |route: Option<crate::store::PairRoute>| {
            route.map(|r| HopView {
                via_name: names.of(&r.via),
                direct: r.via == *counterpart,
                via: r.via,
                at: rfc3339_utc(r.at_ms),
            })
        };
        Ok(Self {
            last_in: hop(node.pair_route(counterpart, false)?),
            last_out: hop(node.pair_route(counterpart, true)?),
            trust_path: node
                .trust_path(counterpart)
                .into_iter()
                .map(|c| NamedCenter {
                    name: names.of(&c),
                    center_id: c,
                })
                .collect(),
            can_deliver: node.can_deliver(counterpart)?,
        })
    }
}

impl OrderView {
    /// The view of `row`.
    pub fn new(names: &CenterNames, row: &OrderRow) -> Self {
        let s = &row.state;
        let t = &s.terms;
        Self {
            id: s.id.to_string(),
            role: match row.role {
                Role::Buyer => "buyer",
                Role::Seller => "seller",
            }
            .to_owned(),
            status: row.status_word().to_owned(),
            counterpart: row.counterpart,
            counterpart_name: names.of(&row.counterpart),
            listing: t.listing.to_string(),
            title: t.title.clone(),
            unit: t.unit.clone(),
            producer: t.producer.clone(),
            unit_price_idr: t.unit_price_idr,
            quantity: t.quantity,
            gross_idr: t.gross_idr(),
            fee_idr: t.fee_idr(),
            fee_terms: t.fee,
            payment_at: t.payment.collected_by,
            payment_method: t.payment.method,
            buyer_name: t.buyer.name.clone(),
            buyer_phone: t.buyer.phone.clone(),
            note: t.note.clone(),
            placed_at: rfc3339_utc(s.placed_at_ms),
            updated_at: rfc3339_utc(s.updated_at_ms),
            completed_at: row.completed_at_ms.map(rfc3339_utc),
            pending: row.pending.clone(),
            problem: row.problem.clone(),
            events: Vec::new(),
            delivery: None,
        }
    }

    /// The view of one order with its history.
    pub fn detail(names: &CenterNames, detail: &OrderDetail) -> Self {
        let mut view = Self::new(names, &detail.row);
        view.events = detail
            .events
            .iter()
            .map(|(row, event)| EventView {
                seq: row.seq,
                action: event.action.word().to_owned(),
                by: event.by,
                at: rfc3339_utc(event.at_ms),
                reason: event.reason.clone(),
                hash: row.hash.clone(),
                proposed: row.proposed,
            })
            .collect();
        view
    }
}

/// A settlement payment or a correction.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementView {
    /// Its id.
    pub id: String,
    /// `payment` (money sent by bank) or `correction` (a new entry putting a
    /// mistake right).
    #[serde(default = "payment_kind")]
    pub kind: String,
    /// For a correction: the center owed the amount.
    pub owed_to: Option<CenterId>,
    /// `paid` (this center paid) or `received`.
    pub direction: String,
    /// The other center.
    pub counterpart: CenterId,
    /// Its name.
    pub counterpart_name: String,
    /// Amount.
    pub amount_idr: i64,
    /// Bank reference or note.
    pub reference: String,
    /// `waiting` (for the payee's confirmation), `confirmed` or `declined`.
    pub status: String,
    /// Why it was declined.
    pub reason: Option<String>,
    /// When it was recorded.
    pub at: String,
    /// When it was answered.
    pub answered_at: Option<String>,
}

fn payment_kind() -> String {
    "payment".to_owned()
}

impl SettlementView {
    /// The view of `row`.
    pub fn new(names: &CenterNames, row: &SettlementRow) -> Self {
        Self {
            id: row.id.to_string(),
            kind: if row.correction_owed_to.is_some() {
                "correction".to_owned()
            } else {
                payment_kind()
            },
            owed_to: row.correction_owed_to,
            direction: if row.payer == names.own {
                "paid"
            } else {
                "received"
            }
            .to_owned(),
            counterpart: row.counterpart,
            counterpart_name: names.of(&row.counterpart),
            amount_idr: row.amount_idr,
            reference: row.reference.clone(),
            status: row.status.clone(),
            reason: row.reason.clone(),
            at: rfc3339_utc(row.at_ms),
            answered_at: row.answered_at_ms.map(rfc3339_utc),
        }
    }
}

/// Body of an order step (`POST /api/v1/admin/orders/{id}/{action}`) or a
/// settlement answer.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    /// Why (required to reject, cancel or decline).
    pub reason: Option<String>,
}

/// Body of `POST /api/v1/admin/fees/settlements`: a payment this center made.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettlementInput {
    /// The center that was paid.
    pub payee: CenterId,
    /// How much, whole rupiah.
    pub amount_idr: i64,
    /// Bank reference or a note.
    #[serde(default)]
    pub reference: String,
}

/// Body of `POST /api/v1/admin/fees/corrections`: a correction proposed to
/// `counterpart`, booked when it confirms.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionInput {
    /// The other center.
    pub counterpart: CenterId,
    /// True: the counterpart owes this center `amount_idr` more; false: this
    /// center owes the counterpart `amount_idr` more.
    pub owed_to_us: bool,
    /// How much, whole rupiah.
    pub amount_idr: i64,
    /// Why (required; the other center sees it).
    pub reason: String,
}

/// Query of `GET /api/v1/admin/orders`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    /// Only this status.
    pub status: Option<String>,
    /// Only orders with this center.
    pub counterpart: Option<String>,
    /// Only `buyer` or `seller` orders.
    pub role: Option<String>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// Most orders one list returns.
pub const ORDER_LIST_MAX: u32 = 1_000;

/// A list query that cannot be answered: a machine code (`invalid_status`,
/// `invalid_role`, `invalid_center_id`, `invalid_limit`) and a plain sentence.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    /// Machine code.
    pub code: &'static str,
    /// What is wrong, in plain words.
    pub message: String,
}

fn bad_query(code: &'static str, message: String) -> QueryError {
    QueryError { code, message }
}

/// The order filter of a list query (the admin API and the CLI read it alike).
pub fn order_filter(query: &OrderQuery) -> Result<OrderFilter, QueryError> {
    let statuses = match query.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) if ORDER_STATUS_WORDS.contains(&s) => vec![s.to_owned()],
        Some(s) => {
            return Err(bad_query(
                "invalid_status",
                format!(
                    "status must be one of {}, found {s:?}",
                    ORDER_STATUS_WORDS.join(", ")
                ),
            ));
        }
        None => Vec::new(),
    };
    let role = match query.role.as_deref().filter(|s| !s.is_empty()) {
        Some("buyer") => Some(Role::Buyer),
        Some("seller") => Some(Role::Seller),
        Some(other) => {
            return Err(bad_query(
                "invalid_role",
                format!("role must be buyer or seller, found {other:?}"),
            ));
        }
        None => None,
    };
    let counterpart = query
        .counterpart
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|text| {
            text.parse::<CenterId>()
                .map_err(|e| bad_query("invalid_center_id", e.to_string()))
        })
        .transpose()?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=ORDER_LIST_MAX).contains(&limit) {
        return Err(bad_query(
            "invalid_limit",
            format!("limit must be between 1 and {ORDER_LIST_MAX}, found {limit}"),
        ));
    }
    Ok(OrderFilter {
        counterpart,
        statuses,
        role,
        limit,
        completed_between: None,
    })
}

/// What one delivery round did with one counterpart
/// (`POST /api/v1/admin/orders/deliver`, `telecenter order deliver`).
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeliveryRoundView {
    /// The counterpart.
    pub center: CenterId,
    /// Messages the other side answered.
    pub sent: u64,
    /// Messages received.
    pub received: u64,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// The views of one delivery round: for each counterpart, the messages sent
/// and received, or why the round with it failed.
pub fn delivery_views<E: std::fmt::Display>(
    results: impl IntoIterator<Item = (CenterId, Result<(u64, u64), E>)>,
) -> Vec<DeliveryRoundView> {
    results
        .into_iter()
        .map(|(center, result)| match result {
            Ok((sent, received)) => DeliveryRoundView {
                center,
                sent,
                received,
                error: None,
            },
            Err(error) => DeliveryRoundView {
                center,
                sent: 0,
                received: 0,
                error: Some(error.to_string()),
            },
        })
        .collect()
}

/// A list of orders.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrdersView {
    /// Newest first.
    pub orders: Vec<OrderView>,
}

// The operations behind the admin API, shared by its handlers and by the CLI
// when it works on the database itself, so both give the same answers.

/// Orders matching `filter`, newest first.
pub fn list(node: &Node, filter: &OrderFilter) -> Result<OrdersView, NodeError> {
    let names = CenterNames::load(node)?;
    Ok(OrdersView {
        orders: node
            .orders(filter)?
            .iter()
            .map(|row| OrderView::new(&names, row))
            .collect(),
    })
}

/// One order with its history.
pub fn show(node: &Node, id: &OrderId) -> Result<OrderView, NodeError> {
    let names = CenterNames::load(node)?;
    let detail = node.order(id)?;
    let mut view = OrderView::detail(&names, &detail);
    view.delivery = Some(DeliveryView::load(node, &names, &detail.row.counterpart)?);
    Ok(view)
}

/// Places an order; the new order with its history.
pub fn place(node: &Node, input: &PlaceOrder) -> Result<OrderView, NodeError> {
    let row = node.place_order(input)?;
    show(node, &row.state.id)
}

/// Takes one step of an order; the order with its history.
pub fn step(
    node: &Node,
    id: &OrderId,
    action: Action,
    reason: Option<&str>,
) -> Result<OrderView, NodeError> {
    node.order_step(id, action, reason)?;
    show(node, id)
}

/// Every settlement payment and correction, newest first.
pub fn settlements(node: &Node) -> Result<Vec<SettlementView>, NodeError> {
    let names = CenterNames::load(node)?;
    Ok(node
        .settlements(None)?
        .iter()
        .map(|row| SettlementView::new(&names, row))
        .collect())
}

/// Records a payment this center made.
pub fn pay(node: &Node, input: &SettlementInput) -> Result<SettlementView, NodeError> {
    let row = node.record_settlement(&input.payee, input.amount_idr, &input.reference)?;
    Ok(SettlementView::new(&CenterNames::load(node)?, &row))
}

/// Proposes a correction.
pub fn correct(node: &Node, input: &CorrectionInput) -> Result<SettlementView, NodeError> {
    let row = node.record_correction(
        &input.counterpart,
        input.owed_to_us,
        input.amount_idr,
        &input.reason,
    )?;
    Ok(SettlementView::new(&CenterNames::load(node)?, &row))
}

/// Confirms or declines a payment or correction made to this center.
pub fn answer(
    node: &Node,
    id: &OrderId,
    confirmed: bool,
    reason: Option<&str>,
) -> Result<SettlementView, NodeError> {
    let row = node.answer_settlement(id, confirmed, reason)?;
    Ok(SettlementView::new(&CenterNames::load(node)?, &row))
}
