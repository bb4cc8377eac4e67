//! Buyer requests: a buyer asks for a product with the "Pesan" form of a
//! product page; the request waits here (never leaves this node) until the
//! operator turns it into an order to the selling center
//! ([`Node::link_request_order`], in the placement's transaction), a local sale
//! of this center's own product ([`Node::sell_request_locally`], with its stock
//! edit in one transaction) or declines it. Each request can be acted on once.
//! The buyer follows it on a private status page reached with a code and a
//! token (≥128 random bits; only its SHA-256 is stored).

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use telecenter_protocol::catalog::ListingStatus;
use telecenter_protocol::limits::{
    BUYER_NAME_CHARS_MAX, OPEN_REQUESTS_MAX, ORDER_QUANTITY_MAX, REASON_CHARS_MAX,
    REQUEST_NOTE_CHARS_MAX,
};
use telecenter_protocol::order::OrderId;
use telecenter_protocol::text::{InvalidInput, in_range, text_block, text_line};
use telecenter_protocol::{CenterId, ListingId};

use crate::store::{NewSale, OrderRow, RequestRow, RequestStatus, RequestWrite};

use super::{Node, NodeError, PlaceOrder, lock};

/// Characters of a request code.
pub const REQUEST_CODE_LEN: usize = 8;
/// Random bytes of a status-page token (128 bits).
pub const REQUEST_TOKEN_BYTES: usize = 16;
/// Most requests one listing answer returns.
pub const REQUESTS_LISTED_MAX: u32 = 500;
/// The code alphabet: Crockford's base32, upper case (no I, L, O, U).
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// What a buyer typed, as the form or the API hands it over.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct RequestInput {
    /// The selling center.
    pub seller: Option<CenterId>,
    /// The listing in its catalog.
    pub listing: Option<ListingId>,
    /// The buyer's name.
    pub buyer_name: String,
    /// The buyer's WhatsApp number as typed.
    pub buyer_phone: String,
    /// Units as typed.
    pub quantity: String,
    /// Pick-up at this center (else delivery).
    pub pickup: bool,
    /// Delivery note.
    pub note: String,
}

/// A checked request: every field within its bounds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidRequest {
    /// Name.
    pub buyer_name: String,
    /// `+62…`.
    pub buyer_phone: String,
    /// Units.
    pub quantity: i64,
    /// Pick-up (else delivery).
    pub pickup: bool,
    /// Note.
    pub note: String,
}

impl RequestInput {
    /// Checks every field; returns all that are wrong (one per field).
    pub fn validate(&self) -> Result<ValidRequest, Vec<InvalidInput>> {
        let mut errors = Vec::new();
        let name = text_line("buyer_name", &self.buyer_name, 1, BUYER_NAME_CHARS_MAX)
            .and_then(|name| no_direction_controls("buyer_name", name))
            .map_err(|e| errors.push(e))
            .ok();
        let phone = telecenter_protocol::phone::normalize_phone("buyer_phone", &self.buyer_phone)
            .map_err(|e| errors.push(e))
            .ok();
        // The one rule for whole numbers ("1.000" is a thousand), then 1 or more.
        let quantity =
            telecenter_protocol::text::parse_whole("quantity", &self.quantity, ORDER_QUANTITY_MAX)
                .and_then(|n| in_range("quantity", "the quantity", n, 1..=ORDER_QUANTITY_MAX, ""))
                .map_err(|e| errors.push(e))
                .ok();
        let note = text_block("note", &self.note, REQUEST_NOTE_CHARS_MAX)
            .and_then(|note| no_direction_controls("note", note))
            .map_err(|e| errors.push(e))
            .ok();
        if !self.pickup && note.as_deref().is_some_and(str::is_empty) {
            errors.push(InvalidInput::new(
                "note",
                "empty",
                "for delivery, say where to deliver".to_owned(),
            ));
        }
        match (name, phone, quantity, note) {
            (Some(buyer_name), Some(buyer_phone), Some(quantity), Some(note))
                if errors.is_empty() =>
            {
                Ok(ValidRequest {
                    buyer_name,
                    buyer_phone,
                    quantity,
                    pickup: self.pickup,
                    note,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Refuses the Unicode controls that reorder the text after them (embeddings,
/// overrides, isolates): in a buyer's name they could make the operator read the
/// phone number printed next to it backwards.
fn no_direction_controls(field: &'static str, text: String) -> Result<String, InvalidInput> {
    if text
        .chars()
        .any(|c| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
    {
        return Err(InvalidInput::new(
            field,
            "direction_control",
            format!("{field} contains a character that reorders the text around it"),
        ));
    }
    Ok(text)
}

/// A stored request: its code and the token of its status page (shown once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submitted {
    /// The code.
    pub code: String,
    /// The token, lowercase hex.
    pub token: String,
}

/// What the buyer's status page shows.
#[derive(Clone, Debug)]
pub struct RequestView {
    /// The request.
    pub request: RequestRow,
    /// The linked order's status word and the reason of its last step, if any.
    pub order: Option<(String, Option<String>)>,
}

fn refused(code: &'static str, message: impl Into<String>) -> NodeError {
    NodeError::Order {
        code,
        message: message.into(),
    }
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A request code as typed (case and spaces forgiven), or `None`.
pub fn parse_code(text: &str) -> Option<String> {
    let upper = text.trim().to_ascii_uppercase();
    (upper.len() == REQUEST_CODE_LEN && upper.bytes().all(|b| CODE_ALPHABET.contains(&b)))
        .then_some(upper)
}

fn not_new(row: &RequestRow) -> NodeError {
    refused(
        "request_answered",
        format!(
            "request {} was already answered ({}); nothing changed",
            row.code,
            row.status.word()
        ),
    )
}

impl Node {
    /// Stores a buyer request for a listing shown here. Refused when the listing
    /// is not for sale or has too little stock, or when [`OPEN_REQUESTS_MAX`]
    /// requests already wait (`requests_full`).
    pub fn submit_request(
        &self,
        seller: &CenterId,
        listing: &ListingId,
        valid: &ValidRequest,
    ) -> Result<Submitted, NodeError> {
        let row = self.listing(seller, listing)?;
        let l = row.listing;
        if l.status != ListingStatus::Active || l.stock <= 0 {
            return Err(refused(
                "not_for_sale",
                format!("listing {listing} cannot be ordered now"),
            ));
        }
        if valid.quantity > l.stock {
            return Err(NodeError::Invalid(InvalidInput::new(
                "quantity",
                "out_of_stock",
                format!("only {} {} left in stock", l.stock, l.unit),
            )));
        }
        let mut token = [0u8; REQUEST_TOKEN_BYTES];
        self.fill_random(&mut token);
        let token = hex::encode(token);
        let now = self.clock.now_ms();
        let mut writer = lock(&self.writer);
        for _ in 0..4 {
            let mut bytes = [0u8; REQUEST_CODE_LEN];
            self.fill_random(&mut bytes);
            let code: String = bytes
                .iter()
                .map(|b| char::from(CODE_ALPHABET[usize::from(b & 0x1f)]))
                .collect();
            if writer.store.buyer_request(&code)?.is_some() {
                continue;
            }
            let request = RequestRow {
                code: code.clone(),
                token_sha256: token_hash(&token),
                created_ms: now,
                updated_ms: now,
                seller_center: seller.to_string(),
                listing: listing.to_string(),
                title: l.title.id.clone(),
                unit: l.unit.clone(),
                producer: l.producer.clone(),
                unit_price_idr: l.price_idr,
                quantity: valid.quantity,
                buyer_name: valid.buyer_name.clone(),
                buyer_phone: valid.buyer_phone.clone(),
                pickup: valid.pickup,
                delivery_note: valid.note.clone(),
                status: RequestStatus::New,
                order_id: None,
                reason: String::new(),
            };
            if !writer.store.insert_request(&request, OPEN_REQUESTS_MAX)? {
                return Err(refused(
                    "requests_full",
                    format!("{OPEN_REQUESTS_MAX} requests already wait for the operator"),
                ));
            }
            return Ok(Submitted { code, token });
        }
        Err(NodeError::Internal("request code drawn four times".into()))
    }

    /// Requests, `new` first, then newest first (at most [`REQUESTS_LISTED_MAX`]).
    pub fn requests(&self, status: Option<RequestStatus>) -> Result<Vec<RequestRow>, NodeError> {
        Ok(lock(&self.reader).buyer_requests(status, REQUESTS_LISTED_MAX)?)
    }

    /// How many requests wait for the operator.
    pub fn open_request_count(&self) -> Result<u64, NodeError> {
        Ok(lock(&self.reader).open_requests()?)
    }

    /// One request by its code.
    pub fn request(&self, code: &str) -> Result<RequestRow, NodeError> {
        let code = parse_code(code).ok_or_else(|| NodeError::NoSuchRequest(code.to_owned()))?;
        lock(&self.reader)
            .buyer_request(&code)?
            .ok_or(NodeError::NoSuchRequest(code))
    }

    /// What the buyer's status page shows, if `token` is the request's token
    /// (compared in constant time); `None` for an unknown code or a wrong token alike.
    pub fn request_status(
        &self,
        code: &str,
        token: &str,
    ) -> Result<Option<RequestView>, NodeError> {
        let Some(code) = parse_code(code) else {
            return Ok(None);
        };
        let Some(request) = lock(&self.reader).buyer_request(&code)? else {
            return Ok(None);
        };
        let given = token_hash(token.get(..64).unwrap_or(token));
        if !bool::from(given.as_bytes().ct_eq(request.token_sha256.as_bytes())) {
            return Ok(None);
        }
        let order = match request.order_id.as_deref().map(str::parse::<OrderId>) {
            Some(Ok(id)) => match self.order(&id) {
                Ok(detail) => {
                    let reason = detail
                        .events
                        .iter()
                        .rev()
                        .find_map(|(_, event)| event.reason.clone());
                    Some((detail.row.status_word().to_owned(), reason))
                }
                Err(NodeError::NoSuchOrder(_)) => None,
                Err(e) => return Err(e),
            },
            _ => None,
        };
        Ok(Some(RequestView { request, order }))
    }

    /// Declines a waiting request with a reason the buyer will read.
    pub fn decline_request(&self, code: &str, reason: &str) -> Result<RequestRow, NodeError> {
        let reason = text_line("reason", reason, 1, REASON_CHARS_MAX)?;
        let row = self.request(code)?;
        let now = self.clock.now_ms();
        if !lock(&self.writer)
            .store
            .decline_request(&row.code, &reason, now)?
        {
            return Err(not_new(&row));
        }
        self.request(&row.code)
    }

    /// Places the order a waiting request asks for with the selling center and
    /// links the request to it, in the placement's transaction.
    pub fn link_request_order(
        &self,
        code: &str,
        input: &PlaceOrder,
    ) -> Result<OrderRow, NodeError> {
        let row = self.request(code)?;
        if input.seller.to_string() != row.seller_center || input.listing.as_str() != row.listing {
            return Err(refused(
                "request_mismatch",
                format!("request {} is for another product", row.code),
            ));
        }
        self.place_order_for(input, Some(&row.code))
    }

    /// Checks, under the writer lock, that request `code` still waits.
    pub(super) fn request_waits(
        &self,
        store: &crate::store::Store,
        code: &str,
    ) -> Result<(), NodeError> {
        let row = store
            .buyer_request(code)?
            .ok_or_else(|| NodeError::NoSuchRequest(code.to_owned()))?;
        if row.status != RequestStatus::New {
            return Err(not_new(&row));
        }
        Ok(())
    }

    /// Sells a waiting request for this center's own product here: one
    /// transaction records the sale, marks the request sold and takes the
    /// quantity off the listing's stock (a signed catalog change).
    pub fn sell_request_locally(&self, code: &str) -> Result<RequestRow, NodeError> {
        let row = self.request(code)?;
        if row.seller_center != self.center_id().to_string() {
            return Err(refused(
                "not_own_listing",
                format!(
                    "request {} is for another center's product; turn it into an order",
                    row.code
                ),
            ));
        }
        let listing: ListingId = row
            .listing
            .parse()
            .map_err(|_| NodeError::Internal("stored listing id unreadable".into()))?;
        let now = self.clock.now_ms();
        {
            let mut writer = lock(&self.writer);
            self.request_waits(&writer.store, &row.code)?;
            let pair = crate::store::PairWrite {
                request: Some(RequestWrite::Sold {
                    code: row.code.clone(),
                    sale: NewSale {
                        kind: "local",
                        reference: row.code.clone(),
                        at_ms: now,
                        listing: row.listing.clone(),
                        title: row.title.clone(),
                        unit: row.unit.clone(),
                        quantity: row.quantity,
                        unit_price_idr: row.unit_price_idr,
                    },
                }),
                ..Default::default()
            };
            self.commit_with_stock(&mut writer, &listing, -row.quantity, pair)?;
        }
        self.request(&row.code)
    }
}

impl Node {
    /// Fills the open requests up to `count` with copies of `row` (tests of the bound).
    #[cfg(test)]
    pub(crate) fn fill_open_requests_for_tests(&self, row: &RequestRow, count: u64) {
        let mut writer = lock(&self.writer);
        let held = writer.store.open_requests().unwrap_or(0);
        for i in held..count {
            let mut copy = row.clone();
            copy.code = format!("T{i:07}");
            copy.status = RequestStatus::New;
            let _ = writer.store.insert_request(&copy, count);
        }
    }
}

#[cfg(test)]
mod tests;
