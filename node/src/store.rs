//! The SQLite store: opening the node's one database file (private, WAL,
//! durable commits, schema brought up to date) and the error every store
//! operation returns. Each group of tables has its own child module: `schema`
//! (migrations), `changes` (signed changes, snapshots, the one-transaction
//! commit), `listings` (the listing rows and search over them), `search_index` (the
//! in-memory search index kept equal to the listing rows), `photos`,
//! `peers` (peers and trust), `orders`, `outbox`, `ledger`, `settlements`,
//! `pair_write` (what one order step writes), `mail`, `demand` (words
//! buyers searched for), `requests` (buyer requests from the product pages),
//! `producers` and `sales` (what the center sold for them), `health` (the
//! read-only questions of `telecenter doctor`).
//!
//! One SQLite file in WAL mode with `synchronous = FULL`, so a transaction that
//! has returned from `COMMIT` survives a kill or a power cut. Everything one
//! edit writes (its signed change, the listing rows it touched and sometimes a
//! fresh snapshot) is written in one transaction: after a crash the index never
//! disagrees with the changes. Schema versions are numbered from 1 in
//! [`MIGRATIONS`] and tracked in `PRAGMA user_version`.
//!
//! Storage rows (`*Row`) are this module's own types; the HTTP layer converts
//! them at its boundary.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

mod changes;
mod columns;
mod demand;
mod health;
mod ledger;
mod listing_keys;
mod listings;
mod mail;
mod orders;
mod outbox;
mod pair_write;
mod peers;
mod photos;
#[cfg(feature = "fault-injection")]
mod power_cut;
mod producers;
mod requests;
mod sales;
mod schema;
mod search_index;
mod settlements;
pub use changes::{Commit, DocumentRow, NewChange};
pub use demand::DemandRow;
pub use health::OutboxAge;
pub use ledger::EntryRow;
pub use listings::{ListingRow, SearchPage};
pub use mail::{MailKind, MailRow, MailUse, PairRoute};
pub use orders::{EventRow, ORDER_STATUS_WORDS, OrderFilter, OrderRow};
pub use outbox::OutboxRow;
pub use pair_write::PairWrite;
pub use peers::{PeerRow, TrustState};
#[cfg(feature = "fault-injection")]
pub use power_cut::PowerCut;
pub use producers::{PayoutRow, ProducerFields, ProducerRow, SalesTotalRow};
pub use requests::{RequestRow, RequestStatus, RequestWrite};
pub use sales::{NewSale, SaleRow};
pub use schema::MIGRATIONS;
pub use search_index::SearchIndex;
pub use settlements::SettlementRow;

/// Why a store operation failed. These are the node's own faults (disk, corrupt
/// file), never the caller's: the HTTP layer turns them into a 500 without details.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer telecenter.
    #[error(
        "the database has schema version {found}, newer than this program's {supported}: upgrade telecenter"
    )]
    TooNew {
        /// The version found in the file.
        found: usize,
        /// The newest version this program knows.
        supported: usize,
    },
    /// A stored value could not be read back.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// The database file could not be created or made private.
    #[error("database file {path}: {source}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// Makes the database and its `-wal` and `-shm` files readable and writable by
/// their owner only (on Unix): they hold buyers' names and phone numbers. A new
/// database file is created with mode 0600 before SQLite opens it, and SQLite
/// gives the `-wal` and `-shm` files it creates the mode of the database file;
/// files of an older node are changed to 0600.
fn make_private(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file_error = |path: &Path| {
            let path = path.to_owned();
            move |source| StoreError::File { path, source }
        };
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(file_error(path))?;
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = std::path::PathBuf::from(name);
            match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(file_error(&file)(e));
                }
                _ => {}
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// A connection to the node's database.
pub struct Store {
    conn: Connection,
    /// The search index this connection searches and keeps up to date.
    search: Option<std::sync::Arc<SearchIndex>>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` for reading and writing,
    /// and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        make_private(path)?;
        let conn = Connection::open(path)?;
        Self::configure(&conn)?;
        let mut store = Self { conn, search: None };
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing database for reading only.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let store = Self { conn, search: None };
        store.check_version()?;
        Ok(store)
    }

    fn configure(conn: &Connection) -> Result<(), StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL lets readers work while a write is under way; FULL makes each commit
        // durable against power loss, not only against a process kill.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(())
    }

    /// Runs `PRAGMA quick_check` and returns its verdict (`"ok"` when healthy).
    pub fn quick_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA quick_check", [], |row| row.get(0))?)
    }
}

#[cfg(test)]
mod tests;
