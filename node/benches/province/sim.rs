//! The scale simulation: `n` real nodes in one process on an in-process
//! network (requests go straight to the other nodes' routers; no sockets),
//! grouped in regions of 40: a regional hub with an address, and 39 centers
//! behind NAT that dial it. Each center trusts its hub (vouch depth 2) and so
//! accepts the centers its hub vouches for: its region's, and the two
//! neighbouring hubs on the ring of hubs — about 40 catalogs, however large the
//! network. Every node runs the engine's real sync round and mail exchange
//! with the peers it dials, step after step, until every node holds every
//! catalog it accepts; then every center edits two prices and the network
//! settles again. The figure is what a center sends and receives (bodies):
//! it should grow with what the center accepts, not with the network.

use std::sync::Arc;
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_node::server::AppState;
use telecenter_node::sync::SyncEngine;
use telecenter_node::{ManualClock, Node, app};
use telecenter_protocol::DocId;
use telecenter_protocol::catalog::input::ListingPatch;
use tokio::task::JoinSet;

use crate::data::{self, profile};
use crate::net::{Fabric, url_of};
use crate::note;
use crate::report::result;

/// Centers per region, its hub included.
const REGION: usize = 40;
/// Listings each center writes.
const LISTINGS: usize = 5;
/// Simulated time between steps (peers' request rates and clocks see it).
const STEP_MS: i64 = 5_000;
/// Steps before the run counts as not converging.
const STEPS_MAX: usize = 60;

/// What a run of `n` nodes measured.
pub(crate) struct SimRun {
    /// Median bytes a center sent and received.
    pub(crate) center_bytes: f64,
    /// Median bytes a hub sent and received.
    pub(crate) hub_bytes: f64,
}

/// Part `sim`: runs `n` nodes and prints their figures under `sim{n}_…`.
pub(crate) fn sim(n: usize, now_ms: i64) -> SimRun {
    let runtime = crate::net::runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(now_ms));
    let regions = n.div_ceil(REGION);
    let hub_of = |i: usize| (i / REGION) * REGION;
    let is_hub = |i: usize| i.is_multiple_of(REGION);
    let started = Instant::now();
    let nodes: Vec<Arc<Node>> = (0..n)
        .map(|i| {
            let node = Node::create(
                &dir.path().join(format!("n{i}.db")),
                data::identity(200_000 + i),
                &profile(&format!("Telecenter {i}"), "Jawa Timur"),
                clock.clone(),
                Box::new(StdRng::seed_from_u64(i as u64)),
            )
            .expect("node");
            let mut rng = StdRng::seed_from_u64(i as u64);
            if !is_hub(i) {
                for l in 0..LISTINGS {
                    node.add_listing(&data::new_listing(&mut rng, "Malang", l))
                        .expect("listing");
                }
            }
            Arc::new(node)
        })
        .collect();
    let name = |i: usize| format!("Telecenter {i}");
    for i in 0..n {
        let node = &nodes[i];
        if is_hub(i) {
            node.set_vouch_depth(1).unwrap();
            // The hubs on either side on the ring of hubs.
            if regions > 1 {
                let r = i / REGION;
                for other in [(r + 1) % regions, (r + regions - 1) % regions] {
                    let h = other * REGION;
                    if h != i
                        && node
                            .peers()
                            .unwrap()
                            .iter()
                            .all(|p| p.center_id != nodes[h].center_id())
                    {
                        node.add_peer(&nodes[h].center_id(), &name(h), Some(&url_of(h)))
                            .unwrap();
                    }
                }
            }
        } else {
            let h = hub_of(i);
            node.add_peer(&nodes[h].center_id(), &name(h), Some(&url_of(h)))
                .unwrap();
            nodes[h]
                .add_peer(&node.center_id(), &name(i), None)
                .unwrap();
        }
    }
    let fabric = Fabric::new(
        nodes
            .iter()
            .map(|node| app::router(AppState::new(node.clone(), None)))
            .collect(),
    );
    let engines: Vec<SyncEngine> = (0..n)
        .map(|i| SyncEngine::with_transport(nodes[i].clone(), fabric.transport(i)).unwrap())
        .collect();
    note!(
        "{n} nodes in {regions} region(s) made in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let steps = runtime.block_on(async {
        let mut steps = settle(&engines, &nodes, &clock).await;
        // Every center changes two prices.
        for (i, node) in nodes.iter().enumerate() {
            if is_hub(i) {
                continue;
            }
            for (_, id, _) in node
                .shown_listings(100_000)
                .unwrap()
                .into_iter()
                .filter(|(c, _, _)| *c == node.center_id())
                .take(2)
            {
                let patch = ListingPatch {
                    price_idr: Some(12_500),
                    ..ListingPatch::default()
                };
                node.update_listing(&id, &patch).unwrap();
            }
        }
        steps += settle(&engines, &nodes, &clock).await;
        steps
    });
    let seconds = started.elapsed().as_secs_f64();
    let median = |hubs: bool| {
        let mut v: Vec<u64> = (0..n)
            .filter(|i| is_hub(*i) == hubs)
            .map(|i| fabric.bytes(i))
            .collect();
        v.sort_unstable();
        v.get(v.len() / 2).copied().unwrap_or(0) as f64
    };
    let accepted = {
        let mut v: Vec<usize> = (0..n)
            .filter(|i| !is_hub(*i))
            .map(|i| nodes[i].have().len())
            .collect();
        v.sort_unstable();
        v[v.len() / 2]
    };
    let requests = {
        let mut v: Vec<u64> = (0..n)
            .filter(|i| !is_hub(*i))
            .map(|i| fabric.requests(i))
            .collect();
        v.sort_unstable();
        v[v.len() / 2]
    };
    let run = SimRun {
        center_bytes: median(false),
        hub_bytes: median(true),
    };
    note!(
        "{n} nodes converged in {steps} steps ({seconds:.1} s): a center accepts {accepted} catalogs, sends and receives {:.1} kB in {requests} requests; a hub {:.1} kB",
        run.center_bytes / 1e3,
        run.hub_bytes / 1e3
    );
    result(&format!("sim{n}_steps"), steps as f64);
    result(&format!("sim{n}_s"), seconds);
    result(&format!("sim{n}_center_accepts"), accepted as f64);
    result(&format!("sim{n}_center_kb"), run.center_bytes / 1e3);
    result(&format!("sim{n}_center_requests"), requests as f64);
    result(&format!("sim{n}_hub_kb"), run.hub_bytes / 1e3);
    run
}

/// Steps until every node holds every catalog it accepts as its writer has it;
/// returns the steps taken.
async fn settle(engines: &[SyncEngine], nodes: &[Arc<Node>], clock: &ManualClock) -> usize {
    for step in 1..=STEPS_MAX {
        let mut tasks = JoinSet::new();
        for engine in engines {
            let engine = engine.clone();
            tasks.spawn(async move {
                for peer in engine.node().peers().unwrap_or_default() {
                    if peer.url.is_none() {
                        continue;
                    }
                    let _ = engine.round(&peer).await;
                    let _ = engine.exchange_with(&peer.center_id).await;
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        clock.advance(STEP_MS);
        if converged(nodes) {
            return step;
        }
    }
    panic!("the simulation did not converge in {STEPS_MAX} steps");
}

/// Whether every node holds every accepted catalog up to its writer's seq.
fn converged(nodes: &[Arc<Node>]) -> bool {
    let own: std::collections::HashMap<String, u64> = nodes
        .iter()
        .map(|node| {
            let doc = DocId::catalog(node.center_id()).to_string();
            let seq = node.have().get(&doc).copied().unwrap_or(0);
            (doc, seq)
        })
        .collect();
    nodes.iter().all(|node| {
        node.have()
            .iter()
            .all(|(chain, seq)| own.get(chain).is_none_or(|held| seq == held))
    })
}
