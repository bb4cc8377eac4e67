//! The public JSON API: the node's profile, the listings it holds (search) and
//! their images. No authentication; only active listings.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use telecenter_protocol::catalog::ListingStatus;
use telecenter_protocol::catalog::input;

use super::{parse_center, parse_listing_id};
use crate::api::{InfoView, ListingView, ListingsView};
use crate::node::NodeError;
use crate::search::RawSearch;
use crate::server::reply::image_response;
use crate::server::{ApiError, ApiPath, ApiQuery, ApiResult, AppState};

pub(super) async fn info(State(state): State<AppState>) -> ApiResult<Json<InfoView>> {
    let profile = state.run(move |node| node.profile()).await?;
    Ok(Json(InfoView::new(&profile)))
}

pub(super) async fn listings(
    State(state): State<AppState>,
    ApiQuery(raw): ApiQuery<RawSearch>,
) -> ApiResult<Json<ListingsView>> {
    if raw.status.is_some() {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            message: "the public API lists active listings only; status is for the admin API"
                .to_owned(),
        });
    }
    let search = raw.validate()?;
    let lang = search.lang;
    let page = state.run(move |node| node.search_public(&search)).await?;
    Ok(Json(ListingsView::new(&page, lang)))
}

#[derive(serde::Deserialize)]
pub(super) struct LangParam {
    lang: Option<String>,
}

pub(super) async fn listing(
    State(state): State<AppState>,
    ApiPath((center, id)): ApiPath<(String, String)>,
    ApiQuery(lang): ApiQuery<LangParam>,
) -> ApiResult<Json<ListingView>> {
    let lang = input::lang(lang.lang.as_deref())?;
    let center = parse_center(&center)?;
    let id = parse_listing_id(&id)?;
    let not_found = NodeError::UnknownListing {
        center,
        listing: id.clone(),
    };
    let row = state.run(move |node| node.listing(&center, &id)).await?;
    if row.listing.status != ListingStatus::Active {
        return Err(not_found.into());
    }
    Ok(Json(ListingView::new(&row, lang)))
}

/// `GET /api/v1/images/{hash}`: an image named by a listing held here (for peers).
pub(super) async fn image(
    State(state): State<AppState>,
    ApiPath(hash): ApiPath<String>,
) -> ApiResult<Response> {
    let wanted = hash.clone();
    match state.run(move |node| node.image_for_peer(&wanted)).await? {
        Some(bytes) => Ok(image_response(bytes)),
        None => Err(ApiError::NotFound(format!("no image {hash} here"))),
    }
}
