//! SIRI's reasons, conditions and severities as the board's closed sets.
//!
//! SIRI names hundreds of reasons (`AlertCause` and the older
//! `MiscellaneousReason`, `PersonnelReason`, `EquipmentReason`,
//! `EnvironmentReason`); each is read by the words it is made of
//! (`heavySnowFall` → heavy, snow, fall; `STAFF_STRIKE` → staff, strike), so
//! that `policeActivity` is not taken for ice nor `trainStruckObject` for rain.

use quai_protocol::Severity;

use crate::realtime::{Cause, Effect};

/// The lower-case words of a SIRI value in camelCase, snake_case or
/// SCREAMING_CASE.
fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Whether a word of `w` is one of `keys`, or starts with one ending in `*`.
fn any(w: &[String], keys: &[&str]) -> bool {
    w.iter().any(|word| {
        keys.iter().any(|k| match k.strip_suffix('*') {
            Some(stem) => word.starts_with(stem),
            None => word == k,
        })
    })
}

/// A SIRI reason as a cause.
pub fn cause(reason: &str) -> Cause {
    let w = words(reason);
    if any(
        &w,
        &["strike", "industrial", "absence", "sickness", "shortage"],
    ) {
        Cause::Strike
    } else if any(
        &w,
        &["demonstration", "march", "procession", "rally", "blockade"],
    ) {
        Cause::Demonstration
    } else if any(
        &w,
        &[
            "accident",
            "collision",
            "derailment",
            "struck",
            "hit",
            "fire",
            "fatality",
        ],
    ) {
        Cause::Accident
    } else if any(
        &w,
        &[
            "weather",
            "snow",
            "ice",
            "icy",
            "flood*",
            "storm",
            "wind*",
            "winds",
            "temperatures",
            "fog",
            "rain",
            "hail",
            "frost",
            "lightning",
            "drought",
            "avalanche*",
            "landslide",
            "mudslide",
            "leaves",
            "tide",
            "sea",
        ],
    ) {
        Cause::Weather
    } else if any(
        &w,
        &[
            "construction",
            "roadworks",
            "works",
            "work",
            "asphalting",
            "paving",
        ],
    ) {
        if any(&w, &["maintenance", "repair", "deicing"]) {
            Cause::Maintenance
        } else {
            Cause::Construction
        }
    } else if any(&w, &["maintenance", "repair"]) {
        Cause::Maintenance
    } else if any(
        &w,
        &[
            "police",
            "security",
            "bomb",
            "terrorist",
            "vandalism",
            "theft",
            "sabotage",
            "attack",
            "assault",
            "suspect",
            "unattended",
            "threat",
            "evacuation",
            "crime",
        ],
    ) {
        Cause::PoliceActivity
    } else if any(&w, &["ill", "medical", "injury", "ambulance", "emergency"]) {
        Cause::MedicalEmergency
    } else if any(&w, &["holiday"]) {
        Cause::Holiday
    } else if any(
        &w,
        &[
            "technical",
            "failure",
            "signal",
            "breakdown",
            "power",
            "defective",
            "points",
            "overhead",
            "problem",
            "engine",
            "brake",
        ],
    ) {
        Cause::TechnicalProblem
    } else if any(&w, &["unknown", "undefined"]) {
        Cause::UnknownCause
    } else {
        Cause::OtherCause
    }
}

/// A SIRI `Condition` (service condition) as an effect.
pub fn effect(condition: &str) -> Effect {
    let w = words(condition);
    if any(&w, &["cancel*", "cancellation", "suspended", "closed"])
        || (any(&w, &["no"]) && any(&w, &["service"]))
    {
        Effect::NoService
    } else if any(&w, &["delay*", "late"]) {
        Effect::SignificantDelays
    } else if any(&w, &["divert*", "diversion", "detour"]) {
        Effect::Detour
    } else if any(&w, &["additional", "extended", "special", "extra"]) {
        Effect::AdditionalService
    } else if any(&w, &["reduced", "intermittent", "short"]) {
        Effect::ReducedService
    } else if any(
        &w,
        &[
            "altered",
            "disrupted",
            "replacement",
            "shuttle",
            "splitting",
        ],
    ) {
        Effect::ModifiedService
    } else if any(&w, &["moved"]) {
        Effect::StopMoved
    } else if any(&w, &["normal", "full"]) || (any(&w, &["on"]) && any(&w, &["time"])) {
        Effect::NoEffect
    } else {
        Effect::UnknownEffect
    }
}

/// SIRI's `Severity` as the board's; ungraded situations that stop or cut
/// service still warn.
pub fn severity(text: Option<&str>, effect: Effect) -> Severity {
    let key = text.map(|t| words(t).concat());
    match key.as_deref() {
        Some("severe" | "verysevere") => Severity::Severe,
        Some("normal") => Severity::Warning,
        Some("slight" | "veryslight" | "noimpact") => Severity::Info,
        _ => match effect {
            Effect::NoService
            | Effect::ReducedService
            | Effect::SignificantDelays
            | Effect::Detour
            | Effect::StopMoved => Severity::Warning,
            _ => Severity::Info,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_by_their_words() {
        assert_eq!(words("heavySnowFall"), ["heavy", "snow", "fall"]);
        assert_eq!(words("STAFF_STRIKE"), ["staff", "strike"]);
        assert_eq!(cause("routeBlockage"), Cause::OtherCause);
        assert_eq!(cause("staffStrike"), Cause::Strike);
        assert_eq!(cause("industrialAction"), Cause::Strike);
        assert_eq!(cause("heavySnowFall"), Cause::Weather);
        assert_eq!(cause("signalProblem"), Cause::TechnicalProblem);
        assert_eq!(cause("maintenanceWork"), Cause::Maintenance);
        assert_eq!(cause("constructionWork"), Cause::Construction);
        // Not ice, not rain, not ill: the words, not their letters.
        assert_eq!(cause("policeActivity"), Cause::PoliceActivity);
        assert_eq!(cause("trainStruckObject"), Cause::Accident);
        assert_eq!(cause("emergencyServicesCall"), Cause::MedicalEmergency);
        assert_eq!(cause("spillage"), Cause::OtherCause);
        assert_eq!(effect("tripCancellation"), Effect::NoService);
        assert_eq!(effect("noService"), Effect::NoService);
        assert_eq!(effect("diverted"), Effect::Detour);
        assert_eq!(effect("delayed"), Effect::SignificantDelays);
        assert_eq!(effect("onTime"), Effect::NoEffect);
        assert_eq!(
            severity(Some("verySevere"), Effect::NoEffect),
            Severity::Severe
        );
        assert_eq!(
            severity(Some("VERY_SLIGHT"), Effect::NoService),
            Severity::Info
        );
        assert_eq!(severity(None, Effect::NoService), Severity::Warning);
    }
}
