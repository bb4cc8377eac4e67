//! Where a command's work happens: in this process on the database (when no
//! node is serving), or through the serving node's admin API. Both give the same
//! answers in the same shapes.

use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use reqwest::Method;
use telecenter_node::api::{
    AddPeer, ErrorBody, InfoView, ListingView, ListingsView, PeerView, TrustView,
};
use telecenter_node::data_dir::{DataDir, DataDirError, WriteLock};
use telecenter_node::search::RawSearch;
use telecenter_node::store::ListingRow;
use telecenter_node::sync::{RoundReport, SyncEngine, add_peer_by_url, peer_client};
use telecenter_node::{Clock, Node};
use telecenter_protocol::ListingId;
use telecenter_protocol::catalog::Lang;
use telecenter_protocol::catalog::input::{ListingPatch, NewListing, ProfileInput};

/// How long the CLI waits for a running node's answer.
const REMOTE_TIMEOUT_SECS: u64 = 30;

/// Where commands run.
pub(crate) enum Backend {
    /// This process holds the write lock and the database.
    Local {
        /// The node, opened from the data folder.
        node: Arc<Node>,
        /// Held for as long as the command runs.
        _lock: WriteLock,
    },
    /// A serving node holds the data folder; talk to its admin API.
    Remote {
        /// HTTP client (no redirects, with a timeout).
        client: reqwest::Client,
        /// The node's base URL.
        url: String,
        /// The admin token.
        token: String,
    },
}

fn parse_id(id: &str) -> Result<ListingId> {
    Ok(id.parse::<ListingId>()?)
}

/// Reads a node's answer: the JSON view on success, else its one-line reason.
async fn decode<T: serde::de::DeserializeOwned>(
    url: &str,
    response: reqwest::Response,
) -> Result<T> {
    let status = response.status();
    let bytes = response.bytes().await?;
    if status.is_success() {
        return serde_json::from_slice(&bytes)
            .with_context(|| format!("unexpected answer from the node at {url}"));
    }
    match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(body) => Err(crate::errors::ApiFailure {
            code: body.error.code,
            message: body.error.message,
            field: body.error.field,
            reason: body.error.reason,
        }
        .into()),
        Err(_) => Err(anyhow!("the node at {url} answered {status}")),
    }
}

impl Backend {
    /// Opens the data folder, or finds the node that is serving it.
    pub(crate) async fn connect(data: &DataDir, clock: Arc<dyn Clock>) -> Result<Self> {
        if !data.is_initialised() && !data.db_path().exists() {
            return Err(DataDirError::NotInitialised(data.root().to_owned()).into());
        }
        if let Some(lock) = data.try_lock()? {
            let node = data.open(clock, &lock)?;
            return Ok(Backend::Local {
                node: Arc::new(node),
                _lock: lock,
            });
        }
        let runtime = data
            .runtime()?
            .ok_or_else(|| DataDirError::Busy(data.root().to_owned()))?;
        // The node's own TLS settings (CA file) apply: it may serve https.
        let client = data
            .outgoing()?
            .client_builder()?
            .timeout(std::time::Duration::from_secs(REMOTE_TIMEOUT_SECS))
            .build()?;
        Ok(Backend::Remote {
            client,
            url: runtime.url,
            token: data.admin_token()?,
        })
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        query: Option<&RawSearch>,
        body: Option<serde_json::Value>,
    ) -> Result<T> {
        let Backend::Remote { client, url, token } = self else {
            bail!("not connected to a running node");
        };
        let mut request = client
            .request(method, format!("{url}{path}"))
            .bearer_auth(token);
        if let Some(query) = query {
            request = request.query(&query_pairs(query));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("the running node at {url} did not answer"))?;
        decode(url, response).await
    }

    /// Runs one admin operation: `local` on the database when this process holds
    /// it, else `method path` with `body` on the serving node's admin API. Both
    /// return the same JSON view.
    pub(crate) async fn admin<T, F>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        local: F,
    ) -> Result<T>
    where
        T: serde::de::DeserializeOwned,
        F: FnOnce(&Arc<Node>) -> Result<T, telecenter_node::NodeError>,
    {
        match self {
            Backend::Local { node, .. } => Ok(local(node)?),
            Backend::Remote { .. } => self.call(method, path, None, body).await,
        }
    }

    /// Calls the serving node's admin API (an error when working locally).
    pub(crate) async fn remote<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> Result<T> {
        self.call(method, path, None, None).await
    }

    /// The node, when this process holds the database.
    pub(crate) fn local_node(&self) -> Option<&Arc<Node>> {
        match self {
            Backend::Local { node, .. } => Some(node),
            Backend::Remote { .. } => None,
        }
    }

    /// Adds a listing.
    pub(crate) async fn add(&self, input: NewListing) -> Result<ListingView> {
        let body = serde_json::to_value(&input)?;
        self.admin(Method::POST, "/api/v1/admin/listings", Some(body), |node| {
            Ok(ListingView::new(&node.add_listing(&input)?, Lang::Id))
        })
        .await
    }

    /// Checks, resizes and stores a photo; returns its image names.
    pub(crate) async fn upload_photo(
        &self,
        bytes: Vec<u8>,
    ) -> Result<telecenter_protocol::catalog::Photo> {
        match self {
            Backend::Local { node, .. } => Ok(node.store_photo(&bytes)?),
            Backend::Remote { client, url, token } => {
                let response = client
                    .post(format!("{url}/api/v1/admin/images"))
                    .bearer_auth(token)
                    .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                    .body(bytes)
                    .send()
                    .await
                    .with_context(|| format!("the running node at {url} did not answer"))?;
                decode(url, response).await
            }
        }
    }

    /// Changes a listing.
    pub(crate) async fn update(&self, id: &str, patch: ListingPatch) -> Result<ListingView> {
        let body = serde_json::to_value(&patch)?;
        self.one_listing(Method::PATCH, id, Some(body), |node, id| {
            node.update_listing(id, &patch)
        })
        .await
    }

    /// Removes a listing.
    pub(crate) async fn remove(&self, id: &str) -> Result<ListingView> {
        self.one_listing(Method::DELETE, id, None, |node, id| node.remove_listing(id))
            .await
    }

    /// One of this center's listings.
    pub(crate) async fn show(&self, id: &str) -> Result<ListingView> {
        self.one_listing(Method::GET, id, None, |node, id| node.own_listing(id))
            .await
    }

    /// Runs `method` on `/api/v1/admin/listings/{id}`, or `local` on the
    /// database; either way the listing as the admin API shows it.
    async fn one_listing<F>(
        &self,
        method: Method,
        id: &str,
        body: Option<serde_json::Value>,
        local: F,
    ) -> Result<ListingView>
    where
        F: FnOnce(&Arc<Node>, &ListingId) -> Result<ListingRow, telecenter_node::NodeError>,
    {
        let id = parse_id(id)?;
        self.admin(
            method,
            &format!("/api/v1/admin/listings/{id}"),
            body,
            |node| Ok(ListingView::new(&local(node, &id)?, Lang::Id)),
        )
        .await
    }

    /// This center's listings.
    pub(crate) async fn own_listings(&self, raw: RawSearch) -> Result<ListingsView> {
        match self {
            Backend::Local { node, .. } => {
                let mut query = raw.validate()?;
                query.center = Some(node.center_id());
                Ok(ListingsView::new(&node.search(&query)?, query.lang))
            }
            Backend::Remote { .. } => {
                self.call(
                    reqwest::Method::GET,
                    "/api/v1/admin/listings",
                    Some(&raw),
                    None,
                )
                .await
            }
        }
    }

    /// Searches the whole catalog (active listings).
    pub(crate) async fn search(&self, raw: RawSearch) -> Result<ListingsView> {
        match self {
            Backend::Local { node, .. } => {
                let query = raw.validate()?;
                Ok(ListingsView::new(&node.search(&query)?, query.lang))
            }
            Backend::Remote { .. } => {
                self.call(reqwest::Method::GET, "/api/v1/listings", Some(&raw), None)
                    .await
            }
        }
    }

    /// The center's info.
    pub(crate) async fn info(&self) -> Result<InfoView> {
        self.admin(Method::GET, "/api/v1/info", None, |node| {
            Ok(InfoView::new(&node.profile()?))
        })
        .await
    }

    /// Changes the center's profile.
    pub(crate) async fn set_profile(&self, input: ProfileInput) -> Result<InfoView> {
        let body = serde_json::to_value(&input)?;
        self.admin(Method::PATCH, "/api/v1/admin/profile", Some(body), |node| {
            Ok(InfoView::new(&node.set_profile(&input)?))
        })
        .await
    }
}

impl Backend {
    /// Adds a peer by address (fetching its identity) or, without address, by center id and name.
    pub(crate) async fn add_peer(&self, request: AddPeer) -> Result<PeerView> {
        match self {
            Backend::Local { node, .. } => {
                let center = match (&request.url, &request.center_id) {
                    (Some(url), None) => {
                        let info = add_peer_by_url(node, &peer_client(node)?, url).await?;
                        info.center_id.parse::<telecenter_protocol::CenterId>()?
                    }
                    (None, Some(center)) => {
                        let center = center.parse::<telecenter_protocol::CenterId>()?;
                        let name = request.name.clone().unwrap_or_default();
                        let name = telecenter_protocol::text::text_line("name", &name, 1, 100)?;
                        node.add_peer(&center, &name, None)?;
                        center
                    }
                    _ => bail!("give either a peer address, or --center and --name"),
                };
                let peers = node.peers()?;
                let row = peers
                    .iter()
                    .find(|p| p.center_id == center)
                    .ok_or_else(|| anyhow!("the peer was not recorded"))?;
                Ok(PeerView::new(row))
            }
            Backend::Remote { .. } => {
                self.call(
                    reqwest::Method::POST,
                    "/api/v1/admin/peers",
                    None,
                    Some(serde_json::to_value(request)?),
                )
                .await
            }
        }
    }

    /// The configured peers.
    pub(crate) async fn peers(&self) -> Result<Vec<PeerView>> {
        self.admin(Method::GET, "/api/v1/admin/peers", None, |node| {
            Ok(node.peers()?.iter().map(PeerView::new).collect())
        })
        .await
    }

    /// Removes a peer.
    pub(crate) async fn remove_peer(&self, center: &str) -> Result<Vec<PeerView>> {
        let center = center.parse::<telecenter_protocol::CenterId>()?;
        self.admin(
            Method::DELETE,
            &format!("/api/v1/admin/peers/{center}"),
            None,
            |node| {
                node.remove_peer(&center)?;
                Ok(node.peers()?.iter().map(PeerView::new).collect())
            },
        )
        .await
    }

    /// Trust decisions and accepted centers.
    pub(crate) async fn trust_view(&self) -> Result<TrustView> {
        self.admin(Method::GET, "/api/v1/admin/trust", None, |node| {
            Ok(TrustView::of(node))
        })
        .await
    }

    /// `trust`, `block` or `unblock` a center.
    pub(crate) async fn decide(&self, action: &str, center: &str) -> Result<TrustView> {
        let center = center.parse::<telecenter_protocol::CenterId>()?;
        self.admin(
            Method::POST,
            &format!("/api/v1/admin/{action}/{center}"),
            None,
            |node| {
                match action {
                    "trust" => node.trust(&center)?,
                    "block" => node.block(&center)?,
                    _ => node.unblock(&center)?,
                }
                Ok(TrustView::of(node))
            },
        )
        .await
    }

    /// One sync round with every peer now.
    pub(crate) async fn sync(&self) -> Result<Vec<RoundReport>> {
        match self {
            Backend::Local { node, .. } => Ok(SyncEngine::new(node.clone())?.sync_all().await?),
            Backend::Remote { .. } => {
                self.call(reqwest::Method::POST, "/api/v1/admin/sync", None, None)
                    .await
            }
        }
    }
}

fn query_pairs(raw: &RawSearch) -> Vec<(&'static str, String)> {
    let fields = [
        ("q", &raw.q),
        ("category", &raw.category),
        ("center", &raw.center),
        ("min_price", &raw.min_price),
        ("max_price", &raw.max_price),
        ("limit", &raw.limit),
        ("offset", &raw.offset),
        ("lang", &raw.lang),
        ("sort", &raw.sort),
        ("status", &raw.status),
    ];
    fields
        .into_iter()
        .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
        .collect()
}
