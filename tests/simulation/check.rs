//! Healing the province, running it until it is quiet, and checking the
//! invariants of the design on what every node holds.

use std::collections::HashSet;

use rand::seq::SliceRandom;

use telecenter_node::node::{
    MAILBOX_TOTAL, PENDING_TOTAL_BYTES_MAX, PENDING_TOTAL_MAX, balance_with,
};
use telecenter_node::{Clock, Node};

use telecenter_protocol::catalog::ListingStatus;
use telecenter_protocol::{CenterId, DocId};

use crate::net::Faults;
use crate::workload::{Acks, own_seq};
use crate::world::World;

/// After healing, everything must have converged within this much simulated time.
pub const LIVENESS_BOUND_MS: i64 = 3 * 3_600_000;

impl World {
    /// Ends every fault: partitions, losses, skewed clocks, blocks, nodes down.
    pub async fn heal(&mut self) {
        let now = self.now_ms;
        // What the network still held arrives late, then nothing more is lost.
        self.net.deliver_due(i64::MAX).await;
        self.net.clear_delayed();
        {
            let mut state = self.net.state();
            state.faults = Faults::default();
            for host in &mut state.hosts {
                host.group = 0;
            }
        }
        for sim in &mut self.nodes {
            sim.skew_ms = 0;
        }
        self.set_time(now);
        self.cuts_and_restarts();
        for index in 0..self.nodes.len() {
            if self.nodes[index].up.is_none() {
                self.start(index);
            }
            // Disarm any power cut that did not fire.
            self.net.state().hosts[index].cut = None;
        }
        let ids: Vec<CenterId> = self.nodes.iter().map(|n| n.id).collect();
        for sim in &self.nodes {
            let node = sim.node().expect("up");
            for id in &ids {
                if *id != sim.id && !node.accepts(id) {
                    node.trust(id).expect("trust again");
                }
            }
        }
        self.trace("healed".to_owned());
    }

    /// What must stop changing once the province is quiet.
    fn digest(&self) -> (Vec<String>, u64) {
        let mut parts = Vec::new();
        let mut waiting = 0;
        for sim in &self.nodes {
            let node = sim.node().expect("up");
            parts.push(format!("{:?}", node.have()));
            let outbox: u64 = node
                .outbox_counterparts()
                .unwrap_or_default()
                .iter()
                .map(|(_, n)| *n)
                .sum();
            waiting += outbox;
            parts.push(format!("{outbox}"));
        }
        (parts, waiting)
    }

    /// Runs rounds and mail exchanges until nothing changes and nothing waits;
    /// returns the simulated time it took. Fails past [`LIVENESS_BOUND_MS`].
    pub async fn run_until_quiet(&mut self) -> Result<i64, String> {
        let start = self.now_ms;
        let mut last = None;
        let mut still = 0;
        // Centers behind NAT keep polling their hubs: after each jump of time
        // they talk first, so their hubs know they are there.
        let mut order: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| !self.nodes[i].hub)
            .collect();
        order.extend((0..self.nodes.len()).filter(|&i| self.nodes[i].hub));
        loop {
            order.shuffle(&mut self.rng);
            for &index in &order {
                self.talk(index, None).await;
            }
            let (digest, waiting) = self.digest();
            if last.as_ref() == Some(&digest) {
                still += 1;
            } else {
                still = 0;
            }
            if still >= 2 && waiting == 0 {
                return Ok(self.now_ms - start);
            }
            last = Some(digest);
            if self.now_ms - start > LIVENESS_BOUND_MS {
                let described = self.describe_waiting();
                return Err(format!(
                    "not converged {} simulated minutes after healing ({waiting} messages waiting){}",
                    LIVENESS_BOUND_MS / 60_000,
                    described
                ));
            }
            // Nothing moved: jump to when the next sealed mail is due again.
            let next = if still > 0 {
                self.nodes
                    .iter()
                    .filter_map(|n| n.node().and_then(|node| node.next_seal_due_ms()))
                    .min()
                    .map_or(90_000, |due| {
                        let now = self.nodes[0].clock.now_ms();
                        // Centers behind NAT long-poll all the time: a tick never
                        // leaves them silent longer than their hub waits for them.
                        (due - now).clamp(5_000, 90_000)
                    })
            } else {
                20_000
            };
            let now = self.now_ms + next;
            self.set_time(now);
        }
    }

    /// What still waits, for a failing seed's report.
    fn describe_waiting(&self) -> String {
        let index_of = |id: &CenterId| self.nodes.iter().position(|n| n.id == *id);
        let mut out = String::new();
        for sim in &self.nodes {
            out.push_str(&format!(
                "\n  node {} {} dials {:?}",
                sim.index, sim.id, sim.dials
            ));
            for &d in &sim.dials {
                let (me, hub) = (sim.node().expect("up"), self.nodes[d].node().expect("up"));
                let advert: Vec<(Option<usize>, u8)> = me
                    .advert_for(&self.nodes[d].id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(c, h)| (index_of(&c), h))
                    .collect();
                out.push_str(&format!(
                    "\n    advertises to {d}: {advert:?} digest {:?}; {d} holds {:?}",
                    me.advert_digest_for(&self.nodes[d].id)
                        .ok()
                        .map(|s| s[..8].to_owned()),
                    hub.routes_digest_of(&sim.id).map(|s| s[..8].to_owned())
                ));
                let back: Vec<(Option<usize>, u8)> = hub
                    .advert_for(&sim.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(c, h)| (index_of(&c), h))
                    .collect();
                out.push_str(&format!(
                    "\n    {d} advertises back: {back:?} digest {:?}; held {:?}",
                    hub.advert_digest_for(&sim.id)
                        .ok()
                        .map(|s| s[..8].to_owned()),
                    me.routes_digest_of(&self.nodes[d].id)
                        .map(|s| s[..8].to_owned())
                ));
            }
        }
        let trace = self.net.state().trace.clone();
        for line in trace.iter().rev().take(12).rev() {
            out.push_str(&format!("\n  | {line}"));
        }
        for sim in &self.nodes {
            let node = sim.node().expect("up");
            for (center, _) in node.outbox_counterparts().unwrap_or_default() {
                for row in node.outbox_for(&center).unwrap_or_default() {
                    let mut body: String = row.message.body.chars().take(300).collect();
                    for hop in &self.nodes {
                        body.push_str(&format!(
                            " [for hop {}: {:?}]",
                            hop.index,
                            node.has_mail_for(&hop.id).ok()
                        ));
                    }
                    body.push_str(&format!(
                        " -- next sealing due {:?}, now {}",
                        node.next_seal_due_ms(),
                        node.clock().now_ms()
                    ));
                    out.push_str(&format!(
                        "\n  node {} -> node {:?}: attempts {}, last error {:?}, {body}",
                        sim.index,
                        index_of(&center),
                        row.attempts,
                        row.last_error
                    ));
                }
            }
            if let Ok(conn) = rusqlite::Connection::open_with_flags(
                sim.db_path(),
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            ) {
                let mut stmt = conn.prepare("SELECT substr(id,1,6), kind, sender, recipient, came_from, handed_to, at_ms FROM mail").expect("query");
                let rows: Vec<String> = stmt
                    .query_map([], |r| {
                        Ok(format!(
                            "{} {} {:?}->{:?} via {:?} handed {:?} at {}",
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            index_of(&r.get::<_, String>(2)?.parse().expect("id")),
                            index_of(&r.get::<_, String>(3)?.parse().expect("id")),
                            r.get::<_, Option<String>>(4)?
                                .and_then(|c| index_of(&c.parse().ok()?)),
                            r.get::<_, Option<String>>(5)?
                                .and_then(|c| index_of(&c.parse().ok()?)),
                            r.get::<_, i64>(6)?
                        ))
                    })
                    .expect("rows")
                    .filter_map(Result::ok)
                    .collect();
                for row in rows {
                    out.push_str(&format!("\n    mail at {}: {row}", sim.index));
                }
            }
            if let Ok((held, used)) = node.mailbox()
                && used.count > 0
            {
                let held: Vec<_> = held.iter().map(|(c, n)| (index_of(c), *n)).collect();
                out.push_str(&format!("\n  node {} relays {held:?}", sim.index));
            }
        }
        out
    }

    /// Checks every invariant on the quiet province; the first broken one is
    /// returned in words.
    pub fn check(&self, acks: &Acks) -> Result<(), String> {
        let nodes: Vec<&Node> = self
            .nodes
            .iter()
            .map(|n| n.node().expect("up").as_ref())
            .collect();
        let ids: Vec<CenterId> = self.nodes.iter().map(|n| n.id).collect();
        convergence(&nodes, &ids)?;
        acknowledged_edits(&nodes, acks)?;
        orders(&nodes, acks)?;
        ledgers(&nodes, &ids)?;
        settlements(&nodes, acks)?;
        nothing_forged(&nodes, &ids, acks)?;
        bounds(&nodes)
    }
}

/// Identical catalogs (the same heads) on every node for every center.
fn convergence(nodes: &[&Node], ids: &[CenterId]) -> Result<(), String> {
    for (owner, id) in ids.iter().enumerate() {
        let heads = nodes[owner].heads_of(id);
        for (index, node) in nodes.iter().enumerate() {
            if node.heads_of(id) != heads {
                return Err(format!(
                    "node {index} holds another version of the catalog of node {owner}"
                ));
            }
        }
    }
    let first = nodes[0].have();
    for (index, node) in nodes.iter().enumerate() {
        if node.have() != first {
            return Err(format!("node {index} holds other catalog seqs than node 0"));
        }
    }
    Ok(())
}

/// Every acknowledged edit is there with its last acknowledged value (or a later
/// one whose answer was lost to a power cut).
fn acknowledged_edits(nodes: &[&Node], acks: &Acks) -> Result<(), String> {
    for (&owner, &seq) in &acks.own_seq {
        if own_seq(nodes[owner]) < seq {
            return Err(format!(
                "node {owner} lost acknowledged changes (seq {seq})"
            ));
        }
    }
    for ((owner, id), ack) in &acks.listings {
        let row = nodes[*owner].own_listing(id);
        let found = row.ok().map(|r| {
            (
                r.listing.price_idr,
                r.listing.status == ListingStatus::Removed,
            )
        });
        let allowed: Vec<(i64, bool)> = ack
            .acked
            .iter()
            .chain(&ack.maybe)
            .map(|f| (f.price_idr, f.removed))
            .collect();
        match found {
            None if ack.acked.is_some() => {
                return Err(format!("acknowledged listing {id} of node {owner} is gone"));
            }
            None => {}
            Some(value) if !allowed.contains(&value) => {
                return Err(format!(
                    "listing {id} of node {owner} is {value:?}, acknowledged {allowed:?}"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Both centers of every order hold the same history with every acknowledged step.
fn orders(nodes: &[&Node], acks: &Acks) -> Result<(), String> {
    for (id, ack) in &acks.orders {
        let buyer = nodes[ack.buyer]
            .order(id)
            .map_err(|e| format!("acknowledged order {id} missing at its buyer: {e}"))?;
        if buyer.row.refused {
            continue;
        }
        let seller = nodes[ack.seller]
            .order(id)
            .map_err(|e| format!("order {id} never reached its seller: {e}"))?;
        let chain = |d: &telecenter_node::node::OrderDetail| -> Vec<(u32, String, bool)> {
            d.events
                .iter()
                .map(|(e, _)| (e.seq, e.hash.clone(), e.proposed))
                .collect()
        };
        if chain(&buyer) != chain(&seller) {
            return Err(format!(
                "the two centers of order {id} hold different histories"
            ));
        }
        if buyer.events.len() < ack.steps.len() {
            return Err(format!(
                "order {id} lost acknowledged steps: {} held, {:?} acknowledged",
                buyer.events.len(),
                ack.steps
            ));
        }
    }
    Ok(())
}

/// Every pair's ledgers are identical and every pair's balances cancel out.
fn ledgers(nodes: &[&Node], ids: &[CenterId]) -> Result<(), String> {
    let mut total = 0i64;
    for (a, node_a) in nodes.iter().enumerate() {
        for (b, node_b) in nodes.iter().enumerate() {
            if a == b {
                continue;
            }
            let entries_ab = node_a
                .ledger(Some(&ids[b]), i64::MIN, i64::MAX)
                .map_err(|e| e.to_string())?;
            let entries_ba = node_b
                .ledger(Some(&ids[a]), i64::MIN, i64::MAX)
                .map_err(|e| e.to_string())?;
            let mut of_a: Vec<_> = entries_ab.iter().map(|r| r.entry.clone()).collect();
            let mut of_b: Vec<_> = entries_ba.iter().map(|r| r.entry.clone()).collect();
            of_a.sort_by(|x, y| x.id.cmp(&y.id));
            of_b.sort_by(|x, y| x.id.cmp(&y.id));
            if of_a != of_b {
                return Err(format!("nodes {a} and {b} hold different ledgers"));
            }
            let balance_a = balance_with(&ids[a], &entries_ab);
            let balance_b = balance_with(&ids[b], &entries_ba);
            if balance_a != -balance_b {
                return Err(format!(
                    "balance of {a} with {b} is {balance_a}, of {b} with {a} is {balance_b}"
                ));
            }
            total += balance_a;
        }
    }
    if total != 0 {
        return Err(format!("balances over the province sum to {total}, not 0"));
    }
    Ok(())
}

/// Every proposed settlement is known to both centers, in the same state.
fn settlements(nodes: &[&Node], acks: &Acks) -> Result<(), String> {
    for (id, proposer, counterpart) in &acks.settlements {
        let find = |index: usize| {
            nodes[index]
                .settlements(None)
                .unwrap_or_default()
                .into_iter()
                .find(|s| s.id == *id)
        };
        let mine = find(*proposer).ok_or(format!("settlement {id} lost by its proposer"))?;
        if mine.status == "refused" {
            continue;
        }
        let theirs = find(*counterpart)
            .ok_or(format!("settlement {id} never reached node {counterpart}"))?;
        if mine.status != theirs.status {
            return Err(format!(
                "settlement {id} is {} at node {proposer} but {} at node {counterpart}",
                mine.status, theirs.status
            ));
        }
    }
    Ok(())
}

/// No forged change is stored anywhere.
fn nothing_forged(nodes: &[&Node], ids: &[CenterId], acks: &Acks) -> Result<(), String> {
    let forged: HashSet<&Vec<u8>> = acks.forged.iter().collect();
    for (index, node) in nodes.iter().enumerate() {
        for id in ids {
            let stored = node
                .changes_of(&DocId::catalog(*id))
                .map_err(|e| e.to_string())?;
            if stored.iter().any(|c| forged.contains(c)) {
                return Err(format!("node {index} stored a forged change"));
            }
        }
    }
    Ok(())
}

impl World {
    /// Checks the bounds of the running nodes' queues (at any time, not only
    /// when quiet).
    pub fn check_bounds(&self) -> Result<(), String> {
        let nodes: Vec<&Node> = self
            .nodes
            .iter()
            .filter_map(|n| n.node().map(|n| n.as_ref()))
            .collect();
        bounds(&nodes)
    }
}

/// Every mailbox and pending queue within its bounds.
fn bounds(nodes: &[&Node]) -> Result<(), String> {
    for (index, node) in nodes.iter().enumerate() {
        let (count, bytes) = node.pending_held();
        if count > PENDING_TOTAL_MAX || bytes > PENDING_TOTAL_BYTES_MAX {
            return Err(format!(
                "node {index} holds {count} pending changes, {bytes} bytes"
            ));
        }
        let (_, used) = node.mailbox().map_err(|e| e.to_string())?;
        if used.count > MAILBOX_TOTAL.count || used.bytes > MAILBOX_TOTAL.bytes {
            return Err(format!("node {index} holds {used:?} of mail"));
        }
    }
    Ok(())
}
