//! The form that places an order for a buyer (`/operator/pesan`): choosing the
//! product, the order form, and its refusals in plain words.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use telecenter_protocol::catalog::{Lang, ListingStatus, Profile};
use telecenter_protocol::limits::ORDER_QUANTITY_MAX;
use telecenter_protocol::order::{Buyer, Collector, PayMethod, typed_problems};
use telecenter_protocol::text::parse_whole;
use telecenter_protocol::{CenterId, ListingId};

use super::{
    CsrfForm, expired, frame, input_problem, internal, operator_nav, problem_box, refusal_box,
    refusal_status, see_other,
};
use crate::money::format_rupiah;
use crate::node::{Node, NodeError, PlaceOrder};
use crate::server::AppState;
use crate::store::ListingRow;
use crate::web::i18n;
use crate::web::i18n::orders::{fee_terms_text, place_refusal, words};
use crate::web::operator::OperatorPage;

/// Reads a product reference as an operator may paste it: `center/listing`,
/// `/produk/center/listing` or the whole address of a product page.
fn product_ref(text: &str) -> Option<(CenterId, ListingId)> {
    let path = text.trim().split(['?', '#']).next().unwrap_or_default();
    let mut parts = path.rsplit('/').filter(|p| !p.is_empty());
    let listing = parts.next()?.parse::<ListingId>().ok()?;
    let center = parts.next()?.parse::<CenterId>().ok()?;
    Some((center, listing))
}

/// The place-order form as typed.
struct PlaceValues {
    product: String,
    quantity: String,
    buyer_name: String,
    buyer_phone: String,
    payment_at: String,
    payment_method: String,
    note: String,
    /// The buyer request this order answers (`?permintaan=` code), if any.
    request: String,
}

impl PlaceValues {
    fn fresh(product: &str) -> Self {
        Self {
            product: product.to_owned(),
            quantity: "1".to_owned(),
            buyer_name: String::new(),
            buyer_phone: String::new(),
            payment_at: "buyer_center".to_owned(),
            payment_method: "cash".to_owned(),
            note: String::new(),
            request: String::new(),
        }
    }

    fn from_form(form: PlaceFields) -> Self {
        Self {
            product: form.produk,
            quantity: form.quantity,
            buyer_name: form.buyer_name,
            buyer_phone: form.buyer_phone,
            payment_at: form.payment_at,
            payment_method: form.payment_method,
            note: form.note,
            request: form.permintaan,
        }
    }
}

/// The place-order form as posted.
#[derive(Default, Deserialize)]
#[serde(default)]
pub(in crate::web) struct PlaceFields {
    produk: String,
    /// The unit price the operator saw.
    unit_price_idr: String,
    quantity: String,
    buyer_name: String,
    buyer_phone: String,
    payment_at: String,
    payment_method: String,
    note: String,
    /// The buyer request this order answers, if any.
    permintaan: String,
}

/// What the form shows about the product.
struct Offer {
    listing: ListingRow,
    seller: Option<Profile>,
    reachable: bool,
    own: bool,
}

fn offer(node: &Node, center: &CenterId, id: &ListingId) -> Result<Option<Offer>, NodeError> {
    let listing = match node.listing(center, id) {
        Ok(row) if row.listing.status != ListingStatus::Removed => row,
        Ok(_) | Err(NodeError::UnknownListing { .. }) => return Ok(None),
        Err(error) => return Err(error),
    };
    Ok(Some(Offer {
        listing,
        seller: node.center(center)?,
        reachable: node.can_deliver(center)?,
        own: *center == node.center_id(),
    }))
}

/// The page that asks which product to order, with `status` and the problem.
fn choose_page(
    lang: Lang,
    csrf: &str,
    status: StatusCode,
    typed: &str,
    problem: Option<&str>,
) -> Response {
    let (t, w) = (i18n::texts(lang), words(lang));
    let problem = problem.map(str::to_owned);
    let body = html! {
        (operator_nav(t, csrf))
        h1 { (w.order_for_buyer) }
        (problem_box(t, &problem))
        p { (w.how_to_order) }
        p { a.button href="/cari" { (w.find_products) } }
        form method="get" action="/operator/pesan" {
            label for="produk" { (w.product) }
            input #produk name="produk" value=(typed) required maxlength="300" style="width:100%";
            p.muted { (w.product_hint) }
            p { button type="submit" { (w.next) } }
        }
    };
    frame(lang, status, w.order_for_buyer, body)
}

fn place_page(
    lang: Lang,
    csrf: &str,
    offer: &Offer,
    values: &PlaceValues,
    status: StatusCode,
    problem: Option<String>,
    problems: &Problems,
) -> Response {
    let (t, w) = (i18n::texts(lang), words(lang));
    let row = &offer.listing;
    let l = &row.listing;
    let product = format!("{}/{}", row.center_id, l.id);
    let fees = offer.seller.as_ref().map(|p| p.fees).unwrap_or_default();
    let body = html! {
        (operator_nav(t, csrf))
        h1 { (w.order_for_buyer) }
        (refusal_box(lang, &problem))
        section.card {
            h2 { a href=(format!("/produk/{product}")) { (l.title.get(lang)) } }
            p { span.price { (format_rupiah(l.price_idr)) } " " span.muted { (t.per) " " (l.unit) } }
            dl.facts.stack {
                dt { (w.stock) } dd { (l.stock) " " (l.unit) }
                @if !l.producer.is_empty() { dt { (w.producer) } dd { (l.producer) } }
                dt { (w.seller_center) } dd { (row.center_name) " (" (row.center_region) ")" }
                dt { (w.fee) } dd { (fee_terms_text(lang, &fees)) br; span.muted { (w.fee_paid_by) } }
            }
        }
        @if offer.own {
            div.error role="alert" { p { (w.own_product) } }
        } @else if l.status != ListingStatus::Active {
            div.error role="alert" { p { (w.not_for_sale) } }
        } @else {
            @if !offer.reachable { p.muted { (w.no_address) } }
            form method="post" action="/operator/pesan" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="produk" value=(product);
                input type="hidden" name="unit_price_idr" value=(l.price_idr);
                @if !values.request.is_empty() { input type="hidden" name="permintaan" value=(values.request); }
                label for="quantity" { (w.quantity) " (" (l.unit) ")" }
                (field_problem(problems, "quantity"))
                input #quantity name="quantity" inputmode="numeric" value=(values.quantity) required maxlength="12";
                label for="buyer_name" { (w.buyer_name) }
                (field_problem(problems, "buyer_name"))
                input #buyer_name name="buyer_name" value=(values.buyer_name) required maxlength="100" autocomplete="off";
                label for="buyer_phone" { (w.buyer_phone) }
                (field_problem(problems, "buyer_phone"))
                input #buyer_phone name="buyer_phone" type="tel" value=(values.buyer_phone) required maxlength="24" autocomplete="off";
                fieldset {
                    legend { (w.pay_at) }
                    (field_problem(problems, "payment_at"))
                    label.choice { input type="radio" name="payment_at" value="buyer_center" checked[values.payment_at != "seller_center"]; span { (w.pay_here) } }
                    label.choice { input type="radio" name="payment_at" value="seller_center" checked[values.payment_at == "seller_center"]; span { (w.pay_seller) " (" (row.center_name) ")" } }
                }
                label for="payment_method" { (w.method) }
                (field_problem(problems, "payment_method"))
                select #payment_method name="payment_method" {
                    @for (value, label) in [("cash", w.methods[0]), ("transfer", w.methods[1]), ("qris", w.methods[2])] {
                        option value=(value) selected[values.payment_method == value] { (label) }
                    }
                }
                label for="note" { (w.note) }
                (field_problem(problems, "note"))
                textarea #note name="note" rows="3" maxlength="500" { (values.note) }
                p.muted { (w.private_hint) }
                p { button type="submit" { (w.send_order) } }
            }
        }
    };
    frame(lang, status, w.order_for_buyer, body)
}

/// `GET /operator/pesan?produk={center}/{listing}`.
pub(in crate::web) async fn place_form(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let w = words(lang);
    let typed = query.get("produk").cloned().unwrap_or_default();
    if typed.trim().is_empty() {
        return choose_page(lang, &csrf, StatusCode::OK, "", None);
    }
    let Some((center, listing)) = product_ref(&typed) else {
        return choose_page(
            lang,
            &csrf,
            StatusCode::BAD_REQUEST,
            &typed,
            Some(w.product_unreadable),
        );
    };
    let request = query.get("permintaan").cloned().unwrap_or_default();
    let found = state
        .run(move |node| {
            // A buyer request fills in the buyer, the quantity and the note.
            let mut values = PlaceValues::fresh(&typed);
            if !request.is_empty()
                && let Ok(r) = node.request(&request)
            {
                values.quantity = r.quantity.to_string();
                values.buyer_name = r.buyer_name;
                values.buyer_phone = r.buyer_phone;
                values.note = r.delivery_note;
                values.request = r.code;
            }
            Ok(offer(node, &center, &listing)?.map(|o| (o, values)))
        })
        .await;
    let typed = query.get("produk").cloned().unwrap_or_default();
    match found {
        Ok(Some((offer, values))) => place_page(
            lang,
            &csrf,
            &offer,
            &values,
            StatusCode::OK,
            None,
            &Problems::new(),
        ),
        Ok(None) => choose_page(
            lang,
            &csrf,
            StatusCode::NOT_FOUND,
            &typed,
            Some(w.product_unknown),
        ),
        Err(error) => internal(lang, &error),
    }
}

/// The problems of a filled-in form: (form field, what is wrong), every one.
type Problems = Vec<(&'static str, String)>;

/// The order a filled-in form asks for, or every problem of it at once.
fn place_input(
    lang: Lang,
    seller: CenterId,
    listing: ListingId,
    seen_price: i64,
    values: &PlaceValues,
) -> Result<PlaceOrder, Problems> {
    let mut problems = Problems::new();
    let quantity = parse_whole("quantity", &values.quantity, ORDER_QUANTITY_MAX)
        .map_err(|e| problems.push(("quantity", input_problem(lang, &e))))
        .ok();
    let buyer = Buyer {
        name: values.buyer_name.clone(),
        phone: values.buyer_phone.clone(),
    };
    for e in typed_problems(quantity, &buyer, &values.note) {
        problems.push((e.field, input_problem(lang, &e)));
    }
    let payment_at = values
        .payment_at
        .parse::<Collector>()
        .map_err(|_| problems.push(("payment_at", words(lang).choose_pay_at.to_owned())))
        .ok();
    let payment_method = values
        .payment_method
        .parse::<PayMethod>()
        .map_err(|_| problems.push(("payment_method", words(lang).choose_method.to_owned())))
        .ok();
    match (quantity, payment_at, payment_method) {
        (Some(quantity), Some(payment_at), Some(payment_method)) if problems.is_empty() => {
            Ok(PlaceOrder {
                seller,
                listing,
                quantity,
                unit_price_idr: Some(seen_price),
                buyer_name: values.buyer_name.clone(),
                buyer_phone: values.buyer_phone.clone(),
                payment_at,
                payment_method,
                note: values.note.clone(),
            })
        }
        _ => Err(problems),
    }
}

/// The problem of `field`, next to it.
fn field_problem(problems: &Problems, field: &str) -> Markup {
    html! {
        @for (_, problem) in problems.iter().filter(|(f, _)| *f == field) {
            p.field-error id=(format!("salah-{field}")) { (problem) }
        }
    }
}

/// A refused placement in plain words; `offer` is the product as it is now.
fn place_problem(lang: Lang, error: &NodeError, offer: &Offer, quantity: &str) -> String {
    match error {
        NodeError::Invalid(e) => input_problem(lang, e),
        NodeError::Order { code, message } => {
            place_refusal(lang, code, message, &offer.listing, quantity)
        }
        NodeError::UnknownListing { .. } => words(lang).product_unknown.to_owned(),
        other => other.to_string(),
    }
}

/// What is wrong with a placement: the form check's problems, or the node's refusal.
enum PlaceProblem {
    Fields(Problems),
    Node(NodeError),
}

/// The form again with what was typed, the product as it is now and the problem.
async fn place_again(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    (center, listing): (CenterId, ListingId),
    values: PlaceValues,
    status: StatusCode,
    problem: PlaceProblem,
) -> Response {
    let w = words(lang);
    match state.run(move |node| offer(node, &center, &listing)).await {
        Ok(Some(offer)) => {
            let (text, fields) = match problem {
                PlaceProblem::Fields(fields) => {
                    let all = fields
                        .iter()
                        .map(|(_, p)| p.as_str())
                        .collect::<Vec<_>>()
                        .join(" ");
                    (all, fields)
                }
                PlaceProblem::Node(error) => (
                    place_problem(lang, &error, &offer, &values.quantity),
                    Problems::new(),
                ),
            };
            place_page(lang, csrf, &offer, &values, status, Some(text), &fields)
        }
        Ok(None) => choose_page(
            lang,
            csrf,
            StatusCode::NOT_FOUND,
            &values.product,
            Some(w.product_unknown),
        ),
        Err(error) => internal(lang, &error),
    }
}

/// `POST /operator/pesan`: places the order and shows it.
pub(in crate::web) async fn place_order(
    State(state): State<AppState>,
    CsrfForm {
        session,
        lang,
        fields,
    }: CsrfForm<PlaceFields>,
) -> Response {
    let csrf = session.csrf;
    let w = words(lang);
    let seen_price = fields.unit_price_idr.trim().parse::<i64>().ok();
    let values = PlaceValues::from_form(fields);
    let Some((center, listing)) = product_ref(&values.product) else {
        return choose_page(
            lang,
            &csrf,
            StatusCode::BAD_REQUEST,
            &values.product,
            Some(w.product_unreadable),
        );
    };
    // The price the operator saw: the node refuses the order if it has changed since.
    let Some(seen_price) = seen_price else {
        return expired(lang);
    };
    let product = (center, listing.clone());
    let input = match place_input(lang, center, listing, seen_price, &values) {
        Ok(input) => input,
        Err(problems) => {
            return place_again(
                &state,
                lang,
                &csrf,
                product,
                values,
                StatusCode::BAD_REQUEST,
                PlaceProblem::Fields(problems),
            )
            .await;
        }
    };
    let request = values.request.clone();
    let placed = state
        .run(move |node| {
            if request.is_empty() {
                node.place_order(&input)
            } else {
                node.link_request_order(&request, &input)
            }
        })
        .await;
    match placed {
        Ok(row) => see_other(&format!("/operator/pesanan/{}?ok=place", row.state.id)),
        Err(
            error @ (NodeError::Order { .. }
            | NodeError::Invalid(_)
            | NodeError::NoSuchRequest(_)
            | NodeError::UnknownListing { .. }),
        ) => {
            let status = refusal_status(&error);
            place_again(
                &state,
                lang,
                &csrf,
                product,
                values,
                status,
                PlaceProblem::Node(error),
            )
            .await
        }
        Err(error) => internal(lang, &error),
    }
}
