//! The one place that knows the zone link's byte encoding: bincode 2 (standard config) over
//! serde, each message behind a 4-byte little-endian length ([`mmo_protocol::framing`]). Same
//! style as `mmo_protocol::codec`; bincode is unmaintained upstream (RUSTSEC-2025-0141), so
//! swapping it means changing this module only (both ends of a link run the same build).

use bincode::config;
use serde::{de::DeserializeOwned, Serialize};

/// The largest message a link accepts (a zone report or a migration of a crowded cell).
pub const MAX_MESSAGE: usize = 32 * 1024 * 1024;

/// A link message that could not be encoded or decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    #[error("message of {size} bytes exceeds the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("{0} bytes left over after the message")]
    TrailingBytes(usize),
}

impl WireError {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            WireError::TooLarge { .. } => "link_frame_too_large",
            WireError::Malformed(_) => "link_malformed_message",
            WireError::TrailingBytes(_) => "link_trailing_bytes",
        }
    }
}

fn config() -> config::Configuration<config::LittleEndian, config::Varint, config::Limit<MAX_MESSAGE>> {
    config::standard().with_limit::<MAX_MESSAGE>()
}

/// Encodes `msg` with its length prefix.
pub fn encode_framed<T: Serialize>(msg: &T) -> Result<Vec<u8>, WireError> {
    let mut out = vec![0u8; 4];
    bincode::serde::encode_into_std_write(msg, &mut out, config()).map_err(|e| WireError::Malformed(e.to_string()))?;
    let size = out.len() - 4;
    if size > MAX_MESSAGE {
        return Err(WireError::TooLarge { size, limit: MAX_MESSAGE });
    }
    out[..4].copy_from_slice(&(size as u32).to_le_bytes());
    Ok(out)
}

/// Decodes one whole message (without its length prefix).
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    if bytes.len() > MAX_MESSAGE {
        return Err(WireError::TooLarge { size: bytes.len(), limit: MAX_MESSAGE });
    }
    let (msg, used) =
        bincode::serde::decode_from_slice(bytes, config()).map_err(|e| WireError::Malformed(e.to_string()))?;
    if used != bytes.len() {
        return Err(WireError::TrailingBytes(bytes.len() - used));
    }
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_junk() {
        let msg = (7u64, String::from("hello"));
        let framed = encode_framed(&msg).unwrap();
        let size = u32::from_le_bytes(framed[..4].try_into().unwrap()) as usize;
        assert_eq!(size, framed.len() - 4);
        assert_eq!(decode::<(u64, String)>(&framed[4..]).unwrap(), msg);
        let mut long = framed[4..].to_vec();
        long.push(0);
        assert_eq!(decode::<(u64, String)>(&long), Err(WireError::TrailingBytes(1)));
        assert!(matches!(decode::<(u64, String)>(&[0xff; 3]), Err(WireError::Malformed(_))));
    }
}
