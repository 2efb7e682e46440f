//! The live progress line on stderr: rewritten in place about once a second on a terminal,
//! one plain line per update otherwise (CI logs).

use crate::recorder::Window1s;
use std::io::{IsTerminal, Write};
use std::time::Duration;

#[derive(Debug)]
pub struct Progress {
    tty: bool,
    drawn: bool,
}

impl Default for Progress {
    fn default() -> Self {
        Progress { tty: std::io::stderr().is_terminal(), drawn: false }
    }
}

/// What one progress line shows.
#[derive(Clone, Copy, Debug)]
pub struct Status<'a> {
    pub elapsed: Duration,
    pub total: Duration,
    pub target: u32,
    pub connected: u64,
    pub window: &'a Window1s,
    /// Seconds the window covers.
    pub window_secs: f64,
    pub handoffs: u64,
    pub crossings: u64,
    pub errors: u64,
}

/// Formats one line, e.g.
/// `[ 12s/40s] bots 200/200 | msgs/s out 4.0k in 4.4k | rtt p50 38.1ms p99 71.0ms | handoffs 0 crossings 12 | errors 0`.
pub fn line(s: &Status<'_>) -> String {
    let rate = |n: u64| si(n as f64 / s.window_secs.max(1e-3));
    let rtt = if s.window.rtt.count == 0 {
        "rtt -".to_string()
    } else {
        format!("rtt p50 {:.1}ms p99 {:.1}ms", s.window.rtt.p50, s.window.rtt.p99)
    };
    format!(
        "[{:>4}s/{}s] bots {}/{} | msgs/s out {} in {} | {} | handoffs {} crossings {} | errors {}",
        s.elapsed.as_secs(),
        s.total.as_secs(),
        s.connected,
        s.target,
        rate(s.window.counts.msgs_out),
        rate(s.window.counts.msgs_in),
        rtt,
        s.handoffs,
        s.crossings,
        s.errors
    )
}

/// `1234` -> `1.2k`.
pub fn si(v: f64) -> String {
    match v {
        v if v >= 1e9 => format!("{:.1}G", v / 1e9),
        v if v >= 1e6 => format!("{:.1}M", v / 1e6),
        v if v >= 1e3 => format!("{:.1}k", v / 1e3),
        v => format!("{v:.0}"),
    }
}

impl Progress {
    pub fn show(&mut self, line: &str) {
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{line}");
            self.drawn = true;
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    /// Ends the line in place so what follows starts on a fresh one.
    pub fn finish(&mut self) {
        if self.tty && self.drawn {
            let _ = writeln!(std::io::stderr());
            self.drawn = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recorder::{Counts, Percentiles};

    #[test]
    fn formats_a_line() {
        let window = Window1s {
            counts: Counts { msgs_out: 4000, msgs_in: 4400, ..Default::default() },
            rtt: Percentiles { count: 10, p50: 38.12, p99: 71.0, ..Default::default() },
        };
        let s = Status {
            elapsed: Duration::from_secs(12),
            total: Duration::from_secs(40),
            target: 200,
            connected: 200,
            window: &window,
            window_secs: 1.0,
            handoffs: 0,
            crossings: 12,
            errors: 0,
        };
        assert_eq!(
            line(&s),
            "[  12s/40s] bots 200/200 | msgs/s out 4.0k in 4.4k | rtt p50 38.1ms p99 71.0ms | handoffs 0 crossings 12 | errors 0"
        );
    }
}
