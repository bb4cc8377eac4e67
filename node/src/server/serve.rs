//! The server loop: accepts TCP connections, optionally speaks TLS, and serves
//! a router (`crate::app::router`) over HTTP/1.1 with every connection bounded.
//!
//! What a remote party can hold is limited here, before any handler runs:
//! - at most [`ServerLimits::connections_max`] connections at once, and at most
//!   [`ServerLimits::connections_per_ip_max`] from one address (IPv6 counted per
//!   /64, and [`NETWORK_FACTOR`] times that per /48; loopback, where a reverse
//!   proxy connects from, is not limited per address);
//!   a connection over either cap is closed at once;
//! - a TLS handshake must finish within [`ServerLimits::tls_handshake_ms`];
//! - a request's header must arrive within [`ServerLimits::header_read_ms`]
//!   (hyper's header-read timeout; it also runs while a kept-alive connection
//!   waits for its next request, so an idle connection lasts that long);
//! - a connection with no request being handled and no bytes moving for
//!   [`ServerLimits::idle_ms`] (a client that stopped reading its answer) is closed;
//! - a request (reading its body, handling it, the long poll included) must be
//!   answered within [`ServerLimits::request_ms`], else 408.
//!
//! Every request gets a [`ConnectInfo`] with the peer's socket address, a
//! [`Transport`] saying whether it came over TLS ([`super::gate`] reads them)
//! and a [`Stopping`] that long polls wait on, so they answer at once when the
//! server shuts down.
//!
//! Stopping is quick whatever the peers do: the server stops accepting, tells
//! every long poll to answer, lets requests under way finish for at most
//! [`SHUTDOWN_GRACE_MS`] and then drops the connections that are left.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use super::ApiError;

/// Bounds on what connections may hold; see the module documentation.
#[derive(Clone, Debug)]
pub struct ServerLimits {
    /// Most connections open at once.
    pub connections_max: usize,
    /// Most connections open at once from one address (IPv6: one /64).
    pub connections_per_ip_max: usize,
    /// Time allowed for a TLS handshake, in ms.
    pub tls_handshake_ms: u64,
    /// Time allowed to send a request's header, in ms.
    pub header_read_ms: u64,
    /// Time a connection may sit with no request being handled and no bytes
    /// moving, in ms (waiting for the next request is bounded by `header_read_ms`).
    pub idle_ms: u64,
    /// Time allowed for one request from its header to its answer, in ms.
    pub request_ms: u64,
    /// Time given to requests under way when the server shuts down, in ms.
    pub shutdown_grace_ms: u64,
}

/// Time given to requests under way when the server shuts down, in ms. Long
/// polls answer at once on shutdown; this bounds the rest (a slow upload, a
/// peer that stopped reading), so an operator's Ctrl-C ends the node in about
/// a second whatever its peers do.
pub const SHUTDOWN_GRACE_MS: u64 = 1_000;

/// Most connections open at once.
pub const CONNECTIONS_MAX: usize = 512;
/// Most connections open at once from one address. Many phones on a mobile
/// network share one IPv4 address (carrier-grade NAT); a browser keeps about six.
pub const CONNECTIONS_PER_IP_MAX: usize = 64;
/// Connections from one IPv6 /48 may be this many times the per-address cap.
pub const NETWORK_FACTOR: usize = 4;
/// Time allowed for a TLS handshake, in ms.
pub const TLS_HANDSHAKE_MS: u64 = 10_000;
/// Time allowed to send a request's header, in ms.
pub const HEADER_READ_MS: u64 = 10_000;
/// Time after which a connection with no request being handled and no bytes
/// moving (a client that stopped reading an answer) is closed, in ms.
pub const IDLE_MS: u64 = 60_000;
/// Time allowed for one request, in ms: the longest long poll (25 s) and an
/// 8 MiB photo upload at about 100 kB/s fit.
pub const REQUEST_MS: u64 = 90_000;

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            connections_max: CONNECTIONS_MAX,
            connections_per_ip_max: CONNECTIONS_PER_IP_MAX,
            tls_handshake_ms: TLS_HANDSHAKE_MS,
            header_read_ms: HEADER_READ_MS,
            idle_ms: IDLE_MS,
            request_ms: REQUEST_MS,
            shutdown_grace_ms: SHUTDOWN_GRACE_MS,
        }
    }
}

/// How a request reached this node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transport {
    /// The connection was TLS (this node served HTTPS itself).
    pub tls: bool,
}

/// Says when the server starts shutting down: a request extension every
/// request gets, and an extractor (a request served some other way, such as a
/// router test, gets one that never fires). Long polls end on it.
#[derive(Clone, Debug, Default)]
pub struct Stopping(Option<watch::Receiver<bool>>);

impl Stopping {
    /// Completes once the server is shutting down (never for a request that
    /// did not come through [`serve_router`]).
    pub async fn wait(mut self) {
        match &mut self.0 {
            Some(rx) => {
                if rx.wait_for(|stopping| *stopping).await.is_err() {
                    // The server loop is gone: it is stopping.
                }
            }
            None => std::future::pending::<()>().await,
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Stopping {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Stopping>()
            .cloned()
            .unwrap_or_default())
    }
}

/// Told how many connections are still open when the server starts shutting
/// down (the CLI says what it waits for).
pub type OnStopping = Arc<dyn Fn(usize) + Send + Sync>;

/// How to serve: limits and, for HTTPS, the TLS configuration.
#[derive(Clone, Default)]
pub struct ServeOptions {
    /// Connection and time bounds.
    pub limits: ServerLimits,
    /// Serve HTTPS with this configuration (see [`load_tls`]); `None`: plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Called once when shutting down, with the connections still open.
    pub on_stopping: Option<OnStopping>,
}

/// Why a certificate or key file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsFileError {
    /// A file cannot be read or holds no PEM item of the expected kind.
    #[error("cannot read {what} from {path}: {reason}")]
    Read {
        /// "certificate" or "private key".
        what: &'static str,
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The certificate and key do not make a usable TLS configuration.
    #[error("the certificate and key cannot be used together: {0}")]
    Config(String),
}

/// Reads a PEM certificate chain (the server's certificate first) and its PEM
/// private key into a TLS server configuration (TLS 1.2 and 1.3, HTTP/1.1).
pub fn load_tls(
    cert_file: &Path,
    key_file: &Path,
) -> Result<Arc<rustls::ServerConfig>, TlsFileError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let read_error = |what, path: &Path, reason: String| TlsFileError::Read {
        what,
        path: path.display().to_string(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(cert_file)
        .map_err(|e| read_error("certificate", cert_file, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| read_error("certificate", cert_file, e.to_string()))?;
    if certs.is_empty() {
        return Err(read_error(
            "certificate",
            cert_file,
            "no CERTIFICATE block in the file".to_owned(),
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|e| read_error("private key", key_file, e.to_string()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| TlsFileError::Config(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| TlsFileError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `app` on `listener` with `options` until `shutdown`
/// completes; then stops accepting, lets requests under way finish (at most
/// [`ServerLimits::shutdown_grace_ms`]) and returns.
pub async fn serve_router(
    app: Router,
    listener: TcpListener,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = Arc::new(options.limits.clone());
    let acceptor = options.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    let slots = Arc::new(Semaphore::new(limits.connections_max));
    let per_ip: Arc<Mutex<HashMap<(u8, IpAddr), usize>>> = Arc::default();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment, keep serving.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // Reap finished connection tasks so the set stays small.
        while connections.try_join_next().is_some() {}
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::debug!(%remote, "connection refused: too many connections");
            drop(stream);
            continue;
        };
        let Some(ip_slot) = IpSlot::take(&per_ip, remote.ip(), limits.connections_per_ip_max)
        else {
            tracing::debug!(%remote, "connection refused: too many connections from this address");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (app, limits, acceptor, stop) = (
            app.clone(),
            limits.clone(),
            acceptor.clone(),
            stop_rx.clone(),
        );
        connections.spawn(async move {
            let _slots = (slot, ip_slot);
            match acceptor {
                None => serve_connection(stream, remote, false, app, &limits, stop).await,
                Some(acceptor) => {
                    let handshake = Duration::from_millis(limits.tls_handshake_ms);
                    match tokio::time::timeout(handshake, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            serve_connection(tls, remote, true, app, &limits, stop).await
                        }
                        Ok(Err(error)) => tracing::debug!(%remote, %error, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%remote, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    while connections.try_join_next().is_some() {}
    if let Some(report) = &options.on_stopping {
        report(connections.len());
    }
    let grace = Duration::from_millis(limits.shutdown_grace_ms);
    if tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        connections.abort_all();
    }
    Ok(())
}

/// One connection's share of the per-address count, given back when dropped.
struct IpSlot {
    counts: Arc<Mutex<HashMap<(u8, IpAddr), usize>>>,
    keys: Vec<(u8, IpAddr)>,
}

impl IpSlot {
    /// A slot for a connection from `ip`: at most `max` per address (IPv6: per
    /// /64) and `max` × [`NETWORK_FACTOR`] per IPv6 /48, so hopping between the
    /// /64s of one network gains little.
    fn take(
        counts: &Arc<Mutex<HashMap<(u8, IpAddr), usize>>>,
        ip: IpAddr,
        max: usize,
    ) -> Option<Self> {
        let ip = ip.to_canonical();
        let mut keys = Vec::new();
        if !ip.is_loopback() {
            // (A reverse proxy on this computer connects from loopback for everyone.)
            keys.push(((64, address_group(ip)), max));
            if let IpAddr::V6(v6) = ip {
                let mut segments = v6.segments();
                segments[3..].fill(0);
                keys.push((
                    (48, IpAddr::from(segments)),
                    max.saturating_mul(NETWORK_FACTOR),
                ));
            }
        }
        let mut map = counts.lock().unwrap_or_else(|p| p.into_inner());
        if keys
            .iter()
            .any(|(key, limit)| map.get(key).copied().unwrap_or(0) >= *limit)
        {
            return None;
        }
        for (key, _) in &keys {
            *map.entry(*key).or_insert(0) += 1;
        }
        Some(Self {
            counts: counts.clone(),
            keys: keys.into_iter().map(|(key, _)| key).collect(),
        })
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut map = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        for key in &self.keys {
            if let Some(count) = map.get_mut(key) {
                *count -= 1;
                if *count == 0 {
                    map.remove(key);
                }
            }
        }
    }
}

/// The group an address is counted in: itself for IPv4, its /64 for IPv6 (one
/// household or phone gets a whole /64).
pub(crate) fn address_group(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::from(segments)
        }
        v4 => v4,
    }
}

/// Milliseconds since the server's clock base, for idle tracking only.
fn elapsed_ms(base: Instant) -> u64 {
    u64::try_from(base.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Activity of one connection: when bytes last moved and how many requests are in flight.
struct Activity {
    base: Instant,
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn touch(&self) {
        self.last_ms.store(elapsed_ms(self.base), Ordering::Relaxed);
    }

    /// Completes once the connection has been idle for `idle`.
    async fn idle_for(&self, idle: Duration) {
        let idle_ms = u64::try_from(idle.as_millis()).unwrap_or(u64::MAX);
        loop {
            let quiet_ms =
                elapsed_ms(self.base).saturating_sub(self.last_ms.load(Ordering::Relaxed));
            if self.in_flight.load(Ordering::Relaxed) == 0 && quiet_ms >= idle_ms {
                return;
            }
            let wait_ms = if self.in_flight.load(Ordering::Relaxed) > 0 {
                idle_ms
            } else {
                idle_ms - quiet_ms
            };
            tokio::time::sleep(Duration::from_millis(wait_ms.max(1))).await;
        }
    }
}

/// Counts a request in flight until dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.touch();
        Self(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A stream that records when bytes move.
struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

async fn serve_connection<S>(
    stream: S,
    remote: SocketAddr,
    tls: bool,
    app: Router,
    limits: &ServerLimits,
    mut stop: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity {
        base: Instant::now(),
        last_ms: AtomicU64::new(0),
        in_flight: AtomicUsize::new(0),
    });
    let io = TokioIo::new(Tracked {
        inner: stream,
        activity: activity.clone(),
    });
    let request_time = Duration::from_millis(limits.request_ms);
    let service_activity = activity.clone();
    let stopping = Stopping(Some(stop.clone()));
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        let guard = InFlight::new(&service_activity);
        request.extensions_mut().insert(ConnectInfo(remote));
        request.extensions_mut().insert(Transport { tls });
        request.extensions_mut().insert(stopping.clone());
        let app = app.clone();
        async move {
            let answer =
                tokio::time::timeout(request_time, tower::ServiceExt::oneshot(app, request)).await;
            drop(guard);
            Ok::<_, std::convert::Infallible>(match answer {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_) => axum::response::IntoResponse::into_response(ApiError::Timeout),
            })
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(limits.header_read_ms))
        .max_buf_size(64 * 1024)
        .keep_alive(true);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let idle = Duration::from_millis(limits.idle_ms);
    let stopping = tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%remote, %error, "connection ended with an error");
            }
            return;
        }
        () = activity.idle_for(idle) => {
            // Nothing moved for `idle` with no request being handled: a client
            // that stopped reading its answer, say. It gets no more time.
            tracing::debug!(%remote, "closing a stalled connection");
            return;
        }
        _ = stop.wait_for(|stopped| *stopped) => true,
    };
    // Shutting down: let the request under way finish (the server loop bounds
    // the whole shutdown), then close.
    if stopping {
        connection.as_mut().graceful_shutdown();
        if let Err(error) = connection.await {
            tracing::debug!(%remote, %error, "connection ended with an error");
        }
    }
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests;
