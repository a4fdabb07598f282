//! Web Push subscriptions in PostgreSQL: what `store::push` keeps in
//! SQLite, call for call (see there for what each call means).

use quai_protocol::{Follow, PushSubscription, PushSubscriptionInput};
use tokio_postgres::Row;

use super::super::push::{Following, MAX_SUBSCRIPTIONS, Recipient, Told, Waiting, at, follow_key};
use super::super::{StoreError, now, random_hex};
use super::{PUSH_LOCK, Postgres};

type Instant = chrono::DateTime<chrono::Utc>;

/// How long a push read to be sent is set aside: longer than a batch takes
/// (64 pushes, 8 at a time, each up to 15 s: 2 min).
const CLAIM: chrono::TimeDelta = chrono::TimeDelta::minutes(3);

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl Postgres {
    /// The server's VAPID key (PKCS#8), made by `generate` on first use;
    /// two nodes starting together keep the same one.
    pub async fn push_key(&self, generate: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let created = now();
        self.run(move |client| {
            Box::pin(async move {
                client
                    .execute(
                        "INSERT INTO push_keys (id, pkcs8, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
                        &[&generate, &created],
                    )
                    .await?;
                let row = client
                    .query_one("SELECT pkcs8 FROM push_keys WHERE id = 1", &[])
                    .await?;
                Ok(row.try_get(0)?)
            })
        })
        .await
    }

    pub async fn push_subscribe(
        &self,
        input: &PushSubscriptionInput,
        now: Instant,
        keep: chrono::Duration,
    ) -> Result<PushSubscription, StoreError> {
        let input = input.clone();
        let fresh = format!("s-{}", random_hex(16)?);
        let keys = input
            .follows
            .iter()
            .map(follow_key)
            .collect::<Result<Vec<_>, _>>()?;
        self.run(move |client| {
            Box::pin(async move {
                let tx = client.transaction().await?;
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PUSH_LOCK])
                    .await?;
                let s = &input.subscription;
                // Locked: a sweep or a delete through another node waits,
                // or has already gone through (then this is a new one).
                let known = tx
                    .query_opt(
                        "SELECT id, auth FROM push_subscriptions WHERE endpoint = $1 FOR UPDATE",
                        &[&s.endpoint],
                    )
                    .await?;
                let known = match known {
                    Some(row) => {
                        let (id, auth): (String, String) = (row.try_get(0)?, row.try_get(1)?);
                        if auth == s.keys.auth {
                            Some(id)
                        } else {
                            tx.execute("DELETE FROM push_subscriptions WHERE id = $1", &[&id])
                                .await?;
                            None
                        }
                    }
                    None => None,
                };
                let seen_at = at(now);
                let id = match known {
                    Some(id) => {
                        tx.execute(
                            "UPDATE push_subscriptions SET p256dh = $2, auth = $3, lang = $4, seen_at = $5 WHERE id = $1",
                            &[&id, &s.keys.p256dh, &s.keys.auth, &input.lang, &seen_at],
                        )
                        .await?;
                        id
                    }
                    None => {
                        let count: i64 = tx
                            .query_one("SELECT COUNT(*) FROM push_subscriptions", &[])
                            .await?
                            .try_get(0)?;
                        if count >= MAX_SUBSCRIPTIONS {
                            return Err(StoreError::PushFull);
                        }
                        tx.execute(
                            "INSERT INTO push_subscriptions (id, endpoint, p256dh, auth, lang, created_at, seen_at)
                             VALUES ($1, $2, $3, $4, $5, $6, $6)",
                            &[&fresh, &s.endpoint, &s.keys.p256dh, &s.keys.auth, &input.lang, &seen_at],
                        )
                        .await?;
                        fresh
                    }
                };
                tx.execute(
                    "DELETE FROM push_follows WHERE subscription = $1 AND NOT (follow = ANY($2))",
                    &[&id, &keys],
                )
                .await?;
                for key in &keys {
                    tx.execute(
                        "INSERT INTO push_follows (subscription, follow) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        &[&id, key],
                    )
                    .await?;
                }
                tx.commit().await?;
                Ok(PushSubscription {
                    id,
                    follows: input.follows.clone(),
                    lang: input.lang.clone(),
                    expires_at: at(now + keep),
                })
            })
        })
        .await
    }

    pub async fn push_subscription(
        &self,
        id: &str,
        keep: chrono::Duration,
    ) -> Result<Option<PushSubscription>, StoreError> {
        let id = id.to_string();
        self.run(move |client| {
            Box::pin(async move {
                let Some(row) = client
                    .query_opt(
                        "SELECT lang, seen_at FROM push_subscriptions WHERE id = $1",
                        &[&id],
                    )
                    .await?
                else {
                    return Ok(None);
                };
                let (lang, seen_at): (String, String) = (row.try_get(0)?, row.try_get(1)?);
                let follows = client
                    .query(
                        "SELECT follow FROM push_follows WHERE subscription = $1 ORDER BY added",
                        &[&id],
                    )
                    .await?
                    .iter()
                    .map(|r| {
                        let key: String = r.try_get(0)?;
                        serde_json::from_str(&key).map_err(corrupt)
                    })
                    .collect::<Result<Vec<Follow>, StoreError>>()?;
                let seen = chrono::DateTime::parse_from_rfc3339(&seen_at)
                    .map_err(corrupt)?
                    .with_timezone(&chrono::Utc);
                Ok(Some(PushSubscription {
                    id,
                    follows,
                    lang,
                    expires_at: at(seen + keep),
                }))
            })
        })
        .await
    }

    pub async fn push_unsubscribe(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.run(move |client| {
            Box::pin(async move {
                let n = client
                    .execute("DELETE FROM push_subscriptions WHERE id = $1", &[&id])
                    .await?;
                Ok(n > 0)
            })
        })
        .await
    }

    pub async fn push_follows(&self) -> Result<Vec<Following>, StoreError> {
        self.run(move |client| {
            Box::pin(async move {
                let rows = client
                    .query(
                        "SELECT f.subscription, s.lang, f.follow, f.seen FROM push_follows f
                         JOIN push_subscriptions s ON s.id = f.subscription",
                        &[],
                    )
                    .await?;
                rows.iter()
                    .map(|r| {
                        let follow: String = r.try_get(2)?;
                        Ok(Following {
                            subscription: r.try_get(0)?,
                            lang: r.try_get(1)?,
                            follow: serde_json::from_str(&follow).map_err(corrupt)?,
                            seen: r.try_get(3)?,
                        })
                    })
                    .collect()
            })
        })
        .await
    }

    pub async fn push_told(&self, told: &[Told], now: Instant) -> Result<(), StoreError> {
        let told = told.to_vec();
        let now = at(now);
        self.run(move |client| {
            Box::pin(async move {
                let tx = client.transaction().await?;
                for t in &told {
                    let key = follow_key(&t.follow)?;
                    let changed = tx
                        .execute(
                            "UPDATE push_follows SET seen = $3 WHERE subscription = $1 AND follow = $2",
                            &[&t.subscription, &key, &t.seen],
                        )
                        .await?;
                    for q in t.push.iter().filter(|_| changed == 1) {
                        // A newer push of the same tag replaces one waiting
                        // (a new row: the sender's delete of the old one
                        // leaves it).
                        tx.execute(
                            "DELETE FROM push_outbox WHERE subscription = $1 AND tag = $2",
                            &[&t.subscription, &q.tag],
                        )
                        .await?;
                        tx.execute(
                            "INSERT INTO push_outbox (subscription, tag, payload, urgency, ttl_s, attempts, next_at, created_at)
                             VALUES ($1, $2, $3, $4, $5, 0, $6, $6)",
                            &[&t.subscription, &q.tag, &q.payload, &q.urgency, &i64::from(q.ttl_s), &now],
                        )
                        .await?;
                    }
                }
                tx.commit().await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn push_unfollow(
        &self,
        subscription: &str,
        follow: &Follow,
    ) -> Result<(), StoreError> {
        let (subscription, key) = (subscription.to_string(), follow_key(follow)?);
        self.run(move |client| {
            Box::pin(async move {
                client
                    .execute(
                        "DELETE FROM push_follows WHERE subscription = $1 AND follow = $2",
                        &[&subscription, &key],
                    )
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// The pushes due at `now`, oldest first, at most `limit`, each claimed
    /// for [`CLAIM`]: put off by that much, so that a node that takes the
    /// turn while this one is still sending them does not send them too.
    /// Sent, they leave the outbox; not, they are due again after the claim
    /// (a node that died while sending).
    pub async fn push_due(&self, now: Instant, limit: usize) -> Result<Vec<Waiting>, StoreError> {
        let (claim, limit) = (at(now + CLAIM), i64::try_from(limit).unwrap_or(i64::MAX));
        let now = at(now);
        self.run(move |client| {
            Box::pin(async move {
                let rows = client
                    .query(
                        "WITH due AS (
                             SELECT id, next_at FROM push_outbox WHERE next_at <= $1
                             ORDER BY next_at LIMIT $2 FOR UPDATE SKIP LOCKED
                         )
                         UPDATE push_outbox o SET next_at = $3
                         FROM due, push_subscriptions s
                         WHERE o.id = due.id AND s.id = o.subscription
                         RETURNING o.id, s.id, s.endpoint, s.p256dh, s.auth, s.lang, o.tag, o.payload, o.urgency, o.ttl_s, o.attempts, o.created_at, due.next_at",
                        &[&now, &limit, &claim],
                    )
                    .await?;
                let mut due = rows
                    .iter()
                    .map(|r| Ok((r.try_get::<_, String>(12)?, waiting(r)?)))
                    .collect::<Result<Vec<_>, StoreError>>()?;
                due.sort_by(|a, b| a.0.cmp(&b.0));
                Ok(due.into_iter().map(|(_, w)| w).collect())
            })
        })
        .await
    }

    pub async fn push_sent(&self, row: i64) -> Result<(), StoreError> {
        self.run(move |client| {
            Box::pin(async move {
                client
                    .execute("DELETE FROM push_outbox WHERE id = $1", &[&row])
                    .await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn push_later(
        &self,
        row: i64,
        attempts: u32,
        next: Instant,
    ) -> Result<(), StoreError> {
        let next = at(next);
        self.run(move |client| {
            Box::pin(async move {
                client
                    .execute(
                        "UPDATE push_outbox SET attempts = $2, next_at = $3 WHERE id = $1",
                        &[&row, &i64::from(attempts), &next],
                    )
                    .await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn push_sweep(&self, before: Instant) -> Result<usize, StoreError> {
        let before = at(before);
        self.run(move |client| {
            Box::pin(async move {
                let n = client
                    .execute(
                        "DELETE FROM push_subscriptions WHERE seen_at < $1",
                        &[&before],
                    )
                    .await?;
                Ok(usize::try_from(n).unwrap_or(usize::MAX))
            })
        })
        .await
    }
}

fn waiting(r: &Row) -> Result<Waiting, StoreError> {
    let ttl_s: i64 = r.try_get(9)?;
    let attempts: i64 = r.try_get(10)?;
    Ok(Waiting {
        row: r.try_get(0)?,
        to: Recipient {
            id: r.try_get(1)?,
            endpoint: r.try_get(2)?,
            p256dh: r.try_get(3)?,
            auth: r.try_get(4)?,
            lang: r.try_get(5)?,
        },
        tag: r.try_get(6)?,
        payload: r.try_get(7)?,
        urgency: r.try_get(8)?,
        ttl_s: u32::try_from(ttl_s).map_err(corrupt)?,
        attempts: u32::try_from(attempts).map_err(corrupt)?,
        created_at: r.try_get(11)?,
    })
}
