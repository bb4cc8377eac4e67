//! Logging in and out of the operator pages, and the limit on wrong passwords.
//!
//! Wrong passwords are counted per client address (IPv6 per /64; behind a reverse
//! proxy on the same computer, the address the proxy names): the first
//! [`FREE_FAILURES`] cost nothing, then each wrong password doubles the wait before
//! the next try from that address (1 s, 2 s, 4 s, ... up to [`BACKOFF_MAX_MS`]). So a
//! stranger guessing passwords never locks out the operator, who logs in from
//! another address. A right password clears the address's count. At most
//! [`VERIFICATIONS_AT_ONCE`] password checks run at once (argon2 is costly on purpose).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::Form;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::{
    SESSION_COOKIE, SESSION_MS, Session, csrf_ok, html_page, i18n, lang, no_store, page,
    random_token, session, to_login, verify_password, words,
};
use crate::http::AppState;
use crate::http::gate::Client;
use telecenter_protocol::catalog::Lang;

/// Wrong passwords from one address before the back-off starts.
pub const FREE_FAILURES: u32 = 5;
/// Longest wait imposed on an address after wrong passwords, in ms.
pub const BACKOFF_MAX_MS: i64 = 15 * 60 * 1000;
/// An address's count is forgotten after this long without a wrong password, in ms.
const FORGET_AFTER_MS: i64 = 60 * 60 * 1000;
/// Most addresses remembered; beyond, the one quiet longest is forgotten.
const CLIENTS_MAX: usize = 10_000;
/// Password checks running at once.
pub const VERIFICATIONS_AT_ONCE: usize = 2;

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    last_ms: i64,
    blocked_until_ms: i64,
}

/// Wrong passwords per client address.
pub(crate) struct LoginLimiter {
    clients: Mutex<HashMap<Option<IpAddr>, Failures>>,
    pub(super) verifying: Arc<tokio::sync::Semaphore>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self {
            clients: Mutex::default(),
            verifying: Arc::new(tokio::sync::Semaphore::new(VERIFICATIONS_AT_ONCE)),
        }
    }
}

fn key(ip: Option<IpAddr>) -> Option<IpAddr> {
    ip.map(crate::http::server::address_group)
}

impl LoginLimiter {
    /// `Err(ms to wait)` while `ip` must wait before its next try.
    pub(crate) fn check(&self, ip: Option<IpAddr>, now_ms: i64) -> Result<(), i64> {
        let clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        match clients.get(&key(ip)) {
            Some(f) if f.blocked_until_ms > now_ms => Err(f.blocked_until_ms - now_ms),
            _ => Ok(()),
        }
    }

    /// Counts a wrong password from `ip`.
    pub(crate) fn failed(&self, ip: Option<IpAddr>, now_ms: i64) {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() >= CLIENTS_MAX && !clients.contains_key(&key(ip)) {
            clients
                .retain(|_, f| now_ms - f.last_ms < FORGET_AFTER_MS || f.blocked_until_ms > now_ms);
            if clients.len() >= CLIENTS_MAX
                && let Some(oldest) = clients
                    .iter()
                    .min_by_key(|(_, f)| f.last_ms)
                    .map(|(k, _)| *k)
            {
                clients.remove(&oldest);
            }
        }
        let entry = clients.entry(key(ip)).or_insert(Failures {
            count: 0,
            last_ms: now_ms,
            blocked_until_ms: 0,
        });
        if now_ms - entry.last_ms >= FORGET_AFTER_MS {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last_ms = now_ms;
        if entry.count > FREE_FAILURES {
            let doublings = (entry.count - FREE_FAILURES - 1).min(20);
            entry.blocked_until_ms = now_ms + (1_000i64 << doublings).min(BACKOFF_MAX_MS);
        }
    }

    /// A right password from `ip`: its count is cleared.
    pub(crate) fn succeeded(&self, ip: Option<IpAddr>) {
        self.clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key(ip));
    }
}

/// `; Secure` when the operator reaches this node over HTTPS.
fn secure(state: &AppState, client: &Client) -> &'static str {
    if client.tls || state.operator.secure_cookies {
        "; Secure"
    } else {
        ""
    }
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
        form method="post" action="/operator/masuk" {
            label for="password" { (w.password) }
            input #password type="password" name="password" autocomplete="current-password" required;
            p { button type="submit" { (w.login) } }
        }
    };
    html_page(status, page(t, w.login, "/operator/masuk", body))
}

/// `GET /operator/masuk`.
pub(crate) async fn login_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = lang(&headers);
    if session(&state, &headers).is_some() {
        return no_store(Redirect::to("/operator").into_response());
    }
    let problem = state
        .operator
        .password_file
        .as_ref()
        .is_none_or(|p| !p.exists())
        .then_some(words(lang).no_password);
    login_page(lang, StatusCode::OK, problem)
}

/// `POST /operator/masuk`.
pub(crate) async fn login(
    State(state): State<AppState>,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers);
    let w = words(lang);
    let now = state.node.clock().now_ms();
    let limiter = &state.operator.login;
    if let Err(wait_ms) = limiter.check(client.ip, now) {
        return too_many(lang, wait_ms);
    }
    // Argon2 takes tens of ms and ~19 MiB per check: only a few at once.
    let Ok(_slot) = limiter.verifying.clone().try_acquire_owned() else {
        return too_many(lang, 1_000);
    };
    let password = form.get("password").cloned().unwrap_or_default();
    let operator = state.operator.clone();
    let ok = tokio::task::spawn_blocking(move || verify_password(&operator, &password))
        .await
        .unwrap_or(false);
    if ok {
        limiter.succeeded(client.ip);
    } else {
        limiter.failed(client.ip, now);
        let problem = if state
            .operator
            .password_file
            .as_ref()
            .is_some_and(|p| p.exists())
        {
            w.wrong_password
        } else {
            w.no_password
        };
        return login_page(lang, StatusCode::UNAUTHORIZED, Some(problem));
    }
    let token = random_token();
    state
        .operator
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(
            token.clone(),
            Session {
                csrf: random_token(),
                expires_ms: now + SESSION_MS,
            },
        );
    let mut response = Redirect::to("/operator").into_response();
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_MS / 1000,
        secure(&state, &client)
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    no_store(response)
}

/// `POST /operator/keluar`.
pub(crate) async fn logout(
    State(state): State<AppState>,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some((token, csrf)) = session(&state, &headers)
        && csrf_ok(&csrf, &form)
    {
        state
            .operator
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&token);
    }
    let mut response = to_login();
    let cookie = format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure(&state, &client)
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
