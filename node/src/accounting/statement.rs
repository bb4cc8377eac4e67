//! The statement of one pair over whole months: opening balance, each ledger
//! entry with the running balance, closing balance.

use serde::{Deserialize, Serialize};
use telecenter_protocol::CenterId;
use telecenter_protocol::text::InvalidInput;

use super::Month;
use crate::clock::rfc3339_utc;
use crate::node::CenterNames;
use crate::node::{Node, NodeError, balance_with};

/// One line of a statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// Entry id.
    pub id: String,
    /// `goods`, `referral_fee` or `settlement`.
    pub kind: String,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// The order or settlement.
    pub reference: String,
    /// Signed from this center's side: + the counterpart owes more, − less.
    pub amount_idr: i64,
    /// Balance after this line.
    pub balance_idr: i64,
}

/// A statement of one pair over whole months `from..=to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// The counterpart.
    pub counterpart: CenterId,
    /// Its name.
    pub name: String,
    /// First month.
    pub from: String,
    /// Last month.
    pub to: String,
    /// Balance before the period.
    pub opening_idr: i64,
    /// The entries in the period.
    pub lines: Vec<StatementLine>,
    /// Balance at the end (positive: the counterpart owes this center).
    pub closing_idr: i64,
}

/// The statement with `counterpart` for the months `from..=to`.
pub fn statement(
    node: &Node,
    counterpart: &CenterId,
    from: Month,
    to: Month,
) -> Result<Statement, NodeError> {
    if to < from {
        return Err(InvalidInput::new(
            "to",
            "before_from",
            format!("the period ends ({to}) before it starts ({from})"),
        )
        .into());
    }
    let own = node.center_id();
    let before = node.ledger(Some(counterpart), i64::MIN, from.start_ms())?;
    let opening = balance_with(&own, &before);
    let mut balance = opening;
    let mut lines = Vec::new();
    for row in node.ledger(Some(counterpart), from.start_ms(), to.end_ms())? {
        let amount = balance_with(&own, std::slice::from_ref(&row));
        balance += amount;
        let e = row.entry;
        lines.push(StatementLine {
            id: e.id,
            kind: e.kind.word().to_owned(),
            at: rfc3339_utc(e.at_ms),
            reference: e
                .order
                .or(e.settlement)
                .map(|id| id.to_string())
                .unwrap_or_default(),
            amount_idr: amount,
            balance_idr: balance,
        });
    }
    Ok(Statement {
        counterpart: *counterpart,
        name: CenterNames::load(node)?.of(counterpart),
        from: from.to_string(),
        to: to.to_string(),
        opening_idr: opening,
        lines,
        closing_idr: balance,
    })
}
