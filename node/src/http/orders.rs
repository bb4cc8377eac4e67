//! Admin API of orders, fees and settlements (`/api/v1/admin/orders*`,
//! `/api/v1/admin/fees/*`). Buyer details appear only here and on the operator
//! pages, behind the admin token or the operator login.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use telecenter_protocol::order::{Action, OrderId};

use super::parse_center;
use crate::accounting::{self, BalancesExport, FeeReport, Month, NettingView, Statement};
use crate::api::orders::{
    self as api, CorrectionInput, DeliveryRoundView, OrderQuery, OrderView, OrdersView,
    ReasonInput, SettlementInput, SettlementView, order_filter,
};
use crate::node::PlaceOrder;
use crate::server::{AdminToken, ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, AppState};

/// Most shared balance lists one netting request may include.
pub const NETTING_EXPORTS_MAX: usize = 100;

fn bad(code: &'static str, message: String) -> ApiError {
    ApiError::BadRequest { code, message }
}

fn order_id(text: &str) -> ApiResult<OrderId> {
    text.parse()
        .map_err(|e: telecenter_protocol::IdError| bad("invalid_order_id", e.to_string()))
}

impl From<api::QueryError> for ApiError {
    fn from(error: api::QueryError) -> Self {
        bad(error.code, error.message)
    }
}

/// `GET /api/v1/admin/orders`.
pub(super) async fn list(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiQuery(query): ApiQuery<OrderQuery>,
) -> ApiResult<Json<OrdersView>> {
    let filter = order_filter(&query)?;
    Ok(Json(state.run(move |node| api::list(node, &filter)).await?))
}

/// `POST /api/v1/admin/orders`: places an order with another center.
pub(super) async fn place(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiJson(input): ApiJson<PlaceOrder>,
) -> ApiResult<(StatusCode, Json<OrderView>)> {
    let view = state.run(move |node| api::place(node, &input)).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /api/v1/admin/orders/{id}`.
pub(super) async fn show(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath(path): ApiPath<String>,
) -> ApiResult<Json<OrderView>> {
    let id = order_id(&path)?;
    Ok(Json(state.run(move |node| api::show(node, &id)).await?))
}

/// `POST /api/v1/admin/orders/{id}/{action}`.
pub(super) async fn step(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath((id, action)): ApiPath<(String, String)>,
    body: Option<Json<ReasonInput>>,
) -> ApiResult<Json<OrderView>> {
    let id = order_id(&id)?;
    let action: Action = action
        .parse()
        .map_err(|e: telecenter_protocol::text::InvalidInput| bad("invalid_action", e.message))?;
    let reason = body.and_then(|Json(b)| b.reason);
    Ok(Json(
        state
            .run(move |node| api::step(node, &id, action, reason.as_deref()))
            .await?,
    ))
}

/// `POST /api/v1/admin/orders/deliver`: exchanges order messages now.
pub(super) async fn deliver(
    State(state): State<AppState>,
    _admin: AdminToken,
) -> ApiResult<Json<Vec<DeliveryRoundView>>> {
    let engine = state.engine().map_err(ApiError::Node)?;
    let results = engine.exchange_all().await.into_iter();
    Ok(Json(api::delivery_views(results.map(
        |(center, result)| (center, result.map(|r| (r.sent, r.received))),
    ))))
}

/// Query with a month.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthQuery {
    /// `2026-11`; default: the current month.
    pub month: Option<String>,
    /// `csv` for the spreadsheet form.
    pub format: Option<String>,
}

/// The month asked for, or the current one.
pub fn month_or_now(state: &AppState, text: Option<&str>) -> ApiResult<Month> {
    match text.filter(|t| !t.is_empty()) {
        Some(text) => Month::parse(text).map_err(|e| bad("invalid_month", e.message)),
        None => Ok(Month::of(state.node.clock().now_ms())),
    }
}

/// `GET /api/v1/admin/fees/report?month=2026-11[&format=csv]`.
pub(super) async fn report(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiQuery(query): ApiQuery<MonthQuery>,
) -> ApiResult<Response> {
    let month = month_or_now(&state, query.month.as_deref())?;
    let report: FeeReport = state
        .run(move |node| accounting::report(node, month))
        .await?;
    match query.format.as_deref() {
        None | Some("json") => Ok(Json(report).into_response()),
        Some("csv") => Ok(crate::server::reply::csv_download(
            &crate::accounting::report_csv_name(&report),
            accounting::report_csv(&report),
        )),
        Some(other) => Err(bad(
            "invalid_format",
            format!("format must be json or csv, found {other:?}"),
        )),
    }
}

/// `GET /api/v1/admin/fees/balances`: this center's balances, in the form other
/// centers can include in a netting suggestion.
pub(super) async fn balances(
    State(state): State<AppState>,
    _admin: AdminToken,
) -> ApiResult<Json<BalancesExport>> {
    Ok(Json(state.run(BalancesExport::of).await?))
}

/// Query of a statement.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementQuery {
    /// The other center.
    pub counterpart: String,
    /// First month (default: the current month).
    pub from: Option<String>,
    /// Last month (default: the first month).
    pub to: Option<String>,
}

/// `GET /api/v1/admin/fees/statement?counterpart=tc1…&from=2026-10&to=2026-11`.
pub(super) async fn statement(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> ApiResult<Json<Statement>> {
    let counterpart = parse_center(&query.counterpart)?;
    let from = month_or_now(&state, query.from.as_deref())?;
    let to = match query.to.as_deref() {
        Some(text) if !text.is_empty() => month_or_now(&state, Some(text))?,
        _ => from,
    };
    Ok(Json(
        state
            .run(move |node| accounting::statement(node, &counterpart, from, to))
            .await?,
    ))
}

/// `GET /api/v1/admin/fees/settlements`.
pub(super) async fn settlements(
    State(state): State<AppState>,
    _admin: AdminToken,
) -> ApiResult<Json<Vec<SettlementView>>> {
    Ok(Json(state.run(api::settlements).await?))
}

/// `POST /api/v1/admin/fees/settlements`: records a payment this center made.
pub(super) async fn pay(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiJson(input): ApiJson<SettlementInput>,
) -> ApiResult<(StatusCode, Json<SettlementView>)> {
    let view = state.run(move |node| api::pay(node, &input)).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `POST /api/v1/admin/fees/corrections`: proposes a correction to the other center.
pub(super) async fn correct(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiJson(input): ApiJson<CorrectionInput>,
) -> ApiResult<(StatusCode, Json<SettlementView>)> {
    let view = state.run(move |node| api::correct(node, &input)).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `POST /api/v1/admin/fees/settlements/{id}/{confirm|decline}`.
pub(super) async fn answer(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath((id, answer)): ApiPath<(String, String)>,
    body: Option<Json<ReasonInput>>,
) -> ApiResult<Json<SettlementView>> {
    let id = order_id(&id)?;
    let confirmed = match answer.as_str() {
        "confirm" => true,
        "decline" => false,
        other => {
            return Err(bad(
                "invalid_action",
                format!("expected confirm or decline, found {other:?}"),
            ));
        }
    };
    let reason = body.and_then(|Json(b)| b.reason);
    Ok(Json(
        state
            .run(move |node| api::answer(node, &id, confirmed, reason.as_deref()))
            .await?,
    ))
}

/// Body of a netting request: balances other centers shared.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NettingInput {
    /// Other centers' `GET /api/v1/admin/fees/balances` answers.
    #[serde(default)]
    pub include: Vec<BalancesExport>,
}

/// `POST /api/v1/admin/fees/netting`: the netting suggestion (a suggestion only).
pub(super) async fn netting(
    State(state): State<AppState>,
    _admin: AdminToken,
    body: Option<Json<NettingInput>>,
) -> ApiResult<Json<NettingView>> {
    let include = body.map(|Json(b)| b.include).unwrap_or_default();
    if include.len() > NETTING_EXPORTS_MAX {
        return Err(bad(
            "too_many",
            format!("at most {NETTING_EXPORTS_MAX} shared balance lists per request"),
        ));
    }
    Ok(Json(
        state
            .run(move |node| accounting::netting(node, &include))
            .await?,
    ))
}
