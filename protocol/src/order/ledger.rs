//! Ledger entries: what a completed order or a confirmed settlement books
//! between the two centers of a pair.

use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr};

use super::{Collector, OrderId, OrderTerms, SettlementPayment};
use crate::id::CenterId;

/// What a ledger entry is for.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, EnumString, IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(
    serialize_all = "snake_case",
    parse_err_ty = String,
    parse_err_fn = unknown_kind
)]
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
        self.into()
    }
}

/// The error of `EntryKind::from_str`.
fn unknown_kind(other: &str) -> String {
    format!("unknown entry kind {other:?}")
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
    let entry = |suffix: &str, kind, creditor, debtor, amount_idr| LedgerEntry {
        id: format!("order/{id}/{suffix}"),
        kind,
        creditor,
        debtor,
        amount_idr,
        order: Some(id.clone()),
        settlement: None,
        at_ms,
    };
    let mut entries = Vec::new();
    let gross = terms.gross_idr();
    if terms.payment.collected_by == Collector::BuyerCenter && gross > 0 {
        entries.push(entry(
            "goods",
            EntryKind::Goods,
            terms.seller_center,
            terms.buyer_center,
            gross,
        ));
    }
    let fee = terms.fee_idr();
    if fee > 0 {
        entries.push(entry(
            "fee",
            EntryKind::ReferralFee,
            terms.buyer_center,
            terms.seller_center,
            fee,
        ));
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
