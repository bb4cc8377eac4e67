//! Helpers: run the real binary, start a serving node, poll with deadlines, HTTP.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Path of the real `telecenter` binary built by cargo for these tests.
pub(crate) fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_telecenter"))
}

/// A fresh data folder inside a temporary directory.
pub(crate) struct Folder {
    _tmp: tempfile::TempDir,
    /// The data folder path (not created yet).
    pub(crate) data: PathBuf,
}

impl Folder {
    pub(crate) fn new() -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let data = tmp.path().join("data");
        Self { _tmp: tmp, data }
    }

    /// Runs `telecenter --data DATA args...` in English (`LANG=C`) and
    /// returns its output.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.run_in("C", args, None)
    }

    /// Runs `telecenter --data DATA args...` with `LANG=lang` (and no other
    /// locale variable), `stdin` piped in; returns its output.
    pub(crate) fn run_in(&self, lang: &str, args: &[&str], stdin: Option<&str>) -> Output {
        use std::io::Write;
        let mut child = Command::new(binary())
            .arg("--data")
            .arg(&self.data)
            .args(args)
            .env_remove("TELECENTER_DATA")
            .env("LANG", lang)
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run telecenter");
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
        child.wait_with_output().expect("run telecenter")
    }

    /// Runs a command that must succeed; returns its stdout.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "telecenter {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Runs a command with `--json` that must succeed; returns the parsed JSON.
    pub(crate) fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).expect("JSON output")
    }

    /// Runs a command that must fail; returns its stderr, checked to be one line.
    pub(crate) fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "telecenter {args:?} should fail");
        let stderr = String::from_utf8(out.stderr).expect("utf-8 stderr");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "error should be one line: {stderr:?}"
        );
        stderr
    }

    /// Waits until `order show` here gives `order` as `status` with nothing
    /// pending, then returns that view; panics naming center `who` if not.
    pub(crate) fn wait_order(
        &self,
        who: &str,
        order: &str,
        status: &str,
        deadline: Duration,
    ) -> Value {
        poll(deadline, || {
            let out = self.run(&["--json", "order", "show", order]);
            let view: Value = serde_json::from_slice(&out.stdout).ok()?;
            (view["status"] == status && view["pending"].is_null()).then_some(view)
        })
        .unwrap_or_else(|| {
            panic!(
                "{order} never became {status} at {who}: {}",
                String::from_utf8_lossy(&self.run(&["--json", "order", "show", order]).stdout)
            )
        })
    }

    /// Creates the center Telecenter Kota Malang here; returns its id.
    pub(crate) fn init(&self) -> String {
        self.init_as("Telecenter Kota Malang", "Kota Malang")
    }

    /// Creates a center with this name and region here; returns its id.
    pub(crate) fn init_as(&self, name: &str, region: &str) -> String {
        self.ok(&["init", "--name", name, "--region", region])
            .trim()
            .to_owned()
    }

    /// Adds a listing (stock 10) through the CLI; returns its id.
    pub(crate) fn add_listing(&self, title: &str, price: &str, category: &str) -> String {
        self.ok(&listing_add_args(title, price, "10", category))
            .trim()
            .to_owned()
    }

    /// Places an order for Bu Sri (cash, paid here, Rp 15.000 a unit) for
    /// `listing` of center `seller`; returns the order id.
    pub(crate) fn place_order(&self, seller: &str, listing: &str, qty: &str) -> String {
        self.place_order_for(
            seller,
            listing,
            qty,
            ("Bu Sri Wahyuni", "0812 3456 7890", ""),
        )
    }

    /// Like [`Folder::place_order`] for this buyer `(name, phone, note)`.
    pub(crate) fn place_order_for(
        &self,
        seller: &str,
        listing: &str,
        qty: &str,
        (name, phone, note): (&str, &str, &str),
    ) -> String {
        self.ok(&[
            "order",
            "place",
            &format!("{seller}/{listing}"),
            "--qty",
            qty,
            "--buyer-name",
            name,
            "--buyer-phone",
            phone,
            "--pay-at",
            "here",
            "--method",
            "cash",
            "--price",
            "15.000",
            "--note",
            note,
        ])
        .trim()
        .to_owned()
    }

    /// Starts `telecenter serve` on a free loopback port and waits until it answers.
    pub(crate) fn serve(&self, extra: &[&str]) -> Server {
        self.serve_at("127.0.0.1:0", extra)
    }

    /// Starts `telecenter serve` on `listen` (e.g. to come back on the same port).
    pub(crate) fn serve_on(&self, listen: &str) -> Server {
        self.serve_at(listen, &[])
    }

    /// Starts `telecenter serve` on `listen` with more flags (e.g. `--tls-cert`).
    pub(crate) fn serve_on_with(&self, listen: &str, extra: &[&str]) -> Server {
        self.serve_at(listen, extra)
    }

    fn serve_at(&self, listen: &str, extra: &[&str]) -> Server {
        let child = Command::new(binary())
            .arg("--data")
            .arg(&self.data)
            .args(["serve", "--listen", listen])
            .args(extra)
            .env("TELECENTER_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn serve");
        let mut server = Server {
            child,
            url: String::new(),
        };
        let runtime_file = self.data.join("node.json");
        let url = poll(Duration::from_secs(30), || {
            let text = std::fs::read_to_string(&runtime_file).ok()?;
            let info: Value = serde_json::from_str(&text).ok()?;
            let url = info["url"].as_str()?.to_owned();
            let (status, _) = http("GET", &format!("{url}/api/v1/info"), None, None).ok()?;
            (status == 200).then_some(url)
        })
        .unwrap_or_else(|| {
            panic!(
                "node did not start serving: exit {:?}",
                server.child.try_wait()
            )
        });
        server.url = url;
        server
    }
}

/// A center's folder and id, and its `telecenter serve` while it runs; it
/// comes back on the same address after a restart.
pub(crate) struct Station {
    pub(crate) folder: Folder,
    pub(crate) id: String,
    server: Option<Server>,
    listen: String,
}

impl Station {
    /// Creates the center `name` in `region` in a fresh folder (not running).
    pub(crate) fn new(name: &str, region: &str) -> Self {
        let folder = Folder::new();
        let id = folder.init_as(name, region);
        Self {
            folder,
            id,
            server: None,
            listen: String::new(),
        }
    }

    /// Starts serving (on the same address as before after the first start).
    pub(crate) fn start(&mut self) {
        let server = if self.listen.is_empty() {
            self.folder.serve(&[])
        } else {
            self.folder.serve_on(&self.listen)
        };
        self.listen = server.url.trim_start_matches("http://").to_owned();
        self.server = Some(server);
    }

    /// SIGKILLs the node (no shutdown of any kind).
    pub(crate) fn kill(&mut self) {
        let mut server = self.server.take().expect("running");
        server.child.kill().expect("kill");
        server.child.wait().expect("wait");
    }

    /// The address it serves on (it must be running).
    pub(crate) fn url(&self) -> String {
        self.server.as_ref().expect("running").url.clone()
    }

    /// Runs a `--json` command on its folder.
    pub(crate) fn json(&self, args: &[&str]) -> Value {
        self.folder.json(args)
    }
}

/// The events of an order view (`order show --json`) as (seq, hash, proposed).
pub(crate) fn history(view: &Value) -> Vec<(i64, String, bool)> {
    view["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["seq"].as_i64().expect("seq"),
                e["hash"].as_str().expect("hash").to_owned(),
                e["proposed"].as_bool().expect("proposed"),
            )
        })
        .collect()
}

/// A running `telecenter serve`; killed (SIGKILL) when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client like the node's own (rustls with the ring provider).
pub(crate) fn client() -> reqwest::Client {
    telecenter_node::net::Outgoing::default()
        .peer_client()
        .expect("HTTP client")
}

/// Calls `check` until it returns `Some`, or gives up at the deadline.
pub(crate) fn poll<T>(deadline: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + deadline;
    let mut pause = Duration::from_millis(10);
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// One HTTP request; returns status and parsed JSON body (Null if not JSON).
pub(crate) fn http(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, Value), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let client = telecenter_node::net::Outgoing::default()
            .client_builder()
            .map_err(|e| e.to_string())?
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut request = client.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    })
}

/// `GET` of `path` on the node at `url`, with an optional admin token.
pub(crate) fn get(url: &str, path: &str, token: Option<&str>) -> (u16, Value) {
    http("GET", &format!("{url}{path}"), token, None).expect("GET request")
}

/// The arguments of `telecenter listing add` with the four required options.
pub(crate) fn listing_add_args<'a>(
    title: &'a str,
    price: &'a str,
    stock: &'a str,
    category: &'a str,
) -> Vec<&'a str> {
    vec![
        "listing",
        "add",
        "--title",
        title,
        "--price",
        price,
        "--stock",
        stock,
        "--category",
        category,
    ]
}

/// The admin token of a data folder.
pub(crate) fn admin_token(data: &Path) -> String {
    std::fs::read_to_string(data.join("admin.token"))
        .expect("admin token")
        .trim()
        .to_owned()
}

/// Runs SQLite's quick_check on a node database.
pub(crate) fn quick_check(data: &Path) -> String {
    let conn = rusqlite::Connection::open(data.join("telecenter.db")).expect("open db");
    conn.query_row("PRAGMA quick_check", [], |row| row.get(0))
        .expect("quick_check")
}
