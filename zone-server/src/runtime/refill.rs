//! Blocks of the store's unique numbers on their way to one of the core's reserves (item
//! serials, entity ids): at most one allocation under way per reserve, started when the core
//! says it runs low, handed over when it came, retried after a failure.

use mmo_store::{AnyStore, DurableStore};
use mmo_world::SerialBlock;
use tokio::task::JoinHandle;
use tracing::warn;

pub(super) struct Refill {
    /// What the numbers are for, in logs.
    what: &'static str,
    task: Option<JoinHandle<mmo_store::Result<SerialBlock>>>,
}

impl Refill {
    pub fn new(what: &'static str) -> Self {
        Refill { what, task: None }
    }

    /// The block whose allocation finished since the last call, if any.
    pub async fn take_done(&mut self) -> Option<SerialBlock> {
        let task = self.task.take_if(|task| task.is_finished())?;
        match task.await {
            Ok(Ok(block)) => Some(block),
            Ok(Err(error)) => {
                warn!(%error, what = self.what, "allocating unique numbers failed; retrying");
                None
            }
            Err(error) => {
                warn!(%error, what = self.what, "allocation task failed");
                None
            }
        }
    }

    /// Waits for an allocation under way (at shutdown: no task outlives the runtime).
    pub async fn finish(&mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Starts allocating `wanted` numbers (0: none wanted) unless an allocation is under way.
    pub fn request(&mut self, store: &AnyStore, wanted: u64) {
        if wanted > 0 && self.task.is_none() {
            let store = store.clone();
            self.task = Some(tokio::spawn(async move { store.allocate_serials(wanted).await }));
        }
    }
}
