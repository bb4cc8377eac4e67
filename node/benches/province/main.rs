//! The province benchmark: `cargo bench -p telecenter-node --bench province`
//! (see `docs/performance.md`). Measures, each comparison in the same run:
//! edit propagation on a sparse peer graph, a new node joining the province
//! (against raw Automerge sync and a JSON load into SQLite), ingest, search and
//! the search page, memory and disk of a node holding 20k, 100k and 1M
//! listings, and scale simulations of 39, 300 and 3,000 nodes. Prints one
//! table and one `RESULT name=value` line per figure. Asserts only
//! correctness (every node converged, every signature verified).
//!
//! Each part runs in a process of its own (this program again, told which part
//! by `TELECENTER_BENCH_PART`), so that its memory figures are its own.
//! `TELECENTER_BENCH_SMALL=1` (and `cargo test`) runs a tiny configuration.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod config;
mod data;
mod edit;
mod held;
mod join;
mod net;
mod report;
mod sim;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use config::Config;
use report::{parse, round};

fn main() {
    let config = Config::from_env();
    if let Ok(part) = std::env::var("TELECENTER_BENCH_PART") {
        run_part(&config, &part);
        return;
    }
    eprintln!(
        "province benchmark ({} configuration): {} centers × {} listings",
        if config.small { "tiny" } else { "full" },
        config.centers,
        config.listings
    );
    let mut results = BTreeMap::new();
    if Config::runs_part("join") {
        results.extend(join_parts(&config));
    }
    if Config::runs_part("edit") {
        results.extend(child(&config, "edit", &[]));
    }
    if Config::runs_part("held") {
        let dir = tempfile::tempdir().expect("temp dir");
        for (listings, label) in &config.held {
            let db = dir.path().join(format!("held-{label}.db"));
            let db_text = db.display().to_string();
            let args = [
                ("TELECENTER_BENCH_DB", db_text.as_str()),
                ("TELECENTER_BENCH_LISTINGS", &listings.to_string()),
                ("TELECENTER_BENCH_LABEL", label.as_str()),
            ];
            results.extend(child(&config, "fill", &args));
            results.extend(child(&config, "hold", &args));
            remove_database(&db);
        }
    }
    if Config::runs_part("sim") {
        for n in &config.sims {
            results.extend(child(
                &config,
                "sim",
                &[("TELECENTER_BENCH_NODES", &n.to_string())],
            ));
        }
        if let (Some(small), Some(large)) = (config.sims.first(), config.sims.last()) {
            let (s, l) = (
                results.get(&format!("sim{small}_center_kb")).copied(),
                results.get(&format!("sim{large}_center_kb")).copied(),
            );
            if let (Some(s), Some(l)) = (s, l) {
                results.insert(format!("sim{large}_vs_{small}_bytes_ratio"), l / s);
            }
        }
    }
    table(&config, &results);
    for (name, value) in &results {
        println!("RESULT {name}={}", round(*value));
    }
}

/// Runs one part in this process (a child of the benchmark).
fn run_part(config: &Config, part: &str) {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    match part {
        "hub" => join::hub(config),
        "join" => join::join(
            config,
            &var("TELECENTER_BENCH_HUB_URL"),
            var("TELECENTER_BENCH_HUB_ID").parse().expect("hub id"),
        ),
        "edit" => edit::edit(config),
        "fill" => held::fill(
            config,
            Path::new(&var("TELECENTER_BENCH_DB")),
            var("TELECENTER_BENCH_LISTINGS").parse().expect("listings"),
            &var("TELECENTER_BENCH_LABEL"),
        ),
        "hold" => held::hold(
            config,
            Path::new(&var("TELECENTER_BENCH_DB")),
            &var("TELECENTER_BENCH_LABEL"),
        ),
        "sim" => {
            sim::sim(
                var("TELECENTER_BENCH_NODES").parse().expect("nodes"),
                config.now_ms,
            );
        }
        other => panic!("no part {other}"),
    }
}

/// This program again, running `part` with `vars`.
fn command(config: &Config, part: &str, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("this program"));
    command
        .env("TELECENTER_BENCH_PART", part)
        .env(
            "TELECENTER_BENCH_SMALL",
            if config.small { "1" } else { "0" },
        )
        .stderr(Stdio::inherit())
        .stdout(Stdio::piped());
    for (name, value) in vars {
        command.env(name, value);
    }
    command
}

/// Runs `part` in a child process and returns its results; a failed part
/// fails the benchmark.
fn child(config: &Config, part: &str, vars: &[(&str, &str)]) -> BTreeMap<String, f64> {
    let label = vars
        .iter()
        .find(|(name, _)| *name == "TELECENTER_BENCH_LABEL" || *name == "TELECENTER_BENCH_NODES")
        .map_or("", |(_, value)| *value);
    eprintln!("== {part} {label}");
    let output = command(config, part, vars).output().expect("run part");
    assert!(
        output.status.success(),
        "part {part} failed: {}",
        output.status
    );
    parse(&String::from_utf8_lossy(&output.stdout))
}

/// The hub in one process, the joining node in another.
fn join_parts(config: &Config) -> BTreeMap<String, f64> {
    eprintln!("== hub and join");
    let mut hub = command(config, "hub", &[])
        .stdin(Stdio::piped())
        .spawn()
        .expect("hub");
    let mut lines = BufReader::new(hub.stdout.take().expect("stdout")).lines();
    let mut before = String::new();
    let (url, id) = loop {
        let line = lines
            .next()
            .expect("the hub ended early")
            .expect("hub output");
        if let Some(rest) = line.strip_prefix("READY ") {
            let (url, id) = rest.split_once(' ').expect("READY url id");
            break (url.to_owned(), id.to_owned());
        }
        before.push_str(&line);
        before.push('\n');
    };
    let mut results = parse(&before);
    results.extend(child(
        config,
        "join",
        &[
            ("TELECENTER_BENCH_HUB_URL", &url),
            ("TELECENTER_BENCH_HUB_ID", &id),
        ],
    ));
    drop(hub.stdin.take());
    for _ in lines {}
    assert!(hub.wait().expect("hub").success(), "the hub failed");
    results
}

fn remove_database(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

/// A line of the table: what, the figure's name, and its target (a bound and
/// whether it is an upper one).
type Row = (String, String, Option<(f64, bool)>);

/// The figures against their targets.
fn table(config: &Config, results: &BTreeMap<String, f64>) {
    let label = |size: usize| {
        config
            .held
            .iter()
            .find(|(n, _)| *n == size)
            .or(config.held.get(size.min(1)))
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    };
    let (mid, big) = (
        label(100_000),
        config
            .held
            .last()
            .map(|(_, l)| l.clone())
            .unwrap_or_default(),
    );
    let (s, l) = (
        config.sims.first().copied().unwrap_or(0),
        config.sims.last().copied().unwrap_or(0),
    );
    // (what, figure, target, at most / at least)
    let rows: Vec<Row> = vec![
        (
            "join, every signature verified (s)".into(),
            "join_s".into(),
            Some((3.0, true)),
        ),
        (
            "join ÷ raw Automerge sync".into(),
            "join_vs_automerge_ratio".into(),
            Some((1.5, true)),
        ),
        (
            "join ÷ JSON into SQLite".into(),
            "join_vs_json_ratio".into(),
            None,
        ),
        ("join peak RSS (MB)".into(), "join_peak_rss_mb".into(), None),
        (
            "ingest, province hub (changes/s)".into(),
            "ingest_changes_per_s".into(),
            Some((10_000.0, false)),
        ),
        (
            format!("ingest, {mid} node (changes/s)"),
            format!("ingest_changes_per_s_{mid}"),
            Some((10_000.0, false)),
        ),
        (
            "edit: bodies per hop ÷ signed change".into(),
            "edit_hop_bytes_ratio".into(),
            Some((2.0, true)),
        ),
        (
            "edit: catalog JSON ÷ bytes per hop".into(),
            "edit_catalog_json_vs_hop_ratio".into(),
            Some((100.0, false)),
        ),
        (
            "edit visible two hops away (ms)".into(),
            "edit_visible_2hop_ms".into(),
            Some((1000.0, true)),
        ),
        (
            format!("search p99, {mid} (ms)"),
            format!("search_p99_ms_{mid}"),
            Some((5.0, true)),
        ),
        (
            format!("search worst common word p99, {mid} (ms)"),
            format!("search_worst_p99_ms_{mid}"),
            Some((20.0, true)),
        ),
        (
            format!("search page p50, {mid} (ms)"),
            format!("search_page_p50_ms_{mid}"),
            Some((10.0, true)),
        ),
        (
            format!("search p99, {big} (ms)"),
            format!("search_p99_ms_{big}"),
            None,
        ),
        (
            format!("RSS holding {mid} (MB)"),
            format!("rss_mb_{mid}"),
            Some((150.0, true)),
        ),
        (
            format!("RSS holding {big} (MB)"),
            format!("rss_mb_{big}"),
            Some((400.0, true)),
        ),
        (
            format!("database per listing, {mid} (B)"),
            format!("db_bytes_per_listing_{mid}"),
            Some((2048.0, true)),
        ),
        (
            format!("sim: center bytes, {l} ÷ {s} nodes"),
            format!("sim{l}_vs_{s}_bytes_ratio"),
            Some((2.0, true)),
        ),
    ];
    println!("{:<44} {:>12} {:>10}", "figure", "measured", "target");
    for (what, key, target) in rows {
        let value = results.get(&key);
        let measured = value.map_or("—".to_owned(), |v| round(*v));
        let (target_text, verdict) = match (target, value) {
            (Some((t, at_most)), Some(v)) => {
                let ok = if at_most { *v <= t } else { *v >= t };
                (
                    format!("{}{}", if at_most { "≤ " } else { "≥ " }, round(t)),
                    if ok { "ok" } else { "MISSED" },
                )
            }
            (Some((t, at_most)), None) => (
                format!("{}{}", if at_most { "≤ " } else { "≥ " }, round(t)),
                "not run",
            ),
            (None, _) => (String::new(), ""),
        };
        println!("{what:<44} {measured:>12} {target_text:>10}  {verdict}");
    }
    if config.small {
        println!("(tiny configuration: the targets are for the full one)");
    }
}
