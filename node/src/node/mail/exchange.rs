//! One mail exchange between two neighbours, the same on both ends: what this
//! node hands over ([`Node::exchange_out`]) and what it takes in from the other
//! side ([`Node::exchange_in`]). The server's `/api/v1/mail/exchange` handler and
//! the sync client's exchange loop both go through these two, so the sequence
//! (routes, receipts, mail; then mail, receipts, routes when they changed) is
//! written once.

use telecenter_protocol::CenterId;
use telecenter_protocol::sealed::{MailExchange, Receipt};

use crate::node::{Node, NodeError};

impl Node {
    /// What to hand `to` now: the mail held for it as a hop (recorded as
    /// offered), `receipts` for mail it handed this node, this node's routes
    /// for it when `their_routes` (the digest `to` last said it holds) differs,
    /// and the digest of `to`'s routes as this node holds them.
    pub fn exchange_out(
        &self,
        to: &CenterId,
        receipts: Vec<Receipt>,
        their_routes: Option<&str>,
    ) -> Result<MailExchange, NodeError> {
        let rows = self.mail_for_hop(to)?;
        let advert = self.advert_for(to)?;
        let digest = crate::node::routes::digest(&advert);
        Ok(MailExchange {
            mail: rows.into_iter().map(|r| r.mail).collect(),
            receipts,
            routes: (their_routes != Some(digest.as_str())).then_some(advert),
            have_routes: self.routes_digest_of(to),
            wait_ms: None,
        })
    }

    /// Takes in what `from` handed over: its routes, its receipts for mail this
    /// node offered it, and its mail. Answers this node's receipts for that mail.
    pub fn exchange_in(
        &self,
        from: &CenterId,
        exchange: MailExchange,
    ) -> Result<Vec<Receipt>, NodeError> {
        self.routes_heard(from, exchange.routes);
        self.mail_receipts(from, &exchange.receipts)?;
        Ok(self.take_mail(from, exchange.mail))
    }
}
