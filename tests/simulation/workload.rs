//! What the simulated centers do, and what they were told was done
//! (acknowledged): listing edits, trust and block changes, orders through
//! relays, settlements and corrections; sync rounds and mail exchanges; faults.

use std::collections::BTreeMap;

use rand::Rng;
use rand::seq::SliceRandom;
use telecenter_node::node::PlaceOrder;
use telecenter_node::store::PeerRow;
use telecenter_node::{Node, NodeError};
use telecenter_protocol::catalog::input::{ListingPatch, NewListing};
use telecenter_protocol::order::OrderId;
use telecenter_protocol::order::{Action, Collector, PayMethod};
use telecenter_protocol::{CenterId, DocId, ListingId};

use crate::world::World;

/// A listing's fields the workload sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fields {
    pub price_idr: i64,
    pub removed: bool,
}

/// What a listing's owner acknowledged, and edits that may or may not have
/// committed (the power was cut before the answer).
#[derive(Clone, Debug, Default)]
pub struct ListingAck {
    pub acked: Option<Fields>,
    pub maybe: Vec<Fields>,
}

/// An order and the steps acknowledged for it.
#[derive(Clone, Debug)]
pub struct OrderAck {
    pub buyer: usize,
    pub seller: usize,
    pub steps: Vec<Action>,
}

/// Everything acknowledged during a run.
#[derive(Default)]
pub struct Acks {
    pub listings: BTreeMap<(usize, ListingId), ListingAck>,
    /// Highest seq of its own catalog each node acknowledged.
    pub own_seq: BTreeMap<usize, u64>,
    pub orders: BTreeMap<OrderId, OrderAck>,
    /// Settlements and corrections proposed: (id, proposer, counterpart).
    pub settlements: Vec<(OrderId, usize, usize)>,
    /// Forged envelopes sent into the network.
    pub forged: Vec<Vec<u8>>,
    pub counts: BTreeMap<&'static str, u64>,
}

impl Acks {
    pub fn count(&mut self, what: &'static str) {
        *self.counts.entry(what).or_default() += 1;
    }
}

/// The seq of `node`'s own catalog.
pub fn own_seq(node: &Node) -> u64 {
    node.have()
        .get(&DocId::catalog(node.center_id()).to_string())
        .copied()
        .unwrap_or(0)
}

/// The peer rows `index` connects to.
pub fn dial_rows(world: &World, index: usize) -> Vec<PeerRow> {
    let Some(node) = world.nodes[index].node() else {
        return Vec::new();
    };
    let dials: Vec<CenterId> = world.nodes[index]
        .dials
        .iter()
        .map(|&d| world.nodes[d].id)
        .collect();
    node.peers()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| dials.contains(&p.center_id))
        .collect()
}

impl World {
    /// One sync round of `index` with each peer it dials, then a mail exchange
    /// with each (after sealing what waits).
    pub async fn talk(&mut self, index: usize, peer: Option<usize>) {
        let Some((node, engine)) = self.nodes[index].up.clone() else {
            return;
        };
        let mut rows = dial_rows(self, index);
        if let Some(peer) = peer {
            let id = self.nodes[peer].id;
            rows.retain(|r| r.center_id == id);
        }
        let _ = node.seal_all();
        for row in rows {
            let round = engine.round(&row).await;
            self.trace(format!("round {index}->{} {}", row.name, round.is_ok()));
            if self.net.state().hosts[index].cut_fired() {
                return;
            }
            let mail = engine.exchange_with(&row.center_id).await;
            self.trace(format!("mail {index}->{} {}", row.name, mail.is_ok()));
            if self.net.state().hosts[index].cut_fired() {
                return;
            }
        }
    }

    fn cut(&self, index: usize) -> bool {
        self.net.state().hosts[index].cut_fired()
    }

    /// Edits a listing of a random running center.
    pub fn edit(&mut self, acks: &mut Acks) {
        let up = self.up();
        let Some(&index) = up.choose(&mut self.rng) else {
            return;
        };
        let node = self.nodes[index].node().expect("up").clone();
        let mine: Vec<ListingId> = acks
            .listings
            .iter()
            .filter(|((owner, _), ack)| *owner == index && ack.acked.is_some_and(|f| !f.removed))
            .map(|((_, id), _)| id.clone())
            .collect();
        let create = mine.is_empty() || self.rng.gen_bool(0.3);
        let price = self.rng.gen_range(1..500) * 500;
        let (key, fields, result): (Option<ListingId>, Fields, Result<ListingId, NodeError>) =
            if create {
                let fields = Fields {
                    price_idr: price,
                    removed: false,
                };
                let input = NewListing {
                    title: format!("Keripik pisang simulasi {}", self.rng.gen_range(0..10_000)),
                    description: String::new(),
                    lang: None,
                    category: "makanan".to_owned(),
                    price_idr: price,
                    stock: self.rng.gen_range(5..50),
                    unit: Some("bungkus".to_owned()),
                    producer: None,
                    producer_village: None,
                    photos: Vec::new(),
                };
                let result = node.add_listing(&input).map(|row| row.listing.id);
                (None, fields, result)
            } else {
                let id = mine.choose(&mut self.rng).expect("some").clone();
                let remove = self.rng.gen_bool(0.1);
                let fields = Fields {
                    price_idr: if remove {
                        acks.listings[&(index, id.clone())]
                            .acked
                            .map_or(price, |f| f.price_idr)
                    } else {
                        price
                    },
                    removed: remove,
                };
                let result = if remove {
                    node.remove_listing(&id).map(|_| id.clone())
                } else {
                    node.update_listing(
                        &id,
                        &ListingPatch {
                            price_idr: Some(price),
                            ..Default::default()
                        },
                    )
                    .map(|_| id.clone())
                };
                (Some(id), fields, result)
            };
        let cut = self.cut(index);
        self.trace(format!("edit {index} {:?} {}", key, result.is_ok()));
        match (result, key) {
            (Ok(id), _) if !cut => {
                let entry = acks.listings.entry((index, id)).or_default();
                entry.acked = Some(fields);
                entry.maybe.clear();
                acks.own_seq.insert(index, own_seq(&node));
                acks.count("edits acknowledged");
            }
            (Ok(id), _) => {
                acks.listings
                    .entry((index, id))
                    .or_default()
                    .maybe
                    .push(fields);
            }
            (Err(_), Some(id)) => {
                acks.listings
                    .entry((index, id))
                    .or_default()
                    .maybe
                    .push(fields);
            }
            (Err(_), None) => {}
        }
    }

    /// A running center orders a listing of another center that it holds.
    pub fn place(&mut self, acks: &mut Acks) {
        let up = self.up();
        let Some(&buyer) = up.choose(&mut self.rng) else {
            return;
        };
        let candidates: Vec<(usize, ListingId)> = acks
            .listings
            .iter()
            .filter(|((owner, _), ack)| *owner != buyer && ack.acked.is_some_and(|f| !f.removed))
            .map(|((owner, id), _)| (*owner, id.clone()))
            .collect();
        let Some((seller, listing)) = candidates.choose(&mut self.rng).cloned() else {
            return;
        };
        let node = self.nodes[buyer].node().expect("up").clone();
        let result = node.place_order(&PlaceOrder {
            seller: self.nodes[seller].id,
            listing,
            quantity: self.rng.gen_range(1..3),
            unit_price_idr: None,
            buyer_name: "Pak Budi".to_owned(),
            buyer_phone: "0812 3456 7890".to_owned(),
            payment_at: Collector::BuyerCenter,
            payment_method: PayMethod::Cash,
            note: String::new(),
        });
        self.trace(format!("place {buyer}->{seller} {}", result.is_ok()));
        if let Ok(row) = result
            && !self.cut(buyer)
        {
            acks.orders.insert(
                row.state.id.clone(),
                OrderAck {
                    buyer,
                    seller,
                    steps: vec![Action::Place],
                },
            );
            acks.count("orders placed");
        }
    }

    /// A seller takes the next step of one of its orders.
    pub fn step(&mut self, acks: &mut Acks) {
        // Orders whose placement reached a running seller and was not refused.
        let open: Vec<OrderId> = acks
            .orders
            .iter()
            .filter(|(id, o)| {
                o.steps.last() != Some(&Action::Complete)
                    && self.nodes[o.seller]
                        .node()
                        .is_some_and(|n| n.order(id).is_ok_and(|d| !d.row.refused))
            })
            .map(|(id, _)| id.clone())
            .collect();
        let Some(id) = open.choose(&mut self.rng).cloned() else {
            return;
        };
        let seller = acks.orders[&id].seller;
        let Some(node) = self.nodes[seller].node().cloned() else {
            return;
        };
        let action = match acks.orders[&id].steps.last() {
            Some(Action::Place) => Action::Accept,
            Some(Action::Accept) => Action::Ship,
            _ => Action::Complete,
        };
        let result = node.order_step(&id, action, None);
        self.trace(format!(
            "step {seller} {} {}",
            action.word(),
            result.is_ok()
        ));
        if result.is_ok() && !self.cut(seller) {
            acks.orders
                .get_mut(&id)
                .expect("known order")
                .steps
                .push(action);
            acks.count("order steps acknowledged");
        }
    }

    /// A settlement payment, a correction, or an answer to one.
    pub fn settle(&mut self, acks: &mut Acks) {
        let up = self.up();
        let Some(&index) = up.choose(&mut self.rng) else {
            return;
        };
        let node = self.nodes[index].node().expect("up").clone();
        if self.rng.gen_bool(0.5) {
            let waiting: Vec<OrderId> = node
                .settlements(None)
                .unwrap_or_default()
                .into_iter()
                .filter(|s| s.status == "waiting")
                .map(|s| s.id)
                .collect();
            if let Some(id) = waiting.choose(&mut self.rng) {
                let confirm = self.rng.gen_bool(0.8);
                let result = node.answer_settlement(id, confirm, Some("tidak cocok"));
                self.trace(format!("answer {index} {}", result.is_ok()));
            }
            return;
        }
        let others: Vec<usize> = (0..self.nodes.len()).filter(|&i| i != index).collect();
        let other = *others.choose(&mut self.rng).expect("two nodes at least");
        let id = self.nodes[other].id;
        let amount = self.rng.gen_range(1..20) * 1_000;
        let result = if self.rng.gen_bool(0.5) {
            node.record_settlement(&id, amount, "transfer simulasi")
        } else {
            node.record_correction(&id, self.rng.gen_bool(0.5), amount, "koreksi simulasi")
        };
        self.trace(format!("settle {index}->{other} {}", result.is_ok()));
        if let Ok(row) = result
            && !self.cut(index)
        {
            acks.settlements.push((row.id, index, other));
            acks.count("settlements proposed");
        }
    }

    /// A running center blocks or unblocks another center.
    pub fn trust_change(&mut self) {
        let up = self.up();
        let Some(&index) = up.choose(&mut self.rng) else {
            return;
        };
        let other = self.rng.gen_range(0..self.nodes.len());
        if other == index {
            return;
        }
        let node = self.nodes[index].node().expect("up").clone();
        let id = self.nodes[other].id;
        let block = self.rng.gen_bool(0.5);
        let result = if block {
            node.block(&id)
        } else {
            node.unblock(&id)
        };
        self.trace(format!("block {index} {other} {block} {}", result.is_ok()));
        if block && result.is_ok() && !self.cut(index) {
            // Trust is local: from now on this node neither shows nor offers it.
            assert!(
                !node.accepts(&id) && node.heads_of(&id).is_empty(),
                "seed {}: node {index} still holds the catalog of {other} it blocked",
                self.seed
            );
        }
    }

    /// A new partition: halves, a bridge node, or one node alone.
    pub fn partition(&mut self) {
        let count = self.nodes.len();
        let groups: Vec<u32> = match self.rng.gen_range(0..4) {
            0 => (0..count).map(|_| 0).collect(),
            1 => {
                let cut = self.rng.gen_range(1..count);
                (0..count).map(|i| u32::from(i >= cut)).collect()
            }
            2 => {
                let alone = self.rng.gen_range(0..count);
                (0..count).map(|i| u32::from(i == alone)).collect()
            }
            _ => (0..count).map(|_| self.rng.gen_range(0..3)).collect(),
        };
        self.trace(format!("partition {groups:?}"));
        let mut state = self.net.state();
        for (host, group) in state.hosts.iter_mut().zip(groups) {
            host.group = group;
        }
    }

    /// A node's clock goes back by up to three days, ahead by up to an hour, or
    /// back to the right time. (Messages a node signs while its clock is ahead
    /// are answered `later` until their date comes, by design; days ahead would
    /// only make the run wait days.)
    pub fn skew(&mut self) {
        let index = self.rng.gen_range(0..self.nodes.len());
        let skew_ms = match self.rng.gen_range(0..3) {
            0 => -self.rng.gen_range(1..=3 * 86_400_000),
            1 => self.rng.gen_range(1..=3_600_000),
            _ => 0,
        };
        self.nodes[index].skew_ms = skew_ms;
        self.trace(format!("skew {index} {skew_ms}"));
        let now = self.now_ms;
        self.set_time(now);
    }
}
