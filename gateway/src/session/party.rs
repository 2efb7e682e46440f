//! The player's party as its session shows it. Sans-IO: the session reads the party documents
//! ([`crate::party::Parties::state`]) every [`POLL_EVERY`] and after each party command, and
//! [`PartyFeed::update`] turns what changed since the last read into messages: the party panel
//! (`Party`), new chat lines (`PartyChat`), invitations and members joining or leaving
//! (`PartyNotice`). The first read only sets the panel: lines said before the player joined
//! the world are not replayed.

use crate::party::model::Invite;
use crate::party::PartyState;
use mmo_protocol::control::validate_name;
use mmo_protocol::{ErrorCode, PartyMember, PartyNotice, ServerControl};
use mmo_world::ZoneId;
use std::sync::Arc;
use std::time::Duration;

/// How often a session reads its party (and reports the player's HP and level to it).
pub(super) const POLL_EVERY: Duration = Duration::from_millis(500);
/// How often a session in no party reads its membership (for invitations).
pub(super) const POLL_ALONE_EVERY: Duration = Duration::from_secs(1);

/// A party command typed in chat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum PartyCommand {
    Invite(String),
    Accept,
    Leave,
    Say(String),
}

/// The party command `text` is, if it is one: `Err(ChatInvalid)` for one that is malformed
/// (`/invite` without a valid name, `/p` with nothing to say).
pub(super) fn command(text: &str) -> Option<Result<PartyCommand, ErrorCode>> {
    let text = text.trim();
    let (word, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let rest = rest.trim();
    Some(match word {
        "/invite" => {
            validate_name(rest).map(|()| PartyCommand::Invite(rest.to_owned())).map_err(|_| ErrorCode::ChatInvalid)
        }
        "/accept" => Ok(PartyCommand::Accept),
        "/leave" => Ok(PartyCommand::Leave),
        "/p" if !rest.is_empty() => Ok(PartyCommand::Say(rest.to_owned())),
        "/p" => Err(ErrorCode::ChatInvalid),
        _ => return None,
    })
}

/// What the client was last told of its party.
#[derive(Debug, Default)]
pub(super) struct PartyFeed {
    /// The last panel sent (leader, members).
    shown: Option<(String, Vec<PartyMember>)>,
    /// The party and the number of its next chat line not yet sent (`None` before the first
    /// read).
    next_line: Option<(String, u64)>,
    /// Invitations already announced.
    invites: Vec<Invite>,
    /// The other members' names at the last read, to tell whom the zone shares kills with.
    others: Vec<Arc<str>>,
    /// What the zone simulating the player was last told of them, and which zone that was.
    told: Option<(ZoneId, Vec<Arc<str>>)>,
}

impl PartyFeed {
    /// Whether the player is in a party, as last read.
    pub(super) fn in_party(&self) -> bool {
        self.shown.as_ref().is_some_and(|(_, members)| !members.is_empty())
    }

    /// The other members, as last read.
    #[cfg(test)]
    pub(super) fn others(&self) -> &[Arc<str>] {
        &self.others
    }

    /// The members to tell `zone` (the one simulating the player now), if it does not know
    /// them yet: after a change, or when the player moved to another zone. A player in no
    /// party who never was is not announced.
    pub(super) fn tell_zone(&mut self, zone: ZoneId) -> Option<Vec<Arc<str>>> {
        let told = match &self.told {
            Some((z, members)) => *z == zone && *members == self.others,
            None => self.others.is_empty(),
        };
        if told {
            return None;
        }
        self.told = Some((zone, self.others.clone()));
        Some(self.others.clone())
    }

    /// The messages that bring the client from what it was told to `state` (read at
    /// `now_ms`), for player `me`.
    pub(super) fn update(&mut self, me: &str, state: &PartyState, now_ms: u64) -> Vec<ServerControl> {
        let mut out = Vec::new();
        let (leader, members) = match &state.party {
            Some(party) => (party.leader.clone(), party.shown(now_ms)),
            None => (String::new(), Vec::new()),
        };
        let first = self.shown.is_none();
        if !first {
            self.announce_members(me, &members, &mut out);
        }
        if self.shown.as_ref() != Some(&(leader.clone(), members.clone())) {
            out.push(ServerControl::Party { leader: leader.clone(), members: members.clone() });
        }
        self.others =
            members.iter().filter(|m| !m.name.eq_ignore_ascii_case(me)).map(|m| m.name.as_str().into()).collect();
        self.shown = Some((leader, members));
        if let Some(party) = &state.party {
            // The first read, or another party than at the last: its lines from now on.
            let from = match &self.next_line {
                Some((id, next)) if *id == party.id => *next,
                _ => party.next_line,
            };
            for line in party.chat.iter().filter(|l| l.seq >= from) {
                out.push(ServerControl::PartyChat { from: line.from.clone(), text: line.text.clone() });
            }
            self.next_line = Some((party.id.clone(), party.next_line));
        } else {
            self.next_line = None;
        }
        for invite in state.membership.invites.iter().filter(|i| i.until_ms > now_ms) {
            if !self.invites.contains(invite) {
                out.push(ServerControl::PartyNotice { notice: PartyNotice::Invited { from: invite.from.clone() } });
            }
        }
        self.invites = state.membership.invites.clone();
        out
    }

    /// Others joining or leaving since the last read (the player's own join and leave are
    /// answered to its command).
    fn announce_members(&self, me: &str, members: &[PartyMember], out: &mut Vec<ServerControl>) {
        let Some((_, before)) = &self.shown else { return };
        if before.is_empty() || members.is_empty() {
            return;
        }
        let had = |list: &[PartyMember], name: &str| list.iter().any(|m| m.name.eq_ignore_ascii_case(name));
        for m in members.iter().filter(|m| !m.name.eq_ignore_ascii_case(me) && !had(before, &m.name)) {
            out.push(ServerControl::PartyNotice { notice: PartyNotice::Joined { name: m.name.clone() } });
        }
        for m in before.iter().filter(|m| !m.name.eq_ignore_ascii_case(me) && !had(members, &m.name)) {
            out.push(ServerControl::PartyNotice { notice: PartyNotice::Left { name: m.name.clone() } });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::party::model::{Membership, Party};

    #[test]
    fn party_commands_parse_and_malformed_ones_are_invalid() {
        assert_eq!(command("/invite bob_2"), Some(Ok(PartyCommand::Invite("bob_2".into()))));
        assert_eq!(command("  /accept "), Some(Ok(PartyCommand::Accept)));
        assert_eq!(command("/leave"), Some(Ok(PartyCommand::Leave)));
        assert_eq!(command("/p  meet at the cave "), Some(Ok(PartyCommand::Say("meet at the cave".into()))));
        for bad in ["/invite", "/invite b", "/invite bob cy", "/p", "/p   "] {
            assert_eq!(command(bad), Some(Err(ErrorCode::ChatInvalid)), "{bad}");
        }
        for chat in ["hello", "/give bob", "/party", "/pick"] {
            assert_eq!(command(chat), None, "{chat}");
        }
    }

    fn party(members: &[&str]) -> Party {
        let mut party = Party::found(members[0], 1_000);
        for m in &members[1..] {
            party.admit(m, 1_000).unwrap();
        }
        party
    }

    fn state(party: Option<Party>) -> PartyState {
        let membership = Membership { party: party.as_ref().map(|p| p.id.clone()), invites: vec![] };
        PartyState { membership, party }
    }

    #[test]
    fn the_first_read_shows_the_panel_without_replaying_old_chat() {
        let mut p = party(&["ann", "bob"]);
        p.say("bob", "said before ann came");
        let mut feed = PartyFeed::default();
        let out = feed.update("ann", &state(Some(p.clone())), 1_500);
        assert!(matches!(&out[..], [ServerControl::Party { members, .. }] if members.len() == 2), "{out:?}");
        assert!(feed.in_party());
        assert_eq!(feed.others(), [Arc::from("bob")]);
        assert!(feed.update("ann", &state(Some(p.clone())), 1_600).is_empty(), "nothing changed");
        p.say("bob", "hi");
        p.say("ann", "hey");
        let out = feed.update("ann", &state(Some(p)), 1_700);
        let lines: Vec<String> = out
            .iter()
            .filter_map(|m| match m {
                ServerControl::PartyChat { from, text } => Some(format!("{from}: {text}")),
                _ => None,
            })
            .collect();
        assert_eq!(lines, ["bob: hi", "ann: hey"]);
    }

    #[test]
    fn members_joining_and_leaving_and_invitations_are_announced_once() {
        let mut feed = PartyFeed::default();
        let mut alone = state(None);
        alone.membership.invite("cy-1", "cy", 1_000);
        let out = feed.update("ann", &alone, 1_000);
        assert!(out.contains(&ServerControl::PartyNotice { notice: PartyNotice::Invited { from: "cy".into() } }));
        assert!(!feed.in_party());
        assert!(feed.update("ann", &alone, 1_100).is_empty(), "announced once");

        feed.update("ann", &state(Some(party(&["ann", "bob"]))), 1_200);
        let out = feed.update("ann", &state(Some(party(&["ann", "cy"]))), 1_300);
        let notices: Vec<_> = out.iter().filter(|m| matches!(m, ServerControl::PartyNotice { .. })).collect();
        assert_eq!(
            notices,
            [
                &ServerControl::PartyNotice { notice: PartyNotice::Joined { name: "cy".into() } },
                &ServerControl::PartyNotice { notice: PartyNotice::Left { name: "bob".into() } },
            ]
        );
        let out = feed.update("ann", &state(None), 1_400);
        assert_eq!(out, [ServerControl::Party { leader: String::new(), members: vec![] }], "left: an empty panel");
        assert!(feed.others().is_empty());
    }

    #[test]
    fn the_zone_is_told_the_members_after_a_change_and_after_a_move() {
        let mut feed = PartyFeed::default();
        feed.update("ann", &state(None), 0);
        assert_eq!(feed.tell_zone(ZoneId(1)), None, "never in a party: nothing to tell");
        feed.update("ann", &state(Some(party(&["ann", "bob"]))), 0);
        assert_eq!(feed.tell_zone(ZoneId(1)), Some(vec![Arc::from("bob")]));
        assert_eq!(feed.tell_zone(ZoneId(1)), None, "told already");
        assert_eq!(feed.tell_zone(ZoneId(2)), Some(vec![Arc::from("bob")]), "the player plays on zone 2 now");
        feed.update("ann", &state(None), 0);
        assert_eq!(feed.tell_zone(ZoneId(2)), Some(vec![]), "left the party");
        assert_eq!(feed.tell_zone(ZoneId(2)), None);
    }
}
