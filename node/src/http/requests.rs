//! Admin API of buyer requests (`/api/v1/admin/requests*`): list, show, and
//! the three answers (order, sell, decline). Buyer details appear only here
//! and on the operator pages.

use axum::Json;
use axum::extract::State;

use crate::api::requests::{
    self as api, DeclineInput, RequestOrderInput, RequestOrderView, RequestQuery, RequestView,
    RequestsView, status_filter,
};
use crate::server::{AdminToken, ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, AppState};

/// `GET /api/v1/admin/requests[?status=new]`.
pub(super) async fn list(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiQuery(query): ApiQuery<RequestQuery>,
) -> ApiResult<Json<RequestsView>> {
    let status = status_filter(&query).map_err(|message| ApiError::BadRequest {
        code: "invalid_status",
        message,
    })?;
    Ok(Json(state.run(move |node| api::list(node, status)).await?))
}

/// `GET /api/v1/admin/requests/{code}`.
pub(super) async fn show(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<RequestView>> {
    Ok(Json(state.run(move |node| api::show(node, &code)).await?))
}

/// `POST /api/v1/admin/requests/{code}/order`.
pub(super) async fn order(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath(code): ApiPath<String>,
    body: Option<Json<RequestOrderInput>>,
) -> ApiResult<Json<RequestOrderView>> {
    let input = body.map(|Json(b)| b).unwrap_or_default();
    Ok(Json(
        state
            .run(move |node| api::order(node, &code, &input))
            .await?,
    ))
}

/// `POST /api/v1/admin/requests/{code}/sell`.
pub(super) async fn sell(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<RequestView>> {
    Ok(Json(state.run(move |node| api::sell(node, &code)).await?))
}

/// `POST /api/v1/admin/requests/{code}/decline`.
pub(super) async fn decline(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath(code): ApiPath<String>,
    ApiJson(input): ApiJson<DeclineInput>,
) -> ApiResult<Json<RequestView>> {
    Ok(Json(
        state
            .run(move |node| api::decline(node, &code, &input))
            .await?,
    ))
}
