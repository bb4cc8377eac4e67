//! Which mail goes to whom: the hops that may carry mail for a center (the
//! center itself first, then the best peer that advertised a route), the mail
//! offered to one hop, that hop's receipts (taken, refused, later), and the
//! route advertisements exchanged with peers.

use telecenter_protocol::CenterId;
use telecenter_protocol::sealed::{Receipt, ReceiptStatus};

use super::{
    DEFER_LATER_MS, DEFER_REFUSED_MS, DEFERRED_MAX, MAIL_BATCH_BYTES_MAX, MAIL_BATCH_MAX,
    OFFER_HELD_MS, POLLER_QUIET_MS, RECEIPTS_MAX,
};
use crate::node::routes::Advert;
use crate::node::{Node, NodeError, TrustState, lock};
use crate::store::{MailKind, MailRow};

impl Node {
    /// The centers this node may hand mail for `target` to, best first: the
    /// target itself when it is a peer or has an address this node may use, then
    /// peers that advertised a route to it.
    pub fn hops_for(&self, target: &CenterId, now: i64) -> Result<Vec<CenterId>, NodeError> {
        let peers: Vec<CenterId> = self.peers()?.into_iter().map(|p| p.center_id).collect();
        self.hops_among(target, &peers, now)
    }

    fn hops_among(
        &self,
        target: &CenterId,
        peers: &[CenterId],
        now: i64,
    ) -> Result<Vec<CenterId>, NodeError> {
        let mut out = Vec::new();
        if peers.contains(target) || self.can_reach(target)? {
            out.push(*target);
        }
        for (peer, _) in lock(&self.mail.routes).via(target, peers, now) {
            if !out.contains(&peer) {
                out.push(peer);
            }
        }
        Ok(out)
    }

    /// Whether mail for `target` should wait for the target itself: it is a peer
    /// that collects its mail and did so lately, or has an address that did not
    /// fail lately.
    fn target_takes_it(
        &self,
        target: &CenterId,
        peers: &[crate::store::PeerRow],
        now: i64,
    ) -> bool {
        let direct_ok = lock(&self.mail.unreachable)
            .get(target)
            .is_none_or(|until| !waits(*until, now));
        match peers.iter().find(|p| p.center_id == *target) {
            Some(peer) if peer.url.is_some() => direct_ok,
            Some(_) => lock(&self.mail.routes)
                .last_heard(target)
                .is_some_and(|at| now.saturating_sub(at) <= POLLER_QUIET_MS),
            None => direct_ok && self.can_reach(target).unwrap_or(false),
        }
    }

    /// Notes that `center`'s own address failed, so relays carry its mail until `until_ms`.
    pub fn mark_unreachable(&self, center: &CenterId, until_ms: Option<i64>) {
        let mut map = lock(&self.mail.unreachable);
        match until_ms {
            Some(until) => {
                if map.len() < DEFERRED_MAX {
                    map.insert(*center, until);
                }
            }
            None => {
                map.remove(center);
            }
        }
    }

    /// Mail to hand to `hop` now: mail for it, and mail for centers it routes
    /// to (unless the recipient takes its mail itself), never mail that came
    /// from it; at most [`MAIL_BATCH_MAX`] mails and [`MAIL_BATCH_BYTES_MAX`] bytes.
    /// Each mail returned is remembered as offered to `hop`: only its receipts
    /// for mail offered to it count (see [`Node::mail_receipts`]).
    pub fn mail_for_hop(&self, hop: &CenterId) -> Result<Vec<MailRow>, NodeError> {
        let now = self.clock.now_ms();
        let rows = self.choose_for_hop(hop, now)?;
        let mut offered = lock(&self.mail.offered);
        if offered.len() + rows.len() > DEFERRED_MAX {
            offered.retain(|_, at| now.saturating_sub(*at) <= OFFER_HELD_MS);
        }
        for row in &rows {
            if offered.len() < DEFERRED_MAX {
                offered.insert((row.id.clone(), *hop), now);
            }
        }
        Ok(rows)
    }

    /// Whether [`Node::mail_for_hop`] would offer `hop` anything now (without
    /// recording an offer).
    pub fn has_mail_for(&self, hop: &CenterId) -> Result<bool, NodeError> {
        Ok(!self.choose_for_hop(hop, self.clock.now_ms())?.is_empty())
    }

    fn choose_for_hop(&self, hop: &CenterId, now: i64) -> Result<Vec<MailRow>, NodeError> {
        let peers = self.peers()?;
        let peer_ids: Vec<CenterId> = peers.iter().map(|p| p.center_id).collect();
        let recipients = lock(&self.reader).mail_recipients()?;
        let mut out = Vec::new();
        let mut bytes = 0u64;
        // A hop carries mail for itself and for centers it advertised; most
        // callers (centers without peers of their own) advertise nothing.
        let carried = lock(&self.mail.routes).advertised_by(hop, now);
        for (recipient, _) in recipients {
            if recipient == self.center_id() {
                continue;
            }
            if recipient != *hop && !carried.contains(&recipient) {
                tracing::trace!(%recipient, %hop, "hop carries no mail for it");
                continue;
            }
            let mut hops = Vec::new();
            if recipient != *hop {
                if self.target_takes_it(&recipient, &peers, now) {
                    tracing::trace!(%recipient, %hop, "mail waits for the recipient itself");
                    continue;
                }
                hops = self.hops_among(&recipient, &peer_ids, now)?;
                if !hops.contains(hop) {
                    tracing::trace!(%recipient, %hop, "hop is not a route");
                    continue;
                }
            }
            let rows = lock(&self.reader).mail_held_for(&recipient, hop, MAIL_BATCH_MAX)?;
            let deferred = lock(&self.mail.deferred);
            let deferred_to = |id: &str, h: &CenterId| {
                deferred
                    .get(&(id.to_owned(), *h))
                    .is_some_and(|until| waits(*until, now))
            };
            for row in rows {
                if row.mail.from == *hop || deferred_to(&row.id, hop) {
                    tracing::trace!(id = %row.id, %hop, "mail from the hop, or deferred for it");
                    continue;
                }
                // Carried on only by the best hop that may take it now, so that
                // mail follows the shortest route instead of going round a loop
                // (and ending next to its sender, which never takes it back).
                if recipient != *hop
                    && hops
                        .iter()
                        .find(|h| {
                            **h != recipient
                                && **h != row.mail.from
                                && row.came_from.as_ref() != Some(*h)
                                && !deferred_to(&row.id, h)
                        })
                        .is_some_and(|best| best != hop)
                {
                    tracing::trace!(id = %row.id, %hop, "another hop is better");
                    continue;
                }
                if out.len() >= MAIL_BATCH_MAX
                    || (!out.is_empty() && bytes.saturating_add(row.size) > MAIL_BATCH_BYTES_MAX)
                {
                    return Ok(out);
                }
                bytes = bytes.saturating_add(row.size);
                out.push(row);
            }
        }
        Ok(out)
    }

    /// Applies `hop`'s receipts for mail this node handed it.
    pub fn mail_receipts(&self, hop: &CenterId, receipts: &[Receipt]) -> Result<(), NodeError> {
        let now = self.clock.now_ms();
        let mut handed = false;
        for receipt in receipts.iter().take(RECEIPTS_MAX) {
            // Ids are 64 lower-case hex characters; anything else names no mail.
            let well_formed = receipt.id.len() == 64
                && receipt
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !well_formed {
                continue;
            }
            // Only a hop this node offered the mail to may answer for it.
            let offered = lock(&self.mail.offered)
                .get(&(receipt.id.clone(), *hop))
                .is_some_and(|at| now.saturating_sub(*at) <= OFFER_HELD_MS);
            if !offered {
                continue;
            }
            match receipt.status {
                ReceiptStatus::Taken => {
                    let mut writer = lock(&self.writer);
                    if let Some((kind, _, recipient)) =
                        writer.store.mail_handed(&receipt.id, hop, now)?
                    {
                        handed = true;
                        if kind != MailKind::Relay {
                            writer.store.set_pair_route(&recipient, true, hop, now)?;
                        }
                    }
                }
                ReceiptStatus::Refused => {
                    let header = lock(&self.reader).mail_header(&receipt.id)?;
                    let Some((kind, _, recipient)) = header else {
                        continue;
                    };
                    let why = crate::node::orders::plain_line(
                        receipt
                            .message
                            .as_deref()
                            .unwrap_or("refused without a reason"),
                    )
                    .unwrap_or_default();
                    tracing::info!(%hop, id = %receipt.id, code = ?receipt.code, %why, "mail refused by the next node");
                    if recipient == *hop {
                        lock(&self.writer)
                            .store
                            .mail_handed(&receipt.id, hop, now)?;
                        handed = true;
                        if kind != MailKind::Relay {
                            self.outbox_failed(
                                &recipient,
                                &format!("{hop} refused the mail: {why}"),
                            )?;
                        }
                    } else {
                        self.defer(&receipt.id, hop, now + DEFER_REFUSED_MS);
                    }
                }
                _ => {
                    if lock(&self.reader).mail_header(&receipt.id)?.is_some() {
                        self.defer(&receipt.id, hop, now + DEFER_LATER_MS);
                    }
                }
            }
        }
        if handed {
            self.mail_written();
        }
        Ok(())
    }

    /// When the first of the mails deferred for `hop` may be offered to it
    /// again (ms since the epoch), if any is deferred.
    pub fn next_offer_ms(&self, hop: &CenterId) -> Option<i64> {
        let now = self.clock.now_ms();
        lock(&self.mail.deferred)
            .iter()
            .filter(|((_, h), until)| h == hop && waits(**until, now))
            .map(|(_, until)| *until)
            .min()
    }

    fn defer(&self, id: &str, hop: &CenterId, until: i64) {
        let mut deferred = lock(&self.mail.deferred);
        if deferred.len() >= DEFERRED_MAX {
            let now = self.clock.now_ms();
            deferred.retain(|_, at| waits(*at, now));
            if deferred.len() >= DEFERRED_MAX {
                return;
            }
        }
        deferred.insert((id.to_owned(), *hop), until);
    }

    /// `peer` talked to this node (an authenticated exchange), with its routes
    /// if they changed. Only configured peers' routes count. A change wakes the
    /// mail loops and long polls, so new routes travel on at once instead of
    /// with the next long poll of each hop.
    pub fn routes_heard(&self, peer: &CenterId, advert: Option<Advert>) {
        if matches!(lock(&self.reader).peer(peer), Ok(Some(_))) {
            let changed = lock(&self.mail.routes).heard(peer, advert, self.clock.now_ms());
            if changed {
                self.mail_written();
            }
        }
    }

    /// The digest of what this node advertises to `to` now.
    pub fn advert_digest_for(&self, to: &CenterId) -> Result<String, NodeError> {
        Ok(crate::node::routes::digest(&self.advert_for(to)?))
    }

    /// The digest of `peer`'s routes this node holds.
    pub fn routes_digest_of(&self, peer: &CenterId) -> Option<String> {
        lock(&self.mail.routes).digest_of(peer, self.clock.now_ms())
    }

    /// What this node advertises to `to`: centers it accepts that it can hand mail to.
    pub fn advert_for(&self, to: &CenterId) -> Result<Advert, NodeError> {
        let peers: Vec<CenterId> = self.peers()?.into_iter().map(|p| p.center_id).collect();
        let writer = lock(&self.writer);
        let carries = |c: &CenterId| {
            writer.accepted.contains_key(c) && writer.trust.get(c) != Some(&TrustState::Blocked)
        };
        Ok(lock(&self.mail.routes).advert_for(to, &peers, &carries, self.clock.now_ms()))
    }
}

/// Whether a wait that ends at `until` (set by this node's clock) still runs at
/// `now`. A wait further ahead than any this node sets was set while the clock
/// ran ahead and has since been put right: it is over, or mail would stall for
/// as long as the clock was off.
fn waits(until: i64, now: i64) -> bool {
    until > now && until - now <= WAIT_MS_MAX
}

/// The longest wait this node sets on mail or a hop (deferrals, back-off).
const WAIT_MS_MAX: i64 = 60 * 60 * 1000;

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the simulation: deferrals and back-offs set while the clock ran
    /// ahead lasted, once it was put right, as long as the clock had been off.
    #[test]
    fn a_wait_set_while_the_clock_ran_ahead_is_over_once_it_is_put_right() {
        let now = 1_000_000_000;
        assert!(waits(now + DEFER_REFUSED_MS, now));
        assert!(!waits(now, now));
        assert!(!waits(now + 3 * 86_400_000, now));
    }
}
