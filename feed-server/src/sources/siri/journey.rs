//! Vehicle journeys as EstimatedTimetable and StopMonitoring deliver them, read
//! into one shape: a journey and its calls, every value as the producer wrote
//! it (matching them to the timetable is `realtime::siri`'s job).

use chrono::{DateTime, NaiveDateTime, TimeZone as _, Utc};
use chrono_tz::Tz;

use super::document::Read;
use crate::sources::xml::Element;

/// A call's progress as the producer states it (`ArrivalStatus`,
/// `DepartureStatus`: SIRI's `CallStatusEnumeration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    OnTime,
    Early,
    Delayed,
    Cancelled,
    Arrived,
    Departed,
    Missed,
    NoReport,
    NotExpected,
}

impl CallStatus {
    /// Read from any spelling producers use (`onTime`, `ON_TIME`, `ontime`).
    pub fn parse(text: &str) -> Option<CallStatus> {
        let key: String = text
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Some(match key.as_str() {
            "ontime" => CallStatus::OnTime,
            "early" => CallStatus::Early,
            "delayed" | "late" => CallStatus::Delayed,
            "cancelled" | "canceled" => CallStatus::Cancelled,
            "arrived" => CallStatus::Arrived,
            "departed" => CallStatus::Departed,
            "missed" => CallStatus::Missed,
            "noreport" => CallStatus::NoReport,
            "notexpected" => CallStatus::NotExpected,
            _ => return None,
        })
    }
}

/// One call of a journey at a stop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Call {
    pub stop_point_ref: Option<String>,
    /// The call's rank along the journey, when the producer gives it.
    pub order: Option<u32>,
    pub aimed_arrival: Option<DateTime<Utc>>,
    pub expected_arrival: Option<DateTime<Utc>>,
    pub actual_arrival: Option<DateTime<Utc>>,
    pub aimed_departure: Option<DateTime<Utc>>,
    pub expected_departure: Option<DateTime<Utc>>,
    pub actual_departure: Option<DateTime<Utc>>,
    pub arrival_status: Option<CallStatus>,
    pub departure_status: Option<CallStatus>,
    /// `DeparturePlatformName`, else `ArrivalPlatformName`.
    pub platform: Option<String>,
    /// `Departure/ArrivalStopAssignment`: the quay planned and the one used.
    pub aimed_quay: Option<String>,
    pub expected_quay: Option<String>,
    pub cancellation: bool,
    pub extra_call: bool,
    pub vehicle_at_stop: bool,
    pub destination_display: Option<String>,
    /// A `RecordedCall`: the vehicle has been there.
    pub recorded: bool,
}

impl Call {
    /// The time the call is planned at: departure, else arrival.
    pub fn aimed(&self) -> Option<DateTime<Utc>> {
        self.aimed_departure.or(self.aimed_arrival)
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancellation
            || self.departure_status == Some(CallStatus::Cancelled)
            || (self.departure_status.is_none()
                && self.arrival_status == Some(CallStatus::Cancelled))
    }
}

/// One vehicle journey (`EstimatedVehicleJourney`, `MonitoredVehicleJourney`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Journey {
    pub line_ref: Option<String>,
    pub direction_ref: Option<String>,
    pub dated_vehicle_journey_ref: Option<String>,
    /// `FramedVehicleJourneyRef/DataFrameRef`: often the operating day.
    pub data_frame_ref: Option<String>,
    /// `TrainNumberRef`s and `VehicleJourneyName`: the numbers passengers know.
    pub train_numbers: Vec<String>,
    pub published_line_name: Option<String>,
    pub origin_aimed_departure: Option<DateTime<Utc>>,
    pub destination_name: Option<String>,
    pub cancellation: bool,
    pub extra_journey: bool,
    pub calls: Vec<Call>,
}

/// Most calls kept per journey (a long-distance train has under 100).
pub const MAX_CALLS: usize = 500;

/// An `EstimatedVehicleJourney`: its recorded calls, then its estimated ones.
pub fn estimated(e: &Element, tz: Tz) -> Journey {
    let mut journey = header(e, tz);
    for (path, recorded) in [
        (["RecordedCalls", "RecordedCall"], true),
        (["EstimatedCalls", "EstimatedCall"], false),
    ] {
        for c in e.all(&path).into_iter().take(MAX_CALLS) {
            let mut call = call(c, tz);
            call.recorded = recorded;
            journey.calls.push(call);
        }
    }
    journey.calls.truncate(MAX_CALLS);
    journey
}

/// A `MonitoredStopVisit`: its journey with the one monitored call (at the
/// visit's `MonitoringRef` when the call does not name its stop).
pub fn monitored(visit: &Element, tz: Tz) -> Option<Journey> {
    let vj = visit.child("MonitoredVehicleJourney")?;
    let mut journey = header(vj, tz);
    let mut c = call(vj.child("MonitoredCall")?, tz);
    if c.stop_point_ref.is_none() {
        c.stop_point_ref = visit.text("MonitoringRef");
    }
    journey.calls.push(c);
    Some(journey)
}

fn header(e: &Element, tz: Tz) -> Journey {
    let framed = e.child("FramedVehicleJourneyRef");
    let mut train_numbers: Vec<String> = e
        .all(&["TrainNumbers", "TrainNumberRef"])
        .into_iter()
        .chain(e.children_named("TrainNumberRef"))
        .filter_map(|t| Some(t.text.trim().to_string()).filter(|t| !t.is_empty()))
        .collect();
    train_numbers.extend(e.text("VehicleJourneyName"));
    Journey {
        line_ref: e.text("LineRef"),
        direction_ref: e.text("DirectionRef"),
        dated_vehicle_journey_ref: e
            .text("DatedVehicleJourneyRef")
            .or_else(|| framed.and_then(|f| f.text("DatedVehicleJourneyRef"))),
        data_frame_ref: framed.and_then(|f| f.text("DataFrameRef")),
        train_numbers,
        published_line_name: e.text("PublishedLineName"),
        origin_aimed_departure: time(e, "OriginAimedDepartureTime", tz),
        destination_name: e.text("DestinationName"),
        cancellation: e.flag("Cancellation"),
        extra_journey: e.flag("ExtraJourney"),
        calls: Vec::new(),
    }
}

fn call(c: &Element, tz: Tz) -> Call {
    let quay = |which: &str, field: &str| {
        c.path(&[which, field])
            .map(|q| q.text.trim().to_string())
            .filter(|q| !q.is_empty())
    };
    Call {
        stop_point_ref: c.text("StopPointRef"),
        order: c.text("Order").and_then(|o| o.parse().ok()),
        aimed_arrival: time(c, "AimedArrivalTime", tz),
        expected_arrival: time(c, "ExpectedArrivalTime", tz),
        actual_arrival: time(c, "ActualArrivalTime", tz),
        aimed_departure: time(c, "AimedDepartureTime", tz),
        expected_departure: time(c, "ExpectedDepartureTime", tz),
        actual_departure: time(c, "ActualDepartureTime", tz),
        arrival_status: c.text("ArrivalStatus").and_then(|s| CallStatus::parse(&s)),
        departure_status: c
            .text("DepartureStatus")
            .and_then(|s| CallStatus::parse(&s)),
        platform: c
            .text("DeparturePlatformName")
            .or_else(|| c.text("ArrivalPlatformName")),
        aimed_quay: quay("DepartureStopAssignment", "AimedQuayRef")
            .or_else(|| quay("ArrivalStopAssignment", "AimedQuayRef")),
        expected_quay: quay("DepartureStopAssignment", "ExpectedQuayRef")
            .or_else(|| quay("ArrivalStopAssignment", "ExpectedQuayRef")),
        cancellation: c.flag("Cancellation"),
        extra_call: c.flag("ExtraCall"),
        vehicle_at_stop: c.flag("VehicleAtStop"),
        destination_display: c.text("DestinationDisplay"),
        recorded: false,
    }
}

/// An `xsd:dateTime` child, between 2000 and 2100 (other years are producers'
/// errors that no arithmetic should meet). A time without an offset (SIRI 1.x
/// producers write local times) is in `tz`, the feed's zone.
pub fn time(e: &Element, name: &str, tz: Tz) -> Option<DateTime<Utc>> {
    parse_time(&e.text(name)?, tz)
}

pub fn parse_time(text: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let t = parse_any_time(text, tz)?;
    (YEAR_2000..YEAR_2100).contains(&t.timestamp()).then_some(t)
}

/// 2000-01-01 and 2100-01-01, POSIX seconds.
pub const YEAR_2000: i64 = 946_684_800;
pub const YEAR_2100: i64 = 4_102_444_800;

/// An `xsd:dateTime` of any year (`9999-12-31T23:59:59.9999999`, .NET's
/// largest date, is how some producers say "no end").
pub fn parse_any_time(text: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let text = text.trim();
    match DateTime::parse_from_rfc3339(text) {
        Ok(t) => Some(t.to_utc()),
        Err(_) => {
            let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
            Some(tz.from_local_datetime(&local).earliest()?.to_utc())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_in_every_spelling() {
        assert_eq!(CallStatus::parse("onTime"), Some(CallStatus::OnTime));
        assert_eq!(CallStatus::parse("ON_TIME"), Some(CallStatus::OnTime));
        assert_eq!(CallStatus::parse("NO_REPORT"), Some(CallStatus::NoReport));
        assert_eq!(CallStatus::parse("cancelled"), Some(CallStatus::Cancelled));
        assert_eq!(CallStatus::parse("sideways"), None);
    }

    #[test]
    fn times_outside_the_century_are_dropped() {
        let paris = chrono_tz::Europe::Paris;
        assert!(parse_time("2025-02-17T18:45:10.000Z", paris).is_some());
        assert!(parse_time("2018-08-28T08:35:00+02:00", paris).is_some());
        assert!(parse_time("1970-01-01T00:00:00Z", paris).is_none());
        assert!(parse_time("2013-13-19T10:00:00Z", paris).is_none());
        // SIRI 1.x: local time, no offset.
        assert_eq!(
            parse_time("2013-01-28T00:00:00", paris),
            parse_time("2013-01-28T00:00:00+01:00", paris)
        );
    }
}
