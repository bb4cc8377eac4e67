//! Buyer requests through the real router: the "Pesan" form on product pages
//! (own and another center's), the bad-input matrix, the honeypot, the rate
//! limit, the open-request bound, the private status page and its token, and
//! the operator's list, WhatsApp link and one-time actions.

use telecenter_protocol::limits::{OPEN_REQUESTS_MAX, REQUESTS_PER_ADDRESS_MAX};

use super::*;
use crate::store::RequestStatus;

fn form_path(center: CenterId, listing: &ListingId) -> String {
    format!("/produk/{center}/{listing}/pesan")
}

fn good(name: &str) -> Vec<(&str, &str)> {
    vec![
        ("nama", name),
        ("wa", "0812-3456-7890"),
        ("jumlah", "2"),
        ("cara", "ambil"),
        ("catatan", ""),
        ("situs", ""),
    ]
}

impl Op {
    /// Posts the buyer form from client address `from`.
    async fn buyer_post(&self, path: &str, from: &str, fields: &[(&str, &str)]) -> Page {
        self.buyer_post_raw(path, from, urlencoded(fields)).await
    }

    async fn buyer_post_raw(&self, path: &str, from: &str, body: String) -> Page {
        let addr: std::net::SocketAddr = from.parse().unwrap();
        let mut request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
        self.send(request).await
    }

    fn request_count(&self) -> usize {
        self.node.requests(None).unwrap().len()
    }
}

#[tokio::test]
async fn every_product_page_has_the_form_with_ids_a_test_can_find() {
    let two = Two::new();
    let own = two.a.public_ids()[0].clone();
    for path in [
        format!("/produk/{}/{}", two.a.node.center_id(), own),
        format!("/produk/{}/{}", two.b.node.center_id(), two.listing),
    ] {
        let page = two.a.get(&path, None).await;
        page.assert_status(StatusCode::OK);
        for id in [
            "pesan-nama",
            "pesan-wa",
            "pesan-jumlah",
            "pesan-ambil",
            "pesan-antar",
            "pesan-catatan",
            "pesan-kirim",
        ] {
            page.assert_contains(&format!("id=\"{id}\""));
        }
        page.assert_contains(&format!("action=\"{path}/pesan\""));
    }
}

#[tokio::test]
async fn bad_input_shows_the_form_again_with_the_values_and_stores_nothing() {
    let two = Two::new();
    let path = form_path(two.b.node.center_id(), &two.listing);
    let from = "203.0.113.9:5000";
    let cases: [(&str, &str, &str, &str, StatusCode, &str); 5] = [
        (
            "",
            "0812-3456-7890",
            "1",
            "",
            StatusCode::UNPROCESSABLE_ENTITY,
            "Nama wajib diisi.",
        ),
        (
            "Bu Sari",
            "abc",
            "1",
            "",
            StatusCode::UNPROCESSABLE_ENTITY,
            "Nomor WhatsApp tidak dikenali",
        ),
        (
            "Bu Sari",
            "0812-3456-7890",
            "0",
            "",
            StatusCode::UNPROCESSABLE_ENTITY,
            "Jumlah harus angka bulat",
        ),
        (
            "Bu Sari",
            "0812-3456-7890",
            "10000",
            "",
            StatusCode::UNPROCESSABLE_ENTITY,
            "Jumlah lebih dari stok",
        ),
        (
            "Bu Sari",
            "0812-3456-7890",
            "1",
            "antar",
            StatusCode::UNPROCESSABLE_ENTITY,
            "tulis alamat pengantaran",
        ),
    ];
    for (name, phone, quantity, cara, status, message) in cases {
        let cara = if cara.is_empty() { "ambil" } else { cara };
        let page = two
            .a
            .buyer_post(
                &path,
                from,
                &[
                    ("nama", name),
                    ("wa", phone),
                    ("jumlah", quantity),
                    ("cara", cara),
                    ("catatan", ""),
                ],
            )
            .await;
        page.assert_status(status);
        page.assert_contains(message);
        page.assert_contains("id=\"pesan-kirim\"");
        if !name.is_empty() {
            page.assert_contains(&format!("value=\"{name}\""));
        }
        page.assert_contains(&format!("value=\"{quantity}\""));
    }
    // A 1 MB note is refused before it is read.
    let note = "x".repeat(1024 * 1024);
    let mut fields = good("Bu Sari");
    fields[4] = ("catatan", note.as_str());
    let page = two.a.buyer_post(&path, from, &fields).await;
    page.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    page.assert_contains("Isian terlalu panjang");
    // A note just over the limit (but within the body bound) is named.
    let note = "x".repeat(501);
    fields[4] = ("catatan", note.as_str());
    let page = two.a.buyer_post(&path, from, &fields).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("Catatan paling banyak 500 huruf");
    assert_eq!(two.a.request_count(), 0);
}

#[tokio::test]
async fn a_request_leads_to_a_private_status_page_only_with_its_token() {
    let two = Two::new();
    let path = form_path(two.b.node.center_id(), &two.listing);
    let page = two
        .a
        .buyer_post(&path, "203.0.113.9:5000", &good("Bu Sari"))
        .await;
    page.assert_status(StatusCode::SEE_OTHER);
    let location = page.header(header::LOCATION).unwrap().to_owned();
    assert!(location.starts_with("/pesanan/"), "{location}");
    let (status_path, token) = location.split_once("?token=").unwrap();
    assert!(token.len() >= 32);
    let status = two.a.get(&location, None).await;
    status.assert_status(StatusCode::OK);
    status.assert_contains("Menunggu petugas menghubungi Anda lewat WhatsApp");
    status.assert_contains("Sambal Pecel Blitar");
    status.assert_contains("noindex");
    assert_eq!(
        status.header(header::CACHE_CONTROL),
        Some("private, no-store")
    );
    assert_eq!(status.header(header::REFERRER_POLICY), Some("no-referrer"));
    for wrong in [
        status_path.to_owned(),
        format!("{status_path}?token="),
        format!("{status_path}?token={}", "0".repeat(32)),
        format!("/pesanan/ZZZZZZZZ?token={token}"),
    ] {
        let page = two.a.get(&wrong, None).await;
        page.assert_status(StatusCode::NOT_FOUND);
        page.assert_contains("Pesanan tidak ditemukan");
        assert!(!page.body.contains("Bu Sari"));
    }
    // Buyer details never reach public pages.
    let product = two
        .a
        .get(
            &format!("/produk/{}/{}", two.b.node.center_id(), two.listing),
            None,
        )
        .await;
    assert!(!product.body.contains("Bu Sari"));
    assert!(
        !two.a
            .get("/sitemap.xml", None)
            .await
            .body
            .contains("pesanan")
    );
    assert_eq!(two.a.request_count(), 1);
    assert!(two.b.node.requests(None).unwrap().is_empty());
}

#[tokio::test]
async fn the_honeypot_pretends_and_the_rate_limit_and_open_bound_hold() {
    let two = Two::new();
    let path = form_path(two.b.node.center_id(), &two.listing);
    let mut fields = good("Robot");
    fields[5] = ("situs", "http://spam.example");
    let page = two.a.buyer_post(&path, "203.0.113.9:5000", &fields).await;
    page.assert_status(StatusCode::OK);
    page.assert_contains("Pesanan terkirim");
    assert_eq!(two.a.request_count(), 0);

    for _ in 0..REQUESTS_PER_ADDRESS_MAX {
        let page = two
            .a
            .buyer_post(&path, "203.0.113.9:5000", &good("Bu Sari"))
            .await;
        page.assert_status(StatusCode::SEE_OTHER);
    }
    let page = two
        .a
        .buyer_post(&path, "203.0.113.9:5001", &good("Bu Sari"))
        .await;
    page.assert_status(StatusCode::TOO_MANY_REQUESTS);
    page.assert_contains("Terlalu banyak pesanan");
    page.assert_contains("value=\"Bu Sari\"");
    assert_eq!(two.a.request_count(), REQUESTS_PER_ADDRESS_MAX as usize);
    // Another address still gets through.
    let page = two
        .a
        .buyer_post(&path, "198.51.100.4:5000", &good("Pak Budi"))
        .await;
    page.assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn over_the_open_request_bound_the_form_says_the_center_is_full() {
    let two = Two::new();
    let path = form_path(two.b.node.center_id(), &two.listing);
    let row = {
        let page = two
            .a
            .buyer_post(&path, "203.0.113.9:5000", &good("Bu Sari"))
            .await;
        page.assert_status(StatusCode::SEE_OTHER);
        two.a.node.requests(None).unwrap().remove(0)
    };
    two.a
        .node
        .fill_open_requests_for_tests(&row, OPEN_REQUESTS_MAX);
    let page = two
        .a
        .buyer_post(&path, "198.51.100.4:5000", &good("Pak Budi"))
        .await;
    page.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    page.assert_contains("sedang penuh");
    assert_eq!(two.a.request_count() as u64, OPEN_REQUESTS_MAX);
}

#[tokio::test]
async fn the_operator_orders_a_request_once_with_the_form_pre_filled() {
    let two = Two::new();
    let path = form_path(two.b.node.center_id(), &two.listing);
    two.a
        .buyer_post(&path, "203.0.113.9:5000", &good("Bu Sari"))
        .await;
    let code = two.a.node.requests(None).unwrap()[0].code.clone();
    let login = two.a.login().await;
    let list = two
        .a
        .get("/operator/permintaan-pembeli", Some(&login))
        .await;
    list.assert_status(StatusCode::OK);
    list.assert_contains(&code);
    list.assert_contains("Pesanan pembeli (1)");
    // Every operator page's menu shows the waiting request at once.
    for page in ["/operator", "/operator/pesanan", "/operator/profil"] {
        let shown = two.a.get(page, Some(&login)).await;
        shown.assert_contains(
            "Pesanan pembeli <span class=\"badge\" title=\"permintaan baru menunggu\">1</span>",
        );
    }
    let one = two
        .a
        .get(
            &format!("/operator/permintaan-pembeli/{code}"),
            Some(&login),
        )
        .await;
    one.assert_status(StatusCode::OK);
    one.assert_contains("https://wa.me/6281234567890?text=");
    one.assert_contains("Jadikan pesanan");
    let form = two
        .a
        .get(
            &format!(
                "/operator/pesan?produk={}/{}&permintaan={code}",
                two.b.node.center_id(),
                two.listing
            ),
            Some(&login),
        )
        .await;
    form.assert_status(StatusCode::OK);
    form.assert_contains(&format!("name=\"permintaan\" value=\"{code}\""));
    form.assert_contains("value=\"+6281234567890\"");
    let product = format!("{}/{}", two.b.node.center_id(), two.listing);
    let fields = [
        ("csrf", login.csrf.as_str()),
        ("produk", product.as_str()),
        ("unit_price_idr", "15000"),
        ("quantity", "2"),
        ("buyer_name", "Bu Sari"),
        ("buyer_phone", "+6281234567890"),
        ("payment_at", "buyer_center"),
        ("payment_method", "cash"),
        ("note", ""),
        ("permintaan", code.as_str()),
    ];
    let placed = two.a.place(&login, &fields).await;
    placed.assert_status(StatusCode::SEE_OTHER);
    let row = two.a.node.request(&code).unwrap();
    assert_eq!(row.status, RequestStatus::Ordered);
    // A second placement for the same request is refused; no second order.
    let again = two.a.place(&login, &fields).await;
    again.assert_status(StatusCode::CONFLICT);
    assert_eq!(two.a.node.orders(&Default::default()).unwrap().len(), 1);
    // Declining it now is refused too.
    let decline = two
        .a
        .post_csrf(
            &format!("/operator/permintaan-pembeli/{code}/tolak"),
            &login,
            &[("alasan", "habis")],
        )
        .await;
    decline.assert_status(StatusCode::CONFLICT);
    decline.assert_contains("sudah dijawab");
    // Answered, it no longer counts as waiting.
    let menu = two.a.get("/operator", Some(&login)).await;
    menu.assert_status(StatusCode::OK);
    assert!(!menu.body.contains("class=\"badge\""), "{}", menu.body);
}

#[tokio::test]
async fn own_products_are_sold_here_and_a_decline_needs_a_reason() {
    let op = Op::new();
    let listing = op.add("Tas anyaman", false);
    let path = form_path(op.node.center_id(), &listing);
    op.buyer_post(&path, "203.0.113.9:5000", &good("Bu Sari"))
        .await;
    op.buyer_post(&path, "203.0.113.9:5000", &good("Pak Budi"))
        .await;
    let rows = op.node.requests(None).unwrap();
    let login = op.login().await;
    let sell = op
        .post_csrf(
            &format!("/operator/permintaan-pembeli/{}/jual", rows[0].code),
            &login,
            &[],
        )
        .await;
    sell.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(op.listing(&listing).listing.stock, 5);
    let again = op
        .post_csrf(
            &format!("/operator/permintaan-pembeli/{}/jual", rows[0].code),
            &login,
            &[],
        )
        .await;
    again.assert_status(StatusCode::CONFLICT);
    assert_eq!(op.listing(&listing).listing.stock, 5);
    let no_reason = op
        .post_csrf(
            &format!("/operator/permintaan-pembeli/{}/tolak", rows[1].code),
            &login,
            &[("alasan", "")],
        )
        .await;
    no_reason.assert_status(StatusCode::BAD_REQUEST);
    let declined = op
        .post_csrf(
            &format!("/operator/permintaan-pembeli/{}/tolak", rows[1].code),
            &login,
            &[("alasan", "Stok sudah dipesan orang lain")],
        )
        .await;
    declined.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        op.node.request(&rows[1].code).unwrap().status,
        RequestStatus::Declined
    );
    // Without a session, nothing.
    for path in [
        "/operator/permintaan-pembeli".to_owned(),
        format!("/operator/permintaan-pembeli/{}", rows[1].code),
    ] {
        assert_ne!(op.get(&path, None).await.status, StatusCode::OK);
    }
}

/// A log sink for one test: everything written is kept in memory.
#[derive(Clone, Default)]
struct LogSink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn status_token_is_not_logged() {
    let two = Two::new();
    let path = form_path(two.b.node.center_id(), &two.listing);
    // A request before the subscriber is set registers the request span's
    // callsite on this thread. Registered first on another thread (another
    // test serving requests with no subscriber), its interest could be
    // stored after the rebuild below and stay "never" (a flaky empty log).
    two.a.get(&path, None).await;
    let sink = LogSink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests on other threads may have cached the request span's callsite as
    // disabled (no subscriber there) meanwhile: ask every callsite again.
    tracing::callsite::rebuild_interest_cache();
    let page = two
        .a
        .buyer_post(&path, "203.0.113.9:5000", &good("Bu Sari"))
        .await;
    page.assert_status(StatusCode::SEE_OTHER);
    let location = page.header(header::LOCATION).unwrap().to_owned();
    let (status_path, token) = location.split_once("?token=").unwrap();
    two.a
        .get(&location, None)
        .await
        .assert_status(StatusCode::OK);
    let log = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    // The request is traced at the most detailed level, by its path alone.
    assert!(log.contains(status_path), "{log}");
    assert!(
        !log.contains(token),
        "the status token reached the log:\n{log}"
    );
    assert!(!log.contains("Bu Sari") && !log.contains("3456"), "{log}");
}

/// The rate limit is keyed by the socket's address: a forwarding header from
/// the network is not believed, and behind a proxy on this computer only the
/// address the proxy appended last counts (the ones before it are the client's
/// own words).
#[tokio::test]
async fn forwarded_for_cannot_reset_the_rate_limit() {
    let two = Two::new();
    let path = form_path(two.b.node.center_id(), &two.listing);
    let post = |from: &str, forwarded: String| {
        let addr: std::net::SocketAddr = from.parse().unwrap();
        let mut request = Request::post(&path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("x-forwarded-for", forwarded)
            .body(Body::from(urlencoded(&good("Bu Sari"))))
            .unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
        request
    };
    for (from, last) in [
        ("203.0.113.9:5000", ""),
        ("127.0.0.1:5000", ", 198.51.100.7"),
    ] {
        let statuses: Vec<StatusCode> = send_many(&two, |i| {
            post(from, format!("10.0.{i}.{i}, 192.0.2.{i}{last}"))
        })
        .await;
        let allowed = statuses
            .iter()
            .filter(|s| **s == StatusCode::SEE_OTHER)
            .count();
        assert_eq!(
            allowed, REQUESTS_PER_ADDRESS_MAX as usize,
            "{from}: {statuses:?}"
        );
        assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS));
    }
}

/// Sends `REQUESTS_PER_ADDRESS_MAX + 3` requests made by `make`, one after another.
async fn send_many(two: &Two, make: impl Fn(u32) -> Request<Body>) -> Vec<StatusCode> {
    let mut statuses = Vec::new();
    for i in 0..REQUESTS_PER_ADDRESS_MAX + 3 {
        statuses.push(two.a.send(make(i)).await.status);
    }
    statuses
}
