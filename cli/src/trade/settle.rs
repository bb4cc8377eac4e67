//! `telecenter fees settle ...`: record a payment to another center, confirm
//! or decline one made to this center, and list them.

use anyhow::Result;
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::json;
use telecenter_node::api::orders::{self as api, SettlementInput, SettlementView};
use telecenter_node::money::format_rupiah;
use telecenter_node::money::parse_rupiah;

use super::{IdArgs, ReasonArgs, center, order_id, truncate};
use crate::backend::Backend;
use crate::output::{json_or_text, print_json};

/// `fees settle ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum SettleCommand {
    /// Record a payment this center made to another center; it waits for their confirmation.
    #[command(
        after_help = "Example:\n  telecenter fees settle pay --to tc1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuqcpmgz9 --amount 43.650 --reference \"BRI 30/11 ref 8812\""
    )]
    Pay(PayArgs),
    /// Confirm that a payment to this center arrived, or agree to a correction (moves the balance).
    #[command(after_help = "Example:\n  telecenter fees settle confirm 0f3k9v2m7xa4")]
    Confirm(IdArgs),
    /// Decline a payment that did not arrive, or a correction you do not agree to.
    #[command(
        after_help = "Example:\n  telecenter fees settle decline 0f3k9v2m7xa4 --reason \"dana belum masuk\""
    )]
    Decline(ReasonArgs),
    /// List settlement payments and corrections.
    #[command(after_help = "Example:\n  telecenter fees settle list")]
    List,
}

/// `fees settle pay`.
#[derive(Args, Debug)]
pub(crate) struct PayArgs {
    /// The center that was paid.
    #[arg(long)]
    pub(crate) to: String,
    /// The amount in rupiah, e.g. 43.650.
    #[arg(long)]
    pub(crate) amount: String,
    /// Bank reference or a note.
    #[arg(long, default_value = "")]
    pub(crate) reference: String,
}

pub(super) async fn settle(backend: Backend, command: SettleCommand, json: bool) -> Result<()> {
    let view: SettlementView = match command {
        SettleCommand::Pay(a) => {
            let payee = center(&a.to)?;
            let amount = parse_rupiah("amount", &a.amount)?;
            let input = SettlementInput {
                payee,
                amount_idr: amount,
                reference: a.reference,
            };
            let body = serde_json::to_value(&input)?;
            backend
                .admin(
                    Method::POST,
                    "/api/v1/admin/fees/settlements",
                    Some(body),
                    |node| api::pay(node, &input),
                )
                .await?
        }
        SettleCommand::Confirm(a) => answer(&backend, &a.id, true, None).await?,
        SettleCommand::Decline(a) => answer(&backend, &a.id, false, a.reason).await?,
        SettleCommand::List => {
            let list: Vec<SettlementView> = backend
                .admin(
                    Method::GET,
                    "/api/v1/admin/fees/settlements",
                    None,
                    |node| api::settlements(node),
                )
                .await?;
            if json {
                return print_json(&list);
            }
            if list.is_empty() {
                println!("{}", crate::words::words().no_settlements);
            }
            let w = crate::words::words();
            for s in &list {
                let what = w.api_word(if s.kind == "correction" {
                    "correct"
                } else {
                    s.direction.as_str()
                });
                println!(
                    "{}  {:<8}  {:<9}  {:<24}  {:>14}  {}",
                    s.id,
                    what,
                    w.api_word(&s.status),
                    truncate(&s.counterpart_name, 24),
                    format_rupiah(s.amount_idr),
                    s.reference
                );
            }
            return Ok(());
        }
    };
    json_or_text(json, &view, || {
        println!("{}", view.id);
        eprintln!(
            "settlement {} of {} ({} {}) is {}",
            view.id,
            format_rupiah(view.amount_idr),
            view.direction,
            view.counterpart_name,
            view.status
        );
    })
}

pub(super) async fn answer(
    backend: &Backend,
    id: &str,
    confirmed: bool,
    reason: Option<String>,
) -> Result<SettlementView> {
    let id = order_id(id)?;
    let word = if confirmed { "confirm" } else { "decline" };
    backend
        .admin(
            Method::POST,
            &format!("/api/v1/admin/fees/settlements/{id}/{word}"),
            Some(json!({ "reason": reason })),
            |node| api::answer(node, &id, confirmed, reason.as_deref()),
        )
        .await
}
