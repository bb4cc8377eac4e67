//! The network-wide netting suggestion: given pairwise balances, the fewest
//! transfers that clear them all.
//!
//! Only a suggestion: centers settle pair by pair, and a transfer between two
//! centers that do not trade directly needs all three to agree outside the system.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::id::CenterId;

/// Above this many centers with a non-zero position the exact search (which is
/// exponential) gives way to the greedy method (at most n − 1 transfers).
pub const EXACT_CENTERS_MAX: usize = 16;

/// One pairwise balance: `debtor` owes `creditor` `amount_idr`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Debt {
    /// Who owes.
    pub debtor: CenterId,
    /// Who is owed.
    pub creditor: CenterId,
    /// How much, whole rupiah.
    pub amount_idr: i64,
}

/// A suggested set of transfers and whether it is provably the smallest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The transfers: `debtor` pays `creditor`.
    pub transfers: Vec<Debt>,
    /// True when found by the exact search (fewest transfers possible).
    pub minimal: bool,
}

/// Each center's net position: positive = is owed money overall.
pub fn positions(debts: &[Debt]) -> BTreeMap<CenterId, i64> {
    let mut net: BTreeMap<CenterId, i64> = BTreeMap::new();
    for debt in debts {
        // Saturating: callers bound their inputs (see `fees::netting`), this only
        // keeps a hostile input from wrapping around.
        let creditor = net.entry(debt.creditor).or_default();
        *creditor = creditor.saturating_add(debt.amount_idr);
        let debtor = net.entry(debt.debtor).or_default();
        *debtor = debtor.saturating_sub(debt.amount_idr);
    }
    net.retain(|_, v| *v != 0);
    net
}

/// The fewest transfers that leave every center at the same net position as
/// `debts`. Exact (minimum count) for up to [`EXACT_CENTERS_MAX`] centers with a
/// non-zero position: the answer is n − k transfers where k is the largest number
/// of disjoint zero-sum groups, found by a search over subsets. Beyond that, the
/// greedy method pairs the largest debtor with the largest creditor.
pub fn suggest(debts: &[Debt]) -> Suggestion {
    let net: Vec<(CenterId, i64)> = positions(debts).into_iter().collect();
    if net.len() <= EXACT_CENTERS_MAX {
        let groups = zero_sum_groups(&net);
        let mut transfers = Vec::new();
        for group in groups {
            let members: Vec<(CenterId, i64)> = group.iter().map(|&i| net[i]).collect();
            transfers.extend(greedy(&members));
        }
        Suggestion {
            transfers,
            minimal: true,
        }
    } else {
        Suggestion {
            transfers: greedy(&net),
            minimal: false,
        }
    }
}

/// Settles a group by repeatedly pairing the largest debtor with the largest
/// creditor; a zero-sum group of m centers takes at most m − 1 transfers.
fn greedy(net: &[(CenterId, i64)]) -> Vec<Debt> {
    let mut owed: Vec<(CenterId, i64)> = net.iter().filter(|(_, v)| *v > 0).copied().collect();
    let mut owing: Vec<(CenterId, i64)> = net
        .iter()
        .filter(|(_, v)| *v < 0)
        .map(|(c, v)| (*c, -v))
        .collect();
    let mut transfers = Vec::new();
    loop {
        owed.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        owing.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let (Some(creditor), Some(debtor)) = (owed.first_mut(), owing.first_mut()) else {
            break;
        };
        let amount = creditor.1.min(debtor.1);
        transfers.push(Debt {
            debtor: debtor.0,
            creditor: creditor.0,
            amount_idr: amount,
        });
        creditor.1 -= amount;
        debtor.1 -= amount;
        owed.retain(|(_, v)| *v > 0);
        owing.retain(|(_, v)| *v > 0);
    }
    transfers
}

/// Splits the centers into the largest number of disjoint groups whose positions
/// each sum to zero (dynamic programming over subsets, n ≤ 16).
fn zero_sum_groups(net: &[(CenterId, i64)]) -> Vec<Vec<usize>> {
    let n = net.len();
    if n == 0 {
        return Vec::new();
    }
    let full = (1usize << n) - 1;
    let mut sum = vec![0i128; full + 1];
    for mask in 1..=full {
        let low = mask.trailing_zeros() as usize;
        sum[mask] = sum[mask & (mask - 1)] + i128::from(net[low].1);
    }
    // best[mask] = most zero-sum groups that exactly cover `mask` (only masks with
    // zero sum can be covered); the last group chosen is remembered to rebuild.
    let mut best = vec![-1i32; full + 1];
    let mut last = vec![0usize; full + 1];
    best[0] = 0;
    for mask in 1..=full {
        if sum[mask] != 0 {
            continue;
        }
        // Groups containing the lowest member of `mask`, so each split is tried once.
        let low = mask & mask.wrapping_neg();
        let rest = mask ^ low;
        let mut sub = rest;
        loop {
            let group = sub | low;
            let remainder = mask ^ group;
            if sum[group] == 0 && best[remainder] >= 0 && best[remainder] + 1 > best[mask] {
                best[mask] = best[remainder] + 1;
                last[mask] = group;
            }
            if sub == 0 {
                break;
            }
            sub = (sub - 1) & rest;
        }
    }
    let mut groups = Vec::new();
    let mut mask = full;
    while mask != 0 {
        let group = last[mask];
        groups.push((0..n).filter(|i| group & (1 << i) != 0).collect());
        mask ^= group;
    }
    groups
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn center(n: u8) -> CenterId {
        CenterId::from_bytes([n; 32])
    }

    fn debt(d: u8, c: u8, amount: i64) -> Debt {
        Debt {
            debtor: center(d),
            creditor: center(c),
            amount_idr: amount,
        }
    }

    #[test]
    fn a_chain_of_debts_collapses_into_one_transfer() {
        // A owes B 100 and B owes C 100: A pays C directly.
        let suggestion = suggest(&[debt(1, 2, 100), debt(2, 3, 100)]);
        assert!(suggestion.minimal);
        assert_eq!(suggestion.transfers, vec![debt(1, 3, 100)]);
    }

    #[test]
    fn disjoint_zero_sum_groups_are_settled_separately() {
        // Two separate pairs with equal amounts, plus a triangle that cancels out.
        let debts = [
            debt(1, 2, 50),
            debt(3, 4, 70),
            debt(5, 6, 10),
            debt(6, 7, 10),
            debt(7, 5, 10),
        ];
        let suggestion = suggest(&debts);
        assert!(suggestion.minimal);
        let mut transfers = suggestion.transfers;
        transfers.sort_by_key(|t| t.amount_idr);
        assert_eq!(transfers, vec![debt(1, 2, 50), debt(3, 4, 70)]);
        assert!(suggest(&[]).transfers.is_empty());
    }

    proptest! {
        #[test]
        fn suggestions_preserve_every_position_and_never_exceed_n_minus_one(
            raw in proptest::collection::vec((1u8..9, 1u8..9, 1i64..1_000_000), 0..20)
        ) {
            let debts: Vec<Debt> = raw
                .into_iter()
                .filter(|(d, c, _)| d != c)
                .map(|(d, c, a)| debt(d, c, a))
                .collect();
            let before = positions(&debts);
            let suggestion = suggest(&debts);
            prop_assert_eq!(positions(&suggestion.transfers), before.clone());
            prop_assert!(suggestion.transfers.iter().all(|t| t.amount_idr > 0));
            prop_assert!(suggestion.transfers.len() <= before.len().saturating_sub(1));
            let greedy_count = greedy(&before.into_iter().collect::<Vec<_>>()).len();
            prop_assert!(suggestion.transfers.len() <= greedy_count);
        }
    }
}
