//! Backup files: one file holding a consistent copy of a node's database, its
//! identity key sealed with the operator's passphrase (`backup/key.rs`) and its
//! settings; and restoring one into an empty data folder.
//!
//! The backup file IS an SQLite database: the copy of `telecenter.db` (made
//! with SQLite's online backup API from a read-only connection, which a serving
//! node never waits for: in WAL mode a reader does not block the writer) plus
//! one table, `backup_meta`, with one row (`docs/protocol.md`, appendix "Backup
//! file"). Photos are in the database (`images`), so they are in the copy.
//!
//! A backup never overwrites a file and never leaves a partial one: it is
//! written to a hidden temporary file beside `FILE` (mode 0600) and moved to
//! `FILE` only once complete and checked. A restore reads and opens everything
//! (the passphrase included) before it writes anything, and writes only into
//! an empty or missing folder.

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rand::RngCore;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use telecenter_protocol::{CenterId, DocId, Identity};

use crate::clock::Clock;
use crate::data_dir::{DataDir, DataDirError, Restored};
use crate::node::Node;

pub mod key;

pub use key::{KeyError, SealedKey};

/// The version of the backup file format this program writes and reads.
pub const BACKUP_FORMAT_VERSION: i64 = 1;
/// Pages the online backup copies per step (4 KiB pages: 1 MiB a step).
pub const BACKUP_PAGES_PER_STEP: i32 = 256;
/// Most bytes of each text a backup carries (`config.toml`, the operator
/// password hash, the search words file); a longer file is refused when the
/// backup is made and when it is read.
pub const BACKUP_TEXT_BYTES_MAX: usize = 1024 * 1024;
/// The environment variable a script sets to give the passphrase (then it is
/// not asked).
pub const PASSPHRASE_ENV: &str = "TELECENTER_BACKUP_PASSPHRASE";

/// Why a backup could not be made or restored.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The backup file already exists.
    #[error("{0} already exists; a backup never overwrites a file: choose another name")]
    Exists(PathBuf),
    /// The file is not a backup this program can read.
    #[error("{path} is not a telecenter backup: {reason}")]
    NotABackup {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The backup was written by a newer telecenter.
    #[error(
        "{path} has backup format {found}, newer than this program's {BACKUP_FORMAT_VERSION}: upgrade telecenter"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its format version.
        found: i64,
    },
    /// The copy of the database fails SQLite's check.
    #[error("the database copy is damaged: {0}")]
    Damaged(String),
    /// The target folder already holds a node.
    #[error(
        "{0} already holds a node; restore only into an empty or new folder (nothing was changed)"
    )]
    FolderHoldsNode(PathBuf),
    /// The target folder holds other files.
    #[error("{0} is not empty; restore only into an empty or new folder (nothing was changed)")]
    FolderNotEmpty(PathBuf),
    /// The passphrase or the sealed key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The data folder.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    /// The node could not be opened from the restored folder.
    #[error(transparent)]
    Node(#[from] crate::node::NodeError),
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What a backup file says about itself (its `backup_meta` row).
#[derive(Clone, Debug)]
pub struct BackupMeta {
    /// Format version ([`BACKUP_FORMAT_VERSION`]).
    pub format_version: i64,
    /// When the backup was made (UTC, ms since the epoch).
    pub created_at_ms: i64,
    /// The center whose node was backed up.
    pub center: CenterId,
    /// Its identity key, sealed with the passphrase.
    pub key: SealedKey,
    /// The text of `config.toml`.
    pub config_toml: String,
    /// The operator password's argon2 hash, if one was set.
    pub operator_password: Option<String>,
    /// The operator's search words (`kata-pencarian.txt`), if any.
    pub search_words: Option<String>,
}

/// What a finished backup or restore reports.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BackupReport {
    /// The backup file.
    pub file: PathBuf,
    /// The center.
    pub center: String,
    /// When the backup was made (RFC 3339, UTC).
    pub created_at: String,
    /// Size of the backup file in bytes.
    pub bytes: u64,
    /// This center's listings in the backup (any status).
    pub own_listings: u64,
    /// Orders in the backup.
    pub orders: u64,
    /// Ledger entries in the backup.
    pub ledger_entries: u64,
}

/// Reads an optional text file of the data folder, bounded.
fn read_text(path: &Path) -> Result<Option<String>, BackupError> {
    match fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path)(e)),
        Ok(meta) if meta.len() > BACKUP_TEXT_BYTES_MAX as u64 => {
            return Err(BackupError::Io {
                path: path.to_owned(),
                source: std::io::Error::other(format!("larger than {BACKUP_TEXT_BYTES_MAX} bytes")),
            });
        }
        Ok(_) => {}
    }
    fs::read_to_string(path).map(Some).map_err(io_error(path))
}

/// A file created new, readable by its owner only (on Unix).
fn create_private(path: &Path) -> Result<fs::File, BackupError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(io_error(path))
}

/// A hidden name beside `file` for the file being written.
fn temp_beside(file: &Path, random: &mut dyn RngCore) -> PathBuf {
    let mut tag = [0u8; 6];
    random.fill_bytes(&mut tag);
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".to_owned());
    file.with_file_name(format!(".{name}.{}.partial", hex::encode(tag)))
}

/// Copies the database at `db` into the (new, empty) database at `to` with
/// SQLite's online backup API, reading from one snapshot: the read transaction
/// stays open across the steps, so writes the node commits meanwhile are neither
/// copied nor make the copy start over, and the node never waits (WAL).
fn copy_database(db: &Path, to: &Path) -> Result<(), BackupError> {
    let source = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    source.busy_timeout(std::time::Duration::from_secs(10))?;
    source.execute_batch("BEGIN")?;
    source.query_row("SELECT COUNT(*) FROM sqlite_schema", [], |row| {
        row.get::<_, i64>(0)
    })?;
    let mut target = Connection::open(to)?;
    {
        let backup = rusqlite::backup::Backup::new(&source, &mut target)?;
        loop {
            match backup.step(BACKUP_PAGES_PER_STEP)? {
                rusqlite::backup::StepResult::Done => break,
                rusqlite::backup::StepResult::More => {}
                // Only a writer of the copy could lock it; nothing else has it open.
                _ => std::thread::sleep(std::time::Duration::from_millis(5)),
            }
        }
    }
    source.execute_batch("COMMIT")?;
    drop(source);
    // One file: the copy keeps no WAL beside it.
    target.pragma_update(None, "journal_mode", "DELETE")?;
    let check: String = target.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
    if check != "ok" {
        return Err(BackupError::Damaged(check));
    }
    Ok(())
}

/// Counts of what a database holds, for reports.
fn counts(conn: &Connection, center: &CenterId) -> Result<(u64, u64, u64), BackupError> {
    let count = |sql: &str, with_center: bool| -> Result<u64, BackupError> {
        let n: i64 = if with_center {
            conn.query_row(sql, [center.to_string()], |row| row.get(0))?
        } else {
            conn.query_row(sql, [], |row| row.get(0))?
        };
        Ok(n.unsigned_abs())
    };
    Ok((
        count("SELECT COUNT(*) FROM listings WHERE center_id = ?1", true)?,
        count("SELECT COUNT(*) FROM orders", false)?,
        count("SELECT COUNT(*) FROM ledger", false)?,
    ))
}

/// Whether the database holds `center`'s catalog.
fn holds_catalog(conn: &Connection, center: &CenterId) -> Result<bool, BackupError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM documents WHERE doc_id = ?1",
            [DocId::catalog(*center).to_string()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Makes a backup of the node in `data` into the new file `file` (the node may
/// be serving). The identity key is sealed with `passphrase`; salt, nonce and
/// the temporary name come from `random`.
pub fn create_backup(
    data: &DataDir,
    file: &Path,
    passphrase: &str,
    now_ms: i64,
    random: &mut dyn RngCore,
) -> Result<BackupReport, BackupError> {
    if !data.is_initialised() {
        return Err(DataDirError::NotInitialised(data.root().to_owned()).into());
    }
    if file.exists() {
        return Err(BackupError::Exists(file.to_owned()));
    }
    let identity = data.identity()?;
    let center = identity.center_id();
    let sealed = key::seal(&identity, passphrase, random)?;
    let config_toml = read_text(&data.config_file())?.unwrap_or_default();
    let operator_password = read_text(&data.password_path())?;
    let search_words = read_text(&data.root().join(crate::search::OPERATOR_FILE))?;
    let temp = temp_beside(file, random);
    drop(create_private(&temp)?);
    let written = write_backup(
        data,
        &temp,
        &BackupMeta {
            format_version: BACKUP_FORMAT_VERSION,
            created_at_ms: now_ms,
            center,
            key: sealed,
            config_toml,
            operator_password,
            search_words,
        },
    )
    .and_then(|counts| {
        publish(&temp, file)?;
        Ok(counts)
    });
    let (own_listings, orders, ledger_entries) = match written {
        Ok(counts) => counts,
        Err(error) => {
            let _ = fs::remove_file(&temp);
            return Err(error);
        }
    };
    let bytes = fs::metadata(file).map_err(io_error(file))?.len();
    Ok(BackupReport {
        file: file.to_owned(),
        center: center.to_string(),
        created_at: crate::clock::rfc3339_utc(now_ms),
        bytes,
        own_listings,
        orders,
        ledger_entries,
    })
}

/// Copies the database into `temp` and adds `backup_meta`.
fn write_backup(
    data: &DataDir,
    temp: &Path,
    meta: &BackupMeta,
) -> Result<(u64, u64, u64), BackupError> {
    copy_database(&data.db_path(), temp)?;
    let conn = Connection::open(temp)?;
    if !holds_catalog(&conn, &meta.center)? {
        return Err(BackupError::Damaged(format!(
            "the database holds no catalog of {}, the center of identity.key",
            meta.center
        )));
    }
    conn.execute_batch(META_TABLE)?;
    conn.execute(
        "INSERT INTO backup_meta (format_version, created_at, created_at_ms, center_id,
             key_kdf, key_memory_kib, key_passes, key_lanes, key_salt,
             key_cipher, key_nonce, key_ciphertext,
             config_toml, operator_password, search_words)
         VALUES (?1, ?2, ?3, ?4, 'argon2id', ?5, ?6, ?7, ?8,
             'xchacha20poly1305', ?9, ?10, ?11, ?12, ?13)",
        params![
            meta.format_version,
            crate::clock::rfc3339_utc(meta.created_at_ms),
            meta.created_at_ms,
            meta.center.to_string(),
            meta.key.memory_kib,
            meta.key.passes,
            meta.key.lanes,
            meta.key.salt,
            meta.key.nonce,
            meta.key.ciphertext,
            meta.config_toml,
            meta.operator_password,
            meta.search_words,
        ],
    )?;
    let counts = counts(&conn, &meta.center)?;
    conn.close().map_err(|(_, e)| e)?;
    let file = fs::File::open(temp).map_err(io_error(temp))?;
    file.sync_all().map_err(io_error(temp))?;
    Ok(counts)
}

/// The `backup_meta` table (docs/protocol.md, appendix "Backup file").
const META_TABLE: &str = "CREATE TABLE backup_meta (
    format_version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    center_id TEXT NOT NULL,
    key_kdf TEXT NOT NULL,
    key_memory_kib INTEGER NOT NULL,
    key_passes INTEGER NOT NULL,
    key_lanes INTEGER NOT NULL,
    key_salt BLOB NOT NULL,
    key_cipher TEXT NOT NULL,
    key_nonce BLOB NOT NULL,
    key_ciphertext BLOB NOT NULL,
    config_toml TEXT NOT NULL,
    operator_password TEXT,
    search_words TEXT
) STRICT;";

/// Moves the finished `temp` to `file`, never replacing a file that appeared
/// meanwhile: a hard link fails if `file` exists (where the filesystem has no
/// hard links, e.g. a FAT memory stick, a rename after a last check).
fn publish(temp: &Path, file: &Path) -> Result<(), BackupError> {
    match fs::hard_link(temp, file) {
        Ok(()) => {
            fs::remove_file(temp).map_err(io_error(temp))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(BackupError::Exists(file.to_owned()));
        }
        Err(_) => {
            if file.exists() {
                return Err(BackupError::Exists(file.to_owned()));
            }
            fs::rename(temp, file).map_err(io_error(file))?;
        }
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Make the new name durable; not every filesystem can sync a folder.
        if let Ok(dir) = fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

/// Reads the `backup_meta` row of a backup file (without its passphrase).
pub fn read_meta(file: &Path) -> Result<BackupMeta, BackupError> {
    let not_a_backup = |reason: String| BackupError::NotABackup {
        path: file.to_owned(),
        reason,
    };
    if !file.is_file() {
        return Err(io_error(file)(std::io::Error::from(
            std::io::ErrorKind::NotFound,
        )));
    }
    let conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| not_a_backup(e.to_string()))?;
    let version: i64 = conn
        .query_row("SELECT format_version FROM backup_meta", [], |row| {
            row.get(0)
        })
        .map_err(|e| not_a_backup(e.to_string()))?;
    if version > BACKUP_FORMAT_VERSION {
        return Err(BackupError::TooNew {
            path: file.to_owned(),
            found: version,
        });
    }
    let row = conn
        .query_row(
            "SELECT created_at_ms, center_id, key_kdf, key_memory_kib, key_passes, key_lanes,
                    key_salt, key_cipher, key_nonce, key_ciphertext,
                    config_toml, operator_password, search_words
             FROM backup_meta",
            [],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    (row.get::<_, String>(2)?, row.get::<_, String>(7)?),
                    SealedKey {
                        memory_kib: row.get(3)?,
                        passes: row.get(4)?,
                        lanes: row.get(5)?,
                        salt: row.get(6)?,
                        nonce: row.get(8)?,
                        ciphertext: row.get(9)?,
                    },
                    (
                        row.get::<_, String>(10)?,
                        row.get::<_, Option<String>>(11)?,
                        row.get::<_, Option<String>>(12)?,
                    ),
                ))
            },
        )
        .map_err(|e| not_a_backup(e.to_string()))?;
    let (created_at_ms, center, (kdf, cipher), key, (config_toml, operator_password, search_words)) =
        row;
    if kdf != "argon2id" || cipher != "xchacha20poly1305" {
        return Err(not_a_backup(format!(
            "expected key sealed with argon2id and xchacha20poly1305, found {kdf} and {cipher}"
        )));
    }
    let too_long = [
        Some(&config_toml),
        operator_password.as_ref(),
        search_words.as_ref(),
    ]
    .into_iter()
    .flatten()
    .any(|text| text.len() > BACKUP_TEXT_BYTES_MAX);
    if too_long {
        return Err(not_a_backup(format!(
            "a text is longer than {BACKUP_TEXT_BYTES_MAX} bytes"
        )));
    }
    let center = center
        .parse::<CenterId>()
        .map_err(|e| not_a_backup(format!("center id: {e}")))?;
    Ok(BackupMeta {
        format_version: version,
        created_at_ms,
        center,
        key,
        config_toml,
        operator_password,
        search_words,
    })
}

/// Why the target folder of a restore cannot be used, if it cannot.
fn check_empty(root: &Path) -> Result<(), BackupError> {
    let entries = match fs::read_dir(root) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(root)(e)),
        Ok(entries) => entries,
    };
    let mut any = false;
    for entry in entries {
        let name = entry.map_err(io_error(root))?.file_name();
        if name == "identity.key" || name == "telecenter.db" {
            return Err(BackupError::FolderHoldsNode(root.to_owned()));
        }
        any = true;
    }
    if any {
        return Err(BackupError::FolderNotEmpty(root.to_owned()));
    }
    Ok(())
}

/// Restores the backup `file` into the empty or missing data folder `data`:
/// opens the key with `passphrase` (a wrong one writes nothing), checks it is
/// the key of the backup's center, writes the database (without
/// `backup_meta`), `identity.key`, `config.toml` and a new admin token, and
/// opens the restored node once to check it loads.
pub fn restore(
    data: &DataDir,
    file: &Path,
    passphrase: &str,
    clock: Arc<dyn Clock>,
    random: &mut dyn RngCore,
) -> Result<BackupReport, BackupError> {
    check_empty(data.root())?;
    let meta = read_meta(file)?;
    let identity = key::open(&meta.key, &meta.center, passphrase)?;
    let existed = data.root().exists();
    let Some(lock) = data.try_lock()? else {
        return Err(DataDirError::Busy(data.root().to_owned()).into());
    };
    let result = restore_into(data, file, &meta, &identity, clock, random, &lock);
    if result.is_err() {
        // Leave the folder as it was: it was empty or missing.
        drop(lock);
        if existed {
            if let Ok(entries) = fs::read_dir(data.root()) {
                for entry in entries.flatten() {
                    let _ = fs::remove_file(entry.path());
                }
            }
        } else {
            let _ = fs::remove_dir_all(data.root());
        }
    }
    result
}

fn restore_into(
    data: &DataDir,
    file: &Path,
    meta: &BackupMeta,
    identity: &Identity,
    clock: Arc<dyn Clock>,
    random: &mut dyn RngCore,
    lock: &crate::data_dir::WriteLock,
) -> Result<BackupReport, BackupError> {
    let prepared = data.root().join("telecenter.db.restoring");
    {
        let mut to = create_private(&prepared)?;
        let mut from = fs::File::open(file).map_err(io_error(file))?;
        std::io::copy(&mut from, &mut to).map_err(io_error(&prepared))?;
        to.sync_all().map_err(io_error(&prepared))?;
    }
    let conn = Connection::open(&prepared)?;
    conn.execute_batch("DROP TABLE backup_meta")?;
    let check: String = conn.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
    if check != "ok" {
        return Err(BackupError::Damaged(check));
    }
    if !holds_catalog(&conn, &meta.center)? {
        return Err(BackupError::NotABackup {
            path: file.to_owned(),
            reason: format!("it holds no catalog of its center {}", meta.center),
        });
    }
    let (own_listings, orders, ledger_entries) = counts(&conn, &meta.center)?;
    conn.close().map_err(|(_, e)| e)?;
    data.lay_out_restored(
        &Restored {
            identity,
            config_toml: &meta.config_toml,
            operator_password: meta.operator_password.as_deref(),
            search_words: meta.search_words.as_deref(),
            db: &prepared,
        },
        random,
        lock,
    )?;
    let node = data.open(clock, lock)?;
    // restored node: continue the catalog in a new epoch
    continue_restored_catalog(&node)?;
    Ok(BackupReport {
        file: file.to_owned(),
        center: meta.center.to_string(),
        created_at: crate::clock::rfc3339_utc(meta.created_at_ms),
        bytes: fs::metadata(file).map_err(io_error(file))?.len(),
        own_listings,
        orders,
        ledger_entries,
    })
}

/// A restored node writes its catalog in a new epoch (docs/protocol.md §4.1):
/// its next edits cannot collide with changes it made after the backup and
/// that its peers hold, and those changes come back to it from its peers.
fn continue_restored_catalog(node: &Node) -> Result<(), BackupError> {
    let epoch = node.begin_epoch()?;
    tracing::info!(%epoch, "restored: this center's catalog continues in a new epoch");
    Ok(())
}

#[cfg(test)]
mod tests;
