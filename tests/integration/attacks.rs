//! Hostile clients and hostile peers against the real binary over real HTTP:
//! every route of the router fed bodies nested 100 000 levels deep, 64 MiB
//! declared or streamed, invalid UTF-8 and multiparts of 10 000 parts; peers
//! that never answer, trickle, or answer garbage; a relay that drops all mail
//! for one center.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::crash_loop::repair_every_second;
use crate::support::{Folder, Server, admin_token, get};

/// Every route of the router as (methods, path); placeholders are filled by
/// [`fill`]. Paths named by a constant in the sources are keyed by that name
/// in [`CONSTANT_ROUTES`].
const ROUTES: &[(&[&str], &str)] = &[
    // node/src/http.rs
    (&["GET"], "/api/v1/info"),
    (&["GET"], "/api/v1/listings"),
    (&["GET"], "/api/v1/listings/{center}/{id}"),
    (&["GET"], "/api/v1/images/{hash}"),
    (&["POST"], "/api/v1/admin/images"),
    (&["GET", "POST"], "/api/v1/admin/listings"),
    (&["GET", "PATCH", "DELETE"], "/api/v1/admin/listings/{id}"),
    (&["GET", "PATCH"], "/api/v1/admin/profile"),
    (&["GET", "POST"], "/api/v1/admin/peers"),
    (&["DELETE"], "/api/v1/admin/peers/{center}"),
    (&["GET"], "/api/v1/admin/trust"),
    (&["GET"], "/api/v1/admin/catalogs"),
    (&["POST"], "/api/v1/admin/trust/{center}"),
    (&["POST"], "/api/v1/admin/block/{center}"),
    (&["POST"], "/api/v1/admin/unblock/{center}"),
    (&["POST"], "/api/v1/admin/sync"),
    (&["GET", "POST"], "/api/v1/admin/orders"),
    (&["POST"], "/api/v1/admin/orders/deliver"),
    (&["GET"], "/api/v1/admin/orders/{id}"),
    (&["POST"], "/api/v1/admin/orders/{id}/{action}"),
    (&["GET"], "/api/v1/admin/requests"),
    (&["GET"], "/api/v1/admin/requests/{code}"),
    (&["POST"], "/api/v1/admin/requests/{code}/order"),
    (&["POST"], "/api/v1/admin/requests/{code}/sell"),
    (&["POST"], "/api/v1/admin/requests/{code}/decline"),
    (&["GET"], "/api/v1/admin/fees/report"),
    (&["GET"], "/api/v1/admin/fees/balances"),
    (&["GET"], "/api/v1/admin/fees/statement"),
    (&["GET", "POST"], "/api/v1/admin/fees/settlements"),
    (&["POST"], "/api/v1/admin/fees/settlements/{id}/{answer}"),
    (&["POST"], "/api/v1/admin/fees/corrections"),
    (&["POST"], "/api/v1/admin/fees/netting"),
    (&["GET", "POST"], "/api/v1/admin/producers"),
    (&["GET", "PATCH"], "/api/v1/admin/producers/{id}"),
    (&["POST"], "/api/v1/admin/producers/{id}/listings"),
    (
        &["DELETE"],
        "/api/v1/admin/producers/{id}/listings/{listing}",
    ),
    (&["POST"], "/api/v1/admin/producers/{id}/payouts"),
    (&["GET"], "/api/v1/admin/producers/{id}/statement"),
    (&["GET"], "/api/v1/admin/sales"),
    (&["POST"], "/api/v1/sync/summary"),
    (&["POST"], "/api/v1/sync/fetch"),
    (&["POST"], "/api/v1/sync/push"),
    (&["POST"], "/api/v1/mail/exchange"),
    // node/src/web.rs
    (&["GET"], "/"),
    (&["GET"], "/cari"),
    (&["GET"], "/produk/{center}/{id}"),
    (&["POST"], "/produk/{center}/{id}/pesan"),
    (&["GET"], "/pesanan/{code}"),
    (&["GET"], "/pusat/{center}"),
    (&["GET"], "/produsen/{center}/{key}"),
    (&["GET"], "/cara-pesan"),
    (&["GET"], "/sitemap.xml"),
    (&["GET"], "/robots.txt"),
    (&["GET"], "/bagikan.js"),
    (&["GET"], "/operator"),
    (&["GET", "POST"], "/operator/masuk"),
    (&["POST"], "/operator/keluar"),
    (&["GET", "POST"], "/operator/produk/baru"),
    (&["GET", "POST"], "/operator/produk/impor"),
    (&["POST"], "/operator/produk/impor/simpan"),
    (&["GET"], "/operator/produk/ekspor.csv"),
    (&["GET"], "/operator/produk/ekspor.xlsx"),
    (&["GET", "POST"], "/operator/produk/{id}"),
    (&["GET"], "/foto/{hash}"),
    (&["POST"], "/operator/produk/{id}/hapus"),
    (&["GET", "POST"], "/operator/profil"),
    (&["GET"], "/operator/jaringan"),
    (&["GET"], "/operator/kartu"),
    (&["GET"], "/salin.js"),
    (&["GET", "POST"], "/operator/sandi"),
    (&["POST"], "/operator/jaringan/peer"),
    (&["POST"], "/operator/jaringan/kepercayaan"),
    (&["POST"], "/operator/jaringan/sinkron"),
    (&["GET"], "/operator/pesanan"),
    (&["GET"], "/operator/permintaan-pembeli"),
    (&["GET"], "/operator/permintaan-pembeli/{code}"),
    (&["POST"], "/operator/permintaan-pembeli/{code}/jual"),
    (&["POST"], "/operator/permintaan-pembeli/{code}/tolak"),
    (&["POST"], "/operator/pesanan/kirim"),
    (&["GET", "POST"], "/operator/pesanan/{id}"),
    (&["GET", "POST"], "/operator/pesan"),
    (&["GET"], "/operator/biaya"),
    (&["GET"], "/operator/biaya.csv"),
    (&["GET"], "/operator/biaya.xlsx"),
    (&["GET", "POST"], "/operator/produsen"),
    (&["GET", "POST"], "/operator/produsen/{id}"),
    (&["POST"], "/operator/produsen/{id}/produk"),
    (&["POST"], "/operator/produsen/{id}/bayar"),
    (&["GET"], "/operator/produsen/{id}/laporan.csv"),
    (&["GET"], "/operator/produsen/{id}/laporan.xlsx"),
    (&["GET"], "/operator/penjualan"),
    (&["GET"], "/operator/penjualan.csv"),
    (&["GET"], "/operator/penjualan.xlsx"),
    (&["GET"], "/operator/permintaan"),
    (&["GET"], "/operator/permintaan.csv"),
    (&["GET", "POST"], "/operator/biaya/setoran"),
    (&["POST"], "/operator/biaya/setoran/{id}"),
    (&["GET"], "/operator/biaya/pusat/{center}"),
    (&["GET"], "/operator/biaya/pusat/{center}/{file}"),
];

/// Routes whose path the sources name by a constant: (constant, path).
const CONSTANT_ROUTES: &[(&str, &str)] = &[
    ("share::whatsapp::SCRIPT_PATH", "/bagikan.js"),
    ("operator::card::SCRIPT_PATH", "/salin.js"),
    ("crate::node::MAIL_PATH", "/api/v1/mail/exchange"),
];

/// Routes that read no body: they act on their path alone (any answer but a
/// 5xx is right; their path is made invalid so that they change nothing).
const NO_BODY: &[&str] = &[
    "/api/v1/admin/trust/{center}",
    "/api/v1/admin/block/{center}",
    "/api/v1/admin/unblock/{center}",
    "/api/v1/admin/sync",
    "/api/v1/admin/orders/deliver",
];

/// The first argument of every `.route(` in the router's sources.
fn routes_in_sources() -> Vec<String> {
    let node = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../node/src");
    let mut found = Vec::new();
    for file in ["http.rs", "web.rs"] {
        let text = std::fs::read_to_string(node.join(file)).expect("router source");
        for piece in text.split(".route(").skip(1) {
            let arg = piece.trim_start();
            let end = arg.find([',', ')']).expect("route argument");
            found.push(arg[..end].trim().trim_matches('"').to_owned());
        }
    }
    found
}

#[test]
fn the_route_list_of_the_attack_tests_names_every_route() {
    let listed: Vec<&str> = ROUTES.iter().map(|(_, path)| *path).collect();
    for route in routes_in_sources() {
        let path = CONSTANT_ROUTES
            .iter()
            .find(|(name, _)| *name == route)
            .map_or(route.as_str(), |(_, path)| path);
        assert!(
            listed.contains(&path),
            "route {route} is not in the attack tests' ROUTES: add it"
        );
    }
    // The constants still hold the paths listed for them.
    let served = |path: &str| {
        let node = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../node/src");
        [
            "web/share/whatsapp.rs",
            "web/operator/card.rs",
            "node/mail.rs",
        ]
        .iter()
        .filter_map(|f| std::fs::read_to_string(node.join(f)).ok())
        .any(|text| text.contains(&format!("\"{path}\"")))
    };
    for (name, path) in CONSTANT_ROUTES {
        assert!(served(path), "{name} no longer is {path}");
    }
}

/// Real-looking values for the placeholders of a path: ids of the right shape
/// that name nothing here, so handlers get as far as reading the body and
/// change nothing.
fn fill(path: &str, center: &str) -> String {
    path.replace("{center}", center)
        .replace("{id}", "k3v9q2m7xa")
        .replace("{listing}", "k3v9q2m7xa")
        .replace("{hash}", &"0".repeat(64))
        .replace("{action}", "accept")
        .replace("{answer}", "confirm")
        .replace("{code}", "ABCD-2345")
        .replace("{key}", "k3v9q2m7xa")
        .replace("{file}", "laporan.csv")
}

/// An answer read off the wire: status, content type and body.
struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

/// Sends `head` then `body` over a fresh connection and reads the answer
/// (the server may answer before the body is all sent, and close).
fn raw(url: &str, head: &str, body: &[u8]) -> Answer {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    stream
        .set_write_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    stream.write_all(head.as_bytes()).expect("head");
    // The server may refuse before reading it all: a failed write is fine.
    let _ = stream.write_all(body);
    read_answer(&mut stream)
}

/// What stands for an answer that never came: status 0 and the reason.
fn no_answer(reason: &str) -> Answer {
    Answer {
        status: 0,
        content_type: String::new(),
        body: reason.as_bytes().to_vec(),
    }
}

/// Reads one HTTP/1.1 answer (with a Content-Length or chunked body, or until close).
fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut buf) {
            Ok(n) if n > 0 => bytes.extend_from_slice(&buf[..n]),
            Ok(_) => return no_answer("the connection closed without an answer"),
            Err(e) => return no_answer(&format!("no answer: {e}")),
        }
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_lowercase();
    let status = head[9..12].parse().expect("status");
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(|v| v.trim().to_owned())
    };
    let content_type = header("content-type").unwrap_or_default();
    let mut body = bytes[head_end..].to_vec();
    if let Some(length) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        while body.len() < length {
            let n = stream.read(&mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            body.extend_from_slice(&buf[..n]);
        }
    } else if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        while !body.ends_with(b"0\r\n\r\n") {
            let n = stream.read(&mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            body.extend_from_slice(&buf[..n]);
        }
        body = dechunk(&body);
    }
    Answer {
        status,
        content_type,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&raw[..line_end])
                .split(';')
                .next()
                .unwrap_or("0")
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        out.extend_from_slice(&raw[start..(start + size).min(raw.len())]);
        raw = &raw[(start + size + 2).min(raw.len())..];
    }
    out
}

/// Streams `total` bytes of `[` chunked (no length) and reads the answer.
fn chunked(url: &str, head: &str, total: usize) -> Answer {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    stream
        .set_write_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    stream.write_all(head.as_bytes()).expect("head");
    let chunk = vec![b'['; 1 << 20];
    let mut sent = 0;
    while sent < total {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if stream.write_all(&frame).is_err() {
            break;
        }
        sent += chunk.len();
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    read_answer(&mut stream)
}

/// Resident memory of a process in kB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// Logs in as the operator; returns the session cookie (`name=value`).
fn log_in(folder: &Folder, server: &Server) -> String {
    let out = folder.run_in("C", &["password"], Some("kata-sandi-rahasia\n"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body = "password=kata-sandi-rahasia";
    let answer = raw(
        &server.url,
        &format!(
            "POST /operator/masuk HTTP/1.1\r\nHost: node\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ),
        body.as_bytes(),
    );
    assert_eq!(
        answer.status,
        303,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    // The cookie header was lowercased with the head; read it again raw.
    let addr = server.url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .write_all(
            format!(
                "POST /operator/masuk HTTP/1.1\r\nHost: node\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .expect("login");
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    text.lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        })
        .and_then(|(_, v)| v.trim().split(';').next().map(str::to_owned))
        .expect("session cookie")
}

/// A multipart body of `parts` small text fields.
fn multipart(parts: usize) -> (String, Vec<u8>) {
    let boundary = "telecenterbatas";
    let mut body = Vec::new();
    for i in 0..parts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nx\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn deeply_nested_and_oversized_bodies_on_every_route_get_a_clear_error() {
    let started = Instant::now();
    let folder = Folder::new();
    folder.init();
    folder.add_listing("Keripik Tempe Sanan", "15.000", "makanan");
    let stranger = Folder::new();
    let unknown_center = stranger.init_as("Telecenter Entah", "Entah");
    let mut server = folder.serve(&[]);
    let token = admin_token(&folder.data);
    let cookie = log_in(&folder, &server);
    let catalogs = || get(&server.url, "/api/v1/admin/catalogs", Some(&token)).1;
    let mut before_catalogs = catalogs();
    let pid = server.child.id();
    let rss_before = rss_kb(pid);

    let nested = vec![b'['; 100_000];
    let invalid_utf8: &[u8] = b"{\"title\": \"\xff\xfe\xc3\x28\"}";
    let (multipart_type, many_parts) = multipart(10_000);
    let mut findings = Vec::new();
    let mut sent = 0;
    for (methods, template) in ROUTES {
        let no_body = NO_BODY.contains(template);
        let path = fill(
            template,
            if no_body {
                "bukan-pusat"
            } else {
                &unknown_center
            },
        );
        for method in *methods {
            let reads_body = matches!(*method, "POST" | "PATCH") && !no_body;
            let form_route = !path.starts_with("/api/") && *method == "POST";
            let auth = if path.starts_with("/api/v1/admin/") {
                format!("Authorization: Bearer {token}\r\n")
            } else if path.starts_with("/operator") {
                format!("Cookie: {cookie}\r\n")
            } else {
                String::new()
            };
            let head = |content_type: &str, length: &str| {
                format!(
                    "{method} {path} HTTP/1.1\r\nHost: node\r\n{auth}Content-Type: {content_type}\r\n{length}Connection: close\r\n\r\n"
                )
            };
            let timed = |what: &'static str, send: &dyn Fn() -> Answer| {
                let start = Instant::now();
                let answer = send();
                (what, answer, start.elapsed())
            };
            let mut attempts: Vec<(&str, Answer, Duration)> = Vec::new();
            attempts.push(timed("JSON nested 100 000 deep", &|| {
                raw(
                    &server.url,
                    &head(
                        "application/json",
                        &format!("Content-Length: {}\r\n", nested.len()),
                    ),
                    &nested,
                )
            }));
            attempts.push(timed("64 MiB declared", &|| {
                raw(
                    &server.url,
                    &head("application/json", "Content-Length: 67108864\r\n"),
                    b"",
                )
            }));
            if reads_body {
                attempts.push(timed("64 MiB chunked", &|| {
                    chunked(
                        &server.url,
                        &head("application/json", "Transfer-Encoding: chunked\r\n"),
                        64 << 20,
                    )
                }));
            }
            let utf8_type = if form_route {
                "application/x-www-form-urlencoded"
            } else {
                "application/json"
            };
            attempts.push(timed("invalid UTF-8", &|| {
                raw(
                    &server.url,
                    &head(
                        utf8_type,
                        &format!("Content-Length: {}\r\n", invalid_utf8.len()),
                    ),
                    invalid_utf8,
                )
            }));
            if form_route {
                attempts.push(timed("multipart of 10 000 parts", &|| {
                    raw(
                        &server.url,
                        &head(
                            &multipart_type,
                            &format!("Content-Length: {}\r\n", many_parts.len()),
                        ),
                        &many_parts,
                    )
                }));
            }
            for (what, answer, took) in attempts {
                if took > Duration::from_secs(2) {
                    eprintln!("{method} {template} with {what}: {took:?}");
                }
                sent += 1;
                let text = String::from_utf8_lossy(&answer.body);
                let short: String = text.chars().take(200).collect();
                let allowed = [400, 401, 403, 404, 405, 413, 415, 422];
                let ok_status = if answer.status == 0 {
                    false
                } else if *template == "/operator/keluar" {
                    // Logging out ends at the login page, whatever the form held.
                    answer.status == 303 || allowed.contains(&answer.status)
                } else if reads_body {
                    allowed.contains(&answer.status)
                } else {
                    // A GET or DELETE does not read a body: any answer but a 5xx.
                    answer.status < 500
                };
                // A photo address answers a photo or an empty 404.
                let clear = if answer.status < 400 || template.starts_with("/foto/") {
                    true
                } else if path.starts_with("/api/") {
                    serde_json::from_slice::<Value>(&answer.body).is_ok_and(|v| {
                        v["error"]["code"].is_string() && v["error"]["message"].is_string()
                    })
                } else {
                    answer.content_type.starts_with("text/html") && text.contains("<html")
                };
                if !ok_status || !clear {
                    findings.push(format!(
                        "{method} {template} with {what}: {} {} {short:?}",
                        answer.status, answer.content_type
                    ));
                }
            }
            let (status, _) = get(&server.url, "/api/v1/info", None);
            assert_eq!(status, 200, "the node went down after {method} {template}");
            if catalogs() != before_catalogs {
                findings.push(format!("{method} {template} changed the catalog"));
                before_catalogs = catalogs();
            }
        }
    }
    let rss_after = rss_kb(pid);
    assert!(
        server.child.try_wait().expect("wait").is_none(),
        "the node died"
    );
    eprintln!(
        "attacks: {sent} hostile requests in {:.1} s; VmRSS {rss_before} kB before, {rss_after} kB after",
        started.elapsed().as_secs_f64()
    );
    assert!(
        findings.is_empty(),
        "{} findings:\n{}",
        findings.len(),
        findings.join("\n")
    );
    assert!(
        rss_after < rss_before + 200 * 1024,
        "memory grew from {rss_before} kB to {rss_after} kB"
    );
}

/// How a hostile "peer" misbehaves once it has been added.
#[derive(Clone, Copy, Debug)]
enum Hostile {
    /// Accepts and never answers.
    Silent,
    /// Answers one byte a second.
    Trickle,
    /// Answers 200 with bytes that are not JSON.
    Garbage,
    /// Answers 200 with a 100 MB body.
    Huge,
    /// Answers 200 with JSON of the wrong shape.
    WrongJson,
}

/// A raw TCP listener posing as a peer: it answers `GET /api/v1/info` like a
/// node (so it can be added), then misbehaves on everything else. Returns
/// its URL; it runs until the test process ends.
fn hostile_peer(mode: Hostile, info: Value) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let info = info.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 65_536 {
                    match stream.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                if head.starts_with("GET /api/v1/info ") {
                    let body = info.to_string();
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    return;
                }
                let ok =
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n";
                match mode {
                    Hostile::Silent => std::thread::sleep(Duration::from_secs(600)),
                    Hostile::Trickle => {
                        for byte in format!("{ok}Content-Length: 100000\r\n\r\n{{")
                            .bytes()
                            .cycle()
                            .take(600)
                        {
                            if stream.write_all(&[byte]).is_err() {
                                return;
                            }
                            std::thread::sleep(Duration::from_secs(1));
                        }
                    }
                    Hostile::Garbage => {
                        let _ = write!(
                            stream,
                            "{ok}Content-Length: 18\r\n\r\n\u{1}\u{2}not json at all!!"
                        );
                    }
                    Hostile::Huge => {
                        let _ = write!(stream, "{ok}Content-Length: 100000000\r\n\r\n");
                        let chunk = vec![b' '; 1 << 16];
                        for _ in 0..(100_000_000 / chunk.len()) {
                            if stream.write_all(&chunk).is_err() {
                                return;
                            }
                        }
                    }
                    Hostile::WrongJson => {
                        let body = r#"{"center_id": 5, "changes": {"no": []}, "mail": "x"}"#;
                        let _ = write!(stream, "{ok}Content-Length: {}\r\n\r\n{body}", body.len());
                    }
                }
            });
        }
    });
    url
}

#[test]
fn a_peer_that_answers_slowly_never_or_with_garbage_does_not_stall_sync() {
    let (node, good) = (Folder::new(), Folder::new());
    node.init_as("Telecenter Kota Malang", "Kota Malang");
    good.init_as("Telecenter Kab Blitar", "Kabupaten Blitar");
    for folder in [&node, &good] {
        repair_every_second(&folder.data);
    }
    let (sn, sg) = (node.serve(&[]), good.serve(&[]));
    let (_, info) = get(&sg.url, "/api/v1/info", None);
    let modes = [
        Hostile::Silent,
        Hostile::Trickle,
        Hostile::Garbage,
        Hostile::Huge,
        Hostile::WrongJson,
    ];
    let mut hostile = Vec::new();
    for (i, mode) in modes.iter().enumerate() {
        let identity = telecenter_protocol::Identity::from_secret_bytes(&[i as u8 + 40; 32]);
        let mut info = info.clone();
        let name = format!("Pusat Jahat {mode:?}");
        info["center_id"] = Value::String(identity.center_id().to_string());
        info["name"] = Value::String(name.clone());
        let url = hostile_peer(*mode, info);
        node.ok(&["peer", "add", &url]);
        hostile.push((name, identity.center_id().to_string()));
    }
    node.ok(&["peer", "add", &sg.url]);
    good.ok(&["peer", "add", &sn.url]);

    let started = Instant::now();
    let prompt = Duration::from_secs(45);
    let responsive = |what: &str| {
        let asked = Instant::now();
        let (status, _) = get(&sn.url, "/api/v1/info", None);
        assert_eq!(status, 200);
        assert!(
            asked.elapsed() < Duration::from_secs(2),
            "info took {:?} {what}",
            asked.elapsed()
        );
    };
    let has = |server: &Server, q: &str| {
        let (_, page) = get(&server.url, &format!("/api/v1/listings?q={q}"), None);
        page["total"].as_u64().unwrap_or(0) > 0
    };
    node.add_listing("Keripik Tempe Sanan", "15.000", "makanan");
    crate::support::poll(prompt, || {
        responsive("while syncing");
        has(&sg, "tempe").then_some(())
    })
    .expect("the node's edit reached the good peer");
    good.add_listing("Wajik Kletik Blitar", "20.000", "makanan");
    crate::support::poll(prompt, || {
        responsive("while syncing");
        has(&sn, "wajik").then_some(())
    })
    .expect("the good peer's edit reached the node");
    let flowed = started.elapsed();

    // Every hostile peer ends up with its error on record, on one line.
    let peers = crate::support::poll(Duration::from_secs(120), || {
        responsive("while the hostile peers time out");
        let peers = node.json(&["peer", "list"]);
        hostile
            .iter()
            .all(|(_, id)| {
                peers
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["center_id"] == id.as_str() && p["last_error"].is_string())
            })
            .then_some(peers)
    })
    .unwrap_or_else(|| {
        panic!(
            "not every hostile peer has an error: {}",
            node.json(&["peer", "list"])
        )
    });
    for peer in peers.as_array().expect("peers") {
        if let Some(error) = peer["last_error"].as_str() {
            assert!(!error.contains('\n'), "{error:?}");
            assert!(error.len() < 500, "{error:?}");
        }
    }
    let listed = node.ok(&["peer", "list"]);
    for (name, id) in &hostile {
        let block: Vec<&str> = listed
            .lines()
            .skip_while(|l| !l.starts_with(id.as_str()))
            .take_while(|l| l.starts_with(id.as_str()) || l.starts_with(' '))
            .collect();
        assert!(
            block.first().is_some_and(|l| l.contains(name.as_str())),
            "{listed}"
        );
        let errors: Vec<&&str> = block
            .iter()
            .filter(|l| l.trim_start().starts_with("last error:"))
            .collect();
        assert_eq!(errors.len(), 1, "{name}: {block:?}");
        eprintln!("{name}: {}", errors[0].trim());
    }
    eprintln!(
        "hostile peers: edits flowed both ways in {:.1} s, all errors recorded after {:.1} s",
        flowed.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

/// Rows of `station`'s mail table for `recipient`: (kind, handed_to).
fn mail_for(station: &crate::support::Station, recipient: &str) -> Vec<(String, Option<String>)> {
    let conn = rusqlite::Connection::open_with_flags(
        station.folder.data.join("telecenter.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open db");
    let mut stmt = conn
        .prepare("SELECT kind, handed_to FROM mail WHERE recipient = ?1")
        .expect("query");
    stmt.query_map([recipient], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("mail rows")
}

#[test]
fn a_relay_that_drops_everything_for_one_center_is_routed_around() {
    use crate::support::{Station, listing_add_args, poll};
    let deadline = Duration::from_secs(60);
    let mut hubs = [
        Station::new("Hub Kota Kediri", "Kota Kediri"),
        Station::new("Hub Kabupaten Kediri", "Kabupaten Kediri"),
    ];
    let mut buyer = Station::new("Telecenter Pare", "Kabupaten Kediri");
    let mut seller = Station::new("Telecenter Kandangan", "Kabupaten Kediri");
    let listing = seller
        .folder
        .ok(&listing_add_args(
            "Keripik Pare",
            "15.000",
            "100",
            "makanan",
        ))
        .trim()
        .to_owned();
    for node in hubs.iter_mut().chain([&mut buyer, &mut seller]) {
        node.start();
    }
    // Neither center has an address: both reach the world through both hubs.
    for hub in &hubs {
        for (center, name) in [
            (&buyer, "Telecenter Pare"),
            (&seller, "Telecenter Kandangan"),
        ] {
            hub.folder
                .ok(&["peer", "add", "--center", &center.id, "--name", name]);
            center.folder.ok(&["peer", "add", &hub.url()]);
        }
    }
    // The first hub turns hostile to the seller: it refuses the seller's
    // connections, so whatever it holds for the seller never gets there.
    hubs[0].folder.ok(&["block", &seller.id]);
    let path = format!("{}/api/v1/listings/{}/{listing}", buyer.url(), seller.id);
    poll(deadline, || {
        matches!(http_status(&path), Some(200)).then_some(())
    })
    .expect("the seller's listing reaches the buyer through the second hub");

    // The seller is away when the order is placed: the mail waits at a hub.
    seller.kill();
    let order = buyer.folder.place_order(&seller.id, &listing, "1");
    poll(deadline, || {
        hubs.iter()
            .any(|hub| !mail_for(hub, &seller.id).is_empty())
            .then_some(())
    })
    .expect("a hub took the order's mail");
    // A hub's receipt is not the seller's answer: the outbox still holds it.
    let view = buyer.json(&["order", "show", &order]);
    assert_eq!(view["pending"], "place", "{view}");

    seller.start();
    let started = Instant::now();
    let at_seller = seller
        .folder
        .wait_order("the seller", &order, "placed", deadline);
    let at_buyer = buyer
        .folder
        .wait_order("the buyer", &order, "placed", deadline);
    eprintln!(
        "routed around the hostile hub in {:.1} s; last out via {}",
        started.elapsed().as_secs_f64(),
        at_buyer["delivery"]["last_out"]["via_name"]
    );
    assert_eq!(
        crate::support::history(&at_seller),
        crate::support::history(&at_buyer)
    );
    // The seller answers; the answer comes back the same way.
    seller.folder.ok(&["order", "accept", &order]);
    buyer
        .folder
        .wait_order("the buyer", &order, "accepted", deadline);
    eprintln!(
        "mail for the seller at the hostile hub: {:?}; at the other: {:?}",
        mail_for(&hubs[0], &seller.id),
        mail_for(&hubs[1], &seller.id)
    );
    // The hostile hub handed nothing to the seller.
    assert!(
        mail_for(&hubs[0], &seller.id)
            .iter()
            .all(|(_, handed)| handed.as_deref() != Some(seller.id.as_str())),
        "{:?}",
        mail_for(&hubs[0], &seller.id)
    );
}

/// The status of a GET of `url`, if it answers.
fn http_status(url: &str) -> Option<u16> {
    crate::support::http("GET", url, None, None)
        .ok()
        .map(|(s, _)| s)
}

#[test]
fn a_body_declared_far_larger_than_any_route_takes_is_refused_at_once_not_awaited() {
    let folder = Folder::new();
    folder.init();
    let server = folder.serve(&[]);
    let token = admin_token(&folder.data);
    let cookie = log_in(&folder, &server);
    for (path, auth) in [
        (
            "/api/v1/admin/listings",
            format!("Authorization: Bearer {token}\r\n"),
        ),
        ("/operator/produk/baru", format!("Cookie: {cookie}\r\n")),
    ] {
        let asked = Instant::now();
        // The head alone: a handler that waited for the body would never answer.
        let answer = raw(
            &server.url,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: node\r\n{auth}Content-Type: application/json\r\nContent-Length: 67108864\r\nConnection: close\r\n\r\n"
            ),
            b"",
        );
        assert_eq!(
            answer.status,
            413,
            "{path}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        assert!(
            asked.elapsed() < Duration::from_secs(5),
            "{path}: {:?}",
            asked.elapsed()
        );
        if path.starts_with("/api/") {
            let error: Value = serde_json::from_slice(&answer.body).expect("JSON error");
            assert_eq!(error["error"]["code"], "body_too_large", "{error}");
        } else {
            assert!(
                answer.content_type.starts_with("text/html"),
                "{}",
                answer.content_type
            );
        }
    }
}

#[test]
fn axum_rejections_answer_json_under_api_and_a_page_elsewhere() {
    let folder = Folder::new();
    folder.init();
    let server = folder.serve(&[]);
    let token = admin_token(&folder.data);
    let cookie = log_in(&folder, &server);
    // A step's optional reason that is not the expected JSON (axum's own
    // `Json` rejection used to reach the client as plain text).
    let body = br#"{"title": 1}"#;
    let answer = raw(
        &server.url,
        &format!(
            "POST /api/v1/admin/orders/q3k9v2m7xa4d/cancel HTTP/1.1\r\nHost: node\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ),
        body,
    );
    assert_eq!(
        answer.status,
        422,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let error: Value = serde_json::from_slice(&answer.body).expect("JSON error");
    assert_eq!(error["error"]["code"], "invalid_input", "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("title")),
        "{error}"
    );
    // A form page sent JSON: a page that says so in one line, not plain text.
    let answer = raw(
        &server.url,
        &format!(
            "POST /operator/profil HTTP/1.1\r\nHost: node\r\nCookie: {cookie}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ),
        body,
    );
    assert_eq!(answer.status, 415);
    assert!(
        answer.content_type.starts_with("text/html"),
        "{}",
        answer.content_type
    );
    let page = String::from_utf8_lossy(&answer.body);
    assert!(page.contains("tidak dapat dibaca"), "{page}");
}
