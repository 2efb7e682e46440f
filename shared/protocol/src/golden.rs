//! Golden vectors: sample messages with their exact bytes, and physics runs with every
//! intermediate body. Written by `cargo run -p mmo-protocol --bin golden`, checked by this
//! crate's tests (the committed files must equal what this build produces) and replayed by the
//! TypeScript tests (which must decode, re-encode and simulate to the same values).

use crate::cell::EntityKind;
use crate::codec::encode;
use crate::control::{ClientControl, ServerControl, WorldInfo};
use crate::datagram::{ClientDatagram, InputFrame};
use crate::error::ErrorCode;
use crate::snapshot::{Hint, Motion, MotionDelta, OwnState, OwnUpdate, Snapshot, Spawn, Update, View};
use glam::IVec2;
use mmo_world::physics::SUB;
use mmo_world::rng::SplitMix64;
use mmo_world::terrain::TileGrid;
use mmo_world::{
    Body, Buttons, CellId, EntityId, ItemSerial, SessionId, Terrain, Tick, TickClock, WorldGeometry, ZoneId,
};
use serde::Serialize;
use serde_json::{json, Value};

/// Directory of the golden files, relative to this crate.
pub const DIR: &str = "golden";

fn sample<T: Serialize>(ty: &str, name: &str, msg: &T) -> Value {
    let bytes = encode(msg, usize::MAX).expect("golden samples encode");
    json!({ "type": ty, "name": name, "value": serde_json::to_value(msg).expect("json"), "hex": hex(&bytes) })
}

fn snapshot_sample(snap: &Snapshot) -> Value {
    let bytes = crate::snapshot::wire::encode(snap);
    json!({ "type": "ServerDatagram", "name": "Snapshot", "value": serde_json::to_value(snap).expect("json"), "hex": hex(&bytes) })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn own_state() -> OwnState {
    OwnState {
        entity: EntityId::new(ZoneId(1), 7),
        last_input_seq: 300,
        body: Body { pos: IVec2::new(70_000, -3), vel: IVec2::new(-102, 320), on_ground: false },
        hp: 95,
        max_hp: 100,
        xp: 1234,
        level: 3,
        pose: 17,
        cell: CellId::new(2, 1),
        zone: ZoneId(3),
    }
}

/// One sample of every message variant. Ids stay below 2^53 (zone ids below 2^13), so the
/// TypeScript client holds them in plain numbers., plus edge values (empty, large, negative).
pub fn messages() -> Value {
    let geometry = WorldGeometry::default();
    let terrain = Terrain::new(42, geometry).generate_cell(CellId::new(1, 1));
    let mut out = vec![
        sample("ClientControl", "Hello", &ClientControl::Hello { version: crate::PROTOCOL_VERSION }),
        sample("ClientControl", "Login", &ClientControl::Login { name: "ada".into(), password: None }),
        sample(
            "ClientControl",
            "Login",
            &ClientControl::Login { name: "ada".into(), password: Some("correct horse ✓".into()) },
        ),
        sample("ClientControl", "Chat", &ClientControl::Chat { text: "héllo wörld ✓".into() }),
        sample("ClientControl", "Resume", &ClientControl::Resume { token: "YWRh.1767225660.c2ln".into() }),
        sample(
            "ServerControl",
            "Welcome",
            &ServerControl::Welcome {
                version: crate::PROTOCOL_VERSION,
                session: SessionId(77),
                world: WorldInfo { geometry, clock: TickClock { epoch_ms: 1_767_225_600_000, tick_ms: 50 } },
            },
        ),
        sample(
            "ServerControl",
            "Joined",
            &ServerControl::Joined {
                entity: EntityId::new(ZoneId(1), 1),
                name: "ada".into(),
                zone: ZoneId(1),
                tick: Tick(250),
                token: "YWRh.1767225660.c2lnbmF0dXJl".into(),
            },
        ),
        sample("ServerControl", "Terrain", &ServerControl::Terrain { cell: terrain.cell, rle: terrain.to_rle() }),
        sample("ServerControl", "Chat", &ServerControl::Chat { from: "ada".into(), text: "hi".into() }),
    ];
    for code in all_error_codes() {
        out.push(sample("ServerControl", "Error", &ServerControl::Error { code }));
    }
    let items = vec![
        crate::cell::InventoryItem { serial: ItemSerial(1), kind: 1 },
        crate::cell::InventoryItem { serial: ItemSerial((1 << 53) - 1), kind: 11 },
    ];
    out.push(sample("ServerControl", "Inventory", &ServerControl::Inventory { items }));
    out.push(sample("ServerControl", "Inventory", &ServerControl::Inventory { items: vec![] }));
    let ground = vec![
        crate::cell::GroundItem { serial: ItemSerial(7), kind: 10, pos: IVec2::new(300 * 256, -5) },
        crate::cell::GroundItem { serial: ItemSerial((1 << 53) - 1), kind: 11, pos: IVec2::new(-1, i32::MAX) },
    ];
    out.push(sample("ServerControl", "Ground", &ServerControl::Ground { items: ground }));
    out.push(sample("ServerControl", "Ground", &ServerControl::Ground { items: vec![] }));
    out.push(sample("ServerControl", "Reconnect", &ServerControl::Reconnect));
    out.push(sample("ServerControl", "Stalled", &ServerControl::Stalled));
    let member =
        |name: &str, hp, level, online| crate::PartyMember { name: name.into(), hp, max_hp: 100, level, online };
    out.push(sample(
        "ServerControl",
        "Party",
        &ServerControl::Party {
            leader: "ada".into(),
            members: vec![member("ada", 100, 1, true), member("bob_2", 0, 70_000, false)],
        },
    ));
    out.push(sample("ServerControl", "Party", &ServerControl::Party { leader: String::new(), members: vec![] }));
    out.push(sample(
        "ServerControl",
        "PartyChat",
        &ServerControl::PartyChat { from: "ada".into(), text: "on my way ✓".into() },
    ));
    for notice in all_party_notices() {
        out.push(sample("ServerControl", "PartyNotice", &ServerControl::PartyNotice { notice }));
    }
    out.push(sample(
        "ClientDatagram",
        "Input",
        &ClientDatagram::Input(InputFrame {
            seq: 70_000,
            ack: Some(Tick(99)),
            buttons: vec![0, 1, 2, 4 | 8, Buttons::ALL],
        }),
    ));
    out.push(sample(
        "ClientDatagram",
        "Input",
        &ClientDatagram::Input(InputFrame { seq: 0, ack: None, buttons: vec![] }),
    ));
    for snap in snapshot_sequence().iter().map(|(s, _)| s) {
        out.push(snapshot_sample(snap));
    }
    json!({ "protocol_version": crate::PROTOCOL_VERSION, "messages": out })
}

/// Snapshots in the order a client applies them, each with the view it rebuilds: a full one
/// (a player, a standing NPC, a walker and a jumper), a delta on it (a handle removed and
/// reused, an update of each field), and one on the first again as if the second were lost
/// (three ticks of extrapolation). Edge values: ids up to 2^53 - 1, negative residuals.
pub fn snapshot_sequence() -> Vec<(Snapshot, View)> {
    let ground_y = 40 * SUB;
    let body = |x: i32, vx: i32, vy: i32, on_ground: bool| Body {
        pos: IVec2::new(x * SUB, if on_ground { ground_y } else { ground_y - 3 * SUB }),
        vel: IVec2::new(vx, vy),
        on_ground,
    };
    let spawn =
        |handle, id, kind, motion, hp| Spawn { handle, id: EntityId(id), kind, max_hp: 40, motion, hp, pose: 16 };
    let walk = Hint { dir: 1, jump: false };
    let full = Snapshot {
        tick: Tick(123_456_789),
        baseline: None,
        you: crate::snapshot::own_update(&OwnState::default(), &own_state(), Hint { dir: -1, jump: true }),
        removed: vec![],
        spawns: vec![
            spawn(
                0,
                8,
                EntityKind::Player { name: "Zoë_2".into() },
                Motion { body: body(10, 0, 0, true), hint: Hint::default() },
                100,
            ),
            spawn(
                1,
                (1 << 53) - 1,
                EntityKind::Npc { species: 2 },
                Motion { body: body(12, 102, 0, true), hint: walk },
                40,
            ),
            spawn(
                4,
                9,
                EntityKind::Npc { species: 0 },
                Motion { body: body(14, -17, -300, false), hint: Hint { dir: -1, jump: true } },
                1,
            ),
        ],
        updates: vec![],
    };
    let moved = OwnUpdate {
        input_advance: 2,
        motion: Some(MotionDelta {
            pos: IVec2::new(-5, 0),
            vel: IVec2::new(-102, 0),
            on_ground: true,
            hint: Hint::default(),
        }),
        hp: Some(90),
        ..OwnUpdate::default()
    };
    let second = Snapshot {
        tick: Tick(123_456_790),
        baseline: Some(full.tick),
        you: moved.clone(),
        removed: vec![0],
        spawns: vec![spawn(
            0,
            77,
            EntityKind::Npc { species: 1 },
            Motion { body: body(11, 0, 0, true), hint: Hint::default() },
            40,
        )],
        updates: vec![
            Update { handle: 1, motion: None, hp: Some(0), pose: Some(16 | 8) },
            Update {
                handle: 4,
                motion: Some(MotionDelta { pos: IVec2::new(3, -700), vel: IVec2::ZERO, on_ground: true, hint: walk }),
                hp: None,
                pose: None,
            },
        ],
    };
    let third = Snapshot {
        tick: Tick(123_456_792),
        baseline: Some(full.tick),
        you: moved,
        removed: vec![],
        spawns: vec![],
        updates: vec![],
    };
    let first_view = View::apply(None, &full).expect("golden snapshots apply");
    let second_view = View::apply(Some(&first_view), &second).expect("golden snapshots apply");
    let third_view = View::apply(Some(&first_view), &third).expect("golden snapshots apply");
    vec![(full, first_view), (second, second_view), (third, third_view)]
}

/// The snapshot sequence with the bytes of each snapshot and the view it rebuilds.
pub fn snapshots() -> Value {
    let steps: Vec<Value> = snapshot_sequence()
        .iter()
        .map(|(snap, view)| {
            json!({
                "hex": hex(&crate::snapshot::wire::encode(snap)),
                "baseline": snap.baseline,
                "view": serde_json::to_value(view).expect("json"),
            })
        })
        .collect();
    json!({ "protocol_version": crate::PROTOCOL_VERSION, "steps": steps })
}

/// Every error code, in declaration order.
pub fn all_error_codes() -> Vec<ErrorCode> {
    use ErrorCode::*;
    vec![
        VersionMismatch,
        MalformedMessage,
        UnknownMessage,
        FrameTooLarge,
        UnexpectedMessage,
        InputFlood,
        ChatFlood,
        NameTaken,
        NameInvalid,
        ChatInvalid,
        ServerFull,
        ZoneUnavailable,
        ShuttingDown,
        Internal,
        WrongPassword,
        PasswordInvalid,
        TokenInvalid,
        TokenExpired,
        CharacterCorrupt,
        StoreUnavailable,
        Draining,
        Timeout,
    ]
}

/// One of each party notice, in declaration order.
pub fn all_party_notices() -> Vec<crate::PartyNotice> {
    use crate::PartyNotice::*;
    vec![
        Invited { from: "ada".into() },
        InviteSent { to: "bob".into() },
        Joined { name: "bob".into() },
        Left { name: "ada".into() },
        NotOnline { name: "cy".into() },
        AlreadyInParty { name: "bob".into() },
        PartyFull,
        NoInvite,
        NotInParty,
        Unavailable,
    ]
}

fn scenario(name: &str, rows: &[String], start: Body, inputs: &[u8]) -> Value {
    let grid = TileGrid { rows: rows.to_vec() };
    let mut body = start;
    let bodies: Vec<Value> = inputs
        .iter()
        .map(|&b| {
            body = body.step(Buttons(b), &grid);
            serde_json::to_value(body).expect("json")
        })
        .collect();
    json!({ "name": name, "map": rows, "start": start, "inputs": inputs, "bodies": bodies })
}

fn rows(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|s| s.to_string()).collect()
}

/// A window of generated terrain as map rows.
fn terrain_window(terrain: &Terrain, origin: IVec2, w: i32, h: i32) -> Vec<String> {
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| match terrain.tile(origin.x + x, origin.y + y) {
                    mmo_world::Tile::Solid => '#',
                    mmo_world::Tile::Platform => '=',
                    mmo_world::Tile::Empty => '.',
                })
                .collect()
        })
        .collect()
}

/// Physics runs covering running, walls, jumps, short hops, platforms (landing, passing
/// through from below, dropping down), ceilings, falling at terminal speed and random play.
pub fn physics() -> Value {
    let room = rows(&[
        "########################",
        "#......................#",
        "#......................#",
        "#....======............#",
        "#......................#",
        "#..............#.......#",
        "#..............#.......#",
        "#......====....#.......#",
        "#..............#.......#",
        "#..............#.......#",
        "########################",
    ]);
    let at = |tx: i32, ty: i32| Body::at(IVec2::new(tx * SUB + SUB / 2, ty * SUB));
    let (l, r, j, d) = (Buttons::LEFT, Buttons::RIGHT, Buttons::JUMP, Buttons::DOWN);
    let mut scenarios = vec![
        scenario("fall_and_land", &room, at(3, 2), &[0; 30]),
        scenario("run_into_wall", &room, at(3, 10), &[&[0u8; 3][..], &[r; 40]].concat()),
        scenario("run_left_into_wall", &room, at(5, 10), &[l; 20]),
        scenario("jump_onto_platform", &room, at(8, 10), &[&[0u8; 2][..], &[j; 25]].concat()),
        scenario("short_hop", &room, at(8, 10), &[&[0u8; 2][..], &[j; 2], &[0; 15]].concat()),
        scenario("drop_through_platform", &room, at(9, 7), &[&[0u8; 2][..], &[d; 10], &[0; 10]].concat()),
        scenario("ceiling_bump", &room, at(5, 6), &[&[0u8; 2][..], &[j | r; 20]].concat()),
        scenario("jump_over_pillar", &room, at(12, 10), &[&[0u8; 2][..], &[r; 3], &[j | r; 14], &[r; 10]].concat()),
    ];
    let tall = {
        let mut m = vec!["#....#".to_string(); 60];
        m.push("######".into());
        m
    };
    scenarios.push(scenario(
        "terminal_fall",
        &tall,
        Body { pos: IVec2::new(2 * SUB, SUB * 2), vel: IVec2::ZERO, on_ground: false },
        &[0; 40],
    ));

    let terrain = Terrain::new(42, WorldGeometry::default());
    let spawn = terrain.spawn_point(100);
    let origin = IVec2::new((spawn.x >> 8) - 30, (spawn.y >> 8) - 30);
    let window = terrain_window(&terrain, origin, 60, 40);
    let mut rng = SplitMix64::new(2024);
    let mut random_inputs = Vec::new();
    while random_inputs.len() < 400 {
        let b = rng.below(32) as u8;
        let hold = 1 + rng.below(12) as usize;
        random_inputs.extend(std::iter::repeat_n(b, hold));
    }
    random_inputs.truncate(400);
    let local_spawn = Body::at(spawn - origin * SUB);
    scenarios.push(scenario("generated_terrain_random_play", &window, local_spawn, &random_inputs));
    scenarios.push(scenario("random_play_in_room", &room, at(6, 10), &random_inputs[..300]));

    json!({
        "constants": {
            "SUB": SUB,
            "HALF_WIDTH": mmo_world::physics::HALF_WIDTH,
            "HEIGHT": mmo_world::physics::HEIGHT,
            "RUN_SPEED": mmo_world::physics::RUN_SPEED,
            "GRAVITY": mmo_world::physics::GRAVITY,
            "JUMP_SPEED": mmo_world::physics::JUMP_SPEED,
        },
        "scenarios": scenarios,
    })
}

/// The golden files and their contents, as this build writes them.
pub fn files() -> Vec<(&'static str, String)> {
    let pretty = |v: Value| serde_json::to_string_pretty(&v).expect("json") + "\n";
    vec![
        ("messages.json", pretty(messages())),
        ("physics.json", pretty(physics())),
        ("snapshots.json", pretty(snapshots())),
    ]
}
