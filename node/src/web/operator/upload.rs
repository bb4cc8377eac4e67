//! Multipart forms with a photo (the listing forms): reading their fields into
//! a typed struct, bounded, and keeping the uploaded photo.

use std::collections::HashMap;

use axum::extract::Multipart;
use axum::extract::multipart::MultipartRejection;
use serde::de::DeserializeOwned;
use telecenter_protocol::catalog::{Lang, Photo};

use super::form::WithCsrf;
use super::i18n::operator::upload_unreadable;
use crate::node::NodeError;
use crate::server::AppState;

/// Most fields in one operator form.
const FORM_FIELDS_MAX: usize = 32;

/// A multipart form as read: its CSRF token, its other fields and the photo.
pub(super) struct Upload<T> {
    /// The CSRF token the form sent (missing: empty).
    pub(super) csrf: String,
    /// The text fields.
    pub(super) fields: T,
    /// The uploaded photo's bytes, if a file was chosen.
    pub(super) photo: Option<Vec<u8>>,
}

/// Reads a multipart form: its text fields (into `T`, decoded as a urlencoded
/// form would be; a repeated field keeps its last value) and the uploaded photo,
/// if any. The body limit is the route's; at most [`FORM_FIELDS_MAX`] fields.
/// `Err`: the problem in people's words.
pub(super) async fn read_upload<T: DeserializeOwned>(
    multipart: Result<Multipart, MultipartRejection>,
    lang: Lang,
) -> Result<Upload<T>, String> {
    let unreadable = || upload_unreadable(lang);
    let mut multipart = multipart.map_err(|_| unreadable())?;
    let mut fields = HashMap::new();
    let mut photo = None;
    while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
        if fields.len() >= FORM_FIELDS_MAX {
            return Err(unreadable());
        }
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photo" {
            let bytes = field.bytes().await.map_err(|_| unreadable())?;
            if !bytes.is_empty() {
                photo = Some(bytes.to_vec());
            }
        } else {
            let text = field.text().await.map_err(|_| unreadable())?;
            fields.insert(name, text);
        }
    }
    let encoded = serde_urlencoded::to_string(&fields).map_err(|_| unreadable())?;
    let form: WithCsrf<T> = serde_urlencoded::from_str(&encoded).map_err(|_| unreadable())?;
    Ok(Upload {
        csrf: form.csrf,
        fields: form.fields,
        photo,
    })
}

/// Stores an uploaded photo, if there is one.
pub(super) async fn store_upload(
    state: &AppState,
    upload: Option<Vec<u8>>,
) -> Result<Option<Photo>, NodeError> {
    match upload {
        None => Ok(None),
        Some(bytes) => state
            .run(move |node| node.store_photo(&bytes))
            .await
            .map(Some),
    }
}
