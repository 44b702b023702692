//! `frontegg-emulator`: a local imitation of the Frontegg identity REST API.
//!
//! It speaks the hosted service's dialect (paths, field names, cookies, error shape) for the
//! flows the SDK covers, stores everything in SQLite, and adds developer endpoints under
//! `/emulator/v1` for tests. The contract is `EMULATOR.md`; [`run`] is the whole program.

pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod keys;
pub mod limits;
pub mod password;
pub mod routes;
pub mod seed;
pub mod state;
pub mod store;
pub mod tokens;

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use config::{Cli, Settings};

/// Errors that stop the emulator from starting or serving.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Starts the emulator as the command line asks and serves until the process ends.
///
/// The first line on stdout is `listening on http://HOST:PORT` with the port actually bound, so a
/// caller that passed `--port 0` learns where to connect.
pub async fn run(cli: Cli) -> Result<(), BoxError> {
    let settings = match &cli.config {
        Some(path) => Settings::from_toml_file(path)?,
        None => Settings::default(),
    };
    let clock = clock::Clock::new();
    let store = store::Store::open(&cli.storage())?;
    if store.is_empty()? {
        seed::apply(&store, cli.seed, clock.now()).await?;
    }
    let key = load_or_create_key(&store, clock.now()).await?;

    let listener = tokio::net::TcpListener::bind((cli.host.as_str(), cli.port))
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", cli.host, cli.port))?;
    let address = format!("http://{}", listener.local_addr()?);
    let state = Arc::new(state::AppState::new(
        store,
        key,
        clock,
        settings,
        cli.seed,
        config::Access {
            origins: cli.allow_origins.clone(),
            hosts: cli.allow_hosts.clone(),
        },
        address.clone(),
    ));
    let app = routes::router(state, cli.serve.as_deref());

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {address}")?;
    stdout.flush()?;
    drop(stdout);

    serve(listener, app).await
}

/// At most this many connections at once; more are closed as they come. Far more than tests
/// and load runs keep open; where the process's file descriptors run out first (256 by default
/// on macOS), accepting waits until the header timeout has freed some.
const MAX_CONNECTIONS: usize = 1024;
/// How long a client may take to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until the process ends. Unlike `axum::serve`, a client that sends
/// its headers slowly (or never) is dropped after [`HEADER_READ_TIMEOUT`], and connections are
/// capped, so a stuck or hostile local client can't take the emulator's sockets.
async fn serve(listener: tokio::net::TcpListener, app: axum::Router) -> Result<(), BoxError> {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // One client's connection that failed on the way in: the next one.
            Err(e) if is_connection_error(&e) => continue,
            // Out of file descriptors, say: wait for some to be freed, as axum::serve does.
            Err(_) => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            continue;
        };
        // Connect info gives handlers the client IP for per-IP attempt limits.
        let app = app
            .clone()
            .layer(axum::Extension(axum::extract::ConnectInfo(peer)));
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(
                    hyper_util::rt::TokioIo::new(stream),
                    hyper_util::service::TowerToHyperService::new(app),
                );
            // A connection that ends badly (reset, timed out) concerns only its client.
            let _ = connection.await;
            drop(slot);
        });
    }
}

/// An accept error that concerns one connection, not the listener (as axum::serve tells them).
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// The stored signing key, or a new one (stored for the next start).
async fn load_or_create_key(store: &store::Store, now: i64) -> Result<keys::SigningKey, BoxError> {
    if let Some((_, pem)) = store.signing_key()? {
        return keys::SigningKey::from_pkcs8_pem(&pem);
    }
    let (key, pem) = tokio::task::spawn_blocking(keys::SigningKey::generate).await??;
    store.insert_signing_key(key.kid(), &pem, now)?;
    Ok(key)
}
