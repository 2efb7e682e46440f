//! Client transports behind one interface: WebTransport (preferred) and the WebSocket fallback.
//! The session logic in [`crate::session`] does not know which one it talks over.

pub mod accept;
pub mod websocket;
pub mod webtransport;

use bytes::Bytes;
use std::future::Future;

/// Something a client sent.
#[derive(Debug)]
pub enum Inbound {
    /// One whole control message (already de-framed, within the control limit).
    Control(Vec<u8>),
    /// One datagram.
    Datagram(Bytes),
}

/// Which transport a session uses (label for metrics and logs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    WebTransport,
    WebSocket,
}

impl TransportKind {
    pub fn label(self) -> &'static str {
        match self {
            TransportKind::WebTransport => "webtransport",
            TransportKind::WebSocket => "websocket",
        }
    }
}

/// Why a transport stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    #[error("the client closed the session")]
    Closed,
    #[error("frame of {size} bytes exceeds the limit of {limit}")]
    FrameTooLarge { size: usize, limit: usize },
    #[error("the client broke the transport framing: {0}")]
    Framing(&'static str),
    #[error("transport failed: {0}")]
    Io(String),
}

/// A client connection, whichever transport carries it.
pub trait Transport: Send + 'static {
    fn kind(&self) -> TransportKind;
    /// The next message from the client. Cancel-safe.
    fn recv(&mut self) -> impl Future<Output = Result<Inbound, TransportError>> + Send;
    fn send_control(&mut self, msg: &[u8]) -> impl Future<Output = Result<(), TransportError>> + Send;
    fn send_datagram(&mut self, msg: Bytes) -> impl Future<Output = Result<(), TransportError>> + Send;
    /// Largest datagram the client accepts.
    fn max_datagram(&self) -> usize;
    /// Closes with `code` (4000 + error code, or 0), after trying to deliver what was sent.
    fn close(self, code: u32, reason: &'static str) -> impl Future<Output = ()> + Send;
}
