//! What each peer was last told this node holds, so that a long poll sends only
//! the chains that changed since (`"delta": true`, protocol §10.3): a node that
//! takes in a change drops and reopens its long poll to every peer, and the
//! whole have map (about 75 bytes per accepted catalog) each time would cost
//! far more than the change itself.
//!
//! The view is what the peer last answered a request for (a long poll given up
//! before its answer may never have arrived); it is forgotten — so that the
//! next request sends the whole map — after any failure, and after news that
//! brought nothing new (the peer's view was behind).

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
    /// away since the map it last answered).
    pub(crate) fn request(
        &self,
        peer: &CenterId,
        have: &BTreeMap<String, u64>,
        may_delta: bool,
    ) -> (BTreeMap<String, u64>, bool) {
        let views = self.views.lock().unwrap_or_else(|p| p.into_inner());
        let base = views.get(peer).and_then(|view| {
            view.sent.as_ref().filter(|sent| {
                may_delta
                    && !view.no_delta
                    && sent
                        .iter()
                        .all(|(chain, seq)| have.get(chain).is_some_and(|held| held >= seq))
            })
        });
        match base {
            Some(sent) => (
                have.iter()
                    .filter(|(chain, seq)| sent.get(*chain) != Some(seq))
                    .map(|(chain, seq)| (chain.clone(), *seq))
                    .collect(),
                true,
            ),
            None => (have.clone(), false),
        }
    }

    /// `peer` answered a request made for `have`: it holds that map now. (A
    /// request given up before its answer may never have arrived, so only an
    /// answer moves the base of the next delta; a delta from an older base only
    /// repeats chains, which the peer merges again.)
    pub(crate) fn answered(&self, peer: &CenterId, have: BTreeMap<String, u64>) {
        let mut views = self.views.lock().unwrap_or_else(|p| p.into_inner());
        views.entry(*peer).or_default().sent = Some(have);
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
        // Given up before an answer: the next one is whole again.
        assert_eq!(views.request(&peer, &first, true), (first.clone(), false));
        views.answered(&peer, first.clone());
        let later = map(&[("a", 4), ("b", 0), ("c", 0)]);
        assert_eq!(
            views.request(&peer, &later, true),
            (map(&[("a", 4), ("c", 0)]), true)
        );
        // That poll was given up: the next delta still counts from the last
        // map answered.
        let more = map(&[("a", 5), ("b", 0), ("c", 0)]);
        assert_eq!(
            views.request(&peer, &more, true),
            (map(&[("a", 5), ("c", 0)]), true)
        );
        views.answered(&peer, more.clone());
        // Nothing changed: an empty delta.
        assert_eq!(views.request(&peer, &more, true), (map(&[]), true));
        // A repair round sends the whole map.
        assert_eq!(views.request(&peer, &more, false), (more.clone(), false));
        // A chain gone (a catalog no longer accepted) or gone back: whole map.
        let fewer = map(&[("a", 5), ("b", 0)]);
        assert_eq!(views.request(&peer, &fewer, true), (fewer.clone(), false));
        let back = map(&[("a", 2), ("b", 0), ("c", 0)]);
        assert_eq!(views.request(&peer, &back, true), (back.clone(), false));
        // After a failure, the whole map.
        views.forget(&peer);
        assert_eq!(views.request(&peer, &more, true), (more.clone(), false));
        // A peer that predates deltas gets whole maps from then on.
        views.answered(&peer, more.clone());
        views.refused_delta(&peer, true);
        views.answered(&peer, more.clone());
        assert_eq!(views.request(&peer, &more, true), (more, false));
    }
}
