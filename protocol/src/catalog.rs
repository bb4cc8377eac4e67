//! The catalog document: one Automerge document per center, holding its profile
//! and its listings, written only by that center's key.
//!
//! Layout of the document (all keys fixed; see `docs/protocol.md`):
//!
//! ```text
//! ROOT
//! ├─ "schema": uint 1
//! ├─ "center": map { "id", "name", "region", "contact": str, "updated_at": timestamp ms,
//! │                   "whatsapp"?: str (`+62…`) }
//! └─ "listings": map { <listing id>: map {
//!        "title": map { "id": str, "en"?: str, "jv"?: str },
//!        "description": map { "id"?: str, "en"?: str, "jv"?: str },
//!        "category": str, "price_idr": int, "unit": str, "stock": int,
//!        "producer": str, "producer_village"?: str, "status": "active" | "hidden",
//!        "created_at": timestamp ms, "updated_at": timestamp ms,
//!        "removed_at"?: timestamp ms } }
//! ```
//!
//! Removal writes the tombstone `removed_at` and never deletes the listing's map,
//! so a removal converges: no concurrent edit can bring a removed listing back,
//! because nothing ever deletes `removed_at` (a listing with it is removed, whatever
//! its `status`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use automerge::AutomergeError;
use automerge::legacy::ObjectId;
use serde::{Deserialize, Serialize};

use crate::change_ops::fresh::FreshObjects;
use crate::fee::FeeTerms;
use crate::id::{CenterId, ListingId};
use crate::limits::*;

/// The schema version written into every catalog.
pub const CATALOG_SCHEMA: u64 = 1;

/// The languages a listing's text can be written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Bahasa Indonesia, required for every listing.
    #[default]
    Id,
    /// English.
    En,
    /// Basa Jawa.
    Jv,
}

impl Lang {
    /// All languages, Indonesian first.
    pub const ALL: [Lang; 3] = [Lang::Id, Lang::En, Lang::Jv];

    /// The two-letter code used as a key in the document and on the API.
    pub const fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
            Lang::Jv => "jv",
        }
    }
}

impl FromStr for Lang {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, ()> {
        Lang::ALL
            .into_iter()
            .find(|l| l.code() == text.to_ascii_lowercase())
            .ok_or(())
    }
}

/// Text in up to three languages; Indonesian is the fallback.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalizedText {
    /// Indonesian text.
    pub id: String,
    /// English text, if any.
    pub en: Option<String>,
    /// Javanese text, if any.
    pub jv: Option<String>,
}

impl LocalizedText {
    /// The text in `lang`, falling back to Indonesian.
    pub fn get(&self, lang: Lang) -> &str {
        let translated = match lang {
            Lang::Id => None,
            Lang::En => self.en.as_deref(),
            Lang::Jv => self.jv.as_deref(),
        };
        translated.filter(|t| !t.is_empty()).unwrap_or(&self.id)
    }
}

macro_rules! categories {
    ($($variant:ident => $slug:literal, $id:literal, $en:literal;)*) => {
        /// Product categories.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Category {
            $(
                #[doc = $en]
                $variant,
            )*
        }

        impl Category {
            /// Every category, in display order.
            pub const ALL: [Category; [$($slug),*].len()] = [$(Category::$variant),*];

            /// The stable slug used in documents, URLs and the API.
            pub const fn slug(self) -> &'static str {
                match self { $(Category::$variant => $slug,)* }
            }

            /// The name shown to people in `lang`.
            pub const fn label(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Category::$variant, Lang::En) => $en,)*
                    $((Category::$variant, _) => $id,)*
                }
            }
        }

        impl Category {
            /// Reads a category as people type it: the slug, or the Indonesian or
            /// English name the pages show, in any case and spacing
            /// (`Makanan`, `hasil pertanian`, `Jamu & Kesehatan`, `Food`).
            /// Documents and URLs use the strict slug of [`FromStr`].
            pub fn from_words(text: &str) -> Option<Category> {
                let words = text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
                Category::ALL.into_iter().find(|c| {
                    words == c.slug()
                        || words.eq_ignore_ascii_case(c.label(Lang::Id))
                        || words.eq_ignore_ascii_case(c.label(Lang::En))
                })
            }
        }

        impl FromStr for Category {
            type Err = ();
            fn from_str(text: &str) -> Result<Self, ()> {
                match text { $($slug => Ok(Category::$variant),)* _ => Err(()) }
            }
        }
    };
}

categories! {
    Makanan => "makanan", "Makanan", "Food";
    Minuman => "minuman", "Minuman", "Drinks";
    Kerajinan => "kerajinan", "Kerajinan", "Crafts";
    Pertanian => "pertanian", "Hasil pertanian", "Farm produce";
    JamuKesehatan => "jamu-kesehatan", "Jamu & kesehatan", "Herbal & health";
    Fesyen => "fesyen", "Fesyen", "Fashion";
    Jasa => "jasa", "Jasa", "Services";
    Lainnya => "lainnya", "Lainnya", "Other";
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl Serialize for Category {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.slug())
    }
}

/// Whether a listing is for sale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListingStatus {
    /// Shown and for sale.
    Active,
    /// Kept but not shown to buyers.
    Hidden,
    /// Removed for good (a tombstone; cannot be undone).
    Removed,
}

impl ListingStatus {
    /// The status as a lowercase word.
    pub const fn word(self) -> &'static str {
        match self {
            ListingStatus::Active => "active",
            ListingStatus::Hidden => "hidden",
            ListingStatus::Removed => "removed",
        }
    }
}

impl FromStr for ListingStatus {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, ()> {
        match text {
            "active" => Ok(ListingStatus::Active),
            "hidden" => Ok(ListingStatus::Hidden),
            "removed" => Ok(ListingStatus::Removed),
            _ => Err(()),
        }
    }
}

/// One photo of a listing: two resized images named by the SHA-256 of their bytes
/// (lower-case hex). The thumbnail travels with the catalog; the medium image is
/// fetched when someone looks at the listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    /// Small image for result lists.
    pub thumb: String,
    /// Larger image for the listing page.
    pub medium: String,
}

/// Whether `text` is a SHA-256 in lower-case hex, the name of a stored image.
pub fn is_image_hash(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// One listing as read from a catalog document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    /// Id within the catalog.
    pub id: ListingId,
    /// Title.
    pub title: LocalizedText,
    /// Description (the Indonesian text may be empty).
    pub description: LocalizedText,
    /// Category.
    pub category: Category,
    /// Price of one unit in whole rupiah.
    pub price_idr: i64,
    /// Unit of sale.
    pub unit: String,
    /// Units in stock.
    pub stock: i64,
    /// Who makes it.
    pub producer: String,
    /// The village of who makes it (empty when not given, or when a peer's
    /// value breaks the rules: it then reads as absent).
    pub producer_village: String,
    /// Its photos, at most [`PHOTOS_PER_LISTING_MAX`].
    pub photos: Vec<Photo>,
    /// Active, hidden or removed.
    pub status: ListingStatus,
    /// When it was created, ms since the Unix epoch, UTC.
    pub created_at_ms: i64,
    /// When it last changed, ms since the Unix epoch, UTC.
    pub updated_at_ms: i64,
}

/// A center's public profile as read from its catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// The center.
    pub center: CenterId,
    /// Its name.
    pub name: String,
    /// Its kabupaten or kota.
    pub region: String,
    /// How to reach it (may be empty).
    pub contact: String,
    /// When the profile last changed, ms since the Unix epoch, UTC.
    pub updated_at_ms: i64,
    /// The referral fee terms it publishes (none published: 0 %).
    pub fees: FeeTerms,
    /// Where its node takes orders, if it is reachable (`http://…`).
    pub address: Option<String>,
    /// Its WhatsApp number in normal form (`+62…`, see
    /// [`crate::phone::normalize_phone`]), if it publishes one.
    pub whatsapp: Option<String>,
}

/// Something in a catalog document does not follow the schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("catalog does not follow the schema at {path}: {reason}")]
pub struct SchemaError {
    /// Where in the document.
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

/// Why a catalog operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// No listing with that id in this catalog.
    #[error("no listing with id {0} in this catalog")]
    NoSuchListing(ListingId),
    /// The listing was removed; removal cannot be undone.
    #[error("listing {0} was removed and cannot be changed")]
    Removed(ListingId),
    /// The catalog is full.
    #[error("the catalog already holds the maximum of {LISTINGS_PER_CATALOG_MAX} listings")]
    Full,
    /// The signing key may not write this catalog.
    #[error("this key may not write the catalog of {0}")]
    NotOwner(CenterId),
    /// The document does not follow the schema.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// Automerge refused the operation.
    #[error("document error: {0}")]
    Automerge(#[from] AutomergeError),
    /// The operation changed nothing.
    #[error("nothing to change")]
    NoChange,
    /// A change builds on changes this document does not hold.
    #[error("the change builds on {0} change(s) this catalog does not hold")]
    MissingDependencies(usize),
}

/// Which parts of a catalog a change touched, for re-indexing.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Touched {
    /// The profile changed.
    pub profile: bool,
    /// These listings changed (ids as found in the document; may be malformed).
    pub listings: BTreeSet<String>,
    /// The center's vouches changed.
    pub vouches: bool,
    /// The change touched the document's structure itself: re-read everything.
    pub everything: bool,
    /// Listings the change made, by id, readable from the change's own
    /// operations ([`CatalogDoc::fresh_listing`]) while no later change
    /// touches them.
    pub fresh: BTreeMap<String, FreshListing>,
}

/// A listing one change made: the objects the change made and which of them
/// is the listing's map.
#[derive(Debug, Clone, PartialEq)]
pub struct FreshListing {
    pub(crate) objects: Arc<FreshObjects>,
    pub(crate) obj: ObjectId,
}

mod doc;
pub mod input;
mod reader;
mod touched;

pub use crate::change_ops::ChangeOps;
pub use doc::CatalogDoc;

#[cfg(test)]
mod tests;
