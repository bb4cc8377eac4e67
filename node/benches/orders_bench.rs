//! Benchmarks of orders between two centers: the cost of each step (sign +
//! durable commit), of taking a step in on the other node, the size of pair
//! messages on the wire, and the fee report over many completed orders.
//!
//! Run: `cargo bench -p telecenter-node --bench orders_bench` (release build).
//! `ORDERS=N` sets how many orders go through their whole life (default 2 000).
//! Prints one line per measurement; nothing is asserted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_node::node::PairExchange;
use telecenter_node::node::PlaceOrder;
use telecenter_node::{Clock, ManualClock, Node, accounting};
use telecenter_protocol::catalog::input::{NewListing, ProfileInput};
use telecenter_protocol::order::{Action, Collector, PayMethod};
use telecenter_protocol::{DocId, Identity};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn center(dir: &std::path::Path, seed: u8, name: &str, clock: Arc<ManualClock>) -> Node {
    let node = Node::create(
        &dir.join(format!("{seed}.db")),
        Identity::from_secret_bytes(&[seed; 32]),
        &ProfileInput {
            name: Some(name.into()),
            region: Some("Jawa Timur".into()),
            ..Default::default()
        },
        clock,
        Box::new(StdRng::seed_from_u64(u64::from(seed))),
    )
    .expect("create");
    node.set_profile(&ProfileInput {
        referral_fee_bp: Some(300),
        referral_fee_min_idr: Some(1_000),
        ..Default::default()
    })
    .expect("fees");
    node
}

/// Hands `from`'s waiting messages to `to` and the answers back; returns the
/// JSON bytes of the exchange request and answer.
fn deliver(from: &Node, to: &Node) -> (usize, usize) {
    let messages: Vec<_> = from
        .outbox_for(&to.center_id())
        .expect("outbox")
        .into_iter()
        .map(|m| m.message)
        .collect();
    let request = PairExchange {
        messages: messages.clone(),
        results: Vec::new(),
    };
    let results = to.pair_receive(&from.center_id(), messages);
    let answer = PairExchange {
        messages: Vec::new(),
        results: results.clone(),
    };
    from.pair_results(&to.center_id(), &results)
        .expect("results");
    (
        serde_json::to_vec(&request).expect("json").len(),
        serde_json::to_vec(&answer).expect("json").len(),
    )
}

fn report(label: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{label:<44} p50 {:>7.2} ms  p99 {:>7.2} ms",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3
    );
}

fn main() {
    let orders: usize = std::env::var("ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(1_795_392_000_000));
    let seller = center(dir.path(), 1, "Telecenter Kota Malang", clock.clone());
    let buyer = center(dir.path(), 2, "Telecenter Ponorogo", clock.clone());
    seller.trust(&buyer.center_id()).expect("trust");
    buyer.trust(&seller.center_id()).expect("trust");
    let listing = seller
        .add_listing(&NewListing {
            title: "Keripik Pisang Agung".into(),
            description: String::new(),
            lang: None,
            category: "makanan".into(),
            price_idr: 15_000,
            stock: 1_000_000,
            unit: Some("bungkus".into()),
            producer: Some("UMKM Sumber Rejeki".into()),
            producer_village: None,
            photos: Vec::new(),
        })
        .expect("listing")
        .listing
        .id;
    for result in buyer
        .receive(
            &seller
                .changes_of(&DocId::catalog(seller.center_id()))
                .expect("changes"),
        )
        .expect("receive")
    {
        result.expect("applied");
    }
    let mut place = Vec::new();
    let mut take_in = Vec::new();
    let mut step = Vec::new();
    let mut sizes = Vec::new();
    let start = Instant::now();
    for i in 0..orders {
        clock.advance(60_000);
        let t = Instant::now();
        let row = buyer
            .place_order(&PlaceOrder {
                seller: seller.center_id(),
                listing: listing.clone(),
                quantity: 1 + (i % 5) as i64,
                unit_price_idr: Some(15_000),
                buyer_name: "Bu Sri Wahyuni".into(),
                buyer_phone: "0812 3456 7890".into(),
                payment_at: if i % 2 == 0 {
                    Collector::BuyerCenter
                } else {
                    Collector::SellerCenter
                },
                payment_method: PayMethod::Cash,
                note: String::new(),
            })
            .expect("place");
        place.push(t.elapsed());
        let t = Instant::now();
        let placed = deliver(&buyer, &seller);
        take_in.push(t.elapsed());
        let id = row.state.id;
        for action in [Action::Accept, Action::Ship] {
            let t = Instant::now();
            seller.order_step(&id, action, None).expect("step");
            step.push(t.elapsed());
        }
        let shipped = deliver(&seller, &buyer);
        let t = Instant::now();
        buyer
            .order_step(&id, Action::Complete, None)
            .expect("complete");
        step.push(t.elapsed());
        let completed = deliver(&buyer, &seller);
        if i == 0 {
            sizes = vec![placed, shipped, completed];
        }
    }
    let elapsed = start.elapsed();
    println!(
        "{orders} orders through place → accept → ship → complete, delivered both ways: {:.2} s ({:.0} orders/s, {:.0} steps/s incl. taking in)",
        elapsed.as_secs_f64(),
        orders as f64 / elapsed.as_secs_f64(),
        (orders * 4) as f64 / elapsed.as_secs_f64()
    );
    report("place (sign + commit + outbox)", place);
    report("seller takes a placement in (verify + checks)", take_in);
    report("accept/ship/complete (incl. stock change)", step);
    let [placed, shipped, completed] = [sizes[0], sizes[1], sizes[2]];
    println!(
        "wire, JSON bytes (request + answer): placement {} + {}, accept+ship {} + {}, complete {} + {}",
        placed.0, placed.1, shipped.0, shipped.1, completed.0, completed.1
    );
    let month = accounting::Month::of(clock.now_ms());
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let report = accounting::report(&seller, month).expect("report");
        times.push(t.elapsed());
        assert!(report.total.orders > 0);
    }
    report("fee report over all completed orders", times);
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        accounting::balances(&seller).expect("balances");
        times.push(t.elapsed());
    }
    report("balances (whole ledger)", times);
    let balances = accounting::balances(&seller).expect("balances");
    let buyer_view = accounting::balances(&buyer).expect("balances");
    println!(
        "ledger: {} entries; seller balance {} = −(buyer balance {})",
        balances[0].entries, balances[0].balance_idr, buyer_view[0].balance_idr
    );
    let size = std::fs::metadata(dir.path().join("1.db"))
        .map(|m| m.len())
        .unwrap_or(0)
        + std::fs::metadata(dir.path().join("1.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "seller database with {orders} orders: {:.1} MiB",
        size as f64 / 1_048_576.0
    );
}
