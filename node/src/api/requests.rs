//! JSON views and inputs of buyer requests (admin API and CLI): the list, one
//! request, and the three answers (an order to the selling center, a local
//! sale, a decline). Buyer details appear only here, behind the admin token.

use serde::{Deserialize, Serialize};
use telecenter_protocol::order::{Collector, PayMethod};

use super::orders::{self as orders_api, OrderView};
use crate::clock::rfc3339_utc;
use crate::node::{Node, NodeError, PlaceOrder};
use crate::store::{RequestRow, RequestStatus};

/// A buyer request.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    /// Its code.
    pub code: String,
    /// `new`, `ordered`, `sold` or `declined`.
    pub status: String,
    /// The selling center.
    pub seller_center: String,
    /// The listing in its catalog.
    pub listing: String,
    /// Title when asked.
    pub title: String,
    /// Unit.
    pub unit: String,
    /// Producer.
    pub producer: String,
    /// Unit price when asked.
    pub unit_price_idr: i64,
    /// Units.
    pub quantity: i64,
    /// Buyer's name.
    pub buyer_name: String,
    /// Buyer's WhatsApp number, `+62…`.
    pub buyer_phone: String,
    /// Pick-up at this center (else delivery).
    pub pickup: bool,
    /// Note or delivery address.
    pub note: String,
    /// When it was sent (RFC 3339, UTC).
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// The order it became.
    pub order_id: Option<String>,
    /// Why it was declined.
    pub reason: Option<String>,
}

impl RequestView {
    /// The API form of a stored request.
    pub fn new(row: &RequestRow) -> Self {
        Self {
            code: row.code.clone(),
            status: row.status.word().to_owned(),
            seller_center: row.seller_center.clone(),
            listing: row.listing.clone(),
            title: row.title.clone(),
            unit: row.unit.clone(),
            producer: row.producer.clone(),
            unit_price_idr: row.unit_price_idr,
            quantity: row.quantity,
            buyer_name: row.buyer_name.clone(),
            buyer_phone: row.buyer_phone.clone(),
            pickup: row.pickup,
            note: row.delivery_note.clone(),
            created_at: rfc3339_utc(row.created_ms),
            updated_at: rfc3339_utc(row.updated_ms),
            order_id: row.order_id.clone(),
            reason: (!row.reason.is_empty()).then(|| row.reason.clone()),
        }
    }
}

/// `GET /api/v1/admin/requests`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestsView {
    /// Requests waiting for the operator.
    pub open: u64,
    /// The requests, `new` first, then newest first.
    pub requests: Vec<RequestView>,
}

/// `GET /api/v1/admin/requests?status=`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestQuery {
    /// Only requests with this status.
    pub status: Option<String>,
}

/// Body of `POST /api/v1/admin/requests/{code}/order`: how the buyer pays
/// (the buyer, quantity and note come from the request).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestOrderInput {
    /// Who collects the money (default: this center).
    #[serde(default = "buyer_center")]
    pub payment_at: Collector,
    /// How the buyer pays (default: cash).
    #[serde(default = "cash")]
    pub payment_method: PayMethod,
    /// A note for the seller (default: the request's note).
    #[serde(default)]
    pub note: Option<String>,
}

fn buyer_center() -> Collector {
    Collector::BuyerCenter
}

fn cash() -> PayMethod {
    PayMethod::Cash
}

impl Default for RequestOrderInput {
    fn default() -> Self {
        Self {
            payment_at: buyer_center(),
            payment_method: cash(),
            note: None,
        }
    }
}

/// Body of `POST /api/v1/admin/requests/{code}/decline`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclineInput {
    /// Why (the buyer reads it on the status page).
    pub reason: String,
}

/// The answer of `…/order`: the request and the order it became.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestOrderView {
    /// The request, now `ordered`.
    pub request: RequestView,
    /// The order.
    pub order: OrderView,
}

/// The status filter of a list, or `None` for an unknown word.
pub fn status_filter(query: &RequestQuery) -> Result<Option<RequestStatus>, String> {
    match query.status.as_deref() {
        None | Some("") => Ok(None),
        Some(word) => RequestStatus::from_word(word)
            .map(Some)
            .ok_or_else(|| format!("unknown status {word:?}: use new, ordered, sold or declined")),
    }
}

/// The requests.
pub fn list(node: &Node, status: Option<RequestStatus>) -> Result<RequestsView, NodeError> {
    Ok(RequestsView {
        open: node.open_request_count()?,
        requests: node
            .requests(status)?
            .iter()
            .map(RequestView::new)
            .collect(),
    })
}

/// One request.
pub fn show(node: &Node, code: &str) -> Result<RequestView, NodeError> {
    Ok(RequestView::new(&node.request(code)?))
}

/// Turns a request into an order to the selling center (at the price it was
/// asked at: a changed price is refused with `price_changed`).
pub fn order(
    node: &Node,
    code: &str,
    input: &RequestOrderInput,
) -> Result<RequestOrderView, NodeError> {
    let row = node.request(code)?;
    let bad_stored = || NodeError::Internal("stored request unreadable".into());
    let place = PlaceOrder {
        seller: row.seller_center.parse().map_err(|_| bad_stored())?,
        listing: row.listing.parse().map_err(|_| bad_stored())?,
        quantity: row.quantity,
        unit_price_idr: Some(row.unit_price_idr),
        buyer_name: row.buyer_name.clone(),
        buyer_phone: row.buyer_phone.clone(),
        payment_at: input.payment_at,
        payment_method: input.payment_method,
        note: input
            .note
            .clone()
            .unwrap_or_else(|| row.delivery_note.clone()),
    };
    let order = node.link_request_order(&row.code, &place)?;
    Ok(RequestOrderView {
        request: show(node, &row.code)?,
        order: orders_api::show(node, &order.state.id)?,
    })
}

/// Sells a request of this center's own product here.
pub fn sell(node: &Node, code: &str) -> Result<RequestView, NodeError> {
    Ok(RequestView::new(&node.sell_request_locally(code)?))
}

/// Declines a request.
pub fn decline(node: &Node, code: &str, input: &DeclineInput) -> Result<RequestView, NodeError> {
    Ok(RequestView::new(
        &node.decline_request(code, &input.reason)?,
    ))
}
