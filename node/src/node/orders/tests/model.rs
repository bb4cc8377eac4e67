//! Property test: random sequences of orders, steps, retries, duplicates, lost
//! answers, restarts and settlements across three centers, checked against an
//! independent reference model.
//!
//! Three real nodes (each with one listing) are driven through a random sequence
//! of operations: placing orders; order steps by either party, mostly ones the
//! actor's own (possibly stale) view allows, sometimes arbitrary ones, also by
//! the center that is no party; deliveries of one node's outbox to another
//! (normal, duplicated, in reverse order, with the answers lost, duplicated or
//! delayed past other deliveries, or dropped); restarts without shutdown;
//! catalog syncs that refresh a buyer's view of a seller's stock and price;
//! the seller's operator changing stock or price; settlement payments and
//! their answers (by the payee, or wrongly by the payer or a third center).
//! Every delivery and every answer travels as sealed mail handed to the other
//! node directly (`take_mail`), and the answers are read from the mail the
//! receiver sealed back, as the mail exchange carries them.
//!
//! Beside the nodes runs [`Model`], a plain-data reference of the protocol
//! written from its rules (`docs/protocol.md` §13), not from the node's code: the
//! state machine, the seller as sequencer of each order, the buyer's proposals,
//! the outboxes, stock reservations, the fee rule and the ledger. After every
//! operation the nodes must match the model exactly: which calls succeed and
//! with which error code, every delivered message's result, each node's view of
//! every order (status and event chain), stock, outboxes, settlements and ledger
//! (ids, parties, amounts and times).
//!
//! At the end everything is delivered until no outbox holds a message, and then:
//! both parties of every order hold the same final history, with no proposal
//! left; both sides of every pair hold identical ledger entries; balances sum to
//! zero and mirror each other; the ledger equals what the seller's final
//! statuses and the confirmed settlements imply under the documented fee rule
//! (computed here, not by the protocol crate, which is compared only as an extra);
//! stock equals the stock set less what accepted, shipped and completed orders
//! hold, and is never negative; and no settlement is booked twice.
//!
//! Each node operation is a synchronous SQLite commit, so the case count is kept
//! small; run with more cases by raising `cases` locally.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::Index;
use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_protocol::catalog::input::ListingPatch;
use telecenter_protocol::order::{
    Action, Collector, EntryKind, LedgerEntry, OrderId, PayMethod, Status, body_hash, order_entries,
};
use telecenter_protocol::{CenterId, DocId, Identity, ListingId};

use super::{Center, federate, settle_pair};
use crate::node::PairExchange;
use crate::node::{MessageResult, Node, NodeError, PlaceOrder, balance_with};
use telecenter_protocol::sealed::{Receipt, SealedMail};

/// Centers in the test.
const N: usize = 3;
/// Referral fee every center publishes (set by `Center::new`): 3 %, at least Rp 1.000.
const FEE_BP: i64 = 300;
const FEE_MIN_IDR: i64 = 1_000;
/// Unit prices to draw from: below the minimum fee, rounding up and down, large.
const PRICES: [i64; 6] = [500, 7_450, 15_000, 16_667, 33_333, 250_000];
const NAMES: [&str; N] = [
    "Telecenter Kota Malang",
    "Telecenter Ponorogo",
    "Telecenter Blitar",
];

// ---------------------------------------------------------------------------
// The reference model
// ---------------------------------------------------------------------------

/// The referral fee on goods worth `gross`, from the documented rule: `gross × bp
/// / 10 000` rounded to the nearest rupiah with halves up, at least the minimum,
/// never more than the goods' value.
fn reference_fee(gross: i64) -> i64 {
    if gross <= 0 {
        return 0;
    }
    let scaled = gross * FEE_BP;
    let whole = scaled / 10_000;
    let rest = scaled % 10_000;
    let rounded = if rest * 2 >= 10_000 { whole + 1 } else { whole };
    rounded.max(FEE_MIN_IDR).min(gross)
}

/// The state machine: where `action` by the seller (`by_seller`) or the buyer
/// leads from `status`.
fn next_status(status: Status, action: Action, by_seller: bool) -> Option<Status> {
    match (status, action) {
        (Status::Placed, Action::Accept) if by_seller => Some(Status::Accepted),
        (Status::Placed, Action::Reject) if by_seller => Some(Status::Rejected),
        (Status::Placed, Action::Cancel) => Some(Status::Cancelled),
        (Status::Accepted, Action::Cancel) if by_seller => Some(Status::Cancelled),
        (Status::Accepted, Action::Ship) if by_seller => Some(Status::Shipped),
        (Status::Shipped, Action::Complete) => Some(Status::Completed),
        _ => None,
    }
}

/// Statuses that hold reserved stock.
fn holds_stock(status: Status) -> bool {
    matches!(
        status,
        Status::Accepted | Status::Shipped | Status::Completed
    )
}

/// What an order fixes when it is placed.
#[derive(Clone, Debug)]
struct MOrder {
    buyer: usize,
    seller: usize,
    qty: i64,
    price: i64,
    collector: Collector,
}

/// One event of an order chain; `mid` names its message (and so its hash).
#[derive(Clone, Debug)]
struct MEvent {
    mid: usize,
    seq: u32,
    prev: Option<usize>,
    by: usize,
    action: Action,
    at_ms: i64,
    /// A buyer's step the seller has not taken in yet.
    proposed: bool,
}

/// An order as one center holds it.
#[derive(Clone, Debug, Default)]
struct Held {
    /// Final and proposed events, by seq.
    events: Vec<MEvent>,
    /// The seller refused the placement.
    refused: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SettleStatus {
    Waiting,
    Confirmed,
    Declined,
}

impl SettleStatus {
    fn word(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Confirmed => "confirmed",
            Self::Declined => "declined",
        }
    }
}

#[derive(Clone, Debug)]
struct MSettlement {
    payer: usize,
    payee: usize,
    amount: i64,
}

/// A settlement as one center holds it.
#[derive(Clone, Debug)]
struct HeldSettlement {
    status: SettleStatus,
    /// The reply message, once answered.
    reply: Option<usize>,
}

#[derive(Clone, Debug)]
enum MBody {
    Event(usize, MEvent),
    Payment(usize),
    Reply {
        settlement: usize,
        confirmed: bool,
        at_ms: i64,
    },
}

/// A pair message in an outbox.
#[derive(Clone, Debug)]
struct Msg {
    mid: usize,
    body: MBody,
}

/// What the receiver answers to one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Appended,
    Duplicate,
    Refused(&'static str),
    Later,
}

impl Outcome {
    fn words(self) -> (&'static str, Option<&'static str>) {
        match self {
            Self::Appended => ("appended", None),
            Self::Duplicate => ("duplicate", None),
            Self::Refused(code) => ("refused", Some(code)),
            Self::Later => ("later", None),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Goods(usize),
    Fee(usize),
    Settlement(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct MEntry {
    creditor: usize,
    debtor: usize,
    amount: i64,
    at_ms: i64,
}

/// The reference model of three centers.
#[derive(Clone, Debug)]
struct Model {
    now: [i64; N],
    /// Each center's own listing stock.
    stock: [i64; N],
    /// `known[b][s]`: the stock of `s`'s listing as `b`'s catalog index shows it.
    known: [[i64; N]; N],
    /// Each center's own listing price.
    price: [i64; N],
    /// `known_price[b][s]`: the price of `s`'s listing as `b`'s index shows it.
    known_price: [[i64; N]; N],
    orders: Vec<MOrder>,
    local: Vec<BTreeMap<usize, Held>>,
    settlements: Vec<MSettlement>,
    local_settlements: Vec<BTreeMap<usize, HeldSettlement>>,
    ledger: Vec<BTreeMap<Key, MEntry>>,
    /// `outbox[from][to]`, oldest first.
    outbox: Vec<Vec<Vec<Msg>>>,
    /// The real hash of each message, filled in by the driver.
    hashes: Vec<String>,
    /// Refusals of placements and payments, remembered by the receiver: the
    /// same message always gets the same answer (by message id).
    refusals: BTreeMap<usize, &'static str>,
}

/// Replays `events` (in seq order): status, seq and message of the head.
fn replay<'a>(
    order: &MOrder,
    events: impl Iterator<Item = &'a MEvent>,
) -> Option<(Status, u32, usize)> {
    let mut state: Option<(Status, u32, usize)> = None;
    for event in events {
        state = Some(match state {
            None => {
                assert!(event.action == Action::Place && event.seq == 0);
                (Status::Placed, 0, event.mid)
            }
            Some((status, seq, head)) => {
                assert_eq!(event.seq, seq + 1, "model chain has a gap");
                assert_eq!(event.prev, Some(head), "model chain is not linked");
                let next = next_status(status, event.action, event.by == order.seller)
                    .expect("the model holds only allowed steps");
                (next, event.seq, event.mid)
            }
        });
    }
    state
}

impl Model {
    fn new(now: [i64; N], stock: [i64; N], price: [i64; N]) -> Self {
        Self {
            now,
            stock,
            known: [stock; N],
            price,
            known_price: [price; N],
            orders: Vec::new(),
            local: vec![BTreeMap::new(); N],
            settlements: Vec::new(),
            local_settlements: vec![BTreeMap::new(); N],
            ledger: vec![BTreeMap::new(); N],
            outbox: vec![vec![Vec::new(); N]; N],
            hashes: Vec::new(),
            refusals: BTreeMap::new(),
        }
    }

    fn new_mid(&mut self) -> usize {
        self.hashes.push(String::new());
        self.hashes.len() - 1
    }

    /// The order as `center` sees it: status (proposals included), seq and head.
    fn view(&self, center: usize, order: usize) -> Option<(Status, u32, usize)> {
        let held = self.local[center].get(&order)?;
        replay(&self.orders[order], held.events.iter())
    }

    /// The status word `center` shows for `order`, if it holds it.
    fn status_word(&self, center: usize, order: usize) -> Option<&'static str> {
        let held = self.local[center].get(&order)?;
        if held.refused {
            return Some("refused");
        }
        Some(
            self.view(center, order)
                .expect("held orders have events")
                .0
                .word(),
        )
    }

    fn book(&mut self, center: usize, key: Key, entry: MEntry) {
        let old = self.ledger[center].insert(key, entry);
        assert!(old.is_none(), "the model booked {key:?} twice at {center}");
    }

    fn book_order(&mut self, center: usize, order: usize, at_ms: i64) {
        let o = self.orders[order].clone();
        let gross = o.price * o.qty;
        if o.collector == Collector::BuyerCenter && gross > 0 {
            let entry = MEntry {
                creditor: o.seller,
                debtor: o.buyer,
                amount: gross,
                at_ms,
            };
            self.book(center, Key::Goods(order), entry);
        }
        let fee = reference_fee(gross);
        if fee > 0 {
            let entry = MEntry {
                creditor: o.buyer,
                debtor: o.seller,
                amount: fee,
                at_ms,
            };
            self.book(center, Key::Fee(order), entry);
        }
    }

    /// `buyer` places an order: refused at once if its index shows too little stock.
    fn place(
        &mut self,
        buyer: usize,
        seller: usize,
        qty: i64,
        collector: Collector,
    ) -> Result<(usize, usize), &'static str> {
        if qty > self.known[buyer][seller] {
            return Err("out_of_stock");
        }
        let order = self.orders.len();
        self.orders.push(MOrder {
            buyer,
            seller,
            qty,
            price: self.known_price[buyer][seller],
            collector,
        });
        let mid = self.new_mid();
        let event = MEvent {
            mid,
            seq: 0,
            prev: None,
            by: buyer,
            action: Action::Place,
            at_ms: self.now[buyer],
            proposed: true,
        };
        self.local[buyer].insert(
            order,
            Held {
                events: vec![event.clone()],
                refused: false,
            },
        );
        self.outbox[buyer][seller].push(Msg {
            mid,
            body: MBody::Event(order, event),
        });
        Ok((order, mid))
    }

    /// `center` takes `action` on `order`, judged from its own view.
    fn step(&mut self, center: usize, order: usize, action: Action) -> Result<usize, &'static str> {
        let o = self.orders[order].clone();
        let Some(held) = self.local[center].get(&order) else {
            return Err("no_such_order");
        };
        if held.refused {
            return Err("not_allowed");
        }
        let (status, seq, head) = self.view(center, order).expect("held orders have events");
        let is_seller = center == o.seller;
        if next_status(status, action, is_seller).is_none() {
            return Err("not_allowed");
        }
        if is_seller && action == Action::Accept && self.stock[center] < o.qty {
            return Err("out_of_stock");
        }
        let mid = self.new_mid();
        let event = MEvent {
            mid,
            seq: seq + 1,
            prev: Some(head),
            by: center,
            action,
            at_ms: self.now[center],
            proposed: !is_seller,
        };
        let other = if is_seller { o.buyer } else { o.seller };
        let held = self.local[center].get_mut(&order).expect("held");
        held.events.push(event.clone());
        self.outbox[center][other].push(Msg {
            mid,
            body: MBody::Event(order, event.clone()),
        });
        if is_seller {
            match (status, action) {
                (Status::Placed, Action::Accept) => self.stock[center] -= o.qty,
                (Status::Accepted, Action::Cancel) => self.stock[center] += o.qty,
                (_, Action::Complete) => self.book_order(center, order, event.at_ms),
                _ => {}
            }
        }
        Ok(mid)
    }

    fn settle(&mut self, payer: usize, payee: usize, amount: i64) -> (usize, usize) {
        let settlement = self.settlements.len();
        self.settlements.push(MSettlement {
            payer,
            payee,
            amount,
        });
        self.local_settlements[payer].insert(
            settlement,
            HeldSettlement {
                status: SettleStatus::Waiting,
                reply: None,
            },
        );
        let mid = self.new_mid();
        self.outbox[payer][payee].push(Msg {
            mid,
            body: MBody::Payment(settlement),
        });
        (settlement, mid)
    }

    fn book_settlement(&mut self, center: usize, settlement: usize, at_ms: i64) {
        let s = self.settlements[settlement].clone();
        let entry = MEntry {
            creditor: s.payer,
            debtor: s.payee,
            amount: s.amount,
            at_ms,
        };
        self.book(center, Key::Settlement(settlement), entry);
    }

    fn answer(
        &mut self,
        center: usize,
        settlement: usize,
        confirmed: bool,
    ) -> Result<usize, &'static str> {
        let s = self.settlements[settlement].clone();
        let Some(held) = self.local_settlements[center].get(&settlement) else {
            return Err("no_such_settlement");
        };
        if s.payee != center {
            return Err("not_allowed");
        }
        if held.status != SettleStatus::Waiting {
            return Err("already_answered");
        }
        let mid = self.new_mid();
        let held = self.local_settlements[center]
            .get_mut(&settlement)
            .expect("held");
        held.reply = Some(mid);
        held.status = if confirmed {
            SettleStatus::Confirmed
        } else {
            SettleStatus::Declined
        };
        let at_ms = self.now[center];
        if confirmed {
            self.book_settlement(center, settlement, at_ms);
        }
        self.outbox[center][s.payer].push(Msg {
            mid,
            body: MBody::Reply {
                settlement,
                confirmed,
                at_ms,
            },
        });
        Ok(mid)
    }

    /// `to` takes in `msg` sent by `from`.
    fn receive(&mut self, to: usize, from: usize, msg: &Msg) -> Outcome {
        if let Some(code) = self.refusals.get(&msg.mid) {
            return Outcome::Refused(code);
        }
        let sticky = matches!(&msg.body, MBody::Event(_, e) if e.seq == 0)
            || matches!(&msg.body, MBody::Payment(_));
        let outcome = self.receive_fresh(to, from, msg);
        if let (true, Outcome::Refused(code)) = (sticky, outcome) {
            self.refusals.insert(msg.mid, code);
        }
        outcome
    }

    fn receive_fresh(&mut self, to: usize, from: usize, msg: &Msg) -> Outcome {
        match &msg.body {
            MBody::Event(order, event) if event.seq == 0 => {
                let order = *order;
                if let Some(held) = self.local[to].get(&order) {
                    return if held.events.first().map(|e| e.mid) == Some(msg.mid) {
                        Outcome::Duplicate
                    } else {
                        Outcome::Refused("id_in_use")
                    };
                }
                let o = &self.orders[order];
                assert_eq!(o.seller, to);
                if o.price != self.price[to] {
                    return Outcome::Refused("price_changed");
                }
                if o.qty > self.stock[to] {
                    return Outcome::Refused("out_of_stock");
                }
                let event = MEvent {
                    proposed: false,
                    ..event.clone()
                };
                self.local[to].insert(
                    order,
                    Held {
                        events: vec![event],
                        refused: false,
                    },
                );
                Outcome::Appended
            }
            MBody::Event(order, event) => {
                let order = *order;
                let o = self.orders[order].clone();
                let Some(held) = self.local[to].get_mut(&order) else {
                    return Outcome::Refused("unknown_order");
                };
                if let Some(have) = held
                    .events
                    .iter()
                    .find(|e| e.seq == event.seq && !e.proposed)
                {
                    return if have.mid == msg.mid {
                        Outcome::Duplicate
                    } else {
                        Outcome::Refused("order_moved_on")
                    };
                }
                let Some((status, seq, head)) =
                    replay(&o, held.events.iter().filter(|e| !e.proposed))
                else {
                    return Outcome::Later;
                };
                if event.seq > seq + 1 {
                    return Outcome::Later;
                }
                if event.prev != Some(head) {
                    return Outcome::Refused("order_moved_on");
                }
                if next_status(status, event.action, event.by == o.seller).is_none() {
                    return Outcome::Refused("not_allowed");
                }
                if to == o.buyer {
                    // The seller's step wins over this buyer's proposals on the same state.
                    let dropped: Vec<usize> = held
                        .events
                        .iter()
                        .filter(|e| e.proposed && e.seq >= event.seq)
                        .map(|e| e.mid)
                        .collect();
                    held.events.retain(|e| !dropped.contains(&e.mid));
                    self.outbox[to][from].retain(|m| !dropped.contains(&m.mid));
                }
                held.events.push(MEvent {
                    proposed: false,
                    ..event.clone()
                });
                held.events.sort_by_key(|e| e.seq);
                if event.action == Action::Complete {
                    self.book_order(to, order, event.at_ms);
                }
                if to == o.seller && status == Status::Accepted && event.action == Action::Cancel {
                    self.stock[to] += o.qty;
                }
                Outcome::Appended
            }
            MBody::Payment(settlement) => {
                if self.local_settlements[to].contains_key(settlement) {
                    return Outcome::Duplicate;
                }
                self.local_settlements[to].insert(
                    *settlement,
                    HeldSettlement {
                        status: SettleStatus::Waiting,
                        reply: None,
                    },
                );
                Outcome::Appended
            }
            MBody::Reply {
                settlement,
                confirmed,
                at_ms,
            } => {
                let held = self.local_settlements[to]
                    .get_mut(settlement)
                    .expect("the payer holds its payment");
                if let Some(reply) = held.reply {
                    return if reply == msg.mid {
                        Outcome::Duplicate
                    } else {
                        Outcome::Refused("already_answered")
                    };
                }
                held.reply = Some(msg.mid);
                if *confirmed {
                    held.status = SettleStatus::Confirmed;
                    self.book_settlement(to, *settlement, *at_ms);
                } else {
                    held.status = SettleStatus::Declined;
                }
                Outcome::Appended
            }
        }
    }

    /// `from` learns the answer `outcome` of `to` to `msg`.
    fn apply(&mut self, from: usize, to: usize, msg: &Msg, outcome: Outcome) {
        if outcome == Outcome::Later {
            return;
        }
        let Some(position) = self.outbox[from][to].iter().position(|m| m.mid == msg.mid) else {
            return;
        };
        self.outbox[from][to].remove(position);
        let taken = matches!(outcome, Outcome::Appended | Outcome::Duplicate);
        match &msg.body {
            MBody::Event(order, event) => {
                let order = *order;
                let Some(held) = self.local[from].get_mut(&order) else {
                    return;
                };
                let proposed = held
                    .events
                    .iter()
                    .any(|e| e.seq == event.seq && e.proposed && e.mid == msg.mid);
                if proposed && taken {
                    for e in held.events.iter_mut().filter(|e| e.seq == event.seq) {
                        e.proposed = false;
                    }
                    if event.action == Action::Complete {
                        self.book_order(from, order, event.at_ms);
                    }
                } else if proposed {
                    // Refused: this step and every later proposal are void.
                    let later: Vec<usize> = held
                        .events
                        .iter()
                        .filter(|e| e.proposed && e.seq > event.seq)
                        .map(|e| e.mid)
                        .collect();
                    held.events.retain(|e| !(e.proposed && e.seq >= event.seq));
                    if held.events.is_empty() {
                        held.refused = true;
                    }
                    self.outbox[from][to].retain(|m| !later.contains(&m.mid));
                }
            }
            MBody::Payment(settlement) if !taken => {
                let held = self.local_settlements[from]
                    .get_mut(settlement)
                    .expect("the payer holds its payment");
                held.status = SettleStatus::Declined;
            }
            _ => {}
        }
    }

    fn quiet(&self) -> bool {
        self.outbox.iter().flatten().all(Vec::is_empty)
    }

    /// Units of `seller`'s listing its accepted, shipped and completed orders hold.
    fn reserved(&self, seller: usize) -> i64 {
        self.local[seller]
            .iter()
            .filter(|(index, _)| self.orders[**index].seller == seller)
            .filter(|(index, _)| {
                self.view(seller, **index)
                    .is_some_and(|(status, _, _)| holds_stock(status))
            })
            .map(|(index, _)| self.orders[*index].qty)
            .sum()
    }
}

// ---------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Deliver, hand the answers back.
    Normal,
    /// Deliver twice; the second answers are handed back.
    Duplicate,
    /// Deliver; the answers are lost, so the messages are sent again later.
    LoseAnswer,
    /// Deliver in reverse order.
    Reversed,
    /// Deliver; the answers arrive twice.
    DuplicateAnswer,
    /// Deliver; the answers arrive later (see [`Op::LateAnswer`]), after other
    /// deliveries perhaps.
    DelayAnswer,
    /// The connection fails: nothing happens.
    Drop,
}

#[derive(Clone, Debug)]
enum Op {
    /// `buyer` orders `qty` units of `seller`'s listing.
    Place {
        buyer: usize,
        seller: usize,
        qty: i64,
        buyer_collects: bool,
    },
    /// When `aimed`, `pick` chooses among the steps that some party's own view
    /// of some order allows (progress weighted over reject and cancel);
    /// otherwise `order` and `action` as drawn, by `who`: 0..4 the buyer, 4..9
    /// the seller, 9 the third center.
    Step {
        order: Index,
        who: u8,
        action: Action,
        aimed: bool,
        pick: Index,
    },
    /// `pair` picks among the outboxes holding messages.
    Deliver { pair: Index, mode: Mode },
    /// The node stops without shutdown and opens its database again.
    Restart { center: usize },
    /// `buyer` fetches `seller`'s catalog (and so its current stock).
    Sync { seller: usize, buyer: usize },
    /// The seller's operator sets the listing's stock.
    Restock { seller: usize, stock: i64 },
    /// The seller's operator changes the listing's price; when `announce`, the
    /// catalog reaches the other centers right after.
    Reprice {
        seller: usize,
        price: usize,
        announce: bool,
    },
    /// Delayed answers (picked by `index`) reach their sender.
    LateAnswer { index: Index },
    /// `payer` records a payment to `payee`.
    Settle {
        payer: usize,
        payee: usize,
        amount: i64,
    },
    /// `who`: 0..8 the payee, 8 the payer, 9 the third center. When `aimed`,
    /// the settlement is one waiting for its payee's answer.
    Answer {
        settlement: Index,
        who: u8,
        confirm: bool,
        aimed: bool,
    },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => Just(Action::Accept),
        1 => Just(Action::Reject),
        3 => Just(Action::Ship),
        3 => Just(Action::Complete),
        2 => Just(Action::Cancel),
    ]
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![
        5 => Just(Mode::Normal),
        1 => Just(Mode::Duplicate),
        2 => Just(Mode::LoseAnswer),
        1 => Just(Mode::Reversed),
        1 => Just(Mode::DuplicateAnswer),
        1 => Just(Mode::DelayAnswer),
        1 => Just(Mode::Drop),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..N, 1..N, 1i64..=4, any::<bool>()).prop_map(|(buyer, off, qty, buyer_collects)| {
            Op::Place { buyer, seller: (buyer + off) % N, qty, buyer_collects }
        }),
        8 => (any::<Index>(), 0u8..10, action(), prop::bool::weighted(0.85), any::<Index>())
            .prop_map(|(order, who, action, aimed, pick)| Op::Step { order, who, action, aimed, pick }),
        8 => (any::<Index>(), mode()).prop_map(|(pair, mode)| Op::Deliver { pair, mode }),
        1 => (0..N).prop_map(|center| Op::Restart { center }),
        2 => (0..N, 1..N).prop_map(|(seller, off)| Op::Sync { seller, buyer: (seller + off) % N }),
        1 => (0..N, 0i64..=6).prop_map(|(seller, stock)| Op::Restock { seller, stock }),
        1 => (0..N, 0..PRICES.len(), prop::bool::weighted(0.7))
            .prop_map(|(seller, price, announce)| Op::Reprice { seller, price, announce }),
        1 => any::<Index>().prop_map(|index| Op::LateAnswer { index }),
        1 => (0..N, 1..N, 1i64..=60_000).prop_map(|(payer, off, amount)| {
            Op::Settle { payer, payee: (payer + off) % N, amount }
        }),
        2 => (any::<Index>(), 0u8..10, prop::bool::weighted(0.75), prop::bool::weighted(0.85))
            .prop_map(|(settlement, who, confirm, aimed)| Op::Answer { settlement, who, confirm, aimed }),
    ]
}

/// Every step after the placement.
const STEPS: [Action; 5] = [
    Action::Accept,
    Action::Reject,
    Action::Ship,
    Action::Complete,
    Action::Cancel,
];

// ---------------------------------------------------------------------------
// The driver: real nodes in lockstep with the model
// ---------------------------------------------------------------------------

fn third(a: usize, b: usize) -> usize {
    (0..N).find(|c| *c != a && *c != b).expect("three centers")
}

fn code_of(error: &NodeError) -> String {
    match error {
        NodeError::Order { code, .. } => (*code).to_owned(),
        NodeError::NoSuchOrder(_) => "no_such_order".to_owned(),
        NodeError::NoSuchSettlement(_) => "no_such_settlement".to_owned(),
        other => format!("unexpected error: {other}"),
    }
}

fn words(result: &MessageResult) -> (&str, Option<&str>) {
    (result.status.word(), result.code.as_deref())
}

/// A ledger entry as compared: id, kind, creditor, debtor, amount, time.
type EntryView = (String, &'static str, CenterId, CenterId, i64, i64);

/// An expected booking: id, kind, creditor, debtor (model indices), amount.
type Booking = (String, EntryKind, usize, usize, i64);

fn view_of(entry: &LedgerEntry) -> EntryView {
    (
        entry.id.clone(),
        entry.kind.word(),
        entry.creditor,
        entry.debtor,
        entry.amount_idr,
        entry.at_ms,
    )
}

/// The answers to one delivery, on their way back to the sender.
#[derive(Clone, Debug)]
struct Late {
    from: usize,
    to: usize,
    results: Vec<MessageResult>,
    answers: Vec<(Msg, Outcome)>,
}

struct World {
    centers: Vec<Center>,
    ids: Vec<CenterId>,
    listings: Vec<ListingId>,
    /// Stock before any reservation: the initial stock, or what the operator
    /// last set plus what was reserved then.
    base: [i64; N],
    /// Answers held back by [`Mode::DelayAnswer`].
    late: Vec<Late>,
    /// Real ids, by model index.
    orders: Vec<OrderId>,
    settlements: Vec<OrderId>,
    restarts: u64,
    model: Model,
}

impl World {
    fn new(stock: [i64; N], prices: [usize; N]) -> Self {
        let centers: Vec<Center> = (0..N)
            .map(|c| Center::new(c as u64 + 1, NAMES[c]))
            .collect();
        let price = prices.map(|p| PRICES[p]);
        let listings: Vec<ListingId> = (0..N)
            .map(|c| centers[c].add("Keripik pisang", price[c], stock[c]))
            .collect();
        federate(&centers.iter().collect::<Vec<_>>());
        // Clocks apart, so a time taken from the wrong center shows.
        for (c, center) in centers.iter().enumerate() {
            center.clock.advance(c as i64 * 7_001);
        }
        let now = std::array::from_fn(|c| {
            use crate::clock::Clock;
            centers[c].clock.now_ms()
        });
        let ids = centers.iter().map(Center::id).collect();
        Self {
            centers,
            ids,
            listings,
            base: stock,
            late: Vec::new(),
            orders: Vec::new(),
            settlements: Vec::new(),
            restarts: 0,
            model: Model::new(now, stock, price),
        }
    }

    fn node(&self, center: usize) -> &Node {
        &self.centers[center].node
    }

    /// Applies `patch` to `seller`'s listing; answers the listing as stored.
    fn patch_listing(
        &self,
        seller: usize,
        patch: &ListingPatch,
    ) -> telecenter_protocol::catalog::Listing {
        let row = self
            .node(seller)
            .update_listing(&self.listings[seller], patch);
        row.unwrap().listing
    }

    fn tick(&mut self) {
        for c in 0..N {
            let ms = 1_000 + c as i64 * 13;
            self.centers[c].clock.advance(ms);
            self.model.now[c] += ms;
        }
    }

    /// Like `Center::restart`, but every restart gets a fresh random generator:
    /// reopening with the same seed twice would draw the same ids again.
    fn restart(&mut self, center: usize) {
        self.restarts += 1;
        let c = &mut self.centers[center];
        let node = Node::open(
            &c.dir.path().join("node.db"),
            Identity::generate(&mut StdRng::seed_from_u64(c.seed)),
            c.clock.clone(),
            Box::new(StdRng::seed_from_u64(c.seed * 1_000 + 300 + self.restarts)),
        )
        .unwrap();
        let old = std::mem::replace(&mut c.node, node);
        // No shutdown: as if the process died.
        std::mem::forget(old);
    }

    fn run(&mut self, op: &Op) {
        self.tick();
        match *op {
            Op::Place {
                buyer,
                seller,
                qty,
                buyer_collects,
            } => {
                let collector = if buyer_collects {
                    Collector::BuyerCenter
                } else {
                    Collector::SellerCenter
                };
                let want = self.model.place(buyer, seller, qty, collector);
                let got = self.node(buyer).place_order(&PlaceOrder {
                    seller: self.ids[seller],
                    listing: self.listings[seller].clone(),
                    quantity: qty,
                    unit_price_idr: None,
                    buyer_name: "Pak Budi".to_owned(),
                    buyer_phone: "0812 3456 7890".to_owned(),
                    payment_at: collector,
                    payment_method: PayMethod::Cash,
                    note: String::new(),
                });
                match (want, got) {
                    (Ok((index, mid)), Ok(row)) => {
                        assert_eq!(index, self.orders.len());
                        self.orders.push(row.state.id.clone());
                        self.model.hashes[mid] = row.state.head;
                    }
                    (Err(code), Err(error)) => assert_eq!(code_of(&error), code, "{op:?}"),
                    (want, got) => panic!("{op:?}: the model says {want:?}, the node {got:?}"),
                }
            }
            Op::Step {
                order,
                who,
                action,
                aimed,
                pick,
            } => {
                let actor = |o: &MOrder| match who {
                    0..4 => o.buyer,
                    4..9 => o.seller,
                    _ => third(o.buyer, o.seller),
                };
                let (index, center, action) = if aimed {
                    // A step some party's own view allows, weighted towards progress.
                    let mut choices = Vec::new();
                    for index in 0..self.orders.len() {
                        let o = &self.model.orders[index];
                        for center in [o.buyer, o.seller] {
                            let Some(held) = self.model.local[center].get(&index) else {
                                continue;
                            };
                            let Some((status, _, _)) = self.model.view(center, index) else {
                                continue;
                            };
                            if held.refused {
                                continue;
                            }
                            for action in STEPS {
                                if next_status(status, action, center == o.seller).is_some() {
                                    let weight = match action {
                                        Action::Reject | Action::Cancel => 1,
                                        _ => 8,
                                    };
                                    choices.extend(std::iter::repeat_n(
                                        (index, center, action),
                                        weight,
                                    ));
                                }
                            }
                        }
                    }
                    if choices.is_empty() {
                        self.check();
                        return;
                    }
                    choices[pick.index(choices.len())]
                } else {
                    if self.orders.is_empty() {
                        self.check();
                        return;
                    }
                    let index = order.index(self.orders.len());
                    (index, actor(&self.model.orders[index]), action)
                };
                let reason = matches!(action, Action::Reject | Action::Cancel).then_some("alasan");
                let want = self.model.step(center, index, action);
                let got = self
                    .node(center)
                    .order_step(&self.orders[index], action, reason);
                match (want, got) {
                    (Ok(mid), Ok(row)) => self.model.hashes[mid] = row.state.head,
                    (Err(code), Err(error)) => {
                        assert_eq!(code_of(&error), code, "{op:?} on order {index} by {center}")
                    }
                    (want, got) => panic!(
                        "{op:?}: {center} takes {action:?} on order {index}: the model says {want:?}, the node {got:?}"
                    ),
                }
            }
            Op::Deliver { pair, mode } => {
                let waiting: Vec<(usize, usize)> = (0..N)
                    .flat_map(|from| (0..N).map(move |to| (from, to)))
                    .filter(|(from, to)| !self.model.outbox[*from][*to].is_empty())
                    .collect();
                if let Some(&(from, to)) = waiting.get(pair.index(waiting.len().max(1))) {
                    self.deliver(from, to, mode);
                }
            }
            Op::Restart { center } => self.restart(center),
            Op::Sync { seller, buyer } => self.sync(seller, buyer),
            Op::Restock { seller, stock } => {
                let stock_patch = ListingPatch {
                    stock: Some(stock),
                    ..Default::default()
                };
                assert_eq!(self.patch_listing(seller, &stock_patch).stock, stock);
                self.model.stock[seller] = stock;
                self.base[seller] = stock + self.model.reserved(seller);
            }
            Op::Reprice {
                seller,
                price,
                announce,
            } => {
                let price = PRICES[price];
                self.patch_listing(
                    seller,
                    &ListingPatch {
                        price_idr: Some(price),
                        ..Default::default()
                    },
                );
                self.model.price[seller] = price;
                if announce {
                    for buyer in (0..N).filter(|b| *b != seller) {
                        self.sync(seller, buyer);
                    }
                }
            }
            Op::LateAnswer { index } => {
                if !self.late.is_empty() {
                    let late = self.late.remove(index.index(self.late.len()));
                    self.answer_back(late);
                }
            }
            Op::Settle {
                payer,
                payee,
                amount,
            } => {
                let (index, mid) = self.model.settle(payer, payee, amount);
                let row = self
                    .node(payer)
                    .record_settlement(&self.ids[payee], amount, "BRI ref 8812")
                    .unwrap();
                assert_eq!(index, self.settlements.len());
                self.settlements.push(row.id.clone());
                self.model.hashes[mid] = row.payment_hash;
            }
            Op::Answer {
                settlement,
                who,
                confirm,
                aimed,
            } => {
                let candidates: Vec<usize> = if aimed {
                    (0..self.settlements.len())
                        .filter(|s| {
                            let payee = self.model.settlements[*s].payee;
                            self.model.local_settlements[payee]
                                .get(s)
                                .is_some_and(|held| held.status == SettleStatus::Waiting)
                        })
                        .collect()
                } else {
                    (0..self.settlements.len()).collect()
                };
                if candidates.is_empty() {
                    self.check();
                    return;
                }
                let index = candidates[settlement.index(candidates.len())];
                let s = self.model.settlements[index].clone();
                let center = match who {
                    _ if aimed => s.payee,
                    0..8 => s.payee,
                    8 => s.payer,
                    _ => third(s.payer, s.payee),
                };
                let want = self.model.answer(center, index, confirm);
                let got = self.node(center).answer_settlement(
                    &self.settlements[index],
                    confirm,
                    (!confirm).then_some("dana belum masuk"),
                );
                match (want, got) {
                    (Ok(mid), Ok(row)) => {
                        let reply = row.reply.expect("an answered settlement has its reply");
                        self.model.hashes[mid] = body_hash(&reply.body);
                    }
                    (Err(code), Err(error)) => assert_eq!(code_of(&error), code, "{op:?}"),
                    (want, got) => panic!(
                        "{op:?}: {center} answers settlement {index}: the model says {want:?}, the node {got:?}"
                    ),
                }
            }
        }
        self.check();
    }

    /// `buyer` takes in `seller`'s catalog, and so its current stock and price.
    fn sync(&mut self, seller: usize, buyer: usize) {
        let changes = self
            .node(seller)
            .changes_of(&DocId::catalog(self.ids[seller]))
            .unwrap();
        for result in self.node(buyer).receive(&changes).unwrap() {
            result.unwrap();
        }
        self.model.known[buyer][seller] = self.model.stock[seller];
        self.model.known_price[buyer][seller] = self.model.price[seller];
    }

    fn model_hashes(&self, from: usize, to: usize) -> Vec<String> {
        self.model.outbox[from][to]
            .iter()
            .map(|m| self.model.hashes[m.mid].clone())
            .collect()
    }

    /// Delivers `from`'s outbox for `to` (as `mode` says), checking every result
    /// against the model's prediction.
    fn deliver(&mut self, from: usize, to: usize, mode: Mode) {
        let rows = self.node(from).outbox_for(&self.ids[to]).unwrap();
        let real: Vec<String> = rows.iter().map(|r| r.hash.clone()).collect();
        assert_eq!(real, self.model_hashes(from, to), "outbox {from} -> {to}");
        if rows.is_empty() || mode == Mode::Drop {
            return;
        }
        let mut batch: Vec<(Msg, _)> = self.model.outbox[from][to]
            .iter()
            .cloned()
            .zip(rows.into_iter().map(|r| r.message))
            .collect();
        if mode == Mode::Reversed {
            batch.reverse();
        }
        let mut answers = self.receive_batch(from, to, &batch);
        if mode == Mode::Duplicate {
            answers = self.receive_batch(from, to, &batch);
        }
        let (results, outcomes) = answers;
        let late = Late {
            from,
            to,
            results,
            answers: batch
                .into_iter()
                .map(|(msg, _)| msg)
                .zip(outcomes)
                .collect(),
        };
        match mode {
            Mode::LoseAnswer => {}
            Mode::DelayAnswer => self.late.push(late),
            Mode::DuplicateAnswer => {
                self.answer_back(late.clone());
                self.answer_back(late);
            }
            _ => self.answer_back(late),
        }
    }

    /// Seals `bundle` as `from` for `to` and hands it to `to` directly, as the
    /// mail exchange does; returns the results `to` sealed back, opened with
    /// `from`'s key (none when the bundle held only results).
    fn by_mail(&self, from: usize, to: usize, bundle: &PairExchange) -> Vec<MessageResult> {
        let key = |c: usize| Identity::generate(&mut StdRng::seed_from_u64(self.centers[c].seed));
        let (from_id, to_id) = (self.ids[from], self.ids[to]);
        let plaintext = serde_json::to_vec(bundle).unwrap();
        let at = self.node(to).clock().now_ms();
        let mail =
            SealedMail::seal(&key(from), &to_id, at, &plaintext, &mut rand::rngs::OsRng).unwrap();
        let receipts = self.node(to).take_mail(&from_id, vec![mail]);
        assert_eq!(receipts[0].status, "taken", "{receipts:?}");
        let mut results = Vec::new();
        for row in self.node(to).mail_for_hop(&from_id).unwrap() {
            let opened: PairExchange =
                serde_json::from_slice(&row.mail.open(&key(from)).unwrap()).unwrap();
            results.extend(opened.results);
            // Collected: the replier forgets it.
            self.node(to)
                .mail_receipts(&from_id, &[Receipt::taken(&row.id)])
                .unwrap();
        }
        results
    }

    /// Hands the receiver's answers back to the sender, sealed.
    fn answer_back(&mut self, late: Late) {
        let bundle = PairExchange {
            messages: Vec::new(),
            results: late.results.clone(),
        };
        let echoed = self.by_mail(late.to, late.from, &bundle);
        assert!(echoed.is_empty(), "results are not answered: {echoed:?}");
        for (msg, outcome) in &late.answers {
            self.model.apply(late.from, late.to, msg, *outcome);
        }
    }

    fn receive_batch(
        &mut self,
        from: usize,
        to: usize,
        batch: &[(Msg, telecenter_protocol::order::SignedMessage)],
    ) -> (Vec<MessageResult>, Vec<Outcome>) {
        let bundle = PairExchange {
            messages: batch.iter().map(|(_, m)| m.clone()).collect(),
            results: Vec::new(),
        };
        let results = self.by_mail(from, to, &bundle);
        assert_eq!(results.len(), batch.len());
        let outcomes: Vec<Outcome> = batch
            .iter()
            .map(|(msg, _)| self.model.receive(to, from, msg))
            .collect();
        for (((msg, _), result), outcome) in batch.iter().zip(&results).zip(&outcomes) {
            assert_eq!(result.hash, self.model.hashes[msg.mid]);
            assert_eq!(
                words(result),
                outcome.words(),
                "{to} receiving {:?} from {from}: {:?}",
                msg.body,
                result.message
            );
        }
        (results, outcomes)
    }

    /// The model's ledger of `center` as the node should show it.
    fn model_entries(&self, center: usize) -> Vec<EntryView> {
        let mut entries: Vec<EntryView> = self.model.ledger[center]
            .iter()
            .map(|(key, e)| {
                let (id, kind) = match *key {
                    Key::Goods(o) => (format!("order/{}/goods", self.orders[o]), EntryKind::Goods),
                    Key::Fee(o) => (
                        format!("order/{}/fee", self.orders[o]),
                        EntryKind::ReferralFee,
                    ),
                    Key::Settlement(s) => (
                        format!("settlement/{}", self.settlements[s]),
                        EntryKind::Settlement,
                    ),
                };
                (
                    id,
                    kind.word(),
                    self.ids[e.creditor],
                    self.ids[e.debtor],
                    e.amount,
                    e.at_ms,
                )
            })
            .collect();
        entries.sort();
        entries
    }

    /// Every node matches the model right now.
    fn check(&self) {
        for c in 0..N {
            use crate::clock::Clock;
            assert_eq!(self.centers[c].clock.now_ms(), self.model.now[c]);
            let node = self.node(c);
            // Every order as this center sees it.
            let mut reserved = 0;
            for (index, id) in self.orders.iter().enumerate() {
                match self.model.local[c].get(&index) {
                    None => assert!(
                        matches!(node.order(id), Err(NodeError::NoSuchOrder(_))),
                        "{c} should not hold order {index}"
                    ),
                    Some(held) => {
                        let detail = node.order(id).unwrap();
                        let want = self.model.status_word(c, index);
                        assert_eq!(
                            Some(detail.row.status_word()),
                            want,
                            "status of order {index} at {c}"
                        );
                        let real: Vec<(u32, &str, bool)> = detail
                            .events
                            .iter()
                            .map(|(row, _)| (row.seq, row.hash.as_str(), row.proposed))
                            .collect();
                        let model: Vec<(u32, &str, bool)> = held
                            .events
                            .iter()
                            .map(|e| (e.seq, self.model.hashes[e.mid].as_str(), e.proposed))
                            .collect();
                        assert_eq!(real, model, "events of order {index} at {c}");
                        let o = &self.model.orders[index];
                        if o.seller == c && holds_stock(self.model.view(c, index).expect("held").0)
                        {
                            reserved += o.qty;
                        }
                    }
                }
            }
            // Stock: never negative, and exactly what the held orders leave.
            let stock = self.centers[c].stock(&self.listings[c]);
            assert_eq!(stock, self.model.stock[c], "stock of {c}");
            assert!(stock >= 0);
            assert_eq!(stock, self.base[c] - reserved, "stock of {c}");
            // Ledger.
            let mut real: Vec<EntryView> = self.centers[c]
                .ledger()
                .iter()
                .map(|row| view_of(&row.entry))
                .collect();
            real.sort();
            assert_eq!(real, self.model_entries(c), "ledger of {c}");
            // Outboxes.
            for d in (0..N).filter(|d| *d != c) {
                let real: Vec<String> = node
                    .outbox_for(&self.ids[d])
                    .unwrap()
                    .into_iter()
                    .map(|r| r.hash)
                    .collect();
                assert_eq!(real, self.model_hashes(c, d), "outbox {c} -> {d}");
            }
            // Settlements.
            let mut real: Vec<(OrderId, String)> = node
                .settlements(None)
                .unwrap()
                .into_iter()
                .map(|s| (s.id, s.status))
                .collect();
            real.sort();
            let mut model: Vec<(OrderId, String)> = self.model.local_settlements[c]
                .iter()
                .map(|(s, held)| (self.settlements[*s].clone(), held.status.word().to_owned()))
                .collect();
            model.sort();
            assert_eq!(real, model, "settlements of {c}");
        }
    }

    fn quiet(&self) -> bool {
        self.model.quiet() && (0..N).all(|c| self.node(c).outbox_counterparts().unwrap().is_empty())
    }

    /// Delivers everything until no outbox holds a message.
    fn deliver_all(&mut self) {
        while let Some(late) = self.late.pop() {
            self.tick();
            self.answer_back(late);
            self.check();
        }
        for _ in 0..20 {
            if self.quiet() {
                break;
            }
            for from in 0..N {
                for to in (0..N).filter(|to| *to != from) {
                    self.tick();
                    self.deliver(from, to, Mode::Normal);
                    self.check();
                }
            }
        }
        assert!(self.quiet(), "messages still waiting after 20 rounds");
        // The harness' own helper agrees that nothing is left.
        for a in 0..N {
            for b in a + 1..N {
                settle_pair(&self.centers[a], &self.centers[b]);
            }
        }
        self.check();
    }

    fn ledger_with(&self, center: usize, other: usize) -> Vec<LedgerEntry> {
        self.node(center)
            .ledger(Some(&self.ids[other]), i64::MIN, i64::MAX)
            .unwrap()
            .into_iter()
            .map(|row| row.entry)
            .collect()
    }

    /// The checks after everything was delivered.
    fn final_checks(&self) {
        // 1. Both parties of every order hold the same final history.
        let mut finals: Vec<Option<Status>> = Vec::new();
        for (index, id) in self.orders.iter().enumerate() {
            let o = &self.model.orders[index];
            let buyer = self.node(o.buyer).order(id).unwrap();
            assert!(
                buyer.events.iter().all(|(row, _)| !row.proposed),
                "order {index}: a proposal is left at the buyer"
            );
            assert_eq!(
                buyer.row.pending, None,
                "order {index}: pending at the buyer"
            );
            assert!(matches!(
                self.node(third(o.buyer, o.seller)).order(id),
                Err(NodeError::NoSuchOrder(_))
            ));
            if buyer.row.refused {
                assert!(matches!(
                    self.node(o.seller).order(id),
                    Err(NodeError::NoSuchOrder(_))
                ));
                assert!(buyer.events.is_empty());
                finals.push(None);
                continue;
            }
            let seller = self.node(o.seller).order(id).unwrap();
            assert_eq!(
                buyer.row.status_word(),
                seller.row.status_word(),
                "order {index}"
            );
            let history = |d: &super::OrderDetail| -> Vec<(u32, String, bool)> {
                d.events
                    .iter()
                    .map(|(row, _)| (row.seq, row.hash.clone(), row.proposed))
                    .collect()
            };
            assert_eq!(
                history(&buyer),
                history(&seller),
                "history of order {index}"
            );
            assert_eq!(buyer.row.state, seller.row.state, "state of order {index}");
            assert_eq!(buyer.row.completed_at_ms, seller.row.completed_at_ms);
            let status = seller.row.state.status;
            assert_eq!(
                seller.row.completed_at_ms.is_some(),
                status == Status::Completed
            );
            if let Some(at_ms) = seller.row.completed_at_ms {
                // Extra check against the protocol's own booking function.
                let mut from_protocol = order_entries(id, &seller.row.state.terms, at_ms);
                from_protocol.sort_by(|a, b| a.id.cmp(&b.id));
                let mut booked: Vec<LedgerEntry> = self
                    .ledger_with(o.seller, o.buyer)
                    .into_iter()
                    .filter(|e| e.order.as_ref() == Some(id))
                    .collect();
                booked.sort_by(|a, b| a.id.cmp(&b.id));
                assert_eq!(booked, from_protocol, "entries of order {index}");
            }
            finals.push(Some(status));
        }
        // Both sides of every pair book identical entries.
        for a in 0..N {
            for b in (0..N).filter(|b| *b != a) {
                assert_eq!(
                    self.ledger_with(a, b),
                    self.ledger_with(b, a),
                    "ledgers of {a} and {b} with each other"
                );
            }
        }

        // 2. Balances sum to zero and mirror each other.
        let total: i64 = (0..N)
            .map(|c| balance_with(&self.ids[c], &self.centers[c].ledger()))
            .sum();
        assert_eq!(total, 0, "balances do not sum to zero");
        let pair_balance = |a: usize, b: usize| {
            let rows = self
                .node(a)
                .ledger(Some(&self.ids[b]), i64::MIN, i64::MAX)
                .unwrap();
            balance_with(&self.ids[a], &rows)
        };
        for a in 0..N {
            for b in (0..N).filter(|b| *b != a) {
                assert_eq!(pair_balance(a, b), -pair_balance(b, a));
            }
        }

        // 3. The ledger is what the agreed outcomes imply, by the documented rule.
        let mut expected: BTreeMap<(usize, usize), Vec<Booking>> = BTreeMap::new();
        let pair = |a: usize, b: usize| (a.min(b), a.max(b));
        for (index, status) in finals.iter().enumerate() {
            if *status != Some(Status::Completed) {
                continue;
            }
            let o = &self.model.orders[index];
            let id = &self.orders[index];
            let list = expected.entry(pair(o.buyer, o.seller)).or_default();
            let gross = o.price * o.qty;
            if o.collector == Collector::BuyerCenter && gross > 0 {
                list.push((
                    format!("order/{id}/goods"),
                    EntryKind::Goods,
                    o.seller,
                    o.buyer,
                    gross,
                ));
            }
            let fee = reference_fee(gross);
            if fee > 0 {
                list.push((
                    format!("order/{id}/fee"),
                    EntryKind::ReferralFee,
                    o.buyer,
                    o.seller,
                    fee,
                ));
            }
        }
        for (index, id) in self.settlements.iter().enumerate() {
            let s = &self.model.settlements[index];
            let status_at = |c: usize| {
                self.node(c)
                    .settlements(None)
                    .unwrap()
                    .into_iter()
                    .find(|row| row.id == *id)
                    .map(|row| row.status)
            };
            let payer = status_at(s.payer).expect("the payer holds its payment");
            let payee = status_at(s.payee).expect("everything was delivered");
            assert_eq!(payer, payee, "settlement {index}: payer and payee disagree");
            assert_eq!(status_at(third(s.payer, s.payee)), None);
            if payee == "confirmed" {
                expected.entry(pair(s.payer, s.payee)).or_default().push((
                    format!("settlement/{id}"),
                    EntryKind::Settlement,
                    s.payer,
                    s.payee,
                    s.amount,
                ));
            }
        }
        for a in 0..N {
            for b in a + 1..N {
                let mut want: Vec<(String, &str, CenterId, CenterId, i64)> = expected
                    .get(&(a, b))
                    .into_iter()
                    .flatten()
                    .map(|(id, kind, cr, db, amount)| {
                        (
                            id.clone(),
                            kind.word(),
                            self.ids[*cr],
                            self.ids[*db],
                            *amount,
                        )
                    })
                    .collect();
                want.sort();
                let want_balance: i64 = want
                    .iter()
                    .map(|(_, _, cr, db, amount)| {
                        if *cr == self.ids[a] {
                            *amount
                        } else {
                            assert_eq!(*db, self.ids[a]);
                            -*amount
                        }
                    })
                    .sum();
                for (x, y) in [(a, b), (b, a)] {
                    let mut real: Vec<(String, &str, CenterId, CenterId, i64)> = self
                        .ledger_with(x, y)
                        .into_iter()
                        .map(|e| (e.id, e.kind.word(), e.creditor, e.debtor, e.amount_idr))
                        .collect();
                    real.sort();
                    assert_eq!(real.len(), want.len(), "entries of {x} with {y}");
                    assert_eq!(real, want, "entries of {x} with {y}");
                }
                assert_eq!(pair_balance(a, b), want_balance, "balance of {a} with {b}");
            }
        }
        // The model's running ledger reached the same place.
        for c in 0..N {
            let count = expected
                .iter()
                .filter(|((a, b), _)| *a == c || *b == c)
                .map(|(_, list)| list.len())
                .sum::<usize>();
            assert_eq!(self.model.ledger[c].len(), count, "model ledger of {c}");
        }

        // 4. Stock: the initial stock less what accepted, shipped and completed orders hold.
        for s in 0..N {
            let held: i64 = finals
                .iter()
                .enumerate()
                .filter(|(index, status)| {
                    self.model.orders[*index].seller == s && status.is_some_and(holds_stock)
                })
                .map(|(index, _)| self.model.orders[index].qty)
                .sum();
            let stock = self.centers[s].stock(&self.listings[s]);
            assert!(stock >= 0);
            assert_eq!(stock, self.base[s] - held, "stock of {s}");
        }

        // 5. No entry, and so no settlement, is booked twice.
        for c in 0..N {
            let entries = self.centers[c].ledger();
            let mut ids: Vec<&str> = entries.iter().map(|r| r.entry.id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), entries.len(), "an entry id twice at {c}");
            let mut settled: Vec<&OrderId> = entries
                .iter()
                .filter_map(|r| r.entry.settlement.as_ref())
                .collect();
            let count = settled.len();
            settled.sort();
            settled.dedup();
            assert_eq!(settled.len(), count, "a settlement booked twice at {c}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        max_shrink_iters: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn three_centers_agree_with_each_other_and_with_the_reference_model(
        stock in prop::array::uniform3(1i64..=6),
        prices in prop::array::uniform3(0..PRICES.len()),
        ops in prop::collection::vec(op(), 40..=80),
    ) {
        let mut world = World::new(stock, prices);
        world.check();
        for op in &ops {
            world.run(op);
        }
        world.deliver_all();
        world.final_checks();
    }
}

#[test]
fn the_reference_fee_follows_the_documented_rule() {
    assert_eq!(reference_fee(0), 0);
    assert_eq!(reference_fee(500), 500, "never more than the goods");
    assert_eq!(reference_fee(15_000), 1_000, "raised to the minimum");
    assert_eq!(reference_fee(45_000), 1_350);
    assert_eq!(reference_fee(50_001), 1_500, "1 500,03 rounds down");
    assert_eq!(reference_fee(50_050), 1_502, "1 501,5 rounds up");
    assert_eq!(reference_fee(999_950), 29_999, "29 998,5 rounds up");
}
