//! Errors for people: the node library's errors (`NodeError`, `DataDirError`,
//! `InvalidInput`, id errors) and the admin API's error codes, mapped by their
//! kind or code to the words of the CLI's table (`words`). What the table does
//! not cover keeps its English message.

use telecenter_node::NodeError;
use telecenter_node::data_dir::DataDirError;
use telecenter_protocol::IdError;
use telecenter_protocol::text::InvalidInput;

use crate::words::{Words, fill, words};

/// An error answer of a serving node's admin API, with its code kept so it can
/// be said in the operator's words. Displays the node's English message.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct ApiFailure {
    /// Stable code (`not_found`, `invalid_input`, `out_of_stock`, ...).
    pub(crate) code: String,
    /// The node's one line in English.
    pub(crate) message: String,
    /// For `invalid_input`: the field.
    pub(crate) field: Option<String>,
    /// For `invalid_input`: why, as a code.
    pub(crate) reason: Option<String>,
}

/// What went wrong, as the tables know it: a code, and for input errors the
/// field and its reason; `subject` fills the text's `{}` (a folder, an id).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Kind {
    pub(crate) code: String,
    pub(crate) field: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) subject: String,
    /// For a number over its limit: the limit, said with the reason.
    pub(crate) limit: Option<i64>,
}

impl Kind {
    fn of(code: &str, subject: impl std::fmt::Display) -> Self {
        Self {
            code: code.to_owned(),
            field: None,
            reason: None,
            subject: subject.to_string(),
            limit: None,
        }
    }

    fn input(error: &InvalidInput) -> Self {
        Self {
            code: "invalid_input".to_owned(),
            field: Some(error.field.to_owned()),
            reason: Some(error.code.to_owned()),
            subject: String::new(),
            limit: error.limit,
        }
    }
}

/// The kind of a node library error, by variant (as the admin API codes it,
/// with the unknown-id cases told apart).
pub(crate) fn node_kind(error: &NodeError) -> Option<Kind> {
    Some(match error {
        NodeError::Invalid(e) => Kind::input(e),
        NodeError::NoSuchListing(id) => Kind::of("unknown_listing", id),
        NodeError::UnknownListing { listing, .. } => Kind::of("listing_not_known", listing),
        NodeError::NoSuchOrder(id) => Kind::of("unknown_order", id),
        NodeError::NoSuchRequest(code) => Kind::of("unknown_request", code),
        NodeError::NoSuchSettlement(id) => Kind::of("unknown_settlement", id),
        NodeError::NoSuchProducer(n) => Kind::of("unknown_producer", n),
        NodeError::Order { code, .. } => Kind::of(code, ""),
        NodeError::Removed(id) => Kind::of("listing_removed", id),
        NodeError::Full(_) => Kind::of("catalog_full", ""),
        NodeError::NoChange => Kind::of("no_change", ""),
        NodeError::NotAccepted(center) => Kind::of("not_accepted", center.short()),
        NodeError::Image(e) => Kind::of(
            if matches!(e, telecenter_node::images::ImageError::Busy) {
                "busy"
            } else {
                "invalid_image"
            },
            "",
        ),
        _ => return None,
    })
}

/// The kind of a data folder error.
fn data_kind(error: &DataDirError) -> Option<Kind> {
    Some(match error {
        DataDirError::NotInitialised(path) => Kind::of("not_set_up", path.display()),
        DataDirError::AlreadyInitialised(path) => Kind::of("already_set_up", path.display()),
        DataDirError::MissingIdentity(path) => Kind::of("missing_identity", path.display()),
        DataDirError::Busy(path) => Kind::of("folder_busy", path.display()),
        DataDirError::Node(e) => return node_kind(e),
        _ => return None,
    })
}

/// The first error of the chain the tables know.
pub(crate) fn kind(error: &anyhow::Error) -> Option<Kind> {
    error.chain().find_map(|cause| {
        if let Some(e) = cause.downcast_ref::<NodeError>() {
            node_kind(e)
        } else if let Some(e) = cause.downcast_ref::<DataDirError>() {
            data_kind(e)
        } else if let Some(e) = cause.downcast_ref::<InvalidInput>() {
            Some(Kind::input(e))
        } else if let Some(e) = cause.downcast_ref::<IdError>() {
            Some(Kind::of(
                match e {
                    IdError::CenterId { .. } => "invalid_center_id",
                    IdError::OrderId { .. } => "invalid_order_id",
                    _ => "invalid_listing_id",
                },
                "",
            ))
        } else {
            cause.downcast_ref::<ApiFailure>().map(|e| Kind {
                code: e.code.clone(),
                field: e.field.clone(),
                reason: e.reason.clone(),
                subject: String::new(),
                limit: None,
            })
        }
    })
}

/// The text of `kind` in `w`, if the table has one.
pub(crate) fn said(w: &Words, kind: &Kind) -> Option<String> {
    fn find(table: &[(&'static str, &'static str)], key: &str) -> Option<&'static str> {
        table.iter().find(|(k, _)| *k == key).map(|(_, text)| *text)
    }
    if kind.code == "invalid_input" {
        let field = kind.field.as_deref().unwrap_or("");
        let gloss = find(w.fields, field)?;
        let reason = kind
            .reason
            .as_deref()
            .and_then(|r| find(w.reasons, r))
            .unwrap_or(w.reason_other);
        return Some(match kind.limit {
            Some(limit) => format!(
                "{gloss}: {reason} ({})",
                fill(w.at_most, &[&telecenter_node::money::format_whole(limit)])
            ),
            None => format!("{gloss}: {reason}"),
        });
    }
    find(w.errors, &kind.code).map(|text| fill(text, &[&kind.subject]))
}

/// One line for an input check refused (a value an option's parser read): the
/// table's words, else the check's own message.
pub(crate) fn input_line(error: &InvalidInput) -> String {
    said(words(), &Kind::input(error)).unwrap_or_else(|| error.message.clone())
}

/// One line for people: the table's words for a known kind, else the context
/// chain joined with `: ` as `{:#}` does, a file error's cause in the table's
/// words when it has them ("the file does not exist").
pub(crate) fn line(error: &anyhow::Error) -> String {
    let w = words();
    if let Some(text) = kind(error).and_then(|k| said(w, &k)) {
        return text;
    }
    error
        .chain()
        .map(|cause| {
            let io = cause
                .downcast_ref::<std::io::Error>()
                .and_then(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => Some(w.io_not_found),
                    std::io::ErrorKind::PermissionDenied => Some(w.io_permission_denied),
                    _ => None,
                });
            io.map_or_else(|| cause.to_string(), str::to_owned)
        })
        .collect::<Vec<_>>()
        .join(": ")
}

/// Every code `kind` can give for a library error (for the test that walks the table).
#[cfg(test)]
pub(crate) const CODES: &[&str] = &[
    "not_set_up",
    "already_set_up",
    "missing_identity",
    "folder_busy",
    "unknown_listing",
    "listing_not_known",
    "unknown_order",
    "unknown_request",
    "unknown_settlement",
    "unknown_producer",
    "listing_removed",
    "catalog_full",
    "no_change",
    "not_accepted",
    "busy",
    "invalid_image",
    "invalid_center_id",
    "invalid_order_id",
    "invalid_listing_id",
    "not_found",
    "out_of_stock",
    "price_changed",
    "not_allowed",
    "reason_required",
    "request_answered",
    "requests_full",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::{Lang, table};

    #[test]
    fn every_error_code_has_an_indonesian_text() {
        let id = table(Lang::Id);
        for code in CODES {
            let kind = Kind::of(code, "X");
            assert!(said(id, &kind).is_some(), "{code} has no Indonesian text");
        }
        for field in [
            "title",
            "price_idr",
            "price",
            "stock",
            "category",
            "quantity",
        ] {
            let kind = Kind {
                code: "invalid_input".into(),
                field: Some(field.into()),
                reason: Some("empty".into()),
                subject: String::new(),
                limit: None,
            };
            assert!(said(id, &kind).is_some(), "field {field}");
        }
    }

    #[test]
    fn library_errors_are_said_by_kind_and_others_keep_their_message() {
        let id = table(Lang::Id);
        let error = anyhow::Error::from(DataDirError::NotInitialised("/x".into()));
        let text = said(id, &kind(&error).expect("known")).expect("said");
        assert!(text.contains("/x") && text.contains("belum"), "{text}");
        let error =
            anyhow::Error::from(InvalidInput::new("title", "empty", "title is empty".into()))
                .context("cannot add");
        let text = said(id, &kind(&error).expect("known")).expect("said");
        assert_eq!(text, "judul produk: wajib diisi");
        assert!(kind(&anyhow::anyhow!("something else")).is_none());
    }
}
