//! Weighted mixes: which transport and which behaviour each bot gets.
//!
//! Bots are dealt kinds by smooth weighted round-robin, not by chance, so every prefix of the
//! swarm follows the weights as closely as whole bots allow (20 bots at 80/20 are exactly 16
//! and 4, and the first 5 already hold one of the 20 %).

use serde::{Deserialize, Serialize};
use std::fmt;

/// How a bot talks to the gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    WebTransport,
    WebSocket,
}

impl Transport {
    pub const ALL: [Transport; 2] = [Transport::WebTransport, Transport::WebSocket];

    pub fn name(self) -> &'static str {
        match self {
            Transport::WebTransport => "webtransport",
            Transport::WebSocket => "websocket",
        }
    }
}

/// What a bot does once in the world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// Walks to random places nearby.
    Wander,
    /// Walks back and forth across the nearest cell border.
    BorderCrosser,
    /// Converges on one point of the world (to force rebalancing).
    Hotspot,
    /// Stands still and keeps sending empty inputs.
    Idle,
    /// Wanders and says something every few seconds.
    Chatter,
    /// Hunts the NPCs it sees and attacks them.
    Fighter,
    /// Fights like a fighter (picking up what NPCs drop) and, every `chat_every`, gives an
    /// item to the nearest player it sees (`/give NAME`), or drops one (`/drop`) when it sees
    /// none: items move between players and to the ground.
    Trader,
}

impl Behaviour {
    pub const ALL: [Behaviour; 7] = [
        Behaviour::Wander,
        Behaviour::BorderCrosser,
        Behaviour::Hotspot,
        Behaviour::Idle,
        Behaviour::Chatter,
        Behaviour::Fighter,
        Behaviour::Trader,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Wander => "wander",
            Behaviour::BorderCrosser => "border_crosser",
            Behaviour::Hotspot => "hotspot",
            Behaviour::Idle => "idle",
            Behaviour::Chatter => "chatter",
            Behaviour::Fighter => "fighter",
            Behaviour::Trader => "trader",
        }
    }
}

/// Something that can be weighed in a mix.
pub trait Kind: Copy + Eq + fmt::Debug + 'static {
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
}

impl Kind for Transport {
    const ALL: &'static [Self] = &Transport::ALL;
    fn name(self) -> &'static str {
        Transport::name(self)
    }
}

impl Kind for Behaviour {
    const ALL: &'static [Self] = &Behaviour::ALL;
    fn name(self) -> &'static str {
        Behaviour::name(self)
    }
}

/// Weights per kind (kinds left out weigh 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mix<K: Kind> {
    weights: Vec<(K, u32)>,
}

impl<K: Kind> Mix<K> {
    /// A mix from `(kind, weight)` pairs; `field` names it in errors. At least one weight must
    /// be positive.
    pub fn new(weights: Vec<(K, u32)>, field: &str) -> Result<Self, crate::LoadtestError> {
        if weights.iter().all(|&(_, w)| w == 0) {
            return Err(crate::LoadtestError::invalid(field, "at least one weight must be above 0"));
        }
        Ok(Mix { weights: weights.into_iter().filter(|&(_, w)| w > 0).collect() })
    }

    /// Parses `webtransport=80,websocket=20` (`-` and `_` are the same in names).
    pub fn parse(text: &str, field: &str) -> Result<Self, crate::LoadtestError> {
        let mut weights = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part
                .split_once('=')
                .ok_or_else(|| crate::LoadtestError::invalid(field, format!("{part:?}: expected NAME=WEIGHT")))?;
            let name = name.trim().replace('-', "_");
            let kind = K::ALL.iter().copied().find(|k| k.name() == name).ok_or_else(|| {
                let known: Vec<_> = K::ALL.iter().map(|k| k.name()).collect();
                crate::LoadtestError::invalid(field, format!("unknown {name:?} (known: {})", known.join(", ")))
            })?;
            let weight = weight
                .trim()
                .parse()
                .map_err(|_| crate::LoadtestError::invalid(field, format!("{part:?}: weight is not a whole number")))?;
            weights.push((kind, weight));
        }
        Self::new(weights, field)
    }

    pub fn weights(&self) -> &[(K, u32)] {
        &self.weights
    }

    /// Share of `kind`, 0 to 1.
    pub fn share(&self, kind: K) -> f64 {
        let total: u32 = self.weights.iter().map(|&(_, w)| w).sum();
        let w = self.weights.iter().find(|&&(k, _)| k == kind).map_or(0, |&(_, w)| w);
        f64::from(w) / f64::from(total)
    }

    /// A dealer handing out kinds in proportion.
    pub fn dealer(&self) -> Dealer<K> {
        Dealer { weights: self.weights.clone(), current: vec![0; self.weights.len()] }
    }
}

impl<K: Kind> fmt::Display for Mix<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.weights.iter().map(|(k, w)| format!("{}={w}", k.name())).collect();
        f.write_str(&parts.join(","))
    }
}

/// Smooth weighted round-robin over a mix.
#[derive(Clone, Debug)]
pub struct Dealer<K: Kind> {
    weights: Vec<(K, u32)>,
    current: Vec<i64>,
}

impl<K: Kind> Dealer<K> {
    pub fn deal(&mut self) -> K {
        let total: i64 = self.weights.iter().map(|&(_, w)| i64::from(w)).sum();
        for (c, &(_, w)) in self.current.iter_mut().zip(&self.weights) {
            *c += i64::from(w);
        }
        let best = (0..self.current.len()).max_by_key(|&i| (self.current[i], std::cmp::Reverse(i))).expect("non-empty");
        self.current[best] -= total;
        self.weights[best].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_deals_in_proportion() {
        let mix = Mix::<Transport>::parse("webtransport=80, websocket=20", "transport_mix").unwrap();
        assert_eq!(mix.to_string(), "webtransport=80,websocket=20");
        let mut dealer = mix.dealer();
        let dealt: Vec<Transport> = (0..20).map(|_| dealer.deal()).collect();
        assert_eq!(dealt.iter().filter(|&&t| t == Transport::WebSocket).count(), 4);
        assert!(dealt[..5].contains(&Transport::WebSocket));
    }

    #[test]
    fn behaviour_names_take_dashes() {
        let mix = Mix::<Behaviour>::parse("border-crosser=1,idle=0", "behaviours").unwrap();
        assert_eq!(mix.weights(), &[(Behaviour::BorderCrosser, 1)]);
    }

    #[test]
    fn bad_mixes_name_the_field() {
        let e = Mix::<Transport>::parse("quic=1", "transport_mix").unwrap_err().to_string();
        assert!(e.starts_with("transport_mix: unknown \"quic\""), "{e}");
        let e = Mix::<Transport>::parse("websocket=0", "transport_mix").unwrap_err().to_string();
        assert!(e.contains("at least one weight"), "{e}");
        assert!(Mix::<Behaviour>::parse("idle", "behaviours").is_err());
    }
}
