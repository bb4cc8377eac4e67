//! What each peer was last told this node holds, so that a long poll sends only
//! the chains that changed since (`"delta": true`, protocol §10.3): a node that
//! takes in a change drops and reopens its long poll to every peer, and the
//! whole have map (about 75 bytes per accepted catalog) each time would cost
//! far more than the change itself.
//!
//! The view is only a guess of what the peer remembers: it is set when a
//! request is sent (a dropped long poll may never have arrived), and forgotten
//! — so that the next request sends the whole map — after any failure, and
//! after news that brought nothing new (the peer's view was behind).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use telecenter_protocol::CenterId;

/// The error code of a node that does not remember the caller's map.
pub(crate) const POLL_STATE_UNKNOWN: &str = "poll_state_unknown";

#[derive(Default)]
struct View {
    /// The map last sent, if the peer is believed to hold it.
    sent: Option<BTreeMap<String, u64>>,
    /// The peer refused a delta for another reason than forgetting (a node
    /// that predates deltas): send it whole maps.
    no_delta: bool,
}

/// Per peer, what it was last told (see the module comment).
#[derive(Default)]
pub(crate) struct PollViews {
    views: Mutex<HashMap<CenterId, View>>,
}

impl PollViews {
    /// The map to send to `peer` for `have`, and whether it is a delta (only
    /// when `may_delta`, the peer takes deltas, and nothing held went back or
    /// away since the last one); notes `have` as sent.
    pub(crate) fn request(
        &self,
        peer: &CenterId,
        have: &BTreeMap<String, u64>,
        may_delta: bool,
    ) -> (BTreeMap<String, u64>, bool) {
        let mut views = self.views.lock().unwrap_or_else(|p| p.into_inner());
        let view = views.entry(*peer).or_default();
        let base = view.sent.as_ref().filter(|sent| {
            may_delta
                && !view.no_delta
                && sent
                    .iter()
                    .all(|(chain, seq)| have.get(chain).is_some_and(|held| held >= seq))
        });
        let out = match base {
            Some(sent) => (
                have.iter()
                    .filter(|(chain, seq)| sent.get(*chain) != Some(seq))
                    .map(|(chain, seq)| (chain.clone(), *seq))
                    .collect(),
                true,
            ),
            None => (have.clone(), false),
        };
        view.sent = Some(have.clone());
        out
    }

    /// The next request to `peer` sends the whole map.
    pub(crate) fn forget(&self, peer: &CenterId) {
        let mut views = self.views.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(view) = views.get_mut(peer) {
            view.sent = None;
        }
    }

    /// `peer` refused a delta: it forgot (`for_good` false), or takes none.
    pub(crate) fn refused_delta(&self, peer: &CenterId, for_good: bool) {
        let mut views = self.views.lock().unwrap_or_else(|p| p.into_inner());
        let view = views.entry(*peer).or_default();
        view.sent = None;
        view.no_delta |= for_good;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, u64)]) -> BTreeMap<String, u64> {
        entries.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn a_long_poll_sends_only_what_changed_and_the_whole_map_when_in_doubt() {
        let views = PollViews::default();
        let peer = CenterId::from_bytes([1; 32]);
        let first = map(&[("a", 3), ("b", 0)]);
        assert_eq!(views.request(&peer, &first, true), (first.clone(), false));
        let later = map(&[("a", 4), ("b", 0), ("c", 0)]);
        assert_eq!(
            views.request(&peer, &later, true),
            (map(&[("a", 4), ("c", 0)]), true)
        );
        // Nothing changed: an empty delta.
        assert_eq!(views.request(&peer, &later, true), (map(&[]), true));
        // A repair round sends the whole map.
        assert_eq!(views.request(&peer, &later, false), (later.clone(), false));
        // A chain gone (a catalog no longer accepted) or gone back: whole map.
        let fewer = map(&[("a", 4), ("b", 0)]);
        assert_eq!(views.request(&peer, &fewer, true), (fewer.clone(), false));
        let back = map(&[("a", 2), ("b", 0)]);
        assert_eq!(views.request(&peer, &back, true), (back.clone(), false));
        // After a failure, the whole map.
        views.forget(&peer);
        assert_eq!(views.request(&peer, &back, true), (back.clone(), false));
        // A peer that predates deltas gets whole maps from then on.
        views.refused_delta(&peer, true);
        assert_eq!(views.request(&peer, &back, true), (back.clone(), false));
        assert_eq!(views.request(&peer, &back, true), (back, false));
    }
}
