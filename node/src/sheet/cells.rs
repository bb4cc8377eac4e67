//! The header and the cells of an imported spreadsheet: Indonesian column names
//! (English aliases accepted; case, spaces and punctuation ignored), prices in
//! whole rupiah as Indonesians write them, one [`RowError`] per bad cell.

use telecenter_protocol::catalog::{Category, Lang};
use telecenter_protocol::limits::{
    DESCRIPTION_CHARS_MAX, PRICE_IDR_MAX, PRODUCER_CHARS_MAX, SHEET_KEY_CHARS_MAX, STOCK_MAX,
    TITLE_CHARS_MAX, UNIT_CHARS_MAX,
};

use super::read::{Cell, RawRow};
use super::{RowError, SheetError};

/// A column the import understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The operator's product code: the key column.
    Kode,
    /// Title.
    Judul,
    /// Price in whole rupiah.
    Harga,
    /// Unit of sale.
    Satuan,
    /// Stock.
    Stok,
    /// Category slug or Indonesian label.
    Kategori,
    /// Producer.
    Produsen,
    /// Description.
    Deskripsi,
    /// `aktif` or `nonaktif`.
    Status,
}

impl Column {
    /// Every column in export order.
    pub const ALL: [Column; 9] = [
        Column::Kode,
        Column::Judul,
        Column::Harga,
        Column::Satuan,
        Column::Stok,
        Column::Kategori,
        Column::Produsen,
        Column::Deskripsi,
        Column::Status,
    ];

    /// Its Indonesian header.
    pub const fn header(self) -> &'static str {
        match self {
            Column::Kode => "kode",
            Column::Judul => "judul",
            Column::Harga => "harga",
            Column::Satuan => "satuan",
            Column::Stok => "stok",
            Column::Kategori => "kategori",
            Column::Produsen => "produsen",
            Column::Deskripsi => "deskripsi",
            Column::Status => "status",
        }
    }

    /// Reads a header cell: lowercase letters and digits only are compared.
    pub fn from_header(raw: &str) -> Option<Column> {
        let key: String = raw
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        Some(match key.as_str() {
            "kode" | "kodeproduk" | "code" | "sku" | "key" => Column::Kode,
            "judul" | "nama" | "namaproduk" | "title" | "name" => Column::Judul,
            "harga" | "hargarp" | "price" | "priceidr" => Column::Harga,
            "satuan" | "unit" => Column::Satuan,
            "stok" | "stock" => Column::Stok,
            "kategori" | "category" => Column::Kategori,
            "produsen" | "producer" | "pembuat" => Column::Produsen,
            "deskripsi" | "keterangan" | "description" => Column::Deskripsi,
            "status" => Column::Status,
            _ => return None,
        })
    }
}

/// One good row: `None` where the sheet has no such column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    /// Spreadsheet row.
    pub line: usize,
    /// The key.
    pub kode: String,
    /// Title.
    pub title: String,
    /// Price.
    pub price_idr: i64,
    /// Unit (an empty cell means `buah`).
    pub unit: Option<String>,
    /// Stock (an empty cell means 0).
    pub stock: Option<i64>,
    /// Category.
    pub category: Option<Category>,
    /// Producer (an empty cell clears it).
    pub producer: Option<String>,
    /// Description (an empty cell clears it).
    pub description: Option<String>,
    /// Hidden (`nonaktif`) or shown.
    pub hidden: Option<bool>,
}

/// Reads the header and every row; bad cells become [`RowError`]s and their
/// rows are left out.
pub fn parse_rows(rows: &[RawRow]) -> Result<(Vec<SheetRow>, Vec<RowError>), SheetError> {
    let Some((header, body)) = rows.split_first() else {
        return Err(SheetError::Empty);
    };
    let mut columns: Vec<(usize, Column)> = Vec::new();
    for (index, cell) in header.cells.iter().enumerate() {
        let Cell::Text(text) = cell else { continue };
        if let Some(column) = Column::from_header(text) {
            if columns.iter().any(|(_, c)| *c == column) {
                return Err(SheetError::DuplicateColumn(column.header()));
            }
            columns.push((index, column));
        }
    }
    for required in [Column::Kode, Column::Judul, Column::Harga] {
        if !columns.iter().any(|(_, c)| *c == required) {
            return Err(SheetError::MissingColumn(required.header()));
        }
    }
    let mut good = Vec::new();
    let mut errors = Vec::new();
    for row in body {
        let before = errors.len();
        let mut out = SheetRow {
            line: row.line,
            kode: String::new(),
            title: String::new(),
            price_idr: 0,
            unit: None,
            stock: None,
            category: None,
            producer: None,
            description: None,
            hidden: None,
        };
        for (index, column) in &columns {
            let cell = row.cells.get(*index).unwrap_or(&Cell::Empty);
            let mut fail = |message: String| {
                errors.push(RowError {
                    line: row.line,
                    message,
                })
            };
            match column {
                Column::Kode => match line_text(cell, "kode", 1, SHEET_KEY_CHARS_MAX) {
                    Ok(t) => out.kode = t,
                    Err(m) => fail(m),
                },
                Column::Judul => match line_text(cell, "judul", 1, TITLE_CHARS_MAX) {
                    Ok(t) => out.title = t,
                    Err(m) => fail(m),
                },
                Column::Harga => match whole_number(cell, "harga", PRICE_IDR_MAX) {
                    Ok(Some(n)) => out.price_idr = n,
                    Ok(None) => fail("harga kosong".to_owned()),
                    Err(m) => fail(m),
                },
                Column::Satuan => match line_text(cell, "satuan", 0, UNIT_CHARS_MAX) {
                    Ok(t) => out.unit = Some(t),
                    Err(m) => fail(m),
                },
                Column::Stok => match whole_number(cell, "stok", STOCK_MAX) {
                    Ok(n) => out.stock = Some(n.unwrap_or(0)),
                    Err(m) => fail(m),
                },
                Column::Kategori => match category(cell) {
                    Ok(c) => out.category = Some(c),
                    Err(m) => fail(m),
                },
                Column::Produsen => match line_text(cell, "produsen", 0, PRODUCER_CHARS_MAX) {
                    Ok(t) => out.producer = Some(t),
                    Err(m) => fail(m),
                },
                Column::Deskripsi => match block_text(cell, DESCRIPTION_CHARS_MAX) {
                    Ok(t) => out.description = Some(t),
                    Err(m) => fail(m),
                },
                Column::Status => match status(cell) {
                    Ok(h) => out.hidden = Some(h),
                    Err(m) => fail(m),
                },
            }
        }
        if errors.len() == before {
            good.push(out);
        }
    }
    Ok((good, errors))
}

/// A cell as text: a number is written without a fraction when it has none.
fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(t) => t.clone(),
        Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        Cell::Number(n) => n.to_string(),
    }
}

/// A cell quoted for a message, shortened.
fn quoted(raw: &str) -> String {
    let raw = raw.trim();
    let short: String = raw.chars().take(40).collect();
    if short.len() < raw.len() {
        format!("'{short}…'")
    } else {
        format!("'{short}'")
    }
}

fn line_text(cell: &Cell, name: &str, min: usize, max: usize) -> Result<String, String> {
    let raw = cell_text(cell);
    let text: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let count = text.chars().count();
    if count < min {
        return Err(format!("{name} kosong"));
    }
    if count > max {
        return Err(format!(
            "{name} terlalu panjang ({count} karakter, paling banyak {max})"
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(format!("{name} berisi karakter kendali"));
    }
    Ok(text)
}

fn block_text(cell: &Cell, max: usize) -> Result<String, String> {
    let text = cell_text(cell).trim().replace("\r\n", "\n");
    let count = text.chars().count();
    if count > max {
        return Err(format!(
            "deskripsi terlalu panjang ({count} karakter, paling banyak {max})"
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("deskripsi berisi karakter kendali".to_owned());
    }
    Ok(text)
}

/// Reads a whole number the way Indonesians write amounts: `15000`, `15.000`,
/// `Rp 15.000`, `Rp15.000,-`, `15.000,00`. A `.` separates thousands (groups of
/// three); `,` is the decimal mark, so only `,-` or `,00` may follow. `15,000`
/// is refused as unclear, so is any fraction. `None` for an empty cell.
#[allow(clippy::result_unit_err)] // the caller words the error with the cell
pub fn parse_amount(raw: &str) -> Result<Option<i64>, ()> {
    let mut text: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect();
    if text.is_empty() {
        return Ok(None);
    }
    let lower = text.to_lowercase();
    for prefix in ["rp.", "rp", "idr"] {
        if lower.starts_with(prefix) {
            text = text[prefix.len()..].to_owned();
            break;
        }
    }
    for suffix in [",-", ",00"] {
        if let Some(stripped) = text.strip_suffix(suffix) {
            text = stripped.to_owned();
            break;
        }
    }
    let groups: Vec<&str> = text.split('.').collect();
    let well_formed = match groups.split_first() {
        Some((first, [])) => !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()),
        Some((first, rest)) => {
            (1..=3).contains(&first.len())
                && first.bytes().all(|b| b.is_ascii_digit())
                && rest
                    .iter()
                    .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
        }
        None => false,
    };
    if !well_formed {
        return Err(());
    }
    let digits: String = groups.concat();
    if digits.len() > 15 {
        return Err(());
    }
    digits.parse::<i64>().map(Some).map_err(|_| ())
}

fn whole_number(cell: &Cell, name: &str, max: i64) -> Result<Option<i64>, String> {
    let value = match cell {
        Cell::Empty => return Ok(None),
        Cell::Number(n) => {
            if !n.is_finite() || n.fract() != 0.0 {
                return Err(format!("{name} '{n}' bukan bilangan bulat"));
            }
            if *n < 0.0 {
                return Err(format!("{name} '{n}' tidak boleh negatif"));
            }
            if *n > max as f64 {
                return Err(format!("{name} {n} terlalu besar (paling banyak {max})"));
            }
            *n as i64
        }
        Cell::Text(text) => match parse_amount(text) {
            Ok(None) => return Ok(None),
            Ok(Some(n)) => n,
            Err(()) => return Err(format!("{name} {} bukan angka", quoted(text))),
        },
    };
    if value > max {
        return Err(format!(
            "{name} {value} terlalu besar (paling banyak {max})"
        ));
    }
    Ok(Some(value))
}

fn category(cell: &Cell) -> Result<Category, String> {
    let raw = cell_text(cell);
    let wanted: String = raw.trim().to_lowercase();
    if wanted.is_empty() {
        return Err("kategori kosong".to_owned());
    }
    Category::ALL
        .into_iter()
        .find(|c| {
            c.slug() == wanted
                || c.label(Lang::Id).to_lowercase() == wanted
                || c.label(Lang::En).to_lowercase() == wanted
        })
        .ok_or_else(|| {
            format!(
                "kategori {} tidak dikenal (pilih: {})",
                quoted(&raw),
                Category::ALL.map(|c| c.slug()).join(", ")
            )
        })
}

fn status(cell: &Cell) -> Result<bool, String> {
    let raw = cell_text(cell);
    match raw.trim().to_lowercase().as_str() {
        "" | "aktif" | "active" | "ya" => Ok(false),
        "nonaktif" | "non-aktif" | "tidak aktif" | "hidden" | "disembunyikan" => Ok(true),
        _ => Err(format!(
            "status {} tidak dikenal (pilih: aktif, nonaktif)",
            quoted(&raw)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_indonesians_write_them() {
        for (raw, want) in [
            ("15000", Some(15_000)),
            ("15.000", Some(15_000)),
            ("Rp 15.000", Some(15_000)),
            ("Rp15.000,-", Some(15_000)),
            ("rp. 1.500.000,00", Some(1_500_000)),
            ("IDR 0", Some(0)),
            ("  ", None),
        ] {
            assert_eq!(parse_amount(raw), Ok(want), "{raw}");
        }
        for raw in [
            "lima ribu",
            "15,000",
            "15.5",
            "15.00",
            "1.5000",
            "-5",
            "15,5",
            ".000",
            "Rp",
            "99999999999999999999",
        ] {
            assert_eq!(parse_amount(raw), Err(()), "{raw}");
        }
    }

    #[test]
    fn headers_ignore_case_spaces_and_accept_english() {
        assert_eq!(Column::from_header(" Kode Produk "), Some(Column::Kode));
        assert_eq!(Column::from_header("HARGA (Rp)"), Some(Column::Harga));
        assert_eq!(Column::from_header("Price"), Some(Column::Harga));
        assert_eq!(Column::from_header("stock"), Some(Column::Stok));
        assert_eq!(Column::from_header("No."), None);
    }

    #[test]
    fn a_bad_cell_names_its_row_and_value() {
        let rows = vec![
            RawRow {
                line: 1,
                cells: ["kode", "judul", "harga", "kategori"]
                    .map(|t| Cell::Text(t.into()))
                    .to_vec(),
            },
            RawRow {
                line: 14,
                cells: vec![
                    Cell::Text("K1".into()),
                    Cell::Text("Keripik".into()),
                    Cell::Text("lima ribu".into()),
                    Cell::Text("Makanan".into()),
                ],
            },
            RawRow {
                line: 15,
                cells: vec![
                    Cell::Text("K2".into()),
                    Cell::Text("Kopi".into()),
                    Cell::Number(15000.5),
                    Cell::Text("minuman".into()),
                ],
            },
        ];
        let (good, errors) = parse_rows(&rows).expect("header");
        assert!(good.is_empty());
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(lines[0], "baris 14: harga 'lima ribu' bukan angka");
        assert_eq!(lines[1], "baris 15: harga '15000.5' bukan bilangan bulat");
        assert_eq!(lines.len(), 2, "{lines:?}");
    }

    #[test]
    fn a_header_without_the_key_column_is_refused() {
        let rows = vec![RawRow {
            line: 1,
            cells: vec![Cell::Text("judul".into()), Cell::Text("harga".into())],
        }];
        assert_eq!(parse_rows(&rows), Err(SheetError::MissingColumn("kode")));
    }
}
