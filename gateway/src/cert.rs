//! The gateway's certificate for WebTransport and HTTPS: either a real one from PEM files
//! (`--tls-cert`, `--tls-key`: a Kubernetes TLS Secret, cert-manager's output) that browsers
//! check as for any site, or in development a self-signed ECDSA P-256 certificate valid for less
//! than 14 days, which browsers accept through `serverCertificateHashes` without a CA.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// Browsers refuse pinned certificates valid for 14 days or more.
const VALIDITY: Duration = Duration::days(10);

/// A certificate chain (leaf first), its key, and the leaf's SHA-256.
#[derive(Debug)]
pub struct ServerCertificate {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub sha256: [u8; 32],
    /// Whether browsers must pin it (the self-signed development certificate) rather than
    /// check it against their CAs.
    pub pinned: bool,
}

/// Why the gateway has no certificate. File errors name the flag that gave the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    #[error("could not make the development certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("--tls-cert {path}: {reason}")]
    Chain { path: PathBuf, reason: String },
    #[error("--tls-key {path}: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("--tls-key {key} does not match the certificate of --tls-cert {cert}: {reason}")]
    Mismatch { cert: PathBuf, key: PathBuf, reason: String },
}

impl ServerCertificate {
    /// The development certificate for `names` (host names or IP addresses), valid from an
    /// hour ago for [`VALIDITY`], pinned by its hash.
    pub fn generate(names: &[String]) -> Result<Self, CertError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = rcgen::CertificateParams::new(names.to_vec())?;
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::hours(1);
        params.not_after = now + VALIDITY;
        let cert = params.self_signed(&key)?;
        let der = CertificateDer::from(cert.der().to_vec());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        Ok(ServerCertificate { sha256: Sha256::digest(&der).into(), chain: vec![der], key, pinned: true })
    }

    /// A real certificate: the PEM chain in `cert` (leaf first, as a `tls.crt` has it) and the
    /// PEM key in `key` (PKCS#8, RSA or SEC1 EC), checked to belong together.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, CertError> {
        let chain_error = |reason: String| CertError::Chain { path: cert.to_path_buf(), reason };
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|e| chain_error(pem_reason(e)))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| chain_error(pem_reason(e)))?;
        let leaf = chain.first().ok_or_else(|| chain_error("no CERTIFICATE in the file".into()))?;
        let sha256 = Sha256::digest(leaf).into();
        let key_der = PrivateKeyDer::from_pem_file(key)
            .map_err(|e| CertError::Key { path: key.to_path_buf(), reason: pem_reason(e) })?;
        let certificate = ServerCertificate { chain, key: key_der, sha256, pinned: false };
        certificate.check_key().map_err(|reason| CertError::Mismatch {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            reason,
        })?;
        Ok(certificate)
    }

    /// Whether the key is usable and is the leaf certificate's.
    fn check_key(&self) -> Result<(), String> {
        let provider = rustls::crypto::ring::default_provider();
        let certified = rustls::sign::CertifiedKey::from_der(self.chain.clone(), self.key.clone_key(), &provider)
            .map_err(|e| e.to_string())?;
        certified.keys_match().map_err(|e| e.to_string())
    }

    /// A rustls server configuration presenting this certificate, TLS 1.3 only, with `alpn`.
    pub fn server_config(&self, alpn: &[&[u8]]) -> Result<rustls::ServerConfig, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())?;
        tls.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(tls)
    }

    /// The leaf certificate's SHA-256.
    pub fn sha256(&self) -> [u8; 32] {
        self.sha256
    }

    pub fn sha256_hex(&self) -> String {
        self.sha256.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The hash browsers must pin (`serverCertificateHashes`): only the development
    /// certificate's; a real certificate is checked against the browser's CAs.
    pub fn pinned_hash_hex(&self) -> Option<String> {
        self.pinned.then(|| self.sha256_hex())
    }
}

fn pem_reason(error: rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error;
    match error {
        Error::Io(e) => format!("cannot read: {e}"),
        Error::NoItemsFound => "no PEM item of the expected kind in the file".into(),
        other => format!("not valid PEM: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_is_short_lived_p256_and_hash_matches() {
        let cert = ServerCertificate::generate(&["localhost".into(), "127.0.0.1".into()]).unwrap();
        let hash: [u8; 32] = Sha256::digest(cert.chain[0].as_ref()).into();
        assert_eq!(hash, cert.sha256);
        assert_eq!(cert.pinned_hash_hex().map(|h| h.len()), Some(64));
        // The ECDSA P-256 OID (1.2.840.10045.3.1.7) appears in the certificate.
        let p256_oid = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        assert!(cert.chain[0].windows(p256_oid.len()).any(|w| w == p256_oid));
    }

    /// A CA and a leaf it signed for `localhost`, as PEM: (chain, leaf key, CA certificate).
    fn signed_pair() -> (String, String, String) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap().signed_by(&key, &issuer).unwrap();
        (format!("{}{}", leaf.pem(), ca.pem()), key.serialize_pem(), ca.pem())
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("mmo-cert-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_chain_and_its_key_load_from_pem_files_and_are_not_pinned() {
        let dir = temp_dir("ok");
        let (chain, key, _) = signed_pair();
        let cert = ServerCertificate::from_pem_files(&write(&dir, "tls.crt", &chain), &write(&dir, "tls.key", &key))
            .expect("loads");
        assert_eq!(cert.chain.len(), 2, "leaf and CA");
        assert_eq!(cert.pinned_hash_hex(), None);
        assert!(cert.server_config(&[b"h3"]).is_ok());
    }

    #[test]
    fn missing_unreadable_and_mismatched_files_name_their_flag() {
        let dir = temp_dir("bad");
        let (chain, key, _) = signed_pair();
        let (_, other_key, _) = signed_pair();
        let (crt, key) = (write(&dir, "tls.crt", &chain), write(&dir, "tls.key", &key));
        let error = |cert: &Path, key: &Path| ServerCertificate::from_pem_files(cert, key).unwrap_err().to_string();

        let missing = error(&dir.join("absent.crt"), &key);
        assert!(missing.starts_with("--tls-cert") && missing.contains("cannot read"), "{missing}");
        let missing = error(&crt, &dir.join("absent.key"));
        assert!(missing.starts_with("--tls-key"), "{missing}");
        let garbage = write(&dir, "garbage.pem", "not a certificate\n");
        assert!(error(&garbage, &key).starts_with("--tls-cert"));
        assert!(error(&crt, &garbage).starts_with("--tls-key"));
        // The key file given as the certificate, and the chain as the key.
        assert!(error(&key, &key).starts_with("--tls-cert"));
        assert!(error(&crt, &crt).starts_with("--tls-key"));
        let mismatch = error(&crt, &write(&dir, "other.key", &other_key));
        assert!(mismatch.contains("does not match") && mismatch.contains("--tls-cert"), "{mismatch}");
    }
}
