//! Runs a planned query over the index and ranks what matched.
//!
//! A listing matches when any concept of the query matches it. Listings are
//! ordered by, in turn:
//! 1. how many concepts match (all the buyer's words first);
//! 2. the score: for each matched concept the best of its alternatives, the
//!    alternative's weight (word 1.0, stem 0.8, synonym 0.7, category 0.6, place
//!    or completion 0.5, typo 0.45 or 0.35) times the field's weight (first word
//!    of the title, its head, 1.0; elsewhere in a title 0.8; producer 0.6;
//!    description 0.4), times 0.8–1.0 for how rare the concept is;
//!    plus 0.25 for each two query words that stand side by side in the title;
//!    times 0.8 when the listing is out of stock;
//! 3. the most recently updated, then the row (a stable order for equal scores).
//!
//! A listing that matches no concept but is a related product of one (its
//! title names a word listed beside the query word under one broader word)
//! comes after all of these, by its related score, when fewer than a page of
//! listings match; it does not count as a match of the word.

use super::index::{
    Doc, IN_HEAD, IN_PRODUCER, IN_TITLE, Index, category_term, center_term, posting,
};
use super::plan::{Plan, Target, plan};
use super::{SearchQuery, Sort};

/// Related products fill in only when fewer listings than this (a page of
/// results) have the buyer's words.
const RELATED_FILL_BELOW: usize = 20;
/// Bonus for two query words side by side in a title.
const PHRASE_BONUS: f32 = 0.25;
/// Factor for a listing that is out of stock.
const OUT_OF_STOCK: f32 = 0.8;
/// Words suggested when nothing matched.
const SUGGESTIONS_MAX: usize = 5;

/// What a search found, before the rows are read from the store.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hits {
    /// Listings that match in all.
    pub total: u64,
    /// Rows of the requested page, best first.
    pub rowids: Vec<i64>,
    /// What the search says besides its results.
    pub hints: SearchHints,
}

/// What a search says besides its results: help for the buyer, and the words
/// counted for the operator's demand report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchHints {
    /// The query with likely typing mistakes corrected ("Maksud Anda").
    pub corrected: Option<String>,
    /// Near words to try when nothing matched.
    pub suggestions: Vec<String>,
    /// The query's words and phrases (filler words left out).
    pub words: Vec<String>,
    /// Those of them that matched no listing at all.
    pub missed: Vec<String>,
}

fn field_weight(bits: u32) -> f32 {
    if bits & IN_HEAD != 0 {
        1.0
    } else if bits & IN_TITLE != 0 {
        0.8
    } else if bits & IN_PRODUCER != 0 {
        0.6
    } else {
        0.4
    }
}

/// Per-listing accumulators for one query.
struct Scores {
    score: Vec<f32>,
    /// Score from related products only: counts for listings that match no
    /// word of the query, which then come after every listing that does.
    weak: Vec<f32>,
    cover: Vec<u8>,
    /// The current concept's best match per listing by the word or its
    /// meanings, and by a related product only.
    best: Vec<f32>,
    best_related: Vec<f32>,
    touched: Vec<u32>,
    /// Every listing any concept touched (each once): the only ones a query
    /// looks at again, so its cost grows with its hits, not with the index.
    candidates: Vec<u32>,
    seen: Vec<bool>,
    /// A phrase's words per listing: how many held, and the field bits of its
    /// head's posting and of the weakest (3 bytes per listing, not 12: this
    /// thread keeps them for every listing held).
    phrase: Vec<(u8, u8, u8)>,
    /// Whether the alternative being applied counts as a match of the word.
    covering: bool,
}

thread_local! {
    /// Accumulators kept between the searches of a thread, all zero between
    /// searches, so that a search neither allocates nor clears one slot per
    /// listing held.
    static SCRATCH: std::cell::RefCell<Option<Scores>> = const { std::cell::RefCell::new(None) };
}

impl Scores {
    /// Zeroed accumulators for `n` listings: this thread's, or new ones.
    fn take(n: usize) -> Self {
        let mut scores = SCRATCH
            .with(|s| s.borrow_mut().take())
            .unwrap_or_else(|| Self {
                score: Vec::new(),
                weak: Vec::new(),
                cover: Vec::new(),
                best: Vec::new(),
                best_related: Vec::new(),
                touched: Vec::new(),
                candidates: Vec::new(),
                seen: Vec::new(),
                phrase: Vec::new(),
                covering: true,
            });
        scores.score.resize(n, 0.0);
        scores.weak.resize(n, 0.0);
        scores.cover.resize(n, 0);
        scores.best.resize(n, 0.0);
        scores.best_related.resize(n, 0.0);
        scores.seen.resize(n, false);
        scores.phrase.resize(n, (0, 0, 0));
        scores.covering = true;
        scores
    }

    /// Zeroes what this search wrote and keeps the accumulators for the next
    /// search of this thread.
    fn give_back(mut self) {
        for &slot in self.candidates.iter().chain(&self.touched) {
            let s = slot as usize;
            self.score[s] = 0.0;
            self.weak[s] = 0.0;
            self.cover[s] = 0;
            self.best[s] = 0.0;
            self.best_related[s] = 0.0;
            self.seen[s] = false;
        }
        self.candidates.clear();
        self.touched.clear();
        SCRATCH.with(|s| *s.borrow_mut() = Some(self));
    }

    fn bump(&mut self, slot: u32, value: f32) {
        let s = slot as usize;
        if self.best[s] == 0.0 && self.best_related[s] == 0.0 {
            self.touched.push(slot);
        }
        let best = if self.covering {
            &mut self.best[s]
        } else {
            &mut self.best_related[s]
        };
        *best = best.max(value);
    }
}

impl Index {
    /// Runs a search with text (see the module comment); `query.text` must be set.
    pub fn search(&self, query: &SearchQuery) -> Hits {
        let text = query.text.as_deref().unwrap_or("");
        let plan = plan(self, text);
        let mut hits = Hits {
            hints: SearchHints {
                corrected: plan.corrected(),
                words: plan.concepts.iter().map(|c| c.typed.clone()).collect(),
                ..SearchHints::default()
            },
            ..Hits::default()
        };
        let mut scores = Scores::take(self.docs.len());
        let live = self.len().max(1) as f32;
        for concept in &plan.concepts {
            for alternative in &concept.alternatives {
                scores.covering = alternative.covers;
                self.apply(&alternative.target, alternative.weight, &mut scores);
            }
            if !scores
                .touched
                .iter()
                .any(|&slot| scores.best[slot as usize] > 0.0)
            {
                hits.hints.missed.push(concept.typed.clone());
            }
            let rarity = (1.0 + live / scores.touched.len().max(1) as f32).ln() / (1.0 + live).ln();
            let factor = 0.8 + 0.2 * rarity.clamp(0.0, 1.0);
            for slot in std::mem::take(&mut scores.touched) {
                if !scores.seen[slot as usize] {
                    scores.seen[slot as usize] = true;
                    scores.candidates.push(slot);
                }
                let slot = slot as usize;
                if scores.best[slot] > 0.0 {
                    scores.score[slot] += scores.best[slot] * factor;
                    scores.cover[slot] = scores.cover[slot].saturating_add(1);
                } else {
                    scores.weak[slot] += scores.best_related[slot] * factor;
                }
                scores.best[slot] = 0.0;
                scores.best_related[slot] = 0.0;
            }
        }
        let center_filter = query.center.map(|c| self.center_slot_of(&c));
        let sequence: Vec<Option<u32>> = plan
            .concepts
            .iter()
            .flat_map(|c| c.own_terms.iter().copied())
            .collect();
        let mut found: Vec<Found> = Vec::with_capacity(scores.candidates.len());
        for &candidate in &scores.candidates {
            let slot = candidate as usize;
            let doc = &self.docs[slot];
            let cover = scores.cover[slot];
            let base = if cover > 0 {
                scores.score[slot]
            } else {
                scores.weak[slot]
            };
            if base == 0.0 || !doc.alive || !passes(doc, query, center_filter) {
                continue;
            }
            let mut score = base + phrase_bonus(&sequence, doc);
            if !doc.in_stock {
                score *= OUT_OF_STOCK;
            }
            found.push(Found {
                cover,
                score,
                price_idr: doc.price_idr,
                updated_at_ms: doc.updated_at_ms,
                rowid: doc.rowid,
            });
        }
        scores.give_back();
        let matching = found.iter().filter(|f| f.cover > 0).count();
        if matching >= RELATED_FILL_BELOW {
            // Enough listings have the buyer's words: related products would
            // only pad the list.
            found.retain(|f| f.cover > 0);
        }
        if query.sort != Sort::Relevance {
            // Ordered by price or date: only the listings that match best.
            let most = found.iter().map(|f| f.cover).max().unwrap_or(0);
            found.retain(|f| f.cover == most);
        }
        hits.total = found.len() as u64;
        let by = |a: &Found, b: &Found| order(query.sort, a, b);
        let wanted = (query.offset as usize).saturating_add(query.limit as usize);
        if found.len() > wanted && wanted > 0 {
            found.select_nth_unstable_by(wanted - 1, by);
            found.truncate(wanted);
        }
        found.sort_unstable_by(by);
        hits.rowids = found
            .iter()
            .skip(query.offset as usize)
            .take(query.limit as usize)
            .map(|f| f.rowid)
            .collect();
        if hits.total == 0 {
            hits.hints.suggestions = self.suggestions(&plan);
        }
        hits
    }

    fn apply(&self, target: &Target, weight: f32, scores: &mut Scores) {
        match target {
            Target::Term(id) => {
                for &p in &self.terms[*id as usize].postings {
                    let (slot, bits) = posting(p);
                    // A related product is one whose title names it, not one
                    // whose description mentions it.
                    if !scores.covering && bits & IN_TITLE == 0 {
                        continue;
                    }
                    if self.alive(slot) {
                        scores.bump(slot, weight * field_weight(bits));
                    }
                }
            }
            Target::AllOf(ids) => {
                // Listings holding every word of the phrase, weighted half by the
                // field of its first word (its head) and half by the weakest field.
                let Some(&head) = ids.first() else {
                    return;
                };
                let mut order = ids.clone();
                order.sort_by_key(|&id| self.df(id));
                // For the rarest word's listings: how many of the phrase's
                // words each has, its head's weight and the weakest (in this
                // thread's accumulators, zeroed again after).
                let mut holders: Vec<u32> = Vec::new();
                for (round, &id) in order.iter().enumerate() {
                    let round = u8::try_from(round).unwrap_or(u8::MAX);
                    for &p in &self.terms[id as usize].postings {
                        let (slot, bits) = posting(p);
                        let s = slot as usize;
                        let entry = &mut scores.phrase[s];
                        if entry.0 != round || !self.alive(slot) {
                            continue;
                        }
                        if round == 0 {
                            holders.push(slot);
                        }
                        entry.0 = round.saturating_add(1);
                        // Field bits fit in a byte (`FIELD_BITS`).
                        let bits = u8::try_from(bits).unwrap_or_default();
                        if round == 0 || field_weight(bits.into()) < field_weight(entry.2.into()) {
                            entry.2 = bits;
                        }
                        if id == head {
                            entry.1 = bits;
                        }
                    }
                }
                let all = u8::try_from(order.len()).unwrap_or(u8::MAX);
                for slot in holders {
                    let entry = std::mem::take(&mut scores.phrase[slot as usize]);
                    if entry.0 == all {
                        let (head, weakest) =
                            (field_weight(entry.1.into()), field_weight(entry.2.into()));
                        scores.bump(slot, weight * (head + weakest) / 2.0);
                    }
                }
            }
            Target::Category(category) => {
                if let Some(id) = self.term_id(&category_term(*category)) {
                    self.bump_all(id, weight, scores);
                }
            }
            Target::Centers(centers) => {
                for &center in centers {
                    if let Some(id) = self.term_id(&center_term(center)) {
                        self.bump_all(id, weight, scores);
                    }
                }
            }
        }
    }

    /// Bumps every live listing holding the hidden term `id` by `weight`.
    fn bump_all(&self, id: u32, weight: f32, scores: &mut Scores) {
        for &p in &self.terms[id as usize].postings {
            let slot = posting(p).0;
            if self.alive(slot) {
                scores.bump(slot, weight);
            }
        }
    }

    /// Near written words for each word of a query that found nothing.
    fn suggestions(&self, plan: &Plan) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for concept in &plan.concepts {
            let word = self.words.canon(&concept.typed);
            if word.contains(' ') || word.chars().count() < 3 {
                continue;
            }
            for (id, _) in self.near_words(&word, 2, SUGGESTIONS_MAX) {
                let text = self.terms[id as usize].text.to_string();
                if !out.contains(&text) && out.len() < SUGGESTIONS_MAX {
                    out.push(text);
                }
            }
        }
        out
    }
}

fn passes(doc: &Doc, query: &SearchQuery, center: Option<Option<u32>>) -> bool {
    query.statuses.contains(&doc.status)
        && query.category.is_none_or(|c| c == doc.category)
        && center.is_none_or(|c| c == Some(doc.center))
        && query.min_price_idr.is_none_or(|min| doc.price_idr >= min)
        && query.max_price_idr.is_none_or(|max| doc.price_idr <= max)
}

/// A listing found, with what ordering it needs at hand (so that ordering
/// thousands of hits never goes back to the index).
struct Found {
    /// Query words it matches.
    cover: u8,
    score: f32,
    price_idr: i64,
    updated_at_ms: i64,
    rowid: i64,
}

/// The order of results: by `sort`, then newest first, then by row.
fn order(sort: Sort, a: &Found, b: &Found) -> std::cmp::Ordering {
    let first = match sort {
        Sort::Relevance => b.cover.cmp(&a.cover).then(b.score.total_cmp(&a.score)),
        Sort::Newest => std::cmp::Ordering::Equal,
        Sort::PriceAsc => a.price_idr.cmp(&b.price_idr),
        Sort::PriceDesc => b.price_idr.cmp(&a.price_idr),
    };
    first
        .then(b.updated_at_ms.cmp(&a.updated_at_ms))
        .then(a.rowid.cmp(&b.rowid))
}

/// 0.25 for each two neighbouring query words that stand side by side, in the
/// same order, in the listing's title.
fn phrase_bonus(sequence: &[Option<u32>], doc: &Doc) -> f32 {
    let mut bonus = 0.0;
    for pair in sequence.windows(2) {
        let (Some(a), Some(b)) = (pair[0], pair[1]) else {
            continue;
        };
        if doc.title.has_pair(a, b) {
            bonus += PHRASE_BONUS;
        }
    }
    bonus
}
