//! The simulated province: nodes with their data folders, clocks and random
//! sources from the seed, peered as hubs (with an address) and centers behind
//! NAT (without), crashing and restarting from the files a power cut left.

use std::path::PathBuf;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use telecenter_node::server::AppState;
use telecenter_node::store::PowerCut;
use telecenter_node::sync::SyncEngine;
use telecenter_node::{Clock, ManualClock, Node};
use telecenter_protocol::catalog::input::ProfileInput;
use telecenter_protocol::{CenterId, Identity};

use crate::net::{Net, url_of};

/// 2026-12-01 00:00 UTC, the simulation's epoch.
pub const T0: i64 = 1_796_083_200_000;

/// One simulated center.
pub struct SimNode {
    pub index: usize,
    pub id: CenterId,
    seed: u64,
    dir: PathBuf,
    pub clock: Arc<ManualClock>,
    /// How far this node's clock is off, in ms.
    pub skew_ms: i64,
    /// The running node, or `None` while it is down.
    pub up: Option<(Arc<Node>, SyncEngine)>,
    pub hub: bool,
    /// Peers this node connects to (they have an address).
    pub dials: Vec<usize>,
    restarts: u64,
    /// Simulated time at which a down node comes back.
    pub down_until_ms: i64,
}

impl SimNode {
    fn db(&self) -> PathBuf {
        self.dir.join("telecenter.db")
    }

    fn identity(&self) -> Identity {
        Identity::generate(&mut StdRng::seed_from_u64(self.seed))
    }

    /// The database file.
    pub fn db_path(&self) -> PathBuf {
        self.db()
    }

    pub fn node(&self) -> Option<&Arc<Node>> {
        self.up.as_ref().map(|(node, _)| node)
    }
}

/// Every node, the network, and the run's random source.
pub struct World {
    pub seed: u64,
    pub rng: StdRng,
    pub nodes: Vec<SimNode>,
    pub net: Net,
    pub now_ms: i64,
    _root: tempfile::TempDir,
}

/// A folder for the nodes' files: in memory (`/dev/shm`) where there is one, so
/// a commit's fsync costs nothing; power cuts are simulated from the files.
fn scratch() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    let builder = {
        let mut b = tempfile::Builder::new();
        b.prefix("telecenter-sim-");
        b
    };
    if shm.is_dir()
        && let Ok(dir) = builder.tempdir_in(shm)
    {
        return dir;
    }
    builder.tempdir().expect("a scratch folder")
}

impl World {
    /// `count` centers; about a quarter of them (at least two) are hubs with an
    /// address, peered in a chain with a few extra links; every other center
    /// connects to one or two hubs. Hubs trust every center; the others trust
    /// their hubs and accept the rest through the hubs' vouches.
    pub fn new(seed: u64, count: usize) -> Self {
        let root = scratch();
        let mut rng = StdRng::seed_from_u64(seed);
        let net = Net::new(seed, count);
        let hubs = (count / 4).max(2);
        let mut nodes = Vec::with_capacity(count);
        let mut created = Vec::with_capacity(count);
        for index in 0..count {
            let dir = root.path().join(format!("n{index}"));
            std::fs::create_dir_all(&dir).expect("node folder");
            let clock = Arc::new(ManualClock::new(T0));
            let node_seed = seed.wrapping_mul(1_000).wrapping_add(index as u64 + 1);
            let sim = SimNode {
                index,
                id: Identity::generate(&mut StdRng::seed_from_u64(node_seed)).center_id(),
                seed: node_seed,
                dir,
                clock,
                skew_ms: 0,
                up: None,
                hub: index < hubs,
                dials: Vec::new(),
                restarts: 0,
                down_until_ms: 0,
            };
            let profile = ProfileInput {
                name: Some(format!("Telecenter Simulasi {index}")),
                region: Some("Jawa Timur".to_owned()),
                referral_fee_bp: Some(300),
                referral_fee_min_idr: Some(1_000),
                ..Default::default()
            };
            let node = Node::create(
                &sim.db(),
                sim.identity(),
                &profile,
                sim.clock.clone() as Arc<dyn Clock>,
                Box::new(StdRng::seed_from_u64(node_seed ^ 0xa5a5)),
            )
            .expect("a new center");
            created.push(Arc::new(node));
            nodes.push(sim);
        }
        // Hubs in a chain plus a few random links; centers to one or two hubs.
        for (g, hub) in nodes.iter_mut().enumerate().take(hubs) {
            if g > 0 {
                hub.dials.push(g - 1);
            }
            for h in 0..g.saturating_sub(1) {
                if rng.gen_bool(0.3) {
                    hub.dials.push(h);
                }
            }
        }
        for center in nodes.iter_mut().skip(hubs) {
            let first = rng.gen_range(0..hubs);
            center.dials.push(first);
            if rng.gen_bool(0.5) {
                let second = rng.gen_range(0..hubs);
                if second != first {
                    center.dials.push(second);
                }
            }
        }
        let mut world = Self {
            seed,
            rng,
            nodes,
            net,
            now_ms: T0,
            _root: root,
        };
        for (index, node) in created.into_iter().enumerate() {
            world.put_up(index, node);
        }
        let ids: Vec<CenterId> = world.nodes.iter().map(|n| n.id).collect();
        for index in 0..count {
            let node = world.nodes[index].node().expect("up").clone();
            // Hubs trust every center; a center trusts the hubs it connects to
            // and accepts the rest because they vouch for them (depth 2).
            for (other, id) in ids.iter().enumerate() {
                if other != index
                    && (world.nodes[index].hub || world.nodes[index].dials.contains(&other))
                {
                    node.trust(id).expect("trust");
                }
            }
            for &other in &world.nodes[index].dials.clone() {
                node.add_peer(&ids[other], &format!("n{other}"), Some(&url_of(other)))
                    .expect("peer with an address");
                let theirs = world.nodes[other].node().expect("up").clone();
                theirs
                    .add_peer(&ids[index], &format!("n{index}"), None)
                    .expect("peer without an address");
            }
        }
        world
    }

    /// Opens node `index` from its files and puts it on the network.
    pub fn start(&mut self, index: usize) {
        let sim = &mut self.nodes[index];
        sim.restarts += 1;
        let rng = StdRng::seed_from_u64(sim.seed.wrapping_mul(7_919).wrapping_add(sim.restarts));
        let node = Arc::new(
            Node::open(
                &sim.db(),
                sim.identity(),
                sim.clock.clone() as Arc<dyn Clock>,
                Box::new(rng),
            )
            .unwrap_or_else(|e| panic!("seed {}: node {index} does not open: {e}", self.seed)),
        );
        self.put_up(index, node);
    }

    /// Puts a running node on the network.
    fn put_up(&mut self, index: usize, node: Arc<Node>) {
        let sim = &mut self.nodes[index];
        let engine =
            SyncEngine::with_transport(node.clone(), self.net.transport(index)).expect("engine");
        let router = telecenter_node::app::router(AppState::new(node.clone(), None));
        let mut state = self.net.state();
        state.hosts[index].router = Some(router);
        state.hosts[index].cut = None;
        drop(state);
        sim.up = Some((node, engine));
    }

    /// Arms a power cut at the `rows`-th row node `index` writes from now on.
    pub fn arm_cut(&mut self, index: usize, rows: u64) {
        let Some(node) = self.nodes[index].node().cloned() else {
            return;
        };
        let image = self.nodes[index].dir.join("cut");
        let _ = std::fs::remove_dir_all(&image);
        let cut: Arc<PowerCut> = node.arm_power_cut(rows, &image).expect("arm a power cut");
        self.net.state().hosts[index].cut = Some(cut);
    }

    /// Takes down every node whose power was cut, leaving on disk exactly the
    /// files of the instant of the cut. Returns the nodes taken down.
    pub fn reap_cuts(&mut self) -> Vec<usize> {
        let fired: Vec<usize> = {
            let state = self.net.state();
            (0..self.nodes.len())
                .filter(|&i| state.hosts[i].cut_fired())
                .collect()
        };
        for &index in &fired {
            self.take_down(index);
            let sim = &self.nodes[index];
            let image = sim.dir.join("cut");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(sim.dir.join(format!("telecenter.db{suffix}")));
            }
            std::fs::copy(image.join("telecenter.db"), sim.db()).expect("power cut image");
            if image.join("telecenter.db-wal").exists() {
                std::fs::copy(
                    image.join("telecenter.db-wal"),
                    sim.dir.join("telecenter.db-wal"),
                )
                .expect("power cut image");
            }
        }
        fired
    }

    /// Stops node `index` at once (its files stay as they are).
    pub fn take_down(&mut self, index: usize) {
        let mut state = self.net.state();
        state.hosts[index].router = None;
        state.hosts[index].cut = None;
        drop(state);
        let sim = &mut self.nodes[index];
        if let Some((node, engine)) = sim.up.take() {
            // Closing the connections writes nothing that was not committed;
            // after a power cut the files are replaced by the cut's image anyway.
            drop(engine);
            drop(node);
        }
    }

    /// Moves simulated time to `now_ms` on every clock (each with its skew).
    pub fn set_time(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
        for sim in &self.nodes {
            let target = now_ms + sim.skew_ms;
            let current = sim.clock.now_ms();
            sim.clock.advance(target - current);
        }
        self.net.state().now_ms = now_ms;
    }

    /// The running nodes.
    pub fn up(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].up.is_some())
            .collect()
    }

    /// Notes an event for the replay check.
    pub fn trace(&self, line: String) {
        self.net.state().trace.push(line);
    }
}
