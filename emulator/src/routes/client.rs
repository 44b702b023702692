//! Who is calling: the peer address and user agent of the request being served, so that
//! wherever a session starts it records them for the user's session list.
//!
//! Sessions start deep inside many sign-in flows (password, MFA, passwordless, passkeys, sign-up,
//! activation), all ending in `auth::issue_session`. Rather than threading the connection info
//! through each of them, a middleware scopes it to the request's task and `issue_session` reads
//! it from there.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::header::USER_AGENT;
use axum::middleware::Next;
use axum::response::Response;

use crate::store::SessionClient;

/// Longest user agent kept; longer ones are cut so a client cannot bloat the store.
const MAX_USER_AGENT_CHARS: usize = 512;

tokio::task_local! {
    static CLIENT: SessionClient;
}

/// Middleware: serves the request with its [`SessionClient`] in scope for [`current`].
pub async fn remember_client(request: Request, next: Next) -> Response {
    let ip_address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip().to_string());
    let user_agent = request
        .headers()
        .get(USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(|agent| agent.chars().take(MAX_USER_AGENT_CHARS).collect());
    let client = SessionClient {
        user_agent,
        ip_address,
    };
    CLIENT.scope(client, next.run(request)).await
}

/// The client of the request being served; empty outside a request (seeding, unit tests).
pub fn current() -> SessionClient {
    CLIENT.try_with(SessionClient::clone).unwrap_or_default()
}
