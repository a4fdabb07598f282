//! The SIRI-SX export (`GET /siri/situation-exchange`): the operators'
//! notices as a SIRI 2.1 SituationExchange delivery, validated by `xmllint`
//! against CEN's XSD and read back by Quai's own SIRI reader, XML and JSON.

use quai_tests::server;

const NOW: &str = "2026-03-09T07:30:00+01:00";

use quai_tests::xsd::validate_siri as validate;

#[tokio::test]
async fn operator_notices_are_exported_as_siri_sx_that_the_xsd_accepts() {
    let server = server::start(&server::demo_config("", ""), server::fixed(NOW)).await;
    // None yet: an empty delivery is still valid SIRI.
    let empty = server.get_text("/siri/situation-exchange").await;
    validate(&empty).unwrap_or_else(|e| panic!("{e}\n{empty}"));

    let token = server.operator("exploitation", &["station:caudry"]);
    let body = serde_json::json!({
        "severity": "severe",
        "cause": "construction",
        "effect": "stop_moved",
        "header": {"en": "Bay C closed", "fr": "Quai C fermé"},
        "description": {"fr": "Travaux. Les bus de la ligne 3 partent du quai D & E."},
        "informed_entities": [
            {"stop_id": "demo:CAUDRY:C"},
            {"route_id": "CA2C:3"},
            {"station": "caudry"},
            {"trip_id": "TER:843800:WD"}
        ],
        "publication": {"start": "2026-03-09T06:00:00+01:00", "end": "2026-03-10T06:00:00+01:00"},
        "active_periods": [{"start": "2026-03-09T07:00:00+01:00", "end": "2026-03-09T19:00:00+01:00"}]
    });
    let id = server
        .try_post_notice(&token, &body)
        .await
        .expect("notice stored");

    let answer = server.answer("/siri/situation-exchange").await;
    let xml = answer.body.clone();
    validate(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    // The check can fail: a severity SIRI does not know is refused.
    let bad = xml.replace(
        "<Severity>severe</Severity>",
        "<Severity>terrible</Severity>",
    );
    assert!(
        validate(&bad).is_err(),
        "xmllint accepted an unknown severity"
    );
    assert!(
        xml.contains(&format!("<SituationNumber>{id}</SituationNumber>")),
        "{xml}"
    );
    assert!(
        xml.contains("<StopPointRef>CAUDRY:C</StopPointRef>"),
        "{xml}"
    );
    assert!(xml.contains("<Severity>severe</Severity>"), "{xml}");
    // French first.
    let fr = xml.find("xml:lang=\"fr\"").expect("fr");
    let en = xml.find("xml:lang=\"en\"").expect("en");
    assert!(fr < en, "{xml}");

    // Read back by Quai's own SIRI reader, XML and JSON alike.
    for body in [
        xml.clone(),
        server
            .get_text("/siri/situation-exchange?format=json")
            .await,
    ] {
        let delivery = feed_server::sources::siri::parse(
            body.as_bytes(),
            feed_server::config::SiriService::SituationExchange,
            feed_server::sources::siri::Defaults {
                lang: "fr",
                timezone: chrono_tz::Europe::Paris,
            },
        )
        .expect("reads back");
        assert_eq!(delivery.situations.len(), 1);
        let s = &delivery.situations[0];
        assert_eq!(s.id, id);
        assert_eq!(s.summary["fr"], "Quai C fermé");
        assert_eq!(
            s.description["fr"],
            "Travaux. Les bus de la ligne 3 partent du quai D & E."
        );
        assert_eq!(s.affects.len(), 4, "{:?}", s.affects);
        assert_eq!(s.validity.len(), 1);
    }

    // Unchanged: 304 for a consumer that sends the ETag back.
    let etag = answer
        .headers
        .get("etag")
        .expect("etag")
        .to_str()
        .expect("ascii")
        .to_string();
    let again = quai_tests::http::client(std::time::Duration::from_secs(5))
        .get(server.url("/siri/situation-exchange"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("GET");
    assert_eq!(again.status(), 304);
}
