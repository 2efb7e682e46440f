//! Operator endpoints of the local world, served on the gateway's HTTP listener:
//!
//! - `POST /api/admin/move-cell?cell=X.Y&zone=N` migrates cell `X.Y` with everything in it to
//!   zone `N` (the primitive the coordinator's rebalancing uses); answers
//!   `{"cell":"1.0","zone":2,"epoch":9}`, or 400 (bad query), 409 (refused: no owner, already
//!   there) or 503 (registry or zone unavailable) with a message.
//! - `GET /api/admin/cells` lists the registry's assignments: `[{"cell":"0.0","zone":1,"epoch":1}, ...]`.
//!
//! Example: `curl -X POST 'http://127.0.0.1:8080/api/admin/move-cell?cell=2.1&zone=2'`.

use crate::WorldControl;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mmo_cluster::Registry;
use mmo_coordinator::MigrateError;
use mmo_world::{CellId, ZoneId};
use serde::Deserialize;
use serde_json::json;

/// The operator routes.
pub fn routes(control: WorldControl) -> Router {
    Router::new()
        .route("/api/admin/move-cell", post(move_cell))
        .route("/api/admin/cells", get(cells))
        .with_state(control)
}

#[derive(Debug, Deserialize)]
struct MoveCell {
    cell: String,
    zone: u32,
}

/// Parses a cell written `X.Y`.
pub fn parse_cell(s: &str) -> Option<CellId> {
    let (x, y) = s.split_once('.')?;
    Some(CellId::new(x.parse().ok()?, y.parse().ok()?))
}

fn cell_name(cell: CellId) -> String {
    format!("{}.{}", cell.x, cell.y)
}

async fn move_cell(State(control): State<WorldControl>, Query(q): Query<MoveCell>) -> Response {
    let Some(cell) = parse_cell(&q.cell).filter(|c| control.geometry().contains_cell(*c)) else {
        return (StatusCode::BAD_REQUEST, format!("no cell {:?} in this world (write X.Y)", q.cell)).into_response();
    };
    match control.move_cell(cell, ZoneId(q.zone)).await {
        Ok(epoch) => Json(json!({ "cell": cell_name(cell), "zone": q.zone, "epoch": epoch.0 })).into_response(),
        Err(e @ MigrateError::Refused(_)) => (StatusCode::CONFLICT, e.to_string()).into_response(),
        Err(e @ MigrateError::UnknownZone(_)) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

async fn cells(State(control): State<WorldControl>) -> Response {
    let table = control.registry().assignments();
    let list: Vec<_> = table
        .iter()
        .map(|(cell, a)| json!({ "cell": cell_name(*cell), "zone": a.zone.0, "epoch": a.epoch.0 }))
        .collect();
    Json(list).into_response()
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
    }
}
