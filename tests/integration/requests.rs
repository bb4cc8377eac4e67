//! Buyer requests with two real `telecenter` nodes over real HTTP: a buyer
//! posts the "Pesan" form at one center for another center's product, gets the
//! private status page; the operator turns the request into an order (CLI);
//! the seller accepts (CLI); the buyer's status page shows it.

use std::time::Duration;

use crate::support::{Station, listing_add_args, poll};

const DEADLINE: Duration = Duration::from_secs(60);

/// What a browser gets back: status, `Location`, `Cache-Control` and the text.
struct Answer {
    status: u16,
    location: String,
    cache: String,
    text: String,
}

/// One request as a browser without JavaScript sends it (no redirects
/// followed); `form` fields are sent urlencoded.
fn browse(url: &str, form: Option<&[(&str, &str)]>) -> Result<Answer, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let client = telecenter_node::net::Outgoing::default()
            .client_builder()
            .map_err(|e| e.to_string())?
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let request = match form {
            Some(fields) => {
                let mut encoder = reqwest::Url::parse("http://form/").map_err(|e| e.to_string())?;
                encoder.query_pairs_mut().extend_pairs(fields);
                client
                    .post(url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(encoder.query().unwrap_or_default().to_owned())
            }
            None => client.get(url),
        };
        let response = request.send().await.map_err(|e| e.to_string())?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let (status, location, cache) = (
            response.status().as_u16(),
            header("location"),
            header("cache-control"),
        );
        let text = response.text().await.map_err(|e| e.to_string())?;
        Ok(Answer {
            status,
            location,
            cache,
            text,
        })
    })
}

#[test]
fn a_buyer_request_becomes_an_order_and_the_status_page_follows_it() {
    let mut malang = Station::new("Telecenter Kota Malang", "Kota Malang");
    let listing = malang
        .folder
        .ok(&listing_add_args(
            "Keripik Pisang Agung",
            "15.000",
            "5",
            "makanan",
        ))
        .trim()
        .to_owned();
    let mut ponorogo = Station::new("Telecenter Ponorogo", "Kabupaten Ponorogo");
    malang.start();
    ponorogo.start();
    malang.folder.ok(&["peer", "add", &ponorogo.url()]);
    ponorogo.folder.ok(&["peer", "add", &malang.url()]);
    let product = format!("{}/produk/{}/{listing}", ponorogo.url(), malang.id);
    // The buyer finds Malang's product on Ponorogo's pages and fills in the form.
    let page = poll(DEADLINE, || {
        browse(&product, None).ok().filter(|a| a.status == 200)
    })
    .expect("the product reached Ponorogo");
    assert!(page.text.contains("id=\"pesan-kirim\""), "{}", page.text);
    let sent = browse(
        &format!("{product}/pesan"),
        Some(&[
            ("nama", "Bu Sari"),
            ("wa", "0812-3456-7890"),
            ("jumlah", "2"),
            ("cara", "antar"),
            ("catatan", "Jl. Merdeka 5, Ponorogo"),
            ("situs", ""),
        ]),
    )
    .expect("form post");
    assert_eq!(sent.status, 303, "{}", sent.text);
    let status_url = format!("{}{}", ponorogo.url(), sent.location);
    let status = browse(&status_url, None).expect("status page");
    assert_eq!(status.status, 200);
    assert_eq!(status.cache, "private, no-store");
    assert!(
        status
            .text
            .contains("Menunggu petugas menghubungi Anda lewat WhatsApp"),
        "{}",
        status.text
    );
    let (path, _) = sent.location.split_once('?').unwrap();
    let wrong = browse(
        &format!("{}{path}?token={}", ponorogo.url(), "0".repeat(32)),
        None,
    )
    .unwrap();
    assert_eq!(wrong.status, 404);

    // Ponorogo's operator turns it into an order; Malang accepts.
    let list = ponorogo.json(&["request", "list"]);
    assert_eq!(list["open"], 1);
    let code = list["requests"][0]["code"].as_str().unwrap().to_owned();
    assert_eq!(list["requests"][0]["buyer_phone"], "+6281234567890");
    let order = ponorogo
        .folder
        .ok(&["request", "accept", &code])
        .trim()
        .to_owned();
    let again = ponorogo.folder.fails(&["request", "accept", &code]);
    assert!(again.contains("already answered"), "{again}");
    malang
        .folder
        .wait_order(&malang.id, &order, "placed", DEADLINE);
    malang.folder.ok(&["order", "accept", &order]);
    let shown = poll(DEADLINE, || {
        let text = browse(&status_url, None).ok()?.text;
        text.contains("Diterima penjual").then_some(text)
    })
    .expect("the status page shows the acceptance");
    assert!(shown.contains(&code));
    assert_eq!(
        ponorogo.json(&["request", "show", &code])["status"],
        "ordered"
    );
}
