//! The login page and logging out (`/operator/masuk`, `/operator/keluar`); the
//! sessions and the limit on wrong passwords live in [`crate::server`].

use axum::Form;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::{html_page, i18n, lang, page, words};
use crate::server::AppState;
use crate::server::gate::Client;
use crate::server::session::{
    LOGIN_PATH, OperatorSession, cleared_cookie, no_store, session_cookie, to_login,
};
use crate::web::operator::PageLang;
use telecenter_protocol::catalog::Lang;

/// The login form.
#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct LoginFields {
    password: String,
}

/// The logout form: only its CSRF token.
#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct LogoutFields {
    csrf: String,
}

fn too_many(lang: Lang, wait_ms: i64) -> Response {
    let mut response = login_page(
        lang,
        StatusCode::TOO_MANY_REQUESTS,
        Some(words(lang).too_many),
    );
    let seconds = (wait_ms + 999) / 1000;
    if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn login_page(lang: Lang, status: StatusCode, problem: Option<&str>) -> Response {
    let t = i18n::texts(lang);
    let w = words(lang);
    let body = html! {
        h1 { (w.login) }
        @if let Some(problem) = problem { div.error role="alert" { p { (problem) } } }
        form method="post" action=(LOGIN_PATH) {
            label for="password" { (w.password) }
            input #password type="password" name="password" autocomplete="current-password" required;
            p { button type="submit" { (w.login) } }
        }
    };
    html_page(status, page(t, w.login, LOGIN_PATH, body))
}

/// `GET /operator/masuk`.
pub(crate) async fn login_form(
    State(state): State<AppState>,
    session: Option<OperatorSession>,
    PageLang(lang): PageLang,
) -> Response {
    if session.is_some() {
        return no_store(Redirect::to("/operator").into_response());
    }
    let problem = (!state.operator.has_password()).then_some(words(lang).no_password);
    login_page(lang, StatusCode::OK, problem)
}

/// `POST /operator/masuk`.
pub(crate) async fn login(
    State(state): State<AppState>,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
    Form(form): Form<LoginFields>,
) -> Response {
    let lang = lang(&headers);
    let w = words(lang);
    let now = state.node.clock().now_ms();
    let limiter = &state.operator.login;
    if let Err(wait_ms) = limiter.check(client.ip, now) {
        return too_many(lang, wait_ms);
    }
    let Some(ok) = limiter
        .check_password(client.ip, now, state.operator.clone(), form.password)
        .await
    else {
        return too_many(lang, 1_000);
    };
    if ok {
        limiter.succeeded(client.ip, now);
    } else {
        limiter.failed(client.ip, now);
        let problem = if state.operator.has_password() {
            w.wrong_password
        } else {
            w.no_password
        };
        return login_page(lang, StatusCode::UNAUTHORIZED, Some(problem));
    }
    let token = state.operator.start(&state.node, now);
    let mut response = Redirect::to("/operator").into_response();
    if let Some(value) = session_cookie(&state, client.tls, &token) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    no_store(response)
}

/// `POST /operator/keluar`.
pub(crate) async fn logout(
    State(state): State<AppState>,
    Extension(client): Extension<Client>,
    session: Option<OperatorSession>,
    Form(form): Form<LogoutFields>,
) -> Response {
    if let Some(session) = session
        && session.csrf_matches(&form.csrf)
    {
        state.operator.end(&session.token);
    }
    let mut response = to_login();
    if let Some(value) = cleared_cookie(&state, client.tls) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
