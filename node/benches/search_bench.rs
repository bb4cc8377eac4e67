//! Search at the size of a province: a node holding 100 000 listings of 200
//! centers (varied titles and descriptions from an Indonesian product
//! vocabulary). Measures building the in-memory index, its size, search latency
//! over a mix of buyers' queries (with typos, variants, places, categories and
//! the worst common words), and rendering the `/cari` page through the router.
//!
//! Run: `cargo bench -p telecenter-node --bench search_bench` (release build).
//! `LISTINGS=N` sets the size (default 100 000), `RUNS=N` the runs per query
//! (default 30). `QUERIES='a|b c|…'` replaces the built-in mix of queries with
//! these (`|`-separated), to time crafted worst cases. Prints one table and
//! `RESULT name=value` lines; asserts nothing.
//!
//! The listing rows are written straight into the node's database (as ingest
//! leaves them, without the signed changes, which search never reads), so that
//! the benchmark measures search, not ingest.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use telecenter_node::search::RawSearch;
use telecenter_node::store::{Commit, Store};
use telecenter_node::{ManualClock, Node};
use telecenter_protocol::catalog::input::ProfileInput;
use telecenter_protocol::catalog::{Category, Listing, ListingStatus, Profile};
use telecenter_protocol::{Identity, ListingId, LocalizedText};

// The product vocabulary and buyers' queries of the province benchmark.
#[allow(dead_code)]
#[path = "province/data.rs"]
mod data;
use data::{COMMON, DESCRIPTION_WORDS, MODIFIERS, PRODUCTS, QUERIES, REGIONS};

const CENTERS: usize = 200;
const NOW_MS: i64 = 1_796_000_000_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Resident memory of this process, kB (Linux; 0 elsewhere).
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn listing(rng: &mut StdRng, n: usize) -> Listing {
    let (product, category) = PRODUCTS[rng.gen_range(0..PRODUCTS.len())];
    let modifier = MODIFIERS[rng.gen_range(0..MODIFIERS.len())];
    let place = REGIONS[rng.gen_range(0..REGIONS.len())];
    let title = format!("{product} {modifier} {place} {}", n % 97);
    let mut description = format!("{product} {modifier} produk asli UMKM {place}.");
    for _ in 0..14 {
        description.push(' ');
        description.push_str(DESCRIPTION_WORDS[rng.gen_range(0..DESCRIPTION_WORDS.len())]);
    }
    let id_bits = rng.r#gen::<u64>();
    let alphabet = b"0123456789abcdefghjkmnpqrstvwxyz";
    let id: String = (0..10)
        .map(|i| char::from(alphabet[((id_bits >> (i * 5)) & 31) as usize]))
        .collect();
    Listing {
        id: id.parse::<ListingId>().expect("listing id"),
        title: LocalizedText {
            id: title,
            en: None,
            jv: None,
        },
        description: LocalizedText {
            id: description,
            en: None,
            jv: None,
        },
        category: category.parse::<Category>().expect("category"),
        price_idr: rng.gen_range(5..500) * 1000,
        unit: "bungkus".into(),
        stock: rng.gen_range(0..60),
        producer: format!("UMKM {place} {}", n % 50),
        producer_village: String::new(),
        photos: Vec::new(),
        status: ListingStatus::Active,
        created_at_ms: NOW_MS - n as i64,
        updated_at_ms: NOW_MS - n as i64,
    }
}

fn main() {
    let listings: usize = std::env::var("LISTINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bench.db");
    let mut rng = StdRng::seed_from_u64(12);
    let clock = Arc::new(ManualClock::new(NOW_MS));
    let profile = ProfileInput {
        name: Some("Telecenter Kota Surabaya".into()),
        region: Some("Kota Surabaya".into()),
        ..ProfileInput::default()
    };
    drop(
        Node::create(
            &db,
            Identity::generate(&mut rng),
            &profile,
            clock.clone(),
            Box::new(StdRng::seed_from_u64(13)),
        )
        .expect("create"),
    );
    {
        let mut store = Store::open(&db).expect("store");
        let centers: Vec<Profile> = (0..CENTERS)
            .map(|i| {
                let region = REGIONS[i % REGIONS.len()];
                Profile {
                    center: Identity::generate(&mut rng).center_id(),
                    name: format!("Telecenter {region} {i}"),
                    region: format!("Kabupaten {region}"),
                    contact: String::new(),
                    updated_at_ms: NOW_MS,
                    fees: Default::default(),
                    address: None,
                    whatsapp: None,
                }
            })
            .collect();
        let mut batch = Commit {
            profiles: centers.clone(),
            ..Commit::default()
        };
        for n in 0..listings {
            let center = centers[n % CENTERS].center;
            batch.listings.push((center, listing(&mut rng, n)));
            if batch.listings.len() == 5_000 {
                store.commit(&batch, NOW_MS).expect("commit");
                batch = Commit::default();
            }
        }
        store.commit(&batch, NOW_MS).expect("commit");
    }
    let db_bytes = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    let node = Arc::new(
        Node::open(
            &db,
            Identity::generate(&mut StdRng::seed_from_u64(12)),
            clock,
            Box::new(StdRng::seed_from_u64(14)),
        )
        .expect("open"),
    );
    let search = |q: &str| {
        let query = RawSearch {
            q: Some(q.into()),
            ..RawSearch::default()
        }
        .validate()
        .expect("query");
        node.search(&query).expect("search")
    };
    let rss_before = rss_kb();
    let started = Instant::now();
    let first = search("keripik");
    let build = started.elapsed();
    let rss_after = rss_kb();
    println!(
        "{listings} listings of {CENTERS} centers; database {:.1} MB",
        db_bytes as f64 / 1e6
    );
    println!(
        "index build (first search): {:.0} ms; resident memory +{:.1} MB ({:.1} MB in all); {} hits for 'keripik'",
        ms(build),
        (rss_after.saturating_sub(rss_before)) as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        first.total
    );
    println!(
        "{:<28} {:>8} {:>8} {:>8} {:>8}",
        "query", "hits", "p50 ms", "p99 ms", "max ms"
    );
    let mut all = Vec::new();
    let mut worst_common = Duration::ZERO;
    let custom: Option<Vec<String>> = std::env::var("QUERIES")
        .ok()
        .map(|v| v.split('|').map(str::to_owned).collect());
    let queries: Vec<&str> = match &custom {
        Some(list) => list.iter().map(String::as_str).collect(),
        None => QUERIES.iter().chain(COMMON).copied().collect(),
    };
    let page_queries: Vec<&str> = match &custom {
        Some(list) => list.iter().map(String::as_str).collect(),
        None => QUERIES.to_vec(),
    };
    for q in queries {
        let mut times = Vec::with_capacity(runs);
        let mut hits = 0;
        for _ in 0..runs {
            let started = Instant::now();
            hits = search(q).total;
            times.push(started.elapsed());
        }
        times.sort();
        let p99 = percentile(&times, 0.99);
        if COMMON.contains(&q) {
            worst_common = worst_common.max(p99);
        } else {
            all.extend(times.iter().copied());
        }
        println!(
            "{:<28} {hits:>8} {:>8.2} {:>8.2} {:>8.2}",
            format!("{q:?}"),
            ms(percentile(&times, 0.5)),
            ms(p99),
            ms(*times.last().expect("runs"))
        );
    }
    all.sort();
    let (p50, p99) = (percentile(&all, 0.5), percentile(&all, 0.99));
    println!(
        "mix of buyers' queries: p50 {:.2} ms, p99 {:.2} ms",
        ms(p50),
        ms(p99)
    );
    println!("worst common word: p99 {:.2} ms", ms(worst_common));

    // The search page through the router, as a buyer's browser gets it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let app =
        telecenter_node::app::router(telecenter_node::server::AppState::new(node.clone(), None));
    let mut pages = Vec::new();
    runtime.block_on(async {
        use tower::ServiceExt;
        for n in 0..runs * 4 {
            let q = page_queries[n % page_queries.len()]
                .replace('%', "%25")
                .replace('&', "%26")
                .replace('#', "%23")
                .replace('+', "%2B")
                .replace(' ', "+");
            let request = axum::http::Request::get(format!("/cari?q={q}"))
                .body(axum::body::Body::empty())
                .expect("request");
            let started = Instant::now();
            let response = app.clone().oneshot(request).await.expect("page");
            let _ = axum::body::to_bytes(response.into_body(), 1 << 22)
                .await
                .expect("body");
            pages.push(started.elapsed());
        }
    });
    pages.sort();
    println!(
        "search page /cari: p50 {:.2} ms, p99 {:.2} ms",
        ms(percentile(&pages, 0.5)),
        ms(percentile(&pages, 0.99))
    );
    println!("RESULT search_index_build_ms={:.0}", ms(build));
    println!(
        "RESULT search_index_mb={:.1}",
        (rss_after.saturating_sub(rss_before)) as f64 / 1024.0
    );
    println!("RESULT search_p50_ms={:.2}", ms(p50));
    println!("RESULT search_p99_ms={:.2}", ms(p99));
    println!("RESULT search_worst_p99_ms={:.2}", ms(worst_common));
    println!(
        "RESULT search_page_p50_ms={:.2}",
        ms(percentile(&pages, 0.5))
    );
}
