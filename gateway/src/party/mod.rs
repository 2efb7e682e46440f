//! Parties across the world: `/invite NAME`, `/accept`, `/leave` and party chat (`/p TEXT`),
//! whichever zone and gateway each member plays on.
//!
//! A party lives in hot state (`mmo_store::HotState` documents: Redis with several gateways,
//! the redb file in the local world), not in a gateway or a zone, so it outlasts a relogin, a
//! gateway change and a restart of either. Two documents per player and party ([`model`]): a
//! player's membership (its party, its invitations) and the party (members with the HP and
//! level their gateways last reported, the newest chat lines). Every change reads them and
//! writes them back with a compare-and-swap across both keys, retried when someone else changed
//! one in between, so two gateways acting at once never lose a member or a line.
//!
//! Each playing session polls its documents ([`Parties::state`], every
//! `session::party::POLL_EVERY`): that brings the HUD its members' state, chat lines and
//! invitations, and reports the player's own HP and level. Hot state being down makes party
//! commands answer [`PartyNotice::Unavailable`] and changes nothing; play goes on.

pub mod model;

use mmo_protocol::PartyNotice;
use mmo_store::{AnyHot, DocWrite, HotState, StoreError};
use model::{member_key, party_key, Membership, Party};
use serde::Serialize;
use tracing::{debug, warn};

/// Compare-and-swap rounds before a change gives up (each one lost to another writer).
const ATTEMPTS: usize = 16;

/// A document as read, with the version to expect when writing it back.
#[derive(Clone, Debug, Default)]
struct Read<T> {
    version: Option<u64>,
    doc: T,
}

impl<T: Serialize> Read<T> {
    fn write(&self, key: String) -> DocWrite {
        DocWrite { key, expected: self.version, bytes: Some(model::encode(&self.doc)) }
    }
}

/// A player's party documents as one poll read them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartyState {
    pub membership: Membership,
    /// Its party (`None`: in none, or the party is gone).
    pub party: Option<Party>,
}

/// The parties of the world, in its hot state.
#[derive(Clone, Debug)]
pub struct Parties {
    hot: AnyHot,
}

fn unavailable(what: &str, name: &str, error: &StoreError) {
    metrics::counter!("mmo_gateway_party_errors_total").increment(1);
    warn!(%error, player = %name, "{what}: hot state unavailable");
}

impl Parties {
    pub fn new(hot: AnyHot) -> Self {
        Parties { hot }
    }

    async fn read_one<T: for<'de> serde::Deserialize<'de> + Default>(
        &self,
        key: String,
    ) -> Result<Read<T>, StoreError> {
        let mut docs = self.hot.docs(std::slice::from_ref(&key)).await?;
        let Some(doc) = docs.pop().flatten() else { return Ok(Read::default()) };
        let decoded = model::decode(&doc.bytes).unwrap_or_else(|error| {
            warn!(%error, key, "a party document does not decode: read as empty");
            T::default()
        });
        Ok(Read { version: Some(doc.version), doc: decoded })
    }

    async fn membership(&self, name: &str) -> Result<Read<Membership>, StoreError> {
        self.read_one(member_key(name)).await
    }

    /// The party of `membership`, if it still exists.
    async fn party_of(&self, membership: &Membership) -> Result<Option<Read<Party>>, StoreError> {
        let Some(id) = &membership.party else { return Ok(None) };
        let party: Read<Party> = self.read_one(party_key(id)).await?;
        Ok(party.version.is_some().then_some(party))
    }

    /// `name`'s membership and party now.
    pub async fn state(&self, name: &str) -> Result<PartyState, StoreError> {
        let membership = self.membership(name).await?;
        let party = self.party_of(&membership.doc).await?.map(|p| p.doc);
        Ok(PartyState { membership: membership.doc, party })
    }

    /// `from` invites `to` (online now, in no party) into its party, founding one if it has
    /// none.
    pub async fn invite(&self, from: &str, to: &str, now_ms: u64) -> PartyNotice {
        if from.eq_ignore_ascii_case(to) {
            return PartyNotice::AlreadyInParty { name: to.to_owned() };
        }
        match self.hot.online_holder(&to.to_ascii_lowercase()).await {
            Ok(Some(_)) => {}
            Ok(None) => return PartyNotice::NotOnline { name: to.to_owned() },
            Err(error) => {
                unavailable("invite", from, &error);
                return PartyNotice::Unavailable;
            }
        }
        self.retried("invite", from, || self.try_invite(from, to, now_ms)).await.unwrap_or(PartyNotice::Unavailable)
    }

    async fn try_invite(&self, from: &str, to: &str, now_ms: u64) -> Result<Attempt<PartyNotice>, StoreError> {
        let mut inviter = self.membership(from).await?;
        let mut invitee = self.membership(to).await?;
        if invitee.doc.party.is_some() {
            return Ok(Attempt::Done(PartyNotice::AlreadyInParty { name: to.to_owned() }));
        }
        let mut writes = Vec::new();
        let party = match self.party_of(&inviter.doc).await? {
            Some(party) if party.doc.members.len() >= model::MAX_MEMBERS => {
                return Ok(Attempt::Done(PartyNotice::PartyFull));
            }
            Some(party) => party,
            None => {
                let party = Read { version: None, doc: Party::found(from, now_ms) };
                inviter.doc.party = Some(party.doc.id.clone());
                writes.push(party.write(party_key(&party.doc.id)));
                writes.push(inviter.write(member_key(from)));
                party
            }
        };
        invitee.doc.invite(&party.doc.id, from, now_ms);
        writes.push(invitee.write(member_key(to)));
        self.swap(writes, PartyNotice::InviteSent { to: to.to_owned() }).await
    }

    /// `name` joins the party of its newest standing invitation.
    pub async fn accept(&self, name: &str, now_ms: u64) -> PartyNotice {
        self.retried("accept", name, || self.try_accept(name, now_ms)).await.unwrap_or(PartyNotice::Unavailable)
    }

    async fn try_accept(&self, name: &str, now_ms: u64) -> Result<Attempt<PartyNotice>, StoreError> {
        let mut member = self.membership(name).await?;
        if member.doc.party.is_some() {
            return Ok(Attempt::Done(PartyNotice::AlreadyInParty { name: name.to_owned() }));
        }
        let Some(invite) = member.doc.newest_invite(now_ms).cloned() else {
            return Ok(Attempt::Done(PartyNotice::NoInvite));
        };
        let invited = Membership { party: Some(invite.party.clone()), invites: Vec::new() };
        let Some(mut party) = self.party_of(&invited).await? else {
            // Its party broke up: the invitation goes.
            member.doc.invites.retain(|i| i.party != invite.party);
            return self.swap(vec![member.write(member_key(name))], PartyNotice::NoInvite).await;
        };
        if let Err(notice) = party.doc.admit(name, now_ms) {
            return Ok(Attempt::Done(notice));
        }
        member.doc = invited;
        let writes = vec![member.write(member_key(name)), party.write(party_key(&invite.party))];
        self.swap(writes, PartyNotice::Joined { name: name.to_owned() }).await
    }

    /// `name` leaves its party; the party's document goes with its last member.
    pub async fn leave(&self, name: &str) -> PartyNotice {
        self.retried("leave", name, || self.try_leave(name)).await.unwrap_or(PartyNotice::Unavailable)
    }

    async fn try_leave(&self, name: &str) -> Result<Attempt<PartyNotice>, StoreError> {
        let mut member = self.membership(name).await?;
        let Some(id) = member.doc.party.take() else { return Ok(Attempt::Done(PartyNotice::NotInParty)) };
        let mut writes = vec![member.write(member_key(name))];
        let with_party = Membership { party: Some(id.clone()), invites: Vec::new() };
        if let Some(mut party) = self.party_of(&with_party).await? {
            party.doc.remove(name);
            writes.push(if party.doc.members.is_empty() {
                DocWrite { key: party_key(&id), expected: party.version, bytes: None }
            } else {
                party.write(party_key(&id))
            });
        }
        self.swap(writes, PartyNotice::Left { name: name.to_owned() }).await
    }

    /// `name` says `text` to its party: `None` once said, else why not (`NotInParty`,
    /// `Unavailable`).
    pub async fn say(&self, name: &str, text: &str) -> Option<PartyNotice> {
        self.retried("party chat", name, || async {
            let member = self.membership(name).await?;
            let Some(mut party) = self.party_of(&member.doc).await? else {
                return Ok(Attempt::Done(Some(PartyNotice::NotInParty)));
            };
            party.doc.say(name, text);
            let key = party_key(&party.doc.id);
            self.swap(vec![party.write(key)], None).await
        })
        .await
        .unwrap_or(Some(PartyNotice::Unavailable))
    }

    /// Records `name`'s HP and level in its party (`party`, as just polled) if the HUD would
    /// show a change, or as a heartbeat that keeps it shown online.
    pub async fn report(&self, name: &str, party: &Party, status: (u16, u16, u32), now_ms: u64) {
        if !party.wants_report(name, status, now_ms) {
            return;
        }
        let key = party_key(&party.id);
        let written = self
            .retried("report", name, || async {
                let mut party: Read<Party> = self.read_one(key.clone()).await?;
                if party.version.is_none() || !party.doc.report(name, status, now_ms) {
                    return Ok(Attempt::Done(false));
                }
                self.swap(vec![party.write(key.clone())], true).await
            })
            .await;
        debug!(player = %name, ?written, "party status reported");
    }

    /// `name` logged out: its party shows it offline at once.
    pub async fn offline(&self, name: &str) {
        self.retried("offline", name, || async {
            let member = self.membership(name).await?;
            let Some(mut party) = self.party_of(&member.doc).await?.filter(|p| p.doc.has(name)) else {
                return Ok(Attempt::Done(()));
            };
            if !party.doc.went_offline(name) {
                return Ok(Attempt::Done(()));
            }
            let key = party_key(&party.doc.id);
            self.swap(vec![party.write(key)], ()).await
        })
        .await;
    }

    async fn swap<T>(&self, writes: Vec<DocWrite>, done: T) -> Result<Attempt<T>, StoreError> {
        Ok(if self.hot.swap_docs(&writes).await? { Attempt::Done(done) } else { Attempt::Conflict })
    }

    /// Runs `attempt` until it is not lost to another writer (at most [`ATTEMPTS`] times);
    /// `None` (logged) if hot state failed or it kept losing.
    async fn retried<T, F, Fut>(&self, what: &str, name: &str, mut attempt: F) -> Option<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Attempt<T>, StoreError>>,
    {
        for _ in 0..ATTEMPTS {
            match attempt().await {
                Ok(Attempt::Done(done)) => return Some(done),
                Ok(Attempt::Conflict) => metrics::counter!("mmo_gateway_party_conflicts_total").increment(1),
                Err(error) => {
                    unavailable(what, name, &error);
                    return None;
                }
            }
        }
        warn!(player = %name, "{what}: lost to other writers {ATTEMPTS} times in a row");
        None
    }
}

/// One round of a change: done (with its outcome) or lost to another writer.
#[derive(Debug)]
enum Attempt<T> {
    Done(T),
    Conflict,
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_store::MemoryHot;
    use mmo_world::{GatewayId, GatewayRun};
    use std::time::Duration;

    async fn world(online: &[&str]) -> Parties {
        let hot = MemoryHot::new();
        for name in online {
            let run = GatewayRun { gateway: GatewayId(1), run: 1 };
            hot.set_online(&name.to_ascii_lowercase(), run, Duration::from_secs(60)).await.unwrap();
        }
        Parties::new(AnyHot::Memory(hot))
    }

    fn names(state: &PartyState) -> Vec<&str> {
        state.party.iter().flat_map(|p| p.members.iter().map(|m| m.name.as_str())).collect()
    }

    #[tokio::test]
    async fn an_invited_player_accepts_and_both_see_the_party() {
        let parties = world(&["Ann", "bob"]).await;
        assert_eq!(parties.invite("Ann", "BOB", 0).await, PartyNotice::InviteSent { to: "BOB".into() });
        let bob = parties.state("bob").await.unwrap();
        assert_eq!(bob.membership.invites[0].from, "Ann");
        assert_eq!(parties.accept("bob", 10).await, PartyNotice::Joined { name: "bob".into() });
        let (ann, bob) = (parties.state("ann").await.unwrap(), parties.state("Bob").await.unwrap());
        assert_eq!(names(&ann), ["Ann", "bob"]);
        assert_eq!(ann, bob, "one party, as either reads it");
        assert!(bob.membership.invites.is_empty());
        assert_eq!(ann.party.unwrap().leader, "Ann");
    }

    #[tokio::test]
    async fn invitations_go_only_to_players_online_and_in_no_party() {
        let parties = world(&["ann", "bob", "cy"]).await;
        assert_eq!(parties.invite("ann", "dee", 0).await, PartyNotice::NotOnline { name: "dee".into() });
        assert_eq!(parties.invite("ann", "ANN", 0).await, PartyNotice::AlreadyInParty { name: "ANN".into() });
        parties.invite("ann", "bob", 0).await;
        parties.accept("bob", 0).await;
        assert_eq!(parties.invite("cy", "bob", 0).await, PartyNotice::AlreadyInParty { name: "bob".into() });
        assert_eq!(parties.accept("cy", 0).await, PartyNotice::NoInvite);
        // Any member invites; the invitation runs out.
        parties.invite("bob", "cy", 0).await;
        assert_eq!(parties.accept("cy", model::INVITE_MS + 1).await, PartyNotice::NoInvite);
    }

    #[tokio::test]
    async fn the_last_to_leave_breaks_the_party_up_and_its_invitations_lapse() {
        let parties = world(&["ann", "bob", "cy"]).await;
        parties.invite("ann", "bob", 0).await;
        parties.accept("bob", 0).await;
        parties.invite("ann", "cy", 0).await;
        assert_eq!(parties.leave("ann").await, PartyNotice::Left { name: "ann".into() });
        assert_eq!(parties.state("bob").await.unwrap().party.unwrap().leader, "bob", "bob leads now");
        assert_eq!(parties.leave("ann").await, PartyNotice::NotInParty);
        parties.leave("bob").await;
        assert_eq!(parties.state("bob").await.unwrap().party, None);
        assert_eq!(parties.accept("cy", 1).await, PartyNotice::NoInvite, "the party is gone");
        assert!(parties.state("cy").await.unwrap().membership.invites.is_empty());
    }

    #[tokio::test]
    async fn party_chat_and_reports_reach_every_member() {
        let parties = world(&["ann", "bob"]).await;
        assert_eq!(parties.say("ann", "alone").await, Some(PartyNotice::NotInParty));
        parties.invite("ann", "bob", 0).await;
        parties.accept("bob", 0).await;
        assert_eq!(parties.say("bob", "hi ann").await, None);
        let party = parties.state("ann").await.unwrap().party.unwrap();
        assert_eq!((party.chat[0].from.as_str(), party.chat[0].text.as_str()), ("bob", "hi ann"));
        parties.report("bob", &party, (42, 100, 3), 1_000).await;
        let party = parties.state("ann").await.unwrap().party.unwrap();
        let bob = party.shown(1_500).into_iter().find(|m| m.name == "bob").unwrap();
        assert_eq!((bob.hp, bob.max_hp, bob.level, bob.online), (42, 100, 3, true));
        parties.offline("bob").await;
        assert!(!parties.state("ann").await.unwrap().party.unwrap().shown(1_500)[1].online);
    }

    #[tokio::test]
    async fn many_joining_at_once_are_all_members_or_refused_as_full() {
        let invited: Vec<String> = (0..10).map(|i| format!("p{i}")).collect();
        let mut online: Vec<&str> = invited.iter().map(String::as_str).collect();
        online.push("ann");
        let parties = world(&online).await;
        for name in &invited {
            parties.invite("ann", name, 0).await;
        }
        let answers = futures::future::join_all(invited.iter().map(|n| parties.accept(n, 1))).await;
        let joined = answers.iter().filter(|a| matches!(a, PartyNotice::Joined { .. })).count();
        let full = answers.iter().filter(|a| **a == PartyNotice::PartyFull).count();
        assert_eq!((joined, full), (model::MAX_MEMBERS - 1, 10 - (model::MAX_MEMBERS - 1)), "{answers:?}");
        assert_eq!(parties.state("ann").await.unwrap().party.unwrap().members.len(), model::MAX_MEMBERS);
    }
}
