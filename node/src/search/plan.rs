//! What a buyer's words mean: the query becomes concepts (a word, or a phrase
//! the word table knows), each with weighted alternatives that satisfy it: the
//! word itself, its spellings and stem, synonyms and regional words, narrower
//! words, a category, the centers of a place, completions of an unfinished word
//! and corrections of a typing mistake.

use telecenter_protocol::catalog::Category;
use telecenter_protocol::limits::QUERY_TERMS_MAX;

use super::analyze::{self, modern_spelling, stem};
use super::index::Index;
use super::words::PHRASE_WORDS_MAX;

/// Weight of the word itself (and its spellings).
pub(crate) const EXACT: f32 = 1.0;
/// Weight of a word of the same stem ("olahan" for "olah").
pub(crate) const STEM: f32 = 0.8;
/// Weight of a synonym, regional word or narrower word.
pub(crate) const SYNONYM: f32 = 0.7;
/// Weight of the category a word names.
pub(crate) const CATEGORY: f32 = 0.6;
/// Weight of the centers of a named place, and of places inside it.
pub(crate) const PLACE: f32 = 0.5;
/// Weight of a completion of an unfinished word.
pub(crate) const PREFIX: f32 = 0.5;
/// Weight of a correction one edit away.
pub(crate) const TYPO_1: f32 = 0.45;
/// Weight of a correction two edits away.
pub(crate) const TYPO_2: f32 = 0.35;
/// Weight of one word of a known phrase found alone.
pub(crate) const PART: f32 = 0.3;
/// Weight of a related product: listed beside the word under the same broader
/// word ("cupang" for "koi").
pub(crate) const RELATED: f32 = 0.3;
/// Related products tried per word.
const RELATED_MAX: usize = 32;

/// Shortest word (in characters) that typing mistakes are corrected in.
pub(crate) const TYPO_CHARS_MIN: usize = 5;
/// Shortest word completed as an unfinished word.
const PREFIX_CHARS_MIN: usize = 3;
/// Completions tried per word.
const COMPLETIONS_MAX: usize = 20;
/// Corrections tried per word.
const CORRECTIONS_MAX: usize = 3;
/// Alternatives per concept.
const ALTERNATIVES_MAX: usize = 64;
/// A written word this many times rarer than a word one edit away is taken as
/// a typing mistake too ("Maksud Anda" is offered).
const RARE_RATIO: usize = 50;

/// What satisfies a concept.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Target {
    /// Listings holding a term.
    Term(u32),
    /// Listings holding every one of these terms.
    AllOf(Vec<u32>),
    /// Listings of a category.
    Category(Category),
    /// Listings of these centers (slots).
    Centers(Vec<u32>),
}

/// One alternative and its weight.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Alternative {
    pub(crate) target: Target,
    pub(crate) weight: f32,
    /// Whether a listing it matches has the query word (false for a related
    /// product, which only fills in after the listings that do).
    pub(crate) covers: bool,
}

/// One thing the buyer asked for.
#[derive(Clone, Debug)]
pub(crate) struct Concept {
    /// The words as typed (folded).
    pub(crate) typed: String,
    /// The term of each typed word (standard spelling), for the phrase bonus.
    pub(crate) own_terms: Vec<Option<u32>>,
    pub(crate) alternatives: Vec<Alternative>,
    /// The correction offered for a typing mistake, if any.
    pub(crate) correction: Option<String>,
}

/// A planned query.
#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    pub(crate) concepts: Vec<Concept>,
}

impl Plan {
    /// The query with its likely typing mistakes corrected, when there were any.
    pub(crate) fn corrected(&self) -> Option<String> {
        if self.concepts.iter().all(|c| c.correction.is_none()) {
            return None;
        }
        Some(
            self.concepts
                .iter()
                .map(|c| c.correction.as_deref().unwrap_or(&c.typed))
                .collect::<Vec<_>>()
                .join(" "),
        )
    }
}

struct Builder<'a> {
    index: &'a Index,
    alternatives: Vec<Alternative>,
    /// Factor on every weight pushed (below 1 for the meanings of a correction).
    scale: f32,
    /// Whether related products are being pushed.
    related: bool,
}

impl<'a> Builder<'a> {
    fn new(index: &'a Index) -> Self {
        Self {
            index,
            alternatives: Vec::new(),
            scale: 1.0,
            related: false,
        }
    }

    fn push(&mut self, target: Target, weight: f32) {
        let weight = weight * self.scale;
        if self.alternatives.len() >= ALTERNATIVES_MAX {
            return;
        }
        let covers = !self.related;
        if let Some(existing) = self.alternatives.iter_mut().find(|a| a.target == target) {
            if covers && !existing.covers {
                *existing = Alternative {
                    target,
                    weight,
                    covers,
                };
            } else if covers == existing.covers {
                existing.weight = existing.weight.max(weight);
            }
            return;
        }
        self.alternatives.push(Alternative {
            target,
            weight,
            covers,
        });
    }

    /// A word or phrase of the table (standard spellings), as a term or all its terms.
    fn phrase(&mut self, phrase: &str, weight: f32) {
        let ids: Option<Vec<u32>> = phrase.split(' ').map(|w| self.index.term_id(w)).collect();
        match ids {
            Some(ids) if ids.len() == 1 => self.push(Target::Term(ids[0]), weight),
            Some(ids) if !ids.is_empty() => self.push(Target::AllOf(ids), weight),
            _ => {}
        }
    }

    /// Synonyms, narrower words, category and place of a word or phrase.
    fn meanings(&mut self, phrase: &str) {
        let words = self.index.words();
        for synonym in words.synonyms(phrase) {
            self.phrase(synonym, SYNONYM);
            // The narrower words of a synonym are the phrase's too
            // ("jajanan" = "camilan" → "keripik").
            for narrower in words.narrower(synonym) {
                self.phrase(narrower, SYNONYM);
            }
        }
        for narrower in words.narrower(phrase) {
            self.phrase(narrower, SYNONYM);
            // A narrower word's own synonyms ("camilan" → "keripik" → "kripik")
            // are spellings already; its regional names count too.
            for synonym in words.synonyms(narrower) {
                self.phrase(synonym, SYNONYM);
            }
        }
        self.related = true;
        for related in words.related(phrase, RELATED_MAX) {
            self.phrase(related, RELATED);
        }
        self.related = false;
        if let Some(category) = words.category(phrase) {
            self.push(Target::Category(category), CATEGORY);
        }
        let inside = words.place(phrase);
        if inside.is_some() || self.index.is_center_word(phrase) {
            let mut places: Vec<&str> = vec![phrase];
            for place in inside.unwrap_or(&[]) {
                places.push(place);
                self.phrase(place, PLACE);
            }
            let centers = self.index.centers_named(&places);
            if !centers.is_empty() {
                self.push(Target::Centers(centers), PLACE);
            }
        }
    }
}

/// Plans a query (see the module comment).
pub(crate) fn plan(index: &Index, text: &str) -> Plan {
    let words = index.words();
    let typed: Vec<String> = analyze::words(text)
        .into_iter()
        .take(QUERY_TERMS_MAX)
        .collect();
    let canon: Vec<String> = typed.iter().map(|w| words.canon(w)).collect();
    let only_filler = canon.iter().all(|w| words.is_ignored(w));
    let mut concepts = Vec::new();
    let mut i = 0;
    while i < canon.len() {
        let longest = (2..=PHRASE_WORDS_MAX.min(canon.len() - i))
            .rev()
            .find(|&n| words.knows_phrase(&canon[i..i + n].join(" ")));
        if let Some(n) = longest {
            concepts.push(phrase_concept(index, &typed[i..i + n], &canon[i..i + n]));
            i += n;
        } else {
            // Filler words count only when nothing else was asked for.
            if only_filler || !words.is_ignored(&canon[i]) {
                concepts.push(word_concept(index, &typed[i], &canon[i]));
            }
            i += 1;
        }
    }
    Plan { concepts }
}

fn phrase_concept(index: &Index, typed: &[String], canon: &[String]) -> Concept {
    let mut builder = Builder::new(index);
    let phrase = canon.join(" ");
    builder.phrase(&phrase, EXACT);
    builder.meanings(&phrase);
    for word in canon {
        if let Some(id) = index.term_id(word) {
            builder.push(Target::Term(id), PART);
        }
    }
    Concept {
        typed: typed.join(" "),
        own_terms: canon.iter().map(|w| index.term_id(w)).collect(),
        alternatives: builder.alternatives,
        correction: None,
    }
}

fn word_concept(index: &Index, typed: &str, canon: &str) -> Concept {
    let mut builder = Builder::new(index);
    let own_term = index.term_id(canon);
    let mut known = false;
    if let Some(id) = own_term {
        builder.push(Target::Term(id), EXACT);
        known = index.is_live(id);
    }
    if let Some(modern) = modern_spelling(typed).map(|m| index.words().canon(&m))
        && let Some(id) = index.term_id(&modern)
    {
        builder.push(Target::Term(id), EXACT);
        known |= index.is_live(id);
    }
    let root = stem(canon);
    if let Some(root) = &root
        && let Some(id) = index.term_id(root)
    {
        builder.push(Target::Term(id), STEM);
        known |= index.is_live(id);
    }
    if let Some(id) = index.stem_term_id(root.as_deref().unwrap_or(canon)) {
        builder.push(Target::Term(id), STEM);
        known |= index.is_live(id);
    }
    builder.meanings(canon);
    let chars = canon.chars().count();
    let mut correction = None;
    let mut completed = false;
    if !known && chars >= PREFIX_CHARS_MIN {
        for id in index.completions(canon, COMPLETIONS_MAX) {
            builder.push(Target::Term(id), PREFIX);
            completed = true;
        }
    }
    // An unfinished word that has completions is not taken for a typing mistake.
    if chars >= TYPO_CHARS_MIN && !completed && !canon.chars().any(|c| c.is_ascii_digit()) {
        let own_df = own_term.map_or(0, |id| index.df(id));
        let near = if known {
            // A rare written word next to a much more common one is likely a mistake.
            index
                .near_words(canon, 1, 1)
                .into_iter()
                .filter(|&(id, _)| index.df(id) >= RARE_RATIO * own_df.max(1))
                .collect()
        } else {
            let one = index.near_words(canon, 1, CORRECTIONS_MAX);
            if one.is_empty() {
                index.near_words(canon, 2, CORRECTIONS_MAX)
            } else {
                one
            }
        };
        for (n, &(id, distance)) in near.iter().enumerate() {
            let weight = if distance == 1 { TYPO_1 } else { TYPO_2 };
            builder.push(Target::Term(id), weight);
            if n == 0 {
                let corrected = index.terms[id as usize].text.to_string();
                // The corrected word means what it means: its synonyms, place
                // and category count too, weighted down as the word is.
                builder.scale = weight;
                builder.meanings(&corrected);
                builder.scale = 1.0;
                correction = Some(corrected);
            }
        }
        // A place name typed wrong ("sumenp"): places are not always words of
        // listings, so they are looked for among the centers and the word table.
        if near.is_empty()
            && !known
            && let Some(place) = index.near_place(canon)
        {
            builder.scale = TYPO_1;
            builder.meanings(&place);
            builder.scale = 1.0;
            correction = Some(place);
        }
    }
    Concept {
        typed: typed.to_owned(),
        own_terms: vec![own_term],
        alternatives: builder.alternatives,
        correction,
    }
}
