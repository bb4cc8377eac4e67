//! Validation of everything a person or program types into a catalog.
//!
//! Raw input ([`NewListing`], [`ListingPatch`], [`ProfileInput`]) becomes a checked
//! value or an [`InvalidInput`] that names the field, a stable machine code and a
//! plain message. Text is trimmed and put in Unicode NFC form first, so the limits
//! count what a person sees. Every rule and limit here is listed in
//! `docs/protocol.md`; the same rules are applied to listings read from other
//! centers' catalogs.

use serde::{Deserialize, Serialize};

use super::{Category, Lang, ListingStatus, Photo, is_image_hash};
use crate::address::NodeAddress;
use crate::fee::FeeTerms;
use crate::limits::*;
use crate::phone::normalize_phone;
use crate::text::{InvalidInput, text_block, text_line};

/// A listing as typed by an operator, before checks.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewListing {
    /// Title in `lang`.
    pub title: String,
    /// Description in `lang`; may be empty.
    #[serde(default)]
    pub description: String,
    /// Language of title and description; must be Indonesian (`id`) for a new
    /// listing, because every listing needs an Indonesian title.
    pub lang: Option<String>,
    /// Category slug, e.g. `makanan`.
    pub category: String,
    /// Price of one unit in whole rupiah.
    pub price_idr: i64,
    /// Units in stock.
    pub stock: i64,
    /// Unit of sale; defaults to `buah`.
    pub unit: Option<String>,
    /// The UMKM or group that makes the product; may be empty.
    pub producer: Option<String>,
    /// The producer's village; may be empty.
    #[serde(default)]
    pub producer_village: Option<String>,
    /// Photos already stored on the node (see `PUT /api/v1/admin/images`).
    #[serde(default)]
    pub photos: Vec<Photo>,
}

/// Changes to a listing as typed by an operator; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingPatch {
    /// Language of `title` and `description` (default `id`).
    pub lang: Option<String>,
    /// New title in `lang`.
    pub title: Option<String>,
    /// New description in `lang`.
    pub description: Option<String>,
    /// New category slug.
    pub category: Option<String>,
    /// New price in whole rupiah.
    pub price_idr: Option<i64>,
    /// New stock.
    pub stock: Option<i64>,
    /// New unit.
    pub unit: Option<String>,
    /// New producer.
    pub producer: Option<String>,
    /// New producer's village; empty clears it.
    pub producer_village: Option<String>,
    /// New status: `active`, `hidden` or `removed`.
    pub status: Option<String>,
    /// New photo list (replaces the old one; empty removes all photos).
    pub photos: Option<Vec<Photo>>,
}

/// A center profile as typed by an operator; on creation `name` and `region` are required.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    /// The center's name, e.g. "Telecenter Kota Malang".
    pub name: Option<String>,
    /// Kabupaten or kota, e.g. "Kota Malang".
    pub region: Option<String>,
    /// How to reach the center (phone, WhatsApp, address).
    pub contact: Option<String>,
    /// Referral fee this center pays the center that brought a sale, in basis
    /// points (300 = 3 %).
    pub referral_fee_bp: Option<u32>,
    /// Smallest referral fee per order, whole rupiah.
    pub referral_fee_min_idr: Option<i64>,
    /// Where other nodes reach this node for orders (`http://…`); empty clears it.
    pub address: Option<String>,
    /// The center's WhatsApp number in any Indonesian form (`0812-…`, `+62 812…`);
    /// stored as `+62…`; empty clears it.
    pub whatsapp: Option<String>,
}

/// A checked new listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidNewListing {
    /// Indonesian title.
    pub title: String,
    /// Indonesian description (may be empty).
    pub description: String,
    /// Category.
    pub category: Category,
    /// Price in rupiah.
    pub price_idr: i64,
    /// Stock.
    pub stock: i64,
    /// Unit of sale.
    pub unit: String,
    /// Producer (may be empty).
    pub producer: String,
    /// Producer's village (may be empty).
    pub producer_village: String,
    /// Photos.
    pub photos: Vec<Photo>,
}

/// A checked listing patch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidPatch {
    /// Language of title and description.
    pub lang: Lang,
    /// New title.
    pub title: Option<String>,
    /// New description; an empty string clears a translation.
    pub description: Option<String>,
    /// New category.
    pub category: Option<Category>,
    /// New price.
    pub price_idr: Option<i64>,
    /// New stock.
    pub stock: Option<i64>,
    /// New unit.
    pub unit: Option<String>,
    /// New producer.
    pub producer: Option<String>,
    /// New producer's village; empty clears it.
    pub producer_village: Option<String>,
    /// New status.
    pub status: Option<ListingStatus>,
    /// New photo list.
    pub photos: Option<Vec<Photo>>,
}

impl ValidPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.description.is_none()
            && self.category.is_none()
            && self.price_idr.is_none()
            && self.stock.is_none()
            && self.unit.is_none()
            && self.producer.is_none()
            && self.producer_village.is_none()
            && self.status.is_none()
            && self.photos.is_none()
    }
}

/// A checked profile patch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidProfile {
    /// New name.
    pub name: Option<String>,
    /// New region.
    pub region: Option<String>,
    /// New contact; empty clears it.
    pub contact: Option<String>,
    /// New referral fee, basis points.
    pub referral_fee_bp: Option<u32>,
    /// New minimum referral fee, rupiah.
    pub referral_fee_min_idr: Option<i64>,
    /// New node address; empty clears it.
    pub address: Option<String>,
    /// New WhatsApp number (`+62…`); empty clears it.
    pub whatsapp: Option<String>,
}

impl ValidProfile {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.region.is_none()
            && self.contact.is_none()
            && self.referral_fee_bp.is_none()
            && self.referral_fee_min_idr.is_none()
            && self.address.is_none()
            && self.whatsapp.is_none()
    }
}

/// Checks a published node address: empty (no address), or a node address as
/// [`NodeAddress::parse`] reads it (`http(s)://host[:port]`, nothing more);
/// returns its normal form.
pub fn address(raw: &str) -> Result<String, InvalidInput> {
    let value = text_line("address", raw, 0, ADDRESS_CHARS_MAX)?;
    if value.is_empty() {
        return Ok(value);
    }
    NodeAddress::parse(&value)
        .map(|parsed| parsed.as_str().to_owned())
        .map_err(|e| InvalidInput::new("address", "not_a_url", e.to_string()))
}

/// Checks a published WhatsApp number: empty (no number), or an Indonesian
/// number brought to `+62…` by [`normalize_phone`].
pub fn whatsapp(raw: &str) -> Result<String, InvalidInput> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    normalize_phone("whatsapp", raw)
}

/// Checks a producer's village as a listing carries it: one line of at most
/// [`PRODUCER_VILLAGE_CHARS_MAX`] characters; may be empty (none given).
pub fn producer_village(raw: &str) -> Result<String, InvalidInput> {
    text_line("producer_village", raw, 0, PRODUCER_VILLAGE_CHARS_MAX)
}

/// Checks a price in whole rupiah: 0 ≤ price ≤ [`PRICE_IDR_MAX`].
pub fn price_idr(value: i64) -> Result<i64, InvalidInput> {
    zero_to_max("price_idr", "price", value, PRICE_IDR_MAX, " rupiah")
}

/// Checks a stock count: 0 ≤ stock ≤ [`STOCK_MAX`].
pub fn stock(value: i64) -> Result<i64, InvalidInput> {
    zero_to_max("stock", "stock", value, STOCK_MAX, "")
}

/// Checks 0 ≤ `value` ≤ `max`: a `negative` or `too_large` error on `field`
/// naming it `noun`; `unit` ("" or " rupiah") follows the numbers.
fn zero_to_max(
    field: &'static str,
    noun: &str,
    value: i64,
    max: i64,
    unit: &str,
) -> Result<i64, InvalidInput> {
    if value < 0 {
        let whole = if unit.is_empty() { "" } else { " whole" };
        return Err(InvalidInput::new(
            field,
            "negative",
            format!("{noun} must be zero or more{whole}{unit}, found {value}"),
        ));
    }
    if value > max {
        return Err(InvalidInput::new(
            field,
            "too_large",
            format!("{noun} may be at most {max}{unit}, found {value}"),
        )
        .with_limit(max));
    }
    Ok(value)
}

/// Reads a category: its slug or the name the pages show, in any case
/// (see [`Category::from_words`]).
pub fn category(raw: &str) -> Result<Category, InvalidInput> {
    Category::from_words(raw).ok_or_else(|| {
        InvalidInput::new(
            "category",
            "unknown",
            format!(
                "unknown category '{}': expected one of {}",
                crate::id::shorten(raw.trim()),
                Category::ALL.map(|c| c.slug()).join(", ")
            ),
        )
    })
}

/// Reads a language code (`id`, `en` or `jv`); `None` means Indonesian.
pub fn lang(raw: Option<&str>) -> Result<Lang, InvalidInput> {
    match raw {
        None => Ok(Lang::Id),
        Some(raw) => raw.trim().parse::<Lang>().map_err(|_| {
            InvalidInput::new(
                "lang",
                "unknown",
                format!(
                    "unknown language '{}': expected id, en or jv",
                    crate::id::shorten(raw.trim())
                ),
            )
        }),
    }
}

/// Reads a listing status (`active`, `hidden` or `removed`).
pub fn status(raw: &str) -> Result<ListingStatus, InvalidInput> {
    raw.trim().parse::<ListingStatus>().map_err(|_| {
        InvalidInput::new(
            "status",
            "unknown",
            format!(
                "unknown status '{}': expected active, hidden or removed",
                crate::id::shorten(raw.trim())
            ),
        )
    })
}

/// Checks a photo list: at most [`PHOTOS_PER_LISTING_MAX`], each naming two image hashes.
pub fn photos(list: &[Photo]) -> Result<Vec<Photo>, InvalidInput> {
    if list.len() > PHOTOS_PER_LISTING_MAX {
        return Err(InvalidInput::new(
            "photos",
            "too_many",
            format!(
                "a listing may have at most {PHOTOS_PER_LISTING_MAX} photos, found {}",
                list.len()
            ),
        ));
    }
    if list
        .iter()
        .any(|p| !is_image_hash(&p.thumb) || !is_image_hash(&p.medium))
    {
        return Err(InvalidInput::new(
            "photos",
            "invalid",
            "a photo must name two stored images by their SHA-256 (64 hex characters)".to_owned(),
        ));
    }
    Ok(list.to_vec())
}

/// The default unit of sale.
pub const DEFAULT_UNIT: &str = "buah";

impl NewListing {
    /// Every problem of a new listing, one per field and not only the first
    /// (forms show them all at once); empty when [`Self::validate`] passes.
    pub fn problems(&self) -> Vec<InvalidInput> {
        [
            lang(self.lang.as_deref()).err(),
            text_line("title", &self.title, 1, TITLE_CHARS_MAX).err(),
            text_block("description", &self.description, DESCRIPTION_CHARS_MAX).err(),
            category(&self.category).err(),
            price_idr(self.price_idr).err(),
            stock(self.stock).err(),
            text_line(
                "unit",
                self.unit.as_deref().unwrap_or(DEFAULT_UNIT),
                1,
                UNIT_CHARS_MAX,
            )
            .err(),
            text_line(
                "producer",
                self.producer.as_deref().unwrap_or(""),
                0,
                PRODUCER_CHARS_MAX,
            )
            .err(),
            producer_village(self.producer_village.as_deref().unwrap_or("")).err(),
            photos(&self.photos).err(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Checks every field of a new listing.
    pub fn validate(&self) -> Result<ValidNewListing, InvalidInput> {
        if lang(self.lang.as_deref())? != Lang::Id {
            return Err(InvalidInput::new(
                "lang",
                "indonesian_required",
                "a new listing needs its title in Indonesian (lang id); add translations afterwards with an update".to_owned(),
            ));
        }
        Ok(ValidNewListing {
            title: text_line("title", &self.title, 1, TITLE_CHARS_MAX)?,
            description: text_block("description", &self.description, DESCRIPTION_CHARS_MAX)?,
            category: category(&self.category)?,
            price_idr: price_idr(self.price_idr)?,
            stock: stock(self.stock)?,
            unit: text_line(
                "unit",
                self.unit.as_deref().unwrap_or(DEFAULT_UNIT),
                1,
                UNIT_CHARS_MAX,
            )?,
            producer: text_line(
                "producer",
                self.producer.as_deref().unwrap_or(""),
                0,
                PRODUCER_CHARS_MAX,
            )?,
            producer_village: producer_village(self.producer_village.as_deref().unwrap_or(""))?,
            photos: photos(&self.photos)?,
        })
    }
}

impl ListingPatch {
    /// Checks every field that is present. An Indonesian title cannot be emptied;
    /// a translation can (an empty title in `en` or `jv` removes that translation).
    pub fn validate(&self) -> Result<ValidPatch, InvalidInput> {
        let lang = lang(self.lang.as_deref())?;
        let title_min_chars = if lang == Lang::Id { 1 } else { 0 };
        Ok(ValidPatch {
            lang,
            title: self
                .title
                .as_deref()
                .map(|t| text_line("title", t, title_min_chars, TITLE_CHARS_MAX))
                .transpose()?,
            description: self
                .description
                .as_deref()
                .map(|d| text_block("description", d, DESCRIPTION_CHARS_MAX))
                .transpose()?,
            category: self.category.as_deref().map(category).transpose()?,
            price_idr: self.price_idr.map(price_idr).transpose()?,
            stock: self.stock.map(stock).transpose()?,
            unit: self
                .unit
                .as_deref()
                .map(|u| text_line("unit", u, 1, UNIT_CHARS_MAX))
                .transpose()?,
            producer: self
                .producer
                .as_deref()
                .map(|p| text_line("producer", p, 0, PRODUCER_CHARS_MAX))
                .transpose()?,
            producer_village: self
                .producer_village
                .as_deref()
                .map(producer_village)
                .transpose()?,
            status: self.status.as_deref().map(status).transpose()?,
            photos: self.photos.as_deref().map(photos).transpose()?,
        })
    }
}

impl ProfileInput {
    /// Checks every field that is present.
    pub fn validate(&self) -> Result<ValidProfile, InvalidInput> {
        Ok(ValidProfile {
            name: self
                .name
                .as_deref()
                .map(|n| text_line("name", n, 1, CENTER_NAME_CHARS_MAX))
                .transpose()?,
            region: self
                .region
                .as_deref()
                .map(|r| text_line("region", r, 1, REGION_CHARS_MAX))
                .transpose()?,
            contact: self
                .contact
                .as_deref()
                .map(|c| text_line("contact", c, 0, CONTACT_CHARS_MAX))
                .transpose()?,
            referral_fee_bp: match self.referral_fee_bp {
                Some(bp) => {
                    FeeTerms {
                        referral_bp: bp,
                        min_idr: 0,
                    }
                    .validate()?;
                    Some(bp)
                }
                None => None,
            },
            referral_fee_min_idr: match self.referral_fee_min_idr {
                Some(min) => {
                    FeeTerms {
                        referral_bp: 0,
                        min_idr: min,
                    }
                    .validate()?;
                    Some(min)
                }
                None => None,
            },
            address: self.address.as_deref().map(address).transpose()?,
            whatsapp: self.whatsapp.as_deref().map(whatsapp).transpose()?,
        })
    }

    /// Checks a profile for a new center: name and region are required.
    pub fn validate_new(&self) -> Result<ValidProfile, InvalidInput> {
        let valid = self.validate()?;
        if valid.name.is_none() {
            return Err(InvalidInput::new(
                "name",
                "empty",
                "name must not be empty".to_owned(),
            ));
        }
        if valid.region.is_none() {
            return Err(InvalidInput::new(
                "region",
                "empty",
                "region must not be empty".to_owned(),
            ));
        }
        Ok(valid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> NewListing {
        NewListing {
            title: "  Keripik Pisang Agung  ".into(),
            description: "Renyah,\r\nmanis.".into(),
            lang: None,
            category: "makanan".into(),
            price_idr: 15_000,
            stock: 40,
            unit: Some("bungkus 250 g".into()),
            producer: Some("UMKM Sumber Rejeki".into()),
            producer_village: None,
            photos: Vec::new(),
        }
    }

    #[test]
    fn absent_option_fields_read_as_none_and_still_write_null() {
        let patch: ListingPatch = serde_json::from_str(r#"{"stock":3}"#).unwrap();
        assert_eq!((patch.stock, patch.title.as_deref()), (Some(3), None));
        let profile: ProfileInput = serde_json::from_str("{}").unwrap();
        assert_eq!(
            serde_json::to_string(&profile).unwrap(),
            r#"{"name":null,"region":null,"contact":null,"referral_fee_bp":null,"referral_fee_min_idr":null,"address":null,"whatsapp":null}"#
        );
    }

    #[test]
    fn a_good_listing_is_trimmed_and_normalised() {
        let valid = good().validate().unwrap();
        assert_eq!(valid.title, "Keripik Pisang Agung");
        assert_eq!(valid.description, "Renyah,\nmanis.");
        assert_eq!(valid.category, Category::Makanan);
        let composed = NewListing {
            title: "Jamu Cafe\u{301}".into(),
            ..good()
        };
        assert_eq!(composed.validate().unwrap().title, "Jamu Café");
    }

    #[test]
    fn each_bad_field_is_named_with_a_code() {
        let cases: Vec<(NewListing, &str, &str)> = vec![
            (
                NewListing {
                    title: "   ".into(),
                    ..good()
                },
                "title",
                "empty",
            ),
            (
                NewListing {
                    title: "x".repeat(TITLE_CHARS_MAX + 1),
                    ..good()
                },
                "title",
                "too_long",
            ),
            (
                NewListing {
                    title: "a\u{0}b".into(),
                    ..good()
                },
                "title",
                "control_character",
            ),
            (
                NewListing {
                    description: "y".repeat(DESCRIPTION_CHARS_MAX + 1),
                    ..good()
                },
                "description",
                "too_long",
            ),
            (
                NewListing {
                    price_idr: -1,
                    ..good()
                },
                "price_idr",
                "negative",
            ),
            (
                NewListing {
                    price_idr: i64::MAX,
                    ..good()
                },
                "price_idr",
                "too_large",
            ),
            (
                NewListing {
                    stock: -5,
                    ..good()
                },
                "stock",
                "negative",
            ),
            (
                NewListing {
                    stock: STOCK_MAX + 1,
                    ..good()
                },
                "stock",
                "too_large",
            ),
            (
                NewListing {
                    category: "senjata".into(),
                    ..good()
                },
                "category",
                "unknown",
            ),
            (
                NewListing {
                    unit: Some("".into()),
                    ..good()
                },
                "unit",
                "empty",
            ),
            (
                NewListing {
                    producer: Some("p".repeat(PRODUCER_CHARS_MAX + 1)),
                    ..good()
                },
                "producer",
                "too_long",
            ),
            (
                NewListing {
                    lang: Some("en".into()),
                    ..good()
                },
                "lang",
                "indonesian_required",
            ),
            (
                NewListing {
                    lang: Some("fr".into()),
                    ..good()
                },
                "lang",
                "unknown",
            ),
        ];
        for (input, field, code) in cases {
            let err = input.validate().unwrap_err();
            assert_eq!((err.field, err.code), (field, code), "{}", err.message);
            assert!(!err.message.is_empty());
        }
    }

    #[test]
    fn limits_are_inclusive() {
        let at_limit = NewListing {
            title: "é".repeat(TITLE_CHARS_MAX),
            price_idr: PRICE_IDR_MAX,
            stock: STOCK_MAX,
            ..good()
        };
        assert!(at_limit.validate().is_ok());
        let free = NewListing {
            price_idr: 0,
            stock: 0,
            ..good()
        };
        assert!(free.validate().is_ok());
    }

    #[test]
    fn patches_check_present_fields_only() {
        let patch = ListingPatch {
            price_idr: Some(17_500),
            ..Default::default()
        };
        let valid = patch.validate().unwrap();
        assert_eq!(valid.price_idr, Some(17_500));
        assert!(!valid.is_empty());
        assert!(ListingPatch::default().validate().unwrap().is_empty());
        let clear_indonesian = ListingPatch {
            title: Some(" ".into()),
            ..Default::default()
        };
        assert_eq!(clear_indonesian.validate().unwrap_err().code, "empty");
        let clear_english = ListingPatch {
            lang: Some("en".into()),
            title: Some("".into()),
            ..Default::default()
        };
        assert_eq!(clear_english.validate().unwrap().title.as_deref(), Some(""));
        let bad_status = ListingPatch {
            status: Some("sold".into()),
            ..Default::default()
        };
        assert_eq!(bad_status.validate().unwrap_err().field, "status");
    }

    #[test]
    fn new_profiles_need_name_and_region() {
        let no_region = ProfileInput {
            name: Some("Telecenter Kota Malang".into()),
            ..Default::default()
        };
        assert_eq!(no_region.validate_new().unwrap_err().field, "region");
        let long_name = ProfileInput {
            name: Some("n".repeat(CENTER_NAME_CHARS_MAX + 1)),
            region: Some("Kota Malang".into()),
            contact: None,
            ..Default::default()
        };
        assert_eq!(long_name.validate_new().unwrap_err().code, "too_long");
    }
}
