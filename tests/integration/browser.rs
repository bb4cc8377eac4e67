//! End-to-end tests in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by the first browser test when missing, see
//! [`chromedriver`]), driven through chromedriver with
//! fantoccini, against the real `telecenter` binary. Screenshots of the main
//! pages at 360 and 1280 pixels wide go to `target/screenshots/`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::{Folder, Server, poll};

const DEADLINE: Duration = Duration::from_secs(30);

/// A chromedriver process on a free loopback port; killed when dropped.
struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Where Debian's `chromium` package puts the browser.
const CHROMIUM: &str = "/usr/bin/chromium";
/// Where Debian's `chromium-driver` package puts chromedriver.
const CHROMEDRIVERS: [&str; 2] = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"];
/// The one line printed when the browser cannot be installed here.
const INSTALL_BY_HAND: &str = "the browser tests need Debian's chromium and chromium-driver; install them (as root: apt-get install chromium chromium-driver) and run the tests again";

/// chromedriver, when it and Chromium are installed.
fn installed_chromedriver() -> Option<PathBuf> {
    if !std::path::Path::new(CHROMIUM).exists() {
        return None;
    }
    CHROMEDRIVERS
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Whether `program` is on the `PATH`.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

/// Whether this process runs as root (`id -u` says 0).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs `apt-get args` non-interactively, as root directly or through
/// `sudo -n` (never asking for a password); the error is one line.
fn apt_get(sudo: bool, args: &[&str]) -> Result<(), String> {
    let mut command = if sudo {
        let mut c = Command::new("sudo");
        c.args(["-n", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
        c
    } else {
        let mut c = Command::new("apt-get");
        c.env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    let out = command
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("apt-get {}: {e}", args.join(" ")))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(format!("apt-get {} failed: {last}", args.join(" ")))
}

/// Installs Debian's `chromium` and `chromium-driver` when they are missing,
/// so that the README's test command works on a fresh Debian machine: as root
/// directly, else through `sudo -n`; otherwise one line says what to install.
fn install_browser() -> Result<PathBuf, String> {
    if let Some(found) = installed_chromedriver() {
        return Ok(found);
    }
    if !on_path("apt-get") {
        return Err(format!("{INSTALL_BY_HAND} (no apt-get on this machine)"));
    }
    let sudo = if is_root() {
        false
    } else if on_path("sudo")
        && Command::new("sudo")
            .args(["-n", "true"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    {
        true
    } else {
        return Err(format!(
            "{INSTALL_BY_HAND} (not root, and sudo cannot run without a password)"
        ));
    };
    eprintln!("installing chromium and chromium-driver for the browser tests (apt-get)");
    let done = apt_get(sudo, &["update"]).and_then(|()| {
        apt_get(
            sudo,
            &[
                "install",
                "-y",
                "--no-install-recommends",
                "chromium",
                "chromium-driver",
            ],
        )
    });
    if let Err(reason) = done {
        return Err(format!("{INSTALL_BY_HAND} ({reason})"));
    }
    installed_chromedriver()
        .ok_or_else(|| format!("{INSTALL_BY_HAND} (still missing after apt-get install)"))
}

/// chromedriver, installed first if needed: once per test process, however
/// many browser tests ask at the same time (the others wait for the first).
fn chromedriver() -> PathBuf {
    static READY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match READY.get_or_init(install_browser) {
        Ok(path) => path.clone(),
        Err(line) => panic!("{line}"),
    }
}

fn driver() -> Driver {
    let chromedriver = chromedriver();
    let port = free_port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    let status = format!("{url}/status");
    poll(DEADLINE, || {
        crate::support::http("GET", &status, None, None)
            .ok()
            .filter(|(code, _)| *code == 200)
    })
    .expect("chromedriver answers");
    Driver {
        child,
        url,
        _profile: tempfile::tempdir().expect("profile dir"),
    }
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--hide-scrollbars",
                "--window-size=1280,900",
                format!("--user-data-dir={}", driver._profile.path().display()),
            ]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("start a Chromium session")
}

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

async fn screenshot(client: &Client, name: &str) {
    for width in [360u32, 1280] {
        client.set_window_size(width, 900).await.expect("resize");
        let png = client.screenshot().await.expect("screenshot");
        std::fs::write(screenshots_dir().join(format!("{name}-{width}.png")), png)
            .expect("save screenshot");
    }
    client.set_window_size(1280, 900).await.expect("resize");
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
        .text()
        .await
        .expect("text")
}

/// The visible text of the page; retried while a navigation replaces the page
/// under our feet.
async fn body(client: &Client) -> String {
    for _ in 0..50 {
        if let Ok(element) = client.find(Locator::Css("body")).await
            && let Ok(text) = element.text().await
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    text_of(client, "body").await
}

fn run<F: std::future::Future<Output = ()>>(future: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future);
}

fn sample_node() -> (Folder, Server) {
    let folder = Folder::new();
    folder.ok(&[
        "init",
        "--name",
        "Telecenter Kota Malang",
        "--region",
        "Kota Malang",
        "--sample",
    ]);
    let server = folder.serve(&[]);
    (folder, server)
}

#[test]
fn a_buyer_searches_filters_opens_a_listing_and_switches_language() {
    let (_folder, server) = sample_node();
    let driver = driver();
    run(async {
        let client = browser(&driver).await;
        client
            .goto(&format!("{}/", server.url))
            .await
            .expect("open home");
        screenshot(&client, "home").await;
        assert!(body(&client).await.contains("Kategori"));

        // Search by typing, as a person would.
        type_search(&client, "kripik").await;
        // The home page has cards too: wait for the results page itself.
        poll_text(&client, "produk ditemukan").await;
        let results = body(&client).await;
        assert!(results.contains("4 produk ditemukan"), "{results}");
        assert!(results.contains("Kripik Pisang Agung Manis"));
        screenshot(&client, "search").await;

        // Open the filters, filter by price and apply.
        client
            .find(Locator::Css("details.filters-box summary"))
            .await
            .expect("filter box")
            .click()
            .await
            .expect("open filters");
        let max = client
            .find(Locator::Css("input[name=maks]"))
            .await
            .expect("max price");
        max.send_keys("16.000").await.expect("type");
        client
            .find(Locator::Css("form.filters button"))
            .await
            .expect("apply")
            .click()
            .await
            .expect("click");
        poll_text(&client, "2 produk ditemukan").await;

        // Open a listing.
        client
            .find(Locator::LinkText("Keripik Tempe Sanan Original"))
            .await
            .expect("listing link")
            .click()
            .await
            .expect("click");
        poll_text(&client, "Rp 15.000").await;
        let listing = body(&client).await;
        assert!(listing.contains("Dijual oleh"));
        assert!(listing.contains("WIB"));
        screenshot(&client, "listing").await;

        // Switch to English, and it stays English.
        client
            .find(Locator::LinkText("English"))
            .await
            .expect("language switch")
            .click()
            .await
            .expect("click");
        poll_text(&client, "Sold by").await;
        assert!(body(&client).await.contains("Sanan tempeh chips, original"));
        client
            .goto(&format!("{}/", server.url))
            .await
            .expect("home");
        poll_text(&client, "Find products").await;

        // A typing mistake: the page offers the corrected search, one click away.
        client
            .goto(&format!("{}/?lang=id", server.url))
            .await
            .expect("home");
        type_search(&client, "keripk apel").await;
        poll_text(&client, "Maksud Anda:").await;
        screenshot(&client, "search-did-you-mean").await;
        client
            .find(Locator::Css("p.did-you-mean a"))
            .await
            .expect("corrected search link")
            .click()
            .await
            .expect("click");
        poll_text(&client, "Cari produk \u{201c}keripik apel\u{201d}").await;
        let corrected = body(&client).await;
        assert!(!corrected.contains("Maksud Anda:"), "{corrected}");
        let first = client
            .find(Locator::Css("ul.cards li h3"))
            .await
            .expect("first result")
            .text()
            .await
            .expect("title");
        assert_eq!(first, "Keripik Apel Malang");

        // Nothing matches: near words and the categories instead of an empty page.
        client
            .goto(&format!("{}/cari?q=kopu", server.url))
            .await
            .expect("search");
        poll_text(&client, "Coba cari:").await;
        assert!(body(&client).await.contains("Atau lihat kategori:"));
        client
            .find(Locator::LinkText("kopi"))
            .await
            .expect("suggested word")
            .click()
            .await
            .expect("click");
        poll_text(&client, "Kopi Robusta Dampit Bubuk").await;
        client.close().await.expect("close");
    });
}

/// Types `text` into the page's search box and presses its button.
async fn type_search(client: &Client, text: &str) {
    client
        .find(Locator::Css("input[name=q]"))
        .await
        .expect("search box")
        .send_keys(text)
        .await
        .expect("type");
    client
        .find(Locator::Css("form.search button"))
        .await
        .expect("search button")
        .click()
        .await
        .expect("click");
}

async fn poll_text(client: &Client, text: &str) {
    // Up to 30 s: a loaded CI machine runs several browsers and nodes at once.
    for _ in 0..300 {
        if body(client).await.contains(text) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("page never showed {text:?}: {}", body(client).await);
}

/// Sets the operator password of the node in `folder` through `telecenter
/// password`, typed on its standard input as an operator would.
fn set_password(folder: &Folder, secret: &str) {
    let mut password = Command::new(crate::support::binary())
        .arg("--data")
        .arg(&folder.data)
        .arg("password")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("telecenter password");
    {
        use std::io::Write;
        let mut stdin = password.stdin.take().expect("stdin");
        writeln!(stdin, "{secret}").expect("write password");
    }
    assert!(password.wait().expect("wait").success());
}

#[test]
fn an_operator_logs_in_adds_a_listing_and_finds_it() {
    let (folder, server) = sample_node();
    set_password(&folder, "kata-sandi-rahasia");
    let driver = driver();
    run(async {
        let client = browser(&driver).await;
        client
            .goto(&format!("{}/operator", server.url))
            .await
            .expect("open operator");
        // Not logged in: sent to the login page; a wrong password is refused.
        poll_text(&client, "Masuk petugas").await;
        screenshot(&client, "login").await;
        type_into(&client, "input[name=password]", "salah-sekali").await;
        click(&client, Locator::Css("main form button")).await;
        poll_text(&client, "Kata sandi salah").await;
        type_into(&client, "input[name=password]", "kata-sandi-rahasia").await;
        click(&client, Locator::Css("main form button")).await;
        poll_text(&client, "Produk saya").await;
        screenshot(&client, "operator").await;

        // Add a listing, first with a bad price (kept values, clear message), then fixed.
        click(&client, Locator::LinkText("Tambah produk")).await;
        poll_text(&client, "Nama produk").await;
        type_into(&client, "#title", "Dodol Durian Ngebel").await;
        type_into(&client, "#price", "abc").await;
        type_into(&client, "#stock", "12").await;
        client
            .find(Locator::Css("#category"))
            .await
            .expect("category")
            .select_by_value("makanan")
            .await
            .expect("select");
        let save = "form[action='/operator/produk/baru'] button[type=submit]";
        click(&client, Locator::Css(save)).await;
        poll_text(&client, "tulis rupiah bulat").await;
        let kept = client
            .find(Locator::Css("#title"))
            .await
            .expect("title")
            .prop("value")
            .await
            .expect("value");
        assert_eq!(kept.as_deref(), Some("Dodol Durian Ngebel"));
        screenshot(&client, "operator-form-error").await;
        type_into(&client, "#price", "25.000").await;
        // Attach a photo, as a person picks a file.
        let photos = tempfile::tempdir().expect("photo dir");
        let photo = crate::federation::photo_file(photos.path());
        client
            .find(Locator::Css("#photo"))
            .await
            .expect("photo field")
            .send_keys(photo.to_str().expect("path"))
            .await
            .expect("attach photo");
        click(&client, Locator::Css(save)).await;
        poll_text(&client, "Tersimpan").await;

        // Buyers find it.
        client
            .goto(&format!("{}/cari?q=dodol", server.url))
            .await
            .expect("search");
        poll_text(&client, "Dodol Durian Ngebel").await;
        assert!(body(&client).await.contains("Rp 25.000"));
        // Its thumbnail loads (lazily) in the results.
        let mut width = 0;
        for _ in 0..50 {
            let value = client
                .execute(
                    "const i = document.querySelector('img.thumb'); return i ? i.naturalWidth : 0;",
                    vec![],
                )
                .await
                .expect("script");
            width = value.as_u64().unwrap_or(0);
            if width > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(width, 320, "the thumbnail is shown at its stored size");
        screenshot(&client, "search-with-photo").await;
        client.close().await.expect("close");
    });
}

#[test]
fn a_listing_from_another_node_of_the_federation_shows_up() {
    let (malang, malang_server) = sample_node();
    let blitar = Folder::new();
    blitar.ok(&[
        "init",
        "--name",
        "Telecenter Kab Blitar",
        "--region",
        "Kabupaten Blitar",
    ]);
    let blitar_server = blitar.serve(&[]);
    malang.ok(&["peer", "add", &blitar_server.url]);
    blitar.ok(&["peer", "add", &malang_server.url]);
    blitar.ok(&[
        "listing",
        "add",
        "--title",
        "Ikan Koi Blitar",
        "--price",
        "150.000",
        "--stock",
        "3",
        "--category",
        "lainnya",
    ]);
    let driver = driver();
    run(async {
        let client = browser(&driver).await;
        let url = format!("{}/cari?q=koi", malang_server.url);
        let mut found = false;
        for _ in 0..100 {
            client.goto(&url).await.expect("search");
            if body(&client).await.contains("Ikan Koi Blitar") {
                found = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(found, "Blitar's listing never reached Malang's pages");
        assert!(body(&client).await.contains("Telecenter Kab Blitar"));
        client
            .find(Locator::LinkText("Ikan Koi Blitar"))
            .await
            .expect("link")
            .click()
            .await
            .expect("click");
        poll_text(&client, "Data dari telecenter lain").await;
        screenshot(&client, "federated-listing").await;
        client.close().await.expect("close");
    });
}

/// Clicks the element `css` selects.
async fn click(client: &Client, locator: Locator<'_>) {
    client
        .find(locator)
        .await
        .expect("element to click")
        .click()
        .await
        .expect("click");
}

/// Clicks the button with exactly this text.
async fn press(client: &Client, label: &str) {
    click(
        client,
        Locator::XPath(&format!("//button[normalize-space()='{label}']")),
    )
    .await;
}

/// Replaces the text of the field `css` with `text`, as a person types it.
async fn type_into(client: &Client, css: &str, text: &str) {
    let field = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no field {css}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

/// Logs in on the operator pages of the node at `base`.
async fn log_in(client: &Client, base: &str, secret: &str) {
    client
        .goto(&format!("{base}/operator/masuk"))
        .await
        .expect("open the login page");
    poll_text(client, "Masuk petugas").await;
    type_into(client, "input[name=password]", secret).await;
    click(client, Locator::Css("main form button")).await;
    poll_text(client, "Produk saya").await;
}

/// Opens `url` again and again until the page shows `text` (news between
/// nodes travels in the background).
async fn reload_until(client: &Client, url: &str, text: &str) {
    for _ in 0..150 {
        client.goto(url).await.expect("open page");
        if body(client).await.contains(text) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{url} never showed {text:?}: {}", body(client).await);
}

/// Malang (the sample catalog) and Blitar, peered both ways and serving, with
/// operator passwords set, Blitar selling one product (`stock` units in
/// bungkus by `producer`) after running `blitar_setup` (e.g. its fee terms).
struct MalangAndBlitar {
    malang: Folder,
    malang_server: Server,
    blitar_server: Server,
    blitar_id: String,
    listing: String,
}

fn malang_and_blitar_selling(
    blitar_setup: &[&str],
    product: [&str; 4],
) -> (MalangAndBlitar, Folder) {
    let [title, price, stock, producer] = product;
    let (malang, malang_server) = sample_node();
    let blitar = Folder::new();
    let blitar_id = blitar.init_as("Telecenter Kab Blitar", "Kabupaten Blitar");
    if !blitar_setup.is_empty() {
        blitar.ok(blitar_setup);
    }
    let listing = blitar
        .ok(&[
            "listing",
            "add",
            "--title",
            title,
            "--price",
            price,
            "--stock",
            stock,
            "--category",
            "makanan",
            "--unit",
            "bungkus",
            "--producer",
            producer,
        ])
        .trim()
        .to_owned();
    set_password(&malang, "sandi-malang-2025");
    set_password(&blitar, "sandi-blitar-2025");
    let blitar_server = blitar.serve(&[]);
    malang.ok(&["peer", "add", &blitar_server.url]);
    blitar.ok(&["peer", "add", &malang_server.url]);
    let pair = MalangAndBlitar {
        malang,
        malang_server,
        blitar_server,
        blitar_id,
        listing,
    };
    (pair, blitar)
}

#[test]
fn two_operators_place_accept_and_account_for_an_order() {
    // Malang (the sample catalog) orders for a buyer from Blitar, which sells
    // sambal pecel with a 3 % referral fee of at least Rp 1.000.
    let (pair, _blitar) = malang_and_blitar_selling(
        &["profile", "--fee", "3", "--fee-min", "1.000"],
        ["Sambal Pecel Bu Sri", "15.000", "10", "Bu Sri"],
    );
    let MalangAndBlitar {
        malang: _malang,
        malang_server,
        blitar_server,
        blitar_id,
        listing,
    } = pair;
    let driver = driver();
    run(async {
        let client = browser(&driver).await;
        let (m, b) = (malang_server.url.as_str(), blitar_server.url.as_str());

        // Malang's operator finds Blitar's product in the market and orders it.
        log_in(&client, m, "sandi-malang-2025").await;
        let product = format!("{m}/produk/{blitar_id}/{listing}");
        reload_until(&client, &product, "Sambal Pecel Bu Sri").await;
        click(&client, Locator::LinkText("Pesan untuk pembeli (petugas)")).await;
        poll_text(&client, "Nomor HP pembeli").await;
        let form = body(&client).await;
        for text in [
            "Rp 15.000",
            "10 bungkus",
            "3 % dari total, paling sedikit Rp 1.000",
        ] {
            assert!(form.contains(text), "{text} missing: {form}");
        }
        type_into(&client, "#quantity", "3").await;
        type_into(&client, "#buyer_name", "Ibu Siti Aminah").await;
        type_into(&client, "#buyer_phone", "0813 2222 4444").await;
        client
            .find(Locator::Css("#payment_method"))
            .await
            .expect("payment method")
            .select_by_value("transfer")
            .await
            .expect("select");
        type_into(&client, "#note", "Diambil hari Sabtu").await;
        screenshot(&client, "order-form").await;
        press(&client, "Kirim pesanan").await;
        poll_text(&client, "Menunggu keputusan").await;
        let placed = body(&client).await;
        assert!(placed.contains("Ibu Siti Aminah"), "{placed}");
        assert!(placed.contains("Rp 45.000"), "{placed}");
        let order_url = client.current_url().await.expect("url");
        let order = order_url
            .path()
            .strip_prefix("/operator/pesanan/")
            .expect("an order page")
            .to_owned();
        screenshot(&client, "order-placed").await;
        // The background delivery takes it to Blitar.
        reload_until(
            &client,
            &format!("{m}/operator/pesanan"),
            "Semua kabar pesanan sudah terkirim",
        )
        .await;
        assert!(body(&client).await.contains("Kami membeli"));
        screenshot(&client, "orders").await;

        // Blitar's operator accepts, ships and completes it.
        log_in(&client, b, "sandi-blitar-2025").await;
        let seller_page = format!("{b}/operator/pesanan/{order}");
        reload_until(&client, &seller_page, "Terima pesanan").await;
        let offered = body(&client).await;
        assert!(offered.contains("Kami menjual"), "{offered}");
        assert!(offered.contains("0813 2222 4444"), "{offered}");
        assert!(!offered.contains("Tandai sudah dikirim"), "{offered}");
        screenshot(&client, "order-seller").await;
        press(&client, "Terima pesanan").await;
        poll_text(&client, "Tersimpan. Diterima.").await;
        // 10 in stock, 3 reserved by accepting.
        let page = body(&client).await;
        let words = page.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains("Stok 7 bungkus"), "{page}");
        press(&client, "Tandai sudah dikirim").await;
        poll_text(&client, "Tersimpan. Dikirim.").await;
        press(&client, "Tandai selesai").await;
        poll_text(&client, "Tersimpan. Selesai.").await;
        screenshot(&client, "order-completed").await;

        // Blitar's fee page: the month's figures and the balance chart.
        client
            .goto(&format!("{b}/operator/biaya"))
            .await
            .expect("fees");
        poll_text(&client, "Saldo sekarang").await;
        let fees = body(&client).await;
        for text in [
            "Rp 45.000",
            "Rp 1.350",
            "Rp 43.650 — mereka berutang ke kita",
            "Saran saja — tidak ada yang dibayar atau dicatat.",
            "Unduh CSV",
        ] {
            assert!(fees.contains(text), "{text} missing: {fees}");
        }
        let bars = client
            .execute(
                "return [...document.querySelectorAll('.bar-pos')].map(e => e.getBoundingClientRect().width);",
                vec![],
            )
            .await
            .expect("script");
        let widths: Vec<f64> = bars
            .as_array()
            .expect("widths")
            .iter()
            .filter_map(|v| v.as_f64())
            .collect();
        assert_eq!(widths.len(), 1, "one bar: {widths:?}");
        assert!(widths[0] > 100.0, "the bar is drawn: {widths:?}");
        screenshot(&client, "fees").await;

        // Malang sees the order completed and what it owes, then opens the
        // settlement form from the chart.
        log_in(&client, m, "sandi-malang-2025").await;
        reload_until(
            &client,
            &format!("{m}/operator/biaya"),
            "Rp 43.650 — kita berutang",
        )
        .await;
        screenshot(&client, "fees-buyer").await;
        click(&client, Locator::LinkText("Catat pembayaran")).await;
        poll_text(&client, "Catat pembayaran yang kita lakukan").await;
        let amount = client
            .find(Locator::Css("#amount"))
            .await
            .expect("amount")
            .prop("value")
            .await
            .expect("value");
        assert_eq!(amount.as_deref(), Some("43.650"));
        screenshot(&client, "settlements").await;
        client
            .goto(&format!("{m}/operator/pesanan/{order}"))
            .await
            .expect("order");
        poll_text(&client, "Selesai").await;
        client.close().await.expect("close");
    });
}

/// The buyer's half of issue 13: a buyer on a phone orders another center's
/// product from the public page, keeps the private status page, and watches it
/// follow the order once the operator has turned the request into an order and
/// the seller has accepted it.
#[test]
fn a_buyer_orders_from_the_page_and_follows_the_order_on_the_status_page() {
    let (pair, _blitar) = malang_and_blitar_selling(
        &[],
        ["Keripik Tempe Bu Lastri", "12.500", "20", "Bu Lastri"],
    );
    let MalangAndBlitar {
        malang_server,
        blitar_server,
        blitar_id,
        listing,
        ..
    } = pair;
    let driver = driver();
    run(async {
        let client = browser(&driver).await;
        let (m, b) = (malang_server.url.as_str(), blitar_server.url.as_str());
        client.set_window_size(360, 800).await.expect("phone size");

        // The buyer searches Malang's market and finds Blitar's product.
        reload_until(
            &client,
            &format!("{m}/cari?q=keripik+tempe+blitar"),
            "Keripik Tempe Bu Lastri",
        )
        .await;
        click(&client, Locator::LinkText("Keripik Tempe Bu Lastri")).await;
        poll_text(&client, "Nomor WhatsApp").await;
        let product_url = client.current_url().await.expect("url");
        assert_eq!(product_url.path(), format!("/produk/{blitar_id}/{listing}"));
        let width = client
            .execute("return document.documentElement.scrollWidth;", vec![])
            .await
            .expect("script")
            .as_f64()
            .expect("a width");
        assert!(width <= 360.0, "the page fits a 360 px phone: {width}");

        // A first try with mistakes: the form comes back with the values kept.
        type_into(&client, "#pesan-nama", "Ibu Ratna").await;
        type_into(&client, "#pesan-wa", "abc").await;
        type_into(&client, "#pesan-jumlah", "3").await;
        click(&client, Locator::Css("#pesan-kirim")).await;
        poll_text(&client, "Nomor WhatsApp tidak dikenali").await;
        let kept = client
            .find(Locator::Css("#pesan-nama"))
            .await
            .expect("name field")
            .prop("value")
            .await
            .expect("value");
        assert_eq!(kept.as_deref(), Some("Ibu Ratna"));
        screenshot(&client, "buyer-form-errors").await;

        type_into(&client, "#pesan-wa", "0812 3333 5555").await;
        type_into(&client, "#pesan-catatan", "Saya ambil hari Sabtu pagi").await;
        click(&client, Locator::Css("#pesan-ambil")).await;
        click(&client, Locator::Css("#pesan-kirim")).await;
        poll_text(&client, "Menunggu petugas menghubungi Anda").await;
        let status_url = client.current_url().await.expect("status url").to_string();
        assert!(status_url.contains("/pesanan/"), "{status_url}");
        assert!(status_url.contains("token="), "{status_url}");
        let status = body(&client).await;
        assert!(status.contains("Keripik Tempe Bu Lastri"), "{status}");
        assert!(status.contains("Rp 37.500"), "{status}");
        screenshot(&client, "buyer-status-new").await;

        // Without its token the code alone shows nothing.
        let bare = status_url.split('?').next().expect("path").to_owned();
        client.goto(&bare).await.expect("open without token");
        poll_text(&client, "Pesanan tidak ditemukan").await;
        assert!(!body(&client).await.contains("Ibu Ratna"));

        // Malang's operator sees the request and turns it into an order to Blitar.
        client.set_window_size(1280, 900).await.expect("desk size");
        log_in(&client, m, "sandi-malang-2025").await;
        client
            .goto(&format!("{m}/operator/permintaan-pembeli"))
            .await
            .expect("requests");
        poll_text(&client, "Ibu Ratna").await;
        screenshot(&client, "operator-requests").await;
        click(&client, Locator::Css("td a.code")).await;
        poll_text(&client, "Jadikan pesanan").await;
        let whatsapp = client
            .find(Locator::Css("#hubungi-pembeli"))
            .await
            .expect("WhatsApp link")
            .attr("href")
            .await
            .expect("href")
            .expect("a link");
        assert!(
            whatsapp.starts_with("https://wa.me/6281233335555"),
            "{whatsapp}"
        );
        click(&client, Locator::Css("#jadikan-pesanan")).await;
        poll_text(&client, "Nomor HP pembeli").await;
        for (field, value) in [
            ("#quantity", "3"),
            ("#buyer_name", "Ibu Ratna"),
            ("#buyer_phone", "+6281233335555"),
        ] {
            let found = client
                .find(Locator::Css(field))
                .await
                .expect("field")
                .prop("value")
                .await
                .expect("value");
            assert_eq!(found.as_deref(), Some(value), "{field}");
        }
        screenshot(&client, "operator-order-from-request").await;
        press(&client, "Kirim pesanan").await;
        poll_text(&client, "Menunggu keputusan").await;
        let order = client
            .current_url()
            .await
            .expect("url")
            .path()
            .strip_prefix("/operator/pesanan/")
            .expect("an order page")
            .to_owned();

        // The buyer's page now says the seller has been asked.
        client.set_window_size(360, 800).await.expect("phone size");
        reload_until(&client, &status_url, "menunggu jawaban penjual").await;

        // Blitar's operator accepts.
        client.set_window_size(1280, 900).await.expect("desk size");
        log_in(&client, b, "sandi-blitar-2025").await;
        reload_until(
            &client,
            &format!("{b}/operator/pesanan/{order}"),
            "Terima pesanan",
        )
        .await;
        press(&client, "Terima pesanan").await;
        poll_text(&client, "Tersimpan. Diterima.").await;

        // The buyer sees it on the private page at Malang.
        client.set_window_size(360, 800).await.expect("phone size");
        reload_until(&client, &status_url, "Diterima penjual").await;
        screenshot(&client, "buyer-status-accepted").await;
        client.close().await.expect("close");
    });
}

/// Asserts that the page needs no sideways scrolling on a 360-px phone.
async fn fits_phone(client: &Client, what: &str) {
    client.set_window_size(360, 800).await.expect("phone size");
    let width = client
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .expect("script")
        .as_f64()
        .expect("a width");
    client.set_window_size(1280, 900).await.expect("desk size");
    assert!(
        width <= 360.0,
        "{what} is {width} px wide on a 360-px phone"
    );
}

/// The value of the form field `css`.
async fn value_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no field {css}: {e}"))
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

/// Issue 14: an operator who never opens a terminal sets the fee terms and the
/// node address, copies the center card, and another operator peers with that
/// center from the card alone, sees it by name, and changes the password.
#[test]
fn an_operator_sets_fees_shares_the_card_peers_from_it_and_changes_the_password() {
    let (malang, malang_server) = sample_node();
    let blitar = Folder::new();
    blitar.init_as("Telecenter Kab Blitar", "Kabupaten Blitar");
    set_password(&malang, "sandi-malang-2025");
    set_password(&blitar, "sandi-blitar-2025");
    let blitar_server = blitar.serve(&[]);
    let driver = driver();
    run(async {
        let client = browser(&driver).await;
        let (m, b) = (malang_server.url.as_str(), blitar_server.url.as_str());

        // Malang's operator sets the fee terms and where the node is reached.
        log_in(&client, m, "sandi-malang-2025").await;
        client
            .goto(&format!("{m}/operator/profil"))
            .await
            .expect("profile");
        poll_text(&client, "Simpan").await;
        type_into(&client, "#fee", "2,5").await;
        type_into(&client, "#fee-min", "1.000").await;
        type_into(&client, "#alamat", m).await;
        screenshot(&client, "profile-fees").await;
        fits_phone(&client, "the profile page").await;
        click(&client, Locator::Css("#simpan-profil")).await;
        poll_text(&client, "Tersimpan.").await;
        assert_eq!(value_of(&client, "#fee").await, "2,5");
        assert_eq!(value_of(&client, "#fee-min").await, "1.000");
        let info = malang.json(&["info"]);
        assert_eq!(info["referral_fee_bp"], 250, "{info}");
        assert_eq!(info["referral_fee_min_idr"], 1_000, "{info}");
        let malang_id = info["center_id"].as_str().expect("an id").to_owned();

        // The center card: the full id, the card text, a QR code, a copy button.
        client
            .goto(&format!("{m}/operator/kartu"))
            .await
            .expect("card");
        poll_text(&client, "TELECENTER-KARTU v1").await;
        let card = value_of(&client, "#kartu-teks").await;
        assert!(card.contains(&format!("id: {malang_id}")), "{card}");
        assert!(card.contains(&format!("alamat: {m}")), "{card}");
        assert!(
            client
                .find(Locator::Css("#kartu-qr svg, svg#kartu-qr"))
                .await
                .is_ok()
        );
        click(&client, Locator::Css("#salin-kartu")).await;
        poll_text(&client, "Tersalin").await;
        screenshot(&client, "center-card").await;
        fits_phone(&client, "the card page").await;

        // Blitar's operator pastes the card, checks who it is, and connects.
        log_in(&client, b, "sandi-blitar-2025").await;
        client
            .goto(&format!("{b}/operator/jaringan"))
            .await
            .expect("network");
        poll_text(&client, "kartu").await;
        type_into(&client, "#tempel-kartu", &card).await;
        click(&client, Locator::Css("#sambungkan")).await;
        poll_text(&client, "Telecenter Kota Malang").await;
        assert!(client.find(Locator::Css("#konfirmasi-kartu")).await.is_ok());
        screenshot(&client, "network-card-confirm").await;
        click(&client, Locator::Css("#setuju-kartu")).await;
        poll_text(&client, "dipercaya langsung").await;
        let trusted = text_of(&client, "#dipercaya").await;
        assert!(trusted.contains("Telecenter Kota Malang"), "{trusted}");
        // By name; the id only inside its folded details.
        assert!(!trusted.contains(&malang_id[..12]), "{trusted}");
        screenshot(&client, "network-peered").await;
        fits_phone(&client, "the network page").await;

        // And changes the password on the pages.
        client
            .goto(&format!("{b}/operator/sandi"))
            .await
            .expect("password page");
        poll_text(&client, "Kata sandi sekarang").await;
        type_into(&client, "#sandi-lama", "sandi-blitar-2025").await;
        type_into(&client, "#sandi-baru", "sandi-baru-blitar-26").await;
        type_into(&client, "#sandi-ulang", "sandi-baru-blitar-26").await;
        click(&client, Locator::Css("#ganti-sandi")).await;
        client
            .wait()
            .for_element(Locator::Css("#sandi-tersimpan"))
            .await
            .expect("the change is confirmed");
        assert!(!body(&client).await.contains("sandi-baru-blitar-26"));
        screenshot(&client, "password-changed").await;
        fits_phone(&client, "the password page").await;
        // This session stays; after logging out only the new password opens the pages.
        press(&client, "Keluar").await;
        poll_text(&client, "Masuk petugas").await;
        log_in(&client, b, "sandi-baru-blitar-26").await;
        client.close().await.expect("close");
    });
}
