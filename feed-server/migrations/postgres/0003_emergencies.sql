-- Emergency takeovers (docs/operators.md), shared so that a takeover
-- started through any node shows on every node's boards and survives the
-- failover of the ingest node: the SQLite store's table
-- (feed-server/src/store/emergencies.rs), instants as RFC 3339 text in UTC.
-- Their audit entries go to the shared audit log with the notices'.
CREATE TABLE emergencies (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    started_by TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    ended_by TEXT
);
