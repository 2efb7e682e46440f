//! `mmo-coordinator`: the coordinator service and the operators' CLI.
//!
//! - `run --etcd URL[,URL] --world NAME --candidate NAME --http HOST:PORT`: campaigns for
//!   leadership on etcd, runs the rebalancing loop while it leads, and serves the operator API,
//!   the dashboard, `/metrics`, `/livez` and `/readyz` in both roles; prints
//!   `ready: http://HOST:PORT/` once serving.
//! - `state`, `events`, `move-cell --cell X.Y --zone N`, `split-cell --cell X.Y`,
//!   `merge-cell --cell X.Y`, `drain --zone N [--undo]`: call a
//!   coordinator's (or the local world's) API at `--api URL` and print its JSON answer.
//!
//! The binary's own modules: `serve` (the `run` command) and `client` (the API calls).

mod client;
mod serve;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(version, about = "The MMO coordinator: cell assignment, rebalancing, operator API and CLI")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs a coordinator replica against etcd.
    Run(Box<serve::RunArgs>),
    /// Prints the world's state: cells, zones, loads, gateways, the leader.
    State(client::ApiArgs),
    /// Prints the last logged decisions and membership changes.
    Events {
        #[command(flatten)]
        api: client::ApiArgs,
        /// How many events (1 to 1000).
        #[arg(long, env = "MMO_EVENTS_LIMIT", default_value_t = 50)]
        limit: usize,
    },
    /// Moves a cell, with everything in it, to another zone.
    MoveCell {
        #[command(flatten)]
        api: client::ApiArgs,
        /// The cell, as X.Y.
        #[arg(long, env = "MMO_CELL")]
        cell: String,
        /// The zone that takes it.
        #[arg(long, env = "MMO_ZONE")]
        zone: u32,
    },
    /// Splits a cell into its quarters, which its zone keeps (other zones may then take some).
    SplitCell {
        #[command(flatten)]
        api: client::ApiArgs,
        /// The cell, as X.Y (or X.Y/D for a quarter).
        #[arg(long, env = "MMO_CELL")]
        cell: String,
    },
    /// Merges the four quarters of a cell, all owned by one zone, back into it.
    MergeCell {
        #[command(flatten)]
        api: client::ApiArgs,
        /// The cell the quarters merge into, as X.Y (or X.Y/D).
        #[arg(long, env = "MMO_CELL")]
        cell: String,
    },
    /// Marks a zone as draining (it gives all of its cells away), or clears the mark.
    Drain {
        #[command(flatten)]
        api: client::ApiArgs,
        /// The zone.
        #[arg(long, env = "MMO_ZONE")]
        zone: u32,
        /// Clear the mark instead.
        #[arg(long, env = "MMO_UNDO")]
        undo: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    mmo_cluster::cli::init_logging("info");
    match Cli::parse().command {
        Command::Run(args) => serve::run(*args).await,
        Command::State(api) => client::print(api.get("/api/state").await?),
        Command::Events { api, limit } => client::print(api.get(&format!("/api/events?limit={limit}")).await?),
        Command::MoveCell { api, cell, zone } => {
            client::print(api.post("/api/move-cell", &serde_json::json!({ "cell": cell, "zone": zone })).await?)
        }
        Command::SplitCell { api, cell } => {
            client::print(api.post("/api/split-cell", &serde_json::json!({ "cell": cell })).await?)
        }
        Command::MergeCell { api, cell } => {
            client::print(api.post("/api/merge-cell", &serde_json::json!({ "cell": cell })).await?)
        }
        Command::Drain { api, zone, undo } => {
            client::print(api.post("/api/drain", &serde_json::json!({ "zone": zone, "undo": undo })).await?)
        }
    }
}
