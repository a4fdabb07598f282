//! Web Push end to end: the test is the push service (a recording HTTP
//! server on 127.0.0.1) and the browser (keys made, and pushes opened, by
//! tests/python/push_check.py with the `cryptography` and `http_ece`
//! packages: an implementation independent of the server's). A notice an
//! operator publishes on a followed line, and a delay on a followed train,
//! arrive as pushes whose VAPID JWT verifies and whose text is right; the
//! same notice written again sends nothing; within the quiet hours pushes
//! are silent (a train's still urgent); a push service answering 410 makes
//! the server forget the subscription.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use quai_protocol::{PushKey, PushMessage, PushSubscription};
use quai_tests::gtfs_rt;
use quai_tests::http::Request;
use quai_tests::server::{self, Running};
use quai_tests::upstream::{Reply, Seen, Upstream};
use serde_json::{Value, json};

const NOW: &str = "2026-07-01T07:30:00+02:00";
const CONTACT: &str = "mailto:quai-test@example.org";

fn python(args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write as _;
    let python = std::env::var("QUAI_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/push_check.py");
    let mut child = std::process::Command::new(&python)
        .arg(script)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e} (scripts/deps.sh installs it)"));
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    let out = child.wait_with_output().expect("push_check.py");
    assert!(
        out.status.success(),
        "push_check.py {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn header<'a>(seen: &'a Seen, name: &str) -> &'a str {
    seen.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} header in {:?}", seen.headers))
}

/// The push as the browser reads it, after checking its VAPID signature.
fn open(seen: &Seen, browser: &Value, origin: &str) -> PushMessage {
    assert_eq!(seen.method, "POST");
    assert_eq!(header(seen, "content-encoding"), "aes128gcm");
    assert!(header(seen, "ttl").parse::<u32>().is_ok());
    let asked = json!({
        "private": browser["private"],
        "auth": browser["auth"],
        "body": URL_SAFE_NO_PAD.encode(&seen.body),
        "authorization": header(seen, "authorization"),
        "origin": origin,
        "contact": CONTACT,
    });
    let plain = python(&["open"], Some(&asked.to_string()));
    serde_json::from_str(&plain).unwrap_or_else(|e| panic!("{e}: {plain}"))
}

/// Waits until the push service has received `n` pushes.
async fn pushes(service: &Upstream, n: usize) -> Vec<Seen> {
    for _ in 0..200 {
        let seen = service.seen();
        if seen.len() >= n {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{n} pushes expected, the push service got {:?}",
        service.seen().len()
    );
}

/// Waits until the watcher has looked at every follow once (what there was
/// when the browser subscribed is not pushed).
async fn looked(server: &Running) {
    for _ in 0..200 {
        let follows = server.store.push_follows().expect("follows");
        if !follows.is_empty() && follows.iter().all(|f| f.seen.is_some()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the watcher never looked at the follows");
}

fn line_4_notice(header: &str) -> Value {
    json!({
        "severity": "warning",
        "cause": "construction",
        "effect": "detour",
        "header": {"fr": header, "en": "Line 4 diverted"},
        "description": {"fr": "Arrêt Mairie non desservi."},
        "informed_entities": [{"route_id": "CA2C:4"}],
    })
}

#[tokio::test]
async fn a_notice_and_a_delay_on_what_a_browser_follows_arrive_as_web_pushes() {
    let service = Upstream::start(Reply::Status(201, None)).await;
    let now = chrono::DateTime::parse_from_rfc3339(NOW)
        .expect("NOW")
        .timestamp();
    let trip_updates = Upstream::start(Reply::Body(gtfs_rt::encode(
        now,
        Vec::<gtfs_realtime::FeedEntity>::new(),
    )))
    .await;
    let head = format!(
        "[push]\ncontact = \"{CONTACT}\"\nendpoints = [\"127.0.0.1\"]\ncheck_s = 0.2\ndelay_threshold_min = 5\nquiet_hours = \"07:00-08:00\""
    );
    let server = server::start(
        &server::demo_config(
            &head,
            &format!("trip_updates_url = \"{}\"\npoll_s = 0.2", trip_updates.url),
        ),
        server::fixed(NOW),
    )
    .await;
    server.wait_fresh("demo:trip-updates").await;
    let key: PushKey = server.get("/v1/push/key", 200).await;
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(&key.public_key)
            .expect("base64url")
            .len(),
        65
    );

    // A train of the board, followed from Caudry.
    let board = server.board("caudry", "?limit=30").await;
    let train = board
        .departures
        .iter()
        .find(|d| d.mode == quai_protocol::Mode::Rail)
        .expect("a train on the demo board");
    let browser: Value = serde_json::from_str(&python(&["keys"], None)).expect("keys");
    let subscribe = |endpoint: String, follows: Value| {
        json!({
            "subscription": {
                "endpoint": endpoint,
                "expirationTime": null,
                "keys": {"p256dh": browser["p256dh"], "auth": browser["auth"]},
            },
            "follows": follows,
            "lang": "fr",
        })
        .to_string()
    };
    let follows = json!([{"route_id": "demo:CA2C:4"}, {"departure_id": train.id}]);

    // Refused: a push "service" that is not one, a line that does not exist.
    let refused = server
        .send(Request {
            method: "POST",
            path: "/v1/push/subscriptions",
            body: Some(subscribe(
                "https://169.254.169.254/latest".into(),
                json!([{"route_id": "demo:nope"}]),
            )),
            ..Request::default()
        })
        .await
        .expect(422)
        .error();
    assert!(
        refused.fields.contains_key("subscription.endpoint"),
        "{refused:?}"
    );
    assert!(refused.fields.contains_key("follows[0]"), "{refused:?}");

    let endpoint = format!("{}/push/browser-1", service.url);
    let kept: PushSubscription = server
        .send(Request {
            method: "POST",
            path: "/v1/push/subscriptions",
            body: Some(subscribe(endpoint.clone(), follows.clone())),
            ..Request::default()
        })
        .await
        .expect(201)
        .json();
    assert_eq!(kept.follows.len(), 2);

    // A trip of a day gone by is left out of what is kept (an app renewing
    // its set is not refused for it), and the answer says so.
    let old_train = train.id.replace(":20260701:", ":20260624:");
    assert_ne!(old_train, train.id);
    let renewed: PushSubscription = server
        .send(Request {
            method: "POST",
            path: "/v1/push/subscriptions",
            body: Some(subscribe(
                endpoint.clone(),
                json!([{"route_id": "demo:CA2C:4"}, {"departure_id": train.id}, {"departure_id": old_train}]),
            )),
            ..Request::default()
        })
        .await
        .expect(201)
        .json();
    assert_eq!(
        renewed.id, kept.id,
        "the same browser, the same subscription"
    );
    assert_eq!(renewed.follows, kept.follows);
    let read: PushSubscription = server
        .get(&format!("/v1/push/subscriptions/{}", kept.id), 200)
        .await;
    assert_eq!(read.follows, kept.follows);
    looked(&server).await;
    assert!(service.seen().is_empty(), "pushed what was there already");

    // An operator publishes a notice on line 4: one push.
    let token = server.operator("desk", &["route:CA2C:4"]);
    let posted = server
        .post_json("/v1/notices", &token, &line_4_notice("Ligne 4 déviée"))
        .await
        .expect(201)
        .notice();
    let seen = pushes(&service, 1).await;
    assert_eq!(seen[0].path, "/push/browser-1");
    let message = open(&seen[0], &browser, &service.url);
    assert_eq!(message.title, "Ligne 4");
    assert_eq!(
        message.body,
        "Perturbation : Ligne 4 déviée\nArrêt Mairie non desservi."
    );
    assert_eq!(message.url, "/app?line=demo:CA2C:4");
    assert_eq!(message.tag, format!("notice:{}", posted.id));
    // 07:30 is within the quiet hours: silent, and a notice can wait.
    assert!(message.silent);
    assert_eq!(header(&seen[0], "urgency"), "low");

    // The same notice written again (a new version, the same words): nothing.
    server
        .send(Request {
            method: "PATCH",
            path: &format!("/v1/notices/{}", posted.id),
            token: Some(&token),
            if_match: Some(1),
            body: Some(line_4_notice("Ligne 4 déviée").to_string()),
        })
        .await
        .expect(200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(service.seen().len(), 1, "the same change pushed twice");

    // The train is 10 minutes late: one push, urgent.
    let (rest, sequence) = train.id.rsplit_once(':').expect("departure id");
    let sequence: u32 = sequence.parse().expect("stop sequence");
    let (rest, day) = rest.rsplit_once(':').expect("departure id");
    let trip_id = rest.strip_prefix("demo:").expect("demo feed");
    // (A newer message: one of the same time as the last is not news.)
    trip_updates.set(Reply::Body(gtfs_rt::encode(
        now + 1,
        [gtfs_rt::trip_update(trip_id, day)
            .scheduled()
            .stop(gtfs_rt::stop(sequence).delay(600))],
    )));
    let seen = pushes(&service, 2).await;
    let message = open(&seen[1], &browser, &service.url);
    assert!(message.title.starts_with("Train"), "{message:?}");
    assert_eq!(message.body, "Retard : 10 min.");
    // Silent too, but a train's change goes at once.
    assert!(message.silent);
    assert_eq!(header(&seen[1], "urgency"), "high");

    // A notice on the train's line reaches the train's follower.
    let rail_desk = server.operator("rail", &["route:TER:K40"]);
    let on_k40 = json!({
        "severity": "severe", "cause": "technical_problem", "effect": "reduced_service",
        "header": {"fr": "K40 : trafic perturbé"},
        "informed_entities": [{"route_id": train.route.id}],
    });
    server
        .post_json("/v1/notices", &rail_desk, &on_k40)
        .await
        .expect(201);
    let seen = pushes(&service, 3).await;
    let message = open(&seen[2], &browser, &service.url);
    assert!(message.title.starts_with("Train"), "{message:?}");
    assert_eq!(message.body, "Perturbation : K40 : trafic perturbé");

    // The browser unsubscribed: the push service answers 410 to the next
    // push (the notice's end), and the server forgets the subscription.
    service.set(Reply::Status(410, None));
    server
        .send(Request {
            method: "DELETE",
            path: &format!("/v1/notices/{}", posted.id),
            token: Some(&token),
            if_match: Some(2),
            ..Request::default()
        })
        .await
        .expect(200);
    let seen = pushes(&service, 4).await;
    assert_eq!(
        open(&seen[3], &browser, &service.url).body,
        "Une perturbation est terminée."
    );
    for _ in 0..100 {
        if server.store.push_follows().expect("follows").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
        .send(Request {
            method: "GET",
            path: &format!("/v1/push/subscriptions/{}", kept.id),
            ..Request::default()
        })
        .await
        .expect(404);
}
