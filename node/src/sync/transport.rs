//! How the sync engine's requests leave the node: one hop-signed POST, one
//! bounded answer.
//!
//! A running node sends them over HTTP(S) with reqwest ([`HttpTransport`]). The
//! deterministic simulation (`tests/simulation/`) hands the engine its own
//! [`Transport`] that drives the other nodes' routers in the same process, so the
//! engine's real code — summaries, fetch, push, mail exchange — runs on a network
//! whose losses, duplicates, delays and partitions come from one seed.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::{SyncError, read_limited, unreachable};
use crate::{Node, NodeError};

/// Which of the node's clients a request goes out on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// An address the operator gave (a peer): any address.
    Peer,
    /// An address another center published: only public addresses (see [`crate::net`]).
    Published,
}

/// One request of the peer protocol, ready to send.
#[derive(Clone, Debug)]
pub struct OutRequest {
    /// Which client sends it.
    pub reach: Reach,
    /// The node's address, `http(s)://host[:port]`.
    pub url: String,
    /// The path, e.g. `/api/v1/sync/summary`.
    pub path: String,
    /// The hop signature header (`Authorization`).
    pub authorization: String,
    /// The JSON body.
    pub body: Vec<u8>,
    /// How long the whole exchange may take.
    pub timeout: Duration,
    /// The largest answer body read.
    pub bytes_max: usize,
}

/// What came back.
#[derive(Clone, Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The answer's hop signature header, if any.
    pub signature: Option<String>,
    /// The body (at most the request's `bytes_max`).
    pub body: Vec<u8>,
}

/// A future of an [`Answer`].
pub type AnswerFuture<'a> = Pin<Box<dyn Future<Output = Result<Answer, SyncError>> + Send + 'a>>;

/// Sends the sync engine's requests.
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` and reads its answer within its bounds.
    fn post(&self, request: OutRequest) -> AnswerFuture<'_>;

    /// Whether photos travel on this transport too (thumbnails after a round).
    fn carries_images(&self) -> bool {
        false
    }
}

/// The transport of a running node: reqwest, with the node's outgoing settings.
pub struct HttpTransport {
    /// For addresses the operator gave (peers).
    pub(super) client: reqwest::Client,
    /// For addresses other centers published.
    pub(super) published: reqwest::Client,
}

impl HttpTransport {
    /// The clients of `node`'s outgoing settings ([`Node::outgoing`]).
    pub fn for_node(node: &Node) -> Result<Self, NodeError> {
        let outgoing = node.outgoing();
        let internal = |e: crate::net::NetError| NodeError::Internal(e.to_string());
        Ok(Self {
            client: outgoing.peer_client().map_err(internal)?,
            published: outgoing.published_client().map_err(internal)?,
        })
    }
}

impl Transport for HttpTransport {
    fn post(&self, request: OutRequest) -> AnswerFuture<'_> {
        Box::pin(async move {
            let client = match request.reach {
                Reach::Peer => &self.client,
                Reach::Published => &self.published,
            };
            let url = request.url;
            let response = client
                .post(format!("{url}{}", request.path))
                .header(reqwest::header::AUTHORIZATION, request.authorization)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(request.body)
                .timeout(request.timeout)
                .send()
                .await
                .map_err(unreachable(&url))?;
            let status = response.status().as_u16();
            let signature = response
                .headers()
                .get(crate::node::RESPONSE_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = read_limited(&url, response, request.bytes_max).await?;
            Ok(Answer {
                status,
                signature,
                body,
            })
        })
    }

    fn carries_images(&self) -> bool {
        true
    }
}
