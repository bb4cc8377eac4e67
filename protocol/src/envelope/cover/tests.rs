//! Tests of authentication by hash chain: a batch in order needs one signature
//! per chain, and nothing that is not the owner's own history is ever covered.

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;
use crate::catalog::CatalogDoc;
use crate::catalog::input::{NewListing, ProfileInput};
use crate::envelope::{Authenticated, VerifyError};
use crate::identity::Identity;

const T0: i64 = 1_763_860_000_000;

/// A catalog's genesis and `listings` listings added after it, in order.
fn chain(seed: u64, listings: usize) -> (Identity, Vec<SignedChange>) {
    let identity = Identity::generate(&mut StdRng::seed_from_u64(seed));
    let profile = ProfileInput {
        name: Some("Telecenter Kota Malang".into()),
        region: Some("Kota Malang".into()),
        ..Default::default()
    }
    .validate_new()
    .unwrap();
    let (mut doc, genesis) = CatalogDoc::create(&identity, &profile, T0).unwrap();
    let mut changes = vec![genesis];
    let mut rng = StdRng::seed_from_u64(seed + 1);
    for n in 0..listings {
        let listing = NewListing {
            title: format!("Keripik Pisang {n}"),
            description: "Renyah dan manis.".into(),
            category: "makanan".into(),
            price_idr: 15_000,
            stock: 40,
            ..Default::default()
        }
        .validate()
        .unwrap();
        let (_, signed) = doc
            .add_listing(&identity, &mut rng, &listing, T0 + 1 + n as i64)
            .unwrap();
        changes.push(signed);
    }
    (identity, changes)
}

fn links(changes: &[SignedChange]) -> Vec<Option<Link>> {
    changes.iter().map(|c| Some(Link::of(c))).collect()
}

fn signatures(checks: &[Check]) -> Vec<usize> {
    (0..checks.len())
        .filter(|&i| checks[i] == Check::Signature)
        .collect()
}

#[test]
fn a_chain_in_order_needs_only_its_last_signature() {
    let (_, changes) = chain(1, 6);
    let checks = plan(&links(&changes), &[]);
    assert_eq!(signatures(&checks), vec![6]);
    for (change, check) in changes.iter().zip(&checks).take(6) {
        let Check::Covered(hash) = *check else {
            panic!("covered")
        };
        let verified = change.clone().verify_covered(&change.doc, hash).unwrap();
        assert_eq!(verified.authenticated, Authenticated::HashChain);
        assert_eq!(verified.hash(), hash);
    }
}

#[test]
fn the_chunk_hash_is_automerges_change_hash() {
    let (_, changes) = chain(2, 2);
    for change in changes {
        let verified = change.clone().verify(&change.doc).unwrap();
        assert_eq!(chunk_hash(&change.change), Some(verified.hash()));
        assert_eq!(verified.authenticated, Authenticated::Signature);
    }
}

#[test]
fn changes_out_of_order_are_each_checked_by_signature() {
    let (_, mut changes) = chain(3, 3);
    changes.reverse();
    assert_eq!(signatures(&plan(&links(&changes), &[])), vec![0, 1, 2, 3]);
}

#[test]
fn a_tip_that_failed_its_signature_covers_nothing() {
    let (_, changes) = chain(4, 3);
    let refused = [false, false, false, true];
    assert_eq!(signatures(&plan(&links(&changes), &refused)), vec![2, 3]);
}

#[test]
fn an_altered_change_under_a_signed_tip_is_not_covered() {
    let (_, mut changes) = chain(5, 3);
    let last = changes[1].change.len() - 1;
    changes[1].change[last] ^= 0x01;
    let checks = plan(&links(&changes), &[]);
    assert_eq!(signatures(&checks), vec![1, 3]);
    assert!(matches!(
        changes[1].clone().verify(&changes[1].doc),
        Err(VerifyError::BadSignature { .. })
    ));
}

#[test]
fn another_catalogs_tip_does_not_cover_a_change_sent_for_this_one() {
    let (_, a) = chain(6, 2);
    let (_, b) = chain(8, 2);
    // A's history, its envelopes relabelled as B's, before B's own tip.
    let mut relabelled: Vec<SignedChange> = a[..2].to_vec();
    for change in &mut relabelled {
        change.doc = b[0].doc;
        change.signer = b[0].signer;
    }
    let mut batch = relabelled;
    batch.push(a[2].clone());
    batch.push(b[2].clone());
    let links = links(&batch);
    // A's tip covers nothing of "B"'s: documents are kept apart. The
    // relabelled second change names the first, but only until its own
    // signature (as B's) is checked and fails.
    assert_eq!(signatures(&plan(&links, &[])), vec![1, 2, 3]);
    assert!(matches!(
        batch[1].clone().verify(&b[0].doc),
        Err(VerifyError::BadSignature { .. })
    ));
    let refused = [false, true, false, false];
    assert_eq!(signatures(&plan(&links, &refused)), vec![0, 1, 2, 3]);
}

#[test]
fn a_chunk_with_a_wrong_checksum_has_no_hash() {
    let (_, changes) = chain(9, 1);
    let mut chunk = changes[1].change.clone();
    assert!(chunk_hash(&chunk).is_some());
    chunk[4] ^= 0x01;
    assert_eq!(chunk_hash(&chunk), None);
    assert_eq!(chunk_hash(&chunk[..8]), None);
    assert_eq!(chunk_hash(b""), None);
}

#[test]
fn verify_covered_refuses_a_chunk_that_is_not_the_named_one() {
    let (_, changes) = chain(10, 2);
    let other = chunk_hash(&changes[2].change).unwrap();
    assert!(matches!(
        changes[1].clone().verify_covered(&changes[1].doc, other),
        Err(VerifyError::BadSignature { .. })
    ));
    // The other checks still apply to a covered change.
    let hash = chunk_hash(&changes[1].change).unwrap();
    let elsewhere = changes[2].doc;
    let mut misaddressed = changes[1].clone();
    misaddressed.doc = DocId::catalog(crate::id::CenterId::from_bytes([7; 32]));
    assert!(matches!(
        misaddressed.verify_covered(&elsewhere, hash),
        Err(VerifyError::WrongDocument { .. })
    ));
}

#[test]
fn dependencies_are_read_from_the_header_and_bounded_by_the_bytes() {
    let (_, changes) = chain(11, 1);
    let verified = changes[1].clone().verify(&changes[1].doc).unwrap();
    assert_eq!(
        bounds::dependencies(&changes[1].change).unwrap(),
        verified.change.deps().to_vec()
    );
    // A header claiming more dependencies than its bytes hold.
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 1, 3, 0xff, 0xff, 0x03];
    assert!(bounds::dependencies(&chunk).is_err());
    chunk.truncate(9);
    assert!(bounds::dependencies(&chunk).is_err());
}
