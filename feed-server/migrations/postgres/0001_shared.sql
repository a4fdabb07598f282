-- What every node of a scaled-out deployment shares (docs/scaling.md):
-- operators, every version of each notice, and the audit log. The columns
-- are the SQLite store's (feed-server/src/store/mod.rs), instants as RFC 3339
-- text in UTC, so that rows read the same from either.
CREATE TABLE operators (
    name TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    emergency BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE notices (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    ended_at TEXT
);
-- Each entry's hash chains it to the one before (store::audit).
CREATE TABLE audit (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TEXT NOT NULL,
    operator TEXT NOT NULL,
    action TEXT NOT NULL,
    notice_id TEXT,
    before TEXT,
    after TEXT,
    hash TEXT NOT NULL
);
