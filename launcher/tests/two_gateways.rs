//! Two gateways in one multi-process cluster (Redis holds who is online): players on either
//! see each other and form a party across them, a name plays on one gateway at a time (a
//! second login elsewhere is refused with `NameTaken` while the first plays, and allowed once
//! it left; the party is still there after the move), and every gateway's `/api/online` lists
//! the world's players with their gateway. A gateway killed with `kill -9`
//! holds no name once its lease expired: its players are no longer listed online and can log
//! in on another gateway at once, not after their claims lapse (30 s).

mod support;

use mmo_launcher::{Cluster, ClusterConfig, Role};
use mmo_loadtest::client::{http_get, Client, Event, Trust};
use mmo_protocol::{ClientControl, ErrorCode, InputFrame, PartyMember, ServerControl};
use mmo_world::EntityId;
use std::time::{Duration, Instant};
use support::{bin_dir, login, websocket_url, within};

/// Plays (one idle input per snapshot) until a snapshot shows `other`.
async fn sees(client: &mut Client, other: EntityId) {
    let mut seq = 0;
    loop {
        match client.recv().await.unwrap() {
            Event::Snapshot(s) => {
                if s.entities.values().any(|e| e.id == other) {
                    return;
                }
                seq += 1;
                client.send_input(InputFrame { seq, ack: client.ack(), buttons: vec![0] }).await.unwrap();
            }
            Event::Closed(code) => panic!("closed: {code:?}"),
            Event::Control(_) | Event::Unrebuilt { .. } => {}
        }
    }
}

/// Reads until a control message `pick` takes.
async fn until<T>(client: &mut Client, what: &str, mut pick: impl FnMut(&ServerControl) -> Option<T>) -> T {
    within(what, async {
        loop {
            match client.recv().await.unwrap() {
                Event::Control(msg) => {
                    if let Some(found) = pick(&msg) {
                        return found;
                    }
                }
                Event::Closed(code) => panic!("closed: {code:?}"),
                Event::Snapshot(_) | Event::Unrebuilt { .. } => {}
            }
        }
    })
    .await
}

/// Waits for a party panel listing `names`, all online.
async fn panel(client: &mut Client, what: &str, names: &[&str]) -> Vec<PartyMember> {
    until(client, what, |msg| match msg {
        ServerControl::Party { members, .. }
            if members.iter().map(|m| m.name.as_str()).eq(names.iter().copied())
                && members.iter().all(|m| m.online) =>
        {
            Some(members.clone())
        }
        _ => None,
    })
    .await
}

async fn say(client: &mut Client, text: &str) {
    client.send_control(&ClientControl::Chat { text: text.into() }).await.unwrap();
}

/// `/api/online` of a gateway: (name, gateway) pairs.
async fn online(play: &str) -> Vec<(String, u64)> {
    let text = http_get(&url::Url::parse(play).unwrap(), "/api/online", &Trust::default()).await.expect("/api/online");
    let rows: serde_json::Value = serde_json::from_str(&text).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_owned(), r["gateway"].as_u64().unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateways_share_the_world_and_a_name_plays_on_one_at_a_time() {
    let config = ClusterConfig { gateways: 2, ..ClusterConfig::new(bin_dir()) };
    let cluster = Cluster::up(&config).await.expect("cluster up");
    let plays: Vec<String> =
        [1, 2].iter().map(|n| cluster.service(&Role::Gateway(*n)).expect("gateway").ready.clone()).collect();
    let (one, two) = (websocket_url(&plays[0]), websocket_url(&plays[1]));

    // Logins wait for the coordinator to assign the cells (ZoneUnavailable until then).
    let (mut ann, ann_id) = within("ann on gateway 1", async {
        loop {
            match login(&one, "ann").await {
                Err(ErrorCode::ZoneUnavailable) => tokio::time::sleep(Duration::from_millis(100)).await,
                joined => return joined.expect("ann on gateway 1"),
            }
        }
    })
    .await;
    let (mut bob, bob_id) = login(&two, "bob").await.expect("bob on gateway 2");
    within("each sees the other across gateways", async {
        tokio::join!(sees(&mut ann, bob_id), sees(&mut bob, ann_id));
    })
    .await;
    for play in &plays {
        assert_eq!(online(play).await, vec![("ann".into(), 1), ("bob".into(), 2)], "{play}/api/online");
    }

    // A party across the gateways: Ann (on 1) invites Bob (on 2).
    say(&mut ann, "/invite bob").await;
    until(&mut bob, "Bob is invited", |m| matches!(m, ServerControl::PartyNotice { .. }).then_some(())).await;
    say(&mut bob, "/accept").await;
    panel(&mut ann, "Ann's panel lists both", &["ann", "bob"]).await;
    panel(&mut bob, "Bob's panel lists both", &["ann", "bob"]).await;

    assert_eq!(login(&two, "ANN").await.err(), Some(ErrorCode::NameTaken), "ann plays on gateway 1");
    ann.close().await;
    let again = within("ann on gateway 2 once she left gateway 1", async {
        loop {
            match login(&two, "ann").await {
                Ok(joined) => return joined,
                Err(ErrorCode::NameTaken) => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(code) => panic!("refused: {code:?}"),
            }
        }
    })
    .await;
    assert_eq!(online(&plays[0]).await, vec![("ann".into(), 2), ("bob".into(), 2)]);
    let (mut again, _) = again;
    panel(&mut again, "Ann, now on gateway 2, is still in the party", &["ann", "bob"]).await;
    drop(again);
    drop(bob);
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_names_of_a_killed_gateway_are_free_once_its_lease_expired() {
    let config = ClusterConfig { gateways: 2, ..ClusterConfig::new(bin_dir()) };
    let mut cluster = Cluster::up(&config).await.expect("cluster up");
    let plays: Vec<String> =
        [1, 2].iter().map(|n| cluster.service(&Role::Gateway(*n)).expect("gateway").ready.clone()).collect();
    let (one, two) = (websocket_url(&plays[0]), websocket_url(&plays[1]));
    let cy = within("cyd on gateway 2", async {
        loop {
            match login(&two, "cyd").await {
                Err(ErrorCode::ZoneUnavailable) => tokio::time::sleep(Duration::from_millis(100)).await,
                joined => return joined.expect("cyd on gateway 2"),
            }
        }
    })
    .await;
    assert_eq!(online(&plays[0]).await, vec![("cyd".into(), 2)]);

    cluster.kill(&Role::Gateway(2)).await.expect("kill -9 gateway 2");
    let killed = Instant::now();
    let (again, _) = within("cyd on gateway 1 after gateway 2 died", async {
        loop {
            match login(&one, "cyd").await {
                Ok(joined) => return joined,
                Err(ErrorCode::NameTaken) => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(code) => panic!("refused: {code:?}"),
            }
        }
    })
    .await;
    let took = killed.elapsed();
    eprintln!("a killed gateway's name was free again after {} ms", took.as_millis());
    // The lease's TTL (2 s) and the registry's reading (cached half a second), not the claim's 30 s.
    assert!(took < Duration::from_secs(10), "free only after {took:?}");
    assert_eq!(online(&plays[0]).await, vec![("cyd".into(), 1)]);
    drop((cy, again));
    cluster.stop().await;
}
