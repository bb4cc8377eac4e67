//! Peer authentication (hop auth): signing this node's requests and answers, and
//! checking a peer's, with the nonce memory and the sender's rate in their own locks
//! (never under the writer lock).

use telecenter_protocol::CenterId;
use telecenter_protocol::hop::{HopAuth, HopError};

use crate::store::TrustState;

use super::{Node, NodeError, lock};

/// The method name signed into answers (never a real HTTP method, so an answer's
/// signature can never pass as a request's).
pub const RESPONSE_METHOD: &str = "RESPONSE";

/// The header carrying a signed answer.
pub const RESPONSE_HEADER: &str = "telecenter-response";

impl Node {
    /// Signs a request to peer `to` (the `Authorization` header value).
    pub fn sign_request(
        &self,
        to: &CenterId,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<String, NodeError> {
        let mut nonce = [0u8; 16];
        self.fill_random(&mut nonce);
        self.sign_hop(to, nonce, method, path, body)
    }

    /// Signs the answer to a pair exchange from `to` whose request carried
    /// `nonce`: a hop signature with method `RESPONSE` over the answer's body,
    /// so the caller knows the answer comes from this center and belongs to its
    /// request (the value of the `Telecenter-Response` header).
    pub fn sign_response(
        &self,
        to: &CenterId,
        nonce: [u8; 16],
        path: &str,
        body: &[u8],
    ) -> Result<String, NodeError> {
        self.sign_hop(to, nonce, RESPONSE_METHOD, path, body)
    }

    /// Signs a hop header to `to` for `method` on `path` over `body`, dated now.
    fn sign_hop(
        &self,
        to: &CenterId,
        nonce: [u8; 16],
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<String, NodeError> {
        HopAuth::sign(
            &self.identity,
            *to,
            self.clock.now_ms(),
            nonce,
            method,
            path,
            body,
        )
        .map_err(|e| NodeError::Internal(e.to_string()))
    }

    /// Checks the `Telecenter-Response` header of an answer from `from` to this
    /// node's request with `nonce`.
    pub fn check_response(
        &self,
        header: &str,
        from: &CenterId,
        nonce: [u8; 16],
        path: &str,
        body: &[u8],
    ) -> Result<(), HopError> {
        let auth = HopAuth::parse(header)?;
        if auth.from != *from || auth.nonce != nonce {
            return Err(HopError::Malformed(
                "the answer is signed by another center or for another request".into(),
            ));
        }
        auth.verify(
            &self.center_id(),
            self.clock.now_ms(),
            RESPONSE_METHOD,
            path,
            body,
        )
    }

    /// Checks a peer request's `Authorization` header for exactly this request:
    /// form, audience, time window, signature, that the sender is a configured
    /// peer, and that its nonce was not used before. Returns the sender.
    pub fn check_request(
        &self,
        header: &str,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<CenterId, PeerAuthError> {
        self.check_hop(header, method, path, body, false, &|_| true)
            .map(|auth| auth.from)
    }

    /// Checks a request's hop authorization: form, audience, time window,
    /// signature, admission (configured peer; with `admit_accepted` also any
    /// accepted center), then the sender's rate (`allow`), and only then
    /// remembers its nonce, so a sender over its rate cannot fill the nonce memory.
    /// Nonces are kept per sender with a quota, senders that are not configured
    /// peers share one bounded pool, and each nonce is forgotten once its request
    /// can no longer pass the time window (see `node/nonces.rs`).
    pub fn check_hop(
        &self,
        header: &str,
        method: &str,
        path: &str,
        body: &[u8],
        admit_accepted: bool,
        allow: &dyn Fn(&CenterId) -> bool,
    ) -> Result<HopAuth, PeerAuthError> {
        let auth = HopAuth::parse(header)?;
        let now = self.clock.now_ms();
        auth.verify(&self.center_id(), now, method, path, body)?;
        // Admission: the peer list is read from the reader's connection and the
        // writer is held only for two map lookups, never for SQLite work.
        let is_peer = lock(&self.reader)
            .peer(&auth.from)
            .map_err(|e| PeerAuthError::Internal(e.to_string()))?
            .is_some();
        let (accepted, blocked) = {
            let writer = lock(&self.writer);
            (
                writer.accepted.contains_key(&auth.from),
                writer.trust.get(&auth.from) == Some(&TrustState::Blocked),
            )
        };
        let admitted = is_peer || (admit_accepted && accepted);
        if !admitted && admit_accepted {
            return Err(PeerAuthError::NotAccepted(auth.from));
        }
        if !admitted {
            return Err(PeerAuthError::NotAPeer(auth.from));
        }
        if blocked {
            return Err(PeerAuthError::Blocked(auth.from));
        }
        // A replay is refused before it is charged to the sender's rate, so a
        // captured request replayed many times cannot throttle its real sender.
        if lock(&self.nonces).seen(&auth.from, &auth.nonce) {
            return Err(PeerAuthError::Replayed);
        }
        if !allow(&auth.from) {
            return Err(PeerAuthError::RateLimited);
        }
        lock(&self.nonces)
            .remember(auth.from, is_peer, auth.nonce, auth.expires_at_ms(), now)
            .map_err(|e| match e {
                super::nonces::NonceError::Replayed => PeerAuthError::Replayed,
                super::nonces::NonceError::SenderFull => PeerAuthError::RateLimited,
                super::nonces::NonceError::PoolFull => PeerAuthError::Busy,
            })?;
        Ok(auth)
    }
}

/// Why a peer request's authentication was refused.
#[derive(Debug, thiserror::Error)]
pub enum PeerAuthError {
    /// The header is wrong (form, audience, time, signature).
    #[error(transparent)]
    Hop(#[from] HopError),
    /// The sender is not a configured peer of this node.
    #[error("{0} is not a peer of this node: its operator must add it with 'telecenter peer add'")]
    NotAPeer(CenterId),
    /// The sender is blocked here.
    #[error("{0} is blocked by this node")]
    Blocked(CenterId),
    /// The sender's catalog is not accepted here (pair exchanges).
    #[error("{0} is not accepted by this node (neither trusted nor vouched for)")]
    NotAccepted(CenterId),
    /// The sender is over its request rate.
    #[error("too many requests from this center; slow down")]
    RateLimited,
    /// The request was seen before.
    #[error("this request was already received (replay)")]
    Replayed,
    /// The memory for requests from centers that are not configured peers is
    /// full; try again later (answered like [`PeerAuthError::RateLimited`]).
    #[error("too many requests from centers that are not peers of this node; try again shortly")]
    Busy,
    /// The node failed.
    #[error("internal error: {0}")]
    Internal(String),
}
