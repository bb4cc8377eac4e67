//! Batch checking must give, change by change, exactly the answer of checking
//! each change alone: the node stores what a batch let in and checks it alone
//! again when it reloads a catalog.

use automerge::ChangeHash;
use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::SigningKey;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sha2::{Digest, Sha512};

use super::*;
use crate::catalog::CatalogDoc;
use crate::catalog::input::{NewListing, ProfileInput};
use crate::id::CenterId;
use crate::identity::Identity;

const T0: i64 = 1_763_860_000_000;

fn identity(seed: u64) -> Identity {
    Identity::generate(&mut StdRng::seed_from_u64(seed))
}

/// `count` signed changes of `identity`'s catalog: its genesis, then listings.
fn catalog(identity: &Identity, count: usize) -> Vec<SignedChange> {
    let profile = ProfileInput {
        name: Some("Telecenter Kota Batu".into()),
        region: Some("Kota Batu".into()),
        ..Default::default()
    }
    .validate_new()
    .unwrap();
    let (mut doc, genesis) = CatalogDoc::create(identity, &profile, T0).unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let mut changes = vec![genesis];
    for n in 1..count {
        let listing = NewListing {
            title: format!("Keripik apel nomor {n}"),
            category: "makanan".into(),
            price_idr: 10_000 + n as i64,
            stock: 5,
            ..Default::default()
        }
        .validate()
        .unwrap();
        let (_, signed) = doc
            .add_listing(identity, &mut rng, &listing, T0 + n as i64)
            .unwrap();
        changes.push(signed);
    }
    changes
}

/// Each change checked alone, as the node does when it reloads a catalog.
fn alone(changes: &[(SignedChange, DocId)]) -> Vec<Result<ChangeHash, VerifyError>> {
    changes
        .iter()
        .map(|(change, doc)| change.clone().verify(doc).map(|v| v.hash()))
        .collect()
}

fn batched(changes: &[(SignedChange, DocId)]) -> Vec<Result<ChangeHash, VerifyError>> {
    let mut rng = rand::rngs::OsRng;
    verify_batch(changes.to_vec(), &mut SignerKeys::default(), &mut rng)
        .into_iter()
        .map(|outcome| outcome.map(|v| v.hash()))
        .collect()
}

/// The changes of three catalogs, interleaved, each for its own document.
fn three_catalogs() -> Vec<(SignedChange, DocId)> {
    let owners: Vec<Identity> = (1..=3).map(identity).collect();
    let catalogs: Vec<Vec<SignedChange>> = owners.iter().map(|o| catalog(o, 12)).collect();
    let mut all = Vec::new();
    for n in 0..12 {
        for (owner, changes) in owners.iter().zip(&catalogs) {
            all.push((changes[n].clone(), DocId::catalog(owner.center_id())));
        }
    }
    all
}

#[test]
fn a_batch_of_good_changes_verifies_each_as_alone_does() {
    let changes = three_catalogs();
    let batched = batched(&changes);
    assert!(batched.iter().all(Result::is_ok), "{batched:?}");
    assert_eq!(batched, alone(&changes));
}

#[test]
fn one_bad_signature_in_a_batch_refuses_that_change_alone() {
    for byte in [0, 31, 32, 63] {
        let mut changes = three_catalogs();
        changes[17].0.signature[byte] ^= 0x04;
        let batched = batched(&changes);
        assert_eq!(batched, alone(&changes), "signature byte {byte}");
        for (place, outcome) in batched.iter().enumerate() {
            assert_eq!(
                outcome.is_ok(),
                place != 17,
                "signature byte {byte}: {outcome:?}"
            );
        }
        assert!(matches!(batched[17], Err(VerifyError::BadSignature { .. })));
    }
}

#[test]
fn every_refusal_before_the_signature_keeps_its_own_reason_in_a_batch() {
    let mut changes = three_catalogs();
    let stranger = identity(9);
    // Sent for another document.
    changes[1].1 = DocId::catalog(stranger.center_id());
    // Signed by a key that does not own the catalog.
    changes[4].0 = SignedChange::sign(&stranger, changes[4].1, changes[4].0.change.clone());
    // Too large.
    changes[7].0.change = vec![0; crate::limits::CHANGE_BYTES_MAX + 1];
    // Signed bytes that are not a change.
    let doc = DocId::catalog(stranger.center_id());
    changes.push((
        SignedChange::sign(&stranger, doc, b"not a change".to_vec()),
        doc,
    ));
    let batched = batched(&changes);
    assert_eq!(batched, alone(&changes));
    assert!(matches!(batched[1], Err(VerifyError::WrongDocument { .. })));
    assert!(matches!(batched[4], Err(VerifyError::Unauthorised { .. })));
    assert!(matches!(batched[7], Err(VerifyError::TooLarge { .. })));
    assert!(matches!(
        batched.last(),
        Some(Err(VerifyError::MalformedChange { .. }))
    ));
    let refused = [1, 4, 7, changes.len() - 1];
    for (place, outcome) in batched.iter().enumerate() {
        assert_eq!(
            outcome.is_ok(),
            !refused.contains(&place),
            "{place}: {outcome:?}"
        );
    }
}

/// Signs `change` of `owner`'s catalog with a nonce point `R + T`, `T` of
/// order 8: valid under the cofactored equation, refused by strict RFC 8032
/// checking (and by ed25519-dalek's own batch check, one time in eight).
fn sign_with_torsion(owner: &Identity, change: Vec<u8>) -> SignedChange {
    let doc = DocId::catalog(owner.center_id());
    let mut signed = SignedChange::sign(owner, doc, change);
    let secret: [u8; 32] = hex::decode(owner.to_secret_hex())
        .unwrap()
        .try_into()
        .unwrap();
    let key = SigningKey::from_bytes(&secret);
    let a = key.to_scalar();
    let r = Scalar::from_bytes_mod_order([5; 32]);
    let big_r = (r * ED25519_BASEPOINT_POINT + EIGHT_TORSION[1]).compress();
    let k = Scalar::from_hash(
        Sha512::new()
            .chain_update(big_r.as_bytes())
            .chain_update(owner.center_id().as_bytes())
            .chain_update(signed.signed_bytes()),
    );
    let s = r + k * a;
    signed.signature[..32].copy_from_slice(big_r.as_bytes());
    signed.signature[32..].copy_from_slice(s.as_bytes());
    signed
}

#[test]
fn a_signature_strict_checking_refuses_gets_one_answer_batched_or_alone() {
    let owner = identity(4);
    let changes = catalog(&owner, 6);
    let doc = DocId::catalog(owner.center_id());
    let odd = sign_with_torsion(&owner, changes[3].change.clone());
    // Strict RFC 8032 checking refuses it (the rules before ZIP 215).
    let strict = ed25519_dalek::VerifyingKey::from_bytes(owner.center_id().as_bytes())
        .unwrap()
        .verify_strict(
            &odd.signed_bytes(),
            &ed25519_dalek::Signature::from_bytes(&odd.signature),
        );
    assert!(strict.is_err());
    // Alone and in any batch, it passes: the same answer every time, so a
    // change a batch let in is never refused when checked alone later.
    let mut all: Vec<(SignedChange, DocId)> = changes.into_iter().map(|c| (c, doc)).collect();
    all[3].0 = odd;
    assert!(alone(&all).iter().all(Result::is_ok));
    for round in 0..16 {
        assert!(batched(&all).iter().all(Result::is_ok), "round {round}");
    }
}

#[test]
fn a_signer_key_of_small_order_is_refused() {
    // The identity point as a key: with it the cofactored equation holds for
    // any S and R of the form [S]B.
    let mut small = [0u8; 32];
    small[0] = 1;
    let signer = CenterId::from_bytes(small);
    let doc = DocId::catalog(signer);
    let s = Scalar::from_bytes_mod_order([3; 32]);
    let mut signature = [0u8; 64];
    signature[..32].copy_from_slice((s * ED25519_BASEPOINT_POINT).compress().as_bytes());
    signature[32..].copy_from_slice(s.as_bytes());
    let change = catalog(&identity(5), 1)[0].change.clone();
    let forged = SignedChange {
        doc,
        signer,
        signature,
        change,
    };
    let all = vec![(forged.clone(), doc), (forged, doc)];
    for outcome in batched(&all).into_iter().chain(alone(&all)) {
        assert!(
            matches!(outcome, Err(VerifyError::BadSignature { .. })),
            "{outcome:?}"
        );
    }
}
