//! A spreadsheet import as the node reads it (`sheet::read_cells`, then
//! `sheet::parse_rows`), as .csv and as .xlsx, within the import limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telecenter_node::sheet::{Format, parse_rows, read_cells};

fuzz_target!(|data: &[u8]| {
    for format in [Format::Csv, Format::Xlsx] {
        if let Ok(rows) = read_cells(format, data) {
            let _ = parse_rows(&rows);
        }
    }
});
