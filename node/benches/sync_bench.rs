//! Benchmarks of federation: a new node joining a province of 39 centers × 500
//! listings over real HTTP on loopback (verifying every signature), and the bytes
//! one price edit costs per hop.
//!
//! Run: `cargo bench -p telecenter-node --bench sync_bench`. `CENTERS` and
//! `LISTINGS` override 39 and 500. Prints figures; asserts only correctness.

#![allow(clippy::unwrap_used)] // a benchmark, like a test: a failed unwrap is a failed run

use std::sync::Arc;
use std::time::Instant;

use base64::Engine;
use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_node::app;
use telecenter_node::search::SearchQuery;
use telecenter_node::server::AppState;
use telecenter_node::sync::SyncEngine;
use telecenter_node::{Node, SystemClock};
use telecenter_protocol::catalog::CatalogDoc;
use telecenter_protocol::catalog::input::{ListingPatch, NewListing, ProfileInput};
use telecenter_protocol::sync::{Changes, PushResponse, SummaryResponse};
use telecenter_protocol::{Identity, SignedChange};

fn profile(name: &str) -> ProfileInput {
    ProfileInput {
        name: Some(name.to_owned()),
        region: Some("Jawa Timur".to_owned()),
        contact: None,
        ..Default::default()
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let centers = env("CENTERS", 39);
    let listings = env("LISTINGS", 500);
    let dir = tempfile::tempdir().expect("temp dir");
    // Peers check each other's clocks (hop signatures): both use the real one.
    let clock = Arc::new(SystemClock);

    // 1. The province's catalogs, made and signed in memory.
    let t = Instant::now();
    let mut rng = StdRng::seed_from_u64(1);
    let mut catalogs: Vec<(Identity, Vec<Vec<u8>>)> = Vec::new();
    for c in 0..centers {
        let identity = Identity::from_secret_bytes(&[c as u8 + 1; 32]);
        let (mut doc, genesis) = CatalogDoc::create(
            &identity,
            &profile(&format!("Telecenter {c}")).validate_new().unwrap(),
            0,
        )
        .unwrap();
        let mut changes = vec![genesis.to_bytes()];
        for i in 0..listings {
            let listing = NewListing {
                title: format!("Keripik pisang {c}-{i}"),
                description: "Keripik pisang renyah dari UMKM desa, tanpa pengawet.".into(),
                category: "makanan".into(),
                price_idr: 15_000,
                stock: 10,
                unit: Some("bungkus".into()),
                producer: Some("UMKM Sumber Rejeki".into()),
                producer_village: None,
                lang: None,
                photos: Vec::new(),
            }
            .validate()
            .unwrap();
            let (_, signed) = doc
                .add_listing(&identity, &mut rng, &listing, i as i64)
                .unwrap();
            changes.push(signed.to_bytes());
        }
        catalogs.push((identity, changes));
    }
    let total_changes: usize = catalogs.iter().map(|(_, c)| c.len()).sum();
    println!(
        "made {centers} catalogs × {listings} listings = {total_changes} signed changes in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // 2. A hub node that trusts them all and holds them.
    let hub = Node::create(
        &dir.path().join("hub.db"),
        Identity::from_secret_bytes(&[200; 32]),
        &profile("Telecenter Hub"),
        clock.clone(),
        Box::new(StdRng::seed_from_u64(2)),
    )
    .unwrap();
    let t = Instant::now();
    for (identity, changes) in &catalogs {
        hub.trust(&identity.center_id()).unwrap();
        for chunk in changes.chunks(200) {
            hub.receive(chunk).unwrap();
        }
    }
    println!(
        "hub stored and indexed {total_changes} changes in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let hub = Arc::new(hub);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hub_url = format!("http://{}", listener.local_addr().unwrap());
    let hub_state = AppState::new(hub.clone(), None);
    tokio::spawn(app::serve(hub_state, listener, std::future::pending()));

    // 3. A new node joins: trusts the hub, gets the 39 catalogs through its vouches.
    let joiner = Arc::new(
        Node::create(
            &dir.path().join("new.db"),
            Identity::from_secret_bytes(&[201; 32]),
            &profile("Telecenter Baru"),
            Arc::new(SystemClock),
            Box::new(StdRng::seed_from_u64(3)),
        )
        .unwrap(),
    );
    hub.add_peer(&joiner.center_id(), "Telecenter Baru", None)
        .unwrap();
    joiner
        .add_peer(&hub.center_id(), "Telecenter Hub", Some(&hub_url))
        .unwrap();
    let engine = SyncEngine::new(joiner.clone()).unwrap();
    let peer = joiner.peers().unwrap().remove(0);
    let t = Instant::now();
    let mut rounds = 0;
    loop {
        rounds += 1;
        let report = engine.round(&peer).await.expect("round");
        let total = joiner.search(&SearchQuery::default()).unwrap().total;
        if total as usize == centers * listings || rounds > 10 {
            println!(
                "new node caught up with {centers} centers × {listings} listings ({} changes, every signature verified) in {:.2} s, {rounds} round(s); last round received {}",
                total_changes,
                t.elapsed().as_secs_f64(),
                report.received
            );
            break;
        }
    }
    assert_eq!(
        joiner.search(&SearchQuery::default()).unwrap().total as usize,
        centers * listings
    );

    // 4. One price edit: the bytes a hop carries.
    let (identity, _) = &catalogs[0];
    let mut doc = CatalogDoc::empty(identity.center_id());
    for envelope in &catalogs[0].1 {
        let verified = SignedChange::from_bytes(envelope)
            .unwrap()
            .verify(&doc.doc_id())
            .unwrap();
        doc.apply(&verified).unwrap();
    }
    let id = doc.listing_keys().unwrap()[0].parse().unwrap();
    let patch = ListingPatch {
        price_idr: Some(17_500),
        ..ListingPatch::default()
    }
    .validate()
    .unwrap();
    let edit = doc.update_listing(identity, &id, &patch, 99).unwrap();
    let envelope = edit.to_bytes();
    let text = base64::engine::general_purpose::STANDARD.encode(&envelope);
    let push_body = serde_json::to_vec(&Changes {
        changes: vec![text.clone()],
        more: false,
    })
    .unwrap();
    let push_answer = serde_json::to_vec(&PushResponse {
        applied: 1,
        ..PushResponse::default()
    })
    .unwrap();
    let mut have = std::collections::BTreeMap::new();
    have.insert(edit.doc.to_string(), 502u64);
    let poll_answer = serde_json::to_vec(&SummaryResponse {
        center_id: identity.center_id().to_string(),
        have,
        changes: vec![text],
    })
    .unwrap();
    println!(
        "price edit: signed change {} B (automerge change {} B); push hop bodies {} + {} = {} B ({:.2}×); long-poll hop body {} B ({:.2}×); plus HTTP headers",
        envelope.len(),
        edit.change.len(),
        push_body.len(),
        push_answer.len(),
        push_body.len() + push_answer.len(),
        (push_body.len() + push_answer.len()) as f64 / envelope.len() as f64,
        poll_answer.len(),
        poll_answer.len() as f64 / envelope.len() as f64,
    );
}
