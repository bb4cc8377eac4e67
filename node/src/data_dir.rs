//! The data folder: everything one node keeps on disk, in one place.
//!
//! ```text
//! DATA/
//! ├─ config.toml      node settings an operator may edit (listen address;
//! │                   public_url also from the profile page)
//! ├─ identity.key     the center's secret key, hex (mode 0600; back it up!)
//! ├─ admin.token      bearer token for the local admin API (mode 0600)
//! ├─ operator.password argon2 hash of the operator's web password (mode 0600)
//! ├─ telecenter.db    the SQLite database (plus -wal and -shm files; mode 0600)
//! ├─ node.lock        held (OS file lock) by whichever process writes the database
//! └─ node.json        written by a serving node: where its admin API listens
//! ```
//!
//! On Unix the folder is mode 0700 and every file in it 0600, set when a center
//! is created and again whenever the folder is opened (which also fixes folders
//! made by older versions).
//!
//! Only one process writes the database at a time: the one holding the
//! `node.lock` file lock. While `telecenter serve` holds it, the CLI sends its
//! edits to the node's admin API instead (see `docs/ARCHITECTURE.md`). The OS
//! releases the lock when a process dies, so a killed node never leaves a stale lock.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rand::RngCore;
use serde::{Deserialize, Serialize};
use telecenter_protocol::Identity;
use telecenter_protocol::catalog::input::ProfileInput;

use crate::clock::Clock;
use crate::node::{Node, NodeError};
use crate::random::SystemRandom;

/// The default address a node listens on: loopback only, port 8470.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8470";

/// Node settings kept in `config.toml`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port of the HTTP server.
    pub listen: SocketAddr,
    /// Time between repair rounds with each peer, in ms (edits are pushed at once
    /// regardless).
    #[serde(default = "default_sync_interval_ms")]
    pub sync_interval_ms: u64,
    /// How far vouching reaches: 1 = only centers this node trusts directly,
    /// 2 = also centers they vouch for (default).
    #[serde(default = "default_vouch_depth")]
    pub vouch_depth: u32,
    /// The address people and peers use to reach this node, when it differs from
    /// `listen` (e.g. `https://hub.example` behind a TLS proxy). An `https://`
    /// address makes the operator's session cookies `Secure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// PEM certificate chain for serving HTTPS itself (with `tls_key`); the
    /// `serve --tls-cert` flag overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`; the `serve --tls-key` flag overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// Whether addresses other centers publish may be private (loopback, LAN,
    /// CGNAT, ...). Off by default; on only for several nodes on one machine
    /// or one LAN (demos, tests). Peer addresses the operator adds are always allowed.
    #[serde(default)]
    pub allow_private_addresses: bool,
    /// A PEM file of extra certificates to trust for `https://` peers (a private
    /// CA or a self-signed certificate), besides the usual public roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

fn default_sync_interval_ms() -> u64 {
    crate::sync::SYNC_INTERVAL_MS_DEFAULT
}

fn default_vouch_depth() -> u32 {
    crate::node::VOUCH_DEPTH_DEFAULT
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8470))),
            sync_interval_ms: default_sync_interval_ms(),
            vouch_depth: default_vouch_depth(),
            public_url: None,
            tls_cert: None,
            tls_key: None,
            allow_private_addresses: false,
            ca_file: None,
        }
    }
}

/// What a serving node writes so the CLI can find it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RuntimeInfo {
    /// Base URL of the node's HTTP server, e.g. `http://127.0.0.1:8470`.
    pub url: String,
    /// The serving process.
    pub pid: u32,
}

/// Why the data folder could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// The folder holds no initialised center.
    #[error("{0} is not set up yet: run 'telecenter init --name NAME --region REGION' first")]
    NotInitialised(PathBuf),
    /// The folder already holds a center.
    #[error("{0} already holds a center; use another --data folder to create a new one")]
    AlreadyInitialised(PathBuf),
    /// A database exists without its identity key.
    #[error(
        "{0} holds a database but no identity.key: an earlier 'init' was interrupted or the key was lost; restore identity.key from a backup, or remove telecenter.db to start over"
    )]
    MissingIdentity(PathBuf),
    /// Another process holds the write lock and no serving node was found.
    #[error("the data folder {0} is in use by another telecenter command; try again in a moment")]
    Busy(PathBuf),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The new operator password breaks the rule (its length), or hashing failed.
    #[error(transparent)]
    Password(#[from] crate::password::PasswordError),
    /// A file has content that cannot be read.
    #[error("{path} is damaged: {reason}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The node could not be opened or created.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The outgoing-connection settings cannot be used (e.g. a bad CA file).
    #[error(transparent)]
    Net(#[from] crate::net::NetError),
}

/// The data folder of one node.
#[derive(Clone, Debug)]
pub struct DataDir {
    root: PathBuf,
}

/// What a restore puts into an empty data folder (see [`DataDir::lay_out_restored`]).
#[derive(Debug)]
pub struct Restored<'a> {
    /// The center's identity, opened from the backup.
    pub identity: &'a Identity,
    /// The text of `config.toml`.
    pub config_toml: &'a str,
    /// The operator password's hash, if the backup had one.
    pub operator_password: Option<&'a str>,
    /// The operator's search words file, if the backup had one.
    pub search_words: Option<&'a str>,
    /// The database, prepared beside its place in the folder; moved into place.
    pub db: &'a Path,
}

/// Holds the data folder's write lock until dropped.
#[derive(Debug)]
pub struct WriteLock {
    _file: File,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> DataDirError + '_ {
    move |source| DataDirError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes a file readable only by its owner (on Unix), atomically: a crash leaves
/// either the old file or the new one.
pub(crate) fn write_private(path: &Path, contents: &str) -> Result<(), DataDirError> {
    let tmp = path.with_extension("tmp");
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(io_error(&tmp))?;
    file.write_all(contents.as_bytes())
        .map_err(io_error(&tmp))?;
    file.sync_all().map_err(io_error(&tmp))?;
    fs::rename(&tmp, path).map_err(io_error(path))?;
    Ok(())
}

/// Creates `root` (and missing parents) readable only by its owner (on Unix).
fn create_private_dir(root: &Path) -> Result<(), DataDirError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(root).map_err(io_error(root))
}

/// Sets the mode of `path` (on Unix), if it exists.
fn set_mode(path: &Path, mode: u32) -> Result<(), DataDirError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match fs::set_permissions(path, fs::Permissions::from_mode(mode)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_error(path)(e)),
            _ => {}
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

impl DataDir {
    /// The data folder at `root` (it may not exist yet).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The SQLite database.
    pub fn db_path(&self) -> PathBuf {
        self.root.join("telecenter.db")
    }

    fn identity_path(&self) -> PathBuf {
        self.root.join("identity.key")
    }

    fn token_path(&self) -> PathBuf {
        self.root.join("admin.token")
    }

    fn config_path(&self) -> PathBuf {
        self.root.join("config.toml")
    }

    /// The operator password hash (argon2), for the operator web pages.
    pub fn password_path(&self) -> PathBuf {
        self.root.join("operator.password")
    }

    /// Stores a new operator password (hashed).
    pub fn set_operator_password(&self, password: &str) -> Result<(), DataDirError> {
        let hash = crate::password::hash_password(password, &mut SystemRandom)?;
        write_private(&self.password_path(), &hash)
    }

    fn lock_path(&self) -> PathBuf {
        self.root.join("node.lock")
    }

    fn runtime_path(&self) -> PathBuf {
        self.root.join("node.json")
    }

    /// Makes the folder 0700 and its files 0600 (on Unix), also those of a folder
    /// made by an older telecenter: they hold the secret key, the admin token and
    /// buyers' names and phones. (The database's own files are made private when
    /// it is opened, see `Store::open`.)
    fn make_private(&self) -> Result<(), DataDirError> {
        set_mode(&self.root, 0o700)?;
        for file in self.private_files().into_iter().take(6) {
            set_mode(&file, 0o600)?;
        }
        Ok(())
    }

    /// The files of the folder that must be readable by their owner only (0600
    /// on Unix, the folder itself 0700): identity key, admin token, config,
    /// operator password, lock, runtime file, then the database with its `-wal`
    /// and `-shm` files (whose modes the store sets). Missing ones included.
    pub fn private_files(&self) -> Vec<PathBuf> {
        let db = self.db_path();
        let beside = |suffix: &str| {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        };
        vec![
            self.identity_path(),
            self.token_path(),
            self.config_path(),
            self.password_path(),
            self.lock_path(),
            self.runtime_path(),
            db.clone(),
            beside("-wal"),
            beside("-shm"),
        ]
    }

    /// The identity key file.
    pub fn identity_file(&self) -> PathBuf {
        self.identity_path()
    }

    /// The node settings file.
    pub fn config_file(&self) -> PathBuf {
        self.config_path()
    }

    /// Writes a new random admin token.
    fn write_new_token(&self, random: &mut dyn RngCore) -> Result<(), DataDirError> {
        let mut token = [0u8; 32];
        random.fill_bytes(&mut token);
        write_private(&self.token_path(), &hex::encode(token))
    }

    /// Lays out a restored center in this (empty) folder: a new admin token,
    /// `config_toml` (checked to be a valid config), the operator's password
    /// hash and search words when the backup had them, the database prepared at
    /// `db` (moved into place), and the identity key last, so that an
    /// interrupted restore never looks like a complete center.
    pub fn lay_out_restored(
        &self,
        restored: &Restored<'_>,
        random: &mut dyn RngCore,
        _lock: &WriteLock,
    ) -> Result<(), DataDirError> {
        if self.identity_path().exists() || self.db_path().exists() {
            return Err(DataDirError::AlreadyInitialised(self.root.clone()));
        }
        toml::from_str::<Config>(restored.config_toml).map_err(|e| DataDirError::Damaged {
            path: self.config_path(),
            reason: e.message().to_owned(),
        })?;
        self.make_private()?;
        self.write_new_token(random)?;
        write_private(&self.config_path(), restored.config_toml)?;
        if let Some(hash) = restored.operator_password {
            write_private(&self.password_path(), hash)?;
        }
        if let Some(words) = restored.search_words {
            let path = self.root.join(crate::search::OPERATOR_FILE);
            write_private(&path, words)?;
        }
        set_mode(restored.db, 0o600)?;
        fs::rename(restored.db, self.db_path()).map_err(io_error(&self.db_path()))?;
        write_private(&self.identity_path(), &restored.identity.to_secret_hex())?;
        Ok(())
    }

    /// Whether a center has been created here.
    pub fn is_initialised(&self) -> bool {
        self.identity_path().exists() && self.db_path().exists()
    }

    /// Takes the write lock, or returns `None` if another process holds it.
    pub fn try_lock(&self) -> Result<Option<WriteLock>, DataDirError> {
        create_private_dir(&self.root)?;
        let path = self.lock_path();
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path).map_err(io_error(&path))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(WriteLock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(io_error(&path)(e)),
        }
    }

    /// Creates a new center here: identity, admin token, config and database with
    /// the catalog's genesis change. Fails if one already exists.
    pub fn init(
        &self,
        profile: &ProfileInput,
        clock: Arc<dyn Clock>,
        _lock: &WriteLock,
    ) -> Result<Node, DataDirError> {
        if self.identity_path().exists() {
            return Err(DataDirError::AlreadyInitialised(self.root.clone()));
        }
        if self.db_path().exists() {
            return Err(DataDirError::MissingIdentity(self.root.clone()));
        }
        profile.validate_new().map_err(NodeError::from)?;
        self.make_private()?;
        let identity = Identity::generate(&mut SystemRandom);
        self.write_new_token(&mut SystemRandom)?;
        let config = toml::to_string(&Config::default()).map_err(|e| DataDirError::Damaged {
            path: self.config_path(),
            reason: e.to_string(),
        })?;
        write_private(
            &self.config_path(),
            &format!("# telecenter node settings\n{config}"),
        )?;
        // The database first: if the key were written first and the database
        // failed, the folder would look initialised without a catalog.
        let secret = identity.to_secret_hex();
        let node = Node::create(
            &self.db_path(),
            identity,
            profile,
            clock,
            Box::new(SystemRandom),
        )?;
        write_private(&self.identity_path(), &secret)?;
        Ok(node)
    }

    /// Opens the node stored here. The caller must hold the write lock.
    pub fn open(&self, clock: Arc<dyn Clock>, _lock: &WriteLock) -> Result<Node, DataDirError> {
        if self.db_path().exists() && !self.identity_path().exists() {
            return Err(DataDirError::MissingIdentity(self.root.clone()));
        }
        if !self.is_initialised() {
            return Err(DataDirError::NotInitialised(self.root.clone()));
        }
        self.make_private()?;
        let identity = self.identity()?;
        let config = self.config()?;
        let node = Node::open(&self.db_path(), identity, clock, Box::new(SystemRandom))?;
        if config.vouch_depth != crate::node::VOUCH_DEPTH_DEFAULT {
            node.set_vouch_depth(config.vouch_depth)?;
        }
        node.set_outgoing(self.outgoing_of(&config)?);
        Ok(node)
    }

    /// How this node makes outgoing connections: `allow_private_addresses`
    /// and `ca_file` from `config.toml`, plus the CA file named by the
    /// environment variable `TELECENTER_CA_FILE`. A CA file that cannot be used
    /// is an error (so a mistake shows at start, not at the first connection).
    pub fn outgoing(&self) -> Result<crate::net::Outgoing, DataDirError> {
        self.outgoing_of(&self.config()?)
    }

    fn outgoing_of(&self, config: &Config) -> Result<crate::net::Outgoing, DataDirError> {
        let mut outgoing = crate::net::Outgoing::new(config.allow_private_addresses);
        let from_env = std::env::var_os(crate::net::CA_FILE_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        // A relative path in config.toml is relative to the data folder.
        let from_config = config.ca_file.as_ref().map(|file| self.root.join(file));
        for path in from_config.iter().chain(from_env.iter()) {
            outgoing = outgoing.with_ca_file(path)?;
        }
        Ok(outgoing)
    }

    /// The center's identity.
    pub fn identity(&self) -> Result<Identity, DataDirError> {
        let path = self.identity_path();
        let text = fs::read_to_string(&path).map_err(io_error(&path))?;
        Identity::from_secret_hex(&text).map_err(|e| DataDirError::Damaged {
            path,
            reason: e.to_string(),
        })
    }

    /// The admin API token.
    pub fn admin_token(&self) -> Result<String, DataDirError> {
        let path = self.token_path();
        let text = fs::read_to_string(&path).map_err(io_error(&path))?;
        Ok(text.trim().to_owned())
    }

    /// The node settings (defaults if the file is missing).
    pub fn config(&self) -> Result<Config, DataDirError> {
        let path = self.config_path();
        match fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| DataDirError::Damaged {
                path,
                reason: e.message().to_owned(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(io_error(&path)(e)),
        }
    }

    /// Sets (`Some`) or removes (`None`) the `public_url` line of
    /// `config.toml`, keeping the operator's comments, order and other keys
    /// (a missing file is created with the defaults). The result must still be
    /// a valid config, and is written atomically (0600).
    pub fn set_public_url(&self, url: Option<&str>) -> Result<(), DataDirError> {
        let path = self.config_path();
        let damaged = |reason: String| DataDirError::Damaged {
            path: path.clone(),
            reason,
        };
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let config =
                    toml::to_string(&Config::default()).map_err(|e| damaged(e.to_string()))?;
                format!("# telecenter node settings\n{config}")
            }
            Err(e) => return Err(io_error(&path)(e)),
        };
        let mut document: toml_edit::DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| damaged(e.message().to_owned()))?;
        match url {
            Some(url) => document["public_url"] = toml_edit::value(url),
            None => {
                document.remove("public_url");
            }
        }
        let edited = document.to_string();
        toml::from_str::<Config>(&edited).map_err(|e| damaged(e.message().to_owned()))?;
        write_private(&path, &edited)
    }

    /// Records where the serving node listens.
    pub fn write_runtime(&self, info: &RuntimeInfo) -> Result<(), DataDirError> {
        let text = serde_json::to_string(info).map_err(|e| DataDirError::Damaged {
            path: self.runtime_path(),
            reason: e.to_string(),
        })?;
        write_private(&self.runtime_path(), &text)
    }

    /// Where the serving node listens, if it said so.
    pub fn runtime(&self) -> Result<Option<RuntimeInfo>, DataDirError> {
        let path = self.runtime_path();
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| DataDirError::Damaged {
                    path,
                    reason: e.to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(&path)(e)),
        }
    }

    /// Forgets the runtime file (when the node stops).
    pub fn clear_runtime(&self) {
        let _ = fs::remove_file(self.runtime_path());
    }
}
