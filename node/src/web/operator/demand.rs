//! What buyers searched for, per month (`/operator/permintaan`): first the
//! words that found nothing in this market ("Dicari pembeli tapi belum ada"),
//! then every searched word, the most searched first; and the same month as a
//! CSV download (`/operator/permintaan.csv`). The counts are the node's
//! ([`Node::demand`]): buyers' searches on the public pages and API only, no
//! identity of who searched.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use telecenter_protocol::catalog::Lang;

use super::orders::{month_picker, monthly, rows_table};
use super::{OperatorPage, html_page, i18n, no_store, operator_nav, page};
use crate::accounting::{Month, csv_text};
use crate::node::Node;
use crate::server::AppState;
use crate::store::DemandRow;
use crate::web::i18n::operator::{demand_note, demand_shown, demand_words};
use crate::web::i18n::orders::month_name;

/// The page's address.
const PATH: &str = "/operator/permintaan";

/// Most rows each table of the page shows (the CSV has every word).
pub(crate) const DEMAND_ROWS_SHOWN_MAX: usize = 200;

/// The month's words and the months that have counts.
fn demand_data(
    node: &Node,
    month: Month,
) -> Result<(Vec<DemandRow>, Vec<String>), crate::node::NodeError> {
    Ok((node.demand(&month.to_string())?, node.demand_months()?))
}

/// A table of words with their counts, at most [`DEMAND_ROWS_SHOWN_MAX`] rows.
fn words_table(lang: Lang, rows: &[&DemandRow]) -> Markup {
    let w = demand_words(lang);
    let shown = &rows[..rows.len().min(DEMAND_ROWS_SHOWN_MAX)];
    html! {
        (rows_table(
            &[(w.word, false), (w.searches, true), (w.missed, true)],
            html! {
                @for row in shown {
                    tr {
                        td data-label=(w.word) { span { (row.word) } }
                        td.num data-label=(w.searches) { span { (row.searches) } }
                        td.num data-label=(w.missed) { span { (row.missed) } }
                    }
                }
            }
        ))
        @if rows.len() > shown.len() {
            p.muted { (demand_shown(lang, shown.len(), rows.len())) }
        }
    }
}

fn demand_body(
    lang: Lang,
    csrf: &str,
    month: Month,
    rows: &[DemandRow],
    months: &[String],
) -> Markup {
    let (t, w) = (i18n::texts(lang), demand_words(lang));
    let missed: Vec<&DemandRow> = rows.iter().filter(|r| r.missed > 0).collect();
    let mut all: Vec<&DemandRow> = rows.iter().collect();
    all.sort_by(|a, b| {
        b.searches
            .cmp(&a.searches)
            .then_with(|| a.word.cmp(&b.word))
    });
    let other_months: Vec<Month> = months
        .iter()
        .filter_map(|m| Month::parse(m).ok())
        .filter(|m| *m != month)
        .collect();
    html! {
        (operator_nav(t, csrf))
        h1 { (w.title) }
        (month_picker(lang, PATH, month))
        h2 { (month_name(lang, month)) }
        p { a.button href=(format!("/operator/permintaan.csv?bulan={month}")) download { (w.download_csv) } }
        @if rows.is_empty() {
            p { (w.empty) }
        } @else {
            h3 { (w.missed_heading) }
            @if missed.is_empty() {
                p { (w.no_missed) }
            } @else {
                p.muted { (w.missed_hint) }
                (words_table(lang, &missed))
            }
            h3 { (w.all_heading) }
            (words_table(lang, &all))
        }
        p.muted { (demand_note(lang)) }
        @if !other_months.is_empty() {
            h3 { (w.months_with_counts) }
            ul {
                @for m in &other_months {
                    li { a href=(format!("/operator/permintaan?bulan={m}")) { (month_name(lang, *m)) } }
                }
            }
        }
    }
}

/// `GET /operator/permintaan?bulan=2026-12`.
pub(in crate::web) async fn demand_page(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let title = demand_words(lang).title;
    monthly(
        &state,
        &query,
        (lang, &csrf),
        (title, PATH),
        demand_data,
        |month, (rows, months)| {
            html_page(
                StatusCode::OK,
                page(
                    i18n::texts(lang),
                    title,
                    "/operator",
                    demand_body(lang, &csrf, month, &rows, &months),
                ),
            )
        },
    )
    .await
}

/// The month's words for spreadsheets, as the fee report's CSV is written
/// (UTF-8 with a byte-order mark, CRLF, commas, text quoted, formulas
/// defused): `kata,kali_dicari,tidak_ketemu`, the most often unfound first.
pub(crate) fn demand_csv_text(rows: &[DemandRow]) -> String {
    let mut out = String::from("\u{feff}kata,kali_dicari,tidak_ketemu\r\n");
    for row in rows {
        out.push_str(&format!(
            "{},{},{}\r\n",
            csv_text(&row.word),
            row.searches,
            row.missed
        ));
    }
    out
}

/// `GET /operator/permintaan.csv?bulan=2026-12`: `permintaan-2026-12.csv`.
pub(in crate::web) async fn demand_csv(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    monthly(
        &state,
        &query,
        (lang, &csrf),
        (demand_words(lang).title, PATH),
        |node, month| node.demand(&month.to_string()),
        |month, rows| {
            no_store(crate::server::reply::csv_download(
                &format!("permintaan-{month}.csv"),
                demand_csv_text(&rows),
            ))
        },
    )
    .await
}
