//! `telecenter fees ...`: the monthly fee report, balances, statements,
//! corrections and the netting suggestion (settlements are in `settle`).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::json;
use telecenter_node::accounting::{self, BalancesExport, FeeReport, Month, NettingView, Statement};
use telecenter_node::api::orders::{self as api, CorrectionInput, SettlementView};
use telecenter_node::money::format_rupiah;
use telecenter_node::money::parse_rupiah;

use super::settle::{SettleCommand, settle};
use super::{center, local, truncate};
use crate::backend::Backend;
use crate::output::json_or_text;
use crate::words::{fill, words};

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
    /// Write the report as an .xlsx workbook to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) xlsx: Option<PathBuf>,
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
    /// Write the statement as an .xlsx workbook to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) xlsx: Option<PathBuf>,
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

/// Writes `tables` as an `.xlsx` workbook to `path` (a whole file or nothing
/// new: the workbook is made in memory first).
pub(crate) fn write_xlsx(path: &std::path::Path, tables: &[accounting::Table]) -> Result<()> {
    let bytes = accounting::tables_xlsx(tables)?;
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn month_or_now(text: Option<&str>) -> Result<Month> {
    Ok(match text {
        Some(text) => Month::parse(text)?,
        None => Month::of(telecenter_node::Clock::now_ms(
            &telecenter_node::SystemClock,
        )),
    })
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
                    |node| accounting::report(node, month),
                )
                .await?;
            if let Some(path) = &a.xlsx {
                return write_xlsx(path, &accounting::report_tables(&report));
            }
            if a.csv {
                print!("{}", accounting::report_csv(&report));
                return Ok(());
            }
            json_or_text(json, &report, || {
                print_report(&report);
            })
        }
        FeesCommand::Balances => {
            let export: BalancesExport = backend
                .admin(Method::GET, "/api/v1/admin/fees/balances", None, |node| {
                    BalancesExport::of(node)
                })
                .await?;
            json_or_text(json, &export, || {
                if export.balances.is_empty() {
                    println!("{}", words().no_ledger);
                }
                for b in &export.balances {
                    println!(
                        "{:<32}  {}",
                        truncate(&b.name, 32),
                        balance_words(b.balance_idr)
                    );
                }
            })
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
                    |node| accounting::statement(node, &with, from, to),
                )
                .await?;
            if let Some(path) = &a.xlsx {
                return write_xlsx(path, &accounting::statement_tables(&statement));
            }
            json_or_text(json, &statement, || {
                let w = words();
                println!(
                    "{}",
                    fill(
                        w.statement_title,
                        &[&statement.name, &statement.from, &statement.to]
                    )
                );
                println!(
                    "  {} {}",
                    w.opening_balance,
                    balance_words(statement.opening_idr)
                );
                for l in &statement.lines {
                    println!(
                        "  {}  {:<13} {:<13} {:>14}  {:>14}",
                        local(&l.at),
                        w.api_word(&l.kind),
                        l.reference,
                        format_rupiah(l.amount_idr),
                        format_rupiah(l.balance_idr)
                    );
                }
                println!(
                    "  {} {}",
                    w.closing_balance,
                    balance_words(statement.closing_idr)
                );
            })
        }
        FeesCommand::Settle(command) => settle(backend, command, json).await,
        FeesCommand::Correct(a) => {
            let counterpart = center(&a.with)?;
            let owed_to_us = match a.owed_to.trim().to_ascii_lowercase().as_str() {
                "us" | "kami" => true,
                "them" | "mereka" => false,
                other => bail!(fill(words().owed_to_bad, &[&format!("{other:?}")])),
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
            json_or_text(json, &view, || {
                println!("{}", view.id);
                eprintln!(
                    "{}",
                    fill(
                        words().correction_sent,
                        &[
                            &view.id,
                            &format_rupiah(view.amount_idr),
                            &view.counterpart_name
                        ]
                    )
                );
            })
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
                    |node| accounting::netting(node, &include),
                )
                .await?;
            // Centers by name: as this node knows them, else as the shared
            // balances files name them, else by short id.
            let local = backend
                .local_node()
                .and_then(|node| telecenter_node::api::CenterNames::load(node).ok());
            let name = |center: &telecenter_protocol::CenterId| {
                local
                    .as_ref()
                    .map(|names| names.of(center))
                    .filter(|name| *name != center.short())
                    .or_else(|| {
                        include
                            .iter()
                            .flat_map(|e| &e.balances)
                            .find(|b| b.center == *center)
                            .map(|b| b.name.clone())
                    })
                    .unwrap_or_else(|| center.short())
            };
            json_or_text(json, &view, || {
                let w = words();
                println!("{}", w.suggestion_only);
                if view.suggestion.transfers.is_empty() {
                    println!("{}", w.nothing_to_settle);
                }
                for t in &view.suggestion.transfers {
                    println!(
                        "  {} {} {}  {}",
                        name(&t.debtor),
                        w.pays,
                        name(&t.creditor),
                        format_rupiah(t.amount_idr)
                    );
                }
                if !view.suggestion.minimal {
                    println!("{}", w.not_minimal);
                }
                for d in &view.disagreements {
                    println!("{}", fill(w.left_out, &[d]));
                }
            })
        }
    }
}

fn balance_words(balance: i64) -> String {
    let w = words();
    match balance {
        0 => w.settled.to_owned(),
        b if b > 0 => fill(w.owes_us, &[&format_rupiah(b)]),
        b => fill(w.we_owe, &[&format_rupiah(-b)]),
    }
}

fn print_report(r: &FeeReport) {
    let w = words();
    println!("{}", fill(w.report_title, &[&r.month]));
    let header = format!(
        "  {:<30}  {:>7}  {:>14}  {:>14}  {:>14}  {:>14}",
        "", w.report_orders, w.report_gross, w.report_earned, w.report_owed, w.report_net
    );
    let line = |l: &accounting::ReportLine| {
        println!(
            "  {:<30}  {:>7}  {:>14}  {:>14}  {:>14}  {:>14}",
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
        println!("{}", w.by_center);
        r.by_counterpart.iter().for_each(line);
    }
    if !r.by_producer.is_empty() {
        println!("{}", w.by_producer);
        r.by_producer.iter().for_each(line);
    }
    if !r.balances.is_empty() {
        println!("{}", fill(w.balances_end, &[&r.month]));
        for b in &r.balances {
            println!(
                "  {:<30}  {}",
                truncate(&b.name, 30),
                balance_words(b.balance_idr)
            );
        }
    }
}
