//! Networks for the benchmark: a transport that counts what the sync engine
//! sends and receives, a TCP proxy that counts every byte on the wire (so
//! headers are the wire less the bodies), and an in-process network for the
//! scale simulation that hands requests to the other nodes' real routers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use telecenter_node::sync::SyncError;
use telecenter_node::sync::transport::{Answer, AnswerFuture, OutRequest, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// Counts the bodies of every request and answer through `inner`.
pub(crate) struct CountingTransport<T> {
    inner: T,
    bytes: AtomicU64,
    requests: AtomicU64,
}

impl<T: Transport> CountingTransport<T> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: T) -> Self {
        Self {
            inner,
            bytes: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        }
    }

    /// Request and answer bodies so far.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Requests so far.
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl<T: Transport> Transport for CountingTransport<T> {
    fn post(&self, request: OutRequest) -> AnswerFuture<'_> {
        Box::pin(async move {
            let sent = request.body.len() as u64;
            let answer = self.inner.post(request).await;
            let received = answer.as_ref().map_or(0, |a| a.body.len() as u64);
            self.bytes.fetch_add(sent + received, Ordering::Relaxed);
            self.requests.fetch_add(1, Ordering::Relaxed);
            answer
        })
    }
}

/// A TCP proxy on loopback that counts the bytes it carries both ways.
pub(crate) struct Proxy {
    address: SocketAddr,
    bytes: Arc<AtomicU64>,
}

impl Proxy {
    /// Listens on `127.0.0.1:0` and forwards every connection to `target`
    /// (`http://host:port`).
    pub(crate) async fn start(target: &str) -> Self {
        let target = target.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy");
        let address = listener.local_addr().expect("address");
        let bytes = Arc::new(AtomicU64::new(0));
        let counted = bytes.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let target = target.clone();
                let counted = counted.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    let up = pipe(client_read, server_write, counted.clone());
                    let down = pipe(server_read, client_write, counted);
                    let _ = tokio::join!(up, down);
                });
            }
        });
        Self { address, bytes }
    }

    /// The address peers use.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Bytes carried both ways so far.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    counted: Arc<AtomicU64>,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                counted.fetch_add(n as u64, Ordering::Relaxed);
                if to.write_all(&buffer[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}

/// Bytes one node of the simulation sent and received (bodies).
#[derive(Default)]
pub(crate) struct Traffic {
    /// Request bodies sent plus answer bodies received.
    pub(crate) bytes: AtomicU64,
    /// Requests made plus requests answered.
    pub(crate) requests: AtomicU64,
}

/// The simulation's network: node `i` is `http://node-i`; a request is handed
/// to that node's router in this process, and both ends' traffic is counted.
pub(crate) struct Fabric {
    routers: HashMap<String, (usize, Router)>,
    /// Per node.
    pub(crate) traffic: Vec<Traffic>,
}

impl Fabric {
    /// A network of `routers`, node `i` being `routers[i]`.
    pub(crate) fn new(routers: Vec<Router>) -> Arc<Self> {
        let traffic = routers.iter().map(|_| Traffic::default()).collect();
        let routers = routers
            .into_iter()
            .enumerate()
            .map(|(i, r)| (url_of(i), (i, r)))
            .collect();
        Arc::new(Self { routers, traffic })
    }

    /// The transport node `from` sends on.
    pub(crate) fn transport(self: &Arc<Self>, from: usize) -> Arc<dyn Transport> {
        Arc::new(FabricTransport {
            fabric: self.clone(),
            from,
        })
    }

    fn count(&self, node: usize, bytes: u64) {
        self.traffic[node].bytes.fetch_add(bytes, Ordering::Relaxed);
        self.traffic[node].requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Node `i`'s bytes so far.
    pub(crate) fn bytes(&self, node: usize) -> u64 {
        self.traffic[node].bytes.load(Ordering::Relaxed)
    }

    /// Node `i`'s requests (made and answered) so far.
    pub(crate) fn requests(&self, node: usize) -> u64 {
        self.traffic[node].requests.load(Ordering::Relaxed)
    }
}

/// Node `i`'s address in the simulation.
pub(crate) fn url_of(i: usize) -> String {
    format!("http://node-{i}")
}

struct FabricTransport {
    fabric: Arc<Fabric>,
    from: usize,
}

impl Transport for FabricTransport {
    fn post(&self, request: OutRequest) -> AnswerFuture<'_> {
        Box::pin(async move {
            let unreachable = || SyncError::Unreachable {
                url: request.url.clone(),
                reason: "no such node".into(),
            };
            let (to, router) = self
                .fabric
                .routers
                .get(&request.url)
                .cloned()
                .ok_or_else(unreachable)?;
            let http = Request::post(request.path.as_str())
                .header("host", request.url.trim_start_matches("http://"))
                .header("authorization", request.authorization.as_str())
                .header("content-type", "application/json")
                .header("content-length", request.body.len())
                .extension(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))))
                .body(Body::from(request.body.clone()))
                .map_err(|_| unreachable())?;
            let response = router.oneshot(http).await.map_err(|_| unreachable())?;
            let status = response.status().as_u16();
            let signature = response
                .headers()
                .get(telecenter_node::node::RESPONSE_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = axum::body::to_bytes(response.into_body(), request.bytes_max)
                .await
                .map_err(|_| unreachable())?
                .to_vec();
            let bytes = (request.body.len() + body.len()) as u64;
            self.fabric.count(self.from, bytes);
            self.fabric.count(to, bytes);
            Ok(Answer {
                status,
                signature,
                body,
            })
        })
    }
}

/// The runtime of a part: two workers, as on the 2-core machines the figures
/// are for.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Serves `node` over HTTP on `127.0.0.1:0` until the runtime ends; returns
/// its address.
pub(crate) async fn serve(node: &Arc<telecenter_node::Node>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("listener");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(telecenter_node::app::serve(
        telecenter_node::server::AppState::new(node.clone(), None),
        listener,
        std::future::pending(),
    ));
    url
}
