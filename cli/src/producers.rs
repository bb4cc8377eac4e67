//! `telecenter producer ...` and `telecenter sales`: the producers this center
//! sells for, linking listings to them, payouts, a producer's monthly statement
//! and the center's monthly sales report (tables, `--json`, or `--csv` for a
//! spreadsheet). Works on the database, or through the running node's admin API.

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use reqwest::Method;
use telecenter_node::accounting::{
    Month, ProducerStatement, SalesReport, sales_report_csv, statement_csv,
};
use telecenter_node::api::producers::{self as api, LinkInput, PayoutView, ProducerView};
use telecenter_node::money::{format_rupiah, parse_rupiah};
use telecenter_node::node::{PayoutInput, ProducerInput};
use telecenter_protocol::ListingId;

use crate::backend::Backend;
use crate::output::json_or_text;
use crate::words::{fill, words};

/// `telecenter producer ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum ProducerCommand {
    /// Add a producer (contact, bank account and WhatsApp stay on this computer).
    #[command(
        after_help = "Example:\n  telecenter producer add --name \"Bu Sari\" --village Tulungrejo --commission 7,5 --whatsapp 0812-3456-7890"
    )]
    Add(ProducerArgs),
    /// List the producers.
    #[command(after_help = "Example:\n  telecenter producer list")]
    List,
    /// Show one producer, with the private fields.
    #[command(after_help = "Example:\n  telecenter producer show 1")]
    Show(IdArg),
    /// Change a producer (only the fields given).
    #[command(after_help = "Example:\n  telecenter producer edit 1 --commission 10")]
    Edit(EditArgs),
    /// Link one of this center's listings to a producer (sets its producer name).
    #[command(after_help = "Example:\n  telecenter producer link Ab3dEf5hIj7lMn9p 1")]
    Link(LinkArgs),
    /// Unlink a listing from its producer (its producer name and village stay on it).
    #[command(after_help = "Example:\n  telecenter producer unlink k3v9q2m7xa")]
    Unlink(UnlinkArgs),
    /// Record a payout to a producer.
    #[command(
        after_help = "Example:\n  telecenter producer payout 1 --amount 40.000 --method transfer --note \"BRI 12/11\""
    )]
    Payout(PayoutArgs),
    /// A producer's statement for a month.
    #[command(
        after_help = "Examples:\n  telecenter producer statement 1 --month 2026-11\n  telecenter producer statement 1 --month 2026-11 --csv > produsen-1-2026-11.csv"
    )]
    Statement(StatementArgs),
}

/// A producer's fields.
#[derive(Args, Debug)]
pub(crate) struct ProducerArgs {
    /// Name (public).
    #[arg(long)]
    name: Option<String>,
    /// Village (public).
    #[arg(long)]
    village: Option<String>,
    /// How to reach them (private).
    #[arg(long)]
    contact: Option<String>,
    /// Bank account for payouts (private).
    #[arg(long)]
    bank_account: Option<String>,
    /// WhatsApp number, any Indonesian form (private).
    #[arg(long)]
    whatsapp: Option<String>,
    /// The center's commission in percent, e.g. 10 or 7,5.
    #[arg(long)]
    commission: Option<String>,
}

impl ProducerArgs {
    fn input(self) -> ProducerInput {
        ProducerInput {
            name: self.name,
            village: self.village,
            contact: self.contact,
            bank_account: self.bank_account,
            whatsapp: self.whatsapp,
            commission: self.commission,
        }
    }
}

/// A producer's number.
#[derive(Args, Debug)]
pub(crate) struct IdArg {
    /// The producer's number (see `telecenter producer list`).
    producer: i64,
}

/// `producer edit`.
#[derive(Args, Debug)]
pub(crate) struct EditArgs {
    /// The producer's number.
    producer: i64,
    #[command(flatten)]
    fields: ProducerArgs,
}

/// `producer link`.
#[derive(Args, Debug)]
pub(crate) struct LinkArgs {
    /// A listing id of this center.
    listing: String,
    /// The producer's number.
    producer: i64,
}

/// `producer unlink`.
#[derive(Args, Debug)]
pub(crate) struct UnlinkArgs {
    /// A listing id of this center that is linked to a producer.
    listing: String,
}

/// `producer payout`.
#[derive(Args, Debug)]
pub(crate) struct PayoutArgs {
    /// The producer's number.
    producer: i64,
    /// Rupiah, e.g. 40.000.
    #[arg(long)]
    amount: String,
    /// cash or transfer.
    #[arg(long, default_value = "cash")]
    method: String,
    /// A note.
    #[arg(long, default_value = "")]
    note: String,
}

/// `producer statement`.
#[derive(Args, Debug)]
pub(crate) struct StatementArgs {
    /// The producer's number.
    producer: i64,
    /// The month, e.g. 2026-11 (default: this month, WIB).
    #[arg(long)]
    month: Option<String>,
    /// Print CSV for a spreadsheet instead of a table.
    #[arg(long)]
    csv: bool,
    /// Write it as an .xlsx workbook to FILE.
    #[arg(long, value_name = "FILE")]
    xlsx: Option<std::path::PathBuf>,
}

/// `telecenter sales`.
#[derive(Args, Debug)]
pub(crate) struct SalesArgs {
    /// The month, e.g. 2026-11 (default: this month, WIB).
    #[arg(long)]
    month: Option<String>,
    /// Print CSV for a spreadsheet instead of a table.
    #[arg(long)]
    csv: bool,
    /// Write it as an .xlsx workbook to FILE.
    #[arg(long, value_name = "FILE")]
    xlsx: Option<std::path::PathBuf>,
}

fn month_or_now(text: Option<&str>) -> Result<Month> {
    Ok(match text {
        Some(text) => Month::parse(text)?,
        None => Month::of(telecenter_node::Clock::now_ms(
            &telecenter_node::SystemClock,
        )),
    })
}

fn print_producer(p: &ProducerView) {
    println!(
        "{:>4}  {} ({})  komisi {} %",
        p.id, p.name, p.village, p.commission
    );
}

/// Runs `telecenter producer ...`.
pub(crate) async fn producer(backend: Backend, command: ProducerCommand, json: bool) -> Result<()> {
    match command {
        ProducerCommand::Add(args) => {
            let input = args.input();
            let body = serde_json::to_value(&input)?;
            let view: ProducerView = backend
                .admin(
                    Method::POST,
                    "/api/v1/admin/producers",
                    Some(body),
                    |node| api::add(node, &input),
                )
                .await?;
            json_or_text(json, &view, || print_producer(&view))
        }
        ProducerCommand::List => {
            let views: Vec<ProducerView> = backend
                .admin(Method::GET, "/api/v1/admin/producers", None, |node| {
                    api::producers(node)
                })
                .await?;
            json_or_text(json, &views, || {
                if views.is_empty() {
                    println!("{}", words().no_producers);
                }
                views.iter().for_each(print_producer);
            })
        }
        ProducerCommand::Show(IdArg { producer: id }) => {
            let view: ProducerView = backend
                .admin(
                    Method::GET,
                    &format!("/api/v1/admin/producers/{id}"),
                    None,
                    |node| api::producer(node, id),
                )
                .await?;
            json_or_text(json, &view, || {
                print_producer(&view);
                let w = words();
                println!("      {} {}", w.label_contact, view.contact);
                println!("      {} {}", w.label_bank, view.bank_account);
                println!("      WhatsApp: {}", view.whatsapp);
                println!("      {} {}", w.label_listings, view.listings.join(", "));
            })
        }
        ProducerCommand::Edit(EditArgs {
            producer: id,
            fields,
        }) => {
            let input = fields.input();
            let body = serde_json::to_value(&input)?;
            let view: ProducerView = backend
                .admin(
                    Method::PATCH,
                    &format!("/api/v1/admin/producers/{id}"),
                    Some(body),
                    |node| api::edit(node, id, &input),
                )
                .await?;
            json_or_text(json, &view, || print_producer(&view))
        }
        ProducerCommand::Link(LinkArgs {
            listing,
            producer: id,
        }) => {
            let input = LinkInput { listing };
            let body = serde_json::to_value(&input)?;
            let view: ProducerView = backend
                .admin(
                    Method::POST,
                    &format!("/api/v1/admin/producers/{id}/listings"),
                    Some(body),
                    |node| api::link(node, id, &input),
                )
                .await?;
            json_or_text(json, &view, || {
                println!(
                    "{}",
                    fill(words().linked, &[&input.listing, &view.name, &view.village])
                )
            })
        }
        ProducerCommand::Unlink(UnlinkArgs { listing }) => {
            let wanted = listing
                .trim()
                .parse::<ListingId>()
                .map_err(|e| anyhow::anyhow!("listing {listing:?}: {e}"))?
                .to_string();
            let views: Vec<ProducerView> = backend
                .admin(Method::GET, "/api/v1/admin/producers", None, |node| {
                    api::producers(node)
                })
                .await?;
            let Some(id) = views
                .iter()
                .find(|v| v.listings.contains(&wanted))
                .map(|v| v.id)
            else {
                bail!("listing {wanted} is not linked to a producer");
            };
            let view: ProducerView = backend
                .admin(
                    Method::DELETE,
                    &format!("/api/v1/admin/producers/{id}/listings/{wanted}"),
                    None,
                    |node| api::unlink(node, id, &wanted),
                )
                .await?;
            json_or_text(json, &view, || {
                println!(
                    "{}",
                    fill(words().unlinked, &[&wanted, &view.name, &view.village])
                )
            })
        }
        ProducerCommand::Payout(a) => {
            let input = PayoutInput {
                amount_idr: parse_rupiah("amount", &a.amount)?,
                method: a.method,
                note: a.note,
                at_ms: None,
            };
            let id = a.producer;
            let body = serde_json::to_value(&input)?;
            let view: PayoutView = backend
                .admin(
                    Method::POST,
                    &format!("/api/v1/admin/producers/{id}/payouts"),
                    Some(body),
                    |node| api::payout(node, id, &input),
                )
                .await?;
            json_or_text(json, &view, || {
                println!(
                    "{}",
                    fill(
                        words().producer_paid,
                        &[
                            &format_rupiah(view.amount_idr),
                            &view.method,
                            &view.producer
                        ]
                    )
                )
            })
        }
        ProducerCommand::Statement(a) => {
            let month = month_or_now(a.month.as_deref())?;
            let id = a.producer;
            let statement: ProducerStatement = backend
                .admin(
                    Method::GET,
                    &format!("/api/v1/admin/producers/{id}/statement?month={month}"),
                    None,
                    |node| api::statement(node, id, month),
                )
                .await?;
            if let Some(path) = &a.xlsx {
                return crate::trade::write_xlsx(
                    path,
                    &telecenter_node::accounting::producer_statement_tables(&statement),
                );
            }
            if a.csv {
                print!("{}", statement_csv(&statement));
                return Ok(());
            }
            json_or_text(json, &statement, || print_statement(&statement))
        }
    }
}

fn print_statement(s: &ProducerStatement) {
    let w = words();
    println!(
        "{}",
        fill(w.producer_statement, &[&s.name, &s.village, &s.month])
    );
    println!("  {} {}", w.opening_balance, format_rupiah(s.opening_idr));
    for l in &s.sales {
        println!(
            "  {}  {:<28} {:>4} {:<8} {} {:>14}  {} {:>12}  {} {:>14}",
            l.date,
            l.product,
            l.quantity,
            l.unit,
            w.word_gross,
            format_rupiah(l.gross_idr),
            w.word_commission,
            format_rupiah(l.commission_idr),
            w.word_owed,
            format_rupiah(l.owed_idr)
        );
    }
    for p in &s.payouts {
        println!(
            "  {}  {} {} ({}) {}",
            p.date,
            w.word_paid,
            format_rupiah(p.amount_idr),
            p.method,
            p.note
        );
    }
    println!(
        "  {}",
        fill(
            w.statement_totals,
            &[
                &format_rupiah(s.gross_idr),
                &format_rupiah(s.commission_idr),
                &format_rupiah(s.owed_idr),
                &format_rupiah(s.paid_idr)
            ]
        )
    );
    println!("  {} {}", w.closing_balance, format_rupiah(s.closing_idr));
}

/// Runs `telecenter sales`.
pub(crate) async fn sales(backend: Backend, args: SalesArgs, json: bool) -> Result<()> {
    let month = month_or_now(args.month.as_deref())?;
    let report: SalesReport = backend
        .admin(
            Method::GET,
            &format!("/api/v1/admin/sales?month={month}"),
            None,
            |node| api::sales(node, month),
        )
        .await?;
    if let Some(path) = &args.xlsx {
        return crate::trade::write_xlsx(
            path,
            &telecenter_node::accounting::sales_report_tables(&report),
        );
    }
    if args.csv {
        if json {
            bail!("give --csv or --json, not both");
        }
        print!("{}", sales_report_csv(&report));
        return Ok(());
    }
    json_or_text(json, &report, || {
        let w = words();
        println!("{}", fill(w.sales_title, &[&report.month]));
        for line in report.lines.iter().chain(std::iter::once(&report.total)) {
            println!(
                "  {:<32} {:>5} {}  {} {:>14}  {} {:>12}  {} {:>14}",
                line.name,
                line.sales,
                w.word_sales,
                w.word_gross,
                format_rupiah(line.gross_idr),
                w.word_commission,
                format_rupiah(line.commission_idr),
                w.word_owed,
                format_rupiah(line.owed_idr)
            );
        }
    })
}
