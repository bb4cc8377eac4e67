//! `telecenter order ...`: place, list, show and step orders with other
//! centers, and deliver their messages now.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::json;
use telecenter_node::api::orders::{
    self as api, DeliveryRoundView, OrderQuery, OrderView, OrdersView, delivery_views, order_filter,
};
use telecenter_node::money::format_rupiah;
use telecenter_node::money::parse_rupiah;
use telecenter_node::node::PlaceOrder;
use telecenter_node::sync::SyncEngine;
use telecenter_protocol::ListingId;
use telecenter_protocol::fee::percent_text;
use telecenter_protocol::order::{Action, Collector, PayMethod};

use super::{IdArgs, ReasonArgs, center, local, order_id, truncate};
use crate::backend::Backend;
use crate::output::{json_or_text, print_json};
use crate::words::{fill, words};

/// `telecenter order ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum OrderCommand {
    /// Order another center's listing for a buyer at this center.
    #[command(
        after_help = "Example:\n  telecenter order place tc1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuqcpmgz9/k3v9q2m7xa --qty 3 \\\n    --buyer-name \"Bu Sri\" --buyer-phone \"0812 3456 7890\" --pay-at sini --method tunai --price 15.000\n\nThe listing is CENTER/ID as shown on the product page (/produk/CENTER/ID)."
    )]
    Place(PlaceArgs),
    /// List orders, newest first.
    #[command(
        after_help = "Examples:\n  telecenter order list\n  telecenter order list --status placed"
    )]
    List(ListArgs),
    /// Show one order with its history.
    #[command(after_help = "Example:\n  telecenter order show q3k9v2m7xa4d")]
    Show(IdArgs),
    /// Accept an order for your listing (reserves the stock).
    #[command(after_help = "Example:\n  telecenter order accept q3k9v2m7xa4d")]
    Accept(IdArgs),
    /// Reject an order for your listing.
    #[command(
        after_help = "Example:\n  telecenter order reject q3k9v2m7xa4d --reason \"stok habis\""
    )]
    Reject(ReasonArgs),
    /// Mark an accepted order as sent.
    #[command(after_help = "Example:\n  telecenter order ship q3k9v2m7xa4d")]
    Ship(IdArgs),
    /// Mark a shipped order as received by the buyer (books the fees).
    #[command(after_help = "Example:\n  telecenter order complete q3k9v2m7xa4d")]
    Complete(IdArgs),
    /// Cancel an order (buyer: while placed; seller: until shipped).
    #[command(
        after_help = "Example:\n  telecenter order cancel q3k9v2m7xa4d --reason \"pembeli batal\""
    )]
    Cancel(ReasonArgs),
    /// Deliver waiting order messages to the other centers now.
    #[command(after_help = "Example:\n  telecenter order deliver")]
    Deliver,
}

/// `order place`.
#[derive(Args, Debug)]
pub(crate) struct PlaceArgs {
    /// The listing: CENTER/ID, e.g. tc1…/k3v9q2m7xa.
    pub(crate) listing: String,
    /// How many units: 3, 1.000 or "1 000".
    #[arg(long, value_parser = crate::numbers::quantity_number)]
    pub(crate) qty: i64,
    /// The buyer's name.
    #[arg(long)]
    pub(crate) buyer_name: String,
    /// The buyer's phone or WhatsApp number.
    #[arg(long)]
    pub(crate) buyer_phone: String,
    /// Where the buyer pays: sini (here, this center collects; also "di sini",
    /// "pusat ini", here) or penjual (at the selling center; also seller).
    #[arg(long, default_value = "sini", value_name = "sini|penjual")]
    pub(crate) pay_at: String,
    /// How the buyer pays: tunai (cash), transfer or qris.
    #[arg(long, default_value = "tunai", value_name = "tunai|transfer|qris")]
    pub(crate) method: String,
    /// The unit price the buyer agreed to (refused if the listing's price differs).
    #[arg(long)]
    pub(crate) price: Option<String>,
    /// A note for the seller.
    #[arg(long, default_value = "")]
    pub(crate) note: String,
}

/// `order list`.
#[derive(Args, Debug)]
pub(crate) struct ListArgs {
    /// Only this status: placed, accepted, rejected, shipped, completed, cancelled, refused.
    #[arg(long)]
    pub(crate) status: Option<String>,
    /// Only orders with this center.
    #[arg(long)]
    pub(crate) with: Option<String>,
    /// Only orders this center placed (buyer) or sells (seller).
    #[arg(long)]
    pub(crate) role: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 100)]
    pub(crate) limit: u32,
}

/// Runs `telecenter order ...`.
pub(crate) async fn order(backend: Backend, command: OrderCommand, json: bool) -> Result<()> {
    match command {
        OrderCommand::Place(a) => {
            let (seller, listing) = a.listing.split_once('/').with_context(|| {
                fill(
                    crate::words::words().listing_path_bad,
                    &[&format!("{:?}", a.listing)],
                )
            })?;
            let input = PlaceOrder {
                seller: center(seller)?,
                listing: listing.parse::<ListingId>()?,
                quantity: a.qty,
                unit_price_idr: a
                    .price
                    .as_deref()
                    .map(|p| parse_rupiah("price", p))
                    .transpose()?,
                buyer_name: a.buyer_name,
                buyer_phone: a.buyer_phone,
                payment_at: a.pay_at.parse::<Collector>()?,
                payment_method: a.method.parse::<PayMethod>()?,
                note: a.note,
            };
            let body = serde_json::to_value(&input)?;
            let view: OrderView = backend
                .admin(Method::POST, "/api/v1/admin/orders", Some(body), |node| {
                    api::place(node, &input)
                })
                .await?;
            json_or_text(json, &view, || {
                println!("{}", view.id);
                eprintln!(
                    "{}",
                    fill(
                        words().order_placed,
                        &[
                            &view.id,
                            &view.counterpart_name,
                            &view.quantity,
                            &view.title,
                            &format_rupiah(view.gross_idr)
                        ]
                    )
                );
            })
        }
        OrderCommand::List(l) => {
            let query = OrderQuery {
                status: l.status,
                counterpart: l.with,
                role: l.role,
                limit: Some(l.limit),
            };
            let filter = order_filter(&query)?;
            let path = format!(
                "/api/v1/admin/orders?limit={}{}{}{}",
                filter.limit,
                query
                    .status
                    .as_deref()
                    .map(|s| format!("&status={s}"))
                    .unwrap_or_default(),
                query
                    .counterpart
                    .as_deref()
                    .map(|s| format!("&counterpart={s}"))
                    .unwrap_or_default(),
                query
                    .role
                    .as_deref()
                    .map(|s| format!("&role={s}"))
                    .unwrap_or_default(),
            );
            let view: OrdersView = backend
                .admin(Method::GET, &path, None, |node| api::list(node, &filter))
                .await?;
            json_or_text(json, &view, || {
                print_orders(&view.orders);
            })
        }
        OrderCommand::Show(a) => {
            let id = order_id(&a.id)?;
            let view: OrderView = backend
                .admin(
                    Method::GET,
                    &format!("/api/v1/admin/orders/{id}"),
                    None,
                    |node| api::show(node, &id),
                )
                .await?;
            json_or_text(json, &view, || {
                print_order(&view);
            })
        }
        OrderCommand::Accept(a) => step(&backend, &a.id, Action::Accept, None, json).await,
        OrderCommand::Reject(a) => step(&backend, &a.id, Action::Reject, a.reason, json).await,
        OrderCommand::Ship(a) => step(&backend, &a.id, Action::Ship, None, json).await,
        OrderCommand::Complete(a) => step(&backend, &a.id, Action::Complete, None, json).await,
        OrderCommand::Cancel(a) => step(&backend, &a.id, Action::Cancel, a.reason, json).await,
        OrderCommand::Deliver => {
            let views: Vec<DeliveryRoundView> = match backend.local_node() {
                Some(node) => {
                    let results = SyncEngine::new(node.clone())?.exchange_all().await;
                    delivery_views(
                        results
                            .into_iter()
                            .map(|(center, result)| (center, result.map(|r| (r.sent, r.received)))),
                    )
                }
                None => {
                    backend
                        .remote(Method::POST, "/api/v1/admin/orders/deliver")
                        .await?
                }
            };
            if json {
                return print_json(&views);
            }
            if views.is_empty() {
                println!("nothing to deliver: no waiting messages and no center to ask");
            }
            for v in &views {
                match &v.error {
                    None => println!(
                        "{}  sent {}  received {}",
                        v.center.short(),
                        v.sent,
                        v.received
                    ),
                    Some(e) => println!("{}  not reached: {e}", v.center.short()),
                }
            }
            let failed = views.iter().filter(|v| v.error.is_some()).count();
            if failed > 0 {
                bail!(
                    "{failed} of {} centers could not be reached; their messages wait and are retried",
                    views.len()
                );
            }
            Ok(())
        }
    }
}

async fn step(
    backend: &Backend,
    id: &str,
    action: Action,
    reason: Option<String>,
    json: bool,
) -> Result<()> {
    let id = order_id(id)?;
    let body = json!({ "reason": reason });
    let view: OrderView = backend
        .admin(
            Method::POST,
            &format!("/api/v1/admin/orders/{id}/{}", action.word()),
            Some(body),
            |node| api::step(node, &id, action, reason.as_deref()),
        )
        .await?;
    json_or_text(json, &view, || {
        let w = words();
        // A cancel that is still only proposed is what the operator did: say it
        // is cancelled, and that the other center has yet to hear of it.
        if action == Action::Cancel {
            println!("{}", fill(w.order_cancelled, &[&view.id]));
        } else {
            println!(
                "{}",
                fill(w.order_now, &[&view.id, &w.status(&view.status)])
            );
        }
        if view.pending.is_some() {
            println!("{}", fill(w.order_waits, &[&view.counterpart_name]));
        }
    })
}

/// The status for people, and whether the last step still waits to be sent.
fn status_text(view: &OrderView) -> String {
    let w = words();
    match &view.pending {
        Some(_) => format!(
            "{}; {}",
            w.status(&view.status),
            fill(w.order_waits, &[&view.counterpart_name])
                .trim_end_matches('.')
                .to_lowercase()
        ),
        None => w.status(&view.status),
    }
}

fn role_text(role: &str) -> &'static str {
    let w = words();
    if role == "seller" {
        w.role_seller
    } else {
        w.role_buyer
    }
}

fn print_orders(orders: &[OrderView]) {
    let w = words();
    if orders.is_empty() {
        println!("{}", w.no_orders);
        return;
    }
    println!(
        "{:<12}  {:<20}  {:<7}  {:<24}  {:<28}  {:>5}  {:>14}",
        w.orders_header_id,
        w.orders_header_status,
        w.orders_header_role,
        w.orders_header_with,
        w.orders_header_item,
        w.orders_header_qty,
        w.orders_header_total
    );
    for o in orders {
        let status = if o.pending.is_some() {
            format!("{}*", w.status(&o.status))
        } else {
            w.status(&o.status)
        };
        println!(
            "{:<12}  {:<20}  {:<7}  {:<24}  {:<28}  {:>5}  {:>14}",
            o.id,
            truncate(&status, 20),
            role_text(&o.role),
            truncate(&o.counterpart_name, 24),
            truncate(&o.title, 28),
            o.quantity,
            format_rupiah(o.gross_idr)
        );
    }
    if orders.iter().any(|o| o.pending.is_some()) {
        println!("{}", w.orders_pending_note);
    }
}

fn print_order(o: &OrderView) {
    let w = words();
    println!(
        "{} {}  ({} — {} {})",
        w.show_order,
        o.id,
        status_text(o),
        w.show_you_are,
        role_text(&o.role)
    );
    // Labels padded to one width, whatever the language.
    let label = |text: &str| format!("  {text:<13}");
    println!(
        "{}{} ({})",
        label(w.show_with),
        o.counterpart_name,
        o.counterpart
    );
    println!(
        "{}{} × {} {} ({})",
        label(w.show_item),
        o.quantity,
        o.title,
        o.unit,
        o.producer
    );
    println!(
        "{}{} ({} {} {})",
        label(w.show_total),
        format_rupiah(o.gross_idr),
        format_rupiah(o.unit_price_idr),
        w.show_per,
        o.unit
    );
    println!(
        "{}{} ({} %, {} {})",
        label(w.show_fee),
        format_rupiah(o.fee_idr),
        percent_text(o.fee_terms.referral_bp),
        w.show_minimum,
        format_rupiah(o.fee_terms.min_idr)
    );
    let at = match o.payment_at {
        Collector::BuyerCenter => w.pay_here,
        Collector::SellerCenter => w.pay_seller,
    };
    let method = match o.payment_method {
        PayMethod::Cash => w.method_cash,
        PayMethod::Transfer => w.method_transfer,
        PayMethod::Qris => w.method_qris,
    };
    println!("{}{at}, {method}", label(w.show_payment));
    println!(
        "{}{} ({})",
        label(w.show_buyer),
        o.buyer_name,
        o.buyer_phone
    );
    if !o.note.is_empty() {
        println!("{}{}", label(w.show_note), o.note);
    }
    if let Some(problem) = &o.problem {
        println!("{}{problem}", label(w.show_problem));
    }
    if let Some(delivery) = &o.delivery {
        let hop = |h: &Option<telecenter_node::api::orders::HopView>| match h {
            None => w.no_message_yet.to_owned(),
            Some(h) if h.direct => fill(w.directly, &[&local(&h.at)]),
            Some(h) => fill(w.through, &[&h.via_name, &local(&h.at)]),
        };
        println!("{}{}", label(w.show_from_them), hop(&delivery.last_in));
        println!("{}{}", label(w.show_to_them), hop(&delivery.last_out));
        let trust = match delivery.trust_path.as_slice() {
            [] => w.trust_none.to_owned(),
            [_] => w.trust_direct.to_owned(),
            [vouchers @ .., _] => fill(
                w.trust_vouched,
                &[&vouchers
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" → ")],
            ),
        };
        println!("{}{trust}", label(w.show_accepted));
        if !delivery.can_deliver {
            println!("{}{}", label(w.show_warning), w.no_way_to_send);
        }
    }
    println!("  {}", w.show_history);
    for e in &o.events {
        // Only two centers take part in an order: name them, not their ids.
        let by = if e.by == o.counterpart {
            o.counterpart_name.as_str()
        } else {
            w.this_center
        };
        println!(
            "    {}  {:<8}  {} {by}{}{}",
            local(&e.at),
            e.action,
            w.by,
            e.reason
                .as_deref()
                .map(|r| format!("  \"{r}\""))
                .unwrap_or_default(),
            if e.proposed {
                format!("  {}", w.waiting_for_seller)
            } else {
                String::new()
            }
        );
    }
}
