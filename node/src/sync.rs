//! The sync engine: the client side of the peer protocol.
//!
//! Every exchange is started by this node over a connection it opens, so a node
//! behind carrier-grade NAT syncs fully: it pushes its news, pulls everyone
//! else's, and hears of new changes promptly by long-polling the summary.
//!
//! One round with a peer: `summary` (both sides' `have` maps) → `fetch` what the
//! peer has and this node lacks (for catalogs this node accepts) → `push` what this
//! node has and the peer lacks (for catalogs the peer offers). A background task per
//! peer runs a round at start, after every local or received change (so edits are
//! forwarded hop by hop within seconds), when the peer's long poll says it has
//! news, and at the repair interval; failures back off exponentially without
//! holding up other peers.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use telecenter_protocol::epoch::epoch_of_actor;
use telecenter_protocol::sync::{
    Changes, PushResponse, SYNC_BODY_BYTES_MAX, SYNC_WAIT_MS_MAX, SummaryRequest, SummaryResponse,
    lacking,
};
use telecenter_protocol::{CenterId, ChainId};
use tokio::task::JoinSet;

use telecenter_protocol::address::NodeAddress;

use crate::api::{ErrorBody, InfoView};
use crate::net::Outgoing;
use crate::node::{Node, NodeError, run_blocking as blocking};
use crate::store::PeerRow;
use backoff::Backoff;

pub mod backoff;
mod images;
pub mod mail;
mod polls;
mod pull;
#[cfg(test)]
mod tests;
pub mod transport;

pub use images::{fetch_image, fetch_image_from_peers};
use polls::POLL_STATE_UNKNOWN;
pub use transport::HttpTransport;
use transport::{OutRequest, Reach, Transport};

/// Default time between repair rounds with each peer, in ms.
pub const SYNC_INTERVAL_MS_DEFAULT: u64 = 60_000;
/// Timeout of one ordinary sync request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Most fetch or push requests in one round (a round that needs more continues next time).
const ROUND_REQUESTS_MAX: usize = 1_000;
/// Largest `/api/v1/info` answer read when adding a peer.
const INFO_BYTES_MAX: usize = 64 * 1024;

/// Why talking to a peer failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The peer could not be reached or did not answer in time.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The peer's address.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The peer answered with an error.
    #[error("{url} refused: {message} ({status})")]
    Refused {
        /// The peer's address.
        url: String,
        /// HTTP status.
        status: u16,
        /// The peer's error code (empty when it gave none).
        code: String,
        /// The peer's reason.
        message: String,
    },
    /// The peer's answer is not what the protocol says.
    #[error("{url} sent an invalid answer: {reason}")]
    BadAnswer {
        /// The peer's address.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The address given is not a node address.
    #[error("{url}: {reason}")]
    BadAddress {
        /// The address given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A published address that the address rules do not let this node contact.
    #[error("will not contact {url}: {reason}")]
    AddressRefused {
        /// The published address.
        url: String,
        /// Which rule refused it.
        reason: String,
    },
    /// The peer has no address (it connects to us).
    #[error("{0} has no address; it syncs by connecting to this node")]
    NoUrl(CenterId),
    /// This node failed.
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// What one round with one peer did.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct RoundReport {
    /// The peer.
    pub center_id: String,
    /// Its name.
    pub name: String,
    /// Its address.
    pub url: Option<String>,
    /// Whether the round completed.
    pub ok: bool,
    /// Changes received and applied.
    pub received: u64,
    /// Changes sent that the peer applied.
    pub sent: u64,
    /// Changes the peer has that this node still lacks.
    pub behind: u64,
    /// The error, if the round failed.
    pub error: Option<String>,
}

/// Checks and normalises a peer address given by an operator with the one
/// parser of node addresses ([`NodeAddress::parse`]): `http(s)://host[:port]`, no
/// path, query, user or fragment.
pub fn normalise_peer_url(text: &str) -> Result<String, String> {
    NodeAddress::parse(text)
        .map(|address| address.as_str().to_owned())
        .map_err(|e| e.to_string())
}

/// The HTTP client for operator-chosen peers, made as the node's outgoing
/// settings say (TLS roots, CA file): no redirects followed, timeouts on everything.
pub fn peer_client(node: &Node) -> Result<reqwest::Client, NodeError> {
    node.outgoing()
        .peer_client()
        .map_err(|e| NodeError::Internal(e.to_string()))
}

fn unreachable(url: &str) -> impl FnOnce(reqwest::Error) -> SyncError + '_ {
    move |e| SyncError::Unreachable {
        url: url.to_owned(),
        reason: crate::net::describe(&e),
    }
}

async fn read_limited(
    url: &str,
    mut response: reqwest::Response,
    bytes_max: usize,
) -> Result<Vec<u8>, SyncError> {
    let mut body = Vec::new();
    loop {
        let chunk = response.chunk().await.map_err(unreachable(url))?;
        let Some(chunk) = chunk else { break };
        if body.len() + chunk.len() > bytes_max {
            return Err(SyncError::BadAnswer {
                url: url.to_owned(),
                reason: format!("answer larger than {bytes_max} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Fetches a node's public identity from its address.
pub async fn fetch_info(
    client: &reqwest::Client,
    url: &str,
) -> Result<(CenterId, InfoView), SyncError> {
    let response = client
        .get(format!("{url}/api/v1/info"))
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .map_err(unreachable(url))?;
    let status = response.status();
    let body = read_limited(url, response, INFO_BYTES_MAX).await?;
    if !status.is_success() {
        return Err(SyncError::Refused {
            url: url.to_owned(),
            status: status.as_u16(),
            code: String::new(),
            message: "it does not answer like a telecenter node".to_owned(),
        });
    }
    let info: InfoView = serde_json::from_slice(&body).map_err(|e| SyncError::BadAnswer {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    let center = info
        .center_id
        .parse::<CenterId>()
        .map_err(|e| SyncError::BadAnswer {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
    Ok((center, info))
}

/// Adds the node at `url` as a peer (and trusts its center); returns its info.
pub async fn add_peer_by_url(
    node: &Arc<Node>,
    client: &reqwest::Client,
    url: &str,
) -> Result<InfoView, SyncError> {
    let address = NodeAddress::parse(url).map_err(|e| SyncError::BadAddress {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    if let Some(warning) = crate::net::plain_http_warning(&address) {
        tracing::warn!("{warning}");
    }
    let url = address.as_str().to_owned();
    let (center, info) = fetch_info(client, &url).await?;
    let node = node.clone();
    let name = info.name.clone();
    blocking(move || node.add_peer(&center, &name, Some(&url))).await?;
    Ok(info)
}

/// Runs rounds with peers.
#[derive(Clone)]
pub struct SyncEngine {
    node: Arc<Node>,
    /// For addresses the operator gave (peers): adding peers, photos.
    client: reqwest::Client,
    /// Where the peer protocol's requests go out (HTTP, or the simulation's network).
    transport: Arc<dyn Transport>,
    outgoing: Arc<Outgoing>,
    /// What each peer is known to hold, from its last summary and our pushes.
    theirs: Arc<std::sync::Mutex<BTreeMap<CenterId, BTreeMap<String, u64>>>>,
    /// The digest of this node's routes each center last said it holds.
    routes_seen: Arc<std::sync::Mutex<std::collections::HashMap<CenterId, String>>>,
    /// What each peer was last told we hold (so long polls send only changes).
    polls: Arc<polls::PollViews>,
}

impl SyncEngine {
    /// An engine for `node`.
    /// Its HTTP clients follow the node's outgoing settings ([`Node::outgoing`]).
    pub fn new(node: Arc<Node>) -> Result<Self, NodeError> {
        let transport = HttpTransport::for_node(&node)?;
        let client = transport.client.clone();
        Ok(Self::with(node, client, Arc::new(transport)))
    }

    /// An engine for `node` whose peer-protocol requests go through `transport`
    /// (the deterministic simulation's network); photos do not travel.
    pub fn with_transport(
        node: Arc<Node>,
        transport: Arc<dyn Transport>,
    ) -> Result<Self, NodeError> {
        let client = node
            .outgoing()
            .peer_client()
            .map_err(|e| NodeError::Internal(e.to_string()))?;
        Ok(Self::with(node, client, transport))
    }

    fn with(node: Arc<Node>, client: reqwest::Client, transport: Arc<dyn Transport>) -> Self {
        Self {
            client,
            transport,
            outgoing: node.outgoing(),
            node,
            theirs: Arc::default(),
            routes_seen: Arc::default(),
            polls: Arc::default(),
        }
    }

    /// The node.
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// The HTTP client used for peers.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        peer: &PeerRow,
        path: &str,
        body: &B,
        timeout: Duration,
    ) -> Result<T, SyncError> {
        let url = peer.url.clone().ok_or(SyncError::NoUrl(peer.center_id))?;
        self.post_to(
            Reach::Peer,
            &peer.center_id,
            url,
            path,
            body,
            timeout,
            false,
        )
        .await
    }

    /// Sends one hop-signed POST to `center` at `url` and reads its JSON answer;
    /// with `signed_answer`, the answer must carry `center`'s signature for this
    /// very request (pair exchanges act on what the answer says).
    #[allow(clippy::too_many_arguments)] // one private call shape for both kinds of address
    async fn post_to<B: Serialize, T: DeserializeOwned>(
        &self,
        reach: Reach,
        center: &CenterId,
        url: String,
        path: &str,
        body: &B,
        timeout: Duration,
        signed_answer: bool,
    ) -> Result<T, SyncError> {
        let bytes = serde_json::to_vec(body).map_err(|e| NodeError::Internal(e.to_string()))?;
        let auth = self.node.sign_request(center, "POST", path, &bytes)?;
        let nonce = telecenter_protocol::hop::HopAuth::parse(&auth)
            .map_err(|e| NodeError::Internal(e.to_string()))?
            .nonce;
        let answer = self
            .transport
            .post(OutRequest {
                reach,
                url: url.clone(),
                path: path.to_owned(),
                authorization: auth,
                body: bytes,
                timeout,
                bytes_max: SYNC_BODY_BYTES_MAX,
            })
            .await?;
        let (status, signature, body) = (answer.status, answer.signature, answer.body);
        if !(200..300).contains(&status) {
            let (code, message) = serde_json::from_slice::<ErrorBody>(&body)
                .map(|b| (b.error.code, b.error.message))
                .unwrap_or_else(|_| (String::new(), "no reason given".to_owned()));
            return Err(SyncError::Refused {
                url,
                status,
                code,
                message,
            });
        }
        if signed_answer {
            let checked = signature
                .ok_or_else(|| "the answer is not signed".to_owned())
                .and_then(|header| {
                    self.node
                        .check_response(&header, center, nonce, path, &body)
                        .map_err(|e| format!("the answer's signature is not valid: {e}"))
                });
            if let Err(reason) = checked {
                return Err(SyncError::BadAnswer { url, reason });
            }
        }
        serde_json::from_slice(&body).map_err(|e| SyncError::BadAnswer {
            url,
            reason: e.to_string(),
        })
    }

    /// Asks the peer for its summary; with `wait_ms` > 0 the peer holds the answer
    /// until it has news for us or the time is up.
    async fn summary(&self, peer: &PeerRow, wait_ms: u32) -> Result<SummaryResponse, SyncError> {
        let have = self.node.have();
        // A long poll sends only what changed since the last summary request
        // to this peer (a repair round always sends the whole map).
        let (sent, delta) = self.polls.request(&peer.center_id, &have, wait_ms > 0);
        let timeout = REQUEST_TIMEOUT + Duration::from_millis(u64::from(wait_ms));
        let mut answer = self
            .post::<_, SummaryResponse>(
                peer,
                "/api/v1/sync/summary",
                &SummaryRequest {
                    have: sent,
                    wait_ms,
                    delta,
                },
                timeout,
            )
            .await;
        if let (
            true,
            Err(SyncError::Refused {
                status: 400, code, ..
            }),
        ) = (delta, &answer)
        {
            // The peer forgot what we hold (it restarted), or predates
            // deltas: send the whole map.
            self.polls
                .refused_delta(&peer.center_id, code != POLL_STATE_UNKNOWN);
            let (sent, _) = self.polls.request(&peer.center_id, &have, false);
            let request = SummaryRequest {
                have: sent,
                wait_ms,
                delta: false,
            };
            answer = self
                .post(peer, "/api/v1/sync/summary", &request, timeout)
                .await;
        }
        let summary = answer.inspect_err(|_| self.polls.forget(&peer.center_id))?;
        self.polls.answered(&peer.center_id, have);
        if summary.center_id != peer.center_id.to_string() {
            return Err(SyncError::BadAnswer {
                url: peer.url.clone().unwrap_or_default(),
                reason: format!(
                    "it answered as {} instead of {}",
                    summary.center_id, peer.center_id
                ),
            });
        }
        Ok(summary)
    }

    fn remember(&self, peer: &CenterId, have: &BTreeMap<String, u64>, full: bool) {
        let mut known = self.theirs.lock().unwrap_or_else(|p| p.into_inner());
        let entry = known.entry(*peer).or_default();
        if full {
            *entry = have.clone();
        } else {
            for (doc, seq) in have {
                let slot = entry.entry(doc.clone()).or_insert(0);
                *slot = (*slot).max(*seq);
            }
        }
    }

    fn known(&self, peer: &CenterId) -> Option<BTreeMap<String, u64>> {
        self.theirs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(peer)
            .cloned()
    }

    /// Pushes to `peer` what this node holds beyond what the peer is known to
    /// hold, for the catalogs the peer offers. Returns the changes it applied.
    async fn push(&self, peer: &PeerRow) -> Result<u64, SyncError> {
        let mut sent = 0;
        for _ in 0..ROUND_REQUESTS_MAX {
            let Some(theirs) = self.known(&peer.center_id) else {
                break;
            };
            let want = lacking(&self.node.have(), &theirs);
            if want.is_empty() {
                break;
            }
            let node = self.node.clone();
            let changes = blocking(move || node.fetch(&want)).await?;
            if changes.changes.is_empty() {
                break;
            }
            // What the peer will hold if it takes everything: the seqs just sent.
            let mut now_held = BTreeMap::new();
            for text in &changes.changes {
                if let Some((doc, seq)) = chain_and_seq(text) {
                    now_held.insert(doc, seq);
                }
            }
            let count = changes.changes.len();
            let answer: PushResponse = self
                .post(
                    peer,
                    "/api/v1/sync/push",
                    &Changes {
                        changes: changes.changes,
                        more: false,
                    },
                    REQUEST_TIMEOUT,
                )
                .await?;
            sent += u64::from(answer.applied);
            if answer.applied as usize + answer.duplicates as usize == count {
                self.remember(&peer.center_id, &now_held, false);
            } else {
                // Some were held back or refused: learn the peer's real state.
                let summary = self.summary(peer, 0).await?;
                self.remember(&peer.center_id, &summary.have, true);
                if answer.applied == 0 {
                    break;
                }
            }
        }
        Ok(sent)
    }

    /// One full round with `peer`: exchange summaries, pull what it has that we
    /// accept and lack, then push what we have that it offers and lacks.
    pub async fn round(&self, peer: &PeerRow) -> Result<RoundReport, SyncError> {
        let summary = self.summary(peer, 0).await?;
        self.remember(&peer.center_id, &summary.have, true);
        let received = self.pull(peer, &summary.have).await?;
        self.pull_thumbnails(peer).await;
        let sent = self.push(peer).await?;
        let behind = lacking(&summary.have, &self.node.have())
            .iter()
            .filter_map(|(chain, held)| Some(summary.have.get(chain)?.saturating_sub(*held)))
            .sum();
        Ok(RoundReport {
            center_id: peer.center_id.to_string(),
            name: peer.name.clone(),
            url: peer.url.clone(),
            ok: true,
            received,
            sent,
            behind,
            error: None,
        })
    }

    /// Waits (long poll) until `peer` has news for us, then takes it: the inline
    /// changes first, then anything more by fetching.
    async fn listen(&self, peer: &PeerRow) -> Result<(), SyncError> {
        let news = self.summary(peer, SYNC_WAIT_MS_MAX).await?;
        if news.have.is_empty() {
            return Ok(());
        }
        self.remember(&peer.center_id, &news.have, false);
        let mut received = 0;
        if !news.changes.is_empty() {
            received += self.apply_envelopes(peer, &news.changes).await?;
        }
        received += self.pull(peer, &news.have).await?;
        if received == 0 {
            // News that brought nothing: the peer's idea of what we hold is
            // behind (a poll it never got); the next poll sends the whole map.
            self.polls.forget(&peer.center_id);
        }
        self.pull_thumbnails(peer).await;
        Ok(())
    }

    /// Runs one round with every peer that has an address, all at once; one slow
    /// peer does not hold up the others. Records each outcome.
    pub async fn sync_all(&self) -> Result<Vec<RoundReport>, NodeError> {
        let peers = self.node.peers()?;
        let mut tasks = JoinSet::new();
        for peer in peers.into_iter().filter(|p| p.url.is_some()) {
            let engine = self.clone();
            tasks.spawn(async move { engine.round_and_record(&peer).await });
        }
        let mut reports = Vec::new();
        while let Some(result) = tasks.join_next().await {
            reports.push(result.map_err(|e| NodeError::Internal(e.to_string()))?);
        }
        reports.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(reports)
    }

    async fn round_and_record(&self, peer: &PeerRow) -> RoundReport {
        let result = self.round(peer).await;
        let node = self.node.clone();
        let center = peer.center_id;
        let report = match result {
            Ok(report) => report,
            Err(error) => {
                tracing::info!(peer = %peer.name, %error, "sync round failed");
                RoundReport {
                    center_id: peer.center_id.to_string(),
                    name: peer.name.clone(),
                    url: peer.url.clone(),
                    ok: false,
                    error: Some(error.to_string()),
                    ..RoundReport::default()
                }
            }
        };
        let outcome = report.clone();
        let _ = blocking(move || match &outcome.error {
            None => node.record_sync(&center, Ok(outcome.behind)),
            Some(error) => node.record_sync(&center, Err(error)),
        })
        .await;
        report
    }

    /// Runs the background sync until the returned handle is aborted: one task
    /// per peer with an address (peers added later are picked up). Aborting it
    /// ends every loop it started, open long polls included (their requests
    /// are dropped with them).
    pub fn spawn(self, interval_ms: u64) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            // Orders and settlements travel on their own loop; it ends with this task.
            let pair = tokio::spawn(self.clone().pair_loop(interval_ms));
            let _abort_pair = AbortOnDrop(pair);
            // Each peer's loops end with this task too (a dropped `JoinHandle`
            // would leave them running, long polls open, after a stop).
            let mut running: BTreeMap<CenterId, AbortOnDrop> = BTreeMap::new();
            let mut changes = self.node.subscribe();
            loop {
                let peers = self.node.peers().unwrap_or_default();
                running.retain(|center, handle| {
                    let keep = peers
                        .iter()
                        .any(|p| p.center_id == *center && p.url.is_some());
                    if !keep {
                        handle.0.abort();
                    }
                    keep && !handle.0.is_finished()
                });
                for peer in peers.into_iter().filter(|p| p.url.is_some()) {
                    if !running.contains_key(&peer.center_id) {
                        let engine = self.clone();
                        let center = peer.center_id;
                        running.insert(
                            center,
                            AbortOnDrop(tokio::spawn(async move {
                                tokio::join!(
                                    engine.peer_loop(center, interval_ms),
                                    engine.mail_peer_loop(center)
                                );
                            })),
                        );
                    }
                }
                // Peer list changes come with a node change; check at least every few seconds.
                tokio::select! {
                    _ = changes.changed() => {}
                    () = tokio::time::sleep(Duration::from_secs(5)) => {}
                }
            }
        })
    }

    async fn peer_loop(&self, center: CenterId, interval_ms: u64) {
        let mut changes = self.node.subscribe();
        let mut backoff = Backoff::default();
        let mut full_round_due = true;
        loop {
            let Some(peer) = self
                .node
                .peers()
                .ok()
                .and_then(|peers| peers.into_iter().find(|p| p.center_id == center))
            else {
                return;
            };
            changes.mark_unchanged();
            let result = if full_round_due {
                self.round_and_record(&peer).await.ok
            } else if self.node.polls_here(&peer.center_id) {
                // The peer long-polls this node: the answer to its poll (or
                // the next poll it opens) brings it the news; pushing them too
                // would send every change twice.
                self.pull_thumbnails(&peer).await;
                true
            } else {
                // A local or received change: push it on at once (no summary needed),
                // and fetch the thumbnails of listings that just arrived.
                match self.push(&peer).await {
                    Ok(_) => {
                        self.pull_thumbnails(&peer).await;
                        true
                    }
                    Err(error) => {
                        tracing::info!(peer = %peer.name, %error, "push failed");
                        false
                    }
                }
            };
            if !result {
                full_round_due = true;
                tokio::select! {
                    () = tokio::time::sleep(backoff.failed()) => {}
                    _ = changes.changed() => {}
                }
                continue;
            }
            backoff.succeeded();
            full_round_due = false;
            let interval = tokio::time::sleep(Duration::from_millis(interval_ms));
            tokio::pin!(interval);
            loop {
                tokio::select! {
                    _ = changes.changed() => break,
                    result = self.listen(&peer) => {
                        if let Err(error) = result {
                            tracing::info!(peer = %peer.name, %error, "listening failed");
                            full_round_due = true;
                            tokio::select! {
                                () = tokio::time::sleep(backoff.failed()) => {}
                                _ = changes.changed() => {}
                            }
                            break;
                        }
                    }
                    () = &mut interval => {
                        full_round_due = true;
                        break;
                    }
                }
            }
        }
    }
}

/// Aborts a background task when dropped (e.g. when its parent is aborted).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The signed envelope inside a base64 change (bookkeeping only: nothing is
/// trusted before the receiver verifies it).
fn envelope_of(text: &str) -> Option<telecenter_protocol::SignedChange> {
    let bytes = telecenter_protocol::b64::decode(text).ok()?;
    telecenter_protocol::SignedChange::from_bytes(&bytes).ok()
}

/// The chain id (document and writing epoch) and seq of a base64 envelope
/// (not verified: only where to ask from next, or what a peer now holds).
fn chain_and_seq(text: &str) -> Option<(String, u64)> {
    let signed = envelope_of(text)?;
    let change = automerge::Change::try_from(signed.change.as_slice()).ok()?;
    let epoch = epoch_of_actor(&signed.doc.owner, change.actor_id())?;
    let chain = ChainId {
        doc: signed.doc,
        epoch,
    };
    Some((chain.to_string(), change.seq()))
}
