//! Regression tests of issue 9 ("Safe on the open internet") for what a node takes
//! in: a compressed change bomb signed by an accepted center (finding 1), the
//! pending queue bounded in bytes (finding 1), and the nonce memory flooded by
//! centers vouched for by a trusted one (finding 2). Real nodes, real SQLite files.

use std::time::{Duration, Instant};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{Automerge, ROOT, ReadDoc};
use telecenter_protocol::envelope::actor_for;
use telecenter_protocol::hop::{HOP_FUTURE_MS, HOP_WINDOW_MS, HopAuth, HopError};

use super::*;
use crate::node::MAIL_PATH as PAIR_PATH;
use tempfile::TempDir;

/// Refusing a bomb takes microseconds; inflating and decoding it took seconds.
const REFUSAL_TIME_MAX: Duration = Duration::from_secs(2);

/// What a node holds of `center`'s catalog and in its pending queue.
fn held_state(t: &TestNode, center: CenterId) -> (Vec<String>, usize, (usize, usize)) {
    (
        t.node.heads_of(&center),
        t.node.changes_of(&DocId::catalog(center)).unwrap().len(),
        lock(&t.node.writer).pending.held(),
    )
}

/// Finding 1: an 818 KB push of compressed changes signed by an accepted center
/// left 10 changes pending and took a node from 17 to 620 MiB. The chunk (type 2)
/// is now refused before it is inflated, and nothing is held.
#[test]
fn compressed_change_bomb_is_refused() {
    let a = TestNode::malang();
    let n = TestNode::lumajang();
    let a_center = a.node.center_id();
    n.node.trust(&a_center).unwrap();
    assert_all_applied(&send_catalog(&a, &n), "A's catalog");

    // A real change of A's catalog by A's actor: seq 3 (so it would wait for seq 2),
    // 8 MiB of text that Automerge deflates to a few KiB.
    let mut doc = Automerge::new();
    doc.set_actor(actor_for(&a_center));
    let mut last = None;
    for value in ["small", "small again", &"a".repeat(8 * 1024 * 1024)] {
        let result = doc
            .transact_with(
                |_| CommitOptions::default().with_time(T0),
                |tx| tx.put(ROOT, "junk", value),
            )
            .unwrap();
        last = result.hash;
    }
    let mut bomb = doc.get_change_by_hash(&last.unwrap()).unwrap().clone();
    assert_eq!(bomb.seq(), 3);
    let chunk = bomb.bytes().to_vec();
    assert_eq!(chunk[8], 2, "the chunk is compressed");
    assert!(chunk.len() < 64 * 1024, "{}", chunk.len());
    let envelope = SignedChange::sign(&identity(MALANG_SEED), a.doc_id(), chunk).to_bytes();

    let before = held_state(&n, a_center);
    let started = Instant::now();
    let mut outcomes = n.node.receive(&[envelope.clone(), envelope]).unwrap();
    assert!(
        started.elapsed() < REFUSAL_TIME_MAX,
        "{:?}",
        started.elapsed()
    );
    for outcome in outcomes.drain(..) {
        let error = outcome.unwrap_err();
        assert_eq!(reject_code(&error), "compressed_change", "{error}");
    }
    assert_eq!(held_state(&n, a_center), before);
    assert_eq!(lock(&n.node.writer).pending.held(), (0, 0));
}

/// Finding 1: the pending queue was bounded by count only (1 000 per catalog), so
/// large changes could pile up far beyond what a small PC can hold. It is now also
/// bounded in bytes, per catalog and in all.
#[test]
fn pending_queue_is_bounded_in_bytes() {
    let a = TestNode::malang();
    let n = TestNode::lumajang();
    let a_center = a.node.center_id();
    let id = a.add("Batik Tulis Malangan", "kerajinan", 250_000);
    // Each change carries a 2 000-character Javanese description (6 000 bytes):
    // about 19 KB held per waiting change, so 4 MiB hold about 220 of them,
    // far fewer than the 1 000 the count allows.
    let changes_made = 260;
    for i in 0..changes_made {
        let description: String = std::iter::once(char::from(b'a' + (i % 26) as u8))
            .chain(std::iter::repeat_n('ꦱ', 1_999))
            .collect();
        a.node
            .update_listing(
                &id,
                &ListingPatch {
                    lang: Some("jv".to_owned()),
                    description: Some(description),
                    ..ListingPatch::default()
                },
            )
            .unwrap();
    }
    let envelopes = a.node.changes_of(&a.doc_id()).unwrap();
    assert_eq!(envelopes.len(), 2 + changes_made);
    n.node.trust(&a_center).unwrap();
    assert_all_applied(&n.node.receive(&envelopes[..1]).unwrap(), "genesis");

    // Everything after seq 2 waits for it, until the bytes run out.
    let outcomes = n.node.receive(&envelopes[2..]).unwrap();
    let waiting = outcomes
        .iter()
        .take_while(|o| matches!(o, Ok(Ingested::Pending)))
        .count();
    assert!(waiting > 0 && waiting < changes_made, "{waiting}");
    for outcome in &outcomes[waiting..] {
        let error = outcome.as_ref().unwrap_err();
        assert_eq!(reject_code(error), "queue_full", "{error}");
    }
    let (count, bytes) = lock(&n.node.writer).pending.held();
    assert_eq!(count, waiting);
    assert!(count < PENDING_PER_DOC_MAX);
    assert!(bytes <= PENDING_PER_DOC_BYTES_MAX, "{bytes}");
    assert!(bytes > PENDING_PER_DOC_BYTES_MAX - 64 * 1024, "{bytes}");
    assert_eq!(n.node.changes_of(&a.doc_id()).unwrap().len(), 1);

    // Once seq 2 arrives, the waiting changes apply and the queue is empty; the
    // refused ones are simply sent again.
    assert_all_applied(&n.node.receive(&envelopes[1..2]).unwrap(), "seq 2");
    assert_eq!(lock(&n.node.writer).pending.held(), (0, 0));
    assert_eq!(n.node.changes_of(&a.doc_id()).unwrap().len(), 2 + waiting);
    assert_all_applied(
        &n.node.receive(&envelopes[2 + waiting..]).unwrap(),
        "the refused ones, again",
    );
    assert_eq!(n.node.heads_of(&a_center), a.node.heads_of(&a_center));
}

/// Finding 2: 100 ids vouched for by a trusted center sent 98k accepted pair
/// exchanges in 45 s and filled the one shared nonce memory; afterwards real peers
/// got 401 "too many peer requests" and sync stopped. Non-peers now share a pool
/// of their own, each sender has a quota, and nonces are forgotten by time.
#[test]
fn nonce_flood_by_vouched_ids_leaves_peers_syncing() {
    let n = TestNode::malang();
    let t = TestNode::lumajang();
    let p = TestNode::batu();
    let [n_center, t_center, p_center] = [&n, &t, &p].map(|x| x.node.center_id());
    let flooders: Vec<Identity> = (0..100).map(|i| identity(10_000 + i)).collect();
    for flooder in &flooders {
        t.node.trust(&flooder.center_id()).unwrap();
    }
    n.node.trust(&t_center).unwrap();
    n.node.add_peer(&p_center, "Telecenter Batu", None).unwrap();
    assert_all_applied(&send_catalog(&t, &n), "T's catalog with its vouches");
    assert!(flooders.iter().all(|f| n.node.accepts(&f.center_id())));

    // Each vouched id sends signed pair exchanges until it is refused (at most
    // 1 100 each: 110 000 in all, more than the old shared memory of 100 000).
    let body = br#"{"messages":[],"results":[]}"#.as_slice();
    let no_rate_limit = |_: &CenterId| true;
    let flood = |flooders: &[Identity]| {
        let mut accepted = 0usize;
        for (index, flooder) in flooders.iter().enumerate() {
            for k in 0..1_100u64 {
                let mut nonce = [0u8; 16];
                // Unique across all senders, so only a per-sender memory matters.
                nonce[..8].copy_from_slice(&flooder.center_id().as_bytes()[..8]);
                nonce[8..].copy_from_slice(&k.to_be_bytes());
                let header =
                    HopAuth::sign(flooder, n_center, T0, nonce, "POST", PAIR_PATH, body).unwrap();
                match n
                    .node
                    .check_hop(&header, "POST", PAIR_PATH, body, true, &no_rate_limit)
                {
                    Ok(_) => accepted += 1,
                    // Over its quota or the non-peer pool is full: 429, not 401.
                    Err(PeerAuthError::RateLimited | PeerAuthError::Busy) => break,
                    Err(other) => panic!("flooder {index}: {other}"),
                }
            }
        }
        accepted
    };
    let (first, second) = flooders.split_at(50);
    let accepted = std::thread::scope(|s| {
        let one = s.spawn(|| flood(first));
        let two = s.spawn(|| flood(second));
        one.join().unwrap() + two.join().unwrap()
    });
    assert!(accepted <= NONCES_NON_PEER_MAX, "{accepted}");
    assert!(lock(&n.node.nonces).len() <= NONCES_NON_PEER_MAX);

    // The configured peer still gets through, again and again.
    for _ in 0..10 {
        let path = "/api/v1/sync/push";
        let header = p.node.sign_request(&n_center, "POST", path, b"{}").unwrap();
        assert_eq!(
            n.node.check_request(&header, "POST", path, b"{}").unwrap(),
            p_center
        );
    }

    // The flood's nonces are forgotten once their requests are too old to pass.
    n.clock.advance(HOP_WINDOW_MS + 1);
    let (flooder, late, nonce) = (&flooders[99], T0 + HOP_WINDOW_MS + 1, [0xee; 16]);
    let header = HopAuth::sign(flooder, n_center, late, nonce, "POST", PAIR_PATH, body).unwrap();
    n.node
        .check_hop(&header, "POST", PAIR_PATH, body, true, &no_rate_limit)
        .unwrap();
    assert_eq!(lock(&n.node.nonces).len(), 1, "only the late one is held");
}

/// Found from outside: replaying one captured peer request 200 times spent the
/// peer's whole rate budget, so its next real request got 429. A replay is now
/// refused before it is charged.
#[test]
fn replayed_requests_do_not_spend_the_peers_rate() {
    let n = TestNode::malang();
    let p = TestNode::batu();
    let (n_center, p_center) = (n.node.center_id(), p.node.center_id());
    n.node.add_peer(&p_center, "Telecenter Batu", None).unwrap();
    let path = "/api/v1/sync/summary";
    let charged = std::cell::Cell::new(0u32);
    // A budget of 5 requests: only fresh ones may spend it.
    let rate = |_: &CenterId| {
        charged.set(charged.get() + 1);
        charged.get() <= 5
    };
    let captured = p.node.sign_request(&n_center, "POST", path, b"{}").unwrap();
    n.node
        .check_hop(&captured, "POST", path, b"{}", false, &rate)
        .unwrap();
    for _ in 0..200 {
        let refused = n
            .node
            .check_hop(&captured, "POST", path, b"{}", false, &rate)
            .unwrap_err();
        assert!(matches!(refused, PeerAuthError::Replayed), "{refused}");
    }
    assert_eq!(charged.get(), 1, "replays were charged to the peer");
    let fresh = p.node.sign_request(&n_center, "POST", path, b"{}").unwrap();
    n.node
        .check_hop(&fresh, "POST", path, b"{}", false, &rate)
        .unwrap();
}

/// Finding 2: a request dated a little under five minutes ahead kept its nonce
/// for about ten minutes. Requests more than a minute ahead are now refused.
#[test]
fn future_dated_request_holds_no_nonce() {
    let n = TestNode::malang();
    let p = TestNode::batu();
    let [n_center, p_center] = [&n, &p].map(|x| x.node.center_id());
    n.node.add_peer(&p_center, "Telecenter Batu", None).unwrap();
    let path = "/api/v1/sync/push";
    let sign = |at: i64, byte: u8| {
        HopAuth::sign(
            &identity(BATU_SEED),
            n_center,
            at,
            [byte; 16],
            "POST",
            path,
            b"",
        )
        .unwrap()
    };
    let result = n
        .node
        .check_request(&sign(T0 + HOP_WINDOW_MS - 1_000, 1), "POST", path, b"");
    assert!(
        matches!(
            result,
            Err(PeerAuthError::Hop(HopError::OutsideWindow { .. }))
        ),
        "{result:?}"
    );
    assert_eq!(lock(&n.node.nonces).len(), 0);
    n.node
        .check_request(&sign(T0 + HOP_FUTURE_MS, 2), "POST", path, b"")
        .unwrap();
    n.clock.advance(HOP_FUTURE_MS + HOP_WINDOW_MS + 1);
    n.node
        .check_request(&sign(n.clock.now_ms(), 3), "POST", path, b"")
        .unwrap();
    assert_eq!(lock(&n.node.nonces).len(), 1);
}

/// Finding 1, for nodes upgraded after an attack: a compressed change stored
/// before such changes were refused no longer verifies, which must not keep the
/// node from starting. That catalog is forgotten and received again.
#[test]
fn a_stored_compressed_change_from_before_the_fix_does_not_stop_the_node() {
    let a = TestNode::malang();
    let n = TestNode::lumajang();
    let a_center = a.node.center_id();
    a.add("Keripik Tempe Sanan", "makanan", 15_000);
    n.node.trust(&a_center).unwrap();
    assert_all_applied(&send_catalog(&a, &n), "A's catalog");

    // As an older node stored it: seq 3 of A's catalog, compressed.
    let mut doc = Automerge::new();
    doc.set_actor(actor_for(&a_center));
    let mut last = None;
    for value in ["one", "two", &"a".repeat(64 * 1024)] {
        let result = doc
            .transact_with(
                |_| CommitOptions::default().with_time(T0),
                |tx| tx.put(ROOT, "junk", value),
            )
            .unwrap();
        last = result.hash;
    }
    let mut bomb = doc.get_change_by_hash(&last.unwrap()).unwrap().clone();
    let chunk = bomb.bytes().to_vec();
    assert_eq!(chunk[8], 2);
    let envelope = SignedChange::sign(&identity(MALANG_SEED), a.doc_id(), chunk).to_bytes();
    let mut store = Store::open(&n.db_path()).unwrap();
    store
        .commit(
            &Commit {
                changes: vec![NewChange {
                    doc: a.doc_id(),
                    epoch: None,
                    hash: bomb.hash().0,
                    seq: 3,
                    envelope,
                }],
                ..Commit::default()
            },
            T0,
        )
        .unwrap();
    drop(store);
    // Stored before the fix is stored before catalog states were kept (schema
    // 13): such a database has none, and its catalogs are loaded once at start.
    rusqlite::Connection::open(n.db_path())
        .unwrap()
        .execute("UPDATE documents SET state = NULL", [])
        .unwrap();

    let reopened = n.reopen(7);
    assert!(reopened.accepts(&a_center));
    assert!(reopened.heads_of(&a_center).is_empty());
    assert!(reopened.changes_of(&a.doc_id()).unwrap().is_empty());
    let outcomes = reopened
        .receive(&a.node.changes_of(&a.doc_id()).unwrap())
        .unwrap();
    assert_all_applied(&outcomes, "A's catalog again");
    assert_eq!(reopened.heads_of(&a_center), a.node.heads_of(&a_center));
}

/// Finding 2, over HTTP: with the pool of non-peer senders full, a vouched-for
/// center's pair exchange gets 429 `rate_limited` (it was 401 "too many peer
/// requests", which a sender takes for an authentication failure), while a
/// configured peer's sync request is still served.
#[tokio::test]
async fn nonce_pool_full_answers_429_and_peers_are_still_served() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use tower::ServiceExt;

    let dir = TempDir::new().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let node = Arc::new(crate::testing::center_with(
        dir.path(),
        (MALANG_SEED, MALANG_SEED.wrapping_add(1_000)),
        &profile("Telecenter Kota Malang", "Kota Malang"),
        clock.clone(),
    ));
    let n_center = node.center_id();
    let t = TestNode::lumajang();
    let p = TestNode::batu();
    let vouched = identity(20_000);
    t.node.trust(&vouched.center_id()).unwrap();
    node.trust(&t.node.center_id()).unwrap();
    node.add_peer(&p.node.center_id(), "Telecenter Batu", None)
        .unwrap();
    assert_all_applied(
        &node
            .receive(&t.node.changes_of(&t.doc_id()).unwrap())
            .unwrap(),
        "T's catalog",
    );
    assert!(node.accepts(&vouched.center_id()));
    {
        // Fill the non-peer pool as a flood of other vouched ids would.
        let mut nonces = lock(&node.nonces);
        for i in 0..NONCES_NON_PEER_MAX {
            let mut from = [0u8; 32];
            from[..8].copy_from_slice(&((i / 1_000) as u64).to_be_bytes());
            let mut nonce = [0u8; 16];
            nonce[..8].copy_from_slice(&(i as u64).to_be_bytes());
            nonces
                .remember(CenterId::from_bytes(from), false, nonce, T0 + 1_000, T0)
                .unwrap();
        }
    }
    let app = crate::app::router(crate::server::AppState::new(node.clone(), None));
    let post = |path: &str, authorization: String, body: &'static [u8]| {
        Request::builder()
            .method("POST")
            .uri(path)
            .header(header::AUTHORIZATION, authorization)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap()
    };

    let body = br#"{"messages":[],"results":[]}"#.as_slice();
    let authorization =
        HopAuth::sign(&vouched, n_center, T0, [1; 16], "POST", PAIR_PATH, body).unwrap();
    let response = app
        .clone()
        .oneshot(post(PAIR_PATH, authorization, body))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("\"rate_limited\""), "{text}");

    let path = "/api/v1/sync/summary";
    let body = br#"{"have":{},"wait_ms":0}"#.as_slice();
    let authorization = p.node.sign_request(&n_center, "POST", path, body).unwrap();
    let response = app.oneshot(post(path, authorization, body)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// Issue 16: a node that takes in a change reopens its long poll to every peer;
/// the whole have map each time cost ten times the change. A long poll may now
/// send only what changed (`"delta": true`), merged into the map the answering
/// node remembers for the peer; one it does not remember is refused with
/// `poll_state_unknown`, and the caller sends its whole map.
#[tokio::test]
async fn a_delta_long_poll_is_answered_against_the_peers_remembered_map() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use tower::ServiceExt;

    let dir = TempDir::new().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let node = Arc::new(crate::testing::center_with(
        dir.path(),
        (MALANG_SEED, MALANG_SEED.wrapping_add(1_000)),
        &profile("Telecenter Kota Malang", "Kota Malang"),
        clock.clone(),
    ));
    let n_center = node.center_id();
    let p = TestNode::batu();
    node.add_peer(&p.node.center_id(), "Telecenter Batu", None)
        .unwrap();
    let app = crate::app::router(crate::server::AppState::new(node.clone(), None));
    let path = "/api/v1/sync/summary";
    let ask = |body: String| {
        let authorization = p
            .node
            .sign_request(&n_center, "POST", path, body.as_bytes())
            .unwrap();
        let request = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::AUTHORIZATION, authorization)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let app = app.clone();
        async move {
            let response = app.oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        }
    };
    let chain = DocId::catalog(n_center).to_string();
    let seq = node.have()[&chain];
    assert!(seq > 0);

    // A delta before any whole map: refused, nothing remembered.
    let (status, text) = ask(r#"{"have":{},"wait_ms":0,"delta":true}"#.to_owned()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("\"poll_state_unknown\""), "{text}");

    // The whole map: P holds nothing of N's catalog.
    let (status, _) = ask(format!(r#"{{"have":{{"{chain}":0}},"wait_ms":0}}"#)).await;
    assert_eq!(status, StatusCode::OK);
    // An empty delta stands for that map: N has news for P at once.
    let (status, text) = ask(r#"{"have":{},"wait_ms":20000,"delta":true}"#.to_owned()).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains(&format!("\"{chain}\":{seq}")), "{text}");
    assert!(
        text.contains("\"changes\":[\""),
        "the news comes inline: {text}"
    );

    // A delta saying P now holds it all: nothing new, the poll times out.
    let (status, text) = ask(format!(
        r#"{{"have":{{"{chain}":{seq}}},"wait_ms":200,"delta":true}}"#
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("\"have\":{}"), "{text}");
    // A seq never goes back through a delta.
    let (_, text) = ask(format!(
        r#"{{"have":{{"{chain}":0}},"wait_ms":200,"delta":true}}"#
    ))
    .await;
    assert!(text.contains("\"have\":{}"), "{text}");
}
