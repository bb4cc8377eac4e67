//! Ingest and join: a hub takes in the province's signed changes in batches as
//! they arrive from a peer, then serves them over HTTP on loopback; a new node
//! in its own process joins through it, every signature verified. Compared in
//! the same run with raw Automerge sync of the same documents (no signatures,
//! no storage, in memory) and with loading the same listings as JSON into
//! SQLite (what downloading a central marketplace's catalog would cost).

use std::io::BufRead;
use std::sync::Arc;
use std::time::Instant;

use automerge::sync::{Message, State, SyncDoc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_node::search::SearchQuery;
use telecenter_node::sync::{HttpTransport, SyncEngine};
use telecenter_node::{Node, SystemClock};
use telecenter_protocol::{CenterId, DocId, SignedChange};

use crate::config::Config;
use crate::data::{self, profile};
use crate::net::{CountingTransport, Proxy};
use crate::note;
use crate::report::{cpu_s, peak_rss_mb, result, rss_mb};

/// The joining node's number (its key).
const JOINER: usize = 100_001;

/// A fetch answer's worth: how a peer hands over changes.
pub(crate) const BATCH: usize = telecenter_node::node::FETCH_CHANGES_MAX;

/// Receives `changes` into `node` in peer-sized batches as the sync engine
/// does with a peer's answers: each batch is verified while the one before it
/// is applied, and applied in order. Returns seconds spent.
pub(crate) fn ingest(node: &Node, changes: &[Vec<u8>]) -> f64 {
    ingest_timed(node, changes).whole
}

/// Where an ingest's time went (seconds of the wall clock).
pub(crate) struct IngestTimes {
    /// The whole ingest.
    pub(crate) whole: f64,
    /// Sequencing, applying, storing and indexing (`Node::receive_verified`),
    /// one batch after another on one thread.
    pub(crate) apply: f64,
    /// Verifying (`Node::verify_received`), beside the applying.
    pub(crate) verify: f64,
    /// CPU time of the whole process meanwhile (every thread).
    pub(crate) cpu: f64,
}

/// [`ingest`], with the time spent applying and verifying apart: the larger
/// of the two is the critical path.
pub(crate) fn ingest_timed(node: &Node, changes: &[Vec<u8>]) -> IngestTimes {
    let started = Instant::now();
    let cpu_before = cpu_s();
    let mut apply_s = 0.0;
    let mut apply = |verified, batch: &[Vec<u8>]| {
        let started = Instant::now();
        for outcome in node.receive_verified(verified, batch).expect("receive") {
            outcome.expect("every change verifies and applies");
        }
        apply_s += started.elapsed().as_secs_f64();
    };
    let verify = |batch| {
        let started = Instant::now();
        let verified = node.verify_received(batch);
        (verified, started.elapsed().as_secs_f64())
    };
    let mut verify_s = 0.0;
    std::thread::scope(|scope| {
        let mut previous = None;
        for batch in changes.chunks(BATCH) {
            let verifying = scope.spawn(move || verify(batch));
            if let Some((verified, batch)) = previous.take() {
                apply(verified, batch);
            }
            let (verified, seconds) = verifying.join().expect("verify");
            verify_s += seconds;
            previous = Some((verified, batch));
        }
        if let Some((verified, batch)) = previous {
            apply(verified, batch);
        }
    });
    IngestTimes {
        whole: started.elapsed().as_secs_f64(),
        apply: apply_s,
        verify: verify_s,
        cpu: cpu_s() - cpu_before,
    }
}

/// Part `hub`: fills a hub with the province, serves it, prints its address,
/// and serves until its standard input closes.
pub(crate) fn hub(config: &Config) {
    let dir = tempfile::tempdir().expect("temp dir");
    let catalogs = data::all(0, config.centers, config.listings, config.now_ms);
    let total: usize = catalogs.iter().map(|c| c.changes.len()).sum();
    let hub = Node::create(
        &dir.path().join("hub.db"),
        data::identity(100_000),
        &profile("Telecenter Hub", "Kota Surabaya"),
        Arc::new(SystemClock),
        Box::new(StdRng::seed_from_u64(2)),
    )
    .expect("hub");
    for catalog in &catalogs {
        hub.trust(&catalog.center()).expect("trust");
    }
    // The new node of part `join` (it dials the hub).
    hub.add_peer(&data::identity(JOINER).center_id(), "Telecenter Baru", None)
        .expect("peer");
    // As a peer hands them over: chain after chain, in batches.
    let all: Vec<Vec<u8>> = catalogs
        .iter()
        .flat_map(|c| c.changes.iter().cloned())
        .collect();
    let times = ingest_timed(&hub, &all);
    let seconds = times.whole;
    note!(
        "hub took in {total} signed changes in {seconds:.2} s ({:.0}/s): applying {:.2} s on one thread, verifying {:.2} s beside it",
        total as f64 / seconds,
        times.apply,
        times.verify
    );
    result("ingest_apply_s", times.apply);
    result("ingest_verify_s", times.verify);
    result("ingest_cpu_s", times.cpu);
    result("ingest_changes", total as f64);
    result("ingest_s", seconds);
    result("ingest_changes_per_s", total as f64 / seconds);
    drop(catalogs);
    let hub = Arc::new(hub);
    let runtime = crate::net::runtime();
    runtime.block_on(async {
        let url = crate::net::serve(&hub).await;
        println!("READY {url} {}", hub.center_id());
        // Serve until the parent closes our standard input.
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            while std::io::stdin().lock().read_line(&mut line).unwrap_or(0) > 0 {
                line.clear();
            }
        })
        .await
        .unwrap();
    });
}

/// Part `join`: a new node joins the hub at `hub_url` (through a counting
/// proxy), then the same documents are synced raw with Automerge and loaded as
/// JSON into SQLite.
pub(crate) fn join(config: &Config, hub_url: &str, hub_id: CenterId) {
    let dir = tempfile::tempdir().expect("temp dir");
    let expected = config.centers * config.listings;
    let runtime = crate::net::runtime();
    let joiner = Arc::new(
        Node::create(
            &dir.path().join("new.db"),
            data::identity(JOINER),
            &profile("Telecenter Baru", "Kabupaten Blitar"),
            Arc::new(SystemClock),
            Box::new(StdRng::seed_from_u64(3)),
        )
        .expect("joiner"),
    );
    let rss_before = rss_mb();
    let (seconds, transport, proxy) = runtime.block_on(async {
        let proxy = Proxy::start(hub_url).await;
        joiner
            .add_peer(&hub_id, "Telecenter Hub", Some(&proxy.url()))
            .unwrap();
        let transport = Arc::new(CountingTransport::new(
            HttpTransport::for_node(&joiner).unwrap(),
        ));
        let engine = SyncEngine::with_transport(joiner.clone(), transport.clone()).unwrap();
        let peer = joiner.peers().unwrap().remove(0);
        let started = Instant::now();
        let mut rounds = 0;
        loop {
            rounds += 1;
            engine.round(&peer).await.expect("round");
            let held = joiner.search(&SearchQuery::default()).unwrap().total as usize;
            if held == expected {
                break;
            }
            assert!(
                rounds < 20,
                "the new node holds {held} of {expected} listings"
            );
        }
        (started.elapsed().as_secs_f64(), transport, proxy)
    });
    let peak = peak_rss_mb();
    let rss_after = rss_mb();
    // Every change of the province is held here, each one verified on receipt.
    let have = joiner.have();
    for n in 0..config.centers {
        let chain = DocId::catalog(data::identity(n).center_id()).to_string();
        assert_eq!(
            have.get(&chain).copied(),
            Some(config.listings as u64 + 1),
            "the new node holds all of center {n}'s catalog"
        );
    }
    let total_changes = (config.centers * (config.listings + 1)) as u64;
    let bodies = transport.bytes();
    let wire = proxy.bytes();
    note!(
        "new node joined {} centers × {} listings ({total_changes} changes, every signature verified) in {seconds:.2} s; bodies {:.1} MB, wire {:.1} MB, {} requests; peak RSS {peak:.0} MB",
        config.centers,
        config.listings,
        bodies as f64 / 1e6,
        wire as f64 / 1e6,
        transport.requests()
    );
    result("join_s", seconds);
    result("join_changes", total_changes as f64);
    result("join_body_mb", bodies as f64 / 1e6);
    result("join_wire_mb", wire as f64 / 1e6);
    result("join_header_mb", wire.saturating_sub(bodies) as f64 / 1e6);
    result("join_requests", transport.requests() as f64);
    // Headers of a request and its answer, from the wire less the bodies.
    result(
        "header_bytes_per_request",
        wire.saturating_sub(bodies) as f64 / transport.requests().max(1) as f64,
    );
    result("join_peak_rss_mb", peak);
    result("join_rss_growth_mb", rss_after - rss_before);

    // The same documents, raw Automerge sync: no signatures, no storage.
    let mut docs = Vec::new();
    for center in joiner.centers().unwrap() {
        if center.center == joiner.center_id() {
            continue;
        }
        let mut doc = automerge::Automerge::new();
        for envelope in joiner.changes_of(&DocId::catalog(center.center)).unwrap() {
            let signed = SignedChange::from_bytes(&envelope).unwrap();
            doc.load_incremental(&signed.change).unwrap();
        }
        docs.push(doc);
    }
    let started = Instant::now();
    let mut raw_bytes = 0usize;
    for source in &docs {
        let mut target = automerge::Automerge::new();
        let (mut ours, mut theirs) = (State::new(), State::new());
        loop {
            let mut moved = false;
            if let Some(message) = source.generate_sync_message(&mut ours) {
                let bytes = message.encode();
                raw_bytes += bytes.len();
                target
                    .receive_sync_message(&mut theirs, Message::decode(&bytes).unwrap())
                    .unwrap();
                moved = true;
            }
            if let Some(message) = target.generate_sync_message(&mut theirs) {
                let bytes = message.encode();
                raw_bytes += bytes.len();
                let mut source = source.clone();
                source
                    .receive_sync_message(&mut ours, Message::decode(&bytes).unwrap())
                    .unwrap();
                moved = true;
            }
            if !moved {
                break;
            }
        }
        assert_eq!(target.get_heads(), source.get_heads(), "raw sync converged");
    }
    let raw = started.elapsed().as_secs_f64();
    note!(
        "raw Automerge sync of the same {} documents: {raw:.2} s, {:.1} MB of messages",
        docs.len(),
        raw_bytes as f64 / 1e6
    );
    result("automerge_sync_s", raw);
    result("automerge_sync_mb", raw_bytes as f64 / 1e6);
    result("join_vs_automerge_ratio", seconds / raw);
    drop(docs);

    // The same listings as one JSON download loaded into SQLite.
    let json_seconds = json_into_sqlite(&joiner, dir.path());
    result("json_sqlite_s", json_seconds);
    result("join_vs_json_ratio", seconds / json_seconds);
}

/// Loads every listing `node` holds as one JSON array into a fresh SQLite
/// table; returns the seconds taken (parse and insert).
fn json_into_sqlite(node: &Node, dir: &std::path::Path) -> f64 {
    let mut rows = Vec::new();
    for (center, id, _) in node.shown_listings(10_000_000).unwrap() {
        let listing = node.listing(&center, &id).unwrap().listing;
        rows.push(serde_json::json!({
            "center": center.to_string(),
            "id": listing.id.to_string(),
            "title": listing.title.id,
            "description": listing.description.id,
            "category": listing.category.to_string(),
            "price_idr": listing.price_idr,
            "stock": listing.stock,
            "unit": listing.unit,
            "producer": listing.producer,
            "updated_at_ms": listing.updated_at_ms,
        }));
    }
    let body = serde_json::to_vec(&rows).unwrap();
    drop(rows);
    let started = Instant::now();
    let parsed: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
    let mut db = rusqlite::Connection::open(dir.join("json.db")).unwrap();
    db.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
         CREATE TABLE listing (center TEXT, id TEXT, title TEXT, description TEXT,
           category TEXT, price_idr INTEGER, stock INTEGER, unit TEXT, producer TEXT,
           updated_at_ms INTEGER, PRIMARY KEY (center, id));",
    )
    .unwrap();
    let tx = db.transaction().unwrap();
    {
        let mut insert = tx
            .prepare("INSERT INTO listing VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
            .unwrap();
        for row in &parsed {
            let text = |k: &str| row[k].as_str().unwrap_or_default().to_owned();
            insert
                .execute(rusqlite::params![
                    text("center"),
                    text("id"),
                    text("title"),
                    text("description"),
                    text("category"),
                    row["price_idr"].as_i64(),
                    row["stock"].as_i64(),
                    text("unit"),
                    text("producer"),
                    row["updated_at_ms"].as_i64(),
                ])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    let seconds = started.elapsed().as_secs_f64();
    note!(
        "the same {} listings as JSON ({:.1} MB) into SQLite: {seconds:.2} s",
        parsed.len(),
        body.len() as f64 / 1e6
    );
    result("json_catalog_mb", body.len() as f64 / 1e6);
    seconds
}
