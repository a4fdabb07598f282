//! `feed-server`: see `feed_server::cli` for the command line.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser as _;
use feed_server::check::{self, Bars};
use feed_server::cli::{Cli, Command, OperatorCommand};
use feed_server::config::Config;
use feed_server::deployment::{Deployment, Quiet};
use feed_server::server::{self, AppState};
use feed_server::store::Store;

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
    let data_dir = cli.data_dir(&config);
    match cli.command {
        Some(Command::Operator(command)) => {
            if let OperatorCommand::Add { scopes, .. } = &command {
                check_scopes(scopes, &config, || clock.now()).await?;
            }
            operator(command, &data_dir)
        }
        Some(Command::Audit { limit }) => {
            let store = Store::open(&data_dir)?;
            for entry in store.audit(limit)? {
                println!("{}", serde_json::to_string(&entry)?);
            }
            Ok(())
        }
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
            let state = Arc::new(AppState::new(deployment, clock).with_store(&data_dir)?);
            server::serve(state, listener, server::shutdown_signal()).await?;
            Ok(())
        }
    }
}

/// Refuses, with the reason, a scope that names nothing: a station the
/// configuration lacks, a route no timetable has (the timetables are loaded for
/// that, and only then), or anything but `station:ID`, `route:ID` and `*`.
async fn check_scopes(
    scopes: &[String],
    config: &Config,
    now: impl Fn() -> chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let stations = || {
        config
            .stations
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for scope in scopes {
        let known = scope == "*"
            || scope.strip_prefix("route:").is_some_and(|r| !r.is_empty())
            || scope
                .strip_prefix("station:")
                .is_some_and(|s| config.stations.iter().any(|st| st.id == s));
        anyhow::ensure!(
            known,
            "scope `{scope}`: write station:ID (one of {}), route:ID or *",
            stations()
        );
    }
    let routes: Vec<&String> = scopes.iter().filter(|s| s.starts_with("route:")).collect();
    if routes.is_empty() {
        return Ok(());
    }
    let deployment = Deployment::load(config.clone(), now, &Quiet)
        .await
        .context("cannot load the timetables to check the route scopes")?;
    for scope in routes {
        feed_server::notice::check_scope(scope, &deployment)
            .map_err(|e| anyhow::anyhow!("scope `{scope}`: {e} in the timetables"))?;
    }
    Ok(())
}

fn operator(command: OperatorCommand, data_dir: &std::path::Path) -> anyhow::Result<()> {
    let store = Store::open(data_dir)?;
    match command {
        OperatorCommand::Add { name, scopes } => {
            let token = store.operator_add(&name, &scopes)?;
            eprintln!("operator {name} added; its token (shown once, keep it safe):");
            println!("{token}");
        }
        OperatorCommand::List => {
            for op in store.operators()? {
                let state = match &op.revoked_at {
                    Some(at) => format!("revoked {at}"),
                    None => "active".to_string(),
                };
                println!(
                    "{}\t{}\t{}\tcreated {}",
                    op.name,
                    op.scopes.join(","),
                    state,
                    op.created_at
                );
            }
        }
        OperatorCommand::Revoke { name } => {
            store.operator_revoke(&name)?;
            eprintln!("operator {name} revoked");
        }
    }
    Ok(())
}
