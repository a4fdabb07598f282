//! What apps and phones on the station Wi-Fi get: the GTFS-Realtime export decoded
//! by Google's Python bindings and compared with the board, the RFC 8908 captive
//! portal API, and the splash page in headless Chromium. The Python tools are
//! installed by scripts/deps.sh.

use chrono::DateTime;
use feed_server::clock::Clock;
use quai_tests::http::info_notice;
use quai_tests::server::{self, Running};

/// The demo with its realtime simulator and Wi-Fi, its clock stopped at 07:33:52:
/// the simulator's delays drift with time, and the export must be compared with
/// the board (and asked again for a 304) while nothing moves.
async fn demo() -> Running {
    let text = server::demo_config(
        "",
        "trip_updates_url = \"self:/demo/gtfs-rt/trip-updates\"\n\
         vehicle_positions_url = \"self:/demo/gtfs-rt/vehicle-positions\"\n\
         alerts_url = \"self:/demo/gtfs-rt/alerts\"\npoll_s = 0.2",
    )
    .replace(
        "stops = { demo = [\"CAUDRY\"] }\n",
        "stops = { demo = [\"CAUDRY\"] }\n[stations.wifi]\nssid = \"Caudry-Pole-WiFi-Gratuit\"\n\
         portal_url = \"https://wifi.caudry.example/portal\"\n\
         venue_info_url = \"https://www.caudry.example/pole\"\nsession_s = 3600\n",
    );
    let server = server::start(&text, server::fixed("2026-03-09T07:33:52+01:00")).await;
    server.wait_fresh("demo:trip-updates").await;
    server.wait_fresh("demo:alerts").await;
    server
}

async fn python(script: &str, args: &[&str]) -> String {
    let python = std::env::var("QUAI_PYTHON").unwrap_or_else(|_| "python3".into());
    let path = format!("{}/python/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = tokio::process::Command::new(&python)
        .arg(&path)
        .args(args)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {python}: {e} (scripts/deps.sh installs it)"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed (run scripts/deps.sh if a tool is missing)\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gtfs_rt_export_agrees_with_the_board() {
    let server = demo().await;
    let out = python("gtfs_rt_export.py", &[&server.base, "caudry"]).await;
    assert!(out.contains("agree with the board"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_captive_portal_api_follows_rfc_8908() {
    let server = demo().await;
    let answer = server.answer("/captive-portal/api").await.expect(200);
    let h = &answer.headers;
    assert_eq!(h["content-type"], "application/captive+json");
    assert_eq!(h["cache-control"], "private, no-store");
    // RFC 8908's own JSON keys, compared as raw JSON on purpose.
    assert_eq!(
        answer.value(),
        serde_json::json!({
            "captive": true,
            "user-portal-url": "https://wifi.caudry.example/portal",
            "venue-info-url": "https://www.caudry.example/pole",
            "seconds-remaining": 3600,
            "can-extend-session": false
        })
    );
    let board = server.board("caudry", "").await;
    assert_eq!(
        board.wifi.expect("Wi-Fi").qr_payload,
        "WIFI:T:nopass;S:Caudry-Pole-WiFi-Gratuit;;"
    );

    // A continue URL that is not http(s) is never put on the page.
    let page = server
        .get_text("/portal?continue=javascript:alert(1)")
        .await;
    assert!(page.contains("&quot;continue_url&quot;:null"), "{page}");
    // Nor is one that is not among the access point's pages (`continue_urls`,
    // none here): the page is no open redirect.
    let page = server
        .get_text("/portal?continue=https://evil.example/phish")
        .await;
    assert!(page.contains("&quot;continue_url&quot;:null"), "{page}");
    assert!(!page.contains("evil.example"), "{page}");
    assert!(!page.contains("javascript:alert"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_splash_page_shows_the_live_board_in_chromium() {
    // The timetable alone, 30 s before the 07:34 bus leaves (time for Chromium to
    // start): the page must drop it by itself.
    let text = server::demo_config("", "").replace(
        "stops = { demo = [\"CAUDRY\"] }\n",
        "stops = { demo = [\"CAUDRY\"] }\n[stations.wifi]\nssid = \"Caudry-Pole-WiFi-Gratuit\"\n\
         continue_urls = [\"https://ap.example/\"]\n",
    );
    let clock = Clock::running_from(
        DateTime::parse_from_rfc3339("2026-03-09T07:33:30+01:00").expect("start"),
    );
    let server = server::start(&text, clock).await;
    // A notice whose description is one 3,000-character word (issue 15, point 11:
    // it made the page 63,317 px wide on a phone): the page must wrap it.
    let token = server.operator("gare", &["station:caudry"]);
    let mut notice = info_notice("Travaux");
    notice["description"] = serde_json::json!({"fr": format!("Détail{}", "x".repeat(3000))});
    server
        .post_json("/v1/notices", &token, &notice)
        .await
        .expect(201);
    let shot = std::env::var("QUAI_PORTAL_SCREENSHOT").unwrap_or_default();
    let mut args = vec![server.base.as_str()];
    if !shot.is_empty() {
        args.push(&shot);
    }
    let out = python("portal_page.py", &args).await;
    assert!(out.contains("live update"), "{out}");
}

/// The kiosk's "continue on your phone" links (docs/kiosk.md) open the same
/// view on the splash page: a line, a trip, the lines, parking, and a trip
/// that does not exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_splash_page_opens_the_kiosk_views_it_is_linked_to() {
    let demo = include_str!("../../feed-server/demo/caudry.toml");
    let server = server::start(demo, server::fixed("2026-07-01T07:30:00+02:00")).await;
    server.wait_fresh("demo:trip-updates").await;
    let shot = std::env::var("QUAI_PORTAL_VIEW_SCREENSHOT").unwrap_or_default();
    let mut args = vec![server.base.as_str(), "demo:CA2C:1"];
    if !shot.is_empty() {
        args.push(&shot);
    }
    let out = python("portal_deep_links.py", &args).await;
    assert!(out.contains("refusal shown"), "{out}");
}

/// A notice in full on the Wi-Fi page (`/portal/notices/{id}`), for the QR
/// code a screen puts beside a ticker item cut short: an operator's, with
/// its texts as text (never markup), and a feed's alert (an id with `:`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_in_full_on_the_wifi_page() {
    let server = demo().await;
    let token = server.operator("gare", &["station:caudry"]);
    let mut notice = info_notice("Quai C fermé");
    notice["description"] = serde_json::json!({
        "fr": "Travaux <b>rue</b> de la République.\nLa ligne 3 part du quai D.",
        "en": "Roadworks. Line 3 leaves from bay D."
    });
    let id = server
        .post_json("/v1/notices", &token, &notice)
        .await
        .expect(201)
        .value()["id"]
        .as_str()
        .expect("id")
        .to_string();
    let page = server
        .answer(&format!("/portal/notices/{id}"))
        .await
        .expect(200);
    let csp = page
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(page.body.contains("Quai C fermé"), "{}", page.body);
    assert!(
        page.body
            .contains("Travaux &lt;b&gt;rue&lt;/b&gt; de la République.")
    );
    assert!(!page.body.contains("<b>"));
    assert!(page.body.contains("<p>La ligne 3 part du quai D.</p>"));
    assert!(page.body.contains("Roadworks. Line 3 leaves from bay D."));
    assert!(page.body.contains("/portal?station=caudry"));
    // A feed's alert, by its id as boards give it.
    let board = server.board("caudry", "").await;
    let alert = board
        .notices
        .iter()
        .find(|n| n.id.contains(':'))
        .expect("a feed alert on the demo board");
    let page = server
        .answer(&format!("/portal/notices/{}", alert.id))
        .await
        .expect(200);
    assert!(
        page.body
            .contains(&alert.header["fr"].replace('\'', "&#39;")),
        "{}",
        page.body
    );
    server.answer("/portal/notices/n-nope").await.expect(404);
}
