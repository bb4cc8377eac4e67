//! The statement of one pair over whole months (`/operator/biaya/pusat/{center}`)
//! and its downloads (`…/laporan.xlsx`, `…/laporan.csv`).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use telecenter_protocol::CenterId;
use telecenter_protocol::catalog::Lang;

use super::{
    frame, internal, month_in, not_found, operator_nav, pay_href, problem_page, rows_table,
    statement_href, this_month,
};
use crate::accounting::{self, Statement};
use crate::money::format_rupiah;
use crate::node::NodeError;
use crate::server::AppState;
use crate::web::i18n;
use crate::web::i18n::orders::{balance_text, kind_label, words};
use crate::web::local_time;
use crate::web::operator::OperatorPage;
use crate::web::operator::downloads::{Download, download_links, tables_download};

/// A signed amount: `+Rp 1.350`, `-Rp 45.000`.
fn signed_rupiah(amount: i64) -> String {
    if amount > 0 {
        format!("+{}", format_rupiah(amount))
    } else {
        format_rupiah(amount)
    }
}

fn statement_body(lang: Lang, csrf: &str, statement: &Statement) -> Markup {
    let (t, w) = (i18n::texts(lang), words(lang));
    let center = statement.counterpart;
    html! {
        (operator_nav(t, csrf))
        p { a href="/operator/biaya" { "← " (w.fees) } }
        h1 { (w.statement_with) " " (statement.name) }
        form.inline-form method="get" action=(statement_href(&center)) {
            div {
                label for="dari" { (w.from_month) }
                input #dari type="month" name="dari" value=(statement.from) required;
            }
            div {
                label for="sampai" { (w.to_month) }
                input #sampai type="month" name="sampai" value=(statement.to) required;
            }
            button type="submit" { (w.show) }
        }
        dl.facts.figures {
            dt { (w.opening) } dd { (balance_text(lang, statement.opening_idr)) }
        }
        @if statement.lines.is_empty() {
            p { (w.no_lines) }
        } @else {
            (rows_table(
                &[(w.date, false), (w.kind, false), (w.code, false), (w.amount, true), (w.balance, true)],
                html! {
                    @for line in &statement.lines {
                        tr {
                            td data-label=(w.date) {
                                span { (crate::clock::parse_rfc3339_ms(&line.at).map(|ms| local_time(lang, ms)).unwrap_or_else(|| line.at.clone())) }
                            }
                            td data-label=(w.kind) { span { (kind_label(lang, &line.kind)) } }
                            td data-label=(w.code) {
                                // Goods and fee entries always come from an order held here.
                                @if matches!(line.kind.as_str(), "goods" | "referral_fee") {
                                    a.code href=(format!("/operator/pesanan/{}", line.reference)) { (line.reference) }
                                } @else {
                                    span.code { (line.reference) }
                                }
                            }
                            td.num data-label=(w.amount) { span { (signed_rupiah(line.amount_idr)) } }
                            td.num data-label=(w.balance) { span { (signed_rupiah(line.balance_idr)) } }
                        }
                    }
                }
            ))
        }
        dl.facts.figures {
            dt { (w.closing) } dd { strong { (balance_text(lang, statement.closing_idr)) } }
        }
        p.muted { (w.statement_hint) }
        p {
            (download_links(
                lang,
                &format!("{}/laporan", statement_href(&center)),
                &format!("dari={}&sampai={}", statement.from, statement.to),
                false,
            ))
        }
        @if statement.closing_idr < 0 {
            p { a.button href=(pay_href(&center, -statement.closing_idr)) { (w.pay_this) } }
        }
    }
}

/// The statement asked for: the center in the path, the months in `dari`
/// and `sampai`; or the page that says what is wrong.
async fn load(
    state: &AppState,
    (lang, csrf): (Lang, &str),
    center: &str,
    query: &HashMap<String, String>,
) -> Result<Statement, Response> {
    let Ok(center) = center.parse::<CenterId>() else {
        return Err(not_found(lang));
    };
    let page = (words(lang).fees, "/operator/biaya");
    let (from, to) = month_in(query, "dari", this_month(state), (lang, csrf), page)
        .and_then(|from| Ok((from, month_in(query, "sampai", from, (lang, csrf), page)?)))
        .map_err(|page| *page)?;
    let found = state
        .run(move |node| accounting::statement(node, &center, from, to))
        .await;
    let w = words(lang);
    match found {
        Ok(statement) => Ok(statement),
        Err(NodeError::Invalid(_)) => Err(problem_page(
            lang,
            csrf,
            w.statement,
            w.months_reversed,
            &statement_href(&center),
        )),
        Err(error) => Err(internal(lang, &error)),
    }
}

/// `GET /operator/biaya/pusat/{center}?dari=2026-10&sampai=2026-11`.
pub(in crate::web) async fn statement(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
    Path(center): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match load(&state, (lang, &csrf), &center, &query).await {
        Ok(statement) => frame(
            lang,
            StatusCode::OK,
            &format!("{} {}", words(lang).statement, statement.name),
            statement_body(lang, &csrf, &statement),
        ),
        Err(page) => page,
    }
}

/// `GET /operator/biaya/pusat/{center}/laporan.xlsx?dari=…&sampai=…` and
/// `…/laporan.csv` (the CSV for Indonesian spreadsheets; this statement has
/// no machine CSV on the pages, the admin API gives it as JSON).
pub(in crate::web) async fn statement_file(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
    Path((center, file)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let kind = match file.as_str() {
        "laporan.xlsx" => Download::Xlsx,
        "laporan.csv" => Download::ExcelCsv,
        _ => return not_found(lang),
    };
    match load(&state, (lang, &csrf), &center, &query).await {
        Ok(s) => tables_download(
            &format!("laporan-pusat-{}-{}", s.from, s.to),
            &accounting::statement_tables(&s),
            kind,
        ),
        Err(page) => page,
    }
}
