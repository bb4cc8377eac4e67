//! The order state machine: steps, statuses, who may take which step, and the
//! checked replay of an order's signed history ([`OrderState`]).

use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr};

use super::{OrderId, OrderTerms, TIME_MS_MIN, check_time};
use crate::id::CenterId;
use crate::limits::*;
use crate::text::{InvalidInput, text_line};

/// One step of an order.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, EnumString, IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(
    serialize_all = "snake_case",
    parse_err_ty = InvalidInput,
    parse_err_fn = unknown_action
)]
pub enum Action {
    /// The buyer center places the order (first event; carries the terms).
    Place,
    /// The seller accepts it and reserves the stock.
    Accept,
    /// The seller refuses it (a reason is required).
    Reject,
    /// The seller has sent the goods.
    Ship,
    /// The goods reached the buyer; either center may say so. Books the ledger.
    Complete,
    /// Called off: by the buyer while placed, by the seller while placed or accepted.
    Cancel,
}

impl Action {
    /// The word used on the wire and in the CLI.
    pub fn word(self) -> &'static str {
        self.into()
    }
}

/// The error of `Action::from_str`.
fn unknown_action(other: &str) -> InvalidInput {
    InvalidInput::new(
        "action",
        "unknown",
        format!("expected accept, reject, ship, complete or cancel, found {other:?}"),
    )
}

/// Where an order stands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, EnumString, IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(
    serialize_all = "snake_case",
    parse_err_ty = String,
    parse_err_fn = unknown_status
)]
pub enum Status {
    /// Waiting for the seller's decision.
    Placed,
    /// Accepted; stock reserved.
    Accepted,
    /// Refused by the seller (final).
    Rejected,
    /// Sent by the seller.
    Shipped,
    /// Received; the ledger is booked (final).
    Completed,
    /// Called off (final).
    Cancelled,
}

impl Status {
    /// The word used on the wire and in the database.
    pub fn word(self) -> &'static str {
        self.into()
    }

    /// Whether no further step is possible.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Rejected | Self::Completed | Self::Cancelled)
    }
}

/// The error of `Status::from_str`.
fn unknown_status(other: &str) -> String {
    format!("unknown order status {other:?}")
}

/// The two sides of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The ordering center.
    Buyer,
    /// The selling center.
    Seller,
}

/// Which center may take `action` from `status`, and where it leads; `None` if the
/// step is not allowed at all from there. This table is the whole state machine.
pub fn transition(status: Status, action: Action, by: Role) -> Option<Status> {
    use Action as A;
    use Role as R;
    use Status as S;
    match (status, action, by) {
        (S::Placed, A::Accept, R::Seller) => Some(S::Accepted),
        (S::Placed, A::Reject, R::Seller) => Some(S::Rejected),
        (S::Placed, A::Cancel, _) => Some(S::Cancelled),
        (S::Accepted, A::Cancel, R::Seller) => Some(S::Cancelled),
        (S::Accepted, A::Ship, R::Seller) => Some(S::Shipped),
        (S::Shipped, A::Complete, _) => Some(S::Completed),
        _ => None,
    }
}

/// One signed step of an order's history.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    /// The order.
    pub order: OrderId,
    /// Position in the chain: 0 for `place`, then 1, 2, ...
    pub seq: u32,
    /// Hex SHA-256 of the previous event's body; absent for `place`.
    pub prev: Option<String>,
    /// The center that makes this step (must be the signer).
    pub by: CenterId,
    /// When, milliseconds since the epoch, UTC (the author's clock).
    pub at_ms: i64,
    /// The step.
    pub action: Action,
    /// Why (required for reject and cancel).
    pub reason: Option<String>,
    /// The order's terms; present exactly on `place`.
    pub terms: Option<OrderTerms>,
}

/// Why an order event cannot follow the chain it was offered to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// The first event must be a valid `place` by the buyer.
    #[error("{0}")]
    BadPlacement(String),
    /// The event's author is neither party of the order.
    #[error("center {0} is not a party to this order")]
    NotAParty(CenterId),
    /// The event is not the next in the chain.
    #[error("expected step {expected} after {head}, found step {found}")]
    OutOfSequence {
        /// The seq expected.
        expected: u32,
        /// Hash of the current head (first 12 hex chars).
        head: String,
        /// The seq found.
        found: u32,
    },
    /// The event names another previous event than the current head.
    #[error("the step was made on an older state of the order (it is now {0})")]
    StaleHead(&'static str),
    /// Not allowed from the current status for that party.
    #[error("a {role} center cannot {action} an order that is {status}")]
    NotAllowed {
        /// The role of the author.
        role: &'static str,
        /// The action tried.
        action: &'static str,
        /// The order's status.
        status: &'static str,
    },
    /// Reject and cancel need a reason; other fields are out of place.
    #[error("{0}")]
    BadField(String),
}

impl StepError {
    /// A stable code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadPlacement(_) => "bad_placement",
            Self::NotAParty(_) => "not_a_party",
            Self::OutOfSequence { .. } => "out_of_sequence",
            Self::StaleHead(_) => "order_moved_on",
            Self::NotAllowed { .. } => "not_allowed",
            Self::BadField(_) => "bad_field",
        }
    }
}

/// An order as its chain of events defines it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderState {
    /// The order.
    pub id: OrderId,
    /// Its terms (from the `place` event).
    pub terms: OrderTerms,
    /// Where it stands.
    pub status: Status,
    /// Seq of the last event.
    pub seq: u32,
    /// Hash of the last event's body.
    pub head: String,
    /// When it was placed (buyer's clock).
    pub placed_at_ms: i64,
    /// When the last event was made.
    pub updated_at_ms: i64,
}

impl OrderState {
    /// The role `center` plays in this order, if any.
    pub fn role_of(&self, center: &CenterId) -> Option<Role> {
        if *center == self.terms.buyer_center {
            Some(Role::Buyer)
        } else if *center == self.terms.seller_center {
            Some(Role::Seller)
        } else {
            None
        }
    }

    /// Starts an order from its `place` event (hash `hash`).
    pub fn start(event: &OrderEvent, hash: &str) -> Result<Self, StepError> {
        let bad = |m: String| Err(StepError::BadPlacement(m));
        if event.action != Action::Place || event.seq != 0 || event.prev.is_some() {
            return bad("an order starts with a 'place' step at position 0".into());
        }
        let Some(terms) = &event.terms else {
            return bad("the 'place' step carries no terms".into());
        };
        if event.by != terms.buyer_center {
            return bad(format!(
                "the order was placed by {} but names {} as the buyer center",
                event.by, terms.buyer_center
            ));
        }
        if event.reason.is_some() {
            return Err(StepError::BadField("a 'place' step has no reason".into()));
        }
        check_time(event.at_ms, TIME_MS_MIN).map_err(StepError::BadField)?;
        let valid = terms
            .validate()
            .map_err(|e| StepError::BadPlacement(e.message))?;
        if valid != *terms {
            return bad("the terms' text is not in normal form".into());
        }
        Ok(Self {
            id: event.order.clone(),
            terms: valid,
            status: Status::Placed,
            seq: 0,
            head: hash.to_owned(),
            placed_at_ms: event.at_ms,
            updated_at_ms: event.at_ms,
        })
    }

    /// The state after `event` (hash `hash`), or why it cannot follow.
    pub fn step(&self, event: &OrderEvent, hash: &str) -> Result<Self, StepError> {
        let role = self
            .role_of(&event.by)
            .ok_or(StepError::NotAParty(event.by))?;
        if event.order != self.id || event.seq != self.seq + 1 {
            return Err(StepError::OutOfSequence {
                expected: self.seq + 1,
                head: self.head.chars().take(12).collect(),
                found: event.seq,
            });
        }
        if event.prev.as_deref() != Some(self.head.as_str()) {
            return Err(StepError::StaleHead(self.status.word()));
        }
        if event.terms.is_some() {
            return Err(StepError::BadField(
                "only the 'place' step carries terms".into(),
            ));
        }
        check_time(event.at_ms, self.updated_at_ms).map_err(StepError::BadField)?;
        let status = transition(self.status, event.action, role).ok_or(StepError::NotAllowed {
            role: match role {
                Role::Buyer => "buying",
                Role::Seller => "selling",
            },
            action: event.action.word(),
            status: self.status.word(),
        })?;
        match (&event.action, &event.reason) {
            (Action::Reject | Action::Cancel, None) => {
                return Err(StepError::BadField(format!(
                    "a '{}' step needs a reason",
                    event.action.word()
                )));
            }
            (Action::Reject | Action::Cancel, Some(reason)) => {
                let valid = text_line("reason", reason, 1, REASON_CHARS_MAX)
                    .map_err(|e| StepError::BadField(e.message))?;
                if valid != *reason {
                    return Err(StepError::BadField(
                        "the reason is not in normal form".into(),
                    ));
                }
            }
            (_, Some(_)) => {
                return Err(StepError::BadField(format!(
                    "a '{}' step has no reason",
                    event.action.word()
                )));
            }
            (_, None) => {}
        }
        Ok(Self {
            status,
            seq: event.seq,
            head: hash.to_owned(),
            updated_at_ms: event.at_ms,
            ..self.clone()
        })
    }
}
