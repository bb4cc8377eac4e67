//! Settlement payments and corrections between two centers, and their answers.

use rusqlite::params;
use telecenter_protocol::CenterId;
use telecenter_protocol::order::{OrderId, SettlementPayment, SignedMessage};

use super::columns::{parse, parse_json};
use super::{Store, StoreError};

/// A settlement payment and its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettlementRow {
    /// Its id.
    pub id: OrderId,
    /// The other center.
    pub counterpart: CenterId,
    /// Who paid.
    pub payer: CenterId,
    /// Who received.
    pub payee: CenterId,
    /// Amount, whole rupiah.
    pub amount_idr: i64,
    /// Bank reference or note.
    pub reference: String,
    /// `waiting`, `confirmed` or `declined`.
    pub status: String,
    /// Why it was declined.
    pub reason: Option<String>,
    /// Hash of the payment message.
    pub payment_hash: String,
    /// The payer's signed payment.
    pub payment: SignedMessage,
    /// The payee's signed answer.
    pub reply: Option<SignedMessage>,
    /// When the payment was recorded.
    pub at_ms: i64,
    /// When it was answered.
    pub answered_at_ms: Option<i64>,
    /// For a correction (not a payment): the center owed the amount.
    pub correction_owed_to: Option<CenterId>,
}

impl SettlementRow {
    /// A payment or correction just made or received: `waiting` for the payee's
    /// answer. `counterpart` is the other center; `hash` and `signed` are the
    /// payment message.
    pub fn waiting(
        payment: &SettlementPayment,
        counterpart: CenterId,
        hash: &str,
        signed: SignedMessage,
    ) -> Self {
        SettlementRow {
            id: payment.id.clone(),
            counterpart,
            payer: payment.payer,
            payee: payment.payee,
            amount_idr: payment.amount_idr,
            reference: payment.reference.clone(),
            status: "waiting".into(),
            reason: None,
            payment_hash: hash.to_owned(),
            payment: signed,
            reply: None,
            at_ms: payment.at_ms,
            answered_at_ms: None,
            correction_owed_to: payment.correction_owed_to,
        }
    }
}

/// The center a settlement message names as owed, when it is a correction.
fn correction_of(message: &SignedMessage) -> Option<CenterId> {
    match serde_json::from_str(&message.body) {
        Ok(telecenter_protocol::order::Body::SettlementPayment(p)) => p.correction_owed_to,
        _ => None,
    }
}

impl Store {
    /// One settlement.
    pub fn settlement(&self, id: &OrderId) -> Result<Option<SettlementRow>, StoreError> {
        Ok(self
            .settlements_where("settlement_id = ?1", id.as_str())?
            .into_iter()
            .next())
    }

    /// Settlements, newest first; with `counterpart` only those.
    pub fn settlements(
        &self,
        counterpart: Option<&CenterId>,
    ) -> Result<Vec<SettlementRow>, StoreError> {
        match counterpart {
            Some(c) => self.settlements_where("counterpart = ?1", &c.to_string()),
            None => self.settlements_where("?1 = ?1", ""),
        }
    }

    fn settlements_where(
        &self,
        condition: &str,
        value: &str,
    ) -> Result<Vec<SettlementRow>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT settlement_id, counterpart, payer, payee, amount_idr, reference, status, reason,
               payment_hash, payment, reply, at_ms, answered_at_ms
             FROM settlements WHERE {condition} ORDER BY at_ms DESC, settlement_id"
        ))?;
        let rows = stmt.query_map(params![value], |row| {
            Ok((
                (
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, String>(6)?,
                ),
                (
                    row.get::<_, Option<String>>(7)?,
                    row.get::<_, String>(8)?,
                    row.get::<_, String>(9)?,
                    row.get::<_, Option<String>>(10)?,
                    row.get::<_, i64>(11)?,
                    row.get::<_, Option<i64>>(12)?,
                ),
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let ((id, counterpart, payer, payee, amount_idr, reference, status), rest) = row?;
            let (reason, payment_hash, payment, reply, at_ms, answered_at_ms) = rest;
            out.push(SettlementRow {
                id: parse(&id, "settlement id")?,
                counterpart: parse(&counterpart, "settlement counterpart")?,
                payer: parse(&payer, "payer")?,
                payee: parse(&payee, "payee")?,
                amount_idr,
                reference,
                status,
                reason,
                payment_hash,
                payment: parse_json(&payment, "payment")?,
                reply: reply.map(|r| parse_json(&r, "reply")).transpose()?,
                at_ms,
                answered_at_ms,
                correction_owed_to: None,
            });
            let last = out.len() - 1;
            out[last].correction_owed_to = correction_of(&out[last].payment);
        }
        Ok(out)
    }
}
