//! The monthly fee report page (`/operator/biaya`) with the balance chart and
//! the netting suggestion, and its downloads: `/operator/biaya.xlsx`, the CSV
//! for Indonesian spreadsheets (`/operator/biaya.csv?gaya=excel`) and the
//! machine CSV (`/operator/biaya.csv`).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use telecenter_protocol::CenterId;
use telecenter_protocol::catalog::Lang;

use super::{
    frame, month_picker, monthly, no_store, operator_nav, pay_href, rows_table, statement_href,
};
use crate::accounting::{self, BalanceLine, FeeReport, Month, NettingView, ReportLine};
use crate::api::CenterNames as Names;
use crate::money::format_rupiah;
use crate::node::{Node, NodeError};
use crate::server::AppState;
use crate::web::i18n;
use crate::web::i18n::orders::{balance_text, month_name, words};
use crate::web::operator::OperatorPage;
use crate::web::operator::downloads::{Download, download_links, tables_download};

struct FeeData {
    report: FeeReport,
    balances: Vec<BalanceLine>,
    netting: NettingView,
    names: Names,
}

fn fee_data(node: &Node, month: Month) -> Result<FeeData, NodeError> {
    let balances = accounting::balances(node)?;
    Ok(FeeData {
        report: accounting::report(node, month)?,
        netting: accounting::netting_with(node, balances.clone(), &[])?,
        balances,
        names: Names::load(node)?,
    })
}

/// Balances as horizontal bars around a middle line: to the right what others
/// owe this center, to the left what it owes. Plain HTML and CSS; each bar has
/// its amount written beside it, so the chart reads without colour or sight.
fn balance_chart(lang: Lang, balances: &[BalanceLine]) -> Markup {
    let w = words(lang);
    let largest = balances
        .iter()
        .map(|b| b.balance_idr.unsigned_abs())
        .max()
        .unwrap_or(0)
        .max(1);
    let width = |amount: i64| -> u64 {
        let share = u128::from(amount.unsigned_abs()) * 100 / u128::from(largest);
        u64::try_from(share).unwrap_or(100).clamp(1, 100)
    };
    html! {
        p.legend aria-hidden="true" { span { (w.chart_legend[0]) } span { (w.chart_legend[1]) } }
        ul.chart {
            @for line in balances {
                @let side = match line.balance_idr.signum() { 1 => "pos", -1 => "neg", _ => "zero" };
                li {
                    div.label {
                        a href=(statement_href(&line.center)) { (line.name) }
                        span class=(side) { (balance_text(lang, line.balance_idr)) }
                    }
                    div.track aria-hidden="true" {
                        div.left {
                            @if line.balance_idr < 0 { span."bar-neg" style=(format!("width:{}%", width(line.balance_idr))) {} }
                        }
                        div.right {
                            @if line.balance_idr > 0 { span."bar-pos" style=(format!("width:{}%", width(line.balance_idr))) {} }
                        }
                    }
                    @if line.balance_idr < 0 {
                        a.small href=(pay_href(&line.center, -line.balance_idr)) { (w.pay_this) }
                    }
                }
            }
        }
    }
}

fn report_table(lang: Lang, first: &str, lines: &[ReportLine], centers: bool) -> Markup {
    let w = words(lang);
    html! {
        (rows_table(
            &[(first, false), (w.completed_orders, true), (w.gross, true), (w.earned, true), (w.owed, true), (w.net, true)],
            html! {
                @for line in lines {
                    tr {
                        td data-label=(first) {
                            @match line.key.parse::<CenterId>() {
                                Ok(center) if centers => a href=(statement_href(&center)) { (line.name) },
                                _ => span { (line.name) },
                            }
                        }
                        td.num data-label=(w.completed_orders) { span { (line.orders) } }
                        td.num data-label=(w.gross) { span { (format_rupiah(line.gross_sales_idr)) } }
                        td.num data-label=(w.earned) { span { (format_rupiah(line.fees_earned_idr)) } }
                        td.num data-label=(w.owed) { span { (format_rupiah(line.fees_owed_idr)) } }
                        td.num data-label=(w.net) { strong { (format_rupiah(line.net_idr)) } }
                    }
                }
            }
        ))
    }
}

fn netting_box(lang: Lang, netting: &NettingView, names: &Names) -> Markup {
    let w = words(lang);
    html! {
        section.hint aria-labelledby="netting" {
            h2 #netting { (w.netting) }
            p { strong { (w.suggestion_only) } }
            @if netting.suggestion.transfers.is_empty() {
                p { (w.nothing_to_pay) }
            } @else {
                ul {
                    @for debt in &netting.suggestion.transfers {
                        li {
                            (names.marked(&debt.debtor, words(lang).us)) " " (w.pays) " " (names.marked(&debt.creditor, words(lang).us))
                            ": " strong { (format_rupiah(debt.amount_idr)) }
                        }
                    }
                }
            }
            @for disagreement in &netting.disagreements { p.muted { (disagreement) } }
            p.muted { (w.netting_hint) }
        }
    }
}

fn fee_body(lang: Lang, csrf: &str, month: Month, data: &FeeData) -> Markup {
    let (t, w) = (i18n::texts(lang), words(lang));
    let total = &data.report.total;
    html! {
        (operator_nav(t, csrf))
        h1 { (w.fees) }
        (month_picker(lang, "/operator/biaya", month))
        h2 { (month_name(lang, month)) }
        dl.facts.figures {
            dt { (w.completed_orders) } dd { (total.orders) }
            dt { (w.gross) } dd { (format_rupiah(total.gross_sales_idr)) }
            dt { (w.earned) } dd { (format_rupiah(total.fees_earned_idr)) }
            dt { (w.owed) } dd { (format_rupiah(total.fees_owed_idr)) }
            dt { (w.net) } dd { strong { (format_rupiah(total.net_idr)) } }
        }
        p {
            (download_links(lang, "/operator/biaya", &format!("bulan={month}"), true))
            " · "
            a href="/operator/biaya/setoran" { (w.settlements) }
        }
        @if !data.report.by_counterpart.is_empty() {
            h3 { (w.per_center) }
            (report_table(lang, w.counterpart, &data.report.by_counterpart, true))
        }
        @if !data.report.by_producer.is_empty() {
            h3 { (w.per_producer) }
            (report_table(lang, words(lang).producer_column, &data.report.by_producer, false))
        }
        p.muted { (w.definitions) }
        h2 { (w.balances) }
        @if data.balances.is_empty() {
            p { (w.no_balances) }
        } @else {
            (balance_chart(lang, &data.balances))
        }
        (netting_box(lang, &data.netting, &data.names))
    }
}

/// `GET /operator/biaya?bulan=2026-11`.
pub(in crate::web) async fn fee_report(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let title = words(lang).fees;
    monthly(
        &state,
        &query,
        (lang, &csrf),
        (title, "/operator/biaya"),
        fee_data,
        |month, data| {
            frame(
                lang,
                StatusCode::OK,
                title,
                fee_body(lang, &csrf, month, &data),
            )
        },
    )
    .await
}

/// `GET /operator/biaya.csv?bulan=2026-11`: the machine CSV, or with
/// `&gaya=excel` the CSV for Indonesian spreadsheets.
pub(in crate::web) async fn fee_csv(
    State(state): State<AppState>,
    page: OperatorPage,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let kind = Download::of_csv(&query);
    fee_download(state, page, query, kind).await
}

/// `GET /operator/biaya.xlsx?bulan=2026-11`: the report as a workbook.
pub(in crate::web) async fn fee_xlsx(
    State(state): State<AppState>,
    page: OperatorPage,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    fee_download(state, page, query, Download::Xlsx).await
}

async fn fee_download(
    state: AppState,
    OperatorPage { csrf, lang }: OperatorPage,
    query: HashMap<String, String>,
    kind: Download,
) -> Response {
    monthly(
        &state,
        &query,
        (lang, &csrf),
        (words(lang).fees, "/operator/biaya"),
        accounting::report,
        |month, report| match kind {
            Download::Machine => no_store(crate::server::reply::csv_download(
                &crate::accounting::report_csv_name(&report),
                crate::accounting::report_csv(&report),
            )),
            _ => tables_download(
                &format!("laporan-biaya-{month}"),
                &accounting::report_tables(&report),
                kind,
            ),
        },
    )
    .await
}
