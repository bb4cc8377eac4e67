//! Operator recovery through the real binary: `telecenter backup` while the node
//! serves and writes, `telecenter restore` into a new folder (and the refusals
//! that change nothing), and `telecenter doctor` on a healthy node, on a
//! serving node, and on each problem it names.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::support::{Folder, Server, Station, binary, http, listing_add_args, poll, quick_check};

const DEADLINE: Duration = Duration::from_secs(60);
const PASS: &str = "kunci cadangan malang";

/// Runs `telecenter --data DATA args...` with `LANG=lang`, the backup
/// passphrase in the environment when given, and no standard input.
fn run(data: &Path, lang: &str, passphrase: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(binary());
    command
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("TELECENTER_DATA")
        .env_remove("TELECENTER_BACKUP_PASSPHRASE")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", lang)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(passphrase) = passphrase {
        command.env("TELECENTER_BACKUP_PASSPHRASE", passphrase);
    }
    command.output().expect("run telecenter")
}

/// Runs a command that must succeed; returns its standard output.
#[track_caller]
fn ok(data: &Path, passphrase: Option<&str>, args: &[&str]) -> String {
    let out = run(data, "C", passphrase, args);
    assert!(
        out.status.success(),
        "telecenter {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Runs a command that must fail with one line; returns that line.
#[track_caller]
fn fails(data: &Path, lang: &str, passphrase: Option<&str>, args: &[&str]) -> String {
    let out = run(data, lang, passphrase, args);
    assert!(!out.status.success(), "telecenter {args:?} should fail");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    stderr.trim().to_owned()
}

/// Every file of a folder with its bytes (nothing-changed checks).
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let e = e.expect("entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    all.sort();
    all
}

/// Ids of every listing of a data folder's own catalog, page by page.
fn own_listing_ids(data: &Path) -> Vec<String> {
    let mut ids = Vec::new();
    loop {
        let offset = ids.len().to_string();
        let out = ok(
            data,
            None,
            &[
                "--json", "listing", "list", "--all", "--limit", "100", "--offset", &offset,
            ],
        );
        let view: Value = serde_json::from_str(&out).expect("json");
        let page = view["items"].as_array().expect("items");
        ids.extend(
            page.iter()
                .map(|l| l["id"].as_str().expect("id").to_owned()),
        );
        if page.len() < 100 {
            break;
        }
    }
    ids.sort();
    ids
}

/// How many listings a data folder's own catalog has.
fn own_listing_count(data: &Path) -> u64 {
    let out = ok(
        data,
        None,
        &["--json", "listing", "list", "--all", "--limit", "1"],
    );
    let view: Value = serde_json::from_str(&out).expect("json");
    view["total"].as_u64().expect("total")
}

/// A folder with a center and a backup of it; returns both (the backup in the
/// folder's parent).
fn center_with_backup() -> (Folder, std::path::PathBuf) {
    let folder = Folder::new();
    folder.init();
    folder.add_listing("Keripik Tempe Sanan", "15.000", "makanan");
    let file = folder.data.with_file_name("cadangan.tcbackup");
    ok(
        &folder.data,
        Some(PASS),
        &["backup", file.to_str().expect("path")],
    );
    (folder, file)
}

#[test]
fn backup_while_serving_and_restore_gives_the_same_catalog_orders_and_ledger() {
    // Malang sells to Ponorogo; the order completes, so both book fees.
    let mut malang = Station::new("Telecenter Kota Malang", "Kota Malang");
    malang
        .folder
        .ok(&["profile", "--fee", "3", "--fee-min", "1.000"]);
    let listing = malang
        .folder
        .add_listing("Keripik Pisang Agung", "15.000", "makanan");
    let mut ponorogo = Station::new("Telecenter Ponorogo", "Kabupaten Ponorogo");
    for i in 0..5 {
        ponorogo
            .folder
            .add_listing(&format!("Jamu Kunyit Asam {i}"), "8.000", "jamu-kesehatan");
    }
    malang.start();
    ponorogo.start();
    malang.folder.ok(&["peer", "add", &ponorogo.url()]);
    ponorogo.folder.ok(&["peer", "add", &malang.url()]);
    let url = format!("{}/api/v1/listings/{}/{listing}", ponorogo.url(), malang.id);
    poll(DEADLINE, || {
        let (status, _) = http("GET", &url, None, None).ok()?;
        (status == 200).then_some(())
    })
    .expect("Malang's listing reaches Ponorogo");
    let order = ponorogo.folder.place_order(&malang.id, &listing, "2");
    malang
        .folder
        .wait_order("Malang", &order, "placed", DEADLINE);
    malang.folder.ok(&["order", "accept", &order]);
    ponorogo
        .folder
        .wait_order("Ponorogo", &order, "accepted", DEADLINE);
    malang.folder.ok(&["order", "ship", &order]);
    ponorogo
        .folder
        .wait_order("Ponorogo", &order, "shipped", DEADLINE);
    ponorogo.folder.ok(&["order", "complete", &order]);
    let completed = ponorogo
        .folder
        .wait_order("Ponorogo", &order, "completed", DEADLINE);
    let balances = ponorogo.json(&["fees", "balances"]);

    // Writes go on through the serving node while the backup is made.
    let before = own_listing_ids(&ponorogo.folder.data);
    let file = ponorogo.folder.data.with_file_name("cadangan.tcbackup");
    let stop = AtomicBool::new(false);
    let written = std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut written = 0;
            while !stop.load(Ordering::Relaxed) {
                let title = format!("Rengginang Lorjuk {written}");
                ponorogo
                    .folder
                    .ok(&listing_add_args(&title, "12.000", "5", "makanan"));
                written += 1;
            }
            written
        });
        // Let the writer get going, so the backup really runs beside writes.
        poll(DEADLINE, || {
            (own_listing_count(&ponorogo.folder.data) > before.len() as u64).then_some(())
        })
        .expect("the writer writes");
        let out = run(
            &ponorogo.folder.data,
            "C",
            Some(PASS),
            &["backup", file.to_str().expect("path")],
        );
        stop.store(true, Ordering::Relaxed);
        assert!(
            out.status.success(),
            "backup while serving: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        writer.join().expect("writer")
    });
    assert!(written > 0);
    // The backup is one private file, and no temporary file is left.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("backup")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let parent = file.parent().expect("parent");
    let partial = std::fs::read_dir(parent)
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .count();
    assert_eq!(partial, 0);

    // Restore into a new folder: every listing acknowledged before the backup
    // began is there, and so are the order and the ledger.
    let restored = Folder::new();
    let out = ok(
        &restored.data,
        Some(PASS),
        &["restore", file.to_str().expect("path")],
    );
    assert!(out.contains(&ponorogo.id), "{out}");
    assert_eq!(quick_check(&restored.data), "ok");
    let after = own_listing_ids(&restored.data);
    for id in &before {
        assert!(
            after.contains(id),
            "listing {id} acknowledged before the backup is lost"
        );
    }
    let restored_order: Value = serde_json::from_str(&ok(
        &restored.data,
        None,
        &["--json", "order", "show", &order],
    ))
    .expect("json");
    assert_eq!(restored_order["status"], "completed");
    assert_eq!(restored_order["events"], completed["events"]);
    let restored_balances: Value =
        serde_json::from_str(&ok(&restored.data, None, &["--json", "fees", "balances"]))
            .expect("json");
    assert_eq!(restored_balances["balances"], balances["balances"]);
    assert_ne!(
        std::fs::read_to_string(restored.data.join("admin.token")).expect("token"),
        std::fs::read_to_string(ponorogo.folder.data.join("admin.token")).expect("token"),
        "a restore makes a new admin token"
    );

    // The restored node serves the same catalog.
    drop(ponorogo);
    let server = restored.serve(&[]);
    let (status, info) =
        http("GET", &format!("{}/api/v1/info", server.url), None, None).expect("info");
    assert_eq!(status, 200);
    assert_eq!(info["name"], "Telecenter Ponorogo", "{info}");
}

#[test]
fn restore_refuses_a_folder_that_holds_a_node() {
    let (folder, file) = center_with_backup();
    let other = Folder::new();
    other.init_as("Telecenter Sumenep", "Kabupaten Sumenep");
    let before = contents(&other.data);
    let line = fails(
        &other.data,
        "C",
        Some(PASS),
        &["restore", file.to_str().expect("path")],
    );
    assert!(line.contains("already holds a node"), "{line}");
    assert!(line.contains("nothing was changed"), "{line}");
    assert_eq!(contents(&other.data), before);
    let line = fails(
        &folder.data,
        "id_ID.UTF-8",
        Some(PASS),
        &["restore", file.to_str().expect("path")],
    );
    assert!(line.contains("sudah berisi node"), "{line}");
}

#[test]
fn restore_with_a_wrong_passphrase_writes_nothing() {
    let (_folder, file) = center_with_backup();
    let target = Folder::new();
    let line = fails(
        &target.data,
        "C",
        Some("bukan kata sandinya"),
        &["restore", file.to_str().expect("path")],
    );
    assert!(line.contains("wrong backup passphrase"), "{line}");
    assert!(!target.data.exists(), "nothing is written");
    // An empty folder stays empty.
    std::fs::create_dir(&target.data).expect("mkdir");
    let line = fails(
        &target.data,
        "id_ID.UTF-8",
        Some("bukan kata sandinya"),
        &["restore", file.to_str().expect("path")],
    );
    assert!(line.contains("kata sandi cadangan salah"), "{line}");
    assert!(contents(&target.data).is_empty());
}

#[test]
fn backup_refuses_to_overwrite() {
    let (folder, file) = center_with_backup();
    let before = std::fs::read(&file).expect("backup");
    let line = fails(
        &folder.data,
        "C",
        Some(PASS),
        &["backup", file.to_str().expect("path")],
    );
    assert!(line.contains("already exists"), "{line}");
    assert_eq!(std::fs::read(&file).expect("backup"), before);
    let other = file.with_file_name("catatan.txt");
    std::fs::write(&other, "jangan ditimpa").expect("write");
    fails(
        &folder.data,
        "C",
        Some(PASS),
        &["backup", other.to_str().expect("path")],
    );
    assert_eq!(
        std::fs::read_to_string(&other).expect("read"),
        "jangan ditimpa"
    );
}

#[test]
fn a_tampered_backup_key_is_refused() {
    let (_folder, file) = center_with_backup();
    let conn = rusqlite::Connection::open(&file).expect("open backup");
    let mut key: Vec<u8> = conn
        .query_row("SELECT key_ciphertext FROM backup_meta", [], |row| {
            row.get(0)
        })
        .expect("key");
    key[7] ^= 0x01;
    conn.execute("UPDATE backup_meta SET key_ciphertext = ?1", [key])
        .expect("tamper");
    drop(conn);
    let target = Folder::new();
    let line = fails(
        &target.data,
        "C",
        Some(PASS),
        &["restore", file.to_str().expect("path")],
    );
    assert!(line.contains("altered"), "{line}");
    assert!(!target.data.exists(), "nothing is written");
}

/// The doctor's checks as (name, status), and its exit status.
fn doctor(data: &Path) -> (bool, Vec<(String, String)>, Value) {
    let out = run(data, "C", None, &["--json", "doctor"]);
    let view: Value = serde_json::from_slice(&out.stdout).expect("doctor json");
    let checks = view["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().expect("name").to_owned(),
                c["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect();
    (out.status.success(), checks, view)
}

/// The doctor's text in `lang`: exit status and standard output.
fn doctor_says(data: &Path, lang: &str) -> (Option<i32>, String) {
    let out = run(data, lang, None, &["doctor"]);
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("utf-8"),
    )
}

#[test]
fn doctor_reports_ok_on_a_healthy_node_and_names_each_problem() {
    let folder = Folder::new();
    folder.init();
    for i in 0..30 {
        folder.add_listing(&format!("Batik Tulis Sumenep {i}"), "250.000", "fesyen");
    }
    let (code, text) = doctor_says(&folder.data, "C");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("All is well."), "{text}");
    let (success, checks, view) = doctor(&folder.data);
    assert!(success, "{view}");
    for name in [
        "database",
        "identity",
        "permissions",
        "disk",
        "outbox",
        "peers",
        "clock",
    ] {
        assert!(
            checks.contains(&(name.to_owned(), "ok".to_owned())),
            "{name}: {view}"
        );
    }
    let db_before = std::fs::read(folder.data.join("telecenter.db")).expect("db");

    // A file others can read.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let config = folder.data.join("config.toml");
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let (code, text) = doctor_says(&folder.data, "C");
        assert_eq!(code, Some(1), "{text}");
        assert!(
            text.contains("readable by other users: config.toml (644)"),
            "{text}"
        );
        assert!(text.contains("What to do: run: chmod 700"), "{text}");
        let (code, text) = doctor_says(&folder.data, "id_ID.UTF-8");
        assert_eq!(code, Some(1), "{text}");
        assert!(
            text.contains("bisa dibaca pengguna lain: config.toml (644)"),
            "{text}"
        );
        assert!(
            text.contains("Yang perlu dilakukan: jalankan: chmod 700"),
            "{text}"
        );
        let (_, checks, _) = doctor(&folder.data);
        assert!(checks.contains(&("permissions".to_owned(), "warn".to_owned())));
        // The doctor changed nothing: the mode is still what it found.
        let mode = std::fs::metadata(&config)
            .expect("config")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    assert_eq!(
        std::fs::read(folder.data.join("telecenter.db")).expect("db"),
        db_before,
        "the doctor does not write the database"
    );

    // An order message stuck in the outbox for two days.
    let db = folder.data.join("telecenter.db");
    let conn = rusqlite::Connection::open(&db).expect("db");
    let two_days_ago: i64 = conn
        .query_row(
            "SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) - 2 * 86400000",
            [],
            |row| row.get(0),
        )
        .expect("time");
    conn.execute(
        "INSERT INTO outbox (counterpart, hash, message, created_at_ms) VALUES ('tc1blitar', 'h', '{}', ?1)",
        [two_days_ago],
    )
    .expect("stuck outbox row");
    drop(conn);
    let (code, text) = doctor_says(&folder.data, "C");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("1 messages waiting; the oldest, for tc1blitar"),
        "{text}"
    );
    assert!(
        text.contains("check the connection to that center"),
        "{text}"
    );
    let (_, text) = doctor_says(&folder.data, "id_ID.UTF-8");
    assert!(
        text.contains("1 kabar menunggu; yang tertua untuk tc1blitar"),
        "{text}"
    );
    assert!(text.contains("periksa sambungan ke pusat itu"), "{text}");
    let conn = rusqlite::Connection::open(&db).expect("db");
    conn.execute("DELETE FROM outbox", []).expect("clear");
    drop(conn);
    assert!(doctor(&folder.data).0, "healthy again");

    // A copy of the folder whose database has damaged pages.
    let copy = Folder::new();
    std::fs::create_dir(&copy.data).expect("mkdir");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&copy.data, std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
    }
    for name in [
        "identity.key",
        "config.toml",
        "admin.token",
        "telecenter.db",
    ] {
        std::fs::copy(folder.data.join(name), copy.data.join(name)).expect("copy");
    }
    let mut bytes = std::fs::read(copy.data.join("telecenter.db")).expect("db");
    let page = 4096;
    let start = (bytes.len() / 2) / page * page;
    for byte in &mut bytes[start..] {
        *byte = 0x5a;
    }
    std::fs::write(copy.data.join("telecenter.db"), &bytes).expect("damage");
    let (code, text) = doctor_says(&copy.data, "C");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("PROBLEM   Database: damaged"), "{text}");
    assert!(
        text.contains("restore the last backup into a new folder"),
        "{text}"
    );
    let (_, text) = doctor_says(&copy.data, "id_ID.UTF-8");
    assert!(text.contains("MASALAH   Basis data: rusak"), "{text}");
    assert!(text.contains("pulihkan cadangan terakhir"), "{text}");
    let (success, checks, _) = doctor(&copy.data);
    assert!(!success);
    assert!(checks.contains(&("database".to_owned(), "fail".to_owned())));
}

#[test]
fn doctor_works_while_the_node_serves() {
    let folder = Folder::new();
    folder.init();
    let server = folder.serve(&[]);
    folder.add_listing("Kopi Dampit", "45.000", "minuman");
    let (success, checks, view) = doctor(&folder.data);
    assert!(success, "{view}");
    assert!(checks.iter().all(|(_, status)| status == "ok"), "{view}");
    for check in view["checks"].as_array().expect("checks") {
        assert!(check["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(check["advice"].is_null(), "{check}");
    }
    // The node still serves and writes: the doctor took no lock.
    folder.add_listing("Kopi Dampit Robusta", "50.000", "minuman");
    let (status, _) =
        http("GET", &format!("{}/api/v1/info", server.url), None, None).expect("info");
    assert_eq!(status, 200);
}

/// Every listing the node at `server` serves, by (center, id): (title,
/// price, stock, status), read from the listings API page by page.
fn served_listings(server: &Server) -> BTreeMap<(String, String), (String, i64, i64, String)> {
    let mut all = BTreeMap::new();
    loop {
        let url = format!(
            "{}/api/v1/listings?limit=100&offset={}",
            server.url,
            all.len()
        );
        let (status, page) = http("GET", &url, None, None).expect("listings");
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().expect("items");
        for item in items {
            let text = |key: &str| item[key].as_str().expect(key).to_owned();
            let number = |key: &str| item[key].as_i64().expect(key);
            all.insert(
                (text("center_id"), text("id")),
                (
                    text("title"),
                    number("price_idr"),
                    number("stock"),
                    text("status"),
                ),
            );
        }
        if items.len() < 100 {
            return all;
        }
    }
}

/// Waits until the listings `server` serves satisfy `check`; panics naming
/// `what` with the last answer if they never do.
fn wait_listings(
    server: &Server,
    what: &str,
    check: impl Fn(&BTreeMap<(String, String), (String, i64, i64, String)>) -> bool,
) {
    poll(DEADLINE, || check(&served_listings(server)).then_some(())).unwrap_or_else(|| {
        panic!(
            "timed out waiting for {what}: {:?}",
            served_listings(server)
        )
    });
}

/// The price `center`'s listing `id` has in `listings`, if it is there.
fn price(
    listings: &BTreeMap<(String, String), (String, i64, i64, String)>,
    center: &str,
    id: &str,
) -> Option<i64> {
    listings
        .get(&(center.to_owned(), id.to_owned()))
        .map(|l| l.1)
}

#[test]
fn a_node_restored_from_an_old_backup_and_edited_again_converges_with_its_peers() {
    // Malang (A) and Blitar (B) peer and sync.
    let a = Folder::new();
    let a_id = a.init_as("Telecenter Kota Malang", "Kota Malang");
    let b = Folder::new();
    b.init_as("Telecenter Kab Blitar", "Kabupaten Blitar");
    let a_server = a.serve(&[]);
    let b_server = b.serve(&[]);
    a.ok(&["peer", "add", &b_server.url]);
    b.ok(&["peer", "add", &a_server.url]);

    // A adds L1 and L2; once B holds them, A is backed up.
    let l1 = a.add_listing("Keripik Tempe Sanan", "15.000", "makanan");
    let l2 = a.add_listing("Kopi Robusta Dampit", "35.000", "minuman");
    wait_listings(&b_server, "L1 and L2 at B", |at_b| {
        price(at_b, &a_id, &l1) == Some(15_000) && price(at_b, &a_id, &l2) == Some(35_000)
    });
    let file = a.data.with_file_name("lama.tcbackup");
    ok(
        &a.data,
        Some(PASS),
        &["backup", file.to_str().expect("path")],
    );

    // After the backup, A adds L3 and changes L1's price; B takes both.
    let l3 = a.add_listing("Apel Batu Manalagi", "20.000", "pertanian");
    a.ok(&["listing", "update", &l1, "--price", "17.500"]);
    wait_listings(&b_server, "L3 and L1's new price at B", |at_b| {
        price(at_b, &a_id, &l3) == Some(20_000) && price(at_b, &a_id, &l1) == Some(17_500)
    });

    // A's PC dies. The old backup is restored into a new folder: same center.
    let listen = a_server.url.trim_start_matches("http://").to_owned();
    drop(a_server);
    let a2 = Folder::new();
    let out = ok(
        &a2.data,
        Some(PASS),
        &["restore", file.to_str().expect("path")],
    );
    assert!(out.contains(&a_id), "{out}");
    let restored = own_listing_ids(&a2.data);
    assert_eq!(
        restored,
        sorted([&l1, &l2]),
        "the backup holds L1 and L2 only"
    );

    // Before syncing anything, A2 adds L4: the fork an old backup invites.
    let l4 = a2.add_listing("Batik Tulis Malangan", "250.000", "fesyen");

    // A2 serves where B looks for A (the restored folder keeps A's peers).
    let a2_server = a2.serve_on(&listen);
    wait_listings(&b_server, "L4 at B", |at_b| {
        price(at_b, &a_id, &l4) == Some(250_000)
    });
    wait_listings(&a2_server, "L3 and L1's new price back at A2", |at_a2| {
        price(at_a2, &a_id, &l3) == Some(20_000) && price(at_a2, &a_id, &l1) == Some(17_500)
    });
    let converged = poll(DEADLINE, || {
        let (at_a2, at_b) = (served_listings(&a2_server), served_listings(&b_server));
        (at_a2 == at_b).then_some(at_b)
    })
    .unwrap_or_else(|| {
        panic!(
            "A2 and B never served the same listings: A2 {:?}, B {:?}",
            served_listings(&a2_server),
            served_listings(&b_server)
        )
    });
    let ids: Vec<&String> = converged.keys().map(|(_, id)| id).collect();
    assert_eq!(ids.len(), 4, "{converged:?}");
    for id in [&l1, &l2, &l3, &l4] {
        assert!(
            converged.contains_key(&(a_id.clone(), id.clone())),
            "{id}: {converged:?}"
        );
    }
    assert_eq!(price(&converged, &a_id, &l1), Some(17_500));
    assert_eq!(price(&converged, &a_id, &l2), Some(35_000));
    assert_eq!(own_listing_ids(&a2.data), sorted([&l1, &l2, &l3, &l4]));

    // The restored node is healthy.
    let (code, text) = doctor_says(&a2.data, "C");
    println!("telecenter doctor on the restored node:\n{text}");
    assert_eq!(code, Some(0), "{text}");
    let (success, checks, view) = doctor(&a2.data);
    assert!(success, "{view}");
    assert!(checks.iter().all(|(_, status)| status == "ok"), "{view}");
}

/// These ids, owned and sorted.
fn sorted<const N: usize>(ids: [&String; N]) -> Vec<String> {
    let mut ids: Vec<String> = ids.into_iter().cloned().collect();
    ids.sort();
    ids
}
