//! `telecenter-node`: one telecenter's node as a library.
//!
//! - [`store`]: SQLite (WAL, durable commits): signed changes, snapshots, the
//!   listing rows, orders, ledger, buyer requests, producers and sales.
//! - [`node`]: the [`Node`], which validates, signs, commits and indexes every edit,
//!   and verifies every received change before it touches anything.
//! - [`search`]: what a search means and how Indonesian text is normalised.
//! - [`http`]: the axum router (public JSON API and token-protected admin API)
//!   and the one place errors become status codes.
//! - [`data_dir`]: the layout of a node's data folder and its write lock.
//! - [`backup`]: one-file backups (database copy, sealed key, settings) and restore.
//! - [`doctor`]: the health checks of a data folder and its database, read-only.
//! - [`accounting`]: fee reports, balances, statements, CSV and the netting suggestion.
//! - [`clock`]: the injected clock (nothing else reads the OS time) and the local zone.
//! - [`password`]: the operator password's rules and argon2 hash.
//! - [`random`]: the one source of randomness (the OS generator), injected into the node.
//! - [`sheet`]: listing spreadsheets (`.csv`, `.xlsx`) read within bounds and written.

pub mod accounting;
pub mod api;
pub mod app;
pub mod backup;
pub mod clock;
pub mod data_dir;
pub mod doctor;
pub mod http;
pub mod images;
pub mod money;
pub mod net;
pub mod node;
pub mod password;
pub mod random;
pub mod sample;
pub mod search;
pub mod server;
pub mod sheet;
pub mod store;
pub mod sync;
#[cfg(test)]
mod testing;
pub mod web;

pub use clock::{Clock, ManualClock, SystemClock};
pub use data_dir::DataDir;
pub use node::{Node, NodeError};
