//! Outgoing connections and HTTPS with the real binary. Published addresses carry
//! no path. Two real nodes talk over real TLS: the hub serves HTTPS itself
//! (`serve --tls-cert --tls-key`, a certificate signed by a private CA made here
//! with rcgen); a center behind NAT that trusts the CA (`TELECENTER_CA_FILE` or
//! `ca_file` in `config.toml`) adds it with `peer add https://…`, syncs, and takes
//! an order through its whole life over HTTPS; without the CA it gets a clear
//! error and nothing is added.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{Folder, Server, binary, poll};

const DEADLINE: Duration = Duration::from_secs(30);

/// A private CA (PEM) and a certificate with its key (PEM) for 127.0.0.1 and
/// `localhost` signed by it.
fn private_ca() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Kabupaten test CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("params")
        .signed_by(&key, &issuer)
        .expect("certificate");
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Runs `telecenter --data DATA args...` with `TELECENTER_CA_FILE` set or unset.
fn run_with_ca(folder: &Folder, ca_file: Option<&Path>, args: &[&str]) -> Output {
    let mut command = Command::new(binary());
    command
        .arg("--data")
        .arg(&folder.data)
        .args(args)
        .env_remove("TELECENTER_DATA")
        .env_remove("TELECENTER_CA_FILE")
        .stdin(Stdio::null());
    if let Some(path) = ca_file {
        command.env("TELECENTER_CA_FILE", path);
    }
    command.output().expect("run telecenter")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Waits until `order` shows `status` with nothing pending at `folder`; each
/// try first runs one pair exchange (a center without an address collects its
/// mail over its own connections, so it asks instead of waiting for its poll).
fn wait_status(folder: &Folder, order: &str, status: &str) -> Value {
    poll(DEADLINE, || {
        folder.run(&["order", "deliver"]);
        let out = folder.run(&["--json", "order", "show", order]);
        let view: Value = serde_json::from_slice(&out.stdout).ok()?;
        (view["status"] == status && view["pending"].is_null()).then_some(view)
    })
    .unwrap_or_else(|| panic!("{order} never became {status}"))
}

#[test]
fn two_nodes_peer_sync_and_complete_an_order_over_https() {
    let hub = Folder::new();
    let hub_id = hub.init_as("Telecenter Kabupaten Blitar", "Kab. Blitar");
    hub.ok(&["profile", "--fee", "3", "--fee-min", "1.000"]);
    let listing = hub.add_listing("Keripik pisang", "15.000", "makanan");
    let joiner = Folder::new();
    let joiner_id = joiner.init_as("Telecenter Ponorogo", "Ponorogo");
    let dir = tempfile::tempdir().expect("temp dir");
    let (ca_pem, cert_pem, key_pem) = private_ca();
    let (ca, cert, key) = (
        dir.path().join("kabupaten-ca.pem"),
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
    );
    std::fs::write(&ca, &ca_pem).expect("write CA");
    std::fs::write(&cert, &cert_pem).expect("write certificate");
    std::fs::write(&key, &key_pem).expect("write key");

    // The hub serves HTTPS itself; its CLI still works (loopback admin listener).
    let port = free_port();
    let url = format!("https://127.0.0.1:{port}");
    let (cert_arg, key_arg) = (cert.display().to_string(), key.display().to_string());
    let _hub_server: Server = hub.serve_on_with(
        &format!("127.0.0.1:{port}"),
        &["--tls-cert", &cert_arg, "--tls-key", &key_arg],
    );
    // The hub answers sync requests of its peers only; the joiner has no address.
    hub.ok(&[
        "peer",
        "add",
        "--center",
        &joiner_id,
        "--name",
        "Telecenter Ponorogo",
    ]);

    // Without the CA: refused, one line, saying why; nothing added.
    let out = run_with_ca(&joiner, None, &["peer", "add", &url]);
    assert!(!out.status.success());
    let error = stderr(&out);
    assert_eq!(error.trim_end().lines().count(), 1, "{error}");
    assert!(error.contains("certificate is not trusted"), "{error}");
    assert!(!joiner.ok(&["peer", "list"]).contains(&hub_id));

    // A CA file that is not a certificate: a one-line error at start.
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate").expect("write");
    let out = run_with_ca(&joiner, Some(&bad), &["peer", "list"]);
    assert!(!out.status.success());
    let error = stderr(&out);
    assert_eq!(error.trim_end().lines().count(), 1, "{error}");
    assert!(
        error.contains("CA file") && error.contains("bad.pem"),
        "{error}"
    );

    // With the CA in the environment: added over https, no plain-http warning.
    let out = run_with_ca(&joiner, Some(&ca), &["peer", "add", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&hub_id));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));

    // With the CA named in config.toml (relative to the data folder), the joiner
    // serves (plain, on loopback) and syncs with the hub over https by itself.
    std::fs::copy(&ca, joiner.data.join("kabupaten-ca.pem")).expect("copy CA");
    let config = joiner.data.join("config.toml");
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str("ca_file = \"kabupaten-ca.pem\"\n");
    std::fs::write(&config, text).expect("config");
    let _joiner_server = joiner.serve(&[]);
    poll(DEADLINE, || {
        joiner
            .ok(&["search", "keripik"])
            .contains("Keripik pisang")
            .then_some(())
    })
    .expect("the hub's listing reaches the joiner over https");

    // An order from the joiner's buyer, through its whole life, over https.
    let order = joiner.place_order(&hub_id, &listing, "3");
    wait_status(&hub, &order, "placed");
    hub.ok(&["order", "accept", &order]);
    hub.ok(&["order", "ship", &order]);
    wait_status(&joiner, &order, "shipped");
    joiner.ok(&["order", "complete", &order]);
    let seller_view = wait_status(&hub, &order, "completed");
    let buyer_view = wait_status(&joiner, &order, "completed");
    assert_eq!(seller_view["fee_idr"], 1_350, "3 % of Rp 45.000");
    assert_eq!(buyer_view["fee_idr"], seller_view["fee_idr"]);
    // Both ledgers agree: the hub owes the fee, the joiner owes the goods.
    let balance = |folder: &Folder, other: &str| -> i64 {
        folder.json(&["fees", "balances"])["balances"]
            .as_array()
            .expect("balances")
            .iter()
            .find(|b| b["center"] == other)
            .map_or(0, |b| b["balance_idr"].as_i64().expect("balance"))
    };
    let at_hub = poll(DEADLINE, || {
        let b = balance(&hub, &joiner_id);
        (b != 0).then_some(b)
    })
    .expect("booked at the hub");
    assert_eq!(at_hub, 45_000 - 1_350);
    assert_eq!(balance(&joiner, &hub_id), -at_hub);
}

#[test]
fn peer_add_plain_http_to_another_machine_warns() {
    let folder = Folder::new();
    folder.init();
    // Not this machine's loopback (nothing answers; the warning comes first).
    let out = folder.run(&["peer", "add", "http://0.0.0.0:9"]);
    let error = stderr(&out);
    assert!(
        error.contains("warning: http://0.0.0.0:9 is plain http://"),
        "{error}"
    );
    // Loopback is this machine: no warning.
    let out = folder.run(&["peer", "add", "http://127.0.0.1:9"]);
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}

#[test]
fn published_address_with_a_path_is_refused_when_set() {
    let folder = Folder::new();
    folder.init();
    let error = folder.fails(&[
        "profile",
        "--address",
        "http://127.0.0.1:18499/internal/admin/containers/prune?force=1#",
    ]);
    assert!(
        error.contains("without user, path, query or fragment"),
        "{error}"
    );
    let after = folder.json(&["profile", "--contact", "WA 0812 3456 7890"]);
    assert!(after["address"].is_null(), "the address changed: {after}");
    let set = folder.json(&["profile", "--address", "https://Pusat.Example.ID:443/"]);
    assert_eq!(set["address"], "https://pusat.example.id", "{set}");
}
