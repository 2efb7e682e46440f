//! Player names in use on this gateway (case-insensitive).

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;

#[derive(Debug, Default)]
pub struct Names {
    taken: Mutex<HashSet<String>>,
    released: Notify,
}

impl Names {
    /// Takes `name`, waiting up to `wait` for its holder to release it (a client resuming after
    /// a lost connection races the old session's logout); false if it is still taken then.
    pub async fn claim_within(&self, name: &str, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let released = self.released.notified();
            if self.claim(name) {
                return true;
            }
            if tokio::time::timeout_at(deadline, released).await.is_err() {
                return false;
            }
        }
    }

    /// Takes `name`; false if someone has it.
    pub fn claim(&self, name: &str) -> bool {
        self.taken.lock().expect("names lock").insert(name.to_ascii_lowercase())
    }

    /// Every name taken here (lowercase).
    pub fn all(&self) -> Vec<String> {
        self.taken.lock().expect("names lock").iter().cloned().collect()
    }

    pub fn release(&self, name: &str) {
        self.taken.lock().expect("names lock").remove(&name.to_ascii_lowercase());
        self.released.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_ignoring_case() {
        let n = Names::default();
        assert!(n.claim("Ada"));
        assert!(!n.claim("ada"));
        n.release("ADA");
        assert!(n.claim("ada"));
    }

    #[tokio::test]
    async fn a_claim_waits_for_the_release() {
        let n = std::sync::Arc::new(Names::default());
        assert!(n.claim("ada"));
        assert!(!n.claim_within("ada", Duration::from_millis(10)).await);
        let waiting = tokio::spawn({
            let n = n.clone();
            async move { n.claim_within("Ada", Duration::from_secs(30)).await }
        });
        tokio::task::yield_now().await;
        n.release("ada");
        assert!(waiting.await.unwrap());
    }
}
