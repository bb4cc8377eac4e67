//! One order's page (`/operator/pesanan/{id}`): its facts, history, how its
//! messages travel, and the step forms this center may use now.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use telecenter_protocol::CenterId;
use telecenter_protocol::catalog::Lang;
use telecenter_protocol::limits::REASON_CHARS_MAX;
use telecenter_protocol::order::{Action, Collector, OrderId, Role, transition};

use super::{
    CsrfForm, OrderPath, expired, frame, input_problem, internal, not_found, operator_nav,
    refusal_box, refusal_status, see_other, status_class, unsent_orders,
};
use crate::api::CenterNames as Names;
use crate::money::format_rupiah;
use crate::node::{Node, NodeError, OrderDetail};
use crate::server::AppState;
use crate::store::{ListingRow, OrderRow};
use crate::web::i18n;
use crate::web::i18n::orders::{
    ago, delivery_message, fee_terms_text, last_message, method_label, news_not_reached, no_way_to,
    problem_lead, role_label, status_label, step_button, step_done, step_hint, step_not_reached,
    step_refusal, vouched_by, words,
};
use crate::web::local_time;
use crate::web::operator::OperatorPage;

struct OrderData {
    detail: OrderDetail,
    names: Names,
    /// The seller's listing now (seller side only): stock and unit.
    listing: Option<ListingRow>,
    /// Whether a message about this order waits in the outbox.
    unsent: bool,
    /// How the last message came from the counterpart, and went to it.
    route_in: Option<crate::store::PairRoute>,
    route_out: Option<crate::store::PairRoute>,
    /// Why this center accepts the counterpart (see [`Node::trust_path`]).
    trust_path: Vec<CenterId>,
    /// Whether this center has a way to send the counterpart messages now.
    can_deliver: bool,
    /// The node's clock when the page was made.
    now_ms: i64,
}

fn order_data(node: &Node, id: &OrderId) -> Result<OrderData, NodeError> {
    let detail = node.order(id)?;
    let listing = if detail.row.role == Role::Seller {
        node.own_listing(&detail.row.state.terms.listing).ok()
    } else {
        None
    };
    let counterpart = detail.row.counterpart;
    let unsent = unsent_orders(&node.outbox_for(&counterpart)?).contains(id);
    Ok(OrderData {
        detail,
        names: Names::load(node)?,
        listing,
        unsent,
        route_in: node.pair_route(&counterpart, false)?,
        route_out: node.pair_route(&counterpart, true)?,
        trust_path: node.trust_path(&counterpart),
        can_deliver: node.can_deliver(&counterpart)?,
        now_ms: node.clock().now_ms(),
    })
}

/// What the page says about the POST that led to it.
#[derive(Default)]
struct Flash {
    /// The step just taken.
    step: Option<Action>,
    /// The outcome of "Send now".
    delivery: Option<String>,
}

/// A step that was refused: what was tried, what was typed, and why.
struct Refused {
    action: Action,
    reason: String,
    error: NodeError,
}

/// The refusal of a step in plain words, with the numbers that matter.
fn step_problem(lang: Lang, refused: &Refused, data: &OrderData) -> String {
    match &refused.error {
        NodeError::Invalid(e) => input_problem(lang, e),
        NodeError::Order { code, message } => step_refusal(
            lang,
            refused.action,
            code,
            message,
            &data.detail.row,
            data.listing.as_ref(),
        ),
        other => other.to_string(),
    }
}

fn needs_reason(action: Action) -> bool {
    matches!(action, Action::Reject | Action::Cancel)
}

/// How messages travel with the other center and why it is accepted.
fn travel_box(lang: Lang, data: &OrderData) -> Markup {
    let names = &data.names;
    let other = data.detail.row.counterpart;
    let name = names.of(&other);
    let hop = |route: &Option<crate::store::PairRoute>| match route {
        None => words(lang).no_message_yet.to_owned(),
        Some(r) if r.via == other => format!(
            "{} · {}",
            words(lang).directly,
            ago(lang, data.now_ms, r.at_ms)
        ),
        Some(r) => format!(
            "{} {} · {}",
            words(lang).through,
            names.of(&r.via),
            ago(lang, data.now_ms, r.at_ms)
        ),
    };
    let trust = match data.trust_path.as_slice() {
        [] => words(lang).no_longer_accepted.to_owned(),
        [_] => words(lang).trusted_directly.to_owned(),
        [vouchers @ .., _] => {
            let chain: Vec<String> = vouchers.iter().map(|c| names.of(c)).collect();
            vouched_by(lang, &chain.join(" → "))
        }
    };
    html! {
        h2 { (words(lang).travel) }
        dl.facts.stack {
            dt { (last_message(lang, &name, true)) }
            dd { (hop(&data.route_in)) }
            dt { (last_message(lang, &name, false)) }
            dd { (hop(&data.route_out)) }
            dt { (words(lang).accepted_because) }
            dd { (trust) }
        }
        @if !data.can_deliver {
            p.problem {
                (no_way_to(lang, &name))
            }
        }
        p.muted { (words(lang).sealed_hint) }
    }
}

/// The steps this center may take now, by the protocol's table.
fn allowed_steps(row: &OrderRow) -> Vec<Action> {
    if row.refused {
        return Vec::new();
    }
    [
        Action::Accept,
        Action::Ship,
        Action::Complete,
        Action::Reject,
        Action::Cancel,
    ]
    .into_iter()
    .filter(|action| transition(row.state.status, *action, row.role).is_some())
    .collect()
}

fn order_body(
    lang: Lang,
    csrf: &str,
    data: &OrderData,
    flash: &Flash,
    refused: Option<&Refused>,
) -> Markup {
    let (t, w) = (i18n::texts(lang), words(lang));
    let row = &data.detail.row;
    let s = &row.state;
    let terms = &s.terms;
    let names = &data.names;
    let path = format!("/operator/pesanan/{}", s.id);
    let word = row.status_word();
    let problem = refused.map(|r| step_problem(lang, r, data));
    let collector = match terms.payment.collected_by {
        Collector::BuyerCenter => terms.buyer_center,
        Collector::SellerCenter => terms.seller_center,
    };
    html! {
        (operator_nav(t, csrf))
        p { a href="/operator/pesanan" { "← " (w.all_orders) } }
        h1 { (w.order) " " span.code { (s.id) } }
        p {
            span class=(status_class(word)) { (status_label(lang, word)) }
            " · " (role_label(lang, row.role)) " · " (names.of(&row.counterpart))
            br;
            strong { (terms.quantity) " " (terms.unit) " " (terms.title) " · " (format_rupiah(terms.gross_idr())) }
        }
        @if let Some(message) = &flash.delivery { p.order role="status" { (message) } }
        @if let Some(action) = flash.step {
            p.order role="status" {
                (w.saved) " " (step_done(lang, action)) ". "
                (words(lang).told_automatically)
            }
        }
        @if row.pending.is_some() || data.unsent {
            div.order role="status" {
                p {
                    @if let Some(pending) = &row.pending {
                        @let action = pending.parse::<Action>().map(|a| step_done(lang, a)).unwrap_or(pending.as_str());
                        (step_not_reached(lang, action, &names.of(&row.counterpart)))
                    } @else {
                        (news_not_reached(lang, &names.of(&row.counterpart)))
                    }
                }
                form method="post" action="/operator/pesanan/kirim" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="kembali" value=(path);
                    p { button type="submit" { (w.send_now) } }
                }
            }
        }
        @if let Some(text) = &row.problem {
            div.error role="alert" {
                strong { (problem_lead(lang, row)) }
                p.small { (w.details) ": " (text) }
            }
        }
        (refusal_box(lang, &problem))
        h2 { (w.next_step) }
        @let steps = allowed_steps(row);
        @if steps.is_empty() { p.muted { (w.no_steps) } }
        div.steps {
            @for action in steps {
                form.step method="post" action=(path) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="action" value=(action.word());
                    @if let Some(hint) = step_hint(lang, action, row, data.listing.as_ref()) { p.muted { (hint) } }
                    @if needs_reason(action) {
                        @let id = format!("reason-{}", action.word());
                        @let typed = refused.filter(|r| r.action == action).map(|r| r.reason.as_str()).unwrap_or("");
                        label for=(id) { (w.reason) }
                        input id=(id) name="reason" value=(typed) required maxlength=(REASON_CHARS_MAX);
                    }
                    button.danger[needs_reason(action)] type="submit" { (step_button(lang, action)) }
                }
            }
        }
        h2 { (w.goods) }
        dl.facts.stack {
            dt { (w.goods) }
            dd { a href=(format!("/produk/{}/{}", terms.seller_center, terms.listing)) { (terms.title) } }
            @if !terms.producer.is_empty() { dt { (w.producer) } dd { (terms.producer) } }
            dt { (w.unit_price) } dd { (format_rupiah(terms.unit_price_idr)) " " (t.per) " " (terms.unit) }
            dt { (w.quantity) } dd { (terms.quantity) " " (terms.unit) }
            dt { (w.total) } dd { strong { (format_rupiah(terms.gross_idr())) } }
            dt { (w.fee) }
            dd { (format_rupiah(terms.fee_idr())) br; span.muted { (fee_terms_text(lang, &terms.fee)) } }
            dt { (w.payment) }
            dd { (words(lang).paid_at) (names.marked(&collector, words(lang).us)) " · " (method_label(lang, terms.payment.method)) }
            dt { (w.seller_center) } dd { (names.marked(&terms.seller_center, words(lang).us)) }
            dt { (w.buyer_center) } dd { (names.marked(&terms.buyer_center, words(lang).us)) }
            dt { (w.placed_at) } dd { (local_time(lang, s.placed_at_ms)) }
            @if let Some(listing) = &data.listing {
                dt { (w.stock) } dd { (listing.listing.stock) " " (listing.listing.unit) }
            }
        }
        h2 { (w.buyer) }
        dl.facts.stack {
            dt { (w.buyer_name) } dd { (terms.buyer.name) }
            dt { (w.buyer_phone) } dd { a href=(format!("tel:{}", terms.buyer.phone.replace(' ', ""))) { (terms.buyer.phone) } }
            @if !terms.note.is_empty() { dt { (w.note) } dd { (terms.note) } }
        }
        p.muted { (w.private_hint) }
        (travel_box(lang, data))
        h2 { (w.history) }
        ol.history {
            @for (event_row, event) in &data.detail.events {
                li {
                    strong { (step_done(lang, event.action)) }
                    " · " (local_time(lang, event.at_ms)) " · " (names.marked(&event.by, words(lang).us))
                    @if let Some(reason) = &event.reason { br; (w.reason_said) ": " (reason) }
                    @if event_row.proposed { " " span."tag wait" { (w.not_delivered) } }
                }
            }
        }
    }
}

async fn render_order(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    id: OrderId,
    flash: Flash,
    refused: Option<Refused>,
) -> Response {
    let data = match state.run(move |node| order_data(node, &id)).await {
        Ok(data) => data,
        Err(NodeError::NoSuchOrder(_)) => return not_found(lang),
        Err(error) => return internal(lang, &error),
    };
    let status = refused
        .as_ref()
        .map_or(StatusCode::OK, |r| refusal_status(&r.error));
    let title = format!("{} {}", words(lang).order, data.detail.row.state.id);
    let body = order_body(lang, csrf, &data, &flash, refused.as_ref());
    frame(lang, status, &title, body)
}

/// `GET /operator/pesanan/{id}`.
pub(in crate::web) async fn order_page(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
    OrderPath(id): OrderPath,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let flash = Flash {
        step: query.get("ok").and_then(|a| a.parse::<Action>().ok()),
        delivery: delivery_message(lang, &query),
    };
    render_order(&state, lang, &csrf, id, flash, None).await
}

/// A step form: the step, and why (to reject or cancel).
#[derive(Default, Deserialize)]
#[serde(default)]
pub(in crate::web) struct StepFields {
    action: String,
    reason: String,
}

/// `POST /operator/pesanan/{id}`: takes one step (`action`, and `reason` to
/// reject or cancel).
pub(in crate::web) async fn order_step(
    State(state): State<AppState>,
    OrderPath(id): OrderPath,
    CsrfForm {
        session,
        lang,
        fields,
    }: CsrfForm<StepFields>,
) -> Response {
    let csrf = session.csrf;
    let Some(action) = fields
        .action
        .parse::<Action>()
        .ok()
        .filter(|a| *a != Action::Place)
    else {
        return expired(lang);
    };
    let reason = fields.reason;
    let (target, typed) = (id.clone(), reason.clone());
    let outcome = state
        .run(move |node| node.order_step(&target, action, Some(typed.as_str())))
        .await;
    match outcome {
        Ok(_) => see_other(&format!("/operator/pesanan/{id}?ok={}", action.word())),
        Err(NodeError::NoSuchOrder(_)) => not_found(lang),
        Err(error @ (NodeError::Order { .. } | NodeError::Invalid(_))) => {
            let refused = Refused {
                action,
                reason,
                error,
            };
            render_order(&state, lang, &csrf, id, Flash::default(), Some(refused)).await
        }
        Err(error) => internal(lang, &error),
    }
}
