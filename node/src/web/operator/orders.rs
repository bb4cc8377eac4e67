//! The operator's pages for orders between centers and for fee accounting, one
//! file per page: the order list with the outbox ([`list`]), one order with its
//! history and steps ([`order`]), the form that places an order for a buyer
//! ([`place`]), the monthly fee report and its CSV ([`fees`]), settlements
//! ([`settlements`]) and the statement of one pair ([`statement`]). This file
//! holds their wiring and the helpers they share; their words are in
//! [`crate::web::i18n::orders`].
//!
//! Buyer names and phone numbers appear only on these pages, behind the
//! operator login; the public pages never show them. Every form carries the
//! session's CSRF token; a successful POST redirects (303) to a page that says
//! what happened, a refused one shows the page again with the problem in plain
//! words and changes nothing.

mod fees;
mod list;
mod order;
mod place;
mod settlements;
mod statement;

pub(in crate::web) use fees::{fee_csv, fee_report, fee_xlsx};
pub(in crate::web) use list::{deliver_now, orders_list};
pub(in crate::web) use order::{order_page, order_step};
pub(in crate::web) use place::{place_form, place_order};
pub(in crate::web) use settlements::{answer_payment, record_payment, settlements};
pub(in crate::web) use statement::{statement, statement_file};

use std::collections::{HashMap, HashSet};

use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use telecenter_protocol::CenterId;
use telecenter_protocol::catalog::Lang;
use telecenter_protocol::order::{Body, OrderId};
use telecenter_protocol::text::InvalidInput;

use super::{
    CsrfForm, expired, field_error, internal, no_store, not_found, operator_nav, problem_box,
};
use crate::accounting::Month;
use crate::node::NodeError;
use crate::server::AppState;
use crate::web::i18n;
use crate::web::i18n::orders::words;

/// An order or settlement id from the page's path; a malformed one answers the
/// "not found" page.
pub(in crate::web) struct OrderPath(pub OrderId);

impl FromRequestParts<AppState> for OrderPath {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Response> {
        let lang = super::lang(&parts.headers);
        let Ok(Path(id)) = Path::<String>::from_request_parts(parts, state).await else {
            return Err(not_found(lang));
        };
        id.parse().map(OrderPath).map_err(|_| not_found(lang))
    }
}

/// The problem text of an input error on these forms (the operator pages'
/// general wording for fields these pages do not name).
fn input_problem(lang: Lang, error: &InvalidInput) -> String {
    i18n::orders::input_problem(lang, error).unwrap_or_else(|| field_error(lang, error))
}

/// The colour class of a status tag.
fn status_class(word: &str) -> &'static str {
    match word {
        "placed" => "tag wait",
        "accepted" | "shipped" => "tag go",
        "completed" => "tag ok",
        _ => "tag bad",
    }
}

/// Why a POST was refused; nothing was changed.
fn refusal_box(lang: Lang, problem: &Option<String>) -> Markup {
    html! {
        @if let Some(problem) = problem {
            div.error role="alert" { strong { (words(lang).not_saved) } p { (problem) } }
        }
    }
}

/// A 303 to `to`, not cached.
fn see_other(to: &str) -> Response {
    no_store(Redirect::to(to).into_response())
}

/// The frame of every page here.
use super::frame;

/// A refusal of the node about a settlement, in plain words.
fn settlement_problem(lang: Lang, error: &NodeError) -> String {
    match error {
        NodeError::Invalid(e) => input_problem(lang, e),
        NodeError::Order { code, message } => i18n::orders::settlement_refusal(lang, code, message),
        other => other.to_string(),
    }
}

/// The HTTP status of a refused form: the typist's fault (400) or the state of
/// things (409).
fn refusal_status(error: &NodeError) -> StatusCode {
    match error {
        NodeError::Order { code, .. } if *code != "reason_required" => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// A table of rows that reads as cards on a phone: `columns` are its
/// headings (`true` marks a number column), `rows` its `tr` rows.
pub(super) fn rows_table(columns: &[(&str, bool)], rows: Markup) -> Markup {
    html! {
        table.rows {
            thead {
                tr {
                    @for (heading, number) in columns {
                        @if *number {
                            th.num scope="col" { (heading) }
                        } @else {
                            th scope="col" { (heading) }
                        }
                    }
                }
            }
            tbody { (rows) }
        }
    }
}

/// The orders with a step among these outbox messages (not yet delivered).
fn unsent_orders(rows: &[crate::store::OutboxRow]) -> HashSet<OrderId> {
    rows.iter()
        .filter_map(
            |row| match serde_json::from_str::<Body>(&row.message.body) {
                Ok(Body::OrderEvent(event)) => Some(event.order),
                _ => None,
            },
        )
        .collect()
}

/// This month, by the node's clock.
/// The month navigation of a monthly page at `path`: links to the previous and
/// the next month, and a month field.
pub(super) fn month_picker(lang: Lang, path: &str, month: Month) -> Markup {
    let w = words(lang);
    let (previous, next) = (month.previous(), month.next());
    html! {
        nav.pager aria-label=(w.month) {
            a href=(format!("{path}?bulan={previous}")) { "← " (i18n::orders::short_month(lang, previous)) }
            a href=(format!("{path}?bulan={next}")) { (i18n::orders::short_month(lang, next)) " →" }
        }
        form.inline-form method="get" action=(path) {
            div {
                label for="bulan" { (w.month) }
                input #bulan type="month" name="bulan" value=(month.to_string()) min="2000-01" max="2999-12";
            }
            button type="submit" { (w.show) }
        }
    }
}

pub(super) fn this_month(state: &AppState) -> Month {
    Month::of(state.node.clock().now_ms())
}

/// The month of `key` in the query, or `default` if it is missing or empty;
/// if it cannot be read, the page that says so (400), titled as the page
/// `(title, path)` it was asked of, with a link back to it.
fn month_in(
    query: &HashMap<String, String>,
    key: &str,
    default: Month,
    (lang, csrf): (Lang, &str),
    (title, path): (&str, &str),
) -> Result<Month, Box<Response>> {
    match query.get(key).map(|m| m.trim()).filter(|m| !m.is_empty()) {
        Some(text) => Month::parse(text)
            .map_err(|_| Box::new(problem_page(lang, csrf, title, words(lang).bad_month, path))),
        None => Ok(default),
    }
}

/// A monthly operator page or download (`?bulan=2026-11`, this month when
/// missing), for the page `(title, path)`: the month read (a bad one explained),
/// `work` done on the node for it, and `answer` made of the result; a fault of
/// the node is the 500 page.
pub(super) async fn monthly<T: Send + 'static>(
    state: &AppState,
    query: &HashMap<String, String>,
    (lang, csrf): (Lang, &str),
    page: (&str, &str),
    work: impl FnOnce(&crate::node::Node, Month) -> Result<T, NodeError> + Send + 'static,
    answer: impl FnOnce(Month, T) -> Response,
) -> Response {
    let month = match month_in(query, "bulan", this_month(state), (lang, csrf), page) {
        Ok(month) => month,
        Err(problem) => return *problem,
    };
    match state.run(move |node| work(node, month)).await {
        Ok(found) => answer(month, found),
        Err(error) => internal(lang, &error),
    }
}

/// A page that only says what was wrong with the address typed (400), with
/// a link back to `back`, the page called `title`.
pub(super) fn problem_page(
    lang: Lang,
    csrf: &str,
    title: &str,
    problem: &str,
    back: &str,
) -> Response {
    let t = i18n::texts(lang);
    let body = html! {
        (operator_nav(t, csrf))
        h1 { (title) }
        (problem_box(t, &Some(problem.to_owned())))
        p { a href=(back) { (title) } }
    };
    frame(lang, StatusCode::BAD_REQUEST, title, body)
}

/// The link that records a payment of what this center owes `center`.
fn pay_href(center: &CenterId, owed: i64) -> String {
    format!("/operator/biaya/setoran?pusat={center}&jumlah={owed}#bayar")
}

fn statement_href(center: &CenterId) -> String {
    format!("/operator/biaya/pusat/{center}")
}
