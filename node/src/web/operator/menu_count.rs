//! The number of buyer requests waiting, shown in the operator menu of every
//! operator page. It is read once per signed-in `GET /operator…` request, by a
//! layer around the handler, and kept for that request only (a task-local), so
//! the menu shows it without every page having to fetch and pass it along.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::server::{AppState, OperatorSession};

tokio::task_local! {
    static OPEN_REQUESTS: u64;
}

/// Runs an operator page with the count of waiting buyer requests at hand for
/// [`open_requests`]; other requests (public pages, posts, the API, no session)
/// pass straight through without touching the database.
pub(crate) async fn with_open_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let is_page = request.method() == axum::http::Method::GET
        && request.uri().path().starts_with("/operator")
        && OperatorSession::of(&state, request.headers()).is_some();
    if !is_page {
        return next.run(request).await;
    }
    match state.run(|node| node.open_request_count()).await {
        Ok(count) => OPEN_REQUESTS.scope(count, next.run(request)).await,
        Err(error) => {
            // The page still works; its menu shows no count.
            tracing::warn!(%error, "could not count the waiting buyer requests");
            next.run(request).await
        }
    }
}

/// The waiting buyer requests of the page being rendered, if this is an
/// operator page the layer counted them for.
pub(super) fn open_requests() -> Option<u64> {
    OPEN_REQUESTS.try_with(|count| *count).ok()
}
