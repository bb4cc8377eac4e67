//! Property test of convergence: whatever the order, duplication, batching and
//! delay of deliveries, a node that receives a catalog's changes ends with
//! exactly the origin's listings and heads.

use std::sync::Arc;

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_protocol::catalog::input::{ListingPatch, NewListing, ProfileInput};
use telecenter_protocol::{DocId, Identity};

use super::*;
use crate::clock::ManualClock;
use crate::store::ListingRow;
use crate::testing::every_status_query;

/// An edit of a random listing may meet one already removed, or change nothing;
/// any other error is a bug.
fn allowed(result: Result<ListingRow, NodeError>) {
    match result {
        Ok(_) | Err(NodeError::Removed(_) | NodeError::NoChange) => {}
        Err(other) => panic!("edit failed: {other}"),
    }
}

fn node(dir: &std::path::Path, seed: u8) -> Node {
    Node::create(
        &dir.join(format!("{seed}.db")),
        Identity::from_secret_bytes(&[seed; 32]),
        &ProfileInput {
            name: Some(format!("Telecenter {seed}")),
            region: Some("Jawa Timur".into()),
            contact: None,
            ..Default::default()
        },
        Arc::new(ManualClock::new(1_795_392_000_000)),
        Box::new(StdRng::seed_from_u64(u64::from(seed))),
    )
    .unwrap()
}

/// Everything a buyer can see of `center` at `node`.
fn visible(node: &Node, center: &CenterId) -> Vec<String> {
    let mut rows: Vec<String> = node
        .search(&every_status_query(Some(*center)))
        .unwrap()
        .items
        .iter()
        .map(|r| format!("{:?}", r.listing))
        .collect();
    rows.sort();
    rows
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_delivery_order_converges(
        edits in proptest::collection::vec((0usize..6, 0u8..4, 1i64..100), 1..25),
        order_seed in any::<u64>(),
        duplicate_every in 1usize..4,
        batch in 1usize..7,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let origin = node(dir.path(), 1);
        let replica = node(dir.path(), 2);
        let center = origin.center_id();
        replica.trust(&center).unwrap();

        // Random edits at the origin: adds, price changes, hides, removals.
        let mut ids = Vec::new();
        for (target, kind, value) in edits {
            let existing = ids.get(target % (ids.len().max(1))).cloned();
            match (kind, existing) {
                (0, _) | (_, None) => {
                    let row = origin.add_listing(&NewListing {
                        title: format!("Keripik {value}"),
                        category: "makanan".into(),
                        price_idr: value * 1_000,
                        stock: value,
                        ..NewListing::default()
                    }).unwrap();
                    ids.push(row.listing.id);
                }
                (1, Some(id)) => {
                    allowed(origin.update_listing(&id, &ListingPatch { price_idr: Some(value * 500), ..ListingPatch::default() }));
                }
                (2, Some(id)) => {
                    allowed(origin.update_listing(&id, &ListingPatch { status: Some("hidden".into()), ..ListingPatch::default() }));
                }
                (_, Some(id)) => {
                    allowed(origin.remove_listing(&id));
                }
            }
        }

        // Shuffle, duplicate, and deliver in random batches.
        let mut deliveries = origin.changes_of(&DocId::catalog(center)).unwrap();
        let extra: Vec<Vec<u8>> = deliveries.iter().step_by(duplicate_every).cloned().collect();
        deliveries.extend(extra);
        let mut rng = StdRng::seed_from_u64(order_seed);
        use rand::seq::SliceRandom;
        deliveries.shuffle(&mut rng);
        for chunk in deliveries.chunks(batch) {
            for outcome in replica.receive(chunk).unwrap() {
                prop_assert!(outcome.is_ok(), "{outcome:?}");
            }
        }
        prop_assert_eq!(replica.heads_of(&center), origin.heads_of(&center));
        prop_assert_eq!(visible(&replica, &center), visible(&origin, &center));
        prop_assert_eq!(replica.quick_check().unwrap(), "ok");
    }
}
