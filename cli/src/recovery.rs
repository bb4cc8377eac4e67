//! `telecenter doctor`, `telecenter backup FILE` and `telecenter restore FILE`:
//! the words around the node library's `doctor` and `backup` (which do the work).
//! None of them goes through a serving node: the doctor and the backup only read
//! the database (beside the serving node, WAL), and a restore writes only into
//! an empty folder.

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use telecenter_node::backup::{self, BackupError, KeyError};
use telecenter_node::data_dir::DataDir;
use telecenter_node::doctor::{self, Check, Finding, Status};
use telecenter_node::random::SystemRandom;
use telecenter_node::{Clock, SystemClock};

use crate::output::{local_time, print_json};
use crate::words::{fill, recovery};

/// `telecenter doctor`.
pub(crate) fn doctor(data: &DataDir, json: bool) -> Result<()> {
    let now_ms = SystemClock.now_ms();
    let checks = doctor::run(data, now_ms);
    let w = recovery();
    let said: Vec<(String, Option<String>)> = checks.iter().map(|c| say(c, data)).collect();
    if json {
        let checks: Vec<serde_json::Value> = checks
            .iter()
            .zip(&said)
            .map(|(check, (message, advice))| {
                serde_json::json!({
                    "name": check.name,
                    "status": check.status,
                    "message": message,
                    "advice": advice,
                })
            })
            .collect();
        print_json(&serde_json::json!({ "checks": checks }))?;
    } else {
        for (check, (message, advice)) in checks.iter().zip(&said) {
            let mark = match check.status {
                Status::Ok => w.mark_ok,
                Status::Warn => w.mark_warn,
                Status::Fail => w.mark_fail,
            };
            println!("{mark:<9} {}: {message}", name(check.name));
            if let Some(advice) = advice {
                println!("{}", fill(w.advice, &[advice]));
            }
        }
    }
    let problems = checks.iter().filter(|c| c.status != Status::Ok).count();
    if problems > 0 {
        bail!(fill(w.doctor_problems, &[&problems]));
    }
    if !json {
        println!("{}", w.doctor_all_ok);
    }
    Ok(())
}

/// A check's name for people.
fn name(name: &str) -> &'static str {
    let w = recovery();
    match name {
        "database" => w.name_database,
        "identity" => w.name_identity,
        "permissions" => w.name_permissions,
        "disk" => w.name_disk,
        "outbox" => w.name_outbox,
        "mail" => w.name_mail,
        "mailbox" => w.name_mailbox,
        "peers" => w.name_peers,
        _ => w.name_clock,
    }
}

/// Bytes for people: MiB below 10 GiB, else GiB.
fn size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= 10 * 1024 * MIB {
        format!("{} GiB", bytes / (1024 * MIB))
    } else if bytes >= MIB {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{} KiB", bytes.div_ceil(1024))
    }
}

fn at(ms: i64) -> String {
    local_time(&telecenter_node::clock::rfc3339_utc(ms))
}

/// A finding's message and, for a problem, what to do.
fn say(check: &Check, data: &DataDir) -> (String, Option<String>) {
    let w = recovery();
    let folder = data.root().display().to_string();
    let restore = || Some(fill(w.advice_database, &[&folder]));
    match &check.finding {
        Finding::PermissionsOk => (w.permissions_ok.to_owned(), None),
        Finding::PermissionsLoose(files) => {
            let list: Vec<String> = files
                .iter()
                .map(|(name, mode)| format!("{name} ({mode:o})"))
                .collect();
            (
                fill(w.permissions_loose, &[&list.join(", ")]),
                Some(fill(w.advice_permissions, &[&folder, &folder])),
            )
        }
        Finding::DatabaseOk(version) => (fill(w.database_ok, &[version]), None),
        Finding::DatabaseMissing => (w.database_missing.to_owned(), restore()),
        Finding::DatabaseUnreadable(detail) => (fill(w.database_unreadable, &[detail]), restore()),
        Finding::DatabaseDamaged(lines) => {
            (fill(w.database_damaged, &[&lines.join("; ")]), restore())
        }
        Finding::IdentityOk(center) => (fill(w.identity_ok, &[center]), None),
        Finding::IdentityMissing => (
            w.identity_missing.to_owned(),
            Some(w.advice_identity.to_owned()),
        ),
        Finding::IdentityDamaged(detail) => (
            fill(w.identity_damaged, &[detail]),
            Some(w.advice_identity.to_owned()),
        ),
        Finding::IdentityMismatch(center) => (
            fill(w.identity_mismatch, &[center]),
            Some(w.advice_identity.to_owned()),
        ),
        Finding::OutboxOk(waiting) => (fill(w.outbox_ok, &[waiting]), None),
        Finding::OutboxStuck(age) => {
            let center = age.name.clone().unwrap_or_else(|| age.counterpart.clone());
            (
                fill(w.outbox_stuck, &[&age.waiting, &center, &at(age.oldest_ms)]),
                Some(w.advice_outbox.to_owned()),
            )
        }
        Finding::MailOk => (w.mail_ok.to_owned(), None),
        Finding::MailStuck { count, oldest_ms } => (
            fill(w.mail_stuck, &[count, &at(*oldest_ms)]),
            Some(w.advice_mail.to_owned()),
        ),
        Finding::MailboxOk(percent) => (fill(w.mailbox_ok, &[percent]), None),
        Finding::MailboxNearlyFull(percent) => (
            fill(w.mailbox_full, &[percent]),
            Some(w.advice_mailbox.to_owned()),
        ),
        Finding::PeersOk(count) => (fill(w.peers_ok, &[count]), None),
        Finding::PeersSilent(peers) => {
            let list: Vec<String> = peers
                .iter()
                .map(|(name, last)| {
                    let when = last.map_or_else(|| w.never.to_owned(), at);
                    format!("{name} ({when})")
                })
                .collect();
            (
                fill(w.peers_silent, &[&list.join(", ")]),
                Some(w.advice_peers.to_owned()),
            )
        }
        Finding::ClockOk => (w.clock_ok.to_owned(), None),
        Finding::ClockBehind(minutes) => (
            fill(w.clock_behind, &[minutes]),
            Some(w.advice_clock.to_owned()),
        ),
        Finding::DiskOk(free) => (fill(w.disk_ok, &[&size(*free)]), None),
        Finding::DiskLow(free) => (
            fill(w.disk_low, &[&size(*free)]),
            Some(w.advice_disk.to_owned()),
        ),
        Finding::DiskFull(free) => (
            fill(w.disk_full, &[&size(*free)]),
            Some(w.advice_disk.to_owned()),
        ),
        Finding::DiskUnknown(reason) => (fill(w.disk_unknown, &[reason]), None),
    }
}

/// The passphrase: from `TELECENTER_BACKUP_PASSPHRASE` (then not asked), else
/// asked on the terminal without echo (twice when `confirm`), else one line of
/// standard input.
fn passphrase(confirm: bool) -> Result<String> {
    use std::io::IsTerminal;
    let w = recovery();
    if let Some(value) = std::env::var_os(backup::PASSPHRASE_ENV).filter(|v| !v.is_empty()) {
        return value
            .into_string()
            .map_err(|_| anyhow!(fill(w.passphrase_unreadable, &[&"not UTF-8"])));
    }
    let unreadable = |e: std::io::Error| anyhow!(fill(w.passphrase_unreadable, &[&e]));
    let first = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(w.passphrase_prompt).map_err(unreadable)?;
        if confirm {
            let again = rpassword::prompt_password(w.passphrase_again).map_err(unreadable)?;
            if again != first {
                bail!(w.passphrase_mismatch);
            }
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(unreadable)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    let chars = first.chars().count();
    if !(backup::key::PASSPHRASE_CHARS_MIN..=backup::key::PASSPHRASE_CHARS_MAX).contains(&chars) {
        bail!(fill(
            w.passphrase_length,
            &[
                &backup::key::PASSPHRASE_CHARS_MIN,
                &backup::key::PASSPHRASE_CHARS_MAX,
                &chars
            ]
        ));
    }
    Ok(first)
}

/// A backup or restore error in the operator's words.
fn said(error: BackupError) -> anyhow::Error {
    let w = recovery();
    let path = |p: &Path| p.display().to_string();
    let line = match &error {
        BackupError::Exists(file) => fill(w.backup_exists, &[&path(file)]),
        BackupError::NotABackup { path: file, reason } => {
            fill(w.not_a_backup, &[&path(file), reason])
        }
        BackupError::TooNew { path: file, .. } => fill(w.backup_too_new, &[&path(file)]),
        BackupError::Damaged(detail) => fill(w.backup_damaged, &[detail]),
        BackupError::FolderHoldsNode(folder) => fill(w.restore_holds_node, &[&path(folder)]),
        BackupError::FolderNotEmpty(folder) => fill(w.restore_not_empty, &[&path(folder)]),
        BackupError::Key(KeyError::WrongPassphrase) => w.wrong_passphrase.to_owned(),
        BackupError::Key(KeyError::WrongCenter { expected, found }) => {
            fill(w.wrong_center, &[found, expected])
        }
        BackupError::Key(KeyError::PassphraseLength(chars)) => fill(
            w.passphrase_length,
            &[
                &backup::key::PASSPHRASE_CHARS_MIN,
                &backup::key::PASSPHRASE_CHARS_MAX,
                chars,
            ],
        ),
        _ => {
            return match error {
                BackupError::DataDir(e) => e.into(),
                BackupError::Node(e) => e.into(),
                e => e.into(),
            };
        }
    };
    anyhow!(line)
}

/// `telecenter backup FILE`.
pub(crate) fn backup(data: &DataDir, file: &Path, json: bool) -> Result<()> {
    let w = recovery();
    if !data.is_initialised() {
        return Err(telecenter_node::data_dir::DataDirError::NotInitialised(
            data.root().to_owned(),
        )
        .into());
    }
    // Refused before the passphrase is asked.
    if file.exists() {
        return Err(said(BackupError::Exists(file.to_owned())));
    }
    let passphrase = passphrase(true)?;
    let now_ms = SystemClock.now_ms();
    let report =
        backup::create_backup(data, file, &passphrase, now_ms, &mut SystemRandom).map_err(said)?;
    if json {
        return print_json(&report);
    }
    println!(
        "{}",
        fill(w.backup_done, &[&file.display(), &size(report.bytes)])
    );
    println!(
        "{}",
        fill(
            w.backup_holds,
            &[&report.own_listings, &report.orders, &report.ledger_entries]
        )
    );
    println!("{}", w.backup_keep);
    Ok(())
}

/// `telecenter --data NEW restore FILE`.
pub(crate) fn restore(data: &DataDir, file: &Path, json: bool) -> Result<()> {
    let w = recovery();
    // A folder that cannot take the restore is refused before the passphrase.
    let meta = backup::read_meta(file).map_err(said)?;
    if data.root().read_dir().is_ok_and(|mut d| d.next().is_some()) {
        let holds = data.is_initialised() || data.db_path().exists();
        return Err(said(if holds {
            BackupError::FolderHoldsNode(data.root().to_owned())
        } else {
            BackupError::FolderNotEmpty(data.root().to_owned())
        }));
    }
    let passphrase = passphrase(false)?;
    let report = backup::restore(
        data,
        file,
        &passphrase,
        std::sync::Arc::new(SystemClock),
        &mut SystemRandom,
    )
    .map_err(said)?;
    if json {
        return print_json(&report);
    }
    println!(
        "{}",
        fill(
            w.restored,
            &[
                &meta.center,
                &data.root().display(),
                &at(meta.created_at_ms)
            ]
        )
    );
    println!("{}", fill(w.restored_next, &[&data.root().display()]));
    Ok(())
}
