//! The stage controller: ten times a second it compares the bots running with the plan's
//! target, starts bots (at most `max_connect_rate` a second) or tells the newest ones to leave;
//! once a second it closes the recorder's window into a timeline sample and redraws the
//! progress line. A bot whose session ends is replaced while the plan still wants it.

use crate::bot::{self, BotContext, BotSpec, BotSummary};
use crate::mix::{Behaviour, Dealer, Transport};
use crate::procstat::{ProcSample, ProcSampler};
use crate::progress::{self, Progress};
use crate::recorder::{Counts, Percentiles};
use crate::scenario::Scenario;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

const CONTROL_PERIOD: Duration = Duration::from_millis(100);
const SAMPLE_PERIOD: Duration = Duration::from_secs(1);
/// How long bots get to leave at the end before they are dropped.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// One point of the timeline (one second).
#[derive(Clone, Debug, Serialize)]
pub struct Sample {
    /// Seconds since the start, at the end of the window.
    pub t: f64,
    pub window_secs: f64,
    pub target: u32,
    pub connected: u64,
    pub counts: Counts,
    pub rtt: Percentiles,
    /// Application bytes per connected bot per second, each way.
    pub bytes_in_per_client_s: f64,
    pub bytes_out_per_client_s: f64,
    /// The load tester's own process.
    pub loadtest_proc: Option<ProcSample>,
    /// The target process: the pid given, else this process (the in-process world's).
    pub target_proc: Option<ProcSample>,
}

/// What the swarm did.
#[derive(Debug)]
pub struct SwarmOutcome {
    pub timeline: Vec<Sample>,
    pub bots: Vec<BotSummary>,
    pub elapsed: Duration,
    pub interrupted: bool,
    /// The target process before any bot started.
    pub target_idle: Option<ProcSample>,
}

/// Deals out who each new bot is.
#[derive(Debug)]
struct Roster {
    transports: Dealer<Transport>,
    behaviours: Dealer<Behaviour>,
    seed: u64,
    tag: u16,
    next: u64,
}

impl Roster {
    fn next(&mut self) -> BotSpec {
        let index = self.next;
        self.next += 1;
        BotSpec {
            index,
            name: format!("lt{:04x}-{index}", self.tag),
            transport: self.transports.deal(),
            behaviour: self.behaviours.deal(),
            seed: splitmix(self.seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        }
    }
}

/// A 64-bit mixer (SplitMix64), to derive per-bot seeds.
pub fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Runs the plan to its end (or until `shutdown`), then lets every bot leave.
pub async fn drive(
    scenario: &Scenario,
    ctx: Arc<BotContext>,
    mut progress: Option<Progress>,
    // The process serving the bots; `None`: this one.
    target_pid: Option<u32>,
    mut shutdown: watch::Receiver<bool>,
) -> SwarmOutcome {
    let recorder = ctx.recorder.clone();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut roster = Roster {
        transports: scenario.transports.dealer(),
        behaviours: scenario.behaviours.dealer(),
        seed: scenario.seed,
        tag: (splitmix(scenario.seed) ^ splitmix(nanos)) as u16,
        next: 0,
    };
    let mut own = ProcSampler::new(None);
    own.sample();
    // The target's idle CPU needs two readings.
    let mut target = ProcSampler::new(target_pid);
    target.sample();
    tokio::time::sleep(SAMPLE_PERIOD).await;
    let target_idle = target.sample();
    let mut target = Some(target);

    let total = scenario.plan.total();
    let rate = f64::from(scenario.bots.max_connect_rate);
    let start = Instant::now();
    let mut tasks: JoinSet<BotSummary> = JoinSet::new();
    let mut live: Vec<(u64, CancellationToken)> = Vec::new();
    let mut bots = Vec::new();
    let mut timeline = Vec::new();
    let mut budget = 0.0_f64;
    let mut interval = tokio::time::interval(CONTROL_PERIOD);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_sample = start;
    let mut interrupted = false;

    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = shutdown.wait_for(|s| *s), if !interrupted => {
                warn!("interrupted: ending the run early");
                interrupted = true;
            }
        }
        while let Some(done) = tasks.try_join_next() {
            if let Ok(summary) = done {
                live.retain(|(i, _)| *i != summary.index);
                bots.push(summary);
            }
        }
        let elapsed = start.elapsed();
        if elapsed >= total || interrupted {
            break;
        }
        let want = scenario.plan.target_at(elapsed).round() as usize;
        budget = (budget + rate * CONTROL_PERIOD.as_secs_f64()).min(rate.max(1.0));
        while live.len() < want && budget >= 1.0 {
            budget -= 1.0;
            let spec = roster.next();
            let token = CancellationToken::new();
            live.push((spec.index, token.clone()));
            tasks.spawn(bot::run(spec, ctx.clone(), token));
        }
        while live.len() > want {
            let (_, token) = live.pop().expect("more live than wanted");
            token.cancel();
        }
        if last_sample.elapsed() >= SAMPLE_PERIOD {
            let secs = last_sample.elapsed().as_secs_f64();
            last_sample = Instant::now();
            let stage_target = scenario.plan.target_at(elapsed).round() as u32;
            let s = sample(&recorder, elapsed, secs, stage_target, &mut own, target.as_mut());
            if let Some(p) = progress.as_mut() {
                let totals = recorder.totals().counts;
                p.show(&progress::line(&progress::Status {
                    elapsed,
                    total,
                    target: stage_target,
                    connected: s.connected,
                    window: &crate::recorder::Window1s { counts: s.counts, rtt: s.rtt },
                    window_secs: secs,
                    handoffs: totals.handoffs_seen,
                    crossings: totals.cell_crossings,
                    errors: totals.errors(),
                }));
            }
            timeline.push(s);
        }
    }

    // The end: every bot leaves; wait for them (bounded).
    for (_, token) in live.drain(..) {
        token.cancel();
    }
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while let Some(done) = tasks.join_next().await {
            if let Ok(summary) = done {
                bots.push(summary);
            }
        }
    })
    .await;
    if drained.is_err() {
        warn!(left = tasks.len(), "bots did not leave in time; dropping them");
        tasks.shutdown().await;
    }
    let elapsed = start.elapsed();
    let secs = last_sample.elapsed().as_secs_f64();
    let last_target = scenario.plan.target_at(elapsed).round() as u32;
    timeline.push(sample(&recorder, elapsed, secs, last_target, &mut own, target.as_mut()));
    if let Some(p) = progress.as_mut() {
        p.finish();
    }
    bots.sort_by_key(|b| b.index);
    info!(bots = bots.len(), secs = elapsed.as_secs_f64(), "swarm done");
    SwarmOutcome { timeline, bots, elapsed, interrupted, target_idle }
}

fn sample(
    recorder: &crate::recorder::Recorder,
    elapsed: Duration,
    secs: f64,
    target: u32,
    own: &mut ProcSampler,
    target_proc: Option<&mut ProcSampler>,
) -> Sample {
    let connected = recorder.connected();
    let w = recorder.take_window();
    let per_client = |bytes: u64| if connected == 0 { 0.0 } else { bytes as f64 / connected as f64 / secs.max(1e-3) };
    Sample {
        t: elapsed.as_secs_f64(),
        window_secs: secs,
        target,
        connected,
        counts: w.counts,
        rtt: w.rtt,
        bytes_in_per_client_s: per_client(w.counts.bytes_in),
        bytes_out_per_client_s: per_client(w.counts.bytes_out),
        loadtest_proc: own.sample(),
        target_proc: target_proc.and_then(ProcSampler::sample),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mix::Mix;

    #[test]
    fn names_are_valid_and_kinds_follow_the_mix() {
        let mut roster = Roster {
            transports: Mix::<Transport>::parse("webtransport=1,websocket=1", "t").unwrap().dealer(),
            behaviours: Mix::<Behaviour>::parse("idle=1", "b").unwrap().dealer(),
            seed: 5,
            tag: 0xbeef,
            next: 0,
        };
        let bots: Vec<BotSpec> = (0..1000).map(|_| roster.next()).collect();
        assert_eq!(bots[999].name, "ltbeef-999");
        assert!(bots.iter().all(|b| mmo_protocol::control::validate_name(&b.name).is_ok()));
        assert_eq!(bots.iter().filter(|b| b.transport == Transport::WebSocket).count(), 500);
        assert_ne!(bots[0].seed, bots[1].seed);
    }
}
