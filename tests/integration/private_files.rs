//! The data folder keeps its secrets to its owner: the folder is mode 0700 and
//! every file in it 0600 (identity key, admin token, config, database with its
//! WAL and SHM files, lock, node.json), after `init` and after opening a folder
//! that an older version left readable.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use crate::support::{Folder, poll};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Every entry of the folder with its mode, the folder itself first.
fn modes(data: &Path) -> Vec<(String, u32)> {
    let mut all = vec![(".".to_owned(), mode(data))];
    for entry in std::fs::read_dir(data).expect("read data folder") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        all.push((name, mode(&entry.path())));
    }
    all.sort();
    all
}

#[track_caller]
fn assert_private(data: &Path) {
    for (name, found) in modes(data) {
        let expected = if name == "." { 0o700 } else { 0o600 };
        assert_eq!(
            found, expected,
            "{name} has mode {found:o}, expected {expected:o}"
        );
    }
}

/// Issue 9, finding 10: `telecenter.db` and its WAL were world-readable (0644)
/// though they hold buyers' names and phones.
#[test]
fn data_folder_is_private() {
    let folder = Folder::new();
    folder.init();
    let mut password = std::process::Command::new(crate::support::binary())
        .arg("--data")
        .arg(&folder.data)
        .arg("password")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run telecenter password");
    let mut stdin = password.stdin.take().expect("stdin");
    std::io::Write::write_all(&mut stdin, b"kata-sandi-rahasia\n").expect("type the password");
    drop(stdin);
    assert!(password.wait().expect("password").success());
    assert!(folder.data.join("operator.password").exists());
    assert_private(&folder.data);

    // While serving, SQLite's -wal and -shm files exist and are private too.
    let server = folder.serve(&[]);
    let wal = folder.data.join("telecenter.db-wal");
    poll(Duration::from_secs(30), || {
        (wal.exists() && folder.data.join("node.json").exists()).then_some(())
    })
    .expect("the serving node has a WAL file");
    let names: Vec<String> = modes(&folder.data).into_iter().map(|(n, _)| n).collect();
    for name in [
        "identity.key",
        "admin.token",
        "config.toml",
        "telecenter.db",
        "telecenter.db-wal",
        "telecenter.db-shm",
        "node.lock",
        "node.json",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} missing: {names:?}");
    }
    assert_private(&folder.data);
    drop(server);

    // A folder an older version left readable by everyone is made private
    // when it is next opened.
    for (name, _) in modes(&folder.data) {
        let (path, loose) = if name == "." {
            (folder.data.clone(), 0o755)
        } else {
            (folder.data.join(&name), 0o644)
        };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(loose)).expect("loosen");
    }
    folder.ok(&["listing", "list"]);
    assert_private(&folder.data);
}
