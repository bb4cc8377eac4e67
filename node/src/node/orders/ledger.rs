//! The ledger: the one function that books entries ([`book`]) and this center's
//! balance with a counterpart.

use telecenter_protocol::CenterId;
use telecenter_protocol::order::{
    LedgerEntry, Role, SettlementPayment, order_entries, settlement_entry,
};

use crate::store::{EntryRow, NewSale, OrderRow, PairWrite, SettlementRow};

/// Books `entries` with `counterpart` into `pair`: the one place the ledger
/// moves (an order completed, a settlement or correction confirmed); the
/// entries are committed with the rest of `pair` in one transaction.
pub(super) fn book(pair: &mut PairWrite, counterpart: CenterId, entries: Vec<LedgerEntry>) {
    pair.ledger = entries
        .into_iter()
        .map(|entry| EntryRow { counterpart, entry })
        .collect();
}

/// Marks `order` completed at `at_ms` and books its goods and fee entries; when
/// this center sold, also its sale on the producer's behalf (recorded once,
/// however often the completion arrives).
pub(super) fn complete(order: &mut OrderRow, at_ms: i64, pair: &mut PairWrite) {
    order.completed_at_ms = Some(at_ms);
    let terms = &order.state.terms;
    let entries = order_entries(&order.state.id, terms, at_ms);
    book(pair, order.counterpart, entries);
    if order.role == Role::Seller {
        pair.sale = Some(NewSale {
            kind: "order",
            reference: order.state.id.as_str().to_owned(),
            at_ms,
            listing: terms.listing.to_string(),
            title: terms.title.clone(),
            unit: terms.unit.clone(),
            quantity: terms.quantity,
            unit_price_idr: terms.unit_price_idr,
        });
    }
}

/// Marks a settlement with `counterpart` confirmed at `at_ms` and books its entry.
pub(super) fn confirm(
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
