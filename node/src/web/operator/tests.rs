//! Tests of the operator pages through the real router with
//! `tower::ServiceExt::oneshot` (no sockets): login and its limits, sessions and
//! CSRF tokens, the listing forms (multipart, with a photo made here), profile,
//! network and trust forms, logout. Each test checks what an operator or buyer
//! would observe: status, `Location` and `Set-Cookie` headers, the HTML text,
//! served photos, and the node's own state.

use std::io::Cursor;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_protocol::catalog::input::{ListingPatch, NewListing, ProfileInput};
use telecenter_protocol::catalog::{ListingStatus, Photo};
use telecenter_protocol::limits::PHOTO_UPLOAD_BYTES_MAX;
use telecenter_protocol::{CenterId, Identity, ListingId};
use tempfile::TempDir;

use telecenter_protocol::order::{Action, Collector, OrderId, PayMethod};

use crate::app::router;
use crate::clock::ManualClock;
use crate::node::{Node, PlaceOrder};
use crate::password::hash_password;
use crate::sample::add_sample_listings;
use crate::search::SearchQuery;
use crate::server::AppState;
use crate::server::login_limit::{
    BACKOFF_MAX_MS, CHECK_WAIT_MS, FREE_FAILURES, FREE_FAILURES_PER_NETWORK,
};
use crate::server::session::{OperatorState, SESSION_MS};
use crate::store::{ListingRow, TrustState};

mod center;
mod forms;
mod import;

/// 2025-11-23 01:06:40 UTC.
const T0: i64 = 1_763_860_000_000;
const PASSWORD: &str = "kopi-tubruk-malang-2025";
const BOUNDARY: &str = "----telecenter-uji-4f9c2a";
/// Every page an operator needs a session for, as (method, path).
const GUARDED: &[(&str, &str)] = &[
    ("GET", "/operator"),
    ("GET", "/operator/produk/baru"),
    ("POST", "/operator/produk/baru"),
    ("GET", "/operator/produk/Ab3dEf5hIj7lMn9p"),
    ("POST", "/operator/produk/Ab3dEf5hIj7lMn9p"),
    ("POST", "/operator/produk/Ab3dEf5hIj7lMn9p/hapus"),
    ("GET", "/operator/profil"),
    ("POST", "/operator/profil"),
    ("GET", "/operator/jaringan"),
    ("POST", "/operator/jaringan/peer"),
    ("POST", "/operator/jaringan/kepercayaan"),
    ("POST", "/operator/jaringan/sinkron"),
    ("GET", "/operator/kartu"),
    ("GET", "/operator/sandi"),
    ("POST", "/operator/sandi"),
    ("POST", "/operator/keluar"),
    ("GET", "/operator/pesanan"),
    ("GET", "/operator/pesanan?status=placed"),
    ("POST", "/operator/pesanan/kirim"),
    ("GET", "/operator/pesanan/q3k9v2m7xa4d"),
    ("POST", "/operator/pesanan/q3k9v2m7xa4d"),
    ("GET", "/operator/pesan?produk=x/y"),
    ("POST", "/operator/pesan"),
    ("GET", "/operator/biaya?bulan=2025-11"),
    ("GET", "/operator/biaya.csv?bulan=2025-11"),
    ("GET", "/operator/biaya/setoran"),
    ("POST", "/operator/biaya/setoran"),
    ("POST", "/operator/biaya/setoran/q3k9v2m7xa4d"),
    ("GET", "/operator/biaya/pusat/tc1qqqq?dari=2025-11"),
    ("GET", "/operator/permintaan?bulan=2025-11"),
    ("GET", "/operator/permintaan.csv?bulan=2025-11"),
    ("GET", "/operator/permintaan-pembeli"),
    ("GET", "/operator/permintaan-pembeli/ABCD2345"),
    ("POST", "/operator/permintaan-pembeli/ABCD2345/jual"),
    ("POST", "/operator/permintaan-pembeli/ABCD2345/tolak"),
    ("GET", "/operator/produk/impor"),
    ("POST", "/operator/produk/impor"),
    ("POST", "/operator/produk/impor/simpan"),
    ("GET", "/operator/produk/ekspor.csv"),
    ("GET", "/operator/produk/ekspor.xlsx"),
    ("GET", "/operator/produsen"),
    ("POST", "/operator/produsen"),
    ("GET", "/operator/produsen/1?bulan=2025-11"),
    ("POST", "/operator/produsen/1"),
    ("POST", "/operator/produsen/1/produk"),
    ("POST", "/operator/produsen/1/bayar"),
    ("GET", "/operator/produsen/1/laporan.csv?bulan=2025-11"),
    ("GET", "/operator/penjualan.csv?bulan=2025-11"),
    ("GET", "/operator/biaya.xlsx?bulan=2025-11"),
    (
        "GET",
        "/operator/biaya/pusat/tc1qqqq/laporan.xlsx?dari=2025-11",
    ),
    (
        "GET",
        "/operator/biaya/pusat/tc1qqqq/laporan.csv?dari=2025-11",
    ),
    ("GET", "/operator/produsen/1/laporan.xlsx?bulan=2025-11"),
    ("GET", "/operator/penjualan.xlsx?bulan=2025-11"),
];

/// A node with the sample catalog behind the real router, operator pages on.
struct Op {
    dir: TempDir,
    node: Arc<Node>,
    clock: Arc<ManualClock>,
    app: Router,
}

/// What a request gave back.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Vec<u8>,
    body: String,
}

/// A logged-in operator: the cookie to send and the session's CSRF token.
struct Login {
    cookie: String,
    csrf: String,
}

impl Op {
    /// Operator pages with a password set.
    fn new() -> Self {
        let op = Self::without_password();
        std::fs::write(
            op.password_file(),
            hash_password(PASSWORD, &mut crate::random::SystemRandom).unwrap(),
        )
        .unwrap();
        op
    }

    /// Operator pages whose password file does not exist yet.
    fn without_password() -> Self {
        Self::center(1, "Telecenter Kota Malang", "Kota Malang", true)
    }

    /// Another center (identity from `seed`), with a password, without samples.
    fn other(seed: u64, name: &str, region: &str) -> Self {
        let op = Self::center(seed, name, region, false);
        std::fs::write(
            op.password_file(),
            hash_password(PASSWORD, &mut crate::random::SystemRandom).unwrap(),
        )
        .unwrap();
        op
    }

    fn center(seed: u64, name: &str, region: &str, samples: bool) -> Self {
        let dir = TempDir::new().unwrap();
        let clock = Arc::new(ManualClock::new(T0));
        let node = crate::testing::center_with(
            dir.path(),
            (seed, seed + 100),
            &crate::testing::profile(name, region, Some("WA 0812-0000-0000")),
            clock.clone(),
        );
        if samples {
            assert_eq!(add_sample_listings(&node).unwrap(), 20);
        }
        let node = Arc::new(node);
        let mut state = AppState::new(node.clone(), None);
        state.operator = Arc::new(OperatorState::new(dir.path().join("operator_password")));
        state.public_url = Arc::new(
            crate::server::PublicUrl::new(None).saved_in(crate::data_dir::DataDir::new(dir.path())),
        );
        let app = router(state);
        Self {
            dir,
            node,
            clock,
            app,
        }
    }

    fn password_file(&self) -> std::path::PathBuf {
        self.dir.path().join("operator_password")
    }

    async fn send(&self, request: Request<Body>) -> Page {
        let (status, headers, bytes) = crate::testing::send_local(&self.app, request).await;
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Page {
            status,
            headers,
            bytes,
            body,
        }
    }

    async fn get(&self, uri: &str, login: Option<&Login>) -> Page {
        let mut request = Request::get(uri);
        if let Some(login) = login {
            request = request.header(header::COOKIE, &login.cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn post_form(&self, uri: &str, login: Option<&Login>, fields: &[(&str, &str)]) -> Page {
        let mut request =
            Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(login) = login {
            request = request.header(header::COOKIE, &login.cookie);
        }
        self.send(request.body(Body::from(urlencoded(fields))).unwrap())
            .await
    }

    /// Posts a form as `login`, with the session's CSRF token as the first field.
    async fn post_csrf(&self, uri: &str, login: &Login, fields: &[(&str, &str)]) -> Page {
        let mut with_token = vec![("csrf", login.csrf.as_str())];
        with_token.extend_from_slice(fields);
        self.post_form(uri, Some(login), &with_token).await
    }

    /// Posts the order form (`/operator/pesan`) as `login`.
    async fn place(&self, login: &Login, fields: &[(&str, &str)]) -> Page {
        self.post_form("/operator/pesan", Some(login), fields).await
    }

    async fn post_multipart(&self, uri: &str, login: Option<&Login>, body: Vec<u8>) -> Page {
        let mut request = Request::post(uri).header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        );
        if let Some(login) = login {
            request = request.header(header::COOKIE, &login.cookie);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    async fn login_with(&self, password: &str) -> Page {
        self.post_form("/operator/masuk", None, &[("password", password)])
            .await
    }

    /// Logs in from the client address `from` (`ip:port`).
    async fn login_from(&self, from: &str, password: &str) -> Page {
        let addr: std::net::SocketAddr = from.parse().unwrap();
        let mut request = Request::post("/operator/masuk")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(urlencoded(&[("password", password)])))
            .unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
        self.send(request).await
    }

    /// Logs in and reads the CSRF token from the dashboard.
    async fn login(&self) -> Login {
        let page = self.login_with(PASSWORD).await;
        page.assert_status(StatusCode::SEE_OTHER);
        let set_cookie = page.header(header::SET_COOKIE).unwrap();
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let mut login = Login {
            cookie,
            csrf: String::new(),
        };
        let dashboard = self.get("/operator", Some(&login)).await;
        dashboard.assert_status(StatusCode::OK);
        login.csrf = hidden_csrf(&dashboard.body);
        login
    }

    /// How many listings of this center exist, hidden ones included.
    fn own_total(&self) -> u64 {
        self.node
            .search(&SearchQuery {
                center: Some(self.node.center_id()),
                statuses: vec![ListingStatus::Active, ListingStatus::Hidden],
                limit: 100,
                ..SearchQuery::default()
            })
            .unwrap()
            .total
    }

    /// This center's listings as buyers find them.
    fn public_ids(&self) -> Vec<ListingId> {
        self.node
            .search(&SearchQuery {
                limit: 100,
                ..SearchQuery::default()
            })
            .unwrap()
            .items
            .into_iter()
            .map(|row| row.listing.id)
            .collect()
    }

    fn listing(&self, id: &ListingId) -> ListingRow {
        self.node.own_listing(id).unwrap()
    }

    /// Changes a listing of this center directly.
    fn patch(&self, id: &ListingId, patch: ListingPatch) {
        self.node.update_listing(id, &patch).unwrap();
    }

    /// A listing of this center, added directly, with an optional photo.
    fn add(&self, title: &str, photo: bool) -> ListingId {
        let photos: Vec<Photo> = if photo {
            vec![self.node.store_photo(&png(64, 48)).unwrap()]
        } else {
            Vec::new()
        };
        self.node
            .add_listing(&NewListing {
                title: title.to_owned(),
                description: format!("{title}, buatan tangan."),
                lang: None,
                category: "kerajinan".to_owned(),
                price_idr: 25_000,
                stock: 7,
                unit: Some("buah".to_owned()),
                producer: Some("UMKM Uji".to_owned()),
                producer_village: None,
                photos,
            })
            .unwrap()
            .listing
            .id
    }
}

impl Page {
    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the page if it differs.
    #[track_caller]
    fn assert_status(&self, status: StatusCode) {
        assert_eq!(self.status, status, "{}", self.body);
    }

    /// Asserts the page contains `text`, showing the page if not.
    #[track_caller]
    fn assert_contains(&self, text: &str) {
        assert!(self.body.contains(text), "{}", self.body);
    }

    /// Asserts a redirect (303 or 302) to `to`.
    fn assert_redirect(&self, to: &str, what: &str) {
        assert!(
            self.status == StatusCode::SEE_OTHER || self.status == StatusCode::FOUND,
            "{what}: expected a redirect, found {} {}",
            self.status,
            self.body
        );
        assert_eq!(self.header(header::LOCATION), Some(to), "{what}");
    }

    /// Asserts a 400 page with an alert saying `message`.
    fn assert_problem(&self, message: &str, what: &str) {
        assert_eq!(
            self.status,
            StatusCode::BAD_REQUEST,
            "{what}: {}",
            self.body
        );
        assert!(
            self.body.contains("role=\"alert\""),
            "{what}: {}",
            self.body
        );
        assert!(
            self.body.contains(message),
            "{what}: expected '{message}' in {}",
            self.body
        );
    }

    /// Asserts the 403 page of a missing or wrong CSRF token.
    fn assert_expired(&self, what: &str) {
        assert_eq!(self.status, StatusCode::FORBIDDEN, "{what}: {}", self.body);
        assert!(self.body.contains("kedaluwarsa"), "{what}: {}", self.body);
        assert!(
            self.body.contains("role=\"alert\""),
            "{what}: {}",
            self.body
        );
    }
}

/// A small PNG made here, so the tests need no files.
fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// The thumbnail name the node gives `upload`.
fn thumb_of(upload: &[u8]) -> String {
    crate::images::process(upload).unwrap().photo.thumb
}

/// A `multipart/form-data` body with text fields and an optional photo.
fn multipart(fields: &[(&str, &str)], photo: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((content_type, bytes)) = photo {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"foto\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// An `application/x-www-form-urlencoded` body.
fn urlencoded(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", percent(k), percent(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Text as maud writes it into HTML.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The value of the first hidden `csrf` input of a page.
fn hidden_csrf(body: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = body
        .find(marker)
        .unwrap_or_else(|| panic!("no csrf input in {body}"))
        + marker.len();
    let end = start + body[start..].find('"').unwrap();
    body[start..end].to_owned()
}

/// The fields of a new-listing form, as an operator types them.
fn listing_fields<'a>(
    csrf: &'a str,
    title: &'a str,
    category: &'a str,
    price: &'a str,
    stock: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("title", title),
        ("category", category),
        ("price", price),
        ("stock", stock),
        ("unit", "bungkus"),
        ("producer", "KWT Mawar"),
        ("description", "Renyah, tanpa pengawet."),
    ]
}

/// The fields of the edit form for `row`, with `changes` applied.
fn edit_fields(csrf: &str, row: &ListingRow, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let l = &row.listing;
    let mut fields = vec![
        ("csrf".to_owned(), csrf.to_owned()),
        ("title".to_owned(), l.title.id.clone()),
        ("category".to_owned(), l.category.slug().to_owned()),
        ("price".to_owned(), l.price_idr.to_string()),
        ("stock".to_owned(), l.stock.to_string()),
        ("unit".to_owned(), l.unit.clone()),
        ("producer".to_owned(), l.producer.clone()),
        ("description".to_owned(), l.description.id.clone()),
        ("status".to_owned(), l.status.word().to_owned()),
    ];
    for (name, value) in changes {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = (*value).to_owned(),
            None => fields.push(((*name).to_owned(), (*value).to_owned())),
        }
    }
    fields
}

fn as_refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn every_operator_page_without_a_session_goes_to_the_login() {
    let op = Op::new();
    let stranger = Login {
        cookie: "tc_sesi=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
            .to_owned(),
        csrf: String::new(),
    };
    for login in [None, Some(&stranger)] {
        for &(method, path) in GUARDED {
            let what = format!("{method} {path} (cookie: {})", login.is_some());
            let page = if method == "GET" {
                op.get(path, login).await
            } else if path.starts_with("/operator/produk/")
                && !path.ends_with("/hapus")
                && !path.ends_with("/simpan")
            {
                op.post_multipart(path, login, multipart(&[("csrf", "x")], None))
                    .await
            } else {
                op.post_form(path, login, &[("csrf", "x")]).await
            };
            page.assert_redirect("/operator/masuk", &what);
            assert!(
                page.header(header::SET_COOKIE)
                    .is_none_or(|c| c.contains("Max-Age=0"))
            );
        }
    }
    assert_eq!(op.own_total(), 20);
}

#[tokio::test]
async fn the_login_page_shows_its_form() {
    let op = Op::new();
    let page = op.get("/operator/masuk", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Masuk petugas"));
    assert!(page.body.contains("action=\"/operator/masuk\""));
    assert!(page.body.contains("type=\"password\" name=\"password\""));
    assert!(!page.body.contains("role=\"alert\""), "{}", page.body);
    assert_eq!(page.header(header::CACHE_CONTROL), Some("no-store"));
}

#[tokio::test]
async fn without_a_password_file_the_login_page_says_how_to_set_one() {
    let op = Op::without_password();
    let page = op.get("/operator/masuk", None).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("telecenter password");
    assert!(page.body.contains("role=\"alert\""));

    // Nothing opens the door until a password is set.
    let tried = op.login_with(PASSWORD).await;
    assert_eq!(tried.status, StatusCode::UNAUTHORIZED);
    assert!(tried.body.contains("telecenter password"));
    assert!(tried.header(header::SET_COOKIE).is_none());
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_the_right_one_makes_a_session() {
    let op = Op::new();
    let wrong = op.login_with("bukan-kata-sandinya").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    wrong.assert_contains("Kata sandi salah");
    assert!(wrong.body.contains("role=\"alert\""));
    assert!(wrong.header(header::SET_COOKIE).is_none());

    let right = op.login_with(PASSWORD).await;
    right.assert_redirect("/operator", "login");
    let cookie = right.header(header::SET_COOKIE).unwrap();
    assert!(cookie.starts_with("tc_sesi="), "{cookie}");
    let token = cookie
        .strip_prefix("tc_sesi=")
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    assert_eq!(token.len(), 64, "{cookie}");
    assert!(cookie.contains("; HttpOnly"), "{cookie}");
    assert!(cookie.contains("; SameSite=Strict"), "{cookie}");
    assert_eq!(right.header(header::CACHE_CONTROL), Some("no-store"));

    // Logged in, the login page sends the operator on.
    let login = Login {
        cookie: format!("tc_sesi={token}"),
        csrf: String::new(),
    };
    op.get("/operator/masuk", Some(&login))
        .await
        .assert_redirect("/operator", "login page with a session");
}

/// Finding: the login counter was global, so 11 wrong passwords from anyone
/// locked the real operator out.
#[tokio::test]
async fn strangers_wrong_passwords_do_not_lock_out_the_operator() {
    let op = Op::new();
    let stranger = "203.0.113.66:51000";
    for attempt in 1..=FREE_FAILURES {
        let page = op.login_from(stranger, "tebak-tebakan").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    // One more wrong password starts the back-off for that address.
    let page = op.login_from(stranger, "tebak-tebakan").await;
    page.assert_status(StatusCode::UNAUTHORIZED);
    let page = op.login_from(stranger, PASSWORD).await;
    page.assert_status(StatusCode::TOO_MANY_REQUESTS);
    page.assert_contains("Terlalu banyak kata sandi salah");
    assert!(page.header(header::SET_COOKIE).is_none());
    assert_eq!(page.header(header::RETRY_AFTER), Some("1"));
    // Its own /64 neighbours (IPv6) share the wait; nobody else does.
    let v6 = "[2001:db8:77:1::5]:51000";
    for _ in 0..=FREE_FAILURES {
        op.login_from(v6, "tebak-tebakan").await;
    }
    let neighbour = op.login_from("[2001:db8:77:1::9]:40000", PASSWORD).await;
    assert_eq!(neighbour.status, StatusCode::TOO_MANY_REQUESTS);

    // The operator, at another address, logs in at once.
    op.login_from("192.168.1.20:40000", PASSWORD)
        .await
        .assert_redirect("/operator", "the operator is not locked out");

    // The stranger's wait doubles with every further wrong password, up to a cap.
    op.clock.advance(1_001);
    let page = op.login_from(stranger, "lagi-salah").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    op.clock.advance(1_001);
    let page = op.login_from(stranger, PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "now waits 2 s");
    for _ in 0..40 {
        op.clock.advance(BACKOFF_MAX_MS);
        op.login_from(stranger, "lagi-salah").await;
    }
    let page = op.login_from(stranger, PASSWORD).await;
    let wait_s: i64 = page.header(header::RETRY_AFTER).unwrap().parse().unwrap();
    assert_eq!(wait_s, BACKOFF_MAX_MS / 1000, "the back-off is capped");
    // After the wait, the right password works and clears the count.
    op.clock.advance(BACKOFF_MAX_MS);
    op.login_from(stranger, PASSWORD)
        .await
        .assert_redirect("/operator", "after the wait");
    let page = op.login_from(stranger, "tebak-tebakan").await;
    assert_eq!(
        page.status,
        StatusCode::UNAUTHORIZED,
        "count cleared by success"
    );
}

/// Found from outside: strangers rotating through many IPv6 /64s kept both
/// password-check slots busy, so every login, the operator's too, got 429.
/// Known clients (the telecenter's own network, addresses that logged in
/// before) have a checking thread of their own, and a whole /48 is counted too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_rotating_addresses_do_not_lock_out_the_operator() {
    let op = Arc::new(Op::new());
    // Strangers from 60 /64s of one /48, all at once, two guesses each.
    let mut guesses = Vec::new();
    for i in 0..60u32 {
        let op = op.clone();
        guesses.push(tokio::spawn(async move {
            let from = format!("[2001:db8:99:{i:x}::1]:40000");
            let mut statuses = Vec::new();
            for _ in 0..2 {
                statuses.push(op.login_from(&from, "tebak-tebakan").await.status);
            }
            statuses
        }));
    }
    // Meanwhile the operator logs in from the telecenter's LAN at once.
    let started = std::time::Instant::now();
    op.login_from("192.168.1.20:40000", PASSWORD)
        .await
        .assert_redirect("/operator", "the operator during the flood");
    assert!(
        started.elapsed() < std::time::Duration::from_millis(CHECK_WAIT_MS),
        "the operator waited for the strangers"
    );
    let mut statuses = Vec::new();
    for guess in guesses {
        statuses.extend(guess.await.unwrap());
    }
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // More than FREE_FAILURES_PER_NETWORK wrong passwords from the /48: a /64 of
    // it that never guessed must wait too; another network need not.
    let wrong = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(wrong as u32 > FREE_FAILURES_PER_NETWORK, "{statuses:?}");
    let fresh = op.login_from("[2001:db8:99:ffff::1]:40000", PASSWORD).await;
    fresh.assert_status(StatusCode::TOO_MANY_REQUESTS);
    op.login_from("[2001:db8:77:1::1]:40000", PASSWORD)
        .await
        .assert_redirect("/operator", "another network");
}

#[tokio::test]
async fn the_dashboard_lists_own_listings() {
    let op = Op::new();
    let hidden = op.add("Tas Anyaman Pandan Uji", false);
    op.patch(
        &hidden,
        ListingPatch {
            status: Some("hidden".to_owned()),
            ..Default::default()
        },
    );
    let login = op.login().await;
    let page = op.get("/operator", Some(&login)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header(header::CACHE_CONTROL), Some("no-store"));
    let own = op
        .node
        .search(&SearchQuery {
            center: Some(op.node.center_id()),
            statuses: vec![ListingStatus::Active, ListingStatus::Hidden],
            limit: 100,
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(own.total, 21);
    for row in &own.items {
        let l = &row.listing;
        assert!(
            page.body.contains(&escaped(&l.title.id)),
            "{} missing from the dashboard",
            l.title.id
        );
        assert!(
            page.body
                .contains(&format!("href=\"/operator/produk/{}\"", l.id))
        );
    }
    assert!(page.body.contains("Disembunyikan"), "hidden listing marked");
    assert!(page.body.contains("href=\"/operator/produk/baru\""));
}

#[tokio::test]
async fn the_new_listing_form_is_multipart_with_a_csrf_token() {
    let op = Op::new();
    let login = op.login().await;
    let page = op.get("/operator/produk/baru", Some(&login)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("action=\"/operator/produk/baru\""));
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    assert!(page.body.contains("type=\"file\" name=\"photo\""));
    let csrf = hidden_csrf(&page.body);
    assert_eq!(csrf.len(), 64);
    assert!(csrf.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(csrf, login.csrf, "one token per session");
    assert!(page.body.contains("type=\"hidden\" name=\"csrf\""));
}

#[tokio::test]
async fn a_new_listing_with_a_photo_is_saved_and_shown_to_buyers() {
    let op = Op::new();
    let login = op.login().await;
    let photo = png(400, 300);
    let title = "Keripik Singkong Balado Uji";
    let page = op
        .post_multipart(
            "/operator/produk/baru",
            Some(&login),
            multipart(
                &listing_fields(&login.csrf, title, "makanan", "15.000", "12"),
                Some(("image/png", &photo)),
            ),
        )
        .await;
    let location = page.header(header::LOCATION).unwrap_or_default().to_owned();
    page.assert_status(StatusCode::SEE_OTHER);
    let id: ListingId = location
        .strip_prefix("/operator/produk/")
        .and_then(|rest| rest.strip_suffix("?tersimpan=1"))
        .unwrap_or_else(|| panic!("redirected to {location}"))
        .parse()
        .unwrap();
    assert_eq!(op.own_total(), 21);

    let row = op.listing(&id);
    let l = &row.listing;
    assert_eq!(l.title.id, title);
    assert_eq!(l.price_idr, 15_000);
    assert_eq!(l.stock, 12);
    assert_eq!(l.unit, "bungkus");
    assert_eq!(l.producer, "KWT Mawar");
    assert_eq!(l.category.slug(), "makanan");
    assert_eq!(l.status, ListingStatus::Active);
    assert_eq!(l.photos.len(), 1);
    let thumb = l.photos[0].thumb.clone();
    assert_eq!(thumb, thumb_of(&photo));

    // The edit page says it was saved and shows the photo.
    let edit = op.get(&location, Some(&login)).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.body.contains("Tersimpan."));
    assert!(edit.body.contains(&format!("src=\"/foto/{thumb}\"")));

    for hash in [&thumb, &l.photos[0].medium] {
        let image = op.get(&format!("/foto/{hash}"), None).await;
        assert_eq!(image.status, StatusCode::OK);
        assert_eq!(image.header(header::CONTENT_TYPE), Some("image/jpeg"));
        assert!(
            image
                .header(header::CACHE_CONTROL)
                .unwrap_or_default()
                .contains("immutable")
        );
        assert_eq!(crate::images::image_hash(&image.bytes), *hash);
        assert!(crate::images::is_stored_image(&image.bytes));
    }

    let search = op.get(&format!("/cari?q={}", percent(title)), None).await;
    assert_eq!(search.status, StatusCode::OK);
    let src = format!("src=\"/foto/{thumb}\"");
    let at = search
        .body
        .find(&src)
        .unwrap_or_else(|| panic!("no thumbnail in {}", search.body));
    let tag_start = search.body[..at].rfind("<img").unwrap();
    let tag_end = at + search.body[at..].find('>').unwrap();
    let tag = &search.body[tag_start..tag_end];
    assert!(tag.contains("loading=\"lazy\""), "{tag}");
}

#[tokio::test]
async fn bad_input_on_a_new_listing_changes_nothing() {
    let op = Op::new();
    let login = op.login().await;
    let photo = png(120, 90);
    let thumb = thumb_of(&photo);
    let not_an_image: &[u8] = b"%PDF-1.4 1 0 obj << /Type /Catalog >> endobj";
    let huge = vec![0u8; PHOTO_UPLOAD_BYTES_MAX + 1];
    let title = "Sambal Pecel Uji";
    /// One refused form: what it shows, its fields, its photo part (content
    /// type and bytes) and the message the page must give.
    struct Bad<'a> {
        what: &'a str,
        fields: Vec<(&'a str, &'a str)>,
        upload: Option<(&'a str, &'a [u8])>,
        message: &'a str,
    }
    let cases = [
        Bad {
            what: "price abc",
            fields: listing_fields(&login.csrf, title, "makanan", "abc", "3"),
            upload: Some(("image/png", &photo)),
            message: "Harga (Rp): tulis rupiah bulat dengan angka",
        },
        Bad {
            what: "stock x",
            fields: listing_fields(&login.csrf, title, "makanan", "12000", "x"),
            upload: Some(("image/png", &photo)),
            message: "Stok: tulis angka bulat",
        },
        Bad {
            what: "not an image",
            fields: listing_fields(&login.csrf, title, "makanan", "12000", "3"),
            upload: Some(("application/pdf", not_an_image)),
            message: "Foto: berkas ini bukan foto JPEG, PNG atau WebP.",
        },
        Bad {
            what: "photo too large",
            fields: listing_fields(&login.csrf, title, "makanan", "12000", "3"),
            upload: Some(("image/png", &huge)),
            message: "Foto: berkas terlalu besar",
        },
        Bad {
            what: "empty title, no photo",
            fields: listing_fields(&login.csrf, "  ", "makanan", "12000", "3"),
            upload: None,
            message: "Nama produk: wajib diisi.",
        },
        Bad {
            what: "unknown category, no photo",
            fields: listing_fields(&login.csrf, title, "senjata", "12000", "3"),
            upload: None,
            message: "Kategori: pilih salah satu pilihan.",
        },
    ];
    for Bad {
        what,
        fields,
        upload,
        message,
    } in cases
    {
        let page = op
            .post_multipart(
                "/operator/produk/baru",
                Some(&login),
                multipart(&fields, upload),
            )
            .await;
        page.assert_problem(message, what);
        assert_eq!(page.header(header::CACHE_CONTROL), Some("no-store"));
        assert!(
            page.body.contains("enctype=\"multipart/form-data\""),
            "{what}"
        );
        // What was typed is still there.
        let typed_title = fields.iter().find(|(k, _)| *k == "title").unwrap().1;
        if !typed_title.trim().is_empty() {
            assert!(
                page.body.contains(&format!("value=\"{typed_title}\"")),
                "{what}: title lost"
            );
        }
        assert!(
            page.body.contains("value=\"KWT Mawar\""),
            "{what}: producer lost"
        );
        assert!(page.body.contains("Renyah, tanpa pengawet."), "{what}");
        assert_eq!(hidden_csrf(&page.body), login.csrf, "{what}");
        // Nothing was created or stored.
        assert_eq!(op.own_total(), 20, "{what}");
        let image = op.get(&format!("/foto/{thumb}"), None).await;
        assert_eq!(image.status, StatusCode::NOT_FOUND, "{what}: photo stored");
    }

    // A missing or wrong CSRF token: the form is refused before anything is read.
    let wrong = "0".repeat(64);
    let without: Vec<(&str, &str)> = listing_fields("", title, "makanan", "12000", "3")
        .into_iter()
        .filter(|(k, _)| *k != "csrf")
        .collect();
    for (what, fields) in [
        ("missing csrf", without),
        (
            "wrong csrf",
            listing_fields(&wrong, title, "makanan", "12000", "3"),
        ),
    ] {
        let page = op
            .post_multipart(
                "/operator/produk/baru",
                Some(&login),
                multipart(&fields, Some(("image/png", &photo))),
            )
            .await;
        page.assert_expired(what);
        assert_eq!(op.own_total(), 20, "{what}");
        let image = op.get(&format!("/foto/{thumb}"), None).await;
        assert_eq!(image.status, StatusCode::NOT_FOUND, "{what}: photo stored");
    }
}

/// A valid photo sent with a form that is refused is kept for the next post
/// (see `forms::photo_is_kept_across_a_form_error`) but not published: nothing
/// is served at `/foto/{hash}` and no listing names it.
#[tokio::test]
async fn a_refused_form_does_not_publish_its_photo() {
    let op = Op::new();
    let login = op.login().await;
    let photo = png(120, 90);
    let thumb = thumb_of(&photo);
    for (what, fields) in [
        (
            "empty title",
            listing_fields(&login.csrf, "", "makanan", "12000", "3"),
        ),
        (
            "unknown category",
            listing_fields(&login.csrf, "Sambal Uji", "senjata", "12000", "3"),
        ),
    ] {
        let page = op
            .post_multipart(
                "/operator/produk/baru",
                Some(&login),
                multipart(&fields, Some(("image/png", &photo))),
            )
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{what}");
        assert_eq!(op.own_total(), 20, "{what}");
        let image = op.get(&format!("/foto/{thumb}"), None).await;
        assert_eq!(image.status, StatusCode::NOT_FOUND, "{what}: photo stored");
    }
    // The same on the edit form.
    let id = op.add("Batik Uji", false);
    let fields = edit_fields(&login.csrf, &op.listing(&id), &[("title", "")]);
    let page = op
        .post_multipart(
            &format!("/operator/produk/{id}"),
            Some(&login),
            multipart(&as_refs(&fields), Some(("image/png", &photo))),
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(op.listing(&id).listing.photos.is_empty());
    let image = op.get(&format!("/foto/{thumb}"), None).await;
    assert_eq!(image.status, StatusCode::NOT_FOUND, "edit: photo stored");
}

#[tokio::test]
async fn a_body_over_the_upload_limit_is_refused_and_changes_nothing() {
    let op = Op::new();
    let login = op.login().await;
    // Past the route's body limit (the photo limit plus 64 KiB for the fields),
    // the multipart stream itself fails rather than the photo check.
    let huge = vec![0u8; PHOTO_UPLOAD_BYTES_MAX + 70 * 1024];
    let fields = listing_fields(&login.csrf, "Sambal Uji", "makanan", "12000", "3");
    let page = op
        .post_multipart(
            "/operator/produk/baru",
            Some(&login),
            multipart(&fields, Some(("image/png", &huge))),
        )
        .await;
    page.assert_problem(
        "Foto terlalu besar (paling besar 8 MB)",
        "over the body limit",
    );
    assert_eq!(op.own_total(), 20);

    let id = op.add("Batik Uji", false);
    let before = op.listing(&id);
    let fields = edit_fields(&login.csrf, &before, &[("price", "1")]);
    let page = op
        .post_multipart(
            &format!("/operator/produk/{id}"),
            Some(&login),
            multipart(&as_refs(&fields), Some(("image/png", &huge))),
        )
        .await;
    page.assert_problem(
        "Foto terlalu besar (paling besar 8 MB)",
        "edit over the limit",
    );
    assert_eq!(op.listing(&id).listing, before.listing);
}

#[tokio::test]
async fn editing_changes_price_status_and_photo() {
    let op = Op::new();
    let login = op.login().await;
    let id = op.add("Batik Tulis Uji", true);
    let uri = format!("/operator/produk/{id}");
    let saved = format!("{uri}?tersimpan=1");

    // The edit form carries the listing and the token.
    let form = op.get(&uri, Some(&login)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("value=\"Batik Tulis Uji\""));
    assert!(form.body.contains("enctype=\"multipart/form-data\""));
    assert_eq!(hidden_csrf(&form.body), login.csrf);

    // Price.
    let fields = edit_fields(&login.csrf, &op.listing(&id), &[("price", "Rp 175.000")]);
    op.post_multipart(&uri, Some(&login), multipart(&as_refs(&fields), None))
        .await
        .assert_redirect(&saved, "price");
    let row = op.listing(&id);
    assert_eq!(row.listing.price_idr, 175_000);
    assert_eq!(row.listing.photos.len(), 1, "photo kept without an upload");
    assert!(op.public_ids().contains(&id));

    // A bad price changes nothing.
    let fields = edit_fields(&login.csrf, &op.listing(&id), &[("price", "mahal")]);
    let page = op
        .post_multipart(&uri, Some(&login), multipart(&as_refs(&fields), None))
        .await;
    page.assert_problem("Harga (Rp): tulis rupiah bulat", "bad price");
    assert!(page.body.contains("value=\"mahal\""));
    assert_eq!(op.listing(&id).listing.price_idr, 175_000);

    // No token, nothing changes.
    let mut fields = edit_fields(&login.csrf, &op.listing(&id), &[("price", "1000")]);
    fields.retain(|(k, _)| k != "csrf");
    op.post_multipart(&uri, Some(&login), multipart(&as_refs(&fields), None))
        .await
        .assert_expired("edit without csrf");
    assert_eq!(op.listing(&id).listing.price_idr, 175_000);

    // Hidden: kept for the operator, gone for buyers.
    let fields = edit_fields(&login.csrf, &op.listing(&id), &[("status", "hidden")]);
    op.post_multipart(&uri, Some(&login), multipart(&as_refs(&fields), None))
        .await
        .assert_redirect(&saved, "hide");
    let row = op.listing(&id);
    assert_eq!(row.listing.status, ListingStatus::Hidden);
    assert!(!op.public_ids().contains(&id));
    let public = op
        .get(&format!("/produk/{}/{id}", op.node.center_id()), None)
        .await;
    assert_eq!(public.status, StatusCode::NOT_FOUND);
    let again = op.get(&uri, Some(&login)).await;
    again.assert_contains("value=\"hidden\" checked");

    // A new photo replaces the old one.
    let old = row.listing.photos[0].clone();
    let upload = png(300, 200);
    let fields = edit_fields(&login.csrf, &row, &[("status", "active")]);
    op.post_multipart(
        &uri,
        Some(&login),
        multipart(&as_refs(&fields), Some(("image/png", &upload))),
    )
    .await
    .assert_redirect(&saved, "new photo");
    let row = op.listing(&id);
    assert_eq!(row.listing.status, ListingStatus::Active);
    assert_eq!(row.listing.photos.len(), 1);
    assert_ne!(row.listing.photos[0], old);
    assert_eq!(row.listing.photos[0].thumb, thumb_of(&upload));

    // The checkbox removes it.
    let fields = edit_fields(&login.csrf, &row, &[("remove_photo", "1")]);
    op.post_multipart(&uri, Some(&login), multipart(&as_refs(&fields), None))
        .await
        .assert_redirect(&saved, "remove photo");
    assert!(op.listing(&id).listing.photos.is_empty());
    assert_eq!(op.listing(&id).listing.price_idr, 175_000);
}

#[tokio::test]
async fn removing_a_listing_needs_the_token() {
    let op = Op::new();
    let login = op.login().await;
    let id = op.add("Gerabah Uji", false);
    let public_uri = format!("/produk/{}/{id}", op.node.center_id());
    assert_eq!(op.get(&public_uri, None).await.status, StatusCode::OK);
    let uri = format!("/operator/produk/{id}/hapus");

    for (what, fields) in [
        ("missing csrf", vec![]),
        ("wrong csrf", vec![("csrf", "abc")]),
    ] {
        op.post_form(&uri, Some(&login), &fields)
            .await
            .assert_expired(what);
        assert_eq!(
            op.listing(&id).listing.status,
            ListingStatus::Active,
            "{what}"
        );
        assert_eq!(op.get(&public_uri, None).await.status, StatusCode::OK);
    }

    op.post_csrf(&uri, &login, &[])
        .await
        .assert_redirect("/operator", "remove");
    assert_eq!(op.listing(&id).listing.status, ListingStatus::Removed);
    assert_eq!(
        op.get(&public_uri, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!op.public_ids().contains(&id));
    // The operator no longer finds it either.
    let edit = op
        .get(&format!("/operator/produk/{id}"), Some(&login))
        .await;
    assert_eq!(edit.status, StatusCode::NOT_FOUND);
    let dashboard = op.get("/operator", Some(&login)).await;
    assert!(!dashboard.body.contains("Gerabah Uji"));
}

#[tokio::test]
async fn the_profile_form_changes_the_contact() {
    let op = Op::new();
    let login = op.login().await;
    let form = op.get("/operator/profil", Some(&login)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("value=\"WA 0812-0000-0000\""));

    op.post_csrf(
        "/operator/profil",
        &login,
        &[
            ("name", "Telecenter Kota Malang"),
            ("region", "Kota Malang"),
            ("contact", "WA 0813-1111-2222, Jl. Ijen 5"),
        ],
    )
    .await
    .assert_redirect("/operator/profil?tersimpan=1", "profile");
    let profile = op.node.profile().unwrap();
    assert_eq!(profile.contact, "WA 0813-1111-2222, Jl. Ijen 5");
    assert_eq!(profile.name, "Telecenter Kota Malang");
    let shown = op.get("/operator/profil?tersimpan=1", Some(&login)).await;
    assert!(shown.body.contains("Tersimpan."));
    assert!(
        shown
            .body
            .contains("value=\"WA 0813-1111-2222, Jl. Ijen 5\"")
    );

    // An empty name is refused; the page keeps what was typed.
    let page = op
        .post_csrf(
            "/operator/profil",
            &login,
            &[
                ("name", ""),
                ("region", "Kota Malang"),
                ("contact", "WA 0899-9999-9999"),
            ],
        )
        .await;
    page.assert_problem("Nama telecenter: wajib diisi.", "empty name");
    assert!(page.body.contains("value=\"WA 0899-9999-9999\""));
    assert_eq!(op.node.profile().unwrap(), profile);

    // Without the token nothing changes.
    op.post_form(
        "/operator/profil",
        Some(&login),
        &[
            ("name", "Telecenter Palsu"),
            ("region", "Kota Malang"),
            ("contact", "-"),
        ],
    )
    .await
    .assert_expired("profile without csrf");
    assert_eq!(op.node.profile().unwrap(), profile);
}

#[tokio::test]
async fn the_network_page_shows_peers_and_trust_forms() {
    let op = Op::new();
    let peer = Identity::generate(&mut StdRng::seed_from_u64(2)).center_id();
    op.node
        .add_peer(
            &peer,
            "Telecenter Kota Blitar",
            Some("http://203.0.113.9:8470"),
        )
        .unwrap();
    let login = op.login().await;
    let page = op.get("/operator/jaringan", Some(&login)).await;
    page.assert_status(StatusCode::OK);
    assert!(page.body.contains("Telecenter yang terhubung"));
    assert!(page.body.contains("Telecenter Kota Blitar"));
    assert!(page.body.contains("http://203.0.113.9:8470"));
    assert!(page.body.contains("belum pernah"), "never synced");
    assert!(page.body.contains("action=\"/operator/jaringan/peer\""));
    assert!(page.body.contains("action=\"/operator/jaringan/sinkron\""));
    assert!(
        page.body
            .contains("action=\"/operator/jaringan/kepercayaan\"")
    );
    for action in ["trust", "block", "unblock"] {
        assert!(
            page.body
                .contains(&format!("name=\"action\" value=\"{action}\""))
        );
    }
    assert_eq!(hidden_csrf(&page.body), login.csrf);
}

#[tokio::test]
async fn a_hub_sees_how_much_sealed_mail_it_holds_for_whom_but_not_what_it_says() {
    let op = Op::new();
    let sender = Identity::generate(&mut StdRng::seed_from_u64(21));
    let recipient = Identity::generate(&mut StdRng::seed_from_u64(22)).center_id();
    op.node
        .add_peer(&sender.center_id(), "Telecenter Ponorogo", None)
        .unwrap();
    op.node
        .add_peer(&recipient, "Telecenter Kota Malang", None)
        .unwrap();
    let now = op.node.clock().now_ms();
    let mail = telecenter_protocol::sealed::SealedMail::seal(
        &sender,
        &recipient,
        now,
        b"{\"messages\":[],\"note\":\"Bu Sri 0812\"}",
        &mut StdRng::seed_from_u64(5),
    )
    .unwrap();
    let receipts = op.node.take_mail(&sender.center_id(), vec![mail]);
    assert_eq!(receipts[0].status, "taken", "{receipts:?}");
    let login = op.login().await;
    let page = op.get("/operator/jaringan", Some(&login)).await;
    page.assert_status(StatusCode::OK);
    page.assert_contains("Pesan titipan");
    assert!(page.body.contains("menyimpan 1 pesan tertutup"));
    assert!(page.body.contains("Telecenter Kota Malang: 1"));
    assert!(!page.body.contains("Bu Sri"));
}

#[tokio::test]
async fn the_trust_form_checks_the_center_id() {
    let op = Op::new();
    let login = op.login().await;
    let decide = "/operator/jaringan/kepercayaan";

    let page = op
        .post_csrf(
            decide,
            &login,
            &[("action", "trust"), ("center", "tc1bukan-id")],
        )
        .await;
    page.assert_status(StatusCode::BAD_REQUEST);
    assert!(page.body.contains("role=\"alert\""));
    assert!(
        page.body
            .contains("action=\"/operator/jaringan/kepercayaan\"")
    );
    assert!(op.node.trust_state().0.is_empty());

    // Its own center cannot be trusted.
    let own = op.node.center_id().to_string();
    let page = op
        .post_csrf(decide, &login, &[("action", "trust"), ("center", &own)])
        .await;
    page.assert_status(StatusCode::BAD_REQUEST);
    assert!(page.body.contains("role=\"alert\""));
    assert!(op.node.trust_state().0.is_empty());

    let other: CenterId = Identity::generate(&mut StdRng::seed_from_u64(3)).center_id();
    let text = other.to_string();

    // Without the token nothing changes.
    op.post_form(
        decide,
        Some(&login),
        &[("action", "trust"), ("center", &text)],
    )
    .await
    .assert_expired("trust without csrf");
    assert!(op.node.trust_state().0.is_empty());

    let page = op
        .post_csrf(decide, &login, &[("action", "trust"), ("center", &text)])
        .await;
    page.assert_status(StatusCode::OK);
    assert!(page.body.contains("role=\"status\""));
    assert!(page.body.contains(&format!("Percayai: {}", other.short())));
    assert_eq!(op.node.trust_state().0, vec![(other, TrustState::Trusted)]);
    assert!(op.node.accepts(&other));

    let page = op
        .post_csrf(decide, &login, &[("action", "block"), ("center", &text)])
        .await;
    page.assert_status(StatusCode::OK);
    assert_eq!(op.node.trust_state().0, vec![(other, TrustState::Blocked)]);
    assert!(!op.node.accepts(&other));
}

#[tokio::test]
async fn logging_out_ends_the_session() {
    let op = Op::new();
    let login = op.login().await;
    let other = op.login().await;
    assert_ne!(login.cookie, other.cookie);

    // Without the token the session stays.
    op.post_form("/operator/keluar", Some(&login), &[])
        .await
        .assert_redirect("/operator/masuk", "logout without csrf");
    assert_eq!(
        op.get("/operator", Some(&login)).await.status,
        StatusCode::OK
    );

    let page = op.post_csrf("/operator/keluar", &login, &[]).await;
    page.assert_redirect("/operator/masuk", "logout");
    let cleared = page.header(header::SET_COOKIE).unwrap();
    assert!(cleared.starts_with("tc_sesi=;"), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    op.get("/operator", Some(&login))
        .await
        .assert_redirect("/operator/masuk", "old cookie");
    // The old token no longer opens any form either.
    op.post_csrf(
        "/operator/profil",
        &login,
        &[("name", "X"), ("region", "Y")],
    )
    .await
    .assert_redirect("/operator/masuk", "old cookie, post");
    // Another session is untouched.
    assert_eq!(
        op.get("/operator", Some(&other)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_session_ends_after_twelve_hours() {
    let op = Op::new();
    let login = op.login().await;
    op.clock.advance(SESSION_MS - 1);
    assert_eq!(
        op.get("/operator", Some(&login)).await.status,
        StatusCode::OK
    );
    op.clock.advance(1);
    op.get("/operator", Some(&login))
        .await
        .assert_redirect("/operator/masuk", "expired session");
}

// ---------------------------------------------------------------------------
// Orders and fees, between two in-process nodes: Malang (the sample catalog;
// buys here) and Blitar (sells sambal pecel, 3 % referral fee, at least Rp 1.000).
// Pair messages are handed from one node's outbox to the other directly.

const BUYER_NAME: &str = "Pak Budi Santoso";
const BUYER_PHONE: &str = "0812 3456 7890";

struct Two {
    /// Telecenter Kota Malang.
    a: Op,
    /// Telecenter Kab Blitar.
    b: Op,
    /// Blitar's sambal pecel: Rp 15.000 a bungkus, 10 in stock.
    listing: ListingId,
}

impl Two {
    fn new() -> Self {
        let a = Op::new();
        let b = Op::other(2, "Telecenter Kab Blitar", "Kabupaten Blitar");
        b.node
            .set_profile(&ProfileInput {
                referral_fee_bp: Some(300),
                referral_fee_min_idr: Some(1_000),
                ..Default::default()
            })
            .unwrap();
        let listing = b
            .node
            .add_listing(&NewListing {
                description: "Sambal kacang khas Blitar.".to_owned(),
                ..crate::testing::product("Sambal Pecel Blitar", 15_000, 10)
            })
            .unwrap()
            .listing
            .id;
        a.node.trust(&b.node.center_id()).unwrap();
        b.node.trust(&a.node.center_id()).unwrap();
        let two = Self { a, b, listing };
        two.sync_catalogs();
        two
    }

    /// Hands each node the other's whole catalog (duplicates are skipped).
    fn sync_catalogs(&self) {
        for (to, from) in [(&self.a, &self.b), (&self.b, &self.a)] {
            let changes = from
                .node
                .changes_of(&telecenter_protocol::DocId::catalog(from.node.center_id()))
                .unwrap();
            for result in to.node.receive(&changes).unwrap() {
                result.unwrap();
            }
        }
    }

    /// Delivers pair messages both ways, sealed, directly from node to node
    /// (as the mail exchange does), until both outboxes are empty.
    fn deliver(&self) {
        for _ in 0..10 {
            for (from, to) in [(&self.a, &self.b), (&self.b, &self.a)] {
                let (from_id, to_id) = (from.node.center_id(), to.node.center_id());
                from.node.seal_outbox(&to_id, true).unwrap();
                let mails = from
                    .node
                    .mail_for_hop(&to_id)
                    .unwrap()
                    .into_iter()
                    .map(|r| r.mail)
                    .collect();
                let receipts = to.node.take_mail(&from_id, mails);
                from.node.mail_receipts(&to_id, &receipts).unwrap();
            }
            let quiet = |n: &Node| {
                n.outbox_counterparts().unwrap().is_empty()
                    && n.mail_recipients().unwrap().is_empty()
            };
            if quiet(&self.a.node) && quiet(&self.b.node) {
                return;
            }
        }
        panic!("pair messages still waiting after 10 exchanges");
    }

    /// `center/listing` of the sambal, as the order form takes it.
    fn product(&self) -> String {
        format!("{}/{}", self.b.node.center_id(), self.listing)
    }

    /// Malang orders `quantity` bungkus through its node directly.
    fn order(&self, quantity: i64) -> OrderId {
        self.a
            .node
            .place_order(&PlaceOrder {
                seller: self.b.node.center_id(),
                listing: self.listing.clone(),
                quantity,
                unit_price_idr: Some(15_000),
                buyer_name: BUYER_NAME.to_owned(),
                buyer_phone: BUYER_PHONE.to_owned(),
                payment_at: Collector::BuyerCenter,
                payment_method: PayMethod::Cash,
                note: "Tolong dibungkus rapat".to_owned(),
            })
            .unwrap()
            .state
            .id
    }

    /// An order of 3 bungkus taken to completion (Rp 45.000, fee Rp 1.350,
    /// paid at Malang: Malang owes Blitar Rp 43.650).
    fn completed(&self) -> OrderId {
        let id = self.order(3);
        self.deliver();
        for action in [Action::Accept, Action::Ship, Action::Complete] {
            self.b.node.order_step(&id, action, None).unwrap();
            self.deliver();
        }
        assert_eq!(
            self.a.node.order(&id).unwrap().row.status_word(),
            "completed"
        );
        id
    }

    fn status(&self, op: &Op, id: &OrderId) -> &'static str {
        op.node.order(id).unwrap().row.status_word()
    }
}

/// The fields of the place-order form as an operator fills them in.
fn place_fields<'a>(csrf: &'a str, product: &'a str, price: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("produk", product),
        ("unit_price_idr", price),
        ("quantity", "3"),
        ("buyer_name", BUYER_NAME),
        ("buyer_phone", BUYER_PHONE),
        ("payment_at", "buyer_center"),
        ("payment_method", "cash"),
        ("note", "Tolong dibungkus rapat"),
    ]
}

/// Replaces one field of a form.
fn with<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    name: &str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    for field in &mut fields {
        if field.0 == name {
            field.1 = value;
        }
    }
    fields
}

/// The steps a page offers: the `action` values of its step forms, in order.
fn step_buttons(body: &str) -> Vec<String> {
    let marker = "name=\"action\" value=\"";
    body.match_indices(marker)
        .map(|(i, _)| {
            let start = i + marker.len();
            body[start..start + body[start..].find('"').unwrap()].to_owned()
        })
        .collect()
}

#[tokio::test]
async fn an_order_placed_through_the_form_shows_on_both_centers() {
    let two = Two::new();
    let login = two.a.login().await;
    let product = two.product();

    // The form shows the product, its price, stock and the seller's fee terms.
    let form = two
        .a
        .get(&format!("/operator/pesan?produk={product}"), Some(&login))
        .await;
    form.assert_status(StatusCode::OK);
    assert_eq!(form.header(header::CACHE_CONTROL), Some("no-store"));
    for text in [
        "Sambal Pecel Blitar",
        "Rp 15.000",
        "10 bungkus",
        "Telecenter Kab Blitar",
        "3 % dari total, paling sedikit Rp 1.000",
        "name=\"unit_price_idr\" value=\"15000\"",
        "name=\"payment_at\" value=\"seller_center\"",
        "value=\"qris\"",
    ] {
        assert!(form.body.contains(text), "{text} missing: {}", form.body);
    }
    // A pasted product page address works as well as the bare code.
    let pasted = two
        .a
        .get(
            &format!("/operator/pesan?produk=http%3A%2F%2F10.0.0.2%3A8470%2Fproduk%2F{product}%3Flang%3Den"),
            Some(&login),
        )
        .await;
    pasted.assert_status(StatusCode::OK);
    assert!(pasted.body.contains("Sambal Pecel Blitar"));

    let placed = two
        .a
        .place(&login, &place_fields(&login.csrf, &product, "15000"))
        .await;
    placed.assert_status(StatusCode::SEE_OTHER);
    let location = placed.header(header::LOCATION).unwrap();
    let id: OrderId = location
        .strip_prefix("/operator/pesanan/")
        .and_then(|rest| rest.strip_suffix("?ok=place"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(two.status(&two.a, &id), "placed");

    let page = two.a.get(location, Some(&login)).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.header(header::CACHE_CONTROL), Some("no-store"));
    for text in [
        "Tersimpan. Dipesan.",
        "Menunggu keputusan",
        "Kami membeli",
        BUYER_NAME,
        BUYER_PHONE,
        "Tolong dibungkus rapat",
        "Rp 45.000",
        "Rp 1.350",
        "Rp 15.000 per bungkus",
        "3 bungkus",
        "belum diterima Telecenter Kab Blitar",
        "WIB",
    ] {
        assert!(page.body.contains(text), "{text} missing: {}", page.body);
    }

    // The list marks it as not delivered and counts the outbox.
    let list = two.a.get("/operator/pesanan", Some(&login)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.header(header::CACHE_CONTROL), Some("no-store"));
    for text in [
        format!("href=\"/operator/pesanan/{id}\""),
        "Menunggu keputusan".to_owned(),
        "Kami membeli".to_owned(),
        "Telecenter Kab Blitar".to_owned(),
        "Sambal Pecel Blitar".to_owned(),
        "3 bungkus".to_owned(),
        "Rp 45.000".to_owned(),
        "belum terkirim".to_owned(),
        "<strong>Telecenter Kab Blitar</strong>: 1".to_owned(),
        "action=\"/operator/pesanan/kirim\"".to_owned(),
    ] {
        assert!(list.body.contains(&text), "{text} missing: {}", list.body);
    }

    // No address is known for Blitar here: the list says so, and "Send now"
    // has no one to reach (and goes back only to an order page or the list).
    list.assert_contains("Alamat node telecenter ini belum diketahui");
    let sent = two
        .a
        .post_csrf(
            "/operator/pesanan/kirim",
            &login,
            &[("kembali", "https://evil.example/")],
        )
        .await;
    sent.assert_redirect("/operator/pesanan?dikirim=0&gagal=0", "send now");
    let sent = two
        .a
        .post_csrf(
            "/operator/pesanan/kirim",
            &login,
            &[("kembali", &format!("/operator/pesanan/{id}"))],
        )
        .await;
    sent.assert_redirect(
        &format!("/operator/pesanan/{id}?dikirim=0&gagal=0"),
        "send now from the order page",
    );
    let after = two
        .a
        .get(
            &format!("/operator/pesanan/{id}?dikirim=0&gagal=0"),
            Some(&login),
        )
        .await;
    assert!(
        after
            .body
            .contains("Tidak ada telecenter yang bisa dihubungi sekarang."),
        "{}",
        after.body
    );
    two.a
        .post_form(
            "/operator/pesanan/kirim",
            Some(&login),
            &[("kembali", "/operator/pesanan")],
        )
        .await
        .assert_expired("send now without a token");

    two.deliver();
    let list = two.a.get("/operator/pesanan", Some(&login)).await;
    assert!(!list.body.contains("belum terkirim"), "{}", list.body);
    assert!(list.body.contains("Semua kabar pesanan sudah terkirim"));
    let none = two
        .a
        .get("/operator/pesanan?status=completed", Some(&login))
        .await;
    none.assert_contains("Belum ada pesanan.");
    assert!(!none.body.contains(&format!("/operator/pesanan/{id}\"")));

    // The seller sees it too, as a sale, with the buyer's details.
    let seller = two.b.login().await;
    let list = two.b.get("/operator/pesanan", Some(&seller)).await;
    for text in [
        format!("href=\"/operator/pesanan/{id}\""),
        "Kami menjual".to_owned(),
        "Telecenter Kota Malang".to_owned(),
        "Menunggu keputusan".to_owned(),
    ] {
        assert!(list.body.contains(&text), "{text} missing: {}", list.body);
    }
    let page = two
        .b
        .get(&format!("/operator/pesanan/{id}"), Some(&seller))
        .await;
    page.assert_contains(BUYER_PHONE);
    assert!(
        page.body
            .contains("Stok berkurang 3 bungkus (sekarang 10 bungkus)")
    );
    // How the messages travelled (directly, just now) and why Malang is accepted.
    for text in [
        "Jalur pesan",
        "Pesan terakhir dari Telecenter Kota Malang",
        "langsung · baru saja",
        "Diterima karena",
        "dipercaya langsung oleh operator telecenter ini",
        "telecenter perantara tidak bisa membacanya",
    ] {
        assert!(page.body.contains(text), "{text} missing: {}", page.body);
    }
}

#[tokio::test]
async fn only_the_steps_this_center_may_take_have_buttons() {
    let two = Two::new();
    let (buyer, seller) = (two.a.login().await, two.b.login().await);
    let id = two.order(3);
    two.deliver();
    let path = format!("/operator/pesanan/{id}");
    let steps = async |op: &Op, login: &Login| step_buttons(&op.get(&path, Some(login)).await.body);

    assert_eq!(steps(&two.b, &seller).await, ["accept", "reject", "cancel"]);
    assert_eq!(steps(&two.a, &buyer).await, ["cancel"]);
    let page = two.b.get(&path, Some(&seller)).await;
    assert!(page.body.contains("Terima pesanan"));
    assert!(
        page.body.contains("name=\"reason\""),
        "reject and cancel ask why"
    );
    assert!(!page.body.contains("Tandai sudah dikirim"));

    two.b.node.order_step(&id, Action::Accept, None).unwrap();
    two.deliver();
    assert_eq!(steps(&two.b, &seller).await, ["ship", "cancel"]);
    assert!(steps(&two.a, &buyer).await.is_empty());
    let page = two.a.get(&path, Some(&buyer)).await;
    page.assert_contains("Tidak ada langkah");
    assert!(page.body.contains("Diterima"));

    two.b.node.order_step(&id, Action::Ship, None).unwrap();
    two.deliver();
    assert_eq!(steps(&two.b, &seller).await, ["complete"]);
    assert_eq!(steps(&two.a, &buyer).await, ["complete"]);
    assert!(
        two.a
            .get(&path, Some(&buyer))
            .await
            .body
            .contains("nilai barang Rp 45.000 (utang ke penjual) dan biaya rujukan Rp 1.350")
    );

    two.a.node.order_step(&id, Action::Complete, None).unwrap();
    two.deliver();
    assert!(steps(&two.b, &seller).await.is_empty());
    assert!(steps(&two.a, &buyer).await.is_empty());
    let history = two.b.get(&path, Some(&seller)).await.body;
    for text in [
        "Dipesan",
        "Diterima",
        "Dikirim",
        "Selesai",
        "Telecenter Kota Malang",
    ] {
        assert!(history.contains(text), "{text} missing: {history}");
    }
}

#[tokio::test]
async fn a_step_needs_the_token_a_reason_and_stock_and_then_changes_the_order() {
    let two = Two::new();
    let seller = two.b.login().await;
    let first = two.order(3);
    let second = two.order(5);
    two.deliver();
    let path = format!("/operator/pesanan/{first}");

    // No token: refused, nothing changes.
    let page = two
        .b
        .post_form(&path, Some(&seller), &[("action", "accept")])
        .await;
    page.assert_expired("accept without a token");
    let page = two
        .b
        .post_form(
            &path,
            Some(&seller),
            &[("csrf", "0".repeat(64).as_str()), ("action", "accept")],
        )
        .await;
    page.assert_expired("accept with a wrong token");
    assert_eq!(two.status(&two.b, &first), "placed");

    // Rejecting without a reason: the form says so and keeps the order.
    let page = two
        .b
        .post_csrf(&path, &seller, &[("action", "reject"), ("reason", " ")])
        .await;
    page.assert_problem("Tulis alasannya dulu", "reject without a reason");
    assert_eq!(two.status(&two.b, &first), "placed");

    // A step the state does not allow: plain words, nothing changes.
    let page = two.b.post_csrf(&path, &seller, &[("action", "ship")]).await;
    page.assert_status(StatusCode::CONFLICT);
    page.assert_contains("tidak bisa dilakukan sekarang");
    assert_eq!(two.status(&two.b, &first), "placed");

    // Accepting works and reserves the stock.
    let page = two
        .b
        .post_csrf(&path, &seller, &[("action", "accept")])
        .await;
    page.assert_redirect(&format!("{path}?ok=accept"), "accept");
    assert_eq!(two.status(&two.b, &first), "accepted");
    assert_eq!(two.b.listing(&two.listing).listing.stock, 7);
    let shown = two.b.get(&format!("{path}?ok=accept"), Some(&seller)).await;
    shown.assert_contains("Tersimpan. Diterima.");

    // Too little stock left for the second order: refused with the numbers.
    two.b.patch(
        &two.listing,
        ListingPatch {
            stock: Some(4),
            ..Default::default()
        },
    );
    let second_path = format!("/operator/pesanan/{second}");
    let page = two
        .b
        .post_csrf(&second_path, &seller, &[("action", "accept")])
        .await;
    page.assert_status(StatusCode::CONFLICT);
    page.assert_contains("Stok tidak cukup: tinggal 4 bungkus, pesanan butuh 5 bungkus");
    assert_eq!(two.status(&two.b, &second), "placed");
    assert_eq!(two.b.listing(&two.listing).listing.stock, 4);

    // Rejecting with a reason works; the reason is in the history on both sides.
    let page = two
        .b
        .post_csrf(
            &second_path,
            &seller,
            &[("action", "reject"), ("reason", "Stok tinggal sedikit")],
        )
        .await;
    page.assert_redirect(&format!("{second_path}?ok=reject"), "reject");
    two.deliver();
    assert_eq!(two.status(&two.a, &second), "rejected");
    let buyer = two.a.login().await;
    let page = two.a.get(&second_path, Some(&buyer)).await;
    page.assert_contains("Stok tinggal sedikit");
    assert!(page.body.contains("Ditolak"));
}

#[tokio::test]
async fn the_buyers_details_appear_on_operator_pages_and_never_on_public_ones() {
    let two = Two::new();
    let id = two.order(3);
    two.deliver();
    let (a, b) = (two.a.node.center_id(), two.b.node.center_id());
    let public = [
        "/".to_owned(),
        "/?lang=en".to_owned(),
        "/cari?q=sambal".to_owned(),
        format!("/produk/{}", two.product()),
        format!("/pusat/{a}"),
        format!("/pusat/{b}"),
        "/cara-pesan".to_owned(),
    ];
    for op in [&two.a, &two.b] {
        let login = op.login().await;
        for session in [None, Some(&login)] {
            for path in &public {
                let page = op.get(path, session).await;
                assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
                for private in [BUYER_NAME, "Budi", BUYER_PHONE, "3456", "dibungkus rapat"] {
                    assert!(
                        !page.body.contains(private),
                        "{private} shown on the public page {path}"
                    );
                }
            }
        }
        // Searching for the buyer finds nothing: orders are not in the index.
        for words in ["Santoso", "081234567890"] {
            let page = op.get(&format!("/cari?q={words}"), None).await;
            assert!(page.body.contains("Tidak ada produk yang cocok"), "{words}");
        }
        // The buyer's note ("dibungkus rapat") is not either: its words find
        // only what they find in listings ("bungkus" is a unit of sale).
        let note = op.get("/cari?q=dibungkus+rapat", None).await;
        let unit = op.get("/cari?q=bungkus", None).await;
        let cards = |body: &str| -> Vec<String> {
            body.split(r#"<li class="card">"#)
                .skip(1)
                .map(|card| card.split("</h3>").next().unwrap_or("").to_owned())
                .collect()
        };
        assert_eq!(cards(&note.body), cards(&unit.body));
        assert!(!cards(&unit.body).is_empty());
        let page = op
            .get(&format!("/operator/pesanan/{id}"), Some(&login))
            .await;
        page.assert_contains(BUYER_NAME);
        assert!(page.body.contains(BUYER_PHONE));
        assert!(page.body.contains("href=\"tel:081234567890\""));
        // The list shows no buyer details either: only the order page does.
        let list = op.get("/operator/pesanan", Some(&login)).await;
        assert!(!list.body.contains(BUYER_PHONE));
    }
}

#[tokio::test]
async fn the_product_page_offers_the_order_form_to_staff_only() {
    let two = Two::new();
    let login = two.a.login().await;
    let path = format!("/produk/{}", two.product());
    let link = format!("href=\"/operator/pesan?produk={}\"", two.product());

    let page = two.a.get(&path, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/operator/pesan"), "{}", page.body);
    assert_eq!(
        page.header(header::CACHE_CONTROL),
        Some("public, max-age=30")
    );

    let page = two.a.get(&path, Some(&login)).await;
    page.assert_contains(&link);
    assert!(page.body.contains("Pesan untuk pembeli"));
    assert_eq!(
        page.header(header::CACHE_CONTROL),
        Some("private, no-store")
    );

    // An expired or unknown session sees the public page.
    let stranger = Login {
        cookie: format!("tc_sesi={}", "ab".repeat(32)),
        csrf: String::new(),
    };
    assert!(!two.a.get(&path, Some(&stranger)).await.body.contains(&link));

    // No order link on this center's own products: they are sold at the counter.
    let own = two.a.public_ids()[0].clone();
    let page = two
        .a
        .get(
            &format!("/produk/{}/{own}", two.a.node.center_id()),
            Some(&login),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/operator/pesan"), "{}", page.body);
    // And the form refuses them in plain words.
    let form = two
        .a
        .get(
            &format!("/operator/pesan?produk={}/{own}", two.a.node.center_id()),
            Some(&login),
        )
        .await;
    form.assert_contains("milik telecenter ini sendiri");
    assert!(!form.body.contains("name=\"buyer_phone\""));
}

#[tokio::test]
async fn the_order_form_keeps_what_was_typed_and_refuses_a_changed_price() {
    let two = Two::new();
    let login = two.a.login().await;
    let product = two.product();
    let orders = |op: &Op| {
        op.node
            .orders(&crate::store::OrderFilter::default())
            .unwrap()
            .len()
    };

    // Without the token nothing is placed.
    let fields = place_fields(&login.csrf, &product, "15000");
    let page = two.a.place(&login, &fields[1..]).await;
    page.assert_expired("order without a token");

    // Input problems keep every typed value.
    for (field, value, problem) in [
        (
            "buyer_phone",
            "abc-def",
            "Nomor HP pembeli: hanya angka, spasi, + dan -.",
        ),
        (
            "buyer_phone",
            "12",
            "Nomor HP pembeli: paling sedikit 6 angka.",
        ),
        ("buyer_name", " ", "Nama pembeli: wajib diisi."),
        (
            "quantity",
            "banyak",
            "Jumlah: tulis angka bulat 1 sampai 10000.",
        ),
        ("quantity", "0", "Jumlah: tulis angka bulat 1 sampai 10000."),
    ] {
        let page = two
            .a
            .place(
                &login,
                &with(place_fields(&login.csrf, &product, "15000"), field, value),
            )
            .await;
        page.assert_problem(problem, &format!("{field}={value}"));
        assert!(page.body.contains("Tolong dibungkus rapat"), "note kept");
        assert!(
            page.body.contains(&format!("value=\"{}\"", escaped(value))),
            "{field} kept"
        );
        if field != "buyer_name" {
            assert!(page.body.contains(&format!("value=\"{BUYER_NAME}\"")));
        }
    }
    // More than the stock: refused with the numbers.
    let page = two
        .a
        .place(
            &login,
            &with(
                place_fields(&login.csrf, &product, "15000"),
                "quantity",
                "11",
            ),
        )
        .await;
    page.assert_status(StatusCode::CONFLICT);
    page.assert_contains("Stok tidak cukup: tinggal 10 bungkus, diminta 11 bungkus.");
    assert_eq!(orders(&two.a), 0);

    // Blitar raises the price after the form was shown: the order is refused, the
    // form shows the new price and sends it the next time.
    two.b.patch(
        &two.listing,
        ListingPatch {
            price_idr: Some(16_000),
            ..Default::default()
        },
    );
    two.sync_catalogs();
    let page = two
        .a
        .place(&login, &place_fields(&login.csrf, &product, "15000"))
        .await;
    page.assert_status(StatusCode::CONFLICT);
    page.assert_contains("Harga sudah berubah: sekarang Rp 16.000 per bungkus");
    assert!(
        page.body
            .contains("name=\"unit_price_idr\" value=\"16000\"")
    );
    assert!(page.body.contains(&format!("value=\"{BUYER_NAME}\"")));
    assert_eq!(orders(&two.a), 0);
    let placed = two
        .a
        .place(&login, &place_fields(&login.csrf, &product, "16000"))
        .await;
    placed.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(orders(&two.a), 1);

    // A product code that is not one, or one this node does not know.
    let page = two
        .a
        .get("/operator/pesan?produk=sambal", Some(&login))
        .await;
    page.assert_problem("Kode produk tidak dikenali", "bad product code");
    let unknown = format!("{}/q3k9v2m7xa", two.b.node.center_id());
    let page = two
        .a
        .get(&format!("/operator/pesan?produk={unknown}"), Some(&login))
        .await;
    page.assert_status(StatusCode::NOT_FOUND);
    assert!(page.body.contains("tidak ada di pasar node ini"));
    let page = two.a.get("/operator/pesan", Some(&login)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("name=\"produk\""));
    assert!(page.body.contains("href=\"/cari\""));
}

#[tokio::test]
async fn the_fee_report_shows_rupiah_a_chart_and_downloads_as_csv() {
    let two = Two::new();
    two.completed();
    let (buyer, seller) = (two.a.login().await, two.b.login().await);

    // Malang brought the sale: it earned the fee and owes Blitar the goods.
    let page = two
        .a
        .get("/operator/biaya?bulan=2025-11", Some(&buyer))
        .await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.header(header::CACHE_CONTROL), Some("no-store"));
    for text in [
        "November 2025",
        "href=\"/operator/biaya?bulan=2025-10\"",
        "Okt 2025",
        "href=\"/operator/biaya?bulan=2025-12\"",
        "Rp 1.350",
        "Rp 43.650 — kita berutang",
        "class=\"bar-neg\" style=\"width:100%\"",
        "Saran saja — tidak ada yang dibayar atau dicatat.",
        "Telecenter Kota Malang (kita) membayar Telecenter Kab Blitar",
        "href=\"/operator/biaya.csv?bulan=2025-11\"",
        "Unduh CSV",
        &format!(
            "/operator/biaya/setoran?pusat={}&amp;jumlah=43650",
            two.b.node.center_id()
        ),
    ] {
        assert!(page.body.contains(text), "{text} missing: {}", page.body);
    }

    // Blitar sold its producer's goods and owes the fee.
    let page = two
        .b
        .get("/operator/biaya?bulan=2025-11", Some(&seller))
        .await;
    for text in [
        "Rp 45.000",
        "Rp 1.350",
        "Rp 43.650",
        "Bu Sri",
        "Per produsen",
        "Rp 43.650 — mereka berutang ke kita",
        "class=\"bar-pos\" style=\"width:100%\"",
    ] {
        assert!(page.body.contains(text), "{text} missing: {}", page.body);
    }
    // Another month has nothing in it, but the balances are still today's.
    let page = two
        .b
        .get("/operator/biaya?bulan=2025-10", Some(&seller))
        .await;
    assert!(page.body.contains("Oktober 2025"));
    assert!(page.body.contains("mereka berutang ke kita"));
    let page = two
        .b
        .get("/operator/biaya?bulan=2025-13", Some(&seller))
        .await;
    page.assert_problem("Bulan: tulis seperti 2026-11.", "bad month");

    let csv = two
        .b
        .get("/operator/biaya.csv?bulan=2025-11", Some(&seller))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(
        csv.header(header::CONTENT_TYPE),
        Some("text/csv; charset=utf-8")
    );
    assert_eq!(
        csv.header(header::CONTENT_DISPOSITION),
        Some("attachment; filename=\"telecenter-biaya-2025-11.csv\"")
    );
    assert_eq!(csv.header(header::CACHE_CONTROL), Some("no-store"));
    assert_eq!(&csv.bytes[..3], b"\xEF\xBB\xBF", "byte-order mark");
    let text = csv.body.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "month,section,key,name,orders,gross_sales_idr,fees_earned_idr,fees_owed_idr,net_idr"
    );
    assert_eq!(
        lines[1],
        "\"2025-11\",\"total\",\"total\",\"Total\",1,45000,0,1350,43650"
    );
    assert!(text.contains("\"producer\",\"Bu Sri\",\"Bu Sri\",1,45000,0,1350,43650"));
}

#[tokio::test]
async fn a_settlement_is_recorded_confirmed_and_shown_in_the_statement() {
    let two = Two::new();
    let order = two.completed();
    let (buyer, seller) = (two.a.login().await, two.b.login().await);
    let blitar = two.b.node.center_id().to_string();

    // The chart's link fills in the form with what Malang owes.
    let page = two
        .a
        .get(
            &format!("/operator/biaya/setoran?pusat={blitar}&jumlah=43650"),
            Some(&buyer),
        )
        .await;
    page.assert_status(StatusCode::OK);
    page.assert_contains("value=\"43.650\"");
    page.assert_contains(&format!("value=\"{blitar}\" selected"));
    assert!(
        page.body
            .contains("Telecenter Kab Blitar — Rp 43.650 — kita berutang")
    );

    // Bad amounts and unknown payees are refused with the typed values kept.
    let fields = |amount: &'static str, payee: String| {
        vec![
            ("csrf".to_owned(), buyer.csrf.clone()),
            ("payee".to_owned(), payee),
            ("amount".to_owned(), amount.to_owned()),
            ("reference".to_owned(), "BRI 0042".to_owned()),
        ]
    };
    let page = two
        .a
        .post_form(
            "/operator/biaya/setoran",
            Some(&buyer),
            &as_refs(&fields("empat puluh", blitar.clone())),
        )
        .await;
    page.assert_problem("Jumlah: tulis rupiah bulat", "amount in words");
    assert!(page.body.contains("value=\"empat puluh\""));
    assert!(page.body.contains("value=\"BRI 0042\""));
    let page = two
        .a
        .post_form(
            "/operator/biaya/setoran",
            Some(&buyer),
            &as_refs(&fields("43.650", String::new())),
        )
        .await;
    page.assert_problem("Telecenter tujuan: pilih telecenter.", "no payee");
    let page = two
        .a
        .post_form(
            "/operator/biaya/setoran",
            Some(&buyer),
            &as_refs(&fields("0", blitar.clone())),
        )
        .await;
    page.assert_problem("Jumlah: paling sedikit Rp 1", "zero");
    assert!(two.a.node.settlements(None).unwrap().is_empty());

    let page = two
        .a
        .post_form(
            "/operator/biaya/setoran",
            Some(&buyer),
            &as_refs(&fields("43.650", blitar.clone())),
        )
        .await;
    page.assert_redirect("/operator/biaya/setoran?tercatat=1", "record a payment");
    let page = two
        .a
        .get("/operator/biaya/setoran?tercatat=1", Some(&buyer))
        .await;
    for text in [
        "Pembayaran tercatat",
        "Kita membayar",
        "Rp 43.650",
        "BRI 0042",
        "Menunggu konfirmasi",
    ] {
        assert!(page.body.contains(text), "{text} missing: {}", page.body);
    }
    assert!(
        !page.body.contains("Konfirmasi uang sudah masuk"),
        "the payer does not confirm"
    );
    two.deliver();

    // Blitar answers: a decline needs a reason; then it confirms.
    let id = two.b.node.settlements(None).unwrap()[0].id.clone();
    let page = two.b.get("/operator/biaya/setoran", Some(&seller)).await;
    page.assert_contains("Konfirmasi uang sudah masuk");
    assert!(
        page.body
            .contains(&format!("action=\"/operator/biaya/setoran/{id}\""))
    );
    let answer = format!("/operator/biaya/setoran/{id}");
    let page = two
        .b
        .post_csrf(&answer, &seller, &[("answer", "decline"), ("reason", "")])
        .await;
    page.assert_problem(
        "Tulis alasan menolak pembayaran ini.",
        "decline without a reason",
    );
    let page = two
        .b
        .post_form(&answer, Some(&seller), &[("answer", "confirm")])
        .await;
    page.assert_expired("confirm without a token");
    assert_eq!(two.b.node.settlements(None).unwrap()[0].status, "waiting");
    let page = two
        .b
        .post_csrf(&answer, &seller, &[("answer", "confirm")])
        .await;
    page.assert_redirect("/operator/biaya/setoran?dijawab=confirm", "confirm");
    assert_eq!(two.b.node.settlements(None).unwrap()[0].status, "confirmed");
    let page = two
        .b
        .get("/operator/biaya/setoran?dijawab=confirm", Some(&seller))
        .await;
    page.assert_contains("Dikonfirmasi");
    assert!(page.body.contains("Kita menerima"));
    two.deliver();

    // Malang's statement: goods, fee, settlement, settled.
    let page = two
        .a
        .get(
            &format!("/operator/biaya/pusat/{blitar}?dari=2025-11&sampai=2025-11"),
            Some(&buyer),
        )
        .await;
    page.assert_status(StatusCode::OK);
    for text in [
        "Rekening dengan Telecenter Kab Blitar",
        "Saldo awal",
        "Nilai barang",
        "-Rp 45.000",
        "Biaya rujukan",
        "+Rp 1.350",
        "-Rp 43.650",
        "Setoran",
        "+Rp 43.650",
        "Saldo akhir",
        "lunas",
        &format!("href=\"/operator/pesanan/{order}\""),
    ] {
        assert!(page.body.contains(text), "{text} missing: {}", page.body);
    }
    let page = two
        .a
        .get(
            &format!("/operator/biaya/pusat/{blitar}?dari=2025-10"),
            Some(&buyer),
        )
        .await;
    page.assert_contains("Tidak ada catatan pada masa ini.");
    let page = two
        .a
        .get(
            &format!("/operator/biaya/pusat/{blitar}?dari=2025-11&sampai=2025-10"),
            Some(&buyer),
        )
        .await;
    page.assert_problem(
        "Sampai bulan tidak boleh sebelum dari bulan.",
        "backwards period",
    );
    let page = two
        .a
        .get("/operator/biaya?bulan=2025-11", Some(&buyer))
        .await;
    page.assert_contains("lunas");
    assert!(page.body.contains("Tidak ada yang perlu dibayar."));
}

#[tokio::test]
async fn the_order_and_fee_pages_speak_english_when_asked() {
    let two = Two::new();
    let id = two.order(3);
    two.deliver();
    let login = two.b.login().await;
    let english = Login {
        cookie: format!("{}; lang=en", login.cookie),
        csrf: login.csrf.clone(),
    };
    let list = two.b.get("/operator/pesanan", Some(&english)).await;
    assert!(list.body.contains("<html lang=\"en\""));
    for text in [
        "Orders",
        "We sell",
        "Waiting for decision",
        "Other center",
        "Outbox",
    ] {
        assert!(list.body.contains(text), "{text} missing: {}", list.body);
    }
    let path = format!("/operator/pesanan/{id}");
    let page = two.b.get(&path, Some(&english)).await;
    for text in [
        "Accept the order",
        "Reject the order",
        "Buyer's phone",
        "3 % of the total, at least Rp 1.000",
        "Reserves 3 bungkus from the stock (now 10 bungkus).",
    ] {
        assert!(page.body.contains(text), "{text} missing: {}", page.body);
    }
    let refused = two
        .b
        .post_csrf(&path, &english, &[("action", "cancel")])
        .await;
    refused.assert_problem("Say why: write a reason", "cancel without a reason");
    assert!(refused.body.contains("Not saved — nothing was changed"));
    let fees = two
        .b
        .get("/operator/biaya?bulan=2025-11", Some(&english))
        .await;
    for text in [
        "Fees and balances",
        "November 2025",
        "A suggestion only — nothing is paid or recorded.",
    ] {
        assert!(fees.body.contains(text), "{text} missing: {}", fees.body);
    }
}

#[tokio::test]
async fn an_order_the_seller_refuses_on_arrival_says_so_in_plain_words() {
    let two = Two::new();
    // Blitar sold most of the stock at its counter; Malang's copy still says 10.
    two.b.patch(
        &two.listing,
        ListingPatch {
            stock: Some(2),
            ..Default::default()
        },
    );
    let id = two.order(3);
    two.deliver();
    assert_eq!(two.status(&two.a, &id), "refused");
    let login = two.a.login().await;
    let list = two
        .a
        .get("/operator/pesanan?status=refused", Some(&login))
        .await;
    for text in [
        format!("href=\"/operator/pesanan/{id}\""),
        "Ditolak saat tiba".to_owned(),
        "Telecenter penjual menolak pesanan ini saat tiba".to_owned(),
    ] {
        assert!(list.body.contains(&text), "{text} missing: {}", list.body);
    }
    let page = two
        .a
        .get(&format!("/operator/pesanan/{id}"), Some(&login))
        .await;
    page.assert_contains("Rincian: ");
    assert!(
        page.body.contains("stock"),
        "the node's details: {}",
        page.body
    );
    assert!(step_buttons(&page.body).is_empty());
}

// ---------------------------------------------------------------------------
// What buyers searched for

/// The rows of the table that follows `heading` on the page, as
/// (word, searches, missed).
fn demand_table(body: &str, heading: &str) -> Vec<(String, u64, u64)> {
    let start = body
        .find(heading)
        .unwrap_or_else(|| panic!("{heading}: {body}"));
    let rest = &body[start..];
    let table = &rest[..rest.find("</table>").unwrap_or(rest.len())];
    table
        .split("<tr>")
        .skip(2)
        .map(|row| {
            let cells: Vec<String> = row
                .split("<span>")
                .skip(1)
                .map(|cell| cell[..cell.find("</span>").unwrap()].to_owned())
                .collect();
            (
                cells[0].clone(),
                cells[1].parse().unwrap(),
                cells[2].parse().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_demand_page_shows_what_buyers_searched_and_did_not_find() {
    let op = Op::new();
    for uri in [
        "/cari?q=durian+montong",
        "/cari?q=keripik",
        "/cari?q=durian+montong",
        "/cari?q=keripik",
    ] {
        op.get(uri, None).await.assert_status(StatusCode::OK);
    }
    // A later page of the same search is not another search.
    op.get("/cari?q=keripik&hal=2", None).await;
    let login = op.login().await;

    let page = op
        .get("/operator/permintaan?bulan=2025-11", Some(&login))
        .await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.header(header::CACHE_CONTROL), Some("no-store"));
    for text in [
        "Yang dicari pembeli",
        "November 2025",
        "href=\"/operator/permintaan?bulan=2025-10\"",
        "href=\"/operator/permintaan?bulan=2025-12\"",
        "href=\"/operator/permintaan.csv?bulan=2025-11\"",
        "Unduh CSV",
        "tanpa nama, nomor atau alamat",
        "24 bulan",
        "href=\"/operator/permintaan\"",
    ] {
        page.assert_contains(text);
    }
    let missed = demand_table(&page.body, "Dicari pembeli tapi belum ada");
    let all = demand_table(&page.body, "Semua kata yang dicari");
    let words =
        |rows: &[(String, u64, u64)]| -> Vec<String> { rows.iter().map(|r| r.0.clone()).collect() };
    assert!(!missed.is_empty(), "{}", page.body);
    assert!(missed.contains(&("durian".to_owned(), 2, 2)), "{missed:?}");
    for row in &missed {
        assert!(
            row.0.contains("durian") || row.0.contains("montong"),
            "{row:?}"
        );
        assert_eq!((row.1, row.2), (2, 2), "{row:?}");
    }
    assert!(!words(&missed).contains(&"keripik".to_owned()));
    assert!(all.contains(&("keripik".to_owned(), 2, 0)), "{all:?}");
    for row in &missed {
        assert!(all.contains(row), "{row:?} in {all:?}");
    }

    // Another month says it is empty, in one line.
    let page = op
        .get("/operator/permintaan?bulan=2025-10", Some(&login))
        .await;
    page.assert_status(StatusCode::OK);
    page.assert_contains("Belum ada pencarian pembeli di bulan ini.");
    assert!(!page.body.contains("keripik"));

    // English.
    let english = Request::get("/operator/permintaan?bulan=2025-11")
        .header(header::COOKIE, format!("{}; lang=en", login.cookie))
        .body(Body::empty())
        .unwrap();
    let page = op.send(english).await;
    for text in [
        "What buyers searched for",
        "Searched for but not found here",
        "All searched words",
        "times searched",
        "Download CSV",
        ">Demand<",
    ] {
        page.assert_contains(text);
    }
}

#[tokio::test]
async fn the_demand_csv_lists_the_month_and_defuses_formulas() {
    let op = Op::new();
    for uri in ["/cari?q=durian", "/cari?q=keripik", "/cari?q=%3Dcmd"] {
        op.get(uri, None).await.assert_status(StatusCode::OK);
    }
    let login = op.login().await;
    let csv = op
        .get("/operator/permintaan.csv?bulan=2025-11", Some(&login))
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert_eq!(
        csv.header(header::CONTENT_TYPE),
        Some("text/csv; charset=utf-8")
    );
    assert_eq!(
        csv.header(header::CONTENT_DISPOSITION),
        Some("attachment; filename=\"permintaan-2025-11.csv\"")
    );
    assert_eq!(csv.header(header::CACHE_CONTROL), Some("no-store"));
    assert_eq!(&csv.bytes[..3], b"\xEF\xBB\xBF", "byte-order mark");
    let text = csv.body.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], "kata,kali_dicari,tidak_ketemu");
    assert!(lines.contains(&"\"durian\",1,1"), "{text}");
    assert!(lines.contains(&"\"keripik\",1,0"), "{text}");
    // The search keeps the word of "=cmd"; no cell starts a formula (the
    // guard itself: the_demand_csv_guards_a_word_that_would_be_a_formula).
    for line in &lines[1..] {
        let cell = line.trim_start_matches('"');
        assert!(!cell.starts_with(['=', '+', '-', '@']), "{line}");
    }
    assert!(
        !text.contains(",=cmd") && !text.starts_with("=cmd"),
        "{text}"
    );

    // A bad month is explained in Indonesian, on the page and the CSV alike.
    for uri in [
        "/operator/permintaan?bulan=2025-13",
        "/operator/permintaan.csv?bulan=kemarin",
    ] {
        let page = op.get(uri, Some(&login)).await;
        page.assert_problem("Bulan: tulis seperti 2026-11.", uri);
    }
}

#[test]
fn the_demand_csv_guards_a_word_that_would_be_a_formula() {
    let rows = [crate::store::DemandRow {
        word: "=cmd|' /C calc'!A0".to_owned(),
        searches: 3,
        missed: 3,
    }];
    let csv = super::demand::demand_csv_text(&rows);
    assert_eq!(
        csv,
        "\u{feff}kata,kali_dicari,tidak_ketemu\r\n\"'=cmd|' /C calc'!A0\",3,3\r\n"
    );
}

#[tokio::test]
async fn operator_searches_are_not_counted_as_demand() {
    let dir = TempDir::new().unwrap();
    let node = Arc::new(crate::testing::center_with(
        dir.path(),
        (1, 101),
        &crate::testing::profile("Telecenter Kota Malang", "Kota Malang", None),
        Arc::new(ManualClock::new(T0)),
    ));
    add_sample_listings(&node).unwrap();
    let mut state = AppState::new(node.clone(), Some("rahasia-admin-token-uji"));
    state.operator = Arc::new(OperatorState::new(dir.path().join("operator_password")));
    let app = router(state);
    // The operator's own listing search (the admin API the CLI uses).
    let request = Request::get("/api/v1/admin/listings?q=durian+keripik")
        .header(header::AUTHORIZATION, "Bearer rahasia-admin-token-uji")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = crate::testing::send_local(&app, request).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    // The operator's product list.
    node.search(&SearchQuery {
        text: Some("durian".to_owned()),
        center: Some(node.center_id()),
        ..SearchQuery::default()
    })
    .unwrap();
    assert_eq!(node.demand("2025-11").unwrap(), []);
    // A buyer's search on the public API is counted.
    let request = Request::get("/api/v1/listings?q=durian")
        .body(Body::empty())
        .unwrap();
    let (status, _, _) = crate::testing::send_local(&app, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(node.demand("2025-11").unwrap().len(), 1);
}

/// Issue 13: the profile form sets the WhatsApp number in any Indonesian form,
/// stores it as `+62…`, clears it when emptied, and refuses a bad one with the
/// typed value kept and nothing changed.
#[tokio::test]
async fn the_profile_form_sets_and_clears_the_whatsapp_number() {
    let op = Op::new();
    let login = op.login().await;
    let fields = |whatsapp: &'static str| {
        [
            ("name", "Telecenter Kota Malang"),
            ("region", "Kota Malang"),
            ("contact", "WA 0812-0000-0000"),
            ("whatsapp", whatsapp),
        ]
    };
    op.post_csrf("/operator/profil", &login, &fields("0812-0000-0007"))
        .await
        .assert_redirect("/operator/profil?tersimpan=1", "whatsapp");
    let profile = op.node.profile().unwrap();
    assert_eq!(profile.whatsapp.as_deref(), Some("+6281200000007"));
    let shown = op.get("/operator/profil", Some(&login)).await;
    assert!(
        shown.body.contains("value=\"+6281200000007\""),
        "{}",
        shown.body
    );

    let page = op
        .post_csrf("/operator/profil", &login, &fields("nomor saya"))
        .await;
    page.assert_problem(
        "Nomor WhatsApp telecenter: tulis nomor Indonesia, misalnya 0812-3456-7890.",
        "bad whatsapp",
    );
    assert!(page.body.contains("value=\"nomor saya\""));
    assert_eq!(op.node.profile().unwrap(), profile);

    op.post_csrf("/operator/profil", &login, &fields(""))
        .await
        .assert_redirect("/operator/profil?tersimpan=1", "clear whatsapp");
    assert_eq!(op.node.profile().unwrap().whatsapp, None);
}

mod downloads;
mod producers;
/// Buyer requests (the public form, the status page, the operator pages).
mod requests;
