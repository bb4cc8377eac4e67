//! Stopping a node: Ctrl-C ends `telecenter serve` quickly whatever its peers
//! do, says what it waits for, and leaves the data folder whole.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Folder, binary, poll};

/// The bound of issue 14: an operator's Ctrl-C ends the node within 2 s.
const STOP_MS_MAX: u128 = 2_000;

#[test]
fn ctrl_c_stops_within_2_s_with_a_peer_long_polling() {
    let malang = Folder::new();
    malang.init_as("Telecenter Kota Malang", "Kota Malang");
    let listing = malang.add_listing("Keripik Tempe", "15000", "makanan");
    let blitar = Folder::new();
    blitar.init_as("Telecenter Kabupaten Blitar", "Kabupaten Blitar");
    let blitar_server = blitar.serve(&[]);

    // Malang runs with its messages captured (in English: LANG is not Indonesian).
    let log = malang.data.with_extension("stderr.txt");
    let stderr = std::fs::File::create(&log).expect("log file");
    let mut child = Command::new(binary())
        .arg("--data")
        .arg(&malang.data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("TELECENTER_LOG", "warn")
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("spawn serve");
    let url = poll(Duration::from_secs(30), || {
        let text = std::fs::read_to_string(malang.data.join("node.json")).ok()?;
        let info: serde_json::Value = serde_json::from_str(&text).ok()?;
        Some(info["url"].as_str()?.to_owned())
    })
    .expect("malang serves");

    // Peered both ways: each node holds a long poll open on the other.
    malang.ok(&["peer", "add", &blitar_server.url]);
    blitar.ok(&["peer", "add", &url]);
    poll(Duration::from_secs(60), || {
        let peers = blitar.json(&["peer", "list"]);
        peers[0]["last_sync_at"].is_string().then_some(())
    })
    .expect("blitar synced with malang");
    // Let both sides settle into their long polls.
    std::thread::sleep(Duration::from_millis(1_500));

    let started = Instant::now();
    assert!(
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("kill")
            .success()
    );
    let exit = poll(Duration::from_secs(30), || child.try_wait().ok().flatten())
        .expect("node stops after Ctrl-C");
    let took = started.elapsed().as_millis();
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    eprintln!("Ctrl-C with a peer long-polling: stopped in {took} ms; said: {said}");
    assert!(exit.success(), "clean exit after Ctrl-C: {exit:?}; {said}");
    assert!(took < STOP_MS_MAX, "stopping took {took} ms; {said}");
    assert!(said.contains("stopping"), "says that it stops: {said}");

    // Data intact: the folder opens, the runtime file is gone, the listing is there.
    assert!(!malang.data.join("node.json").exists());
    let listings = malang.json(&["listing", "list", "--all"]);
    assert!(listings.to_string().contains(&listing), "{listings}");
    assert_eq!(crate::support::quick_check(&malang.data), "ok");
    let again = malang.serve(&[]);
    drop(again);
}
