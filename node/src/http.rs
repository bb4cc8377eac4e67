//! The HTTP server: the public JSON API, the token-protected admin API that the
//! CLI uses while the node runs, and the one place ([`ApiError`]) where an error
//! becomes a status code and a JSON reason.
//!
//! Routes (all JSON):
//! - `GET /api/v1/info`
//! - `GET /api/v1/listings?q=&category=&center=&min_price=&max_price=&sort=&lang=&limit=&offset=`
//! - `GET /api/v1/listings/{center_id}/{listing_id}`
//! - admin, with `Authorization: Bearer <DATA/admin.token>`:
//!   `GET|POST /api/v1/admin/listings`, `GET|PATCH|DELETE /api/v1/admin/listings/{id}`,
//!   `GET|PATCH /api/v1/admin/profile`, `GET|POST /api/v1/admin/peers`,
//!   `DELETE /api/v1/admin/peers/{center}`, `GET /api/v1/admin/trust`, `GET /api/v1/admin/catalogs`,
//!   `POST /api/v1/admin/{trust,block,unblock}/{center}`, `POST /api/v1/admin/sync`
//! - peers, with a per-hop signed `Authorization: Telecenter ...` header
//!   (see `federation.rs`): `POST /api/v1/sync/{summary,fetch,push}`
//!
//! The admin API answers only clients on this computer (`gate.rs`); the server
//! loop with its connection and time bounds, and HTTPS, is in `server.rs`.

use std::future::Future;
use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use telecenter_protocol::catalog::{Lang, ListingStatus};
use telecenter_protocol::validate::{self, InvalidInput, ListingPatch, NewListing, ProfileInput};
use telecenter_protocol::{CenterId, ListingId};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::api::{ErrorBody, ErrorDetail, InfoView, ListingView, ListingsView};
use crate::node::{Node, NodeError, reject_code};
use crate::search::RawSearch;
use crate::sync::SyncEngine;
use telecenter_protocol::sync::SYNC_BODY_BYTES_MAX;

/// Largest request body accepted, in bytes.
pub const REQUEST_BODY_BYTES_MAX: usize = 64 * 1024;

pub mod federation;
pub mod gate;
pub mod orders;
pub mod server;

pub use server::{ServeOptions, ServerLimits, load_tls, serve_with};

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The node.
    pub node: Arc<Node>,
    /// The admin bearer token; `None` disables the admin API.
    pub admin_token: Option<Arc<str>>,
    /// The sync engine, when the node syncs in the background.
    pub sync: Option<SyncEngine>,
    /// Per-peer request rate limits.
    pub rate: federation::SharedRateLimiter,
    /// Operator sessions and the password file of the operator pages.
    pub operator: Arc<crate::web::operator::OperatorState>,
    /// The budget for reading peers' request bodies.
    pub hop_bodies: Arc<gate::HopBodies>,
}

impl AppState {
    /// State for `node` with an optional admin token and no background sync.
    pub fn new(node: Arc<Node>, admin_token: Option<&str>) -> Self {
        Self {
            node,
            admin_token: admin_token.map(Arc::from),
            sync: None,
            rate: Arc::default(),
            operator: Arc::default(),
            hop_bodies: Arc::default(),
        }
    }

    /// The background sync engine, or a fresh one for a node that runs without
    /// (its HTTP client is what talks to peers).
    pub fn engine(&self) -> Result<SyncEngine, NodeError> {
        match &self.sync {
            Some(engine) => Ok(engine.clone()),
            None => SyncEngine::new(self.node.clone()),
        }
    }
}

/// Every way a request can fail, and the only place that picks status codes.
#[derive(Debug)]
pub enum ApiError {
    /// A node operation failed.
    Node(NodeError),
    /// The request itself is malformed.
    BadRequest {
        /// Machine code.
        code: &'static str,
        /// Plain message.
        message: String,
    },
    /// The body is over the limit of its route (in bytes).
    TooLarge(usize),
    /// The body is not declared as JSON.
    UnsupportedMediaType,
    /// Missing or wrong admin token.
    Unauthorized,
    /// A peer request's authentication failed (`true`: the sender is known but not allowed).
    PeerAuth(String, bool),
    /// A peer sent too many requests.
    RateLimited,
    /// No such route or resource.
    NotFound(String),
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// The request was not answered in time.
    Timeout,
    /// The node has no room for this request now; try again shortly.
    Busy,
}

impl From<NodeError> for ApiError {
    fn from(error: NodeError) -> Self {
        ApiError::Node(error)
    }
}

impl From<InvalidInput> for ApiError {
    fn from(error: InvalidInput) -> Self {
        ApiError::Node(NodeError::Invalid(error))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::TooLarge(REQUEST_BODY_BYTES_MAX);
        }
        if let JsonRejection::MissingJsonContentType(_) = rejection {
            return ApiError::UnsupportedMediaType;
        }
        ApiError::BadRequest {
            code: "invalid_json",
            message: rejection.body_text(),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest {
            code: "invalid_query",
            message: rejection.body_text(),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::BadRequest {
            code: "invalid_path",
            message: rejection.body_text(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, field, reason) = match self {
            ApiError::Node(error) => match error {
                NodeError::Invalid(e) => (
                    StatusCode::BAD_REQUEST,
                    "invalid_input",
                    e.message.clone(),
                    Some(e.field.to_owned()),
                    Some(e.code.to_owned()),
                ),
                e @ (NodeError::NoSuchListing(_)
                | NodeError::UnknownListing { .. }
                | NodeError::NoSuchOrder(_)
                | NodeError::NoSuchSettlement(_)) => {
                    (StatusCode::NOT_FOUND, "not_found", e.to_string(), None, None)
                }
                NodeError::Order { code, message } => {
                    (StatusCode::CONFLICT, code, message, None, None)
                }
                e @ NodeError::Removed(_) => {
                    (StatusCode::CONFLICT, "listing_removed", e.to_string(), None, None)
                }
                e @ NodeError::Full(_) => {
                    (StatusCode::CONFLICT, "catalog_full", e.to_string(), None, None)
                }
                e @ NodeError::NoChange => {
                    (StatusCode::BAD_REQUEST, "no_change", e.to_string(), None, None)
                }
                NodeError::Image(crate::images::ImageError::Busy) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "the node is busy with other photos; try again in a few seconds".to_owned(),
                    None,
                    None,
                ),
                NodeError::Image(e) => (
                    StatusCode::BAD_REQUEST,
                    "invalid_image",
                    e.to_string(),
                    Some("photo".to_owned()),
                    None,
                ),
                e @ NodeError::NotAccepted(_) => {
                    (StatusCode::FORBIDDEN, "not_accepted", e.to_string(), None, None)
                }
                e @ (NodeError::Conflict(_) | NodeError::QueueFull) => {
                    (StatusCode::CONFLICT, reject_code(&e), e.to_string(), None, None)
                }
                e @ (NodeError::Rejected(_) | NodeError::Schema(_)) => {
                    (StatusCode::BAD_REQUEST, "change_rejected", e.to_string(), None, None)
                }
                e @ NodeError::MissingDependencies { .. } => {
                    (StatusCode::CONFLICT, "missing_dependencies", e.to_string(), None, None)
                }
                e @ (NodeError::Store(_)
                | NodeError::Internal(_)
                | NodeError::AlreadyCreated(_)) => {
                    // 5xx hide internals; the log has the details.
                    tracing::error!(error = %e, "request failed inside the node");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "the node could not complete the request; the operator can find details in its log".to_owned(),
                        None,
                        None,
                    )
                }
            },
            ApiError::BadRequest { code, message } => {
                (StatusCode::BAD_REQUEST, code, message, None, None)
            }
            ApiError::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("request body may be at most {limit} bytes"),
                None,
                None,
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the request body must be JSON with Content-Type: application/json".to_owned(),
                None,
                None,
            ),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this needs the node's admin token (Authorization: Bearer <token from DATA/admin.token>)".to_owned(),
                None,
                None,
            ),
            ApiError::PeerAuth(message, forbidden) => (
                if forbidden { StatusCode::FORBIDDEN } else { StatusCode::UNAUTHORIZED },
                if forbidden { "peer_not_allowed" } else { "peer_auth" },
                message,
                None,
                None,
            ),
            ApiError::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests from this peer; slow down".to_owned(),
                None,
                None,
            ),
            ApiError::NotFound(what) => (StatusCode::NOT_FOUND, "not_found", what, None, None),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this address does not accept that method".to_owned(),
                None,
                None,
            ),
            ApiError::Timeout => (
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "the request took too long; try again".to_owned(),
                None,
                None,
            ),
            ApiError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the node is busy with other requests; try again in a few seconds".to_owned(),
                None,
                None,
            ),
        };
        if status.is_client_error() {
            tracing::debug!(%status, code, %message, "request rejected");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
                field,
                reason,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        }
        response
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Runs blocking node work (SQLite, Automerge) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, NodeError> + Send + 'static,
) -> ApiResult<T> {
    crate::node::run_blocking(work)
        .await
        .map_err(ApiError::Node)
}

/// Compares a secret given by a caller with the expected one in constant time,
/// so it cannot be guessed byte by byte.
pub(crate) fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn check_admin(state: &AppState, headers: &HeaderMap) -> ApiResult<()> {
    let expected = state.admin_token.as_deref().ok_or(ApiError::Unauthorized)?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            // The scheme name is case-insensitive (RFC 7235).
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

/// A center id from a path or query, or a 400 `invalid_center_id`.
fn parse_center(text: &str) -> ApiResult<CenterId> {
    text.parse::<CenterId>().map_err(|e| ApiError::BadRequest {
        code: "invalid_center_id",
        message: e.to_string(),
    })
}

fn parse_listing_id(text: &str) -> ApiResult<ListingId> {
    text.parse::<ListingId>().map_err(|e| ApiError::BadRequest {
        code: "invalid_listing_id",
        message: e.to_string(),
    })
}

/// The full router with every route; `state` is shared by all handlers.
pub fn router(state: AppState) -> Router {
    let admin = Router::new()
        .route(
            "/api/v1/admin/images",
            post(admin_upload_image).layer(DefaultBodyLimit::max(
                telecenter_protocol::limits::PHOTO_UPLOAD_BYTES_MAX,
            )),
        )
        .route(
            "/api/v1/admin/listings",
            get(admin_listings).post(admin_add),
        )
        .route(
            "/api/v1/admin/listings/{id}",
            get(admin_listing).patch(admin_update).delete(admin_remove),
        )
        .route(
            "/api/v1/admin/profile",
            get(admin_profile).patch(admin_set_profile),
        )
        .route(
            "/api/v1/admin/peers",
            get(federation::list_peers).post(federation::add_peer),
        )
        .route(
            "/api/v1/admin/peers/{center}",
            axum::routing::delete(federation::remove_peer),
        )
        .route("/api/v1/admin/trust", get(federation::get_trust))
        .route("/api/v1/admin/catalogs", get(federation::catalogs))
        .route("/api/v1/admin/trust/{center}", post(federation::trust))
        .route("/api/v1/admin/block/{center}", post(federation::block))
        .route("/api/v1/admin/unblock/{center}", post(federation::unblock))
        .route("/api/v1/admin/sync", post(federation::sync_now))
        .route(
            "/api/v1/admin/orders",
            get(orders::list).post(orders::place),
        )
        .route("/api/v1/admin/orders/deliver", post(orders::deliver))
        .route("/api/v1/admin/orders/{id}", get(orders::show))
        .route("/api/v1/admin/orders/{id}/{action}", post(orders::step))
        .route("/api/v1/admin/fees/report", get(orders::report))
        .route("/api/v1/admin/fees/balances", get(orders::balances))
        .route("/api/v1/admin/fees/statement", get(orders::statement))
        .route(
            "/api/v1/admin/fees/settlements",
            get(orders::settlements).post(orders::pay),
        )
        .route(
            "/api/v1/admin/fees/settlements/{id}/{answer}",
            post(orders::answer),
        )
        .route("/api/v1/admin/fees/corrections", post(orders::correct))
        .route("/api/v1/admin/fees/netting", post(orders::netting))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            gate::admin_gate,
        ));
    let peers = Router::new()
        .route("/api/v1/sync/summary", post(federation::summary))
        .route("/api/v1/sync/fetch", post(federation::fetch))
        .route("/api/v1/sync/push", post(federation::push))
        .layer(DefaultBodyLimit::max(SYNC_BODY_BYTES_MAX))
        .route(
            crate::node::MAIL_PATH,
            post(federation::mail_exchange).layer(DefaultBodyLimit::max(
                telecenter_protocol::limits::MAIL_EXCHANGE_BYTES_MAX,
            )),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            gate::hop_gate,
        ));
    Router::new()
        .route("/api/v1/info", get(info))
        .route("/api/v1/listings", get(listings))
        .route("/api/v1/listings/{center}/{id}", get(listing))
        .route("/api/v1/images/{hash}", get(image))
        .merge(admin)
        .merge(peers)
        .merge(crate::web::routes())
        .fallback(crate::web::fallback)
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::web::operator::require_session,
        ))
        .layer(DefaultBodyLimit::max(REQUEST_BODY_BYTES_MAX))
        .layer(middleware::from_fn(gate::client_and_headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn info(State(state): State<AppState>) -> ApiResult<Json<InfoView>> {
    let node = state.node.clone();
    let profile = blocking(move || node.profile()).await?;
    Ok(Json(InfoView::new(&profile)))
}

async fn listings(
    State(state): State<AppState>,
    query: Result<Query<RawSearch>, QueryRejection>,
) -> ApiResult<Json<ListingsView>> {
    let Query(raw) = query?;
    if raw.status.is_some() {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            message: "the public API lists active listings only; status is for the admin API"
                .to_owned(),
        });
    }
    let search = raw.validate()?;
    let lang = search.lang;
    let node = state.node.clone();
    let page = blocking(move || node.search(&search)).await?;
    Ok(Json(ListingsView::new(&page, lang)))
}

#[derive(serde::Deserialize)]
struct LangParam {
    lang: Option<String>,
}

async fn listing(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    lang: Result<Query<LangParam>, QueryRejection>,
) -> ApiResult<Json<ListingView>> {
    let Path((center, id)) = path?;
    let lang = validate::lang(lang?.0.lang.as_deref())?;
    let center = parse_center(&center)?;
    let id = parse_listing_id(&id)?;
    let node = state.node.clone();
    let not_found = NodeError::UnknownListing {
        center,
        listing: id.clone(),
    };
    let row = blocking(move || node.listing(&center, &id)).await?;
    if row.listing.status != ListingStatus::Active {
        return Err(not_found.into());
    }
    Ok(Json(ListingView::new(&row, lang)))
}

/// `GET /api/v1/images/{hash}`: an image named by a listing held here (for peers).
async fn image(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let Path(hash) = path?;
    let node = state.node.clone();
    let wanted = hash.clone();
    match blocking(move || node.image_for_peer(&wanted)).await? {
        Some(bytes) => Ok(crate::web::image_response(bytes)),
        None => Err(ApiError::NotFound(format!("no image {hash} here"))),
    }
}

/// `POST /api/v1/admin/images`: the body is a JPEG, PNG or WebP photo; answers the
/// stored [`telecenter_protocol::catalog::Photo`] to put on a listing.
async fn admin_upload_image(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<telecenter_protocol::catalog::Photo>)> {
    check_admin(&state, &headers)?;
    let node = state.node.clone();
    let photo = blocking(move || node.store_photo(&body)).await?;
    Ok((StatusCode::CREATED, Json(photo)))
}

async fn admin_listings(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<RawSearch>, QueryRejection>,
) -> ApiResult<Json<ListingsView>> {
    check_admin(&state, &headers)?;
    let Query(mut raw) = query?;
    if raw.status.is_none() {
        raw.status = Some("active,hidden".to_owned());
    }
    let mut search = raw.validate()?;
    search.center = Some(state.node.center_id());
    let lang = search.lang;
    let node = state.node.clone();
    let page = blocking(move || node.search(&search)).await?;
    Ok(Json(ListingsView::new(&page, lang)))
}

async fn admin_add(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<NewListing>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<ListingView>)> {
    check_admin(&state, &headers)?;
    let Json(input) = body?;
    let node = state.node.clone();
    let row = blocking(move || node.add_listing(&input)).await?;
    Ok((StatusCode::CREATED, Json(ListingView::new(&row, Lang::Id))))
}

async fn admin_listing(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<ListingView>> {
    check_admin(&state, &headers)?;
    let id = parse_listing_id(&path?.0)?;
    let node = state.node.clone();
    let row = blocking(move || node.own_listing(&id)).await?;
    Ok(Json(ListingView::new(&row, Lang::Id)))
}

async fn admin_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<ListingPatch>, JsonRejection>,
) -> ApiResult<Json<ListingView>> {
    check_admin(&state, &headers)?;
    let id = parse_listing_id(&path?.0)?;
    let Json(patch) = body?;
    let node = state.node.clone();
    let row = blocking(move || node.update_listing(&id, &patch)).await?;
    Ok(Json(ListingView::new(&row, Lang::Id)))
}

async fn admin_remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<ListingView>> {
    check_admin(&state, &headers)?;
    let id = parse_listing_id(&path?.0)?;
    let node = state.node.clone();
    let row = blocking(move || node.remove_listing(&id)).await?;
    Ok(Json(ListingView::new(&row, Lang::Id)))
}

async fn admin_profile(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Json<InfoView>> {
    check_admin(&state, &headers)?;
    let node = state.node.clone();
    let profile = blocking(move || node.profile()).await?;
    Ok(Json(InfoView::new(&profile)))
}

async fn admin_set_profile(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<ProfileInput>, JsonRejection>,
) -> ApiResult<Json<InfoView>> {
    check_admin(&state, &headers)?;
    let Json(input) = body?;
    let node = state.node.clone();
    let profile = blocking(move || node.set_profile(&input)).await?;
    Ok(Json(InfoView::new(&profile)))
}

/// Serves `router(state)` over plain HTTP on `listener` with the default
/// [`ServerLimits`] until `shutdown` completes (see [`serve_with`]).
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(state, listener, ServeOptions::default(), shutdown).await
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
