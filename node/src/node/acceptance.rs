//! Acceptance and trust: which centers' catalogs this node takes in (trusted,
//! vouched for, blocked), and the list of configured peers.

use std::collections::HashMap;

use telecenter_protocol::text::InvalidInput;
use telecenter_protocol::{CenterId, DocId};

use crate::store::{PeerRow, TrustState};

use super::{Node, NodeError, Writer, lock};

impl Writer {
    /// Recomputes which centers are accepted: this center, the directly trusted
    /// ones (depth 1), and the ones vouched for by accepted centers up to the
    /// vouch depth; blocked centers never. Catalogs no longer accepted are
    /// forgotten (store, memory, index). Returns the centers forgotten.
    pub(super) fn recompute_acceptance(
        &mut self,
        own: CenterId,
    ) -> Result<Vec<CenterId>, NodeError> {
        let mut accepted = HashMap::from([(own, 0u32)]);
        let blocked = |c: &CenterId| self.trust.get(c) == Some(&TrustState::Blocked);
        let mut frontier: Vec<CenterId> = self
            .trust
            .iter()
            .filter(|(c, s)| **s == TrustState::Trusted && **c != own)
            .map(|(c, _)| *c)
            .collect();
        for depth in 1..=self.vouch_depth {
            let mut next = Vec::new();
            for center in frontier {
                if blocked(&center) || accepted.contains_key(&center) {
                    continue;
                }
                accepted.insert(center, depth);
                if let Some(state) = self.held.state(&center) {
                    next.extend(state.vouches.iter().copied());
                }
            }
            frontier = next;
        }
        let forgotten: Vec<CenterId> = self
            .held
            .centers()
            .filter(|c| !accepted.contains_key(c))
            .copied()
            .collect();
        for center in &forgotten {
            self.store.purge_document(&DocId::catalog(*center))?;
            self.held.forget(center);
            tracing::info!(%center, "catalog no longer accepted: forgotten");
        }
        self.pending.retain_docs(|c| accepted.contains_key(c));
        *lock(&self.accepted_now) = accepted.keys().copied().collect();
        self.accepted = accepted;
        Ok(forgotten)
    }
}

impl Node {
    /// Sets how deep vouching reaches (1 = only directly trusted centers) and
    /// re-evaluates which catalogs are accepted.
    pub fn set_vouch_depth(&self, depth: u32) -> Result<(), NodeError> {
        let mut writer = lock(&self.writer);
        writer.vouch_depth = depth.clamp(1, 8);
        writer.recompute_acceptance(self.center_id())?;
        drop(writer);
        self.bump();
        Ok(())
    }

    /// Trusts a center directly and publishes a vouch for it in this center's catalog.
    pub fn trust(&self, center: &CenterId) -> Result<(), NodeError> {
        self.set_trust(center, Some(TrustState::Trusted))
    }

    /// Blocks a center: its catalog is forgotten, never shown, stored or relayed,
    /// whoever vouches for it; this center withdraws its own vouch.
    pub fn block(&self, center: &CenterId) -> Result<(), NodeError> {
        self.set_trust(center, Some(TrustState::Blocked))
    }

    /// Lifts a block (the center is then accepted only if trusted or vouched for).
    pub fn unblock(&self, center: &CenterId) -> Result<(), NodeError> {
        if !self.blocked(center) {
            return Err(NodeError::Invalid(InvalidInput::new(
                "center",
                "not_blocked",
                format!("{center} is not blocked"),
            )));
        }
        self.set_trust(center, None)
    }

    fn set_trust(&self, center: &CenterId, state: Option<TrustState>) -> Result<(), NodeError> {
        if *center == self.center_id() {
            return Err(NodeError::Invalid(InvalidInput::new(
                "center",
                "own_center",
                "that is this center itself".to_owned(),
            )));
        }
        {
            let mut writer = lock(&self.writer);
            writer.store.set_trust(center, state, self.clock.now_ms())?;
            match state {
                Some(state) => writer.trust.insert(*center, state),
                None => writer.trust.remove(center),
            };
            writer.recompute_acceptance(self.center_id())?;
        }
        // Publish (or withdraw) the vouch: a signed record in our own catalog.
        let vouch = state == Some(TrustState::Trusted);
        match self.edit(Box::new(|doc, identity, _, now| {
            Ok(doc.set_vouch(identity, center, vouch, now)?)
        })) {
            Ok(_) | Err(NodeError::NoChange) => {}
            Err(error) => return Err(error),
        }
        self.bump();
        Ok(())
    }

    /// Local trust decisions and the resulting accepted centers with their depth.
    #[allow(clippy::type_complexity)] // two plain lists; a struct would add nothing
    pub fn trust_state(&self) -> (Vec<(CenterId, TrustState)>, Vec<(CenterId, u32)>) {
        let writer = lock(&self.writer);
        let mut decisions: Vec<_> = writer.trust.iter().map(|(c, s)| (*c, *s)).collect();
        decisions.sort();
        let mut accepted: Vec<_> = writer.accepted.iter().map(|(c, d)| (*c, *d)).collect();
        accepted.sort_by_key(|(c, d)| (*d, *c));
        (decisions, accepted)
    }

    /// Whether this node accepts `center`'s catalog.
    pub fn accepts(&self, center: &CenterId) -> bool {
        lock(&self.writer).accepted.contains_key(center)
    }

    /// Whether this node's operator blocked `center`.
    pub fn blocked(&self, center: &CenterId) -> bool {
        lock(&self.writer).trust.get(center) == Some(&TrustState::Blocked)
    }

    /// Adds (or updates) a peer and trusts its center.
    pub fn add_peer(
        &self,
        center: &CenterId,
        name: &str,
        url: Option<&str>,
    ) -> Result<(), NodeError> {
        if *center == self.center_id() {
            return Err(NodeError::Invalid(InvalidInput::new(
                "url",
                "own_center",
                "that address is this node itself".to_owned(),
            )));
        }
        lock(&self.writer)
            .store
            .upsert_peer(center, name, url, self.clock.now_ms())?;
        if lock(&self.writer).trust.get(center) != Some(&TrustState::Blocked) {
            self.trust(center)?;
        }
        self.bump();
        Ok(())
    }

    /// Removes a peer (trust decisions stay).
    pub fn remove_peer(&self, center: &CenterId) -> Result<(), NodeError> {
        if !lock(&self.writer).store.remove_peer(center)? {
            return Err(NodeError::Invalid(InvalidInput::new(
                "center",
                "not_a_peer",
                format!("{center} is not a peer of this node"),
            )));
        }
        lock(&self.mail.routes).forget(center);
        Ok(())
    }

    /// The configured peers.
    pub fn peers(&self) -> Result<Vec<PeerRow>, NodeError> {
        Ok(lock(&self.writer).store.peers()?)
    }

    /// Records how a sync attempt with a peer went.
    pub fn record_sync(
        &self,
        center: &CenterId,
        outcome: Result<u64, &str>,
    ) -> Result<(), NodeError> {
        let now = self.clock.now_ms();
        Ok(lock(&self.writer).store.record_sync(center, now, outcome)?)
    }
}
