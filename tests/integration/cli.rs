//! The `telecenter` command end to end: init, listings, search, serve, and the
//! same commands against a running node.

use serde_json::Value;

use crate::support::{Folder, admin_token, get, http, listing_add_args};

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect()
}

#[test]
fn init_edit_search_then_serve_shows_the_same() {
    let folder = Folder::new();
    let center = folder.init();
    assert!(center.starts_with("tc1") && center.len() == 61, "{center}");
    let info = folder.json(&["info"]);
    assert_eq!(info["center_id"], center.as_str());
    assert_eq!(info["name"], "Telecenter Kota Malang");
    assert_eq!(info["region"], "Kota Malang");

    let keripik = folder
        .ok(&[
            listing_add_args("Keripik Pisang Agung", "15.000", "40", "makanan"),
            vec![
                "--unit",
                "bungkus 250 g",
                "--producer",
                "UMKM Sumber Rejeki",
                "--description",
                "Renyah dan manis.",
            ],
        ]
        .concat())
        .trim()
        .to_owned();
    let jamu = folder.add_listing("Jamu Kunyit Asam", "10000", "jamu-kesehatan");
    let batik = folder.add_listing("Batik Tulis Malangan", "Rp 450.000", "fesyen");

    folder.ok(&[
        "listing", "update", &keripik, "--price", "17.500", "--stock", "35",
    ]);
    folder.ok(&[
        "listing",
        "update",
        &keripik,
        "--lang",
        "en",
        "--title",
        "Banana chips",
    ]);
    folder.ok(&["listing", "update", &jamu, "--status", "hidden"]);
    folder.ok(&["listing", "remove", &batik]);

    let shown = folder.json(&["listing", "show", &keripik]);
    assert_eq!(shown["price_idr"], 17_500);
    assert_eq!(shown["stock"], 35);
    assert_eq!(shown["titles"]["en"], "Banana chips");

    let found = folder.json(&["search", "kerip"]);
    assert_eq!(ids(&found), vec![keripik.clone()]);
    assert_eq!(found["items"][0]["price_idr"], 17_500);
    assert_eq!(found["items"][0]["center_name"], "Telecenter Kota Malang");
    // A spelling variant and upper case find it too.
    assert_eq!(
        ids(&folder.json(&["search", "KRIPIK"])),
        vec![keripik.clone()]
    );
    // A typing mistake finds the listing, and the correction is offered.
    let typo = folder.json(&["search", "keripk"]);
    assert_eq!(ids(&typo), vec![keripik.clone()]);
    assert_eq!(typo["did_you_mean"], "keripik");
    assert!(
        folder
            .ok(&["search", "keripk"])
            .contains("did you mean: keripik")
    );
    // Hidden and removed listings are not for buyers.
    assert_eq!(folder.json(&["search", "jamu"])["total"], 0);
    assert_eq!(folder.json(&["search", "batik"])["total"], 0);

    let own = folder.json(&["listing", "list"]);
    let mut own_ids = ids(&own);
    own_ids.sort();
    let mut expected = vec![keripik.clone(), jamu.clone()];
    expected.sort();
    assert_eq!(own_ids, expected, "list shows active and hidden");
    assert_eq!(folder.json(&["listing", "list", "--all"])["total"], 3);

    let cli_all = folder.json(&["search"]);
    let server = folder.serve(&[]);
    let (status, api_all) = get(&server.url, "/api/v1/listings", None);
    assert_eq!(status, 200);
    assert_eq!(api_all, cli_all, "the API shows what the CLI showed");
    let (_, typo_api) = get(&server.url, "/api/v1/listings?q=keripk", None);
    assert_eq!(typo_api["did_you_mean"], "keripik");
    assert_eq!(ids(&typo_api), vec![keripik.clone()]);
    let (_, nothing) = get(&server.url, "/api/v1/listings?q=zzzzzz", None);
    assert_eq!(nothing["total"], 0);
    assert!(nothing.get("did_you_mean").is_none());
    let (_, english) = get(&server.url, "/api/v1/listings?q=kerip&lang=en", None);
    assert_eq!(english["items"][0]["title"], "Banana chips");
    let (status, info_api) = get(&server.url, "/api/v1/info", None);
    assert_eq!(status, 200);
    assert_eq!(info_api["center_id"], center.as_str());
    assert_eq!(info_api["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn commands_against_a_running_node_go_through_it_and_lose_nothing() {
    let folder = Folder::new();
    folder.init();
    let before = folder.add_listing("Kopi Robusta Dampit", "35000", "minuman");
    let server = folder.serve(&[]);

    // Every command now goes through the running node and is visible at once.
    let during = folder.add_listing("Keripik Tempe Sanan", "15000", "makanan");
    let (status, page) = get(&server.url, "/api/v1/listings?q=tempe", None);
    assert_eq!(status, 200);
    assert_eq!(ids(&page), vec![during.clone()]);
    folder.ok(&["listing", "update", &before, "--price", "36.000"]);
    let (_, kopi) = get(&server.url, "/api/v1/listings?q=kopi", None);
    assert_eq!(kopi["items"][0]["price_idr"], 36_000);
    assert_eq!(
        folder.json(&["search", "kopi"])["items"][0]["price_idr"],
        36_000
    );
    assert_eq!(folder.json(&["info"])["name"], "Telecenter Kota Malang");
    folder.ok(&["profile", "--contact", "WA 0812-3456-7890"]);
    let (_, info) = get(&server.url, "/api/v1/info", None);
    assert_eq!(info["contact"], "WA 0812-3456-7890");
    // Issue 13: the WhatsApp number, in any Indonesian form, is kept as +62…;
    // a bad one is refused with one clear line and changes nothing.
    folder.ok(&["profile", "--whatsapp", "0812-3456-7890"]);
    let (_, info) = get(&server.url, "/api/v1/info", None);
    assert_eq!(info["whatsapp"], "+6281234567890");
    let err = folder.fails(&["profile", "--whatsapp", "nomor saya"]);
    assert!(err.contains("phone number"), "{err}");
    let (_, info) = get(&server.url, "/api/v1/info", None);
    assert_eq!(info["whatsapp"], "+6281234567890");

    // Bad input through the running node: one clear line, nothing changed.
    let err = folder.fails(&["listing", "update", &before, "--price", "-5"]);
    assert!(err.contains("rupiah"), "{err}");
    let err = folder.fails(&listing_add_args("", "1", "1", "makanan"));
    assert!(err.contains("title"), "{err}");
    assert_eq!(folder.json(&["listing", "list"])["total"], 2);

    // The admin API needs the token.
    let (status, body) = http(
        "POST",
        &format!("{}/api/v1/admin/listings", server.url),
        Some("wrong"),
        Some(&serde_json::json!({"title": "x", "category": "makanan", "price_idr": 1, "stock": 1})),
    )
    .unwrap();
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthorized");
    let token = admin_token(&folder.data);
    let (status, _) = get(&server.url, "/api/v1/admin/listings", Some(&token));
    assert_eq!(status, 200);

    // Graceful stop on SIGTERM; then the CLI works on the folder directly.
    let pid = server.child.id().to_string();
    let mut server = server;
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let exit = crate::support::poll(std::time::Duration::from_secs(20), || {
        server.child.try_wait().ok().flatten()
    })
    .expect("node stops after SIGTERM");
    assert!(exit.success(), "clean exit after SIGTERM: {exit:?}");
    assert!(!folder.data.join("node.json").exists());
    let after = folder.json(&["listing", "list"]);
    let mut all = ids(&after);
    all.sort();
    let mut expected = vec![before, during];
    expected.sort();
    assert_eq!(all, expected);
}

#[test]
fn bad_input_gets_one_clear_line_and_changes_nothing() {
    let folder = Folder::new();
    let err = folder.fails(&["listing", "list"]);
    assert!(err.contains("telecenter init"), "{err}");
    folder.init();
    let id = folder.add_listing("Madu Kelengkeng", "95000", "pertanian");
    let before = folder.json(&["listing", "list", "--all"]);

    let long_title = "x".repeat(121);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (listing_add_args("A", "abc", "1", "makanan"), "rupiah"),
        (listing_add_args("A", "-5", "1", "makanan"), "rupiah"),
        (
            listing_add_args("A", "99999999999999999999", "1", "makanan"),
            "rupiah",
        ),
        (listing_add_args("A", "1", "-1", "makanan"), "stock"),
        (listing_add_args("A", "1", "abc", "makanan"), "stock"),
        (listing_add_args("A", "1", "1", "senjata"), "category"),
        (listing_add_args(&long_title, "1", "1", "makanan"), "title"),
        (
            [
                listing_add_args("A", "1", "1", "makanan"),
                vec!["--lang", "en"],
            ]
            .concat(),
            "Indonesian",
        ),
        (
            vec!["listing", "add", "--title", "A", "--price", "1"],
            "missing --stock",
        ),
        (
            vec!["listing", "update", "not-an-id", "--price", "1"],
            "listing id",
        ),
        (
            vec!["listing", "update", "zzzzzzzzzz", "--price", "1"],
            "no listing",
        ),
        (vec!["listing", "update", &id], "nothing to change"),
        (vec!["listing", "update", &id, "--status", "sold"], "status"),
        (vec!["search", "--category", "senjata"], "category"),
        (
            vec!["search", "x", "--min-price", "10", "--max-price", "5"],
            "max_price",
        ),
        (vec!["search", "x", "--limit", "100000"], "limit"),
        (vec!["search", "--center", "tc1typo"], "center id"),
        (
            vec!["init", "--name", "Lagi", "--region", "Kota Malang"],
            "already",
        ),
        (vec!["frobnicate"], "unknown command frobnicate"),
    ];
    for (args, expected) in cases {
        let err = folder.fails(&args);
        assert!(err.contains(expected), "telecenter {args:?}: {err}");
    }
    assert_eq!(
        folder.json(&["listing", "list", "--all"]),
        before,
        "nothing changed"
    );
}

#[test]
fn every_command_has_help_with_an_example() {
    let folder = Folder::new();
    assert!(folder.ok(&["--help"]).contains("Examples"));
    // Every command and subcommand the binary lists, found by walking the
    // "Commands:" sections of the help texts.
    let mut pending: Vec<Vec<String>> = vec![Vec::new()];
    let mut checked = 0;
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = folder.ok(&args);
        let subcommands = subcommands_in(&help);
        if !path.is_empty() && subcommands.is_empty() {
            assert!(
                help.contains("Example"),
                "{path:?} --help has no example:\n{help}"
            );
            checked += 1;
        }
        for sub in subcommands {
            let mut next = path.clone();
            next.push(sub);
            pending.push(next);
        }
    }
    // 37 commands in this version; the walk must not silently find fewer.
    assert!(checked >= 37, "only {checked} commands found");
}

/// The subcommand names listed under "Commands:" in a help text (without `help`).
fn subcommands_in(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| line.trim() != "Commands:")
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        // A command's line starts with two spaces; wrapped descriptions with more.
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn serve_sample_starts_a_node_with_the_sample_catalog() {
    let folder = Folder::new();
    let server = folder.serve(&["--sample"]);
    let (status, page) = get(&server.url, "/api/v1/listings?limit=100", None);
    assert_eq!(status, 200);
    assert_eq!(page["total"], 20);
    let (_, found) = get(&server.url, "/api/v1/listings?q=kripik", None);
    assert!(found["total"].as_u64().unwrap() >= 2, "{found}");
    let (status, err) = get(&server.url, "/api/v1/listings?min_price=abc", None);
    assert_eq!(status, 400);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("min_price")
    );
}
