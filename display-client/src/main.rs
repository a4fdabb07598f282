//! `display-client`: a station screen showing one station's live board.
//!
//! `display-client [--server ws://HOST:PORT/v1/stream] [--station ID]
//! [--layout layouts/NAME.ron] [--lang fr,en] [--fullscreen] [--state-dir DIR]
//! [--headless --screenshot OUT.png [--size WxH] [--wait-for snapshot|N-deltas]
//! [--dump-text OUT.json]]`

mod contrast;
mod headless;
mod kept;
mod layout;
mod layout_watch;
mod network;
mod qr;
mod screen;
mod wording;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bevy::app::ScheduleRunnerPlugin;
use bevy::prelude::*;
use bevy::window::{ExitCondition, WindowMode, WindowResolution};
use bevy::winit::{WinitPlugin, WinitSettings};
use clap::Parser;

#[derive(Debug, Parser)]
#[command(name = "display-client", version, about = "Quai station screen")]
struct Args {
    /// The feed server's live stream.
    #[arg(long, default_value = "ws://127.0.0.1:8080/v1/stream")]
    server: String,
    #[arg(long, default_value = "caudry")]
    station: String,
    /// Screen layout (RON).
    #[arg(long, default_value = "layouts/hall-1080p.ron")]
    layout: PathBuf,
    /// Languages shown in turn (overrides the layout's).
    #[arg(long, value_delimiter = ',')]
    lang: Option<Vec<String>>,
    #[arg(long)]
    fullscreen: bool,
    /// Where the last board is kept, to show at the next start if the server is
    /// unreachable (default: $XDG_STATE_HOME/quai or ~/.local/state/quai).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Render offscreen, write --screenshot and exit.
    #[arg(long, requires = "screenshot")]
    headless: bool,
    #[arg(long, value_name = "OUT.png")]
    screenshot: Option<PathBuf>,
    /// Picture size, e.g. 1920x1080 (default: the layout's canvas).
    #[arg(long, value_parser = parse_size)]
    size: Option<(u32, u32)>,
    /// `snapshot` (the first board), `N-deltas` (N boards after it) or `nothing`.
    #[arg(long, default_value = "snapshot", value_parser = parse_wait)]
    wait_for: headless::WaitFor,
    /// Write the texts on the picture, with their regions, as JSON.
    #[arg(long, value_name = "OUT.json")]
    dump_text: Option<PathBuf>,
    /// Seconds to wait for --wait-for before giving up (exit status 2).
    #[arg(long, default_value_t = 30.0)]
    timeout_s: f64,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once('x')
        .ok_or("write WIDTHxHEIGHT, e.g. 1920x1080")?;
    let w = w.parse().map_err(|_| "bad width")?;
    let h = h.parse().map_err(|_| "bad height")?;
    Ok((w, h))
}

fn parse_wait(s: &str) -> Result<headless::WaitFor, String> {
    match s {
        "snapshot" => Ok(headless::WaitFor::Snapshot),
        "nothing" => Ok(headless::WaitFor::Nothing),
        other => other
            .strip_suffix("-deltas")
            .and_then(|n| n.parse().ok())
            .map(headless::WaitFor::Deltas)
            .ok_or_else(|| format!("`{other}`: write snapshot, nothing or N-deltas")),
    }
}

/// Where assets live: next to the executable's workspace in development, or
/// `QUAI_ASSETS`.
fn assets_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("QUAI_ASSETS") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../assets")
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut layout = match layout::Layout::load(&args.layout) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(langs) = &args.lang {
        layout.languages = langs.clone();
    }
    if layout
        .ticker
        .as_ref()
        .is_some_and(|t| matches!(t.mode, layout::TickerMode::Scroll))
    {
        eprintln!(
            "warning: {}: the smooth-scrolling ticker is not built yet; the ticker is paged",
            args.layout.display()
        );
    }
    let (width, height) = args
        .size
        .unwrap_or((layout.canvas.width, layout.canvas.height));
    let mut app = App::new();
    let assets = AssetPlugin {
        file_path: assets_dir().to_string_lossy().into_owned(),
        ..default()
    };
    if args.headless {
        app.add_plugins(
            DefaultPlugins
                .set(assets)
                .set(WindowPlugin {
                    primary_window: None,
                    exit_condition: ExitCondition::DontExit,
                    ..default()
                })
                .disable::<WinitPlugin>(),
        )
        .add_plugins(ScheduleRunnerPlugin::run_loop(Duration::from_millis(16)))
        .insert_resource(headless::Shot {
            png: args
                .screenshot
                .clone()
                .unwrap_or_else(|| "screen.png".into()),
            dump_text: args.dump_text.clone(),
            wait_for: args.wait_for,
            timeout: Duration::from_secs_f64(args.timeout_s),
            width,
            height,
        })
        .add_plugins(headless::plugin);
    } else {
        app.add_plugins(DefaultPlugins.set(assets).set(WindowPlugin {
            primary_window: Some(Window {
                title: format!("Quai – {}", args.station),
                resolution: WindowResolution::new(width, height),
                mode: if args.fullscreen {
                    WindowMode::BorderlessFullscreen(bevy::window::MonitorSelection::Primary)
                } else {
                    WindowMode::Windowed
                },
                ..default()
            }),
            ..default()
        }))
        // Calm and cheap: a frame when something changes, at least once a second
        // for the clock (see docs/benchmarks.md for the idle cost).
        .insert_resource(WinitSettings {
            focused_mode: bevy::winit::UpdateMode::reactive_low_power(Duration::from_secs(1)),
            unfocused_mode: bevy::winit::UpdateMode::reactive_low_power(Duration::from_secs(1)),
        })
        .add_systems(Startup, |mut commands: Commands| {
            commands.spawn(Camera2d);
        });
    }
    app.insert_resource(screen::CurrentLayout(layout))
        .insert_resource(layout_watch::LayoutFile::new(
            args.layout.clone(),
            args.lang.clone(),
        ))
        .insert_resource(network::Endpoint {
            url: args.server.clone(),
            station: args.station.clone(),
            kept_dir: args.state_dir.clone().unwrap_or_else(kept::default_dir),
        })
        .add_plugins((network::plugin, screen::plugin, layout_watch::plugin));
    match app.run() {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(_) => ExitCode::from(2),
    }
}
