//! JSON views and operations of producers, payouts, producer statements and the
//! monthly sales report, shared by the admin API (`/api/v1/admin/producers…`,
//! `/api/v1/admin/sales`) and the CLI when it holds the database. Contact, bank
//! account and WhatsApp appear here: the admin API is behind the admin token.

use serde::{Deserialize, Serialize};
use telecenter_protocol::ListingId;
use telecenter_protocol::fee::percent_text;
use telecenter_protocol::text::InvalidInput;

use crate::accounting::{Month, ProducerStatement, SalesReport, sales_report_from, statement_from};
use crate::clock::rfc3339_utc;
use crate::node::{Node, NodeError, PayoutInput, ProducerInput};
use crate::store::{PayoutRow, ProducerRow};

/// A producer as the admin API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerView {
    /// Its number at this center.
    pub id: i64,
    /// Name (public).
    pub name: String,
    /// Village (public).
    pub village: String,
    /// Contact (this node only).
    pub contact: String,
    /// Bank account (this node only).
    pub bank_account: String,
    /// WhatsApp as `+62…`, or empty (this node only).
    pub whatsapp: String,
    /// Commission in basis points.
    pub commission_bp: u32,
    /// Commission as a percentage (`7,5`).
    pub commission: String,
    /// The ids of this center's listings linked to the producer.
    pub listings: Vec<String>,
}

/// Which listing to link: `{"listing": "…"}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// A listing of this center.
    pub listing: String,
}

/// A recorded payout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutView {
    /// Its number.
    pub id: i64,
    /// The producer.
    pub producer: i64,
    /// When it was paid (RFC 3339, UTC).
    pub at: String,
    /// Whole rupiah.
    pub amount_idr: i64,
    /// `cash` or `transfer`.
    pub method: String,
    /// The note.
    pub note: String,
}

fn view(node: &Node, row: ProducerRow) -> Result<ProducerView, NodeError> {
    Ok(ProducerView {
        listings: node.producer_listings(row.id)?,
        id: row.id,
        commission: percent_text(row.commission_bp),
        name: row.name,
        village: row.village,
        contact: row.contact,
        bank_account: row.bank_account,
        whatsapp: row.whatsapp,
        commission_bp: row.commission_bp,
    })
}

fn payout_view(row: PayoutRow) -> PayoutView {
    PayoutView {
        id: row.id,
        producer: row.producer,
        at: rfc3339_utc(row.at_ms),
        amount_idr: row.amount_idr,
        method: row.method,
        note: row.note,
    }
}

/// Every producer of this center.
pub fn producers(node: &Node) -> Result<Vec<ProducerView>, NodeError> {
    node.producers()?
        .into_iter()
        .map(|row| view(node, row))
        .collect()
}

/// One producer.
pub fn producer(node: &Node, id: i64) -> Result<ProducerView, NodeError> {
    view(node, node.producer(id)?)
}

/// Adds a producer.
pub fn add(node: &Node, input: &ProducerInput) -> Result<ProducerView, NodeError> {
    let row = node.add_producer(input)?;
    view(node, row)
}

/// Changes a producer (absent fields stay).
pub fn edit(node: &Node, id: i64, input: &ProducerInput) -> Result<ProducerView, NodeError> {
    let row = node.edit_producer(id, input)?;
    view(node, row)
}

/// Links a listing of this center to the producer.
pub fn link(node: &Node, id: i64, input: &LinkInput) -> Result<ProducerView, NodeError> {
    let listing = input
        .listing
        .trim()
        .parse::<ListingId>()
        .map_err(|e| InvalidInput::new("listing", "invalid_listing_id", e.to_string()))?;
    node.producer(id)?;
    node.link_listing(&listing, Some(id))?;
    producer(node, id)
}

/// Takes a listing from the producer (its public producer name and village stay).
pub fn unlink(node: &Node, id: i64, listing: &str) -> Result<ProducerView, NodeError> {
    let listing = listing
        .trim()
        .parse::<ListingId>()
        .map_err(|e| InvalidInput::new("listing", "invalid_listing_id", e.to_string()))?;
    node.unlink_listing(id, &listing)?;
    producer(node, id)
}

/// Records a payout.
pub fn payout(node: &Node, id: i64, input: &PayoutInput) -> Result<PayoutView, NodeError> {
    Ok(payout_view(node.record_payout(id, input)?))
}

/// The producer's statement for `month`.
pub fn statement(node: &Node, id: i64, month: Month) -> Result<ProducerStatement, NodeError> {
    let row = node.producer(id)?;
    Ok(node.with_reader(|store| statement_from(store, &row, month))?)
}

/// The center's sales report for `month`.
pub fn sales(node: &Node, month: Month) -> Result<SalesReport, NodeError> {
    Ok(node.with_reader(|store| sales_report_from(store, month))?)
}
