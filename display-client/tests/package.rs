//! The Debian package `quai-screen` (docs/deployment.md): built with
//! cargo-deb, read with dpkg-deb, its unit checked by `systemd-analyze
//! verify`, then installed with dpkg in a throwaway root (an overlay of this
//! machine, see `quai_tests::package`) and set up as the installer's guide
//! says (the server's address, the screen's id and token in
//! /etc/quai/screen.env). There the installed screen runs as its unit runs
//! it — the unit's command line, under cage, as the user the package made,
//! with the unit's and the file's environment — and must draw the whole
//! board on cage's output and report to the fleet; then the package purges.
//!
//! This machine has no display: cage runs on wlroots' headless backend (a
//! 1280×720 output, software rendering), where a hall screen has its panel.
//! The screen is muted (no speakers here). Everything else is as installed.

use std::time::Duration;

use quai_protocol::{Screen, ScreenShows};
use quai_tests::package::{self, Throwaway};
use quai_tests::server;

const INSIDE: &str = r#"
set -uo pipefail
fact() { echo "FACT $*"; }
dpkg -i /tmp/debs/*.deb
fact installed $?
fact status "$(dpkg-query -W -f='${Status}' quai-screen)"
fact groups "$(id -nG quai-screen)"
fact enabled "$(ls /etc/systemd/system/*.wants/ 2>/dev/null | grep -c quai-screen)"
unit=/usr/lib/systemd/system/quai-screen.service
verify=$(systemd-analyze verify "$unit" 2>&1)
fact verify "$?${verify:+ $verify}"
# As systemd-tmpfiles does at boot.
systemd-tmpfiles --create quai-screen.conf
fact state_dir "$(stat -c '%U %a' /var/lib/quai-screen)"
# The installer's steps (docs/deployment.md, « A hall screen »).
sed -i -e 's|^QUAI_SERVER=.*|QUAI_SERVER=@SERVER@|' \
  -e 's|^#QUAI_SCREEN_ID=.*|QUAI_SCREEN_ID=hall-1|' \
  -e 's|^#QUAI_SCREEN_TOKEN_FILE=.*|QUAI_SCREEN_TOKEN_FILE=/etc/quai/screen.token|' \
  -e 's|^#QUAI_MUTE=.*|QUAI_MUTE=true|' /etc/quai/screen.env
echo '@TOKEN@' | install -m 0640 -g quai-screen /dev/stdin /etc/quai/screen.token
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
fact exec_start "$exec_start"
# The unit's environment: its Environment= lines, then its EnvironmentFile.
set -a
while IFS= read -r assignment; do eval "${assignment#Environment=}"; done < <(grep '^Environment=' "$unit")
. /etc/quai/screen.env
set +a
# What logind's session gives a screen, and a display for cage on a machine
# without one.
mkdir -m 0700 /run/quai-test/xdg && chown quai-screen: /run/quai-test/xdg
export XDG_RUNTIME_DIR=/run/quai-test/xdg WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1
cd /var/lib/quai-screen
setpriv --reuid quai-screen --regid quai-screen --init-groups \
  $exec_start --screenshot /run/quai-test/screen.png --dump-text /run/quai-test/screen.json --keep-running \
  > /run/quai-test/screen.log 2>&1 &
screen=$!
trap 'kill -KILL $screen 2>/dev/null' EXIT
fact started
for _ in $(seq 1 1800); do
  [ -e /run/quai-test/stop ] && break
  kill -0 $screen 2>/dev/null || break
  sleep 0.1
done
kill -0 $screen 2>/dev/null && fact running yes || fact running no
kill -TERM $screen; wait $screen
fact kept "$(ls /var/lib/quai-screen)"
dpkg --purge quai-screen > /dev/null
fact purged $?
fact left "$(ls /usr/bin/quai-screen /usr/share/quai /etc/quai/screen.env /usr/lib/systemd/system/quai-screen.service 2>/dev/null)"
"#;

/// The pixels of a PNG, its width, height and channels; None while it is
/// being written.
fn pixels(png_bytes: &[u8]) -> Option<(Vec<u8>, u32, u32, usize)> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buf).ok()?;
    let channels = info.color_type.samples();
    Some((buf, info.width, info.height, channels))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_package_installs_and_its_unit_shows_the_board_under_cage() {
    let out = tempfile::tempdir().expect("tempdir");
    let deb = package::build(
        "display-client",
        "display-client",
        env!("CARGO_BIN_EXE_display-client").as_ref(),
        out.path(),
    );

    assert_eq!(package::field(&deb, "Package"), "quai-screen");
    let depends = package::field(&deb, "Depends");
    for needed in [
        "libc6 (>= 2.36)",
        "cage",
        "xwayland",
        "libvulkan1",
        "espeak-ng",
        "libxkbcommon-x11-0",
    ] {
        assert!(
            depends.contains(needed),
            "Depends lacks {needed}: {depends}"
        );
    }
    let files = package::contents(&deb);
    let has = |path: &str| files.iter().any(|(p, _)| p == path);
    for path in [
        "/usr/bin/quai-screen",
        "/usr/share/quai/layouts/hall-1080p.ron",
        "/usr/share/quai/layouts/kiosk-portrait-1080x1920.ron",
        "/usr/share/quai/layouts/lexicon.ron",
        "/usr/share/quai/assets/fonts/DejaVuSans.ttf",
        "/usr/share/quai/assets/fonts/LICENSE-DejaVu.txt",
        "/etc/quai/screen.env",
        "/usr/lib/systemd/system/quai-screen.service",
        "/usr/lib/sysusers.d/quai-screen.conf",
        "/usr/lib/tmpfiles.d/quai-screen.conf",
        "/usr/share/doc/quai-screen/deployment.md",
    ] {
        assert!(has(path), "{path} not in the package: {files:?}");
    }
    // Every shipped layout is in it.
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../layouts"))
        .expect("layouts/")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(has(&format!("/usr/share/quai/layouts/{name}")), "{name}");
    }
    assert_eq!(
        package::control_file(&deb, "conffiles").trim(),
        "/etc/quai/screen.env"
    );

    if let Some(why) = package::cannot_install() {
        eprintln!("NOT RUN: the install in a throwaway root: {why}");
        return;
    }
    let demo = include_str!("../../feed-server/demo/caudry.toml");
    let server = server::start(demo, server::fixed("2026-07-01T07:30:00+02:00")).await;
    server.wait_fresh("demo:trip-updates").await;
    let screen_token = server.operator("ecran-hall-1", &["screen:hall-1"]);
    let regulation = server.operator("regulation", &["station:caudry"]);
    let inside = INSIDE
        .replace("@SERVER@", &quai_tests::stream::url(&server.base))
        .replace("@TOKEN@", &screen_token);
    let mut root = Throwaway::prepare(&[deb]).start(&inside);
    let long = Duration::from_secs(60);
    assert_eq!(root.fact("installed", long), "0", "{}", root.log.join("\n"));
    assert_eq!(root.fact("status", long), "install ok installed");
    let groups = root.fact("groups", long);
    for group in ["video", "render", "input", "audio"] {
        assert!(groups.split(' ').any(|g| g == group), "{groups}");
    }
    // Installed, not started: the screen waits for its settings.
    assert_eq!(root.fact("enabled", long), "0");
    assert_eq!(
        root.fact("verify", long),
        "0",
        "systemd-analyze verify said more"
    );
    assert_eq!(root.fact("state_dir", long), "quai-screen 750");
    assert_eq!(
        root.fact("exec_start", long),
        "/usr/bin/cage -d -s -- /usr/bin/quai-screen --fullscreen"
    );
    root.fact("started", long);

    // It reports to the fleet as the installer named it, live.
    let shared = root.shared();
    let mut seen: Option<Screen> = None;
    for _ in 0..900 {
        seen = server
            .screens(&regulation)
            .await
            .into_iter()
            .find(|s| s.id == "hall-1");
        if seen
            .as_ref()
            .is_some_and(|s| s.report.shows == ScreenShows::Live)
            && shared.join("screen.png").exists()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = || std::fs::read_to_string(shared.join("screen.log")).unwrap_or_default();
    let seen = seen.unwrap_or_else(|| panic!("hall-1 never reported; its log:\n{}", log()));
    assert_eq!(seen.report.shows, ScreenShows::Live, "{seen:#?}\n{}", log());
    assert_eq!(seen.report.layout, "Hall 1080p");
    assert_eq!(seen.report.version, env!("CARGO_PKG_VERSION"));

    // The whole board on cage's output: 1280×720, the 1920×1080 layout scaled
    // to fit (at scale 1 its clock, top right, would be off the picture).
    let texts: serde_json::Value = serde_json::from_slice(
        &std::fs::read(shared.join("screen.json")).expect("the screen's texts"),
    )
    .expect("JSON");
    let header = texts["texts"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["region"] == "header"))
        .map(|t| t["text"].clone());
    assert_eq!(
        header,
        Some(serde_json::json!("Caudry – Pôle d'échanges")),
        "{texts}"
    );
    // The screen rewrites its picture at each change: read a whole one.
    let mut picture = None;
    for _ in 0..100 {
        picture = std::fs::read(shared.join("screen.png"))
            .ok()
            .and_then(|b| pixels(&b));
        if picture.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (rgb, width, height, channels) = picture.expect("a whole PNG from the screen");
    assert_eq!((width, height), (1280, 720));
    let white_in_clock = (8..70)
        .flat_map(|y| (1190..1275).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let i = (y * width as usize + x) * channels;
            rgb[i] > 240 && rgb[i + 1] > 240 && rgb[i + 2] > 240
        })
        .count();
    assert!(
        white_in_clock > 50,
        "no clock digits at the top right of the picture ({white_in_clock} white pixels): the board does not fit the output"
    );

    std::fs::write(shared.join("stop"), b"").expect("say stop");
    assert_eq!(root.fact("running", long), "yes", "{}", log());
    assert!(root.fact("kept", long).contains("board-caudry.json"));
    assert_eq!(root.fact("purged", long), "0");
    assert_eq!(root.fact("left", long), "", "files left after purge");
    assert!(root.finished(long), "{}", root.log.join("\n"));
}
