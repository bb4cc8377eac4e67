//! Faults beyond the network's: power cuts at any row of any transaction,
//! nodes down for a while (relays with mail in their mailbox among them), and
//! forged changes pushed by a peer that was taken over.

use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use telecenter_node::sync::transport::{OutRequest, Reach};
use telecenter_protocol::sync::{Changes, SYNC_BODY_BYTES_MAX};
use telecenter_protocol::{DocId, Identity, SignedChange, b64};

use crate::net::url_of;
use crate::workload::Acks;
use crate::world::World;

impl World {
    /// Arms a power cut on a random running node, at one of its next row writes.
    pub fn power_cut(&mut self) {
        let up = self.up();
        let Some(&index) = up.choose(&mut self.rng) else {
            return;
        };
        let rows = self.rng.gen_range(1..80);
        self.trace(format!("arm cut {index} {rows}"));
        self.arm_cut(index, rows);
    }

    /// Kills a random running node between two of its operations, for up to
    /// `max_ms` of simulated time.
    pub fn kill(&mut self, max_ms: i64) {
        let up = self.up();
        let Some(&index) = up.choose(&mut self.rng) else {
            return;
        };
        let down = self.rng.gen_range(1_000..max_ms.max(1_001));
        self.trace(format!("kill {index} {down}"));
        self.take_down(index);
        self.nodes[index].down_until_ms = self.now_ms + down;
    }

    /// Takes down the nodes whose power was cut (they come back after a while)
    /// and starts the ones whose time is up.
    pub fn cuts_and_restarts(&mut self) {
        for index in self.reap_cuts() {
            let down = self.rng.gen_range(1_000..3_600_000);
            self.trace(format!("power cut fired {index}"));
            self.nodes[index].down_until_ms = self.now_ms + down;
        }
        for index in 0..self.nodes.len() {
            if self.nodes[index].up.is_none() && self.nodes[index].down_until_ms <= self.now_ms {
                self.trace(format!("restart {index}"));
                self.start(index);
            }
        }
    }

    /// A node that was taken over pushes forged changes to a peer: one signed
    /// by a stranger's key for another center's catalog, one altered after
    /// signing, and one replayed into another center's catalog.
    pub async fn forge(&mut self, acks: &mut Acks) {
        let up = self.up();
        let Some(&from) = up.choose(&mut self.rng) else {
            return;
        };
        let Some(&to) = self.nodes[from].dials.choose(&mut self.rng) else {
            return;
        };
        let victim = self.rng.gen_range(0..self.nodes.len());
        let other = (victim + 1) % self.nodes.len();
        let node = self.nodes[from].node().expect("up").clone();
        let victim_doc = DocId::catalog(self.nodes[victim].id);
        let Some(genuine) = node
            .changes_of(&victim_doc)
            .ok()
            .and_then(|all| all.last().cloned())
        else {
            return;
        };
        let Ok(signed) = SignedChange::from_bytes(&genuine) else {
            return;
        };
        let stranger = Identity::generate(&mut StdRng::seed_from_u64(self.rng.r#gen()));
        let wrong_key = SignedChange::sign(&stranger, victim_doc, signed.change.clone());
        let mut altered = signed.clone();
        if let Some(byte) = altered.change.last_mut() {
            *byte ^= 0x01;
        }
        let mut elsewhere = signed.clone();
        elsewhere.doc = DocId::catalog(self.nodes[other].id);
        let forged: Vec<Vec<u8>> = [wrong_key, altered, elsewhere]
            .iter()
            .map(SignedChange::to_bytes)
            .collect();
        let body = serde_json::to_vec(&Changes {
            changes: forged.iter().map(b64::encode).collect(),
            more: false,
        })
        .expect("json");
        let path = "/api/v1/sync/push";
        let Ok(authorization) = node.sign_request(&self.nodes[to].id, "POST", path, &body) else {
            return;
        };
        let answer = self
            .net
            .transport(from)
            .post(OutRequest {
                reach: Reach::Peer,
                url: url_of(to),
                path: path.to_owned(),
                authorization,
                body,
                timeout: std::time::Duration::from_secs(30),
                bytes_max: SYNC_BODY_BYTES_MAX,
            })
            .await;
        self.trace(format!("forge {from}->{to} {}", answer.is_ok()));
        acks.forged.extend(forged);
        acks.count("forged changes pushed");
    }
}
