//! Tests of the node: local edits, durability across restarts without a clean
//! shutdown, receiving changes from other centers (in order, out of order, in
//! batches), rejections that leave no trace, trust (direct, vouched, blocked),
//! forks, what the node offers its peers, peer request authentication, input
//! validation, and search over the sample catalog (Indonesian text, filters,
//! paging, ranking).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use base64::Engine;
use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_protocol::catalog::input::{ListingPatch, NewListing, ProfileInput};
use telecenter_protocol::catalog::{Category, ListingStatus};
use telecenter_protocol::hop::{HOP_WINDOW_MS, HopError};
use telecenter_protocol::limits::{PRICE_IDR_MAX, TITLE_CHARS_MAX};
use telecenter_protocol::sync::Changes;
use telecenter_protocol::{CenterId, DocId, Identity, ListingId, SignedChange, VerifyError};
use tempfile::TempDir;

use super::*;
use crate::clock::ManualClock;

mod catch_up;
mod epoch;
mod held;
mod ingest;
use crate::sample::add_sample_listings;
use crate::search::{RawSearch, SearchQuery, Sort};
use crate::store::{ListingRow, SearchPage, Store};

/// 2025-11-23, a fixed start for every clock.
const T0: i64 = 1_763_860_000_000;

const MALANG_SEED: u64 = 1;
const LUMAJANG_SEED: u64 = 2;
const BATU_SEED: u64 = 3;
const PONOROGO_SEED: u64 = 4;
const SUMENEP_SEED: u64 = 5;
const MALLORY_SEED: u64 = 66;

fn identity(seed: u64) -> Identity {
    Identity::generate(&mut StdRng::seed_from_u64(seed))
}

fn center(seed: u64) -> CenterId {
    identity(seed).center_id()
}

fn rng(seed: u64) -> Box<dyn RngCore + Send> {
    Box::new(StdRng::seed_from_u64(seed.wrapping_add(1_000)))
}

fn profile(name: &str, region: &str) -> ProfileInput {
    crate::testing::profile(name, region, Some("WA 0812-0000-0000"))
}

/// One node in its own temporary folder, with a clock the test moves.
struct TestNode {
    dir: TempDir,
    seed: u64,
    clock: Arc<ManualClock>,
    node: Node,
}

impl TestNode {
    fn create(seed: u64, name: &str, region: &str) -> Self {
        let dir = TempDir::new().unwrap();
        let clock = Arc::new(ManualClock::new(T0));
        let node = crate::testing::center_with(
            dir.path(),
            (seed, seed.wrapping_add(1_000)),
            &profile(name, region),
            clock.clone(),
        );
        Self {
            dir,
            seed,
            clock,
            node,
        }
    }

    fn malang() -> Self {
        Self::create(MALANG_SEED, "Telecenter Kota Malang", "Kota Malang")
    }

    fn lumajang() -> Self {
        Self::create(LUMAJANG_SEED, "Telecenter Lumajang", "Kabupaten Lumajang")
    }

    fn batu() -> Self {
        Self::create(BATU_SEED, "Telecenter Batu", "Kota Batu")
    }

    fn ponorogo() -> Self {
        Self::create(PONOROGO_SEED, "Telecenter Ponorogo", "Kabupaten Ponorogo")
    }

    fn db_path(&self) -> PathBuf {
        self.dir.path().join("node.db")
    }

    /// Opens the same database again with the same identity, as after a restart.
    fn reopen(&self, rng_seed: u64) -> Node {
        Node::open(
            &self.db_path(),
            identity(self.seed),
            self.clock.clone(),
            rng(rng_seed),
        )
        .unwrap()
    }

    fn doc_id(&self) -> DocId {
        DocId::catalog(self.node.center_id())
    }

    /// This node after a restart without a clean shutdown: dropped, and its
    /// database opened again.
    fn restarted(self, rng_seed: u64) -> Self {
        let Self {
            dir,
            seed,
            clock,
            node,
        } = self;
        drop(node);
        let node = Node::open(
            &dir.path().join("node.db"),
            identity(seed),
            clock.clone(),
            rng(rng_seed),
        )
        .unwrap();
        Self {
            dir,
            seed,
            clock,
            node,
        }
    }

    /// Adds a listing (see [`new_listing`]); returns its id.
    fn add(&self, title: &str, category: &str, price_idr: i64) -> ListingId {
        self.node
            .add_listing(&new_listing(title, category, price_idr))
            .unwrap()
            .listing
            .id
    }

    /// Changes a listing's status (`active`, `hidden` or `removed`).
    fn set_status(&self, id: &ListingId, status: &str) {
        self.node
            .update_listing(
                id,
                &ListingPatch {
                    status: Some(status.to_owned()),
                    ..ListingPatch::default()
                },
            )
            .unwrap();
    }

    /// Changes a listing's price.
    fn set_price(&self, id: &ListingId, price_idr: i64) {
        self.node
            .update_listing(
                id,
                &ListingPatch {
                    price_idr: Some(price_idr),
                    ..ListingPatch::default()
                },
            )
            .unwrap();
    }
}

fn new_listing(title: &str, category: &str, price_idr: i64) -> NewListing {
    let description = format!("{title}, buatan UMKM setempat.");
    NewListing {
        category: category.to_owned(),
        unit: Some("bungkus".to_owned()),
        producer: Some("UMKM Sumber Rejeki".to_owned()),
        ..crate::testing::goods(title, price_idr, 10, description)
    }
}

fn raw_search(text: &str) -> SearchQuery {
    RawSearch {
        q: Some(text.to_owned()),
        limit: Some("100".to_owned()),
        ..RawSearch::default()
    }
    .validate()
    .unwrap()
}

/// Every listing of `center` in the index, whatever its status, in a fixed order.
fn all_rows(node: &Node, center: CenterId) -> Vec<ListingRow> {
    let page = node
        .search(&crate::testing::every_status_query(Some(center)))
        .unwrap();
    assert!(page.total <= 100, "test catalogs stay under one page");
    let mut rows = page.items;
    rows.sort_by(|a, b| a.listing.id.cmp(&b.listing.id));
    rows
}

fn titles(page: &SearchPage) -> Vec<&str> {
    page.items
        .iter()
        .map(|row| row.listing.title.id.as_str())
        .collect()
}

fn ids(page: &SearchPage) -> Vec<ListingId> {
    page.items
        .iter()
        .map(|row| row.listing.id.clone())
        .collect()
}

fn default_total(node: &Node) -> u64 {
    node.search(&SearchQuery::default()).unwrap().total
}

fn change_count(path: &Path) -> u64 {
    Store::open_read_only(path).unwrap().change_count().unwrap()
}

// ---------------------------------------------------------------------------
// Local edits

#[test]
fn add_update_remove_read_back_through_own_listing_and_search() {
    let t = TestNode::malang();
    let node = &t.node;

    let added = node
        .add_listing(&new_listing("Keripik Pisang Agung", "makanan", 15_000))
        .unwrap();
    assert_eq!(added.center_id, node.center_id());
    assert_eq!(added.center_name, "Telecenter Kota Malang");
    assert_eq!(added.center_region, "Kota Malang");
    let l = &added.listing;
    assert_eq!(l.title.id, "Keripik Pisang Agung");
    assert_eq!(l.title.en, None);
    assert_eq!(
        l.description.id,
        "Keripik Pisang Agung, buatan UMKM setempat."
    );
    assert_eq!(l.category, Category::Makanan);
    assert_eq!(l.price_idr, 15_000);
    assert_eq!(l.stock, 10);
    assert_eq!(l.unit, "bungkus");
    assert_eq!(l.producer, "UMKM Sumber Rejeki");
    assert_eq!(l.status, ListingStatus::Active);
    assert_eq!((l.created_at_ms, l.updated_at_ms), (T0, T0));
    assert_eq!(node.own_listing(&l.id).unwrap(), added);
    assert_eq!(node.listing(&node.center_id(), &l.id).unwrap(), added);
    let id = l.id.clone();

    t.clock.advance(60_000);
    let updated = node
        .update_listing(
            &id,
            &ListingPatch {
                price_idr: Some(17_500),
                stock: Some(3),
                ..ListingPatch::default()
            },
        )
        .unwrap();
    node.update_listing(
        &id,
        &ListingPatch {
            lang: Some("en".to_owned()),
            title: Some("Sweet banana chips".to_owned()),
            ..ListingPatch::default()
        },
    )
    .unwrap();
    assert_eq!(updated.listing.price_idr, 17_500);
    let read = node.own_listing(&id).unwrap();
    assert_eq!(read.listing.price_idr, 17_500);
    assert_eq!(read.listing.stock, 3);
    assert_eq!(read.listing.title.id, "Keripik Pisang Agung");
    assert_eq!(read.listing.title.en.as_deref(), Some("Sweet banana chips"));
    assert_eq!(read.listing.created_at_ms, T0);
    assert_eq!(read.listing.updated_at_ms, T0 + 60_000);

    let found = node.search(&raw_search("keripik")).unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.items, vec![read.clone()]);
    // The English title is searchable too.
    assert_eq!(
        ids(&node.search(&raw_search("banana")).unwrap()),
        vec![id.clone()]
    );

    // Hidden: kept, but not shown by a default search.
    let bag = node
        .add_listing(&new_listing("Tas Anyaman Pandan", "kerajinan", 85_000))
        .unwrap()
        .listing
        .id;
    assert_eq!(default_total(node), 2);
    let hidden = node
        .update_listing(
            &bag,
            &ListingPatch {
                status: Some("hidden".to_owned()),
                ..ListingPatch::default()
            },
        )
        .unwrap();
    assert_eq!(hidden.listing.status, ListingStatus::Hidden);
    assert_eq!(default_total(node), 1);
    assert_eq!(node.search(&raw_search("anyaman")).unwrap().total, 0);
    let with_hidden = SearchQuery {
        statuses: vec![ListingStatus::Active, ListingStatus::Hidden],
        ..raw_search("anyaman")
    };
    assert_eq!(ids(&node.search(&with_hidden).unwrap()), vec![bag.clone()]);
    let all_visible = node
        .search(&SearchQuery {
            statuses: vec![ListingStatus::Active, ListingStatus::Hidden],
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(all_visible.total, 2);

    // Removed: gone from every search that does not ask for removed listings.
    t.clock.advance(60_000);
    let removed = node.remove_listing(&id).unwrap();
    assert_eq!(removed.listing.status, ListingStatus::Removed);
    assert_eq!(
        node.own_listing(&id).unwrap().listing.status,
        ListingStatus::Removed
    );
    assert_eq!(default_total(node), 0);
    assert_eq!(node.search(&raw_search("keripik")).unwrap().total, 0);
    let active_or_hidden = node
        .search(&SearchQuery {
            statuses: vec![ListingStatus::Active, ListingStatus::Hidden],
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(ids(&active_or_hidden), vec![bag.clone()]);
    let only_removed = node
        .search(&SearchQuery {
            statuses: vec![ListingStatus::Removed],
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(ids(&only_removed), vec![id.clone()]);

    // Removal cannot be undone, and unknown ids are reported as such.
    let changes_before = node.changes_of(&t.doc_id()).unwrap().len();
    for result in [
        node.update_listing(
            &id,
            &ListingPatch {
                status: Some("active".to_owned()),
                ..ListingPatch::default()
            },
        ),
        node.remove_listing(&id),
    ] {
        assert!(
            matches!(result, Err(NodeError::Removed(ref r)) if *r == id),
            "{result:?}"
        );
    }
    let unknown: ListingId = "0000000000".parse().unwrap();
    assert!(matches!(
        node.remove_listing(&unknown),
        Err(NodeError::NoSuchListing(_))
    ));
    assert!(matches!(
        node.own_listing(&unknown),
        Err(NodeError::NoSuchListing(_))
    ));
    assert!(matches!(
        node.update_listing(&bag, &ListingPatch::default()),
        Err(NodeError::NoChange)
    ));
    assert_eq!(node.changes_of(&t.doc_id()).unwrap().len(), changes_before);
    assert_eq!(node.own_listing(&id).unwrap(), removed);
}

#[test]
fn a_profile_change_is_reindexed_into_every_listing() {
    let t = TestNode::malang();
    let id = t.add("Gerabah Hias", "kerajinan", 60_000);
    assert_eq!(
        t.node.search(&raw_search("malang gerabah")).unwrap().total,
        1
    );

    let changed = t
        .node
        .set_profile(&ProfileInput {
            name: Some("Telecenter Dinoyo".to_owned()),
            contact: Some("WA 0813-1111-2222".to_owned()),
            ..ProfileInput::default()
        })
        .unwrap();
    assert_eq!(changed.name, "Telecenter Dinoyo");
    assert_eq!(changed.region, "Kota Malang");
    assert_eq!(changed.contact, "WA 0813-1111-2222");
    assert_eq!(t.node.profile().unwrap(), changed);
    assert_eq!(
        t.node.own_listing(&id).unwrap().center_name,
        "Telecenter Dinoyo"
    );
    assert_eq!(
        ids(&t.node.search(&raw_search("dinoyo")).unwrap()),
        vec![id]
    );
    // The region did not change, so "malang" still finds it through the region.
    assert_eq!(
        t.node.search(&raw_search("malang gerabah")).unwrap().total,
        1
    );
    assert!(matches!(
        t.node.set_profile(&ProfileInput::default()),
        Err(NodeError::NoChange)
    ));
}

// ---------------------------------------------------------------------------
// Durability: every acknowledged write survives a restart without shutdown.

/// Adds, changes, hides and removes a few listings; returns them as acknowledged.
fn make_some_edits(t: &TestNode) -> Vec<ListingRow> {
    let node = &t.node;
    let mut ids = Vec::new();
    for (i, (title, category)) in [
        ("Keripik Tempe Sanan", "makanan"),
        ("Sari Apel Malang", "minuman"),
        ("Topeng Malangan Kayu", "kerajinan"),
        ("Jamu Kunyit Asam", "jamu-kesehatan"),
        ("Madu Kelengkeng Lawang", "pertanian"),
    ]
    .into_iter()
    .enumerate()
    {
        t.clock.advance(1_000);
        let price = 10_000 * (i64::try_from(i).unwrap() + 1);
        ids.push(
            node.add_listing(&new_listing(title, category, price))
                .unwrap()
                .listing
                .id,
        );
    }
    t.clock.advance(1_000);
    node.update_listing(
        &ids[0],
        &ListingPatch {
            lang: Some("en".to_owned()),
            title: Some("Sanan tempeh chips".to_owned()),
            description: Some("Thin, crunchy tempeh chips.".to_owned()),
            ..ListingPatch::default()
        },
    )
    .unwrap();
    node.update_listing(
        &ids[1],
        &ListingPatch {
            lang: Some("jv".to_owned()),
            title: Some("Sari Apel Ngalam".to_owned()),
            stock: Some(0),
            ..ListingPatch::default()
        },
    )
    .unwrap();
    node.update_listing(
        &ids[2],
        &ListingPatch {
            status: Some("hidden".to_owned()),
            ..ListingPatch::default()
        },
    )
    .unwrap();
    node.remove_listing(&ids[3]).unwrap();
    ids.iter().map(|id| node.own_listing(id).unwrap()).collect()
}

fn assert_same_listings(reopened: &Node, acknowledged: &[ListingRow]) {
    for row in acknowledged {
        assert_eq!(&reopened.own_listing(&row.listing.id).unwrap(), row);
    }
}

#[test]
fn drop_without_shutdown_then_reopen_keeps_every_acknowledged_listing() {
    let t = TestNode::malang();
    let acknowledged = make_some_edits(&t);
    let center = t.node.center_id();
    let heads = t.node.heads_of(&center);
    let rows = all_rows(&t.node, center);
    let changes = t.node.changes_of(&t.doc_id()).unwrap();
    let t = t.restarted(7);

    assert_eq!(t.node.center_id(), center);
    assert_same_listings(&t.node, &acknowledged);
    assert_eq!(all_rows(&t.node, center), rows);
    assert_eq!(t.node.heads_of(&center), heads);
    assert_eq!(t.node.changes_of(&t.doc_id()).unwrap(), changes);
    assert_eq!(t.node.quick_check().unwrap(), "ok");
    assert_eq!(t.node.profile().unwrap().name, "Telecenter Kota Malang");
    // The reopened node keeps working on top of what it loaded.
    let more = t
        .node
        .add_listing(&new_listing("Beras Organik", "pertanian", 75_000))
        .unwrap();
    assert_eq!(all_rows(&t.node, center).len(), acknowledged.len() + 1);
    assert_eq!(t.node.own_listing(&more.listing.id).unwrap(), more);
}

#[test]
fn a_node_that_never_runs_its_destructor_loses_nothing_acknowledged() {
    let t = TestNode::malang();
    let acknowledged = make_some_edits(&t);
    let center = t.node.center_id();
    let heads = t.node.heads_of(&center);

    // A crash: copy the files exactly as they are on disk while the node still
    // holds them open (nothing checkpointed, nothing closed) ...
    let crashed = TempDir::new().unwrap();
    for suffix in ["", "-wal"] {
        let from = t.dir.path().join(format!("node.db{suffix}"));
        if from.exists() {
            std::fs::copy(&from, crashed.path().join(format!("node.db{suffix}"))).unwrap();
        }
    }
    // ... and leak the node itself, so no destructor closes the connections.
    let TestNode {
        dir,
        seed,
        clock,
        node,
    } = t;
    std::mem::forget(node);

    for path in [dir.path().join("node.db"), crashed.path().join("node.db")] {
        let reopened = Node::open(&path, identity(seed), clock.clone(), rng(8)).unwrap();
        assert_same_listings(&reopened, &acknowledged);
        assert_eq!(all_rows(&reopened, center).len(), acknowledged.len());
        assert_eq!(reopened.heads_of(&center), heads, "{}", path.display());
        assert_eq!(reopened.quick_check().unwrap(), "ok");
        drop(reopened);
    }
}

#[test]
fn more_edits_than_the_snapshot_interval_reload_identically() {
    let t = TestNode::malang();
    let center = t.node.center_id();
    let ids: Vec<ListingId> = ["Kopi Robusta Dampit", "Apel Manalagi", "Batik Tulis"]
        .into_iter()
        .map(|title| t.add(title, "pertanian", 30_000))
        .collect();
    let edits = usize::try_from(SNAPSHOT_EVERY_CHANGES).unwrap() + 40;
    for i in 0..edits {
        t.clock.advance(10);
        let stock = i64::try_from(i).unwrap();
        t.node
            .update_listing(
                &ids[i % ids.len()],
                &ListingPatch {
                    stock: Some(stock),
                    price_idr: Some(30_000 + stock),
                    ..ListingPatch::default()
                },
            )
            .unwrap();
    }
    t.set_status(&ids[1], "hidden");
    t.node.remove_listing(&ids[2]).unwrap();
    let expected_changes = 1 + ids.len() + edits + 2;
    assert_eq!(
        t.node.changes_of(&t.doc_id()).unwrap().len(),
        expected_changes
    );

    // A snapshot was taken, and only the changes after it are replayed on open.
    {
        let store = Store::open_read_only(&t.db_path()).unwrap();
        let docs = store.documents().unwrap();
        assert_eq!(docs.len(), 1);
        assert!(docs[0].snapshot.is_some());
        assert!(
            docs[0].snapshot_upto > 1,
            "no snapshot after the genesis one"
        );
        let pending = store.changes_since_snapshot(&t.doc_id()).unwrap();
        assert!(
            pending < SNAPSHOT_EVERY_CHANGES,
            "{pending} changes after the snapshot"
        );
        assert_eq!(
            u64::try_from(expected_changes).unwrap() - pending,
            u64::try_from(docs[0].snapshot_upto).unwrap()
        );
    }

    let rows = all_rows(&t.node, center);
    let heads = t.node.heads_of(&center);
    assert_eq!(rows.len(), 3);
    let reopened = t.reopen(9);
    assert_eq!(all_rows(&reopened, center), rows);
    assert_eq!(reopened.heads_of(&center), heads);
    assert_eq!(reopened.quick_check().unwrap(), "ok");
    let last = i64::try_from(edits - 1).unwrap();
    let last_edited = &ids[(edits - 1) % ids.len()];
    assert_eq!(
        reopened.own_listing(last_edited).unwrap().listing.stock,
        last
    );
    // Edits after the reload build on the reloaded document.
    reopened
        .update_listing(
            &ids[0],
            &ListingPatch {
                stock: Some(1),
                ..ListingPatch::default()
            },
        )
        .unwrap();
    assert_eq!(reopened.own_listing(&ids[0]).unwrap().listing.stock, 1);
    assert_ne!(reopened.heads_of(&center), heads);
}

const FAIL_CHANGES_TRIGGER: &str = "CREATE TRIGGER simulated_failure BEFORE INSERT ON changes
     BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END;";

#[test]
fn a_failed_commit_leaves_memory_matching_the_disk() {
    let a = TestNode::malang();
    let center = a.node.center_id();
    let id = a.add("Keripik Tempe Sanan", "makanan", 15_000);
    let heads = a.node.heads_of(&center);
    let rows = all_rows(&a.node, center);
    let count = change_count(&a.db_path());
    let price = |price_idr| ListingPatch {
        price_idr: Some(price_idr),
        ..ListingPatch::default()
    };

    // Another connection makes every write of a change fail, as a full disk would.
    let saboteur = rusqlite::Connection::open(a.db_path()).unwrap();
    saboteur.execute_batch(FAIL_CHANGES_TRIGGER).unwrap();
    let result = a.node.update_listing(&id, &price(20_000));
    assert!(matches!(result, Err(NodeError::Store(_))), "{result:?}");
    let result = a
        .node
        .add_listing(&new_listing("Sari Apel", "minuman", 30_000));
    assert!(matches!(result, Err(NodeError::Store(_))), "{result:?}");
    let result = a.node.set_profile(&ProfileInput {
        name: Some("Telecenter Baru".to_owned()),
        ..ProfileInput::default()
    });
    assert!(matches!(result, Err(NodeError::Store(_))), "{result:?}");
    // Nothing was acknowledged, and memory did not run ahead of the disk.
    assert_eq!(a.node.heads_of(&center), heads);
    assert_eq!(all_rows(&a.node, center), rows);
    assert_eq!(change_count(&a.db_path()), count);
    assert_eq!(a.node.profile().unwrap().name, "Telecenter Kota Malang");

    saboteur
        .execute_batch("DROP TRIGGER simulated_failure")
        .unwrap();
    let updated = a.node.update_listing(&id, &price(21_000)).unwrap();
    assert_eq!(updated.listing.price_idr, 21_000);
    assert_eq!(change_count(&a.db_path()), count + 1);
    let reopened = a.reopen(4);
    assert_eq!(reopened.heads_of(&center), a.node.heads_of(&center));
    assert_eq!(all_rows(&reopened, center), all_rows(&a.node, center));
    drop(reopened);

    // The same holds for a change received from another center.
    let b = TestNode::lumajang();
    b.node.trust(&center).unwrap();
    let a_changes = a.node.changes_of(&a.doc_id()).unwrap();
    assert_eq!(a_changes.len(), 3);
    assert_eq!(
        b.node.ingest(&a.doc_id(), &a_changes[0]).unwrap(),
        Ingested::Applied
    );
    let b_heads = b.node.heads_of(&center);
    let b_count = change_count(&b.db_path());
    let saboteur = rusqlite::Connection::open(b.db_path()).unwrap();
    saboteur.execute_batch(FAIL_CHANGES_TRIGGER).unwrap();
    let result = b.node.ingest(&a.doc_id(), &a_changes[1]);
    assert!(matches!(result, Err(NodeError::Store(_))), "{result:?}");
    assert_eq!(b.node.heads_of(&center), b_heads);
    assert_eq!(change_count(&b.db_path()), b_count);
    assert!(all_rows(&b.node, center).is_empty());
    saboteur
        .execute_batch("DROP TRIGGER simulated_failure")
        .unwrap();
    // Not "Duplicate": the failed change never counted as held.
    ingest_each(&b, &a, &a_changes[1..], Ingested::Applied);
    assert_eq!(all_rows(&b.node, center), all_rows(&a.node, center));
}

/// Regression test: `Node::create` on
/// a database that already holds this center's catalog does not refuse. It adds a
/// second genesis change and overwrites the snapshot with the new, empty catalog
/// (with `snapshot_upto` covering every earlier change), so the document loses
/// the earlier listings while the index still shows them: `own_listing` finds a
/// listing that `update_listing` then reports as `NoSuchListing`.
#[test]
fn create_on_an_existing_database_is_refused() {
    let t = TestNode::malang();
    let id = t.add("Keripik Tempe Sanan", "makanan", 15_000);
    let again = Node::create(
        &t.db_path(),
        identity(MALANG_SEED),
        &profile("Telecenter Kota Malang", "Kota Malang"),
        t.clock.clone(),
        rng(MALANG_SEED),
    );
    let refused = matches!(again, Err(NodeError::AlreadyCreated(_)));
    let outcome = again.as_ref().err().map(ToString::to_string);
    drop(again);
    let reopened = t.reopen(3);
    let update = reopened.update_listing(
        &id,
        &ListingPatch {
            price_idr: Some(16_000),
            ..ListingPatch::default()
        },
    );
    assert!(update.is_ok(), "the earlier listing was lost: {update:?}");
    assert!(
        refused,
        "creating over an existing catalog should be refused as AlreadyCreated, got {outcome:?}"
    );
}

// ---------------------------------------------------------------------------
// Receiving other centers' changes

#[test]
fn ingest_in_order_shows_the_other_centers_listings_under_its_name() {
    let a = TestNode::malang();
    let b = TestNode::lumajang();
    let a_center = a.node.center_id();
    let b_center = b.node.center_id();
    let keripik = a.add("Keripik Tempe Sanan", "makanan", 15_000);
    let topeng = a.add("Topeng Malangan Kayu", "kerajinan", 250_000);
    let hidden = a.add("Batik Cap Malangan", "fesyen", 175_000);
    a.set_price(&keripik, 16_000);
    a.set_status(&hidden, "hidden");
    let a_changes = a.node.changes_of(&a.doc_id()).unwrap();
    assert_eq!(a_changes.len(), 6);
    b.add("Keripik Pisang Agung", "makanan", 18_000);
    b.node.trust(&a_center).unwrap();

    ingest_each(&b, &a, &a_changes, Ingested::Applied);

    assert_eq!(b.node.changes_of(&a.doc_id()).unwrap(), a_changes);
    assert_caught_up(&b, &a, a_center);
    for id in [&keripik, &topeng, &hidden] {
        assert_eq!(
            b.node.listing(&a_center, id).unwrap(),
            a.node.own_listing(id).unwrap()
        );
    }
    let found = b.node.search(&raw_search("keripik")).unwrap();
    assert_eq!(found.total, 2);
    let from_a: Vec<&ListingRow> = found
        .items
        .iter()
        .filter(|row| row.center_id == a_center)
        .collect();
    assert_eq!(from_a.len(), 1);
    assert_eq!(from_a[0].center_name, "Telecenter Kota Malang");
    assert_eq!(from_a[0].center_region, "Kota Malang");
    assert_eq!(from_a[0].listing.id, keripik);
    assert_eq!(from_a[0].listing.price_idr, 16_000);
    // The other center's name is searchable, its hidden listing is not shown.
    let by_name = b.node.search(&raw_search("telecenter malang")).unwrap();
    assert_eq!(
        ids(&by_name).into_iter().collect::<BTreeSet<_>>(),
        BTreeSet::from([keripik.clone(), topeng.clone()])
    );
    assert_eq!(b.node.search(&raw_search("batik")).unwrap().total, 0);
    // B's own catalog is untouched, and B cannot edit A's listings as its own.
    assert_eq!(b.node.profile().unwrap().center, b_center);
    assert!(matches!(
        b.node.own_listing(&keripik),
        Err(NodeError::NoSuchListing(_))
    ));

    // Duplicates change nothing.
    let count = change_count(&b.db_path());
    let before = all_rows(&b.node, a_center);
    ingest_each(&b, &a, &a_changes, Ingested::Duplicate);
    assert_eq!(change_count(&b.db_path()), count);
    assert_eq!(all_rows(&b.node, a_center), before);

    // What B received survives B's restart.
    let reopened = b.reopen(5);
    assert_eq!(all_rows(&reopened, a_center), before);
    assert_eq!(reopened.heads_of(&a_center), a.node.heads_of(&a_center));
    assert_eq!(
        reopened.ingest(&a.doc_id(), &a_changes[3]).unwrap(),
        Ingested::Duplicate
    );
}

#[test]
fn a_change_with_missing_dependencies_is_held_back_until_they_arrive() {
    let a = TestNode::malang();
    let b = TestNode::lumajang();
    let a_center = a.node.center_id();
    let keripik = a.add("Keripik Tempe Sanan", "makanan", 15_000);
    a.set_price(&keripik, 16_000);
    let a_changes = a.node.changes_of(&a.doc_id()).unwrap();
    assert_eq!(a_changes.len(), 3);
    b.node.trust(&a_center).unwrap();
    let b_count = change_count(&b.db_path());

    // Without the genesis change, nothing of A's can be applied: the later
    // changes wait in memory, and nothing of them is stored or shown.
    ingest_each(&b, &a, &a_changes[1..], Ingested::Pending);
    // Sending a waiting change again changes nothing.
    assert_eq!(
        b.node.ingest(&a.doc_id(), &a_changes[2]).unwrap(),
        Ingested::Pending
    );
    assert!(b.node.changes_of(&a.doc_id()).unwrap().is_empty());
    assert_eq!(change_count(&b.db_path()), b_count);
    assert!(b.node.heads_of(&a_center).is_empty());
    assert!(matches!(
        b.node.listing(&a_center, &keripik),
        Err(NodeError::UnknownListing { .. })
    ));
    assert_eq!(b.node.have().get(&a.doc_id().to_string()), Some(&0));

    // The genesis arrives, and the waiting changes apply after it by themselves.
    assert_eq!(
        b.node.ingest(&a.doc_id(), &a_changes[0]).unwrap(),
        Ingested::Applied
    );
    assert_eq!(b.node.changes_of(&a.doc_id()).unwrap(), a_changes);
    assert_eq!(change_count(&b.db_path()), b_count + 3);
    assert_eq!(
        b.node.listing(&a_center, &keripik).unwrap(),
        a.node.own_listing(&keripik).unwrap()
    );
    assert_caught_up(&b, &a, a_center);
    assert_eq!(b.node.have().get(&a.doc_id().to_string()), Some(&3));
    ingest_each(&b, &a, &a_changes, Ingested::Duplicate);

    // With the genesis in, the price change still waits for the listing it edits.
    let c = TestNode::batu();
    c.node.trust(&a_center).unwrap();
    let c_count = change_count(&c.db_path());
    assert_eq!(
        c.node.ingest(&a.doc_id(), &a_changes[0]).unwrap(),
        Ingested::Applied
    );
    assert_eq!(
        c.node.ingest(&a.doc_id(), &a_changes[2]).unwrap(),
        Ingested::Pending
    );
    assert_eq!(c.node.changes_of(&a.doc_id()).unwrap(), a_changes[..1]);
    assert_eq!(change_count(&c.db_path()), c_count + 1);
    assert_eq!(c.node.search(&raw_search("keripik")).unwrap().total, 0);

    // Once its predecessor is in, both apply: the waiting one by itself.
    assert_eq!(
        c.node.ingest(&a.doc_id(), &a_changes[1]).unwrap(),
        Ingested::Applied
    );
    assert_eq!(c.node.changes_of(&a.doc_id()).unwrap(), a_changes);
    assert_eq!(change_count(&c.db_path()), c_count + 3);
    assert_eq!(
        c.node.listing(&a_center, &keripik).unwrap(),
        a.node.own_listing(&keripik).unwrap()
    );
    assert_eq!(
        c.node
            .listing(&a_center, &keripik)
            .unwrap()
            .listing
            .price_idr,
        16_000
    );
    assert_eq!(c.node.heads_of(&a_center), a.node.heads_of(&a_center));
    assert_eq!(c.node.search(&raw_search("keripik")).unwrap().total, 1);
}

/// Everything about B that a rejected change must leave as it was.
#[derive(Debug, PartialEq)]
struct Observed {
    changes_total: u64,
    changes_per_doc: Vec<usize>,
    rows_per_center: Vec<Vec<ListingRow>>,
    heads_per_center: Vec<Vec<String>>,
    keripik_search: Vec<ListingRow>,
}

fn observe(t: &TestNode, centers: &[CenterId]) -> Observed {
    Observed {
        changes_total: change_count(&t.db_path()),
        changes_per_doc: centers
            .iter()
            .map(|c| t.node.changes_of(&DocId::catalog(*c)).unwrap().len())
            .collect(),
        rows_per_center: centers.iter().map(|c| all_rows(&t.node, *c)).collect(),
        heads_per_center: centers.iter().map(|c| t.node.heads_of(c)).collect(),
        keripik_search: t.node.search(&raw_search("keripik")).unwrap().items,
    }
}

fn assert_rejected(result: Result<Ingested, NodeError>, what: &str) -> VerifyError {
    match result {
        Err(NodeError::Rejected(reason)) => reason,
        other => panic!("{what}: expected a rejection, found {other:?}"),
    }
}

#[test]
fn rejected_changes_store_nothing_and_change_nothing() {
    let a = TestNode::malang();
    let b = TestNode::lumajang();
    let a_center = a.node.center_id();
    let b_center = b.node.center_id();
    let c_center = center(BATU_SEED);
    let mallory = identity(MALLORY_SEED);
    let centers = [a_center, b_center, c_center, mallory.center_id()];
    a.add("Keripik Tempe Sanan", "makanan", 15_000);
    b.add("Keripik Pisang Agung", "makanan", 18_000);
    let a_changes = a.node.changes_of(&a.doc_id()).unwrap();
    // B accepts A and C, so that what rejects the changes below is their
    // signature, not trust.
    b.node.trust(&a_center).unwrap();
    b.node.trust(&c_center).unwrap();
    assert_eq!(
        b.node.ingest(&a.doc_id(), &a_changes[0]).unwrap(),
        Ingested::Applied
    );
    let genuine = &a_changes[1];
    let before = observe(&b, &centers);

    // 1. A tampered envelope: one flipped byte anywhere, or cut short.
    let middle = genuine.len() / 2;
    for position in [
        0,
        1,
        2,
        20,
        40,
        70,
        100,
        129,
        130,
        middle,
        genuine.len() - 1,
    ] {
        let mut tampered = genuine.clone();
        tampered[position] ^= 0x01;
        assert_rejected(
            b.node.ingest(&a.doc_id(), &tampered),
            &format!("byte {position} flipped"),
        );
        assert_eq!(observe(&b, &centers), before, "byte {position} flipped");
    }
    let mut tampered = genuine.clone();
    tampered[middle] ^= 0xff;
    assert!(matches!(
        assert_rejected(b.node.ingest(&a.doc_id(), &tampered), "middle byte"),
        VerifyError::BadSignature { .. }
    ));
    for cut in [0, 10, 129, genuine.len() - 1] {
        assert_rejected(
            b.node.ingest(&a.doc_id(), &genuine[..cut]),
            &format!("cut to {cut} bytes"),
        );
    }
    assert_eq!(observe(&b, &centers), before);

    // 2. A genuine change sent as a change of another document.
    for wrong in [b.doc_id(), DocId::catalog(c_center)] {
        let reason = assert_rejected(b.node.ingest(&wrong, genuine), "wrong document");
        assert!(
            matches!(reason, VerifyError::WrongDocument { expected, found }
                if expected == wrong && found == a.doc_id()),
            "{reason:?}"
        );
        assert_eq!(observe(&b, &centers), before);
    }

    // 3. Signed by a key that does not own the catalog.
    let change = SignedChange::from_bytes(genuine).unwrap().change;
    let by_mallory = SignedChange::sign(&mallory, a.doc_id(), change.clone()).to_bytes();
    assert!(matches!(
        assert_rejected(b.node.ingest(&a.doc_id(), &by_mallory), "signed by mallory"),
        VerifyError::Unauthorised { signer, .. } if signer == mallory.center_id()
    ));
    // A's key writing into B's or C's catalog is just as unauthorised.
    let a_identity = identity(MALANG_SEED);
    for (doc, what) in [
        (b.doc_id(), "A's key for B's catalog"),
        (DocId::catalog(c_center), "A's key for C's catalog"),
    ] {
        let foreign = SignedChange::sign(&a_identity, doc, change.clone()).to_bytes();
        assert!(matches!(
            assert_rejected(b.node.ingest(&doc, &foreign), what),
            VerifyError::Unauthorised { .. }
        ));
    }
    // Claiming to be A while Mallory signed.
    let mut forged = SignedChange::from_bytes(genuine).unwrap();
    forged.signature = SignedChange::sign(&mallory, a.doc_id(), change).signature;
    assert!(matches!(
        assert_rejected(b.node.ingest(&a.doc_id(), &forged.to_bytes()), "forged"),
        VerifyError::BadSignature { .. }
    ));
    // Mallory's own catalog presented as A's.
    let mallory_dir = TempDir::new().unwrap();
    let mallory_node = Node::create(
        &mallory_dir.path().join("node.db"),
        identity(MALLORY_SEED),
        &profile("Telecenter Kota Malang", "Kota Malang"),
        Arc::new(ManualClock::new(T0)),
        rng(MALLORY_SEED),
    )
    .unwrap();
    let mallory_genesis = &mallory_node
        .changes_of(&DocId::catalog(mallory.center_id()))
        .unwrap()[0];
    assert_rejected(
        b.node.ingest(&a.doc_id(), mallory_genesis),
        "mallory's genesis",
    );
    assert_eq!(observe(&b, &centers), before);

    // None of this blocks the genuine change.
    assert_eq!(
        b.node.ingest(&a.doc_id(), genuine).unwrap(),
        Ingested::Applied
    );
    assert_eq!(
        b.node.search(&raw_search("keripik")).unwrap().total,
        u64::try_from(before.keripik_search.len()).unwrap() + 1
    );
    assert_eq!(change_count(&b.db_path()), before.changes_total + 1);
}

// ---------------------------------------------------------------------------
// Trust: which catalogs a node accepts

/// The centers `t`'s own catalog vouches for, read back from its stored changes.
fn own_vouches(t: &TestNode) -> BTreeSet<CenterId> {
    let mut doc = CatalogDoc::empty(t.node.center_id());
    for envelope in t.node.changes_of(&t.doc_id()).unwrap() {
        let verified = SignedChange::from_bytes(&envelope)
            .unwrap()
            .verify(&t.doc_id())
            .unwrap();
        doc.apply(&verified).unwrap();
    }
    doc.vouches().into_iter().collect()
}

/// Sends every stored change of `from`'s catalog to `to` in one batch.
fn send_catalog(from: &TestNode, to: &TestNode) -> Vec<Result<Ingested, NodeError>> {
    to.node
        .receive(&from.node.changes_of(&from.doc_id()).unwrap())
        .unwrap()
}

/// Hands each of `envelopes` of `from`'s catalog to `to` on its own and asserts
/// what became of it.
fn ingest_each(to: &TestNode, from: &TestNode, envelopes: &[Vec<u8>], want: Ingested) {
    for (index, envelope) in envelopes.iter().enumerate() {
        assert_eq!(
            to.node.ingest(&from.doc_id(), envelope).unwrap(),
            want,
            "change {index}"
        );
    }
}

/// Asserts that `to` holds the same heads and listings of `center` as `from`.
fn assert_caught_up(to: &TestNode, from: &TestNode, center: CenterId) {
    assert_eq!(to.node.heads_of(&center), from.node.heads_of(&center));
    assert_eq!(all_rows(&to.node, center), all_rows(&from.node, center));
}

fn assert_all_applied(outcomes: &[Result<Ingested, NodeError>], what: &str) {
    assert!(
        outcomes.iter().all(|o| matches!(o, Ok(Ingested::Applied))),
        "{what}: {outcomes:?}"
    );
}

fn assert_all_not_accepted(outcomes: &[Result<Ingested, NodeError>], center: CenterId, what: &str) {
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Err(NodeError::NotAccepted(c)) if *c == center)),
        "{what}: {outcomes:?}"
    );
}

fn have_docs(node: &Node) -> BTreeSet<String> {
    node.have().into_keys().collect()
}

fn doc_key(center: CenterId) -> String {
    DocId::catalog(center).to_string()
}

#[test]
fn changes_of_an_untrusted_center_are_refused_and_leave_no_trace() {
    let a = TestNode::malang();
    let b = TestNode::lumajang();
    let a_center = a.node.center_id();
    let centers = [a_center, b.node.center_id()];
    a.add("Keripik Tempe Sanan", "makanan", 15_000);
    let a_changes = a.node.changes_of(&a.doc_id()).unwrap();
    let before = observe(&b, &centers);

    assert!(!b.node.accepts(&a_center));
    for envelope in &a_changes {
        let result = b.node.ingest(&a.doc_id(), envelope);
        assert!(
            matches!(&result, Err(NodeError::NotAccepted(c)) if *c == a_center),
            "{result:?}"
        );
        assert_eq!(reject_code(&result.unwrap_err()), "not_accepted");
    }
    assert_all_not_accepted(&send_catalog(&a, &b), a_center, "batch");
    assert_eq!(observe(&b, &centers), before);
    assert!(b.node.changes_of(&a.doc_id()).unwrap().is_empty());
    assert!(b.node.heads_of(&a_center).is_empty());
    assert_eq!(b.node.search(&raw_search("keripik")).unwrap().total, 0);
    assert_eq!(b.node.search(&raw_search("malang")).unwrap().total, 0);
    assert!(!have_docs(&b.node).contains(&doc_key(a_center)));

    // Nothing was held back either: once trusted, every change applies in order.
    b.node.trust(&a_center).unwrap();
    assert_all_applied(&send_catalog(&a, &b), "after trust");
    assert_eq!(all_rows(&b.node, a_center), all_rows(&a.node, a_center));
    assert_eq!(b.node.search(&raw_search("keripik")).unwrap().total, 1);
}

/// The hub's ingest ran one batch at a time: verifying a peer's next batch
/// waited for the writer lock that the batch before it held while applied.
/// Verification now reads which catalogs are accepted from the writer's own
/// view, so it goes on while the writer is busy, and still refuses, unverified,
/// the changes of a center not accepted.
#[test]
fn a_batch_is_verified_while_the_writer_applies_another() {
    let a = TestNode::malang();
    let b = TestNode::lumajang();
    let a_center = a.node.center_id();
    a.add("Keripik Tempe Sanan", "makanan", 15_000);
    let a_changes = a.node.changes_of(&a.doc_id()).unwrap();
    let verify_while_busy = || {
        let busy = lock(&b.node.writer);
        std::thread::scope(|scope| {
            let verifying = scope.spawn(|| b.node.verify_received(&a_changes));
            let deadline = Instant::now() + Duration::from_secs(30);
            while !verifying.is_finished() && Instant::now() < deadline {
                std::thread::yield_now();
            }
            let finished = verifying.is_finished();
            // Let a verification that waits for the lock end before failing.
            drop(busy);
            assert!(finished, "verification waited for the writer lock");
            verifying.join().unwrap()
        })
    };

    let refused = verify_while_busy();
    assert!(
        refused
            .iter()
            .all(|v| matches!(v, Err(NodeError::NotAccepted(c)) if *c == a_center)),
        "not accepted yet"
    );
    b.node.trust(&a_center).unwrap();
    let verified = verify_while_busy();
    assert!(verified.iter().all(Result::is_ok), "accepted now");
    assert_all_applied(
        &b.node.receive_verified(verified, &a_changes).unwrap(),
        "verified while the writer was busy",
    );
    assert_eq!(all_rows(&b.node, a_center), all_rows(&a.node, a_center));
    b.node.block(&a_center).unwrap();
    assert!(
        verify_while_busy()
            .iter()
            .all(|v| matches!(v, Err(NodeError::NotAccepted(_)))),
        "blocked"
    );
}

#[test]
fn a_trusted_center_vouches_for_others_up_to_the_vouch_depth() {
    let a = TestNode::malang();
    let b = TestNode::lumajang();
    let c = TestNode::batu();
    let d = TestNode::ponorogo();
    let [a_center, b_center, c_center, d_center] = [&a, &b, &c, &d].map(|t| t.node.center_id());
    a.add("Keripik Tempe Sanan", "makanan", 15_000);
    b.add("Pisang Agung Lumajang", "pertanian", 25_000);
    d.add("Reog Ponorogo Mini", "kerajinan", 150_000);
    // A vouches for B, B vouches for D; C trusts only A.
    a.node.trust(&b_center).unwrap();
    b.node.trust(&d_center).unwrap();
    assert_eq!(own_vouches(&a), BTreeSet::from([b_center]));
    assert_eq!(own_vouches(&b), BTreeSet::from([d_center]));
    c.node.trust(&a_center).unwrap();
    assert_eq!(own_vouches(&c), BTreeSet::from([a_center]));
    assert!(c.node.accepts(&a_center));
    assert!(!c.node.accepts(&b_center));

    // Until C holds A's vouch, B's changes are refused.
    assert_all_not_accepted(&send_catalog(&b, &c), b_center, "before A's vouch");
    assert!(c.node.changes_of(&b.doc_id()).unwrap().is_empty());

    assert_all_applied(&send_catalog(&a, &c), "A's catalog");
    assert!(c.node.accepts(&b_center));
    assert_eq!(
        c.node.trust_state(),
        (
            vec![(a_center, TrustState::Trusted)],
            vec![(c_center, 0), (a_center, 1), (b_center, 2)]
        )
    );
    assert_all_applied(&send_catalog(&b, &c), "B's catalog");
    assert_caught_up(&c, &b, b_center);
    let pisang = c.node.search(&raw_search("pisang")).unwrap();
    assert_eq!(pisang.total, 1);
    assert_eq!(pisang.items[0].center_id, b_center);

    // D is vouched for only by B: depth 3, beyond the default depth of 2.
    assert_eq!(VOUCH_DEPTH_DEFAULT, 2);
    assert!(!c.node.accepts(&d_center));
    assert_all_not_accepted(&send_catalog(&d, &c), d_center, "depth 3");
    assert!(c.node.changes_of(&d.doc_id()).unwrap().is_empty());
    assert!(!have_docs(&c.node).contains(&doc_key(d_center)));
    assert_eq!(c.node.search(&raw_search("reog")).unwrap().total, 0);

    c.node.set_vouch_depth(3).unwrap();
    assert!(c.node.accepts(&d_center));
    assert_eq!(
        c.node.trust_state().1,
        vec![(c_center, 0), (a_center, 1), (b_center, 2), (d_center, 3)]
    );
    assert_all_applied(&send_catalog(&d, &c), "depth 3 allowed");
    assert_eq!(c.node.search(&raw_search("reog")).unwrap().total, 1);

    // Depth 1: only the directly trusted A; B's and D's catalogs are forgotten.
    c.node.set_vouch_depth(1).unwrap();
    assert!(c.node.accepts(&a_center));
    for (t, center) in [(&b, b_center), (&d, d_center)] {
        assert!(!c.node.accepts(&center));
        assert!(c.node.changes_of(&t.doc_id()).unwrap().is_empty());
        assert!(c.node.heads_of(&center).is_empty());
        assert!(all_rows(&c.node, center).is_empty());
        assert_all_not_accepted(&send_catalog(t, &c), center, "depth 1");
    }
    assert_eq!(c.node.search(&raw_search("pisang")).unwrap().total, 0);
    assert_eq!(c.node.search(&raw_search("reog")).unwrap().total, 0);
    assert_eq!(
        have_docs(&c.node),
        BTreeSet::from([doc_key(c_center), doc_key(a_center)])
    );
    // A's catalog is kept.
    assert_eq!(all_rows(&c.node, a_center), all_rows(&a.node, a_center));
    assert_eq!(c.node.search(&raw_search("keripik")).unwrap().total, 1);

    // Back at depth 2, B is accepted again but must be received anew.
    c.node.set_vouch_depth(2).unwrap();
    assert!(c.node.accepts(&b_center));
    assert!(!c.node.accepts(&d_center));
    assert_eq!(c.node.have().get(&doc_key(b_center)), Some(&0));
    assert_all_applied(&send_catalog(&b, &c), "B again");
    assert_eq!(all_rows(&c.node, b_center), all_rows(&b.node, b_center));

    // What C accepts is decided again on restart from what it stored.
    let reopened = c.reopen(11);
    assert!(reopened.accepts(&b_center));
    assert!(!reopened.accepts(&d_center));
    assert_eq!(reopened.have(), c.node.have());
}

#[test]
fn blocking_a_center_forgets_its_catalog_whoever_trusts_or_vouches_for_it() {
    let a = TestNode::malang();
    let b = TestNode::lumajang();
    let c = TestNode::batu();
    let d = TestNode::ponorogo();
    let [a_center, b_center, c_center] = [&a, &b, &c].map(|t| t.node.center_id());
    b.add("Pisang Agung Lumajang", "pertanian", 25_000);
    a.node.trust(&b_center).unwrap();
    c.node.trust(&a_center).unwrap();
    assert_all_applied(&send_catalog(&a, &c), "A's catalog");
    assert_all_applied(&send_catalog(&b, &c), "B's catalog");
    // C also trusts B directly, and D accepts B on C's word.
    c.node.trust(&b_center).unwrap();
    assert_eq!(own_vouches(&c), BTreeSet::from([a_center, b_center]));
    d.node.trust(&c_center).unwrap();
    assert_all_applied(&send_catalog(&c, &d), "C's catalog");
    assert!(d.node.accepts(&b_center));
    assert_eq!(c.node.search(&raw_search("pisang")).unwrap().total, 1);

    // Two more changes of B; only the last reaches C, and waits for the other.
    for title in ["Kopi Lumajang", "Salak Pondoh"] {
        b.add(title, "pertanian", 30_000);
    }
    let b_changes = b.node.changes_of(&b.doc_id()).unwrap();
    let (b_last, b_earlier) = b_changes.split_last().unwrap();
    assert_eq!(
        c.node.ingest(&b.doc_id(), b_last).unwrap(),
        Ingested::Pending
    );

    c.node.block(&b_center).unwrap();
    assert!(!c.node.accepts(&b_center));
    assert_eq!(c.node.search(&raw_search("pisang")).unwrap().total, 0);
    assert!(all_rows(&c.node, b_center).is_empty());
    assert!(c.node.changes_of(&b.doc_id()).unwrap().is_empty());
    assert!(c.node.heads_of(&b_center).is_empty());
    assert!(!have_docs(&c.node).contains(&doc_key(b_center)));
    assert_all_not_accepted(&c.node.receive(&b_changes).unwrap(), b_center, "blocked");
    assert!(c.node.changes_of(&b.doc_id()).unwrap().is_empty());
    let mut decisions = vec![
        (a_center, TrustState::Trusted),
        (b_center, TrustState::Blocked),
    ];
    decisions.sort();
    assert_eq!(
        c.node.trust_state(),
        (decisions, vec![(c_center, 0), (a_center, 1)])
    );
    // A's catalog is untouched.
    assert_eq!(c.node.heads_of(&a_center), a.node.heads_of(&a_center));
    // C withdrew its vouch: D, which accepted B only on C's word, no longer does.
    assert_eq!(own_vouches(&c), BTreeSet::from([a_center]));
    let outcomes = send_catalog(&c, &d);
    assert!(
        matches!(outcomes.last(), Some(Ok(Ingested::Applied))),
        "{outcomes:?}"
    );
    assert!(!d.node.accepts(&b_center));
    assert!(d.node.accepts(&a_center));
    // The block survives a restart.
    let reopened = c.reopen(12);
    assert!(!reopened.accepts(&b_center));
    drop(reopened);

    // Unblocked, B is accepted again on A's word; its catalog must come anew.
    c.node.unblock(&b_center).unwrap();
    assert!(c.node.accepts(&b_center));
    assert_eq!(c.node.have().get(&doc_key(b_center)), Some(&0));
    assert!(matches!(
        c.node.unblock(&b_center),
        Err(NodeError::Invalid(e)) if e.code == "not_blocked"
    ));
    c.node.trust(&b_center).unwrap();
    assert!(c.node.trust_state().1.contains(&(b_center, 1)));
    assert_eq!(own_vouches(&c), BTreeSet::from([a_center, b_center]));
    // The change that waited before the block was dropped with the catalog.
    assert_all_applied(&c.node.receive(b_earlier).unwrap(), "B again");
    assert_eq!(c.node.changes_of(&b.doc_id()).unwrap(), b_earlier);
    assert_eq!(
        c.node.ingest(&b.doc_id(), b_last).unwrap(),
        Ingested::Applied
    );
    assert_caught_up(&c, &b, b_center);
    assert_eq!(c.node.search(&raw_search("pisang")).unwrap().total, 1);
    assert_eq!(
        c.node.have().get(&doc_key(b_center)),
        Some(&u64::try_from(b_changes.len()).unwrap())
    );

    // A center cannot trust or block itself.
    for result in [c.node.trust(&c_center), c.node.block(&c_center)] {
        assert!(
            matches!(&result, Err(NodeError::Invalid(e)) if e.code == "own_center"),
            "{result:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Forks, batches, and what a node offers its peers

#[test]
fn a_different_change_with_a_seq_already_held_is_a_conflict_and_stores_nothing() {
    let a = TestNode::malang();
    // The same identity in another folder: the same center, another history.
    let forger = TestNode::malang();
    let a_center = a.node.center_id();
    assert_eq!(forger.node.center_id(), a_center);
    a.add("Keripik Tempe Sanan", "makanan", 15_000);
    forger.add("Topeng Malangan Palsu", "kerajinan", 1_000);
    let a_changes = a.node.changes_of(&a.doc_id()).unwrap();
    let forged = forger.node.changes_of(&a.doc_id()).unwrap();
    // Same key, clock and profile: the same genesis; the second changes differ.
    assert_eq!(forged[0], a_changes[0]);
    assert_ne!(forged[1], a_changes[1]);

    let b = TestNode::lumajang();
    b.node.trust(&a_center).unwrap();
    assert_all_applied(&send_catalog(&a, &b), "A's catalog");
    let centers = [a_center, b.node.center_id()];
    let before = observe(&b, &centers);

    assert_eq!(
        b.node.ingest(&a.doc_id(), &forged[0]).unwrap(),
        Ingested::Duplicate
    );
    let result = b.node.ingest(&a.doc_id(), &forged[1]);
    assert!(matches!(result, Err(NodeError::Conflict(_))), "{result:?}");
    assert_eq!(reject_code(&result.unwrap_err()), "conflicting_change");
    let outcomes = b.node.receive(&forged).unwrap();
    assert!(
        matches!(
            outcomes.as_slice(),
            [Ok(Ingested::Duplicate), Err(NodeError::Conflict(_))]
        ),
        "{outcomes:?}"
    );
    assert_eq!(observe(&b, &centers), before);
    assert_eq!(b.node.changes_of(&a.doc_id()).unwrap(), a_changes);
    assert_eq!(b.node.search(&raw_search("topeng")).unwrap().total, 0);

    // A fork from the genesis on: another profile makes another first change.
    let other = TestNode::create(MALANG_SEED, "Telecenter Palsu", "Kota Malang");
    let other_genesis = &other.node.changes_of(&a.doc_id()).unwrap()[0];
    assert_ne!(other_genesis, &a_changes[0]);
    let result = b.node.ingest(&a.doc_id(), other_genesis);
    assert!(matches!(result, Err(NodeError::Conflict(_))), "{result:?}");
    assert_eq!(observe(&b, &centers), before);
    // A's name in B's index is still the one of A's genuine genesis.
    assert_eq!(
        all_rows(&b.node, a_center)[0].center_name,
        "Telecenter Kota Malang"
    );

    // The genuine history goes on as before.
    a.add("Sari Apel Malang", "minuman", 20_000);
    let next = a.node.changes_of(&a.doc_id()).unwrap().pop().unwrap();
    ingest_each(&b, &a, &[next], Ingested::Applied);
    assert_eq!(b.node.heads_of(&a_center), a.node.heads_of(&a_center));
}

/// Regression test: `Node::receive` applies a change whose seq is the next one
/// without checking that its predecessor is the change held. A forked change
/// built on another seq-N change is then "applied": Automerge only queues it
/// (its dependency is missing), but its envelope is stored and reported
/// `Applied`, so the store holds a change the document does not, and the
/// genuine change with that seq can no longer be stored.
#[test]
fn a_forked_change_with_the_next_seq_is_a_conflict_and_stores_nothing() {
    let a = TestNode::malang();
    let forger = TestNode::malang();
    let a_center = a.node.center_id();
    a.add("Keripik Tempe Sanan", "makanan", 15_000);
    for title in ["Topeng Malangan Palsu", "Batik Palsu"] {
        forger.add(title, "kerajinan", 1_000);
    }
    let a_changes = a.node.changes_of(&a.doc_id()).unwrap();
    let forged = forger.node.changes_of(&a.doc_id()).unwrap();
    assert_eq!(a_changes.len(), 2);
    assert_eq!(forged.len(), 3);

    let b = TestNode::lumajang();
    b.node.trust(&a_center).unwrap();
    assert_all_applied(&send_catalog(&a, &b), "A's catalog");
    let centers = [a_center, b.node.center_id()];
    let before = observe(&b, &centers);
    // The forger's third change follows its own second one, not A's.
    let result = b.node.ingest(&a.doc_id(), &forged[2]);
    assert!(matches!(result, Err(NodeError::Conflict(_))), "{result:?}");
    assert_eq!(observe(&b, &centers), before);

    a.add("Sari Apel Malang", "minuman", 20_000);
    let next = a.node.changes_of(&a.doc_id()).unwrap().pop().unwrap();
    ingest_each(&b, &a, &[next], Ingested::Applied);
    assert_caught_up(&b, &a, a_center);
}

#[test]
fn a_change_of_the_own_catalog_made_elsewhere_is_refused() {
    let b = TestNode::lumajang();
    b.add("Pisang Agung Lumajang", "pertanian", 25_000);
    let b_center = b.node.center_id();
    // Another node with B's key: same genesis, then a change B never made.
    let twin = TestNode::lumajang();
    twin.add("Batik Tulis Lumajang", "fesyen", 200_000);
    let other = TestNode::create(LUMAJANG_SEED, "Telecenter Palsu", "Kabupaten Lumajang");
    let centers = [b_center];
    let before = observe(&b, &centers);
    let own_changes = b.node.changes_of(&b.doc_id()).unwrap();

    let twin_changes = twin.node.changes_of(&b.doc_id()).unwrap();
    assert_eq!(
        b.node.ingest(&b.doc_id(), &twin_changes[0]).unwrap(),
        Ingested::Duplicate
    );
    let other_genesis = &other.node.changes_of(&b.doc_id()).unwrap()[0];
    for (envelope, what) in [
        (&twin_changes[1], "twin's listing"),
        (other_genesis, "other genesis"),
    ] {
        let result = b.node.ingest(&b.doc_id(), envelope);
        assert!(
            matches!(result, Err(NodeError::Conflict(_))),
            "{what}: {result:?}"
        );
    }
    // A change of B's catalog with the next seq, which B has not made (yet).
    twin.add("Kopi Lumajang", "pertanian", 40_000);
    let twin_next = twin.node.changes_of(&b.doc_id()).unwrap().pop().unwrap();
    let result = b.node.ingest(&b.doc_id(), &twin_next);
    assert!(matches!(result, Err(NodeError::Conflict(_))), "{result:?}");
    assert_eq!(observe(&b, &centers), before);
    assert_eq!(b.node.search(&raw_search("batik")).unwrap().total, 0);
    assert_eq!(b.node.profile().unwrap().name, "Telecenter Lumajang");

    // B's own changes sent back to it are duplicates.
    let outcomes = b.node.receive(&own_changes).unwrap();
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Ok(Ingested::Duplicate))),
        "{outcomes:?}"
    );
    assert_eq!(observe(&b, &centers), before);
    // And B goes on editing its catalog as before.
    b.add("Salak Pondoh", "pertanian", 15_000);
    assert_eq!(
        b.node.changes_of(&b.doc_id()).unwrap().len(),
        own_changes.len() + 1
    );
}

#[test]
fn receive_answers_each_change_of_a_batch_in_order_and_stores_the_valid_ones() {
    let a = TestNode::malang();
    let b = TestNode::lumajang();
    let c = TestNode::batu();
    let a_center = a.node.center_id();
    for (title, category) in [
        ("Keripik Tempe Sanan", "makanan"),
        ("Sari Apel Malang", "minuman"),
        ("Topeng Malangan Kayu", "kerajinan"),
    ] {
        a.add(title, category, 20_000);
    }
    let a_changes = a.node.changes_of(&a.doc_id()).unwrap();
    assert_eq!(a_changes.len(), 4);
    b.node.trust(&a_center).unwrap();
    assert_eq!(
        b.node.ingest(&a.doc_id(), &a_changes[0]).unwrap(),
        Ingested::Applied
    );
    let count = change_count(&b.db_path());
    assert!(b.node.receive(&[]).unwrap().is_empty());
    assert_eq!(change_count(&b.db_path()), count);

    let mut tampered = a_changes[1].clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0xff;
    let untrusted = c.node.changes_of(&c.doc_id()).unwrap().remove(0);
    let batch = vec![
        a_changes[0].clone(), // held already
        a_changes[2].clone(), // before its predecessor
        tampered,
        a_changes[1].clone(), // the predecessor: both apply
        a_changes[3].clone(),
        a_changes[3].clone(), // twice in one batch
        a_changes[2].clone(), // applied earlier in this batch
        untrusted,
        b"not a change".to_vec(),
    ];
    let outcomes = b.node.receive(&batch).unwrap();
    assert_eq!(outcomes.len(), batch.len());
    let c_center = c.node.center_id();
    assert!(
        matches!(
            outcomes.as_slice(),
            [
                Ok(Ingested::Duplicate),
                Ok(Ingested::Pending),
                Err(NodeError::Rejected(VerifyError::BadSignature { .. })),
                Ok(Ingested::Applied),
                Ok(Ingested::Applied),
                Ok(Ingested::Duplicate),
                Ok(Ingested::Duplicate),
                Err(NodeError::NotAccepted(refused)),
                Err(NodeError::Rejected(_)),
            ] if *refused == c_center
        ),
        "{outcomes:?}"
    );
    assert_eq!(b.node.changes_of(&a.doc_id()).unwrap(), a_changes);
    assert_eq!(change_count(&b.db_path()), count + 3);
    assert_caught_up(&b, &a, a_center);
    assert!(b.node.changes_of(&c.doc_id()).unwrap().is_empty());
    // Durable: a restart finds every change of the batch.
    let reopened = b.reopen(13);
    assert_eq!(all_rows(&reopened, a_center), all_rows(&a.node, a_center));
    assert_eq!(reopened.heads_of(&a_center), a.node.heads_of(&a_center));
}

fn decode_changes(changes: &Changes) -> Vec<Vec<u8>> {
    changes
        .changes
        .iter()
        .map(|c| base64::engine::general_purpose::STANDARD.decode(c).unwrap())
        .collect()
}

#[test]
fn have_and_fetch_cover_own_and_accepted_catalogs_only() {
    let a = TestNode::malang();
    let b = TestNode::lumajang();
    let c = TestNode::batu();
    let d = TestNode::ponorogo();
    let [a_center, b_center, c_center, d_center] = [&a, &b, &c, &d].map(|t| t.node.center_id());
    for title in ["Keripik Tempe Sanan", "Sari Apel Malang"] {
        a.add(title, "makanan", 20_000);
    }
    c.add("Apel Batu", "pertanian", 20_000);
    b.node.trust(&a_center).unwrap();
    b.node.trust(&d_center).unwrap();
    assert_all_applied(&send_catalog(&a, &b), "A's catalog");
    assert_all_not_accepted(&send_catalog(&c, &b), c_center, "C's catalog");
    let a_changes = a.node.changes_of(&a.doc_id()).unwrap();
    let b_changes = b.node.changes_of(&b.doc_id()).unwrap();
    // B's own catalog: genesis and two vouches.
    assert_eq!(b_changes.len(), 3);

    // Own and accepted catalogs, with 0 for D whose catalog has not come yet.
    assert_eq!(
        b.node.have(),
        BTreeMap::from([
            (doc_key(a_center), 3),
            (doc_key(b_center), 3),
            (doc_key(d_center), 0),
        ])
    );

    let want = BTreeMap::from([
        (doc_key(a_center), 1),
        (doc_key(b_center), 0),
        (doc_key(c_center), 0),
        (doc_key(d_center), 0),
        (doc_key(center(MALLORY_SEED)), 0),
        ("not a document".to_owned(), 0),
    ]);
    let fetched = b.node.fetch(&want).unwrap();
    assert!(!fetched.more);
    let envelopes = decode_changes(&fetched);
    let of = |doc: DocId| -> Vec<Vec<u8>> {
        envelopes
            .iter()
            .filter(|e| SignedChange::from_bytes(e).unwrap().doc == doc)
            .cloned()
            .collect()
    };
    assert_eq!(of(a.doc_id()), a_changes[1..]);
    assert_eq!(of(b.doc_id()), b_changes);
    assert_eq!(envelopes.len(), a_changes.len() - 1 + b_changes.len());

    // Nothing after the last seq, nothing of unaccepted or unknown documents.
    let nothing = b
        .node
        .fetch(&BTreeMap::from([
            (doc_key(a_center), 3),
            (doc_key(c_center), 0),
            ("tc1-not-a-center".to_owned(), 0),
        ]))
        .unwrap();
    assert!(nothing.changes.is_empty(), "{nothing:?}");
    assert!(!nothing.more);

    // What B fetched is exactly what another node needs to catch up.
    let e = TestNode::create(SUMENEP_SEED, "Telecenter Sumenep", "Kabupaten Sumenep");
    e.node.trust(&a_center).unwrap();
    let all_of_a = b
        .node
        .fetch(&BTreeMap::from([(doc_key(a_center), 0)]))
        .unwrap();
    assert_all_applied(
        &e.node.receive(&decode_changes(&all_of_a)).unwrap(),
        "fetched",
    );
    assert_eq!(e.node.heads_of(&a_center), a.node.heads_of(&a_center));
}

// ---------------------------------------------------------------------------
// Peer request authentication

#[test]
fn peer_requests_are_checked_for_peer_audience_body_replay_block_and_time() {
    let a = TestNode::malang();
    let b = TestNode::lumajang();
    let c_center = center(BATU_SEED);
    let [a_center, b_center] = [&a, &b].map(|t| t.node.center_id());
    let path = "/api/v1/sync/push";
    let body = br#"{"changes":[]}"#.as_slice();

    let header = a.node.sign_request(&b_center, "POST", path, body).unwrap();
    let result = b.node.check_request(&header, "POST", path, body);
    assert!(
        matches!(result, Err(PeerAuthError::NotAPeer(from)) if from == a_center),
        "{result:?}"
    );
    b.node
        .add_peer(&a_center, "Telecenter Kota Malang", None)
        .unwrap();
    assert!(
        b.node
            .peers()
            .unwrap()
            .iter()
            .any(|p| p.center_id == a_center)
    );
    // Adding a peer trusts it.
    assert!(b.node.accepts(&a_center));
    assert_eq!(
        b.node.check_request(&header, "POST", path, body).unwrap(),
        a_center
    );
    let result = b.node.check_request(&header, "POST", path, body);
    assert!(matches!(result, Err(PeerAuthError::Replayed)), "{result:?}");

    // Another body, method or path than the one signed.
    let header = a.node.sign_request(&b_center, "POST", path, body).unwrap();
    for (method, path, body) in [
        ("POST", path, b"{}".as_slice()),
        ("GET", path, body),
        ("POST", "/api/v1/sync/fetch", body),
    ] {
        let result = b.node.check_request(&header, method, path, body);
        assert!(
            matches!(result, Err(PeerAuthError::Hop(HopError::BadSignature { from })) if from == a_center),
            "{method} {path}: {result:?}"
        );
    }
    // Failed checks do not use up the nonce.
    assert_eq!(
        b.node.check_request(&header, "POST", path, body).unwrap(),
        a_center
    );

    // Addressed to another center.
    let to_c = a.node.sign_request(&c_center, "POST", path, body).unwrap();
    let result = b.node.check_request(&to_c, "POST", path, body);
    assert!(
        matches!(result, Err(PeerAuthError::Hop(HopError::WrongAudience { expected, found }))
            if expected == b_center && found == c_center),
        "{result:?}"
    );
    let result = b.node.check_request("Bearer secret", "POST", path, body);
    assert!(
        matches!(result, Err(PeerAuthError::Hop(HopError::Malformed(_)))),
        "{result:?}"
    );

    // Outside the time window, even a request never seen before is refused.
    let stale = a.node.sign_request(&b_center, "POST", path, body).unwrap();
    b.clock.advance(HOP_WINDOW_MS + 1);
    let result = b.node.check_request(&stale, "POST", path, body);
    assert!(
        matches!(result, Err(PeerAuthError::Hop(HopError::OutsideWindow { skew_ms })) if skew_ms == -(HOP_WINDOW_MS + 1)),
        "{result:?}"
    );
    a.clock.advance(HOP_WINDOW_MS + 1);
    let fresh = a.node.sign_request(&b_center, "POST", path, body).unwrap();
    assert_eq!(
        b.node.check_request(&fresh, "POST", path, body).unwrap(),
        a_center
    );

    // Blocked: refused although still a configured peer.
    b.node.block(&a_center).unwrap();
    let header = a.node.sign_request(&b_center, "POST", path, body).unwrap();
    let result = b.node.check_request(&header, "POST", path, body);
    assert!(
        matches!(result, Err(PeerAuthError::Blocked(from)) if from == a_center),
        "{result:?}"
    );

    // Removed: no longer a peer.
    b.node.unblock(&a_center).unwrap();
    b.node.remove_peer(&a_center).unwrap();
    let result = b.node.check_request(&header, "POST", path, body);
    assert!(
        matches!(result, Err(PeerAuthError::NotAPeer(from)) if from == a_center),
        "{result:?}"
    );
    assert!(matches!(
        b.node.remove_peer(&a_center),
        Err(NodeError::Invalid(e)) if e.code == "not_a_peer"
    ));
}

// ---------------------------------------------------------------------------
// Validation

#[test]
fn invalid_input_is_refused_with_its_field_and_changes_nothing() {
    let t = TestNode::malang();
    let id = t.add("Keripik Tempe Sanan", "makanan", 15_000);
    let center = t.node.center_id();
    let rows = all_rows(&t.node, center);
    let count = change_count(&t.db_path());
    let total = default_total(&t.node);
    let heads = t.node.heads_of(&center);

    let good = new_listing("Kripik Pisang", "makanan", 18_000);
    let cases: Vec<(NewListing, &str, &str)> = vec![
        (
            NewListing {
                title: "k".repeat(TITLE_CHARS_MAX + 1),
                ..good.clone()
            },
            "title",
            "too_long",
        ),
        (
            NewListing {
                title: "   ".to_owned(),
                ..good.clone()
            },
            "title",
            "empty",
        ),
        (
            NewListing {
                title: String::new(),
                ..good.clone()
            },
            "title",
            "empty",
        ),
        (
            NewListing {
                price_idr: -1,
                ..good.clone()
            },
            "price_idr",
            "negative",
        ),
        (
            NewListing {
                price_idr: PRICE_IDR_MAX + 1,
                ..good.clone()
            },
            "price_idr",
            "too_large",
        ),
        (
            NewListing {
                category: "senjata".to_owned(),
                ..good.clone()
            },
            "category",
            "unknown",
        ),
        (
            NewListing {
                stock: -5,
                ..good.clone()
            },
            "stock",
            "negative",
        ),
        (
            NewListing {
                lang: Some("en".to_owned()),
                ..good.clone()
            },
            "lang",
            "indonesian_required",
        ),
    ];
    for (input, field, code) in cases {
        match t.node.add_listing(&input) {
            Err(NodeError::Invalid(e)) => {
                assert_eq!((e.field, e.code), (field, code), "{}", e.message);
            }
            other => panic!("expected {field} to be refused, found {other:?}"),
        }
    }
    let patches: Vec<(ListingPatch, &str)> = vec![
        (
            ListingPatch {
                title: Some("x".repeat(TITLE_CHARS_MAX + 1)),
                ..ListingPatch::default()
            },
            "title",
        ),
        (
            ListingPatch {
                title: Some(String::new()),
                ..ListingPatch::default()
            },
            "title",
        ),
        (
            ListingPatch {
                price_idr: Some(-15_000),
                ..ListingPatch::default()
            },
            "price_idr",
        ),
        (
            ListingPatch {
                price_idr: Some(PRICE_IDR_MAX + 1),
                ..ListingPatch::default()
            },
            "price_idr",
        ),
        (
            ListingPatch {
                category: Some("narkoba".to_owned()),
                ..ListingPatch::default()
            },
            "category",
        ),
        (
            ListingPatch {
                status: Some("sold".to_owned()),
                ..ListingPatch::default()
            },
            "status",
        ),
    ];
    for (patch, field) in patches {
        match t.node.update_listing(&id, &patch) {
            Err(NodeError::Invalid(e)) => assert_eq!(e.field, field, "{}", e.message),
            other => panic!("expected {field} to be refused, found {other:?}"),
        }
    }
    match t.node.set_profile(&ProfileInput {
        name: Some(String::new()),
        ..ProfileInput::default()
    }) {
        Err(NodeError::Invalid(e)) => assert_eq!(e.field, "name"),
        other => panic!("expected the empty name to be refused, found {other:?}"),
    }

    assert_eq!(default_total(&t.node), total);
    assert_eq!(all_rows(&t.node, center), rows);
    assert_eq!(change_count(&t.db_path()), count);
    assert_eq!(t.node.heads_of(&center), heads);
    assert_eq!(t.node.profile().unwrap().name, "Telecenter Kota Malang");

    let at_limit = t
        .node
        .add_listing(&NewListing {
            title: "k".repeat(TITLE_CHARS_MAX),
            price_idr: PRICE_IDR_MAX,
            ..good
        })
        .unwrap();
    assert_eq!(at_limit.listing.title.id.chars().count(), TITLE_CHARS_MAX);
    assert_eq!(at_limit.listing.price_idr, PRICE_IDR_MAX);
    assert_eq!(default_total(&t.node), total + 1);
}

#[test]
fn creating_a_center_without_name_or_region_is_refused() {
    let dir = TempDir::new().unwrap();
    for (input, field) in [
        (
            ProfileInput {
                region: Some("Kota Malang".to_owned()),
                ..ProfileInput::default()
            },
            "name",
        ),
        (
            ProfileInput {
                name: Some("Telecenter Kota Malang".to_owned()),
                region: Some("  ".to_owned()),
                ..ProfileInput::default()
            },
            "region",
        ),
    ] {
        let result = Node::create(
            &dir.path().join("node.db"),
            identity(MALANG_SEED),
            &input,
            Arc::new(ManualClock::new(T0)),
            rng(MALANG_SEED),
        );
        match result {
            Err(NodeError::Invalid(e)) => assert_eq!(e.field, field),
            other => panic!("expected {field} to be refused, found {other:?}"),
        }
    }
    assert!(!dir.path().join("node.db").exists());
}

#[test]
fn opening_a_database_of_another_center_is_refused() {
    let t = TestNode::malang();
    let result = Node::open(
        &t.db_path(),
        identity(LUMAJANG_SEED),
        t.clock.clone(),
        rng(LUMAJANG_SEED),
    );
    assert!(
        matches!(result, Err(NodeError::Store(StoreError::Corrupt(_)))),
        "{result:?}"
    );
}

// ---------------------------------------------------------------------------
// Search over the sample catalog

fn sample_node() -> TestNode {
    let t = TestNode::malang();
    assert_eq!(add_sample_listings(&t.node).unwrap(), 20);
    t
}

fn search_titles(node: &Node, text: &str) -> Vec<String> {
    titles(&node.search(&raw_search(text)).unwrap())
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn has(titles: &[String], title: &str) -> bool {
    titles.iter().any(|t| t == title)
}

#[test]
fn indonesian_text_search_handles_prefixes_variants_case_accents_and_old_spelling() {
    let t = sample_node();
    let node = &t.node;

    let kerip = search_titles(node, "kerip");
    for title in [
        "Keripik Tempe Sanan Original",
        "Keripik Tempe Sanan Pedas",
        "Keripik Apel Malang",
        "Kripik Pisang Agung Manis",
    ] {
        assert!(has(&kerip, title), "'kerip' should find {title}: {kerip:?}");
    }
    assert_eq!(kerip.len(), 4, "{kerip:?}");

    for query in ["KRIPIK", "kripik", "Keripik", "kéripik", "KERIPIK tempe"] {
        let found = search_titles(node, query);
        assert!(
            has(&found, "Keripik Tempe Sanan Original"),
            "'{query}' should find keripik tempe: {found:?}"
        );
    }
    assert!(has(
        &search_titles(node, "keripik"),
        "Kripik Pisang Agung Manis"
    ));

    for query in ["kópi", "KOPI", "kopî dampit", "robusta"] {
        let found = search_titles(node, query);
        assert!(
            has(&found, "Kopi Robusta Dampit Bubuk"),
            "'{query}' should find the coffee: {found:?}"
        );
    }

    for query in ["djamoe", "djamu", "Djamoe kunyit", "jamu"] {
        let found = search_titles(node, query);
        assert!(
            has(&found, "Jamu Kunyit Asam"),
            "'{query}' should find jamu: {found:?}"
        );
        if !query.contains("kunyit") {
            assert!(has(&found, "Jamu Beras Kencur"), "{query}: {found:?}");
        }
    }
    // Old spelling in the catalog is found by the modern spelling, too.
    let old = node
        .add_listing(&new_listing("Djamoe Tjap Djago", "jamu-kesehatan", 12_000))
        .unwrap()
        .listing
        .id;
    for query in ["jamu cap", "djamoe tjap", "jago"] {
        assert!(
            ids(&node.search(&raw_search(query)).unwrap()).contains(&old),
            "'{query}' should find the old spelling"
        );
    }
    // English titles are searchable; any word matches, listings with every
    // word first (issue 12: a buyer never gets an empty page when a word matches).
    assert!(has(
        &search_titles(node, "coffee"),
        "Kopi Robusta Dampit Bubuk"
    ));
    let either = search_titles(node, "kopi batik");
    assert!(has(&either, "Kopi Robusta Dampit Bubuk"), "{either:?}");
    assert!(has(&either, "Kemeja Batik Cap Malangan"), "{either:?}");
    assert_eq!(
        search_titles(node, "keripik apel")[0],
        "Keripik Apel Malang"
    );
    assert!(search_titles(node, "zzzzz").is_empty());
}

/// Regression test: `search::words` once
/// splits the query at U+0301 COMBINING ACUTE ACCENT (not alphanumeric), so
/// "ko\u{301}pi" becomes the two prefixes "ko" AND "pi" and finds nothing. The
/// index itself folds the same text correctly (FTS5 keeps the mark in the token).
#[test]
fn decomposed_accent_in_query_does_not_split_the_word() {
    let t = sample_node();
    let found = search_titles(&t.node, "ko\u{301}pi");
    assert!(has(&found, "Kopi Robusta Dampit Bubuk"), "{found:?}");
}

#[test]
fn filters_sorting_and_paging_over_the_sample_catalog() {
    let t = sample_node();
    let node = &t.node;
    let everything = node
        .search(&SearchQuery {
            limit: 100,
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(everything.total, 20);
    assert_eq!(everything.items.len(), 20);

    // Category.
    let jamu = node
        .search(&SearchQuery {
            category: Some(Category::JamuKesehatan),
            limit: 100,
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(jamu.total, 3);
    assert!(
        jamu.items
            .iter()
            .all(|r| r.listing.category == Category::JamuKesehatan)
    );
    let jamu_raw = RawSearch {
        category: Some("jamu-kesehatan".to_owned()),
        q: Some("jahe".to_owned()),
        ..RawSearch::default()
    }
    .validate()
    .unwrap();
    // The ginger drink first; related herbs of the same category may follow.
    let jahe = node.search(&jamu_raw).unwrap();
    assert_eq!(titles(&jahe)[0], "Wedang Jahe Merah Instan");
    assert!(
        jahe.items
            .iter()
            .all(|r| r.listing.category == Category::JamuKesehatan)
    );

    // Price range, both ends inclusive.
    let range = RawSearch {
        min_price: Some("20.000".to_owned()),
        max_price: Some("Rp 35.000".to_owned()),
        limit: Some("100".to_owned()),
        ..RawSearch::default()
    }
    .validate()
    .unwrap();
    let in_range = node.search(&range).unwrap();
    let expected = everything
        .items
        .iter()
        .filter(|r| (20_000..=35_000).contains(&r.listing.price_idr))
        .count();
    assert_eq!(in_range.total, u64::try_from(expected).unwrap());
    assert_eq!(in_range.items.len(), expected);
    assert!(
        in_range
            .items
            .iter()
            .all(|r| (20_000..=35_000).contains(&r.listing.price_idr))
    );
    let in_range_titles = titles(&in_range);
    assert!(
        in_range_titles.contains(&"Sambel Pecel Khas Malang"),
        "20.000 is included"
    );
    assert!(
        in_range_titles.contains(&"Kopi Robusta Dampit Bubuk"),
        "35.000 is included"
    );
    let exact = SearchQuery {
        min_price_idr: Some(10_000),
        max_price_idr: Some(10_000),
        ..SearchQuery::default()
    };
    assert_eq!(node.search(&exact).unwrap().total, 2);

    // Sorting by price.
    for (sort, ascending) in [(Sort::PriceAsc, true), (Sort::PriceDesc, false)] {
        let sorted = node
            .search(&SearchQuery {
                sort,
                limit: 100,
                ..SearchQuery::default()
            })
            .unwrap();
        let prices: Vec<i64> = sorted.items.iter().map(|r| r.listing.price_idr).collect();
        assert_eq!(prices.len(), 20);
        assert!(
            prices.windows(2).all(|w| if ascending {
                w[0] <= w[1]
            } else {
                w[0] >= w[1]
            }),
            "{sort:?}: {prices:?}"
        );
    }
    let cheap_apples = RawSearch {
        q: Some("apel".to_owned()),
        sort: Some("price_asc".to_owned()),
        ..RawSearch::default()
    }
    .validate()
    .unwrap();
    let prices: Vec<i64> = node
        .search(&cheap_apples)
        .unwrap()
        .items
        .iter()
        .map(|r| r.listing.price_idr)
        .collect();
    assert_eq!(prices, vec![25_000, 28_000, 30_000]);

    // Paging: every listing exactly once, with the same total on every page.
    for (text, sort) in [
        (None, Sort::Relevance),
        (None, Sort::PriceAsc),
        (Some("malang"), Sort::Relevance),
        (Some("apel"), Sort::Newest),
    ] {
        let base = SearchQuery {
            text: text.map(str::to_owned),
            sort,
            limit: 100,
            ..SearchQuery::default()
        };
        let all = node.search(&base).unwrap();
        let mut seen = Vec::new();
        let mut offset = 0;
        loop {
            let page = node
                .search(&SearchQuery {
                    limit: 5,
                    offset,
                    ..base.clone()
                })
                .unwrap();
            assert_eq!(page.total, all.total, "{text:?} {sort:?} offset {offset}");
            if page.items.is_empty() {
                break;
            }
            assert!(page.items.len() <= 5);
            seen.extend(ids(&page));
            offset += 5;
        }
        assert_eq!(seen, ids(&all), "{text:?} {sort:?}");
        assert_eq!(seen.len(), usize::try_from(all.total).unwrap());
        assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), seen.len());
    }
}

#[test]
fn a_word_in_the_title_ranks_above_the_same_word_in_the_description() {
    let t = sample_node();
    let node = &t.node;
    // The title match is the older listing, so recency cannot explain its rank.
    t.clock.advance(1_000);
    let in_title = node
        .add_listing(&NewListing {
            description: "Manis alami dari hutan Sumbawa.".to_owned(),
            ..new_listing("Madu Hutan Sumbawa", "pertanian", 90_000)
        })
        .unwrap()
        .listing
        .id;
    t.clock.advance(1_000);
    let in_description = node
        .add_listing(&NewListing {
            description: "Dodol apel Batu, dimaniskan dengan madu hutan asli.".to_owned(),
            ..new_listing("Dodol Apel Batu", "makanan", 20_000)
        })
        .unwrap()
        .listing
        .id;

    let found = ids(&node.search(&raw_search("madu")).unwrap());
    let position = |id: &ListingId| found.iter().position(|f| f == id).unwrap();
    assert!(
        position(&in_title) < position(&in_description),
        "title match should rank first: {found:?}"
    );
    let sample_madu = node
        .search(&raw_search("madu kelengkeng"))
        .unwrap()
        .items
        .remove(0)
        .listing
        .id;
    assert!(position(&sample_madu) < position(&in_description));
    assert_eq!(found.last(), Some(&in_description));
}

#[test]
fn queries_with_no_words_or_fts_syntax_never_error() {
    let t = sample_node();
    let node = &t.node;
    for text in [
        "?!...", "\"", "*", "---", "()", "'", "^", ":", "  .  ", "\"*()",
    ] {
        let page = node.search(&raw_search(text)).unwrap();
        assert_eq!(page.total, 0, "{text:?}");
        assert!(page.items.is_empty(), "{text:?}");
    }
    for text in [
        "AND OR NOT (",
        "title:x",
        "title:keripik",
        "keripik\"",
        "\"keripik",
        "NEAR(keripik tempe)",
        "keripik OR",
        "keripik*",
        "-keripik",
        "{title}: keripik",
        "keripik AND NOT tempe",
        "'; DROP TABLE listings; --",
        "kopi \u{0}",
        &"kata ".repeat(40),
    ] {
        let result = node.search(&raw_search(text));
        assert!(result.is_ok(), "{text:?}: {result:?}");
    }
    // Operators and column filters are treated as words, not syntax: the
    // listings with "keripik" come first, as for the word alone.
    let keripik = search_titles(node, "keripik");
    assert_eq!(keripik.len(), 4);
    for text in [
        "keripik OR",
        "title:keripik",
        "keripik*",
        "{title}: keripik",
    ] {
        let found = search_titles(node, text);
        assert_eq!(found[..4], keripik[..], "{text}");
    }
    assert_eq!(node.quick_check().unwrap(), "ok");
}

/// Issue 12: the demand counts hold no identity of who searched (only month,
/// word, searches, missed), stay within `DEMAND_WORDS_PER_MONTH_MAX` words a
/// month however many distinct words buyers type, and never keep a phone
/// number.
#[test]
fn demand_counts_hold_no_identity_and_stay_within_their_bound() {
    let t = sample_node();
    let node = &t.node;
    let month = local_month(T0);
    for phone in ["081234567890", "wa 0812345678 keripik", "+62-812-3456-7890"] {
        node.search_public(&raw_search(phone)).unwrap();
    }
    let word = |mut n: usize| {
        let mut letters = String::from("zq");
        loop {
            letters.push(char::from(b'a' + u8::try_from(n % 26).unwrap()));
            n /= 26;
            if n == 0 {
                break letters;
            }
        }
    };
    for n in 0..DEMAND_WORDS_PER_MONTH_MAX + 50 {
        node.search_public(&raw_search(&word(n))).unwrap();
    }
    let rows = node.demand(&month).unwrap();
    assert_eq!(rows.len(), DEMAND_WORDS_PER_MONTH_MAX);
    assert!(rows.iter().any(|r| r.word == "keripik"), "{:?}", &rows[..5]);
    for row in &rows {
        let digits = row.word.chars().filter(char::is_ascii_digit).count();
        assert!(digits <= 4, "a phone number was kept: {row:?}");
        assert!(
            !row.word.chars().all(|c| c.is_ascii_digit()),
            "a number was kept (a phone number typed in groups is kept in pieces): {row:?}"
        );
    }
    // A word already counted is still counted once the month is full.
    node.search_public(&raw_search("keripik")).unwrap();
    let keripik = |rows: &[crate::store::DemandRow]| {
        rows.iter().find(|r| r.word == "keripik").unwrap().searches
    };
    assert_eq!(keripik(&node.demand(&month).unwrap()), 2);
    assert_eq!(
        node.demand(&month).unwrap().len(),
        DEMAND_WORDS_PER_MONTH_MAX
    );

    let conn = rusqlite::Connection::open(t.db_path()).unwrap();
    let mut columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('search_demand')")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    columns.sort();
    assert_eq!(columns, ["missed", "month", "searches", "word"]);
    let stored: i64 = conn
        .query_row("SELECT COUNT(*) FROM search_demand", [], |row| row.get(0))
        .unwrap();
    assert_eq!(stored, i64::try_from(DEMAND_WORDS_PER_MONTH_MAX).unwrap());
}

/// The example word file of the operator guides loads without a skipped line,
/// and a line it cannot read is named with its number.
#[test]
fn the_guides_example_word_file_loads() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join(crate::search::OPERATOR_FILE);
    std::fs::write(
        &path,
        "# lempok: dodol as it is called in Sumatra\n[sinonim]\ndodol, lempok\n",
    )
    .unwrap();
    let (_, warnings) = crate::search::Words::load(&path);
    assert!(warnings.is_empty(), "{warnings:?}");
    std::fs::write(&path, "[sinonim]\ndodol, lempok\nlempok\n").unwrap();
    let (_, warnings) = crate::search::Words::load(&path);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].to_string().starts_with("line 3: "),
        "{}",
        warnings[0]
    );
}

/// Issue 9, finding 10: photo decodes were unbounded, so a burst of uploads
/// decoded (up to 256 MiB each) all at once. Now at most `PHOTO_DECODES_MAX`
/// run at once; another upload meanwhile is refused as busy, stores nothing,
/// and succeeds once a decode has finished.
#[test]
fn photo_decodes_are_bounded() {
    use std::sync::Barrier;
    use telecenter_protocol::limits::PHOTO_DECODES_MAX;
    let t = TestNode::create(MALANG_SEED, "Telecenter Kota Malang", "Kota Malang");
    let png = |width: u32, height: u32| {
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 60])
        });
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    };
    let upload = png(300, 200);

    // Every decode slot busy (as while that many large uploads decode).
    let held: Vec<_> = (0..PHOTO_DECODES_MAX)
        .map(|_| t.node.images().decode_slot().unwrap())
        .collect();
    let error = t.node.store_photo(&upload).unwrap_err();
    assert!(
        matches!(error, NodeError::Image(crate::images::ImageError::Busy)),
        "{error}"
    );
    let name = crate::images::process(&upload).unwrap().photo;
    assert_eq!(t.node.image(&name.thumb).unwrap(), None, "nothing stored");
    drop(held);
    assert_eq!(t.node.store_photo(&upload).unwrap(), name);

    // Many uploads at once: each is stored or refused as busy, never queued.
    let big = png(2_000, 1_500);
    let start = Barrier::new(6);
    let outcomes: Vec<Result<_, NodeError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    t.node.store_photo(&big)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let stored = outcomes.iter().filter(|o| o.is_ok()).count();
    assert!(stored >= 1, "{outcomes:?}");
    for outcome in outcomes {
        if let Err(error) = outcome {
            assert!(
                matches!(error, NodeError::Image(crate::images::ImageError::Busy)),
                "{error}"
            );
        }
    }
}

/// Issue 12: operators extend the search word table with `kata-pencarian.txt`
/// beside the database; it is read when the node opens, its bad lines skipped.
#[test]
fn an_operator_word_table_beside_the_database_extends_search() {
    let t = TestNode::malang();
    let legen = t.add("Legen Siwalan Segar", "minuman", 8_000);
    assert_eq!(t.node.search(&raw_search("kentir")).unwrap().total, 0);
    std::fs::write(
        t.db_path().with_file_name(crate::search::OPERATOR_FILE),
        "# kata setempat\n[sinonim]\nlegen, kentir\nbaris tanpa bagian yang rusak\n[warna]\n",
    )
    .unwrap();
    let reopened = t.reopen(7);
    assert_eq!(
        ids(&reopened.search(&raw_search("kentir")).unwrap()),
        [legen]
    );
}

/// Issue 12, attack: a buyer cannot make the node write on every search:
/// counts of new words wait in memory until `DEMAND_BUFFER_WORDS_MAX` of them
/// (32 searches of 8 new words) or `DEMAND_FLUSH_MS`.
#[test]
fn buyer_searches_are_not_written_on_every_request() {
    let t = TestNode::malang();
    let stored = || -> i64 {
        let conn = rusqlite::Connection::open(t.db_path()).unwrap();
        conn.query_row("SELECT COUNT(*) FROM search_demand", [], |r| r.get(0))
            .unwrap()
    };
    let searches = crate::node::demand::DEMAND_BUFFER_WORDS_MAX / 8;
    for n in 0..searches - 1 {
        let text: Vec<String> = (0..8).map(|w| format!("zq{n}x{w}q")).collect();
        t.node.search_public(&raw_search(&text.join(" "))).unwrap();
    }
    assert_eq!(stored(), 0);
    t.node
        .search_public(&raw_search("zqa zqb zqc zqd zqe zqf zqg zqh"))
        .unwrap();
    assert!(stored() > 0);
}

/// Issue 12, attack: a phone number typed in another script's digits (Arabic,
/// Persian, fullwidth) is not kept in the demand counts. Before: kept as typed.
#[test]
fn phone_numbers_in_other_digits_are_not_counted() {
    let t = TestNode::malang();
    let month = local_month(T0);
    for phone in [
        "٠٨١٢٣٤٥٦٧٨٩٠",
        "۰۸۱۲۳۴۵۶۷۸۹۰ keripik",
        "０８１２３４５６７８９０",
        "wa ٠٨١٢-٣٤٥٦-٧٨٩٠",
    ] {
        t.node.search_public(&raw_search(phone)).unwrap();
    }
    let rows = t.node.demand(&month).unwrap();
    assert!(rows.iter().any(|r| r.word == "keripik"), "{rows:?}");
    for row in &rows {
        assert!(
            row.word.chars().filter(|c| c.is_numeric()).count() <= 4,
            "a phone number was kept: {row:?}"
        );
    }
}
