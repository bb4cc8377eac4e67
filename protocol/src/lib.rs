//! `telecenter-protocol`: the pure core of telecenter.
//!
//! This crate owns what two telecenter nodes must agree on, and nothing else:
//! center identities and their printable form ([`CenterId`]), the signed-change
//! envelope ([`SignedChange`]), the catalog document schema ([`catalog`]), orders
//! and pair messages ([`order`], [`pair`], [`sealed`]), and the validation rules
//! and size limits ([`limits`], [`text`], [`catalog::input`]).
//!
//! Its top-level modules form layers without loops (`tests/layout.rs` checks it):
//! `limits`, `text`, `id`, `b64` at the bottom; then `phone`, `identity`, `address`, `fee`,
//! `epoch`; then `envelope`, `hop`, `sealed`, `netting`, `sync`; then `catalog` and `order`;
//! `pair` on `order`.
//!
//! It does no I/O, reads no clock and draws no randomness of its own: callers pass
//! the time and the random source in. That keeps it deterministic, easy to test and
//! fuzzable. The wire format is written up in `docs/protocol.md`.

pub mod address;
pub mod b64;
pub mod card;
pub mod catalog;
pub mod change_ops;
pub mod envelope;
pub mod epoch;
pub mod fee;
pub mod hop;
pub mod id;
pub mod identity;
pub mod limits;
pub mod netting;
pub mod order;
pub mod pair;
pub mod phone;
pub mod sealed;
pub mod sync;
pub mod text;

pub use catalog::{CatalogDoc, Category, Listing, ListingStatus, LocalizedText, Profile};
pub use envelope::{SignedChange, VerifiedChange, VerifyError};
pub use epoch::{ChainId, EpochId};
pub use id::{CenterId, DocId, DocKind, IdError, ListingId};
pub use identity::Identity;
