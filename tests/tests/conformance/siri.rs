//! SIRI on real documents (../shared/fixtures/siri, see SOURCES.md): every
//! kind read as the server reads it, journeys matched to the timetable of the
//! same producer where one exists (Entur's ET against the NSB GTFS of the same
//! days), the broken documents refused with a reason. Counts were taken from
//! the files with Python (`xml.etree`, `json`), independently of this code.

use std::collections::BTreeMap;

use feed_server::config::{Matching, SiriService};
use feed_server::id::FeedId;
use feed_server::realtime::siri::References;
use feed_server::realtime::siri::journeys::match_journeys;
use feed_server::sources::gtfs_static::{self, Archive};
use feed_server::sources::siri::{self, CallStatus, SiriError};
use feed_server::timetable::FeedTimetable;

use crate::support::fixture;

/// Texts without a language in `lang`; times without an offset in Paris.
fn defaults(lang: &str) -> siri::Defaults<'_> {
    siri::Defaults {
        lang,
        timezone: chrono_tz::Europe::Paris,
    }
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(fixture(path)).expect("fixture")
}

fn timetable(path: &str) -> FeedTimetable {
    let id: FeedId = "f".parse().expect("id");
    let archive = Archive::Zip(read(path));
    gtfs_static::load(&id, path, &archive, Default::default(), &|_, _| {}).expect("load")
}

#[test]
fn entur_estimated_timetable_attaches_to_the_nsb_timetable_of_the_same_days() {
    let nsb = timetable("gtfs/entur-nsb-2018/rb_nsb-aggregated-gtfs.zip");
    let refs = References::new(&nsb, Matching::default());
    for (file, journeys, trips) in [
        ("siri/entur-anshar/siri-et-from-bnr.xml", 144, 88),
        ("siri/entur-anshar/siri-et-gir-npe.xml", 126, 86),
    ] {
        let delivery =
            siri::parse(&read(file), SiriService::EstimatedTimetable, defaults("no")).expect(file);
        assert_eq!(delivery.journeys.len(), journeys, "{file}");
        let matched = match_journeys(&delivery.journeys, &nsb, &refs);
        let (updates, counts) = (matched.updates.clone(), matched.counts.clone());
        let attached = matched.attach("nsb", &nsb, Default::default());
        println!("{file}: {}", attached.attachment.summary());
        assert_eq!(attached.attachment.attached, trips, "{file}");
        // SOURCES.md: that many DatedVehicleJourneyRefs are NSB trip ids; each
        // attaches, on its day, by the trip_id rule.
        assert_eq!(counts.matched_by.get("trip_id"), Some(&trips), "{file}");
        assert_eq!(updates.len(), trips, "{file}");
        // Platforms come with the calls (Bane NOR gives them on most).
        let with_platform = updates
            .iter()
            .flat_map(|u| &u.stop_updates)
            .filter(|s| s.extras.platform.is_some())
            .count();
        assert!(
            with_platform > 100,
            "{file}: {with_platform} calls with a platform"
        );
    }
}

#[test]
fn idfm_lite_json_estimated_timetable_reads_wrapped_values_and_unordered_calls() {
    let delivery = siri::parse(
        &read("siri/idfm-prim-lite/estimated-timetable.json"),
        SiriService::EstimatedTimetable,
        defaults("fr"),
    )
    .expect("IDFM ET");
    assert_eq!(delivery.journeys.len(), 8);
    let calls: Vec<_> = delivery.journeys.iter().flat_map(|j| &j.calls).collect();
    assert_eq!(calls.len(), 111);
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for c in &calls {
        *statuses
            .entry(format!("{:?}", c.departure_status))
            .or_default() += 1;
    }
    // SOURCES.md: ON_TIME 79 / DELAYED 21 / NO_REPORT 8 / EARLY 3.
    assert_eq!(statuses.get("Some(OnTime)"), Some(&79), "{statuses:?}");
    assert_eq!(statuses.get("Some(Delayed)"), Some(&21), "{statuses:?}");
    assert_eq!(statuses.get("Some(NoReport)"), Some(&8), "{statuses:?}");
    assert_eq!(statuses.get("Some(Early)"), Some(&3), "{statuses:?}");
    let j = &delivery.journeys[0];
    assert_eq!(j.line_ref.as_deref(), Some("STIF:Line::C00680:"));
    assert_eq!(
        j.dated_vehicle_journey_ref.as_deref(),
        Some("526RDSACLAY:VehicleJourney::10809895:LOC")
    );
    assert!(calls.iter().all(|c| c.order.is_none()));
    assert!(calls.iter().all(|c| {
        c.stop_point_ref
            .as_deref()
            .is_some_and(|s| s.starts_with("STIF:StopPoint:Q:"))
    }));
}

#[test]
fn ara_french_stop_monitoring_lite_json_gives_the_platform() {
    let delivery = siri::parse(
        &read("siri/ara-fr/stopmonitoring-lite-delivery-idfm.json"),
        SiriService::StopMonitoring,
        defaults("fr"),
    )
    .expect("Ara SM");
    assert_eq!(delivery.journeys.len(), 1);
    let j = &delivery.journeys[0];
    assert_eq!(j.line_ref.as_deref(), Some("STIF:Line::C01740:"));
    let call = &j.calls[0];
    assert_eq!(
        call.stop_point_ref.as_deref(),
        Some("STIF:StopPoint:Q:41178:")
    );
    assert_eq!(call.platform.as_deref(), Some("2"));
    assert_eq!(call.departure_status, Some(CallStatus::OnTime));
    assert_eq!(call.order, Some(6));
    assert_eq!(
        call.destination_display.as_deref(),
        Some("Gare Saint-Lazare")
    );
}

#[test]
fn ara_soap_stop_monitoring_and_general_message_read_through_the_envelope() {
    let sm = siri::parse(
        &read("siri/ara-fr/stopmonitoring-response-long-soap.xml"),
        SiriService::StopMonitoring,
        defaults("fr"),
    )
    .expect("SOAP SM");
    assert_eq!(sm.journeys.len(), 263);
    let gm = siri::parse(
        &read("siri/ara-fr/general-message-idfm.xml"),
        SiriService::GeneralMessage,
        defaults("fr"),
    )
    .expect("SOAP GM");
    assert_eq!(gm.situations.len(), 2);
    let first = &gm.situations[0];
    assert_eq!(first.id, "NINOXE:GeneralMessage:27_1");
    assert_eq!(
        first.summary.get("fr").map(String::as_str),
        Some("Nouveau pass Navigo")
    );
    assert_eq!(
        first.summary.get("en").map(String::as_str),
        Some("New pass Navigo")
    );
}

#[test]
fn cts_general_message_without_wrapper_loses_its_html() {
    let gm = siri::parse(
        &read("siri/cts-strasbourg-lite/general-message.json"),
        SiriService::GeneralMessage,
        defaults("fr"),
    )
    .expect("CTS GM");
    assert_eq!(gm.situations.len(), 10);
    for s in &gm.situations {
        let text = s.description.get("fr").expect("French details");
        assert!(!text.contains('<') && !text.contains("&nbsp;"), "{text}");
        assert!(!s.summary.is_empty(), "{}", s.id);
        assert!(!s.affects.is_empty(), "{}", s.id);
    }
    let bale = &gm.situations[0];
    assert_eq!(
        bale.summary.get("fr").map(String::as_str),
        Some("Ligne 13 : arrêt Bâle déplacé")
    );
    assert!(bale.description["fr"].contains("déplacé à partir du lundi 13 septembre 2021"));
    assert!(bale.description["fr"].contains("\n\nVeuillez rejoindre"));
}

#[test]
fn otp_situation_exchange_lite_reads_windows_texts_and_lines() {
    let sx = siri::parse(
        &read("siri/otp/siri-sx-lite.xml"),
        SiriService::SituationExchange,
        defaults("de"),
    )
    .expect("OTP SX");
    assert_eq!(sx.situations.len(), 1);
    let s = &sx.situations[0];
    assert_eq!(s.id, "2024-3443167");
    assert_eq!(s.summary.len(), 3, "{:?}", s.summary);
    assert_eq!(s.summary["en"], "The busroute: 120 obstacle on the track");
    assert!(s.publication.is_some());
    assert_eq!(s.validity.len(), 1);
    assert!(matches!(
        &s.affects[0],
        siri::Affected::Line { line, .. } if line == "it:apb:Line:80120_.24a"
    ));
    assert_eq!(s.effect, feed_server::realtime::Effect::NoService);
}

#[test]
fn the_cen_examples_of_each_kind_read() {
    for (file, service, journeys, situations) in [
        (
            "siri_exm_ET/ext_estimatedTimetable_response.xml",
            SiriService::EstimatedTimetable,
            true,
            false,
        ),
        (
            "siri_exm_SM/exs_stopMonitoring_response.xml",
            SiriService::StopMonitoring,
            true,
            false,
        ),
        (
            "siri_exm_SM/exs_stopMonitoring_response_complex.xml",
            SiriService::StopMonitoring,
            true,
            false,
        ),
        (
            "siri_exm_SX/exx_situationExchange_response.xml",
            SiriService::SituationExchange,
            false,
            true,
        ),
        (
            "siri_exm_GM/exm_generalMessage_response.xml",
            SiriService::GeneralMessage,
            false,
            true,
        ),
    ] {
        let path = format!("siri/cen-examples/{file}");
        let d = siri::parse(&read(&path), service, defaults("en"))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(!d.journeys.is_empty(), journeys, "{file}");
        assert_eq!(!d.situations.is_empty(), situations, "{file}");
    }
    // The VDV736 lifecycle (first, main, update, end message of one situation).
    let dir = fixture("siri/cen-examples/siri_exm_SX/VDV736_exm");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 4);
    for file in files {
        let d = siri::parse(
            &std::fs::read(&file).expect("read"),
            SiriService::SituationExchange,
            defaults("de"),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(d.situations.len(), 1, "{}", file.display());
    }
}

#[test]
fn broken_documents_are_refused_with_a_reason() {
    let invalid = siri::parse(
        &read("siri/ara-fr/invalid-xml.xml"),
        SiriService::StopMonitoring,
        defaults("fr"),
    );
    assert!(
        matches!(invalid, Err(SiriError::Document(_))),
        "{invalid:?}"
    );
    let error = siri::parse(
        &read("siri/ara-fr/stopmonitoring-lite-delivery-error.json"),
        SiriService::StopMonitoring,
        defaults("fr"),
    );
    let Err(e) = error else {
        panic!("accepted an error body")
    };
    assert!(
        e.to_string().contains("no Route matched with those values"),
        "{e}"
    );
    // A delivery of another kind is not taken for the one asked.
    let other = siri::parse(
        &read("siri/otp/siri-sx-lite.xml"),
        SiriService::EstimatedTimetable,
        defaults("fr"),
    );
    assert!(matches!(other, Err(SiriError::NoDelivery(_))), "{other:?}");
}

#[test]
fn norwegian_situation_exchanges_read_with_their_local_times() {
    // SIRI 1.4 and 2.0 SX from Oslo and Trondheim (2016): times written
    // without an offset are local. Counts from SOURCES.md.
    for (file, situations) in [
        ("siri/entur-anshar/ServiceDelivery_ruter.xml", 45),
        ("siri/entur-anshar/SituationExchangeAnswer_raw.xml", 41),
        (
            "siri/entur-anshar/GetSituationExchangeResponse_1_4.xml",
            200,
        ),
    ] {
        let oslo = siri::Defaults {
            lang: "no",
            timezone: chrono_tz::Europe::Oslo,
        };
        let d = siri::parse(&read(file), SiriService::SituationExchange, oslo)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        // At most 200 kept per delivery (the 1.4 file has 286).
        assert_eq!(d.situations.len(), situations, "{file}");
        // Every window read has a real start: none was opened by a time that
        // did not parse.
        for s in &d.situations {
            for (start, end) in &s.validity {
                assert!(
                    start.is_some() || end.is_some(),
                    "{file}: {} {:?}",
                    s.id,
                    s.validity
                );
            }
        }
        let with_times = d
            .situations
            .iter()
            .filter(|s| s.validity.iter().any(|(a, _)| a.is_some()))
            .count();
        println!(
            "{file}: {} situations, {with_times} with a validity start",
            d.situations.len()
        );
        if file.ends_with("ruter.xml") {
            // 31212: "2015-06-01T09:00:00" to "9999-12-31T23:59:59.9999999", Oslo
            // time: from 07:00 UTC (summer), no end.
            let first = &d.situations[0];
            assert_eq!(first.id, "31212");
            let start = chrono::DateTime::parse_from_rfc3339("2015-06-01T07:00:00Z")
                .expect("time")
                .to_utc();
            assert_eq!(first.validity, vec![(Some(start), None)]);
        }
        assert!(with_times * 2 > d.situations.len(), "{file}: {with_times}");
    }
}

/// The worked example of docs/configuration.md on the real SNCF TER timetable
/// of January 2025: SNCF-style SIRI Lite (written here: no SNCF capture is in
/// the fixtures) for Caudry on Wednesday 22 January 2025. From the CSV files
/// (Python): Caudry is `StopArea:OCE87345561`; train 843800 (trip
/// `OCESN843800F3798765:2025-01-22T00:42:25Z`, headsign "843800", no
/// `trip_short_name`) leaves it at 07:45, and at 18:16 two trains leave,
/// 843866 and 843872.
#[tokio::test]
async fn sncf_style_siri_lite_on_the_ter_timetable_shows_times_platforms_and_disruptions() {
    use quai_tests::upstream::{Reply, Upstream};
    let call = |aimed: &str, expected: &str, platform: &str| {
        format!(
            "<EstimatedCall><StopPointRef>StopPoint:OCE87345561</StopPointRef>\
             <AimedDepartureTime>2025-01-22T{aimed}+01:00</AimedDepartureTime>\
             <ExpectedDepartureTime>2025-01-22T{expected}+01:00</ExpectedDepartureTime>\
             <DeparturePlatformName>{platform}</DeparturePlatformName></EstimatedCall>"
        )
    };
    let et = format!(
        "<Siri xmlns=\"http://www.siri.org.uk/siri\" version=\"2.0\"><ServiceDelivery>\
         <ResponseTimestamp>2025-01-22T07:29:00+01:00</ResponseTimestamp><EstimatedTimetableDelivery>\
         <EstimatedJourneyVersionFrame>\
         <EstimatedVehicleJourney><DatedVehicleJourneyRef>SNCF:VehicleJourney::OCESN843800F:LOC</DatedVehicleJourneyRef>\
         <EstimatedCalls>{}</EstimatedCalls></EstimatedVehicleJourney>\
         <EstimatedVehicleJourney><VehicleJourneyName>843872</VehicleJourneyName>\
         <EstimatedCalls>{}</EstimatedCalls></EstimatedVehicleJourney>\
         </EstimatedJourneyVersionFrame></EstimatedTimetableDelivery></ServiceDelivery></Siri>",
        call("07:45:00", "07:50:00", "B"),
        call("18:16:00", "18:16:00", "A"),
    );
    let sx = "<Siri xmlns=\"http://www.siri.org.uk/siri\" version=\"2.0\"><ServiceDelivery>\
        <ResponseTimestamp>2025-01-22T07:28:00+01:00</ResponseTimestamp><SituationExchangeDelivery><Situations>\
        <PtSituationElement><CreationTime>2025-01-22T06:00:00+01:00</CreationTime>\
        <SituationNumber>caudry-ascenseur</SituationNumber><Progress>open</Progress>\
        <ValidityPeriod><StartTime>2025-01-22T06:00:00+01:00</StartTime></ValidityPeriod>\
        <Severity>slight</Severity><Summary xml:lang=\"fr\">Caudry : ascenseur du quai B hors service</Summary>\
        <Affects><StopPlaces><AffectedStopPlace><StopPlaceRef>StopArea:OCE87345561</StopPlaceRef></AffectedStopPlace></StopPlaces></Affects>\
        </PtSituationElement></Situations></SituationExchangeDelivery></ServiceDelivery></Siri>";
    let et_up = Upstream::start(Reply::Body(et.into_bytes())).await;
    let sx_up = Upstream::start(Reply::Body(sx.as_bytes().to_vec())).await;
    let text = format!(
        "[board]\nmax_limit = 50\nhorizon_min = 720\n[[feeds]]\nid = \"ter\"\ngtfs = {gtfs:?}\n\
         [feeds.siri]\nestimated_timetable_url = \"{et}\"\nsituation_exchange_url = \"{sx}\"\npoll_s = 0.2\n\
         [feeds.siri.match]\njourneys = [\"train_number\", \"origin_departure\"]\n\
         train_number_pattern = 'OCESN(\\d+)'\nstop_pattern = 'OCE(\\d{{8}})'\n\
         stop_ids = [\"StopArea:OCE{{}}\", \"StopPoint:OCETrain TER-{{}}\"]\n\
         [[stations]]\nid = \"caudry\"\nname = \"Caudry\"\nstops = {{ ter = [\"StopArea:OCE87345561\"] }}\n",
        gtfs = fixture("gtfs/sncf-ter-2025-01/export-ter-gtfs-last.zip"),
        et = et_up.url,
        sx = sx_up.url,
    );
    let server = crate::support::serve_config(&text, "2025-01-22T07:30:00+01:00").await;
    server.wait_fresh("ter:siri-et").await;
    server.wait_fresh("ter:siri-sx").await;
    let board = server.board("caudry", "?limit=50").await;
    let by_number = |n: &str| {
        board
            .departures
            .iter()
            .find(|d| d.trip_number.as_deref() == Some(n))
            .unwrap_or_else(|| panic!("{n} not on the board"))
    };
    let k = by_number("843800");
    assert_eq!(k.expected.as_deref(), Some("2025-01-22T07:50:00+01:00"));
    assert_eq!(k.delay_s, Some(300));
    assert_eq!(k.platform.as_deref(), Some("B"));
    // The timetable has no platforms: a platform given is not a change.
    assert!(!k.platform_changed);
    // Two trains at 18:16: the number picks the right one.
    assert_eq!(by_number("843872").platform.as_deref(), Some("A"));
    assert_eq!(by_number("843866").platform, None);
    let notice = board
        .notices
        .iter()
        .find(|n| n.id == "siri:ter:caudry-ascenseur")
        .expect("the situation at Caudry");
    assert_eq!(
        notice.header["fr"],
        "Caudry : ascenseur du quai B hors service"
    );
    let health = server.health().await;
    let a = health
        .feeds
        .iter()
        .find(|f| f.id == "ter:siri-et")
        .and_then(|f| f.attachment.clone())
        .expect("attachment");
    assert_eq!((a.received, a.attached), (2, 2), "{a:?}");
}
