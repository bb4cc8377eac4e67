//! `telecenter order ...` and `telecenter fees ...`: orders between centers,
//! the fee report, balances, statements, settlements and the netting suggestion.
//! This file holds what the three commands share (ids, order and reason
//! arguments, local times, column truncation); each command has its own child.

use anyhow::Result;
use clap::Args;
use telecenter_protocol::CenterId;
use telecenter_protocol::order::OrderId;

mod fees;
mod orders;
mod requests;
mod settle;

pub(crate) use fees::{FeesCommand, fees, write_xlsx};
pub(crate) use orders::{OrderCommand, order};
pub(crate) use requests::{RequestCommand, request};

/// An order id.
#[derive(Args, Debug)]
pub(crate) struct IdArgs {
    /// The order id.
    pub(crate) id: String,
}

/// An order id and a reason.
#[derive(Args, Debug)]
pub(crate) struct ReasonArgs {
    /// The order id.
    pub(crate) id: String,
    /// Why (the other center sees it).
    #[arg(long)]
    pub(crate) reason: Option<String>,
}

pub(super) fn order_id(text: &str) -> Result<OrderId> {
    Ok(text.parse::<OrderId>()?)
}

pub(super) fn center(text: &str) -> Result<CenterId> {
    Ok(text.parse::<CenterId>()?)
}

pub(super) fn local(at: &str) -> String {
    crate::output::local_time(at)
}

pub(super) fn truncate(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(chars - 1).collect();
        short.push('…');
        short
    }
}
