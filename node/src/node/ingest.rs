//! Ingest: taking in signed catalog changes from elsewhere, verified before any
//! lock, sequenced under the writer lock, with out-of-order changes held in the
//! [`PendingQueue`](super::pending::PendingQueue).

use crate::store::Commit;
use crate::store::NewChange;
use std::collections::BTreeMap;
use telecenter_protocol::CenterId;
use telecenter_protocol::DocId;
use telecenter_protocol::SignedChange;
use telecenter_protocol::VerifyError;
use telecenter_protocol::catalog::CatalogDoc;
use telecenter_protocol::catalog::Touched;
use telecenter_protocol::envelope::VerifiedChange;

use super::{Ingested, Node, NodeError, SNAPSHOT_EVERY_CHANGES, index_commit, lock, reload};

/// Touched parts of several documents during one batch.
#[derive(Default)]
struct BatchTouched {
    docs: BTreeMap<CenterId, Touched>,
}

impl BatchTouched {
    fn add(&mut self, center: CenterId, touched: Touched) {
        let entry = self.docs.entry(center).or_default();
        entry.profile |= touched.profile;
        entry.vouches |= touched.vouches;
        entry.everything |= touched.everything;
        entry.listings.extend(touched.listings);
    }
}

impl Node {
    /// Receives one signed change of `expected_doc` from elsewhere. See
    /// [`Node::receive`] for the checks.
    pub fn ingest(&self, expected_doc: &DocId, envelope: &[u8]) -> Result<Ingested, NodeError> {
        let signed = SignedChange::from_bytes(envelope)?;
        if signed.doc != *expected_doc {
            return Err(VerifyError::WrongDocument {
                expected: *expected_doc,
                found: signed.doc,
            }
            .into());
        }
        let mut outcomes = self.receive(&[envelope.to_vec()])?;
        outcomes
            .pop()
            .unwrap_or(Err(NodeError::Internal("no outcome".into())))
    }

    /// Receives signed changes from a peer, in one durable transaction.
    ///
    /// Each change is checked before anything else happens: its catalog must be
    /// accepted here (trusted or vouched for, not blocked); its envelope must verify
    /// ([`SignedChange::verify`]); a change with a seq already held must be the same
    /// change (else it is a conflicting fork and refused). A change whose
    /// predecessors are missing waits in a queue bounded in count and bytes.
    /// Rejected changes leave no trace. Returns one outcome per change, in order;
    /// `Err` only if storage failed.
    ///
    /// Verification (signature, the bounded pre-parse and Automerge's decoding) runs
    /// before the writer lock is taken, so a costly or hostile batch never stalls
    /// other requests; acceptance is read under a brief lock first, so the changes
    /// of catalogs not accepted here are never verified at all.
    pub fn receive(
        &self,
        envelopes: &[Vec<u8>],
    ) -> Result<Vec<Result<Ingested, NodeError>>, NodeError> {
        let own = self.center_id();
        let now = self.clock.now_ms();
        // 1. Frame each envelope and note (under a brief lock) whether its catalog
        //    is accepted.
        let framed: Vec<Result<SignedChange, NodeError>> = envelopes
            .iter()
            .map(|envelope| SignedChange::from_bytes(envelope).map_err(NodeError::from))
            .collect();
        let accepted: Vec<bool> = {
            let writer = lock(&self.writer);
            framed
                .iter()
                .map(|f| {
                    f.as_ref()
                        .is_ok_and(|s| writer.accepted.contains_key(&s.doc.owner))
                })
                .collect()
        };
        // 2. Verify without any lock.
        let verified: Vec<Result<VerifiedChange, NodeError>> = framed
            .into_iter()
            .zip(&accepted)
            .map(|(framed, accepted)| {
                let signed = framed?;
                let center = signed.doc.owner;
                if center != own && !accepted {
                    return Err(NodeError::NotAccepted(center));
                }
                Ok(signed.verify(&DocId::catalog(center))?)
            })
            .collect();
        // 3. Sequence, apply and commit under the writer lock.
        let mut guard = lock(&self.writer);
        let writer = &mut *guard;
        let mut outcomes = Vec::with_capacity(envelopes.len());
        let mut touched = BatchTouched::default();
        let mut new_changes = Vec::new();
        for (verified, envelope) in verified.into_iter().zip(envelopes) {
            let outcome = (|| {
                let verified = verified?;
                let center = verified.signed.doc.owner;
                if center == own {
                    // Our own changes come only from ourselves.
                    return if writer.own.has_change(&verified.hash()) {
                        Ok(Ingested::Duplicate)
                    } else {
                        Err(NodeError::Conflict(format!(
                            "a change of this center's own catalog (seq {}) that this node did not make",
                            verified.change.seq()
                        )))
                    };
                }
                // Acceptance may have changed while the batch was verified.
                if !writer.accepted.contains_key(&center) {
                    return Err(NodeError::NotAccepted(center));
                }
                let doc_id = DocId::catalog(center);
                let seq = verified.change.seq();
                let held = writer.doc(&own, &center).map(CatalogDoc::seq).unwrap_or(0);
                if seq <= held {
                    let same = writer
                        .doc(&own, &center)
                        .is_some_and(|d| d.has_change(&verified.hash()));
                    return if same {
                        Ok(Ingested::Duplicate)
                    } else {
                        Err(NodeError::Conflict(format!(
                            "{center} signed two different changes with seq {seq}; keeping the first"
                        )))
                    };
                }
                if seq > held + 1 {
                    return writer.pending.hold(center, seq, verified, envelope);
                }
                // The change must build on exactly the history held here: a change
                // with the next seq but other dependencies is a fork.
                let doc = writer.doc_mut(&own, &center);
                if !doc.missing_deps(&verified).is_empty() {
                    return Err(NodeError::Conflict(format!(
                        "{center} change {seq} builds on a change {} that differs from the one held here",
                        seq - 1
                    )));
                }
                let applied = doc.apply(&verified)?;
                touched.add(center, applied);
                new_changes.push(NewChange {
                    doc: doc_id,
                    hash: verified.hash().0,
                    seq,
                    envelope: envelope.clone(),
                });
                // Then every queued change that now follows, as long as each builds
                // on what is held; a queued fork is dropped.
                let mut held = seq;
                while let Some((queued, queued_envelope)) = writer.pending.take(&center, held + 1) {
                    let doc = writer.doc_mut(&own, &center);
                    if !doc.missing_deps(&queued).is_empty() {
                        tracing::info!(%center, seq = held + 1, "queued change is a fork; dropped");
                        break;
                    }
                    match doc.apply(&queued) {
                        Ok(applied) => {
                            touched.add(center, applied);
                            held += 1;
                            new_changes.push(NewChange {
                                doc: doc_id,
                                hash: queued.hash().0,
                                seq: held,
                                envelope: queued_envelope,
                            });
                        }
                        Err(error) => {
                            tracing::info!(%center, seq = held + 1, %error, "queued change dropped");
                            break;
                        }
                    }
                }
                writer.pending.drop_upto(&center, held);
                Ok(Ingested::Applied)
            })();
            if let Err(error) = &outcome {
                tracing::info!(%error, "received change rejected");
            }
            outcomes.push(outcome);
        }
        if new_changes.is_empty() {
            return Ok(outcomes);
        }
        let result = (|| {
            let mut commit = Commit {
                changes: new_changes,
                ..Commit::default()
            };
            for (center, doc_touched) in &touched.docs {
                let doc = writer.doc_mut(&own, center);
                let part = index_commit(doc, doc_touched)?;
                commit.profiles.extend(part.profiles);
                commit.listings.extend(part.listings);
                commit.unindex.extend(part.unindex);
            }
            // Snapshot a document that has many changes since its last one.
            for center in touched.docs.keys() {
                let doc_id = DocId::catalog(*center);
                let since = writer.store.changes_since_snapshot(&doc_id)?;
                let adding = commit.changes.iter().filter(|c| c.doc == doc_id).count() as u64;
                if since + adding >= SNAPSHOT_EVERY_CHANGES && commit.snapshot.is_none() {
                    commit.snapshot = Some((doc_id, writer.doc_mut(&own, center).save()));
                }
            }
            writer.store.commit(&commit, now)?;
            Ok::<_, NodeError>(())
        })();
        if let Err(error) = result {
            tracing::warn!(%error, "could not store received changes; reloading");
            for center in touched.docs.keys() {
                let doc_id = DocId::catalog(*center);
                match reload(&writer.store, &doc_id) {
                    Ok(doc) if doc.seq() > 0 => {
                        writer.others.insert(*center, doc);
                    }
                    Ok(_) => {
                        writer.others.remove(center);
                    }
                    Err(reload_error) => {
                        tracing::error!(%reload_error, doc = %doc_id, "cannot reload a catalog; restart the node");
                    }
                }
            }
            return Err(error);
        }
        if touched.docs.values().any(|t| t.vouches || t.everything) {
            writer.recompute_acceptance(own)?;
        }
        drop(guard);
        self.bump();
        Ok(outcomes)
    }
}
