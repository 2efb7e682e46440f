//! Gateway: terminates client sessions (WebTransport, WebSocket fallback), keeps them pinned,
//! routes input to the zone simulating each player, and builds each client's view from the
//! cell streams of the cells around it. [`host`] is the one way it is hosted (local world and
//! multi-process alike).

pub mod accounts;
pub mod cells;
pub mod cert;
pub mod drain;
pub mod held;
pub mod host;
pub mod http;
pub mod http_serve;
pub mod https;
pub mod names;
pub mod online;
pub mod party;
pub mod peers;
pub mod public;
pub mod rate;
mod server;
pub mod session;
pub mod start;
pub mod state;
pub mod terrain;
pub mod transport;
pub mod view;

pub use host::GatewayHost;
pub use server::{Gateway, GatewayConfig, GatewayError, Listeners};
