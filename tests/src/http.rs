//! HTTP for tests: the test crate's own reqwest client, and [`Api`], the REST side
//! of one server (in-process or the binary) with typed answers: a board is a
//! [`Board`], `/healthz` a [`Health`], an error an [`ErrorDetail`].

use std::sync::Once;
use std::time::Duration;

use anyhow::Context as _;
use quai_protocol::{
    Board, ErrorBody, ErrorDetail, Health, NoticeInput, OperatorNotice, StationInfo,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How long a request may take unless an [`Api`] says otherwise.
pub const TIMEOUT: Duration = Duration::from_secs(30);

static CRYPTO: Once = Once::new();

/// A reqwest client with `timeout`. reqwest is built without a TLS crypto provider
/// (the workspace picks rustls' ring): the first call installs it.
pub fn client(timeout: Duration) -> reqwest::Client {
    builder(timeout).build().expect("an HTTP client")
}

fn builder(timeout: Duration) -> reqwest::ClientBuilder {
    CRYPTO.call_once(|| {
        // Fails only if another provider was installed first, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("quai-tests/", env!("CARGO_PKG_VERSION")))
        .gzip(true)
}

/// One answer, read in full: its status, headers and body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.body)
    }
}

impl Answer {
    async fn read(response: reqwest::Response) -> reqwest::Result<Answer> {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// The body as a `T`; panics with the answer when it is not one.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "not a {}: {e}\n{self}",
                std::any::type_name::<T>().rsplit("::").next().unwrap_or("")
            )
        })
    }

    /// The body as raw JSON (null when it is not JSON), for tests about the shape
    /// of the JSON itself.
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The `{"error": {...}}` body of a refusal.
    pub fn error(&self) -> ErrorDetail {
        self.json::<ErrorBody>().error
    }

    /// The notice a notice endpoint answered.
    pub fn notice(&self) -> OperatorNotice {
        self.json::<Stored>().into()
    }

    /// The notices `GET /v1/notices` listed.
    pub fn notices(&self) -> Vec<OperatorNotice> {
        self.json::<Vec<Stored>>()
            .into_iter()
            .map(Into::into)
            .collect()
    }

    /// Panics with the answer unless its status is `status`.
    pub fn expect(self, status: u16) -> Answer {
        assert_eq!(self.status, status, "{self}");
        self
    }
}

/// [`OperatorNotice`] as read back (the protocol type is only written).
#[derive(serde::Deserialize)]
struct Stored {
    id: String,
    version: u64,
    #[serde(flatten)]
    input: NoticeInput,
    created_by: String,
    created_at: String,
    updated_at: String,
    #[serde(default)]
    ended_at: Option<String>,
    /// The screens showing it (`GET` answers only; checked where it matters).
    #[serde(default, rename = "shown_on")]
    _shown_on: Vec<String>,
}

impl From<Stored> for OperatorNotice {
    fn from(s: Stored) -> OperatorNotice {
        OperatorNotice {
            id: s.id,
            version: s.version,
            input: s.input,
            created_by: s.created_by,
            created_at: s.created_at,
            updated_at: s.updated_at,
            ended_at: s.ended_at,
        }
    }
}

/// One request: a method and a path, with an operator's token, an `If-Match`
/// version and a JSON body when given.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub token: Option<&'a str>,
    pub if_match: Option<u64>,
    pub body: Option<String>,
}

/// The REST API of one server at `base` (`http://127.0.0.1:PORT`).
#[derive(Clone)]
pub struct Api {
    pub base: String,
    client: reqwest::Client,
}

impl Api {
    pub fn new(base: impl Into<String>) -> Api {
        Api::with_timeout(base, TIMEOUT)
    }

    pub fn with_timeout(base: impl Into<String>, timeout: Duration) -> Api {
        Api {
            base: base.into(),
            client: client(timeout),
        }
    }

    /// An API whose requests leave from `local` (another loopback address,
    /// 127.0.0.2, is another client to the server's per-address caps).
    pub fn from_address(
        base: impl Into<String>,
        local: std::net::IpAddr,
        timeout: Duration,
    ) -> Api {
        Api {
            base: base.into(),
            client: builder(timeout)
                .local_address(local)
                .build()
                .expect("an HTTP client"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends `request`; its answer, or why none came.
    pub async fn try_send(&self, request: Request<'_>) -> anyhow::Result<Answer> {
        let url = self.url(request.path);
        let method: reqwest::Method = request.method.parse().context("method")?;
        let mut builder = self.client.request(method, &url);
        if let Some(t) = request.token {
            builder = builder.bearer_auth(t);
        }
        if let Some(v) = request.if_match {
            builder = builder.header("If-Match", format!("\"{v}\""));
        }
        if let Some(b) = request.body {
            builder = builder.header("Content-Type", "application/json").body(b);
        }
        let response = builder
            .send()
            .await
            .with_context(|| format!("{} {url}", request.method))?;
        Ok(Answer::read(response).await?)
    }

    /// Sends `request`; panics when no answer comes.
    pub async fn send(&self, request: Request<'_>) -> Answer {
        let what = format!("{} {}", request.method, request.path);
        self.try_send(request)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e:#}"))
    }

    /// `GET path`, whatever the status.
    pub async fn answer(&self, path: &str) -> Answer {
        self.send(Request {
            method: "GET",
            path,
            ..Request::default()
        })
        .await
    }

    /// `GET path` as a `T`; panics unless the status is `expect`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str, expect: u16) -> T {
        self.answer(path).await.expect(expect).json()
    }

    /// `GET path` as a `T`, or why not (a status other than 200 included).
    pub async fn try_get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let answer = self
            .try_send(Request {
                method: "GET",
                path,
                ..Request::default()
            })
            .await?;
        anyhow::ensure!(answer.status == 200, "GET {path}: {answer}");
        serde_json::from_str(&answer.body).with_context(|| format!("GET {path}: {answer}"))
    }

    /// A text document (e.g. `/metrics`), whatever the status.
    pub async fn get_text(&self, path: &str) -> String {
        self.answer(path).await.body
    }

    /// `/metrics`, or why not.
    pub async fn try_metrics(&self) -> anyhow::Result<String> {
        Ok(self
            .try_send(Request {
                method: "GET",
                path: "/metrics",
                ..Request::default()
            })
            .await?
            .body)
    }

    /// `POST path` with `body` as JSON and an operator's bearer `token`.
    pub async fn post_json(&self, path: &str, token: &str, body: &impl Serialize) -> Answer {
        self.send(Request {
            method: "POST",
            path,
            token: Some(token),
            body: Some(serde_json::to_string(body).expect("JSON body")),
            ..Request::default()
        })
        .await
    }

    /// Posts a notice; its id when it was acknowledged (201), None on any other
    /// answer or none (a server killed under its writer).
    pub async fn try_post_notice(&self, token: &str, body: &impl Serialize) -> Option<String> {
        let answer = self
            .try_send(Request {
                method: "POST",
                path: "/v1/notices",
                token: Some(token),
                body: Some(serde_json::to_string(body).ok()?),
                ..Request::default()
            })
            .await
            .ok()?;
        if answer.status != 201 {
            return None;
        }
        serde_json::from_str::<Stored>(&answer.body)
            .ok()
            .map(|n| n.id)
    }

    /// The notices an operator sees (`GET /v1/notices`).
    pub async fn notices(&self, token: &str) -> Vec<OperatorNotice> {
        self.send(Request {
            method: "GET",
            path: "/v1/notices",
            token: Some(token),
            ..Request::default()
        })
        .await
        .expect(200)
        .notices()
    }

    /// The screens an operator sees (`GET /v1/screens`).
    pub async fn screens(&self, token: &str) -> Vec<quai_protocol::Screen> {
        self.send(Request {
            method: "GET",
            path: "/v1/screens",
            token: Some(token),
            ..Request::default()
        })
        .await
        .expect(200)
        .json()
    }

    /// The notices an operator sees, or why not.
    pub async fn try_notices(&self, token: &str) -> anyhow::Result<Vec<OperatorNotice>> {
        let answer = self
            .try_send(Request {
                method: "GET",
                path: "/v1/notices",
                token: Some(token),
                ..Request::default()
            })
            .await?;
        anyhow::ensure!(answer.status == 200, "GET /v1/notices: {answer}");
        let stored: Vec<Stored> =
            serde_json::from_str(&answer.body).with_context(|| format!("{answer}"))?;
        Ok(stored.into_iter().map(Into::into).collect())
    }

    /// A station's board (`query`: "" or "?limit=N").
    pub async fn board(&self, station: &str, query: &str) -> Board {
        self.get(&format!("/v1/stations/{station}/board{query}"), 200)
            .await
    }

    pub async fn stations(&self) -> Vec<StationInfo> {
        self.get("/v1/stations", 200).await
    }

    pub async fn health(&self) -> Health {
        self.get("/healthz", 200).await
    }

    /// Caudry's board published at `seq` (limit 30), from the server's
    /// archive, which writes a moment after publishing: asked again for up
    /// to 5 s.
    pub async fn board_at(&self, seq: u64) -> quai_protocol::Board {
        let path = format!("/v1/stations/caudry/board?seq={seq}&limit=30");
        for _ in 0..100 {
            let answer = self.answer(&path).await;
            if answer.status == 200 {
                return answer.json();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.get(&path, 200).await
    }

    /// Waits until `/healthz` lists feed `id` as not stale (a realtime message was
    /// accepted and is fresh).
    pub async fn wait_fresh(&self, id: &str) -> Health {
        self.wait_health(id, false).await
    }

    /// Waits (up to 20 s) until feed `id` in `/healthz` has `stale == stale`.
    pub async fn wait_health(&self, id: &str, stale: bool) -> Health {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let health = self.health().await;
            if health.feeds.iter().any(|f| f.id == id && f.stale == stale) {
                return health;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "feed {id} never became stale={stale}: {health:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The value of the sample `name` (no labels) in a `/metrics` text.
pub fn metric(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// The body of an information notice about the station `caudry`, headed `header`
/// in French (the notices of load, durability and full-disk runs).
pub fn info_notice(header: &str) -> serde_json::Value {
    serde_json::json!({
        "severity": "info",
        "cause": "maintenance",
        "effect": "other_effect",
        "header": {"fr": header},
        "informed_entities": [{"station": "caudry"}],
    })
}
