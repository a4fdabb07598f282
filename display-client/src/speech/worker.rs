//! The speech engine's own thread: it synthesises each language's text,
//! with the chime first when asked and a pause between languages, and plays
//! the whole; an emergency cuts it short. The screen never waits for it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bevy::log::error;

use super::output::{self, Sink};
use super::voice::{Audio, Voice};

/// How the screen's voice fares, for its reports (`audio: failed` and the
/// error): the error of the last utterance that could not be made or played,
/// cleared by the next one that plays. Shared with the speech thread.
#[derive(bevy::prelude::Resource, Debug, Clone, Default)]
pub struct VoiceHealth(Arc<Mutex<Option<String>>>);

impl VoiceHealth {
    /// Why the last utterance failed, if it did.
    pub fn failure(&self) -> Option<String> {
        self.0.lock().ok().and_then(|f| f.clone())
    }

    fn set(&self, failure: Option<String>) {
        if let Ok(mut f) = self.0.lock() {
            *f = failure;
        }
    }
}

/// The speech engine's thread, and what it tells back.
pub(super) struct Worker {
    pub(super) jobs: Sender<Job>,
    pub(super) busy: Arc<AtomicBool>,
    /// Raised to cut the utterance being played (an emergency).
    pub(super) cut: Arc<AtomicBool>,
    pub(super) done: Arc<AtomicU64>,
}

pub(super) struct Job {
    pub(super) parts: Vec<(String, String)>,
    pub(super) chime: bool,
    pub(super) volume: f32,
}

/// The engine's thread: synthesises the parts, with a pause between
/// languages and the chime first if asked, and plays them; a cut stops the
/// sound. Errors are logged once per kind and the screen goes on.
pub(super) fn spawn_worker(
    voice: Box<dyn Voice>,
    sink: Sink,
    health: VoiceHealth,
    wake: impl Fn() + Send + 'static,
) -> Worker {
    let (jobs, rx) = channel::<Job>();
    let busy = Arc::new(AtomicBool::new(false));
    let cut = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let (b, c, d) = (busy.clone(), cut.clone(), done.clone());
    let spawned = std::thread::Builder::new()
        .name("quai-speech".into())
        .spawn(move || {
            let mut last_error = String::new();
            while let Ok(job) = rx.recv() {
                c.store(false, Ordering::Release);
                let mut audio = Audio::default();
                let mut failed = None;
                for (lang, text) in &job.parts {
                    match voice.say(lang, text) {
                        Ok(said) => {
                            if audio.sample_rate == 0 {
                                audio = if job.chime {
                                    Audio::chime(said.sample_rate)
                                        .then(&Audio::pause(said.sample_rate))
                                } else {
                                    Audio {
                                        sample_rate: said.sample_rate,
                                        samples: Vec::new(),
                                    }
                                };
                            } else {
                                let rate = audio.sample_rate;
                                audio = audio.then(&Audio::pause(rate));
                            }
                            audio = audio.then(&said);
                        }
                        Err(e) => failed = Some(e.to_string()),
                    }
                }
                if let Some(e) = &failed
                    && *e != last_error
                {
                    error!("speech: {e}");
                    last_error = e.clone();
                }
                let mut played = false;
                if !audio.samples.is_empty() {
                    // A player that hangs is stopped a little after the sound's end.
                    let deadline =
                        Duration::from_secs_f64(audio.duration_s()) + Duration::from_secs(5);
                    match output::play(&sink, &audio.scaled(job.volume)) {
                        Ok(mut playing) => {
                            played = true;
                            let began = std::time::Instant::now();
                            while !playing.finished() {
                                if c.load(Ordering::Acquire) {
                                    // Cut short: says nothing of the voice.
                                    playing.stop();
                                    played = false;
                                    break;
                                }
                                if began.elapsed() > deadline {
                                    playing.stop();
                                    error!("speech: the audio player did not finish; stopped");
                                    played = false;
                                    failed = Some("the audio player did not finish".into());
                                    break;
                                }
                                std::thread::sleep(Duration::from_millis(20));
                            }
                            if let Err(e) = playing.outcome() {
                                if e != last_error {
                                    error!("speech: {e}");
                                    last_error = e.clone();
                                }
                                played = false;
                                failed = Some(e);
                            }
                        }
                        Err(e) => {
                            if e != last_error {
                                error!("speech: {e}");
                                last_error = e.clone();
                            }
                            failed = Some(e);
                        }
                    }
                }
                // A whole utterance played clears the failure; one not made
                // or not played sets it (nothing to say changes nothing).
                if let Some(e) = failed {
                    health.set(Some(format!("speech: {e}")));
                } else if played {
                    health.set(None);
                }
                d.fetch_add(1, Ordering::AcqRel);
                b.store(false, Ordering::Release);
                wake();
            }
        });
    if let Err(e) = spawned {
        error!("cannot start the speech thread: {e}");
    }
    Worker {
        jobs,
        busy,
        cut,
        done,
    }
}
