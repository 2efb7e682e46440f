//! TLS on the zone link, trust rooted in the registry: every member (zone, gateway) makes a
//! self-signed certificate at start ([`LinkIdentity`]) and registers its SHA-256 under its lease.
//! A client accepts exactly the certificate registered for the zone it dials
//! ([`PinnedCertificate`]); a zone accepts a client whose certificate is registered by a live
//! member ([`TrustedPeers`]). No certificate authority, no certificate files: a member that
//! is not in the registry cannot talk to a zone, and a zone cannot be impersonated.

use crate::records::CertHash;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::{Arc, RwLock};

/// The name every link certificate carries and every client asks for (the hash, not the name,
/// is what is checked).
pub const LINK_SERVER_NAME: &str = "mmo-link";
/// The link version both ends agree on in the TLS handshake (ALPN). Version 4 carries the
/// players' parties (`ToZone::Party`); version 3 numbers the peer messages that matter and
/// acknowledges them ([`super::reliable`]); version 2 sends cell frames as deltas between
/// keyframes (so do 3 and 4); a peer of a release before version 2 offers no ALPN and gets
/// whole frames (version 1). Each end offers every version it speaks, newest first, so zones
/// and gateways of adjacent releases work together during a rolling update.
pub const LINK_ALPN: &[u8] = b"mmo-link/4";
/// Link version 3: numbered peer messages, no parties.
pub const LINK_ALPN_V3: &[u8] = b"mmo-link/3";
/// Link version 2: cell frames as deltas, peer messages unnumbered.
pub const LINK_ALPN_V2: &[u8] = b"mmo-link/2";

/// What a connection's agreed link version lets each end send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkFeatures {
    /// Cell frames as deltas (version 2 and later).
    pub deltas: bool,
    /// Numbered peer messages and their acknowledgements (version 3 and later).
    pub acks: bool,
    /// Players' parties and gives across zone borders (version 4).
    pub parties: bool,
}

impl LinkFeatures {
    /// The features of the version agreed in the handshake (`None`: a peer offering none).
    pub fn of(alpn: Option<&[u8]>) -> Self {
        let version = match alpn {
            Some(v) if v == LINK_ALPN => 4,
            Some(v) if v == LINK_ALPN_V3 => 3,
            Some(v) if v == LINK_ALPN_V2 => 2,
            _ => 1,
        };
        LinkFeatures { deltas: version >= 2, acks: version >= 3, parties: version >= 4 }
    }
}

/// The versions this release speaks, newest first.
fn alpn_offered() -> Vec<Vec<u8>> {
    vec![LINK_ALPN.to_vec(), LINK_ALPN_V3.to_vec(), LINK_ALPN_V2.to_vec()]
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("could not make the link certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("could not configure TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// A member's link certificate and key, made at start.
#[derive(Debug)]
pub struct LinkIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    hash: CertHash,
}

impl LinkIdentity {
    /// A fresh self-signed ECDSA P-256 certificate for [`LINK_SERVER_NAME`].
    pub fn generate() -> Result<Self, TlsError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let cert = rcgen::CertificateParams::new(vec![LINK_SERVER_NAME.to_string()])?.self_signed(&key)?;
        let der = CertificateDer::from(cert.der().to_vec());
        let hash = hash_of(&der);
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        Ok(LinkIdentity { chain: vec![der], key, hash })
    }

    /// What the member registers (`ZoneInfo::cert_hash`, `GatewayInfo::link_cert_hash`).
    pub fn hash(&self) -> CertHash {
        self.hash
    }

    /// The configuration of a zone's listening side: it presents this identity and accepts
    /// clients whose certificates are in `trusted`.
    pub fn server_config(&self, trusted: TrustedPeers) -> Result<rustls::ServerConfig, TlsError> {
        let verifier = Arc::new(TrustedClients { trusted, provider: provider() });
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_client_cert_verifier(verifier)
            .with_single_cert(self.chain.clone(), self.key.clone_key())?;
        config.alpn_protocols = alpn_offered();
        Ok(config)
    }

    /// The configuration of a client dialling the zone whose registered certificate is
    /// `pinned`: it presents this identity.
    pub fn client_config(&self, pinned: CertHash) -> Result<rustls::ClientConfig, TlsError> {
        let mut config = rustls::ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedCertificate::new(pinned)))
            .with_client_auth_cert(self.chain.clone(), self.key.clone_key())?;
        config.alpn_protocols = alpn_offered();
        Ok(config)
    }
}

/// The SHA-256 of a certificate.
pub fn hash_of(cert: &CertificateDer<'_>) -> CertHash {
    CertHash(Sha256::digest(cert.as_ref()).into())
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificates of the registry's live members, which a zone's link accepts; kept current
/// by [`crate::follow::follow_zones`].
#[derive(Clone, Debug, Default)]
pub struct TrustedPeers(Arc<RwLock<HashSet<CertHash>>>);

impl TrustedPeers {
    /// Replaces the trusted set.
    pub fn set(&self, hashes: impl IntoIterator<Item = CertHash>) {
        let hashes: HashSet<CertHash> = hashes.into_iter().collect();
        *self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = hashes;
    }

    pub fn contains(&self, hash: &CertHash) -> bool {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner()).contains(hash)
    }
}

/// The handshake-signature checks of a verifier with a `provider` field: the provider's own (only
/// which certificate is accepted differs between the verifiers here).
macro_rules! handshake_signatures {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider.signature_verification_algorithms.supported_schemes()
        }
    };
}

/// Accepts exactly the certificate whose SHA-256 is the pinned hash (its handshake signature is
/// still checked), as browsers do with `serverCertificateHashes`.
#[derive(Debug)]
pub struct PinnedCertificate {
    hash: CertHash,
    provider: Arc<CryptoProvider>,
}

impl PinnedCertificate {
    pub fn new(hash: CertHash) -> Self {
        PinnedCertificate { hash, provider: provider() }
    }
}

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if hash_of(end_entity) == self.hash {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure))
        }
    }

    handshake_signatures!();
}

/// Accepts a client certificate registered by a live member.
#[derive(Debug)]
struct TrustedClients {
    trusted: TrustedPeers,
    provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for TrustedClients {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if self.trusted.contains(&hash_of(end_entity)) {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure))
        }
    }

    handshake_signatures!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_link_version_sends_what_its_peer_reads() {
        let all = LinkFeatures { deltas: true, acks: true, parties: true };
        assert_eq!(LinkFeatures::of(Some(LINK_ALPN)), all);
        assert_eq!(LinkFeatures::of(Some(LINK_ALPN_V3)), LinkFeatures { parties: false, ..all });
        assert_eq!(LinkFeatures::of(Some(LINK_ALPN_V2)), LinkFeatures { deltas: true, acks: false, parties: false });
        let none = LinkFeatures { deltas: false, acks: false, parties: false };
        assert_eq!(LinkFeatures::of(None), none, "a peer of version 1");
        assert_eq!(LinkFeatures::of(Some(b"mmo-link/9")), none, "unknown: the oldest");
        assert_eq!(alpn_offered().first().map(Vec::as_slice), Some(LINK_ALPN), "the newest is preferred");
    }
}
