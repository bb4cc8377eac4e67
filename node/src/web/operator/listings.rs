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
use telecenter_protocol::catalog::is_image_hash;
use telecenter_protocol::catalog::{Category, Lang, ListingStatus, Photo};
use telecenter_protocol::limits::STOCK_MAX;
use telecenter_protocol::text::parse_whole;

use base64::Engine as _;

use super::i18n::forms;
use super::i18n::operator::photo_error;
use super::upload::{Upload, read_upload, store_upload};
use super::{
    CsrfForm, NoFields, expired, field_error, html_page, i18n, internal, no_store, not_found,
    operator_nav, page, words,
};
use crate::money::{format_whole, parse_rupiah};
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
    /// The "free (price Rp 0)" checkbox: present when ticked.
    free: Option<String>,
    /// A photo stored when the form was last posted with an error
    /// (`{thumb}.{medium}`), kept so the operator need not choose it again.
    kept_photo: String,
    /// The "do not use this photo" checkbox under a kept photo.
    drop_kept: Option<String>,
}

/// The problems of a posted form: (form field, what is wrong), in form order;
/// the field `""` is the form as a whole.
type Problems = Vec<(&'static str, String)>;

/// The form field an input check's field belongs to.
fn form_field(field: &'static str) -> &'static str {
    match field {
        "price_idr" => "price",
        "photos" => "photo",
        other => other,
    }
}

impl ListingForm {
    fn from_row(row: &ListingRow) -> Self {
        let l = &row.listing;
        Self {
            title: l.title.id.clone(),
            description: l.description.id.clone(),
            category: l.category.slug().to_owned(),
            price: format_whole(l.price_idr),
            stock: format_whole(l.stock),
            unit: l.unit.clone(),
            producer: l.producer.clone(),
            status: l.status.word().to_owned(),
            free: (l.price_idr == 0).then(|| "1".to_owned()),
            ..Self::default()
        }
    }

    /// Reads and checks every field: the listing as typed (numbers that could
    /// not be read count as 0) and every problem at once.
    fn check(&self, lang: Lang) -> (NewListing, Problems) {
        let mut problems = Problems::new();
        let price_idr = match parse_rupiah("price_idr", &self.price) {
            Ok(0) if self.free.is_none() => {
                problems.push(("price", forms::words(lang).price_zero.to_owned()));
                0
            }
            Ok(price) => price,
            Err(e) => {
                problems.push(("price", field_error(lang, &e)));
                0
            }
        };
        let stock = parse_whole("stock", &self.stock, STOCK_MAX).unwrap_or_else(|e| {
            problems.push(("stock", field_error(lang, &e)));
            0
        });
        let input = NewListing {
            title: self.title.clone(),
            description: self.description.clone(),
            lang: None,
            category: self.category.clone(),
            price_idr,
            stock,
            unit: Some(self.unit.clone()).filter(|u| !u.trim().is_empty()),
            producer: Some(self.producer.clone()),
            producer_village: None,
            photos: Vec::new(),
        };
        for e in input.problems() {
            let field = form_field(e.field);
            if !problems.iter().any(|(f, _)| *f == field) {
                problems.push((field, field_error(lang, &e)));
            }
        }
        (input, problems)
    }
}

/// What the form shows about photos: the listing's current photo (edit form)
/// and a photo kept across an error, as (its `kept_photo` value, a `data:` URL
/// of its thumbnail).
#[derive(Default)]
struct PhotoView<'a> {
    current: &'a [Photo],
    kept: Option<(String, String)>,
}

/// The problem of `field`, next to it.
fn field_problem(problems: &Problems, field: &str) -> Markup {
    html! {
        @for (_, problem) in problems.iter().filter(|(f, _)| *f == field) {
            p.field-error id=(format!("salah-{field}")) { (problem) }
        }
    }
}

fn listing_form(
    lang: Lang,
    csrf: &str,
    action: &str,
    values: &ListingForm,
    editing: bool,
    problems: &Problems,
    photos: &PhotoView,
) -> Markup {
    let (w, f) = (words(lang), forms::words(lang));
    html! {
        form method="post" action=(action) enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(csrf);
            label for="title" { (w.title) }
            (field_problem(problems, "title"))
            input #title name="title" value=(values.title) required maxlength="120";
            label for="category" { (w.category) }
            (field_problem(problems, "category"))
            select #category name="category" required {
                @for category in Category::ALL {
                    option value=(category.slug()) selected[values.category == category.slug()] { (category.label(lang)) }
                }
            }
            label for="price" { (w.price) }
            (field_problem(problems, "price"))
            input #price name="price" inputmode="numeric" value=(values.price) required;
            label.choice { input type="checkbox" name="free" value="1" checked[values.free.is_some()]; span { (f.free) } }
            label for="stock" { (w.stock) }
            (field_problem(problems, "stock"))
            input #stock name="stock" inputmode="numeric" value=(values.stock) required;
            label for="unit" { (w.unit) }
            (field_problem(problems, "unit"))
            input #unit name="unit" value=(values.unit) maxlength="24";
            label for="producer" { (w.producer) }
            (field_problem(problems, "producer"))
            input #producer name="producer" value=(values.producer) maxlength="120";
            label for="description" { (w.description) }
            (field_problem(problems, "description"))
            textarea #description name="description" rows="5" maxlength="2000" { (values.description) }
            label for="photo" { (w.photo) }
            (field_problem(problems, "photo"))
            @if let Some((token, preview)) = &photos.kept {
                div.kept-photo {
                    img src=(preview) alt="" width="160" style="height:auto;border-radius:.4rem";
                    p role="status" { (f.photo_kept) }
                    input type="hidden" name="kept_photo" value=(token);
                    label.choice { input type="checkbox" name="drop_kept" value="1"; span { (f.drop_kept) } }
                }
            }
            input #photo type="file" name="photo" accept="image/jpeg,image/png,image/webp";
            p.muted { (w.photo_hint) }
            @if editing && !photos.current.is_empty() {
                label.choice { input type="checkbox" name="remove_photo" value="1"; span { (w.remove_photo) } }
            }
            @if editing {
                fieldset {
                    legend { (w.status) }
                    label.choice { input type="radio" name="status" value="active" checked[values.status != "hidden"]; span { (w.statuses[0]) } }
                    label.choice { input type="radio" name="status" value="hidden" checked[values.status == "hidden"]; span { (w.statuses[1]) } }
                }
            }
            p { button type="submit" { (w.save) } }
        }
    }
}

/// The photo a posted form brings: a new upload (stored now, so it survives a
/// form error), else the photo kept from the last post, unless dropped.
/// `Err`: the problem in people's words.
async fn posted_photo(
    state: &AppState,
    lang: Lang,
    values: &ListingForm,
    upload: Option<Vec<u8>>,
) -> Result<Option<Photo>, String> {
    if upload.is_some() {
        return store_upload(state, upload)
            .await
            .map_err(|problem| problem_text(lang, &problem));
    }
    if values.drop_kept.is_some() || values.kept_photo.is_empty() {
        return Ok(None);
    }
    let gone = || forms::words(lang).kept_photo_gone.to_owned();
    let (thumb, medium) = values.kept_photo.split_once('.').ok_or_else(gone)?;
    if !is_image_hash(thumb) || !is_image_hash(medium) {
        return Err(gone());
    }
    let photo = Photo {
        thumb: thumb.to_owned(),
        medium: medium.to_owned(),
    };
    let lookup = photo.clone();
    let held = state
        .run(move |node| {
            Ok(node.image(&lookup.thumb)?.is_some() && node.image(&lookup.medium)?.is_some())
        })
        .await
        .unwrap_or(false);
    if held { Ok(Some(photo)) } else { Err(gone()) }
}

/// How a kept photo shows on the form again: its `kept_photo` value and its
/// thumbnail as a `data:` URL (the `/foto/` route serves only images a listing
/// names, and this one is named by none yet).
async fn kept_view(state: &AppState, photo: Option<&Photo>) -> Option<(String, String)> {
    let photo = photo?.clone();
    let thumb = photo.thumb.clone();
    let bytes = state.run(move |node| node.image(&thumb)).await.ok()??;
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    Some((
        format!("{}.{}", photo.thumb, photo.medium),
        format!("data:image/jpeg;base64,{data}"),
    ))
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
        (listing_form(lang, &csrf, "/operator/produk/baru", &values, false, &Problems::new(), &PhotoView::default()))
    };
    html_page(StatusCode::OK, page(t, w.add_product, "/operator", body))
}

/// `POST /operator/produk/baru`: every problem of the form at once; a chosen
/// photo is stored even when the form has problems, and kept for the next post.
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
            let problems = vec![("", problem)];
            return form_problem(
                lang,
                &csrf,
                None,
                &ListingForm::default(),
                &problems,
                &PhotoView::default(),
            );
        }
    };
    if !session.csrf_matches(&form.csrf) {
        return expired(lang);
    }
    let (mut values, upload) = (form.fields, form.photo);
    let (mut input, mut problems) = values.check(lang);
    let photo = match posted_photo(&state, lang, &values, upload).await {
        Ok(photo) => photo,
        Err(problem) => {
            problems.push(("photo", problem));
            None
        }
    };
    if !problems.is_empty() {
        let kept = kept_view(&state, photo.as_ref()).await;
        values.kept_photo = kept
            .as_ref()
            .map(|(token, _)| token.clone())
            .unwrap_or_default();
        let view = PhotoView { current: &[], kept };
        return form_problem(lang, &csrf, None, &values, &problems, &view);
    }
    input.photos = photo.into_iter().collect();
    match state.run(move |node| node.add_listing(&input)).await {
        Ok(row) => no_store(
            Redirect::to(&format!("/operator/produk/{}?tersimpan=1", row.listing.id))
                .into_response(),
        ),
        Err(NodeError::Invalid(e)) => {
            let problems = vec![(form_field(e.field), field_error(lang, &e))];
            form_problem(lang, &csrf, None, &values, &problems, &PhotoView::default())
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

/// The listing form again, with what was typed and every problem next to its
/// field: the edit page of listing `editing`, or the form for a new one.
fn form_problem(
    lang: Lang,
    csrf: &str,
    editing: Option<&ListingId>,
    values: &ListingForm,
    problems: &Problems,
    photos: &PhotoView,
) -> Response {
    let (t, w) = (i18n::texts(lang), words(lang));
    let body = match editing {
        Some(id) => edit_page(lang, csrf, id, values, problems, false, None, photos),
        None => html! {
            (operator_nav(t, csrf))
            h1 { (w.add_product) }
            (problems_box(lang, problems))
            (listing_form(lang, csrf, "/operator/produk/baru", values, false, problems, photos))
        },
    };
    html_page(
        StatusCode::BAD_REQUEST,
        page(t, w.add_product, "/operator", body),
    )
}

/// Above a form with problems: that there are some, and each of them.
fn problems_box(lang: Lang, problems: &Problems) -> Markup {
    let t = i18n::texts(lang);
    html! {
        @if !problems.is_empty() {
            div.error role="alert" {
                strong { (t.input_problem) }
                ul { @for (_, problem) in problems { li { (problem) } } }
                @if problems.iter().any(|(field, _)| !field.is_empty()) {
                    p { (forms::words(lang).fix_below) }
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)] // each is one piece of the page
fn edit_page(
    lang: Lang,
    csrf: &str,
    id: &ListingId,
    values: &ListingForm,
    problems: &Problems,
    saved: bool,
    updated: Option<i64>,
    photos: &PhotoView,
) -> Markup {
    let (t, w) = (i18n::texts(lang), words(lang));
    let action = format!("/operator/produk/{id}");
    html! {
        (operator_nav(t, csrf))
        h1 { (w.edit) ": " (values.title) }
        @if saved { p.order role="status" { (w.saved) } }
        @if let Some(ms) = updated { p.muted { (t.updated) ": " (local_time(lang, ms)) } }
        @for photo in photos.current {
            img src=(format!("/foto/{}", photo.thumb)) alt=(values.title) width="160" style="height:auto;border-radius:.4rem";
        }
        (problems_box(lang, problems))
        (listing_form(lang, csrf, &action, values, true, problems, photos))
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
    let view = PhotoView {
        current: &row.listing.photos,
        kept: None,
    };
    let body = edit_page(
        lang,
        &csrf,
        &id,
        &values,
        &Problems::new(),
        query.contains_key("tersimpan"),
        Some(row.listing.updated_at_ms),
        &view,
    );
    html_page(StatusCode::OK, page(t, &values.title, "/operator", body))
}

/// `POST /operator/produk/{id}`: like [`create_listing`], for a listing held here.
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
    let lookup = id.clone();
    let row = match state.run(move |node| node.own_listing(&lookup)).await {
        Ok(row) if row.listing.status != ListingStatus::Removed => row,
        Ok(_) | Err(NodeError::NoSuchListing(_)) => return not_found(lang),
        Err(error) => return internal(lang, &error),
    };
    let current = PhotoView {
        current: &row.listing.photos,
        kept: None,
    };
    let form: Upload<ListingForm> = match read_upload(multipart, lang).await {
        Ok(read) => read,
        Err(problem) => {
            // Nothing typed could be read: show the listing as it is stored, so a
            // second save cannot blank its fields.
            let values = ListingForm::from_row(&row);
            return form_problem(
                lang,
                &csrf,
                Some(&id),
                &values,
                &vec![("", problem)],
                &current,
            );
        }
    };
    if !session.csrf_matches(&form.csrf) {
        return expired(lang);
    }
    let (mut values, upload) = (form.fields, form.photo);
    let (input, mut problems) = values.check(lang);
    let photo = match posted_photo(&state, lang, &values, upload).await {
        Ok(photo) => photo,
        Err(problem) => {
            problems.push(("photo", problem));
            None
        }
    };
    if !problems.is_empty() {
        let kept = kept_view(&state, photo.as_ref()).await;
        values.kept_photo = kept
            .as_ref()
            .map(|(token, _)| token.clone())
            .unwrap_or_default();
        let view = PhotoView { kept, ..current };
        return form_problem(lang, &csrf, Some(&id), &values, &problems, &view);
    }
    // A new (or kept) photo replaces the photo; the checkbox removes it.
    let photos = match photo {
        Some(photo) => Some(vec![photo]),
        None if values.remove_photo.is_some() => Some(Vec::new()),
        None => None,
    };
    let patch = ListingPatch {
        lang: None,
        title: Some(input.title),
        description: Some(input.description),
        category: Some(input.category),
        price_idr: Some(input.price_idr),
        stock: Some(input.stock),
        unit: Some(values.unit.clone()),
        producer: input.producer,
        producer_village: None,
        status: Some(
            if values.status == "hidden" {
                "hidden"
            } else {
                "active"
            }
            .to_owned(),
        ),
        photos,
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
            let problems = vec![(form_field(e.field), field_error(lang, &e))];
            form_problem(lang, &csrf, Some(&id), &values, &problems, &current)
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
