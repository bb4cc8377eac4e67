//! Edit propagation: the province as running nodes on a sparse peer graph over
//! real HTTP on loopback. Three hubs with addresses peer in a triangle; every
//! other center sits behind NAT (no address), long-polls its hub, and accepts
//! its hub and three neighbours (vouch depth 1). One center changes one price;
//! the benchmark times when each node that accepts the catalog shows it and
//! counts the bytes the edit cost on each hop.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_node::sync::transport::{AnswerFuture, OutRequest, Transport};
use telecenter_node::sync::{HttpTransport, SyncEngine};
use telecenter_node::{Node, SystemClock};
use telecenter_protocol::catalog::input::ListingPatch;
use telecenter_protocol::{DocId, ListingId};

use crate::config::Config;
use crate::data::{self, profile};
use crate::net::Proxy;
use crate::note;
use crate::report::{percentile_ms, result};

const HUBS: usize = 3;

/// One request as the edit's window saw it.
#[derive(Clone)]
struct Seen {
    from: usize,
    url: String,
    path: String,
    sent: usize,
    received: usize,
    /// The request or its answer carried the edited change.
    carried: bool,
}

/// A transport that logs every request of its node while recording is on.
struct Logging {
    inner: HttpTransport,
    from: usize,
    log: Arc<Mutex<Log>>,
}

#[derive(Default)]
struct Log {
    recording: bool,
    marker: String,
    seen: Vec<Seen>,
}

impl Transport for Logging {
    fn post(&self, request: OutRequest) -> AnswerFuture<'_> {
        Box::pin(async move {
            let (url, path, sent) = (
                request.url.clone(),
                request.path.clone(),
                request.body.clone(),
            );
            let answer = self.inner.post(request).await;
            let received: &[u8] = answer.as_ref().map_or(&[], |a| &a.body);
            let mut log = self.log.lock().unwrap();
            if log.recording {
                let marker = log.marker.as_bytes();
                let has =
                    |b: &[u8]| !marker.is_empty() && b.windows(marker.len()).any(|w| w == marker);
                let carried = has(&sent) || has(received);
                log.seen.push(Seen {
                    from: self.from,
                    url,
                    path,
                    sent: sent.len(),
                    received: received.len(),
                    carried,
                });
            }
            answer
        })
    }
}

/// Part `edit`.
pub(crate) fn edit(config: &Config) {
    let centers = config.centers.max(HUBS + 4);
    let runtime = crate::net::runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    // The nodes, each writing its own catalog.
    let nodes: Vec<Arc<Node>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|part| {
                let dir = dir.path().to_owned();
                let config = config.clone();
                scope.spawn(move || {
                    (0..centers)
                        .filter(|n| n % 2 == part)
                        .map(|n| {
                            (
                                n,
                                make_node(
                                    &dir,
                                    n,
                                    if n < HUBS { 0 } else { config.listings },
                                    config.now_ms,
                                ),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(usize, Arc<Node>)> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort_by_key(|(n, _)| *n);
        all.into_iter().map(|(_, node)| node).collect()
    });
    let hub_of = |n: usize| n % HUBS;
    // Neighbours: the two centers beside it under its hub, and one under the next.
    let neighbours = |n: usize| -> Vec<usize> {
        [n + HUBS, n.wrapping_sub(HUBS), n + 1]
            .into_iter()
            .filter(|m| *m >= HUBS && *m < centers && *m != n)
            .collect()
    };
    for (n, node) in nodes.iter().enumerate() {
        node.set_vouch_depth(1).unwrap();
        if n < HUBS {
            for other in &nodes {
                if other.center_id() != node.center_id() {
                    node.trust(&other.center_id()).unwrap();
                }
            }
        } else {
            node.trust(&nodes[hub_of(n)].center_id()).unwrap();
            for m in neighbours(n) {
                node.trust(&nodes[m].center_id()).unwrap();
            }
        }
    }
    // Everyone starts holding what it accepts (as after earlier syncs).
    let own: Vec<Vec<Vec<u8>>> = nodes
        .iter()
        .map(|node| node.changes_of(&DocId::catalog(node.center_id())).unwrap())
        .collect();
    for node in &nodes {
        for (m, changes) in own.iter().enumerate() {
            if nodes[m].center_id() != node.center_id() && node.accepts(&nodes[m].center_id()) {
                crate::join::ingest(node, changes);
            }
        }
    }
    drop(own);
    note!(
        "province of {centers} running nodes ({HUBS} hubs) made in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let log = Arc::new(Mutex::new(Log::default()));
    runtime.block_on(async {
        let mut proxies = Vec::new();
        for hub in nodes.iter().take(HUBS) {
            let url = crate::net::serve(hub).await;
            proxies.push(Proxy::start(&url).await);
        }
        for (n, node) in nodes.iter().enumerate() {
            let name = |m: usize| format!("Telecenter {m}");
            if n < HUBS {
                for h in (0..HUBS).filter(|h| *h != n) {
                    node.add_peer(&nodes[h].center_id(), &name(h), Some(&proxies[h].url()))
                        .unwrap();
                }
            } else {
                let h = hub_of(n);
                node.add_peer(&nodes[h].center_id(), &name(h), Some(&proxies[h].url()))
                    .unwrap();
                nodes[h].add_peer(&node.center_id(), &name(n), None).unwrap();
            }
        }
        let mut engines = Vec::new();
        for (n, node) in nodes.iter().enumerate() {
            let transport = Arc::new(Logging {
                inner: HttpTransport::for_node(node).unwrap(),
                from: n,
                log: log.clone(),
            });
            let engine = SyncEngine::with_transport(node.clone(), transport).unwrap();
            engines.push(engine.spawn(60_000));
        }
        let wire = || proxies.iter().map(Proxy::bytes).sum::<u64>();
        quiet(&wire).await;

        // The edit: center HUBS (under hub 0) changes one price.
        let source = &nodes[HUBS];
        let id: ListingId = source
            .shown_listings(1_000_000)
            .unwrap()
            .into_iter()
            .find(|(center, _, _)| *center == source.center_id())
            .expect("a listing of the editing center")
            .1;
        let before = source.changes_of(&DocId::catalog(source.center_id())).unwrap().len();
        let watchers: Vec<usize> = (0..centers)
            .filter(|m| *m != HUBS && nodes[*m].accepts(&source.center_id()))
            .collect();
        {
            let mut log = log.lock().unwrap();
            log.recording = true;
        }
        let patch = ListingPatch {
            price_idr: Some(17_500),
            ..ListingPatch::default()
        };
        // The change's text is known once made; set the marker before anything
        // leaves (the node pushes at once) by making it under the log's lock.
        let committed = {
            let mut log = log.lock().unwrap();
            source.update_listing(&id, &patch).unwrap();
            let envelope = source.changes_of(&DocId::catalog(source.center_id())).unwrap().remove(before);
            log.marker = telecenter_protocol::b64::encode(&envelope);
            (Instant::now(), envelope.len())
        };
        let (commit_at, envelope_len) = committed;
        let mut seen_at: HashMap<usize, Duration> = HashMap::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while seen_at.len() < watchers.len() {
            assert!(Instant::now() < deadline, "the edit reached {} of {} nodes", seen_at.len(), watchers.len());
            for &m in &watchers {
                if seen_at.contains_key(&m) {
                    continue;
                }
                let price = nodes[m].listing(&source.center_id(), &id).map(|r| r.listing.price_idr);
                if price.ok() == Some(17_500) {
                    seen_at.insert(m, commit_at.elapsed());
                }
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        quiet(&wire).await;
        let mut log = log.lock().unwrap();
        log.recording = false;
        let hops = watchers.len() as f64;
        // What the edit cost: every request that carried it, and the long poll
        // each woken listener sent again after an answer that carried it.
        let mut last_poll: HashMap<(usize, String), bool> = HashMap::new();
        let (mut bodies, mut requests) = (0usize, 0usize);
        for s in &log.seen {
            let key = (s.from, s.url.clone());
            let repoll = s.path.ends_with("/sync/summary") && last_poll.get(&key) == Some(&true);
            if s.carried || repoll {
                bodies += s.sent + s.received;
                requests += 1;
                if std::env::var("TELECENTER_BENCH_VERBOSE").is_ok_and(|v| v == "1") {
                    note!(
                        "  node {} → {} {}: sent {} B, received {} B{}",
                        s.from,
                        s.url,
                        s.path,
                        s.sent,
                        s.received,
                        if repoll { " (the long poll again)" } else { "" }
                    );
                }
            }
            if s.path.ends_with("/sync/summary") {
                last_poll.insert(key, s.carried);
            }
        }
        let catalog_json = catalog_json_bytes(source);
        let body_per_hop = bodies as f64 / hops;
        let mut latencies: Vec<(usize, Duration)> = seen_at.into_iter().collect();
        latencies.sort_by_key(|(m, _)| *m);
        let hop_count = |m: usize| -> usize {
            if m < HUBS {
                if m == hub_of(HUBS) { 1 } else { 2 }
            } else if hub_of(m) == hub_of(HUBS) {
                2
            } else {
                3
            }
        };
        let mut by_hops: HashMap<usize, Vec<Duration>> = HashMap::new();
        for (m, latency) in &latencies {
            by_hops.entry(hop_count(*m)).or_default().push(*latency);
        }
        note!(
            "one price edit: signed change {envelope_len} B; {requests} requests carried it to {hops} nodes: {:.0} B of bodies per hop ({:.2}×), plus the headers of each request (see join); catalog as JSON {catalog_json} B ({:.0}× a hop)",
            body_per_hop,
            body_per_hop / envelope_len as f64,
            catalog_json as f64 / body_per_hop
        );
        for (k, mut v) in by_hops.clone() {
            v.sort();
            note!("  visible {k} hop(s) away: {:.1} ms (max of {})", percentile_ms(&v, 1.0), v.len());
        }
        result("edit_change_bytes", envelope_len as f64);
        result("edit_hop_body_bytes", body_per_hop);
        result("edit_hop_bytes_ratio", body_per_hop / envelope_len as f64);
        result("edit_requests_per_hop", requests as f64 / hops);
        result("edit_catalog_json_bytes", catalog_json as f64);
        result("edit_catalog_json_vs_hop_ratio", catalog_json as f64 / body_per_hop);
        for (k, mut v) in by_hops {
            v.sort();
            result(&format!("edit_visible_{k}hop_ms"), percentile_ms(&v, 1.0));
        }
        drop(log);
        for engine in engines {
            engine.abort();
        }
    });
}

/// Waits until no byte has crossed the wire for a while (the nodes settled),
/// within a deadline.
async fn quiet(wire: &impl Fn() -> u64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last = wire();
    let mut still_since = Instant::now();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = wire();
        if now != last {
            last = now;
            still_since = Instant::now();
        } else if still_since.elapsed() > Duration::from_millis(700) {
            return;
        }
    }
}

/// A node writing its own catalog of `listings` listings.
fn make_node(dir: &std::path::Path, n: usize, listings: usize, now_ms: i64) -> Arc<Node> {
    let node = Node::create(
        &dir.join(format!("node-{n}.db")),
        data::identity(n),
        &profile(&format!("Telecenter {n}"), "Jawa Timur"),
        Arc::new(SystemClock),
        Box::new(StdRng::seed_from_u64(n as u64)),
    )
    .expect("node");
    let mut rng = StdRng::seed_from_u64(n as u64 + 1_000);
    for i in 0..listings {
        node.add_listing(&data::new_listing(&mut rng, "Malang", i))
            .expect("listing");
    }
    let _ = now_ms;
    Arc::new(node)
}

/// The bytes of `node`'s catalog as one JSON download (what a client of a
/// central marketplace would fetch again after a change).
fn catalog_json_bytes(node: &Node) -> usize {
    let rows: Vec<serde_json::Value> = node
        .shown_listings(100_000)
        .unwrap()
        .into_iter()
        .filter(|(center, _, _)| *center == node.center_id())
        .map(|(center, id, _)| {
            let l = node.listing(&center, &id).unwrap().listing;
            serde_json::json!({
                "id": l.id.to_string(), "title": l.title.id, "description": l.description.id,
                "category": l.category.to_string(), "price_idr": l.price_idr, "stock": l.stock,
                "unit": l.unit, "producer": l.producer, "updated_at_ms": l.updated_at_ms,
            })
        })
        .collect();
    serde_json::to_vec(&rows).unwrap().len()
}
