//! The monthly report: completed orders, sales and fees per counterpart
//! center and per producer, with the balances at the month's end.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use telecenter_protocol::CenterId;
use telecenter_protocol::order::Role;

use super::{BalanceLine, Month, balances_until};
use crate::node::CenterNames;
use crate::node::{Node, NodeError};
use crate::store::OrderFilter;

/// One row of a report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportLine {
    /// Center id (counterpart rows), producer name (producer rows) or `total`.
    pub key: String,
    /// A name for people.
    pub name: String,
    /// Completed orders.
    pub orders: u64,
    /// Goods sold by this center's producers.
    pub gross_sales_idr: i64,
    /// Referral fees earned.
    pub fees_earned_idr: i64,
    /// Referral fees owed.
    pub fees_owed_idr: i64,
    /// gross sales + fees earned − fees owed.
    pub net_idr: i64,
}

impl ReportLine {
    /// An empty line under `key`, called `name`.
    fn named(key: String, name: String) -> Self {
        Self {
            key,
            name,
            ..Self::default()
        }
    }

    fn add(&mut self, gross: i64, earned: i64, owed: i64) {
        self.orders += 1;
        self.gross_sales_idr += gross;
        self.fees_earned_idr += earned;
        self.fees_owed_idr += owed;
        self.net_idr = self.gross_sales_idr + self.fees_earned_idr - self.fees_owed_idr;
    }
}

/// The monthly report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeReport {
    /// The month, `2026-11`.
    pub month: String,
    /// The whole month.
    pub total: ReportLine,
    /// Per counterpart center.
    pub by_counterpart: Vec<ReportLine>,
    /// Per producer (this center's producers: sales and fees owed on them).
    pub by_producer: Vec<ReportLine>,
    /// Balances per counterpart at the end of the month (all time up to then).
    pub balances: Vec<BalanceLine>,
}

/// The report for `month`.
pub fn report(node: &Node, month: Month) -> Result<FeeReport, NodeError> {
    let (from, to) = (month.start_ms(), month.end_ms());
    let orders = node.orders(&OrderFilter {
        statuses: vec!["completed".to_owned()],
        completed_between: Some((from, to)),
        ..OrderFilter::default()
    })?;
    let mut total = ReportLine::named("total".into(), "Total".into());
    let names = CenterNames::load(node)?;
    let mut by_counterpart: BTreeMap<CenterId, ReportLine> = BTreeMap::new();
    let mut by_producer: BTreeMap<String, ReportLine> = BTreeMap::new();
    // Only orders completed in the month come back from the store.
    for order in orders {
        let terms = &order.state.terms;
        let (gross, earned, owed) = match order.role {
            Role::Seller => (terms.gross_idr(), 0, terms.fee_idr()),
            Role::Buyer => (0, terms.fee_idr(), 0),
        };
        total.add(gross, earned, owed);
        by_counterpart
            .entry(order.counterpart)
            .or_insert_with(|| {
                ReportLine::named(order.counterpart.to_string(), names.of(&order.counterpart))
            })
            .add(gross, earned, owed);
        if order.role == Role::Seller {
            let producer = if terms.producer.is_empty() {
                "-".to_owned()
            } else {
                terms.producer.clone()
            };
            by_producer
                .entry(producer.clone())
                .or_insert_with(|| ReportLine::named(producer.clone(), producer))
                .add(gross, earned, owed);
        }
    }
    Ok(FeeReport {
        month: month.to_string(),
        total,
        by_counterpart: by_counterpart.into_values().collect(),
        by_producer: by_producer.into_values().collect(),
        balances: balances_until(node, &names, to)?,
    })
}
