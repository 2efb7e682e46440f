//! The in-process local world a run targets when it is given no URL: the same coordinator,
//! zone servers and gateway as `mmo-local`, on `127.0.0.1:0`, on the load tester's runtime.

use crate::scenario::WorldSettings;
use crate::LoadtestError;
use mmo_local::{LocalWorld, LocalWorldConfig};
use mmo_world::WorldGeometry;
use std::net::SocketAddr;
use tokio::sync::watch;

/// A running in-process world.
#[derive(Debug)]
pub struct InProcessWorld {
    pub http: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl InProcessWorld {
    pub async fn start(settings: &WorldSettings) -> Result<Self, LoadtestError> {
        let config = LocalWorldConfig {
            zones: settings.zones,
            geometry: WorldGeometry {
                width_cells: settings.width_cells,
                height_cells: settings.height_cells,
                cell_tiles: settings.cell_tiles,
            },
            seed: settings.seed,
            npcs_per_cell: settings.npcs_per_cell,
            max_sessions: settings.max_sessions,
            start_points: settings.start_points,
            ..LocalWorldConfig::for_tests()
        };
        let (stop, shutdown) = watch::channel(false);
        let world = LocalWorld::start(config, None, shutdown.clone())
            .await
            .map_err(|e| LoadtestError::LocalWorld(format!("{e:#}")))?;
        let http = world.http_addr();
        let task = tokio::spawn(world.run(shutdown));
        Ok(InProcessWorld { http, stop, task })
    }

    /// The URL bots connect to.
    pub fn url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}/", self.http)).expect("a socket address makes a URL")
    }

    /// Stops the world and waits for it.
    pub async fn stop(self) -> Result<(), LoadtestError> {
        let _ = self.stop.send(true);
        match self.task.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(LoadtestError::LocalWorld(format!("{e:#}"))),
            Err(e) => Err(LoadtestError::LocalWorld(e.to_string())),
        }
    }
}
