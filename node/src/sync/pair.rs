//! Delivery of pair messages (orders, settlements) directly between the two
//! centers of a pair, never through other nodes.
//!
//! One exchange is `POST /api/v1/pair/exchange` carrying this node's waiting
//! messages for the other center and its answers to messages received earlier;
//! the answer carries the other side's answers and *its* waiting messages for
//! this node. So a node behind NAT both delivers and collects over a connection
//! it opens itself. Messages stay in the durable outbox until the other side
//! answers them; they are idempotent (identified by body hash), so a message
//! sent twice is taken in once. Failures back off exponentially per counterpart.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use telecenter_protocol::CenterId;
use telecenter_protocol::order::SignedMessage;

use super::{BACKOFF_MAX, BACKOFF_MIN, REQUEST_TIMEOUT, SyncEngine, SyncError};
use crate::node::MessageResult;

/// The path of the pair exchange.
pub const PAIR_PATH: &str = "/api/v1/pair/exchange";
/// Most exchanges with one counterpart in one go (each moves up to 100 messages).
const EXCHANGES_PER_ROUND_MAX: usize = 20;

/// One direction of a pair exchange (request and answer have the same shape).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairExchange {
    /// Messages for the receiver.
    #[serde(default)]
    pub messages: Vec<SignedMessage>,
    /// Answers to messages the receiver sent before.
    #[serde(default)]
    pub results: Vec<MessageResult>,
}

/// What one round with a counterpart did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PairReport {
    /// The counterpart.
    pub center: Option<CenterId>,
    /// Messages delivered (answered by the other side).
    pub sent: u64,
    /// Messages received.
    pub received: u64,
}

impl SyncEngine {
    /// Exchanges pair messages with `center` until neither side has anything
    /// left to say (or the round limit is reached).
    pub async fn exchange_with(&self, center: &CenterId) -> Result<PairReport, SyncError> {
        let target = self
            .node
            .pair_url(center)?
            .ok_or(SyncError::NoUrl(*center))?;
        // A published address passes the address rules before any connection;
        // host names are checked again on every connect by the published client.
        let (url, client) = if target.published {
            let url = self.outgoing.check_published(&target.url).map_err(|e| {
                SyncError::AddressRefused {
                    url: target.url.clone(),
                    reason: e.to_string(),
                }
            })?;
            (url, &self.published)
        } else {
            (target.url, &self.client)
        };
        let mut report = PairReport {
            center: Some(*center),
            ..PairReport::default()
        };
        let mut answers: Vec<MessageResult> = Vec::new();
        for round in 0..EXCHANGES_PER_ROUND_MAX {
            let node = self.node.clone();
            let c = *center;
            let outgoing = crate::node::run_blocking(move || node.outbox_for(&c)).await?;
            let request = PairExchange {
                messages: outgoing.into_iter().map(|m| m.message).collect(),
                results: std::mem::take(&mut answers),
            };
            // The first exchange may be empty: it asks for the other side's news.
            let quiet = request.messages.is_empty() && request.results.is_empty();
            if quiet && round > 0 {
                break;
            }
            let response: PairExchange = self
                .post_to(
                    client,
                    center,
                    url.clone(),
                    PAIR_PATH,
                    &request,
                    REQUEST_TIMEOUT,
                    true,
                )
                .await?;
            report.sent += response
                .results
                .iter()
                .filter(|r| r.status != "later")
                .count() as u64;
            report.received += response.messages.len() as u64;
            let only_later = !response.results.is_empty()
                && response.results.iter().all(|r| r.status == "later");
            let node = self.node.clone();
            let c = *center;
            answers = crate::node::run_blocking(move || {
                node.pair_results(&c, &response.results)?;
                Ok(node.pair_receive(&c, response.messages))
            })
            .await?;
            if (quiet || only_later) && answers.is_empty() {
                break;
            }
        }
        Ok(report)
    }

    /// Runs one exchange with every counterpart worth talking to now: those with
    /// waiting messages, those with open orders or settlements, and every peer
    /// with an address (which may hold orders for this node).
    pub async fn exchange_all(&self) -> Vec<(CenterId, Result<PairReport, SyncError>)> {
        let targets = self.pair_targets(true);
        let mut out = Vec::new();
        for center in targets {
            let result = self.exchange_with(&center).await;
            if let Err(error) = &result {
                let _ = self.node.outbox_failed(&center, &error.to_string());
            }
            out.push((center, result));
        }
        out
    }

    fn pair_targets(&self, poll: bool) -> BTreeSet<CenterId> {
        let mut targets: BTreeSet<CenterId> = self
            .node
            .outbox_counterparts()
            .unwrap_or_default()
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        if poll {
            targets.extend(self.node.open_counterparts().unwrap_or_default());
            targets.extend(
                self.node
                    .peers()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|p| p.url.is_some())
                    .map(|p| p.center_id),
            );
        }
        targets
            .into_iter()
            .filter(|c| self.node.pair_url(c).ok().flatten().is_some())
            .collect()
    }

    /// The background delivery loop: exchanges at once when something is queued,
    /// polls every `interval_ms`, and backs off per counterpart after failures.
    pub(super) async fn pair_loop(self, interval_ms: u64) {
        let mut wake = self.node.subscribe_orders();
        let interval = Duration::from_millis(interval_ms.max(1_000));
        let mut backoff: HashMap<CenterId, (Duration, tokio::time::Instant)> = HashMap::new();
        let mut next_poll = tokio::time::Instant::now();
        loop {
            wake.mark_unchanged();
            let now = tokio::time::Instant::now();
            let poll = now >= next_poll;
            if poll {
                next_poll = now + interval;
            }
            for center in self.pair_targets(poll) {
                if backoff.get(&center).is_some_and(|(_, until)| *until > now) {
                    continue;
                }
                match self.exchange_with(&center).await {
                    Ok(_) => {
                        backoff.remove(&center);
                    }
                    Err(error) => {
                        tracing::info!(%center, %error, "order delivery failed; will retry");
                        let _ = self.node.outbox_failed(&center, &error.to_string());
                        let delay = backoff
                            .get(&center)
                            .map_or(BACKOFF_MIN, |(d, _)| (*d * 2).min(BACKOFF_MAX));
                        backoff.insert(center, (delay, tokio::time::Instant::now() + delay));
                    }
                }
            }
            let mut wake_at = next_poll;
            for (_, until) in backoff.values() {
                if *until > tokio::time::Instant::now() {
                    wake_at = wake_at.min(*until);
                }
            }
            tokio::select! {
                _ = wake.changed() => {}
                () = tokio::time::sleep_until(wake_at) => {}
            }
        }
    }
}
