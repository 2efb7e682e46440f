//! The QUIC client side of WebTransport: a few UDP endpoints (bound by hand with large socket
//! buffers) shared by every WebTransport bot, and certificate pinning by SHA-256 hash, as
//! browsers do with `serverCertificateHashes` (the hash of the gateway a bot connects to).

use super::{ClientError, Trust};
use mmo_cluster::net::tls::PinnedCertificate;
use mmo_cluster::CertHash;
use serde::Serialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the kernel granted for the UDP socket buffers.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct UdpBuffers {
    pub requested: usize,
    pub recv: usize,
    pub send: usize,
}

/// QUIC client endpoints handed out round-robin.
#[derive(Debug)]
pub struct Endpoints {
    endpoints: Vec<quinn::Endpoint>,
    /// One client configuration per certificate pinned (each gateway has its own
    /// development certificate; bots moving between gateways pin the one they go to).
    configs: Mutex<HashMap<CertHash, quinn::ClientConfig>>,
    /// For gateways with a CA-signed certificate (nothing to pin).
    trusted: quinn::ClientConfig,
    next: AtomicUsize,
    pub buffers: UdpBuffers,
}

impl Endpoints {
    /// Binds `count` endpoints for reaching `remote` (and hosts of its address family); gateways
    /// without a certificate to pin are verified against `trust`.
    pub fn bind(count: usize, remote: SocketAddr, buffer: usize, trust: &Trust) -> Result<Self, ClientError> {
        let runtime = quinn::default_runtime().ok_or_else(|| ClientError::Endpoint("no async runtime".into()))?;
        let mut endpoints = Vec::with_capacity(count);
        let mut buffers = UdpBuffers { requested: buffer, ..Default::default() };
        for _ in 0..count.max(1) {
            let (socket, granted) = bind_udp(remote, buffer)?;
            buffers.recv = granted.recv;
            buffers.send = granted.send;
            let endpoint = quinn::Endpoint::new(quinn::EndpointConfig::default(), None, socket, runtime.clone())
                .map_err(|e| ClientError::Endpoint(e.to_string()))?;
            endpoints.push(endpoint);
        }
        let trusted = trust.webtransport_config()?;
        Ok(Endpoints { endpoints, configs: Mutex::new(HashMap::new()), trusted, next: AtomicUsize::new(0), buffers })
    }

    /// A WebTransport client on the next endpoint, pinning the certificate `cert_hash`, or
    /// without one verifying the gateway's certificate against the roots trusted.
    pub fn client(&self, cert_hash: Option<CertHash>) -> Result<web_transport_quinn::Client, ClientError> {
        let config = match cert_hash {
            None => self.trusted.clone(),
            Some(hash) => {
                let mut configs = self.configs.lock().unwrap_or_else(|e| e.into_inner());
                match configs.get(&hash) {
                    Some(config) => config.clone(),
                    None => configs.entry(hash).or_insert(pinning(hash)?).clone(),
                }
            }
        };
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.endpoints.len();
        Ok(web_transport_quinn::Client::new(self.endpoints[i].clone(), config))
    }

    /// Closes every endpoint and waits for their connections to finish.
    pub async fn close(&self) {
        for e in &self.endpoints {
            e.close(0u32.into(), b"done");
        }
        for e in &self.endpoints {
            let _ = tokio::time::timeout(Duration::from_secs(2), e.wait_idle()).await;
        }
    }
}

/// A client configuration that accepts only the certificate whose SHA-256 is `cert_hash`.
fn pinning(cert_hash: CertHash) -> Result<quinn::ClientConfig, ClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(PinnedCertificate::new(cert_hash));
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| ClientError::Endpoint(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    tls.alpn_protocols = vec![web_transport_quinn::ALPN.as_bytes().to_vec()];
    super::tls::quic_config(tls)
}

/// A UDP socket of the remote's address family on an ephemeral port, with large buffers.
fn bind_udp(remote: SocketAddr, buffer: usize) -> Result<(std::net::UdpSocket, UdpBuffers), ClientError> {
    use socket2::{Domain, Protocol, Socket, Type};
    let err = |e: std::io::Error| ClientError::Endpoint(format!("binding a UDP socket: {e}"));
    let local: SocketAddr = if remote.is_ipv6() { "[::]:0".parse() } else { "0.0.0.0:0".parse() }.expect("addr");
    let socket = Socket::new(Domain::for_address(local), Type::DGRAM, Some(Protocol::UDP)).map_err(err)?;
    // The kernel caps these at net.core.rmem_max / wmem_max; a smaller buffer still works.
    let _ = socket.set_recv_buffer_size(buffer);
    let _ = socket.set_send_buffer_size(buffer);
    socket.bind(&local.into()).map_err(err)?;
    let granted = UdpBuffers {
        requested: buffer,
        recv: socket.recv_buffer_size().unwrap_or(0),
        send: socket.send_buffer_size().unwrap_or(0),
    };
    Ok((socket.into(), granted))
}
