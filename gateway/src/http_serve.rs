//! Serving the gateway's HTTP listener (plain TCP or TLS, [`crate::https`]): axum's router on
//! hyper, with the limits a public listener needs and `axum::serve` does not set. A client must
//! send a request's headers within [`HEADER_READ_TIMEOUT`] (a slow-loris client that trickles
//! them, or an idle keep-alive connection, is closed), and at most [`MAX_CONNECTIONS`] are open
//! at once (beyond that a new connection is closed at once: memory stays bounded however many
//! connections a flood opens). A WebSocket leaves these limits when it is upgraded: its session
//! has its own ([`crate::session`]: `Hello` within 10 s, the message limits). On shutdown it
//! stops accepting and waits for the open requests to finish.

use axum::serve::Listener;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{watch, Semaphore};
use tracing::debug;

/// How long a client has to send a request's headers (also how long a keep-alive connection
/// may stay idle between requests).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// HTTP connections open at once (WebSocket sessions, once upgraded, do not count).
pub const MAX_CONNECTIONS: usize = 4096;

/// Serves `app` on `listener` until `shutdown` turns true, then waits for open requests.
pub async fn serve<L>(mut listener: L, app: axum::Router, mut shutdown: watch::Receiver<bool>)
where
    L: Listener,
    L::Addr: std::fmt::Debug,
    L::Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    let builder = Arc::new(builder);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            metrics::counter!("mmo_gateway_http_refused_total").increment(1);
            debug!(?peer, "too many HTTP connections: closed at once");
            continue;
        };
        let watcher = graceful.watcher();
        let (builder, service) = (builder.clone(), TowerToHyperService::new(app.clone()));
        tokio::spawn(async move {
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
            if let Err(error) = watcher.watch(conn).await {
                debug!(?peer, %error, "HTTP connection ended with an error");
            }
            drop(slot);
        });
    }
    graceful.shutdown().await;
}
