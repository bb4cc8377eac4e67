//! Tests of the catalog document: edits, reads, schema checks and convergence.

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::input::{ListingPatch, NewListing, ProfileInput, ValidNewListing};
use super::*;
use crate::envelope::{SignedChange, VerifiedChange};
use crate::id::DocId;
use crate::identity::Identity;

const T0: i64 = 1_763_860_000_000;

fn malang() -> (Identity, CatalogDoc, Vec<SignedChange>) {
    let identity = Identity::generate(&mut StdRng::seed_from_u64(11));
    let profile = ProfileInput {
        name: Some("Telecenter Kota Malang".into()),
        region: Some("Kota Malang".into()),
        contact: None,
        ..Default::default()
    }
    .validate_new()
    .unwrap();
    let (doc, genesis) = CatalogDoc::create(&identity, &profile, T0).unwrap();
    (identity, doc, vec![genesis])
}

fn keripik() -> ValidNewListing {
    NewListing {
        title: "Keripik Pisang Agung".into(),
        description: "Keripik pisang agung khas Lumajang, renyah dan manis.".into(),
        category: "makanan".into(),
        price_idr: 15_000,
        stock: 40,
        unit: Some("bungkus".into()),
        producer: Some("UMKM Sumber Rejeki".into()),
        ..Default::default()
    }
    .validate()
    .unwrap()
}

fn replay(owner: CenterId, changes: &[SignedChange]) -> CatalogDoc {
    let mut doc = CatalogDoc::empty(owner);
    for signed in changes {
        let verified = signed.clone().verify(&DocId::catalog(owner)).unwrap();
        assert!(doc.missing_deps(&verified).is_empty());
        doc.apply(&verified).unwrap();
    }
    doc
}

#[test]
fn add_update_remove_and_read_back() {
    let (identity, mut doc, _) = malang();
    let mut rng = StdRng::seed_from_u64(1);
    let (id, _) = doc
        .add_listing(&identity, &mut rng, &keripik(), T0 + 1)
        .unwrap();
    let listing = doc.listing(&id).unwrap().unwrap();
    assert_eq!(listing.title.id, "Keripik Pisang Agung");
    assert_eq!(listing.price_idr, 15_000);
    assert_eq!(listing.status, ListingStatus::Active);

    let patch = ListingPatch {
        price_idr: Some(17_500),
        lang: Some("en".into()),
        title: Some("Banana chips".into()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    doc.update_listing(&identity, &id, &patch, T0 + 2).unwrap();
    let listing = doc.listing(&id).unwrap().unwrap();
    assert_eq!(listing.price_idr, 17_500);
    assert_eq!(listing.title.get(Lang::En), "Banana chips");
    assert_eq!(listing.title.get(Lang::Jv), "Keripik Pisang Agung");
    assert_eq!(listing.updated_at_ms, T0 + 2);

    doc.remove_listing(&identity, &id, T0 + 3).unwrap();
    assert_eq!(
        doc.listing(&id).unwrap().unwrap().status,
        ListingStatus::Removed
    );
    let unhide = ListingPatch {
        status: Some("active".into()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    assert!(matches!(
        doc.update_listing(&identity, &id, &unhide, T0 + 4),
        Err(CatalogError::Removed(_))
    ));
    assert_eq!(
        doc.listing(&id).unwrap().unwrap().status,
        ListingStatus::Removed
    );
}

#[test]
fn profile_reads_back_and_changes() {
    let (identity, mut doc, _) = malang();
    let profile = doc.profile().unwrap();
    assert_eq!(profile.name, "Telecenter Kota Malang");
    assert_eq!(profile.center, identity.center_id());
    let contact = ProfileInput {
        contact: Some("WA 0812 3456 7890".into()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    doc.set_profile(&identity, &contact, T0 + 5).unwrap();
    assert_eq!(doc.profile().unwrap().contact, "WA 0812 3456 7890");
    assert_eq!(doc.profile().unwrap().region, "Kota Malang");
}

#[test]
fn another_key_cannot_edit() {
    let (_, mut doc, _) = malang();
    let stranger = Identity::generate(&mut StdRng::seed_from_u64(99));
    let mut rng = StdRng::seed_from_u64(1);
    assert!(matches!(
        doc.add_listing(&stranger, &mut rng, &keripik(), T0),
        Err(CatalogError::NotOwner(_))
    ));
}

#[test]
fn replicas_built_from_the_signed_changes_converge_and_report_touched_listings() {
    let (identity, mut doc, mut changes) = malang();
    let mut rng = StdRng::seed_from_u64(2);
    let (a, add_a) = doc
        .add_listing(&identity, &mut rng, &keripik(), T0 + 1)
        .unwrap();
    let (b, add_b) = doc
        .add_listing(&identity, &mut rng, &keripik(), T0 + 2)
        .unwrap();
    changes.extend([add_a, add_b]);
    let price = ListingPatch {
        price_idr: Some(9_000),
        ..Default::default()
    }
    .validate()
    .unwrap();
    changes.push(doc.update_listing(&identity, &b, &price, T0 + 3).unwrap());
    changes.push(doc.remove_listing(&identity, &a, T0 + 4).unwrap());

    let replica = replay(identity.center_id(), &changes);
    assert_eq!(replica.heads(), doc.heads());
    for id in [&a, &b] {
        assert_eq!(replica.listing(id).unwrap(), doc.listing(id).unwrap());
    }

    // Applying the price edit reports exactly that listing as touched.
    let mut partial = replay(identity.center_id(), &changes[..3]);
    let verified = changes[3].clone().verify(&doc.doc_id()).unwrap();
    let touched = partial.apply(&verified).unwrap();
    assert_eq!(
        touched.listings.into_iter().collect::<Vec<_>>(),
        vec![b.to_string()]
    );
    assert!(!touched.profile);

    // Re-applying a change already held is a no-op.
    let again = partial.apply(&verified).unwrap();
    assert_eq!(again, Touched::default());

    // A change whose dependencies are missing is detected before applying.
    let fresh = CatalogDoc::empty(identity.center_id());
    let late = changes[4].clone().verify(&doc.doc_id()).unwrap();
    assert!(!fresh.missing_deps(&late).is_empty());
}

#[test]
fn a_catalog_saved_and_loaded_is_the_same() {
    let (identity, mut doc, _) = malang();
    let mut rng = StdRng::seed_from_u64(3);
    let (id, _) = doc
        .add_listing(&identity, &mut rng, &keripik(), T0 + 1)
        .unwrap();
    let loaded = CatalogDoc::load(identity.center_id(), &doc.save()).unwrap();
    assert_eq!(loaded.heads(), doc.heads());
    assert_eq!(loaded.listing(&id).unwrap(), doc.listing(&id).unwrap());
    assert_eq!(loaded.listing_keys().unwrap(), vec![id.to_string()]);
}

#[test]
fn categories_have_slugs_and_labels() {
    for category in Category::ALL {
        assert_eq!(category.slug().parse::<Category>(), Ok(category));
        assert!(!category.label(Lang::Id).is_empty());
        assert!(!category.label(Lang::En).is_empty());
    }
    assert_eq!(Category::JamuKesehatan.slug(), "jamu-kesehatan");
    assert_eq!(Category::ALL.len(), 8);
}

/// A later writing epoch is a chain of its own: its seqs start at 1 again, and
/// a replica, or a catalog loaded from a snapshot, counts each chain apart.
#[test]
fn each_writing_epoch_is_its_own_chain_in_any_replica() {
    let (identity, mut doc, mut changes) = malang();
    let mut rng = StdRng::seed_from_u64(6);
    let epoch = crate::epoch::EpochId::from_bytes([3; 8]);
    let (_, add) = doc
        .add_listing(&identity, &mut rng, &keripik(), T0 + 1)
        .unwrap();
    changes.push(add);
    let epoch_zero_last = doc.last_of(None);
    doc.set_writing_epoch(Some(epoch));
    for n in 2..4 {
        let (_, add) = doc
            .add_listing(&identity, &mut rng, &keripik(), T0 + n)
            .unwrap();
        changes.push(add);
    }
    let doc_id = DocId::catalog(identity.center_id());
    let epochs: Vec<_> = changes
        .iter()
        .map(|c| c.clone().verify(&doc_id).unwrap())
        .map(|v| (v.epoch(), v.change.seq()))
        .collect();
    assert_eq!(
        epochs,
        [(None, 1), (None, 2), (Some(epoch), 1), (Some(epoch), 2)]
    );
    let replica = replay(identity.center_id(), &changes);
    let loaded = CatalogDoc::load(identity.center_id(), &replica.save()).unwrap();
    for catalog in [&doc, &replica, &loaded] {
        assert_eq!(catalog.seq_of(None), 2);
        assert_eq!(catalog.seq_of(Some(epoch)), 2);
        assert_eq!(catalog.seq(), 4);
        assert_eq!(catalog.last_of(None), epoch_zero_last);
        assert_eq!(catalog.last_of(Some(epoch)), doc.heads().first().copied());
        assert_eq!(catalog.epochs().collect::<Vec<_>>(), [None, Some(epoch)]);
    }
    // A loaded catalog writes in epoch 0 until told otherwise.
    assert_eq!(loaded.writing_epoch(), None);
}

#[test]
fn seq_counts_the_owners_changes_held_in_any_replica() {
    let (identity, mut doc, mut changes) = malang();
    let mut rng = StdRng::seed_from_u64(5);
    assert_eq!(doc.seq(), 1);
    let (_, add) = doc
        .add_listing(&identity, &mut rng, &keripik(), T0 + 1)
        .unwrap();
    changes.push(add);
    assert_eq!(doc.seq(), 2);
    let replica = replay(identity.center_id(), &changes);
    assert_eq!(replica.seq(), 2);
    let loaded = CatalogDoc::load(identity.center_id(), &replica.save()).unwrap();
    assert_eq!(loaded.seq(), 2);
    assert_eq!(CatalogDoc::empty(identity.center_id()).seq(), 0);
}

#[test]
fn published_address_with_a_path_is_ignored_when_read() {
    // A center's own node would refuse this address; a hostile center writes
    // it into its catalog anyway (the checked type is built by hand here).
    let (identity, mut doc, _) = malang();
    let hostile = crate::catalog::input::ValidProfile {
        contact: Some("WA 0812 3456 7890".into()),
        address: Some("http://127.0.0.1:18499/internal/admin/containers/prune?force=1#".into()),
        ..Default::default()
    };
    doc.set_profile(&identity, &hostile, T0 + 5).unwrap();
    let profile = doc.profile().unwrap();
    assert_eq!(profile.address, None);
    assert_eq!(profile.contact, "WA 0812 3456 7890");
    // Refused with a clear reason when an operator types it.
    let typed = ProfileInput {
        address: Some("http://127.0.0.1:18499/internal/admin/containers/prune?force=1#".into()),
        ..Default::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!((typed.field, typed.code), ("address", "not_a_url"));
    assert!(
        typed
            .message
            .contains("without user, path, query or fragment"),
        "{typed}"
    );
    // A good one is kept, in its normal form.
    let good = ProfileInput {
        address: Some("https://Pusat.Example.ID:443/".into()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    doc.set_profile(&identity, &good, T0 + 6).unwrap();
    assert_eq!(
        doc.profile().unwrap().address.as_deref(),
        Some("https://pusat.example.id")
    );
}

/// Issue 13: the WhatsApp number is stored in its normal form, travels in the
/// signed change, clears with an empty value, and a catalog without one (as
/// every catalog written before the field existed) reads as having none.
#[test]
fn whatsapp_round_trips_normalised_and_clears() {
    let (identity, mut doc, mut changes) = malang();
    assert_eq!(doc.profile().unwrap().whatsapp, None);
    let set = ProfileInput {
        whatsapp: Some(" 0812-3456-7890 ".into()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    assert_eq!(set.whatsapp.as_deref(), Some("+6281234567890"));
    changes.push(doc.set_profile(&identity, &set, T0 + 5).unwrap());
    let replica = replay(identity.center_id(), &changes);
    for read in [doc.profile().unwrap(), replica.profile().unwrap()] {
        assert_eq!(read.whatsapp.as_deref(), Some("+6281234567890"));
        assert_eq!(read.name, "Telecenter Kota Malang");
    }
    let clear = ProfileInput {
        whatsapp: Some("  ".into()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    assert_eq!(clear.whatsapp.as_deref(), Some(""));
    changes.push(doc.set_profile(&identity, &clear, T0 + 6).unwrap());
    assert_eq!(doc.profile().unwrap().whatsapp, None);
    assert_eq!(
        replay(identity.center_id(), &changes)
            .profile()
            .unwrap()
            .whatsapp,
        None
    );
}

#[test]
fn bad_whatsapp_numbers_are_refused_in_the_profile_input() {
    let long = "8".repeat(crate::limits::PHONE_CHARS_MAX + 1);
    for (typed, code) in [
        ("abc", "not_a_phone_number"),
        ("0812-3456-789x", "not_a_phone_number"),
        ("+1 555 0100 200", "not_indonesian"),
        ("0812", "not_a_phone_number"),
        (long.as_str(), "too_long"),
    ] {
        let error = ProfileInput {
            whatsapp: Some(typed.into()),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!((error.field, error.code), ("whatsapp", code), "{typed:?}");
    }
}

/// A number in a peer's document that breaks the rules (written by another
/// implementation) reads as none; the rest of the profile stays usable.
#[test]
fn a_hostile_whatsapp_value_reads_as_none() {
    use automerge::transaction::Transactable;
    use automerge::{ReadDoc, ScalarValue};
    for hostile in [
        ScalarValue::Str("<script>".into()),
        ScalarValue::Str("+62 812".repeat(20).into()),
        ScalarValue::Int(62_812),
    ] {
        let (identity, doc, _) = malang();
        let mut raw = automerge::Automerge::load(&doc.save()).unwrap();
        let center = match raw.get(automerge::ROOT, "center").unwrap() {
            Some((_, id)) => id,
            None => panic!("no center"),
        };
        let mut tx = raw.transaction();
        tx.put(&center, "whatsapp", hostile).unwrap();
        tx.commit();
        let hostile_doc = CatalogDoc::load(identity.center_id(), &raw.save()).unwrap();
        let profile = hostile_doc.profile().unwrap();
        assert_eq!(profile.whatsapp, None);
        assert_eq!(profile.region, "Kota Malang");
    }
}

/// Issue 13: a listing carries its producer's village; it is written, changed,
/// cleared and read back on a replica that got the changes as bytes.
#[test]
fn the_producer_village_round_trips_through_changes() {
    let (identity, mut doc, mut changes) = malang();
    let mut rng = StdRng::seed_from_u64(3);
    let new = NewListing {
        producer: Some("Bu Sari".into()),
        producer_village: Some("  Desa Tulungrejo ".into()),
        ..Default::default()
    };
    let new = NewListing {
        title: "Keripik Tempe".into(),
        category: "makanan".into(),
        price_idr: 12_000,
        stock: 5,
        ..new
    }
    .validate()
    .unwrap();
    assert_eq!(new.producer_village, "Desa Tulungrejo");
    let (id, signed) = doc.add_listing(&identity, &mut rng, &new, T0 + 1).unwrap();
    changes.push(signed);
    let replica = replay(identity.center_id(), &changes);
    let listing = replica.listing(&id).unwrap().unwrap();
    assert_eq!(
        (listing.producer.as_str(), listing.producer_village.as_str()),
        ("Bu Sari", "Desa Tulungrejo")
    );

    for (village, expected) in [(Some("Sumberejo"), "Sumberejo"), (Some(""), "")] {
        let patch = ListingPatch {
            producer_village: village.map(Into::into),
            ..Default::default()
        }
        .validate()
        .unwrap();
        changes.push(doc.update_listing(&identity, &id, &patch, T0 + 2).unwrap());
        let replica = replay(identity.center_id(), &changes);
        assert_eq!(
            replica.listing(&id).unwrap().unwrap().producer_village,
            expected
        );
    }
    // A patch without it leaves it as it is.
    let patch = ListingPatch {
        producer_village: Some("Ngadas".into()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    doc.update_listing(&identity, &id, &patch, T0 + 3).unwrap();
    let patch = ListingPatch {
        price_idr: Some(13_000),
        ..Default::default()
    }
    .validate()
    .unwrap();
    doc.update_listing(&identity, &id, &patch, T0 + 4).unwrap();
    assert_eq!(
        doc.listing(&id).unwrap().unwrap().producer_village,
        "Ngadas"
    );
}

/// A listing written without a village (as every listing before issue 13 was)
/// has no `producer_village` key at all, and reads as having none.
#[test]
fn a_listing_without_a_village_has_no_village_key() {
    use automerge::ReadDoc;
    let (identity, mut doc, _) = malang();
    let mut rng = StdRng::seed_from_u64(4);
    let (id, _) = doc
        .add_listing(&identity, &mut rng, &keripik(), T0 + 1)
        .unwrap();
    assert_eq!(doc.listing(&id).unwrap().unwrap().producer_village, "");
    let raw = automerge::Automerge::load(&doc.save()).unwrap();
    let Some((_, listings)) = raw.get(automerge::ROOT, "listings").unwrap() else {
        panic!("no listings");
    };
    let Some((_, listing)) = raw.get(&listings, id.as_str()).unwrap() else {
        panic!("no listing");
    };
    assert!(raw.get(&listing, "producer_village").unwrap().is_none());
}

/// A village in a peer's document that breaks the rules reads as none; the
/// listing itself stays readable.
#[test]
fn a_hostile_producer_village_reads_as_none() {
    use automerge::transaction::Transactable;
    use automerge::{ObjType, ReadDoc, ScalarValue};
    let hostile: [Option<ScalarValue>; 4] = [
        Some(ScalarValue::Str(
            "Desa".repeat(PRODUCER_VILLAGE_CHARS_MAX).into(),
        )),
        Some(ScalarValue::Str("Desa\u{7}Bel".into())),
        Some(ScalarValue::Int(7)),
        None, // a map instead of text
    ];
    for value in hostile {
        let (identity, mut doc, _) = malang();
        let mut rng = StdRng::seed_from_u64(5);
        let (id, _) = doc
            .add_listing(&identity, &mut rng, &keripik(), T0 + 1)
            .unwrap();
        let mut raw = automerge::Automerge::load(&doc.save()).unwrap();
        let Some((_, listings)) = raw.get(automerge::ROOT, "listings").unwrap() else {
            panic!("no listings");
        };
        let Some((_, listing)) = raw.get(&listings, id.as_str()).unwrap() else {
            panic!("no listing");
        };
        let mut tx = raw.transaction();
        match value {
            Some(value) => {
                tx.put(&listing, "producer_village", value).unwrap();
            }
            None => {
                tx.put_object(&listing, "producer_village", ObjType::Map)
                    .unwrap();
            }
        }
        tx.commit();
        let hostile_doc = CatalogDoc::load(identity.center_id(), &raw.save()).unwrap();
        let read = hostile_doc.listing(&id).unwrap().unwrap();
        assert_eq!(read.producer_village, "");
        assert_eq!(read.producer, "UMKM Sumber Rejeki");
    }
}

#[test]
fn an_over_long_producer_village_is_refused() {
    let long = "d".repeat(PRODUCER_VILLAGE_CHARS_MAX + 1);
    let error = ListingPatch {
        producer_village: Some(long.clone()),
        ..Default::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!((error.field, error.code), ("producer_village", "too_long"));
    let error = NewListing {
        title: "Keripik Tempe".into(),
        category: "makanan".into(),
        producer_village: Some(long),
        ..Default::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(error.field, "producer_village");
}

#[test]
fn categories_are_read_in_any_case_and_in_the_page_words() {
    for category in Category::ALL {
        for typed in [
            category.slug().to_uppercase(),
            category.label(Lang::Id).to_owned(),
            category.label(Lang::En).to_lowercase(),
        ] {
            assert_eq!(Category::from_words(&typed), Some(category), "{typed}");
        }
    }
    assert_eq!(
        Category::from_words("  Hasil   Pertanian "),
        Some(Category::Pertanian)
    );
    assert_eq!(Category::from_words("makan"), None);
    // Documents keep the strict slug.
    assert!("Makanan".parse::<Category>().is_err());
}

#[test]
fn a_run_applied_in_one_batch_gives_the_document_and_touched_parts_of_one_by_one() {
    let (identity, mut doc, mut changes) = malang();
    let mut rng = StdRng::seed_from_u64(5);
    let (a, add_a) = doc
        .add_listing(&identity, &mut rng, &keripik(), T0 + 1)
        .unwrap();
    let (b, add_b) = doc
        .add_listing(&identity, &mut rng, &keripik(), T0 + 2)
        .unwrap();
    changes.extend([add_a, add_b]);
    let price = ListingPatch {
        price_idr: Some(9_000),
        ..Default::default()
    }
    .validate()
    .unwrap();
    changes.push(doc.update_listing(&identity, &b, &price, T0 + 3).unwrap());
    let profile = ProfileInput {
        name: Some("Telecenter Malang Kota".into()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    changes.push(doc.set_profile(&identity, &profile, T0 + 4).unwrap());
    let friend = Identity::generate(&mut StdRng::seed_from_u64(6)).center_id();
    changes.push(doc.set_vouch(&identity, &friend, true, T0 + 5).unwrap());
    changes.push(doc.remove_listing(&identity, &a, T0 + 6).unwrap());
    let owned: Vec<_> = changes
        .iter()
        .map(|c| c.clone().verify(&doc.doc_id()).unwrap())
        .collect();
    let verified: Vec<&VerifiedChange> = owned.iter().collect();

    let mut one_by_one = CatalogDoc::empty(identity.center_id());
    let each: Vec<Touched> = verified
        .iter()
        .map(|v| one_by_one.apply(v).unwrap())
        .collect();
    // Touched parts, read from the change's own ops, are the expected ones.
    assert!(each[1].listings.contains(&a.to_string()) && !each[1].everything);
    assert!(each[2].listings.contains(&b.to_string()) && each[2].listings.len() == 1);
    assert!(each[3].listings.contains(&b.to_string()) && each[3].listings.len() == 1);
    assert!(each[4].profile && each[4].listings.is_empty());
    assert!(each[5].vouches && each[5].listings.is_empty());
    assert!(each[6].listings.contains(&a.to_string()));
    // The ops decoded once at verification say what the change itself says.
    let from_changes: Vec<Touched> = verified
        .iter()
        .map(|v| one_by_one.touched_by(&v.change))
        .collect();
    assert_eq!(from_changes, each);

    let mut batched = CatalogDoc::empty(identity.center_id());
    let all = batched.apply_run(&verified).unwrap().expect("a run");
    assert_eq!(all, each);
    assert_eq!(batched.heads(), one_by_one.heads());
    assert_eq!(batched.seq(), one_by_one.seq());

    // Not a run: a gap, a change already held, another catalog.
    let mut partial = CatalogDoc::empty(identity.center_id());
    assert_eq!(partial.apply_run(&verified[1..]).unwrap(), None);
    partial.apply_run(&verified[..2]).unwrap().expect("a run");
    assert_eq!(partial.apply_run(&verified[1..3]).unwrap(), None);
    let mut other = CatalogDoc::empty(friend);
    assert_eq!(other.apply_run(&verified[..2]).unwrap(), None);
    assert_eq!(other.seq(), 0);
    // What was refused left the document as it was: the rest applies.
    assert_eq!(
        partial.apply_run(&verified[2..]).unwrap().map(|t| t.len()),
        Some(5)
    );
    assert_eq!(partial.heads(), one_by_one.heads());
}

mod fresh;
