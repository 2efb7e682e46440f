//! Thresholds: `METRIC OP NUMBER` checks on the end-of-run metrics, like k6's. Any failing
//! threshold fails the run (exit code 99).

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// The metrics a threshold may name, with what they mean.
pub const METRICS: &[(&str, &str)] = &[
    ("rtt_p50_ms", "input round trip, median (ms, corrected for coordinated omission)"),
    ("rtt_p90_ms", "input round trip, 90th percentile (ms)"),
    ("rtt_p99_ms", "input round trip, 99th percentile (ms)"),
    ("rtt_p999_ms", "input round trip, 99.9th percentile (ms)"),
    ("rtt_max_ms", "input round trip, worst (ms)"),
    ("rtt_raw_p99_ms", "input round trip from the actual send, 99th percentile (ms)"),
    ("rtt_count", "input round trips measured"),
    ("connect_p99_ms", "session set-up until Joined, 99th percentile (ms)"),
    ("snapshot_gaps", "times a snapshot tick was more than one past the previous one"),
    ("missed_snapshots", "ticks skipped in gaps, summed"),
    ("snapshot_timeouts", "bots that got no snapshot for 8 s"),
    ("unexpected_disconnects", "sessions that ended without the bot leaving"),
    ("connect_failures", "bots that never joined"),
    ("server_errors", "error messages from the server (ChatFlood, ...)"),
    ("errors", "connect failures + unexpected disconnects + server errors + protocol errors"),
    ("entities_in_view_mean", "other entities in a bot's view, per snapshot (mean)"),
    ("handoffs_seen", "changes of the zone simulating a bot"),
    ("cell_crossings", "changes of the cell a bot stands in"),
    ("gateway_moves", "sessions moved to another gateway (a draining one asked) and resumed"),
    ("move_outage_max_ms", "longest time without a snapshot across a gateway move (ms)"),
    ("gateway_losses", "gateway moves because the gateway stopped answering (killed)"),
    ("twins_seen", "snapshots showing a bot another avatar of its own character (a duplicate)"),
    ("move_rollback_max_tiles", "farthest a character stood after a gateway move from where it was before (tiles)"),
    ("rollbacks", "jumps of a bot's own position back to a place it held earlier (a killed zone's restore) or beyond physics"),
    ("rollback_max_s", "most movement progress one rollback lost: seconds from when the character last stood where it came back to, to the snapshot before (0 if none)"),
    ("bots_peak", "most bots connected at once"),
    ("bots_started", "bots started"),
    ("bots_joined", "bots that joined the world"),
    ("bytes_in_per_client_s", "bytes received per connected bot per second (mean)"),
    ("bytes_out_per_client_s", "bytes sent per connected bot per second (mean)"),
];

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

/// One check, e.g. `rtt_p99_ms < 100`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Threshold {
    pub metric: String,
    pub op: Op,
    pub value: f64,
}

impl std::str::FromStr for Threshold {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Two-character operators first, so `<=` is not read as `<`.
        let ops = [("<=", Op::Le), (">=", Op::Ge), ("==", Op::Eq), ("!=", Op::Ne), ("<", Op::Lt), (">", Op::Gt)];
        let (at, sym, op) = ops
            .iter()
            .filter_map(|&(sym, op)| s.find(sym).map(|at| (at, sym, op)))
            .min_by_key(|&(at, sym, _)| (at, std::cmp::Reverse(sym.len())))
            .ok_or_else(|| format!("{s:?}: expected METRIC OP NUMBER, like \"rtt_p99_ms < 100\""))?;
        let metric = s[..at].trim();
        let number = s[at + sym.len()..].trim();
        if !METRICS.iter().any(|(m, _)| *m == metric) {
            let known: Vec<_> = METRICS.iter().map(|(m, _)| *m).collect();
            return Err(format!("{s:?}: unknown metric {metric:?} (known: {})", known.join(", ")));
        }
        let value: f64 = number.parse().map_err(|_| format!("{s:?}: {number:?} is not a number"))?;
        if !value.is_finite() {
            return Err(format!("{s:?}: the number must be finite"));
        }
        Ok(Threshold { metric: metric.to_string(), op, value })
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.metric, self.op.symbol(), self.value)
    }
}

/// A threshold checked against a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub threshold: String,
    pub metric: String,
    /// The measured value (`None` if the run produced none, e.g. no round trips: a failure).
    pub actual: Option<f64>,
    pub passed: bool,
}

impl Threshold {
    /// Checks the threshold against `metrics`; a metric the run did not produce fails.
    pub fn evaluate(&self, metrics: &BTreeMap<String, f64>) -> Verdict {
        let actual = metrics.get(&self.metric).copied().filter(|v| v.is_finite());
        Verdict {
            threshold: self.to_string(),
            metric: self.metric.clone(),
            actual,
            passed: actual.is_some_and(|a| self.op.holds(a, self.value)),
        }
    }
}

/// The thresholds used when a run names none.
pub fn defaults() -> Vec<Threshold> {
    ["rtt_p99_ms < 100", "snapshot_gaps == 0", "unexpected_disconnects == 0", "connect_failures == 0"]
        .iter()
        .map(|s| s.parse().expect("default thresholds parse"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_operator() {
        let t: Threshold = "rtt_p99_ms < 100".parse().unwrap();
        assert_eq!(t, Threshold { metric: "rtt_p99_ms".into(), op: Op::Lt, value: 100.0 });
        assert_eq!("snapshot_gaps==0".parse::<Threshold>().unwrap().op, Op::Eq);
        assert_eq!("bots_peak >= 20".parse::<Threshold>().unwrap().op, Op::Ge);
        assert_eq!("rtt_p50_ms <= 60.5".parse::<Threshold>().unwrap().value, 60.5);
        assert_eq!("errors != 3".parse::<Threshold>().unwrap().op, Op::Ne);
        assert_eq!("rtt_max_ms > -1".parse::<Threshold>().unwrap().value, -1.0);
        assert_eq!("rtt_p99_ms < 100".parse::<Threshold>().unwrap().to_string(), "rtt_p99_ms < 100");
    }

    #[test]
    fn refuses_bad_thresholds() {
        assert!("rtt_p99_ms 100".parse::<Threshold>().unwrap_err().contains("expected METRIC OP NUMBER"));
        assert!("latency < 100".parse::<Threshold>().unwrap_err().contains("unknown metric \"latency\""));
        assert!("rtt_p99_ms < fast".parse::<Threshold>().unwrap_err().contains("not a number"));
        assert!("rtt_p99_ms < inf".parse::<Threshold>().is_err());
    }

    #[test]
    fn evaluates() {
        let metrics: BTreeMap<String, f64> = [("rtt_p99_ms".to_string(), 42.0), ("snapshot_gaps".into(), 0.0)].into();
        let check = |s: &str| s.parse::<Threshold>().unwrap().evaluate(&metrics);
        assert!(check("rtt_p99_ms < 100").passed);
        assert!(!check("rtt_p99_ms < 0").passed);
        assert!(check("snapshot_gaps == 0").passed);
        assert!(!check("snapshot_gaps > 0").passed);
        let missing = check("handoffs_seen >= 0");
        assert!(!missing.passed && missing.actual.is_none(), "a metric the run lacks fails");
        assert_eq!(check("rtt_p99_ms < 0").actual, Some(42.0));
    }
}
