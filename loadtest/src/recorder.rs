//! The measurements every bot reports into, shared behind one mutex (each bot takes it about
//! 20 times a second), and sampled once a second into the timeline of the report.

use crate::client::Traffic;
use crate::tracker::SnapshotOutcome;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Rollback events kept for the report at most (the rest are only counted).
pub const ROLLBACKS_KEPT: usize = 10_000;

/// Longest duration a histogram holds (µs); longer values are clamped to it.
const HIST_MAX_US: u64 = 60_000_000;

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIST_MAX_US, 3).expect("histogram bounds")
}

fn record(h: &mut Histogram<u64>, d: Duration) {
    let us = (d.as_micros() as u64).clamp(1, HIST_MAX_US);
    h.record(us).expect("clamped into bounds");
}

/// Counters that the timeline and the totals both keep.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Counts {
    pub msgs_out: u64,
    pub msgs_in: u64,
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub snapshots: u64,
    pub snapshot_gaps: u64,
    pub missed_snapshots: u64,
    pub late_snapshots: u64,
    /// Entities in view, summed over the snapshots rebuilt.
    pub entities_in_view: u64,
    pub handoffs_seen: u64,
    pub cell_crossings: u64,
    /// Sessions moved to another gateway (a draining one asked) and resumed there.
    pub gateway_moves: u64,
    /// Ticks without a snapshot across those moves (not counted as gaps of a session).
    pub move_skipped_ticks: u64,
    /// Of those moves, the ones because the gateway stopped answering (killed).
    pub gateway_losses: u64,
    /// `Stalled` notices: the gateway alive while no snapshot came (a zone died).
    #[serde(default)]
    pub stall_notices: u64,
    /// Jumps of a bot's own position back to an earlier place or beyond physics
    /// ([`crate::rollback`]).
    pub rollbacks: u64,
    pub joins: u64,
    pub connect_failures: u64,
    pub unexpected_disconnects: u64,
    pub planned_disconnects: u64,
    pub snapshot_timeouts: u64,
    pub server_errors: u64,
    pub protocol_errors: u64,
    pub missing_baselines: u64,
    pub chat_sent: u64,
    pub chat_received: u64,
    pub attacks: u64,
}

impl Counts {
    fn add_traffic(&mut self, t: Traffic) {
        self.msgs_out += t.msgs_out;
        self.msgs_in += t.msgs_in;
        self.bytes_out += t.bytes_out;
        self.bytes_in += t.bytes_in;
    }

    fn add(&mut self, o: &Counts) {
        let Counts {
            msgs_out,
            msgs_in,
            bytes_out,
            bytes_in,
            snapshots,
            snapshot_gaps,
            missed_snapshots,
            late_snapshots,
            entities_in_view,
            handoffs_seen,
            cell_crossings,
            gateway_moves,
            move_skipped_ticks,
            gateway_losses,
            stall_notices,
            rollbacks,
            joins,
            connect_failures,
            unexpected_disconnects,
            planned_disconnects,
            snapshot_timeouts,
            server_errors,
            protocol_errors,
            missing_baselines,
            chat_sent,
            chat_received,
            attacks,
        } = self;
        *msgs_out += o.msgs_out;
        *msgs_in += o.msgs_in;
        *bytes_out += o.bytes_out;
        *bytes_in += o.bytes_in;
        *snapshots += o.snapshots;
        *snapshot_gaps += o.snapshot_gaps;
        *missed_snapshots += o.missed_snapshots;
        *late_snapshots += o.late_snapshots;
        *entities_in_view += o.entities_in_view;
        *handoffs_seen += o.handoffs_seen;
        *cell_crossings += o.cell_crossings;
        *gateway_moves += o.gateway_moves;
        *move_skipped_ticks += o.move_skipped_ticks;
        *gateway_losses += o.gateway_losses;
        *stall_notices += o.stall_notices;
        *rollbacks += o.rollbacks;
        *joins += o.joins;
        *connect_failures += o.connect_failures;
        *unexpected_disconnects += o.unexpected_disconnects;
        *planned_disconnects += o.planned_disconnects;
        *snapshot_timeouts += o.snapshot_timeouts;
        *server_errors += o.server_errors;
        *protocol_errors += o.protocol_errors;
        *missing_baselines += o.missing_baselines;
        *chat_sent += o.chat_sent;
        *chat_received += o.chat_received;
        *attacks += o.attacks;
    }

    /// Everything that went wrong.
    pub fn errors(&self) -> u64 {
        self.connect_failures + self.unexpected_disconnects + self.server_errors + self.protocol_errors
    }
}

/// A jump of one bot's own position ([`crate::rollback::Rollback`]), for the report.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RollbackEvent {
    /// When the snapshot after the jump arrived (Unix milliseconds), to match a fault's time.
    pub at_unix_ms: u64,
    pub bot: String,
    /// Progress lost: from when the character last stood where it came back to, to the last
    /// snapshot before the jump; `None` if it never stood there (in the last 15 s).
    pub seconds: Option<f64>,
    /// Length of the jump (tiles).
    pub tiles: f64,
    /// The zone simulating the character after the jump.
    pub zone: u32,
    /// The zone simulating it in the last snapshot before the jump.
    pub from_zone: u32,
    /// Time without a snapshot before the jump (s).
    pub outage_s: f64,
}

/// The events a run keeps one by one (for matching them to the time of a fault).
#[derive(Clone, Debug, Default)]
pub struct Events {
    pub rollbacks: Vec<RollbackEvent>,
    pub moves: Vec<MoveEvent>,
}

/// A bot playing again after a gateway move, for the report.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MoveEvent {
    /// When the first snapshot after the move arrived (Unix milliseconds).
    pub at_unix_ms: u64,
    pub bot: String,
    /// From the last snapshot before the move to that one (ms).
    pub outage_ms: f64,
    /// The gateway had stopped answering (killed), rather than drained.
    pub lost: bool,
}

/// What one bot reports about one received snapshot (and the traffic since its last report).
#[derive(Clone, Copy, Debug, Default)]
pub struct SnapshotReport {
    pub outcome: SnapshotOutcome,
    pub traffic: Traffic,
    /// Entities in the view it rebuilt.
    pub in_view: usize,
}

#[derive(Debug)]
struct Window {
    counts: Counts,
    rtt: Histogram<u64>,
}

#[derive(Debug)]
struct Inner {
    window: Window,
    total: Counts,
    rtt: Histogram<u64>,
    rtt_raw: Histogram<u64>,
    connect: Histogram<u64>,
    /// From the last snapshot before a gateway move to the first after it.
    move_outage: Histogram<u64>,
    disconnects: BTreeMap<String, u64>,
    server_errors: BTreeMap<String, u64>,
    failures: BTreeMap<String, u64>,
    /// The first [`ROLLBACKS_KEPT`] rollbacks.
    rollbacks: Vec<RollbackEvent>,
    /// The first [`ROLLBACKS_KEPT`] gateway moves.
    moves: Vec<MoveEvent>,
}

/// Round-trip figures of one window or of the whole run, in milliseconds.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct Percentiles {
    pub count: u64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

impl Percentiles {
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Percentiles::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Percentiles {
            count: h.len(),
            p50: ms(h.value_at_quantile(0.5)),
            p90: ms(h.value_at_quantile(0.9)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
            mean: h.mean() / 1000.0,
        }
    }
}

/// One second of the run, as sampled.
#[derive(Clone, Debug, Serialize)]
pub struct Window1s {
    pub counts: Counts,
    pub rtt: Percentiles,
}

/// The run's totals.
#[derive(Clone, Debug, Serialize)]
pub struct Totals {
    pub counts: Counts,
    pub rtt: Percentiles,
    pub rtt_raw: Percentiles,
    pub connect: Percentiles,
    /// Snapshot outages across gateway moves.
    pub move_outage: Percentiles,
    pub disconnects_by_reason: BTreeMap<String, u64>,
    pub server_errors_by_code: BTreeMap<String, u64>,
    pub connect_failures_by_reason: BTreeMap<String, u64>,
}

/// Shared by every bot of a run.
#[derive(Debug)]
pub struct Recorder {
    inner: Mutex<Inner>,
    connected: AtomicU64,
    started: AtomicU64,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            inner: Mutex::new(Inner {
                window: Window { counts: Counts::default(), rtt: histogram() },
                total: Counts::default(),
                rtt: histogram(),
                rtt_raw: histogram(),
                connect: histogram(),
                move_outage: histogram(),
                disconnects: BTreeMap::new(),
                server_errors: BTreeMap::new(),
                failures: BTreeMap::new(),
                rollbacks: Vec::new(),
                moves: Vec::new(),
            }),
            connected: AtomicU64::new(0),
            started: AtomicU64::new(0),
        }
    }
}

impl Recorder {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut inner)
    }

    /// Bots connected (joined and not ended) now.
    pub fn connected(&self) -> u64 {
        self.connected.load(Ordering::Relaxed)
    }

    /// Bots started so far.
    pub fn started(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    pub fn bot_started(&self) {
        self.started.fetch_add(1, Ordering::Relaxed);
    }

    pub fn joined(&self, took: Duration, traffic: Traffic) {
        self.connected.fetch_add(1, Ordering::Relaxed);
        self.with(|i| {
            record(&mut i.connect, took);
            i.window.counts.joins += 1;
            i.window.counts.add_traffic(traffic);
        });
    }

    pub fn connect_failed(&self, reason: &str, traffic: Traffic) {
        self.with(|i| {
            i.window.counts.connect_failures += 1;
            i.window.counts.add_traffic(traffic);
            *i.failures.entry(reason.to_string()).or_default() += 1;
        });
    }

    /// A joined bot's session ended; `planned` when the bot left on purpose.
    pub fn ended(&self, reason: &str, planned: bool, snapshot_timeout: bool, traffic: Traffic) {
        self.connected.fetch_sub(1, Ordering::Relaxed);
        self.with(|i| {
            let c = &mut i.window.counts;
            c.add_traffic(traffic);
            if planned {
                c.planned_disconnects += 1;
            } else {
                c.unexpected_disconnects += 1;
            }
            c.snapshot_timeouts += u64::from(snapshot_timeout);
            *i.disconnects.entry(reason.to_string()).or_default() += 1;
        });
    }

    /// A bot left a draining gateway (its session's last `traffic` since the last report),
    /// or one that stopped answering (`lost`), and resumed on another.
    pub fn moved(&self, traffic: Traffic, lost: bool) {
        self.with(|i| {
            i.window.counts.gateway_moves += 1;
            i.window.counts.gateway_losses += u64::from(lost);
            i.window.counts.add_traffic(traffic);
        });
    }

    /// The first snapshot after a gateway move came `outage` after the last one before it.
    /// A bot plays again after a gateway move: `event.outage_ms` without snapshots.
    pub fn moved_back(&self, event: MoveEvent) {
        self.with(|i| {
            record(&mut i.move_outage, Duration::from_secs_f64(event.outage_ms / 1000.0));
            if i.moves.len() < ROLLBACKS_KEPT {
                i.moves.push(event);
            }
        });
    }

    /// The rollbacks and gateway moves kept.
    pub fn events(&self) -> Events {
        self.with(|i| Events { rollbacks: i.rollbacks.clone(), moves: i.moves.clone() })
    }

    /// A bot's own position jumped back (or beyond physics).
    pub fn rollback(&self, event: RollbackEvent) {
        self.with(|i| {
            i.window.counts.rollbacks += 1;
            if i.rollbacks.len() < ROLLBACKS_KEPT {
                i.rollbacks.push(event);
            }
        });
    }

    /// The rollbacks kept (the first [`ROLLBACKS_KEPT`]), in the order they were reported.
    pub fn rollbacks(&self) -> Vec<RollbackEvent> {
        self.with(|i| i.rollbacks.clone())
    }

    /// A snapshot arrived; `rtts` are the round trips it completed (corrected, raw).
    pub fn snapshot(&self, report: SnapshotReport, rtts: &[(Duration, Duration)]) {
        self.with(|i| {
            let c = &mut i.window.counts;
            c.add_traffic(report.traffic);
            c.snapshots += 1;
            let o = report.outcome;
            c.snapshot_gaps += u64::from(o.missed > 0);
            c.missed_snapshots += o.missed;
            c.late_snapshots += u64::from(o.late);
            c.entities_in_view += report.in_view as u64;
            c.cell_crossings += u64::from(o.crossed_cell);
            c.move_skipped_ticks += o.skipped_by_move;
            c.handoffs_seen += u64::from(o.handed_off);
            for &(corrected, raw) in rtts {
                record(&mut i.window.rtt, corrected);
                record(&mut i.rtt, corrected);
                record(&mut i.rtt_raw, raw);
            }
        });
    }

    /// A snapshot that could not be rebuilt (its baseline no longer held): its bytes count, the
    /// tick does not.
    pub fn unusable_snapshot(&self, traffic: Traffic) {
        self.with(|i| {
            i.window.counts.add_traffic(traffic);
            i.window.counts.missing_baselines += 1;
        });
    }

    /// Other events: chat, attacks, control traffic.
    pub fn event(&self, f: impl FnOnce(&mut Counts)) {
        self.with(|i| f(&mut i.window.counts));
    }

    pub fn server_error(&self, code: &str) {
        self.with(|i| {
            i.window.counts.server_errors += 1;
            *i.server_errors.entry(code.to_string()).or_default() += 1;
        });
    }

    /// Ends the current window and starts the next.
    pub fn take_window(&self) -> Window1s {
        self.with(|i| {
            let counts = std::mem::take(&mut i.window.counts);
            let rtt = Percentiles::of(&i.window.rtt);
            i.window.rtt.reset();
            i.total.add(&counts);
            Window1s { counts, rtt }
        })
    }

    /// The totals so far (of closed windows).
    pub fn totals(&self) -> Totals {
        self.with(|i| Totals {
            counts: i.total,
            rtt: Percentiles::of(&i.rtt),
            rtt_raw: Percentiles::of(&i.rtt_raw),
            connect: Percentiles::of(&i.connect),
            move_outage: Percentiles::of(&i.move_outage),
            disconnects_by_reason: i.disconnects.clone(),
            server_errors_by_code: i.server_errors.clone(),
            connect_failures_by_reason: i.failures.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_roll_into_totals() {
        let r = Recorder::default();
        let ms = Duration::from_millis;
        let gap = SnapshotOutcome { missed: 2, ..Default::default() };
        r.snapshot(SnapshotReport { outcome: gap, ..Default::default() }, &[(ms(40), ms(30)), (ms(60), ms(50))]);
        r.snapshot(SnapshotReport::default(), &[]);
        let w = r.take_window();
        assert_eq!((w.counts.snapshots, w.counts.snapshot_gaps, w.counts.missed_snapshots), (2, 1, 2));
        assert_eq!(w.rtt.count, 2);
        assert!((w.rtt.max - 60.0).abs() < 0.1);
        assert_eq!(r.take_window().counts.snapshots, 0);
        let t = r.totals();
        assert_eq!(t.counts.snapshots, 2);
        assert!((t.rtt_raw.max - 50.0).abs() < 0.1);
    }

    #[test]
    fn a_gateway_move_is_counted_apart_from_gaps() {
        let r = Recorder::default();
        r.moved(Traffic { bytes_in: 10, ..Default::default() }, true);
        r.moved_back(MoveEvent { at_unix_ms: 1, bot: "b".into(), outage_ms: 300.0, lost: false });
        let across = SnapshotOutcome { skipped_by_move: 6, ..Default::default() };
        r.snapshot(SnapshotReport { outcome: across, ..Default::default() }, &[]);
        let w = r.take_window();
        assert_eq!(
            (w.counts.gateway_moves, w.counts.gateway_losses, w.counts.move_skipped_ticks, w.counts.bytes_in),
            (1, 1, 6, 10)
        );
        assert_eq!((w.counts.snapshot_gaps, w.counts.missed_snapshots), (0, 0), "a move is no gap");
        let t = r.totals();
        assert_eq!(t.move_outage.count, 1);
        assert!((t.move_outage.max - 300.0).abs() < 0.5);
    }

    #[test]
    fn rollbacks_are_counted_and_the_first_kept() {
        let r = Recorder::default();
        let event = |n: usize| RollbackEvent {
            at_unix_ms: n as u64,
            bot: format!("b{n}"),
            seconds: n.is_multiple_of(2).then_some(1.5),
            tiles: 3.0,
            zone: 2,
            from_zone: 1,
            outage_s: 4.0,
        };
        for n in 0..ROLLBACKS_KEPT + 5 {
            r.rollback(event(n));
        }
        assert_eq!(r.take_window().counts.rollbacks, ROLLBACKS_KEPT as u64 + 5);
        let kept = r.rollbacks();
        assert_eq!(kept.len(), ROLLBACKS_KEPT);
        assert_eq!((kept[0].clone(), kept[ROLLBACKS_KEPT - 1].at_unix_ms), (event(0), ROLLBACKS_KEPT as u64 - 1));
    }
}
