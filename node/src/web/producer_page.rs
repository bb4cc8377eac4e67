//! The public page of a producer (`/produsen/{center}/{key}`): their name and
//! village and the products a center sells for them. It is built from the
//! catalog alone, so it works for every center's producers, not only this
//! center's: the products are that center's active listings whose `producer`
//! and `producer_village` have the key `key` ([`key`]), or whose `producer`
//! alone has it (the address before villages were published). Nothing private of a producer (contact,
//! bank account, WhatsApp) is in the catalog, so nothing private can show here.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;
use telecenter_protocol::CenterId;
use telecenter_protocol::catalog::Listing;
use telecenter_protocol::limits::LISTINGS_PER_CATALOG_MAX;

use super::i18n::producers::producer_words;
use super::public::{cards, failure, lang_of, not_found};
use super::{page, respond};
use crate::server::AppState;

/// Most products the page shows.
pub(crate) const PRODUCER_PAGE_LISTINGS_MAX: usize = 100;
/// Most characters of a key (longer ones match nothing).
pub(crate) const PRODUCER_KEY_CHARS_MAX: usize = 200;

/// The key of a producer name in addresses: lower-case ASCII letters and
/// digits, every other run of characters one `-` (`Bu Sari, Tulungrejo` →
/// `bu-sari-tulungrejo`); a name with no such characters is `produsen`.
pub(crate) fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "produsen".to_owned()
    } else {
        out
    }
}

/// The address of the page of the producer called `name` at `center`, by
/// name alone (the address before villages were published; it still answers).
pub(crate) fn href(center: &CenterId, name: &str) -> String {
    format!("/produsen/{center}/{}", slug(name))
}

/// The key of a producer in addresses: the slug of the name and village
/// (`Bu Sari`, `Tulungrejo` → `bu-sari-tulungrejo`), so that two producers of
/// one center with the same name have two pages; with no village, the slug of
/// the name, as before villages were published.
pub(crate) fn key(name: &str, village: &str) -> String {
    if village.is_empty() {
        slug(name)
    } else {
        slug(&format!("{name} {village}"))
    }
}

/// The address of the page of the producer of `listing` at `center`.
pub(crate) fn listing_href(center: &CenterId, listing: &Listing) -> String {
    format!(
        "/produsen/{center}/{}",
        key(&listing.producer, &listing.producer_village)
    )
}

/// A producer as people read it: `Bu Sari (Tulungrejo)`, or the name alone
/// when the catalog gives no village.
pub(crate) fn label(name: &str, village: &str) -> String {
    if village.is_empty() {
        name.to_owned()
    } else {
        format!("{name} ({village})")
    }
}

/// Whether `listing` is one of the products on the page with `wanted` as its
/// key: by name and village, or by name alone (the older address).
fn is_of(listing: &Listing, wanted: &str) -> bool {
    key(&listing.producer, &listing.producer_village) == wanted || slug(&listing.producer) == wanted
}

/// `GET /produsen/{center}/{key}`.
pub(super) async fn producer(
    State(state): State<AppState>,
    Path((center, key)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (lang, remember, t) = lang_of(&params, &headers);
    let Ok(center) = center.parse::<CenterId>() else {
        return not_found(t, lang, remember);
    };
    if key.chars().count() > PRODUCER_KEY_CHARS_MAX || key != slug(&key) {
        return not_found(t, lang, remember);
    }
    let wanted = key.clone();
    let found = state
        .run(move |node| {
            let rows =
                node.with_reader(|s| s.listings_with_producer(&center, LISTINGS_PER_CATALOG_MAX))?;
            let mut mine: Vec<_> = rows
                .into_iter()
                .filter(|row| is_of(&row.listing, &wanted))
                .collect();
            mine.truncate(PRODUCER_PAGE_LISTINGS_MAX);
            Ok(mine)
        })
        .await;
    let rows = match found {
        Ok(rows) if !rows.is_empty() => rows,
        Ok(_) => return not_found(t, lang, remember),
        Err(error) => return failure(t, lang, remember, &error),
    };
    let first = &rows[0];
    // The old address by name alone may gather namesakes of several villages:
    // the village is named only when all the products share it.
    let village = if rows
        .iter()
        .all(|r| r.listing.producer_village == first.listing.producer_village)
    {
        first.listing.producer_village.as_str()
    } else {
        ""
    };
    let name = label(&first.listing.producer, village);
    let w = producer_words(lang);
    let body = html! {
        h1 { (name) }
        p.muted {
            (t.sold_by) ": " a href=(format!("/pusat/{}", first.center_id)) { (first.center_name) } " (" (first.center_region) ")"
        }
        h2 { (w.products_of) " " (name) }
        (cards(t, lang, &rows))
    };
    let switch = format!(
        "/produsen/{}/{key}?lang={}",
        first.center_id, t.other_language_code
    );
    respond(
        StatusCode::OK,
        lang,
        remember,
        page(t, &name, &switch, body),
    )
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn a_slug_keeps_ascii_letters_and_digits_and_joins_the_rest() {
        assert_eq!(slug("Bu Sari"), "bu-sari");
        assert_eq!(slug("  KUB Mawar 2, Tulungrejo!"), "kub-mawar-2-tulungrejo");
        assert_eq!(slug("Ibu Ëni"), "ibu-ni");
        assert_eq!(slug("—"), "produsen");
        assert_eq!(slug(&slug("Pak  Rahmat")), "pak-rahmat");
    }
}
