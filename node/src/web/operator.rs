//! The operator's pages behind a login: module wiring and what every page
//! shares (the frame, the menu, the error pages). One file per page: the
//! dashboard, listings (add, edit, hide, remove), the center profile, the
//! network (peers, sync, trust, blocklist), login, what buyers searched for
//! ([`demand`]); orders between centers and fee accounting live in [`orders`].
//!
//! Sessions, the CSRF token and the limit on wrong passwords are in
//! [`crate::server::session`]: a handler takes [`OperatorSession`] (GET pages)
//! or [`CsrfForm<T>`] (form posts) and never sees a request without a live
//! session. Page words are in [`super::i18n::operator`].

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use telecenter_protocol::catalog::Lang;

use super::i18n::{self, Texts};
use super::{page, page_lang};
use crate::node::NodeError;
use crate::server::AppState;
use crate::server::session::OperatorSession;

pub(crate) mod card;
mod dashboard;
mod demand;
mod downloads;
mod form;
mod import;
mod listings;
mod login;
pub(crate) mod menu_count;
mod network;
mod orders;
mod password;
mod producers;
mod profile;
mod requests;
mod sales;
mod upload;

pub(crate) use form::{CsrfForm, NoFields};

// The orders pages import these from here.
pub(crate) use super::i18n::operator::{field_error, words};
pub(crate) use crate::server::session::no_store;

pub(super) use card::card;
pub(super) use dashboard::dashboard;
pub(super) use demand::{demand_csv, demand_page};
pub(super) use import::{
    export_csv_file, export_xlsx_file, import_apply, import_form, import_preview,
    upload_limit as sheet_upload_limit,
};
pub(super) use listings::{
    create_listing, edit_listing_form, new_listing_form, remove_listing, update_listing,
};
pub(super) use login::{login, login_form, logout};
pub(super) use network::{add_peer, decide, network, sync_now};
pub(super) use orders::{
    answer_payment, deliver_now, fee_csv, fee_report, fee_xlsx, order_page, order_step,
    orders_list, place_form, place_order, record_payment, settlements, statement, statement_file,
};
pub(super) use password::{change_password, password_form};
pub(super) use producers::{
    add_producer, edit_producer, link_listing, producer_page, producers_page, record_payout,
    statement_download, statement_xlsx,
};
pub(super) use profile::{profile_form, save_profile};
pub(super) use requests::{request_decline, request_sell, request_show, requests_list};
pub(super) use sales::{sales_download, sales_page, sales_xlsx};

/// Whether the request carries a live operator session: public pages use it to
/// add operator-only links (never operator data).
pub(super) fn signed_in(state: &AppState, headers: &HeaderMap) -> bool {
    OperatorSession::of(state, headers).is_some()
}

/// The address of the producers' pages.
const PRODUCERS_PATH: &str = "/operator/produsen";
/// The address of the sales report.
const SALES_PATH: &str = "/operator/penjualan";

/// An operator page: the page frame around `body`, answered with `status`.
fn frame(lang: Lang, status: StatusCode, title: &str, body: Markup) -> Response {
    html_page(status, page(i18n::texts(lang), title, "/operator", body))
}

fn html_page(status: StatusCode, markup: Markup) -> Response {
    no_store((status, markup).into_response())
}

fn lang(headers: &HeaderMap) -> Lang {
    page_lang(None, headers).0
}

/// What every operator page needs: the logged-in session's CSRF token and the
/// page language; without a session the request goes to the login page.
pub(crate) struct OperatorPage {
    /// The session's CSRF token, for the forms on the page.
    pub csrf: String,
    /// The page language.
    pub lang: Lang,
}

impl axum::extract::FromRequestParts<crate::server::AppState> for OperatorPage {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &crate::server::AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = crate::server::OperatorSession::from_request_parts(parts, state).await?;
        Ok(OperatorPage {
            csrf: session.csrf,
            lang: lang(&parts.headers),
        })
    }
}

/// The language of an operator page (the language cookie, else the browser's
/// `Accept-Language`), as an extractor that never refuses.
pub(crate) struct PageLang(pub Lang);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(PageLang(lang(&parts.headers)))
    }
}

fn operator_nav(t: &Texts, csrf: &str) -> Markup {
    let lang = if t.html_lang == "en" {
        Lang::En
    } else {
        Lang::Id
    };
    let [listings, orders, fees, demand, profile, network, logout] = words(lang).nav;
    html! {
        nav.pager aria-label="operator" {
            a href="/operator" { (listings) }
            a href="/operator/pesanan" { (orders) }
            a href="/operator/permintaan-pembeli" {
                (super::i18n::requests::words(lang).menu)
                @if let Some(waiting) = menu_count::open_requests().filter(|n| *n > 0) {
                    " " span.badge title=(super::i18n::requests::words(lang).waiting_badge) { (waiting) }
                }
            }
            a href="/operator/biaya" { (fees) }
            a href="/operator/permintaan" { (demand) }
            a href="/operator/produsen" { (i18n::producers::producer_words(lang).nav) }
            a href="/operator/profil" { (profile) }
            a href="/operator/jaringan" { (network) }
            a href="/operator/kartu" { (i18n::center::center_words(lang).menu_card) }
            a href="/operator/sandi" { (i18n::center::center_words(lang).menu_password) }
            form method="post" action="/operator/keluar" style="display:inline" {
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { (logout) }
            }
        }
    }
}

fn problem_box(t: &Texts, problem: &Option<String>) -> Markup {
    html! {
        @if let Some(problem) = problem {
            div.error role="alert" { strong { (t.input_problem) } p { (problem) } }
        }
    }
}

fn internal(lang: Lang, error: &NodeError) -> Response {
    tracing::error!(%error, "operator page failed");
    let t = i18n::texts(lang);
    html_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        page(t, "500", "/", html! { h1 { "500" } }),
    )
}

fn expired(lang: Lang) -> Response {
    let t = i18n::texts(lang);
    let w = words(lang);
    html_page(
        StatusCode::FORBIDDEN,
        page(
            t,
            w.bad_form,
            "/operator",
            html! { div.error role="alert" { p { (w.bad_form) } } },
        ),
    )
}

fn not_found(lang: Lang) -> Response {
    let t = i18n::texts(lang);
    html_page(
        StatusCode::NOT_FOUND,
        page(
            t,
            t.not_found,
            "/operator",
            html! { h1 { (t.not_found) } p { a href="/operator" { (t.back_home) } } },
        ),
    )
}

#[cfg(test)]
mod tests;
