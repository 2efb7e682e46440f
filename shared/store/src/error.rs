//! The crate's error type.

use crate::record::ItemSerial;
use mmo_records::RecordError;

/// What a store, the saver or the account functions can fail with.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The stored record of this player cannot be decoded (bad envelope, unknown format version,
    /// truncated or garbled payload). Only this player is affected; a newer save replaces it.
    #[error("the stored record of player {name:?} is corrupt: {reason}")]
    Corrupt { name: String, reason: String },
    /// `create_account` for a name that is taken.
    #[error("an account named {name:?} already exists")]
    AlreadyExists { name: String },
    /// No record for this player.
    #[error("no player named {name:?}")]
    NotFound { name: String },
    /// `give_item`: `from` does not hold the item.
    #[error("player {name:?} does not hold item {serial:?}")]
    ItemNotHeld { name: String, serial: ItemSerial },
    /// `give_item` from a player to themselves.
    #[error("cannot transfer item {serial:?} from {name:?} to themselves")]
    SelfGive { name: String, serial: ItemSerial },
    /// The backing store failed or cannot be reached; the operation may be retried.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The writer's lease is no longer known valid (a zone frozen past it, or cut off from the
    /// registry): its saves are not sent, their players are someone else's now.
    #[error("the writer's lease is gone: save not sent")]
    LeaseGone,
    /// A value could not be encoded for storage.
    #[error("cannot encode: {0}")]
    Encode(String),
}

impl StoreError {
    /// Whether retrying the same operation later may succeed (the store was down), as opposed
    /// to errors about the data itself.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }

    pub(crate) fn unavailable(error: impl std::fmt::Display) -> StoreError {
        StoreError::Unavailable(error.to_string())
    }
}

impl From<RecordError> for StoreError {
    fn from(error: RecordError) -> Self {
        match error {
            RecordError::Corrupt { name, reason } => StoreError::Corrupt { name, reason },
            RecordError::Encode(reason) => StoreError::Encode(reason),
            _ => StoreError::Encode(error.to_string()),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
