//! The operator's buyer requests (`/operator/permintaan-pembeli`): the list,
//! `new` ones first, and one request with a WhatsApp link to the buyer and its
//! actions: "Jadikan pesanan" (the place-order form filled in from the
//! request, for another center's product), "Catat penjualan" (a local sale of
//! this center's own product) and "Tolak" with a reason. Each request is
//! answered once; a second answer is refused and changes nothing.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use telecenter_protocol::catalog::Lang;
use telecenter_protocol::limits::REASON_CHARS_MAX;

use super::{CsrfForm, NoFields, OperatorPage, frame, internal, no_store, operator_nav};
use crate::money::format_rupiah;
use crate::node::NodeError;
use crate::server::AppState;
use crate::store::{RequestRow, RequestStatus};
use crate::web::i18n;
use crate::web::i18n::requests::{field_problem, words};
use crate::web::local_time;

/// The list's address.
const PATH: &str = "/operator/permintaan-pembeli";

fn status_tag(lang: Lang, status: RequestStatus) -> Markup {
    let w = words(lang);
    let (class, word) = match status {
        RequestStatus::New => ("tag wait", w.statuses[0]),
        RequestStatus::Ordered => ("tag go", w.statuses[1]),
        RequestStatus::Sold => ("tag ok", w.statuses[2]),
        RequestStatus::Declined => ("tag bad", w.statuses[3]),
    };
    html! { span class=(class) { (word) } }
}

/// `GET /operator/permintaan-pembeli`.
pub(in crate::web) async fn requests_list(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
) -> Response {
    let (t, w) = (i18n::texts(lang), words(lang));
    let rows = match state.run(|node| node.requests(None)).await {
        Ok(rows) => rows,
        Err(error) => return internal(lang, &error),
    };
    let open = rows
        .iter()
        .filter(|r| r.status == RequestStatus::New)
        .count();
    let body = html! {
        (operator_nav(t, &csrf))
        h1 { (w.list_title) " (" (open) ")" }
        @if rows.is_empty() { p { (w.none) } }
        @else {
            table.rows {
                thead { tr { th { (w.code) } th { (w.product) } th { (w.buyer) } th.num { (w.quantity) } th { (w.sent_at) } th { (w.status) } } }
                tbody {
                    @for r in &rows {
                        tr {
                            td data-label=(w.code) { a.code href=(format!("{PATH}/{}", r.code)) { (r.code) } }
                            td data-label=(w.product) { span { (r.title) } }
                            td data-label=(w.buyer) { span { (r.buyer_name) } }
                            td.num data-label=(w.quantity) { span { (r.quantity) " " (r.unit) } }
                            td data-label=(w.sent_at) { span { (local_time(lang, r.created_ms)) } }
                            td data-label=(w.status) { (status_tag(lang, r.status)) }
                        }
                    }
                }
            }
        }
    };
    frame(lang, StatusCode::OK, w.list_title, body)
}

/// The `https://wa.me/` link to the buyer with a greeting naming the product.
fn whatsapp_link(lang: Lang, r: &RequestRow) -> String {
    // Filled in one go: a name or title that looks like a placeholder stays as typed.
    let greeting = (words(lang).greeting)(
        &r.buyer_name,
        &format!("{} × {} {}", r.title, r.quantity, r.unit),
    );
    let text: String = serde_urlencoded::to_string([("text", greeting)]).unwrap_or_default();
    format!(
        "https://wa.me/{}?{}",
        telecenter_protocol::phone::wa_me_digits(&r.buyer_phone),
        text
    )
}

fn request_page(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    r: &RequestRow,
    status: StatusCode,
    problem: Option<String>,
) -> Response {
    let (t, w) = (i18n::texts(lang), words(lang));
    let own = r.seller_center == state.node.center_id().to_string();
    let body = html! {
        (operator_nav(t, csrf))
        p { a href=(PATH) { (w.list_title) } }
        h1 { (w.code) " " span.code { (r.code) } " " (status_tag(lang, r.status)) }
        @if let Some(problem) = &problem { div.error role="alert" { p { (problem) } } }
        dl.facts.stack {
            dt { (w.product) } dd { a href=(format!("/produk/{}/{}", r.seller_center, r.listing)) { (r.title) } }
            dt { (w.quantity) } dd { (r.quantity) " " (r.unit) }
            dt { (w.price) } dd { (format_rupiah(r.unit_price_idr)) " " (t.per) " " (r.unit) }
            dt { (w.total) } dd { (format_rupiah(r.unit_price_idr.saturating_mul(r.quantity))) }
            dt { (w.buyer) } dd { (r.buyer_name) br; span.code { (r.buyer_phone) } }
            dt { (w.how) } dd { @if r.pickup { (w.pickup) } @else { (w.delivery) } }
            @if !r.delivery_note.is_empty() { dt { (w.note) } dd { (r.delivery_note) } }
            dt { (w.sent_at) } dd { (local_time(lang, r.created_ms)) }
            @if !r.reason.is_empty() { dt { (w.reason) } dd { (r.reason) } }
            @if let Some(order) = &r.order_id { dt { (w.order_link) } dd { a.code href=(format!("/operator/pesanan/{order}")) { (order) } } }
        }
        p { a.button #hubungi-pembeli href=(whatsapp_link(lang, r)) rel="noopener noreferrer" target="_blank" { (w.chat) } }
        @if r.status == RequestStatus::New {
            div.steps {
                @if own {
                    form.step method="post" action=(format!("{PATH}/{}/jual", r.code)) {
                        input type="hidden" name="csrf" value=(csrf);
                        button #catat-penjualan type="submit" { (w.sell_here) }
                    }
                } @else {
                    div.step {
                        p { a.button #jadikan-pesanan href=(format!("/operator/pesan?produk={}/{}&permintaan={}", r.seller_center, r.listing, r.code)) { (w.make_order) } }
                    }
                }
                form.step method="post" action=(format!("{PATH}/{}/tolak", r.code)) {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="alasan" { (w.decline_reason) }
                    input #alasan name="alasan" required maxlength=(REASON_CHARS_MAX);
                    button.danger #tolak type="submit" { (w.decline) }
                }
            }
        } @else {
            p.muted { (w.done) }
        }
    };
    frame(lang, status, &r.code, body)
}

/// `GET /operator/permintaan-pembeli/{code}`.
pub(in crate::web) async fn request_show(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
    Path(code): Path<String>,
) -> Response {
    match state.run(move |node| node.request(&code)).await {
        Ok(row) => request_page(&state, lang, &csrf, &row, StatusCode::OK, None),
        Err(NodeError::NoSuchRequest(_)) => super::not_found(lang),
        Err(error) => internal(lang, &error),
    }
}

/// The decline form.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(in crate::web) struct DeclineFields {
    alasan: String,
}

/// After an action: back to the request, or the page again with the refusal.
async fn answered(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    code: String,
    result: Result<RequestRow, NodeError>,
) -> Response {
    let problem = match result {
        Ok(row) => return no_store(Redirect::to(&format!("{PATH}/{}", row.code)).into_response()),
        Err(NodeError::NoSuchRequest(_)) => return super::not_found(lang),
        Err(NodeError::Invalid(e)) => (StatusCode::BAD_REQUEST, field_problem(lang, &e)),
        Err(NodeError::Order {
            code: "request_answered",
            ..
        }) => (StatusCode::CONFLICT, words(lang).done.to_owned()),
        Err(NodeError::Order { message, .. }) => (StatusCode::CONFLICT, message),
        Err(error) => return internal(lang, &error),
    };
    match state.run(move |node| node.request(&code)).await {
        Ok(row) => request_page(state, lang, csrf, &row, problem.0, Some(problem.1)),
        Err(error) => internal(lang, &error),
    }
}

/// `POST /operator/permintaan-pembeli/{code}/jual`.
pub(in crate::web) async fn request_sell(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm { session, lang, .. }: CsrfForm<NoFields>,
) -> Response {
    let c = code.clone();
    let result = state.run(move |node| node.sell_request_locally(&c)).await;
    answered(&state, lang, &session.csrf, code, result).await
}

/// `POST /operator/permintaan-pembeli/{code}/tolak`.
pub(in crate::web) async fn request_decline(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm {
        session,
        lang,
        fields,
    }: CsrfForm<DeclineFields>,
) -> Response {
    let c = code.clone();
    let result = state
        .run(move |node| node.decline_request(&c, &fields.alasan))
        .await;
    answered(&state, lang, &session.csrf, code, result).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A buyer whose name looks like a placeholder keeps that name in the
    /// WhatsApp greeting; the product is filled in once.
    #[test]
    fn a_placeholder_in_a_buyer_name_stays_as_typed() {
        let row = RequestRow {
            code: "ABCD2345".into(),
            token_sha256: String::new(),
            created_ms: 0,
            updated_ms: 0,
            seller_center: String::new(),
            listing: String::new(),
            title: "Keripik {name}".into(),
            unit: "bungkus".into(),
            producer: String::new(),
            unit_price_idr: 15_000,
            quantity: 2,
            buyer_name: "{product}".into(),
            buyer_phone: "+6281234567890".into(),
            pickup: true,
            delivery_note: String::new(),
            status: RequestStatus::New,
            order_id: None,
            reason: String::new(),
        };
        let link = whatsapp_link(Lang::Id, &row);
        let query = link
            .strip_prefix("https://wa.me/6281234567890?")
            .expect("a wa.me link to the buyer");
        let text: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        assert_eq!(
            text,
            [(
                "text".to_owned(),
                "Halo {product}, ini dari telecenter tentang pesanan Anda: Keripik {name} × 2 bungkus."
                    .to_owned()
            )]
        );
    }
}
