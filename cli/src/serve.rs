//! `telecenter serve`: takes the data folder's lock, opens (or creates the
//! sample) node, listens (HTTPS when configured, with a loopback admin listener
//! for the CLI), syncs in the background and stops cleanly on Ctrl-C.
//!
//! Stopping: the first Ctrl-C (or SIGTERM) ends the sync loops and their long
//! polls at once, tells the servers to stop (long polls from peers answer at
//! once, other requests get [`server::SHUTDOWN_GRACE_MS`]) and says how many
//! connections it waits for; a second Ctrl-C ends the process at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use telecenter_node::SystemClock;
use telecenter_node::app;
use telecenter_node::data_dir::{DataDir, RuntimeInfo};
use telecenter_node::sample;
use telecenter_node::server::{self, AppState};
use telecenter_node::sync::SyncEngine;

use crate::cli::ServeArgs;
use crate::output;
use crate::setup::indonesian;

/// What `telecenter serve` says while it stops, in the operator's language.
fn stopping_line(open: usize) -> String {
    match (indonesian(), open) {
        (true, 0) => "berhenti…".to_owned(),
        (true, n) => format!(
            "berhenti: menunggu {n} sambungan selesai… (tekan Ctrl-C lagi untuk langsung berhenti)"
        ),
        (false, 0) => "stopping…".to_owned(),
        (false, 1) => {
            "stopping: waiting for 1 connection to finish… (Ctrl-C again to stop at once)"
                .to_owned()
        }
        (false, n) => format!(
            "stopping: waiting for {n} connections to finish… (Ctrl-C again to stop at once)"
        ),
    }
}

/// Exit code of a second Ctrl-C (128 + SIGINT, as shells report it).
const FORCED_EXIT_CODE: i32 = 130;

/// `telecenter serve`: runs the node until Ctrl-C.
pub(crate) async fn serve(data: &DataDir, args: ServeArgs, json: bool) -> Result<()> {
    // A CLI command may hold the lock for a moment; wait a little before giving up.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let lock = loop {
        if let Some(lock) = data.try_lock()? {
            break lock;
        }
        if tokio::time::Instant::now() >= deadline {
            bail!(
                "the data folder {} is in use: is another 'telecenter serve' running?",
                data.root().display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let node = if !data.is_initialised() && args.sample {
        let node = data.init(&sample::sample_profile()?, Arc::new(SystemClock), &lock)?;
        let added = sample::add_sample_listings_with_pictures(&node, 0)?;
        tracing::info!(added, "created a sample center");
        node
    } else {
        data.open(Arc::new(SystemClock), &lock)?
    };
    let config = data.config()?;
    let listen = args.listen.unwrap_or(config.listen);
    let tls = match (
        args.tls_cert.or(config.tls_cert.clone()),
        args.tls_key.or(config.tls_key.clone()),
    ) {
        (Some(cert), Some(key)) => Some(server::load_tls(&cert, &key)?),
        (None, None) => None,
        _ => bail!("HTTPS needs both a certificate and its key (--tls-cert and --tls-key)"),
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{addr}");
    // The CLI reaches the admin API on this computer over plain HTTP: the main
    // listener when it is plain, else a second listener on loopback only.
    let admin_listener = if tls.is_some() {
        Some(
            tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
                .await
                .context("cannot open the local admin listener")?,
        )
    } else {
        None
    };
    let admin_addr = match &admin_listener {
        Some(l) => l.local_addr()?,
        None if addr.ip().is_unspecified() => {
            SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        None => addr,
    };
    data.write_runtime(&RuntimeInfo {
        url: format!("http://{admin_addr}"),
        pid: std::process::id(),
    })?;
    let profile = node.profile()?;
    output::serving(&profile, &url, json)?;
    let secure_cookies = tls.is_some()
        || config
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"));
    let node = Arc::new(node);
    let engine = SyncEngine::new(node.clone())?;
    let background = engine.clone().spawn(config.sync_interval_ms);
    let token = data.admin_token()?;
    let mut state = AppState::new(node, Some(&token));
    state.sync = Some(engine);
    state.public_url = Arc::new(
        telecenter_node::server::PublicUrl::new(config.public_url.as_deref())
            .saved_in(data.clone()),
    );
    state.operator = Arc::new(
        telecenter_node::server::session::OperatorState::new(data.password_path())
            .with_secure_cookies(secure_cookies),
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let admin_server = admin_listener
        .map(|l| tokio::spawn(app::serve(state.clone(), l, stopped(stop_rx.clone()))));
    let on_stopping: server::OnStopping = Arc::new(|open| eprintln!("{}", stopping_line(open)));
    let options = server::ServeOptions {
        tls,
        on_stopping: Some(on_stopping),
        ..server::ServeOptions::default()
    };
    let main_server = app::serve_with(state, listener, options, stopped(stop_rx));
    let forced = data.clone();
    let signal = async move {
        server::shutdown_signal().await;
        // The sync loops first: their long polls to peers are dropped with them.
        background.abort();
        let _ = stop_tx.send(true);
        // A second Ctrl-C does not wait for anything.
        tokio::spawn(async move {
            server::shutdown_signal().await;
            forced.clear_runtime();
            std::process::exit(FORCED_EXIT_CODE);
        });
    };
    let (result, ()) = tokio::join!(main_server, signal);
    if let Some(admin_server) = admin_server {
        let _ = admin_server.await;
    }
    data.clear_runtime();
    drop(lock);
    result.context("the HTTP server stopped")?;
    eprintln!(
        "{}",
        if indonesian() {
            "sudah berhenti"
        } else {
            "stopped"
        }
    );
    Ok(())
}
