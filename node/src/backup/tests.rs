//! Backup and restore of a real data folder (real SQLite files).

use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;
use crate::clock::ManualClock;
use crate::testing::{product, profile};

const NOW_MS: i64 = 1_795_000_000_000;
const PASS: &str = "kunci cadangan malang";

/// A data folder with a center and two listings; returns it and the folder's parent.
fn folder_with_listings() -> (tempfile::TempDir, DataDir) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = DataDir::new(tmp.path().join("data"));
    let lock = data.try_lock().expect("lock").expect("free");
    let node = data
        .init(
            &profile("Telecenter Kota Malang", "Kota Malang", None),
            Arc::new(ManualClock::new(NOW_MS)),
            &lock,
        )
        .expect("init");
    node.add_listing(&product("Keripik Tempe Sanan", 15_000, 40))
        .expect("add");
    node.add_listing(&product("Keripik Pisang Agung", 17_500, 20))
        .expect("add");
    (tmp, data)
}

#[test]
fn a_backup_restores_into_a_new_folder_with_the_same_catalog() {
    let (tmp, data) = folder_with_listings();
    let file = tmp.path().join("cadangan.tcbackup");
    let mut random = StdRng::seed_from_u64(5);
    let report = create_backup(&data, &file, PASS, NOW_MS, &mut random).expect("backup");
    assert_eq!(report.own_listings, 2);
    let meta = read_meta(&file).expect("meta");
    assert_eq!(meta.center, data.identity().expect("identity").center_id());
    assert_eq!(meta.format_version, BACKUP_FORMAT_VERSION);
    // No temporary file is left beside it.
    let names: Vec<_> = fs::read_dir(tmp.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(matches!(
        create_backup(&data, &file, PASS, NOW_MS, &mut random),
        Err(BackupError::Exists(_))
    ));

    let restored = DataDir::new(tmp.path().join("baru"));
    restore(
        &restored,
        &file,
        PASS,
        Arc::new(ManualClock::new(NOW_MS)),
        &mut random,
    )
    .expect("restore");
    assert_eq!(
        restored.identity().expect("key").center_id(),
        meta.center,
        "the restored key is the center's"
    );
    assert_ne!(
        restored.admin_token().expect("token"),
        data.admin_token().expect("token"),
        "a restore makes a new admin token"
    );
    let lock = restored.try_lock().expect("lock").expect("free");
    let node = restored
        .open(Arc::new(ManualClock::new(NOW_MS)), &lock)
        .expect("open the restored node");
    let titles: Vec<String> = node
        .export_listings()
        .expect("listings")
        .into_iter()
        .map(|(_, l)| l.title.id)
        .collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert_eq!(node.quick_check().expect("check"), "ok");
    let conn = Connection::open(restored.db_path()).expect("db");
    let meta_left: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'backup_meta'",
            [],
            |row| row.get(0),
        )
        .expect("schema");
    assert_eq!(meta_left, 0, "backup_meta is not restored");
}

#[test]
fn a_restore_with_a_wrong_passphrase_or_into_a_node_writes_nothing() {
    let (tmp, data) = folder_with_listings();
    let file = tmp.path().join("cadangan.tcbackup");
    let mut random = StdRng::seed_from_u64(6);
    create_backup(&data, &file, PASS, NOW_MS, &mut random).expect("backup");
    let clock = || -> Arc<dyn Clock> { Arc::new(ManualClock::new(NOW_MS)) };

    let target = DataDir::new(tmp.path().join("baru"));
    let wrong = restore(&target, &file, "bukan kuncinya", clock(), &mut random);
    assert!(
        matches!(wrong, Err(BackupError::Key(KeyError::WrongPassphrase))),
        "{wrong:?}"
    );
    assert!(!target.root().exists(), "nothing is written");

    let before = fs::read(data.db_path()).expect("db");
    let into_node = restore(&data, &file, PASS, clock(), &mut random);
    assert!(
        matches!(into_node, Err(BackupError::FolderHoldsNode(_))),
        "{into_node:?}"
    );
    assert_eq!(fs::read(data.db_path()).expect("db"), before);
}
