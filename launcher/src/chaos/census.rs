//! The item census and the characters' check.
//!
//! Every item has a serial the durable store allocated and never reuses, so items can be
//! counted. During the soak a [`Ledger`] notes every serial seen in a durable place: a player
//! record in the durable store, or the ground or the escrow (a give across a zone border) of a
//! cell checkpoint in hot state. A serial seen
//! there was committed: whatever fails later, it must still exist at the end. (An NPC's loot
//! that only a killed zone's memory held was never committed; it may vanish with the zone.)
//!
//! At the end, once the bots have left, the census reads where every item is: each player's
//! record in the durable store and what each zone holds (`/report`: its ground, and anything
//! still in play). Judged by [`judge`]: a serial in two places is duplicated; a serial the
//! ledger saw that is nowhere is lost. The latest checkpoints are not a place at the end (they
//! copy a zone's ground), only a witness during the run.

use mmo_records::checkpoint::CellCheckpoint;
use mmo_records::{PlayerRecord, ZoneReport};
use mmo_world::physics::SUB;
use mmo_world::ItemSerial;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The committed serials seen during the run, and where each was first seen.
#[derive(Debug, Default)]
pub struct Ledger {
    seen: BTreeMap<ItemSerial, String>,
    /// Every player name seen online (whose records the census reads).
    pub names: BTreeSet<String>,
    /// Readings taken.
    pub samples: u64,
}

impl Ledger {
    pub fn note_record(&mut self, record: &PlayerRecord) {
        for item in &record.inventory {
            self.seen.entry(item.serial).or_insert_with(|| format!("inventory of {}", record.name));
        }
    }

    pub fn note_checkpoint(&mut self, checkpoint: &CellCheckpoint) {
        for g in &checkpoint.items.ground {
            self.seen.entry(g.item.serial).or_insert_with(|| format!("ground of cell {}", checkpoint.cell));
        }
        for g in &checkpoint.gives {
            self.seen.entry(g.item.serial).or_insert_with(|| format!("escrow of cell {}", checkpoint.cell));
        }
    }

    pub fn committed(&self) -> usize {
        self.seen.len()
    }
}

/// Where items are at the end: one entry per place.
#[derive(Debug, Default)]
pub struct Holdings {
    places: Vec<(String, Vec<ItemSerial>)>,
    /// Players some zone still simulates (none once every bot left).
    pub players_in_play: usize,
    /// Zones whose holdings could not be read (the census is then incomplete).
    pub unread: Vec<String>,
}

impl Holdings {
    pub fn add_record(&mut self, record: &PlayerRecord) {
        let serials = record.inventory.iter().map(|i| i.serial).collect();
        self.places.push((format!("inventory of {}", record.name), serials));
    }

    pub fn add_zone(&mut self, report: &ZoneReport) {
        let ground = report.ground_items.iter().map(|i| i.serial).collect();
        self.places.push((format!("ground of zone {}", report.zone), ground));
        let escrow = report.escrow.iter().map(|i| i.serial).collect();
        self.places.push((format!("escrow of zone {}", report.zone), escrow));
        for e in report.entities.iter().filter(|e| !e.items.is_empty()) {
            let serials = e.items.iter().map(|i| i.serial).collect();
            self.places.push((format!("entity {} in play on zone {}", e.id, report.zone), serials));
        }
        self.players_in_play += report.entities.iter().filter(|e| e.is_player).count();
    }
}

/// A serial in more than one place.
#[derive(Clone, Debug, Serialize)]
pub struct Duplicate {
    pub serial: u64,
    pub places: Vec<String>,
}

/// A committed serial found nowhere at the end.
#[derive(Clone, Debug, Serialize)]
pub struct Lost {
    pub serial: u64,
    pub first_seen: String,
}

/// The census's verdict on items.
#[derive(Clone, Debug, Serialize)]
pub struct ItemCensus {
    /// Serials seen committed during the run.
    pub committed: usize,
    /// Serials found at the end (each counted once).
    pub found: usize,
    pub duplicated: Vec<Duplicate>,
    pub lost: Vec<Lost>,
    pub players_in_play: usize,
    /// Zones the census could not read: their items count as nowhere.
    pub zones_unread: Vec<String>,
    /// Readings the ledger took during the run.
    pub samples: u64,
}

/// Judges `holdings` against the `ledger` (see the module docs).
pub fn judge(ledger: &Ledger, holdings: &Holdings) -> ItemCensus {
    let mut at: BTreeMap<ItemSerial, Vec<String>> = BTreeMap::new();
    for (place, serials) in &holdings.places {
        for serial in serials {
            at.entry(*serial).or_default().push(place.clone());
        }
    }
    let duplicated = at
        .iter()
        .filter(|(_, places)| places.len() > 1)
        .map(|(serial, places)| Duplicate { serial: serial.0, places: places.clone() })
        .collect();
    let lost = ledger
        .seen
        .iter()
        .filter(|(serial, _)| !at.contains_key(serial))
        .map(|(serial, first)| Lost { serial: serial.0, first_seen: first.clone() })
        .collect();
    ItemCensus {
        committed: ledger.seen.len(),
        found: at.len(),
        duplicated,
        lost,
        players_in_play: holdings.players_in_play,
        zones_unread: holdings.unread.clone(),
        samples: ledger.samples,
    }
}

/// Where a character stood at the end, by its bot and by its saved record.
#[derive(Clone, Debug, Serialize)]
pub struct Misplaced {
    pub name: String,
    /// Tiles between the two (None: no record at all).
    pub tiles: Option<f64>,
}

/// The characters' check: every bot that played has a saved record, where it last stood.
#[derive(Clone, Debug, Serialize)]
pub struct CharacterCensus {
    pub characters: usize,
    /// Records missing, or saved more than [`MISPLACED_TILES`] from where the bot last stood.
    pub misplaced: Vec<Misplaced>,
}

/// How far a saved position may be from the bot's last snapshot: the bot saw its character a
/// tick or so before it left, and the character falls or slides a little meanwhile.
pub const MISPLACED_TILES: f64 = 2.0;

/// `bots`: each bot that played, with where it last stood (tiles); `records`: by name.
pub fn characters(bots: &[(String, Option<[f64; 2]>)], records: &BTreeMap<String, PlayerRecord>) -> CharacterCensus {
    let mut misplaced = Vec::new();
    for (name, last) in bots {
        let Some(record) = records.get(&name.to_ascii_lowercase()).or_else(|| records.get(name)) else {
            misplaced.push(Misplaced { name: name.clone(), tiles: None });
            continue;
        };
        let Some([x, y]) = last else { continue };
        let (rx, ry) = (f64::from(record.position.x) / f64::from(SUB), f64::from(record.position.y) / f64::from(SUB));
        let tiles = (rx - x).hypot(ry - y);
        if tiles > MISPLACED_TILES {
            misplaced.push(Misplaced { name: name.clone(), tiles: Some(tiles) });
        }
    }
    CharacterCensus { characters: bots.len(), misplaced }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::IVec2;
    use mmo_records::checkpoint::{CellItems, GroundRecord};
    use mmo_records::Item;
    use mmo_world::{CellId, Tick, ZoneId};

    fn record(name: &str, serials: &[u64]) -> PlayerRecord {
        let mut r = PlayerRecord::new(name, None, IVec2::new(10 * SUB, 5 * SUB), CellId::new(0, 0));
        r.inventory = serials.iter().map(|s| Item::one(ItemSerial(*s), 10)).collect();
        r
    }

    fn ground(serials: &[u64]) -> CellCheckpoint {
        let ground = serials
            .iter()
            .map(|s| GroundRecord {
                item: Item::one(ItemSerial(*s), 10),
                pos: IVec2::ZERO,
                dropped_by: None,
                dropped_at: None,
            })
            .collect();
        CellCheckpoint {
            cell: CellId::new(1, 0),
            tick: Tick(5),
            npcs: vec![],
            items: CellItems { ground, picked: vec![] },
            policy: 0,
            gives: vec![],
        }
    }

    fn zone(zone: u32, ground: &[u64]) -> ZoneReport {
        ZoneReport {
            zone: ZoneId(zone),
            ground_items: ground.iter().map(|s| Item::one(ItemSerial(*s), 10)).collect(),
            ..ZoneReport::default()
        }
    }

    #[test]
    fn items_that_moved_are_neither_lost_nor_duplicated() {
        let mut ledger = Ledger::default();
        ledger.note_record(&record("ann", &[1, 2]));
        ledger.note_checkpoint(&ground(&[3]));
        // 1 was given to bea, 3 picked up by ann, 2 dropped on zone 2's ground.
        let mut end = Holdings::default();
        end.add_record(&record("ann", &[3]));
        end.add_record(&record("bea", &[1]));
        end.add_zone(&zone(2, &[2]));
        let census = judge(&ledger, &end);
        assert_eq!((census.committed, census.found), (3, 3));
        assert!(census.duplicated.is_empty() && census.lost.is_empty(), "{census:?}");
    }

    #[test]
    fn an_item_in_two_places_is_duplicated_and_a_committed_one_nowhere_is_lost() {
        let mut ledger = Ledger::default();
        ledger.note_record(&record("ann", &[1, 2]));
        ledger.note_checkpoint(&ground(&[3]));
        let mut end = Holdings::default();
        end.add_record(&record("ann", &[1]));
        end.add_zone(&zone(1, &[1, 4]));
        let census = judge(&ledger, &end);
        let dup: Vec<u64> = census.duplicated.iter().map(|d| d.serial).collect();
        assert_eq!(dup, [1]);
        assert_eq!(census.duplicated[0].places, ["inventory of ann", "ground of zone z1"]);
        let lost: Vec<(u64, &str)> = census.lost.iter().map(|l| (l.serial, l.first_seen.as_str())).collect();
        assert_eq!(lost, [(2, "inventory of ann"), (3, "ground of cell c1.0")]);
        // 4: loot never committed before the end is found, not lost.
        assert_eq!(census.found, 2);
    }

    #[test]
    fn characters_are_where_their_bots_left_them() {
        let records: BTreeMap<String, PlayerRecord> =
            [record("ann", &[]), record("bea", &[])].into_iter().map(|r| (r.name.clone(), r)).collect();
        let bots = vec![
            ("ann".to_string(), Some([10.5, 5.0])),
            ("bea".to_string(), Some([20.0, 5.0])),
            ("cid".to_string(), Some([1.0, 1.0])),
        ];
        let census = characters(&bots, &records);
        assert_eq!(census.characters, 3);
        let names: Vec<(&str, Option<u64>)> =
            census.misplaced.iter().map(|m| (m.name.as_str(), m.tiles.map(|t| t.round() as u64))).collect();
        assert_eq!(names, [("bea", Some(10)), ("cid", None)]);
    }
}
