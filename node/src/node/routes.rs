//! Where to hand sealed mail for a center that is not a peer: a distance-vector
//! table learned from peers.
//!
//! Every peer tells this node, in the mail exchange, which centers it can hand
//! mail to and in how many hops (`routes`): 1 for its own peers, and one more
//! than the best of what its other peers told it, up to [`ROUTE_HOPS_MAX`]. A
//! peer never advertises back to a peer the routes it learned from that peer
//! (split horizon). An advertisement holds while its peer keeps talking to this
//! node (any authenticated exchange) and is dropped [`ADVERT_STALE_MS`] after the
//! last. Loops cannot carry a mail round for ever: a node refuses a mail id it
//! has already held.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};
use telecenter_protocol::CenterId;

/// Most hops a route may have.
pub const ROUTE_HOPS_MAX: u8 = 6;
/// Most entries in one advertisement; entries beyond are ignored.
pub const ADVERT_ENTRIES_MAX: usize = 10_000;
/// An advertisement is forgotten this long after its peer last talked to this node.
pub const ADVERT_STALE_MS: i64 = 10 * 60 * 1000;

/// An advertisement: center → hops.
pub type Advert = BTreeMap<CenterId, u8>;

/// Whether an advertisement heard at `heard_ms` still holds at `now_ms`. One
/// heard "in the future" was heard while this node's clock ran ahead; it is
/// stale, so the peer is asked to send its routes again.
fn fresh(heard_ms: i64, now_ms: i64) -> bool {
    let age = now_ms.saturating_sub(heard_ms);
    (-ADVERT_STALE_MS..=ADVERT_STALE_MS).contains(&age)
}

/// The lower-case hex SHA-256 of an advertisement's JSON.
pub fn digest(advert: &Advert) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(advert).unwrap_or_default(),
    ))
}

#[derive(Debug)]
struct Heard {
    advert: Advert,
    digest: String,
    heard_ms: i64,
}

/// What peers advertised.
#[derive(Debug, Default)]
pub(crate) struct Routes {
    heard: HashMap<CenterId, Heard>,
}

impl Routes {
    /// `peer` talked to this node at `now_ms`, with a new advertisement or none.
    /// Returns whether the peer's advertisement changed.
    pub(crate) fn heard(&mut self, peer: &CenterId, advert: Option<Advert>, now_ms: i64) -> bool {
        match advert {
            Some(mut advert) => {
                advert
                    .retain(|center, hops| *hops >= 1 && *hops <= ROUTE_HOPS_MAX && center != peer);
                while advert.len() > ADVERT_ENTRIES_MAX {
                    advert.pop_last();
                }
                let digest = digest(&advert);
                let changed = self.heard.get(peer).is_none_or(|h| h.digest != digest);
                self.heard.insert(
                    *peer,
                    Heard {
                        advert,
                        digest,
                        heard_ms: now_ms,
                    },
                );
                changed
            }
            None => {
                self.heard
                    .entry(*peer)
                    .or_insert_with(|| Heard {
                        digest: digest(&Advert::new()),
                        advert: Advert::new(),
                        heard_ms: now_ms,
                    })
                    .heard_ms = now_ms;
                false
            }
        }
    }

    /// When `peer` last talked to this node.
    pub(crate) fn last_heard(&self, peer: &CenterId) -> Option<i64> {
        self.heard.get(peer).map(|h| h.heard_ms)
    }

    /// The centers `peer` advertised (fresh advertisements only).
    pub(crate) fn advertised_by(
        &self,
        peer: &CenterId,
        now_ms: i64,
    ) -> std::collections::BTreeSet<CenterId> {
        self.heard
            .get(peer)
            .filter(|h| fresh(h.heard_ms, now_ms))
            .map(|h| h.advert.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Forgets a peer's advertisement (the peer was removed).
    pub(crate) fn forget(&mut self, peer: &CenterId) {
        self.heard.remove(peer);
    }

    /// The digest of `peer`'s advertisement held here, if fresh.
    pub(crate) fn digest_of(&self, peer: &CenterId, now_ms: i64) -> Option<String> {
        self.heard
            .get(peer)
            .filter(|h| fresh(h.heard_ms, now_ms))
            .map(|h| h.digest.clone())
    }

    /// Peers (among `peers`) that advertised a fresh route to `target`, best first.
    pub(crate) fn via(
        &self,
        target: &CenterId,
        peers: &[CenterId],
        now_ms: i64,
    ) -> Vec<(CenterId, u8)> {
        let mut out: Vec<(CenterId, u8)> = peers
            .iter()
            .filter_map(|peer| {
                let heard = self.heard.get(peer)?;
                if !fresh(heard.heard_ms, now_ms) {
                    return None;
                }
                heard.advert.get(target).map(|hops| (*peer, *hops))
            })
            .collect();
        out.sort_by_key(|(peer, hops)| (*hops, *peer));
        out
    }

    /// What this node advertises to `to`: its other peers at 1 hop, and what its
    /// other peers advertised at one more hop, for centers `carries` admits.
    pub(crate) fn advert_for(
        &self,
        to: &CenterId,
        peers: &[CenterId],
        carries: &dyn Fn(&CenterId) -> bool,
        now_ms: i64,
    ) -> Advert {
        let mut advert = Advert::new();
        for peer in peers.iter().filter(|p| *p != to) {
            if carries(peer) {
                advert.insert(*peer, 1);
            }
            let Some(heard) = self.heard.get(peer) else {
                continue;
            };
            if !fresh(heard.heard_ms, now_ms) {
                continue;
            }
            for (center, hops) in &heard.advert {
                let hops = hops.saturating_add(1);
                if hops > ROUTE_HOPS_MAX || center == to || !carries(center) {
                    continue;
                }
                let best = advert.entry(*center).or_insert(hops);
                *best = (*best).min(hops);
            }
        }
        while advert.len() > ADVERT_ENTRIES_MAX {
            advert.pop_last();
        }
        advert
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(n: u8) -> CenterId {
        CenterId::from_bytes([n; 32])
    }

    /// Found by the simulation: an advertisement heard while this node's clock
    /// ran ahead stayed "fresh" for as long as the clock had been off once it
    /// was put right, and the peer was never asked for its routes again.
    #[test]
    fn an_advert_heard_while_the_clock_ran_ahead_is_stale_once_it_is_put_right() {
        let mut routes = Routes::default();
        let now = 1_000_000_000;
        routes.heard(&c(1), Some(Advert::from([(c(9), 1)])), now + 86_400_000);
        assert_eq!(routes.digest_of(&c(1), now), None, "asked again");
        assert!(routes.advertised_by(&c(1), now).is_empty());
        routes.heard(&c(1), Some(Advert::from([(c(9), 1)])), now);
        assert!(routes.digest_of(&c(1), now + ADVERT_STALE_MS).is_some());
        assert!(routes.digest_of(&c(1), now + ADVERT_STALE_MS + 1).is_none());
    }

    #[test]
    fn routes_grow_one_hop_per_peer_and_never_go_back_where_they_came_from() {
        let mut routes = Routes::default();
        let peers = [c(1), c(2)];
        routes.heard(&c(1), Some(Advert::from([(c(9), 2), (c(8), 6)])), 0);
        let all = |_: &CenterId| true;
        let to_two = routes.advert_for(&c(2), &peers, &all, 0);
        assert_eq!(to_two, Advert::from([(c(1), 1), (c(9), 3)]));
        // Split horizon: nothing learned from 1 goes back to 1.
        assert_eq!(
            routes.advert_for(&c(1), &peers, &all, 0),
            Advert::from([(c(2), 1)])
        );
        assert_eq!(routes.via(&c(9), &peers, 0), vec![(c(1), 2)]);
        // Stale after ten minutes without a word from the peer.
        assert!(routes.via(&c(9), &peers, ADVERT_STALE_MS + 1).is_empty());
        routes.heard(&c(1), None, ADVERT_STALE_MS);
        assert_eq!(routes.via(&c(9), &peers, ADVERT_STALE_MS + 1).len(), 1);
    }

    #[test]
    fn an_advertisement_is_bounded_and_cleaned() {
        let mut routes = Routes::default();
        let mut big = Advert::new();
        for i in 0..=ADVERT_ENTRIES_MAX {
            let mut bytes = [0u8; 32];
            bytes[..8].copy_from_slice(&(i as u64).to_be_bytes());
            big.insert(CenterId::from_bytes(bytes), 1);
        }
        big.insert(c(7), 0);
        big.insert(c(6), ROUTE_HOPS_MAX + 1);
        routes.heard(&c(1), Some(big), 0);
        let held = &routes.heard[&c(1)].advert;
        assert_eq!(held.len(), ADVERT_ENTRIES_MAX);
        assert!(!held.contains_key(&c(7)) && !held.contains_key(&c(6)));
    }
}
