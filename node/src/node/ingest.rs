//! Ingest: taking in signed catalog changes from elsewhere, verified before any
//! lock, sequenced under the writer lock, with out-of-order changes held in the
//! [`PendingQueue`](super::pending::PendingQueue).

use std::collections::{BTreeMap, BTreeSet};

use telecenter_protocol::catalog::{CatalogDoc, Touched};
use telecenter_protocol::envelope::batch::verify_batch;
use telecenter_protocol::envelope::{SignerKeys, VerifiedChange};
use telecenter_protocol::limits::EPOCHS_PER_CATALOG_MAX;
use telecenter_protocol::{CenterId, DocId, EpochId, SignedChange, VerifyError};

use crate::store::{Commit, NewChange};

use super::held::reload;
use super::{Ingested, Node, NodeError, SNAPSHOT_EVERY_CHANGES, Writer, index_commit, lock};

/// Batches of at least this many changes are verified on several threads.
const VERIFY_PARALLEL_MIN: usize = 32;
/// The most threads one batch is verified on.
const VERIFY_THREADS_MAX: usize = 4;

/// Touched parts of several documents during one batch.
#[derive(Default)]
struct BatchTouched {
    docs: BTreeMap<CenterId, Touched>,
}

impl BatchTouched {
    fn add(&mut self, center: CenterId, mut touched: Touched) {
        let entry = self.docs.entry(center).or_default();
        entry.profile |= touched.profile;
        entry.vouches |= touched.vouches;
        entry.everything |= touched.everything;
        // A listing can be read from the change that made it only while no
        // later change of the batch touched it (a change that touched
        // everything may have touched any).
        if touched.everything {
            entry.fresh.clear();
        } else {
            for listing in &touched.listings {
                match touched.fresh.remove(listing) {
                    Some(made) => entry.fresh.insert(listing.clone(), made),
                    None => entry.fresh.remove(listing),
                };
            }
        }
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
    /// ([`SignedChange::verify`]); a change with a seq already held in its
    /// writing epoch must be the same change (else it is a conflicting fork and
    /// refused); a change may not open more than [`EPOCHS_PER_CATALOG_MAX`]
    /// epochs. A change whose predecessors are missing waits in a queue bounded
    /// in count and bytes.
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
        self.receive_verified(self.verify_received(envelopes), envelopes)
    }

    /// The second half of [`Node::receive`]: sequences, applies and commits
    /// `envelopes` as verified by [`Node::verify_received`] (one outcome per
    /// envelope, in order). A caller with several batches in a row (a catch-up)
    /// verifies the next batch while this one is applied.
    pub fn receive_verified(
        &self,
        verified: Vec<Result<VerifiedChange, NodeError>>,
        envelopes: &[Vec<u8>],
    ) -> Result<Vec<Result<Ingested, NodeError>>, NodeError> {
        if verified.len() != envelopes.len() {
            return Err(NodeError::Internal(
                "verified changes do not match their envelopes".into(),
            ));
        }
        let own = self.center_id();
        let now = self.clock.now_ms();
        // 3. Sequence, apply and commit under the writer lock.
        let mut guard = lock(&self.writer);
        let writer = &mut *guard;
        let mut batch = Batch::default();
        let mut outcomes = Vec::with_capacity(envelopes.len());
        let mut verified = verified.into_iter().zip(envelopes).peekable();
        while let Some((first, envelope)) = verified.next() {
            // A run of changes that follow one another in one chain (a
            // catch-up) is applied in one go when it can be.
            let first = match first {
                Ok(change) => change,
                Err(error) => {
                    tracing::info!(%error, "received change rejected");
                    outcomes.push(Err(error));
                    continue;
                }
            };
            let chain = first.chain();
            let mut run = vec![(first, envelope)];
            while let Some((Ok(next), _)) = verified.peek() {
                if next.chain() != chain {
                    break;
                }
                let Some((Ok(next), envelope)) = verified.next() else {
                    break;
                };
                run.push((next, envelope));
            }
            if run.len() > 1 {
                match writer.sequence_run(own, &run, &mut batch) {
                    Ok(true) => {
                        outcomes.extend(run.iter().map(|_| Ok(Ingested::Applied)));
                        continue;
                    }
                    Ok(false) => {}
                    Err(error) => {
                        // Failed part way: memory may be ahead of disk for this
                        // catalog and every one the batch touched; none of the
                        // batch is kept (the peer sends it again).
                        let center = chain.doc.owner;
                        let touched = batch.touched.docs.keys();
                        writer.reload_others(own, touched.chain(std::iter::once(&center)));
                        writer.held.trim();
                        return Err(error);
                    }
                }
            }
            for (change, envelope) in run {
                let outcome = writer.sequence(own, change, envelope, &mut batch);
                if let Err(error) = &outcome {
                    tracing::info!(%error, "received change rejected");
                }
                outcomes.push(outcome);
            }
        }
        if batch.changes.is_empty() {
            // Documents loaded only to find changes waiting or refused.
            writer.held.trim();
            return Ok(outcomes);
        }
        if let Err(error) = writer.commit_batch(own, &mut batch, now) {
            tracing::warn!(%error, "could not store received changes; reloading");
            writer.reload_others(own, batch.touched.docs.keys());
            writer.held.trim();
            return Err(error);
        }
        writer.held.trim();
        if batch
            .touched
            .docs
            .values()
            .any(|t| t.vouches || t.everything)
        {
            writer.recompute_acceptance(own)?;
        }
        drop(guard);
        self.bump();
        Ok(outcomes)
    }

    /// Steps 1 and 2 of [`Node::receive`]: frames each envelope, notes under a
    /// brief lock whether its catalog is accepted, then verifies without any
    /// lock (a large batch on every core).
    pub fn verify_received(&self, envelopes: &[Vec<u8>]) -> Vec<Result<VerifiedChange, NodeError>> {
        let own = self.center_id();
        // 1. Frame each envelope and note whether its catalog is accepted (from
        //    the view the writer keeps: a batch being applied does not hold up
        //    the verification of the next).
        let framed: Vec<Result<SignedChange, NodeError>> = envelopes
            .iter()
            .map(|envelope| SignedChange::from_bytes(envelope).map_err(NodeError::from))
            .collect();
        let accepted: Vec<bool> = {
            let accepted = lock(&self.accepted_now);
            framed
                .iter()
                .map(|f| f.as_ref().is_ok_and(|s| accepted.contains(&s.doc.owner)))
                .collect()
        };
        // 2. Verify without any lock, the signatures of each part in one
        //    batch check, a large batch on every core.
        let mut outcomes: Vec<Option<Result<VerifiedChange, NodeError>>> = Vec::new();
        let mut checked: Vec<(SignedChange, DocId)> = Vec::new();
        for (framed, accepted) in framed.into_iter().zip(accepted) {
            match framed {
                Ok(signed) if signed.doc.owner == own || accepted => {
                    let doc = DocId::catalog(signed.doc.owner);
                    checked.push((signed, doc));
                    outcomes.push(None);
                }
                Ok(signed) => outcomes.push(Some(Err(NodeError::NotAccepted(signed.doc.owner)))),
                Err(error) => outcomes.push(Some(Err(error))),
            }
        }
        // Each part's batch coefficients come from a generator seeded from the
        // node's random source (they must be unpredictable to the signers).
        let check = |part: Vec<(SignedChange, DocId)>| {
            let mut seed = [0u8; 32];
            self.fill_random(&mut seed);
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_seed(seed);
            verify_batch(part, &mut SignerKeys::default(), &mut rng)
        };
        let threads = if checked.len() < VERIFY_PARALLEL_MIN {
            1
        } else {
            VERIFY_THREADS_MAX
        };
        let verified = super::in_parts(checked, threads, check);
        let mut verified = verified.into_iter();
        outcomes
            .into_iter()
            .map(|outcome| {
                outcome.unwrap_or_else(|| match verified.next() {
                    Some(result) => result.map_err(NodeError::from),
                    None => Err(NodeError::Internal("a change was not verified".into())),
                })
            })
            .collect()
    }
}

/// What one received batch adds: the changes to store and what they touched.
#[derive(Default)]
struct Batch {
    changes: Vec<NewChange>,
    touched: BatchTouched,
}

impl Batch {
    /// Notes a change applied to `center`'s catalog.
    fn applied(
        &mut self,
        center: CenterId,
        touched: Touched,
        verified: &VerifiedChange,
        envelope: Vec<u8>,
    ) {
        self.touched.add(center, touched);
        self.changes.push(NewChange::of(verified, envelope));
    }
}

/// Whether a change with the next seq of its epoch's chain can be applied.
enum Readiness {
    /// Every dependency is held: apply it.
    Now,
    /// It builds on the last change held of its own epoch (or is that epoch's
    /// first), but depends on other epochs' changes not held yet: hold it.
    Waiting,
    /// It builds on another change with the previous seq than the one held: a fork.
    Fork,
}

fn readiness(doc: &CatalogDoc, verified: &VerifiedChange) -> Readiness {
    if doc.missing_deps(verified).is_empty() {
        return Readiness::Now;
    }
    let epoch = verified.epoch();
    let builds_on_held = verified.change.seq() == 1
        || doc
            .last_of(epoch)
            .is_some_and(|last| verified.change.deps().contains(&last));
    if builds_on_held {
        Readiness::Waiting
    } else {
        Readiness::Fork
    }
}

/// How a change's epoch is named in log lines and refusals.
fn epoch_words(epoch: Option<EpochId>) -> String {
    epoch
        .map(|e| format!(" of writing epoch {e}"))
        .unwrap_or_default()
}

impl Writer {
    /// Places one verified change: a duplicate, a conflict, held in the
    /// [`PendingQueue`](super::pending::PendingQueue) until its predecessors
    /// arrive, or applied together with every held change that now follows.
    ///
    /// Each writing epoch of a catalog is its own linear chain: a change with
    /// seq `s` of epoch `e` follows seq `s - 1` of `e`. This node's own catalog
    /// is taken in from peers too, except the epoch it writes in now, whose
    /// changes only this node makes.
    fn sequence(
        &mut self,
        own: CenterId,
        verified: VerifiedChange,
        envelope: &[u8],
        batch: &mut Batch,
    ) -> Result<Ingested, NodeError> {
        let center = verified.signed.doc.owner;
        let epoch = verified.epoch();
        if center == own && epoch == self.own.writing_epoch() {
            // The changes of the epoch this node writes in come only from itself.
            return if self.own.has_change(&verified.hash()) {
                Ok(Ingested::Duplicate)
            } else {
                Err(NodeError::Conflict(format!(
                    "a change of this center's own catalog (seq {}{}) that this node did not make",
                    verified.change.seq(),
                    epoch_words(epoch)
                )))
            };
        }
        // Acceptance may have changed while the batch was verified.
        if !self.accepted.contains_key(&center) {
            return Err(NodeError::NotAccepted(center));
        }
        let seq = verified.change.seq();
        let held = self.seq_of(&own, &center, epoch);
        if seq <= held {
            return if self.holds_change(&own, &center, &verified.hash())? {
                Ok(Ingested::Duplicate)
            } else {
                Err(NodeError::Conflict(format!(
                    "{center} signed two different changes with seq {seq}{}; keeping the first",
                    epoch_words(epoch)
                )))
            };
        }
        self.check_epoch_bound(&own, &center, epoch)?;
        if seq > held + 1 {
            return self.pending.hold(center, epoch, seq, verified, envelope);
        }
        // The change must build on exactly the history held here: a change
        // with the next seq but other dependencies of its own epoch is a fork;
        // one that waits only for other epochs' changes is held.
        let doc = self.doc_mut(&own, &center)?;
        match readiness(doc, &verified) {
            Readiness::Now => {}
            Readiness::Waiting => {
                return self.pending.hold(center, epoch, seq, verified, envelope);
            }
            Readiness::Fork => {
                return Err(NodeError::Conflict(format!(
                    "{center} change {seq}{} builds on a change {} that differs from the one held here",
                    epoch_words(epoch),
                    seq - 1
                )));
            }
        }
        let applied = doc.apply(&verified)?;
        self.note_applied(&own, &center);
        batch.applied(center, applied, &verified, envelope.to_vec());
        self.apply_queued(own, center, batch)?;
        Ok(Ingested::Applied)
    }

    /// Applies `run` (changes of one chain in seq order) in one Automerge batch
    /// when every change of it would be applied at once by
    /// [`Writer::sequence`]: another center's accepted catalog, nothing of it
    /// waiting in the queue, the run's seqs following the one held, every
    /// dependency held or earlier in the run. `Ok(false)`: nothing was done,
    /// and the caller places the changes one by one.
    fn sequence_run(
        &mut self,
        own: CenterId,
        run: &[(VerifiedChange, &Vec<u8>)],
        batch: &mut Batch,
    ) -> Result<bool, NodeError> {
        let Some((first, _)) = run.first() else {
            return Ok(false);
        };
        let center = first.signed.doc.owner;
        // A run that does not begin right after what is held (duplicates,
        // a gap) is placed one by one, without loading the document.
        if center == own
            || !self.accepted.contains_key(&center)
            || first.change.seq() != self.seq_of(&own, &center, first.epoch()) + 1
            || !self.pending.epochs(&center).is_empty()
            || self
                .check_epoch_bound(&own, &center, first.epoch())
                .is_err()
        {
            return Ok(false);
        }
        let changes: Vec<&VerifiedChange> = run.iter().map(|(c, _)| c).collect();
        let Some(touched) = self.doc_mut(&own, &center)?.apply_run(&changes)? else {
            return Ok(false);
        };
        self.note_applied(&own, &center);
        for ((change, envelope), touched) in run.iter().zip(touched) {
            batch.applied(center, touched, change, envelope.to_vec());
        }
        Ok(true)
    }

    /// Refuses a change that would open one writing epoch more than
    /// [`EPOCHS_PER_CATALOG_MAX`] in `center`'s catalog (counting epoch 0, the
    /// epochs held and those with changes waiting).
    fn check_epoch_bound(
        &self,
        own: &CenterId,
        center: &CenterId,
        epoch: Option<EpochId>,
    ) -> Result<(), NodeError> {
        // Epoch 0 always counts: every catalog begins with it.
        let mut known = BTreeSet::from([None]);
        known.extend(self.epochs_of(own, center));
        known.extend(self.pending.epochs(center));
        if known.contains(&epoch) || known.len() < EPOCHS_PER_CATALOG_MAX {
            Ok(())
        } else {
            Err(NodeError::TooManyEpochs {
                center: *center,
                max: EPOCHS_PER_CATALOG_MAX,
            })
        }
    }

    /// Applies every queued change of `center` that now follows what is held
    /// of its epoch and whose dependencies are all held, until none does; a
    /// queued fork is dropped, a change still waiting for other epochs stays.
    fn apply_queued(
        &mut self,
        own: CenterId,
        center: CenterId,
        batch: &mut Batch,
    ) -> Result<(), NodeError> {
        loop {
            let mut progressed = false;
            for epoch in self.pending.epochs(&center) {
                let held = self.seq_of(&own, &center, epoch);
                self.pending.drop_upto(&center, epoch, held);
                let Some((queued, queued_envelope)) = self.pending.take(&center, epoch, held + 1)
                else {
                    continue;
                };
                let doc = self.doc_mut(&own, &center)?;
                match readiness(doc, &queued) {
                    Readiness::Now => match doc.apply(&queued) {
                        Ok(applied) => {
                            self.note_applied(&own, &center);
                            batch.applied(center, applied, &queued, queued_envelope);
                            progressed = true;
                        }
                        Err(error) => {
                            tracing::info!(%center, seq = held + 1, %error, "queued change dropped");
                        }
                    },
                    Readiness::Waiting => {
                        // Just taken out, so it fits again.
                        let back =
                            self.pending
                                .hold(center, epoch, held + 1, queued, &queued_envelope);
                        if let Err(error) = back {
                            tracing::info!(%center, seq = held + 1, %error, "queued change dropped");
                        }
                    }
                    Readiness::Fork => {
                        tracing::info!(%center, seq = held + 1, "queued change is a fork; dropped");
                    }
                }
            }
            if !progressed {
                return Ok(());
            }
        }
    }

    /// Commits a batch's changes with the index rows they touched, and a snapshot
    /// of a document that has many changes since its last one.
    fn commit_batch(
        &mut self,
        own: CenterId,
        batch: &mut Batch,
        now: i64,
    ) -> Result<(), NodeError> {
        let mut commit = Commit {
            changes: std::mem::take(&mut batch.changes),
            ..Commit::default()
        };
        for (center, doc_touched) in &batch.touched.docs {
            let doc = self.doc_mut(&own, center)?;
            let part = index_commit(doc, doc_touched)?;
            commit.profiles.extend(part.profiles);
            commit.listings.extend(part.listings);
            commit.unindex.extend(part.unindex);
            if *center != own {
                let vouches = doc_touched.vouches || doc_touched.everything;
                if let Some(state) = self.held.settle(*center, vouches) {
                    commit.states.push((DocId::catalog(*center), state));
                }
            }
        }
        for center in batch.touched.docs.keys() {
            let doc_id = DocId::catalog(*center);
            let since = self.store.changes_since_snapshot(&doc_id)?;
            let adding = commit.changes.iter().filter(|c| c.doc == doc_id).count() as u64;
            if since + adding >= SNAPSHOT_EVERY_CHANGES && commit.snapshot.is_none() {
                commit.snapshot = Some((doc_id, self.doc_mut(&own, center)?.save()));
            }
        }
        self.store.commit(&commit, now)?;
        Ok(())
    }

    /// Reloads the catalogs a batch touched from the store after a failed
    /// commit (this node's own too: it takes in its older epochs), so memory
    /// never runs ahead of disk.
    fn reload_others<'a>(&mut self, own: CenterId, centers: impl Iterator<Item = &'a CenterId>) {
        for center in centers {
            let doc_id = DocId::catalog(*center);
            let reloaded = if *center == own {
                reload(&self.store, &doc_id).map(Some)
            } else {
                self.held.reload(&self.store, *center).map(|()| None)
            };
            match reloaded {
                Ok(Some(mut doc)) => {
                    doc.set_writing_epoch(self.own.writing_epoch());
                    self.own = doc;
                }
                Ok(_) => {}
                Err(reload_error) => {
                    tracing::error!(%reload_error, doc = %doc_id, "cannot reload a catalog; restart the node");
                }
            }
        }
    }
}
