//! Spreadsheet import and export of this center's listings (`.csv` and `.xlsx`).
//!
//! [`read`] turns uploaded bytes into bounded rows of cells, refusing oversized
//! files and zip bombs before anything is inflated; [`cells`] reads the header
//! and each row into a [`SheetRow`] (Indonesian column names, prices like
//! `Rp 15.000`), one [`RowError`] per bad cell; [`write`] exports the catalog.
//! The plan (what to create, update or leave) and its one-transaction apply live
//! in `node::import`.

pub mod cells;
pub mod held;
pub mod read;
pub mod write;

use telecenter_protocol::ListingId;
use telecenter_protocol::catalog::input::{ListingPatch, NewListing};

pub use cells::{Column, SheetRow, parse_rows};
pub use read::{Format, read_cells};
pub use write::{export_csv, export_xlsx};

/// First characters that make a spreadsheet run a text cell as a formula. The
/// CSV export puts a `'` before a text that starts with one (so a title like
/// `=HYPERLINK(…)` opens as text), and the CSV import takes that `'` off again,
/// so the export still round-trips.
pub const FORMULA_STARTS: [char; 4] = ['=', '+', '-', '@'];

/// Most bytes a caller reads from a file before handing them over (one more
/// than the limit, so the limit's error can say the file is too large).
pub const SHEET_READ_BYTES_MAX: usize = telecenter_protocol::limits::SHEET_BYTES_MAX;

/// Why a whole file cannot be read (row-level problems are [`RowError`]s).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SheetError {
    /// The file is larger than the limit.
    #[error("berkas terlalu besar: {bytes} byte, paling besar {max} byte")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// More rows than the limit.
    #[error("terlalu banyak baris: paling banyak {max} baris produk")]
    TooManyRows {
        /// The limit.
        max: usize,
    },
    /// More columns than the limit.
    #[error("terlalu banyak kolom: paling banyak {max} kolom")]
    TooManyColumns {
        /// The limit.
        max: usize,
    },
    /// A cell longer than the limit.
    #[error("baris {line}: sel terlalu panjang (paling banyak {max} karakter)")]
    CellTooLong {
        /// Row as the spreadsheet shows it.
        line: usize,
        /// The limit.
        max: usize,
    },
    /// Not a readable `.csv` or `.xlsx`.
    #[error("berkas tidak bisa dibaca sebagai {format}: {reason}")]
    Unreadable {
        /// `CSV` or `XLSX`.
        format: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The `.xlsx` archive would unpack to too much.
    #[error("berkas XLSX terlalu besar setelah dibuka (paling besar {max} byte)")]
    Unpacked {
        /// The limit.
        max: u64,
    },
    /// The cells of the `.xlsx` hold more text together than the limit.
    #[error("berkas XLSX berisi terlalu banyak teks (paling banyak {max} byte)")]
    TextTooLarge {
        /// The limit.
        max: usize,
    },
    /// The creates would take this center past its catalog's listing cap.
    #[error(
        "katalog penuh: sudah ada {listings} produk, berkas ini menambah {creating}, paling banyak {max}"
    )]
    CatalogFull {
        /// Listings the catalog holds (removed ones count: they stay as tombstones).
        listings: usize,
        /// Listings the file would create.
        creating: usize,
        /// The cap.
        max: usize,
    },
    /// Neither `.csv` nor `.xlsx`.
    #[error("jenis berkas tidak dikenal: pakai .csv atau .xlsx")]
    UnknownFormat,
    /// The header lacks a required column.
    #[error("kolom '{0}' tidak ada di baris judul (baris 1)")]
    MissingColumn(&'static str),
    /// The same column twice in the header.
    #[error("kolom '{0}' ada dua kali di baris judul")]
    DuplicateColumn(&'static str),
    /// No header row at all.
    #[error("berkas kosong: baris 1 harus berisi nama kolom (kode, judul, harga, …)")]
    Empty,
}

impl SheetError {
    /// A stable machine code for the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            SheetError::TooLarge { .. } => "sheet_too_large",
            SheetError::TooManyRows { .. } => "sheet_too_many_rows",
            SheetError::TooManyColumns { .. } => "sheet_too_many_columns",
            SheetError::CellTooLong { .. } => "sheet_cell_too_long",
            SheetError::Unreadable { .. } => "sheet_unreadable",
            SheetError::Unpacked { .. } => "sheet_unpacked_too_large",
            SheetError::TextTooLarge { .. } => "sheet_text_too_large",
            SheetError::CatalogFull { .. } => "sheet_catalog_full",
            SheetError::UnknownFormat => "sheet_unknown_format",
            SheetError::MissingColumn(_) => "sheet_missing_column",
            SheetError::DuplicateColumn(_) => "sheet_duplicate_column",
            SheetError::Empty => "sheet_empty",
        }
    }
}

/// One bad cell (or row): `baris N: …` in Indonesian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Row as the spreadsheet shows it (the header is row 1).
    pub line: usize,
    /// What is wrong, in Indonesian.
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "baris {}: {}", self.line, self.message)
    }
}

/// A row that will create a listing.
#[derive(Debug, Clone)]
pub struct PlannedCreate {
    /// Spreadsheet row.
    pub line: usize,
    /// Its `kode`, recorded so a re-import updates it.
    pub key: String,
    /// The listing.
    pub listing: NewListing,
    /// Whether it starts hidden (`status` `nonaktif`).
    pub hidden: bool,
}

/// A row that will change an existing listing.
#[derive(Debug, Clone)]
pub struct PlannedUpdate {
    /// Spreadsheet row.
    pub line: usize,
    /// Its `kode`.
    pub key: String,
    /// The listing it changes.
    pub id: ListingId,
    /// Only the fields that differ.
    pub patch: ListingPatch,
}

/// What an import would do, before anything is written.
#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    /// Listings to create.
    pub create: Vec<PlannedCreate>,
    /// Listings to change.
    pub update: Vec<PlannedUpdate>,
    /// Rows that match their listing already.
    pub unchanged: usize,
    /// Bad rows, skipped; one entry per bad cell.
    pub errors: Vec<RowError>,
}

/// A previewed upload, held for its confirmation.
#[derive(Debug, Clone)]
pub struct HeldPlan {
    /// The id the confirmation names (random, hex).
    pub id: String,
    /// What confirming would do now.
    pub plan: ImportPlan,
}

/// What an applied import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Listings created.
    pub created: usize,
    /// Listings changed.
    pub updated: usize,
}
