//! What a request/response SIRI server is sent each poll: a `ServiceRequest`
//! for one service (with the `RequestorRef` the producer gave, a fresh
//! `RequestTimestamp` and, for StopMonitoring, the `MonitoringRef`), as plain
//! XML or in the SOAP envelope of the SIRI WSDL (`GetStopMonitoring`…, the
//! form the French profile's servers answer with `…Response`/`Answer`).

use chrono::{DateTime, SecondsFormat, Utc};

use crate::config::{SiriConfig, SiriService, Transport};

/// The body to POST for `service`, or None for SIRI Lite (a GET).
pub fn body(
    config: &SiriConfig,
    service: SiriService,
    monitoring_ref: Option<&str>,
    now: DateTime<Utc>,
) -> Option<Vec<u8>> {
    let ts = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
    let (version, requestor) = (esc(&config.version), esc(&config.requestor_ref));
    let name = match service {
        SiriService::EstimatedTimetable => "EstimatedTimetable",
        SiriService::StopMonitoring => "StopMonitoring",
        SiriService::SituationExchange => "SituationExchange",
        SiriService::GeneralMessage => "GeneralMessage",
    };
    let id = format!("quai:{}:{}", name, now.timestamp_millis());
    let text = match config.transport {
        Transport::Lite => return None,
        Transport::Request => {
            let monitoring = monitoring_ref
                .map(|m| format!("<MonitoringRef>{}</MonitoringRef>", esc(m)))
                .unwrap_or_default();
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Siri xmlns=\"http://www.siri.org.uk/siri\" version=\"{version}\">\
                 <ServiceRequest><RequestTimestamp>{ts}</RequestTimestamp><RequestorRef>{requestor}</RequestorRef>\
                 <{name}Request version=\"{version}\"><RequestTimestamp>{ts}</RequestTimestamp>\
                 <MessageIdentifier>{id}</MessageIdentifier>{monitoring}</{name}Request></ServiceRequest></Siri>\n"
            )
        }
        Transport::Soap => {
            let monitoring = monitoring_ref
                .map(|m| format!("<siri:MonitoringRef>{}</siri:MonitoringRef>", esc(m)))
                .unwrap_or_default();
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\" \
                 xmlns:sw=\"http://wsdl.siri.org.uk\" xmlns:siri=\"http://www.siri.org.uk/siri\"><S:Body><sw:Get{name}>\
                 <ServiceRequestInfo><siri:RequestTimestamp>{ts}</siri:RequestTimestamp>\
                 <siri:RequestorRef>{requestor}</siri:RequestorRef><siri:MessageIdentifier>{id}</siri:MessageIdentifier>\
                 </ServiceRequestInfo><Request version=\"{version}\"><siri:RequestTimestamp>{ts}</siri:RequestTimestamp>\
                 <siri:MessageIdentifier>{id}</siri:MessageIdentifier>{monitoring}</Request><RequestExtension/>\
                 </sw:Get{name}></S:Body></S:Envelope>\n"
            )
        }
    };
    Some(text.into_bytes())
}
