//! Helpers shared by the unit tests (compiled only for tests).

use std::path::Path;
use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use telecenter_protocol::Identity;
use telecenter_protocol::validate::{NewListing, ProfileInput};

use crate::clock::Clock;
use crate::node::Node;

/// A new center named `name` in `region`, stored in `dir/node.db`, with its key
/// and its randomness drawn from the two seeds.
pub(crate) fn center(
    dir: &Path,
    seeds: (u64, u64),
    name: &str,
    region: &str,
    clock: Arc<dyn Clock>,
) -> Node {
    center_with(dir, seeds, &profile(name, region, None), clock)
}

/// A new center with `profile`, stored in `dir/node.db`, with its key and its
/// randomness drawn from the two seeds.
pub(crate) fn center_with(
    dir: &Path,
    (key_seed, rng_seed): (u64, u64),
    profile: &ProfileInput,
    clock: Arc<dyn Clock>,
) -> Node {
    Node::create(
        &dir.join("node.db"),
        Identity::generate(&mut StdRng::seed_from_u64(key_seed)),
        profile,
        clock,
        Box::new(StdRng::seed_from_u64(rng_seed)),
    )
    .expect("a new center")
}

/// The profile of a center named `name` in `region`, with an optional contact.
pub(crate) fn profile(name: &str, region: &str, contact: Option<&str>) -> ProfileInput {
    ProfileInput {
        name: Some(name.to_owned()),
        region: Some(region.to_owned()),
        contact: contact.map(str::to_owned),
        ..Default::default()
    }
}

/// A product for sale in Indonesian only: `title`, in `makanan`, sold by the
/// bag by Bu Sri.
pub(crate) fn product(title: &str, price_idr: i64, stock: i64) -> NewListing {
    NewListing {
        title: title.to_owned(),
        description: String::new(),
        lang: None,
        category: "makanan".to_owned(),
        price_idr,
        stock,
        unit: Some("bungkus".to_owned()),
        producer: Some("Bu Sri".to_owned()),
        photos: Vec::new(),
    }
}
