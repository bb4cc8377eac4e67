//! Orders between centers with the real binary over real HTTP: a full life
//! cycle with the seller offline at order time and SIGKILLs of either node
//! between steps, duplicate and forged pair messages, two centers racing for
//! the last unit, and bad input refused with a plain reason.

use std::time::Duration;

use serde_json::{Value, json};
use telecenter_protocol::hop::HopAuth;
use telecenter_protocol::order::{Action, Body, OrderEvent, SignedMessage};
use telecenter_protocol::sealed::{MailExchange, SealedMail};
use telecenter_protocol::{CenterId, Identity};

use crate::support::{Station, admin_token, history, http, listing_add_args, poll, quick_check};

const DEADLINE: Duration = Duration::from_secs(60);

/// A center (see [`Station`]).
struct Center(Station);

impl std::ops::Deref for Center {
    type Target = Station;
    fn deref(&self) -> &Station {
        &self.0
    }
}

impl std::ops::DerefMut for Center {
    fn deref_mut(&mut self) -> &mut Station {
        &mut self.0
    }
}

impl Center {
    fn new(name: &str, region: &str) -> Self {
        Self(Station::new(name, region))
    }

    fn order(&self, id: &str) -> Value {
        self.json(&["order", "show", id])
    }

    fn identity(&self) -> Identity {
        let text = std::fs::read_to_string(self.folder.data.join("identity.key")).expect("key");
        Identity::from_secret_hex(text.trim()).expect("identity")
    }
}

/// Peers `a` and `b` both ways (both must be running).
fn peer(a: &Center, b: &Center) {
    a.folder.ok(&["peer", "add", &b.url()]);
    b.folder.ok(&["peer", "add", &a.url()]);
}

/// Waits until `center` shows `order`'s status as `status` with nothing pending.
fn wait_status(center: &Center, order: &str, status: &str) -> Value {
    center
        .folder
        .wait_order(&center.id, order, status, DEADLINE)
}

/// Waits until `center` can see `listing` of `seller` in its catalog index.
fn wait_listing(center: &Center, seller: &Center, listing: &str) {
    let url = format!("{}/api/v1/listings/{}/{listing}", center.url(), seller.id);
    poll(DEADLINE, || {
        let (status, _) = http("GET", &url, None, None).ok()?;
        (status == 200).then_some(())
    })
    .unwrap_or_else(|| panic!("{listing} never reached {}", center.id));
}

fn balance_with(center: &Center, other: &Center) -> i64 {
    let export = center.json(&["fees", "balances"]);
    export["balances"]
        .as_array()
        .expect("balances")
        .iter()
        .find(|b| b["center"] == other.id.as_str())
        .map_or(0, |b| b["balance_idr"].as_i64().expect("balance"))
}

fn stock(center: &Center, listing: &str) -> i64 {
    center.json(&["listing", "show", listing])["stock"]
        .as_i64()
        .expect("stock")
}

fn place(buyer: &Center, seller: &Center, listing: &str, qty: &str) -> String {
    buyer.folder.place_order(&seller.id, listing, qty)
}

/// Malang sells (3 %, minimum Rp 1.000) keripik at Rp 15.000, stock `stock`.
fn seller_with_stock(stock: &str) -> (Center, String) {
    let malang = Center::new("Telecenter Kota Malang", "Kota Malang");
    malang
        .folder
        .ok(&["profile", "--fee", "3", "--fee-min", "1.000"]);
    let listing = malang
        .folder
        .ok(&[
            listing_add_args("Keripik Pisang Agung", "15.000", stock, "makanan"),
            vec!["--producer", "UMKM Sumber Rejeki"],
        ]
        .concat())
        .trim()
        .to_owned();
    (malang, listing)
}

/// Seals `messages` as `from` for `to`, hands the mail to the node at `url` in a
/// signed mail exchange, and opens the mail its answer carries for `from`:
/// returns the status and `{"receipts": [...], "results": [...]}` (the results
/// of every answer mail, in order).
fn exchange(from: &Center, to: &Center, url: &str, messages: Vec<SignedMessage>) -> (u16, Value) {
    let to_id: CenterId = to.id.parse().expect("center id");
    let now = telecenter_node::Clock::now_ms(&telecenter_node::SystemClock);
    let bundle = serde_json::to_vec(&json!({ "messages": messages })).expect("bundle");
    let mut mail = Vec::new();
    if !messages.is_empty() {
        let sealed = SealedMail::seal(
            &from.identity(),
            &to_id,
            now,
            &bundle,
            &mut rand::rngs::OsRng,
        )
        .expect("seal");
        mail.push(sealed);
    }
    let body = serde_json::to_vec(&json!({ "mail": mail })).expect("body");
    let nonce: [u8; 16] = rand_nonce();
    let auth = HopAuth::sign(
        &from.identity(),
        to_id,
        now,
        nonce,
        "POST",
        "/api/v1/mail/exchange",
        &body,
    )
    .expect("sign");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let response = crate::support::client()
            .post(format!("{url}/api/v1/mail/exchange"))
            .header("authorization", auth)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("send");
        let status = response.status().as_u16();
        if status == 200 {
            assert!(
                response.headers().contains_key("telecenter-response"),
                "mail answers are signed"
            );
        }
        let value = response.json::<Value>().await.unwrap_or(Value::Null);
        if status != 200 {
            return (status, value);
        }
        let answer: MailExchange = serde_json::from_value(value).expect("mail exchange answer");
        let mut results = Vec::new();
        for mail in answer
            .mail
            .iter()
            .filter(|m| m.to == from.identity().center_id())
        {
            let plain = mail.open(&from.identity()).expect("answer mail opens");
            let bundle: Value = serde_json::from_slice(&plain).expect("bundle");
            results.extend(bundle["results"].as_array().cloned().unwrap_or_default());
        }
        (
            status,
            json!({ "receipts": answer.receipts, "results": results }),
        )
    })
}

fn rand_nonce() -> [u8; 16] {
    use std::hash::{BuildHasher, Hasher};
    let mut nonce = [0u8; 16];
    for chunk in nonce.chunks_mut(8) {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u8(1);
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    nonce
}

/// The signed message of `order`'s event `seq` as stored by `center`.
fn stored_event(center: &Center, order: &str, seq: i64) -> SignedMessage {
    let conn = rusqlite::Connection::open(center.folder.data.join("telecenter.db")).expect("db");
    let text: String = conn
        .query_row(
            "SELECT message FROM order_events WHERE order_id = ?1 AND seq = ?2",
            rusqlite::params![order, seq],
            |row| row.get(0),
        )
        .expect("stored event");
    serde_json::from_str(&text).expect("message")
}

/// Malang selling `stock` units (see `seller_with_stock`) and Ponorogo, both
/// running, peered, and Ponorogo already showing the listing.
fn seller_and_buyer(stock: &str) -> (Center, Center, String) {
    let (mut malang, listing) = seller_with_stock(stock);
    let mut ponorogo = Center::new("Telecenter Ponorogo", "Kabupaten Ponorogo");
    malang.start();
    ponorogo.start();
    peer(&malang, &ponorogo);
    wait_listing(&ponorogo, &malang, &listing);
    (malang, ponorogo, listing)
}

#[test]
fn an_order_lives_through_seller_offline_kills_duplicates_and_forgeries_and_books_once() {
    let (mut malang, mut ponorogo, listing) = seller_and_buyer("5");

    // The seller is offline when the buyer orders: the order waits in the outbox.
    malang.kill();
    let id = place(&ponorogo, &malang, &listing, "3");
    let waiting = ponorogo.order(&id);
    assert_eq!(waiting["status"], "placed");
    assert_eq!(waiting["pending"], "place");
    assert_eq!(waiting["buyer_phone"], "0812 3456 7890");
    malang.start();
    wait_status(&malang, &id, "placed");
    wait_status(&ponorogo, &id, "placed");

    // Accept reserves stock; the buyer is killed before the seller ships.
    malang.folder.ok(&["order", "accept", &id]);
    assert_eq!(stock(&malang, &listing), 2);
    // The seller is killed right after accepting: the step and the reserved
    // stock survive, and the buyer hears of the acceptance after the restart.
    malang.kill();
    malang.start();
    assert_eq!(stock(&malang, &listing), 2);
    wait_status(&ponorogo, &id, "accepted");
    ponorogo.kill();
    malang.folder.ok(&["order", "ship", &id]);
    ponorogo.start();
    wait_status(&ponorogo, &id, "shipped");

    // The buyer completes and is killed at once; after a restart nothing is
    // lost and nothing is booked twice.
    ponorogo.folder.ok(&["order", "complete", &id]);
    ponorogo.kill();
    ponorogo.start();
    let at_seller = wait_status(&malang, &id, "completed");
    let at_buyer = wait_status(&ponorogo, &id, "completed");
    assert_eq!(history(&at_seller), history(&at_buyer));
    assert_eq!(history(&at_seller).len(), 4);
    assert!(history(&at_buyer).iter().all(|(_, _, proposed)| !proposed));
    // 3 × Rp 15.000 collected by Ponorogo; Malang owes 3 % = Rp 1.350.
    assert_eq!(balance_with(&malang, &ponorogo), 45_000 - 1_350);
    assert_eq!(balance_with(&ponorogo, &malang), -(45_000 - 1_350));
    let month = at_seller["completed_at"].as_str().expect("completed")[..7].to_owned();
    let report = malang.json(&["fees", "report", "--month", &month]);
    assert_eq!(report["total"]["gross_sales_idr"], 45_000);
    assert_eq!(report["total"]["fees_owed_idr"], 1_350);
    assert_eq!(report["by_producer"][0]["name"], "UMKM Sumber Rejeki");
    let report = ponorogo.json(&["fees", "report", "--month", &month]);
    assert_eq!(report["total"]["fees_earned_idr"], 1_350);

    // The same completion delivered again over HTTP is a duplicate.
    let completion = stored_event(&ponorogo, &id, 3);
    let placement = stored_event(&ponorogo, &id, 0);
    let (status, answer) = exchange(
        &ponorogo,
        &malang,
        &malang.url(),
        vec![completion, placement],
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["status"], "duplicate", "{answer}");
    assert_eq!(answer["results"][1]["status"], "duplicate", "{answer}");

    // A third center forges the buyer's step: refused, nothing booked.
    let mut mallory = Center::new("Mallory", "Nowhere");
    mallory.start();
    peer(&malang, &mallory);
    let forged = OrderEvent {
        order: id.parse().expect("order id"),
        seq: 4,
        prev: Some(history(&at_seller)[3].1.clone()),
        by: mallory.id.parse().expect("id"),
        at_ms: 1,
        action: Action::Cancel,
        reason: Some("palsu".into()),
        terms: None,
    };
    let signed = SignedMessage::sign(&mallory.identity(), &Body::OrderEvent(forged)).expect("sign");
    let (status, answer) = exchange(&mallory, &malang, &malang.url(), vec![signed.clone()]);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["status"], "refused");
    assert_eq!(answer["results"][0]["code"], "not_a_party");
    // The buyer accepts Mallory's catalog (Malang vouches for its peers), but
    // not its steps in an order between others.
    let (status, answer) = exchange(&mallory, &ponorogo, &ponorogo.url(), vec![signed]);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["code"], "not_a_party");
    // A center nobody here accepts cannot even make the request.
    let stranger = Center::new("Stranger", "Nowhere");
    let (status, answer) = exchange(&stranger, &ponorogo, &ponorogo.url(), Vec::new());
    assert_eq!(status, 403, "{answer}");
    assert_eq!(
        wait_status(&malang, &id, "completed")["events"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    assert_eq!(balance_with(&malang, &ponorogo), 43_650);

    // Settlement: Ponorogo pays, Malang confirms; the balance moves once.
    let paid = ponorogo.json(&[
        "fees",
        "settle",
        "pay",
        "--to",
        &malang.id,
        "--amount",
        "43.650",
        "--reference",
        "BRI ref 8812",
    ]);
    let settlement = paid["id"].as_str().expect("settlement id").to_owned();
    assert_eq!(paid["status"], "waiting");
    poll(DEADLINE, || {
        let list = malang.json(&["fees", "settle", "list"]);
        (list[0]["id"] == settlement.as_str()).then_some(())
    })
    .expect("the payment reaches the payee");
    malang
        .folder
        .ok(&["fees", "settle", "confirm", &settlement]);
    poll(DEADLINE, || {
        let list = ponorogo.json(&["fees", "settle", "list"]);
        (list[0]["status"] == "confirmed").then_some(())
    })
    .expect("the confirmation reaches the payer");
    assert_eq!(balance_with(&malang, &ponorogo), 0);
    assert_eq!(balance_with(&ponorogo, &malang), 0);
    let error = malang
        .folder
        .fails(&["fees", "settle", "confirm", &settlement]);
    assert!(error.contains("already confirmed"), "{error}");

    // A correction: Malang forgot the delivery cost. It counts once Ponorogo agrees.
    let correction = malang.json(&[
        "fees",
        "correct",
        "--with",
        &ponorogo.id,
        "--owed-to",
        "us",
        "--amount",
        "5.000",
        "--reason",
        "ongkos kirim belum dihitung",
    ]);
    assert_eq!(correction["kind"], "correction");
    let correction = correction["id"].as_str().expect("correction id").to_owned();
    poll(DEADLINE, || {
        ponorogo
            .folder
            .run(&["fees", "settle", "confirm", &correction])
            .status
            .success()
            .then_some(())
    })
    .expect("the correction reaches Ponorogo and is confirmed");
    poll(DEADLINE, || {
        (balance_with(&malang, &ponorogo) == 5_000).then_some(())
    })
    .expect("the confirmation reaches Malang");
    assert_eq!(balance_with(&ponorogo, &malang), -5_000);

    for center in [&mut malang, &mut ponorogo, &mut mallory] {
        center.kill();
    }
    assert_eq!(quick_check(&malang.folder.data), "ok");
    assert_eq!(quick_check(&ponorogo.folder.data), "ok");
}

#[test]
fn two_centers_ordering_the_last_unit_at_once_get_exactly_one_acceptance() {
    let (mut malang, listing) = seller_with_stock("1");
    let mut ponorogo = Center::new("Telecenter Ponorogo", "Kabupaten Ponorogo");
    let mut blitar = Center::new("Telecenter Kab Blitar", "Kabupaten Blitar");
    malang.start();
    ponorogo.start();
    blitar.start();
    peer(&malang, &ponorogo);
    peer(&malang, &blitar);
    wait_listing(&ponorogo, &malang, &listing);
    wait_listing(&blitar, &malang, &listing);

    let (first, second) = std::thread::scope(|s| {
        let a = s.spawn(|| place(&ponorogo, &malang, &listing, "1"));
        let b = s.spawn(|| place(&blitar, &malang, &listing, "1"));
        (a.join().expect("first"), b.join().expect("second"))
    });
    wait_status(&malang, &first, "placed");
    wait_status(&malang, &second, "placed");
    let outcomes = std::thread::scope(|s| {
        let a = s.spawn(|| malang.folder.run(&["order", "accept", &first]));
        let b = s.spawn(|| malang.folder.run(&["order", "accept", &second]));
        [a.join().expect("a"), b.join().expect("b")]
    });
    let accepted: Vec<bool> = outcomes.iter().map(|o| o.status.success()).collect();
    assert_eq!(accepted.iter().filter(|a| **a).count(), 1, "{outcomes:?}");
    let refused = outcomes
        .iter()
        .find(|o| !o.status.success())
        .expect("one refused");
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("only 0"), "{message}");
    assert_eq!(stock(&malang, &listing), 0);

    let (won, lost, winner, loser) = if accepted[0] {
        (&first, &second, &ponorogo, &blitar)
    } else {
        (&second, &first, &blitar, &ponorogo)
    };
    wait_status(winner, won, "accepted");
    malang
        .folder
        .ok(&["order", "reject", lost, "--reason", "stok habis"]);
    let view = wait_status(loser, lost, "rejected");
    assert_eq!(view["events"][1]["reason"], "stok habis");
}

#[test]
fn bad_orders_are_refused_with_a_plain_reason_and_change_nothing() {
    let (malang, ponorogo, listing) = seller_and_buyer("5");
    let target = format!("{}/{listing}", malang.id);
    let with = |extra: &[&str]| -> Vec<String> {
        let mut args = vec![
            "order",
            "place",
            "--buyer-name",
            "Bu Sri",
            "--buyer-phone",
            "0812 3456 7890",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };
    let fails = |extra: &[&str]| -> String {
        let args = with(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ponorogo.folder.fails(&args)
    };
    let unknown = format!("{}/0000000000", malang.id);
    assert!(fails(&[&unknown, "--qty", "1"]).contains("is not known here"));
    assert!(fails(&[&target, "--qty", "0"]).contains("quantity must be between 1 and 10000"));
    assert!(fails(&[&target, "--qty", "1000000"]).contains("quantity"));
    let mismatch = fails(&[&target, "--qty", "1", "--price", "14.000"]);
    assert!(
        mismatch.contains("the price is now Rp 15.000"),
        "{mismatch}"
    );
    assert!(fails(&[&target, "--qty", "6"]).contains("only 5"));
    assert!(fails(&["k3v9q2m7xa", "--qty", "1"]).contains("CENTER/ID"));
    assert!(fails(&[&target, "--qty", "1", "--buyer-phone", "call me"]).contains("phone"));
    assert!(
        ponorogo
            .folder
            .fails(&["order", "accept", "q3k9v2m7xa4d"])
            .contains("no order")
    );
    assert!(
        ponorogo
            .folder
            .fails(&["order", "show", "nonsense"])
            .contains("not a valid order id")
    );

    // The admin API answers programs with JSON errors.
    let token = admin_token(&ponorogo.folder.data);
    let orders = format!("{}/api/v1/admin/orders", ponorogo.url());
    let (status, body) =
        http("POST", &orders, Some(&token), Some(&json!({"seller": 5}))).expect("post");
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].is_string());
    let bad_qty = json!({
        "seller": malang.id, "listing": listing, "quantity": -2, "buyer_name": "A",
        "buyer_phone": "0812345678", "payment_at": "buyer_center", "payment_method": "cash"
    });
    let (status, body) = http("POST", &orders, Some(&token), Some(&bad_qty)).expect("post");
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_input");
    let (status, _) = http("POST", &orders, None, Some(&bad_qty)).expect("post");
    assert_eq!(status, 401);

    // Nothing was placed, queued or booked anywhere.
    assert_eq!(ponorogo.json(&["order", "list"])["orders"], json!([]));
    assert_eq!(malang.json(&["order", "list"])["orders"], json!([]));
    assert_eq!(ponorogo.json(&["fees", "balances"])["balances"], json!([]));

    // A real order, then a step out of turn: refused, nothing changes.
    let id = place(&ponorogo, &malang, &listing, "1");
    wait_status(&malang, &id, "placed");
    let step = format!("{}/api/v1/admin/orders/{id}/ship", ponorogo.url());
    let (status, body) = http("POST", &step, Some(&token), None).expect("post");
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "not_allowed");
    let step = format!("{}/api/v1/admin/orders/{id}/teleport", ponorogo.url());
    let (status, body) = http("POST", &step, Some(&token), None).expect("post");
    assert_eq!(status, 400, "{body}");
    assert!(
        malang
            .folder
            .fails(&["order", "reject", &id])
            .contains("reason")
    );
    assert_eq!(
        wait_status(&malang, &id, "placed")["events"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(stock(&malang, &listing), 5);
}

#[test]
fn order_cancel_plain_words() {
    let (mut malang, ponorogo, listing) = seller_and_buyer("10");
    let order = place(&ponorogo, &malang, &listing, "1");
    // The seller is away: the cancel cannot reach it yet.
    malang.kill();
    let out = ponorogo.folder.run_in(
        "id_ID.UTF-8",
        &["order", "cancel", &order, "--reason", "pembeli batal"],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = said.lines();
    assert_eq!(
        lines.next(),
        Some(format!("Pesanan {order} dibatalkan.").as_str())
    );
    assert_eq!(
        lines.next(),
        Some("Kabar ini menunggu terkirim ke Telecenter Kota Malang.")
    );
    assert!(!said.contains("is now"), "{said}");
}

#[test]
fn order_show_names_centers() {
    let (malang, ponorogo, listing) = seller_and_buyer("10");
    let order = place(&ponorogo, &malang, &listing, "1");
    malang
        .folder
        .wait_order("malang", &order, "placed", DEADLINE);
    malang.folder.ok(&["order", "accept", &order]);
    ponorogo
        .folder
        .wait_order("ponorogo", &order, "accepted", DEADLINE);
    let shown = ponorogo.folder.ok(&["order", "show", &order]);
    assert!(shown.contains("by this center"), "{shown}");
    assert!(shown.contains("by Telecenter Kota Malang"), "{shown}");
    // The id shows once, next to the name, and nowhere in the history.
    let short = &malang.id[..8];
    assert_eq!(shown.matches(short).count(), 1, "{shown}");
    assert!(
        shown.contains("here (sini), at this center, cash (tunai)"),
        "{shown}"
    );
    let indonesian = ponorogo
        .folder
        .run_in("id_ID.UTF-8", &["order", "show", &order], None);
    let indonesian = String::from_utf8_lossy(&indonesian.stdout).into_owned();
    assert!(indonesian.contains("oleh pusat ini"), "{indonesian}");
    assert!(indonesian.contains("Dengan:"), "{indonesian}");
    assert!(indonesian.contains(" WIB"), "{indonesian}");
}
