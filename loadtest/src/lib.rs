//! The load tester: swarms of bots that speak the real client protocol (WebTransport and the
//! WebSocket fallback) to a gateway, driven through stages (ramp up / hold / ramp down), with a
//! live progress line, thresholds that decide the verdict, and a JSON + self-contained HTML
//! report.
//!
//! Layout, by what each module holds:
//! - [`scenario`]: what to run (a TOML file and/or flags, [`cli`]): [`stages`], [`mix`]
//!   (transport and behaviour weights), [`threshold`]s, the target.
//! - [`client`]: one protocol client over either transport, with shared QUIC endpoints, and
//!   the route to a gateway from its `/api/connect`.
//! - [`behaviour`] (what a bot presses, sans-IO), [`view`] (the world a bot sees, rebuilt
//!   from delta snapshots), [`tracker`] (per-bot measurements: round trips, gaps, crossings),
//!   [`rollback`] (jumps of a bot's own position back to where it stood earlier, sans-IO).
//! - [`bot`]: one bot's task; [`session`]: opening its session (login, resume) and moving it
//!   to another gateway when its gateway drains; [`swarm`]: the stage controller that starts and stops bots.
//! - [`recorder`]: the shared measurements, sampled once a second into the [`report`].
//! - [`run()`]: puts it together: `run(&scenario, options, shutdown) -> Report`.

pub mod behaviour;
pub mod bot;
pub mod cli;
pub mod client;
pub mod duration;
pub mod error;
pub mod local;
pub mod mix;
pub mod procstat;
pub mod progress;
pub mod recorder;
pub mod report;
pub mod rollback;
pub mod run;
pub mod scenario;
pub mod session;
pub mod stages;
pub mod swarm;
pub mod threshold;
pub mod tracker;
pub mod view;

pub use error::LoadtestError;
pub use report::Report;
pub use run::{run, RunOptions};
pub use scenario::Scenario;
