//! Operator sessions: the in-memory session store, the session cookie, CSRF
//! tokens, and the [`OperatorSession`] extractor that lets a request through only
//! with a live session.
//!
//! One operator password per node, set with `telecenter password` and stored as
//! an argon2 hash in the data folder ([`crate::password`]). A login makes a
//! session: a random token in an `HttpOnly; SameSite=Strict` cookie, valid for
//! [`SESSION_MS`], kept in memory (a restart logs the operator out). Every form
//! carries the session's CSRF token and every POST checks it; a POST without a
//! session is sent to the login page before its body is read
//! ([`require_session`]). Wrong passwords are limited per client address with
//! back-off ([`super::login_limit`]).
//!
//! Why not `tower-sessions`: its store is async and generic, its expiry reads the
//! OS time (ours follows the injected `Clock`), and a session here is two
//! strings in one map; the cookie is one name and one attribute line, so
//! `axum-extra`'s cookie jar would add a crate without making this shorter.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use axum::extract::{FromRequestParts, OptionalFromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use subtle::ConstantTimeEq;

use super::login_limit::LoginLimiter;
use crate::node::Node;
use crate::server::AppState;

/// How long a login lasts, in ms.
pub const SESSION_MS: i64 = 12 * 60 * 60 * 1000;
/// The session cookie's name.
const SESSION_COOKIE: &str = "tc_sesi";
/// Where a request without a session is sent.
pub const LOGIN_PATH: &str = "/operator/masuk";

struct Session {
    csrf: String,
    expires_ms: i64,
}

/// Sessions and settings of the operator pages.
#[derive(Default)]
pub struct OperatorState {
    /// Where the password hash is kept; `None`: operator pages are off.
    pub password_file: Option<PathBuf>,
    sessions: Mutex<HashMap<String, Session>>,
    /// Wrong passwords per client address, and the password checks under way.
    pub(crate) login: LoginLimiter,
    /// Session cookies carry `Secure` (the node is reached over HTTPS).
    pub secure_cookies: bool,
}

impl OperatorState {
    /// Operator pages using the password hash in `password_file`.
    pub fn new(password_file: PathBuf) -> Self {
        Self {
            password_file: Some(password_file),
            ..Self::default()
        }
    }

    /// The same, with `Secure` session cookies when `secure` (the node is
    /// reached over HTTPS: it serves TLS itself or its `public_url` is https).
    pub fn with_secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = secure;
        self
    }

    /// Whether an operator password has been set.
    pub fn has_password(&self) -> bool {
        self.password_file.as_ref().is_some_and(|p| p.exists())
    }

    /// Whether `password` is the operator password (argon2: slow on purpose;
    /// call it from [`LoginLimiter::check_password`], never on an async thread).
    pub(crate) fn password_matches(&self, password: &str) -> bool {
        let Some(path) = &self.password_file else {
            return false;
        };
        let Ok(stored) = std::fs::read_to_string(path) else {
            return false;
        };
        crate::password::verify_password(&stored, password)
    }

    /// Starts a session lasting [`SESSION_MS`] from `now_ms`: its token.
    pub(crate) fn start(&self, node: &Node, now_ms: i64) -> String {
        let token = random_token(node);
        self.lock().insert(
            token.clone(),
            Session {
                csrf: random_token(node),
                expires_ms: now_ms + SESSION_MS,
            },
        );
        token
    }

    /// Ends the session `token`.
    pub(crate) fn end(&self, token: &str) {
        self.lock().remove(token);
    }

    /// Ends every session but `keep` (after a password change).
    pub(crate) fn end_others(&self, keep: &str) {
        self.lock().retain(|token, _| token == keep);
    }

    /// Stores a new password hash (written whole, readable only by its owner).
    pub(crate) fn store_hash(&self, hash: &str) -> Result<(), crate::data_dir::DataDirError> {
        match &self.password_file {
            Some(path) => crate::data_dir::write_private(path, hash),
            None => Ok(()),
        }
    }

    /// The live session `token` at `now_ms` (expired ones are forgotten).
    fn find(&self, token: String, now_ms: i64) -> Option<OperatorSession> {
        let mut sessions = self.lock();
        sessions.retain(|_, s| s.expires_ms > now_ms);
        let csrf = sessions.get(&token)?.csrf.clone();
        Some(OperatorSession { token, csrf })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// 32 bytes from the node's injected random source, in hex.
fn random_token(node: &Node) -> String {
    let mut bytes = [0u8; 32];
    node.fill_random(&mut bytes);
    hex::encode(bytes)
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            pair.trim()
                .strip_prefix(&format!("{SESSION_COOKIE}="))
                .map(str::to_owned)
        })
}

/// A logged-in operator: the request carried a live session cookie.
///
/// As an extractor it answers a request without one with a redirect to the
/// login page; `Option<OperatorSession>` never rejects.
#[derive(Clone, Debug)]
pub struct OperatorSession {
    /// The session's cookie token.
    pub token: String,
    /// The session's CSRF token, put in every form and checked on every POST.
    pub csrf: String,
}

impl OperatorSession {
    /// The live session of a request with these headers, if any.
    pub fn of(state: &AppState, headers: &HeaderMap) -> Option<Self> {
        let token = cookie_token(headers)?;
        state.operator.find(token, state.node.clock().now_ms())
    }

    /// Whether `given` is this session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, given: &str) -> bool {
        bool::from(given.as_bytes().ct_eq(self.csrf.as_bytes()))
    }
}

impl FromRequestParts<AppState> for OperatorSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        Self::of(state, &parts.headers).ok_or_else(to_login)
    }
}

impl OptionalFromRequestParts<AppState> for OperatorSession {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(Self::of(state, &parts.headers))
    }
}

/// `response` marked `Cache-Control: no-store` (operator pages are private).
pub fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The answer to a request that needs a session and has none.
pub fn to_login() -> Response {
    no_store(Redirect::to(LOGIN_PATH).into_response())
}

/// The `Set-Cookie` value that keeps session `token`; `tls`: the request came
/// over this node's own TLS.
pub(crate) fn session_cookie(state: &AppState, tls: bool, token: &str) -> Option<HeaderValue> {
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_MS / 1000,
        secure(state, tls)
    );
    HeaderValue::from_str(&cookie).ok()
}

/// The `Set-Cookie` value that drops the session cookie.
pub(crate) fn cleared_cookie(state: &AppState, tls: bool) -> Option<HeaderValue> {
    let cookie = format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure(state, tls)
    );
    HeaderValue::from_str(&cookie).ok()
}

/// `; Secure` when the operator reaches this node over HTTPS.
fn secure(state: &AppState, tls: bool) -> &'static str {
    if tls || state.operator.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

/// Sends a form post to an operator page without a live session to the login
/// page before its body (a photo upload may be 8 MiB) is read.
pub async fn require_session(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    let needs_session = request.method() == axum::http::Method::POST
        && path.starts_with("/operator/")
        && path != LOGIN_PATH;
    if needs_session && OperatorSession::of(&state, request.headers()).is_none() {
        return to_login();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::OperatorSession;

    #[test]
    fn a_csrf_token_matches_only_in_full() {
        let session = OperatorSession {
            token: "t".to_owned(),
            csrf: "ab12cd".to_owned(),
        };
        assert!(session.csrf_matches("ab12cd"));
        for wrong in ["", "ab12c", "ab12cd ", "AB12CD", "ab12ce", "ab12cdab12cd"] {
            assert!(!session.csrf_matches(wrong), "{wrong:?}");
        }
    }
}
