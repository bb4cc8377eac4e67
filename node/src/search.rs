//! Search over the catalog: what a query means and how listings are ranked.
//!
//! The engine is an in-memory index ([`Index`]) built from the store and kept
//! up to date by it. Children: `analyze` (text to words: folding, reduplication,
//! old spellings, the stemmer), `words` (the word table: spellings, synonyms,
//! regional words, categories, places, filler words), `index` (postings and
//! what ranking needs of each listing), `plan` (a query's concepts and their
//! weighted alternatives, completions and typo corrections) and `rank`
//! (matching any word, scoring and ordering). `docs/search-quality.md` says how
//! the result is measured.

use telecenter_protocol::CenterId;
use telecenter_protocol::catalog::input;
use telecenter_protocol::catalog::{Category, Lang, ListingStatus};
use telecenter_protocol::limits::{
    PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, PAGE_OFFSET_MAX, QUERY_CHARS_MAX,
};
use telecenter_protocol::text::InvalidInput;

use crate::money::short;

mod analyze;
mod index;
mod plan;
mod rank;
mod words;

pub use index::{Index, IndexStats, IndexedListing};
pub use rank::{Hits, SearchHints};
pub use words::{OPERATOR_FILE, Words, WordsWarning};

/// How results are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// Best text match first (newest first when there is no query text).
    #[default]
    Relevance,
    /// Most recently updated first.
    Newest,
    /// Cheapest first.
    PriceAsc,
    /// Dearest first.
    PriceDesc,
}

impl Sort {
    fn parse(text: &str) -> Result<Self, InvalidInput> {
        match text {
            "relevance" | "" => Ok(Sort::Relevance),
            "newest" => Ok(Sort::Newest),
            "price_asc" => Ok(Sort::PriceAsc),
            "price_desc" => Ok(Sort::PriceDesc),
            other => Err(InvalidInput::new(
                "sort",
                "unknown",
                format!(
                    "unknown sort '{}': expected relevance, newest, price_asc or price_desc",
                    short(other)
                ),
            )),
        }
    }
}

/// A checked search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    /// Words to look for (`None`: every listing).
    pub text: Option<String>,
    /// Only this category.
    pub category: Option<Category>,
    /// Only this center's listings.
    pub center: Option<CenterId>,
    /// Lowest price, rupiah, inclusive.
    pub min_price_idr: Option<i64>,
    /// Highest price, rupiah, inclusive.
    pub max_price_idr: Option<i64>,
    /// Which statuses to include (buyers see only active listings).
    pub statuses: Vec<ListingStatus>,
    /// Order of results.
    pub sort: Sort,
    /// Language of titles in the results.
    pub lang: Lang,
    /// Page size.
    pub limit: u32,
    /// Results to skip.
    pub offset: u32,
}

impl Default for SearchQuery {
    fn default() -> Self {
        Self {
            text: None,
            category: None,
            center: None,
            min_price_idr: None,
            max_price_idr: None,
            statuses: vec![ListingStatus::Active],
            sort: Sort::Relevance,
            lang: Lang::Id,
            limit: PAGE_LIMIT_DEFAULT,
            offset: 0,
        }
    }
}

/// A search as it arrives from a URL query string or the command line: all text.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSearch {
    /// Words.
    pub q: Option<String>,
    /// Category slug.
    pub category: Option<String>,
    /// Center id.
    pub center: Option<String>,
    /// Lowest price (digits; `15.000` and `Rp 15.000` are accepted).
    pub min_price: Option<String>,
    /// Highest price.
    pub max_price: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// Results to skip.
    pub offset: Option<String>,
    /// `id`, `en` or `jv`.
    pub lang: Option<String>,
    /// `relevance`, `newest`, `price_asc` or `price_desc`.
    pub sort: Option<String>,
    /// Comma-separated statuses (`active`, `hidden`, `removed`); only for the
    /// operator's own listings. Default `active`.
    pub status: Option<String>,
}

fn parse_count(field: &'static str, text: &str, max: u32) -> Result<u32, InvalidInput> {
    let value: u32 = text.trim().parse().map_err(|_| {
        InvalidInput::new(
            field,
            "not_a_number",
            format!(
                "{field} must be a whole number from 0 to {max}, found '{}'",
                short(text)
            ),
        )
    })?;
    if value > max {
        return Err(InvalidInput::new(
            field,
            "too_large",
            format!("{field} may be at most {max}, found {value}"),
        ));
    }
    Ok(value)
}

impl RawSearch {
    /// Checks every parameter; the first bad one is reported.
    pub fn validate(&self) -> Result<SearchQuery, InvalidInput> {
        let text = match self.q.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(q) => {
                let chars = q.chars().count();
                if chars > QUERY_CHARS_MAX {
                    return Err(InvalidInput::new(
                        "q",
                        "too_long",
                        format!(
                            "search text may be at most {QUERY_CHARS_MAX} characters, found {chars}"
                        ),
                    ));
                }
                Some(q.to_owned())
            }
        };
        let category = match self.category.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => Some(input::category(c)?),
        };
        let center = match self.center.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => Some(
                c.parse::<CenterId>()
                    .map_err(|e| InvalidInput::new("center", "invalid", e.to_string()))?,
            ),
        };
        let price = |field, raw: &Option<String>| match raw.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(p) => crate::money::parse_rupiah(field, p).map(Some),
        };
        let min_price_idr = price("min_price", &self.min_price)?;
        let max_price_idr = price("max_price", &self.max_price)?;
        if let (Some(min), Some(max)) = (min_price_idr, max_price_idr)
            && min > max
        {
            return Err(InvalidInput::new(
                "min_price",
                "above_max",
                format!("min_price ({min}) is above max_price ({max})"),
            ));
        }
        let limit = match self.limit.as_deref() {
            None | Some("") => PAGE_LIMIT_DEFAULT,
            Some(l) => parse_count("limit", l, PAGE_LIMIT_MAX)?.max(1),
        };
        let offset = match self.offset.as_deref() {
            None | Some("") => 0,
            Some(o) => parse_count("offset", o, PAGE_OFFSET_MAX)?,
        };
        let statuses = match self.status.as_deref().map(str::trim) {
            None | Some("") => vec![ListingStatus::Active],
            Some(list) => list
                .split(',')
                .map(input::status)
                .collect::<Result<Vec<_>, _>>()?,
        };
        Ok(SearchQuery {
            text,
            category,
            center,
            min_price_idr,
            max_price_idr,
            statuses,
            sort: Sort::parse(self.sort.as_deref().unwrap_or("").trim())?,
            lang: input::lang(self.lang.as_deref())?,
            limit,
            offset,
        })
    }
}

#[cfg(test)]
mod tests;
