//! The screen rendered headless (Mesa's lavapipe software Vulkan) against a real
//! feed server on 127.0.0.1: what it writes (`--dump-text`) and what it draws
//! (pixels of the PNG).

use std::path::Path;
use std::process::Command;

use quai_protocol::{Board, DepartureStatus};
use quai_tests::board::hm;
use quai_tests::screen::{LIVE, NOT_LIVE, Screen, layout, read_texts};
use quai_tests::server::{self, Running};
use quai_tests::stream;

const BIN: &str = env!("CARGO_BIN_EXE_display-client");

/// The demo with its realtime and weather simulators and its Wi-Fi, at a fixed time.
async fn demo() -> Running {
    demo_at("2026-07-01T07:30:00+02:00").await
}

async fn demo_at(now: &str) -> Running {
    let demo = include_str!("../../feed-server/demo/caudry.toml");
    let server = server::start(demo, server::fixed(now)).await;
    server.wait_fresh("demo:trip-updates").await;
    server.wait_fresh("demo:alerts").await;
    // The weather source is polled once at start; wait for its advisory.
    for _ in 0..200 {
        let board = server.board("caudry", "").await;
        if !board.advisories.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    server
}

/// The demo with one more notice (a JSON body), published by an operator of
/// Caudry.
async fn demo_with_notice(notice: serde_json::Value) -> Running {
    let server = demo().await;
    let token = server.operator("regulation", &["station:caudry"]);
    server
        .post_json("/v1/notices", &token, &notice)
        .await
        .expect(201);
    server
}

struct Shot {
    ok: bool,
    stderr: String,
    texts: Vec<(String, String)>,
    png: Option<(u32, u32, Vec<u8>)>,
}

async fn shoot(base: &str, layout: &str, wait_for: &str, dir: &Path) -> Shot {
    shoot_with(base, layout, wait_for, dir, &[]).await
}

async fn shoot_with(
    base: &str,
    layout_name: &str,
    wait_for: &str,
    dir: &Path,
    extra: &[&str],
) -> Shot {
    let extra: Vec<String> = extra.iter().map(|a| a.to_string()).collect();
    let png = dir.join("screen.png");
    let json = dir.join("screen.json");
    let mut command = quai_tests::screen::command(
        Path::new(BIN),
        &stream::url(base),
        &layout(layout_name),
        &png,
        &json,
        &dir.join("state"),
    );
    command
        .args(["--headless", "--timeout-s", "60", "--wait-for", wait_for])
        .args(&extra);
    let out = tokio::task::spawn_blocking(move || command.output().expect("run display-client"))
        .await
        .expect("join");
    let texts = read_texts(&json).unwrap_or_default();
    let png = std::fs::File::open(&png).ok().and_then(|f| {
        let mut reader = png::Decoder::new(std::io::BufReader::new(f))
            .read_info()
            .ok()?;
        let mut buf = vec![0; reader.output_buffer_size()?];
        let info = reader.next_frame(&mut buf).ok()?;
        buf.truncate(info.buffer_size());
        Some((info.width, info.height, buf))
    });
    Shot {
        ok: out.status.success(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        texts,
        png,
    }
}

/// 07:30 tomorrow in Paris (RFC 3339): a server clock whose board a screen keeps
/// without its own clock pruning it.
fn tomorrow_morning() -> String {
    let paris = chrono_tz::Europe::Paris;
    let tomorrow = chrono::Utc::now().with_timezone(&paris).date_naive() + chrono::Days::new(1);
    tomorrow
        .and_hms_opt(7, 30, 0)
        .and_then(|t| t.and_local_timezone(paris).single())
        .expect("07:30 exists")
        .to_rfc3339()
}

/// A port on 127.0.0.1 that nobody listens on (for now).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The platform sign with `keys` added to its `departures` (after its
/// columns), shot against `base` in `dir` (with the network's abbreviations
/// beside it, as a deployment has them).
async fn sign_with(base: &str, keys: &str, dir: &Path) -> Shot {
    let text = std::fs::read_to_string(layout("platform-sign.ron")).expect("layout");
    let columns = "columns: [Countdown, Line, Destination, Status],";
    let sign = text.replacen(columns, &format!("{columns}\n        {keys}"), 1);
    assert_ne!(sign, text);
    let path = dir.join("sign.ron");
    std::fs::write(&path, sign).expect("write");
    std::fs::copy(layout("abbreviations.ron"), dir.join("abbreviations.ron")).expect("copy");
    let shot = shoot_with(base, path.to_str().expect("utf-8"), "snapshot", dir, &[]).await;
    assert!(shot.ok, "{}", shot.stderr);
    shot
}

fn texts_of<'a>(shot: &'a Shot, region: &str) -> Vec<&'a str> {
    shot.texts
        .iter()
        .filter(|(r, _)| r == region)
        .map(|(_, t)| t.as_str())
        .collect()
}

fn pixel(png: &(u32, u32, Vec<u8>), x: u32, y: u32) -> [u8; 3] {
    // RGB or RGBA, whichever the encoder chose.
    let channels = png.2.len() / (png.0 * png.1) as usize;
    let i = (y * png.0 + x) as usize * channels;
    [png.2[i], png.2[i + 1], png.2[i + 2]]
}

fn close(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 12)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hall_screen_shows_the_live_board() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let shot = shoot(&server.base, "hall-1080p.ron", "snapshot", dir.path()).await;
    assert!(shot.ok, "display-client failed:\n{}", shot.stderr);
    let board = server.board("caudry", "?limit=30").await;
    let deps = &board.departures;

    // The first page: the REST board's first ten departures, in order, at their
    // timetabled times.
    let want: Vec<&str> = deps.iter().take(10).map(|d| d.headsign.as_str()).collect();
    assert_eq!(texts_of(&shot, "destination"), want);
    let times: Vec<String> = deps.iter().take(10).map(|d| hm(&d.scheduled)).collect();
    assert_eq!(texts_of(&shot, "time"), times);
    assert_eq!(texts_of(&shot, "header"), vec!["Caudry – Pôle d'échanges"]);
    assert_eq!(texts_of(&shot, "clock"), vec!["07:30"]);
    assert_eq!(texts_of(&shot, "status"), vec!["●"]);
    // Status always in words.
    let statuses = texts_of(&shot, "status_column");
    assert_eq!(statuses.len(), 10);
    assert!(
        statuses
            .iter()
            // After the status, how full the bus is, when known.
            .map(|s| s.split(" · ").next().unwrap_or(s))
            .all(|s| s == "à l'heure"
                || s.starts_with("retardé +")
                || s == "supprimé"
                || s.starts_with("en avance")
                || s == "horaire prévu"),
        "{statuses:?}"
    );
    // The ticker shows the lift out of service first (marked ♿: it comes
    // before the roadworks), the panel the heatwave advice, the Wi-Fi panel
    // its network.
    assert_eq!(
        texts_of(&shot, "ticker"),
        vec!["♿ Ascenseur du quai 2 hors service"]
    );
    let advisory = texts_of(&shot, "advisory");
    assert_eq!(advisory.first(), Some(&"Vigilance orange – Canicule"));
    assert!(
        advisory.iter().any(|l| l.contains("Buvez de l'eau")),
        "{advisory:?}"
    );
    let wifi = texts_of(&shot, "wifi");
    assert!(
        wifi.contains(&"Wi-Fi gratuit") && wifi.contains(&"Caudry-Pole-WiFi-Gratuit"),
        "{wifi:?}"
    );
    assert_eq!(texts_of(&shot, "page"), vec!["1/3"]);

    // Pixels: the hall background, and the first line badge in its route colour.
    let png = shot.png.as_ref().expect("a PNG");
    assert_eq!((png.0, png.1), (1920, 1080));
    let background = pixel(png, 1200, 900);
    assert!(close(background, [0x0B, 0x23, 0x41]), "{background:?}");
    let hex = &deps[0].route.color;
    let rgb = [
        u8::from_str_radix(&hex[1..3], 16).expect("r"),
        u8::from_str_radix(&hex[3..5], 16).expect("g"),
        u8::from_str_radix(&hex[5..7], 16).expect("b"),
    ];
    // Row 1's badge: the line column starts at 16 + 14 % of 1440 px; rows are 82 px
    // from y = 120.
    let badge = pixel(png, 16 + 202 + 6, 120 + 12);
    assert!(close(badge, rgb), "badge {badge:?} vs route colour {rgb:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_arrivals_screen_lists_where_each_comes_from() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let shot = shoot(
        &server.base,
        "hall-arrivals-1080p.ron",
        "snapshot",
        dir.path(),
    )
    .await;
    assert!(shot.ok, "display-client failed:\n{}", shot.stderr);
    let board = server.board("caudry", "?limit=30").await;
    // The first page: the REST board's first ten arrivals, in order, each by
    // where it comes from, at its timetabled arrival time.
    let arrivals = &board.arrivals;
    assert!(arrivals.len() > 10, "{arrivals:?}");
    // Long names set as the screen sets them (abbreviated, on two lines).
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let font = std::fs::read(root.join("assets/fonts/DejaVuSans.ttf")).expect("the font");
    let measure = display_client::names::Measure::new(&font).expect("a font");
    let abbreviations =
        display_client::names::Abbreviations::load(&root.join("layouts/abbreviations.ron"))
            .expect("the table");
    let l = display_client::Layout::load(&layout("hall-arrivals-1080p.ron")).expect("layout");
    let origins: Vec<String> = arrivals
        .iter()
        .take(10)
        .map(|a| display_client::names::destination(&l, &a.origin, &measure, &abbreviations).text)
        .collect();
    assert_eq!(texts_of(&shot, "destination"), origins);
    assert!(
        origins.iter().any(|o| o == "Lille-Flandres"),
        "the demo's trains from Lille: {origins:?}"
    );
    let times: Vec<String> = arrivals.iter().take(10).map(|a| hm(&a.scheduled)).collect();
    assert_eq!(texts_of(&shot, "time"), times);
    // Not the departures', and said to be arrivals.
    let departures: Vec<String> = board
        .departures
        .iter()
        .take(10)
        .map(|d| hm(&d.scheduled))
        .collect();
    assert_ne!(times, departures);
    assert_eq!(
        texts_of(&shot, "header"),
        vec!["Arrivées · Caudry – Pôle d'échanges"]
    );
    assert_eq!(texts_of(&shot, "status_column").len(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_severe_notice_takes_the_banner_in_the_alert_colour() {
    let server = demo_with_notice(serde_json::json!({
        "severity": "severe",
        "cause": "police_activity",
        "effect": "no_service",
        "header": {"fr": "Gare fermée", "en": "Station closed"},
        "description": {"fr": "Intervention des secours. Aucun départ."},
        "screen_text": {"fr": "Gare fermée : aucun départ jusqu'à nouvel ordre"},
        "informed_entities": [{"stop_id": "demo:CAUDRY"}],
    }))
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let shot = shoot(&server.base, "hall-1080p.ron", "snapshot", dir.path()).await;
    assert!(shot.ok, "{}", shot.stderr);
    assert_eq!(
        texts_of(&shot, "banner"),
        vec!["⚠ Gare fermée : aucun départ jusqu'à nouvel ordre"]
    );
    // The ordinary notice waits: the banner has the bar to itself.
    assert!(texts_of(&shot, "ticker").is_empty(), "{:?}", shot.texts);
    // It has more than its line (a description): its QR code at the bar's
    // right end, the bar's colour before it.
    let links = texts_of(&shot, "ticker_qr");
    assert_eq!(links.len(), 1, "{:?}", shot.texts);
    assert!(links[0].contains("/portal/notices/"), "{links:?}");
    let png = shot.png.as_ref().expect("a PNG");
    let bar = pixel(png, 1600, 1050);
    assert!(close(bar, [0xFF, 0x5C, 0x5C]), "{bar:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrolling_ticker_runs_all_notices_in_from_the_right() {
    let server = demo_with_notice(serde_json::json!({
        "severity": "warning",
        "cause": "construction",
        "effect": "detour",
        "header": {"fr": "Travaux rue de Cambrai"},
        "screen_text": {"fr": "Travaux rue de Cambrai : ligne 1 déviée"},
        "informed_entities": [{"stop_id": "demo:CAUDRY"}],
    }))
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let hall = std::fs::read_to_string(layout("hall-1080p.ron")).expect("layout");
    let scrolling = hall.replacen("mode: Paged,", "mode: Scroll, speed: 60,", 1);
    assert_ne!(scrolling, hall, "the hall layout's ticker is paged");
    let layout = dir.path().join("scrolling.ron");
    std::fs::write(&layout, scrolling).expect("write");
    let shot = shoot(
        &server.base,
        layout.to_str().expect("UTF-8 path"),
        "snapshot",
        dir.path(),
    )
    .await;
    assert!(shot.ok, "{}", shot.stderr);
    // One line with every notice, one after the other.
    let ticker = texts_of(&shot, "ticker");
    assert_eq!(ticker.len(), 1, "{:?}", shot.texts);
    assert!(
        ticker[0].contains("Ligne 4 : arrêt Solesmes – Centre déplacé")
            && ticker[0].contains("Travaux rue de Cambrai : ligne 1 déviée"),
        "{ticker:?}"
    );
    // It starts at the bar's right edge and moves left at 60 px/s: a few seconds
    // after start its head is in the right half, the left half still empty
    // (a paged ticker writes from x = 24).
    let png = shot.png.as_ref().expect("a PNG");
    let accent = |x0: u32, x1: u32| {
        (x0..x1)
            .flat_map(|x| (990..1050).map(move |y| (x, y)))
            .filter(|&(x, y)| close(pixel(png, x, y), [0xFF, 0xD4, 0x00]))
            .count()
    };
    assert_eq!(accent(0, 900), 0, "text in the left half of the bar");
    assert!(
        accent(960, 1920) > 0,
        "no text in the right half of the bar"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_english_labels_statuses_and_advice_are_english() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let shot = shoot_with(
        &server.base,
        "hall-1080p.ron",
        "snapshot",
        dir.path(),
        &["--lang", "en"],
    )
    .await;
    assert!(shot.ok, "{}", shot.stderr);
    let statuses = texts_of(&shot, "status_column");
    assert!(!statuses.is_empty());
    assert!(
        statuses
            .iter()
            // After the status, how full the bus is, when known.
            .map(|s| s.split(" · ").next().unwrap_or(s))
            .all(|s| s == "on time"
                || s.starts_with("delayed +")
                || s == "cancelled"
                || s.starts_with("early")
                || s == "scheduled"),
        "{statuses:?}"
    );
    let advisory = texts_of(&shot, "advisory");
    assert_eq!(advisory.first(), Some(&"Orange warning – Heatwave"));
    assert!(
        advisory.iter().any(|l| l.contains("Drink water")),
        "{advisory:?}"
    );
    assert!(texts_of(&shot, "wifi").contains(&"Free Wi-Fi"));
    // Destinations are names, not translated.
    let board = server.board("caudry", "?limit=10").await;
    let first = board.departures[0].headsign.as_str();
    assert_eq!(texts_of(&shot, "destination").first(), Some(&first));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_server_the_screen_says_it_is_starting() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A port nobody listens on; French only, whenever the picture is taken.
    let port = free_port();
    let shot = shoot_with(
        &format!("http://127.0.0.1:{port}"),
        "platform-sign.ron",
        "nothing",
        dir.path(),
        &["--lang", "fr"],
    )
    .await;
    assert!(shot.ok, "{}", shot.stderr);
    assert_eq!(texts_of(&shot, "status"), vec!["Démarrage…"]);
    assert!(texts_of(&shot, "destination").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_server_is_gone_the_kept_board_is_shown_as_not_live() {
    // The server's clock at 07:30 tomorrow (Paris): a kept board is shown against
    // the screen's own clock, and all its departures are still to come.
    let morning = tomorrow_morning();
    let server = demo_at(&morning).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let live = shoot(&server.base, "hall-1080p.ron", "snapshot", dir.path()).await;
    assert!(live.ok, "{}", live.stderr);
    assert_eq!(texts_of(&live, "status"), vec!["●"]);
    let destinations = texts_of(&live, "destination");
    // (Fewer on a Sunday morning than on a weekday, but never none at 07:30.)
    assert!(!destinations.is_empty(), "{:?}", live.texts);
    let base = server.base.clone();
    drop(server);
    let addr = base.trim_start_matches("http://").to_string();
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&addr).await.is_err() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Restarted with nothing to connect to: the same departures, marked as not live.
    let kept = shoot(&base, "hall-1080p.ron", "nothing", dir.path()).await;
    assert!(kept.ok, "{}", kept.stderr);
    assert_eq!(
        texts_of(&kept, "status"),
        vec!["Horaires théoriques – information en direct indisponible"]
    );
    assert_eq!(texts_of(&kept, "destination"), destinations);
    assert_eq!(texts_of(&kept, "header"), vec!["Caudry – Pôle d'échanges"]);

    // A cancelled departure stays on the board, greyed and struck through, its
    // status in words: the first row's middle, past its destination's text,
    // crosses the line (the theme's muted grey) where the live board had the
    // background.
    let kept_file = dir.path().join("state/board-caudry.json");
    let mut board: Board =
        serde_json::from_str(&std::fs::read_to_string(&kept_file).expect("kept board"))
            .expect("a kept board");
    board.departures[0].status = DepartureStatus::Cancelled;
    std::fs::write(&kept_file, serde_json::to_string(&board).expect("JSON")).expect("write");
    let cancelled = shoot(&base, "hall-1080p.ron", "nothing", dir.path()).await;
    assert!(cancelled.ok, "{}", cancelled.stderr);
    assert_eq!(texts_of(&cancelled, "destination"), destinations);
    assert_eq!(texts_of(&cancelled, "status_column")[0], "supprimé");
    let (before, after) = (
        live.png.as_ref().expect("PNG"),
        cancelled.png.as_ref().expect("PNG"),
    );
    // x: the end of the destination column (376 to 952 px), clear of its text.
    let (x, y) = (940, 120 + 41);
    assert!(
        close(pixel(before, x, y), [0x0B, 0x23, 0x41]),
        "{:?}",
        pixel(before, x, y)
    );
    assert!(
        close(pixel(after, x, y), [0xC9, 0xD3, 0xE0]),
        "{:?}",
        pixel(after, x, y)
    );
    // A row still running is not struck.
    let running = texts_of(&cancelled, "status_column")
        .iter()
        .position(|s| *s != "supprimé")
        .expect("a departure still running") as u32;
    let y = y + 82 * running;
    assert!(
        close(pixel(after, x, y), [0x0B, 0x23, 0x41]),
        "{:?}",
        pixel(after, x, y)
    );

    // A damaged kept board is ignored: the screen starts as if it had none.
    std::fs::write(
        dir.path().join("state/board-caudry.json"),
        b"{\"seq\": 1, trunc",
    )
    .expect("write");
    let damaged = shoot(&base, "hall-1080p.ron", "nothing", dir.path()).await;
    assert!(damaged.ok, "{}", damaged.stderr);
    assert_eq!(texts_of(&damaged, "status"), vec!["Démarrage…"]);
    assert!(texts_of(&damaged, "destination").is_empty());
}

/// A screen left running (`--keep-running`) on `base`'s stream.
fn watch(base: &str, dir: &Path) -> Screen {
    Screen::start(Path::new(BIN), &stream::url(base), dir).expect("run display-client")
}

/// Waits (up to 60 s) for the screen's status line to read `status`; the texts
/// then on screen.
async fn until(screen: &mut Screen, status: &str) -> Vec<(String, String)> {
    screen
        .until(status, std::time::Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn destinations(texts: &[(String, String)]) -> Vec<&str> {
    texts
        .iter()
        .filter(|(r, _)| r == "destination")
        .map(|(_, t)| t.as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_screen_goes_not_live_when_the_server_dies_and_live_again_when_it_returns() {
    // The server's clock moves on from 07:30 tomorrow (Paris), so the board the
    // screen keeps is not pruned by the screen's own clock.
    let morning = tomorrow_morning();
    let demo = include_str!("../../feed-server/demo/caudry.toml");
    let server = server::start(demo, server::fixed(&morning)).await;
    server.wait_fresh("demo:trip-updates").await;
    let port: u16 = server
        .base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut screen = watch(&server.base, dir.path());

    let live = until(&mut screen, LIVE).await;
    assert!(!destinations(&live).is_empty(), "{live:?}");
    let board = server.board("caudry", "?limit=30").await;
    let headsigns: Vec<&str> = board
        .departures
        .iter()
        .map(|d| d.headsign.as_str())
        .collect();

    // The server dies: the next frame says so, and keeps the board (maybe on
    // another of its pages by then: the French status line waits for its turn).
    drop(server);
    let gone = until(&mut screen, NOT_LIVE).await;
    let kept = destinations(&gone);
    assert!(
        !kept.is_empty() && kept.iter().all(|d| headsigns.contains(d)),
        "kept {kept:?}, the board had {headsigns:?}"
    );

    // It comes back on the same address: live again, on its own.
    let server = server::start_on(demo, server::fixed(&morning), port).await;
    server.wait_fresh("demo:trip-updates").await;
    let back = until(&mut screen, LIVE).await;
    assert!(!destinations(&back).is_empty(), "{back:?}");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_that_waited_for_its_server_starts_on_the_first_page_in_french() {
    // At power-on the screen may be up long before its server: nobody listens on
    // this port yet.
    let port = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut screen = watch(&format!("http://127.0.0.1:{port}"), dir.path());
    // Longer than a page (20 s) and a language's turn (10 s) of the hall layout.
    tokio::time::sleep(std::time::Duration::from_secs(22)).await;
    let demo = include_str!("../../feed-server/demo/caudry.toml");
    let server = server::start_on(demo, server::fixed("2026-07-01T07:30:00+02:00"), port).await;
    // The first board shows from its first page, in the first language, for a
    // full turn: paging and rotation start with it, not with the screen.
    let live = until(&mut screen, LIVE).await;
    let text = |region: &str| -> Vec<&str> {
        live.iter()
            .filter(|(r, _)| r == region)
            .map(|(_, t)| t.as_str())
            .collect()
    };
    let page = text("page");
    assert!(page.len() == 1 && page[0].starts_with("1/"), "{live:?}");
    assert!(text("wifi").contains(&"Wi-Fi gratuit"), "{live:?}");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_screen_goes_not_live_while_its_upstream_fails_and_live_when_it_recovers() {
    use quai_tests::changes::{Rng, random_updates};
    use quai_tests::upstream::{Reply, Upstream};
    // The realtime feed's day, and a clock running from its morning.
    const START: &str = "2026-03-09T07:30:00+01:00";
    let start = chrono::DateTime::parse_from_rfc3339(START).expect("start");
    let began = std::time::Instant::now();
    let now_ts = move || start.timestamp() + began.elapsed().as_secs() as i64;
    let mut rng = Rng(2027);
    let upstream = Upstream::start(Reply::Body(random_updates(&mut rng, now_ts()))).await;
    // A working upstream publishes a fresh message every half second (one message
    // alone goes stale stale_after_s after its timestamp, maybe before a slow
    // screen has even started); while `failing`, it answers 500 instead.
    let failing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let publisher = {
        let (upstream, failing) = (upstream.clone(), failing.clone());
        tokio::spawn(async move {
            loop {
                if failing.load(std::sync::atomic::Ordering::SeqCst) {
                    upstream.set(Reply::Status(500, None));
                } else {
                    upstream.set(Reply::Body(random_updates(&mut rng, now_ts())));
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        })
    };
    let config = server::demo_config(
        "",
        &format!(
            "trip_updates_url = \"{}/tu.pb\"\npoll_s = 0.2\nmax_backoff_s = 0.5\nstale_after_s = 3",
            upstream.url
        ),
    );
    let server = server::start(&config, server::running(START)).await;
    server.wait_fresh("demo:trip-updates").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut screen = watch(&server.base, dir.path());
    until(&mut screen, LIVE).await;

    // The upstream answers 500 from now on: once its last message is older than
    // stale_after_s, the board says so and the screen shows scheduled times.
    failing.store(true, std::sync::atomic::Ordering::SeqCst);
    upstream.set(Reply::Status(500, None));
    let stale = until(&mut screen, NOT_LIVE).await;
    assert!(!destinations(&stale).is_empty(), "{stale:?}");

    // It recovers: live again.
    failing.store(false, std::sync::atomic::Ordering::SeqCst);
    until(&mut screen, LIVE).await;
    publisher.abort();
}

#[test]
fn a_broken_layout_is_refused_with_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("broken.ron");
    let text = std::fs::read_to_string(layout("platform-sign.ron")).expect("layout");
    std::fs::write(
        &path,
        text.replacen("rows_per_page: 3", "rows_per_page: three", 1),
    )
    .expect("write");
    let out = Command::new(BIN)
        .args(["--headless", "--screenshot", "x.png", "--layout"])
        .arg(&path)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.ron:19:"), "{stderr}");
}

/// A sign at bay A of the hub (`departures.platforms: ["A"]` in its layout):
/// only bay A's departures, as the REST board filtered by platform gives them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_bay_sign_shows_its_bay_only() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let shot = sign_with(&server.base, "platforms: [\"A\"],", dir.path()).await;
    let shown = texts_of(&shot, "destination");
    let board = server.board("caudry", "?platforms=A").await;
    let want: Vec<&str> = board
        .departures
        .iter()
        .take(3)
        .map(|d| d.headsign.as_str())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(shown, want);
}

/// A sign 6 minutes' walk from its stops (`departures.walk_min` in its
/// layout): what leaves sooner is left out, and the countdowns count to the
/// moment one must leave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_far_from_its_stops_counts_the_walk() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let shot = sign_with(&server.base, "walk_min: {\"*\": 6},", dir.path()).await;
    let board = server.board("caudry", "?limit=30").await;
    let now = chrono::DateTime::parse_from_rfc3339(&board.generated_at).expect("generated_at");
    let walk = chrono::Duration::minutes(6);
    let reachable: Vec<_> = board
        .departures
        .iter()
        .map(|d| {
            let at =
                chrono::DateTime::parse_from_rfc3339(d.expected.as_deref().unwrap_or(&d.scheduled))
                    .expect("time");
            (d, at)
        })
        .filter(|(_, at)| *at >= now + walk)
        .take(3)
        .collect();
    // Some departures of the next 6 minutes are left out.
    assert!(
        board.departures.first().map(|d| &d.id) != reachable.first().map(|(d, _)| &d.id),
        "the demo has a departure within 6 minutes at 07:30"
    );
    let want: Vec<&str> = reachable.iter().map(|(d, _)| d.headsign.as_str()).collect();
    assert_eq!(texts_of(&shot, "destination"), want);
    // "12 min" for a bus 18 minutes away (a second may have passed: 11).
    for ((_, at), shown) in reachable.iter().zip(texts_of(&shot, "time")) {
        let m = (*at - walk - now).num_minutes();
        let ok = [m, m - 1].iter().any(|m| {
            if *m <= 0 {
                shown == "partez"
            } else {
                shown == format!("{m} min")
            }
        });
        assert!(
            ok,
            "{shown} for a departure {m} minutes after one must leave"
        );
    }
}

/// A destination too long for the platform sign's column is set to fit,
/// measured with the sign's font: abbreviated by `layouts/abbreviations.ron`
/// or on two lines, in whole words (the demo's « Walincourt-Selvigny » at
/// bay E at 07:30).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_too_long_for_its_column_is_shortened_in_whole_words() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let shot = sign_with(&server.base, "platforms: [\"E\"],", dir.path()).await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let layout =
        display_client::Layout::load(&root.join("layouts/platform-sign.ron")).expect("layout");
    let font = std::fs::read(root.join("assets/fonts/DejaVuSans.ttf")).expect("font");
    let measure = display_client::names::Measure::new(&font).expect("font");
    let abbreviations =
        display_client::names::Abbreviations::load(&root.join("layouts/abbreviations.ron"))
            .expect("abbreviations");
    let board = server.board("caudry", "?platforms=E&limit=30").await;
    let shown = texts_of(&shot, "destination");
    let want: Vec<String> = board
        .departures
        .iter()
        .take(shown.len())
        .map(|d| {
            display_client::names::destination(&layout, &d.headsign, &measure, &abbreviations).text
        })
        .collect();
    assert_eq!(shown, want);
    for d in board.departures.iter().take(shown.len()) {
        let fitted =
            display_client::names::destination(&layout, &d.headsign, &measure, &abbreviations);
        display_client::names::check_in(&layout, &d.headsign, &fitted, &measure, &abbreviations)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(
        board
            .departures
            .iter()
            .take(shown.len())
            .zip(&shown)
            .any(|(d, s)| d.headsign != *s),
        "no long destination on the sign's first page: {shown:?}"
    );
}

/// How full the bus is, under its status, in words with a gauge (never by
/// colour alone): the demo's line 5 bus, standing room only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_says_how_full_a_bus_is() {
    let server = demo().await;
    server.wait_fresh("demo:vehicle-positions").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let shot = shoot(&server.base, "hall-1080p.ron", "snapshot", dir.path()).await;
    assert!(shot.ok, "{}", shot.stderr);
    // Under the status of the line 5 bus, the first row.
    let crowding: Vec<&str> = shot
        .texts
        .iter()
        .filter(|(region, _)| region == "occupancy")
        .map(|(_, t)| t.as_str())
        .collect();
    assert_eq!(crowding, ["▮▮▯ places debout"], "{:?}", shot.texts);
}

/// A ticker item with more than its line (a description) carries a QR code to
/// the notice in full on the Wi-Fi page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticker_item_cut_short_carries_a_qr_code_to_the_whole_notice() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let shot = shoot(&server.base, "hall-1080p.ron", "snapshot", dir.path()).await;
    assert!(shot.ok, "{}", shot.stderr);
    let board = server.board("caudry", "").await;
    // The first item: the lift out of service, whose way round is in its
    // full text.
    let first = board
        .notices
        .iter()
        .find(|n| n.accessibility)
        .expect("the demo's lift notice");
    assert!(!first.description.is_empty());
    assert_eq!(
        texts_of(&shot, "ticker"),
        vec!["♿ Ascenseur du quai 2 hors service"]
    );
    let links: Vec<&str> = shot
        .texts
        .iter()
        .filter(|(region, _)| region == "ticker_qr")
        .map(|(_, t)| t.as_str())
        .collect();
    let wifi = board.wifi.as_ref().expect("the demo's Wi-Fi");
    let portal = wifi.portal_url.clone().expect("the demo's portal");
    let link = format!("{portal}/notices/{}", first.id);
    assert_eq!(links, [link.as_str()]);

    // Both codes on screen scan, as a phone would read them off the picture:
    // the ticker's to the notice, the Wi-Fi panel's to the network (each is
    // drawn one pixel a module, enlarged without smoothing).
    let scanned = std::process::Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(dir.path().join("screen.png"))
        .output()
        .expect("zbarimg (scripts/deps.sh test installs zbar-tools)");
    let scanned = String::from_utf8_lossy(&scanned.stdout);
    let mut scanned: Vec<&str> = scanned.lines().collect();
    scanned.sort();
    let mut want = vec![link.as_str(), wifi.qr_payload.as_str()];
    want.sort();
    assert_eq!(scanned, want);
}
