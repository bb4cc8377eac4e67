//! Uploaded spreadsheets waiting for the operator's confirmation: kept in
//! memory under a random id, at most [`SHEET_HELD_MAX`] (the oldest dropped
//! first), each for [`SHEET_HELD_MS`]; confirming takes one out.

use std::collections::VecDeque;

use telecenter_protocol::limits::{SHEET_HELD_MAX, SHEET_HELD_MS};

use super::Format;

/// One held upload.
#[derive(Debug)]
struct Held {
    id: String,
    format: Format,
    bytes: Vec<u8>,
    expires_at_ms: i64,
}

/// The held uploads, oldest first.
#[derive(Debug, Default)]
pub struct HeldSheets(VecDeque<Held>);

impl HeldSheets {
    /// Keeps `bytes` under `id` until `now_ms + SHEET_HELD_MS`, dropping expired
    /// uploads and, beyond the bound, the oldest.
    pub fn hold(&mut self, id: String, format: Format, bytes: Vec<u8>, now_ms: i64) {
        self.expire(now_ms);
        while self.0.len() >= SHEET_HELD_MAX {
            self.0.pop_front();
        }
        self.0.push_back(Held {
            id,
            format,
            bytes,
            expires_at_ms: now_ms.saturating_add(SHEET_HELD_MS),
        });
    }

    /// Takes out the upload held under `id`, if it is still there.
    pub fn take(&mut self, id: &str, now_ms: i64) -> Option<(Format, Vec<u8>)> {
        self.expire(now_ms);
        let at = self.0.iter().position(|h| h.id == id)?;
        self.0.remove(at).map(|h| (h.format, h.bytes))
    }

    /// How many are held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn expire(&mut self, now_ms: i64) {
        self.0.retain(|h| h.expires_at_ms > now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_uploads_are_bounded_expire_and_are_taken_once() {
        let mut held = HeldSheets::default();
        for n in 0..SHEET_HELD_MAX + 2 {
            held.hold(format!("id{n}"), Format::Csv, vec![1], 0);
        }
        assert_eq!(held.len(), SHEET_HELD_MAX);
        assert!(held.take("id0", 1).is_none(), "the oldest was dropped");
        assert!(held.take("id2", 1).is_some());
        assert!(held.take("id2", 1).is_none(), "taken once");
        assert!(held.take("id3", SHEET_HELD_MS).is_none(), "expired");
        assert!(held.is_empty());
    }
}
