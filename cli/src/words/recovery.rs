//! The words of `doctor`, `backup` and `restore`, one table per language
//! (kept beside the main tables in `id.rs` and `en.rs`, which are long
//! already); `{}` marks a value, filled with `fill`.

use super::{Lang, lang};

macro_rules! recovery_table {
    ($($(#[doc = $doc:literal])* $name:ident,)*) => {
        /// Every text of the recovery commands.
        pub(crate) struct Recovery {
            $($(#[doc = $doc])* pub(crate) $name: &'static str,)*
        }

        impl Recovery {
            /// Every text, with its field name (for the test that walks the tables).
            #[cfg(test)]
            pub(crate) fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($name), self.$name)),*]
            }
        }
    };
}

recovery_table! {
    /// Status marks.
    mark_ok,
    mark_warn,
    mark_fail,
    /// What to do: {} the advice.
    advice,
    /// Check names.
    name_database,
    name_identity,
    name_permissions,
    name_disk,
    name_outbox,
    name_mail,
    name_mailbox,
    name_peers,
    name_clock,
    /// {} version.
    database_ok,
    database_missing,
    /// {} detail.
    database_unreadable,
    /// {} detail.
    database_damaged,
    /// {} folder.
    advice_database,
    /// {} center.
    identity_ok,
    identity_missing,
    /// {} detail.
    identity_damaged,
    /// {} center.
    identity_mismatch,
    advice_identity,
    permissions_ok,
    /// {} files with modes.
    permissions_loose,
    /// {} folder, {} folder.
    advice_permissions,
    /// {} free.
    disk_ok,
    /// {} free.
    disk_low,
    /// {} free.
    disk_full,
    /// {} reason.
    disk_unknown,
    advice_disk,
    /// {} waiting.
    outbox_ok,
    /// {} count, {} center, {} since.
    outbox_stuck,
    advice_outbox,
    mail_ok,
    /// {} count, {} since.
    mail_stuck,
    advice_mail,
    /// {} percent.
    mailbox_ok,
    /// {} percent.
    mailbox_full,
    advice_mailbox,
    /// {} peers.
    peers_ok,
    /// {} names and times.
    peers_silent,
    never,
    advice_peers,
    clock_ok,
    /// {} minutes.
    clock_behind,
    advice_clock,
    /// {} problems.
    doctor_problems,
    doctor_all_ok,
    /// Passphrase.
    passphrase_prompt,
    passphrase_again,
    passphrase_mismatch,
    /// {} min, {} max, {} typed.
    passphrase_length,
    /// {} error.
    passphrase_unreadable,
    /// {} file, {} size.
    backup_done,
    /// {} listings, {} orders, {} ledger entries.
    backup_holds,
    backup_keep,
    /// {} file.
    backup_exists,
    /// {} file, {} reason.
    not_a_backup,
    /// {} file.
    backup_too_new,
    /// {} detail.
    backup_damaged,
    /// {} folder.
    restore_holds_node,
    /// {} folder.
    restore_not_empty,
    wrong_passphrase,
    /// {} key's center, {} backup's center.
    wrong_center,
    /// {} center, {} folder, {} date.
    restored,
    /// {} folder.
    restored_next,
}

const ID: Recovery = Recovery {
    mark_ok: "OK",
    mark_warn: "PERHATIAN",
    mark_fail: "MASALAH",
    advice: "  Yang perlu dilakukan: {}",
    name_database: "Basis data",
    name_identity: "Kunci identitas",
    name_permissions: "Izin berkas",
    name_disk: "Ruang disk",
    name_outbox: "Kabar pesanan",
    name_mail: "Surat tersegel",
    name_mailbox: "Kotak surat titipan",
    name_peers: "Rekan",
    name_clock: "Jam komputer",
    database_ok: "utuh (versi skema {})",
    database_missing: "telecenter.db tidak ada",
    database_unreadable: "tidak bisa dibaca: {}",
    database_damaged: "rusak: {}",
    advice_database: "hentikan node, salin folder {} ke tempat aman, lalu pulihkan cadangan terakhir ke folder baru: telecenter --data FOLDER-BARU restore BERKAS",
    identity_ok: "ada dan cocok dengan basis data ({})",
    identity_missing: "identity.key tidak ada",
    identity_damaged: "identity.key rusak: {}",
    identity_mismatch: "identity.key milik {}, tetapi basis data tidak memuat katalog pusat itu",
    advice_identity: "pulihkan dari cadangan ke folder baru: telecenter --data FOLDER-BARU restore BERKAS",
    permissions_ok: "folder hanya untuk pemiliknya (0700), berkas 0600",
    permissions_loose: "bisa dibaca pengguna lain: {}",
    advice_permissions: "jalankan: chmod 700 {} && chmod 600 {}/* (atau jalankan node: ia memperbaikinya sendiri)",
    disk_ok: "{} kosong",
    disk_low: "tinggal {} kosong",
    disk_full: "hampir penuh: tinggal {} kosong",
    disk_unknown: "tidak bisa diukur: {}",
    advice_disk: "hapus berkas yang tidak perlu atau pindahkan cadangan lama ke tempat lain",
    outbox_ok: "{} kabar menunggu, tidak ada yang lama",
    outbox_stuck: "{} kabar menunggu; yang tertua untuk {} sejak {}",
    advice_outbox: "periksa sambungan ke pusat itu (telecenter peer list, telecenter sync); kabar dikirim ulang sendiri",
    mail_ok: "tidak ada surat yang tertahan lama",
    mail_stuck: "{} surat tertahan lebih dari sehari, yang tertua sejak {}",
    advice_mail: "periksa sambungan internet dan rekan (telecenter peer list); surat dikirim ulang sendiri dan hangus setelah 14 hari",
    mailbox_ok: "terisi {}%",
    mailbox_full: "terisi {}% dari batasnya",
    advice_mailbox: "surat titipan untuk pusat yang lama tidak tersambung memenuhi kotak; minta pusat itu tersambung lagi (surat hangus setelah 14 hari)",
    peers_ok: "{} rekan, semua tersambung dalam sehari terakhir",
    peers_silent: "tidak tersambung lebih dari sehari: {}",
    never: "belum pernah",
    advice_peers: "periksa internet dan alamat rekan: telecenter peer list, lalu telecenter sync",
    clock_ok: "sesuai",
    clock_behind: "terlambat sekitar {} menit dibanding jam pusat lain",
    advice_clock: "atur jam komputer (nyalakan waktu otomatis: timedatectl set-ntp true)",
    doctor_problems: "{} pemeriksaan menemukan masalah",
    doctor_all_ok: "Semua baik.",
    passphrase_prompt: "Kata sandi cadangan: ",
    passphrase_again: "Ketik lagi kata sandi cadangan: ",
    passphrase_mismatch: "kedua kata sandi berbeda; tidak ada yang dibuat",
    passphrase_length: "kata sandi cadangan harus {} sampai {} karakter, yang diketik {}",
    passphrase_unreadable: "kata sandi cadangan tidak bisa dibaca: {} (untuk skrip: isi TELECENTER_BACKUP_PASSPHRASE)",
    backup_done: "Cadangan dibuat: {} ({})",
    backup_holds: "Berisi {} produk pusat ini, {} pesanan, {} catatan komisi, kunci identitas (terkunci kata sandi) dan config.toml.",
    backup_keep: "Simpan berkas ini di tempat lain (flashdisk, komputer lain) dan ingat kata sandinya: tanpa kata sandi cadangan tidak bisa dipulihkan.",
    backup_exists: "{} sudah ada; cadangan tidak pernah menimpa berkas, pilih nama lain",
    not_a_backup: "{} bukan cadangan telecenter ({})",
    backup_too_new: "{} dibuat oleh telecenter yang lebih baru; perbarui telecenter dulu",
    backup_damaged: "salinan basis data rusak: {}",
    restore_holds_node: "folder {} sudah berisi node; pulihkan hanya ke folder kosong atau baru (tidak ada yang diubah)",
    restore_not_empty: "folder {} tidak kosong; pulihkan hanya ke folder kosong atau baru (tidak ada yang diubah)",
    wrong_passphrase: "kata sandi cadangan salah, atau kunci di dalam cadangan diubah; tidak ada yang ditulis",
    wrong_center: "kunci di dalam cadangan milik {}, bukan pusat cadangan {}; tidak ada yang ditulis",
    restored: "Dipulihkan: {} di folder {} (cadangan {}).",
    restored_next: "Token admin baru dibuat. Jalankan: telecenter --data {} serve",
};

const EN: Recovery = Recovery {
    mark_ok: "OK",
    mark_warn: "WARNING",
    mark_fail: "PROBLEM",
    advice: "  What to do: {}",
    name_database: "Database",
    name_identity: "Identity key",
    name_permissions: "File permissions",
    name_disk: "Disk space",
    name_outbox: "Order messages",
    name_mail: "Sealed mail",
    name_mailbox: "Relay mailbox",
    name_peers: "Peers",
    name_clock: "Clock",
    database_ok: "intact (schema version {})",
    database_missing: "there is no telecenter.db",
    database_unreadable: "cannot be read: {}",
    database_damaged: "damaged: {}",
    advice_database: "stop the node, copy the folder {} somewhere safe, then restore the last backup into a new folder: telecenter --data NEW-FOLDER restore FILE",
    identity_ok: "present and matches the database ({})",
    identity_missing: "there is no identity.key",
    identity_damaged: "identity.key is damaged: {}",
    identity_mismatch: "identity.key belongs to {}, but the database holds no catalog of that center",
    advice_identity: "restore a backup into a new folder: telecenter --data NEW-FOLDER restore FILE",
    permissions_ok: "the folder is its owner's only (0700), files 0600",
    permissions_loose: "readable by other users: {}",
    advice_permissions: "run: chmod 700 {} && chmod 600 {}/* (or start the node: it fixes them itself)",
    disk_ok: "{} free",
    disk_low: "only {} free",
    disk_full: "nearly full: only {} free",
    disk_unknown: "cannot be measured: {}",
    advice_disk: "delete files you do not need or move old backups elsewhere",
    outbox_ok: "{} messages waiting, none for long",
    outbox_stuck: "{} messages waiting; the oldest, for {}, since {}",
    advice_outbox: "check the connection to that center (telecenter peer list, telecenter sync); messages are sent again by themselves",
    mail_ok: "no mail held for long",
    mail_stuck: "{} mails held for more than a day, the oldest since {}",
    advice_mail: "check the internet connection and the peers (telecenter peer list); mail is sent again by itself and expires after 14 days",
    mailbox_ok: "{}% full",
    mailbox_full: "{}% of its quota full",
    advice_mailbox: "mail carried for centers that have not connected for long fills it; ask those centers to connect again (mail expires after 14 days)",
    peers_ok: "{} peers, all reached within the last day",
    peers_silent: "not reached for more than a day: {}",
    never: "never",
    advice_peers: "check the internet connection and the peers' addresses: telecenter peer list, then telecenter sync",
    clock_ok: "agrees",
    clock_behind: "about {} minutes behind other centers' clocks",
    advice_clock: "set the computer's clock (turn on automatic time: timedatectl set-ntp true)",
    doctor_problems: "{} checks found a problem",
    doctor_all_ok: "All is well.",
    passphrase_prompt: "Backup passphrase: ",
    passphrase_again: "Type the backup passphrase again: ",
    passphrase_mismatch: "the two passphrases differ; nothing was made",
    passphrase_length: "the backup passphrase must have {} to {} characters, typed {}",
    passphrase_unreadable: "cannot read the backup passphrase: {} (for scripts: set TELECENTER_BACKUP_PASSPHRASE)",
    backup_done: "Backup made: {} ({})",
    backup_holds: "It holds {} listings of this center, {} orders, {} ledger entries, the identity key (locked with the passphrase) and config.toml.",
    backup_keep: "Keep this file somewhere else (a memory stick, another computer) and remember the passphrase: without it the backup cannot be restored.",
    backup_exists: "{} already exists; a backup never overwrites a file: choose another name",
    not_a_backup: "{} is not a telecenter backup ({})",
    backup_too_new: "{} was made by a newer telecenter; upgrade telecenter first",
    backup_damaged: "the database copy is damaged: {}",
    restore_holds_node: "the folder {} already holds a node; restore only into an empty or new folder (nothing was changed)",
    restore_not_empty: "the folder {} is not empty; restore only into an empty or new folder (nothing was changed)",
    wrong_passphrase: "wrong backup passphrase, or the key inside the backup was altered; nothing was written",
    wrong_center: "the key inside the backup belongs to {}, not to the backup's center {}; nothing was written",
    restored: "Restored: {} in the folder {} (backup of {}).",
    restored_next: "A new admin token was made. Run: telecenter --data {} serve",
};

/// The recovery words of this process's language.
pub(crate) fn recovery() -> &'static Recovery {
    match lang() {
        Lang::Id => &ID,
        Lang::En => &EN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recovery_text_is_in_both_languages_with_the_same_values() {
        for ((name, id), (_, en)) in ID.entries().into_iter().zip(EN.entries()) {
            assert!(!id.trim().is_empty() && !en.trim().is_empty(), "{name}");
            assert_eq!(id.matches("{}").count(), en.matches("{}").count(), "{name}");
            if !["mark_ok"].contains(&name) {
                assert_ne!(id, en, "{name} is not translated");
            }
        }
    }
}
