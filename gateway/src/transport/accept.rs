//! Accepting WebTransport sessions: QUIC address validation, then handshakes side by side.
//!
//! A QUIC Initial packet's source address can be forged, and the server's first flight is
//! larger than the client's, so an unvalidated server is an amplifier and spends a TLS
//! handshake on every forged packet. With validation on, a connection attempt from an address
//! that has not proved it receives our packets gets a Retry (a token, one round trip, no
//! handshake state kept); the client comes back with the token and only then is accepted.
//! Handshakes then run concurrently, so a slow or silent client delays nobody else.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::task::JoinSet;
use tracing::debug;
use web_transport_quinn::Request;

/// Whether connection attempts must first prove their address with a QUIC Retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AddressValidation {
    /// Every connection from an address not yet validated gets a Retry first (one round trip).
    #[default]
    Retry,
    /// Accept at once (behind a proxy that validates addresses itself).
    Off,
}

/// What the acceptor did so far (also counted in `/metrics`).
#[derive(Debug, Default)]
pub struct AcceptCounts {
    pub retries: AtomicU64,
    pub accepted: AtomicU64,
}

/// Accepts WebTransport session requests on one QUIC endpoint.
#[derive(Debug)]
pub struct Acceptor {
    endpoint: quinn::Endpoint,
    validation: AddressValidation,
    handshakes: JoinSet<Option<Request>>,
    counts: Arc<AcceptCounts>,
}

impl Acceptor {
    pub fn new(endpoint: quinn::Endpoint, validation: AddressValidation) -> Self {
        Acceptor { endpoint, validation, handshakes: JoinSet::new(), counts: Arc::default() }
    }

    /// The UDP address the endpoint is bound to.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.endpoint.local_addr()
    }

    pub fn counts(&self) -> Arc<AcceptCounts> {
        self.counts.clone()
    }

    /// The next session request whose QUIC and HTTP/3 handshakes completed; `None` once the
    /// endpoint is closed. Cancel-safe.
    pub async fn accept(&mut self) -> Option<Request> {
        loop {
            tokio::select! {
                incoming = self.endpoint.accept() => self.on_incoming(incoming?),
                Some(done) = self.handshakes.join_next(), if !self.handshakes.is_empty() => {
                    if let Ok(Some(request)) = done {
                        return Some(request);
                    }
                }
            }
        }
    }

    fn on_incoming(&mut self, incoming: quinn::Incoming) {
        let from = incoming.remote_address();
        if self.validation == AddressValidation::Retry && !incoming.remote_address_validated() {
            if incoming.may_retry() {
                if incoming.retry().is_ok() {
                    self.counts.retries.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("mmo_gateway_quic_retries_total").increment(1);
                }
                return;
            }
            // A second Retry is not allowed: the token it came with was not valid.
            debug!(%from, "connection attempt with an invalid address token refused");
            metrics::counter!("mmo_gateway_quic_refused_total").increment(1);
            incoming.refuse();
            return;
        }
        let connecting = match incoming.accept() {
            Ok(connecting) => connecting,
            Err(error) => {
                debug!(%from, %error, "connection attempt failed");
                return;
            }
        };
        let counts = self.counts.clone();
        self.handshakes.spawn(async move {
            let request = async { Request::accept(connecting.await.ok()?).await.ok() }.await;
            match &request {
                Some(_) => {
                    counts.accepted.fetch_add(1, Ordering::Relaxed);
                }
                None => debug!(%from, "handshake failed"),
            }
            request
        });
    }

    /// Closes the endpoint: every connection ends with `code`.
    pub fn close(&self, code: u32, reason: &[u8]) {
        self.endpoint.close(code.into(), reason);
    }
}
