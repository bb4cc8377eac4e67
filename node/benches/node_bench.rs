//! Benchmarks of one node: local edits (sign + durable commit), reopening after
//! a crash, and search latency over a large catalog.
//!
//! Run: `cargo bench -p telecenter-node --bench node_bench` (release build).
//! `LISTINGS=N` sets the catalog size (default 10 000, the per-catalog limit).
//! Prints one line per measurement; nothing is asserted (timing belongs here, not in tests).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_node::search::RawSearch;
use telecenter_node::{ManualClock, Node};
use telecenter_protocol::Identity;
use telecenter_protocol::catalog::input::{ListingPatch, NewListing, ProfileInput};

const WORDS: &[&str] = &[
    "keripik", "pisang", "tempe", "apel", "kopi", "robusta", "jamu", "kunyit", "asam", "batik",
    "tulis", "tas", "anyaman", "pelepah", "madu", "beras", "organik", "sambal", "pecel", "gula",
    "aren", "kerupuk", "udang", "teh", "jahe", "topeng", "gerabah", "kain", "tenun", "dodol",
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn main() {
    let listings: usize = std::env::var("LISTINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bench.db");
    let secret = [7u8; 32];
    let clock = Arc::new(ManualClock::new(1_795_392_000_000));
    let profile = ProfileInput {
        name: Some("Telecenter Kota Malang".into()),
        region: Some("Kota Malang".into()),
        contact: None,
        ..Default::default()
    };
    let node = Node::create(
        &db,
        Identity::from_secret_bytes(&secret),
        &profile,
        clock.clone(),
        Box::new(StdRng::seed_from_u64(1)),
    )
    .expect("create node");

    // 1. Adding listings: each is one signed change + one durable SQLite commit.
    let mut rng = StdRng::seed_from_u64(2);
    let mut ids = Vec::with_capacity(listings);
    let start = Instant::now();
    let mut add_times = Vec::with_capacity(listings);
    for i in 0..listings {
        use rand::Rng;
        let title: Vec<&str> = (0..3)
            .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
            .collect();
        let description: Vec<&str> = (0..12)
            .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
            .collect();
        clock.advance(1_000);
        let t = Instant::now();
        let row = node
            .add_listing(&NewListing {
                title: format!("{} {i}", title.join(" ")),
                description: description.join(" "),
                lang: None,
                category: "makanan".into(),
                price_idr: rng.gen_range(1..500) * 1_000,
                stock: rng.gen_range(0..100),
                unit: Some("bungkus".into()),
                producer: Some(format!("UMKM nomor {}", i % 300)),
                producer_village: None,
                photos: Vec::new(),
            })
            .expect("add");
        add_times.push(t.elapsed());
        ids.push(row.listing.id);
    }
    let total = start.elapsed();
    add_times.sort();
    println!(
        "add listing: {listings} in {:.2} s = {:.0}/s; per add p50 {:?} p99 {:?} max {:?}",
        total.as_secs_f64(),
        listings as f64 / total.as_secs_f64(),
        percentile(&add_times, 0.5),
        percentile(&add_times, 0.99),
        add_times[add_times.len() - 1]
    );

    // 2. Price edits on the full catalog.
    let edits = 500;
    let mut edit_times = Vec::with_capacity(edits);
    for (n, id) in ids.iter().cycle().take(edits).enumerate() {
        clock.advance(1_000);
        let t = Instant::now();
        node.update_listing(
            id,
            &ListingPatch {
                price_idr: Some(10_000 + n as i64),
                ..ListingPatch::default()
            },
        )
        .expect("edit");
        edit_times.push(t.elapsed());
    }
    edit_times.sort();
    println!(
        "price edit on {listings}-listing catalog: p50 {:?} p99 {:?} max {:?}",
        percentile(&edit_times, 0.5),
        percentile(&edit_times, 0.99),
        edit_times[edit_times.len() - 1]
    );
    let change_bytes: usize = node
        .changes_of(&telecenter_protocol::DocId::catalog(node.center_id()))
        .expect("changes")
        .last()
        .map(Vec::len)
        .unwrap_or(0);
    println!("signed envelope of one price edit: {change_bytes} bytes");

    // 3. Searches.
    let queries = [
        "kerip",
        "keripik pisang",
        "kopi robusta",
        "madu",
        "jamu kunyit asam",
        "umkm",
        "zzz",
    ];
    for q in queries {
        let search = RawSearch {
            q: Some(q.into()),
            ..RawSearch::default()
        }
        .validate()
        .expect("query");
        let mut times = Vec::new();
        let mut found = 0;
        for _ in 0..50 {
            let t = Instant::now();
            found = node.search(&search).expect("search").total;
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "search {q:?}: {found} hits, p50 {:?} p99 {:?}",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    let browse = RawSearch {
        category: Some("makanan".into()),
        sort: Some("price_asc".into()),
        ..RawSearch::default()
    }
    .validate()
    .expect("query");
    let t = Instant::now();
    node.search(&browse).expect("browse");
    println!("browse category sorted by price: {:?}", t.elapsed());

    // 4. Pages rendered by the node (router in process, no sockets).
    let node = std::sync::Arc::new(node);
    let app =
        telecenter_node::app::router(telecenter_node::server::AppState::new(node.clone(), None));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for uri in [
        "/",
        "/cari?q=kerip",
        "/cari?q=keripik+pisang&urut=termurah",
        "/cari?kategori=makanan&hal=3",
    ] {
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..30 {
            let t = Instant::now();
            let response = runtime.block_on(async {
                use tower::ServiceExt;
                let request = axum::http::Request::get(uri)
                    .body(axum::body::Body::empty())
                    .expect("request");
                let response = app.clone().oneshot(request).await.expect("response");
                axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .expect("body")
            });
            times.push(t.elapsed());
            bytes = response.len();
        }
        times.sort();
        println!(
            "page {uri}: {} bytes, render p50 {:?} p99 {:?}",
            bytes,
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    drop(app);
    let node = std::sync::Arc::try_unwrap(node).expect("only owner");

    // 5. Reopen (as after a crash): snapshot + replay of the changes after it.
    drop(node);
    let t = Instant::now();
    let node = Node::open(
        &db,
        Identity::from_secret_bytes(&secret),
        clock,
        Box::new(StdRng::seed_from_u64(3)),
    )
    .expect("reopen");
    println!("reopen with {listings} listings: {:?}", t.elapsed());
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    println!("database file: {:.1} MiB", size as f64 / 1_048_576.0);
    assert_eq!(node.quick_check().expect("check"), "ok");
}
