//! The whole web application: the JSON API's routes and the pages' routes put
//! together with the layers every request passes (client and security headers,
//! operator session, body limit, readable rejections, trace), and the
//! convenience to serve it.

use std::future::Future;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::server::{ApiError, AppState, REQUEST_BODY_BYTES_MAX, ServeOptions, gate};

/// The full router with every route; `state` is shared by all handlers.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::http::routes(&state))
        .merge(crate::web::routes())
        .fallback(crate::web::fallback)
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::web::operator::menu_count::with_open_requests,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::web::here::with_here,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::server::session::require_session,
        ))
        .layer(DefaultBodyLimit::max(REQUEST_BODY_BYTES_MAX))
        .layer(middleware::from_fn(readable_rejections))
        .layer(middleware::from_fn(gate::client_and_headers))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// The largest body any route reads (a photo upload with its form fields; the
/// peers' routes have their own limits in [`gate::hop_gate`]).
pub const ANY_ROUTE_BODY_BYTES_MAX: usize =
    telecenter_protocol::limits::PHOTO_UPLOAD_BYTES_MAX + 64 * 1024;
/// Bytes of a plain-text rejection read to pass its reason on.
const REJECTION_BYTES_MAX: usize = 4 * 1024;

/// Refuses a body declared larger than [`ANY_ROUTE_BODY_BYTES_MAX`] before it
/// is read (a handler would otherwise wait for bytes that may never come), and
/// turns axum's plain-text 4xx rejections into the API's JSON error under
/// `/api/` and a page elsewhere. Peer routes are left to [`gate::hop_gate`], which
/// answers strangers 401/403 before looking at the length.
async fn readable_rejections(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let api = path.starts_with("/api/");
    if path.starts_with("/api/v1/sync/") || path == crate::node::MAIL_PATH {
        return next.run(request).await;
    }
    let headers = request.headers().clone();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > ANY_ROUTE_BODY_BYTES_MAX as u64) {
        return if api {
            ApiError::TooLarge(ANY_ROUTE_BODY_BYTES_MAX).into_response()
        } else {
            crate::web::unreadable(axum::http::StatusCode::PAYLOAD_TOO_LARGE, &headers)
        };
    }
    let response = next.run(request).await;
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    let status = response.status();
    if !status.is_client_error() || !plain {
        return response;
    }
    if !api {
        return crate::web::unreadable(status, &headers);
    }
    let reason = axum::body::to_bytes(response.into_body(), REJECTION_BYTES_MAX)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let code = match status.as_u16() {
        413 => "body_too_large",
        415 => "unsupported_media_type",
        422 => "invalid_input",
        _ => "invalid_request",
    };
    let body = serde_json::json!({"error": {"code": code, "message": reason}});
    (status, axum::Json(body)).into_response()
}

/// The span every request is traced in: method and path, never the query
/// string, which may carry a secret (the buyer's status-page `token=`) and would
/// otherwise reach the log whenever `TELECENTER_LOG=debug` is set.
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    tracing::debug_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        version = ?request.version(),
    )
}

/// Serves [`router`]`(state)` on `listener` with `options` until `shutdown`
/// completes (see [`crate::server::serve_router`]).
pub async fn serve_with(
    state: AppState,
    listener: TcpListener,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The search index is built in the background while the node already serves.
    let node = state.node.clone();
    tokio::task::spawn_blocking(move || {
        if let Err(error) = node.warm_search() {
            tracing::warn!(%error, "search index not built at start; the first search builds it");
        }
    });
    crate::server::serve_router(router(state), listener, options, shutdown).await
}

/// Serves [`router`]`(state)` over plain HTTP on `listener` with the default
/// limits until `shutdown` completes.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(state, listener, ServeOptions::default(), shutdown).await
}
