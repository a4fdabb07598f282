//! `feed-server`: see `feed_server::cli` for the command line.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use feed_server::check::{self, Bars};
use feed_server::cli::{Cli, Command, OperatorCommand, Role};
use feed_server::config::{Config, defaults};
use feed_server::deployment::Deployment;
use feed_server::feed::Quiet;
use feed_server::notice::Scope;
use feed_server::server::{self, Server};
use feed_server::store::{Postgres, Shared, Store};
use feed_server::timetable::TimetableCache;
use std::sync::Arc;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colours on a terminal only: the journal and log files get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
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
    if cli.nats.is_some() && cli.role == Role::Single {
        anyhow::bail!(
            "--nats is for the ingest and edge roles: add --role ingest or --role edge (docs/scaling.md)"
        );
    }
    if let Some(url) = cli.nats.as_deref() {
        let servers = feed_server::node::servers(url);
        if servers.is_empty() {
            anyhow::bail!(
                "--nats names no server: give nats://HOST:PORT, or a cluster's servers comma-separated"
            );
        }
        for server in servers {
            if let Err(e) = server.parse::<async_nats::ServerAddr>() {
                anyhow::bail!("--nats: `{server}` is not a NATS server's address ({e})");
            }
        }
    }
    if let Some(replicas) = cli.nats_replicas {
        if cli.role != Role::Ingest {
            anyhow::bail!(
                "--nats-replicas is for ingest nodes (they make the stream and the buckets)"
            );
        }
        if !(1..=5).contains(&replicas) {
            anyhow::bail!(
                "--nats-replicas is 1 to 5 (JetStream keeps at most 5 copies): 3 on a cluster of three servers"
            );
        }
    }
    let config = match &cli.config {
        Some(path) => Config::load(path)?,
        None => Config::demo()?,
    };
    let clock = cli.clock();
    let data_dir = cli.data_dir(&config);
    match cli.command {
        Some(Command::Operator(command)) => {
            let scopes = match &command {
                OperatorCommand::Add { scopes, .. } => {
                    check_scopes(scopes, &config, || clock.now()).await?
                }
                _ => Vec::new(),
            };
            operator(command, scopes, &shared(&config, &data_dir).await?).await
        }
        Some(Command::Token) => {
            let token = feed_server::store::new_token()?;
            eprintln!(
                "a token for a [[sensor_integrations]]; give the first line to the network server (Authorization: Bearer …), write the second as token_sha256:"
            );
            println!("{token}");
            println!("{}", feed_server::store::token_hash(&token));
            Ok(())
        }
        Some(Command::Import) => {
            let Some(url) = &config.store_url else {
                anyhow::bail!(
                    "import copies into the PostgreSQL of [store] url: --config names a file without one"
                );
            };
            let db = data_dir.join(feed_server::store::DB_FILE);
            if !db.is_file() {
                anyhow::bail!(
                    "{} holds no store ({} missing): --data-dir names the data dir to copy",
                    data_dir.display(),
                    feed_server::store::DB_FILE
                );
            }
            let store = Store::open(&data_dir)?;
            // The chain is checked before anything is copied.
            let entries = store.audit_verify()?;
            let exported = store.export()?;
            let pg = Postgres::open(url, config.store_ca_file.as_deref())
                .await
                .context("cannot use the PostgreSQL store of [store] url")?;
            pg.import(&exported).await?;
            println!(
                "copied from {} into {}: {}; audit log of {entries} entries chained",
                data_dir.display(),
                pg.target(),
                exported.summary()
            );
            Ok(())
        }
        Some(Command::Audit { limit, verify }) => {
            let store = shared(&config, &data_dir).await?;
            if verify {
                let entries = store.audit_verify().await?;
                println!("audit log intact: {entries} entries chained");
                return Ok(());
            }
            for entry in store.audit(limit).await? {
                println!("{}", serde_json::to_string(&entry)?);
            }
            Ok(())
        }
        Some(Command::Check) => {
            let bars = Bars::new();
            let deployment = Deployment::load(config, || clock.now(), &bars).await?;
            print!("{}", check::summary(&deployment, clock.now()));
            print!(
                "{}",
                check::realtime::summary(&deployment, clock.now()).await
            );
            print!("{}", check::siri::summary(&deployment, clock.now()).await);
            Ok(())
        }
        Some(Command::Serve) | None => {
            let listen = match cli.listen.or(config.server.listen) {
                Some(a) => a,
                None => defaults::LISTEN.parse::<SocketAddr>()?,
            };
            let send_buffer = config.server.send_buffer_kb;
            // A node that builds boards needs its notices before the first
            // board; an edge may start while PostgreSQL is out of reach.
            let edge = cli.role == Role::Edge;
            let postgres = match &config.store_url {
                Some(url) if edge => Some(Arc::new(Postgres::new(
                    url,
                    config.store_ca_file.as_deref(),
                )?)),
                Some(url) => Some(Arc::new(
                    Postgres::open(url, config.store_ca_file.as_deref())
                        .await
                        .context("cannot use the PostgreSQL store of [store] url")?,
                )),
                None => None,
            };
            if let Some(pg) = &postgres {
                pg.limit_notice_writes(config.notice_writes_per_minute);
            }
            let cache = config
                .cache_timetables
                .then(|| TimetableCache::new(data_dir.join("timetables")));
            let deployment =
                Deployment::load_cached(config, || clock.now(), &Quiet, cache.as_ref()).await?;
            let listener = server::bind(listen, send_buffer)
                .with_context(|| format!("cannot listen on {listen}"))?;
            let bound = listener.local_addr()?;
            // Tests and scripts read this line to find a port chosen by the system.
            println!("listening on http://{bound}");
            std::io::stdout().flush()?;
            tracing::info!(%bound, stations = deployment.stations.len(), "serving");
            let mut server = Server::new(deployment, clock);
            if let Some(pg) = postgres {
                server = server.with_postgres(pg, !edge).await?;
            }
            // An edge keeps nothing of its own: the fleet, takeovers and
            // (without PostgreSQL) notices are the ingest node's
            // (docs/scaling.md).
            let server = match (cli.role, cli.nats.clone()) {
                (Role::Edge, Some(url)) => server.receiving_from(url, cli.node_name()),
                (Role::Ingest, Some(url)) => server.with_store(&data_dir)?.publishing_to(
                    url,
                    cli.node_name(),
                    cli.nats_replicas,
                ),
                _ => server.with_store(&data_dir)?,
            };
            server.serve(listener, server::shutdown_signal()).await?;
            Ok(())
        }
    }
}

/// The scopes of `operator add`, refused with the reason when one names nothing:
/// a station the configuration lacks, a route no timetable has (the timetables
/// are loaded for that, and only then), or anything but `station:ID`,
/// `route:ID` and `*`.
async fn check_scopes(
    texts: &[String],
    config: &Config,
    now: impl Fn() -> chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<Scope>> {
    let stations = || {
        config
            .stations
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut scopes = Vec::new();
    for text in texts {
        let scope: Scope = text
            .parse()
            .ok()
            .filter(|s| match s {
                Scope::Station(id) => config.stations.iter().any(|st| st.id == *id),
                _ => true,
            })
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "scope `{text}`: write station:ID (one of {}), route:ID or *",
                    stations()
                )
            })?;
        scopes.push(scope);
    }
    if !scopes.iter().any(|s| matches!(s, Scope::Route(_))) {
        return Ok(scopes);
    }
    let deployment = Deployment::load(config.clone(), now, &Quiet)
        .await
        .context("cannot load the timetables to check the route scopes")?;
    for scope in &scopes {
        scope
            .check(&deployment)
            .map_err(|e| anyhow::anyhow!("scope `{scope}`: {e} in the timetables"))?;
    }
    Ok(scopes)
}

/// Where operators, notices and the audit log are: PostgreSQL with
/// `[store] url`, else the data dir's SQLite.
async fn shared(config: &Config, data_dir: &std::path::Path) -> anyhow::Result<Shared> {
    Ok(match &config.store_url {
        Some(url) => Shared::Postgres(Arc::new(
            Postgres::open(url, config.store_ca_file.as_deref())
                .await
                .context("cannot use the PostgreSQL store of [store] url")?,
        )),
        None => Shared::Sqlite(Arc::new(Store::open(data_dir)?)),
    })
}

async fn operator(
    command: OperatorCommand,
    scopes: Vec<Scope>,
    store: &Shared,
) -> anyhow::Result<()> {
    match command {
        OperatorCommand::Add {
            name, emergency, ..
        } => {
            let token = store.operator_add(name.clone(), scopes, emergency).await?;
            eprintln!("operator {name} added; its token (shown once, keep it safe):");
            println!("{token}");
        }
        OperatorCommand::List => {
            for op in store.operators().await? {
                let state = match &op.revoked_at {
                    Some(at) => format!("revoked {at}"),
                    None => "active".to_string(),
                };
                let mut scopes: Vec<String> = op.scopes.iter().map(ToString::to_string).collect();
                if op.emergency {
                    scopes.push("emergency".into());
                }
                // Names are checked when added; a store written before that
                // check may hold any text, so nothing is printed raw.
                println!(
                    "{}\t{}\t{}\tcreated {}",
                    op.name.escape_debug(),
                    scopes.join(","),
                    state,
                    op.created_at
                );
            }
        }
        OperatorCommand::Revoke { name } => {
            store.operator_revoke(name.clone()).await?;
            eprintln!("operator {name} revoked");
        }
    }
    Ok(())
}
