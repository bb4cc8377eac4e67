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
    Doc, IN_HEAD, IN_PRODUCER, IN_TITLE, Index, TitleTerms, category_term, center_term, posting,
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

/// One listing's accumulators for one query, together so that touching a
/// listing reads and writes one place, not six arrays.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Acc {
    score: f32,
    /// Score from related products only: counts for listings that match no
    /// word of the query, which then come after every listing that does.
    weak: f32,
    /// The current concept's best match by the word or its meanings, and by a
    /// related product only.
    best: f32,
    best_related: f32,
    cover: u8,
    seen: bool,
}

impl Acc {
    /// Adds the best match of the concept just applied, by `factor` (how rare
    /// the concept is), and clears it for the next concept.
    fn settle(&mut self, factor: f32) {
        if self.best > 0.0 {
            self.score += self.best * factor;
            self.cover = self.cover.saturating_add(1);
        } else {
            self.weak += self.best_related * factor;
        }
        self.best = 0.0;
        self.best_related = 0.0;
    }
}

/// Per-listing accumulators for one query.
struct Scores {
    acc: Vec<Acc>,
    touched: Vec<u32>,
    /// Every listing any concept touched (each once): the only ones a query
    /// looks at again, so its cost grows with its hits, not with the index.
    candidates: Vec<u32>,
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
                acc: Vec::new(),
                touched: Vec::new(),
                candidates: Vec::new(),
                phrase: Vec::new(),
                covering: true,
            });
        scores.acc.resize(n, Acc::default());
        scores.phrase.resize(n, (0, 0, 0));
        scores.covering = true;
        scores
    }

    /// Keeps the accumulators for the next search of this thread; ranking
    /// zeroed every one this search wrote.
    fn give_back(mut self) {
        debug_assert!(
            self.candidates
                .iter()
                .chain(&self.touched)
                .all(|&slot| self.acc[slot as usize] == Acc::default())
        );
        self.candidates.clear();
        self.touched.clear();
        SCRATCH.with(|s| *s.borrow_mut() = Some(self));
    }

    fn bump(&mut self, slot: u32, value: f32) {
        let acc = &mut self.acc[slot as usize];
        if acc.best == 0.0 && acc.best_related == 0.0 {
            self.touched.push(slot);
        }
        let best = if self.covering {
            &mut acc.best
        } else {
            &mut acc.best_related
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
        let mut factor = 1.0;
        for (n, concept) in plan.concepts.iter().enumerate() {
            for alternative in &concept.alternatives {
                scores.covering = alternative.covers;
                self.apply(&alternative.target, alternative.weight, &mut scores);
            }
            if !scores
                .touched
                .iter()
                .any(|&slot| scores.acc[slot as usize].best > 0.0)
            {
                hits.hints.missed.push(concept.typed.clone());
            }
            let rarity = (1.0 + live / scores.touched.len().max(1) as f32).ln() / (1.0 + live).ln();
            factor = 0.8 + 0.2 * rarity.clamp(0.0, 1.0);
            if n + 1 == plan.concepts.len() {
                // The last concept is settled as its listings are ranked, below.
                break;
            }
            for &slot in &scores.touched {
                let acc = &mut scores.acc[slot as usize];
                if !acc.seen {
                    acc.seen = true;
                    scores.candidates.push(slot);
                }
                acc.settle(factor);
            }
            scores.touched.clear();
        }
        let center_filter = query.center.map(|c| self.center_slot_of(&c));
        // Neighbouring query words, for the phrase bonus: a title is read only
        // when there are some.
        let pairs: Vec<(u32, u32)> = plan
            .concepts
            .iter()
            .flat_map(|c| c.own_terms.iter().copied())
            .collect::<Vec<Option<u32>>>()
            .windows(2)
            .filter_map(|w| Some((w[0]?, w[1]?)))
            .collect();
        let wanted = (query.offset as usize).saturating_add(query.limit as usize);
        // Room for the page, or for every listing touched if they are fewer.
        let touched = scores.candidates.len() + scores.touched.len();
        let mut best = Best::new(query.sort, wanted, touched);
        // Listings found per number of query words matched.
        let mut per_cover = [0u64; 256];
        let mut rank = |slot: usize, acc: Acc| {
            let base = if acc.cover > 0 { acc.score } else { acc.weak };
            let doc = &self.docs[slot];
            if base == 0.0 || !doc.alive || !passes(doc, query, center_filter) {
                return;
            }
            per_cover[usize::from(acc.cover)] += 1;
            let stock = if doc.in_stock { 1.0 } else { OUT_OF_STOCK };
            let mut score = base;
            if !pairs.is_empty() && query.sort == Sort::Relevance {
                // The title is read only for a listing that could be shown
                // with the whole bonus (plus a margin for rounding).
                let bound = (base + PHRASE_BONUS * pairs.len() as f32) * stock + 1e-3;
                if !best.may_take(acc.cover, bound) {
                    return;
                }
                score += phrase_bonus(&pairs, &self.cold[slot].title);
            }
            score *= stock;
            best.offer(Found {
                cover: acc.cover,
                score,
                price_idr: doc.price_idr,
                updated_at_ms: doc.updated_at_ms,
                rowid: doc.rowid,
            });
        };
        // Each listing is ranked once, its accumulators read and zeroed for
        // the next search in one go: first those the last concept did not
        // touch, then the last concept's, settled on the way.
        for &slot in &scores.candidates {
            let acc = &mut scores.acc[slot as usize];
            if acc.best == 0.0 && acc.best_related == 0.0 {
                rank(slot as usize, std::mem::take(acc));
            }
        }
        for &slot in &scores.touched {
            let mut acc = std::mem::take(&mut scores.acc[slot as usize]);
            acc.settle(factor);
            rank(slot as usize, acc);
        }
        let matching: u64 = per_cover[1..].iter().sum();
        let most = per_cover.iter().rposition(|&n| n > 0).unwrap_or(0);
        // The numbers of query words a shown listing matches.
        let shown = if query.sort != Sort::Relevance {
            // Ordered by price or date: only the listings that match best.
            most..=most
        } else if matching >= RELATED_FILL_BELOW as u64 {
            // Enough listings have the buyer's words: related products would
            // only pad the list.
            1..=usize::from(u8::MAX)
        } else {
            0..=usize::from(u8::MAX)
        };
        hits.total = per_cover[shown.clone()].iter().sum();
        hits.rowids = best
            .into_sorted()
            .into_iter()
            .filter(|f| shown.contains(&usize::from(f.cover)))
            .skip(query.offset as usize)
            .take(query.limit as usize)
            .map(|f| f.rowid)
            .collect();
        scores.give_back();
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
                // A word said twice ("oleh oleh") is one word to hold.
                order.sort_by_key(|&id| (self.df(id), id));
                order.dedup();
                if let [only] = order[..]
                    && scores.covering
                {
                    // Every word the same: its head and weakest field are the
                    // posting's own, so this is the word alone.
                    return self.apply(&Target::Term(only), weight, scores);
                }
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

/// The best `wanted` listings found, by the number of query words matched
/// and then by [`order`]: a heap whose top is the worst one kept, so that a
/// search with tens of thousands of hits compares most of them once and
/// keeps only a page of them.
struct Best {
    heap: std::collections::BinaryHeap<Ranked>,
    sort: Sort,
    wanted: usize,
}

/// A listing found, ordered for [`Best`]: the better one is the lesser.
struct Ranked(Found, Sort);

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        ranked(self.1, &self.0, &other.0)
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Ranked {}

impl Best {
    /// Keeps the best `wanted`, with room made for at most `room`.
    fn new(sort: Sort, wanted: usize, room: usize) -> Self {
        Self {
            heap: std::collections::BinaryHeap::with_capacity(wanted.min(room)),
            sort,
            wanted,
        }
    }

    fn offer(&mut self, found: Found) {
        if self.heap.len() < self.wanted {
            self.heap.push(Ranked(found, self.sort));
        } else if let Some(mut worst) = self.heap.peek_mut()
            && ranked(self.sort, &found, &worst.0).is_lt()
        {
            worst.0 = found;
        }
    }

    /// Whether a listing matching `cover` query words with a relevance score
    /// of at most `bound` could be kept (the order is by relevance).
    fn may_take(&self, cover: u8, bound: f32) -> bool {
        match self.heap.peek() {
            Some(worst) if self.heap.len() >= self.wanted => {
                cover > worst.0.cover || (cover == worst.0.cover && bound >= worst.0.score)
            }
            _ => true,
        }
    }

    /// Those kept, best first.
    fn into_sorted(self) -> Vec<Found> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|r| r.0)
            .collect()
    }
}

/// More query words matched first, then [`order`]. For the relevance order
/// this is the order itself; for the others it puts the listings that match
/// best (the only ones shown) first.
fn ranked(sort: Sort, a: &Found, b: &Found) -> std::cmp::Ordering {
    b.cover.cmp(&a.cover).then_with(|| order(sort, a, b))
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

/// 0.25 for each two neighbouring query words (`pairs`) that stand side by
/// side, in the same order, in the listing's title.
fn phrase_bonus(pairs: &[(u32, u32)], title: &TitleTerms) -> f32 {
    let mut bonus = 0.0;
    for &(a, b) in pairs {
        if title.has_pair(a, b) {
            bonus += PHRASE_BONUS;
        }
    }
    bonus
}
