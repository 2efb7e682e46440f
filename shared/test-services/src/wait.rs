//! Waiting in tests for something to happen: the condition is polled until it holds, and the
//! wait returns as soon as it does, or gives up at a deadline. Never a fixed sleep standing for
//! "long enough".

use std::future::Future;
use std::time::Duration;
use tokio::time::{sleep, Instant};

/// How long a wait sleeps between two looks at its condition.
pub const POLL_EVERY: Duration = Duration::from_millis(20);

/// Polls `check` until it returns a value and returns it; panics naming `what` once `within`
/// has passed without one.
pub async fn wait_for<T, F: Future<Output = Option<T>>>(what: &str, within: Duration, check: impl FnMut() -> F) -> T {
    poll_for(within, check).await.unwrap_or_else(|| panic!("{what}: not within {within:?}"))
}

/// Polls `check` until it holds; panics naming `what` once `within` has passed first.
pub async fn wait_until<F: Future<Output = bool>>(what: &str, within: Duration, mut check: impl FnMut() -> F) {
    wait_for(what, within, || {
        let holds = check();
        async move { holds.await.then_some(()) }
    })
    .await
}

/// Polls `check` until it holds (true) or `within` has passed (false), for a caller that says
/// itself what was wrong.
pub async fn poll_until<F: Future<Output = bool>>(within: Duration, mut check: impl FnMut() -> F) -> bool {
    poll_for(within, || {
        let holds = check();
        async move { holds.await.then_some(()) }
    })
    .await
    .is_some()
}

/// Polls `check` until it returns a value (`Some`) or `within` has passed (`None`). The
/// condition is looked at once more at the deadline.
pub async fn poll_for<T, F: Future<Output = Option<T>>>(within: Duration, mut check: impl FnMut() -> F) -> Option<T> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        sleep(POLL_EVERY.min(deadline - now)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[tokio::test(start_paused = true)]
    async fn returns_as_soon_as_the_condition_holds() {
        let started = Instant::now();
        let looks = Cell::new(0);
        let value = wait_for("the third look", Duration::from_secs(10), || {
            looks.set(looks.get() + 1);
            let n = looks.get();
            async move { (n == 3).then_some(n) }
        })
        .await;
        assert_eq!(value, 3);
        assert_eq!(started.elapsed(), POLL_EVERY * 2);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_at_the_deadline() {
        let started = Instant::now();
        assert!(!poll_until(Duration::from_millis(50), || async { false }).await);
        assert_eq!(started.elapsed(), Duration::from_millis(50));
    }

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "never: not within 1s")]
    async fn a_wait_that_times_out_names_what_it_waited_for() {
        wait_until("never", Duration::from_secs(1), || async { false }).await;
    }
}
