//! The JSON shapes of the HTTP API (`/api/v1/...`), shared by the server and by
//! the CLI when it talks to a running node. Field names are part of the public
//! API: extend, never rename.

pub mod orders;
pub mod producers;
pub mod requests;

use serde::{Deserialize, Serialize};
use telecenter_protocol::catalog::{Lang, LocalizedText, Profile};

use crate::clock::rfc3339_utc;
use crate::store::{ListingRow, SearchPage};

pub use crate::node::CenterNames;

/// `GET /api/v1/info`.
#[serde_with::skip_serializing_none]
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
    /// The referral fee it pays the center that brings a sale, basis points.
    #[serde(default)]
    pub referral_fee_bp: u32,
    /// The smallest referral fee per order, rupiah.
    #[serde(default)]
    pub referral_fee_min_idr: i64,
    /// Where its node takes orders, if published.
    pub address: Option<String>,
    /// Its WhatsApp number (`+62…`), if published.
    #[serde(default)]
    pub whatsapp: Option<String>,
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
            referral_fee_bp: profile.fees.referral_bp,
            referral_fee_min_idr: profile.fees.min_idr,
            address: profile.address.clone(),
            whatsapp: profile.whatsapp.clone(),
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
    /// Their village ("" when the catalog gives none).
    #[serde(default)]
    pub producer_village: String,
    /// Its photos: image hashes, served at `/foto/{hash}` (pages) and
    /// `/api/v1/images/{hash}` (peers).
    pub photos: Vec<telecenter_protocol::catalog::Photo>,
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
            producer_village: l.producer_village.clone(),
            photos: l.photos.clone(),
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
    /// The search text with likely typing mistakes corrected, when it had any
    /// (pages offer it as "Maksud Anda: …").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<String>,
    /// Near words to try, when nothing matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<String>,
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
            did_you_mean: page.hints.corrected.clone(),
            suggestions: page.hints.suggestions.clone(),
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
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_input`, `not_found`.
    pub code: String,
    /// One line in plain words.
    pub message: String,
    /// For `invalid_input`: the field that was wrong.
    pub field: Option<String>,
    /// For `invalid_input`: why, as a code (`too_long`, `negative`, ...).
    pub reason: Option<String>,
}

/// A peer on the admin API.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PeerView {
    /// The peer center.
    pub center_id: String,
    /// Its name when added.
    pub name: String,
    /// Its address; absent for a peer that connects to this node (behind NAT).
    pub url: Option<String>,
    /// When it was added (RFC 3339, UTC).
    pub added_at: String,
    /// Last successful sync.
    pub last_sync_at: Option<String>,
    /// Last error, if the last attempt failed.
    pub last_error: Option<String>,
    /// When that error happened.
    pub last_error_at: Option<String>,
    /// Changes the peer had that this node lacked at the last sync.
    pub behind: u64,
}

impl PeerView {
    /// The API form of a peer row.
    pub fn new(row: &crate::store::PeerRow) -> Self {
        Self {
            center_id: row.center_id.to_string(),
            name: row.name.clone(),
            url: row.url.clone(),
            added_at: rfc3339_utc(row.added_at_ms),
            last_sync_at: row.last_ok_ms.map(rfc3339_utc),
            last_error: row.last_error.clone(),
            last_error_at: row.last_error_ms.map(rfc3339_utc),
            behind: row.behind,
        }
    }
}

/// `POST /api/v1/admin/peers`: either `url` (a reachable node), or `center_id`
/// and `name` (a node behind NAT that will connect to this one).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddPeer {
    /// The peer's address, `http(s)://host[:port]`.
    pub url: Option<String>,
    /// The peer's center id (for a peer without address).
    pub center_id: Option<String>,
    /// The peer's name (for a peer without address).
    pub name: Option<String>,
}

/// `GET /api/v1/admin/trust`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TrustView {
    /// Local decisions: `trusted` or `blocked`.
    pub decisions: Vec<TrustDecision>,
    /// Centers whose catalogs this node accepts, with their trust depth
    /// (0 = this center, 1 = directly trusted, 2+ = vouched for).
    pub accepted: Vec<AcceptedCenter>,
}

impl TrustView {
    /// The trust state of `node`.
    pub fn of(node: &crate::node::Node) -> Self {
        let (decisions, accepted) = node.trust_state();
        Self {
            decisions: decisions
                .into_iter()
                .map(|(center, state)| TrustDecision {
                    center_id: center.to_string(),
                    state: match state {
                        crate::store::TrustState::Trusted => "trusted",
                        crate::store::TrustState::Blocked => "blocked",
                    }
                    .to_owned(),
                })
                .collect(),
            accepted: accepted
                .into_iter()
                .map(|(center, depth)| AcceptedCenter {
                    center_id: center.to_string(),
                    depth,
                })
                .collect(),
        }
    }
}

/// One local trust decision.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TrustDecision {
    /// The center.
    pub center_id: String,
    /// `trusted` or `blocked`.
    pub state: String,
}

/// One accepted center.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AcceptedCenter {
    /// The center.
    pub center_id: String,
    /// Trust depth.
    pub depth: u32,
}

/// `GET /api/v1/admin/catalogs`: what this node holds of each accepted catalog.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CatalogView {
    /// The catalog's center.
    pub center_id: String,
    /// Highest change seq held (0: accepted but nothing held yet).
    pub seq: u64,
    /// The Automerge heads (hex hashes); equal on two nodes exactly when they hold
    /// the same history.
    pub heads: Vec<String>,
}
