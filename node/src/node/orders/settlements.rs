//! Settlements: recording a payment or a correction, answering one, and reading
//! settlements and ledger entries.

use telecenter_protocol::CenterId;
use telecenter_protocol::limits::REASON_CHARS_MAX;
use telecenter_protocol::order::{
    Body, OrderId, SettlementPayment, SettlementReply, SignedMessage,
};
use telecenter_protocol::text::text_line;

use crate::node::{Node, NodeError, lock};
use crate::store::{EntryRow, PairWrite, SettlementRow};

use super::ledger::confirm;
use super::problem;

impl Node {
    /// Records a settlement payment this center made to `payee` and sends it for
    /// confirmation; the ledger moves only when the payee confirms.
    pub fn record_settlement(
        &self,
        payee: &CenterId,
        amount_idr: i64,
        reference: &str,
    ) -> Result<SettlementRow, NodeError> {
        self.propose_settlement(payee, amount_idr, reference, None)
    }

    /// Proposes a correction with `counterpart`: `amount_idr` more owed to this
    /// center (`owed_to_us`) or to the counterpart, for `reason`. Ledger entries
    /// are never changed; the correction is a new entry, booked on both nodes
    /// when the counterpart confirms it (`answer_settlement`).
    pub fn record_correction(
        &self,
        counterpart: &CenterId,
        owed_to_us: bool,
        amount_idr: i64,
        reason: &str,
    ) -> Result<SettlementRow, NodeError> {
        let owed_to = if owed_to_us {
            self.center_id()
        } else {
            *counterpart
        };
        self.propose_settlement(counterpart, amount_idr, reason, Some(owed_to))
    }

    fn propose_settlement(
        &self,
        payee: &CenterId,
        amount_idr: i64,
        reference: &str,
        correction_owed_to: Option<CenterId>,
    ) -> Result<SettlementRow, NodeError> {
        let own = self.center_id();
        let reference = text_line(
            "reference",
            reference,
            usize::from(correction_owed_to.is_some()),
            telecenter_protocol::limits::REFERENCE_CHARS_MAX,
        )?;
        let mut writer = lock(&self.writer);
        let id = OrderId::random(lock(&self.random).as_mut());
        if writer.store.settlement(&id)?.is_some() {
            return Err(NodeError::Internal("settlement id drawn twice".into()));
        }
        let payment = SettlementPayment {
            id,
            payer: own,
            payee: *payee,
            amount_idr,
            reference,
            at_ms: self.now_for_signing()?,
            correction_owed_to,
        };
        payment.validate()?;
        if !writer.accepted.contains_key(payee) {
            return Err(problem(
                "unknown_center",
                format!("center {payee} is not known to this node"),
            ));
        }
        let (signed, hash) = self.sign_body(&Body::SettlementPayment(payment.clone()))?;
        let row = SettlementRow::waiting(&payment, *payee, &hash, signed.clone());
        self.commit_pair(
            &mut writer,
            PairWrite {
                settlement: Some(row.clone()),
                outbox: vec![(*payee, hash, signed)],
                ..Default::default()
            },
        )?;
        drop(writer);
        self.after_pair_write();
        Ok(row)
    }

    /// Confirms (the money arrived) or declines a settlement payment made to this
    /// center. Confirming books the settlement entry.
    pub fn answer_settlement(
        &self,
        id: &OrderId,
        confirmed: bool,
        reason: Option<&str>,
    ) -> Result<SettlementRow, NodeError> {
        let reason = match (confirmed, reason.map(str::trim).filter(|r| !r.is_empty())) {
            (false, None) => {
                return Err(problem(
                    "reason_required",
                    "say why you decline this payment (--reason)",
                ));
            }
            (false, Some(r)) => Some(text_line("reason", r, 1, REASON_CHARS_MAX)?),
            (true, _) => None,
        };
        let mut writer = lock(&self.writer);
        let mut row = writer
            .store
            .settlement(id)?
            .ok_or_else(|| NodeError::NoSuchSettlement(id.clone()))?;
        if row.payee != self.center_id() {
            return Err(problem(
                "not_allowed",
                "only the other center answers: the one paid, or the one asked to agree to a correction",
            ));
        }
        if row.status != "waiting" {
            return Err(problem(
                "already_answered",
                format!("this payment is already {}", row.status),
            ));
        }
        let reply = SettlementReply {
            id: id.clone(),
            payment: row.payment_hash.clone(),
            by: self.center_id(),
            confirmed,
            reason: reason.clone(),
            at_ms: self.now_for_signing()?,
        };
        let (signed, hash) = self.sign_body(&Body::SettlementReply(reply.clone()))?;
        let payment = settlement_of(&row.payment)?;
        let mut pair = PairWrite {
            outbox: vec![(row.counterpart, hash, signed.clone())],
            ..Default::default()
        };
        if confirmed {
            let counterpart = row.counterpart;
            confirm(&mut row, counterpart, &payment, reply.at_ms, &mut pair);
        } else {
            row.status = "declined".into();
            row.reason = reason;
        }
        row.reply = Some(signed);
        row.answered_at_ms = Some(reply.at_ms);
        pair.settlement = Some(row.clone());
        self.commit_pair(&mut writer, pair)?;
        drop(writer);
        self.after_pair_write();
        Ok(row)
    }

    /// Settlements, newest first.
    pub fn settlements(
        &self,
        counterpart: Option<&CenterId>,
    ) -> Result<Vec<SettlementRow>, NodeError> {
        Ok(lock(&self.reader).settlements(counterpart)?)
    }

    /// Ledger entries with `from_ms <= at < to_ms`, oldest first.
    pub fn ledger(
        &self,
        counterpart: Option<&CenterId>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<EntryRow>, NodeError> {
        Ok(lock(&self.reader).ledger(counterpart, from_ms, to_ms)?)
    }
}

pub(super) fn settlement_of(message: &SignedMessage) -> Result<SettlementPayment, NodeError> {
    match serde_json::from_str::<Body>(&message.body) {
        Ok(Body::SettlementPayment(payment)) => Ok(payment),
        _ => Err(NodeError::Internal(
            "stored settlement is not a payment".into(),
        )),
    }
}
