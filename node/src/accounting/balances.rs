//! Balances per counterpart from the ledger, and the form a center shares
//! them in for netting.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use telecenter_protocol::CenterId;

use crate::node::CenterNames;
use crate::node::{Node, NodeError, balance_with};
use crate::store::EntryRow;

/// The balance with one counterpart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceLine {
    /// The counterpart.
    pub center: CenterId,
    /// Its name, if known.
    pub name: String,
    /// Positive: the counterpart owes this center; negative: this center owes it.
    pub balance_idr: i64,
    /// Ledger entries with it.
    pub entries: u64,
}

/// Balances with every counterpart from entries before `to_ms`.
pub fn balances_until(
    node: &Node,
    names: &CenterNames,
    to_ms: i64,
) -> Result<Vec<BalanceLine>, NodeError> {
    let own = node.center_id();
    let mut per: BTreeMap<CenterId, Vec<EntryRow>> = BTreeMap::new();
    for row in node.ledger(None, i64::MIN, to_ms)? {
        per.entry(row.counterpart).or_default().push(row);
    }
    let mut lines: Vec<BalanceLine> = per
        .into_iter()
        .map(|(center, rows)| BalanceLine {
            center,
            name: names.of(&center),
            balance_idr: balance_with(&own, &rows),
            entries: rows.len() as u64,
        })
        .collect();
    lines.sort_by(|a, b| a.name.cmp(&b.name).then(a.center.cmp(&b.center)));
    Ok(lines)
}

/// Balances now.
pub fn balances(node: &Node) -> Result<Vec<BalanceLine>, NodeError> {
    balances_until(node, &CenterNames::load(node)?, i64::MAX)
}

/// A center's balances as it shares them for netting (`fees balances --json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalancesExport {
    /// The center whose balances these are.
    pub center: CenterId,
    /// Its balances (positive: the counterpart owes it).
    pub balances: Vec<BalanceLine>,
}

impl BalancesExport {
    /// This node's balances, in the form other centers include in netting.
    pub fn of(node: &Node) -> Result<Self, NodeError> {
        Ok(Self {
            center: node.center_id(),
            balances: balances(node)?,
        })
    }
}
