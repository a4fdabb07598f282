//! `display-client`: a station screen showing one station's live board.
//!
//! `display-client [--server ws://HOST:PORT/v1/stream] [--station ID]
//! [--layout layouts/NAME.ron] [--lang fr,en] [--fullscreen] [--state-dir DIR]
//! [--headless] [--screenshot OUT.png [--size WxH] [--wait-for snapshot|N-deltas]
//! [--dump-text OUT.json] [--keep-running]]`
//!
//! This file reads the command line and sets Bevy up (a window, or offscreen
//! rendering with `--headless`); the screen itself is [`ScreenPlugin`], in the
//! library, so that tests can build it too.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bevy::app::ScheduleRunnerPlugin;
use bevy::prelude::*;
use bevy::window::{ExitCondition, WindowMode, WindowResolution};
use bevy::winit::{WinitPlugin, WinitSettings};
use clap::Parser;
use display_client::kiosk::Script;
use display_client::{Endpoint, Layout, Mode, ScreenPlugin, Shot, WaitFor, default_state_dir};

#[derive(Debug, Parser)]
#[command(
    name = "display-client",
    version,
    about = "Quai station screen",
    after_help = "Every option that names an environment variable reads it when not given \
                  (the packaged service reads them from /etc/quai/screen.env)."
)]
struct Args {
    /// The feed server's live stream.
    #[arg(
        long,
        env = "QUAI_SERVER",
        default_value = "ws://127.0.0.1:8080/v1/stream"
    )]
    server: String,
    #[arg(long, env = "QUAI_STATION", default_value = "caudry")]
    station: String,
    /// Screen layout (RON); default layouts/hall-1080p.ron, or
    /// layouts/kiosk-portrait-1080x1920.ron with `--mode kiosk` (installed:
    /// /usr/share/quai/layouts/).
    #[arg(long, env = "QUAI_LAYOUT")]
    layout: Option<PathBuf>,
    /// `screen` (looked at) or `kiosk` (touched: docs/kiosk.md).
    #[arg(long, env = "QUAI_MODE", default_value = "screen", value_parser = parse_mode)]
    mode: Mode,
    /// Kiosk mode: drive it with the steps of this RON file, writing
    /// --screenshot and --dump-text after each (numbered), then exit.
    #[arg(long, value_name = "FILE.ron", requires = "screenshot")]
    input_script: Option<PathBuf>,
    /// Languages shown in turn (overrides the layout's).
    #[arg(long, env = "QUAI_LANG", value_delimiter = ',')]
    lang: Option<Vec<String>>,
    #[arg(long, env = "QUAI_FULLSCREEN", value_parser = clap::builder::BoolishValueParser::new())]
    fullscreen: bool,
    /// Where the last board is kept, to show at the next start if the server is
    /// unreachable (default: $XDG_STATE_HOME/quai or ~/.local/state/quai).
    #[arg(long, env = "QUAI_STATE_DIR", value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Render offscreen (no window, no display server), write --screenshot
    /// (or the first announcement, --dump-speech / --speak-to) and exit.
    #[arg(long)]
    headless: bool,
    /// Write the screen to this PNG once --wait-for is met, then exit (the window
    /// itself is captured unless --headless).
    #[arg(long, value_name = "OUT.png")]
    screenshot: Option<PathBuf>,
    /// Picture size, e.g. 1920x1080 (default: the layout's canvas).
    #[arg(long, value_parser = parse_size)]
    size: Option<(u32, u32)>,
    /// `snapshot` (the first board), `N-deltas` (N boards after it) or `nothing`.
    #[arg(long, default_value = "snapshot", value_parser = parse_wait)]
    wait_for: WaitFor,
    /// Write the texts on the picture, with their regions, as JSON.
    #[arg(long, value_name = "OUT.json")]
    dump_text: Option<PathBuf>,
    /// Seconds to wait for --wait-for before giving up (exit status 2).
    #[arg(long, default_value_t = 30.0)]
    timeout_s: f64,
    /// With --screenshot: do not exit; write the picture and --dump-text again
    /// each time the screen changes.
    #[arg(long, requires = "screenshot")]
    keep_running: bool,
    /// Write what is said to this WAV file instead of the speakers (each
    /// utterance replaces the last).
    #[arg(long, value_name = "OUT.wav")]
    speak_to: Option<PathBuf>,
    /// Write each announcement's text, language and SSML as JSON (the first
    /// is made as soon as the board is on screen).
    #[arg(long, value_name = "OUT.json")]
    dump_speech: Option<PathBuf>,
    /// The remote receiver's device (NF S 32-002): a serial port or a FIFO;
    /// each byte read asks the screen to speak (docs/accessibility.md).
    #[arg(long, env = "QUAI_SPEECH_INPUT", value_name = "PATH")]
    speech_input: Option<PathBuf>,
    /// Say nothing (a screen without speakers).
    #[arg(long, env = "QUAI_MUTE", value_parser = clap::builder::BoolishValueParser::new())]
    mute: bool,
    /// This screen's id in the fleet: it reports what it shows to
    /// /v1/screens/ID/reports (docs/operators.md, « Screens »).
    #[arg(long, env = "QUAI_SCREEN_ID", value_name = "ID")]
    screen_id: Option<String>,
    /// The file holding the screen's token (an operator token with the
    /// scope screen:ID); else $QUAI_SCREEN_TOKEN.
    #[arg(
        long,
        env = "QUAI_SCREEN_TOKEN_FILE",
        value_name = "FILE",
        requires = "screen_id"
    )]
    screen_token_file: Option<PathBuf>,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once('x')
        .ok_or("write WIDTHxHEIGHT, e.g. 1920x1080")?;
    let w = w.parse().map_err(|_| "bad width")?;
    let h = h.parse().map_err(|_| "bad height")?;
    Ok((w, h))
}

fn parse_mode(s: &str) -> Result<Mode, String> {
    match s {
        "screen" => Ok(Mode::Screen),
        "kiosk" => Ok(Mode::Kiosk),
        other => Err(format!("`{other}`: write screen or kiosk")),
    }
}

fn parse_wait(s: &str) -> Result<WaitFor, String> {
    match s {
        "snapshot" => Ok(WaitFor::Snapshot),
        "nothing" => Ok(WaitFor::Nothing),
        other => other
            .strip_suffix("-deltas")
            .and_then(|n| n.parse().ok())
            .map(WaitFor::Deltas)
            .ok_or_else(|| format!("`{other}`: write snapshot, nothing or N-deltas")),
    }
}

/// Where assets live: `QUAI_ASSETS`, else installed beside the executable
/// (`/usr/share/quai/assets` for `/usr/bin/quai-screen`), else in the
/// workspace it was built from.
fn assets_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("QUAI_ASSETS") {
        return PathBuf::from(dir);
    }
    shipped("assets")
}

/// A folder shipped with the screen (`assets`, `layouts`): in the package's
/// `share/quai` beside the executable's `bin/` when installed, else in the
/// workspace it was built from (development, tests, the demo).
fn shipped(folder: &str) -> PathBuf {
    let installed = std::env::current_exe().ok().and_then(|exe| {
        let prefix = exe.parent()?.parent()?;
        Some(prefix.join("share/quai").join(folder))
    });
    match installed {
        Some(dir) if dir.is_dir() => dir,
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(folder),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.headless
        && args.screenshot.is_none()
        && args.dump_speech.is_none()
        && args.speak_to.is_none()
    {
        eprintln!("error: --headless needs --screenshot, --dump-speech or --speak-to");
        return ExitCode::from(2);
    }
    // The shipped layouts, found from anywhere (as the assets are).
    let layout_file = args.layout.clone().unwrap_or_else(|| {
        shipped("layouts").join(match args.mode {
            Mode::Screen => "hall-1080p.ron",
            Mode::Kiosk => "kiosk-portrait-1080x1920.ron",
        })
    });
    if args.input_script.is_some() && args.mode != Mode::Kiosk {
        eprintln!("error: --input-script drives a kiosk: add --mode kiosk");
        return ExitCode::from(2);
    }
    let mut layout = match Layout::load(&layout_file) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(langs) = &args.lang {
        layout.languages = langs.clone();
    }
    if args.mode == Mode::Kiosk && layout.kiosk.is_none() {
        eprintln!(
            "error: {}: a kiosk needs a layout with a `kiosk` section (e.g. layouts/kiosk-portrait-1080x1920.ron)",
            layout_file.display()
        );
        return ExitCode::from(2);
    }
    let script = match &args.input_script {
        Some(path) => match Script::load(path) {
            Ok(steps) => Some(Script {
                steps,
                png: args.screenshot.clone().unwrap_or_default(),
                dump_text: args.dump_text.clone(),
                timeout: Duration::from_secs_f64(args.timeout_s),
            }),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let identity = match &args.screen_id {
        None => None,
        Some(id) => {
            let token = match &args.screen_token_file {
                Some(path) => std::fs::read_to_string(path)
                    .map(|t| t.trim().to_string())
                    .map_err(|e| format!("{}: {e}", path.display())),
                None => std::env::var("QUAI_SCREEN_TOKEN").map_err(|_| {
                    "--screen-id needs a token: --screen-token-file FILE or $QUAI_SCREEN_TOKEN"
                        .to_string()
                }),
            };
            match token {
                Ok(token) if !token.is_empty() => Some(display_client::report::Identity {
                    id: id.clone(),
                    token,
                    speaks: !args.mute,
                }),
                Ok(_) => {
                    eprintln!("error: the screen's token is empty");
                    return ExitCode::from(2);
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    let (width, height) = args
        .size
        .unwrap_or((layout.canvas.width, layout.canvas.height));
    let mut app = App::new();
    let assets = AssetPlugin {
        file_path: assets_dir().to_string_lossy().into_owned(),
        ..default()
    };
    let shot = args.screenshot.clone().map(|png| Shot {
        png,
        dump_text: args.dump_text.clone(),
        wait_for: args.wait_for,
        timeout: Duration::from_secs_f64(args.timeout_s),
        offscreen: args.headless.then_some((width, height)),
        keep_running: args.keep_running,
        scripted: script.is_some(),
    });
    if args.headless {
        app.add_plugins(
            display_client::renderer::bevy_plugins()
                .set(assets)
                .set(WindowPlugin {
                    primary_window: None,
                    exit_condition: ExitCondition::DontExit,
                    ..default()
                })
                .disable::<WinitPlugin>(),
        )
        .add_plugins(ScheduleRunnerPlugin::run_loop(Duration::from_millis(16)));
    } else {
        app.add_plugins(
            display_client::renderer::bevy_plugins()
                .set(assets)
                .set(WindowPlugin {
                    primary_window: Some(Window {
                        title: format!("Quai – {}", args.station),
                        resolution: WindowResolution::new(width, height),
                        mode: if args.fullscreen {
                            WindowMode::BorderlessFullscreen(
                                bevy::window::MonitorSelection::Primary,
                            )
                        } else {
                            WindowMode::Windowed
                        },
                        ..default()
                    }),
                    ..default()
                }),
        )
        // Calm and cheap: a frame only when something on screen changes (`wake`
        // wakes the window then; see docs/benchmarks.md for the idle cost), at
        // least once a minute.
        // A kiosk looks at its idle timer every second.
        .insert_resource({
            let wake = Duration::from_secs(if args.mode == Mode::Kiosk { 1 } else { 60 });
            WinitSettings {
                focused_mode: bevy::winit::UpdateMode::reactive_low_power(wake),
                unfocused_mode: bevy::winit::UpdateMode::reactive_low_power(wake),
            }
        })
        .add_systems(Startup, |mut commands: Commands| {
            commands.spawn((Camera2d, display_client::CAMERA_MSAA));
        });
    }
    app.add_plugins(ScreenPlugin {
        layout,
        layout_file: layout_file.clone(),
        languages: args.lang.clone(),
        endpoint: Endpoint {
            url: args.server.clone(),
            station: args.station.clone(),
            kept_dir: args.state_dir.clone().unwrap_or_else(default_state_dir),
        },
        shot,
        speech: display_client::speech::SpeechOptions {
            speak_to: args.speak_to.clone(),
            dump: args.dump_speech.clone(),
            input: args.speech_input.clone(),
            mute: args.mute,
            exit_after_first: args.headless && args.screenshot.is_none(),
            layout_dir: layout_file.parent().map(PathBuf::from).unwrap_or_default(),
            kiosk: args.mode == Mode::Kiosk,
        },
        mode: args.mode,
        script,
        identity,
    });
    match app.run() {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(_) => ExitCode::from(2),
    }
}
