//! Export of this center's listings as `.csv` or `.xlsx`, in the columns the
//! import reads, so an exported file imports back with no changes.

use rust_xlsxwriter::Workbook;
use telecenter_protocol::catalog::{Lang, Listing, ListingStatus};

use super::FORMULA_STARTS;
use super::cells::Column;

/// One exported listing: its key (its `kode`, or its id when it has none).
pub type ExportRow<'a> = (&'a str, &'a Listing);

fn cell(column: Column, key: &str, listing: &Listing) -> String {
    match column {
        Column::Kode => key.to_owned(),
        Column::Judul => listing.title.id.clone(),
        Column::Harga => listing.price_idr.to_string(),
        Column::Satuan => listing.unit.clone(),
        Column::Stok => listing.stock.to_string(),
        Column::Kategori => listing.category.label(Lang::Id).to_owned(),
        Column::Produsen => listing.producer.clone(),
        Column::Deskripsi => listing.description.id.clone(),
        Column::Status => match listing.status {
            ListingStatus::Active => "aktif",
            ListingStatus::Hidden | ListingStatus::Removed => "nonaktif",
        }
        .to_owned(),
    }
}

/// `text` with a `'` in front when a spreadsheet opening the CSV would run it
/// as a formula (see [`FORMULA_STARTS`]).
fn defused(text: String) -> String {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}")
    } else {
        text
    }
}

/// The listings as CSV (UTF-8, comma-separated, header row first); a text that
/// starts like a formula gets a `'` in front, which the import takes off.
pub fn export_csv(rows: &[ExportRow<'_>]) -> Result<Vec<u8>, String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(Column::ALL.map(Column::header))
        .map_err(|e| e.to_string())?;
    for (key, listing) in rows {
        writer
            .write_record(Column::ALL.map(|c| defused(cell(c, key, listing))))
            .map_err(|e| e.to_string())?;
    }
    writer.into_inner().map_err(|e| e.to_string())
}

/// The listings as an `.xlsx` workbook (one sheet, prices and stock as numbers,
/// every other cell a string cell, which no spreadsheet runs as a formula).
pub fn export_xlsx(rows: &[ExportRow<'_>]) -> Result<Vec<u8>, String> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Produk").map_err(|e| e.to_string())?;
    for (index, column) in Column::ALL.into_iter().enumerate() {
        let col = u16::try_from(index).map_err(|e| e.to_string())?;
        sheet
            .write_string(0, col, column.header())
            .map_err(|e| e.to_string())?;
    }
    for (row_index, (key, listing)) in rows.iter().enumerate() {
        let row = u32::try_from(row_index + 1).map_err(|e| e.to_string())?;
        for (index, column) in Column::ALL.into_iter().enumerate() {
            let col = u16::try_from(index).map_err(|e| e.to_string())?;
            let written = match column {
                Column::Harga => sheet.write_number(row, col, listing.price_idr as f64),
                Column::Stok => sheet.write_number(row, col, listing.stock as f64),
                _ => {
                    let text = cell(column, key, listing);
                    if text.is_empty() {
                        continue;
                    }
                    sheet.write_string(row, col, text)
                }
            };
            written.map_err(|e| e.to_string())?;
        }
    }
    book.save_to_buffer().map_err(|e| e.to_string())
}
