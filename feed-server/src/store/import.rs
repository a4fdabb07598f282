//! Switching an installation to PostgreSQL (`feed-server import`,
//! docs/scaling.md): what a data dir's SQLite holds that PostgreSQL holds
//! too (operators, every notice, takeovers, the audit log, the push key,
//! subscriptions, follows and pushes waiting), read row by row as stored,
//! for [`super::Postgres::import`]. Rows are copied, not re-made: tokens
//! keep working (only their hashes are kept), the audit log keeps its
//! chain (an entry's hash names its fields and the hash before, not its
//! number), and phones keep their subscriptions (the VAPID key comes too).

use rusqlite::Row;

use super::{Store, StoreError};

/// `name, token_hash, scopes, created_at, revoked_at, emergency`.
pub type OperatorRow = (String, String, String, String, Option<String>, bool);
/// `id, version, body, created_by, created_at, updated_at, ended_at`.
pub type NoticeRow = (String, i64, String, String, String, String, Option<String>);
/// `at, operator, action, notice_id, before, after, hash`.
pub type AuditRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);
/// `id, body, started_by, started_at, ended_at, ended_by`.
pub type EmergencyRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);
/// `id, endpoint, p256dh, auth, lang, created_at, seen_at`.
pub type SubscriptionRow = (String, String, String, String, String, String, String);
/// `subscription, follow, seen`.
pub type FollowRow = (String, String, Option<String>);
/// `subscription, tag, payload, urgency, ttl_s, attempts, next_at, created_at`.
pub type OutboxRow = (String, String, String, String, i64, i64, String, String);

/// What a data dir's SQLite holds that PostgreSQL can hold, in the order
/// it was written.
#[derive(Debug, Default)]
pub struct Exported {
    pub operators: Vec<OperatorRow>,
    pub notices: Vec<NoticeRow>,
    pub audit: Vec<AuditRow>,
    pub emergencies: Vec<EmergencyRow>,
    /// The VAPID key (PKCS#8) and when it was made.
    pub push_key: Option<(Vec<u8>, String)>,
    pub subscriptions: Vec<SubscriptionRow>,
    pub follows: Vec<FollowRow>,
    pub outbox: Vec<OutboxRow>,
}

impl Exported {
    /// What was read, for the command's report.
    pub fn summary(&self) -> String {
        format!(
            "{} operators, {} notices, {} audit entries, {} takeovers, {} push key, {} push subscriptions ({} follows, {} pushes waiting)",
            self.operators.len(),
            self.notices.len(),
            self.audit.len(),
            self.emergencies.len(),
            usize::from(self.push_key.is_some()),
            self.subscriptions.len(),
            self.follows.len(),
            self.outbox.len(),
        )
    }
}

impl Store {
    /// Everything [`Exported`] names, in one read transaction.
    pub fn export(&self) -> Result<Exported, StoreError> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        let all = |sql: &str| -> Result<Vec<Vec<Value>>, StoreError> {
            let mut stmt = tx.prepare(sql)?;
            let width = stmt.column_count();
            let rows = stmt.query_map([], |r| (0..width).map(|i| value(r, i)).collect())?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        let mut exported = Exported::default();
        for r in all(
            "SELECT name, token_hash, scopes, created_at, revoked_at, emergency FROM operators ORDER BY created_at, name",
        )? {
            exported.operators.push((
                r[0].text()?,
                r[1].text()?,
                r[2].text()?,
                r[3].text()?,
                r[4].maybe()?,
                r[5].int()? != 0,
            ));
        }
        for r in all(
            "SELECT id, version, body, created_by, created_at, updated_at, ended_at FROM notices ORDER BY created_at, id",
        )? {
            exported.notices.push((
                r[0].text()?,
                r[1].int()?,
                r[2].text()?,
                r[3].text()?,
                r[4].text()?,
                r[5].text()?,
                r[6].maybe()?,
            ));
        }
        for r in all(
            "SELECT at, operator, action, notice_id, before, after, hash FROM audit ORDER BY seq",
        )? {
            exported.audit.push((
                r[0].text()?,
                r[1].text()?,
                r[2].text()?,
                r[3].maybe()?,
                r[4].maybe()?,
                r[5].maybe()?,
                r[6].text()?,
            ));
        }
        for r in all(
            "SELECT id, body, started_by, started_at, ended_at, ended_by FROM emergencies ORDER BY started_at, id",
        )? {
            exported.emergencies.push((
                r[0].text()?,
                r[1].text()?,
                r[2].text()?,
                r[3].text()?,
                r[4].maybe()?,
                r[5].maybe()?,
            ));
        }
        if let Some(r) = all("SELECT pkcs8, created_at FROM push_keys WHERE id = 1")?.first() {
            exported.push_key = Some((r[0].blob()?, r[1].text()?));
        }
        for r in all(
            "SELECT id, endpoint, p256dh, auth, lang, created_at, seen_at FROM push_subscriptions ORDER BY created_at, id",
        )? {
            exported.subscriptions.push((
                r[0].text()?,
                r[1].text()?,
                r[2].text()?,
                r[3].text()?,
                r[4].text()?,
                r[5].text()?,
                r[6].text()?,
            ));
        }
        // In the order given (what a subscription's follows are listed in).
        for r in all("SELECT subscription, follow, seen FROM push_follows ORDER BY rowid")? {
            exported
                .follows
                .push((r[0].text()?, r[1].text()?, r[2].maybe()?));
        }
        for r in all(
            "SELECT subscription, tag, payload, urgency, ttl_s, attempts, next_at, created_at FROM push_outbox ORDER BY id",
        )? {
            exported.outbox.push((
                r[0].text()?,
                r[1].text()?,
                r[2].text()?,
                r[3].text()?,
                r[4].int()?,
                r[5].int()?,
                r[6].text()?,
                r[7].text()?,
            ));
        }
        Ok(exported)
    }
}

/// One column of a row, as SQLite stored it.
enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

fn value(r: &Row<'_>, i: usize) -> rusqlite::Result<Value> {
    use rusqlite::types::ValueRef;
    Ok(match r.get_ref(i)? {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Int(n),
        ValueRef::Real(x) => Value::Text(x.to_string()),
        ValueRef::Text(t) => match std::str::from_utf8(t) {
            Ok(t) => Value::Text(t.to_string()),
            // Not changed into something else on the way: refused.
            Err(_) => Value::Blob(t.to_vec()),
        },
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    })
}

impl Value {
    fn corrupt(&self, want: &str) -> StoreError {
        let got = match self {
            Value::Null => "null",
            Value::Int(_) => "an integer",
            Value::Text(_) => "text",
            Value::Blob(_) => "bytes",
        };
        StoreError::Corrupt(format!("{got} where {want} was expected"))
    }

    fn text(&self) -> Result<String, StoreError> {
        match self {
            Value::Text(t) => Ok(t.clone()),
            other => Err(other.corrupt("text")),
        }
    }

    fn maybe(&self) -> Result<Option<String>, StoreError> {
        match self {
            Value::Null => Ok(None),
            other => other.text().map(Some),
        }
    }

    fn int(&self) -> Result<i64, StoreError> {
        match self {
            Value::Int(n) => Ok(*n),
            other => Err(other.corrupt("an integer")),
        }
    }

    fn blob(&self) -> Result<Vec<u8>, StoreError> {
        match self {
            Value::Blob(b) => Ok(b.clone()),
            other => Err(other.corrupt("bytes")),
        }
    }
}
