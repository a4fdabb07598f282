//! A screen of the fleet (`--screen-id`) says what it shows: the board
//! `seq` on screen, live or not, its layout, page and language, its version
//! and uptime, its voice, the last error (`quai_protocol::ScreenReport`),
//! posted to `/v1/screens/{id}/reports` with its own token at once when
//! what it draws changes (another board, another state, another layout) and
//! at least every [`EVERY`] otherwise. The server keeps the boards each
//! screen drew, which answers « what did this screen show at 07:42 », and
//! flags a screen that stops reporting (docs/operators.md, « Screens »).
//!
//! Posts go through a thread of their own (the screen never waits for the
//! network) and a queue of two: a report that finds it full is made again
//! at a later frame (only the newest matters); one that fails is logged and
//! the next report carries the news. A picture an operator asks for is read
//! in the frame and encoded as PNG on that thread.

use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use quai_protocol::{AudioStatus, ScreenReport, ScreenShows};

use crate::ScreenSet;
use crate::canvas::CurrentLayout;
use crate::network::{Endpoint, Live};
use crate::panel::Drawn;
use crate::states::ScreenState;
use crate::view::View;

/// A screen that has said nothing new reports anyway this often.
pub const EVERY: Duration = Duration::from_secs(60);
/// No answer after this: the post fails.
const TIMEOUT: Duration = Duration::from_secs(10);

/// `--screen-id` and its token.
#[derive(Resource, Debug, Clone)]
pub struct Identity {
    pub id: String,
    pub token: String,
    /// Whether the screen can speak (`--mute` says no).
    pub speaks: bool,
}

/// What a report is sent at once for when it changes: the board on screen,
/// what the screen shows, its layout.
type Drawing = (Option<u64>, ScreenShows, String, AudioStatus);

/// What the thread sends.
enum Post {
    Report(Box<ScreenReport>),
    /// A picture an operator asked for: width, height, RGB (encoded as PNG
    /// on the thread, not in a frame).
    Screenshot(u32, u32, Vec<u8>),
}

/// What was last reported, and when.
#[derive(Resource)]
struct Reporter {
    queue: SyncSender<Post>,
    started: Instant,
    last: Option<(Instant, Drawing)>,
}

pub fn plugin(app: &mut App) {
    app.add_systems(Startup, start).add_systems(
        Update,
        (report, answer_screenshot).in_set(ScreenSet::Finish),
    );
}

fn start(mut commands: Commands, identity: Res<Identity>, endpoint: Res<Endpoint>) {
    let (queue, inbox) = sync_channel::<Post>(2);
    let screen = format!(
        "{}/v1/screens/{}",
        crate::kiosk::api::base_url(&endpoint.url),
        quai_protocol::encode_id(&identity.id)
    );
    let token = identity.token.clone();
    let spawned = std::thread::Builder::new()
        .name("quai-report".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let _ = rustls::crypto::ring::default_provider().install_default();
            // The client's timers belong to this thread's runtime.
            let _inside = runtime.enter();
            let Ok(client) = reqwest::Client::builder().timeout(TIMEOUT).build() else {
                error!("screen reports: no HTTP client");
                return;
            };
            while let Ok(post) = inbox.recv() {
                let request = match post {
                    Post::Report(report) => {
                        let Ok(body) = serde_json::to_vec(&report) else {
                            continue;
                        };
                        client
                            .post(format!("{screen}/reports"))
                            .header("content-type", "application/json")
                            .body(body)
                    }
                    Post::Screenshot(width, height, rgb) => match png_of(width, height, &rgb) {
                        Ok(png) => client
                            .put(format!("{screen}/screenshot"))
                            .header("content-type", "image/png")
                            .body(png),
                        Err(e) => {
                            warn!("screenshot not encoded: {e}");
                            continue;
                        }
                    },
                };
                let sent = runtime.block_on(request.bearer_auth(&token).send());
                match sent {
                    Ok(r) if r.status().is_success() => {}
                    Ok(r) => warn!("screen report refused: {}", r.status()),
                    Err(e) => warn!("screen report not sent: {e}"),
                }
            }
        });
    if let Err(e) = spawned {
        error!("cannot start the screen reports' thread: {e}");
    }
    commands.insert_resource(Reporter {
        queue,
        started: Instant::now(),
        last: None,
    });
}

#[allow(clippy::too_many_arguments)]
fn report(
    identity: Res<Identity>,
    endpoint: Res<Endpoint>,
    layout: Res<CurrentLayout>,
    live: Res<Live>,
    state: Res<ScreenState>,
    view: Res<View>,
    drawn: Res<Drawn>,
    time: Res<Time<Real>>,
    voice: Option<Res<crate::speech::VoiceHealth>>,
    mut reporter: ResMut<Reporter>,
) {
    // The board on screen: the one in hand once a panel has been drawn.
    let seq = live
        .board
        .as_ref()
        .filter(|_| drawn.builds > 0)
        .map(|b| b.seq);
    let shows = if crate::takeover::active(live.board.as_ref(), view.now).is_some() {
        ScreenShows::Takeover
    } else {
        match *state {
            ScreenState::Starting => ScreenShows::Starting,
            ScreenState::Live => ScreenShows::Live,
            ScreenState::NotLive => ScreenShows::NotLive,
            ScreenState::NoService => ScreenShows::NoService,
        }
    };
    let name = layout.layout.name.clone();
    let voice_failure = voice.as_ref().and_then(|v| v.failure());
    let audio = match (identity.speaks, &voice_failure) {
        (false, _) => AudioStatus::Off,
        (true, Some(_)) => AudioStatus::Failed,
        (true, None) => AudioStatus::Ready,
    };
    let key: Drawing = (seq, shows, name.clone(), audio);
    let due = reporter
        .last
        .as_ref()
        .is_none_or(|(at, last)| *last != key || at.elapsed() >= EVERY);
    if !due {
        return;
    }
    let report = ScreenReport {
        station: endpoint.station.clone(),
        seq,
        shows,
        layout: name,
        page: u32::try_from(view.page + 1).unwrap_or(u32::MAX),
        pages: u32::try_from(view.pages).unwrap_or(u32::MAX),
        lang: view.lang.clone(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        uptime_s: reporter.started.elapsed().as_secs(),
        frame_ms: Some(time.delta_secs_f64() * 1000.0),
        audio,
        last_error: (!live.connected && !live.kept && live.board.is_some())
            .then(|| "no connection to the server".to_string())
            .or_else(|| {
                live.kept
                    .then(|| "showing the board kept on disk".to_string())
            })
            .or(voice_failure.filter(|_| identity.speaks))
            .map(|e| within_limits(&e)),
    };
    match reporter.queue.try_send(Post::Report(Box::new(report))) {
        // A report still waiting: this one comes next time (at once, as its
        // key has not been sent).
        Ok(()) => reporter.last = Some((Instant::now(), key)),
        Err(TrySendError::Full(_)) => {}
        Err(TrySendError::Disconnected(_)) => reporter.last = Some((Instant::now(), key)),
    }
}

/// `text` as the server takes it in a report: at most 200 characters, no
/// control characters (an engine's error may run over lines, a path be
/// long); a report refused for its wording would say nothing at all.
fn within_limits(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= 200 {
        return clean;
    }
    let mut cut: String = clean.chars().take(199).collect();
    cut.push('…');
    cut
}

/// An operator asked this screen for a picture: take one of what is on
/// screen (the window, or the offscreen image) and send it as PNG.
fn answer_screenshot(
    mut commands: Commands,
    identity: Res<Identity>,
    mut live: ResMut<Live>,
    reporter: Res<Reporter>,
    target: Option<Res<crate::screenshot::Target>>,
) {
    if live.screenshots_asked.is_empty() {
        return;
    }
    let asked = std::mem::take(&mut live.screenshots_asked);
    if !asked.iter().any(|s| *s == identity.id) {
        return;
    }
    let queue = reporter.queue.clone();
    commands
        .spawn(crate::screenshot::picture(target.as_deref()))
        .observe(
            move |captured: On<bevy::render::view::screenshot::ScreenshotCaptured>| match captured
                .image
                .clone()
                .try_into_dynamic()
            {
                Ok(picture) => {
                    let rgb = picture.to_rgb8();
                    let (width, height) = (rgb.width(), rgb.height());
                    let post = Post::Screenshot(width, height, rgb.into_raw());
                    if queue.try_send(post).is_err() {
                        warn!("a screenshot was asked while another was on its way; dropped");
                    }
                }
                Err(e) => warn!("screenshot not read: {e}"),
            },
        );
}

/// An RGB picture as PNG (the alpha channel of a screen says nothing).
fn png_of(width: u32, height: u32, rgb: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::within_limits;

    #[test]
    fn errors_are_cut_to_what_the_server_takes() {
        assert_eq!(
            within_limits("speech: aplay failed"),
            "speech: aplay failed"
        );
        assert_eq!(within_limits("line one\nline two"), "line one line two");
        let long = "é".repeat(300);
        let cut = within_limits(&long);
        assert_eq!(cut.chars().count(), 200);
        assert!(cut.ends_with('…'));
    }
}
