//! One order's page (`/operator/pesanan/{id}`): its facts, history, how its
//! messages travel, and the step forms this center may use now.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};
use telecenter_protocol::CenterId;
use telecenter_protocol::catalog::Lang;
use telecenter_protocol::limits::REASON_CHARS_MAX;
use telecenter_protocol::order::{Action, Collector, OrderId, Role, Status, transition};

use super::{
    expired, frame, guard, input_problem, internal, lang, not_found, operator_nav, refusal_box,
    refusal_status, see_other, session, status_class, to_login, unsent_orders,
};
use crate::api::CenterNames as Names;
use crate::api::format_rupiah;
use crate::http::AppState;
use crate::node::{Node, NodeError, OrderDetail};
use crate::store::{ListingRow, OrderRow};
use crate::web::i18n::orders::*;
use crate::web::i18n::{self};
use crate::web::{local_time, node_call};

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
    let row = &data.detail.row;
    let terms = &row.state.terms;
    let status = status_label(lang, row.status_word());
    match &refused.error {
        NodeError::Invalid(e) => input_problem(lang, e),
        NodeError::Order { code, message } => match (lang, *code) {
            (Lang::En, "reason_required") => format!(
                "Say why: write a reason, then press \"{}\" again.",
                step_button(lang, refused.action)
            ),
            (_, "reason_required") => format!(
                "Tulis alasannya dulu, lalu tekan \"{}\" lagi.",
                step_button(lang, refused.action)
            ),
            (Lang::En, "not_allowed") if row.refused => {
                "The selling telecenter refused this order when it arrived; place a new one."
                    .to_owned()
            }
            (_, "not_allowed") if row.refused => {
                "Telecenter penjual menolak pesanan ini saat tiba; buat pesanan baru.".to_owned()
            }
            (Lang::En, "not_allowed") => format!(
                "This step is not possible now: the order is \"{status}\" and this telecenter {}.",
                if row.role == Role::Buyer {
                    "is the buyer"
                } else {
                    "is the seller"
                }
            ),
            (_, "not_allowed") => format!(
                "Langkah ini tidak bisa dilakukan sekarang: pesanan berstatus \"{status}\" dan telecenter ini {}.",
                if row.role == Role::Buyer {
                    "pihak pemesan"
                } else {
                    "pihak penjual"
                }
            ),
            (_, "out_of_stock") => {
                let stock = data.listing.as_ref().map_or(0, |l| l.listing.stock);
                pick(
                    lang,
                    format!(
                        "Stok tidak cukup: tinggal {stock} {unit}, pesanan butuh {q} {unit}. Tambah stok dulu, atau tolak pesanan.",
                        unit = terms.unit,
                        q = terms.quantity
                    ),
                    format!(
                        "Not enough stock: {stock} {unit} left, the order needs {q} {unit}. Add stock first, or reject the order.",
                        unit = terms.unit,
                        q = terms.quantity
                    ),
                )
            }
            (Lang::En, "listing_removed") => {
                "This product was removed from our catalog; reject the order.".to_owned()
            }
            (_, "listing_removed") => {
                "Produk ini sudah dihapus dari katalog kita; tolak pesanan ini.".to_owned()
            }
            (Lang::En, _) => format!("This step could not be taken: {message}"),
            (_, _) => format!("Langkah ini tidak bisa disimpan: {message}"),
        },
        other => other.to_string(),
    }
}

/// What a step will do, in a sentence under its button.
fn step_hint(lang: Lang, action: Action, data: &OrderData) -> Option<String> {
    let row = &data.detail.row;
    let terms = &row.state.terms;
    let (q, unit) = (terms.quantity, terms.unit.as_str());
    let stock = data.listing.as_ref().map(|l| l.listing.stock);
    match (action, row.state.status) {
        (Action::Accept, _) => Some(match (lang, stock) {
            (Lang::En, Some(s)) => {
                format!("Reserves {q} {unit} from the stock (now {s} {unit}).")
            }
            (Lang::En, None) => format!("Reserves {q} {unit} from the stock."),
            (_, Some(s)) => {
                format!("Stok berkurang {q} {unit} (sekarang {s} {unit}).")
            }
            (_, None) => format!("Stok berkurang {q} {unit}."),
        }),
        (Action::Ship, _) => Some(
            pick(
                lang,
                "Tekan setelah barang diserahkan ke kurir atau ke pembeli.",
                "Press once the goods are handed to the courier or the buyer.",
            )
            .to_owned(),
        ),
        (Action::Complete, _) => {
            let fee = format_rupiah(terms.fee_idr());
            let gross = format_rupiah(terms.gross_idr());
            Some(match (lang, terms.payment.collected_by) {
                (Lang::En, Collector::BuyerCenter) => format!(
                    "Press once the buyer has the goods. Then the books record the goods value {gross} (owed to the seller) and the referral fee {fee} (owed to the ordering telecenter)."
                ),
                (Lang::En, Collector::SellerCenter) => format!(
                    "Press once the buyer has the goods. Then the books record the referral fee {fee} (owed to the ordering telecenter)."
                ),
                (_, Collector::BuyerCenter) => format!(
                    "Tekan setelah pembeli menerima barang. Lalu tercatat di buku: nilai barang {gross} (utang ke penjual) dan biaya rujukan {fee} (utang ke telecenter pemesan)."
                ),
                (_, Collector::SellerCenter) => format!(
                    "Tekan setelah pembeli menerima barang. Lalu tercatat di buku: biaya rujukan {fee} (utang ke telecenter pemesan)."
                ),
            })
        }
        (Action::Cancel, Status::Accepted) => Some(pick(
            lang,
            format!("Jika pesanan tidak jadi. Stok {q} {unit} dikembalikan."),
            format!("If the order is off. Returns {q} {unit} to the stock."),
        )),
        (Action::Cancel, _) => Some(
            pick(
                lang,
                "Jika pembeli tidak jadi membeli.",
                "If the buyer no longer wants it.",
            )
            .to_owned(),
        ),
        (Action::Reject, _) => Some(
            pick(
                lang,
                "Jika telecenter ini tidak bisa memenuhi pesanan. Stok tidak berubah.",
                "If this telecenter cannot fill the order. The stock stays as it is.",
            )
            .to_owned(),
        ),
        (Action::Place, _) => None,
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
    let hop = |route: &Option<crate::store::PairRoute>, incoming: bool| match route {
        None => pick(lang, "belum ada pesan", "no message yet").to_owned(),
        Some(r) if r.via == other => format!(
            "{} · {}",
            pick(lang, "langsung", "directly"),
            ago(lang, data.now_ms, r.at_ms)
        ),
        Some(r) => format!(
            "{} {} · {}",
            match (lang, incoming) {
                (Lang::En, _) => "through",
                (_, _) => "lewat",
            },
            names.of(&r.via),
            ago(lang, data.now_ms, r.at_ms)
        ),
    };
    let trust = match data.trust_path.as_slice() {
        [] => pick(lang, "tidak diterima lagi", "no longer accepted").to_owned(),
        [_] => pick(
            lang,
            "dipercaya langsung oleh operator telecenter ini",
            "trusted directly by this telecenter's operator",
        )
        .to_owned(),
        [vouchers @ .., _] => {
            let chain: Vec<String> = vouchers.iter().map(|c| names.of(c)).collect();
            pick(
                lang,
                format!("dijamin oleh {}", chain.join(" → ")),
                format!("vouched for by {}", chain.join(" → ")),
            )
        }
    };
    html! {
        h2 { (pick(lang, "Jalur pesan", "How messages travel")) }
        dl.facts.stack {
            dt { (pick(lang, format!("Pesan terakhir dari {name}"), format!("Last message from {name}"))) }
            dd { (hop(&data.route_in, true)) }
            dt { (pick(lang, format!("Pesan terakhir ke {name}"), format!("Last message to {name}"))) }
            dd { (hop(&data.route_out, false)) }
            dt { (pick(lang, "Diterima karena", "Accepted because")) }
            dd { (trust) }
        }
        @if !data.can_deliver {
            p.problem {
                (pick(lang,
                    format!("Belum ada jalan ke {name}: tidak punya alamat, dan tidak ada mitra yang meneruskan pesan untuknya. Pesan menunggu."),
                    format!("No way to {name} yet: it has no address and no peer carries messages for it. Messages wait.")))
            }
        }
        p.muted { (pick(lang,
            "Pesan pesanan dikunci untuk telecenter lawan saja; telecenter perantara tidak bisa membacanya.",
            "Order messages are sealed for the other telecenter only; telecenters that carry them cannot read them.")) }
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
                (pick(lang, "Telecenter lawan diberi tahu otomatis.", "The other telecenter is told automatically."))
            }
        }
        @if row.pending.is_some() || data.unsent {
            div.order role="status" {
                p {
                    @if let Some(pending) = &row.pending {
                        @let action = pending.parse::<Action>().map(|a| step_done(lang, a)).unwrap_or(pending.as_str());
                        (pick(lang,
                            format!("Langkah kita ({action}) belum diterima {}.", names.of(&row.counterpart)),
                            format!("Our step ({action}) has not reached {} yet.", names.of(&row.counterpart))))
                    } @else {
                        (pick(lang,
                            format!("Kabar langkah terakhir belum sampai ke {}.", names.of(&row.counterpart)),
                            format!("News of the last step has not reached {} yet.", names.of(&row.counterpart))))
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
                    @if let Some(hint) = step_hint(lang, action, data) { p.muted { (hint) } }
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
            dd { (pick(lang, "di ", "at ")) (names.marked(&collector, words(lang).us)) " · " (method_label(lang, terms.payment.method)) }
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
    let data = match node_call(state, move |node| order_data(node, &id)).await {
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
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some((_, csrf)) = session(&state, &headers) else {
        return to_login();
    };
    let lang = lang(&headers);
    let Ok(id) = id.parse::<OrderId>() else {
        return not_found(lang);
    };
    let flash = Flash {
        step: query.get("ok").and_then(|a| a.parse::<Action>().ok()),
        delivery: delivery_message(lang, &query),
    };
    render_order(&state, lang, &csrf, id, flash, None).await
}

/// `POST /operator/pesanan/{id}`: takes one step (`action`, and `reason` to
/// reject or cancel).
pub(in crate::web) async fn order_step(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (csrf, lang) = match guard(&state, &headers, &form) {
        Ok(pass) => pass,
        Err(response) => return *response,
    };
    let Ok(id) = id.parse::<OrderId>() else {
        return not_found(lang);
    };
    let Some(action) = form
        .get("action")
        .and_then(|a| a.parse::<Action>().ok())
        .filter(|a| *a != Action::Place)
    else {
        return expired(lang);
    };
    let reason = form.get("reason").cloned().unwrap_or_default();
    let (target, typed) = (id.clone(), reason.clone());
    let outcome = node_call(&state, move |node| {
        node.order_step(&target, action, Some(typed.as_str()))
    })
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
