//! The key layout of one world in etcd. Everything lives under `/mmo/<world>/`:
//!
//! | key | value (JSON) | lease |
//! | --- | --- | --- |
//! | `cells/<x>.<y>` (`cells/<x>.<y>.<depth>` below the grid) | `{"zone":3,"previous":1}` (`previous`: the owner the write took the cell from, absent when none); the epoch is the key's `mod_revision` | none |
//! | `zones/<id>` | [`ZoneInfo`](crate::ZoneInfo) | the zone's |
//! | `gateways/<id>` | [`GatewayInfo`](crate::GatewayInfo) | the gateway's |
//! | `loads/<zone>` | [`LoadReport`](crate::LoadReport) | the zone's |
//! | `draining/<zone>` | `{"zone":3}` | none |
//! | `events/<unix ms, 13 digits>-<nonce>` | [`Event`](crate::Event) | none (trimmed to the newest) |
//! | `election/<lease hex>` | the candidate's name (etcd's election API writes it) | the candidate's |
//!
//! Read them with `etcdctl get --prefix /mmo/<world>/` (`-w json` shows the revisions).

use mmo_world::{CellId, GatewayId, ZoneId};

/// The keys of one world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// The layout for `world`, which must be a non-empty name of ASCII letters, digits, `-` or
    /// `_` (it becomes a path segment).
    pub fn new(world: &str) -> Result<Keys, String> {
        let valid = !world.is_empty() && world.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid {
            Ok(Keys { prefix: format!("/mmo/{world}/") })
        } else {
            Err(format!("world name {world:?} must be ASCII letters, digits, '-' or '_'"))
        }
    }

    /// `/mmo/<world>/`: every key of the world starts with it.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn cells(&self) -> String {
        format!("{}cells/", self.prefix)
    }

    pub fn cell(&self, cell: CellId) -> String {
        if cell.depth == 0 {
            format!("{}{}.{}", self.cells(), cell.x, cell.y)
        } else {
            format!("{}{}.{}.{}", self.cells(), cell.x, cell.y, cell.depth)
        }
    }

    /// The cell a `cells/` key names.
    pub fn parse_cell(&self, key: &[u8]) -> Option<CellId> {
        let rest = std::str::from_utf8(key).ok()?.strip_prefix(&self.cells())?;
        let mut parts = rest.split('.');
        let x = parts.next()?.parse().ok()?;
        let y = parts.next()?.parse().ok()?;
        let depth = parts.next().map_or(Some(0), |d| d.parse().ok())?;
        parts.next().is_none().then_some(CellId { x, y, depth })
    }

    pub fn zones(&self) -> String {
        format!("{}zones/", self.prefix)
    }

    pub fn zone(&self, zone: ZoneId) -> String {
        format!("{}{}", self.zones(), zone.0)
    }

    pub fn gateways(&self) -> String {
        format!("{}gateways/", self.prefix)
    }

    pub fn gateway(&self, gateway: GatewayId) -> String {
        format!("{}{}", self.gateways(), gateway.0)
    }

    pub fn loads(&self) -> String {
        format!("{}loads/", self.prefix)
    }

    pub fn load(&self, zone: ZoneId) -> String {
        format!("{}{}", self.loads(), zone.0)
    }

    pub fn draining(&self) -> String {
        format!("{}draining/", self.prefix)
    }

    pub fn drain(&self, zone: ZoneId) -> String {
        format!("{}{}", self.draining(), zone.0)
    }

    pub fn events(&self) -> String {
        format!("{}events/", self.prefix)
    }

    /// An event key; time first, so `etcdctl` lists the log in order.
    pub fn event(&self, at_unix_ms: u64, nonce: u64) -> String {
        format!("{}{at_unix_ms:013}-{nonce:016x}", self.events())
    }

    /// The election's name: candidates' keys are `election/<lease id in hex>`.
    pub fn election(&self) -> String {
        format!("{}election", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_keys_round_trip_and_foreign_keys_do_not_parse() {
        let keys = Keys::new("w1").unwrap();
        for cell in [CellId::new(0, 0), CellId::new(12, 345), CellId { x: 3, y: 4, depth: 2 }] {
            assert_eq!(keys.parse_cell(keys.cell(cell).as_bytes()), Some(cell));
        }
        assert_eq!(keys.cell(CellId::new(3, 1)), "/mmo/w1/cells/3.1");
        let other = Keys::new("w2").unwrap();
        assert_eq!(keys.parse_cell(other.cell(CellId::new(1, 1)).as_bytes()), None);
        for bad in ["/mmo/w1/cells/1", "/mmo/w1/cells/1.2.3.4", "/mmo/w1/cells/a.b", "/mmo/w1/zones/1"] {
            assert_eq!(keys.parse_cell(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn world_names_are_path_safe() {
        assert!(Keys::new("").is_err());
        assert!(Keys::new("a/b").is_err());
        assert_eq!(Keys::new("prod-eu_1").unwrap().prefix(), "/mmo/prod-eu_1/");
        let keys = Keys::new("w").unwrap();
        assert!(keys.event(5, 1) < keys.event(40, 0), "event keys sort by time");
    }
}
