//! The values kept in the registry. Every one serializes to JSON, so that an operator can read
//! the etcd keys with `etcdctl get --prefix /mmo/<world>/`.

use mmo_world::{CellId, Epoch, GatewayId, ZoneId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// The SHA-256 of a DER certificate, which peers pin (internal links, browsers). JSON: 64
/// lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CertHash(pub [u8; 32]);

impl fmt::Display for CertHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for CertHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.to_string();
        write!(f, "sha256:{}…", &hex[..12])
    }
}

impl std::str::FromStr for CertHash {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 64 || !s.is_ascii() {
            return Err(format!("a certificate hash is 64 hex digits, got {} characters", s.len()));
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
        }
        Ok(CertHash(bytes))
    }
}

impl Serialize for CertHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CertHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

// Unknown fields are ignored, not refused: in a rolling upgrade, members of the older version
// read the records newer ones wrote (new fields carry `#[serde(default)]` the other way round).
/// A zone server, as it registers itself (under its lease).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneInfo {
    pub id: ZoneId,
    /// Where gateways and neighbouring zones reach it (`host:port`).
    pub address: String,
    /// The certificate its link presents, as a server to callers and as a client to other
    /// zones ([`crate::net::tls`]).
    pub cert_hash: CertHash,
    /// How many entities it is sized for; the policy weighs zones by it later.
    pub capacity: u32,
}

/// A gateway, as it registers itself (under its lease).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayInfo {
    pub id: GatewayId,
    /// Where browsers reach it: its advertised https URL (`--public-url`), else `host:port`.
    pub address: String,
    /// The certificate browsers pin (`serverCertificateHashes`).
    pub cert_hash: CertHash,
    /// The certificate it presents to zone links (zones accept it while it is registered).
    #[serde(default)]
    pub link_cert_hash: CertHash,
    /// How many sessions it accepts.
    pub capacity: u32,
    /// Where clients open WebTransport on it, absolute (`https://HOST:PORT/play`); empty in
    /// records of gateways from before it was registered, or bound to a wildcard address
    /// without `--public-quic`.
    #[serde(default)]
    pub webtransport_url: String,
    /// Where clients open the WebSocket fallback on it, absolute (`ws://HOST:PORT/ws`, `wss://`
    /// with a real certificate); empty as above. A draining gateway's `/api/connect` hands out
    /// another gateway's two URLs.
    #[serde(default)]
    pub websocket_url: String,
    /// It is draining (stopping): it takes no logins, and other gateways do not send players
    /// to it ([`Registry::update_gateway`](crate::Registry::update_gateway)).
    #[serde(default)]
    pub draining: bool,
    /// Drawn at each start: tells a gateway restarted under the same id from its previous run
    /// (whose players the zones log out: [`crate::ZoneCommand::GatewayGone`]). 0 in records
    /// from before it.
    #[serde(default)]
    pub run: u64,
}

/// A zone's load over its last reporting period, published under the zone's lease.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct LoadReport {
    /// When it was measured (unix milliseconds), so readers can tell a stale report.
    pub at_unix_ms: u64,
    /// The 99th percentile of the tick's duration over the period.
    pub tick_time_ms_p99: f32,
    /// The tick's budget (the tick period).
    pub budget_ms: f32,
    /// Entities simulated (authoritative copies).
    pub entities: u32,
    /// Entities per owned cell. JSON: a list of `{cell, entities}`.
    #[serde(with = "cell_counts")]
    pub entities_per_cell: BTreeMap<CellId, u32>,
    /// How many entities the zone is sized for (its `ZoneInfo::capacity`); 0: not stated.
    #[serde(default)]
    pub capacity: u32,
}

impl LoadReport {
    /// Whether the zone simulated `cell` when it reported (it lists every cell it owns).
    pub fn simulates(&self, cell: CellId) -> bool {
        self.entities_per_cell.contains_key(&cell)
    }

    /// The zone's load, 1.0 = full: the larger of tick time per budget (p99 over the period)
    /// and entities per capacity (when a capacity is stated).
    ///
    /// Tick time alone is what actually overloads a zone, but it is noisy on a shared machine
    /// (one stall of the host makes every zone look hot at once) and it only rises near the
    /// limit; entities per capacity rises steadily with the crowd and is the same on a slow and
    /// a fast machine, so a crowded zone reads as loaded before its ticks overrun and tests of
    /// the rebalancing are reproducible.
    pub fn load(&self) -> f32 {
        let tick = if self.budget_ms > 0.0 { self.tick_time_ms_p99 / self.budget_ms } else { 0.0 };
        let crowd = if self.capacity > 0 { self.entities as f32 / self.capacity as f32 } else { 0.0 };
        tick.max(crowd)
    }
}

mod cell_counts {
    use super::*;

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct CellCount {
        cell: CellId,
        entities: u32,
    }

    pub fn serialize<S: Serializer>(map: &BTreeMap<CellId, u32>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(map.iter().map(|(&cell, &entities)| CellCount { cell, entities }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<CellId, u32>, D::Error> {
        let list = Vec::<CellCount>::deserialize(deserializer)?;
        Ok(list.into_iter().map(|c| (c.cell, c.entities)).collect())
    }
}

/// Why the coordinator gave a cell to another zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MoveReason {
    /// Its owner was the hottest zone, above the high watermark, and the receiver is an adjacent
    /// zone cooler by more than the margin. Loads are tick time per budget (1.0 = full).
    Hotspot { from_load: f32, to_load: f32 },
    /// A zone joined with no cell and takes a share from the most loaded.
    NewZone,
    /// Its owner is draining.
    Drain,
    /// Its owner died (lease expired): the cell had no live owner.
    ZoneDead,
    /// It had no owner at all.
    Unowned,
    /// An operator moved it.
    Manual,
    /// Its sibling quarters are cool and another zone owns most of them: it joins them there
    /// so that they can merge.
    Gather,
}

impl MoveReason {
    /// Its name, without figures (a metric label, a count's key).
    pub fn name(&self) -> &'static str {
        match self {
            MoveReason::Hotspot { .. } => "hotspot",
            MoveReason::NewZone => "new_zone",
            MoveReason::Drain => "drain",
            MoveReason::ZoneDead => "zone_dead",
            MoveReason::Unowned => "unowned",
            MoveReason::Manual => "manual",
            MoveReason::Gather => "gather",
        }
    }
}

/// One entry of the log of rebalancing decisions that operators read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at_unix_ms: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    CellMoved {
        cell: CellId,
        from: Option<ZoneId>,
        to: ZoneId,
        epoch: Epoch,
        reason: MoveReason,
    },
    ZoneJoined {
        zone: ZoneId,
    },
    ZoneDied {
        zone: ZoneId,
    },
    DrainStarted {
        zone: ZoneId,
    },
    DrainFinished {
        zone: ZoneId,
    },
    LeaderElected {
        leader: String,
        epoch: Epoch,
    },
    /// A cell was split into its quarters, which its zone keeps (`load`: the cell's, as the
    /// policy estimated it; 0 for an operator's split).
    CellSplit {
        cell: CellId,
        zone: ZoneId,
        epoch: Epoch,
        load: f32,
    },
    /// Four quarters owned by one zone were merged back into `cell`.
    CellsMerged {
        cell: CellId,
        zone: ZoneId,
        epoch: Epoch,
        load: f32,
    },
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_record_with_a_field_from_a_newer_version_still_reads() {
        let info = super::ZoneInfo {
            id: mmo_world::ZoneId(3),
            address: "10.0.0.7:7000".into(),
            cert_hash: super::CertHash::default(),
            capacity: 100,
        };
        let mut newer = serde_json::to_value(&info).unwrap();
        newer["added_later"] = serde_json::json!(true);
        let read: super::ZoneInfo = serde_json::from_value(newer).expect("unknown fields are ignored");
        assert_eq!(read, info);
    }

    use super::*;

    #[test]
    fn records_read_well_as_json() {
        let report = LoadReport {
            at_unix_ms: 5,
            tick_time_ms_p99: 12.5,
            budget_ms: 50.0,
            entities: 3,
            entities_per_cell: BTreeMap::from([(CellId::new(1, 0), 3)]),
            capacity: 0,
        };
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.contains(r#""entities_per_cell":[{"cell":{"x":1,"y":0,"depth":0},"entities":3}]"#), "{json}");
        assert_eq!(serde_json::from_str::<LoadReport>(&json).unwrap(), report);
        assert_eq!(report.load(), 0.25);
        assert_eq!(LoadReport { capacity: 4, ..report.clone() }.load(), 0.75, "entities per capacity when larger");
        let old = json.replace(r#","capacity":0"#, "");
        assert_eq!(serde_json::from_str::<LoadReport>(&old).unwrap(), report, "capacity may be left out");

        let zone =
            ZoneInfo { id: ZoneId(7), address: "10.0.0.7:4433".into(), cert_hash: CertHash([0xab; 32]), capacity: 500 };
        let json = serde_json::to_string(&zone).unwrap();
        assert!(json.contains(&format!(r#""cert_hash":"{}""#, "ab".repeat(32))), "{json}");
        assert_eq!(serde_json::from_str::<ZoneInfo>(&json).unwrap(), zone);
        assert!(serde_json::from_str::<ZoneInfo>(&json.replace("abab", "zz")).is_err());

        let old = format!(
            r#"{{"id":2,"address":"127.0.0.1:8080","cert_hash":"{}","link_cert_hash":"{}","capacity":10}}"#,
            "ab".repeat(32),
            "cd".repeat(32)
        );
        let gateway: GatewayInfo = serde_json::from_str(&old).expect("a record from before the connect URLs");
        assert_eq!((gateway.webtransport_url.as_str(), gateway.websocket_url.as_str()), ("", ""));
        assert!(!gateway.draining, "an old record is of a gateway taking players");
        let gateway = GatewayInfo {
            webtransport_url: "https://127.0.0.1:4433/play".into(),
            websocket_url: "ws://127.0.0.1:8080/ws".into(),
            ..gateway
        };
        let json = serde_json::to_string(&gateway).unwrap();
        assert_eq!(serde_json::from_str::<GatewayInfo>(&json).unwrap(), gateway);

        let event = Event {
            at_unix_ms: 9,
            kind: EventKind::CellMoved {
                cell: CellId::new(2, 1),
                from: Some(ZoneId(1)),
                to: ZoneId(2),
                epoch: Epoch(40),
                reason: MoveReason::Hotspot { from_load: 0.9, to_load: 0.3 },
            },
        };
        let json = serde_json::to_string(&event).unwrap();
        assert!(json.starts_with(r#"{"at_unix_ms":9,"kind":"cell_moved""#), "{json}");
        assert!(json.contains(r#""reason":{"type":"hotspot""#), "{json}");
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event);
    }
}
