//! The screen speaks: what it shows, read aloud in French then English, when
//! asked (a key or a touch on the screen's PC, an operator's `announce`, the
//! remote's receiver on `--speech-input`), on schedule (the layout's
//! `speech.interval_min`, never in its quiet hours), at once with a chime on
//! what matters now (a platform change or a cancellation in the next 15
//! minutes, a new severe notice), and over and over during an emergency
//! takeover, which interrupts everything.
//!
//! What is said is composed when it is said, from the frame on screen (the
//! departures of the page shown, in their order: [`sentences`]), through the
//! lexicon ([`lexicon`]); one utterance at a time ([`queue`]); synthesised by
//! a local engine ([`voice`]) on a thread of its own, so the screen never
//! waits for it; played on the audio device or written to `--speak-to`
//! ([`output`]). `--dump-speech` writes the text, language and SSML of each
//! announcement.

mod announcement;
pub mod lexicon;
pub mod output;
pub mod queue;
pub mod sentences;
pub mod trigger;
pub mod voice;
mod worker;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use quai_protocol::{Departure, Severity};

use crate::ScreenSet;
use crate::canvas::CurrentLayout;
use crate::departures::on_page;
use crate::network::Live;
use crate::panel::Drawn;
use crate::view::View;
pub use announcement::{Announcement, SpokenDeparture, Utterance};
use announcement::{Asked, Content, compose, languages, urgent};
use lexicon::Lexicon;
use output::Sink;
use queue::{Hours, Queue, Reason, Request, volume};
pub use worker::VoiceHealth;
use worker::{Job, Worker, spawn_worker};

/// What the command line says about speech.
#[derive(Resource, Debug, Clone, Default)]
pub struct SpeechOptions {
    /// `--speak-to`: utterances go to this WAV instead of the speakers.
    pub speak_to: Option<PathBuf>,
    /// `--dump-speech`: each announcement's texts, as JSON.
    pub dump: Option<PathBuf>,
    /// `--speech-input`: the remote receiver's device.
    pub input: Option<PathBuf>,
    /// `--mute`: no speech at all (a screen without speakers).
    pub mute: bool,
    /// Exit once the first announcement is written (headless, without a
    /// picture to take).
    pub exit_after_first: bool,
    /// The layout's folder (the lexicon is named relative to it).
    pub layout_dir: PathBuf,
    /// A kiosk: a touch or a key is for its controls, not "speak the
    /// board"; its Listen button sends a [`Say`] instead.
    pub kiosk: bool,
}

/// Says these sentences (a kiosk's view, read aloud when asked), in one
/// language, through the lexicon, like any announcement.
#[derive(Message, Debug, Clone)]
pub struct Say {
    /// What asked (`listen`), as `--dump-speech` reports it.
    pub trigger: String,
    pub lang: String,
    pub sentences: Vec<String>,
}

/// The speech state of the screen.
#[derive(Resource)]
struct Speaker {
    queue: Queue<Asked>,
    worker: Option<Worker>,
    lexicon: Lexicon,
    presses: Option<Mutex<Receiver<()>>>,
    announcements_seen: u64,
    last_periodic: Option<Instant>,
    /// Departures and notices already announced as urgent.
    said: HashSet<String>,
    /// The takeover being repeated, and when it was last said.
    emergency: Option<(String, Instant)>,
    started: bool,
    made: u64,
    /// The board (`Live::updates`) `said` was last pruned for.
    pruned_at: usize,
    /// The board, and whether a takeover ran, urgent changes were last
    /// looked for (they depend on nothing else: not looked for every frame).
    urgent_checked: Option<(usize, bool)>,
    /// Wakes the window (which sleeps between changes).
    waker: Arc<Mutex<Box<dyn Fn() + Send>>>,
}

impl Speaker {
    /// Wakes the window after `delay` (a takeover's next reading), from a
    /// thread that only sleeps.
    fn wake_in(&self, delay: Duration) {
        let waker = self.waker.clone();
        let spawned = std::thread::Builder::new()
            .name("quai-speech-timer".into())
            .spawn(move || {
                std::thread::sleep(delay);
                if let Ok(wake) = waker.lock() {
                    wake();
                }
            });
        if let Err(e) = spawned {
            warn!("cannot start a speech timer: {e}");
        }
    }
}

pub fn plugin(app: &mut App) {
    app.add_message::<Say>()
        .add_systems(Startup, start)
        .add_systems(Update, (ask, speak).chain().in_set(ScreenSet::Finish));
}

fn start(
    mut commands: Commands,
    options: Res<SpeechOptions>,
    layout: Res<CurrentLayout>,
    event_loop: Option<Res<bevy::winit::EventLoopProxyWrapper>>,
) {
    let settings = &layout.layout.speech;
    let lexicon = settings
        .lexicon
        .as_ref()
        .map(|name| options.layout_dir.join(name))
        .map(|path| {
            Lexicon::load(&path).unwrap_or_else(|e| {
                warn!("{e}; speaking without a lexicon");
                Lexicon::default()
            })
        })
        .unwrap_or_default();
    let quiet = settings
        .quiet
        .as_ref()
        .and_then(|(from, until)| Hours::parse(from, until).ok());
    let wake = move |proxy: &Option<Res<bevy::winit::EventLoopProxyWrapper>>| {
        let proxy = proxy.as_ref().map(|p| (***p).clone());
        move || {
            if let Some(p) = &proxy {
                let _ = p.send_event(bevy::winit::WinitUserEvent::WakeUp);
            }
        }
    };
    let presses = options.input.clone().map(|path| {
        let (tx, rx) = channel();
        trigger::watch(path, tx, wake(&event_loop));
        Mutex::new(rx)
    });
    let sink = match &options.speak_to {
        Some(path) => Sink::File(path.clone()),
        None => Sink::Device,
    };
    let health = VoiceHealth::default();
    let worker = (!options.mute).then(|| {
        spawn_worker(
            voice::voice(&settings.engine),
            sink,
            health.clone(),
            wake(&event_loop),
        )
    });
    commands.insert_resource(health);
    commands.insert_resource(Speaker {
        queue: Queue::new(quiet),
        worker,
        lexicon,
        presses,
        announcements_seen: 0,
        last_periodic: None,
        said: HashSet::new(),
        emergency: None,
        started: false,
        made: 0,
        pruned_at: 0,
        urgent_checked: None,
        waker: Arc::new(Mutex::new(Box::new(wake(&event_loop)))),
    });
}

/// Turns every trigger into a request in the queue.
#[allow(clippy::too_many_arguments)]
fn ask(
    mut speaker: ResMut<Speaker>,
    options: Res<SpeechOptions>,
    layout: Res<CurrentLayout>,
    live: Res<Live>,
    view: Res<View>,
    drawn: Res<Drawn>,
    keys: Option<Res<ButtonInput<KeyCode>>>,
    mouse: Option<Res<ButtonInput<MouseButton>>>,
    touches: Option<Res<Touches>>,
    mut says: MessageReader<Say>,
) {
    let said: Vec<Say> = says.read().cloned().collect();
    let speaker = &mut *speaker;
    // Asked for now, or not at all: an announce or a press before the board
    // is on screen is not kept for later.
    let announced = live.announcements > speaker.announcements_seen;
    speaker.announcements_seen = live.announcements;
    let pressed_remote = speaker
        .presses
        .as_ref()
        .and_then(|p| p.lock().ok().map(|rx| rx.try_iter().count()))
        .unwrap_or(0);
    let Some(board) = live.board.as_ref() else {
        return;
    };
    // Nothing is said before the board it speaks of is on screen.
    if drawn.builds == 0 {
        return;
    }
    let now = view.now.map(|t| t.time()).unwrap_or_default();
    let push = |speaker: &mut Speaker, reason: Reason, content: Content, trigger: &str| {
        speaker.queue.push(
            Request {
                reason,
                content: Asked {
                    content,
                    trigger: trigger.to_string(),
                },
            },
            now,
        )
    };
    if !speaker.started {
        speaker.started = true;
        speaker.last_periodic = Some(Instant::now());
        // Headless checks (`--dump-speech`, `--speak-to`) hear the board at once.
        if options.dump.is_some() || options.speak_to.is_some() {
            push(speaker, Reason::OnDemand, Content::Board, "start");
        }
        // What is urgent at start is not news: only what changes is.
        speaker
            .said
            .extend(urgent(board).into_iter().map(|(id, _)| id));
        speaker.said.extend(
            board
                .notices
                .iter()
                .filter(|n| n.severity == Severity::Severe || n.accessibility)
                .map(|n| n.id.clone()),
        );
    }
    for say in said {
        push(
            speaker,
            Reason::OnDemand,
            Content::Text {
                lang: say.lang,
                sentences: say.sentences,
            },
            &say.trigger,
        );
    }
    let pressed = !options.kiosk
        && keys.is_some_and(|k| {
            k.any_just_pressed([
                KeyCode::Space,
                KeyCode::Enter,
                KeyCode::NumpadEnter,
                KeyCode::KeyS,
            ])
        });
    if pressed {
        push(speaker, Reason::OnDemand, Content::Board, "key");
    }
    let touched = !options.kiosk
        && (mouse.is_some_and(|m| m.just_pressed(MouseButton::Left))
            || touches.is_some_and(|t| t.any_just_pressed()));
    if touched {
        push(speaker, Reason::OnDemand, Content::Board, "touch");
    }
    if announced {
        push(speaker, Reason::OnDemand, Content::Board, "announce");
    }
    if pressed_remote > 0 {
        push(speaker, Reason::OnDemand, Content::Board, "input");
    }
    let interval = layout.layout.speech.interval_min;
    if interval > 0
        && speaker
            .last_periodic
            .is_some_and(|t| t.elapsed() >= Duration::from_secs(u64::from(interval) * 60))
    {
        speaker.last_periodic = Some(Instant::now());
        push(speaker, Reason::Periodic, Content::Board, "schedule");
    }
    // What matters now, once each. What left the board is forgotten (a screen
    // runs for months: the set stays the size of one board).
    if speaker.pruned_at != live.updates {
        speaker.pruned_at = live.updates;
        speaker.said.retain(|id| {
            board.notices.iter().any(|n| n.id == *id)
                || board.departures.iter().any(|d| {
                    id.strip_prefix(d.id.as_str())
                        .is_some_and(|r| r.starts_with(':'))
                })
        });
    }
    let takeover = crate::takeover::active(Some(board), view.now);
    let busy = speaker
        .worker
        .as_ref()
        .is_some_and(|w| w.busy.load(Ordering::Acquire));
    // During a takeover nothing else is said: what is urgent waits (unsaid)
    // for its end.
    let urgent_key = (live.updates, takeover.is_some());
    if takeover.is_none() && speaker.urgent_checked != Some(urgent_key) {
        let soon = urgent(board);
        let new: Vec<(String, &'static str)> = soon
            .into_iter()
            .filter(|(id, _)| !speaker.said.contains(id))
            .collect();
        let severe: Vec<String> = board
            .notices
            .iter()
            .filter(|n| {
                (n.severity == Severity::Severe || n.accessibility) && !speaker.said.contains(&n.id)
            })
            .map(|n| n.id.clone())
            .collect();
        if !new.is_empty() || !severe.is_empty() {
            let trigger = new.first().map_or("severe_notice", |(_, t)| *t);
            let departures: Vec<String> = new.into_iter().map(|(id, _)| id).collect();
            speaker.said.extend(departures.iter().cloned());
            speaker.said.extend(severe.iter().cloned());
            push(
                speaker,
                Reason::Urgent,
                Content::Items {
                    departures,
                    notices: severe,
                },
                trigger,
            );
        }
    }
    speaker.urgent_checked = Some(urgent_key);
    // A takeover: at once (cutting whatever is said), then `repeat_s` after
    // each reading ends.
    match takeover {
        Some(e) => {
            let due = match &mut speaker.emergency {
                Some((id, ended)) if *id == e.id => {
                    if busy {
                        *ended = Instant::now();
                        false
                    } else {
                        ended.elapsed() >= Duration::from_secs(u64::from(e.repeat_s.max(5)))
                    }
                }
                _ => {
                    if let Some(w) = &speaker.worker {
                        w.cut.store(true, Ordering::Release);
                    }
                    true
                }
            };
            if due {
                speaker.emergency = Some((e.id.clone(), Instant::now()));
                push(speaker, Reason::Emergency, Content::Emergency, "emergency");
                speaker.wake_in(Duration::from_secs(u64::from(e.repeat_s.max(5))));
            }
        }
        None => {
            // Ended: its message stops too.
            if speaker.emergency.take().is_some()
                && let Some(w) = &speaker.worker
            {
                w.cut.store(true, Ordering::Release);
            }
        }
    }
}

/// Says the next request when the engine is free.
#[allow(clippy::too_many_arguments)]
fn speak(
    mut speaker: ResMut<Speaker>,
    options: Res<SpeechOptions>,
    layout: Res<CurrentLayout>,
    live: Res<Live>,
    view: Res<View>,
    mut exit: MessageWriter<AppExit>,
) {
    let speaker = &mut *speaker;
    if let Some(w) = &speaker.worker {
        if options.exit_after_first && w.done.load(Ordering::Acquire) >= 1 {
            exit.write(AppExit::Success);
            return;
        }
        // The worker wakes the screen when it is done.
        if w.busy.load(Ordering::Acquire) {
            return;
        }
    }
    let Some(board) = live.board.as_ref() else {
        return;
    };
    let Some(request) = speaker.queue.pop() else {
        return;
    };
    // During a takeover, its message is all that is said.
    let takeover = crate::takeover::active(Some(board), view.now).is_some();
    if takeover != (request.reason == Reason::Emergency) {
        return;
    }
    let l = &layout.layout;
    let shown: Vec<&Departure> = on_page(&view, board, l.departures.rows_per_page).collect();
    let Some(announcement) = compose(
        &request,
        board,
        &shown,
        crate::arrivals::shown(l),
        &languages(&l.languages),
        &speaker.lexicon,
        speaker.made + 1,
    ) else {
        return;
    };
    speaker.made = announcement.n;
    let chime = announcement.chime;
    info!(
        trigger = %announcement.trigger,
        n = announcement.n,
        "speaking: {}",
        announcement.utterances[0].text
    );
    if let Some(path) = &options.dump {
        match serde_json::to_string_pretty(&announcement) {
            Ok(json) => {
                let mut tmp = path.as_os_str().to_owned();
                tmp.push(".tmp");
                if let Err(e) =
                    std::fs::write(&tmp, json).and_then(|()| std::fs::rename(&tmp, path))
                {
                    error!("cannot write {}: {e}", path.display());
                }
            }
            Err(e) => error!("speech dump: {e}"),
        }
    }
    let Some(worker) = &speaker.worker else {
        if options.exit_after_first {
            exit.write(AppExit::Success);
        }
        return;
    };
    let s = &l.speech;
    let night = Hours::parse(&s.night.0, &s.night.1).ok();
    let now = view.now.map(|t| t.time()).unwrap_or_default();
    let level = match night {
        Some(h) => volume(s.day_volume, s.night_volume, h, now),
        None => s.day_volume,
    };
    worker.busy.store(true, Ordering::Release);
    let job = Job {
        parts: announcement
            .utterances
            .iter()
            .map(|u| (u.lang.clone(), u.spoken.clone()))
            .collect(),
        chime,
        volume: level,
    };
    if worker.jobs.send(job).is_err() {
        worker.busy.store(false, Ordering::Release);
    }
}
