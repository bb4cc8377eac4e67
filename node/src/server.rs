//! What the JSON API and the web pages stand on: sessions and authentication
//! extractors (and, as the move goes on, the app state, the connection gate
//! and the serve loop). `http` and `web` build on this module, never on each other.

pub mod login_limit;
pub mod session;
