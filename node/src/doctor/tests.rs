//! The doctor on real data folders: healthy, then one problem at a time.

use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;
use crate::clock::ManualClock;
use crate::testing::profile;

const NOW_MS: i64 = 1_795_000_000_000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn folder() -> (tempfile::TempDir, DataDir) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = DataDir::new(tmp.path().join("data"));
    let lock = data.try_lock().expect("lock").expect("free");
    data.init(
        &profile("Telecenter Kota Malang", "Kota Malang", None),
        Arc::new(ManualClock::new(NOW_MS)),
        &lock,
    )
    .expect("init");
    (tmp, data)
}

fn finding<'a>(checks: &'a [Check], name: &str) -> &'a Check {
    checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} check in {checks:?}"))
}

#[test]
fn a_new_center_is_healthy_and_each_problem_is_named() {
    let (_tmp, data) = folder();
    let checks = run(&data, NOW_MS);
    for name in [
        "database",
        "identity",
        "permissions",
        "outbox",
        "mail",
        "mailbox",
        "peers",
        "clock",
    ] {
        assert_eq!(finding(&checks, name).status, Status::Ok, "{checks:?}");
    }

    // An outbox message two days old, a peer never reached, a clock set back.
    let blitar = telecenter_protocol::Identity::generate(&mut StdRng::seed_from_u64(9)).center_id();
    let conn = rusqlite::Connection::open(data.db_path()).expect("db");
    conn.execute(
        "INSERT INTO outbox (counterpart, hash, message, created_at_ms) VALUES ('tc1x', 'h', '{}', ?1)",
        [NOW_MS - 2 * DAY_MS],
    )
    .expect("outbox row");
    conn.execute(
        "INSERT INTO peers (center_id, name, url, added_at_ms) VALUES (?1, 'Telecenter Blitar', 'http://192.0.2.1:8470', ?2)",
        rusqlite::params![blitar.to_string(), NOW_MS - 3 * DAY_MS],
    )
    .expect("peer row");
    drop(conn);
    let later = NOW_MS - 30 * 60 * 1000;
    let checks = run(&data, later);
    let outbox = finding(&checks, "outbox");
    assert_eq!(outbox.status, Status::Warn);
    assert!(
        matches!(&outbox.finding, Finding::OutboxStuck(age) if age.waiting == 1 && age.counterpart == "tc1x")
    );
    let peers = finding(&checks, "peers");
    assert_eq!(
        peers.finding,
        Finding::PeersSilent(vec![("Telecenter Blitar".to_owned(), None)])
    );
    // The genesis change was stored at NOW_MS: half an hour before, the clock is behind.
    assert_eq!(finding(&checks, "clock").finding, Finding::ClockBehind(30));
    assert_eq!(worst(&checks), Status::Warn);

    std::fs::remove_file(data.identity_file()).expect("remove key");
    let checks = run(&data, NOW_MS);
    assert_eq!(
        finding(&checks, "identity").finding,
        Finding::IdentityMissing
    );
    assert_eq!(worst(&checks), Status::Fail);
}
