//! The ledger: the one function that books entries ([`book`]) and this center's
//! balance with a counterpart.

use telecenter_protocol::CenterId;
use telecenter_protocol::order::{LedgerEntry, SettlementPayment, order_entries, settlement_entry};

use crate::store::{EntryRow, OrderRow, PairWrite, SettlementRow};

/// Books `entries` with `counterpart` into `pair`: the one place the ledger
/// moves (an order completed, a settlement or correction confirmed); the
/// entries are committed with the rest of `pair` in one transaction.
pub(super) fn book(pair: &mut PairWrite, counterpart: CenterId, entries: Vec<LedgerEntry>) {
    pair.ledger = entries
        .into_iter()
        .map(|entry| EntryRow { counterpart, entry })
        .collect();
}

/// Marks `order` completed at `at_ms` and books its goods and fee entries.
pub(super) fn complete(order: &mut OrderRow, at_ms: i64, pair: &mut PairWrite) {
    order.completed_at_ms = Some(at_ms);
    let entries = order_entries(&order.state.id, &order.state.terms, at_ms);
    book(pair, order.counterpart, entries);
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
