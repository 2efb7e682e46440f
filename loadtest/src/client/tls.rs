//! Which certificates bots trust on a gateway with a CA-signed certificate (a deployment: HTTPS
//! for `/api/connect`, `wss://` and WebTransport without a hash to pin): the system's roots
//! and, for a private CA (e.g. cert-manager's), the certificates of `--ca-file`. Development
//! certificates are pinned by hash instead ([`super::endpoint`]).

use super::ClientError;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Trusted roots, shared by every bot, and the HTTPS / WSS client configuration made of them.
#[derive(Clone, Debug)]
pub struct Trust {
    roots: Arc<RootCertStore>,
    https: Arc<rustls::ClientConfig>,
}

impl Default for Trust {
    /// No roots: only plain `http://` and `ws://` gateways, and pinned development certificates.
    fn default() -> Self {
        Trust::of(RootCertStore::empty())
    }
}

impl Trust {
    fn of(roots: RootCertStore) -> Self {
        let roots = Arc::new(roots);
        let https = client_config(&roots, &[b"http/1.1"]);
        Trust { roots, https }
    }

    /// The client configuration for `https://` and `wss://` (HTTP/1.1).
    pub fn https(&self) -> Arc<rustls::ClientConfig> {
        self.https.clone()
    }

    /// The system's roots (those it can read; none is no error: a CA file may follow).
    pub fn system() -> Self {
        let mut roots = RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        let (added, _ignored) = roots.add_parsable_certificates(found.certs);
        tracing::debug!(added, errors = found.errors.len(), "system roots loaded");
        Trust::of(roots)
    }

    /// These roots and every certificate of the PEM file at `path`.
    pub fn with_ca_file(self, path: &Path) -> Result<Self, ClientError> {
        let bad = |e: &dyn std::fmt::Display| ClientError::Connect(format!("--ca-file {}: {e}", path.display()));
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| bad(&e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(&e))?;
        if certs.is_empty() {
            return Err(bad(&"no certificate in it"));
        }
        let mut roots = (*self.roots).clone();
        for cert in certs {
            roots.add(cert).map_err(|e| bad(&e))?;
        }
        Ok(Trust::of(roots))
    }

    /// A QUIC client configuration for WebTransport verifying the gateway against these roots.
    pub fn webtransport_config(&self) -> Result<quinn::ClientConfig, ClientError> {
        let tls = Arc::unwrap_or_clone(client_config(&self.roots, &[web_transport_quinn::ALPN.as_bytes()]));
        quic_config(tls)
    }
}

/// A TLS client configuration verifying servers against `roots`, offering `alpn`.
fn client_config(roots: &Arc<RootCertStore>, alpn: &[&[u8]]) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// QUIC settings of every bot: TLS 1.3 `tls`, a 15 s idle timeout, keep-alives every 4 s.
pub(super) fn quic_config(tls: rustls::ClientConfig) -> Result<quinn::ClientConfig, ClientError> {
    let crypto =
        quinn::crypto::rustls::QuicClientConfig::try_from(tls).map_err(|e| ClientError::Endpoint(e.to_string()))?;
    let mut config = quinn::ClientConfig::new(Arc::new(crypto));
    let mut transport = quinn::TransportConfig::default();
    transport.max_idle_timeout(Some(Duration::from_secs(15).try_into().expect("idle timeout")));
    transport.keep_alive_interval(Some(Duration::from_secs(4)));
    config.transport_config(Arc::new(transport));
    Ok(config)
}
