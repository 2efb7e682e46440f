//! The party documents and every change to them, as plain functions on plain data: what
//! `/invite`, `/accept`, `/leave`, `/p` and a member's status report do to a party. Stored in
//! hot state as JSON (readable with `redis-cli`; new fields default when old documents are read).

use mmo_protocol::{PartyMember, PartyNotice};
use serde::{Deserialize, Serialize};

/// At most this many members in a party.
pub const MAX_MEMBERS: usize = 6;
/// An invitation stands this long.
pub const INVITE_MS: u64 = 60_000;
/// Party chat lines kept in the document (members' gateways poll it; a line older than the
/// last this many was seen by every member online).
pub const CHAT_KEPT: usize = 32;
/// A member whose gateway has not reported it for this long is shown offline.
pub const OFFLINE_AFTER_MS: u64 = 5_000;

/// A party: key `party:<id>`. Ids are never reused (the creator's name and the creation time),
/// so a party's document can be removed when its last member leaves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Party {
    pub id: String,
    pub leader: String,
    pub members: Vec<Member>,
    /// The newest chat lines, oldest first.
    pub chat: Vec<Line>,
    /// The sequence number of the next chat line.
    pub next_line: u64,
}

/// A member as its gateway last reported it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Member {
    pub name: String,
    pub hp: u16,
    pub max_hp: u16,
    pub level: u32,
    /// When its gateway last reported it (Unix ms); 0 while it is offline.
    pub seen_ms: u64,
}

/// One line of party chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub seq: u64,
    pub from: String,
    pub text: String,
}

/// A player's party and the invitations it holds: key `member:<lower-case name>`. Never
/// removed (its version keeps growing), so it can be compared and swapped safely.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Membership {
    pub party: Option<String>,
    pub invites: Vec<Invite>,
}

/// An invitation to party `party` from `from`, standing until `until_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    pub party: String,
    pub from: String,
    pub until_ms: u64,
}

/// The key of `name`'s membership document (names are case-insensitive).
pub fn member_key(name: &str) -> String {
    format!("member:{}", name.to_ascii_lowercase())
}

/// The key of party `id`'s document.
pub fn party_key(id: &str) -> String {
    format!("party:{id}")
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl Party {
    /// A new party of `leader` alone, created at `now_ms`.
    pub fn found(leader: &str, now_ms: u64) -> Party {
        Party {
            id: format!("{}-{now_ms}", leader.to_ascii_lowercase()),
            leader: leader.to_owned(),
            members: vec![Member { name: leader.to_owned(), seen_ms: now_ms, ..Member::default() }],
            ..Party::default()
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.members.iter().any(|m| same(&m.name, name))
    }

    /// The members as the HUD shows them at `now_ms`.
    pub fn shown(&self, now_ms: u64) -> Vec<PartyMember> {
        self.members
            .iter()
            .map(|m| PartyMember {
                name: m.name.clone(),
                hp: m.hp,
                max_hp: m.max_hp,
                level: m.level,
                online: m.seen_ms > 0 && now_ms.saturating_sub(m.seen_ms) < OFFLINE_AFTER_MS,
            })
            .collect()
    }

    /// Adds `name` (accepting an invitation).
    pub fn admit(&mut self, name: &str, now_ms: u64) -> Result<(), PartyNotice> {
        if self.has(name) {
            return Err(PartyNotice::AlreadyInParty { name: name.to_owned() });
        }
        if self.members.len() >= MAX_MEMBERS {
            return Err(PartyNotice::PartyFull);
        }
        self.members.push(Member { name: name.to_owned(), seen_ms: now_ms, ..Member::default() });
        Ok(())
    }

    /// Takes `name` out; the next member leads if it led. False if it was not a member.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.members.len();
        self.members.retain(|m| !same(&m.name, name));
        if same(&self.leader, name) {
            self.leader = self.members.first().map(|m| m.name.clone()).unwrap_or_default();
        }
        self.members.len() < before
    }

    /// Appends a chat line, keeping the newest [`CHAT_KEPT`].
    pub fn say(&mut self, from: &str, text: &str) {
        self.chat.push(Line { seq: self.next_line, from: from.to_owned(), text: text.to_owned() });
        self.next_line += 1;
        let excess = self.chat.len().saturating_sub(CHAT_KEPT);
        self.chat.drain(..excess);
    }

    /// Whether a report of `name`'s status would change the document: anything the HUD shows
    /// (HP, level, or it comes back online), or a heartbeat once it is half way to offline.
    pub fn wants_report(&self, name: &str, (hp, max_hp, level): (u16, u16, u32), now_ms: u64) -> bool {
        self.members.iter().find(|m| same(&m.name, name)).is_some_and(|m| {
            let stale = now_ms.saturating_sub(m.seen_ms) >= OFFLINE_AFTER_MS / 2;
            (m.hp, m.max_hp, m.level) != (hp, max_hp, level) || stale
        })
    }

    /// Records a member's status if [`Self::wants_report`]; true if it did.
    pub fn report(&mut self, name: &str, status: (u16, u16, u32), now_ms: u64) -> bool {
        if !self.wants_report(name, status, now_ms) {
            return false;
        }
        let Some(m) = self.members.iter_mut().find(|m| same(&m.name, name)) else { return false };
        (m.hp, m.max_hp, m.level, m.seen_ms) = (status.0, status.1, status.2, now_ms);
        true
    }

    /// Marks `name` offline (it logged out); true if it was shown online.
    pub fn went_offline(&mut self, name: &str) -> bool {
        match self.members.iter_mut().find(|m| same(&m.name, name)) {
            Some(m) if m.seen_ms > 0 => {
                m.seen_ms = 0;
                true
            }
            _ => false,
        }
    }
}

impl Membership {
    /// Forgets invitations that ran out at `now_ms`.
    pub fn expire(&mut self, now_ms: u64) {
        self.invites.retain(|i| i.until_ms > now_ms);
    }

    /// Holds an invitation to `party` from `from` (replacing an older one to the same party).
    pub fn invite(&mut self, party: &str, from: &str, now_ms: u64) {
        self.expire(now_ms);
        self.invites.retain(|i| i.party != party);
        self.invites.push(Invite { party: party.to_owned(), from: from.to_owned(), until_ms: now_ms + INVITE_MS });
    }

    /// The newest invitation standing at `now_ms`.
    pub fn newest_invite(&self, now_ms: u64) -> Option<&Invite> {
        self.invites.iter().rev().find(|i| i.until_ms > now_ms)
    }
}

/// Encodes a document for hot state.
pub fn encode<T: Serialize>(doc: &T) -> Vec<u8> {
    serde_json::to_vec(doc).expect("party documents are plain data")
}

/// Decodes a document read from hot state; a document that does not decode reads as empty
/// (logged by the caller), so one bad document cannot lock its players out of parties.
pub fn decode<T: for<'de> Deserialize<'de> + Default>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_party_admits_up_to_its_size_and_not_twice() {
        let mut party = Party::found("Ann", 1_000);
        assert_eq!(party.admit("ANN", 1_000), Err(PartyNotice::AlreadyInParty { name: "ANN".into() }));
        for i in 1..MAX_MEMBERS {
            party.admit(&format!("m{i}"), 1_000).unwrap();
        }
        assert_eq!(party.admit("late", 1_000), Err(PartyNotice::PartyFull));
        assert_eq!(party.members.len(), MAX_MEMBERS);
    }

    #[test]
    fn the_next_member_leads_when_the_leader_leaves() {
        let mut party = Party::found("ann", 0);
        party.admit("bob", 0).unwrap();
        party.admit("cy", 0).unwrap();
        assert!(party.remove("ANN"));
        assert_eq!(party.leader, "bob");
        assert!(!party.remove("ann"), "not a member any more");
        assert!(party.remove("bob") && party.remove("cy"));
        assert_eq!(party.leader, "");
    }

    #[test]
    fn chat_keeps_the_newest_lines_with_growing_numbers() {
        let mut party = Party::found("ann", 0);
        for i in 0..CHAT_KEPT + 5 {
            party.say("ann", &format!("line {i}"));
        }
        assert_eq!(party.chat.len(), CHAT_KEPT);
        assert_eq!(party.chat[0].seq, 5);
        assert_eq!(party.chat.last().unwrap().text, format!("line {}", CHAT_KEPT + 4));
    }

    #[test]
    fn reports_change_the_document_only_when_the_hud_would_change() {
        let mut party = Party::found("ann", 0);
        assert!(party.report("ann", (100, 100, 1), 10_000), "first report");
        assert!(!party.report("ann", (100, 100, 1), 10_100), "nothing new");
        assert!(party.report("ann", (88, 100, 1), 10_200), "hurt");
        assert!(
            party.report("ann", (88, 100, 1), 10_200 + OFFLINE_AFTER_MS / 2),
            "a heartbeat before it looks offline"
        );
        assert!(!party.report("bob", (1, 1, 1), 0), "not a member");
        let shown = party.shown(10_300 + OFFLINE_AFTER_MS / 2);
        assert_eq!((shown[0].hp, shown[0].online), (88, true));
        assert!(!party.shown(20_000 + OFFLINE_AFTER_MS)[0].online, "silent for too long");
        assert!(party.went_offline("ann"));
        assert!(!party.shown(10_300)[0].online, "logged out");
    }

    #[test]
    fn invitations_expire_and_the_newest_counts() {
        let mut m = Membership::default();
        m.invite("p1", "ann", 0);
        m.invite("p2", "bob", 10);
        assert_eq!(m.newest_invite(20).unwrap().from, "bob");
        m.invite("p1", "ann", 30);
        assert_eq!(m.newest_invite(40).unwrap().party, "p1", "renewed: the newest");
        assert_eq!(m.newest_invite(10 + INVITE_MS).unwrap().party, "p1", "bob's ran out");
        assert!(m.newest_invite(30 + INVITE_MS).is_none());
        m.expire(30 + INVITE_MS);
        assert!(m.invites.is_empty());
    }

    #[test]
    fn documents_round_trip_and_old_ones_take_defaults() {
        let mut party = Party::found("ann", 5);
        party.say("ann", "hi");
        assert_eq!(decode::<Party>(&encode(&party)).unwrap(), party);
        let old: Membership = decode(br#"{"party":"ann-5"}"#).unwrap();
        assert_eq!(old, Membership { party: Some("ann-5".into()), invites: vec![] });
        assert!(decode::<Party>(b"not json").is_err());
    }
}
