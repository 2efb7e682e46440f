//! Player records in play: a restarted world (same data folder) gives a player back where they
//! left with the same XP and items, and the item they dropped lies on the ground again (cell
//! checkpoints in the same redb file); a session token resumes the same character without a
//! password; a corrupt record refuses only that player, with its code, while others play on.

mod support;

use mmo_local::LocalWorldConfig;
use mmo_protocol::{ClientControl, ErrorCode, OwnState, ServerControl};
use mmo_store::{AnyStore, DurableStore, StoreSpec};
use mmo_world::{Buttons, EntityId, ItemSerial};
use std::path::{Path, PathBuf};
use support::{settle, Client, TestWorld};

/// A fresh folder for one test's redb store.
fn data_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    std::env::temp_dir().join(format!("mmo-persistence-{tag}-{}-{nanos}", std::process::id()))
}

fn world_in(dir: &Path) -> LocalWorldConfig {
    LocalWorldConfig { durable: StoreSpec::Redb(dir.to_path_buf()), ..LocalWorldConfig::for_tests() }
}

/// The item ids a zone reports for player `entity`, sorted.
async fn items_of(world: &TestWorld, entity: EntityId) -> Vec<ItemSerial> {
    for report in world.control.inspect().await {
        if let Some(e) = report.entities.iter().find(|e| e.id == entity && !e.frozen) {
            let mut ids: Vec<ItemSerial> = e.items.iter().map(|i| i.serial).collect();
            ids.sort_unstable();
            return ids;
        }
    }
    panic!("no zone simulates {entity}");
}

/// The serials on the ground of every zone.
async fn ground(world: &TestWorld) -> Vec<ItemSerial> {
    world.control.inspect().await.iter().flat_map(|r| r.ground_items.iter().map(|i| i.serial)).collect()
}

/// Fights NPCs spawned on the player until it has some XP.
async fn earn_xp(world: &TestWorld, client: &mut Client) -> OwnState {
    let you = settle(client).await;
    let zone = &world.control.zones()[&you.zone];
    zone.spawn_npcs(you.cell, 3, Some(you.body.pos)).await.expect("spawn NPCs");
    for i in 0..600u32 {
        let facing = if (i / 10) % 2 == 0 { Buttons::LEFT } else { Buttons::RIGHT };
        client.send_input(Buttons::ATTACK | if i % 10 == 0 { facing } else { 0 }).await;
        if client.snapshot().await.you.xp > 0 {
            return settle(client).await;
        }
    }
    panic!("no kill in 600 ticks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_world_gives_the_player_back_where_they_left() {
    let dir = data_dir("restart");
    let world = TestWorld::start_with(world_in(&dir)).await;
    let mut ann = Client::websocket(&world).await;
    ann.hello().await;
    let Ok(ServerControl::Joined { entity, .. }) = ann.login("ann", Some("correct horse")).await else {
        panic!("first login refused")
    };
    for _ in 0..15 {
        ann.send_input(Buttons::RIGHT | Buttons::JUMP).await;
        ann.snapshot().await;
    }
    assert_eq!(items_of(&world, entity).await.len(), 2, "a new character has the two starter items");
    let before = earn_xp(&world, &mut ann).await;
    // Kills drop items, which Ann picks up standing there.
    let items = items_of(&world, before.entity).await;
    assert!(before.xp > 0);
    // Ann drops one item at her feet (she cannot pick it up again for 3 s).
    ann.send_control(&ClientControl::Chat { text: "/drop".into() }).await;
    let mut kept = items.clone();
    for _ in 0..200 {
        ann.send_input(0).await;
        ann.snapshot().await;
        kept = items_of(&world, before.entity).await;
        if kept.len() < items.len() {
            break;
        }
    }
    let dropped: Vec<ItemSerial> = items.iter().copied().filter(|s| !kept.contains(s)).collect();
    assert_eq!(dropped.len(), 1, "one item dropped");
    assert!(ground(&world).await.contains(&dropped[0]), "on the ground");
    drop(ann);
    world.stop().await;

    let store = AnyStore::open(&StoreSpec::Redb(dir.clone())).await.unwrap();
    let saved = store.load("ann").await.unwrap().expect("ann's record was saved");
    assert_eq!((saved.position, saved.xp), (before.body.pos, u64::from(before.xp)));
    let mut saved_items: Vec<ItemSerial> = saved.inventory.iter().map(|i| i.serial).collect();
    saved_items.sort_unstable();
    assert_eq!(saved_items, kept);
    assert!(saved.version > 0);
    drop(store);

    let world = TestWorld::start_with(world_in(&dir)).await;
    let mut ann = Client::websocket(&world).await;
    ann.hello().await;
    assert_eq!(ann.login("ann", Some("wrong horse")).await.unwrap_err(), ErrorCode::WrongPassword);
    assert_eq!(ann.login("ann", None).await.unwrap_err(), ErrorCode::WrongPassword);
    let Ok(ServerControl::Joined { entity: again, .. }) = ann.login("ann", Some("correct horse")).await else {
        panic!("second login refused")
    };
    let after = ann.snapshot().await.you.clone();
    assert_eq!(after.body.pos, before.body.pos, "back where they left");
    assert_eq!((after.xp, after.level), (before.xp, before.level));
    // The dropped item lies where it was (or Ann, standing there, picked it up again once her
    // 3 s were over): either way once, and nothing else changed.
    let on_ground = ground(&world).await.iter().filter(|s| **s == dropped[0]).count();
    let mut now_held = items_of(&world, again).await;
    let held_again = now_held.contains(&dropped[0]);
    assert_eq!(on_ground + usize::from(held_again), 1, "the dropped item came back exactly once");
    now_held.retain(|s| *s != dropped[0]);
    assert_eq!(now_held, kept, "same items, same serials");
    drop(ann);
    world.stop().await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_token_resumes_the_same_character_without_a_password() {
    let world = TestWorld::start().await;
    let mut bob = Client::webtransport(&world).await;
    bob.hello().await;
    let Ok(ServerControl::Joined { token, .. }) = bob.login("bob", Some("hunter2hunter2")).await else {
        panic!("login refused")
    };
    for _ in 0..15 {
        bob.send_input(Buttons::LEFT | Buttons::JUMP).await;
        bob.snapshot().await;
    }
    let before = settle(&mut bob).await;
    let items = items_of(&world, before.entity).await;
    drop(bob); // the connection drops

    let mut back = Client::webtransport(&world).await;
    back.hello().await;
    assert_eq!(back.resume("Ym9i.99999999999.AAAA").await.unwrap_err(), ErrorCode::TokenInvalid);
    let forged = token.replacen("Ym9i", "ZXZl", 1); // the name swapped for "eve"
    assert_eq!(back.resume(&forged).await.unwrap_err(), ErrorCode::TokenInvalid);
    let Ok(ServerControl::Joined { name, entity, token: fresh, .. }) = back.resume(&token).await else {
        panic!("resume refused")
    };
    assert_eq!(name, "bob");
    assert!(!fresh.is_empty());
    let after = back.snapshot().await.you.clone();
    assert_eq!(after.body.pos, before.body.pos, "the same character, where it was");
    assert_eq!(after.xp, before.xp);
    assert_eq!(items_of(&world, entity).await, items);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_record_refuses_that_player_only() {
    let dir = data_dir("corrupt");
    let world = TestWorld::start_with(world_in(&dir)).await;
    let mut bystander = Client::websocket(&world).await;
    bystander.join("bystander").await;
    bystander.snapshot().await;

    let AnyStore::Redb(redb) = &world.store else { panic!("a redb store") };
    redb.put_raw("zed", 3, b"MPR\x01\xff\xff garbage".to_vec()).await.unwrap();
    let mut zed = Client::websocket(&world).await;
    zed.hello().await;
    assert_eq!(zed.login("zed", None).await.unwrap_err(), ErrorCode::CharacterCorrupt);
    // The session stays open: the same client can play another character.
    let joined = zed.login("zed2", None).await;
    assert!(matches!(joined, Ok(ServerControl::Joined { .. })), "{joined:?}");
    zed.snapshot().await;

    // Everyone else keeps playing.
    let start = bystander.snapshot().await.tick;
    for _ in 0..10 {
        bystander.send_input(Buttons::RIGHT).await;
        bystander.snapshot().await;
    }
    assert!(bystander.snapshot().await.tick > start);
    world.stop().await;
    std::fs::remove_dir_all(dir).ok();
}
