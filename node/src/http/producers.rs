//! Admin API of producers, payouts, producer statements and the sales report
//! (`/api/v1/admin/producers…`, `/api/v1/admin/sales`); the views and the
//! work are in [`crate::api::producers`], shared with the CLI.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::orders::month_or_now;
use crate::accounting::{
    ProducerStatement, SalesReport, sales_report_csv, sales_report_csv_name, statement_csv,
    statement_csv_name,
};
use crate::api::producers::{self as api, LinkInput, PayoutView, ProducerView};
use crate::node::{NodeError, PayoutInput, ProducerInput};
use crate::server::{AdminToken, ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, AppState};

/// `?month=2026-11&format=csv`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthFormat {
    /// The month (default: this month, WIB).
    pub month: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

fn producer_id(text: &str) -> ApiResult<i64> {
    text.parse::<i64>()
        .map_err(|_| ApiError::Node(NodeError::NoSuchProducer(0)))
        .and_then(|id| {
            if id > 0 {
                Ok(id)
            } else {
                Err(ApiError::Node(NodeError::NoSuchProducer(id)))
            }
        })
}

fn csv_or_json<T: Serialize>(
    format: Option<&str>,
    value: T,
    csv: impl FnOnce(&T) -> (String, String),
) -> ApiResult<Response> {
    match format {
        None | Some("json") => Ok(Json(value).into_response()),
        Some("csv") => {
            let (name, body) = csv(&value);
            Ok(crate::server::reply::csv_download(&name, body))
        }
        Some(other) => Err(ApiError::BadRequest {
            code: "invalid_format",
            message: format!("format must be json or csv, found {other:?}"),
        }),
    }
}

/// `GET /api/v1/admin/producers`.
pub(super) async fn list(
    State(state): State<AppState>,
    _admin: AdminToken,
) -> ApiResult<Json<Vec<ProducerView>>> {
    Ok(Json(state.run(api::producers).await?))
}

/// `POST /api/v1/admin/producers`.
pub(super) async fn add(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiJson(input): ApiJson<ProducerInput>,
) -> ApiResult<(StatusCode, Json<ProducerView>)> {
    let view = state.run(move |node| api::add(node, &input)).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /api/v1/admin/producers/{id}`.
pub(super) async fn show(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ProducerView>> {
    let id = producer_id(&id)?;
    Ok(Json(state.run(move |node| api::producer(node, id)).await?))
}

/// `PATCH /api/v1/admin/producers/{id}`.
pub(super) async fn edit(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ProducerInput>,
) -> ApiResult<Json<ProducerView>> {
    let id = producer_id(&id)?;
    Ok(Json(
        state.run(move |node| api::edit(node, id, &input)).await?,
    ))
}

/// `POST /api/v1/admin/producers/{id}/listings`: `{"listing": "…"}`.
pub(super) async fn link(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<LinkInput>,
) -> ApiResult<Json<ProducerView>> {
    let id = producer_id(&id)?;
    Ok(Json(
        state.run(move |node| api::link(node, id, &input)).await?,
    ))
}

/// `DELETE /api/v1/admin/producers/{id}/listings/{listing}`: the link goes; the
/// listing keeps its public producer name and village.
pub(super) async fn unlink(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath((id, listing)): ApiPath<(String, String)>,
) -> ApiResult<Json<ProducerView>> {
    let id = producer_id(&id)?;
    Ok(Json(
        state
            .run(move |node| api::unlink(node, id, &listing))
            .await?,
    ))
}

/// `POST /api/v1/admin/producers/{id}/payouts`.
pub(super) async fn payout(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<PayoutInput>,
) -> ApiResult<(StatusCode, Json<PayoutView>)> {
    let id = producer_id(&id)?;
    let view = state.run(move |node| api::payout(node, id, &input)).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /api/v1/admin/producers/{id}/statement?month=2026-11[&format=csv]`.
pub(super) async fn statement(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<MonthFormat>,
) -> ApiResult<Response> {
    let id = producer_id(&id)?;
    let month = month_or_now(&state, query.month.as_deref())?;
    let found: ProducerStatement = state
        .run(move |node| api::statement(node, id, month))
        .await?;
    csv_or_json(query.format.as_deref(), found, |s| {
        (statement_csv_name(s), statement_csv(s))
    })
}

/// `GET /api/v1/admin/sales?month=2026-11[&format=csv]`.
pub(super) async fn sales(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiQuery(query): ApiQuery<MonthFormat>,
) -> ApiResult<Response> {
    let month = month_or_now(&state, query.month.as_deref())?;
    let report: SalesReport = state.run(move |node| api::sales(node, month)).await?;
    csv_or_json(query.format.as_deref(), report, |r| {
        (sales_report_csv_name(r), sales_report_csv(r))
    })
}
