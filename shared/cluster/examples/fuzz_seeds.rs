//! Writes the seed corpus of the fuzz targets (`fuzz/corpus/<target>/`): the golden vectors of
//! the client protocol, and sample zone-link messages, cell frames and deltas, checkpoints,
//! player records, tokens, API bodies and flag values. Run from the repository root:
//! `cargo run -p mmo-cluster --example fuzz_seeds`.

use glam::IVec2;
use mmo_cluster::checkpoint::{CellCheckpoint, CellItems, CheckpointCodec, GroundRecord, Picked};
use mmo_cluster::link::SubscriberId;
use mmo_cluster::net::codec::encode_framed;
use mmo_cluster::net::wire::{FromZone, Reply, ToZone};
use mmo_protocol::framing::frame;
use mmo_protocol::limits::MAX_CLIENT_DATAGRAM;
use mmo_protocol::snapshot::wire;
use mmo_protocol::{codec, golden, CellEvent, CellFrame, CellFrameDelta, ClientDatagram, EntityKind, EntityState};
use mmo_protocol::{GroundItem, InputFrame, InventoryItem};
use mmo_records::{Item, PlayerRecord};
use mmo_store::token::TokenKey;
use mmo_world::{Body, CellId, EntityId, Epoch, GatewayId, ItemSerial, SessionId, Tick, ZoneId};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The key `fuzz/fuzz_targets/session_token.rs` verifies with.
const TOKEN_KEY: &[u8] = b"fuzzing key, thirty-two bytes ok";

struct Corpus(PathBuf);

impl Corpus {
    fn write(&self, target: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let dir = self.0.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), bytes)
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("golden hex")).collect()
}

fn entity(id: u64, x: i32, hp: u16, player: bool) -> EntityState {
    let kind = if player { EntityKind::Player { name: "ann".into() } } else { EntityKind::Npc { species: 1 } };
    EntityState {
        id: EntityId(id),
        kind,
        body: Body { pos: IVec2::new(x, 640), vel: IVec2::new(24, 0), on_ground: true },
        hp,
        max_hp: 40,
        pose: 16,
        xp: 7,
        level: 2,
        last_input_seq: 9,
        items: if player { vec![InventoryItem { serial: ItemSerial(5), kind: 2 }] } else { Vec::new() },
    }
}

fn cell_frame(tick: u64, entities: Vec<EntityState>) -> CellFrame {
    let mut f = CellFrame::new(CellId::new(2, 1), ZoneId(3), Epoch(4), Tick(tick), entities);
    f.items = vec![GroundItem { serial: ItemSerial(9), kind: 1, pos: IVec2::new(100, 640) }];
    f
}

fn main() -> std::io::Result<()> {
    let corpus = Corpus(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus"));

    // The client protocol: its golden vectors.
    let mut stream = vec![3u8];
    for (i, m) in golden::messages()["messages"].as_array().expect("messages").iter().enumerate() {
        let bytes = hex(m["hex"].as_str().expect("hex"));
        match m["type"].as_str() {
            Some("ClientControl") => {
                stream.extend(frame(&bytes));
                corpus.write("client_control", &format!("golden-{i}"), &bytes)?;
            }
            Some("ServerControl") => corpus.write("server_control", &format!("golden-{i}"), &bytes)?,
            Some("ClientDatagram") => corpus.write("client_datagram", &format!("golden-{i}"), &bytes)?,
            _ => {}
        }
    }
    corpus.write("client_stream", "golden-controls", &stream)?;
    let input = ClientDatagram::Input(InputFrame { seq: 70, ack: Some(Tick(1_000_000)), buttons: vec![1, 3, 0, 8] });
    corpus.write("client_datagram", "input", &codec::encode(&input, MAX_CLIENT_DATAGRAM).expect("input"))?;
    for (i, (snap, _)) in golden::snapshot_sequence().iter().enumerate() {
        corpus.write("snapshot", &format!("golden-{i}"), &wire::encode(snap))?;
    }

    // Cell frames and their deltas.
    let base = cell_frame(100, vec![entity(1, 0, 40, true), entity(2, 512, 30, false)]);
    let mut next = cell_frame(101, vec![entity(1, 24, 38, true), entity(3, 900, 40, false)]);
    next.events.push(CellEvent::Chat { from: EntityId(1), name: "ann".into(), text: "hi".into() });
    let delta = CellFrameDelta::between(&base, &next).expect("a delta");
    let pair = encode_framed(&(&base, &delta)).expect("pair");
    corpus.write("cell_delta", "two-frames", &pair[4..])?;

    // Zone links, both ways.
    let record = PlayerRecord::new("ann", None, IVec2::new(512, 640), CellId::new(2, 1));
    let to_zone = [
        ToZone::OwnCell { cell: CellId::new(2, 1), epoch: Epoch(4) },
        ToZone::Input { entity: EntityId(1), seq: 9, buttons: mmo_world::Buttons(3) },
        ToZone::Chat { entity: EntityId(1), text: "hello".into() },
        ToZone::Subscribe { cell: CellId::new(2, 1), subscriber: SubscriberId::Gateway(GatewayId(1)), stream: 7 },
        ToZone::Join(mmo_cluster::net::wire::JoinRequest {
            req: 1,
            record: Box::new(record.clone()),
            route: mmo_records::SessionRoute { gateway: GatewayId(1), session: SessionId(5) },
        }),
        ToZone::Inspect { req: 2 },
        ToZone::Hello { link: 0x5eed },
        ToZone::PeerNumbered {
            seq: 3,
            from: ZoneId(2),
            msg: mmo_records::PeerMessage::Credit { entity: EntityId(1), xp: 50, victim: EntityId(9) },
            sent_us: 1_000,
        },
    ];
    let from_zone = [
        FromZone::Welcome { zone: ZoneId(3) },
        FromZone::Reply { req: 1, reply: Reply::Saved },
        FromZone::Frame { stream: 7, frame: base.clone().into() },
        FromZone::FrameDelta { stream: 7, delta },
        FromZone::Acked { seq: 3 },
    ];
    let mut to = vec![0u8];
    for (i, m) in to_zone.iter().enumerate() {
        let framed = encode_framed(m).expect("to zone");
        to.extend(&framed);
        corpus.write("zone_link", &format!("to-zone-{i}"), &[&[0u8][..], &framed].concat())?;
    }
    corpus.write("zone_link", "to-zone-all", &to)?;
    for (i, m) in from_zone.iter().enumerate() {
        let framed = encode_framed(m).expect("from zone");
        corpus.write("zone_link", &format!("from-zone-{i}"), &[&[1u8][..], &framed].concat())?;
    }

    // Stored state read back.
    let mut ann = record;
    ann.inventory.push(Item::one(ItemSerial(7), 3));
    ann.version = 9;
    mmo_records::record_pickup(&mut ann.picked, ItemSerial(7));
    corpus.write("player_record", "ann", &ann.encode().expect("record"))?;
    // A record as stored before pickup receipts (format 1), which decoding still reads.
    corpus.write("player_record", "ann-format-1", &hex("4d50520103616e6e00fb0004fb0005020100c800010107030109"))?;
    let item = |serial| Item::one(ItemSerial(serial), 10);
    let cp = CellCheckpoint {
        cell: CellId::new(3, 1),
        tick: Tick(40),
        npcs: Vec::new(),
        items: CellItems {
            ground: vec![GroundRecord {
                item: item(1),
                pos: IVec2::ONE,
                dropped_by: Some("ann".into()),
                dropped_at: None,
            }],
            picked: vec![Picked { item: item(2), pos: IVec2::ZERO, by: "bob".into() }],
        },
        policy: 0,
        gives: Vec::new(),
    };
    corpus.write("checkpoint", "cell-3.1", &cp.encode().expect("checkpoint"))?;
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let token = TokenKey::new(TOKEN_KEY).expect("key").issue("ann", now, Duration::from_secs(3600));
    corpus.write("session_token", "ann", token.as_bytes())?;

    // Text: API bodies, scenarios, flag values.
    corpus.write("api_request", "move-cell", b"\x00{\"cell\":\"2.1\",\"zone\":2}")?;
    corpus.write("api_request", "drain", b"\x01{\"zone\":3,\"undo\":true}")?;
    corpus.write("api_request", "limit", b"\x0250")?;
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../loadtest/scenarios");
    for entry in std::fs::read_dir(scenarios)? {
        let path = entry?.path();
        let name = path.file_name().expect("file").to_string_lossy().into_owned();
        corpus.write("scenario", &name, &std::fs::read(&path)?)?;
    }
    let values: [(u8, &str); 12] = [
        (0, "redb:/var/lib/mmo/players.redb"),
        (1, "redis://127.0.0.1:6379"),
        (2, "16x2"),
        (3, "127.0.0.1:4433"),
        (4, "0123456789abcdef0123456789abcdef"),
        (5, "1m30s"),
        (6, "20s:300"),
        (7, "rtt_p99_ms < 100"),
        (8, "webtransport=80,websocket=20"),
        (9, "http://127.0.0.1:8080"),
        (10, "https://play.example.com:8443"),
        (11, "play.example.com:4433"),
    ];
    for (pick, value) in values {
        corpus.write("config_values", &format!("value-{pick}"), &[&[pick][..], value.as_bytes()].concat())?;
    }
    eprintln!("wrote the seed corpus under {}", corpus.0.display());
    Ok(())
}
