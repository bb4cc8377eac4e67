//! The sample catalog's pictures: stored through the upload path on every
//! sample listing, and carried to a peer by the real sync over HTTP.

use std::sync::Arc;
use std::time::{Duration, Instant};

use telecenter_protocol::catalog::input::ProfileInput;
use tempfile::TempDir;

use super::*;
use crate::clock::ManualClock;
use crate::images::{THUMB_PIXELS, image_hash, is_stored_image};
use crate::net::Outgoing;
use crate::search::SearchQuery;
use crate::sync::SyncEngine;

const T0: i64 = 1_795_392_000_000;

/// A new center with sample catalog `index`'s profile and pictured listings.
fn sample_center(dir: &TempDir, index: usize) -> Arc<Node> {
    let profile = ProfileInput {
        referral_fee_bp: Some(300),
        referral_fee_min_idr: Some(1_000),
        ..sample_profile_of(index).unwrap()
    };
    let seeds = (index as u64 + 1, index as u64 + 101);
    let node =
        crate::testing::center_with(dir.path(), seeds, &profile, Arc::new(ManualClock::new(T0)));
    add_sample_listings_with_pictures(&node, index).unwrap();
    Arc::new(node)
}

#[test]
fn every_sample_listing_has_a_photo_whose_images_are_stored_under_their_hash() {
    let dir = TempDir::new().unwrap();
    let node = sample_center(&dir, 0);
    let page = node
        .search(&SearchQuery {
            center: Some(node.center_id()),
            limit: 100,
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(page.items.len(), 20);
    let mut thumbs = std::collections::HashSet::new();
    for row in &page.items {
        let listing = &row.listing;
        assert_eq!(listing.photos.len(), 1, "{:?}", listing.title);
        let photo = &listing.photos[0];
        for hash in [&photo.thumb, &photo.medium] {
            let bytes = node.image(hash).unwrap().expect("image stored");
            assert_eq!(&image_hash(&bytes), hash);
            assert!(is_stored_image(&bytes));
        }
        let thumb = image::load_from_memory(&node.image(&photo.thumb).unwrap().unwrap()).unwrap();
        assert_eq!(thumb.width(), THUMB_PIXELS);
        thumbs.insert(photo.thumb.clone());
    }
    // Each listing has its own picture.
    assert_eq!(thumbs.len(), page.items.len());

    // The catalog's producers are registered and their listings linked; the
    // center's own products stay without a producer.
    let producers = node.producers().unwrap();
    assert_eq!(producers.len(), 14);
    let linked: usize = producers
        .iter()
        .map(|p| node.producer_listings(p.id).unwrap().len())
        .sum();
    let own_products = page
        .items
        .iter()
        .filter(|row| row.listing.producer.starts_with("Telecenter"))
        .count();
    assert_eq!(linked + own_products, page.items.len());
    let tempe = producers
        .iter()
        .find(|p| p.name == "UMKM Tempe Sanan Jaya")
        .unwrap();
    assert_eq!(
        (tempe.village.as_str(), tempe.commission_bp),
        ("Purwantoro", 1_000)
    );
}

#[test]
fn the_fixtures_get_no_pictures() {
    let dir = TempDir::new().unwrap();
    let node = crate::testing::malang(dir.path(), T0);
    assert_eq!(add_catalog_listings(&node, SAMPLES[1]).unwrap(), 20);
    assert_eq!(add_sample_listings(&node).unwrap(), 20);
    assert!(node.missing_thumbnails(100).unwrap().is_empty());
    let page = node
        .search(&SearchQuery {
            limit: 100,
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(page.items.len(), 40);
    assert!(page.items.iter().all(|row| row.listing.photos.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sample_thumbnails_travel_to_a_peer_through_sync() {
    let (a_dir, b_dir) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let (a, b) = (sample_center(&a_dir, 0), sample_center(&b_dir, 1));
    // A serves its peers over real HTTP; B pulls from A's address.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = crate::app::router(crate::server::AppState::new(a.clone(), None));
    tokio::spawn(async move { axum::serve(listener, router).await });
    a.add_peer(&b.center_id(), "Telecenter Kab Blitar", None)
        .unwrap();
    b.add_peer(&a.center_id(), "Telecenter Kota Malang", Some(&url))
        .unwrap();
    b.set_outgoing(Outgoing::new(true));
    let a_thumbs: Vec<String> = a
        .search(&SearchQuery {
            center: Some(a.center_id()),
            limit: 100,
            ..SearchQuery::default()
        })
        .unwrap()
        .items
        .iter()
        .map(|row| row.listing.photos[0].thumb.clone())
        .collect();
    assert_eq!(a_thumbs.len(), 20);
    assert!(b.image(&a_thumbs[0]).unwrap().is_none());

    let engine = SyncEngine::new(b.clone()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let reports = engine.sync_all().await.unwrap();
        assert!(reports.iter().all(|r| r.ok), "{reports:?}");
        let held = a_thumbs
            .iter()
            .filter(|hash| b.image(hash).unwrap().is_some())
            .count();
        if held == a_thumbs.len() && b.missing_thumbnails(100).unwrap().is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "B holds {held} of A's {} thumbnails",
            a_thumbs.len()
        );
        tokio::task::yield_now().await;
    }
    // Thumbnails travel with the catalog; medium images stay at A until asked for.
    let medium = &a
        .search(&SearchQuery {
            center: Some(a.center_id()),
            ..SearchQuery::default()
        })
        .unwrap()
        .items[0]
        .listing
        .photos[0]
        .medium;
    assert!(b.image(medium).unwrap().is_none());
}

/// Issue 13: every demo center publishes a (clearly fake) WhatsApp number, so
/// the demo shows the "Tanya lewat WhatsApp" buttons.
#[test]
fn every_sample_center_publishes_a_whatsapp_number() {
    for index in 0..crate::sample::SAMPLES.len() {
        let profile = crate::sample::sample_profile_of(index)
            .unwrap()
            .validate_new()
            .unwrap();
        let number = profile.whatsapp.unwrap_or_default();
        assert!(number.starts_with("+62812000000"), "{index}: {number}");
    }
    // A center created with it (as the demo creates them) publishes it at once.
    let dir = TempDir::new().unwrap();
    let node = crate::testing::center_with(
        dir.path(),
        (1, 101),
        &sample_profile_of(1).unwrap(),
        Arc::new(ManualClock::new(T0)),
    );
    assert_eq!(
        node.profile().unwrap().whatsapp.as_deref(),
        Some("+6281200000011")
    );
    let indexed = node.center(&node.center_id()).unwrap().unwrap();
    assert_eq!(indexed.whatsapp.as_deref(), Some("+6281200000011"));
}
