//! `telecenter doctor`: checks of a data folder and its database, each with a
//! typed finding (the CLI says it in the operator's words, with what to do).
//!
//! Everything here only reads: the database is opened read-only (WAL lets a
//! reader in beside a serving node, so it works whether or not the node runs),
//! the write lock is not taken, no mode is fixed. The checks: file modes,
//! SQLite's integrity and foreign-key checks, the identity key against the
//! database, pair messages and mail waiting long, the relay mailbox's fill,
//! peers not reached for long, the clock against peers' clocks, free disk space.

use std::path::Path;

use telecenter_protocol::{CenterId, Identity};

use crate::data_dir::DataDir;
use crate::store::{OutboxAge, Store, StoreError};

/// A message or mail waiting longer than this is reported (one day).
pub const STUCK_AFTER_MS: i64 = 24 * 60 * 60 * 1000;
/// A peer with an address not synced with for longer than this is reported (one day).
pub const PEER_SILENT_AFTER_MS: i64 = 24 * 60 * 60 * 1000;
/// A clock this far behind other centers' (or behind times it wrote itself) is reported.
pub const CLOCK_BEHIND_MS_MAX: i64 = 10 * 60 * 1000;
/// How far back peers' mail dates are compared with the local clock (14 days).
pub const CLOCK_LOOKBACK_MS: i64 = 14 * 24 * 60 * 60 * 1000;
/// Free space below this is a warning (1 GiB).
pub const DISK_WARN_BYTES: u64 = 1024 * 1024 * 1024;
/// Free space below this is a failure (200 MiB).
pub const DISK_FAIL_BYTES: u64 = 200 * 1024 * 1024;
/// A relay mailbox filled to this percent of its quota is reported.
pub const MAILBOX_WARN_PERCENT: u64 = 80;
/// Most lines of SQLite's integrity findings kept.
pub const INTEGRITY_LINES_MAX: u32 = 10;

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Nothing to do.
    Ok,
    /// Works for now; the operator should act.
    Warn,
    /// Broken, or about to break.
    Fail,
}

/// What a check found, with the values the words need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// Folder 0700 and its files 0600.
    PermissionsOk,
    /// Files (or the folder, `"."`) others can read: name and mode.
    PermissionsLoose(Vec<(String, u32)>),
    /// The database passed SQLite's checks; its schema version.
    DatabaseOk(usize),
    /// There is no `telecenter.db`.
    DatabaseMissing,
    /// The database cannot be opened or read (written by a newer program, not a
    /// database, unreadable).
    DatabaseUnreadable(String),
    /// SQLite's checks found damage: their first lines.
    DatabaseDamaged(Vec<String>),
    /// `identity.key` is present and the database holds its center's catalog.
    IdentityOk(CenterId),
    /// No `identity.key`.
    IdentityMissing,
    /// `identity.key` cannot be read as a key.
    IdentityDamaged(String),
    /// The key's center has no catalog in the database.
    IdentityMismatch(CenterId),
    /// Pair messages waiting (none waits long).
    OutboxOk(u64),
    /// The oldest waiting pair message is older than [`STUCK_AFTER_MS`].
    OutboxStuck(OutboxAge),
    /// No mail waiting long.
    MailOk,
    /// Mail to send or carry on held longer than [`STUCK_AFTER_MS`]: how many,
    /// since when.
    MailStuck {
        /// How many.
        count: u64,
        /// When the oldest came (UTC ms).
        oldest_ms: i64,
    },
    /// The relay mailbox's fill in percent of its quota.
    MailboxOk(u64),
    /// The relay mailbox is at least [`MAILBOX_WARN_PERCENT`] full.
    MailboxNearlyFull(u64),
    /// Every peer with an address synced within [`PEER_SILENT_AFTER_MS`] (how many peers).
    PeersOk(usize),
    /// Peers not reached for longer: their names and when each last synced.
    PeersSilent(Vec<(String, Option<i64>)>),
    /// The clock agrees with what peers' mail says (or there is nothing to compare).
    ClockOk,
    /// The clock is behind by about this many minutes.
    ClockBehind(i64),
    /// Free bytes in the data folder's filesystem.
    DiskOk(u64),
    /// Free bytes below [`DISK_WARN_BYTES`].
    DiskLow(u64),
    /// Free bytes below [`DISK_FAIL_BYTES`].
    DiskFull(u64),
    /// Free space could not be read (the reason).
    DiskUnknown(String),
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// The check's name, a stable word: `permissions`, `database`, `identity`,
    /// `outbox`, `mail`, `mailbox`, `peers`, `clock`, `disk`.
    pub name: &'static str,
    /// How it came out.
    pub status: Status,
    /// What it found.
    pub finding: Finding,
}

fn check(name: &'static str, status: Status, finding: Finding) -> Check {
    Check {
        name,
        status,
        finding,
    }
}

/// Runs every check on the data folder `data` at `now_ms`. Checks that need a
/// readable database are left out when it is not.
pub fn run(data: &DataDir, now_ms: i64) -> Vec<Check> {
    let mut checks = vec![permissions(data), disk(data.root())];
    let identity = identity(data);
    let store = match database(data) {
        Ok((store, found)) => {
            checks.push(found);
            Some(store)
        }
        Err(found) => {
            checks.push(found);
            None
        }
    };
    checks.push(match (&identity, &store) {
        (Err(found), _) => found.clone(),
        (Ok(identity), Some(store)) => match store.holds_catalog(&identity.center_id()) {
            Ok(true) => check(
                "identity",
                Status::Ok,
                Finding::IdentityOk(identity.center_id()),
            ),
            Ok(false) => check(
                "identity",
                Status::Fail,
                Finding::IdentityMismatch(identity.center_id()),
            ),
            Err(e) => check(
                "identity",
                Status::Fail,
                Finding::DatabaseUnreadable(e.to_string()),
            ),
        },
        (Ok(identity), None) => check(
            "identity",
            Status::Ok,
            Finding::IdentityOk(identity.center_id()),
        ),
    });
    if let Some(store) = &store {
        let own = identity.as_ref().ok().map(Identity::center_id);
        let read = queue_checks(store, own.as_ref(), now_ms);
        match read {
            Ok(found) => checks.extend(found),
            Err(e) => checks.push(check(
                "database",
                Status::Fail,
                Finding::DatabaseUnreadable(e.to_string()),
            )),
        }
    }
    checks.sort_by_key(|c| order(c.name));
    checks
}

/// The order checks are shown in.
fn order(name: &str) -> usize {
    [
        "database",
        "identity",
        "permissions",
        "disk",
        "outbox",
        "mail",
        "mailbox",
        "peers",
        "clock",
    ]
    .iter()
    .position(|n| *n == name)
    .unwrap_or(usize::MAX)
}

/// The worst status of `checks` (`Ok` for none).
pub fn worst(checks: &[Check]) -> Status {
    checks.iter().map(|c| c.status).max().unwrap_or(Status::Ok)
}

fn permissions(data: &DataDir) -> Check {
    let mut loose = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| {
            std::fs::metadata(path)
                .ok()
                .map(|m| m.permissions().mode() & 0o777)
        };
        if let Some(found) = mode(data.root()).filter(|m| m & 0o077 != 0) {
            loose.push((".".to_owned(), found));
        }
        for file in data.private_files() {
            if let Some(found) = mode(&file).filter(|m| m & 0o077 != 0) {
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                loose.push((name, found));
            }
        }
    }
    if loose.is_empty() {
        check("permissions", Status::Ok, Finding::PermissionsOk)
    } else {
        check(
            "permissions",
            Status::Warn,
            Finding::PermissionsLoose(loose),
        )
    }
}

fn identity(data: &DataDir) -> Result<Identity, Check> {
    let fail = |finding| check("identity", Status::Fail, finding);
    if !data.identity_file().exists() {
        return Err(fail(Finding::IdentityMissing));
    }
    data.identity()
        .map_err(|e| fail(Finding::IdentityDamaged(e.to_string())))
}

fn database(data: &DataDir) -> Result<(Store, Check), Check> {
    let fail = |finding| check("database", Status::Fail, finding);
    let path = data.db_path();
    if !path.exists() {
        return Err(fail(Finding::DatabaseMissing));
    }
    let store = Store::open_read_only(&path).map_err(|e| fail(unreadable(e)))?;
    let problems = store
        .integrity_problems(INTEGRITY_LINES_MAX)
        .map_err(|e| fail(unreadable(e)))?;
    if !problems.is_empty() {
        return Err(fail(Finding::DatabaseDamaged(problems)));
    }
    let version = store.schema_version().map_err(|e| fail(unreadable(e)))?;
    Ok((
        store,
        check("database", Status::Ok, Finding::DatabaseOk(version)),
    ))
}

fn unreadable(error: StoreError) -> Finding {
    match error {
        // SQLite says "database disk image is malformed" for a damaged file.
        StoreError::Sqlite(e) if e.to_string().contains("malformed") => {
            Finding::DatabaseDamaged(vec![e.to_string()])
        }
        e => Finding::DatabaseUnreadable(e.to_string()),
    }
}

fn queue_checks(
    store: &Store,
    own: Option<&CenterId>,
    now_ms: i64,
) -> Result<Vec<Check>, StoreError> {
    let mut checks = Vec::new();
    let stuck_before = now_ms - STUCK_AFTER_MS;
    checks.push(match store.outbox_age()? {
        Some(age) if age.oldest_ms < stuck_before => {
            check("outbox", Status::Warn, Finding::OutboxStuck(age))
        }
        age => check(
            "outbox",
            Status::Ok,
            Finding::OutboxOk(age.map_or(0, |a| a.waiting)),
        ),
    });
    checks.push(match store.mail_waiting_before(stuck_before)? {
        (count, Some(oldest_ms)) if count > 0 => check(
            "mail",
            Status::Warn,
            Finding::MailStuck { count, oldest_ms },
        ),
        _ => check("mail", Status::Ok, Finding::MailOk),
    });
    let used = store.mail_use(None, None)?;
    let quota = crate::node::MAILBOX_TOTAL;
    let percent = (used.count.saturating_mul(100) / quota.count.max(1))
        .max(used.bytes.saturating_mul(100) / quota.bytes.max(1));
    checks.push(if percent >= MAILBOX_WARN_PERCENT {
        check("mailbox", Status::Warn, Finding::MailboxNearlyFull(percent))
    } else {
        check("mailbox", Status::Ok, Finding::MailboxOk(percent))
    });
    let peers = store.peers()?;
    let silent: Vec<(String, Option<i64>)> = peers
        .iter()
        .filter(|p| p.url.is_some())
        .filter(|p| p.last_ok_ms.unwrap_or(p.added_at_ms) < now_ms - PEER_SILENT_AFTER_MS)
        .map(|p| (p.name.clone(), p.last_ok_ms))
        .collect();
    checks.push(if silent.is_empty() {
        check("peers", Status::Ok, Finding::PeersOk(peers.len()))
    } else {
        check("peers", Status::Warn, Finding::PeersSilent(silent))
    });
    let lead = match own {
        Some(own) => store.peer_clock_lead_ms(own, now_ms - CLOCK_LOOKBACK_MS)?,
        None => None,
    };
    let set_back = store.latest_local_time_ms()?.map(|t| t - now_ms);
    let behind_ms = lead.into_iter().chain(set_back).max().unwrap_or(0);
    checks.push(if behind_ms > CLOCK_BEHIND_MS_MAX {
        check(
            "clock",
            Status::Warn,
            Finding::ClockBehind(behind_ms / 60_000),
        )
    } else {
        check("clock", Status::Ok, Finding::ClockOk)
    });
    Ok(checks)
}

#[cfg(unix)]
fn disk(root: &Path) -> Check {
    match rustix::fs::statvfs(root) {
        Ok(stat) => {
            let free = stat.f_bavail.saturating_mul(stat.f_frsize);
            if free < DISK_FAIL_BYTES {
                check("disk", Status::Fail, Finding::DiskFull(free))
            } else if free < DISK_WARN_BYTES {
                check("disk", Status::Warn, Finding::DiskLow(free))
            } else {
                check("disk", Status::Ok, Finding::DiskOk(free))
            }
        }
        Err(e) => check("disk", Status::Warn, Finding::DiskUnknown(e.to_string())),
    }
}

#[cfg(not(unix))]
fn disk(_root: &Path) -> Check {
    check(
        "disk",
        Status::Ok,
        Finding::DiskUnknown("not measured on this system".into()),
    )
}

#[cfg(test)]
mod tests;
