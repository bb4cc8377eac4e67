//! Simulated power cuts (feature `fault-injection`, for the deterministic
//! simulation only): the database files as they are on disk at one chosen row
//! write inside a transaction, so a restart from them loses exactly what had
//! not committed — at any point of a transaction, not only between them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rusqlite::hooks::Action;

use super::{Store, StoreError};

/// A power cut armed on a store's writing connection.
#[derive(Debug)]
pub struct PowerCut {
    rows_left: AtomicU64,
    fired: AtomicBool,
    db: PathBuf,
    image: PathBuf,
}

impl PowerCut {
    /// Whether the cut happened (the image holds the files of that instant).
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    /// The folder holding the image: `telecenter.db` and, if there was one, its `-wal`.
    pub fn image(&self) -> &Path {
        &self.image
    }

    fn on_row_write(&self) {
        if self.fired() {
            return;
        }
        if self.rows_left.fetch_sub(1, Ordering::SeqCst) != 1 {
            return;
        }
        // What is on disk now: every committed transaction (synchronous=FULL),
        // and at most pages of the open one without its commit frame, which
        // SQLite's recovery ignores. The shared-memory index is rebuilt on open.
        let copied = std::fs::create_dir_all(&self.image).and_then(|()| {
            std::fs::copy(&self.db, self.image.join("telecenter.db"))?;
            let mut wal = self.db.as_os_str().to_owned();
            wal.push("-wal");
            match std::fs::copy(PathBuf::from(wal), self.image.join("telecenter.db-wal")) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
                other => other,
            }
        });
        if let Err(error) = copied {
            tracing::error!(%error, "power cut image not written");
        }
        self.fired.store(true, Ordering::SeqCst);
    }
}

impl Store {
    /// Arms a power cut at the `rows`-th row written from now on this
    /// connection (database file `db`); the image goes to the folder `image`.
    pub fn arm_power_cut(
        &mut self,
        db: &Path,
        rows: u64,
        image: &Path,
    ) -> Result<Arc<PowerCut>, StoreError> {
        let cut = Arc::new(PowerCut {
            rows_left: AtomicU64::new(rows.max(1)),
            fired: AtomicBool::new(false),
            db: db.to_owned(),
            image: image.to_owned(),
        });
        let hook = cut.clone();
        self.conn
            .update_hook(Some(move |_: Action, _: &str, _: &str, _: i64| {
                hook.on_row_write();
            }))?;
        Ok(cut)
    }
}
