//! A CAP weather warning for the demo, served by the server itself
//! (`/demo/cap/heatwave`) and polled like any weather source: an orange heatwave
//! warning for the Nord département in the style of Météo-France's MeteoAlarm
//! feed, in French and English, running from noon today to 21:00 tomorrow.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};

/// The CAP 1.2 document at `now`.
pub fn heatwave(now: DateTime<Utc>) -> String {
    let tz = chrono_tz::Europe::Paris;
    let today = now.with_timezone(&tz).date_naive();
    let at = |day: chrono::NaiveDate, h: u32| {
        let t = day.and_time(NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default());
        tz.from_local_datetime(&t)
            .earliest()
            .map(|t| t.to_rfc3339())
            .unwrap_or_default()
    };
    let sent = at(today, 6);
    let onset = at(today, 12);
    let expires = at(today + Duration::days(1), 21);
    let id = format!("quai-demo-canicule-{}", today.format("%Y%m%d"));
    let info = |lang: &str, event: &str, headline: &str, description: &str, instruction: &str| {
        format!(
            r#"  <info>
    <language>{lang}</language>
    <category>Met</category>
    <event>{event}</event>
    <responseType>Monitor</responseType>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <eventCode><valueName>SAME</valueName><value>EHW</value></eventCode>
    <onset>{onset}</onset>
    <expires>{expires}</expires>
    <senderName>Météo (démo)</senderName>
    <headline>{headline}</headline>
    <description>{description}</description>
    <instruction>{instruction}</instruction>
    <parameter><valueName>awareness_level</valueName><value>3; orange; Severe</value></parameter>
    <parameter><valueName>awareness_type</valueName><value>5; high-temperature</value></parameter>
    <area>
      <areaDesc>Nord</areaDesc>
      <polygon>50.10,2.86 50.78,2.52 51.09,2.54 50.85,3.30 50.59,3.60 50.28,4.23 50.02,4.23 49.97,3.60 50.10,2.86</polygon>
      <geocode><valueName>EMMA_ID</valueName><value>FR059</value></geocode>
    </area>
  </info>
"#
        )
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{id}</identifier>
  <sender>demo@quai.example</sender>
  <sent>{sent}</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
{fr}{en}</alert>
"#,
        fr = info(
            "fr-FR",
            "Canicule",
            "Vigilance orange canicule pour le Nord",
            "Épisode de fortes chaleurs : 35 °C l'après-midi, nuits tropicales. (Données de démonstration.)",
            "Évitez les efforts aux heures chaudes."
        ),
        en = info(
            "en-GB",
            "Heatwave",
            "Orange heatwave warning for Nord",
            "Heatwave: 35 °C in the afternoon, tropical nights. (Demonstration data.)",
            "Avoid exertion in the hottest hours."
        ),
    )
}
