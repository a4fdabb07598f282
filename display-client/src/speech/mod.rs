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

pub mod lexicon;
pub mod output;
pub mod queue;
pub mod sentences;
pub mod trigger;
pub mod voice;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use quai_protocol::{Board, Departure, DepartureStatus, Severity};
use serde::Serialize;

use crate::ScreenSet;
use crate::canvas::CurrentLayout;
use crate::departures::on_page;
use crate::network::Live;
use crate::panel::Drawn;
use crate::view::View;
use lexicon::Lexicon;
use output::Sink;
use queue::{Hours, Pushed, Queue, Reason, Request, volume};
use voice::{Audio, Voice};

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
}

/// A departure as the dump lists it, to compare with `--dump-text`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpokenDeparture {
    pub line: String,
    pub headsign: String,
    pub time: String,
    pub platform: Option<String>,
}

/// One language's part of an announcement.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Utterance {
    pub lang: String,
    /// As composed.
    pub text: String,
    /// As given to the engine (through the lexicon).
    pub spoken: String,
    pub ssml: String,
}

/// What `--dump-speech` writes.
#[derive(Debug, Clone, Serialize)]
pub struct Announcement {
    /// How many announcements this screen made, this one included.
    pub n: u64,
    pub reason: Reason,
    /// What asked for it: start, key, touch, announce, input, schedule,
    /// platform_change, cancellation, severe_notice, emergency.
    pub trigger: String,
    pub chime: bool,
    pub utterances: Vec<Utterance>,
    pub departures: Vec<SpokenDeparture>,
}

/// What a request will say, composed when it is said.
#[derive(Debug, Clone, PartialEq)]
enum Content {
    /// The board as shown.
    Board,
    /// These departures (ids) and severe notices (ids) only.
    Items {
        departures: Vec<String>,
        notices: Vec<String>,
    },
    /// The takeover's message.
    Emergency,
}

#[derive(Debug, Clone, PartialEq)]
struct Asked {
    content: Content,
    trigger: String,
}

/// The speech engine's thread, and what it tells back.
struct Worker {
    jobs: Sender<Job>,
    busy: Arc<AtomicBool>,
    /// Raised to cut the utterance being played (an emergency).
    cut: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
}

struct Job {
    parts: Vec<(String, String)>,
    chime: bool,
    volume: f32,
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
}

pub fn plugin(app: &mut App) {
    app.add_systems(Startup, start)
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
    let worker =
        (!options.mute).then(|| spawn_worker(settings.engine.voice(), sink, wake(&event_loop)));
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
    });
}

/// The engine's thread: synthesises the parts, with a pause between
/// languages and the chime first if asked, and plays them; a cut stops the
/// sound. Errors are logged once per kind and the screen goes on.
fn spawn_worker(voice: Box<dyn Voice>, sink: Sink, wake: impl Fn() + Send + 'static) -> Worker {
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
                if let Some(e) = failed
                    && e != last_error
                {
                    error!("speech: {e}");
                    last_error = e;
                }
                if !audio.samples.is_empty() {
                    match output::play(&sink, &audio.scaled(job.volume)) {
                        Ok(mut playing) => {
                            while !playing.finished() {
                                if c.load(Ordering::Acquire) {
                                    playing.stop();
                                    break;
                                }
                                std::thread::sleep(Duration::from_millis(20));
                            }
                        }
                        Err(e) if e != last_error => {
                            error!("speech: {e}");
                            last_error = e;
                        }
                        Err(_) => {}
                    }
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

/// Minutes from the board's time to a departure (expected, else scheduled).
fn minutes_until(board: &Board, d: &Departure) -> Option<i64> {
    let now = chrono::DateTime::parse_from_rfc3339(&board.generated_at).ok()?;
    let at =
        chrono::DateTime::parse_from_rfc3339(d.expected.as_deref().unwrap_or(&d.scheduled)).ok()?;
    Some((at - now).num_minutes())
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
) {
    let speaker = &mut *speaker;
    let Some(board) = live.board.as_ref() else {
        return;
    };
    // Nothing is said before the board it speaks of is on screen.
    if drawn.builds == 0 {
        return;
    }
    let now = view.now.map(|t| t.time()).unwrap_or_default();
    let push = |speaker: &mut Speaker, reason: Reason, content: Content, trigger: &str| {
        let pushed = speaker.queue.push(
            Request {
                reason,
                content: Asked {
                    content,
                    trigger: trigger.to_string(),
                },
            },
            now,
        );
        if pushed == Pushed::Interrupt
            && let Some(w) = &speaker.worker
        {
            w.cut.store(true, Ordering::Release);
        }
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
            .extend(urgent(board).0.into_iter().map(|(id, _)| id));
        speaker.said.extend(
            board
                .notices
                .iter()
                .filter(|n| n.severity == Severity::Severe)
                .map(|n| n.id.clone()),
        );
    }
    let pressed = keys.is_some_and(|k| {
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
    let touched = mouse.is_some_and(|m| m.just_pressed(MouseButton::Left))
        || touches.is_some_and(|t| t.any_just_pressed());
    if touched {
        push(speaker, Reason::OnDemand, Content::Board, "touch");
    }
    if live.announcements > speaker.announcements_seen {
        speaker.announcements_seen = live.announcements;
        push(speaker, Reason::OnDemand, Content::Board, "announce");
    }
    let pressed_remote = speaker
        .presses
        .as_ref()
        .and_then(|p| p.lock().ok().map(|rx| rx.try_iter().count()))
        .unwrap_or(0);
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
    // What matters now, once each.
    let (soon, trigger) = urgent(board);
    let new: Vec<String> = soon
        .into_iter()
        .map(|(id, _)| id)
        .filter(|id| !speaker.said.contains(id))
        .collect();
    let severe: Vec<String> = board
        .notices
        .iter()
        .filter(|n| n.severity == Severity::Severe && !speaker.said.contains(&n.id))
        .map(|n| n.id.clone())
        .collect();
    if !new.is_empty() || !severe.is_empty() {
        speaker.said.extend(new.iter().cloned());
        speaker.said.extend(severe.iter().cloned());
        let trigger = if new.is_empty() {
            "severe_notice"
        } else {
            trigger
        };
        push(
            speaker,
            Reason::Urgent,
            Content::Items {
                departures: new,
                notices: severe,
            },
            trigger,
        );
    }
    // A takeover: at once, then every repeat_s.
    match &board.emergency {
        Some(e) => {
            let due = match &speaker.emergency {
                Some((id, at)) if *id == e.id => {
                    at.elapsed() >= Duration::from_secs(u64::from(e.repeat_s.max(5)))
                }
                _ => true,
            };
            if due {
                speaker.emergency = Some((e.id.clone(), Instant::now()));
                push(speaker, Reason::Emergency, Content::Emergency, "emergency");
            }
        }
        None => speaker.emergency = None,
    }
}

/// Departures in the next 15 minutes whose platform changed or that were
/// cancelled, by id, and what the first of them is.
fn urgent(board: &Board) -> (Vec<(String, &'static str)>, &'static str) {
    let soon: Vec<(String, &'static str)> = board
        .departures
        .iter()
        .filter(|d| minutes_until(board, d).is_some_and(|m| (-1..=15).contains(&m)))
        .filter_map(|d| {
            if d.status == DepartureStatus::Cancelled {
                Some((format!("{}:cancelled", d.id), "cancellation"))
            } else if d.platform_changed {
                Some((
                    format!("{}:platform:{}", d.id, d.platform.as_deref().unwrap_or("")),
                    "platform_change",
                ))
            } else {
                None
            }
        })
        .collect();
    let trigger = soon.first().map_or("platform_change", |(_, t)| *t);
    (soon, trigger)
}

/// The languages of an announcement: French first, then the others the
/// layout turns through.
fn languages(layout_languages: &[String]) -> Vec<String> {
    let mut langs: Vec<String> = vec!["fr".into()];
    langs.extend(layout_languages.iter().filter(|l| *l != "fr").cloned());
    langs
}

fn ssml(lang: &str, sentences: &[String]) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let body: String = sentences
        .iter()
        .map(|s| format!("<s>{}</s>", escape(s)))
        .collect();
    format!("<speak version=\"1.1\" xml:lang=\"{lang}\">{body}</speak>")
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
    mut redraw: MessageWriter<bevy::window::RequestRedraw>,
) {
    let speaker = &mut *speaker;
    if let Some(w) = &speaker.worker {
        if options.exit_after_first && w.done.load(Ordering::Acquire) >= 1 {
            exit.write(AppExit::Success);
            return;
        }
        if w.busy.load(Ordering::Acquire) {
            redraw.write(bevy::window::RequestRedraw);
            return;
        }
    }
    if live.board.as_ref().is_some_and(|b| b.emergency.is_some()) {
        // Keep the frames coming for the takeover's repeats.
        redraw.write(bevy::window::RequestRedraw);
    }
    let Some(board) = live.board.as_ref() else {
        return;
    };
    let Some(request) = speaker.queue.pop() else {
        return;
    };
    let l = &layout.layout;
    let langs = languages(&l.languages);
    let shown: Vec<&Departure> = on_page(&view, board, l.departures.rows_per_page).collect();
    let (per_lang, departures): (Vec<(String, Vec<String>)>, Vec<&Departure>) =
        match &request.content.content {
            Content::Board => (
                langs
                    .iter()
                    .map(|lang| (lang.clone(), sentences::board(lang, board, &shown)))
                    .collect(),
                shown.clone(),
            ),
            Content::Items {
                departures,
                notices,
            } => {
                let ds: Vec<&Departure> = board
                    .departures
                    .iter()
                    .filter(|d| {
                        departures
                            .iter()
                            .any(|id| id.starts_with(&format!("{}:", d.id)))
                    })
                    .collect();
                let per_lang = langs
                    .iter()
                    .map(|lang| {
                        let mut s: Vec<String> =
                            ds.iter().map(|d| sentences::departure(lang, d)).collect();
                        s.extend(
                            board
                                .notices
                                .iter()
                                .filter(|n| notices.contains(&n.id))
                                .filter_map(|n| sentences::notice(lang, n)),
                        );
                        (lang.clone(), s)
                    })
                    .collect();
                (per_lang, ds)
            }
            Content::Emergency => (
                board
                    .emergency
                    .iter()
                    .flat_map(|e| {
                        langs.iter().filter_map(move |lang| {
                            e.tts_text
                                .get(lang)
                                .map(|t| (lang.clone(), vec![t.clone()]))
                        })
                    })
                    .collect(),
                Vec::new(),
            ),
        };
    let utterances: Vec<Utterance> = per_lang
        .into_iter()
        .filter(|(_, s)| !s.is_empty())
        .map(|(lang, sentences)| {
            let text = sentences.join(" ");
            let spoken = speaker.lexicon.apply(&lang, &text);
            let ssml = ssml(&lang, &sentences);
            Utterance {
                lang,
                text,
                spoken,
                ssml,
            }
        })
        .collect();
    if utterances.is_empty() {
        return;
    }
    speaker.made += 1;
    let chime = matches!(request.reason, Reason::Urgent | Reason::Emergency);
    let announcement = Announcement {
        n: speaker.made,
        reason: request.reason,
        trigger: request.content.trigger.clone(),
        chime,
        departures: departures
            .iter()
            .map(|d| SpokenDeparture {
                line: d
                    .route
                    .short_name
                    .clone()
                    .or_else(|| d.route.long_name.clone())
                    .unwrap_or_default(),
                headsign: d.headsign.clone(),
                time: crate::wording::clock_time(&d.scheduled),
                platform: d.platform.clone(),
            })
            .collect(),
        utterances,
    };
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
