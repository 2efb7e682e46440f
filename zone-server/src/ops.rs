//! A service's operator endpoints: `/metrics` (Prometheus text), `/livez` (the process runs),
//! `/readyz` (it is registered and acting: 503 before and after) and `/report` (what the zone
//! holds as of its last tick, the `ZoneReport` as JSON: its cells, entities with their items,
//! the items on its ground; what a census of items reads, 503 until the zone runs).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use mmo_cluster::ZoneHandle;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Whether a service is ready, shared between it and its `/readyz`.
#[derive(Clone, Debug, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Relaxed);
    }

    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The zone `/report` inspects, once it is registered (set once).
#[derive(Clone, Debug, Default)]
pub struct Inspected(Arc<OnceLock<ZoneHandle>>);

impl Inspected {
    pub fn set(&self, zone: ZoneHandle) {
        let _ = self.0.set(zone);
    }

    async fn report(&self) -> Response {
        let Some(zone) = self.0.get() else {
            return (StatusCode::SERVICE_UNAVAILABLE, "the zone is not running yet").into_response();
        };
        match zone.inspect().await {
            Ok(report) => Json(report).into_response(),
            Err(error) => {
                (StatusCode::SERVICE_UNAVAILABLE, format!("the zone does not answer: {error}")).into_response()
            }
        }
    }
}

/// The routes, rendering `metrics` on `/metrics` and `zone`'s report on `/report`.
pub fn router(metrics: PrometheusHandle, ready: Readiness, zone: Inspected) -> Router {
    Router::new()
        .route("/report", get(move || async move { zone.report().await }))
        .route("/livez", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || {
                let ready = ready.get();
                async move {
                    if ready {
                        (StatusCode::OK, "ready")
                    } else {
                        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
                    }
                }
            }),
        )
        .route("/metrics", get(move || std::future::ready(metrics.render())))
}
