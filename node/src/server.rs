//! What every request passes through before and around a handler, and nothing
//! of what the handlers do: the shared [`AppState`], who may call
//! ([`auth`]: admin token, peer hop; [`session`]: operator login, with
//! [`login_limit`] for wrong passwords), the gates
//! that run before a body is read ([`gate`]), the one mapping from errors to
//! status codes ([`error`]), shared replies ([`reply`]) and the serve loop with
//! its connection and time bounds and HTTPS ([`serve`]).
//!
//! The JSON API (`crate::http`) and the pages (`crate::web`) sit on top of this
//! module and never import each other; `crate::app` puts their routes together.

pub mod auth;
pub mod error;
pub mod extract;
pub mod gate;
pub mod login_limit;
pub mod reply;
pub mod request_limit;
pub mod serve;
pub mod session;
pub mod state;

pub use auth::{AdminToken, PairHop, PeerHop};
pub use error::{ApiError, ApiResult, NO_SUCH_ADDRESS, REQUEST_BODY_BYTES_MAX};
pub use extract::{ApiJson, ApiPath, ApiQuery};
pub use serve::{
    OnStopping, SHUTDOWN_GRACE_MS, ServeOptions, ServerLimits, Stopping, load_tls, serve_router,
    shutdown_signal,
};
pub use session::{OperatorSession, OperatorState};
pub use state::{AppState, Merged, OwnCenter, PolledMaps, PublicUrl};
