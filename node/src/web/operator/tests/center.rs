//! The center set-up pages through the real router: fee terms and the node
//! address on the profile page (all errors at once, typed values kept), the
//! center card and its QR code, peering from a pasted card with a second
//! center served on 127.0.0.1:0 (confirmation, id check, plain-word errors),
//! and the password page (rules, wrong current password, other sessions
//! ended, no password echoed).

use telecenter_protocol::card::CenterCard;

use super::*;
use crate::web::operator::card::own_card;

const MADIUN: &str = "Telecenter Kota Madiun";
const UNREACHABLE: &str = "Telecenter di alamat itu tidak menjawab. Periksa alamat dan internet.";

/// A second center served over real HTTP on 127.0.0.1:0, its address in its
/// profile; returns it and its address.
async fn served_center(seed: u64) -> (Op, String) {
    let other = Op::other(seed, MADIUN, "Kota Madiun");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = other.app.clone();
    tokio::spawn(async move { axum::serve(listener, app).await });
    other
        .node
        .set_profile(&ProfileInput {
            address: Some(url.clone()),
            ..Default::default()
        })
        .unwrap();
    (other, url)
}

/// An address where nothing listens (a port bound, then freed).
async fn dead_address() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

fn card_text(name: &str, id: CenterId, address: &str) -> String {
    CenterCard {
        name: name.to_owned(),
        region: "Kota Madiun".to_owned(),
        id,
        address: Some(telecenter_protocol::address::NodeAddress::parse(address).unwrap()),
    }
    .to_text()
}

#[tokio::test]
async fn fee_terms_can_be_set_on_the_profile_page() {
    let op = Op::new();
    let login = op.login().await;
    let form = op.get("/operator/profil", Some(&login)).await;
    form.assert_status(StatusCode::OK);
    for id in [
        "id=\"fee\"",
        "id=\"fee-min\"",
        "id=\"alamat\"",
        "id=\"public-url\"",
    ] {
        form.assert_contains(id);
    }
    let page = op
        .post_csrf(
            "/operator/profil",
            &login,
            &[
                ("name", "Telecenter Kota Malang"),
                ("region", "Kota Malang"),
                ("contact", "WA 0812-0000-0000"),
                ("whatsapp", ""),
                ("fee", "2,5"),
                ("fee_min", "1.000"),
                ("alamat", "http://192.168.1.20:8470/"),
            ],
        )
        .await;
    page.assert_redirect("/operator/profil?tersimpan=1", "profile with fee terms");
    let profile = op.node.profile().unwrap();
    assert_eq!(profile.fees.referral_bp, 250);
    assert_eq!(profile.fees.min_idr, 1_000);
    assert_eq!(profile.address.as_deref(), Some("http://192.168.1.20:8470"));
    // What peers read: the signed catalog's profile, served as the node's info.
    let info = op.get("/api/v1/info", None).await;
    info.assert_status(StatusCode::OK);
    let info: serde_json::Value = serde_json::from_slice(&info.bytes).unwrap();
    assert_eq!(info["referral_fee_bp"], 250);
    assert_eq!(info["referral_fee_min_idr"], 1_000);
    // The form shows them back as typed by people.
    let form = op.get("/operator/profil", Some(&login)).await;
    form.assert_contains("value=\"2,5\"");
    form.assert_contains("value=\"1.000\"");
    // Empty clears the address and sets no fee.
    op.post_csrf(
        "/operator/profil",
        &login,
        &[("fee", ""), ("fee_min", ""), ("alamat", "")],
    )
    .await
    .assert_redirect("/operator/profil?tersimpan=1", "cleared");
    let profile = op.node.profile().unwrap();
    assert_eq!((profile.fees.referral_bp, profile.fees.min_idr), (0, 0));
    assert_eq!(profile.address, None);
}

#[tokio::test]
async fn profile_page_shows_every_problem_at_once_and_keeps_what_was_typed() {
    let op = Op::new();
    let login = op.login().await;
    let before = op.node.profile().unwrap();
    let page = op
        .post_csrf(
            "/operator/profil",
            &login,
            &[
                ("name", ""),
                ("region", "Kota Malang"),
                ("fee", "tiga persen"),
                ("fee_min", "99.000.000"),
                ("alamat", "/toko-kami"),
            ],
        )
        .await;
    page.assert_status(StatusCode::BAD_REQUEST);
    for text in [
        "Nama",
        "Biaya rujukan: tulis persen 0 sampai 50",
        "Biaya rujukan paling sedikit: tulis rupiah bulat 0 sampai Rp 10.000.000",
        "Alamat: tulis alamat lengkap yang diawali http:// atau https://",
        "value=\"tiga persen\"",
        "value=\"99.000.000\"",
        "value=\"/toko-kami\"",
    ] {
        page.assert_contains(text);
    }
    assert_eq!(page.body.matches("<li>").count(), 4, "{}", page.body);
    assert_eq!(op.node.profile().unwrap(), before);
}

#[tokio::test]
async fn public_url_can_be_set_on_the_profile_page() {
    let op = Op::new();
    let login = op.login().await;
    let config = op.dir.path().join("config.toml");
    std::fs::write(
        &config,
        "# kantor desa, jangan diubah\nlisten = \"127.0.0.1:8470\" # port lama\n",
    )
    .unwrap();
    let id = op.public_ids().into_iter().next().unwrap();
    let product = format!("/produk/{}/{id}", op.node.center_id());
    let before = op.get(&product, None).await;
    assert!(
        !before.body.contains("https://toko.example"),
        "{}",
        before.body
    );

    op.post_csrf(
        "/operator/profil",
        &login,
        &[("public_url", " https://toko.example/ ")],
    )
    .await
    .assert_redirect("/operator/profil?tersimpan=1", "public_url set");
    let saved = std::fs::read_to_string(&config).unwrap();
    assert!(saved.contains("# kantor desa, jangan diubah"), "{saved}");
    assert!(saved.contains("# port lama"), "{saved}");
    assert!(
        saved.contains("public_url = \"https://toko.example\""),
        "{saved}"
    );
    let parsed: crate::data_dir::Config = toml::from_str(&saved).unwrap();
    assert_eq!(parsed.public_url.as_deref(), Some("https://toko.example"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&config).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Used at once, without a restart: the product page's links.
    let page = op.get(&product, None).await;
    let canonical = format!("<link rel=\"canonical\" href=\"https://toko.example{product}\"");
    page.assert_contains(&canonical);
    page.assert_contains(&format!("content=\"https://toko.example{product}\""));
    // The form shows it back.
    let form = op.get("/operator/profil", Some(&login)).await;
    form.assert_contains("value=\"https://toko.example\"");

    // Empty clears it, in the file and on the pages.
    op.post_csrf("/operator/profil", &login, &[("public_url", "")])
        .await
        .assert_redirect("/operator/profil?tersimpan=1", "public_url cleared");
    let saved = std::fs::read_to_string(&config).unwrap();
    assert!(!saved.contains("public_url"), "{saved}");
    assert!(saved.contains("# kantor desa, jangan diubah"), "{saved}");
    let page = op.get(&product, None).await;
    assert!(!page.body.contains("https://toko.example"), "{}", page.body);
}

#[tokio::test]
async fn a_bad_public_url_is_refused_in_plain_words_and_changes_nothing() {
    let op = Op::new();
    let login = op.login().await;
    let config = op.dir.path().join("config.toml");
    let text = "# pengaturan\nlisten = \"127.0.0.1:8470\"\npublic_url = \"https://lama.example\"\n";
    std::fs::write(&config, text).unwrap();
    op.post_csrf(
        "/operator/profil",
        &login,
        &[("public_url", "https://lama.example")],
    )
    .await
    .assert_redirect("/operator/profil?tersimpan=1", "same value");
    let before = op.node.profile().unwrap();
    for typed in [
        "toko.example/produk",
        "ftp://toko.example",
        "https://toko.example/jalan",
    ] {
        let page = op
            .post_csrf(
                "/operator/profil",
                &login,
                &[("name", ""), ("public_url", typed)],
            )
            .await;
        page.assert_status(StatusCode::BAD_REQUEST);
        page.assert_contains(
            "Alamat untuk pembeli: tulis alamat lengkap yang diawali http:// atau https://",
        );
        page.assert_contains(&format!("value=\"{typed}\""));
        // Shown together with the page's other errors.
        assert_eq!(page.body.matches("<li>").count(), 2, "{}", page.body);
        assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
        assert_eq!(op.node.profile().unwrap(), before);
        let form = op.get("/operator/profil", Some(&login)).await;
        form.assert_contains("value=\"https://lama.example\"");
    }
}

#[tokio::test]
async fn the_center_card_shows_the_full_id_the_card_text_and_a_qr_code() {
    let op = Op::new();
    op.node
        .set_profile(&ProfileInput {
            address: Some("http://192.168.1.20:8470".to_owned()),
            ..Default::default()
        })
        .unwrap();
    let login = op.login().await;
    let page = op.get("/operator/kartu", Some(&login)).await;
    page.assert_status(StatusCode::OK);
    let id = op.node.center_id().to_string();
    page.assert_contains(&format!(
        "<code id=\"id-pusat\" style=\"user-select:all;word-break:break-all\">{id}</code>"
    ));
    for marker in [
        "id=\"salin-id\"",
        "id=\"kartu-teks\"",
        "id=\"salin-kartu\"",
        "<svg",
        "src=\"/salin.js\"",
    ] {
        page.assert_contains(marker);
    }
    let card = own_card(&op.node).unwrap();
    let text = card.to_text();
    page.assert_contains(&escaped(&text));
    assert_eq!(CenterCard::parse(&text).unwrap(), card);
    assert!(text.contains("alamat: http://192.168.1.20:8470"));
    // The menu leads there, and to the password page.
    page.assert_contains("href=\"/operator/kartu\"");
    page.assert_contains("href=\"/operator/sandi\"");
    let script = op.get("/salin.js", None).await;
    script.assert_status(StatusCode::OK);
    assert!(
        script
            .header(header::CONTENT_TYPE)
            .unwrap()
            .starts_with("text/javascript")
    );
    // Without an address the card says how to add one.
    op.node
        .set_profile(&ProfileInput {
            address: Some(String::new()),
            ..Default::default()
        })
        .unwrap();
    let page = op.get("/operator/kartu", Some(&login)).await;
    page.assert_contains("belum punya alamat node");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pasting_the_card_of_another_center_peers_with_it_after_confirmation() {
    let (other, _url) = served_center(2).await;
    let op = Op::new();
    let login = op.login().await;
    let card = own_card(&other.node).unwrap().to_text();
    // A chat app may add blank lines and spaces.
    let pasted = format!("\n  {}\n", card.replace('\n', "\r\n"));
    let page = op
        .post_csrf("/operator/jaringan/peer", &login, &[("kartu", &pasted)])
        .await;
    page.assert_status(StatusCode::OK);
    page.assert_contains("Sambungkan dengan pusat ini?");
    page.assert_contains(MADIUN);
    page.assert_contains(&other.node.center_id().to_string());
    page.assert_contains("id=\"setuju-kartu\"");
    assert!(
        op.node.peers().unwrap().is_empty(),
        "nothing added before the yes"
    );
    let page = op
        .post_csrf(
            "/operator/jaringan/peer",
            &login,
            &[("kartu", &pasted), ("setuju", "1")],
        )
        .await;
    page.assert_status(StatusCode::OK);
    page.assert_contains(&format!("Tersambung: {MADIUN} (Kota Madiun)"));
    let peers = op.node.peers().unwrap();
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].center_id, other.node.center_id());
    assert!(op.node.accepts(&other.node.center_id()));
    // Listed by name, the id on hover and under "Id pusat"; the trust depth in words.
    let page = op.get("/operator/jaringan", Some(&login)).await;
    let id = other.node.center_id().to_string();
    page.assert_contains(&format!("<h3 title=\"{id}\">{MADIUN}</h3>"));
    page.assert_contains(&format!("<li title=\"{id}\">{MADIUN} — dipercaya langsung"));
    assert!(!page.body.contains(" (1)"), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_page_unreachable_peer_in_plain_words() {
    let op = Op::new();
    let login = op.login().await;
    let dead = dead_address().await;
    let other = Identity::generate(&mut StdRng::seed_from_u64(5)).center_id();
    let card = card_text(MADIUN, other, &dead);
    for fields in [
        vec![("url", dead.as_str())],
        vec![("kartu", dead.as_str())],
        vec![("kartu", card.as_str()), ("setuju", "1")],
    ] {
        let page = op
            .post_csrf("/operator/jaringan/peer", &login, &fields)
            .await;
        page.assert_status(StatusCode::BAD_REQUEST);
        page.assert_contains(UNREACHABLE);
        assert!(
            !page.body.contains("error sending request"),
            "{}",
            page.body
        );
        page.assert_contains(&format!("{}</textarea>", escaped(fields[0].1)));
    }
    assert!(op.node.peers().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_page_bad_addresses_and_cards_in_plain_words() {
    let (other, url) = served_center(2).await;
    let op = Op::new();
    let login = op.login().await;
    let impostor = Identity::generate(&mut StdRng::seed_from_u64(9)).center_id();
    let own = own_card(&op.node).unwrap().to_text();
    let cases = [
        (
            "/jaringan",
            "Alamat: tulis alamat lengkap yang diawali http://",
        ),
        (
            "192.168.1.20:8470",
            "Alamat: tulis alamat lengkap yang diawali http://",
        ),
        (
            "TELECENTER-KARTU v1\nnama: Telecenter X",
            "Ini bukan kartu pusat yang utuh",
        ),
        (
            "TELECENTER-KARTU v1\nnama: X\nwilayah: Y\nid: tc1abc",
            "Id pada kartu rusak",
        ),
        (own.as_str(), "Ini kartu pusat ini sendiri"),
    ];
    for (typed, message) in cases {
        let page = op
            .post_csrf("/operator/jaringan/peer", &login, &[("kartu", typed)])
            .await;
        page.assert_status(StatusCode::BAD_REQUEST);
        page.assert_contains(message);
        page.assert_contains(&format!("{}</textarea>", escaped(typed)));
    }
    // A paste far over the card limit: refused, only its start kept.
    let huge = "x".repeat(20_000);
    let page = op
        .post_csrf("/operator/jaringan/peer", &login, &[("kartu", &huge)])
        .await;
    page.assert_status(StatusCode::BAD_REQUEST);
    page.assert_contains("Kartu pusat paling banyak 16 baris dan 1024 karakter");
    assert!(
        !page.body.contains(&"x".repeat(1_100)),
        "only the start is kept"
    );
    // The card names one center, its address answers as another.
    let card = card_text("Telecenter Palsu", impostor, &url);
    let page = op
        .post_csrf(
            "/operator/jaringan/peer",
            &login,
            &[("kartu", &card), ("setuju", "1")],
        )
        .await;
    page.assert_status(StatusCode::BAD_REQUEST);
    page.assert_contains(&format!(
        "Kartu ini milik Telecenter Palsu, tetapi telecenter di {url} adalah {MADIUN}"
    ));
    // Something that answers HTTP but is no telecenter.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let web = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, Router::new()).await });
    let page = op
        .post_csrf("/operator/jaringan/peer", &login, &[("kartu", &web)])
        .await;
    page.assert_status(StatusCode::BAD_REQUEST);
    page.assert_contains("Alamat itu menjawab, tetapi bukan telecenter.");
    assert!(op.node.peers().unwrap().is_empty());
    assert!(!op.node.accepts(&impostor));
    assert!(!op.node.accepts(&other.node.center_id()));
}

#[tokio::test]
async fn the_password_can_be_changed_on_the_pages_and_other_sessions_end() {
    let op = Op::new();
    let here = op.login().await;
    let elsewhere = op.login().await;
    let form = op.get("/operator/sandi", Some(&here)).await;
    form.assert_status(StatusCode::OK);
    for id in [
        "id=\"sandi-lama\"",
        "id=\"sandi-baru\"",
        "id=\"sandi-ulang\"",
    ] {
        form.assert_contains(id);
    }
    let new = "singkong-goreng-madiun";
    let page = op
        .post_csrf(
            "/operator/sandi",
            &here,
            &[("lama", PASSWORD), ("baru", new), ("ulang", new)],
        )
        .await;
    page.assert_status(StatusCode::OK);
    page.assert_contains("Kata sandi sudah diganti");
    assert!(!page.body.contains(new) && !page.body.contains(PASSWORD));
    // This session goes on; the other one is logged out.
    op.get("/operator", Some(&here))
        .await
        .assert_status(StatusCode::OK);
    op.get("/operator", Some(&elsewhere))
        .await
        .assert_redirect("/operator/masuk", "other session");
    op.login_with(PASSWORD)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    op.login_with(new)
        .await
        .assert_redirect("/operator", "new password");
}

#[tokio::test]
async fn a_wrong_current_password_or_a_bad_new_one_changes_nothing() {
    let op = Op::new();
    let login = op.login().await;
    let before = std::fs::read_to_string(op.password_file()).unwrap();
    let page = op
        .post_csrf(
            "/operator/sandi",
            &login,
            &[
                ("lama", "bukan-sandinya"),
                ("baru", "pendek"),
                ("ulang", "lain"),
            ],
        )
        .await;
    page.assert_status(StatusCode::BAD_REQUEST);
    for text in [
        "Kata sandi sekarang salah.",
        "Kata sandi baru harus 8 sampai 200 karakter; yang ditulis 6 karakter.",
        "Kata sandi baru dan ulangannya tidak sama.",
    ] {
        page.assert_contains(text);
    }
    for secret in ["bukan-sandinya", "pendek", "\"lain\""] {
        assert!(!page.body.contains(secret), "{secret} echoed");
    }
    // A right current password with a short new one is refused too.
    let page = op
        .post_csrf(
            "/operator/sandi",
            &login,
            &[("lama", PASSWORD), ("baru", "pendek"), ("ulang", "pendek")],
        )
        .await;
    page.assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(std::fs::read_to_string(op.password_file()).unwrap(), before);
    op.get("/operator", Some(&login))
        .await
        .assert_status(StatusCode::OK);
}
