//! Tests of signing and verification: every way a change can be forged or
//! misdirected must be rejected.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ROOT, ReadDoc};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;
use crate::catalog::CatalogDoc;
use crate::validate::ProfileInput;

fn identity(seed: u64) -> Identity {
    Identity::generate(&mut StdRng::seed_from_u64(seed))
}

fn genesis(identity: &Identity) -> SignedChange {
    let profile = ProfileInput {
        name: Some("Telecenter Kota Malang".into()),
        region: Some("Kota Malang".into()),
        contact: Some("0812-3456-7890".into()),
        ..Default::default()
    }
    .validate_new()
    .unwrap();
    CatalogDoc::create(identity, &profile, 1_763_860_000_000)
        .unwrap()
        .1
}

/// A change made with an arbitrary actor, not tied to any key.
fn change_with_actor(actor: &[u8]) -> Vec<u8> {
    let mut doc = Automerge::new();
    doc.set_actor(ActorId::from(actor));
    let result = doc
        .transact_with(
            |_| CommitOptions::default().with_time(0),
            |tx| tx.put(ROOT, "schema", 1u64),
        )
        .unwrap();
    let hash = result.hash.unwrap();
    doc.get_change_by_hash(&hash).unwrap().raw_bytes().to_vec()
}

#[test]
fn sign_verify_round_trip() {
    let malang = identity(1);
    let signed = genesis(&malang);
    let doc = DocId::catalog(malang.center_id());
    let decoded = SignedChange::from_bytes(&signed.to_bytes()).unwrap();
    assert_eq!(decoded, signed);
    let verified = decoded.verify(&doc).unwrap();
    assert_eq!(verified.signed.signer, malang.center_id());
    assert_eq!(*verified.change.actor_id(), actor_for(&malang.center_id()));
}

#[test]
fn every_tampered_byte_is_rejected() {
    let malang = identity(2);
    let doc = DocId::catalog(malang.center_id());
    let bytes = genesis(&malang).to_bytes();
    for position in 0..bytes.len() {
        for bit in [0x01u8, 0x80] {
            let mut tampered = bytes.clone();
            tampered[position] ^= bit;
            let result = SignedChange::from_bytes(&tampered).and_then(|s| s.verify(&doc));
            assert!(
                result.is_err(),
                "flipping bit {bit:#x} of byte {position} was accepted"
            );
        }
    }
    // Truncation and extension are tampering too.
    for cut in [1, 10, bytes.len() - ENVELOPE_HEADER_BYTES] {
        let short = &bytes[..bytes.len() - cut];
        assert!(
            SignedChange::from_bytes(short)
                .and_then(|s| s.verify(&doc))
                .is_err()
        );
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(
        SignedChange::from_bytes(&long)
            .and_then(|s| s.verify(&doc))
            .is_err()
    );
}

#[test]
fn a_signature_by_another_key_is_rejected() {
    let malang = identity(3);
    let blitar = identity(4);
    let mut signed = genesis(&malang);
    // Blitar re-signs Malang's change but the envelope still claims Malang.
    let forged = SignedChange::sign(&blitar, signed.doc, signed.change.clone());
    signed.signature = forged.signature;
    let err = signed
        .verify(&DocId::catalog(malang.center_id()))
        .unwrap_err();
    assert!(matches!(err, VerifyError::BadSignature { .. }), "{err}");
}

#[test]
fn a_key_that_does_not_own_the_catalog_is_unauthorised() {
    let malang = identity(5);
    let blitar = identity(6);
    // Blitar signs, honestly as itself, a change for Malang's catalog.
    let change = change_with_actor(blitar.center_id().as_bytes());
    let signed = SignedChange::sign(&blitar, DocId::catalog(malang.center_id()), change);
    let err = signed
        .verify(&DocId::catalog(malang.center_id()))
        .unwrap_err();
    assert!(matches!(err, VerifyError::Unauthorised { .. }), "{err}");
}

#[test]
fn an_actor_that_is_not_the_signer_is_rejected() {
    let malang = identity(7);
    let change = change_with_actor(&[0xab; 32]);
    let doc = DocId::catalog(malang.center_id());
    let err = SignedChange::sign(&malang, doc, change)
        .verify(&doc)
        .unwrap_err();
    assert!(matches!(err, VerifyError::ActorMismatch { .. }), "{err}");
}

#[test]
fn a_change_sent_for_another_document_is_rejected() {
    let malang = identity(8);
    let blitar = identity(9);
    let signed = genesis(&malang);
    let err = signed
        .verify(&DocId::catalog(blitar.center_id()))
        .unwrap_err();
    assert!(matches!(err, VerifyError::WrongDocument { .. }), "{err}");
}

#[test]
fn garbage_that_is_signed_is_still_rejected() {
    let malang = identity(10);
    let doc = DocId::catalog(malang.center_id());
    let err = SignedChange::sign(&malang, doc, b"not an automerge change".to_vec())
        .verify(&doc)
        .unwrap_err();
    assert!(matches!(err, VerifyError::MalformedChange { .. }), "{err}");
}

#[test]
fn oversized_changes_are_rejected_before_any_work() {
    let mut bytes = vec![ENVELOPE_VERSION];
    bytes.resize(ENVELOPE_HEADER_BYTES + CHANGE_BYTES_MAX + 1, 0);
    let err = SignedChange::from_bytes(&bytes).unwrap_err();
    assert!(matches!(err, VerifyError::TooLarge { .. }), "{err}");
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let doc = DocId::catalog(CenterId::from_bytes([1; 32]));
        // Random bytes never carry a valid signature: always an error, never a panic.
        prop_assert!(SignedChange::from_bytes(&bytes).and_then(|s| s.verify(&doc)).is_err());
    }
}
