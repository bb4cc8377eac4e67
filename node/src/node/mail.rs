//! Sealed mail on a node: sealing its own pair messages for their recipient,
//! taking mail handed over by other nodes (opening what is for this center,
//! holding what it relays), choosing which mail to hand to whom, and the
//! bounds on all of it.
//!
//! Pair messages (section 11 of the protocol) travel inside sealed mail
//! ([`telecenter_protocol::sealed`]): a bundle `{"messages", "results"}` encrypted
//! to the other center and signed by the sender. The outbox keeps a message
//! until the other center's own answer (a `result` inside mail it sealed)
//! arrives, never on a relay's receipt; messages are idempotent by id, so a
//! copy arriving by two paths, or sealed again after a loss, is taken in once.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use telecenter_protocol::CenterId;
use telecenter_protocol::limits::PAIR_BATCH_MESSAGES_MAX;
use telecenter_protocol::sealed::{Receipt, ReceiptStatus, SEALED_PLAINTEXT_MAX, SealedMail};
use tokio::sync::watch;

use super::rate::PairRate;
use super::routes::Routes;
use super::{Node, NodeError, TrustState, lock};
use crate::store::{MailKind, MailUse};

/// The path of the mail exchange.
pub const MAIL_PATH: &str = "/api/v1/mail/exchange";
/// Mail older than this (by its date) is dropped by every node that holds it.
pub const MAIL_EXPIRY_MS: i64 = 14 * 24 * 60 * 60 * 1000;
/// Mail dated more than this after the receiver's clock waits (`later`).
pub const MAIL_AHEAD_MS_MAX: i64 = 5 * 60 * 1000;
/// Most mails in one exchange body.
pub const MAIL_BATCH_MAX: usize = 64;
/// Most bytes of mail (as counted by [`SealedMail::size`]) handed over in one body.
pub const MAIL_BATCH_BYTES_MAX: u64 = 2 * 1024 * 1024;
/// Most receipts in one exchange body.
pub const RECEIPTS_MAX: usize = 256;
/// Longest long poll, in ms.
pub const MAIL_WAIT_MS_MAX: u32 = 25_000;
/// Relayed mail held from one sender for one recipient.
pub const MAILBOX_PER_PAIR: MailUse = MailUse {
    count: 100,
    bytes: 4 * 1024 * 1024,
};
/// Relayed mail held for one recipient.
pub const MAILBOX_PER_RECIPIENT: MailUse = MailUse {
    count: 1_000,
    bytes: 32 * 1024 * 1024,
};
/// Relayed mail held from one sender.
pub const MAILBOX_PER_SENDER: MailUse = MailUse {
    count: 1_000,
    bytes: 32 * 1024 * 1024,
};
/// Relayed mail held in all.
pub const MAILBOX_TOTAL: MailUse = MailUse {
    count: 20_000,
    bytes: 512 * 1024 * 1024,
};
/// Mails a node takes from one sender per minute, for itself and (counted
/// apart) to carry on (beyond: `later`, `too_fast`).
pub const RELAY_PER_SENDER_PER_MINUTE: u32 = 600;
/// First wait before sealing unanswered messages again; doubles up to [`RESEND_MAX_MS`].
pub const RESEND_FIRST_MS: i64 = 60 * 1000;
/// First wait before sealing again messages the other center answered `later`.
pub const LATER_RESEND_FIRST_MS: i64 = 1000;
/// Longest wait between two sealings of the same unanswered messages.
pub const RESEND_MAX_MS: i64 = 30 * 60 * 1000;
/// A hop that answered `later` is not offered that mail again for this long.
const DEFER_LATER_MS: i64 = 5 * 1000;
/// A hop that refused a mail it was not the recipient of is not offered it again for this long.
const DEFER_REFUSED_MS: i64 = 10 * 60 * 1000;
/// A peer without an address that has not collected its mail for this long
/// lets other routes carry it.
const POLLER_QUIET_MS: i64 = 2 * 60 * 1000;
/// How long a receipt for an offered mail is taken.
const OFFER_HELD_MS: i64 = 10 * 60 * 1000;
/// Most deferrals (and offers) remembered.
const DEFERRED_MAX: usize = 100_000;
/// Said on outbox rows whose messages found no answer within the expiry.
pub const NOT_DELIVERED_NOTE: &str =
    "not delivered within 14 days; the other center's node may be gone: ask its operator";

pub use telecenter_protocol::pair::PairExchange;

#[derive(Debug)]
struct Sealed {
    hashes: BTreeSet<String>,
    at_ms: i64,
    interval_ms: i64,
}

/// The node's in-memory mail state.
#[derive(Debug)]
pub(crate) struct MailState {
    changed: watch::Sender<u64>,
    pub(crate) routes: Mutex<Routes>,
    relay_rate: PairRate,
    inbox_rate: PairRate,
    deferred: Mutex<HashMap<(String, CenterId), i64>>,
    /// Mail offered to a hop (and when), whose receipts this node takes.
    offered: Mutex<HashMap<(String, CenterId), i64>>,
    sealed: Mutex<HashMap<CenterId, Sealed>>,
    /// Centers whose own address failed lately, until when.
    unreachable: Mutex<HashMap<CenterId, i64>>,
}

impl Default for MailState {
    fn default() -> Self {
        Self {
            changed: watch::channel(0).0,
            routes: Mutex::default(),
            relay_rate: PairRate::new(RELAY_PER_SENDER_PER_MINUTE),
            inbox_rate: PairRate::new(RELAY_PER_SENDER_PER_MINUTE),
            deferred: Mutex::default(),
            offered: Mutex::default(),
            sealed: Mutex::default(),
            unreachable: Mutex::default(),
        }
    }
}

/// The node's injected random source where a cryptographic generator is
/// required. `Node::create`/`Node::open` take a cryptographically secure source:
/// the operating system's generator in a running node (`DataDir` passes
/// `OsRng`), a seeded ChaCha generator in tests.
struct Injected<'a>(&'a mut (dyn rand::RngCore + Send));

impl rand::RngCore for Injected<'_> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.0.try_fill_bytes(dest)
    }
}

impl rand::CryptoRng for Injected<'_> {}

fn over(held: MailUse, size: u64, quota: MailUse) -> bool {
    held.count >= quota.count || held.bytes.saturating_add(size) > quota.bytes
}

impl Node {
    /// A receiver that sees a new value whenever mail is stored or handed on.
    pub fn subscribe_mail(&self) -> watch::Receiver<u64> {
        self.mail.changed.subscribe()
    }

    fn mail_written(&self) {
        self.mail.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    fn seal(
        &self,
        to: &CenterId,
        bundle: &PairExchange,
    ) -> Result<(String, SealedMail), NodeError> {
        let plaintext =
            serde_json::to_vec(bundle).map_err(|e| NodeError::Internal(e.to_string()))?;
        // Ephemeral HPKE keys come from the node's injected random source.
        let mail = SealedMail::seal(
            &self.identity,
            to,
            self.clock.now_ms(),
            &plaintext,
            &mut Injected(lock(&self.random).as_mut()),
        )
        .map_err(|e| NodeError::Internal(format!("cannot seal mail for {to}: {e}")))?;
        let id = mail
            .verify()
            .map_err(|e| NodeError::Internal(e.to_string()))?;
        Ok((id, mail))
    }

    /// Seals this node's waiting messages for `to` when some were never sealed,
    /// or the last sealing is unanswered for longer than the resend interval (or
    /// `now` is set); the new mail replaces the older sealed mail for `to`.
    /// Returns how many mails were sealed.
    pub fn seal_outbox(&self, to: &CenterId, now: bool) -> Result<usize, NodeError> {
        let at = self.clock.now_ms();
        let outbox = self.outbox_for(to)?;
        let hashes: BTreeSet<String> = outbox.iter().map(|r| r.hash.clone()).collect();
        {
            let mut sealed = lock(&self.mail.sealed);
            if hashes.is_empty() {
                sealed.remove(to);
                return Ok(0);
            }
            let interval_ms = match sealed.get(to) {
                Some(last) if hashes.is_subset(&last.hashes) => {
                    // A clock set back (it ran ahead, and the operator fixed it)
                    // must not hold the resend until it catches up again.
                    let clock_went_back = at < last.at_ms;
                    if !now && !clock_went_back && at < last.at_ms.saturating_add(last.interval_ms)
                    {
                        return Ok(0);
                    }
                    last.interval_ms.saturating_mul(2).min(RESEND_MAX_MS)
                }
                _ => RESEND_FIRST_MS,
            };
            sealed.insert(
                *to,
                Sealed {
                    hashes,
                    at_ms: at,
                    interval_ms,
                },
            );
        }
        // Messages in order, as many to a mail as fit.
        let mut bundles = vec![PairExchange::default()];
        let mut bytes = 64;
        for row in outbox {
            let len = serde_json::to_vec(&row.message)
                .map_err(|e| NodeError::Internal(e.to_string()))?
                .len()
                + 1;
            if bytes + len > SEALED_PLAINTEXT_MAX - 64 {
                bundles.push(PairExchange::default());
                bytes = 64;
            }
            bytes += len;
            if let Some(last) = bundles.last_mut() {
                last.messages.push(row.message);
            }
        }
        let mails = bundles
            .iter()
            .map(|bundle| self.seal(to, bundle))
            .collect::<Result<Vec<_>, _>>()?;
        tracing::debug!(%to, mails = mails.len(), "sealed waiting messages");
        lock(&self.writer)
            .store
            .mail_replace_outbox(to, &mails, at)?;
        self.mail_written();
        Ok(mails.len())
    }

    /// The other center answered `later` to some of this node's messages (a
    /// step that overtook the answer it builds on, a sender over its rate):
    /// seal them again after [`LATER_RESEND_FIRST_MS`], doubling while the
    /// answer stays `later`, instead of after the usual resend interval.
    pub(crate) fn resend_soon(&self, to: &CenterId) {
        if let Some(last) = lock(&self.mail.sealed).get_mut(to) {
            last.interval_ms = last.interval_ms.min(LATER_RESEND_FIRST_MS);
        }
    }

    /// When the next sealing of unanswered messages is due (ms since the epoch),
    /// after a round of [`Node::seal_all`].
    pub fn next_seal_due_ms(&self) -> Option<i64> {
        let now = self.clock.now_ms();
        lock(&self.mail.sealed)
            .values()
            .map(|s| s.at_ms.saturating_add(s.interval_ms))
            .filter(|due| *due > now)
            .min()
    }

    /// Seals what waits for every counterpart (see [`Node::seal_outbox`]) and
    /// forgets the sealing times of counterparts with nothing waiting.
    pub fn seal_all(&self) -> Result<(), NodeError> {
        let waiting = self.outbox_counterparts()?;
        lock(&self.mail.sealed).retain(|c, _| waiting.iter().any(|(w, _)| w == c));
        for (center, _) in waiting {
            self.seal_outbox(&center, false)?;
        }
        Ok(())
    }

    /// Forgets when this node last sealed for each center, so the next round
    /// seals everything waiting again.
    pub fn reseal_all(&self) {
        lock(&self.mail.sealed).clear();
    }

    /// Takes mail that `hop` handed over (a peer relaying, or a center sending
    /// directly, or collecting: it is the center that signed the request or
    /// answer). Returns one receipt per mail, in order.
    pub fn take_mail(&self, hop: &CenterId, mails: Vec<SealedMail>) -> Vec<Receipt> {
        let now = self.clock.now_ms();
        let hop_is_peer = matches!(lock(&self.reader).peer(hop), Ok(Some(_)));
        let mut receipts = Vec::with_capacity(mails.len().min(MAIL_BATCH_MAX));
        let mut stored = false;
        for mail in mails.into_iter().take(MAIL_BATCH_MAX) {
            let receipt = match self.take_one(hop, hop_is_peer, &mail, now) {
                Ok((receipt, wrote)) => {
                    stored |= wrote;
                    receipt
                }
                Err(error) => {
                    tracing::error!(%error, "mail could not be stored");
                    Receipt::later(
                        &mail.id_lossy(),
                        "internal",
                        "this node could not store the mail now".to_owned(),
                    )
                }
            };
            if receipt.status == ReceiptStatus::Refused {
                tracing::info!(%hop, code = ?receipt.code, message = ?receipt.message, "mail refused");
            }
            receipts.push(receipt);
        }
        if stored {
            self.mail_written();
        }
        receipts
    }

    fn take_one(
        &self,
        hop: &CenterId,
        hop_is_peer: bool,
        mail: &SealedMail,
        now: i64,
    ) -> Result<(Receipt, bool), NodeError> {
        let id = match mail.verify() {
            Ok(id) => id,
            Err(e) => {
                return Ok((
                    Receipt::refused(&mail.id_lossy(), e.code(), e.to_string()),
                    false,
                ));
            }
        };
        if lock(&self.reader).mail_known(&id)? {
            return Ok((Receipt::taken(&id), false));
        }
        let me = self.center_id();
        let (from_ok, to_ok) = {
            let writer = lock(&self.writer);
            let admits = |c: &CenterId| {
                writer.accepted.contains_key(c) && writer.trust.get(c) != Some(&TrustState::Blocked)
            };
            (admits(&mail.from), mail.to == me || admits(&mail.to))
        };
        if !from_ok || mail.from == me {
            return Ok((
                Receipt::refused(
                    &id,
                    "not_accepted",
                    format!("this node does not accept the sender {}", mail.from),
                ),
                false,
            ));
        }
        if mail.at > now.saturating_add(MAIL_AHEAD_MS_MAX) {
            return Ok((
                Receipt::later(
                    &id,
                    "from_the_future",
                    format!(
                        "the mail is dated {}, more than 5 minutes after this node's clock ({}); check the clocks",
                        crate::clock::rfc3339_utc(mail.at),
                        crate::clock::rfc3339_utc(now)
                    ),
                ),
                false,
            ));
        }
        if mail.at < now.saturating_sub(MAIL_EXPIRY_MS) {
            return Ok((
                Receipt::refused(&id, "expired", "the mail is older than 14 days".to_owned()),
                false,
            ));
        }
        let too_fast = || {
            Receipt::later(
                &id,
                "too_fast",
                format!(
                    "this node takes at most {RELAY_PER_SENDER_PER_MINUTE} mails a minute from one center"
                ),
            )
        };
        if mail.to == me {
            // Every mail taken leaves its id behind until it expires, so mail
            // from one sender is bounded here too.
            if !self.mail.inbox_rate.admit(&mail.from, now) {
                return Ok((too_fast(), false));
            }
            return self.open_mail(hop, &id, mail, now).map(|r| (r, false));
        }
        if !hop_is_peer {
            return Ok((
                Receipt::refused(
                    &id,
                    "not_a_relay",
                    "this node carries mail for others only from its peers".to_owned(),
                ),
                false,
            ));
        }
        if !to_ok {
            return Ok((
                Receipt::refused(
                    &id,
                    "not_accepted",
                    format!("this node does not accept the recipient {}", mail.to),
                ),
                false,
            ));
        }
        if self.hops_for(&mail.to, now)?.iter().all(|h| h == hop) {
            return Ok((
                Receipt::refused(
                    &id,
                    "no_route",
                    format!("this node has no way to {}", mail.to),
                ),
                false,
            ));
        }
        if !self.mail.relay_rate.admit(&mail.from, now) {
            return Ok((too_fast(), false));
        }
        let size = mail.size() as u64;
        let mut writer = lock(&self.writer);
        let store = &writer.store;
        let full = over(
            store.mail_use(Some(&mail.from), Some(&mail.to))?,
            size,
            MAILBOX_PER_PAIR,
        ) || over(
            store.mail_use(None, Some(&mail.to))?,
            size,
            MAILBOX_PER_RECIPIENT,
        ) || over(
            store.mail_use(Some(&mail.from), None)?,
            size,
            MAILBOX_PER_SENDER,
        ) || over(store.mail_use(None, None)?, size, MAILBOX_TOTAL);
        if full {
            return Ok((
                Receipt::later(
                    &id,
                    "mailbox_full",
                    format!("this node holds as much mail for {} as it may", mail.to),
                ),
                false,
            ));
        }
        writer
            .store
            .mail_insert(&id, mail, Some(MailKind::Relay), Some(hop), now)?;
        Ok((Receipt::taken(&id), true))
    }

    /// Opens mail for this center and takes in what it carries; the answers go
    /// back sealed to the sender.
    fn open_mail(
        &self,
        hop: &CenterId,
        id: &str,
        mail: &SealedMail,
        now: i64,
    ) -> Result<Receipt, NodeError> {
        let plaintext = match mail.open(&self.identity) {
            Ok(p) => p,
            Err(e) => return Ok(Receipt::refused(id, e.code(), e.to_string())),
        };
        let bundle: PairExchange = match serde_json::from_slice(&plaintext) {
            Ok(b) => b,
            Err(e) => {
                return Ok(Receipt::refused(
                    id,
                    "malformed",
                    format!("the sealed mail does not hold pair messages: {e}"),
                ));
            }
        };
        if bundle.messages.len() > PAIR_BATCH_MESSAGES_MAX
            || bundle.results.len() > PAIR_BATCH_MESSAGES_MAX
        {
            return Ok(Receipt::refused(
                id,
                "too_many",
                format!("at most {PAIR_BATCH_MESSAGES_MAX} messages and results in one mail"),
            ));
        }
        let from = mail.from;
        tracing::debug!(%from, %hop, messages = bundle.messages.len(), results = bundle.results.len(), "opened mail");
        self.pair_results(&from, &bundle.results)?;
        let results = self.pair_receive(&from, bundle.messages);
        {
            let mut writer = lock(&self.writer);
            writer.store.mail_insert(id, mail, None, Some(hop), now)?;
            writer.store.set_pair_route(&from, false, hop, now)?;
        }
        if !results.is_empty() {
            let reply = self.seal(
                &from,
                &PairExchange {
                    messages: Vec::new(),
                    results,
                },
            )?;
            lock(&self.writer).store.mail_insert(
                &reply.0,
                &reply.1,
                Some(MailKind::Reply),
                None,
                now,
            )?;
            self.mail_written();
        }
        Ok(Receipt::taken(id))
    }

    /// Recipients of mail this node holds (other than itself).
    pub fn mail_recipients(&self) -> Result<Vec<CenterId>, NodeError> {
        let me = self.center_id();
        Ok(lock(&self.reader)
            .mail_recipients()?
            .into_iter()
            .map(|(c, _)| c)
            .filter(|c| *c != me)
            .collect())
    }

    /// Drops mail past its expiry, and notes on outbox messages that waited
    /// longer than that without an answer that they were not delivered.
    pub fn expire_mail(&self) -> Result<(), NodeError> {
        let now = self.clock.now_ms();
        let cutoff = now.saturating_sub(MAIL_EXPIRY_MS);
        let expired = lock(&self.writer).store.mail_expire(cutoff)?;
        for (id, sender, recipient, kind) in &expired {
            tracing::info!(%id, %sender, %recipient, ?kind, "mail expired undelivered");
        }
        for (counterpart, _) in self.outbox_counterparts()? {
            for row in self.outbox_for(&counterpart)? {
                if row.created_at_ms < cutoff
                    && row.last_error.as_deref() != Some(NOT_DELIVERED_NOTE)
                {
                    lock(&self.writer).store.outbox_waiting(
                        &counterpart,
                        &row.hash,
                        NOT_DELIVERED_NOTE,
                    )?;
                }
            }
        }
        if !expired.is_empty() {
            self.mail_written();
        }
        Ok(())
    }

    /// How the last pair message travelled to (`outgoing`) or from `counterpart`.
    pub fn pair_route(
        &self,
        counterpart: &CenterId,
        outgoing: bool,
    ) -> Result<Option<crate::store::PairRoute>, NodeError> {
        Ok(lock(&self.reader).pair_route(counterpart, outgoing)?)
    }
}

mod exchange;
mod forward;

#[cfg(test)]
mod tests;
