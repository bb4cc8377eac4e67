//! How this node reaches another center for orders, and why it trusts it:
//! what the operator's order pages say about a counterpart.

use telecenter_protocol::CenterId;

use super::{Node, NodeError, lock};

impl Node {
    /// Sealed mail this node holds for other centers as a relay: per recipient
    /// (count), and in all (count and bytes). Nothing in it can be read here.
    pub fn mailbox(&self) -> Result<(Vec<(CenterId, u64)>, crate::store::MailUse), NodeError> {
        let reader = lock(&self.reader);
        let me = self.center_id();
        let mut per_recipient = Vec::new();
        for (recipient, _) in reader.mail_recipients()? {
            if recipient != me {
                let held = reader.mail_use(None, Some(&recipient))?;
                if held.count > 0 {
                    per_recipient.push((recipient, held.count));
                }
            }
        }
        Ok((per_recipient, reader.mail_use(None, None)?))
    }

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
                        .held
                        .state(c)
                        .is_some_and(|state| state.vouches.contains(&current))
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use telecenter_protocol::DocId;

    use crate::clock::SystemClock;
    use crate::node::Node;
    use crate::testing::center;

    /// `to` holds `from`'s catalog as it stands.
    fn hand(from: &Node, to: &Node) {
        let changes = from.changes_of(&DocId::catalog(from.center_id())).unwrap();
        for result in to.receive(&changes).unwrap() {
            result.unwrap();
        }
    }

    #[test]
    fn a_member_is_accepted_through_the_hub_that_vouches_for_it_and_the_path_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let make = |n: u64, name: &str| {
            let folder = dir.path().join(name);
            std::fs::create_dir_all(&folder).unwrap();
            center(&folder, (n, n), name, "Jawa Timur", Arc::new(SystemClock))
        };
        let (ponorogo, hub, malang) = (make(1, "Ponorogo"), make(2, "Hub"), make(3, "Malang"));
        // The hub vouches for both members; Ponorogo trusts only the hub.
        hub.trust(&ponorogo.center_id()).unwrap();
        hub.trust(&malang.center_id()).unwrap();
        ponorogo.trust(&hub.center_id()).unwrap();
        hand(&hub, &ponorogo);
        hand(&malang, &ponorogo);
        assert_eq!(
            ponorogo.trust_path(&malang.center_id()),
            vec![hub.center_id(), malang.center_id()]
        );
        assert_eq!(ponorogo.trust_path(&hub.center_id()), vec![hub.center_id()]);
        assert!(ponorogo.trust_path(&ponorogo.center_id()).is_empty());
        // Blocking the hub's member takes it out, and the path with it.
        ponorogo.block(&malang.center_id()).unwrap();
        assert!(ponorogo.trust_path(&malang.center_id()).is_empty());
    }
}
