//! `feed-server`: see `feed_server::cli` for the command line.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser as _;
use feed_server::check::{self, Bars};
use feed_server::cli::{Cli, Command};
use feed_server::config::Config;
use feed_server::deployment::{Deployment, Quiet};
use feed_server::server::{self, AppState};

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = match &cli.config {
        Some(path) => Config::load(path)?,
        None => Config::demo()?,
    };
    let clock = cli.clock();
    match cli.command {
        Some(Command::Check) => {
            let bars = Bars::new();
            let deployment = Deployment::load(config, || clock.now(), &bars).await?;
            print!("{}", check::summary(&deployment, clock.now()));
            Ok(())
        }
        Some(Command::Serve) | None => {
            let listen = match cli.listen.or(config.listen) {
                Some(a) => a,
                None => DEFAULT_LISTEN.parse::<SocketAddr>()?,
            };
            let send_buffer = config.send_buffer_kb;
            let deployment = Deployment::load(config, || clock.now(), &Quiet).await?;
            let listener = server::bind(listen, send_buffer)
                .with_context(|| format!("cannot listen on {listen}"))?;
            let bound = listener.local_addr()?;
            // Tests and scripts read this line to find a port chosen by the system.
            println!("listening on http://{bound}");
            std::io::stdout().flush()?;
            tracing::info!(%bound, stations = deployment.stations.len(), "serving");
            let state = Arc::new(AppState::new(deployment, clock));
            server::serve(state, listener, server::shutdown_signal()).await?;
            Ok(())
        }
    }
}
