//! What this process is in a deployment of one or several nodes
//! (docs/scaling.md): a single process, an ingest node or an edge node, with
//! the state of its link to NATS that `/healthz` reports.

pub mod relayed;

use std::sync::Arc;

use quai_protocol::NatsHealth;

use crate::edge::Link;
use crate::lease::Lease;

#[derive(Debug, Clone, Default)]
pub enum Node {
    /// One process does everything (the default).
    #[default]
    Single,
    /// Polls, builds, and publishes to NATS while it holds the lease.
    Ingest { url: String, lease: Arc<Lease> },
    /// Polls nothing: serves the boards received from NATS.
    Edge {
        url: String,
        name: String,
        link: Arc<Link>,
    },
}

impl Node {
    pub fn role(&self) -> &'static str {
        match self {
            Node::Single => "single",
            Node::Ingest { .. } => "ingest",
            Node::Edge { .. } => "edge",
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            Node::Single => None,
            Node::Ingest { lease, .. } => Some(lease.node()),
            Node::Edge { name, .. } => Some(name),
        }
    }

    /// The link to NATS as `/healthz` reports it (None for a single process).
    pub fn nats(&self) -> Option<NatsHealth> {
        match self {
            Node::Single => None,
            Node::Ingest { lease, .. } => Some(NatsHealth {
                connected: lease.connected(),
                lag_messages: None,
                last_message_age_s: None,
                lease_holder: lease.holder(),
                publishing: Some(lease.holds()),
                last_error: lease.last_error(),
            }),
            Node::Edge { link, .. } => {
                let status = link.status();
                Some(NatsHealth {
                    connected: status.connected,
                    lag_messages: Some(status.pending),
                    last_message_age_s: status.since_last_message.map(|d| d.as_secs_f64()),
                    lease_holder: status.lease_holder,
                    publishing: None,
                    last_error: status.last_error,
                })
            }
        }
    }
}

/// The servers of `--nats`: one URL, or several comma-separated (servers of
/// one cluster; a client also learns the others from the one it reaches).
pub fn servers(url: &str) -> Vec<&str> {
    url.split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect()
}

/// How long a JetStream API request (a stream's information, a consumer
/// made, a bucket read) waits for its answer. The client library's 10 s
/// would leave a node waiting that long on a NATS cluster that is electing
/// a new leader after a server died (the answer never comes); a shorter
/// wait and a new try come back sooner. Acknowledgements of what is
/// published keep the library's 5 s.
pub const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

/// The connection options of every NATS connection of a node.
pub fn nats_options() -> async_nats::ConnectOptions {
    async_nats::ConnectOptions::new().request_timeout(Some(ANSWER_WITHIN))
}

#[cfg(test)]
mod tests {
    use super::servers;

    #[test]
    fn one_server_or_a_cluster() {
        assert_eq!(servers("nats://a:4222"), ["nats://a:4222"]);
        assert_eq!(
            servers("nats://a:4222, nats://b:4222,,nats://c:4222 "),
            ["nats://a:4222", "nats://b:4222", "nats://c:4222"]
        );
        assert!(servers(" , ").is_empty());
    }
}
