//! A node holding many catalogs: `fill` takes them in (signed changes in
//! peer-sized batches, as from a peer) into a database; `hold`, in a fresh
//! process, opens that database as a restarted node does and measures its
//! memory, search and search page.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_node::search::RawSearch;
use telecenter_node::{Node, SystemClock};

use crate::config::Config;
use crate::data::{self, COMMON, QUERIES, profile};
use crate::note;
use crate::report::{peak_rss_mb, percentile_ms, result, rss_mb};

const NODE: usize = 100_002;

/// Part `fill`: `listings` listings (of `config.listings` per center) into a
/// new node at `db`.
pub(crate) fn fill(config: &Config, db: &Path, listings: usize, label: &str) {
    let centers = listings.div_ceil(config.listings);
    let node = Node::create(
        db,
        data::identity(NODE),
        &profile("Telecenter Kota Surabaya", "Kota Surabaya"),
        Arc::new(SystemClock),
        Box::new(StdRng::seed_from_u64(14)),
    )
    .expect("node");
    for n in 0..centers {
        node.trust(&data::identity(n).center_id()).expect("trust");
    }
    let mut seconds = 0.0;
    let mut changes = 0usize;
    // One thread makes catalogs while this one takes them in, ten catalogs at
    // a time as a peer hands them over (chain after chain, in batches).
    let mut group: Vec<Vec<u8>> = Vec::new();
    let mut made = data::stream(0, centers, config.listings, config.now_ms, 1)
        .into_iter()
        .peekable();
    while let Some(catalog) = made.next() {
        changes += catalog.changes.len();
        group.extend(catalog.changes);
        if group.len() >= 10 * (config.listings + 1) || made.peek().is_none() {
            seconds += crate::join::ingest(&node, &group);
            group.clear();
        }
    }
    let rss = rss_mb();
    drop(node);
    let db_bytes = std::fs::metadata(db).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(db.with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    note!(
        "{label}: took in {changes} changes of {centers} centers in {seconds:.1} s ({:.0}/s); database {:.1} MB ({:.0} B per listing); RSS {rss:.0} MB",
        changes as f64 / seconds,
        db_bytes as f64 / 1e6,
        db_bytes as f64 / (centers * config.listings) as f64
    );
    result(
        &format!("ingest_changes_per_s_{label}"),
        changes as f64 / seconds,
    );
    result(&format!("db_mb_{label}"), db_bytes as f64 / 1e6);
    result(
        &format!("db_bytes_per_listing_{label}"),
        db_bytes as f64 / (centers * config.listings) as f64,
    );
    result(&format!("rss_mb_{label}_ingesting"), rss);
}

/// Part `hold`: opens the node at `db`, searches, renders the search page.
pub(crate) fn hold(config: &Config, db: &Path, label: &str) {
    let started = Instant::now();
    let node = Arc::new(
        Node::open(
            db,
            data::identity(NODE),
            Arc::new(SystemClock),
            Box::new(StdRng::seed_from_u64(15)),
        )
        .expect("open"),
    );
    let reopen = started.elapsed();
    let rss_open = rss_mb();
    let started = Instant::now();
    node.warm_search().expect("index");
    let index_ms = started.elapsed().as_secs_f64() * 1000.0;
    let search = |q: &str| {
        let query = RawSearch {
            q: Some(q.into()),
            ..RawSearch::default()
        }
        .validate()
        .expect("query");
        node.search(&query).expect("search")
    };
    let mut mix = Vec::new();
    let mut worst = 0.0f64;
    let mut worst_word = "";
    // `TELECENTER_BENCH_QUERIES='a|b c'` times these queries instead (crafted
    // worst cases).
    let custom: Option<Vec<String>> = std::env::var("TELECENTER_BENCH_QUERIES")
        .ok()
        .map(|v| v.split('|').map(str::to_owned).collect());
    let queries: Vec<&str> = match &custom {
        Some(list) => list.iter().map(String::as_str).collect(),
        None => QUERIES.iter().chain(COMMON).copied().collect(),
    };
    for q in queries {
        let mut times: Vec<Duration> = (0..config.runs)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(search(q));
                started.elapsed()
            })
            .collect();
        times.sort();
        if std::env::var("TELECENTER_BENCH_VERBOSE").is_ok_and(|v| v == "1") {
            note!(
                "{q:<28} {:>7} hits  p50 {:>6.2} ms  p99 {:>6.2} ms",
                search(q).total,
                percentile_ms(&times, 0.5),
                percentile_ms(&times, 0.99)
            );
        }
        if COMMON.contains(&q) {
            let p99 = percentile_ms(&times, 0.99);
            if p99 > worst {
                worst = p99;
                worst_word = q;
            }
        } else {
            mix.extend(times);
        }
    }
    mix.sort();
    let page = page_times(&node, config.runs);
    let rss = rss_mb();
    note!(
        "{label}: reopened in {:.2} s ({rss_open:.0} MB), index {index_ms:.0} ms; search p50 {:.2} ms, p99 {:.2} ms, worst common word {worst_word:?} p99 {worst:.2} ms; page /cari p50 {:.2} ms; RSS {rss:.0} MB (peak {:.0} MB)",
        reopen.as_secs_f64(),
        percentile_ms(&mix, 0.5),
        percentile_ms(&mix, 0.99),
        percentile_ms(&page, 0.5),
        peak_rss_mb()
    );
    result(&format!("reopen_s_{label}"), reopen.as_secs_f64());
    result(&format!("search_index_ms_{label}"), index_ms);
    result(&format!("search_p50_ms_{label}"), percentile_ms(&mix, 0.5));
    result(&format!("search_p99_ms_{label}"), percentile_ms(&mix, 0.99));
    result(&format!("search_worst_p99_ms_{label}"), worst);
    result(
        &format!("search_page_p50_ms_{label}"),
        percentile_ms(&page, 0.5),
    );
    result(&format!("rss_mb_{label}"), rss);
    result(&format!("peak_rss_mb_{label}"), peak_rss_mb());
}

/// The `/cari` page through the router, as a buyer's browser gets it.
fn page_times(node: &Arc<Node>, runs: usize) -> Vec<Duration> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let app =
        telecenter_node::app::router(telecenter_node::server::AppState::new(node.clone(), None));
    let mut times = Vec::new();
    runtime.block_on(async {
        use tower::ServiceExt;
        for n in 0..runs * 4 {
            let q = QUERIES[n % QUERIES.len()].replace(' ', "+");
            let request = axum::http::Request::get(format!("/cari?q={q}"))
                .body(axum::body::Body::empty())
                .expect("request");
            let started = Instant::now();
            let response = app.clone().oneshot(request).await.expect("page");
            assert!(response.status().is_success(), "the search page answers");
            let _ = axum::body::to_bytes(response.into_body(), 1 << 22)
                .await
                .expect("body");
            times.push(started.elapsed());
        }
    });
    times.sort();
    times
}
