//! What the operators' API reads from a request, parsed and checked apart from serving it (so
//! it is unit-tested and fuzzed without a registry): the bodies of `POST /api/move-cell` and
//! `POST /api/drain`, and `GET /api/events`' limit. A bad request names the field at fault.

use mmo_world::{CellId, WorldGeometry, ZoneId};
use serde_json::{Map, Value};

/// Events `GET /api/events` returns at most.
pub const MAX_EVENTS: usize = 1000;

/// A request the API refuses: the field at fault and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct BadRequest {
    pub field: &'static str,
    pub message: String,
}

fn bad(field: &'static str, message: impl Into<String>) -> BadRequest {
    BadRequest { field, message: message.into() }
}

/// `POST /api/move-cell` `{"cell":"2.1","zone":2}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoveCell {
    pub cell: CellId,
    pub zone: ZoneId,
}

/// `POST /api/drain` `{"zone":2}` or `{"zone":2,"undo":true}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drain {
    pub zone: ZoneId,
    pub undo: bool,
}

/// Parses a cell written `X.Y`, or `X.Y/D` for a quarter of depth `D`.
pub fn parse_cell(s: &str) -> Option<CellId> {
    let (xy, depth) = match s.split_once('/') {
        Some((xy, d)) => (xy, d.parse().ok().filter(|d| *d > 0)?),
        None => (s, 0),
    };
    let (x, y) = xy.split_once('.')?;
    Some(CellId { x: x.parse().ok()?, y: y.parse().ok()?, depth })
}

/// A move-cell body, its cell one of `geometry`'s (of any depth).
pub fn move_cell(body: &[u8], geometry: &WorldGeometry) -> Result<MoveCell, BadRequest> {
    let body = object(body)?;
    Ok(MoveCell { cell: cell(&body, geometry)?, zone: zone(&body)? })
}

/// The cell of a split-cell or merge-cell body `{"cell":"2.1"}`.
pub fn reshape_cell(body: &[u8], geometry: &WorldGeometry) -> Result<CellId, BadRequest> {
    cell(&object(body)?, geometry)
}

fn cell(body: &Map<String, Value>, geometry: &WorldGeometry) -> Result<CellId, BadRequest> {
    match body.get("cell") {
        None => Err(bad("cell", "cell is missing")),
        Some(Value::String(text)) => parse_cell(text)
            .filter(|c| geometry.holds(*c))
            .ok_or_else(|| bad("cell", format!("no cell {text:?} in this world (write X.Y, or X.Y/D for a quarter)"))),
        Some(other) => Err(bad("cell", format!("cell must be a string X.Y, got {other}"))),
    }
}

/// A drain body.
pub fn drain(body: &[u8]) -> Result<Drain, BadRequest> {
    let body = object(body)?;
    let undo = match body.get("undo") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(bad("undo", format!("undo must be true or false, got {other}"))),
    };
    Ok(Drain { zone: zone(&body)?, undo })
}

/// The `limit` of `GET /api/events` (100 when not given).
pub fn events_limit(text: Option<&str>) -> Result<usize, BadRequest> {
    match text {
        None => Ok(100),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_EVENTS).contains(n))
            .ok_or_else(|| bad("limit", format!("limit must be 1 to {MAX_EVENTS}, got {text:?}"))),
    }
}

/// The JSON object of a POST body.
fn object(body: &[u8]) -> Result<Map<String, Value>, BadRequest> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad("body", "the body must be a JSON object")),
        Err(error) => Err(bad("body", format!("the body is not JSON: {error}"))),
    }
}

fn zone(body: &Map<String, Value>) -> Result<ZoneId, BadRequest> {
    let value = body.get("zone").ok_or_else(|| bad("zone", "zone is missing"))?;
    value
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .map(ZoneId)
        .ok_or_else(|| bad("zone", format!("zone must be a zone number, got {value}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_parse_as_x_dot_y() {
        assert_eq!(parse_cell("1.0"), Some(CellId::new(1, 0)));
        assert_eq!(parse_cell("12.3"), Some(CellId::new(12, 3)));
        assert_eq!(parse_cell("1"), None);
        assert_eq!(parse_cell("a.b"), None);
        assert_eq!(parse_cell("5.2/1"), Some(CellId::new(2, 1).quarter(1)));
        assert_eq!(parse_cell("5.2/0"), None, "a cell of the grid is written X.Y");
        assert_eq!(parse_cell("5.2/x"), None);
    }

    #[test]
    fn bodies_parse_and_bad_ones_name_their_field() {
        let world = WorldGeometry::default();
        assert_eq!(
            move_cell(br#"{"cell":"2.1","zone":2}"#, &world),
            Ok(MoveCell { cell: CellId::new(2, 1), zone: ZoneId(2) })
        );
        assert_eq!(drain(br#"{"zone":3,"undo":true}"#), Ok(Drain { zone: ZoneId(3), undo: true }));
        assert_eq!(drain(br#"{"zone":3}"#), Ok(Drain { zone: ZoneId(3), undo: false }));
        let field = |r: Result<_, BadRequest>| r.map(|_: MoveCell| ()).unwrap_err().field;
        assert_eq!(field(move_cell(b"[1]", &world)), "body");
        assert_eq!(field(move_cell(b"{", &world)), "body");
        assert_eq!(field(move_cell(br#"{"zone":2}"#, &world)), "cell");
        assert_eq!(field(move_cell(br#"{"cell":"99.0","zone":2}"#, &world)), "cell");
        assert_eq!(field(move_cell(br#"{"cell":7,"zone":2}"#, &world)), "cell");
        assert_eq!(field(move_cell(br#"{"cell":"2.1","zone":-1}"#, &world)), "zone");
        assert_eq!(field(move_cell(br#"{"cell":"2.1","zone":4294967296}"#, &world)), "zone");
        assert_eq!(drain(br#"{"zone":1,"undo":"yes"}"#).unwrap_err().field, "undo");
        assert_eq!(reshape_cell(br#"{"cell":"2.1"}"#, &world), Ok(CellId::new(2, 1)));
        assert_eq!(reshape_cell(br#"{"cell":"7.3/1"}"#, &world), Ok(CellId::new(3, 1).quarter(3)));
        assert_eq!(reshape_cell(br#"{"cell":"8.0/1"}"#, &world).unwrap_err().field, "cell", "outside the world");
        assert_eq!(reshape_cell(br#"{"cell":"0.0/3"}"#, &world).unwrap_err().field, "cell", "too deep");
        assert_eq!(events_limit(None), Ok(100));
        assert_eq!(events_limit(Some("1000")), Ok(1000));
        for bad in ["0", "1001", "-1", "x", ""] {
            assert_eq!(events_limit(Some(bad)).unwrap_err().field, "limit", "{bad}");
        }
    }
}
