//! Peers that long-poll this node (a summary request waiting for news). Such a
//! peer gets this node's news in the answer to its poll, or at once in the next
//! poll it opens right after an answer, so the sync engine does not push the same
//! changes to it as well: one delivery, not two.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use telecenter_protocol::CenterId;

use super::Node;

/// A peer counts as polling here for this long after its last poll closed: a
/// poller opens its next poll as soon as it has taken in an answer.
pub const POLL_GRACE_MS: i64 = 5_000;

/// Per peer: the polls open here now and when one last opened or closed (ms).
/// Entries of peers that stopped polling are dropped after [`POLL_GRACE_MS`],
/// so the map is bounded by the requests the server admits.
#[derive(Debug, Default)]
pub(crate) struct OpenPolls {
    polls: Mutex<HashMap<CenterId, (u32, i64)>>,
}

/// A long poll open here; dropping it (the answer sent, or the request gone)
/// closes it.
#[derive(Debug)]
pub struct OpenPoll<'a> {
    node: &'a Node,
    peer: CenterId,
}

impl Drop for OpenPoll<'_> {
    fn drop(&mut self) {
        let now = self.node.clock.now_ms();
        let mut polls = self.node.open_polls.lock();
        if let Some((open, at)) = polls.get_mut(&self.peer) {
            *open = open.saturating_sub(1);
            *at = now;
        }
        polls.retain(|_, (open, at)| *open > 0 || recent(now, *at));
    }
}

impl OpenPolls {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CenterId, (u32, i64)>> {
        self.polls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Node {
    /// Notes that `peer`'s long poll is open here until the guard is dropped.
    pub fn poll_opened(&self, peer: CenterId) -> OpenPoll<'_> {
        let now = self.clock.now_ms();
        let mut polls = self.open_polls.lock();
        let entry = polls.entry(peer).or_insert((0, now));
        entry.0 = entry.0.saturating_add(1);
        entry.1 = now;
        OpenPoll { node: self, peer }
    }

    /// Whether `peer` long-polls this node: a poll of it is open here now, or
    /// one closed less than [`POLL_GRACE_MS`] ago.
    pub fn polls_here(&self, peer: &CenterId) -> bool {
        let now = self.clock.now_ms();
        self.open_polls
            .lock()
            .get(peer)
            .is_some_and(|(open, at)| *open > 0 || recent(now, *at))
    }
}

/// Whether `at` is less than [`POLL_GRACE_MS`] before `now` (a clock that
/// stepped back makes it old, not recent forever).
fn recent(now: i64, at: i64) -> bool {
    (0..POLL_GRACE_MS).contains(&now.saturating_sub(at))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::POLL_GRACE_MS;
    use crate::clock::ManualClock;

    #[test]
    fn a_peer_polls_here_while_a_poll_is_open_and_a_grace_after() {
        let dir = tempfile::TempDir::new().unwrap();
        let clock = Arc::new(ManualClock::new(1_763_860_000_000));
        let node = crate::testing::center(
            dir.path(),
            (1, 2),
            "Telecenter Kota Malang",
            "Kota Malang",
            clock.clone(),
        );
        let peer = telecenter_protocol::CenterId::from_bytes([7; 32]);
        assert!(!node.polls_here(&peer));
        let first = node.poll_opened(peer);
        let second = node.poll_opened(peer);
        clock.advance(POLL_GRACE_MS * 3);
        assert!(node.polls_here(&peer), "open, however long");
        drop(first);
        drop(second);
        assert!(node.polls_here(&peer), "just closed");
        clock.advance(POLL_GRACE_MS);
        assert!(!node.polls_here(&peer), "stopped polling");
        // A clock stepped back does not make a closed poll recent for ever.
        drop(node.poll_opened(peer));
        clock.advance(-POLL_GRACE_MS * 10);
        assert!(!node.polls_here(&peer), "clock stepped back");
        // A closed poll of another peer drops the stale entry.
        clock.advance(POLL_GRACE_MS * 20);
        drop(node.poll_opened(telecenter_protocol::CenterId::from_bytes([8; 32])));
        assert_eq!(node.open_polls.lock().len(), 1);
    }
}
