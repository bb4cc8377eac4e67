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

/// Edge cases from a review of the batch check as an attacker (issue 16,
/// session 8).
mod edges {
    use super::*;
    use automerge::transaction::{CommitOptions, Transactable};
    use automerge::{ActorId, Automerge, ROOT, ReadDoc};
    use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
    use rand::{Rng, RngCore};

    /// Step 5 as nodes built before ZIP 215's rules checked it (strict RFC 8032).
    fn strict_step5(signed: &SignedChange) -> bool {
        ed25519_dalek::VerifyingKey::from_bytes(signed.signer.as_bytes()).is_ok_and(|key| {
            key.verify_strict(
                &signed.signed_bytes(),
                &ed25519_dalek::Signature::from_bytes(&signed.signature),
            )
            .is_ok()
        })
    }

    /// A one-op Automerge change whose actor is `key` (epoch 0).
    fn change_by(key: &[u8; 32], value: u64) -> Vec<u8> {
        let mut doc = Automerge::new();
        doc.set_actor(ActorId::from(key.to_vec()));
        let hash = doc
            .transact_with(
                |_| CommitOptions::default().with_time(T0),
                |tx| tx.put(ROOT, "v", value),
            )
            .unwrap()
            .hash
            .unwrap();
        doc.get_change_by_hash(&hash).unwrap().bytes().to_vec()
    }

    /// Signs under ZIP 215 with secret scalar `a` for the key bytes `key`
    /// (which may be `aB + T`), nonce point `[r]B + nonce_torsion`.
    fn sign_raw(
        a: Scalar,
        key: [u8; 32],
        change: Vec<u8>,
        r: Scalar,
        nonce_torsion: EdwardsPoint,
    ) -> SignedChange {
        let signer = CenterId::from_bytes(key);
        let doc = DocId::catalog(signer);
        let mut signed = SignedChange {
            doc,
            signer,
            signature: [0; 64],
            change,
        };
        let big_r = (r * ED25519_BASEPOINT_POINT + nonce_torsion).compress();
        let k = Scalar::from_hash(
            Sha512::new()
                .chain_update(big_r.as_bytes())
                .chain_update(key)
                .chain_update(signed.signed_bytes()),
        );
        let s = r + k * a;
        signed.signature[..32].copy_from_slice(big_r.as_bytes());
        signed.signature[32..].copy_from_slice(s.as_bytes());
        signed
    }

    /// A signer key with a torsion component: `A' = [a]B + T8` (not of small
    /// order, so `SignerKeys` lets it through).
    fn mixed_order_key(seed: u8) -> (Scalar, [u8; 32]) {
        let a = Scalar::from_bytes_mod_order([seed; 32]);
        let key = (a * ED25519_BASEPOINT_POINT + EIGHT_TORSION[1]).compress();
        (a, key.to_bytes())
    }

    /// Finding (review, session 8): a catalog owner can make signatures that
    /// ZIP 215 accepts and the strict check of nodes built before it refuses.
    /// That widening is the documented rule (docs/protocol.md §5 and §13):
    /// this test pins it, so that it cannot change again unnoticed.
    #[test]
    fn signatures_only_zip_215_accepts_pass_here_and_fail_the_strict_check() {
        // 1. Torsioned nonce, ordinary key.
        let owner = identity(4);
        let odd = sign_with_torsion(&owner, catalog(&owner, 1)[0].change.clone());
        let doc = odd.doc;
        assert!(odd.clone().verify(&doc).is_ok());
        assert!(!strict_step5(&odd));
        // 2. A key with a torsion part: every signature by it passes ZIP 215;
        //    strict checking refuses 7 in 8 of them (k not a multiple of 8).
        let (a, key) = mixed_order_key(9);
        let mut refused_by_strict = 0;
        for n in 0..32 {
            let signed = sign_raw(
                a,
                key,
                change_by(&key, n),
                Scalar::from(1000 + n),
                EdwardsPoint::default(),
            );
            let doc = signed.doc;
            assert!(signed.clone().verify(&doc).is_ok(), "{n}");
            let batch = batched(&[(signed.clone(), doc), (signed.clone(), doc)]);
            assert!(batch.iter().all(Result::is_ok));
            refused_by_strict += usize::from(!strict_step5(&signed));
        }
        assert!(refused_by_strict > 16, "{refused_by_strict}");
    }

    /// Every kind of edge envelope, for a randomised batch-vs-alone comparison.
    fn zoo() -> Vec<(SignedChange, DocId)> {
        let mut zoo = Vec::new();
        let owners: Vec<Identity> = (1..=2).map(identity).collect();
        for owner in &owners {
            let doc = DocId::catalog(owner.center_id());
            let changes = catalog(owner, 4);
            for c in &changes {
                zoo.push((c.clone(), doc)); // good
            }
            let mut flipped = changes[1].clone();
            flipped.signature[40] ^= 1; // bad S
            zoo.push((flipped, doc));
            let mut plus_l = changes[2].clone(); // S + l
            let mut carry = 0u16;
            let l: [u8; 32] = [
                0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
                0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
            ];
            for (byte, l) in plus_l.signature[32..].iter_mut().zip(l) {
                let sum = u16::from(*byte) + u16::from(l) + carry;
                *byte = sum as u8;
                carry = sum >> 8;
            }
            zoo.push((plus_l, doc));
            zoo.push((sign_with_torsion(owner, changes[3].change.clone()), doc));
            for t in [0usize, 2, 4] {
                // small-order R, S = 0
                let mut so = changes[1].clone();
                so.signature[..32].copy_from_slice(EIGHT_TORSION[t].compress().as_bytes());
                so.signature[32..].fill(0);
                zoo.push((so, doc));
            }
            let mut not_point = changes[2].clone(); // R not a point
            let mut y = 2u8;
            loop {
                let mut bytes = [0u8; 32];
                bytes[0] = y;
                if CompressedEdwardsY(bytes).decompress().is_none() {
                    not_point.signature[..32].copy_from_slice(&bytes);
                    break;
                }
                y += 1;
            }
            zoo.push((not_point, doc));
            // Non-canonical R (identity as y = p + 1), S = 0.
            let mut nc = changes[1].clone();
            let mut p1 = [0xffu8; 32];
            p1[0] = 0xee;
            p1[31] = 0x7f;
            nc.signature[..32].copy_from_slice(&p1);
            nc.signature[32..].fill(0);
            zoo.push((nc, doc));
            // Wrong document.
            zoo.push((changes[0].clone(), DocId::catalog(identity(77).center_id())));
        }
        // Mixed-order key: good, torsioned nonce, broken.
        let (a, key) = mixed_order_key(9);
        for n in 0..3u64 {
            let t = EIGHT_TORSION[n as usize * 3];
            let signed = sign_raw(a, key, change_by(&key, n), Scalar::from(7 + n), t);
            let doc = signed.doc;
            zoo.push((signed.clone(), doc));
            let mut broken = signed;
            broken.signature[0] ^= 2;
            zoo.push((broken, doc));
        }
        // Small-order key (universal forgery) and its non-canonical twin.
        for key_hex in [
            "0100000000000000000000000000000000000000000000000000000000000000",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ] {
            let key: [u8; 32] = hex::decode(key_hex).unwrap().try_into().unwrap();
            let s = Scalar::from(3u8);
            let signer = CenterId::from_bytes(key);
            let mut signature = [0u8; 64];
            signature[..32].copy_from_slice((s * ED25519_BASEPOINT_POINT).compress().as_bytes());
            signature[32..].copy_from_slice(s.as_bytes());
            let doc = DocId::catalog(signer);
            zoo.push((
                SignedChange {
                    doc,
                    signer,
                    signature,
                    change: change_by(&key, 1),
                },
                doc,
            ));
        }
        zoo
    }

    /// Batches of 0..=9 items drawn with replacement (duplicates), in random
    /// order, mixing keys and every edge case: batched == alone, in order.
    #[test]
    fn random_batches_of_edge_cases_agree_with_alone() {
        let zoo = zoo();
        let expected = alone(&zoo);
        // The zoo holds both accepted and refused items.
        assert!(expected.iter().any(Result::is_ok) && expected.iter().any(Result::is_err));
        let mut pick = StdRng::seed_from_u64(1);
        for round in 0..300 {
            let size = pick.gen_range(0..=9);
            let idx: Vec<usize> = (0..size).map(|_| pick.gen_range(0..zoo.len())).collect();
            let batch: Vec<(SignedChange, DocId)> = idx.iter().map(|&i| zoo[i].clone()).collect();
            let mut rng = StdRng::seed_from_u64(pick.next_u64());
            let got: Vec<_> = verify_batch(batch, &mut SignerKeys::default(), &mut rng)
                .into_iter()
                .map(|o| o.map(|v| v.hash()))
                .collect();
            let want: Vec<_> = idx.iter().map(|&i| expected[i].clone()).collect();
            assert_eq!(got, want, "round {round}: {idx:?}");
        }
    }
}
