//! Parties across zones: two players on different zones form a party with `/invite` and
//! `/accept`, see each other's HP and level on their party panels, talk with `/p`, and the
//! party is still theirs after a relogin; members standing together share a kill's experience.

mod support;

use mmo_local::LocalWorldConfig;
use mmo_protocol::{ClientControl, PartyMember, PartyNotice, ServerControl};
use mmo_world::physics::SUB;
use mmo_world::{Buttons, WorldGeometry, ZoneId};
use support::{Client, Event, TestWorld};

fn notice(e: &Event) -> Option<PartyNotice> {
    match e {
        Event::Control(ServerControl::PartyNotice { notice }) => Some(notice.clone()),
        _ => None,
    }
}

/// Waits for a party panel of which `pick` approves.
async fn panel(client: &mut Client, what: &str, pick: impl Fn(&str, &[PartyMember]) -> bool) -> Vec<PartyMember> {
    eprintln!("waiting for the party panel: {what}");
    client
        .until(15, |e| match e {
            Event::Control(ServerControl::Party { leader, members }) if pick(leader, members) => Some(members.clone()),
            _ => None,
        })
        .await
}

async fn say(client: &mut Client, text: &str) {
    client.send_control(&ClientControl::Chat { text: text.into() }).await;
}

async fn join(world: &TestWorld, name: &str) -> (Client, ZoneId) {
    let mut client = Client::websocket(world).await;
    let ServerControl::Joined { zone, .. } = client.join(name).await else { unreachable!() };
    (client, zone)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn players_on_two_zones_form_a_party_that_outlasts_a_relogin() {
    // Four start points across eight columns of cells owned by four zones: names start apart.
    let geometry = WorldGeometry { width_cells: 8, height_cells: 2, cell_tiles: 128 };
    let config = LocalWorldConfig { geometry, start_points: 4, ..LocalWorldConfig::for_tests() };
    let world = TestWorld::start_with(config).await;
    let (mut ann, ann_zone) = join(&world, "ann").await;
    let mut bea = None;
    for name in ["bea", "cid", "dot", "eve", "fay", "gus", "hal"] {
        let (client, zone) = join(&world, name).await;
        if zone != ann_zone {
            bea = Some((client, name));
            break;
        }
        client.close().await;
    }
    let (mut bea, bea_name) = bea.expect("a name that starts on another zone than Ann's");

    say(&mut ann, &format!("/invite {bea_name}")).await;
    assert_eq!(ann.until(10, notice).await, PartyNotice::InviteSent { to: bea_name.into() });
    assert_eq!(bea.until(10, notice).await, PartyNotice::Invited { from: "ann".into() });
    say(&mut bea, "/accept").await;
    assert_eq!(bea.until(10, notice).await, PartyNotice::Joined { name: bea_name.into() });
    assert_eq!(ann.until(10, notice).await, PartyNotice::Joined { name: bea_name.into() }, "Ann hears Bea joined");

    // Each sees the other, online, at full HP and level 1, wherever they play.
    let full = |m: &PartyMember| m.online && m.hp == m.max_hp && m.max_hp > 0 && m.level == 1;
    let shown = panel(&mut ann, "both members online", |leader, members| {
        leader == "ann" && members.len() == 2 && members.iter().all(full)
    })
    .await;
    assert_eq!(shown.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["ann", bea_name]);
    panel(&mut bea, "both members online", |_, members| members.len() == 2 && members.iter().all(full)).await;

    say(&mut bea, "/p see you at the cave").await;
    let line = ann
        .until(10, |e| match e {
            Event::Control(ServerControl::PartyChat { from, text }) => Some((from.clone(), text.clone())),
            _ => None,
        })
        .await;
    assert_eq!(line, (bea_name.to_string(), "see you at the cave".to_string()));
    // Malformed party commands are answered with an error and the session stays.
    say(&mut bea, "/invite x").await;
    bea.until(10, |e| {
        matches!(e, Event::Control(ServerControl::Error { code: mmo_protocol::ErrorCode::ChatInvalid })).then_some(())
    })
    .await;

    // Bea logs out: Ann sees her offline; she logs in again and is still in the party.
    bea.close().await;
    panel(&mut ann, "Bea offline", |_, members| members.iter().any(|m| m.name == bea_name && !m.online)).await;
    let (mut bea, _) = join(&world, bea_name).await;
    let members = panel(&mut bea, "the party after a relogin", |_, members| members.len() == 2).await;
    assert!(members.iter().any(|m| m.name == "ann"));
    panel(&mut ann, "Bea back online", |_, members| members.iter().all(|m| m.online)).await;

    say(&mut ann, "/leave").await;
    assert_eq!(ann.until(10, notice).await, PartyNotice::Left { name: "ann".into() });
    panel(&mut ann, "an empty panel", |_, members| members.is_empty()).await;
    assert_eq!(bea.until(10, notice).await, PartyNotice::Left { name: "ann".into() });
    panel(&mut bea, "Bea leads alone", |leader, members| leader == bea_name && members.len() == 1).await;
    world.stop().await;
}

/// Ann invites Bea, who accepts; returns once Ann's panel shows both.
async fn form_party(ann: &mut Client, bea: &mut Client) {
    say(ann, "/invite bea").await;
    bea.until(10, |e| matches!(notice(e), Some(PartyNotice::Invited { .. })).then_some(())).await;
    say(bea, "/accept").await;
    panel(ann, "two members", |_, members| members.len() == 2).await;
}

/// Ann fights slimes spawned at her feet until she killed one (Bea stands by, never
/// swinging); returns Ann's experience then, and Bea's once it came (her snapshots may run a
/// tick or two behind).
async fn ann_kills(world: &TestWorld, ann: &mut Client, bea: &mut Client) -> (u32, u32) {
    let you = support::settle(ann).await;
    let zone = &world.control.zones()[&you.zone];
    let mut ann_xp = 0;
    for round in 0..20 {
        if ann_xp > 0 {
            break;
        }
        zone.spawn_npcs(you.cell, 1, Some(you.body.pos)).await.unwrap();
        for i in 0..200u32 {
            let facing = if (i / 10 + round) % 2 == 0 { Buttons::LEFT } else { Buttons::RIGHT };
            ann.send_input(Buttons::ATTACK | if i % 10 == 0 { facing } else { 0 }).await;
            bea.send_input(0).await;
            ann_xp = ann.snapshot().await.you.xp;
            if ann_xp > 0 {
                break;
            }
        }
    }
    assert!(ann_xp > 0, "Ann killed something");
    let mut bea_xp = 0;
    for _ in 0..40 {
        bea.send_input(0).await;
        bea_xp = bea.snapshot().await.you.xp;
        if bea_xp > 0 {
            break;
        }
    }
    (ann_xp, bea_xp)
}

/// One kill, shared by two with the party bonus.
fn one_shared_kill(xp: u32) -> bool {
    mmo_zone_core::rules::SPECIES.iter().any(|s| xp == mmo_zone_core::party::share_of(s.xp, 2))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_standing_together_share_a_kills_experience() {
    let world = TestWorld::start_with(LocalWorldConfig { npcs_per_cell: 0, ..LocalWorldConfig::for_tests() }).await;
    let (mut ann, _) = join(&world, "ann").await;
    let (mut bea, _) = join(&world, "bea").await;
    form_party(&mut ann, &mut bea).await;
    let (ann_at, bea_at) = (support::settle(&mut ann).await.body.pos, support::settle(&mut bea).await.body.pos);
    assert!((bea_at - ann_at).abs().max_element() < 24 * SUB, "they start at the same point");
    let (ann_xp, bea_xp) = ann_kills(&world, &mut ann, &mut bea).await;
    assert_eq!(bea_xp, ann_xp, "Bea, near and in Ann's party, got the same share without a swing");
    assert!(one_shared_kill(ann_xp), "{ann_xp} XP is one kill shared by two, with the party bonus");
    world.stop().await;
}

/// Bea stands just across a zone border from Ann: her share comes from her own zone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_across_a_zone_border_shares_the_kill() {
    // Borders every 16 tiles, one column of cells per zone.
    let geometry = WorldGeometry { width_cells: 4, height_cells: 4, cell_tiles: 16 };
    let world =
        TestWorld::start_with(LocalWorldConfig { geometry, npcs_per_cell: 0, ..LocalWorldConfig::for_tests() }).await;
    let (mut ann, _) = join(&world, "ann").await;
    let (mut bea, _) = join(&world, "bea").await;
    form_party(&mut ann, &mut bea).await;
    let ann_is = support::settle(&mut ann).await;
    let mut bea_is = support::settle(&mut bea).await;
    for _ in 0..400 {
        if bea_is.zone != ann_is.zone {
            break;
        }
        bea.send_input(Buttons::RIGHT | Buttons::JUMP).await;
        ann.send_input(0).await;
        ann.snapshot().await;
        bea_is = bea.snapshot().await.you.clone();
    }
    let bea_is = support::settle(&mut bea).await;
    assert_ne!(bea_is.zone, ann_is.zone, "Bea plays on the zone next to Ann's");
    let apart = (bea_is.body.pos - ann_is.body.pos).abs().max_element();
    assert!(apart < mmo_zone_core::party::SHARE_REACH, "Bea stands {} tiles from Ann", apart / SUB);
    let (ann_xp, bea_xp) = ann_kills(&world, &mut ann, &mut bea).await;
    assert_eq!(bea_xp, ann_xp, "Bea's zone credited her share of Ann's kill");
    assert!(one_shared_kill(ann_xp), "{ann_xp} XP is one kill shared by two");
    world.stop().await;
}
