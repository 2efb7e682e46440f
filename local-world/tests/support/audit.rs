//! An audit of every cell frame every zone publishes: a subscriber to every cell (it follows the
//! cells when they migrate, like any subscriber), so a test can check, tick by tick, who
//! published what.

use mmo_cluster::{Registry, SubscriberId, ZoneCommand};
use mmo_local::WorldControl;
use mmo_protocol::CellFrame;
use mmo_world::{CellId, EntityId, GatewayId, Tick, ZoneId};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

pub struct Audit {
    frames: Arc<Mutex<Vec<Arc<CellFrame>>>>,
    /// Every zone of the world.
    zones: BTreeSet<ZoneId>,
    task: tokio::task::JoinHandle<()>,
}

impl Audit {
    /// Subscribes to every cell at its owner.
    pub async fn start(control: &WorldControl) -> Audit {
        let (tx, mut rx) = mpsc::channel::<Arc<CellFrame>>(1 << 16);
        let table = control.registry().assignments();
        for cell in control.geometry().cells() {
            let owner = table[&cell].zone;
            let cmd =
                ZoneCommand::Subscribe { cell, subscriber: SubscriberId::Gateway(GatewayId(900)), frames: tx.clone() };
            control.zones()[&owner].send(cmd).await.expect("zone takes the subscription");
        }
        let frames = Arc::new(Mutex::new(Vec::new()));
        let sink = frames.clone();
        let task = tokio::spawn(async move {
            while let Some(f) = rx.recv().await {
                sink.lock().unwrap().push(f);
            }
        });
        Audit { frames, zones: control.zones().keys().copied().collect(), task }
    }

    /// Waits until every zone's frames up to `tick` are in: each zone has published a frame of
    /// a later tick (a zone sends its frames in tick order). For worlds where every zone keeps
    /// at least one cell.
    pub async fn wait_past(&self, tick: Tick) {
        let what = format!("every zone's frames past {tick}");
        mmo_test_services::wait::wait_until(&what, Duration::from_secs(10), || async {
            let frames = self.frames.lock().unwrap();
            let past: BTreeSet<ZoneId> = frames.iter().filter(|f| f.tick > tick).map(|f| f.zone).collect();
            past == self.zones
        })
        .await;
    }

    /// The tick of the earliest frame received so far that `holds`.
    pub fn first_tick(&self, holds: impl Fn(&CellFrame) -> bool) -> Option<Tick> {
        self.frames.lock().unwrap().iter().filter(|f| holds(f)).map(|f| f.tick).min()
    }

    /// Every frame received so far, by tick.
    pub fn by_tick(&self) -> BTreeMap<Tick, Vec<Arc<CellFrame>>> {
        let mut out: BTreeMap<Tick, Vec<Arc<CellFrame>>> = BTreeMap::new();
        for f in self.frames.lock().unwrap().iter() {
            out.entry(f.tick).or_default().push(f.clone());
        }
        out
    }

    /// For each tick, the zones whose frames held `entity`.
    pub fn publishers(&self, entity: EntityId) -> BTreeMap<Tick, Vec<ZoneId>> {
        self.by_tick()
            .into_iter()
            .map(|(t, frames)| {
                let zones = frames.iter().filter(|f| f.shows(entity)).map(|f| f.zone).collect();
                (t, zones)
            })
            .collect()
    }

    /// For each tick, the zones that published `cell`.
    pub fn cell_publishers(&self, cell: CellId) -> BTreeMap<Tick, Vec<ZoneId>> {
        self.by_tick()
            .into_iter()
            .map(|(t, frames)| (t, frames.iter().filter(|f| f.cell == cell).map(|f| f.zone).collect()))
            .collect()
    }
}

impl Drop for Audit {
    fn drop(&mut self) {
        self.task.abort();
    }
}
