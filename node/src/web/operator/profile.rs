//! The center profile page (`/operator/profil`): name, region, contact,
//! WhatsApp number, the referral fee terms (percent and smallest fee), the
//! node address other centers reach, and the address buyers' links point to
//! (`public_url`, kept in `config.toml`, used at once). Every field is checked
//! on its own so all problems show at once, with what was typed kept.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use telecenter_protocol::address::NodeAddress;
use telecenter_protocol::catalog::Lang;
use telecenter_protocol::catalog::input::ProfileInput;
use telecenter_protocol::fee::{parse_percent, percent_text};
use telecenter_protocol::limits::{ADDRESS_CHARS_MAX, PHONE_CHARS_MAX};

use super::{
    CsrfForm, field_error, html_page, i18n, internal, no_store, operator_nav, page, words,
};
use crate::node::NodeError;
use crate::server::AppState;
use crate::web::i18n::center::{
    address_error, center_words, fee_error, fee_min_error, public_url_error, public_url_not_saved,
};
use crate::web::operator::OperatorPage;

/// The profile form as typed (a missing field is left out of the change).
#[derive(Default, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct ProfileFields {
    name: Option<String>,
    region: Option<String>,
    contact: Option<String>,
    whatsapp: Option<String>,
    /// Referral fee in percent as typed (`3`, `2,5`); empty: 0.
    fee: Option<String>,
    /// Smallest referral fee in rupiah as typed (`1.000`); empty: 0.
    fee_min: Option<String>,
    /// The node address; empty clears it.
    alamat: Option<String>,
    /// The address for buyers' links (`public_url`); empty clears it.
    public_url: Option<String>,
}

/// What a valid profile form asks for.
struct ProfileChange {
    /// The change to the signed profile.
    input: ProfileInput,
    /// The new `public_url` (`Some(None)`: clear it); `None`: not on the form.
    public_url: Option<Option<NodeAddress>>,
}

/// Rupiah as typed on the form, without `Rp `: `1.000`.
fn rupiah_digits(amount: i64) -> String {
    crate::money::format_rupiah(amount)
        .trim_start_matches("Rp ")
        .to_owned()
}

impl ProfileFields {
    /// The change these fields ask for, or every problem found (each field is
    /// checked on its own, by the same rules the node applies).
    fn check(&self, lang: Lang) -> Result<ProfileChange, Vec<String>> {
        let mut problems = Vec::new();
        let mut input = ProfileInput {
            name: self.name.clone(),
            region: self.region.clone(),
            contact: self.contact.clone(),
            whatsapp: self.whatsapp.clone(),
            ..Default::default()
        };
        let singles = [
            ProfileInput {
                name: input.name.clone(),
                ..Default::default()
            },
            ProfileInput {
                region: input.region.clone(),
                ..Default::default()
            },
            ProfileInput {
                contact: input.contact.clone(),
                ..Default::default()
            },
            ProfileInput {
                whatsapp: input.whatsapp.clone(),
                ..Default::default()
            },
        ];
        for single in singles {
            if let Err(e) = single.validate() {
                problems.push(field_error(lang, &e));
            }
        }
        if let Some(typed) = &self.fee {
            match typed.trim() {
                "" => input.referral_fee_bp = Some(0),
                text => match parse_percent(text) {
                    Ok(bp) => input.referral_fee_bp = Some(bp),
                    Err(_) => problems.push(fee_error(lang, typed)),
                },
            }
        }
        if let Some(typed) = &self.fee_min {
            let amount = match typed.trim() {
                "" => Ok(0),
                text => crate::money::parse_rupiah_max(
                    "referral_fee_min",
                    text,
                    telecenter_protocol::limits::FEE_MIN_IDR_MAX,
                ),
            };
            let checked = amount.ok().filter(|min| {
                ProfileInput {
                    referral_fee_min_idr: Some(*min),
                    ..Default::default()
                }
                .validate()
                .is_ok()
            });
            match checked {
                Some(min) => input.referral_fee_min_idr = Some(min),
                None => problems.push(fee_min_error(lang, typed)),
            }
        }
        if let Some(typed) = &self.alamat {
            let address = Some(typed.trim().to_owned());
            let single = ProfileInput {
                address: address.clone(),
                ..Default::default()
            };
            match single.validate() {
                Ok(_) => input.address = address,
                Err(_) => problems.push(address_error(lang, typed)),
            }
        }
        let mut public_url = None;
        if let Some(typed) = &self.public_url {
            match typed.trim() {
                "" => public_url = Some(None),
                text => match NodeAddress::parse(text) {
                    Ok(address) => public_url = Some(Some(address)),
                    Err(_) => problems.push(public_url_error(lang, typed)),
                },
            }
        }
        if problems.is_empty() {
            Ok(ProfileChange { input, public_url })
        } else {
            Err(problems)
        }
    }
}

fn profile_page(
    lang: Lang,
    csrf: &str,
    values: &ProfileFields,
    problems: &[String],
    saved: bool,
) -> Markup {
    let (t, w, c) = (i18n::texts(lang), words(lang), center_words(lang));
    let get = |v: &Option<String>| v.clone().unwrap_or_default();
    html! {
        (operator_nav(t, csrf))
        h1 { (w.profile) }
        @if saved { p.order role="status" { (w.saved) } }
        @if !problems.is_empty() {
            div.error role="alert" {
                strong { (t.input_problem) }
                ul { @for problem in problems { li { (problem) } } }
            }
        }
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
            h2 { (c.fees_heading) }
            label for="fee" { (c.fee) }
            input #fee name="fee" inputmode="decimal" value=(get(&values.fee)) maxlength="10"
                aria-describedby="fee-hint";
            p.muted #fee-hint { (c.fee_hint) }
            label for="fee-min" { (c.fee_min) }
            input #fee-min name="fee_min" inputmode="numeric" value=(get(&values.fee_min))
                maxlength="20" aria-describedby="fee-min-hint";
            p.muted #fee-min-hint { (c.fee_min_hint) }
            label for="alamat" { (c.address) }
            input #alamat name="alamat" type="url" value=(get(&values.alamat))
                maxlength=(ADDRESS_CHARS_MAX) placeholder="http://192.168.1.20:8470"
                aria-describedby="alamat-hint";
            p.muted #alamat-hint { (c.address_hint) }
            label for="public-url" { (c.public_url) }
            input #public-url name="public_url" type="url" value=(get(&values.public_url))
                maxlength=(ADDRESS_CHARS_MAX) placeholder="https://toko.example"
                aria-describedby="public-url-hint";
            p.muted #public-url-hint { (c.public_url_hint) }
            p { button #simpan-profil type="submit" { (w.save) } }
        }
    }
}

fn render(
    lang: Lang,
    csrf: &str,
    status: StatusCode,
    values: &ProfileFields,
    problems: &[String],
    saved: bool,
) -> Response {
    let t = i18n::texts(lang);
    html_page(
        status,
        page(
            t,
            words(lang).profile,
            "/operator",
            profile_page(lang, csrf, values, problems, saved),
        ),
    )
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
    let values = ProfileFields {
        name: Some(profile.name),
        region: Some(profile.region),
        contact: Some(profile.contact),
        whatsapp: Some(profile.whatsapp.unwrap_or_default()),
        fee: Some(percent_text(profile.fees.referral_bp)),
        fee_min: Some(rupiah_digits(profile.fees.min_idr)),
        alamat: Some(profile.address.unwrap_or_default()),
        public_url: Some(state.public_url.get().as_deref().unwrap_or("").to_owned()),
    };
    let saved = query.contains_key("tersimpan");
    render(lang, &csrf, StatusCode::OK, &values, &[], saved)
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
    let ProfileChange { input, public_url } = match fields.check(lang) {
        Ok(change) => change,
        Err(problems) => {
            return render(
                lang,
                &csrf,
                StatusCode::BAD_REQUEST,
                &fields,
                &problems,
                false,
            );
        }
    };
    match state.run(move |node| node.set_profile(&input)).await {
        Ok(_) | Err(NodeError::NoChange) => {
            let changed = public_url.filter(|url| {
                url.as_ref().map(NodeAddress::as_str) != state.public_url.get().as_deref()
            });
            if let Some(url) = changed {
                let live = state.public_url.clone();
                let saved = tokio::task::spawn_blocking(move || live.set(url.as_ref())).await;
                let failure = match saved {
                    Ok(Ok(())) => None,
                    Ok(Err(error)) => Some(error.to_string()),
                    Err(error) => Some(error.to_string()),
                };
                if let Some(error) = failure {
                    tracing::error!(%error, "public_url not saved");
                    let problems = [public_url_not_saved(lang, &error)];
                    return render(
                        lang,
                        &csrf,
                        StatusCode::INTERNAL_SERVER_ERROR,
                        &fields,
                        &problems,
                        false,
                    );
                }
            }
            no_store(Redirect::to("/operator/profil?tersimpan=1").into_response())
        }
        Err(NodeError::Invalid(e)) => {
            let problems = [field_error(lang, &e)];
            render(
                lang,
                &csrf,
                StatusCode::BAD_REQUEST,
                &fields,
                &problems,
                false,
            )
        }
        Err(error) => internal(lang, &error),
    }
}
