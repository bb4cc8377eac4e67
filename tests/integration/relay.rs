//! Orders between centers behind NAT, relayed as sealed mail by common peers,
//! with the real binary over real HTTP on loopback: a star of five centers
//! around one hub trading every pair, a hub killed and restarted mid-traffic,
//! two hubs carrying the same mail, a chain of three relays, and a hub whose
//! data folder never holds the buyer's data.
//!
//! A center "behind NAT" here publishes no address and no other node is told
//! its URL: it runs `serve` only so its own CLI and its mail loop run, and
//! reaches the world over connections it opens to its hub.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Station, history, http, listing_add_args, poll, quick_check};

const DEADLINE: Duration = Duration::from_secs(60);
/// Units in each order (Rp 15.000 each).
const QTY: i64 = 3;
const PRICE_IDR: i64 = 15_000;

/// A center (see [`Station`]) with its name, and what it sells.
struct Center {
    station: Station,
    name: String,
    /// Its referral fee in percent (when it sells).
    fee_percent: i64,
    /// Its listing (when it sells).
    listing: String,
}

impl std::ops::Deref for Center {
    type Target = Station;
    fn deref(&self) -> &Station {
        &self.station
    }
}

impl std::ops::DerefMut for Center {
    fn deref_mut(&mut self) -> &mut Station {
        &mut self.station
    }
}

impl Center {
    fn new(name: &str) -> Self {
        Self {
            station: Station::new(name, "Jawa Timur"),
            name: name.to_owned(),
            fee_percent: 0,
            listing: String::new(),
        }
    }

    /// A center selling keripik at Rp 15.000 with a referral fee of `fee_percent` %.
    fn seller(name: &str, fee_percent: i64) -> Self {
        let mut center = Self::new(name);
        center.folder.ok(&[
            "profile",
            "--fee",
            &fee_percent.to_string(),
            "--fee-min",
            "1",
        ]);
        center.fee_percent = fee_percent;
        center.listing = center.folder.ok(&listing_add_args(
            &format!("Keripik {name}"),
            "15.000",
            "1000",
            "makanan",
        ));
        center.listing = center.listing.trim().to_owned();
        center
    }

    /// Sets `key = value` in its config.toml (before it starts).
    fn configure(&self, key: &str, value: &str) {
        let path = self.folder.data.join("config.toml");
        let text = std::fs::read_to_string(&path).expect("config");
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| l.split('=').next().map(str::trim) != Some(key))
            .map(str::to_owned)
            .collect();
        lines.push(format!("{key} = {value}"));
        std::fs::write(&path, lines.join("\n") + "\n").expect("config");
    }

    /// The fee this center charges on one order of [`QTY`] units.
    fn fee_idr(&self) -> i64 {
        (QTY * PRICE_IDR * self.fee_percent / 100).max(1)
    }
}

/// `hub` takes `center` as a peer without address; `center` peers with the hub's URL.
fn attach(hub: &Center, center: &Center) {
    hub.folder.ok(&[
        "peer",
        "add",
        "--center",
        &center.id,
        "--name",
        &center.name,
    ]);
    center.folder.ok(&["peer", "add", &hub.url()]);
}

/// `a` and `b` (both with addresses) peer both ways.
fn link(a: &Center, b: &Center) {
    a.folder.ok(&["peer", "add", &b.url()]);
    b.folder.ok(&["peer", "add", &a.url()]);
}

/// Waits until `buyer` has `seller`'s listing in its catalog.
fn wait_listing(buyer: &Center, seller: &Center) {
    let url = format!(
        "{}/api/v1/listings/{}/{}",
        buyer.url(),
        seller.id,
        seller.listing
    );
    poll(DEADLINE, || {
        let (status, _) = http("GET", &url, None, None).ok()?;
        (status == 200).then_some(())
    })
    .unwrap_or_else(|| panic!("{}'s listing never reached {}", seller.name, buyer.name));
}

/// Places an order of [`QTY`] units of `seller`'s listing at `buyer` for
/// this buyer; returns the order id.
fn place_for(buyer: &Center, seller: &Center, name: &str, phone: &str, note: &str) -> String {
    buyer.folder.place_order_for(
        &seller.id,
        &seller.listing,
        &QTY.to_string(),
        (name, phone, note),
    )
}

fn place(buyer: &Center, seller: &Center) -> String {
    place_for(buyer, seller, "Bu Sri Wahyuni", "0812 3456 7890", "")
}

/// Waits until `center` shows `order` as `status` with nothing pending.
fn wait_status(center: &Center, order: &str, status: &str) -> Value {
    center
        .folder
        .wait_order(&center.name, order, status, DEADLINE)
}

/// One order between two centers.
struct Trade<'a> {
    buyer: &'a Center,
    seller: &'a Center,
    id: String,
}

/// Takes every trade through accept, ship and complete, step by step for all
/// at once; checks that both sides end with the same four events.
/// Starts `hub` and one selling center per name (the i-th charging
/// `fee_step × i` %), each attached to the hub only.
fn star(hub: &mut Center, names: &[&str], fee_step: i64) -> Vec<Center> {
    let mut centers: Vec<Center> = names
        .iter()
        .zip(1..)
        .map(|(name, i)| Center::seller(&format!("Telecenter {name}"), fee_step * i))
        .collect();
    hub.start();
    for center in &mut centers {
        center.start();
    }
    for center in &centers {
        attach(hub, center);
    }
    centers
}

/// Waits until every center sees every other's listing, then every center
/// orders once from every other.
fn order_every_pair(centers: &[Center]) -> Vec<Trade<'_>> {
    for buyer in centers {
        for seller in centers.iter().filter(|s| s.id != buyer.id) {
            wait_listing(buyer, seller);
        }
    }
    let mut trades = Vec::new();
    for buyer in centers {
        for seller in centers.iter().filter(|s| s.id != buyer.id) {
            trades.push(Trade {
                buyer,
                seller,
                id: place(buyer, seller),
            });
        }
    }
    trades
}

fn complete_all(trades: &[Trade<'_>]) {
    for t in trades {
        wait_status(t.seller, &t.id, "placed");
    }
    accept_all(trades);
    finish_all(trades);
}

fn accept_all(trades: &[Trade<'_>]) {
    for t in trades {
        t.seller.folder.ok(&["order", "accept", &t.id]);
    }
}

/// From accepted (at the seller) to completed at both sides.
fn finish_all(trades: &[Trade<'_>]) {
    for t in trades {
        wait_status(t.buyer, &t.id, "accepted");
        t.seller.folder.ok(&["order", "ship", &t.id]);
    }
    for t in trades {
        wait_status(t.buyer, &t.id, "shipped");
        t.buyer.folder.ok(&["order", "complete", &t.id]);
    }
    for t in trades {
        let at_seller = wait_status(t.seller, &t.id, "completed");
        let at_buyer = wait_status(t.buyer, &t.id, "completed");
        assert_eq!(history(&at_seller), history(&at_buyer), "order {}", t.id);
        assert_eq!(history(&at_seller).len(), 4, "order {}", t.id);
    }
}

/// `center`'s balance with `other` (positive: `other` owes `center`).
fn balance_with(center: &Center, other: &Center) -> i64 {
    center.json(&["fees", "balances"])["balances"]
        .as_array()
        .expect("balances")
        .iter()
        .find(|b| b["center"] == other.id.as_str())
        .map_or(0, |b| b["balance_idr"].as_i64().expect("balance"))
}

/// The sum of all balances `center` holds.
fn balance_sum(center: &Center) -> i64 {
    center.json(&["fees", "balances"])["balances"]
        .as_array()
        .expect("balances")
        .iter()
        .map(|b| b["balance_idr"].as_i64().expect("balance"))
        .sum()
}

/// `center`'s statement lines with `other` this month, as (id, kind, reference, amount).
fn statement(center: &Center, other: &Center, month: &str) -> Vec<(String, String, String, i64)> {
    center.json(&[
        "fees",
        "statement",
        "--with",
        &other.id,
        "--from",
        month,
        "--to",
        month,
    ])["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["id"].as_str().expect("id").to_owned(),
                l["kind"].as_str().expect("kind").to_owned(),
                l["reference"].as_str().expect("reference").to_owned(),
                l["amount_idr"].as_i64().expect("amount"),
            )
        })
        .collect()
}

/// The month of the trades' completion (YYYY-MM).
fn month_of(trade: &Trade<'_>) -> String {
    let view = trade.seller.json(&["order", "show", &trade.id]);
    view["completed_at"].as_str().expect("completed")[..7].to_owned()
}

/// Checks the ledgers of `a` and `b` after `orders` orders between them in
/// each direction: both statements mirror each other line by line, every
/// entry is there once, and the balance is exactly the difference of the fees.
fn check_pair(a: &Center, b: &Center, month: &str, orders_each_way: usize) {
    let at_a = statement(a, b, month);
    let at_b = statement(b, a, month);
    let ids: BTreeSet<&String> = at_a.iter().map(|l| &l.0).collect();
    assert_eq!(
        ids.len(),
        at_a.len(),
        "an entry twice at {}: {at_a:?}",
        a.name
    );
    let mirrored: BTreeSet<(String, String, String, i64)> = at_b
        .iter()
        .map(|(id, kind, reference, amount)| (id.clone(), kind.clone(), reference.clone(), -amount))
        .collect();
    assert_eq!(
        at_a.iter().cloned().collect::<BTreeSet<_>>(),
        mirrored,
        "{} and {} disagree",
        a.name,
        b.name
    );
    let references: BTreeSet<&String> = at_a.iter().map(|l| &l.2).collect();
    assert_eq!(references.len(), 2 * orders_each_way, "{at_a:?}");
    // Each order: the goods the buyer's center collected, less the seller's fee.
    let n = i64::try_from(orders_each_way).expect("count");
    let expected = n * (b.fee_idr() - a.fee_idr());
    assert_eq!(balance_with(a, b), expected, "{} with {}", a.name, b.name);
    assert_eq!(balance_with(b, a), -expected, "{} with {}", b.name, a.name);
}

#[test]
fn star_topology_every_pair_trades_through_the_hub() {
    let started = Instant::now();
    let mut hub = Center::new("Hub Kabupaten Malang");
    let centers = star(
        &mut hub,
        &["Dau", "Batu", "Pujon", "Ngantang", "Kasembon"],
        2,
    );
    let peers = hub.json(&["peer", "list"]);
    assert!(
        peers
            .as_array()
            .expect("peers")
            .iter()
            .all(|p| p["url"].is_null()),
        "the hub knows no address of its centers: {peers}"
    );
    // Every center accepts every other through the hub's vouches alone.
    let trades = order_every_pair(&centers);
    assert_eq!(trades.len(), 20);
    complete_all(&trades);
    let month = month_of(&trades[0]);
    for (i, a) in centers.iter().enumerate() {
        for b in &centers[i + 1..] {
            check_pair(a, b, &month, 1);
        }
    }
    let total: i64 = centers.iter().map(balance_sum).sum();
    assert_eq!(total, 0, "all balances sum to zero");
    // The hub trades with nobody.
    assert_eq!(
        hub.json(&["fees", "balances"])["balances"],
        Value::Array(vec![])
    );
    // Each side's order says its messages travelled through the hub, and that
    // the other center is accepted on the hub's word.
    for trade in &trades {
        for (side, other) in [(trade.buyer, trade.seller), (trade.seller, trade.buyer)] {
            let view = side.json(&["order", "show", &trade.id]);
            let delivery = &view["delivery"];
            for way in ["last_in", "last_out"] {
                assert_eq!(delivery[way]["via"], hub.id.as_str(), "{way}: {view}");
                assert_eq!(delivery[way]["via_name"], hub.name.as_str(), "{view}");
                assert_eq!(delivery[way]["direct"], false, "{view}");
            }
            let path: Vec<&str> = delivery["trust_path"]
                .as_array()
                .expect("trust path")
                .iter()
                .filter_map(|c| c["center_id"].as_str())
                .collect();
            assert_eq!(path, [hub.id.as_str(), other.id.as_str()], "{view}");
            assert_eq!(delivery["can_deliver"], true, "{view}");
        }
    }
    eprintln!("star: {:?}", started.elapsed());
}

#[test]
fn hub_killed_and_restarted_mid_traffic_loses_and_doubles_nothing() {
    let started = Instant::now();
    let mut hub = Center::new("Hub Kabupaten Blitar");
    let centers = star(&mut hub, &["Wlingi", "Kesamben", "Srengat"], 3);
    let trades = order_every_pair(&centers);
    for t in &trades {
        wait_status(t.seller, &t.id, "placed");
    }
    // Half the acceptances go out, and the hub dies at once: some of that mail
    // may be held by the hub, some not yet handed to it.
    let (first, rest) = trades.split_at(3);
    accept_all(first);
    hub.kill();
    // The rest are accepted while the hub is down; they wait at the sellers.
    accept_all(rest);
    for t in rest {
        let view = t.seller.json(&["order", "show", &t.id]);
        assert_eq!(view["status"], "accepted");
    }
    hub.start();
    assert_eq!(quick_check(&hub.folder.data), "ok");
    finish_all(&trades);
    let month = month_of(&trades[0]);
    for (i, a) in centers.iter().enumerate() {
        for b in &centers[i + 1..] {
            check_pair(a, b, &month, 1);
        }
    }
    let total: i64 = centers.iter().map(balance_sum).sum();
    assert_eq!(total, 0);
    eprintln!("hub restart: {:?}", started.elapsed());
}

#[test]
fn two_hubs_deliver_once() {
    let started = Instant::now();
    let mut hubs = [
        Center::new("Hub Kota Kediri"),
        Center::new("Hub Kabupaten Kediri"),
    ];
    let mut centers = [
        Center::seller("Telecenter Pare", 2),
        Center::seller("Telecenter Kandangan", 5),
    ];
    for node in hubs.iter_mut().chain(centers.iter_mut()) {
        node.start();
    }
    for hub in &hubs {
        for center in &centers {
            attach(hub, center);
        }
    }
    let [a, b] = &centers;
    wait_listing(a, b);
    wait_listing(b, a);
    let mut trades = Vec::new();
    for _ in 0..2 {
        trades.push(Trade {
            buyer: a,
            seller: b,
            id: place(a, b),
        });
        trades.push(Trade {
            buyer: b,
            seller: a,
            id: place(b, a),
        });
    }
    complete_all(&trades);
    check_pair(a, b, &month_of(&trades[0]), 2);
    // Each step is held once at each side, however many hubs carried it.
    for center in &centers {
        let conn =
            rusqlite::Connection::open(center.folder.data.join("telecenter.db")).expect("open db");
        let (events, distinct): (i64, i64) = conn
            .query_row(
                "SELECT count(*), count(DISTINCT order_id || '/' || seq) FROM order_events",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .expect("count events");
        assert_eq!((events, distinct), (16, 16), "at {}", center.name);
    }
    eprintln!("two hubs: {:?}", started.elapsed());
}

/// A — R1 — R2 — R3 — B: A and B without addresses, the relays peered in a
/// chain by address. Returns (A, relays, B), all running.
fn relay_chain() -> (Center, [Center; 3], Center) {
    let mut a = Center::new("Telecenter Sumenep");
    let mut relays = [
        Center::new("Relay Pamekasan"),
        Center::new("Relay Sampang"),
        Center::new("Relay Bangkalan"),
    ];
    let mut b = Center::seller("Telecenter Gresik", 4);
    // The end relays reach one hop further with their vouches than the default,
    // so each accepts the center at the far end of the chain.
    relays[0].configure("vouch_depth", "3");
    relays[2].configure("vouch_depth", "3");
    for node in [&mut a, &mut b].into_iter().chain(relays.iter_mut()) {
        node.start();
    }
    link(&relays[0], &relays[1]);
    link(&relays[1], &relays[2]);
    attach(&relays[0], &a);
    attach(&relays[2], &b);
    // A and B trust each other by id; neither knows the other's address.
    a.folder.ok(&["trust", &b.id]);
    b.folder.ok(&["trust", &a.id]);
    (a, relays, b)
}

#[test]
fn a_center_three_relays_away_gets_its_order() {
    let started = Instant::now();
    let (a, _relays, b) = relay_chain();
    wait_listing(&a, &b);
    let trades = [Trade {
        buyer: &a,
        seller: &b,
        id: place(&a, &b),
    }];
    complete_all(&trades);
    let expected = b.fee_idr() - QTY * PRICE_IDR;
    assert_eq!(balance_with(&a, &b), expected);
    assert_eq!(balance_with(&b, &a), -expected);
    eprintln!("three relays: {:?}", started.elapsed());
}

/// Routes used to travel only with the answer of each hop's long poll (up to
/// 25 s a hop): an order placed right after a center joined waited about 50 s
/// to cross three relays. A change of routes now ends the long polls at once.
#[test]
fn routes_to_a_new_center_travel_at_once_not_with_each_hops_long_poll() {
    let (a, _relays, b) = relay_chain();
    wait_listing(&a, &b);
    let placed = Instant::now();
    let order = place(&a, &b);
    // Well inside one long poll (25 s).
    let prompt = Duration::from_secs(10);
    poll(prompt, || {
        let out = b.folder.run(&["--json", "order", "show", &order]);
        let view: Value = serde_json::from_slice(&out.stdout).ok()?;
        (view["status"] == "placed").then_some(())
    })
    .unwrap_or_else(|| panic!("the order took longer than {prompt:?} to cross three relays"));
    eprintln!("placed at the seller after {:?}", placed.elapsed());
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The files under `dir` whose bytes contain `needle`.
fn holding(dir: &Path, needle: &str) -> Vec<std::path::PathBuf> {
    files(dir)
        .into_iter()
        .filter(|path| {
            let bytes = std::fs::read(path).expect("read file");
            bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        })
        .collect()
}

#[test]
fn hub_data_folder_holds_no_buyer_data() {
    let started = Instant::now();
    let mut hub = Center::new("Hub Kabupaten Ponorogo");
    let mut a = Center::seller("Telecenter Slahung", 2);
    let mut b = Center::seller("Telecenter Sooko", 6);
    for node in [&mut hub, &mut a, &mut b] {
        node.start();
    }
    attach(&hub, &a);
    attach(&hub, &b);
    wait_listing(&a, &b);
    wait_listing(&b, &a);
    let name = "Ibu Kartinah Wulansari";
    let phone = "0813 9753 1864";
    let note = "titip di pos ronda RT07 dekat musala";
    let trades = [
        Trade {
            buyer: &a,
            seller: &b,
            id: place_for(&a, &b, name, phone, note),
        },
        Trade {
            buyer: &b,
            seller: &a,
            id: place_for(&b, &a, name, phone, note),
        },
    ];
    complete_all(&trades);
    let seen = trades[0].seller.json(&["order", "show", &trades[0].id]);
    assert_eq!(seen["buyer_name"], name, "{seen}");
    let seen_phone = seen["buyer_phone"].as_str().unwrap_or(phone).to_owned();
    let seen_note = seen["note"].as_str().unwrap_or(note).to_owned();
    for node in [&mut hub, &mut a, &mut b] {
        node.kill();
    }
    let mut needles = vec![name.to_owned(), note.to_owned(), phone.to_owned()];
    needles.push(seen_phone);
    needles.push(seen_note);
    // The scan can find them: the sellers hold what their buyers told them.
    for needle in [name, note] {
        for seller in [&a, &b] {
            assert!(
                !holding(&seller.folder.data, needle).is_empty(),
                "{needle:?} is not in {}'s folder",
                seller.name
            );
        }
    }
    let scanned = files(&hub.folder.data);
    assert!(
        scanned.iter().any(|p| p.ends_with("telecenter.db")),
        "{scanned:?}"
    );
    for needle in &needles {
        let found = holding(&hub.folder.data, needle);
        assert!(found.is_empty(), "the hub holds {needle:?} in {found:?}");
    }
    eprintln!("hub holds no buyer data: {:?}", started.elapsed());
}
