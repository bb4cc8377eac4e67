//! The JSON shapes of the HTTP API (`/api/v1/...`), shared by the server and by
//! the CLI when it talks to a running node. Field names are part of the public
//! API: extend, never rename.

use serde::{Deserialize, Serialize};
use telecenter_protocol::catalog::{Lang, LocalizedText, Profile};

use crate::clock::rfc3339_utc;
use crate::store::{ListingRow, SearchPage};

/// `GET /api/v1/info`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct InfoView {
    /// The center's id.
    pub center_id: String,
    /// Its name.
    pub name: String,
    /// Its kabupaten or kota.
    pub region: String,
    /// How to reach it.
    pub contact: String,
    /// The telecenter version serving.
    pub version: String,
}

impl InfoView {
    /// The info of a center with `profile`.
    pub fn new(profile: &Profile) -> Self {
        Self {
            center_id: profile.center.to_string(),
            name: profile.name.clone(),
            region: profile.region.clone(),
            contact: profile.contact.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// One listing on the API.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ListingView {
    /// Listing id (unique within its center).
    pub id: String,
    /// The selling center.
    pub center_id: String,
    /// The selling center's name.
    pub center_name: String,
    /// The selling center's region.
    pub center_region: String,
    /// Title in the requested language (falling back to Indonesian).
    pub title: String,
    /// Description in the requested language (falling back to Indonesian).
    pub description: String,
    /// Every translation of the title.
    pub titles: LocalizedText,
    /// Category slug.
    pub category: String,
    /// Category name in the requested language.
    pub category_label: String,
    /// Price of one unit in whole rupiah.
    pub price_idr: i64,
    /// Unit of sale.
    pub unit: String,
    /// Units in stock.
    pub stock: i64,
    /// Who makes it.
    pub producer: String,
    /// `active`, `hidden` or `removed`.
    pub status: String,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
    /// When it last changed (RFC 3339, UTC).
    pub updated_at: String,
}

impl ListingView {
    /// The API form of an indexed listing, with text in `lang`.
    pub fn new(row: &ListingRow, lang: Lang) -> Self {
        let l = &row.listing;
        Self {
            id: l.id.to_string(),
            center_id: row.center_id.to_string(),
            center_name: row.center_name.clone(),
            center_region: row.center_region.clone(),
            title: l.title.get(lang).to_owned(),
            description: l.description.get(lang).to_owned(),
            titles: l.title.clone(),
            category: l.category.slug().to_owned(),
            category_label: l.category.label(lang).to_owned(),
            price_idr: l.price_idr,
            unit: l.unit.clone(),
            stock: l.stock,
            producer: l.producer.clone(),
            status: l.status.word().to_owned(),
            created_at: rfc3339_utc(l.created_at_ms),
            updated_at: rfc3339_utc(l.updated_at_ms),
        }
    }
}

/// `GET /api/v1/listings`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ListingsView {
    /// Matching listings in all.
    pub total: u64,
    /// This page.
    pub items: Vec<ListingView>,
}

impl ListingsView {
    /// The API form of a search page.
    pub fn new(page: &SearchPage, lang: Lang) -> Self {
        Self {
            total: page.total,
            items: page
                .items
                .iter()
                .map(|row| ListingView::new(row, lang))
                .collect(),
        }
    }
}

/// The body of every error response: `{"error": {"code", "message"}}`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_input`, `not_found`.
    pub code: String,
    /// One line in plain words.
    pub message: String,
    /// For `invalid_input`: the field that was wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `invalid_input`: why, as a code (`too_long`, `negative`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Formats whole rupiah the Indonesian way: `Rp 15.000`, `Rp 1.250.000`.
pub fn format_rupiah(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let sign = if amount < 0 { "-" } else { "" };
    format!("{sign}Rp {grouped}")
}

#[cfg(test)]
mod tests {
    use super::format_rupiah;

    #[test]
    fn rupiah_is_grouped_with_dots() {
        assert_eq!(format_rupiah(0), "Rp 0");
        assert_eq!(format_rupiah(500), "Rp 500");
        assert_eq!(format_rupiah(15_000), "Rp 15.000");
        assert_eq!(format_rupiah(1_250_000), "Rp 1.250.000");
        assert_eq!(format_rupiah(-2_000), "-Rp 2.000");
    }
}
