//! What the kiosk asks the feed server's REST API for: a line, a line's
//! departures from the station, a trip. Asked on a thread of its own (the
//! screen never waits for the network), each answer kept with when it came;
//! what is on screen is asked again every [`REFRESH`], and shown meanwhile.
//!
//! Requests go through a bounded channel of [`QUEUE`]: a kiosk asks for the
//! two or three things of one view at a time, so a full queue means the
//! server is not answering; the newest wish is then dropped and asked again
//! on a later frame (nothing is lost but time).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, channel, sync_channel};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use quai_protocol::{ErrorBody, RouteDepartures, RouteDetail, StationRoutes, Trip};

use super::{DepartureId, RouteId};
use crate::network::Endpoint;

/// How long an answer on screen stays before it is asked again.
pub const REFRESH: Duration = Duration::from_secs(15);
/// Requests waiting for the thread at most.
const QUEUE: usize = 8;
/// No answer after this: the request fails (the view says so).
const TIMEOUT: Duration = Duration::from_secs(10);

/// One thing the kiosk asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Want {
    /// The lines leaving from the kiosk's station.
    StationRoutes,
    Route(RouteId),
    /// The line's next departures from the kiosk's station.
    RouteDepartures(RouteId),
    Trip(DepartureId),
}

/// An answer, parsed.
#[derive(Debug, Clone)]
pub enum Got {
    StationRoutes(Box<StationRoutes>),
    Route(Box<RouteDetail>),
    RouteDepartures(Box<RouteDepartures>),
    Trip(Box<Trip>),
}

/// The answers so far; a failure keeps the server's message (its `error.message`).
#[derive(Resource, Default)]
pub struct Answers {
    got: HashMap<Want, (Instant, Result<Got, String>)>,
    pending: HashSet<Want>,
    /// Answers received: the views are drawn again when it moves.
    pub received: u64,
}

impl Answers {
    pub fn get(&self, want: &Want) -> Option<&Result<Got, String>> {
        self.got.get(want).map(|(_, r)| r)
    }

    pub fn station_routes(&self) -> Option<Result<&StationRoutes, &str>> {
        self.get(&Want::StationRoutes).map(|r| match r {
            Ok(Got::StationRoutes(r)) => Ok(&**r),
            Ok(_) => Err("?"),
            Err(e) => Err(e.as_str()),
        })
    }

    pub fn route(&self, id: &RouteId) -> Option<Result<&RouteDetail, &str>> {
        self.get(&Want::Route(id.clone())).map(|r| match r {
            Ok(Got::Route(r)) => Ok(&**r),
            Ok(_) => Err("?"),
            Err(e) => Err(e.as_str()),
        })
    }

    pub fn route_departures(&self, id: &RouteId) -> Option<Result<&RouteDepartures, &str>> {
        self.get(&Want::RouteDepartures(id.clone()))
            .map(|r| match r {
                Ok(Got::RouteDepartures(r)) => Ok(&**r),
                Ok(_) => Err("?"),
                Err(e) => Err(e.as_str()),
            })
    }

    pub fn trip(&self, id: &DepartureId) -> Option<Result<&Trip, &str>> {
        self.get(&Want::Trip(id.clone())).map(|r| match r {
            Ok(Got::Trip(t)) => Ok(&**t),
            Ok(_) => Err("?"),
            Err(e) => Err(e.as_str()),
        })
    }

    /// Whether every one of `wants` has an answer (for a scripted step, which
    /// waits for the view's data before its picture).
    pub fn settled(&self, wants: &[Want]) -> bool {
        wants
            .iter()
            .all(|w| self.got.contains_key(w) && !self.pending.contains(w))
    }

    /// Forgets everything (an idle reset keeps nothing of the last person).
    pub fn clear(&mut self) {
        self.got.clear();
        self.received += 1;
    }
}

/// The thread's ends.
#[derive(Resource)]
pub struct Api {
    requests: SyncSender<Want>,
    answers: Mutex<Receiver<(Want, Result<Got, String>)>>,
}

/// `ws://host:port/v1/stream` → `http://host:port`.
pub fn base_url(stream_url: &str) -> String {
    let http = if let Some(rest) = stream_url.strip_prefix("wss://") {
        format!("https://{rest}")
    } else if let Some(rest) = stream_url.strip_prefix("ws://") {
        format!("http://{rest}")
    } else {
        stream_url.to_string()
    };
    match http.find("/v1/") {
        Some(i) => http[..i].to_string(),
        None => http.trim_end_matches('/').to_string(),
    }
}

/// Starts the thread.
pub fn start(
    mut commands: Commands,
    endpoint: Res<Endpoint>,
    event_loop: Option<Res<bevy::winit::EventLoopProxyWrapper>>,
) {
    let (requests, inbox) = sync_channel::<Want>(QUEUE);
    let (outbox, answers) = channel();
    let base = base_url(&endpoint.url);
    let station = endpoint.station.clone();
    let proxy = event_loop.map(|p| (**p).clone());
    let spawned = std::thread::Builder::new()
        .name("quai-kiosk-api".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            // An API behind https: the same TLS as the feed server's sources.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let client = match reqwest::Client::builder().timeout(TIMEOUT).build() {
                Ok(c) => c,
                Err(e) => {
                    error!("kiosk: no HTTP client: {e}");
                    return;
                }
            };
            while let Ok(want) = inbox.recv() {
                let answer = runtime.block_on(ask(&client, &base, &station, &want));
                if outbox.send((want, answer)).is_err() {
                    return;
                }
                if let Some(p) = &proxy {
                    let _ = p.send_event(bevy::winit::WinitUserEvent::WakeUp);
                }
            }
        });
    if let Err(e) = spawned {
        error!("kiosk: cannot start the API thread: {e}");
    }
    commands.insert_resource(Api {
        requests,
        answers: Mutex::new(answers),
    });
}

/// Percent-encodes an id for a path segment or a query value.
fn encode(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' | b'@' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn ask(
    client: &reqwest::Client,
    base: &str,
    station: &str,
    want: &Want,
) -> Result<Got, String> {
    let path = match want {
        Want::StationRoutes => format!("/v1/stations/{}/routes", encode(station)),
        Want::Route(id) => format!("/v1/routes/{}", encode(&id.0)),
        Want::RouteDepartures(id) => format!(
            "/v1/routes/{}/departures?station={}&limit=8",
            encode(&id.0),
            encode(station)
        ),
        Want::Trip(id) => format!("/v1/trips/{}", encode(&id.0)),
    };
    let response = client
        .get(format!("{base}{path}"))
        .send()
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| format!("{path}: {e}"))?;
    if !status.is_success() {
        return Err(serde_json::from_slice::<ErrorBody>(&body)
            .map(|b| b.error.message)
            .unwrap_or_else(|_| format!("{path}: HTTP {status}")));
    }
    let parsed = match want {
        Want::StationRoutes => {
            serde_json::from_slice(&body).map(|r| Got::StationRoutes(Box::new(r)))
        }
        Want::Route(_) => serde_json::from_slice(&body).map(|r| Got::Route(Box::new(r))),
        Want::RouteDepartures(_) => {
            serde_json::from_slice(&body).map(|r| Got::RouteDepartures(Box::new(r)))
        }
        Want::Trip(_) => serde_json::from_slice(&body).map(|t| Got::Trip(Box::new(t))),
    };
    parsed.map_err(|e| format!("{path}: {e}"))
}

/// Takes in what the thread answered.
pub fn receive(api: Option<Res<Api>>, mut answers: ResMut<Answers>) {
    let Some(api) = api else { return };
    let Ok(rx) = api.answers.lock() else { return };
    for (want, answer) in rx.try_iter() {
        if let Err(e) = &answer {
            warn!("kiosk: {e}");
        }
        answers.pending.remove(&want);
        answers.got.insert(want, (Instant::now(), answer));
        answers.received += 1;
    }
}

/// Asks for what is wanted and not there, or there for longer than [`REFRESH`].
pub fn request(api: &Api, answers: &mut Answers, wants: &[Want]) {
    for want in wants {
        if answers.pending.contains(want) {
            continue;
        }
        let fresh = answers
            .got
            .get(want)
            .is_some_and(|(at, _)| at.elapsed() < REFRESH);
        if fresh {
            continue;
        }
        match api.requests.try_send(want.clone()) {
            Ok(()) => {
                answers.pending.insert(want.clone());
            }
            Err(TrySendError::Full(_)) => {}
            Err(TrySendError::Disconnected(_)) => {
                answers.got.insert(
                    want.clone(),
                    (Instant::now(), Err("the kiosk's API thread stopped".into())),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_is_beside_the_stream() {
        assert_eq!(
            base_url("ws://127.0.0.1:8080/v1/stream"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            base_url("wss://quai.example/v1/stream"),
            "https://quai.example"
        );
        assert_eq!(encode("demo:T 1/2"), "demo:T%201%2F2");
    }
}
