//! Counting what buyers search for, without knowing who: the words and phrases
//! of each buyer's search (first page only, filler words left out) are counted
//! per local month, with how often each found nothing. Counts gather in memory
//! and are written at most every [`DEMAND_FLUSH_MS`] or every
//! [`DEMAND_BUFFER_WORDS_MAX`] words, so a power cut loses at most that much of
//! a statistic, and searching never waits for a disk write.

use std::collections::HashMap;

use crate::clock::local_datetime;
use crate::search::SearchQuery;
use crate::store::{DemandRow, SearchPage};

use super::{Node, NodeError, lock};

/// Most distinct words counted per month; later new words are not counted.
pub const DEMAND_WORDS_PER_MONTH_MAX: usize = 2_000;
/// Months of counts kept (older ones are deleted).
pub const DEMAND_MONTHS_KEPT: i32 = 24;
/// Distinct words gathered in memory before they are written.
pub const DEMAND_BUFFER_WORDS_MAX: usize = 256;
/// Longest time counts wait in memory, ms.
pub const DEMAND_FLUSH_MS: i64 = 60_000;
/// A word with more digits (of any script) than this (a phone number, an order
/// code) is not counted; neither is a word of digits only.
const WORD_DIGITS_MAX: usize = 4;

/// Counts not yet written: (month, word) → (searches, missed).
#[derive(Debug, Default)]
pub(super) struct DemandBuffer {
    counts: HashMap<(String, String), (u64, u64)>,
    oldest_ms: Option<i64>,
}

/// `YYYY-MM` of an instant in the center's local zone.
pub fn local_month(ms: i64) -> String {
    let date = local_datetime(ms).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}", date.year(), u8::from(date.month()))
}

/// The month `DEMAND_MONTHS_KEPT` months before `month` (`YYYY-MM`).
fn oldest_kept(month: &str) -> String {
    let (year, month) = month.split_once('-').unwrap_or(("2000", "01"));
    let index = year.parse::<i32>().unwrap_or(2000) * 12 + month.parse::<i32>().unwrap_or(1)
        - 1
        - (DEMAND_MONTHS_KEPT - 1);
    format!("{:04}-{:02}", index / 12, index % 12 + 1)
}

impl Node {
    /// A buyer's search (pages and the public API): as [`Node::search`], and its
    /// words are counted for the operator's demand report.
    pub fn search_public(&self, query: &SearchQuery) -> Result<SearchPage, NodeError> {
        let page = self.search(query)?;
        if query.text.is_some() && query.offset == 0 {
            self.count_demand(&page);
        }
        Ok(page)
    }

    fn count_demand(&self, page: &SearchPage) {
        let now = self.clock.now_ms();
        let month = local_month(now);
        let due = {
            let mut buffer = lock(&self.demand);
            for word in &page.hints.words {
                // Numbers are never counted: a phone number typed in groups
                // ("0812 3456 7890") would otherwise be kept in pieces. Digits
                // of every script count ("٠٨١٢" is a phone number too).
                let digits = word.chars().filter(|c| c.is_numeric()).count();
                if digits > WORD_DIGITS_MAX || word.chars().all(|c| c.is_numeric() || c == ' ') {
                    continue;
                }
                let entry = buffer
                    .counts
                    .entry((month.clone(), word.clone()))
                    .or_default();
                entry.0 += 1;
                if page.hints.missed.contains(word) {
                    entry.1 += 1;
                }
            }
            let oldest = *buffer.oldest_ms.get_or_insert(now);
            buffer.counts.len() >= DEMAND_BUFFER_WORDS_MAX || now - oldest >= DEMAND_FLUSH_MS
        };
        if due && let Err(error) = self.flush_demand() {
            tracing::warn!(%error, "search counts not written");
        }
    }

    /// Writes the counts gathered in memory.
    pub fn flush_demand(&self) -> Result<(), NodeError> {
        let counts = {
            let mut buffer = lock(&self.demand);
            buffer.oldest_ms = None;
            std::mem::take(&mut buffer.counts)
        };
        if counts.is_empty() {
            return Ok(());
        }
        let mut by_month: HashMap<String, Vec<(String, u64, u64)>> = HashMap::new();
        for ((month, word), (searches, missed)) in counts {
            by_month
                .entry(month)
                .or_default()
                .push((word, searches, missed));
        }
        let oldest = oldest_kept(&local_month(self.clock.now_ms()));
        let mut writer = lock(&self.writer);
        for (month, mut words) in by_month {
            // The most searched first, so a nearly full month keeps those.
            words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            writer
                .store
                .add_demand(&month, &words, DEMAND_WORDS_PER_MONTH_MAX, &oldest)?;
        }
        Ok(())
    }

    /// The words buyers searched for in `month` (`YYYY-MM`), the most often
    /// unfound first.
    pub fn demand(&self, month: &str) -> Result<Vec<DemandRow>, NodeError> {
        self.flush_demand()?;
        Ok(lock(&self.reader).demand(month, DEMAND_WORDS_PER_MONTH_MAX)?)
    }

    /// Months with search counts, newest first (the current month always).
    pub fn demand_months(&self) -> Result<Vec<String>, NodeError> {
        self.flush_demand()?;
        let mut months = lock(&self.reader).demand_months()?;
        let current = local_month(self.clock.now_ms());
        if !months.contains(&current) {
            months.insert(0, current);
        }
        Ok(months)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_local_and_the_oldest_kept_wraps_years() {
        // 2026-11-30 20:00 UTC is 2026-12-01 03:00 WIB.
        assert_eq!(local_month(1_796_068_800_000), "2026-12");
        assert_eq!(oldest_kept("2026-12"), "2025-01");
        assert_eq!(oldest_kept("2026-01"), "2024-02");
    }
}
