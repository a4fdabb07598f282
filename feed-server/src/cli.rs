//! Command line: `feed-server [serve] [--config FILE] [--listen ADDR] [--now RFC3339]`
//! and `feed-server check --config FILE`. Global flags work before or after the
//! subcommand.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, Utc};
use clap::{Parser, Subcommand, ValueEnum};

use crate::clock::Clock;

#[derive(Debug, Parser)]
#[command(
    name = "feed-server",
    version,
    about = "Quai feed server: live departure boards from GTFS, GTFS-Realtime, notices and advisories",
    after_help = "Without --config, serves the embedded Caudry demo network on 127.0.0.1:8080."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Station configuration (TOML). Without it: the embedded Caudry demo.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Address to listen on (default: the config's server.listen, else 127.0.0.1:8080).
    /// Port 0 picks a free port; the address actually bound is printed on stdout.
    #[arg(long, global = true, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// Answer as if it were this instant (RFC 3339, e.g. 2025-02-03T07:30:00+01:00):
    /// for replaying old feeds and for tests.
    #[arg(long, global = true, value_name = "RFC3339", value_parser = parse_instant)]
    pub now: Option<DateTime<FixedOffset>>,

    /// Where operators, notices and the audit log are kept (SQLite). Default: the
    /// config's [store] data_dir, else ./quai-data.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// `single` (the default: one process does everything); `ingest`: also
    /// publish every station's boards to NATS JetStream (--nats), while this
    /// node holds the ingest lease; `edge`: poll nothing, serve the boards
    /// the ingest node publishes (docs/scaling.md).
    #[arg(long, global = true, value_enum, default_value_t = Role::Single, requires_if("ingest", "nats"), requires_if("edge", "nats"))]
    pub role: Role,

    /// The NATS server of the ingest and edge roles, e.g.
    /// nats://127.0.0.1:4222; or several servers of one cluster,
    /// comma-separated (a node reaches one of them, in no set order, and
    /// moves to another when it goes).
    #[arg(long, global = true, value_name = "URL[,URL…]")]
    pub nats: Option<String>,

    /// Ingest nodes: on how many NATS servers the stream and the buckets
    /// are kept, 1 to 5: 3 on a cluster of three or more, so that one
    /// server lost loses nothing. Given, what exists with another number is
    /// changed to it (the same on every ingest node, then); not given, they
    /// are made with one copy and what exists is left as it is.
    #[arg(long, global = true, value_name = "N")]
    pub nats_replicas: Option<usize>,

    /// This node's name in the ingest lease and in `/healthz` (default: the
    /// host's name and the process id).
    #[arg(long, global = true, value_name = "NAME")]
    pub node_name: Option<String>,

    /// With --now: keep the clock fixed at that instant, or let it run from there.
    #[arg(long, global = true, value_enum, default_value_t = ClockMode::Fixed, requires = "now")]
    pub clock: ClockMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    Single,
    Ingest,
    Edge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClockMode {
    Fixed,
    Running,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve boards over HTTP (the default).
    Serve,
    /// Load everything the configuration names, print a summary and exit.
    Check,
    /// Manage the operators who may publish notices.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Make a token for a [[sensor_integrations]]: prints the token (give it to
    /// the network server) and its SHA-256 (write it as `token_sha256`).
    Token,
    /// Copy the data dir's operators, notices, takeovers, audit log and push
    /// subscriptions (with the push key) into the PostgreSQL of the
    /// configuration's `[store] url`, to switch an installation to it
    /// (docs/scaling.md). Refused, copying nothing, unless that PostgreSQL
    /// holds none of them yet.
    Import,
    /// Print the audit log (who changed what, when), newest last, as JSON lines.
    Audit {
        /// How many entries, counting back from the newest.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Check instead that no entry was edited, inserted or removed (each
        /// entry's hash chains it to the one before); exit status 1 if one was.
        #[arg(long)]
        verify: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Add an operator and print its token (shown once; only its hash is kept).
    Add {
        name: String,
        /// What the operator's notices may touch: station:ID, route:ID or *
        /// (repeatable; none with --emergency alone: takeovers only).
        #[arg(long = "scope", required_unless_present = "emergency")]
        scopes: Vec<String>,
        /// May also start and end emergency takeovers of any station's
        /// screens (`POST /v1/emergencies`), whatever its scopes.
        #[arg(long)]
        emergency: bool,
    },
    /// List the operators, their scopes and whether they are revoked.
    List,
    /// Revoke an operator's token.
    Revoke { name: String },
}

impl Cli {
    /// The data dir: `--data-dir`, else the configuration's, else `quai-data`.
    pub fn data_dir(&self, config: &crate::config::Config) -> PathBuf {
        self.data_dir
            .clone()
            .or_else(|| config.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from(crate::config::defaults::DATA_DIR))
    }

    /// This node's name: `--node-name`, else `{host}:{pid}`.
    pub fn node_name(&self) -> String {
        self.node_name.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_else(|_| "node".into());
            format!("{host}:{}", std::process::id())
        })
    }

    pub fn clock(&self) -> Clock {
        match (self.now, self.clock) {
            (None, _) => Clock::System,
            (Some(t), ClockMode::Fixed) => Clock::Fixed(t.with_timezone(&Utc)),
            (Some(t), ClockMode::Running) => Clock::running_from(t),
        }
    }
}

fn parse_instant(s: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s).map_err(|e| {
        format!("`{s}` is not an RFC 3339 instant such as 2025-02-03T07:30:00+01:00 ({e})")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "feed-server",
            "check",
            "--config",
            "x.toml",
            "--now",
            "2025-02-03T07:30:00+01:00",
        ])
        .unwrap();
        assert!(matches!(cli.command, Some(Command::Check)));
        assert_eq!(cli.config, Some(PathBuf::from("x.toml")));
        assert_eq!(
            cli.clock(),
            Clock::Fixed("2025-02-03T06:30:00Z".parse().unwrap())
        );
    }

    #[test]
    fn a_bad_instant_is_explained() {
        let e = Cli::try_parse_from(["feed-server", "--now", "tomorrow"]).unwrap_err();
        assert!(e.to_string().contains("is not an RFC 3339 instant"), "{e}");
    }
}
