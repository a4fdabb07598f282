//! Web Push alerts (`/v1/push/…`, docs/app.md): what the app sends to
//! subscribe, what the server answers, and what each push carries to the
//! app's service worker (encrypted, RFC 8291).

use serde::{Deserialize, Serialize};

/// What a push subscription follows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Follow {
    /// A line, `{feed}:{route_id}`: its notices.
    Route { route_id: String },
    /// A stop, `{feed}:{stop_id}`: its notices.
    Stop { stop_id: String },
    /// A departure (a board's or a trip's call id): the trip's notices, and
    /// its cancellation, platform change or delay at that call.
    Trip { departure_id: String },
}

/// The browser's `PushSubscription.toJSON()`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrowserSubscription {
    pub endpoint: String,
    pub keys: SubscriptionKeys,
    /// Given by some browsers; not kept.
    #[serde(default, rename = "expirationTime", skip_serializing)]
    pub expiration_time: Option<f64>,
}

/// The subscription's keys, base64url: the browser's P-256 public key and
/// its 16-byte authentication secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionKeys {
    pub p256dh: String,
    pub auth: String,
}

/// `POST /v1/push/subscriptions`: the whole set this browser follows (it
/// replaces the set sent before from the same browser).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSubscriptionInput {
    pub subscription: BrowserSubscription,
    pub follows: Vec<Follow>,
    /// The language of the pushes: `fr` (default) or `en`.
    #[serde(default = "french")]
    pub lang: String,
}

fn french() -> String {
    "fr".into()
}

/// A subscription as stored (never its endpoint or keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushSubscription {
    /// What `GET`/`DELETE /v1/push/subscriptions/{id}` take.
    pub id: String,
    pub follows: Vec<Follow>,
    pub lang: String,
    /// RFC 3339, UTC: deleted then unless the app sends it again.
    pub expires_at: String,
}

/// `GET /v1/push/key`: the server's VAPID public key, for
/// `pushManager.subscribe({applicationServerKey})`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushKey {
    /// Uncompressed P-256 point, base64url without padding.
    pub public_key: String,
}

/// What a push carries (decrypted by the browser, read by the app's
/// service worker).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushMessage {
    pub title: String,
    pub body: String,
    /// The app's page to open (a path on the server).
    pub url: String,
    /// One tag per subject: a newer push replaces the notification shown.
    pub tag: String,
    pub lang: String,
    /// Within the quiet hours: shown without sound or vibration.
    pub silent: bool,
}
