//! The one place that knows the byte encoding: bincode 2 (standard config: little-endian,
//! variable-length integers) over serde. bincode is unmaintained upstream (RUSTSEC-2025-0141);
//! swapping it means changing this module, `browser-client/src/codec.ts` and the golden vectors.

use bincode::config;
use serde::{de::DeserializeOwned, Serialize};

/// A message that could not be encoded or decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecError {
    #[error("message of {size} bytes exceeds the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("unknown message kind")]
    UnknownKind,
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("{0} bytes left over after the message")]
    TrailingBytes(usize),
}

impl CodecError {
    /// The code a client is told when its message fails to decode.
    pub fn code(&self) -> crate::ErrorCode {
        match self {
            CodecError::TooLarge { .. } => crate::ErrorCode::FrameTooLarge,
            CodecError::UnknownKind => crate::ErrorCode::UnknownMessage,
            CodecError::Malformed(_) | CodecError::TrailingBytes(_) => crate::ErrorCode::MalformedMessage,
        }
    }
}

fn config() -> config::Configuration {
    config::standard()
}

/// Encodes `msg`, failing if the result is larger than `limit` bytes.
pub fn encode<T: Serialize>(msg: &T, limit: usize) -> Result<Vec<u8>, CodecError> {
    let bytes = bincode::serde::encode_to_vec(msg, config()).map_err(|e| CodecError::Malformed(e.to_string()))?;
    if bytes.len() > limit {
        return Err(CodecError::TooLarge { size: bytes.len(), limit });
    }
    Ok(bytes)
}

/// Encoded size of `msg`.
pub fn encoded_len<T: Serialize>(msg: &T) -> usize {
    let mut counter = bincode::enc::write::SizeWriter::default();
    bincode::serde::encode_into_writer(msg, &mut counter, config()).map(|_| counter.bytes_written).unwrap_or(usize::MAX)
}

/// A top-level message type: an enum whose first byte on the wire is its kind.
pub trait Message: DeserializeOwned {
    /// How many kinds this build knows; a first byte at or past it is an unknown kind.
    const KINDS: u8;
}

/// Decodes one whole message from `bytes`, refusing anything over `limit` bytes before looking
/// inside and anything left over after the message. Lengths inside the message are bounded by
/// the input, so a hostile length prefix cannot make it allocate more than `limit`.
pub fn decode<T: Message>(bytes: &[u8], limit: usize) -> Result<T, CodecError> {
    if bytes.len() > limit {
        return Err(CodecError::TooLarge { size: bytes.len(), limit });
    }
    match bytes.first() {
        None => return Err(CodecError::Malformed("empty message".into())),
        Some(&kind) if kind >= T::KINDS => return Err(CodecError::UnknownKind),
        Some(_) => {}
    }
    let (msg, used) =
        bincode::serde::decode_from_slice(bytes, config().with_limit::<{ crate::limits::MAX_SERVER_CONTROL }>())
            .map_err(|e| CodecError::Malformed(e.to_string()))?;
    if used != bytes.len() {
        return Err(CodecError::TrailingBytes(bytes.len() - used));
    }
    Ok(msg)
}
