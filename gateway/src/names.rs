//! Player names in use on this gateway (case-insensitive).

use std::collections::HashSet;
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct Names {
    taken: Mutex<HashSet<String>>,
}

impl Names {
    /// Takes `name`; false if someone has it.
    pub fn claim(&self, name: &str) -> bool {
        self.taken.lock().expect("names lock").insert(name.to_ascii_lowercase())
    }

    pub fn release(&self, name: &str) {
        self.taken.lock().expect("names lock").remove(&name.to_ascii_lowercase());
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
}
