//! `telecenter demo`: a small province of five telecenters on this computer.
//!
//! Each center gets its own data folder (in a temporary folder removed at exit),
//! its sample catalog of local products, its own HTTP server on 127.0.0.1 and
//! its own sync engine. They are peered in a chain — Kota Malang – Kab Blitar –
//! Ponorogo – Sumenep – Gresik — so catalogs reach the ends only by being
//! relayed through the middle. Every center trusts the other four (as the members
//! of a provincial association would).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use telecenter_node::app;
use telecenter_node::data_dir::DataDir;
use telecenter_node::net::Outgoing;
use telecenter_node::node::PlaceOrder;
use telecenter_node::node::requests::RequestInput;
use telecenter_node::sample::{SAMPLES, add_sample_listings_with_pictures, sample_profile_of};
use telecenter_node::search::RawSearch;
use telecenter_node::search::SearchQuery;
use telecenter_node::server::{self, AppState};
use telecenter_node::sync::SyncEngine;
use telecenter_node::{Node, SystemClock};
use telecenter_protocol::catalog::input::ProfileInput;
use telecenter_protocol::order::{Action, Collector, OrderId, PayMethod};

/// The operator password of every demo node (printed at start).
const DEMO_PASSWORD: &str = "telecenter-demo";
/// Referral fee terms of the demo centers: (basis points, minimum rupiah).
const DEMO_FEES: [(u32, i64); 5] = [
    (300, 1_000),
    (250, 0),
    (500, 2_000),
    (300, 500),
    (400, 1_000),
];

struct DemoNode {
    node: Arc<Node>,
    url: String,
    name: String,
}

/// Runs the demo until Ctrl-C.
pub(crate) async fn run(first_port: Option<u16>, json: bool) -> Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("telecenter-demo-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let mut nodes = Vec::new();
    let mut servers = Vec::new();
    let mut listings_total = 0usize;
    for (index, _) in SAMPLES.iter().enumerate() {
        let profile = sample_profile_of(index)?;
        let name = profile.name.clone().unwrap_or_default();
        let data = DataDir::new(dir.path().join(format!("center-{}", index + 1)));
        let lock = data.try_lock()?.context("the demo folder is in use")?;
        let node = data.init(&profile, Arc::new(SystemClock), &lock)?;
        listings_total += add_sample_listings_with_pictures(&node, index)?;
        let port = first_port
            .map(|p| p.saturating_add(index as u16))
            .unwrap_or(0);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
        let url = format!("http://{}", listener.local_addr()?);
        // Each center publishes its fee terms and where its node takes orders,
        // so orders travel directly even between centers that are not peers.
        let (fee_bp, fee_min_idr) = DEMO_FEES[index % DEMO_FEES.len()];
        node.set_profile(&ProfileInput {
            referral_fee_bp: Some(fee_bp),
            referral_fee_min_idr: Some(fee_min_idr),
            address: Some(url.clone()),
            ..ProfileInput::default()
        })?;
        // Every demo center publishes a loopback address: allow those.
        node.set_outgoing(Outgoing::new(true));
        let node = Arc::new(node);
        nodes.push(DemoNode {
            node: node.clone(),
            url,
            name,
        });
        servers.push((listener, node, data, lock));
    }
    // Trust everyone; peer in a chain, both directions.
    for (i, a) in nodes.iter().enumerate() {
        for (j, b) in nodes.iter().enumerate() {
            if i == j {
                continue;
            }
            let center = b.node.center_id();
            if i.abs_diff(j) == 1 {
                a.node.add_peer(&center, &b.name, Some(&b.url))?;
            } else {
                a.node.trust(&center)?;
            }
        }
    }
    let mut tasks = Vec::new();
    for (listener, node, data, lock) in servers {
        let engine = SyncEngine::new(node.clone())?;
        tasks.push(engine.clone().spawn(5_000));
        let token = data.admin_token()?;
        let mut state = AppState::new(node, Some(&token));
        state.sync = Some(engine);
        data.set_operator_password(DEMO_PASSWORD)?;
        state.operator = Arc::new(telecenter_node::server::session::OperatorState::new(
            data.password_path(),
        ));
        tasks.push(tokio::spawn(async move {
            let _lock = lock;
            let _ = app::serve(state, listener, std::future::pending()).await;
        }));
    }
    if json {
        let list: Vec<_> = nodes
            .iter()
            .map(|n| serde_json::json!({"name": n.name, "url": n.url, "center_id": n.node.center_id().to_string(), "operator_password": DEMO_PASSWORD}))
            .collect();
        crate::output::print_json(&list)?;
    } else {
        println!(
            "A province of {} telecenters is running (peered in a chain):",
            nodes.len()
        );
        for n in &nodes {
            println!("  {:<34} {}/", n.name, n.url);
        }
        println!(
            "Operator pages: {}/operator (password: {DEMO_PASSWORD})",
            nodes[0].url
        );
        println!(
            "Data in {} (removed when you stop). Stop with Ctrl-C.",
            dir.path().display()
        );
    }
    // Report when every node shows every listing.
    let started = Instant::now();
    let all_seen = async {
        loop {
            let totals: Vec<u64> = nodes
                .iter()
                .map(|n| {
                    n.node
                        .search(&SearchQuery::default())
                        .map(|p| p.total)
                        .unwrap_or(0)
                })
                .collect();
            if totals.iter().all(|t| *t as usize == listings_total) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::select! {
        () = all_seen => {
            if !json {
                println!(
                    "All {} centers show all {listings_total} listings ({:.1} s after start).",
                    nodes.len(),
                    started.elapsed().as_secs_f64()
                );
            }
            match sample_orders(&nodes).await {
                Ok(count) if !json => println!(
                    "{count} sample orders between centers are on the operator pages (Pesanan, Biaya)."
                ),
                Ok(_) => {}
                Err(error) => eprintln!("sample orders could not be made: {error:#}"),
            }
            match sample_request(&nodes) {
                Ok(status) if !json => println!(
                    "A buyer's request waits at {} (Pesanan pembeli); the buyer's status page: {status}",
                    nodes[0].name
                ),
                Ok(_) => {}
                Err(error) => eprintln!("the sample buyer request could not be made: {error:#}"),
            }
            server::shutdown_signal().await;
        }
        () = server::shutdown_signal() => {}
    }
    for task in tasks {
        task.abort();
    }
    Ok(())
}

/// One sample order: (buyer, seller, search word, quantity, who collects the
/// money, the seller's steps, whether the buyer completes it).
type SampleOrder = (
    usize,
    usize,
    &'static str,
    i64,
    Collector,
    &'static [Action],
    bool,
);

/// Places a few orders between the demo centers and moves them along, so the
/// operator pages have something to show: one completed (fees booked), one
/// accepted and one waiting for the seller. Returns how many were placed.
async fn sample_orders(nodes: &[DemoNode]) -> Result<usize> {
    let plan: [SampleOrder; 3] = [
        (
            2,
            0,
            "keripik",
            3,
            Collector::BuyerCenter,
            &[Action::Accept, Action::Ship],
            true,
        ),
        (
            1,
            0,
            "kopi",
            2,
            Collector::SellerCenter,
            &[Action::Accept],
            false,
        ),
        (4, 3, "", 1, Collector::BuyerCenter, &[], false),
    ];
    let mut placed = 0;
    for (buyer, seller, word, quantity, collected_by, steps, complete) in plan {
        let (buyer, seller) = (&nodes[buyer], &nodes[seller]);
        let query = RawSearch {
            q: (!word.is_empty()).then(|| word.to_owned()),
            center: Some(seller.node.center_id().to_string()),
            ..RawSearch::default()
        }
        .validate()?;
        let Some(listing) = buyer.node.search(&query)?.items.into_iter().next() else {
            continue;
        };
        let row = buyer.node.place_order(&PlaceOrder {
            seller: seller.node.center_id(),
            listing: listing.listing.id.clone(),
            quantity,
            unit_price_idr: Some(listing.listing.price_idr),
            buyer_name: "Ibu Siti Rahayu".to_owned(),
            buyer_phone: "0812 3300 4455".to_owned(),
            payment_at: collected_by,
            payment_method: PayMethod::Cash,
            note: "Contoh pesanan demo".to_owned(),
        })?;
        placed += 1;
        let id = row.state.id;
        wait_for_order(&seller.node, &id, |status, pending| {
            status == "placed" && !pending
        })
        .await?;
        for action in steps {
            seller.node.order_step(&id, *action, None)?;
        }
        if complete {
            wait_for_order(&buyer.node, &id, |status, _| status == "shipped").await?;
            buyer.node.order_step(&id, Action::Complete, None)?;
            wait_for_order(&buyer.node, &id, |status, pending| {
                status == "completed" && !pending
            })
            .await?;
        }
    }
    Ok(placed)
}

/// A buyer's request at the first center for a product of the second, as a
/// buyer sends it from the product page: the operator's menu shows it waiting.
/// Returns the buyer's private status page.
fn sample_request(nodes: &[DemoNode]) -> Result<String> {
    let (here, seller) = (&nodes[0], &nodes[1]);
    let query = RawSearch {
        q: Some("pecel".to_owned()),
        center: Some(seller.node.center_id().to_string()),
        ..RawSearch::default()
    }
    .validate()?;
    let listing = here
        .node
        .search(&query)?
        .items
        .into_iter()
        .next()
        .context("no product of the second center is shown at the first")?;
    let valid = RequestInput {
        seller: None,
        listing: None,
        buyer_name: "Bu Ratna".to_owned(),
        buyer_phone: "0812-0000-1234".to_owned(),
        quantity: "2".to_owned(),
        pickup: true,
        note: "Saya ambil hari Sabtu".to_owned(),
    }
    .validate()
    .map_err(|errors| anyhow::anyhow!("{errors:?}"))?;
    let sent = here
        .node
        .submit_request(&listing.center_id, &listing.listing.id, &valid)?;
    Ok(format!(
        "{}/pesanan/{}?token={}",
        here.url, sent.code, sent.token
    ))
}

/// Waits (up to 30 s) until `node` holds `id` in a state `check` accepts.
async fn wait_for_order(
    node: &Node,
    id: &OrderId,
    check: impl Fn(&str, bool) -> bool,
) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(detail) = node.order(id)
            && check(detail.row.status_word(), detail.row.pending.is_some())
        {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "order {id} did not arrive in time"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
