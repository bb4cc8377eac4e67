//! Checking the signatures of many signed changes at once.
//!
//! Catalog change signatures are checked under the rules of
//! [ZIP 215](https://zips.z.cash/zip-0215) (the `ed25519-zebra` crate): `S`
//! canonical, `R` and the key any encoding of a curve point, and the
//! cofactored equation `[8][S]B = [8]R + [8][k]A`. Under those rules a batch
//! check (one random linear combination of the whole batch's equations, with
//! the terms of each key gathered: about a quarter of the cost of checking
//! each signature alone on our machines) accepts exactly the batches whose
//! every signature passes alone. A node may therefore check a peer's batch in
//! one go, store each change, and later check any one of them alone (when it
//! reloads a catalog) with the same answer. On top of ZIP 215, no signature by
//! a signer key of small order counts ([`SignerKeys`]).
//!
//! A batch that fails is checked again one signature at a time (with the keys
//! decoded once), and only the changes whose own signature fails are refused.
//! So a peer that puts one bad signature in each batch costs its receiver the
//! batch check and a single check of each signature: about 1.25 times what
//! checking each alone cost before batches, never more.
//!
//! ZIP 215 accepts every signature strict RFC 8032 checking accepts (so every
//! honest signer's), and more: those with a small-order part in the nonce point
//! `R`, or non-canonical encodings, which only a signer that sets out to can
//! make. A node built before this rule refuses those (docs/protocol.md §13).

use ed25519_zebra::batch;
use rand::{CryptoRng, RngCore};

use super::{SignedChange, SignerKeys, VerifiedChange, VerifyError};
use crate::id::DocId;

/// [`SignedChange::verify_with`] for many changes, each against the document
/// it was sent for, with their signatures checked in one batch. Returns one
/// outcome per change, in order; each is what [`SignedChange::verify_with`]
/// returns for that change alone. `rng` draws the batch's coefficients: it
/// must be unpredictable to whoever made the changes (the system's generator).
pub fn verify_batch(
    changes: Vec<(SignedChange, DocId)>,
    keys: &mut SignerKeys,
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<Result<VerifiedChange, VerifyError>> {
    let mut outcomes: Vec<Result<VerifiedChange, VerifyError>> = Vec::with_capacity(changes.len());
    // Changes whose header passed, with their place and key.
    let mut signed: Vec<(usize, SignedChange, ed25519_zebra::VerificationKey)> =
        Vec::with_capacity(changes.len());
    let mut verifier = batch::Verifier::new();
    for (place, (change, expected_doc)) in changes.into_iter().enumerate() {
        match change.check_header(&expected_doc, keys) {
            Ok(key) => {
                verifier.queue((
                    ed25519_zebra::VerificationKeyBytes::from(key),
                    ed25519_zebra::Signature::from_bytes(&change.signature),
                    &change.signed_bytes(),
                ));
                // Refused unless its signature passes below.
                outcomes.push(Err(VerifyError::BadSignature {
                    signer: change.signer,
                }));
                signed.push((place, change, key));
            }
            Err(error) => outcomes.push(Err(error)),
        }
    }
    // One signature: no batch to gain from.
    let all_good = signed.len() > 1 && verifier.verify(&mut *rng).is_ok();
    for (place, change, key) in signed {
        if all_good || change.check_signature(&key).is_ok() {
            outcomes[place] = change.decode_signed();
        }
    }
    outcomes
}

#[cfg(test)]
mod tests;
