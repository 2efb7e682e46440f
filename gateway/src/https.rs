//! The HTTP listener over TLS, for a gateway with a real certificate: WebTransport needs a
//! secure context, so the page that opens it must come over HTTPS. An axum [`Listener`]: TCP
//! connections are accepted at once and their TLS handshakes run side by side (each within
//! [`HANDSHAKE_TIMEOUT`]), so a slow or silent client delays nobody else; what axum gets is a
//! finished TLS stream, so the routes, the WebSocket upgrade and graceful shutdown are the same
//! as over plain TCP.

use axum::serve::Listener;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tracing::debug;

/// How long a client has to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause after a failed `accept` (e.g. out of file descriptors) before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

type Handshake = Option<(TlsStream<TcpStream>, SocketAddr)>;

/// A TCP listener whose connections speak TLS with the gateway's certificate.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Handshake>,
}

impl std::fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsListener").field("tcp", &self.tcp).field("handshakes", &self.handshakes.len()).finish()
    }
}

impl TlsListener {
    /// Serves TLS with `config` on `tcp` (its ALPN decides HTTP/1.1).
    pub fn new(tcp: TcpListener, config: rustls::ServerConfig) -> Self {
        TlsListener { tcp, acceptor: TlsAcceptor::from(Arc::new(config)), handshakes: JoinSet::new() }
    }

    fn handshake(&mut self, tcp: TcpStream, from: SocketAddr) {
        // Snapshots ride the WebSocket fallback: no Nagle delay on them.
        let _ = tcp.set_nodelay(true);
        let acceptor = self.acceptor.clone();
        self.handshakes.spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => Some((tls, from)),
                Ok(Err(error)) => {
                    debug!(%from, %error, "TLS handshake failed");
                    metrics::counter!("mmo_gateway_https_handshakes_failed_total", "reason" => "error").increment(1);
                    None
                }
                Err(_) => {
                    debug!(%from, "TLS handshake timed out");
                    metrics::counter!("mmo_gateway_https_handshakes_failed_total", "reason" => "timeout").increment(1);
                    None
                }
            }
        });
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            tokio::select! {
                accepted = self.tcp.accept() => match accepted {
                    Ok((tcp, from)) => self.handshake(tcp, from),
                    Err(error) => {
                        debug!(%error, "TCP accept failed");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                },
                Some(done) = self.handshakes.join_next(), if !self.handshakes.is_empty() => {
                    if let Ok(Some(stream)) = done {
                        return stream;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
