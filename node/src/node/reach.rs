//! How this node reaches another center for orders, and why it trusts it:
//! what the operator's order pages say about a counterpart.

use telecenter_protocol::CenterId;

use super::{Node, NodeError, lock};

impl Node {
    /// Whether this node has a way to get mail to `center`: its own address,
    /// or a peer that carries mail for it.
    pub fn can_deliver(&self, center: &CenterId) -> Result<bool, NodeError> {
        Ok(!self.hops_for(center, self.clock.now_ms())?.is_empty())
    }

    /// Why this node accepts `center`: the chain of centers from one the
    /// operator trusts directly to `center` (each vouching for the next).
    /// `[center]` when the operator trusts it directly; empty when it is not
    /// accepted (or is this center).
    pub fn trust_path(&self, center: &CenterId) -> Vec<CenterId> {
        let writer = lock(&self.writer);
        let Some(mut depth) = writer.accepted.get(center).copied() else {
            return Vec::new();
        };
        let mut path = vec![*center];
        let mut current = *center;
        while depth > 1 {
            // A center one level closer that vouches for the current one.
            let voucher = writer
                .accepted
                .iter()
                .filter(|(_, d)| **d == depth - 1)
                .map(|(c, _)| *c)
                .filter(|c| {
                    writer
                        .others
                        .get(c)
                        .is_some_and(|doc| doc.vouches().contains(&current))
                })
                .min();
            let Some(voucher) = voucher else {
                break;
            };
            path.insert(0, voucher);
            current = voucher;
            depth -= 1;
        }
        if depth == 0 { Vec::new() } else { path }
    }
}
