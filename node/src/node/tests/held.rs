//! Catalogs held without every document in memory (issue 16): more catalogs
//! than [`DOCS_IN_MEMORY_MAX`], changes to a catalog whose document was
//! dropped (duplicates and conflicts found in the store), a restart that loads
//! no other center's document, and a database from before catalog states were
//! kept. Real nodes, real SQLite files.

use super::*;

/// A center with one listing, trusted by `hub`, whose catalog `hub` holds.
fn held_center(hub: &TestNode, seed: u64) -> TestNode {
    let center = TestNode::create(seed, &format!("Telecenter {seed}"), "Jawa Timur");
    center.add(&format!("Keripik Pisang {seed}"), "makanan", 10_000);
    hub.node.trust(&center.node.center_id()).unwrap();
    assert_all_applied(&send_catalog(&center, hub), "a held catalog");
    center
}

fn loaded(t: &TestNode) -> usize {
    lock(&t.node.writer).held.loaded_count()
}

fn is_loaded(t: &TestNode, center: &CenterId) -> bool {
    lock(&t.node.writer).held.loaded(center).is_some()
}

#[test]
fn more_catalogs_than_fit_in_memory_take_changes_answer_peers_and_reopen_unloaded() {
    let hub = TestNode::malang();
    let centers: Vec<TestNode> = (0..DOCS_IN_MEMORY_MAX as u64 + 4)
        .map(|i| held_center(&hub, 100 + i))
        .collect();
    assert_eq!(loaded(&hub), DOCS_IN_MEMORY_MAX);
    let first = &centers[0];
    let first_id = first.node.center_id();
    assert!(
        !is_loaded(&hub, &first_id),
        "the least recently used is dropped"
    );
    for center in &centers {
        assert_caught_up(&hub, center, center.node.center_id());
    }

    // A dropped catalog: what it held is found in the store, what follows is
    // applied to the document loaded again.
    let listing = all_rows(&first.node, first_id)[0].listing.id.clone();
    first.set_price(&listing, 12_500);
    let outcomes = send_catalog(first, &hub);
    assert!(
        matches!(
            outcomes.as_slice(),
            [
                Ok(Ingested::Duplicate),
                Ok(Ingested::Duplicate),
                Ok(Ingested::Applied)
            ]
        ),
        "{outcomes:?}"
    );
    assert_caught_up(&hub, first, first_id);
    assert_eq!(loaded(&hub), DOCS_IN_MEMORY_MAX);

    // A change with a seq held but another history, to a dropped catalog, is
    // a conflict found against the store, and stores nothing.
    let second = &centers[1];
    let second_id = second.node.center_id();
    assert!(!is_loaded(&hub, &second_id));
    let forger = TestNode::create(101, "Telecenter 101", "Jawa Timur");
    forger.add("Topeng Palsu", "kerajinan", 1_000);
    let forged = forger.node.changes_of(&second.doc_id()).unwrap();
    assert_eq!(
        forged[0],
        second.node.changes_of(&second.doc_id()).unwrap()[0]
    );
    let outcomes = hub.node.receive(&forged).unwrap();
    assert!(
        matches!(
            outcomes.as_slice(),
            [Ok(Ingested::Duplicate), Err(NodeError::Conflict(_))]
        ),
        "{outcomes:?}"
    );
    assert_caught_up(&hub, second, second_id);
    assert_eq!(hub.node.search(&raw_search("topeng")).unwrap().total, 0);

    // A restart loads no other center's document, and answers peers, search
    // and changes as before.
    let have = hub.node.have();
    let catalogs = hub.node.catalogs();
    let reopened = hub.restarted(7);
    assert_eq!(loaded(&reopened), 0);
    assert_eq!(reopened.node.have(), have);
    assert_eq!(reopened.node.catalogs(), catalogs);
    for center in &centers {
        assert_caught_up(&reopened, center, center.node.center_id());
    }
    let last = centers.last().unwrap();
    last.add("Sambal Roa", "makanan", 25_000);
    let outcomes = send_catalog(last, &reopened);
    assert!(
        matches!(outcomes.last(), Some(Ok(Ingested::Applied))),
        "{outcomes:?}"
    );
    assert_caught_up(&reopened, last, last.node.center_id());
    assert_eq!(loaded(&reopened), 1);
}

#[test]
fn a_database_from_before_catalog_states_were_kept_computes_them_once() {
    let hub = TestNode::malang();
    let centers: Vec<TestNode> = (0..3).map(|i| held_center(&hub, 300 + i)).collect();
    let have = hub.node.have();
    let conn = rusqlite::Connection::open(hub.db_path()).unwrap();
    // As a database migrated from before, and one whose state is unreadable.
    conn.execute("UPDATE documents SET state = NULL", [])
        .unwrap();
    conn.execute(
        "UPDATE documents SET state = '{' WHERE doc_id = ?1",
        [DocId::catalog(centers[0].node.center_id()).to_string()],
    )
    .unwrap();
    let reopened = hub.reopen(8);
    assert_eq!(reopened.have(), have);
    for center in &centers {
        let id = center.node.center_id();
        assert_eq!(reopened.heads_of(&id), center.node.heads_of(&id));
    }
    let unwritten: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM documents WHERE state IS NULL OR state = '{'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    // Every other center's state is written again; this center's own is never kept.
    assert_eq!(unwritten, 1);
    let own_state_kept: bool = conn
        .query_row(
            "SELECT state IS NOT NULL FROM documents WHERE doc_id = ?1",
            [hub.doc_id().to_string()],
            |row| row.get(0),
        )
        .unwrap();
    assert!(!own_state_kept);
}

#[test]
fn a_held_catalog_that_no_longer_loads_when_a_change_arrives_is_forgotten_and_taken_again() {
    let hub = TestNode::malang();
    let a = held_center(&hub, 400);
    let a_id = a.node.center_id();
    // The stored history no longer verifies (a damaged disk, or a change
    // stored by an older version that would now be refused).
    let conn = rusqlite::Connection::open(hub.db_path()).unwrap();
    conn.execute(
        "UPDATE changes SET envelope = zeroblob(64) WHERE doc_id = ?1 AND change_seq = 2",
        [a.doc_id().to_string()],
    )
    .unwrap();
    let hub = hub.restarted(7);
    assert!(!is_loaded(&hub, &a_id));

    a.add("Sambal Roa", "makanan", 25_000);
    let newest = a.node.changes_of(&a.doc_id()).unwrap().pop().unwrap();
    let outcome = hub.node.receive(&[newest]).unwrap();
    assert!(outcome[0].is_err(), "{outcome:?}");
    assert!(hub.node.heads_of(&a_id).is_empty(), "forgotten");
    assert!(hub.node.changes_of(&a.doc_id()).unwrap().is_empty());
    assert_eq!(hub.node.have().get(&doc_key(a_id)), Some(&0));

    assert_all_applied(&send_catalog(&a, &hub), "A's catalog again");
    assert_caught_up(&hub, &a, a_id);
}
