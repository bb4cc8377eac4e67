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

use super::index::{Doc, IN_HEAD, IN_PRODUCER, IN_TITLE, Index, posting};
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
    /// Whether the alternative being applied counts as a match of the word.
    covering: bool,
}

impl Scores {
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
        let n = self.docs.len();
        let mut scores = Scores {
            score: vec![0.0; n],
            weak: vec![0.0; n],
            cover: vec![0; n],
            best: vec![0.0; n],
            best_related: vec![0.0; n],
            touched: Vec::new(),
            covering: true,
        };
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
        let mut found: Vec<(u8, f32, u32)> = Vec::new();
        for (slot, doc) in self.docs.iter().enumerate() {
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
            found.push((cover, score, u32::try_from(slot).unwrap_or(u32::MAX)));
        }
        let matching = found.iter().filter(|f| f.0 > 0).count();
        if matching >= RELATED_FILL_BELOW {
            // Enough listings have the buyer's words: related products would
            // only pad the list.
            found.retain(|f| f.0 > 0);
        }
        if query.sort != Sort::Relevance {
            // Ordered by price or date: only the listings that match best.
            let most = found.iter().map(|f| f.0).max().unwrap_or(0);
            found.retain(|f| f.0 == most);
        }
        hits.total = found.len() as u64;
        let by = |a: &(u8, f32, u32), b: &(u8, f32, u32)| self.order(query.sort, a, b);
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
            .map(|&(_, _, slot)| self.docs[slot as usize].rowid)
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
                    if self.docs[slot as usize].alive {
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
                let n = self.docs.len();
                // How many of the phrase's words each listing has, and their weights.
                let mut seen = vec![0u8; n];
                let mut head_w = vec![0f32; n];
                let mut min_w = vec![f32::MAX; n];
                for (round, &id) in order.iter().enumerate() {
                    let round = u8::try_from(round).unwrap_or(u8::MAX);
                    for &p in &self.terms[id as usize].postings {
                        let (slot, bits) = posting(p);
                        let s = slot as usize;
                        if seen[s] != round || !self.docs[s].alive {
                            continue;
                        }
                        seen[s] = round.saturating_add(1);
                        let w = field_weight(bits);
                        min_w[s] = min_w[s].min(w);
                        if id == head {
                            head_w[s] = w;
                        }
                    }
                }
                let all = u8::try_from(order.len()).unwrap_or(u8::MAX);
                for &p in &self.terms[order[order.len() - 1] as usize].postings {
                    let s = posting(p).0 as usize;
                    if seen[s] == all {
                        seen[s] = 0;
                        scores.bump(posting(p).0, weight * (head_w[s] + min_w[s]) / 2.0);
                    }
                }
            }
            Target::Category(category) => {
                for (slot, doc) in self.docs.iter().enumerate() {
                    if doc.alive && doc.category == *category {
                        scores.bump(u32::try_from(slot).unwrap_or(u32::MAX), weight);
                    }
                }
            }
            Target::Centers(centers) => {
                for (slot, doc) in self.docs.iter().enumerate() {
                    if doc.alive && centers.contains(&doc.center) {
                        scores.bump(u32::try_from(slot).unwrap_or(u32::MAX), weight);
                    }
                }
            }
        }
    }

    fn order(&self, sort: Sort, a: &(u8, f32, u32), b: &(u8, f32, u32)) -> std::cmp::Ordering {
        let (da, db) = (&self.docs[a.2 as usize], &self.docs[b.2 as usize]);
        let first = match sort {
            Sort::Relevance => b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)),
            Sort::Newest => std::cmp::Ordering::Equal,
            Sort::PriceAsc => da.price_idr.cmp(&db.price_idr),
            Sort::PriceDesc => db.price_idr.cmp(&da.price_idr),
        };
        first
            .then(db.updated_at_ms.cmp(&da.updated_at_ms))
            .then(da.rowid.cmp(&db.rowid))
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

/// 0.25 for each two neighbouring query words that stand side by side, in the
/// same order, in the listing's title.
fn phrase_bonus(sequence: &[Option<u32>], doc: &Doc) -> f32 {
    let mut bonus = 0.0;
    for pair in sequence.windows(2) {
        let (Some(a), Some(b)) = (pair[0], pair[1]) else {
            continue;
        };
        if doc.title.windows(2).any(|w| w[0] == a && w[1] == b) {
            bonus += PHRASE_BONUS;
        }
    }
    bonus
}
