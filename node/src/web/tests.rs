//! Tests of the web pages through the real router with `tower::ServiceExt::oneshot`
//! (no sockets): status codes, headers and what the HTML says, in Indonesian and
//! English, for the home, search, listing, center and ordering pages and for
//! unknown addresses.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_protocol::catalog::Category;
use telecenter_protocol::catalog::input::{ListingPatch, NewListing};
use telecenter_protocol::{DocId, Identity};
use tempfile::TempDir;
use tower::ServiceExt;

use crate::app::router;
use crate::clock::ManualClock;
use crate::node::Node;
use crate::sample::add_sample_listings;
use crate::server::AppState;
use crate::store::ListingRow;

const TOKEN: &str = "secret-token";
/// 2025-11-23 01:06:40 UTC, which is 08.06 WIB.
const T0: i64 = 1_763_860_000_000;
/// Largest body of a public page, in bytes.
const PAGE_BYTES_MAX: usize = 60 * 1024;

/// A node with the Kota Malang sample catalog behind the real router.
struct Web {
    _dir: TempDir,
    node: Arc<Node>,
    app: Router,
}

/// What a page request gave back.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

fn create_node(dir: &TempDir, seed: u64, name: &str, region: &str, contact: &str) -> Node {
    crate::testing::center_with(
        dir.path(),
        (seed, seed + 100),
        &crate::testing::profile(name, region, Some(contact)),
        Arc::new(ManualClock::new(T0)),
    )
}

fn new_listing(title: &str, category: &str, price_idr: i64) -> NewListing {
    NewListing {
        category: category.to_owned(),
        producer: Some("UMKM Uji".to_owned()),
        unit: Some("buah".to_owned()),
        ..crate::testing::goods(title, price_idr, 7, format!("{title}, buatan tangan."))
    }
}

impl Web {
    fn new() -> Self {
        Self::with_node(|_| {})
    }

    /// The sample node, changed by `prepare` before the router is built.
    fn with_node(prepare: impl FnOnce(&Node)) -> Self {
        let dir = TempDir::new().unwrap();
        let node = create_node(
            &dir,
            1,
            "Telecenter Kota Malang",
            "Kota Malang",
            "WA 0812-0000-0000",
        );
        assert_eq!(add_sample_listings(&node).unwrap(), 20);
        prepare(&node);
        let node = Arc::new(node);
        let app = router(AppState::new(node.clone(), Some(TOKEN)));
        Self {
            _dir: dir,
            node,
            app,
        }
    }

    /// The sample node plus `extra` more listings of its own (for pagination).
    fn with_extra_listings(extra: usize) -> Self {
        Self::with_node(|node| {
            for i in 0..extra {
                let price = 40_000 + 1_000 * i64::try_from(i).unwrap();
                node.add_listing(&new_listing(
                    &format!("Vas Bunga Uji {i}"),
                    "kerajinan",
                    price,
                ))
                .unwrap();
            }
        })
    }

    async fn send(&self, request: Request<Body>) -> Page {
        let (status, headers, bytes) = crate::testing::send_local(&self.app, request).await;
        let body = String::from_utf8(bytes).unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, uri: &str) -> Page {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    async fn get_with_cookie(&self, uri: &str, cookie: &str) -> Page {
        self.send(
            Request::get(uri)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// An HTML page that must answer 200.
    async fn ok(&self, uri: &str) -> Page {
        let page = self.get(uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.body);
        page.assert_html(uri);
        page
    }

    /// The public listing of this node titled `title` (Indonesian).
    fn row(&self, title: &str) -> ListingRow {
        row_of(&self.node, title)
    }

    fn listing_uri(&self, title: &str) -> String {
        let row = self.row(title);
        format!("/produk/{}/{}", row.center_id, row.listing.id)
    }
}

fn row_of(node: &Node, title: &str) -> ListingRow {
    node.search(&crate::search::SearchQuery {
        limit: 100,
        ..crate::search::SearchQuery::default()
    })
    .unwrap()
    .items
    .into_iter()
    .find(|row| {
        row.listing
            .title
            .get(telecenter_protocol::catalog::Lang::Id)
            == title
    })
    .unwrap_or_else(|| panic!("no listing titled {title}"))
}

impl Page {
    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn assert_html(&self, what: &str) {
        let content_type = self.header(header::CONTENT_TYPE).unwrap_or_default();
        assert!(
            content_type.starts_with("text/html"),
            "{what}: content type {content_type}"
        );
        assert!(
            self.body.starts_with("<!DOCTYPE html>"),
            "{what}: {}",
            self.body
        );
        assert!(
            self.header(header::CACHE_CONTROL).is_some(),
            "{what}: no cache-control"
        );
        assert!(
            self.body.len() < PAGE_BYTES_MAX,
            "{what}: {} bytes",
            self.body.len()
        );
    }

    fn has(&self, text: &str) -> bool {
        self.body.contains(text)
    }

    #[track_caller]
    fn assert_has(&self, text: &str) {
        assert!(self.has(text), "expected {text:?} in:\n{}", self.body);
    }

    #[track_caller]
    fn assert_lacks(&self, text: &str) {
        assert!(
            !self.has(text),
            "did not expect {text:?} in:\n{}",
            self.body
        );
    }

    /// Titles of the result cards, in page order.
    fn card_titles(&self) -> Vec<String> {
        self.body
            .split(r#"<li class="card">"#)
            .skip(1)
            .map(|card| {
                let after_link = card.split("<h3><a href=\"").nth(1).unwrap_or_default();
                let title = after_link
                    .split_once("\">")
                    .map(|(_, rest)| rest)
                    .unwrap_or_default();
                title.split("</a>").next().unwrap_or_default().to_owned()
            })
            .collect()
    }

    /// Prices of the result cards, in page order, in rupiah.
    fn card_prices(&self) -> Vec<i64> {
        self.body
            .split(r#"<li class="card">"#)
            .skip(1)
            .map(|card| {
                let price = card
                    .split(r#"<span class="price">Rp "#)
                    .nth(1)
                    .and_then(|rest| rest.split('<').next())
                    .unwrap_or_else(|| panic!("card without a price: {card}"));
                price.replace('.', "").parse().unwrap()
            })
            .collect()
    }
}

/// Two nodes: `web` (Kota Malang, the sample) which trusts and has received the
/// catalog of a second center (Kab Blitar) with one listing.
fn two_centers() -> (Web, TempDir, Node) {
    let other_dir = TempDir::new().unwrap();
    let other = create_node(
        &other_dir,
        3,
        "Telecenter Kab Blitar",
        "Kabupaten Blitar",
        "WA 0813-1111-2222",
    );
    other
        .add_listing(&new_listing("Kendang Jimbe Blitar", "kerajinan", 120_000))
        .unwrap();
    let other_center = other.center_id();
    let changes = other.changes_of(&DocId::catalog(other_center)).unwrap();
    let web = Web::with_node(|node| {
        node.trust(&other_center).unwrap();
        for outcome in node.receive(&changes).unwrap() {
            outcome.unwrap();
        }
    });
    (web, other_dir, other)
}

#[tokio::test]
async fn home_shows_search_categories_and_newest() {
    let web = Web::new();
    let page = web.ok("/").await;
    page.assert_has("<html lang=\"id\">");
    page.assert_has("<title>Pasar Telecenter · Pasar Telecenter</title>");
    page.assert_has("Pasar Telecenter");
    page.assert_has(r#"action="/cari""#);
    page.assert_has(r#"name="q""#);
    for category in Category::ALL {
        page.assert_has(&format!(r#"href="/cari?kategori={}""#, category.slug()));
    }
    page.assert_has("Produk terbaru");
    let titles = page.card_titles();
    assert_eq!(titles.len(), 8, "{titles:?}");
    for title in &titles {
        assert!(!title.is_empty());
    }
    page.assert_has(r#"href="/cara-pesan""#);
    assert_eq!(page.header(header::VARY), Some("Cookie"));
    assert!(
        page.header(header::SET_COOKIE).is_none(),
        "no language was chosen"
    );
}

#[tokio::test]
async fn search_finds_words_and_their_variants() {
    let web = Web::new();
    let page = web.ok("/cari?q=kripik").await;
    let titles = page.card_titles();
    for expected in [
        "Kripik Pisang Agung Manis",
        "Keripik Tempe Sanan Original",
        "Keripik Tempe Sanan Pedas",
        "Keripik Apel Malang",
    ] {
        assert!(
            titles.iter().any(|t| t == expected),
            "{expected}: {titles:?}"
        );
    }
    assert_eq!(titles.len(), 4, "{titles:?}");
    page.assert_has("4 produk ditemukan");
    page.assert_has("Rp 15.000");
    page.assert_has("Rp 18.000");
    page.assert_has("per bungkus 250 g");
    // The typed words stay in the search box, and the title repeats them.
    page.assert_has(r#"value="kripik""#);
    page.assert_has("Cari produk \u{201c}kripik\u{201d}");
    // One page of results: no page links.
    page.assert_lacks(r#"rel="next""#);
    page.assert_lacks(r#"rel="prev""#);

    let nothing = web.ok("/cari?q=gamelan").await;
    nothing.assert_has("0 produk ditemukan");
    nothing.assert_has("Tidak ada produk yang cocok");
    assert!(nothing.card_titles().is_empty());
    // Instead of an empty page: the categories to browse.
    nothing.assert_has("Atau lihat kategori:");
    nothing.assert_has(r#"href="/cari?kategori=makanan""#);

    // A typing mistake: results for the corrected word, and the corrected
    // search offered as a link (issue 12).
    let typo = web.ok("/cari?q=keripk&kategori=makanan").await;
    typo.assert_has("Maksud Anda:");
    typo.assert_has(r#"href="/cari?q=keripik&amp;kategori=makanan""#);
    assert!(
        typo.card_titles()
            .contains(&"Keripik Apel Malang".to_owned())
    );
    // A near word when nothing matched: "kopu" is too short to be corrected.
    let near = web.ok("/cari?q=kopu").await;
    near.assert_has("Coba cari:");
    near.assert_has(r#"<a href="/cari?q=kopi">kopi</a>"#);
    // An empty search shows every listing, newest first, and no hints.
    let all = web.ok("/cari?q=").await;
    all.assert_has("20 produk ditemukan");
    all.assert_lacks("Maksud Anda");
    all.assert_lacks("Coba cari:");
}

#[tokio::test]
async fn search_filters_by_category_and_price() {
    let web = Web::new();
    let page = web.ok("/cari?kategori=jamu-kesehatan").await;
    let mut titles = page.card_titles();
    titles.sort();
    assert_eq!(
        titles,
        [
            "Jamu Beras Kencur",
            "Jamu Kunyit Asam",
            "Wedang Jahe Merah Instan"
        ]
    );
    page.assert_has("3 produk ditemukan");
    // The chosen category stays selected in the filter form.
    page.assert_has(r#"<option value="jamu-kesehatan" selected>"#);

    // Both ends of the range are included; "20.000" is read as twenty thousand.
    let page = web.ok("/cari?min=20.000&maks=30000").await;
    let mut titles = page.card_titles();
    titles.sort();
    assert_eq!(
        titles,
        [
            "Apel Manalagi Segar",
            "Keripik Apel Malang",
            "Sambel Pecel Khas Malang",
            "Sari Apel Malang",
            "Wedang Jahe Merah Instan",
        ]
    );
    for price in page.card_prices() {
        assert!((20_000..=30_000).contains(&price), "{price}");
    }
    page.assert_has("5 produk ditemukan");
    page.assert_has(r#"value="20.000""#);
    page.assert_has(r#"value="30000""#);

    // Words, category and price together.
    let page = web
        .ok("/cari?q=keripik&kategori=makanan&min=Rp+16.000")
        .await;
    let mut titles = page.card_titles();
    titles.sort();
    assert_eq!(
        titles,
        [
            "Keripik Apel Malang",
            "Keripik Tempe Sanan Pedas",
            "Kripik Pisang Agung Manis"
        ]
    );
}

#[tokio::test]
async fn search_sorts_by_price() {
    let web = Web::new();
    let page = web.ok("/cari?urut=termurah").await;
    let prices = page.card_prices();
    assert_eq!(prices.len(), 20);
    assert_eq!(prices[0], 10_000);
    assert!(prices.is_sorted(), "{prices:?}");
    page.assert_has(r#"<option value="termurah" selected>"#);

    let page = web.ok("/cari?urut=termahal").await;
    let prices = page.card_prices();
    assert_eq!(prices[0], 450_000);
    assert!(prices.is_sorted_by(|a, b| a >= b), "{prices:?}");
    assert_eq!(page.card_titles()[0], "Batik Tulis Malangan Motif Topeng");
}

#[tokio::test]
async fn search_filters_by_center() {
    let (web, _dir, other) = two_centers();
    let everything = web.ok("/cari").await;
    everything.assert_has("21 produk ditemukan");
    // Both centers are offered in the center filter.
    everything.assert_has("Telecenter Kota Malang — Kota Malang");
    everything.assert_has("Telecenter Kab Blitar — Kabupaten Blitar");

    let uri = format!("/cari?pusat={}", other.center_id());
    let page = web.ok(&uri).await;
    assert_eq!(page.card_titles(), ["Kendang Jimbe Blitar"]);
    page.assert_has("1 produk ditemukan");
    page.assert_has(&format!(
        r#"<option value="{}" selected>"#,
        other.center_id()
    ));

    let uri = format!("/cari?pusat={}&q=kripik", web.node.center_id());
    let page = web.ok(&uri).await;
    assert_eq!(page.card_titles().len(), 4);
}

#[tokio::test]
async fn search_pages_through_many_results() {
    let web = Web::with_extra_listings(5);
    let first = web.ok("/cari?urut=termurah").await;
    first.assert_has("25 produk ditemukan");
    first.assert_has("Halaman 1 dari 2");
    let first_titles = first.card_titles();
    assert_eq!(first_titles.len(), 20);
    first.assert_has(r#"rel="next""#);
    first.assert_lacks(r#"rel="prev""#);
    // The next link keeps the sort order.
    first.assert_has(r#"href="/cari?urut=termurah&amp;hal=2" rel="next""#);

    let second = web.ok("/cari?urut=termurah&hal=2").await;
    second.assert_has("Halaman 2 dari 2");
    let second_titles = second.card_titles();
    assert_eq!(second_titles.len(), 5);
    for title in &second_titles {
        assert!(!first_titles.contains(title), "{title} on both pages");
    }
    second.assert_has(r#"href="/cari?urut=termurah&amp;hal=1" rel="prev""#);
    second.assert_lacks(r#"rel="next""#);
    // Cheapest first across pages too.
    let last_of_first = *first.card_prices().last().unwrap();
    assert!(second.card_prices().iter().all(|p| *p >= last_of_first));

    // Twenty results fit on one page.
    let one_page = Web::new().ok("/cari").await;
    one_page.assert_has("20 produk ditemukan");
    one_page.assert_lacks(r#"rel="next""#);
    one_page.assert_lacks("Halaman 1");
}

#[tokio::test]
async fn bad_search_input_is_explained_in_indonesian_and_kept() {
    let web = Web::new();
    let long_q = "k".repeat(201);
    let cases: Vec<(String, &str, Vec<String>)> = vec![
        (
            "/cari?q=kopi&min=abc".to_owned(),
            "Harga terendah: tulis rupiah bulat dengan angka",
            vec![r#"value="abc""#.to_owned(), r#"value="kopi""#.to_owned()],
        ),
        (
            "/cari?min=5&maks=1".to_owned(),
            "Harga terendah lebih tinggi dari harga tertinggi.",
            vec![r#"value="5""#.to_owned(), r#"value="1""#.to_owned()],
        ),
        (
            "/cari?kategori=senjata&q=tombak".to_owned(),
            "Kategori tidak sesuai.",
            vec![r#"value="tombak""#.to_owned()],
        ),
        (
            format!("/cari?q={long_q}"),
            "Kata pencarian terlalu panjang.",
            vec![format!(r#"value="{long_q}""#)],
        ),
        (
            "/cari?pusat=bukan-pusat".to_owned(),
            "Telecenter tidak sesuai.",
            vec![],
        ),
        (
            "/cari?maks=Rp+99.999.999.999".to_owned(),
            "Harga tertinggi terlalu besar.",
            vec![r#"value="Rp 99.999.999.999""#.to_owned()],
        ),
    ];
    for (uri, message, kept) in cases {
        let page = web.get(&uri).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{uri}");
        page.assert_html(&uri);
        page.assert_has(r#"role="alert""#);
        page.assert_has("Ada isian yang perlu diperbaiki");
        page.assert_has(message);
        for value in kept {
            page.assert_has(&value);
        }
        // No results and no count are shown for a search that was not run.
        page.assert_lacks("produk ditemukan");
        assert!(page.card_titles().is_empty(), "{uri}");
        // The form is still there to correct the input.
        page.assert_has(r#"action="/cari""#);
    }

    // English pages explain in English.
    let page = web.get("/cari?min=abc&lang=en").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_has("Lowest price: write whole rupiah with digits");
}

#[tokio::test]
async fn every_public_page_is_light() {
    let (web, _dir, other) = two_centers();
    let uris = [
        "/".to_owned(),
        "/?lang=en".to_owned(),
        "/cari".to_owned(),
        "/cari?q=apel".to_owned(),
        "/cari?min=abc".to_owned(),
        web.listing_uri("Batik Tulis Malangan Motif Topeng"),
        format!("/pusat/{}", web.node.center_id()),
        format!("/pusat/{}", other.center_id()),
        "/cara-pesan".to_owned(),
        "/tidak-ada".to_owned(),
    ];
    let full = web.ok("/cari").await;
    assert_eq!(full.card_titles().len(), 20);
    for uri in uris {
        let page = web.get(&uri).await;
        page.assert_html(&uri);
        assert!(
            page.body.len() < PAGE_BYTES_MAX,
            "{uri}: {} bytes",
            page.body.len()
        );
    }
}

#[tokio::test]
async fn listing_page_shows_the_facts() {
    let web = Web::new();
    let row = web.row("Keripik Tempe Sanan Original");
    let page = web
        .ok(&web.listing_uri("Keripik Tempe Sanan Original"))
        .await;
    page.assert_has("<h1>Keripik Tempe Sanan Original</h1>");
    page.assert_has("<title>Keripik Tempe Sanan Original · Pasar Telecenter</title>");
    page.assert_has(r#"<span class="price">Rp 15.000</span>"#);
    page.assert_has("per bungkus 250 g");
    page.assert_has("Stok");
    page.assert_has("60 bungkus 250 g");
    page.assert_has("Pembuat");
    page.assert_has("UMKM Tempe Sanan Jaya");
    page.assert_has("Dijual oleh");
    page.assert_has(&format!(
        r#"<a href="/pusat/{}">Telecenter Kota Malang</a>"#,
        row.center_id
    ));
    page.assert_has("Diperbarui");
    page.assert_has("23 Nov 2025 08.06 WIB");
    page.assert_has(r#"href="/cari?kategori=makanan""#);
    page.assert_has("WA 0812-0000-0000");
    page.assert_has(r#"href="/cara-pesan""#);
    page.assert_has("Data dari telecenter ini");
    page.assert_lacks("Data dari telecenter lain");

    let english = web
        .ok(&format!(
            "{}?lang=en",
            web.listing_uri("Keripik Tempe Sanan Original")
        ))
        .await;
    english.assert_has("<h1>Sanan tempeh chips, original</h1>");
    english.assert_has("23 Nov 2025 08:06 WIB");
    english.assert_has("Updated");
}

#[tokio::test]
async fn out_of_stock_listing_says_so() {
    let web = Web::with_node(|node| {
        let id = row_of(node, "Madu Kelengkeng Lawang").listing.id;
        node.update_listing(
            &id,
            &ListingPatch {
                stock: Some(0),
                ..ListingPatch::default()
            },
        )
        .unwrap();
    });
    let page = web.ok(&web.listing_uri("Madu Kelengkeng Lawang")).await;
    page.assert_has("Stok habis");
}

/// Hides one listing and removes another, as an operator would.
fn hide_and_remove(
    node: &Node,
    hidden: &telecenter_protocol::ListingId,
    removed: &telecenter_protocol::ListingId,
) {
    node.update_listing(
        hidden,
        &ListingPatch {
            status: Some("hidden".to_owned()),
            ..ListingPatch::default()
        },
    )
    .unwrap();
    node.remove_listing(removed).unwrap();
}

#[tokio::test]
async fn hidden_removed_and_malformed_listings_are_not_found() {
    let web = Web::new();
    let hidden_uri = web.listing_uri("Jamu Kunyit Asam");
    let removed_uri = web.listing_uri("Gerabah Hias Dinoyo");
    let own = web.node.center_id();
    let hidden = web.row("Jamu Kunyit Asam").listing.id;
    let removed = web.row("Gerabah Hias Dinoyo").listing.id;
    hide_and_remove(&web.node, &hidden, &removed);

    let stranger = Identity::generate(&mut StdRng::seed_from_u64(99)).center_id();
    let uris = [
        hidden_uri,
        removed_uri,
        // A real listing id under a center that does not sell it.
        format!("/produk/{stranger}/{hidden}"),
        format!("/produk/{own}/bukan-id-yang-sah"),
        format!("/produk/bukan-pusat/{hidden}"),
        "/produk/x/y".to_owned(),
        format!("/produk/{own}/{}", "a".repeat(500)),
    ];
    for uri in uris {
        let page = web.get(&uri).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{uri}");
        page.assert_html(&uri);
        page.assert_has("Halaman tidak ditemukan");
        page.assert_has(r#"<a class="button" href="/">"#);
    }

    // Hidden and removed listings are gone from search and the center page too.
    let search = web.ok("/cari?kategori=jamu-kesehatan").await;
    let mut titles = search.card_titles();
    titles.sort();
    assert_eq!(titles, ["Jamu Beras Kencur", "Wedang Jahe Merah Instan"]);
    let center = web.ok(&format!("/pusat/{own}")).await;
    center.assert_lacks("Jamu Kunyit Asam");
    center.assert_lacks("Gerabah Hias Dinoyo");
    center.assert_has("18 produk ditemukan");
}

#[tokio::test]
async fn listing_of_another_center_says_where_it_comes_from() {
    let (web, _dir, other) = two_centers();
    let row = row_of(&web.node, "Kendang Jimbe Blitar");
    assert_eq!(row.center_id, other.center_id());
    let page = web
        .ok(&format!("/produk/{}/{}", row.center_id, row.listing.id))
        .await;
    page.assert_has("<h1>Kendang Jimbe Blitar</h1>");
    page.assert_has("Rp 120.000");
    page.assert_has(&format!(
        r#"<a href="/pusat/{}">Telecenter Kab Blitar</a>"#,
        other.center_id()
    ));
    page.assert_has("Kabupaten Blitar");
    page.assert_has("WA 0813-1111-2222");
    page.assert_has("Data dari telecenter lain");
    page.assert_lacks("Data dari telecenter ini");

    let own = web.ok(&web.listing_uri("Sari Apel Malang")).await;
    own.assert_has("Data dari telecenter ini");
    own.assert_lacks("Data dari telecenter lain");
}

#[tokio::test]
async fn center_page_shows_profile_and_listings() {
    let (web, _dir, other) = two_centers();
    let page = web.ok(&format!("/pusat/{}", web.node.center_id())).await;
    page.assert_has("<h1>Telecenter Kota Malang</h1>");
    page.assert_has("Wilayah");
    page.assert_has("Kota Malang");
    page.assert_has("Kontak");
    page.assert_has("WA 0812-0000-0000");
    page.assert_has("Produk dari Telecenter Kota Malang");
    page.assert_has("20 produk ditemukan");
    let titles = page.card_titles();
    assert_eq!(titles.len(), 20);
    assert!(titles.iter().any(|t| t == "Topeng Malangan Kayu"));
    assert!(!titles.iter().any(|t| t == "Kendang Jimbe Blitar"));

    let page = web.ok(&format!("/pusat/{}", other.center_id())).await;
    page.assert_has("<h1>Telecenter Kab Blitar</h1>");
    page.assert_has("Kabupaten Blitar");
    page.assert_has("WA 0813-1111-2222");
    assert_eq!(page.card_titles(), ["Kendang Jimbe Blitar"]);

    let stranger = Identity::generate(&mut StdRng::seed_from_u64(99)).center_id();
    for uri in [
        format!("/pusat/{stranger}"),
        "/pusat/bukan-pusat".to_owned(),
    ] {
        let page = web.get(&uri).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{uri}");
        page.assert_html(&uri);
        page.assert_has("Halaman tidak ditemukan");
    }
}

#[tokio::test]
async fn how_to_order_lists_the_steps() {
    let web = Web::new();
    let page = web.ok("/cara-pesan").await;
    page.assert_has("<h1>Cara memesan</h1>");
    let list = page
        .body
        .split("<ol>")
        .nth(1)
        .and_then(|rest| rest.split("</ol>").next())
        .unwrap_or_else(|| panic!("no ordered list: {}", page.body));
    assert_eq!(list.matches("<li>").count(), 4, "{list}");
    assert!(list.contains("telecenter terdekat"));

    let english = web.ok("/cara-pesan?lang=en").await;
    english.assert_has("<h1>How to order</h1>");
    english.assert_has("nearest telecenter");
}

#[tokio::test]
async fn language_is_chosen_by_query_then_cookie() {
    let web = Web::new();
    let page = web.ok("/?lang=en").await;
    page.assert_has("<html lang=\"en\">");
    page.assert_has("Telecenter Market");
    page.assert_has("Find products");
    page.assert_has("Newest products");
    page.assert_lacks("Produk terbaru");
    let cookie = page.header(header::SET_COOKIE).unwrap_or_default();
    assert!(cookie.starts_with("lang=en"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    // The switch leads back to Indonesian.
    page.assert_has(r#"href="/?lang=id""#);

    // The cookie is honoured without a query, and not set again.
    let page = web.get_with_cookie("/cari?q=apel", "lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_has("<html lang=\"en\">");
    page.assert_has("products found");
    assert!(page.header(header::SET_COOKIE).is_none());
    let page = web
        .get_with_cookie("/cara-pesan", "theme=dark; lang=en")
        .await;
    page.assert_has("How to order");

    // The query wins over the cookie.
    let page = web.get_with_cookie("/?lang=id", "lang=en").await;
    page.assert_has("<html lang=\"id\">");
    page.assert_has("Pasar Telecenter");
    assert!(
        page.header(header::SET_COOKIE)
            .is_some_and(|c| c.starts_with("lang=id"))
    );

    // Default: Indonesian; an unknown language is ignored.
    for uri in ["/", "/?lang=xx"] {
        let page = web.ok(uri).await;
        page.assert_has("<html lang=\"id\">");
        page.assert_has("Cari produk");
        page.assert_has(r#"hreflang="en""#);
        assert!(page.header(header::SET_COOKIE).is_none(), "{uri}");
    }
}

#[tokio::test]
async fn language_switch_keeps_the_query() {
    let web = Web::new();
    let page = web.ok("/cari?q=kopi").await;
    page.assert_has(r#"href="/cari?q=kopi&amp;lang=en""#);

    let page = web.ok("/cari?q=kopi&kategori=minuman&lang=en").await;
    page.assert_has(r#"href="/cari?kategori=minuman&amp;q=kopi&amp;lang=id""#);

    let uri = web.listing_uri("Sari Apel Malang");
    let page = web.ok(&uri).await;
    page.assert_has(&format!(r#"href="{uri}?lang=en""#));

    // Words with spaces and symbols are encoded in the link.
    let page = web.ok("/cari?q=jahe+merah%26co").await;
    page.assert_has(r#"href="/cari?q=jahe+merah%26co&amp;lang=en""#);
}

#[tokio::test]
async fn text_from_catalogs_is_escaped() {
    let web = Web::with_node(|node| {
        node.add_listing(&NewListing {
            producer: Some("<b>Bu Sri</b> & anak".to_owned()),
            ..new_listing("<script>alert(1)</script> Keripik", "makanan", 9_000)
        })
        .unwrap();
    });
    let uri = web.listing_uri("<script>alert(1)</script> Keripik");
    // Every sample listing has the same time, so the home page may not show it
    // among the newest; it must still not carry the raw markup.
    web.ok("/").await.assert_lacks("<script>alert");
    let pages = [
        web.ok("/cari?q=keripik").await,
        web.ok(&uri).await,
        web.ok(&format!("/pusat/{}", web.node.center_id())).await,
    ];
    for page in pages {
        page.assert_lacks("<script>alert");
        page.assert_lacks("<b>Bu Sri</b>");
        page.assert_has("&lt;script&gt;alert(1)&lt;/script&gt; Keripik");
    }

    // Typed search words are escaped too.
    let page = web.ok("/cari?q=%3Cscript%3Ealert(2)%3C/script%3E").await;
    page.assert_lacks("<script>alert");
    page.assert_has("&lt;script&gt;alert(2)");
    let page = web.get("/cari?min=%22%3E%3Cscript%3Ealert(3)").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_lacks("<script>alert");
    page.assert_has(r#"value="&quot;&gt;&lt;script&gt;alert(3)""#);
}

#[tokio::test]
async fn unknown_addresses_give_a_page_or_json() {
    let web = Web::new();
    for uri in ["/tidak-ada", "/produk", "/pusat/", "/cari/lagi"] {
        let page = web.get(uri).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{uri}");
        page.assert_html(uri);
        page.assert_has("Halaman tidak ditemukan");
        page.assert_has(r#"href="/""#);
        page.assert_has("Kembali ke pasar");
    }
    let page = web.get_with_cookie("/tidak-ada", "lang=en").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    page.assert_has("Page not found");

    let page = web.get("/api/v1/tidak-ada").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let content_type = page.header(header::CONTENT_TYPE).unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let json: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(json["error"]["code"], "not_found", "{json}");
}

/// A small PNG made here, so the tests need no files.
fn test_png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// Issue 9, finding 8: `/foto/{hash}` made the node ask every peer for any
/// 64-hex name, without login. Now only images that a listing held here names
/// are fetched, a failed fetch is not repeated within the retry time, and the
/// peer (a real listener on 127.0.0.1 counting requests) sees exactly that.
#[tokio::test]
async fn unknown_photo_hash_causes_no_outgoing_request() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use telecenter_protocol::limits::IMAGE_FETCH_RETRY_MS;

    // The other center has a listing with two photos; this node will hold the
    // listing but not the images.
    let other_dir = TempDir::new().unwrap();
    let other = create_node(
        &other_dir,
        3,
        "Telecenter Kab Blitar",
        "Kabupaten Blitar",
        "WA 0813",
    );
    let served = other.store_photo(&test_png(200, 150)).unwrap();
    let failing = other.store_photo(&test_png(150, 200)).unwrap();
    let mut listing = new_listing("Kendang Jimbe Blitar", "kerajinan", 120_000);
    listing.photos = vec![served.clone(), failing.clone()];
    other.add_listing(&listing).unwrap();
    let changes = other
        .changes_of(&DocId::catalog(other.center_id()))
        .unwrap();
    let other = Arc::new(other);

    // The peer: serves the first photo's images, fails for the second's.
    let asked = Arc::new(AtomicUsize::new(0));
    let peer = {
        let (asked, other, failing) = (asked.clone(), other.clone(), failing.medium.clone());
        axum::Router::new().route(
            "/api/v1/images/{hash}",
            axum::routing::get(
                move |axum::extract::Path(hash): axum::extract::Path<String>| {
                    let (asked, other, failing) = (asked.clone(), other.clone(), failing.clone());
                    async move {
                        asked.fetch_add(1, SeqCst);
                        match other.image_for_peer(&hash).unwrap() {
                            Some(bytes) if hash != failing => (StatusCode::OK, bytes),
                            _ => (StatusCode::SERVICE_UNAVAILABLE, Vec::new()),
                        }
                    }
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, peer).await });

    let dir = TempDir::new().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let node = crate::testing::center(
        dir.path(),
        (1, 101),
        "Telecenter Kota Malang",
        "Kota Malang",
        clock.clone(),
    );
    node.add_peer(&other.center_id(), "Telecenter Kab Blitar", Some(&url))
        .unwrap();
    for outcome in node.receive(&changes).unwrap() {
        outcome.unwrap();
    }
    let app = router(AppState::new(Arc::new(node), Some(TOKEN)));
    let get = |hash: String| {
        let app = app.clone();
        async move {
            let request = Request::get(format!("/foto/{hash}"))
                .body(Body::empty())
                .unwrap();
            let response = app.oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            (status, bytes.to_vec())
        }
    };

    // Names no listing here names: not found, and the peer is never asked.
    for hash in [
        "7".repeat(64),
        "0".repeat(64),
        failing.thumb.replace('a', "b"),
    ] {
        let (status, _) = get(hash).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    assert_eq!(asked.load(SeqCst), 0, "unknown names caused peer requests");

    // A name a listing holds is fetched once, checked, kept and served.
    for _ in 0..3 {
        let (status, bytes) = get(served.medium.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(crate::images::image_hash(&bytes), served.medium);
    }
    assert_eq!(asked.load(SeqCst), 1, "one fetch for a named image");

    // A named image the peer fails to give is not asked for again until the
    // retry time has passed.
    for _ in 0..3 {
        let (status, _) = get(failing.medium.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    assert_eq!(asked.load(SeqCst), 2, "a failed fetch was repeated at once");
    clock.advance(IMAGE_FETCH_RETRY_MS);
    let (status, _) = get(failing.medium.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(asked.load(SeqCst), 3, "asked again after the retry time");
}

/// Issue 9, finding 8: outgoing image fetches are bounded; with every fetch slot
/// taken, `/foto/{hash}` answers 503 at once without asking any peer.
#[tokio::test]
async fn photo_fetches_beyond_the_bound_are_answered_busy() {
    use telecenter_protocol::limits::IMAGE_FETCHES_MAX;
    let (web, _other_dir, other) = two_centers();
    let photo = other.store_photo(&test_png(120, 90)).unwrap();
    let held: Vec<_> = (0..IMAGE_FETCHES_MAX)
        .map(|_| web.node.images().fetch_slot().unwrap())
        .collect();
    let response = web
        .app
        .clone()
        .oneshot(
            Request::get(format!("/foto/{}", photo.medium))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    drop(held);
}

// --- Link previews, structured data, sitemap and robots.txt (issue 13, item 3).

/// The address the previews and sitemap tests give as `public_url`.
const PUBLIC_URL: &str = "https://pasar.example.id";

impl Web {
    /// The same node behind a router whose `public_url` is `url`.
    fn with_public_url(mut self, url: &str) -> Self {
        let mut state = AppState::new(self.node.clone(), Some(TOKEN));
        state.public_url = Arc::new(crate::server::PublicUrl::new(Some(url)));
        self.app = router(state);
        self
    }

    async fn get_with_host(&self, uri: &str, host: &str) -> Page {
        self.send(
            Request::get(uri)
                .header(header::HOST, host)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }
}

impl Page {
    /// The `content` of `<meta property|name="{key}">`, as written (escaped).
    fn meta(&self, key: &str) -> Option<String> {
        ["property", "name"].iter().find_map(|attr| {
            let start = format!(r#"<meta {attr}="{key}" content=""#);
            let rest = self.body.split(&start).nth(1)?;
            rest.split('"').next().map(str::to_owned)
        })
    }

    fn canonical(&self) -> Option<String> {
        let rest = self.body.split(r#"<link rel="canonical" href=""#).nth(1)?;
        rest.split('"').next().map(str::to_owned)
    }

    /// The JSON-LD block, parsed.
    fn json_ld(&self) -> serde_json::Value {
        let rest = self
            .body
            .split(r#"<script type="application/ld+json">"#)
            .nth(1)
            .unwrap_or_else(|| panic!("no JSON-LD in:\n{}", self.body));
        let json = rest.split("</script>").next().unwrap();
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"))
    }
}

/// A node whose "Keripik Tempe Sanan Original" has a photo; "Madu Kelengkeng
/// Lawang" is sold out.
fn web_with_photo() -> (Web, telecenter_protocol::catalog::Photo) {
    let photo = std::sync::Mutex::new(None);
    let web = Web::with_node(|node| {
        let stored = node.store_photo(&test_png(320, 240)).unwrap();
        let id = row_of(node, "Keripik Tempe Sanan Original").listing.id;
        node.update_listing(
            &id,
            &ListingPatch {
                photos: Some(vec![stored.clone()]),
                ..ListingPatch::default()
            },
        )
        .unwrap();
        let sold_out = row_of(node, "Madu Kelengkeng Lawang").listing.id;
        node.update_listing(
            &sold_out,
            &ListingPatch {
                stock: Some(0),
                ..ListingPatch::default()
            },
        )
        .unwrap();
        *photo.lock().unwrap() = Some(stored);
    });
    let photo = photo.into_inner().unwrap().unwrap();
    (web.with_public_url(PUBLIC_URL), photo)
}

#[tokio::test]
async fn product_page_carries_opengraph_and_json_ld() {
    let (web, photo) = web_with_photo();
    let row = web.row("Keripik Tempe Sanan Original");
    let uri = web.listing_uri("Keripik Tempe Sanan Original");
    let page = web.ok(&uri).await;
    let url = format!("{PUBLIC_URL}{uri}");
    let image = format!("{PUBLIC_URL}/foto/{}", photo.medium);

    assert_eq!(page.meta("og:type").as_deref(), Some("product"));
    assert_eq!(
        page.meta("og:title").as_deref(),
        Some("Keripik Tempe Sanan Original")
    );
    assert_eq!(
        page.meta("og:description").as_deref(),
        Some("Rp 15.000 per bungkus 250 g · Dijual oleh Telecenter Kota Malang")
    );
    assert_eq!(page.meta("og:url").as_deref(), Some(url.as_str()));
    assert_eq!(
        page.meta("og:site_name").as_deref(),
        Some("Pasar Telecenter")
    );
    assert_eq!(page.meta("og:image").as_deref(), Some(image.as_str()));
    assert_eq!(
        page.meta("twitter:card").as_deref(),
        Some("summary_large_image")
    );
    assert_eq!(page.canonical().as_deref(), Some(url.as_str()));

    // The preview image is a real image at that address.
    let path = image.strip_prefix(PUBLIC_URL).unwrap();
    let (status, headers, bytes) =
        crate::testing::send_local(&web.app, Request::get(path).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(crate::images::image_hash(&bytes), photo.medium);

    let ld = page.json_ld();
    assert_eq!(ld["@context"], "https://schema.org");
    assert_eq!(ld["@type"], "Product");
    assert_eq!(ld["name"], "Keripik Tempe Sanan Original");
    assert_eq!(ld["image"][0], image.as_str());
    assert_eq!(ld["category"], "Makanan");
    assert_eq!(ld["brand"]["name"], "UMKM Tempe Sanan Jaya");
    assert_eq!(ld["manufacturer"]["name"], "UMKM Tempe Sanan Jaya");
    let offer = &ld["offers"];
    assert_eq!(offer["@type"], "Offer");
    assert_eq!(offer["price"], 15_000);
    assert!(offer["price"].is_i64());
    assert_eq!(offer["priceCurrency"], "IDR");
    assert_eq!(offer["availability"], "https://schema.org/InStock");
    assert_eq!(offer["url"], url.as_str());
    assert_eq!(offer["seller"]["@type"], "Organization");
    assert_eq!(offer["seller"]["name"], "Telecenter Kota Malang");
    assert_eq!(
        offer["seller"]["url"],
        format!("{PUBLIC_URL}/pusat/{}", row.center_id)
    );

    // The page's policy is unchanged: a JSON-LD data block needs no script-src.
    assert_eq!(
        page.header(header::HeaderName::from_static("content-security-policy")),
        Some(
            "default-src 'none'; script-src 'self'; img-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
    );

    // Sold out: OutOfStock; without a photo: no og:image and a small card.
    let sold_out = web.ok(&web.listing_uri("Madu Kelengkeng Lawang")).await;
    assert_eq!(
        sold_out.json_ld()["offers"]["availability"],
        "https://schema.org/OutOfStock"
    );
    assert_eq!(sold_out.meta("og:image"), None);
    assert_eq!(sold_out.json_ld().get("image"), None);
    assert_eq!(sold_out.meta("twitter:card").as_deref(), Some("summary"));

    // In English the preview speaks English.
    let english = web.ok(&format!("{uri}?lang=en")).await;
    assert_eq!(
        english.meta("og:title").as_deref(),
        Some("Sanan tempeh chips, original")
    );
    assert_eq!(english.json_ld()["name"], "Sanan tempeh chips, original");
}

#[tokio::test]
async fn preview_tags_and_json_ld_escape_catalog_text() {
    let web = Web::with_node(|node| {
        node.add_listing(&new_listing(
            r#"Keripik "Pedas" <Level 5> & Manis"#,
            "makanan",
            9_000,
        ))
        .unwrap();
        node.add_listing(&new_listing(
            "Sambal </script><script>alert(1)</script> <!-- x",
            "makanan",
            8_000,
        ))
        .unwrap();
    });
    let page = web
        .ok(&web.listing_uri(r#"Keripik "Pedas" <Level 5> & Manis"#))
        .await;
    assert_eq!(
        page.meta("og:title").as_deref(),
        Some("Keripik &quot;Pedas&quot; &lt;Level 5&gt; &amp; Manis")
    );
    page.assert_lacks(r#"<Level 5>"#);
    assert_eq!(
        page.json_ld()["name"],
        r#"Keripik "Pedas" <Level 5> & Manis"#
    );

    let title = "Sambal </script><script>alert(1)</script> <!-- x";
    let page = web.ok(&web.listing_uri(title)).await;
    page.assert_lacks("<script>alert");
    page.assert_lacks("<!-- x");
    // The only `</script>`s close the JSON-LD block, which still parses whole,
    // and the (empty) element of the share script.
    assert_eq!(page.body.matches("</script>").count(), 2, "{}", page.body);
    page.assert_has(r#"<script src="/bagikan.js" defer></script>"#);
    assert_eq!(page.json_ld()["name"], title);
}

#[tokio::test]
async fn canonical_of_a_federated_listing_is_its_own_centers_page() {
    // The other center publishes no address: its page here is canonical.
    let (web, _dir, other) = two_centers();
    let web = web.with_public_url(PUBLIC_URL);
    let row = row_of(&web.node, "Kendang Jimbe Blitar");
    let path = format!("/produk/{}/{}", row.center_id, row.listing.id);
    let page = web.ok(&path).await;
    assert_eq!(page.canonical(), Some(format!("{PUBLIC_URL}{path}")));

    // Once it publishes one, its own node's page is.
    other
        .set_profile(&telecenter_protocol::catalog::input::ProfileInput {
            address: Some("https://blitar.example.id/".to_owned()),
            ..Default::default()
        })
        .unwrap();
    let changes = other
        .changes_of(&DocId::catalog(other.center_id()))
        .unwrap();
    for outcome in web.node.receive(&changes).unwrap() {
        outcome.unwrap();
    }
    let page = web.ok(&path).await;
    let canonical = format!("https://blitar.example.id{path}");
    assert_eq!(page.canonical().as_deref(), Some(canonical.as_str()));
    assert_eq!(page.meta("og:url").as_deref(), Some(canonical.as_str()));
    assert_eq!(page.json_ld()["offers"]["url"], canonical.as_str());

    // This center's own products stay canonical here.
    let own = web.listing_uri("Sari Apel Malang");
    let page = web.ok(&own).await;
    assert_eq!(page.canonical(), Some(format!("{PUBLIC_URL}{own}")));
}

#[tokio::test]
async fn hostile_host_header_is_not_used_in_links() {
    let web = Web::new();
    let uri = web.listing_uri("Keripik Tempe Sanan Original");
    let long = format!("{}.example", "a".repeat(300));
    for host in ["evil.com/x", "evil.com@x", long.as_str()] {
        let page = web.get_with_host(&uri, host).await;
        assert_eq!(page.status, StatusCode::OK, "{host}");
        page.assert_lacks("evil.com");
        page.assert_lacks("aaaaaaaaaa");
        assert_eq!(page.canonical().as_deref(), Some(uri.as_str()), "{host}");
        for path in ["/robots.txt", "/sitemap.xml"] {
            let page = web.get_with_host(path, host).await;
            assert_eq!(page.status, StatusCode::OK, "{host} {path}");
            page.assert_lacks("evil.com");
            page.assert_lacks("aaaaaaaaaa");
        }
    }
    // A plain host is used when nothing better is known.
    let page = web.get_with_host(&uri, "pasar.lan:8470").await;
    assert_eq!(
        page.canonical(),
        Some(format!("http://pasar.lan:8470{uri}"))
    );
    // The operator's public_url wins over it.
    let web = web.with_public_url(PUBLIC_URL);
    let page = web.get_with_host(&uri, "pasar.lan:8470").await;
    assert_eq!(page.canonical(), Some(format!("{PUBLIC_URL}{uri}")));
}

#[tokio::test]
async fn sitemap_lists_exactly_the_shown_listings_and_the_centers() {
    let (web, _dir, other) = two_centers();
    let web = web.with_public_url(PUBLIC_URL);
    let hidden = web.row("Jamu Kunyit Asam").listing.id;
    let removed = web.row("Gerabah Hias Dinoyo").listing.id;
    hide_and_remove(&web.node, &hidden, &removed);

    let page = web.get("/sitemap.xml").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.header(header::CONTENT_TYPE),
        Some("application/xml; charset=utf-8")
    );
    assert!(
        page.header(header::CACHE_CONTROL)
            .unwrap()
            .starts_with("public")
    );
    assert!(
        page.body
            .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
    );
    page.assert_has(r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#);
    let locs: Vec<&str> = page
        .body
        .split("<loc>")
        .skip(1)
        .map(|rest| rest.split("</loc>").next().unwrap())
        .collect();
    let lastmods: Vec<&str> = page
        .body
        .split("<lastmod>")
        .skip(1)
        .map(|rest| rest.split("</lastmod>").next().unwrap())
        .collect();
    assert_eq!(locs.len(), lastmods.len());
    assert!(lastmods.iter().all(|d| *d == "2025-11-23"), "{lastmods:?}");

    // Exactly what a buyer can browse: every active listing of both centers.
    let shown = web
        .node
        .search(&crate::search::SearchQuery {
            limit: 100,
            ..crate::search::SearchQuery::default()
        })
        .unwrap();
    assert_eq!(shown.total, 19);
    let mut expected: Vec<String> = shown
        .items
        .iter()
        .map(|row| format!("{PUBLIC_URL}/produk/{}/{}", row.center_id, row.listing.id))
        .chain(
            [web.node.center_id(), other.center_id()]
                .iter()
                .map(|c| format!("{PUBLIC_URL}/pusat/{c}")),
        )
        .collect();
    // And the page of every producer those listings name, once each.
    let producers: std::collections::BTreeSet<String> = shown
        .items
        .iter()
        .filter(|row| !row.listing.producer.is_empty())
        .map(|row| {
            format!(
                "{PUBLIC_URL}/produsen/{}/{}",
                row.center_id,
                super::producer_page::key(&row.listing.producer, &row.listing.producer_village)
            )
        })
        .collect();
    assert!(!producers.is_empty());
    expected.extend(producers);
    expected.sort();
    let mut listed: Vec<String> = locs.iter().map(|l| (*l).to_owned()).collect();
    listed.sort();
    assert_eq!(listed, expected);
    assert!(!page.has(hidden.as_str()));
    assert!(!page.has(removed.as_str()));

    // The sitemap is built once per change of the catalog: asked again, the
    // same answer; after a change, the change is in it.
    assert_eq!(web.get("/sitemap.xml").await.body, page.body);
    web.node
        .update_listing(
            &hidden,
            &ListingPatch {
                status: Some("active".to_owned()),
                ..ListingPatch::default()
            },
        )
        .unwrap();
    let after = web.get("/sitemap.xml").await;
    assert!(after.has(hidden.as_str()));
    assert_eq!(after.body.matches("<loc>").count(), locs.len() + 1);
}

#[tokio::test]
async fn robots_txt_keeps_crawlers_out_of_operator_pages_and_api() {
    let web = Web::new().with_public_url(PUBLIC_URL);
    let page = web.get("/robots.txt").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.header(header::CONTENT_TYPE),
        Some("text/plain; charset=utf-8")
    );
    assert!(
        page.header(header::CACHE_CONTROL)
            .unwrap()
            .starts_with("public")
    );
    assert_eq!(
        page.body,
        format!(
            "User-agent: *\nDisallow: /operator\nDisallow: /api/\nSitemap: {PUBLIC_URL}/sitemap.xml\n"
        )
    );
}

/// The decoded `text` of the first link `{prefix}?text=…` (a wa.me link).
fn wa_text(page: &Page, prefix: &str) -> Option<String> {
    let rest = page
        .body
        .split(&format!(r#"href="{prefix}?text="#))
        .nth(1)?;
    let encoded = rest.split('"').next()?;
    Some(
        percent_encoding::percent_decode_str(encoded)
            .decode_utf8()
            .unwrap()
            .into_owned(),
    )
}

/// Issue 13: a product page of a center with a WhatsApp number asks it on
/// WhatsApp with a message naming the product, its price and its absolute
/// address; every product page has a share link; the script is allowed.
#[tokio::test]
async fn product_page_asks_the_seller_on_whatsapp_and_shares() {
    let web = Web::with_node(|node| {
        node.set_profile(&telecenter_protocol::catalog::input::ProfileInput {
            whatsapp: Some("0812-0000-0000".to_owned()),
            ..Default::default()
        })
        .unwrap();
    })
    .with_public_url(PUBLIC_URL);
    let title = "Keripik Tempe Sanan Original";
    let row = web.row(title);
    let uri = web.listing_uri(title);
    let page = web.ok(&uri).await;
    let link = format!("{PUBLIC_URL}{uri}");
    let price = crate::money::format_rupiah(row.listing.price_idr);
    let ask = wa_text(&page, "https://wa.me/6281200000000")
        .unwrap_or_else(|| panic!("no WhatsApp link in:\n{}", page.body));
    for wanted in [
        title,
        price.as_str(),
        link.as_str(),
        "Telecenter Kota Malang",
    ] {
        assert!(ask.contains(wanted), "{wanted:?} not in {ask:?}");
    }
    page.assert_has("Tanya lewat WhatsApp");
    page.assert_has(r#"target="_blank" rel="noopener""#);
    let share = wa_text(&page, "https://wa.me/").expect("a share link");
    for wanted in [title, price.as_str(), link.as_str()] {
        assert!(share.contains(wanted), "{wanted:?} not in {share:?}");
    }
    page.assert_has("Bagikan");

    // The share script is served, and the pages' policy allows it.
    let script = web.get("/bagikan.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(
        script
            .header(header::CONTENT_TYPE)
            .unwrap_or_default()
            .starts_with("text/javascript")
    );
    assert!(script.has("navigator.share"));
    let policy = page
        .header(header::HeaderName::from_static("content-security-policy"))
        .unwrap();
    assert!(policy.contains("script-src 'self'"), "{policy}");

    // The center page asks too.
    let center = web.ok(&format!("/pusat/{}", row.center_id)).await;
    let ask = wa_text(&center, "https://wa.me/6281200000000").expect("center WhatsApp link");
    assert!(
        ask.contains(&format!("{PUBLIC_URL}/pusat/{}", row.center_id)),
        "{ask}"
    );
}

/// Without a published number there is no WhatsApp chat link, only sharing.
#[tokio::test]
async fn no_whatsapp_number_no_ask_link() {
    let web = Web::new();
    let row = web.row("Keripik Tempe Sanan Original");
    for uri in [
        web.listing_uri("Keripik Tempe Sanan Original"),
        format!("/pusat/{}", row.center_id),
    ] {
        let page = web.ok(&uri).await;
        page.assert_lacks("https://wa.me/62");
        page.assert_lacks("Tanya lewat WhatsApp");
        assert!(wa_text(&page, "https://wa.me/").is_some(), "{uri}");
    }
}

/// Another center's number travels in its catalog and asks that center.
#[tokio::test]
async fn a_federated_product_asks_its_own_center() {
    let (web, _dir, other) = two_centers();
    other
        .set_profile(&telecenter_protocol::catalog::input::ProfileInput {
            whatsapp: Some("+62 813-1111-2222".to_owned()),
            ..Default::default()
        })
        .unwrap();
    let changes = other
        .changes_of(&DocId::catalog(other.center_id()))
        .unwrap();
    for outcome in web.node.receive(&changes).unwrap() {
        outcome.unwrap();
    }
    let page = web.ok(&web.listing_uri("Kendang Jimbe Blitar")).await;
    let ask = wa_text(&page, "https://wa.me/6281311112222").expect("seller's WhatsApp");
    assert!(ask.contains("Telecenter Kab Blitar"), "{ask}");
    assert!(ask.contains("Rp 120.000"), "{ask}");
    let own = web.ok(&web.listing_uri("Sari Apel Malang")).await;
    own.assert_lacks("https://wa.me/62");
}
