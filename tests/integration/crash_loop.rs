//! A hundred SIGKILLs at random moments: three real nodes peered in a triangle
//! with a one-second repair interval, listings created and edited on every node
//! and orders stepped between them all the time, one node killed and restarted
//! on the same folder and port again and again. At the end nothing any node
//! acknowledged is missing anywhere it should be, the databases are intact and
//! the catalogs agree.
//!
//! `TELECENTER_CRASH_LOOPS` sets the number of kills (default 100) and
//! `TELECENTER_CRASH_SEED` replays a seed (the choice of victim, the traffic
//! mix and the delays come from it; the exact instants depend on timing).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::support::{Station, admin_token, http, listing_add_args, poll};

/// How long traffic may take to make progress on a freshly started node.
const PROGRESS_DEADLINE: Duration = Duration::from_secs(60);
/// How long the network may take to converge once traffic stops.
const CONVERGE_DEADLINE: Duration = Duration::from_secs(180);
/// Listings each node's writer creates before it only edits.
const OWN_LISTINGS_MAX: usize = 25;
/// Orders in flight at once.
const ORDERS_IN_FLIGHT: usize = 3;
/// The steps of an order after placement: (action, who takes it, status it needs).
const STEPS: [(&str, Side, &str); 3] = [
    ("accept", Side::Seller, "placed"),
    ("ship", Side::Seller, "accepted"),
    ("complete", Side::Buyer, "shipped"),
];

/// The statuses an order passes through, in order.
const STATUSES: [&str; 4] = ["placed", "accepted", "shipped", "completed"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Buyer,
    Seller,
}

/// What one node's address and token are (stable across restarts).
#[derive(Clone)]
struct Addr {
    url: String,
    token: String,
    id: String,
}

impl Addr {
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value), String> {
        http(
            method,
            &format!("{}{path}", self.url),
            Some(&self.token),
            body,
        )
    }
}

/// A listing created and acknowledged by its node.
#[derive(Debug)]
struct Tracked {
    owner: usize,
    title: String,
    /// The last price a node acknowledged.
    price_idr: i64,
    /// Prices sent after it without an answer: each may or may not have landed.
    maybe: Vec<i64>,
}

/// An order and the steps whose requests were answered OK.
#[derive(Debug)]
struct Order {
    id: String,
    buyer: usize,
    seller: usize,
    /// Acknowledged actions, `place` first.
    acked: Vec<&'static str>,
    /// Index into [`STEPS`] of the next step to take.
    next: usize,
}

/// Everything acknowledged, shared by the traffic threads and the checks.
#[derive(Default)]
struct Ledger {
    listings: BTreeMap<String, Tracked>,
    orders: Vec<Order>,
    /// Answers with a 5xx status (each is a finding).
    server_errors: Vec<String>,
}

/// Shared by the traffic threads and the killer.
struct Shared {
    ledger: Mutex<Ledger>,
    /// Acknowledged writes per node.
    acks: [AtomicUsize; 3],
    stop: AtomicBool,
}

impl Shared {
    fn ack(&self, node: usize) {
        self.acks[node].fetch_add(1, Ordering::SeqCst);
    }

    fn check_status(&self, what: &str, result: &Result<(u16, Value), String>) {
        if let Ok((status, body)) = result
            && *status >= 500
        {
            let mut ledger = self.ledger.lock().expect("ledger");
            ledger
                .server_errors
                .push(format!("{what}: {status} {body}"));
        }
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// A seed from the process's hash keys (no clock, no OS random API).
fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u8(7);
    hasher.finish()
}

/// Creates and edits listings on node `me` until told to stop.
fn write_listings(shared: &Shared, addr: &Addr, me: usize, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut created = 0usize;
    let mut n = 0u64;
    while !shared.stop.load(Ordering::SeqCst) {
        n += 1;
        let own: Vec<String> = {
            let ledger = shared.ledger.lock().expect("ledger");
            ledger
                .listings
                .iter()
                .filter(|(_, t)| t.owner == me)
                .map(|(id, _)| id.clone())
                .collect()
        };
        let price = 1_000 * rng.gen_range(1..100_000i64);
        let result = if created < OWN_LISTINGS_MAX && (own.is_empty() || rng.gen_bool(0.3)) {
            let title = format!("Keripik node {me} nomor {n}");
            let body =
                json!({"title": title, "category": "makanan", "price_idr": price, "stock": 5});
            let result = addr.call("POST", "/api/v1/admin/listings", Some(&body));
            shared.check_status("create a listing", &result);
            if let Ok((201, view)) = &result {
                let id = view["id"].as_str().expect("listing id").to_owned();
                created += 1;
                shared.ledger.lock().expect("ledger").listings.insert(
                    id,
                    Tracked {
                        owner: me,
                        title,
                        price_idr: price,
                        maybe: Vec::new(),
                    },
                );
                shared.ack(me);
            }
            result
        } else {
            let id = &own[rng.gen_range(0..own.len())];
            shared
                .ledger
                .lock()
                .expect("ledger")
                .listings
                .get_mut(id)
                .expect("tracked")
                .maybe
                .push(price);
            let body = json!({ "price_idr": price });
            let result = addr.call(
                "PATCH",
                &format!("/api/v1/admin/listings/{id}"),
                Some(&body),
            );
            shared.check_status("edit a listing", &result);
            let mut ledger = shared.ledger.lock().expect("ledger");
            let tracked = ledger.listings.get_mut(id).expect("tracked");
            match &result {
                Ok((200, _)) => {
                    tracked.price_idr = price;
                    tracked.maybe.clear();
                    drop(ledger);
                    shared.ack(me);
                }
                // An answer that is not OK: the edit did not happen.
                Ok(_) => {
                    tracked.maybe.pop();
                }
                // No answer (the node died): it may have happened.
                Err(_) => {}
            }
            result
        };
        if result.is_err() {
            // The node is down: do not spin while it restarts.
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The status of `order` at `addr`, if it answers and knows it.
fn order_status(shared: &Shared, addr: &Addr, order: &str) -> Option<String> {
    let result = addr.call("GET", &format!("/api/v1/admin/orders/{order}"), None);
    shared.check_status("show an order", &result);
    match result {
        Ok((200, view)) => view["status"].as_str().map(str::to_owned),
        _ => None,
    }
}

/// Places orders from each center to the next one's order listing and takes
/// them through accept, ship and complete until told to stop.
fn trade(shared: &Shared, addrs: &[Addr; 3], listings: &[String; 3], seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut in_flight: Vec<usize> = Vec::new();
    while !shared.stop.load(Ordering::SeqCst) {
        if in_flight.len() < ORDERS_IN_FLIGHT {
            let buyer = rng.gen_range(0..3);
            let seller = (buyer + 1) % 3;
            let body = json!({
                "seller": addrs[seller].id, "listing": listings[seller], "quantity": 1,
                "buyer_name": "Bu Sri Wahyuni", "buyer_phone": "0812 3456 7890",
                "payment_at": "buyer_center", "payment_method": "cash",
            });
            let result = addrs[buyer].call("POST", "/api/v1/admin/orders", Some(&body));
            shared.check_status("place an order", &result);
            if let Ok((201, view)) = result {
                let mut ledger = shared.ledger.lock().expect("ledger");
                ledger.orders.push(Order {
                    id: view["id"].as_str().expect("order id").to_owned(),
                    buyer,
                    seller,
                    acked: vec!["place"],
                    next: 0,
                });
                in_flight.push(ledger.orders.len() - 1);
                drop(ledger);
                shared.ack(buyer);
            }
        }
        let mut done = Vec::new();
        for &index in &in_flight {
            let (id, buyer, seller, next) = {
                let ledger = shared.ledger.lock().expect("ledger");
                let o = &ledger.orders[index];
                (o.id.clone(), o.buyer, o.seller, o.next)
            };
            let (action, side, needs) = STEPS[next];
            let actor = if side == Side::Buyer { buyer } else { seller };
            let Some(status) = order_status(shared, &addrs[actor], &id) else {
                continue;
            };
            if status != needs {
                match STATUSES.iter().position(|s| *s == status) {
                    // Taken already by an attempt whose answer was lost.
                    Some(at) if at > next => advance(shared, index, None, &mut done),
                    // The other side's step has not arrived yet (it travels as mail).
                    Some(_) => {}
                    // Rejected, cancelled or refused: nothing more to do.
                    None => done.push(index),
                }
                continue;
            }
            let result =
                addrs[actor].call("POST", &format!("/api/v1/admin/orders/{id}/{action}"), None);
            shared.check_status("step an order", &result);
            if let Ok((200, _)) = result {
                advance(shared, index, Some(action), &mut done);
                shared.ack(actor);
            }
        }
        in_flight.retain(|i| !done.contains(i));
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Moves order `index` to its next step, noting `acked` if the step was answered OK.
fn advance(shared: &Shared, index: usize, acked: Option<&'static str>, done: &mut Vec<usize>) {
    let mut ledger = shared.ledger.lock().expect("ledger");
    let order = &mut ledger.orders[index];
    order.acked.extend(acked);
    order.next += 1;
    if order.next == STEPS.len() {
        done.push(index);
    }
}

/// The first way in which the network has not (yet) converged on everything
/// acknowledged, or `None`.
fn problem(addrs: &[Addr; 3], ledger: &Ledger) -> Option<String> {
    // Catalog heads agree.
    let heads: Vec<Value> = addrs
        .iter()
        .map(|a| a.call("GET", "/api/v1/admin/catalogs", None))
        .collect::<Result<Vec<_>, _>>()
        .ok()?
        .into_iter()
        .map(|(_, body)| body)
        .collect();
    if heads.iter().any(|h| *h != heads[0]) {
        return Some(format!("catalog heads differ: {heads:?}"));
    }
    // The listings APIs agree, and show every acknowledged value.
    let mut pages = Vec::new();
    for addr in addrs {
        let mut page = BTreeMap::new();
        for center in addrs {
            let path = format!(
                "/api/v1/listings?limit=100&sort=newest&center={}",
                center.id
            );
            match addr.call("GET", &path, None) {
                Ok((200, body)) => {
                    page.insert(center.id.clone(), body);
                }
                other => return Some(format!("listings at {}: {other:?}", addr.url)),
            }
        }
        pages.push(page);
    }
    if pages.iter().any(|p| *p != pages[0]) {
        return Some("the listings APIs differ".to_owned());
    }
    for (node, page) in pages.iter().enumerate() {
        for (id, tracked) in &ledger.listings {
            let owner = &addrs[tracked.owner].id;
            let item = page[owner]["items"]
                .as_array()
                .and_then(|items| items.iter().find(|i| i["id"] == id.as_str()));
            let Some(item) = item else {
                return Some(format!(
                    "listing {id} ({}) missing at node {node}",
                    tracked.title
                ));
            };
            let price = item["price_idr"].as_i64().unwrap_or(-1);
            if price != tracked.price_idr && !tracked.maybe.contains(&price) {
                return Some(format!(
                    "listing {id} at node {node}: price {price}, acknowledged {} (maybe {:?})",
                    tracked.price_idr, tracked.maybe
                ));
            }
        }
    }
    // Every acknowledged order step is at both centers, settled, in one history.
    for order in &ledger.orders {
        let mut histories = Vec::new();
        for side in [order.buyer, order.seller] {
            let result =
                addrs[side].call("GET", &format!("/api/v1/admin/orders/{}", order.id), None);
            let Ok((200, view)) = result else {
                return Some(format!("order {} at node {side}: {result:?}", order.id));
            };
            let events = view["events"].as_array().cloned().unwrap_or_default();
            for action in &order.acked {
                if !events
                    .iter()
                    .any(|e| e["action"] == *action && e["proposed"] == false)
                {
                    return Some(format!(
                        "order {} at node {side}: acknowledged {action} not settled: {view}",
                        order.id
                    ));
                }
            }
            histories.push(crate::support::history(&view));
        }
        if histories[0] != histories[1] {
            return Some(format!(
                "order {} histories differ: {histories:?}",
                order.id
            ));
        }
    }
    None
}

#[test]
fn sigkill_at_random_moments_a_hundred_times_loses_nothing_acknowledged() {
    let started = Instant::now();
    let loops = env_number("TELECENTER_CRASH_LOOPS").unwrap_or(100);
    let seed = env_number("TELECENTER_CRASH_SEED").unwrap_or_else(fresh_seed);
    eprintln!("crash loop: seed {seed} (TELECENTER_CRASH_SEED={seed} replays it), {loops} kills");
    let mut rng = StdRng::seed_from_u64(seed);

    let names = [
        ("Telecenter Kota Malang", "Kota Malang"),
        ("Telecenter Kab Blitar", "Kabupaten Blitar"),
        ("Telecenter Ponorogo", "Kabupaten Ponorogo"),
    ];
    let mut stations: Vec<Station> = names
        .iter()
        .map(|(name, region)| Station::new(name, region))
        .collect();
    let mut order_listings: Vec<String> = Vec::new();
    for station in &stations {
        repair_every_second(&station.folder.data);
        let listing = station.folder.ok(&listing_add_args(
            "Kopi Pesanan",
            "15.000",
            "100000",
            "makanan",
        ));
        order_listings.push(listing.trim().to_owned());
    }
    for station in &mut stations {
        station.start();
    }
    for (i, a) in stations.iter().enumerate() {
        for b in stations.iter().skip(i + 1) {
            a.folder.ok(&["peer", "add", &b.url()]);
            b.folder.ok(&["peer", "add", &a.url()]);
        }
    }
    let addrs: [Addr; 3] = std::array::from_fn(|i| Addr {
        url: stations[i].url(),
        token: admin_token(&stations[i].folder.data),
        id: stations[i].id.clone(),
    });
    // Orders need the seller's listing at the buyer first.
    for buyer in 0..3 {
        let seller = (buyer + 1) % 3;
        let path = format!(
            "/api/v1/listings/{}/{}",
            addrs[seller].id, order_listings[seller]
        );
        poll(PROGRESS_DEADLINE, || {
            matches!(addrs[buyer].call("GET", &path, None), Ok((200, _))).then_some(())
        })
        .expect("the order listings travel");
    }

    let shared = Arc::new(Shared {
        ledger: Mutex::new(Ledger::default()),
        acks: Default::default(),
        stop: AtomicBool::new(false),
    });
    let listings: [String; 3] = std::array::from_fn(|i| order_listings[i].clone());
    let mut threads = Vec::new();
    for (me, addr) in addrs.iter().enumerate() {
        let (shared, addr, thread_seed) = (shared.clone(), addr.clone(), rng.r#gen::<u64>());
        threads.push(std::thread::spawn(move || {
            write_listings(&shared, &addr, me, thread_seed);
        }));
    }
    {
        let (shared, addrs, thread_seed) = (shared.clone(), addrs.clone(), rng.r#gen::<u64>());
        threads.push(std::thread::spawn(move || {
            trade(&shared, &addrs, &listings, thread_seed);
        }));
    }

    let mut kills = [0usize; 3];
    let mut since = [0usize; 3];
    for iteration in 0..loops {
        let victim = rng.gen_range(0..3);
        // Let traffic reach the victim since it last came up, then a moment more.
        let wanted = since[victim] + rng.gen_range(1..=4);
        poll(PROGRESS_DEADLINE, || {
            (shared.acks[victim].load(Ordering::SeqCst) >= wanted).then_some(())
        })
        .unwrap_or_else(|| panic!("no traffic reached node {victim} in iteration {iteration}"));
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..200)));
        stations[victim].kill();
        kills[victim] += 1;
        assert_eq!(
            integrity_check(&stations[victim]),
            "ok",
            "node {victim} after kill {iteration} (seed {seed})"
        );
        stations[victim].start();
        since[victim] = shared.acks[victim].load(Ordering::SeqCst);
    }
    let traffic_time = started.elapsed();

    shared.stop.store(true, Ordering::SeqCst);
    for thread in threads {
        thread.join().expect("traffic thread");
    }
    let ledger = shared.ledger.lock().expect("ledger");
    assert!(
        ledger.server_errors.is_empty(),
        "5xx answers (seed {seed}): {:?}",
        ledger.server_errors
    );
    let mut last = String::new();
    poll(CONVERGE_DEADLINE, || match problem(&addrs, &ledger) {
        None => Some(()),
        Some(p) => {
            last = p;
            None
        }
    })
    .unwrap_or_else(|| panic!("no convergence (seed {seed}): {last}"));
    for (i, station) in stations.iter_mut().enumerate() {
        station.kill();
        assert_eq!(integrity_check(station), "ok", "node {i} at the end");
    }

    let acked_listing_writes: usize = shared.acks.iter().map(|a| a.load(Ordering::SeqCst)).sum();
    let steps: usize = ledger.orders.iter().map(|o| o.acked.len()).sum();
    let finished: BTreeSet<&str> = ledger
        .orders
        .iter()
        .filter(|o| o.next == STEPS.len())
        .map(|o| o.id.as_str())
        .collect();
    eprintln!(
        "crash loop: seed {seed}, {loops} iterations, kills per node {kills:?}, \
         {acked_listing_writes} acknowledged writes ({} listings, {steps} order steps in {} orders, \
         {} completed), traffic {:.1} s, total {:.1} s",
        ledger.listings.len(),
        ledger.orders.len(),
        finished.len(),
        traffic_time.as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );
}

/// `PRAGMA integrity_check` on the node's database, opened read-only.
fn integrity_check(station: &Station) -> String {
    let conn = rusqlite::Connection::open_with_flags(
        station.folder.data.join("telecenter.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open db");
    conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity_check")
}

/// Sets `sync_interval_ms = 1000` in the config.toml of the data folder `data`.
pub(crate) fn repair_every_second(data: &std::path::Path) {
    let path = data.join("config.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    let mut lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("sync_interval_ms"))
        .collect();
    lines.push("sync_interval_ms = 1000");
    std::fs::write(&path, lines.join("\n") + "\n").expect("config");
}
