//! The `telecenter` command in the operator's words: Indonesian with a
//! Indonesian locale, English otherwise; arguments named, page words accepted,
//! times in the center's zone, passwords never echoed.

use crate::support::{Folder, listing_add_args};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn cli_speaks_indonesian_with_lang_id() {
    let folder = Folder::new();
    let help = folder.run_in("id_ID.UTF-8", &["--help"], None);
    let help = text(&help.stdout);
    assert!(help.contains("Menjalankan node telecenter"), "{help}");
    assert!(help.contains("Membuat pusat ini"), "{help}");
    let english = text(&folder.run_in("C", &["--help"], None).stdout);
    assert!(english.contains("Run a telecenter node"), "{english}");

    // Errors of a command: one line, in Indonesian.
    let out = folder.run_in("id_ID.UTF-8", &["info"], None);
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(error.starts_with("Gagal: "), "{error}");
    assert_eq!(error.trim_end().lines().count(), 1, "{error}");
    let out = folder.run_in("C", &["info"], None);
    assert!(text(&out.stderr).starts_with("error: "));

    // LC_ALL wins over LANG, as in the C library.
    let out = std::process::Command::new(crate::support::binary())
        .args(["order", "--help"])
        .env("LANG", "C")
        .env("LC_ALL", "id_ID.UTF-8")
        .output()
        .expect("run");
    assert!(
        text(&out.stdout).contains("Daftar pesanan"),
        "{}",
        text(&out.stdout)
    );

    // --json stays the same for programs.
    folder.init();
    let out = folder.run_in("id_ID.UTF-8", &["--json", "info"], None);
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(info["name"], "Telecenter Kota Malang");
}

#[test]
fn password_too_short_says_the_rule_and_does_not_echo() {
    let folder = Folder::new();
    folder.init();
    let out = folder.run_in("id_ID.UTF-8", &["password"], Some("rahasi\n"));
    assert!(!out.status.success());
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("paling sedikit 8 karakter"), "{all}");
    assert!(!all.contains("damaged") && !all.contains("rusak"), "{all}");
    assert!(
        !all.contains("rahasi\n") && !all.contains("rahasi "),
        "echoed: {all}"
    );
    let out = folder.run_in("C", &["password"], Some("rahasi\n"));
    let error = text(&out.stderr);
    assert!(error.contains("at least 8 characters, typed 6"), "{error}");
    let out = folder.run_in("C", &["password"], Some("kata-sandi-rahasia\n"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("kata-sandi-rahasia"));
}

#[test]
fn missing_argument_is_named() {
    let folder = Folder::new();
    let out = folder.run_in(
        "id_ID.UTF-8",
        &[
            "listing",
            "add",
            "--price",
            "5.000",
            "--stock",
            "3",
            "--category",
            "makanan",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let error = text(&out.stderr);
    assert_eq!(error.trim_end().lines().count(), 1, "{error}");
    assert!(error.contains("--title (judul produk)"), "{error}");
    let error = text(&folder.run_in("C", &["listing", "add"], None).stderr);
    assert!(
        error.starts_with("missing --title (product title)"),
        "{error}"
    );
    assert!(error.contains("--category"), "{error}");
    let error = text(&folder.run_in("id_ID", &["listing", "tambah"], None).stderr);
    assert!(
        error.starts_with("perintah tidak dikenal: tambah"),
        "{error}"
    );
}

#[test]
fn category_any_case_and_page_words() {
    let folder = Folder::new();
    folder.init();
    for (typed, slug) in [
        ("Makanan", "makanan"),
        ("MINUMAN", "minuman"),
        ("Hasil pertanian", "pertanian"),
        ("Jamu & kesehatan", "jamu-kesehatan"),
    ] {
        let id = folder.ok(&listing_add_args("Produk", "5.000", "3", typed));
        let shown = folder.json(&["listing", "show", id.trim()]);
        assert_eq!(shown["category"], slug, "{typed}");
    }
    let id = folder.add_listing("Kopi", "5.000", "makanan");
    folder.ok(&["listing", "update", &id, "--category", "Minuman"]);
    assert_eq!(
        folder.json(&["listing", "show", &id])["category"],
        "minuman"
    );
    let error = folder.fails(&listing_add_args("Produk", "5.000", "3", "Makan"));
    assert!(error.contains("makanan"), "{error}");
    // Search takes the same words.
    let page = folder.json(&["search", "--category", "Minuman"]);
    assert_eq!(page["total"], 2);
}

#[test]
fn pay_at_page_words() {
    let folder = Folder::new();
    let help = text(
        &folder
            .run_in("C", &["order", "place", "--help"], None)
            .stdout,
    );
    assert!(
        help.contains("sini") && help.contains("penjual") && help.contains("tunai"),
        "{help}"
    );
    folder.init();
    // The words are read before anything is sent: a made-up listing shows
    // how far the command got.
    let listing = "tc1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuqcpmgz9/k3v9q2m7xa";
    let place = |at: &str, method: &str| {
        let out = folder.run_in(
            "C",
            &[
                "order",
                "place",
                listing,
                "--qty",
                "1",
                "--buyer-name",
                "Bu Sri",
                "--buyer-phone",
                "0812 3456 7890",
                "--pay-at",
                at,
                "--method",
                method,
            ],
            None,
        );
        text(&out.stderr)
    };
    for at in ["sini", "di sini", "Pusat ini", "penjual", "here", "seller"] {
        for method in ["tunai", "Transfer", "QRIS", "cash"] {
            let error = place(at, method);
            assert!(!error.contains("payment"), "{at} {method}: {error}");
        }
    }
    let error = place("kasir", "tunai");
    assert!(
        error.contains("'sini'") && error.contains("'penjual'"),
        "{error}"
    );
    assert!(!error.contains("buyer-center"), "{error}");
    let error = place("sini", "kartu");
    assert!(error.contains("tunai"), "{error}");
}

#[test]
fn cli_times_in_wib() {
    let folder = Folder::new();
    folder.init();
    let id = folder.add_listing("Kopi", "5.000", "minuman");
    let shown = folder.ok(&["listing", "show", &id]);
    let updated = shown
        .lines()
        .find(|l| l.trim_start().starts_with("updated:"))
        .expect("updated line");
    assert!(updated.trim_end().ends_with(" WIB"), "{updated}");
    assert!(
        !updated.contains('T') && !updated.contains('Z'),
        "{updated}"
    );
    // The same moment, from the JSON's UTC, seven hours later.
    let utc = folder.json(&["listing", "show", &id])["updated_at"]
        .as_str()
        .expect("updated_at")
        .to_owned();
    let hour: u32 = utc[11..13].parse().expect("hour");
    let local_hour = format!("{:02}", (hour + 7) % 24);
    assert!(
        updated.contains(&format!(" {local_hour}:")),
        "{updated} vs {utc}"
    );
}

/// Words that mark an English sentence in a line meant for Indonesian readers.
const ENGLISH_MARKERS: &[&str] = &[
    "must",
    "cannot",
    "not found",
    "invalid",
    "is not",
    "no listing",
    "error:",
    "Example",
    " the ",
    "found ",
];

fn assert_indonesian(what: &str, text: &str) {
    for marker in ENGLISH_MARKERS {
        assert!(
            !text.contains(marker),
            "{what}: English {marker:?} in {text:?}"
        );
    }
}

/// The command paths below `telecenter` (`listing add`, `fees settle pay`, ...),
/// read from the help pages themselves.
fn command_paths(folder: &Folder, path: &[String], out: &mut Vec<Vec<String>>) {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let help = text(&folder.run_in("C", &args, None).stdout);
    let mut in_commands = false;
    for line in help.lines() {
        if line.starts_with("Commands:") {
            in_commands = true;
            continue;
        }
        if !line.starts_with("  ") {
            in_commands = false;
        }
        // A command's line: two spaces, its name, then its summary.
        let Some(name) = line
            .strip_prefix("  ")
            .filter(|_| in_commands)
            .and_then(|l| l.split_whitespace().next())
            .filter(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        else {
            continue;
        };
        if name == "help" || line.starts_with("   ") {
            continue;
        }
        let mut sub = path.to_vec();
        sub.push(name.to_owned());
        out.push(sub.clone());
        command_paths(folder, &sub, out);
    }
}

/// Every command's help and a set of failing invocations (missing and bad
/// arguments, unknown ids, on the database and through a serving node) say
/// what they say in Indonesian with an Indonesian locale.
#[test]
fn cli_errors_are_indonesian_with_lang_id() {
    let folder = Folder::new();
    let mut paths = Vec::new();
    command_paths(&folder, &[], &mut paths);
    assert!(paths.len() > 50, "{paths:?}");
    for path in &paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let id = folder.run_in("id_ID.UTF-8", &args, None);
        assert!(id.status.success(), "{path:?}");
        let id = text(&id.stdout);
        let en = text(&folder.run_in("C", &args, None).stdout);
        let summary = id.lines().next().unwrap_or_default();
        assert_ne!(
            summary,
            en.lines().next().unwrap_or_default(),
            "{path:?} is summarised in English"
        );
        assert_indonesian(&format!("{path:?} summary"), summary);
        // The examples' captions (the commands themselves stay as typed).
        if let Some(at) = id.find("Contoh:") {
            assert_indonesian(&format!("{path:?} examples"), &id[at..]);
        }
        assert!(!id.contains("Example"), "{path:?}: {id}");
    }

    // Failing invocations: one line, in Indonesian.
    let fails = |args: &[&str], expect: &str| {
        let out = folder.run_in("id_ID.UTF-8", args, None);
        assert!(!out.status.success(), "{args:?} succeeded");
        let error = text(&out.stderr);
        assert_eq!(error.trim_end().lines().count(), 1, "{args:?}: {error}");
        assert!(error.contains(expect), "{args:?}: {error}");
        assert_indonesian(&format!("{args:?}"), &error);
    };
    fails(&["info"], "belum disiapkan");
    fails(&["listing", "list"], "telecenter init");
    folder.init();
    let id = folder.add_listing("Kopi Dampit", "25.000", "minuman");
    fails(&["init", "--name", "X", "--region", "Y"], "sudah berisi");
    fails(&["listing", "add"], "belum diisi: --title (judul produk)");
    fails(&["listing", "show"], "belum diisi");
    fails(&["listing", "list", "--limit", "abc"], "--limit");
    fails(&["listing", "show", "abc"], "kode produk tidak sesuai");
    fails(&["listing", "show", "k3v9q2m7xa"], "tidak ada di katalog");
    fails(&["listing", "update", &id], "tidak ada yang diubah");
    fails(
        &listing_add_args("", "1.000", "1", "makanan"),
        "judul produk: wajib diisi",
    );
    fails(
        &listing_add_args("Kopi", "lima ribu", "1", "makanan"),
        "harga: tulis rupiah bulat",
    );
    fails(
        &listing_add_args("Kopi", "1.000", "-1", "makanan"),
        "stok: tidak boleh kurang dari nol",
    );
    // A number over its limit says the limit (issue 14: "terlalu besar" alone).
    fails(
        &listing_add_args("Kopi", "1.000", "12345678901234", "makanan"),
        "stok: terlalu besar (paling banyak 1.000.000)",
    );
    fails(&listing_add_args("Kopi", "1.000", "1", "Makan"), "kategori");
    fails(&["order", "show", "ABCDEFGH"], "kode pesanan tidak sesuai");
    fails(
        &[
            "order",
            "place",
            "x",
            "--qty",
            "1",
            "--buyer-name",
            "Bu Sri",
            "--buyer-phone",
            "0812 3456 7890",
            "--pay-at",
            "sini",
            "--method",
            "tunai",
        ],
        "KODE-PUSAT/KODE",
    );
    fails(&["trust", "tc1salah"], "kode pusat tidak sesuai");
    fails(&["producer", "show", "99"], "produsen nomor 99");
    fails(&["request", "show", "ZZZZ"], "pesanan pembeli ZZZZ");
    fails(&["profile", "--fee", "banyak"], "komisi");
    fails(&["profile", "--whatsapp", "abc"], "nomor WhatsApp");
    fails(&["fees", "report", "--month", "2026-13"], "bulan");
    fails(
        &["listing", "import", "tidak-ada.csv"],
        "berkasnya tidak ada",
    );

    // Through a serving node, the admin API's codes are said the same way.
    let _server = folder.serve(&[]);
    fails(&["listing", "show", "k3v9q2m7xa"], "tidak ada di node ini");
    fails(
        &listing_add_args("", "1.000", "1", "makanan"),
        "judul produk: wajib diisi",
    );
    fails(&["listing", "update", &id], "tidak ada yang diubah");

    // The same in English keeps the node's English message.
    let out = folder.run_in("C", &["listing", "show", "k3v9q2m7xa"], None);
    assert!(text(&out.stderr).starts_with("error: "), "{out:?}");
}

/// `telecenter listing list | head -1`: the reader goes away; the command ends
/// quietly (status 141, as a closed pipe) instead of printing a panic.
#[test]
fn closed_stdout_ends_quietly() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let folder = Folder::new();
    folder.init();
    for n in 0..3 {
        folder.add_listing(&format!("Produk {n}"), "5.000", "makanan");
    }
    let mut child = Command::new(crate::support::binary())
        .arg("--data")
        .arg(&folder.data)
        .args(["listing", "list"])
        .env("LANG", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run");
    // Close the reading end before the command writes.
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read");
    let status = child.wait().expect("wait");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(status.code(), Some(141), "{stderr}");
}
