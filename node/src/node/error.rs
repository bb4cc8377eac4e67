//! Why node operations fail: [`NodeError`] and the machine codes of rejected changes.

use std::path::PathBuf;

use telecenter_protocol::catalog::CatalogError;
use telecenter_protocol::text::InvalidInput;
use telecenter_protocol::{CenterId, ListingId, VerifyError};

use crate::store::StoreError;

/// Why a node operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The caller's input is invalid.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// No such listing in this center's catalog.
    #[error("no listing with id {0} in this center's catalog")]
    NoSuchListing(ListingId),
    /// No such listing anywhere in the index.
    #[error("listing {listing} of center {center} is not known here")]
    UnknownListing {
        /// The center.
        center: CenterId,
        /// The listing.
        listing: ListingId,
    },
    /// The listing was removed; removal cannot be undone.
    #[error("listing {0} was removed and cannot be changed")]
    Removed(ListingId),
    /// The catalog is full.
    #[error("{0}")]
    Full(String),
    /// The request changes nothing.
    #[error("nothing to change: give at least one field to update")]
    NoChange,
    /// A signed change was rejected.
    #[error("change rejected: {0}")]
    Rejected(#[from] VerifyError),
    /// A change arrived before changes it depends on.
    #[error("change depends on {missing} change(s) this node does not have yet")]
    MissingDependencies {
        /// How many dependencies are missing.
        missing: usize,
    },
    /// The change's catalog is not accepted here (not trusted, not vouched for, or blocked).
    #[error("the catalog of {0} is not accepted by this node")]
    NotAccepted(CenterId),
    /// The change conflicts with one already held.
    #[error("conflicting change: {0}")]
    Conflict(String),
    /// The change would open one writing epoch more than a catalog may have.
    #[error(
        "{center} already has {max} writing epochs, the most a catalog may have; a change of another epoch is refused"
    )]
    TooManyEpochs {
        /// The catalog's owner.
        center: CenterId,
        /// The limit.
        max: usize,
    },
    /// Too many changes are waiting for their predecessors.
    #[error("too many changes are waiting for earlier changes; send the earlier ones first")]
    QueueFull,
    /// A received document does not follow the catalog schema.
    #[error("change rejected: {0}")]
    Schema(String),
    /// `create` was called on a database that already holds documents.
    #[error("{} already holds a center's catalog", .0.display())]
    AlreadyCreated(PathBuf),
    /// An uploaded photo is not usable.
    #[error(transparent)]
    Image(#[from] crate::images::ImageError),
    /// An uploaded spreadsheet cannot be read.
    #[error(transparent)]
    Sheet(#[from] crate::sheet::SheetError),
    /// Storage failed (the node's fault, not the caller's).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No such order on this node.
    #[error("no order with id {0} on this node")]
    NoSuchOrder(telecenter_protocol::order::OrderId),
    /// No such buyer request on this node.
    #[error("no buyer request with code {0} on this node")]
    NoSuchRequest(String),
    /// No such settlement on this node.
    #[error("no settlement with id {0} on this node")]
    NoSuchSettlement(telecenter_protocol::order::OrderId),
    /// No such producer at this center.
    #[error("no producer with number {0} at this center")]
    NoSuchProducer(i64),
    /// An order or settlement step cannot be taken now (state, stock, price...).
    #[error("{message}")]
    Order {
        /// A stable code for programs (`out_of_stock`, `price_changed`, ...).
        code: &'static str,
        /// One line in plain words.
        message: String,
    },
    /// Something inside the node went wrong.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<CatalogError> for NodeError {
    fn from(error: CatalogError) -> Self {
        match error {
            CatalogError::NoSuchListing(id) => NodeError::NoSuchListing(id),
            CatalogError::Removed(id) => NodeError::Removed(id),
            CatalogError::Full => NodeError::Full(error.to_string()),
            CatalogError::NoChange => NodeError::NoChange,
            CatalogError::Schema(e) => NodeError::Schema(e.to_string()),
            e @ CatalogError::MissingDependencies(_) => NodeError::Conflict(e.to_string()),
            other => NodeError::Internal(other.to_string()),
        }
    }
}

/// A machine code for a rejected change.
pub fn reject_code(error: &NodeError) -> &'static str {
    match error {
        NodeError::Rejected(e) => match e {
            VerifyError::TooShort { .. } => "too_short",
            VerifyError::TooLarge { .. } => "too_large",
            VerifyError::UnsupportedVersion { .. } => "unsupported_version",
            VerifyError::UnknownDocKind { .. } => "unknown_document_kind",
            VerifyError::WrongDocument { .. } => "wrong_document",
            VerifyError::Unauthorised { .. } => "unauthorised",
            VerifyError::BadKey { .. } | VerifyError::BadSignature { .. } => "bad_signature",
            VerifyError::MalformedChange { .. } => "malformed_change",
            VerifyError::CompressedChange { .. } => "compressed_change",
            VerifyError::ChangeOverLimit { .. } => "change_over_limit",
            VerifyError::ActorMismatch { .. } => "actor_mismatch",
        },
        NodeError::NotAccepted(_) => "not_accepted",
        NodeError::Conflict(_) => "conflicting_change",
        NodeError::QueueFull => "queue_full",
        NodeError::TooManyEpochs { .. } => "too_many_epochs",
        NodeError::Schema(_) => "schema_violation",
        _ => "internal",
    }
}
