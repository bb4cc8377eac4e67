//! Producers on the node: private fields stay private, an order we sold is one
//! sale however often its completion arrives, and every statement adds up to
//! what the sales report (an independent SQL sum) says was sold.

use proptest::prelude::*;
use telecenter_protocol::DocId;
use telecenter_protocol::order::Action;

use super::*;
use crate::accounting::{Month, sales_report_from, statement_from};
use crate::clock::Clock;
use crate::node::orders::tests::{Center, federate, order, outbox, settle_pair};
use crate::store::NewSale;

fn producer(name: &str, commission: &str) -> ProducerInput {
    ProducerInput {
        name: Some(name.into()),
        village: Some("Tulungrejo".into()),
        contact: Some("Pak Rahmat, RT 03 RW 02".into()),
        bank_account: Some("BRI 0123-01-000123-53-7".into()),
        whatsapp: Some("0812-3456-7890".into()),
        commission: Some(commission.into()),
    }
}

fn sales_of(center: &Center) -> u64 {
    center.node.with_reader(|s| s.sale_count()).unwrap()
}

#[test]
fn an_order_we_sold_is_one_sale_even_when_its_completion_arrives_twice() {
    let buyer = Center::new(1, "Telecenter Malang");
    let seller = Center::new(2, "Telecenter Batu");
    let listing = seller.add("Keripik tempe", 15_000, 50);
    let p = seller
        .node
        .add_producer(&producer("Bu Sari", "10"))
        .unwrap();
    seller.node.link_listing(&listing, Some(p.id)).unwrap();
    federate(&[&buyer, &seller]);

    // The buyer completes: the seller takes the completion in, twice.
    let id = order(&buyer, &seller, &listing, 3);
    settle_pair(&buyer, &seller);
    for action in [Action::Accept, Action::Ship] {
        seller.node.order_step(&id, action, None).unwrap();
    }
    settle_pair(&seller, &buyer);
    buyer.node.order_step(&id, Action::Complete, None).unwrap();
    let messages = outbox(&buyer, &seller);
    seller.node.pair_receive(&buyer.id(), messages.clone());
    seller.node.pair_receive(&buyer.id(), messages);
    settle_pair(&buyer, &seller);
    assert_eq!(sales_of(&seller), 1);
    assert_eq!(sales_of(&buyer), 0, "the buyer center sold nothing");
    let sale = seller
        .node
        .with_reader(|s| s.sale("order", id.as_str()))
        .unwrap()
        .unwrap();
    assert_eq!((sale.quantity, sale.gross_idr), (3, 45_000));
    assert_eq!(
        (sale.producer, sale.commission_bp),
        (Some(p.id), Some(1_000))
    );

    // The seller completes a second order itself.
    let second = order(&buyer, &seller, &listing, 1);
    settle_pair(&buyer, &seller);
    for action in [Action::Accept, Action::Ship, Action::Complete] {
        seller.node.order_step(&second, action, None).unwrap();
    }
    settle_pair(&seller, &buyer);
    settle_pair(&buyer, &seller);
    assert_eq!(sales_of(&seller), 2);
}

#[test]
fn contact_bank_account_and_whatsapp_never_enter_the_catalog() {
    let center = Center::new(3, "Telecenter Batu");
    let listing = center.add("Kopi bubuk", 25_000, 10);
    let p = center
        .node
        .add_producer(&producer("Pak Rahmat", "7,5"))
        .unwrap();
    assert_eq!(p.whatsapp, "+6281234567890");
    assert_eq!(p.commission_bp, 750);
    let row = center.node.link_listing(&listing, Some(p.id)).unwrap();
    assert_eq!(row.listing.producer, "Pak Rahmat");
    let renamed = center
        .node
        .edit_producer(
            p.id,
            &ProducerInput {
                name: Some("Pak Rahmat Hidayat".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(renamed.contact, p.contact, "absent fields stay");
    assert_eq!(
        center.node.own_listing(&listing).unwrap().listing.producer,
        "Pak Rahmat Hidayat"
    );
    let changes = center
        .node
        .changes_of(&DocId::catalog(center.id()))
        .unwrap();
    let bytes: Vec<u8> = changes.concat();
    let text = String::from_utf8_lossy(&bytes);
    for secret in ["RT 03", "0123-01", "6281234567890", "812"] {
        assert!(!text.contains(secret), "{secret} leaked into the catalog");
    }
    // Name and village are public: they travel in the catalog.
    for public in ["Pak Rahmat Hidayat", "Tulungrejo"] {
        assert!(text.contains(public), "{public} is not in the catalog");
    }
}

/// Linking sets the listing's producer name and village in the catalog a peer
/// receives; a new village reaches the peer too; unlinking keeps both on the
/// listing, and only a listing linked to that producer can be unlinked from it.
#[test]
fn the_producer_village_reaches_a_peer_and_stays_after_unlinking() {
    let batu = Center::new(13, "Telecenter Batu");
    let malang = Center::new(14, "Telecenter Malang");
    let listing = batu.add("Keripik apel", 18_000, 10);
    let p = batu.node.add_producer(&producer("Bu Sari", "10")).unwrap();
    let row = batu.node.link_listing(&listing, Some(p.id)).unwrap();
    assert_eq!(
        (
            row.listing.producer.as_str(),
            row.listing.producer_village.as_str()
        ),
        ("Bu Sari", "Tulungrejo")
    );
    federate(&[&batu, &malang]);
    let seen = malang.node.listing(&batu.id(), &listing).unwrap().listing;
    assert_eq!(
        (seen.producer.as_str(), seen.producer_village.as_str()),
        ("Bu Sari", "Tulungrejo")
    );

    batu.node
        .edit_producer(
            p.id,
            &ProducerInput {
                village: Some("Desa Sumberbrantas".into()),
                ..Default::default()
            },
        )
        .unwrap();
    federate(&[&batu, &malang]);
    let seen = malang.node.listing(&batu.id(), &listing).unwrap().listing;
    assert_eq!(seen.producer_village, "Desa Sumberbrantas");

    // The village words find the product.
    let found = malang
        .node
        .search(&crate::search::SearchQuery {
            text: Some("sumberbrantas".into()),
            ..crate::testing::every_status_query(None)
        })
        .unwrap();
    assert_eq!(found.items.len(), 1);

    let other = batu
        .node
        .add_producer(&producer("Pak Rahmat", "5"))
        .unwrap();
    let refused = batu.node.unlink_listing(other.id, &listing).unwrap_err();
    assert!(
        matches!(&refused, NodeError::Invalid(i) if i.code == "not_linked"),
        "{refused:?}"
    );
    batu.node.unlink_listing(p.id, &listing).unwrap();
    assert!(batu.node.producer_listings(p.id).unwrap().is_empty());
    let kept = batu.node.own_listing(&listing).unwrap().listing;
    assert_eq!(
        (kept.producer.as_str(), kept.producer_village.as_str()),
        ("Bu Sari", "Desa Sumberbrantas")
    );
}

#[test]
fn bad_producer_and_payout_input_is_refused_and_changes_nothing() {
    let center = Center::new(4, "Telecenter Batu");
    let code = |e: NodeError| match e {
        NodeError::Invalid(i) => i.code,
        NodeError::NoSuchProducer(_) => "no_such_producer",
        other => panic!("unexpected {other:?}"),
    };
    let mut bad = producer("Bu Sari", "10");
    bad.whatsapp = Some("abc".into());
    assert!(center.node.add_producer(&bad).is_err());
    bad = producer("Bu Sari", "100,5");
    assert_eq!(
        code(center.node.add_producer(&bad).unwrap_err()),
        "too_high"
    );
    bad = producer(&"x".repeat(PRODUCER_CHARS_MAX + 1), "10");
    assert!(center.node.add_producer(&bad).is_err());
    assert!(center.node.producers().unwrap().is_empty());
    let p = center.node.add_producer(&producer("Bu Sari", "0")).unwrap();
    assert_eq!(
        code(
            center
                .node
                .add_producer(&producer("Bu Sari", "5"))
                .unwrap_err()
        ),
        "duplicate"
    );
    let payout = |amount_idr, method: &str, at_ms| PayoutInput {
        amount_idr,
        method: method.into(),
        note: String::new(),
        at_ms,
    };
    let now = center.clock.now_ms();
    for (input, expected) in [
        (payout(0, "cash", None), "out_of_range"),
        (
            payout(PRODUCER_PAYOUT_IDR_MAX + 1, "cash", None),
            "out_of_range",
        ),
        (payout(1_000, "cheque", None), "not_a_method"),
        (
            payout(1_000, "cash", Some(now - PAYOUT_PAST_MS_MAX - 1)),
            "out_of_range",
        ),
        (
            payout(1_000, "cash", Some(now + PAYOUT_FUTURE_MS_MAX + 1)),
            "out_of_range",
        ),
    ] {
        assert_eq!(
            code(center.node.record_payout(p.id, &input).unwrap_err()),
            expected
        );
    }
    assert_eq!(
        code(
            center
                .node
                .record_payout(999, &payout(1, "cash", None))
                .unwrap_err()
        ),
        "no_such_producer"
    );
    assert!(
        center
            .node
            .with_reader(|s| s.payouts(p.id, i64::MIN, i64::MAX))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn commission_follows_the_one_rounding_rule() {
    // 12 345 × 7,5 % = 925,875 → 926; 10 × 5 % = 0,5 → 1 (halves up); no minimum.
    assert_eq!(crate::accounting::commission_idr(12_345, 750), 926);
    assert_eq!(crate::accounting::commission_idr(10, 500), 1);
    assert_eq!(crate::accounting::commission_idr(9, 500), 0);
    assert_eq!(crate::accounting::commission_idr(1_000, 10_000), 1_000);
}

const DAY_MS: i64 = 24 * 60 * 60 * 1_000;

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random producers, commissions, links, sales and payouts over three
    /// months: every statement adds up, months chain (closing = next opening),
    /// and per month the statements plus "tanpa produsen" equal the SQL report.
    #[test]
    fn statements_add_up_and_match_the_sales_report(
        commissions in prop::collection::vec(0_u32..=10_000, 1..4),
        links in prop::collection::vec(prop::option::of(0_usize..4), 4),
        sales in prop::collection::vec((0_usize..4, 1_i64..50, 0_i64..2_000_000, 0_i64..90), 0..30),
        payouts in prop::collection::vec((0_usize..4, 1_i64..5_000_000, 0_i64..90), 0..10),
    ) {
        let center = Center::new(5, "Telecenter Batu");
        // Start of the first month of three; the clock ends past the last.
        let first = Month::of(center.clock.now_ms()).next();
        let start = first.start_ms();
        center.clock.advance(start + 91 * DAY_MS - center.clock.now_ms());
        let ids: Vec<i64> = commissions
            .iter()
            .enumerate()
            .map(|(i, bp)| {
                let mut input = producer(&format!("Produsen {i}"), &telecenter_protocol::fee::percent_text(*bp));
                input.whatsapp = None;
                center.node.add_producer(&input).unwrap().id
            })
            .collect();
        let listings: Vec<String> = (0..4)
            .map(|i| {
                let listing = format!("L{i}");
                if let Some(Some(p)) = links.get(i) {
                    lock(&center.node.writer)
                        .store
                        .link_listing(&listing, Some(ids[p % ids.len()]))
                        .unwrap();
                }
                listing
            })
            .collect();
        for (n, (listing, quantity, price, day)) in sales.iter().enumerate() {
            let new = center.node.record_sale(&NewSale {
                kind: "local",
                reference: format!("R{n}"),
                at_ms: start + day * DAY_MS + 3_600_000,
                listing: listings[*listing].clone(),
                title: "Barang".into(),
                unit: "pcs".into(),
                quantity: *quantity,
                unit_price_idr: *price,
            }).unwrap();
            prop_assert!(new);
        }
        for (p, amount, day) in &payouts {
            center.node.record_payout(ids[p % ids.len()], &PayoutInput {
                amount_idr: *amount,
                method: "transfer".into(),
                note: "bulanan".into(),
                at_ms: Some(start + day * DAY_MS + 7_200_000),
            }).unwrap();
        }
        let mut month = first;
        let mut openings: Vec<i64> = vec![0; ids.len()];
        for _ in 0..3 {
            let report = center.node.with_reader(|s| sales_report_from(s, month)).unwrap();
            let (mut gross, mut commission, mut owed, mut lines) = (0_i64, 0_i64, 0_i64, 0_i64);
            for (i, id) in ids.iter().enumerate() {
                let producer = center.node.producer(*id).unwrap();
                let st = center.node.with_reader(|s| statement_from(s, &producer, month)).unwrap();
                prop_assert_eq!(st.opening_idr, openings[i]);
                for line in &st.sales {
                    prop_assert_eq!(line.owed_idr, line.gross_idr - line.commission_idr);
                    prop_assert_eq!(line.gross_idr, line.quantity * line.unit_price_idr);
                }
                prop_assert_eq!(st.owed_idr, st.gross_idr - st.commission_idr);
                prop_assert_eq!(st.closing_idr, st.opening_idr + st.owed_idr - st.paid_idr);
                openings[i] = st.closing_idr;
                let in_report = report.lines.iter().find(|l| l.producer == Some(*id));
                match in_report {
                    Some(l) => {
                        prop_assert_eq!((l.gross_idr, l.commission_idr, l.owed_idr), (st.gross_idr, st.commission_idr, st.owed_idr));
                        prop_assert_eq!(l.sales, i64::try_from(st.sales.len()).unwrap());
                    }
                    None => prop_assert!(st.sales.is_empty()),
                }
                gross += st.gross_idr;
                commission += st.commission_idr;
                owed += st.owed_idr;
                lines += i64::try_from(st.sales.len()).unwrap();
            }
            let own = center.node.with_reader(|s| s.producer_sales(None, month.start_ms(), month.end_ms())).unwrap();
            gross += own.iter().map(|s| s.gross_idr).sum::<i64>();
            lines += i64::try_from(own.len()).unwrap();
            prop_assert_eq!(
                (report.total.sales, report.total.gross_idr, report.total.commission_idr, report.total.owed_idr),
                (lines, gross, commission, owed)
            );
            month = month.next();
        }
    }
}
