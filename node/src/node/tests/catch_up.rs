//! Authentication by hash chain in received batches (issue 16): a catch-up in
//! order checks one signature per chain, and nothing outside its owner's own
//! history gets in by it. Real nodes, real SQLite files.

use telecenter_protocol::envelope::{Authenticated, VerifiedChange};

use super::*;

/// How many of `verified` were authenticated by signature and by hash chain.
fn authenticated_by(verified: &[Result<VerifiedChange, NodeError>]) -> (usize, usize) {
    let by = |how| {
        verified
            .iter()
            .filter(|v| v.as_ref().is_ok_and(|v| v.authenticated == how))
            .count()
    };
    (by(Authenticated::Signature), by(Authenticated::HashChain))
}

/// A node of center `from` with `listings` listings made one after another.
fn catalog_with(from: TestNode, listings: usize) -> TestNode {
    for n in 0..listings {
        from.add(&format!("Keripik Pisang {n}"), "makanan", 10_000 + n as i64);
    }
    from
}

#[test]
fn a_catch_up_in_order_checks_one_signature_per_chain() {
    // A's batch touches more listings than are read back on one thread.
    let a = catalog_with(TestNode::malang(), crate::node::READ_PARALLEL_MIN + 10);
    let b = catalog_with(TestNode::batu(), 20);
    let c = TestNode::lumajang();
    for from in [&a, &b] {
        c.node.trust(&from.node.center_id()).unwrap();
    }
    let mut batch = a.node.changes_of(&a.doc_id()).unwrap();
    batch.extend(b.node.changes_of(&b.doc_id()).unwrap());
    let a_changes = 1 + crate::node::READ_PARALLEL_MIN + 10;
    assert_eq!(batch.len(), a_changes + 21);

    let verified = c.node.verify_received(&batch);
    assert_eq!(authenticated_by(&verified), (2, a_changes + 19));
    assert_all_applied(
        &c.node.receive_verified(verified, &batch).unwrap(),
        "both catalogs",
    );
    assert_caught_up(&c, &a, a.node.center_id());
    assert_caught_up(&c, &b, b.node.center_id());
}

#[test]
fn a_damaged_change_inside_a_catch_up_is_refused_and_the_changes_after_it_wait() {
    let a = catalog_with(TestNode::malang(), 9);
    let n = TestNode::lumajang();
    let a_center = a.node.center_id();
    n.node.trust(&a_center).unwrap();
    let genuine = a.node.changes_of(&a.doc_id()).unwrap();
    let mut batch = genuine.clone();
    let last = batch[5].len() - 1;
    batch[5][last] ^= 0x01;

    let outcomes = n.node.receive(&batch).unwrap();
    assert_all_applied(&outcomes[..5], "before the damaged change");
    let error = outcomes[5].as_ref().unwrap_err();
    assert_eq!(reject_code(error), "bad_signature", "{error}");
    assert!(
        outcomes[6..]
            .iter()
            .all(|o| matches!(o, Ok(Ingested::Pending))),
        "{outcomes:?}"
    );
    assert_eq!(n.node.changes_of(&a.doc_id()).unwrap(), genuine[..5]);

    // The genuine change lets the waiting ones apply.
    assert_all_applied(&n.node.receive(&genuine[5..6]).unwrap(), "seq 6");
    assert_eq!(lock(&n.node.writer).pending.held(), (0, 0));
    assert_caught_up(&n, &a, a_center);
}

#[test]
fn a_forged_last_change_vouches_for_nothing_below_it() {
    let a = catalog_with(TestNode::malang(), 5);
    let n = TestNode::lumajang();
    let a_center = a.node.center_id();
    n.node.trust(&a_center).unwrap();
    let genuine = a.node.changes_of(&a.doc_id()).unwrap();
    let mut batch = genuine.clone();
    let tip = SignedChange::from_bytes(&batch[5]).unwrap();
    let mallory = identity(MALLORY_SEED);
    let mut forged = tip.clone();
    forged.signature = SignedChange::sign(&mallory, a.doc_id(), tip.change).signature;
    batch[5] = forged.to_bytes();

    let verified = n.node.verify_received(&batch);
    // The forged tip, then the genuine change below it, by signature.
    assert_eq!(authenticated_by(&verified), (1, 4));
    assert!(matches!(
        verified[5],
        Err(NodeError::Rejected(VerifyError::BadSignature { .. }))
    ));
    assert_eq!(
        verified[4].as_ref().unwrap().authenticated,
        Authenticated::Signature
    );
    let outcomes = n.node.receive_verified(verified, &batch).unwrap();
    assert_all_applied(&outcomes[..5], "the genuine changes");
    assert_eq!(n.node.changes_of(&a.doc_id()).unwrap(), genuine[..5]);
}

#[test]
fn a_change_whose_own_signature_was_damaged_is_covered_by_the_signed_change_above_it() {
    let a = catalog_with(TestNode::malang(), 3);
    let a_center = a.node.center_id();
    let genuine = a.node.changes_of(&a.doc_id()).unwrap();
    let mut damaged = genuine.clone();
    // A byte of the signature of seq 2 (the signature is at bytes 66..130).
    damaged[1][70] ^= 0x01;

    // In a batch, its chunk is the one seq 3 names: the owner's own change.
    let n = TestNode::lumajang();
    n.node.trust(&a_center).unwrap();
    assert_all_applied(&n.node.receive(&damaged).unwrap(), "the batch");
    assert_eq!(n.node.heads_of(&a_center), a.node.heads_of(&a_center));

    // Alone, nothing vouches for it but its signature.
    let m = TestNode::batu();
    m.node.trust(&a_center).unwrap();
    assert_all_applied(&m.node.receive(&damaged[..1]).unwrap(), "the genesis");
    let error = m.node.ingest(&a.doc_id(), &damaged[1]).unwrap_err();
    assert_eq!(reject_code(&error), "bad_signature", "{error}");
    assert_eq!(m.node.changes_of(&a.doc_id()).unwrap(), genuine[..1]);
}

#[test]
fn a_catalogs_changes_relabelled_as_anothers_are_not_covered() {
    let a = catalog_with(TestNode::malang(), 3);
    let b = catalog_with(TestNode::batu(), 1);
    let n = TestNode::lumajang();
    for from in [&a, &b] {
        n.node.trust(&from.node.center_id()).unwrap();
    }
    // A's history presented as B's, under A's own genuine last change.
    let a_changes = a.node.changes_of(&a.doc_id()).unwrap();
    let mut batch: Vec<Vec<u8>> = a_changes[..3]
        .iter()
        .map(|envelope| {
            let mut signed = SignedChange::from_bytes(envelope).unwrap();
            signed.doc = b.doc_id();
            signed.signer = b.node.center_id();
            signed.to_bytes()
        })
        .collect();
    batch.push(a_changes[3].clone());
    let outcomes = n.node.receive(&batch).unwrap();
    for outcome in &outcomes[..3] {
        let error = outcome.as_ref().unwrap_err();
        assert_eq!(reject_code(error), "bad_signature", "{error}");
    }
    // A's last change waits for the history it names, which was not A's to give.
    assert!(matches!(outcomes[3], Ok(Ingested::Pending)), "{outcomes:?}");
    assert!(n.node.changes_of(&b.doc_id()).unwrap().is_empty());
}

/// What a hostile relay may do to one envelope of a catch-up it passes on.
#[derive(Clone, Debug)]
enum Damage {
    None,
    /// One bit flipped at this position (modulo the envelope's length).
    Flip(usize),
    /// Relabelled as the other catalog's, signer included.
    Relabel,
    /// Mallory's signature in place of the owner's.
    SignedByMallory,
}

fn damage_strategy() -> impl proptest::strategy::Strategy<Value = Damage> {
    use proptest::prelude::*;
    prop_oneof![
        3 => Just(Damage::None),
        2 => any::<usize>().prop_map(Damage::Flip),
        1 => Just(Damage::Relabel),
        1 => Just(Damage::SignedByMallory),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]

    /// Whatever a relay picks, repeats, reorders or damages, every change
    /// authenticated is byte for byte a chunk its catalog's owner made, for
    /// that catalog; and an undamaged batch in order needs one signature per
    /// catalog.
    #[test]
    fn only_the_owners_own_chunks_are_ever_authenticated(
        picks in proptest::collection::vec((0usize..2, 0usize..8, damage_strategy()), 1..24),
    ) {
        let (a, b, n) = fixture();
        let mallory = identity(MALLORY_SEED);
        let genuine = [
            a.node.changes_of(&a.doc_id()).unwrap(),
            b.node.changes_of(&b.doc_id()).unwrap(),
        ];
        let docs = [a.doc_id(), b.doc_id()];
        let batch: Vec<Vec<u8>> = picks
            .iter()
            .map(|(catalog, index, damage)| {
                let envelope = &genuine[*catalog][index % genuine[*catalog].len()];
                match damage {
                    Damage::None => envelope.clone(),
                    Damage::Flip(at) => {
                        let mut bytes = envelope.clone();
                        bytes[at % envelope.len()] ^= 1 << (at % 8);
                        bytes
                    }
                    Damage::Relabel => {
                        let mut signed = SignedChange::from_bytes(envelope).unwrap();
                        signed.doc = docs[1 - catalog];
                        signed.signer = docs[1 - catalog].owner;
                        signed.to_bytes()
                    }
                    Damage::SignedByMallory => {
                        let mut signed = SignedChange::from_bytes(envelope).unwrap();
                        signed.signature =
                            SignedChange::sign(&mallory, signed.doc, signed.change.clone())
                                .signature;
                        signed.to_bytes()
                    }
                }
            })
            .collect();
        for verified in n.node.verify_received(&batch).into_iter().flatten() {
            let catalog = docs.iter().position(|d| *d == verified.signed.doc).unwrap();
            let made = genuine[catalog].iter().any(|envelope| {
                SignedChange::from_bytes(envelope).unwrap().change == verified.signed.change
            });
            proptest::prop_assert!(made, "{:?} authenticated", verified.signed);
        }
        let mut in_order = genuine[0].clone();
        in_order.extend(genuine[1].iter().cloned());
        proptest::prop_assert_eq!(authenticated_by(&n.node.verify_received(&in_order)).0, 2);
    }
}

/// Two catalogs (A with 5 listings, B with 2) and a node trusting both; made
/// once for the property test.
fn fixture() -> &'static (TestNode, TestNode, TestNode) {
    static FIXTURE: std::sync::OnceLock<(TestNode, TestNode, TestNode)> =
        std::sync::OnceLock::new();
    FIXTURE.get_or_init(|| {
        let a = catalog_with(TestNode::malang(), 5);
        let b = catalog_with(TestNode::batu(), 2);
        let n = TestNode::lumajang();
        for from in [&a, &b] {
            n.node.trust(&from.node.center_id()).unwrap();
        }
        (a, b, n)
    })
}
