//! Orders between two centers, their signed pair messages, the order state
//! machine, and the fee arithmetic that turns a completed order into ledger
//! entries.
//!
//! An order lives on exactly two nodes: the *buyer* center (where the order was
//! placed) and the *seller* center (whose catalog lists the product). Its history
//! is a hash chain of [`OrderEvent`]s, each signed by the center that made that
//! step. The seller's node is the sequencer: its own steps enter the chain
//! directly, the buyer's steps are proposals that enter the chain when the
//! seller's node appends them. So there is never a fork to resolve; a proposal
//! built on an old head is refused with the reason. `docs/protocol.md` §11
//! describes the wire format and every rule checked here.
//!
//! This file owns the order id and the time rule; the rest is one job per child:
//! `terms` (what is ordered), `state` (the state machine and the chain checks),
//! `message` (signed pair messages and settlement bodies), `ledger` (entries).

use std::fmt;
use std::str::FromStr;

use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::id::IdError;

/// Domain tag of every signed pair message.
pub const PAIR_DOMAIN: &[u8] = b"telecenter v1 pair-message\0";
/// Version of the pair message format.
pub const PAIR_VERSION: u32 = 1;

/// Characters of an order or settlement id.
pub const ORDER_ID_LEN: usize = 12;

/// The id of an order or a settlement: twelve characters of Crockford base32
/// (60 random bits), drawn by the center that creates it, e.g. `q3k9v2m7xa4d`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(String);

impl OrderId {
    /// Draws a new random id.
    pub fn random(rng: &mut dyn RngCore) -> Self {
        Self(crate::id::random_id(rng, ORDER_ID_LEN))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrderId({})", self.0)
    }
}

impl FromStr for OrderId {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        crate::id::parse_id(text, ORDER_ID_LEN)
            .map(Self)
            .ok_or_else(|| IdError::OrderId {
                found: crate::id::shorten(text),
            })
    }
}

impl Serialize for OrderId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OrderId {
    /// On the wire an id has exactly one form: twelve lower-case characters, so
    /// a signed body has one meaning (people's input goes through `FromStr`,
    /// which also takes upper case and spaces).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.parse::<Self>() {
            Ok(id) if id.0 == text => Ok(id),
            _ => Err(serde::de::Error::custom(format!(
                "{text:?} is not an order id in wire form (12 lower-case characters)"
            ))),
        }
    }
}

/// Earliest time accepted on a step, payment or reply (2020-01-01T00:00:00Z): a
/// PC whose clock was reset must not book entries into a long-closed month.
pub const TIME_MS_MIN: i64 = 1_577_836_800_000;
/// How far a step may lie before the previous one (the two centers' clocks differ).
pub const CLOCK_SKEW_MS_MAX: i64 = 5 * 60 * 1000;

/// Checks a time on a signed body: not before [`TIME_MS_MIN`], and not more than
/// [`CLOCK_SKEW_MS_MAX`] before `after_ms` (the time of what it follows).
pub fn check_time(at_ms: i64, after_ms: i64) -> Result<(), String> {
    if at_ms < TIME_MS_MIN {
        return Err(format!(
            "the time {at_ms} is before 2020; check the clock of the computer that made it"
        ));
    }
    if at_ms < after_ms.saturating_sub(CLOCK_SKEW_MS_MAX) {
        return Err(format!(
            "the time {at_ms} is more than 5 minutes before the step it follows ({after_ms}); check the clocks"
        ));
    }
    Ok(())
}

mod ledger;
mod message;
mod state;
mod terms;

pub use ledger::*;
pub use message::*;
pub use state::*;
pub use terms::*;

#[cfg(test)]
mod tests;
