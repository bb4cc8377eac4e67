//! Benchmark of order steps relayed through a hub between two centers that
//! have no address (both behind NAT): how long a step takes from the sender's
//! commit to the recipient's node, and how many bytes travel per step.
//!
//! Three real nodes with real SQLite files in one process: the hub serves HTTP
//! on 127.0.0.1 behind a small counting TCP proxy; the two centers have no
//! listener at all and reach the hub through the proxy, as they would through
//! carrier-grade NAT. Each order goes through place (buyer → seller), accept,
//! ship and complete (seller → buyer): four relayed steps.
//!
//! Run: `cargo bench -p telecenter-node --bench relay_bench` (release build).
//! `ORDERS=N` sets the number of orders (default 50, so 200 steps);
//! `PACE_MS=N` waits N ms after each step arrived before the next one (default
//! 0: back to back, far faster than people click, so the hub's per-peer request
//! rate limit is what the tail shows).
//! Prints one line per measurement; nothing is asserted.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_node::app;
use telecenter_node::node::PlaceOrder;
use telecenter_node::server::AppState;
use telecenter_node::sync::SyncEngine;
use telecenter_node::{Node, SystemClock};
use telecenter_protocol::Identity;
use telecenter_protocol::catalog::input::{NewListing, ProfileInput};
use telecenter_protocol::order::{Action, Collector, PayMethod, Status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

thread_local! {
    /// Prints the nodes' state (set once the nodes exist).
    static DUMP: std::cell::RefCell<Option<Box<dyn Fn()>>> = const { std::cell::RefCell::new(None) };
}

const MAIL_PATH: &str = "/api/v1/mail/exchange";

fn center(dir: &std::path::Path, seed: u8, name: &str) -> Arc<Node> {
    let path = dir.join(format!("{seed}.db"));
    let identity = Identity::from_secret_bytes(&[seed; 32]);
    let profile = ProfileInput {
        name: Some(name.into()),
        region: Some("Jawa Timur".into()),
        ..Default::default()
    };
    let rng = Box::new(StdRng::seed_from_u64(u64::from(seed)));
    let node = Node::create(&path, identity, &profile, Arc::new(SystemClock), rng).expect("create");
    node.set_profile(&ProfileInput {
        referral_fee_bp: Some(300),
        ..Default::default()
    })
    .expect("fees");
    Arc::new(node)
}

/// Bytes of mail-exchange traffic seen by the proxy.
#[derive(Default)]
struct Counts {
    head: AtomicU64,
    body: AtomicU64,
    sealed: AtomicU64,
    other: AtomicU64,
}

/// Reads HTTP/1.1 messages off one direction of a connection and counts them.
/// Requests push their path on `paths`; responses pop it.
struct Meter {
    buf: Vec<u8>,
    request: bool,
    paths: Arc<Mutex<VecDeque<String>>>,
    counts: Arc<Counts>,
}

impl Meter {
    fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        while let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&self.buf[..end + 4]).to_string();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            if self.buf.len() < end + 4 + length {
                return;
            }
            let body = self.buf[end + 4..end + 4 + length].to_vec();
            let path = if self.request {
                let path = head.split(' ').nth(1).unwrap_or("").to_owned();
                self.paths
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_back(path.clone());
                path
            } else {
                self.paths
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .pop_front()
                    .unwrap_or_default()
            };
            if path == MAIL_PATH {
                self.counts
                    .head
                    .fetch_add(head.len() as u64, Ordering::Relaxed);
                self.counts.body.fetch_add(length as u64, Ordering::Relaxed);
                let sealed: u64 = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["mail"].as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .map(|m| serde_json::to_vec(m).map_or(0, |b| b.len() as u64))
                    .sum();
                self.counts.sealed.fetch_add(sealed, Ordering::Relaxed);
            } else {
                self.counts
                    .other
                    .fetch_add((head.len() + length) as u64, Ordering::Relaxed);
            }
            self.buf.drain(..end + 4 + length);
        }
    }
}

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut meter: Meter,
) {
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                meter.feed(&chunk[..n]);
                if to.write_all(&chunk[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}

/// A TCP proxy to `target` that counts what passes; returns its address.
async fn proxy(target: std::net::SocketAddr, counts: Arc<Counts>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(target).await else {
                continue;
            };
            let paths = Arc::new(Mutex::new(VecDeque::new()));
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            let meter = |request| Meter {
                buf: Vec::new(),
                request,
                paths: paths.clone(),
                counts: counts.clone(),
            };
            tokio::spawn(pipe(cr, sw, meter(true)));
            tokio::spawn(pipe(sr, cw, meter(false)));
        }
    });
    addr
}

/// Waits until `check` holds on `node`, woken by its order notifications.
/// Prints what each node holds, for a step that did not arrive.
fn dump(nodes: &[&Arc<Node>]) {
    for node in nodes {
        let outbox = node.outbox_counterparts().unwrap_or_default();
        let held = node.mail_recipients().unwrap_or_default();
        let mailbox = node.mailbox().map(|m| m.1.count).unwrap_or(0);
        eprintln!(
            "{}: outbox {:?}, mail held for {:?}, relaying {mailbox}",
            node.center_id().short(),
            outbox
                .iter()
                .map(|(c, n)| (c.short(), *n))
                .collect::<Vec<_>>(),
            held.iter().map(|c| c.short()).collect::<Vec<_>>()
        );
        for (c, _) in &outbox {
            for row in node.outbox_for(c).unwrap_or_default() {
                eprintln!(
                    "   waiting {} attempts {} error {:?}",
                    &row.hash[..8],
                    row.attempts,
                    row.last_error
                );
            }
        }
    }
}

async fn arrives(node: &Node, check: impl Fn(&Node) -> bool) -> Duration {
    let started = Instant::now();
    let _slow = SlowStep(started);
    let mut wake = node.subscribe_orders();
    loop {
        wake.mark_unchanged();
        if check(node) {
            return started.elapsed();
        }
        if started.elapsed() > Duration::from_secs(60) {
            DUMP.with(|d| d.borrow().as_ref().map(|f| f()));
            panic!(
                "a step did not arrive within 60 s at {}",
                node.center_id().short()
            );
        }
        let _ = tokio::time::timeout(Duration::from_millis(200), wake.changed()).await;
    }
}

/// Says so on standard error when a step took over a second (with `RUST_LOG` set).
struct SlowStep(Instant);

impl Drop for SlowStep {
    fn drop(&mut self) {
        if self.0.elapsed() > Duration::from_secs(1) && std::env::var_os("RUST_LOG").is_some() {
            tracing::warn!(ms = self.0.elapsed().as_millis() as u64, "slow step");
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn status(node: &Node, id: &telecenter_protocol::order::OrderId) -> Option<Status> {
    node.order(id).ok().map(|d| d.row.state.status)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let orders: usize = std::env::var("ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let dir = tempfile::tempdir().expect("tempdir");
    let hub = center(dir.path(), 1, "Telecenter Hub Surabaya");
    let buyer = center(dir.path(), 2, "Telecenter Ponorogo");
    let seller = center(dir.path(), 3, "Telecenter Kota Malang");
    let listing = seller
        .add_listing(&NewListing {
            title: "Keripik Pisang".into(),
            description: String::new(),
            lang: None,
            category: "makanan".into(),
            price_idr: 15_000,
            stock: 1_000_000,
            unit: None,
            producer: None,
            producer_village: None,
            photos: Vec::new(),
        })
        .expect("listing")
        .listing
        .id;

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let hub_addr = listener.local_addr().expect("addr");
    let engine = SyncEngine::new(hub.clone()).expect("engine");
    let mut state = AppState::new(hub.clone(), None);
    state.sync = Some(engine.clone());
    let _hub_sync = engine.spawn(60_000);
    tokio::spawn(app::serve(state, listener, std::future::pending()));
    let counts = Arc::new(Counts::default());
    let url = format!("http://{}", proxy(hub_addr, counts.clone()).await);

    for member in [&buyer, &seller] {
        hub.add_peer(&member.center_id(), "member", None)
            .expect("hub adds member");
        member
            .add_peer(&hub.center_id(), "Hub", Some(&url))
            .expect("member adds hub");
    }
    let _syncs: Vec<_> = [&buyer, &seller]
        .into_iter()
        .map(|n| SyncEngine::new(n.clone()).expect("engine").spawn(60_000))
        .collect();
    let seller_id = seller.center_id();
    {
        let (h, b, s) = (hub.clone(), buyer.clone(), seller.clone());
        DUMP.with(|d| *d.borrow_mut() = Some(Box::new(move || dump(&[&h, &b, &s]))));
    }
    let arrived = arrives(&buyer, |b| b.listing(&seller_id, &listing).is_ok()).await;
    println!("catalog through the hub: {} ms", arrived.as_millis());

    let pace = Duration::from_millis(
        std::env::var("PACE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    );
    let mut times = Vec::new();
    let before = (
        counts.head.load(Ordering::Relaxed),
        counts.body.load(Ordering::Relaxed),
        counts.sealed.load(Ordering::Relaxed),
    );
    for _ in 0..orders {
        let order = buyer
            .place_order(&PlaceOrder {
                seller: seller_id,
                listing: listing.clone(),
                quantity: 1,
                unit_price_idr: None,
                buyer_name: "Pak Budi".into(),
                buyer_phone: "0812 3456 7890".into(),
                payment_at: Collector::BuyerCenter,
                payment_method: PayMethod::Cash,
                note: String::new(),
            })
            .expect("place");
        let id = order.state.id.clone();
        times.push(arrives(&seller, |s| status(s, &id) == Some(Status::Placed)).await);
        tokio::time::sleep(pace).await;
        for (action, done) in [
            (Action::Accept, Status::Accepted),
            (Action::Ship, Status::Shipped),
            (Action::Complete, Status::Completed),
        ] {
            seller.order_step(&id, action, None).expect("step");

            times.push(arrives(&buyer, |b| status(b, &id) == Some(done)).await);
            tokio::time::sleep(pace).await;
        }
    }
    // Let the last answers travel back before counting.
    let _ = arrives(&buyer, |b| {
        b.outbox_counterparts().is_ok_and(|o| o.is_empty())
    })
    .await;
    let _ = arrives(&seller, |s| {
        s.outbox_counterparts().is_ok_and(|o| o.is_empty())
    })
    .await;
    let steps = times.len() as u64;
    times.sort();
    println!(
        "relayed step, commit → recipient ({steps} steps through one hub, {} ms between steps): p50 {} ms, p95 {} ms, max {} ms",
        pace.as_millis(),
        percentile(&times, 0.5).as_millis(),
        percentile(&times, 0.95).as_millis(),
        times.last().map_or(0, Duration::as_millis)
    );
    let head = counts.head.load(Ordering::Relaxed) - before.0;
    let body = counts.body.load(Ordering::Relaxed) - before.1;
    let sealed = counts.sealed.load(Ordering::Relaxed) - before.2;
    println!(
        "mail exchange bytes per step, both hops and both directions: bodies {} B (of which sealed mail {} B), headers {} B apart",
        body / steps,
        sealed / steps,
        head / steps
    );
    println!(
        "bodies / sealed mail: {:.2}",
        body as f64 / sealed.max(1) as f64
    );
    println!(
        "catalog sync and other traffic through the hub meanwhile: {} B in all",
        counts.other.load(Ordering::Relaxed)
    );
}
