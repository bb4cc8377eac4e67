//! A listing a change made, read from the change's own operations, must read
//! exactly as the document reads it; anything not written plainly is left to
//! the document.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc, Value};

use super::*;
use crate::catalog::input::ListingPatch;

fn photo(n: u8) -> Photo {
    Photo {
        thumb: format!("{:064x}", u64::from(n) * 7 + 1),
        medium: format!("{:064x}", u64::from(n) * 7 + 2),
    }
}

/// Listings of every shape the schema allows.
fn listings() -> Vec<ValidNewListing> {
    (0..8u8)
        .map(|n| {
            NewListing {
                title: format!("Batik tulis motif {n}"),
                description: if n % 2 == 0 {
                    String::new()
                } else {
                    format!("Kain batik tulis.\nPewarna alami, nomor {n}.")
                },
                category: if n % 3 == 0 { "kerajinan" } else { "makanan" }.into(),
                price_idr: 1_000 * i64::from(n),
                stock: i64::from(n),
                unit: (n % 2 == 1).then(|| "lembar".into()),
                producer: (n % 4 != 0).then(|| format!("Kelompok {n}")),
                producer_village: (n % 3 == 1).then(|| "Desa Sumberejo".into()),
                photos: (0..n % 4).map(photo).collect(),
                ..Default::default()
            }
            .validate()
            .unwrap()
        })
        .collect()
}

/// Applies `changes` one by one to a replica; at each, every listing the
/// change made must read from its operations as the document reads it.
/// Returns how many listings were read from operations.
fn check_replay(owner: CenterId, changes: &[SignedChange]) -> usize {
    let mut replica = CatalogDoc::empty(owner);
    let mut fresh = 0;
    for signed in changes {
        let verified = signed.clone().verify(&DocId::catalog(owner)).unwrap();
        let touched = replica.apply(&verified).unwrap();
        for (id, made) in &touched.fresh {
            let id: ListingId = id.parse().unwrap();
            let from_doc = replica
                .listing(&id)
                .map(|l| l.expect("the listing is there"));
            if let Some(from_ops) = replica.fresh_listing(&id, made) {
                assert_eq!(from_ops, from_doc, "{id}");
                fresh += 1;
            }
        }
    }
    fresh
}

#[test]
fn a_listing_a_change_made_reads_from_its_operations_as_from_the_document() {
    let (identity, mut doc, mut changes) = malang();
    let mut rng = StdRng::seed_from_u64(3);
    let mut ids = Vec::new();
    for (n, listing) in listings().iter().enumerate() {
        let (id, signed) = doc
            .add_listing(&identity, &mut rng, listing, T0 + n as i64)
            .unwrap();
        ids.push(id);
        changes.push(signed);
    }
    // Later changes to those listings make no listing of their own.
    let patch = ListingPatch {
        title: Some("Batik tulis baru".into()),
        price_idr: Some(2_500),
        ..Default::default()
    }
    .validate()
    .unwrap();
    changes.push(
        doc.update_listing(&identity, &ids[2], &patch, T0 + 20)
            .unwrap(),
    );
    changes.push(doc.remove_listing(&identity, &ids[3], T0 + 21).unwrap());
    assert_eq!(check_replay(identity.center_id(), &changes), ids.len());
}

/// A change made by hand with `edit` on the owner's document, signed.
fn hand_made(
    identity: &Identity,
    doc: &mut CatalogDoc,
    edit: impl FnOnce(&mut automerge::transaction::Transaction<'_>, &automerge::ObjId),
) -> SignedChange {
    let listings = match doc.doc.get(ROOT, "listings") {
        Ok(Some((Value::Object(ObjType::Map), id))) => id,
        other => panic!("{other:?}"),
    };
    let mut tx = doc.doc.transaction();
    edit(&mut tx, &listings);
    let (hash, _) = tx.commit();
    let change = doc.doc.get_change_by_hash(&hash.unwrap()).unwrap();
    SignedChange::sign(identity, doc.doc_id(), change.raw_bytes().to_vec())
}

/// Writes a plain listing's keys into `obj`.
fn plain_listing(tx: &mut automerge::transaction::Transaction<'_>, obj: &automerge::ObjId) {
    let title = tx.put_object(obj, "title", ObjType::Map).unwrap();
    tx.put(&title, "id", "Kopi bubuk").unwrap();
    let description = tx.put_object(obj, "description", ObjType::Map).unwrap();
    tx.put(&description, "id", "").unwrap();
    tx.put(obj, "category", "minuman").unwrap();
    tx.put(obj, "price_idr", 12_000i64).unwrap();
    tx.put(obj, "unit", "bungkus").unwrap();
    tx.put(obj, "stock", 3i64).unwrap();
    tx.put(obj, "producer", "").unwrap();
    tx.put(obj, "status", "active").unwrap();
    tx.put(obj, "created_at", automerge::ScalarValue::Timestamp(T0))
        .unwrap();
    tx.put(obj, "updated_at", automerge::ScalarValue::Timestamp(T0))
        .unwrap();
}

#[test]
fn a_listing_not_written_plainly_is_left_to_the_document() {
    let (identity, mut doc, mut changes) = malang();
    let mut rng = StdRng::seed_from_u64(4);
    let ids: Vec<String> = (0..5)
        .map(|_| ListingId::random(&mut rng).to_string())
        .collect();
    // A key written twice in the change: the second value is the one held.
    changes.push(hand_made(&identity, &mut doc, |tx, listings| {
        let obj = tx
            .put_object(listings, ids[0].as_str(), ObjType::Map)
            .unwrap();
        plain_listing(tx, &obj);
        tx.put(&obj, "price_idr", 99_000i64).unwrap();
    }));
    // The listing's map made twice under one id.
    changes.push(hand_made(&identity, &mut doc, |tx, listings| {
        let first = tx
            .put_object(listings, ids[1].as_str(), ObjType::Map)
            .unwrap();
        plain_listing(tx, &first);
        let second = tx
            .put_object(listings, ids[1].as_str(), ObjType::Map)
            .unwrap();
        plain_listing(tx, &second);
        tx.put(&second, "stock", 9i64).unwrap();
    }));
    // Photos inserted out of order (the second at the head).
    changes.push(hand_made(&identity, &mut doc, |tx, listings| {
        let obj = tx
            .put_object(listings, ids[2].as_str(), ObjType::Map)
            .unwrap();
        plain_listing(tx, &obj);
        let list = tx.put_object(&obj, "photos", ObjType::List).unwrap();
        for (n, at) in [(1u8, 0usize), (2, 0)] {
            let map = tx.insert_object(&list, at, ObjType::Map).unwrap();
            tx.put(&map, "thumb", photo(n).thumb).unwrap();
            tx.put(&map, "medium", photo(n).medium).unwrap();
        }
    }));
    // A key deleted in the change that made it.
    changes.push(hand_made(&identity, &mut doc, |tx, listings| {
        let obj = tx
            .put_object(listings, ids[3].as_str(), ObjType::Map)
            .unwrap();
        plain_listing(tx, &obj);
        tx.put(&obj, "removed_at", 1i64).unwrap();
        tx.delete(&obj, "removed_at").unwrap();
    }));
    // A plain one, for contrast: read from its operations.
    changes.push(hand_made(&identity, &mut doc, |tx, listings| {
        let obj = tx
            .put_object(listings, ids[4].as_str(), ObjType::Map)
            .unwrap();
        plain_listing(tx, &obj);
    }));
    assert_eq!(check_replay(identity.center_id(), &changes), 1);
    let read = replay(identity.center_id(), &changes);
    let first = read.listing(&ids[0].parse().unwrap()).unwrap().unwrap();
    assert_eq!(first.price_idr, 99_000);
}
