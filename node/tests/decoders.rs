//! The stable twins of the node's cargo-fuzz targets (`fuzz/`): a photo upload
//! (`images::process`) and a spreadsheet import (`sheet::read_cells` then
//! `sheet::parse_rows`, as .csv and .xlsx) get arbitrary bytes and mutated valid
//! files, and must answer with an error or a valid value, never a panic.
//!
//! Case counts are small so the suite stays fast; `PROPTEST_CASES` raises them.
//! `cargo test -p telecenter-node --test decoders -- --ignored write_fuzz_seeds`
//! rewrites the fuzz seeds from the same valid examples.

use std::io::Cursor;

use image::{ImageFormat, RgbImage};
use proptest::prelude::*;
use telecenter_node::images;
use telecenter_node::sheet::{Format, parse_rows, read_cells};

/// Cases per property: `PROPTEST_CASES` if set, else `default`.
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}

/// Applies one mutation to `bytes`: 0 flips a bit, 1 inserts a byte, 2 deletes
/// one, 3 truncates, 4 overwrites a byte, 5 duplicates a slice.
fn mutate(bytes: &mut Vec<u8>, op: u8, position: usize, value: u8) {
    let len = bytes.len();
    let at = if len == 0 { 0 } else { position % len };
    match op % 6 {
        0 if len > 0 => bytes[at] ^= 1 << (value % 8),
        1 => bytes.insert(position % (len + 1), value),
        2 if len > 0 => {
            bytes.remove(at);
        }
        3 => bytes.truncate(at),
        4 if len > 0 => bytes[at] = value,
        5 if len > 0 => {
            let end = (at + usize::from(value) + 1).min(len);
            let slice = bytes[at..end].to_vec();
            bytes.splice(at..at, slice);
        }
        _ => {}
    }
}

fn mutations() -> impl Strategy<Value = Vec<(u8, usize, u8)>> {
    proptest::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..6)
}

fn mutated(sample: &[u8], edits: &[(u8, usize, u8)]) -> Vec<u8> {
    let mut bytes = sample.to_vec();
    for &(op, position, value) in edits {
        mutate(&mut bytes, op, position, value);
    }
    bytes
}

// ---- images ---------------------------------------------------------------------------

fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 16 % 256) as u8, (y * 16 % 256) as u8, 120])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format)
        .expect("encodes");
    out
}

fn image_samples() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("small.png", picture(24, 16, ImageFormat::Png)),
        ("small.jpg", picture(24, 16, ImageFormat::Jpeg)),
        ("small.webp", picture(24, 16, ImageFormat::WebP)),
    ]
}

/// Like the fuzz target `image_upload`.
fn check_image(bytes: &[u8]) {
    let _ = images::is_stored_image(bytes);
    if let Ok(processed) = images::process(bytes) {
        assert!(images::is_stored_image(&processed.thumb));
        assert!(images::is_stored_image(&processed.medium));
        assert_eq!(processed.photo.thumb, images::image_hash(&processed.thumb));
    }
}

#[test]
fn image_samples_are_accepted() {
    for (name, sample) in image_samples() {
        let processed = images::process(&sample).expect(name);
        assert!(images::is_stored_image(&processed.medium), "{name}");
    }
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn image_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        check_image(&bytes);
    }

    #[test]
    fn image_mutated(which in 0usize..3, edits in mutations()) {
        let samples = image_samples();
        check_image(&mutated(&samples[which].1, &edits));
    }
}

// ---- spreadsheets ---------------------------------------------------------------------

const CSV_SAMPLE: &str = "kode,judul,harga,satuan,stok,kategori,produsen,deskripsi,status\n\
KP-01,Keripik pisang,15000,bungkus,12,Makanan,Bu Sri,\"Renyah, 250 g\",aktif\n\
KP-02,Sale pisang,\"20000\",bungkus,0,Makanan,Bu Sri,,nonaktif\n";

const CSV_SEMICOLON_SAMPLE: &str =
    "\u{feff}kode;judul;harga;satuan;stok\nJM-1;Jamu kunyit;8000;botol;30\n";

fn xlsx_sample() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let header = ["kode", "judul", "harga", "satuan", "stok", "kategori"];
    for (column, text) in header.iter().enumerate() {
        sheet
            .write_string(0, column as u16, *text)
            .expect("header cell");
    }
    sheet.write_string(1, 0, "KP-01").expect("cell");
    sheet.write_string(1, 1, "Keripik pisang").expect("cell");
    sheet.write_number(1, 2, 15_000.0).expect("cell");
    sheet.write_string(1, 3, "bungkus").expect("cell");
    sheet.write_number(1, 4, 12.0).expect("cell");
    sheet.write_string(1, 5, "Makanan").expect("cell");
    book.save_to_buffer().expect("workbook")
}

fn sheet_samples() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("listings.csv", CSV_SAMPLE.as_bytes().to_vec()),
        ("semicolons.csv", CSV_SEMICOLON_SAMPLE.as_bytes().to_vec()),
        ("listings.xlsx", xlsx_sample()),
    ]
}

/// Like the fuzz target `sheet_import`: the bytes as CSV and as XLSX.
fn check_sheet(bytes: &[u8]) {
    for format in [Format::Csv, Format::Xlsx] {
        if let Ok(rows) = read_cells(format, bytes) {
            let _ = parse_rows(&rows);
        }
    }
}

#[test]
fn sheet_samples_are_read() {
    for (format, sample) in [
        (Format::Csv, CSV_SAMPLE.as_bytes().to_vec()),
        (Format::Csv, CSV_SEMICOLON_SAMPLE.as_bytes().to_vec()),
        (Format::Xlsx, xlsx_sample()),
    ] {
        let rows = read_cells(format, &sample).expect("read");
        let (good, errors) = parse_rows(&rows).expect("a header");
        assert!(errors.is_empty(), "{errors:?}");
        assert!(!good.is_empty());
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn sheet_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        check_sheet(&bytes);
    }

    #[test]
    fn sheet_mutated(which in 0usize..3, edits in mutations()) {
        let samples = sheet_samples();
        check_sheet(&mutated(&samples[which].1, &edits));
    }
}

// ---- fuzz seeds -------------------------------------------------------------------------

/// Writes the seeds of the node's fuzz targets (`fuzz/seeds/<target>/`).
#[test]
#[ignore = "writes files: run by hand to refresh fuzz/seeds"]
fn write_fuzz_seeds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).expect("seed folder");
        std::fs::write(dir.join(name), bytes).expect("seed written");
    };
    for (name, bytes) in image_samples() {
        write("image_upload", name, &bytes);
    }
    for (name, bytes) in sheet_samples() {
        write("sheet_import", name, &bytes);
    }
}
