//! Weather advisories end to end: CAP documents from a fake upstream on 127.0.0.1
//! reach the board and the live stream; an Update replaces, a Cancel removes, faults
//! keep the last good state, an index of CAP documents is followed, and alerts
//! expire at their time.

use std::time::Duration;

use quai_protocol::{Advisory, AdvisoryEvent, AdvisoryLevel, ServerMessage};
use quai_tests::server::{self, Running};
use quai_tests::stream::Client;
use quai_tests::upstream::{Reply, Upstream};

const NOW: &str = "2026-07-01T10:00:00+02:00";

/// A CAP alert covering Caudry through its EMMA_ID geocode.
fn cap(id: &str, msg_type: &str, references: &str, level: &str, event: &str) -> Vec<u8> {
    let references = if references.is_empty() {
        String::new()
    } else {
        format!("<references>{references}</references>")
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{id}</identifier><sender>mf</sender><sent>2026-07-01T06:00:00+02:00</sent>
  <status>Actual</status><msgType>{msg_type}</msgType><scope>Public</scope>{references}
  <info><language>fr-FR</language><category>Met</category><event>{event}</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <expires>2026-07-02T21:00:00+02:00</expires>
    <instruction>Consigne officielle {id}.</instruction>
    <parameter><valueName>awareness_level</valueName><value>{level}</value></parameter>
    <area><areaDesc>Nord</areaDesc><geocode><valueName>EMMA_ID</valueName><value>FR059</value></geocode></area>
  </info>
</alert>"#
    )
    .into_bytes()
}

fn config(url: &str) -> String {
    server::demo_config(
        &format!(
            "[[weather]]\nid = \"mf\"\nname = \"Météo-France\"\nurl = \"{url}\"\n\
             poll_s = 0.1\ntimeout_s = 0.5\nmax_backoff_s = 0.2\nmax_mb = 1\n"
        ),
        "",
    )
    .replace(
        "stops = { demo = [\"CAUDRY\"] }\n",
        "stops = { demo = [\"CAUDRY\"] }\n[stations.area]\nlat = 50.1116\nlon = 3.4098\ncodes = [\"EMMA_ID=FR059\"]\n",
    )
}

async fn advisories(server: &Running) -> Vec<Advisory> {
    server.board("caudry", "?limit=1").await.advisories
}

/// Waits until the board's advisories are `ids`.
async fn wait_advisories(server: &Running, ids: &[&str]) -> Vec<Advisory> {
    for _ in 0..400 {
        let a = advisories(server).await;
        let got: Vec<&str> = a.iter().map(|a| a.id.as_str()).collect();
        if got == ids {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "advisories never became {ids:?}: {:?}",
        advisories(server).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_update_cancel_reach_the_board_and_the_stream() {
    let up = Upstream::start(Reply::Body(cap(
        "A1",
        "Alert",
        "",
        "2; yellow; Moderate",
        "Canicule",
    )))
    .await;
    let server = server::start(&config(&format!("{}/cap.xml", up.url)), server::fixed(NOW)).await;

    let a = wait_advisories(&server, &["mf:mf:A1"]).await;
    assert_eq!(a[0].event, AdvisoryEvent::Heatwave);
    assert_eq!(a[0].level, AdvisoryLevel::Yellow);
    assert_eq!(a[0].headline["fr"], "Vigilance jaune – Canicule");
    assert_eq!(a[0].source, "Météo-France");
    let fr = &a[0].advice["fr"];
    assert_eq!(
        fr.last().map(String::as_str),
        Some("Consigne officielle A1.")
    );
    assert_eq!(a[0].expires.as_deref(), Some("2026-07-02T21:00:00+02:00"));

    let mut client = Client::connect(&server.base).await;
    client.subscribe("caudry", None).await;
    let ServerMessage::Snapshot { board, .. } = client.next_message().await else {
        panic!("expected a snapshot");
    };
    assert_eq!(board.advisories.len(), 1);

    // Faults: the advisory stays.
    for fault in [
        Reply::Status(500, None),
        Reply::Hang,
        Reply::Body(b"<html>not CAP".to_vec()),
        Reply::Body(vec![b' '; 2 * 1024 * 1024]),
        Reply::Body(
            b"<!DOCTYPE alert [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><alert>&x;</alert>"
                .to_vec(),
        ),
    ] {
        up.set(fault.clone());
        up.polls(2).await;
        let ids: Vec<String> = advisories(&server)
            .await
            .into_iter()
            .map(|a| a.id)
            .collect();
        assert_eq!(ids, vec!["mf:mf:A1"], "after {fault:?}");
    }

    // An Update raises the level: a delta replaces the advisory.
    up.set(Reply::Body(cap(
        "A2",
        "Update",
        "mf,A1,2026-07-01T06:00:00+02:00",
        "3; orange; Severe",
        "Canicule",
    )));
    let a = wait_advisories(&server, &["mf:mf:A2"]).await;
    assert_eq!(a[0].level, AdvisoryLevel::Orange);
    loop {
        if let ServerMessage::Delta(d) = client.next_message().await
            && !d.upsert.advisories.is_empty()
        {
            assert_eq!(d.upsert.advisories[0].id, "mf:mf:A2");
            assert_eq!(d.remove.advisories, vec!["mf:mf:A1".to_string()]);
            break;
        }
    }

    // A Cancel removes it, live.
    up.set(Reply::Body(cap(
        "A3",
        "Cancel",
        "mf,A2,2026-07-01T06:00:00+02:00",
        "3; orange; Severe",
        "Canicule",
    )));
    wait_advisories(&server, &[]).await;
    loop {
        if let ServerMessage::Delta(d) = client.next_message().await
            && !d.remove.advisories.is_empty()
        {
            assert_eq!(d.remove.advisories, vec!["mf:mf:A2".to_string()]);
            break;
        }
    }
}

/// An Atom index whose entries link to `entries` (paths or URLs).
fn index(entries: &[&str]) -> Vec<u8> {
    let entries: String = entries
        .iter()
        .map(|p| {
            format!(
                "<entry><id>{p}</id><title>t</title><updated>2026-07-01T06:00:00+02:00</updated>\
                 <link rel=\"alternate\" type=\"application/cap+xml\" href=\"{p}\"/></entry>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><id>x</id>\
         <title>Avertissements</title><updated>2026-07-01T06:00:00+02:00</updated>{entries}</feed>"
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_atom_index_is_followed_and_what_it_drops_is_over() {
    let up = Upstream::start(Reply::Body(index(&["/cap/storm.xml", "/cap/heat.xml"]))).await;
    up.set_path(
        "/cap/storm.xml",
        Reply::Body(cap("S1", "Alert", "", "4; red; Extreme", "Tempête")),
    );
    up.set_path(
        "/cap/heat.xml",
        Reply::Body(cap("H1", "Alert", "", "2; yellow; Moderate", "Canicule")),
    );
    let server = server::start(
        &config(&format!("{}/index.atom", up.url)),
        server::fixed(NOW),
    )
    .await;

    // Most severe first.
    let a = wait_advisories(&server, &["mf:mf:S1", "mf:mf:H1"]).await;
    assert_eq!(a[0].event, AdvisoryEvent::Storm);
    assert_eq!(a[0].level, AdvisoryLevel::Red);
    assert_eq!(a[0].headline["en"], "Red warning – Storm");

    up.set(Reply::Body(index(&["/cap/heat.xml"])));
    wait_advisories(&server, &["mf:mf:H1"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_expire_at_their_time() {
    let up = Upstream::start(Reply::Body(cap(
        "A1",
        "Alert",
        "",
        "3; orange; Severe",
        "Canicule",
    )))
    .await;
    // The alert expires 2026-07-02 21:00; a server living just after that shows none.
    let late = server::start(
        &config(&format!("{}/cap.xml", up.url)),
        server::fixed("2026-07-02T21:00:01+02:00"),
    )
    .await;
    let on_time = server::start(&config(&format!("{}/cap.xml", up.url)), server::fixed(NOW)).await;
    wait_advisories(&on_time, &["mf:mf:A1"]).await;
    up.polls(4).await;
    assert!(advisories(&late).await.is_empty());
}

/// Issue 15, point 5: an index can name any URL, and the server used to fetch
/// whatever it named. Its links are followed within the index's own origin
/// only: the other host (another port here) is never asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_cannot_send_the_server_elsewhere() {
    let elsewhere = Upstream::start(Reply::Body(cap(
        "X1",
        "Alert",
        "",
        "4; red; Extreme",
        "Tempête",
    )))
    .await;
    let stolen = format!("{}/internal/cap.xml", elsewhere.url);
    let up = Upstream::start(Reply::Body(index(&["/cap/heat.xml", &stolen]))).await;
    up.set_path(
        "/cap/heat.xml",
        Reply::Body(cap("H1", "Alert", "", "2; yellow; Moderate", "Canicule")),
    );
    let server = server::start(
        &config(&format!("{}/index.atom", up.url)),
        server::fixed(NOW),
    )
    .await;
    wait_advisories(&server, &["mf:mf:H1"]).await;
    up.polls(3).await;
    assert!(elsewhere.seen().is_empty(), "{:?}", elsewhere.seen());
    let ids: Vec<String> = server
        .board("caudry", "")
        .await
        .advisories
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, ["mf:mf:H1"]);
}

/// A vigilance map of Météo-France's DPVigilance API, made to its published
/// description: Nord (59) orange for heat until tomorrow evening, yellow for
/// rain and floods; Pas-de-Calais (62) red for wind.
fn vigilance_map(rain: bool) -> Vec<u8> {
    let rain = if rain {
        r#",{"phenomenon_id": "2", "phenomenon_max_color_id": 2, "timelaps_items": [
            {"begin_time": "2026-07-01T06:00:00Z", "end_time": "2026-07-01T20:00:00Z", "color_id": 2}]}"#
    } else {
        ""
    };
    format!(
        r#"{{"product": {{"update_time": "2026-07-01T04:00:00Z", "periods": [
          {{"echeance": "J", "begin_validity_time": "2026-06-30T22:00:00Z", "end_validity_time": "2026-07-01T22:00:00Z",
           "timelaps": {{"domain_ids": [
             {{"domain_id": "59", "max_color_id": 3, "phenomenon_items": [
               {{"phenomenon_id": "6", "phenomenon_max_color_id": 3, "timelaps_items": [
                 {{"begin_time": "2026-07-01T06:00:00Z", "end_time": "2026-07-01T22:00:00Z", "color_id": 3}}]}}{rain}]}},
             {{"domain_id": "62", "max_color_id": 4, "phenomenon_items": [
               {{"phenomenon_id": "1", "phenomenon_max_color_id": 4, "timelaps_items": [
                 {{"begin_time": "2026-07-01T06:00:00Z", "end_time": "2026-07-01T22:00:00Z", "color_id": 4}}]}}]}}]}}}},
          {{"echeance": "J1", "begin_validity_time": "2026-07-01T22:00:00Z", "end_validity_time": "2026-07-02T22:00:00Z",
           "timelaps": {{"domain_ids": [
             {{"domain_id": "59", "max_color_id": 3, "phenomenon_items": [
               {{"phenomenon_id": "6", "phenomenon_max_color_id": 3, "timelaps_items": [
                 {{"begin_time": "2026-07-01T22:00:00Z", "end_time": "2026-07-02T19:00:00Z", "color_id": 3}}]}}]}}]}}}}]}}}}"#
    )
    .into_bytes()
}

/// Issue 16: Météo-France's own vigilance map as a weather source (`kind =
/// "meteofrance-vigilance"`, the API key in a header): each phenomenon at
/// yellow or above in the station's département is an advisory with the advice
/// table's lines for its level, from its first to its last slice; another
/// département's warnings stay there; what the map drops is over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meteo_france_s_vigilance_map_gives_advisories_by_departement() {
    let up = Upstream::start(Reply::Body(vigilance_map(true))).await;
    let text = server::demo_config(
        &format!(
            "[[weather]]\nid = \"mf\"\nkind = \"meteofrance-vigilance\"\nname = \"Météo-France\"\n\
             url = \"{}/public/DPVigilance/v1/cartevigilance/encours\"\n\
             headers = {{ apikey = \"mf-key-0042\" }}\npoll_s = 0.1\nmax_backoff_s = 0.2\n",
            up.url
        ),
        "",
    )
    .replace(
        "stops = { demo = [\"CAUDRY\"] }\n",
        "stops = { demo = [\"CAUDRY\"] }\n[stations.area]\nlat = 50.1116\nlon = 3.4098\ncodes = [\"DEPARTEMENT=59\"]\n",
    );
    let server = server::start(&text, server::fixed(NOW)).await;
    let a = wait_advisories(
        &server,
        &[
            "mf:vigilance.meteofrance.fr:59-6",
            "mf:vigilance.meteofrance.fr:59-2",
        ],
    )
    .await;
    assert!(up.seen().iter().all(|s| {
        s.headers
            .iter()
            .any(|(k, v)| k == "apikey" && v == "mf-key-0042")
    }));

    let heat = &a[0];
    assert_eq!(
        (heat.event, heat.level),
        (AdvisoryEvent::Heatwave, AdvisoryLevel::Orange)
    );
    assert_eq!(heat.headline["fr"], "Vigilance orange – Canicule");
    assert_eq!(heat.source, "Météo-France");
    assert_eq!(heat.onset.as_deref(), Some("2026-07-01T08:00:00+02:00"));
    assert_eq!(heat.expires.as_deref(), Some("2026-07-02T21:00:00+02:00"));
    let rain = &a[1];
    assert_eq!(
        (rain.event, rain.level),
        (AdvisoryEvent::RainFlood, AdvisoryLevel::Yellow)
    );
    assert_eq!(
        rain.headline["en"],
        "Yellow warning – Heavy rain and floods"
    );
    // Yellow: the lines for every level, not those from orange up.
    assert!(
        !rain.advice["fr"].iter().any(|l| l.contains("souterrains")),
        "{:?}",
        rain.advice
    );

    // The rain is no longer on the map: over.
    up.set(Reply::Body(vigilance_map(false)));
    wait_advisories(&server, &["mf:vigilance.meteofrance.fr:59-6"]).await;
}
