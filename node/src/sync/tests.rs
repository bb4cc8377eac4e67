//! The sync engine between two real nodes over HTTP on 127.0.0.1:0, each with
//! its engine running: a peer that long-polls a node gets each of its changes
//! once, in a poll's answer, and is not pushed the same change as well.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use telecenter_protocol::DocId;
use telecenter_protocol::catalog::input::ListingPatch;
use tempfile::TempDir;

use super::transport::{AnswerFuture, OutRequest, Transport};
use super::{HttpTransport, SyncEngine};
use crate::clock::SystemClock;
use crate::node::Node;

const DEADLINE: Duration = Duration::from_secs(20);

/// Sends over HTTP and notes the path of every request.
struct Recording {
    inner: HttpTransport,
    paths: Arc<Mutex<Vec<String>>>,
}

impl Transport for Recording {
    fn post(&self, request: OutRequest) -> AnswerFuture<'_> {
        self.paths.lock().unwrap().push(request.path.clone());
        self.inner.post(request)
    }
}

/// A node served on 127.0.0.1:0; returns it and its address.
async fn served(dir: &TempDir, seed: u64, name: &str) -> (Arc<Node>, String) {
    let node = Arc::new(crate::testing::center(
        dir.path(),
        (seed, seed + 100),
        name,
        "Jawa Timur",
        Arc::new(SystemClock),
    ));
    node.set_outgoing(crate::net::Outgoing::new(true));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = crate::app::router(crate::server::AppState::new(node.clone(), None));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (node, url)
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "{what} within {DEADLINE:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_long_polls_gets_a_change_in_the_answer_and_is_not_pushed_it_too() {
    let (dir_a, dir_b) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let (a, url_a) = served(&dir_a, 31, "Telecenter Kota Malang").await;
    let (b, url_b) = served(&dir_b, 32, "Telecenter Kota Batu").await;
    let apples = telecenter_protocol::catalog::input::NewListing {
        category: "makanan".into(),
        ..crate::testing::goods("Keripik Apel", 20_000, 5, "Keripik apel Batu".into())
    };
    let listing = a.add_listing(&apples).unwrap().listing.id;
    a.add_peer(&b.center_id(), "Telecenter Kota Batu", Some(&url_b))
        .unwrap();
    b.add_peer(&a.center_id(), "Telecenter Kota Malang", Some(&url_a))
        .unwrap();
    let paths = Arc::new(Mutex::new(Vec::new()));
    let engine_a = SyncEngine::with_transport(
        a.clone(),
        Arc::new(Recording {
            inner: HttpTransport::for_node(&a).unwrap(),
            paths: paths.clone(),
        }),
    )
    .unwrap();
    let running_a = engine_a.spawn(60_000);
    let running_b = SyncEngine::new(b.clone()).unwrap().spawn(60_000);
    let doc = DocId::catalog(a.center_id()).to_string();
    until("B holds A's catalog", || {
        b.have().get(&doc) == a.have().get(&doc)
    })
    .await;
    until("B long-polls A", || a.polls_here(&b.center_id())).await;
    // A's first full round (which may push) is over once A records it.
    until("A's first round with B is recorded", || {
        a.peers()
            .unwrap()
            .iter()
            .any(|p| p.center_id == b.center_id() && p.last_ok_ms.is_some())
    })
    .await;

    paths.lock().unwrap().clear();
    for round in 0..3 {
        a.update_listing(
            &listing,
            &ListingPatch {
                price_idr: Some(21_000 + round),
                ..ListingPatch::default()
            },
        )
        .unwrap();
        until("B has the new price", || {
            b.have().get(&doc) == a.have().get(&doc)
        })
        .await;
    }
    // A push A's engine would send late for an edit shows up by the last one.
    let pushes = paths
        .lock()
        .unwrap()
        .iter()
        .filter(|p| p.ends_with("/sync/push"))
        .count();
    assert_eq!(pushes, 0, "pushed to a peer that long-polls");
    running_a.abort();
    running_b.abort();
}
