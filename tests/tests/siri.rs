//! SIRI end to end on the demo timetable: hand-written SIRI Lite documents for
//! the Caudry network, served by fake upstreams and polled by a real server,
//! show on the board as a passenger would read them: each matching rule, each
//! status, a cancelled train and a cancelled call, an extra train, a platform
//! change, a destination shown, and a situation's lifecycle (open, update,
//! close). Fixed clock: Monday 9 March 2026, 07:30 in Caudry.

use quai_protocol::{Departure, DepartureStatus, NoticeSource};
use quai_tests::server::{self, Running};
use quai_tests::upstream::{Reply, Upstream};

const NOW: &str = "2026-03-09T07:30:00+01:00";

fn t(hms: &str) -> String {
    format!("2026-03-09T{hms}+01:00")
}

/// A SIRI Lite EstimatedTimetable delivery made at 07:29:30 (SNCF style: stop
/// areas as `StopArea:OCE…`, ids that are not GTFS ids).
fn estimated_timetable() -> String {
    let call = |stop: &str, aimed: &str, expected: &str, status: &str, extra: &str| {
        format!(
            "<EstimatedCall><StopPointRef>StopArea:OCE{stop}</StopPointRef>\
             <AimedDepartureTime>{}</AimedDepartureTime>\
             <ExpectedDepartureTime>{}</ExpectedDepartureTime>\
             <DepartureStatus>{status}</DepartureStatus>{extra}</EstimatedCall>",
            t(aimed),
            t(expected)
        )
    };
    let journeys = [
        // By trip id; calls unordered and without Order; delayed, and on
        // platform 2 where the timetable says 1.
        format!(
            "<EstimatedVehicleJourney><LineRef>TER:K40</LineRef>\
             <DatedVehicleJourneyRef>TER:843800:WD</DatedVehicleJourneyRef><EstimatedCalls>{}{}</EstimatedCalls></EstimatedVehicleJourney>",
            call("TER:BUSIGNY", "07:53:00", "07:56:00", "delayed", ""),
            call("CAUDRY", "07:45:00", "07:48:00", "delayed", "<DeparturePlatformName>2</DeparturePlatformName>"),
        ) + &format!(
            // An extra stop at Bertry, which this train does not serve in the
            // timetable (the journey again, with that call).
            "<EstimatedVehicleJourney><LineRef>TER:K40</LineRef>\
             <DatedVehicleJourneyRef>TER:843800:WD</DatedVehicleJourneyRef><EstimatedCalls>{}{}</EstimatedCalls></EstimatedVehicleJourney>",
            call("TER:BERTRY", "07:49:00", "07:50:00", "delayed", "<ExtraCall>true</ExtraCall>"),
            call("TER:BUSIGNY", "07:53:00", "07:56:00", "delayed", ""),
        ),
        // By train number (its ref is not a trip id): the whole train cancelled.
        "<EstimatedVehicleJourney><LineRef>TER:P40</LineRef>\
         <DatedVehicleJourneyRef>SNCF:VJ:OCESN843840</DatedVehicleJourneyRef>\
         <VehicleJourneyName>843840</VehicleJourneyName><Cancellation>true</Cancellation>\
         <EstimatedCalls><EstimatedCall><StopPointRef>StopArea:OCECAUDRY</StopPointRef>\
         <AimedDepartureTime>2026-03-09T07:45:00+01:00</AimedDepartureTime>\
         <DepartureStatus>cancelled</DepartureStatus></EstimatedCall></EstimatedCalls></EstimatedVehicleJourney>"
            .to_string(),
        // By line and aimed time only: early, its destination shown otherwise,
        // at the stop.
        format!(
            "<EstimatedVehicleJourney><LineRef>TER:K40</LineRef><EstimatedCalls>{}</EstimatedCalls></EstimatedVehicleJourney>",
            call(
                "CAUDRY",
                "08:16:00",
                "08:15:00",
                "early",
                "<VehicleAtStop>true</VehicleAtStop><DestinationDisplay>Lille-Flandres par Douai</DestinationDisplay>"
            ),
        ),
        // By trip id: does not stop at Caudry this time.
        "<EstimatedVehicleJourney><DatedVehicleJourneyRef>TER:843802:WD</DatedVehicleJourneyRef><EstimatedCalls>\
         <EstimatedCall><StopPointRef>StopArea:OCECAUDRY</StopPointRef><Cancellation>true</Cancellation>\
         <AimedDepartureTime>2026-03-09T08:44:00+01:00</AimedDepartureTime></EstimatedCall></EstimatedCalls></EstimatedVehicleJourney>"
            .to_string(),
        // An extra train on platform 1.
        format!(
            "<EstimatedVehicleJourney><LineRef>TER:K40</LineRef>\
             <DatedVehicleJourneyRef>SNCF:EXTRA:1</DatedVehicleJourneyRef><ExtraJourney>true</ExtraJourney>\
             <DestinationName>Cambrai</DestinationName><EstimatedCalls>{}{}</EstimatedCalls></EstimatedVehicleJourney>",
            call("CAUDRY", "08:30:00", "08:30:00", "onTime", "<DeparturePlatformName>1</DeparturePlatformName>"),
            call("TER:CAMBRAI", "08:45:00", "08:45:00", "onTime", ""),
        ),
        // By trip id, a bus that has left: its RecordedCall's actual time.
        "<EstimatedVehicleJourney><DatedVehicleJourneyRef>CA2C:1:WD:0:0720</DatedVehicleJourneyRef>\
         <RecordedCalls><RecordedCall><StopPointRef>StopArea:OCECAUDRY:A</StopPointRef>\
         <AimedDepartureTime>2026-03-09T07:20:00+01:00</AimedDepartureTime>\
         <ActualDepartureTime>2026-03-09T07:29:20+01:00</ActualDepartureTime></RecordedCall></RecordedCalls>\
         <EstimatedCalls/></EstimatedVehicleJourney>"
            .to_string(),
        // A journey of another network: counted, not shown.
        "<EstimatedVehicleJourney><LineRef>X</LineRef><DatedVehicleJourneyRef>elsewhere</DatedVehicleJourneyRef>\
         <EstimatedCalls/></EstimatedVehicleJourney>"
            .to_string(),
    ];
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <Siri xmlns=\"http://www.siri.org.uk/siri\" version=\"2.1\"><ServiceDelivery>\
         <ResponseTimestamp>{}</ResponseTimestamp><EstimatedTimetableDelivery version=\"2.1\">\
         <EstimatedJourneyVersionFrame>{}</EstimatedJourneyVersionFrame></EstimatedTimetableDelivery>\
         </ServiceDelivery></Siri>",
        t("07:29:30"),
        journeys.concat()
    )
}

/// A SIRI Lite SituationExchange delivery of one situation about line K40.
fn situation(stamp: &str, version: u32, progress: &str, summary: &str) -> String {
    format!(
        "<Siri xmlns=\"http://www.siri.org.uk/siri\" version=\"2.1\"><ServiceDelivery>\
         <ResponseTimestamp>{stamp}</ResponseTimestamp><SituationExchangeDelivery><Situations>\
         <PtSituationElement><CreationTime>2026-03-09T06:00:00+01:00</CreationTime>\
         <ParticipantRef>SNCF</ParticipantRef><SituationNumber>K40-travaux</SituationNumber>\
         <Version>{version}</Version><Progress>{progress}</Progress>\
         <ValidityPeriod><StartTime>2026-03-09T06:00:00+01:00</StartTime><EndTime>2026-03-09T20:00:00+01:00</EndTime></ValidityPeriod>\
         <AlertCause>constructionWork</AlertCause><Severity>normal</Severity>\
         <Summary xml:lang=\"fr\">{summary}</Summary>\
         <Description xml:lang=\"fr\">Travaux entre Cambrai et Busigny.&lt;br/&gt;Prévoir 10 minutes de plus.</Description>\
         <Affects><Networks><AffectedNetwork><AffectedLine><LineRef>TER:K40</LineRef></AffectedLine></AffectedNetwork></Networks></Affects>\
         </PtSituationElement></Situations></SituationExchangeDelivery></ServiceDelivery></Siri>"
    )
}

async fn start(et: &Upstream, sx: &Upstream) -> Running {
    let config = server::demo_config("[board]\nmax_limit = 60", "")
        + &format!(
            "\n[feeds.siri]\nestimated_timetable_url = \"{}\"\nsituation_exchange_url = \"{}\"\npoll_s = 0.2\n\
         [feeds.siri.match]\nstop_pattern = '^StopArea:OCE(.+)$'\n",
            et.url, sx.url
        );
    // [feeds.siri] must follow its [[feeds]]: move the stations after it.
    let (feeds, stations) = config.split_once("[[stations]]").expect("stations");
    let (head, siri) = stations.split_once("\n[feeds.siri]").expect("siri");
    let text = format!(
        "{feeds}[feeds.siri]{siri}\n[[stations]]{head}\n\
         [[stations]]\nid = \"bertry\"\nname = \"Bertry\"\nstops = {{ demo = [\"TER:BERTRY\"] }}\n"
    );
    let server = server::start(&text, server::fixed(NOW)).await;
    server.wait_fresh("demo:siri-et").await;
    server.wait_fresh("demo:siri-sx").await;
    server
}

fn train<'a>(board: &'a quai_protocol::Board, number: &str) -> &'a Departure {
    board
        .departures
        .iter()
        .find(|d| d.trip_number.as_deref() == Some(number) || d.id.contains(number))
        .unwrap_or_else(|| {
            panic!(
                "train {number} not on the board: {:?}",
                board.departures.iter().map(|d| &d.id).collect::<Vec<_>>()
            )
        })
}

#[tokio::test]
async fn siri_times_platforms_and_situations_show_on_the_board() {
    let et = Upstream::start(Reply::Body(estimated_timetable().into_bytes())).await;
    let sx = Upstream::start(Reply::Body(
        situation(&t("07:29:00"), 1, "open", "Ligne K40 : travaux").into_bytes(),
    ))
    .await;
    let server = start(&et, &sx).await;
    let board = server.board("caudry", "?limit=60").await;

    // Trip id rule: expected 07:48, delayed, platform 2 instead of 1.
    let k40 = train(&board, "843800");
    assert_eq!(
        k40.expected.as_deref().map(quai_tests::board::hms),
        Some("07:48:00".into())
    );
    assert_eq!(k40.status, DepartureStatus::Delayed);
    assert_eq!(k40.platform.as_deref(), Some("2"));
    assert!(k40.platform_changed);

    // Train number rule: the whole train cancelled, shown struck, not hidden.
    assert_eq!(train(&board, "843840").status, DepartureStatus::Cancelled);

    // Line + aimed time rule: early, destination shown, at the platform.
    let early = train(&board, "843856");
    assert_eq!(early.status, DepartureStatus::Early);
    assert_eq!(early.headsign, "Lille-Flandres par Douai");
    assert!(early.boarding);
    assert_eq!(early.platform.as_deref(), Some("2"));
    assert!(!early.platform_changed);

    // A recorded call: the bus left at 07:29:20, shown as departed for a minute.
    let left = train(&board, "CA2C:1:WD:0:0720");
    assert_eq!(left.status, DepartureStatus::Departed);
    assert_eq!(
        left.expected.as_deref().map(quai_tests::board::hms),
        Some("07:29:20".into())
    );

    // A cancelled call: the train does not stop here.
    assert_eq!(train(&board, "843802").status, DepartureStatus::Skipped);

    // The extra train, with its platform.
    let extra = train(&board, "SNCF:EXTRA:1");
    assert_eq!(extra.platform.as_deref(), Some("1"));
    assert_eq!(extra.headsign, "Cambrai");

    // The situation: a notice from SIRI, on the K40 trains, HTML gone.
    let notice = board
        .notices
        .iter()
        .find(|n| n.source == NoticeSource::Siri)
        .expect("the SIRI situation");
    assert_eq!(notice.id, "siri:demo:K40-travaux");
    assert_eq!(notice.header["fr"], "Ligne K40 : travaux");
    assert_eq!(
        notice.description["fr"],
        "Travaux entre Cambrai et Busigny.\nPrévoir 10 minutes de plus."
    );
    assert!(k40.notice_ids.contains(&notice.id));
    assert!(!train(&board, "843840").notice_ids.contains(&notice.id));

    // What attached, by rule, in /healthz.
    let health = server.health().await;
    let et_status = health
        .feeds
        .iter()
        .find(|f| f.id == "demo:siri-et")
        .expect("siri-et status");
    let a = et_status.attachment.as_ref().expect("attachment");
    // Eight journeys (the K40 twice: merged), one of another network.
    assert_eq!((a.received, a.attached, a.unknown_trip), (8, 7, 1), "{a:?}");

    // The extra stop at Bertry: a departure of the K40 from there.
    let bertry = server.board("bertry", "").await;
    let extra = bertry
        .departures
        .iter()
        .find(|d| d.id.contains("TER:843800:WD~TER:BERTRY"))
        .unwrap_or_else(|| {
            panic!(
                "{:?}",
                bertry.departures.iter().map(|d| &d.id).collect::<Vec<_>>()
            )
        });
    assert_eq!(
        extra.expected.as_deref().map(quai_tests::board::hms),
        Some("07:50:00".into())
    );
    assert_eq!(extra.route.short_name.as_deref(), Some("K40"));
    assert_eq!(extra.headsign, "Saint-Quentin");

    // And in /metrics, by rule.
    let metrics = server.get_text("/metrics").await;
    for line in [
        "quai_siri_journeys{feed=\"demo\",kind=\"siri-et\",outcome=\"received\"} 8",
        "quai_siri_journeys{feed=\"demo\",kind=\"siri-et\",outcome=\"found_by_train_number\"} 1",
        "quai_siri_journeys{feed=\"demo\",kind=\"siri-et\",outcome=\"found_by_origin_departure\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} not in {metrics}");
    }

    // SIRI's situation is in the GTFS-RT alerts export too.
    let alerts = server.get_text("/gtfs-rt/alerts?format=json").await;
    assert!(alerts.contains("siri:demo:K40-travaux"), "{alerts}");

    // Updated: the new text replaces the old, under the same id.
    sx.set(Reply::Body(
        situation(&t("07:29:40"), 2, "open", "Ligne K40 : travaux prolongés").into_bytes(),
    ));
    let updated = wait_notice(&server, |h| h == Some("Ligne K40 : travaux prolongés")).await;
    assert_eq!(updated, 1);
    // Closed: gone from the board.
    sx.set(Reply::Body(
        situation(&t("07:29:50"), 3, "closed", "Ligne K40 : travaux prolongés").into_bytes(),
    ));
    assert_eq!(wait_notice(&server, |h| h.is_none()).await, 0);
}

/// Waits until the SIRI notice's French header satisfies `want`; returns how
/// many SIRI notices the board has then.
async fn wait_notice(server: &Running, want: impl Fn(Option<&str>) -> bool) -> usize {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let board = server.board("caudry", "").await;
        let siri: Vec<_> = board
            .notices
            .iter()
            .filter(|n| n.source == NoticeSource::Siri)
            .collect();
        if want(
            siri.first()
                .and_then(|n| n.header.get("fr"))
                .map(String::as_str),
        ) {
            return siri.len();
        }
        assert!(tokio::time::Instant::now() < deadline, "{siri:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The demo timetable as a folder, its Caudry stops given `stop_code`s
/// (CAU, CAU1, CAU2) as some producers' stop references.
fn demo_with_stop_codes(dir: &std::path::Path) -> std::path::PathBuf {
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/../feed-server/demo/gtfs");
    let out = dir.join("gtfs");
    std::fs::create_dir_all(&out).expect("mkdir");
    for entry in std::fs::read_dir(source).expect("demo gtfs") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_owned();
        let mut text = std::fs::read_to_string(&path).expect("read");
        if name == "stops.txt" {
            text = text
                .lines()
                .enumerate()
                .map(|(i, line)| {
                    let id = line.split(',').next().unwrap_or_default();
                    let code = match (i, id) {
                        (0, _) => "stop_code",
                        (_, "CAUDRY") => "CAU",
                        (_, "CAUDRY:V1") => "CAU1",
                        (_, "CAUDRY:V2") => "CAU2",
                        _ => "",
                    };
                    format!("{line},{code}\n")
                })
                .collect();
        }
        std::fs::write(out.join(name), text).expect("write");
    }
    out
}

#[tokio::test]
async fn stop_monitoring_by_stop_code_and_no_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gtfs = demo_with_stop_codes(dir.path());
    // SIRI Lite JSON, Ara/IDFM style: one visit delayed 4 minutes, found by
    // its framed journey ref; one that the producer does not report on.
    let visits = serde_json::json!({"Siri": {"ServiceDelivery": {
    "ResponseTimestamp": "2026-03-09T07:29:45+01:00",
    "StopMonitoringDelivery": [{"Version": "2.0", "Status": "true", "MonitoredStopVisit": [
        {"MonitoringRef": {"value": "CAU"}, "MonitoredVehicleJourney": {
            "LineRef": {"value": "TER:K40"},
            "FramedVehicleJourneyRef": {"DataFrameRef": {"value": "2026-03-09"},
                "DatedVehicleJourneyRef": "TER:843856:WD"},
            "MonitoredCall": {"StopPointRef": {"value": "CAU2"}, "Order": 3,
                "AimedDepartureTime": "2026-03-09T08:16:00+01:00",
                "ExpectedDepartureTime": "2026-03-09T08:20:00+01:00",
                "DepartureStatus": "DELAYED", "DeparturePlatformName": {"value": "2"}}}},
        // The same train seen at another monitored stop: one update of it.
        {"MonitoringRef": "BUS", "MonitoredVehicleJourney": {
            "FramedVehicleJourneyRef": {"DataFrameRef": "2026-03-09",
                "DatedVehicleJourneyRef": "TER:843856:WD"},
            "MonitoredCall": {"StopPointRef": "TER:BUSIGNY",
                "AimedDepartureTime": "2026-03-09T08:07:00+01:00",
                "ExpectedDepartureTime": "2026-03-09T08:10:00+01:00"}}},
        {"MonitoringRef": {"value": "CAU"}, "MonitoredVehicleJourney": {
            "FramedVehicleJourneyRef": {"DataFrameRef": "2026-03-09",
                "DatedVehicleJourneyRef": "TER:843802:WD"},
            "MonitoredCall": {"StopPointRef": "CAU1",
                "AimedDepartureTime": "2026-03-09T08:44:00+01:00",
                "DepartureStatus": "NO_REPORT"}}}
    ]}]}}});
    let sm = Upstream::start(Reply::Body(visits.to_string().into_bytes())).await;
    // A second stop whose requests fail: the first one's visits still show.
    sm.set_path(
        "/sm?MonitoringRef=OUT%20OF%20ORDER",
        Reply::Status(500, None),
    );
    let text = format!(
        "[board]\nmax_limit = 60\n[[feeds]]\nid = \"demo\"\ngtfs = {gtfs:?}\n\
         [feeds.siri]\nstop_monitoring_url = \"{}/sm\"\nmonitoring_refs = [\"CAU\", \"OUT OF ORDER\"]\npoll_s = 0.2\n\
         [[stations]]\nid = \"caudry\"\nname = \"Caudry\"\nstops = {{ demo = [\"CAUDRY\"] }}\n",
        sm.url
    );
    let server = server::start(&text, server::fixed(NOW)).await;
    server.wait_fresh("demo:siri-sm").await;
    let asked = sm.seen();
    assert_eq!(asked[0].path, "/sm?MonitoringRef=CAU", "{asked:?}");
    assert_eq!(
        asked[1].path, "/sm?MonitoringRef=OUT%20OF%20ORDER",
        "{asked:?}"
    );

    let board = server.board("caudry", "?limit=60").await;
    let late = train(&board, "843856");
    assert_eq!(late.delay_s, Some(240));
    assert_eq!(late.status, DepartureStatus::Delayed);
    let unreported = train(&board, "843802");
    assert!(!unreported.realtime, "{unreported:?}");
    assert_eq!(unreported.status, DepartureStatus::Scheduled);
    let health = server.health().await;
    let status = health
        .feeds
        .iter()
        .find(|f| f.id == "demo:siri-sm")
        .expect("siri-sm");
    let a = status.attachment.as_ref().expect("attachment");
    assert_eq!((a.received, a.attached, a.duplicate), (3, 3, 0), "{a:?}");
}
