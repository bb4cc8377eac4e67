//! The one place where an error becomes a status code and a JSON reason
//! (`{"error": {"code", "message"}}`), for the JSON API and the gates.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use telecenter_protocol::text::InvalidInput;

use crate::api::{ErrorBody, ErrorDetail};
use crate::node::{NodeError, reject_code};

/// Largest request body accepted, in bytes.
pub const REQUEST_BODY_BYTES_MAX: usize = 64 * 1024;

/// The JSON API's answer to an address that does not exist (also what the
/// network gets for the admin API).
pub const NO_SUCH_ADDRESS: &str = "no such address on this node";

/// Every way a request can fail, and the only place that picks status codes.
#[derive(Debug)]
pub enum ApiError {
    /// A node operation failed.
    Node(NodeError),
    /// The request itself is malformed.
    BadRequest {
        /// Machine code.
        code: &'static str,
        /// Plain message.
        message: String,
    },
    /// The body is over the limit of its route (in bytes).
    TooLarge(usize),
    /// The body is not declared as JSON.
    UnsupportedMediaType,
    /// Missing or wrong admin token.
    Unauthorized,
    /// A peer request's authentication failed (`true`: the sender is known but not allowed).
    PeerAuth(String, bool),
    /// A peer sent too many requests.
    RateLimited,
    /// No such route or resource.
    NotFound(String),
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// The request was not answered in time.
    Timeout,
    /// The node has no room for this request now; try again shortly.
    Busy,
}

impl From<NodeError> for ApiError {
    fn from(error: NodeError) -> Self {
        ApiError::Node(error)
    }
}

impl From<InvalidInput> for ApiError {
    fn from(error: InvalidInput) -> Self {
        ApiError::Node(NodeError::Invalid(error))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::TooLarge(REQUEST_BODY_BYTES_MAX);
        }
        if let JsonRejection::MissingJsonContentType(_) = rejection {
            return ApiError::UnsupportedMediaType;
        }
        ApiError::BadRequest {
            code: "invalid_json",
            message: rejection.body_text(),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest {
            code: "invalid_query",
            message: rejection.body_text(),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::BadRequest {
            code: "invalid_path",
            message: rejection.body_text(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, field, reason) = match self {
            ApiError::Node(error) => match error {
                NodeError::Invalid(e) => (
                    StatusCode::BAD_REQUEST,
                    "invalid_input",
                    e.message.clone(),
                    Some(e.field.to_owned()),
                    Some(e.code.to_owned()),
                ),
                e @ (NodeError::NoSuchListing(_)
                | NodeError::UnknownListing { .. }
                | NodeError::NoSuchOrder(_)
                | NodeError::NoSuchRequest(_)
                | NodeError::NoSuchSettlement(_)) => {
                    (StatusCode::NOT_FOUND, "not_found", e.to_string(), None, None)
                }
                e @ NodeError::NoSuchProducer(_) => (
                    StatusCode::NOT_FOUND,
                    "unknown_producer",
                    e.to_string(),
                    None,
                    None,
                ),
                NodeError::Order { code, message } => {
                    (StatusCode::CONFLICT, code, message, None, None)
                }
                e @ NodeError::Removed(_) => {
                    (StatusCode::CONFLICT, "listing_removed", e.to_string(), None, None)
                }
                e @ NodeError::Full(_) => {
                    (StatusCode::CONFLICT, "catalog_full", e.to_string(), None, None)
                }
                e @ NodeError::NoChange => {
                    (StatusCode::BAD_REQUEST, "no_change", e.to_string(), None, None)
                }
                NodeError::Image(crate::images::ImageError::Busy) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "the node is busy with other photos; try again in a few seconds".to_owned(),
                    None,
                    None,
                ),
                NodeError::Sheet(e) => (
                    StatusCode::BAD_REQUEST,
                    e.code(),
                    e.to_string(),
                    Some("file".to_owned()),
                    None,
                ),
                NodeError::Image(e) => (
                    StatusCode::BAD_REQUEST,
                    "invalid_image",
                    e.to_string(),
                    Some("photo".to_owned()),
                    None,
                ),
                e @ NodeError::NotAccepted(_) => {
                    (StatusCode::FORBIDDEN, "not_accepted", e.to_string(), None, None)
                }
                e @ (NodeError::Conflict(_)
                | NodeError::QueueFull
                | NodeError::TooManyEpochs { .. }) => {
                    (StatusCode::CONFLICT, reject_code(&e), e.to_string(), None, None)
                }
                e @ (NodeError::Rejected(_) | NodeError::Schema(_)) => {
                    (StatusCode::BAD_REQUEST, "change_rejected", e.to_string(), None, None)
                }
                e @ NodeError::MissingDependencies { .. } => {
                    (StatusCode::CONFLICT, "missing_dependencies", e.to_string(), None, None)
                }
                e @ (NodeError::Store(_)
                | NodeError::Internal(_)
                | NodeError::AlreadyCreated(_)) => {
                    // 5xx hide internals; the log has the details.
                    tracing::error!(error = %e, "request failed inside the node");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "the node could not complete the request; the operator can find details in its log".to_owned(),
                        None,
                        None,
                    )
                }
            },
            ApiError::BadRequest { code, message } => {
                (StatusCode::BAD_REQUEST, code, message, None, None)
            }
            ApiError::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("request body may be at most {limit} bytes"),
                None,
                None,
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the request body must be JSON with Content-Type: application/json".to_owned(),
                None,
                None,
            ),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this needs the node's admin token (Authorization: Bearer <token from DATA/admin.token>)".to_owned(),
                None,
                None,
            ),
            ApiError::PeerAuth(message, forbidden) => (
                if forbidden { StatusCode::FORBIDDEN } else { StatusCode::UNAUTHORIZED },
                if forbidden { "peer_not_allowed" } else { "peer_auth" },
                message,
                None,
                None,
            ),
            ApiError::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests from this peer; slow down".to_owned(),
                None,
                None,
            ),
            ApiError::NotFound(what) => (StatusCode::NOT_FOUND, "not_found", what, None, None),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this address does not accept that method".to_owned(),
                None,
                None,
            ),
            ApiError::Timeout => (
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "the request took too long; try again".to_owned(),
                None,
                None,
            ),
            ApiError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the node is busy with other requests; try again in a few seconds".to_owned(),
                None,
                None,
            ),
        };
        if status.is_client_error() {
            tracing::debug!(%status, code, %message, "request rejected");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
                field,
                reason,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        }
        response
    }
}

/// What a handler of the JSON API returns.
pub type ApiResult<T> = Result<T, ApiError>;
