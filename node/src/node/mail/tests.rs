//! Tests of sealed mail relaying between nodes in one process: mail is moved
//! by calling the methods the HTTP exchange calls (`mail_for_hop`, `take_mail`,
//! `mail_receipts`, `advert_for`, `routes_heard`), so relays that tamper with
//! mail, floods, expiry, lost exchanges and restarts are under the test's
//! control. The HTTP transport is tested in `tests/integration/`.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::Index;
use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_protocol::order::{Action, OrderId, Role, order_entries};
use telecenter_protocol::sealed::{ReceiptStatus, SEALED_DOMAIN, SealedMail};
use telecenter_protocol::{CenterId, Identity, ListingId};

use super::*;
use crate::node::balance_with;
use crate::node::orders::tests::{Center, federate, order};
use crate::store::OrderFilter;

/// A peer address; nothing listens there, the exchanges below are in-process.
const URL: &str = "http://127.0.0.1:9";

fn identity(center: &Center) -> Identity {
    Identity::generate(&mut StdRng::seed_from_u64(center.seed))
}

/// A mail sealed by `from` for `to` dated `at`, carrying `plaintext`.
fn sealed(from: &Center, to: &CenterId, at: i64, plaintext: &[u8]) -> SealedMail {
    SealedMail::seal(
        &identity(from),
        to,
        at,
        plaintext,
        &mut StdRng::seed_from_u64(at.unsigned_abs() ^ plaintext.len() as u64),
    )
    .unwrap()
}

/// The exact bytes a sealed mail's sender signs (after the domain tag).
fn signed_bytes(mail: &SealedMail) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let enc = b64.decode(&mail.enc).unwrap();
    let ct = b64.decode(&mail.ct).unwrap();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(mail.from.as_bytes());
    bytes.extend_from_slice(mail.to.as_bytes());
    bytes.extend_from_slice(&mail.at.to_be_bytes());
    bytes.extend_from_slice(&enc);
    bytes.extend_from_slice(&u32::try_from(ct.len()).unwrap().to_be_bytes());
    bytes.extend_from_slice(&ct);
    bytes
}

/// Four federated centers: a buyer and a seller behind NAT, both peers of a
/// hub with an address, and a second seller.
struct Net {
    seller: Center,
    buyer: Center,
    hub: Center,
    other: Center,
    listing: ListingId,
    other_listing: ListingId,
}

fn net() -> Net {
    let seller = Center::new(1, "Telecenter Kota Malang");
    let buyer = Center::new(2, "Telecenter Ponorogo");
    let hub = Center::new(3, "Telecenter Kediri");
    let other = Center::new(4, "Telecenter Blitar");
    federate(&[&seller, &buyer, &hub, &other]);
    let listing = seller.add("Keripik pisang", 15_000, 100);
    let other_listing = other.add("Kopi bubuk", 20_000, 100);
    federate(&[&seller, &buyer, &hub, &other]);
    for nat in [&buyer, &seller] {
        hub.node.add_peer(&nat.id(), "behind NAT", None).unwrap();
        nat.node.add_peer(&hub.id(), "hub", Some(URL)).unwrap();
    }
    Net {
        seller,
        buyer,
        hub,
        other,
        listing,
        other_listing,
    }
}

/// Places an order from `buyer` to `seller` and returns it with the sealed
/// mail that carries it.
fn sealed_order(buyer: &Center, seller: &Center, listing: &ListingId) -> (OrderId, SealedMail) {
    let id = order(buyer, seller, listing, 1);
    assert_eq!(buyer.node.seal_outbox(&seller.id(), true).unwrap(), 1);
    let rows = buyer.node.mail_for_hop(&seller.id()).unwrap();
    assert_eq!(rows.len(), 1, "one sealed mail for the seller");
    (id, rows[0].mail.clone())
}

/// What a center holds that a relay's tampering must not change: its orders
/// with their event hashes, its ledger entry ids, and its held mail per recipient.
type Snapshot = (
    Vec<(String, Vec<String>)>,
    Vec<String>,
    Vec<(CenterId, u64)>,
);

fn snapshot(center: &Center) -> Snapshot {
    let orders = center
        .node
        .orders(&OrderFilter::default())
        .unwrap()
        .into_iter()
        .map(|row| {
            let id = row.state.id.clone();
            let chain = center
                .node
                .order(&id)
                .unwrap()
                .events
                .into_iter()
                .map(|(e, _)| e.hash)
                .collect();
            (id.to_string(), chain)
        })
        .collect();
    let ledger = center.ledger().into_iter().map(|r| r.entry.id).collect();
    let mail = lock(&center.node.reader).mail_recipients().unwrap();
    (orders, ledger, mail)
}

/// Hands `mail` to `to` as the hub would, expecting a refusal with `code`;
/// then checks that nothing changed and that the genuine mail still gets through.
fn refused_without_effect(
    net: &Net,
    tampered: SealedMail,
    code: &str,
    genuine: (&OrderId, SealedMail),
) {
    let before = snapshot(&net.seller);
    let receipts = net.seller.node.take_mail(&net.hub.id(), vec![tampered]);
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].status, "refused", "{receipts:?}");
    assert_eq!(receipts[0].code.as_deref(), Some(code), "{receipts:?}");
    assert_eq!(
        snapshot(&net.seller),
        before,
        "a refused mail changes nothing"
    );
    assert!(net.seller.node.order(genuine.0).is_err());
    // The refusal does not poison the genuine mail.
    let receipts = net.seller.node.take_mail(&net.hub.id(), vec![genuine.1]);
    assert_eq!(receipts[0].status, "taken", "{receipts:?}");
    assert_eq!(net.seller.node.order(genuine.0).unwrap().events.len(), 1);
}

#[test]
fn a_relay_that_alters_the_ciphertext_is_refused_bad_signature() {
    let net = net();
    let (id, mail) = sealed_order(&net.buyer, &net.seller, &net.listing);
    let mut altered = mail.clone();
    // Another first base64 digit: still base64, other bytes.
    let first = if altered.ct.starts_with('A') {
        "B"
    } else {
        "A"
    };
    altered.ct.replace_range(0..1, first);
    refused_without_effect(&net, altered, "bad_signature", (&id, mail));
}

#[test]
fn a_relay_that_truncates_the_ciphertext_is_refused_bad_signature() {
    let net = net();
    let (id, mail) = sealed_order(&net.buyer, &net.seller, &net.listing);
    let mut truncated = mail.clone();
    // One base64 quantum less: still base64, three bytes shorter.
    truncated.ct.truncate(truncated.ct.len() - 4);
    refused_without_effect(&net, truncated, "bad_signature", (&id, mail));
}

#[test]
fn a_relay_that_changes_the_date_is_refused_bad_signature() {
    let net = net();
    let (id, mail) = sealed_order(&net.buyer, &net.seller, &net.listing);
    let mut redated = mail.clone();
    redated.at -= 60_000;
    refused_without_effect(&net, redated, "bad_signature", (&id, mail));
}

#[test]
fn a_relay_that_spoils_only_the_signature_does_not_block_the_genuine_mail() {
    let net = net();
    let (id, mail) = sealed_order(&net.buyer, &net.seller, &net.listing);
    let mut spoiled = mail.clone();
    let last = if spoiled.sig.ends_with('0') { "1" } else { "0" };
    let len = spoiled.sig.len();
    spoiled.sig.replace_range(len - 1.., last);
    // Same id as the genuine mail: the refusal must not be remembered as "known".
    assert_eq!(spoiled.id_lossy(), mail.verify().unwrap());
    refused_without_effect(&net, spoiled, "bad_signature", (&id, mail));
}

#[test]
fn a_relay_that_re_addresses_a_mail_is_refused_bad_signature() {
    let net = net();
    // A mail for the other seller, handed to this seller instead.
    let (other_id, for_other) = sealed_order(&net.buyer, &net.other, &net.other_listing);
    let mut readdressed = for_other.clone();
    readdressed.to = net.seller.id();
    let (id, mail) = sealed_order(&net.buyer, &net.seller, &net.listing);
    refused_without_effect(&net, readdressed, "bad_signature", (&id, mail));
    assert!(net.seller.node.order(&other_id).is_err());
    // The other seller still takes its own mail.
    let receipts = net.other.node.take_mail(&net.hub.id(), vec![for_other]);
    assert_eq!(receipts[0].status, "taken");
    assert!(net.other.node.order(&other_id).is_ok());
}

#[test]
fn a_relay_that_re_signs_a_mail_as_itself_is_refused_cannot_open() {
    let net = net();
    let (id, mail) = sealed_order(&net.buyer, &net.seller, &net.listing);
    let mut resigned = mail.clone();
    resigned.from = net.hub.id();
    let sig = identity(&net.hub).sign(SEALED_DOMAIN, &[&signed_bytes(&resigned)]);
    resigned.sig = hex::encode(sig);
    assert!(resigned.verify().is_ok(), "a valid signature by the relay");
    // The seller accepts the hub, but the ciphertext is bound to its real sender.
    refused_without_effect(&net, resigned, "cannot_open", (&id, mail));
}

#[test]
fn a_relay_that_re_signs_a_mail_as_a_center_not_accepted_is_refused_not_accepted() {
    let net = net();
    let stranger = Center::new(9, "Telecenter Madiun");
    let (id, mail) = sealed_order(&net.buyer, &net.seller, &net.listing);
    let mut resigned = mail.clone();
    resigned.from = stranger.id();
    resigned.sig =
        hex::encode(identity(&stranger).sign(SEALED_DOMAIN, &[&signed_bytes(&resigned)]));
    refused_without_effect(&net, resigned, "not_accepted", (&id, mail));
}

#[test]
fn a_relay_that_replays_a_mail_already_taken_gets_taken_without_effect() {
    let net = net();
    let (id, mail) = sealed_order(&net.buyer, &net.seller, &net.listing);
    let first = net.seller.node.take_mail(&net.hub.id(), vec![mail.clone()]);
    assert_eq!(first[0].status, "taken");
    let before = snapshot(&net.seller);
    assert_eq!(before.0.len(), 1);
    assert_eq!(before.2, vec![(net.buyer.id(), 1)], "one sealed reply");
    // The seller moves the order on; the replay must not undo or repeat anything.
    net.seller
        .node
        .order_step(&id, Action::Accept, None)
        .unwrap();
    let before = snapshot(&net.seller);
    for _ in 0..3 {
        let again = net.seller.node.take_mail(&net.hub.id(), vec![mail.clone()]);
        assert_eq!(again[0].status, "taken");
        assert_eq!(again[0].id, first[0].id);
    }
    assert_eq!(
        snapshot(&net.seller),
        before,
        "no new event, entry or reply"
    );
}

// ---------------------------------------------------------------------------
// Floods and relaying rules
// ---------------------------------------------------------------------------

#[test]
fn a_stranger_flooding_a_hub_for_one_recipient_does_not_block_other_senders() {
    let net = net();
    let stranger = Center::new(9, "Telecenter Madiun");
    federate(&[&stranger, &net.hub, &net.seller]);
    net.hub
        .node
        .add_peer(&stranger.id(), "stranger", None)
        .unwrap();
    let (hub, seller) = (&net.hub, &net.seller);
    let mut taken = 0u64;
    let mut stopped = None;
    'flood: for batch in 0..40u64 {
        let mails: Vec<SealedMail> = (0..MAIL_BATCH_MAX as u64)
            .map(|i| {
                sealed(
                    &stranger,
                    &seller.id(),
                    T0 + 1,
                    format!("junk {batch} {i}").as_bytes(),
                )
            })
            .collect();
        for receipt in hub.node.take_mail(&stranger.id(), mails) {
            match receipt.status {
                ReceiptStatus::Taken => taken += 1,
                ReceiptStatus::Later => {
                    stopped = receipt.code;
                    break 'flood;
                }
                _ => panic!("unexpected {receipt:?}"),
            }
        }
    }
    let code = stopped.expect("the hub stops the flood");
    assert!(code == "mailbox_full" || code == "too_fast", "{code}");
    assert!(taken <= MAILBOX_PER_PAIR.count, "{taken} held");
    assert_eq!(
        hub.node.take_mail(
            &stranger.id(),
            vec![sealed(&stranger, &seller.id(), T0 + 2, b"more")]
        )[0]
        .status,
        "later"
    );

    // The buyer's order for the same recipient still gets through the hub.
    let id = order(&net.buyer, seller, &net.listing, 2);
    net.buyer.node.seal_outbox(&seller.id(), true).unwrap();
    net.buyer.node.routes_heard(
        &hub.id(),
        Some(hub.node.advert_for(&net.buyer.id()).unwrap()),
    );
    let rows = net.buyer.node.mail_for_hop(&hub.id()).unwrap();
    assert_eq!(rows.len(), 1, "the buyer hands its mail to the hub");
    let receipts = hub
        .node
        .take_mail(&net.buyer.id(), rows.into_iter().map(|r| r.mail).collect());
    assert_eq!(receipts[0].status, "taken", "{receipts:?}");
    net.buyer.node.mail_receipts(&hub.id(), &receipts).unwrap();

    // The seller collects everything; the junk is refused, the order arrives.
    let mut receipts = Vec::new();
    for _ in 0..10 {
        receipts = exchange(&seller.node, &hub.node, receipts, Link::Ok).0;
        if seller.node.order(&id).is_ok() && receipts.is_empty() {
            break;
        }
    }
    assert_eq!(seller.node.order(&id).unwrap().row.status_word(), "placed");
    exchange(&seller.node, &hub.node, receipts, Link::Ok);
    assert!(
        hub.node
            .mail_recipients()
            .unwrap()
            .iter()
            .all(|c| *c != seller.id())
    );
}

#[test]
fn mail_for_a_center_the_relay_does_not_accept_is_not_stored() {
    let net = net();
    let unknown = Center::new(9, "Telecenter Madiun");
    let mail = sealed(
        &net.buyer,
        &unknown.id(),
        T0,
        b"for someone the hub does not know",
    );
    for _ in 0..2 {
        refused_and_forgotten(&net.hub, &net.buyer, &mail, "not_accepted");
    }
}

/// `hub` refuses `mail` handed over by `hop` with `code`, and keeps no trace of it.
fn refused_and_forgotten(hub: &Center, hop: &Center, mail: &SealedMail, code: &str) {
    let receipts = hub.node.take_mail(&hop.id(), vec![mail.clone()]);
    assert_eq!(receipts[0].status, "refused");
    assert_eq!(receipts[0].code.as_deref(), Some(code));
    assert!(hub.node.mail_recipients().unwrap().is_empty());
    assert!(
        !lock(&hub.node.reader)
            .mail_known(&mail.verify().unwrap())
            .unwrap()
    );
}

#[test]
fn mail_from_a_non_peer_for_someone_else_is_refused() {
    let net = net();
    // The other seller is accepted by the hub but not its peer.
    let mail = sealed(&net.other, &net.seller.id(), T0, b"relay this for me");
    refused_and_forgotten(&net.hub, &net.other, &mail, "not_a_relay");
}

// ---------------------------------------------------------------------------
// Expiry
// ---------------------------------------------------------------------------

#[test]
fn mail_older_than_14_days_is_refused_expired() {
    let net = net();
    let old = T0 - MAIL_EXPIRY_MS - 1;
    let relayed = sealed(&net.buyer, &net.seller.id(), old, b"old");
    let receipts = net
        .hub
        .node
        .take_mail(&net.buyer.id(), vec![relayed.clone()]);
    assert_eq!(receipts[0].status, "refused");
    assert_eq!(receipts[0].code.as_deref(), Some("expired"));
    let receipts = net.seller.node.take_mail(&net.hub.id(), vec![relayed]);
    assert_eq!(receipts[0].code.as_deref(), Some("expired"));
    assert!(net.hub.node.mail_recipients().unwrap().is_empty());
    // Exactly 14 days old is still taken.
    let fresh = sealed(
        &net.buyer,
        &net.seller.id(),
        T0 - MAIL_EXPIRY_MS,
        b"just in time",
    );
    assert_eq!(
        net.hub.node.take_mail(&net.buyer.id(), vec![fresh])[0].status,
        "taken"
    );
}

#[test]
fn expired_mail_is_dropped_and_the_outbox_says_not_delivered() {
    let net = net();
    // The seller never collects: the buyer's order waits at the hub.
    let (id, mail) = sealed_order(&net.buyer, &net.seller, &net.listing);
    let receipts = net.hub.node.take_mail(&net.buyer.id(), vec![mail.clone()]);
    assert_eq!(receipts[0].status, "taken");
    net.buyer
        .node
        .mail_receipts(&net.hub.id(), &receipts)
        .unwrap();
    assert_eq!(
        net.hub.node.mail_recipients().unwrap(),
        vec![net.seller.id()]
    );

    // 14 days less a minute: nothing expires.
    for c in [&net.buyer, &net.hub] {
        c.clock.advance(MAIL_EXPIRY_MS - 60_000);
        c.node.expire_mail().unwrap();
    }
    assert_eq!(
        net.hub.node.mail_recipients().unwrap(),
        vec![net.seller.id()]
    );
    assert!(
        net.buyer.node.outbox_for(&net.seller.id()).unwrap()[0]
            .last_error
            .as_deref()
            != Some(NOT_DELIVERED_NOTE)
    );

    for c in [&net.buyer, &net.hub] {
        c.clock.advance(120_000);
        c.node.expire_mail().unwrap();
    }
    assert!(
        net.hub.node.mail_recipients().unwrap().is_empty(),
        "the hub dropped it"
    );
    assert!(
        net.hub
            .node
            .mail_for_hop(&net.seller.id())
            .unwrap()
            .is_empty()
    );
    let outbox = net.buyer.node.outbox_for(&net.seller.id()).unwrap();
    assert_eq!(outbox.len(), 1, "the message itself stays for the operator");
    assert_eq!(outbox[0].last_error.as_deref(), Some(NOT_DELIVERED_NOTE));
    assert_eq!(
        net.buyer.node.order(&id).unwrap().row.status_word(),
        "placed"
    );
    // The id is forgotten, but the same mail coming back is refused by its date.
    let again = net.hub.node.take_mail(&net.buyer.id(), vec![mail]);
    assert_eq!(again[0].code.as_deref(), Some("expired"));
    assert!(net.hub.node.mail_recipients().unwrap().is_empty());
}

// ---------------------------------------------------------------------------
// The exchange, in process
// ---------------------------------------------------------------------------

const T0: i64 = 1_795_392_000_000;

/// What happens to one exchange on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Ok,
    /// The request never reaches the callee.
    LostRequest,
    /// The callee took the request in, its answer is lost.
    LostAnswer,
}

/// One mail exchange `caller` → `callee` as the HTTP client and handler run it:
/// the caller hands the mail the callee may carry, its routes and `receipts`
/// for mail of the previous answer; the callee answers with receipts, its
/// routes and the mail it holds for the caller. Returns the caller's receipts
/// for the answer's mail (sent with its next request) and whether anything moved.
fn exchange(
    caller: &Node,
    callee: &Node,
    receipts: Vec<Receipt>,
    link: Link,
) -> (Vec<Receipt>, bool) {
    let (c, e) = (caller.center_id(), callee.center_id());
    let rows = caller.mail_for_hop(&e).unwrap();
    let advert = caller.advert_for(&e).unwrap();
    let failed = |caller: &Node| {
        caller.mark_unreachable(&e, Some(caller.clock().now_ms() + 1_000));
        caller.outbox_failed(&e, "lost").unwrap();
    };
    if link == Link::LostRequest {
        failed(caller);
        return (Vec::new(), false);
    }
    callee.routes_heard(&c, Some(advert));
    callee.mail_receipts(&c, &receipts).unwrap();
    let taken = callee.take_mail(&c, rows.into_iter().map(|r| r.mail).collect());
    let answer = callee.mail_for_hop(&c).unwrap();
    let back = callee.advert_for(&c).unwrap();
    if link == Link::LostAnswer {
        failed(caller);
        return (Vec::new(), false);
    }
    caller.mark_unreachable(&e, None);
    caller.routes_heard(&e, Some(back));
    caller.mail_receipts(&e, &taken).unwrap();
    let moved = taken.iter().any(|r| r.status == "taken") || !answer.is_empty();
    let mine = caller.take_mail(&e, answer.into_iter().map(|r| r.mail).collect());
    (mine, moved)
}

// ---------------------------------------------------------------------------
// Property: random topologies, losses and restarts deliver every order once
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    Place {
        buyer: Index,
        seller: Index,
        qty: i64,
    },
    /// One exchange round over every link, each exchange failing as drawn.
    Round {
        faults: Vec<u8>,
    },
    Restart(Index),
    /// Sellers accept and ship what arrived, buyers complete what shipped.
    Act,
    Tick,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<Index>(), any::<Index>(), 1i64..=3)
            .prop_map(|(buyer, seller, qty)| Op::Place { buyer, seller, qty }),
        4 => prop::collection::vec(0u8..6, 1..12).prop_map(|faults| Op::Round { faults }),
        1 => any::<Index>().prop_map(Op::Restart),
        2 => Just(Op::Act),
        1 => Just(Op::Tick),
    ]
}

struct World {
    centers: Vec<Center>,
    listings: Vec<ListingId>,
    /// Who calls whom (the callee has an address).
    calls: Vec<(usize, usize)>,
    /// Receipts each caller owes a callee with its next request.
    owed: BTreeMap<(usize, usize), Vec<Receipt>>,
    orders: Vec<(OrderId, usize, usize)>,
}

impl World {
    fn new(n: usize, parents: &[Index], addressed: &[bool], extra: &[(Index, Index)]) -> Self {
        let centers: Vec<Center> = (0..n)
            .map(|i| Center::new(20 + i as u64, &format!("Telecenter Desa {i}")))
            .collect();
        let refs: Vec<&Center> = centers.iter().collect();
        federate(&refs);
        let listings = centers
            .iter()
            .map(|c| c.add("Keripik tempe", 12_500, 1_000))
            .collect();
        federate(&refs);
        let mut addressed = addressed[..n].to_vec();
        let mut edges = Vec::new();
        for i in 1..n {
            let p = parents[i - 1].index(i);
            if !addressed[i] && !addressed[p] {
                addressed[p] = true;
            }
            edges.push((p, i));
        }
        for (a, b) in extra {
            let (a, b) = (a.index(n), b.index(n));
            let (a, b) = (a.min(b), a.max(b));
            if a != b && (addressed[a] || addressed[b]) && !edges.contains(&(a, b)) {
                edges.push((a, b));
            }
        }
        let mut calls = Vec::new();
        for &(a, b) in &edges {
            for (x, y) in [(a, b), (b, a)] {
                let url = addressed[y].then_some(URL);
                centers[x]
                    .node
                    .add_peer(&centers[y].id(), "peer", url)
                    .unwrap();
                if addressed[y] {
                    calls.push((x, y));
                }
            }
        }
        Self {
            centers,
            listings,
            calls,
            owed: BTreeMap::new(),
            orders: Vec::new(),
        }
    }

    fn seal_all(&self) {
        for c in &self.centers {
            for (to, _) in c.node.outbox_counterparts().unwrap() {
                c.node.seal_outbox(&to, false).unwrap();
            }
        }
    }

    /// One round over every link; returns whether anything moved.
    fn round(&mut self, faults: &[u8]) -> bool {
        self.seal_all();
        let mut moved = false;
        let mut draw = 0usize;
        for &(a, b) in &self.calls.clone() {
            for _ in 0..20 {
                let fault = if faults.is_empty() {
                    0
                } else {
                    draw += 1;
                    faults[draw % faults.len()]
                };
                let link = match fault {
                    4 => Link::LostRequest,
                    5 => Link::LostAnswer,
                    _ => Link::Ok,
                };
                let owed = self.owed.remove(&(a, b)).unwrap_or_default();
                let had_receipts = !owed.is_empty();
                let (mine, step) =
                    exchange(&self.centers[a].node, &self.centers[b].node, owed, link);
                moved |= step;
                let again = step || !mine.is_empty() || had_receipts;
                if !mine.is_empty() {
                    self.owed.insert((a, b), mine);
                }
                if link != Link::Ok || !again {
                    break;
                }
            }
        }
        moved
    }

    fn tick(&self, ms: i64) {
        for c in &self.centers {
            c.clock.advance(ms);
        }
    }

    fn restart(&mut self, i: usize) {
        self.centers[i].restart();
        // What the restarted caller meant to send with its next request is lost.
        self.owed.retain(|(a, _), _| *a != i);
    }

    fn act(&self) {
        for c in &self.centers {
            for row in c.node.orders(&OrderFilter::default()).unwrap() {
                let id = &row.state.id;
                match (row.role, row.status_word(), row.pending.is_some()) {
                    (Role::Seller, "placed", _) => {
                        c.node.order_step(id, Action::Accept, None).unwrap();
                        c.node.order_step(id, Action::Ship, None).unwrap();
                    }
                    (Role::Buyer, "shipped", false) => {
                        c.node.order_step(id, Action::Complete, None).unwrap();
                    }
                    _ => {}
                }
            }
        }
    }

    fn run(&mut self, op: &Op) {
        let n = self.centers.len();
        match op {
            Op::Place { buyer, seller, qty } => {
                let (b, s) = (buyer.index(n), seller.index(n));
                if b != s && self.orders.len() < 10 {
                    let id = order(&self.centers[b], &self.centers[s], &self.listings[s], *qty);
                    self.orders.push((id, b, s));
                }
            }
            Op::Round { faults } => {
                self.round(faults);
            }
            Op::Restart(i) => self.restart(i.index(n)),
            Op::Act => self.act(),
            Op::Tick => self.tick(61_000),
        }
    }

    fn quiet(&self) -> bool {
        // Copies of mail already answered may still wait at relays (they expire).
        self.centers
            .iter()
            .all(|c| c.node.outbox_counterparts().unwrap().is_empty())
            && self.orders.iter().all(|(id, b, s)| {
                [b, s].iter().all(|i| {
                    self.centers[**i].node.order(id).is_ok_and(|d| {
                        d.row.status_word() == "completed" && d.row.pending.is_none()
                    })
                })
            })
    }

    /// Exchanges, acts and lets time pass until nothing is left to do.
    fn heal(&mut self) {
        for _ in 0..120 {
            self.tick(61_000);
            self.round(&[]);
            self.act();
            if self.quiet() {
                return;
            }
        }
        panic!("not quiet after 120 rounds: {}", self.describe());
    }

    /// Who holds what, and the routes, by center index (for a failure message).
    fn describe(&self) -> String {
        let ids: Vec<CenterId> = self.centers.iter().map(Center::id).collect();
        let ix = |c: &CenterId| ids.iter().position(|x| x == c).map_or(99, |i| i);
        let nobody = CenterId::from_bytes([0; 32]);
        let mut out = format!("calls {:?}", self.calls);
        for (i, c) in self.centers.iter().enumerate() {
            let outbox: Vec<_> = c
                .node
                .outbox_counterparts()
                .unwrap()
                .iter()
                .map(|(t, n)| (ix(t), *n))
                .collect();
            let mut held = Vec::new();
            for t in c.node.mail_recipients().unwrap() {
                for row in lock(&c.node.reader)
                    .mail_held_for(&t, &nobody, 100)
                    .unwrap()
                {
                    held.push((ix(&t), row.kind, row.came_from.as_ref().map(ix)));
                }
            }
            let hops: Vec<_> = (0..ids.len())
                .filter(|j| *j != i)
                .map(|j| {
                    (
                        j,
                        c.node
                            .hops_for(&ids[j], c.node.clock().now_ms())
                            .unwrap()
                            .iter()
                            .map(ix)
                            .collect::<Vec<_>>(),
                    )
                })
                .collect();
            out += &format!("\n{i}: outbox {outbox:?} held {held:?} hops {hops:?}");
        }
        out
    }

    fn check(&self) {
        let chain = |c: &Center, id: &OrderId| -> Vec<(u32, String, bool)> {
            c.node
                .order(id)
                .unwrap()
                .events
                .into_iter()
                .map(|(e, _)| (e.seq, e.hash, e.proposed))
                .collect()
        };
        let mut expected: Vec<Vec<String>> = vec![Vec::new(); self.centers.len()];
        for (id, b, s) in &self.orders {
            let (buyer, seller) = (&self.centers[*b], &self.centers[*s]);
            let at_seller = chain(seller, id);
            assert_eq!(
                chain(buyer, id),
                at_seller,
                "order {id}: one chain on both sides"
            );
            assert_eq!(at_seller.len(), 4, "placed, accepted, shipped, completed");
            assert!(at_seller.iter().all(|(_, _, proposed)| !proposed));
            let row = seller.node.order(id).unwrap().row;
            for entry in order_entries(id, &row.state.terms, 0) {
                expected[*b].push(entry.id.clone());
                expected[*s].push(entry.id);
            }
        }
        let mut sum = 0;
        for (i, c) in self.centers.iter().enumerate() {
            let ledger = c.ledger();
            let mut ids: Vec<String> = ledger.iter().map(|r| r.entry.id.clone()).collect();
            ids.sort();
            expected[i].sort();
            assert_eq!(ids, expected[i], "center {i}: each entry booked once");
            sum += balance_with(&c.id(), &ledger);
            for (j, other) in self.centers.iter().enumerate() {
                if i < j {
                    let mine: Vec<_> = c
                        .node
                        .ledger(Some(&other.id()), i64::MIN, i64::MAX)
                        .unwrap()
                        .into_iter()
                        .map(|r| r.entry)
                        .collect();
                    let theirs: Vec<_> = other
                        .node
                        .ledger(Some(&c.id()), i64::MIN, i64::MAX)
                        .unwrap()
                        .into_iter()
                        .map(|r| r.entry)
                        .collect();
                    assert_eq!(mine, theirs, "centers {i} and {j}: identical ledgers");
                }
            }
        }
        assert_eq!(sum, 0, "balances sum to zero");
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 8,
        max_shrink_iters: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn orders_relayed_over_random_topologies_with_losses_and_restarts_arrive_once(
        n in 3usize..=7,
        parents in prop::collection::vec(any::<Index>(), 6),
        addressed in prop::collection::vec(any::<bool>(), 7),
        extra in prop::collection::vec((any::<Index>(), any::<Index>()), 0..4),
        ops in prop::collection::vec(op(), 10..40),
    ) {
        let mut world = World::new(n, &parents, &addressed, &extra);
        for op in &ops {
            world.run(op);
        }
        world.heal();
        world.check();
    }
}

// ---------------------------------------------------------------------------
// Findings of the relay benchmark, each pinned.

/// The mail `from` holds for `to` (as `to` would collect it).
fn held_for(from: &Center, to: &Center) -> Vec<SealedMail> {
    from.node
        .mail_for_hop(&to.id())
        .unwrap()
        .into_iter()
        .map(|r| r.mail)
        .collect()
}

#[test]
fn a_step_that_overtakes_the_answer_it_builds_on_is_sent_again_within_a_second() {
    let n = net();
    let (id, placement) = sealed_order(&n.buyer, &n.seller, &n.listing);
    // The seller takes the placement in and answers it in a reply mail...
    assert_eq!(
        n.seller.node.take_mail(&n.hub.id(), vec![placement])[0].status,
        "taken"
    );
    let reply = held_for(&n.seller, &n.buyer);
    assert_eq!(reply.len(), 1);
    // ...then accepts; its accept reaches the buyer before the reply does.
    n.seller.node.order_step(&id, Action::Accept, None).unwrap();
    assert_eq!(n.seller.node.seal_outbox(&n.buyer.id(), false).unwrap(), 1);
    let accept: Vec<SealedMail> = held_for(&n.seller, &n.buyer)
        .into_iter()
        .filter(|m| !reply.contains(m))
        .collect();
    assert_eq!(
        n.buyer.node.take_mail(&n.hub.id(), accept)[0].status,
        "taken"
    );
    // The buyer answers `later` (its placement is not final yet)...
    let answer = held_for(&n.buyer, &n.seller);
    assert_eq!(
        n.seller.node.take_mail(&n.hub.id(), answer)[0].status,
        "taken"
    );
    assert_eq!(n.seller.node.outbox_for(&n.buyer.id()).unwrap().len(), 1);
    // ...so the seller seals the accept again after a second, not a minute.
    let now = n.seller.node.clock().now_ms();
    let due = n.seller.node.next_seal_due_ms().expect("a resend is due");
    assert!(
        due <= now + LATER_RESEND_FIRST_MS,
        "due in {} ms",
        due - now
    );
    n.seller.clock.advance(LATER_RESEND_FIRST_MS);
    assert_eq!(n.seller.node.seal_outbox(&n.buyer.id(), false).unwrap(), 1);
    // Delivered in order this time, the accept is taken in.
    let again: Vec<SealedMail> = held_for(&n.seller, &n.buyer);
    for mail in again {
        assert_eq!(
            n.buyer.node.take_mail(&n.hub.id(), vec![mail])[0].status,
            "taken"
        );
    }
    assert_eq!(
        n.buyer.node.order(&id).unwrap().row.state.status,
        telecenter_protocol::order::Status::Accepted
    );
}

#[test]
fn mail_handed_over_together_keeps_its_order_at_the_relay() {
    let n = net();
    let now = n.seller.node.clock().now_ms();
    let mut mails: Vec<SealedMail> = (0..6)
        .map(|i| {
            sealed(
                &n.seller,
                &n.buyer.id(),
                now,
                format!("{{\"n\":{i}}}").as_bytes(),
            )
        })
        .collect();
    // Handed over in an order unlike their ids' (same time of arrival).
    mails.sort_by_key(|m| std::cmp::Reverse(m.verify().unwrap()));
    let receipts = n.hub.node.take_mail(&n.seller.id(), mails.clone());
    assert!(receipts.iter().all(|r| r.status == "taken"), "{receipts:?}");
    assert_eq!(held_for(&n.hub, &n.buyer), mails);
}

#[test]
fn a_mail_a_hop_said_later_to_is_offered_again_when_its_wait_ends() {
    let n = net();
    let (_, _) = sealed_order(&n.buyer, &n.seller, &n.listing);
    let advert = n.hub.node.advert_for(&n.buyer.id()).unwrap();
    n.buyer.node.routes_heard(&n.hub.id(), Some(advert));
    let offered = n.buyer.node.mail_for_hop(&n.hub.id()).unwrap();
    assert_eq!(offered.len(), 1);
    let later = Receipt::later(&offered[0].id, "too_fast", "not now".to_owned());
    n.buyer.node.mail_receipts(&n.hub.id(), &[later]).unwrap();
    assert!(n.buyer.node.mail_for_hop(&n.hub.id()).unwrap().is_empty());
    let now = n.buyer.node.clock().now_ms();
    let again = n.buyer.node.next_offer_ms(&n.hub.id()).expect("a wait");
    assert!(
        again > now && again <= now + 5_000,
        "offered again in {} ms",
        again - now
    );
    n.buyer.clock.advance(again - now);
    assert_eq!(n.buyer.node.mail_for_hop(&n.hub.id()).unwrap().len(), 1);
}

#[test]
fn a_hop_cannot_make_a_node_drop_mail_it_was_never_offered() {
    let n = net();
    let advert = n.hub.node.advert_for(&n.buyer.id()).unwrap();
    n.buyer.node.routes_heard(&n.hub.id(), Some(advert));
    let (_, _) = sealed_order(&n.buyer, &n.seller, &n.listing);
    let held = lock(&n.buyer.node.reader).mail_recipients().unwrap();
    let id = n.buyer.node.mail_for_hop(&n.hub.id()).unwrap()[0]
        .id
        .clone();
    // Another center that learned the id says it took it: nothing happens.
    for status in [ReceiptStatus::Taken, ReceiptStatus::Refused] {
        let receipt = Receipt {
            id: id.clone(),
            status,
            code: None,
            message: None,
        };
        n.buyer
            .node
            .mail_receipts(&n.other.id(), &[receipt])
            .unwrap();
    }
    assert_eq!(lock(&n.buyer.node.reader).mail_recipients().unwrap(), held);
    // The hop it was offered to may.
    n.buyer
        .node
        .mail_receipts(&n.hub.id(), &[Receipt::taken(&id)])
        .unwrap();
    assert!(n.buyer.node.mail_for_hop(&n.hub.id()).unwrap().is_empty());
}

/// Found by the simulation (`tests/simulation`, a clock ahead by days and then
/// put right): the resend of unanswered messages was timed from when they were
/// last sealed, by the clock that ran ahead, so it waited until the clock
/// caught up again — days without mail.
#[test]
fn a_clock_put_back_does_not_hold_the_resend_until_it_catches_up() {
    let n = net();
    let ahead = 3 * 86_400_000;
    n.buyer.clock.advance(ahead);
    let _ = sealed_order(&n.buyer, &n.seller, &n.listing);
    n.buyer.clock.advance(-ahead);
    assert_eq!(
        n.buyer.node.seal_outbox(&n.seller.id(), false).unwrap(),
        1,
        "sealed again at once"
    );
    // And the usual interval from then on.
    assert_eq!(n.buyer.node.seal_outbox(&n.seller.id(), false).unwrap(), 0);
}
