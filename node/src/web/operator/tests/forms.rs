//! Forms that forgive and pages that say where you are (issue 14): one rule
//! for whole numbers, every problem of a form at once, a chosen photo kept
//! across a form error, the center's name in every header, the operator pages'
//! language switch, and the product list's thumbnails and status words.

use super::*;

/// The id of the listing a `303 /operator/produk/{id}?tersimpan=1` names.
fn saved_id(page: &Page) -> ListingId {
    page.assert_status(StatusCode::SEE_OTHER);
    let location = page.header(header::LOCATION).unwrap();
    let id = location
        .strip_prefix("/operator/produk/")
        .and_then(|rest| rest.strip_suffix("?tersimpan=1"))
        .unwrap_or_else(|| panic!("not a saved listing: {location}"));
    id.parse().unwrap()
}

/// The value of the hidden `kept_photo` field on a page, if any.
fn kept_photo(body: &str) -> Option<String> {
    let at = body.find("name=\"kept_photo\" value=\"")?;
    let rest = &body[at + "name=\"kept_photo\" value=\"".len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

#[tokio::test]
async fn stock_accepts_thousands_separators() {
    let op = Op::new();
    let login = op.login().await;
    for (price, stock, want_price, want_stock) in [
        ("15.000", "1.000", 15_000, 1_000),
        ("15 000", "1 000", 15_000, 1_000),
        ("Rp 1.250.000", "250", 1_250_000, 250),
    ] {
        let fields = listing_fields(&login.csrf, "Kopi Dampit", "makanan", price, stock);
        let page = op
            .post_multipart(
                "/operator/produk/baru",
                Some(&login),
                multipart(&fields, None),
            )
            .await;
        let l = op.listing(&saved_id(&page)).listing;
        assert_eq!(
            (l.price_idr, l.stock),
            (want_price, want_stock),
            "{price} {stock}"
        );
    }
    // The edit form shows the numbers the same way they may be typed.
    let id = op.add("Batik Uji", false);
    op.patch(
        &id,
        ListingPatch {
            stock: Some(12_500),
            ..ListingPatch::default()
        },
    );
    let page = op
        .get(&format!("/operator/produk/{id}"), Some(&login))
        .await;
    page.assert_contains("value=\"12.500\"");
    page.assert_contains("value=\"25.000\"");
    // A fraction is not a whole number.
    let fields = listing_fields(&login.csrf, "Kopi Dampit", "makanan", "15000", "1,5");
    let page = op
        .post_multipart(
            "/operator/produk/baru",
            Some(&login),
            multipart(&fields, None),
        )
        .await;
    page.assert_problem("Stok: tulis angka bulat", "stock 1,5");
}

#[tokio::test]
async fn number_limit_is_stated() {
    let op = Op::new();
    let login = op.login().await;
    let fields = listing_fields(
        &login.csrf,
        "Kopi Dampit",
        "makanan",
        "2.000.000.000",
        "1234567890123",
    );
    let page = op
        .post_multipart(
            "/operator/produk/baru",
            Some(&login),
            multipart(&fields, None),
        )
        .await;
    page.assert_problem("Stok paling banyak 1.000.000.", "13-digit stock");
    page.assert_contains("Harga (Rp) paling banyak Rp 1.000.000.000.");
    assert!(!page.body.contains("terlalu besar"), "{}", page.body);
    assert_eq!(op.own_total(), 20);
}

#[tokio::test]
async fn price_zero_needs_confirmation() {
    let op = Op::new();
    let login = op.login().await;
    let fields = listing_fields(&login.csrf, "Bibit Gratis", "pertanian", "0", "5");
    let page = op
        .post_multipart(
            "/operator/produk/baru",
            Some(&login),
            multipart(&fields, None),
        )
        .await;
    page.assert_problem("Rp 0 berarti gratis", "price 0 unticked");
    assert_eq!(op.own_total(), 20);
    let mut fields = fields;
    fields.push(("free", "1"));
    let page = op
        .post_multipart(
            "/operator/produk/baru",
            Some(&login),
            multipart(&fields, None),
        )
        .await;
    let id = saved_id(&page);
    assert_eq!(op.listing(&id).listing.price_idr, 0);
    // Editing a free product keeps the box ticked, so saving again works.
    let page = op
        .get(&format!("/operator/produk/{id}"), Some(&login))
        .await;
    page.assert_contains("name=\"free\" value=\"1\" checked");
}

#[tokio::test]
async fn listing_form_shows_all_errors_at_once() {
    let op = Op::new();
    let login = op.login().await;
    let mut fields = listing_fields(&login.csrf, " ", "senjata", "lima ribu", "x");
    fields.push(("unit", ""));
    let page = op
        .post_multipart(
            "/operator/produk/baru",
            Some(&login),
            multipart(&fields, None),
        )
        .await;
    for (field, message) in [
        ("title", "Nama produk: wajib diisi."),
        ("category", "Kategori: pilih salah satu pilihan."),
        ("price", "Harga (Rp): tulis rupiah bulat dengan angka"),
        ("stock", "Stok: tulis angka bulat"),
    ] {
        page.assert_problem(message, field);
        // Next to its field, too.
        let next_to = format!("id=\"salah-{field}\">{}", escaped(message));
        assert!(page.body.contains(&next_to), "{field}: {}", page.body);
    }
    page.assert_contains("value=\"lima ribu\"");
    page.assert_contains("value=\"KWT Mawar\"");
    // The same on the edit form.
    let id = op.add("Batik Uji", false);
    let fields = edit_fields(
        &login.csrf,
        &op.listing(&id),
        &[("title", ""), ("price", "abc"), ("stock", "-3")],
    );
    let page = op
        .post_multipart(
            &format!("/operator/produk/{id}"),
            Some(&login),
            multipart(&as_refs(&fields), None),
        )
        .await;
    page.assert_problem("Nama produk: wajib diisi.", "edit title");
    page.assert_contains("Harga (Rp): tulis rupiah bulat");
    page.assert_contains("Stok: tidak boleh kurang dari nol.");
    assert_eq!(op.listing(&id).listing.title.id, "Batik Uji");
}

#[tokio::test]
async fn photo_is_kept_across_a_form_error() {
    let op = Op::new();
    let login = op.login().await;
    let photo = png(120, 90);
    let thumb = thumb_of(&photo);
    let fields = listing_fields(&login.csrf, "Keripik Uji", "makanan", "lima ribu", "3");
    let page = op
        .post_multipart(
            "/operator/produk/baru",
            Some(&login),
            multipart(&fields, Some(("image/png", &photo))),
        )
        .await;
    page.assert_problem("Harga (Rp): tulis rupiah bulat", "price in words");
    page.assert_contains("Foto ini akan disimpan");
    page.assert_contains("src=\"data:image/jpeg;base64,");
    let kept = kept_photo(&page.body).expect("a kept_photo field");
    assert!(kept.starts_with(&format!("{thumb}.")), "{kept}");
    // Not published before a listing names it.
    let image = op.get(&format!("/foto/{thumb}"), None).await;
    assert_eq!(image.status, StatusCode::NOT_FOUND);
    assert_eq!(op.own_total(), 20);

    // Another error: still kept, without choosing it again.
    let mut again = listing_fields(&login.csrf, "", "makanan", "5000", "3");
    again.push(("kept_photo", &kept));
    let page = op
        .post_multipart(
            "/operator/produk/baru",
            Some(&login),
            multipart(&again, None),
        )
        .await;
    page.assert_problem("Nama produk: wajib diisi.", "empty title");
    assert_eq!(kept_photo(&page.body).as_deref(), Some(kept.as_str()));

    // Corrected: saved with the photo, which is now served.
    let mut fixed = listing_fields(&login.csrf, "Keripik Uji", "makanan", "5.000", "3");
    fixed.push(("kept_photo", &kept));
    let page = op
        .post_multipart(
            "/operator/produk/baru",
            Some(&login),
            multipart(&fixed, None),
        )
        .await;
    let id = saved_id(&page);
    let photos = op.listing(&id).listing.photos;
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0].thumb, thumb);
    let image = op.get(&format!("/foto/{thumb}"), None).await;
    assert_eq!(image.status, StatusCode::OK);

    // "Do not use this photo": saved without it.
    let mut dropped = listing_fields(&login.csrf, "Keripik Dua", "makanan", "5.000", "3");
    dropped.push(("kept_photo", &kept));
    dropped.push(("drop_kept", "1"));
    let page = op
        .post_multipart(
            "/operator/produk/baru",
            Some(&login),
            multipart(&dropped, None),
        )
        .await;
    assert!(op.listing(&saved_id(&page)).listing.photos.is_empty());

    // A made-up or unknown token is refused in words, and changes nothing.
    for bad in ["abc", &format!("{}.{}", "a".repeat(64), "b".repeat(64))] {
        let mut forged = listing_fields(&login.csrf, "Keripik Tiga", "makanan", "5.000", "3");
        forged.push(("kept_photo", bad));
        let page = op
            .post_multipart(
                "/operator/produk/baru",
                Some(&login),
                multipart(&forged, None),
            )
            .await;
        page.assert_problem("pilih fotonya sekali lagi", bad);
    }
    assert_eq!(op.own_total(), 22);
}

#[tokio::test]
async fn hidden_status_reads_disembunyikan() {
    let op = Op::new();
    let login = op.login().await;
    let with_photo = op.add("Batik Berfoto", true);
    let hidden = op.add("Batik Tersembunyi", false);
    op.patch(
        &hidden,
        ListingPatch {
            status: Some("hidden".to_owned()),
            ..ListingPatch::default()
        },
    );
    let page = op.get("/operator", Some(&login)).await;
    page.assert_contains("Disembunyikan");
    page.assert_contains("Dijual");
    assert!(!page.body.contains("Tidak, sembunyikan"), "{}", page.body);
    // The product list shows thumbnails.
    let thumb = &op.listing(&with_photo).listing.photos[0].thumb;
    page.assert_contains(&format!("class=\"thumb-small\" src=\"/foto/{thumb}\""));
}

#[tokio::test]
async fn no_remove_photo_without_photo() {
    let op = Op::new();
    let login = op.login().await;
    let bare = op.add("Batik Polos", false);
    let page = op
        .get(&format!("/operator/produk/{bare}"), Some(&login))
        .await;
    page.assert_status(StatusCode::OK);
    assert!(!page.body.contains("Hapus foto"), "{}", page.body);
    assert!(!page.body.contains("name=\"remove_photo\""));
    let pictured = op.add("Batik Berfoto", true);
    let page = op
        .get(&format!("/operator/produk/{pictured}"), Some(&login))
        .await;
    page.assert_contains("Hapus foto");
    page.assert_contains("name=\"remove_photo\"");
}

#[tokio::test]
async fn operator_header_names_the_center() {
    let op = Op::new();
    let login = op.login().await;
    for path in ["/operator", "/operator/produk/baru", "/operator/pesanan"] {
        let page = op.get(path, Some(&login)).await;
        page.assert_contains("Pusat Anda: <strong>Telecenter Kota Malang</strong> (Kota Malang)");
    }
    // A form error page names it as well.
    let fields = listing_fields(&login.csrf, "", "makanan", "1000", "1");
    let page = op
        .post_multipart(
            "/operator/produk/baru",
            Some(&login),
            multipart(&fields, None),
        )
        .await;
    page.assert_contains("Pusat Anda: <strong>Telecenter Kota Malang</strong>");
    // A new name shows on the next page.
    op.node
        .set_profile(&ProfileInput {
            name: Some("Telecenter Kota Batu".to_owned()),
            region: Some("Kota Batu".to_owned()),
            ..ProfileInput::default()
        })
        .unwrap();
    let page = op.get("/operator", Some(&login)).await;
    page.assert_contains("Pusat Anda: <strong>Telecenter Kota Batu</strong> (Kota Batu)");
}

#[tokio::test]
async fn public_header_says_where_you_are() {
    let op = Op::new();
    for path in ["/", "/cari?q=kopi", "/cara-pesan", "/tidak-ada"] {
        let page = op.get(path, None).await;
        page.assert_contains("Anda di <strong>Telecenter Kota Malang</strong> (Kota Malang)");
    }
    let page = op.get("/?lang=en", None).await;
    page.assert_contains("You are at <strong>Telecenter Kota Malang</strong>");
}

#[tokio::test]
async fn order_help_names_this_center() {
    let two = Two::new();
    // Blitar's product as shown at Malang: Malang takes the request.
    let page = two.a.get(&format!("/produk/{}", two.product()), None).await;
    page.assert_status(StatusCode::OK);
    page.assert_contains(
        "Pesanan Anda diterima oleh Telecenter Kota Malang (Kota Malang), tempat Anda sekarang. Kontak: WA 0812-0000-0000.",
    );
    page.assert_contains("Produk ini dijual oleh Telecenter Kab Blitar (Kabupaten Blitar)");
    // Its own product at Blitar: no second center named.
    let page = two.b.get(&format!("/produk/{}", two.product()), None).await;
    page.assert_contains("Pesanan Anda diterima oleh Telecenter Kab Blitar");
    assert!(
        !page.body.contains("Produk ini dijual oleh"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn english_link_works_on_operator_pages() {
    let op = Op::new();
    let login = op.login().await;
    let page = op
        .get("/operator/pesanan?status=placed", Some(&login))
        .await;
    page.assert_contains("href=\"/operator/pesanan?status=placed&amp;lang=en\"");
    // Following it remembers English and shows the same page.
    let page = op
        .get("/operator/pesanan?status=placed&lang=en", Some(&login))
        .await;
    page.assert_redirect("/operator/pesanan?status=placed", "switch");
    let cookie = page.header(header::SET_COOKIE).unwrap();
    assert!(cookie.starts_with("lang=en;"), "{cookie}");
    let request = Request::get("/operator")
        .header(header::COOKIE, format!("{}; lang=en", login.cookie))
        .body(Body::empty())
        .unwrap();
    let page = op.send(request).await;
    page.assert_status(StatusCode::OK);
    page.assert_contains("<html lang=\"en\"");
    page.assert_contains("Your center: <strong>Telecenter Kota Malang</strong>");
    // And back to Indonesian from there.
    page.assert_contains("href=\"/operator?lang=id\"");
}

#[tokio::test]
async fn order_form_shows_all_errors_at_once() {
    let two = Two::new();
    let login = two.a.login().await;
    let product = two.product();
    let page = two
        .a
        .place(
            &login,
            &[
                ("csrf", &login.csrf),
                ("produk", &product),
                ("unit_price_idr", "15000"),
                ("quantity", "dua"),
                ("buyer_name", " "),
                ("buyer_phone", "12"),
                ("payment_at", "di mana saja"),
                ("payment_method", "cash"),
            ],
        )
        .await;
    page.assert_status(StatusCode::BAD_REQUEST);
    for field in ["quantity", "buyer_name", "buyer_phone", "payment_at"] {
        assert!(
            page.body.contains(&format!("id=\"salah-{field}\"")),
            "{field}: {}",
            page.body
        );
    }
    page.assert_contains("Jumlah: tulis angka bulat 1 sampai 10000.");
    page.assert_contains("Nomor HP pembeli: paling sedikit 6 angka.");
    page.assert_contains("value=\"dua\"");
    // A quantity with a thousands dot is read by the same rule.
    let page = two
        .a
        .place(
            &login,
            &[
                ("csrf", &login.csrf),
                ("produk", &product),
                ("unit_price_idr", "15000"),
                ("quantity", "1.000"),
                ("buyer_name", BUYER_NAME),
                ("buyer_phone", BUYER_PHONE),
                ("payment_at", "buyer_center"),
                ("payment_method", "cash"),
            ],
        )
        .await;
    // 1.000 is read as a thousand: more than the 10 in stock, refused as such.
    page.assert_status(StatusCode::CONFLICT);
}
