//! The rate of pair messages and mail taken in per sender (for orders and mail):
//! fixed one-minute windows of the node's clock, for a bounded number of senders.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use telecenter_protocol::CenterId;
use telecenter_protocol::limits::{
    PAIR_MESSAGES_PER_CENTER_PER_MINUTE_MAX, PAIR_SENDERS_TRACKED_MAX,
};

/// One minute, in ms: the window of [`PAIR_MESSAGES_PER_CENTER_PER_MINUTE_MAX`].
const MINUTE_MS: i64 = 60 * 1000;

/// How many pair messages each sender had taken in during the current minute
/// (fixed windows of the node's clock), for at most [`PAIR_SENDERS_TRACKED_MAX`]
/// senders at once.
#[derive(Debug)]
pub(crate) struct PairRate {
    windows: Mutex<HashMap<CenterId, (i64, u32)>>,
    per_minute: u32,
}

impl Default for PairRate {
    fn default() -> Self {
        Self::new(PAIR_MESSAGES_PER_CENTER_PER_MINUTE_MAX)
    }
}

impl PairRate {
    /// A limit of `per_minute` per sender.
    pub(crate) fn new(per_minute: u32) -> Self {
        Self {
            windows: Mutex::default(),
            per_minute,
        }
    }

    /// Counts one message from `from` at `now_ms`; false when `from` is over its
    /// rate (or, with every tracked sender busy this minute, when it is new).
    pub(crate) fn admit(&self, from: &CenterId, now_ms: i64) -> bool {
        let minute = now_ms.div_euclid(MINUTE_MS);
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if !windows.contains_key(from) && windows.len() >= PAIR_SENDERS_TRACKED_MAX {
            windows.retain(|_, (at, _)| *at == minute);
            if windows.len() >= PAIR_SENDERS_TRACKED_MAX {
                return false;
            }
        }
        let window = windows.entry(*from).or_insert((minute, 0));
        if window.0 != minute {
            *window = (minute, 0);
        }
        if window.1 >= self.per_minute {
            return false;
        }
        window.1 += 1;
        true
    }
}
