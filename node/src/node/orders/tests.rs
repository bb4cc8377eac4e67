//! Tests of orders between two (or three) nodes in one process: messages are
//! handed from one node's outbox to the other's `pair_receive` and the answers
//! back, so loss, duplication, reordering and restarts are under the test's
//! control. The HTTP transport is tested in `tests/integration/orders.rs`.

use std::path::PathBuf;
use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_protocol::catalog::input::{ListingPatch, ProfileInput};
use telecenter_protocol::order::{Action, Collector, OrderId, PayMethod};
use telecenter_protocol::{CenterId, Identity, ListingId};
use tempfile::TempDir;

use super::*;
use crate::clock::ManualClock;
use crate::store::{EntryRow, OrderFilter};
use crate::testing::cash_order;

/// The property test against a reference model.
mod model;

const T0: i64 = 1_795_392_000_000;

pub(crate) struct Center {
    pub(crate) dir: TempDir,
    pub(crate) seed: u64,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) node: Node,
    restarts: u64,
}

impl Center {
    pub(crate) fn new(seed: u64, name: &str) -> Self {
        let dir = TempDir::new().unwrap();
        let clock = Arc::new(ManualClock::new(T0));
        let node = crate::testing::center(
            dir.path(),
            (seed, seed + 100),
            name,
            "Jawa Timur",
            clock.clone(),
        );
        node.set_profile(&ProfileInput {
            referral_fee_bp: Some(300),
            referral_fee_min_idr: Some(1_000),
            ..Default::default()
        })
        .unwrap();
        Self {
            dir,
            seed,
            clock,
            node,
            restarts: 0,
        }
    }

    pub(crate) fn id(&self) -> CenterId {
        self.node.center_id()
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("node.db")
    }

    /// Drops the node without any shutdown and opens the database again.
    pub(crate) fn restart(&mut self) {
        // A fresh random stream each time, as after a real restart.
        self.restarts += 1;
        let node = Node::open(
            &self.db(),
            Identity::generate(&mut StdRng::seed_from_u64(self.seed)),
            self.clock.clone(),
            Box::new(StdRng::seed_from_u64(
                self.seed * 1_000 + 200 + self.restarts,
            )),
        )
        .unwrap();
        let old = std::mem::replace(&mut self.node, node);
        std::mem::forget(old);
    }

    pub(crate) fn add(&self, title: &str, price_idr: i64, stock: i64) -> ListingId {
        self.node
            .add_listing(&crate::testing::product(title, price_idr, stock))
            .unwrap()
            .listing
            .id
    }

    /// Changes a listing of this center directly.
    pub(crate) fn patch(&self, id: &ListingId, patch: ListingPatch) {
        self.node.update_listing(id, &patch).unwrap();
    }

    /// Changes the stock and the price of a listing (`None`: unchanged).
    pub(crate) fn set_stock_price(
        &self,
        id: &ListingId,
        stock: Option<i64>,
        price_idr: Option<i64>,
    ) {
        self.patch(
            id,
            ListingPatch {
                stock,
                price_idr,
                ..Default::default()
            },
        );
    }

    pub(crate) fn stock(&self, id: &ListingId) -> i64 {
        self.node.own_listing(id).unwrap().listing.stock
    }

    pub(crate) fn ledger(&self) -> Vec<EntryRow> {
        self.node.ledger(None, i64::MIN, i64::MAX).unwrap()
    }
}

/// Makes every center trust the others and hold their catalogs.
pub(crate) fn federate(centers: &[&Center]) {
    for a in centers {
        for b in centers {
            if a.id() != b.id() {
                a.node.trust(&b.id()).unwrap();
            }
        }
    }
    for a in centers {
        for b in centers {
            if a.id() != b.id() {
                let changes = b
                    .node
                    .changes_of(&telecenter_protocol::DocId::catalog(b.id()))
                    .unwrap();
                for result in a.node.receive(&changes).unwrap() {
                    result.unwrap();
                }
            }
        }
    }
}

/// The messages `from` has waiting for `to`.
pub(crate) fn outbox(from: &Center, to: &Center) -> Vec<telecenter_protocol::order::SignedMessage> {
    from.node
        .outbox_for(&to.id())
        .unwrap()
        .into_iter()
        .map(|m| m.message)
        .collect()
}

/// Sends `from`'s waiting messages for `to` and hands the answers back.
pub(crate) fn send(from: &Center, to: &Center) -> Vec<MessageResult> {
    let messages = outbox(from, to);
    let results = to.node.pair_receive(&from.id(), messages);
    from.node.pair_results(&to.id(), &results).unwrap();
    results
}

/// Delivers both ways until both outboxes for each other are empty.
pub(crate) fn settle_pair(a: &Center, b: &Center) {
    for _ in 0..10 {
        send(a, b);
        send(b, a);
        if a.node.outbox_for(&b.id()).unwrap().is_empty()
            && b.node.outbox_for(&a.id()).unwrap().is_empty()
        {
            return;
        }
    }
    panic!("messages still waiting after 10 exchanges");
}

pub(crate) fn order(
    buyer: &Center,
    seller: &Center,
    listing: &ListingId,
    quantity: i64,
) -> OrderId {
    buyer
        .node
        .place_order(&cash_order(seller.id(), listing.clone(), quantity))
        .unwrap()
        .state
        .id
}

/// An order taken through its whole life and delivered both ways.
fn completed_order(buyer: &Center, seller: &Center, listing: &ListingId, quantity: i64) -> OrderId {
    let id = order(buyer, seller, listing, quantity);
    settle_pair(buyer, seller);
    for action in [Action::Accept, Action::Ship, Action::Complete] {
        seller.node.order_step(&id, action, None).unwrap();
    }
    settle_pair(seller, buyer);
    id
}

/// Asserts that two centers hold identical ledger entries; returns them.
fn same_ledger(a: &Center, b: &Center) -> Vec<telecenter_protocol::order::LedgerEntry> {
    let of_a: Vec<_> = a.ledger().into_iter().map(|r| r.entry).collect();
    let of_b: Vec<_> = b.ledger().into_iter().map(|r| r.entry).collect();
    assert_eq!(of_a, of_b, "identical entries on both sides");
    of_a
}

/// Asserts `error` is an order refusal with this stable `code`.
#[track_caller]
fn assert_order_error(error: &NodeError, code: &str) {
    assert!(
        matches!(error, NodeError::Order { code: found, .. } if *found == code),
        "expected order error {code}, got {error:?}"
    );
}

/// Asserts `center` may not answer settlement `id` (confirming it or, with no
/// reason given, declining it): refused with this stable `code`.
#[track_caller]
fn assert_answer_refused(center: &Center, id: &OrderId, confirmed: bool, code: &str) {
    let error = center.node.answer_settlement(id, confirmed, None);
    assert_order_error(&error.unwrap_err(), code);
}

fn status(center: &Center, id: &OrderId) -> &'static str {
    center.node.order(id).unwrap().row.status_word()
}

fn history(center: &Center, id: &OrderId) -> Vec<(u32, String, bool)> {
    center
        .node
        .order(id)
        .unwrap()
        .events
        .into_iter()
        .map(|(row, _)| (row.seq, row.hash, row.proposed))
        .collect()
}

fn ids(rows: &[EntryRow]) -> Vec<(String, i64)> {
    rows.iter()
        .map(|r| (r.entry.id.clone(), r.entry.amount_idr))
        .collect()
}

fn pair() -> (Center, Center, ListingId) {
    let malang = Center::new(1, "Telecenter Kota Malang");
    let ponorogo = Center::new(2, "Telecenter Ponorogo");
    federate(&[&malang, &ponorogo]);
    let listing = malang.add("Keripik pisang", 15_000, 10);
    federate(&[&malang, &ponorogo]);
    (malang, ponorogo, listing)
}

#[test]
fn a_full_life_cycle_gives_both_nodes_the_same_history_and_ledger() {
    let (malang, ponorogo, listing) = pair();
    let id = order(&ponorogo, &malang, &listing, 3);
    assert_eq!(status(&ponorogo, &id), "placed");
    assert_eq!(
        ponorogo.node.order(&id).unwrap().row.pending.as_deref(),
        Some("place")
    );
    settle_pair(&ponorogo, &malang);
    assert_eq!(status(&malang, &id), "placed");
    assert_eq!(ponorogo.node.order(&id).unwrap().row.pending, None);

    malang.node.order_step(&id, Action::Accept, None).unwrap();
    assert_eq!(malang.stock(&listing), 7, "accepting reserves the stock");
    malang.node.order_step(&id, Action::Ship, None).unwrap();
    settle_pair(&malang, &ponorogo);
    assert_eq!(status(&ponorogo, &id), "shipped");
    ponorogo
        .node
        .order_step(&id, Action::Complete, None)
        .unwrap();
    assert!(
        ponorogo.ledger().is_empty(),
        "booked only once the seller took the step in"
    );
    settle_pair(&ponorogo, &malang);

    assert_eq!(status(&malang, &id), "completed");
    assert_eq!(status(&ponorogo, &id), "completed");
    assert_eq!(history(&malang, &id), history(&ponorogo, &id));
    assert_eq!(history(&malang, &id).len(), 4);
    let expected = vec![
        (format!("order/{id}/fee"), 1_350),
        (format!("order/{id}/goods"), 45_000),
    ];
    assert_eq!(ids(&malang.ledger()), expected);
    assert_eq!(ids(&ponorogo.ledger()), expected);
    same_ledger(&malang, &ponorogo);
    let owed_to_malang = balance_with(&malang.id(), &malang.ledger());
    assert_eq!(owed_to_malang, 45_000 - 1_350);
    assert_eq!(
        balance_with(&ponorogo.id(), &ponorogo.ledger()),
        -owed_to_malang
    );
}

#[test]
fn duplicate_delivery_and_lost_answers_book_nothing_twice() {
    let (malang, ponorogo, listing) = pair();
    let id = order(&ponorogo, &malang, &listing, 1);
    let placement = outbox(&ponorogo, &malang);
    // Delivered, but the answer is lost: the buyer sends it again.
    let first = malang.node.pair_receive(&ponorogo.id(), placement.clone());
    assert_eq!(first[0].status, "appended");
    let again = malang.node.pair_receive(&ponorogo.id(), placement);
    assert_eq!(again[0].status, "duplicate");
    settle_pair(&ponorogo, &malang);
    for action in [Action::Accept, Action::Ship, Action::Complete] {
        malang.node.order_step(&id, action, None).unwrap();
    }
    let steps = outbox(&malang, &ponorogo);
    assert_eq!(steps.len(), 3);
    for round in 0..3 {
        let results = ponorogo.node.pair_receive(&malang.id(), steps.clone());
        let expected = if round == 0 { "appended" } else { "duplicate" };
        assert!(results.iter().all(|r| r.status == expected), "{results:?}");
    }
    settle_pair(&malang, &ponorogo);
    assert_eq!(ponorogo.ledger().len(), 2);
    assert_eq!(malang.ledger().len(), 2);
    assert_eq!(status(&ponorogo, &id), "completed");
}

#[test]
fn a_buyer_cancel_that_crosses_the_sellers_accept_loses_and_says_so() {
    let (malang, ponorogo, listing) = pair();
    let id = order(&ponorogo, &malang, &listing, 2);
    settle_pair(&ponorogo, &malang);
    ponorogo
        .node
        .order_step(&id, Action::Cancel, Some("pembeli batal"))
        .unwrap();
    malang.node.order_step(&id, Action::Accept, None).unwrap();
    let results = send(&ponorogo, &malang);
    assert_eq!(results[0].status, "refused");
    assert_eq!(results[0].code.as_deref(), Some("order_moved_on"));
    settle_pair(&malang, &ponorogo);
    assert_eq!(status(&ponorogo, &id), "accepted");
    assert_eq!(status(&malang, &id), "accepted");
    assert_eq!(history(&malang, &id), history(&ponorogo, &id));
    assert!(ponorogo.node.order(&id).unwrap().row.problem.is_some());
    assert_eq!(malang.stock(&listing), 8);
    // The seller may still cancel; the stock comes back.
    malang
        .node
        .order_step(&id, Action::Cancel, Some("stok rusak"))
        .unwrap();
    assert_eq!(malang.stock(&listing), 10);
    settle_pair(&malang, &ponorogo);
    assert_eq!(status(&ponorogo, &id), "cancelled");
    assert!(malang.ledger().is_empty() && ponorogo.ledger().is_empty());
}

#[test]
fn two_centers_ordering_the_last_unit_get_exactly_one_acceptance() {
    let malang = Center::new(1, "Telecenter Kota Malang");
    let ponorogo = Center::new(2, "Telecenter Ponorogo");
    let blitar = Center::new(3, "Telecenter Blitar");
    let listing = malang.add("Batik tulis", 350_000, 1);
    federate(&[&malang, &ponorogo, &blitar]);
    let first = order(&ponorogo, &malang, &listing, 1);
    let second = order(&blitar, &malang, &listing, 1);
    settle_pair(&ponorogo, &malang);
    settle_pair(&blitar, &malang);
    let node = &malang.node;
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| node.order_step(&first, Action::Accept, None));
        let b = s.spawn(|| node.order_step(&second, Action::Accept, None));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} {b:?}");
    let refused = a.err().or(b.err()).unwrap();
    assert_order_error(&refused, "out_of_stock");
    assert_eq!(malang.stock(&listing), 0);
    let accepted = node
        .orders(&OrderFilter {
            statuses: vec!["accepted".into()],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(accepted.len(), 1);
}

#[test]
fn bad_orders_are_refused_with_a_reason_and_change_nothing() {
    let (malang, ponorogo, listing) = pair();
    let mallory = Center::new(66, "Mallory");
    federate(&[&malang, &ponorogo, &mallory]);
    let place = |quantity: i64, price: Option<i64>, listing: &ListingId| {
        ponorogo.node.place_order(&PlaceOrder {
            unit_price_idr: price,
            payment_at: Collector::SellerCenter,
            payment_method: PayMethod::Transfer,
            ..cash_order(malang.id(), listing.clone(), quantity)
        })
    };
    let unknown: ListingId = "0000000000".parse().unwrap();
    assert!(matches!(
        place(1, None, &unknown),
        Err(NodeError::UnknownListing { .. })
    ));
    assert!(
        matches!(place(0, None, &listing), Err(NodeError::Invalid(e)) if e.field == "quantity")
    );
    assert!(matches!(
        place(11, None, &listing),
        Err(NodeError::Order {
            code: "out_of_stock",
            ..
        })
    ));
    assert!(matches!(
        place(i64::MAX, None, &listing),
        Err(NodeError::Order { .. } | NodeError::Invalid(_))
    ));
    assert!(matches!(
        place(1, Some(14_000), &listing),
        Err(NodeError::Order {
            code: "price_changed",
            ..
        })
    ));
    assert!(
        ponorogo
            .node
            .orders(&OrderFilter::default())
            .unwrap()
            .is_empty()
    );
    assert!(ponorogo.node.outbox_counterparts().unwrap().is_empty());

    // The price changes after the order was placed but before it arrived.
    let id = place(1, Some(15_000), &listing).unwrap().state.id;
    malang.set_stock_price(&listing, None, Some(16_000));
    let results = send(&ponorogo, &malang);
    assert_eq!(results[0].code.as_deref(), Some("price_changed"));
    assert!(results[0].message.as_deref().unwrap().contains("Rp 16.000"));
    assert_eq!(status(&ponorogo, &id), "refused");
    assert!(
        malang
            .node
            .orders(&OrderFilter::default())
            .unwrap()
            .is_empty()
    );

    // A third center forges a step of an order between the other two.
    federate(&[&malang, &ponorogo]);
    let id = order(&ponorogo, &malang, &listing, 1);
    settle_pair(&ponorogo, &malang);
    let detail = ponorogo.node.order(&id).unwrap();
    let forged = telecenter_protocol::order::OrderEvent {
        order: id.clone(),
        seq: 1,
        prev: Some(detail.row.state.head.clone()),
        by: mallory.id(),
        at_ms: T0,
        action: Action::Accept,
        reason: None,
        terms: None,
    };
    let (signed, _) = mallory
        .node
        .sign_body(&telecenter_protocol::order::Body::OrderEvent(forged))
        .unwrap();
    let results = ponorogo
        .node
        .pair_receive(&mallory.id(), vec![signed.clone()]);
    assert_eq!(results[0].code.as_deref(), Some("not_a_party"));
    // Relayed by the seller, it is still not the seller's step.
    let results = ponorogo.node.pair_receive(&malang.id(), vec![signed]);
    assert_eq!(results[0].code.as_deref(), Some("not_sender"));
    assert_eq!(status(&ponorogo, &id), "placed");
    assert!(ponorogo.ledger().is_empty());
    // Out-of-turn steps are refused locally with a plain reason.
    let error = ponorogo
        .node
        .order_step(&id, Action::Ship, None)
        .unwrap_err();
    assert!(error.to_string().contains("cannot ship"), "{error}");
    let error = malang
        .node
        .order_step(&id, Action::Reject, None)
        .unwrap_err();
    assert_order_error(&error, "reason_required");
}

#[test]
fn restarts_between_steps_lose_nothing_and_book_nothing_twice() {
    let (mut malang, mut ponorogo, listing) = pair();
    let id = order(&ponorogo, &malang, &listing, 2);
    ponorogo.restart();
    // The seller takes the order in; its answer is lost in a crash of the buyer.
    let messages = outbox(&ponorogo, &malang);
    assert_eq!(messages.len(), 1, "the placement survived the restart");
    let results = malang.node.pair_receive(&ponorogo.id(), messages);
    assert_eq!(results[0].status, "appended");
    ponorogo.restart();
    settle_pair(&ponorogo, &malang);
    malang.node.order_step(&id, Action::Accept, None).unwrap();
    malang.restart();
    assert_eq!(malang.stock(&listing), 8);
    malang.node.order_step(&id, Action::Ship, None).unwrap();
    settle_pair(&malang, &ponorogo);
    ponorogo
        .node
        .order_step(&id, Action::Complete, None)
        .unwrap();
    assert_eq!(send(&ponorogo, &malang)[0].status, "appended");
    malang.restart();
    ponorogo.restart();
    settle_pair(&ponorogo, &malang);
    assert_eq!(malang.ledger().len(), 2);
    assert_eq!(ponorogo.ledger().len(), 2);
    assert_eq!(history(&malang, &id), history(&ponorogo, &id));
    assert_eq!(malang.node.quick_check().unwrap(), "ok");
}

#[test]
fn a_confirmed_settlement_moves_the_balance_once_and_a_declined_one_not_at_all() {
    let (malang, ponorogo, listing) = pair();
    completed_order(&ponorogo, &malang, &listing, 3);
    let owed = -balance_with(&ponorogo.id(), &ponorogo.ledger());
    assert_eq!(owed, 43_650);

    let declined = ponorogo
        .node
        .record_settlement(&malang.id(), 10_000, "salah kirim")
        .unwrap();
    settle_pair(&ponorogo, &malang);
    assert_answer_refused(&malang, &declined.id, false, "reason_required");
    malang
        .node
        .answer_settlement(&declined.id, false, Some("dana belum masuk"))
        .unwrap();
    settle_pair(&malang, &ponorogo);
    assert_eq!(
        ponorogo.node.settlements(None).unwrap()[0].status,
        "declined"
    );

    let paid = ponorogo
        .node
        .record_settlement(&malang.id(), owed, "BRI ref 8812")
        .unwrap();
    // The payer cannot confirm.
    assert_answer_refused(&ponorogo, &paid.id, true, "not_allowed");
    settle_pair(&ponorogo, &malang);
    malang.node.answer_settlement(&paid.id, true, None).unwrap();
    assert_answer_refused(&malang, &paid.id, true, "already_answered");
    let reply = outbox(&malang, &ponorogo);
    assert_eq!(
        ponorogo.node.pair_receive(&malang.id(), reply.clone())[0].status,
        "appended"
    );
    assert_eq!(
        ponorogo.node.pair_receive(&malang.id(), reply)[0].status,
        "duplicate"
    );
    settle_pair(&malang, &ponorogo);
    assert_eq!(balance_with(&ponorogo.id(), &ponorogo.ledger()), 0);
    assert_eq!(balance_with(&malang.id(), &malang.ledger()), 0);
    assert_eq!(ponorogo.ledger().len(), 3);
    same_ledger(&malang, &ponorogo);
}

#[test]
fn ledger_rows_cannot_be_changed_or_deleted() {
    let (malang, ponorogo, listing) = pair();
    completed_order(&ponorogo, &malang, &listing, 1);
    let before = ids(&malang.ledger());
    let conn = rusqlite::Connection::open(malang.db()).unwrap();
    for sql in ["UPDATE ledger SET amount_idr = 1", "DELETE FROM ledger"] {
        let error = conn.execute(sql, []).unwrap_err();
        assert!(
            error.to_string().contains("ledger entries are immutable"),
            "{sql}: {error}"
        );
    }
    assert_eq!(malang.ledger().len(), 2);
    assert_eq!(ids(&malang.ledger()), before);
}

#[test]
fn a_refused_placement_stays_refused_when_it_comes_again_after_things_changed() {
    let (malang, ponorogo, listing) = pair();
    let id = order(&ponorogo, &malang, &listing, 5);
    let placement = outbox(&ponorogo, &malang);
    // Stock drops below the order before it arrives: refused.
    malang.set_stock_price(&listing, Some(2), None);
    let first = send(&ponorogo, &malang);
    assert_eq!(first[0].code.as_deref(), Some("out_of_stock"));
    assert_eq!(status(&ponorogo, &id), "refused");
    // Stock comes back; the same placement arrives again (a crossing exchange).
    malang.set_stock_price(&listing, Some(50), None);
    let again = malang.node.pair_receive(&ponorogo.id(), placement);
    assert_eq!(again[0].status, "refused");
    assert_eq!(again[0].code.as_deref(), Some("out_of_stock"));
    assert!(
        malang
            .node
            .orders(&OrderFilter::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_placement_whose_details_differ_from_the_listing_is_refused() {
    let (malang, ponorogo, listing) = pair();
    malang.patch(
        &listing,
        ListingPatch {
            producer: Some("Bu Sri Rahayu".into()),
            ..Default::default()
        },
    );
    // Ponorogo still has the old producer name.
    let id = order(&ponorogo, &malang, &listing, 1);
    let results = send(&ponorogo, &malang);
    assert_eq!(results[0].code.as_deref(), Some("listing_changed"));
    assert!(
        results[0]
            .message
            .as_deref()
            .unwrap()
            .contains("Bu Sri Rahayu")
    );
    assert_eq!(status(&ponorogo, &id), "refused");
}

#[test]
fn invalid_settlement_messages_are_refused_not_retried_forever() {
    let (malang, ponorogo, _) = pair();
    let payment = telecenter_protocol::order::SettlementPayment {
        id: "0000000000aa".parse().unwrap(),
        payer: ponorogo.id(),
        payee: malang.id(),
        amount_idr: 0,
        reference: String::new(),
        at_ms: T0,
        correction_owed_to: None,
    };
    let (signed, _) = ponorogo
        .node
        .sign_body(&telecenter_protocol::order::Body::SettlementPayment(
            payment,
        ))
        .unwrap();
    let results = malang
        .node
        .pair_receive(&ponorogo.id(), vec![signed.clone()]);
    assert_eq!(results[0].status, "refused");
    assert_eq!(results[0].code.as_deref(), Some("out_of_range"));
    let again = malang.node.pair_receive(&ponorogo.id(), vec![signed]);
    assert_eq!(again[0].code.as_deref(), Some("out_of_range"));
    assert!(malang.node.settlements(None).unwrap().is_empty());

    // A decline without a reason is refused; the payment stays waiting.
    let paid = ponorogo
        .node
        .record_settlement(&malang.id(), 1_000, "BRI")
        .unwrap();
    settle_pair(&ponorogo, &malang);
    let reply = telecenter_protocol::order::SettlementReply {
        id: paid.id.clone(),
        payment: paid.payment_hash.clone(),
        by: malang.id(),
        confirmed: false,
        reason: None,
        at_ms: T0 + 1,
    };
    let (signed, _) = malang
        .node
        .sign_body(&telecenter_protocol::order::Body::SettlementReply(reply))
        .unwrap();
    let results = ponorogo.node.pair_receive(&malang.id(), vec![signed]);
    assert_eq!(results[0].code.as_deref(), Some("bad_field"));
    assert_eq!(
        ponorogo.node.settlements(None).unwrap()[0].status,
        "waiting"
    );
}

#[test]
fn a_node_whose_clock_was_reset_refuses_to_date_steps() {
    let (malang, ponorogo, listing) = pair();
    let id = order(&ponorogo, &malang, &listing, 1);
    settle_pair(&ponorogo, &malang);
    malang.clock.advance(-(T0 - 946_684_800_000)); // back to 2000-01-01
    let error = malang
        .node
        .order_step(&id, Action::Accept, None)
        .unwrap_err();
    assert_order_error(&error, "clock_wrong");
    assert_eq!(status(&malang, &id), "placed");
}

#[test]
fn answers_are_signed_for_exactly_one_request() {
    let (malang, ponorogo, _) = pair();
    let nonce = [7u8; 16];
    let header = malang
        .node
        .sign_response(&ponorogo.id(), nonce, "/api/v1/mail/exchange", b"{}")
        .unwrap();
    let check = |header: &str, nonce: [u8; 16], body: &[u8]| {
        ponorogo
            .node
            .check_response(header, &malang.id(), nonce, "/api/v1/mail/exchange", body)
    };
    assert!(check(&header, nonce, b"{}").is_ok());
    assert!(
        check(&header, [8u8; 16], b"{}").is_err(),
        "another request's answer"
    );
    assert!(
        check(&header, nonce, b"{\"results\":[]}").is_err(),
        "altered answer"
    );
    let by_other = ponorogo
        .node
        .sign_response(&ponorogo.id(), nonce, "/api/v1/mail/exchange", b"{}")
        .unwrap();
    assert!(
        check(&by_other, nonce, b"{}").is_err(),
        "signed by someone else"
    );
}

#[test]
fn a_correction_is_a_new_entry_booked_on_both_sides_only_once_confirmed() {
    let (malang, ponorogo, listing) = pair();
    let id = completed_order(&ponorogo, &malang, &listing, 1);
    let before = balance_with(&malang.id(), &malang.ledger());
    assert_eq!(before, 15_000 - 1_000);
    // Malang forgot the delivery cost: Ponorogo owes Rp 5.000 more.
    let error = malang
        .node
        .record_correction(&ponorogo.id(), true, 5_000, " ")
        .unwrap_err();
    assert!(
        matches!(error, NodeError::Invalid(ref e) if e.field == "reference"),
        "{error}"
    );
    let proposed = malang
        .node
        .record_correction(&ponorogo.id(), true, 5_000, "ongkos kirim belum dihitung")
        .unwrap();
    settle_pair(&malang, &ponorogo);
    assert_eq!(
        balance_with(&malang.id(), &malang.ledger()),
        before,
        "not before it is agreed"
    );
    // Only the other side agrees.
    assert_answer_refused(&malang, &proposed.id, true, "not_allowed");
    ponorogo
        .node
        .answer_settlement(&proposed.id, true, None)
        .unwrap();
    settle_pair(&ponorogo, &malang);
    assert_eq!(balance_with(&malang.id(), &malang.ledger()), before + 5_000);
    assert_eq!(
        balance_with(&ponorogo.id(), &ponorogo.ledger()),
        -(before + 5_000)
    );
    let m = same_ledger(&malang, &ponorogo);
    assert!(
        m.iter()
            .any(|e| e.id == format!("correction/{}", proposed.id))
    );
    // The original entries are untouched.
    assert!(
        m.iter()
            .any(|e| e.id == format!("order/{id}/goods") && e.amount_idr == 15_000)
    );
}

/// Issue 9, finding 10: a center could place and cancel orders in a loop without
/// end (each cancelled order frees its open-order place). Now at most
/// `PLACEMENTS_PER_CENTER_PER_DAY_MAX` placements from one center are taken in
/// per 24 hours, counted in the database; beyond, `too_many_orders`. Other
/// centers are not affected, and the next day the center may order again.
#[test]
fn place_cancel_loop_is_limited_per_sender() {
    use telecenter_protocol::limits::PLACEMENTS_PER_CENTER_PER_DAY_MAX;
    let (malang, ponorogo, listing) = pair();
    let kediri = Center::new(3, "Telecenter Kota Kediri");
    federate(&[&malang, &ponorogo, &kediri]);
    let batch = 50;
    for _ in 0..PLACEMENTS_PER_CENTER_PER_DAY_MAX / batch {
        let ids: Vec<OrderId> = (0..batch)
            .map(|_| order(&ponorogo, &malang, &listing, 1))
            .collect();
        settle_pair(&ponorogo, &malang);
        for id in &ids {
            assert_eq!(status(&malang, id), "placed");
            ponorogo
                .node
                .order_step(id, Action::Cancel, Some("batal"))
                .unwrap();
        }
        settle_pair(&ponorogo, &malang);
        for id in &ids {
            assert_eq!(status(&malang, id), "cancelled");
        }
        // Within the message rate: a minute passes between rounds.
        for center in [&malang, &ponorogo, &kediri] {
            center.clock.advance(60_000);
        }
    }
    assert_eq!(
        lock(&malang.node.writer)
            .store
            .open_with(&ponorogo.id())
            .unwrap()
            .0,
        0
    );

    let refused = order(&ponorogo, &malang, &listing, 1);
    let results = send(&ponorogo, &malang);
    assert_eq!(results[0].status, "refused", "{results:?}");
    assert_eq!(results[0].code.as_deref(), Some("too_many_orders"));
    assert!(malang.node.order(&refused).is_err(), "no order stored");
    assert_eq!(status(&ponorogo, &refused), "refused");

    // Per sender: another center still orders.
    let other = order(&kediri, &malang, &listing, 1);
    settle_pair(&kediri, &malang);
    assert_eq!(status(&malang, &other), "placed");

    // A day after the loop began, placements are taken in again.
    for center in [&malang, &ponorogo, &kediri] {
        center.clock.advance(24 * 60 * 60 * 1000);
    }
    let next = order(&ponorogo, &malang, &listing, 1);
    settle_pair(&ponorogo, &malang);
    assert_eq!(status(&malang, &next), "placed");
}

/// Issue 9, finding 10: a pair message could be dated in year 2999, which keeps
/// its ledger entries out of every monthly report. A message dated more than
/// `PAIR_MESSAGE_AHEAD_MS_MAX` after the receiver's clock is not taken in: it is
/// answered `later` (`from_the_future`), so it is sent again, and nothing changes.
#[test]
fn pair_message_from_year_2999_is_not_taken_in() {
    /// 2999-01-01T00:00:00Z.
    const YEAR_2999_MS: i64 = 32_472_144_000_000;
    let (malang, ponorogo, listing) = pair();
    let id = order(&ponorogo, &malang, &listing, 2);
    settle_pair(&ponorogo, &malang);
    for action in [Action::Accept, Action::Ship] {
        malang.node.order_step(&id, action, None).unwrap();
    }
    settle_pair(&malang, &ponorogo);

    // The buyer's clock says 2999 when it completes the order.
    ponorogo.clock.advance(YEAR_2999_MS - T0);
    ponorogo
        .node
        .order_step(&id, Action::Complete, None)
        .unwrap();
    for _ in 0..2 {
        let results = send(&ponorogo, &malang);
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].status, "later", "{results:?}");
        assert_eq!(results[0].code.as_deref(), Some("from_the_future"));
    }
    assert_eq!(status(&malang, &id), "shipped");
    assert!(malang.ledger().is_empty(), "no entry dated 2999");
    assert_eq!(outbox(&ponorogo, &malang).len(), 1, "kept to send again");
    // The sender's operator sees why it waits.
    let waiting = ponorogo.node.outbox_for(&malang.id()).unwrap();
    let why = waiting[0].last_error.as_deref().unwrap_or("");
    assert!(
        why.contains("2999-01-01T00:00:00Z") && why.contains("check the clocks"),
        "{why:?}"
    );

    // A placement dated in 2999 is not taken in either.
    let placed = order(&ponorogo, &malang, &listing, 1);
    let results = send(&ponorogo, &malang);
    assert!(results.iter().all(|r| r.status == "later"), "{results:?}");
    assert!(malang.node.order(&placed).is_err());

    // Up to five minutes ahead is normal clock difference.
    let kediri = Center::new(3, "Telecenter Kota Kediri");
    federate(&[&malang, &kediri]);
    kediri
        .clock
        .advance(telecenter_protocol::limits::PAIR_MESSAGE_AHEAD_MS_MAX);
    let ahead = order(&kediri, &malang, &listing, 1);
    settle_pair(&kediri, &malang);
    assert_eq!(status(&malang, &ahead), "placed");
}

/// Issue 9, finding 10: pair messages from one center were taken in at any
/// rate. Now at most `PAIR_MESSAGES_PER_CENTER_PER_MINUTE_MAX` a minute per
/// sender; the rest are answered `later` (`too_fast`), not lost, and taken in
/// the next minute. Other senders are not affected.
#[test]
fn pair_message_rate_is_limited_per_sender() {
    use telecenter_protocol::limits::{
        PAIR_BATCH_MESSAGES_MAX, PAIR_MESSAGES_PER_CENTER_PER_MINUTE_MAX,
    };
    let (malang, ponorogo, listing) = pair();
    let kediri = Center::new(3, "Telecenter Kota Kediri");
    federate(&[&malang, &ponorogo, &kediri]);
    let first = order(&ponorogo, &malang, &listing, 1);
    let placement = outbox(&ponorogo, &malang);
    let rate = usize::try_from(PAIR_MESSAGES_PER_CENTER_PER_MINUTE_MAX).unwrap();
    let mut statuses = Vec::new();
    for _ in 0..rate.div_ceil(PAIR_BATCH_MESSAGES_MAX) {
        let batch = vec![placement[0].clone(); PAIR_BATCH_MESSAGES_MAX];
        statuses.extend(malang.node.pair_receive(&ponorogo.id(), batch));
    }
    let taken = statuses.iter().filter(|r| r.status != "later").count();
    assert_eq!(taken, rate);
    assert_eq!(status(&malang, &first), "placed");

    // Over the rate: a new placement waits, and is not refused.
    let second = order(&ponorogo, &malang, &listing, 1);
    let results = send(&ponorogo, &malang);
    assert!(
        results
            .iter()
            .all(|r| r.status == "later" && r.code.as_deref() == Some("too_fast")),
        "{results:?}"
    );
    assert!(malang.node.order(&second).is_err());

    // Another center is not slowed down.
    let other = order(&kediri, &malang, &listing, 1);
    settle_pair(&kediri, &malang);
    assert_eq!(status(&malang, &other), "placed");

    // The next minute the waiting message is taken in.
    malang.clock.advance(60_000);
    settle_pair(&ponorogo, &malang);
    assert_eq!(status(&malang, &second), "placed");
}
