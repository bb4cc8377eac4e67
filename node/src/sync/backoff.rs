//! The one back-off rule of the sync client: after a failure wait
//! [`BACKOFF_MIN`], doubling with each further failure up to [`BACKOFF_MAX`];
//! a success starts over. (The loops that use it also wake on news, so a
//! retry-a-future crate such as `backon` does not fit them; this type does.)

use std::time::Duration;

/// First retry delay after a failure.
pub const BACKOFF_MIN: Duration = Duration::from_secs(1);
/// Longest retry delay.
pub const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// The delay before the next retry of one peer.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: BACKOFF_MIN }
    }
}

impl Backoff {
    /// How long to wait after this failure; the next failure waits twice as long.
    pub fn failed(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(BACKOFF_MAX);
        delay
    }

    /// A success: the next failure waits [`BACKOFF_MIN`] again.
    pub fn succeeded(&mut self) {
        self.next = BACKOFF_MIN;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_a_success_starts_over() {
        let mut backoff = Backoff::default();
        let delays: Vec<u64> = (0..11).map(|_| backoff.failed().as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        backoff.succeeded();
        assert_eq!(backoff.failed(), BACKOFF_MIN);
    }
}
