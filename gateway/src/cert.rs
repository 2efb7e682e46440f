//! The gateway's development certificate: self-signed ECDSA P-256, valid for less than 14
//! days, so browsers accept it through `serverCertificateHashes` without a CA.

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

/// Browsers refuse pinned certificates valid for 14 days or more.
const VALIDITY: Duration = Duration::days(10);

/// A certificate, its key, and the SHA-256 of the certificate the page pins.
#[derive(Debug)]
pub struct DevCertificate {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub sha256: [u8; 32],
}

#[derive(Debug, thiserror::Error)]
#[error("could not make the development certificate: {0}")]
pub struct CertError(#[from] rcgen::Error);

impl DevCertificate {
    /// Makes a certificate for `names` (host names or IP addresses), valid from an hour ago.
    pub fn generate(names: &[String]) -> Result<Self, CertError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = rcgen::CertificateParams::new(names.to_vec())?;
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::hours(1);
        params.not_after = now + VALIDITY;
        let cert = params.self_signed(&key)?;
        let der = cert.der().to_vec();
        let sha256 = Sha256::digest(&der).into();
        Ok(DevCertificate {
            chain: vec![CertificateDer::from(der)],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            sha256,
        })
    }

    /// The certificate's SHA-256, which browsers pin.
    pub fn sha256(&self) -> [u8; 32] {
        self.sha256
    }

    pub fn sha256_hex(&self) -> String {
        self.sha256.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_is_short_lived_p256_and_hash_matches() {
        let cert = DevCertificate::generate(&["localhost".into(), "127.0.0.1".into()]).unwrap();
        let hash: [u8; 32] = Sha256::digest(cert.chain[0].as_ref()).into();
        assert_eq!(hash, cert.sha256);
        assert_eq!(cert.sha256_hex().len(), 64);
        // The ECDSA P-256 OID (1.2.840.10045.3.1.7) appears in the certificate.
        let p256_oid = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        assert!(cert.chain[0].windows(p256_oid.len()).any(|w| w == p256_oid));
    }
}
