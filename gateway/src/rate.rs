//! Per-session rate limits (sans-IO: callers pass the time in).

use std::time::Instant;

/// At most `limit` events per `window`; counts restart each window.
#[derive(Debug)]
pub struct RateWindow {
    limit: u32,
    window_ms: u64,
    start: Instant,
    count: u32,
}

impl RateWindow {
    pub fn new(limit: u32, window_ms: u64, now: Instant) -> Self {
        RateWindow { limit, window_ms, start: now, count: 0 }
    }

    /// Records one event; false if it goes over the limit.
    pub fn allow(&mut self, now: Instant) -> bool {
        if now.duration_since(self.start).as_millis() as u64 >= self.window_ms {
            self.start = now;
            self.count = 0;
        }
        self.count += 1;
        self.count <= self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn limits_per_window_and_resets() {
        let t0 = Instant::now();
        let mut r = RateWindow::new(3, 1000, t0);
        assert!(r.allow(t0) && r.allow(t0) && r.allow(t0));
        assert!(!r.allow(t0 + Duration::from_millis(500)));
        assert!(r.allow(t0 + Duration::from_millis(1000)));
    }
}
