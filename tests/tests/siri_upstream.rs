//! SIRI from a misbehaving upstream, as for GTFS-Realtime: 200, 304, 500, 429
//! with Retry-After, hangs, truncated and oversized bodies, garbage, the XML
//! attacks a public endpoint could send (a DTD with external entities, an
//! entity bomb, nesting past the cap), a JSON error body, a SOAP fault, a
//! delivery whose Status is false, a timestamp from the future or going
//! backwards. The server stays up, keeps the last good state, goes stale and
//! back. Then the request transport: a `ServiceRequest` POSTed with the
//! configured `RequestorRef`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use feed_server::clock::Clock;
use quai_protocol::DepartureStatus;
use quai_tests::board::BoardExt as _;
use quai_tests::server;
use quai_tests::upstream::{Reply, Upstream};

/// The 07:45 K40 of the demo, leaving voie 1 at stop_sequence 6.
const K40: &str = "demo:TER:843800:WD:20260309:6";

/// An EstimatedTimetable made at `ts` delaying the 07:45 K40 by `delay_min`.
fn k40_delayed(ts: DateTime<Utc>, delay_min: u32) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\"?><Siri xmlns=\"http://www.siri.org.uk/siri\" version=\"2.1\"><ServiceDelivery>\
         <ResponseTimestamp>{}</ResponseTimestamp><EstimatedTimetableDelivery><EstimatedJourneyVersionFrame>\
         <EstimatedVehicleJourney><DatedVehicleJourneyRef>TER:843800:WD</DatedVehicleJourneyRef><EstimatedCalls>\
         <EstimatedCall><StopPointRef>CAUDRY:V1</StopPointRef>\
         <AimedDepartureTime>2026-03-09T07:45:00+01:00</AimedDepartureTime>\
         <ExpectedDepartureTime>2026-03-09T07:{:02}:00+01:00</ExpectedDepartureTime>\
         </EstimatedCall></EstimatedCalls></EstimatedVehicleJourney>\
         </EstimatedJourneyVersionFrame></EstimatedTimetableDelivery></ServiceDelivery></Siri>",
        ts.to_rfc3339(),
        45 + delay_min
    )
    .into_bytes()
}

fn config(siri: &str) -> String {
    let text = server::demo_config("", "");
    let (feeds, stations) = text.split_once("[[stations]]").expect("stations");
    format!("{feeds}[feeds.siri]\n{siri}\n[[stations]]{stations}")
}

async fn delay_of_k40(server: &server::Running) -> Option<i64> {
    let board = server.board("caudry", "?limit=30").await;
    board.expect_departure(K40).delay_s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_good_siri_state_survives_every_upstream_fault() {
    let start = DateTime::parse_from_rfc3339("2026-03-09T07:30:00+01:00").expect("start");
    let clock = Clock::running_from(start);
    let up = Upstream::start(Reply::Body(k40_delayed(clock.now(), 5))).await;
    let server = server::start(
        &config(&format!(
            "estimated_timetable_url = \"{}/et.xml\"\npoll_s = 0.1\ntimeout_s = 0.5\n\
             max_backoff_s = 0.3\nmax_mb = 1\nstale_after_s = 8\n\
             headers = {{ \"apikey\" = \"secret\" }}",
            up.url
        )),
        clock,
    )
    .await;

    server.wait_fresh("demo:siri-et").await;
    let k40 = server
        .board("caudry", "?limit=30")
        .await
        .expect_departure(K40)
        .clone();
    assert_eq!(k40.delay_s, Some(300));
    assert_eq!(k40.status, DepartureStatus::Delayed);
    let first = &up.seen()[0];
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("GET", "/et.xml")
    );
    assert!(
        first
            .headers
            .iter()
            .any(|(k, v)| k == "apikey" && v == "secret")
    );

    // 304 for the same body.
    up.polls(2).await;
    assert!(
        up.seen()
            .last()
            .and_then(|s| s.if_none_match.clone())
            .is_some()
    );

    let deep = format!(
        "<Siri><ServiceDelivery><EstimatedTimetableDelivery>{}{}</EstimatedTimetableDelivery></ServiceDelivery></Siri>",
        "<a>".repeat(100),
        "</a>".repeat(100)
    );
    let faults = [
        Reply::Status(500, None),
        Reply::Hang,
        Reply::Truncated {
            body: k40_delayed(clock.now(), 9)[..40].to_vec(),
            declared: 900,
        },
        Reply::Body(b"<html>not SIRI</html>".to_vec()),
        Reply::Body(vec![b'<'; 2 * 1024 * 1024]),
        Reply::Body(
            b"<!DOCTYPE Siri [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Siri>&x;</Siri>".to_vec(),
        ),
        Reply::Body(
            b"<!DOCTYPE Siri [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]><Siri>&b;</Siri>"
                .to_vec(),
        ),
        Reply::Body(deep.into_bytes()),
        Reply::Body(br#"{"message": "no Route matched with those values"}"#.to_vec()),
        Reply::Body(
            b"<S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\"><S:Body><S:Fault>\
              <faultcode>S:Server</faultcode><faultstring>backend down</faultstring></S:Fault></S:Body></S:Envelope>"
                .to_vec(),
        ),
        Reply::Body(
            b"<Siri><ServiceDelivery><EstimatedTimetableDelivery><Status>false</Status><ErrorCondition>\
              <OtherError><ErrorText>quota exceeded</ErrorText></OtherError></ErrorCondition>\
              </EstimatedTimetableDelivery></ServiceDelivery></Siri>"
                .to_vec(),
        ),
        // Status false without a word of why: refused all the same.
        Reply::Body(
            b"<Siri><ServiceDelivery><EstimatedTimetableDelivery><Status>false</Status>\
              </EstimatedTimetableDelivery></ServiceDelivery></Siri>"
                .to_vec(),
        ),
        Reply::Body(k40_delayed(clock.now() + chrono::Duration::days(1), 15)),
        Reply::Body(k40_delayed(clock.now() - chrono::Duration::seconds(600), 10)),
    ];
    for fault in faults {
        up.set(Reply::Body(k40_delayed(clock.now(), 5)));
        up.polls(2).await;
        up.set(fault.clone());
        up.polls(2).await;
        assert_eq!(delay_of_k40(&server).await, Some(300), "after {fault:?}");
        let health = server.health().await;
        assert_eq!(health.status, "ok", "{fault:?}: {health:?}");
    }

    // 429 with Retry-After: 1.
    up.set(Reply::Status(429, Some(1)));
    up.polls(1).await;
    let at_429 = up.seen().last().expect("request").at;
    up.polls(1).await;
    let next = up.seen().last().expect("request").at;
    assert!(
        next - at_429 >= Duration::from_millis(950),
        "retried after {:?}",
        next - at_429
    );

    // Nothing good for longer than stale_after_s: stale, with the reason, and
    // the departure falls back to its timetable.
    up.set(Reply::Body(b"<html>not SIRI</html>".to_vec()));
    let health = server.wait_health("demo:siri-et", true).await;
    assert_eq!(health.status, "degraded");
    let feed = health
        .feeds
        .iter()
        .find(|f| f.id == "demo:siri-et")
        .expect("status");
    assert!(
        feed.reason
            .as_deref()
            .is_some_and(|r| r.contains("EstimatedTimetableDelivery")),
        "{feed:?}"
    );
    let k40 = server
        .board("caudry", "?limit=30")
        .await
        .expect_departure(K40)
        .clone();
    assert!(!k40.realtime);
    assert_eq!(k40.status, DepartureStatus::Scheduled);

    // Recovery.
    up.set(Reply::Body(k40_delayed(clock.now(), 2)));
    server.wait_fresh("demo:siri-et").await;
    assert_eq!(delay_of_k40(&server).await, Some(120));
}

#[tokio::test]
async fn the_request_transport_posts_a_service_request() {
    let now = "2026-03-09T07:30:00+01:00";
    let ts = DateTime::parse_from_rfc3339("2026-03-09T07:29:50+01:00")
        .expect("ts")
        .with_timezone(&Utc);
    let up = Upstream::start(Reply::Body(k40_delayed(ts, 3))).await;
    let server = server::start(
        &config(&format!(
            "transport = \"request\"\nrequestor_ref = \"caudry-hub\"\n\
             estimated_timetable_url = \"{}/siri\"\npoll_s = 0.2",
            up.url
        )),
        server::fixed(now),
    )
    .await;
    server.wait_fresh("demo:siri-et").await;
    assert_eq!(delay_of_k40(&server).await, Some(180));
    let seen = up.seen();
    let post = seen.first().expect("a request");
    assert_eq!(post.method, "POST");
    let body = String::from_utf8_lossy(&post.body);
    assert!(
        body.contains("<RequestorRef>caudry-hub</RequestorRef>"),
        "{body}"
    );
    assert!(
        body.contains("<EstimatedTimetableRequest version=\"2.1\">"),
        "{body}"
    );
    assert!(
        post.headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("text/xml")),
        "{post:?}"
    );
}

#[tokio::test]
async fn the_soap_transport_asks_each_stop_in_an_envelope() {
    let now = "2026-03-09T07:30:00+01:00";
    // A French-profile SOAP answer (the shape of Ara's and Chouette's).
    let answer = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\"><S:Body>\
        <ns8:GetStopMonitoringResponse xmlns:ns3=\"http://www.siri.org.uk/siri\" xmlns:ns8=\"http://wsdl.siri.org.uk\">\
        <ServiceDeliveryInfo><ns3:ResponseTimestamp>2026-03-09T07:29:55+01:00</ns3:ResponseTimestamp></ServiceDeliveryInfo>\
        <Answer><ns3:StopMonitoringDelivery version=\"2.0:FR-IDF-2.4\"><ns3:Status>true</ns3:Status>\
        <ns3:MonitoredStopVisit><ns3:MonitoringRef>CAUDRY:V1</ns3:MonitoringRef><ns3:MonitoredVehicleJourney>\
        <ns3:FramedVehicleJourneyRef><ns3:DataFrameRef>2026-03-09</ns3:DataFrameRef>\
        <ns3:DatedVehicleJourneyRef>TER:843800:WD</ns3:DatedVehicleJourneyRef></ns3:FramedVehicleJourneyRef>\
        <ns3:MonitoredCall><ns3:StopPointRef>CAUDRY:V1</ns3:StopPointRef>\
        <ns3:AimedDepartureTime>2026-03-09T07:45:00.000+01:00</ns3:AimedDepartureTime>\
        <ns3:ExpectedDepartureTime>2026-03-09T07:52:00.000+01:00</ns3:ExpectedDepartureTime>\
        </ns3:MonitoredCall></ns3:MonitoredVehicleJourney></ns3:MonitoredStopVisit>\
        </ns3:StopMonitoringDelivery></Answer><AnswerExtension/></ns8:GetStopMonitoringResponse></S:Body></S:Envelope>";
    let up = Upstream::start(Reply::Body(answer.as_bytes().to_vec())).await;
    let server = server::start(
        &config(&format!(
            "transport = \"soap\"\nrequestor_ref = \"caudry-hub\"\n\
             stop_monitoring_url = \"{}/siri\"\nmonitoring_refs = [\"CAUDRY:V1\"]\npoll_s = 0.2",
            up.url
        )),
        server::fixed(now),
    )
    .await;
    server.wait_fresh("demo:siri-sm").await;
    assert_eq!(delay_of_k40(&server).await, Some(420));
    let seen = up.seen();
    let post = seen.first().expect("a request");
    assert_eq!(post.method, "POST");
    let body = String::from_utf8_lossy(&post.body);
    // Well-formed, and what a WSDL server expects.
    let envelope = feed_server::sources::xml::parse(&post.body).expect("well-formed XML");
    assert_eq!(envelope.name, "Envelope");
    assert!(body.contains("<sw:GetStopMonitoring>"), "{body}");
    assert!(
        body.contains("<siri:RequestorRef>caudry-hub</siri:RequestorRef>"),
        "{body}"
    );
    assert!(
        body.contains("<siri:MonitoringRef>CAUDRY:V1</siri:MonitoringRef>"),
        "{body}"
    );
}
