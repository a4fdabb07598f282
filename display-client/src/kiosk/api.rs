//! What the kiosk asks the feed server's REST API for: the station's lines,
//! a line, a line's departures from the station, a trip. Asked on a thread
//! of its own (the screen never waits for the network), at most
//! [`AT_ONCE`] at a time, each answer kept with when it came; what is on
//! screen is asked again every [`REFRESH`], and shown meanwhile. A refresh
//! that fails keeps the last good answer (a network blip does not blank a
//! view); a first ask that fails shows the server's reason.
//!
//! Requests go through a bounded channel of [`QUEUE`]: a kiosk asks for the
//! two or three things of one view at a time, so a full queue means the
//! server is not answering; the newest wish is then dropped and asked again
//! on a later frame (nothing is lost but time). An idle reset starts a new
//! generation: what the last passenger asked and is still on its way is
//! dropped when it comes.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, channel};

use std::time::{Duration, Instant};
use tokio::sync::mpsc::error::TrySendError;

use bevy::prelude::*;
use quai_protocol::{ErrorBody, RouteDepartures, RouteDetail, StationRoutes, Trip};

use super::{DepartureId, RouteId};
use crate::network::Endpoint;

/// How long an answer on screen stays before it is asked again.
pub const REFRESH: Duration = Duration::from_secs(15);
/// Requests waiting for the thread at most.
const QUEUE: usize = 8;
/// Requests under way at once.
const AT_ONCE: usize = 4;
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
    /// Moved on by [`Answers::clear`]: answers to older requests are dropped.
    generation: u64,
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

    /// Forgets everything (an idle reset keeps nothing of the last person),
    /// also what is still on its way.
    pub fn clear(&mut self) {
        self.got.clear();
        self.pending.clear();
        self.generation += 1;
        self.received += 1;
    }

    /// Whether anything is kept.
    pub fn is_empty(&self) -> bool {
        self.got.is_empty() && self.pending.is_empty()
    }

    /// Takes an answer in: a failure does not replace a good answer (it is
    /// asked again after [`REFRESH`]); an answer to a request from before a
    /// reset is dropped.
    fn take(&mut self, generation: u64, want: Want, answer: Result<Got, String>, now: Instant) {
        if generation != self.generation {
            return;
        }
        self.pending.remove(&want);
        match (self.got.get_mut(&want), answer) {
            (Some((at, Ok(_))), Err(_)) => *at = now,
            (_, answer) => {
                self.got.insert(want, (now, answer));
            }
        }
        self.received += 1;
    }
}

/// An answer, with the generation of its request.
type Answered = (u64, Want, Result<Got, String>);

/// The thread's ends.
#[derive(Resource)]
pub struct Api {
    requests: tokio::sync::mpsc::Sender<(u64, Want)>,
    answers: Mutex<Receiver<Answered>>,
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
    let (requests, mut inbox) = tokio::sync::mpsc::channel::<(u64, Want)>(QUEUE);
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
            let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
            runtime.block_on(async move {
                while let Some((generation, want)) = inbox.recv().await {
                    let Ok(permit) = limit.clone().acquire_owned().await else {
                        return;
                    };
                    let (client, base, station) = (client.clone(), base.clone(), station.clone());
                    let (outbox, proxy) = (outbox.clone(), proxy.clone());
                    tokio::spawn(async move {
                        let answer = ask(&client, &base, &station, &want).await;
                        drop(permit);
                        if outbox.send((generation, want, answer)).is_ok()
                            && let Some(p) = &proxy
                        {
                            let _ = p.send_event(bevy::winit::WinitUserEvent::WakeUp);
                        }
                    });
                }
            });
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
pub(super) fn encode(id: &str) -> String {
    quai_protocol::encode_id(id)
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
    for (generation, want, answer) in rx.try_iter() {
        if let Err(e) = &answer {
            warn!("kiosk: {e}");
        }
        answers.take(generation, want, answer, Instant::now());
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
        match api.requests.try_send((answers.generation, want.clone())) {
            Ok(()) => {
                answers.pending.insert(want.clone());
            }
            Err(TrySendError::Full(_)) => {}
            Err(TrySendError::Closed(_)) => {
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

    fn trip(id: &str) -> Got {
        let t: Trip = serde_json::from_value(serde_json::json!({
            "id": id, "mode": "bus",
            "route": {"id": "1", "short_name": "1", "long_name": null, "color": "#FFFFFF", "text_color": "#000000"},
            "headsign": "Cambrai", "service_day": "2026-07-01", "cancelled": false, "realtime": false,
            "calls": [], "vehicle": null, "notices": [], "generated_at": "2026-07-01T07:30:00+02:00"
        }))
        .expect("a trip");
        Got::Trip(Box::new(t))
    }

    #[test]
    fn a_failed_refresh_keeps_the_answer_and_a_reset_drops_late_ones() {
        let mut a = Answers::default();
        let want = Want::Trip(DepartureId("demo:T:20260701:1".into()));
        let t0 = Instant::now();
        a.pending.insert(want.clone());
        a.take(0, want.clone(), Ok(trip("x")), t0);
        assert!(a.settled(std::slice::from_ref(&want)));
        // The refresh fails: the trip stays.
        a.take(0, want.clone(), Err("timed out".into()), t0);
        assert!(matches!(
            a.trip(&DepartureId("demo:T:20260701:1".into())),
            Some(Ok(_))
        ));
        // Reset with a request on its way: its answer, late, is dropped.
        a.pending.insert(want.clone());
        a.clear();
        assert!(a.is_empty());
        a.take(0, want.clone(), Ok(trip("x")), t0);
        assert!(a.is_empty(), "an answer for the last passenger");
        // A first ask that fails says why.
        a.take(1, want.clone(), Err("trip_not_running".into()), t0);
        assert!(matches!(
            a.trip(&DepartureId("demo:T:20260701:1".into())),
            Some(Err("trip_not_running"))
        ));
    }
}
