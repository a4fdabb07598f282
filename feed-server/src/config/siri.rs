//! `[feeds.siri]`: a feed's SIRI endpoints (EstimatedTimetable, StopMonitoring,
//! SituationExchange, GeneralMessage), how they are fetched, and how their
//! references are matched to the timetable (`[feeds.siri.match]`).

use std::collections::BTreeMap;
use std::time::Duration;

use regex::Regex;

use super::endpoint::{EndpointUrl, Redirects};
use super::feed::DelayBounds;
use super::file::{SiriMatchSection, SiriSection};
use super::{Invalid, units};

/// The kinds of SIRI delivery Quai reads, one endpoint each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SiriService {
    EstimatedTimetable,
    StopMonitoring,
    SituationExchange,
    GeneralMessage,
}

impl SiriService {
    pub const ALL: [SiriService; 4] = [
        SiriService::EstimatedTimetable,
        SiriService::StopMonitoring,
        SiriService::SituationExchange,
        SiriService::GeneralMessage,
    ];

    /// As written in feed ids (`{feed}:siri-et`), logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            SiriService::EstimatedTimetable => "siri-et",
            SiriService::StopMonitoring => "siri-sm",
            SiriService::SituationExchange => "siri-sx",
            SiriService::GeneralMessage => "siri-gm",
        }
    }

    /// The delivery element's name.
    pub fn delivery(self) -> &'static str {
        match self {
            SiriService::EstimatedTimetable => "EstimatedTimetableDelivery",
            SiriService::StopMonitoring => "StopMonitoringDelivery",
            SiriService::SituationExchange => "SituationExchangeDelivery",
            SiriService::GeneralMessage => "GeneralMessageDelivery",
        }
    }

    /// Whether it carries journeys (else situations).
    pub fn has_journeys(self) -> bool {
        matches!(
            self,
            SiriService::EstimatedTimetable | SiriService::StopMonitoring
        )
    }
}

/// How a SIRI server is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// SIRI Lite: one GET of the whole delivery (XML or JSON).
    Lite,
    /// A SIRI `ServiceRequest` POSTed as XML (the request/response servers of
    /// the French profile).
    Request,
    /// The same request in the SOAP envelope of the SIRI WSDL
    /// (`GetStopMonitoring`…).
    Soap,
}

/// One way of finding a SIRI journey's trip, tried in the configured order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JourneyRule {
    /// `DatedVehicleJourneyRef` (or the framed one) is the `trip_id`, possibly
    /// through `trip_id_pattern`.
    TripId,
    /// The train or journey number (`TrainNumberRef`, `VehicleJourneyName`,
    /// else `train_number_pattern` on the journey ref) is the `trip_short_name`
    /// of a trip running that day.
    TrainNumber,
    /// The line, the direction and the aimed departure at the first call.
    OriginDeparture,
}

impl JourneyRule {
    fn parse(s: &str) -> Result<JourneyRule, String> {
        match s {
            "trip_id" => Ok(JourneyRule::TripId),
            "train_number" => Ok(JourneyRule::TrainNumber),
            "origin_departure" => Ok(JourneyRule::OriginDeparture),
            other => Err(format!(
                "unknown rule `{other}` (trip_id, train_number, origin_departure)"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            JourneyRule::TripId => "trip_id",
            JourneyRule::TrainNumber => "train_number",
            JourneyRule::OriginDeparture => "origin_departure",
        }
    }
}

/// How SIRI references name the timetable's objects.
#[derive(Debug, Clone)]
pub struct Matching {
    pub journeys: Vec<JourneyRule>,
    /// Applied to the journey ref; its first capture group (or the match) is the
    /// `trip_id`.
    pub trip_id_pattern: Option<Regex>,
    /// Applied to the journey ref when no train number is given; its first
    /// capture is the number.
    pub train_number_pattern: Option<Regex>,
    /// Applied to `StopPointRef`; its first capture fills `{}` in `stop_ids`.
    pub stop_pattern: Option<Regex>,
    /// Templates of `stop_id`s tried in order (`{}`: the reference or capture);
    /// a stop's parent station counts too.
    pub stop_ids: Vec<String>,
    pub line_pattern: Option<Regex>,
    /// Templates of `route_id`s tried in order; then `route_short_name`.
    pub route_ids: Vec<String>,
}

impl Default for Matching {
    fn default() -> Matching {
        Matching {
            journeys: vec![
                JourneyRule::TripId,
                JourneyRule::TrainNumber,
                JourneyRule::OriginDeparture,
            ],
            trip_id_pattern: None,
            train_number_pattern: None,
            stop_pattern: None,
            stop_ids: vec!["{}".into()],
            line_pattern: None,
            route_ids: vec!["{}".into()],
        }
    }
}

/// `pattern` applied to `text`: the first capture group, else the whole match;
/// the text itself without a pattern. None when the pattern does not match.
pub fn captured(pattern: Option<&Regex>, text: &str) -> Option<String> {
    let Some(re) = pattern else {
        return Some(text.to_string());
    };
    let caps = re.captures(text)?;
    caps.get(1)
        .or_else(|| caps.get(0))
        .map(|m| m.as_str().to_string())
}

/// The SIRI endpoints of a feed and how to poll them.
#[derive(Debug, Clone)]
pub struct SiriConfig {
    pub version: String,
    pub transport: Transport,
    pub requestor_ref: String,
    pub estimated_timetable: Option<EndpointUrl>,
    pub stop_monitoring: Option<EndpointUrl>,
    pub situation_exchange: Option<EndpointUrl>,
    pub general_message: Option<EndpointUrl>,
    pub monitoring_refs: Vec<String>,
    pub poll: Duration,
    pub timeout: Duration,
    pub max_bytes: u64,
    pub delay_bounds: DelayBounds,
    pub min_attached_percent: u32,
    pub headers: BTreeMap<String, String>,
    pub query: BTreeMap<String, String>,
    pub redirects: Redirects,
    /// Journeys older than this are stale.
    pub stale_after: Duration,
    /// Situations older than this are stale.
    pub situations_stale_after: Duration,
    pub max_backoff: Duration,
    pub matching: Matching,
}

impl SiriConfig {
    pub(super) fn from_file(s: SiriSection) -> Result<SiriConfig, Invalid> {
        let url = |key: &str, v: Option<String>| {
            v.map(|u| EndpointUrl::parse(&u))
                .transpose()
                .map_err(|r| Invalid::new(key, r))
        };
        let seconds =
            |key: &str, v: f64| units::seconds(v, 0.05, 86_400.0).map_err(|r| Invalid::new(key, r));
        if !matches!(s.version.as_str(), "1.3" | "1.4" | "2.0" | "2.1" | "2.2") {
            return Err(Invalid::new(
                "version",
                format!("`{}`: one of 1.3, 1.4, 2.0, 2.1, 2.2", s.version),
            ));
        }
        let transport = match s.transport.as_str() {
            "lite" => Transport::Lite,
            "request" => Transport::Request,
            "soap" => Transport::Soap,
            other => {
                return Err(Invalid::new(
                    "transport",
                    format!(
                        "`{other}`: lite (one GET), request (a ServiceRequest POST) or soap \
                         (the same in a SOAP envelope)"
                    ),
                ));
            }
        };
        let config = SiriConfig {
            version: s.version,
            transport,
            requestor_ref: s.requestor_ref.unwrap_or_else(|| "quai".into()),
            estimated_timetable: url("estimated_timetable_url", s.estimated_timetable_url)?,
            stop_monitoring: url("stop_monitoring_url", s.stop_monitoring_url)?,
            situation_exchange: url("situation_exchange_url", s.situation_exchange_url)?,
            general_message: url("general_message_url", s.general_message_url)?,
            monitoring_refs: s.monitoring_refs,
            poll: seconds("poll_s", s.poll_s)?,
            timeout: seconds("timeout_s", s.timeout_s)?,
            max_backoff: seconds("max_backoff_s", s.max_backoff_s)?,
            max_bytes: units::megabytes(s.max_mb).map_err(|r| Invalid::new("max_mb", r))?,
            delay_bounds: DelayBounds::from_minutes(s.max_late_min, s.max_early_min)?,
            min_attached_percent: units::count(s.min_attached_percent, 0, 100)
                .map_err(|r| Invalid::new("min_attached_percent", r))?,
            redirects: Redirects::parse(&s.redirects).map_err(|r| Invalid::new("redirects", r))?,
            headers: s.headers,
            query: s.query,
            stale_after: Duration::from_secs(s.stale_after_s),
            situations_stale_after: Duration::from_secs(s.situations_stale_after_s),
            matching: matching(s.matching).map_err(|e| e.under("match"))?,
        };
        config
            .redirects
            .allows_secrets(!(config.headers.is_empty() && config.query.is_empty()))
            .map_err(|r| Invalid::new("redirects", r))?;
        if config.stop_monitoring.is_some() && config.monitoring_refs.is_empty() {
            return Err(Invalid::new(
                "monitoring_refs",
                "name the MonitoringRefs (stop points) to ask the StopMonitoring server for",
            ));
        }
        if config.endpoints().next().is_none() {
            return Err(Invalid::new(
                "estimated_timetable_url",
                "name at least one of estimated_timetable_url, stop_monitoring_url, \
                 situation_exchange_url, general_message_url",
            ));
        }
        Ok(config)
    }

    /// The configured endpoints, by service.
    pub fn endpoints(&self) -> impl Iterator<Item = (SiriService, &EndpointUrl)> {
        [
            (SiriService::EstimatedTimetable, &self.estimated_timetable),
            (SiriService::StopMonitoring, &self.stop_monitoring),
            (SiriService::SituationExchange, &self.situation_exchange),
            (SiriService::GeneralMessage, &self.general_message),
        ]
        .into_iter()
        .filter_map(|(service, url)| url.as_ref().map(|u| (service, u)))
    }

    /// How old a delivery of `service` may be before it is stale.
    pub fn stale_after(&self, service: SiriService) -> Duration {
        if service.has_journeys() {
            self.stale_after
        } else {
            self.situations_stale_after
        }
    }

    /// The values of the configured headers and query parameters: secrets that
    /// no log line or error may show.
    pub fn secrets(&self) -> Vec<String> {
        self.headers
            .values()
            .chain(self.query.values())
            .cloned()
            .collect()
    }
}

fn matching(m: SiriMatchSection) -> Result<Matching, Invalid> {
    let regex = |key: &str, v: Option<String>| {
        v.map(|p| Regex::new(&p))
            .transpose()
            .map_err(|e| Invalid::new(key, format!("not a regular expression: {e}")))
    };
    let templates = |key: &str, v: Option<Vec<String>>| -> Result<Vec<String>, Invalid> {
        match v {
            None => Ok(vec!["{}".into()]),
            Some(t) if t.is_empty() => Err(Invalid::new(key, "name at least one template")),
            Some(t) => {
                if let Some(bad) = t.iter().find(|t| t.matches("{}").count() != 1) {
                    return Err(Invalid::new(
                        key,
                        format!("`{bad}`: a template holds `{{}}` exactly once"),
                    ));
                }
                Ok(t)
            }
        }
    };
    let defaults = Matching::default();
    Ok(Matching {
        journeys: match m.journeys {
            None => defaults.journeys,
            Some(rules) if rules.is_empty() => {
                return Err(Invalid::new("journeys", "name at least one rule"));
            }
            Some(rules) => rules
                .iter()
                .map(|r| JourneyRule::parse(r))
                .collect::<Result<_, _>>()
                .map_err(|r| Invalid::new("journeys", r))?,
        },
        trip_id_pattern: regex("trip_id_pattern", m.trip_id_pattern)?,
        train_number_pattern: regex("train_number_pattern", m.train_number_pattern)?,
        stop_pattern: regex("stop_pattern", m.stop_pattern)?,
        stop_ids: templates("stop_ids", m.stop_ids)?,
        line_pattern: regex("line_pattern", m.line_pattern)?,
        route_ids: templates("route_ids", m.route_ids)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_give_the_id() {
        let re = Regex::new(r"OCE(\d{8})").unwrap();
        assert_eq!(
            captured(Some(&re), "StopPoint:OCE87345561").as_deref(),
            Some("87345561")
        );
        assert_eq!(captured(Some(&re), "elsewhere"), None);
        assert_eq!(captured(None, "x").as_deref(), Some("x"));
    }
}
