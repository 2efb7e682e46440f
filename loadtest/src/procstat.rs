//! CPU and memory of a process, read from Linux's `/proc` (nothing elsewhere): to put the
//! gateway's cost per session in the report.

use serde::Serialize;
use std::time::Instant;

/// Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on Linux).
const USER_HZ: f64 = 100.0;

/// One reading.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct ProcSample {
    /// CPU used since the previous reading, in percent of one core.
    pub cpu_pct: f64,
    /// Resident memory, MiB.
    pub rss_mib: f64,
}

/// Reads one process over time.
#[derive(Debug)]
pub struct ProcSampler {
    /// `self` or a pid.
    pid: String,
    last: Option<(Instant, u64)>,
}

impl ProcSampler {
    pub fn new(pid: Option<u32>) -> Self {
        ProcSampler { pid: pid.map_or_else(|| "self".into(), |p| p.to_string()), last: None }
    }

    /// Which process this reads (`self` or a pid).
    pub fn pid(&self) -> &str {
        &self.pid
    }

    /// A reading, `None` if the process is gone or this is not Linux. The first one has no
    /// CPU figure (0).
    pub fn sample(&mut self) -> Option<ProcSample> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let ticks = cpu_ticks(&stat)?;
        let rss_kib = rss_kib(&status)?;
        let now = Instant::now();
        let cpu_pct = match self.last {
            Some((then, before)) => {
                let secs = now.duration_since(then).as_secs_f64();
                if secs > 0.0 {
                    (ticks.saturating_sub(before)) as f64 / USER_HZ / secs * 100.0
                } else {
                    0.0
                }
            }
            None => 0.0,
        };
        self.last = Some((now, ticks));
        Some(ProcSample { cpu_pct, rss_mib: rss_kib as f64 / 1024.0 })
    }
}

/// utime + stime from `/proc/<pid>/stat` (fields 14 and 15; the command name may hold spaces).
fn cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // after_name starts at field 3 (state); utime is field 14.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

fn rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let stat = "1234 (my (odd) name) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 8 0 100 0 0";
        assert_eq!(cpu_ticks(stat), Some(300));
        assert_eq!(rss_kib("Name:\tx\nVmRSS:\t   20480 kB\n"), Some(20480));
    }

    #[test]
    fn reads_itself() {
        if cfg!(target_os = "linux") {
            let mut s = ProcSampler::new(None);
            assert!(s.sample().is_some_and(|x| x.rss_mib > 0.0));
        }
    }
}
