//! Messages on the reliable control stream, one type per direction.
//!
//! Phases: the client sends `Hello` first, the server answers `Welcome` (or an `Error` with
//! `VersionMismatch` and closes); then `Login` (a name, with a password for an account or
//! without for a guest) or `Resume` (a session token from an earlier `Joined`), answered by
//! `Joined` carrying a fresh token (or an `Error`: `WrongPassword`, `PasswordInvalid`,
//! `TokenInvalid`, `TokenExpired`, `NameTaken`, `CharacterCorrupt` let the client retry); after
//! that `Chat` either way, `Terrain` from the server for cells near the player. A draining gateway
//! sends `Reconnect` to the players on it and refuses logins with `Draining`.

use crate::error::ErrorCode;
use crate::limits::{MAX_CHAT_CHARS, NAME_CHARS};
use mmo_world::{CellId, EntityId, SessionId, Tick, TickClock, WorldGeometry, ZoneId};
use serde::{Deserialize, Serialize};

/// Client to gateway, on the control stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientControl {
    Hello {
        version: u16,
    },
    /// Plays the character `name`: with `password` an account (created on first login, the
    /// password then required), without one a guest character (which has no password).
    Login {
        name: String,
        password: Option<String>,
    },
    Chat {
        text: String,
    },
    /// Plays the character a session token (from `Joined`) was issued for, without a password.
    Resume {
        token: String,
    },
}

/// Gateway to client, on the control stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerControl {
    Welcome {
        version: u16,
        session: SessionId,
        world: WorldInfo,
    },
    Joined {
        entity: EntityId,
        name: String,
        zone: ZoneId,
        tick: Tick,
        /// A short-lived signed token for `Resume` after a lost connection.
        token: String,
    },
    /// The tiles of one cell, run-length encoded (`mmo_world::CellTerrain::to_rle`).
    Terrain {
        cell: CellId,
        rle: Vec<u8>,
    },
    Chat {
        from: String,
        text: String,
    },
    Error {
        code: ErrorCode,
    },
    /// The player's inventory, sent after `Joined` and whenever it changes.
    Inventory {
        items: Vec<crate::cell::InventoryItem>,
    },
    /// The items lying on the ground in the player's view, by serial, sent when they change
    /// (rarely: a drop, a pickup, loot), so they ride the reliable stream, not the snapshots.
    Ground {
        items: Vec<crate::cell::GroundItem>,
    },
    /// The gateway is going away (draining before a restart): connect again through
    /// `/api/connect` of the page's address, which leads to another gateway, and `Resume` with
    /// the session token. The session stays open until the client leaves or the gateway's drain
    /// times out.
    Reconnect,
    /// No snapshot for this session for half a second, and the gateway is still here (the
    /// player's zone died and a new owner is taking its cells over, or the world is late):
    /// repeated every half second until snapshots resume, so that a client tells a stalled
    /// world from a lost gateway, and waits instead of moving to another gateway.
    Stalled,
    /// The player's party as it is now, wherever its members play (another zone, another
    /// gateway): sent after joining and whenever it changes. No members: in no party.
    Party {
        leader: String,
        members: Vec<PartyMember>,
    },
    /// A line of party chat (`/p TEXT`).
    PartyChat {
        from: String,
        text: String,
    },
    /// What became of a party command, or news of the party.
    PartyNotice {
        notice: PartyNotice,
    },
}

/// A party member as its party sees it (HUD): HP and level as last reported by its gateway.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyMember {
    pub name: String,
    pub hp: u16,
    pub max_hp: u16,
    pub level: u32,
    /// Playing now (its gateway reported it within the last few seconds).
    pub online: bool,
}

/// Party news and the answers to `/invite`, `/accept` and `/leave`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartyNotice {
    /// `from` invites this player (`/accept` joins).
    Invited { from: String },
    /// This player's invitation went to `to`.
    InviteSent { to: String },
    /// `name` joined the party (this player, after `/accept`).
    Joined { name: String },
    /// `name` left the party (this player, after `/leave`).
    Left { name: String },
    /// Nobody of that name is playing now.
    NotOnline { name: String },
    /// `name` is in a party already.
    AlreadyInParty { name: String },
    /// The party has no room for another member.
    PartyFull,
    /// `/accept` with no invitation standing (none, expired, or its party is gone).
    NoInvite,
    /// `/leave` or `/p` outside a party.
    NotInParty,
    /// Parties cannot be reached now (hot state unavailable); nothing changed.
    Unavailable,
}

impl crate::codec::Message for ClientControl {
    const KINDS: u8 = 4;
}

impl crate::codec::Message for ServerControl {
    const KINDS: u8 = 12;
}

/// What a client needs to know about the world to play in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorldInfo {
    pub geometry: WorldGeometry,
    pub clock: TickClock,
}

/// Checks a player name: 3 to 16 letters, digits, `_` or `-`.
pub fn validate_name(name: &str) -> Result<(), ErrorCode> {
    let ok = NAME_CHARS.contains(&name.chars().count())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ErrorCode::NameInvalid)
    }
}

/// Checks a chat line: not blank, at most [`MAX_CHAT_CHARS`], no control characters.
pub fn validate_chat(text: &str) -> Result<(), ErrorCode> {
    let ok = !text.trim().is_empty() && text.chars().count() <= MAX_CHAT_CHARS && !text.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(ErrorCode::ChatInvalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        assert!(validate_name("ada").is_ok());
        assert!(validate_name("Player_01-x").is_ok());
        assert_eq!(validate_name("ab"), Err(ErrorCode::NameInvalid));
        assert_eq!(validate_name("a name"), Err(ErrorCode::NameInvalid));
        assert_eq!(validate_name("seventeen_chars_x"), Err(ErrorCode::NameInvalid));
        assert_eq!(validate_name("émile"), Err(ErrorCode::NameInvalid));
    }

    #[test]
    fn chat_is_validated() {
        assert!(validate_chat("hello there").is_ok());
        assert_eq!(validate_chat("   "), Err(ErrorCode::ChatInvalid));
        assert_eq!(validate_chat("bell\u{7}"), Err(ErrorCode::ChatInvalid));
        assert_eq!(validate_chat(&"x".repeat(201)), Err(ErrorCode::ChatInvalid));
    }
}
