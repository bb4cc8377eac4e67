//! The state every handler shares: the node, the admin token, the sync engine,
//! the peers' rate limits, the operator sessions, the peer body budget and the
//! live `public_url`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use super::auth::SharedRateLimiter;
use super::gate::HopBodies;
use crate::data_dir::{DataDir, DataDirError};
use crate::node::{Node, NodeError};
use crate::sync::SyncEngine;
use telecenter_protocol::CenterId;
use telecenter_protocol::address::NodeAddress;
use telecenter_protocol::catalog::Profile;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The node.
    pub node: Arc<Node>,
    /// The admin bearer token; `None` disables the admin API.
    pub admin_token: Option<Arc<str>>,
    /// The sync engine, when the node syncs in the background.
    pub sync: Option<SyncEngine>,
    /// Per-peer request rate limits.
    pub rate: SharedRateLimiter,
    /// Operator sessions and the password file of the operator pages.
    pub operator: Arc<crate::server::session::OperatorState>,
    /// The budget for reading peers' request bodies.
    pub hop_bodies: Arc<HopBodies>,
    /// The address people reach this node at (`public_url` of `config.toml`),
    /// for absolute links in link previews and the sitemap; the profile page
    /// changes it.
    pub public_url: Arc<PublicUrl>,
    /// The last sitemap served, reused until the catalog changes.
    pub sitemap: Arc<AnswerCache>,
    /// The rate limit of the public buyer-request form.
    pub requests: Arc<super::request_limit::RequestLimiter>,
    /// The own profile the page headers name, kept until the catalog changes.
    pub here: Arc<OwnCenter>,
    /// What each peer last said it holds (a delta long poll merges into it).
    pub polled: Arc<PolledMaps>,
}

/// What each peer's summary requests said it holds: a whole map replaces the
/// peer's, a delta (protocol §10.3) is merged into it. Only configured peers
/// send summary requests, and at most [`PolledMaps::PEERS_MAX`] are kept.
#[derive(Debug, Default)]
pub struct PolledMaps {
    maps: Mutex<HashMap<CenterId, BTreeMap<String, u64>>>,
}

/// The map a delta long poll stands for.
#[derive(Debug, PartialEq, Eq)]
pub enum Merged {
    /// The peer's map with the delta merged in.
    Map(BTreeMap<String, u64>),
    /// This node does not remember the peer's map (it restarted).
    Unknown,
    /// The merged map would list more than the limit of chains.
    TooMany,
}

impl PolledMaps {
    /// Peers whose maps are kept; beyond, all are forgotten (each peer then
    /// sends its whole map once more).
    pub const PEERS_MAX: usize = 4_096;

    /// `peer` holds `have` (a whole map).
    pub fn set(&self, peer: CenterId, have: &BTreeMap<String, u64>) {
        let mut maps = self.maps.lock().unwrap_or_else(|p| p.into_inner());
        if maps.len() >= Self::PEERS_MAX && !maps.contains_key(&peer) {
            maps.clear();
        }
        maps.insert(peer, have.clone());
    }

    /// Merges `delta` into `peer`'s map (a chain's seq only goes up), at most
    /// `keys_max` chains.
    pub fn merge(&self, peer: &CenterId, delta: &BTreeMap<String, u64>, keys_max: usize) -> Merged {
        let mut maps = self.maps.lock().unwrap_or_else(|p| p.into_inner());
        let Some(map) = maps.get_mut(peer) else {
            return Merged::Unknown;
        };
        let added = delta.keys().filter(|k| !map.contains_key(*k)).count();
        if map.len() + added > keys_max {
            maps.remove(peer);
            return Merged::TooMany;
        }
        for (chain, seq) in delta {
            let held = map.entry(chain.clone()).or_insert(0);
            *held = (*held).max(*seq);
        }
        Merged::Map(map.clone())
    }
}

/// The address buyers' links start with (`public_url` of `config.toml`): read
/// cheaply on every page, changed on the profile page without a restart
/// (saved to `config.toml` first, then swapped in).
#[derive(Debug, Default)]
pub struct PublicUrl {
    current: RwLock<Option<Arc<str>>>,
    /// The data folder whose `config.toml` keeps it; `None`: kept in memory only.
    saved_in: Option<DataDir>,
    /// One change at a time (`config.toml` is read, edited and replaced).
    saving: Mutex<()>,
}

impl PublicUrl {
    /// The address `url` (from `config.toml`), kept in memory only.
    pub fn new(url: Option<&str>) -> Self {
        Self {
            current: RwLock::new(url.map(Arc::from)),
            ..Self::default()
        }
    }

    /// The same, changes saved to the `config.toml` of `data`.
    pub fn saved_in(mut self, data: DataDir) -> Self {
        self.saved_in = Some(data);
        self
    }

    /// The address now.
    pub fn get(&self) -> Option<Arc<str>> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Sets (`Some`) or clears (`None`) the address: saved first (blocking
    /// file I/O: call off the async threads), then used by every page at once.
    /// On error nothing changes.
    pub fn set(&self, url: Option<&NodeAddress>) -> Result<(), DataDirError> {
        let _saving = self.saving.lock().unwrap_or_else(|p| p.into_inner());
        let url = url.map(NodeAddress::as_str);
        if let Some(data) = &self.saved_in {
            data.set_public_url(url)?;
        }
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = url.map(Arc::from);
        Ok(())
    }
}

/// One answer kept for as long as the node's catalog has not changed (its
/// change counter, [`Node::subscribe`]) and it is asked under the same base
/// address: an expensive public answer is built once per change, not per request.
#[derive(Debug, Default)]
pub struct AnswerCache(std::sync::Mutex<Option<(u64, String, Arc<str>)>>);

impl AnswerCache {
    /// The kept answer for catalog `version` and `base`, if any.
    pub fn get(&self, version: u64, base: &str) -> Option<Arc<str>> {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.as_ref()
            .filter(|(v, b, _)| *v == version && b == base)
            .map(|(_, _, answer)| answer.clone())
    }

    /// Keeps `answer` for `version` and `base` (replacing any other).
    pub fn put(&self, version: u64, base: &str, answer: Arc<str>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((version, base.to_owned(), answer));
    }
}

/// The own profile as last read, with the catalog version it was read at.
#[derive(Debug, Default)]
pub struct OwnCenter(std::sync::Mutex<Option<(u64, Option<Arc<Profile>>)>>);

impl OwnCenter {
    pub(crate) fn get(&self, version: u64) -> Option<Option<Arc<Profile>>> {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.as_ref()
            .filter(|(v, _)| *v == version)
            .map(|(_, profile)| profile.clone())
    }

    pub(crate) fn put(&self, version: u64, profile: Option<Arc<Profile>>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((version, profile));
    }
}

impl AppState {
    /// State for `node` with an optional admin token and no background sync.
    pub fn new(node: Arc<Node>, admin_token: Option<&str>) -> Self {
        Self {
            node,
            admin_token: admin_token.map(Arc::from),
            sync: None,
            rate: Arc::default(),
            operator: Arc::default(),
            hop_bodies: Arc::default(),
            public_url: Arc::default(),
            sitemap: Arc::default(),
            requests: Arc::default(),
            here: Arc::default(),
            polled: Arc::default(),
        }
    }

    /// Runs blocking node work (SQLite, Automerge) off the async threads.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Node) -> Result<T, NodeError> + Send + 'static,
    ) -> Result<T, NodeError> {
        let node = self.node.clone();
        crate::node::run_blocking(move || work(&node)).await
    }

    /// The background sync engine, or a fresh one for a node that runs without
    /// (its HTTP client is what talks to peers).
    pub fn engine(&self) -> Result<SyncEngine, NodeError> {
        match &self.sync {
            Some(engine) => Ok(engine.clone()),
            None => SyncEngine::new(self.node.clone()),
        }
    }
}
