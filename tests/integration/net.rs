//! Outgoing connections with the real binary. Published addresses carry no path.
//! Peers over HTTPS: a node served behind a TLS proxy (a
//! TLS-terminating proxy in front of `telecenter serve`, as the operator guide
//! recommends; its certificate is signed by a private CA made with rcgen) is
//! added and synced when that CA is trusted (`TELECENTER_CA_FILE` or `ca_file`
//! in `config.toml`), and refused with a clear error when it is not.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use crate::support::{Folder, binary};

/// A private CA (PEM) and a TLS server configuration for 127.0.0.1 signed by it.
fn private_ca() -> (String, rustls::ServerConfig) {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Kabupaten test CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("params")
        .signed_by(&key, &issuer)
        .expect("certificate");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .expect("server config");
    (ca_cert.pem(), config)
}

/// Starts a TLS-terminating proxy on 127.0.0.1 in front of `backend`
/// (`http://host:port`); returns its `https://` address. It runs until the
/// test process ends.
fn tls_proxy(config: rustls::ServerConfig, backend: &str) -> String {
    let backend: SocketAddr = backend
        .trim_start_matches("http://")
        .parse()
        .expect("backend address");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("https://{}", listener.local_addr().expect("address"));
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
    });
    url
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

#[test]
fn peer_add_https_works_through_a_tls_proxy_with_the_private_ca() {
    let hub = Folder::new();
    let hub_id = hub.init_as("Telecenter Kabupaten Blitar", "Kab. Blitar");
    hub.add_listing("Keripik pisang", "15000", "makanan");
    let joiner = Folder::new();
    let joiner_id = joiner.init_as("Telecenter Ponorogo", "Ponorogo");
    let hub_server = hub.serve(&[]);
    // The hub answers sync requests of its peers only.
    hub.ok(&[
        "peer",
        "add",
        "--center",
        &joiner_id,
        "--name",
        "Telecenter Ponorogo",
    ]);
    let (ca_pem, config) = private_ca();
    let url = tls_proxy(config, &hub_server.url);
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("kabupaten-ca.pem");
    std::fs::write(&ca, &ca_pem).expect("write CA");

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

    // With the CA named in config.toml (relative to the data folder): syncs.
    std::fs::copy(&ca, joiner.data.join("kabupaten-ca.pem")).expect("copy CA");
    let config = joiner.data.join("config.toml");
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str("ca_file = \"kabupaten-ca.pem\"\n");
    std::fs::write(&config, text).expect("config");
    let out = run_with_ca(&joiner, None, &["--json", "sync"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        reports[0]["received"].as_u64().unwrap_or(0) >= 1,
        "{reports}"
    );
    let search = joiner.ok(&["search", "keripik"]);
    assert!(search.contains("Keripik pisang"), "{search}");
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
