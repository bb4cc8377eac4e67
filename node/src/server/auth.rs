//! Who may call a handler, as extractors: [`AdminToken`] (the CLI's bearer
//! token), [`PeerHop`] and [`PairHop`] (a peer's signed hop header over the
//! body), with the peers' request rate limit. A handler that names one of them
//! in its arguments cannot run without the check passing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;
use telecenter_protocol::CenterId;
use telecenter_protocol::hop::HopAuth;

use super::{ApiError, ApiResult, AppState};

/// Requests a peer may make per second, on average.
pub const PEER_REQUESTS_PER_SEC: f64 = 20.0;
/// Requests a peer may make in a burst.
pub const PEER_REQUESTS_BURST: f64 = 100.0;

/// Compares a secret given by a caller with the expected one in constant time,
/// so it cannot be guessed byte by byte.
pub fn same_secret(given: &str, expected: &str) -> bool {
    given.as_bytes().ct_eq(expected.as_bytes()).into()
}

/// Checks the admin bearer token in `headers` (the scheme name is
/// case-insensitive, RFC 7235).
pub(crate) fn check_admin(state: &AppState, headers: &HeaderMap) -> ApiResult<()> {
    let expected = state.admin_token.as_deref().ok_or(ApiError::Unauthorized)?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then_some(token.trim())
        })
        .ok_or(ApiError::Unauthorized)?;
    if same_secret(given, expected) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// Proof that the request carries the node's admin token (`Authorization:
/// Bearer <DATA/admin.token>`); otherwise the handler answers 401.
#[derive(Debug, Clone, Copy)]
pub struct AdminToken;

impl FromRequestParts<AppState> for AdminToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        check_admin(state, &parts.headers).map(|()| AdminToken)
    }
}

/// A peer request whose hop authorization checked out (signature over the body,
/// addressed here, time window, nonce, rate): who sent it and the body it
/// signed. `PAIR` also admits accepted centers that are not configured peers
/// (orders come straight from the other center); see [`PeerHop`], [`PairHop`].
#[derive(Debug)]
pub struct Hop<const PAIR: bool> {
    /// The checked hop header.
    pub auth: HopAuth,
    /// The request body.
    pub body: Bytes,
}

/// A configured peer's request (the sync routes).
pub type PeerHop = Hop<false>;
/// A request from a configured peer or any accepted center (the mail exchange).
pub type PairHop = Hop<true>;

impl<const PAIR: bool> FromRequest<AppState> for Hop<PAIR> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (auth, body) = hop(request, state, PAIR).await?;
        Ok(Hop { auth, body })
    }
}

/// The `Authorization: Telecenter ...` header of a peer request, or 401 `peer_auth`.
pub(crate) fn hop_header(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::PeerAuth(
                "peer requests need an 'Authorization: Telecenter ...' header".to_owned(),
                false,
            )
        })
}

/// Reads the body (within the route's limit) and checks the hop header over it.
/// The check takes the node's locks and reads SQLite, so it runs on the
/// blocking pool, not on the async threads.
async fn hop(request: Request, state: &AppState, pair: bool) -> Result<(HopAuth, Bytes), Response> {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| request.uri().path().to_owned());
    let header = hop_header(request.headers())
        .map_err(IntoResponse::into_response)?
        .to_owned();
    let body = Bytes::from_request(request, state)
        .await
        .map_err(IntoResponse::into_response)?;
    let (rate, signed) = (state.rate.clone(), body.clone());
    let checked = state
        .run(move |node| {
            let now = node.clock().now_ms();
            let allow = |center: &CenterId| rate.allow(center, now);
            Ok(node.check_hop(&header, "POST", &path, &signed, pair, &allow))
        })
        .await
        .map_err(|e| ApiError::Node(e).into_response())?;
    let auth = checked.map_err(|e| {
        use crate::node::PeerAuthError as E;
        tracing::info!(error = %e, "peer request refused");
        match e {
            // A sender over its rate or nonce quota, or the pool of non-peer
            // senders full: slow down (429), not an authentication failure.
            E::RateLimited | E::Busy => ApiError::RateLimited,
            E::Internal(_) => ApiError::PeerAuth(
                "the node could not check the request; try again later".to_owned(),
                false,
            ),
            E::NotAPeer(_) | E::Blocked(_) | E::NotAccepted(_) => {
                ApiError::PeerAuth(e.to_string(), true)
            }
            other => ApiError::PeerAuth(other.to_string(), false),
        }
        .into_response()
    })?;
    Ok((auth, body))
}

/// Per-peer token buckets: center → (tokens, last refill ms).
#[derive(Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<CenterId, (f64, i64)>>,
}

impl RateLimiter {
    fn allow(&self, center: &CenterId, now_ms: i64) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, last) = buckets
            .entry(*center)
            .or_insert((PEER_REQUESTS_BURST, now_ms));
        let elapsed_s = (now_ms - *last).max(0) as f64 / 1000.0;
        *tokens = (*tokens + elapsed_s * PEER_REQUESTS_PER_SEC).min(PEER_REQUESTS_BURST);
        *last = now_ms;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Shared limiter type for the app state.
pub type SharedRateLimiter = Arc<RateLimiter>;
