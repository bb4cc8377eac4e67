//! Carrying sealed mail between nodes: `POST /api/v1/mail/exchange` on
//! connections this node opens.
//!
//! - With every peer that has an address, a mail loop keeps a long poll open
//!   (collecting mail for this node and for centers it routes to) and hands over
//!   at once whatever mail that peer may carry, so a node behind NAT both sends
//!   and receives within seconds.
//! - A center that is not a peer but published an address it may use gets its
//!   mail handed over directly (the preferred route); if that fails, the mail
//!   goes through peers that advertised a route to it.
//! - A peer without an address collects its mail itself by polling this node.
//! - The delivery loop seals this node's waiting pair messages for their
//!   recipient when they are new, and again when no answer came in time.
//!
//! The outbox keeps each message until the recipient's own signed answer comes
//! back inside mail it sealed; a relay's receipt only moves the mail on.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use serde::Serialize;
use telecenter_protocol::CenterId;
use telecenter_protocol::sealed::{MailExchange, Receipt, ReceiptStatus};

use super::backoff::{BACKOFF_MIN, Backoff};
use super::transport::Reach;
use super::{REQUEST_TIMEOUT, SyncEngine, SyncError};
use crate::node::run_blocking as blocking;
pub use crate::node::{MAIL_PATH, MAIL_WAIT_MS_MAX, PairExchange};

/// Most exchanges with one center in one go.
const EXCHANGES_PER_ROUND_MAX: usize = 20;
/// Pause after a peer answered 429 (over its request rate).
const RATE_LIMITED_PAUSE: Duration = Duration::from_millis(250);
/// How often the delivery loop looks for messages to seal again.
const SEAL_TICK: Duration = Duration::from_secs(5);

/// What one delivery round with a center did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PairReport {
    /// The center talked to.
    pub center: Option<CenterId>,
    /// Mails it took from this node.
    pub sent: u64,
    /// Mails this node took from it.
    pub received: u64,
}

impl SyncEngine {
    /// The address and client for `center`: its peer address (the operator's
    /// choice), else a published address that passes the address rules.
    fn mail_target(&self, center: &CenterId) -> Result<(String, Reach), SyncError> {
        let target = self
            .node
            .pair_url(center)?
            .ok_or(SyncError::NoUrl(*center))?;
        if target.published {
            // Host names are checked again on every connect by the published client.
            let url = self.outgoing.check_published(&target.url).map_err(|e| {
                SyncError::AddressRefused {
                    url: target.url.clone(),
                    reason: e.to_string(),
                }
            })?;
            Ok((url, Reach::Published))
        } else {
            Ok((target.url, Reach::Peer))
        }
    }

    /// One mail exchange with `center`: hands over the mail it may carry and
    /// `receipts` for mail it handed this node, collects what it holds for this
    /// node (waiting up to `wait_ms` for some), and returns this node's receipts
    /// for what it collected.
    async fn mail_once(
        &self,
        center: &CenterId,
        wait_ms: u32,
        receipts: Vec<Receipt>,
    ) -> Result<(PairReport, Vec<Receipt>), SyncError> {
        let (url, reach) = self.mail_target(center)?;
        let node = self.node.clone();
        let c = *center;
        let known = lock_map(&self.routes_seen).get(center).cloned();
        let mut request =
            blocking(move || node.exchange_out(&c, receipts, known.as_deref())).await?;
        // Receipts ride on the next long poll; mail to hand over is answered at once.
        let wait_ms = if request.mail.is_empty() {
            wait_ms.min(MAIL_WAIT_MS_MAX)
        } else {
            0
        };
        request.wait_ms = (wait_ms > 0).then_some(wait_ms);
        tracing::debug!(%center, mail = request.mail.len(), receipts = request.receipts.len(), wait_ms, "mail exchange");
        let timeout = REQUEST_TIMEOUT + Duration::from_millis(u64::from(wait_ms));
        let answer: MailExchange = self
            .post_to(reach, center, url, MAIL_PATH, &request, timeout, true)
            .await?;
        match &answer.have_routes {
            Some(seen) => lock_map(&self.routes_seen).insert(*center, seen.clone()),
            None => lock_map(&self.routes_seen).remove(center),
        };
        tracing::debug!(%center, mail = answer.mail.len(), receipts = answer.receipts.len(), "mail exchange answered");
        let report = PairReport {
            center: Some(*center),
            sent: answer
                .receipts
                .iter()
                .filter(|r| r.status == ReceiptStatus::Taken)
                .count() as u64,
            received: answer.mail.len() as u64,
        };
        let node = self.node.clone();
        let c = *center;
        let mine = blocking(move || {
            node.mark_unreachable(&c, None);
            node.exchange_in(&c, answer)
        })
        .await?;
        Ok((report, mine))
    }

    /// Exchanges mail with `center` until neither side has anything to hand over.
    pub async fn exchange_with(&self, center: &CenterId) -> Result<PairReport, SyncError> {
        let mut total = PairReport {
            center: Some(*center),
            ..PairReport::default()
        };
        let mut receipts = Vec::new();
        for _ in 0..EXCHANGES_PER_ROUND_MAX {
            let (report, mine) = self.mail_once(center, 0, receipts).await?;
            total.sent += report.sent;
            total.received += report.received;
            receipts = mine;
            if report.sent == 0 && report.received == 0 && receipts.is_empty() {
                break;
            }
        }
        Ok(total)
    }

    /// Seals every waiting message now and runs one exchange with every center
    /// worth talking to: peers with an address, and centers with waiting mail or
    /// open orders that have an address this node may use.
    pub async fn exchange_all(&self) -> Vec<(CenterId, Result<PairReport, SyncError>)> {
        let node = self.node.clone();
        let _ = blocking(move || {
            for (center, _) in node.outbox_counterparts()? {
                node.seal_outbox(&center, true)?;
            }
            Ok(())
        })
        .await;
        let mut out = Vec::new();
        for center in self.mail_targets(true) {
            let result = self.exchange_with(&center).await;
            if let Err(error) = &result {
                self.direct_failed(&center, error, BACKOFF_MIN);
            }
            out.push((center, result));
        }
        out
    }

    /// Centers to talk to directly: peers with an address (with `peers`), and
    /// centers with an address this node may use that it holds mail for or has
    /// open orders with.
    fn mail_targets(&self, peers: bool) -> BTreeSet<CenterId> {
        let node = &self.node;
        let peer_rows = node.peers().unwrap_or_default();
        let mut targets: BTreeSet<CenterId> = node
            .mail_recipients()
            .unwrap_or_default()
            .into_iter()
            .collect();
        targets.extend(node.open_counterparts().unwrap_or_default());
        targets.extend(
            node.outbox_counterparts()
                .unwrap_or_default()
                .into_iter()
                .map(|(c, _)| c),
        );
        // A published address the address rules refuse is still tried, so the
        // refusal is recorded where the operator sees it; relays carry the mail.
        targets.retain(|c| {
            !peer_rows.iter().any(|p| p.center_id == *c)
                && node.pair_url(c).ok().flatten().is_some()
        });
        if peers {
            targets.extend(
                peer_rows
                    .iter()
                    .filter(|p| p.url.is_some())
                    .map(|p| p.center_id),
            );
        }
        targets
    }

    fn direct_failed(&self, center: &CenterId, error: &SyncError, delay: Duration) {
        tracing::info!(%center, %error, "mail exchange failed; will retry");
        let until = self
            .node
            .clock()
            .now_ms()
            .saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
        self.node.mark_unreachable(center, Some(until));
        let _ = self.node.outbox_failed(center, &error.to_string());
    }

    /// The mail loop with one peer that has an address: long-polls it, and
    /// hands over at once whatever mail it may carry.
    pub(super) async fn mail_peer_loop(&self, center: CenterId) {
        let mut wake = self.node.subscribe_mail();
        let mut catalogs = self.node.subscribe();
        let mut backoff = Backoff::default();
        let mut receipts: Vec<Receipt> = Vec::new();
        loop {
            if !self
                .node
                .peers()
                .unwrap_or_default()
                .iter()
                .any(|p| p.center_id == center && p.url.is_some())
            {
                return;
            }
            wake.mark_unchanged();
            catalogs.mark_unchanged();
            let node = self.node.clone();
            let routes_before = blocking(move || node.advert_digest_for(&center)).await.ok();
            // A mail this peer said `later` to is offered again when its wait ends.
            let wait_ms = self
                .node
                .next_offer_ms(&center)
                .map_or(MAIL_WAIT_MS_MAX, |at| {
                    let ms = at
                        .saturating_sub(self.node.clock().now_ms())
                        .clamp(1, i64::from(MAIL_WAIT_MS_MAX));
                    u32::try_from(ms).unwrap_or(MAIL_WAIT_MS_MAX)
                });
            let exchange = self.mail_once(&center, wait_ms, std::mem::take(&mut receipts));
            tokio::pin!(exchange);
            let result = loop {
                tokio::select! {
                    result = &mut exchange => break Some(result),
                    // A change of what this node accepts changes its routes too.
                    _ = catalogs.changed() => {
                        let node = self.node.clone();
                        let routes_now = blocking(move || node.advert_digest_for(&center)).await.ok();
                        if routes_now != routes_before {
                            break None;
                        }
                    }
                    changed = wake.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        // New mail this peer may carry, or new routes to tell it: give
                        // up the long poll (what it would have answered is offered
                        // again) and hand them over now.
                        let node = self.node.clone();
                        let (has_mail, routes_now) = blocking(move || {
                            Ok((
                                node.has_mail_for(&center)?,
                                node.advert_digest_for(&center).ok(),
                            ))
                        })
                        .await
                        .unwrap_or((false, None));
                        if has_mail || routes_now != routes_before {
                            break None;
                        }
                    }
                }
            };
            match result {
                None => {}
                Some(Ok((_, mine))) => {
                    backoff.succeeded();
                    receipts = mine;
                }
                // Over the peer's request rate: its allowance refills within a
                // second, so pause briefly (a wake does not cut it short) and do
                // not back off further.
                Some(Err(SyncError::Refused { status: 429, .. })) => {
                    tokio::time::sleep(RATE_LIMITED_PAUSE).await;
                }
                Some(Err(error)) => {
                    let delay = backoff.failed();
                    self.direct_failed(&center, &error, delay);
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        _ = wake.changed() => {}
                    }
                }
            }
        }
    }

    /// The delivery loop: seals waiting messages when they are new or their
    /// answer is overdue, drops expired mail, and exchanges directly with
    /// centers that are not peers but have an address (at once when there is
    /// mail for them, every `interval_ms` when there are open orders).
    pub(super) async fn pair_loop(self, interval_ms: u64) {
        let mut orders = self.node.subscribe_orders();
        let mut mail = self.node.subscribe_mail();
        let interval = Duration::from_millis(interval_ms.max(1_000));
        let mut backoff: HashMap<CenterId, (Backoff, tokio::time::Instant)> = HashMap::new();
        let mut next_poll = tokio::time::Instant::now();
        let mut next_expiry = tokio::time::Instant::now();
        loop {
            orders.mark_unchanged();
            mail.mark_unchanged();
            let node = self.node.clone();
            let now = tokio::time::Instant::now();
            let expire = now >= next_expiry;
            if expire {
                next_expiry = now + Duration::from_secs(3600);
            }
            let sealed = blocking(move || {
                if expire {
                    node.expire_mail()?;
                }
                node.seal_all()
            })
            .await;
            if let Err(error) = sealed {
                tracing::error!(%error, "sealing waiting messages failed");
            }
            let poll = now >= next_poll;
            if poll {
                next_poll = now + interval;
            }
            let held: BTreeSet<CenterId> = self
                .node
                .mail_recipients()
                .unwrap_or_default()
                .into_iter()
                .collect();
            for center in self.mail_targets(false) {
                if !poll && !held.contains(&center) {
                    continue;
                }
                if backoff.get(&center).is_some_and(|(_, until)| *until > now) {
                    continue;
                }
                match self.exchange_with(&center).await {
                    Ok(_) => {
                        backoff.remove(&center);
                    }
                    Err(error) => {
                        let (delays, until) = backoff
                            .entry(center)
                            .or_insert((Backoff::default(), tokio::time::Instant::now()));
                        let delay = delays.failed();
                        self.direct_failed(&center, &error, delay);
                        *until = tokio::time::Instant::now() + delay;
                    }
                }
            }
            let mut wake_at = next_poll.min(tokio::time::Instant::now() + SEAL_TICK);
            if let Some(due) = self.node.next_seal_due_ms() {
                let wait = due.saturating_sub(self.node.clock().now_ms()).max(0);
                let wait = Duration::from_millis(u64::try_from(wait).unwrap_or(0));
                wake_at = wake_at.min(tokio::time::Instant::now() + wait);
            }
            for (_, until) in backoff.values() {
                if *until > tokio::time::Instant::now() {
                    wake_at = wake_at.min(*until);
                }
            }
            tokio::select! {
                _ = orders.changed() => {}
                _ = mail.changed() => {}
                () = tokio::time::sleep_until(wake_at) => {}
            }
        }
    }
}

fn lock_map<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
