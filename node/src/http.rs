//! The JSON API's routes and handlers: the public API, the token-protected
//! admin API that the CLI uses while the node runs, and the peers' sync and
//! mail routes (authenticated per hop). Who may call is checked by the
//! extractors and gates of `crate::server`; errors become status codes there.
//!
//! Routes (all JSON):
//! - `GET /api/v1/info`
//! - `GET /api/v1/listings?q=&category=&center=&min_price=&max_price=&sort=&lang=&limit=&offset=`
//! - `GET /api/v1/listings/{center_id}/{listing_id}`, `GET /api/v1/images/{hash}`
//! - admin, with `Authorization: Bearer <DATA/admin.token>`:
//!   `GET|POST /api/v1/admin/listings`, `GET|PATCH|DELETE /api/v1/admin/listings/{id}`,
//!   `GET|PATCH /api/v1/admin/profile`, `GET|POST /api/v1/admin/peers`,
//!   `DELETE /api/v1/admin/peers/{center}`, `GET /api/v1/admin/trust`, `GET /api/v1/admin/catalogs`,
//!   `POST /api/v1/admin/{trust,block,unblock}/{center}`, `POST /api/v1/admin/sync`,
//!   orders and fees under `/api/v1/admin/orders` and `/api/v1/admin/fees` (`orders.rs`),
//!   producers under `/api/v1/admin/producers` and `/api/v1/admin/sales` (`producers.rs`)
//! - peers, with a per-hop signed `Authorization: Telecenter ...` header
//!   (see `federation.rs`): `POST /api/v1/sync/{summary,fetch,push}`, `POST /api/v1/mail/exchange`

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use telecenter_protocol::sync::SYNC_BODY_BYTES_MAX;
use telecenter_protocol::{CenterId, ListingId};

use crate::node::Node;
use crate::server::{ApiError, ApiResult, AppState, gate};

mod admin;
pub mod federation;
pub mod orders;
pub mod producers;
mod public;
mod requests;

/// A center id from a path or query, or a 400 `invalid_center_id`.
pub(crate) fn parse_center(text: &str) -> ApiResult<CenterId> {
    text.parse::<CenterId>().map_err(|e| ApiError::BadRequest {
        code: "invalid_center_id",
        message: e.to_string(),
    })
}

/// A listing id from a path, or a 400 `invalid_listing_id`.
pub(crate) fn parse_listing_id(text: &str) -> ApiResult<ListingId> {
    text.parse::<ListingId>().map_err(|e| ApiError::BadRequest {
        code: "invalid_listing_id",
        message: e.to_string(),
    })
}

/// The JSON API's routes (public, admin behind its gate, peers behind theirs).
pub fn routes(state: &AppState) -> Router<AppState> {
    let admin = Router::new()
        .route(
            "/api/v1/admin/images",
            post(admin::admin_upload_image).layer(DefaultBodyLimit::max(
                telecenter_protocol::limits::PHOTO_UPLOAD_BYTES_MAX,
            )),
        )
        .route(
            "/api/v1/admin/listings",
            get(admin::admin_listings).post(admin::admin_add),
        )
        .route(
            "/api/v1/admin/listings/{id}",
            get(admin::admin_listing)
                .patch(admin::admin_update)
                .delete(admin::admin_remove),
        )
        .route(
            "/api/v1/admin/profile",
            get(admin::admin_profile).patch(admin::admin_set_profile),
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
        .route(
            "/api/v1/admin/trust/{center}",
            post(|state, admin, center| federation::decide(state, admin, center, Node::trust)),
        )
        .route(
            "/api/v1/admin/block/{center}",
            post(|state, admin, center| federation::decide(state, admin, center, Node::block)),
        )
        .route(
            "/api/v1/admin/unblock/{center}",
            post(|state, admin, center| federation::decide(state, admin, center, Node::unblock)),
        )
        .route("/api/v1/admin/sync", post(federation::sync_now))
        .route(
            "/api/v1/admin/orders",
            get(orders::list).post(orders::place),
        )
        .route("/api/v1/admin/orders/deliver", post(orders::deliver))
        .route("/api/v1/admin/orders/{id}", get(orders::show))
        .route("/api/v1/admin/orders/{id}/{action}", post(orders::step))
        .route("/api/v1/admin/requests", get(requests::list))
        .route("/api/v1/admin/requests/{code}", get(requests::show))
        .route("/api/v1/admin/requests/{code}/order", post(requests::order))
        .route("/api/v1/admin/requests/{code}/sell", post(requests::sell))
        .route(
            "/api/v1/admin/requests/{code}/decline",
            post(requests::decline),
        )
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
        .route(
            "/api/v1/admin/producers",
            get(producers::list).post(producers::add),
        )
        .route(
            "/api/v1/admin/producers/{id}",
            get(producers::show).patch(producers::edit),
        )
        .route(
            "/api/v1/admin/producers/{id}/listings",
            post(producers::link),
        )
        .route(
            "/api/v1/admin/producers/{id}/listings/{listing}",
            axum::routing::delete(producers::unlink),
        )
        .route(
            "/api/v1/admin/producers/{id}/payouts",
            post(producers::payout),
        )
        .route(
            "/api/v1/admin/producers/{id}/statement",
            get(producers::statement),
        )
        .route("/api/v1/admin/sales", get(producers::sales))
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
        .route("/api/v1/info", get(public::info))
        .route("/api/v1/listings", get(public::listings))
        .route("/api/v1/listings/{center}/{id}", get(public::listing))
        .route("/api/v1/images/{hash}", get(public::image))
        .merge(admin)
        .merge(peers)
}

#[cfg(test)]
mod tests;
