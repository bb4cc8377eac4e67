//! The admin JSON API of the node's own catalog (what the CLI uses while the
//! node runs): listings, photos and the center profile.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use telecenter_protocol::catalog::Lang;
use telecenter_protocol::catalog::input::{ListingPatch, NewListing, ProfileInput};

use super::parse_listing_id;
use crate::api::{InfoView, ListingView, ListingsView};
use crate::search::RawSearch;
use crate::server::{AdminToken, ApiJson, ApiPath, ApiQuery, ApiResult, AppState};

/// `POST /api/v1/admin/images`: the body is a JPEG, PNG or WebP photo; answers the
/// stored [`telecenter_protocol::catalog::Photo`] to put on a listing.
pub(super) async fn admin_upload_image(
    State(state): State<AppState>,
    _admin: AdminToken,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<telecenter_protocol::catalog::Photo>)> {
    let photo = state.run(move |node| node.store_photo(&body)).await?;
    Ok((StatusCode::CREATED, Json(photo)))
}

pub(super) async fn admin_listings(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiQuery(mut raw): ApiQuery<RawSearch>,
) -> ApiResult<Json<ListingsView>> {
    if raw.status.is_none() {
        raw.status = Some("active,hidden".to_owned());
    }
    let mut search = raw.validate()?;
    search.center = Some(state.node.center_id());
    let lang = search.lang;
    let page = state.run(move |node| node.search(&search)).await?;
    Ok(Json(ListingsView::new(&page, lang)))
}

pub(super) async fn admin_add(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiJson(input): ApiJson<NewListing>,
) -> ApiResult<(StatusCode, Json<ListingView>)> {
    let row = state.run(move |node| node.add_listing(&input)).await?;
    Ok((StatusCode::CREATED, Json(ListingView::new(&row, Lang::Id))))
}

pub(super) async fn admin_listing(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath(path): ApiPath<String>,
) -> ApiResult<Json<ListingView>> {
    let id = parse_listing_id(&path)?;
    let row = state.run(move |node| node.own_listing(&id)).await?;
    Ok(Json(ListingView::new(&row, Lang::Id)))
}

pub(super) async fn admin_update(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath(path): ApiPath<String>,
    ApiJson(patch): ApiJson<ListingPatch>,
) -> ApiResult<Json<ListingView>> {
    let id = parse_listing_id(&path)?;
    let row = state
        .run(move |node| node.update_listing(&id, &patch))
        .await?;
    Ok(Json(ListingView::new(&row, Lang::Id)))
}

pub(super) async fn admin_remove(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath(path): ApiPath<String>,
) -> ApiResult<Json<ListingView>> {
    let id = parse_listing_id(&path)?;
    let row = state.run(move |node| node.remove_listing(&id)).await?;
    Ok(Json(ListingView::new(&row, Lang::Id)))
}

pub(super) async fn admin_profile(
    State(state): State<AppState>,
    _admin: AdminToken,
) -> ApiResult<Json<InfoView>> {
    let profile = state.run(move |node| node.profile()).await?;
    Ok(Json(InfoView::new(&profile)))
}

pub(super) async fn admin_set_profile(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiJson(input): ApiJson<ProfileInput>,
) -> ApiResult<Json<InfoView>> {
    let profile = state.run(move |node| node.set_profile(&input)).await?;
    Ok(Json(InfoView::new(&profile)))
}
