//! Tests of signing and verification: every way a change can be forged or
//! misdirected must be rejected.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ROOT, ReadDoc};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;
use crate::catalog::CatalogDoc;
use crate::catalog::input::ProfileInput;

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

/// A later writing epoch's actor (the key and 8 more bytes) is the signer's own.
#[test]
fn an_actor_of_the_signers_key_and_an_epoch_id_is_accepted() {
    let malang = identity(20);
    let epoch = EpochId::from_bytes(*b"restored");
    let actor = actor_for_epoch(&malang.center_id(), Some(epoch));
    let doc = DocId::catalog(malang.center_id());
    let verified = SignedChange::sign(&malang, doc, change_with_actor(actor.to_bytes()))
        .verify(&doc)
        .unwrap();
    assert_eq!(verified.epoch(), Some(epoch));
    assert_eq!(
        verified.chain(),
        ChainId {
            doc,
            epoch: Some(epoch)
        }
    );
    assert_eq!(genesis(&malang).verify(&doc).unwrap().epoch(), None);
}

/// Another key's epoch actor is not the signer's: the key part must match.
#[test]
fn an_epoch_actor_of_another_key_is_rejected() {
    let malang = identity(21);
    let blitar = identity(22);
    let epoch = EpochId::from_bytes([7; 8]);
    let doc = DocId::catalog(malang.center_id());
    // Malang signs its own catalog, but the change's actor is Blitar's key plus an epoch.
    let blitar_actor = actor_for_epoch(&blitar.center_id(), Some(epoch));
    let err = SignedChange::sign(&malang, doc, change_with_actor(blitar_actor.to_bytes()))
        .verify(&doc)
        .unwrap_err();
    assert!(matches!(err, VerifyError::ActorMismatch { .. }), "{err}");
    // Blitar signs a change with Malang's epoch actor for Malang's catalog.
    let malang_actor = actor_for_epoch(&malang.center_id(), Some(epoch));
    let err = SignedChange::sign(&blitar, doc, change_with_actor(malang_actor.to_bytes()))
        .verify(&doc)
        .unwrap_err();
    assert!(matches!(err, VerifyError::Unauthorised { .. }), "{err}");
    // Blitar signs its own catalog with Malang's epoch actor.
    let blitar_doc = DocId::catalog(blitar.center_id());
    let err = SignedChange::sign(
        &blitar,
        blitar_doc,
        change_with_actor(malang_actor.to_bytes()),
    )
    .verify(&blitar_doc)
    .unwrap_err();
    assert!(matches!(err, VerifyError::ActorMismatch { .. }), "{err}");
}

/// The epoch id is exactly 8 bytes: the key followed by any other length is refused.
#[test]
fn an_epoch_actor_of_the_wrong_length_is_rejected() {
    let malang = identity(23);
    let doc = DocId::catalog(malang.center_id());
    for extra in [1usize, 4, 7, 9, 16, 32] {
        let mut actor = malang.center_id().as_bytes().to_vec();
        actor.extend(std::iter::repeat_n(0x5a, extra));
        let err = SignedChange::sign(&malang, doc, change_with_actor(&actor))
            .verify(&doc)
            .unwrap_err();
        assert!(
            matches!(err, VerifyError::ActorMismatch { .. }),
            "{extra}: {err}"
        );
    }
    // A prefix of the key is not the key.
    let key = malang.center_id();
    let short = &key.as_bytes()[..24];
    let err = SignedChange::sign(&malang, doc, change_with_actor(short))
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

// ---------------------------------------------------------------------------
// Finding 1 of issue 9: memory bombs in a signed change. Every bomb is signed by
// the catalog's owner, so only the pre-parse (`bounds::measure`) stands between
// it and Automerge's decoder.

use std::time::{Duration, Instant};

use bounds::{BoundsError, ChangeShape, measure};
use sha2::{Digest, Sha256};

use crate::limits::{CHANGE_EXPANDED_BYTES_MAX, CHANGE_OPS_MAX, CHANGE_PREDS_MAX};

/// Generous: each bomb is refused in microseconds; decoding one would take
/// minutes (or, for the 2^40 runs, never finish).
const REFUSAL_TIME_MAX: Duration = Duration::from_secs(2);

fn uleb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, mut value: i64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A change chunk (type 1, valid checksum) by `actor` with these columns
/// (spec, data), written by hand.
fn hand_made_chunk(actor: &[u8; 32], columns: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    uleb(&mut body, 0); // no dependencies
    uleb(&mut body, 32);
    body.extend_from_slice(actor);
    uleb(&mut body, 1); // seq
    uleb(&mut body, 1); // start op
    sleb(&mut body, 0); // time
    uleb(&mut body, 0); // message
    uleb(&mut body, 0); // other actors
    uleb(&mut body, columns.len() as u64);
    for (spec, data) in columns {
        uleb(&mut body, u64::from(*spec));
        uleb(&mut body, data.len() as u64);
    }
    for (_, data) in columns {
        body.extend_from_slice(data);
    }
    let mut length = Vec::new();
    uleb(&mut length, body.len() as u64);
    let hash = Sha256::new()
        .chain_update([1u8])
        .chain_update(&length)
        .chain_update(&body)
        .finalize();
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83];
    chunk.extend_from_slice(&hash[..4]);
    chunk.push(1);
    chunk.extend_from_slice(&length);
    chunk.extend_from_slice(&body);
    chunk
}

const ACTION_INTEGER: u32 = (4 << 4) | 2;
const PRED_GROUP: u32 = 7 << 4;
const PRED_ACTOR: u32 = (7 << 4) | 1;
const KEY_STRING: u32 = (1 << 4) | 5;

/// Signs `chunk` as a change of `malang`'s catalog and verifies it, timing the refusal.
fn verify_bomb(malang: &Identity, chunk: Vec<u8>) -> VerifyError {
    let doc = DocId::catalog(malang.center_id());
    let signed = SignedChange::sign(malang, doc, chunk);
    let started = Instant::now();
    let err = signed.verify(&doc).unwrap_err();
    assert!(
        started.elapsed() < REFUSAL_TIME_MAX,
        "took {:?}",
        started.elapsed()
    );
    err
}

#[test]
fn a_real_catalog_change_is_measured_and_passes() {
    let malang = identity(20);
    let signed = genesis(&malang);
    let shape = measure(&signed.change).unwrap();
    assert!(shape.ops > 0 && shape.ops < 100, "{shape:?}");
    assert!(shape.expanded_bytes < 1_000, "{shape:?}");
    // And a listing with every field, which overwrites values (predecessors).
    let doc_id = DocId::catalog(malang.center_id());
    let mut doc = CatalogDoc::empty(malang.center_id());
    doc.apply(&signed.verify(&doc_id).unwrap()).unwrap();
    let listing = crate::catalog::input::NewListing {
        title: "Keripik Tempe Sanan".into(),
        description: "Keripik tempe renyah buatan UMKM Sanan, Kota Malang.".repeat(30),
        lang: None,
        category: "makanan".into(),
        price_idr: 15_000,
        stock: 10,
        unit: Some("bungkus".into()),
        producer: Some("UMKM Sanan".into()),
        producer_village: None,
        photos: Vec::new(),
    }
    .validate()
    .unwrap();
    let mut rng = StdRng::seed_from_u64(3);
    let (_, add) = doc
        .add_listing(&malang, &mut rng, &listing, 1_763_860_001_000)
        .unwrap();
    let shape = measure(&add.change).unwrap();
    assert!(shape.ops < CHANGE_OPS_MAX / 50, "{shape:?}");
    add.verify(&doc_id).unwrap();
}

#[test]
fn compressed_change_bomb_is_refused() {
    let malang = identity(21);
    // A real change of 8 MiB (one long string) that deflates to a few KiB.
    let mut doc = Automerge::new();
    doc.set_actor(actor_for(&malang.center_id()));
    let result = doc
        .transact_with(
            |_| CommitOptions::default().with_time(0),
            |tx| tx.put(ROOT, "junk", "a".repeat(8 * 1024 * 1024)),
        )
        .unwrap();
    let mut change = doc
        .get_change_by_hash(&result.hash.unwrap())
        .unwrap()
        .clone();
    let compressed = change.bytes().to_vec();
    assert_eq!(compressed[8], 2, "automerge did not compress the chunk");
    assert!(compressed.len() < CHANGE_BYTES_MAX, "{}", compressed.len());
    assert!(matches!(
        measure(&compressed),
        Err(BoundsError::Compressed(_))
    ));
    let err = verify_bomb(&malang, compressed);
    assert!(matches!(err, VerifyError::CompressedChange { .. }), "{err}");
}

#[test]
fn a_deflated_column_is_refused() {
    let malang = identity(22);
    let chunk = hand_made_chunk(
        malang.center_id().as_bytes(),
        &[(ACTION_INTEGER | 0b1000, vec![0x01, 0x01])],
    );
    let err = verify_bomb(&malang, chunk);
    assert!(matches!(err, VerifyError::CompressedChange { .. }), "{err}");
}

#[test]
fn rle_run_of_2_40_actions_is_refused() {
    let malang = identity(23);
    let mut run = Vec::new();
    sleb(&mut run, 1 << 40);
    uleb(&mut run, 1); // action "set"
    let mut keys = Vec::new();
    sleb(&mut keys, 1 << 40);
    uleb(&mut keys, 1);
    keys.push(b'k');
    let chunk = hand_made_chunk(
        malang.center_id().as_bytes(),
        &[(KEY_STRING, keys), (ACTION_INTEGER, run)],
    );
    assert!(chunk.len() < 200);
    assert_eq!(
        measure(&chunk),
        Err(BoundsError::OverLimit {
            what: "operations",
            limit: CHANGE_OPS_MAX
        })
    );
    let err = verify_bomb(&malang, chunk);
    assert!(matches!(err, VerifyError::ChangeOverLimit { .. }), "{err}");
    // A literal run and a null run that claim as much are refused alike.
    for run in [-(1i64 << 40), i64::MIN] {
        let mut literal = Vec::new();
        sleb(&mut literal, run);
        let chunk = hand_made_chunk(malang.center_id().as_bytes(), &[(ACTION_INTEGER, literal)]);
        assert!(matches!(
            measure(&chunk),
            Err(BoundsError::OverLimit { .. })
        ));
    }
    let mut nulls = vec![0];
    uleb(&mut nulls, u64::MAX);
    let chunk = hand_made_chunk(malang.center_id().as_bytes(), &[(ACTION_INTEGER, nulls)]);
    assert!(matches!(
        measure(&chunk),
        Err(BoundsError::OverLimit { .. })
    ));
}

#[test]
fn huge_pred_run_is_refused() {
    let malang = identity(24);
    // Ten operations, each claiming 2^40 predecessors.
    let mut groups = Vec::new();
    sleb(&mut groups, 10);
    uleb(&mut groups, 1 << 40);
    let chunk = hand_made_chunk(malang.center_id().as_bytes(), &[(PRED_GROUP, groups)]);
    assert_eq!(
        measure(&chunk),
        Err(BoundsError::OverLimit {
            what: "predecessors",
            limit: CHANGE_PREDS_MAX
        })
    );
    let err = verify_bomb(&malang, chunk);
    assert!(matches!(err, VerifyError::ChangeOverLimit { .. }), "{err}");
    // The predecessor actor column itself may not claim more rows either.
    let mut actors = Vec::new();
    sleb(&mut actors, 1 << 40);
    uleb(&mut actors, 0);
    let chunk = hand_made_chunk(malang.center_id().as_bytes(), &[(PRED_ACTOR, actors)]);
    assert!(matches!(
        measure(&chunk),
        Err(BoundsError::OverLimit {
            what: "predecessors",
            ..
        })
    ));
}

#[test]
fn repeated_long_key_is_refused() {
    let malang = identity(25);
    // 4 000 operations (within the op limit) on one 60 000-byte key: 240 MB of keys.
    let mut keys = Vec::new();
    sleb(&mut keys, 4_000);
    uleb(&mut keys, 60_000);
    keys.extend(std::iter::repeat_n(b'k', 60_000));
    let chunk = hand_made_chunk(malang.center_id().as_bytes(), &[(KEY_STRING, keys)]);
    assert!(chunk.len() <= CHANGE_BYTES_MAX);
    assert_eq!(
        measure(&chunk),
        Err(BoundsError::OverLimit {
            what: "expanded string bytes",
            limit: CHANGE_EXPANDED_BYTES_MAX
        })
    );
    let err = verify_bomb(&malang, chunk);
    assert!(matches!(err, VerifyError::ChangeOverLimit { .. }), "{err}");
}

#[test]
fn chunks_that_are_not_changes_or_lie_about_their_length_are_malformed() {
    let malang = identity(26);
    let good = hand_made_chunk(malang.center_id().as_bytes(), &[]);
    assert_eq!(measure(&good), Ok(ChangeShape::default()));
    let mut document = good.clone();
    document[8] = 0;
    let mut longer = good.clone();
    longer.push(0);
    let mut bad_sum = good.clone();
    bad_sum[4] ^= 1;
    for chunk in [document, longer, bad_sum, good[..good.len() - 1].to_vec()] {
        assert!(matches!(measure(&chunk), Err(BoundsError::Malformed(_))));
    }
}

proptest! {
    #[test]
    fn measure_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = measure(&bytes);
    }

    #[test]
    fn measure_never_panics_on_hand_made_columns(
        columns in proptest::collection::vec((0u32..256, proptest::collection::vec(any::<u8>(), 0..64)), 0..6)
    ) {
        let mut columns = columns;
        columns.sort_by_key(|(spec, _)| *spec & !0b1000);
        let chunk = hand_made_chunk(&[9; 32], &columns);
        // Whatever the columns claim, measuring is quick and never panics.
        let started = Instant::now();
        if let Ok(shape) = measure(&chunk) {
            prop_assert!(shape.ops <= CHANGE_OPS_MAX && shape.preds <= CHANGE_PREDS_MAX);
            prop_assert!(shape.expanded_bytes <= CHANGE_EXPANDED_BYTES_MAX);
        }
        prop_assert!(started.elapsed() < REFUSAL_TIME_MAX);
    }

    #[test]
    fn a_tampered_real_change_never_panics_the_measure(position in 0usize..10_000, byte in any::<u8>()) {
        let signed = genesis(&identity(27));
        let mut chunk = signed.change.clone();
        let position = position % chunk.len();
        chunk[position] = byte;
        let _ = measure(&chunk);
    }
}
