//! The names of every center this node knows, read once for a whole answer
//! (orders, balances, statements name many centers): shared by the API's views,
//! the accounting reports and the pages.

use telecenter_protocol::CenterId;

use super::{Node, NodeError};

/// The names of every center this node knows, read once for a whole answer
/// (a list of orders or balances names many centers).
#[derive(Clone, Debug)]
pub struct CenterNames {
    /// This center.
    pub own: CenterId,
    map: std::collections::HashMap<CenterId, String>,
}

impl CenterNames {
    /// Reads the names from the node's index.
    pub fn load(node: &Node) -> Result<Self, NodeError> {
        Ok(Self {
            own: node.center_id(),
            map: node
                .centers()?
                .into_iter()
                .map(|p| (p.center, p.name))
                .collect(),
        })
    }

    /// A center's name, or its short id when its profile is not known here.
    pub fn of(&self, center: &CenterId) -> String {
        self.map
            .get(center)
            .cloned()
            .unwrap_or_else(|| center.short())
    }

    /// The name, followed by `(us)` (in the page's words) when it is this center.
    pub fn marked(&self, center: &CenterId, us: &str) -> String {
        if *center == self.own {
            format!("{} ({us})", self.of(center))
        } else {
            self.of(center)
        }
    }
}
