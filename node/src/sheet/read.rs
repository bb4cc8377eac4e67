//! Reading uploaded bytes into rows of cells, bounded before allocation: file
//! size, rows, columns and cell length; for `.xlsx` also the archive's entry
//! count and declared unpacked size (checked before calamine inflates anything),
//! and the text its cells hold together (a shared string is copied into every
//! cell naming it); cells are streamed one by one so a sheet that claims a huge
//! range allocates nothing for its empty cells.

use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};
use telecenter_protocol::limits::{
    SHEET_BYTES_MAX, SHEET_CELL_CHARS_MAX, SHEET_COLUMNS_MAX, SHEET_ROWS_MAX, SHEET_TEXT_BYTES_MAX,
    SHEET_UNPACKED_BYTES_MAX, SHEET_ZIP_ENTRIES_MAX,
};

use super::SheetError;

/// A spreadsheet format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated (or semicolon-separated) text, UTF-8.
    Csv,
    /// Office Open XML workbook (first sheet only).
    Xlsx,
}

impl Format {
    /// The format from a file name's extension.
    pub fn from_name(name: &str) -> Result<Format, SheetError> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Ok(Format::Csv)
        } else if lower.ends_with(".xlsx") {
            Ok(Format::Xlsx)
        } else {
            Err(SheetError::UnknownFormat)
        }
    }

    /// The format from its word (`csv` or `xlsx`).
    pub fn from_word(word: &str) -> Result<Format, SheetError> {
        match word.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            _ => Err(SheetError::UnknownFormat),
        }
    }
}

/// One cell as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text (trimmed later).
    Text(String),
    /// A number from an `.xlsx` cell.
    Number(f64),
}

/// One row of cells with its number as the spreadsheet shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// 1-based row number (the header is 1).
    pub line: usize,
    /// Its cells, at most [`SHEET_COLUMNS_MAX`].
    pub cells: Vec<Cell>,
}

/// Reads the header and data rows of a spreadsheet; empty rows are dropped.
pub fn read_cells(format: Format, bytes: &[u8]) -> Result<Vec<RawRow>, SheetError> {
    if bytes.len() > SHEET_BYTES_MAX {
        return Err(SheetError::TooLarge {
            bytes: bytes.len(),
            max: SHEET_BYTES_MAX,
        });
    }
    let rows = match format {
        Format::Csv => read_csv(bytes)?,
        Format::Xlsx => read_xlsx(bytes)?,
    };
    if rows.is_empty() {
        return Err(SheetError::Empty);
    }
    Ok(rows)
}

/// Header plus data rows.
const ROWS_MAX: usize = SHEET_ROWS_MAX + 1;

fn check_cell(line: usize, text: &str) -> Result<(), SheetError> {
    // Bytes bound chars from above: only count when the bytes could be too many.
    if text.len() > SHEET_CELL_CHARS_MAX && text.chars().count() > SHEET_CELL_CHARS_MAX {
        return Err(SheetError::CellTooLong {
            line,
            max: SHEET_CELL_CHARS_MAX,
        });
    }
    Ok(())
}

fn unreadable(format: &'static str, reason: impl std::fmt::Display) -> SheetError {
    let reason: String = reason.to_string().chars().take(200).collect();
    SheetError::Unreadable { format, reason }
}

fn read_csv(bytes: &[u8]) -> Result<Vec<RawRow>, SheetError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Spreadsheets saved with an Indonesian locale separate with ';'.
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let commas = first_line.iter().filter(|b| **b == b',').count();
    let semicolons = first_line.iter().filter(|b| **b == b';').count();
    let delimiter = if semicolons > commas { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(unreadable("CSV", e)),
        }
        let line = record.position().map_or(rows.len() + 1, |p| {
            usize::try_from(p.line()).unwrap_or(usize::MAX)
        });
        if record.len() > SHEET_COLUMNS_MAX
            && record.iter().skip(SHEET_COLUMNS_MAX).any(|c| !c.is_empty())
        {
            return Err(SheetError::TooManyColumns {
                max: SHEET_COLUMNS_MAX,
            });
        }
        let mut cells = Vec::with_capacity(record.len().min(SHEET_COLUMNS_MAX));
        for raw in record.iter().take(SHEET_COLUMNS_MAX) {
            let text = std::str::from_utf8(raw)
                .map_err(|_| unreadable("CSV", format!("baris {line} bukan teks UTF-8")))?;
            check_cell(line, text)?;
            // The export's guard against formulas (`'=…`) comes off again.
            let text = match text.strip_prefix('\'') {
                Some(rest) if rest.starts_with(super::FORMULA_STARTS) => rest,
                _ => text,
            };
            cells.push(if text.trim().is_empty() {
                Cell::Empty
            } else {
                Cell::Text(text.to_owned())
            });
        }
        if cells.iter().all(|c| *c == Cell::Empty) {
            continue;
        }
        if rows.len() >= ROWS_MAX {
            return Err(SheetError::TooManyRows {
                max: SHEET_ROWS_MAX,
            });
        }
        rows.push(RawRow { line, cells });
    }
    Ok(rows)
}

/// Checks the archive's entries before calamine opens it: how many, and how
/// much they say they unpack to.
fn check_archive(bytes: &[u8]) -> Result<(), SheetError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable("XLSX", e))?;
    if archive.len() > SHEET_ZIP_ENTRIES_MAX {
        return Err(unreadable(
            "XLSX",
            format!("lebih dari {SHEET_ZIP_ENTRIES_MAX} bagian"),
        ));
    }
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|e| unreadable("XLSX", e))?;
        total = total.saturating_add(entry.size());
        if total > SHEET_UNPACKED_BYTES_MAX {
            return Err(SheetError::Unpacked {
                max: SHEET_UNPACKED_BYTES_MAX,
            });
        }
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<RawRow>, SheetError> {
    check_archive(bytes)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable("XLSX", e))?;
    let Some(sheet) = book.sheet_names().first().cloned() else {
        return Err(SheetError::Empty);
    };
    let mut cells = book
        .worksheet_cells_reader(&sheet)
        .map_err(|e| unreadable("XLSX", e))?;
    let mut rows: Vec<RawRow> = Vec::new();
    // Text bytes copied out so far: a shared string is copied into each cell.
    let mut text_bytes: usize = 0;
    let mut take_text = |line: usize, s: &str| -> Result<Cell, SheetError> {
        check_cell(line, s)?;
        text_bytes = text_bytes.saturating_add(s.len());
        if text_bytes > SHEET_TEXT_BYTES_MAX {
            return Err(SheetError::TextTooLarge {
                max: SHEET_TEXT_BYTES_MAX,
            });
        }
        Ok(Cell::Text(s.to_owned()))
    };
    while let Some(cell) = cells.next_cell().map_err(|e| unreadable("XLSX", e))? {
        let (row, column) = cell.get_position();
        let line = usize::try_from(row).unwrap_or(usize::MAX).saturating_add(1);
        let column = usize::try_from(column).unwrap_or(usize::MAX);
        let value = match cell.get_value() {
            DataRef::Empty => Cell::Empty,
            DataRef::Int(n) => Cell::Number(*n as f64),
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.to_owned()),
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
                take_text(line, s)?
            }
            DataRef::SharedString(s) => take_text(line, s)?,
            DataRef::DateTime(d) => Cell::Number(d.as_f64()),
            DataRef::Error(e) => Cell::Text(format!("#{e}")),
        };
        if value == Cell::Empty {
            continue;
        }
        if column >= SHEET_COLUMNS_MAX {
            return Err(SheetError::TooManyColumns {
                max: SHEET_COLUMNS_MAX,
            });
        }
        if rows.last().is_none_or(|r| r.line != line) {
            if rows.last().is_some_and(|r| r.line > line) {
                return Err(unreadable("XLSX", "baris tidak berurutan"));
            }
            if rows.len() >= ROWS_MAX {
                return Err(SheetError::TooManyRows {
                    max: SHEET_ROWS_MAX,
                });
            }
            rows.push(RawRow {
                line,
                cells: Vec::new(),
            });
        }
        if let Some(last) = rows.last_mut() {
            if last.cells.len() <= column {
                last.cells.resize(column + 1, Cell::Empty);
            }
            last.cells[column] = value;
        }
    }
    Ok(rows)
}
