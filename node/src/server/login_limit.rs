//! The limit on wrong operator passwords, and the threads that check them.
//!
//! Wrong passwords are counted per client address (IPv6 per /64; behind a reverse
//! proxy on the same computer, the address the proxy names): the first
//! [`FREE_FAILURES`] cost nothing, then each wrong password doubles the wait before
//! the next try from that address (1 s, 2 s, 4 s, ... up to [`BACKOFF_MAX_MS`]). So a
//! stranger guessing passwords never locks out the operator, who logs in from
//! another address. A right password clears the address's count. Wrong passwords
//! from a whole IPv6 /48 are counted too ([`FREE_FAILURES_PER_NETWORK`] free), so
//! hopping between /64s gains little.
//!
//! Password checks (argon2 is costly on purpose: tens of ms and ~19 MiB each) run
//! on two threads of their own, one check each at a time ([`VERIFICATIONS_AT_ONCE`]),
//! so their memory stays with those two threads. One of them serves only *known*
//! clients: the telecenter's own network (loopback, private, link-local and ULA
//! addresses) and addresses that logged in before; everyone else queues for the
//! other (waiting at most [`CHECK_WAIT_MS`]). A flood of guesses from strangers
//! therefore never keeps the operator from logging in.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use super::session::OperatorState;

/// Wrong passwords from one address before the back-off starts.
pub const FREE_FAILURES: u32 = 5;
/// Longest wait imposed on an address after wrong passwords, in ms.
pub const BACKOFF_MAX_MS: i64 = 15 * 60 * 1000;
/// An address's count is forgotten after this long without a wrong password, in ms.
const FORGET_AFTER_MS: i64 = 60 * 60 * 1000;
/// Most addresses remembered; beyond, the one quiet longest is forgotten.
const CLIENTS_MAX: usize = 10_000;
/// Password checks running at once (one for known clients, one for anyone).
pub const VERIFICATIONS_AT_ONCE: usize = 2;
/// Wrong passwords from one IPv6 /48 before the back-off starts for all of it.
pub const FREE_FAILURES_PER_NETWORK: u32 = 50;
/// Longest wait for a password check's turn, in ms; beyond, "too many".
pub const CHECK_WAIT_MS: u64 = 10_000;
/// Addresses (IPv6: /64s) remembered as known after a right password.
const KNOWN_MAX: usize = 256;
/// How long an address stays known after its last right password, in ms.
const KNOWN_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// What wrong passwords are counted against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Counted {
    /// One client address (IPv6: its /64); `None` for in-process callers.
    Address(Option<IpAddr>),
    /// A whole IPv6 /48.
    Network(IpAddr),
}

impl Counted {
    /// What a wrong password from `ip` counts against, with the free failures of each.
    fn of(ip: Option<IpAddr>) -> Vec<(Self, u32)> {
        let address = ip.map(crate::server::serve::address_group);
        let mut keys = vec![(Self::Address(address), FREE_FAILURES)];
        if let Some(IpAddr::V6(v6)) = address {
            let mut segments = v6.segments();
            segments[3..].fill(0);
            keys.push((
                Self::Network(IpAddr::from(segments)),
                FREE_FAILURES_PER_NETWORK,
            ));
        }
        keys
    }
}

/// Whether `ip` is on the telecenter's own network (or this computer).
fn on_own_network(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// A password check for one of the checking threads.
struct Job {
    operator: Arc<OperatorState>,
    password: String,
    answer: tokio::sync::oneshot::Sender<bool>,
}

/// One checking thread, started on first use, and its turn.
struct Lane {
    turn: Arc<tokio::sync::Semaphore>,
    jobs: Mutex<Option<std::sync::mpsc::Sender<Job>>>,
    name: &'static str,
}

impl Lane {
    fn new(name: &'static str) -> Self {
        Self {
            turn: Arc::new(tokio::sync::Semaphore::new(1)),
            jobs: Mutex::default(),
            name,
        }
    }

    /// Checks `password` on this lane's thread, waiting for the turn at most
    /// [`CHECK_WAIT_MS`]; `None` when the turn did not come or the thread is gone.
    async fn check(&self, operator: Arc<OperatorState>, password: String) -> Option<bool> {
        let wait = std::time::Duration::from_millis(CHECK_WAIT_MS);
        let _turn = tokio::time::timeout(wait, self.turn.clone().acquire_owned())
            .await
            .ok()?
            .ok()?;
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job = Job {
            operator,
            password,
            answer,
        };
        self.sender()?.send(job).ok()?;
        answered.await.ok()
    }

    /// The thread's queue, starting the thread if needed. The thread ends when
    /// the lane is dropped (its queue closes).
    fn sender(&self) -> Option<std::sync::mpsc::Sender<Job>> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if jobs.is_none() {
            let (send, receive) = std::sync::mpsc::channel::<Job>();
            std::thread::Builder::new()
                .name(self.name.to_owned())
                .spawn(move || {
                    while let Ok(job) = receive.recv() {
                        let ok = job.operator.password_matches(&job.password);
                        let _ = job.answer.send(ok);
                    }
                })
                .ok()?;
            *jobs = Some(send);
        }
        jobs.clone()
    }
}

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    last_ms: i64,
    blocked_until_ms: i64,
}

/// Wrong passwords per client address, known addresses, and the checking lanes.
pub struct LoginLimiter {
    clients: Mutex<HashMap<Counted, Failures>>,
    /// Addresses (IPv6: /64s) that logged in, with the time of the last login.
    known: Mutex<HashMap<Option<IpAddr>, i64>>,
    /// `[known clients, anyone]`.
    lanes: [Lane; VERIFICATIONS_AT_ONCE],
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self {
            clients: Mutex::default(),
            known: Mutex::default(),
            lanes: [
                Lane::new("telecenter-password-known"),
                Lane::new("telecenter-password"),
            ],
        }
    }
}

impl LoginLimiter {
    /// `Err(ms to wait)` while `ip` (or its network) must wait before its next try.
    pub(crate) fn check(&self, ip: Option<IpAddr>, now_ms: i64) -> Result<(), i64> {
        let clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        let wait_ms = Counted::of(ip)
            .iter()
            .filter_map(|(key, _)| clients.get(key))
            .map(|f| f.blocked_until_ms - now_ms)
            .max()
            .unwrap_or(0);
        if wait_ms > 0 { Err(wait_ms) } else { Ok(()) }
    }

    /// Checks `password` for a client at `ip`: on the known clients' lane when
    /// `ip` is known, else on everyone's. `None` when no turn came in time.
    pub(crate) async fn check_password(
        &self,
        ip: Option<IpAddr>,
        now_ms: i64,
        operator: Arc<OperatorState>,
        password: String,
    ) -> Option<bool> {
        let lane = if self.is_known(ip, now_ms) { 0 } else { 1 };
        self.lanes[lane].check(operator, password).await
    }

    /// Whether `ip` is on the telecenter's own network or logged in before.
    fn is_known(&self, ip: Option<IpAddr>, now_ms: i64) -> bool {
        let Some(address) = ip else {
            return true;
        };
        on_own_network(address)
            || self
                .known
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&Some(crate::server::serve::address_group(address)))
                .is_some_and(|at| now_ms - at < KNOWN_MS)
    }

    /// Counts a wrong password from `ip`.
    pub(crate) fn failed(&self, ip: Option<IpAddr>, now_ms: i64) {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        for (key, free) in Counted::of(ip) {
            Self::count(&mut clients, key, free, now_ms);
        }
    }

    fn count(clients: &mut HashMap<Counted, Failures>, key: Counted, free: u32, now_ms: i64) {
        if clients.len() >= CLIENTS_MAX && !clients.contains_key(&key) {
            clients
                .retain(|_, f| now_ms - f.last_ms < FORGET_AFTER_MS || f.blocked_until_ms > now_ms);
            if clients.len() >= CLIENTS_MAX
                && let Some(oldest) = clients
                    .iter()
                    .min_by_key(|(_, f)| f.last_ms)
                    .map(|(k, _)| *k)
            {
                clients.remove(&oldest);
            }
        }
        let entry = clients.entry(key).or_insert(Failures {
            count: 0,
            last_ms: now_ms,
            blocked_until_ms: 0,
        });
        if now_ms - entry.last_ms >= FORGET_AFTER_MS {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last_ms = now_ms;
        if entry.count > free {
            let doublings = (entry.count - free - 1).min(20);
            entry.blocked_until_ms = now_ms + (1_000i64 << doublings).min(BACKOFF_MAX_MS);
        }
    }

    /// A right password from `ip`: its own count is cleared (its network's is
    /// not) and it is known from now on.
    pub(crate) fn succeeded(&self, ip: Option<IpAddr>, now_ms: i64) {
        let address = ip.map(crate::server::serve::address_group);
        self.clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&Counted::Address(address));
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() >= KNOWN_MAX
            && !known.contains_key(&address)
            && let Some(oldest) = known.iter().min_by_key(|(_, at)| **at).map(|(k, _)| *k)
        {
            known.remove(&oldest);
        }
        known.insert(address, now_ms);
    }
}
