//! Federation over real HTTP on loopback with the real binary: catalogs travel
//! across a chain of nodes, survive partitions and kills, and forged or
//! unaccepted data goes nowhere.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Folder, Server, admin_token, get, http, listing_add_args, poll, quick_check};

const DEADLINE: Duration = Duration::from_secs(60);

fn listings(server: &Server, query: &str) -> Value {
    let (status, body) = http(
        "GET",
        &format!("{}/api/v1/listings?limit=100&{query}", server.url),
        None,
        None,
    )
    .expect("listings");
    assert_eq!(status, 200, "{body}");
    body
}

/// Waits until `check` holds for `server`'s search answer to `query`.
fn wait_for(server: &Server, query: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    poll(DEADLINE, || {
        let page = listings(server, query);
        check(&page).then_some(page)
    })
    .unwrap_or_else(|| {
        panic!(
            "timed out waiting for {what}: last answer {}",
            listings(server, query)
        )
    })
}

fn peer(folder: &Folder, other: &Server) {
    folder.ok(&["peer", "add", &other.url]);
}

/// A–B–C: A and B peer, B and C peer; every node trusts its peers, so A and C
/// accept each other through B's vouches.
struct Chain {
    a: Folder,
    b: Folder,
    c: Folder,
    ids: [String; 3],
}

impl Chain {
    /// Starts all three nodes and peers them A–B and B–C, both ways.
    fn serve(&self) -> (Server, Server, Server) {
        let (sa, sb, sc) = (self.a.serve(&[]), self.b.serve(&[]), self.c.serve(&[]));
        peer(&self.a, &sb);
        peer(&self.b, &sa);
        peer(&self.b, &sc);
        peer(&self.c, &sb);
        (sa, sb, sc)
    }
}

fn chain() -> Chain {
    let (a, b, c) = (Folder::new(), Folder::new(), Folder::new());
    let ids = [
        a.init_as("Telecenter Kota Malang", "Kota Malang"),
        b.init_as("Telecenter Kab Blitar", "Kabupaten Blitar"),
        c.init_as("Telecenter Ponorogo", "Kabupaten Ponorogo"),
    ];
    Chain { a, b, c, ids }
}

fn has_title(page: &Value, title: &str) -> bool {
    page["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|i| i["title"] == title))
}

fn price_of(page: &Value, title: &str) -> Option<i64> {
    page["items"]
        .as_array()?
        .iter()
        .find(|i| i["title"] == title)?["price_idr"]
        .as_i64()
}

#[test]
fn a_chain_of_three_relays_adds_edits_and_removals_without_the_origin_online() {
    let chain = chain();
    let (sa, sb, sc) = chain.serve();
    let trust = chain.c.json(&["trust"]);
    assert!(trust["accepted"].as_array().unwrap().len() >= 2, "{trust}");

    // Added at A, searchable at C (two hops) within seconds.
    chain
        .a
        .add_listing("Keripik Tempe Sanan", "15.000", "makanan");
    wait_for(&sc, "q=tempe", "A's listing at C", |p| {
        has_title(p, "Keripik Tempe Sanan")
    });
    let at_c = listings(&sc, "q=tempe");
    assert_eq!(at_c["items"][0]["center_name"], "Telecenter Kota Malang");
    assert_eq!(at_c["items"][0]["center_id"], chain.ids[0].as_str());

    // A price edit crosses both hops.
    let id = at_c["items"][0]["id"].as_str().unwrap().to_owned();
    chain.a.ok(&["listing", "update", &id, "--price", "17.500"]);
    wait_for(&sc, "q=tempe", "the new price at C", |p| {
        price_of(p, "Keripik Tempe Sanan") == Some(17_500)
    });

    // C's own listing reaches A.
    chain
        .c
        .add_listing("Sate Ponorogo Bumbu", "25.000", "makanan");
    wait_for(&sa, "q=sate", "C's listing at A", |p| {
        has_title(p, "Sate Ponorogo Bumbu")
    });

    // A removal converges.
    chain.a.ok(&["listing", "remove", &id]);
    wait_for(&sc, "q=tempe", "the removal at C", |p| p["total"] == 0);

    // With C stopped, A adds a listing; B takes it; A goes down for good; C
    // comes back and gets it from B alone.
    drop(sc);
    chain
        .a
        .add_listing("Kopi Robusta Dampit", "35.000", "makanan");
    wait_for(&sb, "q=kopi", "A's new listing at B", |p| {
        has_title(p, "Kopi Robusta Dampit")
    });
    drop(sa);
    let sc = chain.c.serve(&[]);
    wait_for(
        &sc,
        "q=kopi",
        "A's listing at C via B with A offline",
        |p| has_title(p, "Kopi Robusta Dampit"),
    );

    // B and C show identical catalogs of A.
    let filter = format!("center={}", chain.ids[0]);
    assert_eq!(listings(&sb, &filter), listings(&sc, &filter));
    let peers = chain.c.json(&["peer", "list"]);
    assert_eq!(peers.as_array().unwrap().len(), 1);
    assert!(peers[0]["last_sync_at"].is_string(), "{peers}");
}

#[test]
fn a_partition_heals_and_every_node_converges() {
    let chain = chain();
    let (sa, sb, sc) = chain.serve();
    let keripik = chain
        .a
        .add_listing("Keripik Apel Malang", "25.000", "makanan");
    wait_for(&sc, "q=apel", "first sync", |p| {
        has_title(p, "Keripik Apel Malang")
    });

    // Cut B out: A and C keep editing on both sides of the partition.
    let b_url = sb.url.clone();
    drop(sb);
    chain
        .a
        .ok(&["listing", "update", &keripik, "--price", "27.000"]);
    chain.a.add_listing("Sari Apel Malang", "30.000", "makanan");
    chain.c.add_listing("Dawet Jabung", "8.000", "makanan");
    // Nothing can cross while B is down: syncing fails at both ends.
    assert!(chain.c.fails(&["sync"]).contains("could not be synced"));
    assert!(chain.a.fails(&["sync"]).contains("could not be synced"));
    assert!(!has_title(&listings(&sa, "q=dawet"), "Dawet Jabung"));

    // B comes back on the same address; everything converges without an operator.
    let port = b_url.rsplit(':').next().unwrap().to_owned();
    let sb = chain.b.serve_on(&format!("127.0.0.1:{port}"));
    wait_for(&sa, "q=dawet", "C's edit at A after healing", |p| {
        has_title(p, "Dawet Jabung")
    });
    wait_for(&sc, "q=apel", "A's edits at C after healing", |p| {
        has_title(p, "Sari Apel Malang") && price_of(p, "Keripik Apel Malang") == Some(27_000)
    });
    let everything = "sort=newest";
    let at_a = listings(&sa, everything);
    wait_for(&sb, everything, "B equal to A", |p| *p == at_a);
    wait_for(&sc, everything, "C equal to A", |p| *p == at_a);
    assert_eq!(at_a["total"], 3);
    // Identical document heads on all three nodes.
    let heads = |folder: &Folder, server: &Server| {
        let token = admin_token(&folder.data);
        let (status, catalogs) = get(&server.url, "/api/v1/admin/catalogs", Some(&token));
        assert_eq!(status, 200);
        catalogs
    };
    let at_a = heads(&chain.a, &sa);
    assert_eq!(at_a.as_array().unwrap().len(), 3, "{at_a}");
    assert!(
        at_a.as_array()
            .unwrap()
            .iter()
            .all(|c| c["heads"].as_array().unwrap().len() == 1)
    );
    assert_eq!(heads(&chain.b, &sb), at_a);
    assert_eq!(heads(&chain.c, &sc), at_a);
}

#[test]
fn blocking_hides_a_center_everywhere_that_relied_on_the_blocker() {
    let chain = chain();
    let (sa, sb, sc) = chain.serve();
    chain.a.add_listing("Topeng Malangan", "250.000", "makanan");
    wait_for(&sc, "q=topeng", "A's listing at C", |p| {
        has_title(p, "Topeng Malangan")
    });

    // B blocks A: A disappears at B at once, and C — which accepted A only on
    // B's word — forgets it once B's withdrawn vouch arrives.
    chain.b.ok(&["block", &chain.ids[0]]);
    assert_eq!(listings(&sb, "q=topeng")["total"], 0);
    wait_for(&sc, "q=topeng", "A gone at C", |p| p["total"] == 0);
    let trust = chain.c.json(&["trust"]);
    assert!(
        !trust["accepted"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["center_id"] == chain.ids[0].as_str()),
        "{trust}"
    );
    // A's new listings no longer reach B or C.
    chain.a.add_listing("Batik Malangan", "175.000", "makanan");
    // A can no longer sync with B at all: B refuses a blocked center's requests.
    let refused = chain.a.run(&["sync"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stdout).contains("blocked"));
    chain.c.ok(&["sync"]);
    assert_eq!(listings(&sb, "q=batik")["total"], 0);
    assert_eq!(listings(&sc, "q=batik")["total"], 0);
    drop(sa);
}

#[test]
fn a_center_beyond_the_vouch_depth_is_not_stored_or_shown() {
    let chain = chain();
    // C accepts only centers it trusts itself.
    let config = chain.c.data.join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("vouch_depth = 2"), "{text}");
    std::fs::write(&config, text.replace("vouch_depth = 2", "vouch_depth = 1")).unwrap();
    let (sa, sb, sc) = chain.serve();
    chain.a.add_listing("Jamu Kunyit Asam", "10.000", "makanan");
    chain
        .b
        .add_listing("Wajik Kletik Blitar", "20.000", "makanan");
    wait_for(&sc, "q=wajik", "B's listing at C", |p| {
        has_title(p, "Wajik Kletik Blitar")
    });
    wait_for(&sb, "q=jamu", "A's listing at B", |p| {
        has_title(p, "Jamu Kunyit Asam")
    });
    chain.c.ok(&["sync"]);
    assert_eq!(
        listings(&sc, "q=jamu")["total"],
        0,
        "A is not accepted at C"
    );
    let db = rusqlite::Connection::open(chain.c.data.join("telecenter.db")).unwrap();
    let stored: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM changes WHERE doc_id = ?1",
            [format!("catalog:{}", chain.ids[0])],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(stored, 0, "nothing of A is stored at C");
    drop((sa, sb));
}

#[test]
fn forged_replayed_and_misaddressed_requests_are_rejected_and_the_node_stays_up() {
    use base64::Engine;
    use telecenter_protocol::hop::{HOP_WINDOW_MS, HopAuth};
    use telecenter_protocol::{DocId, Identity, SignedChange};

    let chain = chain();
    let (sa, sb) = (chain.a.serve(&[]), chain.b.serve(&[]));
    peer(&chain.a, &sb);
    peer(&chain.b, &sa);
    let a_key = std::fs::read_to_string(chain.a.data.join("identity.key")).unwrap();
    let a = Identity::from_secret_hex(&a_key).unwrap();
    let b_id: telecenter_protocol::CenterId = chain.ids[1].parse().unwrap();
    let c_id: telecenter_protocol::CenterId = chain.ids[2].parse().unwrap();
    // The node under test runs on the real clock, so requests must too.
    let now = telecenter_node::Clock::now_ms(&telecenter_node::SystemClock);
    let path = "/api/v1/sync/summary";
    let body = serde_json::to_vec(&json!({"have": {}})).unwrap();
    let send = |auth: Option<String>, body: &[u8], path: &str| -> (u16, Value) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let client = crate::support::client();
            let mut request = client
                .post(format!("{}{path}", sb.url))
                .header("content-type", "application/json")
                .body(body.to_vec());
            if let Some(auth) = auth {
                request = request.header("authorization", auth);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or(Value::Null))
        })
    };

    // No signature, a wrong audience, outside the window, a tampered body.
    assert_eq!(send(None, &body, path).0, 401);
    let wrong_audience = HopAuth::sign(&a, c_id, now, [1; 16], "POST", path, &body).unwrap();
    let (status, err) = send(Some(wrong_audience), &body, path);
    assert_eq!(status, 401, "{err}");
    let stale = HopAuth::sign(
        &a,
        b_id,
        now - HOP_WINDOW_MS - 60_000,
        [2; 16],
        "POST",
        path,
        &body,
    )
    .unwrap();
    assert_eq!(send(Some(stale), &body, path).0, 401);
    let good = HopAuth::sign(&a, b_id, now, [3; 16], "POST", path, &body).unwrap();
    assert_eq!(
        send(Some(good.clone()), b"{\"have\":{\"x\":1}}", path).0,
        401
    );
    // A good request works once; replaying it is refused.
    let (status, summary) = send(Some(good.clone()), &body, path);
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["center_id"], chain.ids[1].as_str());
    assert_eq!(send(Some(good), &body, path).0, 401);
    // A stranger (not a peer) is refused.
    let stranger = Identity::from_secret_bytes(&[9; 32]);
    let from_stranger = HopAuth::sign(&stranger, b_id, now, [4; 16], "POST", path, &body).unwrap();
    assert_eq!(send(Some(from_stranger), &body, path).0, 403);

    // A change for A's catalog signed by another key, pushed by A: rejected, not stored.
    let forged = SignedChange::sign(
        &stranger,
        DocId::catalog(a.center_id()),
        b"garbage".to_vec(),
    );
    let push = serde_json::to_vec(&json!({
        "changes": [base64::engine::general_purpose::STANDARD.encode(forged.to_bytes()), "!!not base64!!"]
    }))
    .unwrap();
    let auth = HopAuth::sign(&a, b_id, now, [5; 16], "POST", "/api/v1/sync/push", &push).unwrap();
    let (status, answer) = send(Some(auth), &push, "/api/v1/sync/push");
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["applied"], 0);
    let codes: Vec<&str> = answer["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["unauthorised", "not_base64"]);
    // Malformed JSON and oversized bodies get clear errors.
    let auth = HopAuth::sign(&a, b_id, now, [6; 16], "POST", "/api/v1/sync/push", b"{").unwrap();
    assert_eq!(send(Some(auth), b"{", "/api/v1/sync/push").0, 400);
    // A body over the limit is refused from its declared length, before it is
    // sent (the client writes only the head here).
    let huge_len = 5 * 1024 * 1024;
    let auth = HopAuth::sign(&a, b_id, now, [7; 16], "POST", "/api/v1/sync/push", b"").unwrap();
    let head = format!(
        "POST /api/v1/sync/push HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\nContent-Length: {huge_len}\r\nAuthorization: {auth}\r\n\r\n"
    );
    assert_eq!(raw_status(&sb.url, &head), 413);
    assert_eq!(
        raw_status(
            &sb.url,
            &head.replace(&format!("Authorization: {auth}\r\n"), "")
        ),
        401
    );

    // The node is still up and holds nothing forged.
    let (status, _) = get(&sb.url, "/api/v1/info", None);
    assert_eq!(status, 200);
    assert_eq!(quick_check(&chain.b.data), "ok");
    let token = admin_token(&chain.b.data);
    let (_, trust) = get(&sb.url, "/api/v1/admin/trust", Some(&token));
    assert!(trust["accepted"].as_array().unwrap().len() >= 2);
}

#[test]
fn sigkill_in_the_middle_of_a_large_sync_loses_nothing() {
    let (a, c) = (Folder::new(), Folder::new());
    let a_id = a.init_as("Telecenter Kota Malang", "Kota Malang");
    c.init_as("Telecenter Ponorogo", "Kabupaten Ponorogo");
    let sa = a.serve(&[]);
    let token = admin_token(&a.data);
    const LISTINGS: usize = 600;
    for i in 0..LISTINGS {
        let body = json!({"title": format!("Keripik nomor {i}"), "category": "makanan", "price_idr": 1000 + i, "stock": 1});
        let (status, _) = http(
            "POST",
            &format!("{}/api/v1/admin/listings", sa.url),
            Some(&token),
            Some(&body),
        )
        .unwrap();
        assert_eq!(status, 201);
    }
    let mut sc = c.serve(&[]);
    peer(&c, &sa);
    peer(&a, &sc);
    // Kill C once part of the catalog has arrived.
    let filter = format!("center={a_id}");
    let partial = poll(DEADLINE, || {
        let total = listings(&sc, &filter)["total"].as_u64().unwrap_or(0);
        (total > 0).then_some(total)
    })
    .expect("sync started");
    sc.child.kill().unwrap();
    sc.child.wait().unwrap();
    assert_eq!(quick_check(&c.data), "ok");
    // Restart: C resumes by itself and converges.
    let sc = c.serve(&[]);
    wait_for(&sc, &filter, "all of A at C after restart", |p| {
        p["total"] == LISTINGS as u64
    });
    // Changes arrive in committed batches of 200: the kill landed between them.
    assert!(
        partial < LISTINGS as u64,
        "the kill came after the sync had finished ({partial} listings)"
    );
    assert_eq!(quick_check(&c.data), "ok");
    drop(sa);
}

#[test]
fn a_node_behind_nat_syncs_fully_over_connections_it_opens() {
    // B is reachable; C is "behind NAT": B knows C only by id, never by address.
    let (b, c) = (Folder::new(), Folder::new());
    b.init_as("Telecenter Kab Blitar", "Kabupaten Blitar");
    let c_id = c.init_as("Telecenter Sumenep", "Kabupaten Sumenep");
    let sb = b.serve(&[]);
    let sc = c.serve(&[]);
    b.ok(&[
        "peer",
        "add",
        "--center",
        &c_id,
        "--name",
        "Telecenter Sumenep",
    ]);
    let peers = b.json(&["peer", "list"]);
    assert!(peers[0]["url"].is_null(), "{peers}");
    peer(&c, &sb);

    // Well inside the 60-second repair interval: C's pushes and long poll carry
    // both directions.
    let prompt = Duration::from_secs(20);
    c.add_listing("Garam Krosok Sumenep", "12.000", "makanan");
    poll(prompt, || {
        has_title(&listings(&sb, "q=garam"), "Garam Krosok Sumenep").then_some(())
    })
    .expect("C's edit reached B by C's push");
    b.add_listing("Wajik Kletik Blitar", "20.000", "makanan");
    poll(prompt, || {
        has_title(&listings(&sc, "q=wajik"), "Wajik Kletik Blitar").then_some(())
    })
    .expect("B's edit reached C through C's long poll");
    // B cannot sync with C itself (no address), and says so.
    let out = b.ok(&["sync"]);
    assert!(out.contains("no peers with an address"), "{out}");
}

/// A PNG photo file made here (no files in the repository).
pub(crate) fn photo_file(dir: &std::path::Path) -> std::path::PathBuf {
    let img = image::RgbImage::from_fn(800, 600, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let path = dir.join("keripik.png");
    img.save_with_format(&path, image::ImageFormat::Png)
        .expect("write photo");
    path
}

fn stored_images(folder: &Folder) -> Vec<String> {
    let db = rusqlite::Connection::open(folder.data.join("telecenter.db")).expect("open db");
    let mut stmt = db
        .prepare("SELECT hash FROM images ORDER BY hash")
        .expect("query");
    stmt.query_map([], |row| row.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("hashes")
}

#[test]
fn thumbnails_travel_with_the_catalog_and_medium_images_come_on_demand() {
    use sha2::Digest;
    let (a, b) = (Folder::new(), Folder::new());
    a.init_as("Telecenter Kota Malang", "Kota Malang");
    b.init_as("Telecenter Kab Blitar", "Kabupaten Blitar");
    let (sa, sb) = (a.serve(&[]), b.serve(&[]));
    peer(&a, &sb);
    peer(&b, &sa);
    let dir = tempfile::tempdir().unwrap();
    let photo = photo_file(dir.path());
    a.ok(&[
        listing_add_args("Keripik Pisang Agung", "18.000", "9", "makanan"),
        vec!["--photo", photo.to_str().unwrap()],
    ]
    .concat());
    let page = wait_for(&sb, "q=pisang", "the listing with its photo at B", |p| {
        p["items"][0]["photos"][0]["thumb"].is_string()
    });
    let thumb = page["items"][0]["photos"][0]["thumb"]
        .as_str()
        .unwrap()
        .to_owned();
    let medium = page["items"][0]["photos"][0]["medium"]
        .as_str()
        .unwrap()
        .to_owned();
    // The thumbnail comes with sync; the medium image stays at the origin for now.
    poll(DEADLINE, || {
        stored_images(&b).contains(&thumb).then_some(())
    })
    .expect("thumbnail synced");
    assert!(!stored_images(&b).contains(&medium));
    // Someone opens the listing at B: the medium image is fetched, checked and kept.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let fetch = |url: String| {
        runtime.block_on(async {
            let response = reqwest::get(url).await.unwrap();
            (
                response.status().as_u16(),
                response.bytes().await.unwrap().to_vec(),
            )
        })
    };
    let (status, bytes) = fetch(format!("{}/foto/{medium}", sb.url));
    assert_eq!(status, 200);
    assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), medium);
    assert!(stored_images(&b).contains(&medium));
    // Unknown or malformed image names are simply not found.
    assert_eq!(fetch(format!("{}/foto/{}", sb.url, "0".repeat(64))).0, 404);
    assert_eq!(fetch(format!("{}/foto/not-a-hash", sb.url)).0, 404);
    // Peers only hand out images that their listings name.
    assert_eq!(
        fetch(format!("{}/api/v1/images/{}", sa.url, "1".repeat(64))).0,
        404
    );
    assert_eq!(fetch(format!("{}/api/v1/images/{thumb}", sa.url)).0, 200);
    // A file that is not a photo is refused with one clear line, and nothing is added.
    let fake = dir.path().join("bukan-foto.jpg");
    std::fs::write(&fake, b"%PDF-1.4 not a photo").unwrap();
    let err = a.fails(
        &[
            listing_add_args("Palsu", "1", "1", "makanan"),
            vec!["--photo", fake.to_str().unwrap()],
        ]
        .concat(),
    );
    assert!(err.contains("not a JPEG, PNG or WebP"), "{err}");
    assert_eq!(a.json(&["listing", "list"])["total"], 1);
}

/// Sends `head` (no body) to the node at `url` and reads the status of its answer.
fn raw_status(url: &str, head: &str) -> u16 {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to the node");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("set a read timeout");
    stream.write_all(head.as_bytes()).expect("send the head");
    let mut answer = [0u8; 12];
    stream
        .read_exact(&mut answer)
        .expect("an answer before the body");
    String::from_utf8_lossy(&answer[9..12])
        .parse()
        .expect("a status code")
}
