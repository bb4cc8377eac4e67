//! `telecenter request ...`: buyer requests sent from the product pages: list
//! them, show one, turn one into an order to the selling center or a local
//! sale (`accept`), or decline it with a reason.

use anyhow::Result;
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::json;
use telecenter_node::api::requests::{
    self as api, DeclineInput, RequestOrderInput, RequestOrderView, RequestQuery, RequestView,
    RequestsView, status_filter,
};
use telecenter_node::money::format_rupiah;
use telecenter_protocol::order::{Collector, PayMethod};

use super::{local, truncate};
use crate::backend::Backend;
use crate::output::json_or_text;
use crate::words::{fill, words};

/// `telecenter request ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum RequestCommand {
    /// List buyer requests, waiting ones first.
    #[command(
        after_help = "Examples:\n  telecenter request list\n  telecenter request list --status new"
    )]
    List(ListArgs),
    /// Show one request with the buyer's details.
    #[command(after_help = "Example:\n  telecenter request show 7K2M9QXA")]
    Show(CodeArgs),
    /// Answer a request: an order to the selling center, or with --local a sale here.
    #[command(
        after_help = "Examples:\n  telecenter request accept 7K2M9QXA                 (order from the selling center)\n  telecenter request accept 7K2M9QXA --pay-at penjual --method transfer\n  telecenter request accept 7K2M9QXA --local         (your own product: record the sale)"
    )]
    Accept(AcceptArgs),
    /// Decline a request; the buyer reads the reason on the status page.
    #[command(
        after_help = "Example:\n  telecenter request decline 7K2M9QXA --reason \"stok habis\""
    )]
    Decline(DeclineArgs),
}

/// `request list`.
#[derive(Args, Debug)]
pub(crate) struct ListArgs {
    /// Only this status: new, ordered, sold or declined.
    #[arg(long)]
    pub(crate) status: Option<String>,
}

/// A request code.
#[derive(Args, Debug)]
pub(crate) struct CodeArgs {
    /// The request code (8 characters, shown to the buyer).
    pub(crate) code: String,
}

/// `request accept`.
#[derive(Args, Debug)]
pub(crate) struct AcceptArgs {
    /// The request code.
    pub(crate) code: String,
    /// Sell here (this center's own product) instead of ordering from another center.
    #[arg(long)]
    pub(crate) local: bool,
    /// For an order: where the buyer pays, sini (here) or penjual (at the seller).
    #[arg(long, default_value = "sini", value_name = "sini|penjual")]
    pub(crate) pay_at: String,
    /// For an order: how the buyer pays, tunai (cash), transfer or qris.
    #[arg(long, default_value = "tunai", value_name = "tunai|transfer|qris")]
    pub(crate) method: String,
    /// For an order: a note for the seller (default: the buyer's note).
    #[arg(long)]
    pub(crate) note: Option<String>,
}

/// `request decline`.
#[derive(Args, Debug)]
pub(crate) struct DeclineArgs {
    /// The request code.
    pub(crate) code: String,
    /// Why (the buyer reads it).
    #[arg(long)]
    pub(crate) reason: String,
}

fn code_path(code: &str) -> String {
    // Codes are Crockford base32; anything else is refused by the node as unknown.
    let safe: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect();
    format!("/api/v1/admin/requests/{safe}")
}

/// The selling center by name (with its short id) when this process holds
/// the database, else its id.
fn seller_name(backend: &Backend, seller: &str) -> String {
    let Some(node) = backend.local_node() else {
        return seller.to_owned();
    };
    match (
        seller.parse::<telecenter_protocol::CenterId>(),
        telecenter_node::api::CenterNames::load(node),
    ) {
        (Ok(id), Ok(names)) => format!("{} ({})", names.of(&id), id.short()),
        _ => seller.to_owned(),
    }
}

/// A request's labels padded to one width.
fn label(text: &str) -> String {
    format!("{text:<9} ")
}

fn print_request(v: &RequestView, seller: &str) {
    let w = words();
    println!("{}  {}", v.code, w.api_word(&v.status));
    println!("  {}{} ({})", label(w.request_product), v.title, v.listing);
    println!("  {}{seller}", label(w.request_seller));
    println!(
        "  {}{} {} × {} = {}",
        label(w.request_quantity),
        v.quantity,
        v.unit,
        format_rupiah(v.unit_price_idr),
        format_rupiah(v.unit_price_idr.saturating_mul(v.quantity))
    );
    println!(
        "  {}{}  {}",
        label(w.request_buyer),
        v.buyer_name,
        v.buyer_phone
    );
    println!(
        "  {}{}",
        label(w.request_receive),
        if v.pickup { w.pickup_here } else { w.delivery }
    );
    if !v.note.is_empty() {
        println!("  {}{}", label(w.request_note), v.note);
    }
    println!("  {}{}", label(w.request_sent), local(&v.created_at));
    if let Some(order) = &v.order_id {
        println!("  {}{order}", label(w.request_order));
    }
    if let Some(reason) = &v.reason {
        println!("  {}{reason}", label(w.request_reason));
    }
}

/// Runs `telecenter request ...`.
pub(crate) async fn request(backend: Backend, command: RequestCommand, json: bool) -> Result<()> {
    match command {
        RequestCommand::List(l) => {
            let query = RequestQuery { status: l.status };
            let status = status_filter(&query).map_err(anyhow::Error::msg)?;
            let path = match status {
                Some(s) => format!("/api/v1/admin/requests?status={}", s.word()),
                None => "/api/v1/admin/requests".to_owned(),
            };
            let view: RequestsView = backend
                .admin(Method::GET, &path, None, |node| api::list(node, status))
                .await?;
            json_or_text(json, &view, || {
                if view.requests.is_empty() {
                    println!("{}", words().no_requests);
                }
                for r in &view.requests {
                    println!(
                        "{}  {:<8}  {:>4} × {:<28}  {:<20}  {}",
                        r.code,
                        words().api_word(&r.status),
                        r.quantity,
                        truncate(&r.title, 28),
                        truncate(&r.buyer_name, 20),
                        local(&r.created_at)
                    );
                }
                eprintln!("{}", fill(words().requests_waiting, &[&view.open]));
            })
        }
        RequestCommand::Show(a) => {
            let code = a.code;
            let view: RequestView = backend
                .admin(Method::GET, &code_path(&code), None, |node| {
                    api::show(node, &code)
                })
                .await?;
            let seller = seller_name(&backend, &view.seller_center);
            json_or_text(json, &view, || print_request(&view, &seller))
        }
        RequestCommand::Accept(a) => {
            let code = a.code;
            if a.local {
                let view: RequestView = backend
                    .admin(
                        Method::POST,
                        &format!("{}/sell", code_path(&code)),
                        None,
                        |node| api::sell(node, &code),
                    )
                    .await?;
                return json_or_text(json, &view, || {
                    println!("{}", view.code);
                    eprintln!(
                        "{}",
                        fill(
                            words().request_sold_here,
                            &[&view.code, &view.quantity, &view.unit, &view.title]
                        )
                    );
                });
            }
            let input = RequestOrderInput {
                payment_at: a.pay_at.parse::<Collector>()?,
                payment_method: a.method.parse::<PayMethod>()?,
                note: a.note,
            };
            let body = serde_json::to_value(&input)?;
            let view: RequestOrderView = backend
                .admin(
                    Method::POST,
                    &format!("{}/order", code_path(&code)),
                    Some(body),
                    |node| api::order(node, &code, &input),
                )
                .await?;
            json_or_text(json, &view, || {
                println!("{}", view.order.id);
                eprintln!(
                    "{}",
                    fill(
                        words().request_ordered,
                        &[
                            &view.request.code,
                            &view.order.counterpart_name,
                            &view.order.id
                        ]
                    )
                );
            })
        }
        RequestCommand::Decline(a) => {
            let code = a.code;
            let input = DeclineInput { reason: a.reason };
            let view: RequestView = backend
                .admin(
                    Method::POST,
                    &format!("{}/decline", code_path(&code)),
                    Some(json!({ "reason": input.reason })),
                    |node| api::decline(node, &code, &input),
                )
                .await?;
            json_or_text(json, &view, || {
                println!("{}", view.code);
                eprintln!("{}", fill(words().request_declined, &[&view.code]));
            })
        }
    }
}
