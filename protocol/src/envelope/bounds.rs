//! A small, fully bounded pre-parser of Automerge change chunks: it measures what
//! a change would cost to decode *before* Automerge decodes it.
//!
//! Automerge inflates compressed chunks without limit, and the columns of a change
//! are run-length encoded, so a few bytes can claim billions of operations, of
//! predecessors, or of copies of a long map key. `Change::try_from` walks every
//! operation, so such a change would make a node spin and allocate while it holds
//! locks. This walk reads only the chunk's own bytes, allocates nothing in
//! proportion to any count it reads, bounds every LEB128 number and adds with
//! saturation; it stops at the first limit crossed.
//!
//! The layout walked (Automerge binary format, change chunk):
//!
//! ```text
//! magic (85 6f 4a 83) · checksum (4) · chunk type (1, must be 1) · length (uLEB) = rest
//! deps (uLEB count, 32 bytes each) · actor (uLEB length, bytes) · seq · start_op · time (sLEB)
//! message (uLEB length, bytes) · other actors (uLEB count, each uLEB length + bytes)
//! column metadata (uLEB count, each: spec uLEB u32, length uLEB) · column data · extra bytes
//! ```
//!
//! A column spec is `id << 4 | deflate << 3 | type`. Run-length columns hold runs
//! of an sLEB count: `n > 0` repeats the one value that follows `n` times, `n < 0`
//! is followed by `-n` literal values, `0` by a uLEB count of nulls. Boolean
//! columns are uLEB run lengths of alternating false/true.

use sha2::{Digest, Sha256};

use crate::limits::{CHANGE_EXPANDED_BYTES_MAX, CHANGE_OPS_MAX, CHANGE_PREDS_MAX};

/// The magic bytes that open every Automerge chunk.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// Chunk type of an uncompressed change.
const CHUNK_TYPE_CHANGE: u8 = 1;
/// Chunk type of a deflate-compressed change.
const CHUNK_TYPE_COMPRESSED: u8 = 2;
/// The column of operation actions: one row per operation.
const ACTION_COLUMN_ID: u32 = 4;
/// The predecessor columns: a group column (one count per operation) and the
/// actor and counter columns it groups (one row per predecessor).
const PRED_COLUMN_ID: u32 = 7;
/// The deflate bit of a column spec.
const DEFLATE_BIT: u32 = 0b1000;
/// Longest LEB128 encoding of a 64-bit number, in bytes.
const LEB128_BYTES_MAX: usize = 10;

/// What a change chunk would cost to decode, as measured by [`measure`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChangeShape {
    /// Operations (rows of the action column).
    pub ops: u64,
    /// Predecessors of all operations together (sum of the pred group column).
    pub preds: u64,
    /// Bytes of all string column values once their runs are expanded.
    pub expanded_bytes: u64,
}

/// Why [`measure`] refused a chunk.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BoundsError {
    /// A compressed chunk (type 2) or a deflated column: refused before inflating.
    #[error("{0}")]
    Compressed(String),
    /// The change claims more than a limit allows.
    #[error("change has more than {limit} {what}")]
    OverLimit {
        /// What was counted ("operations", "predecessors", "expanded string bytes").
        what: &'static str,
        /// The limit crossed.
        limit: u64,
    },
    /// The bytes are not a well-formed change chunk.
    #[error("{0}")]
    Malformed(String),
}

/// A cursor over the chunk's bytes; every read is bounded by what is left.
struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn malformed(what: &str) -> BoundsError {
        BoundsError::Malformed(format!("change chunk ends or is invalid in {what}"))
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn take(&mut self, n: u64, what: &str) -> Result<&'a [u8], BoundsError> {
        let n = usize::try_from(n).map_err(|_| Self::malformed(what))?;
        if n > self.bytes.len() {
            return Err(Self::malformed(what));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn byte(&mut self, what: &str) -> Result<u8, BoundsError> {
        let (first, rest) = self
            .bytes
            .split_first()
            .ok_or_else(|| Self::malformed(what))?;
        self.bytes = rest;
        Ok(*first)
    }

    /// An unsigned LEB128 number of at most 64 bits (at most ten bytes).
    fn uleb(&mut self, what: &str) -> Result<u64, BoundsError> {
        let mut value: u64 = 0;
        for index in 0..LEB128_BYTES_MAX {
            let byte = self.byte(what)?;
            let low = u64::from(byte & 0x7f);
            let shift = 7 * index as u32;
            // The tenth byte may carry only the 64th bit.
            if index == LEB128_BYTES_MAX - 1 && low > 1 {
                return Err(Self::malformed(what));
            }
            value |= low << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Self::malformed(what))
    }

    /// A signed LEB128 number of at most 64 bits (at most ten bytes).
    fn sleb(&mut self, what: &str) -> Result<i64, BoundsError> {
        let mut value: i64 = 0;
        for index in 0..LEB128_BYTES_MAX {
            let byte = self.byte(what)?;
            let shift = 7 * index as u32;
            let low = i64::from(byte & 0x7f);
            if index == LEB128_BYTES_MAX - 1 {
                // The tenth byte holds only the sign bit: 0x00 or 0x7f.
                if byte & 0x80 != 0 || (low != 0 && low != 0x7f) {
                    return Err(Self::malformed(what));
                }
            }
            value |= low << shift;
            if byte & 0x80 == 0 {
                let used = shift + 7;
                if used < 64 && byte & 0x40 != 0 {
                    value |= -1i64 << used;
                }
                return Ok(value);
            }
        }
        Err(Self::malformed(what))
    }

    /// A uLEB length followed by that many bytes.
    fn length_prefixed(&mut self, what: &str) -> Result<&'a [u8], BoundsError> {
        let len = self.uleb(what)?;
        self.take(len, what)
    }
}

/// How the values of one run-length column are laid out.
#[derive(Clone, Copy)]
enum RleValue {
    Unsigned,
    Signed,
    String,
}

/// Running totals, checked against the limits after every run.
#[derive(Default)]
struct Totals {
    shape: ChangeShape,
}

impl Totals {
    fn add_expanded(&mut self, bytes: u64) -> Result<(), BoundsError> {
        self.shape.expanded_bytes = self.shape.expanded_bytes.saturating_add(bytes);
        over(
            self.shape.expanded_bytes,
            CHANGE_EXPANDED_BYTES_MAX,
            "expanded string bytes",
        )
    }
}

fn over(found: u64, limit: u64, what: &'static str) -> Result<(), BoundsError> {
    if found > limit {
        Err(BoundsError::OverLimit { what, limit })
    } else {
        Ok(())
    }
}

/// Walks one run-length column. Returns its rows and the sum of its (unsigned)
/// values; refuses as soon as rows pass `rows_max` or the value sum passes
/// `sum_max` (when given).
fn walk_rle(
    data: &[u8],
    kind: RleValue,
    rows_max: (u64, &'static str),
    sum_max: Option<(u64, &'static str)>,
    totals: &mut Totals,
) -> Result<(u64, u64), BoundsError> {
    let mut cursor = Cursor { bytes: data };
    let (mut rows, mut sum) = (0u64, 0u64);
    let what = "a run-length column";
    while !cursor.is_empty() {
        let count = cursor.sleb(what)?;
        if count > 0 {
            let repeat = count.unsigned_abs();
            rows = rows.saturating_add(repeat);
            over(rows, rows_max.0, rows_max.1)?;
            let value = read_value(&mut cursor, kind)?;
            sum = sum.saturating_add(repeat.saturating_mul(value.0));
            totals.add_expanded(repeat.saturating_mul(value.1))?;
        } else if count < 0 {
            let literal = count.unsigned_abs();
            rows = rows.saturating_add(literal);
            over(rows, rows_max.0, rows_max.1)?;
            // Bounded: `rows_max` was checked before this loop, and each value
            // takes at least one byte of the column.
            for _ in 0..literal {
                let value = read_value(&mut cursor, kind)?;
                sum = sum.saturating_add(value.0);
                totals.add_expanded(value.1)?;
            }
        } else {
            let nulls = cursor.uleb(what)?;
            rows = rows.saturating_add(nulls);
            over(rows, rows_max.0, rows_max.1)?;
        }
        if let Some((max, name)) = sum_max {
            over(sum, max, name)?;
        }
    }
    Ok((rows, sum))
}

/// Reads one value of a run-length column: (its unsigned value, its string bytes).
fn read_value(cursor: &mut Cursor<'_>, kind: RleValue) -> Result<(u64, u64), BoundsError> {
    let what = "a column value";
    match kind {
        RleValue::Unsigned => Ok((cursor.uleb(what)?, 0)),
        RleValue::Signed => cursor.sleb(what).map(|_| (0, 0)),
        RleValue::String => {
            let bytes = cursor.length_prefixed(what)?;
            Ok((0, bytes.len() as u64))
        }
    }
}

/// Walks a boolean column (run lengths of alternating values); returns its rows.
fn walk_boolean(data: &[u8], rows_max: (u64, &'static str)) -> Result<u64, BoundsError> {
    let mut cursor = Cursor { bytes: data };
    let mut rows = 0u64;
    while !cursor.is_empty() {
        rows = rows.saturating_add(cursor.uleb("a boolean column")?);
        over(rows, rows_max.0, rows_max.1)?;
    }
    Ok(rows)
}

/// Measures an Automerge change chunk without decoding it, refusing compressed
/// chunks and columns, chunks that are not changes, and changes over
/// [`CHANGE_OPS_MAX`], [`CHANGE_PREDS_MAX`] or [`CHANGE_EXPANDED_BYTES_MAX`].
/// The work done is linear in `chunk.len()`, whatever the chunk claims.
pub fn measure(chunk: &[u8]) -> Result<ChangeShape, BoundsError> {
    let mut cursor = Cursor { bytes: chunk };
    if cursor.take(4, "the magic bytes")? != MAGIC {
        return Err(BoundsError::Malformed(
            "not an automerge chunk (wrong magic bytes)".into(),
        ));
    }
    let checksum = cursor.take(4, "the checksum")?;
    let chunk_type = cursor.byte("the chunk type")?;
    match chunk_type {
        CHUNK_TYPE_CHANGE => {}
        CHUNK_TYPE_COMPRESSED => {
            return Err(BoundsError::Compressed(
                "compressed change chunks (type 2) are refused: send the change uncompressed (type 1)"
                    .into(),
            ));
        }
        other => {
            return Err(BoundsError::Malformed(format!(
                "expected a change chunk (type 1) but found chunk type {other}"
            )));
        }
    }
    let length_start = cursor.bytes;
    let length = cursor.uleb("the chunk length")?;
    let length_bytes = &length_start[..length_start.len() - cursor.bytes.len()];
    if usize::try_from(length).ok() != Some(cursor.bytes.len()) {
        return Err(BoundsError::Malformed(format!(
            "the chunk says it holds {length} bytes but {} follow",
            cursor.bytes.len()
        )));
    }
    let hash = Sha256::new()
        .chain_update([chunk_type])
        .chain_update(length_bytes)
        .chain_update(cursor.bytes)
        .finalize();
    if hash[..4] != *checksum {
        return Err(BoundsError::Malformed(
            "the chunk's checksum does not match its bytes".into(),
        ));
    }

    let deps = cursor.uleb("the dependencies")?;
    cursor.take(deps.saturating_mul(32), "the dependencies")?;
    cursor.length_prefixed("the actor")?;
    cursor.uleb("the seq")?;
    cursor.uleb("the start op")?;
    cursor.sleb("the time")?;
    cursor.length_prefixed("the message")?;
    let other_actors = cursor.uleb("the other actors")?;
    // Bounded by the bytes: each actor takes at least one byte.
    for _ in 0..other_actors {
        cursor.length_prefixed("the other actors")?;
    }

    // Column metadata first (no allocation: the specs are read again while
    // walking the data, from a second cursor over the same bytes).
    let columns = cursor.uleb("the column metadata")?;
    let meta_start = cursor.bytes;
    let mut data_bytes = 0u64;
    for _ in 0..columns {
        let spec = cursor.uleb("the column metadata")?;
        let len = cursor.uleb("the column metadata")?;
        let spec = u32::try_from(spec)
            .map_err(|_| BoundsError::Malformed("a column spec is over 32 bits".into()))?;
        if spec & DEFLATE_BIT != 0 {
            return Err(BoundsError::Compressed(
                "deflated change columns are refused: send the change uncompressed".into(),
            ));
        }
        data_bytes = data_bytes.saturating_add(len);
    }
    let mut data = Cursor {
        bytes: cursor.take(data_bytes, "the column data")?,
    };
    // What follows the columns is the change's extra bytes; they are not decoded.

    let mut totals = Totals::default();
    let mut meta = Cursor { bytes: meta_start };
    for _ in 0..columns {
        let spec = meta.uleb("the column metadata")?;
        let len = meta.uleb("the column metadata")?;
        let spec = u32::try_from(spec)
            .map_err(|_| BoundsError::Malformed("a column spec is over 32 bits".into()))?;
        let bytes = data.take(len, "the column data")?;
        let id = spec >> 4;
        let is_pred = id == PRED_COLUMN_ID;
        let rows_max = if is_pred && spec & 0b111 != 0 {
            // The actor and counter columns of predecessors: one row per predecessor.
            (CHANGE_PREDS_MAX, "predecessors")
        } else {
            (CHANGE_OPS_MAX, "operations")
        };
        match spec & 0b111 {
            // Group, actor, integer, value metadata: unsigned values.
            0 | 1 | 2 | 6 => {
                let sum_max =
                    (is_pred && spec & 0b111 == 0).then_some((CHANGE_PREDS_MAX, "predecessors"));
                let (rows, sum) =
                    walk_rle(bytes, RleValue::Unsigned, rows_max, sum_max, &mut totals)?;
                if id == ACTION_COLUMN_ID {
                    totals.shape.ops = totals.shape.ops.max(rows);
                }
                if sum_max.is_some() {
                    totals.shape.preds = totals.shape.preds.saturating_add(sum);
                    over(totals.shape.preds, CHANGE_PREDS_MAX, "predecessors")?;
                }
            }
            // Delta integers: signed values.
            3 => {
                walk_rle(bytes, RleValue::Signed, rows_max, None, &mut totals)?;
            }
            4 => {
                walk_boolean(bytes, rows_max)?;
            }
            5 => {
                walk_rle(bytes, RleValue::String, rows_max, None, &mut totals)?;
            }
            // Raw values: their size is their bytes.
            _ => {}
        }
    }
    Ok(totals.shape)
}
