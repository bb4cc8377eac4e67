//! `/operator/penjualan`: the month's sales report — what the center sold for
//! each producer (and "tanpa produsen"), its commission and what it owes — with
//! its downloads (machine CSV, CSV for Indonesian spreadsheets, `.xlsx`).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use telecenter_protocol::catalog::Lang;

use super::downloads::{Download, download_links, tables_download};
use super::orders::{month_picker, monthly, rows_table};
use super::{
    OperatorPage, PRODUCERS_PATH as PATH, SALES_PATH, frame, i18n, no_store, operator_nav,
};
use crate::accounting::{
    Month, SalesReport, sales_report_csv, sales_report_from, sales_report_tables,
};
use crate::money::format_rupiah;
use crate::node::{Node, NodeError};
use crate::server::AppState;
use crate::web::i18n::orders::month_name;
use crate::web::i18n::producers::producer_words;

fn sales_body(lang: Lang, csrf: &str, month: Month, report: &SalesReport) -> Markup {
    let (t, w) = (i18n::texts(lang), producer_words(lang));
    html! {
        (operator_nav(t, csrf))
        h1 { (w.sales_title) }
        (month_picker(lang, SALES_PATH, month))
        h2 { (month_name(lang, month)) }
        p { (download_links(lang, SALES_PATH, &format!("bulan={month}"), true)) }
        @if report.lines.is_empty() {
            p { (w.no_sales) }
        } @else {
            (rows_table(
                &[(w.name, false), (w.sales_count, true), (w.gross, true), (w.center_commission, true), (w.owed, true)],
                html! {
                    @for line in &report.lines {
                        tr {
                            td data-label=(w.name) {
                                @match line.producer {
                                    Some(id) => a href=(format!("{PATH}/{id}?bulan={month}")) { (line.name) },
                                    None => span { (w.no_producer) },
                                }
                            }
                            td.num data-label=(w.sales_count) { span { (line.sales) } }
                            td.num data-label=(w.gross) { span { (format_rupiah(line.gross_idr)) } }
                            td.num data-label=(w.center_commission) { span { (format_rupiah(line.commission_idr)) } }
                            td.num data-label=(w.owed) { span { (format_rupiah(line.owed_idr)) } }
                        }
                    }
                    tr {
                        th scope="row" { (w.total) }
                        td.num data-label=(w.sales_count) { strong { (report.total.sales) } }
                        td.num data-label=(w.gross) { strong { (format_rupiah(report.total.gross_idr)) } }
                        td.num data-label=(w.center_commission) { strong { (format_rupiah(report.total.commission_idr)) } }
                        td.num data-label=(w.owed) { strong { (format_rupiah(report.total.owed_idr)) } }
                    }
                }
            ))
        }
        p.muted { (w.rounding) }
    }
}

fn sales_report(node: &Node, month: Month) -> Result<SalesReport, NodeError> {
    Ok(node.with_reader(|s| sales_report_from(s, month))?)
}

/// `GET /operator/penjualan?bulan=2026-12`.
pub(in crate::web) async fn sales_page(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let title = producer_words(lang).sales_title;
    monthly(
        &state,
        &query,
        (lang, &csrf),
        (title, SALES_PATH),
        sales_report,
        |month, report| {
            frame(
                lang,
                StatusCode::OK,
                title,
                sales_body(lang, &csrf, month, &report),
            )
        },
    )
    .await
}

/// `GET /operator/penjualan.csv?bulan=2026-12`: `penjualan-2026-12.csv` (the
/// machine CSV; `&gaya=excel` for Indonesian spreadsheets).
pub(in crate::web) async fn sales_download(
    State(state): State<AppState>,
    page: OperatorPage,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let kind = Download::of_csv(&query);
    sales_file(state, page, query, kind).await
}

/// `GET /operator/penjualan.xlsx?bulan=2026-12`.
pub(in crate::web) async fn sales_xlsx(
    State(state): State<AppState>,
    page: OperatorPage,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    sales_file(state, page, query, Download::Xlsx).await
}

async fn sales_file(
    state: AppState,
    OperatorPage { csrf, lang }: OperatorPage,
    query: HashMap<String, String>,
    kind: Download,
) -> Response {
    monthly(
        &state,
        &query,
        (lang, &csrf),
        (producer_words(lang).sales_title, SALES_PATH),
        sales_report,
        |month, report| match kind {
            Download::Machine => no_store(crate::server::reply::csv_download(
                &format!("penjualan-{month}.csv"),
                sales_report_csv(&report),
            )),
            _ => tables_download(
                &format!("laporan-penjualan-{month}"),
                &sales_report_tables(&report),
                kind,
            ),
        },
    )
    .await
}
