//! The operators' JSON API (and the dashboard page), served by the coordinator binary and
//! mounted on the local world's gateway HTTP listener. Cells are written `X.Y`.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /api/state` | the world size; cells with owner, epoch and entity count; zones with state (`active`, `draining`, `dead`), load, capacity, address; gateways; draining zones; the leader; migrations in flight |
//! | `GET /api/events?limit=N` | the last N (default 100, at most 1000) logged decisions and membership changes, oldest first |
//! | `POST /api/move-cell` `{"cell":"2.1","zone":2}` | moves a cell with everything in it (the leader only): `{"cell":"2.1","zone":2,"epoch":9}` |
//! | `POST /api/split-cell` `{"cell":"2.1"}` | splits a cell into its quarters, kept by its zone (the leader only): `{"cell":"2.1","quarters":["4.2/1","5.2/1","4.3/1","5.3/1"],"epoch":10}` |
//! | `POST /api/merge-cell` `{"cell":"2.1"}` | merges the four quarters of a cell, owned by one zone, back into it |
//! | `POST /api/drain` `{"zone":2}` / `{"zone":2,"undo":true}` | marks a zone as draining (it gives all of its cells away), or clears the mark |
//! | `GET /dashboard` | the dashboard page (when the client's files are given) |
//!
//! With an API token configured ([`crate::auth`]), `move-cell` and `drain` need
//! `Authorization: Bearer TOKEN`.
//!
//! Errors are JSON `{"error": message, "code": ..., "field": ...}`: 400 `bad_request` naming the
//! field at fault, 401 `unauthorized` (no or a wrong token), 409 `conflict` (the cell is there already, the zone is draining), 503
//! `not_leader` (with the leader's name when known) or `unavailable` (registry).

use crate::auth::ApiToken;
use crate::requests::{self, BadRequest, Drain, MoveCell};
pub use crate::requests::{parse_cell, MAX_EVENTS};
use crate::service::{LeaderView, Migration, ServiceError, ServiceHandle};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mmo_cluster::{Event, Registry, RegistryError};
use mmo_world::{CellId, Epoch, GatewayId, Layout, WorldGeometry, ZoneId};
use serde::{Serialize, Serializer};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::services::ServeFile;

/// What the API serves from.
#[derive(Debug)]
pub struct ApiState<R> {
    pub registry: Arc<R>,
    pub service: ServiceHandle,
    pub geometry: WorldGeometry,
}

impl<R> Clone for ApiState<R> {
    fn clone(&self) -> Self {
        ApiState { registry: self.registry.clone(), service: self.service.clone(), geometry: self.geometry }
    }
}

/// The operator routes (`/api/...`), and `/dashboard` from `client_dir` when given. With
/// `token`, the routes that change the world require it.
pub fn routes<R: Registry + 'static>(
    state: ApiState<R>,
    client_dir: Option<PathBuf>,
    token: Option<ApiToken>,
) -> Router {
    let mut changes = Router::new()
        .route("/api/move-cell", post(move_cell::<R>))
        .route("/api/split-cell", post(split_cell::<R>))
        .route("/api/merge-cell", post(merge_cell::<R>))
        .route("/api/drain", post(drain::<R>));
    if let Some(token) = token {
        changes = changes.route_layer(axum::middleware::from_fn_with_state(token, crate::auth::require));
    }
    let router = Router::new()
        .route("/api/state", get(world_state::<R>))
        .route("/api/events", get(events::<R>))
        .merge(changes)
        .with_state(state);
    match client_dir {
        Some(dir) => router.route_service("/dashboard", ServeFile::new(dir.join("dashboard.html"))),
        None => router,
    }
}

/// A cell written `X.Y`.
/// `X.Y` for a cell of the grid, `X.Y/D` for a quarter of depth `D` (coordinates in the grid
/// `2^D` times as fine), as [`requests::parse_cell`] reads them.
pub fn cell_name(cell: CellId) -> String {
    match cell.depth {
        0 => format!("{}.{}", cell.x, cell.y),
        d => format!("{}.{}/{d}", cell.x, cell.y),
    }
}

pub(crate) fn ser_cell<S: Serializer>(cell: &CellId, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&cell_name(*cell))
}

/// An API error: status, code, message, and the request field at fault.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<&'static str>,
    leader: Option<String>,
}

impl ApiError {
    pub(crate) fn unauthorized() -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: "this call needs the API token: Authorization: Bearer TOKEN".into(),
            field: None,
            leader: None,
        }
    }
}

impl From<BadRequest> for ApiError {
    fn from(bad: BadRequest) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: bad.message,
            field: Some(bad.field),
            leader: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.message, "code": self.code });
        if let Some(field) = self.field {
            body["field"] = json!(field);
        }
        if let Some(leader) = self.leader {
            body["leader"] = json!(leader);
        }
        (self.status, Json(body)).into_response()
    }
}

impl From<RegistryError> for ApiError {
    fn from(error: RegistryError) -> Self {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "unavailable",
            message: error.to_string(),
            field: None,
            leader: None,
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        let message = error.to_string();
        let (status, code, field, leader) = match error {
            ServiceError::NoSuchCell(_) => (StatusCode::BAD_REQUEST, "bad_request", Some("cell"), None),
            ServiceError::NoSuchZone(_) => (StatusCode::BAD_REQUEST, "bad_request", Some("zone"), None),
            ServiceError::ZoneDraining(_)
            | ServiceError::Refused(_)
            | ServiceError::CannotSplit(_)
            | ServiceError::CannotMerge(_)
            | ServiceError::InFlight(_) => (StatusCode::CONFLICT, "conflict", None, None),
            ServiceError::NotLeader { leader } => (StatusCode::SERVICE_UNAVAILABLE, "not_leader", None, leader),
            _ => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", None, None),
        };
        ApiError { status, code, message, field, leader }
    }
}

/// `GET /api/state`.
#[derive(Debug, Serialize)]
pub struct WorldState {
    pub world: WorldSize,
    pub leader: Option<LeaderView>,
    /// Whether the coordinator answering leads.
    pub leading: bool,
    pub rebalance: bool,
    pub cells: Vec<CellView>,
    pub zones: Vec<ZoneView>,
    pub gateways: Vec<GatewayView>,
    pub draining: Vec<ZoneId>,
    pub migrations: Vec<Migration>,
}

#[derive(Debug, Serialize)]
pub struct WorldSize {
    pub width: u16,
    pub height: u16,
}

#[derive(Debug, Serialize)]
pub struct CellView {
    #[serde(serialize_with = "ser_cell")]
    pub cell: CellId,
    pub x: u16,
    pub y: u16,
    /// 0 for a cell of the grid; a quarter's `x` and `y` count in a grid `2^depth` times as fine.
    pub depth: u8,
    pub zone: Option<ZoneId>,
    pub epoch: Option<Epoch>,
    /// From the owner's latest load report (0 when it has not reported the cell yet).
    pub entities: u32,
    /// Whether the owner's latest load report lists the cell: false while it is on its way
    /// there (a merge of quarters waits until all of them are).
    pub simulated: bool,
}

#[derive(Debug, Serialize)]
pub struct ZoneView {
    pub id: ZoneId,
    /// `active`, `draining` or `dead` (owns cells but has no lease).
    pub state: &'static str,
    pub load: f32,
    pub tick_time_ms_p99: f32,
    pub budget_ms: f32,
    pub entities: u32,
    pub capacity: u32,
    pub cells: usize,
    pub address: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct GatewayView {
    pub id: GatewayId,
    pub address: String,
    pub capacity: u32,
}

async fn world_state<R: Registry>(State(state): State<ApiState<R>>) -> Result<Json<WorldState>, ApiError> {
    let table = state.registry.assignments();
    let live = state.registry.zones().await?;
    let loads = state.registry.loads().await?;
    let draining = state.registry.draining().await?;
    let gateways = state.registry.gateways().await?;
    let status = state.service.status();

    let layout = Layout::implied(state.geometry, table.keys().copied()).unwrap_or_else(|_| Layout::new(state.geometry));
    let cells: Vec<CellView> = layout
        .leaves()
        .into_iter()
        .map(|cell| {
            let owner = table.get(&cell);
            let reported = owner.and_then(|a| loads.get(&a.zone)).and_then(|r| r.entities_per_cell.get(&cell).copied());
            CellView {
                cell,
                x: cell.x,
                y: cell.y,
                depth: cell.depth,
                zone: owner.map(|a| a.zone),
                epoch: owner.map(|a| a.epoch),
                entities: reported.unwrap_or(0),
                simulated: reported.is_some(),
            }
        })
        .collect();
    let mut zone_ids: Vec<ZoneId> = live.keys().copied().collect();
    zone_ids.extend(table.values().map(|a| a.zone));
    zone_ids.sort_unstable();
    zone_ids.dedup();
    let mut counts: BTreeMap<ZoneId, usize> = BTreeMap::new();
    for a in table.values() {
        *counts.entry(a.zone).or_default() += 1;
    }
    let zones = zone_ids
        .into_iter()
        .map(|id| {
            let info = live.get(&id);
            let report = loads.get(&id);
            let state = match (info, draining.contains(&id)) {
                (None, _) => "dead",
                (Some(_), true) => "draining",
                (Some(_), false) => "active",
            };
            ZoneView {
                id,
                state,
                load: report.map_or(0.0, |r| r.load()),
                tick_time_ms_p99: report.map_or(0.0, |r| r.tick_time_ms_p99),
                budget_ms: report.map_or(0.0, |r| r.budget_ms),
                entities: report.map_or(0, |r| r.entities),
                capacity: info.map_or(0, |i| i.capacity),
                cells: counts.get(&id).copied().unwrap_or(0),
                address: info.map(|i| i.address.clone()),
            }
        })
        .collect();
    let gateways =
        gateways.into_values().map(|g| GatewayView { id: g.id, address: g.address, capacity: g.capacity }).collect();
    Ok(Json(WorldState {
        world: WorldSize { width: state.geometry.width_cells, height: state.geometry.height_cells },
        leader: status.leader,
        leading: status.leading,
        rebalance: status.rebalance,
        cells,
        zones,
        gateways,
        draining: draining.into_iter().collect(),
        migrations: status.migrations,
    }))
}

async fn events<R: Registry>(
    State(state): State<ApiState<R>>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Json<Vec<Event>>, ApiError> {
    let limit = requests::events_limit(query.get("limit").map(String::as_str))?;
    Ok(Json(state.registry.events(limit).await?))
}

async fn move_cell<R: Registry>(State(state): State<ApiState<R>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let MoveCell { cell, zone } = requests::move_cell(&body, &state.geometry)?;
    let epoch = state.service.move_cell(cell, zone).await?;
    Ok(Json(json!({ "cell": cell_name(cell), "zone": zone, "epoch": epoch })))
}

async fn split_cell<R: Registry>(State(state): State<ApiState<R>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let cell = requests::reshape_cell(&body, &state.geometry)?;
    let epoch = state.service.split_cell(cell).await?;
    let quarters: Vec<String> = cell.quarters().iter().map(|q| cell_name(*q)).collect();
    Ok(Json(json!({ "cell": cell_name(cell), "quarters": quarters, "epoch": epoch })))
}

async fn merge_cell<R: Registry>(State(state): State<ApiState<R>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let cell = requests::reshape_cell(&body, &state.geometry)?;
    let epoch = state.service.merge_cell(cell).await?;
    Ok(Json(json!({ "cell": cell_name(cell), "epoch": epoch })))
}

async fn drain<R: Registry>(State(state): State<ApiState<R>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let Drain { zone, undo } = requests::drain(&body)?;
    if !undo && !state.registry.zones().await?.contains_key(&zone) {
        return Err(ServiceError::NoSuchZone(zone).into());
    }
    state.registry.set_draining(zone, !undo).await?;
    Ok(Json(json!({ "zone": zone, "draining": !undo })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_named_x_dot_y() {
        assert_eq!(cell_name(CellId::new(12, 3)), "12.3");
        assert_eq!(parse_cell(&cell_name(CellId::new(12, 3))), Some(CellId::new(12, 3)));
    }
}
