//! Tests of outgoing connections: the address rules (a table), published
//! addresses that must never be contacted (a real listener counts connections),
//! and a peer reached over real TLS (the node's real router behind a
//! tokio-rustls acceptor, certificates from a CA made with rcgen).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use telecenter_protocol::catalog::input::ProfileInput;
use telecenter_protocol::{DocId, ListingId};
use tempfile::TempDir;

use super::*;
use crate::clock::ManualClock;
use crate::node::Node;
use crate::sync::{SyncEngine, add_peer_by_url};
use crate::testing::cash_order;

const T0: i64 = 1_795_392_000_000;

fn node(dir: &TempDir, seed: u64, name: &str) -> Arc<Node> {
    let node = crate::testing::center_with(
        dir.path(),
        (seed, seed + 100),
        &ProfileInput {
            referral_fee_bp: Some(300),
            referral_fee_min_idr: Some(1_000),
            ..crate::testing::profile(name, "Jawa Timur", None)
        },
        Arc::new(ManualClock::new(T0)),
    );
    Arc::new(node)
}

fn add_listing(node: &Node) -> ListingId {
    node.add_listing(&crate::testing::product("Keripik pisang", 15_000, 10))
        .unwrap()
        .listing
        .id
}

/// `buyer` trusts `seller` and holds its catalog as it stands.
fn hand_catalog(seller: &Node, buyer: &Node) {
    buyer.trust(&seller.center_id()).unwrap();
    let changes = seller
        .changes_of(&DocId::catalog(seller.center_id()))
        .unwrap();
    for result in buyer.receive(&changes).unwrap() {
        result.unwrap();
    }
}

/// A TCP listener on 127.0.0.1 that counts the connections it accepts.
async fn counting_listener() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (addr, count)
}

#[test]
fn address_rules_refuse_every_non_public_address() {
    let refused = [
        ("0.0.0.0", "unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("100.127.255.254", "shared (CGNAT)"),
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("169.254.169.254", "link-local"),
        ("192.0.0.8", "reserved"),
        ("192.0.2.10", "documentation"),
        ("198.51.100.7", "documentation"),
        ("203.0.113.99", "documentation"),
        ("198.18.0.1", "benchmarking"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("240.0.0.1", "reserved"),
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("fc00::1", "private (unique local)"),
        ("fd12:3456::1", "private (unique local)"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "documentation"),
        ("3fff::1", "documentation"),
        ("2001::1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a00:1", "private"),
        ("2002:c0a8:0101::1", "private"),
        ("::127.0.0.1", "reserved"),
        ("100::1", "reserved"),
    ];
    for (text, kind) in refused {
        let ip: IpAddr = text.parse().unwrap();
        assert_eq!(non_public_kind(ip), Some(kind), "{text}");
    }
    let public = [
        "1.1.1.1",
        "8.8.8.8",
        "100.63.255.255",
        "100.128.0.1",
        "172.15.255.255",
        "172.32.0.1",
        "192.169.0.1",
        "203.0.114.1",
        "2606:4700:4700::1111",
        "2400:cb00::1",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:0808:0808::1",
    ];
    for text in public {
        let ip: IpAddr = text.parse().unwrap();
        assert_eq!(non_public_kind(ip), None, "{text}");
    }
}

#[test]
fn published_address_checks_refuse_private_ip_literals_unless_allowed() {
    let strict = Outgoing::new(false);
    for text in [
        "http://127.0.0.1:8470",
        "http://2130706433:8470",
        "http://[::ffff:7f00:1]:8470",
        "https://10.0.0.2",
        "http://[fe80::1]",
    ] {
        assert!(
            matches!(
                strict.check_published(text),
                Err(AddressRefused::NotPublic { .. })
            ),
            "{text}"
        );
    }
    assert!(matches!(
        strict.check_published("http://8.8.8.8/internal?x=1"),
        Err(AddressRefused::Invalid(_))
    ));
    assert_eq!(
        strict.check_published("https://8.8.8.8/").unwrap(),
        "https://8.8.8.8"
    );
    let lan = Outgoing::new(true);
    assert_eq!(
        lan.check_published("http://127.0.0.1:8470").unwrap(),
        "http://127.0.0.1:8470"
    );
}

/// Places one order from a buyer to a seller that publishes `address`, runs a
/// pair exchange, and returns the buyer's outbox error.
async fn order_to_published(address: &str, allow_private: bool) -> Option<String> {
    let (seller_dir, buyer_dir) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let seller = node(&seller_dir, 1, "Telecenter Kota Malang");
    let buyer = node(&buyer_dir, 2, "Telecenter Ponorogo");
    let listing = add_listing(&seller);
    // The address travels in the seller's signed profile.
    seller
        .set_profile(&ProfileInput {
            address: Some(address.to_owned()),
            ..Default::default()
        })
        .unwrap();
    hand_catalog(&seller, &buyer);
    buyer
        .place_order(&cash_order(seller.center_id(), listing, 1))
        .unwrap();
    buyer.set_outgoing(Outgoing::new(allow_private));
    // The operator's pages say whether the order can be delivered from here: a
    // published private IP counts as no address unless private ones are allowed.
    let literal_private = address.starts_with("http://127.");
    assert_eq!(
        buyer.can_reach(&seller.center_id()).unwrap(),
        allow_private || !literal_private,
        "{address}"
    );
    let engine = SyncEngine::new(buyer.clone()).unwrap();
    let results = engine.exchange_all().await;
    assert_eq!(results.len(), 1, "one counterpart: {results:?}");
    assert!(results[0].1.is_err(), "{results:?}");
    let outbox = buyer.outbox_for(&seller.center_id()).unwrap();
    assert_eq!(outbox.len(), 1);
    outbox[0].last_error.clone()
}

#[tokio::test]
async fn published_private_address_is_never_contacted() {
    let (addr, accepted) = counting_listener().await;
    // An IP literal (never resolved) and a name that resolves to loopback
    // (checked by the resolver at connect time).
    for published in [
        format!("http://{addr}"),
        format!("http://localhost:{}", addr.port()),
    ] {
        let error = order_to_published(&published, false).await.unwrap();
        assert!(
            error.contains("loopback") && error.contains("must be public"),
            "{published}: {error}"
        );
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "a connection was made");

    // The same order with private addresses allowed does reach the listener:
    // so the zero above is the address rules at work, not a broken setup.
    let error = order_to_published(&format!("http://{addr}"), true)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while accepted.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "never connected: {error}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A certificate authority and a server certificate for 127.0.0.1 signed by it.
struct Pki {
    ca_pem: String,
    server_cert: rustls_pki_types::CertificateDer<'static>,
    server_key: rustls_pki_types::PrivateKeyDer<'static>,
}

fn pki() -> Pki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "telecenter test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server_params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        server_cert: server_cert.der().clone(),
        server_key: rustls_pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
    }
}

/// Accepts TCP connections and completes the TLS handshake before handing
/// them to axum (connections whose handshake fails are dropped).
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// Serves `node`'s real router over TLS on 127.0.0.1; returns its https address.
async fn serve_tls(node: Arc<Node>, pki: &Pki) -> String {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![pki.server_cert.clone()], pki.server_key.clone_key())
    .unwrap();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", tcp.local_addr().unwrap());
    let listener = TlsListener {
        tcp,
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    };
    let router = crate::app::router(crate::server::AppState::new(node, None));
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

#[tokio::test]
async fn https_peer_with_a_private_ca_is_added_and_synced() {
    let pki = pki();
    let (hub_dir, joiner_dir) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let hub = node(&hub_dir, 11, "Telecenter Kota Malang");
    let joiner = node(&joiner_dir, 12, "Telecenter Ponorogo");
    add_listing(&hub);
    // The hub serves its peers only.
    hub.add_peer(&joiner.center_id(), "Telecenter Ponorogo", None)
        .unwrap();
    let url = serve_tls(hub.clone(), &pki).await;

    // No CA configured: the certificate is not trusted, and nothing is added.
    let error = add_peer_error(&joiner, &url).await;
    assert!(error.contains("certificate is not trusted"), "{error}");
    assert!(joiner.peers().unwrap().is_empty());

    // Another CA: still not trusted.
    let other = pki_ca_file(&joiner_dir, "other-ca.pem", &self::pki().ca_pem);
    joiner.set_outgoing(Outgoing::new(false).with_ca_file(&other).unwrap());
    let error = add_peer_error(&joiner, &url).await;
    assert!(error.contains("certificate is not trusted"), "{error}");

    // The hub's CA: added, and a round brings the hub's catalog over TLS.
    let ca = pki_ca_file(&joiner_dir, "ca.pem", &pki.ca_pem);
    joiner.set_outgoing(Outgoing::new(false).with_ca_file(&ca).unwrap());
    let engine = SyncEngine::new(joiner.clone()).unwrap();
    let info = add_peer_by_url(&joiner, engine.client(), &format!("{url}/"))
        .await
        .unwrap();
    assert_eq!(info.center_id, hub.center_id().to_string());
    assert_eq!(
        joiner.peers().unwrap()[0].url.as_deref(),
        Some(url.as_str())
    );
    let reports = engine.sync_all().await.unwrap();
    assert!(reports[0].ok, "{reports:?}");
    let doc = DocId::catalog(hub.center_id()).to_string();
    assert_eq!(joiner.have().get(&doc), hub.have().get(&doc));
}

/// The error `joiner` gets adding the peer at `url`, which must fail.
async fn add_peer_error(joiner: &Arc<Node>, url: &str) -> String {
    let engine = SyncEngine::new(joiner.clone()).unwrap();
    add_peer_by_url(joiner, engine.client(), url)
        .await
        .unwrap_err()
        .to_string()
}

fn pki_ca_file(dir: &TempDir, name: &str, pem: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, pem).unwrap();
    path
}

#[test]
fn bad_ca_file_is_one_clear_error() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("missing.pem");
    let error = Outgoing::new(false)
        .with_ca_file(&missing)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("CA file ") && !error.contains('\n'),
        "{error}"
    );
    let not_pem = pki_ca_file(&dir, "not.pem", "hello");
    let error = Outgoing::new(false)
        .with_ca_file(&not_pem)
        .unwrap_err()
        .to_string();
    assert!(error.contains("no PEM certificate"), "{error}");
    let broken = pki_ca_file(
        &dir,
        "broken.pem",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    let error = Outgoing::new(false)
        .with_ca_file(&broken)
        .unwrap_err()
        .to_string();
    assert!(error.contains("cannot be read"), "{error}");
}
