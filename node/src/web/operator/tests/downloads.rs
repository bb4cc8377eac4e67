//! The report downloads for spreadsheets: each `.xlsx` opens with a real
//! reader (calamine) and its totals equal the page's; the CSV for Indonesian
//! spreadsheets has `;` and Indonesian headers; the machine CSV is unchanged.

use calamine::Data;

use super::*;
use crate::accounting::{self, Month, XLSX_CONTENT_TYPE, xlsx_rows};
use crate::money::format_rupiah;

fn month() -> Month {
    Month::parse("2025-11").unwrap()
}

/// The row whose cell `col` is the text `text`.
fn row_with<'a>(rows: &'a [Vec<Data>], col: usize, text: &str) -> &'a [Data] {
    rows.iter()
        .find(|r| r.get(col) == Some(&Data::String(text.into())))
        .unwrap_or_else(|| panic!("no row {text}: {rows:?}"))
}

fn assert_xlsx(page: &Page, filename: &str) {
    page.assert_status(StatusCode::OK);
    assert_eq!(page.header(header::CONTENT_TYPE), Some(XLSX_CONTENT_TYPE));
    assert_eq!(
        page.header(header::CONTENT_DISPOSITION),
        Some(format!("attachment; filename=\"{filename}\"").as_str())
    );
    assert_eq!(page.header(header::CACHE_CONTROL), Some("no-store"));
}

#[tokio::test]
async fn fee_report_xlsx_totals_equal_the_page() {
    let two = Two::new();
    two.completed();
    let seller = two.b.login().await;
    let page = two
        .b
        .get("/operator/biaya?bulan=2025-11", Some(&seller))
        .await;
    for link in [
        "href=\"/operator/biaya.xlsx?bulan=2025-11\"",
        "href=\"/operator/biaya.csv?bulan=2025-11&amp;gaya=excel\"",
        "href=\"/operator/biaya.csv?bulan=2025-11\"",
        "Unduh XLSX",
    ] {
        page.assert_contains(link);
    }
    let report = accounting::report(&two.b.node, month()).unwrap();
    let total = &report.total;
    for figure in [total.gross_sales_idr, total.fees_owed_idr, total.net_idr] {
        page.assert_contains(&format_rupiah(figure));
    }

    let file = two
        .b
        .get("/operator/biaya.xlsx?bulan=2025-11", Some(&seller))
        .await;
    assert_xlsx(&file, "laporan-biaya-2025-11.xlsx");
    let rows = xlsx_rows(&file.bytes, "Per pusat");
    let header = row_with(&rows, 0, "Nama");
    assert_eq!(header[2], Data::String("Penjualan kotor".into()));
    let got = row_with(&rows, 0, "Total");
    let want = [
        total.orders as i64,
        total.gross_sales_idr,
        total.fees_earned_idr,
        total.fees_owed_idr,
        total.net_idr,
    ];
    for (cell, want) in got[1..6].iter().zip(want) {
        assert_eq!(cell, &Data::Float(want as f64));
    }
    assert_eq!(want[1..], [45_000, 0, 1_350, 43_650]);
    // Names, not ids; the id follows at the end.
    let malang = row_with(&rows, 0, "Telecenter Kota Malang");
    assert_eq!(malang[6], Data::String(two.a.node.center_id().to_string()));
    let producers = xlsx_rows(&file.bytes, "Per produsen");
    assert_eq!(row_with(&producers, 0, "Bu Sri")[5], Data::Float(43_650.0));

    let csv = two
        .b
        .get(
            "/operator/biaya.csv?bulan=2025-11&gaya=excel",
            Some(&seller),
        )
        .await;
    csv.assert_status(StatusCode::OK);
    assert_eq!(
        csv.header(header::CONTENT_DISPOSITION),
        Some("attachment; filename=\"laporan-biaya-2025-11.csv\"")
    );
    csv.assert_contains("\"Nama\";\"Pesanan selesai\";\"Penjualan kotor\"");
    csv.assert_contains("\"Total\";1;45000;0;1350;43650;\r\n");
    // The machine CSV is as it was.
    let machine = two
        .b
        .get("/operator/biaya.csv?bulan=2025-11", Some(&seller))
        .await;
    machine.assert_contains(
        "month,section,key,name,orders,gross_sales_idr,fees_earned_idr,fees_owed_idr,net_idr\r\n",
    );
}

#[tokio::test]
async fn pair_statement_xlsx_closing_equals_the_page() {
    let two = Two::new();
    two.completed();
    let buyer = two.a.login().await;
    let blitar = two.b.node.center_id();
    let here = format!("/operator/biaya/pusat/{blitar}");
    let page = two
        .a
        .get(&format!("{here}?dari=2025-11"), Some(&buyer))
        .await;
    page.assert_contains(&format!(
        "href=\"{here}/laporan.xlsx?dari=2025-11&amp;sampai=2025-11\""
    ));
    let statement = accounting::statement(&two.a.node, &blitar, month(), month()).unwrap();
    assert_eq!(statement.closing_idr, -43_650);
    page.assert_contains(&format_rupiah(-statement.closing_idr));

    let file = two
        .a
        .get(&format!("{here}/laporan.xlsx?dari=2025-11"), Some(&buyer))
        .await;
    assert_xlsx(&file, "laporan-pusat-2025-11-2025-11.xlsx");
    let rows = xlsx_rows(&file.bytes, "Laporan pusat");
    assert_eq!(
        row_with(&rows, 0, "Pusat")[1],
        Data::String("Telecenter Kab Blitar".into())
    );
    assert_eq!(
        row_with(&rows, 1, "Saldo akhir")[4],
        Data::Float(statement.closing_idr as f64)
    );
    assert!(
        rows.iter()
            .any(|r| matches!(&r[0], Data::String(t) if t.ends_with(" WIB")))
    );

    let csv = two
        .a
        .get(&format!("{here}/laporan.csv?dari=2025-11"), Some(&buyer))
        .await;
    csv.assert_status(StatusCode::OK);
    csv.assert_contains("\"Tanggal\";\"Jenis\";\"Kode\";\"Jumlah\";\"Saldo\"");
    let other = two
        .a
        .get(&format!("{here}/laporan.pdf?dari=2025-11"), Some(&buyer))
        .await;
    other.assert_status(StatusCode::NOT_FOUND);
    let bad = two
        .a
        .get(&format!("{here}/laporan.xlsx?dari=2025-13"), Some(&buyer))
        .await;
    bad.assert_status(StatusCode::BAD_REQUEST);
}
