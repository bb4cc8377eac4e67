//! Answers to the pair messages this center sent: finalising or voiding proposed
//! steps and clearing the outbox.

use telecenter_protocol::CenterId;
use telecenter_protocol::limits::PAIR_BATCH_MESSAGES_MAX;
use telecenter_protocol::order::{Action, Body};

use crate::node::{Node, NodeError, lock};
use crate::store::{EventRow, PairWrite};

use super::ledger::complete;
use super::{MessageResult, event_of, plain_line, replay};

impl Node {
    /// Applies the other side's answers to messages this node sent `from`.
    pub fn pair_results(
        &self,
        from: &CenterId,
        results: &[MessageResult],
    ) -> Result<(), NodeError> {
        let mut changed = false;
        for result in results.iter().take(PAIR_BATCH_MESSAGES_MAX) {
            changed |= self.apply_result(from, result)?;
        }
        if results.iter().any(|r| !r.status.is_final()) {
            self.resend_soon(from);
        }
        if changed {
            self.after_pair_write();
        }
        Ok(())
    }

    fn apply_result(&self, from: &CenterId, result: &MessageResult) -> Result<bool, NodeError> {
        // Unknown answers (from a newer node) are treated like `later`. A reason
        // given with `later` (sending too fast, a clock ahead) is kept on the
        // outbox row, so the operator sees why the message waits.
        if !result.status.is_final() {
            if let Some(why) = result.message.as_deref().and_then(plain_line) {
                lock(&self.writer)
                    .store
                    .outbox_waiting(from, &result.hash, &why)?;
            }
            return Ok(false);
        }
        let mut writer = lock(&self.writer);
        let Some(sent) = writer.store.outbox_message(from, &result.hash)? else {
            return Ok(false);
        };
        let mut pair = PairWrite {
            outbox_done: vec![(*from, sent.hash.clone())],
            ..Default::default()
        };
        let taken = result.status.is_taken();
        let refusal = plain_line(result.message.as_deref().unwrap_or(""))
            .unwrap_or_else(|| "refused without a reason".to_owned());
        match serde_json::from_str::<Body>(&sent.message.body) {
            Ok(Body::OrderEvent(event)) => {
                if let Some(mut order) = writer.store.order(&event.order)? {
                    let events = writer.store.order_events(&event.order)?;
                    let proposed = events
                        .iter()
                        .any(|e| e.seq == event.seq && e.proposed && e.hash == sent.hash);
                    if proposed && taken {
                        pair.finalize.push((event.order.clone(), event.seq));
                        let later = events.iter().find(|e| e.proposed && e.seq > event.seq);
                        order.pending = later
                            .and_then(|e| event_of(&e.message).ok())
                            .map(|e| e.action.word().to_owned());
                        if event.action == Action::Complete {
                            complete(&mut order, event.at_ms, &mut pair);
                        }
                        pair.order = Some(order);
                    } else if proposed {
                        // Refused: this step and every proposal after it are void.
                        pair.drop_proposed_from = Some((event.order.clone(), event.seq));
                        for later in events.iter().filter(|e| e.proposed && e.seq > event.seq) {
                            pair.outbox_done.push((*from, later.hash.clone()));
                        }
                        let kept: Vec<EventRow> = events
                            .into_iter()
                            .filter(|e| !(e.proposed && e.seq >= event.seq))
                            .collect();
                        match replay(&kept, true)? {
                            Some(state) => order.state = state,
                            None => order.refused = true,
                        }
                        // An earlier proposal may still wait for its answer.
                        order.pending = kept
                            .iter()
                            .filter(|e| e.proposed)
                            .find_map(|e| event_of(&e.message).ok())
                            .map(|e| e.action.word().to_owned());
                        order.problem = Some(format!("{} refused: {refusal}", event.action.word()));
                        pair.order = Some(order);
                    } else if !taken {
                        tracing::warn!(order = %event.order, %refusal, "the other center refused a step of ours");
                        order.problem = Some(format!(
                            "the other center refused {}: {refusal}",
                            event.action.word()
                        ));
                        pair.order = Some(order);
                    }
                }
            }
            Ok(Body::SettlementPayment(payment)) if !taken => {
                if let Some(mut row) = writer.store.settlement(&payment.id)? {
                    row.status = "declined".into();
                    row.reason = Some(refusal);
                    pair.settlement = Some(row);
                }
            }
            _ => {}
        }
        self.commit_pair(&mut writer, pair)?;
        Ok(true)
    }
}
