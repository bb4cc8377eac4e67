//! Tests of buyer requests on the node: a round trip through the store, the
//! bounds of each field, the open-request bound, the token check, and that a
//! request is acted on once (order, local sale or decline).

use telecenter_protocol::order::{Action, Collector, PayMethod};

use crate::clock::Clock;

use super::*;
use crate::node::orders::tests::{Center, federate, settle_pair};

fn input(name: &str, phone: &str, quantity: &str, pickup: bool, note: &str) -> RequestInput {
    RequestInput {
        seller: None,
        listing: None,
        buyer_name: name.into(),
        buyer_phone: phone.into(),
        quantity: quantity.into(),
        pickup,
        note: note.into(),
    }
}

fn good() -> ValidRequest {
    input("Bu Sari", "0812-3456-7890", "2", true, "")
        .validate()
        .unwrap()
}

fn pair() -> (Center, Center, ListingId) {
    let malang = Center::new(1, "Telecenter Kota Malang");
    let ponorogo = Center::new(2, "Telecenter Ponorogo");
    federate(&[&malang, &ponorogo]);
    let listing = malang.add("Keripik pisang", 15_000, 10);
    federate(&[&malang, &ponorogo]);
    (malang, ponorogo, listing)
}

fn place_for(row: &RequestRow) -> PlaceOrder {
    PlaceOrder {
        seller: row.seller_center.parse().unwrap(),
        listing: row.listing.parse().unwrap(),
        quantity: row.quantity,
        unit_price_idr: Some(row.unit_price_idr),
        buyer_name: row.buyer_name.clone(),
        buyer_phone: row.buyer_phone.clone(),
        payment_at: Collector::BuyerCenter,
        payment_method: PayMethod::Cash,
        note: row.delivery_note.clone(),
    }
}

#[test]
fn bad_fields_are_each_named_and_good_ones_are_normalised() {
    let errors = input("", "abc", "0", false, &"x".repeat(10_000))
        .validate()
        .unwrap_err();
    let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
    assert_eq!(fields, ["buyer_name", "buyer_phone", "quantity", "note"]);
    let errors = input("A", "0812 3456 7890", "10001", true, "")
        .validate()
        .unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "quantity");
    let errors = input("A", "0812 3456 7890", "1", false, "  ")
        .validate()
        .unwrap_err();
    assert_eq!((errors[0].field, errors[0].code), ("note", "empty"));
    assert_eq!(good().buyer_phone, "+6281234567890");
}

#[test]
fn a_request_round_trips_and_only_its_token_opens_the_status() {
    let (malang, ponorogo, listing) = pair();
    let sent = ponorogo
        .node
        .submit_request(&malang.id(), &listing, &good())
        .unwrap();
    assert_eq!(sent.code.len(), REQUEST_CODE_LEN);
    assert_eq!(sent.token.len(), 2 * REQUEST_TOKEN_BYTES);
    let row = ponorogo.node.request(&sent.code.to_lowercase()).unwrap();
    assert_eq!(row.title, "Keripik pisang");
    assert_eq!(row.unit_price_idr, 15_000);
    assert_eq!(row.status, RequestStatus::New);
    assert_ne!(row.token_sha256, sent.token);
    assert_eq!(ponorogo.node.open_request_count().unwrap(), 1);
    let view = ponorogo
        .node
        .request_status(&sent.code, &sent.token)
        .unwrap();
    assert_eq!(view.unwrap().request.buyer_name, "Bu Sari");
    for (code, token) in [
        (sent.code.as_str(), ""),
        (sent.code.as_str(), "00000000000000000000000000000000"),
        ("ZZZZZZZZ", sent.token.as_str()),
        ("not a code", sent.token.as_str()),
    ] {
        assert!(ponorogo.node.request_status(code, token).unwrap().is_none());
    }
    // The other center never hears of it.
    assert!(malang.node.requests(None).unwrap().is_empty());
}

#[test]
fn too_much_or_an_unknown_product_is_refused_and_stores_nothing() {
    let (malang, ponorogo, listing) = pair();
    let mut big = good();
    big.quantity = 11;
    assert!(matches!(
        ponorogo.node.submit_request(&malang.id(), &listing, &big),
        Err(NodeError::Invalid(e)) if e.field == "quantity"
    ));
    let unknown = ListingId::random(&mut rand::rngs::mock::StepRng::new(7, 1));
    assert!(
        ponorogo
            .node
            .submit_request(&malang.id(), &unknown, &good())
            .is_err()
    );
    assert!(ponorogo.node.requests(None).unwrap().is_empty());
}

#[test]
fn open_requests_are_bounded() {
    let (malang, ponorogo, listing) = pair();
    let sent = ponorogo
        .node
        .submit_request(&malang.id(), &listing, &good())
        .unwrap();
    let template = ponorogo.node.request(&sent.code).unwrap();
    let mut store = lock(&ponorogo.node.writer);
    for i in 1..OPEN_REQUESTS_MAX {
        let mut r = template.clone();
        r.code = format!("T{i:07}");
        assert!(store.store.insert_request(&r, OPEN_REQUESTS_MAX).unwrap());
    }
    drop(store);
    let full = ponorogo
        .node
        .submit_request(&malang.id(), &listing, &good());
    assert!(matches!(
        full,
        Err(NodeError::Order {
            code: "requests_full",
            ..
        })
    ));
    assert_eq!(
        ponorogo.node.open_request_count().unwrap(),
        OPEN_REQUESTS_MAX
    );
}

#[test]
fn an_order_links_once_and_the_status_follows_the_sellers_answer() {
    let (malang, ponorogo, listing) = pair();
    let sent = ponorogo
        .node
        .submit_request(&malang.id(), &listing, &good())
        .unwrap();
    let row = ponorogo.node.request(&sent.code).unwrap();
    let order = ponorogo
        .node
        .link_request_order(&sent.code, &place_for(&row))
        .unwrap();
    let row = ponorogo.node.request(&sent.code).unwrap();
    assert_eq!(row.status, RequestStatus::Ordered);
    assert_eq!(row.order_id.as_deref(), Some(order.state.id.as_str()));
    // A second action changes nothing.
    let again = ponorogo
        .node
        .link_request_order(&sent.code, &place_for(&row));
    assert!(matches!(
        again,
        Err(NodeError::Order {
            code: "request_answered",
            ..
        })
    ));
    assert!(matches!(
        ponorogo.node.decline_request(&sent.code, "habis"),
        Err(NodeError::Order {
            code: "request_answered",
            ..
        })
    ));
    assert_eq!(ponorogo.node.orders(&Default::default()).unwrap().len(), 1);
    let status = |c: &Center| {
        c.node
            .request_status(&sent.code, &sent.token)
            .unwrap()
            .unwrap()
            .order
            .unwrap()
            .0
    };
    assert_eq!(status(&ponorogo), "placed");
    settle_pair(&ponorogo, &malang);
    malang
        .node
        .order_step(&order.state.id, Action::Accept, None)
        .unwrap();
    settle_pair(&ponorogo, &malang);
    assert_eq!(status(&ponorogo), "accepted");
}

#[test]
fn a_local_sale_records_the_sale_and_takes_the_stock_once() {
    let (malang, _ponorogo, listing) = pair();
    let maker = malang
        .node
        .add_producer(&crate::node::ProducerInput {
            name: Some("Bu Lastri".into()),
            village: Some("Kademangan".into()),
            commission: Some("10".into()),
            ..Default::default()
        })
        .unwrap();
    malang.node.link_listing(&listing, Some(maker.id)).unwrap();
    let sent = malang
        .node
        .submit_request(&malang.id(), &listing, &good())
        .unwrap();
    let sold = malang.node.sell_request_locally(&sent.code).unwrap();
    assert_eq!(sold.status, RequestStatus::Sold);
    assert_eq!(malang.stock(&listing), 8);
    let again = malang.node.sell_request_locally(&sent.code);
    assert!(matches!(
        again,
        Err(NodeError::Order {
            code: "request_answered",
            ..
        })
    ));
    assert_eq!(malang.stock(&listing), 8);
    let gross = lock(&malang.node.reader)
        .local_sale_gross(&sent.code)
        .unwrap();
    assert_eq!(gross, Some(30_000));
    // The sale is the producer's: it is on their statement with the commission.
    let month = crate::accounting::Month::of(malang.clock.now_ms());
    let statement = malang
        .node
        .with_reader(|store| crate::accounting::statement_from(store, &maker, month))
        .unwrap();
    assert_eq!(statement.sales.len(), 1);
    assert_eq!(
        (
            statement.gross_idr,
            statement.commission_idr,
            statement.owed_idr
        ),
        (30_000, 3_000, 27_000)
    );
}

#[test]
fn a_decline_needs_a_reason_and_happens_once() {
    let (malang, ponorogo, listing) = pair();
    let sent = ponorogo
        .node
        .submit_request(&malang.id(), &listing, &good())
        .unwrap();
    assert!(matches!(
        ponorogo.node.decline_request(&sent.code, " "),
        Err(NodeError::Invalid(_))
    ));
    let row = ponorogo
        .node
        .decline_request(&sent.code, "stok habis")
        .unwrap();
    assert_eq!(
        (row.status, row.reason.as_str()),
        (RequestStatus::Declined, "stok habis")
    );
    assert!(ponorogo.node.sell_request_locally(&sent.code).is_err());
    assert!(matches!(
        ponorogo.node.decline_request("ZZZZZZZZ", "x"),
        Err(NodeError::NoSuchRequest(_))
    ));
    assert_eq!(ponorogo.node.open_request_count().unwrap(), 0);
}

/// A right-to-left override in the name would show the phone printed after it
/// (`buyer  Sari<U+202E>  +6281234567890` in `request show`) backwards.
#[test]
fn direction_overrides_in_a_buyer_name_are_refused() {
    for (name, note) in [
        ("Sari\u{202e}", ""),
        ("\u{2067}Sari", ""),
        ("Sari", "Jl. Mawar\u{202d} 5"),
    ] {
        let errors = input(name, "0812-3456-7890", "1", true, note)
            .validate()
            .unwrap_err();
        assert_eq!(errors.len(), 1, "{name:?} {note:?}: {errors:?}");
        assert_eq!(errors[0].code, "direction_control");
    }
    // Other scripts and joiners stay welcome.
    let ok = input("Siti 👩‍🌾 سارة", "0812-3456-7890", "1", true, "")
        .validate()
        .unwrap();
    assert_eq!(ok.buyer_name, "Siti 👩‍🌾 سارة");
}
