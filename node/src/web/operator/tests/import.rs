//! Tests of the spreadsheet pages through the real router: an upload with bad
//! rows previews them and writes nothing, the confirmation applies exactly the
//! held file once, CSRF and size are enforced, and the downloads parse back.

use axum::http::{StatusCode, header};
use telecenter_protocol::limits::SHEET_BYTES_MAX;

use super::{BOUNDARY, Login, Op};
use crate::sheet::Format;

/// A multipart body with the CSRF token and one file.
fn sheet_form(csrf: &str, name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Ten rows, lines 4, 7 and 9 bad.
fn ten_rows() -> String {
    let mut csv = String::from("kode;judul;harga;kategori\n");
    for k in 2..=11 {
        let price = match k {
            4 => "lima ribu".to_owned(),
            _ => format!("Rp {k}.000"),
        };
        let category = if k == 7 { "mainan" } else { "makanan" };
        let title = if k == 9 {
            String::new()
        } else {
            format!("Kue lapis {k}")
        };
        csv.push_str(&format!("U-{k};{title};{price};{category}\n"));
    }
    csv
}

/// The value of the hidden `id` input of the confirmation form.
fn held_id(body: &str) -> String {
    let marker = "name=\"id\" value=\"";
    let start = body.find(marker).expect("a confirm form") + marker.len();
    let end = start + body[start..].find('"').unwrap();
    body[start..end].to_owned()
}

async fn upload(op: &Op, login: &Login, name: &str, bytes: &[u8]) -> super::Page {
    op.post_multipart(
        "/operator/produk/impor",
        Some(login),
        sheet_form(&login.csrf, name, bytes),
    )
    .await
}

#[tokio::test]
async fn an_upload_with_bad_rows_previews_them_writes_nothing_and_confirm_applies_once() {
    let op = Op::new();
    let login = op.login().await;
    let form = op.get("/operator/produk/impor", Some(&login)).await;
    form.assert_status(StatusCode::OK);
    form.assert_contains("enctype=\"multipart/form-data\"");
    let dashboard = op.get("/operator", Some(&login)).await;
    for link in [
        "href=\"/operator/produk/impor\"",
        "href=\"/operator/produk/ekspor.csv\"",
        "href=\"/operator/produk/ekspor.xlsx\"",
    ] {
        dashboard.assert_contains(link);
    }

    let page = upload(&op, &login, "produk.csv", ten_rows().as_bytes()).await;
    page.assert_status(StatusCode::OK);
    for text in [
        "baris 4: harga &#39;lima ribu&#39; bukan angka",
        "baris 7: kategori &#39;mainan&#39; tidak dikenal",
        "baris 9: judul kosong",
        "Kue lapis 2",
        "Rp 11.000",
    ] {
        assert!(
            page.body.contains(text) || page.body.contains(&text.replace("&#39;", "'")),
            "{text}: {}",
            page.body
        );
    }
    assert_eq!(page.body.matches("<li>baris ").count(), 3, "{}", page.body);
    assert_eq!(op.own_total(), 20, "a preview writes nothing");

    // Without the token: refused, nothing written.
    let id = held_id(&page.body);
    op.post_form(
        "/operator/produk/impor/simpan",
        Some(&login),
        &[("id", &id)],
    )
    .await
    .assert_expired("confirm without token");
    assert_eq!(op.own_total(), 20);

    let done = op
        .post_csrf("/operator/produk/impor/simpan", &login, &[("id", &id)])
        .await;
    done.assert_status(StatusCode::OK);
    done.assert_contains("Impor selesai: 7 produk baru, 0 diubah.");
    assert_eq!(op.own_total(), 27);

    // The same confirmation again: nothing is held any more.
    let again = op
        .post_csrf("/operator/produk/impor/simpan", &login, &[("id", &id)])
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{}", again.body);
    again.assert_contains("kedaluwarsa");
    assert_eq!(op.own_total(), 27);

    // Uploading the same file again: nothing to save.
    let page = upload(&op, &login, "produk.csv", ten_rows().as_bytes()).await;
    page.assert_contains("<strong>7</strong> tidak berubah");
    assert!(!page.body.contains("name=\"id\""), "{}", page.body);

    // One price changed: one row to change, naming what changes.
    let changed = ten_rows().replace("U-5;Kue lapis 5;Rp 5.000", "U-5;Kue lapis 5;Rp 5.500");
    let page = upload(&op, &login, "produk.csv", changed.as_bytes()).await;
    page.assert_contains("<strong>1</strong> diubah");
    page.assert_contains("U-5 (harga)");
    page.assert_contains("Rp 5.500");
    let id = held_id(&page.body);
    op.post_csrf("/operator/produk/impor/simpan", &login, &[("id", &id)])
        .await
        .assert_contains("Impor selesai: 0 produk baru, 1 diubah.");
    assert_eq!(op.own_total(), 27);
}

#[tokio::test]
async fn the_import_pages_need_a_session() {
    let op = Op::new();
    for (method, path) in [
        ("GET", "/operator/produk/impor"),
        ("POST", "/operator/produk/impor"),
        ("POST", "/operator/produk/impor/simpan"),
    ] {
        let page = if method == "GET" {
            op.get(path, None).await
        } else {
            op.post_form(path, None, &[("id", "00")]).await
        };
        page.assert_redirect("/operator/masuk", path);
    }
}

#[tokio::test]
async fn an_upload_over_the_limit_or_of_another_kind_is_refused() {
    let op = Op::new();
    let login = op.login().await;
    let mut big = ten_rows().into_bytes();
    big.resize(SHEET_BYTES_MAX + 1, b' ');
    let page = upload(&op, &login, "produk.csv", &big).await;
    page.assert_problem("Berkas terlalu besar (paling besar 5 MB)", "over the limit");
    let page = upload(&op, &login, "produk.ods", b"kode,judul,harga\n").await;
    page.assert_problem("pakai .csv atau .xlsx", "unknown kind");
    let page = upload(&op, &login, "produk.xlsx", b"PK\x03\x04 bukan zip").await;
    page.assert_problem("tidak bisa dibaca sebagai XLSX", "junk xlsx");
    let page = op
        .post_multipart(
            "/operator/produk/impor",
            Some(&login),
            sheet_form("salah", "produk.csv", ten_rows().as_bytes()),
        )
        .await;
    page.assert_expired("upload with a wrong token");
    assert_eq!(op.own_total(), 20);
}

#[tokio::test]
async fn the_downloads_are_spreadsheets_that_import_back_unchanged() {
    let op = Op::new();
    let login = op.login().await;
    for (path, format, content_type, name) in [
        (
            "/operator/produk/ekspor.csv",
            Format::Csv,
            "text/csv; charset=utf-8",
            "produk.csv",
        ),
        (
            "/operator/produk/ekspor.xlsx",
            Format::Xlsx,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "produk.xlsx",
        ),
    ] {
        let page = op.get(path, Some(&login)).await;
        page.assert_status(StatusCode::OK);
        assert_eq!(page.header(header::CONTENT_TYPE), Some(content_type));
        assert_eq!(
            page.header(header::CONTENT_DISPOSITION),
            Some(format!("attachment; filename=\"{name}\"").as_str())
        );
        let plan = op.node.import_plan(format, &page.bytes).unwrap();
        assert_eq!(
            (plan.create.len(), plan.update.len(), plan.unchanged),
            (0, 0, 20),
            "{path}: {:?}",
            plan.errors
        );
        assert!(plan.errors.is_empty());
        // Without a session: the login page.
        let page = op.get(path, None).await;
        page.assert_redirect("/operator/masuk", path);
    }
}
