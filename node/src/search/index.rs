//! The in-memory search index: every shown listing's words (title, producer,
//! description) as postings, each center's name and region words, and what
//! ranking and filters need of each listing. It is built from the store when the
//! node opens and updated by the store right after each commit, from the
//! committed rows, so it can never disagree with the store (see `store`).
//!
//! Postings are append-only: a changed listing gets a new slot and its old slot
//! is marked dead; dead postings are dropped when they pass half of all postings.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use telecenter_protocol::CenterId;
use telecenter_protocol::catalog::{Category, ListingStatus};

use super::analyze::{self, edit_distance, letter_mask, modern_spelling, stem};
use super::words::Words;

/// Posting field bit: the word is in a title.
pub(crate) const IN_TITLE: u32 = 1;
/// Posting field bit: the word is in the producer's name.
pub(crate) const IN_PRODUCER: u32 = 2;
/// Posting field bit: the word is in the description or unit.
pub(crate) const IN_BODY: u32 = 4;
/// Posting field bit: the word is the first of the Indonesian title, its head
/// (Indonesian names are head-first: "Sirup Buah Naga" is a syrup).
pub(crate) const IN_HEAD: u32 = 8;
const FIELD_BITS: u32 = 4;
/// Title words kept per listing for the phrase bonus.
const TITLE_TERMS_MAX: usize = 24;
/// Stem terms start with this character, which no folded word contains.
const STEM_MARK: char = '~';
/// Category and center terms start with this character, which no folded word
/// contains either.
const HIDDEN_MARK: char = '\u{1}';

/// The hidden term every listing of `category` holds.
pub(crate) fn category_term(category: Category) -> String {
    format!("{HIDDEN_MARK}c{}", category.slug())
}

/// The hidden term every listing of the center in slot `center` holds.
pub(crate) fn center_term(center: u32) -> String {
    format!("{HIDDEN_MARK}p{center}")
}

/// A listing as the index takes it.
#[derive(Clone, Debug)]
pub struct IndexedListing {
    /// The listing's row in the store.
    pub rowid: i64,
    /// The selling center.
    pub center: CenterId,
    /// Title in Indonesian.
    pub title: String,
    /// Titles in the other languages.
    pub other_titles: String,
    /// The producer and their village.
    pub producer: String,
    /// Descriptions (all languages) and the unit.
    pub body: String,
    /// Category.
    pub category: Category,
    /// Status.
    pub status: ListingStatus,
    /// Price, rupiah.
    pub price_idr: i64,
    /// Units in stock.
    pub stock: i64,
    /// Last change, ms since the epoch (UTC).
    pub updated_at_ms: i64,
}

#[derive(Debug)]
pub(crate) struct Term {
    pub(crate) text: Box<str>,
    /// `slot << FIELD_BITS | field bits`.
    pub(crate) postings: Vec<u32>,
    /// Written as a word somewhere (not only made by a spelling rule or the stemmer).
    pub(crate) surface: bool,
    pub(crate) mask: u64,
    pub(crate) chars: u8,
    /// The term of this word's stem, once worked out (`Some(None)`: no stem).
    stem: Option<Option<u32>>,
}

/// What ranking and filters read of a listing: 32 bytes, aligned so that each
/// is one read of one cache line (a query with 60k hits reads 60k of them; the
/// title and postings count, read far less, are kept apart in [`Cold`]).
#[derive(Clone, Copy, Debug)]
#[repr(align(32))]
pub(crate) struct Doc {
    pub(crate) rowid: i64,
    pub(crate) updated_at_ms: i64,
    pub(crate) price_idr: i64,
    pub(crate) center: u32,
    pub(crate) category: Category,
    pub(crate) status: ListingStatus,
    pub(crate) in_stock: bool,
    pub(crate) alive: bool,
}

/// What the index keeps of a listing besides its [`Doc`].
#[derive(Debug, Default)]
pub(crate) struct Cold {
    pub(crate) title: TitleTerms,
    postings: u32,
}

/// Title words kept in the listing's own record (no pointer to follow while
/// ranking thousands of hits).
const TITLE_INLINE: usize = 8;

/// A title's terms, in order: the first [`TITLE_INLINE`] inline, the rest (from
/// the last inline one on, so that each neighbouring pair sits in one part)
/// on the heap.
#[derive(Debug, Default)]
pub(crate) struct TitleTerms {
    head: [u32; TITLE_INLINE],
    len: u8,
    tail: Box<[u32]>,
}

impl TitleTerms {
    fn new(terms: &[u32]) -> Self {
        let mut head = [0; TITLE_INLINE];
        let inline = terms.len().min(TITLE_INLINE);
        head[..inline].copy_from_slice(&terms[..inline]);
        let tail = if terms.len() > TITLE_INLINE {
            terms[TITLE_INLINE - 1..].into()
        } else {
            Box::default()
        };
        Self {
            head,
            len: u8::try_from(inline).unwrap_or(0),
            tail,
        }
    }

    /// Whether `a` is followed by `b` somewhere in the title.
    pub(crate) fn has_pair(&self, a: u32, b: u32) -> bool {
        let pair = |w: &[u32]| w[0] == a && w[1] == b;
        self.head[..usize::from(self.len)].windows(2).any(pair) || self.tail.windows(2).any(pair)
    }
}

#[derive(Debug)]
pub(crate) struct Center {
    /// Folded words of the center's name and region in standard spelling.
    pub(crate) words: Vec<String>,
}

/// Sizes of the index, for reports and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Listings indexed.
    pub listings: usize,
    /// Distinct terms.
    pub terms: usize,
    /// Postings held, live and dead.
    pub postings: usize,
}

/// The search index (see the module comment).
#[derive(Debug)]
pub struct Index {
    pub(crate) words: Arc<Words>,
    /// Term → id, for look-ups.
    vocab: HashMap<Box<str>, u32>,
    /// The same, in order, for completions.
    sorted: BTreeMap<Box<str>, u32>,
    pub(crate) terms: Vec<Term>,
    pub(crate) docs: Vec<Doc>,
    /// Per slot, beside `docs`.
    pub(crate) cold: Vec<Cold>,
    /// Row id → slot. A B-tree: at a million listings it takes about half
    /// the memory of a hash map, and it is read only to put and remove.
    pub(crate) slot_of: BTreeMap<i64, u32>,
    /// Whether each slot holds a live listing: the same as `docs[slot].alive`,
    /// kept apart so that walking postings reads 1 byte per listing, not a
    /// whole record.
    live: Vec<bool>,
    pub(crate) centers: Vec<Center>,
    center_of: HashMap<CenterId, u32>,
    free: Vec<u32>,
    dead_slots: Vec<u32>,
    live_postings: usize,
    dead_postings: usize,
}

impl Index {
    /// An empty index using the word table `words`.
    pub fn new(words: Arc<Words>) -> Self {
        Self {
            words,
            vocab: HashMap::new(),
            sorted: BTreeMap::new(),
            terms: Vec::new(),
            docs: Vec::new(),
            cold: Vec::new(),
            slot_of: BTreeMap::new(),
            live: Vec::new(),
            centers: Vec::new(),
            center_of: HashMap::new(),
            free: Vec::new(),
            dead_slots: Vec::new(),
            live_postings: 0,
            dead_postings: 0,
        }
    }

    /// The word table.
    pub fn words(&self) -> &Words {
        &self.words
    }

    /// Sizes.
    pub fn stats(&self) -> IndexStats {
        IndexStats {
            listings: self.slot_of.len(),
            terms: self.terms.len(),
            postings: self.live_postings + self.dead_postings,
        }
    }

    /// Number of listings indexed.
    pub fn len(&self) -> usize {
        self.slot_of.len()
    }

    /// Whether no listing is indexed.
    pub fn is_empty(&self) -> bool {
        self.slot_of.is_empty()
    }

    /// Sets a center's name and region (its place words).
    pub fn put_center(&mut self, id: CenterId, name: &str, region: &str) {
        let slot = self.center_slot(id);
        let mut words: Vec<String> = Vec::new();
        for word in analyze::words(&format!("{name} {region}")) {
            let canon = self.words.canon(&word);
            if !self.words.is_ignored(&canon) && !words.contains(&canon) {
                words.push(canon);
            }
        }
        self.centers[slot as usize].words = words;
    }

    /// Forgets a center's place words (its listings are removed one by one).
    pub fn remove_center(&mut self, id: &CenterId) {
        if let Some(&slot) = self.center_of.get(id) {
            self.centers[slot as usize].words.clear();
        }
    }

    fn center_slot(&mut self, id: CenterId) -> u32 {
        if let Some(&slot) = self.center_of.get(&id) {
            return slot;
        }
        let slot = u32::try_from(self.centers.len()).unwrap_or(u32::MAX);
        self.centers.push(Center { words: Vec::new() });
        self.center_of.insert(id, slot);
        slot
    }

    /// Adds a listing, replacing the one with the same row.
    pub fn put(&mut self, listing: &IndexedListing) {
        self.remove(listing.rowid);
        let center = self.center_slot(listing.center);
        let mut fields: HashMap<u32, u32> = HashMap::new();
        let mut title = Vec::new();
        for (n, word) in analyze::words(&listing.title).into_iter().enumerate() {
            let field = if n == 0 { IN_TITLE | IN_HEAD } else { IN_TITLE };
            let id = self.add_word(&word, field, &mut fields);
            if title.len() < TITLE_TERMS_MAX {
                title.push(id);
            }
        }
        for (text, field) in [
            (&listing.other_titles, IN_TITLE),
            (&listing.producer, IN_PRODUCER),
            (&listing.body, IN_BODY),
        ] {
            for word in analyze::words(text) {
                self.add_word(&word, field, &mut fields);
            }
        }
        // Hidden terms for the listing's category and center, so that a query
        // by category or place reads postings instead of every listing.
        let category = self.term(&category_term(listing.category), false);
        fields.insert(category, IN_BODY);
        let place = self.term(&center_term(center), false);
        fields.insert(place, IN_BODY);
        let slot = self.free.pop().unwrap_or_else(|| {
            self.docs.push(Doc {
                rowid: 0,
                updated_at_ms: 0,
                price_idr: 0,
                center: 0,
                category: Category::Lainnya,
                status: ListingStatus::Removed,
                in_stock: false,
                alive: false,
            });
            self.cold.push(Cold::default());
            self.live.push(false);
            u32::try_from(self.docs.len() - 1).unwrap_or(u32::MAX)
        });
        let mut terms: Vec<(u32, u32)> = fields.into_iter().collect();
        terms.sort_unstable();
        for (term, bits) in &terms {
            self.terms[*term as usize]
                .postings
                .push(slot << FIELD_BITS | bits);
        }
        self.live_postings += terms.len();
        self.docs[slot as usize] = Doc {
            rowid: listing.rowid,
            updated_at_ms: listing.updated_at_ms,
            price_idr: listing.price_idr,
            center,
            category: listing.category,
            status: listing.status,
            in_stock: listing.stock > 0,
            alive: true,
        };
        self.cold[slot as usize] = Cold {
            title: TitleTerms::new(&title),
            postings: u32::try_from(terms.len()).unwrap_or(u32::MAX),
        };
        self.live[slot as usize] = true;
        self.slot_of.insert(listing.rowid, slot);
    }

    /// Indexes one written word and its forms; returns the word's own term.
    fn add_word(&mut self, word: &str, field: u32, fields: &mut HashMap<u32, u32>) -> u32 {
        let canon = self.words.canon(word);
        let id = self.term(&canon, true);
        *fields.entry(id).or_default() |= field;
        if let Some(modern) = modern_spelling(word) {
            let modern = self.words.canon(&modern);
            if modern != canon {
                let other = self.term(&modern, false);
                *fields.entry(other).or_default() |= field;
            }
        }
        let stem_term = match self.terms[id as usize].stem {
            Some(known) => known,
            None => {
                let found =
                    stem(&canon).map(|root| self.term(&format!("{STEM_MARK}{root}"), false));
                self.terms[id as usize].stem = Some(found);
                found
            }
        };
        if let Some(other) = stem_term {
            *fields.entry(other).or_default() |= field;
        }
        id
    }

    fn term(&mut self, text: &str, surface: bool) -> u32 {
        if let Some(&id) = self.vocab.get(text) {
            self.terms[id as usize].surface |= surface;
            return id;
        }
        let id = u32::try_from(self.terms.len()).unwrap_or(u32::MAX);
        self.terms.push(Term {
            text: text.into(),
            postings: Vec::new(),
            surface,
            mask: letter_mask(text),
            chars: u8::try_from(text.chars().count()).unwrap_or(u8::MAX),
            stem: None,
        });
        self.vocab.insert(text.into(), id);
        self.sorted.insert(text.into(), id);
        id
    }

    /// Removes a listing (nothing happens when it is not indexed).
    pub fn remove(&mut self, rowid: i64) {
        let Some(slot) = self.slot_of.remove(&rowid) else {
            return;
        };
        self.docs[slot as usize].alive = false;
        self.live[slot as usize] = false;
        let count = std::mem::take(&mut self.cold[slot as usize]).postings as usize;
        self.live_postings -= count;
        self.dead_postings += count;
        self.dead_slots.push(slot);
        if self.dead_postings > 1024 && self.dead_postings > self.live_postings {
            self.compact();
        }
    }

    /// Drops the postings of dead listings and frees their slots.
    fn compact(&mut self) {
        let docs = &self.docs;
        for term in &mut self.terms {
            term.postings
                .retain(|p| docs[(p >> FIELD_BITS) as usize].alive);
        }
        self.free.append(&mut self.dead_slots);
        self.dead_postings = 0;
    }

    /// The term for a folded word in standard spelling, if indexed.
    pub(crate) fn term_id(&self, text: &str) -> Option<u32> {
        self.vocab.get(text).copied()
    }

    /// The stem term of a word (`None` when no listing has a word of that stem).
    pub(crate) fn stem_term_id(&self, root: &str) -> Option<u32> {
        self.term_id(&format!("{STEM_MARK}{root}"))
    }

    /// Whether `slot` holds a live listing.
    #[inline]
    pub(crate) fn alive(&self, slot: u32) -> bool {
        self.live.get(slot as usize).copied().unwrap_or(false)
    }

    /// About how many listings hold a term (dead postings included until compaction).
    pub(crate) fn df(&self, term: u32) -> usize {
        self.terms[term as usize].postings.len()
    }

    /// Whether some live listing holds the term.
    pub(crate) fn is_live(&self, term: u32) -> bool {
        self.terms[term as usize]
            .postings
            .iter()
            .any(|p| self.docs[(p >> FIELD_BITS) as usize].alive)
    }

    /// Written words that start with `prefix` (not the prefix itself), the most
    /// frequent first, at most `count`.
    pub(crate) fn completions(&self, prefix: &str, count: usize) -> Vec<u32> {
        let mut found: Vec<u32> = self
            .sorted
            .range::<str, _>((
                std::ops::Bound::Excluded(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(text, _)| text.starts_with(prefix))
            .map(|(_, &id)| id)
            .filter(|&id| self.terms[id as usize].surface && self.is_live(id))
            .collect();
        found.sort_by_key(|&id| (std::cmp::Reverse(self.df(id)), id));
        found.truncate(count);
        found
    }

    /// Written words within `distance_max` edits of `word` (a swap of two
    /// neighbouring letters is one edit), nearest and then most frequent first,
    /// at most `count`, with their distances.
    pub(crate) fn near_words(
        &self,
        word: &str,
        distance_max: usize,
        count: usize,
    ) -> Vec<(u32, usize)> {
        let chars = word.chars().count();
        let mask = letter_mask(word);
        let mut found = Vec::new();
        for (id, term) in self.terms.iter().enumerate() {
            if !term.surface || usize::from(term.chars).abs_diff(chars) > distance_max {
                continue;
            }
            if ((term.mask ^ mask).count_ones() as usize) > 2 * distance_max {
                continue;
            }
            let distance = edit_distance(word, &term.text);
            let id = u32::try_from(id).unwrap_or(u32::MAX);
            if distance > 0 && distance <= distance_max && self.is_live(id) {
                found.push((id, distance));
            }
        }
        found.sort_by_key(|&(id, distance)| (distance, std::cmp::Reverse(self.df(id)), id));
        found.truncate(count);
        found
    }

    /// Slots of every live listing of the centers whose place words include one of `places`.
    pub(crate) fn centers_named(&self, places: &[&str]) -> Vec<u32> {
        self.centers
            .iter()
            .enumerate()
            .filter(|(_, c)| c.words.iter().any(|w| places.contains(&w.as_str())))
            .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
            .collect()
    }

    /// The slot of a center, if it has one.
    pub(crate) fn center_slot_of(&self, id: &CenterId) -> Option<u32> {
        self.center_of.get(id).copied()
    }

    /// The place (a center's place word or a place of the word table, one word)
    /// nearest to a word that is no word of any listing: one edit away, else
    /// two; the nearest first, then a center's word before the table's.
    pub(crate) fn near_place(&self, word: &str) -> Option<String> {
        let centers = self
            .centers
            .iter()
            .flat_map(|c| c.words.iter().map(String::as_str));
        let table = self.words.place_names().filter(|p| !p.contains(' '));
        let mut best: Option<(usize, usize, &str)> = None;
        for (rank, place) in centers.map(|p| (0, p)).chain(table.map(|p| (1, p))) {
            if place.chars().count().abs_diff(word.chars().count()) > 2 {
                continue;
            }
            let distance = edit_distance(word, place);
            if distance == 0 || distance > 2 {
                continue;
            }
            if best.is_none_or(|(d, r, p)| (distance, rank, place) < (d, r, p)) {
                best = Some((distance, rank, place));
            }
        }
        best.map(|(_, _, place)| place.to_owned())
    }

    /// Whether some center has `word` among its place words.
    pub(crate) fn is_center_word(&self, word: &str) -> bool {
        self.centers
            .iter()
            .any(|c| c.words.iter().any(|w| w == word))
    }
}

/// The slot and field bits of a posting.
pub(crate) fn posting(p: u32) -> (u32, u32) {
    (p >> FIELD_BITS, p & ((1 << FIELD_BITS) - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::tests::{center, listing as made_up};

    fn listing(rowid: i64, title: &str, body: &str) -> IndexedListing {
        IndexedListing {
            updated_at_ms: rowid,
            ..made_up(rowid, center(1), title, body)
        }
    }

    #[test]
    fn what_ranking_reads_of_a_listing_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Doc>(), 32);
        assert_eq!(std::mem::align_of::<Doc>(), 32);
    }

    #[test]
    fn title_pairs_are_found_inline_across_the_boundary_and_in_the_tail() {
        let terms: Vec<u32> = (10..30).collect();
        let title = TitleTerms::new(&terms);
        for pair in terms.windows(2) {
            assert!(title.has_pair(pair[0], pair[1]), "{pair:?}");
        }
        assert!(!title.has_pair(11, 10));
        assert!(!title.has_pair(17, 19));
        let short = TitleTerms::new(&[1, 2]);
        assert!(short.has_pair(1, 2));
        assert!(!short.has_pair(2, 0), "unused inline slots are no words");
        assert!(!TitleTerms::default().has_pair(0, 0));
    }

    #[test]
    fn put_replace_and_remove_keep_counts_right() {
        let mut index = Index::new(Arc::new(Words::builtin()));
        index.put(&listing(1, "Keripik Pisang", "renyah"));
        index.put(&listing(2, "Kopi Bubuk", "robusta"));
        assert_eq!(index.len(), 2);
        let pisang = index.term_id("pisang").unwrap();
        assert!(index.is_live(pisang));
        index.put(&listing(1, "Keripik Singkong", "renyah"));
        assert_eq!(index.len(), 2);
        assert!(!index.is_live(pisang));
        index.remove(2);
        index.remove(2);
        assert_eq!(index.len(), 1);
        assert_eq!(index.completions("kop", 5), Vec::<u32>::new());
        let near = index.near_words("singkng", 2, 3);
        assert_eq!(index.terms[near[0].0 as usize].text.as_ref(), "singkong");
    }

    #[test]
    fn dead_postings_are_compacted_and_slots_reused() {
        let mut index = Index::new(Arc::new(Words::builtin()));
        for round in 0..400 {
            index.put(&listing(
                7,
                &format!("Kopi {round}"),
                "kopi robusta arabika enak",
            ));
        }
        assert_eq!(index.len(), 1);
        let stats = index.stats();
        assert!(stats.postings < 3000, "{stats:?}");
        assert!(index.docs.len() < 400, "{}", index.docs.len());
    }
}
