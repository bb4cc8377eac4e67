//! [`CsrfForm`]: a typed operator form that is let through only with a live
//! session and that session's CSRF token.

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use telecenter_protocol::catalog::Lang;

use super::{expired, lang};
use crate::server::AppState;
use crate::server::session::OperatorSession;

/// A form's fields `T` and the CSRF token that comes with them.
#[derive(Deserialize)]
pub(super) struct WithCsrf<T> {
    /// The session's CSRF token, as the form sent it (missing: empty).
    #[serde(default)]
    pub(super) csrf: String,
    /// Everything else.
    #[serde(flatten)]
    pub(super) fields: T,
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub(crate) struct NoFields {}

/// A urlencoded form posted by a logged-in operator with the session's CSRF
/// token: `T` is a `serde` struct of the other fields (give them
/// `#[serde(default)]` so a missing field reads as empty).
///
/// Rejections, in order: no live session → redirect to the login page; a body
/// that is not a urlencoded form → axum's `Form` rejection; a missing or wrong
/// CSRF token → the "form expired" page (403).
pub(crate) struct CsrfForm<T> {
    /// The operator's session (its CSRF token goes into the next page's forms).
    pub(crate) session: OperatorSession,
    /// The page language.
    pub(crate) lang: Lang,
    /// The form's fields.
    pub(crate) fields: T,
}

impl<T> FromRequest<AppState> for CsrfForm<T>
where
    T: DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let session = OperatorSession::from_request_parts(&mut parts, state).await?;
        let lang = lang(&parts.headers);
        let request = Request::from_parts(parts, body);
        let Form(form) = Form::<WithCsrf<T>>::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if !session.csrf_matches(&form.csrf) {
            return Err(expired(lang));
        }
        Ok(Self {
            session,
            lang,
            fields: form.fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::WithCsrf;

    #[derive(Deserialize)]
    struct Fields {
        #[serde(default)]
        name: String,
        #[serde(default)]
        note: Option<String>,
    }

    #[test]
    fn form_fields_and_the_csrf_token_are_read_apart_and_missing_ones_are_empty() {
        let form: WithCsrf<Fields> =
            serde_urlencoded::from_str("name=Kopi+Dampit&csrf=ab12&extra=1").unwrap();
        assert_eq!(form.csrf, "ab12");
        assert_eq!(form.fields.name, "Kopi Dampit");
        assert_eq!(form.fields.note, None);
        let form: WithCsrf<Fields> = serde_urlencoded::from_str("note=").unwrap();
        assert_eq!(form.csrf, "");
        assert_eq!(form.fields.name, "");
        assert_eq!(form.fields.note.as_deref(), Some(""));
    }
}
