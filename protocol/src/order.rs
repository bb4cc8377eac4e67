//! Orders between two centers, their signed pair messages, the order state
//! machine, and the fee arithmetic that turns a completed order into ledger
//! entries.
//!
//! An order lives on exactly two nodes: the *buyer* center (where the order was
//! placed) and the *seller* center (whose catalog lists the product). Its history
//! is a hash chain of [`OrderEvent`]s, each signed by the center that made that
//! step. The seller's node is the sequencer: its own steps enter the chain
//! directly, the buyer's steps are proposals that enter the chain when the
//! seller's node appends them. So there is never a fork to resolve; a proposal
//! built on an old head is refused with the reason. `docs/protocol.md` §11
//! describes the wire format and every rule checked here.

use std::fmt;
use std::str::FromStr;

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::id::{CenterId, IdError, ListingId};
use crate::identity::Identity;
use crate::limits::*;
use crate::validate::{InvalidInput, text_block, text_line};

/// Domain tag of every signed pair message.
pub const PAIR_DOMAIN: &[u8] = b"telecenter v1 pair-message\0";
/// Version of the pair message format.
pub const PAIR_VERSION: u32 = 1;

/// Characters of an order or settlement id.
pub const ORDER_ID_LEN: usize = 12;

/// The id of an order or a settlement: twelve characters of Crockford base32
/// (60 random bits), drawn by the center that creates it, e.g. `q3k9v2m7xa4d`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(String);

impl OrderId {
    /// Draws a new random id.
    pub fn random(rng: &mut dyn RngCore) -> Self {
        Self(crate::id::random_id(rng, ORDER_ID_LEN))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrderId({})", self.0)
    }
}

impl FromStr for OrderId {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        crate::id::parse_id(text, ORDER_ID_LEN)
            .map(Self)
            .ok_or_else(|| IdError::OrderId {
                found: crate::id::shorten(text),
            })
    }
}

impl Serialize for OrderId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OrderId {
    /// On the wire an id has exactly one form: twelve lower-case characters, so
    /// a signed body has one meaning (people's input goes through `FromStr`,
    /// which also takes upper case and spaces).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.parse::<Self>() {
            Ok(id) if id.0 == text => Ok(id),
            _ => Err(serde::de::Error::custom(format!(
                "{text:?} is not an order id in wire form (12 lower-case characters)"
            ))),
        }
    }
}

/// A center's published fee terms: the referral fee it pays to the center that
/// brought a sale. Part of its catalog profile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeTerms {
    /// Referral fee in basis points of the goods value (300 = 3 %).
    pub referral_bp: u32,
    /// Smallest referral fee per order, whole rupiah (0 = none).
    pub min_idr: i64,
}

impl FeeTerms {
    /// Checks the terms against their limits.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        if self.referral_bp > FEE_BP_MAX {
            return Err(InvalidInput::new(
                "referral_fee",
                "too_high",
                format!(
                    "the referral fee may be at most {} %, found {}",
                    percent_text(FEE_BP_MAX),
                    percent_text(self.referral_bp)
                ),
            ));
        }
        if !(0..=FEE_MIN_IDR_MAX).contains(&self.min_idr) {
            return Err(InvalidInput::new(
                "referral_fee_min",
                "out_of_range",
                format!(
                    "the minimum fee must be between 0 and {FEE_MIN_IDR_MAX} rupiah, found {}",
                    self.min_idr
                ),
            ));
        }
        Ok(())
    }

    /// The referral fee on goods worth `gross_idr`, by the one rounding rule:
    /// `gross × bp / 10 000` rounded to the nearest whole rupiah, halves up; then
    /// raised to the minimum; never more than the goods value.
    pub fn fee_idr(&self, gross_idr: i64) -> i64 {
        if gross_idr <= 0 {
            return 0;
        }
        let exact = i128::from(gross_idr) * i128::from(self.referral_bp);
        let rounded = (exact + 5_000) / 10_000;
        let fee = i64::try_from(rounded).unwrap_or(i64::MAX);
        fee.max(self.min_idr).min(gross_idr)
    }
}

/// Earliest time accepted on a step, payment or reply (2020-01-01T00:00:00Z): a
/// PC whose clock was reset must not book entries into a long-closed month.
pub const TIME_MS_MIN: i64 = 1_577_836_800_000;
/// How far a step may lie before the previous one (the two centers' clocks differ).
pub const CLOCK_SKEW_MS_MAX: i64 = 5 * 60 * 1000;

/// Checks a time on a signed body: not before [`TIME_MS_MIN`], and not more than
/// [`CLOCK_SKEW_MS_MAX`] before `after_ms` (the time of what it follows).
pub fn check_time(at_ms: i64, after_ms: i64) -> Result<(), String> {
    if at_ms < TIME_MS_MIN {
        return Err(format!(
            "the time {at_ms} is before 2020; check the clock of the computer that made it"
        ));
    }
    if at_ms < after_ms.saturating_sub(CLOCK_SKEW_MS_MAX) {
        return Err(format!(
            "the time {at_ms} is more than 5 minutes before the step it follows ({after_ms}); check the clocks"
        ));
    }
    Ok(())
}

/// Basis points as a percentage for people: `300` → `3`, `250` → `2,5`.
pub fn percent_text(bp: u32) -> String {
    let whole = bp / 100;
    let rest = bp % 100;
    if rest == 0 {
        whole.to_string()
    } else if rest.is_multiple_of(10) {
        format!("{whole},{}", rest / 10)
    } else {
        format!("{whole},{rest:02}")
    }
}

/// Parses a percentage typed by a person (`3`, `3%`, `2,5`, `2.25 %`) into basis points.
pub fn parse_percent(text: &str) -> Result<u32, InvalidInput> {
    let bad = || {
        InvalidInput::new(
            "referral_fee",
            "not_a_percentage",
            format!("expected a percentage such as 3 or 2,5, found {text:?}"),
        )
    };
    let cleaned = text.trim().trim_end_matches('%').trim().replace(',', ".");
    let (whole, frac) = match cleaned.split_once('.') {
        Some((w, f)) => (w, f),
        None => (cleaned.as_str(), ""),
    };
    let has_point = cleaned.contains('.');
    if whole.is_empty() || whole.len() > 3 || frac.len() > 2 || (has_point && frac.is_empty()) {
        return Err(bad());
    }
    if !whole
        .bytes()
        .chain(frac.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: u32 = whole.parse().map_err(|_| bad())?;
    let frac: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().map_err(|_| bad())?
    };
    let bp = whole * 100 + frac;
    let terms = FeeTerms {
        referral_bp: bp,
        min_idr: 0,
    };
    terms.validate()?;
    Ok(bp)
}

/// Which center collects the buyer's money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Collector {
    /// The ordering (buyer's) center takes the money and owes the seller center.
    BuyerCenter,
    /// The buyer pays the selling center directly.
    SellerCenter,
}

/// How the buyer pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayMethod {
    /// Cash at the counter.
    Cash,
    /// Bank transfer.
    Transfer,
    /// QRIS.
    Qris,
}

impl FromStr for PayMethod {
    type Err = InvalidInput;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "cash" | "tunai" => Ok(Self::Cash),
            "transfer" | "bank" => Ok(Self::Transfer),
            "qris" => Ok(Self::Qris),
            other => Err(InvalidInput::new(
                "payment_method",
                "unknown",
                format!("payment method must be cash, transfer or qris, found {other:?}"),
            )),
        }
    }
}

impl FromStr for Collector {
    type Err = InvalidInput;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "buyer_center" | "buyer-center" | "here" => Ok(Self::BuyerCenter),
            "seller_center" | "seller-center" | "seller" => Ok(Self::SellerCenter),
            other => Err(InvalidInput::new(
                "payment_at",
                "unknown",
                format!(
                    "payment is collected at 'buyer-center' or 'seller-center', found {other:?}"
                ),
            )),
        }
    }
}

/// The payment arrangement of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Who takes the money.
    pub collected_by: Collector,
    /// How.
    pub method: PayMethod,
}

/// The buyer, known only to the two centers of the order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buyer {
    /// Name.
    pub name: String,
    /// Phone or WhatsApp number.
    pub phone: String,
}

/// Everything an order fixes when it is placed: the snapshot both centers keep.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTerms {
    /// The ordering center.
    pub buyer_center: CenterId,
    /// The selling center (owner of the listing).
    pub seller_center: CenterId,
    /// The listing in the seller's catalog.
    pub listing: ListingId,
    /// Its Indonesian title at placement.
    pub title: String,
    /// Its unit at placement.
    pub unit: String,
    /// Its producer at placement.
    pub producer: String,
    /// Price of one unit at placement, whole rupiah.
    pub unit_price_idr: i64,
    /// Units ordered.
    pub quantity: i64,
    /// The seller's fee terms at placement.
    pub fee: FeeTerms,
    /// Who collects the money, and how.
    pub payment: Payment,
    /// The buyer.
    pub buyer: Buyer,
    /// A note for the seller (may be empty).
    pub note: String,
}

impl OrderTerms {
    /// Value of the goods: unit price × quantity.
    pub fn gross_idr(&self) -> i64 {
        self.unit_price_idr.saturating_mul(self.quantity)
    }

    /// The referral fee the seller owes the buyer center on completion.
    pub fn fee_idr(&self) -> i64 {
        self.fee.fee_idr(self.gross_idr())
    }

    /// Checks every field: the parties differ, quantity and price are in range, text
    /// fits its limits, fee terms are valid. Returns the terms with text normalised.
    pub fn validate(&self) -> Result<Self, InvalidInput> {
        if self.buyer_center == self.seller_center {
            return Err(InvalidInput::new(
                "seller_center",
                "same_center",
                "a center cannot order from its own catalog; sell it directly".into(),
            ));
        }
        if !(1..=ORDER_QUANTITY_MAX).contains(&self.quantity) {
            return Err(InvalidInput::new(
                "quantity",
                "out_of_range",
                format!(
                    "quantity must be between 1 and {ORDER_QUANTITY_MAX}, found {}",
                    self.quantity
                ),
            ));
        }
        if !(0..=PRICE_IDR_MAX).contains(&self.unit_price_idr) {
            return Err(InvalidInput::new(
                "unit_price_idr",
                "out_of_range",
                format!(
                    "unit price must be between 0 and {PRICE_IDR_MAX} rupiah, found {}",
                    self.unit_price_idr
                ),
            ));
        }
        self.fee.validate()?;
        let phone = text_line("buyer_phone", &self.buyer.phone, 6, PHONE_CHARS_MAX)?;
        if !phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'))
        {
            return Err(InvalidInput::new(
                "buyer_phone",
                "not_a_phone_number",
                // The number itself is not repeated: errors may travel or be logged.
                "a phone number has only digits, spaces, +, -, ( and )".to_owned(),
            ));
        }
        Ok(Self {
            title: text_line("title", &self.title, 1, TITLE_CHARS_MAX)?,
            unit: text_line("unit", &self.unit, 1, UNIT_CHARS_MAX)?,
            producer: text_line("producer", &self.producer, 0, PRODUCER_CHARS_MAX)?,
            buyer: Buyer {
                name: text_line("buyer_name", &self.buyer.name, 1, BUYER_NAME_CHARS_MAX)?,
                phone,
            },
            note: text_block("note", &self.note, ORDER_NOTE_CHARS_MAX)?,
            ..self.clone()
        })
    }
}

/// One step of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The buyer center places the order (first event; carries the terms).
    Place,
    /// The seller accepts it and reserves the stock.
    Accept,
    /// The seller refuses it (a reason is required).
    Reject,
    /// The seller has sent the goods.
    Ship,
    /// The goods reached the buyer; either center may say so. Books the ledger.
    Complete,
    /// Called off: by the buyer while placed, by the seller while placed or accepted.
    Cancel,
}

impl Action {
    /// The word used on the wire and in the CLI.
    pub fn word(self) -> &'static str {
        match self {
            Self::Place => "place",
            Self::Accept => "accept",
            Self::Reject => "reject",
            Self::Ship => "ship",
            Self::Complete => "complete",
            Self::Cancel => "cancel",
        }
    }
}

impl FromStr for Action {
    type Err = InvalidInput;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text {
            "place" => Self::Place,
            "accept" => Self::Accept,
            "reject" => Self::Reject,
            "ship" => Self::Ship,
            "complete" => Self::Complete,
            "cancel" => Self::Cancel,
            other => {
                return Err(InvalidInput::new(
                    "action",
                    "unknown",
                    format!("expected accept, reject, ship, complete or cancel, found {other:?}"),
                ));
            }
        })
    }
}

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for the seller's decision.
    Placed,
    /// Accepted; stock reserved.
    Accepted,
    /// Refused by the seller (final).
    Rejected,
    /// Sent by the seller.
    Shipped,
    /// Received; the ledger is booked (final).
    Completed,
    /// Called off (final).
    Cancelled,
}

impl Status {
    /// The word used on the wire and in the database.
    pub fn word(self) -> &'static str {
        match self {
            Self::Placed => "placed",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Shipped => "shipped",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether no further step is possible.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Rejected | Self::Completed | Self::Cancelled)
    }
}

impl FromStr for Status {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text {
            "placed" => Self::Placed,
            "accepted" => Self::Accepted,
            "rejected" => Self::Rejected,
            "shipped" => Self::Shipped,
            "completed" => Self::Completed,
            "cancelled" => Self::Cancelled,
            other => return Err(format!("unknown order status {other:?}")),
        })
    }
}

/// The two sides of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The ordering center.
    Buyer,
    /// The selling center.
    Seller,
}

/// Which center may take `action` from `status`, and where it leads; `None` if the
/// step is not allowed at all from there. This table is the whole state machine.
pub fn transition(status: Status, action: Action, by: Role) -> Option<Status> {
    use Action as A;
    use Role as R;
    use Status as S;
    match (status, action, by) {
        (S::Placed, A::Accept, R::Seller) => Some(S::Accepted),
        (S::Placed, A::Reject, R::Seller) => Some(S::Rejected),
        (S::Placed, A::Cancel, _) => Some(S::Cancelled),
        (S::Accepted, A::Cancel, R::Seller) => Some(S::Cancelled),
        (S::Accepted, A::Ship, R::Seller) => Some(S::Shipped),
        (S::Shipped, A::Complete, _) => Some(S::Completed),
        _ => None,
    }
}

/// One signed step of an order's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    /// The order.
    pub order: OrderId,
    /// Position in the chain: 0 for `place`, then 1, 2, ...
    pub seq: u32,
    /// Hex SHA-256 of the previous event's body; absent for `place`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// The center that makes this step (must be the signer).
    pub by: CenterId,
    /// When, milliseconds since the epoch, UTC (the author's clock).
    pub at_ms: i64,
    /// The step.
    pub action: Action,
    /// Why (required for reject and cancel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The order's terms; present exactly on `place`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<OrderTerms>,
}

/// A settlement payment as recorded by the payer, or a correction proposed by
/// one center of a pair; either moves the balance only once the other center
/// confirms it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementPayment {
    /// The settlement's id (drawn by the payer).
    pub id: OrderId,
    /// Who paid (the signer); for a correction, the center proposing it.
    pub payer: CenterId,
    /// Who received the money; for a correction, the other center.
    pub payee: CenterId,
    /// How much, whole rupiah.
    pub amount_idr: i64,
    /// Bank reference or a note, e.g. "BRI 2026-11-30 ref 8812"; for a
    /// correction, why (required).
    pub reference: String,
    /// When it was recorded, UTC ms.
    pub at_ms: i64,
    /// Present only on a correction: the center that is owed `amount_idr` more
    /// (one of the two). Ledger entries are never changed; a mistake is put right
    /// by such a new entry, agreed by both centers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction_owed_to: Option<CenterId>,
}

/// The payee's answer to a [`SettlementPayment`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementReply {
    /// The settlement answered.
    pub id: OrderId,
    /// Hex SHA-256 of the payment message's body.
    pub payment: String,
    /// The payee (the signer).
    pub by: CenterId,
    /// Confirmed (the money arrived) or declined.
    pub confirmed: bool,
    /// Why it was declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When, UTC ms.
    pub at_ms: i64,
}

/// What a pair message says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
// Bodies are parsed one at a time and short-lived; boxing the terms would only
// complicate every match.
#[allow(clippy::large_enum_variant)]
pub enum Body {
    /// A step of an order.
    OrderEvent(OrderEvent),
    /// A settlement payment.
    SettlementPayment(SettlementPayment),
    /// The answer to one.
    SettlementReply(SettlementReply),
}

impl Body {
    /// The center that must have signed this body.
    pub fn author(&self) -> CenterId {
        match self {
            Self::OrderEvent(e) => e.by,
            Self::SettlementPayment(p) => p.payer,
            Self::SettlementReply(r) => r.by,
        }
    }
}

/// A signed pair message as it travels: the exact body bytes (a JSON text) and
/// the signer's signature over `PAIR_DOMAIN || body`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedMessage {
    /// Format version ([`PAIR_VERSION`]).
    pub v: u32,
    /// The signing center.
    pub signer: CenterId,
    /// The body: a JSON text, kept byte for byte as signed.
    pub body: String,
    /// The ed25519 signature, 128 hex characters.
    pub sig: String,
}

/// A pair message whose signature and body were checked.
#[derive(Clone, Debug)]
pub struct VerifiedMessage {
    /// The message as received (forwarded and stored exactly like this).
    pub signed: SignedMessage,
    /// The parsed body.
    pub body: Body,
    /// Hex SHA-256 of the body bytes: the message's id.
    pub hash: String,
}

/// Why a pair message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// Unknown version.
    #[error("unsupported pair message version {0} (this node speaks 1)")]
    Version(u32),
    /// Over the size limit.
    #[error("pair message body is {found} bytes; the limit is {max}")]
    TooLarge {
        /// Bytes found.
        found: usize,
        /// The limit.
        max: usize,
    },
    /// The signature does not verify.
    #[error("signature of {0} does not verify")]
    BadSignature(CenterId),
    /// The body is not a valid message.
    #[error("malformed pair message body: {0}")]
    Malformed(String),
    /// Signed by someone else than the body's author.
    #[error("message of {author} was signed by {signer}")]
    WrongSigner {
        /// Who the body says made it.
        author: CenterId,
        /// Who signed.
        signer: CenterId,
    },
}

impl MessageError {
    /// A stable code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Version(_) => "unsupported_version",
            Self::TooLarge { .. } => "too_large",
            Self::BadSignature(_) => "bad_signature",
            Self::Malformed(_) => "malformed",
            Self::WrongSigner { .. } => "wrong_signer",
        }
    }
}

/// Hex SHA-256 of a message body.
pub fn body_hash(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))
}

impl SignedMessage {
    /// Serialises `body` and signs it as `identity`.
    pub fn sign(identity: &Identity, body: &Body) -> Result<Self, MessageError> {
        if body.author() != identity.center_id() {
            return Err(MessageError::WrongSigner {
                author: body.author(),
                signer: identity.center_id(),
            });
        }
        let text =
            serde_json::to_string(body).map_err(|e| MessageError::Malformed(e.to_string()))?;
        if text.len() > PAIR_MESSAGE_BYTES_MAX {
            return Err(MessageError::TooLarge {
                found: text.len(),
                max: PAIR_MESSAGE_BYTES_MAX,
            });
        }
        let sig = identity.sign(PAIR_DOMAIN, &[text.as_bytes()]);
        Ok(Self {
            v: PAIR_VERSION,
            signer: identity.center_id(),
            body: text,
            sig: hex::encode(sig),
        })
    }

    /// Checks version, size and signature (over the exact body bytes) before
    /// parsing the body, then that the body's author is the signer.
    pub fn verify(self) -> Result<VerifiedMessage, MessageError> {
        if self.v != PAIR_VERSION {
            return Err(MessageError::Version(self.v));
        }
        if self.body.len() > PAIR_MESSAGE_BYTES_MAX {
            return Err(MessageError::TooLarge {
                found: self.body.len(),
                max: PAIR_MESSAGE_BYTES_MAX,
            });
        }
        let bad = || MessageError::BadSignature(self.signer);
        let sig: [u8; 64] = hex::decode(&self.sig)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)?;
        if !crate::identity::verify(&self.signer, PAIR_DOMAIN, &[self.body.as_bytes()], &sig) {
            return Err(bad());
        }
        let body: Body =
            serde_json::from_str(&self.body).map_err(|e| MessageError::Malformed(e.to_string()))?;
        if body.author() != self.signer {
            return Err(MessageError::WrongSigner {
                author: body.author(),
                signer: self.signer,
            });
        }
        let hash = body_hash(&self.body);
        Ok(VerifiedMessage {
            signed: self,
            body,
            hash,
        })
    }
}

/// Why an order event cannot follow the chain it was offered to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// The first event must be a valid `place` by the buyer.
    #[error("{0}")]
    BadPlacement(String),
    /// The event's author is neither party of the order.
    #[error("center {0} is not a party to this order")]
    NotAParty(CenterId),
    /// The event is not the next in the chain.
    #[error("expected step {expected} after {head}, found step {found}")]
    OutOfSequence {
        /// The seq expected.
        expected: u32,
        /// Hash of the current head (first 12 hex chars).
        head: String,
        /// The seq found.
        found: u32,
    },
    /// The event names another previous event than the current head.
    #[error("the step was made on an older state of the order (it is now {0})")]
    StaleHead(&'static str),
    /// Not allowed from the current status for that party.
    #[error("a {role} center cannot {action} an order that is {status}")]
    NotAllowed {
        /// The role of the author.
        role: &'static str,
        /// The action tried.
        action: &'static str,
        /// The order's status.
        status: &'static str,
    },
    /// Reject and cancel need a reason; other fields are out of place.
    #[error("{0}")]
    BadField(String),
}

impl StepError {
    /// A stable code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadPlacement(_) => "bad_placement",
            Self::NotAParty(_) => "not_a_party",
            Self::OutOfSequence { .. } => "out_of_sequence",
            Self::StaleHead(_) => "order_moved_on",
            Self::NotAllowed { .. } => "not_allowed",
            Self::BadField(_) => "bad_field",
        }
    }
}

/// An order as its chain of events defines it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderState {
    /// The order.
    pub id: OrderId,
    /// Its terms (from the `place` event).
    pub terms: OrderTerms,
    /// Where it stands.
    pub status: Status,
    /// Seq of the last event.
    pub seq: u32,
    /// Hash of the last event's body.
    pub head: String,
    /// When it was placed (buyer's clock).
    pub placed_at_ms: i64,
    /// When the last event was made.
    pub updated_at_ms: i64,
}

impl OrderState {
    /// The role `center` plays in this order, if any.
    pub fn role_of(&self, center: &CenterId) -> Option<Role> {
        if *center == self.terms.buyer_center {
            Some(Role::Buyer)
        } else if *center == self.terms.seller_center {
            Some(Role::Seller)
        } else {
            None
        }
    }

    /// Starts an order from its `place` event (hash `hash`).
    pub fn start(event: &OrderEvent, hash: &str) -> Result<Self, StepError> {
        let bad = |m: String| Err(StepError::BadPlacement(m));
        if event.action != Action::Place || event.seq != 0 || event.prev.is_some() {
            return bad("an order starts with a 'place' step at position 0".into());
        }
        let Some(terms) = &event.terms else {
            return bad("the 'place' step carries no terms".into());
        };
        if event.by != terms.buyer_center {
            return bad(format!(
                "the order was placed by {} but names {} as the buyer center",
                event.by, terms.buyer_center
            ));
        }
        if event.reason.is_some() {
            return Err(StepError::BadField("a 'place' step has no reason".into()));
        }
        check_time(event.at_ms, TIME_MS_MIN).map_err(StepError::BadField)?;
        let valid = terms
            .validate()
            .map_err(|e| StepError::BadPlacement(e.message))?;
        if valid != *terms {
            return bad("the terms' text is not in normal form".into());
        }
        Ok(Self {
            id: event.order.clone(),
            terms: valid,
            status: Status::Placed,
            seq: 0,
            head: hash.to_owned(),
            placed_at_ms: event.at_ms,
            updated_at_ms: event.at_ms,
        })
    }

    /// The state after `event` (hash `hash`), or why it cannot follow.
    pub fn step(&self, event: &OrderEvent, hash: &str) -> Result<Self, StepError> {
        let role = self
            .role_of(&event.by)
            .ok_or(StepError::NotAParty(event.by))?;
        if event.order != self.id || event.seq != self.seq + 1 {
            return Err(StepError::OutOfSequence {
                expected: self.seq + 1,
                head: self.head.chars().take(12).collect(),
                found: event.seq,
            });
        }
        if event.prev.as_deref() != Some(self.head.as_str()) {
            return Err(StepError::StaleHead(self.status.word()));
        }
        if event.terms.is_some() {
            return Err(StepError::BadField(
                "only the 'place' step carries terms".into(),
            ));
        }
        check_time(event.at_ms, self.updated_at_ms).map_err(StepError::BadField)?;
        let status = transition(self.status, event.action, role).ok_or(StepError::NotAllowed {
            role: match role {
                Role::Buyer => "buying",
                Role::Seller => "selling",
            },
            action: event.action.word(),
            status: self.status.word(),
        })?;
        match (&event.action, &event.reason) {
            (Action::Reject | Action::Cancel, None) => {
                return Err(StepError::BadField(format!(
                    "a '{}' step needs a reason",
                    event.action.word()
                )));
            }
            (Action::Reject | Action::Cancel, Some(reason)) => {
                let valid = text_line("reason", reason, 1, REASON_CHARS_MAX)
                    .map_err(|e| StepError::BadField(e.message))?;
                if valid != *reason {
                    return Err(StepError::BadField(
                        "the reason is not in normal form".into(),
                    ));
                }
            }
            (_, Some(_)) => {
                return Err(StepError::BadField(format!(
                    "a '{}' step has no reason",
                    event.action.word()
                )));
            }
            (_, None) => {}
        }
        Ok(Self {
            status,
            seq: event.seq,
            head: hash.to_owned(),
            updated_at_ms: event.at_ms,
            ..self.clone()
        })
    }
}

/// What a ledger entry is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// The buyer center collected the goods' value on the seller's behalf.
    Goods,
    /// The referral fee the seller owes the buyer center.
    ReferralFee,
    /// A settlement payment between the two.
    Settlement,
    /// A correction agreed by both centers.
    Correction,
}

impl EntryKind {
    /// The word used on the wire and in the database.
    pub fn word(self) -> &'static str {
        match self {
            Self::Goods => "goods",
            Self::ReferralFee => "referral_fee",
            Self::Settlement => "settlement",
            Self::Correction => "correction",
        }
    }
}

impl FromStr for EntryKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text {
            "goods" => Self::Goods,
            "referral_fee" => Self::ReferralFee,
            "settlement" => Self::Settlement,
            "correction" => Self::Correction,
            other => return Err(format!("unknown entry kind {other:?}")),
        })
    }
}

/// One double-entry booking between two centers: `amount_idr` is credited to the
/// creditor's account and debited to the debtor's, so every entry sums to zero.
/// Both centers book the identical entry (same id, amount, parties and time).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Deterministic id: `order/<id>/goods`, `order/<id>/fee`, `settlement/<id>`.
    pub id: String,
    /// What it is for.
    pub kind: EntryKind,
    /// The center that is owed (credited).
    pub creditor: CenterId,
    /// The center that owes (debited).
    pub debtor: CenterId,
    /// How much, whole rupiah, > 0.
    pub amount_idr: i64,
    /// The order it comes from, if any.
    pub order: Option<OrderId>,
    /// The settlement it comes from, if any.
    pub settlement: Option<OrderId>,
    /// When it took effect: the completing event's or the confirmation's time.
    pub at_ms: i64,
}

/// The entries a completed order books (completed at `at_ms`):
/// - payment collected by the buyer center: the buyer center owes the seller the
///   goods' value, and the seller owes the buyer center the referral fee;
/// - payment collected by the seller: the seller owes the buyer center the fee.
///
/// Zero amounts are not booked.
pub fn order_entries(id: &OrderId, terms: &OrderTerms, at_ms: i64) -> Vec<LedgerEntry> {
    let mut entries = Vec::new();
    let gross = terms.gross_idr();
    if terms.payment.collected_by == Collector::BuyerCenter && gross > 0 {
        entries.push(LedgerEntry {
            id: format!("order/{id}/goods"),
            kind: EntryKind::Goods,
            creditor: terms.seller_center,
            debtor: terms.buyer_center,
            amount_idr: gross,
            order: Some(id.clone()),
            settlement: None,
            at_ms,
        });
    }
    let fee = terms.fee_idr();
    if fee > 0 {
        entries.push(LedgerEntry {
            id: format!("order/{id}/fee"),
            kind: EntryKind::ReferralFee,
            creditor: terms.buyer_center,
            debtor: terms.seller_center,
            amount_idr: fee,
            order: Some(id.clone()),
            settlement: None,
            at_ms,
        });
    }
    entries
}

/// The entry a confirmed settlement books: the payer paid the payee, so the payer
/// is credited (its debt shrinks) and the payee debited.
///
/// A confirmed correction books `correction/<id>`: the center it names is
/// credited, the other debited.
pub fn settlement_entry(payment: &SettlementPayment, confirmed_at_ms: i64) -> LedgerEntry {
    if let Some(owed_to) = payment.correction_owed_to {
        let debtor = if owed_to == payment.payer {
            payment.payee
        } else {
            payment.payer
        };
        return LedgerEntry {
            id: format!("correction/{}", payment.id),
            kind: EntryKind::Correction,
            creditor: owed_to,
            debtor,
            amount_idr: payment.amount_idr,
            order: None,
            settlement: Some(payment.id.clone()),
            at_ms: confirmed_at_ms,
        };
    }
    LedgerEntry {
        id: format!("settlement/{}", payment.id),
        kind: EntryKind::Settlement,
        creditor: payment.payer,
        debtor: payment.payee,
        amount_idr: payment.amount_idr,
        order: None,
        settlement: Some(payment.id.clone()),
        at_ms: confirmed_at_ms,
    }
}

impl SettlementPayment {
    /// Checks the amount, the reference text and that payer and payee differ.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        if self.payer == self.payee {
            return Err(InvalidInput::new(
                "payee",
                "same_center",
                "a center cannot pay itself".into(),
            ));
        }
        if !(1..=SETTLEMENT_IDR_MAX).contains(&self.amount_idr) {
            return Err(InvalidInput::new(
                "amount_idr",
                "out_of_range",
                format!(
                    "a settlement must be between 1 and {SETTLEMENT_IDR_MAX} rupiah, found {}",
                    self.amount_idr
                ),
            ));
        }
        let correction = self.correction_owed_to.is_some();
        if let Some(owed_to) = self.correction_owed_to
            && owed_to != self.payer
            && owed_to != self.payee
        {
            return Err(InvalidInput::new(
                "correction_owed_to",
                "not_a_party",
                "a correction can only credit one of the two centers".into(),
            ));
        }
        let min_chars = usize::from(correction);
        let reference = text_line("reference", &self.reference, min_chars, REFERENCE_CHARS_MAX)?;
        if reference != self.reference {
            return Err(InvalidInput::new(
                "reference",
                "not_normalised",
                "the reference text is not in normal form".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "order/tests.rs"]
mod tests;
