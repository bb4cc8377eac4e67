//! Writing epochs (issue 15, fork-safe continuation of a restored catalog): a
//! node restored from an old backup begins a new epoch and converges with what
//! its peers hold from before the restore; the old single-actor fork is still
//! refused; the number of epochs per catalog is bounded. Real nodes, real
//! SQLite files, the same have / fetch / receive exchange peers use.

use telecenter_protocol::limits::EPOCHS_PER_CATALOG_MAX;
use telecenter_protocol::sync::lacking;
use telecenter_protocol::{ChainId, EpochId};

use super::*;

/// Takes into `to` everything `from` offers that `to` lacks, in fetch answers
/// as a peer would (summary, fetch, receive), until nothing more applies.
/// Returns how many changes were applied.
fn pull(to: &Node, from: &Node) -> usize {
    let mut applied = 0;
    for _ in 0..100 {
        let want = lacking(&from.have(), &to.have());
        if want.is_empty() {
            break;
        }
        let answer = from.fetch(&want).unwrap();
        let envelopes: Vec<Vec<u8>> = answer
            .changes
            .iter()
            .map(|text| telecenter_protocol::b64::decode(text).unwrap())
            .collect();
        let outcomes = to.receive(&envelopes).unwrap();
        for outcome in &outcomes {
            assert!(
                matches!(
                    outcome,
                    Ok(Ingested::Applied | Ingested::Duplicate | Ingested::Pending)
                ),
                "{outcome:?}"
            );
        }
        let now = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(Ingested::Applied)))
            .count();
        if now == 0 {
            break;
        }
        applied += now;
    }
    applied
}

/// A consistent copy of a node's live database, as a backup takes it.
fn backup(node: &Node, to: &Path) {
    let conn = rusqlite::Connection::open(node.db_path()).unwrap();
    conn.execute("VACUUM INTO ?1", [to.to_str().unwrap()])
        .unwrap();
}

/// What a node shows of `center`: the catalog's heads and every listing row.
fn shown(node: &Node, center: CenterId) -> (Vec<String>, Vec<ListingRow>) {
    (node.heads_of(&center), all_rows(node, center))
}

/// A node's have map, limited to `center`'s catalog.
fn have_of(node: &Node, center: CenterId) -> BTreeMap<String, u64> {
    let mut have = node.have();
    have.retain(|chain, _| chain.starts_with(&doc_key(center)));
    have
}

fn titles_of(node: &Node, center: CenterId) -> BTreeSet<String> {
    all_rows(node, center)
        .into_iter()
        .map(|row| row.listing.title.id)
        .collect()
}

/// The envelopes of `center`'s catalog held by `node`, with each change's epoch.
fn chains_of(node: &Node, center: CenterId) -> Vec<(Option<EpochId>, Vec<u8>)> {
    let doc = DocId::catalog(center);
    node.changes_of(&doc)
        .unwrap()
        .into_iter()
        .map(|envelope| {
            let verified = SignedChange::from_bytes(&envelope)
                .unwrap()
                .verify(&doc)
                .unwrap();
            (verified.epoch(), envelope)
        })
        .collect()
}

#[test]
fn a_node_restored_from_an_old_backup_and_edited_again_converges() {
    let a = TestNode::malang();
    let b = TestNode::lumajang();
    let c = TestNode::batu();
    let a_center = a.node.center_id();
    b.node.trust(&a_center).unwrap();
    c.node.trust(&a_center).unwrap();

    // Edits 1..3, synced to B, then the backup; edits 4 and 5, synced to B.
    let keripik = a.add("Keripik Tempe Sanan", "makanan", 15_000);
    a.add("Topeng Malangan", "kerajinan", 250_000);
    a.set_price(&keripik, 16_000);
    assert_eq!(pull(&b.node, &a.node), 4);
    let copy = a.dir.path().join("backup.db");
    backup(&a.node, &copy);
    a.add("Sari Apel Malang", "minuman", 20_000);
    a.set_price(&keripik, 17_000);
    assert_eq!(pull(&b.node, &a.node), 2);
    assert_eq!(b.node.have().get(&doc_key(a_center)), Some(&6));
    let before_restore = a.node.heads_of(&a_center);
    drop(a.node);

    // The restore: the copy opened with the same key, a new epoch, a new edit.
    let restored = Node::open(&copy, identity(MALANG_SEED), a.clock.clone(), rng(77)).unwrap();
    assert_eq!(restored.writing_epoch(), None);
    assert_eq!(restored.have().get(&doc_key(a_center)), Some(&4));
    let epoch = restored.begin_epoch().unwrap();
    assert_eq!(restored.writing_epoch(), Some(epoch));
    restored
        .add_listing(&new_listing("Kopi Dampit", "minuman", 30_000))
        .unwrap();
    let chain = ChainId {
        doc: DocId::catalog(a_center),
        epoch: Some(epoch),
    }
    .to_string();
    assert_eq!(restored.have().get(&chain), Some(&1));
    assert_eq!(restored.have().get(&doc_key(a_center)), Some(&4));

    // Sync both ways with B: B takes the new epoch, the restored node takes
    // back its own edits 4 and 5 from B.
    assert_eq!(pull(&b.node, &restored), 1);
    assert_eq!(pull(&restored, &b.node), 2);
    assert_eq!(pull(&b.node, &restored), 0);
    assert_eq!(shown(&restored, a_center), shown(&b.node, a_center));
    assert_eq!(have_of(&restored, a_center), have_of(&b.node, a_center));
    let titles = titles_of(&b.node, a_center);
    for title in [
        "Keripik Tempe Sanan",
        "Topeng Malangan",
        "Sari Apel Malang",
        "Kopi Dampit",
    ] {
        assert!(titles.contains(title), "{title}: {titles:?}");
    }
    let keripik_row = b.node.listing(&a_center, &keripik).unwrap();
    assert_eq!(keripik_row.listing.price_idr, 17_000);
    // Two chains, each heads of one writer: edit 5 and the new edit.
    assert_eq!(b.node.heads_of(&a_center).len(), 2);
    assert!(
        before_restore
            .iter()
            .all(|h| b.node.heads_of(&a_center).contains(h))
    );

    // A third node syncing only from B gets the same catalog.
    assert_eq!(pull(&c.node, &b.node), 7);
    assert_eq!(shown(&c.node, a_center), shown(&b.node, a_center));

    // After a restart the restored node still writes in its new epoch, and
    // its next edit is the next seq of that chain, taken by its peers.
    drop(restored);
    let restarted = Node::open(&copy, identity(MALANG_SEED), a.clock.clone(), rng(78)).unwrap();
    assert_eq!(restarted.writing_epoch(), Some(epoch));
    assert_eq!(shown(&restarted, a_center), shown(&b.node, a_center));
    restarted
        .update_listing(
            &keripik,
            &ListingPatch {
                price_idr: Some(18_000),
                ..ListingPatch::default()
            },
        )
        .unwrap();
    assert_eq!(restarted.have().get(&chain), Some(&2));
    assert_eq!(pull(&b.node, &restarted), 1);
    assert_eq!(pull(&c.node, &b.node), 1);
    assert_eq!(shown(&c.node, a_center), shown(&restarted, a_center));
    assert_eq!(
        c.node
            .listing(&a_center, &keripik)
            .unwrap()
            .listing
            .price_idr,
        18_000
    );
    // Changes of the epoch it writes in now still come only from itself.
    let mine = chains_of(&restarted, a_center);
    let own_new: Vec<Vec<u8>> = mine
        .iter()
        .filter(|(e, _)| *e == Some(epoch))
        .map(|(_, envelope)| envelope.clone())
        .collect();
    let outcomes = restarted.receive(&own_new).unwrap();
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Ok(Ingested::Duplicate))),
        "{outcomes:?}"
    );
}

/// Without a new epoch, a restored node that edits again writes a seq its peers
/// already hold: they refuse it as a fork, and it refuses its own later changes
/// from them (the stuck state epochs exist to avoid).
#[test]
fn a_restored_node_that_edits_without_a_new_epoch_forks_and_is_refused() {
    let a = TestNode::malang();
    let b = TestNode::lumajang();
    let a_center = a.node.center_id();
    b.node.trust(&a_center).unwrap();
    a.add("Keripik Tempe Sanan", "makanan", 15_000);
    let copy = a.dir.path().join("backup.db");
    backup(&a.node, &copy);
    a.add("Sari Apel Malang", "minuman", 20_000);
    assert_eq!(pull(&b.node, &a.node), 3);
    drop(a.node);
    let restored = Node::open(&copy, identity(MALANG_SEED), a.clock.clone(), rng(77)).unwrap();
    restored
        .add_listing(&new_listing("Kopi Dampit", "minuman", 30_000))
        .unwrap();
    let theirs = b.node.changes_of(&DocId::catalog(a_center)).unwrap();
    let mine = restored.changes_of(&DocId::catalog(a_center)).unwrap();
    let result = b.node.ingest(&DocId::catalog(a_center), &mine[2]);
    assert!(matches!(result, Err(NodeError::Conflict(_))), "{result:?}");
    let result = restored.ingest(&DocId::catalog(a_center), &theirs[2]);
    assert!(matches!(result, Err(NodeError::Conflict(_))), "{result:?}");
}

/// A later epoch's first change builds on the earlier epoch's changes its
/// writer held; a node that lacks them holds it back and applies it, with the
/// rest of its chain, once they arrive in whatever order.
#[test]
fn a_later_epochs_changes_wait_for_the_earlier_changes_they_build_on() {
    let a = TestNode::malang();
    let a_center = a.node.center_id();
    a.add("Keripik Tempe Sanan", "makanan", 15_000);
    let epoch = a.node.begin_epoch().unwrap();
    a.add("Kopi Dampit", "minuman", 30_000);
    a.add("Sari Apel Malang", "minuman", 20_000);
    let changes = chains_of(&a.node, a_center);
    let epochs: Vec<_> = changes.iter().map(|(e, _)| *e).collect();
    assert_eq!(epochs, [None, None, Some(epoch), Some(epoch)]);

    let b = TestNode::lumajang();
    b.node.trust(&a_center).unwrap();
    let envelopes: Vec<Vec<u8>> = changes.into_iter().map(|(_, e)| e).collect();
    // The new epoch first: both its changes wait (the first for epoch 0's
    // changes, the second for the first), nothing is stored.
    ingest_each(
        &b,
        &a,
        &[envelopes[3].clone(), envelopes[2].clone()],
        Ingested::Pending,
    );
    assert!(b.node.changes_of(&a.doc_id()).unwrap().is_empty());
    ingest_each(&b, &a, &envelopes[..1], Ingested::Applied);
    assert!(b.node.heads_of(&a_center).len() == 1);
    assert_eq!(b.node.changes_of(&a.doc_id()).unwrap().len(), 1);
    // Epoch 0's second change arrives: the whole later chain follows by itself.
    ingest_each(&b, &a, &envelopes[1..2], Ingested::Applied);
    assert_caught_up(&b, &a, a_center);
    let chain = ChainId {
        doc: a.doc_id(),
        epoch: Some(epoch),
    };
    assert_eq!(b.node.have().get(&chain.to_string()), Some(&2));
    assert_eq!(b.node.have().get(&doc_key(a_center)), Some(&2));
    // The stored chain reloads identically.
    let reopened = b.reopen(5);
    assert_eq!(reopened.heads_of(&a_center), a.node.heads_of(&a_center));
}

/// A change of a later epoch that does not build on the last change held of
/// its own epoch is a fork, refused like one of epoch 0, and stores nothing.
#[test]
fn a_fork_within_a_later_epoch_is_a_conflict() {
    let a = TestNode::malang();
    let a_center = a.node.center_id();
    let copy = a.dir.path().join("backup.db");
    let epoch = a.node.begin_epoch().unwrap();
    a.add("Keripik Tempe Sanan", "makanan", 15_000);
    backup(&a.node, &copy);
    a.add("Sari Apel Malang", "minuman", 20_000);
    // Another node with the same database (and so the same epoch) forks it.
    let twin = Node::open(&copy, identity(MALANG_SEED), a.clock.clone(), rng(99)).unwrap();
    assert_eq!(twin.writing_epoch(), Some(epoch));
    twin.add_listing(&new_listing("Batik Palsu", "fesyen", 1_000))
        .unwrap();
    twin.add_listing(&new_listing("Topeng Palsu", "kerajinan", 1_000))
        .unwrap();

    let b = TestNode::lumajang();
    b.node.trust(&a_center).unwrap();
    assert_eq!(pull(&b.node, &a.node), 3);
    let centers = [a_center, b.node.center_id()];
    let before = observe(&b, &centers);
    let forged = twin.changes_of(&a.doc_id()).unwrap();
    // Seq 2 of the epoch, another than A's: a second change with a held seq.
    let result = b.node.ingest(&a.doc_id(), &forged[2]);
    assert!(matches!(result, Err(NodeError::Conflict(_))), "{result:?}");
    // Seq 3, built on the twin's seq 2: the next seq, but a fork.
    let result = b.node.ingest(&a.doc_id(), &forged[3]);
    assert!(matches!(result, Err(NodeError::Conflict(_))), "{result:?}");
    assert_eq!(observe(&b, &centers), before);
    assert_eq!(b.node.search(&raw_search("palsu")).unwrap().total, 0);
}

/// At most [`EPOCHS_PER_CATALOG_MAX`] writing epochs per catalog: a node
/// refuses a change that would open one more, and holds nothing of it; the
/// owner cannot begin one more either.
#[test]
fn more_writing_epochs_than_the_limit_are_refused_and_change_nothing() {
    let a = TestNode::malang();
    let a_center = a.node.center_id();
    // Epoch 0 and the limit's worth of later epochs, one edit in each.
    for n in 1..EPOCHS_PER_CATALOG_MAX {
        a.node.begin_epoch().unwrap();
        a.add(&format!("Keripik Edisi {n}"), "makanan", 15_000);
    }
    let held = a.node.changes_of(&a.doc_id()).unwrap();
    assert_eq!(held.len(), EPOCHS_PER_CATALOG_MAX);
    let result = a.node.begin_epoch();
    assert!(
        matches!(result, Err(NodeError::TooManyEpochs { max, .. }) if max == EPOCHS_PER_CATALOG_MAX),
        "{result:?}"
    );

    let b = TestNode::lumajang();
    b.node.trust(&a_center).unwrap();
    assert_all_applied(&send_catalog(&a, &b), "A's catalog up to the limit");
    assert_caught_up(&b, &a, a_center);

    // A twin with the same database begins one more epoch, made possible
    // here by writing the seventeenth epoch row by hand.
    let copy = a.dir.path().join("twin.db");
    backup(&a.node, &copy);
    {
        let conn = rusqlite::Connection::open(&copy).unwrap();
        conn.execute(
            "UPDATE writing_epoch SET epoch = '00000000000000ff' WHERE id = 1",
            [],
        )
        .unwrap();
    }
    let twin = Node::open(&copy, identity(MALANG_SEED), a.clock.clone(), rng(99)).unwrap();
    twin.add_listing(&new_listing("Keripik Terlarang", "makanan", 1_000))
        .unwrap();
    let extra = twin.changes_of(&a.doc_id()).unwrap().pop().unwrap();
    let centers = [a_center, b.node.center_id()];
    let before = observe(&b, &centers);
    let pending_before = lock(&b.node.writer).pending.held();
    let result = b.node.ingest(&a.doc_id(), &extra);
    assert!(
        matches!(result, Err(NodeError::TooManyEpochs { .. })),
        "{result:?}"
    );
    assert_eq!(reject_code(&result.unwrap_err()), "too_many_epochs");
    assert_eq!(observe(&b, &centers), before);
    assert_eq!(lock(&b.node.writer).pending.held(), pending_before);
    assert_eq!(b.node.heads_of(&a_center), a.node.heads_of(&a_center));
    assert_eq!(b.node.search(&raw_search("terlarang")).unwrap().total, 0);

    // Changes waiting for their predecessors count too: on a node that holds
    // nothing of A yet, the later epochs' first changes, sent newest first, all
    // wait (each builds on the one before), up to the limit and no further.
    let c = TestNode::batu();
    c.node.trust(&a_center).unwrap();
    let newest_first: Vec<Vec<u8>> = held[1..].iter().rev().cloned().collect();
    ingest_each(&c, &a, &newest_first, Ingested::Pending);
    let pending_before = lock(&c.node.writer).pending.held();
    let result = c.node.ingest(&a.doc_id(), &extra);
    assert!(
        matches!(result, Err(NodeError::TooManyEpochs { .. })),
        "{result:?}"
    );
    assert_eq!(lock(&c.node.writer).pending.held(), pending_before);
    // The genesis arrives: every waiting epoch applies after it.
    ingest_each(&c, &a, &held[..1], Ingested::Applied);
    assert_caught_up(&c, &a, a_center);
    assert_eq!(lock(&c.node.writer).pending.held(), (0, 0));
}
