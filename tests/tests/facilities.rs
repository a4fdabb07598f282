//! A carpool area with LoRaWAN parking sensors, end to end: uplinks of
//! ChirpStack and The Things Stack posted to `/v1/sensors/{integration}` move
//! the area's line on the REST board and on the stream within a second;
//! duplicates and late frames change nothing; a silent sensor's space is
//! unknown, not free; every refusal says why and writes nothing.

use std::time::{Duration, Instant};

use base64::Engine as _;
use quai_protocol::{Facility, FacilityStatus, ServerMessage};
use quai_tests::http::Request;
use quai_tests::server::{self, Running};
use quai_tests::stream::Client;
use serde_json::{Value, json};

const NOW: &str = "2026-03-09T07:30:00+01:00";

struct Area {
    server: Running,
    chirpstack: String,
    things_stack: String,
    config: String,
}

fn token() -> (String, String) {
    let t = feed_server::store::new_token().expect("token");
    let h = feed_server::store::token_hash(&t);
    (t, h)
}

async fn area(clock: feed_server::clock::Clock, stale_after_s: u64) -> Area {
    let (cs, cs_hash) = token();
    let (tts, tts_hash) = token();
    let config = format!(
        "{}\n[[sensor_integrations]]\nid = \"cs\"\nserver = \"chirpstack\"\ntoken_sha256 = \"{cs_hash}\"\n\
         [[sensor_integrations]]\nid = \"tts\"\nserver = \"things-stack\"\ntoken_sha256 = \"{tts_hash}\"\n\
         [[facilities]]\nid = \"covoiturage\"\nname = \"Aire de covoiturage de Caudry\"\nkind = \"carpool\"\n\
         stations = [\"caudry\"]\ncapacity = 3\ncapacity_pmr = 1\nstale_after_s = {stale_after_s}\n\
         [facilities.sensors]\nintegration = \"cs\"\nmodel = \"nwave-g4\"\n\
         spaces = {{ \"0000000000000001\" = \"P1\", \"0000000000000002\" = \"P2\", \"0000000000000003\" = \"PMR\" }}\n\
         [[facilities]]\nid = \"parking-gare\"\nname = \"Parking de la gare\"\nkind = \"car_park\"\n\
         stations = [\"caudry\"]\ncapacity = 10\n\
         [facilities.sensors]\nintegration = \"tts\"\nmodel = \"bosch-pls\"\n\
         spaces = {{ \"00000000000000a1\" = \"1\" }}\n",
        server::demo_config("", "")
    );
    Area {
        server: server::start(&config, clock).await,
        chirpstack: cs,
        things_stack: tts,
        config,
    }
}

impl Area {
    /// Posts a frame of `dev` that must be answered as a duplicate.
    async fn sense_duplicate(&self, dev: &str, f_cnt: u32, occupied: bool) {
        let answer = self.sense(dev, f_cnt, occupied).await.expect(200).value();
        assert!(
            answer["ignored"]
                .as_str()
                .is_some_and(|r| r.contains("duplicate")),
            "{answer}"
        );
    }

    /// A ChirpStack uplink of the area's sensor `dev`, with the integration's token.
    async fn sense(&self, dev: &str, f_cnt: u32, occupied: bool) -> quai_tests::http::Answer {
        post(
            &self.server,
            "cs",
            Some(&self.chirpstack),
            &nwave(dev, f_cnt, occupied),
        )
        .await
    }
}

/// A ChirpStack v4 uplink event of an Nwave status frame.
fn nwave(dev: &str, f_cnt: u32, occupied: bool) -> Value {
    let byte = (10u8 << 1) | u8::from(occupied);
    json!({
        "deviceInfo": {"devEui": dev, "deviceName": "capteur"},
        "fCnt": f_cnt, "fPort": 1,
        "data": base64::engine::general_purpose::STANDARD.encode([byte]),
        "time": "2026-03-09T06:30:00Z",
    })
}

async fn post(
    server: &Running,
    integration: &str,
    token: Option<&str>,
    body: &Value,
) -> quai_tests::http::Answer {
    server
        .send(Request {
            method: "POST",
            path: &format!("/v1/sensors/{integration}"),
            token,
            body: Some(body.to_string()),
            ..Request::default()
        })
        .await
}

async fn line(server: &Running, id: &str) -> Facility {
    server
        .board("caudry", "")
        .await
        .facilities
        .into_iter()
        .find(|f| f.id == id)
        .expect("on the board")
}

#[tokio::test]
async fn sensors_fill_the_area_and_the_board_and_stream_follow() {
    let a = area(server::fixed(NOW), 3600).await;
    let s = &a.server;
    let l = line(s, "covoiturage").await;
    assert_eq!(
        (l.free, l.occupied, l.unknown, l.status),
        (None, None, 3, FacilityStatus::Unknown)
    );

    let mut client = Client::connect(&s.base).await;
    client.subscribe("caudry", None).await;
    let _snapshot = client.next_message().await;
    let sent = Instant::now();
    let answer = a
        .sense("0000000000000001", 1, true)
        .await
        .expect(202)
        .value();
    assert_eq!(
        answer,
        json!({"facility": "covoiturage", "space": "P1", "occupied": true})
    );
    // On the stream within a second.
    loop {
        if let ServerMessage::Delta(d) = client.next_message().await
            && let Some(fs) = d.facilities
        {
            let f = fs.iter().find(|f| f.id == "covoiturage").expect("the area");
            assert_eq!((f.free, f.occupied, f.unknown), (Some(0), Some(1), 2));
            break;
        }
    }
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "{:?}",
        sent.elapsed()
    );

    a.sense("0000000000000002", 7, false).await.expect(202);
    a.sense("0000000000000003", 3, true).await.expect(202);
    let l = line(s, "covoiturage").await;
    assert_eq!(
        (l.free, l.occupied, l.unknown, l.status),
        (Some(1), Some(2), 0, FacilityStatus::Open)
    );
    assert_eq!(l.capacity_pmr, Some(1));
    assert_eq!(l.updated_at.as_deref(), Some(NOW));

    // A duplicate and a late frame: nothing changes.
    for f_cnt in [7, 6] {
        a.sense_duplicate("0000000000000002", f_cnt, true).await;
    }
    assert_eq!(line(s, "covoiturage").await.free, Some(1));
    // The last place taken: full.
    a.sense("0000000000000002", 8, true).await.expect(202);
    let l = line(s, "covoiturage").await;
    assert_eq!((l.free, l.status), (Some(0), FacilityStatus::Full));

    // The Things Stack, with its own decoding: used as it is.
    let tts = json!({
        "end_device_ids": {"dev_eui": "00000000000000A1"},
        "received_at": "2026-03-09T06:29:30Z",
        "uplink_message": {"f_cnt": 12, "f_port": 1, "frm_payload": "AQ==", "decoded_payload": {"occupied": false}},
    });
    post(s, "tts", Some(&a.things_stack), &tts)
        .await
        .expect(202);
    let l = line(s, "parking-gare").await;
    assert_eq!((l.free, l.occupied, l.unknown), (Some(1), Some(0), 9));
    // Its time is the network server's (06:29:30 UTC), not the post's.
    assert_eq!(l.updated_at.as_deref(), Some("2026-03-09T07:29:30+01:00"));

    // The API lists them; one facility with its spaces.
    let all: Vec<Facility> = s.get("/v1/facilities", 200).await;
    assert_eq!(all.len(), 2);
    let one: Value = s.get("/v1/facilities/covoiturage", 200).await;
    assert_eq!(one["stations"], json!(["caudry"]));
    assert_eq!(
        one["spaces"][0],
        json!({"label": "P1", "occupied": true, "updated_at": "2026-03-09T06:30:00+00:00"})
    );
    s.answer("/v1/facilities/nowhere").await.expect(404);
}

#[tokio::test]
async fn sensor_refusals_say_why_and_write_nothing() {
    let a = area(server::fixed(NOW), 3600).await;
    let s = &a.server;
    let before = s.board("caudry", "").await;
    let up = nwave("0000000000000001", 1, true);
    let code = |answer: quai_tests::http::Answer, status: u16| answer.expect(status).error().code;
    assert_eq!(code(post(s, "cs", None, &up).await, 401), "unauthorized");
    assert_eq!(
        code(post(s, "cs", Some("quai_wrong"), &up).await, 401),
        "unauthorized"
    );
    assert_eq!(
        code(post(s, "cs", Some(&a.things_stack), &up).await, 403),
        "wrong_integration"
    );
    assert_eq!(
        code(post(s, "nowhere", Some(&a.chirpstack), &up).await, 404),
        "unknown_integration"
    );
    // A device Quai was not told of, another integration's device, a frame
    // the model cannot read: 200 with the reason (network servers switch a
    // webhook off after a run of refusals), nothing kept.
    let mut bad_port = up.clone();
    bad_port["fPort"] = json!(9);
    for (body, reason) in [
        (nwave("00000000000000ff", 1, true), "not a space"),
        (nwave("00000000000000a1", 1, true), "not a space"),
        (bad_port, "undecodable"),
    ] {
        let answer = post(s, "cs", Some(&a.chirpstack), &body)
            .await
            .expect(200)
            .value();
        assert!(
            answer["ignored"]
                .as_str()
                .is_some_and(|r| r.contains(reason)),
            "{answer}"
        );
    }
    let mut bad_eui = up.clone();
    bad_eui["deviceInfo"]["devEui"] = json!("xyz");
    let e = post(s, "cs", Some(&a.chirpstack), &bad_eui)
        .await
        .expect(400)
        .error();
    assert!(e.message.contains("deviceInfo.devEui"), "{e:?}");
    // A join event at the same URL: not an error, nothing to do.
    let join = json!({"deviceInfo": {"devEui": "0000000000000001"}, "devAddr": "01020304"});
    let ignored = post(s, "cs", Some(&a.chirpstack), &join)
        .await
        .expect(200)
        .value();
    assert!(ignored["ignored"].is_string(), "{ignored}");
    // Nothing was written: the board is the same.
    let after = s.board("caudry", "").await;
    assert_eq!(after.facilities, before.facilities);
    assert_eq!(after.seq, before.seq);
}

#[tokio::test]
async fn a_silent_sensor_leaves_its_space_unknown_not_free() {
    let a = area(server::running(NOW), 1).await;
    let s = &a.server;
    a.sense("0000000000000001", 1, false).await.expect(202);
    assert_eq!(line(s, "covoiturage").await.free, Some(1));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let l = line(s, "covoiturage").await;
    assert_eq!(
        (l.free, l.unknown, l.status),
        (None, 3, FacilityStatus::Unknown)
    );
}

#[tokio::test]
async fn the_spaces_states_survive_a_restart() {
    let a = area(server::fixed(NOW), 3600).await;
    a.sense("0000000000000001", 4, true).await.expect(202);
    a.sense("0000000000000002", 9, false).await.expect(202);
    let before = line(&a.server, "covoiturage").await;
    assert_eq!(
        (before.free, before.occupied, before.unknown),
        (Some(1), Some(1), 1)
    );
    let Area {
        server,
        chirpstack,
        things_stack,
        config,
    } = a;
    let server = server.restarted(&config, server::fixed(NOW)).await;
    let a = Area {
        server,
        chirpstack,
        things_stack,
        config,
    };
    assert_eq!(line(&a.server, "covoiturage").await, before);
    // The frame counters too: a copy of the last frame, delivered again
    // after the restart, is still a duplicate.
    a.sense_duplicate("0000000000000002", 9, true).await;
    assert_eq!(line(&a.server, "covoiturage").await.free, Some(1));
}
