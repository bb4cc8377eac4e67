//! The producer pages: add, link a listing, a sale shows in the month's
//! statement, a payout lowers the balance, the CSVs add up, bad input keeps
//! what was typed and changes nothing, and the public producer page shows name
//! and products but nothing private.

use super::*;
use crate::store::NewSale;

/// A sale of `quantity` × `price` of `listing` at `at_ms`.
fn sell(op: &Op, reference: &str, listing: &ListingId, quantity: i64, price: i64, at_ms: i64) {
    assert!(
        op.node
            .record_sale(&NewSale {
                kind: "local",
                reference: reference.to_owned(),
                at_ms,
                listing: listing.to_string(),
                title: "Keripik tempe".to_owned(),
                unit: "bungkus".to_owned(),
                quantity,
                unit_price_idr: price,
            })
            .unwrap()
    );
}

const SARI: [(&str, &str); 6] = [
    ("name", "Bu Sari"),
    ("village", "Tulungrejo"),
    ("commission", "7,5"),
    ("contact", "RT 03 RW 02 dekat masjid"),
    ("bank_account", "BRI 0123-01-000123-53-7"),
    ("whatsapp", "0812-3456-7890"),
];

/// The figures of a CSV row by column name.
fn csv_rows(csv: &str) -> Vec<HashMap<String, String>> {
    let mut lines = csv.trim_start_matches('\u{feff}').split("\r\n");
    let head: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            head.iter()
                .cloned()
                .zip(l.split(',').map(|v| v.trim_matches('"').to_owned()))
                .collect()
        })
        .collect()
}

fn number(row: &HashMap<String, String>, key: &str) -> i64 {
    row[key].parse().unwrap_or(0)
}

use std::collections::HashMap;

#[tokio::test]
async fn a_producer_is_added_linked_paid_and_their_statement_adds_up() {
    let op = Op::new();
    let login = op.login().await;
    let page = op.post_csrf("/operator/produsen", &login, &SARI).await;
    page.assert_redirect("/operator/produsen/1?tersimpan=1", "add");
    let listing = op.add("Keripik tempe", false);
    let unlinked = op.add("Anyaman bambu", false);
    op.post_csrf(
        "/operator/produsen/1/produk",
        &login,
        &[("listing", &listing.to_string())],
    )
    .await
    .assert_redirect("/operator/produsen/1?tersimpan=1#produk", "link");
    assert_eq!(op.listing(&listing).listing.producer, "Bu Sari");

    // 3 × 15 000 = 45 000; 7,5 % = 3 375; owed 41 625. An unlinked sale is the center's.
    sell(&op, "a1", &listing, 3, 15_000, T0);
    sell(&op, "a2", &unlinked, 1, 25_000, T0);
    let page = op
        .get("/operator/produsen/1?bulan=2025-11", Some(&login))
        .await;
    page.assert_status(StatusCode::OK);
    for text in [
        "Bu Sari (Tulungrejo)",
        "Rp 45.000",
        "Rp 3.375",
        "Rp 41.625",
        "href=\"/operator/produsen/1/laporan.csv?bulan=2025-11\"",
        "BRI 0123-01-000123-53-7",
        "Keripik tempe",
    ] {
        page.assert_contains(text);
    }
    op.get("/operator/produsen", Some(&login))
        .await
        .assert_contains("Rp 41.625");

    op.post_csrf(
        "/operator/produsen/1/bayar",
        &login,
        &[
            ("amount", "40.000"),
            ("method", "transfer"),
            ("note", "lunas Nov"),
            ("date", ""),
        ],
    )
    .await
    .assert_redirect("/operator/produsen/1?bulan=2025-11&tersimpan=1", "payout");
    let page = op
        .get("/operator/produsen/1?bulan=2025-11", Some(&login))
        .await;
    page.assert_contains("id=\"saldo-akhir\">Rp 1.625<");
    page.assert_contains("lunas Nov");

    let csv = op
        .get(
            "/operator/produsen/1/laporan.csv?bulan=2025-11",
            Some(&login),
        )
        .await;
    csv.assert_status(StatusCode::OK);
    let rows = csv_rows(&csv.body);
    let (mut balance, mut closing) = (0, None);
    for row in &rows {
        match row["row"].as_str() {
            "opening" => balance = number(row, "balance_idr"),
            "sale" => {
                assert_eq!(
                    number(row, "gross_idr") - number(row, "commission_idr"),
                    number(row, "owed_idr")
                );
                balance += number(row, "owed_idr");
            }
            "payout" => balance -= number(row, "paid_idr"),
            "closing" => closing = Some(number(row, "balance_idr")),
            other => panic!("row {other}"),
        }
    }
    assert_eq!(closing, Some(balance));
    assert_eq!(balance, 1_625);

    let report = op
        .get("/operator/penjualan?bulan=2025-11", Some(&login))
        .await;
    report.assert_status(StatusCode::OK);
    report.assert_contains("tanpa produsen");
    report.assert_contains("Rp 70.000");
    let csv = op
        .get("/operator/penjualan.csv?bulan=2025-11", Some(&login))
        .await;
    let rows = csv_rows(&csv.body);
    let (total, lines) = rows.split_last().unwrap();
    assert_eq!(total["producer"], "total");
    for key in ["sales", "gross_idr", "commission_idr", "owed_idr"] {
        assert_eq!(
            lines.iter().map(|r| number(r, key)).sum::<i64>(),
            number(total, key),
            "{key}"
        );
    }
    assert_eq!(number(total, "gross_idr"), 70_000);
    assert_eq!(number(total, "owed_idr"), 41_625);

    // The public pages: a link from the product, name and products, nothing private.
    let center = op.node.center_id();
    let product = op.get(&format!("/produk/{center}/{listing}"), None).await;
    // Name and village, and the page's key carries both (two producers of one
    // center may share a name); the older address by name alone still answers.
    let href = format!("/produsen/{center}/bu-sari-tulungrejo");
    product.assert_contains(&format!("href=\"{href}\">Bu Sari (Tulungrejo)</a>"));
    let public = op.get(&href, None).await;
    public.assert_status(StatusCode::OK);
    public.assert_contains("<h1>Bu Sari (Tulungrejo)</h1>");
    public.assert_contains("Keripik tempe");
    assert!(!public.body.contains("Anyaman bambu"));
    let old = op.get(&format!("/produsen/{center}/bu-sari"), None).await;
    old.assert_status(StatusCode::OK);
    old.assert_contains("Keripik tempe");
    // The sitemap lists the producer's page.
    op.get("/sitemap.xml", None)
        .await
        .assert_contains(&format!("{href}</loc>"));
    for private in ["BRI", "0123-01", "RT 03", "3456", "+62812", "62812"] {
        assert!(
            !public.body.contains(private),
            "{private} on the public page"
        );
        assert!(
            !product.body.contains(private),
            "{private} on the product page"
        );
    }
    op.get(&format!("/produsen/{center}/bu-siti"), None)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    op.get(&format!("/produsen/{center}/Bu%20Sari"), None)
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_producer_input_keeps_what_was_typed_and_changes_nothing() {
    let op = Op::new();
    let login = op.login().await;
    let mut fields = SARI.to_vec();
    fields[2] = ("commission", "150");
    let page = op.post_csrf("/operator/produsen", &login, &fields).await;
    page.assert_problem("Komisi telecenter (%): paling besar 100.", "commission");
    page.assert_contains("value=\"Bu Sari\"");
    page.assert_contains("value=\"150\"");
    assert!(op.node.producers().unwrap().is_empty());

    fields[2] = ("commission", "10");
    fields[5] = ("whatsapp", "abc");
    op.post_csrf("/operator/produsen", &login, &fields)
        .await
        .assert_problem("WhatsApp", "whatsapp");
    assert!(op.node.producers().unwrap().is_empty());

    // Without the token nothing is added.
    op.post_form("/operator/produsen", Some(&login), &SARI)
        .await
        .assert_expired("no token");
    assert!(op.node.producers().unwrap().is_empty());

    op.post_csrf("/operator/produsen", &login, &SARI).await;
    // The same name and village twice is refused.
    op.post_csrf("/operator/produsen", &login, &SARI)
        .await
        .assert_problem("sudah ada", "duplicate");
    assert_eq!(op.node.producers().unwrap().len(), 1);

    for (amount, method, date, what) in [
        ("abc", "cash", "", "Jumlah (Rp)"),
        ("0", "cash", "", "Jumlah (Rp)"),
        ("5000", "cek", "", "Cara bayar"),
        ("5000", "cash", "31-12-2025", "Tanggal bayar"),
        ("5000", "cash", "2020-01-01", "Tanggal bayar"),
    ] {
        let page = op
            .post_csrf(
                "/operator/produsen/1/bayar",
                &login,
                &[
                    ("amount", amount),
                    ("method", method),
                    ("note", "uji"),
                    ("date", date),
                ],
            )
            .await;
        page.assert_problem(what, amount);
        page.assert_contains(&format!("value=\"{amount}\""));
    }
    assert!(
        op.node
            .with_reader(|s| s.payouts(1, i64::MIN, i64::MAX))
            .unwrap()
            .is_empty()
    );
    op.post_csrf(
        "/operator/produsen/1/produk",
        &login,
        &[("listing", "Ab3dEf5hIj7lMn9p")],
    )
    .await
    .assert_problem("Produk", "unknown listing");
    for uri in [
        "/operator/produsen/9",
        "/operator/produsen/x",
        "/operator/produsen/9/laporan.csv",
    ] {
        op.get(uri, Some(&login))
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
    op.get("/operator/produsen/1?bulan=2025-13", Some(&login))
        .await
        .assert_status(StatusCode::BAD_REQUEST);
}

/// Two producers of one center with the same name, in two villages, have two
/// public pages, each with its own products; the sitemap lists both.
#[tokio::test]
async fn namesakes_in_two_villages_have_two_pages() {
    let op = Op::new();
    let center = op.node.center_id();
    for (village, title) in [("Tulungrejo", "Keripik tempe"), ("Sumberejo", "Gula aren")] {
        let p = op
            .node
            .add_producer(&crate::node::ProducerInput {
                name: Some("Bu Sari".into()),
                village: Some(village.into()),
                ..Default::default()
            })
            .unwrap();
        let listing = op.add(title, false);
        op.node.link_listing(&listing, Some(p.id)).unwrap();
    }
    let tulungrejo = op
        .get(&format!("/produsen/{center}/bu-sari-tulungrejo"), None)
        .await;
    tulungrejo.assert_contains("<h1>Bu Sari (Tulungrejo)</h1>");
    tulungrejo.assert_contains("Keripik tempe");
    assert!(!tulungrejo.body.contains("Gula aren"));
    let sumberejo = op
        .get(&format!("/produsen/{center}/bu-sari-sumberejo"), None)
        .await;
    sumberejo.assert_contains("<h1>Bu Sari (Sumberejo)</h1>");
    sumberejo.assert_contains("Gula aren");
    assert!(!sumberejo.body.contains("Keripik tempe"));
    // The older address by name alone gathers both, and names no village.
    let both = op.get(&format!("/produsen/{center}/bu-sari"), None).await;
    both.assert_contains("<h1>Bu Sari</h1>");
    both.assert_contains("Keripik tempe");
    both.assert_contains("Gula aren");
    let sitemap = op.get("/sitemap.xml", None).await;
    for key in ["bu-sari-tulungrejo", "bu-sari-sumberejo"] {
        sitemap.assert_contains(&format!("/produsen/{center}/{key}</loc>"));
    }
}

#[tokio::test]
async fn producer_statement_and_sales_xlsx_totals_equal_the_page() {
    use calamine::Data;

    use crate::accounting::xlsx_rows;
    let op = Op::new();
    let login = op.login().await;
    let hostile = [
        ("name", "=HYPERLINK(\"http://x\",\"klik\")"),
        ("village", "Sanan"),
    ];
    op.post_csrf("/operator/produsen", &login, &hostile).await;
    let listing = op.add("Keripik tempe", false);
    op.post_csrf(
        "/operator/produsen/1/produk",
        &login,
        &[("listing", &listing.to_string())],
    )
    .await;
    sell(&op, "a1", &listing, 3, 15_000, T0);
    let page = op
        .get("/operator/produsen/1?bulan=2025-11", Some(&login))
        .await;
    page.assert_contains("href=\"/operator/produsen/1/laporan.xlsx?bulan=2025-11\"");
    page.assert_contains("Rp 45.000");

    let file = op
        .get(
            "/operator/produsen/1/laporan.xlsx?bulan=2025-11",
            Some(&login),
        )
        .await;
    file.assert_status(StatusCode::OK);
    assert_eq!(
        file.header(header::CONTENT_DISPOSITION),
        Some("attachment; filename=\"laporan-produsen-1-2025-11.xlsx\"")
    );
    let rows = xlsx_rows(&file.bytes, "Laporan produsen");
    let name = rows
        .iter()
        .find(|r| r[0] == Data::String("Produsen".into()))
        .unwrap();
    // The hostile name stays text: a string cell, not a formula.
    assert_eq!(name[1], Data::String(hostile[0].1.into()));
    let total = rows
        .iter()
        .find(|r| r.get(1) == Some(&Data::String("Total".into())))
        .unwrap();
    assert_eq!(total[7], Data::Float(45_000.0));
    assert_eq!(total[14], Data::Float(45_000.0));

    let page = op
        .get("/operator/penjualan?bulan=2025-11", Some(&login))
        .await;
    page.assert_contains("href=\"/operator/penjualan.xlsx?bulan=2025-11\"");
    let file = op
        .get("/operator/penjualan.xlsx?bulan=2025-11", Some(&login))
        .await;
    file.assert_status(StatusCode::OK);
    let rows = xlsx_rows(&file.bytes, "Penjualan");
    let total = rows
        .iter()
        .find(|r| r[0] == Data::String("Total".into()))
        .unwrap();
    assert_eq!(total[2], Data::Float(45_000.0));
    let csv = op
        .get(
            "/operator/penjualan.csv?bulan=2025-11&gaya=excel",
            Some(&login),
        )
        .await;
    csv.assert_contains("\"Produsen\";\"Penjualan\";\"Penjualan kotor\"");
    csv.assert_contains("\"'=HYPERLINK(");
}
