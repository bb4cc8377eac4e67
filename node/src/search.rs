//! Search over the listing index: what a query means, and how Indonesian text is
//! prepared for SQLite FTS5.
//!
//! What is normalised (both when indexing and when searching):
//! - case and accents: FTS5's `unicode61` tokenizer with `remove_diacritics 2`
//!   folds "KERIPIK", "Kéripik" and "keripik" together;
//! - prefixes: every query word matches words that start with it ("kerip" finds
//!   "Keripik");
//! - old and regional spellings: each indexed word also gets its modern form under
//!   the rules `dj→j`, `tj→c`, `oe→u`, `sj→sy`, `ch→kh`, `th→t`, `dh→d` ("Djamoe"
//!   is found by "jamu", "gethuk" by "getuk"), and query words are rewritten the same way;
//! - known variants: words in one [`VARIANTS`] group find each other
//!   ("kripik" finds "keripik" and back).
//!
//! Not normalised: affixes (no stemming: "anyaman" does not find "anyam" unless
//! typed as a prefix), typing mistakes beyond the variant list, and synonyms
//! ("pisang" does not find "banana" unless the listing has an English title).

use telecenter_protocol::CenterId;
use telecenter_protocol::catalog::input;
use telecenter_protocol::catalog::{Category, Lang, ListingStatus};
use telecenter_protocol::limits::{
    PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, PAGE_OFFSET_MAX, QUERY_CHARS_MAX, QUERY_TERMS_MAX,
};
use telecenter_protocol::text::InvalidInput;

use crate::money::short;

/// Groups of spellings of one word that should find each other.
pub const VARIANTS: &[&[&str]] = &[
    &["keripik", "kripik"],
    &["kerupuk", "krupuk"],
    &["sambal", "sambel"],
    &["tempe", "tempeh"],
    &["jahe", "jae"],
    &["sirup", "sirop"],
    &["kue", "kueh", "kuih"],
    &["bakso", "baso"],
    &["terasi", "trasi"],
    &["kelapa", "klapa"],
    &["getuk", "gethuk"],
    &["rengginang", "renginang"],
    &["tape", "tapai"],
    &["selendang", "slendang"],
    &["apotek", "apotik"],
    &["kunyit", "kunir"],
    &["temulawak", "temu lawak"],
];

/// Longest word that is indexed or searched, in characters; longer ones are cut.
const WORD_CHARS_MAX: usize = 40;

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

/// Splits text into lowercase words of letters and digits. The text is put in
/// Unicode NFC first, so an accent typed as a separate combining mark ("ko\u{301}pi")
/// stays inside its word instead of splitting it.
fn words(text: &str) -> Vec<String> {
    use unicode_normalization::UnicodeNormalization;
    let composed: String = text.nfc().collect();
    composed
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.chars()
                .take(WORD_CHARS_MAX)
                .collect::<String>()
                .to_lowercase()
        })
        .collect()
}

/// The word in modern spelling (see the module comment), if it differs.
fn modern_spelling(word: &str) -> Option<String> {
    const RULES: &[(&str, &str)] = &[
        ("dj", "j"),
        ("tj", "c"),
        ("oe", "u"),
        ("sj", "sy"),
        ("ch", "kh"),
        ("th", "t"),
        ("dh", "d"),
    ];
    let mut modern = word.to_owned();
    for (old, new) in RULES {
        modern = modern.replace(old, new);
    }
    (modern != word).then_some(modern)
}

/// Every spelling a word should be found by: itself, its modern form and its
/// variant group.
fn spellings(word: &str) -> Vec<String> {
    let mut all = vec![word.to_owned()];
    if let Some(modern) = modern_spelling(word) {
        all.push(modern);
    }
    for group in VARIANTS {
        if all.iter().any(|w| group.contains(&w.as_str())) {
            for variant in *group {
                if !all.iter().any(|w| w == variant) {
                    all.push((*variant).to_owned());
                }
            }
        }
    }
    all
}

/// The text stored in the full-text index for `text`: the text itself plus the
/// extra spellings of its words.
pub fn index_text(text: &str) -> String {
    let mut extra = Vec::new();
    for word in words(text) {
        extra.extend(spellings(&word).into_iter().skip(1));
    }
    if extra.is_empty() {
        text.to_owned()
    } else {
        format!("{text} {}", extra.join(" "))
    }
}

/// The FTS5 MATCH expression for a user's search text, or `None` when it has no
/// searchable word. Every word must match (as a prefix, in any of its
/// spellings); the user's text never reaches FTS5 syntax unquoted.
pub fn fts_match_expression(text: &str) -> Option<String> {
    let clauses: Vec<String> = words(text)
        .into_iter()
        .take(QUERY_TERMS_MAX)
        .map(|word| {
            let alternatives: Vec<String> = spellings(&word)
                .into_iter()
                .map(|w| format!("\"{}\"*", w.replace('"', "")))
                .collect();
            format!("({})", alternatives.join(" OR "))
        })
        .collect();
    (!clauses.is_empty()).then(|| clauses.join(" AND "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_cover_old_forms_and_variant_groups() {
        assert!(spellings("djamoe").contains(&"jamu".to_owned()));
        assert!(spellings("kripik").contains(&"keripik".to_owned()));
        assert!(spellings("keripik").contains(&"kripik".to_owned()));
        assert!(spellings("gethuk").contains(&"getuk".to_owned()));
        assert_eq!(spellings("pisang"), vec!["pisang".to_owned()]);
    }

    #[test]
    fn match_expressions_quote_user_text() {
        assert_eq!(fts_match_expression("  "), None);
        assert_eq!(fts_match_expression("\"*()"), None);
        let expr = fts_match_expression("Kerip pisang\" OR x").unwrap();
        assert_eq!(
            expr,
            "(\"kerip\"*) AND (\"pisang\"*) AND (\"or\"*) AND (\"x\"*)"
        );
        let many = fts_match_expression(&"kata ".repeat(50)).unwrap();
        assert_eq!(many.matches("AND").count(), QUERY_TERMS_MAX - 1);
    }

    #[test]
    fn raw_searches_are_checked() {
        let ok = RawSearch {
            q: Some("keripik".into()),
            category: Some("makanan".into()),
            min_price: Some("10.000".into()),
            max_price: Some("20000".into()),
            limit: Some("5".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(ok.min_price_idr, Some(10_000));
        assert_eq!(ok.limit, 5);
        for (raw, field) in [
            (
                RawSearch {
                    category: Some("senjata".into()),
                    ..Default::default()
                },
                "category",
            ),
            (
                RawSearch {
                    min_price: Some("abc".into()),
                    ..Default::default()
                },
                "min_price",
            ),
            (
                RawSearch {
                    min_price: Some("5".into()),
                    max_price: Some("4".into()),
                    ..Default::default()
                },
                "min_price",
            ),
            (
                RawSearch {
                    limit: Some("1000".into()),
                    ..Default::default()
                },
                "limit",
            ),
            (
                RawSearch {
                    limit: Some("-1".into()),
                    ..Default::default()
                },
                "limit",
            ),
            (
                RawSearch {
                    offset: Some("99999999".into()),
                    ..Default::default()
                },
                "offset",
            ),
            (
                RawSearch {
                    center: Some("tc1nope".into()),
                    ..Default::default()
                },
                "center",
            ),
            (
                RawSearch {
                    q: Some("q".repeat(QUERY_CHARS_MAX + 1)),
                    ..Default::default()
                },
                "q",
            ),
            (
                RawSearch {
                    sort: Some("random".into()),
                    ..Default::default()
                },
                "sort",
            ),
            (
                RawSearch {
                    lang: Some("fr".into()),
                    ..Default::default()
                },
                "lang",
            ),
            (
                RawSearch {
                    status: Some("active,sold".into()),
                    ..Default::default()
                },
                "status",
            ),
        ] {
            assert_eq!(raw.validate().unwrap_err().field, field);
        }
    }
}
