//! `telecenter order ...` and `telecenter fees ...`: orders between centers,
//! the fee report, balances, statements, settlements and the netting suggestion.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::json;
use telecenter_node::api::format_rupiah;
use telecenter_node::api::orders::{
    self as api, CorrectionInput, OrderQuery, OrderView, OrdersView, SettlementInput,
    SettlementView,
};
use telecenter_node::fees::{self, BalancesExport, FeeReport, Month, NettingView, Statement};
use telecenter_node::http::orders::{DeliveryView, delivery_views, order_filter};
use telecenter_node::node::PlaceOrder;
use telecenter_node::search::parse_rupiah;
use telecenter_node::sync::SyncEngine;
use telecenter_protocol::order::{Action, Collector, OrderId, PayMethod, percent_text};
use telecenter_protocol::{CenterId, ListingId};

use crate::backend::Backend;

/// `telecenter order ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum OrderCommand {
    /// Order another center's listing for a buyer at this center.
    #[command(
        after_help = "Example:\n  telecenter order place tc1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuqcpmgz9/k3v9q2m7xa --qty 3 \\\n    --buyer-name \"Bu Sri\" --buyer-phone \"0812 3456 7890\" --pay-at here --method cash --price 15.000\n\nThe listing is CENTER/ID as shown on the product page (/produk/CENTER/ID)."
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
    /// How many units.
    #[arg(long)]
    pub(crate) qty: i64,
    /// The buyer's name.
    #[arg(long)]
    pub(crate) buyer_name: String,
    /// The buyer's phone or WhatsApp number.
    #[arg(long)]
    pub(crate) buyer_phone: String,
    /// Where the buyer pays: here (this center collects) or seller (pays the selling center).
    #[arg(long, default_value = "here")]
    pub(crate) pay_at: String,
    /// How the buyer pays: cash, transfer or qris.
    #[arg(long, default_value = "cash")]
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

/// `telecenter fees ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum FeesCommand {
    /// The month's orders, sales and fees per counterpart center and per producer.
    #[command(
        after_help = "Examples:\n  telecenter fees report --month 2026-11\n  telecenter fees report --month 2026-11 --csv > biaya-2026-11.csv"
    )]
    Report(ReportArgs),
    /// What each center owes this one, or is owed (all time).
    #[command(
        after_help = "Examples:\n  telecenter fees balances\n  telecenter fees balances --json > malang.json    (to share for netting)"
    )]
    Balances,
    /// A pair's entries over whole months with running balance.
    #[command(
        after_help = "Example:\n  telecenter fees statement --with tc1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuqcpmgz9 --from 2026-10 --to 2026-11"
    )]
    Statement(StatementArgs),
    /// Record, confirm, decline and list settlement payments.
    #[command(subcommand)]
    Settle(SettleCommand),
    /// Propose a correction to the other center (a new entry; booked when they confirm).
    #[command(
        after_help = "Examples:\n  telecenter fees correct --with tc1… --owed-to us --amount 5.000 --reason \"ongkos kirim belum dihitung\"\n  telecenter fees correct --with tc1… --owed-to them --amount 1.350 --reason \"biaya dihitung dua kali\"\n\nThe other center confirms or declines it with 'telecenter fees settle confirm|decline ID'."
    )]
    Correct(CorrectArgs),
    /// Suggest the fewest transfers that clear the balances (a suggestion only).
    #[command(
        after_help = "Examples:\n  telecenter fees netting\n  telecenter fees netting --include blitar.json --include sumenep.json\n\nOther centers share their balances with 'telecenter fees balances --json > file.json'."
    )]
    Netting(NettingArgs),
}

/// `fees report`.
#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    /// The month, e.g. 2026-11 (default: this month, WIB).
    #[arg(long)]
    pub(crate) month: Option<String>,
    /// Print CSV for a spreadsheet instead of a table.
    #[arg(long)]
    pub(crate) csv: bool,
}

/// `fees statement`.
#[derive(Args, Debug)]
pub(crate) struct StatementArgs {
    /// The other center's id.
    #[arg(long)]
    pub(crate) with: String,
    /// First month (default: this month).
    #[arg(long)]
    pub(crate) from: Option<String>,
    /// Last month (default: the first month).
    #[arg(long)]
    pub(crate) to: Option<String>,
}

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

/// `fees correct`.
#[derive(Args, Debug)]
pub(crate) struct CorrectArgs {
    /// The other center's id.
    #[arg(long)]
    pub(crate) with: String,
    /// Who is owed the amount: us (the other center owes more) or them (we owe more).
    #[arg(long, value_name = "us|them")]
    pub(crate) owed_to: String,
    /// The amount in rupiah, e.g. 5.000.
    #[arg(long)]
    pub(crate) amount: String,
    /// Why (the other center sees it).
    #[arg(long)]
    pub(crate) reason: String,
}

/// `fees netting`.
#[derive(Args, Debug)]
pub(crate) struct NettingArgs {
    /// A file with another center's balances ('telecenter fees balances --json').
    #[arg(long, value_name = "FILE")]
    pub(crate) include: Vec<PathBuf>,
}

fn order_id(text: &str) -> Result<OrderId> {
    Ok(text.parse::<OrderId>()?)
}

fn center(text: &str) -> Result<CenterId> {
    Ok(text.parse::<CenterId>()?)
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn month_or_now(text: Option<&str>) -> Result<Month> {
    Ok(match text {
        Some(text) => Month::parse(text)?,
        None => Month::of(telecenter_node::Clock::now_ms(
            &telecenter_node::SystemClock,
        )),
    })
}

/// Runs `telecenter order ...`.
pub(crate) async fn order(backend: Backend, command: OrderCommand, json: bool) -> Result<()> {
    match command {
        OrderCommand::Place(a) => {
            let (seller, listing) = a.listing.split_once('/').with_context(|| {
                format!(
                    "the listing must be CENTER/ID as on the product page, found {:?}",
                    a.listing
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
            if json {
                return print_json(&view);
            }
            println!("{}", view.id);
            eprintln!(
                "Order {} placed with {}: {} × {} = {}. It is sent to them as soon as their node can be reached.",
                view.id,
                view.counterpart_name,
                view.quantity,
                view.title,
                format_rupiah(view.gross_idr)
            );
            Ok(())
        }
        OrderCommand::List(l) => {
            let query = OrderQuery {
                status: l.status,
                counterpart: l.with,
                role: l.role,
                limit: Some(l.limit),
            };
            let filter = order_filter(&query).map_err(|e| anyhow::anyhow!("{}", api_message(e)))?;
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
            if json {
                return print_json(&view);
            }
            print_orders(&view.orders);
            Ok(())
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
            if json {
                return print_json(&view);
            }
            print_order(&view);
            Ok(())
        }
        OrderCommand::Accept(a) => step(&backend, &a.id, Action::Accept, None, json).await,
        OrderCommand::Reject(a) => step(&backend, &a.id, Action::Reject, a.reason, json).await,
        OrderCommand::Ship(a) => step(&backend, &a.id, Action::Ship, None, json).await,
        OrderCommand::Complete(a) => step(&backend, &a.id, Action::Complete, None, json).await,
        OrderCommand::Cancel(a) => step(&backend, &a.id, Action::Cancel, a.reason, json).await,
        OrderCommand::Deliver => {
            let views: Vec<DeliveryView> = match backend.local_node() {
                Some(node) => delivery_views(SyncEngine::new(node.clone())?.exchange_all().await),
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

fn api_message(error: telecenter_node::http::ApiError) -> String {
    match error {
        telecenter_node::http::ApiError::BadRequest { message, .. } => message,
        other => format!("{other:?}"),
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
    if json {
        return print_json(&view);
    }
    println!("order {} is now {}", view.id, status_text(&view));
    Ok(())
}

fn status_text(view: &OrderView) -> String {
    match &view.pending {
        Some(p) => format!(
            "{} (your '{p}' waits for {})",
            view.status, view.counterpart_name
        ),
        None => view.status.clone(),
    }
}

fn local(at: &str) -> String {
    telecenter_node::clock::parse_rfc3339_ms(at)
        .map(|ms| telecenter_node::web::local_time(telecenter_protocol::catalog::Lang::En, ms))
        .unwrap_or_else(|| at.to_owned())
}

fn print_orders(orders: &[OrderView]) {
    if orders.is_empty() {
        println!("no orders");
        return;
    }
    println!(
        "{:<12}  {:<10}  {:<6}  {:<24}  {:<28}  {:>5}  {:>14}",
        "ID", "STATUS", "ROLE", "WITH", "ITEM", "QTY", "TOTAL"
    );
    for o in orders {
        let status = if o.pending.is_some() {
            format!("{}*", o.status)
        } else {
            o.status.clone()
        };
        println!(
            "{:<12}  {:<10}  {:<6}  {:<24}  {:<28}  {:>5}  {:>14}",
            o.id,
            status,
            o.role,
            truncate(&o.counterpart_name, 24),
            truncate(&o.title, 28),
            o.quantity,
            format_rupiah(o.gross_idr)
        );
    }
    if orders.iter().any(|o| o.pending.is_some()) {
        println!("* your last step waits for the other center's node");
    }
}

fn truncate(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(chars - 1).collect();
        short.push('…');
        short
    }
}

fn print_order(o: &OrderView) {
    println!(
        "Order {}  ({} — you are the {})",
        o.id,
        status_text(o),
        o.role
    );
    println!("  With:      {} ({})", o.counterpart_name, o.counterpart);
    println!(
        "  Item:      {} × {} {} ({})",
        o.quantity, o.title, o.unit, o.producer
    );
    println!(
        "  Total:     {} ({} per {})",
        format_rupiah(o.gross_idr),
        format_rupiah(o.unit_price_idr),
        o.unit
    );
    println!(
        "  Fee:       {} ({} %, minimum {})",
        format_rupiah(o.fee_idr),
        percent_text(o.fee_terms.referral_bp),
        format_rupiah(o.fee_terms.min_idr)
    );
    let at = match o.payment_at {
        Collector::BuyerCenter => "at the ordering center",
        Collector::SellerCenter => "to the selling center",
    };
    println!("  Payment:   {at}, {:?}", o.payment_method);
    println!("  Buyer:     {} ({})", o.buyer_name, o.buyer_phone);
    if !o.note.is_empty() {
        println!("  Note:      {}", o.note);
    }
    if let Some(problem) = &o.problem {
        println!("  Problem:   {problem}");
    }
    if let Some(delivery) = &o.delivery {
        let hop = |h: &Option<telecenter_node::api::orders::HopView>| match h {
            None => "no message yet".to_owned(),
            Some(h) if h.direct => format!("directly, {}", local(&h.at)),
            Some(h) => format!("through {}, {}", h.via_name, local(&h.at)),
        };
        println!("  From them: {}", hop(&delivery.last_in));
        println!("  To them:   {}", hop(&delivery.last_out));
        let trust = match delivery.trust_path.as_slice() {
            [] => "no longer accepted".to_owned(),
            [_] => "trusted directly".to_owned(),
            [vouchers @ .., _] => format!(
                "vouched for by {}",
                vouchers
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" → ")
            ),
        };
        println!("  Accepted:  {trust}");
        if !delivery.can_deliver {
            println!(
                "  Warning:   no way to send them messages yet (no address, and no peer carries mail for them)"
            );
        }
    }
    println!("  History:");
    for e in &o.events {
        println!(
            "    {}  {:<8}  by {}{}{}",
            local(&e.at),
            e.action,
            e.by.short(),
            e.reason
                .as_deref()
                .map(|r| format!("  \"{r}\""))
                .unwrap_or_default(),
            if e.proposed {
                "  (waiting for the seller's node)"
            } else {
                ""
            }
        );
    }
}

/// Runs `telecenter fees ...`.
pub(crate) async fn fees(backend: Backend, command: FeesCommand, json: bool) -> Result<()> {
    match command {
        FeesCommand::Report(a) => {
            let month = month_or_now(a.month.as_deref())?;
            let report: FeeReport = backend
                .admin(
                    Method::GET,
                    &format!("/api/v1/admin/fees/report?month={month}"),
                    None,
                    |node| fees::report(node, month),
                )
                .await?;
            if a.csv {
                print!("{}", fees::report_csv(&report));
                return Ok(());
            }
            if json {
                return print_json(&report);
            }
            print_report(&report);
            Ok(())
        }
        FeesCommand::Balances => {
            let export: BalancesExport = backend
                .admin(Method::GET, "/api/v1/admin/fees/balances", None, |node| {
                    BalancesExport::of(node)
                })
                .await?;
            if json {
                return print_json(&export);
            }
            if export.balances.is_empty() {
                println!("no ledger entries yet");
            }
            for b in &export.balances {
                println!(
                    "{:<32}  {}",
                    truncate(&b.name, 32),
                    balance_words(b.balance_idr)
                );
            }
            Ok(())
        }
        FeesCommand::Statement(a) => {
            let with = center(&a.with)?;
            let from = month_or_now(a.from.as_deref())?;
            let to = match a.to.as_deref() {
                Some(t) => Month::parse(t)?,
                None => from,
            };
            let statement: Statement = backend
                .admin(
                    Method::GET,
                    &format!("/api/v1/admin/fees/statement?counterpart={with}&from={from}&to={to}"),
                    None,
                    |node| fees::statement(node, &with, from, to),
                )
                .await?;
            if json {
                return print_json(&statement);
            }
            println!(
                "Statement with {} for {} to {}",
                statement.name, statement.from, statement.to
            );
            println!(
                "  Opening balance: {}",
                balance_words(statement.opening_idr)
            );
            for l in &statement.lines {
                println!(
                    "  {}  {:<13} {:<13} {:>14}  {:>14}",
                    local(&l.at),
                    l.kind,
                    l.reference,
                    format_rupiah(l.amount_idr),
                    format_rupiah(l.balance_idr)
                );
            }
            println!(
                "  Closing balance: {}",
                balance_words(statement.closing_idr)
            );
            Ok(())
        }
        FeesCommand::Settle(command) => settle(backend, command, json).await,
        FeesCommand::Correct(a) => {
            let counterpart = center(&a.with)?;
            let owed_to_us = match a.owed_to.trim().to_ascii_lowercase().as_str() {
                "us" | "kami" => true,
                "them" | "mereka" => false,
                other => bail!("--owed-to must be 'us' or 'them', found {other:?}"),
            };
            let amount = parse_rupiah("amount", &a.amount)?;
            let input = CorrectionInput {
                counterpart,
                owed_to_us,
                amount_idr: amount,
                reason: a.reason,
            };
            let body = serde_json::to_value(&input)?;
            let view: SettlementView = backend
                .admin(
                    Method::POST,
                    "/api/v1/admin/fees/corrections",
                    Some(body),
                    |node| api::correct(node, &input),
                )
                .await?;
            if json {
                return print_json(&view);
            }
            println!("{}", view.id);
            eprintln!(
                "correction {} of {} sent to {}; it counts once they confirm it",
                view.id,
                format_rupiah(view.amount_idr),
                view.counterpart_name
            );
            Ok(())
        }
        FeesCommand::Netting(a) => {
            let mut include = Vec::new();
            for path in &a.include {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let export: BalancesExport = serde_json::from_str(&text).with_context(|| {
                    format!(
                        "{} is not a balances file from 'telecenter fees balances --json'",
                        path.display()
                    )
                })?;
                include.push(export);
            }
            let body = json!({ "include": include });
            let view: NettingView = backend
                .admin(
                    Method::POST,
                    "/api/v1/admin/fees/netting",
                    Some(body),
                    |node| fees::netting(node, &include),
                )
                .await?;
            if json {
                return print_json(&view);
            }
            println!("SUGGESTION ONLY — nothing is paid or booked by this.");
            if view.suggestion.transfers.is_empty() {
                println!("nothing to settle");
            }
            for t in &view.suggestion.transfers {
                println!(
                    "  {} pays {}  {}",
                    t.debtor.short(),
                    t.creditor.short(),
                    format_rupiah(t.amount_idr)
                );
            }
            if !view.suggestion.minimal {
                println!("(many centers: a good answer, not proven the fewest transfers)");
            }
            for d in &view.disagreements {
                println!("left out: {d}");
            }
            Ok(())
        }
    }
}

fn balance_words(balance: i64) -> String {
    match balance {
        0 => "settled (Rp 0)".to_owned(),
        b if b > 0 => format!("owes this center {}", format_rupiah(b)),
        b => format!("this center owes {}", format_rupiah(-b)),
    }
}

async fn settle(backend: Backend, command: SettleCommand, json: bool) -> Result<()> {
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
                println!("no settlement payments");
            }
            for s in &list {
                let what = if s.kind == "correction" {
                    "correct"
                } else {
                    s.direction.as_str()
                };
                println!(
                    "{}  {:<8}  {:<9}  {:<24}  {:>14}  {}",
                    s.id,
                    what,
                    s.status,
                    truncate(&s.counterpart_name, 24),
                    format_rupiah(s.amount_idr),
                    s.reference
                );
            }
            return Ok(());
        }
    };
    if json {
        return print_json(&view);
    }
    println!("{}", view.id);
    eprintln!(
        "settlement {} of {} ({} {}) is {}",
        view.id,
        format_rupiah(view.amount_idr),
        view.direction,
        view.counterpart_name,
        view.status
    );
    Ok(())
}

async fn answer(
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

fn print_report(r: &FeeReport) {
    println!("Fees report {} (months in WIB)", r.month);
    let header = format!(
        "  {:<30}  {:>6}  {:>14}  {:>14}  {:>14}  {:>14}",
        "", "ORDERS", "GROSS SALES", "FEES EARNED", "FEES OWED", "NET"
    );
    let line = |l: &fees::ReportLine| {
        println!(
            "  {:<30}  {:>6}  {:>14}  {:>14}  {:>14}  {:>14}",
            truncate(&l.name, 30),
            l.orders,
            format_rupiah(l.gross_sales_idr),
            format_rupiah(l.fees_earned_idr),
            format_rupiah(l.fees_owed_idr),
            format_rupiah(l.net_idr)
        );
    };
    println!("{header}");
    line(&r.total);
    if !r.by_counterpart.is_empty() {
        println!("By center:");
        r.by_counterpart.iter().for_each(line);
    }
    if !r.by_producer.is_empty() {
        println!("By producer:");
        r.by_producer.iter().for_each(line);
    }
    if !r.balances.is_empty() {
        println!("Balances at the end of {}:", r.month);
        for b in &r.balances {
            println!(
                "  {:<30}  {}",
                truncate(&b.name, 30),
                balance_words(b.balance_idr)
            );
        }
    }
}
