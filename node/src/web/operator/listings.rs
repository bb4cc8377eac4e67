//! The listing pages: the form to add a product, the form to edit, hide or
//! remove one, and what they post (`/operator/produk/...`).

use std::collections::HashMap;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use telecenter_protocol::ListingId;
use telecenter_protocol::catalog::input::{ListingPatch, NewListing};
use telecenter_protocol::catalog::{Category, Lang, ListingStatus, Photo};
use telecenter_protocol::text::InvalidInput;

use super::i18n::operator::photo_error;
use super::upload::{Upload, read_upload, store_upload};
use super::{
    CsrfForm, NoFields, expired, field_error, html_page, i18n, internal, no_store, not_found,
    operator_nav, page, problem_box, words,
};
use crate::money::parse_rupiah;
use crate::node::NodeError;
use crate::server::AppState;
use crate::server::session::OperatorSession;
use crate::store::ListingRow;
use crate::web::local_time;
use crate::web::operator::{OperatorPage, PageLang};

/// The values of the listing form, as typed (a missing field reads as empty).
#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct ListingForm {
    title: String,
    description: String,
    category: String,
    price: String,
    stock: String,
    unit: String,
    producer: String,
    status: String,
    /// The "remove the photo" checkbox (edit form): present when ticked.
    remove_photo: Option<String>,
}

impl ListingForm {
    fn from_row(row: &ListingRow) -> Self {
        let l = &row.listing;
        Self {
            title: l.title.id.clone(),
            description: l.description.id.clone(),
            category: l.category.slug().to_owned(),
            price: l.price_idr.to_string(),
            stock: l.stock.to_string(),
            unit: l.unit.clone(),
            producer: l.producer.clone(),
            status: l.status.word().to_owned(),
            remove_photo: None,
        }
    }

    fn numbers(&self) -> Result<(i64, i64), InvalidInput> {
        let price = parse_rupiah("price_idr", &self.price)?;
        let stock = self.stock.trim().parse::<i64>().map_err(|_| InvalidInput {
            field: "stock",
            code: "not_a_number",
            message: format!("stock must be a whole number, found '{}'", self.stock),
        })?;
        Ok((price, stock))
    }
}

fn listing_form(
    lang: Lang,
    csrf: &str,
    action: &str,
    values: &ListingForm,
    editing: bool,
) -> Markup {
    let w = words(lang);
    html! {
        form method="post" action=(action) enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(csrf);
            label for="title" { (w.title) }
            input #title name="title" value=(values.title) required maxlength="120";
            label for="category" { (w.category) }
            select #category name="category" required {
                @for category in Category::ALL {
                    option value=(category.slug()) selected[values.category == category.slug()] { (category.label(lang)) }
                }
            }
            label for="price" { (w.price) }
            input #price name="price" inputmode="numeric" value=(values.price) required;
            label for="stock" { (w.stock) }
            input #stock name="stock" inputmode="numeric" value=(values.stock) required;
            label for="unit" { (w.unit) }
            input #unit name="unit" value=(values.unit) maxlength="24";
            label for="producer" { (w.producer) }
            input #producer name="producer" value=(values.producer) maxlength="120";
            label for="description" { (w.description) }
            textarea #description name="description" rows="5" maxlength="2000" { (values.description) }
            label for="photo" { (w.photo) }
            input #photo type="file" name="photo" accept="image/jpeg,image/png,image/webp";
            p.muted { (w.photo_hint) }
            @if editing {
                label { input type="checkbox" name="remove_photo" value="1"; " " (w.remove_photo) }
            }
            @if editing {
                fieldset {
                    legend { (w.status) }
                    label { input type="radio" name="status" value="active" checked[values.status != "hidden"]; " " (w.statuses[0]) }
                    label { input type="radio" name="status" value="hidden" checked[values.status == "hidden"]; " " (w.statuses[1]) }
                }
            }
            p { button type="submit" { (w.save) } }
        }
    }
}

/// `GET /operator/produk/baru`.
pub(crate) async fn new_listing_form(OperatorPage { csrf, lang }: OperatorPage) -> Response {
    let (t, w) = (i18n::texts(lang), words(lang));
    let values = ListingForm {
        unit: "buah".to_owned(),
        stock: "1".to_owned(),
        ..ListingForm::default()
    };
    let body = html! {
        (operator_nav(t, &csrf))
        h1 { (w.add_product) }
        (listing_form(lang, &csrf, "/operator/produk/baru", &values, false))
    };
    html_page(StatusCode::OK, page(t, w.add_product, "/operator", body))
}

/// `POST /operator/produk/baru`.
pub(crate) async fn create_listing(
    State(state): State<AppState>,
    session: OperatorSession,
    PageLang(lang): PageLang,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let csrf = session.csrf.clone();
    let form: Upload<ListingForm> = match read_upload(multipart, lang).await {
        Ok(read) => read,
        Err(problem) => {
            return form_problem(lang, &csrf, None, &ListingForm::default(), problem);
        }
    };
    if !session.csrf_matches(&form.csrf) {
        return expired(lang);
    }
    let (values, upload) = (form.fields, form.photo);
    let numbers = match values.numbers() {
        Ok(numbers) => numbers,
        Err(e) => {
            return form_problem(lang, &csrf, None, &values, field_error(lang, &e));
        }
    };
    let (price_idr, stock) = numbers;
    let mut input = NewListing {
        title: values.title.clone(),
        description: values.description.clone(),
        lang: None,
        category: values.category.clone(),
        price_idr,
        stock,
        unit: Some(values.unit.clone()).filter(|u| !u.trim().is_empty()),
        producer: Some(values.producer.clone()),
        producer_village: None,
        photos: Vec::new(),
    };
    // Check everything typed before keeping the photo, so a refused form stores nothing.
    if let Err(e) = input.validate() {
        return form_problem(lang, &csrf, None, &values, field_error(lang, &e));
    }
    input.photos = match store_upload(&state, upload).await {
        Ok(photo) => photo.into_iter().collect(),
        Err(problem) => {
            return form_problem(lang, &csrf, None, &values, problem_text(lang, &problem));
        }
    };
    match state.run(move |node| node.add_listing(&input)).await {
        Ok(row) => no_store(
            Redirect::to(&format!("/operator/produk/{}?tersimpan=1", row.listing.id))
                .into_response(),
        ),
        Err(NodeError::Invalid(e)) => {
            form_problem(lang, &csrf, None, &values, field_error(lang, &e))
        }
        Err(error) => internal(lang, &error),
    }
}

fn problem_text(lang: Lang, error: &NodeError) -> String {
    match error {
        NodeError::Image(e) => photo_error(lang, e),
        NodeError::Invalid(e) => field_error(lang, e),
        other => other.to_string(),
    }
}

/// The listing form again, with what was typed and what is wrong: the edit
/// page of listing `editing`, or the form for a new one.
fn form_problem(
    lang: Lang,
    csrf: &str,
    editing: Option<&ListingId>,
    values: &ListingForm,
    problem: String,
) -> Response {
    let (t, w) = (i18n::texts(lang), words(lang));
    let body = match editing {
        Some(id) => edit_page(lang, csrf, id, values, Some(problem), false, None, &[]),
        None => html! {
            (operator_nav(t, csrf))
            h1 { (w.add_product) }
            (problem_box(t, &Some(problem)))
            (listing_form(lang, csrf, "/operator/produk/baru", values, false))
        },
    };
    html_page(
        StatusCode::BAD_REQUEST,
        page(t, w.add_product, "/operator", body),
    )
}

#[allow(clippy::too_many_arguments)] // each is one piece of the page
fn edit_page(
    lang: Lang,
    csrf: &str,
    id: &ListingId,
    values: &ListingForm,
    problem: Option<String>,
    saved: bool,
    updated: Option<i64>,
    photos: &[Photo],
) -> Markup {
    let (t, w) = (i18n::texts(lang), words(lang));
    let action = format!("/operator/produk/{id}");
    html! {
        (operator_nav(t, csrf))
        h1 { (w.edit) ": " (values.title) }
        @if saved { p.order role="status" { (w.saved) } }
        @if let Some(ms) = updated { p.muted { (t.updated) ": " (local_time(lang, ms)) } }
        @for photo in photos {
            img src=(format!("/foto/{}", photo.thumb)) alt=(values.title) width="160" style="height:auto;border-radius:.4rem";
        }
        (problem_box(t, &problem))
        (listing_form(lang, csrf, &action, values, true))
        form method="post" action=(format!("/operator/produk/{id}/hapus")) {
            input type="hidden" name="csrf" value=(csrf);
            p.muted { (w.remove_warning) }
            button type="submit" style="background:#b3261e" { (w.remove) }
        }
    }
}

/// `GET /operator/produk/{id}`.
pub(crate) async fn edit_listing_form(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Ok(id) = id.parse::<ListingId>() else {
        return not_found(lang);
    };
    let lookup = id.clone();
    let row = match state.run(move |node| node.own_listing(&lookup)).await {
        Ok(row) if row.listing.status != ListingStatus::Removed => row,
        Ok(_) | Err(NodeError::NoSuchListing(_)) => return not_found(lang),
        Err(error) => return internal(lang, &error),
    };
    let values = ListingForm::from_row(&row);
    let t = i18n::texts(lang);
    let body = edit_page(
        lang,
        &csrf,
        &id,
        &values,
        None,
        query.contains_key("tersimpan"),
        Some(row.listing.updated_at_ms),
        &row.listing.photos,
    );
    html_page(StatusCode::OK, page(t, &values.title, "/operator", body))
}

/// `POST /operator/produk/{id}`.
pub(crate) async fn update_listing(
    State(state): State<AppState>,
    session: OperatorSession,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let csrf = session.csrf.clone();
    let Ok(id) = id.parse::<ListingId>() else {
        return not_found(lang);
    };
    let form: Upload<ListingForm> = match read_upload(multipart, lang).await {
        Ok(read) => read,
        Err(problem) => {
            // Nothing typed could be read: show the listing as it is stored, so a
            // second save cannot blank its fields.
            let lookup = id.clone();
            let values = match state.run(move |node| node.own_listing(&lookup)).await {
                Ok(row) => ListingForm::from_row(&row),
                Err(_) => return not_found(lang),
            };
            return form_problem(lang, &csrf, Some(&id), &values, problem);
        }
    };
    if !session.csrf_matches(&form.csrf) {
        return expired(lang);
    }
    let (values, upload) = (form.fields, form.photo);
    let (price_idr, stock) = match values.numbers() {
        Ok(numbers) => numbers,
        Err(e) => {
            return form_problem(lang, &csrf, Some(&id), &values, field_error(lang, &e));
        }
    };
    let mut patch = ListingPatch {
        lang: None,
        title: Some(values.title.clone()),
        description: Some(values.description.clone()),
        category: Some(values.category.clone()),
        price_idr: Some(price_idr),
        stock: Some(stock),
        unit: Some(values.unit.clone()),
        producer: Some(values.producer.clone()),
        producer_village: None,
        status: Some(
            if values.status == "hidden" {
                "hidden"
            } else {
                "active"
            }
            .to_owned(),
        ),
        photos: None,
    };
    // Check everything typed, and that the listing can still be changed, before
    // keeping a photo: a refused form stores nothing.
    if let Err(e) = patch.validate() {
        return form_problem(lang, &csrf, Some(&id), &values, field_error(lang, &e));
    }
    let lookup = id.clone();
    match state.run(move |node| node.own_listing(&lookup)).await {
        Ok(row) if row.listing.status != ListingStatus::Removed => {}
        Ok(_) | Err(NodeError::NoSuchListing(_)) => return not_found(lang),
        Err(error) => return internal(lang, &error),
    }
    // A new upload replaces the photo; the checkbox removes it.
    patch.photos = match store_upload(&state, upload).await {
        Ok(Some(photo)) => Some(vec![photo]),
        Ok(None) if values.remove_photo.is_some() => Some(Vec::new()),
        Ok(None) => None,
        Err(problem) => {
            return form_problem(
                lang,
                &csrf,
                Some(&id),
                &values,
                problem_text(lang, &problem),
            );
        }
    };
    let target = id.clone();
    match state
        .run(move |node| node.update_listing(&target, &patch))
        .await
    {
        Ok(_) => {
            no_store(Redirect::to(&format!("/operator/produk/{id}?tersimpan=1")).into_response())
        }
        Err(NodeError::Invalid(e)) => {
            form_problem(lang, &csrf, Some(&id), &values, field_error(lang, &e))
        }
        Err(NodeError::NoSuchListing(_) | NodeError::Removed(_)) => not_found(lang),
        Err(error) => internal(lang, &error),
    }
}

/// `POST /operator/produk/{id}/hapus`.
pub(crate) async fn remove_listing(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { lang, .. }: CsrfForm<NoFields>,
) -> Response {
    let Ok(id) = id.parse::<ListingId>() else {
        return not_found(lang);
    };
    match state.run(move |node| node.remove_listing(&id)).await {
        Ok(_) => no_store(Redirect::to("/operator").into_response()),
        Err(NodeError::NoSuchListing(_) | NodeError::Removed(_)) => not_found(lang),
        Err(error) => internal(lang, &error),
    }
}
