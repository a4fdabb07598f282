-- Web Push (docs/app.md): the server's VAPID key, the browsers'
-- subscriptions, what each follows and was last told, the pushes to send;
-- the SQLite store's tables (feed-server/src/store/push.rs), shared so that
-- an app may subscribe through any node and keep its subscription across
-- them. `added` orders a subscription's follows as they were given.
CREATE TABLE push_keys (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pkcs8 BYTEA NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE push_subscriptions (
    id TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    lang TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
CREATE TABLE push_follows (
    subscription TEXT NOT NULL REFERENCES push_subscriptions (id) ON DELETE CASCADE,
    follow TEXT NOT NULL,
    seen TEXT,
    added BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (subscription, follow)
);
CREATE TABLE push_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription TEXT NOT NULL REFERENCES push_subscriptions (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    payload TEXT NOT NULL,
    urgency TEXT NOT NULL,
    ttl_s BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (subscription, tag)
);
CREATE INDEX push_outbox_next ON push_outbox (next_at);
