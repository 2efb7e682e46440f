//! WebTransport over HTTP/3 with `web-transport-quinn`: the endpoint (dual-stack, raised UDP
//! buffers, the gateway's certificate) and the [`Transport`] of one session.

use super::{Inbound, Transport, TransportError, TransportKind};
use crate::cert::ServerCertificate;
use bytes::Bytes;
use mmo_protocol::framing::{frame, FrameReader};
use mmo_protocol::limits::MAX_CLIENT_CONTROL;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Duration;
use web_transport_quinn::{RecvStream, SendStream, Session};

/// UDP socket buffers: quinn's defaults drop datagrams when many sessions are busy.
const UDP_BUFFER_BYTES: usize = 8 * 1024 * 1024;
/// The most control-stream bytes taken in one read.
const CONTROL_CHUNK: usize = 4096;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    #[error("cannot bind UDP {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("TLS setup failed: {0}")]
    Tls(#[from] rustls::Error),
    #[error("QUIC setup failed: {0}")]
    Quic(String),
}

/// Binds `addr` (an IPv6 wildcard also accepts IPv4) with large socket buffers: the socket a
/// caller hands [`endpoint`].
pub fn bind_udp(addr: SocketAddr) -> Result<UdpSocket, EndpointError> {
    use socket2::{Domain, Protocol, Socket, Type};
    let err = |source| EndpointError::Bind { addr, source };
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP)).map_err(err)?;
    if addr.is_ipv6() {
        socket.set_only_v6(false).map_err(err)?;
    }
    // The kernel may cap these (net.core.rmem_max); a smaller buffer still works.
    let _ = socket.set_recv_buffer_size(UDP_BUFFER_BYTES);
    let _ = socket.set_send_buffer_size(UDP_BUFFER_BYTES);
    socket.bind(&addr.into()).map_err(err)?;
    Ok(socket.into())
}

/// Creates the QUIC endpoint of WebTransport on the bound `socket` with `cert`
/// ([`super::accept::Acceptor`] accepts its sessions).
pub fn endpoint(socket: UdpSocket, cert: &ServerCertificate) -> Result<quinn::Endpoint, EndpointError> {
    let tls = cert.server_config(&[web_transport_quinn::ALPN.as_bytes()])?;
    let crypto =
        quinn::crypto::rustls::QuicServerConfig::try_from(tls).map_err(|e| EndpointError::Quic(e.to_string()))?;
    let mut server_config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    let mut transport = quinn::TransportConfig::default();
    transport.max_idle_timeout(Some(Duration::from_secs(15).try_into().expect("idle timeout")));
    transport.keep_alive_interval(Some(Duration::from_secs(4)));
    transport.datagram_receive_buffer_size(Some(256 * 1024));
    // A few snapshots' worth: when a client cannot keep up, stale snapshots are dropped
    // rather than queued (quinn's 1 MiB default let them pile up for seconds).
    transport.datagram_send_buffer_size(16 * 1024);
    server_config.transport_config(Arc::new(transport));
    let runtime = quinn::default_runtime().ok_or_else(|| EndpointError::Quic("no async runtime".into()))?;
    quinn::Endpoint::new(quinn::EndpointConfig::default(), Some(server_config), socket, runtime)
        .map_err(|e| EndpointError::Quic(e.to_string()))
}

/// One WebTransport session. The client opens one bidirectional stream: the control stream.
pub struct WebTransportClient {
    session: Session,
    control: Option<(SendStream, RecvStream)>,
    reader: FrameReader,
}

impl std::fmt::Debug for WebTransportClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebTransportClient").finish_non_exhaustive()
    }
}

impl WebTransportClient {
    pub fn new(session: Session) -> Self {
        WebTransportClient { session, control: None, reader: FrameReader::new(MAX_CLIENT_CONTROL) }
    }
}

fn io(e: impl std::fmt::Display) -> TransportError {
    TransportError::Io(e.to_string())
}

impl Transport for WebTransportClient {
    fn kind(&self) -> TransportKind {
        TransportKind::WebTransport
    }

    async fn recv(&mut self) -> Result<Inbound, TransportError> {
        loop {
            match self.reader.next_frame() {
                Ok(Some(frame)) => return Ok(Inbound::Control(frame)),
                Ok(None) => {}
                Err(e) => return Err(TransportError::FrameTooLarge { size: e.size, limit: e.limit }),
            }
            match &mut self.control {
                None => tokio::select! {
                    d = self.session.read_datagram() => return d.map(Inbound::Datagram).map_err(|_| TransportError::Closed),
                    bi = self.session.accept_bi() => self.control = Some(bi.map_err(|_| TransportError::Closed)?),
                },
                Some((_, recv)) => tokio::select! {
                    d = self.session.read_datagram() => return d.map(Inbound::Datagram).map_err(|_| TransportError::Closed),
                    // A chunk the stream already holds: no buffer to clear on every call.
                    chunk = recv.read_chunk(CONTROL_CHUNK, true) => match chunk.map_err(io)? {
                        Some(chunk) => self.reader.push(&chunk.bytes),
                        None => return Err(TransportError::Closed),
                    },
                },
            }
        }
    }

    async fn send_control(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        let (send, _) = self.control.as_mut().ok_or(TransportError::Framing("no control stream"))?;
        send.write_all(&frame(msg)).await.map_err(io)
    }

    async fn send_datagram(&mut self, msg: Bytes) -> Result<(), TransportError> {
        self.session.send_datagram(msg).map_err(io)
    }

    fn max_datagram(&self) -> usize {
        self.session.max_datagram_size()
    }

    async fn close(mut self, code: u32, reason: &'static str) {
        if let Some((send, _)) = self.control.as_mut() {
            // Give the last control message (an error, usually) a moment to arrive.
            let _ = send.finish();
            let _ = tokio::time::timeout(Duration::from_millis(200), send.stopped()).await;
        }
        self.session.close(code, reason.as_bytes());
    }
}
