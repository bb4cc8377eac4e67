//! Who is asking, and the checks that run before any handler reads a body.
//!
//! - [`client_and_headers`] (every request): works out the [`Client`] once and
//!   puts it in the request's extensions; adds the security headers to every answer.
//! - [`admin_gate`] (`/api/v1/admin/*`): only a client on this computer that did
//!   not come through a reverse proxy, with the admin token; everyone else gets
//!   the same 404 as an unknown address, before the body is read.
//! - [`hop_gate`] (`/api/v1/sync/*`, the pair exchange): the hop header must be
//!   present, well formed, addressed to this center and from a center this node
//!   accepts before the body is read; bodies are then read within a budget
//!   ([`HopBodies`]: bytes held at once, bodies per client address, time), so
//!   strangers cannot make the node hold many large bodies, nor one address hold
//!   up the others with slow ones. The handler then checks the signature over the
//!   body, the time window and the nonce ([`crate::node::Node::check_hop`]).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use telecenter_protocol::hop::HopAuth;

use super::serve::Transport;
use super::{ApiError, AppState, NO_SUCH_ADDRESS};
use crate::node::PeerAuthError;

/// Bytes of peers' request bodies held at once while they are read (a body
/// counts with its declared length, or the route's limit without one); a request
/// beyond gets 503 `busy` and retries.
pub const HOP_BODY_BYTES_AT_ONCE: usize = 32 * 1024 * 1024;
/// Peer request bodies read at once from one client address (loopback, where
/// nodes on the same computer connect from, is not limited per address).
pub const HOP_BODIES_PER_ADDRESS: usize = 2;
/// Time allowed to send a peer request's body, in ms.
pub const HOP_BODY_READ_MS: u64 = 30_000;

/// The budget for reading peers' request bodies: bytes at once, and bodies per
/// client address.
pub struct HopBodies {
    /// Permits in KiB of body.
    kib: Arc<tokio::sync::Semaphore>,
    per_address: Arc<Mutex<HashMap<Option<IpAddr>, usize>>>,
}

impl Default for HopBodies {
    fn default() -> Self {
        Self {
            kib: Arc::new(tokio::sync::Semaphore::new(HOP_BODY_BYTES_AT_ONCE / 1024)),
            per_address: Arc::default(),
        }
    }
}

/// A body's share of the budget, given back when dropped.
struct BodySlot {
    _kib: tokio::sync::OwnedSemaphorePermit,
    per_address: Arc<Mutex<HashMap<Option<IpAddr>, usize>>>,
    key: Option<IpAddr>,
}

impl Drop for BodySlot {
    fn drop(&mut self) {
        let mut map = self.per_address.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = map.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                map.remove(&self.key);
            }
        }
    }
}

impl HopBodies {
    /// A slot for a body of at most `bytes` from `ip`, or `None` when the
    /// address already sends its share or the byte budget is spent.
    fn take(&self, ip: Option<IpAddr>, bytes: usize) -> Option<BodySlot> {
        let key = ip.map(super::serve::address_group);
        let mut map = self.per_address.lock().unwrap_or_else(|p| p.into_inner());
        let count = map.entry(key).or_insert(0);
        // Nodes on this very computer (a demo, tests) share the loopback address;
        // a local proxy names the real address, which is limited.
        let local = key.is_some_and(|ip| ip.is_loopback());
        if *count >= HOP_BODIES_PER_ADDRESS && !local {
            return None;
        }
        let kib = u32::try_from(bytes.div_ceil(1024).max(1)).ok()?;
        let permit = self.kib.clone().try_acquire_many_owned(kib).ok()?;
        *count += 1;
        Some(BodySlot {
            _kib: permit,
            per_address: self.per_address.clone(),
            key,
        })
    }
}

/// Headers reverse proxies and CDNs add; a request carrying any of them came
/// through one.
const FORWARDING_HEADERS: [&str; 11] = [
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-server",
    "x-original-forwarded-for",
    "x-real-ip",
    "x-client-ip",
    "true-client-ip",
    "cf-connecting-ip",
    "via",
];

/// Who sent a request, as far as this node can tell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Client {
    /// The sender's address: the socket's peer, or, for a request that came
    /// through a reverse proxy on this computer, the last address the proxy
    /// added to `X-Forwarded-For`. `None` for in-process calls (tests).
    pub ip: Option<IpAddr>,
    /// The request came straight from this computer: a loopback socket and no
    /// forwarding header. Only such requests reach the admin API.
    pub local: bool,
    /// The request came over this node's own TLS.
    pub tls: bool,
}

impl Client {
    /// Works out the client of a request from its socket address (set by the
    /// server loop) and its headers.
    pub fn of(extensions: &axum::http::Extensions, headers: &HeaderMap) -> Self {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_canonical());
        let tls = extensions.get::<Transport>().is_some_and(|t| t.tls);
        let forwarded = FORWARDING_HEADERS.iter().any(|h| headers.contains_key(*h));
        let Some(peer) = peer else {
            return Self {
                ip: None,
                local: false,
                tls,
            };
        };
        if !peer.is_loopback() {
            return Self {
                ip: Some(peer),
                local: false,
                tls,
            };
        }
        // Only a process on this computer can connect from loopback; one that adds
        // forwarding headers is a reverse proxy, and the address it appended last
        // is the one it saw.
        let proxied = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|item| item.trim().parse::<IpAddr>().ok())
            .next_back()
            .map(|ip| ip.to_canonical());
        Self {
            ip: Some(proxied.unwrap_or(peer)),
            local: !forwarded,
            tls,
        }
    }
}

/// The security headers of every answer (kept where a handler set its own).
const SECURITY_HEADERS: [(&str, &str); 5] = [
    // Scripts only as files served by this node (the share button's), never
    // inline; styles are the page's own (inline attributes included); images
    // from this node; forms post only here; never inside a frame.
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; img-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
    ("cross-origin-opener-policy", "same-origin"),
];

/// Outermost layer: puts the [`Client`] in the request and the security
/// headers on the answer.
pub(crate) async fn client_and_headers(mut request: Request, next: Next) -> Response {
    let client = Client::of(request.extensions(), request.headers());
    request.extensions_mut().insert(client);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    if client.tls {
        headers
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static("max-age=31536000"));
    }
    response
}

/// The client of a request (after [`client_and_headers`]).
pub(crate) fn client(request: &Request) -> Client {
    request
        .extensions()
        .get::<Client>()
        .copied()
        .unwrap_or_default()
}

/// `/api/v1/admin/*`: only for local clients with the admin token, checked
/// before the body is read.
pub(crate) async fn admin_gate(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !client(&request).local {
        // The very answer of an address that does not exist: for the network,
        // the admin API is not there.
        return ApiError::NotFound(NO_SUCH_ADDRESS.to_owned()).into_response();
    }
    if let Err(error) = super::auth::check_admin(&state, request.headers()) {
        return error.into_response();
    }
    next.run(request).await
}

/// Peer routes: the parts of the hop check that do not need the body, then the
/// body read under a bounded number of slots.
pub(crate) async fn hop_gate(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    match hop_precheck(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

async fn hop_precheck(state: &AppState, request: Request) -> Result<Request, ApiError> {
    let limit = if request.uri().path() == crate::node::MAIL_PATH {
        telecenter_protocol::limits::MAIL_EXCHANGE_BYTES_MAX
    } else {
        telecenter_protocol::sync::SYNC_BODY_BYTES_MAX
    };
    let header = super::auth::hop_header(request.headers())?;
    let auth = HopAuth::parse(header).map_err(|e| ApiError::PeerAuth(e.to_string(), false))?;
    // The signature covers the path alone, so a query string is refused
    // rather than passed on unsigned.
    if request.uri().query().is_some() {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            message: "peer requests take no query string".to_owned(),
        });
    }
    let own = state.node.center_id();
    if auth.to != own {
        return Err(ApiError::PeerAuth(
            format!(
                "request is addressed to {}, but this node is {own}",
                auth.to
            ),
            false,
        ));
    }
    let from = auth.from;
    let (accepted, blocked) = state
        .run(move |node| Ok((node.accepts(&from), node.blocked(&from))))
        .await?;
    if blocked {
        return Err(ApiError::PeerAuth(
            PeerAuthError::Blocked(from).to_string(),
            true,
        ));
    }
    if !accepted {
        return Err(ApiError::PeerAuth(
            PeerAuthError::NotAccepted(from).to_string(),
            true,
        ));
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::TooLarge(limit));
    }
    let budget = declared.map_or(limit, |n| n as usize);
    let Some(_slot) = state.hop_bodies.take(client(&request).ip, budget) else {
        return Err(ApiError::Busy);
    };
    let (parts, body) = request.into_parts();
    let read = axum::body::to_bytes(body, budget);
    let bytes = tokio::time::timeout(Duration::from_millis(HOP_BODY_READ_MS), read)
        .await
        .map_err(|_| ApiError::Timeout)?
        .map_err(|_| ApiError::TooLarge(budget))?;
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// For tests that drive the router in-process: marks `request` as coming from
/// a loopback socket, unless the test gave it another address.
#[cfg(test)]
pub(crate) fn from_this_computer<B>(mut request: axum::http::Request<B>) -> axum::http::Request<B> {
    if request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_none()
    {
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_of(peer: Option<&str>, headers: &[(&str, &str)]) -> Client {
        let mut request = axum::http::Request::new(());
        if let Some(peer) = peer {
            let addr: SocketAddr = peer.parse().unwrap();
            request.extensions_mut().insert(ConnectInfo(addr));
        }
        for (name, value) in headers {
            request.headers_mut().append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        Client::of(request.extensions(), request.headers())
    }

    #[test]
    fn only_direct_loopback_clients_are_local() {
        assert!(client_of(Some("127.0.0.1:5000"), &[]).local);
        assert!(client_of(Some("[::1]:5000"), &[]).local);
        assert!(client_of(Some("[::ffff:127.0.0.1]:5000"), &[]).local);
        assert!(!client_of(Some("203.0.113.9:5000"), &[]).local);
        assert!(!client_of(Some("192.168.1.20:5000"), &[]).local);
        assert!(!client_of(None, &[]).local, "no socket: not local");
        for proxy_header in FORWARDING_HEADERS {
            let c = client_of(Some("127.0.0.1:5000"), &[(proxy_header, "203.0.113.9")]);
            assert!(!c.local, "{proxy_header} marks a proxied request");
        }
    }

    #[test]
    fn a_local_proxy_names_the_client_and_others_cannot() {
        let via_proxy = client_of(
            Some("127.0.0.1:5000"),
            &[("x-forwarded-for", "10.9.9.9, 198.51.100.7")],
        );
        assert_eq!(via_proxy.ip, Some("198.51.100.7".parse().unwrap()));
        // A remote client cannot choose its address by sending the header itself.
        let remote = client_of(
            Some("203.0.113.9:5000"),
            &[("x-forwarded-for", "127.0.0.1")],
        );
        assert_eq!(remote.ip, Some("203.0.113.9".parse().unwrap()));
        assert!(!remote.local);
    }
}
