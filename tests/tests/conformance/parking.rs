//! Facility documents (`parking/`, `gbfs/`, `siri/otp/siri-fm.xml`): each
//! read by Quai's parsers and compared with what was counted by hand in
//! Python (`xml.etree`, `json`; SOURCES.md gives the totals), then the
//! Aachen DATEX II pair served to a running server at the realtime file's
//! time, whose board and `GET /v1/facilities` are checked facility by
//! facility, and whose SIRI-FM export the SIRI XSD accepts.

use feed_server::config::FacilityFormat;
use feed_server::sources::facilities::poller::{parse_main, parse_status};
use feed_server::sources::facilities::{Opening, datex2, gbfs, merge, parkapi, siri_fm};
use quai_protocol::{FacilityKind, FacilityStatus};
use quai_tests::server;
use quai_tests::upstream::{Reply, Upstream};

use crate::support::fixtures;

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

const AACHEN_STATIC: &str = "parking/parkapi-aachen-datex2/aachen-static.xml";
const AACHEN_REALTIME: &str = "parking/parkapi-aachen-datex2/aachen-realtime.xml";

#[test]
fn datex2_aachen_every_status_is_attached_to_its_site() {
    let table = datex2::parse(&read(AACHEN_STATIC)).expect("static");
    assert_eq!(table.sites.len(), 17);
    assert!(table.statuses.is_empty());
    let with_capacity: Vec<u32> = table.sites.iter().filter_map(|s| s.capacity).collect();
    assert_eq!(with_capacity.len(), 15, "P13 and P17 have no capacity");
    assert_eq!(with_capacity.iter().sum::<u32>(), 6_641);
    let p1 = &table.sites[0];
    assert_eq!(
        (p1.id.as_str(), p1.name.as_deref()),
        ("P1", Some("P01-Eurogress"))
    );
    assert!(
        p1.position
            .is_some_and(|(lat, _)| (lat - 50.780552).abs() < 1e-6)
    );
    let status = datex2::parse(&read(AACHEN_REALTIME)).expect("realtime");
    assert_eq!(status.statuses.len(), 17);
    let (all, unattached) = merge(table.sites, status.statuses);
    assert_eq!(
        (all.len(), unattached),
        (17, 0),
        "every status has its site"
    );
    // The two sites whose status is `unknown` (P5, P13) give no count.
    let counted: Vec<_> = all.iter().filter(|r| r.free.is_some()).collect();
    assert_eq!(counted.len(), 15);
    assert_eq!(counted.iter().filter_map(|r| r.free).sum::<u32>(), 4_309);
    assert_eq!(
        counted.iter().filter_map(|r| r.occupied).sum::<u32>(),
        2_287
    );
    let closed = all.iter().filter(|r| r.opening == Opening::Closed).count();
    assert_eq!(closed, 4, "P5, P13, P14, P18");
    let p10 = all.iter().find(|r| r.id == "P10").expect("P10");
    assert_eq!(
        p10.capacity,
        Some(319),
        "the status's override (319) over the table's 345"
    );
    let p17 = all.iter().find(|r| r.id == "P17").expect("P17");
    assert_eq!(
        p17.capacity,
        Some(480),
        "no capacity in the table: the status's"
    );
}

#[tokio::test]
async fn datex2_aachen_on_a_running_server_board_and_exports() {
    let upstream = Upstream::start(Reply::Status(404, None)).await;
    upstream.set_path("/static.xml", Reply::Body(read(AACHEN_STATIC)));
    upstream.set_path("/realtime.xml", Reply::Body(read(AACHEN_REALTIME)));
    let config = format!(
        "{}\n[[facility_sources]]\nid = \"aachen\"\nformat = \"datex2\"\n\
         url = \"{u}/static.xml\"\nstatus_url = \"{u}/realtime.xml\"\n\
         stations = [\"caudry\"]\nstale_after_s = 3600\npoll_s = 1\n",
        server::demo_config("", ""),
        u = upstream.url
    );
    // Eight minutes after the realtime file was published.
    let s = server::start(&config, server::fixed("2025-02-07T19:15:00Z")).await;
    let mut lines: Vec<quai_protocol::Facility> = Vec::new();
    for _ in 0..50 {
        lines = s.get("/v1/facilities", 200).await;
        if lines.len() == 17 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(lines.len(), 17, "{lines:#?}");
    // The board shows the first 12 of them (a town's whole table is for
    // `only` or a radius to narrow).
    let board = s.board("caudry", "").await.facilities;
    assert_eq!(
        board.len(),
        feed_server::facility::shown::MAX_SOURCED_PER_BOARD
    );
    assert_eq!(board[0], {
        let mut p1 = lines[0].clone();
        p1.updated_at = board[0].updated_at.clone();
        p1
    });
    let by = |id: &str| {
        lines
            .iter()
            .find(|f| f.id == format!("aachen:{id}"))
            .unwrap_or_else(|| panic!("{id}"))
    };
    let p1 = by("P1");
    assert_eq!(
        (p1.name.as_str(), p1.free, p1.capacity, p1.status),
        ("P01-Eurogress", Some(412), Some(560), FacilityStatus::Open)
    );
    assert_eq!(p1.kind, FacilityKind::CarPark);
    // Open, counted within the hour: 12 sites, 3,531 free places.
    let open: Vec<_> = lines
        .iter()
        .filter(|f| f.status == FacilityStatus::Open)
        .collect();
    assert_eq!(open.len(), 12);
    assert_eq!(open.iter().filter_map(|f| f.free).sum::<u32>(), 3_531);
    // Closed by its publisher within the hour: P18.
    assert_eq!(by("P18").status, FacilityStatus::Closed);
    // Statuses days or hours old (P5, P13, P14 "closed" on 3-4 February,
    // P16's count from 02:15): unknown, neither closed nor free.
    for id in ["P5", "P13", "P14", "P16"] {
        assert_eq!(
            (by(id).status, by(id).free),
            (FacilityStatus::Unknown, None),
            "{id}"
        );
    }
    let detail: quai_protocol::FacilityDetail = s.get("/v1/facilities/aachen:P1", 200).await;
    assert_eq!(detail.source.as_deref(), Some("aachen"));
    assert_eq!(detail.stations, ["caudry"]);
    assert!(detail.location.is_some());
    // The SIRI-FM export of the same, accepted by the SIRI XSD.
    let fm = s.get_text("/siri/facility-monitoring").await;
    quai_tests::xsd::validate_siri(&fm).unwrap_or_else(|e| panic!("{e}\n{fm}"));
    let back = siri_fm::parse(fm.as_bytes()).expect("our SIRI-FM read back");
    let p1_back = back.iter().find(|r| r.id == "aachen:P1").expect("P1");
    assert_eq!((p1_back.free, p1_back.occupied), (Some(412), Some(148)));
    // The DATEX II v3 export, read back by the DATEX II reader.
    let d2 = s.get_text("/datex2/parking-status").await;
    let back = datex2::parse(d2.as_bytes()).expect("our DATEX II read back");
    assert_eq!(back.statuses.len(), 17);
    let p1_back = back
        .statuses
        .iter()
        .find(|r| r.id == "aachen:P1")
        .expect("P1");
    assert_eq!((p1_back.free, p1_back.capacity), (Some(412), Some(560)));
}

#[test]
fn parkapi_p_and_m_lots_of_baden_wurttemberg() {
    let lots = parkapi::parse(&read("parking/parkapi-p-m-bw/p_m_bw.json")).expect("P+M");
    assert_eq!(lots.len(), 2);
    let e = &lots[0];
    assert_eq!(e.name.as_deref(), Some("A81 Ergenzingen"));
    assert_eq!(e.kind, Some(FacilityKind::Carpool), "category P&M");
    assert_eq!(
        (e.free, e.capacity, e.capacity_pmr),
        (Some(31), Some(111), Some(4))
    );
    assert_eq!(e.opening, Opening::Open);
    assert_eq!(
        e.at.map(|t| t.to_rfc3339()),
        Some("2024-06-18T07:59:51+00:00".into())
    );
    assert!(e.position.is_some_and(|(lat, lon)| lat > 48.5 && lon > 8.8));
    assert_eq!((lots[1].free, lots[1].capacity), (Some(5), Some(134)));
}

#[test]
fn sensade_lots_whose_counts_do_not_add_up_keep_the_rest_unknown() {
    let dir = fixtures().join("parking/parkapi-p-m-sensade");
    let mut statuses = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("parking-lot-status-") {
            statuses.extend(parkapi::parse(&std::fs::read(&path).expect("read")).expect(name));
        }
    }
    assert_eq!(statuses.len(), 7);
    assert_eq!(statuses.iter().filter_map(|r| r.capacity).sum::<u32>(), 580);
    assert_eq!(statuses.iter().filter_map(|r| r.free).sum::<u32>(), 351);
    let adding_up = statuses
        .iter()
        .filter(|r| r.free.zip(r.occupied).map(|(a, o)| a + o) == r.capacity)
        .count();
    assert_eq!(adding_up, 3, "3 of 7 lots add up");
    // On a board: A8 Aichelberg, 72 available and 22 occupied of 100, shows
    // 72 free and 6 unknown ("at least 72 free of 100" on the screen).
    let a8 = statuses
        .iter()
        .find(|r| r.name.as_deref() == Some("A8 Aichelberg"))
        .expect("A8");
    assert_eq!(
        (a8.free, a8.occupied, a8.capacity),
        (Some(72), Some(22), Some(100))
    );
    let lines = crate::support::sourced_lines(FacilityFormat::ParkApi, std::slice::from_ref(a8));
    assert_eq!(
        (lines[0].free, lines[0].unknown, lines[0].status),
        (Some(72), 6, FacilityStatus::Open)
    );
}

#[test]
fn gbfs_2_3_call_a_bike_and_3_0_stations() {
    let info = parse_main(
        FacilityFormat::Gbfs,
        &read("gbfs/motis-callabike-2.3/station_information.json"),
    )
    .expect("2.3 information");
    let status = parse_status(
        FacilityFormat::Gbfs,
        &read("gbfs/motis-callabike-2.3/station_status.json"),
    )
    .expect("2.3 status");
    let (all, unattached) = merge(info, status);
    assert_eq!((all.len(), unattached), (1, 0));
    let d = &all[0];
    assert_eq!(d.name.as_deref(), Some("Darmstadt Hbf"));
    assert_eq!((d.free, d.kind), (Some(48), Some(FacilityKind::BikeShare)));
    assert_eq!(d.vehicle_types.len(), 1);
    assert_eq!(d.vehicle_types[0].1, 48);
    assert_eq!(d.at.map(|t| t.timestamp()), Some(1_729_500_733));
    assert!(matches!(
        gbfs::parse(&read("gbfs/motis-callabike-2.3/station_status.json")),
        Ok(gbfs::Gbfs::Status(_))
    ));
    // Information where status is expected: refused with a reason.
    let wrong = parse_status(
        FacilityFormat::Gbfs,
        &read("gbfs/motis-callabike-2.3/station_information.json"),
    );
    assert!(wrong.is_err());

    let info = parse_main(
        FacilityFormat::Gbfs,
        &read("gbfs/gbfs-json-schema-3.0/station_information.json"),
    )
    .expect("3.0 information");
    assert_eq!(info.len(), 23);
    assert_eq!(info[0].name.as_deref(), Some("2 ROUES"), "a localized name");
    let status = parse_status(
        FacilityFormat::Gbfs,
        &read("gbfs/gbfs-json-schema-3.0/station_status.json"),
    )
    .expect("3.0 status");
    let (all, unattached) = merge(info, status);
    assert_eq!((all.len(), unattached), (23, 0));
    let counted: Vec<_> = all.iter().filter(|r| r.free.is_some()).collect();
    assert_eq!(counted.len(), 1);
    assert_eq!(counted[0].free, Some(0));
    assert_eq!(counted[0].vehicle_types.len(), 2);
    assert_eq!(
        counted[0].at.map(|t| t.to_rfc3339()),
        Some("2019-07-04T13:33:03.969+00:00".into()),
        "RFC 3339 times in 3.0"
    );
    // A station with no bike is open, not full.
    let lines = crate::support::sourced_lines(FacilityFormat::Gbfs, &[counted[0].clone()]);
    assert_eq!(lines[0].status, FacilityStatus::Open);
}

#[test]
fn siri_fm_parking_of_south_tyrol_and_the_cen_example() {
    let all = siri_fm::parse(&read("siri/otp/siri-fm.xml")).expect("siri-fm");
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].id, "IT:ITH10:Parking:105");
    assert_eq!(
        (all[0].free, all[0].opening),
        (Some(33), Opening::Open),
        "presentCount in bays"
    );
    for r in &all[1..] {
        assert_eq!(
            (r.opening, r.free),
            (Opening::Closed, None),
            "{}: notAvailable",
            r.id
        );
    }
    assert_eq!(
        all[0].at.map(|t| t.to_rfc3339()),
        Some("2024-07-17T11:07:40+00:00".into())
    );
    let cen = siri_fm::parse(&read(
        "siri/cen-examples/siri_exm_FM/exf_facilityMonitoring_response.xml",
    ))
    .expect("CEN example");
    assert!(!cen.is_empty());
    assert_eq!(cen[0].id, "134567-L4", "a FacilityCode when no FacilityRef");
    assert_eq!(cen[0].opening, Opening::Closed);
    // A lift (`<AccessFacility> lift</AccessFacility>`, spaces and all): not
    // a place to park; South Tyrol's car parks are not equipment.
    assert_eq!(
        cen[0].equipment,
        Some(feed_server::sources::facilities::AccessEquipment::Lift)
    );
    assert!(all.iter().all(|r| r.equipment.is_none()));
    // Not a facility delivery: refused with a reason.
    let sx = siri_fm::parse(&read("siri/otp/siri-sx-lite.xml"));
    assert!(sx.is_err());
}

/// The CEN example's lift « Les Halles sattion Lift 4 », `notAvailable`,
/// served by a facility source of the demo station: a notice about step-free
/// access on its board (not a facility line), gone when the lift is back.
#[tokio::test]
async fn a_siri_fm_lift_out_of_service_is_a_notice_on_the_board() {
    let document = read("siri/cen-examples/siri_exm_FM/exf_facilityMonitoring_response.xml");
    let upstream = Upstream::start(Reply::Body(document.clone())).await;
    let config = format!(
        "{}\n[[facility_sources]]\nid = \"ratp\"\nformat = \"siri-fm\"\n\
         url = \"{}\"\nstations = [\"caudry\"]\npoll_s = 0.2\nstale_after_s = 3600\n",
        server::demo_config("", ""),
        upstream.url
    );
    // The document's own day: its delivery is ten minutes old.
    let s = server::start(&config, server::fixed("2004-12-17T09:40:00-05:00")).await;
    let lift = |board: &quai_protocol::Board| {
        board
            .notices
            .iter()
            .find(|n| n.id == "siri-fm:ratp:134567-L4")
            .cloned()
    };
    let mut notice = None;
    for _ in 0..100 {
        notice = lift(&s.board("caudry", "").await);
        if notice.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let notice = notice.expect("the lift's notice on the board");
    assert!(notice.accessibility, "{notice:?}");
    assert_eq!(notice.effect, "accessibility_issue");
    assert_eq!(
        notice.header.get("fr").map(String::as_str),
        Some("Ascenseur hors service : Les Halles sattion Lift 4")
    );
    assert_eq!(
        notice.header.get("en").map(String::as_str),
        Some("Lift out of service: Les Halles sattion Lift 4")
    );
    // Its full text on the Wi-Fi page, where the screen's QR code leads.
    let page = s
        .answer("/portal/notices/siri-fm:ratp:134567-L4")
        .await
        .expect(200);
    assert!(
        page.body.contains("Ascenseur hors service"),
        "{}",
        page.body
    );
    let board = s.board("caudry", "").await;
    assert!(board.facilities.is_empty(), "{:?}", board.facilities);
    let listed: serde_json::Value = s.get("/v1/facilities", 200).await;
    assert!(!listed.to_string().contains("134567-L4"), "{listed}");

    // Back in service: the notice goes.
    let text = String::from_utf8(document).expect("UTF-8");
    let repaired = text.replacen(
        "<Status>notAvailable</Status>",
        "<Status>available</Status>",
        1,
    );
    assert_ne!(repaired, text);
    upstream.set(Reply::Body(repaired.into_bytes()));
    for _ in 0..100 {
        if lift(&s.board("caudry", "").await).is_none() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the notice stayed after the lift came back");
}

#[tokio::test]
async fn sensade_lots_polled_one_status_per_lot_on_a_running_server() {
    let dir = "parking/parkapi-p-m-sensade";
    let upstream = Upstream::start(Reply::Status(404, None)).await;
    upstream.set_path(
        "/parking-lots.json",
        Reply::Body(read(&format!("{dir}/parking-lots.json"))),
    );
    for entry in std::fs::read_dir(fixtures().join(dir)).expect("dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.starts_with("parking-lot-status-") {
            upstream.set_path(
                &format!("/{name}"),
                Reply::Body(read(&format!("{dir}/{name}"))),
            );
        }
    }
    let config = format!(
        "{}\n[[facility_sources]]\nid = \"pm\"\nformat = \"parkapi\"\n\
         url = \"{u}/parking-lots.json\"\nstatus_url = \"{u}/parking-lot-status-{{id}}.json\"\n\
         stations = [\"caudry\"]\npoll_s = 1\n",
        server::demo_config("", ""),
        u = upstream.url
    );
    let s = server::start(&config, server::fixed("2026-03-09T07:30:00+01:00")).await;
    let mut lines = Vec::new();
    for _ in 0..100 {
        lines = s.board("caudry", "").await.facilities;
        if lines.iter().filter(|f| f.free.is_some()).count() == 7 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(lines.len(), 7, "{lines:#?}");
    assert_eq!(lines.iter().filter_map(|f| f.capacity).sum::<u32>(), 580);
    assert_eq!(lines.iter().filter_map(|f| f.free).sum::<u32>(), 351);
    let a8 = lines
        .iter()
        .find(|f| f.id == "pm:2118f891-abb9-439b-9f43-54e976b6ab71")
        .expect("A8 Aichelberg");
    assert_eq!(
        (
            a8.name.as_str(),
            a8.kind,
            a8.free,
            a8.occupied,
            a8.unknown,
            a8.capacity
        ),
        (
            "A8 Aichelberg",
            FacilityKind::Carpool,
            Some(72),
            Some(22),
            6,
            Some(100)
        )
    );
    // The lot list gives the place.
    let detail: quai_protocol::FacilityDetail = s
        .get(
            "/v1/facilities/pm:2118f891-abb9-439b-9f43-54e976b6ab71",
            200,
        )
        .await;
    assert!(detail.location.is_some_and(|l| (l.lat - 48.6).abs() < 0.2));
    // One status per lot was asked for, by its id.
    let asked: Vec<String> = upstream.seen().into_iter().map(|r| r.path).collect();
    assert!(
        asked
            .iter()
            .any(|p| p == "/parking-lot-status-2118f891-abb9-439b-9f43-54e976b6ab71.json"),
        "{asked:?}"
    );
}
