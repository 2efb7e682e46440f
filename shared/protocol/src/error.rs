//! Error codes sent to clients. The client shows a message per code; never free text.

use serde::{Deserialize, Serialize};

/// Why the server refused something or closed the session. Also used as the WebTransport close
/// code (`code as u32 + 4000`) and the WebSocket close code (`4000 + code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u16)]
pub enum ErrorCode {
    /// The client's protocol version differs from the server's.
    VersionMismatch = 1,
    /// A message could not be decoded.
    MalformedMessage = 2,
    /// A message of a kind the server does not know.
    UnknownMessage = 3,
    /// A frame larger than the limit for its channel.
    FrameTooLarge = 4,
    /// A message arrived in a phase where it is not allowed (e.g. input before login).
    UnexpectedMessage = 5,
    /// Far more inputs per second than a client sends.
    InputFlood = 6,
    /// Chat lines too fast; the line was dropped (the session stays open).
    ChatFlood = 7,
    NameTaken = 8,
    NameInvalid = 9,
    ChatInvalid = 10,
    ServerFull = 11,
    /// The zone that should simulate the player is not reachable.
    ZoneUnavailable = 12,
    /// The gateway is shutting down.
    ShuttingDown = 13,
    Internal = 14,
    /// The password does not match the account's (or a guest character was given one, or an
    /// account none).
    WrongPassword = 15,
    /// A password outside 8 to 128 bytes.
    PasswordInvalid = 16,
    /// A session token that is malformed or whose signature does not match.
    TokenInvalid = 17,
    /// A session token past its expiry: log in again.
    TokenExpired = 18,
    /// The character's stored record cannot be read; nobody else is affected.
    CharacterCorrupt = 19,
    /// The player store cannot be reached: try again shortly.
    StoreUnavailable = 20,
    /// The gateway is draining (about to stop): connect again through the page's address, which
    /// leads to another gateway, and resume there.
    Draining = 21,
    /// The client did not send what its phase needs in time (no `Hello` within 10 s of
    /// opening the session): the session is closed so that idle connections hold nothing.
    Timeout = 22,
}

impl ErrorCode {
    /// Close code used on both transports.
    pub fn close_code(self) -> u32 {
        4000 + self as u32
    }

    /// Whether the session is closed after this error is sent.
    pub fn is_fatal(self) -> bool {
        !matches!(
            self,
            ErrorCode::ChatFlood
                | ErrorCode::ChatInvalid
                | ErrorCode::NameTaken
                | ErrorCode::NameInvalid
                | ErrorCode::WrongPassword
                | ErrorCode::PasswordInvalid
                | ErrorCode::TokenInvalid
                | ErrorCode::TokenExpired
                | ErrorCode::CharacterCorrupt
                | ErrorCode::StoreUnavailable
        )
    }
}
