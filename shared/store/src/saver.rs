//! The write-behind saver: the zone hands it player records as they change; it coalesces them
//! per player (only the newest version of a player's pending record is written), writes them in
//! batches (up to `batch_size` records, at least every `interval`), writes at once what
//! [`Saver::flush_now`] asks for (logout, inventory change), and retries with exponential
//! backoff while the store fails, keeping every queued save.
//!
//! Bounded: the driver holds at most `pending_limit` distinct players and the channel in front of
//! it `queue` records; when both are full [`Saver::submit`] waits and [`Saver::try_submit`]
//! answers [`SubmitError::Full`], so backpressure reaches the caller instead of a queue growing.
//!
//! [`Saver::new`] returns the handle and a [`SaverDriver`] whose [`run`](SaverDriver::run)
//! future the caller drives (nothing is spawned here). It finishes once every [`Saver`] is
//! dropped and all pending records are written.
//!
//! A writer that holds a lease (a zone) tells the driver how to know whether it still does
//! ([`SaverDriver::with_lease`]). Once the lease is no longer known valid (a zone frozen past its
//! TTL wakes up, or it lost the registry), the driver sends nothing more: its players are
//! someone else's now, and a late write could overwrite a newer one the store cannot tell from
//! it (the store refuses a deposed zone's versions only once the new owner saved the player).
//! Those records are withheld ([`StoreError::LeaseGone`] to who waits) and counted.
//!
//! Metrics: `mmo_store_queue_depth` (gauge: pending players + queued records),
//! `mmo_store_save_seconds` (histogram, per batch write), `mmo_store_saves_total{outcome}`
//! (records written or refused as stale), `mmo_store_saves_after_lease_total{outcome}`
//! (`withheld`: not sent, the lease being gone; `written`, `stale`: sent in a batch begun with the
//! lease valid that completed after it lapsed), `mmo_store_save_failures_total` (failed batch
//! writes).

use crate::durable::{DurableStore, SaveOutcome};
use crate::error::{Result, StoreError};
use crate::record::PlayerRecord;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Tuning of a [`Saver`].
#[derive(Clone, Debug)]
pub struct SaverConfig {
    /// Records the channel in front of the driver holds.
    pub queue: usize,
    /// Distinct players the driver holds pending (coalesced) before it stops taking records.
    pub pending_limit: usize,
    /// Records per batch write.
    pub batch_size: usize,
    /// Longest time a submitted record waits for its batch.
    pub interval: Duration,
    /// First retry delay after a failed write; doubles per failure up to `backoff_max`.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
}

impl Default for SaverConfig {
    fn default() -> Self {
        SaverConfig {
            queue: 1024,
            pending_limit: 4096,
            batch_size: 256,
            interval: Duration::from_millis(500),
            backoff_min: Duration::from_millis(50),
            backoff_max: Duration::from_secs(5),
        }
    }
}

/// Why a record was not queued; the record is handed back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    #[error("the save queue is full")]
    Full(PlayerRecord),
    #[error("the saver's driver has stopped")]
    Closed(PlayerRecord),
}

/// A [`Saver::flush_now`] caller: the version it asked for, and where to answer.
type Waiter = (u64, oneshot::Sender<Result<SaveOutcome>>);

enum Command {
    Save(PlayerRecord),
    Flush(PlayerRecord, oneshot::Sender<Result<SaveOutcome>>),
}

/// The handle zones use to save; clones share one queue.
#[derive(Clone, Debug)]
pub struct Saver {
    tx: mpsc::Sender<Command>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, record) = match self {
            Command::Save(record) => ("save", record),
            Command::Flush(record, _) => ("flush", record),
        };
        write!(f, "{kind} {} v{}", record.name, record.version)
    }
}

impl Saver {
    /// A saver writing to `store`, and the driver to run.
    pub fn new<S: DurableStore>(store: S, config: SaverConfig) -> (Saver, SaverDriver<S>) {
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let driver = SaverDriver {
            store,
            rx,
            backoff: config.backoff_min,
            outcomes: Outcomes::default(),
            config,
            pending: HashMap::new(),
            order: VecDeque::new(),
            urgent: HashSet::new(),
            waiters: HashMap::new(),
            retry_at: None,
            lease: None,
        };
        (Saver { tx }, driver)
    }

    /// Queues `record` for a write-behind save; waits while the queue is full.
    pub async fn submit(&self, record: PlayerRecord) -> Result<(), SubmitError> {
        self.tx.send(Command::Save(record)).await.map_err(|error| match error.0 {
            Command::Save(record) | Command::Flush(record, _) => SubmitError::Closed(record),
        })
    }

    /// Queues `record` unless the queue is full.
    #[allow(clippy::result_large_err, reason = "the error hands the record back whole, for the caller to retry")]
    pub fn try_submit(&self, record: PlayerRecord) -> Result<(), SubmitError> {
        self.tx.try_send(Command::Save(record)).map_err(|error| match error {
            mpsc::error::TrySendError::Full(Command::Save(record) | Command::Flush(record, _)) => {
                SubmitError::Full(record)
            }
            mpsc::error::TrySendError::Closed(Command::Save(record) | Command::Flush(record, _)) => {
                SubmitError::Closed(record)
            }
        })
    }

    /// Writes `record` ahead of the batch schedule and returns once it is durable (retrying while
    /// the store is down: bound the wait with a timeout if needed). `Written` also when a newer
    /// version of the same player, queued meanwhile, was written in its place.
    pub async fn flush_now(&self, record: PlayerRecord) -> Result<SaveOutcome> {
        let closed = || StoreError::Unavailable("the saver's driver has stopped".into());
        let (done, wait) = oneshot::channel();
        self.tx.send(Command::Flush(record, done)).await.map_err(|_| closed())?;
        wait.await.map_err(|_| closed())?
    }
}

/// The saver's work loop; see the module docs.
pub struct SaverDriver<S> {
    store: S,
    rx: mpsc::Receiver<Command>,
    config: SaverConfig,
    /// name -> newest pending record.
    pending: HashMap<String, PlayerRecord>,
    /// Pending names in arrival order (each once).
    order: VecDeque<String>,
    /// Pending names someone waits for (written first, at once).
    urgent: HashSet<String>,
    /// name -> (version asked for, reply).
    waiters: HashMap<String, Vec<Waiter>>,
    /// Set after a failed write: no write before then.
    retry_at: Option<Instant>,
    backoff: Duration,
    /// What became of the saves so far, logged when the driver ends.
    outcomes: Outcomes,
    /// Whether the writer's lease is still known valid (see the module doc).
    lease: Option<LeaseHeld>,
}

type LeaseHeld = Arc<dyn Fn() -> bool + Send + Sync>;

/// Saves counted by outcome over a driver's life.
#[derive(Clone, Copy, Debug, Default)]
struct Outcomes {
    written: u64,
    stale: u64,
    dropped: u64,
    /// Not sent: the lease was no longer known valid.
    withheld: u64,
    /// Of `written` and `stale`, those whose batch completed with the lease no longer known
    /// valid (begun before it lapsed).
    written_after_lease: u64,
    stale_after_lease: u64,
}

impl<S> std::fmt::Debug for SaverDriver<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaverDriver").field("pending", &self.pending.len()).field("retry_at", &self.retry_at).finish()
    }
}

impl<S: DurableStore> SaverDriver<S> {
    /// Sends nothing once `held` says the writer's lease is no longer known valid (asked before
    /// and after each batch; see the module doc).
    pub fn with_lease(mut self, held: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        self.lease = Some(Arc::new(held));
        self
    }

    /// Runs until every [`Saver`] is dropped and everything pending is written. While the store
    /// keeps failing it keeps retrying; dropping this future gives up what is still pending.
    pub async fn run(mut self) {
        let mut next_batch = Instant::now() + self.config.interval;
        let mut open = true;
        loop {
            self.report_depth();
            let due = self.due(next_batch, open);
            if !open && self.pending.is_empty() {
                // The saves of this process's life, for operators and the chaos soak (a zone
                // deposed while paused must have written nothing once its lease was gone).
                let Outcomes { written, stale, dropped, withheld, written_after_lease, stale_after_lease } =
                    self.outcomes;
                tracing::info!(
                    written,
                    stale,
                    dropped,
                    withheld,
                    written_after_lease,
                    stale_after_lease,
                    "saver stopped: its last saves are done"
                );
                return;
            }
            let can_take = open && self.pending.len() < self.config.pending_limit;
            tokio::select! {
                biased;
                () = sleep_until(due), if due.is_some() => {
                    self.write_batch().await;
                    next_batch = Instant::now() + self.config.interval;
                }
                command = self.rx.recv(), if can_take => match command {
                    Some(command) => self.accept(command),
                    None => open = false,
                },
            }
        }
    }

    /// When the next write is due, if one is.
    fn due(&self, next_batch: Instant, open: bool) -> Option<Instant> {
        if self.pending.is_empty() {
            return None;
        }
        if let Some(retry_at) = self.retry_at {
            return Some(retry_at);
        }
        let now = Instant::now();
        if !open || !self.urgent.is_empty() || self.pending.len() >= self.config.batch_size {
            return Some(now);
        }
        Some(next_batch)
    }

    fn accept(&mut self, command: Command) {
        let record = match command {
            Command::Save(record) => record,
            Command::Flush(record, done) => {
                self.urgent.insert(record.name.clone());
                self.waiters.entry(record.name.clone()).or_default().push((record.version, done));
                record
            }
        };
        match self.pending.get_mut(&record.name) {
            Some(kept) if kept.version >= record.version => {}
            Some(kept) => *kept = record,
            None => {
                self.order.push_back(record.name.clone());
                self.pending.insert(record.name.clone(), record);
            }
        }
    }

    /// Takes up to `batch_size` pending records, urgent ones first.
    fn take_batch(&mut self) -> Vec<PlayerRecord> {
        let mut names: Vec<String> = self.urgent.iter().take(self.config.batch_size).cloned().collect();
        for name in &names {
            self.urgent.remove(name);
            self.order.retain(|kept| kept != name);
        }
        while names.len() < self.config.batch_size {
            let Some(name) = self.order.pop_front() else { break };
            names.push(name);
        }
        names.into_iter().filter_map(|name| self.pending.remove(&name)).collect()
    }

    async fn write_batch(&mut self) {
        let batch = self.take_batch();
        if batch.is_empty() {
            return;
        }
        if !self.leased() {
            self.withhold(batch);
            return;
        }
        let started = Instant::now();
        let result = self.store.save_batch(&batch).await;
        // A writer frozen while its batch was on the way: counted apart (see the module doc).
        let leased = self.leased();
        metrics::histogram!("mmo_store_save_seconds").record(started.elapsed().as_secs_f64());
        match result {
            Ok(outcomes) => {
                self.retry_at = None;
                self.backoff = self.config.backoff_min;
                for (record, outcome) in batch.iter().zip(outcomes) {
                    self.done(record, Ok(outcome), leased);
                }
            }
            Err(error) if error.is_transient() => {
                metrics::counter!("mmo_store_save_failures_total").increment(1);
                tracing::warn!(%error, records = batch.len(), backoff_ms = self.backoff.as_millis() as u64, "save failed, retrying");
                self.retry_at = Some(Instant::now() + self.backoff);
                self.backoff = (self.backoff * 2).min(self.config.backoff_max);
                for record in batch.into_iter().rev() {
                    self.put_back(record);
                }
            }
            Err(error) => {
                // Something about the data: save one by one so only the bad record is dropped.
                tracing::warn!(%error, records = batch.len(), "batch refused, saving records one by one");
                for record in batch {
                    match self.store.save(&record).await {
                        Err(error) if error.is_transient() => {
                            self.retry_at = Some(Instant::now() + self.backoff);
                            self.put_back(record);
                        }
                        result => self.done(&record, result, leased),
                    }
                }
            }
        }
    }

    /// Returns a record whose write failed to the front of the queue, unless a newer version of
    /// the player is pending (records are not taken in while a write is under way, so normally
    /// none is).
    fn put_back(&mut self, record: PlayerRecord) {
        if self.waiters.contains_key(&record.name) {
            self.urgent.insert(record.name.clone());
        }
        if !self.pending.contains_key(&record.name) {
            self.order.push_front(record.name.clone());
            self.pending.insert(record.name.clone(), record);
        }
    }

    fn leased(&self) -> bool {
        self.lease.as_ref().is_none_or(|held| held())
    }

    /// Drops a batch the lease no longer allows sending; who waits gets [`StoreError::LeaseGone`].
    fn withhold(&mut self, batch: Vec<PlayerRecord>) {
        tracing::warn!(records = batch.len(), "lease gone: saves withheld");
        self.outcomes.withheld += batch.len() as u64;
        metrics::counter!("mmo_store_saves_after_lease_total", "outcome" => "withheld").increment(batch.len() as u64);
        for record in &batch {
            self.answer(record, &Err(StoreError::LeaseGone));
        }
    }

    /// Counts a save's outcome and answers who waits for it; `leased`: its batch completed with
    /// the writer's lease known valid.
    fn done(&mut self, record: &PlayerRecord, result: Result<SaveOutcome>, leased: bool) {
        match &result {
            Ok(SaveOutcome::Written) => {
                self.outcomes.written += 1;
                metrics::counter!("mmo_store_saves_total", "outcome" => "written").increment(1);
                if !leased {
                    self.outcomes.written_after_lease += 1;
                    metrics::counter!("mmo_store_saves_after_lease_total", "outcome" => "written").increment(1);
                    tracing::debug!(player = %record.name, version = record.version, "save written after the lease was gone");
                }
            }
            Ok(SaveOutcome::Stale { stored }) => {
                self.outcomes.stale += 1;
                metrics::counter!("mmo_store_saves_total", "outcome" => "stale").increment(1);
                if !leased {
                    self.outcomes.stale_after_lease += 1;
                    metrics::counter!("mmo_store_saves_after_lease_total", "outcome" => "stale").increment(1);
                }
                tracing::debug!(player = %record.name, version = record.version, stored, "stale save refused");
            }
            Err(error) => {
                self.outcomes.dropped += 1;
                metrics::counter!("mmo_store_save_failures_total").increment(1);
                tracing::error!(player = %record.name, version = record.version, %error, "save dropped");
            }
        }
        self.answer(record, &result);
    }

    /// Answers who waits for `record`'s version or an older one.
    fn answer(&mut self, record: &PlayerRecord, result: &Result<SaveOutcome>) {
        let Some(waiters) = self.waiters.get_mut(&record.name) else { return };
        let (answered, waiting): (Vec<_>, Vec<_>) =
            waiters.drain(..).partition(|(version, _)| *version <= record.version);
        *waiters = waiting;
        if waiters.is_empty() {
            self.waiters.remove(&record.name);
        }
        for (version, reply) in answered {
            let answer = match result {
                // A newer version written in its place makes this one durable too.
                Ok(SaveOutcome::Written) if version < record.version => Ok(SaveOutcome::Written),
                other => other.clone(),
            };
            let _ = reply.send(answer);
        }
    }

    fn report_depth(&self) {
        metrics::gauge!("mmo_store_queue_depth").set((self.pending.len() + self.rx.len()) as f64);
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
