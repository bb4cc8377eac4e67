//! The buyer's side of buyer requests: the "Pesan" form on every product page
//! ([`order_box`]), its handler (`POST /produk/{center}/{id}/pesan`,
//! [`submit`]) and the private status page (`GET /pesanan/{code}?token=`,
//! [`status`]). Works without JavaScript.
//!
//! The form is public and carries no CSRF token, so it is bounded instead: a
//! body of at most `REQUEST_FORM_BYTES_MAX` (refused before more is read), a
//! per-address and a global rate limit (`server::request_limit`), a bound on
//! open requests, and a honeypot field hidden by CSS (filled: the answer
//! pretends success and nothing is stored). Bad input shows the form again
//! with one message per field and the typed values kept. The status page is
//! never cached, sends no referrer and is not indexed; a wrong token gets the
//! same 404 as an unknown code.

use std::collections::HashMap;

use axum::Extension;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use telecenter_protocol::catalog::{Lang, ListingStatus};
use telecenter_protocol::limits::{ORDER_QUANTITY_MAX, REQUEST_NOTE_CHARS_MAX};
use telecenter_protocol::text::InvalidInput;
use telecenter_protocol::{CenterId, ListingId};

use super::i18n::requests::{RequestWords, field_problem, words};
use super::i18n::{self, Texts};
use super::{local_time, page_lang, page_with_head};
use crate::money::format_rupiah;
use crate::node::NodeError;
use crate::node::requests::{RequestInput, RequestView, ValidRequest};
use crate::server::AppState;
use crate::server::gate::Client;
use crate::store::{ListingRow, RequestStatus};

/// The form as posted (plain `name=` fields; every one optional so a missing
/// field is a field error, not a rejected body).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct RequestFields {
    nama: String,
    wa: String,
    jumlah: String,
    cara: String,
    catatan: String,
    /// The honeypot: hidden by CSS, left empty by people.
    situs: String,
}

/// Typed values and the problems of each field.
struct Filled<'a> {
    fields: &'a RequestFields,
    problems: HashMap<&'static str, String>,
}

fn field_box(problems: &HashMap<&'static str, String>, field: &str) -> Markup {
    html! { @if let Some(p) = problems.get(field) { p.problem id=(format!("salah-{field}")) { (p) } } }
}

/// The form itself, empty or with typed values and problems.
fn form(lang: Lang, row: &ListingRow, filled: &Filled<'_>) -> Markup {
    let w = words(lang);
    let f = filled.fields;
    let p = &filled.problems;
    let delivery = f.cara == "antar";
    let max = row.listing.stock.clamp(1, ORDER_QUANTITY_MAX);
    let quantity = if f.jumlah.is_empty() {
        "1"
    } else {
        f.jumlah.as_str()
    };
    html! {
        form.step #pesan method="post" action=(format!("/produk/{}/{}/pesan", row.center_id, row.listing.id)) {
            p.muted { (w.form_intro) }
            label for="pesan-nama" { (w.name) }
            input #pesan-nama type="text" name="nama" value=(f.nama) required autocomplete="name" maxlength="100";
            (field_box(p, "buyer_name"))
            label for="pesan-wa" { (w.whatsapp) }
            input #pesan-wa type="tel" name="wa" value=(f.wa) required autocomplete="tel" inputmode="tel" placeholder=(w.whatsapp_hint) maxlength="24";
            (field_box(p, "buyer_phone"))
            label for="pesan-jumlah" { (w.quantity) " (" (row.listing.unit) ")" }
            input #pesan-jumlah type="number" name="jumlah" value=(quantity) min="1" max=(max) required inputmode="numeric";
            (field_box(p, "quantity"))
            label.choice { input #pesan-ambil type="radio" name="cara" value="ambil" checked[!delivery]; (w.pickup) }
            label.choice { input #pesan-antar type="radio" name="cara" value="antar" checked[delivery]; (w.delivery) }
            label for="pesan-catatan" { (w.note) }
            textarea #pesan-catatan name="catatan" rows="3" maxlength=(REQUEST_NOTE_CHARS_MAX) { (f.catatan) }
            p.muted { (w.note_hint) }
            (field_box(p, "note"))
            div style="position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden" aria-hidden="true" {
                label for="pesan-situs" { (w.honeypot) }
                input #pesan-situs type="text" name="situs" value="" tabindex="-1" autocomplete="off";
            }
            button #pesan-kirim type="submit" { (w.send) }
        }
    }
}

/// The "Pesan" block of a product page: the form (or "out of stock"), then
/// `more` (the center's contact facts, the ordering guide, a staff link).
pub(super) fn order_box(t: &Texts, lang: Lang, row: &ListingRow, more: Markup) -> Markup {
    let empty = RequestFields::default();
    let filled = Filled {
        fields: &empty,
        problems: HashMap::new(),
    };
    // This center takes the request (the page is served by its node); the
    // seller may be another center.
    let here = super::here::current().and_then(|h| h.center);
    html! {
        h2 { (t.order) }
        @if let Some(here) = &here {
            p.order-here {
                (super::i18n::forms::order_here(lang, &here.name, &here.region, contact_of(here)))
                @if here.center != row.center_id {
                    " " (super::i18n::forms::sold_by_other(lang, &row.center_name, &row.center_region))
                }
            }
        }
        @if row.listing.stock > 0 { (form(lang, row, &filled)) } @else { p { (words(lang).out_of_stock) } }
        (more)
    }
}

/// How a buyer reaches a center: its contact line, else its WhatsApp number.
fn contact_of(profile: &telecenter_protocol::catalog::Profile) -> Option<&str> {
    Some(profile.contact.trim())
        .filter(|c| !c.is_empty())
        .or(profile.whatsapp.as_deref())
}

/// Headers of every answer that may carry a request's code or token.
fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    response
}

fn noindex() -> Markup {
    html! { meta name="robots" content="noindex"; }
}

fn lang_of(params: &HashMap<String, String>, headers: &HeaderMap) -> (Lang, &'static Texts) {
    let (lang, _) = page_lang(params.get("lang").map(String::as_str), headers);
    (lang, i18n::texts(lang))
}

/// A page of the request flow (private, never cached or indexed).
fn answer(status: StatusCode, t: &Texts, title: &str, body: Markup) -> Response {
    private(
        (
            status,
            page_with_head(
                t,
                title,
                &format!("/?lang={}", t.other_language_code),
                noindex(),
                body,
            ),
        )
            .into_response(),
    )
}

/// The form again, for `row`, with `top` (a problem for the whole form) and the
/// problems of each field.
fn again(
    status: StatusCode,
    lang: Lang,
    row: &ListingRow,
    fields: &RequestFields,
    top: &str,
    problems: &[InvalidInput],
) -> Response {
    let t = i18n::texts(lang);
    let filled = Filled {
        fields,
        problems: problems
            .iter()
            .map(|e| (e.field, field_problem(lang, e)))
            .collect(),
    };
    let title = row.listing.title.get(lang).to_owned();
    let body = html! {
        h1 { (title) }
        p { span.price { (format_rupiah(row.listing.price_idr)) } " " span.muted { (t.per) " " (row.listing.unit) } }
        div.error role="alert" { p { (top) } }
        (form(lang, row, &filled))
        p { a href=(format!("/produk/{}/{}", row.center_id, row.listing.id)) { (title) } }
    };
    answer(status, t, &title, body)
}

fn gone(lang: Lang) -> Response {
    let t = i18n::texts(lang);
    let w = words(lang);
    answer(
        StatusCode::NOT_FOUND,
        t,
        t.not_found,
        html! { h1 { (t.not_found) } p { (w.gone) } p { a.button href="/" { (t.back_home) } } },
    )
}

fn failed(lang: Lang, error: &NodeError) -> Response {
    tracing::error!(%error, "buyer request failed");
    let t = i18n::texts(lang);
    answer(
        StatusCode::INTERNAL_SERVER_ERROR,
        t,
        "500",
        html! { h1 { "500" } p { (t.not_found_text) } },
    )
}

/// `POST /produk/{center}/{id}/pesan`.
pub(super) async fn submit(
    State(state): State<AppState>,
    Path((center, id)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    client: Option<Extension<Client>>,
    headers: HeaderMap,
    form: Result<Form<RequestFields>, FormRejection>,
) -> Response {
    let (lang, _) = lang_of(&params, &headers);
    let w = words(lang);
    let (Ok(center), Ok(id)) = (center.parse::<CenterId>(), id.parse::<ListingId>()) else {
        return gone(lang);
    };
    let found = {
        let (center, id) = (center, id.clone());
        state
            .run(move |node| match node.listing(&center, &id) {
                Ok(row) if row.listing.status == ListingStatus::Active => Ok(Some(row)),
                Ok(_) | Err(NodeError::UnknownListing { .. }) => Ok(None),
                Err(e) => Err(e),
            })
            .await
    };
    let row = match found {
        Ok(Some(row)) => row,
        Ok(None) => return gone(lang),
        Err(error) => return failed(lang, &error),
    };
    let fields = match form {
        Ok(Form(fields)) => fields,
        Err(rejection) => {
            let status = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            return again(
                status,
                lang,
                &row,
                &RequestFields::default(),
                w.too_large,
                &[],
            );
        }
    };
    if !fields.situs.is_empty() {
        // A robot filled the hidden field: it is told "sent"; nothing is stored.
        let t = i18n::texts(lang);
        return answer(
            StatusCode::OK,
            t,
            w.sent,
            html! { h1 { (w.sent) } p { (w.sent_text) } },
        );
    }
    let input = RequestInput {
        seller: Some(center),
        listing: Some(id.clone()),
        buyer_name: fields.nama.clone(),
        buyer_phone: fields.wa.clone(),
        quantity: fields.jumlah.clone(),
        pickup: fields.cara != "antar",
        note: fields.catatan.clone(),
    };
    let valid: ValidRequest = match input.validate() {
        Ok(valid) => valid,
        Err(problems) => {
            return again(
                StatusCode::UNPROCESSABLE_ENTITY,
                lang,
                &row,
                &fields,
                i18n::requests::words(lang).fix_below,
                &problems,
            );
        }
    };
    let ip = client.and_then(|Extension(c)| c.ip);
    if !state.requests.allow(ip, state.node.clock().now_ms()) {
        return again(
            StatusCode::TOO_MANY_REQUESTS,
            lang,
            &row,
            &fields,
            w.too_many,
            &[],
        );
    }
    let result = state
        .run(move |node| node.submit_request(&center, &id, &valid))
        .await;
    match result {
        Ok(sent) => private(
            (
                StatusCode::SEE_OTHER,
                [(
                    header::LOCATION,
                    format!("/pesanan/{}?token={}", sent.code, sent.token),
                )],
            )
                .into_response(),
        ),
        Err(NodeError::Invalid(problem)) => again(
            StatusCode::UNPROCESSABLE_ENTITY,
            lang,
            &row,
            &fields,
            w.fix_below,
            &[problem],
        ),
        Err(NodeError::Order {
            code: "requests_full",
            ..
        }) => again(
            StatusCode::SERVICE_UNAVAILABLE,
            lang,
            &row,
            &fields,
            w.full,
            &[],
        ),
        Err(NodeError::Order { .. } | NodeError::UnknownListing { .. }) => gone(lang),
        Err(error) => failed(lang, &error),
    }
}

/// The progress line of a request, in plain words.
pub(crate) fn progress(w: &RequestWords, view: &RequestView) -> (String, Option<String>) {
    let r = &view.request;
    match r.status {
        RequestStatus::New => (w.waiting.to_owned(), None),
        RequestStatus::Sold => (w.sold.to_owned(), None),
        RequestStatus::Declined => (w.declined.to_owned(), Some(r.reason.clone())),
        RequestStatus::Ordered => match &view.order {
            Some((status, reason)) => {
                let line = match status.as_str() {
                    "accepted" => w.accepted,
                    "shipped" => w.shipped,
                    "completed" => w.completed,
                    "rejected" | "refused" => w.rejected,
                    "cancelled" => w.cancelled,
                    _ => w.placed,
                };
                let reason = matches!(status.as_str(), "rejected" | "cancelled")
                    .then(|| reason.clone())
                    .flatten();
                (line.to_owned(), reason)
            }
            None => (w.placed.to_owned(), None),
        },
    }
}

/// `GET /pesanan/{code}?token=`.
pub(super) async fn status(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (lang, t) = lang_of(&params, &headers);
    let w = words(lang);
    let token = params.get("token").cloned().unwrap_or_default();
    let found = state
        .run(move |node| node.request_status(&code, &token))
        .await;
    let view = match found {
        Ok(Some(view)) => view,
        Ok(None) => {
            return answer(
                StatusCode::NOT_FOUND,
                t,
                w.not_found,
                html! { h1 { (w.not_found) } p { (w.not_found_text) } p { a.button href="/" { (t.back_home) } } },
            );
        }
        Err(error) => return failed(lang, &error),
    };
    let r = &view.request;
    let (line, reason) = progress(w, &view);
    let body = html! {
        h1 { (w.status_title) }
        // What a returning buyer came for comes first, above the fold of a phone.
        div.order #pesanan-status role="status" {
            h2 { (w.progress) }
            p { strong { (line) } }
            @if let Some(reason) = reason.filter(|r| !r.is_empty()) { p { (w.reason) ": " (reason) } }
        }
        p.muted { (w.keep_link) }
        dl.facts.stack {
            dt { (w.code) } dd.code #pesanan-kode { (r.code) }
            dt { (w.product) } dd { (r.title) }
            dt { (w.quantity) } dd { (r.quantity) " " (r.unit) }
            dt { (w.price) } dd { (format_rupiah(r.unit_price_idr)) " " (t.per) " " (r.unit) }
            dt { (w.total) } dd { (format_rupiah(r.unit_price_idr.saturating_mul(r.quantity))) }
            dt { (w.how) } dd { @if r.pickup { (w.pickup) } @else { (w.delivery) } }
            @if !r.delivery_note.is_empty() { dt { (w.note) } dd { (r.delivery_note) } }
            dt { (w.sent_at) } dd { (local_time(lang, r.created_ms)) }
        }
    };
    answer(StatusCode::OK, t, w.status_title, body)
}
