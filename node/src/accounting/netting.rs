//! The network netting suggestion over this node's balances and balances
//! other centers shared (a suggestion only: nothing is paid or booked).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use telecenter_protocol::CenterId;
use telecenter_protocol::netting::{Debt, Suggestion, suggest};
use telecenter_protocol::text::InvalidInput;

use super::{BalanceLine, BalancesExport, balances};
use crate::node::CenterNames;
use crate::node::{Node, NodeError};

/// Most shared balance lines one netting request may include.
pub const NETTING_LINES_MAX: usize = 50_000;
/// Largest shared balance, in rupiah either way (keeps every sum inside `i64`).
pub const NETTING_BALANCE_IDR_MAX: i64 = 100_000_000_000_000;

/// The netting suggestion with the pairs that could not be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NettingView {
    /// Always true: nothing is paid or booked by this.
    pub suggestion_only: bool,
    /// The transfers and whether the count is provably minimal.
    pub suggestion: Suggestion,
    /// Pairs whose two sides disagree (left out), in plain words.
    pub disagreements: Vec<String>,
    /// Pair balances used.
    pub pairs: usize,
}

/// The netting suggestion over this node's balances plus balances other
/// centers shared. A pair reported by both sides must agree, else it is left out.
pub fn netting(node: &Node, shared: &[BalancesExport]) -> Result<NettingView, NodeError> {
    netting_with(node, balances(node)?, shared)
}

/// [`netting`] with this node's balances already at hand (`own`).
pub fn netting_with(
    node: &Node,
    own: Vec<BalanceLine>,
    shared: &[BalancesExport],
) -> Result<NettingView, NodeError> {
    let lines: usize = shared.iter().map(|e| e.balances.len()).sum();
    if lines > NETTING_LINES_MAX {
        return Err(InvalidInput::new(
            "include",
            "too_many",
            format!("at most {NETTING_LINES_MAX} shared balances in all, found {lines}"),
        )
        .into());
    }
    if let Some(line) = shared
        .iter()
        .flat_map(|e| &e.balances)
        .find(|l| l.balance_idr.unsigned_abs() > NETTING_BALANCE_IDR_MAX.unsigned_abs())
    {
        return Err(InvalidInput::new(
            "include",
            "out_of_range",
            format!(
                "a shared balance must be within ±{NETTING_BALANCE_IDR_MAX} rupiah, found {}",
                line.balance_idr
            ),
        )
        .into());
    }
    let mut exports = vec![BalancesExport {
        center: node.center_id(),
        balances: own,
    }];
    exports.extend(shared.iter().cloned());
    // (low, high) → balance of `low` with `high`, per reporting side.
    let mut pairs: BTreeMap<(CenterId, CenterId), Vec<i64>> = BTreeMap::new();
    for export in &exports {
        for line in &export.balances {
            let (key, value) = if export.center < line.center {
                ((export.center, line.center), line.balance_idr)
            } else {
                ((line.center, export.center), -line.balance_idr)
            };
            let seen = pairs.entry(key).or_default();
            if !seen.contains(&value) {
                seen.push(value);
            }
        }
    }
    let names = CenterNames::load(node)?;
    let mut debts = Vec::new();
    let mut disagreements = Vec::new();
    for ((low, high), values) in &pairs {
        if values.len() > 1 {
            disagreements.push(format!(
                "{} and {} report different balances; settle their statement first",
                names.of(low),
                names.of(high)
            ));
            continue;
        }
        let balance = values[0];
        if balance > 0 {
            debts.push(Debt {
                debtor: *high,
                creditor: *low,
                amount_idr: balance,
            });
        } else if balance < 0 {
            debts.push(Debt {
                debtor: *low,
                creditor: *high,
                amount_idr: -balance,
            });
        }
    }
    Ok(NettingView {
        suggestion_only: true,
        suggestion: suggest(&debts),
        disagreements,
        pairs: pairs.len(),
    })
}
