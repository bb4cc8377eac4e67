//! Helpers shared by the unit tests (compiled only for tests).

use std::path::Path;
use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_protocol::catalog::ListingStatus;
use telecenter_protocol::catalog::input::{NewListing, ProfileInput};
use telecenter_protocol::order::{Collector, PayMethod};
use telecenter_protocol::{CenterId, Identity, ListingId};

use crate::clock::Clock;
use crate::node::{Node, PlaceOrder};
use crate::search::SearchQuery;

/// A new center named `name` in `region`, stored in `dir/node.db`, with its key
/// and its randomness drawn from the two seeds.
pub(crate) fn center(
    dir: &Path,
    seeds: (u64, u64),
    name: &str,
    region: &str,
    clock: Arc<dyn Clock>,
) -> Node {
    center_with(dir, seeds, &profile(name, region, None), clock)
}

/// Telecenter Kota Malang (seeds 1 and 2) in `dir`, its clock stopped at `now_ms`.
pub(crate) fn malang(dir: &Path, now_ms: i64) -> Node {
    center(
        dir,
        (1, 2),
        "Telecenter Kota Malang",
        "Kota Malang",
        Arc::new(crate::clock::ManualClock::new(now_ms)),
    )
}

/// A new center with `profile`, stored in `dir/node.db`, with its key and its
/// randomness drawn from the two seeds.
pub(crate) fn center_with(
    dir: &Path,
    (key_seed, rng_seed): (u64, u64),
    profile: &ProfileInput,
    clock: Arc<dyn Clock>,
) -> Node {
    Node::create(
        &dir.join("node.db"),
        Identity::generate(&mut StdRng::seed_from_u64(key_seed)),
        profile,
        clock,
        Box::new(StdRng::seed_from_u64(rng_seed)),
    )
    .expect("a new center")
}

/// The profile of a center named `name` in `region`, with an optional contact.
pub(crate) fn profile(name: &str, region: &str, contact: Option<&str>) -> ProfileInput {
    ProfileInput {
        name: Some(name.to_owned()),
        region: Some(region.to_owned()),
        contact: contact.map(str::to_owned),
        ..Default::default()
    }
}

/// A product for sale in Indonesian only: `title`, in `makanan`, sold by the
/// bag by Bu Sri.
pub(crate) fn product(title: &str, price_idr: i64, stock: i64) -> NewListing {
    NewListing {
        category: "makanan".to_owned(),
        unit: Some("bungkus".to_owned()),
        producer: Some("Bu Sri".to_owned()),
        ..goods(title, price_idr, stock, String::new())
    }
}

/// A product for sale with no category, unit or producer yet, in no particular
/// language and without photos.
pub(crate) fn goods(title: &str, price_idr: i64, stock: i64, description: String) -> NewListing {
    NewListing {
        title: title.to_owned(),
        description,
        lang: None,
        category: String::new(),
        price_idr,
        stock,
        unit: None,
        producer: None,
        producer_village: None,
        photos: Vec::new(),
    }
}

/// A search for up to 100 listings of `center` (or of every center), whatever
/// their status.
pub(crate) fn every_status_query(center: Option<CenterId>) -> SearchQuery {
    SearchQuery {
        center,
        statuses: vec![
            ListingStatus::Active,
            ListingStatus::Hidden,
            ListingStatus::Removed,
        ],
        limit: 100,
        ..SearchQuery::default()
    }
}

/// Pak Budi's order of `quantity` of `listing` from `seller`, paid in cash at
/// the buyer's center, at the listed price.
pub(crate) fn cash_order(seller: CenterId, listing: ListingId, quantity: i64) -> PlaceOrder {
    PlaceOrder {
        seller,
        listing,
        quantity,
        unit_price_idr: None,
        buyer_name: "Pak Budi".to_owned(),
        buyer_phone: "0812 3456 7890".to_owned(),
        payment_at: Collector::BuyerCenter,
        payment_method: PayMethod::Cash,
        note: String::new(),
    }
}

/// Sends `request` to `app` as if from this computer (no sockets); answers the
/// response's status, headers and whole body.
pub(crate) async fn send_local(
    app: &axum::Router,
    request: axum::http::Request<axum::body::Body>,
) -> (axum::http::StatusCode, axum::http::HeaderMap, Vec<u8>) {
    use tower::ServiceExt;
    let request = crate::server::gate::from_this_computer(request);
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    (parts.status, parts.headers, bytes.to_vec())
}
