//! The operator's home page (`/operator`): the center's own products.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use telecenter_protocol::catalog::ListingStatus;

use super::{html_page, i18n, internal, operator_nav, page, words};
use crate::money::format_rupiah;
use crate::node::{Node, NodeError};
use crate::search::{SearchQuery, Sort};
use crate::server::AppState;
use crate::store::ListingRow;
use crate::web::operator::OperatorPage;

/// This center's listings, hidden ones too, newest first (at most 100).
pub(super) fn own_listings(node: &Node) -> Result<Vec<ListingRow>, NodeError> {
    Ok(node
        .search(&SearchQuery {
            center: Some(node.center_id()),
            statuses: vec![ListingStatus::Active, ListingStatus::Hidden],
            sort: Sort::Newest,
            limit: 100,
            ..SearchQuery::default()
        })?
        .items)
}

/// `GET /operator`.
pub(crate) async fn dashboard(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
) -> Response {
    let (t, w) = (i18n::texts(lang), words(lang));
    let states = super::super::i18n::forms::words(lang).states;
    let listings = match state.run(own_listings).await {
        Ok(listings) => listings,
        Err(error) => return internal(lang, &error),
    };
    let body = html! {
        (operator_nav(t, &csrf))
        h1 { (w.my_products) }
        p { a.button href="/operator/produk/baru" { (w.add_product) } }
        (super::import::sheet_links(lang))
        @if listings.is_empty() { p { (w.no_listings) } }
        ul.cards {
            @for row in &listings {
                @let l = &row.listing;
                li.card {
                    @if let Some(photo) = l.photos.first() {
                        img.thumb-small src=(format!("/foto/{}", photo.thumb)) alt="" width="72" loading="lazy";
                    }
                    h3 { (l.title.id) }
                    p { span.price { (format_rupiah(l.price_idr)) } " " span.muted { (t.per) " " (l.unit) } }
                    p.muted { (t.stock) ": " (l.stock) " · " (if l.status == ListingStatus::Hidden { states[1] } else { states[0] }) }
                    p { a href=(format!("/operator/produk/{}", l.id)) { (w.edit) } }
                }
            }
        }
    };
    html_page(StatusCode::OK, page(t, w.my_products, "/operator", body))
}
