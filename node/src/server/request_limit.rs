//! The rate limit on the public buyer-request form: at most
//! [`REQUESTS_PER_ADDRESS_MAX`] requests per client address (IPv6: its /64) in
//! [`REQUESTS_ADDRESS_WINDOW_MS`] and [`REQUESTS_PER_ADDRESS_DAY_MAX`] in
//! [`REQUESTS_ADDRESS_DAY_MS`], and at most [`REQUESTS_PER_MINUTE_MAX`] from
//! everyone together per minute. At most [`REQUEST_CLIENTS_TRACKED_MAX`]
//! addresses are remembered; beyond, the one whose day started first is
//! forgotten (and addresses whose day has passed are dropped on the way).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use telecenter_protocol::limits::{
    REQUEST_CLIENTS_TRACKED_MAX, REQUESTS_ADDRESS_DAY_MS, REQUESTS_ADDRESS_WINDOW_MS,
    REQUESTS_PER_ADDRESS_DAY_MAX, REQUESTS_PER_ADDRESS_MAX, REQUESTS_PER_MINUTE_MAX,
};

/// The global window, in ms.
const GLOBAL_WINDOW_MS: i64 = 60 * 1000;

/// One address group's two windows.
#[derive(Debug, Clone, Copy)]
struct Counts {
    /// Start of the short window and requests in it.
    window: (i64, u32),
    /// Start of the day window and requests in it.
    day: (i64, u32),
}

#[derive(Debug, Default)]
struct Windows {
    /// Per address group.
    clients: HashMap<Option<IpAddr>, Counts>,
    /// Everyone: (window start, requests in it).
    global: (i64, u32),
}

/// Counts buyer requests per address and in all.
#[derive(Debug, Default)]
pub struct RequestLimiter(Mutex<Windows>);

impl RequestLimiter {
    /// Counts one request from `ip` at `now_ms`; `false` if it is one too many
    /// (then nothing is counted).
    pub fn allow(&self, ip: Option<IpAddr>, now_ms: i64) -> bool {
        let key = ip.map(super::serve::address_group);
        let mut w = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if now_ms - w.global.0 >= GLOBAL_WINDOW_MS {
            w.global = (now_ms, 0);
        }
        if w.global.1 >= REQUESTS_PER_MINUTE_MAX {
            return false;
        }
        let counts = w.clients.get(&key).copied();
        let window = match counts.map(|c| c.window) {
            Some((start, count)) if now_ms - start < REQUESTS_ADDRESS_WINDOW_MS => {
                if count >= REQUESTS_PER_ADDRESS_MAX {
                    return false;
                }
                (start, count + 1)
            }
            _ => (now_ms, 1),
        };
        let day = match counts.map(|c| c.day) {
            Some((start, count)) if now_ms - start < REQUESTS_ADDRESS_DAY_MS => {
                if count >= REQUESTS_PER_ADDRESS_DAY_MAX {
                    return false;
                }
                (start, count + 1)
            }
            _ => (now_ms, 1),
        };
        let fresh = Counts { window, day };
        if counts.is_none() && w.clients.len() >= REQUEST_CLIENTS_TRACKED_MAX {
            w.clients
                .retain(|_, c| now_ms - c.day.0 < REQUESTS_ADDRESS_DAY_MS);
            if w.clients.len() >= REQUEST_CLIENTS_TRACKED_MAX
                && let Some(oldest) = w
                    .clients
                    .iter()
                    .min_by_key(|(_, c)| c.day.0)
                    .map(|(k, _)| *k)
            {
                w.clients.remove(&oldest);
            }
        }
        w.clients.insert(key, fresh);
        w.global.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_gets_its_share_and_everyone_a_global_cap() {
        let limiter = RequestLimiter::default();
        let a: IpAddr = "203.0.113.7".parse().unwrap();
        for _ in 0..REQUESTS_PER_ADDRESS_MAX {
            assert!(limiter.allow(Some(a), 0));
        }
        assert!(!limiter.allow(Some(a), 1_000));
        assert!(limiter.allow(Some(a), REQUESTS_ADDRESS_WINDOW_MS));
        // The same /64 counts as one address.
        let b1: IpAddr = "2001:db8::1".parse().unwrap();
        let b2: IpAddr = "2001:db8::2".parse().unwrap();
        let limiter = RequestLimiter::default();
        for i in 0..REQUESTS_PER_ADDRESS_MAX {
            assert!(limiter.allow(Some(if i % 2 == 0 { b1 } else { b2 }), 0));
        }
        assert!(!limiter.allow(Some(b2), 0));
        // Many addresses together stop at the global cap, and memory stays bounded.
        let limiter = RequestLimiter::default();
        let allowed = (0..1_000u32)
            .filter(|i| limiter.allow(Some(IpAddr::from(i.to_be_bytes())), 0))
            .count();
        assert_eq!(allowed, REQUESTS_PER_MINUTE_MAX as usize);
        for i in 0..(REQUEST_CLIENTS_TRACKED_MAX as u32 + 50) {
            limiter.allow(
                Some(IpAddr::from(i.to_be_bytes())),
                i64::from(i) * GLOBAL_WINDOW_MS,
            );
        }
        let held = limiter.0.lock().unwrap().clients.len();
        assert!(held <= REQUEST_CLIENTS_TRACKED_MAX);
    }

    /// Before, one address could send 5 requests every 10 minutes without end,
    /// 720 a day: enough to fill the 500 open requests by itself in 17 hours.
    #[test]
    fn one_address_cannot_fill_the_open_requests_over_hours() {
        let limiter = RequestLimiter::default();
        let a: IpAddr = "203.0.113.7".parse().unwrap();
        let allowed = (0..24 * 6)
            .flat_map(|window| {
                (0..REQUESTS_PER_ADDRESS_MAX).map(move |_| window * REQUESTS_ADDRESS_WINDOW_MS)
            })
            .filter(|&now| limiter.allow(Some(a), now))
            .count();
        assert_eq!(allowed, REQUESTS_PER_ADDRESS_DAY_MAX as usize);
        assert!((allowed as u64) < telecenter_protocol::limits::OPEN_REQUESTS_MAX);
        // Another address is not held back, and the next day this one may again.
        assert!(limiter.allow(Some("203.0.113.8".parse().unwrap()), 1_000));
        assert!(limiter.allow(Some(a), REQUESTS_ADDRESS_DAY_MS));
    }
}
