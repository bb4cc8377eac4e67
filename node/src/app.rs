//! The whole web application: the JSON API's routes and the pages' routes put
//! together with the layers every request passes (client and security headers,
//! operator session, body limit, trace), and the convenience to serve it.

use std::future::Future;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
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
        .layer(middleware::from_fn(gate::readable_rejections))
        .layer(middleware::from_fn(gate::client_and_headers))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
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
