//! `loadtest`: parses flags, sets up logging and Ctrl-C, runs the scenario, writes the report
//! and prints the summary. Exit code 0 when every threshold holds, 99 when one fails, 1 on error.

use anyhow::Context;
use clap::Parser;
use mmo_loadtest::cli::Args;
use mmo_loadtest::report::{meta, summary};
use mmo_loadtest::{run, RunOptions};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// mimalloc, as in `mmo-local`: every bot rebuilds its view from each snapshot, many small
/// blocks a tick on both cores (glibc's allocator was 5 % of the load tester at 500 bots).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// k6's exit code for crossed thresholds.
const THRESHOLDS_FAILED: u8 = 99;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,web_transport_quinn=error")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(main_async(args)) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "loadtest: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn main_async(args: Args) -> anyhow::Result<ExitCode> {
    let scenario = args.scenario().context("scenario")?;
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop.send(true);
        }
    });
    let options = RunOptions { progress: !args.quiet, target_pid: args.target_pid, ca_file: args.ca_file.clone() };
    let report = run(&scenario, options, shutdown).await.context("load test")?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("target").join("loadtest").join(meta::compact(report.meta.started_unix_ms)));
    let (json, html) = report.write(&out)?;
    let mut stdout = std::io::stdout().lock();
    write!(stdout, "{}", summary::text(&report))?;
    writeln!(stdout, "\n  report: {}\n          {}", json.display(), html.display())?;
    if !std::io::stdout().is_terminal() {
        stdout.flush()?;
    }
    Ok(if report.passed { ExitCode::SUCCESS } else { ExitCode::from(THRESHOLDS_FAILED) })
}
