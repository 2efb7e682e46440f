//! Logins against the player store: accounts (a name with a password, argon2), guest characters
//! (a name without one), resuming with a signed session token, and each player's saved record.
//!
//! The gateway loads the player's record at login and hands it to the zone in `Join`; the zones
//! save it from then on (write-behind, and at once at logout). A name seen for the first time
//! becomes a new character (version 0) with the starter items, whose serials come from the
//! store; the zone places a version-0 character at a spawn point.
//!
//! Errors, each a code the client shows: a password that does not match (or a password for a
//! guest character, none for an account) is `WrongPassword`; a password outside 8 to 128 bytes
//! `PasswordInvalid`; a token that is malformed or forged `TokenInvalid`, one past its expiry
//! `TokenExpired`; a stored record that cannot be decoded `CharacterCorrupt` (only that player
//! is refused); a store that cannot be reached `StoreUnavailable`.

use glam::IVec2;
use mmo_protocol::ErrorCode;
use mmo_store::accounts::{hash_password, verify_login, AccountError};
use mmo_store::token::{TokenError, TokenKey};
use mmo_store::{AnyStore, DurableStore, Item, PlayerRecord, StoreError};
use mmo_world::CellId;
use std::time::{Duration, SystemTime};
use tracing::warn;

/// Item kinds every new character starts with.
pub const STARTER_ITEMS: [u16; 2] = [1, 2];
/// How long a session token stays valid by default.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(15 * 60);

/// The store of player records and the key that signs session tokens.
#[derive(Clone, Debug)]
pub struct Accounts {
    store: AnyStore,
    tokens: TokenKey,
    token_ttl: Duration,
}

impl Accounts {
    pub fn new(store: AnyStore, tokens: TokenKey, token_ttl: Duration) -> Self {
        Accounts { store, tokens, token_ttl }
    }

    /// The player store (for tests and tools).
    pub fn store(&self) -> &AnyStore {
        &self.store
    }

    /// A fresh token for `name`.
    pub fn issue_token(&self, name: &str) -> String {
        self.tokens.issue(name, SystemTime::now(), self.token_ttl)
    }

    /// The player a token names, if it is genuine and not expired.
    pub fn verify_token(&self, token: &str) -> Result<String, ErrorCode> {
        self.tokens.verify(token, SystemTime::now()).map_err(|error| match error {
            TokenError::Expired => ErrorCode::TokenExpired,
            _ => ErrorCode::TokenInvalid,
        })
    }

    /// Checks a login and returns the character's record: the stored one, or a new character
    /// at `start` (in `start_cell`) with the starter items.
    pub async fn login(
        &self,
        name: &str,
        password: Option<&str>,
        start: IVec2,
        start_cell: CellId,
    ) -> Result<PlayerRecord, ErrorCode> {
        if let Some(record) = self.load(name).await? {
            check_password(record.credentials.clone(), password.map(str::to_owned)).await?;
            return Ok(record);
        }
        let credentials = match password {
            Some(password) => Some(hash(password.to_owned()).await?),
            None => None,
        };
        let serials = self.store.allocate_serials(STARTER_ITEMS.len() as u64).await.map_err(store_code)?;
        let mut record = PlayerRecord::new(name, credentials, start, start_cell);
        record.inventory =
            serials.iter().zip(STARTER_ITEMS).map(|(serial, kind)| Item { serial, kind, count: 1 }).collect();
        match self.store.create_account(&record).await {
            Ok(()) => Ok(record),
            // Someone created it meanwhile (another gateway): log in to that one.
            Err(StoreError::AlreadyExists { .. }) => {
                let record = self.load(name).await?.ok_or(ErrorCode::StoreUnavailable)?;
                check_password(record.credentials.clone(), password.map(str::to_owned)).await?;
                Ok(record)
            }
            Err(error) => Err(store_code(error)),
        }
    }

    /// The record of the character a token names (no password needed).
    pub async fn resume(&self, token: &str) -> Result<PlayerRecord, ErrorCode> {
        let name = self.verify_token(token)?;
        self.load(&name).await?.ok_or(ErrorCode::TokenInvalid)
    }

    async fn load(&self, name: &str) -> Result<Option<PlayerRecord>, ErrorCode> {
        self.store.load(name).await.map_err(store_code)
    }
}

fn store_code(error: StoreError) -> ErrorCode {
    match error {
        StoreError::Corrupt { name, reason } => {
            warn!(player = %name, %reason, "stored player record is corrupt");
            ErrorCode::CharacterCorrupt
        }
        error => {
            warn!(%error, "player store failed");
            ErrorCode::StoreUnavailable
        }
    }
}

fn account_code(error: AccountError) -> ErrorCode {
    match error {
        AccountError::WrongPassword | AccountError::CredentialsMismatch(_) => ErrorCode::WrongPassword,
        AccountError::InvalidPassword => ErrorCode::PasswordInvalid,
        AccountError::InvalidName(_) => ErrorCode::NameInvalid,
        AccountError::BadHash(reason) => {
            warn!(%reason, "stored password hash is unreadable");
            ErrorCode::CharacterCorrupt
        }
        _ => ErrorCode::Internal,
    }
}

/// Argon2 is slow on purpose: off the async threads.
async fn check_password(credentials: Option<String>, password: Option<String>) -> Result<(), ErrorCode> {
    tokio::task::spawn_blocking(move || verify_login(credentials.as_deref(), password.as_deref()))
        .await
        .map_err(|_| ErrorCode::Internal)?
        .map_err(account_code)
}

async fn hash(password: String) -> Result<String, ErrorCode> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| ErrorCode::Internal)?
        .map_err(account_code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_store::MemoryStore;

    fn accounts(ttl: Duration) -> Accounts {
        Accounts::new(AnyStore::Memory(MemoryStore::new()), TokenKey::new([3u8; 32]).unwrap(), ttl)
    }

    const START: IVec2 = IVec2::new(100, 200);

    #[tokio::test]
    async fn new_characters_get_starter_items_with_unique_serials() {
        let a = accounts(DEFAULT_TOKEN_TTL);
        let ann = a.login("ann", None, START, CellId::new(0, 0)).await.unwrap();
        let bob = a.login("bob", Some("correct horse"), START, CellId::new(0, 0)).await.unwrap();
        assert_eq!(ann.version, 0);
        let mut serials: Vec<_> = ann.inventory.iter().chain(&bob.inventory).map(|i| i.serial).collect();
        assert_eq!(serials.len(), 4);
        serials.sort();
        serials.dedup();
        assert_eq!(serials.len(), 4, "serials are unique");
        assert!(bob.credentials.as_deref().is_some_and(|c| c.starts_with("$argon2id$")));
    }

    #[tokio::test]
    async fn passwords_are_checked_and_guests_have_none() {
        let a = accounts(DEFAULT_TOKEN_TTL);
        a.login("bob", Some("correct horse"), START, CellId::new(0, 0)).await.unwrap();
        let cell = CellId::new(0, 0);
        assert_eq!(a.login("bob", Some("wrong horse"), START, cell).await, Err(ErrorCode::WrongPassword));
        assert_eq!(a.login("bob", None, START, cell).await, Err(ErrorCode::WrongPassword));
        assert!(a.login("bob", Some("correct horse"), START, cell).await.is_ok());
        a.login("ann", None, START, cell).await.unwrap();
        assert_eq!(a.login("ann", Some("a password"), START, cell).await, Err(ErrorCode::WrongPassword));
        assert_eq!(a.login("cid", Some("short"), START, cell).await, Err(ErrorCode::PasswordInvalid));
    }

    #[tokio::test]
    async fn tokens_resume_and_bad_ones_have_their_codes() {
        let a = accounts(DEFAULT_TOKEN_TTL);
        let bob = a.login("bob", Some("correct horse"), START, CellId::new(0, 0)).await.unwrap();
        let token = a.issue_token("bob");
        assert_eq!(a.resume(&token).await, Ok(bob));
        let forged = accounts(DEFAULT_TOKEN_TTL);
        let other_key = Accounts::new(forged.store.clone(), TokenKey::new([4u8; 32]).unwrap(), DEFAULT_TOKEN_TTL);
        assert_eq!(a.resume(&other_key.issue_token("bob")).await, Err(ErrorCode::TokenInvalid));
        assert_eq!(a.resume("garbage").await, Err(ErrorCode::TokenInvalid));
        let expired = TokenKey::new([3u8; 32]).unwrap().issue("bob", SystemTime::UNIX_EPOCH, Duration::from_secs(1));
        assert_eq!(a.resume(&expired).await, Err(ErrorCode::TokenExpired));
    }
}
