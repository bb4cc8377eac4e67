//! Catch-ups in one batch (issue 16): many touched listings read back on
//! several threads, and every change's own signature checked before it is
//! stored. Real nodes, real SQLite files.

use super::*;

/// A node of center `from` with `listings` listings made one after another.
fn catalog_with(from: TestNode, listings: usize) -> TestNode {
    for n in 0..listings {
        from.add(&format!("Keripik Pisang {n}"), "makanan", 10_000 + n as i64);
    }
    from
}

#[test]
fn a_catch_up_touching_many_listings_indexes_each_as_its_owner_does() {
    let made = crate::node::READ_PARALLEL_MIN + 10;
    let a = catalog_with(TestNode::malang(), made);
    let b = catalog_with(TestNode::batu(), 20);
    let c = TestNode::lumajang();
    for from in [&a, &b] {
        c.node.trust(&from.node.center_id()).unwrap();
    }
    // The listings as made: read from the changes that made them.
    let mut batch = a.node.changes_of(&a.doc_id()).unwrap();
    batch.extend(b.node.changes_of(&b.doc_id()).unwrap());
    assert_eq!(batch.len(), 1 + made + 21);
    assert_all_applied(&c.node.receive(&batch).unwrap(), "both catalogs");
    assert_caught_up(&c, &a, a.node.center_id());
    assert_caught_up(&c, &b, b.node.center_id());
    // Then a batch that changes more listings than are read back on one
    // thread: each is read back out of the document.
    for row in all_rows(&a.node, a.node.center_id()) {
        a.set_price(&row.listing.id, row.listing.price_idr + 1);
    }
    let changes = a.node.changes_of(&a.doc_id()).unwrap();
    assert_all_applied(&c.node.receive(&changes[1 + made..]).unwrap(), "the prices");
    assert_caught_up(&c, &a, a.node.center_id());
}

/// Finding (issue 16, session 7 review): authenticating a change by the hash a
/// later signed change names, without its own signature, stored envelopes
/// whose signatures did not verify; a node then refused its own database when
/// it reloaded that catalog, and passed the damaged envelopes on. Every
/// change's own signature is checked before it is stored.
#[test]
fn a_damaged_signature_under_a_signed_change_is_refused_and_never_stored() {
    let a = catalog_with(TestNode::malang(), 3);
    let a_center = a.node.center_id();
    let genuine = a.node.changes_of(&a.doc_id()).unwrap();
    let mut damaged = genuine.clone();
    // A byte of the signature of seq 2 (the signature is at bytes 66..130).
    damaged[1][70] ^= 0x01;

    let n = TestNode::lumajang();
    n.node.trust(&a_center).unwrap();
    let outcomes = n.node.receive(&damaged).unwrap();
    assert_all_applied(&outcomes[..1], "the genesis");
    let error = outcomes[1].as_ref().unwrap_err();
    assert_eq!(reject_code(error), "bad_signature", "{error}");
    assert!(
        outcomes[2..]
            .iter()
            .all(|o| matches!(o, Ok(Ingested::Pending))),
        "{outcomes:?}"
    );
    // Every stored envelope verifies on its own.
    let stored = n.node.changes_of(&a.doc_id()).unwrap();
    assert_eq!(stored, genuine[..1]);
    for envelope in &stored {
        SignedChange::from_bytes(envelope)
            .unwrap()
            .verify(&a.doc_id())
            .unwrap();
    }
    // The genuine change lets the waiting ones apply.
    assert_all_applied(&n.node.receive(&genuine[1..2]).unwrap(), "seq 2");
    assert_caught_up(&n, &a, a_center);
}

/// A listing a change of the batch made is indexed from that change's own
/// operations; a later change of the same batch that touches it (a price, a
/// status, a removal) must win, whether it comes in the same run or after.
#[test]
fn a_listing_made_and_changed_in_one_batch_is_indexed_as_changed() {
    let a = catalog_with(TestNode::malang(), 6);
    let ids: Vec<ListingId> = all_rows(&a.node, a.node.center_id())
        .into_iter()
        .map(|row| row.listing.id)
        .collect();
    a.set_price(&ids[0], 77_000);
    a.set_status(&ids[1], "hidden");
    a.set_status(&ids[2], "removed");
    a.set_price(&ids[3], 1);
    a.set_price(&ids[3], 2);
    let b = TestNode::lumajang();
    b.node.trust(&a.node.center_id()).unwrap();
    let changes = a.node.changes_of(&a.doc_id()).unwrap();
    assert_all_applied(&b.node.receive(&changes).unwrap(), "the catalog");
    assert_caught_up(&b, &a, a.node.center_id());
    let rows = all_rows(&b.node, a.node.center_id());
    let row = |id: &ListingId| rows.iter().find(|r| r.listing.id == *id).unwrap();
    assert_eq!(row(&ids[0]).listing.price_idr, 77_000);
    assert_eq!(row(&ids[1]).listing.status, ListingStatus::Hidden);
    assert_eq!(row(&ids[3]).listing.price_idr, 2);
    // Changed one by one in two batches: the second batch's change wins too.
    let c = TestNode::batu();
    c.node.trust(&a.node.center_id()).unwrap();
    let (first, second) = changes.split_at(7);
    assert_all_applied(&c.node.receive(first).unwrap(), "the listings");
    assert_all_applied(&c.node.receive(second).unwrap(), "their changes");
    assert_caught_up(&c, &a, a.node.center_id());
}

/// From the review of the batch check (session 8): on the threaded path
/// (32 changes or more, in parts), each outcome lines up with its envelope
/// when unframable, not accepted and badly signed envelopes are mixed in; and
/// changes whose signatures carry a nonce with a small-order part (ZIP 215
/// accepts them) are stored, and the node reloads and restarts with them.
#[test]
fn outcomes_line_up_in_a_mixed_batch_and_edge_signatures_reload() {
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
    use curve25519_dalek::scalar::Scalar;
    use sha2::{Digest, Sha512};

    let a = TestNode::malang();
    let n = TestNode::lumajang();
    let c = TestNode::batu();
    let a_center = a.node.center_id();
    n.node.trust(&a_center).unwrap();
    for i in 0..40 {
        a.clock.advance(1_000);
        a.node
            .add_listing(&new_listing(
                &format!("Keripik nomor {i}"),
                "makanan",
                10_000 + i,
            ))
            .unwrap();
    }
    let ours = a.node.changes_of(&a.doc_id()).unwrap();
    assert!(ours.len() > 32);
    let theirs = c.node.changes_of(&c.doc_id()).unwrap();
    let secret: [u8; 32] = hex::decode(identity(MALANG_SEED).to_secret_hex())
        .unwrap()
        .try_into()
        .unwrap();
    let a_scalar = ed25519_dalek::SigningKey::from_bytes(&secret).to_scalar();
    let torsioned = |envelope: &Vec<u8>, n: u64| -> Vec<u8> {
        let mut signed = SignedChange::from_bytes(envelope).unwrap();
        let mut message = Vec::new();
        message.extend_from_slice(telecenter_protocol::envelope::CATALOG_CHANGE_DOMAIN);
        message.extend_from_slice(&signed.doc.to_bytes());
        message.extend_from_slice(signed.signer.as_bytes());
        message.extend_from_slice(&signed.change);
        let r = Scalar::from(1_000 + n);
        let big_r = (r * ED25519_BASEPOINT_POINT + EIGHT_TORSION[1]).compress();
        let k = Scalar::from_hash(
            Sha512::new()
                .chain_update(big_r.as_bytes())
                .chain_update(signed.signer.as_bytes())
                .chain_update(&message),
        );
        signed.signature[..32].copy_from_slice(big_r.as_bytes());
        signed.signature[32..].copy_from_slice((r + k * a_scalar).as_bytes());
        signed.to_bytes()
    };
    #[derive(Debug, PartialEq)]
    enum Want {
        Applied,
        Code(&'static str),
    }
    let mut batch = Vec::new();
    let mut want = Vec::new();
    for (i, envelope) in ours.iter().enumerate() {
        batch.push(torsioned(envelope, i as u64));
        want.push(Want::Applied);
        if i % 5 == 0 {
            batch.push(vec![1, 2, 3]);
            want.push(Want::Code("too_short"));
            batch.push(theirs[0].clone());
            want.push(Want::Code("not_accepted"));
            let mut bad = envelope.clone();
            bad[66 + 40] ^= 1;
            batch.push(bad);
            want.push(Want::Code("bad_signature"));
        }
    }
    let outcomes = n.node.receive(&batch).unwrap();
    let got: Vec<Want> = outcomes
        .iter()
        .map(|o| match o {
            Ok(Ingested::Applied) => Want::Applied,
            Ok(other) => panic!("{other:?}"),
            Err(NodeError::NotAccepted(_)) => Want::Code("not_accepted"),
            Err(e) => Want::Code(reject_code(e)),
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(n.node.heads_of(&a_center), a.node.heads_of(&a_center));

    // Stored as received, and reloaded (each checked alone again): fine.
    assert_eq!(n.node.changes_of(&a.doc_id()).unwrap().len(), ours.len());
    {
        let writer = lock(&n.node.writer);
        crate::node::held::reload(&writer.store, &a.doc_id()).unwrap();
    }
    let n = n.restarted(9);
    assert_eq!(n.node.heads_of(&a_center), a.node.heads_of(&a_center));
}
