//! The window mode, as on a station's screen: under a virtual X server (Xvfb,
//! installed by scripts/deps.sh), the window itself is captured once the first
//! board is drawn (`--screenshot` without `--headless`).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use quai_tests::screen::{layout, read_texts};
use quai_tests::{server, stream};

const BIN: &str = env!("CARGO_BIN_EXE_display-client");

/// A virtual X server on a display number it picks itself; stopped when dropped.
struct Xvfb {
    child: Child,
    display: String,
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn xvfb() -> Xvfb {
    xvfb_of("1920x1080x24")
}

fn xvfb_of(screen: &str) -> Xvfb {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            screen,
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start Xvfb ({e}): run scripts/deps.sh first"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("Xvfb's display number");
    let number = line.trim();
    assert!(!number.is_empty(), "Xvfb did not say which display it took");
    Xvfb {
        display: format!(":{number}"),
        child,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_shows_the_live_board() {
    let demo = include_str!("../../feed-server/demo/caudry.toml");
    let server = server::start(demo, server::fixed("2026-07-01T07:30:00+02:00")).await;
    server.wait_fresh("demo:trip-updates").await;
    let x = xvfb();
    let dir = tempfile::tempdir().expect("tempdir");
    let (png, json) = (
        dir.path().join("window.png"),
        dir.path().join("window.json"),
    );
    let mut command = quai_tests::screen::command(
        Path::new(BIN),
        &stream::url(&server.base),
        &layout("platform-sign.ron"),
        &png,
        &json,
        &dir.path().join("state"),
    );
    command
        .args(["--timeout-s", "60"])
        .env("DISPLAY", &x.display)
        .env_remove("WAYLAND_DISPLAY");
    let out = tokio::task::spawn_blocking(move || {
        let out = command.output().expect("run display-client");
        drop(x);
        out
    })
    .await
    .expect("join");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The texts: the REST board's first departures (the platform sign shows 3).
    let texts = read_texts(&json).expect("the dumped texts");
    // (A long name may be set on two lines: joined again here.)
    let shown: Vec<String> = texts
        .iter()
        .filter(|(region, _)| region == "destination")
        .map(|(_, text)| text.replace("-\n", "-").replace('\n', " "))
        .collect();
    let board = server.board("caudry", "").await;
    let want: Vec<&str> = board
        .departures
        .iter()
        .take(shown.len().max(1))
        .map(|d| d.headsign.as_str())
        .collect();
    assert_eq!(shown, want);
    assert!(
        texts
            .iter()
            .any(|(region, text)| region == "status" && text == "●"),
        "{texts:?}"
    );

    // The picture: the window's size and the layout's background.
    let decoder = png::Decoder::new(BufReader::new(std::fs::File::open(&png).expect("PNG")));
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    assert_eq!((info.width, info.height), (1280, 360));
    let text = std::fs::read_to_string(layout("platform-sign.ron")).expect("layout");
    let hex = text
        .split("background: \"#")
        .nth(1)
        .and_then(|rest| rest.get(..6))
        .expect("the layout's background");
    let want = [0, 2, 4].map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"));
    let channels = buf.len() / (info.width * info.height) as usize;
    // Between the header (to y = 60) and the table (from y = 64): the canvas
    // itself (a window nothing drew on would show Bevy's grey clear colour).
    let i = (62 * info.width + info.width - 2) as usize * channels;
    let got = [buf[i], buf[i + 1], buf[i + 2]];
    assert!(
        got.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= 12),
        "background {got:?}, layout says {want:?}"
    );
}

/// `xdotool` on `display`, with `args`; its standard output.
fn xdotool(display: &str, args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .unwrap_or_else(|e| panic!("cannot run xdotool ({e}): run scripts/deps.sh first"));
    assert!(
        out.status.success(),
        "xdotool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The kiosk in a window, touched the way X delivers it: a real pointer
/// click on the Lines button (Bevy UI's `Interaction`), then a real Escape
/// key, each seen in the texts it writes at each change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_window_answers_a_click_and_a_key() {
    let demo = include_str!("../../feed-server/demo/caudry.toml");
    let server = server::start(demo, server::fixed("2026-07-01T07:30:00+02:00")).await;
    server.wait_fresh("demo:trip-updates").await;
    let x = xvfb_of("1080x1920x24");
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("kiosk.json");
    let mut command = quai_tests::screen::command(
        Path::new(BIN),
        &stream::url(&server.base),
        &layout("kiosk-portrait-1080x1920.ron"),
        &dir.path().join("kiosk.png"),
        &json,
        &dir.path().join("state"),
    );
    command
        .args([
            "--mode",
            "kiosk",
            "--mute",
            "--keep-running",
            "--timeout-s",
            "60",
        ])
        .env("DISPLAY", &x.display)
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = command.spawn().expect("run display-client");
    let title = |want: &str| {
        let json = json.clone();
        let want = want.to_string();
        async move {
            for _ in 0..600 {
                let texts = read_texts(&json).unwrap_or_default();
                if texts.iter().any(|(r, t)| r == "kiosk_title" && *t == want) {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            panic!("the kiosk never showed `{want}`: {:?}", read_texts(&json));
        }
    };
    title("Prochains départs").await;
    let window = xdotool(&x.display, &["search", "--sync", "--name", "Quai"]);
    let window = window
        .lines()
        .next()
        .expect("the kiosk's window")
        .to_string();
    // The Lines button: the first of the lower band (x 16-355, y 1616-1747).
    xdotool(
        &x.display,
        &["mousemove", "--window", &window, "180", "1680"],
    );
    xdotool(&x.display, &["click", "1"]);
    title("Lignes").await;
    xdotool(&x.display, &["windowfocus", "--sync", &window]);
    xdotool(&x.display, &["key", "Escape"]);
    title("Prochains départs").await;
    // A finger slid off before lifting cancels (WCAG 2.2, 2.5.2): down on
    // Lines, up over the title. Then a click on Disruptions, and Escape:
    // had Lines opened, Back would lead there, not home.
    xdotool(
        &x.display,
        &["mousemove", "--window", &window, "180", "1680"],
    );
    xdotool(&x.display, &["mousedown", "1"]);
    xdotool(
        &x.display,
        &["mousemove", "--window", &window, "300", "300"],
    );
    xdotool(&x.display, &["mouseup", "1"]);
    xdotool(
        &x.display,
        &["mousemove", "--window", &window, "540", "1680"],
    );
    xdotool(&x.display, &["click", "1"]);
    title("Perturbations").await;
    xdotool(&x.display, &["key", "Escape"]);
    title("Prochains départs").await;
    let _ = child.kill();
    let _ = child.wait();
    drop(x);
}
