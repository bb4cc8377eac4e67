//! Tests of the HTTP API through the real router with `tower::ServiceExt::oneshot`
//! (no sockets): response shapes, parameter checks, status codes and JSON errors,
//! the admin token, body limits, and that refused requests change nothing.

use axum::body::Body;
use axum::http::Request;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use telecenter_protocol::Identity;
use tempfile::TempDir;
use tower::ServiceExt;

use super::*;
use std::sync::Arc;

use axum::http::{StatusCode, header};

use crate::app::router;
use crate::clock::ManualClock;
use crate::node::Node;
use crate::sample::add_sample_listings;
use crate::search::SearchQuery;
use crate::server::AppState;
use crate::server::REQUEST_BODY_BYTES_MAX;
use crate::testing::every_status_query;

const TOKEN: &str = "secret-token";
const T0: i64 = 1_763_860_000_000;

/// A node with the sample catalog behind the real router.
struct Api {
    _dir: TempDir,
    node: Arc<Node>,
    app: Router,
}

struct Reply {
    status: StatusCode,
    json: Value,
}

impl Api {
    fn new(admin_token: Option<&str>) -> Self {
        let dir = TempDir::new().unwrap();
        let node = crate::testing::center_with(
            dir.path(),
            (1, 2),
            &crate::testing::profile(
                "Telecenter Kota Malang",
                "Kota Malang",
                Some("WA 0812-0000-0000"),
            ),
            Arc::new(ManualClock::new(T0)),
        );
        assert_eq!(add_sample_listings(&node).unwrap(), 20);
        let node = Arc::new(node);
        let app = router(AppState::new(node.clone(), admin_token));
        Self {
            _dir: dir,
            node,
            app,
        }
    }

    fn with_token() -> Self {
        Self::new(Some(TOKEN))
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let request = crate::server::gate::from_this_computer(request);
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let is_json = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert!(is_json, "{status}: not JSON: {bytes:?}");
        let json = serde_json::from_slice(&bytes).unwrap();
        Reply { status, json }
    }

    async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    /// A request with the admin token and a JSON body.
    async fn admin(&self, method: &str, uri: &str, body: Option<Value>) -> Reply {
        self.admin_raw(method, uri, Some(TOKEN), body.map(|b| b.to_string()))
            .await
    }

    async fn admin_raw(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body)
            }
            None => Body::empty(),
        };
        self.send(request.body(body).unwrap()).await
    }

    /// Listings of this center in the index, every status, as the node sees them.
    fn state(&self) -> (u64, Vec<crate::store::ListingRow>) {
        let page = self.node.search(&every_status_query(None)).unwrap();
        (page.total, page.items)
    }

    fn public_total(&self) -> u64 {
        self.node.search(&SearchQuery::default()).unwrap().total
    }

    fn listing_uri(&self, id: &str) -> String {
        format!("/api/v1/listings/{}/{id}", self.node.center_id())
    }

    /// The id of the first public listing whose Indonesian title is `title`.
    async fn id_of(&self, title: &str) -> String {
        let reply = self.get("/api/v1/listings?limit=100").await;
        reply.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["titles"]["id"] == title)
            .unwrap_or_else(|| panic!("no listing titled {title}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// Checks the error shape and returns the error code.
fn error_code(reply: &Reply, status: StatusCode) -> String {
    assert_eq!(reply.status, status, "{}", reply.json);
    let error = &reply.json["error"];
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        reply.json
    );
    error["code"].as_str().unwrap().to_owned()
}

fn new_listing_body() -> Value {
    json!({
        "title": "Dodol Apel Batu",
        "description": "Dodol apel manis dari Batu.",
        "category": "makanan",
        "price_idr": 22_000,
        "stock": 30,
        "unit": "kotak",
        "producer": "UMKM Apel Batu",
    })
}

#[tokio::test]
async fn info_names_the_center() {
    let api = Api::with_token();
    let reply = api.get("/api/v1/info").await;
    assert_eq!(reply.status, StatusCode::OK);
    let info = reply.json.as_object().unwrap();
    for key in ["center_id", "name", "region", "contact", "version"] {
        assert!(info[key].is_string(), "{key}: {}", reply.json);
    }
    assert_eq!(info["center_id"], api.node.center_id().to_string());
    assert_eq!(info["name"], "Telecenter Kota Malang");
    assert_eq!(info["region"], "Kota Malang");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn listings_have_the_documented_shape() {
    let api = Api::with_token();
    let reply = api.get("/api/v1/listings").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["total"], 20);
    let items = reply.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 20, "the default page holds 20");
    for item in items {
        for key in [
            "id",
            "center_id",
            "center_name",
            "center_region",
            "title",
            "description",
            "category",
            "category_label",
            "unit",
            "producer",
            "status",
            "created_at",
            "updated_at",
        ] {
            assert!(item[key].is_string(), "{key}: {item}");
        }
        for key in ["price_idr", "stock"] {
            assert!(item[key].is_i64(), "{key}: {item}");
        }
        assert!(item["titles"]["id"].is_string(), "{item}");
        assert_eq!(item["center_id"], api.node.center_id().to_string());
        assert_eq!(item["center_name"], "Telecenter Kota Malang");
        assert_eq!(item["status"], "active");
        assert_eq!(item["updated_at"], "2025-11-23T01:06:40Z");
    }

    let reply = api
        .get("/api/v1/listings?q=keripik&category=makanan&min_price=15.000&max_price=Rp%2016.000&sort=price_desc&limit=1&offset=1")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["total"], 2);
    let items = reply.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["title"], "Keripik Tempe Sanan Original");
    assert_eq!(items[0]["price_idr"], 15_000);
    assert_eq!(items[0]["category_label"], "Makanan");
}

#[tokio::test]
async fn lang_en_uses_english_titles_where_they_exist() {
    let api = Api::with_token();
    let items = |reply: &Reply| reply.json["items"].as_array().unwrap().clone();
    let english = api.get("/api/v1/listings?q=jamu&lang=en&limit=100").await;
    assert_eq!(english.status, StatusCode::OK);
    let english = items(&english);
    let title_of = |items: &[Value], id_title: &str| -> Value {
        items
            .iter()
            .find(|i| i["titles"]["id"] == id_title)
            .unwrap()["title"]
            .clone()
    };
    assert_eq!(
        title_of(&english, "Jamu Kunyit Asam"),
        "Turmeric and tamarind jamu"
    );
    // No English title: the Indonesian one is shown.
    assert_eq!(title_of(&english, "Jamu Beras Kencur"), "Jamu Beras Kencur");
    assert!(
        english
            .iter()
            .all(|i| i["category_label"] == "Herbal & health")
    );

    let indonesian = items(&api.get("/api/v1/listings?q=jamu&limit=100").await);
    assert_eq!(
        title_of(&indonesian, "Jamu Kunyit Asam"),
        "Jamu Kunyit Asam"
    );
    // Javanese falls back to Indonesian too.
    let javanese = items(&api.get("/api/v1/listings?q=jamu&lang=jv&limit=100").await);
    assert_eq!(title_of(&javanese, "Jamu Kunyit Asam"), "Jamu Kunyit Asam");

    let id = api.id_of("Kopi Robusta Dampit Bubuk").await;
    let one = api.get(&format!("{}?lang=en", api.listing_uri(&id))).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json["title"], "Dampit robusta coffee, ground");
    assert_eq!(one.json["titles"]["en"], "Dampit robusta coffee, ground");
    assert_eq!(one.json["titles"]["id"], "Kopi Robusta Dampit Bubuk");
}

#[tokio::test]
async fn bad_search_parameters_are_400_with_a_json_reason() {
    let api = Api::with_token();
    for (query, field) in [
        ("category=senjata", Some("category")),
        ("min_price=abc", Some("min_price")),
        ("max_price=-5", Some("max_price")),
        ("limit=1000", Some("limit")),
        ("limit=abc", Some("limit")),
        ("offset=-1", Some("offset")),
        ("min_price=20000&max_price=10000", Some("min_price")),
        ("sort=random", Some("sort")),
        ("lang=fr", Some("lang")),
        ("center=tc1nope", Some("center")),
        ("foo=1", None),
        ("q=kopi&foo=1", None),
        ("status=hidden", None),
    ] {
        let reply = api.get(&format!("/api/v1/listings?{query}")).await;
        let code = error_code(&reply, StatusCode::BAD_REQUEST);
        match field {
            Some(field) => {
                assert_eq!(code, "invalid_input", "{query}");
                assert_eq!(reply.json["error"]["field"], field, "{query}");
            }
            None => assert_eq!(code, "invalid_query", "{query}"),
        }
    }
}

#[tokio::test]
async fn one_listing_is_public_only_while_active() {
    let api = Api::with_token();
    let id = api.id_of("Topeng Malangan Kayu").await;
    let reply = api.get(&api.listing_uri(&id)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["id"], id);
    assert_eq!(reply.json["title"], "Topeng Malangan Kayu");
    assert_eq!(reply.json["price_idr"], 250_000);

    let hidden = api
        .admin(
            "PATCH",
            &format!("/api/v1/admin/listings/{id}"),
            Some(json!({"status": "hidden"})),
        )
        .await;
    assert_eq!(hidden.status, StatusCode::OK, "{}", hidden.json);
    assert_eq!(hidden.json["status"], "hidden");
    let reply = api.get(&api.listing_uri(&id)).await;
    assert_eq!(error_code(&reply, StatusCode::NOT_FOUND), "not_found");
    // The operator still sees it.
    let own = api
        .admin("GET", &format!("/api/v1/admin/listings/{id}"), None)
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.json["status"], "hidden");
    let own_list = api
        .admin("GET", "/api/v1/admin/listings?limit=100", None)
        .await;
    assert_eq!(own_list.json["total"], 20);
    let public = api.get("/api/v1/listings?limit=100").await;
    assert_eq!(public.json["total"], 19);

    let unknown = api.get(&api.listing_uri("0000000000")).await;
    assert_eq!(error_code(&unknown, StatusCode::NOT_FOUND), "not_found");
    let other_center = Identity::generate(&mut StdRng::seed_from_u64(9)).center_id();
    let unknown = api
        .get(&format!("/api/v1/listings/{other_center}/{id}"))
        .await;
    assert_eq!(error_code(&unknown, StatusCode::NOT_FOUND), "not_found");

    let malformed = api.get(&format!("/api/v1/listings/tc1nope/{id}")).await;
    assert_eq!(
        error_code(&malformed, StatusCode::BAD_REQUEST),
        "invalid_center_id"
    );
    let malformed = api.get(&api.listing_uri("not-an-id!")).await;
    assert_eq!(
        error_code(&malformed, StatusCode::BAD_REQUEST),
        "invalid_listing_id"
    );
    let bad_lang = api.get(&format!("{}?lang=xx", api.listing_uri(&id))).await;
    assert_eq!(
        error_code(&bad_lang, StatusCode::BAD_REQUEST),
        "invalid_input"
    );
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_in_json() {
    let api = Api::with_token();
    // (`/` and other paths outside `/api/` are web pages: see web/tests.rs.)
    for uri in ["/api/v1/nope", "/api/v2/info", "/api/v1/listings/a/b/c"] {
        let reply = api.get(uri).await;
        assert_eq!(
            error_code(&reply, StatusCode::NOT_FOUND),
            "not_found",
            "{uri}"
        );
    }
    for (method, uri) in [
        ("DELETE", "/api/v1/info"),
        ("POST", "/api/v1/listings"),
        ("PUT", "/api/v1/admin/listings"),
        ("POST", "/api/v1/admin/profile"),
    ] {
        let reply = api.admin_raw(method, uri, Some(TOKEN), None).await;
        assert_eq!(
            error_code(&reply, StatusCode::METHOD_NOT_ALLOWED),
            "method_not_allowed",
            "{method} {uri}"
        );
    }
}

#[tokio::test]
async fn admin_routes_need_the_right_token_and_change_nothing_without_it() {
    let api = Api::with_token();
    let id = api.id_of("Sari Apel Malang").await;
    let before = api.state();
    let profile_before = api.node.profile().unwrap();
    let changes_before = api
        .node
        .changes_of(&telecenter_protocol::DocId::catalog(api.node.center_id()))
        .unwrap()
        .len();
    let listing_uri = format!("/api/v1/admin/listings/{id}");
    let requests: Vec<(&str, &str, Option<Value>)> = vec![
        ("GET", "/api/v1/admin/listings", None),
        ("POST", "/api/v1/admin/listings", Some(new_listing_body())),
        ("GET", &listing_uri, None),
        ("PATCH", &listing_uri, Some(json!({"price_idr": 1}))),
        ("DELETE", &listing_uri, None),
        ("GET", "/api/v1/admin/profile", None),
        (
            "PATCH",
            "/api/v1/admin/profile",
            Some(json!({"contact": "x"})),
        ),
    ];
    let wrong_tokens = [
        None,
        Some("wrong-token"),
        Some("secret-tokeN"),
        Some("secret-token-longer"),
        Some(""),
    ];
    for (method, uri, body) in &requests {
        for token in wrong_tokens {
            let reply = api
                .admin_raw(method, uri, token, body.as_ref().map(Value::to_string))
                .await;
            assert_eq!(
                error_code(&reply, StatusCode::UNAUTHORIZED),
                "unauthorized",
                "{method} {uri} {token:?}"
            );
        }
        // Not a bearer token at all.
        let mut request = Request::builder()
            .method(*method)
            .uri(*uri)
            .header(header::AUTHORIZATION, format!("Basic {TOKEN}"));
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let body = body
            .as_ref()
            .map_or(Body::empty(), |b| Body::from(b.to_string()));
        let reply = api.send(request.body(body).unwrap()).await;
        assert_eq!(error_code(&reply, StatusCode::UNAUTHORIZED), "unauthorized");
    }
    assert_eq!(api.state(), before);
    assert_eq!(api.node.profile().unwrap(), profile_before);
    assert_eq!(
        api.node
            .changes_of(&telecenter_protocol::DocId::catalog(api.node.center_id()))
            .unwrap()
            .len(),
        changes_before
    );

    // With the admin API switched off, even the right token is refused.
    let closed = Api::new(None);
    for (method, uri, body) in &requests {
        let uri = uri.replace(&id, &closed.id_of("Sari Apel Malang").await);
        let reply = closed
            .admin_raw(
                method,
                &uri,
                Some(TOKEN),
                body.as_ref().map(Value::to_string),
            )
            .await;
        assert_eq!(error_code(&reply, StatusCode::UNAUTHORIZED), "unauthorized");
    }
}

#[tokio::test]
async fn adding_a_listing_returns_201_and_it_is_searchable() {
    let api = Api::with_token();
    let reply = api
        .admin("POST", "/api/v1/admin/listings", Some(new_listing_body()))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    assert_eq!(reply.json["title"], "Dodol Apel Batu");
    assert_eq!(reply.json["price_idr"], 22_000);
    assert_eq!(reply.json["unit"], "kotak");
    assert_eq!(reply.json["status"], "active");
    let id = reply.json["id"].as_str().unwrap().to_owned();

    let found = api.get("/api/v1/listings?q=dodol").await;
    assert_eq!(found.json["total"], 1);
    assert_eq!(found.json["items"][0]["id"], id);
    assert_eq!(api.public_total(), 21);
    let public = api.get(&api.listing_uri(&id)).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.json, reply.json);
}

#[tokio::test]
async fn bad_listing_bodies_are_400_and_change_nothing() {
    let api = Api::with_token();
    let before = api.state();
    let with = |key: &str, value: Value| {
        let mut body = new_listing_body();
        body[key] = value;
        body.to_string()
    };
    let cases: Vec<(String, &str, Option<&str>)> = vec![
        (with("title", json!("")), "invalid_input", Some("title")),
        (with("title", json!("   ")), "invalid_input", Some("title")),
        (
            with("title", json!("k".repeat(121))),
            "invalid_input",
            Some("title"),
        ),
        (
            with("price_idr", json!(-1)),
            "invalid_input",
            Some("price_idr"),
        ),
        (
            with("price_idr", json!(1_000_000_001_i64)),
            "invalid_input",
            Some("price_idr"),
        ),
        (
            with("category", json!("senjata")),
            "invalid_input",
            Some("category"),
        ),
        (with("price_idr", json!("abc")), "invalid_json", None),
        (with("price_idr", json!(1.5)), "invalid_json", None),
        (with("stock", json!(null)), "invalid_json", None),
        (with("unexpected", json!(1)), "invalid_json", None),
        ("{\"title\": ".to_owned(), "invalid_json", None),
        ("not json".to_owned(), "invalid_json", None),
        (String::new(), "invalid_json", None),
        ("[]".to_owned(), "invalid_json", None),
    ];
    for (body, code, field) in cases {
        let reply = api
            .admin_raw(
                "POST",
                "/api/v1/admin/listings",
                Some(TOKEN),
                Some(body.clone()),
            )
            .await;
        assert_eq!(error_code(&reply, StatusCode::BAD_REQUEST), code, "{body}");
        if let Some(field) = field {
            assert_eq!(reply.json["error"]["field"], field, "{body}");
        }
    }

    // No content type (or a wrong one): refused before the body is read.
    for content_type in [None, Some("text/plain")] {
        let mut request = Request::post("/api/v1/admin/listings")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let reply = api
            .send(
                request
                    .body(Body::from(new_listing_body().to_string()))
                    .unwrap(),
            )
            .await;
        assert_eq!(
            error_code(&reply, StatusCode::UNSUPPORTED_MEDIA_TYPE),
            "unsupported_media_type"
        );
    }
    assert_eq!(api.state(), before);
}

#[tokio::test]
async fn a_body_over_64_kib_is_413_and_changes_nothing() {
    let api = Api::with_token();
    let before = api.state();
    // A valid listing padded with whitespace: only its size is wrong.
    let body = new_listing_body().to_string();
    let padded = format!("{}{}", body, " ".repeat(REQUEST_BODY_BYTES_MAX));
    assert!(padded.len() > REQUEST_BODY_BYTES_MAX);
    let reply = api
        .admin_raw("POST", "/api/v1/admin/listings", Some(TOKEN), Some(padded))
        .await;
    assert_eq!(
        error_code(&reply, StatusCode::PAYLOAD_TOO_LARGE),
        "body_too_large"
    );
    let id = api.id_of("Sari Apel Malang").await;
    let patch = format!(
        "{{\"description\": \"{}\"}}",
        "a".repeat(REQUEST_BODY_BYTES_MAX + 1)
    );
    let reply = api
        .admin_raw(
            "PATCH",
            &format!("/api/v1/admin/listings/{id}"),
            Some(TOKEN),
            Some(patch),
        )
        .await;
    assert_eq!(
        error_code(&reply, StatusCode::PAYLOAD_TOO_LARGE),
        "body_too_large"
    );
    assert_eq!(api.state(), before);
    // The same listing, unpadded, is accepted.
    let reply = api
        .admin_raw("POST", "/api/v1/admin/listings", Some(TOKEN), Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
}

#[tokio::test]
async fn patch_updates_delete_removes_for_good() {
    let api = Api::with_token();
    let id = api.id_of("Gerabah Hias Dinoyo").await;
    let uri = format!("/api/v1/admin/listings/{id}");

    let reply = api
        .admin(
            "PATCH",
            &uri,
            Some(json!({"price_idr": 65_000, "stock": 8})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["price_idr"], 65_000);
    assert_eq!(reply.json["stock"], 8);
    let public = api.get(&api.listing_uri(&id)).await;
    assert_eq!(public.json["price_idr"], 65_000);
    let reply = api
        .admin(
            "PATCH",
            &uri,
            Some(json!({"lang": "en", "title": "Decorated Dinoyo pottery"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let public = api.get(&format!("{}?lang=en", api.listing_uri(&id))).await;
    assert_eq!(public.json["title"], "Decorated Dinoyo pottery");

    // Refused patches change nothing.
    let before = api.state();
    for (body, status, code) in [
        (
            json!({"price_idr": -1}),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (json!({}), StatusCode::BAD_REQUEST, "no_change"),
        (
            json!({"status": "sold"}),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (json!({"harga": 1}), StatusCode::BAD_REQUEST, "invalid_json"),
    ] {
        let reply = api.admin("PATCH", &uri, Some(body.clone())).await;
        assert_eq!(error_code(&reply, status), code, "{body}");
    }
    let unknown = api
        .admin(
            "PATCH",
            "/api/v1/admin/listings/0000000000",
            Some(json!({"price_idr": 1})),
        )
        .await;
    assert_eq!(error_code(&unknown, StatusCode::NOT_FOUND), "not_found");
    let malformed = api
        .admin(
            "PATCH",
            "/api/v1/admin/listings/nope",
            Some(json!({"price_idr": 1})),
        )
        .await;
    assert_eq!(
        error_code(&malformed, StatusCode::BAD_REQUEST),
        "invalid_listing_id"
    );
    assert_eq!(api.state(), before);

    let reply = api.admin("DELETE", &uri, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["status"], "removed");
    let public = api.get(&api.listing_uri(&id)).await;
    assert_eq!(error_code(&public, StatusCode::NOT_FOUND), "not_found");
    assert_eq!(api.get("/api/v1/listings?q=gerabah").await.json["total"], 0);
    assert_eq!(api.public_total(), 19);

    let before = api.state();
    let again = api
        .admin("PATCH", &uri, Some(json!({"price_idr": 1})))
        .await;
    assert_eq!(error_code(&again, StatusCode::CONFLICT), "listing_removed");
    let again = api.admin("DELETE", &uri, None).await;
    assert_eq!(error_code(&again, StatusCode::CONFLICT), "listing_removed");
    let revive = api
        .admin("PATCH", &uri, Some(json!({"status": "active"})))
        .await;
    assert_eq!(error_code(&revive, StatusCode::CONFLICT), "listing_removed");
    assert_eq!(api.state(), before);
}

#[tokio::test]
async fn patch_profile_changes_the_contact() {
    let api = Api::with_token();
    let reply = api
        .admin(
            "PATCH",
            "/api/v1/admin/profile",
            Some(json!({"contact": "WA 0813-1111-2222 · Jl. Ijen 5"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["contact"], "WA 0813-1111-2222 · Jl. Ijen 5");
    assert_eq!(reply.json["name"], "Telecenter Kota Malang");
    let info = api.get("/api/v1/info").await;
    assert_eq!(info.json["contact"], "WA 0813-1111-2222 · Jl. Ijen 5");
    assert_eq!(info.json["name"], "Telecenter Kota Malang");
    let profile = api.admin("GET", "/api/v1/admin/profile", None).await;
    assert_eq!(profile.json, info.json);

    for (body, code) in [
        (json!({"name": ""}), "invalid_input"),
        (json!({}), "no_change"),
        (json!({"contact": "x".repeat(201)}), "invalid_input"),
        (json!({"email": "a@b"}), "invalid_json"),
    ] {
        let reply = api
            .admin("PATCH", "/api/v1/admin/profile", Some(body.clone()))
            .await;
        assert_eq!(error_code(&reply, StatusCode::BAD_REQUEST), code, "{body}");
    }
    assert_eq!(api.get("/api/v1/info").await.json, info.json);
}
