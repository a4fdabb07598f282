//! Web Push subscriptions, kept with the notices: the browser's endpoint and
//! keys, what it follows and what it was last told of each (so that a change
//! is pushed once, restarts included), and the pushes waiting to go out (an
//! outbox: a push decided is not lost if the push service is down or the
//! server stops). Nothing else about the person is kept (docs/privacy.md).

use quai_protocol::{Follow, PushSubscription, PushSubscriptionInput};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, random_hex};

/// Subscriptions kept at most (a new one beyond is refused).
pub const MAX_SUBSCRIPTIONS: i64 = 200_000;

/// Where a push goes: a subscription's endpoint and keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    pub id: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub lang: String,
}

/// One follow of one subscription, with what it was last told (JSON, None
/// until first looked at).
#[derive(Debug, Clone, PartialEq)]
pub struct Following {
    pub subscription: String,
    pub lang: String,
    pub follow: Follow,
    pub seen: Option<String>,
}

/// What the watcher decided for one follow: what it now knows, and the push
/// to send, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Told {
    pub subscription: String,
    pub follow: Follow,
    pub seen: String,
    pub push: Vec<Queued>,
}

/// A push to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    /// One per subject: a newer push of the same tag replaces one not yet sent.
    pub tag: String,
    /// The `PushMessage`, JSON.
    pub payload: String,
    /// RFC 8030 `Urgency`.
    pub urgency: &'static str,
    /// RFC 8030 `TTL`, seconds.
    pub ttl_s: u32,
}

/// A push waiting in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    pub row: i64,
    pub to: Recipient,
    pub tag: String,
    pub payload: String,
    pub urgency: String,
    pub ttl_s: u32,
    pub attempts: u32,
    pub created_at: String,
}

/// A follow as a column value (its JSON, which is canonical: one key).
pub(super) fn follow_key(f: &Follow) -> Result<String, StoreError> {
    serde_json::to_string(f).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn at(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Store {
    /// The server's VAPID key (PKCS#8), made by `generate` on first use.
    pub fn push_key(
        &self,
        generate: impl FnOnce() -> Result<Vec<u8>, StoreError>,
    ) -> Result<Vec<u8>, StoreError> {
        let conn = self.conn();
        let kept: Option<Vec<u8>> = conn
            .query_row("SELECT pkcs8 FROM push_keys WHERE id = 1", [], |r| r.get(0))
            .optional()?;
        if let Some(key) = kept {
            return Ok(key);
        }
        let key = generate()?;
        conn.execute(
            "INSERT INTO push_keys (id, pkcs8, created_at) VALUES (1, ?1, ?2)",
            params![key, super::now()],
        )?;
        Ok(key)
    }

    /// Keeps the subscription of `input` (a browser already subscribed keeps
    /// its id and what it was told of the follows it keeps) until `expires`.
    pub fn push_subscribe(
        &self,
        input: &PushSubscriptionInput,
        now: chrono::DateTime<chrono::Utc>,
        keep: chrono::Duration,
    ) -> Result<PushSubscription, StoreError> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        let s = &input.subscription;
        let known: Option<(String, String)> = tx
            .query_row(
                "SELECT id, auth FROM push_subscriptions WHERE endpoint = ?1",
                [&s.endpoint],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        // Keys that are not the subscription's: a new subscription (a new
        // id), not a way into the old one's id and follows.
        let known = match known {
            Some((id, auth)) if auth == s.keys.auth => Some(id),
            Some((id, _)) => {
                tx.execute("DELETE FROM push_subscriptions WHERE id = ?1", [&id])?;
                None
            }
            None => None,
        };
        let id = match known {
            Some(id) => {
                tx.execute(
                    "UPDATE push_subscriptions SET p256dh = ?2, auth = ?3, lang = ?4, seen_at = ?5 WHERE id = ?1",
                    params![id, s.keys.p256dh, s.keys.auth, input.lang, at(now)],
                )?;
                id
            }
            None => {
                let count: i64 =
                    tx.query_row("SELECT COUNT(*) FROM push_subscriptions", [], |r| r.get(0))?;
                if count >= MAX_SUBSCRIPTIONS {
                    return Err(StoreError::PushFull);
                }
                let id = format!("s-{}", random_hex(16)?);
                tx.execute(
                    "INSERT INTO push_subscriptions (id, endpoint, p256dh, auth, lang, created_at, seen_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                    params![id, s.endpoint, s.keys.p256dh, s.keys.auth, input.lang, at(now)],
                )?;
                id
            }
        };
        let keys = input
            .follows
            .iter()
            .map(follow_key)
            .collect::<Result<Vec<_>, _>>()?;
        let old: Vec<String> = {
            let mut stmt = tx.prepare("SELECT follow FROM push_follows WHERE subscription = ?1")?;
            stmt.query_map([&id], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        for gone in old.iter().filter(|o| !keys.contains(o)) {
            tx.execute(
                "DELETE FROM push_follows WHERE subscription = ?1 AND follow = ?2",
                params![id, gone],
            )?;
        }
        for key in &keys {
            tx.execute(
                "INSERT OR IGNORE INTO push_follows (subscription, follow) VALUES (?1, ?2)",
                params![id, key],
            )?;
        }
        tx.commit()?;
        Ok(PushSubscription {
            id,
            follows: input.follows.clone(),
            lang: input.lang.clone(),
            expires_at: at(now + keep),
        })
    }

    /// Subscription `id`, as the app may read it back.
    pub fn push_subscription(
        &self,
        id: &str,
        keep: chrono::Duration,
    ) -> Result<Option<PushSubscription>, StoreError> {
        let conn = self.conn();
        let row: Option<(String, String)> = conn
            .query_row(
                "SELECT lang, seen_at FROM push_subscriptions WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((lang, seen_at)) = row else {
            return Ok(None);
        };
        let mut stmt =
            conn.prepare("SELECT follow FROM push_follows WHERE subscription = ?1 ORDER BY rowid")?;
        let follows = stmt
            .query_map([id], |r| r.get::<_, String>(0))?
            .map(|k| serde_json::from_str(&k?).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect::<Result<Vec<Follow>, StoreError>>()?;
        let seen = chrono::DateTime::parse_from_rfc3339(&seen_at)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?
            .with_timezone(&chrono::Utc);
        Ok(Some(PushSubscription {
            id: id.to_string(),
            follows,
            lang,
            expires_at: at(seen + keep),
        }))
    }

    /// Deletes subscription `id` with its follows and waiting pushes;
    /// whether it existed.
    pub fn push_unsubscribe(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .execute("DELETE FROM push_subscriptions WHERE id = ?1", [id])?
            > 0)
    }

    /// Every follow of every subscription.
    pub fn push_follows(&self) -> Result<Vec<Following>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT f.subscription, s.lang, f.follow, f.seen FROM push_follows f
             JOIN push_subscriptions s ON s.id = f.subscription",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        rows.map(|row| {
            let (subscription, lang, follow, seen) = row?;
            let follow =
                serde_json::from_str(&follow).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok(Following {
                subscription,
                lang,
                follow,
                seen,
            })
        })
        .collect()
    }

    /// Writes what each follow now knows and queues its push, all at once:
    /// a change is either recorded and queued, or neither.
    pub fn push_told(
        &self,
        told: &[Told],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        for t in told {
            let key = follow_key(&t.follow)?;
            let changed = tx.execute(
                "UPDATE push_follows SET seen = ?3 WHERE subscription = ?1 AND follow = ?2",
                params![t.subscription, key, t.seen],
            )?;
            // Unfollowed meanwhile: nothing to send.
            for q in t.push.iter().filter(|_| changed == 1) {
                tx.execute(
                    "INSERT OR REPLACE INTO push_outbox (subscription, tag, payload, urgency, ttl_s, attempts, next_at, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?6)",
                    params![t.subscription, q.tag, q.payload, q.urgency, q.ttl_s, at(now)],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Stops following `follow` (a trip that has left).
    pub fn push_unfollow(&self, subscription: &str, follow: &Follow) -> Result<(), StoreError> {
        self.conn().execute(
            "DELETE FROM push_follows WHERE subscription = ?1 AND follow = ?2",
            params![subscription, follow_key(follow)?],
        )?;
        Ok(())
    }

    /// The pushes due at `now`, oldest first, at most `limit`.
    pub fn push_due(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Vec<Waiting>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT o.id, s.id, s.endpoint, s.p256dh, s.auth, s.lang, o.tag, o.payload, o.urgency, o.ttl_s, o.attempts, o.created_at
             FROM push_outbox o JOIN push_subscriptions s ON s.id = o.subscription
             WHERE o.next_at <= ?1 ORDER BY o.next_at LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![at(now), limit as i64], |r| {
            Ok(Waiting {
                row: r.get(0)?,
                to: Recipient {
                    id: r.get(1)?,
                    endpoint: r.get(2)?,
                    p256dh: r.get(3)?,
                    auth: r.get(4)?,
                    lang: r.get(5)?,
                },
                tag: r.get(6)?,
                payload: r.get(7)?,
                urgency: r.get(8)?,
                ttl_s: r.get(9)?,
                attempts: r.get(10)?,
                created_at: r.get(11)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A push is sent (or will never be): out of the outbox, unless a newer
    /// one of the same tag replaced it meanwhile (another row: ids are never
    /// reused).
    pub fn push_sent(&self, row: i64) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM push_outbox WHERE id = ?1", [row])?;
        Ok(())
    }

    /// A push to try again at `next`.
    pub fn push_later(
        &self,
        row: i64,
        attempts: u32,
        next: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE push_outbox SET attempts = ?2, next_at = ?3 WHERE id = ?1",
            params![row, attempts, at(next)],
        )?;
        Ok(())
    }

    /// Deletes the subscriptions the app has not renewed since `before`;
    /// how many.
    pub fn push_sweep(&self, before: chrono::DateTime<chrono::Utc>) -> Result<usize, StoreError> {
        Ok(self.conn().execute(
            "DELETE FROM push_subscriptions WHERE seen_at < ?1",
            [at(before)],
        )?)
    }
}
