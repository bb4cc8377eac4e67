//! The simulated network: every node's router in one process, reached without
//! sockets, with losses, duplicates, delays, reordering and partitions drawn from
//! the run's seed.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use telecenter_node::store::PowerCut;
use telecenter_node::sync::SyncError;
use telecenter_node::sync::transport::{Answer, AnswerFuture, OutRequest, Transport};
use tower::ServiceExt;

/// How often each fault happens, per request.
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    /// The request is lost on the way.
    pub drop_request: f64,
    /// The answer is lost on the way back (the request took effect).
    pub drop_answer: f64,
    /// The request arrives twice.
    pub duplicate: f64,
    /// The request is held and arrives later (after others: reordered); the sender times out.
    pub delay: f64,
}

/// One node as the network sees it.
#[derive(Default)]
pub struct Host {
    /// Its router while it is up.
    pub router: Option<Router>,
    /// Its armed power cut, if any.
    pub cut: Option<Arc<PowerCut>>,
    /// Its partition group: nodes talk only within a group.
    pub group: u32,
}

impl Host {
    /// Whether the power cut fired: the node is dead from that instant.
    pub fn cut_fired(&self) -> bool {
        self.cut.as_ref().is_some_and(|c| c.fired())
    }

    fn reachable(&self) -> bool {
        self.router.is_some() && !self.cut_fired()
    }
}

/// A request held back for later delivery.
struct Delayed {
    at_ms: i64,
    to: usize,
    request: OutRequest,
}

/// The state of the whole network.
pub struct NetState {
    pub hosts: Vec<Host>,
    pub faults: Faults,
    rng: StdRng,
    delayed: Vec<Delayed>,
    /// Simulated time, for delayed deliveries.
    pub now_ms: i64,
    /// Requests delivered, and their body bytes both ways.
    pub requests: u64,
    pub bytes: u64,
    /// What happened, for the replay check.
    pub trace: Vec<String>,
}

/// The shared network.
#[derive(Clone)]
pub struct Net(pub Arc<Mutex<NetState>>);

/// A node's address on the simulated network.
pub fn url_of(index: usize) -> String {
    format!("http://n{index}.sim")
}

fn index_of(url: &str) -> Option<usize> {
    url.strip_prefix("http://n")?
        .strip_suffix(".sim")?
        .parse()
        .ok()
}

fn unreachable(url: &str, reason: &str) -> SyncError {
    SyncError::Unreachable {
        url: url.to_owned(),
        reason: reason.to_owned(),
    }
}

enum Fate {
    Lost(&'static str),
    Deliver { duplicate: bool, drop_answer: bool },
}

impl Net {
    pub fn new(seed: u64, count: usize) -> Self {
        Self(Arc::new(Mutex::new(NetState {
            hosts: (0..count).map(|_| Host::default()).collect(),
            faults: Faults::default(),
            rng: StdRng::seed_from_u64(seed ^ 0x006e_6574_776f_726b),
            delayed: Vec::new(),
            now_ms: 0,
            requests: 0,
            bytes: 0,
            trace: Vec::new(),
        })))
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, NetState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The transport of node `from`.
    pub fn transport(&self, from: usize) -> Arc<dyn Transport> {
        Arc::new(SimTransport {
            net: self.clone(),
            from,
        })
    }

    fn fate(&self, from: usize, to: usize, request: &OutRequest) -> Fate {
        let mut state = self.state();
        let talk = state.hosts[from].reachable()
            && state.hosts[to].reachable()
            && state.hosts[from].group == state.hosts[to].group;
        if !talk {
            return Fate::Lost("partitioned or down");
        }
        let faults = state.faults;
        let roll: f64 = state.rng.r#gen();
        if roll < faults.drop_request {
            state
                .trace
                .push(format!("lost {from}->{to} {}", request.path));
            return Fate::Lost("request lost");
        }
        if roll < faults.drop_request + faults.delay {
            let at_ms = state.now_ms + state.rng.gen_range(1_000..600_000);
            state
                .trace
                .push(format!("delayed {from}->{to} {}", request.path));
            state.delayed.push(Delayed {
                at_ms,
                to,
                request: request.clone(),
            });
            return Fate::Lost("timed out");
        }
        let duplicate = state.rng.gen_bool(faults.duplicate);
        let drop_answer = state.rng.gen_bool(faults.drop_answer);
        Fate::Deliver {
            duplicate,
            drop_answer,
        }
    }

    /// Hands `request` to node `to`'s router; `None` if it is down or its power
    /// was cut while it handled the request (the connection dies with it).
    async fn deliver(&self, to: usize, request: &OutRequest) -> Option<Answer> {
        let router = {
            let state = self.state();
            if !state.hosts[to].reachable() {
                return None;
            }
            state.hosts[to].router.clone()?
        };
        let host = request.url.trim_start_matches("http://");
        let mut http = Request::post(request.path.as_str())
            .header("host", host)
            .header("authorization", request.authorization.as_str())
            .header("content-type", "application/json")
            .header("content-length", request.body.len())
            .body(Body::from(request.body.clone()))
            .ok()?;
        http.extensions_mut().insert(ConnectInfo(SocketAddr::from((
            [10, 0, (to % 250) as u8, 1],
            40_000,
        ))));
        let response = router.oneshot(http).await.ok()?;
        let status = response.status().as_u16();
        let signature = response
            .headers()
            .get(telecenter_node::node::RESPONSE_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = axum::body::to_bytes(response.into_body(), request.bytes_max)
            .await
            .ok()?
            .to_vec();
        let mut state = self.state();
        if !state.hosts[to].reachable() {
            return None;
        }
        state.requests += 1;
        state.bytes += (request.body.len() + body.len()) as u64;
        Some(Answer {
            status,
            signature,
            body,
        })
    }

    /// Delivers the held requests that are due by `now_ms` (their answers go
    /// nowhere: the sender gave up long ago).
    pub async fn deliver_due(&self, now_ms: i64) {
        let due: Vec<Delayed> = {
            let mut state = self.state();
            state.now_ms = now_ms;
            let (due, kept) = std::mem::take(&mut state.delayed)
                .into_iter()
                .partition(|d| d.at_ms <= now_ms);
            state.delayed = kept;
            due
        };
        for delayed in due {
            let _ = self.deliver(delayed.to, &delayed.request).await;
        }
    }

    /// Forgets every held request (the network is healed).
    pub fn clear_delayed(&self) {
        self.state().delayed.clear();
    }
}

struct SimTransport {
    net: Net,
    from: usize,
}

impl Transport for SimTransport {
    fn post(&self, request: OutRequest) -> AnswerFuture<'_> {
        Box::pin(async move {
            let Some(to) = index_of(&request.url) else {
                return Err(unreachable(&request.url, "no such host"));
            };
            if to >= self.net.state().hosts.len() {
                return Err(unreachable(&request.url, "no such host"));
            }
            let (duplicate, drop_answer) = match self.net.fate(self.from, to, &request) {
                Fate::Lost(reason) => return Err(unreachable(&request.url, reason)),
                Fate::Deliver {
                    duplicate,
                    drop_answer,
                } => (duplicate, drop_answer),
            };
            let answer = self.net.deliver(to, &request).await;
            if duplicate {
                let _ = self.net.deliver(to, &request).await;
            }
            // A sender whose power was cut meanwhile hears nothing more.
            if self.net.state().hosts[self.from].cut_fired() {
                return Err(unreachable(&request.url, "this node lost power"));
            }
            match answer {
                Some(_) if drop_answer => Err(unreachable(&request.url, "answer lost")),
                Some(answer) => Ok(answer),
                None => Err(unreachable(&request.url, "connection reset")),
            }
        })
    }
}
