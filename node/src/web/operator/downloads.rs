//! The report downloads of the operator's pages, shared by the fee report,
//! the pair statement, the producer statement and the sales report: which
//! kind a route asks for ([`Download`]), the links under a report
//! ([`download_links`]) and the answer with the file ([`tables_download`]).
//!
//! `.xlsx` and "CSV Excel Indonesia" (`?gaya=excel`, `;` and Indonesian
//! headers) are for people; the plain `.csv` stays the machine CSV that the
//! CLI's `--csv` and the admin API give, for programs.

use std::collections::HashMap;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use telecenter_protocol::catalog::Lang;

use crate::accounting::{Table, XLSX_CONTENT_TYPE, tables_csv, tables_xlsx};
use crate::server::session::no_store;
use crate::web::i18n::orders::words;

/// The query word that asks a `.csv` route for the CSV for Indonesian spreadsheets.
pub(in crate::web) const EXCEL_STYLE: &str = "gaya";

/// What a download route gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::web) enum Download {
    /// The machine CSV (`,`, English headers), as the CLI's `--csv`.
    Machine,
    /// CSV for spreadsheets set to Indonesian: `;`, Indonesian headers.
    ExcelCsv,
    /// An `.xlsx` workbook.
    Xlsx,
}

impl Download {
    /// The kind a `.csv` route gives: `?gaya=excel` asks for [`Download::ExcelCsv`].
    pub(in crate::web) fn of_csv(query: &HashMap<String, String>) -> Self {
        match query.get(EXCEL_STYLE).map(String::as_str) {
            Some("excel") => Self::ExcelCsv,
            _ => Self::Machine,
        }
    }
}

/// The links under a report: `.xlsx` first (a button), then the CSV for
/// Indonesian spreadsheets, then, when the route has one, the machine CSV.
/// `stem` is the route without its extension, `query` what follows `?`.
pub(in crate::web) fn download_links(lang: Lang, stem: &str, query: &str, machine: bool) -> Markup {
    let w = words(lang);
    let excel = if machine {
        format!("{stem}.csv?{query}&{EXCEL_STYLE}=excel")
    } else {
        format!("{stem}.csv?{query}")
    };
    html! {
        a.button href=(format!("{stem}.xlsx?{query}")) download { (w.download_xlsx) }
        " "
        a href=(excel) download { (w.download_excel_csv) }
        @if machine {
            " · "
            a.small href=(format!("{stem}.csv?{query}")) download { (w.download_machine_csv) }
        }
    }
}

/// The tables as a download named `stem.xlsx` or `stem.csv` (never cached).
/// [`Download::Machine`] is not made here: its callers give their own CSV.
pub(in crate::web) fn tables_download(stem: &str, tables: &[Table], kind: Download) -> Response {
    let answer = match kind {
        Download::Xlsx => match tables_xlsx(tables) {
            Ok(bytes) => (
                [
                    (header::CONTENT_TYPE, XLSX_CONTENT_TYPE.to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{stem}.xlsx\""),
                    ),
                ],
                bytes,
            )
                .into_response(),
            Err(error) => {
                tracing::error!(%error, "report workbook failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Laporan tidak bisa dibuat sebagai XLSX.\n",
                )
                    .into_response()
            }
        },
        Download::ExcelCsv | Download::Machine => {
            crate::server::reply::csv_download(&format!("{stem}.csv"), tables_csv(tables))
        }
    };
    no_store(answer)
}
