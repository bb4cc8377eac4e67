//! Fee accounting views, one file each: the monthly report (per counterpart
//! center and per producer), balances per pair, pair statements over a period, the CSV export,
//! the same reports as tables for people (`.xlsx` and CSV Excel Indonesia, `tables`),
//! the network netting suggestion, and producer statements with the monthly
//! sales report (`producers`). Months run in the center's local zone
//! (WIB); amounts are whole rupiah.
//!
//! Definitions used everywhere (reports, pages, CSV):
//! - *orders*: orders completed in the month, in either role;
//! - *gross sales*: value of goods this center's producers sold through orders;
//! - *fees earned*: referral fees owed to this center for orders it brought;
//! - *fees owed*: referral fees this center owes for orders others brought;
//! - *net* = gross sales + fees earned − fees owed.

mod balances;
mod month;
mod netting;
mod producers;
mod report;
mod report_csv;
mod statement;
mod tables;

pub use balances::{BalanceLine, BalancesExport, balances, balances_until};
pub use month::Month;
pub use netting::{NETTING_BALANCE_IDR_MAX, NETTING_LINES_MAX, NettingView, netting, netting_with};
pub use producers::{
    NO_PRODUCER, PayoutLine, ProducerStatement, SaleLine, SalesReport, SalesReportLine,
    build_statement, commission_idr, owed_idr, sales_report_csv, sales_report_csv_name,
    sales_report_from, statement_csv, statement_csv_name, statement_from,
};
pub use report::{FeeReport, ReportLine, report};
pub(crate) use report_csv::csv_text;
pub use report_csv::{report_csv, report_csv_name};
pub use statement::{Statement, StatementLine, statement};
#[cfg(test)]
pub(crate) use tables::xlsx_rows;
pub use tables::{
    Cell, RUPIAH_FORMAT, Table, TableError, XLSX_CONTENT_TYPE, producer_statement_tables,
    report_tables, sales_report_tables, statement_tables, table_file_name, tables_csv, tables_xlsx,
};
