use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;
use crate::fee::{FeeTerms, parse_percent, percent_text};
use crate::id::CenterId;
use crate::identity::Identity;
use crate::limits::*;

const NOW: i64 = 1_795_392_000_000;

fn ids() -> (Identity, Identity, Identity) {
    (
        Identity::generate(&mut StdRng::seed_from_u64(11)),
        Identity::generate(&mut StdRng::seed_from_u64(12)),
        Identity::generate(&mut StdRng::seed_from_u64(13)),
    )
}

fn terms(buyer: CenterId, seller: CenterId) -> OrderTerms {
    let fee = FeeTerms {
        referral_bp: 300,
        min_idr: 1_000,
    };
    let payment = Payment {
        collected_by: Collector::BuyerCenter,
        method: PayMethod::Cash,
    };
    let customer = Buyer {
        name: "Pak Budi".into(),
        phone: "0812 3456 789".into(),
    };
    OrderTerms {
        buyer_center: buyer,
        seller_center: seller,
        listing: "k3v9q2m7xa".parse().unwrap(),
        title: "Keripik pisang".into(),
        unit: "bungkus".into(),
        producer: "Bu Sri".into(),
        unit_price_idr: 15_000,
        quantity: 3,
        fee,
        payment,
        buyer: customer,
        note: String::new(),
    }
}

fn place(buyer: &Identity, seller: CenterId) -> VerifiedMessage {
    let body = Body::OrderEvent(OrderEvent {
        order: "q3k9v2m7xa4d".parse().unwrap(),
        seq: 0,
        prev: None,
        by: buyer.center_id(),
        at_ms: NOW,
        action: Action::Place,
        reason: None,
        terms: Some(terms(buyer.center_id(), seller)),
    });
    SignedMessage::sign(buyer, &body).unwrap().verify().unwrap()
}

fn step(
    by: &Identity,
    state: &OrderState,
    action: Action,
    reason: Option<&str>,
) -> VerifiedMessage {
    let body = Body::OrderEvent(OrderEvent {
        order: state.id.clone(),
        seq: state.seq + 1,
        prev: Some(state.head.clone()),
        by: by.center_id(),
        at_ms: NOW + 1_000,
        action,
        reason: reason.map(str::to_owned),
        terms: None,
    });
    SignedMessage::sign(by, &body).unwrap().verify().unwrap()
}

fn event(message: &VerifiedMessage) -> &OrderEvent {
    match &message.body {
        Body::OrderEvent(e) => e,
        other => panic!("not an order event: {other:?}"),
    }
}

#[test]
fn fees_round_half_up_respect_the_minimum_and_never_exceed_the_goods() {
    let terms = FeeTerms {
        referral_bp: 300,
        min_idr: 0,
    };
    assert_eq!(terms.fee_idr(45_000), 1_350);
    // 3 % of 50 = 1.5 → 2 (half up); of 49 = 1.47 → 1.
    assert_eq!(terms.fee_idr(50), 2);
    assert_eq!(terms.fee_idr(49), 1);
    assert_eq!(terms.fee_idr(0), 0);
    let with_min = FeeTerms {
        referral_bp: 250,
        min_idr: 1_000,
    };
    assert_eq!(with_min.fee_idr(10_000), 1_000);
    assert_eq!(with_min.fee_idr(100_000), 2_500);
    assert_eq!(with_min.fee_idr(600), 600, "never more than the goods");
    let largest = FeeTerms {
        referral_bp: FEE_BP_MAX,
        min_idr: 0,
    };
    let gross = PRICE_IDR_MAX * ORDER_QUANTITY_MAX;
    assert_eq!(largest.fee_idr(gross), gross / 2);
}

#[test]
fn percentages_parse_from_what_people_type() {
    assert_eq!(parse_percent("3").unwrap(), 300);
    assert_eq!(parse_percent("3 %").unwrap(), 300);
    assert_eq!(parse_percent("2,5").unwrap(), 250);
    assert_eq!(parse_percent("2.25%").unwrap(), 225);
    assert_eq!(parse_percent("0").unwrap(), 0);
    for bad in ["", "abc", "-1", "2.555", "51", "1e3", "3,"] {
        assert!(parse_percent(bad).is_err(), "{bad:?} should be refused");
    }
    assert_eq!(percent_text(300), "3");
    assert_eq!(percent_text(250), "2,5");
    assert_eq!(percent_text(225), "2,25");
}

#[test]
fn the_state_machine_allows_exactly_the_documented_steps() {
    use Action as A;
    use Role as R;
    use Status as S;
    let allowed = [
        (S::Placed, A::Accept, R::Seller, S::Accepted),
        (S::Placed, A::Reject, R::Seller, S::Rejected),
        (S::Placed, A::Cancel, R::Buyer, S::Cancelled),
        (S::Placed, A::Cancel, R::Seller, S::Cancelled),
        (S::Accepted, A::Cancel, R::Seller, S::Cancelled),
        (S::Accepted, A::Ship, R::Seller, S::Shipped),
        (S::Shipped, A::Complete, R::Buyer, S::Completed),
        (S::Shipped, A::Complete, R::Seller, S::Completed),
    ];
    let statuses = [
        S::Placed,
        S::Accepted,
        S::Rejected,
        S::Shipped,
        S::Completed,
        S::Cancelled,
    ];
    let actions = [
        A::Place,
        A::Accept,
        A::Reject,
        A::Ship,
        A::Complete,
        A::Cancel,
    ];
    for status in statuses {
        for action in actions {
            for role in [R::Buyer, R::Seller] {
                let expected = allowed
                    .iter()
                    .find(|(s, a, r, _)| *s == status && *a == action && *r == role)
                    .map(|(_, _, _, to)| *to);
                assert_eq!(
                    transition(status, action, role),
                    expected,
                    "{status:?} {action:?} {role:?}"
                );
            }
        }
        if status.is_final() {
            assert!(
                actions
                    .iter()
                    .all(|a| transition(status, *a, R::Buyer).is_none()
                        && transition(status, *a, R::Seller).is_none())
            );
        }
    }
}

#[test]
fn a_full_life_cycle_chains_and_books_goods_and_fee() {
    let (buyer, seller, _) = ids();
    let placed = place(&buyer, seller.center_id());
    let state = OrderState::start(event(&placed), &placed.hash).unwrap();
    assert_eq!(state.status, Status::Placed);
    let accepted = step(&seller, &state, Action::Accept, None);
    let state = state.step(event(&accepted), &accepted.hash).unwrap();
    let shipped = step(&seller, &state, Action::Ship, None);
    let state = state.step(event(&shipped), &shipped.hash).unwrap();
    let done = step(&buyer, &state, Action::Complete, None);
    let state = state.step(event(&done), &done.hash).unwrap();
    assert_eq!(state.status, Status::Completed);
    let entries = order_entries(&state.id, &state.terms, 2_000);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].amount_idr, 45_000);
    assert_eq!(entries[0].debtor, buyer.center_id());
    assert_eq!(entries[1].amount_idr, 1_350);
    assert_eq!(entries[1].debtor, seller.center_id());
    let mut seller_paid = state.terms.clone();
    seller_paid.payment.collected_by = Collector::SellerCenter;
    let entries = order_entries(&state.id, &seller_paid, 2_000);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].kind, EntryKind::ReferralFee);
}

#[test]
fn steps_by_a_third_center_on_stale_heads_or_out_of_turn_are_refused() {
    let (buyer, seller, third) = ids();
    let placed = place(&buyer, seller.center_id());
    let state = OrderState::start(event(&placed), &placed.hash).unwrap();
    let forged = step(&third, &state, Action::Accept, None);
    assert_eq!(
        state.step(event(&forged), &forged.hash).unwrap_err().code(),
        "not_a_party"
    );
    let by_buyer = step(&buyer, &state, Action::Accept, None);
    assert_eq!(
        state
            .step(event(&by_buyer), &by_buyer.hash)
            .unwrap_err()
            .code(),
        "not_allowed"
    );
    let no_reason = step(&seller, &state, Action::Reject, None);
    assert_eq!(
        state
            .step(event(&no_reason), &no_reason.hash)
            .unwrap_err()
            .code(),
        "bad_field"
    );
    // The buyer cancels on the placed head while the seller has already accepted.
    let cancel = step(&buyer, &state, Action::Cancel, Some("tidak jadi"));
    let accepted = step(&seller, &state, Action::Accept, None);
    let moved = state.step(event(&accepted), &accepted.hash).unwrap();
    let error = moved.step(event(&cancel), &cancel.hash).unwrap_err();
    assert_eq!(error.code(), "out_of_sequence");
    let mut stale = event(&cancel).clone();
    stale.seq = 2;
    assert_eq!(
        moved.step(&stale, "x").unwrap_err().code(),
        "order_moved_on"
    );
}

#[test]
fn messages_verify_only_unaltered_and_signed_by_their_author() {
    let (buyer, seller, third) = ids();
    let placed = place(&buyer, seller.center_id());
    let mut tampered = placed.signed.clone();
    tampered.body = tampered.body.replace("15000", "1500");
    assert_eq!(tampered.verify().unwrap_err().code(), "bad_signature");
    let mut resigned = placed.signed.clone();
    resigned.signer = third.center_id();
    assert_eq!(
        resigned.clone().verify().unwrap_err().code(),
        "bad_signature"
    );
    // A third center signing a body that names the buyer as author.
    let sig = third.sign(PAIR_DOMAIN, &[placed.signed.body.as_bytes()]);
    resigned.sig = hex::encode(sig);
    assert_eq!(resigned.verify().unwrap_err().code(), "wrong_signer");
    let mut big = placed.signed.clone();
    big.body = "x".repeat(PAIR_MESSAGE_BYTES_MAX + 1);
    assert_eq!(big.verify().unwrap_err().code(), "too_large");
    let mut version = placed.signed;
    version.v = 2;
    assert_eq!(version.verify().unwrap_err().code(), "unsupported_version");
}

#[test]
fn placements_check_their_terms() {
    let (buyer, seller, _) = ids();
    let good = terms(buyer.center_id(), seller.center_id());
    assert!(good.validate().is_ok());
    for (field, bad) in [
        (
            "quantity",
            OrderTerms {
                quantity: 0,
                ..good.clone()
            },
        ),
        (
            "quantity",
            OrderTerms {
                quantity: ORDER_QUANTITY_MAX + 1,
                ..good.clone()
            },
        ),
        (
            "unit_price_idr",
            OrderTerms {
                unit_price_idr: -1,
                ..good.clone()
            },
        ),
        (
            "seller_center",
            OrderTerms {
                seller_center: buyer.center_id(),
                ..good.clone()
            },
        ),
        (
            "buyer_phone",
            OrderTerms {
                buyer: Buyer {
                    name: "A".into(),
                    phone: "call me".into(),
                },
                ..good.clone()
            },
        ),
        (
            "buyer_name",
            OrderTerms {
                buyer: Buyer {
                    name: " ".into(),
                    phone: "0812345678".into(),
                },
                ..good.clone()
            },
        ),
    ] {
        assert_eq!(bad.validate().unwrap_err().field, field);
    }
    assert!("Q3K9V2M7XA4D".parse::<OrderId>().is_ok());
    assert!("q3k9v2m7xa4".parse::<OrderId>().is_err());
    assert!("q3k9v2m7xa4i".parse::<OrderId>().is_err());
}

#[test]
fn settlements_book_one_entry_crediting_the_payer() {
    let (payer, payee, _) = ids();
    let payment = SettlementPayment {
        id: "0000000000aa".parse().unwrap(),
        payer: payer.center_id(),
        payee: payee.center_id(),
        amount_idr: 250_000,
        reference: "BRI ref 8812".into(),
        at_ms: 5,
        correction_owed_to: None,
    };
    assert!(payment.validate().is_ok());
    let entry = settlement_entry(&payment, 9);
    assert_eq!(entry.creditor, payer.center_id());
    assert_eq!(entry.id, "settlement/0000000000aa");
    assert!(
        SettlementPayment {
            amount_idr: 0,
            ..payment.clone()
        }
        .validate()
        .is_err()
    );
    assert!(
        SettlementPayment {
            payee: payer.center_id(),
            ..payment
        }
        .validate()
        .is_err()
    );
}

#[test]
fn times_before_2020_or_far_before_the_previous_step_are_refused() {
    let (buyer, seller, _) = ids();
    let placed = place(&buyer, seller.center_id());
    let state = OrderState::start(event(&placed), &placed.hash).unwrap();
    let mut early = event(&step(&seller, &state, Action::Accept, None)).clone();
    early.at_ms = NOW - CLOCK_SKEW_MS_MAX - 1;
    assert_eq!(state.step(&early, "x").unwrap_err().code(), "bad_field");
    early.at_ms = NOW - CLOCK_SKEW_MS_MAX;
    assert!(
        state.step(&early, "x").is_ok(),
        "clocks may differ by 5 minutes"
    );
    let mut reset = event(&placed).clone();
    reset.at_ms = 946_684_800_000; // 2000-01-01: a PC whose clock was reset
    assert_eq!(
        OrderState::start(&reset, "x").unwrap_err().code(),
        "bad_field"
    );
}

#[test]
fn order_ids_have_one_wire_form() {
    assert!(serde_json::from_str::<OrderId>("\"q3k9v2m7xa4d\"").is_ok());
    assert!(serde_json::from_str::<OrderId>("\"Q3K9V2M7XA4D\"").is_err());
    assert!(serde_json::from_str::<OrderId>("\" q3k9v2m7xa4d\"").is_err());
    assert_eq!(
        " Q3K9V2M7XA4D ".parse::<OrderId>().unwrap().as_str(),
        "q3k9v2m7xa4d"
    );
}

#[test]
fn a_correction_credits_the_center_it_names_and_needs_a_reason() {
    let (a, b, c) = ids();
    let correction = SettlementPayment {
        id: "0000000000bb".parse().unwrap(),
        payer: a.center_id(),
        payee: b.center_id(),
        amount_idr: 5_000,
        reference: "salah hitung ongkos kirim".into(),
        at_ms: NOW,
        correction_owed_to: Some(b.center_id()),
    };
    assert!(correction.validate().is_ok());
    let entry = settlement_entry(&correction, NOW + 1);
    assert_eq!(entry.id, "correction/0000000000bb");
    assert_eq!(entry.kind, EntryKind::Correction);
    assert_eq!(
        (entry.creditor, entry.debtor),
        (b.center_id(), a.center_id())
    );
    let to_proposer = SettlementPayment {
        correction_owed_to: Some(a.center_id()),
        ..correction.clone()
    };
    let entry = settlement_entry(&to_proposer, NOW + 1);
    assert_eq!(
        (entry.creditor, entry.debtor),
        (a.center_id(), b.center_id())
    );
    let no_reason = SettlementPayment {
        reference: String::new(),
        ..correction.clone()
    };
    assert_eq!(no_reason.validate().unwrap_err().field, "reference");
    let third = SettlementPayment {
        correction_owed_to: Some(c.center_id()),
        ..correction
    };
    assert_eq!(third.validate().unwrap_err().code, "not_a_party");
}

#[test]
fn payment_words_of_the_pages_are_read() {
    use crate::order::{Collector, PayMethod};
    for here in [
        "here",
        "sini",
        "di sini",
        "Di Sini",
        "pusat ini",
        "Di telecenter ini",
        "buyer-center",
    ] {
        assert_eq!(
            here.parse::<Collector>().ok(),
            Some(Collector::BuyerCenter),
            "{here}"
        );
    }
    for seller in [
        "seller",
        "penjual",
        "Di telecenter penjual",
        "seller_center",
    ] {
        assert_eq!(
            seller.parse::<Collector>().ok(),
            Some(Collector::SellerCenter),
            "{seller}"
        );
    }
    for (typed, method) in [
        ("Tunai", PayMethod::Cash),
        ("cash", PayMethod::Cash),
        ("Transfer bank", PayMethod::Transfer),
        ("QRIS", PayMethod::Qris),
    ] {
        assert_eq!(typed.parse::<PayMethod>().ok(), Some(method), "{typed}");
    }
    let error = "kasir".parse::<Collector>().unwrap_err().to_string();
    assert!(
        error.contains("'sini'") && error.contains("'penjual'"),
        "{error}"
    );
    assert!("kartu".parse::<PayMethod>().is_err());
}
