//! Taking in what a peer offers: fetching it slice by slice, each slice
//! verified while the one before it is applied, and applied in order.

use std::collections::BTreeMap;

use telecenter_protocol::envelope::VerifiedChange;
use telecenter_protocol::sync::{Changes, FetchRequest};

use super::PeerRow;
use super::{
    REQUEST_TIMEOUT, ROUND_REQUESTS_MAX, SyncEngine, SyncError, blocking, chain_and_seq, lacking,
};
use crate::node::{Ingested, NodeError};

impl SyncEngine {
    pub(super) async fn apply_envelopes(
        &self,
        peer: &PeerRow,
        texts: &[String],
    ) -> Result<u64, SyncError> {
        let (verified, envelopes) = self.verify_envelopes(peer, texts).await?;
        self.apply_verified(verified, envelopes).await
    }

    /// Decodes and verifies changes a peer handed over (no lock held).
    async fn verify_envelopes(
        &self,
        peer: &PeerRow,
        texts: &[String],
    ) -> Result<(Vec<Result<VerifiedChange, NodeError>>, Vec<Vec<u8>>), SyncError> {
        let mut envelopes = Vec::with_capacity(texts.len());
        for text in texts {
            let bytes =
                telecenter_protocol::b64::decode(text).map_err(|e| SyncError::BadAnswer {
                    url: peer.url.clone().unwrap_or_default(),
                    reason: format!("a change is not base64: {e}"),
                })?;
            envelopes.push(bytes);
        }
        let node = self.node.clone();
        Ok(blocking(move || Ok((node.verify_received(&envelopes), envelopes))).await?)
    }

    /// Applies verified changes; returns how many were new.
    async fn apply_verified(
        &self,
        verified: Vec<Result<VerifiedChange, NodeError>>,
        envelopes: Vec<Vec<u8>>,
    ) -> Result<u64, SyncError> {
        let node = self.node.clone();
        let outcomes = blocking(move || node.receive_verified(verified, &envelopes)).await?;
        Ok(outcomes
            .iter()
            .filter(|o| matches!(o, Ok(Ingested::Applied)))
            .count() as u64)
    }

    /// Pulls from `peer` every change it offers (per `theirs`) that this node
    /// accepts and lacks.
    pub(super) async fn pull(
        &self,
        peer: &PeerRow,
        theirs: &BTreeMap<String, u64>,
    ) -> Result<u64, SyncError> {
        let mut want = lacking(theirs, &self.node.have());
        if want.is_empty() {
            return Ok(0);
        }
        let mut received = 0;
        let mut applying: Option<tokio::task::JoinHandle<Result<u64, SyncError>>> = None;
        let mut next = Some(self.spawn_fetch(peer, want.clone()));
        for _ in 0..ROUND_REQUESTS_MAX {
            let Some(fetching) = next.take() else { break };
            let changes = fetching
                .await
                .map_err(|e| NodeError::Internal(e.to_string()))??;
            if changes.changes.is_empty() {
                break;
            }
            // Ask for the next slice while this one is verified and applied: the
            // answer is in order, so the last change of each chain says where
            // the next slice starts.
            if changes.more {
                let mut seen = std::collections::BTreeSet::new();
                for text in changes.changes.iter().rev() {
                    // Only the last change of each chain needs its seq.
                    let Some((chain, seq)) = chain_and_seq(text) else {
                        continue;
                    };
                    if seen.insert(chain.clone()) {
                        want.insert(chain, seq);
                    }
                }
                next = Some(self.spawn_fetch(peer, want.clone()));
            }
            // Verify this slice while the previous one is applied; apply in order.
            let (verified, envelopes) = self.verify_envelopes(peer, &changes.changes).await?;
            if let Some(previous) = applying.take() {
                received += previous
                    .await
                    .map_err(|e| NodeError::Internal(e.to_string()))??;
            }
            let engine = self.clone();
            applying = Some(tokio::spawn(async move {
                engine.apply_verified(verified, envelopes).await
            }));
        }
        if let Some(previous) = applying {
            received += previous
                .await
                .map_err(|e| NodeError::Internal(e.to_string()))??;
        }
        Ok(received)
    }

    fn spawn_fetch(
        &self,
        peer: &PeerRow,
        want: BTreeMap<String, u64>,
    ) -> tokio::task::JoinHandle<Result<Changes, SyncError>> {
        let engine = self.clone();
        let peer = peer.clone();
        tokio::spawn(async move {
            engine
                .post(
                    &peer,
                    "/api/v1/sync/fetch",
                    &FetchRequest { want },
                    REQUEST_TIMEOUT,
                )
                .await
        })
    }
}
