//! The terms of one order as the buyer center places it: who, what, how much,
//! who collects the money and how the buyer pays.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::fee::FeeTerms;
use crate::id::{CenterId, ListingId};
use crate::limits::*;
use crate::text::{InvalidInput, in_range, text_block, text_line};

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

/// `text` in lower case with its words joined by one space, for matching the
/// words people type (`Di  Sini` → `di sini`).
fn typed_words(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl FromStr for PayMethod {
    type Err = InvalidInput;

    /// The API words, and the words the pages use, in any case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match typed_words(text).as_str() {
            "cash" | "tunai" => Ok(Self::Cash),
            "transfer" | "bank" | "transfer bank" | "bank transfer" => Ok(Self::Transfer),
            "qris" => Ok(Self::Qris),
            other => Err(InvalidInput::new(
                "payment_method",
                "unknown",
                format!(
                    "payment method must be tunai (cash), transfer or qris, found {:?}",
                    crate::id::shorten(other)
                ),
            )),
        }
    }
}

impl FromStr for Collector {
    type Err = InvalidInput;

    /// The API words, and the words the pages use ("Di telecenter ini",
    /// "Di telecenter penjual"), in any case, with or without "di".
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let words = typed_words(text);
        let place = words.strip_prefix("di ").unwrap_or(&words);
        match place {
            "buyer_center" | "buyer-center" | "here" | "sini" | "pusat ini" | "telecenter ini" => {
                Ok(Self::BuyerCenter)
            }
            "seller_center" | "seller-center" | "seller" | "penjual" | "pusat penjual"
            | "telecenter penjual" => Ok(Self::SellerCenter),
            _ => Err(InvalidInput::new(
                "payment_at",
                "unknown",
                format!(
                    "the buyer pays 'sini' (here, at this center) or 'penjual' (at the seller's center), found {:?}",
                    crate::id::shorten(&words)
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
        in_range(
            "quantity",
            "quantity",
            self.quantity,
            1..=ORDER_QUANTITY_MAX,
            "",
        )?;
        in_range(
            "unit_price_idr",
            "unit price",
            self.unit_price_idr,
            0..=PRICE_IDR_MAX,
            " rupiah",
        )?;
        self.fee.validate()?;
        let phone = buyer_phone(&self.buyer.phone)?;
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

/// Checks a buyer's phone number as typed: 6 to [`PHONE_CHARS_MAX`] characters,
/// only digits, spaces, `+`, `-`, `(` and `)`.
fn buyer_phone(raw: &str) -> Result<String, InvalidInput> {
    let phone = text_line("buyer_phone", raw, 6, PHONE_CHARS_MAX)?;
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
    Ok(phone)
}

/// Every problem of what an operator types to place an order (quantity, buyer,
/// note), by the rules of [`OrderTerms::validate`], not only the first (forms
/// show them all at once).
pub fn typed_problems(quantity: Option<i64>, buyer: &Buyer, note: &str) -> Vec<InvalidInput> {
    [
        quantity
            .and_then(|q| in_range("quantity", "quantity", q, 1..=ORDER_QUANTITY_MAX, "").err()),
        text_line("buyer_name", &buyer.name, 1, BUYER_NAME_CHARS_MAX).err(),
        buyer_phone(&buyer.phone).err(),
        text_block("note", note, ORDER_NOTE_CHARS_MAX).err(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
