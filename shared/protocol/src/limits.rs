//! Hard size limits. Every decoder enforces them before allocating.

/// Largest snapshot datagram the gateway sends. Chromium's WebTransport datagrams carry at most
/// 1211 bytes of payload; this leaves room for the datagram header.
pub const MAX_SNAPSHOT_BYTES: usize = 1100;
/// Largest datagram a client may send (an input frame is a few dozen bytes).
pub const MAX_CLIENT_DATAGRAM: usize = 256;
/// Largest control frame a client may send (login, chat).
pub const MAX_CLIENT_CONTROL: usize = 1024;
/// Largest control frame the server sends (terrain of one cell fits with room to spare).
pub const MAX_SERVER_CONTROL: usize = 64 * 1024;
/// Most inputs carried in one input datagram (the newest and the ones before it, resent
/// against loss).
pub const MAX_INPUTS_PER_FRAME: usize = 8;
/// Longest chat line, in characters.
pub const MAX_CHAT_CHARS: usize = 200;
/// Player names: 3 to 16 characters of letters, digits, `_` and `-`.
pub const NAME_CHARS: std::ops::RangeInclusive<usize> = 3..=16;
