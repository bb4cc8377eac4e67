//! The memory of hop-request nonces (replay protection), with a quota per sender.
//!
//! A nonce is remembered only while its request could still pass the time window
//! (until `at + HOP_WINDOW_MS`, see [`HopAuth::expires_at_ms`]); the window refuses
//! requests more than `HOP_FUTURE_MS` ahead, so no nonce is held longer than
//! `HOP_WINDOW_MS + HOP_FUTURE_MS`. Each sender has its own quota
//! ([`NONCES_PER_SENDER_MAX`]); senders that are not configured peers (centers
//! admitted to the pair exchange because this node accepts them) share one more
//! pool of [`NONCES_NON_PEER_MAX`], so any number of vouched-for ids can exhaust
//! only that pool, never the memory configured peers need.
//!
//! [`HopAuth::expires_at_ms`]: telecenter_protocol::hop::HopAuth::expires_at_ms

use std::collections::{BTreeSet, HashMap, HashSet};

use telecenter_protocol::CenterId;

/// Most nonces remembered for one sender. A sender within its rate
/// (20 requests/s, bursts of 100) holds at most 20 × 360 + 100 = 7 300 nonces
/// (a nonce is kept at most 360 s), so an honest sender never reaches this.
pub const NONCES_PER_SENDER_MAX: usize = 8_192;
/// Most nonces remembered for all senders that are not configured peers together
/// (about 100 bytes each: at most ~6.5 MiB).
pub const NONCES_NON_PEER_MAX: usize = 65_536;

/// Why a nonce was not remembered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NonceError {
    /// The sender already used this nonce inside the window.
    #[error("nonce already seen")]
    Replayed,
    /// The sender holds its whole quota.
    #[error("sender over its nonce quota")]
    SenderFull,
    /// The pool of senders that are not peers is full.
    #[error("the nonce pool of non-peer senders is full")]
    PoolFull,
}

#[derive(Default)]
struct Sender {
    nonces: HashSet<[u8; 16]>,
    /// Whether the sender was a configured peer when its nonces were remembered
    /// (a sender that is not counts against [`NONCES_NON_PEER_MAX`]).
    peer: bool,
}

/// Remembered nonces per sender, pruned by time.
#[derive(Default)]
pub(crate) struct Nonces {
    /// Every remembered nonce by the time after which it can no longer be replayed.
    by_expiry: BTreeSet<(i64, CenterId, [u8; 16])>,
    senders: HashMap<CenterId, Sender>,
    /// Nonces held for senders that are not configured peers.
    non_peer_held: usize,
}

impl Nonces {
    /// Forgets every nonce whose request can no longer pass the window at `now_ms`.
    fn prune(&mut self, now_ms: i64) {
        while let Some(&(expires_ms, from, nonce)) = self.by_expiry.first() {
            if expires_ms >= now_ms {
                break;
            }
            self.by_expiry.pop_first();
            if let Some(sender) = self.senders.get_mut(&from) {
                if sender.nonces.remove(&nonce) && !sender.peer {
                    self.non_peer_held = self.non_peer_held.saturating_sub(1);
                }
                if sender.nonces.is_empty() {
                    self.senders.remove(&from);
                }
            }
        }
    }

    /// Remembers `nonce` of a request from `from` that can be replayed until
    /// `expires_ms`; refuses a replay, a sender over its quota and, for a sender
    /// that is not a configured peer, a full non-peer pool.
    pub(crate) fn remember(
        &mut self,
        from: CenterId,
        is_peer: bool,
        nonce: [u8; 16],
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<(), NonceError> {
        self.prune(now_ms);
        let sender = self.senders.entry(from).or_default();
        if sender.peer != is_peer {
            // The sender became (or stopped being) a peer: move its nonces.
            let held = sender.nonces.len();
            if is_peer {
                self.non_peer_held = self.non_peer_held.saturating_sub(held);
            } else {
                self.non_peer_held = self.non_peer_held.saturating_add(held);
            }
            sender.peer = is_peer;
        }
        let outcome = if sender.nonces.contains(&nonce) {
            Err(NonceError::Replayed)
        } else if sender.nonces.len() >= NONCES_PER_SENDER_MAX {
            Err(NonceError::SenderFull)
        } else if !is_peer && self.non_peer_held >= NONCES_NON_PEER_MAX {
            Err(NonceError::PoolFull)
        } else {
            sender.nonces.insert(nonce);
            self.by_expiry.insert((expires_ms, from, nonce));
            if !is_peer {
                self.non_peer_held += 1;
            }
            Ok(())
        };
        if sender.nonces.is_empty() {
            self.senders.remove(&from);
        }
        outcome
    }

    /// Whether `from` used `nonce` in a request that could still pass the window.
    pub(crate) fn seen(&self, from: &CenterId, nonce: &[u8; 16]) -> bool {
        self.senders
            .get(from)
            .is_some_and(|sender| sender.nonces.contains(nonce))
    }

    /// How many nonces are remembered in all.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_expiry.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn center(byte: u8) -> CenterId {
        CenterId::from_bytes([byte; 32])
    }

    fn nonce(n: usize) -> [u8; 16] {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&(n as u64).to_be_bytes());
        bytes
    }

    #[test]
    fn a_nonce_is_refused_as_a_replay_only_until_it_expires() {
        let mut nonces = Nonces::default();
        let a = center(1);
        nonces.remember(a, true, nonce(1), 1_000, 0).unwrap();
        assert_eq!(
            nonces.remember(a, true, nonce(1), 1_000, 1_000),
            Err(NonceError::Replayed)
        );
        // The same nonce from another sender is another request.
        nonces
            .remember(center(2), true, nonce(1), 1_000, 0)
            .unwrap();
        // Past its expiry it is forgotten (the window refuses the request by then).
        nonces.remember(a, true, nonce(2), 5_000, 1_001).unwrap();
        assert_eq!(nonces.len(), 1);
    }

    #[test]
    fn one_sender_cannot_take_more_than_its_quota() {
        let mut nonces = Nonces::default();
        let flooder = center(1);
        for n in 0..NONCES_PER_SENDER_MAX {
            nonces.remember(flooder, true, nonce(n), 10_000, 0).unwrap();
        }
        assert_eq!(
            nonces.remember(flooder, true, nonce(usize::MAX), 10_000, 0),
            Err(NonceError::SenderFull)
        );
        // Other senders are untouched; the flooder is free again once its nonces expire.
        nonces
            .remember(center(2), true, nonce(0), 10_000, 0)
            .unwrap();
        nonces
            .remember(flooder, true, nonce(usize::MAX), 20_000, 10_001)
            .unwrap();
        assert_eq!(nonces.len(), 1);
    }

    #[test]
    fn non_peers_share_one_pool_that_peers_never_use() {
        let mut nonces = Nonces::default();
        let per_sender = NONCES_PER_SENDER_MAX / 2;
        let mut n = 0;
        'fill: for byte in 10u8.. {
            for _ in 0..per_sender {
                match nonces.remember(center(byte), false, nonce(n), 10_000, 0) {
                    Ok(()) => n += 1,
                    Err(NonceError::PoolFull) => break 'fill,
                    Err(other) => panic!("{other}"),
                }
            }
        }
        assert_eq!(n, NONCES_NON_PEER_MAX);
        assert_eq!(
            nonces.remember(center(200), false, nonce(0), 10_000, 0),
            Err(NonceError::PoolFull)
        );
        nonces
            .remember(center(1), true, nonce(0), 10_000, 0)
            .unwrap();
        // A non-peer that becomes a peer leaves the pool.
        nonces
            .remember(center(10), true, nonce(n), 10_000, 0)
            .unwrap();
        nonces
            .remember(center(200), false, nonce(0), 10_000, 0)
            .unwrap();
    }
}
