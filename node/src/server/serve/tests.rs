//! The server loop over real sockets on 127.0.0.1:0 with a real node: connection
//! caps, header and idle timeouts, bodies refused before they are read, the
//! admin API closed to the network, HTTPS with a certificate made here, and the
//! security headers. Each finding of the open-internet review has its test here,
//! named after it.

use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use super::*;
use crate::app::serve_with;
use crate::clock::ManualClock;
use crate::node::Node;
use crate::server::AppState;
use telecenter_protocol::Identity;

const TOKEN: &str = "secret-token";
const T0: i64 = 1_763_860_000_000;
const DEADLINE: Duration = Duration::from_secs(10);

struct Running {
    _dir: TempDir,
    node: Arc<Node>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn start(limits: ServerLimits, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let dir = TempDir::new().unwrap();
        let node = crate::testing::malang(dir.path(), T0);
        let node = Arc::new(node);
        let state = AppState::new(node.clone(), Some(TOKEN));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let options = ServeOptions {
            limits,
            tls,
            ..ServeOptions::default()
        };
        let task = tokio::spawn(serve_with(state, listener, options, async {
            let _ = stopped.await;
        }));
        Self {
            _dir: dir,
            node,
            addr,
            stop: Some(stop),
            task,
        }
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.addr).await.unwrap()
    }

    async fn shut_down(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(DEADLINE, &mut self.task)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    }
}

fn quick_limits() -> ServerLimits {
    ServerLimits {
        header_read_ms: 500,
        idle_ms: 800,
        request_ms: 5_000,
        tls_handshake_ms: 500,
        ..ServerLimits::default()
    }
}

/// Reads until the server closes the connection (or `DEADLINE`): what it sent.
async fn read_to_close<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
) -> Result<Vec<u8>, &'static str> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return Err("the connection was still open at the deadline"),
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(all),
            Ok(Ok(n)) => all.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads one answer's head (up to the blank line), within `DEADLINE`.
async fn read_head<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> String {
    let mut all = Vec::new();
    let mut buf = [0u8; 1];
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !all.ends_with(b"\r\n\r\n") {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => panic!(
                "no answer within {DEADLINE:?}; got {:?}",
                String::from_utf8_lossy(&all)
            ),
            Ok(Ok(0)) => panic!(
                "closed before an answer; got {:?}",
                String::from_utf8_lossy(&all)
            ),
            Ok(Ok(_)) => all.push(buf[0]),
            Ok(Err(e)) => panic!("read failed: {e}"),
        }
    }
    String::from_utf8_lossy(&all).into_owned()
}

fn status_of(head: &str) -> u16 {
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

async fn get(stream: &mut TcpStream, path: &str, extra: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: node\r\n{extra}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    read_head(stream).await
}

/// Finding: 300 connections sending half a header made `GET /api/v1/info` time
/// out for 50 s, and idle connections stayed open forever.
#[tokio::test]
async fn slow_header_and_idle_connections_are_closed_and_requests_still_answer() {
    let server = Running::start(quick_limits(), None).await;
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut stream = server.connect().await;
        stream
            .write_all(b"GET /api/v1/info HTTP/1.1\r\nHost: node\r\nX-Half: ")
            .await
            .unwrap();
        slow.push(stream);
    }
    // A normal request answers while they hang.
    let mut normal = server.connect().await;
    let head = get(&mut normal, "/api/v1/info", "").await;
    assert_eq!(status_of(&head), 200, "{head}");
    // Every half-header connection is closed by the server within the timeout.
    let started = tokio::time::Instant::now();
    for stream in &mut slow {
        read_to_close(stream)
            .await
            .expect("a slow-header connection is closed");
    }
    assert!(started.elapsed() < DEADLINE);
    // The kept-alive normal connection, now idle, is closed too.
    read_to_close(&mut normal)
        .await
        .expect("an idle connection is closed");
    // And a fresh connection is still served.
    let mut again = server.connect().await;
    assert_eq!(status_of(&get(&mut again, "/api/v1/info", "").await), 200);
    server.shut_down().await;
}

/// Found from outside: a client that sends many requests and never reads the
/// answers kept its connection open past every timeout (hyper waits on the
/// write). A connection whose bytes stop moving with no request being handled
/// is now dropped after `idle_ms`.
#[tokio::test]
async fn a_client_that_stops_reading_is_dropped() {
    let server = Running::start(quick_limits(), None).await;
    crate::sample::add_sample_listings(&server.node).unwrap();
    // How big one answer is.
    let mut probe = server.connect().await;
    probe
        .write_all(
            b"GET /api/v1/listings?limit=100 HTTP/1.1\r\nHost: node\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let one_answer = read_to_close(&mut probe).await.unwrap().len();
    assert!(one_answer > 5_000, "{one_answer}");
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(2048).unwrap();
    let mut stream = socket.connect(server.addr).await.unwrap();
    let one_request = b"GET /api/v1/listings?limit=100 HTTP/1.1\r\nHost: node\r\n\r\n";
    let request = one_request.repeat(2_000);
    // Send as much as the server takes in a few seconds, never reading.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    let mut sent = 0;
    while sent < request.len() {
        match tokio::time::timeout_at(deadline, stream.write(&request[sent..])).await {
            Ok(Ok(n)) => sent += n,
            _ => break,
        }
    }
    assert!(sent > 0);
    // The server's answers pile up unread: it must give up on the connection,
    // which the client sees as its writes failing (the server closed a socket
    // with unread requests in it), all the while never reading.
    let started = tokio::time::Instant::now();
    loop {
        match stream.try_write(b" ") {
            Err(e) if e.kind() != std::io::ErrorKind::WouldBlock => break,
            _ => {}
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the connection was still open after {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.shut_down().await;
}

/// The connection cap: a connection over it is closed at once, and slots come
/// back when connections end.
#[tokio::test]
async fn connections_over_the_cap_are_closed_at_once() {
    let limits = ServerLimits {
        connections_max: 20,
        header_read_ms: 60_000,
        idle_ms: 60_000,
        ..ServerLimits::default()
    };
    let server = Running::start(limits, None).await;
    let mut held = Vec::new();
    for _ in 0..20 {
        let mut stream = server.connect().await;
        // A full request proves the connection holds a slot.
        assert_eq!(status_of(&get(&mut stream, "/api/v1/info", "").await), 200);
        held.push(stream);
    }
    let mut over = server.connect().await;
    let sent = read_to_close(&mut over).await.expect("closed at once");
    assert!(sent.is_empty(), "no answer over the cap");
    drop(held);
    // Slots come back as the server notices the closed connections.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let mut stream = server.connect().await;
        stream
            .write_all(b"GET /api/v1/info HTTP/1.1\r\nHost: node\r\n\r\n")
            .await
            .unwrap();
        let mut first = [0u8; 12];
        if let Ok(Ok(12)) =
            tokio::time::timeout(Duration::from_secs(1), stream.read_exact(&mut first)).await
        {
            assert_eq!(&first[..], b"HTTP/1.1 200");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "slots never came back"
        );
    }
    server.shut_down().await;
}

/// Finding: 100 connections with no auth header, each sending 4 MiB, took a node
/// from 77 to 491 MiB: bodies were read before authentication.
#[tokio::test]
async fn unauthenticated_4_mib_bodies_are_refused_before_they_are_read() {
    let server = Running::start(quick_limits(), None).await;
    let stranger = Identity::generate(&mut StdRng::seed_from_u64(9));
    let own = center_of(&server).await;
    let forged_hop = telecenter_protocol::hop::HopAuth::sign(
        &stranger,
        own,
        T0,
        [7; 16],
        "POST",
        "/api/v1/sync/push",
        b"",
    )
    .unwrap();
    let cases: Vec<(&str, String, u16)> = vec![
        ("/api/v1/sync/push", String::new(), 401),
        ("/api/v1/mail/exchange", String::new(), 401),
        // A well-formed header from a center this node does not accept.
        (
            "/api/v1/sync/push",
            format!("Authorization: {forged_hop}\r\n"),
            403,
        ),
        // The hop signature does not cover a query string: refused.
        (
            "/api/v1/sync/push?wait=1",
            format!("Authorization: {forged_hop}\r\n"),
            400,
        ),
        ("/api/v1/admin/images", String::new(), 401),
        (
            "/api/v1/admin/listings",
            "Authorization: Bearer wrong\r\n".to_owned(),
            401,
        ),
        ("/operator/produk/baru", String::new(), 303),
    ];
    for (path, auth, expected) in cases {
        let mut streams = Vec::new();
        for _ in 0..25 {
            let mut stream = server.connect().await;
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\nContent-Length: 4194304\r\n{auth}\r\n"
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            streams.push(stream);
        }
        // Not one byte of the bodies is sent: the answers come anyway.
        for stream in &mut streams {
            let head = read_head(stream).await;
            assert_eq!(status_of(&head), expected, "{path}: {head}");
        }
    }
    server.shut_down().await;
}

/// Slow bodies from one address cannot hold up the peer routes for others: each
/// address may send at most two bodies at once.
#[tokio::test]
async fn one_address_cannot_hold_up_peer_bodies() {
    // The slow bodies must outlast the test; the server then gives up on them at
    // shutdown at once.
    let limits = ServerLimits {
        request_ms: 60_000,
        shutdown_grace_ms: 200,
        ..quick_limits()
    };
    let server = Running::start(limits, None).await;
    let peer = Identity::generate(&mut StdRng::seed_from_u64(11));
    server.node.trust(&peer.center_id()).unwrap();
    let own = center_of(&server).await;
    let head = |from: &str, nonce: u8| {
        let auth = telecenter_protocol::hop::HopAuth::sign(
            &peer,
            own,
            T0,
            [nonce; 16],
            "POST",
            "/api/v1/mail/exchange",
            b"",
        )
        .unwrap();
        format!(
            "POST /api/v1/mail/exchange HTTP/1.1\r\nHost: node\r\nX-Forwarded-For: {from}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nAuthorization: {auth}\r\n\r\n"
        )
    };
    // Two slow bodies from one address (through a local proxy) hold their slots...
    let mut slow = Vec::new();
    for nonce in 0..2 {
        let mut stream = server.connect().await;
        stream
            .write_all(head("203.0.113.9", nonce).as_bytes())
            .await
            .unwrap();
        slow.push(stream);
    }
    // ... so, once both are being read, a third from that address is busy. (A
    // third that comes before them sends its whole body and is answered, so
    // trying again until one is busy never waits on a body.)
    let deadline = tokio::time::Instant::now() + DEADLINE;
    for nonce in 100u8.. {
        let mut third = server.connect().await;
        let mut request = head("203.0.113.9", nonce)
            .replacen("Host: node\r\n", "Host: node\r\nConnection: close\r\n", 1)
            .into_bytes();
        request.extend_from_slice(&[b' '; 1000]);
        // One write; a refused request may be cut off, which is not "busy" either.
        let _ = third.write_all(&request).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(DEADLINE, third.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer).into_owned();
        if status_of(&answer) == 503 {
            assert!(
                answer.to_ascii_lowercase().contains("retry-after"),
                "{answer}"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never busy: {answer}"
        );
    }
    // Another address is still served (its body is read and checked).
    let mut other = server.connect().await;
    other
        .write_all(head("198.51.100.7", 20).as_bytes())
        .await
        .unwrap();
    other.write_all(&[b' '; 1000]).await.unwrap();
    let answer = read_head(&mut other).await;
    assert_ne!(status_of(&answer), 503, "{answer}");
    server.shut_down().await;
}

/// The center id of a running server, from its public info.
async fn center_of(server: &Running) -> telecenter_protocol::CenterId {
    {
        let mut stream = server.connect().await;
        stream
            .write_all(b"GET /api/v1/info HTTP/1.1\r\nHost: node\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let all = read_to_close(&mut stream).await.unwrap();
        let text = String::from_utf8_lossy(&all);
        let body = text.split("\r\n\r\n").nth(1).unwrap();
        let info: serde_json::Value = serde_json::from_str(body).unwrap();
        info["center_id"].as_str().unwrap().parse().unwrap()
    }
}

/// Finding: with `--listen 0.0.0.0` the whole admin API was on the network,
/// behind a bearer token sent over plain HTTP.
#[tokio::test]
async fn admin_api_answers_404_to_a_non_loopback_client() {
    let server = Running::start(quick_limits(), None).await;
    let bearer = format!("Authorization: Bearer {TOKEN}\r\n");
    // Straight from this computer with the token: served.
    let mut local = server.connect().await;
    assert_eq!(
        status_of(&get(&mut local, "/api/v1/admin/profile", &bearer).await),
        200
    );
    // Through a reverse proxy on this computer (it adds X-Forwarded-For): the
    // same 404 as an address that does not exist, token or not.
    for proxy in [
        "X-Forwarded-For: 203.0.113.9\r\n",
        "Forwarded: for=203.0.113.9\r\n",
    ] {
        let mut via_proxy = server.connect().await;
        let head = get(
            &mut via_proxy,
            "/api/v1/admin/profile",
            &format!("{bearer}{proxy}"),
        )
        .await;
        assert_eq!(status_of(&head), 404, "{head}");
    }
    server.shut_down().await;

    // A client on another computer (driven in-process: no second host here).
    let dir = TempDir::new().unwrap();
    let node = crate::testing::center(
        dir.path(),
        (3, 4),
        "Telecenter Kab Blitar",
        "Kab Blitar",
        Arc::new(ManualClock::new(T0)),
    );
    let app = crate::app::router(AppState::new(Arc::new(node), Some(TOKEN)));
    for (method, path) in [
        ("GET", "/api/v1/admin/profile"),
        ("GET", "/api/v1/admin/orders"),
        ("POST", "/api/v1/admin/listings"),
        ("POST", "/api/v1/admin/sync"),
    ] {
        let mut request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(axum::body::Body::empty())
            .unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([192, 168, 1, 20], 51_000))));
        let response = tower::ServiceExt::oneshot(app.clone(), request)
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            axum::http::StatusCode::NOT_FOUND,
            "{method} {path}"
        );
        // Word for word what an address that does not exist answers.
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let unknown = axum::http::Request::get("/api/v1/no-such-thing")
            .body(axum::body::Body::empty())
            .unwrap();
        let unknown = tower::ServiceExt::oneshot(app.clone(), unknown)
            .await
            .unwrap();
        let unknown = axum::body::to_bytes(unknown.into_body(), 4096)
            .await
            .unwrap();
        assert_eq!(body, unknown, "{method} {path}");
    }
}

/// A CA and a server certificate for `localhost` and 127.0.0.1, made here.
fn certificates(
    dir: &Path,
) -> (
    std::path::PathBuf,
    std::path::PathBuf,
    rustls_pki_types::CertificateDer<'static>,
) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    let cert_file = dir.join("cert.pem");
    let key_file = dir.join("key.pem");
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    (cert_file, key_file, ca.der().clone())
}

async fn tls_connect(
    addr: SocketAddr,
    ca: &rustls_pki_types::CertificateDer<'static>,
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    connector.connect(name, tcp).await.unwrap()
}

/// HTTPS served by the node itself: pages answer over TLS with the security
/// headers and HSTS; a plain-HTTP client or a stalled handshake is cut off.
#[tokio::test]
async fn the_node_serves_https_with_security_headers() {
    let certs = TempDir::new().unwrap();
    let (cert_file, key_file, ca) = certificates(certs.path());
    let tls = load_tls(&cert_file, &key_file).unwrap();
    let server = Running::start(quick_limits(), Some(tls)).await;
    let mut stream = tls_connect(server.addr, &ca).await;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let head = read_head(&mut stream).await.to_ascii_lowercase();
    assert_eq!(status_of(&head), 200, "{head}");
    for expected in [
        "content-security-policy: default-src 'none'",
        "frame-ancestors 'none'",
        "x-content-type-options: nosniff",
        "referrer-policy: same-origin",
        "strict-transport-security: max-age=",
    ] {
        assert!(head.contains(expected), "missing {expected}: {head}");
    }
    // Scripts only as files of this node (the share button's), never inline.
    assert!(
        head.contains("script-src 'self';"),
        "only this node's script files are allowed: {head}"
    );
    // A connection that never finishes its handshake is closed.
    let mut stalled = server.connect().await;
    read_to_close(&mut stalled)
        .await
        .expect("a stalled handshake is closed");
    // Key and certificate that do not belong together are a clear error.
    let other = TempDir::new().unwrap();
    let (_, other_key, _) = certificates(other.path());
    let error = load_tls(&cert_file, &other_key).expect_err("mismatched key refused");
    assert!(
        error.to_string().contains("cannot be used together"),
        "{error}"
    );
    let error =
        load_tls(&cert_file, &other.path().join("missing.pem")).expect_err("missing key refused");
    assert!(
        error.to_string().contains("cannot read private key"),
        "{error}"
    );
    server.shut_down().await;
}

#[test]
fn ipv6_addresses_are_counted_per_64() {
    let a: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
    let b: IpAddr = "2001:db8:1:2:ffff:4:5:7".parse().unwrap();
    let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
    assert_eq!(address_group(a), address_group(b));
    assert_ne!(address_group(a), address_group(c));
    let v4: IpAddr = "203.0.113.9".parse().unwrap();
    assert_eq!(address_group(v4), v4);
    let mapped: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
    assert_eq!(address_group(mapped), v4);
}

#[test]
fn the_per_address_cap_counts_and_gives_back() {
    let counts = Arc::default();
    let ip: IpAddr = "203.0.113.9".parse().unwrap();
    let first = IpSlot::take(&counts, ip, 2).unwrap();
    let second = IpSlot::take(&counts, ip, 2).unwrap();
    assert!(IpSlot::take(&counts, ip, 2).is_none());
    drop(first);
    let third = IpSlot::take(&counts, ip, 2);
    assert!(third.is_some());
    drop((second, third));
    assert!(counts.lock().unwrap().is_empty());
    // Loopback (a reverse proxy) is not capped per address.
    let local: IpAddr = "127.0.0.1".parse().unwrap();
    let many: Vec<_> = (0..5).map(|_| IpSlot::take(&counts, local, 2)).collect();
    assert!(many.iter().all(Option::is_some));
    // The /64s of one IPv6 /48 share a larger cap.
    let mut held = Vec::new();
    for i in 0..(NETWORK_FACTOR as u16) {
        let ip = IpAddr::from([0x2001, 0xdb8, 0x55, i, 0, 0, 0, 1]);
        held.push(IpSlot::take(&counts, ip, 2).unwrap());
        held.push(IpSlot::take(&counts, ip, 2).unwrap());
    }
    let next = IpAddr::from([0x2001, 0xdb8, 0x55, 0x99, 0, 0, 0, 1]);
    assert!(IpSlot::take(&counts, next, 2).is_none(), "the /48 is full");
    let elsewhere = IpAddr::from([0x2001, 0xdb8, 0x56, 9, 0, 0, 0, 1]);
    assert!(IpSlot::take(&counts, elsewhere, 2).is_some());
    drop(held);
}

/// A request waiting on [`Stopping`] (a long poll) answers as soon as the
/// server shuts down, so stopping does not wait out the grace time; the number
/// of connections still open is reported once.
#[tokio::test]
async fn a_long_poll_answers_at_once_when_the_server_stops() {
    // The handler says when it has started waiting, so the stop comes while
    // the long poll is really open (no fixed sleep).
    let (waiting_tx, waiting_rx) = oneshot::channel::<()>();
    let waiting_tx = Arc::new(Mutex::new(Some(waiting_tx)));
    let app = Router::new().route(
        "/wait",
        axum::routing::get(move |stopping: Stopping| {
            let waiting_tx = waiting_tx.clone();
            async move {
                if let Some(tx) = waiting_tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                stopping.wait().await;
                "stopped"
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let reported = Arc::new(Mutex::new(Vec::new()));
    let seen = reported.clone();
    let options = ServeOptions {
        limits: ServerLimits {
            shutdown_grace_ms: 60_000,
            ..ServerLimits::default()
        },
        on_stopping: Some(Arc::new(move |open| {
            seen.lock().unwrap().push(open);
        })),
        ..ServeOptions::default()
    };
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_router(app, listener, options, async move {
        let _ = stop_rx.await;
    }));
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /wait HTTP/1.1\r\nHost: node\r\n\r\n")
        .await
        .unwrap();
    // The request is under way (and waits) before the stop.
    tokio::time::timeout(Duration::from_secs(5), waiting_rx)
        .await
        .expect("the long poll started")
        .unwrap();
    let started = std::time::Instant::now();
    stop_tx.send(()).unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("answered")
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("stopped")
        .unwrap()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(String::from_utf8_lossy(&answer).ends_with("stopped"));
    assert_eq!(*reported.lock().unwrap(), vec![1]);
}

/// Outside [`serve_router`] (a router test) a request's [`Stopping`] never fires.
#[tokio::test]
async fn stopping_outside_the_server_never_fires() {
    let waited = tokio::time::timeout(Duration::from_millis(50), Stopping::default().wait()).await;
    assert!(waited.is_err());
}
