//! `mmo-cluster up`: a local multi-process cluster (etcd, 2 coordinators, 4 zone servers, 1
//! gateway by default). Prints the play URL and the dashboard URL once everything is ready;
//! Ctrl-C, SIGTERM or typing `stop` stops every process it started.

use clap::{Parser, Subcommand};
use mmo_launcher::{Cluster, ClusterConfig};
use std::io::Write;
use std::path::PathBuf;
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Starts the cluster and runs it until Ctrl-C or `stop`.
    Up(UpArgs),
}

#[derive(clap::Args, Debug)]
struct UpArgs {
    /// Where mmo-zone, mmo-gateway and mmo-coordinator are (default: next to this program).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=8))]
    coordinators: u32,
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    zones: u32,
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=8))]
    gateways: u32,
    /// The first gateway's HTTP address (the play URL).
    #[arg(long, default_value = "127.0.0.1:8080")]
    http: String,
    /// The first gateway's WebTransport (UDP) address.
    #[arg(long, default_value = "127.0.0.1:4433")]
    quic: String,
    /// The built browser client (scripts/build-client.sh builds browser-client/dist).
    #[arg(long, default_value = "browser-client/dist")]
    client_dir: PathBuf,
    /// Lease time to live of every service, in seconds.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(2..=60))]
    lease_ttl: u64,
    /// World size in cells, WxH.
    #[arg(long, default_value = "4x2")]
    world_size: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    mmo_cluster::cli::init_logging("info");
    let Cmd::Up(args) = Cli::parse().command;
    let bin_dir = match args.bin_dir {
        Some(dir) => dir,
        None => std::env::current_exe()?.parent().map(PathBuf::from).unwrap_or_default(),
    };
    let client_dir = args.client_dir.join("index.html").exists().then_some(args.client_dir.clone());
    if client_dir.is_none() {
        tracing::warn!(dir = %args.client_dir.display(), "--client-dir has no index.html: no page and no dashboard (run scripts/build-client.sh)");
    }
    let config = ClusterConfig {
        coordinators: args.coordinators,
        zones: args.zones,
        gateways: args.gateways,
        http: args.http,
        quic: args.quic,
        client_dir,
        lease_ttl: args.lease_ttl,
        world_size: args.world_size,
        ..ClusterConfig::new(bin_dir)
    };
    let cluster = Cluster::up(&config).await?;
    let mut out = std::io::stdout();
    writeln!(out, "play:      {}", cluster.play_url().unwrap_or_default())?;
    writeln!(out, "dashboard: {}", cluster.dashboard_url().unwrap_or_default())?;
    writeln!(out, "etcd:      {}   logs: {}", cluster.etcd_endpoint(), cluster.run_dir().display())?;
    writeln!(out, "ready: type `stop` or press Ctrl-C to stop everything")?;
    out.flush()?;
    let stop = mmo_cluster::cli::stop_requested();
    tokio::pin!(stop);
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    loop {
        tokio::select! {
            () = &mut stop => break,
            line = stdin.next_line(), if stdin_open => match line {
                Ok(Some(line)) if line.trim() == "stop" => break,
                Ok(Some(_)) => writeln!(out, "type `stop` to stop the cluster")?,
                _ => stdin_open = false,
            },
        }
    }
    writeln!(out, "stopping...")?;
    cluster.stop().await;
    writeln!(out, "stopped")?;
    Ok(())
}
