//! Short-lived signed session tokens: a client that loses its connection presents one to resume
//! its character without logging in again.
//!
//! Format: `base64url(name) "." expiry-unix-seconds "." base64url(HMAC-SHA256(key, name "\n" expiry))`,
//! unpadded. The key is shared by the gateways (from their configuration), at least 32 bytes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

type HmacSha256 = Hmac<Sha256>;

/// Why a token was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    #[error("session token expired")]
    Expired,
    #[error("session token signature does not match")]
    BadSignature,
    #[error("malformed session token")]
    Malformed,
    #[error("token key must be at least 32 bytes")]
    ShortKey,
}

/// Issues and verifies tokens with one secret key.
#[derive(Clone)]
pub struct TokenKey {
    key: Vec<u8>,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

impl TokenKey {
    /// A key from secret bytes (at least 32).
    pub fn new(key: impl Into<Vec<u8>>) -> Result<TokenKey, TokenError> {
        let key = key.into();
        if key.len() < 32 {
            return Err(TokenError::ShortKey);
        }
        Ok(TokenKey { key })
    }

    /// A fresh random key (from the OS): tokens it signs are only valid for this process, so
    /// a single-process world needs no configured secret.
    pub fn random() -> TokenKey {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let mut key = vec![0u8; 32];
        OsRng.fill_bytes(&mut key);
        TokenKey { key }
    }

    fn mac(&self, name: &str, expiry: u64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(name.as_bytes());
        mac.update(b"\n");
        mac.update(expiry.to_string().as_bytes());
        mac
    }

    /// A token for `name`, valid until `now + ttl`.
    pub fn issue(&self, name: &str, now: SystemTime, ttl: Duration) -> String {
        let expiry = unix_seconds(now) + ttl.as_secs().max(1);
        let signature = self.mac(name, expiry).finalize().into_bytes();
        format!("{}.{expiry}.{}", URL_SAFE_NO_PAD.encode(name), URL_SAFE_NO_PAD.encode(signature))
    }

    /// The name a token was issued for, if its signature matches and it has not expired at `now`.
    pub fn verify(&self, token: &str, now: SystemTime) -> Result<String, TokenError> {
        if token.len() > 256 {
            return Err(TokenError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(name), Some(expiry), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let name = URL_SAFE_NO_PAD.decode(name).map_err(|_| TokenError::Malformed)?;
        let name = String::from_utf8(name).map_err(|_| TokenError::Malformed)?;
        if expiry.is_empty() || !expiry.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TokenError::Malformed);
        }
        let expiry: u64 = expiry.parse().map_err(|_| TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| TokenError::Malformed)?;
        // Constant-time comparison.
        self.mac(&name, expiry).verify_slice(&signature).map_err(|_| TokenError::BadSignature)?;
        if unix_seconds(now) >= expiry {
            return Err(TokenError::Expired);
        }
        Ok(name)
    }
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TokenKey {
        TokenKey::new([7u8; 32]).unwrap()
    }

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn a_token_names_its_player_until_it_expires() {
        let token = key().issue("ann", at(1_000), Duration::from_secs(60));
        assert_eq!(key().verify(&token, at(1_000)), Ok("ann".to_owned()));
        assert_eq!(key().verify(&token, at(1_059)), Ok("ann".to_owned()));
        assert_eq!(key().verify(&token, at(1_060)), Err(TokenError::Expired));
    }

    #[test]
    fn tampering_or_another_key_breaks_the_signature() {
        let token = key().issue("ann", at(1_000), Duration::from_secs(60));
        let other = TokenKey::new([8u8; 32]).unwrap();
        assert_eq!(other.verify(&token, at(1_000)), Err(TokenError::BadSignature));
        let (_, rest) = token.split_once('.').unwrap();
        let forged = format!("{}.{rest}", URL_SAFE_NO_PAD.encode("bob"));
        assert_eq!(key().verify(&forged, at(1_000)), Err(TokenError::BadSignature));
        let extended = token.replace(".1060.", ".9999.");
        assert_ne!(extended, token);
        assert_eq!(key().verify(&extended, at(1_000)), Err(TokenError::BadSignature));
    }

    #[test]
    fn garbage_is_malformed() {
        for bad in ["", "a.b", "a.b.c.d", "!!.1.AA", "YW5u.x1.AA", "YW5u.-1.AA", "YW5u.1.*", &"a".repeat(300)] {
            assert_eq!(key().verify(bad, at(0)), Err(TokenError::Malformed), "{bad}");
        }
        assert_eq!(TokenKey::new([0u8; 8]).unwrap_err(), TokenError::ShortKey);
    }
}
