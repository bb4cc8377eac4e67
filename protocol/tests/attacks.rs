//! Attacks on the signatures the protocol checks, in the manner of Wycheproof's
//! `eddsa_test.json` and of "Taming the many EdDSAs" (Chalkias, Garillot,
//! Nikolaenko, 2020): non-canonical scalars and points, small-order keys and
//! nonces, malleated signatures, keys that are not points, and changes whose
//! author, actor or document do not match.
//!
//! Two checks are under attack: [`SignedChange::verify`] (catalog changes,
//! ZIP 215's rules with small-order keys refused, so that a batch of them can be
//! checked at once with the same answer) and [`identity::verify`] (hop headers,
//! pair messages, sealed mail: strict RFC 8032). Where a case is a real forgery,
//! the test first shows that ed25519-dalek's *lenient* `Verifier::verify` (the
//! cofactorless equation with no small-order checks) accepts it, so the test
//! proves that the check under attack is what stops it: for catalog changes,
//! refusing small-order keys, and the equation itself (ZIP 215 accepts a
//! non-canonical or small-order-tainted `R` when the cofactored equation holds,
//! which only the key's owner can arrange: see `envelope/batch.rs`).

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ROOT, ReadDoc};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use rand::SeedableRng;
use telecenter_protocol::catalog::CatalogDoc;
use telecenter_protocol::catalog::input::ProfileInput;
use telecenter_protocol::envelope::CATALOG_CHANGE_DOMAIN;
use telecenter_protocol::hop::{HopAuth, HopError};
use telecenter_protocol::order::{MessageError, PAIR_VERSION, SignedMessage};
use telecenter_protocol::sealed::{SealError, SealedMail};
use telecenter_protocol::{CenterId, DocId, Identity, SignedChange, VerifyError, identity};

/// The order of the ed25519 base point, ℓ = 2^252 + 27742317777372353535851937790883648493,
/// little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The encoding of the identity point (x = 0, y = 1), of order 1.
const IDENTITY_POINT: &str = "0100000000000000000000000000000000000000000000000000000000000000";

/// Canonical encodings of the eight points of small order (1, 2, 4, 4, 8, 8, 8, 8).
const SMALL_ORDER: [&str; 8] = [
    IDENTITY_POINT,
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
];

/// Non-canonical encodings of small-order points: y ≥ p (p + 1 is the identity,
/// p is y = 0), and x = 0 written with its sign bit set ("negative zero").
const NON_CANONICAL_SMALL_ORDER: [&str; 6] = [
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "0100000000000000000000000000000000000000000000000000000000000080",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
];

const DOMAIN: &[u8] = b"telecenter v1 attack-test\0";
const AT_MS: i64 = 1_763_860_000_000;

fn bytes32(hex_text: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut out).expect("32 bytes of hex");
    out
}

fn identity(seed: u8) -> Identity {
    Identity::from_secret_bytes(&[seed; 32])
}

/// `R || S`.
fn signature(r: [u8; 32], s: [u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&r);
    out[32..].copy_from_slice(&s);
    out
}

/// `S + ℓ` as 256-bit little-endian numbers (S < ℓ < 2^253, so it never overflows).
fn add_l(s: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(s[i]) + u16::from(L[i]) + carry;
        out[i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    out
}

/// ed25519-dalek's lenient verification of `message` (no small-order checks).
fn lenient_accepts(key: &[u8; 32], message: &[u8], sig: &[u8; 64]) -> bool {
    VerifyingKey::from_bytes(key)
        .is_ok_and(|k| k.verify(message, &Signature::from_bytes(sig)).is_ok())
}

fn with_domain(domain: &[u8], message: &[u8]) -> Vec<u8> {
    [domain, message].concat()
}

fn genesis(identity: &Identity) -> SignedChange {
    let profile = ProfileInput {
        name: Some("Telecenter Kota Malang".into()),
        region: Some("Kota Malang".into()),
        contact: Some("0812-3456-7890".into()),
        ..Default::default()
    }
    .validate_new()
    .expect("valid profile");
    CatalogDoc::create(identity, &profile, AT_MS)
        .expect("genesis")
        .1
}

/// The bytes a catalog-change signature covers.
fn change_message(doc: &DocId, signer: &CenterId, change: &[u8]) -> Vec<u8> {
    [
        CATALOG_CHANGE_DOMAIN,
        &doc.to_bytes(),
        signer.as_bytes(),
        change,
    ]
    .concat()
}

/// A catalog change claiming to be by `key`, for `key`'s catalog, with signature `sig`.
fn change_by_key(key: [u8; 32], change: Vec<u8>, sig: [u8; 64]) -> SignedChange {
    let signer = CenterId::from_bytes(key);
    SignedChange {
        doc: DocId::catalog(signer),
        signer,
        signature: sig,
        change,
    }
}

/// A one-operation change whose Automerge actor is `actor`.
fn change_with_actor(actor: &[u8], value: u64) -> Vec<u8> {
    let mut doc = Automerge::new();
    doc.set_actor(ActorId::from(actor));
    let result = doc
        .transact_with(
            |_| CommitOptions::default().with_time(0),
            |tx| tx.put(ROOT, "schema", value),
        )
        .expect("a change");
    let hash = result.hash.expect("a hash");
    doc.get_change_by_hash(&hash)
        .expect("the change")
        .raw_bytes()
        .to_vec()
}

#[test]
fn the_small_order_points_listed_here_are_small_order() {
    for point in SMALL_ORDER {
        let key = VerifyingKey::from_bytes(&bytes32(point)).expect("a point");
        assert!(key.is_weak(), "{point} should be of small order");
    }
    for point in NON_CANONICAL_SMALL_ORDER {
        // ed25519-dalek decodes these (reducing y mod p); all are small order.
        let key = VerifyingKey::from_bytes(&bytes32(point)).expect("decodes");
        assert!(key.is_weak(), "{point} should be of small order");
    }
}

/// With the identity point as public key, `R = identity, S = 0` satisfies the
/// cofactorless equation `[S]B = R + [k]A` for every message: a universal forgery.
#[test]
fn identity_point_key_universal_forgery_is_refused() {
    let key = bytes32(IDENTITY_POINT);
    let sig = signature(bytes32(IDENTITY_POINT), [0; 32]);
    for message in [&b"pay 1000000 rupiah"[..], b"", b"anything at all"] {
        assert!(lenient_accepts(&key, &with_domain(DOMAIN, message), &sig));
        assert!(!identity::verify(
            &CenterId::from_bytes(key),
            DOMAIN,
            &[message],
            &sig
        ));
    }
    let change = change_with_actor(&key, 1);
    let signed = change_by_key(key, change, sig);
    assert!(lenient_accepts(
        &key,
        &change_message(&signed.doc, &signed.signer, &signed.change),
        &sig
    ));
    let doc = signed.doc;
    assert_eq!(
        signed.clone().verify(&doc).unwrap_err(),
        VerifyError::BadSignature {
            signer: signed.signer
        }
    );
}

/// Every small-order key (all eight, and their non-canonical encodings), with
/// `R = identity, S = 0`: the lenient check accepts the messages for which
/// `[k]A` is the identity; the strict check refuses every one.
#[test]
fn small_order_public_keys_are_refused() {
    for point in SMALL_ORDER.iter().chain(&NON_CANONICAL_SMALL_ORDER) {
        let key = bytes32(point);
        let center = CenterId::from_bytes(key);
        let sig = signature(bytes32(IDENTITY_POINT), [0; 32]);
        let mut forged = 0;
        for n in 0u32..256 {
            let message = n.to_be_bytes();
            if lenient_accepts(&key, &with_domain(DOMAIN, &message), &sig) {
                forged += 1;
            }
            assert!(!identity::verify(&center, DOMAIN, &[&message], &sig));

            let signed = change_by_key(key, change_with_actor(&key, u64::from(n)), sig);
            if lenient_accepts(
                &key,
                &change_message(&signed.doc, &signed.signer, &signed.change),
                &sig,
            ) {
                forged += 1;
            }
            let doc = signed.doc;
            assert_eq!(
                signed.verify(&doc).unwrap_err(),
                VerifyError::BadSignature { signer: center },
                "key {point}"
            );
        }
        assert!(forged > 0, "no lenient forgery found for {point}");
    }
}

/// Small-order nonce points: with `A` of small order, `R = A, S = 0` holds when
/// `[k]A = -A`; such signatures pass the lenient check and not the strict one.
#[test]
fn small_order_r_is_refused() {
    let mut forged = 0;
    for r in SMALL_ORDER {
        for a in SMALL_ORDER {
            let key = bytes32(a);
            let sig = signature(bytes32(r), [0; 32]);
            for n in 0u32..64 {
                let message = n.to_be_bytes();
                if lenient_accepts(&key, &with_domain(DOMAIN, &message), &sig) {
                    forged += 1;
                }
                assert!(!identity::verify(
                    &CenterId::from_bytes(key),
                    DOMAIN,
                    &[&message],
                    &sig
                ));
            }
        }
    }
    assert!(forged > 0);
    // A real key with a small-order R and any S never verifies either.
    let malang = identity(1);
    for r in SMALL_ORDER {
        for s in [[0u8; 32], [1; 32].map(|b| b & 0x0f)] {
            let sig = signature(bytes32(r), s);
            assert!(!identity::verify(
                &malang.center_id(),
                DOMAIN,
                &[b"x"],
                &sig
            ));
        }
    }
}

/// Wycheproof "non-canonical S": S + ℓ satisfies the same equation; refused,
/// for a catalog change and for a domain-tagged message.
#[test]
fn non_canonical_s_plus_l_is_refused() {
    let malang = identity(1);
    let signed = genesis(&malang);
    let doc = signed.doc;
    assert!(signed.clone().verify(&doc).is_ok());
    let mut malleated = signed.clone();
    let s_plus_l = add_l(&signed.signature[32..]);
    malleated.signature[32..].copy_from_slice(&s_plus_l);
    assert_eq!(
        malleated.verify(&doc).unwrap_err(),
        VerifyError::BadSignature {
            signer: malang.center_id()
        }
    );

    let sig = malang.sign(DOMAIN, &[b"hello"]);
    assert!(identity::verify(
        &malang.center_id(),
        DOMAIN,
        &[b"hello"],
        &sig
    ));
    let mut high = sig;
    high[32..].copy_from_slice(&add_l(&sig[32..]));
    assert!(!identity::verify(
        &malang.center_id(),
        DOMAIN,
        &[b"hello"],
        &high
    ));
}

/// S with its top bits set (S ≥ 2^253, far above ℓ): refused without panic.
#[test]
fn s_with_high_bits_is_refused() {
    let malang = identity(1);
    let sig = malang.sign(DOMAIN, &[b"hello"]);
    for mask in [0x20u8, 0x40, 0x80, 0xe0] {
        let mut high = sig;
        high[63] |= mask;
        assert!(!identity::verify(
            &malang.center_id(),
            DOMAIN,
            &[b"hello"],
            &high
        ));
    }
    let mut all = sig;
    all[32..].fill(0xff);
    assert!(!identity::verify(
        &malang.center_id(),
        DOMAIN,
        &[b"hello"],
        &all
    ));
}

/// R written non-canonically (y = p + 1 encodes the identity, as does x = -0):
/// refused, even with the identity as key, where the point equation holds (by
/// the strict check of `identity::verify`; for catalog changes by refusing the
/// small-order key, and with S = 0 the equation fails for any real key).
#[test]
fn non_canonical_r_encodings_are_refused() {
    let malang = identity(1);
    for r in NON_CANONICAL_SMALL_ORDER {
        for key in [bytes32(IDENTITY_POINT), *malang.center_id().as_bytes()] {
            let sig = signature(bytes32(r), [0; 32]);
            assert!(!identity::verify(
                &CenterId::from_bytes(key),
                DOMAIN,
                &[b"x"],
                &sig
            ));
            let signed = change_by_key(key, change_with_actor(&key, 1), sig);
            let doc = signed.doc;
            assert!(signed.verify(&doc).is_err());
        }
    }
}

/// Public keys written with y ≥ p. The small-order ones are covered above; for
/// the others (y = p + 2 … p + 18, either sign) nobody knows a secret, so no
/// signature can verify: each is refused, as a bad key or a bad signature, without panic.
#[test]
fn non_canonical_public_key_encodings_are_refused() {
    let malang = identity(1);
    for k in 0u8..19 {
        for sign in [0u8, 0x80] {
            // p + k, little-endian: p = 2^255 - 19.
            let mut key = [0xffu8; 32];
            key[0] = 0xed + k;
            key[31] = 0x7f | sign;
            let center = CenterId::from_bytes(key);
            let sig = malang.sign(DOMAIN, &[b"x"]);
            assert!(!identity::verify(&center, DOMAIN, &[b"x"], &sig));
            let signed = change_by_key(key, change_with_actor(&key, 1), sig);
            let doc = signed.doc;
            let error = signed.verify(&doc).unwrap_err();
            assert!(
                matches!(
                    error,
                    VerifyError::BadKey { .. } | VerifyError::BadSignature { .. }
                ),
                "{error}"
            );
        }
    }
}

/// The first y values that are not on the curve: public keys that are not points.
fn not_points() -> Vec<[u8; 32]> {
    let found: Vec<[u8; 32]> = (2u8..=255)
        .map(|y| {
            let mut key = [0u8; 32];
            key[0] = y;
            key
        })
        .filter(|key| VerifyingKey::from_bytes(key).is_err())
        .take(4)
        .collect();
    assert!(!found.is_empty());
    found
}

#[test]
fn public_key_not_on_the_curve_is_refused_without_panic() {
    let malang = identity(1);
    for key in not_points() {
        let center = CenterId::from_bytes(key);
        // The printed id parses back (it is only bytes); verification refuses it.
        let parsed: CenterId = center.to_string().parse().expect("an id parses");
        assert_eq!(parsed, center);
        let sig = malang.sign(DOMAIN, &[b"x"]);
        assert!(!identity::verify(&center, DOMAIN, &[b"x"], &sig));
        let signed = change_by_key(key, change_with_actor(&key, 1), sig);
        let doc = signed.doc;
        assert_eq!(
            signed.verify(&doc).unwrap_err(),
            VerifyError::BadKey { signer: center }
        );
        // Sealing to such a center is refused too (no X25519 key for it).
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        assert_eq!(
            SealedMail::seal(&malang, &center, AT_MS, b"hi", &mut rng).unwrap_err(),
            SealError::BadKey(center)
        );
    }
}

/// Wycheproof "modified signature": every single bit of R and of S flipped.
#[test]
fn malleated_signature_bit_flips_are_refused() {
    let malang = identity(1);
    let signed = genesis(&malang);
    let doc = signed.doc;
    let sig = malang.sign(DOMAIN, &[b"hello"]);
    for bit in 0..512 {
        let mut flipped = signed.clone();
        flipped.signature[bit / 8] ^= 1 << (bit % 8);
        assert!(matches!(
            flipped.verify(&doc),
            Err(VerifyError::BadSignature { .. })
        ));
        let mut other = sig;
        other[bit / 8] ^= 1 << (bit % 8);
        assert!(!identity::verify(
            &malang.center_id(),
            DOMAIN,
            &[b"hello"],
            &other
        ));
    }
}

#[test]
fn signature_of_another_message_is_refused() {
    let malang = identity(1);
    let sig = malang.sign(DOMAIN, &[b"pay 1000 rupiah"]);
    assert!(!identity::verify(
        &malang.center_id(),
        DOMAIN,
        &[b"pay 9000 rupiah"],
        &sig
    ));
    // The same bytes under another domain tag.
    assert!(!identity::verify(
        &malang.center_id(),
        b"telecenter v1 other\0",
        &[b"pay 1000 rupiah"],
        &sig
    ));
    // A catalog change carrying the signature of another change.
    let first = genesis(&malang);
    let mut second = genesis(&identity(1));
    second.change = change_with_actor(malang.center_id().as_bytes(), 2);
    second.signature = first.signature;
    let doc = second.doc;
    assert!(matches!(
        second.verify(&doc),
        Err(VerifyError::BadSignature { .. })
    ));
}

/// A change correctly signed by key A but whose Automerge actor is key B: the
/// author recorded in the CRDT would not be the signer.
#[test]
fn change_actor_not_the_signer_is_refused() {
    let malang = identity(1);
    let blitar = identity(2);
    let change = change_with_actor(blitar.center_id().as_bytes(), 1);
    let signed = SignedChange::sign(&malang, DocId::catalog(malang.center_id()), change);
    let doc = signed.doc;
    assert!(matches!(
        signed.verify(&doc),
        Err(VerifyError::ActorMismatch { .. })
    ));
}

/// A change signed by key A for center B's catalog: refused as unauthorised,
/// whether it names B's catalog itself or is replayed into it.
#[test]
fn change_signed_by_a_for_bs_catalog_is_refused() {
    let malang = identity(1);
    let blitar = identity(2);
    let blitar_doc = DocId::catalog(blitar.center_id());
    let change = change_with_actor(malang.center_id().as_bytes(), 1);
    let signed = SignedChange::sign(&malang, blitar_doc, change);
    assert_eq!(
        signed.verify(&blitar_doc).unwrap_err(),
        VerifyError::Unauthorised {
            signer: malang.center_id(),
            doc: blitar_doc
        }
    );
    // A's own change offered as B's: the document does not match.
    let own = genesis(&malang);
    assert_eq!(
        own.clone().verify(&blitar_doc).unwrap_err(),
        VerifyError::WrongDocument {
            expected: blitar_doc,
            found: own.doc
        }
    );
    // A's change with its document field rewritten to B's: unauthorised.
    let mut moved = own;
    moved.doc = blitar_doc;
    assert!(matches!(
        moved.verify(&blitar_doc),
        Err(VerifyError::Unauthorised { .. })
    ));
    // And with the signer rewritten to B as well: the signature fails.
    let mut stolen = genesis(&malang);
    stolen.doc = blitar_doc;
    stolen.signer = blitar.center_id();
    assert!(matches!(
        stolen.verify(&blitar_doc),
        Err(VerifyError::BadSignature { .. })
    ));
}

/// The identity-point forgery against each wrapper of `identity::verify`.
#[test]
fn identity_point_forgery_is_refused_by_hop_pair_and_sealed_mail() {
    let key = bytes32(IDENTITY_POINT);
    let forger = CenterId::from_bytes(key);
    let receiver = identity(2);
    let sig = signature(bytes32(IDENTITY_POINT), [0; 32]);

    let hop = HopAuth {
        from: forger,
        to: receiver.center_id(),
        at_ms: AT_MS,
        nonce: [1; 16],
        signature: sig,
    };
    assert_eq!(
        hop.verify(
            &receiver.center_id(),
            AT_MS,
            "POST",
            "/api/v1/sync/push",
            b"{}"
        ),
        Err(HopError::BadSignature { from: forger })
    );

    let message = SignedMessage {
        v: PAIR_VERSION,
        signer: forger,
        body: "{}".into(),
        sig: hex::encode(sig),
    };
    assert_eq!(
        message.verify().unwrap_err(),
        MessageError::BadSignature(forger)
    );

    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let real = SealedMail::seal(&identity(3), &receiver.center_id(), AT_MS, b"hi", &mut rng)
        .expect("sealed");
    let forged = SealedMail {
        from: forger,
        sig: hex::encode(sig),
        ..real
    };
    assert_eq!(
        forged.verify().unwrap_err(),
        SealError::BadSignature(forger)
    );
}
