//! Tests of the store on a real SQLite file: migrations and their version guard,
//! the pragmas that make commits durable, one-transaction commits, and the
//! listing index with its full-text rows.

use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rusqlite::params;
use telecenter_protocol::catalog::{Category, Listing, ListingStatus, LocalizedText, Profile};
use telecenter_protocol::{CenterId, DocId, Identity};
use tempfile::TempDir;

use super::*;
use crate::clock::ManualClock;
use crate::node::{Node, NodeError};
use crate::search::SearchQuery;

const T0: i64 = 1_763_860_000_000;

fn center(seed: u64) -> CenterId {
    Identity::generate(&mut StdRng::seed_from_u64(seed)).center_id()
}

fn db(dir: &TempDir) -> std::path::PathBuf {
    dir.path().join("node.db")
}

fn user_version(path: &Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap()
}

fn schema_objects(path: &Path) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT type || ' ' || name FROM sqlite_master ORDER BY type, name")
        .unwrap();
    stmt.query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn profile(center: CenterId, name: &str) -> Profile {
    Profile {
        center,
        name: name.to_owned(),
        region: "Kota Malang".to_owned(),
        contact: String::new(),
        updated_at_ms: T0,
        fees: Default::default(),
        address: None,
        whatsapp: None,
    }
}

fn listing(id: &str, title: &str, price_idr: i64) -> Listing {
    Listing {
        id: id.parse().unwrap(),
        title: LocalizedText {
            id: title.to_owned(),
            en: None,
            jv: None,
        },
        description: LocalizedText {
            id: "Renyah dan gurih.".to_owned(),
            en: None,
            jv: None,
        },
        category: Category::Makanan,
        price_idr,
        unit: "bungkus".to_owned(),
        stock: 5,
        producer: "UMKM Sumber Rejeki".to_owned(),
        producer_village: String::new(),
        photos: Vec::new(),
        status: ListingStatus::Active,
        created_at_ms: T0,
        updated_at_ms: T0,
    }
}

/// One change numbered `n` of `doc` (hash `[n; 32]`, seq `n`) with the profile
/// of Telecenter Kota Malang and its Keripik Tempe.
fn keripik_commit(doc: DocId, n: u8, envelope: &[u8]) -> Commit {
    Commit {
        changes: vec![NewChange {
            doc,
            epoch: None,
            hash: [n; 32],
            seq: u64::from(n),
            envelope: envelope.to_vec(),
        }],
        profiles: vec![profile(doc.owner, "Telecenter Kota Malang")],
        listings: vec![(doc.owner, listing("k3v9q2m7xa", "Keripik Tempe", 15_000))],
        ..Commit::default()
    }
}

fn text_query(text: &str) -> SearchQuery {
    SearchQuery {
        text: Some(text.to_owned()),
        ..SearchQuery::default()
    }
}

/// Listings in the store's shared search index.
fn fts_rows(store: &Store) -> i64 {
    assert!(store.search.is_some(), "the test attaches a shared index");
    i64::try_from(store.with_index(crate::search::Index::len).unwrap()).unwrap()
}

/// From now on, writing a listing row fails as a full or broken disk would
/// (`false`: writes work again).
fn fail_listing_writes(store: &Store, fail: bool) {
    let sql = if fail {
        "CREATE TEMP TRIGGER IF NOT EXISTS simulated_failure BEFORE INSERT ON listings
         BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END;"
    } else {
        "DROP TRIGGER IF EXISTS simulated_failure"
    };
    store.conn.execute_batch(sql).unwrap();
}

/// Opens a store with a shared search index, as a node does.
fn open_indexed(path: &std::path::Path) -> Store {
    let mut store = Store::open(path).unwrap();
    store.use_search_index(super::SearchIndex::new(std::sync::Arc::new(
        crate::search::Words::builtin(),
    )));
    store
}

#[test]
fn opening_twice_is_idempotent_and_records_the_schema_version() {
    let dir = TempDir::new().unwrap();
    let path = db(&dir);
    let doc = DocId::catalog(center(1));
    {
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
        store.commit(&keripik_commit(doc, 1, b"first"), T0).unwrap();
    }
    let version = i64::try_from(MIGRATIONS.len()).unwrap();
    assert_eq!(user_version(&path), version);
    let objects = schema_objects(&path);
    for expected in [
        "table documents",
        "table changes",
        "table centers",
        "table listings",
        "table search_demand",
    ] {
        assert!(
            objects.iter().any(|o| o == expected),
            "{expected}: {objects:?}"
        );
    }

    for _ in 0..2 {
        let store = Store::open(&path).unwrap();
        assert_eq!(user_version(&path), version);
        assert_eq!(schema_objects(&path), objects);
        assert_eq!(store.change_count().unwrap(), 1);
        assert_eq!(
            store.changes_after(&doc, 0).unwrap(),
            vec![b"first".to_vec()]
        );
        assert_eq!(store.search(&text_query("keripik")).unwrap().total, 1);
        assert_eq!(store.quick_check().unwrap(), "ok");
    }
    let reader = Store::open_read_only(&path).unwrap();
    assert_eq!(reader.change_count().unwrap(), 1);
}

#[test]
fn a_database_from_a_newer_program_is_refused_and_left_alone() {
    let dir = TempDir::new().unwrap();
    let path = db(&dir);
    drop(Store::open(&path).unwrap());
    let newer = MIGRATIONS.len() + 1;
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", i64::try_from(newer).unwrap())
        .unwrap();
    let objects = schema_objects(&path);

    let expect_too_new = |result: Result<Store, StoreError>| match result {
        Err(StoreError::TooNew { found, supported }) => {
            assert_eq!((found, supported), (newer, MIGRATIONS.len()));
        }
        Err(other) => panic!("expected TooNew, found {other}"),
        Ok(_) => panic!("expected TooNew, but the database opened"),
    };
    expect_too_new(Store::open(&path));
    expect_too_new(Store::open_read_only(&path));
    let error = StoreError::TooNew {
        found: newer,
        supported: MIGRATIONS.len(),
    }
    .to_string();
    assert!(error.contains("upgrade telecenter"), "{error}");

    let node = Node::open(
        &path,
        Identity::generate(&mut StdRng::seed_from_u64(1)),
        Arc::new(ManualClock::new(T0)),
        Box::new(StdRng::seed_from_u64(2)),
    );
    assert!(
        matches!(node, Err(NodeError::Store(StoreError::TooNew { .. }))),
        "{node:?}"
    );
    assert_eq!(user_version(&path), i64::try_from(newer).unwrap());
    assert_eq!(schema_objects(&path), objects);
}

#[test]
fn the_database_is_in_wal_mode_with_full_sync() {
    let dir = TempDir::new().unwrap();
    let path = db(&dir);
    let store = Store::open(&path).unwrap();
    let pragma = |store: &Store, name: &str| -> String {
        store
            .conn
            .pragma_query_value(None, name, |row| {
                let value: rusqlite::types::Value = row.get(0)?;
                Ok(match value {
                    rusqlite::types::Value::Integer(i) => i.to_string(),
                    rusqlite::types::Value::Text(t) => t,
                    other => format!("{other:?}"),
                })
            })
            .unwrap()
    };
    assert_eq!(pragma(&store, "journal_mode"), "wal");
    // 2 = FULL: a commit is on disk, not only in the OS cache, when it returns.
    assert_eq!(pragma(&store, "synchronous"), "2");
    assert_eq!(pragma(&store, "foreign_keys"), "1");
    // WAL mode is a property of the file: any later connection sees it.
    let other: String = Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(other, "wal");
    let reader = Store::open_read_only(&path).unwrap();
    assert_eq!(pragma(&reader, "journal_mode"), "wal");
}

#[test]
fn commits_store_each_change_once_in_order_and_track_snapshots() {
    let dir = TempDir::new().unwrap();
    let mut store = Store::open(&db(&dir)).unwrap();
    let a = DocId::catalog(center(1));
    let b = DocId::catalog(center(2));
    let change = |doc: DocId, n: u8| NewChange {
        doc,
        epoch: None,
        hash: [n; 32],
        seq: u64::from(n),
        envelope: vec![n; 3],
    };
    store
        .commit(
            &Commit {
                changes: vec![change(a, 1), change(b, 2), change(a, 3)],
                ..Commit::default()
            },
            T0,
        )
        .unwrap();
    // The same hash again (in a later commit, or twice in one) is kept once.
    store
        .commit(
            &Commit {
                changes: vec![change(a, 3), change(a, 4), change(a, 4)],
                ..Commit::default()
            },
            T0 + 1,
        )
        .unwrap();
    assert_eq!(store.change_count().unwrap(), 4);
    assert_eq!(
        store.changes_after(&a, 0).unwrap(),
        vec![vec![1; 3], vec![3; 3], vec![4; 3]]
    );
    assert_eq!(store.changes_after(&b, 0).unwrap(), vec![vec![2; 3]]);
    // seq_no counts across documents (and may have gaps): read a's from the table.
    let seq_nos = |store: &Store, doc: &DocId| -> Vec<i64> {
        let mut stmt = store
            .conn
            .prepare("SELECT seq_no FROM changes WHERE doc_id = ?1 ORDER BY seq_no")
            .unwrap();
        stmt.query_map(params![doc.to_string()], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let a_seq = seq_nos(&store, &a);
    assert_eq!(a_seq.len(), 3);
    assert_eq!(
        store.changes_after(&a, a_seq[0]).unwrap(),
        vec![vec![3; 3], vec![4; 3]]
    );
    assert!(store.changes_after(&a, a_seq[2]).unwrap().is_empty());
    let docs: Vec<DocId> = store
        .documents()
        .unwrap()
        .into_iter()
        .map(|d| d.doc_id)
        .collect();
    assert_eq!(docs.len(), 2);
    assert!(docs.contains(&a) && docs.contains(&b));
    assert_eq!(store.changes_since_snapshot(&a).unwrap(), 3);

    store
        .commit(
            &Commit {
                changes: vec![change(a, 5)],
                snapshot: Some((a, b"snapshot of a".to_vec())),
                ..Commit::default()
            },
            T0 + 2,
        )
        .unwrap();
    let row = store
        .documents()
        .unwrap()
        .into_iter()
        .find(|d| d.doc_id == a)
        .unwrap();
    assert_eq!(row.snapshot.as_deref(), Some(&b"snapshot of a"[..]));
    assert_eq!(Some(&row.snapshot_upto), seq_nos(&store, &a).last());
    assert_eq!(store.changes_since_snapshot(&a).unwrap(), 0);
    assert!(
        store
            .changes_after(&a, row.snapshot_upto)
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.changes_since_snapshot(&b).unwrap(), 1);
    store
        .commit(
            &Commit {
                changes: vec![change(a, 6)],
                ..Commit::default()
            },
            T0 + 3,
        )
        .unwrap();
    assert_eq!(store.changes_since_snapshot(&a).unwrap(), 1);
    assert_eq!(
        store.changes_after(&a, row.snapshot_upto).unwrap(),
        vec![vec![6; 3]]
    );
}

#[test]
fn a_failing_commit_writes_nothing_at_all() {
    let dir = TempDir::new().unwrap();
    let mut store = open_indexed(&db(&dir));
    let doc = DocId::catalog(center(1));
    fail_listing_writes(&store, true);
    let result = store.commit(
        &Commit {
            snapshot: Some((doc, b"snapshot".to_vec())),
            ..keripik_commit(doc, 7, b"change")
        },
        T0,
    );
    assert!(matches!(result, Err(StoreError::Sqlite(_))), "{result:?}");
    assert_eq!(store.change_count().unwrap(), 0);
    assert!(store.documents().unwrap().is_empty());
    assert_eq!(store.center(&doc.owner).unwrap(), None);
    assert_eq!(fts_rows(&store), 0);
}

#[test]
fn the_listing_index_follows_upserts_renames_and_unindexing() {
    let dir = TempDir::new().unwrap();
    let mut store = open_indexed(&db(&dir));
    let owner = center(1);
    let doc = DocId::catalog(owner);
    let keripik = listing("k3v9q2m7xa", "Keripik Tempe Sanan", 15_000);
    store
        .commit(
            &Commit {
                changes: vec![NewChange {
                    doc,
                    epoch: None,
                    hash: [1; 32],
                    seq: 1,
                    envelope: b"1".to_vec(),
                }],
                profiles: vec![profile(owner, "Telecenter Kota Malang")],
                listings: vec![(owner, keripik.clone())],
                ..Commit::default()
            },
            T0,
        )
        .unwrap();
    let row = store.listing(&owner, &keripik.id).unwrap().unwrap();
    assert_eq!(
        row,
        ListingRow {
            center_id: owner,
            center_name: "Telecenter Kota Malang".to_owned(),
            center_region: "Kota Malang".to_owned(),
            listing: keripik.clone(),
        }
    );
    assert_eq!(
        store.center(&owner).unwrap(),
        Some(profile(owner, "Telecenter Kota Malang"))
    );
    assert_eq!(store.search(&text_query("tempe")).unwrap().items, vec![row]);
    // Variant spellings are indexed with the listing.
    assert_eq!(store.search(&text_query("kripik")).unwrap().total, 1);
    assert_eq!(store.search(&text_query("tempeh")).unwrap().total, 1);
    // Category labels in both languages are searchable.
    assert_eq!(store.search(&text_query("makanan")).unwrap().total, 1);
    assert_eq!(store.search(&text_query("food")).unwrap().total, 1);

    // An upsert replaces the listing and its full-text row.
    let renamed = Listing {
        title: LocalizedText {
            id: "Kerupuk Udang".to_owned(),
            en: Some("Prawn crackers".to_owned()),
            jv: None,
        },
        price_idr: 12_000,
        updated_at_ms: T0 + 1,
        ..keripik.clone()
    };
    store
        .commit(
            &Commit {
                listings: vec![(owner, renamed.clone())],
                ..Commit::default()
            },
            T0 + 1,
        )
        .unwrap();
    assert_eq!(store.search(&text_query("tempe")).unwrap().total, 0);
    assert_eq!(store.search(&text_query("krupuk")).unwrap().total, 1);
    assert_eq!(store.search(&text_query("prawn")).unwrap().total, 1);
    assert_eq!(store.search(&SearchQuery::default()).unwrap().total, 1);
    assert_eq!(fts_rows(&store), 1);
    assert_eq!(
        store.listing(&owner, &keripik.id).unwrap().unwrap().listing,
        renamed
    );

    // A new center name reaches the listing's row and its search text.
    store
        .commit(
            &Commit {
                profiles: vec![profile(owner, "Pusat Layanan Dinoyo")],
                ..Commit::default()
            },
            T0 + 2,
        )
        .unwrap();
    assert_eq!(store.search(&text_query("dinoyo")).unwrap().total, 1);
    assert_eq!(store.search(&text_query("telecenter")).unwrap().total, 0);
    assert_eq!(
        store
            .listing(&owner, &keripik.id)
            .unwrap()
            .unwrap()
            .center_name,
        "Pusat Layanan Dinoyo"
    );

    // Unindexing drops the row and its full-text row; unknown ids are ignored.
    store
        .commit(
            &Commit {
                unindex: vec![
                    (owner, keripik.id.to_string()),
                    (owner, "not a listing id".to_owned()),
                ],
                ..Commit::default()
            },
            T0 + 3,
        )
        .unwrap();
    assert_eq!(store.listing(&owner, &keripik.id).unwrap(), None);
    assert_eq!(store.search(&text_query("krupuk")).unwrap().total, 0);
    assert_eq!(store.search(&SearchQuery::default()).unwrap().total, 0);
    assert_eq!(fts_rows(&store), 0);
    assert_eq!(store.quick_check().unwrap(), "ok");
}

#[test]
fn a_node_created_on_a_store_keeps_the_schema_version() {
    let dir = TempDir::new().unwrap();
    let path = db(&dir);
    let node = crate::testing::malang(dir.path(), T0);
    assert_eq!(
        user_version(&path),
        i64::try_from(MIGRATIONS.len()).unwrap()
    );
    let store = Store::open(&path).unwrap();
    assert_eq!(store.documents().unwrap().len(), 1);
    assert_eq!(store.change_count().unwrap(), 1);
    assert_eq!(
        store.center(&node.center_id()).unwrap().unwrap().name,
        "Telecenter Kota Malang"
    );
}

/// Issue 9, finding 8: whether a listing names an image (asked for any name by
/// anyone, through `/foto/{hash}`) was a `LIKE` scan of every listing. Now the
/// names are kept in `listing_photos` by triggers and found through an index;
/// they follow listing updates and removals, and an older database is filled in
/// when it is migrated.
#[test]
fn image_names_follow_listings_and_are_found_by_index() {
    use telecenter_protocol::catalog::Photo;
    let dir = TempDir::new().unwrap();
    let path = db(&dir);
    let owner = center(1);
    let (a, b, c, d) = (
        "a".repeat(64),
        "b".repeat(64),
        "c".repeat(64),
        "d".repeat(64),
    );
    let with_photos = |thumb: &str, medium: &str| {
        let mut l = listing("k3v9q2m7xa", "Keripik Tempe", 15_000);
        l.photos = vec![Photo {
            thumb: thumb.to_owned(),
            medium: medium.to_owned(),
        }];
        l
    };
    let mut store = Store::open(&path).unwrap();
    let commit = |store: &mut Store, listing: Listing| {
        store
            .commit(
                &Commit {
                    profiles: vec![profile(owner, "Telecenter Kota Malang")],
                    listings: vec![(owner, listing)],
                    ..Commit::default()
                },
                T0,
            )
            .unwrap();
    };
    let named = |store: &Store| [&a, &b, &c, &d].map(|hash| store.image_is_named(hash).unwrap());
    commit(&mut store, with_photos(&a, &b));
    assert_eq!(named(&store), [true, true, false, false]);
    commit(&mut store, with_photos(&c, &d));
    assert_eq!(named(&store), [false, false, true, true]);
    let plan: String = store
        .conn
        .query_row(
            "EXPLAIN QUERY PLAN SELECT 1 FROM listing_photos WHERE hash = ?1 LIMIT 1",
            params![a],
            |row| row.get(3),
        )
        .unwrap();
    assert!(plan.contains("listing_photos_by_hash"), "{plan}");

    // A database from before version 4 gets the names of the listings it holds.
    store
        .conn
        .execute_batch(
            "DROP TABLE listing_photos;
             DROP TRIGGER listing_photos_insert;
             DROP TRIGGER listing_photos_update;
             DROP TRIGGER listing_photos_delete;
             DROP INDEX order_placements_by_time;
             DROP TABLE mail;
             DROP TABLE pair_routes;
             DROP TABLE search_demand;
             DROP TABLE listing_keys;
             DROP TRIGGER sales_take_producer;
             DROP TABLE producer_payouts;
             DROP TABLE listing_producers;
             DROP TABLE producers;
             DROP TABLE sales;
             DROP TABLE buyer_requests;
             ALTER TABLE centers DROP COLUMN whatsapp;
             ALTER TABLE listings DROP COLUMN producer_village;
             DROP TABLE writing_epoch;
             ALTER TABLE documents DROP COLUMN state;
             PRAGMA user_version = 3;",
        )
        .unwrap();
    drop(store);
    let mut store = Store::open(&path).unwrap();
    assert_eq!(named(&store), [false, false, true, true]);

    store
        .commit(
            &Commit {
                unindex: vec![(owner, "k3v9q2m7xa".to_owned())],
                ..Commit::default()
            },
            T0,
        )
        .unwrap();
    assert_eq!(named(&store), [false; 4]);
}

/// Every released schema text, as `sqlite_master` holds it.
fn schema_sql(path: &Path) -> Vec<(String, String, Option<String>)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
        .unwrap();
    stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A database left at any older schema version (as an older node wrote it,
/// with data in it) opens, is migrated to the newest version with exactly the
/// schema of a new database, and keeps what it held.
#[test]
fn a_database_at_every_older_version_migrates_to_the_newest_schema() {
    let dir = TempDir::new().unwrap();
    let fresh = dir.path().join("fresh.db");
    drop(Store::open(&fresh).unwrap());
    let newest = schema_sql(&fresh);
    let doc = DocId::catalog(center(1));
    for version in 1..MIGRATIONS.len() {
        let path = dir.path().join(format!("v{version}.db"));
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..version] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", i64::try_from(version).unwrap())
                .unwrap();
            conn.execute(
                "INSERT INTO documents (doc_id, owner) VALUES (?1, ?2)",
                params![doc.to_string(), doc.owner.to_string()],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO changes (hash, doc_id, change_seq, envelope, received_at_ms)
                 VALUES (?1, ?2, 1, ?3, ?4)",
                params![[7u8; 32].as_slice(), doc.to_string(), b"old".as_slice(), T0],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            MIGRATIONS.len(),
            "v{version}"
        );
        assert_eq!(schema_sql(&path), newest, "v{version}");
        assert_eq!(store.changes_after(&doc, 0).unwrap(), vec![b"old".to_vec()]);
        assert_eq!(store.quick_check().unwrap(), "ok");
        drop(store);
        assert_eq!(
            user_version(&path),
            i64::try_from(MIGRATIONS.len()).unwrap()
        );
    }
}

/// Version 12 (writing epochs) from a version 11 file: the changes table is
/// rebuilt with every row, its commit order and numbering kept, all of them in
/// epoch 0; a later epoch may then reuse a seq of epoch 0; the node's writing
/// epoch starts as epoch 0 and is recorded when one begins.
#[test]
fn a_version_11_database_migrates_to_writing_epochs() {
    let dir = TempDir::new().unwrap();
    let path = db(&dir);
    let doc = DocId::catalog(center(1));
    let other = DocId::catalog(center(2));
    {
        let conn = Connection::open(&path).unwrap();
        for sql in &MIGRATIONS[..11] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 11).unwrap();
        for d in [doc, other] {
            conn.execute(
                "INSERT INTO documents (doc_id, owner) VALUES (?1, ?2)",
                params![d.to_string(), d.owner.to_string()],
            )
            .unwrap();
        }
        for (n, d, seq) in [(1u8, doc, 1), (2, other, 1), (3, doc, 2)] {
            conn.execute(
                "INSERT INTO changes (hash, doc_id, change_seq, envelope, received_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![[n; 32].as_slice(), d.to_string(), seq, vec![n; 3], T0],
            )
            .unwrap();
        }
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
    assert_eq!(
        store.changes_after(&doc, 0).unwrap(),
        vec![vec![1u8; 3], vec![3u8; 3]]
    );
    let base = telecenter_protocol::ChainId::base(doc);
    assert_eq!(
        store.changes_after_seq(&base, 1, 10, 1_000).unwrap(),
        (vec![vec![3u8; 3]], false)
    );
    assert_eq!(store.writing_epoch().unwrap(), None);

    // A later epoch's seq 1 and 2 sit beside epoch 0's, numbered after them.
    let epoch = telecenter_protocol::EpochId::from_bytes([4; 8]);
    let later = telecenter_protocol::ChainId {
        doc,
        epoch: Some(epoch),
    };
    let change = |n: u8, seq: u64, epoch| NewChange {
        doc,
        epoch,
        hash: [n; 32],
        seq,
        envelope: vec![n; 3],
    };
    store
        .commit(
            &Commit {
                changes: vec![change(4, 1, Some(epoch)), change(5, 2, Some(epoch))],
                ..Commit::default()
            },
            T0,
        )
        .unwrap();
    assert_eq!(
        store.changes_after_seq(&later, 0, 10, 1_000).unwrap(),
        (vec![vec![4u8; 3], vec![5u8; 3]], false)
    );
    assert_eq!(
        store
            .changes_after_seq(&base, 0, 10, 1_000)
            .unwrap()
            .0
            .len(),
        2
    );
    assert_eq!(store.changes_after(&doc, 0).unwrap().len(), 4);
    let seq_nos: Vec<i64> = {
        let conn = Connection::open(&path).unwrap();
        let mut stmt = conn
            .prepare("SELECT seq_no FROM changes ORDER BY seq_no")
            .unwrap();
        stmt.query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(seq_nos, [1, 2, 3, 4, 5]);

    store.begin_epoch(epoch, T0).unwrap();
    assert_eq!(store.writing_epoch().unwrap(), Some(epoch));
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.writing_epoch().unwrap(), Some(epoch));
    assert_eq!(store.quick_check().unwrap(), "ok");
}

/// Issue 12: the in-memory search index never disagrees with the store. After a
/// run of commits (upserts, unindexing, center renames, purges), some of them
/// failing half-way, the node's shared index answers every search exactly as an
/// index built afresh from the file does.
#[test]
fn the_shared_search_index_always_equals_one_built_from_the_file() {
    use rand::Rng;
    let dir = TempDir::new().unwrap();
    let path = db(&dir);
    let mut store = open_indexed(&path);
    let mut rng = StdRng::seed_from_u64(5);
    let titles = [
        "Keripik Pisang Agung",
        "Kopi Robusta Dampit",
        "Jamu Kunyit Asam",
        "Batik Tulis Malangan",
        "Madu Hutan Asli",
        "Sambel Pecel Pedas",
    ];
    let owners = [center(1), center(2), center(3)];
    let ids: Vec<String> = "0123456789abcdefghjk"
        .chars()
        .map(|c| format!("k3v9q2m7x{c}"))
        .collect();
    // The first search builds the shared index; every later commit updates it.
    assert_eq!(store.search(&text_query("kopi")).unwrap().total, 0);
    let mut failed = 0;
    for step in 0..300i64 {
        let owner = owners[rng.gen_range(0..owners.len())];
        let fail = rng.gen_bool(0.15);
        fail_listing_writes(&store, fail);
        let id = &ids[rng.gen_range(0..ids.len())];
        let mut item = listing(id, titles[rng.gen_range(0..titles.len())], 1_000 + step);
        item.updated_at_ms = T0 + step;
        item.stock = rng.gen_range(0..3);
        let commit = match rng.gen_range(0..5) {
            0 => Commit {
                unindex: vec![(owner, id.clone())],
                listings: vec![(owner, item)],
                ..Commit::default()
            },
            1 => Commit {
                unindex: vec![(owner, id.clone())],
                ..Commit::default()
            },
            2 => Commit {
                profiles: vec![profile(owner, &format!("Telecenter Desa {}", step % 4))],
                listings: vec![(owner, item)],
                ..Commit::default()
            },
            _ => Commit {
                listings: vec![(owner, item)],
                ..Commit::default()
            },
        };
        if store.commit(&commit, T0 + step).is_err() {
            failed += 1;
        }
        fail_listing_writes(&store, false);
        if step % 71 == 70 {
            store.purge_document(&DocId::catalog(owner)).unwrap();
        }
    }
    assert!(failed > 10, "some commits failed half-way: {failed}");
    let fresh = Store::open(&path).unwrap();
    assert!(
        fresh.search.is_none(),
        "builds its own index for each search"
    );
    let mut compared = 0;
    for text in [
        "keripik",
        "kopi",
        "jamu kunyit",
        "batik",
        "madu",
        "sambal",
        "desa",
        "telecenter desa 2",
        "pisang kopi",
        "keripk",
    ] {
        let shared = store.search(&text_query(text)).unwrap();
        let built = fresh.search(&text_query(text)).unwrap();
        assert_eq!(shared.items, built.items, "{text}");
        assert_eq!(shared.total, built.total, "{text}");
        compared += shared.items.len();
    }
    assert!(compared > 20, "the searches found listings: {compared}");
}
