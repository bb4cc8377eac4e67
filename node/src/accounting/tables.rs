//! The reports as tables for people, written two ways from one model: an
//! `.xlsx` workbook (real numbers, rupiah format `"Rp" #,##0`, Indonesian
//! headers, names before ids) and a CSV for spreadsheets set to Indonesian
//! ("CSV Excel Indonesia": `;` between fields, integers without separators).
//!
//! Both are for operators only. The machine CSV of the CLI's `--csv` and of
//! the admin API (`report_csv`, `statement_csv`, `sales_report_csv`) stays as
//! it is, because programs read it.
//!
//! Text is never a formula: in the workbook every text is a string cell
//! (`write_string`), which no spreadsheet runs; in the CSV a text starting like
//! a formula gets a `'` in front ([`csv_text`]).

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::{FeeReport, ProducerStatement, ReportLine, SalesReport, Statement, csv_text};
use crate::clock::{local_datetime, parse_rfc3339_ms};

/// The content type of an `.xlsx` download.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The rupiah number format of the workbooks (whole rupiah, thousands
/// grouped; a spreadsheet in Indonesian shows `Rp 43.650`).
pub const RUPIAH_FORMAT: &str = "\"Rp\" #,##0;-\"Rp\" #,##0";

/// Why a workbook could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The writer refused (a text too long for a cell, too many rows, …).
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] XlsxError),
    /// A row or column number beyond the sheet's range.
    #[error("the report is too large for one sheet")]
    TooLarge,
}

/// One cell of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Text (a string cell; never a formula).
    Text(String),
    /// Whole rupiah.
    Rupiah(i64),
    /// A count (orders, units).
    Count(i64),
    /// A rate in basis points (350 = 3,5 %).
    Percent(u32),
    /// Nothing.
    Empty,
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

/// One sheet: lines above the table (label, value), the header row, the rows,
/// and a total row in bold.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// The sheet's name (fixed words, never a name people typed).
    pub sheet: &'static str,
    /// Lines above the table: a label and its value.
    pub caption: Vec<(&'static str, Cell)>,
    /// Column headers, in Indonesian.
    pub headers: Vec<&'static str>,
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
    /// The total row, if any.
    pub total: Option<Vec<Cell>>,
}

/// A date and time in the center's zone, `2025-11-20 14:05 WIB`, from RFC 3339.
fn local_text(at: &str) -> String {
    let Some(local) = parse_rfc3339_ms(at).and_then(local_datetime) else {
        return at.to_owned();
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} {}",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute(),
        crate::clock::LOCAL_ZONE_NAME
    )
}

/// The words for a ledger entry's kind (the statement page's words).
fn kind_words(kind: &str) -> &'static str {
    match kind {
        "goods" => "Nilai barang",
        "referral_fee" => "Biaya rujukan",
        "correction" => "Koreksi",
        _ => "Setoran",
    }
}

fn report_row(line: &ReportLine, id: Cell) -> Vec<Cell> {
    vec![
        text(&line.name),
        Cell::Count(i64::try_from(line.orders).unwrap_or(i64::MAX)),
        Cell::Rupiah(line.gross_sales_idr),
        Cell::Rupiah(line.fees_earned_idr),
        Cell::Rupiah(line.fees_owed_idr),
        Cell::Rupiah(line.net_idr),
        id,
    ]
}

const REPORT_HEADERS: [&str; 7] = [
    "Nama",
    "Pesanan selesai",
    "Penjualan kotor",
    "Biaya didapat",
    "Biaya terutang",
    "Bersih",
    "ID",
];

/// The monthly fee report: per center (its total row is the page's total),
/// per producer (with its own sum), and the balances at the month's end.
pub fn report_tables(report: &FeeReport) -> Vec<Table> {
    let month = || ("Bulan", text(&report.month));
    let mut producers_total = ReportLine::default();
    for line in &report.by_producer {
        producers_total.orders = producers_total.orders.saturating_add(line.orders);
        producers_total.gross_sales_idr += line.gross_sales_idr;
        producers_total.fees_earned_idr += line.fees_earned_idr;
        producers_total.fees_owed_idr += line.fees_owed_idr;
        producers_total.net_idr += line.net_idr;
    }
    producers_total.name = "Jumlah".into();
    let mut total = report.total.clone();
    total.name = "Total".into();
    vec![
        Table {
            sheet: "Per pusat",
            caption: vec![month()],
            headers: REPORT_HEADERS.to_vec(),
            rows: report
                .by_counterpart
                .iter()
                .map(|l| report_row(l, text(&l.key)))
                .collect(),
            total: Some(report_row(&total, Cell::Empty)),
        },
        Table {
            sheet: "Per produsen",
            caption: vec![month()],
            headers: REPORT_HEADERS[..6].to_vec(),
            rows: report
                .by_producer
                .iter()
                .map(|l| {
                    let mut row = report_row(l, Cell::Empty);
                    row.pop();
                    row
                })
                .collect(),
            total: Some({
                let mut row = report_row(&producers_total, Cell::Empty);
                row.pop();
                row
            }),
        },
        Table {
            sheet: "Saldo",
            caption: vec![("Saldo akhir bulan", text(&report.month))],
            headers: vec!["Pusat", "Saldo (+ mereka berutang ke kita)", "ID pusat"],
            rows: report
                .balances
                .iter()
                .map(|b| {
                    vec![
                        text(&b.name),
                        Cell::Rupiah(b.balance_idr),
                        text(b.center.to_string()),
                    ]
                })
                .collect(),
            total: None,
        },
    ]
}

/// A pair's statement: opening balance, each entry with the balance after it,
/// closing balance (the page's figures).
pub fn statement_tables(statement: &Statement) -> Vec<Table> {
    let mut rows = vec![vec![
        Cell::Empty,
        text("Saldo awal"),
        Cell::Empty,
        Cell::Empty,
        Cell::Rupiah(statement.opening_idr),
    ]];
    for line in &statement.lines {
        rows.push(vec![
            text(local_text(&line.at)),
            text(kind_words(&line.kind)),
            text(&line.reference),
            Cell::Rupiah(line.amount_idr),
            Cell::Rupiah(line.balance_idr),
        ]);
    }
    let sum = statement
        .lines
        .iter()
        .fold(0_i64, |acc, l| acc.saturating_add(l.amount_idr));
    vec![Table {
        sheet: "Laporan pusat",
        caption: vec![
            ("Pusat", text(&statement.name)),
            ("Dari bulan", text(&statement.from)),
            ("Sampai bulan", text(&statement.to)),
            ("ID pusat", text(statement.counterpart.to_string())),
        ],
        headers: vec!["Tanggal", "Jenis", "Kode", "Jumlah", "Saldo"],
        rows,
        total: Some(vec![
            Cell::Empty,
            text("Saldo akhir"),
            Cell::Empty,
            Cell::Rupiah(sum),
            Cell::Rupiah(statement.closing_idr),
        ]),
    }]
}

/// A producer's statement for one month: opening, each sale and payout with
/// the balance after it, and a total row whose balance is the closing balance.
pub fn producer_statement_tables(s: &ProducerStatement) -> Vec<Table> {
    let empty = |n: usize| std::iter::repeat_n(Cell::Empty, n);
    let mut balance = s.opening_idr;
    let mut rows: Vec<Vec<Cell>> = vec![
        [Cell::Empty, text("Saldo awal")]
            .into_iter()
            .chain(empty(12))
            .chain([Cell::Rupiah(balance)])
            .collect(),
    ];
    for l in &s.sales {
        balance = balance.saturating_add(l.owed_idr);
        rows.push(vec![
            text(&l.date),
            text("Penjualan"),
            text(&l.reference),
            text(&l.product),
            Cell::Count(l.quantity),
            text(&l.unit),
            Cell::Rupiah(l.unit_price_idr),
            Cell::Rupiah(l.gross_idr),
            Cell::Percent(l.commission_bp),
            Cell::Rupiah(l.commission_idr),
            Cell::Rupiah(l.owed_idr),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Rupiah(balance),
        ]);
    }
    for p in &s.payouts {
        balance = balance.saturating_sub(p.amount_idr);
        let method = match p.method.as_str() {
            "cash" => "tunai",
            "transfer" => "transfer",
            other => other,
        };
        rows.push(
            [text(&p.date), text("Pembayaran"), Cell::Empty, Cell::Empty]
                .into_iter()
                .chain(empty(7))
                .chain([
                    Cell::Rupiah(p.amount_idr),
                    text(method),
                    text(&p.note),
                    Cell::Rupiah(balance),
                ])
                .collect(),
        );
    }
    vec![Table {
        sheet: "Laporan produsen",
        caption: vec![
            ("Produsen", text(&s.name)),
            ("Desa", text(&s.village)),
            ("Bulan", text(&s.month)),
            ("No. produsen", Cell::Count(s.producer)),
        ],
        headers: vec![
            "Tanggal",
            "Jenis",
            "Kode",
            "Produk",
            "Banyaknya",
            "Satuan",
            "Harga satuan",
            "Penjualan kotor",
            "Komisi (%)",
            "Komisi",
            "Hak produsen",
            "Dibayar",
            "Cara bayar",
            "Catatan",
            "Saldo",
        ],
        rows,
        total: Some(
            [Cell::Empty, text("Total")]
                .into_iter()
                .chain(empty(5))
                .chain([
                    Cell::Rupiah(s.gross_idr),
                    Cell::Empty,
                    Cell::Rupiah(s.commission_idr),
                    Cell::Rupiah(s.owed_idr),
                    Cell::Rupiah(s.paid_idr),
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Rupiah(s.closing_idr),
                ])
                .collect(),
        ),
    }]
}

/// The month's sales per producer with the total row of the page.
pub fn sales_report_tables(report: &SalesReport) -> Vec<Table> {
    let row = |l: &super::SalesReportLine, name: &str| {
        vec![
            text(name),
            Cell::Count(l.sales),
            Cell::Rupiah(l.gross_idr),
            Cell::Rupiah(l.commission_idr),
            Cell::Rupiah(l.owed_idr),
            l.producer.map_or(Cell::Empty, Cell::Count),
        ]
    };
    vec![Table {
        sheet: "Penjualan",
        caption: vec![("Bulan", text(&report.month))],
        headers: vec![
            "Produsen",
            "Penjualan",
            "Penjualan kotor",
            "Komisi",
            "Hak produsen",
            "No. produsen",
        ],
        rows: report.lines.iter().map(|l| row(l, &l.name)).collect(),
        total: Some(row(&report.total, "Total")),
    }]
}

/// The file name of a download: `stem` and `.xlsx` or `.csv`.
pub fn table_file_name(stem: &str, xlsx: bool) -> String {
    format!("{stem}.{}", if xlsx { "xlsx" } else { "csv" })
}

fn index<T: TryFrom<usize>>(value: usize) -> Result<T, TableError> {
    T::try_from(value).map_err(|_| TableError::TooLarge)
}

/// The tables as one `.xlsx` workbook, a sheet each.
pub fn tables_xlsx(tables: &[Table]) -> Result<Vec<u8>, TableError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let rupiah = Format::new().set_num_format(RUPIAH_FORMAT);
    let rupiah_bold = rupiah.clone().set_bold();
    let count = Format::new().set_num_format("#,##0");
    let count_bold = count.clone().set_bold();
    let percent = Format::new().set_num_format("0.0#%");
    for table in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(table.sheet)?;
        let mut row: u32 = 0;
        let put = |sheet: &mut rust_xlsxwriter::Worksheet,
                   row: u32,
                   col: usize,
                   cell: &Cell,
                   strong: bool|
         -> Result<(), TableError> {
            let col: u16 = index(col)?;
            match cell {
                Cell::Text(value) if value.is_empty() => {}
                Cell::Text(value) if strong => {
                    sheet.write_string_with_format(row, col, value, &bold)?;
                }
                Cell::Text(value) => {
                    sheet.write_string(row, col, value)?;
                }
                Cell::Rupiah(value) => {
                    let format = if strong { &rupiah_bold } else { &rupiah };
                    sheet.write_number_with_format(row, col, *value as f64, format)?;
                }
                Cell::Count(value) => {
                    let format = if strong { &count_bold } else { &count };
                    sheet.write_number_with_format(row, col, *value as f64, format)?;
                }
                Cell::Percent(bp) => {
                    sheet.write_number_with_format(
                        row,
                        col,
                        f64::from(*bp) / 10_000.0,
                        &percent,
                    )?;
                }
                Cell::Empty => {}
            }
            Ok(())
        };
        for (label, value) in &table.caption {
            sheet.write_string_with_format(row, 0, *label, &bold)?;
            put(sheet, row, 1, value, false)?;
            row += 1;
        }
        if !table.caption.is_empty() {
            row += 1;
        }
        for (col, header) in table.headers.iter().enumerate() {
            sheet.write_string_with_format(row, index(col)?, *header, &bold)?;
            sheet.set_column_width(index(col)?, header.chars().count().max(14) as f64 + 2.0)?;
        }
        for cells in &table.rows {
            row = row.checked_add(1).ok_or(TableError::TooLarge)?;
            for (col, cell) in cells.iter().enumerate() {
                put(sheet, row, col, cell, false)?;
            }
        }
        if let Some(cells) = &table.total {
            row = row.checked_add(1).ok_or(TableError::TooLarge)?;
            for (col, cell) in cells.iter().enumerate() {
                put(sheet, row, col, cell, true)?;
            }
        }
    }
    Ok(book.save_to_buffer()?)
}

/// The tables as "CSV Excel Indonesia": UTF-8 with a byte-order mark, CRLF,
/// `;` between fields, every text quoted and defused against formulas,
/// rupiah and counts as integers without separators, rates with a decimal
/// comma (`3,5`). Tables follow one another, a blank line between them.
pub fn tables_csv(tables: &[Table]) -> String {
    let field = |cell: &Cell| match cell {
        Cell::Text(value) => csv_text(value),
        Cell::Rupiah(value) | Cell::Count(value) => value.to_string(),
        Cell::Percent(bp) => {
            let (whole, rest) = (bp / 100, bp % 100);
            match rest {
                0 => whole.to_string(),
                r if r % 10 == 0 => format!("{whole},{}", r / 10),
                r => format!("{whole},{r:02}"),
            }
        }
        Cell::Empty => String::new(),
    };
    let line = |cells: &mut dyn Iterator<Item = String>| {
        let mut out = cells.collect::<Vec<_>>().join(";");
        out.push_str("\r\n");
        out
    };
    let mut out = String::from("\u{feff}");
    for (n, table) in tables.iter().enumerate() {
        if n > 0 {
            out.push_str("\r\n");
        }
        out.push_str(&line(&mut std::iter::once(csv_text(table.sheet))));
        for (label, value) in &table.caption {
            out.push_str(&line(&mut [csv_text(label), field(value)].into_iter()));
        }
        out.push_str(&line(&mut table.headers.iter().map(|h| csv_text(h))));
        for cells in table.rows.iter().chain(table.total.iter()) {
            out.push_str(&line(&mut cells.iter().map(field)));
        }
    }
    out
}

/// The rows of sheet `sheet` of a workbook as calamine reads them (tests).
#[cfg(test)]
pub(crate) fn xlsx_rows(bytes: &[u8], sheet: &str) -> Vec<Vec<calamine::Data>> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("a workbook");
    let range = book.worksheet_range(sheet).expect("the sheet");
    range.rows().map(<[calamine::Data]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use calamine::Data;

    use super::*;
    use crate::accounting::{PayoutLine, SaleLine, SalesReportLine, StatementLine};

    fn line(key: &str, name: &str, gross: i64, owed: i64) -> ReportLine {
        ReportLine {
            key: key.into(),
            name: name.into(),
            orders: 1,
            gross_sales_idr: gross,
            fees_earned_idr: 0,
            fees_owed_idr: owed,
            net_idr: gross - owed,
        }
    }

    const HOSTILE: &str = "=HYPERLINK(\"http://x\",\"klik\")";

    fn report() -> FeeReport {
        FeeReport {
            month: "2025-11".into(),
            total: line("total", "Total", 45_000, 1_350),
            by_counterpart: vec![line(
                "tc1qqqqexample",
                "Telecenter Kab Blitar",
                45_000,
                1_350,
            )],
            by_producer: vec![line(HOSTILE, HOSTILE, 45_000, 1_350)],
            balances: Vec::new(),
        }
    }

    /// The row whose first cell is `first`.
    fn row<'a>(rows: &'a [Vec<Data>], first: &str) -> &'a [Data] {
        rows.iter()
            .find(|r| r.first() == Some(&Data::String(first.into())))
            .unwrap_or_else(|| panic!("no row {first}: {rows:?}"))
    }

    #[test]
    fn fee_report_xlsx_has_indonesian_headers_names_and_numbers() {
        let bytes = tables_xlsx(&report_tables(&report())).unwrap();
        let rows = xlsx_rows(&bytes, "Per pusat");
        let header = row(&rows, "Nama");
        assert_eq!(header[1], Data::String("Pesanan selesai".into()));
        assert_eq!(header[6], Data::String("ID".into()));
        let blitar = row(&rows, "Telecenter Kab Blitar");
        assert_eq!(blitar[2], Data::Float(45_000.0));
        assert_eq!(blitar[6], Data::String("tc1qqqqexample".into()));
        let total = row(&rows, "Total");
        assert_eq!(
            &total[1..6],
            &[
                Data::Float(1.0),
                Data::Float(45_000.0),
                Data::Float(0.0),
                Data::Float(1_350.0),
                Data::Float(43_650.0)
            ]
        );
    }

    #[test]
    fn a_hostile_name_stays_text_in_the_workbook_and_the_csv() {
        let tables = report_tables(&report());
        let bytes = tables_xlsx(&tables).unwrap();
        let rows = xlsx_rows(&bytes, "Per produsen");
        assert_eq!(row(&rows, HOSTILE)[2], Data::Float(45_000.0));
        // A string cell, never a formula: the sheet's XML has no <f> element.
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        for n in 0..zip.len() {
            let mut entry = zip.by_index(n).unwrap();
            let mut xml = String::new();
            std::io::Read::read_to_string(&mut entry, &mut xml).unwrap();
            assert!(!xml.contains("<f>"), "entry {n}");
        }
        let csv = tables_csv(&tables);
        assert!(
            csv.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"klik\"\")\";1;45000;0;1350;43650\r\n")
        );
    }

    #[test]
    fn excel_csv_uses_semicolons_indonesian_headers_and_plain_integers() {
        let csv = tables_csv(&report_tables(&report()));
        assert!(csv.starts_with('\u{feff}'));
        assert!(csv.contains(
            "\"Nama\";\"Pesanan selesai\";\"Penjualan kotor\";\"Biaya didapat\";\"Biaya terutang\";\"Bersih\";\"ID\"\r\n"
        ));
        assert!(csv.contains("\"Total\";1;45000;0;1350;43650;\r\n"), "{csv}");
        assert!(!csv.contains("45.000"));
    }

    #[test]
    fn pair_statement_xlsx_shows_local_times_and_the_closing_balance() {
        let center: telecenter_protocol::CenterId =
            telecenter_protocol::Identity::from_secret_bytes(&[7; 32]).center_id();
        let statement = Statement {
            counterpart: center,
            name: "Telecenter Kota Malang".into(),
            from: "2025-11".into(),
            to: "2025-11".into(),
            opening_idr: 1_000,
            lines: vec![StatementLine {
                id: "e1".into(),
                kind: "referral_fee".into(),
                at: "2025-11-20T20:30:00Z".into(),
                reference: "q3k9v2m7xa4d".into(),
                amount_idr: -1_350,
                balance_idr: -350,
            }],
            closing_idr: -350,
        };
        let bytes = tables_xlsx(&statement_tables(&statement)).unwrap();
        let rows = xlsx_rows(&bytes, "Laporan pusat");
        assert_eq!(
            row(&rows, "Pusat")[1],
            Data::String("Telecenter Kota Malang".into())
        );
        let entry = row(&rows, "2025-11-21 03:30 WIB");
        assert_eq!(entry[1], Data::String("Biaya rujukan".into()));
        assert_eq!(entry[3], Data::Float(-1_350.0));
        let closing = rows
            .iter()
            .find(|r| r.get(1) == Some(&Data::String("Saldo akhir".into())))
            .unwrap();
        assert_eq!(closing[4], Data::Float(-350.0));
    }

    #[test]
    fn producer_statement_and_sales_xlsx_totals_equal_the_report() {
        let s = ProducerStatement {
            producer: 1,
            name: "Bu Sri".into(),
            village: "Sanan".into(),
            month: "2025-11".into(),
            opening_idr: 0,
            sales: vec![SaleLine {
                date: "2025-11-20".into(),
                at: "2025-11-20T03:00:00Z".into(),
                kind: "local".into(),
                reference: "ABCD2345".into(),
                product: "Keripik".into(),
                quantity: 3,
                unit: "bungkus".into(),
                unit_price_idr: 15_000,
                gross_idr: 45_000,
                commission_bp: 750,
                commission_idr: 3_375,
                owed_idr: 41_625,
            }],
            gross_idr: 45_000,
            commission_idr: 3_375,
            owed_idr: 41_625,
            payouts: vec![PayoutLine {
                date: "2025-11-21".into(),
                at: "2025-11-21T03:00:00Z".into(),
                method: "cash".into(),
                note: "lunas".into(),
                amount_idr: 40_000,
            }],
            paid_idr: 40_000,
            closing_idr: 1_625,
        };
        let bytes = tables_xlsx(&producer_statement_tables(&s)).unwrap();
        let rows = xlsx_rows(&bytes, "Laporan produsen");
        let sale = row(&rows, "2025-11-20");
        assert_eq!(sale[8], Data::Float(0.075));
        assert_eq!(sale[14], Data::Float(41_625.0));
        let total = rows
            .iter()
            .find(|r| r.get(1) == Some(&Data::String("Total".into())))
            .unwrap();
        assert_eq!(total[7], Data::Float(45_000.0));
        assert_eq!(total[11], Data::Float(40_000.0));
        assert_eq!(total[14], Data::Float(1_625.0));
        assert!(tables_csv(&producer_statement_tables(&s)).contains(";7,5;3375;41625;"));

        let line = |producer, name: &str| SalesReportLine {
            producer,
            name: name.into(),
            sales: 1,
            gross_idr: 45_000,
            commission_idr: 3_375,
            owed_idr: 41_625,
        };
        let report = SalesReport {
            month: "2025-11".into(),
            lines: vec![line(Some(1), "Bu Sri")],
            total: line(None, "total"),
        };
        let bytes = tables_xlsx(&sales_report_tables(&report)).unwrap();
        let rows = xlsx_rows(&bytes, "Penjualan");
        assert_eq!(row(&rows, "Bu Sri")[5], Data::Float(1.0));
        assert_eq!(row(&rows, "Total")[4], Data::Float(41_625.0));
    }
}
