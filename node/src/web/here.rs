//! Where you are: the center this node belongs to, named in the header of
//! every page ("Anda di Telecenter Kota Malang" on public pages, the center
//! logged into on operator pages), and the operator pages' language switch.
//!
//! A layer ([`with_here`]) puts the own profile and the request's path at hand
//! for the page frame (a task-local, like [`super::operator::menu_count`]), so
//! no handler has to fetch and pass them along. The profile is read from the
//! node once per catalog change ([`crate::node::Node::subscribe`]) and kept in
//! [`crate::server::OwnCenter`]: a page costs no extra read, and a renamed center shows on the
//! next page.
//!
//! Operator pages take their language from the cookie only, so their
//! "English"/"Indonesia" link is the same page with `?lang=`: the layer
//! remembers it in the cookie and redirects to the page without it.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use telecenter_protocol::catalog::{Lang, Profile};

use crate::server::AppState;

tokio::task_local! {
    static HERE: Here;
}

/// What the page frame knows about the request being answered.
#[derive(Clone, Debug)]
pub(crate) struct Here {
    /// This node's own profile, if it has one yet.
    pub(crate) center: Option<Arc<Profile>>,
    /// The request's path.
    pub(crate) path: String,
    /// The request's query string without any `lang=`, if a GET.
    pub(crate) query: Option<String>,
}

impl Here {
    /// Whether the page is an operator page.
    pub(crate) fn operator(&self) -> bool {
        self.path == "/operator" || self.path.starts_with("/operator/")
    }

    /// The address of this same page in `lang` (operator GET pages only: other
    /// pages give their own).
    pub(crate) fn switch_href(&self, lang: Lang) -> Option<String> {
        let query = self.query.as_ref()?;
        let sep = if query.is_empty() { "" } else { "&" };
        Some(format!("{}?{query}{sep}lang={}", self.path, lang.code()))
    }
}

/// The own profile, read at most once per catalog change.
pub(crate) async fn own_center(state: &AppState) -> Option<Arc<Profile>> {
    // Read before the profile: a change meanwhile makes the kept copy stale for
    // one page at most, never wrong for long.
    let version = *state.node.subscribe().borrow();
    if let Some(kept) = state.here.get(version) {
        return kept;
    }
    let own = state.node.center_id();
    match state.run(move |node| node.center(&own)).await {
        Ok(profile) => {
            let profile = profile.filter(|p| !p.name.is_empty()).map(Arc::new);
            state.here.put(version, profile.clone());
            profile
        }
        Err(error) => {
            tracing::warn!(%error, "could not read the own profile for the page header");
            None
        }
    }
}

/// Runs a page request with [`Here`] at hand for [`current`]; the API and the
/// photos pass straight through. An operator `GET` with `?lang=` is answered
/// with the language cookie and a redirect to the page without it.
pub(crate) async fn with_here(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/api/") || path.starts_with("/foto/") {
        return next.run(request).await;
    }
    let get = request.method() == Method::GET;
    let mut lang = None;
    let query = get.then(|| {
        let raw = request.uri().query().unwrap_or_default();
        raw.split('&')
            .filter(|pair| match pair.strip_prefix("lang=") {
                Some(code) => {
                    lang = code.parse::<Lang>().ok().or(lang);
                    false
                }
                None => !pair.is_empty(),
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    let here = Here {
        center: own_center(&state).await,
        path,
        query,
    };
    if here.operator()
        && let (Some(lang), Some(query)) = (lang, &here.query)
    {
        let sep = if query.is_empty() { "" } else { "?" };
        let target = format!("{}{sep}{query}", here.path);
        let mut response =
            (StatusCode::SEE_OTHER, [(header::LOCATION, target.as_str())]).into_response();
        if let Ok(cookie) = HeaderValue::from_str(&super::lang_cookie(lang)) {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        return crate::server::session::no_store(response);
    }
    HERE.scope(here, next.run(request)).await
}

/// What the layer found for the page being rendered (none outside a request,
/// e.g. in unit tests of the frame).
pub(crate) fn current() -> Option<Here> {
    HERE.try_with(Clone::clone).ok()
}
