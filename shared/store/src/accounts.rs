//! Account credentials: argon2id password hashes (PHC strings, salted) and guest names.
//!
//! Hashing is deliberately slow (tens of milliseconds): call it off the async threads
//! (`tokio::task::spawn_blocking`) in a server.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Why a login or registration was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccountError {
    #[error("wrong password")]
    WrongPassword,
    /// A guest account has no password; a password account needs one.
    #[error("this account {0}")]
    CredentialsMismatch(&'static str),
    #[error("invalid name: {0}")]
    InvalidName(&'static str),
    #[error("password must be 8 to 128 bytes")]
    InvalidPassword,
    #[error("stored password hash is unreadable: {0}")]
    BadHash(String),
}

/// Longest name, in bytes.
pub const MAX_NAME: usize = 24;
/// Guest names start with this, so they never collide with registered names (which may not).
pub const GUEST_PREFIX: &str = "guest-";

/// Checks a player-chosen name: 3 to [`MAX_NAME`] ASCII letters, digits, `-` or `_`, not
/// starting with [`GUEST_PREFIX`].
pub fn validate_name(name: &str) -> Result<(), AccountError> {
    if name.len() < 3 || name.len() > MAX_NAME {
        return Err(AccountError::InvalidName("3 to 24 characters"));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(AccountError::InvalidName("letters, digits, '-' and '_' only"));
    }
    if name.starts_with(GUEST_PREFIX) {
        return Err(AccountError::InvalidName("reserved for guests"));
    }
    Ok(())
}

/// A guest name, `guest-<n in hex>`, from a number the caller draws (a seeded RNG or a store
/// counter, so tests replay).
pub fn guest_name(n: u64) -> String {
    format!("{GUEST_PREFIX}{n:x}")
}

/// Hashes `password` with argon2id and a random salt, as a PHC string for
/// [`PlayerRecord::credentials`](crate::PlayerRecord::credentials).
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    if password.len() < 8 || password.len() > 128 {
        return Err(AccountError::InvalidPassword);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AccountError::BadHash(error.to_string()))
}

/// Checks a login against stored credentials: a password against its hash, a guest (`None`)
/// only without a password.
pub fn verify_login(credentials: Option<&str>, password: Option<&str>) -> Result<(), AccountError> {
    match (credentials, password) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(AccountError::CredentialsMismatch("is a guest and has no password")),
        (Some(_), None) => Err(AccountError::CredentialsMismatch("needs a password")),
        (Some(hash), Some(password)) => {
            let hash = PasswordHash::new(hash).map_err(|error| AccountError::BadHash(error.to_string()))?;
            Argon2::default().verify_password(password.as_bytes(), &hash).map_err(|error| match error {
                argon2::password_hash::Error::Password => AccountError::WrongPassword,
                other => AccountError::BadHash(other.to_string()),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert_eq!(verify_login(Some(&hash), Some("correct horse")), Ok(()));
        assert_eq!(verify_login(Some(&hash), Some("wrong horse!")), Err(AccountError::WrongPassword));
        assert!(matches!(verify_login(Some(&hash), None), Err(AccountError::CredentialsMismatch(_))));
        assert_ne!(hash, hash_password("correct horse").unwrap(), "salted");
    }

    #[test]
    fn guests_log_in_without_a_password_only() {
        assert_eq!(verify_login(None, None), Ok(()));
        assert!(matches!(verify_login(None, Some("anything")), Err(AccountError::CredentialsMismatch(_))));
        let guest = guest_name(0xbeef);
        assert_eq!(guest, "guest-beef");
        assert!(validate_name(&guest).is_err(), "players cannot pick guest names");
    }

    #[test]
    fn names_and_passwords_are_checked() {
        assert!(validate_name("ann_42").is_ok());
        for bad in ["ab", "a b c", "x".repeat(25).as_str(), "émile"] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert_eq!(hash_password("short"), Err(AccountError::InvalidPassword));
        assert!(matches!(verify_login(Some("not a phc string"), Some("password1")), Err(AccountError::BadHash(_))));
    }
}
