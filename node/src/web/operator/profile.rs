//! The center profile page (`/operator/profil`): name, region, contact and
//! WhatsApp number.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use telecenter_protocol::catalog::Lang;
use telecenter_protocol::catalog::input::ProfileInput;
use telecenter_protocol::limits::PHONE_CHARS_MAX;

use super::{
    CsrfForm, field_error, html_page, i18n, internal, no_store, operator_nav, page, problem_box,
    words,
};
use crate::node::NodeError;
use crate::server::AppState;
use crate::web::operator::OperatorPage;

/// The profile form (a missing field is left out of the change).
#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct ProfileFields {
    name: Option<String>,
    region: Option<String>,
    contact: Option<String>,
    whatsapp: Option<String>,
}

fn profile_page(
    lang: Lang,
    csrf: &str,
    values: &ProfileInput,
    problem: Option<String>,
    saved: bool,
) -> Markup {
    let (t, w) = (i18n::texts(lang), words(lang));
    let get = |v: &Option<String>| v.clone().unwrap_or_default();
    html! {
        (operator_nav(t, csrf))
        h1 { (w.profile) }
        @if saved { p.order role="status" { (w.saved) } }
        (problem_box(t, &problem))
        form method="post" action="/operator/profil" {
            input type="hidden" name="csrf" value=(csrf);
            label for="name" { (w.name) }
            input #name name="name" value=(get(&values.name)) required maxlength="100";
            label for="region" { (w.region) }
            input #region name="region" value=(get(&values.region)) required maxlength="100";
            label for="contact" { (w.contact) }
            input #contact name="contact" value=(get(&values.contact)) maxlength="200";
            label for="whatsapp" { (w.whatsapp) }
            input #whatsapp name="whatsapp" type="tel" inputmode="tel" autocomplete="tel"
                value=(get(&values.whatsapp)) maxlength=(PHONE_CHARS_MAX);
            p.muted { (w.whatsapp_hint) }
            p { button type="submit" { (w.save) } }
        }
    }
}

/// `GET /operator/profil`.
pub(crate) async fn profile_form(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let profile = match state.run(|node| node.profile()).await {
        Ok(profile) => profile,
        Err(error) => return internal(lang, &error),
    };
    let values = ProfileInput {
        name: Some(profile.name),
        region: Some(profile.region),
        contact: Some(profile.contact),
        whatsapp: Some(profile.whatsapp.unwrap_or_default()),
        ..Default::default()
    };
    let t = i18n::texts(lang);
    html_page(
        StatusCode::OK,
        page(
            t,
            words(lang).profile,
            "/operator",
            profile_page(lang, &csrf, &values, None, query.contains_key("tersimpan")),
        ),
    )
}

/// `POST /operator/profil`.
pub(crate) async fn save_profile(
    State(state): State<AppState>,
    CsrfForm {
        session,
        lang,
        fields,
    }: CsrfForm<ProfileFields>,
) -> Response {
    let csrf = session.csrf;
    let values = ProfileInput {
        name: fields.name,
        region: fields.region,
        contact: fields.contact,
        whatsapp: fields.whatsapp,
        ..Default::default()
    };
    let input = values.clone();
    match state.run(move |node| node.set_profile(&input)).await {
        Ok(_) | Err(NodeError::NoChange) => {
            no_store(Redirect::to("/operator/profil?tersimpan=1").into_response())
        }
        Err(NodeError::Invalid(e)) => {
            let t = i18n::texts(lang);
            html_page(
                StatusCode::BAD_REQUEST,
                page(
                    t,
                    words(lang).profile,
                    "/operator",
                    profile_page(lang, &csrf, &values, Some(field_error(lang, &e)), false),
                ),
            )
        }
        Err(error) => internal(lang, &error),
    }
}
