//! The order list page (`/operator/pesanan`) with the outbox box, and the
//! "Send now" button that exchanges order messages with every counterpart.

use std::collections::{HashMap, HashSet};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use telecenter_protocol::CenterId;
use telecenter_protocol::catalog::Lang;
use telecenter_protocol::order::OrderId;

use super::{
    CsrfForm, frame, internal, operator_nav, rows_table, see_other, status_class, unsent_orders,
};
use crate::api::CenterNames as Names;
use crate::money::format_rupiah;
use crate::node::{Node, NodeError};
use crate::server::AppState;
use crate::store::{ORDER_STATUS_WORDS, OrderFilter, OrderRow};
use crate::web::i18n;
use crate::web::i18n::orders::{
    delivery_message, newest_shown, problem_lead, role_label, status_label, words,
};
use crate::web::local_time;
use crate::web::operator::OperatorPage;

/// Most orders one list page shows (newest first).
const ORDERS_SHOWN_MAX: u32 = 200;

/// One counterpart with messages waiting.
struct Waiting {
    center: CenterId,
    count: u64,
    attempts: u32,
    error: Option<String>,
    /// Whether this node knows where to reach it.
    reachable: bool,
}

struct ListData {
    orders: Vec<OrderRow>,
    names: Names,
    outbox: Vec<Waiting>,
    unsent: HashSet<OrderId>,
}

fn list_data(node: &Node, filter: &OrderFilter) -> Result<ListData, NodeError> {
    let mut outbox = Vec::new();
    let mut unsent = HashSet::new();
    for (center, count) in node.outbox_counterparts()? {
        let rows = node.outbox_for(&center)?;
        unsent.extend(unsent_orders(&rows));
        let first = rows.into_iter().next();
        outbox.push(Waiting {
            center,
            count,
            attempts: first.as_ref().map_or(0, |m| m.attempts),
            error: first.and_then(|m| m.last_error),
            reachable: node.can_deliver(&center)?,
        });
    }
    Ok(ListData {
        orders: node.orders(filter)?,
        names: Names::load(node)?,
        outbox,
        unsent,
    })
}

/// The outbox box: what waits for whom, and the button that sends it now.
fn outbox_box(lang: Lang, csrf: &str, names: &Names, outbox: &[Waiting], back: &str) -> Markup {
    let w = words(lang);
    html! {
        section.order aria-labelledby="outbox" {
            h2 #outbox { (w.outbox) }
            @if outbox.is_empty() {
                p { (w.outbox_empty) }
            } @else {
                ul {
                    @for waiting in outbox {
                        li {
                            strong { (names.of(&waiting.center)) } ": " (waiting.count)
                            @if waiting.attempts > 0 {
                                " · " (waiting.attempts) " " (w.attempts)
                            }
                            @if !waiting.reachable {
                                br; span.problem { (w.no_address_short) " " }
                                a href="/operator/jaringan" { (w.network) }
                            } @else if let Some(error) = &waiting.error {
                                br; span.muted { (w.last_error) ": " (error) }
                            }
                        }
                    }
                }
            }
            form method="post" action="/operator/pesanan/kirim" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="kembali" value=(back);
                button type="submit" { (w.send_now) }
            }
            p.muted { (w.send_hint) }
        }
    }
}

/// `GET /operator/pesanan?status=placed`.
pub(in crate::web) async fn orders_list(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (t, w) = (i18n::texts(lang), words(lang));
    let status = query
        .get("status")
        .filter(|s| ORDER_STATUS_WORDS.contains(&s.as_str()))
        .cloned();
    let filter = OrderFilter {
        statuses: status.iter().cloned().collect(),
        limit: ORDERS_SHOWN_MAX,
        ..OrderFilter::default()
    };
    let data = match state.run(move |node| list_data(node, &filter)).await {
        Ok(data) => data,
        Err(error) => return internal(lang, &error),
    };
    let message = delivery_message(lang, &query);
    let body = html! {
        (operator_nav(t, &csrf))
        h1 { (w.orders) }
        @if let Some(message) = message { p.order role="status" { (message) } }
        p { a.button href="/operator/pesan" { (w.order_for_buyer) } }
        form.inline-form method="get" action="/operator/pesanan" {
            div {
                label for="status" { (w.status) }
                select #status name="status" {
                    option value="" { (w.all) }
                    @for word in ORDER_STATUS_WORDS {
                        option value=(word) selected[status.as_deref() == Some(word)] { (status_label(lang, word)) }
                    }
                }
            }
            button type="submit" { (w.show) }
        }
        @if data.orders.is_empty() {
            p { (w.no_orders) }
            p.muted { (w.how_to_order) }
        } @else {
            (orders_table(lang, &data))
            @if data.orders.len() >= ORDERS_SHOWN_MAX as usize {
                p.muted { (newest_shown(lang, ORDERS_SHOWN_MAX)) }
            }
        }
        (outbox_box(lang, &csrf, &data.names, &data.outbox, "/operator/pesanan"))
    };
    frame(lang, StatusCode::OK, w.orders, body)
}

fn orders_table(lang: Lang, data: &ListData) -> Markup {
    let w = words(lang);
    html! {
        (rows_table(
            &[(w.code, false), (w.status, false), (w.role, false), (w.counterpart, false), (w.goods, false), (w.quantity, true), (w.total, true)],
            html! {
                @for order in &data.orders {
                    @let s = &order.state;
                    @let word = order.status_word();
                    @let waiting = order.pending.is_some() || data.unsent.contains(&s.id);
                    tr {
                        td data-label=(w.code) {
                            div {
                                a.code href=(format!("/operator/pesanan/{}", s.id)) { (s.id) }
                                br; span.muted { (local_time(lang, s.placed_at_ms)) }
                            }
                        }
                        td data-label=(w.status) {
                            div {
                                span class=(status_class(word)) { (status_label(lang, word)) }
                                @if waiting { " " span."tag wait" { (w.not_delivered) } }
                                @if order.problem.is_some() {
                                    br; small.problem { (problem_lead(lang, order)) }
                                }
                            }
                        }
                        td data-label=(w.role) { span { (role_label(lang, order.role)) } }
                        td data-label=(w.counterpart) { span { (data.names.of(&order.counterpart)) } }
                        td data-label=(w.goods) { span { (s.terms.title) } }
                        td.num data-label=(w.quantity) { span { (s.terms.quantity) " " (s.terms.unit) } }
                        td.num data-label=(w.total) { span { (format_rupiah(s.terms.gross_idr())) } }
                    }
                }
            }
        ))
    }
}

/// The "Send now" form: the page to go back to.
#[derive(Default, Deserialize)]
#[serde(default)]
pub(in crate::web) struct DeliverFields {
    kembali: String,
}

/// `POST /operator/pesanan/kirim`: exchanges order messages with every
/// counterpart now, then goes back to the page it came from.
pub(in crate::web) async fn deliver_now(
    State(state): State<AppState>,
    CsrfForm { lang, fields, .. }: CsrfForm<DeliverFields>,
) -> Response {
    let engine = match state.engine() {
        Ok(engine) => engine,
        Err(error) => return internal(lang, &error),
    };
    let results = engine.exchange_all().await;
    let failed = results.iter().filter(|(_, r)| r.is_err()).count();
    // Only ever back to an order page or the list: never to an address from the form.
    let back = fields
        .kembali
        .strip_prefix("/operator/pesanan/")
        .and_then(|id| id.parse::<OrderId>().ok())
        .map_or_else(
            || "/operator/pesanan".to_owned(),
            |id| format!("/operator/pesanan/{id}"),
        );
    see_other(&format!("{back}?dikirim={}&gagal={failed}", results.len()))
}
